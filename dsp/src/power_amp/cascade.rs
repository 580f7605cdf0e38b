//! Digital cascades of second-order sections designed from analog poles and zeros by the bilinear
//! transform, with the poles and zeros of each section tracked when the design is updated in place.
//!
//! Design: each analog root `r` maps to `ζ = (K + r)/(K − r)` with `K = 2·fs` (bilinear transform,
//! e.g. Oppenheim & Schafer, *Discrete-Time Signal Processing*, §7.1.2). A section with analog
//! zeros `z_i` and poles `p_j` (as many zeros as poles or fewer) becomes
//!
//! ```text
//! H(s) = ∏(s − z_i) / ∏(s − p_j)
//!      → ∏(K − z_i)/∏(K − p_j) · ∏(1 − ζ_i z⁻¹) / ∏(1 − π_j z⁻¹) · (1 + z⁻¹)^(#p − #z)
//! ```
//!
//! exactly, so the digital response at `ω` equals the analog one at `K·tan(ω/2)`. Sections run in
//! transposed direct form II in `f64` (the low-frequency poles of a speaker at a 192 kHz rate sit
//! within 0.3 % of z = 1, where `f32` coefficients and states are not enough).
//!
//! Tracking: when a parameter moves, the new roots are assigned to the sections of the previous
//! plan by nearest distance, so each section keeps its identity (and its state stays meaningful)
//! while its roots glide. Only when the mix of real and complex roots changes is a fresh plan made.

mod pipelined;

use realfft::num_complex::Complex64;

use crate::speaker::rational::RootSet;
use pipelined::{Slot, run_pair};

/// Largest number of sections in one cascade.
pub const MAX_SECTIONS: usize = 14;

/// Magnitude of the imaginary part (relative) below which a root counts as real.
const REAL_TOLERANCE: f64 = 1.0e-9;

/// The analog roots of one section: up to two poles and at most as many finite zeros.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SectionRoots {
    /// Poles, rad/s (the first `pole_count` are used; a complex pair is stored as both roots).
    pub poles: [Complex64; 2],
    /// Number of poles, 0–2.
    pub pole_count: usize,
    /// Finite zeros, rad/s.
    pub zeros: [Complex64; 2],
    /// Number of finite zeros, ≤ `pole_count` (or ≤ 2 in a section without poles).
    pub zero_count: usize,
}

impl SectionRoots {
    const EMPTY: Self = Self {
        poles: [Complex64::new(0.0, 0.0); 2],
        pole_count: 0,
        zeros: [Complex64::new(0.0, 0.0); 2],
        zero_count: 0,
    };

    fn pole_is_pair(&self) -> bool {
        self.pole_count == 2 && self.poles[0].im != 0.0
    }

    fn zero_is_pair(&self) -> bool {
        self.zero_count == 2 && self.zeros[0].im != 0.0
    }

    /// Analog response `∏(s − z)/∏(s − p)` at `s`.
    pub fn analog(&self, s: Complex64) -> Complex64 {
        let mut value = Complex64::new(1.0, 0.0);
        for zero in &self.zeros[..self.zero_count] {
            value *= s - zero;
        }
        for pole in &self.poles[..self.pole_count] {
            value /= s - pole;
        }
        value
    }
}

/// How the roots of a transfer function are grouped into sections.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CascadePlan {
    sections: [SectionRoots; MAX_SECTIONS],
    count: usize,
}

impl Default for CascadePlan {
    fn default() -> Self {
        Self {
            sections: [SectionRoots::EMPTY; MAX_SECTIONS],
            count: 0,
        }
    }
}

/// Root units: a complex pair (stored as its upper root) or a real root.
fn split_units(roots: &RootSet) -> (RootSet, RootSet) {
    let mut pairs = RootSet::new();
    let mut reals = RootSet::new();
    for root in roots.iter() {
        if root.im.abs() <= REAL_TOLERANCE * root.norm() {
            reals.push_real(root.re);
        } else if root.im > 0.0 {
            pairs.push(*root);
        }
    }
    (pairs, reals)
}

/// Distance between roots on a log-frequency-like scale (relative distance).
fn root_distance(left: Complex64, right: Complex64) -> f64 {
    (left - right).norm() / (left.norm() + right.norm() + 1.0)
}

