//! Factory presets: a table of complete amp setups, as data; and the format of user preset files.
//!
//! nice-plug has no CLAP preset-discovery, so the presets are exposed as this table: each
//! [`Preset`] can list its values as (parameter ID, normalised value) pairs
//! ([`Preset::normalized_values`]), which an editor sends through its `ParamSetter` and a host or
//! test through `clap.params`. Continuous values not listed (input and output gain, the custom
//! speaker's values) keep whatever they are.
//!
//! User presets are files handled by `gainstage_ui::preset_files` in [`USER_PRESET_FORMAT`]: every
//! parameter [`is_stored_in_presets`] accepts (all but bypass and the two quality settings, which
//! belong to the session, not the sound).

use gainstage_ui::preset_files::PresetFormat;
use nice_plug::prelude::*;

use crate::params::{
    AmpTypeChoice, InputMode, NominalLoad, OutputModeChoice, PowerAmpParams, SpeakerChoice,
};

/// User preset files: `<name>.gainstage-poweramp.json` in the per-user `Gainstage/Power Amp` folder.
pub const USER_PRESET_FORMAT: PresetFormat = PresetFormat {
    format: "gainstage-poweramp-preset",
    version: 1,
    extension: ".gainstage-poweramp.json",
    folder: "Power Amp",
    product: "Gainstage Power Amp",
};

/// True for the parameter IDs a user preset stores (everything but bypass and quality).
pub fn is_stored_in_presets(id: &str) -> bool {
    !matches!(id, "bypass" | "quality" | "offline_q")
}

/// How a preset sets the input: a sensitivity (dBu) or a fixed gain (dB).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PresetInput {
    /// Rated power at this input level, dBu.
    Sensitivity(f32),
    /// This voltage gain, dB.
    FixedGain(f32),
}

/// One factory preset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Preset {
    /// Display name.
    pub name: &'static str,
    /// Amp type.
    pub amp_type: AmpTypeChoice,
    /// Rated power, watts.
    pub watts: f32,
    /// Nominal load.
    pub nominal_load: NominalLoad,
    /// Speaker.
    pub speaker: SpeakerChoice,
    /// Input calibration.
    pub input: PresetInput,
    /// Sag, 0–1.
    pub sag: f32,
    /// Negative feedback, dB.
    pub feedback_db: f32,
    /// Presence, 0–1.
    pub presence: f32,
    /// Depth, 0–1.
    pub depth: f32,
    /// Output mapping.
    pub output_mode: OutputModeChoice,
}

