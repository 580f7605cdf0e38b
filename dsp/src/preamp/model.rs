//! The four preamp models behind one interface, all built up front so switching never allocates.

use super::colour::ColourModel;
use super::solid_state::SolidStateModel;
use super::transparent::{TransparentModel, TransparentOptions};
use super::tube::TubeModel;
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
    /// Builds all four models (solves and tabulates their circuits: call outside the audio thread).
    pub fn new() -> Self {
        Self {
            tube: TubeModel::new(),
            solid_state: SolidStateModel::new(),
            transparent: TransparentModel::new(TransparentOptions::default()),
            colour: ColourModel::new(),
        }
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
