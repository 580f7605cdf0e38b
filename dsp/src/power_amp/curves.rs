//! The output stages' static transfer curves: each amp type's open-loop circuit, closed by negative
//! feedback at eleven loop gains (0–20 dB in 2 dB steps), calibrated to the amp's rating and
//! tabulated for first-order ADAA.
//!
//! **Open loop.** Each type is a solved circuit (`u` → `f(u)`, circuit units): the push-pull EL34
//! and 6L6GC pentode pairs of [`super::pentode`]; a 300B single-ended class-A stage on its
//! transformer load line (the circuit of [`crate::shape::power_stage::SingleEndedCircuit`]); the
//! solid-state complementary stage with its class-AB crossover dip and Rapp rail limit
//! ([`crate::shape::power_stage::SolidStateSettings::output_stage`], with a harder rail); and a class-D modulator that is
//! linear up to 100 % modulation and then clips hard (Rapp, smoothness 10).
//!
//! **Feedback.** A loop of gain `T` (at the stage's reference gain `s_ref`) around the stage gives
//! Black's closed loop `y = f(u)`, `u = A·(x − β·y)`, `A·β·s_ref = T`. Scaling the input so that the
//! closed-loop gain is 1 gives the inverse in closed form, `x(u) = u + (T/s_ref)·f(u)`, which is
//! increasing for any non-decreasing `f`; each curve node is found by a safeguarded Newton solve of
//! it. Feedback linearises the curve until the stage runs out of output, then the loop can no longer
//! correct: the knee sharpens as `T` grows. The solid-state and class-D stages carry their own
//! built-in loop (40 dB and 20 dB) on top of the user's feedback.
//!
//! **Rating.** DESIGN.md rates an amp at the 1 kHz sine that gives 1 % THD (harmonics 2–10). Each
//! closed-loop curve is searched from the top for the largest sine amplitude `a` with THD ≤ 1 %
//! and its fundamental `b` there, and stored normalised: `N(d) = C(d·a)/b`. So drive `d = 1` is the
//! rated point and gives output fundamental 1 (the rated peak voltage √(2PR)) at exactly 1 % THD,
//! for every type and feedback amount.

use std::sync::{Arc, OnceLock};

use crate::shape::adaa::TabulatedCurve;
use crate::shape::power_stage::{SingleEndedCircuit, SolidStateSettings};
use crate::shape::solve::root_of_increasing;

use super::AmpType;
use super::pentode::PushPullPentodes;

/// THD that defines the rating: 1 %.
pub const RATING_THD: f64 = 0.01;

/// Feedback amounts with a tabulated curve: 0, 2, …, 20 dB.
pub const FEEDBACK_STEP_DB: f64 = 2.0;

/// Number of tabulated feedback amounts.
pub const FEEDBACK_STEPS: usize = 11;

/// Largest normalised drive the curves cover (8× the rated voltage, +18 dB); beyond it they
/// continue with their (nearly flat) end slope.
pub const NORMALISED_RANGE: f64 = 8.0;

/// Segments of each normalised curve (steps of 0.0039 in rated units).
pub const NORMALISED_SEGMENTS: usize = 4096;

/// Segments of the open-loop circuit tables.
const OPEN_LOOP_SEGMENTS: usize = 4096;

/// Rapp smoothness of the solid-state stage's rail limit.
pub const SOLID_STATE_RAIL_SMOOTHNESS: f64 = 6.0;

/// Knee rounding of the solid-state and class-D stages: the closed-loop curve is smoothed with a
/// Gaussian of this standard deviation (rated units of drive, 4 %). A real amplifier's loop gain
/// falls with frequency and its drivers saturate softly, so the corner of its clip is not
/// infinitely sharp; the rounding stands for that, and keeps the harmonics that first-order ADAA
/// at 4× cannot remove from folding back. The rating is calibrated after the rounding.
pub const KNEE_ROUNDING: f64 = 0.04;

/// Segments of the tables of analytic open-loop curves (cheap to evaluate, so finely sampled).
const ANALYTIC_SEGMENTS: usize = 65_536;

/// Segments of the intermediate closed-loop table used for calibration.
const CALIBRATION_SEGMENTS: usize = 2048;

/// Points per period of the calibration DFT.
const DFT_POINTS: usize = 512;

/// A closed-loop curve normalised to the rating, with what the meters need to know about it.
#[derive(Clone, Debug)]
pub struct RatedCurve {
    /// `N(d)`: drive in rated units → output in rated units.
    pub curve: TabulatedCurve,
    /// Positive drive beyond which the incremental gain has fallen below half: the clip light.
    pub clip_drive_positive: f64,
    /// Negative drive (as a positive number) beyond which the incremental gain has fallen below half.
    pub clip_drive_negative: f64,
    /// Highest output the curve reaches (positive side), rated units.
    pub ceiling: f64,
    /// The user feedback this curve was built for, dB.
    pub feedback_db: f64,
}

