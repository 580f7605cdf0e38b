//! The power amp's parameters, with the ranges and constants the editor also needs.
//!
//! IDs are stable: never rename one once shipped. Enum variants keep a stable `#[id]` separate
//! from their display `#[name]`. [`PowerAmpParams::settings`] translates the parameters into the
//! DSP crate's plain [`PowerAmpSettings`].

use std::sync::Arc;

use gainstage_dsp::power_amp::{AmpType, InputCalibration, OutputMode, PowerAmpSettings, Quality};
use gainstage_dsp::speaker::{SpeakerLoad, ThieleSmall};
use gainstage_ui::PersistedEditorSize;
use gainstage_ui::editor_window::persisted_size;
use nice_plug::prelude::*;

/// Input gain range in dB, symmetric around 0.
pub const INPUT_GAIN_RANGE_DB: f32 = 24.0;
/// Output trim range in dB, symmetric around 0.
pub const OUTPUT_TRIM_RANGE_DB: f32 = 24.0;
/// Smallest rated power in watts.
pub const WATTAGE_MIN: f32 = 1.0;
/// Largest rated power in watts.
pub const WATTAGE_MAX: f32 = 2000.0;
/// Smoothing time for gain-like parameters, in milliseconds.
pub const GAIN_SMOOTHING_MS: f32 = 20.0;
/// Smoothing time for the amp's character controls (sag, feedback, presence, depth), ms.
pub const CHARACTER_SMOOTHING_MS: f32 = 50.0;
/// Smoothing time for the custom speaker's values, ms.
pub const SPEAKER_SMOOTHING_MS: f32 = 100.0;
/// Sensitivity range, dBu.
pub const SENSITIVITY_RANGE_DBU: (f32, f32) = (-10.0, 30.0);
/// Fixed voltage gain range, dB.
pub const AMP_GAIN_RANGE_DB: (f32, f32) = (0.0, 50.0);
/// Largest negative feedback, dB.
pub const FEEDBACK_MAX_DB: f32 = 20.0;
/// Presence or depth at 100 % removes this fraction of the feedback at its end of the band.
pub const SHELF_AT_FULL: f32 = 0.95;

/// The amplifier topology.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmpTypeChoice {
    /// Two EL34 pentodes, push-pull class AB.
    #[id = "pp_el34"]
    #[name = "Tube push-pull EL34"]
    TubePushPullEl34,
    /// Two 6L6GC, push-pull class AB.
    #[id = "pp_6l6"]
    #[name = "Tube push-pull 6L6"]
    TubePushPull6L6,
    /// One 300B, single-ended class A.
    #[id = "se_class_a"]
    #[name = "Tube single-ended class A"]
    TubeSingleEnded,
    /// Solid-state class AB.
    #[id = "solid_state"]
    #[name = "Solid-state class AB"]
    SolidState,
    /// Class D with its LC output filter.
    #[id = "class_d"]
    #[name = "Class D"]
    ClassD,
}

impl AmpTypeChoice {
    /// The DSP amp type.
    pub fn amp_type(self) -> AmpType {
        match self {
            Self::TubePushPullEl34 => AmpType::TubePushPullEl34,
            Self::TubePushPull6L6 => AmpType::TubePushPull6L6,
            Self::TubeSingleEnded => AmpType::TubeSingleEnded,
            Self::SolidState => AmpType::SolidState,
            Self::ClassD => AmpType::ClassD,
        }
    }
}

/// The amp's nominal load.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum NominalLoad {
    /// 2 Ω.
    #[id = "2"]
    #[name = "2 Ω"]
    Two,
    /// 4 Ω.
    #[id = "4"]
    #[name = "4 Ω"]
    Four,
    /// 8 Ω.
    #[id = "8"]
    #[name = "8 Ω"]
    Eight,
    /// 16 Ω.
    #[id = "16"]
    #[name = "16 Ω"]
    Sixteen,
}

impl NominalLoad {
    /// Ohms.
    pub fn ohms(self) -> f64 {
        match self {
            Self::Two => 2.0,
            Self::Four => 4.0,
            Self::Eight => 8.0,
            Self::Sixteen => 16.0,
        }
    }
}

