//! The source's electrical interaction with the preamp input: a pickup, microphone or piezo with
//! its own impedance, a cable's capacitance, and the input resistance that loads them.
//!
//! A passive magnetic pickup is a resistance and an inductance in series; with the cable's
//! capacitance it forms a resonance (typically 3–6 kHz) that the input resistance damps: a 1 MΩ
//! Hi-Z input leaves the peak, a 10 kΩ input flattens it and dulls the top (DESIGN.md, "Guitar
//! pickups into an input"). A piezo is a capacitance: into too low an input resistance it loses its
//! low end. The analog divider is
//!
//! ```text
//! H(s) = Z_in(s) / (Z_source(s) + Z_in(s)),   Z_in = R_in ∥ 1/(s·C_cable)
//! ```
//!
//! realised as one magnitude-matched biquad ([`SourceLoad::coefficients`]).

use std::f64::consts::TAU;

use realfft::num_complex::Complex64;

use crate::Processor;
use crate::filter::biquad::{Biquad, BiquadCoefficients, BiquadDesign};
use crate::ramp::LinearRamp;

/// The electrical model of a source.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SourceImpedance {
    /// A resistive source: line outputs, condenser microphones (ohms).
    Resistive {
        /// Output resistance in Ω.
        resistance: f64,
    },
    /// A series resistance and inductance: magnetic pickups and dynamic microphones.
    Inductive {
        /// Coil resistance in Ω.
        resistance: f64,
        /// Coil inductance in H.
        inductance: f64,
    },
    /// A capacitive source: piezo pickups.
    Capacitive {
        /// Element capacitance in F.
        capacitance: f64,
    },
}

/// A source, its cable and the input that loads it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SourceLoad {
    /// The source's own impedance.
    pub source: SourceImpedance,
    /// Cable capacitance in F (about 100 pF per metre of instrument cable).
    pub cable_capacitance: f64,
    /// The preamp's input resistance in Ω.
    pub input_resistance: f64,
}

impl SourceLoad {
    /// The analog transfer function `V_in / V_source` at `frequency_hz`.
    pub fn analog_response(&self, frequency_hz: f64) -> Complex64 {
        let s = Complex64::new(0.0, TAU * frequency_hz);
        let input_impedance = Complex64::from(self.input_resistance)
            / (s * self.input_resistance * self.cable_capacitance + 1.0);
        let source_impedance = match self.source {
            SourceImpedance::Resistive { resistance } => Complex64::from(resistance),
            SourceImpedance::Inductive {
                resistance,
                inductance,
            } => s * inductance + resistance,
            SourceImpedance::Capacitive { capacitance } => {
                if frequency_hz == 0.0 {
                    return Complex64::new(0.0, 0.0);
                }
                (s * capacitance).inv()
            }
        };
        input_impedance / (source_impedance + input_impedance)
    }

    /// The analog transfer function as `(numerator, denominator)` polynomials in s, lowest power
    /// first: `[n0, n1, n2]`, `[d0, d1, d2]`.
    fn analog_polynomials(&self) -> ([f64; 3], [f64; 3]) {
        let input = self.input_resistance;
        let cable = self.cable_capacitance;
        match self.source {
            // H = R_in / (R_in + R_s + s·R_s·R_in·C)
            SourceImpedance::Resistive { resistance } => (
                [input, 0.0, 0.0],
                [input + resistance, resistance * input * cable, 0.0],
            ),
            // H = R_in / ((R_s + sL)(1 + s·R_in·C) + R_in)
            SourceImpedance::Inductive {
                resistance,
                inductance,
            } => (
                [input, 0.0, 0.0],
                [
                    input + resistance,
                    inductance + resistance * input * cable,
                    inductance * input * cable,
                ],
            ),
            // H = s·C_p·R_in / (1 + s·R_in·(C_p + C))
            SourceImpedance::Capacitive { capacitance } => (
                [0.0, capacitance * input, 0.0],
                [1.0, input * (capacitance + cable), 0.0],
            ),
        }
    }

