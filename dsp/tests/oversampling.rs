//! Oversampler figures: latency vs measured impulse arrival, image and alias rejection, pass-band
//! ripple, unity gain, robustness to hostile input, chunking, and no allocation while processing.

use gainstage_dsp::analysis::latency::impulse_arrival;
use gainstage_dsp::analysis::response::FrequencyResponse;
use gainstage_dsp::oversample::{FilterFlavour, Oversampler, OversamplingFactor};
use realfft::RealFftPlanner;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::f64::consts::PI;

/// Counts allocations per thread, so tests running in parallel do not see each other's.
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counter is a plain
// const-initialised thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: `pointer` came from `System.alloc` with this layout.
        unsafe { System.dealloc(pointer, layout) }
    }
    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        // SAFETY: `pointer` came from `System.alloc` with this layout.
        unsafe { System.realloc(pointer, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn allocations_on_this_thread() -> usize {
    ALLOCATIONS.with(Cell::get)
}

const FLAVOURS: [FilterFlavour; 2] = [FilterFlavour::MinimumPhase, FilterFlavour::LinearPhase];

/// Block size the tests prepare for; deliberately not a power of two.
const BLOCK: usize = 100;

fn prepared(factor: OversamplingFactor, flavour: FilterFlavour) -> Oversampler {
    let mut oversampler = Oversampler::new(factor, flavour);
    oversampler.prepare(BLOCK);
    oversampler
}

/// Round trip (upsample → nothing → downsample) of `signal`, processed in `BLOCK`-sized chunks.
fn round_trip(oversampler: &mut Oversampler, signal: &[f32]) -> Vec<f32> {
    let mut output = signal.to_vec();
    oversampler.process_block(&mut output, |_| {});
    output
}

fn round_trip_impulse(
    factor: OversamplingFactor,
    flavour: FilterFlavour,
    length: usize,
) -> Vec<f32> {
    let mut impulse = vec![0.0; length];
    impulse[0] = 1.0;
    round_trip(&mut prepared(factor, flavour), &impulse)
}

fn sine(frequency_hz: f64, sample_rate: f64, length: usize) -> Vec<f32> {
    (0..length)
        .map(|index| (2.0 * PI * frequency_hz * index as f64 / sample_rate).sin() as f32)
        .collect()
}

/// Power spectrum (|X|², rectangular window) of `signal`, one value per bin from DC to Nyquist.
fn power_spectrum(signal: &[f32]) -> Vec<f64> {
    let mut samples: Vec<f64> = signal.iter().map(|&sample| f64::from(sample)).collect();
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(samples.len());
    let mut bins = fft.make_output_vec();
    fft.process(&mut samples, &mut bins)
        .expect("FFT lengths as planned");
    bins.iter().map(|bin| bin.norm_sqr()).collect()
}

fn mean_square(signal: &[f32]) -> f64 {
    signal
        .iter()
        .map(|&sample| f64::from(sample).powi(2))
        .sum::<f64>()
        / signal.len() as f64
}

fn name(factor: OversamplingFactor, flavour: FilterFlavour) -> String {
    format!("{flavour:?} {}×", factor.ratio())
}

#[test]
fn linear_phase_latency_equals_measured_impulse_arrival() {
    for factor in OversamplingFactor::ALL {
        let oversampler = prepared(factor, FilterFlavour::LinearPhase);
        let response = round_trip_impulse(factor, FilterFlavour::LinearPhase, 1024);
        let arrival = impulse_arrival(&response);
        let reported = oversampler.latency() as usize;
        println!(
            "{}: reported latency {reported}, measured impulse arrival {arrival}, peak {:.4}",
            name(factor, FilterFlavour::LinearPhase),
            response[arrival]
        );
        assert_eq!(
            reported,
            arrival,
            "{}: reported latency {reported} samples, measured impulse arrival {arrival} samples",
            name(factor, FilterFlavour::LinearPhase)
        );
        // The round trip is symmetric about the latency: an exact whole-sample linear phase.
        let worst_asymmetry = (1..=reported.min(200))
            .map(|offset| (response[reported - offset] - response[reported + offset]).abs())
            .fold(0.0_f32, f32::max);
        assert!(
            worst_asymmetry < 1.0e-6,
            "{}: impulse response not symmetric about {reported}: worst difference {worst_asymmetry:.2e}",
            name(factor, FilterFlavour::LinearPhase)
        );
    }
}

/// Minimum phase: the published definition (reported latency = impulse arrival) cannot hold with a
/// reported latency of 0, because the IIR half-bands delay low frequencies by a few samples. The
/// test checks what can be promised instead: `latency()` is 0, and the impulse arrives exactly at
/// `alignment_delay()`, the rounded analytic low-frequency group delay.
#[test]
fn minimum_phase_reports_zero_latency_and_arrives_at_its_alignment_delay() {
    for factor in OversamplingFactor::ALL {
        let oversampler = prepared(factor, FilterFlavour::MinimumPhase);
        let response = round_trip_impulse(factor, FilterFlavour::MinimumPhase, 1024);
        let arrival = impulse_arrival(&response);
        let (peak_index, peak) = response
            .iter()
            .enumerate()
            .map(|(index, sample)| (index, sample.abs()))
            .fold((0, 0.0_f32), |best, candidate| {
                if candidate.1 > best.1 {
                    candidate
                } else {
                    best
                }
            });
        println!(
            "{}: reported latency {}, measured impulse arrival {arrival} (peak {peak:.3} at {peak_index}), alignment delay {}, group delay at 1 kHz / 48 kHz {:.2} samples",
            name(factor, FilterFlavour::MinimumPhase),
            oversampler.latency(),
            oversampler.alignment_delay(),
            oversampler.group_delay(1000.0, 48_000.0),
        );
        assert_eq!(
            oversampler.latency(),
            0,
            "minimum phase must report no latency"
        );
        assert_eq!(
            arrival,
            oversampler.alignment_delay() as usize,
            "{}: measured impulse arrival {arrival} samples, alignment delay {} samples (reported latency 0)",
            name(factor, FilterFlavour::MinimumPhase),
            oversampler.alignment_delay()
        );
    }
}

/// Worst image of a tone across the whole high-rate spectrum, dB re the tone (negative).
///
/// The tone sits exactly on an FFT bin of the base-rate block, so the tone and every image
/// `k·fs ± f` land on single bins of the high-rate FFT (no window, no leakage); the filters are
/// settled first. Returns (worst image dB, its frequency in Hz).
fn worst_image_db(oversampler: &mut Oversampler, tone_hz: f64, base_rate: f64) -> (f64, f64) {
    const FFT_BASE_LENGTH: usize = 4096;
    let ratio = oversampler.factor();
    // Round down so that a tone at the pass-band edge stays inside the pass band.
    let bin = (tone_hz / base_rate * FFT_BASE_LENGTH as f64).floor();
    let tone_hz = bin * base_rate / FFT_BASE_LENGTH as f64;
    let settle = 2048;
    let input = sine(tone_hz, base_rate, settle + FFT_BASE_LENGTH);
    let mut high_rate = Vec::with_capacity(input.len() * ratio);
    for block in input.chunks(BLOCK) {
        high_rate.extend_from_slice(oversampler.upsample(block));
    }
    let spectrum = power_spectrum(&high_rate[settle * ratio..]);
    let tone_bin = bin as usize;
    let tone_power = spectrum[tone_bin];
    let high_bin_width = base_rate * ratio as f64 / (FFT_BASE_LENGTH * ratio) as f64;
    (1..ratio)
        .flat_map(|multiple| {
            let centre = multiple * FFT_BASE_LENGTH;
            [centre - tone_bin, centre + tone_bin]
        })
        .filter(|&image_bin| image_bin < spectrum.len())
        .map(|image_bin| {
            (
                10.0 * (spectrum[image_bin] / tone_power).log10(),
                image_bin as f64 * high_bin_width,
            )
        })
        .fold((f64::NEG_INFINITY, 0.0), |worst, candidate| {
            if candidate.0 > worst.0 {
                candidate
            } else {
                worst
            }
        })
}

/// Mean-square level a high-rate tone at `frequency_hz` leaves after downsampling (settled), with
/// the tone written straight into the high-rate buffer, amplitude 1.
fn downsampled_level(
    factor: OversamplingFactor,
    flavour: FilterFlavour,
    frequency_hz: f64,
    base_rate: f64,
) -> f64 {
    let ratio = factor.ratio();
    let length = 4096;
    let settle = 1024;
    let mut oversampler = prepared(factor, flavour);
    let high_rate_tone = sine(frequency_hz, base_rate * ratio as f64, length * ratio);
    let silence = vec![0.0; BLOCK];
    let mut output = vec![0.0; length];
    for (block_index, block) in output.chunks_mut(BLOCK).enumerate() {
        let high_rate = oversampler.upsample(&silence[..block.len()]);
        let start = block_index * BLOCK * ratio;
        high_rate.copy_from_slice(&high_rate_tone[start..start + high_rate.len()]);
        oversampler.downsample(block);
    }
    mean_square(&output[settle..])
}

/// Pass-band tones for the image measurement, Hz at 44.1 kHz: 100 Hz to the 20 kHz edge.
const IMAGE_TONES_HZ: [f64; 12] = [
    100.0, 1000.0, 3000.0, 5000.0, 7000.0, 9000.0, 11_000.0, 13_000.0, 15_000.0, 17_000.0,
    19_000.0, 20_000.0,
];

/// Offsets (fractions of the base rate) around each multiple `k·fs` of the base rate at which the
/// alias test puts its high-rate tones. Everything within ±0.4535·fs (±20 kHz at 44.1 kHz) of a
/// multiple of fs folds into the 0–20 kHz pass band when the cascade decimates, so these points
/// cover the whole stop band of every stage, edges included.
const ALIAS_OFFSETS_FS: [f64; 9] = [-0.4535, -0.4, -0.3, -0.17, 0.0, 0.11, 0.25, 0.37, 0.4535];

fn image_and_alias_rejection(factor: OversamplingFactor, flavour: FilterFlavour) -> (f64, f64) {
    let base_rate = 44_100.0;
    let mut oversampler = prepared(factor, flavour);
    let mut worst_image = (f64::NEG_INFINITY, 0.0, 0.0);
    for tone in IMAGE_TONES_HZ {
        oversampler.reset();
        let (image_db, image_hz) = worst_image_db(&mut oversampler, tone, base_rate);
        if image_db > worst_image.0 {
            worst_image = (image_db, image_hz, tone);
        }
    }
    let reference = downsampled_level(factor, flavour, 1000.0, base_rate);
    let nyquist_multiple = factor.ratio() as f64 / 2.0;
    let mut worst_alias = (f64::NEG_INFINITY, 0.0);
    for multiple in 1..=factor.ratio() / 2 {
        for offset in ALIAS_OFFSETS_FS {
            let source_fs = multiple as f64 + offset;
            if source_fs >= nyquist_multiple {
                continue;
            }
            let source_hz = source_fs * base_rate;
            let level = downsampled_level(factor, flavour, source_hz, base_rate);
            let alias_db = 10.0 * (level / reference).log10();
            if alias_db > worst_alias.0 {
                worst_alias = (alias_db, source_hz);
            }
        }
    }
    println!(
        "{}: image rejection {:.2} dB (tone {:.0} Hz, image at {:.0} Hz), alias rejection {:.2} dB (source {:.0} Hz), stated stop band {:.2} dB",
        name(factor, flavour),
        -worst_image.0,
        worst_image.2,
        worst_image.1,
        -worst_alias.0,
        worst_alias.1,
        Oversampler::new(factor, flavour).stopband_attenuation_db()
    );
    (-worst_image.0, -worst_alias.0)
}

#[test]
fn linear_phase_image_and_alias_rejection_at_least_100_db() {
    for factor in [
        OversamplingFactor::X2,
        OversamplingFactor::X4,
        OversamplingFactor::X8,
        OversamplingFactor::X16,
    ] {
        let (image_rejection_db, alias_rejection_db) =
            image_and_alias_rejection(factor, FilterFlavour::LinearPhase);
        assert!(
            image_rejection_db >= 100.0,
            "{}: image rejection {image_rejection_db:.1} dB (need ≥ 100 dB)",
            name(factor, FilterFlavour::LinearPhase)
        );
        assert!(
            alias_rejection_db >= 100.0,
            "{}: alias rejection {alias_rejection_db:.1} dB (need ≥ 100 dB)",
            name(factor, FilterFlavour::LinearPhase)
        );
    }
}

#[test]
fn minimum_phase_image_and_alias_rejection_reach_the_stated_stopband_attenuation() {
    for factor in [
        OversamplingFactor::X2,
        OversamplingFactor::X4,
        OversamplingFactor::X8,
        OversamplingFactor::X16,
    ] {
        let stated_db =
            Oversampler::new(factor, FilterFlavour::MinimumPhase).stopband_attenuation_db();
        let (image_rejection_db, alias_rejection_db) =
            image_and_alias_rejection(factor, FilterFlavour::MinimumPhase);
        assert!(
            image_rejection_db >= stated_db && alias_rejection_db >= stated_db,
            "{}: image rejection {image_rejection_db:.2} dB, alias rejection {alias_rejection_db:.2} dB, stated stop band {stated_db:.2} dB",
            name(factor, FilterFlavour::MinimumPhase)
        );
    }
}

/// Worst round-trip deviation from 0 dB between 20 Hz and 20 kHz, measured from the impulse
/// response with `analysis::response`. Returns (deviation dB, at frequency Hz).
fn passband_ripple_db(
    factor: OversamplingFactor,
    flavour: FilterFlavour,
    base_rate: f64,
) -> (f64, f64) {
    let response =
        FrequencyResponse::from_impulse(&round_trip_impulse(factor, flavour, 16_384), base_rate);
    response
        .bins()
        .filter(|&(frequency, _)| (20.0..=20_000.0).contains(&frequency))
        .map(|(frequency, magnitude_db)| (magnitude_db.abs(), frequency))
        .fold((0.0, 0.0), |worst, candidate| {
            if candidate.0 > worst.0 {
                candidate
            } else {
                worst
            }
        })
}

#[test]
fn passband_ripple_within_0_05_db_to_20_khz_at_44_1_and_48_khz() {
    for base_rate in [44_100.0, 48_000.0] {
        for flavour in FLAVOURS {
            for factor in OversamplingFactor::ALL {
                let (ripple_db, at_hz) = passband_ripple_db(factor, flavour, base_rate);
                println!(
                    "{} at {:.1} kHz: pass-band ripple {ripple_db:.5} dB (worst at {at_hz:.0} Hz)",
                    name(factor, flavour),
                    base_rate / 1000.0
                );
                assert!(
                    ripple_db <= 0.05,
                    "{} at {:.1} kHz: round-trip deviation {ripple_db:.4} dB at {at_hz:.0} Hz (allowed 0.05 dB)",
                    name(factor, flavour),
                    base_rate / 1000.0
                );
            }
        }
    }
}

#[test]
fn analytic_response_matches_the_measured_round_trip() {
    let base_rate = 48_000.0;
    for flavour in FLAVOURS {
        for factor in OversamplingFactor::ALL {
            let oversampler = prepared(factor, flavour);
            let measured = FrequencyResponse::from_impulse(
                &round_trip_impulse(factor, flavour, 16_384),
                base_rate,
            );
            let worst_db = [
                20.0, 100.0, 1000.0, 5000.0, 10_000.0, 15_000.0, 20_000.0, 21_000.0,
            ]
            .into_iter()
            .map(|frequency| {
                let analytic_db = 20.0 * oversampler.response(frequency, base_rate).norm().log10();
                (analytic_db - measured.magnitude_db_at(frequency)).abs()
            })
            .fold(0.0, f64::max);
            assert!(
                worst_db < 0.01,
                "{}: analytic vs measured round-trip magnitude differ by {worst_db:.4} dB",
                name(factor, flavour)
            );
        }
    }
}

#[test]
fn unity_gain_at_1_khz() {
    for flavour in FLAVOURS {
        for factor in OversamplingFactor::ALL {
            let mut oversampler = prepared(factor, flavour);
            let input = sine(1000.0, 48_000.0, 9600);
            let output = round_trip(&mut oversampler, &input);
            let settle = 4800;
            let gain_db =
                10.0 * (mean_square(&output[settle..]) / mean_square(&input[settle..])).log10();
            assert!(
                gain_db.abs() < 0.001,
                "{}: round-trip gain at 1 kHz {gain_db:.5} dB",
                name(factor, flavour)
            );
        }
    }
}

#[test]
fn hostile_input_never_produces_non_finite_output_and_reset_restores_clean_state() {
    let hostile = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        1.0e30,
        -1.0e30,
        f32::MIN_POSITIVE / 4.0,
    ];
    let clean = sine(997.0, 48_000.0, 2000);
    for flavour in FLAVOURS {
        for factor in OversamplingFactor::ALL {
            let mut oversampler = prepared(factor, flavour);
            let mut poisoned: Vec<f32> = clean.clone();
            for (index, &value) in hostile.iter().enumerate() {
                poisoned[100 + 37 * index] = value;
            }
            let output = round_trip(&mut oversampler, &poisoned);
            let non_finite = output.iter().filter(|sample| !sample.is_finite()).count();
            let peak = output
                .iter()
                .fold(0.0_f32, |peak, sample| peak.max(sample.abs()));
            assert!(
                non_finite == 0 && peak <= 2.0 * gainstage_dsp::guard::MAX_INPUT_MAGNITUDE,
                "{}: {non_finite} non-finite output samples, peak {peak:e} after hostile input",
                name(factor, flavour)
            );
            // NaN produced inside the high-rate stage must not poison the downsampler either.
            oversampler.process_block(&mut clean.clone(), |high_rate| high_rate[3] = f32::NAN);
            oversampler.reset();
            let after_reset = round_trip(&mut oversampler, &clean);
            let fresh = round_trip(&mut prepared(factor, flavour), &clean);
            let worst = after_reset
                .iter()
                .zip(&fresh)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0_f32, f32::max);
            assert!(
                worst == 0.0,
                "{}: after reset the output differs from a fresh oversampler by {worst:e}",
                name(factor, flavour)
            );
        }
    }
}

