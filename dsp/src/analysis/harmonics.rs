//! Harmonic distortion: THD over harmonics 2–10, each harmonic re the fundamental, and THD+N.
//!
//! The signal is windowed with a 4-term Blackman-Harris window and each tone's power is the sum
//! of the ±5 bins around it (the ±4-bin main lobe plus one), so tones between bins are measured
//! as accurately as tones on a bin.

use crate::analysis::spectrum::{PowerSpectrum, TONE_HALF_WIDTH_BINS, remove_tones};

/// Highest harmonic included in THD (harmonics 2..=10, as the project's THD definition says).
pub const HIGHEST_HARMONIC: usize = 10;

/// Harmonic content of a steady tone.
#[derive(Clone, Debug, PartialEq)]
pub struct HarmonicReport {
    /// Amplitude (peak, linear; 1.0 = full scale) of the fundamental.
    pub fundamental_amplitude: f64,
    /// Index k = level of harmonic k relative to the fundamental, dB. `[0]` and `[1]` are 0.
    /// A harmonic at or above Nyquist cannot be told apart from aliasing and is reported as
    /// `f64::NEG_INFINITY` (it contributes nothing to THD).
    pub harmonic_db: [f64; HIGHEST_HARMONIC + 1],
}

impl HarmonicReport {
    /// Total harmonic distortion as a ratio: RMS sum of harmonics 2..=10 over the fundamental.
    pub fn thd_ratio(&self) -> f64 {
        self.harmonic_db[2..]
            .iter()
            .map(|level_db| 10.0_f64.powf(level_db / 10.0))
            .sum::<f64>()
            .sqrt()
    }

    /// Total harmonic distortion in percent (`thd_ratio() · 100`).
    pub fn thd_percent(&self) -> f64 {
        self.thd_ratio() * 100.0
    }

    /// Total harmonic distortion in dB re the fundamental.
    pub fn thd_db(&self) -> f64 {
        20.0 * self.thd_ratio().log10()
    }

    /// Second harmonic re the fundamental, dB.
    pub fn h2_db(&self) -> f64 {
        self.harmonic_db[2]
    }

    /// Third harmonic re the fundamental, dB.
    pub fn h3_db(&self) -> f64 {
        self.harmonic_db[3]
    }
}

fn power_to_db(power_ratio: f64) -> f64 {
    10.0 * power_ratio.log10()
}

/// Measures the fundamental and harmonics 2..=10 of a steady tone at `fundamental_hz`.
///
/// `signal` is steady state only (the caller skips any settling) and should span many cycles:
/// its whole length is analysed (resolution = `sample_rate / signal.len()` Hz; at least
/// 4096 samples is sensible, 65536 gives about −150 dB of window leakage). `sample_rate` in Hz.
/// Panics if the fundamental is not below Nyquist or the signal is shorter than 64 samples.
pub fn measure(signal: &[f32], sample_rate: f64, fundamental_hz: f64) -> HarmonicReport {
    check_arguments(signal, sample_rate, fundamental_hz);
    let spectrum = PowerSpectrum::blackman_harris(signal, sample_rate);
    let fundamental_power = spectrum.tone_power(fundamental_hz);
    let mut harmonic_db = [0.0; HIGHEST_HARMONIC + 1];
    for (harmonic, level_db) in harmonic_db.iter_mut().enumerate().skip(2) {
        let frequency = harmonic as f64 * fundamental_hz;
        *level_db = if frequency < 0.5 * sample_rate {
            power_to_db(spectrum.tone_power(frequency) / fundamental_power)
        } else {
            f64::NEG_INFINITY
        };
    }
    HarmonicReport {
        fundamental_amplitude: (2.0 * fundamental_power).sqrt(),
        harmonic_db,
    }
}

/// THD+N as a ratio: the RMS of everything except DC and the fundamental's lobe, over the
/// fundamental's RMS.
///
/// DC is bins 0..=5 and the fundamental's lobe is ±5 bins around it (Blackman-Harris window,
/// whole `signal` analysed, steady state only). The fundamental and DC are first fitted and
/// removed ([`remove_tones`]) so the window's own side-lobe leakage (about −88 dB) does not
/// count as noise; the measurement floor is the f32 rounding of the signal (about −140 dB).
/// `sample_rate` and `fundamental_hz` in Hz.
pub fn thd_plus_n_ratio(signal: &[f32], sample_rate: f64, fundamental_hz: f64) -> f64 {
    check_arguments(signal, sample_rate, fundamental_hz);
    let fundamental_power =
        PowerSpectrum::blackman_harris(signal, sample_rate).tone_power(fundamental_hz);
    let residual = remove_tones(signal, sample_rate, &[0.0, fundamental_hz]);
    let spectrum = PowerSpectrum::blackman_harris_f64(&residual, sample_rate);
    let fundamental_bins = spectrum.bins_around(fundamental_hz, TONE_HALF_WIDTH_BINS);
    let residual_power: f64 = spectrum
        .power
        .iter()
        .enumerate()
        .filter(|(bin, _)| *bin > TONE_HALF_WIDTH_BINS && !fundamental_bins.contains(bin))
        .map(|(_, power)| power)
        .sum();
    (residual_power / fundamental_power).sqrt()
}

fn check_arguments(signal: &[f32], sample_rate: f64, fundamental_hz: f64) {
    assert!(
        signal.len() >= 64,
        "harmonic analysis needs at least 64 samples (got {})",
        signal.len()
    );
    assert!(
        fundamental_hz > 0.0 && fundamental_hz < 0.5 * sample_rate,
        "fundamental {fundamental_hz} Hz must lie between 0 and Nyquist ({} Hz)",
        0.5 * sample_rate
    );
}
