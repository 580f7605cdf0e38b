//! The preamp's meter readings, shared lock-free between the audio thread and the editor.

use atomic_float::AtomicF32;

/// Published meter values, all in dB. Stereo readings are the louder channel.
#[derive(Debug)]
pub struct PreampMeters {
    /// Input peak (held), dBFS.
    pub input_peak_dbfs: AtomicF32,
    /// Input RMS (300 ms), dBFS.
    pub input_rms_dbfs: AtomicF32,
    /// Output peak (held), dBFS.
    pub output_peak_dbfs: AtomicF32,
    /// Output RMS (300 ms), dBFS.
    pub output_rms_dbfs: AtomicF32,
    /// How hard the model is driven: the level it is asked to deliver, in dB relative to its
    /// 1 % THD point for a sine (positive: audibly distorting).
    pub drive_db: AtomicF32,
}

impl Default for PreampMeters {
    fn default() -> Self {
        Self {
            input_peak_dbfs: AtomicF32::new(f32::NEG_INFINITY),
            input_rms_dbfs: AtomicF32::new(f32::NEG_INFINITY),
            output_peak_dbfs: AtomicF32::new(f32::NEG_INFINITY),
            output_rms_dbfs: AtomicF32::new(f32::NEG_INFINITY),
            drive_db: AtomicF32::new(f32::NEG_INFINITY),
        }
    }
}
