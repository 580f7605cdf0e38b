//! A small CLAP host on `clack-host`: load a bundle, read its descriptors, instantiate a plugin,
//! pick its layout, activate it, process audio in blocks, drive its parameters and state, and
//! embed its editor (see the `gui` module).
//!
//! Everything runs on the calling thread. That thread is the CLAP main thread, and it counts as the
//! audio thread while the host is inside `process`, `start_processing`, `stop_processing` or an
//! active `flush` (see the `callbacks` module). Main-thread callbacks the plugin asks for are served after
//! every block and after every main-thread operation.

mod audio;
mod callbacks;
mod gui;
mod params;

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, anyhow, bail, ensure};
use clack_extensions::audio_ports::{AudioPortInfoBuffer, PluginAudioPorts};
use clack_extensions::audio_ports_config::{AudioPortsConfigBuffer, PluginAudioPortsConfig};
use clack_extensions::gui::PluginGui;
use clack_extensions::latency::PluginLatency;
use clack_extensions::params::PluginParams;
use clack_extensions::render::{PluginRender, RenderMode};
use clack_extensions::state::PluginState;
use clack_host::prelude::*;

use crate::bundle::{Plugin, built_bundles};
use audio::ActiveProcessor;
use callbacks::{HostMainThread, HostShared, TestHost};

pub use callbacks::HostCallCounts;
pub use gui::EditorSize;
pub use params::{ParamChange, ParamDescription, ParamOutputEvent, nice_plug_param_hash};

/// The host's name as given to plugins in `clap_host`.
pub const HOST_NAME: &str = "Gainstage Test Host";

/// A main audio layout: one input and one output port with this many channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// Two channels in, two out.
    Stereo,
    /// One channel in, one out.
    Mono,
}

impl Layout {
    /// Both layouts.
    pub const ALL: [Layout; 2] = [Layout::Stereo, Layout::Mono];

    /// Channels per port.
    pub fn channel_count(self) -> usize {
        match self {
            Layout::Stereo => 2,
            Layout::Mono => 1,
        }
    }
}

/// A plugin descriptor as read from the bundle's plugin factory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginDescription {
    /// Unique plugin ID (reverse domain name).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Vendor name.
    pub vendor: String,
    /// Version string.
    pub version: String,
    /// Home page URL.
    pub url: String,
    /// One-line description.
    pub description: String,
    /// Feature tags such as "audio-effect" or "stereo".
    pub features: Vec<String>,
}

impl PluginDescription {
    /// Whether `feature` is among the descriptor's feature tags.
    pub fn has_feature(&self, feature: &str) -> bool {
        self.features.iter().any(|tag| tag == feature)
    }
}

/// One audio port as the plugin reports it through `clap.audio-ports`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioPortDescription {
    /// Port ID.
    pub id: u32,
    /// Display name.
    pub name: String,
    /// Number of channels.
    pub channel_count: u32,
    /// Port type ("mono", "stereo", …) if the plugin gives one.
    pub port_type: Option<String>,
    /// Whether this is the main port of its direction.
    pub is_main: bool,
}

/// A loaded `.clap` bundle.
#[derive(Clone)]
pub struct LoadedBundle {
    entry: PluginEntry,
    path: PathBuf,
}