#[test]
fn long_blocks_are_chunked_with_the_same_result_as_short_ones() {
    let input = sine(3333.0, 48_000.0, 1234);
    for flavour in FLAVOURS {
        for factor in OversamplingFactor::ALL {
            let mut long = prepared(factor, flavour);
            let mut long_output = input.clone();
            long.process_block(&mut long_output, |high_rate| {
                high_rate.iter_mut().for_each(|sample| *sample *= 0.5)
            });
            let mut short = prepared(factor, flavour);
            let mut short_output = input.clone();
            for block in short_output.chunks_mut(7) {
                short.process_block(block, |high_rate| {
                    high_rate.iter_mut().for_each(|sample| *sample *= 0.5)
                });
            }
            let worst = long_output
                .iter()
                .zip(&short_output)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0_f32, f32::max);
            assert!(
                worst == 0.0,
                "{}: 1234-sample block (max block {BLOCK}) vs 7-sample blocks differ by {worst:e}",
                name(factor, flavour)
            );
        }
    }
}

#[test]
fn a_channel_pair_gives_bit_identical_output_to_two_single_channels() {
    // Figure: the largest sample difference between `upsample_pair`/`downsample_pair` and the
    // single-channel path, over every factor and flavour, with a nonlinearity in between so the
    // decimators see out-of-band content. Expected exactly 0 (the same operations per lane).
    let left_input = sine(3333.0, 48_000.0, 1000);
    let right_input = sine(517.0, 48_000.0, 1000);
    for flavour in FLAVOURS {
        for factor in OversamplingFactor::ALL {
            let (mut left_mono, mut right_mono) =
                (prepared(factor, flavour), prepared(factor, flavour));
            let (mut left_pair, mut right_pair) =
                (prepared(factor, flavour), prepared(factor, flavour));
            let mut worst = 0.0_f32;
            let mut allocations = 0;
            for (left_block, right_block) in left_input.chunks(37).zip(right_input.chunks(37)) {
                let bend = |high_rate: &mut [f32]| {
                    high_rate
                        .iter_mut()
                        .for_each(|sample| *sample = (3.0 * *sample).tanh())
                };
                let mut left_single = left_block.to_vec();
                left_mono.process_block(&mut left_single, bend);
                let mut right_single = right_block.to_vec();
                right_mono.process_block(&mut right_single, bend);

                let mut left_paired = vec![0.0; left_block.len()];
                let mut right_paired = vec![0.0; right_block.len()];
                let before = allocations_on_this_thread();
                let (left_high, right_high) = Oversampler::upsample_pair(
                    &mut left_pair,
                    &mut right_pair,
                    left_block,
                    right_block,
                );
                bend(left_high);
                bend(right_high);
                Oversampler::downsample_pair(
                    &mut left_pair,
                    &mut right_pair,
                    &mut left_paired,
                    &mut right_paired,
                );
                allocations += allocations_on_this_thread() - before;
                for (single, paired) in left_single
                    .iter()
                    .chain(&right_single)
                    .zip(left_paired.iter().chain(&right_paired))
                {
                    worst = worst.max((single - paired).abs());
                }
            }
            println!(
                "{}: channel pair vs single channels, largest difference {worst:e}",
                name(factor, flavour)
            );
            assert!(
                worst == 0.0,
                "{}: pair differs from single channels by {worst:e}",
                name(factor, flavour)
            );
            assert_eq!(
                allocations,
                0,
                "{}: the pair path allocated",
                name(factor, flavour)
            );
        }
    }
}

