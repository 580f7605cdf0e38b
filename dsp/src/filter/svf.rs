//! Topology-preserving-transform state-variable filter: low/high/band-pass, bell and shelves.
//!
//! Zavalishin, "The Art of VA Filter Design", rev. 2.1.2, ch. 4 (the 2-pole SVF, fig. 4.27) in the
//! trapezoidal-integrator form of Simper, "Linear Trapezoidal Integrated SVF" (Cytomic technical
//! paper SvfLinearTrapOptimised2, 2013). The structure stays stable and click-free when its
//! cutoff is changed every sample, so [`Svf::set_params`] is cheap enough to call per sample.

use crate::Processor;
use crate::filter::{
    bilinear_s, clamp_cutoff, flush_state, guarded_input, prewarped_gain, state_is_sane,
};
use realfft::num_complex::Complex64;

/// Smallest resonance accepted.
pub const MIN_Q: f64 = 0.1;
/// Largest resonance accepted.
pub const MAX_Q: f64 = 50.0;
/// Largest boost or cut accepted by the bell and shelves, dB.
pub const MAX_GAIN_DB: f64 = 48.0;

/// Which response the SVF's outputs are mixed into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SvfMode {
    /// 2-pole lowpass, `1/(s² + s/Q + 1)`.
    Lowpass,
    /// 2-pole highpass, `s²/(s² + s/Q + 1)`.
    Highpass,
    /// Bandpass with 0 dB at the centre, `(s/Q)/(s² + s/Q + 1)`.
    Bandpass,
    /// Peaking ("bell") boost or cut of `gain_db` at the cutoff; Q sets the bandwidth.
    Bell,
    /// Shelf of `gain_db` below the cutoff (the cutoff is the shelf's mid-gain point).
    LowShelf,
    /// Shelf of `gain_db` above the cutoff (the cutoff is the shelf's mid-gain point).
    HighShelf,
}

/// A TPT state-variable filter. Parameters may change every sample.
#[derive(Clone, Debug)]
pub struct Svf {
    mode: SvfMode,
    sample_rate: f64,
    cutoff_hz: f64,
    q: f64,
    gain_db: f64,
    /// `A = 10^(gain/40)`, cached so per-sample cutoff sweeps do not recompute it.
    gain_amplitude: f64,
    /// Prewarped integrator gain `g` (including the shelves' `√A` shift).
    integrator_gain: f64,
    /// Damping `k` (`1/Q`, or `1/(Q·A)` for the bell).
    damping: f64,
    solve_1: f64,
    solve_2: f64,
    solve_3: f64,
    mix_input: f64,
    mix_band: f64,
    mix_low: f64,
    /// Trapezoidal integrator states (Simper's `ic1eq`, `ic2eq`).
    band_state: f64,
    low_state: f64,
}

impl Svf {
    /// An SVF of `mode` at `sample_rate` (Hz) with `cutoff_hz` (clamped to 1 Hz–0.49·fs), `q`
    /// (clamped to 0.1–50) and `gain_db` (used by bell and shelves, clamped to ±48 dB).
    pub fn new(mode: SvfMode, sample_rate: f32, cutoff_hz: f32, q: f32, gain_db: f32) -> Self {
        let mut filter = Self {
            mode,
            sample_rate: f64::from(sample_rate),
            cutoff_hz: f64::from(cutoff_hz),
            q: f64::from(q),
            gain_db: f64::NAN,
            gain_amplitude: 1.0,
            integrator_gain: 0.0,
            damping: 0.0,
            solve_1: 0.0,
            solve_2: 0.0,
            solve_3: 0.0,
            mix_input: 0.0,
            mix_band: 0.0,
            mix_low: 0.0,
            band_state: 0.0,
            low_state: 0.0,
        };
        filter.set_params(cutoff_hz, q, gain_db);
        filter
    }

    /// 2-pole lowpass at `cutoff_hz` with resonance `q` (0.7071 = Butterworth).
    pub fn lowpass(sample_rate: f32, cutoff_hz: f32, q: f32) -> Self {
        Self::new(SvfMode::Lowpass, sample_rate, cutoff_hz, q, 0.0)
    }

