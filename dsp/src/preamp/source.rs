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
//! realised as one biquad by the bilinear transform, prewarped at the resonance (or corner).

use std::f64::consts::TAU;

use realfft::num_complex::Complex64;

use crate::Processor;
use crate::filter::biquad::{Biquad, BiquadCoefficients, BiquadDesign};

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

    /// The frequency (Hz) where the bilinear transform is prewarped: the resonance of an
    /// inductive source, the corner of a first-order one (clamped to the audio band).
    fn warp_frequency(&self) -> f64 {
        let (_, denominator) = self.analog_polynomials();
        let frequency = if denominator[2] > 0.0 {
            (denominator[0] / denominator[2]).sqrt() / TAU
        } else {
            denominator[0] / denominator[1].max(1e-30) / TAU
        };
        frequency.clamp(20.0, 16_000.0)
    }

    /// The digital biquad for `sample_rate`: bilinear transform with s = k·(1 − z⁻¹)/(1 + z⁻¹),
    /// k = ω_w / tan(ω_w / 2 fs) so the response is exact at the warp frequency.
    pub fn coefficients(&self, sample_rate: f64) -> BiquadCoefficients {
        let (numerator, denominator) = self.analog_polynomials();
        let warp = TAU * self.warp_frequency().min(0.45 * sample_rate);
        let k = warp / (warp / (2.0 * sample_rate)).tan();
        let k2 = k * k;
        // (n0 + n1 s + n2 s²) with s = k(1−z⁻¹)/(1+z⁻¹), multiplied through by (1+z⁻¹)².
        let map = |poly: [f64; 3]| {
            [
                poly[0] + poly[1] * k + poly[2] * k2,
                2.0 * poly[0] - 2.0 * poly[2] * k2,
                poly[0] - poly[1] * k + poly[2] * k2,
            ]
        };
        if numerator[2] == 0.0 && denominator[2] == 0.0 {
            // A first-order divider maps to a first-order section. Through the second-order map
            // it would carry a cancelled pole-zero pair at z = −1 that keeps any state it is left
            // with ringing at Nyquist after a voicing change.
            let a0 = denominator[0] + denominator[1] * k;
            return BiquadCoefficients {
                b0: (numerator[0] + numerator[1] * k) / a0,
                b1: (numerator[0] - numerator[1] * k) / a0,
                b2: 0.0,
                a1: (denominator[0] - denominator[1] * k) / a0,
                a2: 0.0,
            };
        }
        let b = map(numerator);
        let a = map(denominator);
        BiquadCoefficients {
            b0: b[0] / a[0],
            b1: b[1] / a[0],
            b2: b[2] / a[0],
            a1: a[1] / a[0],
            a2: a[2] / a[0],
        }
    }
}

/// The source-loading filter for one channel.
#[derive(Clone, Debug)]
pub struct SourceFilter {
    load: SourceLoad,
    filter: Biquad,
    sample_rate: f32,
}

impl SourceFilter {
    /// A filter for `load` at `sample_rate` Hz.
    pub fn new(load: SourceLoad, sample_rate: f32) -> Self {
        let coefficients = load.coefficients(f64::from(sample_rate));
        Self {
            load,
            filter: Biquad::from_coefficients(coefficients, sample_rate),
            sample_rate,
        }
    }

    /// Changes the source or the load (keeps the filter state, so it is click-free for small moves).
    pub fn set_load(&mut self, load: SourceLoad) {
        if load != self.load {
            self.load = load;
            let coefficients = load.coefficients(f64::from(self.sample_rate));
            self.filter.set_design(BiquadDesign::Custom(coefficients));
        }
    }

    /// The present source and load.
    pub fn load(&self) -> SourceLoad {
        self.load
    }

    /// The digital filter's exact response at `frequency_hz`.
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
    }

    fn reset(&mut self) {
        self.filter.reset();
    }

    #[inline]
    fn process_sample(&mut self, input: f32) -> f32 {
        self.filter.process_sample(input)
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
    #[ignore = "not met yet: the bilinear biquad misses the 1 MΩ pickup by 1.5 dB at 7.7 kHz and 4.1 dB at 12 kHz (warping past the resonance); issue 4 open"]
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
            assert!(
                worst.1.abs() < 0.5,
                "{load:?}: worst digital-vs-analog error {:.2} dB at {:.0} Hz",
                worst.1,
                worst.0
            );
        }
    }
}
