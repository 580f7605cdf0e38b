//! Gainstage's VST3 test host, on the `vst3` crate's COM bindings: loads a built `.vst3` bundle,
//! reads its factory and class info, instantiates the component and its edit controller (the
//! same object for a single-component plugin, a separate class otherwise, then connected through
//! `IConnectionPoint`), sets up processing, processes 32-bit float audio with sample-accurate
//! parameter changes, and saves and restores state through the component and controller streams.
//!
//! The call sequence follows the VST3 SDK's "Audio Processor Call Sequence" and "Edit Controller
//! Call Sequence" documentation: `initialize` → (controller: `initialize`, `setComponentHandler`,
//! connect, `setComponentState`) → `setBusArrangements` → `activateBus` → `setupProcessing` →
//! `setActive(true)` → `setProcessing(true)` → `process`… → `setProcessing(false)` →
//! `setActive(false)` → disconnect → `terminate`. Everything runs on the calling thread.
//!
//! ```no_run
//! use gainstage_tests::{Layout, Plugin, vst3_host::Vst3PluginUnderTest};
//!
//! let mut plugin = Vst3PluginUnderTest::load(Plugin::Preamp)?;
//! plugin.activate(48_000.0, 512, Layout::Stereo)?;
//! let input = vec![vec![0.1_f32; 4800]; 2];
//! let output = plugin.process(&input, 512)?;
//! let state = plugin.save_state()?;
//! # let _ = (output, state);
//! # Ok::<(), anyhow::Error>(())
//! ```

mod host_context;
mod messages;
mod module;
mod parameter_changes;
mod stream;

use std::path::Path;

use anyhow::{Context, anyhow, bail, ensure};
use vst3::Steinberg::Vst::BusDirections_::{kInput, kOutput};
use vst3::Steinberg::Vst::MediaTypes_::kAudio;
use vst3::Steinberg::Vst::ParameterInfo_::ParameterFlags_::{
    kCanAutomate, kIsBypass, kIsHidden, kIsReadOnly,
};
use vst3::Steinberg::Vst::ProcessModes_::{kOffline, kRealtime};
use vst3::Steinberg::Vst::SymbolicSampleSizes_::kSample32;
use vst3::Steinberg::Vst::{
    AudioBusBuffers, AudioBusBuffers__type0, BusInfo, IAudioProcessor, IAudioProcessorTrait,
    IComponent, IComponentHandler, IComponentTrait, IConnectionPoint, IConnectionPointTrait,
    IEditController, IEditControllerTrait, IParameterChanges, ParameterInfo, ProcessData,
    ProcessSetup, SpeakerArr, SpeakerArrangement, String128,
};
use vst3::Steinberg::{FUnknown, IBStream, IPluginBaseTrait, TUID, kResultOk};
use vst3::{ComPtr, ComWrapper};

use crate::bundle::{Plugin, built_bundles};
use crate::host::{HOST_NAME, Layout, ParamChange};

pub use host_context::{
    ComponentHandler, HandlerCall, HostApplication, read_utf16, reference_count, write_utf16,
};
pub use messages::{AttributeValue, HostAttributeList, HostMessage};
pub use module::{
    AUDIO_MODULE_CLASS, COMPONENT_CONTROLLER_CLASS, ClassInfo, FactoryInfo, Vst3Module,
    library_path,
};
pub use parameter_changes::{ParamValueQueue, ParameterChanges};
pub use stream::MemoryStream;

/// One parameter as the edit controller describes it in `ParameterInfo`. Values are normalised
/// (`0..=1`) throughout, as VST3 defines them.
#[derive(Debug, Clone, PartialEq)]
pub struct Vst3ParamDescription {
    /// The parameter ID (nice-plug: the same hash of the string ID as the CLAP ID).
    pub id: u32,
    /// Display name.
    pub title: String,
    /// Short display name.
    pub short_title: String,
    /// Unit label.
    pub units: String,
    /// 0 for continuous, else the number of steps (a list of n entries has n − 1 steps).
    pub step_count: i32,
    /// Default normalised value.
    pub default_normalized: f64,
    /// The unit (group) the parameter belongs to.
    pub unit_id: i32,
    /// `ParameterFlags` bits.
    pub flags: i32,
}

