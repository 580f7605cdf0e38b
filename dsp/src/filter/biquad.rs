//! Transposed direct-form II biquad with the RBJ Audio-EQ-Cookbook designs.
//!
//! Coefficient formulas: R. Bristow-Johnson, "Cookbook formulae for audio EQ biquad filter
//! coefficients" (the Audio-EQ-Cookbook, W3C Audio WG note, 2021 edition). Structure: transposed
//! direct form II (Smith, "Introduction to Digital Filters", appendix "Transposed Direct-Forms").

use crate::Processor;
use crate::filter::{clamp_cutoff, flush_state, guarded_input, state_is_sane, unit_delay};
use realfft::num_complex::Complex64;
use std::f64::consts::TAU;

/// Normalised biquad coefficients: `H(z) = (b0 + b1·z⁻¹ + b2·z⁻²)/(1 + a1·z⁻¹ + a2·z⁻²)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BiquadCoefficients {
    /// Feed-forward coefficient of `z⁰`.
    pub b0: f64,
    /// Feed-forward coefficient of `z⁻¹`.
    pub b1: f64,
    /// Feed-forward coefficient of `z⁻²`.
    pub b2: f64,
    /// Feedback coefficient of `z⁻¹` (sign as in the denominator above).
    pub a1: f64,
    /// Feedback coefficient of `z⁻²` (sign as in the denominator above).
    pub a2: f64,
}

impl BiquadCoefficients {
    /// The identity filter (`H = 1`).
    pub const IDENTITY: Self = Self {
        b0: 1.0,
        b1: 0.0,
        b2: 0.0,
        a1: 0.0,
        a2: 0.0,
    };

    /// Divides the cookbook's un-normalised `b0..b2`, `a0..a2` by `a0`.
    fn normalised(feed_forward: [f64; 3], feedback: [f64; 3]) -> Self {
        let scale = 1.0 / feedback[0];
        Self {
            b0: feed_forward[0] * scale,
            b1: feed_forward[1] * scale,
            b2: feed_forward[2] * scale,
            a1: feedback[1] * scale,
            a2: feedback[2] * scale,
        }
    }

    /// `H(e^{j2πf/fs})` at `frequency_hz` for `sample_rate` (Hz).
    pub fn response(&self, frequency_hz: f64, sample_rate: f64) -> Complex64 {
        let delay = unit_delay(frequency_hz, sample_rate);
        let delay_squared = delay * delay;
        (delay * self.b1 + delay_squared * self.b2 + self.b0)
            / (delay * self.a1 + delay_squared * self.a2 + 1.0)
    }
}

/// Which cookbook design a [`Biquad`] uses; kept so `prepare` can redesign at a new sample rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BiquadDesign {
    /// 2-pole lowpass at `cutoff_hz`, resonance `q`.
    Lowpass { cutoff_hz: f64, q: f64 },
    /// 2-pole highpass at `cutoff_hz`, resonance `q`.
    Highpass { cutoff_hz: f64, q: f64 },
    /// Bandpass with 0 dB peak gain at `centre_hz`, bandwidth `centre/q`.
    Bandpass { centre_hz: f64, q: f64 },
    /// Notch at `centre_hz`, bandwidth `centre/q`.
    Notch { centre_hz: f64, q: f64 },
    /// Peaking EQ of `gain_db` at `centre_hz`.
    Peaking {
        centre_hz: f64,
        q: f64,
        gain_db: f64,
    },
    /// Low shelf of `gain_db`, mid-gain point at `corner_hz`, shelf slope set by `q`.
    LowShelf {
        corner_hz: f64,
        q: f64,
        gain_db: f64,
    },
    /// High shelf of `gain_db`, mid-gain point at `corner_hz`, shelf slope set by `q`.
    HighShelf {
        corner_hz: f64,
        q: f64,
        gain_db: f64,
    },
    /// 2-pole allpass with its 180° point at `centre_hz`.
    Allpass { centre_hz: f64, q: f64 },
    /// Fixed coefficients, not redesigned when the sample rate changes.
    Custom(BiquadCoefficients),
}

