//! The power amp's signal path: input gain → solid-state power stage on rails set by the wattage
//! (V_peak = √(2·P·R) into 8 Ω, DESIGN.md) → output trim, per channel, with a click-free bypass.
//!
//! Levels: a 0 dBFS sine at the input asks for the rated power (input sensitivity +22 dBu), and
//! the output is normalised so that 0 dBFS is the rated power: below clipping the amp is at unity.
//!
//! Parameters are read through their smoothers in chunks of [`CHUNK`] samples so that every
//! channel sees the same per-sample values without allocating.

use gainstage_dsp::Processor;
use gainstage_dsp::guard::sanitize;
use gainstage_dsp::ramp::LinearRamp;
use gainstage_dsp::shape::power_stage::SolidStateStage;
use nice_plug::prelude::*;

use crate::params::PowerAmpParams;

/// Samples processed per inner chunk; the smoothed parameter values for one chunk live on the stack.
const CHUNK: usize = 64;

/// Time for the bypass cross-fade, in seconds.
const BYPASS_FADE_SECONDS: f32 = 0.01;

/// Nominal load the rails are computed for, ohms.
const NOMINAL_LOAD_OHMS: f32 = 8.0;

/// Peak rail voltage for `watts` into the nominal load: √(2·P·R).
fn rail_voltage(watts: f32) -> f32 {
    (2.0 * watts * NOMINAL_LOAD_OHMS).sqrt()
}

/// The power amp's DSP state for every channel.
#[derive(Default)]
pub struct PowerAmpEngine {
    /// One output stage per channel (allocated in `prepare`).
    stages: Vec<SolidStateStage>,
    sample_rate: f32,
    channels: usize,
    /// Mix between processed (1.0) and bypassed (0.0) signal.
    wet: LinearRamp,
}

impl PowerAmpEngine {
    /// Prepares for `channels` channels at `sample_rate` Hz with blocks of at most `max_block` samples.
    pub fn prepare(&mut self, sample_rate: f32, _max_block: usize, channels: usize) {
        self.sample_rate = sample_rate;
        self.channels = channels;
        self.stages = (0..channels)
            .map(|_| {
                let mut stage = SolidStateStage::new(rail_voltage(100.0));
                stage.prepare(sample_rate, 0);
                stage
            })
            .collect();
        self.wet.prepare(sample_rate, BYPASS_FADE_SECONDS);
    }

    /// Delay the signal path adds, in samples at the host rate.
    pub fn latency(&self) -> u32 {
        0
    }

    /// Clears every state and settles the ramps on the current parameter values.
    pub fn reset(&mut self, params: &PowerAmpParams) {
        self.wet.settle(wet_target(params));
        for stage in &mut self.stages {
            stage.reset();
        }
    }

    /// Processes the host's channels in place.
    pub fn process(&mut self, channels: &mut [&mut [f32]], params: &PowerAmpParams) {
        let length = channels.first().map_or(0, |channel| channel.len());
        self.wet.set_target(wet_target(params));
        let mut start = 0;
        while start < length {
            let chunk_length = CHUNK.min(length - start);
            let mut input_gain = [0.0f32; CHUNK];
            let mut output_gain = [0.0f32; CHUNK];
            let mut wet = [0.0f32; CHUNK];
            for index in 0..chunk_length {
                input_gain[index] = util::db_to_gain(params.input_db.smoothed.next());
                output_gain[index] = util::db_to_gain(params.output_db.smoothed.next());
                wet[index] = self.wet.advance();
            }
            let rail = rail_voltage(params.wattage.smoothed.next_step(chunk_length as u32));
            for (channel, stage) in channels.iter_mut().zip(self.stages.iter_mut()) {
                stage.set_rail_voltage(rail);
                let samples = &mut channel[start..start + chunk_length];
                for (index, sample) in samples.iter_mut().enumerate() {
                    let dry = sanitize(*sample);
                    let asked_volts = dry * input_gain[index] * rail;
                    let processed = stage.process_sample(asked_volts) / rail * output_gain[index];
                    *sample = dry + wet[index] * (processed - dry);
                }
            }
            start += chunk_length;
        }
    }
}

/// 1.0 when the plugin is active, 0.0 when bypassed.
fn wet_target(params: &PowerAmpParams) -> f32 {
    if params.bypass.value() { 0.0 } else { 1.0 }
}
