//! The preamp's real editor in the project's CLAP host under Xvfb: dragging the GAIN knob with
//! the mouse sends the host one whole gesture for slot A's gain, and host automation of that gain
//! redraws the knob (see `gainstage_tests::editor_check`). Needs Xvfb.

#![cfg(target_os = "linux")]

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use atomic_float::AtomicF32;
use gainstage_preamp::editor::{DEFAULT_EDITOR_SIZE, EditorData, PreampEditor};
use gainstage_preamp::meters::PreampMeters;
use gainstage_preamp::params::PreampParams;
use gainstage_tests::Plugin;
use gainstage_tests::editor_check::{
    KnobUnderTest, check_knob_in_real_editor, host_set_normalized,
};
use gainstage_ui::egui::Vec2;
use gainstage_ui::spectrum_channel;
use nice_plug::prelude::Param;

#[test]
fn preamp_gain_knob_drag_reaches_the_host_as_one_gesture_and_host_automation_redraws_only_what_depends_on_it()
 {
    let params = Arc::new(PreampParams::default());
    let (_writer, reader) = spectrum_channel(Arc::new(AtomicBool::new(true)));
    let mut editor = PreampEditor::new(EditorData {
        params: params.clone(),
        meters: Arc::new(PreampMeters::default()),
        spectrum: Arc::new(Mutex::new(reader)),
        // The host activates the plugin at 48 kHz.
        sample_rate: Arc::new(AtomicF32::new(48_000.0)),
    });
    check_knob_in_real_editor(KnobUnderTest {
        plugin: Plugin::Preamp,
        param_name: params.slot_a.gain_db.name().to_owned(),
        label: "GAIN",
        window_size: Vec2::new(
            DEFAULT_EDITOR_SIZE.width as f32,
            DEFAULT_EDITOR_SIZE.height as f32,
        ),
        set_value: Box::new(move |normalized| {
            host_set_normalized(&params.slot_a.gain_db, normalized);
        }),
        draw: Box::new(move |ui, setter| editor.draw(ui, setter)),
    });
}
