//! The lossy voice-coil inductance as a "semi-inductance" `K·(jω)^n` and its rational
//! approximation by a short ladder of parallel R‖L cells, so that time-domain filters can realise it.
//!
//! Eddy currents in the pole piece make a voice coil's impedance rise by less than 6 dB per octave:
//! W. Marshall Leach, "Loudspeaker voice-coil inductance losses: circuit models, parameter
//! estimation, and effect on frequency response", J. Audio Eng. Soc. 50(6), 2002, models it as
//! `Z_L = K·(jω)^n` with `0 < n < 1` (about 3–4 dB per octave for `n ≈ 0.6–0.7`). A fractional power
//! of `s` is not rational; following the usual constant-phase-element practice (A. Oustaloup et al.,
//! IEEE Trans. Circuits Syst. I 47(1), 2000) it is approximated over a band by a Foster ladder,
//!
//! ```text
//! Z_L(s) ≈ Σ_k a_k · s / (s + ω_k) + L_∞·s   (cell k: resistor a_k in parallel with inductor a_k/ω_k)
//! ```
//!
//! with corner frequencies `ω_k` spaced geometrically and the resistances `a_k` and the series
//! inductance `L_∞` (which stands for the cells above the band) fitted by linear least squares to the
//! exact `K·(jω)^n` (relative error, log-spaced frequencies).

use realfft::num_complex::Complex64;

use super::rational::{Polynomial, Rational, RootSet};

/// Frequency (Hz) at which a datasheet's `Le` is read: the semi-inductance has the impedance
/// magnitude `ω·Le` there.
pub const LE_REFERENCE_HZ: f64 = 1_000.0;

/// Number of R‖L cells in the ladder.
pub const LADDER_CELLS: usize = 4;

/// Corner frequency (Hz) of the lowest ladder cell.
pub const LOWEST_CORNER_HZ: f64 = 100.0;

/// Ratio between neighbouring cells' corner frequencies (100 Hz, 600 Hz, 3.6 kHz, 21.6 kHz).
pub const CORNER_RATIO: f64 = 6.0;

/// Band (Hz) over which the ladder is fitted to the exact semi-inductance.
pub const FIT_BAND_HZ: (f64, f64) = (40.0, 40_000.0);

/// Unknowns of the fit: the cell resistances, then the series inductance.
const UNKNOWNS: usize = LADDER_CELLS + 1;

/// A voice-coil semi-inductance `K·(jω)^n`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SemiInductance {
    /// `K`, in ohms per (rad/s)^n.
    pub coefficient: f64,
    /// The exponent `n`, 0 < n ≤ 1 (1 is an ideal inductor).
    pub exponent: f64,
}

impl SemiInductance {
    /// The semi-inductance whose impedance magnitude at [`LE_REFERENCE_HZ`] equals that of an
    /// inductor of `inductance_henries` (the datasheet `Le`), with exponent `exponent`.
    pub fn from_datasheet(inductance_henries: f64, exponent: f64) -> Self {
        let reference = std::f64::consts::TAU * LE_REFERENCE_HZ;
        let exponent = exponent.clamp(0.05, 1.0);
        Self {
            coefficient: inductance_henries.max(0.0) * reference.powf(1.0 - exponent),
            exponent,
        }
    }

    /// Exact impedance `K·(j·2πf)^n`, ohms.
    pub fn impedance(&self, frequency_hz: f64) -> Complex64 {
        let angular = std::f64::consts::TAU * frequency_hz.max(0.0);
        Complex64::from_polar(
            self.coefficient * angular.powf(self.exponent),
            self.exponent * std::f64::consts::FRAC_PI_2,
        )
    }

    /// The fitted ladder that approximates this semi-inductance.
    pub fn ladder(&self) -> InductanceLadder {
        InductanceLadder::fit(self)
    }
}

