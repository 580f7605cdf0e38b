//! A segmented selector: one button per choice of a stepped parameter (an enum or a switch).
//!
//! Clicking a segment sets the parameter as one automation gesture. The selected segment follows
//! the parameter, so host automation moves it too.

use egui::{Align2, CornerRadius, Response, Sense, Stroke, StrokeKind, Ui, Vec2, Widget};
use nice_plug::prelude::{Param, ParamSetter};

use crate::gesture::set_normalized_as_gesture;
use crate::theme;

/// A row of buttons, one per step of `param`. Add it with [`Ui::add`].
#[must_use = "add the selector to a Ui with `ui.add(selector)`"]
pub struct Segmented<'a, P: Param> {
    param: &'a P,
    setter: &'a ParamSetter<'a>,
    labels: Option<Vec<String>>,
    tooltip: String,
    segment_width: Option<f32>,
    height: f32,
}

impl<'a, P: Param> Segmented<'a, P> {
    /// A selector for `param`, a parameter with a step count (enums, switches, integer ranges).
    /// Each segment is labelled with the parameter's own text for that step.
    pub fn new(param: &'a P, setter: &'a ParamSetter<'a>) -> Self {
        Self {
            param,
            setter,
            labels: None,
            tooltip: String::new(),
            segment_width: None,
            height: 22.0,
        }
    }

    /// Shorter labels, one per step in order (e.g. "12" and "18" for "12 dB/oct", "18 dB/oct").
    pub fn labels<S: Into<String>>(mut self, labels: impl IntoIterator<Item = S>) -> Self {
        self.labels = Some(labels.into_iter().map(Into::into).collect());
        self
    }

    /// The one-sentence tooltip shown on hover.
    pub fn tooltip(mut self, tooltip: impl Into<String>) -> Self {
        self.tooltip = tooltip.into();
        self
    }

    /// Width of every segment in points (default: fits the longest label).
    pub fn segment_width(mut self, width: f32) -> Self {
        self.segment_width = Some(width);
        self
    }

    /// Height in points (default 22).
    pub fn height(mut self, height: f32) -> Self {
        self.height = height;
        self
    }

    /// Number of choices and the normalised value of each.
    fn choices(&self) -> Vec<f32> {
        let steps = self.param.step_count().unwrap_or(1).max(1);
        (0..=steps).map(|step| step as f32 / steps as f32).collect()
    }
}

impl<P: Param> Widget for Segmented<'_, P> {
    fn ui(self, ui: &mut Ui) -> Response {
        let choices = self.choices();
        let labels: Vec<String> = match &self.labels {
            Some(labels) if labels.len() == choices.len() => labels.clone(),
            _ => choices
                .iter()
                .map(|&normalized| self.param.normalized_value_to_string(normalized, false))
                .collect(),
        };
        let font = theme::label_font();
        let widest = labels
            .iter()
            .map(|label| {
                ui.painter()
                    .layout_no_wrap(label.clone(), font.clone(), theme::TEXT)
                    .size()
                    .x
            })
            .fold(0.0_f32, f32::max);
        let segment_width = self.segment_width.unwrap_or(widest + 16.0);
        let size = Vec2::new(segment_width * choices.len() as f32, self.height);
        let (rect, mut response) = ui.allocate_exact_size(size, Sense::hover());
        let selected = self.param.unmodulated_normalized_value();
        let selected_index = choices
            .iter()
            .enumerate()
            .min_by(|a, b| {
                (a.1 - selected)
                    .abs()
                    .partial_cmp(&(b.1 - selected).abs())
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
            .map_or(0, |(index, _)| index);
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, CornerRadius::same(theme::RADIUS), theme::WELL);
        for (index, (&normalized, label)) in choices.iter().zip(&labels).enumerate() {
            let segment = egui::Rect::from_min_size(
                rect.min + Vec2::new(segment_width * index as f32, 0.0),
                Vec2::new(segment_width, self.height),
            )
            .shrink(1.0);
            let segment_response = ui.interact(
                segment,
                response.id.with(("segment", index)),
                Sense::click(),
            );
            let is_selected = index == selected_index;
            let fill = if is_selected {
                theme::ACCENT
            } else if segment_response.hovered() {
                theme::OUTLINE
            } else {
                theme::WELL
            };
            painter.rect_filled(segment, CornerRadius::same(theme::RADIUS - 1), fill);
            painter.text(
                segment.center(),
                Align2::CENTER_CENTER,
                label,
                font.clone(),
                if is_selected {
                    theme::BACKGROUND
                } else {
                    theme::TEXT
                },
            );
            if segment_response.clicked() && !is_selected {
                set_normalized_as_gesture(self.setter, self.param, normalized);
                response.mark_changed();
            }
            let tooltip = if self.tooltip.is_empty() {
                format!("{}: {label}.", self.param.name())
            } else {
                self.tooltip.clone()
            };
            segment_response.on_hover_text(tooltip);
        }
        painter.rect_stroke(
            rect,
            CornerRadius::same(theme::RADIUS),
            Stroke::new(1.0, theme::OUTLINE),
            StrokeKind::Inside,
        );
        response
    }
}
