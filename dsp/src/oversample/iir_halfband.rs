//! Polyphase IIR half-band filters: two parallel allpass branches, designed from elliptic-filter formulas.
//!
//! The half-band low-pass is `H(z) = ½·[D(z²) + z⁻¹·E(z²)]`, where the "direct" branch `D` and the
//! "delayed" branch `E` are each a cascade of first-order-in-z² allpass sections `(a + z⁻²)/(1 + a·z⁻²)`
//! (Valenzuela & Constantinides, "Digital signal processing schemes for efficient interpolation and
//! decimation", IEE Proceedings G 130(6), 1983). Because each branch only sees `z²`, it runs at the low
//! rate: a 2× up- or downsampler costs one multiply per coefficient per low-rate sample.
//!
//! The coefficients come from the closed-form elliptic (Cauer) half-band design: the selectivity of the
//! half-band edges gives the elliptic modulus, its nome `q` is evaluated with the standard series, and
//! each allpass coefficient follows from one zero of the elliptic rational function written with Jacobi
//! theta series. This is the method Laurent de Soras documents for his "hiir" library (after Artur
//! Krukowski's polyphase designer); the series for the nome is the one in A. Antoniou, *Digital
//! Filters: Analysis, Design and Applications*, ch. 5 (elliptic approximation).

mod lanes;
mod stereo;

use crate::guard::{flush_denormal, is_sane};
use lanes::Lanes;
use realfft::num_complex::Complex64;
use std::f64::consts::PI;

/// Elliptic modulus `k` and nome `q` of a half-band filter whose transition band is
/// `transition_bandwidth` wide (fraction of the high sample rate, in `(0, 0.5)`).
///
/// The pass-band edge is `¼ − Δ/2` and the stop-band edge `¼ + Δ/2` (fractions of the high rate), so
/// the selectivity `k = tan(π·f_pass)/tan(π·f_stop) = tan²(π·f_pass)` because the edges are symmetric
/// about a quarter of the rate. The nome is `q ≈ q₀ + 2q₀⁵ + 15q₀⁹ + 150q₀¹³` with
/// `q₀ = ½·(1 − k′^½)/(1 + k′^½)` and `k′ = √(1 − k²)` (Antoniou, *Digital Filters*, eq. 5.41 ff.).
fn modulus_and_nome(transition_bandwidth: f64) -> (f64, f64) {
    assert!(
        transition_bandwidth > 0.0 && transition_bandwidth < 0.5,
        "half-band transition bandwidth must be in (0, 0.5) of the high rate, got {transition_bandwidth}"
    );
    let passband_edge_angle = (1.0 - 2.0 * transition_bandwidth) * PI / 4.0;
    let selectivity = passband_edge_angle.tan().powi(2);
    let complementary_root = (1.0 - selectivity * selectivity).powf(0.25);
    let nome_seed = 0.5 * (1.0 - complementary_root) / (1.0 + complementary_root);
    let seed_fourth = nome_seed.powi(4);
    let nome = nome_seed * (1.0 + seed_fourth * (2.0 + seed_fourth * (15.0 + 150.0 * seed_fourth)));
    (selectivity, nome)
}

/// Minimum stop-band attenuation (dB, positive) of the elliptic half-band with `coefficient_count`
/// allpass coefficients (filter order `2·count + 1`) and the given transition bandwidth (fraction of the
/// high rate, in `(0, 0.5)`).
///
/// For an elliptic half-band the stop-band power gain is `δ² = L/(1 + L)` with `L = 4·q^(order/2)`.
pub fn stopband_attenuation_db(coefficient_count: usize, transition_bandwidth: f64) -> f64 {
    let (_, nome) = modulus_and_nome(transition_bandwidth);
    let order = 2 * coefficient_count + 1;
    let leakage = 4.0 * nome.powf(order as f64 / 2.0);
    -10.0 * (leakage / (1.0 + leakage)).log10()
}

/// Sums a theta-function series term by term until the terms are negligible.
fn theta_series(mut term_at: impl FnMut(i32) -> f64, first_index: i32) -> f64 {
    let mut sum = 0.0;
    let mut index = first_index;
    loop {
        let term = term_at(index);
        sum += term;
        index += 1;
        if term.abs() < 1.0e-100 || index > 64 {
            return sum;
        }
    }
}

