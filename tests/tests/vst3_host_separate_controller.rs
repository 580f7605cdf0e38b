//! The VST3 host's paths that Gainstage's own (single-component) plugins never take, checked
//! against a small plugin written here with the `vst3` crate: a factory that only offers
//! `IPluginFactory` (version 1 class info), a component whose edit controller is a separate class
//! (`getControllerClassId`), the two connected through `IConnectionPoint` and talking through a
//! host-created `IMessage`, the controller synchronised with `setComponentState`, the
//! controller's own state stream, and termination that leaves no host object referenced.
//!
//! The test plugin is a gain: parameter 1 (normalised 0..=1) multiplies the input, changing at
//! the sample offset of each `IParamValueQueue` point.

use std::cell::{Cell, RefCell};
use std::ffi::{CStr, c_char, c_void};
use std::rc::Rc;

use gainstage_tests::Layout;
use gainstage_tests::ParamChange;
use gainstage_tests::vst3_host::{
    AUDIO_MODULE_CLASS, COMPONENT_CONTROLLER_CLASS, Vst3Module, Vst3PluginUnderTest,
    reference_count, write_utf16,
};
use vst3::Steinberg::Vst::{
    BusDirection, BusInfo, IAttributeList, IAttributeListTrait, IAudioProcessor,
    IAudioProcessorTrait, IComponent, IComponentHandler, IComponentTrait, IConnectionPoint,
    IConnectionPointTrait, IEditController, IEditControllerTrait, IHostApplication,
    IHostApplicationTrait, IMessage, IMessageTrait, IParamValueQueueTrait, IParameterChangesTrait,
    IoMode, MediaType, ParamID, ParamValue, ParameterInfo, ProcessData, ProcessSetup, RoutingInfo,
    SpeakerArrangement, String128, TChar,
};
use vst3::Steinberg::{
    FIDString, FUnknown, IBStream, IBStreamTrait, IPlugView, IPluginBaseTrait, IPluginFactory,
    IPluginFactoryTrait, PClassInfo, PFactoryInfo, TBool, TUID, int32, kInvalidArgument,
    kNoInterface, kResultFalse, kResultOk, tresult, uint32,
};
use vst3::{Class, ComPtr, ComRef, ComWrapper, Interface};

const COMPONENT_CID: [u8; 16] = *b"GainstageTestCmp";
const CONTROLLER_CID: [u8; 16] = *b"GainstageTestCtl";
const GAIN_ID: ParamID = 1;
const DEFAULT_GAIN: f64 = 0.5;
const MESSAGE_ID: &CStr = c"component-ready";

/// What the test plugin saw, shared by its objects and the test.
#[derive(Default)]
struct Log {
    controller_messages: Vec<(String, f64)>,
    component_terminated: bool,
    controller_terminated: bool,
    disconnects: u32,
    controller_component_states: Vec<f64>,
}

type SharedLog = Rc<RefCell<Log>>;

fn read_f64(stream: *mut IBStream) -> Option<f64> {
    // SAFETY: a live stream from the host for the duration of the call.
    let stream = unsafe { ComRef::from_raw(stream) }?;
    let mut bytes = [0_u8; 8];
    let mut read = 0;
    // SAFETY: an 8-byte buffer and a valid out pointer.
    let result = unsafe { stream.read(bytes.as_mut_ptr().cast(), 8, &mut read) };
    (result == kResultOk && read == 8).then(|| f64::from_le_bytes(bytes))
}

fn write_f64(stream: *mut IBStream, value: f64) -> tresult {
    // SAFETY: a live stream from the host for the duration of the call.
    let Some(stream) = (unsafe { ComRef::from_raw(stream) }) else {
        return kInvalidArgument;
    };
    let mut bytes = value.to_le_bytes();
    let mut written = 0;
    // SAFETY: an 8-byte buffer and a valid out pointer.
    unsafe { stream.write(bytes.as_mut_ptr().cast(), 8, &mut written) }
}