/// How the input level maps to the amp's drive.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputMode {
    /// The sensitivity (dBu) is the input level that reaches rated power, at any wattage.
    #[id = "sensitivity"]
    #[name = "Sensitivity"]
    Sensitivity,
    /// A fixed voltage gain: the wattage decides where the signal clips.
    #[id = "fixed_gain"]
    #[name = "Fixed gain"]
    FixedGain,
}

/// The speaker load.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeakerChoice {
    /// A resistive dummy load equal to the nominal load.
    #[id = "dummy"]
    #[name = "Resistive dummy load"]
    Resistive,
    /// 1×12 open-back guitar combo (Jensen C10Q-like).
    #[id = "1x12_open"]
    #[name = "1×12 open-back guitar"]
    OpenBack1x12,
    /// 4×12 closed-back guitar cabinet (Vintage 30-like).
    #[id = "4x12_closed"]
    #[name = "4×12 closed-back guitar"]
    Closed4x12,
    /// 1×15 bass cabinet.
    #[id = "1x15_bass"]
    #[name = "1×15 bass"]
    Bass1x15,
    /// 2-way hi-fi bookshelf.
    #[id = "bookshelf"]
    #[name = "2-way hi-fi bookshelf"]
    HifiBookshelf,
    /// Studio monitor woofer.
    #[id = "monitor"]
    #[name = "Studio monitor woofer"]
    StudioMonitor,
    /// The custom Thiele-Small values below.
    #[id = "custom"]
    #[name = "Custom"]
    Custom,
}

/// What an output sample means.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputModeChoice {
    /// 0 dBFS sine = rated power into the nominal load.
    #[id = "normalised"]
    #[name = "Normalised (0 dBFS = rated power)"]
    Normalised,
    /// Volts at the speaker: 0 dBFS peak = 100 V.
    #[id = "volts"]
    #[name = "Speaker volts (0 dBFS = 100 V peak)"]
    Volts,
}

/// Oversampling quality.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum QualityChoice {
    /// 2× minimum phase.
    #[id = "x2"]
    #[name = "2× (draft)"]
    Draft2x,
    /// 4× minimum phase.
    #[id = "x4"]
    #[name = "4× minimum phase"]
    Standard4x,
    /// 8× minimum phase.
    #[id = "x8"]
    #[name = "8× minimum phase"]
    High8x,
    /// 16× minimum phase.
    #[id = "x16"]
    #[name = "16× minimum phase"]
    Ultra16x,
    /// 4× linear phase.
    #[id = "x4_linear"]
    #[name = "4× linear phase"]
    Linear4x,
    /// 8× linear phase.
    #[id = "x8_linear"]
    #[name = "8× linear phase"]
    Linear8x,
}

impl QualityChoice {
    /// The DSP quality.
    pub fn quality(self) -> Quality {
        match self {
            Self::Draft2x => Quality::Draft2x,
            Self::Standard4x => Quality::Standard4x,
            Self::High8x => Quality::High8x,
            Self::Ultra16x => Quality::Ultra16x,
            Self::Linear4x => Quality::Linear4x,
            Self::Linear8x => Quality::Linear8x,
        }
    }
}

/// Parses the first number in `text` ("100", "100 W", "100W", "+22 dBu", "-6.5dB").
pub fn parse_leading_number(text: &str) -> Option<f32> {
    let trimmed = text.trim();
    let end = trimmed
        .char_indices()
        .find(|(index, character)| {
            !(character.is_ascii_digit()
                || *character == '.'
                || ((*character == '-' || *character == '+') && *index == 0))
        })
        .map_or(trimmed.len(), |(index, _)| index);
    trimmed[..end].parse().ok()
}

/// A text-to-value parser as nice-plug takes it.
type StringToValue = Arc<dyn Fn(&str) -> Option<f32> + Send + Sync>;

fn lenient_number() -> StringToValue {
    Arc::new(parse_leading_number)
}

fn rounded(digits: usize) -> Arc<dyn Fn(f32) -> String + Send + Sync> {
    formatters::v2s_f32_rounded(digits)
}

/// A percentage parameter stored as 0–1.
fn percentage(name: &str, default: f32, smoothing_ms: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min: 0.0, max: 1.0 })
        .with_smoother(SmoothingStyle::Linear(smoothing_ms))
        .with_unit(" %")
        .with_value_to_string(formatters::v2s_f32_percentage(0))
        .with_string_to_value(formatters::s2v_f32_percentage())
}

