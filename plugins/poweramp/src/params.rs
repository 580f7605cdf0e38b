//! The power amp's parameters, with the ranges and constants the editor also needs.

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

/// Every parameter of Gainstage Power Amp. IDs are stable: never rename them once shipped.
#[derive(Params)]
pub struct PowerAmpParams {
    /// Host bypass: passes the input through untouched (click-free cross-fade).
    #[id = "bypass"]
    pub bypass: BoolParam,

    /// Input gain, −24 to +24 dB, ahead of the amplifier's own sensitivity. Stored in dB.
    #[id = "input"]
    pub input_db: FloatParam,

    /// Rated power into the nominal load, 1 to 2000 W on a logarithmic scale.
    #[id = "watts"]
    pub wattage: FloatParam,

    /// Output trim, −24 to +24 dB, after the amplifier. Stored in dB.
    #[id = "output"]
    pub output_db: FloatParam,
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
            .with_unit(" dB"),
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
            .with_unit(" W"),
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