    /// The analog poles' digital images by impulse invariance, `z = e^{s·T}`, as the biquad
    /// denominator `(a1, a2)`. A complex pair whose ringing frequency lies above 0.9 × Nyquist
    /// cannot be represented (its image would fold to a wrong frequency): it is dropped (poles at
    /// z = 0) and the numerator fit carries its in-band effect, a gentle lift.
    fn matched_poles(&self, sample_rate: f64) -> (f64, f64) {
        let (_, denominator) = self.analog_polynomials();
        let period = 1.0 / sample_rate;
        let [d0, d1, d2] = denominator;
        if d2 > 0.0 {
            let discriminant = d1 * d1 - 4.0 * d2 * d0;
            if discriminant >= 0.0 {
                let root = discriminant.sqrt();
                let first = ((-d1 - root) / (2.0 * d2) * period).exp();
                let second = ((-d1 + root) / (2.0 * d2) * period).exp();
                (-(first + second), first * second)
            } else {
                let decay = d1 / (2.0 * d2) * period;
                let ringing = (-discriminant).sqrt() / (2.0 * d2) * period;
                if ringing < MAX_POLE_ANGLE {
                    (-2.0 * (-decay).exp() * ringing.cos(), (-2.0 * decay).exp())
                } else {
                    (0.0, 0.0)
                }
            }
        } else if d1 > 0.0 {
            (-(-d0 / d1 * period).exp(), 0.0)
        } else {
            (0.0, 0.0)
        }
    }

    /// The digital biquad for `sample_rate`: a magnitude-matched design.
    ///
    /// The bilinear transform squeezes the whole analog axis into the band below Nyquist, so a
    /// pickup's −12 dB/octave slope above its resonance came out 4 dB too low at 12 kHz (48 kHz).
    /// Instead (after M. Vicanek, "Matched Second Order Digital Filters", 2016):
    /// - poles by impulse invariance (`z = e^{s·T}`), which keeps the resonance's
    ///   frequency and damping;
    /// - the numerator from its squared magnitude. With `φ1 = sin²(ω/2)`, `φ0 = 1 − φ1` and
    ///   `φ2 = 4·φ0·φ1`, any biquad polynomial has `|b0 + b1·z⁻¹ + b2·z⁻²|² = B0·φ0 + B1·φ1 + B2·φ2`
    ///   with `B0 = (b0 + b1 + b2)²`, `B1 = (b0 − b1 + b2)²`, `B2 = −4·b0·b2` (Vicanek).
    ///   `B0` is set so the DC gain is exact; `B1` and `B2` minimise the squared relative error
    ///   of `|H|²` against the analog divider at 48 log-spaced frequencies from 20 Hz to
    ///   20 kHz (at most 0.45 × the sample rate) — a linear least-squares problem. The
    ///   coefficients follow as Vicanek factors them: `W = (√B0 + √B1)/2`, `b0 = (W + √(W² + B2))/2`,
    ///   `b1 = (√B0 − √B1)/2`, `b2 = −B2/(4·b0)`, the minimum-phase root (like the analog divider).
    ///
    /// Measured against the analog divider over every source × input resistance at 44.1 and
    /// 48 kHz: a passive pickup within 0.1 dB up to 12 kHz and 0.2 dB up to 20 kHz.
    pub fn coefficients(&self, sample_rate: f64) -> BiquadCoefficients {
        let (a1, a2) = self.matched_poles(sample_rate);
        let denominator_terms = [(1.0 + a1 + a2).powi(2), (1.0 - a1 + a2).powi(2), -4.0 * a2];
        let basis = |frequency: f64| {
            let phi1 = (std::f64::consts::PI * frequency / sample_rate)
                .sin()
                .powi(2);
            let phi0 = 1.0 - phi1;
            [phi0, phi1, 4.0 * phi0 * phi1]
        };
        let squared_magnitude = |frequency: f64| self.analog_response(frequency).norm_sqr();
        let dc_term = squared_magnitude(0.0) * denominator_terms[0];
        // Normal equations of min Σ (|N|²/target − 1)² over (B1, B2), B0 fixed.
        let top = FIT_TOP_HZ.min(0.45 * sample_rate);
        let (mut m11, mut m12, mut m22, mut v1, mut v2) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for index in 0..FIT_POINTS {
            let frequency =
                FIT_BOTTOM_HZ * (top / FIT_BOTTOM_HZ).powf(index as f64 / (FIT_POINTS - 1) as f64);
            let phi = basis(frequency);
            let denominator_power: f64 = denominator_terms
                .iter()
                .zip(phi.iter())
                .map(|(term, weight)| term * weight)
                .sum();
            let target = (squared_magnitude(frequency) * denominator_power).max(1e-300);
            let residual = 1.0 - dc_term * phi[0] / target;
            let (x1, x2) = (phi[1] / target, phi[2] / target);
            m11 += x1 * x1;
            m12 += x1 * x2;
            m22 += x2 * x2;
            v1 += x1 * residual;
            v2 += x2 * residual;
        }
        let determinant = m11 * m22 - m12 * m12;
        let (nyquist_term, mut cross_term) = if determinant.abs() > 1e-300 {
            (
                ((v1 * m22 - v2 * m12) / determinant).max(0.0),
                (m11 * v2 - m12 * v1) / determinant,
            )
        } else {
            (
                squared_magnitude(0.5 * sample_rate) * denominator_terms[1],
                0.0,
            )
        };
        let (dc_root, nyquist_root) = (dc_term.sqrt(), nyquist_term.sqrt());
        let half_sum = 0.5 * (dc_root + nyquist_root);
        // Keep the factorisation real (the closest realisable magnitude otherwise).
        cross_term = cross_term.max(-half_sum * half_sum);
        let b0 = 0.5 * (half_sum + (half_sum * half_sum + cross_term).sqrt());
        let b1 = 0.5 * (dc_root - nyquist_root);
        let b2 = if b0 > 0.0 {
            -cross_term / (4.0 * b0)
        } else {
            0.0
        };
        BiquadCoefficients { b0, b1, b2, a1, a2 }
    }
}

