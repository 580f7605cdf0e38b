//! Power-amplifier output stages that clip against their supply: push-pull class AB, single-ended
//! class A and solid-state rails, each a solved circuit played with first-order ADAA.
//!
//! Scaling, shared by all three: `process_sample` takes the output voltage the amplifier is asked
//! to deliver (volts at the speaker terminals; the plugin multiplies its input by the amp's gain)
//! and returns the voltage it actually delivers. The rail parameter is the rated peak voltage
//! `V_rail = √(2·P·R)` (100 W into 8 Ω → 40 V), and each stage is scaled so that a sine of peak
//! `V_rail` comes out with exactly 1 % THD (harmonics 2–10) and a fundamental of peak `V_rail`:
//! the amp delivers its rated power at 1 % THD, 1 kHz, as DESIGN.md defines the rating. How far
//! beyond that the output can still go (the hard ceiling, as a fraction of `V_rail`) is a property
//! of each circuit, reported by [`RailClipper::ceiling_fraction`]:
//!
//! * [`PushPullStage`]: two 6L6GC beam tetrodes (Koren's pentode law, screen at 450 V) in class AB,
//!   fixed bias for 25 mA idle each, 4 kΩ plate-to-plate on 450 V, inside 16 dB of global
//!   feedback. The composite load line of the output transformer (`v = (Raa/4)·(Ia − Ib)`, plate A
//!   at `B+ − v`, plate B at `B+ + v`) is solved per grid drive. Near zero both tubes conduct at
//!   low current and the pair's transconductance dips (about 7 % below its peak: the class-AB
//!   crossover region), further out one tube takes over; the transfer is odd-symmetric (odd
//!   harmonics only) and clips as the conducting plate runs into the knee of its characteristic.
//!   THD: about 0.1 % at a tenth of the rail, 0.5–0.7 % from 0.3 to 0.7 of it (crossover and
//!   curvature), 1 % at the rail, about 7 % at 1.2× the rail; ceiling about 1.02 × the rail.
//! * [`SingleEndedStage`]: one 300B in class A at 350 V / 60 mA into a 3.5 kΩ transformer load,
//!   the load line `Vp = B+ − (Ip − Iq)·R_L`, inside 12 dB of global feedback. The curved triode
//!   law gives mostly 2nd harmonic below clipping (H2 about 10 dB above H3 at the rail, 17 dB at
//!   half of it); one side clips hard at cutoff (Ip → 0: about 1.2 × the rail below zero), the
//!   other softly as the plate bottoms out (about 2 × the rail above zero).
//! * [`SolidStateStage`]: a feedback amplifier (loop gain 100, 40 dB) around a complementary
//!   output stage with an optional class-AB crossover dip (gain `1 − d` within ±w of zero) and a
//!   rail limit (Rapp smoothness 1, which the loop makes into a hard but continuous knee), solved
//!   like the op-amp stage: THD about 0.04 % at 1 % of the rail (crossover), 0.007 % at 10 %,
//!   0.04 % at half the rail, 0.36 % at 0.9, 1 % at the rail, 7 % at 1.2×; ceiling about 1.01 ×
//!   the rail.
//!
//! Koren's constants: 300B triode μ = 3.95, Ex = 1.4, Kg1 = 1550, Kp = 65, Kvb = 300; 6L6GC pentode
//! μ = 8.7, Ex = 1.35, Kg1 = 1460, Kp = 48, Kvb = 12. The grids are assumed driven from a low
//! impedance (AB2-style), so no grid-current limit is modelled here. Global feedback is solved
//! exactly (`y = c((L/c'(0))·(u − y))`, [`closed_loop`]) into the table, like the op-amp's loop.

use super::adaa::{Adaa, TabulatedCurve};
use super::solve::{clip_amplitude, closed_loop, root_of_increasing, static_thd};
use super::triode::KorenTriode;
use crate::Processor;
use crate::guard::sanitize;

/// THD at which the stage delivers its rated (rail) voltage: 1 %.
pub const RATING_THD: f64 = 0.01;

/// A static clipping curve in circuit units, calibrated to a rail, with ADAA state.
///
/// The three power stages are this type with different circuits behind the curve.
#[derive(Clone, Debug)]
pub struct RailClipper {
    curve: TabulatedCurve,
    clip_input: f64,
    clip_fundamental: f64,
    ceiling_positive: f64,
    ceiling_negative: f64,
    rail_voltage: f64,
    input_scale: f64,
    output_scale: f64,
    adaa: Adaa,
}

