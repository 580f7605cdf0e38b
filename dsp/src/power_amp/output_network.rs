//! The linear output network: the amp's closed-loop source impedance driving the speaker (through
//! the output transformer or the class-D LC filter), and the frequency-dependent feedback of the
//! presence and depth controls.
//!
//! **Feedback** (Black; e.g. Self, *Audio Power Amplifier Design*, ch. 1). With open-loop output
//! impedance `Z_open`, forward gain `A` and feedback `β(s)` taken at the speaker terminals, the
//! speaker voltage is
//!
//! ```text
//! V = x · A/(1 + T(s)) · Z / (Z + Z_open/(1 + T(s))),     T(s) = A·β(s)
//! ```
//!
//! so feedback divides the output impedance by `1 + T` (the damping factor `DF = R_nom/|Z_src|`
//! grows by the loop gain) and divides the gain by the same amount, which the amp's calibration
//! puts back (the rated sensitivity holds at any feedback). **Presence** lowers the feedback at high
//! frequencies and **depth** at low ones, `T(s) = T·S(s)` with
//!
//! ```text
//! S(s) = 1 − presence · s/(s + ωp) − depth · ωd/(s + ωd),   ωp = 2π·2.5 kHz, ωd = 2π·90 Hz,
//! ```
//!
//! which raises the closed-loop gain there (up to the feedback amount) and raises the source
//! impedance, so the speaker's treble rise or bass resonance comes through.
//!
//! **Speaker divider.** `H(s) = c · Z/(Z + Z_src + Z·Y_sh·Z_src)` where `Y_sh` is the class-D filter
//! capacitor (0 otherwise), `Z_src` includes the class-D filter inductor, and
//! `c = (R_nom + |Z_src,mid|)/R_nom` makes a resistive nominal load unity gain. Tube types add the
//! output transformer's band limits: a first-order high-pass at `f_low` (primary inductance) and a
//! first-order low-pass at `f_high` (leakage inductance into the load).
//!
//! [`NetworkDesign::response`] evaluates this with the exact load impedance; [`NetworkDesign::roots`]
//! gives the poles and zeros of the rational model (the load's semi-inductance as its ladder),
//! from which [`NetworkFilter`] designs its two cascades.

use realfft::num_complex::Complex64;

use super::cascade::{Cascade, CascadePlan, MAX_SECTIONS, SectionRoots};
use crate::speaker::rational::{Polynomial, RootSet};
use crate::speaker::{RationalImpedance, SpeakerLoad};

/// Corner of the presence control's feedback shelf, Hz.
pub const PRESENCE_CORNER_HZ: f64 = 2_500.0;

/// Corner of the depth control's feedback shelf, Hz.
pub const DEPTH_CORNER_HZ: f64 = 90.0;

/// Largest presence or depth amount (the feedback never vanishes completely at either end).
pub const SHELF_LIMIT: f64 = 0.95;

/// Frequency at which the oversampled cascade's bilinear transform is exact, Hz.
pub const HIGH_MATCH_HZ: f64 = 12_000.0;

/// Roots below this frequency run in the base-rate cascade; the others at the oversampled rate.
pub const SPLIT_HZ: f64 = 2_000.0;

/// Band limits of an output transformer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TransformerBandwidth {
    /// First-order high-pass corner (primary inductance), Hz.
    pub low_hz: f64,
    /// First-order low-pass corner (leakage inductance into the load), Hz.
    pub high_hz: f64,
}

/// Everything the linear output network depends on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NetworkDesign {
    /// The amp's nominal load, ohms.
    pub nominal_ohms: f64,
    /// Open-loop output resistance (class D: the switches and inductor winding), ohms.
    pub open_loop_output_ohms: f64,
    /// `1 + T`: the feedback's gain reduction as a ratio (1 = no feedback).
    pub feedback_ratio: f64,
    /// Presence amount, 0–0.95.
    pub presence: f64,
    /// Depth amount, 0–0.95.
    pub depth: f64,
    /// Output transformer (tube types).
    pub transformer: Option<TransformerBandwidth>,
    /// Class-D output filter corner (Butterworth into the nominal load), Hz.
    pub class_d_corner_hz: Option<f64>,
    /// The load.
    pub load: SpeakerLoad,
}

