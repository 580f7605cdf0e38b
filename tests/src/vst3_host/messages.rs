//! Host-created `IMessage` and `IAttributeList` objects, which a plugin with a separate edit
//! controller asks for through `IHostApplication::createInstance` to talk between its component
//! and controller over `IConnectionPoint::notify`.
//!
//! Behaviour follows the VST3 SDK's documentation of `IMessage` and `IAttributeList`
//! (`pluginterfaces/vst/ivstmessage.h`, `ivstattributes.h`): a message has an ID and an attribute
//! list; attributes are integers, floats, UTF-16 strings or binary blobs under a string key;
//! `getString` fills a buffer of `sizeInBytes` bytes (NUL-terminated, truncated to fit);
//! `getBinary` hands out a pointer into the list's own copy, valid until the attribute changes.
//! `getAttributes` and `getBinary` return borrowed pointers, as the SDK's own implementation does.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{CStr, CString, c_char, c_void};

use vst3::Steinberg::Vst::{
    IAttributeList, IAttributeList_::AttrID, IAttributeListTrait, IMessage, IMessageTrait, TChar,
};
use vst3::Steinberg::{
    FIDString, FUnknown, TUID, int64, kInvalidArgument, kResultFalse, kResultOk, tresult, uint32,
};
use vst3::{Class, ComWrapper, Interface};

/// One attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    /// `setInt`.
    Int(i64),
    /// `setFloat`.
    Float(f64),
    /// `setString` (UTF-16, without the terminating NUL).
    String(Vec<u16>),
    /// `setBinary`.
    Binary(Vec<u8>),
}

/// A key → value attribute list.
#[derive(Default)]
pub struct HostAttributeList {
    values: RefCell<HashMap<Vec<u8>, AttributeValue>>,
}

impl Class for HostAttributeList {
    type Interfaces = (IAttributeList,);
}

impl HostAttributeList {
    /// An empty list, wrapped as a reference-counted COM object.
    pub fn new_com() -> ComWrapper<Self> {
        ComWrapper::new(Self::default())
    }

    /// The value stored under `key`, if any.
    pub fn value(&self, key: &str) -> Option<AttributeValue> {
        self.values.borrow().get(key.as_bytes()).cloned()
    }

    fn set(&self, id: AttrID, value: AttributeValue) -> tresult {
        match key(id) {
            Some(key) => {
                self.values.borrow_mut().insert(key, value);
                kResultOk
            }
            None => kInvalidArgument,
        }
    }

    fn get(&self, id: AttrID) -> Option<AttributeValue> {
        key(id).and_then(|key| self.values.borrow().get(&key).cloned())
    }
}

/// The bytes of a NUL-terminated attribute key, or `None` for a null pointer.
fn key(id: AttrID) -> Option<Vec<u8>> {
    if id.is_null() {
        return None;
    }
    // SAFETY: a non-null, NUL-terminated key from the caller.
    Some(unsafe { CStr::from_ptr(id) }.to_bytes().to_vec())
}

impl IAttributeListTrait for HostAttributeList {
    unsafe fn setInt(&self, id: AttrID, value: int64) -> tresult {
        self.set(id, AttributeValue::Int(value))
    }

    unsafe fn getInt(&self, id: AttrID, value: *mut int64) -> tresult {
        match (self.get(id), value.is_null()) {
            (Some(AttributeValue::Int(stored)), false) => {
                // SAFETY: a non-null out pointer from the caller.
                unsafe { *value = stored };
                kResultOk
            }
            _ => kResultFalse,
        }
    }

    unsafe fn setFloat(&self, id: AttrID, value: f64) -> tresult {
        self.set(id, AttributeValue::Float(value))
    }

    unsafe fn getFloat(&self, id: AttrID, value: *mut f64) -> tresult {
        match (self.get(id), value.is_null()) {
            (Some(AttributeValue::Float(stored)), false) => {
                // SAFETY: a non-null out pointer from the caller.
                unsafe { *value = stored };
                kResultOk
            }
            _ => kResultFalse,
        }
    }

    unsafe fn setString(&self, id: AttrID, string: *const TChar) -> tresult {
        if string.is_null() {
            return kInvalidArgument;
        }
        let mut units = Vec::new();
        // SAFETY: a NUL-terminated UTF-16 string from the caller; read up to its NUL.
        unsafe {
            let mut cursor = string;
            while *cursor != 0 {
                units.push(*cursor);
                cursor = cursor.add(1);
            }
        }
        self.set(id, AttributeValue::String(units))
    }

