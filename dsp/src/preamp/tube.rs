//! The tube model: a 12AX7 common-cathode stage (Koren), and at high gain a second cascaded stage.
//!
//! Gain structure, as in a two-stage tube channel: up to [`SECOND_STAGE_ONSET_DB`] the gain
//! control sets how much signal reaches the first grid (a fixed-gain stage after an input
//! attenuator, so its distortion follows the output level). Above it the first stage's drive stays
//! put and the extra gain drives a second stage through the interstage coupling, which is where
//! a driven tube channel gets its grind; the second stage fades in over
//! [`SECOND_STAGE_FADE_DB`]. Both paths are scaled to the same small-signal gain, so the blend
//! changes only the character, and the polarity of the output matches the input.
//!
//! Output scaling: the plate signal reaches the output through a step-down of
//! [`OUTPUT_VOLTS_PER_PLATE_VOLT`], chosen so a single stage reaches about 3 % THD at +22 dBu out
//! (about 0.4 % at +4 dBu: audible warmth, not a clean stage).

use super::model::ModelStage;
use crate::Processor;
use crate::shape::triode::TriodeStage;

/// Output volts per AC plate volt (the output transformer's step-down).
pub const OUTPUT_VOLTS_PER_PLATE_VOLT: f64 = 0.456;
/// Gain (dB) above which the second stage starts to take over.
pub const SECOND_STAGE_ONSET_DB: f64 = 34.0;
/// Width (dB) of the hand-over from one to two stages.
pub const SECOND_STAGE_FADE_DB: f64 = 6.0;
/// Second-stage grid volts per first-stage plate volt at the onset; rises with the gain above it.
const INTERSTAGE_AT_ONSET: f64 = 0.042;

/// The tube preamp model for one channel.
#[derive(Clone, Debug)]
pub struct TubeModel {
    first: TriodeStage,
    second: TriodeStage,
    /// Small-signal gain of one triode stage (negative: it inverts).
    stage_gain: f64,
    /// Gain beyond the onset applied linearly on the single-stage path.
    single_stage_makeup: f32,
    /// Interstage scaling into the second grid.
    interstage: f32,
    /// Output volts per second-stage plate volt.
    second_output_scale: f32,
    /// Blend of the two-stage path (0 = one stage, 1 = two stages).
    second_stage_amount: f32,
    /// Whether the second stage ran on the last sample (it rests, settled, while unused).
    second_stage_running: bool,
}

impl TubeModel {
    /// Solves and tabulates both triode stages.
    pub fn new() -> Self {
        let first = TriodeStage::twelve_ax7();
        let stage_gain = first.small_signal_gain();
        let mut model = Self {
            second: first.clone(),
            first,
            stage_gain,
            single_stage_makeup: 1.0,
            interstage: INTERSTAGE_AT_ONSET as f32,
            second_output_scale: 0.0,
            second_stage_amount: 0.0,
            second_stage_running: false,
        };
        model.set_gain(1.0);
        model
    }

    /// Fraction of the two-stage path in the output (0 to 1).
    pub fn second_stage_amount(&self) -> f32 {
        self.second_stage_amount
    }
}

impl Default for TubeModel {
    fn default() -> Self {
        Self::new()
    }
}

/// The gain-dependent settings of the tube model, interpolated per sample during a gain glide.
#[derive(Clone, Copy, Debug, PartialEq)]
struct GainSettings {
    first_drive: f32,
    single_stage_makeup: f32,
    interstage: f32,
    second_stage_amount: f32,
}

impl GainSettings {
    fn between(&self, other: &Self, fraction: f32) -> Self {
        let blend = |from: f32, to: f32| from + fraction * (to - from);
        Self {
            first_drive: blend(self.first_drive, other.first_drive),
            single_stage_makeup: blend(self.single_stage_makeup, other.single_stage_makeup),
            interstage: blend(self.interstage, other.interstage),
            second_stage_amount: blend(self.second_stage_amount, other.second_stage_amount),
        }
    }
}

impl TubeModel {
    fn gain_settings(&self) -> GainSettings {
        GainSettings {
            first_drive: self.first.drive(),
            single_stage_makeup: self.single_stage_makeup,
            interstage: self.interstage,
            second_stage_amount: self.second_stage_amount,
        }
    }

    fn apply_gain_settings(&mut self, settings: &GainSettings) {
        self.first.set_drive(settings.first_drive);
        self.single_stage_makeup = settings.single_stage_makeup;
        self.interstage = settings.interstage;
        self.second_stage_amount = settings.second_stage_amount;
    }
}