/// The open-loop circuit of one amp type, tabulated in circuit units.
#[derive(Clone, Debug)]
pub struct OpenLoopStage {
    /// `f(u)`, circuit units.
    pub curve: TabulatedCurve,
    /// Reference gain `s_ref`: the chord gain `f(u)/u` where the output reaches 30 % of its
    /// ceiling (the mid-level gain; class-AB stages differ from it near zero).
    pub reference_gain: f64,
    /// Loop gain the circuit carries on its own (1 + T), as a ratio.
    pub built_in_feedback: f64,
    /// Width (standard deviation, in rated units of drive) of the Gaussian that rounds the closed
    /// loop's knee; 0 for none. See [`KNEE_ROUNDING`].
    pub knee_rounding: f64,
}

impl OpenLoopStage {
    /// The open-loop stage of `amp_type`.
    pub fn of(amp_type: AmpType) -> Self {
        match amp_type {
            AmpType::TubePushPullEl34 => Self::push_pull(PushPullPentodes::el34_pair()),
            AmpType::TubePushPull6L6 => Self::push_pull(PushPullPentodes::six_l6_pair()),
            AmpType::TubeSingleEnded => {
                Self::single_ended(SingleEndedCircuit::three_hundred_b_class_a())
            }
            AmpType::SolidState => {
                // The shape module's class-AB stage, with a harder rail (Rapp smoothness 10 instead
                // of 4): complementary followers run into the rails abruptly.
                let settings = SolidStateSettings {
                    rail_smoothness: SOLID_STATE_RAIL_SMOOTHNESS,
                    ..SolidStateSettings::class_ab()
                };
                // Fine grid: the crossover region is ±0.5 % of the rail wide; wide range: the
                // Rapp limit approaches the rail slowly.
                let curve = TabulatedCurve::from_function(
                    |drive| settings.output_stage(drive),
                    -16.0,
                    16.0,
                    ANALYTIC_SEGMENTS,
                );
                Self::finish(curve, 100.0, KNEE_ROUNDING)
            }
            AmpType::ClassD => {
                let curve = TabulatedCurve::from_function(
                    |drive: f64| drive / (1.0 + drive.abs().powi(20)).powf(1.0 / 20.0),
                    -4.0,
                    4.0,
                    ANALYTIC_SEGMENTS,
                );
                Self::finish(curve, 10.0, KNEE_ROUNDING)
            }
        }
    }

    fn push_pull(pair: PushPullPentodes) -> Self {
        let bias = pair.grid_bias();
        let range = 3.0 * bias.abs();
        let step = 2.0 * range / OPEN_LOOP_SEGMENTS as f64;
        let solved: Vec<(f64, f64)> = (0..=OPEN_LOOP_SEGMENTS)
            .map(|index| {
                let drive = -range + step * index as f64;
                let (grid_drive, grid_slope) = grid_limited(drive, bias);
                let swing = pair.output_voltage(bias, grid_drive);
                (
                    swing,
                    pair.output_slope(bias, grid_drive, swing) * grid_slope,
                )
            })
            .collect();
        let lookup =
            |drive: f64| (((drive + range) / step).round() as usize).min(OPEN_LOOP_SEGMENTS);
        let curve = TabulatedCurve::from_function_and_slope(
            |drive| solved[lookup(drive)].0,
            |drive| solved[lookup(drive)].1,
            -range,
            range,
            OPEN_LOOP_SEGMENTS,
        );
        Self::finish(curve, 1.0, 0.0)
    }

