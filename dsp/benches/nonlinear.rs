//! Nonlinear-stage cost: criterion timings of every stage at the oversampled rate (ns per
//! oversampled sample), and of the 12AX7 stage inside the 4× minimum-phase oversampler (ns per
//! base-rate sample, with both oversampling filters) with its real-time factor at 48 kHz.
//!
//! Instruction counts: with `GAINSTAGE_CALLGRIND_BLOCKS=N` set, the binary skips criterion and only
//! runs N blocks of the triode-at-4× path (and N of the oversampler alone), each inside an
//! `#[inline(never)]` function, so that
//!
//! ```text
//! GAINSTAGE_CALLGRIND_BLOCKS=200 valgrind --tool=callgrind \
//!     --toggle-collect='*triode_at_4x_block*' target/release/deps/nonlinear-<hash>
//! ```
//!
//! counts only those blocks: instructions per base-rate sample = Ir / (N · 256).

use criterion::{Criterion, Throughput};
use gainstage_dsp::Processor;
use gainstage_dsp::analysis::generator::sine;
use gainstage_dsp::oversample::{FilterFlavour, Oversampler, OversamplingFactor};
use gainstage_dsp::shape::opamp::OpAmpStage;
use gainstage_dsp::shape::power_stage::{PushPullStage, SingleEndedStage, SolidStateStage};
use gainstage_dsp::shape::transformer::TransformerStage;
use gainstage_dsp::shape::triode::TriodeStage;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Base-rate block, samples.
const BLOCK: usize = 256;
/// Base sample rate, Hz.
const BASE_RATE: f32 = 48_000.0;
/// Oversampling ratio the stages run at.
const RATIO: usize = 4;

/// Processes one block in place.
type BlockRunner = Box<dyn FnMut(&mut [f32])>;

/// One case: a name, the test signal (volts) and a way to process one block in place.
struct Case {
    name: &'static str,
    source: Vec<f32>,
    run: BlockRunner,
}

/// A stage alone at the oversampled rate, fed a 1 kHz sine of `peak_volts` (block of 4 × 256).
fn stage_case(name: &'static str, mut stage: impl Processor + 'static, peak_volts: f32) -> Case {
    let rate = BASE_RATE * RATIO as f32;
    stage.prepare(rate, BLOCK * RATIO);
    Case {
        name,
        source: sine(1000.0, peak_volts, f64::from(rate), BLOCK * RATIO),
        run: Box::new(move |block| stage.process_block(block)),
    }
}

/// The triode inside the 4× minimum-phase oversampler, fed a 1 kHz sine at the drive that gives
/// 5 % THD (0.83 V peak at the grid).
struct TriodeAt4x {
    oversampler: Oversampler,
    stage: TriodeStage,
}

impl TriodeAt4x {
    fn new() -> Self {
        let mut oversampler = Oversampler::new(OversamplingFactor::X4, FilterFlavour::MinimumPhase);
        oversampler.prepare(BLOCK);
        let mut stage = TriodeStage::twelve_ax7();
        stage.prepare(BASE_RATE * RATIO as f32, BLOCK * RATIO);
        Self { oversampler, stage }
    }
}

/// One base-rate block of the triode at 4×: upsample, triode, downsample.
#[inline(never)]
fn triode_at_4x_block(path: &mut TriodeAt4x, block: &mut [f32]) {
    let stage = &mut path.stage;
    path.oversampler
        .process_block(block, |high_rate| stage.process_block(high_rate));
}

/// One base-rate block through the 4× minimum-phase oversampler alone (no stage).
#[inline(never)]
fn oversampler_only_block(oversampler: &mut Oversampler, block: &mut [f32]) {
    oversampler.process_block(block, |_| {});
}

fn triode_at_4x_case() -> Case {
    let mut path = TriodeAt4x::new();
    Case {
        name: "triode_4x_minimum_phase_per_base_sample",
        source: sine(1000.0, 0.83, f64::from(BASE_RATE), BLOCK),
        run: Box::new(move |block| triode_at_4x_block(&mut path, block)),
    }
}