impl RailClipper {
    /// Tabulates `circuit` (drive in circuit units → output in circuit units, 0 → 0) on
    /// `[−range, range]`, finds its 1 %-THD drive by a search down from `range / 2`, and scales it to
    /// `rail_voltage`.
    fn calibrated(
        circuit: impl Fn(f64) -> f64,
        range: f64,
        segments: usize,
        rail_voltage: f64,
    ) -> Self {
        Self::from_curve(
            TabulatedCurve::from_function(circuit, -range, range, segments),
            rail_voltage,
        )
    }

    /// Like [`RailClipper::calibrated`], with global negative feedback of `feedback_db` around the
    /// circuit: `y = c((L/c'(0))·(u − y))`, `L = 10^(feedback/20) − 1`, `u` in output units.
    fn calibrated_with_feedback(
        circuit: impl Fn(f64) -> f64,
        range: f64,
        segments: usize,
        feedback_db: f64,
        rail_voltage: f64,
    ) -> Self {
        let open_loop = TabulatedCurve::from_function(circuit, -range, range, segments);
        let loop_gain = 10.0_f64.powf(feedback_db.max(0.0) / 20.0) - 1.0;
        if loop_gain <= 0.0 {
            return Self::from_curve(open_loop, rail_voltage);
        }
        let slope = open_loop.slope(0.0);
        let bound = open_loop
            .value(range)
            .abs()
            .max(open_loop.value(-range).abs());
        let forward =
            |error: f64| open_loop.value((error * loop_gain / slope).clamp(-range, range));
        // The closed loop needs (1 + L)× the open loop's drive to clip: cover 4× its output range.
        let closed = TabulatedCurve::from_function(
            |ideal| closed_loop(forward, 1.0, ideal, bound),
            -4.0 * bound,
            4.0 * bound,
            segments,
        );
        Self::from_curve(closed, rail_voltage)
    }

    fn from_curve(curve: TabulatedCurve, rail_voltage: f64) -> Self {
        let range = curve.input_max();
        let clip_input = clip_amplitude(
            |drive| curve.value(drive),
            RATING_THD,
            range * 1.0e-4,
            range / 2.0,
        );
        let (_, clip_fundamental) = static_thd(|drive| curve.value(drive), clip_input);
        let ceiling_positive = curve.value(range);
        let ceiling_negative = curve.value(-range);
        let mut clipper = Self {
            curve,
            clip_input,
            clip_fundamental,
            ceiling_positive,
            ceiling_negative,
            rail_voltage,
            input_scale: 0.0,
            output_scale: 0.0,
            adaa: Adaa::default(),
        };
        clipper.set_rail_voltage(rail_voltage as f32);
        clipper.reset();
        clipper
    }

    /// Sets the rated peak voltage `√(2PR)`, volts; cheap, allowed on the audio thread (supply sag).
    pub fn set_rail_voltage(&mut self, rail_voltage: f32) {
        let rail = f64::from(rail_voltage).max(1.0e-3);
        self.rail_voltage = rail;
        self.input_scale = self.clip_input / rail;
        self.output_scale = rail / self.clip_fundamental;
    }

    /// The rated peak voltage in force, volts.
    pub fn rail_voltage(&self) -> f64 {
        self.rail_voltage
    }

    /// Largest output the stage can reach, as a fraction of the rail, on the positive and the
    /// negative side (for the drive range the table covers; it is flat or nearly so beyond).
    pub fn ceiling_fraction(&self) -> (f64, f64) {
        (
            self.ceiling_positive / self.clip_fundamental,
            -self.ceiling_negative / self.clip_fundamental,
        )
    }

    /// Small-signal gain (volts out per volt asked) at rest.
    pub fn small_signal_gain(&self) -> f64 {
        self.curve.slope(0.0) * self.clip_input / self.clip_fundamental
    }

    /// The curve in circuit units.
    pub fn curve(&self) -> &TabulatedCurve {
        &self.curve
    }

    fn reset(&mut self) {
        self.adaa.settle(&self.curve, 0.0);
    }

    #[inline]
    fn process(&mut self, input: f32) -> f32 {
        let drive = f64::from(sanitize(input)) * self.input_scale;
        (self.adaa.process(&self.curve, drive) * self.output_scale) as f32
    }
}