/// Lowest frequency of the numerator fit, Hz.
const FIT_BOTTOM_HZ: f64 = 20.0;
/// Highest frequency of the numerator fit, Hz (clamped to 0.45 × the sample rate).
const FIT_TOP_HZ: f64 = 20_000.0;
/// Frequencies of the numerator fit (log-spaced).
const FIT_POINTS: usize = 48;
/// Largest pole angle (rad/sample) impulse invariance is trusted with: 0.9 × π.
const MAX_POLE_ANGLE: f64 = 0.9 * std::f64::consts::PI;

/// The source-loading filter for one channel.
#[derive(Clone, Debug)]
pub struct SourceFilter {
    load: SourceLoad,
    filter: Biquad,
    /// The filter of the previous load, faded out after a change.
    outgoing: Biquad,
    /// Share of `filter` in the output while a change cross-fades (1 when settled).
    fade: LinearRamp,
    sample_rate: f32,
}

/// Cross-fade time after a change of source or load, seconds.
pub const LOAD_FADE_SECONDS: f32 = 0.02;

impl SourceFilter {
    /// A filter for `load` at `sample_rate` Hz.
    pub fn new(load: SourceLoad, sample_rate: f32) -> Self {
        let coefficients = load.coefficients(f64::from(sample_rate));
        let filter = Biquad::from_coefficients(coefficients, sample_rate);
        let mut fade = LinearRamp::default();
        fade.prepare(sample_rate, LOAD_FADE_SECONDS);
        fade.settle(1.0);
        Self {
            load,
            outgoing: filter.clone(),
            filter,
            fade,
            sample_rate,
        }
    }