// The SDK's enum constants are `u32` on Linux and `i32` on Windows; the casts keep both building.
#[allow(clippy::unnecessary_cast)]
impl Vst3ParamDescription {
    /// Whether this is the host bypass parameter (`kIsBypass`).
    pub fn is_bypass(&self) -> bool {
        self.flags & kIsBypass as i32 != 0
    }

    /// Whether the host may automate it (`kCanAutomate`).
    pub fn is_automatable(&self) -> bool {
        self.flags & kCanAutomate as i32 != 0
    }

    /// Whether it is hidden (`kIsHidden`).
    pub fn is_hidden(&self) -> bool {
        self.flags & kIsHidden as i32 != 0
    }

    /// Whether the host must not change it (`kIsReadOnly`).
    pub fn is_read_only(&self) -> bool {
        self.flags & kIsReadOnly as i32 != 0
    }
}

/// The component and controller state streams of one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vst3State {
    /// Bytes the component wrote in `IComponent::getState`.
    pub component: Vec<u8>,
    /// Bytes the controller wrote in `IEditController::getState`.
    pub controller: Vec<u8>,
}

/// Host buffers and parameter-change lists of an active instance.
struct ActiveState {
    sample_rate: f64,
    max_block_size: usize,
    channel_count: usize,
    input_block: Vec<Vec<f32>>,
    output_block: Vec<Vec<f32>>,
    input_changes: ComWrapper<ParameterChanges>,
    output_changes: ComWrapper<ParameterChanges>,
    output_change_points: usize,
    processing: bool,
}

/// Points preallocated per parameter queue: one a sample for the largest blocks tests use.
const POINTS_PER_QUEUE: usize = 8_192;

/// One VST3 plugin instance driven by the test host.
pub struct Vst3PluginUnderTest {
    // Field order matters for drop (after `Drop::drop` has terminated both sides): the
    // plugin-side interfaces are released before the host objects they may still reference.
    processor: ComPtr<IAudioProcessor>,
    controller: ComPtr<IEditController>,
    component: ComPtr<IComponent>,
    connection: Option<(ComPtr<IConnectionPoint>, ComPtr<IConnectionPoint>)>,
    separate_controller: bool,
    active: Option<ActiveState>,
    pending_changes: Vec<(u32, f64)>,
    params: Vec<Vst3ParamDescription>,
    class: ClassInfo,
    host_application: ComWrapper<HostApplication>,
    component_handler: ComWrapper<ComponentHandler>,
    module: Vst3Module,
    layout: Option<Layout>,
    process_mode: i32,
    terminated: bool,
}

impl Vst3PluginUnderTest {
    /// Loads `plugin`'s VST3 bundle from [`built_bundles`] and instantiates its first audio
    /// module class.
    ///
    /// # Panics
    ///
    /// Panics (with the manual build command) if the bundles cannot be built or found.
    pub fn load(plugin: Plugin) -> anyhow::Result<Self> {
        Self::load_bundle(&built_bundles().vst3_path(plugin))
    }

    /// Loads the `.vst3` bundle at `bundle` and instantiates its first audio module class.
    pub fn load_bundle(bundle: &Path) -> anyhow::Result<Self> {
        let module = Vst3Module::load(bundle)?;
        let class = module
            .classes()?
            .into_iter()
            .find(|class| class.category == AUDIO_MODULE_CLASS)
            .ok_or_else(|| anyhow!("{} lists no {AUDIO_MODULE_CLASS}", bundle.display()))?;
        Self::instantiate(module, class)
    }

