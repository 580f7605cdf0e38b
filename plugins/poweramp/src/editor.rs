//! The Power Amp editor: amp and load controls, live power/headroom/rail readouts, and the load's
//! impedance and the response at the speaker terminals, redrawn as the controls move.
//!
//! Built from the shared `gainstage_ui` widgets. [`PowerAmpView`] draws one frame against any
//! `ParamSetter` (so tests drive it headless); [`PowerAmpEditorApp`] hosts it in the resizable
//! window ([`create_editor`]), whose size is saved with the plugin's state. Nothing here runs
//! while the window is closed: the audio thread only stores its meter atomics.

pub mod curves;
pub mod readouts;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use gainstage_dsp::power_amp::Quality;
use gainstage_ui::egui::{self, RichText, Ui, Vec2};
use gainstage_ui::nice_plug_egui::{Frame, NiceEguiApp, baseview};
use gainstage_ui::plot::{Curve, FrequencyAxes, FrequencyPlot};
use gainstage_ui::preset_files;
use gainstage_ui::{
    ChoiceMenu, EditorSize, Knob, PresetAction, PresetBar, PresetBarState, PresetEntry, PresetKind,
    ResizableEditor, Segmented, Toggle, theme,
};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;

use crate::meters::PowerAmpMeters;
use crate::params::{InputMode, PowerAmpParams, SpeakerChoice};
use crate::presets::{FACTORY_PRESETS, USER_PRESET_FORMAT, is_stored_in_presets};
use curves::{CurveCache, PLOT_MAX_HZ, PLOT_MIN_HZ};

/// Window size of a fresh instance, points.
pub const DEFAULT_SIZE: EditorSize = EditorSize {
    width: 1040,
    height: 720,
};
/// Smallest window, points.
pub const MIN_SIZE: EditorSize = EditorSize {
    width: 860,
    height: 640,
};
/// Width of the readouts column, points.
const READOUTS_WIDTH: f32 = 220.0;
/// Repaint interval while open (meters), milliseconds.
const REPAINT_MS: u64 = 33;
/// Colour of the impedance curve.
pub const IMPEDANCE_COLOUR: egui::Color32 = theme::ACCENT_2;
/// Colour of the terminal-response curve.
pub const RESPONSE_COLOUR: egui::Color32 = theme::RESPONSE;

/// One frame's worth of editor, independent of the window it is drawn in.
pub struct PowerAmpView {
    params: Arc<PowerAmpParams>,
    meters: Arc<PowerAmpMeters>,
    curves: CurveCache,
    preset_state: PresetBarState,
    user_folder: Option<PathBuf>,
    user_presets: Vec<(String, PathBuf)>,
    /// The axes the impedance and response plots were last drawn with (for tests and readouts).
    pub last_axes: Option<(FrequencyAxes, FrequencyAxes)>,
}

impl PowerAmpView {
    /// A view of `params` and `meters`, with user presets in `user_folder` (none: no saving).
    pub fn new(
        params: Arc<PowerAmpParams>,
        meters: Arc<PowerAmpMeters>,
        user_folder: Option<PathBuf>,
    ) -> Self {
        let user_presets = user_folder
            .as_deref()
            .map(|folder| preset_files::list(&USER_PRESET_FORMAT, folder))
            .unwrap_or_default();
        Self {
            params,
            meters,
            curves: CurveCache::default(),
            preset_state: PresetBarState::default(),
            user_folder,
            user_presets,
            last_axes: None,
        }
    }

    /// The preset menu: factory presets first, then the user's files.
    fn preset_entries(&self) -> Vec<PresetEntry> {
        FACTORY_PRESETS
            .iter()
            .map(|preset| PresetEntry {
                name: preset.name.to_owned(),
                kind: PresetKind::Factory,
            })
            .chain(self.user_presets.iter().map(|(name, _)| PresetEntry {
                name: name.clone(),
                kind: PresetKind::User,
            }))
            .collect()
    }

    fn refresh_user_presets(&mut self) {
        self.user_presets = self
            .user_folder
            .as_deref()
            .map(|folder| preset_files::list(&USER_PRESET_FORMAT, folder))
            .unwrap_or_default();
    }

    /// Sends `changes` (parameter ID, normalised value) as one gesture per parameter.
    fn apply_changes<'a>(
        &self,
        setter: &ParamSetter,
        changes: impl IntoIterator<Item = (&'a str, f32)>,
    ) {
        let map = self.params.param_map();
        for (id, normalized) in changes {
            if let Some((_, pointer, _)) = map.iter().find(|(candidate, _, _)| candidate == id) {
                // SAFETY: the pointer comes from `self.params`, which outlives this call.
                unsafe {
                    setter.raw_context.raw_begin_set_parameter(*pointer);
                    setter
                        .raw_context
                        .raw_set_parameter_normalized(*pointer, normalized);
                    setter.raw_context.raw_end_set_parameter(*pointer);
                }
            }
        }
    }