    fn single_ended(circuit: SingleEndedCircuit) -> Self {
        let bias = circuit.grid_bias();
        let range = 1.5 * bias.abs();
        let residual = |drive: f64, plate: f64| {
            plate - circuit.supply_voltage
                + (circuit.tube.plate_current(bias + drive, plate) - circuit.idle_current)
                    * circuit.load
        };
        let top = circuit.supply_voltage + circuit.idle_current * circuit.load;
        let step = 2.0 * range / OPEN_LOOP_SEGMENTS as f64;
        let solved: Vec<(f64, f64)> = (0..=OPEN_LOOP_SEGMENTS)
            .map(|index| {
                let (drive, grid_slope) = grid_limited(-range + step * index as f64, bias);
                let plate = root_of_increasing(|plate| residual(drive, plate), 0.0, top);
                let drive_step = 1.0e-4 * (1.0 + drive.abs());
                let plate_step = 1.0e-4 * (1.0 + plate.abs());
                let by_drive = (residual(drive + drive_step, plate)
                    - residual(drive - drive_step, plate))
                    / (2.0 * drive_step);
                let by_plate = (residual(drive, plate + plate_step)
                    - residual(drive, plate - plate_step))
                    / (2.0 * plate_step);
                // Output is the plate swing with the transformer's sign flip: supply − plate.
                (
                    circuit.supply_voltage - plate,
                    by_drive / by_plate * grid_slope,
                )
            })
            .collect();
        let lookup =
            |drive: f64| (((drive + range) / step).round() as usize).min(OPEN_LOOP_SEGMENTS);
        let curve = TabulatedCurve::from_function_and_slope(
            |drive| solved[lookup(drive)].0,
            |drive| solved[lookup(drive)].1,
            -range,
            range,
            OPEN_LOOP_SEGMENTS,
        );
        Self::finish(curve, 1.0, 0.0)
    }

    fn finish(curve: TabulatedCurve, built_in_feedback: f64, knee_rounding: f64) -> Self {
        let ceiling = curve
            .value(curve.input_max())
            .abs()
            .min(curve.value(curve.input_min()).abs());
        let reference_input = root_of_increasing(
            |drive| curve.value(drive) - 0.3 * ceiling,
            0.0,
            curve.input_max(),
        );
        Self {
            reference_gain: 0.3 * ceiling / reference_input,
            curve,
            built_in_feedback,
            knee_rounding,
        }
    }

    /// Closed-loop output for input `x` with feedback factor `k = T/s_ref`, and the open-loop
    /// operating point `u`: solves `u + k·f(u) = x` by Newton steps safeguarded by bisection.
    fn closed_loop(&self, factor: f64, input: f64, guess: f64) -> (f64, f64) {
        let equation = |drive: f64| drive + factor * self.curve.value(drive) - input;
        // g is increasing with slope ≥ 1: widen a bracket around the input until it holds the root.
        let mut reach = 1.0 + factor;
        let (mut low, mut high) = (input - reach, input + reach);
        while equation(low) > 0.0 || equation(high) < 0.0 {
            reach *= 2.0;
            low = input - reach;
            high = input + reach;
        }
        let mut drive = guess.clamp(low, high);
        for _ in 0..100 {
            let value = equation(drive);
            if value > 0.0 {
                high = drive;
            } else {
                low = drive;
            }
            if value.abs() <= 1.0e-13 * (1.0 + input.abs())
                || high - low <= 1.0e-14 * (1.0 + high.abs())
            {
                break;
            }
            let slope = 1.0 + factor * self.curve.slope(drive);
            let newton = drive - value / slope;
            drive = if newton > low && newton < high {
                newton
            } else {
                0.5 * (low + high)
            };
        }
        (self.curve.value(drive), drive)
    }

