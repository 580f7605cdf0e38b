//! The Gainstage Preamp editor: model and voicing on top, the A/B and preset bars, the controls
//! of the slot being edited, live input/output meters, and three plots computed from the DSP —
//! the combined frequency response, the model's transfer curve at the present gain and the
//! spectrum of the output.
//!
//! The editor edits the active slot (the one the audio follows). It reads meters and spectrum
//! frames lock-free and never blocks the audio thread; while it is closed, the audio thread
//! only checks one flag (see [`gainstage_ui::spectrum_tap`]).

pub mod presets;
pub mod response;
pub mod transfer;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use atomic_float::AtomicF32;
use gainstage_ui::editor_window::persisted_size;
use gainstage_ui::egui::{self, RichText, Ui, Vec2};
use gainstage_ui::nice_plug_egui::NiceEguiApp;
use gainstage_ui::nice_plug_egui::{Frame, baseview};
use gainstage_ui::plot::{Curve, FrequencyAxes, FrequencyPlot};
use gainstage_ui::spectrum_tap::SPECTRUM_FRAME_LENGTH;
use gainstage_ui::{
    AbBar, ChoiceMenu, CopyDirection, EditorSize, Knob, LevelMeter, PersistedEditorSize,
    ResizableEditor, Segmented, SpectrumAnalyser, SpectrumPanel, SpectrumReader, Toggle,
    TransferPanel, theme,
};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::{Param, ParamSetter, Params};

use crate::meters::PreampMeters;
use crate::params::{ModelChoice, PreampParams, SlotChoice, SlotParams};
use presets::PresetPanel;
use response::{RESPONSE_MAX_HZ, RESPONSE_MIN_HZ, ResponseCurves, response_curves};
use transfer::{TRANSFER_RANGE, TransferCurve};

/// The window size a new instance opens at, points.
pub const DEFAULT_EDITOR_SIZE: EditorSize = EditorSize {
    width: 1120,
    height: 760,
};
/// The smallest window size, points: every control still fits.
pub const MIN_EDITOR_SIZE: EditorSize = EditorSize {
    width: 980,
    height: 700,
};

/// A new persisted window size at [`DEFAULT_EDITOR_SIZE`].
pub fn default_editor_size() -> PersistedEditorSize {
    persisted_size(DEFAULT_EDITOR_SIZE)
}

/// What the editor reads from the plugin.
#[derive(Clone)]
pub struct EditorData {
    /// The parameters.
    pub params: Arc<PreampParams>,
    /// Meter readings published by the audio thread.
    pub meters: Arc<PreampMeters>,
    /// Output audio frames published by the audio thread while the editor is open.
    pub spectrum: Arc<Mutex<SpectrumReader>>,
    /// The host sample rate, Hz.
    pub sample_rate: Arc<AtomicF32>,
}

/// Creates the editor; `open` is the flag the audio thread's spectrum writer listens to.
pub fn create_editor(data: EditorData, open: Arc<AtomicBool>) -> ResizableEditor<PreampEditor> {
    let size = data.params.editor_size.clone();
    ResizableEditor::new("Gainstage Preamp", size, MIN_EDITOR_SIZE, move || {
        PreampEditor::new(data.clone())
    })
    .with_open_flag(open)
}

/// The editor's state while its window is open.
pub struct PreampEditor {
    data: EditorData,
    gui: Option<GuiContext>,
    analyser: SpectrumAnalyser,
    transfer: TransferCurve,
    response: Option<(
        gainstage_dsp::preamp::channel::ChannelSettings,
        f32,
        ResponseCurves,
    )>,
    presets: PresetPanel,
    response_axes: Option<FrequencyAxes>,
}

impl PreampEditor {
    /// An editor over `data` (builds its private copy of the models for the transfer curve).
    pub fn new(data: EditorData) -> Self {
        Self {
            data,
            gui: None,
            analyser: SpectrumAnalyser::new(SPECTRUM_FRAME_LENGTH),
            transfer: TransferCurve::new(),
            response: None,
            presets: PresetPanel::new(),
            response_axes: None,
        }
    }

