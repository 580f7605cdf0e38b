//! Auto-gain: a static level compensation so the output is as loud as the input whatever the
//! model, voicing, gain and EQ — from calibration, not an envelope follower, so it never pumps.
//!
//! The compensation for nominal-level material (pink noise whose samples have an RMS of −18 dBFS,
//! DESIGN.md's line level) is the sum of
//! - the linear digital gain (input calibration × preamp gain),
//! - the pink-weighted power gain of the linear filters, taken jointly (DC blocker × source
//!   loading × the model's known linear response — the colour model's transformers and voicing —
//!   × low-cut and EQ) over third-octave points 1.25 Hz–20 kHz weighted like pink test noise
//!   ([`pink_loudness_db`]): a pickup's resonance and the colour voicing's presence lift add where
//!   they overlap, which separate loudness figures missed by 1.4 dB;
//! - the rest of the model's low-level loudness, measured (oversampling and ADAA top-end loss,
//!   coupling capacitors);
//! - the model's compression at that level: how much less RMS the model gives than a linear
//!   amplifier would. This is measured once per process by running pink noise through every
//!   model at 2× over a grid of output levels (and, for the tube, of second-stage drive; for the
//!   colour model, whose transformers saturate on low frequencies, with the noise shaped by each
//!   kind of source), and interpolated.
//!
//! Measured (`dsp/tests/preamp.rs`): −18 dBFS pink noise comes out within ±0.52 dB of its input
//! for every model × voicing × gain in {0, 20, 40, 60} dB. The calibration takes about 0.3 s
//! (plus the first solve of the models, shared with [`ModelSet::new`]).

use std::sync::{Arc, OnceLock};

use realfft::RealFftPlanner;
use realfft::num_complex::Complex64;

use super::calibration::{input_volts_per_unit, output_units_per_volt};
use super::channel::{ChannelSettings, DC_BLOCKER_HZ};
use super::colour::{ColourInput, ColourOutput, ColourResponse};
use super::model::{ModelSet, PreampModel};
use super::source::SourceFilter;
use super::tone::ToneResponse;
use super::transparent::{GainRange, LOW_RANGE_MAX_GAIN_DB};
#[cfg(doc)]
use super::tube::SECOND_STAGE_FADE_DB;
use super::tube::SECOND_STAGE_ONSET_DB;
use super::voicing::Voicing;
use crate::Processor;
use crate::analysis::generator::pink_noise;
use crate::filter::dc_blocker::DcBlocker;
use crate::level::{
    DBU_REFERENCE_VOLTS, NOMINAL_LINE_DBU, NOMINAL_RMS_DBFS, db_to_gain, gain_to_db,
    sample_rms_to_dbu,
};
use crate::oversample::{FilterFlavour, Oversampler, OversamplingFactor};

/// Linear output levels (dBu RMS) of the calibration grid: from here …
const LEVEL_GRID_START_DBU: f64 = -10.0;
/// … in steps of this many dB …
const LEVEL_GRID_STEP_DB: f64 = 4.0;
/// … this many points (−10 to +74 dBu).
const LEVEL_GRID_POINTS: usize = 22;
/// Tube second-stage drive above its onset, dB: fine steps across the hand-over from one to two
/// stages ([`SECOND_STAGE_FADE_DB`], where the blend of a clean and a driven path makes the
/// compression bend sharply), 4 dB steps beyond, to the top of the gain range (60 dB).
const EXCESS_GRID_DB: [f64; 10] = [0.0, 1.5, 3.0, 4.5, 6.0, 10.0, 14.0, 18.0, 22.0, 26.0];
/// Pink noise length per compression point, host-rate samples at 48 kHz.
const CALIBRATION_SAMPLES: usize = 16_384;
/// Pink noise length of the low-level (linear) runs: a full second, so the sub-audio part of the
/// noise that coupling capacitors and transformers remove is represented as in real material.
const LINEAR_CALIBRATION_SAMPLES: usize = 48_000;
/// Oversampling of the compression runs.
const COMPRESSION_FACTOR: OversamplingFactor = OversamplingFactor::X2;
/// Host rate of the calibration runs, Hz.
const CALIBRATION_RATE: f32 = 48_000.0;
/// Third-octave points for the pink-weighted filter loudness, 1.25 Hz–20 kHz (the sub-audio
/// octaves count: pink noise has energy there that loading, coupling and DC-blocking filters
/// take away).
const LOUDNESS_POINTS: usize = 43;
/// Lowest loudness point, Hz.
const LOUDNESS_LOWEST_HZ: f64 = 1.25;
/// Below this frequency pink test noise is white rather than pink: the corner of the slowest pole
/// of Paul Kellet's pinking filter (the usual generator, also [`pink_noise`]'s), 8.7 Hz at
/// 48 kHz. Energy per third-octave band falls in proportion to frequency below it.
const PINK_NOISE_CORNER_HZ: f64 = 8.7;

