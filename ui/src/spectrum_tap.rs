//! A lock-free, allocation-free path for audio from the audio thread to the editor's analyser.
//!
//! The audio thread fills frames of [`SPECTRUM_FRAME_LENGTH`] mono samples and publishes each full
//! frame through a triple buffer: three preallocated frames, one owned by the writer, one by the
//! reader and one in the middle, swapped with a single atomic exchange. The writer never waits
//! and never allocates; the reader always gets the newest complete frame.
//!
//! While the editor is closed the writer costs one relaxed load of the editor's open flag per
//! block and nothing else.

use std::cell::UnsafeCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

/// Samples per published frame (85 ms at 48 kHz).
pub const SPECTRUM_FRAME_LENGTH: usize = 4096;

/// Index bits of the middle slot in [`Shared::middle`].
const INDEX_MASK: u8 = 0b011;
/// Set when the middle slot holds a frame the reader has not taken yet.
const FRESH: u8 = 0b100;

/// The three frames and the middle slot, shared by one writer and one reader.
struct Shared {
    frames: [UnsafeCell<Box<[f32]>>; 3],
    /// The index of the frame in the middle, plus [`FRESH`].
    middle: AtomicU8,
    /// Whether the editor is open (the writer only works while it is).
    open: Arc<AtomicBool>,
}

// SAFETY: each frame is accessed by exactly one side at a time: the writer only touches the frame
// whose index it holds, the reader likewise, and ownership changes hands only through the atomic
// exchange of `middle` (acquire/release), which orders the frame's contents.
unsafe impl Sync for Shared {}
// SAFETY: as above; the boxes themselves are plain heap memory.
unsafe impl Send for Shared {}

/// The audio-thread end: collects samples and publishes frames.
pub struct SpectrumWriter {
    shared: Arc<Shared>,
    frame: u8,
    filled: usize,
}

/// The editor end: takes the newest published frame.
pub struct SpectrumReader {
    shared: Arc<Shared>,
    frame: u8,
}

/// A connected writer/reader pair. `editor_open` is the flag the editor sets while its window is
/// open (see [`crate::editor_window::ResizableEditor::open_flag`]); the writer does nothing while
/// it is false.
pub fn spectrum_channel(editor_open: Arc<AtomicBool>) -> (SpectrumWriter, SpectrumReader) {
    let frame = || UnsafeCell::new(vec![0.0_f32; SPECTRUM_FRAME_LENGTH].into_boxed_slice());
    let shared = Arc::new(Shared {
        frames: [frame(), frame(), frame()],
        middle: AtomicU8::new(1),
        open: editor_open,
    });
    (
        SpectrumWriter {
            shared: shared.clone(),
            frame: 0,
            filled: 0,
        },
        SpectrumReader { shared, frame: 2 },
    )
}

impl SpectrumWriter {
    /// Whether the editor is open, i.e. whether [`SpectrumWriter::push`] does anything.
    #[inline]
    pub fn is_listening(&self) -> bool {
        self.shared.open.load(Ordering::Relaxed)
    }

    /// Takes one block of audio, `channels[c][n]`, as the mean of its channels. Real-time safe:
    /// no allocation, no lock, no wait. Returns at once while the editor is closed.
    #[inline]
    pub fn push(&mut self, channels: &[&mut [f32]]) {
        if !self.is_listening() {
            self.filled = 0;
            return;
        }
        let Some(first) = channels.first() else {
            return;
        };
        let length = first.len();
        let scale = 1.0 / channels.len() as f32;
        let mut index = 0;
        while index < length {
            // SAFETY: the writer owns frame `self.frame` until it publishes it.
            let frame = unsafe { &mut *self.shared.frames[usize::from(self.frame)].get() };
            let take = (SPECTRUM_FRAME_LENGTH - self.filled).min(length - index);
            for (offset, slot) in frame[self.filled..self.filled + take]
                .iter_mut()
                .enumerate()
            {
                let sum: f32 = channels
                    .iter()
                    .map(|channel| channel.get(index + offset).copied().unwrap_or(0.0))
                    .sum();
                // Keep NaN/Inf out of the analyser.
                let mean = sum * scale;
                *slot = if mean.is_finite() { mean } else { 0.0 };
            }
            self.filled += take;
            index += take;
            if self.filled == SPECTRUM_FRAME_LENGTH {
                self.publish();
            }
        }
    }

