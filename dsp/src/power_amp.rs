//! Power-amplifier models: amp types, rails from wattage, supply sag, negative feedback, output impedance.
//!
//! One channel of a power amp, [`PowerAmp`], takes line-level samples and returns the voltage at
//! the speaker terminals:
//!
//! ```text
//! input ─ drive scale ─ presence/depth ─┬─ upsample ─ output stage (ADAA curve × rail) ─ droop fix ─┐
//!         (sensitivity  (feedback shape, │                                                             │
//!          or gain)      base rate)      │   ┌── network, high cascade ◄───────────────────────────────┘
//!                                        │   └─ downsample ─ network, low cascade ─ transformer core ─┬─ output scale
//!                                        └──────────── supply rail ◄── load current (admittance) ◄───┘
//! ```
//!
//! **Units.** Everything inside runs in *rated units*: drive 1 is the amp's rated clipping point
//! and output 1 is its rated peak voltage `V_rail = √(2·P·R)` into the nominal load `R` (DESIGN.md:
//! 100 W into 8 Ω → 40 V). A drive of 1 gives exactly 1 % THD at 1 kHz and delivers the rated power
//! (see [`curves`]).
//!
//! **Input.** [`InputCalibration::Sensitivity`]: the input sine level (dBu) that drives the amp to
//! its rating, whatever the wattage (default +22 dBu: a 0 dBFS sine reaches rated power and
//! −18 dBFS line level runs 18 dB below it). [`InputCalibration::FixedGain`]: a voltage gain in dB
//! from input volts (sample 1.0 = 13.81 V, the peak of +22 dBu) to speaker volts, as on a
//! professional power amp; then the wattage decides where the same signal clips (a 10 W amp
//! 20 dB before a 1000 W one).
//!
//! **Output.** [`OutputMode::Normalised`]: sample 1.0 = `V_rail`, so a 0 dBFS sine at rated power
//! reads 0 dBFS whatever the wattage. [`OutputMode::Volts`]: sample 1.0 = 100 V peak at the speaker
//! ([`VOLTS_AT_FULL_SCALE`]), so the level follows the wattage (100 W into 8 Ω peaks at −8 dBFS).
//!
//! **Latency.** Only the oversampler's, reported as where an impulse arrives: the linear-phase
//! cascade's whole-sample delay, or for the minimum-phase qualities the IIR half-bands' rounded
//! low-frequency group delay ([`PowerAmp::latency_at`]).

pub mod cascade;
pub mod curves;
pub mod meter;
pub mod output_network;
pub mod pentode;
mod stereo;
pub mod supply;
pub mod switcher;
pub mod transformer;

use std::sync::Arc;

use realfft::num_complex::Complex64;

use crate::Processor;
use crate::guard::sanitize;
use crate::level::{VOLTS_PER_FULL_SCALE, db_to_gain, dbu_to_sample_peak};
use crate::oversample::{FilterFlavour, Oversampler, OversamplingFactor};
use crate::shape::adaa::TabulatedCurve;
use crate::speaker::{LoadModel, RationalImpedance, SpeakerLoad};

use cascade::{Cascade, CascadePlan};
use curves::{CurveBank, NORMALISED_RANGE, feedback_position};
use meter::MeterBlock;
use output_network::{NetworkDesign, NetworkFilter, TransformerBandwidth, ZeroPoleGain};
use supply::{Supply, SupplyDesign};
use transformer::CoreSaturation;

/// Speaker volts represented by a sample value of 1.0 in [`OutputMode::Volts`].
pub const VOLTS_AT_FULL_SCALE: f64 = 100.0;

/// Base-rate samples processed per inner chunk (the oversamplers are prepared for this).
pub const CHUNK: usize = 64;

/// Delay, base samples, between the supply's rail and the output stage that uses it: the stage of
/// a whole chunk runs before the chunk's load current is known, so it uses the rail of a chunk
/// ago (1.3 ms at 48 kHz, against a supply time constant of 30 ms or more).
const RAIL_DELAY: usize = CHUNK;

/// Length of the rail history ring buffer.
const RAIL_HISTORY: usize = 2 * CHUNK;

/// Coefficient `b` of the droop fix `(1 + b) − b·z⁻¹` after the ADAA stage: first-order ADAA acts
/// on the linear part like `(1 + z⁻¹)/2`, a droop of `cos(ω/2)` (−0.47 dB at 20 kHz at 192 kHz);
/// `|(1 + b) − b·e^{−jω}|² = 1 + 2b(1 + b)(1 − cos ω)` matches `1/cos²(ω/2)` to second order when
/// `b(1 + b) = 1/4`, i.e. `b = (√2 − 1)/2`. Minimum phase, so it adds no delay.
pub const DROOP_FIX: f64 = 0.207_106_781_186_547_5;

