//! Loudspeaker loads: impedance Z(f) from Thiele-Small parameters and the amp-to-speaker voltage divider.
//!
//! A moving-coil driver seen from its terminals (Thiele, "Loudspeakers in vented boxes", JAES 1971;
//! Small, "Direct-radiator loudspeaker system analysis", JAES 1972; Leach, JAES 2002 for the lossy
//! inductance) is the series connection of
//!
//! ```text
//! Z(s) = Re + Z_L(s) + Z_M(s)
//! Z_L(s) = K·s^n                                   lossy voice-coil inductance ([`semi_inductance`])
//! Z_M(s) = Res · (s/(ωs·Qms)) / (s²/ωs² + s/(ωs·Qms) + 1),   Res = Re·Qms/Qes
//! ```
//!
//! `Z_M` is the motional impedance: a parallel RLC that peaks at `Re + Res = Re·(1 + Qms/Qes)` at
//! the resonance `Fs` (a Jensen C10Q: 6 Ω·(1 + 9.78/1.50) ≈ 45 Ω at 96 Hz). For a driver in a
//! sealed cabinet the in-box values (`Fc`, `Qmc`, `Qec`) take the place of the free-air ones.
//!
//! [`SpeakerLoad::impedance`] evaluates the exact expression; [`SpeakerLoad::rational_impedance`]
//! gives the rational approximation (semi-inductance replaced by its R‖L ladder) from which the
//! time-domain filters are designed, with its poles and zeros.

pub mod rational;
pub mod semi_inductance;

use realfft::num_complex::Complex64;

use rational::{Polynomial, Rational, RootSet};
use semi_inductance::{InductanceLadder, SemiInductance};

/// Thiele-Small parameters of a driver (in its cabinet), plus the lossy-inductance exponent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ThieleSmall {
    /// Voice-coil DC resistance `Re`, ohms (0.5–50).
    pub re_ohms: f64,
    /// Voice-coil inductance `Le` as a datasheet gives it (at 1 kHz), henries (0–10 mH).
    pub le_henries: f64,
    /// Semi-inductance exponent `n` (0.5–1; 1 is an ideal coil, 0.6–0.7 typical).
    pub le_exponent: f64,
    /// Resonance `Fs` (in the cabinet: `Fc`), Hz (10–500).
    pub resonance_hz: f64,
    /// Mechanical quality factor `Qms` (0.5–30).
    pub qms: f64,
    /// Electrical quality factor `Qes` (0.1–5).
    pub qes: f64,
}

impl ThieleSmall {
    /// Keeps every field inside the ranges documented on it, so that any user entry gives a
    /// passive, finite impedance.
    pub fn clamped(self) -> Self {
        Self {
            re_ohms: self.re_ohms.clamp(0.5, 50.0),
            le_henries: self.le_henries.clamp(0.0, 10.0e-3),
            le_exponent: self.le_exponent.clamp(0.5, 1.0),
            resonance_hz: self.resonance_hz.clamp(10.0, 500.0),
            qms: self.qms.clamp(0.5, 30.0),
            qes: self.qes.clamp(0.1, 5.0),
        }
    }

    /// Motional resistance at resonance, `Res = Re·Qms/Qes`, ohms.
    pub fn motional_resistance(&self) -> f64 {
        self.re_ohms * self.qms / self.qes
    }

    /// The impedance peak at resonance ignoring the inductance, `Re·(1 + Qms/Qes)`, ohms.
    pub fn resonance_peak_ohms(&self) -> f64 {
        self.re_ohms + self.motional_resistance()
    }

    /// The lossy inductance of this driver.
    pub fn semi_inductance(&self) -> SemiInductance {
        SemiInductance::from_datasheet(self.le_henries, self.le_exponent)
    }

    /// Motional impedance `Z_M(s)` as a rational function.
    fn motional(&self) -> Rational {
        let angular = std::f64::consts::TAU * self.resonance_hz;
        let bandwidth = angular / self.qms;
        Rational {
            numerator: Polynomial::from_coefficients(&[
                0.0,
                self.motional_resistance() * bandwidth,
            ]),
            denominator: Polynomial::from_coefficients(&[angular * angular, bandwidth, 1.0]),
        }
    }
}

/// What the amplifier drives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LoadModel {
    /// A pure resistance (a dummy load), ohms.
    Resistive(f64),
    /// A moving-coil driver (or a cabinet of them, wired to one equivalent driver).
    Driver(ThieleSmall),
}

/// A speaker load: its model, its nominal impedance and a name.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpeakerLoad {
    /// Display name.
    pub name: &'static str,
    /// Nominal impedance printed on the cabinet, ohms.
    pub nominal_ohms: f64,
    /// The electrical model.
    pub model: LoadModel,
}

