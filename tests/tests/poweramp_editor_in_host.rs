//! The power amp's real editor in the project's CLAP host under Xvfb: dragging the Wattage knob
//! with the mouse sends the host one whole gesture for the wattage, and host automation of the
//! wattage redraws the knob (see `gainstage_tests::editor_check`). Needs Xvfb.

#![cfg(target_os = "linux")]

use std::sync::Arc;

use gainstage_poweramp::editor::{DEFAULT_SIZE, PowerAmpView};
use gainstage_poweramp::meters::PowerAmpMeters;
use gainstage_poweramp::params::PowerAmpParams;
use gainstage_tests::Plugin;
use gainstage_tests::editor_check::{
    Control, ControlUnderTest, check_control_in_real_editor, host_set_normalized,
};
use gainstage_ui::egui::Vec2;
use nice_plug::prelude::Param;

#[test]
fn poweramp_wattage_knob_drag_reaches_the_host_as_one_gesture_and_host_automation_redraws_only_what_depends_on_it()
 {
    let params = Arc::new(PowerAmpParams::default());
    let mut view = PowerAmpView::new(params.clone(), Arc::new(PowerAmpMeters::default()), None);
    check_control_in_real_editor(ControlUnderTest {
        plugin: Plugin::PowerAmp,
        param_name: params.wattage.name().to_owned(),
        control: Control::Knob { label: "Wattage" },
        window_size: Vec2::new(DEFAULT_SIZE.width as f32, DEFAULT_SIZE.height as f32),
        set_value: Box::new(move |normalized| {
            host_set_normalized(&params.wattage, normalized);
        }),
        draw: Box::new(move |ui, setter| view.draw_window(ui, setter)),
    });
}
