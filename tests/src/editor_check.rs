//! A plugin's real editor inside the project's CLAP host, checked against the same editor drawn
//! headless.
//!
//! [`check_control_in_real_editor`] loads the built bundle, activates it (processing silence), opens
//! its editor through `clap.gui` embedded in an X11 window on a private Xvfb screen
//! ([`VirtualScreen`]), and then:
//!
//! - editor → host: drags a knob up, or clicks a segment of a selector, with the mouse (XTEST
//!   pointer events, the way a user's mouse reaches the window) and checks that the host
//!   received, in order, a gesture begin, the values (rising for the knob; the segment's choice
//!   for the selector) and a gesture end for that control's parameter and nothing else, and that
//!   the plugin's `clap_plugin_params.get_value` agrees with the last value sent;
//! - host → editor: sends a parameter value event (automation in `process`) and checks that the
//!   control is redrawn and that every pixel that changed lies where the headless editor's drawing
//!   depends on the value (the shapes that differ between two headless frames, one at the old
//!   and one at the new value).
//!
//! Where the control is on screen comes from the headless harness
//! ([`gainstage_ui::test_support::Harness`]) at the same window size and 100 % scale: for a knob,
//! the label's text rectangle and the draggable widget right under it; for a segment, the
//! clickable widget under its text.
//!
//! `$DISPLAY` is process-wide, so each test binary checks one plugin, in one test, one control
//! after the other: the plugin crates cannot share a binary anyway (both export the same entry
//! symbols).

use std::time::{Duration, Instant};

use gainstage_ui::egui::{self, FullOutput, Pos2, Rect, Vec2};
use gainstage_ui::knob::DRAG_PIXELS_FULL_RANGE;
use gainstage_ui::test_support::{Harness, RecordingContext, drawn_text_rects};
use nice_plug::prelude::{Param, ParamSetter};

use crate::bundle::Plugin;
use crate::host::{Layout, ParamChange, ParamOutputEvent, PluginUnderTest};
use crate::virtual_screen::{Capture, PixelRect, VirtualScreen};

/// The host's sample rate, Hz.
const SAMPLE_RATE: f64 = 48_000.0;
/// Frames per processed block of silence.
const BLOCK_FRAMES: usize = 256;
/// The Xvfb screen, pixels: room for the biggest editor and a parking place for the pointer.
const SCREEN_SIZE: (u16, u16) = (1600, 1000);
/// Where the host's window (holding the editor) sits on the screen, pixels.
const WINDOW_ORIGIN: (i32, i32) = (30, 30);
/// Where the pointer waits when it should not touch the editor (no hover, no tooltip).
const PARKED_POINTER: (i32, i32) = (1590, 990);
/// The drag: this many points straight up…
const DRAG_POINTS: i32 = 60;
/// …in this many equal steps.
const DRAG_STEPS: i32 = 6;
/// How long the editor may take to draw something or to react.
const REACTION_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a closed editor may take to disconnect from the display.
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The window counts as settled when its pixels stay unchanged this long.
const STABLE_FOR: Duration = Duration::from_millis(400);
/// How far (normalised) a value may land from the one aimed at: the plugin and the knob snap
/// values to the parameter's step, which is finer than this for every knob checked.
const TRAVEL_TOLERANCE: f64 = 0.005;
/// Antialiasing reaches this many pixels beyond a shape's geometric bounds.
const ANTIALIAS_MARGIN: f32 = 2.0;

/// Starts a private Xvfb screen and points `$DISPLAY` (which the plugin's editor connects to) at
/// it.
///
/// # Panics
///
/// Panics with the install command if Xvfb is missing or does not start.
fn start_screen() -> VirtualScreen {
    let screen = VirtualScreen::start(SCREEN_SIZE.0, SCREEN_SIZE.1)
        .unwrap_or_else(|error| panic!("{error:#}"));
    // SAFETY: each test binary runs one editor check (see the module documentation) and no
    // editor is open yet, so no other thread reads the environment while it changes.
    unsafe { std::env::set_var("DISPLAY", screen.display()) };
    screen
}

/// Sets `param` to `normalized` the way a host does (no gesture), for the headless editor.
pub fn host_set_normalized<P: Param>(param: &P, normalized: f32) {
    // SAFETY: the parameter outlives this call; the harness thread is the only one touching it.
    unsafe {
        param.as_ptr()._internal_set_normalized_value(normalized);
    }
}