/// The amplifier topologies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AmpType {
    /// Two EL34 pentodes in push-pull class AB on an output transformer (British guitar amp).
    TubePushPullEl34,
    /// Two 6L6GC beam tetrodes in push-pull class AB on an output transformer (American guitar amp).
    TubePushPull6L6,
    /// One 300B triode in single-ended class A on a gapped output transformer.
    TubeSingleEnded,
    /// Solid-state class AB: complementary followers with a crossover region, 40 dB of built-in
    /// feedback, hard rails.
    SolidState,
    /// Class D: clean until a hard rail clip, followed by an LC output filter whose response
    /// depends on the load.
    ClassD,
}

/// Constants of one amp type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AmpTraits {
    /// Damping factor with no user feedback (nominal load over the open-loop output resistance).
    /// DESIGN.md: push-pull pentodes a few tenths (6L6 ≈ 0.14), solid state hundreds.
    pub open_loop_damping_factor: f64,
    /// Output transformer band limits (tube types).
    pub transformer: Option<TransformerBandwidth>,
    /// Frequency at which the transformer core reaches its reference flux at the rated voltage, Hz.
    pub saturation_hz: Option<f64>,
    /// Class-D output filter corner, Hz.
    pub class_d_corner_hz: Option<f64>,
    /// Supply constants.
    pub supply: SupplyDesign,
    /// Output-stage dropout as a fraction of the supply (how close the output can swing to the
    /// rail: a pentode's knee, a triode's positive-grid limit, the class-D modulator's maximum).
    pub dropout_fraction: f64,
    /// Output-stage dropout in volts referred to the speaker (emitter followers' base-emitter
    /// drops and emitter resistors), added after the fraction.
    pub dropout_volts: f64,
}

impl AmpType {
    /// Every type, in parameter order.
    pub const ALL: [AmpType; 5] = [
        AmpType::TubePushPullEl34,
        AmpType::TubePushPull6L6,
        AmpType::TubeSingleEnded,
        AmpType::SolidState,
        AmpType::ClassD,
    ];

    /// Position in [`AmpType::ALL`].
    pub fn index(self) -> usize {
        match self {
            AmpType::TubePushPullEl34 => 0,
            AmpType::TubePushPull6L6 => 1,
            AmpType::TubeSingleEnded => 2,
            AmpType::SolidState => 3,
            AmpType::ClassD => 4,
        }
    }

    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            AmpType::TubePushPullEl34 => "Tube push-pull EL34",
            AmpType::TubePushPull6L6 => "Tube push-pull 6L6",
            AmpType::TubeSingleEnded => "Tube single-ended class A",
            AmpType::SolidState => "Solid-state class AB",
            AmpType::ClassD => "Class D",
        }
    }

    /// True for the types with an output transformer.
    pub fn is_tube(self) -> bool {
        matches!(
            self,
            AmpType::TubePushPullEl34 | AmpType::TubePushPull6L6 | AmpType::TubeSingleEnded
        )
    }

    /// The type's constants (documented, published-style values).
    ///
    /// | type | DF open loop | transformer | core f_sat | supply droop / idle / τ | dropout |
    /// |---|---|---|---|---|---|
    /// | EL34 push-pull | 0.18 | 3 Hz – 90 kHz | 30 Hz | 22 % / 0.1 / 60 ms | 15 % (knee) |
    /// | 6L6 push-pull | 0.14 | 3 Hz – 90 kHz | 35 Hz | 20 % / 0.1 / 50 ms | 12 % (knee) |
    /// | 300B single-ended | 3 | 4 Hz – 70 kHz | 45 Hz | 12 % / 1.0 / 40 ms | 30 % |
    /// | solid state | 400 | — | — | 15 % / 0.05 / 120 ms | 4 V |
    /// | class D | 300 (switches) | LC 40 kHz | — | 6 % / 0.02 / 30 ms | 5 % |
    pub fn traits(self) -> AmpTraits {
        let push_pull_transformer = Some(TransformerBandwidth {
            low_hz: 3.0,
            high_hz: 90_000.0,
        });
        match self {
            AmpType::TubePushPullEl34 => AmpTraits {
                open_loop_damping_factor: 0.18,
                transformer: push_pull_transformer,
                saturation_hz: Some(30.0),
                class_d_corner_hz: None,
                dropout_fraction: 0.15,
                dropout_volts: 0.0,
                supply: SupplyDesign {
                    droop_at_full_sag: 0.22,
                    idle_draw: 0.1,
                    signal_draw: 1.0,
                    time_constant_at_100_watts: 0.06,
                },
            },
            AmpType::TubePushPull6L6 => AmpTraits {
                open_loop_damping_factor: 0.14,
                transformer: push_pull_transformer,
                saturation_hz: Some(35.0),
                class_d_corner_hz: None,
                dropout_fraction: 0.12,
                dropout_volts: 0.0,
                supply: SupplyDesign {
                    droop_at_full_sag: 0.20,
                    idle_draw: 0.1,
                    signal_draw: 1.0,
                    time_constant_at_100_watts: 0.05,
                },
            },
            AmpType::TubeSingleEnded => AmpTraits {
                open_loop_damping_factor: 3.0,
                transformer: Some(TransformerBandwidth {
                    low_hz: 4.0,
                    high_hz: 70_000.0,
                }),
                saturation_hz: Some(45.0),
                class_d_corner_hz: None,
                dropout_fraction: 0.3,
                dropout_volts: 0.0,
                supply: SupplyDesign {
                    droop_at_full_sag: 0.12,
                    idle_draw: 1.0,
                    signal_draw: 0.25,
                    time_constant_at_100_watts: 0.04,
                },
            },
            AmpType::SolidState => AmpTraits {
                open_loop_damping_factor: 400.0,
                transformer: None,
                saturation_hz: None,
                class_d_corner_hz: None,
                dropout_fraction: 0.0,
                dropout_volts: 4.0,
                supply: SupplyDesign {
                    droop_at_full_sag: 0.15,
                    idle_draw: 0.05,
                    signal_draw: 1.0,
                    time_constant_at_100_watts: 0.12,
                },
            },
            AmpType::ClassD => AmpTraits {
                open_loop_damping_factor: 300.0,
                transformer: None,
                saturation_hz: None,
                class_d_corner_hz: Some(40_000.0),
                dropout_fraction: 0.05,
                dropout_volts: 0.0,
                supply: SupplyDesign {
                    droop_at_full_sag: 0.06,
                    idle_draw: 0.02,
                    signal_draw: 1.0,
                    time_constant_at_100_watts: 0.03,
                },
            },
        }
    }
}

