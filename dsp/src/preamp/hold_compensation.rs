//! A short minimum-phase emphasis at the oversampled rate that undoes the top-end droop of
//! first-order ADAA, so a clean model is flat to a few hundredths of a dB across the audio band.
//!
//! First-order ADAA averages the curve between consecutive inputs; on the linear part of a curve
//! that is the first-order hold `A(z) = (1 + z⁻¹)/2`, `|A(e^{jω})| = cos(ω/2)` (Parker, Zavalishin
//! & Le Bivic, DAFx-16; Bilbao et al., IEEE SPL 2017): −0.47 dB at 20 kHz when the model runs at
//! 192 kHz, −2.4 dB at 88.2 kHz. Every model has one ADAA stage on its main path, so the channel
//! puts one compensation after them, ahead of the downsampler. (After, not before: the models
//! then see exactly the signal they would without it — a hard knee's aliasing is very sensitive
//! to level, and a pre-emphasis of +0.06 dB at 7 kHz moved the solid-state figure by 5 dB.)
//!
//! The compensation is a three-tap FIR, normalised to unity at DC,
//!
//! ```text
//! C(z) = (1 + a·z⁻¹ + b·z⁻²) / (1 + a + b)
//! ```
//!
//! with `(a, b)` chosen at construction to minimise the largest deviation of `|C·A|` in dB over
//! 20 Hz … 20 kHz (the audio band, clamped to the oversampler's pass band) at the oversampled rate:
//! a nested grid search refined around its best point (minimax by direct search). The search
//! keeps both zeros inside the unit circle, so `C` is minimum phase: it advances low frequencies
//! slightly instead of delaying them (its group delay at DC, `(a + 2b)/(1 + a + b)` samples, is
//! negative for the taps found: about −0.3 samples at 2× and 4×), and the channel's impulse
//! still arrives where the oversampler says it does.
//!
//! Applied only when oversampling (factor ≥ 2): at the host rate the droop reaches 17 dB at
//! 20 kHz (44.1 kHz) and no short filter could undo it sensibly.

use std::f64::consts::TAU;
use std::sync::Mutex;

use realfft::num_complex::Complex64;

/// Upper edge of the band the compensation flattens, Hz.
pub const BAND_TOP_HZ: f64 = 20_000.0;
/// Lower edge of the band the compensation flattens, Hz.
const BAND_BOTTOM_HZ: f64 = 20.0;
/// Frequencies the minimax search evaluates (linearly spaced: the error grows with frequency).
const SEARCH_POINTS: usize = 96;
/// Grid points per coefficient in each refinement pass of the search.
const SEARCH_GRID: usize = 17;
/// Refinement passes (each shrinks the grid around the best point by four).
const SEARCH_PASSES: usize = 6;
/// Largest zero radius the search accepts (keeps `C` safely minimum phase).
const MAX_ZERO_RADIUS: f64 = 0.9;

/// The ADAA droop compensation for one channel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HoldCompensation {
    /// `[c0, c1, c2]`: the normalised taps `(1, a, b)/(1 + a + b)`.
    taps: [f32; 3],
    /// The two previous inputs.
    history: [f32; 2],
    /// Whether the compensation runs at all (identity at factor 1).
    active: bool,
}

/// `|A(e^{jω})|`, the first-order hold's magnitude at normalised angle `omega` (rad/sample).
fn hold_magnitude(omega: f64) -> f64 {
    (0.5 * omega).cos()
}

/// `C(e^{jω})` for the unnormalised numerator `(1, a, b)`, normalised to unity at DC.
fn compensation_response(a: f64, b: f64, omega: f64) -> Complex64 {
    let delay = Complex64::from_polar(1.0, -omega);
    (1.0 + a * delay + b * delay * delay) / (1.0 + a + b)
}