    /// The axes the frequency response was last drawn on (for tests).
    pub fn response_axes(&self) -> Option<FrequencyAxes> {
        self.response_axes
    }

    /// The curves for the present settings (recomputed only when the settings change).
    pub fn response_curves(&mut self) -> &ResponseCurves {
        let settings = self.data.params.active().channel_settings();
        let sample_rate = self.sample_rate();
        let stale = self
            .response
            .as_ref()
            .is_none_or(|(previous, rate, _)| *previous != settings || *rate != sample_rate);
        if stale {
            self.response = Some((
                settings,
                sample_rate,
                response_curves(&settings, sample_rate),
            ));
        }
        &self.response.as_ref().expect("just computed").2
    }

    fn sample_rate(&self) -> f32 {
        let rate = self.data.sample_rate.load(Ordering::Relaxed);
        if rate.is_finite() && rate > 1_000.0 {
            rate
        } else {
            48_000.0
        }
    }

    /// Draws the whole editor into `ui`, sending parameter changes through `setter`.
    pub fn draw(&mut self, ui: &mut Ui, setter: &ParamSetter) {
        let params = self.data.params.clone();
        let slot: &SlotParams = params.active();
        egui::Frame::new()
            .fill(theme::BACKGROUND)
            .inner_margin(egui::Margin::same(10))
            .show(ui, |ui| {
                ui.set_min_size(ui.available_size());
                self.header(ui, setter, &params, slot);
                ui.add_space(4.0);
                ui.horizontal_top(|ui| {
                    self.input_column(ui, setter, slot);
                    self.controls_column(ui, setter, &params, slot);
                    self.meters(ui);
                });
                ui.add_space(4.0);
                self.plots(ui, slot);
            });
    }

    fn header(
        &mut self,
        ui: &mut Ui,
        setter: &ParamSetter,
        params: &PreampParams,
        slot: &SlotParams,
    ) {
        ui.horizontal(|ui| {
            ui.label(RichText::new("Model").color(theme::TEXT_DIM));
            ui.add(
                Segmented::new(&slot.model, setter)
                    .segment_width(88.0)
                    .height(26.0)
                    .tooltip(
                        "The circuit modelled: tube, solid-state op-amp, transparent or transformer colour.",
                    ),
            );
            ui.add_space(10.0);
            ui.label(RichText::new("Voicing").color(theme::TEXT_DIM));
            ui.add(
                Segmented::new(&slot.voicing, setter)
                    .labels([
                        "Flat", "Vocal", "Acoustic", "Electric", "Bass", "Keys", "Drums",
                    ])
                    .height(26.0)
                    .tooltip(
                        "The source plugged in: sets its loading of the input and the input type on Auto.",
                    ),
            );
        });
        ui.horizontal(|ui| {
            ui.label(
                RichText::new("GAINSTAGE PREAMP")
                    .font(theme::title_font())
                    .color(theme::ACCENT)
                    .strong(),
            );
            ui.add_space(10.0);
            let ab = AbBar::new(&params.active_slot, setter)
                .level_match(&params.auto_gain)
                .show(ui);
            if let Some(direction) = ab.copy {
                copy_slot(params, setter, direction);
            }
            ui.add_space(10.0);
            self.presets.show(ui, setter, slot);
        });
    }

