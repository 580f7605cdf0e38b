//! One-pole filters: the TPT lowpass/highpass and a smoothing one-pole set by its time constant.

use crate::Processor;
use crate::filter::{
    bilinear_s, clamp_cutoff, flush_state, guarded_input, prewarped_gain, state_is_sane, unit_delay,
};
use realfft::num_complex::Complex64;

/// Which output of the one-pole is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnePoleMode {
    /// 6 dB/octave lowpass, `1/(1 + s)`.
    Lowpass,
    /// 6 dB/octave highpass, `s/(1 + s)`.
    Highpass,
}

/// Topology-preserving-transform one-pole filter (Zavalishin, "The Art of VA Filter Design",
/// rev. 2.1.2, ch. 3.9, fig. 3.31): `v = (x − s)·g/(1+g)`, `lp = v + s`, `s ← lp + v`,
/// `hp = x − lp`, with `g = tan(π·fc/fs)`. Safe to modulate every sample.
#[derive(Clone, Debug)]
pub struct OnePole {
    mode: OnePoleMode,
    sample_rate: f64,
    cutoff_hz: f64,
    integrator_gain: f64,
    /// `g/(1 + g)`, the instantaneous-response gain of the resolved loop.
    loop_gain: f64,
    state: f64,
}

impl OnePole {
    /// A one-pole of `mode` at `sample_rate` (Hz) with `cutoff_hz` (−3 dB point, clamped to
    /// 1 Hz–0.49·fs).
    pub fn new(mode: OnePoleMode, sample_rate: f32, cutoff_hz: f32) -> Self {
        let mut filter = Self {
            mode,
            sample_rate: f64::from(sample_rate),
            cutoff_hz: 0.0,
            integrator_gain: 0.0,
            loop_gain: 0.0,
            state: 0.0,
        };
        filter.set_cutoff(cutoff_hz);
        filter
    }

    /// 6 dB/octave lowpass with its −3 dB point at `cutoff_hz`.
    pub fn lowpass(sample_rate: f32, cutoff_hz: f32) -> Self {
        Self::new(OnePoleMode::Lowpass, sample_rate, cutoff_hz)
    }

    /// 6 dB/octave highpass with its −3 dB point at `cutoff_hz`.
    pub fn highpass(sample_rate: f32, cutoff_hz: f32) -> Self {
        Self::new(OnePoleMode::Highpass, sample_rate, cutoff_hz)
    }

    /// Sets the cutoff (Hz, clamped to 1 Hz–0.49·fs); one `tan`, fine per sample.
    pub fn set_cutoff(&mut self, cutoff_hz: f32) {
        self.cutoff_hz = clamp_cutoff(f64::from(cutoff_hz), self.sample_rate);
        self.integrator_gain = prewarped_gain(self.cutoff_hz, self.sample_rate);
        self.loop_gain = self.integrator_gain / (1.0 + self.integrator_gain);
    }

    /// Cutoff in Hz after clamping.
    pub fn cutoff_hz(&self) -> f64 {
        self.cutoff_hz
    }

    /// Exact transfer function at `frequency_hz`: the bilinear transform of `1/(1+s)` (or
    /// `s/(1+s)`) prewarped at the cutoff, i.e. `s = j·tan(πf/fs)/g`.
    pub fn response(&self, frequency_hz: f64) -> Complex64 {
        let s = bilinear_s(frequency_hz, self.sample_rate, self.integrator_gain);
        match self.mode {
            OnePoleMode::Lowpass => (s + 1.0).inv(),
            OnePoleMode::Highpass => s / (s + 1.0),
        }
    }
}

impl Processor for OnePole {
    fn prepare(&mut self, sample_rate: f32, _max_block: usize) {
        self.sample_rate = f64::from(sample_rate);
        self.set_cutoff(self.cutoff_hz as f32);
        self.reset();
    }

    fn reset(&mut self) {
        self.state = 0.0;
    }

    #[inline]
    fn process_sample(&mut self, input: f32) -> f32 {
        let input = guarded_input(input);
        let step = (input - self.state) * self.loop_gain;
        let low = step + self.state;
        self.state = flush_state(low + step);
        if !state_is_sane(self.state) {
            self.reset();
            return 0.0;
        }
        let output = match self.mode {
            OnePoleMode::Lowpass => low,
            OnePoleMode::Highpass => input - low,
        };
        output as f32
    }
}

/// Exponential smoother: `y[n] = y[n−1] + (1 − a)·(x[n] − y[n−1])`, `a = e^{−1/(τ·fs)}`.
///
/// After one time constant `τ` a step has covered `1 − 1/e` (63 %) of the way. Use it for
/// parameter smoothing ([`OnePoleSmoother::next`]) or as a plain lowpass ([`Processor`]).
#[derive(Clone, Debug)]
pub struct OnePoleSmoother {
    time_constant_s: f64,
    sample_rate: f64,
    /// Pole `a`.
    retention: f64,
    value: f64,
}

impl OnePoleSmoother {
    /// A smoother with time constant `time_constant_s` (seconds, ≥ 0; 0 = no smoothing) at
    /// `sample_rate` (Hz), starting at `initial_value`.
    pub fn new(time_constant_s: f32, sample_rate: f32, initial_value: f32) -> Self {
        let mut smoother = Self {
            time_constant_s: 0.0,
            sample_rate: f64::from(sample_rate),
            retention: 0.0,
            value: f64::from(initial_value),
        };
        smoother.set_time_constant(time_constant_s);
        smoother
    }

    /// Sets the time constant (seconds, clamped to ≥ 0).
    pub fn set_time_constant(&mut self, time_constant_s: f32) {
        let time_constant = f64::from(time_constant_s);
        self.time_constant_s = if time_constant.is_nan() {
            0.0
        } else {
            time_constant.max(0.0)
        };
        let samples = self.time_constant_s * self.sample_rate;
        self.retention = if samples > 0.0 {
            (-1.0 / samples).exp()
        } else {
            0.0
        };
    }

    /// Time constant in seconds.
    pub fn time_constant_s(&self) -> f64 {
        self.time_constant_s
    }

    /// Jumps straight to `value` (no glide), e.g. when a plugin is (re)activated.
    pub fn reset_to(&mut self, value: f32) {
        self.value = f64::from(crate::guard::sanitize(value));
    }

    /// The current smoothed value.
    pub fn value(&self) -> f32 {
        self.value as f32
    }

    /// Moves one sample toward `target` and returns the new value.
    #[inline]
    pub fn next(&mut self, target: f32) -> f32 {
        self.process_sample(target)
    }

    /// Exact transfer function at `frequency_hz`: `(1 − a)/(1 − a·z⁻¹)`.
    pub fn response(&self, frequency_hz: f64) -> Complex64 {
        let delay = unit_delay(frequency_hz, self.sample_rate);
        Complex64::new(1.0 - self.retention, 0.0) / (-delay * self.retention + 1.0)
    }
}

impl Processor for OnePoleSmoother {
    fn prepare(&mut self, sample_rate: f32, _max_block: usize) {
        self.sample_rate = f64::from(sample_rate);
        self.set_time_constant(self.time_constant_s as f32);
    }

    /// Clears the smoothed value to 0.
    fn reset(&mut self) {
        self.value = 0.0;
    }

    #[inline]
    fn process_sample(&mut self, input: f32) -> f32 {
        let input = guarded_input(input);
        self.value = flush_state(input + self.retention * (self.value - input));
        self.value as f32
    }
}
