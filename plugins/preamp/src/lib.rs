//! Gainstage Preamp: brings a source to line level and gives it a colour.
//!
//! This file holds the plugin struct, the nice-plug `Plugin`, `ClapPlugin` and `Vst3Plugin` impls
//! and the exports. Parameters live in [`params`]; the signal path in [`engine`].

use std::num::NonZeroU32;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use atomic_float::AtomicF32;
use gainstage_ui::{ResizableEditor, SpectrumReader, SpectrumWriter, spectrum_channel};
use nice_plug::prelude::*;

pub mod editor;
pub mod engine;
pub mod meters;
pub mod params;
pub mod presets;

use engine::PreampEngine;
use meters::PreampMeters;
use params::PreampParams;

/// The Gainstage Preamp plugin instance.
pub struct Preamp {
    params: Arc<PreampParams>,
    engine: PreampEngine,
    /// Output audio for the editor's spectrum; idle (one flag check) while the editor is closed.
    spectrum_writer: SpectrumWriter,
    spectrum_reader: Arc<Mutex<SpectrumReader>>,
    /// True while the editor window is open.
    editor_open: Arc<AtomicBool>,
    /// The host sample rate, Hz, for the editor's plots.
    sample_rate: Arc<AtomicF32>,
}

impl Default for Preamp {
    fn default() -> Self {
        let editor_open = Arc::new(AtomicBool::new(false));
        let (spectrum_writer, spectrum_reader) = spectrum_channel(editor_open.clone());
        Self {
            params: Arc::new(PreampParams::default()),
            engine: PreampEngine::with_meters(Arc::new(PreampMeters::default())),
            spectrum_writer,
            spectrum_reader: Arc::new(Mutex::new(spectrum_reader)),
            editor_open,
            sample_rate: Arc::new(AtomicF32::new(48_000.0)),
        }
    }
}

impl Preamp {
    /// The meter readings the editor shows.
    pub fn meters(&self) -> Arc<PreampMeters> {
        self.engine.meters().clone()
    }
}

impl Plugin for Preamp {
    const NAME: &'static str = "Gainstage Preamp";
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

    type Editor = ResizableEditor<editor::PreampEditor>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn filter_state(state: &mut PluginState) {
        // All or nothing: a damaged, foreign or newer state changes no setting.
        gainstage_state_guard::guard_state(state, Arc::new(PreampParams::default()), Self::VERSION);
    }

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        let data = editor::EditorData {
            params: self.params.clone(),
            meters: self.meters(),
            spectrum: self.spectrum_reader.clone(),
            sample_rate: self.sample_rate.clone(),
        };
        Some(editor::create_editor(data, self.editor_open.clone()))
    }

    fn activate(
        &mut self,
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.sample_rate.store(
            buffer_config.sample_rate,
            std::sync::atomic::Ordering::Relaxed,
        );
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
        // One relaxed flag load while the editor is closed.
        self.spectrum_writer.push(buffer.as_slice());
        ProcessStatus::Normal
    }
}

impl ClapPlugin for Preamp {
    const CLAP_ID: &'static str = "audio.gainstage.preamp";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Channel preamp: tube, solid-state, transparent and colour models");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::AudioEffect,
        ClapFeature::Distortion,
        ClapFeature::Stereo,
        ClapFeature::Mono,
    ];
}

impl Vst3Plugin for Preamp {
    const VST3_CLASS_ID: [u8; 16] = *b"GainstagePreamp1";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Fx, Vst3SubCategory::Distortion];
}

nice_export_clap!(Preamp);
nice_export_vst3!(Preamp);
