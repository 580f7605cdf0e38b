//! The colour model: transformer-coupled class A.
//!
//! Signal path: input transformer (flux-domain saturation, [`TransformerStage`]) → a class-A
//! common-emitter transistor stage → output transformer → the model's own voicing EQ (a gentle low
//! end weight and a presence lift). Only the transistor runs at the oversampled rate
//! ([`ColourModel`]). Both transformers run at the host rate: the input transformer before the
//! upsampler ([`ColourInput`]), the output transformer and the voicing after the downsampler
//! ([`ColourOutput`]). A transformer saturates on flux, the integral of the voltage, so its
//! distortion falls about 12 dB per octave of frequency (see [`crate::shape::transformer`]): at
//! 7 kHz its harmonics that would fold back are far below the aliasing limit, while the bass,
//! where it does distort, is where a rate of 48 kHz changes nothing.
//!
//! Class-A stage (Sedra & Smith, "Microelectronic Circuits", common-emitter amplifier with emitter
//! degeneration): the emitter current solves `v = V_T·ln(i/I_q) + R_e·(i − I_q)` for the AC base
//! voltage `v`, so the exponential junction, tamed by the degeneration, bends the two half-waves
//! differently (H2 first, then H3); the collector current cannot exceed the saturation current
//! `(V_cc − V_ce,sat)/(R_c + R_e,dc)` (a rounded limit) and approaches cutoff gently. Output
//! `−R_c·(i − I_q)`, inverted back to the input's polarity. Tabulated at construction and played
//! with first-order ADAA.

use realfft::num_complex::Complex64;
use std::sync::OnceLock;

use super::model::ModelStage;
use crate::Processor;
use crate::filter::biquad::{Biquad, BiquadCoefficients};
use crate::filter::{flush_state, state_is_sane};
use crate::ramp::LinearRamp;
use crate::shape::adaa::{Adaa, TabulatedCurve};
use crate::shape::solve::root_of_increasing;
use crate::shape::transformer::{CoreLaw, TransformerSettings, TransformerStage};

/// Thermal voltage at 27 °C, volts.
const THERMAL_VOLTAGE: f64 = 0.025_85;
/// Supply voltage, volts.
const SUPPLY_VOLTS: f64 = 24.0;
/// Collector load, ohms.
const COLLECTOR_OHMS: f64 = 3_300.0;
/// Unbypassed emitter resistance (AC degeneration), ohms.
const EMITTER_AC_OHMS: f64 = 47.0;
/// Total emitter resistance at DC (degeneration plus the bypassed bias resistor), ohms.
const EMITTER_DC_OHMS: f64 = 1_000.0;
/// Quiescent collector current, amperes.
const QUIESCENT_AMPS: f64 = 3.0e-3;
/// Collector-emitter saturation voltage, volts.
const SATURATION_VOLTS: f64 = 0.2;
/// Width of the rounding at the saturation limit, amperes.
const SATURATION_KNEE_AMPS: f64 = 0.15e-3;
/// Input range of the tabulated transfer, volts of AC base drive.
const BASE_RANGE_VOLTS: f64 = 4.0;
/// Grid segments of the table.
const SEGMENTS: usize = 2048;

/// Core size of the colour transformers relative to the reference line transformer: small
/// cores that saturate audibly in the low end (distortion at a given level scales as 1/size²).
pub const TRANSFORMER_CORE_SIZE: f64 = 0.05;

/// Low-end weight of the colour voicing: a low shelf, Hz and dB.
pub const VOICING_LOW_SHELF: (f32, f32) = (90.0, 1.5);
/// Presence lift of the colour voicing: a bell, Hz, Q and dB.
pub const VOICING_PRESENCE: (f32, f32, f32) = (4_500.0, 0.8, 2.0);

/// The transistor stage's saturation current, amperes.
fn saturation_amps() -> f64 {
    (SUPPLY_VOLTS - SATURATION_VOLTS - QUIESCENT_AMPS * (COLLECTOR_OHMS + EMITTER_DC_OHMS))
        / (COLLECTOR_OHMS + EMITTER_DC_OHMS)
        + QUIESCENT_AMPS
}

/// Emitter current for AC base drive `base_volts`, amperes (before the saturation limit).
fn emitter_current(base_volts: f64) -> f64 {
    let equation = |current: f64| {
        THERMAL_VOLTAGE * (current / QUIESCENT_AMPS).ln()
            + EMITTER_AC_OHMS * (current - QUIESCENT_AMPS)
            - base_volts
    };
    root_of_increasing(equation, 1.0e-120, 1.0)
}

/// Smooth minimum of `current` and the saturation current.
fn limited_current(current: f64) -> f64 {
    let limit = saturation_amps();
    let excess = (limit - current) / SATURATION_KNEE_AMPS;
    // limit − w·ln(1 + e^{(limit − i)/w}), written to stay finite for large arguments.
    let softplus = if excess > 30.0 {
        excess
    } else {
        excess.exp().ln_1p()
    };
    limit - SATURATION_KNEE_AMPS * softplus
}

