//! The Power Amp editor, headless: its plots are the DSP's analytic functions, it draws a frame
//! for every amp type and load, and its controls send the host whole gestures.

use std::sync::Arc;

use gainstage_dsp::power_amp::Quality;
use gainstage_poweramp::editor::{IMPEDANCE_COLOUR, PowerAmpView, RESPONSE_COLOUR};
use gainstage_poweramp::meters::PowerAmpMeters;
use gainstage_poweramp::params::{AmpTypeChoice, PowerAmpParams, SpeakerChoice};
use gainstage_ui::egui::{Pos2, Vec2};
use gainstage_ui::test_support::{
    GestureEvent, Harness, RecordingContext, drawn_lines, drawn_text_rects, drawn_texts,
};
use nice_plug::prelude::*;

const SCREEN: Vec2 = Vec2::new(1040.0, 720.0);

const AMP_TYPES: [AmpTypeChoice; 5] = [
    AmpTypeChoice::TubePushPullEl34,
    AmpTypeChoice::TubePushPull6L6,
    AmpTypeChoice::TubeSingleEnded,
    AmpTypeChoice::SolidState,
    AmpTypeChoice::ClassD,
];

const SPEAKERS: [SpeakerChoice; 7] = [
    SpeakerChoice::Resistive,
    SpeakerChoice::OpenBack1x12,
    SpeakerChoice::Closed4x12,
    SpeakerChoice::Bass1x15,
    SpeakerChoice::HifiBookshelf,
    SpeakerChoice::StudioMonitor,
    SpeakerChoice::Custom,
];

/// Sets a parameter as a host would (no gesture).
fn set_plain<P: Param>(param: &P, plain: P::Plain) {
    // SAFETY: the parameter outlives this call; the test is the only thread touching it.
    unsafe {
        param
            .as_ptr()
            ._internal_set_normalized_value(param.preview_normalized(plain));
    }
}

fn view(params: &Arc<PowerAmpParams>) -> PowerAmpView {
    PowerAmpView::new(params.clone(), Arc::new(PowerAmpMeters::default()), None)
}

/// The polylines drawn in `colour` with at least `minimum` points (the plot curves, not widgets).
fn curves_in(
    output: &gainstage_ui::egui::FullOutput,
    colour: gainstage_ui::egui::Color32,
) -> Vec<Vec<Pos2>> {
    drawn_lines(output, colour)
        .into_iter()
        .filter(|line| line.len() >= 100)
        .collect()
}

#[test]
fn plotted_impedance_and_terminal_response_equal_the_dsp_analytic_functions() {
    let host = RecordingContext::default();
    let setter = ParamSetter::new(&host);
    let mut worst_ohms_relative = 0.0_f64;
    let mut worst_db = 0.0_f64;
    let mut checked_points = 0;
    for amp_type in AMP_TYPES {
        for speaker in SPEAKERS {
            let params = Arc::new(PowerAmpParams::default());
            set_plain(&params.amp_type, amp_type);
            set_plain(&params.speaker, speaker);
            set_plain(&params.presence, 0.4);
            set_plain(&params.feedback_db, 4.0);
            let mut editor = view(&params);
            let mut harness = Harness::new(SCREEN);
            let output = harness.frame(Vec::new(), |ui| editor.draw(ui, &setter));
            let (impedance_axes, response_axes) =
                editor.last_axes.expect("the editor drew both plots");

            // The DSP's own functions, independently of the editor's code.
            let settings = params.settings(&params.targets(), Quality::Standard4x);
            let load = settings.load.rational_impedance();
            let network = settings.network();

            let impedance = curves_in(&output, IMPEDANCE_COLOUR);
            let response = curves_in(&output, RESPONSE_COLOUR);
            assert_eq!(
                impedance.len(),
                1,
                "{amp_type:?}/{speaker:?}: one |Z| curve"
            );
            assert_eq!(
                response.len(),
                1,
                "{amp_type:?}/{speaker:?}: one response curve"
            );
            for point in &impedance[0] {
                let (frequency, drawn_ohms) = impedance_axes.from_screen(*point);
                let expected = load.at_frequency(frequency).norm();
                worst_ohms_relative =
                    worst_ohms_relative.max((drawn_ohms - expected).abs() / expected);
                checked_points += 1;
            }
            for point in &response[0] {
                let (frequency, drawn_db) = response_axes.from_screen(*point);
                let expected = 20.0
                    * (network.drive_response(frequency)
                        * network.model_response(frequency, &load))
                    .norm()
                    .log10();
                worst_db = worst_db.max((drawn_db - expected).abs());
                checked_points += 1;
            }
        }
    }
    println!(
        "{checked_points} plotted points: |Z| within {:.4} % of RationalImpedance::at_frequency, \
         response within {worst_db:.4} dB of drive_response × model_response",
        100.0 * worst_ohms_relative
    );
    // The only difference allowed is the screen's f32 pixel coordinates.
    assert!(
        worst_ohms_relative < 1e-3,
        "|Z| off by {worst_ohms_relative:e}"
    );
    assert!(worst_db < 0.01, "response off by {worst_db} dB");
}