/// Drive range (grid volts) of the tube stages' tables.
const TUBE_DRIVE_RANGE: f64 = 600.0;
/// Segments of the tube stages' tables (0.29 V steps of grid drive).
const TUBE_SEGMENTS: usize = 4096;

/// Koren's pentode plate-current model (Koren, Glass Audio 1996), screen at a fixed voltage:
/// `E1 = (Vg2/Kp)·ln(1 + exp(Kp·(1/μ + Vg1/√(Kvb + Vg2²))))`,
/// `Ip = (E1^Ex / Kg1)·(1 + sgn E1)·atan(Vp/Kvb)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KorenPentode {
    /// Amplification factor μ (grid 1 to screen).
    pub amplification: f64,
    /// Exponent Ex.
    pub exponent: f64,
    /// Kg1, inverse perveance to the plate.
    pub kg1: f64,
    /// Kp, sharpness near cutoff.
    pub kp: f64,
    /// Kvb, knee of the plate characteristic, volts.
    pub kvb: f64,
}

impl KorenPentode {
    /// 6L6GC: μ = 8.7, Ex = 1.35, Kg1 = 1460, Kp = 48, Kvb = 12 (Koren's published set).
    pub const SIX_L_SIX_GC: Self = Self {
        amplification: 8.7,
        exponent: 1.35,
        kg1: 1460.0,
        kp: 48.0,
        kvb: 12.0,
    };

    /// Plate current in amperes for grid-1, screen and plate voltages (to cathode) in volts.
    pub fn plate_current(&self, grid: f64, screen: f64, plate: f64) -> f64 {
        let drive =
            self.kp * (1.0 / self.amplification + grid / (self.kvb + screen * screen).sqrt());
        let softplus = if drive > 40.0 {
            drive
        } else {
            drive.exp().ln_1p()
        };
        let e1 = screen / self.kp * softplus;
        if e1 > 0.0 && plate > 0.0 {
            2.0 * e1.powf(self.exponent) / self.kg1 * (plate / self.kvb).atan()
        } else {
            0.0
        }
    }
}

/// Component values of the push-pull output stage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PushPullCircuit {
    /// The output tubes.
    pub tube: KorenPentode,
    /// Screen-grid supply, volts.
    pub screen_voltage: f64,
    /// Plate supply, volts.
    pub supply_voltage: f64,
    /// Plate-to-plate load reflected by the output transformer, ohms.
    pub plate_to_plate_load: f64,
    /// Idle plate current per tube, amperes (sets the class-AB bias).
    pub idle_current: f64,
    /// Global negative feedback from the output back to the driver, dB (0 = none).
    pub feedback_db: f64,
}

impl PushPullCircuit {
    /// Two 6L6GC at 450 V plate and screen into 4 kΩ plate-to-plate, 25 mA idle each (class AB,
    /// bias about −52 V), with 16 dB of global feedback.
    pub fn six_l_six_class_ab() -> Self {
        Self {
            tube: KorenPentode::SIX_L_SIX_GC,
            screen_voltage: 450.0,
            supply_voltage: 450.0,
            plate_to_plate_load: 4000.0,
            idle_current: 0.025,
            feedback_db: 16.0,
        }
    }

    /// Fixed grid bias giving the idle current at the supply voltage, volts.
    pub fn grid_bias(&self) -> f64 {
        root_of_increasing(
            |grid| {
                self.tube
                    .plate_current(grid, self.screen_voltage, self.supply_voltage)
                    - self.idle_current
            },
            -self.supply_voltage,
            0.0,
        )
    }

    /// Half-primary voltage for a grid drive (each grid at bias ± drive), volts.
    pub fn output_voltage(&self, grid_bias: f64, drive: f64) -> f64 {
        let quarter_load = self.plate_to_plate_load / 4.0;
        root_of_increasing(
            |swing| {
                let pushing = self.tube.plate_current(
                    grid_bias + drive,
                    self.screen_voltage,
                    self.supply_voltage - swing,
                );
                let pulling = self.tube.plate_current(
                    grid_bias - drive,
                    self.screen_voltage,
                    self.supply_voltage + swing,
                );
                swing - quarter_load * (pushing - pulling)
            },
            -self.supply_voltage,
            self.supply_voltage,
        )
    }
}