    fn perform(&mut self, action: PresetAction, setter: &ParamSetter) {
        let factory_count = FACTORY_PRESETS.len();
        self.preset_state.error = None;
        self.preset_state.status = None;
        let user_index = |index: usize| index.checked_sub(factory_count);
        match action {
            PresetAction::Load(index) if index < factory_count => {
                let preset = &FACTORY_PRESETS[index];
                let changes = preset.normalized_values(&self.params);
                self.apply_changes(setter, changes);
                self.preset_state.current = Some(index);
                self.preset_state.status = Some(format!("Loaded '{}'", preset.name));
            }
            PresetAction::Load(index) => {
                let Some((name, path)) = user_index(index)
                    .and_then(|user| self.user_presets.get(user))
                    .cloned()
                else {
                    return;
                };
                let checked = preset_files::load(&USER_PRESET_FORMAT, &path).and_then(|file| {
                    preset_files::normalized_values(
                        &USER_PRESET_FORMAT,
                        &*self.params,
                        &is_stored_in_presets,
                        &file,
                    )
                });
                match checked {
                    Ok(changes) => {
                        self.apply_changes(
                            setter,
                            changes.iter().map(|(id, value)| (id.as_str(), *value)),
                        );
                        self.preset_state.current = Some(index);
                        self.preset_state.status = Some(format!("Loaded '{name}'"));
                    }
                    Err(error) => {
                        self.preset_state.error = Some(format!("Preset refused: {error}"))
                    }
                }
            }
            PresetAction::Save(name) => {
                let Some(folder) = self.user_folder.clone() else {
                    self.preset_state.error = Some("No user preset folder on this system".into());
                    return;
                };
                let file = preset_files::capture(
                    &USER_PRESET_FORMAT,
                    &*self.params,
                    &is_stored_in_presets,
                    &name,
                );
                match preset_files::save(&USER_PRESET_FORMAT, &folder, &file) {
                    Ok(path) => {
                        self.refresh_user_presets();
                        self.preset_state.current = self
                            .user_presets
                            .iter()
                            .position(|(_, listed)| *listed == path)
                            .map(|user| user + factory_count);
                        self.preset_state.status = Some(format!("Saved '{name}'"));
                    }
                    Err(error) => self.preset_state.error = Some(format!("Not saved: {error}")),
                }
            }
            PresetAction::Rename(index, new_name) => {
                let Some((_, path)) = user_index(index)
                    .and_then(|user| self.user_presets.get(user))
                    .cloned()
                else {
                    return;
                };
                match preset_files::rename(&USER_PRESET_FORMAT, &path, &new_name) {
                    Ok(_) => {
                        self.refresh_user_presets();
                        self.preset_state.status = Some(format!("Renamed to '{new_name}'"));
                    }
                    Err(error) => self.preset_state.error = Some(format!("Not renamed: {error}")),
                }
            }
            PresetAction::Delete(index) => {
                let Some((name, path)) = user_index(index)
                    .and_then(|user| self.user_presets.get(user))
                    .cloned()
                else {
                    return;
                };
                match preset_files::delete(&path) {
                    Ok(()) => {
                        self.refresh_user_presets();
                        self.preset_state.current = None;
                        self.preset_state.status = Some(format!("Deleted '{name}'"));
                    }
                    Err(error) => self.preset_state.error = Some(format!("Not deleted: {error}")),
                }
            }
        }
    }

    /// Draws the editor as its window shows it: [`draw`](Self::draw) inside the window's
    /// background frame and margin. `ui` is the window's root (the whole window).
    pub fn draw_window(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        egui::Frame::new()
            .fill(theme::BACKGROUND)
            .inner_margin(egui::Margin::same(10))
            .show(ui, |ui| self.draw(ui, setter));
    }

    /// Draws the whole editor into `ui`, sending parameter changes through `setter`.
    pub fn draw(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        let params = self.params.clone();
        ui.horizontal(|ui| {
            ui.label(
                RichText::new("GAINSTAGE POWER AMP")
                    .font(theme::title_font())
                    .color(theme::ACCENT)
                    .strong(),
            );
            ui.add_space(12.0);
            let entries = self.preset_entries();
            if let Some(action) = PresetBar::new(&mut self.preset_state, &entries).show(ui) {
                self.perform(action, setter);
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.add(
                    Toggle::new(&params.bypass, setter)
                        .label("Bypass")
                        .tooltip("Passes the input through untouched (click-free)."),
                );
            });
        });
        ui.add_space(4.0);

        let readings = self.meters.snapshot();
        let settings = params.settings(&params.targets(), Quality::Standard4x);
        let curves = self.curves.curves(&settings).clone();