    /// Creates, initialises and wires up an instance of `class` from `module`.
    pub fn instantiate(module: Vst3Module, class: ClassInfo) -> anyhow::Result<Self> {
        let host_application = HostApplication::new_com(HOST_NAME);
        let component_handler = ComponentHandler::new_com();
        let host_context = host_application
            .to_com_ptr::<FUnknown>()
            .expect("the host application is an FUnknown");
        module.set_host_context(&host_context)?;

        let component: ComPtr<IComponent> = module
            .create(&class.cid)
            .with_context(|| format!("creating component {:?}", class.name))?;
        // SAFETY: the host context outlives the instance (it is a field of `Self`).
        let result = unsafe { component.initialize(host_context.as_ptr()) };
        ensure!(
            result == kResultOk,
            "IComponent::initialize returned {result}"
        );
        let processor = component
            .cast::<IAudioProcessor>()
            .ok_or_else(|| anyhow!("the component does not implement IAudioProcessor"))?;

        let (controller, separate_controller) = match component.cast::<IEditController>() {
            Some(controller) => (controller, false),
            None => {
                let mut controller_cid: TUID = [0; 16];
                // SAFETY: a valid out pointer.
                let result = unsafe { component.getControllerClassId(&mut controller_cid) };
                ensure!(
                    result == kResultOk,
                    "the component is not an IEditController and getControllerClassId returned \
                     {result}"
                );
                let controller: ComPtr<IEditController> = module
                    .create(&controller_cid.map(|byte| byte as u8))
                    .context("creating the edit controller")?;
                // SAFETY: as for the component.
                let result = unsafe { controller.initialize(host_context.as_ptr()) };
                ensure!(
                    result == kResultOk,
                    "IEditController::initialize returned {result}"
                );
                (controller, true)
            }
        };
        let handler = component_handler
            .to_com_ptr::<IComponentHandler>()
            .expect("the handler implements IComponentHandler");
        // SAFETY: the controller add-refs the handler if it keeps it.
        let result = unsafe { controller.setComponentHandler(handler.as_ptr()) };
        ensure!(result == kResultOk, "setComponentHandler returned {result}");

        let connection = if separate_controller {
            match (
                component.cast::<IConnectionPoint>(),
                controller.cast::<IConnectionPoint>(),
            ) {
                (Some(component_point), Some(controller_point)) => {
                    // SAFETY: both points are live; each side add-refs the other.
                    unsafe {
                        let result = component_point.connect(controller_point.as_ptr());
                        ensure!(
                            result == kResultOk,
                            "connecting the component returned {result}"
                        );
                        let result = controller_point.connect(component_point.as_ptr());
                        ensure!(
                            result == kResultOk,
                            "connecting the controller returned {result}"
                        );
                    }
                    Some((component_point, controller_point))
                }
                _ => None,
            }
        } else {
            None
        };

        let mut plugin = Self {
            processor,
            controller,
            component,
            connection,
            separate_controller,
            active: None,
            pending_changes: Vec::new(),
            params: Vec::new(),
            class,
            host_application,
            component_handler,
            module,
            layout: None,
            process_mode: kRealtime as i32,
            terminated: false,
        };
        if plugin.separate_controller {
            // Synchronise the controller with the component's initial state.
            let component_state = plugin.component_state()?;
            plugin.set_controller_component_state(&component_state)?;
        }
        plugin.params = plugin.enumerate_params()?;
        Ok(plugin)
    }

    /// The class this instance was created from.
    pub fn class_info(&self) -> &ClassInfo {
        &self.class
    }

    /// The module (library and factory) this instance came from.
    pub fn module(&self) -> &Vst3Module {
        &self.module
    }

    /// Whether the edit controller is a separate object (else the component implements it).
    pub fn has_separate_controller(&self) -> bool {
        self.separate_controller
    }

    /// The host's application object given to `initialize`.
    pub fn host_application(&self) -> &ComWrapper<HostApplication> {
        &self.host_application
    }

    /// The component handler given to the controller, with every call the plugin made.
    pub fn component_handler(&self) -> &ComWrapper<ComponentHandler> {
        &self.component_handler
    }

