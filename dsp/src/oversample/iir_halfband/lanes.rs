//! Four f32 lanes for the half-band's allpass sections: one SSE register on x86-64, an array
//! elsewhere.
//!
//! A mono [`super::BranchPair`] runs its direct branch in lane 0 and its delayed branch in lane 1
//! (lanes 2 and 3 stay zero); two channels run side by side as lanes 0–1 (left) and 2–3 (right).
//! Every lane-wise operation is one SSE instruction (SSE is part of the x86-64 baseline), so the
//! four branches of a stereo pair cost what one costs alone.

#[cfg(target_arch = "x86_64")]
use crate::guard::{DENORMAL_FLOOR, MAX_INPUT_MAGNITUDE};

/// Largest magnitude [`crate::guard::is_sane`] accepts.
#[cfg(target_arch = "x86_64")]
const SANE_LIMIT: f32 = MAX_INPUT_MAGNITUDE * 1.0e3;

/// Four f32 lanes.
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone, Copy)]
pub(super) struct Lanes(std::arch::x86_64::__m128);

// SAFETY (every `unsafe` block in this impl): the SSE intrinsics need the `sse` target feature,
// which every x86-64 CPU has (it is part of the x86-64 baseline the compiler already assumes), and
// `__m128` is four packed f32 with no invalid bit patterns, so transmuting from and to `[f32; 4]`
// is sound.
#[cfg(target_arch = "x86_64")]
impl Lanes {
    pub(super) const ZERO: Self = Self::pair(0.0, 0.0);

    /// `[first, second, 0, 0]`.
    #[inline(always)]
    pub(super) const fn pair(first: f32, second: f32) -> Self {
        Self::from_array([first, second, 0.0, 0.0])
    }

    /// `[low₀, low₁, high₀, high₁]`: two pairs side by side.
    #[inline(always)]
    pub(super) fn join(low: Self, high: Self) -> Self {
        unsafe { Self(std::arch::x86_64::_mm_movelh_ps(low.0, high.0)) }
    }

    /// `[self₀, self₁, 0, 0]`.
    #[inline(always)]
    pub(super) fn low_pair(self) -> Self {
        unsafe { Self(std::arch::x86_64::_mm_movelh_ps(self.0, Self::ZERO.0)) }
    }

    /// `[self₂, self₃, 0, 0]`.
    #[inline(always)]
    pub(super) fn high_pair(self) -> Self {
        unsafe { Self(std::arch::x86_64::_mm_movehl_ps(Self::ZERO.0, self.0)) }
    }

    /// Lane 0.
    #[inline(always)]
    pub(super) fn first(self) -> f32 {
        unsafe { std::arch::x86_64::_mm_cvtss_f32(self.0) }
    }

    /// Lane 1.
    #[inline(always)]
    pub(super) fn second(self) -> f32 {
        use std::arch::x86_64::{_mm_cvtss_f32, _mm_shuffle_ps};
        unsafe { _mm_cvtss_f32(_mm_shuffle_ps::<0b01>(self.0, self.0)) }
    }

    /// Lane 2.
    #[inline(always)]
    pub(super) fn third(self) -> f32 {
        use std::arch::x86_64::{_mm_cvtss_f32, _mm_movehl_ps};
        unsafe { _mm_cvtss_f32(_mm_movehl_ps(self.0, self.0)) }
    }

    /// Writes lanes 0–1 to `low` and lanes 2–3 to `high` (two 8-byte stores once optimised).
    #[inline(always)]
    pub(super) fn store_pairs(self, low: &mut [f32; 2], high: &mut [f32; 2]) {
        let [a, b, c, d] = self.to_array();
        *low = [a, b];
        *high = [c, d];
    }

    /// Half the sum of each pair: lane 0 is `½·(self₀ + self₁)`, lane 2 is `½·(self₂ + self₃)`
    /// (lanes 1 and 3 hold the same sums in the other order).
    #[inline(always)]
    pub(super) fn half_pair_sums(self) -> Self {
        use std::arch::x86_64::{_mm_add_ps, _mm_mul_ps, _mm_set1_ps, _mm_shuffle_ps};
        unsafe {
            let swapped = _mm_shuffle_ps::<0b10_11_00_01>(self.0, self.0);
            Self(_mm_mul_ps(_mm_set1_ps(0.5), _mm_add_ps(self.0, swapped)))
        }
    }

    /// Whether every lane passes [`crate::guard::is_sane`] (finite, magnitude at most
    /// `1000 × MAX_INPUT_MAGNITUDE`).
    #[inline(always)]
    pub(super) fn is_sane(self) -> bool {
        use std::arch::x86_64::{_mm_andnot_ps, _mm_cmple_ps, _mm_movemask_ps, _mm_set1_ps};
        unsafe {
            let magnitude = _mm_andnot_ps(_mm_set1_ps(-0.0), self.0);
            // `≤` is false for NaN, and ±∞ exceed the limit.
            let within = _mm_cmple_ps(magnitude, _mm_set1_ps(SANE_LIMIT));
            _mm_movemask_ps(within) == 0b1111
        }
    }

    /// Every lane through [`crate::guard::flush_denormal`]: magnitudes below the denormal floor
    /// become 0. A NaN lane becomes 0 too (the scalar guard keeps it; callers reject NaN first
    /// with [`Lanes::is_sane`]).
    #[inline(always)]
    pub(super) fn flush_denormals(self) -> Self {
        use std::arch::x86_64::{_mm_and_ps, _mm_andnot_ps, _mm_cmpge_ps, _mm_set1_ps};
        unsafe {
            let magnitude = _mm_andnot_ps(_mm_set1_ps(-0.0), self.0);
            let keep = _mm_cmpge_ps(magnitude, _mm_set1_ps(DENORMAL_FLOOR));
            Self(_mm_and_ps(self.0, keep))
        }
    }

