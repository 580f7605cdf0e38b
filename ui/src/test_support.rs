//! Headless testing of editors: a stand-in for the host's GUI context that records automation
//! gestures, and a driver that runs egui frames with synthetic pointer and keyboard input (no
//! window, no GPU).
//!
//! Used by this crate's widget tests and by the plugins' editor tests.

use std::collections::BTreeMap;
use std::sync::Mutex;

use egui::{Event, FullOutput, Modifiers, PointerButton, Pos2, Rect, Shape, Ui, Vec2};
use nice_plug::context::PluginApi;
use nice_plug::context::gui::GuiContextInner;
use nice_plug::prelude::{ParamPtr, PluginState};

/// One message an editor sent the host about a parameter (by the parameter's display name).
#[derive(Clone, Debug, PartialEq)]
pub enum GestureEvent {
    /// `begin_set_parameter`.
    Begin(String),
    /// `set_parameter`, with the normalised value sent.
    Set(String, f32),
    /// `end_set_parameter`.
    End(String),
}

/// A host stand-in: applies every `set` to the parameter (as a host would) and records every
/// gesture message in order.
#[derive(Debug, Default)]
pub struct RecordingContext {
    events: Mutex<Vec<GestureEvent>>,
}

impl RecordingContext {
    /// Everything recorded so far, oldest first; clears the record.
    pub fn take_events(&self) -> Vec<GestureEvent> {
        std::mem::take(
            &mut *self
                .events
                .lock()
                .unwrap_or_else(|error| error.into_inner()),
        )
    }

    fn push(&self, event: GestureEvent) {
        self.events
            .lock()
            .unwrap_or_else(|error| error.into_inner())
            .push(event);
    }
}

impl GuiContextInner for RecordingContext {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }

    unsafe fn raw_begin_set_parameter(&self, param: ParamPtr) {
        // SAFETY: the caller passes a pointer to a live parameter.
        self.push(GestureEvent::Begin(unsafe { param.name() }.to_owned()));
    }

    unsafe fn raw_set_parameter_normalized(&self, param: ParamPtr, normalized: f32) {
        // SAFETY: the caller passes a pointer to a live parameter; like a host, apply the value.
        unsafe {
            param._internal_set_normalized_value(normalized);
        }
        self.push(GestureEvent::Set(
            // SAFETY: as above.
            unsafe { param.name() }.to_owned(),
            normalized,
        ));
    }

    unsafe fn raw_end_set_parameter(&self, param: ParamPtr) {
        // SAFETY: the caller passes a pointer to a live parameter.
        self.push(GestureEvent::End(unsafe { param.name() }.to_owned()));
    }

    fn get_state(&self) -> PluginState {
        PluginState {
            version: String::new(),
            params: BTreeMap::new(),
            fields: BTreeMap::new(),
        }
    }

    fn set_state(&self, _state: PluginState) {}

    fn request_restart(&self) {}
}

/// Drives an [`egui::Context`] frame by frame with synthetic input.
pub struct Harness {
    /// The egui context under test.
    pub ctx: egui::Context,
    screen: Rect,
    time: f64,
    /// Modifiers held for the coming events (e.g. Shift for a fine drag).
    pub modifiers: Modifiers,
    /// The modifiers egui was last told about.
    sent_modifiers: Modifiers,
    pointer: Pos2,
}

/// Seconds between frames.
const FRAME_SECONDS: f64 = 1.0 / 60.0;

impl Harness {
    /// A harness with a `size` point screen at 100 % scale and the Gainstage theme applied.
    pub fn new(size: Vec2) -> Self {
        let ctx = egui::Context::default();
        crate::theme::apply(&ctx);
        Self {
            ctx,
            screen: Rect::from_min_size(Pos2::ZERO, size),
            time: 0.0,
            modifiers: Modifiers::NONE,
            sent_modifiers: Modifiers::NONE,
            pointer: Pos2::ZERO,
        }
    }

    /// Runs one frame with `events`, drawing with `draw`.
    pub fn frame(&mut self, mut events: Vec<Event>, mut draw: impl FnMut(&mut Ui)) -> FullOutput {
        self.time += FRAME_SECONDS;
        if self.modifiers != self.sent_modifiers {
            events.insert(0, Event::ModifiersChanged(self.modifiers));
            self.sent_modifiers = self.modifiers;
        }
        let input = egui::RawInput {
            screen_rect: Some(self.screen),
            time: Some(self.time),
            predicted_dt: FRAME_SECONDS as f32,
            events,
            focused: true,
            ..Default::default()
        };
        let mut output = self.ctx.run_ui(input, |ui| draw(ui));
        // No renderer here: the font atlas uploads are dropped on purpose.
        output.textures_delta.clear();
        output
    }

