//! The solid-state model: a non-inverting op-amp gain stage on ±15 V rails (+21 dBu), with 80 dB
//! of open-loop gain closing the loop around a soft output stage. The feedback keeps it clean far
//! below the rails and turns the output stage's soft limit into a quick knee (odd harmonics only:
//! the circuit is symmetric).

use super::model::ModelStage;
use crate::Processor;
use crate::level::dbu_to_peak_volts;
use crate::shape::opamp::OpAmpStage;

/// The rail level in dBu (peak swing of an IC op-amp on ±15 V).
pub const RAIL_DBU: f64 = 21.0;
/// Closed-loop gain of the op-amp stage; the gain control scales the signal ahead of it.
const STAGE_GAIN: f32 = 10.0;

/// The solid-state model for one channel.
#[derive(Clone, Debug)]
pub struct SolidStateModel {
    stage: OpAmpStage,
    input_scale: f32,
}

impl SolidStateModel {
    /// Solves and tabulates the op-amp loop.
    pub fn new() -> Self {
        Self {
            stage: OpAmpStage::new(dbu_to_peak_volts(RAIL_DBU) as f32, STAGE_GAIN),
            input_scale: 1.0 / STAGE_GAIN,
        }
    }
}

impl Default for SolidStateModel {
    fn default() -> Self {
        Self::new()
    }
}

impl ModelStage for SolidStateModel {
    fn set_gain(&mut self, gain: f32) {
        self.input_scale = gain / STAGE_GAIN;
    }
}

impl Processor for SolidStateModel {
    fn prepare(&mut self, sample_rate: f32, max_block: usize) {
        self.stage.prepare(sample_rate, max_block);
    }

    fn reset(&mut self) {
        self.stage.reset();
    }

    #[inline]
    fn process_sample(&mut self, input: f32) -> f32 {
        self.stage.process_sample(input * self.input_scale)
    }

    fn process_block(&mut self, block: &mut [f32]) {
        let input_scale = self.input_scale;
        for sample in block.iter_mut() {
            *sample *= input_scale;
        }
        self.stage.process_block(block);
    }
}