/// Every parameter of Gainstage Power Amp. IDs are stable: never rename them once shipped.
#[derive(Params)]
pub struct PowerAmpParams {
    /// Host bypass: passes the input through untouched (click-free cross-fade, delay-compensated).
    #[id = "bypass"]
    pub bypass: BoolParam,

    /// Input gain, −24 to +24 dB, ahead of the amplifier's own sensitivity. Stored in dB.
    #[id = "input"]
    pub input_db: FloatParam,

    /// Rated power into the nominal load, 1 to 2000 W on a logarithmic-like (skewed) scale.
    /// Sets the rail `√(2PR)`.
    #[id = "watts"]
    pub wattage: FloatParam,

    /// Output trim, −24 to +24 dB, after the amplifier. Stored in dB.
    #[id = "output"]
    pub output_db: FloatParam,

    /// Amplifier topology (switching cross-fades the old and new paths over 30 ms).
    #[id = "type"]
    pub amp_type: EnumParam<AmpTypeChoice>,

    /// Nominal load the amp is rated into: 2, 4, 8 or 16 Ω.
    #[id = "nominal"]
    pub nominal_load: EnumParam<NominalLoad>,

    /// Input calibration: sensitivity (dBu for rated power) or a fixed voltage gain (dB).
    #[id = "in_mode"]
    pub input_mode: EnumParam<InputMode>,

    /// Sensitivity, −10 to +30 dBu: the input sine level that drives rated power (+22 dBu = a
    /// 0 dBFS sine; line level −18 dBFS then runs 18 dB below the rating). Stored in dBu.
    #[id = "sens"]
    pub sensitivity_dbu: FloatParam,

    /// Fixed voltage gain, 0 to 50 dB, from input volts (0 dBFS peak = 13.81 V) to speaker volts,
    /// used in fixed-gain mode. Stored in dB.
    #[id = "gain"]
    pub amp_gain_db: FloatParam,

    /// Supply sag, 0 to 100 % (scales the supply resistance). Stored as 0–1.
    #[id = "sag"]
    pub sag: FloatParam,

    /// Negative feedback, 0 to 20 dB of gain reduction (compensated: the rating holds).
    #[id = "feedback"]
    pub feedback_db: FloatParam,

    /// Presence, 0 to 100 %: removes up to 95 % of the feedback above about 2.5 kHz. Stored 0–1.
    #[id = "presence"]
    pub presence: FloatParam,

    /// Depth / resonance, 0 to 100 %: removes up to 95 % of the feedback below about 90 Hz.
    /// Stored 0–1.
    #[id = "depth"]
    pub depth: FloatParam,

    /// The speaker load (changing it cross-fades over 30 ms).
    #[id = "speaker"]
    pub speaker: EnumParam<SpeakerChoice>,

    /// Custom load: voice-coil resistance Re, 1 to 32 Ω.
    #[id = "cus_re"]
    pub custom_re_ohms: FloatParam,

    /// Custom load: voice-coil inductance Le (at 1 kHz), 0 to 5 mH. Stored in mH.
    #[id = "cus_le"]
    pub custom_le_mh: FloatParam,

    /// Custom load: resonance Fs, 20 to 300 Hz (skewed). Stored in Hz.
    #[id = "cus_fs"]
    pub custom_fs_hz: FloatParam,

    /// Custom load: mechanical Q, Qms, 0.5 to 20.
    #[id = "cus_qms"]
    pub custom_qms: FloatParam,

    /// Custom load: electrical Q, Qes, 0.1 to 3.
    #[id = "cus_qes"]
    pub custom_qes: FloatParam,

    /// Output mapping: normalised (0 dBFS sine = rated power) or speaker volts (0 dBFS = 100 V).
    #[id = "out_mode"]
    pub output_mode: EnumParam<OutputModeChoice>,

    /// Oversampling quality while playing in real time.
    #[id = "quality"]
    pub quality: EnumParam<QualityChoice>,

    /// Oversampling quality when the host renders offline.
    #[id = "offline_q"]
    pub offline_quality: EnumParam<QualityChoice>,

    /// The editor window's size in points, saved with the state so the host session remembers it.
    #[persist = "editor-size"]
    pub editor_size: PersistedEditorSize,
}

