//! Blackman-Harris windowed power spectrum shared by the harmonic and aliasing measurements.

use realfft::RealFftPlanner;

/// Coefficients of the 4-term (minimum, −92 dB side-lobe) Blackman-Harris window.
///
/// Source: F. J. Harris, "On the Use of Windows for Harmonic Analysis with the Discrete Fourier
/// Transform", Proc. IEEE 66(1), 1978, table 1 ("4-term −92 dB").
pub const BLACKMAN_HARRIS_COEFFICIENTS: [f64; 4] = [0.35875, 0.48829, 0.14128, 0.01168];

/// Half-width, in bins, of the Blackman-Harris main lobe (the lobe spans ±4 bins).
pub const MAIN_LOBE_HALF_WIDTH_BINS: usize = 4;

/// Bins summed on each side of a spectral peak to measure a tone's power: the main lobe (±4) plus
/// one bin of margin, the same ±5 bins the aliasing definition uses.
pub const TONE_HALF_WIDTH_BINS: usize = 5;

/// The periodic ("DFT-even") 4-term Blackman-Harris window of `length` points.
///
/// `w[n] = a0 − a1·cos(2πn/N) + a2·cos(4πn/N) − a3·cos(6πn/N)` (Harris 1978, eq. 33).
pub fn blackman_harris(length: usize) -> Vec<f64> {
    let [a0, a1, a2, a3] = BLACKMAN_HARRIS_COEFFICIENTS;
    let step = std::f64::consts::TAU / length as f64;
    (0..length)
        .map(|index| {
            let angle = step * index as f64;
            a0 - a1 * angle.cos() + a2 * (2.0 * angle).cos() - a3 * (3.0 * angle).cos()
        })
        .collect()
}

/// One-sided power spectrum of a windowed signal.
///
/// Each bin holds power in mean-square units, scaled so that the bins of a sine of amplitude `A`
/// summed over its main lobe give `A²/2` (the sine's mean square), wherever the sine falls between
/// bins. Noise-like signals are scaled the same way (power per bin, equivalent-noise-bandwidth
/// corrected), so sums of bins are powers.
#[derive(Clone, Debug)]
pub struct PowerSpectrum {
    /// Power per bin, bins `0..=N/2`, mean-square units (full scale sine = 0.5).
    pub power: Vec<f64>,
    /// Bin spacing in Hz: sample rate / FFT length.
    pub bin_width_hz: f64,
}

impl PowerSpectrum {
    /// Windows `signal` (all of it) with Blackman-Harris and takes its power spectrum.
    ///
    /// `sample_rate` is in Hz. Panics if `signal` is empty.
    pub fn blackman_harris(signal: &[f32], sample_rate: f64) -> Self {
        let samples: Vec<f64> = signal.iter().map(|&sample| f64::from(sample)).collect();
        Self::blackman_harris_f64(&samples, sample_rate)
    }

    /// [`PowerSpectrum::blackman_harris`] of an f64 signal (for example a residual left by
    /// [`remove_tones`]).
    pub fn blackman_harris_f64(signal: &[f64], sample_rate: f64) -> Self {
        assert!(!signal.is_empty(), "PowerSpectrum: the signal is empty");
        let length = signal.len();
        let window = blackman_harris(length);
        let window_energy: f64 = window.iter().map(|weight| weight * weight).sum();
        let mut windowed: Vec<f64> = signal
            .iter()
            .zip(&window)
            .map(|(&sample, &weight)| sample * weight)
            .collect();
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(length);
        let mut bins = fft.make_output_vec();
        fft.process(&mut windowed, &mut bins)
            .expect("PowerSpectrum: FFT buffers have the planned lengths");
        // Parseval: a positive-frequency tone of amplitude A/2 spreads (A/2)²·N·Σw² over its lobe.
        let scale = 2.0 / (length as f64 * window_energy);
        let power = bins.iter().map(|bin| bin.norm_sqr() * scale).collect();
        Self {
            power,
            bin_width_hz: sample_rate / length as f64,
        }
    }

    /// Index of the bin nearest to `frequency_hz`, clamped to the spectrum.
    pub fn nearest_bin(&self, frequency_hz: f64) -> usize {
        let bin = (frequency_hz / self.bin_width_hz).round().max(0.0) as usize;
        bin.min(self.power.len() - 1)
    }

    /// Bins within ±`half_width` of the bin nearest `frequency_hz`, clipped to the spectrum.
    pub fn bins_around(
        &self,
        frequency_hz: f64,
        half_width: usize,
    ) -> std::ops::RangeInclusive<usize> {
        let centre = self.nearest_bin(frequency_hz);
        centre.saturating_sub(half_width)..=(centre + half_width).min(self.power.len() - 1)
    }

    /// Power of a tone at `frequency_hz`: the sum of the ±[`TONE_HALF_WIDTH_BINS`] bins around it
    /// (mean-square units; amplitude = √(2·power)).
    pub fn tone_power(&self, frequency_hz: f64) -> f64 {
        self.power[self.bins_around(frequency_hz, TONE_HALF_WIDTH_BINS)]
            .iter()
            .sum()
    }

