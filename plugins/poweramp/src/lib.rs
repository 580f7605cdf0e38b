//! Gainstage Power Amp: what a real power amp does to a line-level signal before the speaker.
//!
//! This file holds the plugin struct, the nice-plug `Plugin`, `ClapPlugin` and `Vst3Plugin` impls
//! and the exports. Parameters live in [`params`]; the signal path in [`engine`]; the meter values
//! the editor shows in [`meters`]; the factory presets in [`presets`]; the GUI in [`editor`].

use std::num::NonZeroU32;
use std::sync::Arc;

use nice_plug::prelude::*;

pub mod editor;
pub mod engine;
pub mod meters;
pub mod params;
pub mod presets;

use editor::PowerAmpEditorApp;
use engine::PowerAmpEngine;
use gainstage_ui::ResizableEditor;
use meters::PowerAmpMeters;
use params::PowerAmpParams;

/// The Gainstage Power Amp plugin instance.
pub struct PowerAmp {
    params: Arc<PowerAmpParams>,
    engine: PowerAmpEngine,
}

impl Default for PowerAmp {
    fn default() -> Self {
        Self {
            params: Arc::new(PowerAmpParams::default()),
            engine: PowerAmpEngine::with_meters(Arc::new(PowerAmpMeters::default())),
        }
    }
}

impl PowerAmp {
    /// The meter values the audio thread publishes (for the editor).
    pub fn meters(&self) -> Arc<PowerAmpMeters> {
        self.engine.meters().clone()
    }
}

impl Plugin for PowerAmp {
    const NAME: &'static str = "Gainstage Power Amp";
    const VENDOR: &'static str = "Gainstage";
    const URL: &'static str = env!("CARGO_PKG_REPOSITORY");
    const EMAIL: &'static str = "info@gainstage.invalid";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type Editor = ResizableEditor<PowerAmpEditorApp>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        Some(editor::create_editor(self.params.clone(), self.meters()))
    }

    fn filter_state(state: &mut PluginState) {
        // All or nothing: a damaged, foreign or newer state changes no setting.
        gainstage_state_guard::guard_state(
            state,
            Arc::new(PowerAmpParams::default()),
            Self::VERSION,
        );
    }

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn activate(
        &mut self,
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let channels = audio_io_layout
            .main_output_channels
            .map_or(0, NonZeroU32::get) as usize;
        self.engine.prepare(
            buffer_config.sample_rate,
            buffer_config.max_buffer_size as usize,
            channels,
            buffer_config.process_mode == ProcessMode::Offline,
            &self.params,
        );
        context.set_latency_samples(self.engine.latency());
        true
    }

    fn reset(&mut self) {
        self.engine.reset(&self.params);
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        if let Some(latency) = self.engine.process(buffer.as_slice(), &self.params) {
            context.set_latency_samples(latency);
        }
        ProcessStatus::Normal
    }
}

impl ClapPlugin for PowerAmp {
    const CLAP_ID: &'static str = "audio.gainstage.poweramp";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Power amplifier: wattage, headroom, sag, feedback and a real speaker load");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Distortion,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
}

impl Vst3Plugin for PowerAmp {
    const VST3_CLASS_ID: [u8; 16] = *b"GainstagePwrAmp1";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Distortion];
}

nice_export_clap!(PowerAmp);
nice_export_vst3!(PowerAmp);