struct TestComponent {
    gain: Cell<f64>,
    host: RefCell<Option<ComPtr<IHostApplication>>>,
    peer: RefCell<Option<ComPtr<IConnectionPoint>>>,
    log: SharedLog,
}

impl Class for TestComponent {
    type Interfaces = (IComponent, IAudioProcessor, IConnectionPoint);
}

impl IPluginBaseTrait for TestComponent {
    unsafe fn initialize(&self, context: *mut FUnknown) -> tresult {
        // SAFETY: the host's context object, live for the call; cast add-refs what we keep.
        let host = unsafe { ComRef::from_raw(context) }.and_then(|context| context.cast());
        *self.host.borrow_mut() = host;
        kResultOk
    }

    unsafe fn terminate(&self) -> tresult {
        self.host.borrow_mut().take();
        self.log.borrow_mut().component_terminated = true;
        kResultOk
    }
}

impl IComponentTrait for TestComponent {
    unsafe fn getControllerClassId(&self, class_id: *mut TUID) -> tresult {
        // SAFETY: the caller's 16-byte buffer.
        unsafe { *class_id = CONTROLLER_CID.map(|byte| byte as c_char) };
        kResultOk
    }

    unsafe fn setIoMode(&self, _mode: IoMode) -> tresult {
        kResultOk
    }

    unsafe fn getBusCount(&self, media_type: MediaType, _dir: BusDirection) -> int32 {
        i32::from(media_type == 0)
    }

    unsafe fn getBusInfo(
        &self,
        media_type: MediaType,
        dir: BusDirection,
        index: int32,
        bus: *mut BusInfo,
    ) -> tresult {
        if media_type != 0 || index != 0 || bus.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: checked non-null.
        let bus = unsafe { &mut *bus };
        bus.mediaType = media_type;
        bus.direction = dir;
        bus.channelCount = 2;
        write_utf16(&mut bus.name, "Main");
        bus.busType = 0;
        bus.flags = 1;
        kResultOk
    }

    unsafe fn getRoutingInfo(&self, _in: *mut RoutingInfo, _out: *mut RoutingInfo) -> tresult {
        kResultFalse
    }

    unsafe fn activateBus(&self, _t: MediaType, _d: BusDirection, _i: int32, _s: TBool) -> tresult {
        kResultOk
    }

    unsafe fn setActive(&self, _state: TBool) -> tresult {
        kResultOk
    }

    unsafe fn setState(&self, state: *mut IBStream) -> tresult {
        match read_f64(state) {
            Some(gain) => {
                self.gain.set(gain);
                kResultOk
            }
            None => kResultFalse,
        }
    }

    unsafe fn getState(&self, state: *mut IBStream) -> tresult {
        write_f64(state, self.gain.get())
    }
}

impl IAudioProcessorTrait for TestComponent {
    unsafe fn setBusArrangements(
        &self,
        inputs: *mut SpeakerArrangement,
        num_ins: int32,
        outputs: *mut SpeakerArrangement,
        num_outs: int32,
    ) -> tresult {
        // Stereo only: one bus each way with two speakers.
        // SAFETY: the caller's arrays of the given lengths.
        let stereo = num_ins == 1
            && num_outs == 1
            && unsafe { (*inputs).count_ones() == 2 && (*outputs).count_ones() == 2 };
        if stereo { kResultOk } else { kResultFalse }
    }

    unsafe fn getBusArrangement(
        &self,
        _d: BusDirection,
        _i: int32,
        arr: *mut SpeakerArrangement,
    ) -> tresult {
        // SAFETY: the caller's out pointer.
        unsafe { *arr = 3 };
        kResultOk
    }

    unsafe fn canProcessSampleSize(&self, size: int32) -> tresult {
        if size == 0 { kResultOk } else { kResultFalse }
    }

    unsafe fn getLatencySamples(&self) -> uint32 {
        0
    }

    unsafe fn setupProcessing(&self, _setup: *mut ProcessSetup) -> tresult {
        kResultOk
    }