    fn publish(&mut self) {
        let previous = self
            .shared
            .middle
            .swap(self.frame | FRESH, Ordering::AcqRel);
        self.frame = previous & INDEX_MASK;
        self.filled = 0;
    }
}

impl SpectrumReader {
    /// Sets the open flag by hand (tests, or an editor that manages it itself).
    pub fn set_listening(&self, listening: bool) {
        self.shared.open.store(listening, Ordering::Relaxed);
    }

    /// The newest frame published since the last call, if any.
    pub fn take_latest(&mut self) -> Option<&[f32]> {
        if self.shared.middle.load(Ordering::Acquire) & FRESH == 0 {
            return None;
        }
        let previous = self.shared.middle.swap(self.frame, Ordering::AcqRel);
        self.frame = previous & INDEX_MASK;
        // SAFETY: the reader owns frame `self.frame` until it hands it back in the next swap.
        Some(unsafe { &*self.shared.frames[usize::from(self.frame)].get() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(start: usize, length: usize) -> Vec<f32> {
        (start..start + length).map(|index| index as f32).collect()
    }

    #[test]
    fn closed_editor_publishes_nothing_and_open_editor_gets_the_newest_whole_frame() {
        let open = Arc::new(AtomicBool::new(false));
        let (mut writer, mut reader) = spectrum_channel(open.clone());
        let mut samples = block(0, SPECTRUM_FRAME_LENGTH * 2);
        writer.push(&[&mut samples]);
        assert!(
            reader.take_latest().is_none(),
            "closed editor: nothing published"
        );

        open.store(true, Ordering::Relaxed);
        // Three frames in odd-sized blocks: the reader must see the last whole one.
        let total = SPECTRUM_FRAME_LENGTH * 3;
        let mut position = 0;
        while position < total {
            let length = 300.min(total - position);
            let mut left = block(position, length);
            let mut right = block(position, length);
            writer.push(&[&mut left, &mut right]);
            position += length;
        }
        let frame = reader
            .take_latest()
            .expect("a frame after three frames of audio");
        let first = frame[0];
        let last = frame[SPECTRUM_FRAME_LENGTH - 1];
        println!("newest frame spans samples {first}..={last}");
        assert_eq!(first as usize, SPECTRUM_FRAME_LENGTH * 2);
        assert_eq!(last as usize, SPECTRUM_FRAME_LENGTH * 3 - 1);
        assert!(reader.take_latest().is_none(), "a frame is delivered once");
    }

    #[test]
    fn writer_and_reader_on_two_threads_only_ever_see_whole_frames() {
        let open = Arc::new(AtomicBool::new(true));
        let (mut writer, mut reader) = spectrum_channel(open);
        let producer = std::thread::spawn(move || {
            // Every frame holds one value repeated: a torn frame would mix two values.
            for value in 0..400 {
                let mut samples = vec![value as f32; SPECTRUM_FRAME_LENGTH];
                writer.push(&[&mut samples]);
            }
        });
        let mut frames_seen = 0;
        while !producer.is_finished() || frames_seen == 0 {
            if let Some(frame) = reader.take_latest() {
                let value = frame[0];
                assert!(frame.iter().all(|&sample| sample == value), "torn frame");
                frames_seen += 1;
            }
        }
        producer.join().expect("producer thread");
        println!("whole frames seen by the reader: {frames_seen}");
        assert!(frames_seen > 0);
    }
}