    // ----- parameters -----

    fn enumerate_params(&self) -> anyhow::Result<Vec<Vst3ParamDescription>> {
        // SAFETY: plain calls on a live controller with valid out pointers.
        let count = unsafe { self.controller.getParameterCount() };
        (0..count)
            .map(|index| {
                // SAFETY: ParameterInfo is plain data.
                let mut info: ParameterInfo = unsafe { std::mem::zeroed() };
                // SAFETY: a valid out pointer.
                let result = unsafe { self.controller.getParameterInfo(index, &mut info) };
                ensure!(
                    result == kResultOk,
                    "getParameterInfo({index}) returned {result}"
                );
                Ok(Vst3ParamDescription {
                    id: info.id,
                    title: read_utf16(&info.title),
                    short_title: read_utf16(&info.shortTitle),
                    units: read_utf16(&info.units),
                    step_count: info.stepCount,
                    default_normalized: info.defaultNormalizedValue,
                    unit_id: info.unitId,
                    flags: info.flags,
                })
            })
            .collect()
    }

    /// Every parameter the controller lists.
    pub fn params(&self) -> &[Vst3ParamDescription] {
        &self.params
    }

    /// The parameter with string ID or title `key` (nice-plug IDs hash to the parameter ID).
    pub fn param(&self, key: &str) -> anyhow::Result<&Vst3ParamDescription> {
        let hash = crate::host::nice_plug_param_hash(key);
        self.params
            .iter()
            .find(|param| param.id == hash || param.title.eq_ignore_ascii_case(key))
            .ok_or_else(|| anyhow!("no VST3 parameter named {key:?}"))
    }

    /// The controller's current normalised value of parameter `id`.
    pub fn param_normalized(&self, id: u32) -> f64 {
        // SAFETY: a plain call on a live controller.
        unsafe { self.controller.getParamNormalized(id) }
    }

    /// The controller's display text for normalised `value` of parameter `id`.
    pub fn value_to_text(&self, id: u32, value: f64) -> anyhow::Result<String> {
        let mut text: String128 = [0; 128];
        // SAFETY: a valid out buffer.
        let result = unsafe { self.controller.getParamStringByValue(id, value, &mut text) };
        ensure!(
            result == kResultOk,
            "getParamStringByValue({id}, {value}) returned {result}"
        );
        Ok(read_utf16(&text))
    }

    /// The normalised value the controller parses from `text` for parameter `id`.
    pub fn text_to_value(&self, id: u32, text: &str) -> anyhow::Result<f64> {
        let mut buffer: String128 = [0; 128];
        write_utf16(&mut buffer, text);
        let mut value = 0.0;
        // SAFETY: a NUL-terminated UTF-16 string and a valid out pointer.
        let result = unsafe {
            self.controller
                .getParamValueByString(id, buffer.as_mut_ptr(), &mut value)
        };
        ensure!(
            result == kResultOk,
            "getParamValueByString({id}, {text:?}) returned {result}"
        );
        Ok(value)
    }

    /// Sets parameter `id` to normalised `value` as a host does outside automation: on the
    /// controller now (`setParamNormalized`), and on the processor as a change at offset 0 of the
    /// next `process` call.
    pub fn set_param_normalized(&mut self, id: u32, value: f64) -> anyhow::Result<()> {
        ensure!(
            (0.0..=1.0).contains(&value),
            "normalised value {value} is outside 0..=1"
        );
        // SAFETY: a plain call on a live controller.
        let result = unsafe { self.controller.setParamNormalized(id, value) };
        ensure!(
            result == kResultOk,
            "setParamNormalized({id}, {value}) returned {result}"
        );
        self.pending_changes
            .retain(|(pending_id, _)| *pending_id != id);
        self.pending_changes.push((id, value));
        Ok(())
    }

    // ----- activation -----