#[test]
fn editor_draws_a_frame_for_every_amp_type_and_load() {
    let host = RecordingContext::default();
    let setter = ParamSetter::new(&host);
    let mut frames = 0;
    for amp_type in AMP_TYPES {
        for speaker in SPEAKERS {
            let params = Arc::new(PowerAmpParams::default());
            set_plain(&params.amp_type, amp_type);
            set_plain(&params.speaker, speaker);
            let mut editor = view(&params);
            let mut harness = Harness::new(SCREEN);
            let output = harness.frame(Vec::new(), |ui| editor.draw(ui, &setter));
            let texts = drawn_texts(&output);
            let load_name = params
                .settings(&params.targets(), Quality::Standard4x)
                .load
                .name;
            for expected in [
                "Wattage", "Sag", "Feedback", "Presence", "Depth", "Headroom",
            ] {
                assert!(
                    texts.iter().any(|text| text.contains(expected)),
                    "{amp_type:?}/{speaker:?}: no \"{expected}\" drawn; drawn: {:?}",
                    gainstage_ui::test_support::drawn_text_rects(&output)
                );
            }
            assert!(
                texts.iter().any(|text| text.contains(load_name)),
                "{amp_type:?}/{speaker:?}: the impedance plot does not name {load_name}"
            );
            frames += 1;
        }
    }
    assert!(host.take_events().is_empty(), "drawing alone sent gestures");
    println!("{frames} frames drawn (5 amp types × 7 loads), no gesture sent");
}

#[test]
fn dragging_the_wattage_knob_sends_begin_set_end_and_raises_the_wattage() {
    let host = RecordingContext::default();
    let setter = ParamSetter::new(&host);
    let params = Arc::new(PowerAmpParams::default());
    let mut editor = view(&params);
    let mut harness = Harness::new(SCREEN);
    let output = harness.frame(Vec::new(), |ui| editor.draw(ui, &setter));
    let label = drawn_text_rects(&output)
        .into_iter()
        .find(|(text, _)| text == "Wattage")
        .map(|(_, rect)| rect)
        .expect("the wattage knob's label is drawn");
    // The dial sits under its label: label 16 points, then the 46-point dial.
    let dial_centre = Pos2::new(label.center().x, label.center().y + 8.0 + 23.0 + 1.0);
    let before = params.wattage.value();
    harness.drag(dial_centre, dial_centre - Vec2::new(0.0, 40.0), 4, |ui| {
        editor.draw(ui, &setter)
    });
    let events = host.take_events();
    let begins = events
        .iter()
        .filter(|event| matches!(event, GestureEvent::Begin(name) if name == "Wattage"))
        .count();
    let sets = events
        .iter()
        .filter(|event| matches!(event, GestureEvent::Set(name, _) if name == "Wattage"))
        .count();
    let ends = events
        .iter()
        .filter(|event| matches!(event, GestureEvent::End(name) if name == "Wattage"))
        .count();
    println!(
        "wattage drag: {begins} begin, {sets} set, {ends} end; {before:.1} W → {:.1} W",
        params.wattage.value()
    );
    assert_eq!((begins, ends), (1, 1), "{events:?}");
    assert!(sets >= 1, "{events:?}");
    assert!(matches!(events.first(), Some(GestureEvent::Begin(_))));
    assert!(matches!(events.last(), Some(GestureEvent::End(_))));
    assert!(
        params.wattage.value() > before,
        "dragging up raised the wattage"
    );
}

#[test]
fn loading_a_factory_preset_from_the_bar_sends_a_gesture_per_parameter() {
    let host = RecordingContext::default();
    let setter = ParamSetter::new(&host);
    let params = Arc::new(PowerAmpParams::default());
    let mut editor = view(&params);
    let mut harness = Harness::new(SCREEN);
    let output = harness.frame(Vec::new(), |ui| editor.draw(ui, &setter));
    // ">" loads the next preset: from no preset, the first factory one.
    let next = drawn_text_rects(&output)
        .into_iter()
        .find(|(text, _)| text == ">")
        .map(|(_, rect)| rect.center())
        .expect("the preset bar's next button is drawn");
    harness.click(next, |ui| editor.draw(ui, &setter));
    let events = host.take_events();
    let first = &gainstage_poweramp::presets::FACTORY_PRESETS[0];
    let begins = events
        .iter()
        .filter(|event| matches!(event, GestureEvent::Begin(_)))
        .count();
    let ends = events
        .iter()
        .filter(|event| matches!(event, GestureEvent::End(_)))
        .count();
    println!(
        "'{}': {begins} parameters set; type {:?}, {:.1} W, speaker {:?}",
        first.name,
        params.amp_type.value(),
        params.wattage.value(),
        params.speaker.value()
    );
    assert_eq!(begins, first.normalized_values(&params).len());
    assert_eq!(begins, ends);
    assert_eq!(params.amp_type.value(), first.amp_type);
    assert_eq!(params.speaker.value(), first.speaker);
    assert!((params.wattage.value() - first.watts).abs() < 0.05);
}