/// The allpass coefficients `a₀ < a₁ < …` (each in `(0, 1)`) of the elliptic half-band with
/// `coefficient_count` coefficients and the given transition bandwidth (fraction of the high rate).
///
/// For zero index `c = 1 … count` of the order-`n` (`n = 2·count + 1`) elliptic function
/// `w_c = 2·q^¼·Σ_m (−1)^m q^(m(m+1)) sin((2m+1)·c·π/n) / (1 + 2·Σ_{m≥1} (−1)^m q^(m²) cos(2m·c·π/n))`,
/// then `x = √((1 − k·w_c²)(1 − w_c²/k)) / (1 + w_c²)` and `a = (1 − x)/(1 + x)`
/// (Valenzuela & Constantinides 1983; theta-series form as in de Soras' hiir documentation).
pub fn design_coefficients(coefficient_count: usize, transition_bandwidth: f64) -> Vec<f64> {
    assert!(
        coefficient_count > 0,
        "a half-band needs at least one coefficient"
    );
    let (selectivity, nome) = modulus_and_nome(transition_bandwidth);
    let order = (2 * coefficient_count + 1) as f64;
    (1..=coefficient_count)
        .map(|zero_index| {
            let zero_index = zero_index as f64;
            let numerator = theta_series(
                |m| {
                    let sign = if m % 2 == 0 { 1.0 } else { -1.0 };
                    let m = f64::from(m);
                    sign * nome.powf(m * (m + 1.0))
                        * ((2.0 * m + 1.0) * zero_index * PI / order).sin()
                },
                0,
            ) * nome.powf(0.25);
            let denominator = theta_series(
                |m| {
                    let sign = if m % 2 == 0 { 1.0 } else { -1.0 };
                    let m = f64::from(m);
                    sign * nome.powf(m * m) * (2.0 * m * zero_index * PI / order).cos()
                },
                1,
            ) + 0.5;
            let zero = numerator / denominator;
            let zero_squared = zero * zero;
            let ratio = ((1.0 - zero_squared * selectivity) * (1.0 - zero_squared / selectivity))
                .sqrt()
                / (1.0 + zero_squared);
            (1.0 - ratio) / (1.0 + ratio)
        })
        .collect()
}

/// The two allpass branches of a half-band, each a cascade of first-order sections
/// `(a + z⁻¹)/(1 + a·z⁻¹)` run at the low rate (each is `(a + z⁻²)/(1 + a·z⁻²)` seen from the high
/// rate), side by side: section `k` of the direct branch and section `k` of the delayed branch share
/// one [`Lanes`] step. When the direct branch has one coefficient more, its last section runs alone.
///
/// Section `k`'s previous input is section `k − 1`'s previous output, so one state per section plus
/// one for the input suffice.
#[derive(Debug, Clone, Copy)]
struct BranchPair<const DIRECT: usize, const DELAYED: usize> {
    paired_coefficients: [Lanes; DELAYED],
    previous_input: Lanes,
    previous_outputs: [Lanes; DELAYED],
    /// The direct branch's unpaired last section (used only when `DIRECT > DELAYED`).
    extra_coefficient: f32,
    extra_previous_input: f32,
    extra_previous_output: f32,
    /// Low-rate samples processed since the states were last settled.
    unsettled: usize,
}

impl<const DIRECT: usize, const DELAYED: usize> BranchPair<DIRECT, DELAYED> {
    fn new(direct: &[f32; DIRECT], delayed: &[f32; DELAYED]) -> Self {
        Self {
            paired_coefficients: std::array::from_fn(|section| {
                Lanes::pair(direct[section], delayed[section])
            }),
            previous_input: Lanes::ZERO,
            previous_outputs: [Lanes::ZERO; DELAYED],
            extra_coefficient: if DIRECT > DELAYED {
                direct[DIRECT - 1]
            } else {
                0.0
            },
            extra_previous_input: 0.0,
            extra_previous_output: 0.0,
            unsettled: 0,
        }
    }

