//! The audio side of an activated plugin: its processor, the host's block buffers and the
//! per-block event lists.
//!
//! Audio goes in as planar `f32` channels of any length and is cut into blocks of a chosen size
//! (the last one may be shorter). Each block is copied into buffers allocated at activation, so
//! the plugin always sees separate input and output buffers, as most hosts give it.

use clack_extensions::params::PluginParams;
use clack_host::events::event_types::ParamValueEvent;
use clack_host::prelude::*;

use super::callbacks::TestHost;
use super::params::{ParamChange, ParamOutputEvent, record_output_events};

/// An activated plugin's audio processor and the host buffers sized for it.
pub(crate) struct ActiveProcessor {
    processor: PluginAudioProcessor<TestHost>,
    sample_rate: f64,
    max_block_size: usize,
    channel_count: usize,
    input_block: Vec<Vec<f32>>,
    output_block: Vec<Vec<f32>>,
    input_ports: AudioPorts,
    output_ports: AudioPorts,
    input_events: EventBuffer,
    output_events: EventBuffer,
    steady_time: u64,
    output_event_count: usize,
    output_param_events: Vec<ParamOutputEvent>,
}

impl ActiveProcessor {
    /// Wraps a freshly activated (stopped) processor and allocates the block buffers.
    pub fn new(
        processor: StoppedPluginAudioProcessor<TestHost>,
        sample_rate: f64,
        max_block_size: usize,
        channel_count: usize,
    ) -> Self {
        Self {
            processor: processor.into(),
            sample_rate,
            max_block_size,
            channel_count,
            input_block: vec![vec![0.0; max_block_size]; channel_count],
            output_block: vec![vec![0.0; max_block_size]; channel_count],
            input_ports: AudioPorts::with_capacity(channel_count, 1),
            output_ports: AudioPorts::with_capacity(channel_count, 1),
            input_events: EventBuffer::with_capacity(64),
            output_events: EventBuffer::with_capacity(64),
            steady_time: 0,
            output_event_count: 0,
            output_param_events: Vec::new(),
        }
    }

    /// The sample rate the plugin was activated at.
    pub fn sample_rate(&self) -> f64 {
        self.sample_rate
    }

    /// The largest block the plugin was promised.
    pub fn max_block_size(&self) -> usize {
        self.max_block_size
    }

    /// Channels per port (1 for mono, 2 for stereo).
    pub fn channel_count(&self) -> usize {
        self.channel_count
    }

    /// Events the plugin has written to the output event lists so far.
    pub fn output_event_count(&self) -> usize {
        self.output_event_count
    }

    /// The parameter events the plugin has written to the output event lists since the last
    /// call, oldest first.
    pub fn take_output_param_events(&mut self) -> Vec<ParamOutputEvent> {
        std::mem::take(&mut self.output_param_events)
    }

    /// Hands back the stopped processor for deactivation.
    pub fn into_stopped(self) -> StoppedPluginAudioProcessor<TestHost> {
        self.processor.into_stopped()
    }

    /// Calls `start_processing` unless processing has already started.
    pub fn ensure_started(&mut self) -> anyhow::Result<()> {
        if !self.processor.is_started() {
            self.with_audio_context(|processor| {
                processor.start_processing().map(|_| ()).map_err(|error| {
                    anyhow::anyhow!("clap_plugin.start_processing failed: {error}")
                })
            })?;
        }
        Ok(())
    }

    /// Calls `stop_processing` if processing has started.
    pub fn ensure_stopped(&mut self) {
        if self.processor.is_started() {
            self.with_audio_context(|processor| {
                processor.ensure_processing_stopped();
            });
        }
    }

    /// Calls `clap_plugin.reset` on the audio thread.
    pub fn reset(&mut self) {
        self.with_audio_context(|processor| processor.reset());
    }

