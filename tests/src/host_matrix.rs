//! Host behaviour shared by both plugin formats: one trait, [`HostedPlugin`], that the CLAP host
//! ([`PluginUnderTest`]) and the VST3 host ([`Vst3PluginUnderTest`]) both implement, and the
//! checks issue 7 item 2 asks of every format and plugin, written once against it:
//!
//! - [`run_matrix`]: every sample rate in [`SAMPLE_RATES`] × both layouts × every block plan in
//!   [`BlockPlan::ALL`] (fixed 1, 7, 64, 512, 4096, 8192 frames, and seeded random sizes from block
//!   to block), with deactivate/activate and reset cycles between runs. Each run processes a plain
//!   half and then a half in which a randomly chosen parameter moves to a random value on every
//!   sample. The output must be finite and within [`OUTPUT_BOUND`] throughout.
//! - [`run_state_identity`]: random settings in one instance, saved and loaded into a fresh one,
//!   give bit-identical output on the same input.
//!
//! Parameter values cross the trait normalised (`0..=1`, as VST3 defines them); the CLAP side
//! maps them onto each parameter's range and rounds stepped ones.

use anyhow::{Context, ensure};

use crate::bundle::{Bundles, Plugin, built_bundles};
use crate::host::{Layout, LoadedBundle, ParamChange, PluginUnderTest};
use crate::vst3_host::{Vst3PluginUnderTest, Vst3State};
pub use gainstage_dsp::analysis::generator::SplitMix64;

/// The sample rates issue 7 lists, in Hz.
pub const SAMPLE_RATES: [f64; 7] = [
    22_050.0, 44_100.0, 48_000.0, 88_200.0, 96_000.0, 192_000.0, 384_000.0,
];

/// The largest block any plan uses; every activation promises this much.
pub const MAX_BLOCK_SIZE: usize = 8_192;

/// Largest |sample| allowed anywhere in the matrix: +80 dBFS, the bound hostile.rs also uses.
/// Both plugins scale full-scale drive to about 0 dBFS, so this catches any runaway or blow-up
/// while leaving room for an honest overload at extreme random settings.
pub const OUTPUT_BOUND: f32 = 1.0e4;

/// The two plugin formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// CLAP, through [`PluginUnderTest`].
    Clap,
    /// VST3, through [`Vst3PluginUnderTest`].
    Vst3,
}

/// A parameter the host may automate, as the matrix sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct AutomationTarget {
    /// The parameter ID (the same number in both formats for nice-plug plugins).
    pub id: u32,
    /// Display name.
    pub name: String,
    /// 0 for continuous, else the number of steps between its first and last value.
    pub step_count: u32,
}

/// What the matrix needs of a hosted plugin instance, in either format.
pub trait HostedPlugin {
    /// The format this host speaks.
    fn format(&self) -> Format;
    /// Activates at `sample_rate` for blocks of 1 to `max_block_size` frames in `layout`, and
    /// starts processing.
    fn activate(
        &mut self,
        sample_rate: f64,
        max_block_size: usize,
        layout: Layout,
    ) -> anyhow::Result<()>;
    /// Stops processing and deactivates.
    fn deactivate(&mut self);
    /// Clears the processing state while staying active (CLAP `reset`; VST3
    /// `setProcessing(false)` then `setProcessing(true)`).
    fn reset(&mut self) -> anyhow::Result<()>;
    /// Parameters the host may automate (automatable, visible, writable; bypass included).
    fn automation_targets(&self) -> Vec<AutomationTarget>;
    /// Chooses offline (`true`) or real-time rendering for the next activation (CLAP
    /// `clap.render`, VST3 `kOffline` process mode); the plugin must be inactive.
    fn set_offline(&mut self, offline: bool) -> anyhow::Result<()>;
    /// Processes `input` in blocks of the given sizes with `changes` (normalised values).
    fn process_blocks(
        &mut self,
        input: &[Vec<f32>],
        block_sizes: &[usize],
        changes: &[ParamChange],
    ) -> anyhow::Result<Vec<Vec<f32>>>;
    /// Sets parameter `id` to normalised `value` outside processing, as a host or user does.
    fn set_normalized(&mut self, id: u32, value: f64) -> anyhow::Result<()>;
    /// The saved state as bytes (VST3: component stream, then controller stream, each preceded
    /// by its length as a little-endian u64).
    fn save_bytes(&mut self) -> anyhow::Result<Vec<u8>>;
    /// Loads bytes made by [`save_bytes`](Self::save_bytes).
    fn load_bytes(&mut self, bytes: &[u8]) -> anyhow::Result<()>;
}

