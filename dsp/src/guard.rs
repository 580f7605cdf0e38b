//! Input guards that keep hostile samples (NaN, infinities, absurd levels) out of stateful DSP.

/// Largest magnitude any stage accepts at its input: +60 dB over digital full scale.
///
/// Anything larger is not audio; clamping here keeps every downstream state finite.
pub const MAX_INPUT_MAGNITUDE: f32 = 1000.0;

/// Magnitude below which a value is flushed to zero to avoid denormal arithmetic (about −300 dB).
pub const DENORMAL_FLOOR: f32 = 1.0e-15;

/// Returns a finite, bounded version of `sample`: NaN and values below [`DENORMAL_FLOOR`] (denormals
/// among them) become 0, ±∞ and huge values are clamped to ±[`MAX_INPUT_MAGNITUDE`].
#[inline]
pub fn sanitize(sample: f32) -> f32 {
    // One comparison covers both: it is false for NaN as well as for tiny magnitudes.
    if sample.abs() >= DENORMAL_FLOOR {
        sample.clamp(-MAX_INPUT_MAGNITUDE, MAX_INPUT_MAGNITUDE)
    } else {
        0.0
    }
}

/// Flushes tiny filter states to exactly zero so decaying tails never become denormal.
#[inline]
pub fn flush_denormal(state: f32) -> f32 {
    if state.abs() < DENORMAL_FLOOR {
        0.0
    } else {
        state
    }
}

/// True when `state` is finite; stateful processors use this to reset themselves after a blow-up.
#[inline]
pub fn is_sane(state: f32) -> bool {
    state.is_finite() && state.abs() <= MAX_INPUT_MAGNITUDE * 1.0e3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_maps_hostile_values_to_bounded_finite_ones() {
        assert_eq!(sanitize(f32::NAN), 0.0);
        assert_eq!(sanitize(f32::INFINITY), MAX_INPUT_MAGNITUDE);
        assert_eq!(sanitize(f32::NEG_INFINITY), -MAX_INPUT_MAGNITUDE);
        assert_eq!(sanitize(1.0e30), MAX_INPUT_MAGNITUDE);
        assert_eq!(sanitize(0.25), 0.25);
        assert_eq!(sanitize(f32::MIN_POSITIVE / 4.0), 0.0);
    }

    #[test]
    fn flush_denormal_zeroes_only_values_below_the_floor() {
        assert_eq!(flush_denormal(1.0e-30), 0.0);
        assert_eq!(flush_denormal(f32::MIN_POSITIVE / 2.0), 0.0);
        assert_eq!(flush_denormal(1.0e-6), 1.0e-6);
    }
}