impl BiquadDesign {
    /// The cookbook coefficients of this design at `sample_rate` (Hz). Frequencies are clamped to
    /// 1 Hz–0.49·fs, Q to at least 0.01.
    pub fn coefficients(&self, sample_rate: f64) -> BiquadCoefficients {
        // Cookbook intermediate variables: w0 = 2π·f0/fs, alpha = sin(w0)/(2Q), A = 10^(dB/40).
        let intermediates = |frequency_hz: f64, q: f64| {
            let angle = TAU * clamp_cutoff(frequency_hz, sample_rate) / sample_rate;
            let alpha = angle.sin() / (2.0 * q.max(0.01));
            (angle.cos(), alpha)
        };
        match *self {
            Self::Lowpass { cutoff_hz, q } => {
                let (cos, alpha) = intermediates(cutoff_hz, q);
                BiquadCoefficients::normalised(
                    [(1.0 - cos) / 2.0, 1.0 - cos, (1.0 - cos) / 2.0],
                    [1.0 + alpha, -2.0 * cos, 1.0 - alpha],
                )
            }
            Self::Highpass { cutoff_hz, q } => {
                let (cos, alpha) = intermediates(cutoff_hz, q);
                BiquadCoefficients::normalised(
                    [(1.0 + cos) / 2.0, -(1.0 + cos), (1.0 + cos) / 2.0],
                    [1.0 + alpha, -2.0 * cos, 1.0 - alpha],
                )
            }
            Self::Bandpass { centre_hz, q } => {
                let (cos, alpha) = intermediates(centre_hz, q);
                BiquadCoefficients::normalised(
                    [alpha, 0.0, -alpha],
                    [1.0 + alpha, -2.0 * cos, 1.0 - alpha],
                )
            }
            Self::Notch { centre_hz, q } => {
                let (cos, alpha) = intermediates(centre_hz, q);
                BiquadCoefficients::normalised(
                    [1.0, -2.0 * cos, 1.0],
                    [1.0 + alpha, -2.0 * cos, 1.0 - alpha],
                )
            }
            Self::Peaking {
                centre_hz,
                q,
                gain_db,
            } => {
                let (cos, alpha) = intermediates(centre_hz, q);
                let gain = 10.0_f64.powf(gain_db / 40.0);
                BiquadCoefficients::normalised(
                    [1.0 + alpha * gain, -2.0 * cos, 1.0 - alpha * gain],
                    [1.0 + alpha / gain, -2.0 * cos, 1.0 - alpha / gain],
                )
            }
            Self::LowShelf {
                corner_hz,
                q,
                gain_db,
            } => {
                let (cos, alpha) = intermediates(corner_hz, q);
                let gain = 10.0_f64.powf(gain_db / 40.0);
                let shelf_term = 2.0 * gain.sqrt() * alpha;
                BiquadCoefficients::normalised(
                    [
                        gain * ((gain + 1.0) - (gain - 1.0) * cos + shelf_term),
                        2.0 * gain * ((gain - 1.0) - (gain + 1.0) * cos),
                        gain * ((gain + 1.0) - (gain - 1.0) * cos - shelf_term),
                    ],
                    [
                        (gain + 1.0) + (gain - 1.0) * cos + shelf_term,
                        -2.0 * ((gain - 1.0) + (gain + 1.0) * cos),
                        (gain + 1.0) + (gain - 1.0) * cos - shelf_term,
                    ],
                )
            }
            Self::HighShelf {
                corner_hz,
                q,
                gain_db,
            } => {
                let (cos, alpha) = intermediates(corner_hz, q);
                let gain = 10.0_f64.powf(gain_db / 40.0);
                let shelf_term = 2.0 * gain.sqrt() * alpha;
                BiquadCoefficients::normalised(
                    [
                        gain * ((gain + 1.0) + (gain - 1.0) * cos + shelf_term),
                        -2.0 * gain * ((gain - 1.0) + (gain + 1.0) * cos),
                        gain * ((gain + 1.0) + (gain - 1.0) * cos - shelf_term),
                    ],
                    [
                        (gain + 1.0) - (gain - 1.0) * cos + shelf_term,
                        2.0 * ((gain - 1.0) - (gain + 1.0) * cos),
                        (gain + 1.0) - (gain - 1.0) * cos - shelf_term,
                    ],
                )
            }
            Self::Allpass { centre_hz, q } => {
                let (cos, alpha) = intermediates(centre_hz, q);
                BiquadCoefficients::normalised(
                    [1.0 - alpha, -2.0 * cos, 1.0 + alpha],
                    [1.0 + alpha, -2.0 * cos, 1.0 - alpha],
                )
            }
            Self::Custom(coefficients) => coefficients,
        }
    }
}

