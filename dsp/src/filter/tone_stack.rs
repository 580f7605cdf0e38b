//! The '59 Fender Bassman tone stack: Yeh & Smith's closed-form 3rd-order model, bilinear-discretised.
//!
//! D. T. Yeh and J. O. Smith, "Discretization of the '59 Fender Bassman Tone Stack", Proc. DAFx-06,
//! Montréal, 2006, eqs. (1)–(3) for the analog transfer function
//! `H(s) = (b1·s + b2·s² + b3·s³)/(a0 + a1·s + a2·s² + a3·s³)` in terms of the component values and
//! the pot positions `t` (treble), `m` (middle), `l` (bass), and section 3 for its discretisation
//! by the bilinear transform `s = c·(1 − z⁻¹)/(1 + z⁻¹)`, `c = 2·fs`. The coefficient expressions
//! below were checked against an independent nodal analysis of the circuit (see
//! `dsp/tests/filters.rs`, `tone_stack_closed_form_matches_nodal_analysis_of_the_circuit`).

use crate::Processor;
use crate::filter::{flush_state, guarded_input, state_is_sane, unit_delay};
use realfft::num_complex::Complex64;

/// Component values of a Bassman-family tone stack (farads and ohms), named as in Yeh & Smith,
/// fig. 1: `C1` treble cap, `C2` bass cap, `C3` middle cap, `R1` treble pot, `R2` bass pot,
/// `R3` middle pot, `R4` slope resistor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ToneStackComponents {
    /// Treble capacitor, F.
    pub c1: f64,
    /// Bass capacitor, F.
    pub c2: f64,
    /// Middle capacitor, F.
    pub c3: f64,
    /// Treble pot, Ω.
    pub r1: f64,
    /// Bass pot (used as a variable resistor), Ω.
    pub r2: f64,
    /// Middle pot, Ω.
    pub r3: f64,
    /// Slope resistor, Ω.
    pub r4: f64,
}

impl ToneStackComponents {
    /// The 1959 Fender Bassman 5F6-A values: C1 250 pF, C2 = C3 20 nF, R1 250 kΩ, R2 1 MΩ,
    /// R3 25 kΩ, R4 56 kΩ (Yeh & Smith, section 2).
    pub const BASSMAN_59: Self = Self {
        c1: 250.0e-12,
        c2: 20.0e-9,
        c3: 20.0e-9,
        r1: 250.0e3,
        r2: 1.0e6,
        r3: 25.0e3,
        r4: 56.0e3,
    };
}

/// Pot positions as Yeh & Smith define them, each in [0, 1]: the fraction of each pot's
/// resistance in the position that the paper's `t`, `m`, `l` describe.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ToneStackControls {
    /// Treble pot fraction `t` (0 = darkest, 1 = brightest).
    pub treble: f64,
    /// Middle pot fraction `m` (0 = scooped, 1 = full mids).
    pub middle: f64,
    /// Bass pot fraction `l` (0 = least bass, 1 = most bass).
    pub bass: f64,
}

/// Growth rate of the audio-taper curve used by [`ToneStackControls::from_knobs`]: with
/// `(e^{k·x} − 1)/(e^{k} − 1)` and k = 3.4 a half-turned knob gives 15 % of the resistance, the
/// usual "A" (audio) taper.
pub const AUDIO_TAPER_GROWTH: f64 = 3.4;

impl ToneStackControls {
    /// Every pot at half its resistance.
    pub const NOON: Self = Self {
        treble: 0.5,
        middle: 0.5,
        bass: 0.5,
    };

    /// Pot fractions exactly as given (clamped to [0, 1]; NaN becomes 0.5).
    pub fn from_pot_fractions(treble: f64, middle: f64, bass: f64) -> Self {
        let clamp = |fraction: f64| {
            if fraction.is_nan() {
                0.5
            } else {
                fraction.clamp(0.0, 1.0)
            }
        };
        Self {
            treble: clamp(treble),
            middle: clamp(middle),
            bass: clamp(bass),
        }
    }

    /// Knob rotations in [0, 1], with the bass knob through an audio (log) taper, as on
    /// the amplifier, where the 1 MΩ bass pot is audio taper. The treble and middle knobs map
    /// linearly. This taper is our choice of a typical "A" curve, not a figure from Yeh & Smith,
    /// whose formulas take the pot fractions directly.
    pub fn from_knobs(treble: f32, middle: f32, bass: f32) -> Self {
        let bass = f64::from(bass).clamp(0.0, 1.0);
        let tapered_bass =
            ((AUDIO_TAPER_GROWTH * bass).exp() - 1.0) / (AUDIO_TAPER_GROWTH.exp() - 1.0);
        Self::from_pot_fractions(f64::from(treble), f64::from(middle), tapered_bass)
    }
}

/// Analog transfer-function coefficients, index = power of `s`:
/// `H(s) = Σ numerator[i]·sⁱ / Σ denominator[i]·sⁱ`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AnalogCoefficients {
    /// `[b0, b1, b2, b3]` (b0 = 0: the stack blocks DC).
    pub numerator: [f64; 4],
    /// `[a0, a1, a2, a3]`.
    pub denominator: [f64; 4],
}

