//! The preamp's parameters, with the ranges and constants the editor also needs.
//!
//! Two complete settings slots, A and B, share one plugin: slot A's IDs are plain (`gain`), slot
//! B's carry a `b_` prefix (`b_gain`). The `ab` parameter picks the slot the audio follows, so A/B
//! is automatable, survives save and reload, and switching glides like any other change. IDs
//! are stable: never rename one once shipped; enum variants keep a stable `#[id]` separate from
//! their display `#[name]`.

use std::sync::Arc;

use gainstage_dsp::oversample::{FilterFlavour, OversamplingFactor};
use gainstage_dsp::preamp::calibration::InputType;
use gainstage_dsp::preamp::channel::ChannelSettings;
use gainstage_dsp::preamp::model::PreampModel;
use gainstage_dsp::preamp::tone::{
    EQ_GAIN_RANGE_DB, EqSettings, LOW_CUT_RANGE_HZ, LowCutSettings, LowCutSlope,
    MID_FREQUENCY_RANGE_HZ, MID_Q_RANGE,
};
use gainstage_dsp::preamp::transparent::{GainRange, TransparentOptions};
use gainstage_dsp::preamp::voicing::{InputImpedance, Voicing};
use gainstage_ui::PersistedEditorSize;
use nice_plug::prelude::*;

/// Lowest preamp gain in dB.
pub const GAIN_MIN_DB: f32 = 0.0;
/// Highest preamp gain in dB.
pub const GAIN_MAX_DB: f32 = 60.0;
/// Output trim range in dB, symmetric around 0.
pub const OUTPUT_TRIM_RANGE_DB: f32 = 24.0;

/// The preamp model. Switching cross-fades the old and the new circuit.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelChoice {
    /// Two 12AX7 stages: even-dominant, soft, blooms when driven.
    #[id = "tube"]
    #[name = "Tube"]
    Tube,
    /// Op-amp stage on ±15 V rails: clean, then a quick odd-harmonic knee at +21 dBu.
    #[id = "solid_state"]
    #[name = "Solid-state"]
    SolidState,
    /// Top-end clean preamp.
    #[id = "transparent"]
    #[name = "Transparent"]
    Transparent,
    /// Transformer-coupled class A with its own voicing.
    #[id = "colour"]
    #[name = "Colour"]
    Colour,
}

impl ModelChoice {
    /// The DSP model this choice selects.
    pub fn model(self) -> PreampModel {
        match self {
            ModelChoice::Tube => PreampModel::Tube,
            ModelChoice::SolidState => PreampModel::SolidState,
            ModelChoice::Transparent => PreampModel::Transparent,
            ModelChoice::Colour => PreampModel::Colour,
        }
    }
}

/// The source the input expects.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoicingChoice {
    /// No source modelling: a line source, flat.
    #[id = "flat"]
    #[name = "Flat"]
    Flat,
    /// A dynamic vocal mic into a mic input.
    #[id = "vocal"]
    #[name = "Vocal"]
    Vocal,
    /// An under-saddle piezo into a Hi-Z input.
    #[id = "acoustic"]
    #[name = "Acoustic guitar"]
    AcousticGuitar,
    /// A passive magnetic pickup into a Hi-Z input.
    #[id = "electric"]
    #[name = "Electric guitar"]
    ElectricGuitar,
    /// A passive bass pickup into a Hi-Z input.
    #[id = "bass"]
    #[name = "Bass"]
    Bass,
    /// Keyboards and other line sources.
    #[id = "keys"]
    #[name = "Keys/line"]
    KeysLine,
    /// Dynamic drum mics.
    #[id = "drums"]
    #[name = "Drums"]
    Drums,
}

impl VoicingChoice {
    /// The DSP voicing.
    pub fn voicing(self) -> Voicing {
        match self {
            VoicingChoice::Flat => Voicing::Flat,
            VoicingChoice::Vocal => Voicing::Vocal,
            VoicingChoice::AcousticGuitar => Voicing::AcousticGuitar,
            VoicingChoice::ElectricGuitar => Voicing::ElectricGuitar,
            VoicingChoice::Bass => Voicing::Bass,
            VoicingChoice::KeysLine => Voicing::KeysLine,
            VoicingChoice::Drums => Voicing::Drums,
        }
    }
}

