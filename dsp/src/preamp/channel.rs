//! One channel of the preamp: the whole signal path with its smoothing and cross-fades.
//!
//! ```text
//! in → phase → source loading → input calibration (volts) → colour input transformer
//!    (while Colour is active) ─┬→ upsample → model(s)
//!    → ADAA droop compensation → downsample
//!                                                             (models cross-fade on a switch)
//!    → colour output stage (while Colour is active) → DC blocker → volts to samples
//!    → low-cut + EQ → auto-gain → output trim → mix with the latency-aligned dry signal → out
//! ```
//!
//! Everything is allocated in [`PreampChannel::new`]; processing never allocates.

use realfft::num_complex::Complex64;

use super::calibration::{InputType, input_volts_per_unit, output_units_per_volt};
use super::colour::{self, ColourInput, ColourOutput};
use super::level_match::LevelMatch;
use super::model::{ModelSet, PreampModel};
use super::oversampled::{GainGlide, OversampledSection};
use super::source::SourceFilter;
use super::tone::{EqSettings, LowCutSettings, ToneSection};
use super::transparent::TransparentOptions;
use super::voicing::{InputImpedance, Voicing};
use crate::Processor;
use crate::filter::dc_blocker::DcBlocker;
use crate::guard::sanitize;
use crate::level::{db_to_gain, gain_to_db};
use crate::oversample::{FilterFlavour, Oversampler, OversamplingFactor};
use crate::ramp::LinearRamp;

/// Base-rate samples per inner chunk: the model gain takes a new value this often and glides
/// linearly across each chunk (1.3 ms at 48 kHz, so a gain sweep has no audible steps), and the
/// per-chunk work (gain conversion, oversampler set-up, state checks) is spread over this many.
pub const CHUNK: usize = 64;
/// Cross-fade time for model switches and the phase flip, seconds.
pub const SWITCH_FADE_SECONDS: f32 = 0.02;
/// Time constant of the gain smoothing, seconds.
const GAIN_SMOOTHING_SECONDS: f32 = 0.012;
/// DC blocker corner after the models, Hz (−0.01 dB at 20 Hz).
pub const DC_BLOCKER_HZ: f32 = 1.0;

/// Everything the channel needs to know, in plain units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChannelSettings {
    /// The circuit modelled.
    pub model: PreampModel,
    /// The source the input expects.
    pub voicing: Voicing,
    /// The input type (`None`: the voicing's).
    pub input_type: Option<InputType>,
    /// The input impedance (`None`: the voicing's).
    pub impedance: Option<InputImpedance>,
    /// The −20 dB input pad.
    pub pad: bool,
    /// Preamp gain, dB (0–60).
    pub gain_db: f32,
    /// Output trim, dB (±24).
    pub output_db: f32,
    /// Dry/wet mix, 0 (dry) to 1 (wet).
    pub mix: f32,
    /// Polarity inversion.
    pub invert_phase: bool,
    /// Low-cut.
    pub low_cut: LowCutSettings,
    /// EQ.
    pub eq: EqSettings,
    /// Transparent model options.
    pub transparent: TransparentOptions,
    /// Output loudness follows input loudness.
    pub auto_gain: bool,
}

impl Default for ChannelSettings {
    fn default() -> Self {
        Self {
            model: PreampModel::Transparent,
            voicing: Voicing::Flat,
            input_type: None,
            impedance: None,
            pad: false,
            gain_db: 0.0,
            output_db: 0.0,
            mix: 1.0,
            invert_phase: false,
            low_cut: LowCutSettings::OFF,
            eq: EqSettings::FLAT,
            transparent: TransparentOptions::default(),
            auto_gain: false,
        }
    }
}

impl ChannelSettings {
    /// The input type in effect (the voicing's unless overridden).
    pub fn effective_input_type(&self) -> InputType {
        self.input_type
            .unwrap_or(self.voicing.defaults().input_type)
    }

    /// The input impedance in effect (the voicing's unless overridden).
    pub fn effective_impedance(&self) -> InputImpedance {
        self.impedance.unwrap_or(self.voicing.defaults().impedance)
    }
}