impl AnalogCoefficients {
    /// Yeh & Smith, DAFx-06, eq. (2): the continuous-time coefficients of the tone stack.
    pub fn yeh_smith(components: &ToneStackComponents, controls: &ToneStackControls) -> Self {
        let ToneStackComponents {
            c1,
            c2,
            c3,
            r1,
            r2,
            r3,
            r4,
        } = *components;
        let (t, m, l) = (controls.treble, controls.middle, controls.bass);
        let b1 = t * c1 * r1 + m * c3 * r3 + l * (c1 * r2 + c2 * r2) + (c1 * r3 + c2 * r3);
        let b2 = t * (c1 * c2 * r1 * r4 + c1 * c3 * r1 * r4)
            - m * m * (c1 * c3 * r3 * r3 + c2 * c3 * r3 * r3)
            + m * (c1 * c3 * r1 * r3 + c1 * c3 * r3 * r3 + c2 * c3 * r3 * r3)
            + l * (c1 * c2 * r1 * r2 + c1 * c2 * r2 * r4 + c1 * c3 * r2 * r4)
            + l * m * (c1 * c3 * r2 * r3 + c2 * c3 * r2 * r3)
            + (c1 * c2 * r1 * r3 + c1 * c2 * r3 * r4 + c1 * c3 * r3 * r4);
        let c123 = c1 * c2 * c3;
        let b3 = l * m * c123 * (r1 * r2 * r3 + r2 * r3 * r4)
            - m * m * c123 * (r1 * r3 * r3 + r3 * r3 * r4)
            + m * c123 * (r1 * r3 * r3 + r3 * r3 * r4)
            + t * c123 * r1 * r3 * r4
            - t * m * c123 * r1 * r3 * r4
            + t * l * c123 * r1 * r2 * r4;
        let a0 = 1.0;
        let a1 = (c1 * r1 + c1 * r3 + c2 * r3 + c2 * r4 + c3 * r4)
            + m * c3 * r3
            + l * (c1 * r2 + c2 * r2);
        let a2 = m
            * (c1 * c3 * r1 * r3 - c2 * c3 * r3 * r4 + c1 * c3 * r3 * r3 + c2 * c3 * r3 * r3)
            + l * m * (c1 * c3 * r2 * r3 + c2 * c3 * r2 * r3)
            - m * m * (c1 * c3 * r3 * r3 + c2 * c3 * r3 * r3)
            + l * (c1 * c2 * r2 * r4 + c1 * c2 * r1 * r2 + c1 * c3 * r2 * r4 + c2 * c3 * r2 * r4)
            + (c1 * c2 * r1 * r4
                + c1 * c3 * r1 * r4
                + c1 * c2 * r3 * r4
                + c1 * c2 * r1 * r3
                + c1 * c3 * r3 * r4
                + c2 * c3 * r3 * r4);
        let a3 = l * m * c123 * (r1 * r2 * r3 + r2 * r3 * r4)
            - m * m * c123 * (r1 * r3 * r3 + r3 * r3 * r4)
            + m * c123 * (r3 * r3 * r4 + r1 * r3 * r3 - r1 * r3 * r4)
            + l * c123 * r1 * r2 * r4
            + c123 * r1 * r3 * r4;
        Self {
            numerator: [0.0, b1, b2, b3],
            denominator: [a0, a1, a2, a3],
        }
    }

    /// `H(j2πf)` at `frequency_hz`.
    pub fn response(&self, frequency_hz: f64) -> Complex64 {
        let s = Complex64::new(0.0, std::f64::consts::TAU * frequency_hz);
        evaluate_polynomial(&self.numerator, s) / evaluate_polynomial(&self.denominator, s)
    }
}

/// Σ coefficients[i]·xⁱ by Horner's rule.
fn evaluate_polynomial(coefficients: &[f64; 4], variable: Complex64) -> Complex64 {
    coefficients
        .iter()
        .rev()
        .fold(Complex64::new(0.0, 0.0), |sum, &coefficient| {
            sum * variable + coefficient
        })
}

/// `(1 − x)ⁱ·(1 + x)^{3−i}` expanded: row i, column k = coefficient of `xᵏ`. Multiplying the
/// analog polynomials through by `(1 + z⁻¹)³` after substituting `s = c·(1 − z⁻¹)/(1 + z⁻¹)`
/// gives the digital coefficients (Yeh & Smith, section 3, eq. (4)).
const BILINEAR_EXPANSION: [[f64; 4]; 4] = [
    [1.0, 3.0, 3.0, 1.0],
    [1.0, 1.0, -1.0, -1.0],
    [1.0, -1.0, -1.0, 1.0],
    [1.0, -3.0, 3.0, -1.0],
];

/// Digital coefficients `H(z) = Σ feed_forward[k]·z⁻ᵏ / (1 + Σ_{k≥1} feedback[k]·z⁻ᵏ)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DigitalCoefficients {
    /// `[B0, B1, B2, B3]`, normalised by `A0`.
    pub feed_forward: [f64; 4],
    /// `[1, A1, A2, A3]`, normalised by `A0`.
    pub feedback: [f64; 4],
}

