//! Test programs for soak and benchmark runs: a seeded stream of realistic material with
//! random automation of every parameter.
//!
//! The material is a sequence of bursts of 50 ms to 3 s: white or pink noise, a sine or a
//! two-sine chord between 30 Hz and 12 kHz, or silence, each at a random level from −50 to
//! 0 dBFS peak, with short fades so bursts start and stop like played notes rather than
//! clicks. Pink noise uses Paul Kellet's economy filter (three one-pole sections on white
//! noise, "pink noise generation", music-dsp mailing list, 1999).

use std::f64::consts::TAU;

use gainstage_tests::{ParamChange, ParamDescription};

use crate::random::SplitMix64;
use crate::settings::clap_value;

/// What a burst of program material is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Burst {
    Silence,
    White,
    Pink,
    Sine { frequency: f64 },
    Chord { low: f64, high: f64 },
}

/// A seeded generator of stereo program material.
pub struct Program {
    random: SplitMix64,
    sample_rate: f64,
    burst: Burst,
    amplitude: f64,
    remaining: usize,
    length: usize,
    position: usize,
    phases: [f64; 2],
    pink: [PinkFilter; 2],
}

/// Paul Kellet's economy pink-noise filter: white noise in, pink (−3 dB/octave) out, within
/// ±0.5 dB from about 10 Hz up, at roughly a quarter of the input's RMS level.
#[derive(Debug, Clone, Copy, Default)]
struct PinkFilter {
    state: [f64; 3],
}

impl PinkFilter {
    fn next(&mut self, white: f64) -> f64 {
        let state = &mut self.state;
        state[0] = 0.99765 * state[0] + white * 0.0990460;
        state[1] = 0.96300 * state[1] + white * 0.2965164;
        state[2] = 0.57000 * state[2] + white * 1.0526913;
        (state[0] + state[1] + state[2] + white * 0.1848) * 0.25
    }
}

/// `frames` frames of stereo pink noise (independent channels) scaled to `rms_dbfs` dBFS RMS,
/// fixed by `seed`: the steady material benchmarks measure with.
pub fn pink_noise(seed: u64, frames: usize, rms_dbfs: f64) -> [Vec<f32>; 2] {
    let mut random = SplitMix64::new(seed);
    let mut channels = [vec![0.0_f64; frames], vec![0.0_f64; frames]];
    for channel in &mut channels {
        let mut filter = PinkFilter::default();
        for sample in channel.iter_mut() {
            *sample = filter.next(random.range(-1.0, 1.0));
        }
        let rms = (channel.iter().map(|s| s * s).sum::<f64>() / frames.max(1) as f64).sqrt();
        let scale = if rms > 0.0 {
            10_f64.powf(rms_dbfs / 20.0) / rms
        } else {
            0.0
        };
        channel.iter_mut().for_each(|sample| *sample *= scale);
    }
    channels.map(|channel| channel.into_iter().map(|sample| sample as f32).collect())
}

/// Fade length at each end of a burst, seconds.
const FADE_SECONDS: f64 = 0.005;

impl Program {
    /// A program at `sample_rate` Hz whose material is fixed by `seed`.
    pub fn new(seed: u64, sample_rate: f64) -> Self {
        let mut program = Self {
            random: SplitMix64::new(seed),
            sample_rate,
            burst: Burst::Silence,
            amplitude: 0.0,
            remaining: 0,
            length: 0,
            position: 0,
            phases: [0.0; 2],
            pink: [PinkFilter::default(); 2],
        };
        program.next_burst();
        program
    }

    fn next_burst(&mut self) {
        let random = &mut self.random;
        let log_frequency =
            |random: &mut SplitMix64| (random.range(30_f64.ln(), 12_000_f64.ln())).exp();
        self.burst = match random.below(6) {
            0 => Burst::Silence,
            1 => Burst::White,
            2 => Burst::Pink,
            3 | 4 => Burst::Sine {
                frequency: log_frequency(random),
            },
            _ => {
                let low = log_frequency(random);
                Burst::Chord {
                    low,
                    high: low * random.range(1.2, 3.0),
                }
            }
        };
        self.amplitude = 10_f64.powf(random.range(-50.0, 0.0) / 20.0);
        self.length = (random.range(0.05, 3.0) * self.sample_rate) as usize;
        self.remaining = self.length;
        self.position = 0;
    }

    /// Fills `left` and `right` (the same length) with the next stretch of program.
    pub fn fill(&mut self, left: &mut [f32], right: &mut [f32]) {
        let fade = (FADE_SECONDS * self.sample_rate).max(1.0);
        for (left_sample, right_sample) in left.iter_mut().zip(right.iter_mut()) {
            if self.remaining == 0 {
                self.next_burst();
            }
            let edge = self.position.min(self.length - 1 - self.position) as f64;
            let envelope = self.amplitude * (edge / fade).min(1.0);
            let mut frame = [0.0_f64; 2];
            for (channel, value) in frame.iter_mut().enumerate() {
                *value = match self.burst {
                    Burst::Silence => 0.0,
                    Burst::White => self.random.range(-1.0, 1.0),
                    Burst::Pink => {
                        let white = self.random.range(-1.0, 1.0);
                        self.pink[channel].next(white)
                    }
                    Burst::Sine { .. } => (self.phases[0] + channel as f64 * 0.3).sin(),
                    Burst::Chord { .. } => {
                        0.5 * ((self.phases[0] + channel as f64 * 0.3).sin() + self.phases[1].sin())
                    }
                };
            }
            let (first, second) = match self.burst {
                Burst::Sine { frequency } => (frequency, 0.0),
                Burst::Chord { low, high } => (low, high),
                _ => (0.0, 0.0),
            };
            self.phases[0] = (self.phases[0] + TAU * first / self.sample_rate) % TAU;
            self.phases[1] = (self.phases[1] + TAU * second / self.sample_rate) % TAU;
            *left_sample = (envelope * frame[0]) as f32;
            *right_sample = (envelope * frame[1]) as f32;
            self.remaining -= 1;
            self.position += 1;
        }
    }
}