    /// The closed-loop curve at user feedback `feedback_db`, calibrated and normalised.
    pub fn rated_curve(&self, feedback_db: f64) -> RatedCurve {
        let loop_ratio = self.built_in_feedback * 10f64.powf(feedback_db / 20.0);
        let factor = (loop_ratio - 1.0) / self.reference_gain;
        let input_limit =
            self.curve.input_max() + factor * self.curve.value(self.curve.input_max());
        let input_floor =
            self.curve.input_min() + factor * self.curve.value(self.curve.input_min());
        let input_range = input_limit.min(-input_floor);

        // 1. Intermediate closed-loop table for the calibration.
        let mut guess = 0.0;
        let step = 2.0 * input_range / CALIBRATION_SEGMENTS as f64;
        let nodes: Vec<(f64, f64)> = (0..=CALIBRATION_SEGMENTS)
            .map(|index| {
                let input = -input_range + step * index as f64;
                let (output, drive) = self.closed_loop(factor, input, guess);
                guess = drive;
                let open_slope = self.curve.slope(drive);
                (output, open_slope / (1.0 + factor * open_slope))
            })
            .collect();
        let lookup = |input: f64| {
            (((input + input_range) / step).round() as usize).min(CALIBRATION_SEGMENTS)
        };
        let closed = TabulatedCurve::from_function_and_slope(
            |input| nodes[lookup(input)].0,
            |input| nodes[lookup(input)].1,
            -input_range,
            input_range,
            CALIBRATION_SEGMENTS,
        );

        // 2. The rated point: largest amplitude with THD ≤ 1 %, searched down from the top.
        let analyser = SineAnalyser::new();
        let (mut rated_input, mut rated_output) = analyser.rated_point(&closed, input_range);

        // 2b. Knee rounding (solid state, class D), then the rated point again.
        let rounded = (self.knee_rounding > 0.0).then(|| {
            let width = self.knee_rounding * rated_input;
            let rounded_curve = gaussian_smoothed(&closed, width, input_range);
            let (input, output) = analyser.rated_point(&rounded_curve, input_range);
            rated_input = input;
            rated_output = output;
            rounded_curve
        });

        // 3. The normalised curve, node by node: solved exactly, or read from the rounded table.
        let mut guess = 0.0;
        let normalised_step = 2.0 * NORMALISED_RANGE / NORMALISED_SEGMENTS as f64;
        let normalised_nodes: Vec<(f64, f64)> = (0..=NORMALISED_SEGMENTS)
            .map(|index| {
                let drive = -NORMALISED_RANGE + normalised_step * index as f64;
                let (output, slope) = match &rounded {
                    Some(table) => (
                        table.value(drive * rated_input),
                        table.slope(drive * rated_input),
                    ),
                    None => {
                        let (output, open_drive) =
                            self.closed_loop(factor, drive * rated_input, guess);
                        guess = open_drive;
                        let open_slope = self.curve.slope(open_drive);
                        (output, open_slope / (1.0 + factor * open_slope))
                    }
                };
                (output / rated_output, slope * rated_input / rated_output)
            })
            .collect();
        let normalised_lookup = |drive: f64| {
            (((drive + NORMALISED_RANGE) / normalised_step).round() as usize)
                .min(NORMALISED_SEGMENTS)
        };
        let curve = TabulatedCurve::from_function_and_slope(
            |drive| normalised_nodes[normalised_lookup(drive)].0,
            |drive| normalised_nodes[normalised_lookup(drive)].1,
            -NORMALISED_RANGE,
            NORMALISED_RANGE,
            NORMALISED_SEGMENTS,
        );
        let half_gain_drive = |sign: f64| {
            (1..=NORMALISED_SEGMENTS / 2)
                .map(|index| index as f64 * normalised_step)
                .find(|drive| curve.slope(sign * drive) < 0.5)
                .unwrap_or(NORMALISED_RANGE)
        };
        RatedCurve {
            clip_drive_positive: half_gain_drive(1.0),
            clip_drive_negative: half_gain_drive(-1.0),
            ceiling: curve.value(NORMALISED_RANGE),
            curve,
            feedback_db,
        }
    }
}

/// Grid voltage above the bias (and its slope) reached for a drive `drive` from a phase inverter
/// that cannot push the grid much past 0 V: once the grid conducts, the driver's source impedance
/// holds it there (grid-current limiting; Dempwolf & Zölzer, DAFx-11, model the diode). A smooth
/// limit (Rapp, smoothness 3) at `|bias| + 2 V`, symmetric because push-pull grids swing in
/// antiphase.
fn grid_limited(drive: f64, bias: f64) -> (f64, f64) {
    let limit = bias.abs() + GRID_CONDUCTION_VOLTS;
    let ratio = (drive / limit).abs().powi(6);
    let scale = (1.0 + ratio).powf(-1.0 / 6.0);
    (drive * scale, scale / (1.0 + ratio))
}

/// How far past 0 V the driver can push a grid before grid current holds it, volts.
const GRID_CONDUCTION_VOLTS: f64 = 2.0;

/// Harmonic analysis of a static curve driven by one period of a sine (direct DFT, tables of
/// sines and cosines computed once).
struct SineAnalyser {
    sines: Vec<f64>,
    harmonic_cosines: Vec<[f64; 11]>,
    harmonic_sines: Vec<[f64; 11]>,
}

impl SineAnalyser {
    fn new() -> Self {
        let phase = |index: usize| std::f64::consts::TAU * index as f64 / DFT_POINTS as f64;
        Self {
            sines: (0..DFT_POINTS).map(|index| phase(index).sin()).collect(),
            harmonic_cosines: (0..DFT_POINTS)
                .map(|index| std::array::from_fn(|order| (phase(index) * order as f64).cos()))
                .collect(),
            harmonic_sines: (0..DFT_POINTS)
                .map(|index| std::array::from_fn(|order| (phase(index) * order as f64).sin()))
                .collect(),
        }
    }

