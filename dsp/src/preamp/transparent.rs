//! The transparent model: a top-end clean preamp. A discrete class-A output stage on ±30 V rails
//! (+27 dBu) that is linear until close to them, inside a modest feedback loop, so THD+N stays
//! below 0.001 % up to +20 dBu out and the response is flat; a high/low gain-range switch; and an
//! optional modelled noise floor (EIN −128 dBu).
//!
//! The output stage follows Rapp's saturation law `v/(1 + |v|^(2p))^(1/(2p))` (see
//! [`crate::shape::opamp`]) with a high smoothness exponent, [`OUTPUT_STAGE_SMOOTHNESS`]: its own
//! distortion grows as `|v|^(2p)`, so it is negligible well below the rail and all of its bend
//! sits in the last few dB. The loop around it is modest, [`LOOP_GAIN`] (12 dB): deep feedback
//! (80 dB around a smoothness-1 stage, the first design) turned the rail into a hard clip whose
//! corner aliased at −83 dB at 4× minimum phase; with 12 dB the knee keeps the width of the
//! output stage's own bend while the stage stays clean far below it. Measured (4× minimum phase,
//! 48 kHz): THD+N 0.00002 % at +18 dBu out and 0.00004 % at +20 dBu; aliasing −114 dB at a drive
//! giving 5 % THD (7 kHz test), −101 dB at 8 %, −129 dB at 16× linear phase. Among the loop gains
//! 4–30 and exponents 1–8 tried, this pair had the most margin on both figures.
//! The loop's small-signal gain `L/(1 + L)` is made up ahead of the stage, so the model's gain is
//! exactly the gain control's.

use super::model::ModelStage;
use crate::Processor;
use crate::level::{DBU_REFERENCE_VOLTS, db_to_gain, dbu_to_peak_volts};
use crate::shape::opamp::{OpAmpSettings, OpAmpStage};

/// Rail level in dBu of the discrete output stage.
pub const RAIL_DBU: f64 = 27.0;
/// Equivalent input noise in dBu (20 Hz–20 kHz, 150 Ω source), published figure for top-end
/// preamps; the thermal limit of a 150 Ω source is about −131 dBu.
pub const EQUIVALENT_INPUT_NOISE_DBU: f64 = -128.0;
/// Closed-loop gain of the output stage: unity (a follower); the gain control scales the signal
/// ahead of it.
const STAGE_GAIN: f64 = 1.0;
/// Loop gain around the output stage (linear, 12 dB): modest, so the rail knee stays soft.
pub const LOOP_GAIN: f64 = 4.0;
/// Rapp smoothness exponent of the output stage: high, so the stage is linear until near the rail.
pub const OUTPUT_STAGE_SMOOTHNESS: f64 = 6.0;

/// The output stage's settings: rails at [`RAIL_DBU`], a follower with [`LOOP_GAIN`] of loop gain
/// around a smoothness-[`OUTPUT_STAGE_SMOOTHNESS`] output stage.
fn output_stage_settings() -> OpAmpSettings {
    OpAmpSettings {
        rail_voltage: dbu_to_peak_volts(RAIL_DBU),
        closed_loop_gain: STAGE_GAIN,
        open_loop_gain: LOOP_GAIN * STAGE_GAIN,
        output_stage_smoothness: OUTPUT_STAGE_SMOOTHNESS,
    }
}
/// Highest gain in the low gain range, dB.
pub const LOW_RANGE_MAX_GAIN_DB: f64 = 40.0;
/// Output-stage noise in dBu in the high range and in the low range (the low range runs the
/// gain stage with less gain, so its own noise at the output is lower).
pub const OUTPUT_NOISE_DBU: [f64; 2] = [-100.0, -108.0];

/// The gain-range switch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GainRange {
    /// Full 0–60 dB range.
    #[default]
    High,
    /// 0–40 dB with a lower output noise floor.
    Low,
}

impl GainRange {
    /// The highest preamp gain the range allows, dB (60 or [`LOW_RANGE_MAX_GAIN_DB`]).
    pub fn max_gain_db(self) -> f64 {
        match self {
            GainRange::High => 60.0,
            GainRange::Low => LOW_RANGE_MAX_GAIN_DB,
        }
    }
}