    /// 2-pole highpass at `cutoff_hz` with resonance `q`.
    pub fn highpass(sample_rate: f32, cutoff_hz: f32, q: f32) -> Self {
        Self::new(SvfMode::Highpass, sample_rate, cutoff_hz, q, 0.0)
    }

    /// Bandpass centred on `cutoff_hz`, 0 dB at the centre, bandwidth `cutoff/q`.
    pub fn bandpass(sample_rate: f32, cutoff_hz: f32, q: f32) -> Self {
        Self::new(SvfMode::Bandpass, sample_rate, cutoff_hz, q, 0.0)
    }

    /// Bell of `gain_db` at `cutoff_hz` with bandwidth set by `q`.
    pub fn bell(sample_rate: f32, cutoff_hz: f32, q: f32, gain_db: f32) -> Self {
        Self::new(SvfMode::Bell, sample_rate, cutoff_hz, q, gain_db)
    }

    /// Low shelf of `gain_db` with its mid-gain point at `cutoff_hz`; `q` = 0.7071 gives no overshoot.
    pub fn low_shelf(sample_rate: f32, cutoff_hz: f32, q: f32, gain_db: f32) -> Self {
        Self::new(SvfMode::LowShelf, sample_rate, cutoff_hz, q, gain_db)
    }

    /// High shelf of `gain_db` with its mid-gain point at `cutoff_hz`; `q` = 0.7071 gives no overshoot.
    pub fn high_shelf(sample_rate: f32, cutoff_hz: f32, q: f32, gain_db: f32) -> Self {
        Self::new(SvfMode::HighShelf, sample_rate, cutoff_hz, q, gain_db)
    }

    /// The response this filter mixes.
    pub fn mode(&self) -> SvfMode {
        self.mode
    }

    /// Cutoff in Hz after clamping.
    pub fn cutoff_hz(&self) -> f64 {
        self.cutoff_hz
    }

    /// Resonance after clamping.
    pub fn q(&self) -> f64 {
        self.q
    }

    /// Gain of the bell or shelf in dB after clamping.
    pub fn gain_db(&self) -> f64 {
        self.gain_db
    }

    /// Sets cutoff (Hz, clamped to 1 Hz–0.49·fs), resonance (clamped to 0.1–50) and gain (dB,
    /// clamped to ±48, used by bell and shelves). Cheap enough to call every sample: one `tan`,
    /// plus one `powf` only when the gain changed. The filter state is kept, which is what
    /// makes the TPT structure click-free under modulation.
    pub fn set_params(&mut self, cutoff_hz: f32, q: f32, gain_db: f32) {
        let gain_db = if gain_db.is_nan() {
            0.0
        } else {
            f64::from(gain_db)
        };
        let gain_db = gain_db.clamp(-MAX_GAIN_DB, MAX_GAIN_DB);
        if gain_db != self.gain_db {
            self.gain_db = gain_db;
            self.gain_amplitude = 10.0_f64.powf(gain_db / 40.0);
        }
        self.q = if q.is_nan() {
            MIN_Q
        } else {
            f64::from(q).clamp(MIN_Q, MAX_Q)
        };
        self.cutoff_hz = clamp_cutoff(f64::from(cutoff_hz), self.sample_rate);
        self.update_coefficients();
    }

    /// Sets only the cutoff (Hz), keeping Q and gain: the cheapest per-sample modulation.
    pub fn set_cutoff(&mut self, cutoff_hz: f32) {
        self.cutoff_hz = clamp_cutoff(f64::from(cutoff_hz), self.sample_rate);
        self.update_coefficients();
    }

