//! Gainstage's shared egui widgets: knobs, selectors, meters, plots, the spectrum analyser, the
//! A/B and preset bars, one dark theme, and a resizable editor window whose size is saved with
//! the plugin's state.
//!
//! Every control that changes a parameter goes through a nice-plug [`ParamSetter`] and sends the
//! host one automation gesture per user action: `begin`, one or more `set`, `end`.
//!
//! [`ParamSetter`]: nice_plug::prelude::ParamSetter

pub mod ab_bar;
pub mod choice_menu;
pub mod editor_window;
pub mod gesture;
pub mod knob;
pub mod meter;
pub mod plot;
pub mod preset_bar;
pub mod preset_files;
pub mod segmented;
pub mod spectrum_analyser;
pub mod spectrum_panel;
pub mod spectrum_tap;
pub mod test_support;
pub mod theme;
pub mod toggle;
pub mod transfer_panel;
pub mod units;

pub use ab_bar::{AbBar, AbBarResponse, CopyDirection};
pub use choice_menu::ChoiceMenu;
pub use editor_window::{EditorSize, PersistedEditorSize, ResizableEditor};
pub use knob::Knob;
pub use meter::LevelMeter;
pub use plot::{Curve, FrequencyAxes, FrequencyPlot};
pub use preset_bar::{PresetAction, PresetBar, PresetBarState, PresetEntry, PresetKind};
pub use segmented::Segmented;
pub use spectrum_analyser::SpectrumAnalyser;
pub use spectrum_panel::SpectrumPanel;
pub use spectrum_tap::{SpectrumReader, SpectrumWriter, spectrum_channel};
pub use toggle::Toggle;
pub use transfer_panel::TransferPanel;

/// Re-exported so plugin crates build their editors against the same egui version.
pub use egui;
/// Re-exported so plugin crates use the same egui adapter.
pub use nice_plug_egui;