/// Push-pull class-AB tube output stage.
#[derive(Clone, Debug)]
pub struct PushPullStage {
    circuit: PushPullCircuit,
    clipper: RailClipper,
}

impl PushPullStage {
    /// The 6L6GC class-AB pair ([`PushPullCircuit::six_l_six_class_ab`]) rated at
    /// `rail_voltage` peak volts.
    pub fn new(rail_voltage: f32) -> Self {
        Self::with_circuit(PushPullCircuit::six_l_six_class_ab(), rail_voltage)
    }

    /// A push-pull stage with explicit component values.
    pub fn with_circuit(circuit: PushPullCircuit, rail_voltage: f32) -> Self {
        let bias = circuit.grid_bias();
        let clipper = RailClipper::calibrated_with_feedback(
            |drive| circuit.output_voltage(bias, drive),
            TUBE_DRIVE_RANGE,
            TUBE_SEGMENTS,
            circuit.feedback_db,
            f64::from(rail_voltage),
        );
        Self { circuit, clipper }
    }

    /// The component values.
    pub fn circuit(&self) -> &PushPullCircuit {
        &self.circuit
    }

    /// The calibrated curve and its rail scaling.
    pub fn clipper(&self) -> &RailClipper {
        &self.clipper
    }

    /// Sets the rated peak voltage, volts (cheap).
    pub fn set_rail_voltage(&mut self, rail_voltage: f32) {
        self.clipper.set_rail_voltage(rail_voltage);
    }
}

/// Component values of the single-ended output stage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SingleEndedCircuit {
    /// The output tube.
    pub tube: KorenTriode,
    /// Plate supply (the plate's DC voltage through the transformer primary), volts.
    pub supply_voltage: f64,
    /// Load reflected by the output transformer, ohms.
    pub load: f64,
    /// Idle plate current, amperes.
    pub idle_current: f64,
    /// Global negative feedback from the output back to the driver, dB (0 = none).
    pub feedback_db: f64,
}

impl SingleEndedCircuit {
    /// A 300B at 350 V, 60 mA into 3.5 kΩ, with 12 dB of global feedback.
    pub fn three_hundred_b_class_a() -> Self {
        Self {
            tube: KorenTriode::THREE_HUNDRED_B,
            supply_voltage: 350.0,
            load: 3500.0,
            idle_current: 0.060,
            feedback_db: 12.0,
        }
    }

    /// Fixed grid bias giving the idle current at the supply voltage, volts.
    pub fn grid_bias(&self) -> f64 {
        root_of_increasing(
            |grid| self.tube.plate_current(grid, self.supply_voltage) - self.idle_current,
            -self.supply_voltage,
            0.0,
        )
    }

    /// Output voltage `(Ip − Iq)·R_L` (the plate swing, sign flipped by the transformer) for a grid
    /// drive around the bias, volts.
    pub fn output_voltage(&self, grid_bias: f64, drive: f64) -> f64 {
        let plate = root_of_increasing(
            |plate| {
                plate - self.supply_voltage
                    + (self.tube.plate_current(grid_bias + drive, plate) - self.idle_current)
                        * self.load
            },
            0.0,
            self.supply_voltage + self.idle_current * self.load,
        );
        self.supply_voltage - plate
    }
}

/// Single-ended class-A tube output stage.
#[derive(Clone, Debug)]
pub struct SingleEndedStage {
    circuit: SingleEndedCircuit,
    clipper: RailClipper,
}

impl SingleEndedStage {
    /// The 300B class-A stage ([`SingleEndedCircuit::three_hundred_b_class_a`]) rated at
    /// `rail_voltage` peak volts.
    pub fn new(rail_voltage: f32) -> Self {
        Self::with_circuit(SingleEndedCircuit::three_hundred_b_class_a(), rail_voltage)
    }

    /// A single-ended stage with explicit component values.
    pub fn with_circuit(circuit: SingleEndedCircuit, rail_voltage: f32) -> Self {
        let bias = circuit.grid_bias();
        let clipper = RailClipper::calibrated_with_feedback(
            |drive| circuit.output_voltage(bias, drive),
            TUBE_DRIVE_RANGE,
            TUBE_SEGMENTS,
            circuit.feedback_db,
            f64::from(rail_voltage),
        );
        Self { circuit, clipper }
    }

