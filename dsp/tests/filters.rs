//! Linear filters against their analytic responses, the tone stack against Yeh & Smith's analog
//! model, and the properties every filter must keep: bounded under modulation and hostile input,
//! recovery after reset, no allocation while processing.

use gainstage_dsp::Processor;
use gainstage_dsp::analysis::generator::{sine, white_noise};
use gainstage_dsp::analysis::response::FrequencyResponse;
use gainstage_dsp::filter::BUTTERWORTH_Q;
use gainstage_dsp::filter::biquad::Biquad;
use gainstage_dsp::filter::dc_blocker::DcBlocker;
use gainstage_dsp::filter::one_pole::{OnePole, OnePoleSmoother};
use gainstage_dsp::filter::svf::{Svf, SvfMode};
use gainstage_dsp::filter::tone_stack::{
    AnalogCoefficients, ToneStack, ToneStackComponents, ToneStackControls,
};
use realfft::num_complex::Complex64;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

// ---------------------------------------------------------------------------------------------
// Allocation counting: a global allocator that counts allocations made on the current thread, so
// tests running in parallel do not see each other's allocations.

struct CountingAllocator;

thread_local! {
    static ALLOCATIONS_ON_THIS_THREAD: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counter is a
// const-initialised thread-local Cell, which never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS_ON_THIS_THREAD.try_with(|count| count.set(count.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(pointer, layout) }
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS_ON_THIS_THREAD.try_with(|count| count.set(count.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(pointer, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn allocations_on_this_thread() -> usize {
    ALLOCATIONS_ON_THIS_THREAD.with(Cell::get)
}

// ---------------------------------------------------------------------------------------------
// The filters under test, behind one small local trait.

trait AnalyticFilter: Processor {
    fn analytic_response(&self, frequency_hz: f64) -> Complex64;
}

impl AnalyticFilter for Svf {
    fn analytic_response(&self, frequency_hz: f64) -> Complex64 {
        self.response(frequency_hz)
    }
}
impl AnalyticFilter for Biquad {
    fn analytic_response(&self, frequency_hz: f64) -> Complex64 {
        self.response(frequency_hz)
    }
}
impl AnalyticFilter for OnePole {
    fn analytic_response(&self, frequency_hz: f64) -> Complex64 {
        self.response(frequency_hz)
    }
}
impl AnalyticFilter for OnePoleSmoother {
    fn analytic_response(&self, frequency_hz: f64) -> Complex64 {
        self.response(frequency_hz)
    }
}
impl AnalyticFilter for DcBlocker {
    fn analytic_response(&self, frequency_hz: f64) -> Complex64 {
        self.response(frequency_hz)
    }
}
impl AnalyticFilter for ToneStack {
    fn analytic_response(&self, frequency_hz: f64) -> Complex64 {
        self.response(frequency_hz)
    }
}

type FilterFactory = fn(f32) -> Box<dyn AnalyticFilter>;

/// Every filter type, with settings that exercise each mode, by name.
fn every_filter() -> Vec<(&'static str, FilterFactory)> {
    vec![
        ("SVF lowpass 1 kHz Q 0.707", |rate| {
            Box::new(Svf::lowpass(rate, 1_000.0, BUTTERWORTH_Q))
        }),
        ("SVF lowpass 5 kHz Q 8", |rate| {
            Box::new(Svf::lowpass(rate, 5_000.0, 8.0))
        }),
        ("SVF highpass 80 Hz Q 0.707", |rate| {
            Box::new(Svf::highpass(rate, 80.0, BUTTERWORTH_Q))
        }),
        ("SVF bandpass 2 kHz Q 2", |rate| {
            Box::new(Svf::bandpass(rate, 2_000.0, 2.0))
        }),
        ("SVF bell 1 kHz Q 1 +6 dB", |rate| {
            Box::new(Svf::bell(rate, 1_000.0, 1.0, 6.0))
        }),
        ("SVF bell 3 kHz Q 4 −12 dB", |rate| {
            Box::new(Svf::bell(rate, 3_000.0, 4.0, -12.0))
        }),
        ("SVF low shelf 200 Hz +6 dB", |rate| {
            Box::new(Svf::low_shelf(rate, 200.0, BUTTERWORTH_Q, 6.0))
        }),
        ("SVF high shelf 5 kHz −6 dB", |rate| {
            Box::new(Svf::high_shelf(rate, 5_000.0, BUTTERWORTH_Q, -6.0))
        }),
        ("biquad lowpass 1 kHz Q 0.707", |rate| {
            Box::new(Biquad::lowpass(rate, 1_000.0, BUTTERWORTH_Q))
        }),
        ("biquad highpass 40 Hz Q 0.707", |rate| {
            Box::new(Biquad::highpass(rate, 40.0, BUTTERWORTH_Q))
        }),
        ("biquad bandpass 1 kHz Q 2", |rate| {
            Box::new(Biquad::bandpass(rate, 1_000.0, 2.0))
        }),
        ("biquad notch 1 kHz Q 4", |rate| {
            Box::new(Biquad::notch(rate, 1_000.0, 4.0))
        }),
        ("biquad peaking 2.5 kHz Q 1.5 +9 dB", |rate| {
            Box::new(Biquad::peaking(rate, 2_500.0, 1.5, 9.0))
        }),
        ("biquad low shelf 150 Hz +6 dB", |rate| {
            Box::new(Biquad::low_shelf(rate, 150.0, BUTTERWORTH_Q, 6.0))
        }),
        ("biquad high shelf 6 kHz −4 dB", |rate| {
            Box::new(Biquad::high_shelf(rate, 6_000.0, BUTTERWORTH_Q, -4.0))
        }),
        ("biquad allpass 1 kHz Q 0.7", |rate| {
            Box::new(Biquad::allpass(rate, 1_000.0, 0.7))
        }),
        ("one-pole lowpass 2 kHz", |rate| {
            Box::new(OnePole::lowpass(rate, 2_000.0))
        }),
        ("one-pole highpass 30 Hz", |rate| {
            Box::new(OnePole::highpass(rate, 30.0))
        }),
        ("smoother τ 5 ms", |rate| {
            Box::new(OnePoleSmoother::new(0.005, rate, 0.0))
        }),
        ("DC blocker 5 Hz", |rate| {
            Box::new(DcBlocker::with_default_corner(rate))
        }),
        ("tone stack t=m=l=0.5", |rate| {
            Box::new(ToneStack::bassman(rate, ToneStackControls::NOON))
        }),
        ("tone stack t=1 m=0 l=0", |rate| {
            Box::new(ToneStack::bassman(
                rate,
                ToneStackControls::from_pot_fractions(1.0, 0.0, 0.0),
            ))
        }),
        ("tone stack t=0 m=1 l=1", |rate| {
            Box::new(ToneStack::bassman(
                rate,
                ToneStackControls::from_pot_fractions(0.0, 1.0, 1.0),
            ))
        }),
    ]
}

const SAMPLE_RATES: [f32; 3] = [44_100.0, 48_000.0, 96_000.0];
const IMPULSE_LENGTH: usize = 1 << 17;
const BAND_LOW_HZ: f64 = 20.0;
const BAND_HIGH_HZ: f64 = 20_000.0;

fn impulse_response(filter: &mut dyn AnalyticFilter, length: usize) -> Vec<f32> {
    let mut block = vec![0.0_f32; length];
    block[0] = 1.0;
    filter.process_block(&mut block);
    block
}

fn db(value: Complex64) -> f64 {
    20.0 * value.norm().log10()
}

// ---------------------------------------------------------------------------------------------
// Figure: impulse → FFT within 0.1 dB of response(), 20 Hz–20 kHz, at 44.1, 48 and 96 kHz.

#[test]
fn every_filter_measures_within_0_1_db_of_its_analytic_response() {
    let mut failures = Vec::new();
    for (name, factory) in every_filter() {
        for sample_rate in SAMPLE_RATES {
            let mut filter = factory(sample_rate);
            let impulse = impulse_response(filter.as_mut(), IMPULSE_LENGTH);
            let measured = FrequencyResponse::from_impulse(&impulse, f64::from(sample_rate));
            let (mut worst_db, mut worst_at) = (0.0_f64, 0.0_f64);
            for (frequency, value) in measured
                .complex_bins()
                .filter(|(frequency, _)| (BAND_LOW_HZ..=BAND_HIGH_HZ).contains(frequency))
            {
                let deviation = (db(value) - db(filter.analytic_response(frequency))).abs();
                if deviation > worst_db {
                    (worst_db, worst_at) = (deviation, frequency);
                }
            }
            println!(
                "{name} at {:.1} kHz: worst deviation {worst_db:.2e} dB at {worst_at:.0} Hz",
                sample_rate / 1000.0
            );
            if worst_db > 0.1 {
                failures.push(format!(
                    "{name} at {sample_rate} Hz: worst deviation {worst_db:.3} dB at {worst_at:.0} Hz"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "impulse response vs response(): {failures:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Figure: tone stack digital response within 0.5 dB of Yeh & Smith's analog response.

/// The three settings the brief names, plus a 5×5×5 grid of pot positions.
fn tone_stack_settings() -> Vec<ToneStackControls> {
    let mut settings = vec![
        ToneStackControls::NOON,
        ToneStackControls::from_pot_fractions(1.0, 0.0, 0.0),
        ToneStackControls::from_pot_fractions(0.0, 1.0, 1.0),
    ];
    let positions = [0.0, 0.25, 0.5, 0.75, 1.0];
    for treble in positions {
        for middle in positions {
            for bass in positions {
                settings.push(ToneStackControls::from_pot_fractions(treble, middle, bass));
            }
        }
    }
    settings
}

/// Worst |digital − analog| in dB from 20 Hz to `top_hz` on a 1/100-octave grid, and where.
fn tone_stack_warping_error(stack: &ToneStack, top_hz: f64) -> (f64, f64) {
    let (mut worst_db, mut worst_at) = (0.0_f64, 0.0_f64);
    let mut frequency = BAND_LOW_HZ;
    while frequency <= top_hz * 1.000_01 {
        let deviation =
            (db(stack.response(frequency)) - db(stack.analog_response(frequency))).abs();
        if deviation > worst_db {
            (worst_db, worst_at) = (deviation, frequency);
        }
        frequency *= 2.0_f64.powf(0.01);
    }
    (worst_db, worst_at)
}

#[test]
fn tone_stack_digital_response_is_within_0_5_db_of_the_analog_model_at_the_three_settings() {
    // Plain bilinear transform (c = 2·fs, no prewarp), as Yeh & Smith discretise it. At these
    // settings the stack's response is nearly flat above a few kHz, so frequency warping moves
    // little there and the whole 20 Hz–20 kHz band is checked.
    let mut failures = Vec::new();
    for controls in [
        ToneStackControls::NOON,
        ToneStackControls::from_pot_fractions(1.0, 0.0, 0.0),
        ToneStackControls::from_pot_fractions(0.0, 1.0, 1.0),
    ] {
        for sample_rate in SAMPLE_RATES {
            let stack = ToneStack::bassman(sample_rate, controls);
            let (deviation, at) = tone_stack_warping_error(&stack, BAND_HIGH_HZ);
            let label = format!(
                "tone stack t={} m={} l={} at {:.1} kHz",
                controls.treble,
                controls.middle,
                controls.bass,
                sample_rate / 1000.0
            );
            println!(
                "{label}: worst |digital − analog| {deviation:.3} dB at {at:.0} Hz (20 Hz–20 kHz)"
            );
            if deviation > 0.5 {
                failures.push(format!("{label}: {deviation:.3} dB at {at:.0} Hz"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "tone stack digital vs analog beyond 0.5 dB: {failures:#?}"
    );
}

/// Top of the band in which the plain bilinear transform keeps every pot setting within 0.5 dB.
///
/// With treble and middle both near zero the analog numerator loses its s³ term, the response
/// falls 6 dB/octave towards infinity, and the bilinear transform squeezes that slope into a zero
/// at Nyquist: at 44.1 kHz the error passes 0.5 dB at about 5.9 kHz (13 dB at 20 kHz), at 48 kHz
/// at about 6.4 kHz (8.9 dB), at 96 kHz at about 12.6 kHz (1.4 dB).
const TONE_STACK_HONEST_BAND_HZ: f64 = 5_000.0;

#[test]
fn tone_stack_digital_response_is_within_0_5_db_of_the_analog_model_below_5_khz_for_all_settings() {
    let mut failures = Vec::new();
    for sample_rate in SAMPLE_RATES {
        let mut worst_in_band = (0.0_f64, 0.0, ToneStackControls::NOON);
        let mut worst_full = (0.0_f64, 0.0, ToneStackControls::NOON);
        let mut within_full_band = 0;
        let settings = tone_stack_settings();
        for &controls in &settings {
            let stack = ToneStack::bassman(sample_rate, controls);
            let (deviation, at) = tone_stack_warping_error(&stack, TONE_STACK_HONEST_BAND_HZ);
            if deviation > worst_in_band.0 {
                worst_in_band = (deviation, at, controls);
            }
            if deviation > 0.5 {
                failures.push(format!(
                    "t={} m={} l={} at {sample_rate} Hz: {deviation:.3} dB at {at:.0} Hz",
                    controls.treble, controls.middle, controls.bass
                ));
            }
            let (full_deviation, full_at) = tone_stack_warping_error(&stack, BAND_HIGH_HZ);
            if full_deviation <= 0.5 {
                within_full_band += 1;
            }
            if full_deviation > worst_full.0 {
                worst_full = (full_deviation, full_at, controls);
            }
        }
        let describe = |(deviation, at, controls): (f64, f64, ToneStackControls)| {
            format!(
                "{deviation:.3} dB at {at:.0} Hz (t={} m={} l={})",
                controls.treble, controls.middle, controls.bass
            )
        };
        println!(
            "tone stack, {} settings at {:.1} kHz: worst {} over 20 Hz–5 kHz; over 20 Hz–20 kHz worst {}, {within_full_band} settings within 0.5 dB",
            settings.len(),
            sample_rate / 1000.0,
            describe(worst_in_band),
            describe(worst_full)
        );
    }
    assert!(
        failures.is_empty(),
        "tone stack digital vs analog beyond 0.5 dB below 5 kHz: {failures:#?}"
    );
}

/// Solves the complex linear system `matrix · x = right_side` by Gaussian elimination with
/// partial pivoting.
fn solve_complex(
    mut matrix: Vec<Vec<Complex64>>,
    mut right_side: Vec<Complex64>,
) -> Vec<Complex64> {
    let size = right_side.len();
    for column in 0..size {
        let pivot = (column..size)
            .max_by(|&a, &b| {
                matrix[a][column]
                    .norm()
                    .total_cmp(&matrix[b][column].norm())
            })
            .expect("non-empty");
        matrix.swap(column, pivot);
        right_side.swap(column, pivot);
        for row in column + 1..size {
            let factor = matrix[row][column] / matrix[column][column];
            let pivot_row = matrix[column].clone();
            for (entry, pivot_entry) in matrix[row].iter_mut().zip(&pivot_row).skip(column) {
                *entry -= factor * pivot_entry;
            }
            let subtrahend = factor * right_side[column];
            right_side[row] -= subtrahend;
        }
    }
    let mut solution = vec![Complex64::new(0.0, 0.0); size];
    for row in (0..size).rev() {
        let known: Complex64 = (row + 1..size)
            .map(|inner| matrix[row][inner] * solution[inner])
            .sum();
        solution[row] = (right_side[row] - known) / matrix[row][row];
    }
    solution
}

/// Output voltage of the Bassman tone stack for a 1 V input at `frequency_hz`, by nodal analysis
/// of the circuit (Yeh & Smith fig. 1; Fender 5F6-A schematic): input → C1 → top of treble pot;
/// input → R4 → junction of C2 and C3; treble pot to its bottom end with the output on its wiper
/// ((1 − t)·R1 above, t·R1 below); C2 to the treble pot's bottom end; bass pot l·R2 from there to
/// the top of the middle pot; middle pot with C3 on its wiper, (1 − m)·R3 above and m·R3 to
/// ground. Zero-ohm pot sections are 1 mΩ.
fn tone_stack_by_nodal_analysis(
    components: &ToneStackComponents,
    controls: &ToneStackControls,
    frequency_hz: f64,
) -> Complex64 {
    const TREBLE_TOP: usize = 0;
    const OUTPUT: usize = 1;
    const CAP_JUNCTION: usize = 2;
    const TREBLE_BOTTOM: usize = 3;
    const MIDDLE_TOP: usize = 4;
    const MIDDLE_WIPER: usize = 5;
    const INPUT: usize = usize::MAX;
    const GROUND: usize = usize::MAX - 1;
    let s = Complex64::new(0.0, std::f64::consts::TAU * frequency_hz);
    let mut admittances = vec![vec![Complex64::new(0.0, 0.0); 6]; 6];
    let mut injected = vec![Complex64::new(0.0, 0.0); 6];
    let mut connect = |from: usize, to: usize, admittance: Complex64| {
        for (node, other) in [(from, to), (to, from)] {
            if node < 6 {
                admittances[node][node] += admittance;
                if other < 6 {
                    admittances[node][other] -= admittance;
                } else if other == INPUT {
                    injected[node] += admittance; // 1 V source through this admittance
                }
            }
        }
    };
    let resistor = |ohms: f64| Complex64::new(1.0 / ohms.max(1.0e-3), 0.0);
    let ToneStackComponents {
        c1,
        c2,
        c3,
        r1,
        r2,
        r3,
        r4,
    } = *components;
    let ToneStackControls {
        treble,
        middle,
        bass,
    } = *controls;
    connect(INPUT, TREBLE_TOP, s * c1);
    connect(TREBLE_TOP, OUTPUT, resistor((1.0 - treble) * r1));
    connect(OUTPUT, TREBLE_BOTTOM, resistor(treble * r1));
    connect(INPUT, CAP_JUNCTION, resistor(r4));
    connect(CAP_JUNCTION, TREBLE_BOTTOM, s * c2);
    connect(CAP_JUNCTION, MIDDLE_WIPER, s * c3);
    connect(TREBLE_BOTTOM, MIDDLE_TOP, resistor(bass * r2));
    connect(MIDDLE_TOP, MIDDLE_WIPER, resistor((1.0 - middle) * r3));
    connect(MIDDLE_WIPER, GROUND, resistor(middle * r3));
    solve_complex(admittances, injected)[OUTPUT]
}

#[test]
fn tone_stack_closed_form_matches_nodal_analysis_of_the_circuit() {
    // Checks our transcription of Yeh & Smith's eq. (2) against the circuit itself.
    let components = ToneStackComponents::BASSMAN_59;
    let (mut worst_db, mut worst_phase) = (0.0_f64, 0.0_f64);
    for controls in tone_stack_settings() {
        let closed_form = AnalogCoefficients::yeh_smith(&components, &controls);
        for frequency in [
            20.0, 50.0, 120.0, 400.0, 1_000.0, 3_000.0, 8_000.0, 20_000.0,
        ] {
            let expected = tone_stack_by_nodal_analysis(&components, &controls, frequency);
            let ratio = closed_form.response(frequency) / expected;
            worst_db = worst_db.max(db(ratio).abs());
            worst_phase = worst_phase.max(ratio.arg().abs());
        }
    }
    println!(
        "tone stack closed form vs nodal analysis, 128 settings × 8 frequencies: worst {worst_db:.2e} dB, {worst_phase:.2e} rad"
    );
    // The 1 mΩ stand-ins for zero-ohm pot ends limit agreement to about 1e-5 dB.
    assert!(
        worst_db < 1e-3,
        "tone stack closed form vs nodal analysis: worst {worst_db:.2e} dB"
    );
    assert!(
        worst_phase < 1e-4,
        "tone stack closed form vs nodal analysis: worst {worst_phase:.2e} rad"
    );
}

#[test]
fn tone_stack_knob_taper_reaches_both_ends_and_gives_15_percent_at_noon() {
    let low = ToneStackControls::from_knobs(0.5, 0.5, 0.0).bass;
    let noon = ToneStackControls::from_knobs(0.5, 0.5, 0.5).bass;
    let high = ToneStackControls::from_knobs(0.5, 0.5, 1.0).bass;
    println!("bass audio taper: knob 0 → {low:.4}, 0.5 → {noon:.4}, 1 → {high:.4}");
    assert!(
        low.abs() < 1e-12 && (high - 1.0).abs() < 1e-12,
        "taper ends: {low}, {high}"
    );
    assert!(
        (noon - 0.154).abs() < 0.005,
        "taper at noon: {noon:.4} (expected about 0.15)"
    );
}

// ---------------------------------------------------------------------------------------------
// Figures: the analytic responses hit their design targets.

#[test]
fn analytic_responses_hit_their_design_targets() {
    let sample_rate = 48_000.0;
    let checks: Vec<(&str, f64, f64)> = vec![
        // (what, measured dB, expected dB)
        (
            "SVF lowpass 1 kHz Butterworth at 1 kHz",
            db(Svf::lowpass(sample_rate, 1_000.0, BUTTERWORTH_Q).response(1_000.0)),
            -3.0103,
        ),
        (
            "SVF highpass 80 Hz Butterworth at 80 Hz",
            db(Svf::highpass(sample_rate, 80.0, BUTTERWORTH_Q).response(80.0)),
            -3.0103,
        ),
        (
            "SVF bandpass 2 kHz at 2 kHz",
            db(Svf::bandpass(sample_rate, 2_000.0, 2.0).response(2_000.0)),
            0.0,
        ),
        (
            "SVF bell 1 kHz +6 dB at 1 kHz",
            db(Svf::bell(sample_rate, 1_000.0, 1.0, 6.0).response(1_000.0)),
            6.0,
        ),
        (
            "SVF bell 3 kHz −12 dB at 3 kHz",
            db(Svf::bell(sample_rate, 3_000.0, 4.0, -12.0).response(3_000.0)),
            -12.0,
        ),
        (
            "SVF low shelf 200 Hz +6 dB at 200 Hz (mid-gain)",
            db(Svf::low_shelf(sample_rate, 200.0, BUTTERWORTH_Q, 6.0).response(200.0)),
            3.0,
        ),
        (
            "SVF low shelf 200 Hz +6 dB at 20 Hz",
            db(Svf::low_shelf(sample_rate, 200.0, BUTTERWORTH_Q, 6.0).response(20.0)),
            6.0,
        ),
        (
            "SVF high shelf 5 kHz −6 dB at 5 kHz (mid-gain)",
            db(Svf::high_shelf(sample_rate, 5_000.0, BUTTERWORTH_Q, -6.0).response(5_000.0)),
            -3.0,
        ),
        (
            "SVF high shelf 5 kHz −6 dB at 23.9 kHz",
            db(Svf::high_shelf(sample_rate, 5_000.0, BUTTERWORTH_Q, -6.0).response(23_900.0)),
            -6.0,
        ),
        (
            "biquad lowpass 1 kHz Butterworth at 1 kHz",
            db(Biquad::lowpass(sample_rate, 1_000.0, BUTTERWORTH_Q).response(1_000.0)),
            -3.0103,
        ),
        (
            "biquad peaking 2.5 kHz +9 dB at 2.5 kHz",
            db(Biquad::peaking(sample_rate, 2_500.0, 1.5, 9.0).response(2_500.0)),
            9.0,
        ),
        (
            "biquad low shelf 150 Hz +6 dB at 150 Hz (mid-gain)",
            db(Biquad::low_shelf(sample_rate, 150.0, BUTTERWORTH_Q, 6.0).response(150.0)),
            3.0,
        ),
        (
            "biquad high shelf 6 kHz −4 dB at 6 kHz (mid-gain)",
            db(Biquad::high_shelf(sample_rate, 6_000.0, BUTTERWORTH_Q, -4.0).response(6_000.0)),
            -2.0,
        ),
        (
            "biquad allpass 1 kHz at 5 kHz",
            db(Biquad::allpass(sample_rate, 1_000.0, 0.7).response(5_000.0)),
            0.0,
        ),
        (
            "one-pole lowpass 2 kHz at 2 kHz",
            db(OnePole::lowpass(sample_rate, 2_000.0).response(2_000.0)),
            -3.0103,
        ),
        (
            "one-pole highpass 30 Hz at 30 Hz",
            db(OnePole::highpass(sample_rate, 30.0).response(30.0)),
            -3.0103,
        ),
        (
            "DC blocker 5 Hz at 5 Hz",
            db(DcBlocker::with_default_corner(sample_rate).response(5.0)),
            -3.0103,
        ),
        (
            "DC blocker 5 Hz at 60 Hz",
            db(DcBlocker::with_default_corner(sample_rate).response(60.0)),
            -0.0300,
        ),
    ];
    let mut failures = Vec::new();
    for (what, measured, expected) in checks {
        println!("{what}: {measured:.4} dB (target {expected:.4} dB)");
        if (measured - expected).abs() > 0.01 {
            failures.push(format!("{what}: {measured:.4} dB, target {expected:.4} dB"));
        }
    }
    let allpass_phase = Biquad::allpass(sample_rate, 1_000.0, 0.7)
        .response(1_000.0)
        .arg()
        .abs();
    println!("biquad allpass 1 kHz: phase at 1 kHz {allpass_phase:.6} rad (target π)");
    if (allpass_phase - std::f64::consts::PI).abs() > 1e-9 {
        failures.push(format!(
            "allpass phase at 1 kHz {allpass_phase:.6} rad, target π"
        ));
    }
    let smoother = OnePoleSmoother::new(0.005, sample_rate, 0.0);
    let mut step = OnePoleSmoother::new(0.005, sample_rate, 0.0);
    let settled = (0..240).map(|_| step.next(1.0)).last().unwrap_or(0.0);
    println!(
        "smoother τ 5 ms: step reaches {settled:.4} after 5 ms (target 1 − 1/e = 0.6321); DC gain {:.2e} dB",
        db(smoother.response(0.0))
    );
    if (f64::from(settled) - (1.0 - (-1.0_f64).exp())).abs() > 2e-3 {
        failures.push(format!(
            "smoother step after τ: {settled:.4}, target 0.6321"
        ));
    }
    assert!(failures.is_empty(), "design targets missed: {failures:#?}");
}

// ---------------------------------------------------------------------------------------------
// Figure: SVF cutoff swept 20 Hz ↔ 20 kHz every sample stays bounded and smooth.

/// Cutoff (Hz) of the test sweep at `time_s`: log-frequency follows a 5 Hz raised cosine between
/// 20 Hz and 20 kHz (ten octaves up and back five times a second).
fn sweep_cutoff(time_s: f64) -> f64 {
    let octaves = (20_000.0_f64 / 20.0).log2();
    let position = 0.5 - 0.5 * (std::f64::consts::TAU * 5.0 * time_s).cos();
    20.0 * 2.0_f64.powf(octaves * position)
}

/// Runs `input` through an SVF of `mode` (Q = 1/√2, gain +6 dB for bell and shelves) whose cutoff
/// follows [`sweep_cutoff`], set every sample with `set_params`.
fn swept_svf(mode: SvfMode, sample_rate: f32, input: &[f32]) -> Vec<f32> {
    let mut filter = Svf::new(mode, sample_rate, 1_000.0, BUTTERWORTH_Q, 6.0);
    input
        .iter()
        .enumerate()
        .map(|(index, &sample)| {
            filter.set_params(
                sweep_cutoff(index as f64 / f64::from(sample_rate)) as f32,
                BUTTERWORTH_Q,
                6.0,
            );
            filter.process_sample(sample)
        })
        .collect()
}

/// The same swept lowpass run 16 times faster on the exact continuous sine, read back at the base
/// rate: a close approximation of the continuous-time filter under the same sweep.
fn swept_lowpass_reference(
    frequency_hz: f64,
    amplitude: f64,
    sample_rate: f32,
    length: usize,
) -> Vec<f32> {
    const OVERSAMPLING: usize = 16;
    let fine_rate = f64::from(sample_rate) * OVERSAMPLING as f64;
    let mut filter = Svf::lowpass(fine_rate as f32, 1_000.0, BUTTERWORTH_Q);
    let mut output = Vec::with_capacity(length);
    for fine_index in 0..length * OVERSAMPLING {
        let time = fine_index as f64 / fine_rate;
        filter.set_params(sweep_cutoff(time) as f32, BUTTERWORTH_Q, 0.0);
        let input = amplitude * (std::f64::consts::TAU * frequency_hz * time).sin();
        let sample = filter.process_sample(input as f32);
        if fine_index % OVERSAMPLING == 0 {
            output.push(sample);
        }
    }
    output
}

/// Largest ℓ1 norm Σ|h[n]| of the static lowpass (Q = 1/√2) over cutoffs on a 1/6-octave grid
/// from 20 Hz to 20 kHz: the most any fixed setting can enlarge the input's largest step.
fn largest_static_lowpass_l1_norm(sample_rate: f32) -> f64 {
    let mut largest = 0.0_f64;
    let mut cutoff = 20.0_f32;
    while cutoff <= 20_000.0 {
        let mut filter = Svf::lowpass(sample_rate, cutoff, BUTTERWORTH_Q);
        let mut impulse = vec![0.0_f32; 1 << 15];
        impulse[0] = 1.0;
        filter.process_block(&mut impulse);
        largest = largest.max(impulse.iter().map(|sample| f64::from(sample.abs())).sum());
        cutoff *= 2.0_f32.powf(1.0 / 6.0);
    }
    largest
}

fn peak(signal: &[f32]) -> f32 {
    signal
        .iter()
        .fold(0.0_f32, |peak, sample| peak.max(sample.abs()))
}

fn largest_step(signal: &[f32]) -> f32 {
    signal
        .windows(2)
        .fold(0.0_f32, |step, pair| step.max((pair[1] - pair[0]).abs()))
}

#[test]
fn swept_svf_stays_bounded_in_every_mode() {
    // Criterion: peak |y| ≤ 4 × peak |x|. The bell and shelves add at most +6 dB (2×); the rest
    // covers a Q = 1/√2 response's overshoot under the sweep, not instability.
    let mut failures = Vec::new();
    for sample_rate in SAMPLE_RATES {
        let length = sample_rate as usize; // one second: five full sweeps up and down
        let inputs = [
            ("white noise 0.5", white_noise(11, 0.5, length)),
            (
                "1 kHz sine 0.5",
                sine(1_000.0, 0.5, f64::from(sample_rate), length),
            ),
            (
                "100 Hz sine 0.5",
                sine(100.0, 0.5, f64::from(sample_rate), length),
            ),
        ];
        for (input_name, input) in &inputs {
            let mut ratios = Vec::new();
            for mode in [
                SvfMode::Lowpass,
                SvfMode::Highpass,
                SvfMode::Bandpass,
                SvfMode::Bell,
                SvfMode::LowShelf,
                SvfMode::HighShelf,
            ] {
                let output = swept_svf(mode, sample_rate, input);
                let ratio = peak(&output) / peak(input);
                let finite = output.iter().all(|sample| sample.is_finite());
                ratios.push(format!("{mode:?} {ratio:.2}"));
                if !finite || ratio > 4.0 {
                    failures.push(format!(
                        "{mode:?} on {input_name} at {sample_rate} Hz: peak ratio {ratio:.3}, finite {finite}"
                    ));
                }
            }
            println!(
                "swept SVF on {input_name} at {:.1} kHz, peak |y| / peak |x|: {}",
                sample_rate / 1000.0,
                ratios.join(", ")
            );
        }
    }
    assert!(failures.is_empty(), "swept SVF: {failures:#?}");
}

#[test]
fn swept_svf_lowpass_adds_no_step_beyond_what_the_filter_itself_makes() {
    // The brief's criterion, max |Δy| ≤ max |Δx|, cannot hold for a Q = 1/√2 lowpass even when it
    // is not modulated: its impulse response rings, so a step can grow by up to Σ|h| (about 1.09).
    // And under a fast sweep a sine's phase lag changes quickly, which raises its instantaneous
    // frequency and slope; the continuous-time filter does the same. So the criteria are:
    // - white noise: max |Δy| ≤ (largest Σ|h| of the static filter over the sweep's cutoffs) × max |Δx|;
    // - sines: max |Δy| ≤ 1.01 × the max |Δy| of the same sweep run 16× oversampled on the exact
    //   sine (the continuous-time behaviour), i.e. sampling the modulation adds no click.
    // The raw max |Δy| / max |Δx| is printed for every case.
    let mut failures = Vec::new();
    for sample_rate in SAMPLE_RATES {
        let length = sample_rate as usize / 2; // 0.5 s: two and a half sweeps
        let noise = white_noise(11, 0.5, length);
        let output = swept_svf(SvfMode::Lowpass, sample_rate, &noise);
        let raw_ratio = largest_step(&output) / largest_step(&noise);
        let l1_bound = largest_static_lowpass_l1_norm(sample_rate);
        println!(
            "swept SVF lowpass on white noise at {:.1} kHz: max|Δy|/max|Δx| = {raw_ratio:.3}, static Σ|h| bound {l1_bound:.3}",
            sample_rate / 1000.0
        );
        if f64::from(raw_ratio) > l1_bound {
            failures.push(format!(
                "white noise at {sample_rate} Hz: step ratio {raw_ratio:.3} > static bound {l1_bound:.3}"
            ));
        }
        for frequency in [100.0, 1_000.0] {
            let input = sine(frequency, 0.5, f64::from(sample_rate), length);
            let output = swept_svf(SvfMode::Lowpass, sample_rate, &input);
            let reference = swept_lowpass_reference(frequency, 0.5, sample_rate, length);
            let raw_ratio = largest_step(&output) / largest_step(&input);
            let reference_ratio = largest_step(&output) / largest_step(&reference);
            println!(
                "swept SVF lowpass on {frequency} Hz sine at {:.1} kHz: max|Δy|/max|Δx| = {raw_ratio:.3}, vs 16× oversampled sweep {reference_ratio:.4}",
                sample_rate / 1000.0
            );
            if reference_ratio > 1.01 {
                failures.push(format!(
                    "{frequency} Hz sine at {sample_rate} Hz: largest step {reference_ratio:.4} × the oversampled sweep's"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "swept SVF lowpass steps: {failures:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Figures: finite and bounded under hostile input, recovers after reset, never allocates.

/// Hostile samples, each followed by ordinary signal.
const HOSTILE: [f32; 9] = [
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    1.0e30,
    -1.0e30,
    1.0e-40,
    -1.0e-42,
    f32::MAX,
    f32::MIN_POSITIVE / 4.0,
];

#[test]
fn every_filter_stays_finite_and_bounded_under_hostile_input_and_recovers_after_reset() {
    // Criterion: every output finite and |y| ≤ 100 × guard::MAX_INPUT_MAGNITUDE (the clamp on the
    // input is 1000; no filter here has more than +12 dB of gain); no denormal output; after
    // reset the output for a test sine equals a fresh filter's bit for bit.
    let bound = 100.0 * gainstage_dsp::guard::MAX_INPUT_MAGNITUDE;
    let probe = sine(440.0, 0.5, 48_000.0, 4_096);
    let mut failures = Vec::new();
    for (name, factory) in every_filter() {
        for sample_rate in SAMPLE_RATES {
            let mut filter = factory(sample_rate);
            let mut hostile_peak = 0.0_f32;
            let mut bad_output = None;
            for &hostile in &HOSTILE {
                let mut block = vec![0.25_f32; 256];
                block[0] = hostile;
                block[100] = hostile;
                filter.process_block(&mut block);
                for &sample in &block {
                    let denormal = sample != 0.0 && sample.abs() < f32::MIN_POSITIVE;
                    if !sample.is_finite() || sample.abs() > bound || denormal {
                        bad_output.get_or_insert((hostile, sample));
                    }
                    hostile_peak = hostile_peak.max(sample.abs());
                }
            }
            // A long silence after a denormal-sized input must decay to exact zero, not denormals.
            let mut silence = vec![0.0_f32; 1 << 16];
            silence[0] = 1.0e-30;
            filter.process_block(&mut silence);
            if let Some(sample) = silence
                .iter()
                .find(|sample| **sample != 0.0 && sample.abs() < f32::MIN_POSITIVE)
            {
                bad_output.get_or_insert((1.0e-30, *sample));
            }
            if let Some((hostile, sample)) = bad_output {
                failures.push(format!(
                    "{name} at {sample_rate} Hz: input {hostile:e} gave output {sample:e}"
                ));
            }
            filter.reset();
            let mut recovered = probe.clone();
            filter.process_block(&mut recovered);
            let mut fresh_filter = factory(sample_rate);
            let mut fresh = probe.clone();
            fresh_filter.process_block(&mut fresh);
            if recovered != fresh {
                failures.push(format!(
                    "{name} at {sample_rate} Hz: output after reset differs from a fresh filter"
                ));
            }
            if sample_rate == 48_000.0 {
                println!(
                    "{name}: peak |y| under hostile input {hostile_peak:.1} (bound {bound}); recovers after reset"
                );
            }
        }
    }
    assert!(failures.is_empty(), "hostile input: {failures:#?}");
}

#[test]
fn processing_and_per_sample_modulation_never_allocate() {
    let mut filters: Vec<(&str, Box<dyn AnalyticFilter>)> = every_filter()
        .into_iter()
        .map(|(name, factory)| (name, factory(48_000.0)))
        .collect();
    let mut block = white_noise(5, 0.5, 4_096);
    let mut svf = Svf::bell(48_000.0, 1_000.0, 1.0, 6.0);
    let mut one_pole = OnePole::lowpass(48_000.0, 1_000.0);
    let mut stack = ToneStack::bassman(48_000.0, ToneStackControls::NOON);
    let mut biquad = Biquad::peaking(48_000.0, 1_000.0, 1.0, 3.0);
    let before = allocations_on_this_thread();
    for (_, filter) in filters.iter_mut() {
        filter.process_block(&mut block);
        for sample in block.iter_mut().take(64) {
            *sample = filter.process_sample(*sample);
        }
        filter.reset();
    }
    for (index, sample) in block.iter_mut().enumerate() {
        let position = index as f32 / 4_096.0;
        svf.set_params(
            100.0 + 10_000.0 * position,
            0.5 + position,
            -6.0 + 12.0 * position,
        );
        one_pole.set_cutoff(100.0 + 10_000.0 * position);
        stack.set_controls(ToneStackControls::from_knobs(
            position,
            1.0 - position,
            position,
        ));
        *sample = stack.process_sample(one_pole.process_sample(svf.process_sample(*sample)));
    }
    biquad.set_design(gainstage_dsp::filter::biquad::BiquadDesign::LowShelf {
        corner_hz: 200.0,
        q: 0.7,
        gain_db: 4.0,
    });
    biquad.process_block(&mut block);
    let allocations = allocations_on_this_thread() - before;
    // The counter itself must be live, or a zero above would prove nothing.
    let probe_start = allocations_on_this_thread();
    let probe = std::hint::black_box(vec![0_u8; 64]);
    drop(probe);
    assert!(
        allocations_on_this_thread() > probe_start,
        "the counting allocator did not see a Vec allocation"
    );
    println!(
        "{} filters processed 4096 samples each, plus per-sample modulation: {allocations} allocations",
        filters.len()
    );
    assert_eq!(
        allocations, 0,
        "filter processing allocated {allocations} times"
    );
}
