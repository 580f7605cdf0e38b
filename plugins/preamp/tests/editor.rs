//! Headless tests of the preamp editor: the drawn response equals the DSP's analytic response,
//! controls send complete gestures to the active slot, A/B copy, presets, and the saved window
//! size.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use atomic_float::AtomicF32;
use gainstage_dsp::oversample::{FilterFlavour, OversamplingFactor};
use gainstage_dsp::preamp::channel::PreampChannel;
use gainstage_dsp::preamp::level_match::LevelMatch;
use gainstage_dsp::preamp::model::ModelSet;
use gainstage_preamp::editor::presets::PresetPanel;
use gainstage_preamp::editor::{EditorData, PreampEditor};
use gainstage_preamp::meters::PreampMeters;
use gainstage_preamp::params::{ModelChoice, PreampParams, SlopeChoice, SlotChoice, VoicingChoice};
use gainstage_ui::egui::{FullOutput, Pos2, Vec2};
use gainstage_ui::test_support::{
    GestureEvent, Harness, RecordingContext, drawn_lines, drawn_text_rects,
};
use gainstage_ui::{PresetAction, spectrum_channel, theme};
use nice_plug::prelude::*;

const SAMPLE_RATE: f32 = 48_000.0;

fn editor(params: Arc<PreampParams>) -> PreampEditor {
    let (_writer, reader) = spectrum_channel(Arc::new(AtomicBool::new(true)));
    PreampEditor::new(EditorData {
        params,
        meters: Arc::new(PreampMeters::default()),
        spectrum: Arc::new(Mutex::new(reader)),
        sample_rate: Arc::new(AtomicF32::new(SAMPLE_RATE)),
    })
}

/// Sets `param` to `plain` the way a host does (no gesture).
fn host_set<P: Param>(param: &P, plain: P::Plain) {
    // SAFETY: the pointer comes from `param`, alive for the call.
    unsafe {
        param
            .as_ptr()
            ._internal_set_normalized_value(param.preview_normalized(plain));
    }
}

fn harness() -> Harness {
    Harness::new(Vec2::new(1120.0, 760.0))
}

fn text_rect(output: &FullOutput, text: &str) -> gainstage_ui::egui::Rect {
    drawn_text_rects(output)
        .into_iter()
        .find(|(drawn, _)| drawn == text)
        .unwrap_or_else(|| panic!("\"{text}\" is not drawn"))
        .1
}

#[test]
fn drawn_frequency_response_equals_the_dsp_channel_response_within_0_01_db() {
    let params = Arc::new(PreampParams::default());
    let slot = &params.slot_a;
    host_set(&slot.model, ModelChoice::Colour);
    host_set(&slot.voicing, VoicingChoice::ElectricGuitar);
    host_set(&slot.low_cut, true);
    host_set(&slot.low_cut_hz, 120.0);
    host_set(&slot.low_cut_slope, SlopeChoice::Db18);
    host_set(&slot.eq_low_db, 6.0);
    host_set(&slot.eq_mid_db, -4.0);
    host_set(&slot.eq_mid_hz, 2_000.0);
    host_set(&slot.eq_mid_q, 1.5);
    host_set(&slot.eq_high_db, 3.0);
    let mut editor = editor(params.clone());
    let context = RecordingContext::default();
    let setter = ParamSetter::new(&context);
    let mut harness = harness();
    let output = harness.frame(Vec::new(), |ui| editor.draw(ui, &setter));
    let axes = editor.response_axes().expect("the response plot was drawn");
    let lines = drawn_lines(&output, theme::RESPONSE);
    assert_eq!(lines.len(), 1, "one combined response curve");

    // The DSP's own channel response for the same settings.
    let mut channel = PreampChannel::new(
        SAMPLE_RATE,
        OversamplingFactor::X4,
        FilterFlavour::MinimumPhase,
        &ModelSet::new(),
        &LevelMatch::shared(),
    );
    channel.set_settings(params.channel_settings());
    let mut worst = (0.0_f64, 0.0_f64);
    let mut on_scale = 0;
    for &point in &lines[0] {
        let (frequency, drawn_db) = axes.from_screen(point);
        let dsp_db = 20.0 * channel.response(frequency).norm().log10();
        // The plot clamps to its range (±24 dB): off-scale values sit on its edge.
        let expected_db = dsp_db.clamp(axes.min_value, axes.max_value);
        if expected_db == dsp_db {
            on_scale += 1;
        }
        let error = (drawn_db - expected_db).abs();
        if error > worst.0 {
            worst = (error, frequency);
        }
    }
    println!(
        "{} drawn points ({on_scale} on scale); worst difference from PreampChannel::response: \
         {:.4} dB at {:.0} Hz",
        lines[0].len(),
        worst.0,
        worst.1
    );
    assert!(lines[0].len() >= 200 && on_scale >= 150);
    assert!(
        worst.0 < 0.01,
        "drawn curve differs by {:.4} dB at {:.0} Hz",
        worst.0,
        worst.1
    );
}