/// How the input level maps to the amp's drive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum InputCalibration {
    /// The input sine level, dBu, that drives the amp to its rated power.
    Sensitivity {
        /// Sensitivity, dBu (−20 to +30).
        dbu: f64,
    },
    /// Voltage gain from input volts to speaker volts, dB (0 to 60).
    FixedGain {
        /// Gain, dB.
        db: f64,
    },
}

/// What an output sample value means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputMode {
    /// 1.0 = the rated peak voltage into the nominal load.
    Normalised,
    /// 1.0 = [`VOLTS_AT_FULL_SCALE`] volts at the speaker.
    Volts,
}

/// Oversampling quality of the output stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quality {
    /// 2×, minimum phase (draft: some treble droop and aliasing).
    Draft2x,
    /// 4×, minimum phase, no latency (the default).
    Standard4x,
    /// 8×, minimum phase, no latency.
    High8x,
    /// 16×, minimum phase, no latency.
    Ultra16x,
    /// 4×, linear phase (reports its latency).
    Linear4x,
    /// 8×, linear phase (reports its latency).
    Linear8x,
}

impl Quality {
    /// Every quality, in parameter order.
    pub const ALL: [Quality; 6] = [
        Quality::Draft2x,
        Quality::Standard4x,
        Quality::High8x,
        Quality::Ultra16x,
        Quality::Linear4x,
        Quality::Linear8x,
    ];

    /// Position in [`Quality::ALL`].
    pub fn index(self) -> usize {
        Quality::ALL
            .iter()
            .position(|quality| *quality == self)
            .unwrap_or(1)
    }

    /// The oversampling factor.
    pub fn factor(self) -> OversamplingFactor {
        match self {
            Quality::Draft2x => OversamplingFactor::X2,
            Quality::Standard4x | Quality::Linear4x => OversamplingFactor::X4,
            Quality::High8x | Quality::Linear8x => OversamplingFactor::X8,
            Quality::Ultra16x => OversamplingFactor::X16,
        }
    }

    /// The half-band filter flavour.
    pub fn flavour(self) -> FilterFlavour {
        match self {
            Quality::Linear4x | Quality::Linear8x => FilterFlavour::LinearPhase,
            _ => FilterFlavour::MinimumPhase,
        }
    }
}

/// Everything that sets a power amp's behaviour.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PowerAmpSettings {
    /// Topology.
    pub amp_type: AmpType,
    /// Rated power into the nominal load, watts (1–2000).
    pub rated_watts: f64,
    /// Nominal load, ohms (2, 4, 8 or 16).
    pub nominal_ohms: f64,
    /// Input calibration.
    pub input: InputCalibration,
    /// Sag amount, 0–1 (scales the supply resistance).
    pub sag: f64,
    /// Negative feedback, dB of gain reduction (0–20).
    pub feedback_db: f64,
    /// Presence (feedback reduced at high frequencies), 0–1.
    pub presence: f64,
    /// Depth / resonance (feedback reduced at low frequencies), 0–1.
    pub depth: f64,
    /// The load.
    pub load: SpeakerLoad,
    /// Output mapping.
    pub output: OutputMode,
    /// Oversampling quality.
    pub quality: Quality,
}

impl Default for PowerAmpSettings {
    fn default() -> Self {
        Self {
            amp_type: AmpType::TubePushPullEl34,
            rated_watts: 100.0,
            nominal_ohms: 8.0,
            input: InputCalibration::Sensitivity { dbu: 22.0 },
            sag: 0.5,
            feedback_db: 6.0,
            presence: 0.0,
            depth: 0.0,
            load: SpeakerLoad::resistive(8.0),
            output: OutputMode::Normalised,
            quality: Quality::Standard4x,
        }
    }
}

