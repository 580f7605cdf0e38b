//! Peak and RMS level meter ballistics for the editors' meters.
//!
//! Peak: instant attack, hold for [`PEAK_HOLD_SECONDS`], then a 20 dB/s fall (IEC 60268-18 style
//! PPM return). RMS: a 300 ms exponential average of the squared signal (the VU-like integration
//! time), reported as the RMS of a sine's sample values: a full-scale sine reads −3 dBFS.
//!
//! The average advances once per [`AVERAGING_STEP`] samples with the exact decay of that many
//! one-pole steps, fed the sub-block's mean square: the per-sample loop is then a peak and a sum
//! of squares, which the compiler vectorises (the difference to a per-sample average is a
//! weighting across 1.3 ms at 48 kHz, 0.4 % of the 300 ms time constant).

/// How long a peak is held before it falls, seconds.
pub const PEAK_HOLD_SECONDS: f32 = 1.0;
/// Peak fall rate after the hold, dB per second.
pub const PEAK_FALL_DB_PER_SECOND: f32 = 20.0;
/// RMS integration time constant, seconds.
pub const RMS_TIME_CONSTANT_SECONDS: f32 = 0.3;

/// Samples per step of the RMS average.
pub const AVERAGING_STEP: usize = 64;

/// Lanes of the vectorised peak and energy sums.
const LANES: usize = 8;

/// Peak magnitude and sum of squares of `samples`, non-finite samples counted as silence.
fn peak_and_energy(samples: &[f32]) -> (f32, f32) {
    let mut peaks = [0.0_f32; LANES];
    let mut sums = [0.0_f32; LANES];
    let (groups, rest) = samples.as_chunks::<LANES>();
    for group in groups {
        for lane in 0..LANES {
            let sample = if group[lane].is_finite() {
                group[lane]
            } else {
                0.0
            };
            let magnitude = sample.abs();
            peaks[lane] = if magnitude > peaks[lane] {
                magnitude
            } else {
                peaks[lane]
            };
            sums[lane] += sample * sample;
        }
    }
    for &sample in rest {
        let sample = if sample.is_finite() { sample } else { 0.0 };
        peaks[0] = peaks[0].max(sample.abs());
        sums[0] += sample * sample;
    }
    (
        peaks.into_iter().fold(0.0, f32::max),
        sums.into_iter().sum(),
    )
}

/// Meter ballistics for one signal (feed it every channel of a bus for a bus meter).
#[derive(Clone, Copy, Debug, Default)]
pub struct LevelMeter {
    sample_rate: f32,
    peak: f32,
    hold_samples_left: u32,
    mean_square: f32,
    /// `ln(1 − c)` of the per-sample one-pole average `m += c·(x² − m)`.
    log_keep: f32,
    /// `(1 − c)^AVERAGING_STEP`: how much of the average survives one full step.
    step_keep: f32,
}

impl LevelMeter {
    /// A meter for `sample_rate` Hz.
    pub fn new(sample_rate: f32) -> Self {
        let sample_rate = sample_rate.max(1.0);
        // 1 − c = e^(−1/(τ·fs)) for the one-pole average with time constant τ.
        let log_keep = -1.0 / (RMS_TIME_CONSTANT_SECONDS * sample_rate);
        Self {
            sample_rate,
            log_keep,
            step_keep: (log_keep * AVERAGING_STEP as f32).exp(),
            ..Self::default()
        }
    }

    /// Takes a block of samples (non-finite samples count as silence).
    pub fn process(&mut self, block: &[f32]) {
        let mut block_peak = 0.0f32;
        for step in block.chunks(AVERAGING_STEP) {
            let (peak, energy) = peak_and_energy(step);
            block_peak = block_peak.max(peak);
            let keep = if step.len() == AVERAGING_STEP {
                self.step_keep
            } else {
                (self.log_keep * step.len() as f32).exp()
            };
            let mean_square = energy / step.len() as f32;
            self.mean_square = mean_square + keep * (self.mean_square - mean_square);
        }
        if self.mean_square < 1e-20 {
            self.mean_square = 0.0;
        }
        let length = block.len() as u32;
        if block_peak >= self.peak {
            self.peak = block_peak;
            self.hold_samples_left = (PEAK_HOLD_SECONDS * self.sample_rate) as u32;
        } else if self.hold_samples_left >= length {
            self.hold_samples_left -= length;
        } else {
            self.hold_samples_left = 0;
            let fall_db = PEAK_FALL_DB_PER_SECOND * length as f32 / self.sample_rate;
            self.peak = (self.peak * 10f32.powf(-fall_db / 20.0)).max(block_peak);
        }
    }

    /// Held peak level, dBFS (−∞ for silence).
    pub fn peak_dbfs(&self) -> f32 {
        20.0 * self.peak.log10()
    }

    /// RMS level, dBFS.
    pub fn rms_dbfs(&self) -> f32 {
        10.0 * self.mean_square.log10()
    }

    /// Clears the meter.
    pub fn reset(&mut self) {
        self.peak = 0.0;
        self.hold_samples_left = 0;
        self.mean_square = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_scale_sine_reads_0_dbfs_peak_and_minus_3_dbfs_rms() {
        let rate = 48_000.0;
        let sine: Vec<f32> = (0..96_000)
            .map(|index| (std::f32::consts::TAU * 1_000.0 * index as f32 / rate).sin())
            .collect();
        let mut meter = LevelMeter::new(rate);
        for block in sine.chunks(256) {
            meter.process(block);
        }
        assert!(
            meter.peak_dbfs().abs() < 0.01,
            "peak {:.3} dBFS",
            meter.peak_dbfs()
        );
        assert!(
            (meter.rms_dbfs() + 3.01).abs() < 0.05,
            "RMS {:.3} dBFS",
            meter.rms_dbfs()
        );
    }

    #[test]
    fn peak_holds_one_second_then_falls_20_db_per_second() {
        let rate = 48_000.0;
        let mut meter = LevelMeter::new(rate);
        meter.process(&[1.0]);
        let silence = vec![0.0f32; 480];
        for _ in 0..100 {
            meter.process(&silence);
        }
        assert!(
            meter.peak_dbfs().abs() < 1e-3,
            "held: {:.3} dBFS",
            meter.peak_dbfs()
        );
        for _ in 0..100 {
            meter.process(&silence);
        }
        assert!(
            (meter.peak_dbfs() + 20.0).abs() < 0.3,
            "after 1 s fall: {:.2} dBFS",
            meter.peak_dbfs()
        );
    }

    #[test]
    fn rms_average_reaches_63_percent_of_a_step_after_its_time_constant() {
        // Figure: mean square after 300 ms of a constant 0.5 signal (blocks of 100 samples, not a
        // multiple of the averaging step), relative to its final 0.25; a one-pole gives 1 − 1/e.
        let rate = 48_000.0;
        let mut meter = LevelMeter::new(rate);
        let block = vec![0.5_f32; 100];
        for _ in 0..(RMS_TIME_CONSTANT_SECONDS * rate) as usize / 100 {
            meter.process(&block);
        }
        let fraction = 10f32.powf(meter.rms_dbfs() / 10.0) / 0.25;
        let expected = 1.0 - (-1.0_f32).exp();
        println!(
            "mean square after one time constant: {fraction:.4} of final (one-pole {expected:.4})"
        );
        assert!(
            (fraction - expected).abs() < 0.005,
            "{fraction:.4} vs {expected:.4}"
        );
    }
}