impl PluginUnderTest {
    /// The CLAP value of normalised `value` for parameter `id`: the range mapped linearly,
    /// stepped parameters rounded to a whole step.
    fn clap_value(&self, id: u32, value: f64) -> anyhow::Result<f64> {
        let param = self
            .params()
            .iter()
            .find(|param| param.id == id)
            .with_context(|| format!("no CLAP parameter with ID {id}"))?;
        let plain = param.min_value + value * (param.max_value - param.min_value);
        Ok(if param.is_stepped() {
            plain.round()
        } else {
            plain
        })
    }
}

impl HostedPlugin for PluginUnderTest {
    fn format(&self) -> Format {
        Format::Clap
    }

    fn activate(
        &mut self,
        sample_rate: f64,
        max_block_size: usize,
        layout: Layout,
    ) -> anyhow::Result<()> {
        PluginUnderTest::activate(self, sample_rate, 1, max_block_size, layout)
    }

    fn deactivate(&mut self) {
        PluginUnderTest::deactivate(self);
    }

    fn reset(&mut self) -> anyhow::Result<()> {
        PluginUnderTest::reset(self)
    }

    fn automation_targets(&self) -> Vec<AutomationTarget> {
        self.params()
            .iter()
            .filter(|param| param.is_automatable() && !param.is_hidden() && !param.is_read_only())
            .map(|param| AutomationTarget {
                id: param.id,
                name: param.name.clone(),
                step_count: if param.is_stepped() {
                    (param.max_value - param.min_value).round() as u32
                } else {
                    0
                },
            })
            .collect()
    }

    fn set_offline(&mut self, offline: bool) -> anyhow::Result<()> {
        ensure!(
            self.set_render_mode(offline)?,
            "the plugin does not offer clap.render"
        );
        Ok(())
    }