impl PowerAmpSettings {
    /// True when going from `self` to `other` needs a new signal path (and a cross-fade): a change
    /// of type, nominal load, kind of load, input or output mode, or quality, or presence or depth
    /// leaving or reaching zero. Everything else glides in place.
    pub fn needs_new_path(&self, other: &PowerAmpSettings) -> bool {
        let same_input_kind = matches!(
            (self.input, other.input),
            (
                InputCalibration::Sensitivity { .. },
                InputCalibration::Sensitivity { .. }
            ) | (
                InputCalibration::FixedGain { .. },
                InputCalibration::FixedGain { .. }
            )
        );
        let same_load_kind = match (self.load.model, other.load.model) {
            (LoadModel::Resistive(left), LoadModel::Resistive(right)) => left == right,
            (LoadModel::Driver(_), LoadModel::Driver(_)) => self.load.name == other.load.name,
            _ => false,
        };
        self.amp_type != other.amp_type
            || self.network().active_shelves() != other.network().active_shelves()
            || self.nominal_ohms != other.nominal_ohms
            || !same_input_kind
            || !same_load_kind
            || self.output != other.output
            || self.quality != other.quality
    }

    /// Rated peak voltage `√(2·P·R)`, volts.
    pub fn rail_volts(&self) -> f64 {
        (2.0 * self.rated_watts.clamp(1.0, 2000.0) * self.nominal_ohms).sqrt()
    }

    /// The supply rail referred to the speaker, volts: the rated peak `√(2PR)` plus the type's
    /// dropout (`(V + dropout_volts)/(1 − dropout_fraction)`) — what the output devices need to
    /// deliver the rated peak (at the rated draw; sag raises it at idle).
    pub fn supply_rail_volts(&self) -> f64 {
        let traits = self.amp_type.traits();
        (self.rail_volts() + traits.dropout_volts) / (1.0 - traits.dropout_fraction)
    }

    /// Multiplier from input samples to drive in rated units.
    pub fn drive_scale(&self) -> f64 {
        match self.input {
            InputCalibration::Sensitivity { dbu } => {
                1.0 / dbu_to_sample_peak(dbu.clamp(-40.0, 40.0))
            }
            InputCalibration::FixedGain { db } => {
                VOLTS_PER_FULL_SCALE * db_to_gain(db.clamp(-20.0, 80.0)) / self.rail_volts()
            }
        }
    }

    /// Multiplier from rated units to output samples.
    pub fn output_scale(&self) -> f64 {
        match self.output {
            OutputMode::Normalised => 1.0,
            OutputMode::Volts => self.rail_volts() / VOLTS_AT_FULL_SCALE,
        }
    }

    /// The linear output network these settings describe.
    pub fn network(&self) -> NetworkDesign {
        let traits = self.amp_type.traits();
        NetworkDesign {
            nominal_ohms: self.nominal_ohms,
            open_loop_output_ohms: self.nominal_ohms / traits.open_loop_damping_factor,
            feedback_ratio: db_to_gain(self.feedback_db.clamp(0.0, 20.0)),
            presence: self.presence,
            depth: self.depth,
            transformer: traits.transformer,
            class_d_corner_hz: traits.class_d_corner_hz,
            load: self.load,
        }
    }
}

/// Values the network was last designed for, to decide when a redesign is due.
#[derive(Clone, Copy, Debug, PartialEq)]
struct DesignedFor {
    feedback_db: f64,
    presence: f64,
    depth: f64,
    load: SpeakerLoad,
}

impl DesignedFor {
    fn of(settings: &PowerAmpSettings) -> Self {
        Self {
            feedback_db: settings.feedback_db,
            presence: settings.presence,
            depth: settings.depth,
            load: settings.load,
        }
    }

    fn is_close_to(&self, other: &DesignedFor) -> bool {
        (self.feedback_db - other.feedback_db).abs() < 0.01
            && (self.presence - other.presence).abs() < 1.0e-3
            && (self.depth - other.depth).abs() < 1.0e-3
            && self.load == other.load
    }
}

/// The output stage's ADAA state over a blend of two tabulated feedback curves.
#[derive(Clone, Copy, Debug, Default)]
struct StageState {
    previous_drive: f64,
    previous_antiderivative: f64,
    previous_output: f64,
}

/// One channel of a power amp (see the module documentation).
pub struct PowerAmp {
    bank: Arc<CurveBank>,
    settings: PowerAmpSettings,
    designed_for: DesignedFor,
    load_model: RationalImpedance,
    sample_rate: f64,
    oversamplers: Vec<Oversampler>,
    drive_scale: f32,
    output_scale: f32,
    drive_filter: Cascade,
    network: NetworkFilter,
    admittance: Cascade,
    core_saturation: CoreSaturation,
    supply: Supply,
    /// Rails of the last [`RAIL_HISTORY`] base samples (ring buffer indexed by `sample_count`).
    rail_history: [f64; RAIL_HISTORY],
    sample_count: usize,
    feedback_step: usize,
    feedback_weight: f64,
    stage: StageState,
    meters: MeterBlock,
}

