//! The model's transfer curve at the present gain, measured by running the DSP model itself.
//!
//! A 1 kHz sine whose clean output would reach [`TRANSFER_RANGE`] × full scale is run through the
//! selected model (a private copy, at the oversampled rate the plugin uses by default) until it
//! settles; the last cycle, output against input, is the curve. Input is shown relative to the
//! level that gives 0 dBFS out at this gain, output in full-scale units: a clean stage draws the
//! diagonal, clipping bends it flat, memory (bias shift, transformer flux) opens it into a loop.
//! Computed only when the model, gain or gain range changes.

use gainstage_dsp::level::db_to_gain;
use gainstage_dsp::preamp::calibration::output_units_per_volt;
use gainstage_dsp::preamp::channel::ChannelSettings;
use gainstage_dsp::preamp::model::{ModelSet, PreampModel};
use gainstage_dsp::preamp::transparent::TransparentOptions;

/// The curve's reach: input and output axes span ± this many full scales.
pub const TRANSFER_RANGE: f32 = 2.0;
/// Test tone, Hz.
const TONE_HZ: f64 = 1_000.0;
/// Rate the model runs at: 48 kHz × 4, the default quality.
const MODEL_RATE: f64 = 192_000.0;
/// Cycles run before the one that is drawn.
const SETTLE_CYCLES: usize = 4;

/// What the curve depends on.
#[derive(Clone, Copy, Debug, PartialEq)]
struct CurveKey {
    model: PreampModel,
    gain_db: f32,
    options: TransparentOptions,
}

/// The transfer-curve calculator: owns a copy of the four models.
pub struct TransferCurve {
    models: ModelSet,
    key: Option<CurveKey>,
    points: Vec<[f32; 2]>,
}

impl Default for TransferCurve {
    fn default() -> Self {
        Self::new()
    }
}

impl TransferCurve {
    /// A calculator with its own models (cloned from the process-wide solved set).
    pub fn new() -> Self {
        let mut models = ModelSet::new();
        models.prepare(MODEL_RATE as f32);
        Self {
            models,
            key: None,
            points: Vec::new(),
        }
    }

    /// The curve for `settings` as (input, output) points, recomputed only when the model, the
    /// gain or the transparent model's options changed.
    pub fn points(&mut self, settings: &ChannelSettings) -> &[[f32; 2]] {
        let key = CurveKey {
            model: settings.model,
            gain_db: settings.gain_db,
            options: TransparentOptions {
                // The noise floor would only blur the curve.
                noise: false,
                ..settings.transparent
            },
        };
        if self.key != Some(key) {
            self.points = self.measure(key);
            self.key = Some(key);
        }
        &self.points
    }

    fn measure(&mut self, key: CurveKey) -> Vec<[f32; 2]> {
        self.models.transparent.set_options(key.options);
        let gain = db_to_gain(f64::from(key.gain_db.clamp(0.0, 60.0)));
        let stage = self.models.stage(key.model);
        stage.reset();
        stage.set_gain(gain as f32);
        // Volts at the output for 1.0 full scale; the input that reaches it cleanly at this gain.
        let full_scale_volts = 1.0 / output_units_per_volt();
        let input_unit_volts = full_scale_volts / gain;
        let amplitude = f64::from(TRANSFER_RANGE) * input_unit_volts;
        let period = (MODEL_RATE / TONE_HZ).round() as usize;
        let mut last_cycle = Vec::with_capacity(period + 1);
        for index in 0..period * (SETTLE_CYCLES + 1) + 1 {
            let phase = std::f64::consts::TAU * index as f64 / period as f64;
            let input = amplitude * phase.sin();
            let output = stage.process_sample(input as f32);
            if index >= period * SETTLE_CYCLES {
                last_cycle.push([
                    input / input_unit_volts,
                    f64::from(output) / full_scale_volts,
                ]);
            }
        }
        // The channel's DC blocker removes a driven stage's offset: so does the drawing.
        let mean = last_cycle.iter().map(|point| point[1]).sum::<f64>() / last_cycle.len() as f64;
        last_cycle
            .into_iter()
            .map(|[input, output]| [input as f32, (output - mean) as f32])
            .collect()
    }
}