/// Measured compression (dB, ≤ 0 where the model limits) on the calibration grid, relative to
/// the model's own low-level gain, and that low-level gain's pink loudness.
#[derive(Debug)]
struct CompressionTables {
    /// `[excess][first-stage level]` for the tube: the first stage's linear output level is the
    /// column (dBu), the second stage's drive above its onset the row.
    tube: Vec<[f32; LEVEL_GRID_POINTS]>,
    solid_state: [f32; LEVEL_GRID_POINTS],
    transparent: [f32; LEVEL_GRID_POINTS],
    /// One row per source class ([`colour_source_class`]): the colour model's transformers
    /// saturate on low frequencies, so how much it compresses depends on the source's spectrum.
    colour: [[f32; LEVEL_GRID_POINTS]; COLOUR_SOURCE_CLASSES],
    /// Low-level (linear) loudness of each model's path relative to its nominal gain beyond
    /// what [`ModelResponse`] accounts for, dB: the oversampling filters' and ADAA's
    /// gentle top-end loss on pink noise, coupling capacitors, `[model index]`.
    linear_db: [f32; 4],
}

/// The level-match calculator; cheap to clone (the tables are shared).
#[derive(Clone, Debug)]
pub struct LevelMatch {
    tables: Arc<CompressionTables>,
}

impl LevelMatch {
    /// The calibration for this process, measured on first use (about 0.3 s) and shared
    /// afterwards. Call outside the audio thread.
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
        // The level into the model sets its compression; the loudness of everything linear is
        // taken jointly (source × model × low-cut and EQ), since a pickup's resonance and the
        // colour model's presence lift, say, add where they overlap.
        let before_db = pink_loudness_db(|frequency| source.response(frequency));
        let dc_blocker = DcBlocker::new(sample_rate, DC_BLOCKER_HZ);
        let model = ModelResponse::new(settings.model, sample_rate);
        let tone = ToneResponse::new(&settings.low_cut, &settings.eq, sample_rate);
        let filters_db = pink_loudness_db(|frequency| {
            dc_blocker.response(frequency)
                * source.response(frequency)
                * model.at(frequency)
                * tone.at(frequency)
        });
        let linear_output_dbu =
            sample_rms_to_dbu(db_to_gain(NOMINAL_RMS_DBFS)) + linear_db + before_db;
        let excess_db = (gain_db - SECOND_STAGE_ONSET_DB).max(0.0);
        let compression_db = self.compression_db(
            settings.model,
            settings.voicing,
            linear_output_dbu,
            excess_db,
        );
        let model_residual_db = f64::from(self.tables.linear_db[model_index(settings.model)]);
        -(linear_db + filters_db + model_residual_db + compression_db)
    }

    /// Interpolated compression of `model` at a linear output level (dBu) and tube excess (dB),
    /// for a source like `voicing`'s.
    fn compression_db(
        &self,
        model: PreampModel,
        voicing: Voicing,
        level_dbu: f64,
        excess_db: f64,
    ) -> f64 {
        let row = |table: &[f32; LEVEL_GRID_POINTS]| interpolate_level(table, level_dbu);
        match model {
            PreampModel::SolidState => row(&self.tables.solid_state),
            PreampModel::Transparent => row(&self.tables.transparent),
            PreampModel::Colour => row(&self.tables.colour[colour_source_class(voicing)]),
            PreampModel::Tube => {
                let excess_db = excess_db.clamp(0.0, EXCESS_GRID_DB[EXCESS_GRID_DB.len() - 1]);
                let lower = EXCESS_GRID_DB
                    .windows(2)
                    .position(|pair| excess_db <= pair[1])
                    .unwrap_or(EXCESS_GRID_DB.len() - 2);
                let fraction = (excess_db - EXCESS_GRID_DB[lower])
                    / (EXCESS_GRID_DB[lower + 1] - EXCESS_GRID_DB[lower]);
                let first_stage_dbu = level_dbu - excess_db;
                let low = interpolate_level(&self.tables.tube[lower], first_stage_dbu);
                let high = interpolate_level(&self.tables.tube[lower + 1], first_stage_dbu);
                low + fraction * (high - low)
            }
        }
    }
}

