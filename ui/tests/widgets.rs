//! Headless widget tests: synthetic pointer and keyboard input through egui, gestures recorded by
//! a host stand-in.

use std::cell::Cell;

use egui::{Event, Key, Pos2, Rect, Vec2};
use gainstage_ui::test_support::{GestureEvent, Harness, RecordingContext, drawn_texts};
use gainstage_ui::{Knob, Segmented, Toggle};
use nice_plug::prelude::*;

fn gain_param() -> FloatParam {
    FloatParam::new(
        "Gain",
        0.0,
        FloatRange::Linear {
            min: 0.0,
            max: 60.0,
        },
    )
    .with_step_size(0.1)
    .with_unit(" dB")
    .with_value_to_string(formatters::v2s_f32_rounded(1))
}

fn frequency_param() -> FloatParam {
    FloatParam::new(
        "Mid frequency",
        1_000.0,
        FloatRange::Skewed {
            min: 100.0,
            max: 8_000.0,
            factor: FloatRange::skew_factor(-1.5),
        },
    )
    .with_value_to_string(formatters::v2s_f32_hz_then_khz(1))
    .with_string_to_value(gainstage_ui::units::s2v_frequency())
}

/// Counts (begins, sets, ends) and checks the order: begin first, end last.
fn gesture_shape(events: &[GestureEvent]) -> (usize, usize, usize) {
    let begins = events
        .iter()
        .filter(|e| matches!(e, GestureEvent::Begin(_)))
        .count();
    let sets = events
        .iter()
        .filter(|e| matches!(e, GestureEvent::Set(..)))
        .count();
    let ends = events
        .iter()
        .filter(|e| matches!(e, GestureEvent::End(_)))
        .count();
    if !events.is_empty() {
        assert!(
            matches!(events.first(), Some(GestureEvent::Begin(_))),
            "{events:?}"
        );
        assert!(
            matches!(events.last(), Some(GestureEvent::End(_))),
            "{events:?}"
        );
    }
    (begins, sets, ends)
}

/// Draws one knob for `param` and remembers where its dial is.
fn knob_frame<'a>(
    param: &'a FloatParam,
    setter: &'a ParamSetter<'a>,
    dial: &'a Cell<Rect>,
) -> impl FnMut(&mut egui::Ui) + 'a {
    move |ui: &mut egui::Ui| {
        let response = ui.add(Knob::new(param, setter));
        dial.set(response.rect);
    }
}

#[test]
fn knob_drag_sends_one_begin_at_least_one_set_and_one_end() {
    let host = RecordingContext::default();
    let setter = ParamSetter::new(&host);
    let param = gain_param();
    let dial = Cell::new(Rect::NOTHING);
    let mut harness = Harness::new(Vec2::new(300.0, 300.0));
    harness.frame(Vec::new(), knob_frame(&param, &setter, &dial));
    let centre = dial.get().center();
    harness.drag(
        centre,
        centre - Vec2::new(0.0, 50.0),
        5,
        knob_frame(&param, &setter, &dial),
    );
    let events = host.take_events();
    let (begins, sets, ends) = gesture_shape(&events);
    println!(
        "drag of 50 points: {begins} begin, {sets} set, {ends} end; gain now {:.1} dB",
        param.value()
    );
    assert_eq!((begins, ends), (1, 1));
    assert!(sets >= 1);
    assert!(param.value() > 0.0, "dragging up raised the gain");
}

#[test]
fn knob_double_click_sets_the_default() {
    let host = RecordingContext::default();
    let setter = ParamSetter::new(&host);
    let param = gain_param();
    // Move away from the default first.
    // SAFETY: the pointer comes from `param`, which lives for the whole test.
    unsafe { param.as_ptr()._internal_set_normalized_value(0.6) };
    let dial = Cell::new(Rect::NOTHING);
    let mut harness = Harness::new(Vec2::new(300.0, 300.0));
    harness.frame(Vec::new(), knob_frame(&param, &setter, &dial));
    let before = param.value();
    let centre = dial.get().center();
    let moved = harness.move_to(centre);
    harness.frame(vec![moved], knob_frame(&param, &setter, &dial));
    for _ in 0..2 {
        let press = harness.button(true);
        harness.frame(vec![press], knob_frame(&param, &setter, &dial));
        let release = harness.button(false);
        harness.frame(vec![release], knob_frame(&param, &setter, &dial));
    }
    let events = host.take_events();
    let (begins, sets, ends) = gesture_shape(&events);
    println!(
        "double-click: {before:.1} dB → {:.1} dB (default {:.1}); {begins}/{sets}/{ends} begin/set/end",
        param.value(),
        param.default_plain_value()
    );
    assert_eq!(param.value(), param.default_plain_value());
    assert_eq!((begins, sets, ends), (1, 1, 1));
}

/// Clicks the knob's value text, types `text` and presses Enter.
fn type_into_knob(param: &FloatParam, text: &str) -> Vec<GestureEvent> {
    let host = RecordingContext::default();
    let setter = ParamSetter::new(&host);
    let dial = Cell::new(Rect::NOTHING);
    let mut harness = Harness::new(Vec2::new(300.0, 300.0));
    harness.frame(Vec::new(), knob_frame(param, &setter, &dial));
    let value_text = Pos2::new(dial.get().center().x, dial.get().bottom() + 12.0);
    harness.click(value_text, knob_frame(param, &setter, &dial));
    // One frame for the text field to take focus.
    harness.frame(Vec::new(), knob_frame(param, &setter, &dial));
    harness.frame(
        vec![Event::Text(text.to_owned())],
        knob_frame(param, &setter, &dial),
    );
    let enter = harness.key(Key::Enter);
    harness.frame(enter, knob_frame(param, &setter, &dial));
    harness.frame(Vec::new(), knob_frame(param, &setter, &dial));
    host.take_events()
}