/// A one-pole smoother towards a target (no allocation, cheap per sample).
#[derive(Clone, Copy, Debug, Default)]
struct Smoothed {
    value: f32,
    target: f32,
    coefficient: f32,
}

impl Smoothed {
    fn prepare(&mut self, sample_rate: f32, seconds: f32) {
        self.coefficient = 1.0 - (-1.0 / (seconds * sample_rate)).exp();
    }

    fn settle(&mut self, value: f32) {
        self.value = value;
        self.target = value;
    }

    /// True while the value has not reached its target.
    fn is_moving(&self) -> bool {
        self.value != self.target
    }

    #[inline]
    fn next(&mut self) -> f32 {
        self.value += self.coefficient * (self.target - self.value);
        if (self.target - self.value).abs() <= 1e-7 * self.target.abs().max(1e-7) {
            self.value = self.target;
        }
        self.value
    }
}

/// A gain smoothed in decibels: a one-pole glide of the level in dB, so gains that change
/// together (input calibration, preamp gain, output trim and auto-gain) glide as one, with no
/// overshoot of their sum; the linear gain is recomputed only while moving.
#[derive(Clone, Copy, Debug, Default)]
struct SmoothedGain {
    decibels: Smoothed,
    linear: f32,
}

impl SmoothedGain {
    /// Within this many dB of the target the glide ends.
    const SETTLED_DB: f32 = 1.0e-4;

    fn prepare(&mut self, sample_rate: f32, seconds: f32) {
        self.decibels.prepare(sample_rate, seconds);
    }

    fn set_target_db(&mut self, target_db: f32) {
        self.decibels.target = target_db;
    }

    fn settle(&mut self) {
        self.decibels.settle(self.decibels.target);
        self.linear = db_to_gain(f64::from(self.decibels.value)) as f32;
    }

    /// True while the level glides towards its target.
    fn is_moving(&self) -> bool {
        self.decibels.is_moving()
    }

    #[inline]
    fn next(&mut self) -> f32 {
        let decibels = &mut self.decibels;
        if decibels.value != decibels.target {
            decibels.value += decibels.coefficient * (decibels.target - decibels.value);
            if (decibels.target - decibels.value).abs() <= Self::SETTLED_DB {
                decibels.value = decibels.target;
            }
            self.linear = (decibels.value * (std::f32::consts::LN_10 / 20.0)).exp();
        }
        self.linear
    }
}

/// The dry path's delay: the last `delay` input samples followed by the chunk being processed, so a
/// chunk's delayed copy is one slice of it (block copies, no per-sample index arithmetic).
#[derive(Clone, Debug)]
struct DryDelay {
    /// `history[..delay]`: the previous `delay` inputs; `history[delay..]`: room for one chunk.
    history: Vec<f32>,
    delay: usize,
}

impl DryDelay {
    fn new(delay: usize) -> Self {
        Self {
            history: vec![0.0; delay + CHUNK],
            delay,
        }
    }

    /// Writes `input` delayed by the latency into `dry` (both at most [`CHUNK`] long).
    #[inline]
    fn process_chunk(&mut self, input: &[f32], dry: &mut [f32]) {
        let length = input.len();
        let delay = self.delay;
        self.history[delay..delay + length].copy_from_slice(input);
        dry[..length].copy_from_slice(&self.history[..length]);
        self.history.copy_within(length..length + delay, 0);
    }

    fn reset(&mut self) {
        self.history.iter_mut().for_each(|sample| *sample = 0.0);
    }
}

/// One preamp channel.
#[derive(Clone, Debug)]
pub struct PreampChannel {
    sample_rate: f32,
    settings: ChannelSettings,
    oversampler: Oversampler,
    /// The models and what runs with them at the oversampled rate.
    oversampled: OversampledSection,
    level_match: LevelMatch,
    colour_share: LinearRamp,
    colour_input: ColourInput,
    colour_output: ColourOutput,
    source: SourceFilter,
    dc_blocker: DcBlocker,
    tone: ToneSection,
    dry_delay: DryDelay,
    phase: LinearRamp,
    input_scale: SmoothedGain,
    model_gain: Smoothed,
    /// The last model gain converted to linear, as (dB, linear): a settled gain needs no `powf`.
    model_gain_linear: (f32, f32),
    output_gain: SmoothedGain,
    mix: Smoothed,
    dry_scratch: [f32; CHUNK],
}