    /// Changes the source or the load. The old filter keeps running and is cross-faded into the
    /// new one over [`LOAD_FADE_SECONDS`] (a jump of a resonant filter's coefficients would
    /// click); the new one starts from the old one's state. A change during a fade restarts it
    /// from the filter being faded in. No allocation.
    pub fn set_load(&mut self, load: SourceLoad) {
        if load != self.load {
            self.load = load;
            let coefficients = load.coefficients(f64::from(self.sample_rate));
            self.outgoing = self.filter.clone();
            self.filter.set_design(BiquadDesign::Custom(coefficients));
            self.fade.settle(0.0);
            self.fade.set_target(1.0);
        }
    }

    /// The present source and load.
    pub fn load(&self) -> SourceLoad {
        self.load
    }

    /// The digital filter's exact response at `frequency_hz` (the present load's).
    pub fn response(&self, frequency_hz: f64) -> Complex64 {
        self.filter.response(frequency_hz)
    }
}

impl Processor for SourceFilter {
    fn prepare(&mut self, sample_rate: f32, max_block: usize) {
        self.sample_rate = sample_rate;
        self.filter =
            Biquad::from_coefficients(self.load.coefficients(f64::from(sample_rate)), sample_rate);
        self.filter.prepare(sample_rate, max_block);
        self.outgoing = self.filter.clone();
        self.fade.prepare(sample_rate, LOAD_FADE_SECONDS);
        self.fade.settle(1.0);
    }

    fn reset(&mut self) {
        self.filter.reset();
        self.outgoing.reset();
        self.fade.settle(1.0);
    }

    #[inline]
    fn process_sample(&mut self, input: f32) -> f32 {
        let incoming = self.filter.process_sample(input);
        if !self.fade.is_ramping() {
            return incoming;
        }
        let share = self.fade.advance();
        let outgoing = self.outgoing.process_sample(input);
        outgoing + share * (incoming - outgoing)
    }

