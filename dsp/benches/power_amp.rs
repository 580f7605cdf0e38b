//! Power-amp cost: criterion timings of one channel of every amp type at the default quality (4×
//! minimum phase), into the resistive dummy load and into every built-in speaker load, and the
//! real-time factor of a stereo 48 kHz instance (audio seconds per CPU second).
//!
//! Instruction counts: with `GAINSTAGE_CALLGRIND_BLOCKS=N` set, the binary skips criterion and runs
//! N blocks of one case (`GAINSTAGE_CALLGRIND_CASE=<index>`, default 0, see the printed list) inside
//! the `#[inline(never)]` function `power_amp_block`, so that
//!
//! ```text
//! GAINSTAGE_CALLGRIND_BLOCKS=400 valgrind --tool=callgrind \
//!     --toggle-collect='*power_amp_block*' target/release/deps/power_amp-<hash>
//! ```
//!
//! counts only those blocks: instructions per channel-sample = Ir / (N · 256). Every amp type × load
//! (cases 0–29: the resistive dummy load, then each built-in speaker):
//!
//! ```text
//! for case in $(seq 0 29); do GAINSTAGE_CALLGRIND_BLOCKS=100 GAINSTAGE_CALLGRIND_CASE=$case \
//!     valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     --toggle-collect='*power_amp_block*' target/release/deps/power_amp-<hash> 2>&1 |
//!     grep -E '^ran|Collected'; done
//! ```

use criterion::{Criterion, Throughput};
use gainstage_dsp::Processor;
use gainstage_dsp::analysis::generator::sine;
use gainstage_dsp::power_amp::{AmpType, PowerAmp, PowerAmpSettings};
use gainstage_dsp::speaker::SpeakerLoad;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Base-rate block, samples.
const BLOCK: usize = 256;
/// Base sample rate, Hz.
const RATE: f32 = 48_000.0;

/// One case: a channel's settings and its input (a 1 kHz sine 6 dB below the rated point).
struct Case {
    name: String,
    settings: PowerAmpSettings,
    source: Vec<f32>,
}

impl Case {
    /// A channel of this case, prepared for [`RATE`] and [`BLOCK`].
    fn channel(&self) -> PowerAmp {
        let mut amp = PowerAmp::new(self.settings);
        amp.prepare(RATE, BLOCK);
        amp
    }
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for load in [
        SpeakerLoad::resistive(8.0),
        SpeakerLoad::open_back_1x12(),
        SpeakerLoad::closed_4x12(),
        SpeakerLoad::bass_1x15(),
        SpeakerLoad::hifi_bookshelf(),
        SpeakerLoad::studio_monitor_woofer(),
    ] {
        for amp_type in AmpType::ALL {
            let settings = PowerAmpSettings {
                amp_type,
                load,
                ..PowerAmpSettings::default()
            };
            let amplitude = (0.5 / settings.drive_scale()) as f32;
            cases.push(Case {
                name: format!("{} into {}", amp_type.name(), load.name),
                settings,
                source: sine(1000.0, amplitude, f64::from(RATE), BLOCK),
            });
        }
    }
    cases
}

/// One block through one channel (kept out of line so callgrind can count it alone).
#[inline(never)]
fn power_amp_block(amp: &mut PowerAmp, block: &mut [f32]) {
    amp.process_block(block);
}

/// Seconds of CPU for `audio_seconds` of stereo audio (two channels of `case`'s settings).
fn stereo_real_time_factor(case: &Case, audio_seconds: f64) -> f64 {
    let mut left = case.channel();
    let mut right = case.channel();
    let blocks = (audio_seconds * f64::from(RATE) / BLOCK as f64) as usize;
    let mut left_block = case.source.clone();
    let mut right_block = case.source.clone();
    let start = Instant::now();
    for _ in 0..blocks {
        left_block.copy_from_slice(&case.source);
        right_block.copy_from_slice(&case.source);
        power_amp_block(&mut left, &mut left_block);
        power_amp_block(&mut right, &mut right_block);
        black_box((&left_block, &right_block));
    }
    let elapsed = start.elapsed().as_secs_f64();
    (blocks * BLOCK) as f64 / f64::from(RATE) / elapsed
}

fn main() {
    let cases = cases();
    if let Ok(blocks) = std::env::var("GAINSTAGE_CALLGRIND_BLOCKS") {
        let blocks: usize = blocks
            .parse()
            .expect("GAINSTAGE_CALLGRIND_BLOCKS is a count");
        let index: usize = std::env::var("GAINSTAGE_CALLGRIND_CASE")
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(0);
        for (position, case) in cases.iter().enumerate() {
            println!("case {position}: {}", case.name);
        }
        let case = &cases[index];
        let mut amp = case.channel();
        let mut block = case.source.clone();
        for _ in 0..blocks {
            block.copy_from_slice(&case.source);
            power_amp_block(&mut amp, &mut block);
        }
        black_box(&block);
        println!(
            "ran {blocks} blocks of {BLOCK} samples of case {index} ({})",
            case.name
        );
        return;
    }

    for case in &cases {
        let factor = stereo_real_time_factor(case, 5.0);
        println!(
            "{}: stereo 48 kHz real-time factor {factor:.0} (audio seconds per CPU second)",
            case.name
        );
    }

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let mut group = criterion.benchmark_group("power_amp_channel");
    group.throughput(Throughput::Elements(BLOCK as u64));
    for case in &cases {
        let mut block = case.source.clone();
        let mut amp = case.channel();
        group.bench_function(case.name.as_str(), |bencher| {
            bencher.iter(|| {
                block.copy_from_slice(&case.source);
                power_amp_block(&mut amp, black_box(&mut block));
            });
        });
    }
    group.finish();
    criterion.final_summary();
}