    /// Bus information for audio bus `index` in direction `is_input`.
    pub fn audio_bus(&self, is_input: bool, index: i32) -> anyhow::Result<(String, i32, u32)> {
        let direction = if is_input { kInput } else { kOutput };
        // SAFETY: BusInfo is plain data.
        let mut info: BusInfo = unsafe { std::mem::zeroed() };
        // SAFETY: a valid out pointer.
        let result = unsafe {
            self.component
                .getBusInfo(kAudio as i32, direction as i32, index, &mut info)
        };
        ensure!(
            result == kResultOk,
            "getBusInfo(audio, {is_input}, {index}) returned {result}"
        );
        Ok((read_utf16(&info.name), info.channelCount, info.flags))
    }

    /// Sets the bus arrangement for `layout`, activates the main buses, sets up processing at
    /// `sample_rate` for blocks of up to `max_block_size` frames, and starts processing.
    pub fn activate(
        &mut self,
        sample_rate: f64,
        max_block_size: usize,
        layout: Layout,
    ) -> anyhow::Result<()> {
        ensure!(self.active.is_none(), "plugin is already active");
        ensure!(
            max_block_size >= 1,
            "the largest block must hold at least one frame"
        );
        let arrangement: SpeakerArrangement = match layout {
            Layout::Mono => SpeakerArr::kMono,
            Layout::Stereo => SpeakerArr::kStereo,
        };
        let mut inputs = [arrangement];
        let mut outputs = [arrangement];
        // SAFETY: valid arrays of one arrangement each.
        let result = unsafe {
            self.processor
                .setBusArrangements(inputs.as_mut_ptr(), 1, outputs.as_mut_ptr(), 1)
        };
        ensure!(
            result == kResultOk,
            "setBusArrangements({layout:?}) returned {result}"
        );
        for (is_input, direction) in [(true, kInput), (false, kOutput)] {
            let (name, channels, _) = self.audio_bus(is_input, 0)?;
            ensure!(
                channels as usize == layout.channel_count(),
                "bus {name:?} has {channels} channels after arranging {layout:?}"
            );
            // SAFETY: plain calls on a live component.
            let result = unsafe {
                self.component
                    .activateBus(kAudio as i32, direction as i32, 0, 1)
            };
            ensure!(
                result == kResultOk,
                "activateBus({is_input}) returned {result}"
            );
        }
        // SAFETY: plain call.
        let result = unsafe { self.processor.canProcessSampleSize(kSample32 as i32) };
        ensure!(
            result == kResultOk,
            "canProcessSampleSize(kSample32) returned {result}"
        );
        let mut setup = ProcessSetup {
            processMode: self.process_mode,
            symbolicSampleSize: kSample32 as i32,
            maxSamplesPerBlock: i32::try_from(max_block_size)?,
            sampleRate: sample_rate,
        };
        // SAFETY: a valid setup struct.
        let result = unsafe { self.processor.setupProcessing(&mut setup) };
        ensure!(
            result == kResultOk,
            "setupProcessing({sample_rate} Hz) returned {result}"
        );
        // SAFETY: plain calls.
        let result = unsafe { self.component.setActive(1) };
        ensure!(result == kResultOk, "setActive(true) returned {result}");
        let channel_count = layout.channel_count();
        let queue_count = self.params.len().max(1);
        self.active = Some(ActiveState {
            sample_rate,
            max_block_size,
            channel_count,
            input_block: vec![vec![0.0; max_block_size]; channel_count],
            output_block: vec![vec![0.0; max_block_size]; channel_count],
            input_changes: ParameterChanges::new_com(
                queue_count,
                POINTS_PER_QUEUE.min(max_block_size),
            ),
            output_changes: ParameterChanges::new_com(
                queue_count,
                POINTS_PER_QUEUE.min(max_block_size),
            ),
            output_change_points: 0,
            processing: false,
        });
        self.layout = Some(layout);
        self.set_processing(true)
    }

