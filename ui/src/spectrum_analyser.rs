//! The editor's spectrum analyser: a windowed real FFT (realfft) of the frames the audio thread
//! published, in dB relative to a full-scale sine, with a gentle fall for a steady display.
//!
//! Runs on the editor thread only, and only when a new frame arrived. Everything is allocated in
//! [`SpectrumAnalyser::new`].

use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{RealFftPlanner, RealToComplex};

/// Lowest level the analyser reports, dBFS.
pub const SPECTRUM_FLOOR_DB: f32 = -140.0;
/// How fast a bin's displayed level may fall per analysed frame, dB.
pub const FALL_DB_PER_FRAME: f32 = 3.0;

/// A realfft analyser for frames of one fixed length.
pub struct SpectrumAnalyser {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    input: Vec<f32>,
    output: Vec<Complex32>,
    scratch: Vec<Complex32>,
    levels_db: Vec<f32>,
    amplitude_scale: f32,
}

impl SpectrumAnalyser {
    /// An analyser for frames of `frame_length` samples (Blackman-Harris window).
    pub fn new(frame_length: usize) -> Self {
        let frame_length = frame_length.max(16);
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(frame_length);
        // 4-term Blackman-Harris (Harris, "On the use of windows…", Proc. IEEE 1978, table 1).
        let window: Vec<f32> = (0..frame_length)
            .map(|index| {
                let phase = std::f64::consts::TAU * index as f64 / frame_length as f64;
                (0.35875 - 0.48829 * phase.cos() + 0.14128 * (2.0 * phase).cos()
                    - 0.01168 * (3.0 * phase).cos()) as f32
            })
            .collect();
        let window_sum: f32 = window.iter().sum();
        let output = fft.make_output_vec();
        let bins = output.len();
        Self {
            scratch: fft.make_scratch_vec(),
            input: fft.make_input_vec(),
            output,
            fft,
            window,
            levels_db: vec![SPECTRUM_FLOOR_DB; bins],
            // A sine of amplitude A gives a peak bin of A·Σw/2.
            amplitude_scale: 2.0 / window_sum,
        }
    }

    /// Frame length in samples.
    pub fn frame_length(&self) -> usize {
        self.window.len()
    }

    /// Analyses `frame` (its first `frame_length` samples, zero-padded if shorter) and returns the
    /// displayed level of every bin, dB relative to a full-scale sine. A bin rises at once and
    /// falls by at most [`FALL_DB_PER_FRAME`] per call.
    pub fn analyse(&mut self, frame: &[f32]) -> &[f32] {
        for (index, (slot, weight)) in self.input.iter_mut().zip(&self.window).enumerate() {
            let sample = frame.get(index).copied().unwrap_or(0.0);
            *slot = if sample.is_finite() {
                sample * weight
            } else {
                0.0
            };
        }
        if self
            .fft
            .process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch)
            .is_err()
        {
            return &self.levels_db;
        }
        for (level, bin) in self.levels_db.iter_mut().zip(&self.output) {
            let amplitude = bin.norm() * self.amplitude_scale;
            let fresh = (20.0 * amplitude.max(1e-12).log10()).max(SPECTRUM_FLOOR_DB);
            *level = fresh.max(*level - FALL_DB_PER_FRAME);
        }
        &self.levels_db
    }

    /// The displayed levels of the last analysis, dB, one per bin (bin k is at k·rate/length Hz).
    pub fn levels_db(&self) -> &[f32] {
        &self.levels_db
    }

    /// Forgets the display history (every bin back to the floor).
    pub fn clear(&mut self) {
        self.levels_db.fill(SPECTRUM_FLOOR_DB);
    }

    /// The strongest component above 20 Hz as the fundamental, and the levels of its harmonics
    /// 2..=`highest` relative to it (dB), read from the last analysis at `sample_rate` Hz.
    /// `None` when nothing stands above −100 dBFS.
    pub fn harmonics(&self, sample_rate: f32, highest: usize) -> Option<(f32, Vec<f32>)> {
        let bin_hz = sample_rate / self.frame_length() as f32;
        let first = (20.0 / bin_hz).ceil() as usize;
        let (fundamental_bin, &fundamental_db) = self
            .levels_db
            .iter()
            .enumerate()
            .skip(first)
            .max_by(|a, b| a.1.partial_cmp(b.1).unwrap_or(std::cmp::Ordering::Equal))?;
        if fundamental_db < -100.0 {
            return None;
        }
        // The window's main lobe is ±4 bins wide: search ±4 bins around each multiple.
        let relative = (2..=highest)
            .map_while(|order| {
                let centre = fundamental_bin * order;
                let range = centre.saturating_sub(4)..(centre + 5).min(self.levels_db.len());
                (!range.is_empty()).then(|| {
                    self.levels_db[range]
                        .iter()
                        .copied()
                        .fold(SPECTRUM_FLOOR_DB, f32::max)
                        - fundamental_db
                })
            })
            .collect();
        Some((fundamental_bin as f32 * bin_hz, relative))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_scale_sine_reads_0_db_and_its_harmonics_read_their_level() {
        let sample_rate = 48_000.0_f32;
        let length = 4096;
        let mut analyser = SpectrumAnalyser::new(length);
        // A 1 kHz sine at −6 dBFS plus a 2nd harmonic 30 dB below it.
        let amplitude = 0.5_f32;
        let frame: Vec<f32> = (0..length)
            .map(|index| {
                let phase = std::f32::consts::TAU * 1_000.0 * index as f32 / sample_rate;
                amplitude * phase.sin() + amplitude * 10f32.powf(-30.0 / 20.0) * (2.0 * phase).sin()
            })
            .collect();
        let levels = analyser.analyse(&frame).to_vec();
        let peak = levels.iter().copied().fold(f32::MIN, f32::max);
        println!("1 kHz sine at −6.02 dBFS reads {peak:.2} dB");
        // Blackman-Harris scalloping loss is at most 0.83 dB between bins.
        assert!((peak - (-6.02)).abs() < 0.9, "peak {peak}");
        let (fundamental, harmonics) = analyser.harmonics(sample_rate, 3).expect("a fundamental");
        println!(
            "fundamental {fundamental:.0} Hz, H2 {:.1} dB, H3 {:.1} dB",
            harmonics[0], harmonics[1]
        );
        assert!((fundamental - 1_000.0).abs() < 2.0 * sample_rate / length as f32);
        assert!((harmonics[0] - (-30.0)).abs() < 1.0, "H2 {}", harmonics[0]);
        assert!(harmonics[1] < -90.0, "H3 {}", harmonics[1]);
    }
}
