//! Auto-gain: a static level compensation so the output is as loud as the input whatever the
//! model, voicing, gain and EQ — from calibration, not an envelope follower, so it never pumps.
//!
//! The compensation for nominal-level material (pink noise whose samples have an RMS of −18 dBFS,
//! DESIGN.md's line level) is the sum of
//! - the linear digital gain (input calibration × preamp gain),
//! - the pink-weighted power gain of the linear filters before and after the model (source
//!   loading; colour voicing, low-cut and EQ), averaged over third-octave points 20 Hz–20 kHz,
//! - the model's compression at that level: how much less RMS the model gives than a linear
//!   amplifier would. This is measured once per process by running pink noise through every
//!   model at 4× over a grid of output levels (and, for the tube, of second-stage drive), and
//!   interpolated.

use std::sync::{Arc, OnceLock};

use realfft::num_complex::Complex64;

use super::calibration::{input_volts_per_unit, output_units_per_volt};
use super::channel::ChannelSettings;
use super::colour::ColourOutput;
use super::model::{ModelSet, PreampModel};
use super::source::SourceFilter;
use super::tone::settings_response;
use super::transparent::{GainRange, LOW_RANGE_MAX_GAIN_DB};
use super::tube::SECOND_STAGE_ONSET_DB;
use crate::Processor;
use crate::analysis::generator::pink_noise;
use crate::level::{
    DBU_REFERENCE_VOLTS, NOMINAL_RMS_DBFS, db_to_gain, gain_to_db, sample_rms_to_dbu,
};
use crate::oversample::{FilterFlavour, Oversampler, OversamplingFactor};

/// Linear output levels (dBu RMS) of the calibration grid: from here …
const LEVEL_GRID_START_DBU: f64 = -10.0;
/// … in steps of this many dB …
const LEVEL_GRID_STEP_DB: f64 = 4.0;
/// … this many points (−10 to +74 dBu).
const LEVEL_GRID_POINTS: usize = 22;
/// Tube second-stage drive above its onset, dB: step …
const EXCESS_GRID_STEP_DB: f64 = 3.0;
/// … and points (0 to 27 dB).
const EXCESS_GRID_POINTS: usize = 10;
/// Pink noise length per compression point, host-rate samples at 48 kHz.
const CALIBRATION_SAMPLES: usize = 16_384;
/// Pink noise length of the low-level (linear) runs: a full second, so the sub-audio part of the
/// noise that coupling capacitors and transformers remove is represented as in real material.
const LINEAR_CALIBRATION_SAMPLES: usize = 48_000;
/// Host rate of the calibration runs, Hz.
const CALIBRATION_RATE: f32 = 48_000.0;
/// Third-octave points for the pink-weighted filter loudness, 10 Hz–20 kHz (the sub-audio octave
/// counts: pink program has energy there that loading and coupling filters take away).
const LOUDNESS_POINTS: usize = 34;
/// Lowest loudness point, Hz.
const LOUDNESS_LOWEST_HZ: f64 = 10.0;

/// Measured compression (dB, ≤ 0 where the model limits) on the calibration grid, relative to
/// the model's own low-level gain, and that low-level gain's pink loudness.
#[derive(Debug)]
struct CompressionTables {
    /// `[excess][first-stage level]` for the tube: the first stage's linear output level is the
    /// column (dBu), the second stage's drive above its onset the row.
    tube: Vec<[f32; LEVEL_GRID_POINTS]>,
    solid_state: [f32; LEVEL_GRID_POINTS],
    transparent: [f32; LEVEL_GRID_POINTS],
    colour: [f32; LEVEL_GRID_POINTS],
    /// Low-level (linear) loudness of each model's path relative to its nominal gain, dB: the
    /// oversampling filters' and ADAA's gentle top-end loss on pink noise, `[model index]`.
    linear_db: [f32; 4],
}

/// The level-match calculator; cheap to clone (the tables are shared).
#[derive(Clone, Debug)]
pub struct LevelMatch {
    tables: Arc<CompressionTables>,
}

impl LevelMatch {
    /// The calibration for this process, measured on first use (about a tenth of a second) and
    /// shared afterwards. Call outside the audio thread.
    pub fn shared() -> Self {
        static TABLES: OnceLock<Arc<CompressionTables>> = OnceLock::new();
        Self {
            tables: TABLES.get_or_init(|| Arc::new(measure_tables())).clone(),
        }
    }