impl PowerAmp {
    /// A channel with `settings`, using the shared curve bank, prepared for 48 kHz.
    pub fn new(settings: PowerAmpSettings) -> Self {
        Self::with_bank(CurveBank::shared(), settings)
    }

    /// A channel with `settings` and an explicit curve bank, prepared for 48 kHz.
    pub fn with_bank(bank: Arc<CurveBank>, settings: PowerAmpSettings) -> Self {
        let oversamplers = Quality::ALL
            .iter()
            .map(|quality| {
                let mut oversampler = Oversampler::new(quality.factor(), quality.flavour());
                oversampler.prepare(CHUNK);
                oversampler
            })
            .collect();
        let mut amp = Self {
            bank,
            settings,
            designed_for: DesignedFor::of(&settings),
            load_model: settings.load.rational_impedance(),
            sample_rate: 48_000.0,
            oversamplers,
            drive_scale: 1.0,
            output_scale: 1.0,
            drive_filter: Cascade::default(),
            network: NetworkFilter::default(),
            admittance: Cascade::default(),
            core_saturation: CoreSaturation::default(),
            supply: Supply::default(),
            rail_history: [1.0; RAIL_HISTORY],
            sample_count: 0,
            feedback_step: 0,
            feedback_weight: 0.0,
            stage: StageState::default(),
            meters: MeterBlock::default(),
        };
        amp.apply(&settings, true);
        amp.reset();
        amp
    }

    /// The settings in force.
    pub fn settings(&self) -> &PowerAmpSettings {
        &self.settings
    }

    fn high_rate(&self) -> f64 {
        self.sample_rate * self.settings.quality.factor().ratio() as f64
    }

    /// Applies `settings`: everything cheap always; the network redesign (tracked, states kept)
    /// when feedback, presence, depth or the load's values moved; with `fresh`, everything from
    /// scratch (states cleared).
    fn apply(&mut self, settings: &PowerAmpSettings, fresh: bool) {
        let traits = settings.amp_type.traits();
        self.settings = *settings;
        self.drive_scale = settings.drive_scale() as f32;
        self.output_scale = settings.output_scale() as f32;
        self.supply.configure(
            &traits.supply,
            settings.sag,
            settings.rated_watts.clamp(1.0, 2000.0),
            self.sample_rate,
        );
        let (step, weight) = feedback_position(settings.feedback_db.clamp(0.0, 20.0));
        if step != self.feedback_step || weight != self.feedback_weight {
            self.feedback_step = step;
            self.feedback_weight = weight;
            // ADAA differences antiderivatives of consecutive samples: restate the remembered one
            // on the new blend of curves, or the change of blend would show up as a spike.
            self.stage.previous_antiderivative =
                self.blended_antiderivative(self.stage.previous_drive);
        }
        self.core_saturation.configure(
            traits
                .saturation_hz
                .zip(traits.transformer.map(|bandwidth| bandwidth.low_hz)),
            self.sample_rate,
        );
        let designed_for = DesignedFor::of(settings);
        if fresh || !designed_for.is_close_to(&self.designed_for) {
            let load_changed = fresh || designed_for.load != self.designed_for.load;
            if load_changed {
                self.load_model = settings.load.rational_impedance();
            }
            let network = settings.network();
            self.network.design(
                &network.roots(&self.load_model),
                self.sample_rate,
                self.high_rate(),
                fresh,
            );
            design_single(
                &mut self.drive_filter,
                &network.drive_roots(),
                self.sample_rate,
                fresh,
            );
            if load_changed {
                design_single(
                    &mut self.admittance,
                    &network.admittance_roots(&RationalImpedance::coarse_of(&settings.load)),
                    self.sample_rate,
                    fresh,
                );
            }
            self.meters.damping_factor = network.damping_factor();
            self.designed_for = designed_for;
        }
    }

    /// The antiderivative of the blend of tabulated curves in force at `drive`.
    fn blended_antiderivative(&self, drive: f64) -> f64 {
        let amp_type = self.settings.amp_type;
        let lower = self
            .bank
            .curve(amp_type, self.feedback_step)
            .curve
            .antiderivative(drive);
        let upper = self
            .bank
            .curve(amp_type, self.feedback_step + 1)
            .curve
            .antiderivative(drive);
        lower + self.feedback_weight * (upper - lower)
    }

    /// Moves to `settings`. Changes that [`PowerAmpSettings::needs_new_path`] flags are applied
    /// from scratch (a jump: [`switcher::CrossfadingPowerAmp`] cross-fades them); everything else
    /// glides in place. Never allocates.
    pub fn update(&mut self, settings: &PowerAmpSettings) {
        if self.settings.needs_new_path(settings) {
            self.apply(settings, true);
            self.reset();
        } else {
            self.apply(settings, false);
        }
    }

    /// Takes over the slowly varying state of `other` (supply rail, core flux), so a new path
    /// starts where the old one is.
    pub fn continue_from(&mut self, other: &PowerAmp) {
        self.supply.continue_from(&other.supply);
        self.rail_history = other.rail_history;
        self.sample_count = other.sample_count;
        self.core_saturation.continue_from(&other.core_saturation);
    }

