//! Gainstage's own CLAP test host: loads the built plugin bundles and drives them like a DAW would.
//!
//! - [`bundle`] builds the release bundles once per test process (or takes them from
//!   `GAINSTAGE_BUNDLE_DIR`) and says where each plugin's files are.
//! - [`host`] wraps `clack-host`: [`PluginUnderTest`] loads a bundle, activates the plugin at a
//!   sample rate and layout, processes planar `f32` audio in blocks, and reaches the params, state,
//!   audio-ports, audio-ports-config, latency and gui extensions (an editor embedded in an X11
//!   window, its automation gestures read back from the plugin's output events).
//! - [`host_matrix`] runs the host-behaviour checks (rates × block sizes × layouts, automation
//!   every sample, activation cycles, state identity) against either format through one trait.
//! - [`editor_check`] opens a plugin's real editor in the host under Xvfb, drags a knob with the
//!   mouse and automates it from the host, checking both directions.
//! - [`signal`] makes test signals and measures levels.
//! - [`virtual_screen`] runs a private Xvfb display for editor tests: a window to embed an editor
//!   in (see [`PluginUnderTest::create_editor_x11`]), XTEST pointer input and pixel captures.
//! - [`vst3_host`] is the VST3 counterpart of [`host`]: [`vst3_host::Vst3PluginUnderTest`] loads
//!   a `.vst3` bundle through the `vst3` crate's COM bindings and drives it the same way.
//!
//! ```no_run
//! use gainstage_tests::{Layout, Plugin, PluginUnderTest, signal};
//!
//! let mut plugin = PluginUnderTest::load(Plugin::Preamp)?;
//! plugin.activate(48_000.0, 1, 4096, Layout::Stereo)?;
//! let tone = signal::sine(1_000.0, -18.0, 48_000.0, 24_000);
//! let output = plugin.process(&[tone.clone(), tone], 512)?;
//! println!("output RMS {:.2} dBFS", signal::rms_dbfs(&output[0]));
//! let state = plugin.save_state()?;
//! # let _ = state;
//! # Ok::<(), anyhow::Error>(())
//! ```

pub mod bundle;
pub mod editor_check;
pub mod host;
pub mod host_matrix;
pub mod signal;
pub mod virtual_screen;
pub mod vst3_host;

pub use bundle::{Bundles, Plugin, built_bundles};
pub use host::{
    AudioPortDescription, EditorSize, HostCallCounts, Layout, LoadedBundle, ParamChange,
    ParamDescription, ParamOutputEvent, PluginDescription, PluginUnderTest,
};
