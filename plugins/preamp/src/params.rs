//! The preamp's parameters, with the ranges and constants the editor also needs.

use gainstage_dsp::preamp::channel::ChannelSettings;
use gainstage_dsp::preamp::model::PreampModel;
use nice_plug::prelude::*;

/// Lowest preamp gain in dB.
pub const GAIN_MIN_DB: f32 = 0.0;
/// Highest preamp gain in dB.
pub const GAIN_MAX_DB: f32 = 60.0;
/// Output trim range in dB, symmetric around 0.
pub const OUTPUT_TRIM_RANGE_DB: f32 = 24.0;

/// The preamp model, as shown to the host. Variant IDs are stable; names are for display.
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

/// Every parameter of Gainstage Preamp. IDs are stable: never rename them once shipped.
#[derive(Params)]
pub struct PreampParams {
    /// Host bypass: passes the input through untouched (click-free cross-fade).
    #[id = "bypass"]
    pub bypass: BoolParam,

    /// The circuit modelled: tube, solid-state, transparent or colour. Switching cross-fades.
    #[id = "model"]
    pub model: EnumParam<ModelChoice>,

    /// Preamp gain, 0 to 60 dB of real gain (a nominal line source is at unity at 0 dB). Stored
    /// in dB; the DSP smooths it.
    #[id = "gain"]
    pub gain_db: FloatParam,

    /// Output trim, −24 to +24 dB, applied after the preamp stage. Stored in dB; the DSP smooths it.
    #[id = "output"]
    pub output_db: FloatParam,
}

impl Default for PreampParams {
    fn default() -> Self {
        Self {
            bypass: BoolParam::new("Bypass", false)
                .with_value_to_string(formatters::v2s_bool_bypass())
                .with_string_to_value(formatters::s2v_bool_bypass())
                .make_bypass(),
            model: EnumParam::new("Model", ModelChoice::Transparent),
            gain_db: FloatParam::new(
                "Gain",
                GAIN_MIN_DB,
                FloatRange::Linear {
                    min: GAIN_MIN_DB,
                    max: GAIN_MAX_DB,
                },
            )
            .with_step_size(0.1)
            .with_unit(" dB"),
            output_db: FloatParam::new(
                "Output",
                0.0,
                FloatRange::Linear {
                    min: -OUTPUT_TRIM_RANGE_DB,
                    max: OUTPUT_TRIM_RANGE_DB,
                },
            )
            .with_step_size(0.1)
            .with_unit(" dB"),
        }
    }
}

impl PreampParams {
    /// The DSP settings the present parameter values stand for.
    pub fn channel_settings(&self) -> ChannelSettings {
        ChannelSettings {
            model: self.model.value().model(),
            gain_db: self.gain_db.value(),
            output_db: self.output_db.value(),
            mix: if self.bypass.value() { 0.0 } else { 1.0 },
            ..ChannelSettings::default()
        }
    }
}