    /// The largest sine amplitude within `range` whose THD is at most [`RATING_THD`], searched
    /// down from the top of `range` in 0.1 dB steps and refined by bisection, and the
    /// fundamental there.
    fn rated_point(&self, curve: &TabulatedCurve, range: f64) -> (f64, f64) {
        let thd = |amplitude: f64| self.thd(|input| curve.value(input), amplitude);
        let mut above = 0.98 * range;
        let mut below = above;
        let ratio = 10f64.powf(0.1 / 20.0);
        while below > 1.0e-6 * range {
            below /= ratio;
            if thd(below).0 <= RATING_THD {
                break;
            }
            above = below;
        }
        for _ in 0..50 {
            let middle = (below * above).sqrt();
            if thd(middle).0 > RATING_THD {
                above = middle;
            } else {
                below = middle;
            }
        }
        let rated = (below * above).sqrt();
        (rated, thd(rated).1)
    }

    /// THD (harmonics 2–10 over the fundamental) and the fundamental's amplitude.
    fn thd(&self, curve: impl Fn(f64) -> f64, amplitude: f64) -> (f64, f64) {
        let mut cosine_sums = [0.0; 11];
        let mut sine_sums = [0.0; 11];
        for index in 0..DFT_POINTS {
            let output = curve(amplitude * self.sines[index]);
            for order in 1..11 {
                cosine_sums[order] += output * self.harmonic_cosines[index][order];
                sine_sums[order] += output * self.harmonic_sines[index][order];
            }
        }
        let amplitude_of =
            |order: usize| 2.0 / DFT_POINTS as f64 * cosine_sums[order].hypot(sine_sums[order]);
        let fundamental = amplitude_of(1);
        let distortion = (2..11)
            .map(|order| amplitude_of(order).powi(2))
            .sum::<f64>()
            .sqrt();
        (distortion / fundamental.max(f64::MIN_POSITIVE), fundamental)
    }
}

/// `curve` convolved with a Gaussian of standard deviation `width`, tabulated on `±range`
/// (81-point quadrature over ±4 standard deviations).
fn gaussian_smoothed(curve: &TabulatedCurve, width: f64, range: f64) -> TabulatedCurve {
    const POINTS: usize = 81;
    let offsets: Vec<f64> = (0..POINTS)
        .map(|index| width * (-4.0 + 8.0 * index as f64 / (POINTS - 1) as f64))
        .collect();
    let raw: Vec<f64> = offsets
        .iter()
        .map(|offset| (-0.5 * (offset / width).powi(2)).exp())
        .collect();
    let total: f64 = raw.iter().sum();
    let weights: Vec<f64> = raw.iter().map(|weight| weight / total).collect();
    TabulatedCurve::from_function_and_slope(
        |input| {
            offsets
                .iter()
                .zip(&weights)
                .map(|(offset, weight)| weight * curve.value(input + offset))
                .sum()
        },
        |input| {
            offsets
                .iter()
                .zip(&weights)
                .map(|(offset, weight)| weight * curve.slope(input + offset))
                .sum()
        },
        -range,
        range,
        CALIBRATION_SEGMENTS,
    )
}

/// Every amp type's rated curves at every tabulated feedback amount.
#[derive(Debug)]
pub struct CurveBank {
    families: Vec<Vec<RatedCurve>>,
}

impl CurveBank {
    /// Builds every curve (a few hundred milliseconds; done once per process, see
    /// [`CurveBank::shared`]).
    pub fn build() -> Self {
        let families = AmpType::ALL
            .iter()
            .map(|amp_type| {
                let stage = OpenLoopStage::of(*amp_type);
                (0..FEEDBACK_STEPS)
                    .map(|step| stage.rated_curve(step as f64 * FEEDBACK_STEP_DB))
                    .collect()
            })
            .collect();
        Self { families }
    }

    /// The process-wide bank, built on first use and shared by every instance and channel.
    pub fn shared() -> Arc<CurveBank> {
        static BANK: OnceLock<Arc<CurveBank>> = OnceLock::new();
        BANK.get_or_init(|| Arc::new(CurveBank::build())).clone()
    }

    /// The rated curve of `amp_type` at tabulated feedback step `step` (0 = 0 dB, 10 = 20 dB).
    pub fn curve(&self, amp_type: AmpType, step: usize) -> &RatedCurve {
        &self.families[amp_type.index()][step.min(FEEDBACK_STEPS - 1)]
    }
}

/// Where a user feedback amount falls among the tabulated ones: the lower step and the weight of
/// the next one (0 exactly on a step).
pub fn feedback_position(feedback_db: f64) -> (usize, f64) {
    let position = (feedback_db / FEEDBACK_STEP_DB).clamp(0.0, (FEEDBACK_STEPS - 1) as f64);
    let lower = (position.floor() as usize).min(FEEDBACK_STEPS - 2);
    (lower, position - lower as f64)
}
