//! A rotary knob for one parameter, with its label above and its value below.
//!
//! - Drag up (or right) to raise the value: [`DRAG_PIXELS_FULL_RANGE`] points cover the whole
//!   range; hold Shift for fine control ([`FINE_DRAG_RATIO`] of the plain speed).
//! - Double-click (or Ctrl/Cmd-click) the knob to return to the default.
//! - Click the value to type one; the text goes through the parameter's own parser, so "12 dB",
//!   "12", "3.5k" or "3500 Hz" work wherever the parameter accepts them. Enter applies, Escape
//!   cancels.
//! - The mouse wheel steps the value.
//!
//! A drag is one automation gesture: `begin` when it starts, a `set` for every change, `end` when
//! the button is released.

use std::f32::consts::PI;

use egui::{Align2, Color32, Id, Key, Pos2, Response, Sense, Shape, Stroke, Ui, Vec2, Widget};
use nice_plug::prelude::{Param, ParamSetter};

use crate::gesture::{reset_to_default, set_normalized_as_gesture};
use crate::theme;

/// Vertical (or horizontal) drag distance, in points, that sweeps the whole range.
pub const DRAG_PIXELS_FULL_RANGE: f32 = 200.0;
/// Speed of a Shift drag relative to a plain drag.
pub const FINE_DRAG_RATIO: f32 = 0.1;
/// The knob's sweep from minimum to maximum, radians (270°).
const SWEEP: f32 = 1.5 * PI;
/// Angle of the minimum position, radians (egui's y axis points down; 0 is to the right).
const START_ANGLE: f32 = 0.75 * PI;

/// Drag state kept in egui's memory between frames.
#[derive(Clone, Copy, Debug)]
struct DragState {
    /// The unsnapped normalised value the drag has reached.
    normalized: f32,
}

/// Text-entry state kept in egui's memory between frames.
#[derive(Clone, Debug)]
struct EntryState {
    text: String,
    rejected: bool,
    focus_requested: bool,
}

/// A rotary knob bound to a nice-plug parameter. Add it with [`Ui::add`].
#[must_use = "add the knob to a Ui with `ui.add(knob)`"]
pub struct Knob<'a, P: Param> {
    param: &'a P,
    setter: &'a ParamSetter<'a>,
    label: String,
    tooltip: String,
    diameter: f32,
    id_salt: Option<String>,
}

impl<'a, P: Param> Knob<'a, P> {
    /// A knob for `param`, labelled with the parameter's name.
    pub fn new(param: &'a P, setter: &'a ParamSetter<'a>) -> Self {
        Self {
            param,
            setter,
            label: param.name().to_owned(),
            tooltip: String::new(),
            diameter: 46.0,
            id_salt: None,
        }
    }

    /// Replaces the label drawn above the knob.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// The one-sentence tooltip shown on hover.
    pub fn tooltip(mut self, tooltip: impl Into<String>) -> Self {
        self.tooltip = tooltip.into();
        self
    }

    /// Knob diameter in points (default 46).
    pub fn diameter(mut self, diameter: f32) -> Self {
        self.diameter = diameter.max(16.0);
        self
    }

    /// Distinguishes two knobs on one parameter in the same `Ui` (rarely needed: the default ID
    /// is the parameter's name and the label).
    pub fn id_salt(mut self, salt: impl Into<String>) -> Self {
        self.id_salt = Some(salt.into());
        self
    }