impl PreampChannel {
    /// Builds a channel for `sample_rate` Hz, blocks of at most `max_block` samples, oversampling
    /// `factor` with `flavour` filters, and `models` (build one [`ModelSet`] and clone it for each
    /// channel: building solves the circuits). Allocates; call outside the audio thread.
    pub fn new(
        sample_rate: f32,
        factor: OversamplingFactor,
        flavour: FilterFlavour,
        models: &ModelSet,
        level_match: &LevelMatch,
    ) -> Self {
        let mut oversampler = Oversampler::new(factor, flavour);
        oversampler.prepare(CHUNK);
        let settings = ChannelSettings::default();
        let latency = oversampler.alignment_delay() as usize;
        let mut channel = Self {
            sample_rate,
            settings,
            oversampler,
            oversampled: OversampledSection::new(
                sample_rate,
                factor.ratio(),
                models,
                settings.model,
            ),
            level_match: level_match.clone(),
            colour_share: LinearRamp::default(),
            colour_input: ColourInput::new(sample_rate),
            colour_output: ColourOutput::new(sample_rate),
            source: SourceFilter::new(
                settings.voicing.source_load(
                    settings.effective_input_type(),
                    settings.effective_impedance(),
                ),
                sample_rate,
            ),
            dc_blocker: DcBlocker::new(sample_rate, DC_BLOCKER_HZ),
            tone: ToneSection::new(sample_rate),
            dry_delay: DryDelay::new(latency),
            phase: LinearRamp::default(),
            input_scale: SmoothedGain::default(),
            model_gain: Smoothed::default(),
            model_gain_linear: (0.0, 1.0),
            output_gain: SmoothedGain::default(),
            mix: Smoothed::default(),
            dry_scratch: [0.0; CHUNK],
        };
        channel
            .colour_share
            .prepare(sample_rate, SWITCH_FADE_SECONDS);
        channel.phase.prepare(sample_rate, SWITCH_FADE_SECONDS);
        for smoother in [&mut channel.model_gain, &mut channel.mix] {
            smoother.prepare(sample_rate, GAIN_SMOOTHING_SECONDS);
        }
        for smoother in [&mut channel.input_scale, &mut channel.output_gain] {
            smoother.prepare(sample_rate, GAIN_SMOOTHING_SECONDS);
        }
        channel.set_settings(settings);
        channel.reset();
        channel
    }

    /// Latency of the channel in samples at the host rate: where an impulse arrives, as a person
    /// aligning waveforms would read it ([`Oversampler::alignment_delay`]). For linear phase that
    /// is the filters' exact latency; for minimum phase the rounded low-frequency group delay of
    /// the IIR half-bands (3–5 samples), which the project reports too, as the power amp does.
    /// The dry path of `mix` is delayed by the same amount.
    pub fn latency(&self) -> u32 {
        self.oversampler.alignment_delay()
    }

    /// The settings last given.
    pub fn settings(&self) -> &ChannelSettings {
        &self.settings
    }

    /// The host sample rate, Hz.
    pub fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    /// Takes new settings. Continuous values glide; a model change cross-fades the old and the
    /// new model. No allocation.
    pub fn set_settings(&mut self, settings: ChannelSettings) {
        let input_type = settings.effective_input_type();
        self.source.set_load(
            settings
                .voicing
                .source_load(input_type, settings.effective_impedance()),
        );
        self.input_scale
            .set_target_db(gain_to_db(input_volts_per_unit(input_type, settings.pad)) as f32);
        // The transparent model's low range limits the gain; the limit glides like the gain.
        let gain_limit_db = if settings.model == PreampModel::Transparent {
            settings.transparent.range.max_gain_db() as f32
        } else {
            60.0
        };
        self.model_gain.target = settings.gain_db.clamp(0.0, gain_limit_db);
        let auto_gain_db = if settings.auto_gain {
            self.level_match
                .compensation_db(&settings, &self.source, self.sample_rate)
        } else {
            0.0
        };
        self.output_gain
            .set_target_db((f64::from(settings.output_db) + auto_gain_db) as f32);
        self.mix.target = settings.mix.clamp(0.0, 1.0);
        self.phase
            .set_target(if settings.invert_phase { -1.0 } else { 1.0 });
        self.tone.set_settings(settings.low_cut, settings.eq);
        self.oversampled
            .models
            .transparent
            .set_options(settings.transparent);
        self.colour_share
            .set_target(if settings.model == PreampModel::Colour {
                1.0
            } else {
                0.0
            });
        if settings.model != self.oversampled.current_model() {
            self.oversampled.switch_to(settings.model);
        }
        self.settings = settings;
    }