impl Default for PowerAmpParams {
    fn default() -> Self {
        Self {
            bypass: BoolParam::new("Bypass", false)
                .with_value_to_string(formatters::v2s_bool_bypass())
                .with_string_to_value(formatters::s2v_bool_bypass())
                .make_bypass(),
            input_db: FloatParam::new(
                "Input",
                0.0,
                FloatRange::Linear {
                    min: -INPUT_GAIN_RANGE_DB,
                    max: INPUT_GAIN_RANGE_DB,
                },
            )
            .with_smoother(SmoothingStyle::Linear(GAIN_SMOOTHING_MS))
            .with_step_size(0.1)
            .with_unit(" dB")
            .with_value_to_string(rounded(1))
            .with_string_to_value(lenient_number()),
            wattage: FloatParam::new(
                "Wattage",
                100.0,
                FloatRange::Skewed {
                    min: WATTAGE_MIN,
                    max: WATTAGE_MAX,
                    factor: FloatRange::skew_factor(-2.0),
                },
            )
            .with_smoother(SmoothingStyle::Logarithmic(50.0))
            .with_step_size(0.1)
            .with_unit(" W")
            .with_value_to_string(rounded(1))
            .with_string_to_value(lenient_number()),
            output_db: FloatParam::new(
                "Output",
                0.0,
                FloatRange::Linear {
                    min: -OUTPUT_TRIM_RANGE_DB,
                    max: OUTPUT_TRIM_RANGE_DB,
                },
            )
            .with_smoother(SmoothingStyle::Linear(GAIN_SMOOTHING_MS))
            .with_step_size(0.1)
            .with_unit(" dB")
            .with_value_to_string(rounded(1))
            .with_string_to_value(lenient_number()),
            amp_type: EnumParam::new("Amp type", AmpTypeChoice::TubePushPullEl34),
            nominal_load: EnumParam::new("Nominal load", NominalLoad::Eight),
            input_mode: EnumParam::new("Input mode", InputMode::Sensitivity),
            sensitivity_dbu: FloatParam::new(
                "Sensitivity",
                22.0,
                FloatRange::Linear {
                    min: SENSITIVITY_RANGE_DBU.0,
                    max: SENSITIVITY_RANGE_DBU.1,
                },
            )
            .with_smoother(SmoothingStyle::Linear(GAIN_SMOOTHING_MS))
            .with_step_size(0.1)
            .with_unit(" dBu")
            .with_value_to_string(rounded(1))
            .with_string_to_value(lenient_number()),
            amp_gain_db: FloatParam::new(
                "Amp gain",
                26.0,
                FloatRange::Linear {
                    min: AMP_GAIN_RANGE_DB.0,
                    max: AMP_GAIN_RANGE_DB.1,
                },
            )
            .with_smoother(SmoothingStyle::Linear(GAIN_SMOOTHING_MS))
            .with_step_size(0.1)
            .with_unit(" dB")
            .with_value_to_string(rounded(1))
            .with_string_to_value(lenient_number()),
            sag: percentage("Sag", 0.5, CHARACTER_SMOOTHING_MS),
            feedback_db: FloatParam::new(
                "Feedback",
                6.0,
                FloatRange::Linear {
                    min: 0.0,
                    max: FEEDBACK_MAX_DB,
                },
            )
            .with_smoother(SmoothingStyle::Linear(CHARACTER_SMOOTHING_MS))
            .with_step_size(0.1)
            .with_unit(" dB")
            .with_value_to_string(rounded(1))
            .with_string_to_value(lenient_number()),
            presence: percentage("Presence", 0.0, CHARACTER_SMOOTHING_MS),
            depth: percentage("Depth", 0.0, CHARACTER_SMOOTHING_MS),
            speaker: EnumParam::new("Speaker", SpeakerChoice::Resistive),
            custom_re_ohms: FloatParam::new(
                "Custom Re",
                6.0,
                FloatRange::Linear {
                    min: 1.0,
                    max: 32.0,
                },
            )
            .with_smoother(SmoothingStyle::Linear(SPEAKER_SMOOTHING_MS))
            .with_step_size(0.01)
            .with_unit(" Ω")
            .with_value_to_string(rounded(2))
            .with_string_to_value(lenient_number()),
            custom_le_mh: FloatParam::new(
                "Custom Le",
                0.6,
                FloatRange::Linear { min: 0.0, max: 5.0 },
            )
            .with_smoother(SmoothingStyle::Linear(SPEAKER_SMOOTHING_MS))
            .with_step_size(0.01)
            .with_unit(" mH")
            .with_value_to_string(rounded(2))
            .with_string_to_value(lenient_number()),
            custom_fs_hz: FloatParam::new(
                "Custom Fs",
                80.0,
                FloatRange::Skewed {
                    min: 20.0,
                    max: 300.0,
                    factor: FloatRange::skew_factor(-1.0),
                },
            )
            .with_smoother(SmoothingStyle::Logarithmic(SPEAKER_SMOOTHING_MS))
            .with_step_size(0.1)
            .with_unit(" Hz")
            .with_value_to_string(rounded(1))
            .with_string_to_value(lenient_number()),
            custom_qms: FloatParam::new(
                "Custom Qms",
                5.0,
                FloatRange::Linear {
                    min: 0.5,
                    max: 20.0,
                },
            )
            .with_smoother(SmoothingStyle::Linear(SPEAKER_SMOOTHING_MS))
            .with_step_size(0.01)
            .with_value_to_string(rounded(2))
            .with_string_to_value(lenient_number()),
            custom_qes: FloatParam::new(
                "Custom Qes",
                0.8,
                FloatRange::Linear { min: 0.1, max: 3.0 },
            )
            .with_smoother(SmoothingStyle::Linear(SPEAKER_SMOOTHING_MS))
            .with_step_size(0.01)
            .with_value_to_string(rounded(2))
            .with_string_to_value(lenient_number()),
            output_mode: EnumParam::new("Output mode", OutputModeChoice::Normalised),
            quality: EnumParam::new("Quality", QualityChoice::Standard4x),
            offline_quality: EnumParam::new("Offline quality", QualityChoice::High8x),
            editor_size: persisted_size(crate::editor::DEFAULT_SIZE),
        }
    }
}