    unsafe fn getString(&self, id: AttrID, string: *mut TChar, size_in_bytes: uint32) -> tresult {
        let capacity = size_in_bytes as usize / std::mem::size_of::<TChar>();
        match self.get(id) {
            Some(AttributeValue::String(units)) if !string.is_null() && capacity > 0 => {
                let count = units.len().min(capacity - 1);
                // SAFETY: the caller's buffer holds `capacity` ≥ `count` + 1 units.
                unsafe {
                    std::ptr::copy_nonoverlapping(units.as_ptr(), string, count);
                    *string.add(count) = 0;
                }
                kResultOk
            }
            _ => kResultFalse,
        }
    }

    unsafe fn setBinary(&self, id: AttrID, data: *const c_void, size_in_bytes: uint32) -> tresult {
        if data.is_null() && size_in_bytes > 0 {
            return kInvalidArgument;
        }
        let bytes = if size_in_bytes == 0 {
            Vec::new()
        } else {
            // SAFETY: the caller's buffer holds `size_in_bytes` bytes.
            unsafe { std::slice::from_raw_parts(data.cast::<u8>(), size_in_bytes as usize) }
                .to_vec()
        };
        self.set(id, AttributeValue::Binary(bytes))
    }

    unsafe fn getBinary(
        &self,
        id: AttrID,
        data: *mut *const c_void,
        size_in_bytes: *mut uint32,
    ) -> tresult {
        if data.is_null() || size_in_bytes.is_null() {
            return kInvalidArgument;
        }
        let Some(key) = key(id) else {
            return kInvalidArgument;
        };
        let values = self.values.borrow();
        match values.get(&key) {
            Some(AttributeValue::Binary(bytes)) => {
                // SAFETY: non-null out pointers; the pointer stays valid while the value is
                // unchanged, because the map's value owns the bytes.
                unsafe {
                    *data = bytes.as_ptr().cast();
                    *size_in_bytes = bytes.len() as uint32;
                }
                kResultOk
            }
            _ => kResultFalse,
        }
    }
}

/// A message: an ID and an attribute list.
pub struct HostMessage {
    id: RefCell<Option<CString>>,
    attributes: ComWrapper<HostAttributeList>,
}

impl Class for HostMessage {
    type Interfaces = (IMessage,);
}

impl HostMessage {
    /// An empty message, wrapped as a reference-counted COM object.
    pub fn new_com() -> ComWrapper<Self> {
        ComWrapper::new(Self {
            id: RefCell::new(None),
            attributes: HostAttributeList::new_com(),
        })
    }

    /// The message's attributes.
    pub fn attributes(&self) -> &HostAttributeList {
        &self.attributes
    }
}

impl IMessageTrait for HostMessage {
    unsafe fn getMessageID(&self) -> FIDString {
        self.id
            .borrow()
            .as_ref()
            .map_or(std::ptr::null(), |id| id.as_ptr())
    }

    unsafe fn setMessageID(&self, id: FIDString) {
        let id = if id.is_null() {
            None
        } else {
            // SAFETY: a non-null, NUL-terminated ID from the caller.
            Some(unsafe { CStr::from_ptr(id) }.to_owned())
        };
        *self.id.borrow_mut() = id;
    }

    unsafe fn getAttributes(&self) -> *mut IAttributeList {
        self.attributes
            .as_com_ref::<IAttributeList>()
            .map_or(std::ptr::null_mut(), |list| list.as_ptr())
    }
}

fn same_id(id: *const TUID, guid: &[u8; 16]) -> bool {
    // SAFETY: a non-null TUID from the caller (checked by the caller).
    let id = unsafe { &*id };
    id.iter().zip(guid).all(|(a, b)| *a as u8 == *b)
}