/// Poles, zeros and gain of a rational transfer function `gain · ∏(s − z)/∏(s − p)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ZeroPoleGain {
    /// Finite zeros, rad/s.
    pub zeros: RootSet,
    /// Poles, rad/s.
    pub poles: RootSet,
    /// Gain (ratio of leading coefficients).
    pub gain: f64,
}

impl ZeroPoleGain {
    /// Value at `s`.
    pub fn evaluate(&self, s: Complex64) -> Complex64 {
        let mut value = Complex64::new(self.gain, 0.0);
        for zero in self.zeros.iter() {
            value *= s - zero;
        }
        for pole in self.poles.iter() {
            value /= s - pole;
        }
        value
    }
}

impl NetworkDesign {
    fn presence_clamped(&self) -> f64 {
        self.presence.clamp(0.0, SHELF_LIMIT)
    }

    fn depth_clamped(&self) -> f64 {
        self.depth.clamp(0.0, SHELF_LIMIT)
    }

    fn loop_gain(&self) -> f64 {
        (self.feedback_ratio - 1.0).max(0.0)
    }

    /// Which shelves are in the circuit: presence, depth. A shelf at zero is left out of the
    /// transfer function altogether (not merely cancelled), so the filters carry no dead sections;
    /// switching one in or out is a change of structure.
    pub fn active_shelves(&self) -> (bool, bool) {
        (self.presence_clamped() > 0.0, self.depth_clamped() > 0.0)
    }

    /// `D_S(s)`: `(s + ωp)(s + ωd)` over the active shelves (1 with none).
    fn shelf_denominator(&self) -> Polynomial {
        let presence = std::f64::consts::TAU * PRESENCE_CORNER_HZ;
        let depth = std::f64::consts::TAU * DEPTH_CORNER_HZ;
        match self.active_shelves() {
            (false, false) => Polynomial::constant(1.0),
            (true, false) => Polynomial::from_coefficients(&[presence, 1.0]),
            (false, true) => Polynomial::from_coefficients(&[depth, 1.0]),
            (true, true) => {
                Polynomial::from_coefficients(&[presence * depth, presence + depth, 1.0])
            }
        }
    }

    /// `N_S(s) = D_S(s)·S(s)`, with `S = 1 − presence·s/(s + ωp) − depth·ωd/(s + ωd)`.
    fn shelf_numerator(&self) -> Polynomial {
        let presence_corner = std::f64::consts::TAU * PRESENCE_CORNER_HZ;
        let depth_corner = std::f64::consts::TAU * DEPTH_CORNER_HZ;
        let presence = self.presence_clamped();
        let depth = self.depth_clamped();
        match self.active_shelves() {
            (false, false) => Polynomial::constant(1.0),
            (true, false) => Polynomial::from_coefficients(&[presence_corner, 1.0 - presence]),
            (false, true) => Polynomial::from_coefficients(&[(1.0 - depth) * depth_corner, 1.0]),
            (true, true) => Polynomial::from_coefficients(&[
                (1.0 - depth) * presence_corner * depth_corner,
                presence_corner + depth_corner - presence * depth_corner - depth * depth_corner,
                1.0 - presence,
            ]),
        }
    }

    /// `B(s) = D_S + T·N_S`: `1 + T·S(s) = B/D_S`.
    fn loop_polynomial(&self) -> Polynomial {
        self.shelf_denominator()
            .add(&self.shelf_numerator().scale(self.loop_gain()))
    }

    /// Class-D filter inductance and capacitance (Butterworth into the nominal load).
    fn class_d_filter(&self) -> Option<(f64, f64)> {
        self.class_d_corner_hz.map(|corner| {
            let angular = std::f64::consts::TAU * corner;
            let resistance = self.nominal_ohms;
            (
                std::f64::consts::SQRT_2 * resistance / angular,
                1.0 / (std::f64::consts::SQRT_2 * resistance * angular),
            )
        })
    }