    fn process_block(&mut self, block: &mut [f32]) {
        if self.fade.is_ramping() {
            for sample in block.iter_mut() {
                *sample = self.process_sample(*sample);
            }
        } else {
            self.filter.process_block(block);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pickup(input_resistance: f64) -> SourceLoad {
        SourceLoad {
            source: SourceImpedance::Inductive {
                resistance: 6_500.0,
                inductance: 2.5,
            },
            cable_capacitance: 600e-12,
            input_resistance,
        }
    }

    fn peak_of(load: &SourceLoad) -> (f64, f64) {
        let mut best = (0.0, f64::MIN);
        let mut frequency = 500.0;
        while frequency < 15_000.0 {
            let level = 20.0 * load.analog_response(frequency).norm().log10();
            if level > best.1 {
                best = (frequency, level);
            }
            frequency *= 1.01;
        }
        best
    }

    #[test]
    fn first_order_sources_have_no_pole_on_the_unit_circle() {
        let loads = [
            SourceLoad {
                source: SourceImpedance::Resistive { resistance: 100.0 },
                cable_capacitance: 1e-9,
                input_resistance: 100e3,
            },
            SourceLoad {
                source: SourceImpedance::Capacitive {
                    capacitance: 1.5e-9,
                },
                cable_capacitance: 500e-12,
                input_resistance: 1e6,
            },
        ];
        for load in loads {
            let coefficients = load.coefficients(48_000.0);
            // Denominator 1 + a1·z⁻¹ + a2·z⁻²: its value at z = −1 must stay away from zero.
            let at_nyquist = 1.0 - coefficients.a1 + coefficients.a2;
            assert!(
                at_nyquist.abs() > 1e-3,
                "{load:?}: denominator at Nyquist {at_nyquist}"
            );
        }
    }

    #[test]
    fn passive_pickup_into_one_megohm_resonates_between_3_and_6_khz() {
        let (frequency, level) = peak_of(&pickup(1.0e6));
        assert!(
            (3_000.0..6_000.0).contains(&frequency) && level > 3.0,
            "pickup into 1 MΩ: peak {level:.1} dB at {frequency:.0} Hz"
        );
    }

    #[test]
    fn ten_kilohm_loading_damps_the_pickup_resonance() {
        let (_, hi_z_peak) = peak_of(&pickup(1.0e6));
        let loaded = pickup(10.0e3);
        let at_3k = 20.0 * loaded.analog_response(3_000.0).norm().log10()
            - 20.0 * loaded.analog_response(200.0).norm().log10();
        assert!(
            at_3k < -6.0 && hi_z_peak > 3.0,
            "10 kΩ load: 3 kHz re 200 Hz {at_3k:.1} dB (1 MΩ peak {hi_z_peak:.1} dB)"
        );
    }

    /// Within 0.5 dB of the analog divider up to 12 kHz at 48 kHz.
    #[test]
    fn digital_source_filter_matches_the_analog_divider_up_to_12_khz() {
        let sample_rate = 48_000.0;
        for load in [pickup(1.0e6), pickup(10.0e3)] {
            let filter = SourceFilter::new(load, sample_rate as f32);
            let mut worst: (f64, f64) = (0.0, 0.0);
            let mut frequency = 20.0;
            while frequency < 12_000.0 {
                let analog = 20.0 * load.analog_response(frequency).norm().log10();
                let digital = 20.0 * filter.response(frequency).norm().log10();
                if (analog - digital).abs() > worst.1.abs() {
                    worst = (frequency, analog - digital);
                }
                frequency *= 1.05;
            }
            println!(
                "pickup into {} Ω: worst analog − digital {:+.3} dB at {:.0} Hz",
                load.input_resistance, worst.1, worst.0
            );
            assert!(
                worst.1.abs() < 0.5,
                "{load:?}: worst digital-vs-analog error {:.2} dB at {:.0} Hz",
                worst.1,
                worst.0
            );
        }
    }

    /// Worst digital-vs-analog error (dB) of `load` at `sample_rate` from 20 Hz to `top_hz`.
    fn worst_error(load: &SourceLoad, sample_rate: f64, top_hz: f64) -> (f64, f64) {
        let filter = SourceFilter::new(*load, sample_rate as f32);
        let mut worst: (f64, f64) = (0.0, 0.0);
        let mut frequency = 20.0;
        while frequency <= top_hz {
            let analog = 20.0 * load.analog_response(frequency).norm().log10();
            let digital = 20.0 * filter.response(frequency).norm().log10();
            if (analog - digital).abs() > worst.1.abs() {
                worst = (frequency, digital - analog);
            }
            frequency *= 1.02;
        }
        worst
    }

    /// Every voicing's source into every input type at both input resistances, at 44.1 and
    /// 48 kHz: within 0.5 dB of the analog divider up to 12 kHz (and reported up to 20 kHz).
    #[test]
    fn every_source_and_input_matches_the_analog_divider_up_to_12_khz() {
        use super::super::calibration::InputType;
        use super::super::voicing::{InputImpedance, Voicing};
        let mut worst_to_20k: (f64, String) = (0.0, String::new());
        for sample_rate in [44_100.0, 48_000.0] {
            for voicing in Voicing::ALL {
                for input_type in InputType::ALL {
                    for impedance in [InputImpedance::Low, InputImpedance::High] {
                        let load = voicing.source_load(input_type, impedance);
                        let (frequency, error) = worst_error(&load, sample_rate, 12_000.0);
                        assert!(
                            error.abs() < 0.5,
                            "{voicing:?} into {input_type:?} {impedance:?} at {sample_rate} Hz: \
                             {error:+.3} dB at {frequency:.0} Hz"
                        );
                        let (frequency, error) = worst_error(&load, sample_rate, 20_000.0);
                        if error.abs() > worst_to_20k.0.abs() {
                            worst_to_20k = (
                                error,
                                format!(
                                    "{voicing:?}/{input_type:?}/{impedance:?} at {sample_rate} Hz, {frequency:.0} Hz"
                                ),
                            );
                        }
                    }
                }
            }
        }
        println!(
            "worst error up to 20 kHz: {:+.3} dB ({})",
            worst_to_20k.0, worst_to_20k.1
        );
        assert!(
            worst_to_20k.0.abs() < 1.0,
            "worst error up to 20 kHz {:+.3} dB ({})",
            worst_to_20k.0,
            worst_to_20k.1
        );
    }
}
