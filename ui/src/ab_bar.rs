//! The A/B bar: pick the slot the audio follows, copy one slot onto the other, and see (and
//! switch) whether the comparison is level-matched.
//!
//! The slot choice is a two-step parameter (A, B) set as one gesture per click. Copying is the
//! caller's job (it knows the slots' parameters): the bar reports which copy was asked for.

use egui::{Response, Ui};
use nice_plug::prelude::{BoolParam, Param, ParamSetter};

use crate::segmented::Segmented;
use crate::theme;
use crate::toggle::Toggle;

/// A copy the user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyDirection {
    /// Copy slot A's settings onto slot B.
    AToB,
    /// Copy slot B's settings onto slot A.
    BToA,
}

/// What the A/B bar did this frame.
#[derive(Debug)]
pub struct AbBarResponse {
    /// The response of the whole bar.
    pub response: Response,
    /// The copy the user clicked, if any.
    pub copy: Option<CopyDirection>,
}

/// The A/B bar. Build it, then call [`AbBar::show`].
#[must_use = "draw the bar with `.show(ui)`"]
pub struct AbBar<'a, P: Param> {
    slot: &'a P,
    setter: &'a ParamSetter<'a>,
    level_match: Option<&'a BoolParam>,
}

impl<'a, P: Param> AbBar<'a, P> {
    /// A bar for `slot`, a two-step parameter whose first step is A and second is B.
    pub fn new(slot: &'a P, setter: &'a ParamSetter<'a>) -> Self {
        Self {
            slot,
            setter,
            level_match: None,
        }
    }

    /// The parameter that level-matches the slots; shown as a lit "Level matched" indicator that
    /// also switches it.
    pub fn level_match(mut self, param: &'a BoolParam) -> Self {
        self.level_match = Some(param);
        self
    }

    /// Draws the bar.
    pub fn show(self, ui: &mut Ui) -> AbBarResponse {
        let mut copy = None;
        let response = ui
            .horizontal(|ui| {
                ui.add(
                    Segmented::new(self.slot, self.setter)
                        .segment_width(30.0)
                        .tooltip("Compare two complete settings: the audio follows the lit slot."),
                );
                if ui
                    .button("Copy A to B")
                    .on_hover_text("Copy every setting of slot A onto slot B.")
                    .clicked()
                {
                    copy = Some(CopyDirection::AToB);
                }
                if ui
                    .button("Copy B to A")
                    .on_hover_text("Copy every setting of slot B onto slot A.")
                    .clicked()
                {
                    copy = Some(CopyDirection::BToA);
                }
                if let Some(level_match) = self.level_match {
                    let on = level_match.value();
                    ui.add(
                        Toggle::new(level_match, self.setter)
                            .label(if on {
                                "Level matched"
                            } else {
                                "Not level-matched"
                            })
                            .on_colour(theme::GOOD)
                            .tooltip(
                                "Level match: when lit, both slots play as loud as the input, so A/B compares colour, not loudness.",
                            ),
                    );
                }
            })
            .response;
        AbBarResponse { response, copy }
    }
}