impl CascadePlan {
    /// Groups `poles` and `zeros` (finite zeros no more numerous than poles, both closed under
    /// conjugation) into sections: each complex pole pair alone, real poles in neighbouring pairs;
    /// complex zero pairs to the nearest section with two free places, then real zeros to the
    /// nearest section with room. Zeros beyond the poles (an improper function) get a section of
    /// their own, which the bilinear transform turns into a pole at z = −1; callers avoid that.
    pub fn fresh(zeros: &RootSet, poles: &RootSet) -> Self {
        let mut plan = Self::default();
        let (pole_pairs, mut real_poles) = split_units(poles);
        for pair in pole_pairs.iter() {
            let section = plan.push_section();
            section.poles = [*pair, pair.conj()];
            section.pole_count = 2;
        }
        // Sort real poles by value and pair neighbours.
        let reals = real_poles.as_slice();
        let mut sorted = [0.0_f64; crate::speaker::rational::MAX_DEGREE];
        for (slot, root) in sorted.iter_mut().zip(reals.iter()) {
            *slot = root.re;
        }
        let real_count = reals.len();
        sorted[..real_count].sort_by(|left, right| right.total_cmp(left));
        real_poles = RootSet::new();
        for value in &sorted[..real_count] {
            real_poles.push_real(*value);
        }
        let mut index = 0;
        while index < real_count {
            let section = plan.push_section();
            section.poles[0] = Complex64::new(sorted[index], 0.0);
            section.pole_count = 1;
            if index + 1 < real_count {
                section.poles[1] = Complex64::new(sorted[index + 1], 0.0);
                section.pole_count = 2;
            }
            index += 2;
        }
        let (zero_pairs, real_zeros) = split_units(zeros);
        for pair in zero_pairs.iter() {
            let target = plan.nearest_with_room(*pair, 2);
            let section = match target {
                Some(index) => &mut plan.sections[index],
                None => plan.push_section(),
            };
            section.zeros = [*pair, pair.conj()];
            section.zero_count = 2;
        }
        for zero in real_zeros.iter() {
            let target = plan.nearest_with_room(*zero, 1);
            let section = match target {
                Some(index) => &mut plan.sections[index],
                None => plan.push_section(),
            };
            section.zeros[section.zero_count] = *zero;
            section.zero_count += 1;
        }
        plan
    }

    /// A plan with the given sections (at most [`MAX_SECTIONS`]; extra ones are dropped).
    pub fn from_sections(sections: &[SectionRoots]) -> Self {
        let mut plan = Self::default();
        for section in sections.iter().take(MAX_SECTIONS) {
            plan.sections[plan.count] = *section;
            plan.count += 1;
        }
        plan
    }

    fn push_section(&mut self) -> &mut SectionRoots {
        assert!(
            self.count < MAX_SECTIONS,
            "CascadePlan: more than {MAX_SECTIONS} sections"
        );
        self.count += 1;
        &mut self.sections[self.count - 1]
    }

    fn nearest_with_room(&self, root: Complex64, places: usize) -> Option<usize> {
        (0..self.count)
            .filter(|&index| {
                let section = &self.sections[index];
                section.pole_count >= section.zero_count + places
            })
            .min_by(|&left, &right| {
                let distance = |index: usize| {
                    let section = &self.sections[index];
                    section.poles[..section.pole_count]
                        .iter()
                        .map(|pole| root_distance(*pole, root))
                        .fold(f64::INFINITY, f64::min)
                };
                distance(left).total_cmp(&distance(right))
            })
    }