    /// Source impedance numerator `A(s)`, with `Z_src = A/B`.
    fn source_numerator(&self) -> Polynomial {
        let resistive = self.shelf_denominator().scale(self.open_loop_output_ohms);
        match self.class_d_filter() {
            Some((inductance, _)) => resistive.add(
                &Polynomial::from_coefficients(&[0.0, inductance])
                    .multiply(&self.loop_polynomial()),
            ),
            None => resistive,
        }
    }

    /// Closed-loop source impedance at `frequency_hz` (including a class-D inductor), ohms.
    pub fn source_impedance(&self, frequency_hz: f64) -> Complex64 {
        let s = Complex64::new(0.0, std::f64::consts::TAU * frequency_hz);
        self.source_numerator().evaluate(s) / self.loop_polynomial().evaluate(s)
    }

    /// Mid-band source resistance `Z_open/(1 + T)`, ohms.
    pub fn midband_source_ohms(&self) -> f64 {
        self.open_loop_output_ohms / self.feedback_ratio.max(1.0)
    }

    /// Damping factor in use: nominal load over the source impedance magnitude at 1 kHz.
    pub fn damping_factor(&self) -> f64 {
        self.nominal_ohms / self.source_impedance(1_000.0).norm().max(1.0e-9)
    }

    /// The normalisation `c` that makes a resistive nominal load unity gain in mid band.
    fn normalisation(&self) -> f64 {
        (self.nominal_ohms + self.midband_source_ohms()) / self.nominal_ohms
    }

    fn transformer_factor(&self, s: Complex64) -> Complex64 {
        match self.transformer {
            Some(bandwidth) => {
                let low = std::f64::consts::TAU * bandwidth.low_hz;
                let high = std::f64::consts::TAU * bandwidth.high_hz;
                s / (s + low) * high / (s + high)
            }
            None => Complex64::new(1.0, 0.0),
        }
    }

    fn divider(&self, load_impedance: Complex64, s: Complex64) -> Complex64 {
        let source = self.source_numerator().evaluate(s) / self.loop_polynomial().evaluate(s);
        let shunt = match self.class_d_filter() {
            Some((_, capacitance)) => s * capacitance,
            None => Complex64::new(0.0, 0.0),
        };
        self.normalisation() * load_impedance
            / (load_impedance + source + load_impedance * shunt * source)
    }

    /// Speaker voltage per unit of drive at `frequency_hz`, with the load's exact impedance
    /// (1 = the rated voltage into a resistive nominal load in mid band).
    pub fn response(&self, frequency_hz: f64) -> Complex64 {
        let s = Complex64::new(0.0, std::f64::consts::TAU * frequency_hz);
        self.divider(self.load.impedance(frequency_hz), s) * self.transformer_factor(s)
    }

    /// The same with the rational model of the load (what the filters realise).
    pub fn model_response(&self, frequency_hz: f64, load: &RationalImpedance) -> Complex64 {
        let s = Complex64::new(0.0, std::f64::consts::TAU * frequency_hz);
        self.divider(load.impedance.evaluate(s), s) * self.transformer_factor(s)
    }

    /// The closed-loop gain shape the presence and depth controls give the drive,
    /// `(1 + T)/(1 + T·S(s))` (1 in mid band with both at zero).
    pub fn drive_response(&self, frequency_hz: f64) -> Complex64 {
        let s = Complex64::new(0.0, std::f64::consts::TAU * frequency_hz);
        self.feedback_ratio * self.shelf_denominator().evaluate(s)
            / self.loop_polynomial().evaluate(s)
    }