/// The input type; `Auto` follows the voicing.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputChoice {
    /// The voicing's input type.
    #[id = "auto"]
    #[name = "Auto"]
    Auto,
    /// Microphone input (nominal −40 dBu source; nominal gain 44 dB).
    #[id = "mic"]
    #[name = "Mic"]
    Mic,
    /// Instrument (Hi-Z) input (nominal −16 dBu; nominal gain 20 dB).
    #[id = "instrument"]
    #[name = "Instrument"]
    Instrument,
    /// Line input (nominal +4 dBu; nominal gain 0 dB).
    #[id = "line"]
    #[name = "Line"]
    Line,
}

impl InputChoice {
    /// The input type, or `None` for the voicing's.
    pub fn input_type(self) -> Option<InputType> {
        match self {
            InputChoice::Auto => None,
            InputChoice::Mic => Some(InputType::Mic),
            InputChoice::Instrument => Some(InputType::Instrument),
            InputChoice::Line => Some(InputType::Line),
        }
    }
}

/// The input impedance; `Auto` follows the voicing.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImpedanceChoice {
    /// The voicing's choice.
    #[id = "auto"]
    #[name = "Auto"]
    Auto,
    /// 1.2 kΩ mic, 10 kΩ instrument, 10 kΩ line.
    #[id = "low"]
    #[name = "Low"]
    Low,
    /// 10 kΩ mic, 1 MΩ instrument, 100 kΩ line.
    #[id = "high"]
    #[name = "High"]
    High,
}

impl ImpedanceChoice {
    /// The impedance, or `None` for the voicing's.
    pub fn impedance(self) -> Option<InputImpedance> {
        match self {
            ImpedanceChoice::Auto => None,
            ImpedanceChoice::Low => Some(InputImpedance::Low),
            ImpedanceChoice::High => Some(InputImpedance::High),
        }
    }
}

/// Low-cut slope.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlopeChoice {
    /// 12 dB/octave Butterworth.
    #[id = "db12"]
    #[name = "12 dB/oct"]
    Db12,
    /// 18 dB/octave Butterworth.
    #[id = "db18"]
    #[name = "18 dB/oct"]
    Db18,
}

/// The transparent model's gain range.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeChoice {
    /// Full 0–60 dB.
    #[id = "high"]
    #[name = "High"]
    High,
    /// 0–40 dB with a lower noise floor.
    #[id = "low"]
    #[name = "Low"]
    Low,
}

/// Which slot the audio follows.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotChoice {
    /// Slot A.
    #[id = "a"]
    #[name = "A"]
    A,
    /// Slot B.
    #[id = "b"]
    #[name = "B"]
    B,
}

/// Oversampling factor and filter flavour.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum QualityChoice {
    /// 2× minimum phase.
    #[id = "x2"]
    #[name = "2× minimum phase"]
    MinimumPhase2x,
    /// 4× minimum phase (the default).
    #[id = "x4"]
    #[name = "4× minimum phase"]
    MinimumPhase4x,
    /// 8× minimum phase.
    #[id = "x8"]
    #[name = "8× minimum phase"]
    MinimumPhase8x,
    /// 16× minimum phase.
    #[id = "x16"]
    #[name = "16× minimum phase"]
    MinimumPhase16x,
    /// 4× linear phase.
    #[id = "x4_linear"]
    #[name = "4× linear phase"]
    LinearPhase4x,
    /// 8× linear phase.
    #[id = "x8_linear"]
    #[name = "8× linear phase"]
    LinearPhase8x,
    /// 16× linear phase: the highest quality.
    #[id = "x16_linear"]
    #[name = "16× linear phase"]
    LinearPhase16x,
}

impl QualityChoice {
    /// Every quality, in display order.
    pub const ALL: [QualityChoice; 7] = [
        QualityChoice::MinimumPhase2x,
        QualityChoice::MinimumPhase4x,
        QualityChoice::MinimumPhase8x,
        QualityChoice::MinimumPhase16x,
        QualityChoice::LinearPhase4x,
        QualityChoice::LinearPhase8x,
        QualityChoice::LinearPhase16x,
    ];

