//! Oversampler cost: criterion timings of the round trip (upsample → identity → downsample) for every
//! factor × flavour, then a summary of ns per base-rate sample and the real-time factor at 48 kHz.
//!
//! Instruction counts: run the bench binary under callgrind with a fixed iteration count, collecting
//! only inside `callgrind_round_trip` (see that function), e.g.
//! `OVERSAMPLING_CALLGRIND=MinimumPhase:4:20000 valgrind --tool=callgrind
//!  --toggle-collect='*callgrind_round_trip*' target/release/deps/oversampling-…`
//! and divide the reported instructions by `iterations × BLOCK`.

use criterion::{BenchmarkId, Criterion, Throughput};
use gainstage_dsp::oversample::{FilterFlavour, Oversampler, OversamplingFactor};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Base-rate samples per processed block (a typical host buffer).
const BLOCK: usize = 512;
/// Base sample rate for the real-time factor, Hz.
const BASE_RATE: f64 = 48_000.0;

const FLAVOURS: [FilterFlavour; 2] = [FilterFlavour::MinimumPhase, FilterFlavour::LinearPhase];

/// A deterministic, band-limited-ish test block at about −12 dBFS.
fn test_block() -> Vec<f32> {
    (0..BLOCK)
        .map(|index| {
            let time = index as f64 / BASE_RATE;
            (0.2 * (2.0 * std::f64::consts::PI * 440.0 * time).sin()
                + 0.05 * (2.0 * std::f64::consts::PI * 7_000.0 * time).sin()) as f32
        })
        .collect()
}

fn prepared(factor: OversamplingFactor, flavour: FilterFlavour) -> Oversampler {
    let mut oversampler = Oversampler::new(factor, flavour);
    oversampler.prepare(BLOCK);
    oversampler
}

/// One round trip of one block: the unit every figure here is measured on.
#[inline(never)]
fn round_trip(oversampler: &mut Oversampler, source: &[f32], block: &mut [f32]) {
    block.copy_from_slice(source);
    oversampler.process_block(black_box(block), |high_rate| {
        black_box(high_rate);
    });
}

/// The only code callgrind collects in (`--toggle-collect='*callgrind_round_trip*'`).
#[inline(never)]
fn callgrind_round_trip(
    oversampler: &mut Oversampler,
    source: &[f32],
    block: &mut [f32],
    iterations: usize,
) {
    for _ in 0..iterations {
        round_trip(oversampler, source, block);
    }
}

fn bench_round_trips(criterion: &mut Criterion) {
    let source = test_block();
    let mut group = criterion.benchmark_group("oversampling_round_trip");
    group.throughput(Throughput::Elements(BLOCK as u64));
    for flavour in FLAVOURS {
        for factor in OversamplingFactor::ALL {
            let mut oversampler = prepared(factor, flavour);
            let mut block = source.clone();
            group.bench_function(
                BenchmarkId::new(format!("{flavour:?}"), factor.ratio()),
                |bencher| {
                    bencher.iter(|| round_trip(&mut oversampler, &source, &mut block));
                },
            );
        }
    }
    group.finish();
}

/// Times `round_trip` for about `duration` and returns ns per base-rate sample.
fn nanoseconds_per_sample(
    factor: OversamplingFactor,
    flavour: FilterFlavour,
    duration: Duration,
) -> f64 {
    let source = test_block();
    let mut block = source.clone();
    let mut oversampler = prepared(factor, flavour);
    for _ in 0..100 {
        round_trip(&mut oversampler, &source, &mut block);
    }
    let start = Instant::now();
    let mut blocks = 0usize;
    while start.elapsed() < duration {
        for _ in 0..50 {
            round_trip(&mut oversampler, &source, &mut block);
        }
        blocks += 50;
    }
    start.elapsed().as_secs_f64() * 1.0e9 / (blocks * BLOCK) as f64
}

fn print_summary() {
    println!("\nround trip (upsample → identity → downsample), block {BLOCK}, one channel:");
    println!(
        "{:<14} {:>6} {:>16} {:>22}",
        "flavour", "factor", "ns/base sample", "real-time factor @48k"
    );
    for flavour in FLAVOURS {
        for factor in OversamplingFactor::ALL {
            let nanoseconds = nanoseconds_per_sample(factor, flavour, Duration::from_millis(300));
            let real_time_factor = 1.0e9 / (nanoseconds * BASE_RATE);
            println!(
                "{:<14} {:>5}× {:>16.2} {:>22.0}",
                format!("{flavour:?}"),
                factor.ratio(),
                nanoseconds,
                real_time_factor
            );
        }
    }
}

/// `OVERSAMPLING_CALLGRIND=<MinimumPhase|LinearPhase>:<ratio>:<iterations>` runs only that round trip.
fn run_for_callgrind(specification: &str) {
    let mut fields = specification.split(':');
    let flavour = match fields.next() {
        Some("LinearPhase") => FilterFlavour::LinearPhase,
        _ => FilterFlavour::MinimumPhase,
    };
    let ratio: usize = fields
        .next()
        .and_then(|field| field.parse().ok())
        .unwrap_or(4);
    let iterations: usize = fields
        .next()
        .and_then(|field| field.parse().ok())
        .unwrap_or(10_000);
    let factor = OversamplingFactor::ALL
        .into_iter()
        .find(|factor| factor.ratio() == ratio)
        .unwrap_or(OversamplingFactor::X4);
    let source = test_block();
    let mut block = source.clone();
    let mut oversampler = prepared(factor, flavour);
    callgrind_round_trip(&mut oversampler, &source, &mut block, iterations);
    println!(
        "callgrind run: {flavour:?} {ratio}×, {iterations} blocks of {BLOCK} = {} base-rate samples",
        iterations * BLOCK
    );
}

fn main() {
    if let Ok(specification) = std::env::var("OVERSAMPLING_CALLGRIND") {
        run_for_callgrind(&specification);
        return;
    }
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .configure_from_args();
    bench_round_trips(&mut criterion);
    criterion.final_summary();
    print_summary();
}
