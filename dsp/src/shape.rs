//! Nonlinear stages with antiderivative anti-aliasing: triode, op-amp, transformer, power-stage clippers.
//!
//! Every stage implements [`crate::Processor`] and is meant to run at the oversampled rate given to
//! its `prepare`. Each one is a circuit solved numerically at construction (or in `prepare`) into a
//! [`TabulatedCurve`], played on the audio path by a table lookup with first-order ADAA
//! ([`adaa`]); nothing on the audio path calls `exp`, `ln` or allocates. Each module documents the
//! volts its `process_sample` takes and returns; the plugin crates map dBu to volts
//! (0 dBu = 0.7746 V RMS, so a sine of L dBu has a peak of 1.0954·10^(L/20) V).
//!
//! | stage | circuit idea | character |
//! |---|---|---|
//! | [`TriodeStage`] | 12AX7 on a load line, grid conduction, coupling-cap bias shift | even-dominant, bloom |
//! | [`OpAmpStage`] | feedback loop around a rail-limited output stage | clean, quick knee, odd |
//! | [`TransformerStage`] | flux-domain core with nonlinear magnetising current | H3, rises as frequency falls |
//! | [`PushPullStage`] | two 6L6GC in class AB on a composite load line, global feedback | odd, crossover, clip |
//! | [`SingleEndedStage`] | one 300B in class A on a transformer load line, global feedback | even, asymmetric clip |
//! | [`SolidStateStage`] | feedback amplifier, class-AB output with crossover, hard rails | clean then hard clip |

pub mod adaa;
pub mod opamp;
pub mod power_stage;
pub mod solve;
pub mod transformer;
pub mod triode;

pub use adaa::{Adaa, TabulatedCurve};
pub use opamp::OpAmpStage;
pub use power_stage::{PushPullStage, SingleEndedStage, SolidStateStage};
pub use transformer::TransformerStage;
pub use triode::TriodeStage;

/// Converts a level in dBu to the peak voltage of a sine at that level (0 dBu = 0.7746 V RMS).
pub fn dbu_to_peak_volts(level_dbu: f64) -> f64 {
    0.774_596_669 * std::f64::consts::SQRT_2 * 10.0_f64.powf(level_dbu / 20.0)
}