    /// Oversampling factor and filter flavour.
    pub fn oversampling(self) -> (OversamplingFactor, FilterFlavour) {
        use FilterFlavour::{LinearPhase, MinimumPhase};
        use OversamplingFactor::{X2, X4, X8, X16};
        match self {
            QualityChoice::MinimumPhase2x => (X2, MinimumPhase),
            QualityChoice::MinimumPhase4x => (X4, MinimumPhase),
            QualityChoice::MinimumPhase8x => (X8, MinimumPhase),
            QualityChoice::MinimumPhase16x => (X16, MinimumPhase),
            QualityChoice::LinearPhase4x => (X4, LinearPhase),
            QualityChoice::LinearPhase8x => (X8, LinearPhase),
            QualityChoice::LinearPhase16x => (X16, LinearPhase),
        }
    }

    /// Position in [`QualityChoice::ALL`].
    pub fn index(self) -> usize {
        Self::ALL
            .iter()
            .position(|&quality| quality == self)
            .unwrap_or(1)
    }
}

/// A decibel parameter with typed entry ("12 dB" or "12").
fn decibels(name: String, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min, max })
        .with_step_size(0.1)
        .with_unit(" dB")
        .with_value_to_string(formatters::v2s_f32_rounded(1))
}

/// A frequency parameter on a logarithmic scale, shown as Hz/kHz and typed as "3.5k".
fn hertz(name: String, default: f32, (min, max): (f32, f32)) -> FloatParam {
    FloatParam::new(
        name,
        default,
        FloatRange::Skewed {
            min,
            max,
            factor: FloatRange::skew_factor(-1.5),
        },
    )
    .with_value_to_string(formatters::v2s_f32_hz_then_khz(1))
    .with_string_to_value(gainstage_ui::units::s2v_frequency())
}

/// One complete settings slot.
#[derive(Params)]
pub struct SlotParams {
    /// The circuit modelled.
    #[id = "model"]
    pub model: EnumParam<ModelChoice>,
    /// The source the input expects: sets the source loading and, on `Auto`, the input type.
    #[id = "voicing"]
    pub voicing: EnumParam<VoicingChoice>,
    /// Input type (Auto follows the voicing); decides what digital level stands for what dBu.
    #[id = "input"]
    pub input: EnumParam<InputChoice>,
    /// Input impedance (Auto follows the voicing).
    #[id = "impedance"]
    pub impedance: EnumParam<ImpedanceChoice>,
    /// The −20 dB input pad.
    #[id = "pad"]
    pub pad: BoolParam,
    /// Preamp gain, 0 to 60 dB of real gain (a nominal source is at unity at its input type's
    /// nominal gain: 0 dB line, 20 dB instrument, 44 dB mic). Stored in dB.
    #[id = "gain"]
    pub gain_db: FloatParam,
    /// Output trim, −24 to +24 dB. Stored in dB.
    #[id = "output"]
    pub output_db: FloatParam,
    /// Dry/wet mix, 0 to 100 % (stored 0–1); the dry path is delayed by the reported latency.
    #[id = "mix"]
    pub mix: FloatParam,
    /// Polarity inversion.
    #[id = "invert"]
    pub invert: BoolParam,
    /// Low-cut in or out.
    #[id = "lowcut"]
    pub low_cut: BoolParam,
    /// Low-cut −3 dB frequency, 20 to 400 Hz (log scale).
    #[id = "lowcut_freq"]
    pub low_cut_hz: FloatParam,
    /// Low-cut slope, 12 or 18 dB/octave.
    #[id = "lowcut_slope"]
    pub low_cut_slope: EnumParam<SlopeChoice>,
    /// Low shelf gain at 100 Hz, −15 to +15 dB.
    #[id = "eq_low"]
    pub eq_low_db: FloatParam,
    /// Mid bell gain, −15 to +15 dB.
    #[id = "eq_mid"]
    pub eq_mid_db: FloatParam,
    /// Mid bell centre, 100 Hz to 8 kHz (log scale).
    #[id = "eq_mid_freq"]
    pub eq_mid_hz: FloatParam,
    /// Mid bell Q, 0.3 to 6 (log scale).
    #[id = "eq_mid_q"]
    pub eq_mid_q: FloatParam,
    /// High shelf gain at 10 kHz, −15 to +15 dB.
    #[id = "eq_high"]
    pub eq_high_db: FloatParam,
    /// Transparent model gain range: High (0–60 dB) or Low (0–40 dB, lower noise floor).
    #[id = "range"]
    pub range: EnumParam<RangeChoice>,
    /// Transparent model: add the modelled noise floor (EIN −128 dBu).
    #[id = "noise"]
    pub noise: BoolParam,
}