    /// The component values.
    pub fn circuit(&self) -> &SingleEndedCircuit {
        &self.circuit
    }

    /// The calibrated curve and its rail scaling.
    pub fn clipper(&self) -> &RailClipper {
        &self.clipper
    }

    /// Sets the rated peak voltage, volts (cheap).
    pub fn set_rail_voltage(&mut self, rail_voltage: f32) {
        self.clipper.set_rail_voltage(rail_voltage);
    }
}

/// Design values of the solid-state output stage (in rail units).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SolidStateSettings {
    /// Loop gain of the global feedback (open-loop gain × feedback fraction).
    pub loop_gain: f64,
    /// Depth `d` of the class-AB transconductance dip at zero crossing (0 = none, < 1).
    pub crossover_depth: f64,
    /// Half-width `w` of the crossover region, as a fraction of the rail.
    pub crossover_width: f64,
    /// Rapp smoothness of the rail limit (1 = soft alone; inside the loop the knee is hard).
    pub rail_smoothness: f64,
}

impl SolidStateSettings {
    /// 40 dB of feedback, a slight crossover (gain dips by 30 % within ±0.5 % of the rail), a
    /// smoothness-1 rail limit (made hard by the loop).
    pub fn class_ab() -> Self {
        Self {
            loop_gain: 100.0,
            crossover_depth: 0.3,
            crossover_width: 0.005,
            rail_smoothness: 1.0,
        }
    }

    /// Output stage in rail units: the crossover dip `v − d·w·tanh(v/w)` (two followers handing
    /// over), then the rail limit `x/(1 + |x|^(2p))^(1/(2p))` (Rapp).
    pub fn output_stage(&self, drive: f64) -> f64 {
        let depth = self.crossover_depth.clamp(0.0, 0.99);
        let width = self.crossover_width.max(1.0e-6);
        let handed_over = drive - depth * width * (drive / width).tanh();
        let exponent = 2.0 * self.rail_smoothness.max(0.5);
        handed_over / (1.0 + handed_over.abs().powf(exponent)).powf(1.0 / exponent)
    }
}

/// Normalised drive range of the solid-state table (rail units).
const SOLID_STATE_RANGE: f64 = 4.0;
/// Segments of the solid-state table (0.002 steps).
const SOLID_STATE_SEGMENTS: usize = 4096;

/// Solid-state output stage: clean until close to the rail, then a hard but continuous clip.
#[derive(Clone, Debug)]
pub struct SolidStateStage {
    settings: SolidStateSettings,
    clipper: RailClipper,
}

impl SolidStateStage {
    /// The class-AB amplifier ([`SolidStateSettings::class_ab`]) rated at `rail_voltage` peak volts.
    pub fn new(rail_voltage: f32) -> Self {
        Self::with_settings(SolidStateSettings::class_ab(), rail_voltage)
    }

    /// A solid-state stage with explicit settings.
    pub fn with_settings(settings: SolidStateSettings, rail_voltage: f32) -> Self {
        let clipper = RailClipper::calibrated(
            |drive| {
                closed_loop(
                    |inner| settings.output_stage(inner),
                    settings.loop_gain,
                    drive,
                    1.0,
                )
            },
            SOLID_STATE_RANGE,
            SOLID_STATE_SEGMENTS,
            f64::from(rail_voltage),
        );
        Self { settings, clipper }
    }

    /// The settings in force.
    pub fn settings(&self) -> &SolidStateSettings {
        &self.settings
    }

    /// The calibrated curve and its rail scaling.
    pub fn clipper(&self) -> &RailClipper {
        &self.clipper
    }

    /// Sets the rated peak voltage, volts (cheap).
    pub fn set_rail_voltage(&mut self, rail_voltage: f32) {
        self.clipper.set_rail_voltage(rail_voltage);
    }
}

macro_rules! rail_clipper_processor {
    ($stage:ty) => {
        impl Processor for $stage {
            fn prepare(&mut self, _sample_rate: f32, _max_block: usize) {
                self.clipper.reset();
            }

            fn reset(&mut self) {
                self.clipper.reset();
            }

            #[inline]
            fn process_sample(&mut self, input: f32) -> f32 {
                self.clipper.process(input)
            }
        }
    };
}

rail_clipper_processor!(PushPullStage);
rail_clipper_processor!(SingleEndedStage);
rail_clipper_processor!(SolidStateStage);