#[test]
fn knob_typed_12_db_sets_12_db() {
    let param = gain_param();
    let events = type_into_knob(&param, "12 dB");
    let (begins, sets, ends) = gesture_shape(&events);
    println!(
        "typed \"12 dB\": gain {:.2} dB; {begins}/{sets}/{ends} begin/set/end",
        param.value()
    );
    assert!((param.value() - 12.0).abs() < 1e-4);
    assert_eq!((begins, sets, ends), (1, 1, 1));
}

#[test]
fn knob_typed_3_5k_sets_3500_hz() {
    let param = frequency_param();
    let events = type_into_knob(&param, "3.5k");
    println!("typed \"3.5k\": {:.1} Hz", param.value());
    assert!((param.value() - 3_500.0).abs() < 0.5);
    assert_eq!(gesture_shape(&events), (1, 1, 1));
}

#[test]
fn knob_typed_nonsense_changes_nothing() {
    let param = gain_param();
    let events = type_into_knob(&param, "loud");
    println!(
        "typed \"loud\": gain {:.1} dB, {} messages",
        param.value(),
        events.len()
    );
    assert_eq!(param.value(), 0.0);
    assert!(events.is_empty());
}

/// Drags a fresh gain knob up by 40 points, with or without Shift; returns the change in dB.
fn drag_change(shift: bool) -> f32 {
    let host = RecordingContext::default();
    let setter = ParamSetter::new(&host);
    let param = gain_param();
    let dial = Cell::new(Rect::NOTHING);
    let mut harness = Harness::new(Vec2::new(300.0, 300.0));
    harness.frame(Vec::new(), knob_frame(&param, &setter, &dial));
    if shift {
        harness.modifiers = egui::Modifiers::SHIFT;
    }
    let centre = dial.get().center();
    harness.drag(
        centre,
        centre - Vec2::new(0.0, 40.0),
        8,
        knob_frame(&param, &setter, &dial),
    );
    param.value()
}

#[test]
fn knob_shift_drag_moves_less_than_a_plain_drag() {
    let plain = drag_change(false);
    let fine = drag_change(true);
    println!("40-point drag: plain {plain:.2} dB, with Shift {fine:.2} dB");
    assert!(fine > 0.0, "a fine drag still moves");
    assert!(fine < plain * 0.5, "fine {fine} vs plain {plain}");
}

#[test]
fn knob_shows_a_value_the_host_set() {
    let host = RecordingContext::default();
    let setter = ParamSetter::new(&host);
    let param = gain_param();
    let dial = Cell::new(Rect::NOTHING);
    let mut harness = Harness::new(Vec2::new(300.0, 300.0));
    let before = drawn_texts(&harness.frame(Vec::new(), knob_frame(&param, &setter, &dial)));
    // The host automates the gain to 34 dB (normalised 34/60).
    // SAFETY: the pointer comes from `param`, which lives for the whole test.
    unsafe { param.as_ptr()._internal_set_normalized_value(34.0 / 60.0) };
    let after = drawn_texts(&harness.frame(Vec::new(), knob_frame(&param, &setter, &dial)));
    println!("drawn before: {before:?}; after: {after:?}");
    assert!(before.iter().any(|text| text == "0.0 dB"));
    assert!(after.iter().any(|text| text == "34.0 dB"));
    assert!(
        host.take_events().is_empty(),
        "showing a host value sends nothing back"
    );
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
enum Model {
    Tube,
    #[name = "Solid-state"]
    SolidState,
    Transparent,
    Colour,
}

#[test]
fn segmented_click_selects_that_choice_in_one_gesture() {
    let host = RecordingContext::default();
    let setter = ParamSetter::new(&host);
    let param = EnumParam::new("Model", Model::Tube);
    let bar = Cell::new(Rect::NOTHING);
    let mut draw = |ui: &mut egui::Ui| {
        let response = ui.add(Segmented::new(&param, &setter).segment_width(80.0));
        bar.set(response.rect);
    };
    let mut harness = Harness::new(Vec2::new(400.0, 100.0));
    let texts = drawn_texts(&harness.frame(Vec::new(), &mut draw));
    assert!(texts.contains(&"Solid-state".to_owned()), "{texts:?}");
    // The third segment: Transparent.
    let target = Pos2::new(bar.get().left() + 80.0 * 2.5, bar.get().center().y);
    harness.click(target, &mut draw);
    let events = host.take_events();
    println!("clicked segment 3: model {:?}; {events:?}", param.value());
    assert_eq!(param.value(), Model::Transparent);
    assert_eq!(gesture_shape(&events), (1, 1, 1));
}

#[test]
fn toggle_click_flips_the_switch_in_one_gesture() {
    let host = RecordingContext::default();
    let setter = ParamSetter::new(&host);
    let param = BoolParam::new("Phase invert", false);
    let button = Cell::new(Rect::NOTHING);
    let mut draw = |ui: &mut egui::Ui| {
        let response = ui.add(Toggle::new(&param, &setter));
        button.set(response.rect);
    };
    let mut harness = Harness::new(Vec2::new(300.0, 100.0));
    harness.frame(Vec::new(), &mut draw);
    harness.click(button.get().center(), &mut draw);
    let events = host.take_events();
    println!("toggle: {} after one click; {events:?}", param.value());
    assert!(param.value());
    assert_eq!(gesture_shape(&events), (1, 1, 1));
}
