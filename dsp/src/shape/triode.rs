//! A 12AX7 common-cathode stage: Koren plate current on a 100 kΩ load line, grid conduction
//! through the grid stopper, and the coupling-capacitor bias shift that makes a driven tube "bloom".
//!
//! Circuit (all values in [`TriodeCircuit`]):
//!
//! ```text
//!  source ──┤├── A ──[68 kΩ stopper]── grid        plate ── 100 kΩ ── B+ 250 V
//!          22 nF │                         ╲ (grid diode to cathode)  │
//!              1 MΩ grid leak              cathode ── 1.5 kΩ ∥ bypass  └──┤├── out (22 nF into 1 MΩ)
//!                │                            │
//!               GND                          GND
//! ```
//!
//! * Plate current: Koren, "Improved VT models for SPICE simulations", Glass Audio 1996:
//!   `E1 = (Vpk/Kp)·ln(1 + exp(Kp·(1/μ + Vgk/√(Kvb + Vpk²))))`, `Ip = (E1^Ex / Kg1)·(1 + sgn E1)`,
//!   with the 12AX7 constants μ = 100, Ex = 1.4, Kg1 = 1060, Kp = 600, Kvb = 300.
//! * Grid current: Dempwolf & Zölzer, "A physically-motivated triode model for circuit
//!   simulations", DAFx-11: `Ig = Gg·(ln(1 + exp(Cg·Vgk))/Cg)^ξ`, 12AX7 fit Gg = 6.177e−4 A,
//!   ξ = 1.314, Cg = 9.901 /V (the constant leakage term Ig0 ≈ 8e−8 A is left out). Above
//!   Vgk ≈ 0 V this is a diode of about 1.6 kΩ at 1 V, which against the 68 kΩ stopper clips the
//!   positive grid swing softly.
//! * Bias: the cathode resistor is bypassed, so the cathode sits at the DC voltage
//!   `Vk = Ip_q·Rk` of the quiescent point, found by solving `Ip = Ip(−Ip·Rk, B+ − Ip·(Rp + Rk))`.
//! * Static transfer, solved at construction over a grid of node-A voltages: the grid voltage from
//!   `Va − Vg = Rs·Ig(Vg − Vk)`, then the plate voltage from the load line
//!   `Vp = B+ − Rp·Ip(Vg − Vk, Vp − Vk)`, both by bisection. The table holds `Vp − Vp_q` (the AC
//!   plate signal) as a [`TabulatedCurve`] and is played with first-order ADAA.
//! * Bloom: the coupling capacitor is the one state, `dVc/dt = (Va/Rg + Ig(Va))/Cc` with
//!   `Va = Vsource − Vc`, updated per sample (forward Euler, stable for any rate above 1 kHz). While
//!   the grid conducts it charges through stopper + grid diode, τ ≈ (68 kΩ + ~1.6 kΩ)·22 nF ≈ 1.5 ms
//!   (scaled by the conducting fraction of each cycle); it discharges through the grid leak,
//!   τ = 1 MΩ·22 nF = 22 ms. The charge shifts the grid negative in step with the drive: the bias
//!   moves toward cutoff, the even-harmonic balance and the gain change, then recover.
//!
//! Scaling: `process_sample` takes the source voltage in units of `1/drive` volts (the stage
//! multiplies by [`TriodeStage::set_drive`]'s volts per unit) and returns the AC plate voltage in
//! volts, after the output coupling capacitor (22 nF into the next stage's 1 MΩ grid leak, a
//! 7.2 Hz high-pass). The stage inverts, like the real one: positive grid swing pulls the plate
//! down. Small-signal gain is about −60 (35.6 dB); see [`TriodeStage::small_signal_gain`].
//!
//! Cost on the audio path: one ADAA table step, the grid current read from a companion table on
//! the same grid point (linear per segment, no second search), and two one-pole updates; no
//! `exp`/`ln`, no branch but ADAA's ill-conditioned test.

use super::adaa::{Adaa, GridPoint, TabulatedCurve};
use super::solve::root_of_increasing;
use crate::Processor;