    /// Poles, zeros and gain of [`NetworkDesign::drive_response`].
    pub fn drive_roots(&self) -> ZeroPoleGain {
        let denominator = self.shelf_denominator();
        let loop_polynomial = self.loop_polynomial();
        ZeroPoleGain {
            zeros: low_degree_roots(&denominator),
            poles: low_degree_roots(&loop_polynomial),
            gain: self.feedback_ratio * denominator.leading() / loop_polynomial.leading(),
        }
    }

    /// Poles, zeros and gain of the rational model of [`NetworkDesign::model_response`], for a
    /// load model `load` (which must be `self.load`'s).
    pub fn roots(&self, load: &RationalImpedance) -> ZeroPoleGain {
        let numerator_z = load.impedance.numerator;
        let denominator_z = load.impedance.denominator;
        let loop_polynomial = self.loop_polynomial();
        let source_numerator = self.source_numerator();
        let mut bracket = numerator_z
            .multiply(&loop_polynomial)
            .add(&source_numerator.multiply(&denominator_z));
        if let Some((_, capacitance)) = self.class_d_filter() {
            bracket = bracket.add(
                &Polynomial::from_coefficients(&[0.0, capacitance])
                    .multiply(&numerator_z)
                    .multiply(&source_numerator),
            );
        }
        let mut zeros = load.zeros;
        zeros.extend(&low_degree_roots(&loop_polynomial));
        let mut poles = bracket.roots();
        let mut gain = self.normalisation() * numerator_z.leading() * loop_polynomial.leading()
            / bracket.leading();
        if let Some(bandwidth) = self.transformer {
            let low = std::f64::consts::TAU * bandwidth.low_hz;
            let high = std::f64::consts::TAU * bandwidth.high_hz;
            zeros.push_real(0.0);
            poles.push_real(-low);
            poles.push_real(-high);
            gain *= high;
        }
        ZeroPoleGain { zeros, poles, gain }
    }

    /// Poles, zeros and gain of the load's admittance scaled by the nominal load, `R_nom/Z(s)`
    /// (the load current in rated units per unit of voltage), for a load model `load` — the
    /// meters and the supply use [`RationalImpedance::coarse_of`], whose ideal inductance keeps
    /// this to two sections (the current above a few kilohertz, where a speaker draws little
    /// power, is only approximate).
    pub fn admittance_roots(&self, load: &RationalImpedance) -> ZeroPoleGain {
        ZeroPoleGain {
            zeros: load.poles,
            poles: load.zeros,
            gain: self.nominal_ohms * load.impedance.denominator.leading()
                / load.impedance.numerator.leading(),
        }
    }
}

/// The network as two cascades: roots below [`SPLIT_HZ`] at the base rate, the rest at the
/// oversampled rate. The base-rate cascade keeps exactly as many zeros as poles (the highest
/// surplus roots move up), so its response is flat where warping would distort it, and the
/// oversampled one stays proper.
#[derive(Clone, Copy, Debug, Default)]
pub struct NetworkFilter {
    /// Oversampled-rate cascade.
    pub high: Cascade,
    /// Base-rate cascade.
    pub low: Cascade,
    low_sections: usize,
}

