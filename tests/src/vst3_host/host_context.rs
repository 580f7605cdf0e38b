//! The host context objects a VST3 plugin is given: `IHostApplication` (passed to
//! `IPluginBase::initialize`; it creates `IMessage` and `IAttributeList` objects on request) and `IComponentHandler` (passed to
//! `IEditController::setComponentHandler`), plus a reference-count probe for any host object.
//!
//! The component handler records every call so tests can check what a plugin reports back to
//! the host (edits from its own side, restart requests).

use std::cell::{Cell, RefCell};

use vst3::Steinberg::Vst::{
    IComponentHandler, IComponentHandlerTrait, IHostApplication, IHostApplicationTrait, ParamID,
    ParamValue, String128,
};
use vst3::Steinberg::{FUnknown, TUID, int32, kInvalidArgument, kResultOk, tresult};
use vst3::{Class, ComWrapper};

/// The host application object: its name, and creation of messages and attribute lists.
pub struct HostApplication {
    name: String,
}

impl Class for HostApplication {
    type Interfaces = (IHostApplication,);
}

impl HostApplication {
    /// A host application called `name`, wrapped as a reference-counted COM object.
    pub fn new_com(name: &str) -> ComWrapper<Self> {
        ComWrapper::new(Self {
            name: name.to_owned(),
        })
    }
}

impl IHostApplicationTrait for HostApplication {
    unsafe fn getName(&self, name: *mut String128) -> tresult {
        if name.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: checked non-null; String128 is a fixed-size array owned by the caller.
        let target = unsafe { &mut *name };
        write_utf16(target, &self.name);
        kResultOk
    }

    /// Creates an `IMessage` or `IAttributeList` (see `messages::create_instance`);
    /// `kNoInterface` for any other class.
    unsafe fn createInstance(
        &self,
        cid: *mut TUID,
        iid: *mut TUID,
        obj: *mut *mut std::ffi::c_void,
    ) -> tresult {
        // SAFETY: the caller's pointers are passed on unchanged; the function checks for null.
        unsafe { super::messages::create_instance(cid, iid, obj) }
    }
}

/// One call the plugin made to the host's component handler.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HandlerCall {
    /// `beginEdit(id)`.
    BeginEdit(u32),
    /// `performEdit(id, normalised value)`.
    PerformEdit(u32, f64),
    /// `endEdit(id)`.
    EndEdit(u32),
    /// `restartComponent(flags)`.
    RestartComponent(i32),
}

/// The component handler: records every call.
#[derive(Default)]
pub struct ComponentHandler {
    calls: RefCell<Vec<HandlerCall>>,
    open_edits: Cell<i32>,
}

impl Class for ComponentHandler {
    type Interfaces = (IComponentHandler,);
}

impl ComponentHandler {
    /// A fresh handler, wrapped as a reference-counted COM object.
    pub fn new_com() -> ComWrapper<Self> {
        ComWrapper::new(Self::default())
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<HandlerCall> {
        self.calls.borrow().clone()
    }

    /// `beginEdit` calls not yet closed by `endEdit` (negative if the plugin ended more edits
    /// than it began).
    pub fn open_edits(&self) -> i32 {
        self.open_edits.get()
    }
}

impl IComponentHandlerTrait for ComponentHandler {
    unsafe fn beginEdit(&self, id: ParamID) -> tresult {
        self.open_edits.set(self.open_edits.get() + 1);
        self.calls.borrow_mut().push(HandlerCall::BeginEdit(id));
        kResultOk
    }

    unsafe fn performEdit(&self, id: ParamID, value_normalized: ParamValue) -> tresult {
        self.calls
            .borrow_mut()
            .push(HandlerCall::PerformEdit(id, value_normalized));
        kResultOk
    }

    unsafe fn endEdit(&self, id: ParamID) -> tresult {
        self.open_edits.set(self.open_edits.get() - 1);
        self.calls.borrow_mut().push(HandlerCall::EndEdit(id));
        kResultOk
    }

    unsafe fn restartComponent(&self, flags: int32) -> tresult {
        self.calls
            .borrow_mut()
            .push(HandlerCall::RestartComponent(flags));
        kResultOk
    }
}

/// Copies `text` into a NUL-terminated UTF-16 buffer, truncating to fit.
pub fn write_utf16(target: &mut [u16], text: &str) {
    let Some(last) = target.len().checked_sub(1) else {
        return;
    };
    let mut written = 0;
    for (slot, unit) in target[..last].iter_mut().zip(text.encode_utf16()) {
        *slot = unit;
        written += 1;
    }
    target[written] = 0;
}

/// Reads a NUL-terminated UTF-16 buffer (the whole buffer if it has no NUL).
pub fn read_utf16(source: &[u16]) -> String {
    let end = source
        .iter()
        .position(|unit| *unit == 0)
        .unwrap_or(source.len());
    String::from_utf16_lossy(&source[..end])
}

/// Reads a NUL-terminated 8-bit C string buffer (the whole buffer if it has no NUL).
pub fn read_char8(source: &[std::ffi::c_char]) -> String {
    let bytes: Vec<u8> = source
        .iter()
        .take_while(|byte| **byte != 0)
        .map(|byte| *byte as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// How many references to the COM object behind `wrapper` exist, counting the wrapper itself:
/// 1 means nobody else (no plugin) still holds it. Measured with a balanced addRef/release pair.
pub fn reference_count<C: Class>(wrapper: &ComWrapper<C>) -> u32 {
    let unknown = wrapper
        .as_com_ref::<FUnknown>()
        .expect("every COM object implements FUnknown");
    let pointer = unknown.as_ptr();
    // SAFETY: `pointer` is a live FUnknown of ours; the addRef is undone by the release.
    unsafe {
        let vtable = &*(*pointer).vtbl;
        (vtable.addRef)(pointer);
        (vtable.release)(pointer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_application_reports_its_name_and_counts_references() {
        let host = HostApplication::new_com("Test Host");
        assert_eq!(reference_count(&host), 1, "only the wrapper holds it");
        let pointer = host.to_com_ptr::<IHostApplication>().expect("interface");
        assert_eq!(reference_count(&host), 2, "wrapper plus one ComPtr");
        let mut name: String128 = [0; 128];
        // SAFETY: a valid String128 out buffer.
        assert_eq!(unsafe { pointer.getName(&mut name) }, kResultOk);
        assert_eq!(read_utf16(&name), "Test Host");
        drop(pointer);
        assert_eq!(
            reference_count(&host),
            1,
            "the ComPtr released its reference"
        );
    }

    #[test]
    fn utf16_writes_truncate_and_terminate() {
        let mut buffer = [0xFFFF_u16; 4];
        write_utf16(&mut buffer, "abcdef");
        assert_eq!(
            read_utf16(&buffer),
            "abc",
            "three units and a NUL fit in four"
        );
    }
}