    /// The same sections with the roots replaced by the nearest of `zeros` and `poles`, if the new
    /// roots have the same mix of complex pairs and real roots; `None` otherwise.
    pub fn tracked(&self, zeros: &RootSet, poles: &RootSet) -> Option<Self> {
        let (new_pole_pairs, new_real_poles) = split_units(poles);
        let (new_zero_pairs, new_real_zeros) = split_units(zeros);
        let mut plan = *self;
        let mut used_pole_pairs = [false; crate::speaker::rational::MAX_DEGREE];
        let mut used_real_poles = [false; crate::speaker::rational::MAX_DEGREE];
        let mut used_zero_pairs = [false; crate::speaker::rational::MAX_DEGREE];
        let mut used_real_zeros = [false; crate::speaker::rational::MAX_DEGREE];
        let take = |candidates: &RootSet, used: &mut [bool], old: Complex64| -> Option<Complex64> {
            let best =
                (0..candidates.len())
                    .filter(|&index| !used[index])
                    .min_by(|&left, &right| {
                        root_distance(candidates.as_slice()[left], old)
                            .total_cmp(&root_distance(candidates.as_slice()[right], old))
                    })?;
            used[best] = true;
            Some(candidates.as_slice()[best])
        };
        let mut counts = [0usize; 4];
        for section in plan.sections[..plan.count].iter_mut() {
            if section.pole_is_pair() {
                let root = take(&new_pole_pairs, &mut used_pole_pairs, section.poles[0])?;
                section.poles = [root, root.conj()];
                counts[0] += 1;
            } else {
                for slot in 0..section.pole_count {
                    section.poles[slot] =
                        take(&new_real_poles, &mut used_real_poles, section.poles[slot])?;
                    counts[1] += 1;
                }
            }
            if section.zero_is_pair() {
                let root = take(&new_zero_pairs, &mut used_zero_pairs, section.zeros[0])?;
                section.zeros = [root, root.conj()];
                counts[2] += 1;
            } else {
                for slot in 0..section.zero_count {
                    section.zeros[slot] =
                        take(&new_real_zeros, &mut used_real_zeros, section.zeros[slot])?;
                    counts[3] += 1;
                }
            }
        }
        let complete = counts
            == [
                new_pole_pairs.len(),
                new_real_poles.len(),
                new_zero_pairs.len(),
                new_real_zeros.len(),
            ];
        complete.then_some(plan)
    }

    /// The sections.
    pub fn sections(&self) -> &[SectionRoots] {
        &self.sections[..self.count]
    }

    /// Analog response of the whole plan (without any scalar gain) at `s`.
    pub fn analog(&self, s: Complex64) -> Complex64 {
        self.sections()
            .iter()
            .fold(Complex64::new(1.0, 0.0), |product, section| {
                product * section.analog(s)
            })
    }
}

/// One second-order section in transposed direct form II.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Section {
    b0: f64,
    b1: f64,
    b2: f64,
    a1: f64,
    a2: f64,
    state1: f64,
    state2: f64,
}

impl Section {
    fn set_from_roots(&mut self, roots: &SectionRoots, bilinear_constant: f64, scale: f64) {
        let map = |root: Complex64| {
            (Complex64::new(bilinear_constant, 0.0) + root)
                / (Complex64::new(bilinear_constant, 0.0) - root)
        };
        // Denominator (1 − π1 z⁻¹)(1 − π2 z⁻¹).
        let (mut a1, mut a2) = (0.0, 0.0);
        let mut gain = Complex64::new(scale, 0.0);
        match roots.pole_count {
            1 => {
                a1 = -map(roots.poles[0]).re;
                gain /= bilinear_constant - roots.poles[0];
            }
            2 => {
                let (first, second) = (map(roots.poles[0]), map(roots.poles[1]));
                a1 = -(first + second).re;
                a2 = (first * second).re;
                gain /= (bilinear_constant - roots.poles[0]) * (bilinear_constant - roots.poles[1]);
            }
            _ => {}
        }
        // Numerator: finite zeros, then (1 + z⁻¹) for each pole beyond them.
        let mut numerator = [
            Complex64::new(1.0, 0.0),
            Complex64::new(0.0, 0.0),
            Complex64::new(0.0, 0.0),
        ];
        let mut degree = 0;
        let mut multiply = |factor: Complex64| {
            // (… ) · (1 − factor z⁻¹)
            for index in (1..=degree + 1).rev() {
                numerator[index] -= factor * numerator[index - 1];
            }
            degree += 1;
        };
        for zero in &roots.zeros[..roots.zero_count] {
            multiply(map(*zero));
            gain *= bilinear_constant - zero;
        }
        for _ in roots.zero_count..roots.pole_count {
            multiply(Complex64::new(-1.0, 0.0));
        }
        let gain = gain.re;
        self.b0 = gain * numerator[0].re;
        self.b1 = gain * numerator[1].re;
        self.b2 = gain * numerator[2].re;
        self.a1 = a1;
        self.a2 = a2;
    }