    /// The gain (dB) that brings nominal-level pink noise through a channel with `settings` back
    /// to its input level. `source` is the channel's source filter (for its response).
    pub fn compensation_db(
        &self,
        settings: &ChannelSettings,
        source: &SourceFilter,
        sample_rate: f32,
    ) -> f64 {
        let input_type = settings.effective_input_type();
        let mut gain_db = f64::from(settings.gain_db.clamp(0.0, 60.0));
        if settings.model == PreampModel::Transparent
            && settings.transparent.range == GainRange::Low
        {
            gain_db = gain_db.min(LOW_RANGE_MAX_GAIN_DB);
        }
        let linear_db =
            gain_to_db(input_volts_per_unit(input_type, settings.pad) * output_units_per_volt())
                + gain_db;
        let before_db = pink_loudness_db(|frequency| source.response(frequency));
        // The colour voicing's loudness is part of the model's measured low-level gain.
        let after_db = pink_loudness_db(|frequency| {
            settings_response(&settings.low_cut, &settings.eq, sample_rate, frequency)
        });
        let linear_output_dbu =
            sample_rms_to_dbu(db_to_gain(NOMINAL_RMS_DBFS)) + linear_db + before_db;
        let excess_db = (gain_db - SECOND_STAGE_ONSET_DB).max(0.0);
        let compression_db = self.compression_db(settings.model, linear_output_dbu, excess_db);
        let model_linear_db = f64::from(self.tables.linear_db[model_index(settings.model)]);
        -(linear_db + before_db + model_linear_db + compression_db + after_db)
    }

    /// Interpolated compression of `model` at a linear output level (dBu) and tube excess (dB).
    fn compression_db(&self, model: PreampModel, level_dbu: f64, excess_db: f64) -> f64 {
        let row = |table: &[f32; LEVEL_GRID_POINTS]| interpolate_level(table, level_dbu);
        match model {
            PreampModel::SolidState => row(&self.tables.solid_state),
            PreampModel::Transparent => row(&self.tables.transparent),
            PreampModel::Colour => row(&self.tables.colour),
            PreampModel::Tube => {
                let position =
                    (excess_db / EXCESS_GRID_STEP_DB).clamp(0.0, (EXCESS_GRID_POINTS - 1) as f64);
                let lower = (position.floor() as usize).min(EXCESS_GRID_POINTS - 2);
                let fraction = position - lower as f64;
                let first_stage_dbu = level_dbu - excess_db;
                let low = interpolate_level(&self.tables.tube[lower], first_stage_dbu);
                let high = interpolate_level(&self.tables.tube[lower + 1], first_stage_dbu);
                low + fraction * (high - low)
            }
        }
    }
}

fn model_index(model: PreampModel) -> usize {
    PreampModel::ALL
        .iter()
        .position(|&candidate| candidate == model)
        .unwrap_or(0)
}

/// Linear interpolation in a level row, clamped at its ends.
fn interpolate_level(table: &[f32; LEVEL_GRID_POINTS], level_dbu: f64) -> f64 {
    let position = ((level_dbu - LEVEL_GRID_START_DBU) / LEVEL_GRID_STEP_DB)
        .clamp(0.0, (LEVEL_GRID_POINTS - 1) as f64);
    let lower = (position.floor() as usize).min(LEVEL_GRID_POINTS - 2);
    let fraction = position - lower as f64;
    f64::from(table[lower]) + fraction * f64::from(table[lower + 1] - table[lower])
}

/// Pink-weighted power gain (dB) of a response: the mean of |H|² over third-octave points from
/// 10 Hz to 20 kHz (pink noise has equal power per octave).
pub fn pink_loudness_db(response: impl Fn(f64) -> Complex64) -> f64 {
    let ratio = 2f64.powf(1.0 / 3.0);
    let mut frequency = LOUDNESS_LOWEST_HZ;
    let mut sum = 0.0;
    for _ in 0..LOUDNESS_POINTS {
        sum += response(frequency).norm_sqr();
        frequency *= ratio;
    }
    10.0 * (sum / LOUDNESS_POINTS as f64).log10()
}