/// Drags the big GAIN knob up by 60 points; returns the gestures the host saw.
fn drag_gain(editor: &mut PreampEditor) -> Vec<GestureEvent> {
    let context = RecordingContext::default();
    let setter = ParamSetter::new(&context);
    let mut harness = harness();
    let output = harness.frame(Vec::new(), |ui| editor.draw(ui, &setter));
    let label = text_rect(&output, "GAIN");
    // The dial sits below its label (knob layout: 16-point label row, then the dial).
    let dial_centre = Pos2::new(label.center().x, label.bottom() + 45.0);
    harness.drag(dial_centre, dial_centre - Vec2::new(0.0, 60.0), 6, |ui| {
        editor.draw(ui, &setter)
    });
    context.take_events()
}

#[test]
fn gain_knob_drag_moves_the_active_slot_gain_in_one_gesture() {
    let params = Arc::new(PreampParams::default());
    let mut editor = editor(params.clone());
    let events = drag_gain(&mut editor);
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
    println!(
        "slot A gain after the drag: {:.1} dB; {begins} begin, {sets} set, {ends} end ({:?})",
        params.slot_a.gain_db.value(),
        events.first()
    );
    assert_eq!(
        events.first(),
        Some(&GestureEvent::Begin("Gain".to_owned()))
    );
    assert_eq!((begins, ends), (1, 1));
    assert!(sets >= 1);
    assert!(params.slot_a.gain_db.value() > 0.0);
    assert_eq!(params.slot_b.gain_db.value(), 0.0, "slot B untouched");

    // With B active the same knob edits slot B.
    host_set(&params.active_slot, SlotChoice::B);
    let events = drag_gain(&mut editor);
    println!(
        "with B active: slot B gain {:.1} dB",
        params.slot_b.gain_db.value()
    );
    assert_eq!(
        events.first(),
        Some(&GestureEvent::Begin("B Gain".to_owned()))
    );
    assert!(params.slot_b.gain_db.value() > 0.0);
}

#[test]
fn host_automation_of_gain_shows_in_the_editor() {
    let params = Arc::new(PreampParams::default());
    let mut editor = editor(params.clone());
    let context = RecordingContext::default();
    let setter = ParamSetter::new(&context);
    let mut harness = harness();
    host_set(&params.slot_a.gain_db, 37.5);
    let output = harness.frame(Vec::new(), |ui| editor.draw(ui, &setter));
    let texts: Vec<String> = drawn_text_rects(&output)
        .into_iter()
        .map(|(text, _)| text)
        .collect();
    println!(
        "gain texts drawn: {:?}",
        texts
            .iter()
            .filter(|t| t.contains("37.5"))
            .collect::<Vec<_>>()
    );
    assert!(texts.iter().any(|text| text == "37.5 dB"));
    assert!(context.take_events().is_empty());
}

