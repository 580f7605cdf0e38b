//! Measurement on realfft: THD and harmonics, aliasing, frequency response, latency, test signals.
//!
//! Everything here runs off the audio thread (tests, benchmarks, the GUI's analyser), so these
//! functions may allocate. The definitions follow the project's measurement conventions: THD over
//! harmonics 2–10, aliasing as everything that is neither DC nor a harmonic, a Blackman-Harris
//! window for every steady-state spectrum.

pub mod aliasing;
pub mod generator;
pub mod harmonics;
pub mod latency;
pub mod response;
pub mod spectrum;
