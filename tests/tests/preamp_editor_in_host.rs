//! The preamp's real editor in the project's CLAP host under Xvfb: dragging the GAIN knob and
//! clicking a model segment with the mouse each send the host one whole gesture for slot A's
//! parameter, and host automation of it redraws the control and only what depends on it (see
//! `gainstage_tests::editor_check`). Needs Xvfb.

#![cfg(target_os = "linux")]

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use atomic_float::AtomicF32;
use gainstage_preamp::editor::{DEFAULT_EDITOR_SIZE, EditorData, PreampEditor};
use gainstage_preamp::meters::PreampMeters;
use gainstage_preamp::params::PreampParams;
use gainstage_tests::Plugin;
use gainstage_tests::editor_check::{
    Control, ControlUnderTest, check_control_in_real_editor, host_set_normalized,
};
use gainstage_ui::egui::Vec2;
use gainstage_ui::spectrum_channel;
use nice_plug::prelude::Param;

/// `control` in a fresh headless preamp editor; `param_name` names its parameter and `set`
/// sets it (normalised) in the headless editor's parameters.
fn preamp_control(
    control: Control,
    param_name: impl Fn(&PreampParams) -> String,
    set: impl Fn(&PreampParams, f32) + 'static,
) -> ControlUnderTest {
    let params = Arc::new(PreampParams::default());
    let (_writer, reader) = spectrum_channel(Arc::new(AtomicBool::new(true)));
    let mut editor = PreampEditor::new(EditorData {
        params: params.clone(),
        meters: Arc::new(PreampMeters::default()),
        spectrum: Arc::new(Mutex::new(reader)),
        // The host activates the plugin at 48 kHz.
        sample_rate: Arc::new(AtomicF32::new(48_000.0)),
    });
    ControlUnderTest {
        plugin: Plugin::Preamp,
        param_name: param_name(&params),
        control,
        window_size: Vec2::new(
            DEFAULT_EDITOR_SIZE.width as f32,
            DEFAULT_EDITOR_SIZE.height as f32,
        ),
        set_value: Box::new(move |normalized| set(&params, normalized)),
        draw: Box::new(move |ui, setter| editor.draw(ui, setter)),
    }
}

#[test]
fn preamp_gain_knob_and_model_selector_reach_the_host_as_gestures_and_host_automation_redraws_only_what_depends_on_them()
 {
    check_control_in_real_editor(preamp_control(
        Control::Knob { label: "GAIN" },
        |params| params.slot_a.gain_db.name().to_owned(),
        |params, normalized| host_set_normalized(&params.slot_a.gain_db, normalized),
    ));
    check_control_in_real_editor(preamp_control(
        Control::Segment { text: "Colour" },
        |params| params.slot_a.model.name().to_owned(),
        |params, normalized| host_set_normalized(&params.slot_a.model, normalized),
    ));
}