impl SlotParams {
    /// A slot whose parameter names start with `label` ("" for slot A, "B " for slot B).
    pub fn new(label: &str) -> Self {
        let name = |base: &str| format!("{label}{base}");
        Self {
            model: EnumParam::new(name("Model"), ModelChoice::Transparent),
            voicing: EnumParam::new(name("Voicing"), VoicingChoice::Flat),
            input: EnumParam::new(name("Input"), InputChoice::Auto),
            impedance: EnumParam::new(name("Impedance"), ImpedanceChoice::Auto),
            pad: BoolParam::new(name("Pad −20 dB"), false),
            gain_db: decibels(name("Gain"), 0.0, GAIN_MIN_DB, GAIN_MAX_DB),
            output_db: decibels(
                name("Output"),
                0.0,
                -OUTPUT_TRIM_RANGE_DB,
                OUTPUT_TRIM_RANGE_DB,
            ),
            mix: FloatParam::new(name("Mix"), 1.0, FloatRange::Linear { min: 0.0, max: 1.0 })
                .with_unit(" %")
                .with_value_to_string(formatters::v2s_f32_percentage(0))
                .with_string_to_value(formatters::s2v_f32_percentage()),
            invert: BoolParam::new(name("Phase invert"), false),
            low_cut: BoolParam::new(name("Low-cut"), false),
            low_cut_hz: hertz(name("Low-cut frequency"), 80.0, LOW_CUT_RANGE_HZ),
            low_cut_slope: EnumParam::new(name("Low-cut slope"), SlopeChoice::Db12),
            eq_low_db: decibels(name("Low shelf"), 0.0, -EQ_GAIN_RANGE_DB, EQ_GAIN_RANGE_DB),
            eq_mid_db: decibels(name("Mid"), 0.0, -EQ_GAIN_RANGE_DB, EQ_GAIN_RANGE_DB),
            eq_mid_hz: hertz(name("Mid frequency"), 1_000.0, MID_FREQUENCY_RANGE_HZ),
            eq_mid_q: FloatParam::new(
                name("Mid Q"),
                0.7,
                FloatRange::Skewed {
                    min: MID_Q_RANGE.0,
                    max: MID_Q_RANGE.1,
                    factor: FloatRange::skew_factor(-1.5),
                },
            )
            .with_step_size(0.01),
            eq_high_db: decibels(name("High shelf"), 0.0, -EQ_GAIN_RANGE_DB, EQ_GAIN_RANGE_DB),
            range: EnumParam::new(name("Gain range"), RangeChoice::High),
            noise: BoolParam::new(name("Noise floor"), false),
        }
    }

    /// The DSP settings this slot stands for (auto-gain and bypass are added by the caller).
    pub fn channel_settings(&self) -> ChannelSettings {
        ChannelSettings {
            model: self.model.value().model(),
            voicing: self.voicing.value().voicing(),
            input_type: self.input.value().input_type(),
            impedance: self.impedance.value().impedance(),
            pad: self.pad.value(),
            gain_db: self.gain_db.value(),
            output_db: self.output_db.value(),
            mix: self.mix.value(),
            invert_phase: self.invert.value(),
            low_cut: LowCutSettings {
                enabled: self.low_cut.value(),
                frequency_hz: self.low_cut_hz.value(),
                slope: match self.low_cut_slope.value() {
                    SlopeChoice::Db12 => LowCutSlope::Db12,
                    SlopeChoice::Db18 => LowCutSlope::Db18,
                },
            },
            eq: EqSettings {
                low_gain_db: self.eq_low_db.value(),
                mid_gain_db: self.eq_mid_db.value(),
                mid_frequency_hz: self.eq_mid_hz.value(),
                mid_q: self.eq_mid_q.value(),
                high_gain_db: self.eq_high_db.value(),
            },
            transparent: TransparentOptions {
                range: match self.range.value() {
                    RangeChoice::High => GainRange::High,
                    RangeChoice::Low => GainRange::Low,
                },
                noise: self.noise.value(),
            },
            auto_gain: false,
        }
    }
}