/// Small-signal voltage gain of the transistor stage, R_c/(R_e + r_e), r_e = V_T/I_q.
pub fn class_a_small_signal_gain() -> f64 {
    COLLECTOR_OHMS / (EMITTER_AC_OHMS + THERMAL_VOLTAGE / QUIESCENT_AMPS)
}

/// The class-A common-emitter stage with ADAA: base volts in, output volts (polarity restored).
#[derive(Clone, Debug)]
pub struct ClassAStage {
    transfer: TabulatedCurve,
    adaa: Adaa,
}

impl ClassAStage {
    /// Solves and tabulates the stage (a few ms).
    pub fn new() -> Self {
        let rest_output = COLLECTOR_OHMS * (limited_current(QUIESCENT_AMPS) - QUIESCENT_AMPS);
        let transfer = TabulatedCurve::from_function(
            |base| {
                let current = limited_current(emitter_current(base));
                // −R_c·Δi, inverted back: a positive base swing gives a positive output.
                COLLECTOR_OHMS * (current - QUIESCENT_AMPS) - rest_output
            },
            -BASE_RANGE_VOLTS,
            BASE_RANGE_VOLTS,
            SEGMENTS,
        );
        let adaa = Adaa::settled_at(&transfer, 0.0);
        Self { transfer, adaa }
    }

    /// The static transfer, base volts → output volts.
    pub fn transfer(&self) -> &TabulatedCurve {
        &self.transfer
    }
}

impl Default for ClassAStage {
    fn default() -> Self {
        Self::new()
    }
}

impl Processor for ClassAStage {
    fn prepare(&mut self, _sample_rate: f32, _max_block: usize) {
        self.reset();
    }

    fn reset(&mut self) {
        self.adaa.settle(&self.transfer, 0.0);
    }

    #[inline]
    fn process_sample(&mut self, input: f32) -> f32 {
        self.adaa.process(&self.transfer, f64::from(input)) as f32
    }

    fn process_block(&mut self, block: &mut [f32]) {
        self.process_block_with_drive(block, 1.0);
    }
}

impl ClassAStage {
    /// [`ClassAStage::process_sample`] of each sample times `base_drive` (base volts per unit),
    /// with the ADAA memory in locals, so nothing goes through memory between samples.
    #[inline]
    fn process_block_with_drive(&mut self, block: &mut [f32], base_drive: f32) {
        let mut adaa = self.adaa;
        for sample in block.iter_mut() {
            *sample = adaa.process(&self.transfer, f64::from(*sample * base_drive)) as f32;
        }
        self.adaa = adaa;
    }
}

fn colour_transformer_settings() -> TransformerSettings {
    TransformerSettings {
        core_size: TRANSFORMER_CORE_SIZE,
        ..TransformerSettings::line_transformer()
    }
}

fn colour_transformer() -> TransformerStage {
    // Tabulating the core takes tens of milliseconds; every channel and quality uses the same one.
    static PROTOTYPE: OnceLock<TransformerStage> = OnceLock::new();
    PROTOTYPE
        .get_or_init(|| TransformerStage::with_settings(colour_transformer_settings()))
        .clone()
}

/// Low-frequency corner of each colour transformer, Hz: `R/(2π·L0)` (series resistance over the
/// magnetising inductance, see [`crate::shape::transformer`]), about 40 Hz for the small cores.
pub fn transformer_corner_hz() -> f64 {
    let settings = colour_transformer_settings();
    settings.series_resistance()
        / (std::f64::consts::TAU * CoreLaw::for_size(settings.core_size).inductance)
}

/// One transformer's low-level response: a first-order high-pass at [`transformer_corner_hz`].
fn transformer_response(frequency_hz: f64) -> Complex64 {
    let s = Complex64::new(0.0, frequency_hz);
    s / (s + transformer_corner_hz())
}

/// The colour model's low-level response at one host rate, designed once and evaluated at many
/// frequencies (no allocation): input transformer, output transformer and voicing EQ (the
/// class-A stage is flat).
#[derive(Clone, Debug)]
pub struct ColourResponse {
    low_shelf: Biquad,
    presence: Biquad,
}

/// The colour voicing's low-end weight at `sample_rate` Hz.
fn voicing_low_shelf(sample_rate: f32) -> Biquad {
    Biquad::low_shelf(
        sample_rate,
        VOICING_LOW_SHELF.0,
        std::f32::consts::FRAC_1_SQRT_2,
        VOICING_LOW_SHELF.1,
    )
}