    fn process_blocks(
        &mut self,
        input: &[Vec<f32>],
        block_sizes: &[usize],
        changes: &[ParamChange],
    ) -> anyhow::Result<Vec<Vec<f32>>> {
        let changes = changes
            .iter()
            .map(|change| {
                Ok(ParamChange {
                    value: self.clap_value(change.param_id, change.value)?,
                    ..*change
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        self.process_blocks_with_changes(input, block_sizes, &changes)
    }

    fn set_normalized(&mut self, id: u32, value: f64) -> anyhow::Result<()> {
        let value = self.clap_value(id, value)?;
        self.set_params_by_id(&[(id, value)])
    }

    fn save_bytes(&mut self) -> anyhow::Result<Vec<u8>> {
        self.save_state()
    }

    fn load_bytes(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.load_state(bytes)
    }
}

impl HostedPlugin for Vst3PluginUnderTest {
    fn format(&self) -> Format {
        Format::Vst3
    }

    fn activate(
        &mut self,
        sample_rate: f64,
        max_block_size: usize,
        layout: Layout,
    ) -> anyhow::Result<()> {
        Vst3PluginUnderTest::activate(self, sample_rate, max_block_size, layout)
    }

    fn deactivate(&mut self) {
        Vst3PluginUnderTest::deactivate(self);
    }

    fn reset(&mut self) -> anyhow::Result<()> {
        Vst3PluginUnderTest::reset(self)
    }

    fn automation_targets(&self) -> Vec<AutomationTarget> {
        self.params()
            .iter()
            .filter(|param| param.is_automatable() && !param.is_hidden() && !param.is_read_only())
            .map(|param| AutomationTarget {
                id: param.id,
                name: param.title.clone(),
                step_count: param.step_count.max(0) as u32,
            })
            .collect()
    }

    fn set_offline(&mut self, offline: bool) -> anyhow::Result<()> {
        Vst3PluginUnderTest::set_offline(self, offline)
    }

    fn process_blocks(
        &mut self,
        input: &[Vec<f32>],
        block_sizes: &[usize],
        changes: &[ParamChange],
    ) -> anyhow::Result<Vec<Vec<f32>>> {
        self.process_blocks_with_changes(input, block_sizes, changes)
    }

    fn set_normalized(&mut self, id: u32, value: f64) -> anyhow::Result<()> {
        self.set_param_normalized(id, value)
    }

    fn save_bytes(&mut self) -> anyhow::Result<Vec<u8>> {
        Ok(self.save_state()?.to_bytes())
    }

    fn load_bytes(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.load_state(&Vst3State::from_bytes(bytes)?)
    }
}

/// Loads a fresh instance of `plugin` in `format` from the release bundles and hands it to
/// `check`.
pub fn with_instance<R>(
    format: Format,
    plugin: Plugin,
    check: impl FnOnce(&mut dyn HostedPlugin) -> anyhow::Result<R>,
) -> anyhow::Result<R> {
    with_instance_from(built_bundles(), format, plugin, check)
}

/// Loads a fresh instance of `plugin` in `format` from `bundles` and hands it to `check`.
pub fn with_instance_from<R>(
    bundles: &Bundles,
    format: Format,
    plugin: Plugin,
    check: impl FnOnce(&mut dyn HostedPlugin) -> anyhow::Result<R>,
) -> anyhow::Result<R> {
    match format {
        Format::Clap => check(
            &mut LoadedBundle::load(&bundles.clap_path(plugin))?.instantiate(plugin.clap_id())?,
        ),
        Format::Vst3 => check(&mut Vst3PluginUnderTest::load_bundle(
            &bundles.vst3_path(plugin),
        )?),
    }
}

impl Vst3State {
    /// The state as bytes: the component stream, then the controller stream, each preceded by
    /// its length as a little-endian u64.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        for part in [&self.component, &self.controller] {
            bytes.extend_from_slice(&(part.len() as u64).to_le_bytes());
            bytes.extend_from_slice(part);
        }
        bytes
    }

    /// The state from bytes made by [`to_bytes`](Self::to_bytes).
    pub fn from_bytes(bytes: &[u8]) -> anyhow::Result<Self> {
        let mut rest = bytes;
        let mut parts = Vec::new();
        for _ in 0..2 {
            ensure!(rest.len() >= 8, "truncated VST3 state bytes");
            let (length, tail) = rest.split_at(8);
            let length = u64::from_le_bytes(length.try_into()?) as usize;
            ensure!(tail.len() >= length, "truncated VST3 state bytes");
            let (part, tail) = tail.split_at(length);
            parts.push(part.to_vec());
            rest = tail;
        }
        let controller = parts.pop().expect("two parts");
        let component = parts.pop().expect("two parts");
        Ok(Vst3State {
            component,
            controller,
        })
    }
}

/// How a run cuts its audio into blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockPlan {
    /// Every block this many frames (the last one possibly shorter).
    Fixed(usize),
    /// Sizes drawn uniformly from 1 to [`MAX_BLOCK_SIZE`] with this seed, a new one every block.
    Varying(u64),
}

impl BlockPlan {
    /// The plans issue 7 lists: 1, 7, 64, 512, 4096 and 8192 frames, and varying.
    pub const ALL: [BlockPlan; 7] = [
        BlockPlan::Fixed(1),
        BlockPlan::Fixed(7),
        BlockPlan::Fixed(64),
        BlockPlan::Fixed(512),
        BlockPlan::Fixed(4_096),
        BlockPlan::Fixed(8_192),
        BlockPlan::Varying(0x6761_696E),
    ];

    /// Frames per half-run: enough for at least two full blocks and 2048 frames.
    pub fn half_length(self) -> usize {
        match self {
            BlockPlan::Fixed(size) => (2 * size).max(2_048),
            BlockPlan::Varying(_) => 2 * MAX_BLOCK_SIZE,
        }
    }