    /// The latency this path has at `quality`, samples: where an impulse arrives. For linear phase
    /// that is the half-band cascade's exact delay; for minimum phase the IIR half-bands' rounded
    /// low-frequency group delay (1–3 samples), which the oversampler calls its alignment delay.
    /// Reporting it lets a host line the output up with other tracks; nothing is added to the path.
    pub fn latency_at(&self, quality: Quality) -> u32 {
        self.oversamplers[quality.index()].alignment_delay()
    }

    /// The meter measurements since the last call.
    pub fn take_meters(&mut self) -> MeterBlock {
        self.meters.take()
    }

    /// The present supply rail, rated units.
    pub fn rail(&self) -> f64 {
        self.supply.rail()
    }

    /// The supply's time constant, seconds.
    pub fn supply_time_constant(&self) -> f64 {
        self.supply.time_constant()
    }

    /// Damping factor in use.
    pub fn damping_factor(&self) -> f64 {
        self.settings.network().damping_factor()
    }

    /// The analytic small-signal response from input samples to output samples at `frequency_hz`
    /// (exact load impedance, ideal oversampling): drive scale × presence/depth shape × network ×
    /// output scale.
    pub fn response(&self, frequency_hz: f64) -> Complex64 {
        let network = self.settings.network();
        network.drive_response(frequency_hz)
            * network.response(frequency_hz)
            * self.settings.drive_scale()
            * self.settings.output_scale()
    }

    /// The digital realisation of the linear parts (drive filter and both network cascades) at
    /// `frequency_hz`, in the same units as [`PowerAmp::response`] (excluding the curve's
    /// small-signal gain and the oversampler).
    pub fn realised_response(&self, frequency_hz: f64) -> Complex64 {
        self.drive_filter.response(frequency_hz)
            * self.network.response(frequency_hz)
            * self.settings.drive_scale()
            * self.settings.output_scale()
    }

    /// The network's rational model response (what the cascades approximate) at `frequency_hz`.
    pub fn model_response(&self, frequency_hz: f64) -> Complex64 {
        let network = self.settings.network();
        network.drive_response(frequency_hz)
            * network.model_response(frequency_hz, &self.load_model)
            * self.settings.drive_scale()
            * self.settings.output_scale()
    }

    /// The curve of the lower tabulated feedback step in force.
    pub fn stage_curve(&self) -> &TabulatedCurve {
        &self
            .bank
            .curve(self.settings.amp_type, self.feedback_step)
            .curve
    }