    unsafe fn setProcessing(&self, _state: TBool) -> tresult {
        kResultOk
    }

    unsafe fn process(&self, data: *mut ProcessData) -> tresult {
        // SAFETY: the host's process data, valid for the call.
        let data = unsafe { &*data };
        let frames = data.numSamples as usize;
        let mut points: Vec<(usize, f64)> = Vec::new();
        // SAFETY: the host's parameter changes, valid for the call.
        if let Some(changes) = unsafe { ComRef::from_raw(data.inputParameterChanges) } {
            // SAFETY: calls on the host's objects during process.
            unsafe {
                for index in 0..changes.getParameterCount() {
                    let Some(queue) = ComRef::from_raw(changes.getParameterData(index)) else {
                        continue;
                    };
                    if queue.getParameterId() != GAIN_ID {
                        continue;
                    }
                    for point in 0..queue.getPointCount() {
                        let (mut offset, mut value) = (0, 0.0);
                        if queue.getPoint(point, &mut offset, &mut value) == kResultOk {
                            points.push((offset as usize, value));
                        }
                    }
                }
            }
        }
        // SAFETY: one input and one output bus of two channels of `frames` samples each.
        unsafe {
            let input = &*data.inputs;
            let output = &*data.outputs;
            for channel in 0..2 {
                let source = *input.__field0.channelBuffers32.add(channel);
                let target = *output.__field0.channelBuffers32.add(channel);
                let mut gain = self.gain.get();
                let mut next = 0;
                for frame in 0..frames {
                    while next < points.len() && points[next].0 <= frame {
                        gain = points[next].1;
                        next += 1;
                    }
                    *target.add(frame) = *source.add(frame) * gain as f32;
                }
            }
        }
        if let Some(last) = points.last() {
            self.gain.set(last.1);
        }
        kResultOk
    }

    unsafe fn getTailSamples(&self) -> uint32 {
        0
    }
}

impl IConnectionPointTrait for TestComponent {
    unsafe fn connect(&self, other: *mut IConnectionPoint) -> tresult {
        // SAFETY: the peer, live for the call; to_com_ptr add-refs what we keep.
        let Some(peer) = (unsafe { ComRef::from_raw(other) }).map(|peer| peer.to_com_ptr()) else {
            return kInvalidArgument;
        };
        // Tell the controller the current gain through a host-created message.
        let host = self.host.borrow();
        let Some(host) = host.as_ref() else {
            return kResultFalse;
        };
        let mut cid: TUID = IMessage::IID.map(|byte| byte as c_char);
        let mut iid = cid;
        let mut object: *mut c_void = std::ptr::null_mut();
        // SAFETY: valid IDs and out pointer; we own the returned reference.
        let result = unsafe { host.createInstance(&mut cid, &mut iid, &mut object) };
        if result != kResultOk {
            return result;
        }
        // SAFETY: createInstance handed over one IMessage reference.
        let Some(message) = (unsafe { ComPtr::from_raw(object.cast::<IMessage>()) }) else {
            return kResultFalse;
        };
        // SAFETY: calls on the host's message and the peer while both are live.
        unsafe {
            message.setMessageID(MESSAGE_ID.as_ptr());
            if let Some(attributes) = ComRef::from_raw(message.getAttributes()) {
                attributes.setFloat(c"gain".as_ptr(), self.gain.get());
            }
            peer.notify(message.as_ptr());
        }
        *self.peer.borrow_mut() = Some(peer);
        kResultOk
    }

    unsafe fn disconnect(&self, _other: *mut IConnectionPoint) -> tresult {
        self.peer.borrow_mut().take();
        self.log.borrow_mut().disconnects += 1;
        kResultOk
    }

    unsafe fn notify(&self, _message: *mut IMessage) -> tresult {
        kResultOk
    }
}

struct TestController {
    gain: Cell<f64>,
    view_mode: Cell<f64>,
    handler: RefCell<Option<ComPtr<IComponentHandler>>>,
    peer: RefCell<Option<ComPtr<IConnectionPoint>>>,
    log: SharedLog,
}