    fn input_column(&mut self, ui: &mut Ui, setter: &ParamSetter, slot: &SlotParams) {
        theme::panel_frame().show(ui, |ui| {
            ui.set_width(250.0);
            ui.vertical(|ui| {
                theme::section_title(ui, "INPUT");
                ui.horizontal(|ui| {
                    ui.label(RichText::new("Type").color(theme::TEXT_DIM));
                    ui.add(
                        Segmented::new(&slot.input, setter)
                            .labels(["Auto", "Mic", "Inst", "Line"])
                            .segment_width(46.0)
                            .tooltip("Which analog level the audio stands for; Auto follows the voicing."),
                    );
                });
                ui.horizontal(|ui| {
                    ui.label(RichText::new("Z in").color(theme::TEXT_DIM));
                    ui.add(
                        Segmented::new(&slot.impedance, setter)
                            .segment_width(46.0)
                            .tooltip("Input impedance: how hard the input loads the source (Auto follows the voicing)."),
                    );
                });
                ui.horizontal(|ui| {
                    ui.add(
                        Toggle::new(&slot.pad, setter)
                            .label("Pad −20 dB")
                            .tooltip("Drops the input by 20 dB before the gain stage for hot sources."),
                    );
                    ui.add(
                        Toggle::new(&slot.invert, setter)
                            .label("Ø Phase")
                            .tooltip("Inverts the polarity of the signal."),
                    );
                });
                ui.add_space(4.0);
                ui.vertical_centered(|ui| {
                    ui.add(
                        Knob::new(&slot.gain_db, setter)
                            .label("GAIN")
                            .diameter(78.0)
                            .tooltip("Preamp gain, 0–60 dB of real gain: drive the model harder for more colour."),
                    );
                });
                if slot.model.value() == ModelChoice::Transparent {
                    ui.horizontal(|ui| {
                        ui.label(RichText::new("Range").color(theme::TEXT_DIM));
                        ui.add(
                            Segmented::new(&slot.range, setter)
                                .segment_width(46.0)
                                .tooltip("High: 0–60 dB; Low: 0–40 dB with a lower noise floor."),
                        );
                        ui.add(
                            Toggle::new(&slot.noise, setter)
                                .label("Noise")
                                .tooltip("Adds the modelled noise floor (EIN −128 dBu)."),
                        );
                    });
                }
            });
        });
    }

    fn controls_column(
        &mut self,
        ui: &mut Ui,
        setter: &ParamSetter,
        params: &PreampParams,
        slot: &SlotParams,
    ) {
        theme::panel_frame().show(ui, |ui| {
            ui.vertical(|ui| {
                ui.horizontal_top(|ui| {
                    ui.vertical(|ui| {
                        theme::section_title(ui, "LOW-CUT");
                        ui.add(
                            Toggle::new(&slot.low_cut, setter)
                                .label("On")
                                .min_width(40.0)
                                .tooltip("Switches the low-cut filter in."),
                        );
                        ui.add(
                            Segmented::new(&slot.low_cut_slope, setter)
                                .labels(["12", "18"])
                                .segment_width(32.0)
                                .tooltip("Low-cut slope, 12 or 18 dB per octave."),
                        );
                    });
                    ui.add(
                        Knob::new(&slot.low_cut_hz, setter)
                            .label("Freq")
                            .tooltip("Low-cut corner (−3 dB), 20–400 Hz."),
                    );
                    ui.add_space(14.0);
                    ui.vertical(|ui| {
                        theme::section_title(ui, "EQ");
                        ui.horizontal(|ui| {
                            ui.add(
                                Knob::new(&slot.eq_low_db, setter)
                                    .label("Low")
                                    .tooltip("Low shelf at 100 Hz, ±15 dB."),
                            );
                            ui.add(
                                Knob::new(&slot.eq_mid_db, setter)
                                    .label("Mid")
                                    .tooltip("Mid bell gain, ±15 dB."),
                            );
                            ui.add(
                                Knob::new(&slot.eq_mid_hz, setter)
                                    .label("Mid freq")
                                    .tooltip("Mid bell centre, 100 Hz–8 kHz."),
                            );
                            ui.add(
                                Knob::new(&slot.eq_mid_q, setter)
                                    .label("Mid Q")
                                    .tooltip("Mid bell width: low Q is broad, high Q narrow (0.3–6)."),
                            );
                            ui.add(
                                Knob::new(&slot.eq_high_db, setter)
                                    .label("High")
                                    .tooltip("High shelf at 10 kHz, ±15 dB."),
                            );
                        });
                    });
                });
                ui.add_space(6.0);
                ui.horizontal_top(|ui| {
                    ui.vertical(|ui| {
                        theme::section_title(ui, "OUTPUT");
                        ui.horizontal(|ui| {
                            ui.add(
                                Knob::new(&slot.output_db, setter)
                                    .label("Output")
                                    .tooltip("Output trim after everything else, ±24 dB."),
                            );
                            ui.add(
                                Knob::new(&slot.mix, setter)
                                    .label("Mix")
                                    .tooltip("Dry/wet mix: 0 % is the untouched input, 100 % the preamp."),
                            );
                        });
                    });
                    ui.add_space(14.0);
                    ui.vertical(|ui| {
                        theme::section_title(ui, "QUALITY");
                        egui::Grid::new("quality_grid").num_columns(2).show(ui, |ui| {
                            ui.label(RichText::new("Real-time").color(theme::TEXT_DIM));
                            ChoiceMenu::new(&params.quality, setter)
                                .width(140.0)
                                .tooltip("Oversampling and filter type for real-time playback.")
                                .show(ui);
                            ui.end_row();
                            ui.label(RichText::new("Offline").color(theme::TEXT_DIM));
                            ChoiceMenu::new(&params.offline_quality, setter)
                                .width(140.0)
                                .tooltip("Oversampling used when the host renders offline.")
                                .show(ui);
                            ui.end_row();
                        });
                    });
                    ui.add_space(14.0);
                    ui.vertical(|ui| {
                        theme::section_title(ui, "DRIVE");
                        let drive = self.data.meters.drive_db.load(Ordering::Relaxed);
                        let drive_text = if drive.is_finite() {
                            format!("{drive:+.1} dB")
                        } else {
                            "—".to_owned()
                        };
                        let drive_colour = if drive > 0.0 {
                            theme::WARN
                        } else {
                            theme::TEXT
                        };
                        ui.label(
                            RichText::new(drive_text)
                                .font(theme::value_font())
                                .color(drive_colour),
                        )
                        .on_hover_text(
                            "How hard the model is driven: the level asked of it against its 1 % THD point (above 0 dB it audibly distorts).",
                        );
                        ui.label(RichText::new("re 1 % THD").color(theme::TEXT_DIM).small());
                    });
                });
            });
        });
    }