    /// The curves the output stage uses now (the tabulated feedback steps around the user's
    /// feedback and their blend). Takes the fields it reads, so that the caller can hold other
    /// fields of the same amp mutably.
    fn stage_curves(
        bank: &CurveBank,
        amp_type: AmpType,
        feedback_step: usize,
        feedback_weight: f64,
    ) -> StageCurves<'_> {
        let lower = bank.curve(amp_type, feedback_step);
        let upper = bank.curve(amp_type, feedback_step + 1);
        StageCurves {
            lower: &lower.curve,
            upper: &upper.curve,
            blend: CurveBlend {
                weight: feedback_weight,
                ill_conditioned: 1.0e-5 * lower.curve.step(),
            },
        }
    }

    /// Step 1 of a chunk, at the base rate: the drive into `chunk`, the rails the output stage
    /// will use, the peak-drive meter and the clip light.
    fn drive_front(&mut self, chunk: &mut [f32]) -> ChunkFront {
        let length = chunk.len();
        let bank = &*self.bank;
        let amp_type = self.settings.amp_type;
        let lower = bank.curve(amp_type, self.feedback_step);
        let upper = bank.curve(amp_type, self.feedback_step + 1);
        let weight = self.feedback_weight;
        let clip_positive = lower.clip_drive_positive
            + weight * (upper.clip_drive_positive - lower.clip_drive_positive);
        let clip_negative = lower.clip_drive_negative
            + weight * (upper.clip_drive_negative - lower.clip_drive_negative);

        let drive_scale = self.drive_scale;
        let (mut most_positive, mut most_negative) = (0.0_f32, 0.0_f32);
        for sample in chunk.iter_mut() {
            let drive = self
                .drive_filter
                .process_sample(f64::from(sanitize(*sample) * drive_scale))
                as f32;
            most_positive = most_positive.max(drive);
            most_negative = most_negative.min(drive);
            *sample = drive;
        }
        let peak_drive = most_positive.max(-most_negative);

        // The output stage runs on the rail of RAIL_DELAY samples ago (so the result never depends
        // on where blocks or chunks begin), glided across each base sample.
        let mut rails = [0.0_f64; CHUNK + 1];
        for (offset, rail) in rails.iter_mut().take(length + 1).enumerate() {
            let delayed = self.sample_count + RAIL_HISTORY + offset - RAIL_DELAY - 1;
            *rail = self.rail_history[delayed % RAIL_HISTORY];
        }
        let rail_start = rails[1];
        self.meters.peak_drive_ratio = self
            .meters
            .peak_drive_ratio
            .max(f64::from(peak_drive) / rail_start);
        // The clip light: the drive (over the rail) ran past the curve's knee on either side.
        let clipped = f64::from(most_positive) / rail_start > clip_positive
            || f64::from(-most_negative) / rail_start > clip_negative;
        ChunkFront {
            rails,
            length,
            clipped,
        }
    }

    fn process_chunk(&mut self, chunk: &mut [f32]) {
        // 1. Drive at the base rate.
        let front = self.drive_front(chunk);
        // 2. The output stage and the high network at the oversampled rate.
        let curves = Self::stage_curves(
            &self.bank,
            self.settings.amp_type,
            self.feedback_step,
            self.feedback_weight,
        );
        let oversampler = &mut self.oversamplers[self.settings.quality.index()];
        let glide = front.glide(oversampler.factor());
        let high = oversampler.upsample(chunk);
        self.stage = curves.run(high, glide, self.stage);
        self.network.high.process_block(high);
        oversampler.downsample(chunk);
        // 3. Back at the base rate.
        self.finish_chunk(chunk, &front);
    }

    /// Step 3 of a chunk, at the base rate (after downsampling): the low network, the
    /// transformer core, the load current, the supply and the meters.
    fn finish_chunk(&mut self, chunk: &mut [f32], front: &ChunkFront) {
        let length = front.length;
        self.network.low.process_block(chunk);
        let output_scale = self.output_scale;
        let rail_volts = self.settings.rail_volts();
        let watts_per_unit = 2.0 * self.settings.rated_watts.clamp(1.0, 2000.0);
        let mut energy = 0.0;
        let mut peak_voltage = 0.0_f32;
        self.core_saturation.process_block(chunk);
        let mut currents = [0.0_f64; CHUNK];
        let currents = &mut currents[..length];
        self.admittance.process_block_wide(chunk, currents);
        // The sum of this chunk's new rails is finite when each of them is (a sum that overflows
        // would come from absurd rails, which deserve the reset as well); the older entries were
        // checked by earlier chunks.
        let mut new_rails_sum = 0.0;
        for (sample, &current) in chunk.iter_mut().zip(currents.iter()) {
            let voltage = *sample;
            let rail = self.supply.advance(current);
            self.rail_history[self.sample_count % RAIL_HISTORY] = rail;
            new_rails_sum += rail;
            self.sample_count += 1;
            energy += f64::from(voltage) * current;
            peak_voltage = peak_voltage.max(voltage.abs());
            *sample = voltage * output_scale;
        }
        self.supply.keep_sane();
        if !self.supply.rail().is_finite() || !new_rails_sum.is_finite() {
            self.rail_history = [self.supply.rail(); RAIL_HISTORY];
        }
        self.meters.energy += energy * watts_per_unit;
        self.meters.samples += length;
        self.meters.peak_volts = self
            .meters
            .peak_volts
            .max(f64::from(peak_voltage) * rail_volts);
        self.meters.clipped |= front.clipped;
        self.meters.rail_percent = 100.0 * self.supply.rail() / self.supply.idle_rail();
    }
}

/// What the base-rate front of a chunk ([`PowerAmp::drive_front`]) leaves for the rest of it.
struct ChunkFront {
    /// `rails[i + 1]` is the rail for base sample `i` (see [`RailGlide`]).
    rails: [f64; CHUNK + 1],
    /// Base samples in the chunk.
    length: usize,
    /// Whether the drive ran past the curve's knee.
    clipped: bool,
}

impl ChunkFront {
    /// The rails of the chunk for an oversampling `ratio`.
    fn glide(&self, ratio: usize) -> RailGlide<'_> {
        RailGlide {
            rails: &self.rails[..self.length + 1],
            ratio,
        }
    }
}

/// The output stage's curves for one chunk.
#[derive(Clone, Copy)]
struct StageCurves<'a> {
    lower: &'a TabulatedCurve,
    upper: &'a TabulatedCurve,
    blend: CurveBlend,
}

impl StageCurves<'_> {
    /// Runs the output stage over `high` from `state` and returns the new state (restarted from
    /// silence if it is no longer finite).
    fn run(&self, high: &mut [f32], glide: RailGlide, state: StageState) -> StageState {
        let state = if self.blend.weight == 0.0 {
            run_output_stage::<false>(high, self.lower, self.upper, self.blend, glide, state)
        } else {
            run_output_stage::<true>(high, self.lower, self.upper, self.blend, glide, state)
        };
        self.recovered(state)
    }

    /// `state`, or the state of silence if it is no longer finite.
    fn recovered(&self, state: StageState) -> StageState {
        if state.previous_antiderivative.is_finite() && state.previous_output.is_finite() {
            state
        } else {
            let low = self.lower.antiderivative(0.0);
            StageState {
                previous_antiderivative: low
                    + self.blend.weight * (self.upper.antiderivative(0.0) - low),
                ..StageState::default()
            }
        }
    }

    /// True when `other` is the same curves and blend (two channels of one amp).
    fn same_as(&self, other: &StageCurves) -> bool {
        std::ptr::eq(self.lower, other.lower)
            && std::ptr::eq(self.upper, other.upper)
            && self.blend == other.blend
    }
}