impl Class for TestController {
    type Interfaces = (IEditController, IConnectionPoint);
}

impl IPluginBaseTrait for TestController {
    unsafe fn initialize(&self, _context: *mut FUnknown) -> tresult {
        kResultOk
    }

    unsafe fn terminate(&self) -> tresult {
        self.handler.borrow_mut().take();
        self.log.borrow_mut().controller_terminated = true;
        kResultOk
    }
}

impl IEditControllerTrait for TestController {
    unsafe fn setComponentState(&self, state: *mut IBStream) -> tresult {
        match read_f64(state) {
            Some(gain) => {
                self.gain.set(gain);
                self.log.borrow_mut().controller_component_states.push(gain);
                kResultOk
            }
            None => kResultFalse,
        }
    }

    unsafe fn setState(&self, state: *mut IBStream) -> tresult {
        match read_f64(state) {
            Some(mode) => {
                self.view_mode.set(mode);
                kResultOk
            }
            None => kResultFalse,
        }
    }

    unsafe fn getState(&self, state: *mut IBStream) -> tresult {
        write_f64(state, self.view_mode.get())
    }

    unsafe fn getParameterCount(&self) -> int32 {
        1
    }

    unsafe fn getParameterInfo(&self, index: int32, info: *mut ParameterInfo) -> tresult {
        if index != 0 || info.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: checked non-null.
        let info = unsafe { &mut *info };
        info.id = GAIN_ID;
        write_utf16(&mut info.title, "Gain");
        write_utf16(&mut info.shortTitle, "Gain");
        write_utf16(&mut info.units, "");
        info.stepCount = 0;
        info.defaultNormalizedValue = DEFAULT_GAIN;
        info.unitId = 0;
        info.flags = 1;
        kResultOk
    }

    unsafe fn getParamStringByValue(
        &self,
        _id: ParamID,
        value: ParamValue,
        text: *mut String128,
    ) -> tresult {
        // SAFETY: the caller's String128.
        write_utf16(unsafe { &mut *text }, &format!("{value:.3}"));
        kResultOk
    }

    unsafe fn getParamValueByString(
        &self,
        _id: ParamID,
        text: *mut TChar,
        value: *mut ParamValue,
    ) -> tresult {
        // SAFETY: a NUL-terminated UTF-16 string from the caller.
        let units: Vec<u16> = unsafe {
            (0..)
                .map(|index| *text.add(index))
                .take_while(|unit| *unit != 0)
                .collect()
        };
        match String::from_utf16_lossy(&units).parse::<f64>() {
            Ok(parsed) => {
                // SAFETY: the caller's out pointer.
                unsafe { *value = parsed };
                kResultOk
            }
            Err(_) => kResultFalse,
        }
    }

    unsafe fn normalizedParamToPlain(&self, _id: ParamID, value: ParamValue) -> ParamValue {
        value
    }

    unsafe fn plainParamToNormalized(&self, _id: ParamID, value: ParamValue) -> ParamValue {
        value
    }

    unsafe fn getParamNormalized(&self, id: ParamID) -> ParamValue {
        if id == GAIN_ID { self.gain.get() } else { 0.0 }
    }

    unsafe fn setParamNormalized(&self, id: ParamID, value: ParamValue) -> tresult {
        if id != GAIN_ID {
            return kInvalidArgument;
        }
        self.gain.set(value);
        kResultOk
    }

    unsafe fn setComponentHandler(&self, handler: *mut IComponentHandler) -> tresult {
        // SAFETY: the host's handler or null; to_com_ptr add-refs what we keep.
        *self.handler.borrow_mut() = unsafe { ComRef::from_raw(handler) }.map(|h| h.to_com_ptr());
        kResultOk
    }

    unsafe fn createView(&self, _name: FIDString) -> *mut IPlugView {
        std::ptr::null_mut()
    }
}

