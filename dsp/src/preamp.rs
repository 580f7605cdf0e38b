//! The preamp's signal path, framework-free: input calibration, source loading, the four models,
//! low-cut and EQ, level matching, and one channel that strings them together.
//!
//! The plugin crate turns its parameters into a [`channel::ChannelSettings`] and calls
//! [`channel::PreampChannel`] once per audio channel.

pub mod calibration;
pub mod channel;
pub mod colour;
pub mod hold_compensation;
pub mod level_match;
pub mod model;
pub mod oversampled;
pub mod solid_state;
pub mod source;
pub mod tone;
pub mod transparent;
pub mod tube;
pub mod voicing;