/// Largest zero magnitude of `1 + a·z⁻¹ + b·z⁻²` (roots of `z² + a·z + b`).
fn zero_radius(a: f64, b: f64) -> f64 {
    let discriminant = a * a - 4.0 * b;
    if discriminant < 0.0 {
        b.sqrt()
    } else {
        let root = discriminant.sqrt();
        ((-a + root) * 0.5).abs().max(((-a - root) * 0.5).abs())
    }
}

impl HoldCompensation {
    /// No compensation (a pass-through), for a channel that does not oversample.
    pub const IDENTITY: Self = Self {
        taps: [1.0, 0.0, 0.0],
        history: [0.0; 2],
        active: false,
    };

    /// The compensation for a model running at `base_rate` Hz × `factor`; the identity for
    /// `factor` ≤ 1. The first call for a (rate, factor) runs a search of some tens of milliseconds,
    /// later ones copy its result; call outside the audio thread (it allocates and locks).
    pub fn new(base_rate: f64, factor: usize) -> Self {
        if factor <= 1 {
            return Self::IDENTITY;
        }
        // The search takes tens of milliseconds and every channel of every activation at the same
        // rates asks for the same answer: design each (rate, factor) once per process.
        static DESIGNED: Mutex<Vec<((u64, usize), HoldCompensation)>> = Mutex::new(Vec::new());
        let key = (base_rate.to_bits(), factor);
        let mut designed = DESIGNED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(&(_, compensation)) = designed.iter().find(|(found, _)| *found == key) {
            return compensation;
        }
        let compensation = Self::design(base_rate, factor);
        designed.push((key, compensation));
        compensation
    }

    /// Searches the compensation for `factor`× oversampling of `base_rate` Hz (`factor` ≥ 2).
    fn design(base_rate: f64, factor: usize) -> Self {
        let oversampled_rate = base_rate * factor as f64;
        let top = BAND_TOP_HZ.min(crate::oversample::PASSBAND_EDGE * base_rate);
        let omegas: Vec<f64> = (0..SEARCH_POINTS)
            .map(|index| {
                let frequency = BAND_BOTTOM_HZ
                    + (top - BAND_BOTTOM_HZ) * index as f64 / (SEARCH_POINTS - 1) as f64;
                TAU * frequency / oversampled_rate
            })
            .collect();
        let worst_error = |a: f64, b: f64| {
            if zero_radius(a, b) > MAX_ZERO_RADIUS || 1.0 + a + b <= 0.0 {
                return f64::INFINITY;
            }
            omegas
                .iter()
                .map(|&omega| {
                    let magnitude =
                        compensation_response(a, b, omega).norm() * hold_magnitude(omega);
                    (20.0 * magnitude.log10()).abs()
                })
                .fold(0.0, f64::max)
        };
        // Start from the DC-flat first-order solution region: a ∈ [−1, 0.2], b ∈ [−0.4, 0.8].
        let (mut centre_a, mut centre_b) = (-0.4, 0.2);
        let (mut span_a, mut span_b) = (0.6, 0.6);
        let mut best = (worst_error(0.0, 0.0), 0.0, 0.0);
        for _ in 0..SEARCH_PASSES {
            for index_a in 0..SEARCH_GRID {
                let a = centre_a + span_a * (2.0 * index_a as f64 / (SEARCH_GRID - 1) as f64 - 1.0);
                for index_b in 0..SEARCH_GRID {
                    let b =
                        centre_b + span_b * (2.0 * index_b as f64 / (SEARCH_GRID - 1) as f64 - 1.0);
                    let error = worst_error(a, b);
                    if error < best.0 {
                        best = (error, a, b);
                    }
                }
            }
            centre_a = best.1;
            centre_b = best.2;
            span_a *= 0.25;
            span_b *= 0.25;
        }
        let (_, a, b) = best;
        let normalisation = 1.0 + a + b;
        Self {
            taps: [
                (1.0 / normalisation) as f32,
                (a / normalisation) as f32,
                (b / normalisation) as f32,
            ],
            history: [0.0; 2],
            active: true,
        }
    }