    fn meters(&mut self, ui: &mut Ui) {
        let meters = &self.data.meters;
        theme::panel_frame().show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.add(
                    LevelMeter::new(
                        "IN",
                        meters.input_peak_dbfs.load(Ordering::Relaxed),
                        meters.input_rms_dbfs.load(Ordering::Relaxed),
                    )
                    .height(230.0)
                    .tooltip("Input level: peak (light) and RMS (solid), dBFS left and dBu right."),
                );
                ui.add(
                    LevelMeter::new(
                        "OUT",
                        meters.output_peak_dbfs.load(Ordering::Relaxed),
                        meters.output_rms_dbfs.load(Ordering::Relaxed),
                    )
                    .height(230.0)
                    .tooltip(
                        "Output level: peak (light) and RMS (solid), dBFS left and dBu right.",
                    ),
                );
            });
        });
    }

    fn plots(&mut self, ui: &mut Ui, slot: &SlotParams) {
        let settings = slot.channel_settings();
        let sample_rate = self.sample_rate();
        if let Ok(mut reader) = self.data.spectrum.lock()
            && let Some(frame) = reader.take_latest()
        {
            self.analyser.analyse(frame);
        }
        let available = ui.available_width();
        let height = ui.available_height().clamp(220.0, 420.0);
        let transfer_width = height.min(available * 0.3);
        let wide = ((available - transfer_width - 16.0) * 0.5).max(200.0);
        let curves = self.response_curves().clone();
        let model_name = slot
            .model
            .normalized_value_to_string(slot.model.unmodulated_normalized_value(), false);
        ui.horizontal_top(|ui| {
            let (_, axes) = FrequencyPlot::new("FREQUENCY RESPONSE", "dB")
                .frequency_range(RESPONSE_MIN_HZ, RESPONSE_MAX_HZ)
                .value_range(-24.0, 24.0, 6.0)
                .size(Vec2::new(wide, height))
                .curve(
                    Curve::new(curves.source_db, theme::ACCENT_2)
                        .width(1.0)
                        .label("source loading"),
                )
                .curve(
                    Curve::new(curves.combined_db, theme::RESPONSE)
                        .label("voicing + low-cut + EQ + colour"),
                )
                .tooltip("Combined response of the source loading, low-cut, EQ and colour voicing, from the DSP's analytic response.")
                .show(ui);
            self.response_axes = Some(axes);

            let gain_db = settings.gain_db;
            let points = self.transfer.points(&settings).to_vec();
            let input_peak_dbfs = self.data.meters.input_peak_dbfs.load(Ordering::Relaxed);
            let markers = input_marker(&settings, input_peak_dbfs).into_iter().collect();
            TransferPanel::new(
                format!("TRANSFER · {model_name} at {gain_db:.1} dB"),
                points,
                TRANSFER_RANGE,
            )
            .axis_labels("in (1 = 0 dBFS out)", "out, FS")
            .markers(markers)
            .size(Vec2::new(transfer_width, height))
            .tooltip("The model's output against its input for a 1 kHz sine at this gain; blue lines mark the present input peak.")
            .show(ui);

            let bin_hz = sample_rate / self.analyser.frame_length() as f32;
            SpectrumPanel::new("OUTPUT SPECTRUM", self.analyser.levels_db(), bin_hz)
                .harmonics(self.analyser.harmonics(sample_rate, 5))
                .size(Vec2::new(wide, height))
                .tooltip("Spectrum of the output just processed: a steady tone shows the model's harmonics.")
                .show(ui);
        });
    }
}