impl NetworkFilter {
    /// Designs from `roots` for the two rates, tracking the previous plan when the roots only moved
    /// (states kept), or planning afresh (states cleared) when `fresh` or the structure changed.
    pub fn design(&mut self, roots: &ZeroPoleGain, base_rate: f64, high_rate: f64, fresh: bool) {
        let split = std::f64::consts::TAU * SPLIT_HZ;
        let (mut low_zeros, mut low_poles, mut high_zeros, mut high_poles) = (
            RootSet::new(),
            RootSet::new(),
            RootSet::new(),
            RootSet::new(),
        );
        for zero in roots.zeros.iter() {
            if zero.norm() < split {
                low_zeros.push(*zero);
            } else {
                high_zeros.push(*zero);
            }
        }
        for pole in roots.poles.iter() {
            if pole.norm() < split {
                low_poles.push(*pole);
            } else {
                high_poles.push(*pole);
            }
        }
        // Balance the base-rate cascade by moving its highest roots of the more numerous kind to
        // the oversampled one: with as many zeros as poles, all below the split, its response is
        // flat above the split, where the bilinear transform's frequency warping would matter.
        while low_zeros.len() > low_poles.len() {
            move_highest(&mut low_zeros, &mut high_zeros);
        }
        while low_poles.len() > low_zeros.len() {
            move_highest(&mut low_poles, &mut high_poles);
        }

        let tracked = if fresh
            || self.low.plan().sections().is_empty() && self.high.plan().sections().is_empty()
        {
            None
        } else {
            // Track over both cascades at once, so a root may only move within its cascade's slots
            // if it stays nearest to them.
            let combined = combine(self.low.plan(), self.high.plan());
            let mut all_zeros = low_zeros;
            all_zeros.extend(&high_zeros);
            let mut all_poles = low_poles;
            all_poles.extend(&high_poles);
            combined
                .tracked(&all_zeros, &all_poles)
                .map(|plan| split_plan(&plan, self.low_sections))
        };
        let (low_plan, high_plan) = match tracked {
            Some(plans) => plans,
            None => {
                self.low.reset();
                self.high.reset();
                (
                    CascadePlan::fresh(&low_zeros, &low_poles),
                    CascadePlan::fresh(&high_zeros, &high_poles),
                )
            }
        };
        self.low_sections = low_plan.sections().len();
        self.low.set_plan(low_plan, 1.0, base_rate);
        self.high
            .set_plan_matched_at(high_plan, roots.gain, high_rate, Some(HIGH_MATCH_HZ));
    }

    /// Clears both cascades' states.
    pub fn reset(&mut self) {
        self.low.reset();
        self.high.reset();
    }

    /// Digital response of both cascades together at `frequency_hz`.
    pub fn response(&self, frequency_hz: f64) -> Complex64 {
        self.low.response(frequency_hz) * self.high.response(frequency_hz)
    }
}

/// Roots of a polynomial of degree 0, 1 or 2 in closed form.
fn low_degree_roots(polynomial: &Polynomial) -> RootSet {
    let mut roots = RootSet::new();
    match polynomial.degree() {
        0 => {}
        1 => roots.push_real(-polynomial.coefficient(0) / polynomial.coefficient(1)),
        2 => roots.push_quadratic(
            polynomial.coefficient(2),
            polynomial.coefficient(1),
            polynomial.coefficient(0),
        ),
        _ => roots = polynomial.roots(),
    }
    roots
}

/// Moves the root of largest magnitude (with its conjugate) from `from` to `to`.
fn move_highest(from: &mut RootSet, to: &mut RootSet) {
    let Some(highest) = from
        .iter()
        .copied()
        .max_by(|left, right| left.norm().total_cmp(&right.norm()))
    else {
        return;
    };
    let mut kept = RootSet::new();
    for root in from.iter() {
        let is_highest = (root - highest).norm() <= 1.0e-12 * highest.norm()
            || (root - highest.conj()).norm() <= 1.0e-12 * highest.norm();
        if is_highest {
            to.push(*root);
        } else {
            kept.push(*root);
        }
    }
    *from = kept;
}

fn combine(low: &CascadePlan, high: &CascadePlan) -> CascadePlan {
    let mut sections = [SectionRoots {
        poles: [Complex64::new(0.0, 0.0); 2],
        pole_count: 0,
        zeros: [Complex64::new(0.0, 0.0); 2],
        zero_count: 0,
    }; MAX_SECTIONS];
    let mut count = 0;
    for section in low.sections().iter().chain(high.sections()) {
        if count < MAX_SECTIONS {
            sections[count] = *section;
            count += 1;
        }
    }
    CascadePlan::from_sections(&sections[..count])
}

fn split_plan(plan: &CascadePlan, low_sections: usize) -> (CascadePlan, CascadePlan) {
    let sections = plan.sections();
    let low_sections = low_sections.min(sections.len());
    (
        CascadePlan::from_sections(&sections[..low_sections]),
        CascadePlan::from_sections(&sections[low_sections..]),
    )
}