/// Draws a headless editor into the window's root `Ui`, sending changes through the setter.
pub type DrawEditor = dyn FnMut(&mut egui::Ui, &ParamSetter);

/// The kind of control checked and how the test finds it in the headless editor.
#[derive(Debug, Clone, Copy)]
pub enum Control {
    /// A [`gainstage_ui::Knob`] with this label drawn above it: dragged up by 60 points.
    Knob {
        /// The label's text.
        label: &'static str,
    },
    /// One segment of a [`gainstage_ui::Segmented`] selector, drawn with this text: clicked. It
    /// must not be the selected one.
    Segment {
        /// The segment's text (the parameter's text for that choice).
        text: &'static str,
    },
}

/// A control to check in one plugin's editor, and a headless copy of that editor.
pub struct ControlUnderTest {
    /// The plugin whose built bundle is loaded.
    pub plugin: Plugin,
    /// The parameter's display name (how the CLAP host finds it).
    pub param_name: String,
    /// The control, and how to find it.
    pub control: Control,
    /// The editor window's default size, points (= pixels at 100 %).
    pub window_size: Vec2,
    /// Sets the parameter (normalised value, `0..=1`), host-style, in the headless editor's own
    /// parameters.
    pub set_value: Box<dyn Fn(f32)>,
    /// Draws the headless editor into the window's root `Ui`, as the window does.
    pub draw: Box<DrawEditor>,
}

/// One headless frame: what was drawn and where the interactive widgets are.
struct HeadlessFrame {
    output: FullOutput,
    /// Rectangles of the widgets that react to a drag.
    draggable: Vec<Rect>,
    /// Rectangles of the widgets that react to a click but not a drag.
    clickable: Vec<Rect>,
}

impl ControlUnderTest {
    /// Draws the headless editor with the parameter at `normalized`; several frames, so that
    /// layouts that size themselves from the previous frame have settled.
    fn headless_frame(&mut self, normalized: f32) -> HeadlessFrame {
        (self.set_value)(normalized);
        let context = RecordingContext::default();
        let setter = ParamSetter::new(&context);
        let mut harness = Harness::new(self.window_size);
        let mut output = harness.frame(Vec::new(), |ui| (self.draw)(ui, &setter));
        for _ in 0..2 {
            output = harness.frame(Vec::new(), |ui| (self.draw)(ui, &setter));
        }
        let (draggable, clickable) = harness.ctx.viewport(|viewport| {
            let widgets = if viewport.this_pass.widgets.layer_ids().len() > 0 {
                &viewport.this_pass.widgets
            } else {
                &viewport.prev_pass.widgets
            };
            let all: Vec<_> = widgets
                .layers()
                .flat_map(|(_, rects)| rects.iter().copied())
                .collect();
            (
                all.iter()
                    .filter(|widget| widget.sense.senses_drag())
                    .map(|widget| widget.rect)
                    .collect(),
                all.iter()
                    .filter(|widget| widget.sense.senses_click() && !widget.sense.senses_drag())
                    .map(|widget| widget.rect)
                    .collect(),
            )
        });
        assert!(
            context.take_events().is_empty(),
            "drawing alone sent gestures"
        );
        HeadlessFrame {
            output,
            draggable,
            clickable,
        }
    }
}

/// Where the knob labelled `label` is: (the dial, the knob's whole rectangle — label, dial and
/// value box).
fn locate_knob(frame: &HeadlessFrame, label: &str) -> (Rect, Rect) {
    let label_rect = drawn_text_rects(&frame.output)
        .into_iter()
        .find(|(text, _)| text == label)
        .unwrap_or_else(|| panic!("the headless editor draws no \"{label}\""))
        .1;
    // The dial: the nearest draggable widget below the label that spans its centre line.
    let below = |rects: &[Rect], top: f32| {
        rects
            .iter()
            .filter(|rect| {
                rect.top() >= top - 1.0
                    && rect.left() <= label_rect.center().x
                    && rect.right() >= label_rect.center().x
            })
            .min_by(|a, b| a.top().total_cmp(&b.top()))
            .copied()
    };
    let dial = below(&frame.draggable, label_rect.bottom())
        .unwrap_or_else(|| panic!("no draggable widget under \"{label}\""));
    let value_box = below(&frame.clickable, dial.bottom())
        .unwrap_or_else(|| panic!("no value box under the \"{label}\" dial"));
    let whole = label_rect.union(dial).union(value_box);
    (dial, whole)
}