/// The present input peak on the transfer curve's input axis (1 = the level that gives 0 dBFS
/// out at this gain): the input peak in full-scale units × the small-signal gain.
fn input_marker(
    settings: &gainstage_dsp::preamp::channel::ChannelSettings,
    input_peak_dbfs: f32,
) -> Option<f32> {
    use gainstage_dsp::level::db_to_gain;
    use gainstage_dsp::preamp::calibration::{input_volts_per_unit, output_units_per_volt};
    if !input_peak_dbfs.is_finite() || input_peak_dbfs < -90.0 {
        return None;
    }
    let peak = db_to_gain(f64::from(input_peak_dbfs));
    let volts = peak * input_volts_per_unit(settings.effective_input_type(), settings.pad);
    let gain = db_to_gain(f64::from(settings.gain_db));
    let position = (volts * gain * output_units_per_volt()) as f32;
    (position.is_finite() && position <= TRANSFER_RANGE * 1.5).then_some(position)
}

/// Copies every setting of one slot onto the other, one gesture per parameter.
pub fn copy_slot(params: &PreampParams, setter: &ParamSetter, direction: CopyDirection) {
    let from = match direction {
        CopyDirection::AToB => SlotChoice::A,
        CopyDirection::BToA => SlotChoice::B,
    };
    let pointers = params.param_map();
    for (id, normalized) in params.copy_changes(from) {
        if let Some((_, pointer, _)) = pointers.iter().find(|(candidate, _, _)| *candidate == id) {
            // SAFETY: the pointers come from `params`, which outlives this call.
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

impl NiceEguiApp for PreampEditor {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut Frame,
    ) -> Result<(), baseview::HandlerError> {
        theme::apply(&egui_ctx);
        self.gui = Some(nice_gui_ctx);
        self.analyser.clear();
        self.presets.refresh();
        Ok(())
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut Frame) {
        let Some(gui) = self.gui.clone() else {
            return;
        };
        let setter = gui.param_setter();
        self.draw(ui, &setter);
        // Meters and the spectrum move on their own: redraw about 30 times a second.
        ui.ctx().request_repaint_after(Duration::from_millis(33));
    }

    fn editor_closed(&mut self) {
        self.gui = None;
    }
}
