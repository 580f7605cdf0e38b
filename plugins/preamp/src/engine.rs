//! The preamp's engine: one [`PreampChannel`] per audio channel, fed with settings translated from
//! the plugin's parameters. Host bypass is a cross-fade to the latency-aligned dry signal.

use gainstage_dsp::oversample::{FilterFlavour, OversamplingFactor};
use gainstage_dsp::preamp::channel::{ChannelSettings, PreampChannel};
use gainstage_dsp::preamp::level_match::LevelMatch;
use gainstage_dsp::preamp::model::ModelSet;

use crate::params::PreampParams;

/// Oversampling used for real-time processing.
const REALTIME_FACTOR: OversamplingFactor = OversamplingFactor::X4;
/// Filter flavour used for real-time processing (zero reported latency).
const REALTIME_FLAVOUR: FilterFlavour = FilterFlavour::MinimumPhase;

/// The preamp's DSP state for every channel.
#[derive(Default)]
pub struct PreampEngine {
    channels: Vec<PreampChannel>,
    settings: Option<ChannelSettings>,
}

impl PreampEngine {
    /// Builds the channels for `channel_count` channels at `sample_rate` Hz. Allocates and solves
    /// the circuits: call from `activate`, never from the audio thread.
    pub fn prepare(&mut self, sample_rate: f32, _max_block: usize, channel_count: usize) {
        let models = ModelSet::new();
        let level_match = LevelMatch::shared();
        self.channels = (0..channel_count)
            .map(|_| {
                PreampChannel::new(
                    sample_rate,
                    REALTIME_FACTOR,
                    REALTIME_FLAVOUR,
                    &models,
                    &level_match,
                )
            })
            .collect();
        self.settings = None;
    }

    /// Delay the signal path adds, in samples at the host rate.
    pub fn latency(&self) -> u32 {
        self.channels.first().map_or(0, PreampChannel::latency)
    }

    /// Clears every state and settles every smoother on the present parameter values.
    pub fn reset(&mut self, params: &PreampParams) {
        let settings = params.channel_settings();
        for channel in &mut self.channels {
            channel.set_settings(settings);
            channel.reset();
        }
        self.settings = Some(settings);
    }

    /// Processes the host's channels in place.
    pub fn process(&mut self, channels: &mut [&mut [f32]], params: &PreampParams) {
        let settings = params.channel_settings();
        if self.settings != Some(settings) {
            for channel in &mut self.channels {
                channel.set_settings(settings);
            }
            self.settings = Some(settings);
        }
        for (samples, channel) in channels.iter_mut().zip(self.channels.iter_mut()) {
            channel.process(samples);
        }
    }
}
