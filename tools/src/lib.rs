//! Gainstage's measurement and batch tools, run through the project's CLAP host on the built
//! bundles: offline rendering of WAV files, the soak, and the benchmark report.
//!
//! `cargo xtask render|soak|bench` runs the `gainstage-tools` binary of this crate (see
//! `xtask/src/main.rs`); the functions here are also what this crate's tests call.
//!
//! - [`render`] runs a WAV file through a plugin with named settings or a factory preset.
//! - [`soak`] renders long stretches with random automation and checks NaN/Inf, DC and cost.
//! - [`bench`](mod@bench) measures real-time factor and instructions per channel-sample for
//!   each model.
//! - [`settings`], [`wav`], [`program`], [`random`] and [`cpu_time`] are their building blocks.

pub mod bench;
pub mod cpu_time;
pub mod program;
pub mod random;
pub mod render;
pub mod settings;
pub mod soak;
pub mod wav;