    #[inline]
    fn process(&mut self, input: f64) -> f64 {
        let output = self.b0 * input + self.state1;
        self.state1 = self.b1 * input - self.a1 * output + self.state2;
        self.state2 = self.b2 * input - self.a2 * output;
        output
    }

    fn response(&self, z_inverse: Complex64) -> Complex64 {
        let z_inverse_squared = z_inverse * z_inverse;
        (self.b0 + self.b1 * z_inverse + self.b2 * z_inverse_squared)
            / (1.0 + self.a1 * z_inverse + self.a2 * z_inverse_squared)
    }

    fn reset(&mut self) {
        self.state1 = 0.0;
        self.state2 = 0.0;
    }

    fn is_sane(&self) -> bool {
        self.state1.is_finite()
            && self.state2.is_finite()
            && self.state1.abs() < 1.0e12
            && self.state2.abs() < 1.0e12
    }
}

/// A cascade of sections at one sample rate, realising `gain · plan` by the bilinear transform.
#[derive(Clone, Copy, Debug)]
pub struct Cascade {
    sections: [Section; MAX_SECTIONS],
    count: usize,
    scalar: f64,
    plan: CascadePlan,
    sample_rate: f64,
    bilinear_constant: f64,
}

impl Default for Cascade {
    fn default() -> Self {
        Self {
            sections: [Section::default(); MAX_SECTIONS],
            count: 0,
            scalar: 1.0,
            plan: CascadePlan::default(),
            sample_rate: 48_000.0,
            bilinear_constant: 96_000.0,
        }
    }
}

impl Cascade {
    /// Sets the design: `gain · ∏ sections` of `plan` at `sample_rate` Hz. Section states are kept
    /// (call [`Cascade::reset`] for a fresh start), so a tracked plan updates without a click.
    pub fn set_plan(&mut self, plan: CascadePlan, gain: f64, sample_rate: f64) {
        self.set_plan_matched_at(plan, gain, sample_rate, None);
    }

    /// Like [`Cascade::set_plan`], with the bilinear transform pre-warped to be exact at
    /// `matched_hz` (`K = ω₀/tan(ω₀/(2·fs))` instead of `2·fs`), which spreads the warping error
    /// over the band instead of piling it up at the top.
    pub fn set_plan_matched_at(
        &mut self,
        plan: CascadePlan,
        gain: f64,
        sample_rate: f64,
        matched_hz: Option<f64>,
    ) {
        let bilinear_constant = match matched_hz {
            Some(frequency) => {
                let angular = std::f64::consts::TAU * frequency;
                angular / (angular / (2.0 * sample_rate)).tan()
            }
            None => 2.0 * sample_rate,
        };
        self.bilinear_constant = bilinear_constant;
        if plan.count != self.plan.count {
            for section in self.sections.iter_mut() {
                section.reset();
            }
        }
        self.count = plan.count;
        for (index, (section, roots)) in self.sections.iter_mut().zip(plan.sections()).enumerate() {
            // The overall gain goes into the first section's numerator.
            let scale = if index == 0 { gain } else { 1.0 };
            section.set_from_roots(roots, bilinear_constant, scale);
        }
        // Only applied when there is no section to carry it.
        self.scalar = gain;
        self.plan = plan;
        self.sample_rate = sample_rate;
    }

    /// The plan in force.
    pub fn plan(&self) -> &CascadePlan {
        &self.plan
    }

    /// The sample rate the cascade was designed for, Hz.
    pub fn sample_rate(&self) -> f64 {
        self.sample_rate
    }

    /// Clears every section's state.
    pub fn reset(&mut self) {
        for section in self.sections.iter_mut() {
            section.reset();
        }
    }

    /// Processes one sample.
    #[inline]
    pub fn process_sample(&mut self, input: f64) -> f64 {
        if self.count == 0 {
            return input * self.scalar;
        }
        let mut value = input;
        for section in self.sections[..self.count].iter_mut() {
            value = section.process(value);
        }
        value
    }