impl ModelStage for TubeModel {
    /// The gain moves the first stage's drive, the single-stage make-up, the interstage drive
    /// and the two-stage blend together: all four glide per sample.
    fn process_with_gain(&mut self, block: &mut [f32], start_gain: f32, end_gain: f32) {
        if start_gain == end_gain {
            self.set_gain(end_gain);
            self.process_block(block);
            return;
        }
        self.set_gain(start_gain);
        let start = self.gain_settings();
        self.set_gain(end_gain);
        let end = self.gain_settings();
        let length = block.len().max(1) as f32;
        for (index, sample) in block.iter_mut().enumerate() {
            self.apply_gain_settings(&start.between(&end, (index + 1) as f32 / length));
            *sample = self.process_sample(*sample);
        }
        self.apply_gain_settings(&end);
    }

    fn set_gain(&mut self, gain: f32) {
        let gain = f64::from(gain.max(1.0e-6));
        let gain_db = 20.0 * gain.log10();
        let onset = 10f64.powf(SECOND_STAGE_ONSET_DB / 20.0);
        let first_gain = gain.min(onset);
        // Grid volts per input volt so that plate × step-down gives `first_gain` small-signal.
        let grid_per_input = first_gain / (self.stage_gain.abs() * OUTPUT_VOLTS_PER_PLATE_VOLT);
        self.first.set_drive(grid_per_input as f32);
        let excess = gain / first_gain;
        self.single_stage_makeup = excess as f32;
        let interstage = INTERSTAGE_AT_ONSET * excess;
        self.interstage = interstage as f32;
        // Two inverting stages: the product of the stage gains is positive.
        self.second_output_scale =
            (OUTPUT_VOLTS_PER_PLATE_VOLT / (self.stage_gain.abs() * INTERSTAGE_AT_ONSET)) as f32;
        self.second_stage_amount =
            ((gain_db - SECOND_STAGE_ONSET_DB) / SECOND_STAGE_FADE_DB).clamp(0.0, 1.0) as f32;
    }
}

impl Processor for TubeModel {
    fn prepare(&mut self, sample_rate: f32, max_block: usize) {
        self.first.prepare(sample_rate, max_block);
        self.second.prepare(sample_rate, max_block);
    }

    fn reset(&mut self) {
        self.first.reset();
        self.second.reset();
        self.second_stage_running = false;
    }

    #[inline(always)]
    fn process_sample(&mut self, input: f32) -> f32 {
        let plate = self.first.process_sample(input);
        // The stage inverts; the output restores the input's polarity.
        let single = -plate * OUTPUT_VOLTS_PER_PLATE_VOLT as f32 * self.single_stage_makeup;
        if self.second_stage_amount <= 0.0 {
            if self.second_stage_running {
                self.second.reset();
                self.second_stage_running = false;
            }
            return single;
        }
        self.second_stage_running = true;
        self.second.set_drive(self.interstage);
        let double = self.second.process_sample(plate) * self.second_output_scale;
        single + self.second_stage_amount * (double - single)
    }

    /// [`TubeModel::process_sample`] with the one-or-two-stage decision taken once per block and
    /// each stage run over the whole block ([`TriodeStage`]'s block loop keeps its states in
    /// registers). The same arithmetic as per sample, in the same order.
    fn process_block(&mut self, block: &mut [f32]) {
        let output_per_plate = OUTPUT_VOLTS_PER_PLATE_VOLT as f32;
        let makeup = self.single_stage_makeup;
        self.first.process_block(block);
        if self.second_stage_amount <= 0.0 {
            if self.second_stage_running {
                self.second.reset();
                self.second_stage_running = false;
            }
            for sample in block.iter_mut() {
                *sample = -*sample * output_per_plate * makeup;
            }
            return;
        }
        self.second_stage_running = true;
        self.second.set_drive(self.interstage);
        let (amount, second_scale) = (self.second_stage_amount, self.second_output_scale);
        let mut second_plates = [0.0_f32; SECOND_STAGE_CHUNK];
        for plates in block.chunks_mut(SECOND_STAGE_CHUNK) {
            let second_plates = &mut second_plates[..plates.len()];
            second_plates.copy_from_slice(plates);
            self.second.process_block(second_plates);
            for (sample, second_plate) in plates.iter_mut().zip(second_plates.iter()) {
                let single = -*sample * output_per_plate * makeup;
                let double = *second_plate * second_scale;
                *sample = single + amount * (double - single);
            }
        }
    }
}

/// Samples per pass of the second stage in [`TubeModel`]'s block loop (a stack buffer).
const SECOND_STAGE_CHUNK: usize = 64;