fn rms(signal: &[f32]) -> f64 {
    let mean = signal.iter().map(|&sample| f64::from(sample)).sum::<f64>() / signal.len() as f64;
    (signal
        .iter()
        .map(|&sample| (f64::from(sample) - mean).powi(2))
        .sum::<f64>()
        / signal.len() as f64)
        .sqrt()
}

/// Runs pink noise of `input_rms_volts` through `model` at gain `gain_db` (4× minimum phase)
/// and returns the output RMS relative to an ideal amplifier of that gain, dB.
fn measure_point(
    models: &mut ModelSet,
    model: PreampModel,
    noise: &[f32],
    input_rms_volts: f64,
    gain_db: f64,
) -> f32 {
    let mut oversampler = Oversampler::new(OversamplingFactor::X4, FilterFlavour::MinimumPhase);
    oversampler.prepare(noise.len());
    let stage = models.stage(model);
    stage.reset();
    let gain = db_to_gain(gain_db) as f32;
    stage.set_gain(gain);
    let mut signal: Vec<f32> = noise
        .iter()
        .map(|&sample| (f64::from(sample) * input_rms_volts) as f32)
        .collect();
    let high_rate = oversampler.upsample(&signal);
    stage.process_block(high_rate);
    oversampler.downsample(&mut signal);
    if model == PreampModel::Colour {
        // The output transformer saturates too; the voicing's linear loudness cancels against
        // the low-level run.
        let mut output = ColourOutput::new(CALIBRATION_RATE);
        signal
            .iter_mut()
            .for_each(|sample| *sample = output.process_sample(*sample));
    }
    // Skip the first quarter (filters and bias settling).
    let settled = &signal[signal.len() / 4..];
    let expected = input_rms_volts * f64::from(gain) * rms(&noise[noise.len() / 4..]);
    (gain_to_db(rms(settled) / expected)) as f32
}

fn measure_tables() -> CompressionTables {
    let mut models = ModelSet::new();
    models.prepare(CALIBRATION_RATE * 4.0);
    // Unit-RMS pink noise; each point scales it to the input level it needs.
    let noise = pink_noise(0x5eed, 1.0, CALIBRATION_SAMPLES);
    let level_volts = |level_dbu: f64| DBU_REFERENCE_VOLTS * db_to_gain(level_dbu);
    let level_at = |index: usize| LEVEL_GRID_START_DBU + index as f64 * LEVEL_GRID_STEP_DB;
    // The low-level gain of each model's path, from runs 60 dB below nominal: over a long
    // stretch for the loudness, over the short one as the reference of the compression rows.
    let long_noise = pink_noise(0x5eed, 1.0, LINEAR_CALIBRATION_SAMPLES);
    let mut linear_db = [0.0f32; 4];
    let mut short_linear_db = [0.0f32; 4];
    for (index, model) in PreampModel::ALL.into_iter().enumerate() {
        linear_db[index] = measure_point(&mut models, model, &long_noise, level_volts(-60.0), 20.0);
        short_linear_db[index] =
            measure_point(&mut models, model, &noise, level_volts(-60.0), 20.0);
    }
    // Each row: compression re the low-level gain, with the column the linear output level of
    // the first (or only) stage and `excess_db` of further gain after it.
    let row_for = |models: &mut ModelSet, model: PreampModel, excess_db: f64| {
        let base = short_linear_db[model_index(model)];
        let first_gain_db = if model == PreampModel::Tube {
            SECOND_STAGE_ONSET_DB
        } else {
            20.0
        };
        let mut row = [0.0f32; LEVEL_GRID_POINTS];
        for (index, value) in row.iter_mut().enumerate() {
            let input_dbu = level_at(index) - first_gain_db;
            let gain_db = first_gain_db + excess_db;
            *value = measure_point(models, model, &noise, level_volts(input_dbu), gain_db) - base;
        }
        row
    };
    let tube = (0..EXCESS_GRID_POINTS)
        .map(|excess| {
            row_for(
                &mut models,
                PreampModel::Tube,
                excess as f64 * EXCESS_GRID_STEP_DB,
            )
        })
        .collect();
    CompressionTables {
        tube,
        solid_state: row_for(&mut models, PreampModel::SolidState, 0.0),
        transparent: row_for(&mut models, PreampModel::Transparent, 0.0),
        colour: row_for(&mut models, PreampModel::Colour, 0.0),
        linear_db,
    }
}