impl SpeakerLoad {
    /// A resistive dummy load of `ohms`.
    pub fn resistive(ohms: f64) -> Self {
        let ohms = ohms.clamp(0.5, 100.0);
        Self {
            name: "Resistive dummy load",
            nominal_ohms: ohms,
            model: LoadModel::Resistive(ohms),
        }
    }

    /// 1×12 open-back guitar combo. Published-style numbers of a Jensen C10Q-type alnico driver
    /// (DESIGN.md): Re 6.0 Ω, Le 0.62 mH (n = 0.7), Fs 96 Hz, Qms 9.78, Qes 1.50 → ≈ 45 Ω peak.
    /// An open back barely loads the cone, so the free-air values stand.
    pub fn open_back_1x12() -> Self {
        Self {
            name: "1×12 open-back guitar",
            nominal_ohms: 8.0,
            model: LoadModel::Driver(ThieleSmall {
                re_ohms: 6.0,
                le_henries: 0.62e-3,
                le_exponent: 0.7,
                resonance_hz: 96.0,
                qms: 9.78,
                qes: 1.50,
            }),
        }
    }

    /// 4×12 closed-back guitar cabinet of Celestion Vintage 30-type drivers, series-parallel to
    /// 8 Ω (one driver's impedance). Published-style free-air numbers: Fs 75 Hz, Re 7.3 Ω,
    /// Qms 2.86, Qes 0.64, Le 0.45 mH (n = 0.7); the closed box (compliance ratio α ≈ 0.96)
    /// multiplies Fs and both Qs by √(1 + α) ≈ 1.4: Fc 105 Hz, Qmc 4.0, Qec 0.9 → ≈ 40 Ω peak.
    pub fn closed_4x12() -> Self {
        Self {
            name: "4×12 closed-back guitar",
            nominal_ohms: 8.0,
            model: LoadModel::Driver(ThieleSmall {
                re_ohms: 7.3,
                le_henries: 0.45e-3,
                le_exponent: 0.7,
                resonance_hz: 105.0,
                qms: 4.0,
                qes: 0.9,
            }),
        }
    }

    /// 1×15 bass cabinet (sealed). Published-style numbers of a 15" bass-guitar driver: free-air
    /// Fs 40 Hz, Re 5.6 Ω, Qms 4.3, Qes 0.32, Le 1.2 mH (n = 0.65); in its box Fc 55 Hz,
    /// Qmc 6.0, Qec 0.45 → ≈ 80 Ω peak.
    pub fn bass_1x15() -> Self {
        Self {
            name: "1×15 bass",
            nominal_ohms: 8.0,
            model: LoadModel::Driver(ThieleSmall {
                re_ohms: 5.6,
                le_henries: 1.2e-3,
                le_exponent: 0.65,
                resonance_hz: 55.0,
                qms: 6.0,
                qes: 0.45,
            }),
        }
    }

    /// 2-way hi-fi bookshelf (sealed, 6.5" woofer). Published-style in-box woofer numbers:
    /// Fc 60 Hz, Re 5.8 Ω, Qmc 3.5, Qec 0.6, Le 0.35 mH; the crossover and tweeter flatten the
    /// treble rise, modelled by a lower exponent n = 0.55 → ≈ 40 Ω peak.
    pub fn hifi_bookshelf() -> Self {
        Self {
            name: "2-way hi-fi bookshelf",
            nominal_ohms: 8.0,
            model: LoadModel::Driver(ThieleSmall {
                re_ohms: 5.8,
                le_henries: 0.35e-3,
                le_exponent: 0.55,
                resonance_hz: 60.0,
                qms: 3.5,
                qes: 0.6,
            }),
        }
    }

    /// Studio monitor woofer (8", sealed). Published-style in-box numbers: Fc 45 Hz, Re 5.4 Ω,
    /// Qmc 3.0, Qec 0.5, Le 0.6 mH (n = 0.65) → ≈ 38 Ω peak.
    pub fn studio_monitor_woofer() -> Self {
        Self {
            name: "Studio monitor woofer",
            nominal_ohms: 8.0,
            model: LoadModel::Driver(ThieleSmall {
                re_ohms: 5.4,
                le_henries: 0.6e-3,
                le_exponent: 0.65,
                resonance_hz: 45.0,
                qms: 3.0,
                qes: 0.5,
            }),
        }
    }

    /// A user-entered driver (fields clamped to their documented ranges) of nominal `nominal_ohms`.
    pub fn custom(parameters: ThieleSmall, nominal_ohms: f64) -> Self {
        Self {
            name: "Custom",
            nominal_ohms: nominal_ohms.clamp(1.0, 32.0),
            model: LoadModel::Driver(parameters.clamped()),
        }
    }

    /// Exact impedance at `frequency_hz` (semi-inductance as `K·(jω)^n`), ohms.
    pub fn impedance(&self, frequency_hz: f64) -> Complex64 {
        match self.model {
            LoadModel::Resistive(ohms) => Complex64::new(ohms, 0.0),
            LoadModel::Driver(driver) => {
                Complex64::new(driver.re_ohms, 0.0)
                    + driver.semi_inductance().impedance(frequency_hz)
                    + driver.motional().at_frequency(frequency_hz)
            }
        }
    }

