//! First-order DC blocker: a zero at DC and a pole just inside the unit circle.

use crate::Processor;
use crate::filter::{clamp_cutoff, flush_state, guarded_input, state_is_sane, unit_delay};
use realfft::num_complex::Complex64;

/// Default corner of the DC blocker, Hz: well below any musical content (−0.1 dB at 33 Hz, −0.03 dB at 60 Hz).
pub const DEFAULT_CORNER_HZ: f32 = 5.0;

/// `y[n] = x[n] − x[n−1] + R·y[n−1]`, `H(z) = (1 − z⁻¹)/(1 − R·z⁻¹)` (J. O. Smith,
/// "Introduction to Digital Filters", section "DC Blocker"), with `R = e^{−2π·fc/fs}` so the
/// −3 dB corner sits at `fc` (to within 0.01 % for fc ≪ fs).
#[derive(Clone, Debug)]
pub struct DcBlocker {
    corner_hz: f64,
    sample_rate: f64,
    /// Pole radius `R`.
    pole: f64,
    previous_input: f64,
    previous_output: f64,
}

impl DcBlocker {
    /// A DC blocker with its −3 dB corner at `corner_hz` (clamped to 1 Hz–0.49·fs) at
    /// `sample_rate` (Hz).
    pub fn new(sample_rate: f32, corner_hz: f32) -> Self {
        let mut blocker = Self {
            corner_hz: f64::from(corner_hz),
            sample_rate: f64::from(sample_rate),
            pole: 0.0,
            previous_input: 0.0,
            previous_output: 0.0,
        };
        blocker.update_pole();
        blocker
    }

    /// A DC blocker with the default 5 Hz corner.
    pub fn with_default_corner(sample_rate: f32) -> Self {
        Self::new(sample_rate, DEFAULT_CORNER_HZ)
    }

    /// Sets the corner (Hz).
    pub fn set_corner(&mut self, corner_hz: f32) {
        self.corner_hz = f64::from(corner_hz);
        self.update_pole();
    }

    /// The corner in Hz after clamping.
    pub fn corner_hz(&self) -> f64 {
        self.corner_hz
    }

    fn update_pole(&mut self) {
        self.corner_hz = clamp_cutoff(self.corner_hz, self.sample_rate);
        self.pole = (-std::f64::consts::TAU * self.corner_hz / self.sample_rate).exp();
    }

    /// Exact transfer function at `frequency_hz`: `(1 − z⁻¹)/(1 − R·z⁻¹)`.
    pub fn response(&self, frequency_hz: f64) -> Complex64 {
        let delay = unit_delay(frequency_hz, self.sample_rate);
        (-delay + 1.0) / (-delay * self.pole + 1.0)
    }
}

impl Processor for DcBlocker {
    fn prepare(&mut self, sample_rate: f32, _max_block: usize) {
        self.sample_rate = f64::from(sample_rate);
        self.update_pole();
        self.reset();
    }

    fn reset(&mut self) {
        self.previous_input = 0.0;
        self.previous_output = 0.0;
    }

    #[inline]
    fn process_sample(&mut self, input: f32) -> f32 {
        let input = guarded_input(input);
        let output = flush_state(input - self.previous_input + self.pole * self.previous_output);
        self.previous_input = input;
        self.previous_output = output;
        if !state_is_sane(output) {
            self.reset();
            return 0.0;
        }
        output as f32
    }
}