    /// The response of the linear parts (source loading, colour voicing, low-cut and EQ) for the
    /// present targets, at `frequency_hz`: what the editor draws.
    pub fn response(&self, frequency_hz: f64) -> Complex64 {
        let mut response =
            self.source.response(frequency_hz) * self.tone.target_response(frequency_hz);
        if self.settings.model == PreampModel::Colour {
            response *= colour::model_response(self.sample_rate, frequency_hz);
        }
        response
    }

    /// Processes `block` in place (any length).
    pub fn process(&mut self, block: &mut [f32]) {
        for chunk in block.chunks_mut(CHUNK) {
            let gain = self.begin_chunk(chunk);
            let high_rate = self.oversampler.upsample(chunk);
            self.oversampled.process(high_rate, chunk.len(), gain);
            self.oversampler.downsample(chunk);
            self.finish_chunk(chunk);
        }
    }

    /// Processes two channels' blocks (equally long) in place, as [`PreampChannel::process`] on
    /// each, with their oversamplers sharing SIMD lanes ([`Oversampler::upsample_pair`]): the
    /// output is bit-identical and the oversampling costs about half as much per channel.
    ///
    /// # Panics
    /// If the blocks differ in length.
    pub fn process_pair(
        left: &mut Self,
        right: &mut Self,
        left_block: &mut [f32],
        right_block: &mut [f32],
    ) {
        assert_eq!(
            left_block.len(),
            right_block.len(),
            "PreampChannel::process_pair: the channels' blocks differ in length"
        );
        for (left_chunk, right_chunk) in left_block
            .chunks_mut(CHUNK)
            .zip(right_block.chunks_mut(CHUNK))
        {
            let left_gain = left.begin_chunk(left_chunk);
            let right_gain = right.begin_chunk(right_chunk);
            let (left_high, right_high) = Oversampler::upsample_pair(
                &mut left.oversampler,
                &mut right.oversampler,
                left_chunk,
                right_chunk,
            );
            left.oversampled
                .process(left_high, left_chunk.len(), left_gain);
            right
                .oversampled
                .process(right_high, right_chunk.len(), right_gain);
            Oversampler::downsample_pair(
                &mut left.oversampler,
                &mut right.oversampler,
                left_chunk,
                right_chunk,
            );
            left.finish_chunk(left_chunk);
            right.finish_chunk(right_chunk);
        }
    }

    /// The host-rate input side of one chunk (sanitising, the dry copy, polarity, source loading,
    /// input calibration, the colour model's input transformer); returns the model gain's glide
    /// over the chunk.
    fn begin_chunk(&mut self, chunk: &mut [f32]) -> GainGlide {
        for sample in chunk.iter_mut() {
            *sample = sanitize(*sample);
        }
        self.dry_delay.process_chunk(chunk, &mut self.dry_scratch);
        self.process_input_side(chunk);
        // The colour model's input transformer runs here, at the host rate; the ramp is advanced
        // by `process_colour_output`.
        self.colour_input.process_chunk(chunk, self.colour_share);
        // Per-chunk model gain (the smoother advances by the chunk length); while it moves, the
        // model glides from the last chunk's value to this one's over the chunk
        // (`ModelStage::process_with_gain`), so a gain move has no steps at chunk boundaries.
        let chunk_start_gain_db = self.model_gain.value;
        let mut gain_db = chunk_start_gain_db;
        if self.model_gain.is_moving() {
            for _ in 0..chunk.len() {
                gain_db = self.model_gain.next();
            }
        }
        let start = self.model_gain_linear_at(chunk_start_gain_db);
        let end = self.model_gain_linear_at(gain_db);
        GainGlide { start, end }
    }