/// Koren's triode plate-current model (Koren, Glass Audio 1996).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KorenTriode {
    /// Amplification factor μ.
    pub amplification: f64,
    /// Exponent Ex of the 3/2-like power law.
    pub exponent: f64,
    /// Kg1, inverse perveance (V^Ex per A).
    pub kg1: f64,
    /// Kp, sharpness of the transition near cutoff.
    pub kp: f64,
    /// Kvb, knee of the plate-voltage dependence (V²).
    pub kvb: f64,
}

impl KorenTriode {
    /// 12AX7 / ECC83: μ = 100, Ex = 1.4, Kg1 = 1060, Kp = 600, Kvb = 300 (Koren 1996).
    pub const TWELVE_AX7: Self = Self {
        amplification: 100.0,
        exponent: 1.4,
        kg1: 1060.0,
        kp: 600.0,
        kvb: 300.0,
    };

    /// 300B power triode: μ = 3.95, Ex = 1.4, Kg1 = 1550, Kp = 65, Kvb = 300 (Koren's model set).
    pub const THREE_HUNDRED_B: Self = Self {
        amplification: 3.95,
        exponent: 1.4,
        kg1: 1550.0,
        kp: 65.0,
        kvb: 300.0,
    };

    /// Plate current in amperes for grid–cathode and plate–cathode voltages in volts.
    pub fn plate_current(&self, grid_cathode: f64, plate_cathode: f64) -> f64 {
        let drive = self.kp
            * (1.0 / self.amplification
                + grid_cathode / (self.kvb + plate_cathode * plate_cathode).sqrt());
        let e1 = plate_cathode / self.kp * softplus(drive);
        if e1 > 0.0 {
            2.0 * e1.powf(self.exponent) / self.kg1
        } else {
            0.0
        }
    }
}

/// Grid-current model of Dempwolf & Zölzer (DAFx-11): a soft diode from grid to cathode.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GridDiode {
    /// Gg, current scale in amperes.
    pub scale: f64,
    /// ξ, exponent of the conduction law.
    pub exponent: f64,
    /// Cg, sharpness of the onset in 1/V.
    pub sharpness: f64,
}

impl GridDiode {
    /// 12AX7 fit: Gg = 6.177e−4 A, ξ = 1.314, Cg = 9.901 /V.
    pub const TWELVE_AX7: Self = Self {
        scale: 6.177e-4,
        exponent: 1.314,
        sharpness: 9.901,
    };

    /// Grid current in amperes for a grid–cathode voltage in volts.
    pub fn current(&self, grid_cathode: f64) -> f64 {
        self.scale * (softplus(self.sharpness * grid_cathode) / self.sharpness).powf(self.exponent)
    }
}

/// Rounds magnitudes below about 1e−36 to zero (adding and removing a small constant), so decaying
/// states never reach the slow subnormal range; two instructions, no branch.
#[inline]
pub(crate) fn flush_tiny(state: f64) -> f64 {
    (state + 1.0e-20) - 1.0e-20
}

/// `ln(1 + eˣ)` without overflow.
fn softplus(x: f64) -> f64 {
    if x > 40.0 { x } else { x.exp().ln_1p() }
}

/// Component values of the common-cathode stage (ohms, farads, volts).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TriodeCircuit {
    /// The tube's plate-current model.
    pub tube: KorenTriode,
    /// The tube's grid-current model.
    pub grid_diode: GridDiode,
    /// B+ supply, volts.
    pub supply_voltage: f64,
    /// Plate load resistor, ohms.
    pub plate_resistor: f64,
    /// Cathode resistor (bypassed), ohms.
    pub cathode_resistor: f64,
    /// Grid stopper plus source resistance between node A and the grid, ohms.
    pub grid_stopper: f64,
    /// Grid leak from node A to ground, ohms.
    pub grid_leak: f64,
    /// Input coupling capacitor, farads.
    pub coupling_capacitor: f64,
    /// Output coupling capacitor, farads.
    pub output_coupling_capacitor: f64,
    /// Grid leak of the next stage that the output capacitor drives, ohms.
    pub next_grid_leak: f64,
}

