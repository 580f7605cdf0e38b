//! Filter cost: criterion timings of each linear filter processing a 4096-sample block, then a
//! summary of ns per sample (one channel).

use criterion::{Criterion, Throughput};
use gainstage_dsp::Processor;
use gainstage_dsp::analysis::generator::white_noise;
use gainstage_dsp::filter::BUTTERWORTH_Q;
use gainstage_dsp::filter::biquad::Biquad;
use gainstage_dsp::filter::dc_blocker::DcBlocker;
use gainstage_dsp::filter::one_pole::{OnePole, OnePoleSmoother};
use gainstage_dsp::filter::svf::Svf;
use gainstage_dsp::filter::tone_stack::{ToneStack, ToneStackControls};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Samples per processed block.
const BLOCK: usize = 4096;
/// Sample rate the filters are designed at, Hz.
const SAMPLE_RATE: f32 = 48_000.0;

/// Processes one block in place.
type BlockRunner = Box<dyn FnMut(&mut [f32])>;

/// One filter under test: a name and a way to process one block in place.
struct Case {
    name: &'static str,
    run: BlockRunner,
}

fn processor_case(name: &'static str, mut filter: impl Processor + 'static) -> Case {
    filter.prepare(SAMPLE_RATE, BLOCK);
    Case {
        name,
        run: Box::new(move |block| filter.process_block(block)),
    }
}

/// The SVF with its cutoff swept every sample (`set_params` per sample: one `tan`).
fn swept_svf_case() -> Case {
    let mut filter = Svf::lowpass(SAMPLE_RATE, 1_000.0, BUTTERWORTH_Q);
    let mut phase = 0.0_f32;
    Case {
        name: "svf_lowpass_swept_per_sample",
        run: Box::new(move |block| {
            for sample in block.iter_mut() {
                phase = (phase + 5.0 / SAMPLE_RATE).fract();
                let cutoff =
                    20.0 * 1000.0_f32.powf(0.5 - 0.5 * (std::f32::consts::TAU * phase).cos());
                filter.set_params(cutoff, BUTTERWORTH_Q, 0.0);
                *sample = filter.process_sample(*sample);
            }
        }),
    }
}

fn cases() -> Vec<Case> {
    vec![
        processor_case(
            "svf_lowpass",
            Svf::lowpass(SAMPLE_RATE, 1_000.0, BUTTERWORTH_Q),
        ),
        processor_case("svf_bell", Svf::bell(SAMPLE_RATE, 1_000.0, 1.0, 6.0)),
        processor_case(
            "svf_high_shelf",
            Svf::high_shelf(SAMPLE_RATE, 5_000.0, BUTTERWORTH_Q, -6.0),
        ),
        swept_svf_case(),
        processor_case(
            "biquad_lowpass",
            Biquad::lowpass(SAMPLE_RATE, 1_000.0, BUTTERWORTH_Q),
        ),
        processor_case(
            "biquad_peaking",
            Biquad::peaking(SAMPLE_RATE, 2_500.0, 1.5, 9.0),
        ),
        processor_case("one_pole_lowpass", OnePole::lowpass(SAMPLE_RATE, 2_000.0)),
        processor_case(
            "one_pole_smoother",
            OnePoleSmoother::new(0.005, SAMPLE_RATE, 0.0),
        ),
        processor_case("dc_blocker", DcBlocker::with_default_corner(SAMPLE_RATE)),
        processor_case(
            "tone_stack",
            ToneStack::bassman(SAMPLE_RATE, ToneStackControls::NOON),
        ),
    ]
}

/// Refills `block` from `source` and runs the case on it: the unit every figure is measured on.
#[inline(never)]
fn run_block(case: &mut Case, source: &[f32], block: &mut [f32]) {
    block.copy_from_slice(source);
    (case.run)(black_box(block));
}

fn bench_filters(criterion: &mut Criterion) {
    let source = white_noise(3, 0.5, BLOCK);
    let mut block = source.clone();
    let mut group = criterion.benchmark_group("filters_4096");
    group.throughput(Throughput::Elements(BLOCK as u64));
    for mut case in cases() {
        group.bench_function(case.name, |bencher| {
            bencher.iter(|| run_block(&mut case, &source, &mut block));
        });
    }
    group.finish();
}

/// Times `case` for about `duration` and returns ns per sample (block refill included, about
/// 0.1 ns per sample).
fn nanoseconds_per_sample(case: &mut Case, duration: Duration) -> f64 {
    let source = white_noise(3, 0.5, BLOCK);
    let mut block = source.clone();
    for _ in 0..20 {
        run_block(case, &source, &mut block);
    }
    let start = Instant::now();
    let mut blocks = 0usize;
    while start.elapsed() < duration {
        for _ in 0..10 {
            run_block(case, &source, &mut block);
        }
        blocks += 10;
    }
    start.elapsed().as_secs_f64() * 1.0e9 / (blocks * BLOCK) as f64
}

fn print_summary() {
    println!("\nfilters, block {BLOCK} at {SAMPLE_RATE} Hz, one channel:");
    println!("{:<30} {:>10}", "filter", "ns/sample");
    for mut case in cases() {
        let nanoseconds = nanoseconds_per_sample(&mut case, Duration::from_millis(200));
        println!("{:<30} {:>10.2}", case.name, nanoseconds);
    }
}

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .configure_from_args();
    bench_filters(&mut criterion);
    criterion.final_summary();
    print_summary();
}