/// The smoothed values of the continuous parameters for one chunk of samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SmoothedValues {
    /// Rated watts.
    pub watts: f32,
    /// Sensitivity, dBu.
    pub sensitivity_dbu: f32,
    /// Fixed gain, dB.
    pub amp_gain_db: f32,
    /// Sag, 0–1.
    pub sag: f32,
    /// Feedback, dB.
    pub feedback_db: f32,
    /// Presence, 0–1.
    pub presence: f32,
    /// Depth, 0–1.
    pub depth: f32,
    /// Custom Re, Ω.
    pub custom_re_ohms: f32,
    /// Custom Le, mH.
    pub custom_le_mh: f32,
    /// Custom Fs, Hz.
    pub custom_fs_hz: f32,
    /// Custom Qms.
    pub custom_qms: f32,
    /// Custom Qes.
    pub custom_qes: f32,
}

impl PowerAmpParams {
    /// Advances the smoothers of the continuous parameters by `steps` samples and returns their
    /// values at the end of that stretch.
    pub fn advance_smoothed(&self, steps: u32) -> SmoothedValues {
        SmoothedValues {
            watts: self.wattage.smoothed.next_step(steps),
            sensitivity_dbu: self.sensitivity_dbu.smoothed.next_step(steps),
            amp_gain_db: self.amp_gain_db.smoothed.next_step(steps),
            sag: self.sag.smoothed.next_step(steps),
            feedback_db: self.feedback_db.smoothed.next_step(steps),
            presence: self.presence.smoothed.next_step(steps),
            depth: self.depth.smoothed.next_step(steps),
            custom_re_ohms: self.custom_re_ohms.smoothed.next_step(steps),
            custom_le_mh: self.custom_le_mh.smoothed.next_step(steps),
            custom_fs_hz: self.custom_fs_hz.smoothed.next_step(steps),
            custom_qms: self.custom_qms.smoothed.next_step(steps),
            custom_qes: self.custom_qes.smoothed.next_step(steps),
        }
    }

    /// The current target values (unsmoothed) of the continuous parameters.
    pub fn targets(&self) -> SmoothedValues {
        SmoothedValues {
            watts: self.wattage.value(),
            sensitivity_dbu: self.sensitivity_dbu.value(),
            amp_gain_db: self.amp_gain_db.value(),
            sag: self.sag.value(),
            feedback_db: self.feedback_db.value(),
            presence: self.presence.value(),
            depth: self.depth.value(),
            custom_re_ohms: self.custom_re_ohms.value(),
            custom_le_mh: self.custom_le_mh.value(),
            custom_fs_hz: self.custom_fs_hz.value(),
            custom_qms: self.custom_qms.value(),
            custom_qes: self.custom_qes.value(),
        }
    }

