//! The preamp's engine: for every audio channel one [`PreampChannel`] per quality setting, all
//! built in `activate`, so changing the quality (or the host switching to offline rendering)
//! never allocates. A quality change cross-fades the old and the new channel and reports the new
//! latency; everything else is handled inside the channel (smoothing and model cross-fades).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use gainstage_dsp::level::{FULL_SCALE_DBU, NOMINAL_LINE_DBU};
use gainstage_dsp::level_meter::LevelMeter;
use gainstage_dsp::preamp::channel::{CHUNK, ChannelSettings, PreampChannel};
use gainstage_dsp::preamp::level_match::LevelMatch;
use gainstage_dsp::preamp::model::{ModelSet, PreampModel};
use gainstage_dsp::ramp::LinearRamp;

use crate::meters::PreampMeters;
use crate::params::{PreampParams, QualityChoice};

/// Cross-fade time when the quality changes, seconds.
const QUALITY_FADE_SECONDS: f32 = 0.02;

/// Output level (dBu RMS of a sine) where each model reaches about 1 % THD at 1 kHz, as the
/// model tests measure it (tube stage, op-amp rails, transparent rails, class-A stage); the
/// drive meter reads relative to it.
fn one_percent_point_dbu(model: PreampModel) -> f32 {
    match model {
        PreampModel::Tube => 12.5,
        PreampModel::SolidState => 20.5,
        PreampModel::Transparent => 26.5,
        PreampModel::Colour => 18.0,
    }
}

/// Runs each host channel through its DSP channel, two at a time where it can, so that a stereo
/// pair shares the oversampler's SIMD lanes ([`PreampChannel::process_pair`], bit-identical).
fn process_channels(dsp: &mut [PreampChannel], channels: &mut [&mut [f32]]) {
    for (dsp_pair, host_pair) in dsp.chunks_mut(2).zip(channels.chunks_mut(2)) {
        match (dsp_pair, host_pair) {
            ([left, right], [left_samples, right_samples]) => {
                PreampChannel::process_pair(left, right, left_samples, right_samples);
            }
            (dsp_pair, host_pair) => {
                for (channel, samples) in dsp_pair.iter_mut().zip(host_pair.iter_mut()) {
                    channel.process(samples);
                }
            }
        }
    }
}

/// The preamp's DSP state for every channel and quality.
#[derive(Default)]
pub struct PreampEngine {
    /// `[quality index][channel]`.
    channels: Vec<Vec<PreampChannel>>,
    /// The quality index in force.
    current: usize,
    /// The quality being faded out, while a quality change is under way.
    previous: Option<usize>,
    fade: LinearRamp,
    offline: bool,
    settings: Option<ChannelSettings>,
    fade_scratch: Vec<f32>,
    input_meters: Vec<LevelMeter>,
    output_meters: Vec<LevelMeter>,
    meters: Arc<PreampMeters>,
}

impl PreampEngine {
    /// An engine publishing its meter readings to `meters`.
    pub fn with_meters(meters: Arc<PreampMeters>) -> Self {
        Self {
            meters,
            ..Self::default()
        }
    }

    /// The meter readings the engine publishes.
    pub fn meters(&self) -> &Arc<PreampMeters> {
        &self.meters
    }

    /// Builds every channel at every quality for `channel_count` channels at `sample_rate` Hz;
    /// `offline` selects the offline-render quality. Allocates and solves the circuits: call from
    /// `activate`, never from the audio thread.
    pub fn prepare(
        &mut self,
        sample_rate: f32,
        max_block: usize,
        channel_count: usize,
        offline: bool,
        params: &PreampParams,
    ) {
        let models = ModelSet::new();
        let level_match = LevelMatch::shared();
        self.channels = QualityChoice::ALL
            .iter()
            .map(|quality| {
                let (factor, flavour) = quality.oversampling();
                (0..channel_count)
                    .map(|_| {
                        PreampChannel::new(sample_rate, factor, flavour, &models, &level_match)
                    })
                    .collect()
            })
            .collect();
        self.offline = offline;
        self.current = self.quality(params).index();
        self.previous = None;
        self.fade.prepare(sample_rate, QUALITY_FADE_SECONDS);
        self.fade.settle(1.0);
        self.fade_scratch = vec![0.0; max_block.max(CHUNK)];
        self.input_meters = vec![LevelMeter::new(sample_rate); channel_count];
        self.output_meters = vec![LevelMeter::new(sample_rate); channel_count];
        self.settings = None;
    }

    /// The quality in force: the offline one while the host renders offline.
    fn quality(&self, params: &PreampParams) -> QualityChoice {
        if self.offline {
            params.offline_quality.value()
        } else {
            params.quality.value()
        }
    }

    /// Delay the signal path adds, in samples at the host rate.
    pub fn latency(&self) -> u32 {
        self.channels
            .get(self.current)
            .and_then(|channels| channels.first())
            .map_or(0, PreampChannel::latency)
    }