    #[inline(always)]
    pub(super) fn to_array(self) -> [f32; 4] {
        unsafe { std::mem::transmute::<std::arch::x86_64::__m128, [f32; 4]>(self.0) }
    }

    #[inline(always)]
    pub(super) const fn from_array(values: [f32; 4]) -> Self {
        Self(unsafe { std::mem::transmute::<[f32; 4], std::arch::x86_64::__m128>(values) })
    }

    /// `(a·x + p) − a·y`, lane by lane.
    #[inline(always)]
    pub(super) fn allpass_step(a: Self, x: Self, p: Self, y: Self) -> Self {
        use std::arch::x86_64::{_mm_add_ps, _mm_mul_ps, _mm_sub_ps};
        unsafe {
            Self(_mm_sub_ps(
                _mm_add_ps(_mm_mul_ps(a.0, x.0), p.0),
                _mm_mul_ps(a.0, y.0),
            ))
        }
    }
}

/// Four f32 lanes, processed one by one where no SIMD instruction set is assumed.
#[cfg(not(target_arch = "x86_64"))]
#[derive(Debug, Clone, Copy)]
pub(super) struct Lanes([f32; 4]);

#[cfg(not(target_arch = "x86_64"))]
impl Lanes {
    pub(super) const ZERO: Self = Self::pair(0.0, 0.0);

    /// `[first, second, 0, 0]`.
    #[inline(always)]
    pub(super) const fn pair(first: f32, second: f32) -> Self {
        Self([first, second, 0.0, 0.0])
    }

    /// `[low₀, low₁, high₀, high₁]`: two pairs side by side.
    #[inline(always)]
    pub(super) fn join(low: Self, high: Self) -> Self {
        Self([low.0[0], low.0[1], high.0[0], high.0[1]])
    }

    /// `[self₀, self₁, 0, 0]`.
    #[inline(always)]
    pub(super) fn low_pair(self) -> Self {
        Self::pair(self.0[0], self.0[1])
    }

    /// `[self₂, self₃, 0, 0]`.
    #[inline(always)]
    pub(super) fn high_pair(self) -> Self {
        Self::pair(self.0[2], self.0[3])
    }

    /// Lane 0.
    #[inline(always)]
    pub(super) fn first(self) -> f32 {
        self.0[0]
    }

    /// Lane 1.
    #[inline(always)]
    pub(super) fn second(self) -> f32 {
        self.0[1]
    }

    /// Lane 2.
    #[inline(always)]
    pub(super) fn third(self) -> f32 {
        self.0[2]
    }

    /// Writes lanes 0–1 to `low` and lanes 2–3 to `high`.
    #[inline(always)]
    pub(super) fn store_pairs(self, low: &mut [f32; 2], high: &mut [f32; 2]) {
        *low = [self.0[0], self.0[1]];
        *high = [self.0[2], self.0[3]];
    }

    /// Half the sum of each pair: lane 0 is `½·(self₀ + self₁)`, lane 2 is `½·(self₂ + self₃)`
    /// (lanes 1 and 3 hold the same sums in the other order).
    #[inline(always)]
    pub(super) fn half_pair_sums(self) -> Self {
        let [a, b, c, d] = self.0;
        Self([0.5 * (a + b), 0.5 * (b + a), 0.5 * (c + d), 0.5 * (d + c)])
    }

    /// Whether every lane passes [`crate::guard::is_sane`].
    #[inline(always)]
    pub(super) fn is_sane(self) -> bool {
        self.0.iter().all(|&lane| crate::guard::is_sane(lane))
    }

    /// Every lane through [`crate::guard::flush_denormal`].
    #[inline(always)]
    pub(super) fn flush_denormals(self) -> Self {
        Self(self.0.map(crate::guard::flush_denormal))
    }

    #[inline(always)]
    pub(super) fn to_array(self) -> [f32; 4] {
        self.0
    }

    #[inline(always)]
    pub(super) const fn from_array(values: [f32; 4]) -> Self {
        Self(values)
    }

    /// `(a·x + p) − a·y`, lane by lane.
    #[inline(always)]
    pub(super) fn allpass_step(a: Self, x: Self, p: Self, y: Self) -> Self {
        Self(std::array::from_fn(|lane| {
            (a.0[lane] * x.0[lane] + p.0[lane]) - a.0[lane] * y.0[lane]
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::Lanes;
    use crate::guard::{flush_denormal, is_sane};

    const SPECIAL: [f32; 12] = [
        0.0,
        -0.0,
        1.0e-20,
        -1.0e-16,
        1.0e-14,
        -0.5,
        999_999.0,
        1.0e6,
        1.1e6,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
    ];

    #[test]
    fn lane_checks_agree_with_the_scalar_guards_on_special_values() {
        for &special in &SPECIAL {
            let lanes = Lanes::from_array([0.25, special, -0.25, 0.0]);
            assert_eq!(
                lanes.is_sane(),
                is_sane(special),
                "is_sane disagrees on {special:e}"
            );
            let flushed = lanes.flush_denormals().to_array()[1];
            // NaN is rejected by `is_sane` before any flush; the lane version maps it to 0.
            let expected = if special.is_nan() {
                0.0
            } else {
                flush_denormal(special)
            };
            assert!(
                flushed.to_bits() == expected.to_bits(),
                "flush_denormals gives {flushed:e} for {special:e}, the scalar guard {expected:e}"
            );
        }
    }
}