/// The part of a model's low-level response known in closed form (the colour model's
/// transformers and voicing EQ; the others: flat), so it can join the source and EQ in one
/// loudness figure.
struct ModelResponse {
    /// The colour model's response; `None` for the flat models.
    colour: Option<ColourResponse>,
}

impl ModelResponse {
    fn new(model: PreampModel, sample_rate: f32) -> Self {
        Self {
            colour: (model == PreampModel::Colour).then(|| ColourResponse::new(sample_rate)),
        }
    }

    fn at(&self, frequency_hz: f64) -> Complex64 {
        self.colour
            .as_ref()
            .map_or(Complex64::new(1.0, 0.0), |colour| colour.at(frequency_hz))
    }
}

/// Number of source classes the colour model's compression is measured for.
const COLOUR_SOURCE_CLASSES: usize = 4;

/// The voicings whose default sources stand for the colour source classes, in class order.
const COLOUR_SOURCE_VOICINGS: [Voicing; COLOUR_SOURCE_CLASSES] = [
    Voicing::Flat,
    Voicing::AcousticGuitar,
    Voicing::ElectricGuitar,
    Voicing::Bass,
];

/// The colour source class of `voicing`: voicings whose default sources have the same spectrum
/// share one (line outputs and dynamic microphones are flat across the audio band).
fn colour_source_class(voicing: Voicing) -> usize {
    match voicing {
        Voicing::Flat | Voicing::KeysLine | Voicing::Vocal | Voicing::Drums => 0,
        Voicing::AcousticGuitar => 1,
        Voicing::ElectricGuitar => 2,
        Voicing::Bass => 3,
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
/// 1.25 Hz to 20 kHz weighted by pink test noise's power in each band (equal per band above
/// 8.7 Hz, falling with frequency below it, where the generator is white).
pub fn pink_loudness_db(response: impl Fn(f64) -> Complex64) -> f64 {
    let ratio = 2f64.powf(1.0 / 3.0);
    let mut frequency = LOUDNESS_LOWEST_HZ;
    let (mut sum, mut total_weight) = (0.0, 0.0);
    for _ in 0..LOUDNESS_POINTS {
        let weight = (frequency / PINK_NOISE_CORNER_HZ).min(1.0);
        sum += weight * response(frequency).norm_sqr();
        total_weight += weight;
        frequency *= ratio;
    }
    10.0 * (sum / total_weight).log10()
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

/// Models and an oversampler for the calibration runs at one oversampling factor.
struct CalibrationBench {
    models: ModelSet,
    oversampler: Oversampler,
    colour_input: ColourInput,
    colour_output: ColourOutput,
}

impl CalibrationBench {
    fn new(models: &ModelSet, factor: OversamplingFactor, max_block: usize) -> Self {
        let mut models = models.clone();
        models.prepare(CALIBRATION_RATE * factor.ratio() as f32);
        let mut oversampler = Oversampler::new(factor, FilterFlavour::MinimumPhase);
        oversampler.prepare(max_block);
        Self {
            models,
            oversampler,
            colour_input: ColourInput::new(CALIBRATION_RATE),
            colour_output: ColourOutput::new(CALIBRATION_RATE),
        }
    }

    /// Runs `noise` scaled to `input_rms_volts` (RMS) through `model` at gain `gain_db` and
    /// returns the output RMS relative to an ideal amplifier of that gain, dB.
    fn measure_point(
        &mut self,
        model: PreampModel,
        noise: &[f32],
        input_rms_volts: f64,
        gain_db: f64,
    ) -> f32 {
        self.oversampler.reset();
        let stage = self.models.stage(model);
        stage.reset();
        let gain = db_to_gain(gain_db) as f32;
        stage.set_gain(gain);
        let mut signal: Vec<f32> = noise
            .iter()
            .map(|&sample| (f64::from(sample) * input_rms_volts) as f32)
            .collect();
        if model == PreampModel::Colour {
            // The input transformer runs at the host rate, before the upsampler.
            self.colour_input.reset();
            self.colour_input.process_block(&mut signal);
        }
        let high_rate = self.oversampler.upsample(&signal);
        stage.process_block(high_rate);
        self.oversampler.downsample(&mut signal);
        if model == PreampModel::Colour {
            // The output transformer saturates too; the voicing's linear loudness cancels
            // against the low-level run.
            let output = &mut self.colour_output;
            output.reset();
            signal
                .iter_mut()
                .for_each(|sample| *sample = output.process_sample(*sample));
        }
        // Skip the first quarter (filters and bias settling).
        let settled = &signal[signal.len() / 4..];
        let expected = input_rms_volts * f64::from(gain) * rms(&noise[noise.len() / 4..]);
        (gain_to_db(rms(settled) / expected)) as f32
    }

    /// One compression row of `model`: for each grid level, the compression relative to the
    /// low-level run, with the column the linear output level of the first (or only) stage and
    /// `excess_db` of further gain after it. Measured from the top down; once the compression
    /// has changed by less than [`NEGLIGIBLE_COMPRESSION_DB`] over two grid steps in a row, the
    /// model is linear there and the lower levels take the last value.
    fn row(
        &mut self,
        model: PreampModel,
        noise: &[f32],
        excess_db: f64,
    ) -> [f32; LEVEL_GRID_POINTS] {
        let level_volts = |level_dbu: f64| DBU_REFERENCE_VOLTS * db_to_gain(level_dbu);
        let first_gain_db = if model == PreampModel::Tube {
            SECOND_STAGE_ONSET_DB
        } else {
            20.0
        };
        let base = self.measure_point(model, noise, level_volts(-60.0), first_gain_db);
        // Nominal material reaches at most +4 dBu plus the gain above a line input's nominal
        // (0 dB): +64 dBu out, and the tube's first stage at most the onset gain of that.
        let highest_gain_db = if model == PreampModel::Tube {
            SECOND_STAGE_ONSET_DB
        } else {
            60.0
        };
        let highest_dbu = NOMINAL_LINE_DBU + highest_gain_db + LEVEL_MARGIN_DB;
        let top_index = (((highest_dbu - LEVEL_GRID_START_DBU) / LEVEL_GRID_STEP_DB).ceil()
            as usize)
            .min(LEVEL_GRID_POINTS - 1);
        let mut row = [0.0f32; LEVEL_GRID_POINTS];
        let mut flat_steps = 0;
        for index in (0..=top_index).rev() {
            if flat_steps >= 2 {
                row[index] = row[index + 1];
                continue;
            }
            let level_dbu = LEVEL_GRID_START_DBU + index as f64 * LEVEL_GRID_STEP_DB;
            let input_dbu = level_dbu - first_gain_db;
            let gain_db = first_gain_db + excess_db;
            row[index] = self.measure_point(model, noise, level_volts(input_dbu), gain_db) - base;
            let change = row
                .get(index + 1)
                .map_or(f32::INFINITY, |above| (above - row[index]).abs());
            if change < NEGLIGIBLE_COMPRESSION_DB {
                flat_steps += 1;
            } else {
                flat_steps = 0;
            }
        }
        // Levels nominal material cannot reach: held at the highest measured value.
        for index in top_index + 1..LEVEL_GRID_POINTS {
            row[index] = row[top_index];
        }
        row
    }
}

/// Margin above the highest level nominal material reaches, dB (sources that lift the level).
const LEVEL_MARGIN_DB: f64 = 6.0;

/// A change of compression below this (dB) per grid step counts as none when measuring a row
/// from the top down.
const NEGLIGIBLE_COMPRESSION_DB: f32 = 0.01;

/// `signal` filtered by `response` (Hz → complex gain at the calibration rate) in the frequency
/// domain: one FFT of the whole signal (circular; the callers skip the first quarter).
fn filter_by_response(signal: &[f32], response: impl Fn(f64) -> Complex64) -> Vec<f32> {
    let length = signal.len();
    let mut planner = RealFftPlanner::<f64>::new();
    let forward = planner.plan_fft_forward(length);
    let inverse = planner.plan_fft_inverse(length);
    let mut time: Vec<f64> = signal.iter().map(|&sample| f64::from(sample)).collect();
    let mut spectrum = forward.make_output_vec();
    forward
        .process(&mut time, &mut spectrum)
        .expect("FFT buffers sized by the planner");
    let bin_hz = f64::from(CALIBRATION_RATE) / length as f64;
    for (bin, value) in spectrum.iter_mut().enumerate() {
        *value *= response(bin as f64 * bin_hz);
    }
    // A real signal's DC and Nyquist bins must stay real.
    spectrum[0].im = 0.0;
    if length.is_multiple_of(2) {
        let last = spectrum.len() - 1;
        spectrum[last].im = 0.0;
    }
    inverse
        .process(&mut spectrum, &mut time)
        .expect("FFT buffers sized by the planner");
    time.iter()
        .map(|&sample| (sample / length as f64) as f32)
        .collect()
}

/// `noise` through the default source of `voicing` at the calibration rate, scaled back to unit
/// RMS: calibration noise with that source's spectrum.
fn noise_through_source(noise: &[f32], voicing: Voicing) -> Vec<f32> {
    let defaults = voicing.defaults();
    let mut source = SourceFilter::new(
        voicing.source_load(defaults.input_type, defaults.impedance),
        CALIBRATION_RATE,
    );
    let filtered: Vec<f32> = noise
        .iter()
        .map(|&sample| source.process_sample(sample))
        .collect();
    let scale = 1.0 / rms(&filtered[filtered.len() / 4..]).max(1e-30);
    filtered
        .iter()
        .map(|&sample| (f64::from(sample) * scale) as f32)
        .collect()
}

fn measure_tables() -> CompressionTables {
    let models = ModelSet::new();
    let level_volts = |level_dbu: f64| DBU_REFERENCE_VOLTS * db_to_gain(level_dbu);
    // The low-level gain of each model's path beyond its known linear response, from long runs
    // 60 dB below nominal at the default quality (4× minimum phase).
    let long_noise = pink_noise(0x5eed, 1.0, LINEAR_CALIBRATION_SAMPLES);
    let mut linear_bench = CalibrationBench::new(&models, OversamplingFactor::X4, long_noise.len());
    let mut linear_db = [0.0f32; 4];
    for (index, model) in PreampModel::ALL.into_iter().enumerate() {
        // What the known linear response alone does to this very noise (not to pink noise in
        // general: a second of noise has a random share of sub-audio energy, which the colour
        // model's transformers remove), so the residual holds only what the response leaves out.
        let known = ModelResponse::new(model, CALIBRATION_RATE);
        let filtered = filter_by_response(&long_noise, |frequency| known.at(frequency));
        let settled = long_noise.len() / 4;
        let known_db = gain_to_db(rms(&filtered[settled..]) / rms(&long_noise[settled..])) as f32;
        linear_db[index] =
            linear_bench.measure_point(model, &long_noise, level_volts(-60.0), 20.0) - known_db;
    }
    // Compression at 2×: it depends on the level, not on the last decibels of aliasing.
    let noise = pink_noise(0x5eed, 1.0, CALIBRATION_SAMPLES);
    let mut bench = CalibrationBench::new(&models, COMPRESSION_FACTOR, noise.len());
    let tube: Vec<_> = EXCESS_GRID_DB
        .iter()
        .map(|&excess_db| bench.row(PreampModel::Tube, &noise, excess_db))
        .collect();
    let colour = COLOUR_SOURCE_VOICINGS.map(|voicing| {
        bench.row(
            PreampModel::Colour,
            &noise_through_source(&noise, voicing),
            0.0,
        )
    });
    CompressionTables {
        tube,
        solid_state: bench.row(PreampModel::SolidState, &noise, 0.0),
        transparent: bench.row(PreampModel::Transparent, &noise, 0.0),
        colour,
        linear_db,
    }
}
