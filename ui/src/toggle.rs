//! A switch button for a boolean parameter: lit while on.
//!
//! A click flips the parameter as one automation gesture; the light follows the parameter, so
//! host automation moves it too.

use egui::{Align2, Color32, CornerRadius, Response, Sense, Stroke, StrokeKind, Ui, Vec2, Widget};
use nice_plug::prelude::{BoolParam, Param, ParamSetter};

use crate::gesture::set_normalized_as_gesture;
use crate::theme;

/// A lit button bound to a [`BoolParam`]. Add it with [`Ui::add`].
#[must_use = "add the toggle to a Ui with `ui.add(toggle)`"]
pub struct Toggle<'a> {
    param: &'a BoolParam,
    setter: &'a ParamSetter<'a>,
    label: String,
    tooltip: String,
    on_colour: Color32,
    min_width: f32,
}

impl<'a> Toggle<'a> {
    /// A toggle for `param` labelled with the parameter's name.
    pub fn new(param: &'a BoolParam, setter: &'a ParamSetter<'a>) -> Self {
        Self {
            param,
            setter,
            label: param.name().to_owned(),
            tooltip: String::new(),
            on_colour: theme::ACCENT,
            min_width: 0.0,
        }
    }

    /// Replaces the text on the button.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// The one-sentence tooltip shown on hover.
    pub fn tooltip(mut self, tooltip: impl Into<String>) -> Self {
        self.tooltip = tooltip.into();
        self
    }

    /// The fill colour while on (default: the accent).
    pub fn on_colour(mut self, colour: Color32) -> Self {
        self.on_colour = colour;
        self
    }

    /// Minimum width in points.
    pub fn min_width(mut self, width: f32) -> Self {
        self.min_width = width;
        self
    }
}

impl Widget for Toggle<'_> {
    fn ui(self, ui: &mut Ui) -> Response {
        let font = theme::label_font();
        let text_width = ui
            .painter()
            .layout_no_wrap(self.label.clone(), font.clone(), theme::TEXT)
            .size()
            .x;
        let size = Vec2::new((text_width + 18.0).max(self.min_width), 22.0);
        let (rect, mut response) = ui.allocate_exact_size(size, Sense::click());
        let on = self.param.value();
        if response.clicked() {
            set_normalized_as_gesture(self.setter, self.param, if on { 0.0 } else { 1.0 });
            response.mark_changed();
        }
        let fill = if on {
            self.on_colour
        } else if response.hovered() {
            theme::OUTLINE
        } else {
            theme::WELL
        };
        let painter = ui.painter();
        painter.rect_filled(rect, CornerRadius::same(theme::RADIUS), fill);
        painter.rect_stroke(
            rect,
            CornerRadius::same(theme::RADIUS),
            Stroke::new(1.0, theme::OUTLINE),
            StrokeKind::Inside,
        );
        painter.text(
            rect.center(),
            Align2::CENTER_CENTER,
            &self.label,
            font,
            if on { theme::BACKGROUND } else { theme::TEXT },
        );
        let tooltip = if self.tooltip.is_empty() {
            format!("{}: click to switch on or off.", self.param.name())
        } else {
            self.tooltip
        };
        response.on_hover_text(tooltip)
    }
}