    /// Mode, damping and output mix per Simper (2013), table "SvfLinearTrapOptimised2":
    /// `a1 = 1/(1 + g(g + k))`, `a2 = g·a1`, `a3 = g·a2`, output `m0·v0 + m1·v1 + m2·v2`.
    fn update_coefficients(&mut self) {
        let gain = self.gain_amplitude;
        let mut integrator_gain = prewarped_gain(self.cutoff_hz, self.sample_rate);
        let mut damping = 1.0 / self.q;
        let (mix_input, mix_band, mix_low) = match self.mode {
            SvfMode::Lowpass => (0.0, 0.0, 1.0),
            SvfMode::Highpass => (1.0, -damping, -1.0),
            SvfMode::Bandpass => (0.0, damping, 0.0),
            SvfMode::Bell => {
                damping = 1.0 / (self.q * gain);
                (1.0, damping * (gain * gain - 1.0), 0.0)
            }
            SvfMode::LowShelf => {
                integrator_gain /= gain.sqrt();
                (1.0, damping * (gain - 1.0), gain * gain - 1.0)
            }
            SvfMode::HighShelf => {
                integrator_gain *= gain.sqrt();
                (
                    gain * gain,
                    damping * (1.0 - gain) * gain,
                    1.0 - gain * gain,
                )
            }
        };
        self.integrator_gain = integrator_gain;
        self.damping = damping;
        self.solve_1 = 1.0 / (1.0 + integrator_gain * (integrator_gain + damping));
        self.solve_2 = integrator_gain * self.solve_1;
        self.solve_3 = integrator_gain * self.solve_2;
        self.mix_input = mix_input;
        self.mix_band = mix_band;
        self.mix_low = mix_low;
    }

    /// Exact transfer function of the digital filter at `frequency_hz` (0..fs/2).
    ///
    /// The TPT SVF is the bilinear transform of its analog prototype prewarped at the cutoff, so
    /// `H(z) = m0 + (m1·s + m2)/(s² + k·s + 1)` with `s = j·tan(πf/fs)/g` (Zavalishin ch. 3.8).
    pub fn response(&self, frequency_hz: f64) -> Complex64 {
        let s = bilinear_s(frequency_hz, self.sample_rate, self.integrator_gain);
        let denominator = s * s + s * self.damping + 1.0;
        (s * self.mix_band + self.mix_low) / denominator + self.mix_input
    }
}

impl Processor for Svf {
    fn prepare(&mut self, sample_rate: f32, _max_block: usize) {
        self.sample_rate = f64::from(sample_rate);
        self.cutoff_hz = clamp_cutoff(self.cutoff_hz, self.sample_rate);
        self.update_coefficients();
        self.reset();
    }

    fn reset(&mut self) {
        self.band_state = 0.0;
        self.low_state = 0.0;
    }

    #[inline]
    fn process_sample(&mut self, input: f32) -> f32 {
        let input = guarded_input(input);
        let high_part = input - self.low_state;
        let band = self.solve_1 * self.band_state + self.solve_2 * high_part;
        let low = self.low_state + self.solve_2 * self.band_state + self.solve_3 * high_part;
        self.band_state = flush_state(2.0 * band - self.band_state);
        self.low_state = flush_state(2.0 * low - self.low_state);
        if !(state_is_sane(self.band_state) && state_is_sane(self.low_state)) {
            self.reset();
            return 0.0;
        }
        (self.mix_input * input + self.mix_band * band + self.mix_low * low) as f32
    }

    /// The same recursion as [`Svf::process_sample`] and its denormal flushing, but with the
    /// sanity check once per block: a filter that blew up anywhere in the block is reset and the
    /// whole block silenced.
    fn process_block(&mut self, block: &mut [f32]) {
        let (mut band_state, mut low_state) = (self.band_state, self.low_state);
        for sample in block.iter_mut() {
            let input = guarded_input(*sample);
            let high_part = input - low_state;
            let band = self.solve_1 * band_state + self.solve_2 * high_part;
            let low = low_state + self.solve_2 * band_state + self.solve_3 * high_part;
            band_state = flush_state(2.0 * band - band_state);
            low_state = flush_state(2.0 * low - low_state);
            *sample = (self.mix_input * input + self.mix_band * band + self.mix_low * low) as f32;
        }
        if state_is_sane(band_state) && state_is_sane(low_state) {
            self.band_state = band_state;
            self.low_state = low_state;
        } else {
            self.reset();
            block.fill(0.0);
        }
    }
}
