//! Deterministic test signals: sine, exponential sweep, white and pink noise.

use std::f64::consts::TAU;

/// A sine `amplitude·sin(2π·f·n/fs)` of `length` samples starting at phase 0.
///
/// `frequency_hz` in Hz, `sample_rate` in Hz, `amplitude` linear (1.0 = 0 dBFS peak). The phase is
/// computed in f64 from the sample index (no accumulated phase error over long signals).
pub fn sine(frequency_hz: f64, amplitude: f32, sample_rate: f64, length: usize) -> Vec<f32> {
    let cycles_per_sample = frequency_hz / sample_rate;
    (0..length)
        .map(|index| {
            let cycles = (cycles_per_sample * index as f64).fract();
            (f64::from(amplitude) * (TAU * cycles).sin()) as f32
        })
        .collect()
}

/// An exponential (logarithmic) sine sweep from `start_hz` to `end_hz` over `length` samples.
///
/// Farina, "Simultaneous Measurement of Impulse Response and Distortion with a Swept-Sine
/// Technique", AES 108th Convention, 2000, eq. 2:
/// `x(t) = A·sin(2π·f1·T/ln(f2/f1)·(e^{t·ln(f2/f1)/T} − 1))`, with `T` the sweep duration.
/// The instantaneous frequency starts at `start_hz` and reaches `end_hz` at the last sample.
/// Both frequencies must be positive (Hz); `amplitude` linear.
pub fn log_sweep(
    start_hz: f64,
    end_hz: f64,
    amplitude: f32,
    sample_rate: f64,
    length: usize,
) -> Vec<f32> {
    assert!(
        start_hz > 0.0 && end_hz > 0.0,
        "log_sweep: frequencies must be positive (got {start_hz} Hz → {end_hz} Hz)"
    );
    let duration = length as f64 / sample_rate;
    let log_ratio = (end_hz / start_hz).ln();
    if log_ratio.abs() < 1e-12 {
        return sine(start_hz, amplitude, sample_rate, length);
    }
    let phase_scale = TAU * start_hz * duration / log_ratio;
    (0..length)
        .map(|index| {
            let time = index as f64 / sample_rate;
            let phase = phase_scale * ((time * log_ratio / duration).exp() - 1.0);
            (f64::from(amplitude) * phase.sin()) as f32
        })
        .collect()
}

/// Small deterministic PRNG: SplitMix64 (Steele, Lea & Flood, "Fast Splittable Pseudorandom Number
/// Generators", OOPSLA 2014). Any seed, including 0, gives a good stream.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose stream is fully determined by `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 uniformly distributed bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.state;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^ (mixed >> 31)
    }

    /// A uniform value in [0, 1) with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform value in [−1, 1).
    pub fn next_bipolar(&mut self) -> f64 {
        2.0 * self.unit() - 1.0
    }

    /// A uniform value in [`low`, `high`).
    pub fn range(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// A uniform whole number in `0..count` (`count` must be at least 1).
    pub fn below(&mut self, count: usize) -> usize {
        ((self.unit() * count as f64) as usize).min(count.saturating_sub(1))
    }

    /// `true` with probability `probability` (0–1).
    pub fn chance(&mut self, probability: f64) -> bool {
        self.unit() < probability
    }

    /// A value from a zero-mean, unit-variance normal distribution (Box–Muller transform).
    pub fn normal(&mut self) -> f64 {
        let radius = (-2.0 * (1.0 - self.unit()).ln()).sqrt();
        radius * (std::f64::consts::TAU * self.unit()).cos()
    }
}

/// Uniform white noise in [−amplitude, amplitude), `length` samples, reproducible from `seed`.
///
/// Its RMS is `amplitude/√3`.
pub fn white_noise(seed: u64, amplitude: f32, length: usize) -> Vec<f32> {
    let mut generator = SplitMix64::new(seed);
    (0..length)
        .map(|_| (f64::from(amplitude) * generator.next_bipolar()) as f32)
        .collect()
}

/// Pink (−3 dB/octave) noise of exactly `rms` (linear) over its `length` samples, reproducible
/// from `seed`.
///
/// White noise through Paul Kellet's "refined" pinking filter (music-dsp mailing list, 1999;
/// within ±0.05 dB of 1/f above 9.2 Hz at 44.1 kHz). The filter runs for a warm-up period first
/// so the slowest pole has settled, then the output is scaled to the requested RMS.
pub fn pink_noise(seed: u64, rms: f32, length: usize) -> Vec<f32> {
    const WARM_UP_SAMPLES: usize = 16_384;
    let mut generator = SplitMix64::new(seed);
    let mut poles = [0.0_f64; 7];
    let mut pink_sample = |white: f64| {
        poles[0] = 0.99886 * poles[0] + white * 0.055_517_9;
        poles[1] = 0.99332 * poles[1] + white * 0.075_075_9;
        poles[2] = 0.96900 * poles[2] + white * 0.153_852_0;
        poles[3] = 0.86650 * poles[3] + white * 0.310_485_6;
        poles[4] = 0.55000 * poles[4] + white * 0.532_952_2;
        poles[5] = -0.7616 * poles[5] - white * 0.016_898_0;
        let output = poles.iter().sum::<f64>() + white * 0.5362;
        poles[6] = white * 0.115_926;
        output
    };
    for _ in 0..WARM_UP_SAMPLES {
        pink_sample(generator.next_bipolar());
    }
    let raw: Vec<f64> = (0..length)
        .map(|_| pink_sample(generator.next_bipolar()))
        .collect();
    if raw.is_empty() {
        return Vec::new();
    }
    let measured_rms =
        (raw.iter().map(|sample| sample * sample).sum::<f64>() / raw.len() as f64).sqrt();
    let gain = if measured_rms > 0.0 {
        f64::from(rms) / measured_rms
    } else {
        0.0
    };
    raw.iter().map(|sample| (sample * gain) as f32).collect()
}