/// A transposed direct-form II biquad (f64 coefficients and state).
#[derive(Clone, Debug)]
pub struct Biquad {
    design: BiquadDesign,
    sample_rate: f64,
    coefficients: BiquadCoefficients,
    state_1: f64,
    state_2: f64,
}

impl Biquad {
    /// A biquad of `design` at `sample_rate` (Hz).
    pub fn new(design: BiquadDesign, sample_rate: f32) -> Self {
        let sample_rate = f64::from(sample_rate);
        Self {
            design,
            sample_rate,
            coefficients: design.coefficients(sample_rate),
            state_1: 0.0,
            state_2: 0.0,
        }
    }

    /// Cookbook lowpass at `cutoff_hz` with resonance `q` (0.7071 = Butterworth).
    pub fn lowpass(sample_rate: f32, cutoff_hz: f32, q: f32) -> Self {
        let (cutoff_hz, q) = (f64::from(cutoff_hz), f64::from(q));
        Self::new(BiquadDesign::Lowpass { cutoff_hz, q }, sample_rate)
    }

    /// Cookbook highpass at `cutoff_hz` with resonance `q` (0.7071 = Butterworth).
    pub fn highpass(sample_rate: f32, cutoff_hz: f32, q: f32) -> Self {
        let (cutoff_hz, q) = (f64::from(cutoff_hz), f64::from(q));
        Self::new(BiquadDesign::Highpass { cutoff_hz, q }, sample_rate)
    }

    /// Cookbook bandpass (0 dB peak) at `centre_hz`, bandwidth `centre/q`.
    pub fn bandpass(sample_rate: f32, centre_hz: f32, q: f32) -> Self {
        let (centre_hz, q) = (f64::from(centre_hz), f64::from(q));
        Self::new(BiquadDesign::Bandpass { centre_hz, q }, sample_rate)
    }

    /// Cookbook notch at `centre_hz`, bandwidth `centre/q`.
    pub fn notch(sample_rate: f32, centre_hz: f32, q: f32) -> Self {
        let (centre_hz, q) = (f64::from(centre_hz), f64::from(q));
        Self::new(BiquadDesign::Notch { centre_hz, q }, sample_rate)
    }

    /// Cookbook peaking EQ: `gain_db` at `centre_hz`, bandwidth set by `q`.
    pub fn peaking(sample_rate: f32, centre_hz: f32, q: f32, gain_db: f32) -> Self {
        let (centre_hz, q, gain_db) = (f64::from(centre_hz), f64::from(q), f64::from(gain_db));
        Self::new(
            BiquadDesign::Peaking {
                centre_hz,
                q,
                gain_db,
            },
            sample_rate,
        )
    }

    /// Cookbook low shelf: `gain_db` below `corner_hz` (mid-gain point), slope set by `q`.
    pub fn low_shelf(sample_rate: f32, corner_hz: f32, q: f32, gain_db: f32) -> Self {
        let (corner_hz, q, gain_db) = (f64::from(corner_hz), f64::from(q), f64::from(gain_db));
        Self::new(
            BiquadDesign::LowShelf {
                corner_hz,
                q,
                gain_db,
            },
            sample_rate,
        )
    }