/// A Foster ladder of R‖L cells plus a series inductance, `Σ a_k · s / (s + ω_k) + L_∞·s`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InductanceLadder {
    /// Cell resistances `a_k`, ohms.
    pub resistances: [f64; LADDER_CELLS],
    /// Cell corner frequencies `ω_k`, rad/s.
    pub corners: [f64; LADDER_CELLS],
    /// Series inductance `L_∞`, henries.
    pub series_inductance: f64,
}

impl InductanceLadder {
    /// Fits the cell resistances and the series inductance to `target` by weighted linear least
    /// squares (relative error over 64 log-spaced frequencies of [`FIT_BAND_HZ`]). Elements that come
    /// out negative are removed and the rest refitted, so the ladder stays passive.
    pub fn fit(target: &SemiInductance) -> Self {
        let corners: [f64; LADDER_CELLS] = std::array::from_fn(|index| {
            std::f64::consts::TAU * LOWEST_CORNER_HZ * CORNER_RATIO.powi(index as i32)
        });
        let mut active = [true; UNKNOWNS];
        let mut solution = [0.0; UNKNOWNS];
        if target.coefficient > 0.0 {
            for _ in 0..UNKNOWNS {
                solution = least_squares(target, &corners, &active);
                let mut changed = false;
                for (value, is_active) in solution.iter_mut().zip(active.iter_mut()) {
                    if *is_active && *value < 0.0 {
                        *is_active = false;
                        *value = 0.0;
                        changed = true;
                    }
                }
                if !changed {
                    break;
                }
            }
        }
        Self {
            resistances: std::array::from_fn(|index| solution[index]),
            corners,
            series_inductance: solution[LADDER_CELLS],
        }
    }

    /// The ladder's impedance at `frequency_hz`, ohms.
    pub fn impedance(&self, frequency_hz: f64) -> Complex64 {
        let s = Complex64::new(0.0, std::f64::consts::TAU * frequency_hz);
        let cells: Complex64 = self
            .resistances
            .iter()
            .zip(self.corners.iter())
            .map(|(resistance, corner)| *resistance * s / (s + corner))
            .sum();
        cells + self.series_inductance * s
    }

    /// The ladder as a rational function of `s` (numerator one degree above the denominator when
    /// the series inductance is present).
    pub fn rational(&self) -> Rational {
        let mut sum = Rational {
            numerator: Polynomial::from_coefficients(&[0.0, self.series_inductance]),
            denominator: Polynomial::constant(1.0),
        };
        for (resistance, corner) in self.resistances.iter().zip(self.corners.iter()) {
            let cell = Rational {
                numerator: Polynomial::from_coefficients(&[0.0, *resistance]),
                denominator: Polynomial::from_coefficients(&[*corner, 1.0]),
            };
            sum = sum.add(&cell);
        }
        sum
    }

    /// The ladder's poles (`−ω_k`), which are the roots of [`InductanceLadder::rational`]'s
    /// denominator.
    pub fn poles(&self) -> RootSet {
        let mut poles = RootSet::new();
        for corner in self.corners {
            poles.push_real(-corner);
        }
        poles
    }
}