    fn handle_dial(&self, ui: &Ui, response: &Response) {
        let drag_id = response.id.with("drag");
        if response.drag_started() {
            self.setter.begin_set_parameter(self.param);
            let start = DragState {
                normalized: self.param.unmodulated_normalized_value(),
            };
            ui.data_mut(|data| data.insert_temp(drag_id, start));
        }
        if response.dragged()
            && let Some(mut state) = ui.data(|data| data.get_temp::<DragState>(drag_id))
        {
            let delta = response.drag_delta();
            let fine = ui.input(|input| input.modifiers.shift);
            let speed = if fine { FINE_DRAG_RATIO } else { 1.0 } / DRAG_PIXELS_FULL_RANGE;
            let travel = delta.x - delta.y;
            if travel != 0.0 {
                state.normalized = (state.normalized + travel * speed).clamp(0.0, 1.0);
                let snapped = self
                    .param
                    .preview_normalized(self.param.preview_plain(state.normalized));
                if snapped != self.param.unmodulated_normalized_value() {
                    self.setter
                        .set_parameter(self.param, self.param.preview_plain(snapped));
                }
                ui.data_mut(|data| data.insert_temp(drag_id, state));
            }
        }
        if response.drag_stopped() {
            ui.data_mut(|data| data.remove::<DragState>(drag_id));
            self.setter.end_set_parameter(self.param);
        }

        let command = ui.input(|input| input.modifiers.command);
        if response.double_clicked() || (response.clicked() && command) {
            reset_to_default(self.setter, self.param);
        }

        if response.hovered() && !response.dragged() {
            // Whole wheel events, not the smoothed delta: one notch is one step.
            let scroll: f32 = ui.input(|input| {
                input
                    .raw
                    .events
                    .iter()
                    .map(|event| match event {
                        egui::Event::MouseWheel { delta, .. } => delta.y,
                        _ => 0.0,
                    })
                    .sum()
            });
            if scroll != 0.0 {
                let fine = ui.input(|input| input.modifiers.shift);
                let current = self.param.unmodulated_normalized_value();
                let target = if scroll > 0.0 {
                    self.param.next_normalized_step(current, fine)
                } else {
                    self.param.previous_normalized_step(current, fine)
                };
                if target != current {
                    set_normalized_as_gesture(self.setter, self.param, target);
                }
            }
        }
    }

    fn paint_dial(&self, ui: &Ui, rect: egui::Rect, response: &Response) {
        let painter = ui.painter_at(rect.expand(2.0));
        let center = rect.center();
        let radius = self.diameter * 0.5 - 2.0;
        let value = self.param.modulated_normalized_value().clamp(0.0, 1.0);
        let origin = self.param.default_normalized_value().clamp(0.0, 1.0);
        // A bipolar parameter (default in the middle) draws its arc from the default.
        let arc_origin = if (origin - 0.5).abs() < 1e-3 {
            0.5
        } else {
            0.0
        };
        let track = Stroke::new(radius * 0.16, theme::WELL);
        painter.add(arc(center, radius, 0.0, 1.0, track));
        let (from, to) = if value >= arc_origin {
            (arc_origin, value)
        } else {
            (value, arc_origin)
        };
        let active = if response.hovered() || response.dragged() {
            theme::ACCENT
        } else {
            theme::ACCENT.gamma_multiply(0.85)
        };
        painter.add(arc(
            center,
            radius,
            from,
            to,
            Stroke::new(radius * 0.16, active),
        ));
        let body_radius = radius * 0.72;
        painter.circle_filled(center, body_radius, Color32::from_rgb(0x34, 0x38, 0x40));
        painter.circle_stroke(center, body_radius, Stroke::new(1.0, theme::OUTLINE));
        let angle = START_ANGLE + SWEEP * value;
        let direction = Vec2::angled(angle);
        painter.line_segment(
            [
                center + direction * body_radius * 0.25,
                center + direction * body_radius * 0.92,
            ],
            Stroke::new(2.0, theme::TEXT),
        );
    }

