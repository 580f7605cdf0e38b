//! Test signals and level measurements for host-level tests (dBFS relative to a full-scale sine
//! peak of 1.0, so a sine of peak 1.0 reads −3.01 dBFS RMS).

use std::f64::consts::TAU;

/// Converts decibels to a linear amplitude factor.
pub fn db_to_gain(decibels: f64) -> f64 {
    10.0_f64.powf(decibels / 20.0)
}

/// Converts a linear amplitude factor to decibels (−∞ for 0).
pub fn gain_to_db(gain: f64) -> f64 {
    20.0 * gain.log10()
}

/// A sine of `frequency` Hz whose RMS level is `rms_dbfs`, `length` samples long, starting at
/// phase zero. (RMS, not peak: −18 dBFS RMS is the project's nominal line level.)
pub fn sine(frequency: f64, rms_dbfs: f64, sample_rate: f64, length: usize) -> Vec<f32> {
    let peak = db_to_gain(rms_dbfs) * std::f64::consts::SQRT_2;
    (0..length)
        .map(|index| {
            let phase = TAU * frequency * index as f64 / sample_rate;
            (peak * phase.sin()) as f32
        })
        .collect()
}

/// RMS level of `samples` in dBFS (−∞ for silence or an empty slice).
pub fn rms_dbfs(samples: &[f32]) -> f64 {
    if samples.is_empty() {
        return f64::NEG_INFINITY;
    }
    let energy: f64 = samples
        .iter()
        .map(|sample| f64::from(*sample) * f64::from(*sample))
        .sum();
    10.0 * (energy / samples.len() as f64).log10()
}

/// Largest absolute sample value.
pub fn peak(samples: &[f32]) -> f32 {
    samples
        .iter()
        .fold(0.0_f32, |largest, sample| largest.max(sample.abs()))
}

/// Whether every sample is a finite number (no NaN, no ±∞).
pub fn all_finite(samples: &[f32]) -> bool {
    samples.iter().all(|sample| sample.is_finite())
}

/// The samples from `skip` onwards (or nothing if the slice is shorter): used to leave out a
/// plugin's settling time before measuring.
pub fn after(samples: &[f32], skip: usize) -> &[f32] {
    &samples[skip.min(samples.len())..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_at_minus_18_dbfs_rms_measures_minus_18() {
        // 1 kHz at 48 kHz: 48 samples per period, 480 000 samples is a whole number of periods.
        let tone = sine(1_000.0, -18.0, 48_000.0, 48_000);
        let measured = rms_dbfs(&tone);
        assert!(
            (measured + 18.0).abs() < 0.01,
            "−18 dBFS sine: got {measured:.4} dBFS RMS"
        );
        let expected_peak = db_to_gain(-18.0) * std::f64::consts::SQRT_2;
        let measured_peak = f64::from(peak(&tone));
        assert!(
            (measured_peak - expected_peak).abs() < 1e-4,
            "−18 dBFS sine peak: expected {expected_peak:.5}, got {measured_peak:.5}"
        );
    }

    #[test]
    fn level_helpers_handle_silence_and_bad_samples() {
        let silence = [0.0_f32; 64];
        assert_eq!(rms_dbfs(&silence), f64::NEG_INFINITY, "silence RMS");
        assert_eq!(rms_dbfs(&[]), f64::NEG_INFINITY, "empty RMS");
        assert!(all_finite(&silence), "zeros are finite");
        assert!(!all_finite(&[0.0, f32::NAN]), "NaN is not finite");
        assert!(!all_finite(&[f32::INFINITY]), "∞ is not finite");
        assert_eq!(after(&silence, 100).len(), 0, "skip past the end");
        let round_trip = gain_to_db(db_to_gain(-6.0));
        assert!(
            (round_trip + 6.0).abs() < 1e-12,
            "dB round trip of −6 dB: got {round_trip}"
        );
    }
}