    /// Clears every state and settles every smoother on the present parameter values.
    pub fn reset(&mut self, params: &PreampParams) {
        let settings = params.channel_settings();
        for channel in self.channels.iter_mut().flatten() {
            channel.set_settings(settings);
            channel.reset();
        }
        self.current = self.quality(params).index();
        self.previous = None;
        self.fade.settle(1.0);
        self.settings = Some(settings);
        for meter in self
            .input_meters
            .iter_mut()
            .chain(self.output_meters.iter_mut())
        {
            meter.reset();
        }
    }

    /// Processes the host's channels in place. Returns the new latency when it changed.
    pub fn process(&mut self, channels: &mut [&mut [f32]], params: &PreampParams) -> Option<u32> {
        if self.channels.is_empty() {
            return None;
        }
        let settings = params.channel_settings();
        let quality = self.quality(params).index();
        let mut new_latency = None;
        if quality != self.current {
            let previous_latency = self.latency();
            self.channels[quality].iter_mut().for_each(|channel| {
                channel.set_settings(settings);
                channel.reset();
            });
            self.previous = Some(self.current);
            self.current = quality;
            self.fade.settle(0.0);
            self.fade.set_target(1.0);
            if self.latency() != previous_latency {
                new_latency = Some(self.latency());
            }
        }
        if self.settings != Some(settings) {
            for quality_channels in [Some(self.current), self.previous].into_iter().flatten() {
                for channel in &mut self.channels[quality_channels] {
                    channel.set_settings(settings);
                }
            }
            self.settings = Some(settings);
        }

        for (index, samples) in channels.iter_mut().enumerate() {
            if let Some(meter) = self.input_meters.get_mut(index) {
                meter.process(samples);
            }
        }
        match self.previous {
            None => process_channels(&mut self.channels[self.current], channels),
            Some(previous) => self.process_quality_fade(channels, previous),
        }
        for (index, samples) in channels.iter_mut().enumerate() {
            if let Some(meter) = self.output_meters.get_mut(index) {
                meter.process(samples);
            }
        }
        self.publish_meters(&settings);
        new_latency
    }

    /// Runs the old and the new quality side by side and cross-fades them.
    fn process_quality_fade(&mut self, channels: &mut [&mut [f32]], previous: usize) {
        let length = channels.first().map_or(0, |channel| channel.len());
        let start_fade = self.fade.value();
        for (index, samples) in channels.iter_mut().enumerate() {
            let mut fade = self.fade;
            fade.settle(start_fade);
            fade.set_target(1.0);
            for chunk_start in (0..length).step_by(self.fade_scratch.len()) {
                let chunk_end = (chunk_start + self.fade_scratch.len()).min(length);
                let block = &mut samples[chunk_start..chunk_end];
                let old = &mut self.fade_scratch[..block.len()];
                old.copy_from_slice(block);
                if let Some(channel) = self.channels[previous].get_mut(index) {
                    channel.process(old);
                }
                if let Some(channel) = self.channels[self.current].get_mut(index) {
                    channel.process(block);
                }
                for (new_sample, old_sample) in block.iter_mut().zip(old.iter()) {
                    let amount = fade.advance();
                    *new_sample = *old_sample + amount * (*new_sample - *old_sample);
                }
            }
        }
        for _ in 0..length {
            self.fade.advance();
        }
        if !self.fade.is_ramping() {
            self.previous = None;
        }
    }

    fn publish_meters(&self, settings: &ChannelSettings) {
        let loudest = |meters: &[LevelMeter], reading: fn(&LevelMeter) -> f32| {
            meters.iter().map(reading).fold(f32::NEG_INFINITY, f32::max)
        };
        let input_rms = loudest(&self.input_meters, LevelMeter::rms_dbfs);
        self.meters.input_peak_dbfs.store(
            loudest(&self.input_meters, LevelMeter::peak_dbfs),
            Ordering::Relaxed,
        );
        self.meters
            .input_rms_dbfs
            .store(input_rms, Ordering::Relaxed);
        self.meters.output_peak_dbfs.store(
            loudest(&self.output_meters, LevelMeter::peak_dbfs),
            Ordering::Relaxed,
        );
        self.meters.output_rms_dbfs.store(
            loudest(&self.output_meters, LevelMeter::rms_dbfs),
            Ordering::Relaxed,
        );
        // The level the model is asked for (input RMS as a sine's dBu, through the calibration
        // and the gain), re its 1 % THD point.
        let input_type = settings.effective_input_type();
        let offset = input_type.nominal_source_dbu() - NOMINAL_LINE_DBU
            + if settings.pad { -20.0 } else { 0.0 };
        let asked_dbu =
            f64::from(input_rms) + 3.01 + FULL_SCALE_DBU + offset + f64::from(settings.gain_db);
        let drive = asked_dbu as f32 - one_percent_point_dbu(settings.model);
        self.meters.drive_db.store(drive, Ordering::Relaxed);
    }
}