    /// The rational model the filters are designed from (semi-inductance as its ladder).
    pub fn rational_impedance(&self) -> RationalImpedance {
        RationalImpedance::of(self)
    }
}

/// A load impedance as a ratio of polynomials in `s`, with the roots of both.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RationalImpedance {
    /// `Z(s) = numerator(s) / denominator(s)`, ohms.
    pub impedance: Rational,
    /// Roots of the numerator (zeros of Z: the poles of the admittance), rad/s.
    pub zeros: RootSet,
    /// Roots of the denominator (poles of Z), rad/s.
    pub poles: RootSet,
}

impl RationalImpedance {
    /// Builds the rational model of `load`.
    pub fn of(load: &SpeakerLoad) -> Self {
        match load.model {
            LoadModel::Resistive(ohms) => Self {
                impedance: Rational::constant(ohms),
                zeros: RootSet::new(),
                poles: RootSet::new(),
            },
            LoadModel::Driver(driver) => {
                let ladder: InductanceLadder = driver.semi_inductance().ladder();
                let motional = driver.motional();
                let impedance = Rational::constant(driver.re_ohms)
                    .add(&ladder.rational())
                    .add(&motional);
                let mut poles = ladder.poles();
                let denominator = motional.denominator;
                poles.push_quadratic(
                    denominator.coefficient(2),
                    denominator.coefficient(1),
                    denominator.coefficient(0),
                );
                let zeros = impedance.numerator.roots();
                Self {
                    impedance,
                    zeros,
                    poles,
                }
            }
        }
    }

    /// A coarse model of `load` for metering: the voice coil as `Re + s·Le` (an ideal inductor
    /// of the datasheet `Le`) plus the motional impedance. Same resonance, approximate treble.
    pub fn coarse_of(load: &SpeakerLoad) -> Self {
        match load.model {
            LoadModel::Resistive(_) => Self::of(load),
            LoadModel::Driver(driver) => {
                let motional = driver.motional();
                let impedance = Rational {
                    numerator: Polynomial::from_coefficients(&[driver.re_ohms, driver.le_henries]),
                    denominator: Polynomial::constant(1.0),
                }
                .add(&motional);
                let mut poles = RootSet::new();
                let denominator = motional.denominator;
                poles.push_quadratic(
                    denominator.coefficient(2),
                    denominator.coefficient(1),
                    denominator.coefficient(0),
                );
                let zeros = impedance.numerator.roots();
                Self {
                    impedance,
                    zeros,
                    poles,
                }
            }
        }
    }

    /// Impedance of the rational model at `frequency_hz`, ohms.
    pub fn at_frequency(&self, frequency_hz: f64) -> Complex64 {
        self.impedance.at_frequency(frequency_hz)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c10q_peaks_near_45_ohms_at_96_hz() {
        let load = SpeakerLoad::open_back_1x12();
        let peak = load.impedance(96.0).norm();
        assert!(
            (peak - 45.0).abs() < 2.0,
            "1×12 (C10Q-like) impedance at Fs: {peak:.1} Ω, DESIGN.md says ≈ 45 Ω"
        );
    }

    #[test]
    fn rational_model_matches_the_exact_impedance() {
        for load in [
            SpeakerLoad::open_back_1x12(),
            SpeakerLoad::closed_4x12(),
            SpeakerLoad::bass_1x15(),
            SpeakerLoad::hifi_bookshelf(),
            SpeakerLoad::studio_monitor_woofer(),
        ] {
            let model = load.rational_impedance();
            let mut worst_db = 0.0_f64;
            let mut at = 0.0;
            for step in 0..=80 {
                let frequency = 20.0 * 1000.0_f64.powf(step as f64 / 80.0);
                let error = 20.0
                    * (model.at_frequency(frequency).norm() / load.impedance(frequency).norm())
                        .log10();
                if error.abs() > worst_db.abs() {
                    worst_db = error;
                    at = frequency;
                }
            }
            assert!(
                worst_db.abs() < 0.3,
                "{}: rational |Z| deviates {worst_db:.3} dB at {at:.0} Hz",
                load.name
            );
            // The numerator roots really are zeros of Z: |N(z)| is tiny next to the size of its terms.
            for zero in model.zeros.iter() {
                let numerator = &model.impedance.numerator;
                let term_size: f64 = numerator
                    .coefficients()
                    .iter()
                    .enumerate()
                    .map(|(power, coefficient)| coefficient.abs() * zero.norm().powi(power as i32))
                    .sum();
                let residual = numerator.evaluate(*zero).norm() / term_size;
                assert!(
                    residual < 1e-12,
                    "{}: N(zero) residual {residual:e} at {zero}",
                    load.name
                );
            }
        }
    }
}
