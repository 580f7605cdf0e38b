//! Frequency response of a linear system from its impulse response, by zero-padded FFT.

use realfft::RealFftPlanner;
use realfft::num_complex::Complex64;

/// Shortest FFT used, so that even short impulse responses are read on a fine frequency grid.
pub const MINIMUM_FFT_LENGTH: usize = 65_536;

/// The transfer function `H(f) = Σ h[n]·e^{−j2πfn/fs}` of an impulse response, sampled on the
/// bins of a zero-padded FFT.
///
/// The FFT length is the larger of 65536 and twice the next power of two of the impulse response,
/// so the bin spacing is at most half the spacing the impulse response alone would give. At the
/// bin frequencies ([`FrequencyResponse::bins`], [`FrequencyResponse::complex_bins`]) the values
/// are exact (up to f64 rounding). Between bins, [`FrequencyResponse::magnitude_db_at`] and
/// [`FrequencyResponse::phase_at`] interpolate linearly between the two neighbouring bins: the
/// magnitude in dB, the phase along the shorter way round the circle.
#[derive(Clone, Debug)]
pub struct FrequencyResponse {
    bins: Vec<Complex64>,
    bin_width_hz: f64,
}

impl FrequencyResponse {
    /// Takes the FFT of `impulse_response` (the output for a unit impulse at index 0) zero-padded
    /// as described on the type. `sample_rate` in Hz. Panics if the impulse response is empty.
    pub fn from_impulse(impulse_response: &[f32], sample_rate: f64) -> Self {
        assert!(
            !impulse_response.is_empty(),
            "FrequencyResponse::from_impulse: the impulse response is empty"
        );
        let fft_length = (2 * impulse_response.len().next_power_of_two()).max(MINIMUM_FFT_LENGTH);
        let mut padded = vec![0.0_f64; fft_length];
        for (slot, &sample) in padded.iter_mut().zip(impulse_response) {
            *slot = f64::from(sample);
        }
        let fft = RealFftPlanner::<f64>::new().plan_fft_forward(fft_length);
        let mut bins = fft.make_output_vec();
        fft.process(&mut padded, &mut bins)
            .expect("FrequencyResponse: FFT buffers have the planned lengths");
        Self {
            bins,
            bin_width_hz: sample_rate / fft_length as f64,
        }
    }

    /// Bin spacing in Hz.
    pub fn bin_width_hz(&self) -> f64 {
        self.bin_width_hz
    }

    /// Every bin from DC to Nyquist as (frequency in Hz, magnitude in dB); exact values.
    pub fn bins(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.complex_bins()
            .map(|(frequency, value)| (frequency, 20.0 * value.norm().log10()))
    }

    /// Every bin from DC to Nyquist as (frequency in Hz, complex transfer function); exact values.
    pub fn complex_bins(&self) -> impl Iterator<Item = (f64, Complex64)> + '_ {
        self.bins
            .iter()
            .enumerate()
            .map(|(bin, &value)| (bin as f64 * self.bin_width_hz, value))
    }

    /// Magnitude in dB at `frequency_hz` (0..=Nyquist), linearly interpolated in dB between the
    /// two neighbouring bins.
    pub fn magnitude_db_at(&self, frequency_hz: f64) -> f64 {
        let (lower, upper, fraction) = self.neighbours(frequency_hz);
        let lower_db = 20.0 * self.bins[lower].norm().log10();
        let upper_db = 20.0 * self.bins[upper].norm().log10();
        if fraction == 0.0 {
            lower_db
        } else {
            lower_db + fraction * (upper_db - lower_db)
        }
    }

    /// Phase in radians, in (−π, π], at `frequency_hz` (0..=Nyquist), linearly interpolated
    /// between the two neighbouring bins along the shorter way round the circle.
    pub fn phase_at(&self, frequency_hz: f64) -> f64 {
        let (lower, upper, fraction) = self.neighbours(frequency_hz);
        let lower_phase = self.bins[lower].arg();
        let step = (self.bins[upper] * self.bins[lower].conj()).arg();
        let phase = lower_phase + fraction * step;
        // Wrap back into (−π, π].
        Complex64::from_polar(1.0, phase).arg()
    }

    fn neighbours(&self, frequency_hz: f64) -> (usize, usize, f64) {
        let last = self.bins.len() - 1;
        let position = (frequency_hz / self.bin_width_hz).clamp(0.0, last as f64);
        let lower = (position.floor() as usize).min(last);
        let upper = (lower + 1).min(last);
        (lower, upper, position - lower as f64)
    }
}