    /// Whether the compensation does anything (false at factor 1).
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// The taps `[c0, c1, c2]` in use.
    pub fn taps(&self) -> [f32; 3] {
        self.taps
    }

    /// The exact response of the compensation at `frequency_hz` for a model rate of
    /// `oversampled_rate` Hz.
    pub fn response(&self, frequency_hz: f64, oversampled_rate: f64) -> Complex64 {
        let delay = Complex64::from_polar(1.0, -TAU * frequency_hz / oversampled_rate);
        f64::from(self.taps[0])
            + f64::from(self.taps[1]) * delay
            + f64::from(self.taps[2]) * delay * delay
    }

    /// Clears the history.
    pub fn reset(&mut self) {
        self.history = [0.0; 2];
    }

    /// Filters `block` (at the oversampled rate) in place.
    #[inline]
    pub fn process_block(&mut self, block: &mut [f32]) {
        if !self.active {
            return;
        }
        let [c0, c1, c2] = self.taps;
        let [mut previous, mut before_previous] = self.history;
        for sample in block.iter_mut() {
            let input = *sample;
            *sample = c0 * input + c1 * previous + c2 * before_previous;
            before_previous = previous;
            previous = input;
        }
        self.history = [previous, before_previous];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worst |C·A| deviation (dB) over 20 Hz–20 kHz at `base_rate` × `factor`.
    fn flatness_db(base_rate: f64, factor: usize) -> f64 {
        let compensation = HoldCompensation::new(base_rate, factor);
        let oversampled_rate = base_rate * factor as f64;
        (0..=2_000)
            .map(|index| {
                let frequency = 20.0 + (20_000.0 - 20.0) * index as f64 / 2_000.0;
                let omega = TAU * frequency / oversampled_rate;
                let magnitude = compensation.response(frequency, oversampled_rate).norm()
                    * hold_magnitude(omega);
                20.0 * magnitude.log10()
            })
            .fold(0.0f64, |worst, error| {
                if error.abs() > worst.abs() {
                    error
                } else {
                    worst
                }
            })
    }

    #[test]
    fn compensated_hold_is_flat_within_0_02_db_from_4x() {
        for factor in [4, 8, 16] {
            for base_rate in [44_100.0, 48_000.0] {
                let error = flatness_db(base_rate, factor);
                println!("hold + compensation at {base_rate} Hz × {factor}: worst {error:+.4} dB");
                assert!(
                    error.abs() <= 0.02,
                    "ADAA hold + compensation at {base_rate} Hz × {factor}: worst {error:.4} dB"
                );
            }
        }
    }

    #[test]
    fn compensated_hold_at_2x_is_within_0_05_db() {
        for base_rate in [44_100.0, 48_000.0] {
            let error = flatness_db(base_rate, 2);
            println!("hold + compensation at {base_rate} Hz × 2: worst {error:+.4} dB");
            assert!(
                error.abs() <= 0.05,
                "ADAA hold + compensation at {base_rate} Hz × 2: worst {error:.4} dB"
            );
        }
    }

    #[test]
    fn compensation_is_minimum_phase_and_identity_at_1x() {
        for factor in [2, 4, 8, 16] {
            let taps = HoldCompensation::new(48_000.0, factor).taps();
            let (a, b) = (f64::from(taps[1] / taps[0]), f64::from(taps[2] / taps[0]));
            let radius = zero_radius(a, b);
            let dc_delay = (a + 2.0 * b) / (1.0 + a + b);
            println!(
                "×{factor}: a {a:.4}, b {b:.4}, zero radius {radius:.3}, DC delay {dc_delay:.3}"
            );
            assert!(radius < 1.0, "×{factor}: zero radius {radius:.3}");
        }
        assert!(!HoldCompensation::new(48_000.0, 1).is_active());
    }
}