/// Where the segment drawn with `text` is: the clickable widget under the text's centre.
fn locate_segment(frame: &HeadlessFrame, text: &str) -> Rect {
    let text_rect = drawn_text_rects(&frame.output)
        .into_iter()
        .find(|(drawn, _)| drawn == text)
        .unwrap_or_else(|| panic!("the headless editor draws no \"{text}\""))
        .1;
    frame
        .clickable
        .iter()
        .filter(|rect| rect.contains(text_rect.center()))
        .min_by(|a, b| a.area().total_cmp(&b.area()))
        .copied()
        .unwrap_or_else(|| panic!("no clickable widget under \"{text}\""))
}

/// The rectangles (grown by the antialiasing margin) of every shape drawn in one frame and not
/// the other: where the drawing depends on what changed between the frames.
fn changed_shape_rects(before: &FullOutput, after: &FullOutput) -> Vec<Rect> {
    let unmatched = |from: &FullOutput, against: &FullOutput| {
        let mut used = vec![false; against.shapes.len()];
        let mut rects = Vec::new();
        for shape in &from.shapes {
            let twin = against
                .shapes
                .iter()
                .enumerate()
                .position(|(index, other)| !used[index] && other == shape);
            match twin {
                Some(index) => used[index] = true,
                None => {
                    let bounds = shape
                        .shape
                        .visual_bounding_rect()
                        .intersect(shape.clip_rect);
                    if bounds.is_positive() {
                        rects.push(bounds.expand(ANTIALIAS_MARGIN));
                    }
                }
            }
        }
        rects
    };
    let mut rects = unmatched(before, after);
    rects.extend(unmatched(after, before));
    rects
}

/// The window's place on the screen.
fn window_rect(size: (u32, u32)) -> PixelRect {
    PixelRect {
        x: WINDOW_ORIGIN.0,
        y: WINDOW_ORIGIN.1,
        width: size.0,
        height: size.1,
    }
}

/// The host side of the session: the plugin, active and processing silence, with its editor
/// embedded in a window on the screen.
struct HostSession<'a> {
    plugin: PluginUnderTest,
    screen: &'a VirtualScreen,
    window: u32,
    window_rect: PixelRect,
    silence: Vec<Vec<f32>>,
    blocks_processed: usize,
    /// X clients connected before the editor opened (the test's own, and any the server keeps).
    clients_before_editor: usize,
}

impl<'a> HostSession<'a> {
    fn open(plugin: Plugin, screen: &'a VirtualScreen) -> anyhow::Result<Self> {
        let mut instance = PluginUnderTest::load(plugin)?;
        instance.activate(SAMPLE_RATE, 1, BLOCK_FRAMES, Layout::Stereo)?;
        anyhow::ensure!(
            instance.supports_embedded_x11_editor(),
            "{plugin:?} offers no embedded X11 editor"
        );
        let clients_before_editor = screen.client_count()?;
        let size = instance.create_editor_x11(1.0)?;
        let window_rect = window_rect((size.width, size.height));
        let window = screen.create_window(window_rect)?;
        instance.show_editor_in_x11_window(window)?;
        Ok(Self {
            plugin: instance,
            screen,
            window,
            window_rect,
            silence: vec![vec![0.0; BLOCK_FRAMES]; 2],
            blocks_processed: 0,
            clients_before_editor,
        })
    }

