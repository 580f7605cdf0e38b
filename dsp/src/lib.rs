//! Gainstage's shared DSP: oversampling, filters, nonlinear stages and the analysis that measures them.
//!
//! Pure Rust on `f32` audio. Nothing here knows about a plugin framework, and nothing allocates after
//! `prepare`. Every processor offers the same small interface, [`Processor`].

/// The small interface every audio processor in this crate offers.
///
/// `prepare` may allocate; `reset`, `process_sample` and `process_block` never do.
pub trait Processor {
    /// Sets the sample rate (Hz) and the largest block (samples) `process_block` will be given.
    fn prepare(&mut self, sample_rate: f32, max_block: usize);
    /// Clears all internal state to its settled rest value, without allocating.
    fn reset(&mut self);
    /// Processes one sample.
    fn process_sample(&mut self, input: f32) -> f32;
    /// Processes a block in place.
    fn process_block(&mut self, block: &mut [f32]) {
        for sample in block.iter_mut() {
            *sample = self.process_sample(*sample);
        }
    }
    /// Delay in samples that this processor adds, at the rate given to `prepare`.
    fn latency(&self) -> u32 {
        0
    }
}

pub mod analysis;
pub mod filter;
pub mod guard;
pub mod level;
pub mod level_meter;
pub mod oversample;
pub mod power_amp;
pub mod preamp;
pub mod ramp;
pub mod shape;
pub mod speaker;