    fn set_processing(&mut self, processing: bool) -> anyhow::Result<()> {
        let active = self
            .active
            .as_mut()
            .ok_or_else(|| anyhow!("setProcessing needs an active plugin"))?;
        if active.processing != processing {
            // SAFETY: plain call.
            let result = unsafe { self.processor.setProcessing(u8::from(processing)) };
            // The SDK allows kNotImplemented here; nice-plug answers kResultOk.
            ensure!(
                result == kResultOk || result == vst3::Steinberg::kNotImplemented,
                "setProcessing({processing}) returned {result}"
            );
            active.processing = processing;
        }
        Ok(())
    }

    /// Chooses real-time (`kRealtime`) or offline (`kOffline`) processing for the next
    /// activation (the mode is given in `setupProcessing` and every `ProcessData`); the plugin
    /// must be inactive.
    pub fn set_offline(&mut self, offline: bool) -> anyhow::Result<()> {
        ensure!(
            self.active.is_none(),
            "the process mode can only change while inactive"
        );
        self.process_mode = if offline { kOffline } else { kRealtime } as i32;
        Ok(())
    }

    /// Stops and restarts processing (`setProcessing(false)`, `setProcessing(true)`), as a host
    /// does when the transport stops and starts; the plugin clears its state there.
    pub fn reset(&mut self) -> anyhow::Result<()> {
        self.set_processing(false)?;
        self.set_processing(true)
    }

    /// Whether the plugin is active.
    pub fn is_active(&self) -> bool {
        self.active.is_some()
    }

    /// The sample rate of the current activation.
    pub fn sample_rate(&self) -> Option<f64> {
        self.active.as_ref().map(|active| active.sample_rate)
    }

    /// The layout last activated.
    pub fn layout(&self) -> Option<Layout> {
        self.layout
    }

    /// The latency the processor reports, in samples.
    pub fn latency(&self) -> u32 {
        // SAFETY: plain call.
        unsafe { self.processor.getLatencySamples() }
    }

    /// Points the plugin has written to the output parameter changes so far in this activation.
    pub fn output_change_points(&self) -> usize {
        self.active
            .as_ref()
            .map_or(0, |active| active.output_change_points)
    }

    /// Stops processing and deactivates (does nothing if inactive).
    pub fn deactivate(&mut self) {
        if self.active.is_some() {
            let _ = self.set_processing(false);
            // SAFETY: plain call.
            unsafe { self.component.setActive(0) };
            self.active = None;
        }
    }

    // ----- processing -----

    /// Processes planar `input` in blocks of `block_size` frames (the last one possibly shorter).
    pub fn process<C: AsRef<[f32]>>(
        &mut self,
        input: &[C],
        block_size: usize,
    ) -> anyhow::Result<Vec<Vec<f32>>> {
        self.process_with_changes(input, block_size, &[])
    }

    /// Like [`process`](Self::process), also sending each change (a normalised value) as a point
    /// at its offset in the block containing its frame.
    pub fn process_with_changes<C: AsRef<[f32]>>(
        &mut self,
        input: &[C],
        block_size: usize,
        changes: &[ParamChange],
    ) -> anyhow::Result<Vec<Vec<f32>>> {
        let length = input.first().map_or(0, |channel| channel.as_ref().len());
        ensure!(block_size >= 1, "block size must be at least 1");
        let blocks: Vec<usize> = (0..length.div_ceil(block_size))
            .map(|index| block_size.min(length - index * block_size))
            .collect();
        self.process_blocks_with_changes(input, &blocks, changes)
    }