    /// One low-rate sample through both branches: `direct_input` through the direct branch and
    /// `delayed_input` through the delayed one; returns their outputs. Every section computes
    /// `y = a·x + x₋₁ − a·y₋₁`.
    #[inline(always)]
    fn tick(&mut self, direct_input: f32, delayed_input: f32) -> (f32, f32) {
        let output = run_sections(
            &self.paired_coefficients,
            &mut self.previous_input,
            &mut self.previous_outputs,
            Lanes::pair(direct_input, delayed_input),
        );
        (self.extra_section(output.first()), output.second())
    }

    /// The direct branch's unpaired last section (identity when the branches are equally long).
    #[inline(always)]
    fn extra_section(&mut self, direct: f32) -> f32 {
        if DIRECT == DELAYED {
            return direct;
        }
        let coefficient = self.extra_coefficient;
        let output = (coefficient * direct + self.extra_previous_input)
            - coefficient * self.extra_previous_output;
        self.extra_previous_input = direct;
        self.extra_previous_output = output;
        output
    }

    /// Counts `processed` low-rate samples and settles the states once every [`SETTLE_INTERVAL`].
    #[inline]
    fn settle_every_interval(&mut self, processed: usize) {
        self.unsettled += processed;
        if self.unsettled >= SETTLE_INTERVAL {
            self.unsettled = 0;
            self.settle();
        }
    }

    /// Flushes decaying states to zero; clears everything if a state is no longer finite and sane.
    fn settle(&mut self) {
        let sane = self.previous_outputs.iter().all(|state| state.is_sane())
            && self.previous_input.is_sane()
            && is_sane(self.extra_previous_input)
            && is_sane(self.extra_previous_output);
        if !sane {
            self.clear();
            return;
        }
        for state in &mut self.previous_outputs {
            *state = state.flush_denormals();
        }
        self.previous_input = self.previous_input.flush_denormals();
        self.extra_previous_input = flush_denormal(self.extra_previous_input);
        self.extra_previous_output = flush_denormal(self.extra_previous_output);
    }

    fn clear(&mut self) {
        self.previous_input = Lanes::ZERO;
        self.previous_outputs = [Lanes::ZERO; DELAYED];
        self.extra_previous_input = 0.0;
        self.extra_previous_output = 0.0;
    }
}

/// Runs `input` through a cascade of lane-wise allpass sections (`coefficients`, with the
/// cascade's previous input and each section's previous output as state) and returns the last
/// section's output. Section `k`'s previous input is section `k − 1`'s previous output.
#[inline(always)]
fn run_sections<const SECTIONS: usize>(
    coefficients: &[Lanes; SECTIONS],
    previous_input: &mut Lanes,
    previous_outputs: &mut [Lanes; SECTIONS],
    input: Lanes,
) -> Lanes {
    let mut section_input = input;
    let mut section_previous_input = *previous_input;
    for (coefficient, previous_output) in coefficients.iter().zip(previous_outputs.iter_mut()) {
        // `(a·x + x₋₁) − a·y₋₁`: the recursion through `y₋₁` is one multiply and one
        // subtraction deep, instead of three dependent operations for `a·(x − y₋₁) + x₋₁`.
        let output = Lanes::allpass_step(
            *coefficient,
            section_input,
            section_previous_input,
            *previous_output,
        );
        section_previous_input = *previous_output;
        *previous_output = output;
        section_input = output;
    }
    *previous_input = input;
    section_input
}

/// Transfer function of one allpass branch with `coefficients` at `z⁻² = delay_squared` (seen from
/// the high rate).
fn branch_response(coefficients: &[f32], delay_squared: Complex64) -> Complex64 {
    coefficients
        .iter()
        .fold(Complex64::new(1.0, 0.0), |product, &coefficient| {
            let coefficient = f64::from(coefficient);
            product * (coefficient + delay_squared) / (1.0 + coefficient * delay_squared)
        })
}

/// Low-rate samples processed between two denormal/sanity checks of the states.
const SETTLE_INTERVAL: usize = 64;

/// One 2× polyphase IIR half-band stage (an upsampler and a downsampler with separate states), with
/// `DIRECT` coefficients in the direct branch and `DELAYED` in the delayed one.
///
/// Round trip: `H(e^{jω})²·e^{jω}` at the high rate — the decimator keeps the odd phase, which saves
/// the delayed branch an extra state and advances the output by one high-rate sample.
#[derive(Debug, Clone)]
pub struct IirHalfBand<const DIRECT: usize, const DELAYED: usize> {
    direct_coefficients: [f32; DIRECT],
    delayed_coefficients: [f32; DELAYED],
    up: BranchPair<DIRECT, DELAYED>,
    down: BranchPair<DIRECT, DELAYED>,
    stopband_attenuation_db: f64,
}