/// The rail over one chunk at the oversampled rate: `rails[i + 1]` holds for base sample `i` of
/// the chunk (and its oversampled samples). The rail moves by far less than 0.01 % per sample, so
/// holding it over one base sample adds nothing audible.
#[derive(Clone, Copy)]
struct RailGlide<'a> {
    rails: &'a [f64],
    ratio: usize,
}

/// How the two tabulated feedback curves around the user's feedback are blended.
#[derive(Clone, Copy, PartialEq)]
struct CurveBlend {
    /// Weight of the upper curve, 0–1.
    weight: f64,
    /// Input difference below which the ADAA quotient falls back to the curve's midpoint value.
    ill_conditioned: f64,
}

/// Runs the output stage over `high` (drive in rated units × rail) in place: first-order ADAA of
/// the blend of the `lower` and `upper` curves scaled by the rail, then the droop fix. `BLEND` is
/// false when the feedback sits exactly on a tabulated step (one table lookup instead of two).
/// Returns the new state.
///
/// Kept out of line so that the curves arrive as plain reference arguments: the compiler then
/// knows that writing `high` leaves them unchanged and keeps their fields in registers across the
/// loop instead of reloading them for every sample.
#[inline(never)]
fn run_output_stage<const BLEND: bool>(
    high: &mut [f32],
    lower: &TabulatedCurve,
    upper: &TabulatedCurve,
    blend: CurveBlend,
    glide: RailGlide,
    state: StageState,
) -> StageState {
    let StageState {
        mut previous_drive,
        mut previous_antiderivative,
        mut previous_output,
    } = state;
    let limit = 4.0 * NORMALISED_RANGE;
    let weight = blend.weight;
    for (block, &rail) in high.chunks_mut(glide.ratio).zip(&glide.rails[1..]) {
        let inverse_rail = 1.0 / rail;
        for sample in block.iter_mut() {
            let drive = (f64::from(*sample) * inverse_rail).clamp(-limit, limit);
            let antiderivative = if BLEND {
                let low = lower.antiderivative(drive);
                low + weight * (upper.antiderivative(drive) - low)
            } else {
                lower.antiderivative(drive)
            };
            let difference = drive - previous_drive;
            let shaped = if difference.abs() > blend.ill_conditioned {
                (antiderivative - previous_antiderivative) / difference
            } else {
                let middle = 0.5 * (drive + previous_drive);
                let low = lower.value(middle);
                if BLEND {
                    low + weight * (upper.value(middle) - low)
                } else {
                    low
                }
            };
            previous_drive = drive;
            previous_antiderivative = antiderivative;
            let output = shaped * rail;
            *sample = ((1.0 + DROOP_FIX) * output - DROOP_FIX * previous_output) as f32;
            previous_output = output;
        }
    }
    StageState {
        previous_drive,
        previous_antiderivative,
        previous_output,
    }
}

/// Designs a single base-rate cascade, tracking its previous plan unless `fresh`.
fn design_single(cascade: &mut Cascade, roots: &ZeroPoleGain, sample_rate: f64, fresh: bool) {
    let tracked = if fresh {
        None
    } else {
        cascade.plan().tracked(&roots.zeros, &roots.poles)
    };
    let plan = match tracked {
        Some(plan) => plan,
        None => {
            cascade.reset();
            CascadePlan::fresh(&roots.zeros, &roots.poles)
        }
    };
    cascade.set_plan(plan, roots.gain, sample_rate);
}

impl Processor for PowerAmp {
    fn prepare(&mut self, sample_rate: f32, _max_block: usize) {
        self.sample_rate = f64::from(sample_rate);
        let settings = self.settings;
        self.apply(&settings, true);
        self.reset();
    }

    fn reset(&mut self) {
        for oversampler in self.oversamplers.iter_mut() {
            oversampler.reset();
        }
        self.drive_filter.reset();
        self.network.reset();
        self.admittance.reset();
        self.core_saturation.reset();
        self.supply.reset();
        self.rail_history = [self.supply.rail(); RAIL_HISTORY];
        self.stage = StageState {
            previous_drive: 0.0,
            previous_antiderivative: self.blended_antiderivative(0.0),
            previous_output: 0.0,
        };
        self.meters = MeterBlock {
            rail_percent: 100.0,
            damping_factor: self.meters.damping_factor,
            ..MeterBlock::default()
        };
    }

    fn process_sample(&mut self, input: f32) -> f32 {
        let mut block = [input];
        self.process_chunk(&mut block);
        block[0]
    }

    fn process_block(&mut self, block: &mut [f32]) {
        for chunk in block.chunks_mut(CHUNK) {
            self.process_chunk(chunk);
        }
    }

    fn latency(&self) -> u32 {
        self.latency_at(self.settings.quality)
    }
}