        ui.horizontal_top(|ui| {
            let controls_width = (ui.available_width() - READOUTS_WIDTH - 30.0).max(480.0);
            ui.vertical(|ui| {
                ui.set_width(controls_width);
                theme::panel_frame().show(ui, |ui| {
                    amp_section(ui, &params, setter);
                });
                ui.add_space(4.0);
                theme::panel_frame().show(ui, |ui| {
                    load_section(ui, &params, setter);
                });
            });
            theme::panel_frame().show(ui, |ui| {
                ui.vertical(|ui| {
                    ui.set_width(READOUTS_WIDTH);
                    readouts::show(ui, &readings, f64::from(params.wattage.value()));
                });
            });
        });
        ui.add_space(4.0);

        let plot_width = ((ui.available_width() - 8.0) / 2.0).max(200.0);
        let plot_height = ui.available_height().clamp(150.0, 320.0);
        ui.horizontal(|ui| {
            let peak = curves.peak_impedance_ohms();
            let top = nice_ceiling(peak * 1.15);
            let (_, impedance_axes) = FrequencyPlot::new(
                format!("Load impedance |Z|: {}", settings.load.name),
                "Ω",
            )
            .frequency_range(PLOT_MIN_HZ, PLOT_MAX_HZ)
            .value_range(0.0, top, top / 5.0)
            .reference(Some(settings.nominal_ohms))
            .size(Vec2::new(plot_width, plot_height))
            .curve(Curve::new(curves.impedance_points(), IMPEDANCE_COLOUR).label("|Z(f)|"))
            .tooltip("Impedance of the selected load against frequency (the model the audio uses).")
            .show(ui);
            let (_, response_axes) = FrequencyPlot::new(
                format!(
                    "Response at the speaker terminals, DF {}",
                    damping_text(curves.damping_factor)
                ),
                "dB",
            )
            .frequency_range(PLOT_MIN_HZ, PLOT_MAX_HZ)
            .value_range(-18.0, 18.0, 6.0)
            .size(Vec2::new(plot_width, plot_height))
            .curve(Curve::new(curves.terminal_points(), RESPONSE_COLOUR).label("V(f)"))
            .tooltip(
                "Small-signal response from the input to the speaker terminals (0 dB = rated \
                 voltage into a resistive nominal load).",
            )
            .show(ui);
            self.last_axes = Some((impedance_axes, response_axes));
        });
    }
}

/// The next 1-2-5 value at or above `value` (at least 10).
fn nice_ceiling(value: f64) -> f64 {
    let value = value.max(10.0);
    let decade = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|multiple| multiple * decade)
        .find(|candidate| *candidate >= value)
        .unwrap_or(10.0 * decade)
}

fn damping_text(damping_factor: f64) -> String {
    if damping_factor >= 100.0 {
        format!("{damping_factor:.0}")
    } else {
        format!("{damping_factor:.2}")
    }
}

/// Amp type, wattage, input, feedback and output controls.
fn amp_section(ui: &mut Ui, params: &PowerAmpParams, setter: &ParamSetter) {
    theme::section_title(ui, "Amplifier");
    ui.add(
        Segmented::new(&params.amp_type, setter)
            .labels([
                "EL34 push-pull",
                "6L6 push-pull",
                "SE class A",
                "Solid state",
                "Class D",
            ])
            .tooltip(
                "Amplifier topology: tube push-pull, single-ended tube, solid-state or class D.",
            ),
    );
    ui.horizontal(|ui| {
        ui.label(RichText::new("Nominal load").color(theme::TEXT_DIM));
        ui.add(
            Segmented::new(&params.nominal_load, setter)
                .tooltip("The load the amp is rated into; with the wattage it sets the rail."),
        );
        ui.add_space(8.0);
        ui.label(RichText::new("Input").color(theme::TEXT_DIM));
        ui.add(
            Segmented::new(&params.input_mode, setter)
                .tooltip("Sensitivity (input level for rated power) or a fixed voltage gain."),
        );
    });
    ui.horizontal_wrapped(|ui| {
        ui.add(
            Knob::new(&params.wattage, setter)
                .tooltip("Rated power into the nominal load; the rail is √(2·P·R)."),
        );
        let sensitivity_mode = params.input_mode.value() == InputMode::Sensitivity;
        ui.add_enabled_ui(sensitivity_mode, |ui| {
            ui.add(
                Knob::new(&params.sensitivity_dbu, setter)
                    .tooltip("Input sine level that drives the amp to its rated power, dBu."),
            );
        });
        ui.add_enabled_ui(!sensitivity_mode, |ui| {
            ui.add(
                Knob::new(&params.amp_gain_db, setter)
                    .tooltip("Voltage gain from input volts to speaker volts in fixed-gain mode."),
            );
        });
        ui.add(
            Knob::new(&params.sag, setter)
                .tooltip("How much the supply rail droops under load and recovers after."),
        );
        ui.add(
            Knob::new(&params.feedback_db, setter)
                .tooltip("Negative feedback: lowers output impedance and sharpens the clip."),
        );
        ui.add(
            Knob::new(&params.presence, setter)
                .tooltip("Removes feedback above about 2.5 kHz, lifting the treble."),
        );
        ui.add(
            Knob::new(&params.depth, setter)
                .tooltip("Removes feedback below about 90 Hz, lifting the bass resonance."),
        );
        ui.add(Knob::new(&params.input_db, setter).tooltip("Input gain ahead of the amplifier."));
        ui.add(Knob::new(&params.output_db, setter).tooltip("Output trim after the amplifier."));
    });
    ui.horizontal(|ui| {
        ui.label(RichText::new("Output").color(theme::TEXT_DIM));
        ChoiceMenu::new(&params.output_mode, setter)
            .tooltip("Normalised (0 dBFS = rated power) or speaker volts (0 dBFS = 100 V peak).")
            .width(250.0)
            .show(ui);
    });
    ui.horizontal(|ui| {
        ui.label(RichText::new("Quality").color(theme::TEXT_DIM));
        ChoiceMenu::new(&params.quality, setter)
            .tooltip("Oversampling while playing in real time.")
            .width(130.0)
            .show(ui);
        ui.label(RichText::new("Offline").color(theme::TEXT_DIM));
        ChoiceMenu::new(&params.offline_quality, setter)
            .tooltip("Oversampling when the host renders offline.")
            .width(130.0)
            .show(ui);
    });
}