/// `IHostApplication::createInstance`: creates an [`HostMessage`] for class `IMessage` or an
/// [`HostAttributeList`] for class `IAttributeList` and returns interface `iid` of it in `object`
/// (one reference, owned by the caller); `kNoInterface` for any other class or interface.
///
/// # Safety
///
/// `cid` and `iid` must be null or point at 16-byte IDs; `object` must be null or writable.
pub unsafe fn create_instance(
    cid: *const TUID,
    iid: *const TUID,
    object: *mut *mut c_void,
) -> tresult {
    if object.is_null() {
        return kInvalidArgument;
    }
    // SAFETY: checked non-null.
    unsafe { *object = std::ptr::null_mut() };
    if cid.is_null() || iid.is_null() {
        return kInvalidArgument;
    }
    let created: vst3::ComPtr<FUnknown> = if same_id(cid, &IMessage::IID) {
        HostMessage::new_com()
            .to_com_ptr::<FUnknown>()
            .expect("FUnknown")
    } else if same_id(cid, &IAttributeList::IID) {
        HostAttributeList::new_com()
            .to_com_ptr::<FUnknown>()
            .expect("FUnknown")
    } else {
        return vst3::Steinberg::kNoInterface;
    };
    let pointer = created.as_ptr();
    // SAFETY: `pointer` is a live FUnknown of ours; queryInterface add-refs on success and the
    // `created` reference is released when it drops, leaving the caller's one.
    unsafe { ((*(*pointer).vtbl).queryInterface)(pointer, iid.cast::<[c_char; 16]>(), object) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vst3_host::host_context::reference_count;

    #[test]
    fn attribute_lists_store_every_kind_and_strings_truncate_to_the_buffer() {
        let list = HostAttributeList::new_com();
        let pointer = list.to_com_ptr::<IAttributeList>().expect("interface");
        let key = c"level".as_ptr();
        let text: Vec<u16> = "gainstage\0".encode_utf16().collect();
        let blob = [1_u8, 2, 3];
        // SAFETY: valid keys, buffers and out pointers throughout.
        unsafe {
            assert_eq!(pointer.setFloat(key, -18.0), kResultOk);
            let mut float = 0.0;
            assert_eq!(pointer.getFloat(key, &mut float), kResultOk);
            assert_eq!(float, -18.0, "float read back");
            let mut int = 0;
            assert_eq!(
                pointer.getInt(key, &mut int),
                kResultFalse,
                "a float is not an int"
            );
            let name = c"name".as_ptr();
            assert_eq!(pointer.setString(name, text.as_ptr()), kResultOk);
            let mut short = [0xFFFF_u16; 5];
            assert_eq!(pointer.getString(name, short.as_mut_ptr(), 10), kResultOk);
            assert_eq!(
                String::from_utf16_lossy(&short[..4]),
                "gain",
                "truncated to 4 + NUL"
            );
            assert_eq!(short[4], 0, "terminated");
            let data = c"data".as_ptr();
            assert_eq!(pointer.setBinary(data, blob.as_ptr().cast(), 3), kResultOk);
            let mut out: *const c_void = std::ptr::null();
            let mut size = 0;
            assert_eq!(pointer.getBinary(data, &mut out, &mut size), kResultOk);
            assert_eq!(
                std::slice::from_raw_parts(out.cast::<u8>(), size as usize),
                &blob
            );
        }
    }

    #[test]
    fn create_instance_makes_messages_owned_by_the_caller() {
        let cid: TUID = IMessage::IID.map(|byte| byte as c_char);
        let mut object: *mut c_void = std::ptr::null_mut();
        // SAFETY: valid IDs and out pointer.
        let result = unsafe { create_instance(&cid, &cid, &mut object) };
        assert_eq!(result, kResultOk, "IMessage is created");
        // SAFETY: the caller owns the one reference createInstance returned.
        let message =
            unsafe { vst3::ComPtr::from_raw(object.cast::<IMessage>()) }.expect("non-null");
        // SAFETY: calls on a live message.
        unsafe {
            message.setMessageID(c"sync".as_ptr());
            assert_eq!(
                CStr::from_ptr(message.getMessageID()),
                c"sync",
                "message ID"
            );
            assert!(!message.getAttributes().is_null(), "attributes exist");
        }
        let other: TUID = [7; 16];
        // SAFETY: valid IDs and out pointer.
        let result = unsafe { create_instance(&other, &cid, &mut object) };
        assert_eq!(result, vst3::Steinberg::kNoInterface, "unknown class");
        assert!(object.is_null(), "out pointer cleared");
        let list = HostAttributeList::new_com();
        assert_eq!(reference_count(&list), 1, "a fresh list has one reference");
    }
}