    /// Processes a block in place, two sections at a time ([`pipelined`]: each pair's states stay
    /// in registers, and each sample is converted and stored once per pair).
    pub fn process_block(&mut self, block: &mut [f32]) {
        self.process_in_place(block);
    }

    /// Processes `input` into `output` (as long) at double precision, sample for sample the same
    /// as [`Cascade::process_sample`] (no rounding to `f32` between sections).
    pub fn process_block_wide(&mut self, input: &[f32], output: &mut [f64]) {
        for (wide, sample) in output.iter_mut().zip(input) {
            *wide = f64::from(*sample);
        }
        self.process_in_place(output);
    }

    fn process_in_place<S: Slot>(&mut self, block: &mut [S]) {
        if self.count == 0 {
            let scalar = S::from_output(self.scalar);
            for sample in block.iter_mut() {
                *sample = sample.scaled(scalar);
            }
            return;
        }
        for pair in self.sections[..self.count].chunks_mut(2) {
            match pair {
                [first, second] => run_pair(first, second, block),
                [only] => {
                    let mut copy = *only;
                    for sample in block.iter_mut() {
                        *sample = S::from_output(copy.process(sample.read()));
                    }
                    *only = copy;
                }
                _ => {}
            }
        }
        if !self.sections[..self.count].iter().all(Section::is_sane) {
            self.reset();
        }
    }

    /// The exact digital response at `frequency_hz`.
    pub fn response(&self, frequency_hz: f64) -> Complex64 {
        let z_inverse = Complex64::from_polar(
            1.0,
            -std::f64::consts::TAU * frequency_hz / self.sample_rate,
        );
        let start = if self.count == 0 { self.scalar } else { 1.0 };
        self.sections[..self.count]
            .iter()
            .fold(Complex64::new(start, 0.0), |product, section| {
                product * section.response(z_inverse)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilinear_cascade_matches_its_analog_prototype_at_warped_frequencies() {
        let mut poles = RootSet::new();
        poles.push(Complex64::new(-300.0, 600.0));
        poles.push(Complex64::new(-300.0, -600.0));
        poles.push_real(-2_000.0);
        poles.push_real(-90_000.0);
        let mut zeros = RootSet::new();
        zeros.push_real(-1_000.0);
        zeros.push_real(0.0);
        let plan = CascadePlan::fresh(&zeros, &poles);
        let mut cascade = Cascade::default();
        cascade.set_plan(plan, 3.0, 48_000.0);
        let mut worst = 0.0_f64;
        for frequency in [10.0, 100.0, 1_000.0, 5_000.0, 20_000.0] {
            let omega = std::f64::consts::TAU * frequency / 48_000.0;
            let warped = 2.0 * 48_000.0 * (omega / 2.0).tan();
            let analog = 3.0 * plan.analog(Complex64::new(0.0, warped));
            let digital = cascade.response(frequency);
            worst = worst.max((digital - analog).norm() / analog.norm());
        }
        assert!(
            worst < 1e-9,
            "BLT cascade vs analog: relative error {worst:e}"
        );
    }

    #[test]
    fn tracking_keeps_sections_when_roots_move_a_little() {
        let mut poles = RootSet::new();
        poles.push_real(-100.0);
        poles.push_real(-5_000.0);
        poles.push(Complex64::new(-50.0, 600.0));
        poles.push(Complex64::new(-50.0, -600.0));
        let zeros = RootSet::new();
        let plan = CascadePlan::fresh(&zeros, &poles);
        let mut moved = RootSet::new();
        moved.push(Complex64::new(-52.0, 610.0));
        moved.push(Complex64::new(-52.0, -610.0));
        moved.push_real(-5_100.0);
        moved.push_real(-102.0);
        let tracked = plan.tracked(&zeros, &moved).expect("same composition");
        for (old, new) in plan.sections().iter().zip(tracked.sections()) {
            for (before, after) in old.poles[..old.pole_count]
                .iter()
                .zip(new.poles[..new.pole_count].iter())
            {
                assert!(
                    root_distance(*before, *after) < 0.02,
                    "section kept its root: {before} → {after}"
                );
            }
        }
    }
}