impl<const DIRECT: usize, const DELAYED: usize> IirHalfBand<DIRECT, DELAYED> {
    /// Designs the elliptic half-band with `DIRECT + DELAYED` coefficients for a transition band
    /// `transition_bandwidth` wide (fraction of the high rate, in `(0, 0.5)`).
    ///
    /// The ascending coefficients alternate between the branches: `a₀, a₂, …` go to the direct branch
    /// and `a₁, a₃, …` to the delayed one, so `DIRECT` must be `DELAYED` or `DELAYED + 1`.
    pub fn new(transition_bandwidth: f64) -> Self {
        assert!(
            DIRECT == DELAYED || DIRECT == DELAYED + 1,
            "the direct branch takes a₀, a₂, …: it has as many or one more coefficients than the delayed one"
        );
        let coefficients = design_coefficients(DIRECT + DELAYED, transition_bandwidth);
        let direct: [f32; DIRECT] = std::array::from_fn(|index| coefficients[2 * index] as f32);
        let delayed: [f32; DELAYED] =
            std::array::from_fn(|index| coefficients[2 * index + 1] as f32);
        Self {
            direct_coefficients: direct,
            delayed_coefficients: delayed,
            up: BranchPair::new(&direct, &delayed),
            down: BranchPair::new(&direct, &delayed),
            stopband_attenuation_db: 0.0,
        }
        .with_realized_attenuation(transition_bandwidth)
    }

    /// Fills in the stop-band attenuation the f32 coefficients actually reach: the largest gain of
    /// [`IirHalfBand::response`] from the stop edge `¼ + Δ/2` to ½ on a dense grid. Rounding the
    /// coefficients to f32 costs about 0.1 dB against the elliptic formula
    /// ([`stopband_attenuation_db`]), at the band edge.
    fn with_realized_attenuation(mut self, transition_bandwidth: f64) -> Self {
        let stop_edge = 0.25 + transition_bandwidth / 2.0;
        let grid_points = 4096;
        let peak_db = (0..=grid_points)
            .map(|step| stop_edge + (0.5 - stop_edge) * f64::from(step) / f64::from(grid_points))
            .map(|frequency| 20.0 * self.response(frequency).norm().max(1.0e-30).log10())
            .fold(f64::NEG_INFINITY, f64::max);
        self.stopband_attenuation_db = -peak_db;
        self
    }

    /// Stop-band attenuation the stage reaches with its f32 coefficients (dB, positive; worst case
    /// over the stop band, evaluated at construction).
    pub fn stopband_attenuation_db(&self) -> f64 {
        self.stopband_attenuation_db
    }

    /// Clears both the upsampler's and the downsampler's states.
    pub fn reset(&mut self) {
        self.up.clear();
        self.down.clear();
    }

    /// Upsamples `input` into `output` (twice as long) with gain 2 applied to the zero-stuffed signal,
    /// so the pass band keeps unity gain: `out[2n] = D(x)[n]`, `out[2n+1] = E(x)[n]`.
    pub fn upsample(&mut self, input: &[f32], output: &mut [f32]) {
        debug_assert_eq!(output.len(), 2 * input.len());
        for (input, output) in input
            .chunks(SETTLE_INTERVAL)
            .zip(output.chunks_mut(2 * SETTLE_INTERVAL))
        {
            let branches = &mut self.up;
            for (pair, &sample) in output.chunks_exact_mut(2).zip(input) {
                (pair[0], pair[1]) = branches.tick(sample, sample);
            }
            branches.settle_every_interval(input.len());
        }
    }