    /// Processes planar `input` in consecutive blocks of the given sizes (which must add up to
    /// the input's length), sending `changes` (normalised values, any order) sample-accurately.
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
            channels.len() == active.channel_count,
            "got {} input channels, the active layout has {}",
            channels.len(),
            active.channel_count
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
        for change in changes {
            ensure!(
                change.frame < length,
                "change at frame {} is past the input",
                change.frame
            );
            ensure!(
                (0.0..=1.0).contains(&change.value),
                "change to {} is not a normalised value",
                change.value
            );
        }
        let mut sorted_changes = changes.to_vec();
        sorted_changes.sort_by_key(|change| change.frame);
        let mut output = vec![vec![0.0_f32; length]; channels.len()];
        let mut start = 0;
        let mut next_change = 0;
        for &frames in block_sizes {
            let end = start + frames;
            let block_end =
                sorted_changes[next_change..].partition_point(|change| change.frame < end);
            let block_changes = &sorted_changes[next_change..next_change + block_end];
            next_change += block_end;
            self.process_block(&channels, &mut output, start, frames, block_changes)
                .with_context(|| format!("processing frames {start}..{end}"))?;
            start = end;
        }
        Ok(output)
    }

    fn process_block(
        &mut self,
        input: &[&[f32]],
        output: &mut [Vec<f32>],
        start: usize,
        frames: usize,
        changes: &[ParamChange],
    ) -> anyhow::Result<()> {
        let pending = std::mem::take(&mut self.pending_changes);
        let processor = self.processor.clone();
        let active = self.active.as_mut().expect("checked by the caller");
        ensure!(
            (1..=active.max_block_size).contains(&frames),
            "block of {frames} frames is outside 1..={}",
            active.max_block_size
        );
        for (channel, samples) in input.iter().enumerate() {
            active.input_block[channel][..frames].copy_from_slice(&samples[start..start + frames]);
        }
        active.input_changes.clear();
        active.output_changes.clear();
        for (id, value) in pending {
            active.input_changes.add_point(id, 0, value)?;
        }
        for change in changes {
            active.input_changes.add_point(
                change.param_id,
                i32::try_from(change.frame - start)?,
                change.value,
            )?;
        }

        let mut input_pointers: Vec<*mut f32> = active
            .input_block
            .iter_mut()
            .map(|channel| channel.as_mut_ptr())
            .collect();
        let mut output_pointers: Vec<*mut f32> = active
            .output_block
            .iter_mut()
            .map(|channel| channel.as_mut_ptr())
            .collect();
        let channel_count = i32::try_from(active.channel_count)?;
        let mut input_bus = AudioBusBuffers {
            numChannels: channel_count,
            silenceFlags: 0,
            __field0: AudioBusBuffers__type0 {
                channelBuffers32: input_pointers.as_mut_ptr(),
            },
        };
        let mut output_bus = AudioBusBuffers {
            numChannels: channel_count,
            silenceFlags: 0,
            __field0: AudioBusBuffers__type0 {
                channelBuffers32: output_pointers.as_mut_ptr(),
            },
        };
        let input_changes = active
            .input_changes
            .as_com_ref::<IParameterChanges>()
            .expect("IParameterChanges");
        let output_changes = active
            .output_changes
            .as_com_ref::<IParameterChanges>()
            .expect("IParameterChanges");
        let mut data = ProcessData {
            processMode: self.process_mode,
            symbolicSampleSize: kSample32 as i32,
            numSamples: i32::try_from(frames)?,
            numInputs: 1,
            numOutputs: 1,
            inputs: &mut input_bus,
            outputs: &mut output_bus,
            inputParameterChanges: input_changes.as_ptr(),
            outputParameterChanges: output_changes.as_ptr(),
            inputEvents: std::ptr::null_mut(),
            outputEvents: std::ptr::null_mut(),
            processContext: std::ptr::null_mut(),
        };
        // SAFETY: every pointer in `data` refers to memory that lives until the call returns,
        // and every channel buffer holds at least `frames` samples.
        let result = unsafe { processor.process(&mut data) };
        if result != kResultOk {
            bail!("IAudioProcessor::process returned {result}");
        }
        active.output_change_points += active
            .output_changes
            .queues()
            .iter()
            .map(|(_, points)| points.len())
            .sum::<usize>();
        for (channel, samples) in output.iter_mut().enumerate() {
            samples[start..start + frames].copy_from_slice(&active.output_block[channel][..frames]);
        }
        Ok(())
    }

    // ----- state -----

    /// The component's state (`IComponent::getState`).
    pub fn component_state(&self) -> anyhow::Result<Vec<u8>> {
        let stream = MemoryStream::new_com();
        let pointer = stream.to_com_ptr::<IBStream>().expect("IBStream");
        // SAFETY: a live stream for the duration of the call.
        let result = unsafe { self.component.getState(pointer.as_ptr()) };
        ensure!(
            result == kResultOk,
            "IComponent::getState returned {result}"
        );
        Ok(stream.bytes())
    }

    fn set_controller_component_state(&self, component_state: &[u8]) -> anyhow::Result<()> {
        let stream = MemoryStream::from_bytes_com(component_state);
        let pointer = stream.to_com_ptr::<IBStream>().expect("IBStream");
        // SAFETY: a live stream for the duration of the call.
        let result = unsafe { self.controller.setComponentState(pointer.as_ptr()) };
        ensure!(
            result == kResultOk,
            "IEditController::setComponentState returned {result}"
        );
        Ok(())
    }

    /// Saves the component's and the controller's state.
    pub fn save_state(&self) -> anyhow::Result<Vst3State> {
        let component = self.component_state()?;
        let stream = MemoryStream::new_com();
        let pointer = stream.to_com_ptr::<IBStream>().expect("IBStream");
        // SAFETY: a live stream for the duration of the call.
        let result = unsafe { self.controller.getState(pointer.as_ptr()) };
        ensure!(
            result == kResultOk,
            "IEditController::getState returned {result}"
        );
        Ok(Vst3State {
            component,
            controller: stream.bytes(),
        })
    }

    /// Loads a saved state as a host does on project load: the component's stream into the
    /// component, the same bytes into the controller's `setComponentState`, then the controller's
    /// own stream into its `setState`. Pending host-side changes are dropped.
    pub fn load_state(&mut self, state: &Vst3State) -> anyhow::Result<()> {
        let stream = MemoryStream::from_bytes_com(&state.component);
        let pointer = stream.to_com_ptr::<IBStream>().expect("IBStream");
        // SAFETY: a live stream for the duration of the call.
        let result = unsafe { self.component.setState(pointer.as_ptr()) };
        ensure!(
            result == kResultOk,
            "IComponent::setState returned {result}"
        );
        self.set_controller_component_state(&state.component)?;
        let stream = MemoryStream::from_bytes_com(&state.controller);
        let pointer = stream.to_com_ptr::<IBStream>().expect("IBStream");
        // SAFETY: a live stream for the duration of the call.
        let result = unsafe { self.controller.setState(pointer.as_ptr()) };
        ensure!(
            result == kResultOk,
            "IEditController::setState returned {result}"
        );
        self.pending_changes.clear();
        Ok(())
    }

    /// Deactivates, disconnects and terminates the instance (also done on drop).
    pub fn terminate(&mut self) -> anyhow::Result<()> {
        if self.terminated {
            return Ok(());
        }
        self.deactivate();
        self.terminated = true;
        if let Some((component_point, controller_point)) = self.connection.take() {
            // SAFETY: the points were connected to each other in `instantiate`.
            unsafe {
                component_point.disconnect(controller_point.as_ptr());
                controller_point.disconnect(component_point.as_ptr());
            }
        }
        // SAFETY: plain calls; a null handler releases the one the controller holds.
        unsafe {
            self.controller.setComponentHandler(std::ptr::null_mut());
        }
        if self.separate_controller {
            // SAFETY: plain call.
            let result = unsafe { self.controller.terminate() };
            ensure!(
                result == kResultOk,
                "IEditController::terminate returned {result}"
            );
        }
        // SAFETY: plain call.
        let result = unsafe { self.component.terminate() };
        ensure!(
            result == kResultOk,
            "IComponent::terminate returned {result}"
        );
        Ok(())
    }
}

impl Drop for Vst3PluginUnderTest {
    fn drop(&mut self) {
        let _ = self.terminate();
    }
}