    fn value_entry(&self, ui: &mut Ui, rect: egui::Rect, id: Id) -> Response {
        let entry_id = id.with("entry");
        let editing = ui.data(|data| data.get_temp::<EntryState>(entry_id));
        let value_text = self
            .param
            .normalized_value_to_string(self.param.modulated_normalized_value(), true);
        match editing {
            None => {
                let response = ui.interact(rect, id.with("value"), Sense::click());
                let colour = if response.hovered() {
                    theme::TEXT
                } else {
                    theme::ACCENT
                };
                ui.painter().text(
                    rect.center(),
                    Align2::CENTER_CENTER,
                    &value_text,
                    theme::value_font(),
                    colour,
                );
                if response.clicked() {
                    // Start empty with the present value as a hint: typing replaces it.
                    let state = EntryState {
                        text: String::new(),
                        rejected: false,
                        focus_requested: false,
                    };
                    ui.data_mut(|data| data.insert_temp(entry_id, state));
                    ui.ctx().request_repaint();
                }
                response.on_hover_text("Click to type a value.")
            }
            Some(mut state) => {
                let text_id = id.with("text");
                let mut child = ui.new_child(egui::UiBuilder::new().max_rect(rect));
                let edit = egui::TextEdit::singleline(&mut state.text)
                    .id(text_id)
                    .hint_text(value_text.trim())
                    .font(theme::value_font())
                    .align(egui::Align2::CENTER_CENTER)
                    .text_color(if state.rejected {
                        theme::BAD
                    } else {
                        theme::TEXT
                    })
                    .desired_width(rect.width());
                let response = child.add(edit);
                if !state.focus_requested {
                    response.request_focus();
                    state.focus_requested = true;
                }
                let (enter, escape) = ui.input(|input| {
                    (
                        input.key_pressed(Key::Enter),
                        input.key_pressed(Key::Escape),
                    )
                });
                if escape {
                    ui.data_mut(|data| data.remove::<EntryState>(entry_id));
                } else if enter || response.lost_focus() {
                    match self.param.string_to_normalized_value(state.text.trim()) {
                        Some(normalized) => {
                            set_normalized_as_gesture(self.setter, self.param, normalized);
                            ui.data_mut(|data| data.remove::<EntryState>(entry_id));
                        }
                        None if enter => {
                            state.rejected = true;
                            response.request_focus();
                            ui.data_mut(|data| data.insert_temp(entry_id, state));
                        }
                        // Focus moved elsewhere with unreadable text: give up quietly.
                        None => ui.data_mut(|data| data.remove::<EntryState>(entry_id)),
                    }
                } else {
                    ui.data_mut(|data| data.insert_temp(entry_id, state));
                }
                response.on_hover_text("Type a value and press Enter; Escape cancels.")
            }
        }
    }
}

impl<P: Param> Widget for Knob<'_, P> {
    fn ui(self, ui: &mut Ui) -> Response {
        let label_height = 16.0;
        let value_height = 18.0;
        let width = (self.diameter + 14.0).max(62.0);
        let size = Vec2::new(width, label_height + self.diameter + value_height + 4.0);
        let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
        let id = match &self.id_salt {
            Some(salt) => ui.scope_id().with(salt.as_str()),
            None => ui
                .scope_id()
                .with(format!("knob {} {}", self.param.name(), self.label).as_str()),
        };

        ui.painter().text(
            Pos2::new(rect.center().x, rect.top() + label_height * 0.5),
            Align2::CENTER_CENTER,
            &self.label,
            theme::label_font(),
            theme::TEXT_DIM,
        );
        let dial_rect = egui::Rect::from_center_size(
            Pos2::new(
                rect.center().x,
                rect.top() + label_height + self.diameter * 0.5 + 1.0,
            ),
            Vec2::splat(self.diameter),
        );
        let dial = ui.interact(dial_rect, id.with("dial"), Sense::click_and_drag());
        self.handle_dial(ui, &dial);
        self.paint_dial(ui, dial_rect, &dial);

        let value_rect = egui::Rect::from_min_size(
            Pos2::new(rect.left(), rect.bottom() - value_height),
            Vec2::new(width, value_height),
        );
        let value_response = self.value_entry(ui, value_rect, id);

        let tooltip = if self.tooltip.is_empty() {
            format!(
                "{}: drag to change, double-click for the default.",
                self.label
            )
        } else {
            self.tooltip.clone()
        };
        let mut response = dial.on_hover_text(tooltip);
        if value_response.changed() {
            response.mark_changed();
        }
        response
    }
}

/// A circular arc from normalised knob position `from` to `to` (0 = minimum, 1 = maximum).
fn arc(center: Pos2, radius: f32, from: f32, to: f32, stroke: Stroke) -> Shape {
    let segments = (((to - from).abs() * 48.0).ceil() as usize).max(1);
    let points = (0..=segments)
        .map(|index| {
            let position = from + (to - from) * index as f32 / segments as f32;
            center + Vec2::angled(START_ANGLE + SWEEP * position) * radius
        })
        .collect::<Vec<_>>();
    Shape::line(points, stroke)
}
