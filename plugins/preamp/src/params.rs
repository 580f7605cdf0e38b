//! The preamp's parameters, with the ranges and constants the editor also needs.

use nice_plug::prelude::*;

/// Lowest preamp gain in dB.
pub const GAIN_MIN_DB: f32 = 0.0;
/// Highest preamp gain in dB.
pub const GAIN_MAX_DB: f32 = 60.0;
/// Output trim range in dB, symmetric around 0.
pub const OUTPUT_TRIM_RANGE_DB: f32 = 24.0;
/// Smoothing time for gain-like parameters, in milliseconds.
pub const GAIN_SMOOTHING_MS: f32 = 20.0;

/// Every parameter of Gainstage Preamp. IDs are stable: never rename them once shipped.
#[derive(Params)]
pub struct PreampParams {
    /// Host bypass: passes the input through untouched (click-free cross-fade).
    #[id = "bypass"]
    pub bypass: BoolParam,

    /// Preamp gain, 0 to 60 dB of real gain. Stored in dB, smoothed logarithmically in the gain domain.
    #[id = "gain"]
    pub gain_db: FloatParam,

    /// Output trim, −24 to +24 dB, applied after the preamp stage. Stored in dB.
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
            gain_db: FloatParam::new(
                "Gain",
                GAIN_MIN_DB,
                FloatRange::Linear {
                    min: GAIN_MIN_DB,
                    max: GAIN_MAX_DB,
                },
            )
            .with_smoother(SmoothingStyle::Linear(GAIN_SMOOTHING_MS))
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
            .with_smoother(SmoothingStyle::Linear(GAIN_SMOOTHING_MS))
            .with_step_size(0.1)
            .with_unit(" dB"),
        }
    }
}