impl IConnectionPointTrait for TestController {
    unsafe fn connect(&self, other: *mut IConnectionPoint) -> tresult {
        // SAFETY: the peer, live for the call.
        *self.peer.borrow_mut() = unsafe { ComRef::from_raw(other) }.map(|peer| peer.to_com_ptr());
        kResultOk
    }

    unsafe fn disconnect(&self, _other: *mut IConnectionPoint) -> tresult {
        self.peer.borrow_mut().take();
        self.log.borrow_mut().disconnects += 1;
        kResultOk
    }

    unsafe fn notify(&self, message: *mut IMessage) -> tresult {
        // SAFETY: the sender's message, live for the call.
        let Some(message) = (unsafe { ComRef::from_raw(message) }) else {
            return kInvalidArgument;
        };
        // SAFETY: calls on a live message and its attribute list.
        unsafe {
            let id = CStr::from_ptr(message.getMessageID())
                .to_string_lossy()
                .into_owned();
            let mut gain = f64::NAN;
            if let Some(attributes) = ComRef::<IAttributeList>::from_raw(message.getAttributes()) {
                attributes.getFloat(c"gain".as_ptr(), &mut gain);
            }
            self.log.borrow_mut().controller_messages.push((id, gain));
        }
        kResultOk
    }
}

struct TestFactory {
    log: SharedLog,
}

impl Class for TestFactory {
    type Interfaces = (IPluginFactory,);
}

fn copy_char8(target: &mut [c_char], text: &str) {
    for (slot, byte) in target
        .iter_mut()
        .zip(text.bytes().chain(std::iter::once(0)))
    {
        *slot = byte as c_char;
    }
}

impl IPluginFactoryTrait for TestFactory {
    unsafe fn getFactoryInfo(&self, info: *mut PFactoryInfo) -> tresult {
        // SAFETY: the caller's out struct.
        let info = unsafe { &mut *info };
        copy_char8(&mut info.vendor, "Gainstage tests");
        copy_char8(&mut info.url, "");
        copy_char8(&mut info.email, "");
        info.flags = 0;
        kResultOk
    }

    unsafe fn countClasses(&self) -> int32 {
        2
    }

    unsafe fn getClassInfo(&self, index: int32, info: *mut PClassInfo) -> tresult {
        // SAFETY: the caller's out struct.
        let info = unsafe { &mut *info };
        let (cid, category, name) = match index {
            0 => (COMPONENT_CID, AUDIO_MODULE_CLASS, "Test Gain"),
            1 => (
                CONTROLLER_CID,
                COMPONENT_CONTROLLER_CLASS,
                "Test Gain Controller",
            ),
            _ => return kInvalidArgument,
        };
        info.cid = cid.map(|byte| byte as c_char);
        info.cardinality = 0x7FFF_FFFF;
        copy_char8(&mut info.category, category);
        copy_char8(&mut info.name, name);
        kResultOk
    }

    unsafe fn createInstance(
        &self,
        cid: FIDString,
        iid: FIDString,
        obj: *mut *mut c_void,
    ) -> tresult {
        // SAFETY: 16-byte class ID from the caller.
        let cid: [u8; 16] = unsafe { *cid.cast::<[u8; 16]>() };
        let object: ComPtr<FUnknown> = if cid == COMPONENT_CID {
            ComWrapper::new(TestComponent {
                gain: Cell::new(DEFAULT_GAIN),
                host: RefCell::new(None),
                peer: RefCell::new(None),
                log: self.log.clone(),
            })
            .to_com_ptr()
            .expect("FUnknown")
        } else if cid == CONTROLLER_CID {
            ComWrapper::new(TestController {
                gain: Cell::new(DEFAULT_GAIN),
                view_mode: Cell::new(0.0),
                handler: RefCell::new(None),
                peer: RefCell::new(None),
                log: self.log.clone(),
            })
            .to_com_ptr()
            .expect("FUnknown")
        } else {
            return kNoInterface;
        };
        let pointer = object.as_ptr();
        // SAFETY: QI on our live object add-refs on success; `object`'s reference drops here.
        unsafe { ((*(*pointer).vtbl).queryInterface)(pointer, iid.cast::<TUID>(), obj) }
    }
}