    /// Sum of all bins (mean-square units).
    pub fn total_power(&self) -> f64 {
        self.power.iter().sum()
    }
}

/// Passes of the fit in [`remove_tones`]: each pass removes what the window's side lobes let one
/// tone's estimate borrow from another (below −90 dB per pass), so three passes reach the f64
/// rounding floor.
const TONE_FIT_PASSES: usize = 3;

/// Returns `signal` (as f64) with the steady tones at `frequencies_hz` removed.
///
/// Each tone's amplitude and phase is estimated by a Blackman-Harris-weighted least-squares fit
/// of `a·cos(2πfn/fs) + b·sin(2πfn/fs)` (a weighted mean for 0 Hz, cosine only at Nyquist), then
/// subtracted; the fit is repeated so that tones do not bias each other. The frequencies must be
/// exact (any sample-rate-synchronous processing keeps a test tone's frequency exact).
///
/// Why: the 4-term Blackman-Harris window's side lobes (−92 dB at their highest, decaying only
/// 6 dB/octave) add up to a leakage floor of about −88 dB re a tone over the rest of the spectrum.
/// Measurements of what lies *outside* a tone's lobe (aliasing, THD+N) remove the tone first, so
/// their floor is the signal's own f32 rounding (about −140 dB) rather than the window's.
pub fn remove_tones(signal: &[f32], sample_rate: f64, frequencies_hz: &[f64]) -> Vec<f64> {
    let mut residual: Vec<f64> = signal.iter().map(|&sample| f64::from(sample)).collect();
    let window = blackman_harris(signal.len());
    let nyquist = 0.5 * sample_rate;
    for _ in 0..TONE_FIT_PASSES {
        for &frequency in frequencies_hz {
            if frequency <= 0.0 {
                let weight_sum: f64 = window.iter().sum();
                let mean = residual
                    .iter()
                    .zip(&window)
                    .map(|(sample, weight)| sample * weight)
                    .sum::<f64>()
                    / weight_sum;
                residual.iter_mut().for_each(|sample| *sample -= mean);
            } else if frequency <= nyquist {
                remove_one_tone(&mut residual, &window, frequency / sample_rate);
            }
        }
    }
    residual
}

fn tone_basis(cycles_per_sample: f64, index: usize) -> (f64, f64) {
    let cycles = (cycles_per_sample * index as f64).fract();
    let (sine, cosine) = (std::f64::consts::TAU * cycles).sin_cos();
    (cosine, sine)
}

/// Weighted least squares: minimise Σ w·(r − a·cos − b·sin)² by solving the 2×2 normal equations.
fn remove_one_tone(residual: &mut [f64], window: &[f64], cycles_per_sample: f64) {
    let (mut cos_cos, mut cos_sin, mut sin_sin, mut cos_residual, mut sin_residual) =
        (0.0, 0.0, 0.0, 0.0, 0.0);
    for (index, (&sample, &weight)) in residual.iter().zip(window).enumerate() {
        let (cosine, sine) = tone_basis(cycles_per_sample, index);
        cos_cos += weight * cosine * cosine;
        cos_sin += weight * cosine * sine;
        sin_sin += weight * sine * sine;
        cos_residual += weight * cosine * sample;
        sin_residual += weight * sine * sample;
    }
    let determinant = cos_cos * sin_sin - cos_sin * cos_sin;
    let (cos_amplitude, sin_amplitude) = if determinant > 1e-9 * cos_cos * sin_sin.max(cos_cos) {
        (
            (cos_residual * sin_sin - sin_residual * cos_sin) / determinant,
            (sin_residual * cos_cos - cos_residual * cos_sin) / determinant,
        )
    } else {
        // At Nyquist the sine vanishes on every sample: fit the cosine alone.
        (cos_residual / cos_cos, 0.0)
    };
    for (index, sample) in residual.iter_mut().enumerate() {
        let (cosine, sine) = tone_basis(cycles_per_sample, index);
        *sample -= cos_amplitude * cosine + sin_amplitude * sine;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_symmetric_and_peaks_at_one() {
        let window = blackman_harris(1024);
        assert!((window[512] - 1.0).abs() < 1e-12, "peak {}", window[512]);
        assert!((window[1] - window[1023]).abs() < 1e-12);
    }

    #[test]
    fn tone_power_of_a_sine_between_bins_is_its_mean_square() {
        let sample_rate = 48_000.0;
        let frequency = 1_000.3;
        let signal: Vec<f32> = (0..8192)
            .map(|index| {
                (0.5 * (std::f64::consts::TAU * frequency * index as f64 / sample_rate).sin())
                    as f32
            })
            .collect();
        let spectrum = PowerSpectrum::blackman_harris(&signal, sample_rate);
        let power = spectrum.tone_power(frequency);
        assert!(
            (power / 0.125 - 1.0).abs() < 1e-6,
            "sine 0.5 at 1000.3 Hz: lobe power {power:.9}, expected 0.125"
        );
    }
}