    /// Block sizes covering `length` frames.
    pub fn block_sizes(self, length: usize) -> Vec<usize> {
        let mut sizes = Vec::new();
        let mut remaining = length;
        let mut random = match self {
            BlockPlan::Varying(seed) => Some(SplitMix64::new(seed ^ length as u64)),
            BlockPlan::Fixed(_) => None,
        };
        while remaining > 0 {
            let size = match (&mut random, self) {
                (Some(random), _) => 1 + random.below(MAX_BLOCK_SIZE),
                (None, BlockPlan::Fixed(size)) => size,
                (None, BlockPlan::Varying(_)) => unreachable!("a varying plan has a generator"),
            };
            let size = size.min(remaining);
            sizes.push(size);
            remaining -= size;
        }
        sizes
    }
}

/// Test input: a 110 Hz sine at −12 dBFS RMS plus seeded white noise 20 dB below it, different
/// on each channel, so every stage of the plugins is driven.
pub fn test_input(sample_rate: f64, channels: usize, length: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut random = SplitMix64::new(seed);
    let peak = 10_f64.powf(-12.0 / 20.0) * std::f64::consts::SQRT_2;
    (0..channels)
        .map(|channel| {
            (0..length)
                .map(|index| {
                    let phase =
                        std::f64::consts::TAU * 110.0 * index as f64 / sample_rate + channel as f64;
                    let noise = (random.unit() * 2.0 - 1.0) * peak * 0.1;
                    (peak * phase.sin() + noise) as f32
                })
                .collect()
        })
        .collect()
}

/// One parameter change on every frame of `frames`: a random target moved to a random value.
pub fn per_sample_automation(
    targets: &[AutomationTarget],
    frames: std::ops::Range<usize>,
    random: &mut SplitMix64,
) -> Vec<ParamChange> {
    frames
        .map(|frame| {
            let target = &targets[random.below(targets.len())];
            let value = if target.step_count > 0 {
                random.below(target.step_count as usize + 1) as f64 / f64::from(target.step_count)
            } else {
                random.unit()
            };
            ParamChange {
                frame,
                param_id: target.id,
                value,
            }
        })
        .collect()
}

/// What [`run_matrix`] measured.
#[derive(Debug, Clone, Default)]
pub struct MatrixReport {
    /// Runs made (rate × layout × block plan).
    pub runs: usize,
    /// Frames processed, all runs together.
    pub frames: usize,
    /// Parameter changes sent.
    pub changes: usize,
    /// Activations (each followed by a deactivation).
    pub activations: usize,
    /// Resets while active.
    pub resets: usize,
    /// The largest |sample| seen.
    pub peak: f32,
    /// The run the peak was seen in.
    pub peak_run: String,
}

/// The block plans, rates and layouts of issue 7 item 2 on one instance of `plugin` in
/// `format`; see the module documentation.
pub fn run_matrix(format: Format, plugin: Plugin) -> anyhow::Result<MatrixReport> {
    with_instance(format, plugin, |instance| {
        let targets = instance.automation_targets();
        ensure!(
            !targets.is_empty(),
            "{format:?} {plugin:?}: no automatable parameters"
        );
        let mut random = SplitMix64::new(0x5EED_0000 + plugin as u64);
        let mut report = MatrixReport::default();
        for sample_rate in SAMPLE_RATES {
            for layout in Layout::ALL {
                instance.activate(sample_rate, MAX_BLOCK_SIZE, layout)?;
                report.activations += 1;
                for (plan_index, plan) in BlockPlan::ALL.into_iter().enumerate() {
                    let run = format!("{format:?} {plugin:?} {sample_rate} Hz {layout:?} {plan:?}");
                    let half = plan.half_length();
                    let input = test_input(
                        sample_rate,
                        layout.channel_count(),
                        2 * half,
                        random.next_u64(),
                    );
                    let changes = per_sample_automation(&targets, half..2 * half, &mut random);
                    let output = instance
                        .process_blocks(&input, &plan.block_sizes(2 * half), &changes)
                        .with_context(|| run.clone())?;
                    for (channel, samples) in output.iter().enumerate() {
                        if let Some(frame) = samples.iter().position(|sample| !sample.is_finite()) {
                            anyhow::bail!(
                                "{run} channel {channel}: sample {frame} is {} ({})",
                                samples[frame],
                                if frame < half {
                                    "plain half"
                                } else {
                                    "automated half"
                                }
                            );
                        }
                        let peak = samples
                            .iter()
                            .fold(0.0_f32, |peak, sample| peak.max(sample.abs()));
                        ensure!(
                            peak <= OUTPUT_BOUND,
                            "{run} channel {channel}: peak {peak} exceeds {OUTPUT_BOUND}"
                        );
                        if peak > report.peak {
                            report.peak = peak;
                            report.peak_run = run.clone();
                        }
                    }
                    report.runs += 1;
                    report.frames += 2 * half;
                    report.changes += changes.len();
                    // Cycle: a reset after even plans, a full deactivate/activate after odd ones.
                    if plan_index % 2 == 0 {
                        instance.reset()?;
                        report.resets += 1;
                    } else {
                        instance.deactivate();
                        instance.activate(sample_rate, MAX_BLOCK_SIZE, layout)?;
                        report.activations += 1;
                    }
                }
                instance.deactivate();
            }
        }
        Ok(report)
    })
}

/// What [`run_state_identity`] measured.
#[derive(Debug, Clone, Default)]
pub struct StateIdentityReport {
    /// Random settings tried.
    pub settings: usize,
    /// Frames compared, all settings and channels together.
    pub frames_compared: usize,
    /// Largest saved state, in bytes.
    pub largest_state: usize,
}

/// For `settings` seeded random settings (every automatable parameter at a random value):
/// instance A takes the settings, saves its state; a fresh instance B loads it; both, freshly
/// activated at 48 kHz, process the same input in the same blocks, and their outputs must be
/// bit-identical.
pub fn run_state_identity(
    format: Format,
    plugin: Plugin,
    settings: usize,
) -> anyhow::Result<StateIdentityReport> {
    const SAMPLE_RATE: f64 = 48_000.0;
    const LENGTH: usize = 9_600;
    let mut report = StateIdentityReport::default();
    let mut random = SplitMix64::new(0x57A7_E000 + plugin as u64);
    for setting in 0..settings {
        let layout = Layout::ALL[setting % 2];
        let input = test_input(
            SAMPLE_RATE,
            layout.channel_count(),
            LENGTH,
            random.next_u64(),
        );
        let block_sizes = BlockPlan::Varying(random.next_u64()).block_sizes(LENGTH);
        let values: Vec<f64> = (0..64).map(|_| random.unit()).collect();
        let (state, output_a) = with_instance(format, plugin, |a| {
            let targets = a.automation_targets();
            for (target, value) in targets.iter().zip(values.iter().cycle()) {
                let value = if target.step_count > 0 {
                    (value * f64::from(target.step_count)).round() / f64::from(target.step_count)
                } else {
                    *value
                };
                a.set_normalized(target.id, value)?;
            }
            // A short block applies host-side changes where a format queues them for `process`.
            a.activate(SAMPLE_RATE, MAX_BLOCK_SIZE, layout)?;
            a.process_blocks(&vec![vec![0.0; 64]; layout.channel_count()], &[64], &[])?;
            let state = a.save_bytes()?;
            a.deactivate();
            a.activate(SAMPLE_RATE, MAX_BLOCK_SIZE, layout)?;
            let output = a.process_blocks(&input, &block_sizes, &[])?;
            Ok((state, output))
        })?;
        let output_b = with_instance(format, plugin, |b| {
            b.load_bytes(&state)?;
            b.activate(SAMPLE_RATE, MAX_BLOCK_SIZE, layout)?;
            b.process_blocks(&input, &block_sizes, &[])
        })?;
        for (channel, (a, b)) in output_a.iter().zip(&output_b).enumerate() {
            if let Some(frame) = a
                .iter()
                .zip(b)
                .position(|(a, b)| a.to_bits() != b.to_bits())
            {
                anyhow::bail!(
                    "{format:?} {plugin:?} setting {setting} ({layout:?}) channel {channel}: \
                     outputs differ first at frame {frame}: {} (saved) vs {} (loaded)",
                    a[frame],
                    b[frame]
                );
            }
            ensure!(
                a.iter().all(|sample| sample.is_finite()),
                "{format:?} {plugin:?} setting {setting}: output not finite"
            );
            report.frames_compared += a.len();
        }
        report.settings += 1;
        report.largest_state = report.largest_state.max(state.len());
    }
    Ok(report)
}