/// The factory presets.
pub const FACTORY_PRESETS: &[Preset] = &[
    Preset {
        name: "Tweed 15 W into 1×12",
        amp_type: AmpTypeChoice::TubePushPull6L6,
        watts: 15.0,
        nominal_load: NominalLoad::Eight,
        speaker: SpeakerChoice::OpenBack1x12,
        input: PresetInput::Sensitivity(10.0),
        sag: 0.8,
        feedback_db: 0.0,
        presence: 0.0,
        depth: 0.0,
        output_mode: OutputModeChoice::Normalised,
    },
    Preset {
        name: "Plexi 50 W into 4×12",
        amp_type: AmpTypeChoice::TubePushPullEl34,
        watts: 50.0,
        nominal_load: NominalLoad::Eight,
        speaker: SpeakerChoice::Closed4x12,
        input: PresetInput::Sensitivity(12.0),
        sag: 0.6,
        feedback_db: 6.0,
        presence: 0.5,
        depth: 0.0,
        output_mode: OutputModeChoice::Normalised,
    },
    Preset {
        name: "Brit 100 W into 4×12",
        amp_type: AmpTypeChoice::TubePushPullEl34,
        watts: 100.0,
        nominal_load: NominalLoad::Eight,
        speaker: SpeakerChoice::Closed4x12,
        input: PresetInput::Sensitivity(14.0),
        sag: 0.4,
        feedback_db: 8.0,
        presence: 0.6,
        depth: 0.4,
        output_mode: OutputModeChoice::Normalised,
    },
    Preset {
        name: "Blackface 40 W into 1×12",
        amp_type: AmpTypeChoice::TubePushPull6L6,
        watts: 40.0,
        nominal_load: NominalLoad::Eight,
        speaker: SpeakerChoice::OpenBack1x12,
        input: PresetInput::Sensitivity(14.0),
        sag: 0.3,
        feedback_db: 10.0,
        presence: 0.3,
        depth: 0.0,
        output_mode: OutputModeChoice::Normalised,
    },
    Preset {
        name: "Tube bass 300 W into 1×15",
        amp_type: AmpTypeChoice::TubePushPull6L6,
        watts: 300.0,
        nominal_load: NominalLoad::Eight,
        speaker: SpeakerChoice::Bass1x15,
        input: PresetInput::Sensitivity(16.0),
        sag: 0.5,
        feedback_db: 12.0,
        presence: 0.0,
        depth: 0.5,
        output_mode: OutputModeChoice::Normalised,
    },
    Preset {
        name: "SET 8 W into bookshelf",
        amp_type: AmpTypeChoice::TubeSingleEnded,
        watts: 8.0,
        nominal_load: NominalLoad::Eight,
        speaker: SpeakerChoice::HifiBookshelf,
        input: PresetInput::Sensitivity(10.0),
        sag: 0.4,
        feedback_db: 0.0,
        presence: 0.0,
        depth: 0.0,
        output_mode: OutputModeChoice::Normalised,
    },
    Preset {
        name: "Hi-fi 200 W solid-state into bookshelf",
        amp_type: AmpTypeChoice::SolidState,
        watts: 200.0,
        nominal_load: NominalLoad::Eight,
        speaker: SpeakerChoice::HifiBookshelf,
        input: PresetInput::FixedGain(29.0),
        sag: 0.3,
        feedback_db: 0.0,
        presence: 0.0,
        depth: 0.0,
        output_mode: OutputModeChoice::Normalised,
    },
    Preset {
        name: "Studio 150 W class D into monitor",
        amp_type: AmpTypeChoice::ClassD,
        watts: 150.0,
        nominal_load: NominalLoad::Eight,
        speaker: SpeakerChoice::StudioMonitor,
        input: PresetInput::FixedGain(26.0),
        sag: 0.2,
        feedback_db: 6.0,
        presence: 0.0,
        depth: 0.0,
        output_mode: OutputModeChoice::Normalised,
    },
    Preset {
        name: "PA 1000 W class D into 4 Ω dummy load",
        amp_type: AmpTypeChoice::ClassD,
        watts: 1000.0,
        nominal_load: NominalLoad::Four,
        speaker: SpeakerChoice::Resistive,
        input: PresetInput::FixedGain(32.0),
        sag: 0.2,
        feedback_db: 6.0,
        presence: 0.0,
        depth: 0.0,
        output_mode: OutputModeChoice::Volts,
    },
    Preset {
        name: "Solid-state 120 W guitar into 4×12",
        amp_type: AmpTypeChoice::SolidState,
        watts: 120.0,
        nominal_load: NominalLoad::Eight,
        speaker: SpeakerChoice::Closed4x12,
        input: PresetInput::Sensitivity(12.0),
        sag: 0.5,
        feedback_db: 6.0,
        presence: 0.0,
        depth: 0.0,
        output_mode: OutputModeChoice::Normalised,
    },
];