/// Speaker selection and the custom Thiele-Small values.
fn load_section(ui: &mut Ui, params: &PowerAmpParams, setter: &ParamSetter) {
    theme::section_title(ui, "Speaker load");
    ui.horizontal_wrapped(|ui| {
        ChoiceMenu::new(&params.speaker, setter)
            .tooltip("The load the amp drives: a resistor, a built-in speaker, or your own.")
            .width(200.0)
            .show(ui);
        let custom = params.speaker.value() == SpeakerChoice::Custom;
        ui.add_enabled_ui(custom, |ui| {
            ui.add(
                Knob::new(&params.custom_re_ohms, setter)
                    .label("Re")
                    .diameter(38.0)
                    .tooltip("Custom speaker: voice-coil DC resistance."),
            );
            ui.add(
                Knob::new(&params.custom_le_mh, setter)
                    .label("Le")
                    .diameter(38.0)
                    .tooltip("Custom speaker: voice-coil inductance at 1 kHz."),
            );
            ui.add(
                Knob::new(&params.custom_fs_hz, setter)
                    .label("Fs")
                    .diameter(38.0)
                    .tooltip("Custom speaker: resonance frequency (in its cabinet)."),
            );
            ui.add(
                Knob::new(&params.custom_qms, setter)
                    .label("Qms")
                    .diameter(38.0)
                    .tooltip("Custom speaker: mechanical Q (height of the impedance peak)."),
            );
            ui.add(
                Knob::new(&params.custom_qes, setter)
                    .label("Qes")
                    .diameter(38.0)
                    .tooltip("Custom speaker: electrical Q (lower gives a taller peak)."),
            );
        });
    });
}

/// The editor app inside the window.
pub struct PowerAmpEditorApp {
    view: PowerAmpView,
    context: Option<GuiContext>,
}

impl PowerAmpEditorApp {
    /// An app over `params` and `meters`, with user presets in the per-user folder.
    pub fn new(params: Arc<PowerAmpParams>, meters: Arc<PowerAmpMeters>) -> Self {
        Self {
            view: PowerAmpView::new(
                params,
                meters,
                preset_files::user_preset_folder(&USER_PRESET_FORMAT),
            ),
            context: None,
        }
    }
}

impl NiceEguiApp for PowerAmpEditorApp {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut Frame,
    ) -> Result<(), baseview::HandlerError> {
        theme::apply(&egui_ctx);
        self.context = Some(nice_gui_ctx);
        Ok(())
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut Frame) {
        if let Some(context) = &self.context {
            let setter = context.param_setter();
            self.view.draw_window(ui, &setter);
        }
        ui.ctx()
            .request_repaint_after(Duration::from_millis(REPAINT_MS));
    }

    fn editor_closed(&mut self) {
        self.context = None;
    }
}

/// The editor: a resizable window whose size lives in the parameters' persisted field.
pub fn create_editor(
    params: Arc<PowerAmpParams>,
    meters: Arc<PowerAmpMeters>,
) -> ResizableEditor<PowerAmpEditorApp> {
    ResizableEditor::new(
        "Gainstage Power Amp",
        params.editor_size.clone(),
        MIN_SIZE,
        move || PowerAmpEditorApp::new(params.clone(), meters.clone()),
    )
}
