//! Preamp channel cost: every model at the default quality (4× minimum phase) on a stereo pair of
//! channels ([`PreampChannel::process_pair`], as the plugin runs them), criterion timings per
//! host-rate sample and the real-time factor of a stereo 48 kHz instance.
//!
//! Instruction counts: with `GAINSTAGE_CALLGRIND_BLOCKS=N` set the binary skips criterion and runs
//! N stereo blocks per model, each inside `preamp_block_<model>` (`#[inline(never)]`), so that
//!
//! ```text
//! GAINSTAGE_CALLGRIND_BLOCKS=400 valgrind --tool=callgrind \
//!     --toggle-collect='*preamp_block_tube*' target/release/deps/preamp-<hash>
//! ```
//!
//! counts only that model's blocks: instructions per channel-sample = Ir / (N · 256 · 2).

use criterion::{Criterion, Throughput};
use gainstage_dsp::analysis::generator::pink_noise;
use gainstage_dsp::oversample::{FilterFlavour, OversamplingFactor};
use gainstage_dsp::preamp::channel::{ChannelSettings, PreampChannel};
use gainstage_dsp::preamp::level_match::LevelMatch;
use gainstage_dsp::preamp::model::{ModelSet, PreampModel};
use std::hint::black_box;
use std::time::Instant;

/// Host-rate block, samples.
const BLOCK: usize = 256;
/// Host sample rate, Hz.
const RATE: f32 = 48_000.0;

/// A default-quality channel running `model` with some gain (so the nonlinear parts work).
fn channel(models: &ModelSet, model: PreampModel) -> PreampChannel {
    let mut channel = PreampChannel::new(
        RATE,
        OversamplingFactor::X4,
        FilterFlavour::MinimumPhase,
        models,
        &LevelMatch::shared(),
    );
    channel.set_settings(ChannelSettings {
        model,
        gain_db: 12.0,
        ..ChannelSettings::default()
    });
    channel.reset();
    channel
}

/// One block runner per model; the distinct marker keeps the linker from folding the identical
/// bodies into one symbol, which would merge their instruction counts.
macro_rules! block_runner {
    ($name:ident, $marker:expr) => {
        #[inline(never)]
        fn $name(pair: &mut [PreampChannel; 2], blocks: &mut [Vec<f32>; 2]) {
            let [left, right] = pair;
            let [left_block, right_block] = blocks;
            PreampChannel::process_pair(left, right, left_block, right_block);
            black_box($marker);
        }
    };
}
block_runner!(preamp_block_tube, 1u8);
block_runner!(preamp_block_solid_state, 2u8);
block_runner!(preamp_block_transparent, 3u8);
block_runner!(preamp_block_colour, 4u8);

fn runner(model: PreampModel) -> fn(&mut [PreampChannel; 2], &mut [Vec<f32>; 2]) {
    match model {
        PreampModel::Tube => preamp_block_tube,
        PreampModel::SolidState => preamp_block_solid_state,
        PreampModel::Transparent => preamp_block_transparent,
        PreampModel::Colour => preamp_block_colour,
    }
}

fn main() {
    let models = ModelSet::new();
    let input = [pink_noise(3, 0.126, BLOCK), pink_noise(4, 0.126, BLOCK)];
    if let Some(blocks) = std::env::var("GAINSTAGE_CALLGRIND_BLOCKS")
        .ok()
        .and_then(|value| value.parse::<usize>().ok())
    {
        for model in PreampModel::ALL {
            let mut pair = [channel(&models, model), channel(&models, model)];
            let run = runner(model);
            let mut stereo = input.clone();
            for _ in 0..blocks {
                stereo.clone_from(&input);
                run(&mut pair, black_box(&mut stereo));
            }
        }
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("preamp channel, 4× minimum phase");
    group.throughput(Throughput::Elements(2 * BLOCK as u64));
    for model in PreampModel::ALL {
        let mut pair = [channel(&models, model), channel(&models, model)];
        let run = runner(model);
        let mut stereo = input.clone();
        group.bench_function(format!("{model:?}"), |bencher| {
            bencher.iter(|| {
                stereo.clone_from(&input);
                run(&mut pair, black_box(&mut stereo));
            })
        });
        // Real-time factor of a stereo instance: a channel pair for one second of audio.
        let started = Instant::now();
        let blocks = RATE as usize / BLOCK;
        for _ in 0..blocks {
            stereo.clone_from(&input);
            run(&mut pair, &mut stereo);
        }
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{model:?}: stereo 48 kHz real-time factor {:.0}",
            (blocks * BLOCK) as f64 / f64::from(RATE) / seconds
        );
    }
    group.finish();
    criterion.final_summary();
}