/// Every parameter of Gainstage Preamp.
#[derive(Params)]
pub struct PreampParams {
    /// Host bypass: cross-fades to the latency-aligned dry signal.
    #[id = "bypass"]
    pub bypass: BoolParam,
    /// The slot the audio follows, A or B.
    #[id = "ab"]
    pub active_slot: EnumParam<SlotChoice>,
    /// Level match: the output is as loud as the input whatever model, voicing, gain and EQ.
    #[id = "autogain"]
    pub auto_gain: BoolParam,
    /// Oversampling and filter flavour for real-time processing.
    #[id = "quality"]
    pub quality: EnumParam<QualityChoice>,
    /// Oversampling and filter flavour used when the host renders offline.
    #[id = "offline_quality"]
    pub offline_quality: EnumParam<QualityChoice>,
    /// Slot A (plain IDs).
    #[nested(group = "Slot A")]
    pub slot_a: Arc<SlotParams>,
    /// Slot B (IDs prefixed `b_`).
    #[nested(id_prefix = "b", group = "Slot B")]
    pub slot_b: Arc<SlotParams>,
    /// The editor window's size in points, saved with the session (not a parameter).
    #[persist = "editor-size"]
    pub editor_size: PersistedEditorSize,
}

impl Default for PreampParams {
    fn default() -> Self {
        Self {
            bypass: BoolParam::new("Bypass", false)
                .with_value_to_string(formatters::v2s_bool_bypass())
                .with_string_to_value(formatters::s2v_bool_bypass())
                .make_bypass(),
            active_slot: EnumParam::new("A/B", SlotChoice::A),
            auto_gain: BoolParam::new("Auto-gain", false),
            quality: EnumParam::new("Quality", QualityChoice::MinimumPhase4x),
            offline_quality: EnumParam::new("Offline quality", QualityChoice::LinearPhase16x),
            slot_a: Arc::new(SlotParams::new("")),
            slot_b: Arc::new(SlotParams::new("B ")),
            editor_size: crate::editor::default_editor_size(),
        }
    }
}

impl PreampParams {
    /// The slot the audio follows.
    pub fn active(&self) -> &SlotParams {
        match self.active_slot.value() {
            SlotChoice::A => &self.slot_a,
            SlotChoice::B => &self.slot_b,
        }
    }

    /// The DSP settings the present parameter values stand for.
    pub fn channel_settings(&self) -> ChannelSettings {
        let mut settings = self.active().channel_settings();
        settings.auto_gain = self.auto_gain.value();
        if self.bypass.value() {
            settings.mix = 0.0;
        }
        settings
    }
}

impl PreampParams {
    /// The changes that copy slot `from` into the other slot: (full parameter ID, normalised
    /// value) pairs for the editor's `ParamSetter` (A → B writes `b_gain` …, B → A writes `gain` …).
    pub fn copy_changes(&self, from: SlotChoice) -> Vec<(String, f32)> {
        let (source, prefix) = match from {
            SlotChoice::A => (&self.slot_a, "b_"),
            SlotChoice::B => (&self.slot_b, ""),
        };
        source
            .param_map()
            .into_iter()
            .map(|(id, pointer, _)| {
                // SAFETY: the pointer comes from `source`, which outlives this call.
                let value = unsafe { pointer.unmodulated_normalized_value() };
                (format!("{prefix}{id}"), value)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_a_to_b_names_every_slot_b_parameter_with_slot_a_values() {
        let params = PreampParams::default();
        let all_ids: Vec<String> = params
            .param_map()
            .into_iter()
            .map(|(id, _, _)| id)
            .collect();
        let changes = params.copy_changes(SlotChoice::A);
        assert_eq!(changes.len(), params.slot_b.param_map().len());
        for (id, _) in &changes {
            assert!(
                id.starts_with("b_") && all_ids.contains(id),
                "{id} is not a slot B parameter"
            );
        }
        let back = params.copy_changes(SlotChoice::B);
        for (id, _) in &back {
            assert!(
                !id.starts_with("b_") && all_ids.contains(id),
                "{id} is not a slot A parameter"
            );
        }
    }
}