/// The colour voicing's presence lift at `sample_rate` Hz.
fn voicing_presence(sample_rate: f32) -> Biquad {
    Biquad::peaking(
        sample_rate,
        VOICING_PRESENCE.0,
        VOICING_PRESENCE.1,
        VOICING_PRESENCE.2,
    )
}

impl ColourResponse {
    /// The response at a host rate of `sample_rate` Hz.
    pub fn new(sample_rate: f32) -> Self {
        Self {
            low_shelf: voicing_low_shelf(sample_rate),
            presence: voicing_presence(sample_rate),
        }
    }

    /// The exact response at `frequency_hz`.
    pub fn at(&self, frequency_hz: f64) -> Complex64 {
        let transformer = transformer_response(frequency_hz);
        transformer
            * transformer
            * self.low_shelf.response(frequency_hz)
            * self.presence.response(frequency_hz)
    }
}

/// The whole colour model's low-level response at `frequency_hz` for a host rate of
/// `sample_rate` ([`ColourResponse`]); for level matching and plots.
pub fn model_response(sample_rate: f32, frequency_hz: f64) -> Complex64 {
    ColourResponse::new(sample_rate).at(frequency_hz)
}

/// The host-rate input side of the colour model: the input transformer, run before the
/// upsampler. Its input is the voltage at the preamp's input terminals, its output the secondary
/// voltage that [`ColourModel`] takes.
#[derive(Clone, Debug)]
pub struct ColourInput {
    input_transformer: TransformerStage,
}

impl ColourInput {
    /// Builds the input transformer for `sample_rate` Hz.
    pub fn new(sample_rate: f32) -> Self {
        let mut input = Self {
            input_transformer: colour_transformer(),
        };
        input.prepare(sample_rate, 0);
        input
    }

    /// Processes one chunk as the colour model's input side, blended with the chunk as it came by
    /// the colour model's share of the output: `share` is a copy of the ramp the channel fades the
    /// colour stages with, advanced here once per sample as the channel advances its own on the
    /// output side. While the share is 0 the transformer rests; once it has faded out to 0 the
    /// transformer is cleared, to start clean when it is next faded in.
    pub fn process_chunk(&mut self, chunk: &mut [f32], mut share: LinearRamp) {
        if share.is_ramping() {
            for sample in chunk.iter_mut() {
                let colour_share = share.advance();
                if colour_share > 0.0 {
                    let secondary = self.input_transformer.process_sample(*sample);
                    *sample += colour_share * (secondary - *sample);
                }
            }
            if !share.is_ramping() && share.value() == 0.0 {
                self.reset();
            }
        } else if share.value() > 0.0
            && !self
                .input_transformer
                .process_sanitised_block_then(chunk, |secondary| secondary)
        {
            chunk.fill(0.0);
        }
    }
}

impl Processor for ColourInput {
    fn prepare(&mut self, sample_rate: f32, max_block: usize) {
        self.input_transformer.prepare(sample_rate, max_block);
    }

    fn reset(&mut self) {
        self.input_transformer.reset();
    }

    #[inline]
    fn process_sample(&mut self, input: f32) -> f32 {
        self.input_transformer.process_sample(input)
    }

    fn process_block(&mut self, block: &mut [f32]) {
        self.input_transformer.process_block(block);
    }
}

/// The oversampled part of the colour model: the class-A stage, driven by the input transformer's
/// secondary ([`ColourInput`], at the host rate before the upsampler).
#[derive(Clone, Debug)]
pub struct ColourModel {
    class_a: ClassAStage,
    /// Base volts per transformer-secondary volt.
    base_drive: f32,
}

impl ColourModel {
    /// Builds the transistor stage.
    pub fn new() -> Self {
        Self {
            class_a: ClassAStage::new(),
            base_drive: 1.0,
        }
    }
}

impl Default for ColourModel {
    fn default() -> Self {
        Self::new()
    }
}

impl ModelStage for ColourModel {
    fn set_gain(&mut self, gain: f32) {
        self.base_drive = (f64::from(gain) / class_a_small_signal_gain()) as f32;
    }

    /// The gain is the class-A stage's base drive (it sits after the input transformer): a glide
    /// ramps the base drive per sample.
    fn process_with_gain(&mut self, block: &mut [f32], start_gain: f32, end_gain: f32) {
        if start_gain == end_gain {
            self.set_gain(end_gain);
            self.process_block(block);
            return;
        }
        let drive_per_gain = (1.0 / class_a_small_signal_gain()) as f32;
        let start_drive = start_gain * drive_per_gain;
        let step = (end_gain - start_gain) * drive_per_gain / block.len().max(1) as f32;
        for (index, sample) in block.iter_mut().enumerate() {
            self.base_drive = start_drive + step * (index + 1) as f32;
            *sample = self.process_sample(*sample);
        }
        self.set_gain(end_gain);
    }
}

