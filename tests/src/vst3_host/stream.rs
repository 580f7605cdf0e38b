//! An in-memory `IBStream`: the byte stream a VST3 host hands a plugin to save or load state.
//!
//! Semantics follow the VST3 SDK's `MemoryStream` (`base/source/fstreamer.h` documents the
//! interface): `read` copies up to the requested count from the current position and reports how
//! many bytes it copied, `write` grows the buffer as needed, `seek` accepts a position relative to
//! the start, the current position or the end, and refuses a position before the start.

use std::cell::{Cell, RefCell};
use std::ffi::c_void;

use vst3::Steinberg::IBStream_::IStreamSeekMode_::{kIBSeekCur, kIBSeekEnd, kIBSeekSet};
use vst3::Steinberg::{
    IBStream, IBStreamTrait, int32, int64, kInvalidArgument, kResultOk, tresult,
};
use vst3::{Class, ComWrapper};

/// A growable byte buffer with a read/write position, exposed to plugins as `IBStream`.
#[derive(Default)]
pub struct MemoryStream {
    bytes: RefCell<Vec<u8>>,
    position: Cell<usize>,
}

impl Class for MemoryStream {
    type Interfaces = (IBStream,);
}

impl MemoryStream {
    /// An empty stream, wrapped as a reference-counted COM object.
    pub fn new_com() -> ComWrapper<Self> {
        ComWrapper::new(Self::default())
    }

    /// A stream holding `bytes`, positioned at the start, wrapped as a COM object.
    pub fn from_bytes_com(bytes: &[u8]) -> ComWrapper<Self> {
        ComWrapper::new(Self {
            bytes: RefCell::new(bytes.to_vec()),
            position: Cell::new(0),
        })
    }

    /// A copy of everything written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.bytes.borrow().clone()
    }

    /// Moves the position back to the start (for handing the same bytes to a second reader).
    pub fn rewind(&self) {
        self.position.set(0);
    }
}

impl IBStreamTrait for MemoryStream {
    unsafe fn read(
        &self,
        buffer: *mut c_void,
        num_bytes: int32,
        num_bytes_read: *mut int32,
    ) -> tresult {
        if num_bytes < 0 || (buffer.is_null() && num_bytes > 0) {
            return kInvalidArgument;
        }
        let bytes = self.bytes.borrow();
        let start = self.position.get().min(bytes.len());
        let count = (num_bytes as usize).min(bytes.len() - start);
        if count > 0 {
            // SAFETY: the caller promises `buffer` holds at least `num_bytes` ≥ `count` bytes.
            unsafe {
                std::ptr::copy_nonoverlapping(bytes[start..].as_ptr(), buffer.cast::<u8>(), count)
            };
        }
        self.position.set(start + count);
        if !num_bytes_read.is_null() {
            // SAFETY: a non-null out pointer from the caller.
            unsafe { *num_bytes_read = count as int32 };
        }
        kResultOk
    }

    unsafe fn write(
        &self,
        buffer: *mut c_void,
        num_bytes: int32,
        num_bytes_written: *mut int32,
    ) -> tresult {
        if num_bytes < 0 || (buffer.is_null() && num_bytes > 0) {
            return kInvalidArgument;
        }
        let count = num_bytes as usize;
        let mut bytes = self.bytes.borrow_mut();
        let start = self.position.get();
        if bytes.len() < start + count {
            bytes.resize(start + count, 0);
        }
        if count > 0 {
            // SAFETY: the caller promises `buffer` holds `num_bytes` readable bytes.
            let source = unsafe { std::slice::from_raw_parts(buffer.cast::<u8>(), count) };
            bytes[start..start + count].copy_from_slice(source);
        }
        self.position.set(start + count);
        if !num_bytes_written.is_null() {
            // SAFETY: a non-null out pointer from the caller.
            unsafe { *num_bytes_written = num_bytes };
        }
        kResultOk
    }

    // The SDK's enum constants are `u32` on Linux and `i32` on Windows; the casts keep both
    // building.
    #[allow(clippy::unnecessary_cast)]
    unsafe fn seek(&self, pos: int64, mode: int32, result: *mut int64) -> tresult {
        let length = self.bytes.borrow().len() as int64;
        let base = match mode as u32 {
            mode if mode == kIBSeekSet as u32 => 0,
            mode if mode == kIBSeekCur as u32 => self.position.get() as int64,
            mode if mode == kIBSeekEnd as u32 => length,
            _ => return kInvalidArgument,
        };
        let Some(target) = base.checked_add(pos).filter(|target| *target >= 0) else {
            return kInvalidArgument;
        };
        self.position.set(target as usize);
        if !result.is_null() {
            // SAFETY: a non-null out pointer from the caller.
            unsafe { *result = target };
        }
        kResultOk
    }

    unsafe fn tell(&self, pos: *mut int64) -> tresult {
        if pos.is_null() {
            return kInvalidArgument;
        }
        // SAFETY: checked non-null above.
        unsafe { *pos = self.position.get() as int64 };
        kResultOk
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vst3::Steinberg::IBStream_::IStreamSeekMode_::kIBSeekEnd;

    #[test]
    fn stream_reads_back_what_was_written_and_seeks_from_every_origin() {
        let stream = MemoryStream::new_com();
        let pointer = stream.to_com_ptr::<IBStream>().expect("IBStream");
        let mut payload = *b"gainstage";
        let mut written = 0;
        // SAFETY: valid buffers and out pointers throughout.
        unsafe {
            assert_eq!(
                pointer.write(payload.as_mut_ptr().cast(), 9, &mut written),
                kResultOk
            );
            assert_eq!(written, 9, "bytes written");
            let mut end = 0;
            assert_eq!(pointer.seek(0, kIBSeekEnd as int32, &mut end), kResultOk);
            assert_eq!(end, 9, "end position");
            assert_eq!(pointer.seek(-5, kIBSeekCur as int32, &mut end), kResultOk);
            assert_eq!(end, 4, "position after seeking back 5");
            let mut read_back = [0_u8; 16];
            let mut read = 0;
            assert_eq!(
                pointer.read(read_back.as_mut_ptr().cast(), 16, &mut read),
                kResultOk
            );
            assert_eq!(
                &read_back[..read as usize],
                b"stage",
                "tail read from position 4"
            );
            assert_eq!(
                pointer.seek(-1, kIBSeekSet as int32, std::ptr::null_mut()),
                kInvalidArgument,
                "a position before the start is refused"
            );
        }
        assert_eq!(stream.bytes(), b"gainstage".to_vec());
    }
}