fn load_test_plugin(log: &SharedLog) -> anyhow::Result<Vst3PluginUnderTest> {
    let factory = ComWrapper::new(TestFactory { log: log.clone() })
        .to_com_ptr::<IPluginFactory>()
        .expect("IPluginFactory");
    let module = Vst3Module::from_factory("in-process test factory".into(), factory);
    let classes = module.classes()?;
    println!("test factory classes: {classes:#?}");
    assert_eq!(classes.len(), 2, "component and controller classes");
    assert!(
        classes.iter().all(|class| class.factory_version == 1),
        "a version-1 factory gives version-1 class info"
    );
    let component = classes
        .into_iter()
        .find(|class| class.category == AUDIO_MODULE_CLASS)
        .expect("an audio module class");
    Vst3PluginUnderTest::instantiate(module, component)
}

#[test]
fn separate_controller_is_created_connected_synchronised_and_released() -> anyhow::Result<()> {
    let log = SharedLog::default();
    let mut plugin = load_test_plugin(&log)?;
    assert!(
        plugin.has_separate_controller(),
        "the controller is a separate object"
    );
    let messages = log.borrow().controller_messages.clone();
    println!("controller received {messages:?}");
    assert_eq!(
        messages,
        vec![(MESSAGE_ID.to_string_lossy().into_owned(), DEFAULT_GAIN)],
        "the component's host-created message reached the controller on connect"
    );
    assert_eq!(
        log.borrow().controller_component_states,
        vec![DEFAULT_GAIN],
        "the host synchronised the controller with the component state once"
    );
    assert_eq!(
        plugin.params().len(),
        1,
        "parameters come from the controller"
    );

    // Sample-accurate gain change: 1.0 from frame 300 of 1024.
    plugin.activate(48_000.0, 256, Layout::Stereo)?;
    let input = vec![vec![0.5_f32; 1024]; 2];
    let changes = [ParamChange {
        frame: 300,
        param_id: GAIN_ID,
        value: 1.0,
    }];
    let output = plugin.process_with_changes(&input, 256, &changes)?;
    for channel in &output {
        assert!(
            channel[..300].iter().all(|sample| *sample == 0.25),
            "gain 0.5 before frame 300"
        );
        assert!(
            channel[300..].iter().all(|sample| *sample == 0.5),
            "gain 1.0 from frame 300"
        );
    }
    plugin.deactivate();

    // State: the component's gain and the controller's own stream go into a fresh instance.
    let state = plugin.save_state()?;
    println!(
        "component state {:?}, controller state {:?}",
        state.component, state.controller
    );
    assert_eq!(
        state.component,
        1.0_f64.to_le_bytes().to_vec(),
        "component state holds gain 1.0"
    );
    let second_log = SharedLog::default();
    let mut second = load_test_plugin(&second_log)?;
    second.load_state(&state)?;
    assert_eq!(
        second.param_normalized(GAIN_ID),
        1.0,
        "controller synchronised from the state"
    );
    assert_eq!(
        second_log.borrow().controller_component_states,
        vec![DEFAULT_GAIN, 1.0],
        "setComponentState at creation, then with the loaded state"
    );

    // Termination: both sides terminated and disconnected, no host object still referenced.
    let host_application = plugin.host_application().clone();
    let handler = plugin.component_handler().clone();
    plugin.terminate()?;
    drop(plugin);
    let after = (
        reference_count(&host_application),
        reference_count(&handler),
    );
    let log = log.borrow();
    println!(
        "after termination: references {after:?}, component terminated {}, controller \
         terminated {}, disconnects {}",
        log.component_terminated, log.controller_terminated, log.disconnects
    );
    assert!(
        log.component_terminated && log.controller_terminated,
        "both sides terminated"
    );
    assert_eq!(log.disconnects, 2, "both connection points disconnected");
    assert_eq!(after, (1, 1), "the plugin released every host object");
    Ok(())
}
