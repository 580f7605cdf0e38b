//! Linear filters, each with an analytic `response(frequency)`: SVF, biquads, one-pole, DC blocker, tone stack.
//!
//! Every filter implements [`crate::Processor`], takes `f32` audio and keeps its coefficients and
//! state in `f64` (low corners at high sample rates are noisy in `f32`), guards its input with
//! [`crate::guard::sanitize`] and resets itself if its state ever stops being finite. Each offers
//! `response(frequency_hz) -> Complex64`, the exact transfer function of the digital filter it
//! runs, evaluated on the unit circle from the coefficients it uses.

pub mod biquad;
pub mod dc_blocker;
pub mod one_pole;
pub mod svf;
pub mod tone_stack;

use realfft::num_complex::Complex64;

/// Resonance of a maximally flat (Butterworth) 2-pole response, `1/√2`.
pub const BUTTERWORTH_Q: f32 = std::f32::consts::FRAC_1_SQRT_2;

/// Highest cutoff any filter accepts, as a fraction of the sample rate (just under Nyquist, where
/// the bilinear prewarp `tan(π·f/fs)` would blow up).
pub const MAX_CUTOFF_RATIO: f64 = 0.49;

/// Lowest cutoff any filter accepts, Hz.
pub const MIN_CUTOFF_HZ: f64 = 1.0;

/// Largest state magnitude a filter keeps before it declares itself blown up and resets; far above
/// anything a stable filter reaches from inputs bounded by [`crate::guard::MAX_INPUT_MAGNITUDE`].
pub(crate) const MAX_STATE_MAGNITUDE: f64 = 1.0e9;

/// Clamps a cutoff (Hz) into [`MIN_CUTOFF_HZ`, `MAX_CUTOFF_RATIO`·fs]; NaN becomes the minimum.
#[inline]
pub(crate) fn clamp_cutoff(cutoff_hz: f64, sample_rate: f64) -> f64 {
    if cutoff_hz.is_nan() {
        return MIN_CUTOFF_HZ;
    }
    cutoff_hz.clamp(MIN_CUTOFF_HZ, MAX_CUTOFF_RATIO * sample_rate)
}

/// The bilinear transform's prewarped integrator gain `g = tan(π·fc/fs)` (Zavalishin, "The Art of
/// VA Filter Design", rev. 2.1.2, eq. 3.10), for a cutoff already clamped by [`clamp_cutoff`].
#[inline]
pub(crate) fn prewarped_gain(cutoff_hz: f64, sample_rate: f64) -> f64 {
    (std::f64::consts::PI * cutoff_hz / sample_rate).tan()
}

/// The analog frequency variable a bilinear-transformed filter with prewarped gain `g` sees at
/// `frequency_hz`: `s = j·tan(π·f/fs)/g`, normalised so that `s = j` at the cutoff.
#[inline]
pub(crate) fn bilinear_s(frequency_hz: f64, sample_rate: f64, integrator_gain: f64) -> Complex64 {
    Complex64::new(
        0.0,
        prewarped_gain(frequency_hz, sample_rate) / integrator_gain,
    )
}

/// `z⁻¹ = e^{−j2πf/fs}` at `frequency_hz`.
#[inline]
pub(crate) fn unit_delay(frequency_hz: f64, sample_rate: f64) -> Complex64 {
    Complex64::from_polar(1.0, -std::f64::consts::TAU * frequency_hz / sample_rate)
}

/// Flushes a decaying f64 state to exactly zero below [`crate::guard::DENORMAL_FLOOR`].
#[inline]
pub(crate) fn flush_state(state: f64) -> f64 {
    if state.abs() < f64::from(crate::guard::DENORMAL_FLOOR) {
        0.0
    } else {
        state
    }
}

/// True when a filter state is finite and not absurdly large.
#[inline]
pub(crate) fn state_is_sane(state: f64) -> bool {
    state.is_finite() && state.abs() <= MAX_STATE_MAGNITUDE
}

/// Reads a sample through [`crate::guard::sanitize`] into f64: NaN becomes 0, infinities and huge
/// values are clamped, magnitudes below the denormal floor become 0.
#[inline]
pub(crate) fn guarded_input(input: f32) -> f64 {
    // `sanitize` already flushes magnitudes below the denormal floor.
    f64::from(crate::guard::sanitize(input))
}
