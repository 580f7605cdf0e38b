//! Gainstage's own CLAP test host: loads the built plugin bundles and drives them like a DAW would.
//!
//! - [`bundle`] builds the release bundles once per test process (or takes them from
//!   `GAINSTAGE_BUNDLE_DIR`) and says where each plugin's files are.
//! - [`host`] wraps `clack-host`: [`PluginUnderTest`] loads a bundle, activates the plugin at a
//!   sample rate and layout, processes planar `f32` audio in blocks, and reaches the params, state,
//!   audio-ports, audio-ports-config and latency extensions.
//! - [`signal`] makes test signals and measures levels.
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
pub mod host;
pub mod signal;

pub use bundle::{Bundles, Plugin, built_bundles};
pub use host::{
    AudioPortDescription, HostCallCounts, Layout, LoadedBundle, ParamChange, ParamDescription,
    PluginDescription, PluginUnderTest,
};
