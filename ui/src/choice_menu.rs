//! A drop-down menu for a stepped parameter with too many choices for a segmented row.
//!
//! Picking an entry sets the parameter as one automation gesture; the shown choice follows the
//! parameter, so host automation moves it too.

use egui::{Response, Ui};
use nice_plug::prelude::{Param, ParamSetter};

use crate::gesture::set_normalized_as_gesture;

/// A drop-down bound to a stepped parameter. Call [`ChoiceMenu::show`].
#[must_use = "draw the menu with `.show(ui)`"]
pub struct ChoiceMenu<'a, P: Param> {
    param: &'a P,
    setter: &'a ParamSetter<'a>,
    tooltip: String,
    width: f32,
}

impl<'a, P: Param> ChoiceMenu<'a, P> {
    /// A menu listing every step of `param` by the parameter's own text.
    pub fn new(param: &'a P, setter: &'a ParamSetter<'a>) -> Self {
        Self {
            param,
            setter,
            tooltip: String::new(),
            width: 150.0,
        }
    }

    /// The one-sentence tooltip shown on hover.
    pub fn tooltip(mut self, tooltip: impl Into<String>) -> Self {
        self.tooltip = tooltip.into();
        self
    }

    /// Width in points (default 150).
    pub fn width(mut self, width: f32) -> Self {
        self.width = width;
        self
    }

    /// Draws the menu.
    pub fn show(self, ui: &mut Ui) -> Response {
        let steps = self.param.step_count().unwrap_or(1).max(1);
        let current = self.param.unmodulated_normalized_value();
        let response = egui::ComboBox::from_id_salt(("choice_menu", self.param.name()))
            .width(self.width)
            .selected_text(self.param.normalized_value_to_string(current, false))
            .show_ui(ui, |ui| {
                for step in 0..=steps {
                    let normalized = step as f32 / steps as f32;
                    let label = self.param.normalized_value_to_string(normalized, false);
                    let selected = (normalized - current).abs() < 0.5 / steps as f32;
                    if ui.selectable_label(selected, label).clicked() && !selected {
                        set_normalized_as_gesture(self.setter, self.param, normalized);
                    }
                }
            })
            .response;
        if self.tooltip.is_empty() {
            response
        } else {
            response.on_hover_text(self.tooltip)
        }
    }
}
