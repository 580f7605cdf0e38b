//! Aliasing: the energy of everything that is neither DC nor a harmonic, re the fundamental.

use crate::analysis::spectrum::{PowerSpectrum, TONE_HALF_WIDTH_BINS, remove_tones};

/// Shortest analysis length the project's aliasing definition allows.
pub const MINIMUM_LENGTH: usize = 65_536;

/// Aliasing of a steady tone at `fundamental_hz`, in dB re the fundamental.
///
/// Definition (DESIGN.md, "How quality is measured"): Blackman-Harris window over the last `N`
/// samples of `signal`, `N` the largest power of two that fits (at least 65536); sum the power of
/// every bin that is neither DC (bins 0..=5) nor within ±5 bins of a harmonic `k·f0` that lies
/// below Nyquist (k = 1, 2, …); divide by the fundamental's power (±5 bins).
///
/// DC and those harmonics are fitted and removed from the signal before its spectrum is taken
/// ([`remove_tones`]): otherwise the window's side lobes alone would read as about −88 dB of
/// "aliasing". With them removed the floor is the f32 rounding of the signal (below −130 dB).
///
/// Harmonics above Nyquist do not exist in a sampled signal except as their aliases, which fold
/// back to `|k·f0 − m·fs|`; those aliases are exactly what this measures, so they are counted, not
/// excluded. `signal` must be steady state only. `sample_rate` and `fundamental_hz` in Hz.
/// Returns `f64::NEG_INFINITY` for a signal with no energy outside DC and the harmonics.
/// Panics if `signal` is shorter than 65536 samples or the fundamental is not below Nyquist.
pub fn aliasing_db(signal: &[f32], sample_rate: f64, fundamental_hz: f64) -> f64 {
    assert!(
        signal.len() >= MINIMUM_LENGTH,
        "aliasing_db needs at least {MINIMUM_LENGTH} samples of steady state (got {})",
        signal.len()
    );
    let nyquist = 0.5 * sample_rate;
    assert!(
        fundamental_hz > 0.0 && fundamental_hz < nyquist,
        "fundamental {fundamental_hz} Hz must lie between 0 and Nyquist ({nyquist} Hz)"
    );
    let length = 1usize << signal.len().ilog2();
    let analysed = &signal[signal.len() - length..];
    let fundamental_power =
        PowerSpectrum::blackman_harris(analysed, sample_rate).tone_power(fundamental_hz);

    let harmonics_below_nyquist = (nyquist / fundamental_hz).floor() as usize;
    let mut tones: Vec<f64> = (1..=harmonics_below_nyquist)
        .map(|harmonic| harmonic as f64 * fundamental_hz)
        .collect();
    tones.push(0.0);
    let residual = remove_tones(analysed, sample_rate, &tones);
    let spectrum = PowerSpectrum::blackman_harris_f64(&residual, sample_rate);

    let mut excluded = vec![false; spectrum.power.len()];
    excluded[..=TONE_HALF_WIDTH_BINS].fill(true);
    for &frequency in &tones {
        excluded[spectrum.bins_around(frequency, TONE_HALF_WIDTH_BINS)].fill(true);
    }
    let aliasing_power: f64 = spectrum
        .power
        .iter()
        .zip(&excluded)
        .filter(|(_, excluded)| !**excluded)
        .map(|(power, _)| power)
        .sum();
    10.0 * (aliasing_power / fundamental_power).log10()
}
