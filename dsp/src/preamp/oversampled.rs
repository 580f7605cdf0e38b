//! The part of a preamp channel that runs at the oversampled rate: the models, their cross-fade on
//! a model switch, and the compensation of the ADAA hold's top-end droop.
//!
//! It sits between the channel's upsampler and downsampler, which the channel owns so that two
//! channels can share SIMD lanes in the oversampler ([`super::channel::PreampChannel::process_pair`]).

use super::channel::{CHUNK, SWITCH_FADE_SECONDS};
use super::hold_compensation::HoldCompensation;
use super::model::{ModelSet, PreampModel};
use crate::ramp::LinearRamp;

/// The model gain over one chunk: it glides linearly from `start` (linear voltage ratio, where the
/// previous chunk ended) to `end`, so a gain move has no steps at chunk boundaries.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GainGlide {
    /// Gain at the start of the chunk (linear, 1 to 1000).
    pub start: f32,
    /// Gain at the end of the chunk (linear, 1 to 1000).
    pub end: f32,
}

/// The models with their cross-fade and the ADAA droop compensation, for one channel.
#[derive(Clone, Debug)]
pub struct OversampledSection {
    /// All four models, built up front.
    pub models: ModelSet,
    /// The model being faded in (or the only one running).
    current_model: PreampModel,
    /// The model being faded out, while a switch is under way.
    previous_model: Option<PreampModel>,
    /// Position of the cross-fade, advanced at the host rate.
    model_fade: LinearRamp,
    /// Cross-fade step per oversampled sample.
    fade_step: f32,
    fade_scratch: Vec<f32>,
    /// Undoes the ADAA hold's top-end droop after the models (identity at 1×).
    hold_compensation: HoldCompensation,
}

impl OversampledSection {
    /// Builds the section for a host rate of `sample_rate` Hz oversampled `factor` times, starting on
    /// `model`, from `models` (cloned and prepared for the oversampled rate). Allocates.
    pub fn new(sample_rate: f32, factor: usize, models: &ModelSet, model: PreampModel) -> Self {
        let mut models = models.clone();
        models.prepare(sample_rate * factor as f32);
        let mut model_fade = LinearRamp::default();
        model_fade.prepare(sample_rate, SWITCH_FADE_SECONDS);
        Self {
            models,
            current_model: model,
            previous_model: None,
            model_fade,
            fade_step: 1.0 / (SWITCH_FADE_SECONDS * sample_rate).max(1.0) / factor as f32,
            fade_scratch: vec![0.0; CHUNK * factor],
            hold_compensation: HoldCompensation::new(f64::from(sample_rate), factor),
        }
    }

    /// The model being faded in, or the only one running.
    pub fn current_model(&self) -> PreampModel {
        self.current_model
    }

    /// Starts a cross-fade to `model`. A switch during a switch drops the oldest path: the one
    /// being faded in becomes the one faded out, from where it is.
    pub fn switch_to(&mut self, model: PreampModel) {
        let fade_position = if self.previous_model.is_some() {
            1.0 - self.model_fade.value()
        } else {
            0.0
        };
        self.previous_model = Some(self.current_model);
        self.current_model = model;
        self.models.stage(model).reset();
        self.model_fade.settle(fade_position);
        self.model_fade.set_target(1.0);
    }

    /// Runs the model(s) over `high_rate` (one chunk of `host_length` host-rate samples, upsampled)
    /// with the gain gliding as `gain` says, cross-fading while a switch is under way, then the
    /// droop compensation.
    pub fn process(&mut self, high_rate: &mut [f32], host_length: usize, gain: GainGlide) {
        match self.previous_model {
            None => {
                self.models
                    .stage(self.current_model)
                    .process_with_gain(high_rate, gain.start, gain.end);
            }
            Some(previous) => {
                let fade_in_start = self.model_fade.value();
                let scratch = &mut self.fade_scratch[..high_rate.len()];
                scratch.copy_from_slice(high_rate);
                self.models
                    .stage(previous)
                    .process_with_gain(scratch, gain.start, gain.end);
                self.models
                    .stage(self.current_model)
                    .process_with_gain(high_rate, gain.start, gain.end);
                // Per-high-rate-sample fade, following the host-rate ramp.
                for (index, (new_sample, old_sample)) in
                    high_rate.iter_mut().zip(scratch.iter()).enumerate()
                {
                    let amount = (fade_in_start + self.fade_step * index as f32).min(1.0);
                    *new_sample = *old_sample + amount * (*new_sample - *old_sample);
                }
                for _ in 0..host_length {
                    self.model_fade.advance();
                }
                if !self.model_fade.is_ramping() {
                    self.previous_model = None;
                }
            }
        }
        self.hold_compensation.process_block(high_rate);
    }

    /// Clears every model's state and ends any cross-fade.
    pub fn reset(&mut self) {
        self.hold_compensation.reset();
        for model in PreampModel::ALL {
            self.models.stage(model).reset();
        }
        self.previous_model = None;
        self.model_fade.settle(1.0);
    }
}