/// A random CLAP value for `param`: a random step of a stepped parameter, uniform over a
/// continuous one's range. The host bypass is switched on one time in ten, so the plugin
/// spends most of a soak processing.
pub fn random_value(random: &mut SplitMix64, param: &ParamDescription) -> f64 {
    if param.is_bypass() {
        return if random.chance(0.1) {
            param.max_value
        } else {
            param.min_value
        };
    }
    clap_value(param, random.unit())
}

/// Random automation for a stretch of `frames` frames: at frame 0 every parameter in `params`
/// gets a random value (so the stretch's settings depend on `seed` alone), then each parameter
/// moves to a new random value at `changes_per_param` random frames on average.
pub fn random_automation(
    seed: u64,
    params: &[ParamDescription],
    frames: usize,
    changes_per_param: f64,
) -> Vec<ParamChange> {
    let mut random = SplitMix64::new(seed);
    let mut changes = Vec::new();
    for param in params {
        changes.push(ParamChange {
            frame: 0,
            param_id: param.id,
            value: random_value(&mut random, param),
        });
        let count = (changes_per_param * random.range(0.0, 2.0)).round() as usize;
        for _ in 0..count {
            changes.push(ParamChange {
                frame: random.below(frames.max(1)),
                param_id: param.id,
                value: random_value(&mut random, param),
            });
        }
    }
    changes.sort_by_key(|change| change.frame);
    changes
}

/// The parameters a soak automates: every automatable, writable parameter.
pub fn automatable(params: &[ParamDescription]) -> Vec<ParamDescription> {
    params
        .iter()
        .filter(|param| param.is_automatable() && !param.is_read_only())
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pink_noise_measures_its_requested_level_and_falls_3_db_per_octave() {
        let [left, right] = pink_noise(5, 1 << 18, -18.0);
        let rms = |samples: &[f32]| {
            10.0 * (samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>()
                / samples.len() as f64)
                .log10()
        };
        println!(
            "pink noise: left {:.3} dBFS RMS, right {:.3}",
            rms(&left),
            rms(&right)
        );
        assert!((rms(&left) + 18.0).abs() < 1e-6 && (rms(&right) + 18.0).abs() < 1e-6);
        assert_ne!(left, right, "channels are independent");
        // Energy in two octave bands (by first differences as a crude high-pass is not enough,
        // so compare block means): a 16-sample moving average keeps the lows; pink noise
        // keeps far more of its energy there than white noise would (1/16).
        let smoothed: Vec<f32> = left
            .windows(16)
            .map(|window| window.iter().sum::<f32>() / 16.0)
            .collect();
        let kept = 10_f64.powf((rms(&smoothed) - rms(&left)) / 10.0);
        println!("share of energy below ~1.3 kHz (16-tap average): {kept:.3}");
        assert!(kept > 0.3, "pink noise keeps most energy low: {kept:.3}");
    }

    #[test]
    fn program_is_reproducible_bounded_and_varied() {
        let mut first = Program::new(3, 48_000.0);
        let mut second = Program::new(3, 48_000.0);
        let frames = 48_000 * 20;
        let (mut a_left, mut a_right) = (vec![0.0; frames], vec![0.0; frames]);
        let (mut b_left, mut b_right) = (vec![0.0; frames], vec![0.0; frames]);
        first.fill(&mut a_left, &mut a_right);
        second.fill(&mut b_left, &mut b_right);
        assert_eq!(a_left, b_left, "same seed, same left channel");
        assert_eq!(a_right, b_right, "same seed, same right channel");
        let peak = a_left
            .iter()
            .chain(&a_right)
            .fold(0.0_f32, |p, s| p.max(s.abs()));
        let silent_seconds = a_left
            .chunks(4_800)
            .filter(|chunk| chunk.iter().all(|s| *s == 0.0))
            .count() as f64
            / 10.0;
        let loud_seconds = a_left
            .chunks(4_800)
            .filter(|chunk| chunk.iter().any(|s| s.abs() > 0.1))
            .count() as f64
            / 10.0;
        println!(
            "20 s program: peak {peak:.3}, {silent_seconds} s silent, {loud_seconds} s above 0.1"
        );
        assert!(peak <= 1.0, "peak {peak} above full scale");
        assert!(silent_seconds > 0.0, "no silence in 20 s");
        assert!(loud_seconds > 0.0, "nothing above −20 dBFS in 20 s");
    }
}