    /// Lets `seconds` pass without input (e.g. to separate two clicks).
    pub fn wait(&mut self, seconds: f64) {
        self.time += seconds;
    }

    /// A pointer move to `position`.
    pub fn move_to(&mut self, position: Pos2) -> Event {
        self.pointer = position;
        Event::PointerMoved(position)
    }

    /// A primary-button press or release at the pointer's position.
    pub fn button(&self, pressed: bool) -> Event {
        Event::PointerButton {
            pos: self.pointer,
            button: PointerButton::Primary,
            pressed,
            modifiers: self.modifiers,
        }
    }

    /// A key press (and release) of `key`.
    pub fn key(&self, key: egui::Key) -> Vec<Event> {
        [true, false]
            .into_iter()
            .map(|pressed| Event::Key {
                key,
                physical_key: None,
                pressed,
                repeat: false,
                modifiers: self.modifiers,
            })
            .collect()
    }

    /// Clicks at `position` (move, press, release over three frames).
    pub fn click(&mut self, position: Pos2, mut draw: impl FnMut(&mut Ui)) {
        let moved = self.move_to(position);
        self.frame(vec![moved], &mut draw);
        let press = self.button(true);
        self.frame(vec![press], &mut draw);
        let release = self.button(false);
        self.frame(vec![release], &mut draw);
    }

    /// Drags from `from` to `to` in `steps` pointer moves, one per frame, then releases.
    pub fn drag(&mut self, from: Pos2, to: Pos2, steps: usize, mut draw: impl FnMut(&mut Ui)) {
        let moved = self.move_to(from);
        self.frame(vec![moved], &mut draw);
        let press = self.button(true);
        self.frame(vec![press], &mut draw);
        for step in 1..=steps.max(1) {
            let position = from + (to - from) * (step as f32 / steps.max(1) as f32);
            let moved = self.move_to(position);
            self.frame(vec![moved], &mut draw);
        }
        let release = self.button(false);
        self.frame(vec![release], &mut draw);
        self.frame(Vec::new(), &mut draw);
    }
}

/// Every piece of text drawn in `output`, in paint order.
pub fn drawn_texts(output: &FullOutput) -> Vec<String> {
    let mut texts = Vec::new();
    for clipped in &output.shapes {
        collect_texts(&clipped.shape, &mut texts);
    }
    texts
}

fn collect_texts(shape: &Shape, texts: &mut Vec<String>) {
    match shape {
        Shape::Text(text) => texts.push(text.galley.text().to_owned()),
        Shape::Vec(shapes) => {
            for shape in shapes {
                collect_texts(shape, texts);
            }
        }
        _ => {}
    }
}

/// Every polyline drawn in `output` in `colour`, as screen points.
pub fn drawn_lines(output: &FullOutput, colour: egui::Color32) -> Vec<Vec<Pos2>> {
    let mut lines = Vec::new();
    for clipped in &output.shapes {
        collect_lines(&clipped.shape, colour, &mut lines);
    }
    lines
}

fn collect_lines(shape: &Shape, colour: egui::Color32, lines: &mut Vec<Vec<Pos2>>) {
    match shape {
        Shape::Path(path) if path.stroke.color == egui::epaint::ColorMode::Solid(colour) => {
            lines.push(path.points.clone());
        }
        Shape::Vec(shapes) => {
            for shape in shapes {
                collect_lines(shape, colour, lines);
            }
        }
        _ => {}
    }
}

/// Every piece of text drawn in `output` with the screen rectangle it occupies.
pub fn drawn_text_rects(output: &FullOutput) -> Vec<(String, Rect)> {
    let mut texts = Vec::new();
    for clipped in &output.shapes {
        collect_text_rects(&clipped.shape, &mut texts);
    }
    texts
}

fn collect_text_rects(shape: &Shape, texts: &mut Vec<(String, Rect)>) {
    match shape {
        Shape::Text(text) => texts.push((
            text.galley.text().to_owned(),
            Rect::from_min_size(text.pos, text.galley.size()),
        )),
        Shape::Vec(shapes) => {
            for shape in shapes {
                collect_text_rects(shape, texts);
            }
        }
        _ => {}
    }
}