    /// Downsamples `input` into `output` (half as long): `y[n] = ½·[D(x[2n+1]) + E(x[2n])]`, which is
    /// the half-band output `(H·x)[2n+1]`.
    pub fn downsample(&mut self, input: &[f32], output: &mut [f32]) {
        debug_assert_eq!(input.len(), 2 * output.len());
        for (input, output) in input
            .chunks(2 * SETTLE_INTERVAL)
            .zip(output.chunks_mut(SETTLE_INTERVAL))
        {
            let branches = &mut self.down;
            for (sample, pair) in output.iter_mut().zip(input.chunks_exact(2)) {
                let (direct, delayed) = branches.tick(pair[1], pair[0]);
                *sample = 0.5 * (direct + delayed);
            }
            branches.settle_every_interval(output.len());
        }
    }

    /// Half-band transfer function `H(e^{jω}) = ½·[D(e^{j2ω}) + e^{−jω}·E(e^{j2ω})]` at
    /// `normalized_frequency` (cycles per high-rate sample, `0 … 0.5`).
    pub fn response(&self, normalized_frequency: f64) -> Complex64 {
        let angle = 2.0 * PI * normalized_frequency;
        let delay = Complex64::from_polar(1.0, -angle);
        let delay_squared = delay * delay;
        0.5 * (branch_response(&self.direct_coefficients, delay_squared)
            + delay * branch_response(&self.delayed_coefficients, delay_squared))
    }

    /// Round-trip (upsampler then downsampler) transfer function at `normalized_frequency` (cycles per
    /// high-rate sample): `H²·e^{jω}`, the advance coming from the decimator's odd phase.
    pub fn round_trip_response(&self, normalized_frequency: f64) -> Complex64 {
        let half_band = self.response(normalized_frequency);
        half_band * half_band * Complex64::from_polar(1.0, 2.0 * PI * normalized_frequency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Half-band response `½·[D(e^{j2ω}) + e^{−jω}·E(e^{j2ω})]` from exact (f64) coefficients.
    fn exact_response(coefficients: &[f64], normalized_frequency: f64) -> f64 {
        let delay = Complex64::from_polar(1.0, -2.0 * PI * normalized_frequency);
        let delay_squared = delay * delay;
        let branch = |parity: usize| {
            coefficients.iter().skip(parity).step_by(2).fold(
                Complex64::new(1.0, 0.0),
                |product, &coefficient| {
                    product * (coefficient + delay_squared) / (1.0 + coefficient * delay_squared)
                },
            )
        };
        (0.5 * (branch(0) + delay * branch(1))).norm()
    }

    #[test]
    fn first_stage_design_reaches_the_elliptic_attenuation_in_the_stop_band() {
        let transition = 0.5 - 2.0 * 20_000.0 / 88_200.0;
        let formula_db = stopband_attenuation_db(8, transition);
        let coefficients = design_coefficients(8, transition);
        let stop_edge = 0.25 + transition / 2.0;
        let worst_stop_db = (0..=4000)
            .map(|step| stop_edge + (0.5 - stop_edge) * f64::from(step) / 4000.0)
            .map(|frequency| 20.0 * exact_response(&coefficients, frequency).log10())
            .fold(f64::NEG_INFINITY, f64::max);
        assert!(
            worst_stop_db <= -formula_db + 1.0e-6,
            "8-coefficient elliptic half-band (f64): worst stop-band gain {worst_stop_db:.3} dB, formula −{formula_db:.3} dB"
        );
        let stage = IirHalfBand::<4, 4>::new(transition);
        let realized_db = stage.stopband_attenuation_db();
        assert!(
            (formula_db - realized_db).abs() < 0.2,
            "8-coefficient half-band: f32 coefficients reach {realized_db:.3} dB, formula {formula_db:.3} dB"
        );
        let worst_pass_db = (0..=2000)
            .map(|step| (0.25 - transition / 2.0) * f64::from(step) / 2000.0)
            .map(|frequency| (20.0 * stage.response(frequency).norm().log10()).abs())
            .fold(0.0, f64::max);
        assert!(
            worst_pass_db < 1.0e-3,
            "8-coefficient half-band: pass-band ripple {worst_pass_db:.2e} dB"
        );
    }

    #[test]
    fn coefficients_ascend_inside_the_unit_interval() {
        let coefficients = design_coefficients(8, 0.0465);
        assert!(
            coefficients.windows(2).all(|pair| pair[0] < pair[1])
                && coefficients
                    .iter()
                    .all(|&coefficient| coefficient > 0.0 && coefficient < 1.0),
            "coefficients {coefficients:?}"
        );
    }
}