/// Options of the transparent model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TransparentOptions {
    /// The gain-range switch.
    pub range: GainRange,
    /// Whether the modelled noise floor is added.
    pub noise: bool,
}

/// The transparent model for one channel.
#[derive(Clone, Debug)]
pub struct TransparentModel {
    stage: OpAmpStage,
    options: TransparentOptions,
    gain: f32,
    /// Input scale: the gain over the stage's small-signal gain (makes up the loop's `L/(1 + L)`).
    input_scale: f32,
    noise_rms_volts: f32,
    noise_state: u32,
}

impl TransparentModel {
    /// Solves and tabulates the output stage.
    pub fn new(options: TransparentOptions) -> Self {
        let mut model = Self {
            stage: OpAmpStage::with_settings(output_stage_settings()),
            options,
            gain: 1.0,
            input_scale: 1.0,
            noise_rms_volts: 0.0,
            noise_state: 0x9E37_79B9,
        };
        model.set_gain(1.0);
        model
    }

    /// Sets the range switch and the noise option.
    pub fn set_options(&mut self, options: TransparentOptions) {
        self.options = options;
        self.update_noise();
    }

    /// The gain in use (linear).
    pub fn effective_gain(&self) -> f32 {
        self.gain
    }

    /// RMS noise voltage at the output in the audio band, volts (0 with noise off).
    pub fn output_noise_rms_volts(&self) -> f32 {
        self.noise_rms_volts
    }

    fn update_noise(&mut self) {
        if !self.options.noise {
            self.noise_rms_volts = 0.0;
            return;
        }
        let input_noise = DBU_REFERENCE_VOLTS * db_to_gain(EQUIVALENT_INPUT_NOISE_DBU);
        let output_noise = DBU_REFERENCE_VOLTS
            * db_to_gain(OUTPUT_NOISE_DBU[matches!(self.options.range, GainRange::Low) as usize]);
        let gained = input_noise * f64::from(self.gain);
        self.noise_rms_volts = gained.hypot(output_noise) as f32;
    }

    /// A noise sample of unit RMS (sum of two uniform variables: triangular, cheap).
    #[inline]
    fn unit_noise(&mut self) -> f32 {
        let mut next = || {
            // xorshift32 (Marsaglia, "Xorshift RNGs", J. Stat. Softw. 2003).
            self.noise_state ^= self.noise_state << 13;
            self.noise_state ^= self.noise_state >> 17;
            self.noise_state ^= self.noise_state << 5;
            self.noise_state as f32 / u32::MAX as f32 - 0.5
        };
        // Each uniform has variance 1/12; the sum of two has 1/6.
        (next() + next()) * 6f32.sqrt()
    }
}

impl Default for TransparentModel {
    fn default() -> Self {
        Self::new(TransparentOptions::default())
    }
}

impl ModelStage for TransparentModel {
    /// Takes the gain as given: the range's limit ([`GainRange::max_gain_db`]) is applied by the
    /// caller, so that a range switch glides to it like any gain change
    /// ([`super::channel::PreampChannel`] does).
    fn set_gain(&mut self, gain: f32) {
        self.gain = gain;
        self.input_scale = (f64::from(self.gain) / self.stage.small_signal_gain()) as f32;
        self.update_noise();
    }
}

impl Processor for TransparentModel {
    fn prepare(&mut self, sample_rate: f32, max_block: usize) {
        self.stage.prepare(sample_rate, max_block);
    }

    fn reset(&mut self) {
        self.stage.reset();
    }

    #[inline]
    fn process_sample(&mut self, input: f32) -> f32 {
        let output = self.stage.process_sample(input * self.input_scale);
        if self.noise_rms_volts > 0.0 {
            output + self.noise_rms_volts * self.unit_noise()
        } else {
            output
        }
    }

    /// [`TransparentModel::process_sample`] over a block: the input scale, the output stage's
    /// block loop, then the noise (when on) in a loop of its own.
    fn process_block(&mut self, block: &mut [f32]) {
        let input_scale = self.input_scale;
        for sample in block.iter_mut() {
            *sample *= input_scale;
        }
        self.stage.process_block(block);
        if self.noise_rms_volts > 0.0 {
            let noise_rms_volts = self.noise_rms_volts;
            for sample in block.iter_mut() {
                *sample += noise_rms_volts * self.unit_noise();
            }
        }
    }
}
