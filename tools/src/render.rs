//! Offline rendering: a WAV file through a built plugin bundle in the project's CLAP host.
//!
//! The plugin is instantiated from its `.clap` bundle, given its settings (a factory preset,
//! then `--quality`, then each `--set` in order), switched to offline rendering through
//! `clap.render` (so it runs its offline quality) unless real-time rendering is asked for, and
//! activated at the file's sample rate and channel count. The input is followed by as many
//! silent frames as the latency the plugin reports, and that many frames are dropped from the
//! start of the output: the written file is aligned with the input and exactly as long.

use std::path::Path;

use anyhow::{Context, ensure};
use gainstage_tests::{Layout, LoadedBundle, Plugin, PluginUnderTest};

use crate::settings::{apply_preset, apply_settings, instantiate};
use crate::wav::{self, Audio, SampleFormat};

/// The largest block size the command accepts.
pub const MAX_BLOCK_SIZE: usize = 65_536;

/// What to render and how.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// The plugin to run.
    pub plugin: Plugin,
    /// A factory preset applied first, by name (any case).
    pub preset: Option<String>,
    /// Quality text (e.g. "16× linear phase"), set on the quality that applies: the offline
    /// quality in an offline render, the real-time quality otherwise.
    pub quality: Option<String>,
    /// `(parameter, text)` settings applied after the preset and quality, in order.
    pub settings: Vec<(String, String)>,
    /// Frames per process call, 1–[`MAX_BLOCK_SIZE`].
    pub block_size: usize,
    /// Render in real-time mode instead of offline mode.
    pub realtime: bool,
}

impl RenderOptions {
    /// Default options for `plugin`: no settings, blocks of 1024 frames, offline mode.
    pub fn new(plugin: Plugin) -> Self {
        Self {
            plugin,
            preset: None,
            quality: None,
            settings: Vec::new(),
            block_size: 1_024,
            realtime: false,
        }
    }
}

/// A finished render.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The output, aligned with the input and as long.
    pub audio: Audio,
    /// The latency the plugin reported and that was compensated, frames.
    pub latency: usize,
    /// Whether the plugin ran in offline mode (false if asked for real time or if the plugin
    /// does not offer `clap.render`).
    pub offline: bool,
    /// How each setting reads after it was applied (`Name = text`).
    pub applied: Vec<String>,
}

/// Instantiates the plugin from `bundle` with `options`' settings and render mode, inactive.
/// Returns the instance, whether it is in offline mode, and the applied settings.
pub fn prepare(
    bundle: &LoadedBundle,
    options: &RenderOptions,
) -> anyhow::Result<(PluginUnderTest, bool, Vec<String>)> {
    ensure!(
        (1..=MAX_BLOCK_SIZE).contains(&options.block_size),
        "block size {} is outside 1..={MAX_BLOCK_SIZE}",
        options.block_size
    );
    let mut instance = instantiate(bundle, options.plugin)?;
    let offline = !options.realtime && instance.set_render_mode(true)?;
    let mut applied = Vec::new();
    if let Some(preset) = &options.preset {
        apply_preset(&mut instance, options.plugin, preset)?;
        applied.push(format!("preset = {preset}"));
    }
    if let Some(quality) = &options.quality {
        let key = if offline {
            "Offline quality"
        } else {
            "Quality"
        };
        applied.extend(apply_settings(
            &mut instance,
            &[(key.to_owned(), quality.clone())],
        )?);
    }
    applied.extend(apply_settings(&mut instance, &options.settings)?);
    Ok((instance, offline, applied))
}

/// Runs `input` through the plugin in `bundle` (see the module documentation).
pub fn render(
    bundle: &LoadedBundle,
    options: &RenderOptions,
    input: &Audio,
) -> anyhow::Result<Rendered> {
    let layout = match input.channels.len() {
        1 => Layout::Mono,
        2 => Layout::Stereo,
        count => anyhow::bail!("{count} channels: only mono and stereo can be rendered"),
    };
    let (mut instance, offline, applied) = prepare(bundle, options)?;
    instance.activate(f64::from(input.sample_rate), 1, options.block_size, layout)?;
    let latency = instance.latency() as usize;
    let padded: Vec<Vec<f32>> = input
        .channels
        .iter()
        .map(|channel| {
            let mut samples = Vec::with_capacity(channel.len() + latency);
            samples.extend_from_slice(channel);
            samples.resize(channel.len() + latency, 0.0);
            samples
        })
        .collect();
    let restarts_before = instance.host_calls().restart_requests;
    let mut output = if input.frames() == 0 {
        vec![Vec::new(); input.channels.len()]
    } else {
        instance
            .process(&padded, options.block_size)
            .context("processing the input")?
    };
    let latency_after = instance.latency() as usize;
    ensure!(
        latency_after == latency && instance.host_calls().restart_requests == restarts_before,
        "the plugin changed its latency ({latency} → {latency_after} frames) or asked for a \
         restart during the render; the output could not be aligned"
    );
    for channel in &mut output {
        channel.drain(..latency.min(channel.len()));
    }
    Ok(Rendered {
        audio: Audio {
            sample_rate: input.sample_rate,
            channels: output,
        },
        latency,
        offline,
        applied,
    })
}

/// Reads `input_path`, renders it and writes `output_path` in `format`. Nothing is written if
/// any step fails.
pub fn render_file(
    bundle: &LoadedBundle,
    options: &RenderOptions,
    input_path: &Path,
    output_path: &Path,
    format: SampleFormat,
) -> anyhow::Result<Rendered> {
    let input = wav::read(input_path)?;
    let rendered = render(bundle, options, &input)?;
    wav::write(output_path, &rendered.audio, format)?;
    Ok(rendered)
}