#[test]
fn copy_a_to_b_button_copies_every_setting() {
    let params = Arc::new(PreampParams::default());
    host_set(&params.slot_a.gain_db, 42.0);
    host_set(&params.slot_a.model, ModelChoice::Tube);
    host_set(&params.slot_a.eq_mid_hz, 3_000.0);
    let mut editor = editor(params.clone());
    let context = RecordingContext::default();
    let setter = ParamSetter::new(&context);
    let mut harness = harness();
    let output = harness.frame(Vec::new(), |ui| editor.draw(ui, &setter));
    let button = text_rect(&output, "Copy A to B");
    harness.click(button.center(), |ui| editor.draw(ui, &setter));
    let events = context.take_events();
    let begins = events
        .iter()
        .filter(|e| matches!(e, GestureEvent::Begin(_)))
        .count();
    println!(
        "after Copy A to B: B gain {:.1} dB, B model {:?}, B mid {:.0} Hz; {begins} gestures",
        params.slot_b.gain_db.value(),
        params.slot_b.model.value(),
        params.slot_b.eq_mid_hz.value()
    );
    assert_eq!(params.slot_b.gain_db.value(), 42.0);
    assert_eq!(params.slot_b.model.value(), ModelChoice::Tube);
    assert!((params.slot_b.eq_mid_hz.value() - 3_000.0).abs() < 0.5);
    assert_eq!(
        begins,
        params.slot_b.param_map().len(),
        "one gesture per slot parameter"
    );
}

fn scratch_folder(name: &str) -> std::path::PathBuf {
    let folder =
        std::env::temp_dir().join(format!("gainstage-editor-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).expect("scratch folder");
    folder
}

#[test]
fn presets_load_factory_save_rename_delete_and_refuse_a_damaged_file() {
    let params = Arc::new(PreampParams::default());
    let context = RecordingContext::default();
    let setter = ParamSetter::new(&context);
    let folder = scratch_folder("presets");
    let mut panel = PresetPanel::with_folder(Some(folder.clone()));
    let factory_count = panel.entries().len();

    // A factory preset fills slot A.
    let target = gainstage_preamp::presets::FACTORY_PRESETS
        .iter()
        .position(|preset| preset.gain_db > 10.0)
        .expect("a factory preset with gain");
    panel.perform(PresetAction::Load(target), &setter, &params.slot_a);
    let factory = &gainstage_preamp::presets::FACTORY_PRESETS[target];
    println!(
        "loaded '{}': gain {:.1} dB",
        factory.name,
        params.slot_a.gain_db.value()
    );
    assert_eq!(panel.state().error, None);
    assert!((params.slot_a.gain_db.value() - factory.gain_db).abs() < 0.05);

    // Save, rename, then damage the file: loading it is refused and changes nothing.
    panel.perform(
        PresetAction::Save("Mine".to_owned()),
        &setter,
        &params.slot_a,
    );
    assert_eq!(
        panel.entries().len(),
        factory_count + 1,
        "{:?}",
        panel.state().error
    );
    panel.perform(
        PresetAction::Rename(factory_count, "Mine renamed".to_owned()),
        &setter,
        &params.slot_a,
    );
    assert_eq!(
        panel.entries()[factory_count].name,
        "Mine renamed",
        "{:?}",
        panel.state().error
    );
    let file = std::fs::read_dir(&folder)
        .expect("folder")
        .next()
        .expect("one file")
        .expect("entry")
        .path();
    let text = std::fs::read_to_string(&file).expect("preset text");
    std::fs::write(&file, text.replace("\"version\": 1", "\"version\": 99")).expect("write");
    host_set(&params.slot_a.gain_db, 5.0);
    context.take_events();
    panel.perform(PresetAction::Load(factory_count), &setter, &params.slot_a);
    let error = panel.state().error.clone();
    println!("damaged preset: {error:?}");
    assert!(error.is_some_and(|message| message.starts_with("Preset refused")));
    assert_eq!(params.slot_a.gain_db.value(), 5.0);
    assert!(
        context.take_events().is_empty(),
        "a refused preset sends nothing"
    );

    panel.perform(PresetAction::Delete(factory_count), &setter, &params.slot_a);
    assert_eq!(panel.entries().len(), factory_count);
    let _ = std::fs::remove_dir_all(&folder);
}

#[test]
fn window_size_is_saved_and_restored_with_the_state() {
    let params = PreampParams::default();
    *params.editor_size.write().expect("size") = gainstage_ui::EditorSize {
        width: 1400,
        height: 900,
    };
    let fields = params.serialize_fields();
    println!("persisted fields: {fields:?}");
    let restored = PreampParams::default();
    restored.deserialize_fields(&fields);
    let size = *restored.editor_size.read().expect("size");
    assert_eq!((size.width, size.height), (1400, 900));
}