fn cases() -> Vec<Case> {
    vec![
        stage_case("triode_12ax7", TriodeStage::twelve_ax7(), 0.83),
        stage_case("opamp", OpAmpStage::new(12.3, 10.0), 1.4),
        stage_case("transformer", TransformerStage::line_transformer(), 21.9),
        stage_case("push_pull_class_ab", PushPullStage::new(40.0), 45.0),
        stage_case("single_ended_class_a", SingleEndedStage::new(40.0), 45.0),
        stage_case("solid_state", SolidStateStage::new(40.0), 45.0),
        triode_at_4x_case(),
    ]
}

/// Refills `block` from the case's source and runs the case on it.
#[inline(never)]
fn run_block(case: &mut Case, block: &mut Vec<f32>) {
    block.clear();
    block.extend_from_slice(&case.source);
    (case.run)(black_box(block.as_mut_slice()));
}

fn bench_stages(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("nonlinear");
    let mut block = Vec::with_capacity(BLOCK * RATIO);
    for mut case in cases() {
        group.throughput(Throughput::Elements(case.source.len() as u64));
        group.bench_function(case.name, |bencher| {
            bencher.iter(|| run_block(&mut case, &mut block));
        });
    }
    group.finish();
}

/// Times `case` for about `duration`; returns ns per sample of its source.
fn nanoseconds_per_sample(case: &mut Case, duration: Duration) -> f64 {
    let mut block = Vec::with_capacity(case.source.len());
    for _ in 0..50 {
        run_block(case, &mut block);
    }
    let start = Instant::now();
    let mut blocks = 0usize;
    while start.elapsed() < duration {
        for _ in 0..20 {
            run_block(case, &mut block);
        }
        blocks += 20;
    }
    start.elapsed().as_secs_f64() * 1.0e9 / (blocks * case.source.len()) as f64
}

fn print_summary() {
    println!(
        "\nnonlinear stages, one channel; stages alone run at {} Hz:",
        BASE_RATE * RATIO as f32
    );
    println!("{:<42} {:>12}", "case", "ns/sample");
    for mut case in cases() {
        let nanoseconds = nanoseconds_per_sample(&mut case, Duration::from_millis(300));
        println!("{:<42} {:>12.2}", case.name, nanoseconds);
        if case.name.starts_with("triode_4x") {
            let realtime_factor = 1.0e9 / (nanoseconds * f64::from(BASE_RATE));
            println!(
                "  → real-time factor at 48 kHz, one channel: {realtime_factor:.0} (stereo: {:.0})",
                realtime_factor / 2.0
            );
        }
    }
}

/// The callgrind entry: N blocks of the triode at 4×, then N blocks of the oversampler alone.
fn run_for_callgrind(blocks: usize) {
    let source = sine(1000.0, 0.83, f64::from(BASE_RATE), BLOCK);
    let mut block = source.clone();
    let mut path = TriodeAt4x::new();
    for _ in 0..blocks {
        block.copy_from_slice(&source);
        triode_at_4x_block(&mut path, black_box(&mut block));
    }
    let mut oversampler = Oversampler::new(OversamplingFactor::X4, FilterFlavour::MinimumPhase);
    oversampler.prepare(BLOCK);
    for _ in 0..blocks {
        block.copy_from_slice(&source);
        oversampler_only_block(&mut oversampler, black_box(&mut block));
    }
    println!("ran {blocks} blocks of {BLOCK} base-rate samples through each path");
}

fn main() {
    if let Some(blocks) = std::env::var("GAINSTAGE_CALLGRIND_BLOCKS")
        .ok()
        .and_then(|value| value.parse::<usize>().ok())
    {
        run_for_callgrind(blocks);
        return;
    }
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .configure_from_args();
    bench_stages(&mut criterion);
    criterion.final_summary();
    print_summary();
}