    /// Sends parameter changes through `clap_plugin_params.flush` on the audio thread, outside
    /// `process`.
    pub fn flush(&mut self, params: &PluginParams, changes: &[ParamChange]) {
        self.input_events.clear();
        for change in changes {
            self.input_events.push(&param_value_event(change, 0));
        }
        self.output_events.clear();
        let input_events = &self.input_events;
        let output_events = &mut self.output_events;
        let processor = &mut self.processor;
        processor.access_shared_handler(|shared| shared.set_audio_context(true));
        params.flush_active(
            &mut processor.plugin_handle(),
            &input_events.as_input(),
            &mut output_events.as_output(),
        );
        processor.access_shared_handler(|shared| shared.set_audio_context(false));
        self.output_event_count += self.output_events.len() as usize;
        record_output_events(&self.output_events, &mut self.output_param_events);
    }

    /// Processes `length` frames of `input` starting at `start`, writing the same frames of
    /// `output`. `changes` must be sorted by frame; those inside the block are sent with their
    /// offset within it.
    pub fn process_block(
        &mut self,
        input: &[&[f32]],
        output: &mut [Vec<f32>],
        start: usize,
        length: usize,
        changes: &[ParamChange],
    ) -> anyhow::Result<ProcessStatus> {
        anyhow::ensure!(
            (1..=self.max_block_size).contains(&length),
            "block of {length} frames is outside 1..={} (the activation's range)",
            self.max_block_size
        );
        for (channel, samples) in input.iter().enumerate() {
            self.input_block[channel][..length].copy_from_slice(&samples[start..start + length]);
        }
        self.input_events.clear();
        let block_frames = start..start + length;
        for change in changes
            .iter()
            .filter(|change| block_frames.contains(&change.frame))
        {
            let offset = u32::try_from(change.frame - start)?;
            self.input_events.push(&param_value_event(change, offset));
        }
        self.output_events.clear();

        let steady_time = self.steady_time;
        let input_events = &self.input_events;
        let output_events = &mut self.output_events;
        let input_block = &mut self.input_block;
        let output_block = &mut self.output_block;
        let input_ports = &mut self.input_ports;
        let output_ports = &mut self.output_ports;
        let processor = &mut self.processor;

        let input_audio = input_ports.with_input_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_input_only(
                input_block
                    .iter_mut()
                    .map(|channel| InputChannel::variable(&mut channel[..length])),
            ),
        }]);
        let mut output_audio = output_ports.with_output_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_output_only(
                output_block
                    .iter_mut()
                    .map(|channel| &mut channel[..length]),
            ),
        }]);

        processor.access_shared_handler(|shared| shared.set_audio_context(true));
        let result = processor
            .ensure_processing_started()
            .map_err(|error| anyhow::anyhow!("clap_plugin.start_processing failed: {error}"))
            .and_then(|started| {
                started
                    .process(
                        &input_audio,
                        &mut output_audio,
                        &input_events.as_input(),
                        &mut output_events.as_output(),
                        Some(steady_time),
                        None,
                    )
                    .map_err(|error| anyhow::anyhow!("clap_plugin.process failed: {error}"))
            });
        processor.access_shared_handler(|shared| shared.set_audio_context(false));
        let status = result?;

        self.steady_time += length as u64;
        self.output_event_count += self.output_events.len() as usize;
        record_output_events(&self.output_events, &mut self.output_param_events);
        for (channel, samples) in output.iter_mut().enumerate() {
            samples[start..start + length].copy_from_slice(&self.output_block[channel][..length]);
        }
        Ok(status)
    }

    fn with_audio_context<R>(
        &mut self,
        action: impl FnOnce(&mut PluginAudioProcessor<TestHost>) -> R,
    ) -> R {
        self.processor
            .access_shared_handler(|shared| shared.set_audio_context(true));
        let result = action(&mut self.processor);
        self.processor
            .access_shared_handler(|shared| shared.set_audio_context(false));
        result
    }
}

fn param_value_event(change: &ParamChange, time: u32) -> ParamValueEvent {
    ParamValueEvent::new(
        time,
        ClapId::new(change.param_id),
        Pckn::match_all(),
        change.value,
    )
}