    /// The speaker load the parameters select.
    pub fn speaker_load(&self, values: &SmoothedValues) -> SpeakerLoad {
        let nominal = self.nominal_load.value().ohms();
        match self.speaker.value() {
            SpeakerChoice::Resistive => SpeakerLoad::resistive(nominal),
            SpeakerChoice::OpenBack1x12 => SpeakerLoad::open_back_1x12(),
            SpeakerChoice::Closed4x12 => SpeakerLoad::closed_4x12(),
            SpeakerChoice::Bass1x15 => SpeakerLoad::bass_1x15(),
            SpeakerChoice::HifiBookshelf => SpeakerLoad::hifi_bookshelf(),
            SpeakerChoice::StudioMonitor => SpeakerLoad::studio_monitor_woofer(),
            SpeakerChoice::Custom => SpeakerLoad::custom(
                ThieleSmall {
                    re_ohms: f64::from(values.custom_re_ohms),
                    le_henries: f64::from(values.custom_le_mh) * 1.0e-3,
                    le_exponent: 0.7,
                    resonance_hz: f64::from(values.custom_fs_hz),
                    qms: f64::from(values.custom_qms),
                    qes: f64::from(values.custom_qes),
                },
                nominal,
            ),
        }
    }

    /// The DSP settings for `values` of the continuous parameters, at `quality`.
    pub fn settings(&self, values: &SmoothedValues, quality: Quality) -> PowerAmpSettings {
        PowerAmpSettings {
            amp_type: self.amp_type.value().amp_type(),
            rated_watts: f64::from(values.watts),
            nominal_ohms: self.nominal_load.value().ohms(),
            input: match self.input_mode.value() {
                InputMode::Sensitivity => InputCalibration::Sensitivity {
                    dbu: f64::from(values.sensitivity_dbu),
                },
                InputMode::FixedGain => InputCalibration::FixedGain {
                    db: f64::from(values.amp_gain_db),
                },
            },
            sag: f64::from(values.sag),
            feedback_db: f64::from(values.feedback_db),
            presence: f64::from(values.presence * SHELF_AT_FULL),
            depth: f64::from(values.depth * SHELF_AT_FULL),
            load: self.speaker_load(values),
            output: match self.output_mode.value() {
                OutputModeChoice::Normalised => OutputMode::Normalised,
                OutputModeChoice::Volts => OutputMode::Volts,
            },
            quality,
        }
    }
}

/// Test support: sets every smoother to its parameter's value at `sample_rate`, as the plugin
/// wrapper does on activation (unit tests drive the engine without a wrapper).
#[cfg(test)]
pub(crate) fn settle_smoothers(params: &PowerAmpParams, sample_rate: f32) {
    for (_, pointer, _) in params.param_map() {
        // SAFETY: the pointer comes from `params`, which outlives this call, and the test is the
        // only thread touching the parameters.
        unsafe {
            pointer._internal_update_smoother(sample_rate, true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_with_or_without_units_parse() {
        assert_eq!(parse_leading_number("100 W"), Some(100.0));
        assert_eq!(parse_leading_number("100W"), Some(100.0));
        assert_eq!(parse_leading_number(" +22 dBu"), Some(22.0));
        assert_eq!(parse_leading_number("-6.5dB"), Some(-6.5));
        assert_eq!(parse_leading_number("watts"), None);
    }

    #[test]
    fn default_settings_are_the_documented_defaults() {
        let params = PowerAmpParams::default();
        let settings = params.settings(&params.targets(), Quality::Standard4x);
        assert_eq!(settings.amp_type, AmpType::TubePushPullEl34);
        assert_eq!(settings.rated_watts, 100.0);
        assert_eq!(settings.nominal_ohms, 8.0);
        assert_eq!(settings.input, InputCalibration::Sensitivity { dbu: 22.0 });
        assert_eq!(settings.load, SpeakerLoad::resistive(8.0));
        assert_eq!(settings.output, OutputMode::Normalised);
        assert!(
            (settings.feedback_db - 6.0).abs() < 1e-6,
            "feedback {}",
            settings.feedback_db
        );
    }
}