impl DigitalCoefficients {
    /// The bilinear transform with constant `bilinear_constant` (`c = 2·fs` for the plain
    /// transform) of `analog`.
    pub fn bilinear(analog: &AnalogCoefficients, bilinear_constant: f64) -> Self {
        let mut feed_forward = [0.0; 4];
        let mut feedback = [0.0; 4];
        let mut power = 1.0;
        for (order, expansion) in BILINEAR_EXPANSION.iter().enumerate() {
            for (delay, &weight) in expansion.iter().enumerate() {
                feed_forward[delay] += analog.numerator[order] * power * weight;
                feedback[delay] += analog.denominator[order] * power * weight;
            }
            power *= bilinear_constant;
        }
        let scale = 1.0 / feedback[0];
        for coefficient in feed_forward.iter_mut().chain(feedback.iter_mut()) {
            *coefficient *= scale;
        }
        Self {
            feed_forward,
            feedback,
        }
    }

    /// `H(e^{j2πf/fs})` at `frequency_hz`.
    pub fn response(&self, frequency_hz: f64, sample_rate: f64) -> Complex64 {
        let delay = unit_delay(frequency_hz, sample_rate);
        evaluate_polynomial(&self.feed_forward, delay) / evaluate_polynomial(&self.feedback, delay)
    }
}

/// The Bassman tone stack as a 3rd-order IIR filter in transposed direct form II (f64).
#[derive(Clone, Debug)]
pub struct ToneStack {
    components: ToneStackComponents,
    controls: ToneStackControls,
    sample_rate: f64,
    analog: AnalogCoefficients,
    digital: DigitalCoefficients,
    state: [f64; 3],
}

impl ToneStack {
    /// A tone stack with `components` and `controls` at `sample_rate` (Hz).
    pub fn new(
        sample_rate: f32,
        components: ToneStackComponents,
        controls: ToneStackControls,
    ) -> Self {
        let mut stack = Self {
            components,
            controls,
            sample_rate: f64::from(sample_rate),
            analog: AnalogCoefficients {
                numerator: [0.0; 4],
                denominator: [1.0, 0.0, 0.0, 0.0],
            },
            digital: DigitalCoefficients {
                feed_forward: [0.0; 4],
                feedback: [1.0, 0.0, 0.0, 0.0],
            },
            state: [0.0; 3],
        };
        stack.update_coefficients();
        stack
    }

    /// The '59 Bassman stack ([`ToneStackComponents::BASSMAN_59`]) at `sample_rate` (Hz).
    pub fn bassman(sample_rate: f32, controls: ToneStackControls) -> Self {
        Self::new(sample_rate, ToneStackComponents::BASSMAN_59, controls)
    }

    /// Moves the pots. Recomputes the coefficients (a few dozen multiplications): fine per
    /// block or per sample; the state is kept.
    pub fn set_controls(&mut self, controls: ToneStackControls) {
        self.controls = controls;
        self.update_coefficients();
    }

    /// The pot positions in use.
    pub fn controls(&self) -> ToneStackControls {
        self.controls
    }

    /// The analog coefficients for the current controls.
    pub fn analog_coefficients(&self) -> AnalogCoefficients {
        self.analog
    }

    /// The digital coefficients the filter runs.
    pub fn digital_coefficients(&self) -> DigitalCoefficients {
        self.digital
    }

    fn update_coefficients(&mut self) {
        self.analog = AnalogCoefficients::yeh_smith(&self.components, &self.controls);
        self.digital = DigitalCoefficients::bilinear(&self.analog, 2.0 * self.sample_rate);
    }

    /// Yeh & Smith's continuous-time response `H(j2πf)` at `frequency_hz`.
    pub fn analog_response(&self, frequency_hz: f64) -> Complex64 {
        self.analog.response(frequency_hz)
    }

    /// Exact transfer function of the digital filter at `frequency_hz`.
    pub fn response(&self, frequency_hz: f64) -> Complex64 {
        self.digital.response(frequency_hz, self.sample_rate)
    }
}

impl Processor for ToneStack {
    fn prepare(&mut self, sample_rate: f32, _max_block: usize) {
        self.sample_rate = f64::from(sample_rate);
        self.update_coefficients();
        self.reset();
    }

    fn reset(&mut self) {
        self.state = [0.0; 3];
    }

    #[inline]
    fn process_sample(&mut self, input: f32) -> f32 {
        let input = guarded_input(input);
        let [b0, b1, b2, b3] = self.digital.feed_forward;
        let [_, a1, a2, a3] = self.digital.feedback;
        let output = b0 * input + self.state[0];
        self.state[0] = flush_state(b1 * input - a1 * output + self.state[1]);
        self.state[1] = flush_state(b2 * input - a2 * output + self.state[2]);
        self.state[2] = flush_state(b3 * input - a3 * output);
        if !self.state.iter().all(|&state| state_is_sane(state)) {
            self.reset();
            return 0.0;
        }
        output as f32
    }
}
