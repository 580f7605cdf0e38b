//! The four preamp models behind one interface, all built up front so switching never allocates.

use super::colour::ColourModel;
use super::solid_state::SolidStateModel;
use super::transparent::{TransparentModel, TransparentOptions};
use super::tube::TubeModel;
use std::sync::OnceLock;

use crate::Processor;

/// Which circuit the preamp models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreampModel {
    /// Two 12AX7 common-cathode stages (the second engages at high gain): even-dominant and soft,
    /// with bias-shift bloom when driven.
    Tube,
    /// An op-amp gain stage with rails at +21 dBu: clean far below them, odd harmonics and a
    /// quick knee near them.
    SolidState,
    /// A top-end clean preamp: THD+N ≤ 0.001 % below +20 dBu, optional modelled noise floor.
    Transparent,
    /// Transformer-coupled class A: input and output transformers that saturate in the flux
    /// domain, a class-A transistor stage (H2 + H3) and a gentle weight-and-presence voicing.
    Colour,
}

impl PreampModel {
    /// Every model, in display order.
    pub const ALL: [PreampModel; 4] = [
        PreampModel::Tube,
        PreampModel::SolidState,
        PreampModel::Transparent,
        PreampModel::Colour,
    ];
}

/// What every model does: take the voltage at the preamp's input terminals and return the voltage
/// at its output terminals, with `gain` (linear) of small-signal gain in between. Runs at the
/// oversampled rate.
pub trait ModelStage: Processor {
    /// Sets the preamp gain (linear voltage ratio, 1 to 1000). Cheap; call it per chunk.
    fn set_gain(&mut self, gain: f32);

    /// Processes `block` in place while the gain glides linearly from `start_gain` (the gain the
    /// previous block ended on) to `end_gain`, so a gain move has no step at block boundaries.
    ///
    /// The default suits a model whose gain scales its input: it sets `end_gain` and ramps the
    /// input from `start_gain / end_gain` to 1. A model that applies its gain after a stage with
    /// memory (the colour model's input transformer) overrides it to ramp where the gain sits.
    fn process_with_gain(&mut self, block: &mut [f32], start_gain: f32, end_gain: f32) {
        self.set_gain(end_gain);
        if start_gain != end_gain && end_gain > 0.0 {
            let start_ratio = start_gain / end_gain;
            let step = (1.0 - start_ratio) / block.len().max(1) as f32;
            for (index, sample) in block.iter_mut().enumerate() {
                *sample *= start_ratio + step * (index + 1) as f32;
            }
        }
        self.process_block(block);
    }
}

/// All four models for one channel.
#[derive(Clone, Debug)]
pub struct ModelSet {
    /// The tube model.
    pub tube: TubeModel,
    /// The solid-state model.
    pub solid_state: SolidStateModel,
    /// The transparent model.
    pub transparent: TransparentModel,
    /// The colour model.
    pub colour: ColourModel,
}

impl ModelSet {
    /// Builds all four models (call outside the audio thread). The first call in a process
    /// solves and tabulates their circuits (about a quarter of a second); later calls clone
    /// that solution.
    pub fn new() -> Self {
        static SOLVED: OnceLock<ModelSet> = OnceLock::new();
        SOLVED
            .get_or_init(|| Self {
                tube: TubeModel::new(),
                solid_state: SolidStateModel::new(),
                transparent: TransparentModel::new(TransparentOptions::default()),
                colour: ColourModel::new(),
            })
            .clone()
    }

    /// The model as a trait object, for code that treats them alike.
    pub fn stage(&mut self, model: PreampModel) -> &mut dyn ModelStage {
        match model {
            PreampModel::Tube => &mut self.tube,
            PreampModel::SolidState => &mut self.solid_state,
            PreampModel::Transparent => &mut self.transparent,
            PreampModel::Colour => &mut self.colour,
        }
    }

    /// Prepares every model for `oversampled_rate` Hz.
    pub fn prepare(&mut self, oversampled_rate: f32) {
        for model in PreampModel::ALL {
            self.stage(model).prepare(oversampled_rate, 0);
        }
    }
}

impl Default for ModelSet {
    fn default() -> Self {
        Self::new()
    }
}