/// Minimises Σ |Σ_k x_k φ_k(f) − T(f)|² / |T(f)|² over the active unknowns (cell resistances with
/// `φ_k = s/(s + ω_k)`, then the series inductance with `φ = s`).
fn least_squares(
    target: &SemiInductance,
    corners: &[f64; LADDER_CELLS],
    active: &[bool; UNKNOWNS],
) -> [f64; UNKNOWNS] {
    const POINTS: usize = 64;
    let mut normal = [[0.0_f64; UNKNOWNS]; UNKNOWNS];
    let mut right = [0.0_f64; UNKNOWNS];
    let (low, high) = FIT_BAND_HZ;
    for point in 0..POINTS {
        let frequency = low * (high / low).powf(point as f64 / (POINTS - 1) as f64);
        let wanted = target.impedance(frequency);
        let weight = 1.0 / wanted.norm_sqr();
        let s = Complex64::new(0.0, std::f64::consts::TAU * frequency);
        let basis: [Complex64; UNKNOWNS] = std::array::from_fn(|index| {
            if index < LADDER_CELLS {
                s / (s + corners[index])
            } else {
                s
            }
        });
        for row in 0..UNKNOWNS {
            for column in 0..UNKNOWNS {
                normal[row][column] +=
                    weight * (basis[row].re * basis[column].re + basis[row].im * basis[column].im);
            }
            right[row] += weight * (basis[row].re * wanted.re + basis[row].im * wanted.im);
        }
    }
    // Equilibrate (the inductance column is ~10^5 times the others), then pin inactive unknowns.
    let scales: [f64; UNKNOWNS] = std::array::from_fn(|index| 1.0 / normal[index][index].sqrt());
    for row in 0..UNKNOWNS {
        for column in 0..UNKNOWNS {
            normal[row][column] *= scales[row] * scales[column];
        }
        right[row] *= scales[row];
    }
    for index in 0..UNKNOWNS {
        if !active[index] {
            normal[index] = [0.0; UNKNOWNS];
            for row in normal.iter_mut() {
                row[index] = 0.0;
            }
            normal[index][index] = 1.0;
            right[index] = 0.0;
        }
    }
    let solution = solve_linear(normal, right);
    std::array::from_fn(|index| solution[index] * scales[index])
}

/// Gaussian elimination with partial pivoting on a small dense system.
fn solve_linear(
    mut matrix: [[f64; UNKNOWNS]; UNKNOWNS],
    mut right: [f64; UNKNOWNS],
) -> [f64; UNKNOWNS] {
    for pivot in 0..UNKNOWNS {
        let best = (pivot..UNKNOWNS)
            .max_by(|&left, &other| {
                matrix[left][pivot]
                    .abs()
                    .total_cmp(&matrix[other][pivot].abs())
            })
            .unwrap_or(pivot);
        matrix.swap(pivot, best);
        right.swap(pivot, best);
        let diagonal = matrix[pivot][pivot];
        if diagonal.abs() < 1.0e-300 {
            continue;
        }
        let pivot_row = matrix[pivot];
        let pivot_right = right[pivot];
        for (row, row_right) in matrix.iter_mut().zip(right.iter_mut()).skip(pivot + 1) {
            let factor = row[pivot] / diagonal;
            for (value, pivot_value) in row.iter_mut().zip(pivot_row.iter()).skip(pivot) {
                *value -= factor * pivot_value;
            }
            *row_right -= factor * pivot_right;
        }
    }
    let mut solution = [0.0; UNKNOWNS];
    for row in (0..UNKNOWNS).rev() {
        let mut sum = right[row];
        for column in row + 1..UNKNOWNS {
            sum -= matrix[row][column] * solution[column];
        }
        solution[row] = if matrix[row][row].abs() < 1.0e-300 {
            0.0
        } else {
            sum / matrix[row][row]
        };
    }
    solution
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_follows_the_semi_inductance_within_a_few_percent_in_the_audio_band() {
        for exponent in [0.6, 0.7, 0.8] {
            let target = SemiInductance::from_datasheet(0.62e-3, exponent);
            let ladder = target.ladder();
            assert!(
                ladder
                    .resistances
                    .iter()
                    .all(|resistance| *resistance >= 0.0),
                "ladder for n = {exponent} must be passive: {:?}",
                ladder.resistances
            );
            let mut worst = 0.0_f64;
            let mut worst_frequency = 0.0;
            for step in 0..=60 {
                let frequency = 200.0 * 100.0_f64.powf(step as f64 / 60.0);
                let error = (ladder.impedance(frequency) - target.impedance(frequency)).norm()
                    / target.impedance(frequency).norm();
                if error > worst {
                    worst = error;
                    worst_frequency = frequency;
                }
            }
            assert!(
                worst < 0.08,
                "ladder vs K(jω)^{exponent}: worst relative error {:.2} % at {worst_frequency:.0} Hz",
                worst * 100.0
            );
        }
    }
}