    /// Cookbook high shelf: `gain_db` above `corner_hz` (mid-gain point), slope set by `q`.
    pub fn high_shelf(sample_rate: f32, corner_hz: f32, q: f32, gain_db: f32) -> Self {
        let (corner_hz, q, gain_db) = (f64::from(corner_hz), f64::from(q), f64::from(gain_db));
        Self::new(
            BiquadDesign::HighShelf {
                corner_hz,
                q,
                gain_db,
            },
            sample_rate,
        )
    }

    /// Cookbook allpass with its 180° point at `centre_hz`.
    pub fn allpass(sample_rate: f32, centre_hz: f32, q: f32) -> Self {
        let (centre_hz, q) = (f64::from(centre_hz), f64::from(q));
        Self::new(BiquadDesign::Allpass { centre_hz, q }, sample_rate)
    }

    /// A biquad running fixed `coefficients` at `sample_rate` (Hz).
    pub fn from_coefficients(coefficients: BiquadCoefficients, sample_rate: f32) -> Self {
        Self::new(BiquadDesign::Custom(coefficients), sample_rate)
    }

    /// Replaces the design (keeping the state, so automation does not reset the filter).
    /// Computes a few transcendental functions: call it per block, not per sample.
    pub fn set_design(&mut self, design: BiquadDesign) {
        self.design = design;
        self.coefficients = design.coefficients(self.sample_rate);
    }

    /// The design in use.
    pub fn design(&self) -> BiquadDesign {
        self.design
    }

    /// The coefficients in use.
    pub fn coefficients(&self) -> BiquadCoefficients {
        self.coefficients
    }

    /// Exact transfer function of the filter at `frequency_hz`, from the coefficients it runs.
    pub fn response(&self, frequency_hz: f64) -> Complex64 {
        self.coefficients.response(frequency_hz, self.sample_rate)
    }
}

impl Processor for Biquad {
    fn prepare(&mut self, sample_rate: f32, _max_block: usize) {
        self.sample_rate = f64::from(sample_rate);
        self.coefficients = self.design.coefficients(self.sample_rate);
        self.reset();
    }

    fn reset(&mut self) {
        self.state_1 = 0.0;
        self.state_2 = 0.0;
    }

    #[inline]
    fn process_sample(&mut self, input: f32) -> f32 {
        let input = guarded_input(input);
        let BiquadCoefficients { b0, b1, b2, a1, a2 } = self.coefficients;
        let output = b0 * input + self.state_1;
        self.state_1 = flush_state(b1 * input - a1 * output + self.state_2);
        self.state_2 = flush_state(b2 * input - a2 * output);
        if !(state_is_sane(self.state_1) && state_is_sane(self.state_2)) {
            self.reset();
            return 0.0;
        }
        output as f32
    }

    /// The same recursion as [`Biquad::process_sample`] and its denormal flushing, but with the
    /// sanity check once per block: a filter that blew up anywhere in the block is reset and the
    /// whole block silenced.
    fn process_block(&mut self, block: &mut [f32]) {
        let BiquadCoefficients { b0, b1, b2, a1, a2 } = self.coefficients;
        let (mut state_1, mut state_2) = (self.state_1, self.state_2);
        for sample in block.iter_mut() {
            let input = guarded_input(*sample);
            let output = b0 * input + state_1;
            state_1 = flush_state(b1 * input - a1 * output + state_2);
            state_2 = flush_state(b2 * input - a2 * output);
            *sample = output as f32;
        }
        if state_is_sane(state_1) && state_is_sane(state_2) {
            self.state_1 = state_1;
            self.state_2 = state_2;
        } else {
            self.reset();
            block.fill(0.0);
        }
    }
}