impl TriodeCircuit {
    /// The classic 12AX7 stage: 250 V, 100 kΩ plate, 1.5 kΩ bypassed cathode, 68 kΩ stopper,
    /// 22 nF into 1 MΩ at the input and at the output.
    pub fn twelve_ax7_common_cathode() -> Self {
        Self {
            tube: KorenTriode::TWELVE_AX7,
            grid_diode: GridDiode::TWELVE_AX7,
            supply_voltage: 250.0,
            plate_resistor: 100.0e3,
            cathode_resistor: 1.5e3,
            grid_stopper: 68.0e3,
            grid_leak: 1.0e6,
            coupling_capacitor: 22.0e-9,
            output_coupling_capacitor: 22.0e-9,
            next_grid_leak: 1.0e6,
        }
    }

    /// Release time constant of the bias shift: grid leak × coupling capacitor, seconds.
    pub fn bias_release_time(&self) -> f64 {
        self.grid_leak * self.coupling_capacitor
    }
}

/// The DC operating point of the stage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuiescentPoint {
    /// Plate current, amperes.
    pub plate_current: f64,
    /// Cathode voltage (the bias), volts.
    pub cathode_voltage: f64,
    /// Plate voltage, volts.
    pub plate_voltage: f64,
}

impl TriodeCircuit {
    /// Solves the self-biased operating point.
    pub fn quiescent_point(&self) -> QuiescentPoint {
        let total_resistance = self.plate_resistor + self.cathode_resistor;
        let plate_current = root_of_increasing(
            |current| {
                current
                    - self.tube.plate_current(
                        -current * self.cathode_resistor,
                        self.supply_voltage - current * total_resistance,
                    )
            },
            0.0,
            self.supply_voltage / total_resistance,
        );
        QuiescentPoint {
            plate_current,
            cathode_voltage: plate_current * self.cathode_resistor,
            plate_voltage: self.supply_voltage - plate_current * self.plate_resistor,
        }
    }

    /// Grid voltage (to ground) for a node-A voltage, with grid conduction through the stopper.
    pub fn grid_voltage(&self, node_voltage: f64, cathode_voltage: f64) -> f64 {
        root_of_increasing(
            |grid| {
                grid + self.grid_stopper * self.grid_diode.current(grid - cathode_voltage)
                    - node_voltage
            },
            node_voltage.min(cathode_voltage) - 10.0,
            node_voltage,
        )
    }

    /// Plate voltage (to ground) on the load line for a grid voltage (to ground).
    pub fn plate_voltage(&self, grid_voltage: f64, cathode_voltage: f64) -> f64 {
        root_of_increasing(
            |plate| {
                plate
                    + self.plate_resistor
                        * self
                            .tube
                            .plate_current(grid_voltage - cathode_voltage, plate - cathode_voltage)
                    - self.supply_voltage
            },
            cathode_voltage,
            self.supply_voltage,
        )
    }
}

/// Input range of the transfer table (node-A volts); beyond it the plate is flat (cutoff below,
/// grid conduction holding the grid above), so the node voltage is clamped there (the top end
/// to half a grid step below it, [`TabulatedCurve::in_range_max`]).
const NODE_RANGE: (f64, f64) = (-64.0, 96.0);
/// Segments of the transfer table: 0.078 V steps.
const TRANSFER_SEGMENTS: usize = 2048;
/// Grid current below this is ignored on the audio path (amperes).
const CONDUCTION_FLOOR: f64 = 1.0e-9;

/// The 12AX7 common-cathode stage with grid conduction, bias shift and ADAA.
#[derive(Clone, Debug)]
pub struct TriodeStage {
    circuit: TriodeCircuit,
    quiescent: QuiescentPoint,
    transfer: TabulatedCurve,
    /// Grid current per transfer segment: `[amperes at the segment start, change across it]`.
    grid_current: Vec<[f64; 2]>,
    small_signal_gain: f64,
    /// Highest node voltage on the audio path: the table's [`TabulatedCurve::in_range_max`].
    node_max: f64,
    drive: f64,
    // Per-rate coefficients.
    step_per_capacitance: f64,
    grid_leak_conductance: f64,
    output_pole: f64,
    // State.
    adaa: Adaa,
    coupling_voltage: f64,
    previous_plate: f64,
    output: f64,
}