impl Processor for ColourModel {
    fn prepare(&mut self, sample_rate: f32, max_block: usize) {
        self.class_a.prepare(sample_rate, max_block);
    }

    fn reset(&mut self) {
        self.class_a.reset();
    }

    #[inline(always)]
    fn process_sample(&mut self, secondary: f32) -> f32 {
        self.class_a.process_sample(secondary * self.base_drive)
    }

    fn process_block(&mut self, block: &mut [f32]) {
        self.class_a
            .process_block_with_drive(block, self.base_drive);
    }
}

/// The host-rate part of the colour model: output transformer and the voicing EQ.
#[derive(Clone, Debug)]
pub struct ColourOutput {
    output_transformer: TransformerStage,
    /// The voicing's low shelf; its design and response (the recursion runs in [`VoicingState`]).
    low_shelf: Biquad,
    /// The voicing's presence bell; its design and response.
    presence: Biquad,
    voicing: VoicingState,
}

/// The two voicing biquads' recursion (transposed direct form II, as [`Biquad`] runs it), fused
/// into the output transformer's loop: the signal stays in `f64` from the transformer to the end of
/// the voicing, and the states are checked (flushed below the denormal floor, reset if not finite)
/// once per block.
#[derive(Clone, Copy, Debug, Default)]
struct VoicingState {
    /// `[state 1, state 2]` of the low shelf, then of the presence bell.
    states: [[f64; 2]; 2],
}

impl VoicingState {
    /// One sample through both biquads.
    #[inline(always)]
    fn step(&mut self, coefficients: &[BiquadCoefficients; 2], input: f64) -> f64 {
        let mut signal = input;
        for (state, c) in self.states.iter_mut().zip(coefficients) {
            let output = c.b0 * signal + state[0];
            state[0] = c.b1 * signal - c.a1 * output + state[1];
            state[1] = c.b2 * signal - c.a2 * output;
            signal = output;
        }
        signal
    }

    /// The once-per-block check: tiny states to zero; a state that is not finite (or absurdly
    /// large) resets both filters and reports it, so the caller silences the block.
    fn settle_block(&mut self) -> bool {
        let sane = self
            .states
            .iter()
            .flatten()
            .all(|&state| state_is_sane(state));
        if sane {
            for state in self.states.iter_mut().flatten() {
                *state = flush_state(*state);
            }
        } else {
            *self = Self::default();
        }
        sane
    }
}

impl ColourOutput {
    /// Builds the output transformer and the voicing filters for `sample_rate` Hz.
    pub fn new(sample_rate: f32) -> Self {
        let mut output = Self {
            output_transformer: colour_transformer(),
            low_shelf: voicing_low_shelf(sample_rate),
            presence: voicing_presence(sample_rate),
            voicing: VoicingState::default(),
        };
        output.prepare(sample_rate, 0);
        output
    }

    /// The voicing EQ's exact response (the transformer's linear part is flat in the audio band
    /// apart from its low corner, included here).
    pub fn response(&self, frequency_hz: f64) -> Complex64 {
        let transformer_corner = self.output_transformer.low_corner_hz();
        let s = Complex64::new(0.0, frequency_hz);
        let transformer = s / (s + transformer_corner);
        transformer * self.low_shelf.response(frequency_hz) * self.presence.response(frequency_hz)
    }

    fn voicing_coefficients(&self) -> [BiquadCoefficients; 2] {
        [self.low_shelf.coefficients(), self.presence.coefficients()]
    }
}

impl Processor for ColourOutput {
    fn prepare(&mut self, sample_rate: f32, max_block: usize) {
        self.output_transformer.prepare(sample_rate, max_block);
        self.low_shelf.prepare(sample_rate, max_block);
        self.presence.prepare(sample_rate, max_block);
        self.voicing = VoicingState::default();
    }

    fn reset(&mut self) {
        self.output_transformer.reset();
        self.voicing = VoicingState::default();
    }

    #[inline]
    fn process_sample(&mut self, input: f32) -> f32 {
        let mut block = [input];
        self.process_block(&mut block);
        block[0]
    }

    /// Transformer and voicing in one loop, with no guard per sample: the transformer's flux and
    /// the voicing's states are checked once per block instead
    /// ([`TransformerStage::process_sanitised_block_then`]), and a block that carried NaN,
    /// infinities or absurd levels resets the stage and comes out silent.
    fn process_block(&mut self, block: &mut [f32]) {
        let coefficients = self.voicing_coefficients();
        let mut voicing = self.voicing;
        let transformer_sane = self
            .output_transformer
            .process_sanitised_block_then(block, |secondary| {
                voicing.step(&coefficients, secondary)
            });
        self.voicing = voicing;
        let voicing_sane = self.voicing.settle_block();
        if !(transformer_sane && voicing_sane) {
            self.reset();
            block.fill(0.0);
        }
    }
}