impl Preset {
    /// The preset as (parameter ID, normalised value) pairs for `params`' ranges.
    pub fn normalized_values(&self, params: &PowerAmpParams) -> Vec<(&'static str, f32)> {
        let (input_mode, sensitivity, gain) = match self.input {
            PresetInput::Sensitivity(dbu) => (InputMode::Sensitivity, Some(dbu), None),
            PresetInput::FixedGain(db) => (InputMode::FixedGain, None, Some(db)),
        };
        let mut values = vec![
            ("type", params.amp_type.preview_normalized(self.amp_type)),
            ("watts", params.wattage.preview_normalized(self.watts)),
            (
                "nominal",
                params.nominal_load.preview_normalized(self.nominal_load),
            ),
            ("speaker", params.speaker.preview_normalized(self.speaker)),
            ("in_mode", params.input_mode.preview_normalized(input_mode)),
            ("sag", params.sag.preview_normalized(self.sag)),
            (
                "feedback",
                params.feedback_db.preview_normalized(self.feedback_db),
            ),
            (
                "presence",
                params.presence.preview_normalized(self.presence),
            ),
            ("depth", params.depth.preview_normalized(self.depth)),
            (
                "out_mode",
                params.output_mode.preview_normalized(self.output_mode),
            ),
        ];
        if let Some(dbu) = sensitivity {
            values.push(("sens", params.sensitivity_dbu.preview_normalized(dbu)));
        }
        if let Some(db) = gain {
            values.push(("gain", params.amp_gain_db.preview_normalized(db)));
        }
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::PowerAmpEngine;
    use crate::meters::PowerAmpMeters;
    use std::sync::Arc;

    /// Sets a parameter from its normalised value, as the wrapper does when a host automates it.
    fn set_normalized(params: &PowerAmpParams, id: &str, normalized: f32) {
        let map = params.param_map();
        let (_, pointer, _) = map
            .iter()
            .find(|(candidate, _, _)| candidate == id)
            .unwrap_or_else(|| panic!("no parameter {id}"));
        // SAFETY: the pointer comes from `params`, which outlives this call; the test is the only
        // thread touching the parameters.
        unsafe {
            pointer._internal_set_normalized_value(normalized);
        }
    }

    #[test]
    fn at_least_eight_presets_with_unique_names() {
        assert!(
            FACTORY_PRESETS.len() >= 8,
            "{} presets",
            FACTORY_PRESETS.len()
        );
        for (index, preset) in FACTORY_PRESETS.iter().enumerate() {
            assert!(
                FACTORY_PRESETS[index + 1..]
                    .iter()
                    .all(|other| other.name != preset.name),
                "duplicate preset name {}",
                preset.name
            );
        }
    }

    /// Each preset loads through the parameters (every value lands where the table says) and
    /// then plays: finite output, and line level (−18 dBFS) with the preset's settings.
    #[test]
    fn every_preset_loads_through_the_params_and_plays() {
        for preset in FACTORY_PRESETS {
            let params = PowerAmpParams::default();
            for (id, normalized) in preset.normalized_values(&params) {
                set_normalized(&params, id, normalized);
            }
            assert_eq!(
                params.amp_type.value(),
                preset.amp_type,
                "{}: type",
                preset.name
            );
            assert!(
                (params.wattage.value() - preset.watts).abs() <= 0.05,
                "{}: wattage {} vs {}",
                preset.name,
                params.wattage.value(),
                preset.watts
            );
            assert_eq!(
                params.nominal_load.value(),
                preset.nominal_load,
                "{}",
                preset.name
            );
            assert_eq!(params.speaker.value(), preset.speaker, "{}", preset.name);
            assert_eq!(
                params.output_mode.value(),
                preset.output_mode,
                "{}",
                preset.name
            );
            assert!(
                (params.feedback_db.value() - preset.feedback_db).abs() <= 0.05
                    && (params.sag.value() - preset.sag).abs() <= 1e-3
                    && (params.presence.value() - preset.presence).abs() <= 1e-3
                    && (params.depth.value() - preset.depth).abs() <= 1e-3,
                "{}: feedback/sag/presence/depth did not land",
                preset.name
            );
            match preset.input {
                PresetInput::Sensitivity(dbu) => {
                    assert_eq!(params.input_mode.value(), InputMode::Sensitivity);
                    assert!((params.sensitivity_dbu.value() - dbu).abs() <= 0.05);
                }
                PresetInput::FixedGain(db) => {
                    assert_eq!(params.input_mode.value(), InputMode::FixedGain);
                    assert!((params.amp_gain_db.value() - db).abs() <= 0.05);
                }
            }
            crate::params::settle_smoothers(&params, 48_000.0);
            let mut engine = PowerAmpEngine::with_meters(Arc::new(PowerAmpMeters::default()));
            engine.prepare(48_000.0, 256, 1, false, &params);
            engine.reset(&params);
            let mut audio: Vec<f32> = (0..24_000)
                .map(|index| {
                    (0.1259 * (std::f64::consts::TAU * 440.0 * index as f64 / 48_000.0).sin())
                        as f32
                })
                .collect();
            for block in audio.chunks_mut(256) {
                let mut channels = [block];
                engine.process(&mut channels, &params);
            }
            let peak = audio[12_000..]
                .iter()
                .fold(0.0_f32, |peak, sample| peak.max(sample.abs()));
            assert!(
                audio.iter().all(|sample| sample.is_finite()) && peak > 1.0e-3,
                "{}: output peak {peak} (finite and audible expected)",
                preset.name
            );
            println!(
                "{}: −18 dBFS line level plays at {:.1} dBFS peak, {:.1} W",
                preset.name,
                20.0 * peak.log10(),
                engine.meters().snapshot().average_watts
            );
        }
    }
}