impl LoadedBundle {
    /// Loads the bundle at `path` and initialises its entry.
    ///
    /// A bundle, once loaded, stays loaded until the process exits (see `keep_loaded`).
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        // SAFETY: loading a shared library runs its initialisers. The bundles we load are our own
        // plugins, built from this workspace, which is as trusted as the test code itself.
        let entry = unsafe { PluginEntry::load(path) }
            .map_err(|error| anyhow!("loading CLAP bundle {}: {error}", path.display()))?;
        keep_loaded(path, &entry);
        Ok(Self {
            entry,
            path: path.to_path_buf(),
        })
    }

    /// Loads the CLAP bundle of `plugin` from [`built_bundles`].
    ///
    /// # Panics
    ///
    /// Panics (with the manual build command) if the bundles cannot be built or found.
    pub fn load_plugin(plugin: Plugin) -> anyhow::Result<Self> {
        Self::load(&built_bundles().clap_path(plugin))
    }

    /// The bundle's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every plugin descriptor the bundle's plugin factory lists.
    pub fn descriptors(&self) -> anyhow::Result<Vec<PluginDescription>> {
        let factory = self
            .entry
            .get_plugin_factory()
            .ok_or_else(|| anyhow!("{} has no plugin factory", self.path.display()))?;
        let text = |value: Option<&std::ffi::CStr>| {
            value
                .map(|value| value.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        Ok(factory
            .plugin_descriptors()
            .map(|descriptor| PluginDescription {
                id: text(descriptor.id()),
                name: text(descriptor.name()),
                vendor: text(descriptor.vendor()),
                version: text(descriptor.version()),
                url: text(descriptor.url()),
                description: text(descriptor.description()),
                features: descriptor
                    .features()
                    .map(|feature| feature.to_string_lossy().into_owned())
                    .collect(),
            })
            .collect())
    }

    /// Creates and initialises an instance of the plugin with ID `plugin_id`.
    pub fn instantiate(&self, plugin_id: &str) -> anyhow::Result<PluginUnderTest> {
        PluginUnderTest::instantiate(self.clone(), plugin_id)
    }
}

/// Keeps the library behind `entry` loaded for the rest of the process, like a DAW that never
/// unloads a plugin binary.
///
/// clack-host unloads a library (`clap_entry.deinit`, then `dlclose`) when its last
/// `PluginEntry` is dropped. A Rust plugin registers thread-exit destructors (pthread keys) on
/// every thread that runs its code; once the library is unloaded, each such thread crashes with
/// SIGSEGV when it exits, because its destructor now points into unmapped memory. Tests run on
/// many threads that load and drop bundles at different times, so the host pins every bundle by
/// leaking one `PluginEntry` clone per path.
fn keep_loaded(path: &Path, entry: &PluginEntry) {
    static PINNED_BUNDLES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    let mut pinned = PINNED_BUNDLES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !pinned.iter().any(|pinned_path| pinned_path == path) {
        pinned.push(path.to_path_buf());
        std::mem::forget(entry.clone());
    }
}

/// The plugin extensions the host uses; `None` where the plugin does not offer one.
#[derive(Clone, Copy)]
struct PluginExtensions {
    params: Option<PluginParams>,
    state: Option<PluginState>,
    audio_ports: Option<PluginAudioPorts>,
    audio_ports_config: Option<PluginAudioPortsConfig>,
    latency: Option<PluginLatency>,
    render: Option<PluginRender>,
    gui: Option<PluginGui>,
}

/// One plugin instance driven by the test host.
///
/// ```no_run
/// use gainstage_tests::{Layout, ParamChange, Plugin, PluginUnderTest};
///
/// let mut plugin = PluginUnderTest::load(Plugin::Preamp)?;
/// plugin.set_param_text("gain", "12 dB")?; // inactive: sent through params.flush
/// plugin.activate(48_000.0, 1, 4096, Layout::Mono)?;
/// let gain = plugin.param("gain")?.id;
/// let input = vec![vec![0.1_f32; 4800]];
/// let changes = [ParamChange { frame: 2400, param_id: gain, value: 0.5 }];
/// let output = plugin.process_with_changes(&input, 64, &changes)?;
/// # let _ = output;
/// # Ok::<(), anyhow::Error>(())
/// ```
pub struct PluginUnderTest {
    // Field order matters for drop: the processor (if `Drop` did not already deactivate it)
    // before the instance, the instance before the bundle's entry.
    active: Option<ActiveProcessor>,
    instance: PluginInstance<TestHost>,
    extensions: PluginExtensions,
    params: Vec<ParamDescription>,
    layout: Option<Layout>,
    defer_main_thread_callbacks: bool,
    editor_open: bool,
    inactive_output_param_events: Vec<ParamOutputEvent>,
    bundle: LoadedBundle,
}

impl PluginUnderTest {
    /// Loads `plugin`'s CLAP bundle from [`built_bundles`] and instantiates it by its ID.
    ///
    /// # Panics
    ///
    /// Panics (with the manual build command) if the bundles cannot be built or found.
    pub fn load(plugin: Plugin) -> anyhow::Result<Self> {
        LoadedBundle::load_plugin(plugin)?.instantiate(plugin.clap_id())
    }

    fn instantiate(bundle: LoadedBundle, plugin_id: &str) -> anyhow::Result<Self> {
        let host_info = HostInfo::new(
            HOST_NAME,
            "Gainstage",
            "https://example.invalid/gainstage",
            env!("CARGO_PKG_VERSION"),
        )
        .map_err(|error| anyhow!("host info: {error}"))?;
        let plugin_id_c = CString::new(plugin_id).context("plugin ID contains a NUL byte")?;
        let mut instance = PluginInstance::<TestHost>::new(
            |_| HostShared::new(),
            |shared| HostMainThread::new(shared),
            &bundle.entry,
            &plugin_id_c,
            &host_info,
        )
        .map_err(|error| {
            anyhow!(
                "instantiating {plugin_id} from {}: {error}",
                bundle.path.display()
            )
        })?;
        let shared = instance.plugin_shared_handle();
        let extensions = PluginExtensions {
            params: shared.get_extension(),
            state: shared.get_extension(),
            audio_ports: shared.get_extension(),
            audio_ports_config: shared.get_extension(),
            latency: shared.get_extension(),
            render: shared.get_extension(),
            gui: shared.get_extension(),
        };
        let params = match &extensions.params {
            Some(params_extension) => {
                params::enumerate(params_extension, &instance.plugin_handle())?
            }
            None => Vec::new(),
        };
        let mut plugin = Self {
            active: None,
            instance,
            extensions,
            params,
            layout: None,
            defer_main_thread_callbacks: false,
            editor_open: false,
            inactive_output_param_events: Vec::new(),
            bundle,
        };
        plugin.serve_main_thread_callbacks();
        Ok(plugin)
    }

    /// The bundle this instance came from.
    pub fn bundle(&self) -> &LoadedBundle {
        &self.bundle
    }

    /// How often the plugin has called each host callback so far.
    pub fn host_calls(&self) -> HostCallCounts {
        self.instance
            .access_shared_handler(|shared| shared.call_counts())
    }

    /// Calls `on_main_thread` if the plugin asked for it (`request_callback`), until it stops
    /// asking. Done automatically after every block and main-thread operation, unless deferred
    /// ([`set_defer_main_thread_callbacks`](Self::set_defer_main_thread_callbacks)).
    pub fn serve_main_thread_callbacks(&mut self) {
        if self.defer_main_thread_callbacks {
            return;
        }
        self.serve_main_thread_callbacks_now();
    }

    /// Makes the host serve `on_main_thread` requests late, as a busy host may: while `defer` is
    /// set, nothing serves them automatically; [`serve_main_thread_callbacks_now`] serves them
    /// (then or after clearing the flag).
    ///
    /// [`serve_main_thread_callbacks_now`]: Self::serve_main_thread_callbacks_now
    pub fn set_defer_main_thread_callbacks(&mut self, defer: bool) {
        self.defer_main_thread_callbacks = defer;
    }

    /// Calls `on_main_thread` now if the plugin asked for it, until it stops asking, whether or
    /// not callbacks are deferred.
    pub fn serve_main_thread_callbacks_now(&mut self) {
        // A plugin may ask again from inside its callback; bound the loop in case it always does.
        for _ in 0..16 {
            let requested = self
                .instance
                .access_shared_handler(|shared| shared.take_callback_request());
            if !requested {
                break;
            }
            self.instance.call_on_main_thread_callback();
            self.instance
                .access_shared_handler(|shared| shared.record_main_thread_callback_served());
        }
    }

    // ----- audio ports and layouts -----

    /// The audio ports the plugin reports for the currently selected layout.
    pub fn audio_ports(&mut self, is_input: bool) -> anyhow::Result<Vec<AudioPortDescription>> {
        let extension = self
            .extensions
            .audio_ports
            .ok_or_else(|| anyhow!("plugin does not offer clap.audio-ports"))?;
        let handle = self.instance.plugin_handle();
        let count = extension.count(&handle, is_input);
        let mut buffer = AudioPortInfoBuffer::new();
        (0..count)
            .map(|index| {
                let info = extension
                    .get(&handle, index, is_input, &mut buffer)
                    .ok_or_else(|| anyhow!("clap_plugin_audio_ports.get failed for {index}"))?;
                Ok(AudioPortDescription {
                    id: info.id.get(),
                    name: String::from_utf8_lossy(info.name).into_owned(),
                    channel_count: info.channel_count,
                    port_type: info
                        .port_type
                        .map(|port_type| port_type.0.to_string_lossy().into_owned()),
                    is_main: info
                        .flags
                        .contains(clack_extensions::audio_ports::AudioPortFlags::IS_MAIN),
                })
            })
            .collect()
    }

    /// Selects `layout` through `clap.audio-ports-config` (the plugin must be inactive), then checks
    /// that `clap.audio-ports` reports one main input and output port of that many channels.
    /// Without the config extension, only the check is made.
    pub fn select_layout(&mut self, layout: Layout) -> anyhow::Result<()> {
        ensure!(
            self.active.is_none(),
            "the layout can only change while the plugin is inactive"
        );
        let channels = u32::try_from(layout.channel_count())?;
        if let Some(config_extension) = self.extensions.audio_ports_config {
            let handle = self.instance.plugin_handle();
            let mut buffer = AudioPortsConfigBuffer::new();
            let mut offered = Vec::new();
            let mut chosen = None;
            for index in 0..config_extension.count(&handle) {
                let Some(config) = config_extension.get(&handle, index, &mut buffer) else {
                    bail!("clap_plugin_audio_ports_config.get failed for index {index}");
                };
                let input_channels = config.main_input.map(|port| port.channel_count);
                let output_channels = config.main_output.map(|port| port.channel_count);
                offered.push(format!(
                    "{:?} ({input_channels:?} in, {output_channels:?} out)",
                    String::from_utf8_lossy(config.name)
                ));
                if chosen.is_none()
                    && input_channels == Some(channels)
                    && output_channels == Some(channels)
                {
                    chosen = Some(config.id);
                }
            }
            let Some(config_id) = chosen else {
                bail!("no audio-ports-config for {layout:?}; the plugin offers {offered:?}");
            };
            config_extension.select(&handle, config_id).map_err(|_| {
                anyhow!("clap_plugin_audio_ports_config.select({config_id}) failed")
            })?;
            self.serve_main_thread_callbacks();
        }
        for is_input in [true, false] {
            let direction = if is_input { "input" } else { "output" };
            let ports = self.audio_ports(is_input)?;
            let main = ports
                .iter()
                .find(|port| port.is_main)
                .ok_or_else(|| anyhow!("no main {direction} port after selecting {layout:?}"))?;
            ensure!(
                main.channel_count == channels,
                "main {direction} port has {} channels after selecting {layout:?}, expected {channels}",
                main.channel_count
            );
        }
        self.layout = Some(layout);
        Ok(())
    }

    // ----- activation -----

    /// Selects `layout`, activates the plugin at `sample_rate` for blocks of `min_block_size` to
    /// `max_block_size` frames, and starts processing.
    pub fn activate(
        &mut self,
        sample_rate: f64,
        min_block_size: usize,
        max_block_size: usize,
        layout: Layout,
    ) -> anyhow::Result<()> {
        ensure!(self.active.is_none(), "plugin is already active");
        ensure!(
            1 <= min_block_size && min_block_size <= max_block_size,
            "block sizes must satisfy 1 <= min ({min_block_size}) <= max ({max_block_size})"
        );
        self.select_layout(layout)?;
        let configuration = PluginAudioConfiguration {
            sample_rate,
            min_frames_count: u32::try_from(min_block_size)?,
            max_frames_count: u32::try_from(max_block_size)?,
        };
        self.instance
            .access_shared_handler(|shared| shared.set_activating(true));
        let processor = self.instance.activate(|_, _| (), configuration);
        self.instance
            .access_shared_handler(|shared| shared.set_activating(false));
        let processor = processor
            .map_err(|error| anyhow!("activate at {sample_rate} Hz, {layout:?}: {error}"))?;
        let mut active = ActiveProcessor::new(
            processor,
            sample_rate,
            max_block_size,
            layout.channel_count(),
        );
        let started = active.ensure_started();
        self.active = Some(active);
        self.serve_main_thread_callbacks();
        started
    }

    /// Whether the plugin is active.
    pub fn is_active(&self) -> bool {
        self.active.is_some()
    }

    /// The sample rate of the current activation.
    pub fn sample_rate(&self) -> Option<f64> {
        self.active.as_ref().map(ActiveProcessor::sample_rate)
    }

    /// Events the plugin has written to the host's output event lists so far in this activation.
    pub fn output_event_count(&self) -> usize {
        self.active
            .as_ref()
            .map_or(0, ActiveProcessor::output_event_count)
    }

    /// The layout last selected.
    pub fn layout(&self) -> Option<Layout> {
        self.layout
    }

    /// Stops processing and deactivates the plugin (does nothing if it is inactive).
    pub fn deactivate(&mut self) {
        if let Some(mut active) = self.active.take() {
            active.ensure_stopped();
            self.instance.deactivate(active.into_stopped());
            self.serve_main_thread_callbacks();
        }
    }

    /// The latency the plugin reports through `clap.latency`, in samples (0 if it does not offer
    /// the extension, as the CLAP specification implies).
    pub fn latency(&mut self) -> u32 {
        match self.extensions.latency {
            Some(latency) => latency.get(&self.instance.plugin_handle()),
            None => 0,
        }
    }

    /// Switches the plugin between real-time and offline rendering through `clap.render` (an
    /// offline render lets the plugin use its offline quality). Call it while the plugin is
    /// inactive: switching an active plugin makes it ask the host for a restart. Returns whether
    /// the plugin offers the extension; an error if it offers it but refuses the mode.
    pub fn set_render_mode(&mut self, offline: bool) -> anyhow::Result<bool> {
        let Some(render) = self.extensions.render else {
            return Ok(false);
        };
        let mode = if offline {
            RenderMode::Offline
        } else {
            RenderMode::Realtime
        };
        render
            .set(&self.instance.plugin_handle(), mode)
            .map_err(|_| anyhow!("clap_plugin_render.set({mode:?}) was refused"))?;
        self.serve_main_thread_callbacks();
        Ok(true)
    }

    // ----- processing -----

    /// Processes planar `input` (one slice per channel, all the same length) in blocks of
    /// `block_size` frames, the last one possibly shorter, and returns the output channels.
    pub fn process<C: AsRef<[f32]>>(
        &mut self,
        input: &[C],
        block_size: usize,
    ) -> anyhow::Result<Vec<Vec<f32>>> {
        self.process_with_changes(input, block_size, &[])
    }

    /// Like [`process`](Self::process), also sending each parameter change as a
    /// `CLAP_EVENT_PARAM_VALUE` in the block that contains its frame, at its offset in that block.
    pub fn process_with_changes<C: AsRef<[f32]>>(
        &mut self,
        input: &[C],
        block_size: usize,
        changes: &[ParamChange],
    ) -> anyhow::Result<Vec<Vec<f32>>> {
        ensure!(block_size >= 1, "block size must be at least 1");
        let length = input.first().map_or(0, |channel| channel.as_ref().len());
        let block_sizes: Vec<usize> = (0..length.div_ceil(block_size))
            .map(|index| block_size.min(length - index * block_size))
            .collect();
        self.process_blocks_with_changes(input, &block_sizes, changes)
    }

    /// Processes planar `input` in consecutive blocks of the given sizes (which must add up to
    /// the input's length, each within the activation's range), sending each parameter change
    /// (CLAP values, any order) in the block that contains its frame, at its offset there.
    pub fn process_blocks_with_changes<C: AsRef<[f32]>>(
        &mut self,
        input: &[C],
        block_sizes: &[usize],
        changes: &[ParamChange],
    ) -> anyhow::Result<Vec<Vec<f32>>> {
        let channels: Vec<&[f32]> = input.iter().map(AsRef::as_ref).collect();
        let active = self
            .active
            .as_ref()
            .ok_or_else(|| anyhow!("process called on an inactive plugin"))?;
        ensure!(
            channels.len() == active.channel_count(),
            "got {} input channels, the active layout has {}",
            channels.len(),
            active.channel_count()
        );
        let length = channels.first().map_or(0, |channel| channel.len());
        ensure!(
            channels.iter().all(|channel| channel.len() == length),
            "input channels differ in length"
        );
        ensure!(
            block_sizes.iter().sum::<usize>() == length,
            "block sizes add up to {}, the input has {length} frames",
            block_sizes.iter().sum::<usize>()
        );
        for &block_size in block_sizes {
            ensure!(
                (1..=active.max_block_size()).contains(&block_size),
                "block size {block_size} is outside 1..={}",
                active.max_block_size()
            );
        }
        for change in changes {
            ensure!(
                change.frame < length,
                "parameter change at frame {} is past the input's {length} frames",
                change.frame
            );
        }
        let mut sorted_changes = changes.to_vec();
        sorted_changes.sort_by_key(|change| change.frame);

        let mut output = vec![vec![0.0_f32; length]; channels.len()];
        let mut start = 0;
        let mut next_change = 0;
        for &frames in block_sizes {
            let end = start + frames;
            let in_block =
                sorted_changes[next_change..].partition_point(|change| change.frame < end);
            let block_changes = &sorted_changes[next_change..next_change + in_block];
            next_change += in_block;
            let active = self.active.as_mut().expect("checked above");
            active
                .process_block(&channels, &mut output, start, frames, block_changes)
                .with_context(|| format!("processing frames {start}..{end}"))?;
            self.serve_main_thread_callbacks();
            start = end;
        }
        Ok(output)
    }

    /// Clears the plugin's processing state (`clap_plugin.reset`) on the audio thread, as a host
    /// does on a transport jump; the plugin stays active.
    pub fn reset(&mut self) -> anyhow::Result<()> {
        let active = self
            .active
            .as_mut()
            .ok_or_else(|| anyhow!("reset called on an inactive plugin"))?;
        active.reset();
        self.serve_main_thread_callbacks();
        Ok(())
    }

    // ----- parameters -----

    /// Every parameter, as enumerated at instantiation (or at the last [`rescan_params`]).
    ///
    /// [`rescan_params`]: Self::rescan_params
    pub fn params(&self) -> &[ParamDescription] {
        &self.params
    }

    /// Reads the parameter list again through `clap.params`.
    pub fn rescan_params(&mut self) -> anyhow::Result<()> {
        let extension = self.params_extension()?;
        self.params = params::enumerate(&extension, &self.instance.plugin_handle())?;
        Ok(())
    }

    /// The parameter named `key`: its nice-plug string ID (e.g. "gain") or display name.
    pub fn param(&self, key: &str) -> anyhow::Result<&ParamDescription> {
        self.params
            .iter()
            .find(|param| param.is_named(key))
            .ok_or_else(|| {
                let known: Vec<&str> = self
                    .params
                    .iter()
                    .map(|param| param.name.as_str())
                    .collect();
                anyhow!("no parameter named {key:?}; the plugin has {known:?}")
            })
    }

    /// The host bypass parameter (`CLAP_PARAM_IS_BYPASS`), if there is one.
    pub fn bypass_param(&self) -> Option<&ParamDescription> {
        self.params.iter().find(|param| param.is_bypass())
    }

    /// The current CLAP value of parameter `key`.
    pub fn param_value(&mut self, key: &str) -> anyhow::Result<f64> {
        let param_id = self.param(key)?.id;
        self.param_value_by_id(param_id)
    }

    /// The current CLAP value of the parameter with CLAP ID `param_id`.
    pub fn param_value_by_id(&mut self, param_id: u32) -> anyhow::Result<f64> {
        let extension = self.params_extension()?;
        extension
            .get_value(&self.instance.plugin_handle(), ClapId::new(param_id))
            .ok_or_else(|| anyhow!("clap_plugin_params.get_value failed for ID {param_id}"))
    }

    /// The plugin's text for CLAP value `value` of parameter `key`.
    pub fn value_to_text(&mut self, key: &str, value: f64) -> anyhow::Result<String> {
        let param_id = self.param(key)?.id;
        let extension = self.params_extension()?;
        let mut buffer = [0_u8; 256];
        let text = extension
            .value_to_text(
                &self.instance.plugin_handle(),
                ClapId::new(param_id),
                value,
                &mut buffer,
            )
            .map_err(|_| {
                anyhow!("clap_plugin_params.value_to_text failed for {key:?} = {value}")
            })?;
        Ok(String::from_utf8_lossy(text).into_owned())
    }

    /// The CLAP value the plugin parses from `text` for parameter `key`.
    pub fn text_to_value(&mut self, key: &str, text: &str) -> anyhow::Result<f64> {
        let param_id = self.param(key)?.id;
        let extension = self.params_extension()?;
        let text_c = CString::new(text).context("parameter text contains a NUL byte")?;
        extension
            .text_to_value(
                &self.instance.plugin_handle(),
                ClapId::new(param_id),
                &text_c,
            )
            .ok_or_else(|| {
                anyhow!("clap_plugin_params.text_to_value failed for {key:?} = {text:?}")
            })
    }

    /// Sets parameter `key` to CLAP value `value` now, through `clap_plugin_params.flush` (on the
    /// main thread when inactive, on the audio thread between blocks when active).
    pub fn set_param(&mut self, key: &str, value: f64) -> anyhow::Result<()> {
        let param_id = self.param(key)?.id;
        self.set_params_by_id(&[(param_id, value)])
    }

    /// Sets parameter `key` from display text (e.g. "12 dB"), converted with
    /// [`text_to_value`](Self::text_to_value), and returns the CLAP value that was sent.
    pub fn set_param_text(&mut self, key: &str, text: &str) -> anyhow::Result<f64> {
        let value = self.text_to_value(key, text)?;
        self.set_param(key, value)?;
        Ok(value)
    }

    /// Sets several parameters, given as (CLAP ID, CLAP value), in one `flush`.
    pub fn set_params_by_id(&mut self, values: &[(u32, f64)]) -> anyhow::Result<()> {
        let extension = self.params_extension()?;
        let changes: Vec<ParamChange> = values
            .iter()
            .map(|(param_id, value)| ParamChange {
                frame: 0,
                param_id: *param_id,
                value: *value,
            })
            .collect();
        match self.active.as_mut() {
            Some(active) => active.flush(&extension, &changes),
            None => {
                let mut events = EventBuffer::with_capacity(changes.len());
                for change in &changes {
                    events.push(&clack_host::events::event_types::ParamValueEvent::new(
                        0,
                        ClapId::new(change.param_id),
                        Pckn::match_all(),
                        change.value,
                    ));
                }
                let mut handle = self.instance.inactive_plugin_handle().ok_or_else(|| {
                    anyhow!("plugin reported active while the host had no processor")
                })?;
                let mut output = EventBuffer::with_capacity(64);
                extension.flush(&mut handle, &events.as_input(), &mut output.as_output());
                params::record_output_events(&output, &mut self.inactive_output_param_events);
            }
        }
        self.serve_main_thread_callbacks();
        Ok(())
    }

    fn params_extension(&self) -> anyhow::Result<PluginParams> {
        self.extensions
            .params
            .ok_or_else(|| anyhow!("plugin does not offer clap.params"))
    }

    // ----- state -----

    /// Saves the plugin's state through `clap.state`.
    pub fn save_state(&mut self) -> anyhow::Result<Vec<u8>> {
        let extension = self
            .extensions
            .state
            .ok_or_else(|| anyhow!("plugin does not offer clap.state"))?;
        let mut bytes = Vec::new();
        extension
            .save(&self.instance.plugin_handle(), &mut bytes)
            .map_err(|error| anyhow!("{error}"))?;
        self.serve_main_thread_callbacks();
        Ok(bytes)
    }

    /// Loads a state saved by [`save_state`](Self::save_state) through `clap.state`.
    pub fn load_state(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        let extension = self
            .extensions
            .state
            .ok_or_else(|| anyhow!("plugin does not offer clap.state"))?;
        let mut reader = bytes;
        extension
            .load(&self.instance.plugin_handle(), &mut reader)
            .map_err(|error| anyhow!("{error}"))?;
        self.serve_main_thread_callbacks();
        Ok(())
    }
}

impl Drop for PluginUnderTest {
    fn drop(&mut self) {
        // CLAP: the GUI is destroyed before the plugin.
        self.close_editor();
        self.deactivate();
    }
}