impl TriodeStage {
    /// The standard 12AX7 stage ([`TriodeCircuit::twelve_ax7_common_cathode`]), drive 1 V per
    /// unit, prepared for 192 kHz (call `prepare` with the real oversampled rate).
    pub fn twelve_ax7() -> Self {
        Self::with_circuit(TriodeCircuit::twelve_ax7_common_cathode())
    }

    /// A stage with the given component values. Solves and tabulates the transfer (a few ms).
    pub fn with_circuit(circuit: TriodeCircuit) -> Self {
        let quiescent = circuit.quiescent_point();
        let cathode = quiescent.cathode_voltage;
        let transfer = TabulatedCurve::from_function(
            |node| {
                let grid = circuit.grid_voltage(node, cathode);
                circuit.plate_voltage(grid, cathode) - quiescent.plate_voltage
            },
            NODE_RANGE.0,
            NODE_RANGE.1,
            TRANSFER_SEGMENTS,
        );
        let grid_current_at =
            |node: f64| (node - circuit.grid_voltage(node, cathode)) / circuit.grid_stopper;
        // Grid current on the transfer table's own grid, linear per segment: value at the segment
        // start and change across it. Currents below the conduction floor are taken as zero.
        let step = transfer.step();
        let current_or_zero = |node: f64| {
            let current = grid_current_at(node);
            if current < CONDUCTION_FLOOR {
                0.0
            } else {
                current
            }
        };
        let grid_current: Vec<[f64; 2]> = (0..transfer.segment_count())
            .map(|index| {
                let start = NODE_RANGE.0 + step * index as f64;
                let at_start = current_or_zero(start);
                [at_start, current_or_zero(start + step) - at_start]
            })
            .collect();
        let small_signal_gain = transfer.slope(0.0);
        let node_max = transfer.in_range_max();
        let mut stage = Self {
            circuit,
            quiescent,
            transfer,
            grid_current,
            small_signal_gain,
            node_max,
            drive: 1.0,
            step_per_capacitance: 0.0,
            grid_leak_conductance: 1.0 / circuit.grid_leak,
            output_pole: 0.0,
            adaa: Adaa::default(),
            coupling_voltage: 0.0,
            previous_plate: 0.0,
            output: 0.0,
        };
        stage.prepare(192_000.0, 0);
        stage
    }

    /// Sets the input scaling: volts at the source per unit of input (linear, > 0).
    pub fn set_drive(&mut self, volts_per_unit: f32) {
        self.drive = f64::from(volts_per_unit.max(0.0));
    }

    /// The input scaling in volts per unit.
    pub fn drive(&self) -> f32 {
        self.drive as f32
    }

    /// The component values.
    pub fn circuit(&self) -> &TriodeCircuit {
        &self.circuit
    }

    /// The solved operating point (Ip_q, Vk, Vp_q).
    pub fn quiescent_point(&self) -> QuiescentPoint {
        self.quiescent
    }

    /// Small-signal voltage gain from node A to the plate at rest (negative: the stage inverts);
    /// about −60 for the standard circuit.
    pub fn small_signal_gain(&self) -> f64 {
        self.small_signal_gain
    }

    /// The static transfer table, node-A volts → AC plate volts.
    pub fn transfer(&self) -> &TabulatedCurve {
        &self.transfer
    }

    /// Present shift of the grid's DC bias caused by the charged coupling capacitor, volts
    /// (0 at rest, negative while the stage is driven into grid conduction).
    pub fn grid_bias_shift(&self) -> f64 {
        -self.coupling_voltage
    }