    /// Runs the host for `duration`: silent blocks, main-thread callbacks, flush requests.
    fn run_for(&mut self, duration: Duration) -> anyhow::Result<()> {
        let start = Instant::now();
        loop {
            self.process_block(&[])?;
            if start.elapsed() >= duration {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// One block of silence carrying `changes`; then serves the plugin's requests.
    fn process_block(&mut self, changes: &[ParamChange]) -> anyhow::Result<()> {
        self.plugin
            .process_with_changes(&self.silence, BLOCK_FRAMES, changes)?;
        self.plugin.serve_flush_request()?;
        self.blocks_processed += 1;
        Ok(())
    }

    fn capture(&self) -> anyhow::Result<Capture> {
        self.screen.capture(self.window_rect)
    }

    /// Runs the host until the window's pixels differ from `unlike` (if given) and then stay
    /// unchanged for [`STABLE_FOR`]; returns the settled pixels and how long it took.
    fn settle(&mut self, unlike: Option<&Capture>) -> anyhow::Result<(Capture, Duration)> {
        let start = Instant::now();
        let mut last = self.capture()?;
        let mut last_change = Instant::now();
        let mut moved = unlike.is_none_or(|reference| *reference != last);
        loop {
            self.run_for(Duration::from_millis(40))?;
            let now = self.capture()?;
            if now != last {
                last = now;
                last_change = Instant::now();
                moved = moved || unlike.is_none_or(|reference| *reference != last);
            } else if moved && last_change.elapsed() >= STABLE_FOR {
                return Ok((last, start.elapsed()));
            }
            anyhow::ensure!(
                start.elapsed() < REACTION_TIMEOUT,
                "the editor window did not settle{} within {REACTION_TIMEOUT:?}",
                if moved { "" } else { " on a new picture" }
            );
        }
    }

    /// Runs the host until the plugin sends an event for which `wanted` is true; appends every
    /// parameter event it sends meanwhile to `events`.
    fn run_until_event(
        &mut self,
        events: &mut Vec<ParamOutputEvent>,
        wanted: impl Fn(&ParamOutputEvent) -> bool,
    ) -> anyhow::Result<()> {
        let start = Instant::now();
        loop {
            self.run_for(Duration::from_millis(10))?;
            let new_events = self.plugin.take_output_param_events();
            let found = new_events.iter().any(&wanted);
            events.extend(new_events);
            if found {
                return Ok(());
            }
            anyhow::ensure!(
                start.elapsed() < REACTION_TIMEOUT,
                "the event did not reach the host within {REACTION_TIMEOUT:?}; events so far: \
                 {events:?}"
            );
        }
    }

    /// Moves the pointer to a point of the window (window pixels).
    fn pointer_to(&self, point: Pos2) -> anyhow::Result<()> {
        self.screen.move_pointer(
            self.window_rect.x + point.x.round() as i32,
            self.window_rect.y + point.y.round() as i32,
        )
    }

    /// Closes the editor and the host window, then waits until the editor has disconnected from
    /// the screen; returns how many more X clients are connected than before the editor opened,
    /// and the wait.
    fn close_editor(&mut self) -> anyhow::Result<(usize, Duration)> {
        let started = Instant::now();
        if self.plugin.is_editor_open() {
            self.plugin.close_editor();
            self.screen.destroy_window(self.window)?;
        }
        let clients = self
            .screen
            .wait_for_client_count_at_most(self.clients_before_editor, DISCONNECT_TIMEOUT)?;
        Ok((
            clients.saturating_sub(self.clients_before_editor),
            started.elapsed(),
        ))
    }

    fn park_pointer(&self) -> anyhow::Result<()> {
        self.screen.move_pointer(PARKED_POINTER.0, PARKED_POINTER.1)
    }
}

impl Drop for HostSession<'_> {
    fn drop(&mut self) {
        // Also on a failed check: the screen is stopped next, and must not be while the editor
        // still holds a connection to it.
        let _ = self.close_editor();
    }
}

/// The gesture values in `events`, after checking that they are exactly: a begin, one or more
/// values, an end, all for `param_id`.
fn gesture_values(events: &[ParamOutputEvent], param_id: u32) -> Vec<f64> {
    let count = |wanted: fn(&ParamOutputEvent) -> bool| events.iter().filter(|e| wanted(e)).count();
    let values: Vec<f64> = events
        .iter()
        .filter_map(|event| match event {
            ParamOutputEvent::Value { value, .. } => Some(*value),
            _ => None,
        })
        .collect();
    println!(
        "{} events reached the host: {} begin, {} values {:?}, {} end",
        events.len(),
        count(|event| matches!(event, ParamOutputEvent::GestureBegin { .. })),
        values.len(),
        values,
        count(|event| matches!(event, ParamOutputEvent::GestureEnd { .. })),
    );
    let other_params: Vec<&ParamOutputEvent> = events
        .iter()
        .filter(|event| event.param_id() != param_id)
        .collect();
    assert!(
        other_params.is_empty(),
        "the gesture touched other parameters: {other_params:?}"
    );
    assert_eq!(
        events.first(),
        Some(&ParamOutputEvent::GestureBegin { param_id }),
        "the first event is the gesture begin"
    );
    assert_eq!(
        events.last(),
        Some(&ParamOutputEvent::GestureEnd { param_id }),
        "the last event is the gesture end"
    );
    assert_eq!(
        values.len(),
        events.len() - 2,
        "only values between begin and end: {events:?}"
    );
    assert!(!values.is_empty(), "no value reached the host");
    values
}

/// Drags the knob whose dial is centred at `grab` up by [`DRAG_POINTS`] and checks the gesture
/// the host receives; returns the last value sent.
fn drag_knob_up(
    session: &mut HostSession,
    grab: Pos2,
    param: &crate::host::ParamDescription,
    initial_value: f64,
) -> f64 {
    session.pointer_to(grab).expect("pointer");
    session
        .run_for(Duration::from_millis(60))
        .expect("host runs");
    session.screen.press_button(1, true).expect("press");
    session
        .run_for(Duration::from_millis(60))
        .expect("host runs");
    let mut events = Vec::new();
    // Each step waits for its value to reach the host before the next: a real hand is slower
    // than XTEST, and egui drops the motion that arrives in the same frame as the release.
    for step in 1..=DRAG_STEPS {
        let lift = (DRAG_POINTS * step / DRAG_STEPS) as f32;
        session
            .pointer_to(grab - Vec2::new(0.0, lift))
            .expect("pointer");
        session
            .run_until_event(&mut events, |event| {
                matches!(event, ParamOutputEvent::Value { .. })
            })
            .unwrap_or_else(|error| panic!("drag step {step}: {error:#}"));
    }
    session.screen.press_button(1, false).expect("release");
    collect_until_gesture_end(session, &mut events, "releasing the button");
    print!("drag of {DRAG_POINTS} px up in {DRAG_STEPS} steps: ");
    let values = gesture_values(&events, param.id);
    let rising = std::iter::once(initial_value)
        .chain(values.iter().copied())
        .collect::<Vec<_>>()
        .windows(2)
        .all(|pair| pair[1] > pair[0]);
    assert!(
        rising,
        "an upward drag sends rising values from {initial_value}: {values:?}"
    );
    let sent_value = *values.last().expect("checked");
    let expected_travel = f64::from(DRAG_POINTS as f32 / DRAG_PIXELS_FULL_RANGE);
    println!(
        "value {initial_value:.4} → {sent_value:.4} (travel {:.4}; {DRAG_POINTS} px at \
         {DRAG_PIXELS_FULL_RANGE} px per full range is {expected_travel:.4})",
        sent_value - initial_value
    );
    // The knob snaps every value to the parameter's step, so the travel may miss by a step.
    assert!(
        (sent_value - initial_value - expected_travel).abs() < TRAVEL_TOLERANCE,
        "the drag moved the value by {:.4}, expected {expected_travel:.4} ± {TRAVEL_TOLERANCE}",
        sent_value - initial_value
    );
    sent_value
}

/// Runs the host until the plugin ends its gesture, then 100 ms more, collecting every parameter
/// event it sends into `events`; `action` names what ended the gesture, for the panic message.
fn collect_until_gesture_end(
    session: &mut HostSession,
    events: &mut Vec<ParamOutputEvent>,
    action: &str,
) {
    session
        .run_until_event(events, |event| {
            matches!(event, ParamOutputEvent::GestureEnd { .. })
        })
        .unwrap_or_else(|error| panic!("{action}: {error:#}"));
    session
        .run_for(Duration::from_millis(100))
        .expect("host runs");
    events.extend(session.plugin.take_output_param_events());
}

/// Clicks the segment drawn with `text`, centred at `point`, and checks the gesture the host
/// receives: one value, the choice whose text is `text`. Returns it.
fn click_segment(
    session: &mut HostSession,
    point: Pos2,
    param: &crate::host::ParamDescription,
    initial_value: f64,
    text: &str,
) -> f64 {
    session.pointer_to(point).expect("pointer");
    session
        .run_for(Duration::from_millis(60))
        .expect("host runs");
    session.screen.press_button(1, true).expect("press");
    session
        .run_for(Duration::from_millis(60))
        .expect("host runs");
    session.screen.press_button(1, false).expect("release");
    let mut events = Vec::new();
    collect_until_gesture_end(session, &mut events, &format!("clicking \"{text}\""));
    print!("click on \"{text}\": ");
    let values = gesture_values(&events, param.id);
    assert_eq!(values.len(), 1, "a click sends one value: {values:?}");
    let sent_value = values[0];
    let sent_text = session
        .plugin
        .value_to_text(&param.name, sent_value)
        .expect("value_to_text");
    println!("value {initial_value} → {sent_value} (\"{sent_text}\")");
    assert_ne!(sent_value, initial_value, "the click changed nothing");
    assert_eq!(
        sent_text, text,
        "the click chose {sent_value} (\"{sent_text}\"), not \"{text}\""
    );
    sent_value
}

/// Runs the whole check (see the module documentation) for `control`, printing every figure.
///
/// # Panics
///
/// Panics, naming the figure, if any part of the check fails (including a missing Xvfb).
pub fn check_control_in_real_editor(mut control: ControlUnderTest) {
    // Build the bundles first (once per test process), so the time printed is the check's own.
    crate::bundle::built_bundles();
    let started = Instant::now();
    let screen = start_screen();
    let mut session = HostSession::open(control.plugin, &screen)
        .unwrap_or_else(|error| panic!("opening the {:?} editor: {error:#}", control.plugin));
    let param = session
        .plugin
        .params()
        .iter()
        .find(|param| param.name == control.param_name)
        .unwrap_or_else(|| panic!("the plugin has no parameter named {:?}", control.param_name))
        .clone();
    let editor_size = (session.window_rect.width, session.window_rect.height);
    println!(
        "{:?}: editor {}×{} px embedded in host window {:#x} on Xvfb {}",
        control.plugin,
        editor_size.0,
        editor_size.1,
        session.window,
        screen.display()
    );
    assert_eq!(
        editor_size,
        (control.window_size.x as u32, control.window_size.y as u32),
        "the editor's size at 100 % differs from the headless harness's"
    );

    // Where the control is, from the headless editor at the plugin's present value.
    let normalized =
        |value: f64| ((value - param.min_value) / (param.max_value - param.min_value)) as f32;
    let initial_value = session
        .plugin
        .param_value_by_id(param.id)
        .expect("get_value");
    let frame = control.headless_frame(normalized(initial_value));
    let (target, knob) = match control.control {
        Control::Knob { label } => {
            let (dial, knob) = locate_knob(&frame, label);
            (dial, knob)
        }
        Control::Segment { text } => {
            let segment = locate_segment(&frame, text);
            (segment, segment)
        }
    };
    println!(
        "{:?} ({}, CLAP ID {}): grabbed at {:?}, the control's rectangle {:?} (window points)",
        control.control, param.name, param.id, target, knob
    );

    session.park_pointer().expect("park the pointer");
    let (first_picture, first_draw) = session.settle(None).expect("the editor draws");
    let background_pixels = first_picture
        .pixels
        .iter()
        .filter(|&&pixel| pixel == first_picture.pixels[0])
        .count();
    println!(
        "first picture settled after {first_draw:.2?}; {background_pixels} of {} pixels share the \
         top-left colour; the editor holds {} X connections",
        first_picture.pixels.len(),
        screen
            .client_count()
            .expect("X-Resource")
            .saturating_sub(session.clients_before_editor)
    );
    assert!(
        background_pixels < first_picture.pixels.len() / 2,
        "the window looks empty: {background_pixels} pixels of one colour"
    );
    session
        .run_for(Duration::from_millis(500))
        .expect("host runs");
    let idle = session.capture().expect("capture");
    let idle_changes = idle.changed_pixels(&first_picture).len();
    println!("idle for 0.5 s (silence): {idle_changes} pixels changed");
    assert_eq!(idle_changes, 0, "the window changes with nothing happening");

    // --- editor → host: drag the knob up, or click the segment, with the mouse.
    session.plugin.take_output_param_events();
    let sent_value = match control.control {
        Control::Knob { .. } => drag_knob_up(&mut session, target.center(), &param, initial_value),
        Control::Segment { text } => {
            click_segment(&mut session, target.center(), &param, initial_value, text)
        }
    };
    let read_back = session
        .plugin
        .param_value_by_id(param.id)
        .expect("get_value");
    println!("get_value reads {read_back:.4}");
    assert!(
        (read_back - sent_value).abs() < 1e-6,
        "get_value reads {read_back}, the last value sent was {sent_value}"
    );

    // --- host → editor: automate the parameter from the host.
    session.park_pointer().expect("park the pointer");
    let (before, _) = session.settle(None).expect("settles after the drag");
    let requested_value = if param.is_stepped() {
        // Another choice: the first, or the last if the first is selected.
        if sent_value == param.min_value {
            param.max_value
        } else {
            param.min_value
        }
    } else if normalized(sent_value) < 0.5 {
        0.9
    } else {
        0.1
    };
    let automation_sent = Instant::now();
    session
        .process_block(&[ParamChange {
            frame: 0,
            param_id: param.id,
            value: requested_value,
        }])
        .expect("automation block");
    let (after, reaction) = session.settle(Some(&before)).expect("the editor redraws");
    // The plugin snaps the value to the parameter's step.
    let automated_value = session
        .plugin
        .param_value_by_id(param.id)
        .expect("get_value");
    assert!(
        (automated_value - requested_value).abs() < TRAVEL_TOLERANCE,
        "get_value reads {automated_value} after automating {requested_value}"
    );
    let changed = after.changed_pixels(&before);

    // Where the headless editor says the drawing depends on the value.
    let headless_before = control.headless_frame(normalized(sent_value));
    let headless_after = control.headless_frame(normalized(automated_value));
    let expected_rects = changed_shape_rects(&headless_before.output, &headless_after.output);
    let inside =
        |rect: &Rect, (x, y): (i32, i32)| rect.contains(Pos2::new(x as f32 + 0.5, y as f32 + 0.5));
    let window_pixels = (0..session.window_rect.height as i32)
        .flat_map(|y| (0..session.window_rect.width as i32).map(move |x| (x, y)));
    let predicted_area = window_pixels
        .filter(|&pixel| expected_rects.iter().any(|rect| inside(rect, pixel)))
        .count();
    let in_control = changed
        .iter()
        .filter(|&&pixel| inside(&knob.expand(ANTIALIAS_MARGIN), pixel))
        .count();
    let unexpected: Vec<(i32, i32)> = changed
        .iter()
        .copied()
        .filter(|&pixel| !expected_rects.iter().any(|rect| inside(rect, pixel)))
        .collect();
    let bounding_box = |pixels: &[(i32, i32)]| {
        pixels
            .iter()
            .fold(None, |acc: Option<(i32, i32, i32, i32)>, &(x, y)| {
                Some(match acc {
                    None => (x, y, x, y),
                    Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
                })
            })
    };
    println!(
        "host automation {sent_value:.4} → {automated_value:.4} (sent {requested_value}): \
         window settled {reaction:.2?} after the block ({:.2?} wall); {} pixels changed, \
         bounding box {:?} (x0, y0, x1, y1); {in_control} inside the control {:?}, {} outside it",
        automation_sent.elapsed(),
        changed.len(),
        bounding_box(&changed),
        knob,
        changed.len() - in_control,
    );
    println!(
        "headless editor: {} shapes differ between the two values, covering {predicted_area} px \
         ({:.1} % of the window); changed pixels outside them: {} {:?}",
        expected_rects.len(),
        100.0 * predicted_area as f64
            / f64::from(session.window_rect.width * session.window_rect.height),
        unexpected.len(),
        bounding_box(&unexpected),
    );
    assert!(in_control > 0, "the control did not change on screen");
    assert!(
        unexpected.is_empty(),
        "{} pixels changed where the editor's drawing does not depend on the value (box {:?})",
        unexpected.len(),
        bounding_box(&unexpected)
    );
    let (clients_left, disconnect) = session.close_editor().expect("close the editor");
    println!(
        "editor closed: {clients_left} of its X connections left after {disconnect:.2?}; {} blocks \
         processed; the check took {:.2?} (bundles already built)",
        session.blocks_processed,
        started.elapsed()
    );
    assert_eq!(
        clients_left, 0,
        "the closed editor still holds a connection to the display after {disconnect:.2?}"
    );
}