#[test]
fn processing_and_reset_do_not_allocate() {
    for flavour in FLAVOURS {
        for factor in OversamplingFactor::ALL {
            let mut oversampler = prepared(factor, flavour);
            let mut block = sine(440.0, 48_000.0, 3 * BLOCK + 17);
            let before = allocations_on_this_thread();
            oversampler.process_block(&mut block, |high_rate| {
                high_rate
                    .iter_mut()
                    .for_each(|sample| *sample = sample.tanh())
            });
            let high_rate = oversampler.upsample(&block[..BLOCK]);
            high_rate[0] = 0.25;
            oversampler.downsample(&mut block[..BLOCK]);
            oversampler.reset();
            let allocations = allocations_on_this_thread() - before;
            assert_eq!(
                allocations,
                0,
                "{}: {allocations} allocations in process_block/upsample/downsample/reset",
                name(factor, flavour)
            );
        }
    }
}

#[test]
fn decaying_tails_end_in_exact_zeros_not_denormals() {
    for flavour in FLAVOURS {
        for factor in OversamplingFactor::ALL {
            let mut signal = vec![0.0; 20_000];
            signal[0] = 1.0;
            let output = round_trip(&mut prepared(factor, flavour), &signal);
            let tail = &output[19_000..];
            let non_zero = tail.iter().filter(|&&sample| sample != 0.0).count();
            let denormal = output.iter().filter(|sample| sample.is_subnormal()).count();
            assert!(
                non_zero == 0 && denormal == 0,
                "{}: {non_zero} non-zero samples in the last 1000 of 20000 after an impulse, {denormal} denormal outputs",
                name(factor, flavour)
            );
        }
    }
}