    /// Grid current (amperes) the stage uses at a node-A voltage, as on the audio path.
    pub fn grid_current(&self, node_voltage: f64) -> f64 {
        let (_, point) = self.transfer.clamped_antiderivative(node_voltage);
        self.grid_current_at(point)
    }

    #[inline(always)]
    fn grid_current_at(&self, point: GridPoint) -> f64 {
        debug_assert_eq!(self.grid_current.len(), self.transfer.segment_count());
        // SAFETY: the grid point comes from the transfer table (`index < segment_count`), and
        // `grid_current` has one entry per transfer segment (built so in `with_circuit`, never
        // resized).
        let [at_start, change] = unsafe { *self.grid_current.get_unchecked(point.index) };
        at_start + change * point.fraction
    }
}

impl Processor for TriodeStage {
    fn prepare(&mut self, sample_rate: f32, _max_block: usize) {
        let sample_period = 1.0 / f64::from(sample_rate.max(1.0));
        self.step_per_capacitance = sample_period / self.circuit.coupling_capacitor;
        let output_time_constant =
            self.circuit.output_coupling_capacitor * self.circuit.next_grid_leak;
        self.output_pole = (-sample_period / output_time_constant).exp();
        self.reset();
    }

    fn reset(&mut self) {
        // At rest the grid current (picoamperes at Vgk = −Vk) is below the conduction floor, so
        // the capacitor holds node A at exactly 0 V and the plate at its quiescent voltage.
        self.coupling_voltage = 0.0;
        self.adaa = Adaa::settled_at(&self.transfer, 0.0);
        self.previous_plate = self.transfer.value(0.0);
        self.output = 0.0;
    }

    #[inline]
    fn process_sample(&mut self, input: f32) -> f32 {
        let mut state = self.running_state();
        let output = self.step(&mut state, input);
        self.store_state(state);
        output as f32
    }

    /// The per-sample update with every state (the ADAA memory among them) held in locals, so
    /// that nothing goes through memory between samples; the slow states are flushed of tiny
    /// values once per block rather than per sample.
    fn process_block(&mut self, block: &mut [f32]) {
        let mut state = self.running_state();
        for sample in block.iter_mut() {
            *sample = self.step(&mut state, *sample) as f32;
        }
        self.store_state(state);
    }
}

/// The states of [`TriodeStage`], copied into locals while a block runs.
#[derive(Clone, Copy)]
struct RunningState {
    adaa: Adaa,
    coupling_voltage: f64,
    previous_plate: f64,
    output: f64,
}

impl TriodeStage {
    #[inline(always)]
    fn running_state(&self) -> RunningState {
        RunningState {
            adaa: self.adaa,
            coupling_voltage: self.coupling_voltage,
            previous_plate: self.previous_plate,
            output: self.output,
        }
    }

    #[inline(always)]
    fn store_state(&mut self, state: RunningState) {
        self.adaa = state.adaa;
        self.coupling_voltage = flush_tiny(state.coupling_voltage);
        self.previous_plate = state.previous_plate;
        self.output = flush_tiny(state.output);
    }

    /// One sample: grid node, ADAA plate transfer, coupling-capacitor charge, output coupling.
    #[inline(always)]
    fn step(&self, state: &mut RunningState, input: f32) -> f64 {
        // No `sanitize` needed: `max`/`min` map NaN to the range's low end and ±∞ or huge values
        // to its ends, so hostile input only ever reaches the table's flat extremes.
        let source = f64::from(input) * self.drive;
        let node = (source - state.coupling_voltage)
            .max(NODE_RANGE.0)
            .min(self.node_max);
        let (plate, point) = state.adaa.process_in_range(&self.transfer, node);

        // Coupling capacitor: grid-leak current plus grid current (zero unless the grid conducts).
        let current = node * self.grid_leak_conductance + self.grid_current_at(point);
        state.coupling_voltage += current * self.step_per_capacitance;

        // Output coupling capacitor into the next grid leak (one-pole high-pass).
        state.output = self.output_pole * (state.output + plate - state.previous_plate);
        state.previous_plate = plate;
        state.output
    }
}