    /// `gain_db` as a linear gain, remembering the last conversion.
    fn model_gain_linear_at(&mut self, gain_db: f32) -> f32 {
        if self.model_gain_linear.0 != gain_db {
            self.model_gain_linear = (gain_db, db_to_gain(f64::from(gain_db)) as f32);
        }
        self.model_gain_linear.1
    }

    /// The host-rate output side of one chunk, after the downsampler: colour output stage, DC
    /// blocker, volts to samples, low-cut and EQ, output trim and mix.
    fn finish_chunk(&mut self, chunk: &mut [f32]) {
        self.process_colour_output(chunk);
        let units_per_volt = output_units_per_volt() as f32;
        for sample in chunk.iter_mut() {
            *sample = self.dc_blocker.process_sample(*sample) * units_per_volt;
        }
        self.tone.process_block(chunk);
        self.apply_output_gain_and_mix(chunk);
    }

    /// Polarity, source loading and input calibration (volts), at the host rate.
    fn process_input_side(&mut self, chunk: &mut [f32]) {
        if self.phase.is_ramping() || self.input_scale.is_moving() {
            for sample in chunk.iter_mut() {
                let polarised = *sample * self.phase.advance();
                *sample = self.source.process_sample(polarised) * self.input_scale.next();
            }
        } else {
            // Constant polarity and scale commute with the (linear) source filter.
            self.source.process_block(chunk);
            let scale = self.phase.value() * self.input_scale.linear;
            for sample in chunk.iter_mut() {
                *sample *= scale;
            }
        }
    }

    /// The colour model's host-rate output stage, faded in and out with the model.
    fn process_colour_output(&mut self, chunk: &mut [f32]) {
        if self.colour_share.is_ramping() {
            for sample in chunk.iter_mut() {
                let colour_share = self.colour_share.advance();
                if colour_share > 0.0 {
                    let coloured = self.colour_output.process_sample(*sample);
                    *sample += colour_share * (coloured - *sample);
                }
            }
            if !self.colour_share.is_ramping() && self.colour_share.value() == 0.0 {
                // Faded out: start clean when it is next faded in.
                self.colour_output.reset();
            }
        } else if self.colour_share.value() > 0.0 {
            self.colour_output.process_block(chunk);
        }
    }

    /// Output trim with auto-gain, then the dry/wet mix with the latency-aligned dry signal.
    fn apply_output_gain_and_mix(&mut self, chunk: &mut [f32]) {
        let dry = &self.dry_scratch[..chunk.len()];
        if self.output_gain.is_moving() || self.mix.is_moving() {
            for (sample, dry) in chunk.iter_mut().zip(dry) {
                let wet = *sample * self.output_gain.next();
                let mix = self.mix.next();
                *sample = *dry + mix * (wet - *dry);
            }
        } else if self.mix.value >= 1.0 {
            let gain = self.output_gain.linear;
            for sample in chunk.iter_mut() {
                *sample *= gain;
            }
        } else {
            let gain = self.output_gain.linear;
            let mix = self.mix.value;
            for (sample, dry) in chunk.iter_mut().zip(dry) {
                *sample = *dry + mix * (*sample * gain - *dry);
            }
        }
    }

    /// Clears every state and settles every smoother on its target.
    pub fn reset(&mut self) {
        self.oversampler.reset();
        self.oversampled.reset();
        self.colour_share.settle(self.colour_share.target());
        self.colour_input.reset();
        self.colour_output.reset();
        self.source.reset();
        self.dc_blocker.reset();
        self.tone.reset();
        self.dry_delay.reset();
        self.phase.settle(self.phase.target());
        for smoother in [&mut self.model_gain, &mut self.mix] {
            smoother.settle(smoother.target);
        }
        for smoother in [&mut self.input_scale, &mut self.output_gain] {
            smoother.settle();
        }
    }
}
