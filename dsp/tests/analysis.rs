//! Checks the analysis module against signals whose answer is known in closed form.

use gainstage_dsp::analysis::aliasing::aliasing_db;
use gainstage_dsp::analysis::generator::{log_sweep, pink_noise, sine, white_noise};
use gainstage_dsp::analysis::harmonics::{measure, thd_plus_n_ratio};
use gainstage_dsp::analysis::latency::impulse_arrival;
use gainstage_dsp::analysis::response::FrequencyResponse;
use std::f64::consts::{PI, TAU};

const SAMPLE_RATE: f64 = 48_000.0;
const LENGTH: usize = 65_536;

/// Adds `amplitude·sin(2π·f·n/fs)` to `signal`, computed in f64.
fn add_tone(signal: &mut [f32], frequency_hz: f64, amplitude: f64) {
    for (index, sample) in signal.iter_mut().enumerate() {
        let cycles = (frequency_hz / SAMPLE_RATE * index as f64).fract();
        *sample += (amplitude * (TAU * cycles).sin()) as f32;
    }
}

fn db_to_ratio(level_db: f64) -> f64 {
    10.0_f64.powf(level_db / 20.0)
}

#[test]
fn pure_sine_on_a_bin_has_thd_below_minus_120_db() {
    // 750 Hz is exactly bin 1024 of a 65536-point FFT at 48 kHz.
    let signal = sine(750.0, 0.5, SAMPLE_RATE, LENGTH);
    let report = measure(&signal, SAMPLE_RATE, 750.0);
    let thd = report.thd_ratio();
    println!(
        "pure 750 Hz sine (on a bin): THD {thd:.3e} ({:.1} dB)",
        report.thd_db()
    );
    assert!(
        thd < 1e-6,
        "pure 750 Hz sine: THD {thd:.3e}, must be < 1e-6"
    );
    let amplitude = report.fundamental_amplitude;
    assert!(
        (amplitude - 0.5).abs() < 1e-6,
        "pure 750 Hz sine of amplitude 0.5: measured amplitude {amplitude:.8}"
    );
}

#[test]
fn pure_sine_between_bins_has_thd_below_minus_120_db() {
    // 1 kHz at 48 kHz with 65536 points is bin 1365.33: not on a bin.
    let signal = sine(1_000.0, 0.5, SAMPLE_RATE, LENGTH);
    let report = measure(&signal, SAMPLE_RATE, 1_000.0);
    let thd = report.thd_ratio();
    println!(
        "pure 1 kHz sine (between bins): THD {thd:.3e} ({:.1} dB)",
        report.thd_db()
    );
    assert!(
        thd < 1e-6,
        "pure 1 kHz sine between bins: THD {thd:.3e}, must be < 1e-6"
    );
    let amplitude = report.fundamental_amplitude;
    assert!(
        (amplitude - 0.5).abs() < 1e-6,
        "pure 1 kHz sine of amplitude 0.5: measured amplitude {amplitude:.8}"
    );
}

#[test]
fn third_harmonic_at_minus_40_db_measures_minus_40_db_and_one_percent_thd() {
    let mut signal = sine(1_000.0, 0.5, SAMPLE_RATE, LENGTH);
    add_tone(&mut signal, 3_000.0, 0.5 * db_to_ratio(-40.0));
    let report = measure(&signal, SAMPLE_RATE, 1_000.0);
    let h3 = report.h3_db();
    let thd_percent = report.thd_percent();
    println!(
        "1 kHz + H3 at −40 dB: H3 {h3:.4} dB, THD {thd_percent:.5} %, H2 {:.1} dB",
        report.h2_db()
    );
    assert!(
        (h3 + 40.0).abs() <= 0.1,
        "H3 at −40 dB: measured {h3:.4} dB"
    );
    assert!(
        (thd_percent - 1.0).abs() <= 0.01,
        "H3 at −40 dB: THD {thd_percent:.5} %, expected 1 %"
    );
    assert!(
        report.h2_db() < -120.0,
        "no H2 added: measured {:.1} dB",
        report.h2_db()
    );
}

#[test]
fn harmonics_at_known_levels_measure_those_levels() {
    // H2 −30 dB, H5 −60 dB, H10 −90 dB on a 1 kHz fundamental (not on a bin).
    let mut signal = sine(1_000.0, 0.25, SAMPLE_RATE, LENGTH);
    let levels = [(2, -30.0), (5, -60.0), (10, -90.0)];
    for (harmonic, level_db) in levels {
        add_tone(
            &mut signal,
            1_000.0 * harmonic as f64,
            0.25 * db_to_ratio(level_db),
        );
    }
    let report = measure(&signal, SAMPLE_RATE, 1_000.0);
    for (harmonic, level_db) in levels {
        let measured = report.harmonic_db[harmonic];
        println!("H{harmonic} set to {level_db} dB: measured {measured:.4} dB");
        assert!(
            (measured - level_db).abs() <= 0.1,
            "H{harmonic} set to {level_db} dB: measured {measured:.4} dB"
        );
    }
    let expected_thd: f64 = levels
        .iter()
        .map(|(_, level_db)| db_to_ratio(*level_db).powi(2))
        .sum::<f64>()
        .sqrt();
    let thd = report.thd_ratio();
    assert!(
        (thd / expected_thd - 1.0).abs() < 0.01,
        "THD of H2 −30, H5 −60, H10 −90 dB: measured {thd:.6}, expected {expected_thd:.6}"
    );
}

#[test]
fn thd_plus_noise_of_a_sine_with_known_noise() {
    // White noise of RMS a/√3 with a = 1e-3 next to a sine of RMS 0.5/√2.
    let mut signal = sine(1_000.0, 0.5, SAMPLE_RATE, LENGTH);
    let noise = white_noise(7, 1e-3, LENGTH);
    for (sample, noise_sample) in signal.iter_mut().zip(&noise) {
        *sample += noise_sample;
    }
    let expected = (1e-3 / 3.0_f64.sqrt()) / (0.5 / 2.0_f64.sqrt());
    let measured = thd_plus_n_ratio(&signal, SAMPLE_RATE, 1_000.0);
    let error_db = 20.0 * (measured / expected).log10();
    println!(
        "THD+N of sine + white noise: {measured:.4e}, expected {expected:.4e} ({error_db:+.3} dB)"
    );
    assert!(
        error_db.abs() < 0.2,
        "THD+N of sine + white noise: measured {measured:.4e}, expected {expected:.4e}"
    );
    let pure = thd_plus_n_ratio(
        &sine(1_000.0, 0.5, SAMPLE_RATE, LENGTH),
        SAMPLE_RATE,
        1_000.0,
    );
    println!("THD+N of a pure f32 sine: {pure:.3e}");
    assert!(pure < 1e-6, "THD+N of a pure f32 sine: {pure:.3e}");
}

#[test]
fn non_harmonic_tone_at_minus_80_db_measures_minus_80_db_of_aliasing() {
    // 7 kHz at −6 dBFS with a 13 kHz tone (the alias of its 5th harmonic, 35 kHz) at −80 dB.
    let amplitude = db_to_ratio(-6.0);
    let mut signal = sine(7_000.0, amplitude as f32, SAMPLE_RATE, LENGTH);
    add_tone(&mut signal, 13_000.0, amplitude * db_to_ratio(-80.0));
    // A real harmonic (14 kHz) must not count.
    add_tone(&mut signal, 14_000.0, amplitude * db_to_ratio(-40.0));
    let measured = aliasing_db(&signal, SAMPLE_RATE, 7_000.0);
    println!("7 kHz + 13 kHz at −80 dB + H2 at −40 dB: aliasing {measured:.3} dB");
    assert!(
        (measured + 80.0).abs() <= 0.5,
        "7 kHz + non-harmonic tone at −80 dB: aliasing {measured:.3} dB"
    );
}

#[test]
fn pure_sine_has_no_aliasing() {
    let signal = sine(
        7_000.0,
        db_to_ratio(-6.0) as f32,
        SAMPLE_RATE,
        LENGTH + 1000,
    );
    let measured = aliasing_db(&signal, SAMPLE_RATE, 7_000.0);
    println!("pure 7 kHz sine (f32): aliasing floor {measured:.1} dB");
    assert!(
        measured < -120.0,
        "pure 7 kHz sine: aliasing floor {measured:.1} dB"
    );
}

#[test]
#[should_panic(expected = "at least 65536 samples")]
fn aliasing_refuses_short_signals() {
    aliasing_db(&sine(7_000.0, 0.5, SAMPLE_RATE, 4096), SAMPLE_RATE, 7_000.0);
}

#[test]
fn response_of_a_two_tap_fir_matches_its_formula() {
    // h = [0.5, 0.5]: H(f) = cos(πf/fs)·e^{−jπf/fs}.
    let response = FrequencyResponse::from_impulse(&[0.5, 0.5], SAMPLE_RATE);
    let mut worst_db = 0.0_f64;
    let mut worst_phase = 0.0_f64;
    for frequency in [20.0, 100.0, 1_000.0, 1_234.5, 10_000.0, 20_000.0] {
        let normalised = PI * frequency / SAMPLE_RATE;
        let expected_db = 20.0 * normalised.cos().log10();
        let expected_phase = -normalised;
        worst_db = worst_db.max((response.magnitude_db_at(frequency) - expected_db).abs());
        worst_phase = worst_phase.max((response.phase_at(frequency) - expected_phase).abs());
    }
    // Exact on the bins.
    let mut worst_bin_db = 0.0_f64;
    for (frequency, level_db) in response
        .bins()
        .take_while(|(frequency, _)| *frequency < 23_000.0)
    {
        let expected_db = 20.0 * (PI * frequency / SAMPLE_RATE).cos().log10();
        worst_bin_db = worst_bin_db.max((level_db - expected_db).abs());
    }
    println!(
        "2-tap FIR: worst magnitude error {worst_db:.2e} dB, phase {worst_phase:.2e} rad between bins; {worst_bin_db:.2e} dB on bins"
    );
    assert!(
        worst_db < 1e-3,
        "2-tap FIR magnitude: worst error {worst_db:.2e} dB"
    );
    assert!(
        worst_phase < 1e-6,
        "2-tap FIR phase: worst error {worst_phase:.2e} rad"
    );
    assert!(
        worst_bin_db < 1e-9,
        "2-tap FIR on bins: worst error {worst_bin_db:.2e} dB"
    );
}

#[test]
fn response_of_a_delay_has_linear_phase() {
    let mut impulse = vec![0.0_f32; 100];
    impulse[37] = 1.0;
    let response = FrequencyResponse::from_impulse(&impulse, SAMPLE_RATE);
    let frequency = 1_000.0;
    let expected = Complex::from_polar(1.0, -TAU * frequency * 37.0 / SAMPLE_RATE).arg();
    let measured = response.phase_at(frequency);
    let level = response.magnitude_db_at(frequency);
    println!(
        "37-sample delay at 1 kHz: phase {measured:.6} rad (expected {expected:.6}), {level:.2e} dB"
    );
    assert!(
        (measured - expected).abs() < 1e-3,
        "37-sample delay phase at 1 kHz: {measured:.6} rad, expected {expected:.6}"
    );
    assert!(
        level.abs() < 1e-9,
        "37-sample delay magnitude at 1 kHz: {level:.2e} dB"
    );
}

use realfft::num_complex::Complex64 as Complex;

#[test]
fn impulse_arrival_of_a_delayed_impulse_is_its_delay() {
    let mut response = vec![0.0_f32; 256];
    response[42] = -0.8;
    response[43] = 0.3;
    let arrival = impulse_arrival(&response);
    assert_eq!(arrival, 42, "impulse delayed 42 samples: arrival {arrival}");
    // A smeared arrival: rising ramp peaking at 60, half the peak first reached at 55.
    let mut smeared = vec![0.0_f32; 128];
    for (offset, sample) in smeared[50..=60].iter_mut().enumerate() {
        *sample = offset as f32 / 10.0;
    }
    let arrival = impulse_arrival(&smeared);
    assert_eq!(
        arrival, 55,
        "ramp peaking at 60: half-peak arrival {arrival}"
    );
}

#[test]
fn sine_generator_has_requested_frequency_and_amplitude() {
    let signal = sine(1_000.0, 0.25, SAMPLE_RATE, LENGTH);
    let peak = signal
        .iter()
        .fold(0.0_f32, |peak, sample| peak.max(sample.abs()));
    assert!((peak - 0.25).abs() < 1e-6, "sine 0.25: peak {peak}");
    assert!(
        signal[24].abs() < 1e-6,
        "1 kHz at 48 kHz: sample 24 is a zero crossing, got {}",
        signal[24]
    );
    assert!(
        (signal[12] - 0.25).abs() < 1e-7,
        "1 kHz at 48 kHz: sample 12 is the crest, got {}",
        signal[12]
    );
}

#[test]
fn log_sweep_starts_and_ends_at_requested_frequencies() {
    let length = 480_000;
    let sweep = log_sweep(20.0, 20_000.0, 1.0, SAMPLE_RATE, length);
    // Instantaneous frequency near the start from the first full period (upward zero crossings),
    // near the end from the number of upward crossings in the last 10 ms.
    let upward: Vec<usize> = sweep
        .windows(2)
        .enumerate()
        .filter(|(_, pair)| pair[0] <= 0.0 && pair[1] > 0.0)
        .map(|(index, _)| index)
        .take(2)
        .collect();
    let start = SAMPLE_RATE / (upward[1] - upward[0]) as f64;
    let end_window = 480;
    let end_crossings = sweep[length - end_window..]
        .windows(2)
        .filter(|pair| pair[0] <= 0.0 && pair[1] > 0.0)
        .count();
    let end = end_crossings as f64 / (end_window as f64 / SAMPLE_RATE);
    // Expected: 20 Hz rising to 20.7 Hz over the first period; 19.86–20 kHz over the last 10 ms.
    println!("log sweep 20 Hz → 20 kHz: first period {start:.2} Hz, last 10 ms {end:.0} Hz");
    assert!((20.0..20.7).contains(&start), "sweep start: {start:.2} Hz");
    assert!(
        (19_700.0..=20_100.0).contains(&end),
        "sweep end: {end:.0} Hz"
    );
}

#[test]
fn white_noise_is_deterministic_bounded_and_of_expected_rms() {
    let noise = white_noise(1234, 0.5, LENGTH);
    assert_eq!(
        noise,
        white_noise(1234, 0.5, LENGTH),
        "same seed must give the same noise"
    );
    assert_ne!(
        noise,
        white_noise(1235, 0.5, LENGTH),
        "different seeds must differ"
    );
    let peak = noise
        .iter()
        .fold(0.0_f32, |peak, sample| peak.max(sample.abs()));
    let rms = (noise
        .iter()
        .map(|sample| f64::from(*sample).powi(2))
        .sum::<f64>()
        / LENGTH as f64)
        .sqrt();
    let expected = 0.5 / 3.0_f64.sqrt();
    println!("white noise 0.5: peak {peak:.4}, RMS {rms:.5} (expected {expected:.5})");
    assert!(peak <= 0.5, "white noise 0.5: peak {peak}");
    assert!(
        (rms / expected - 1.0).abs() < 0.01,
        "white noise 0.5: RMS {rms:.5}, expected {expected:.5}"
    );
}

#[test]
fn pink_noise_has_requested_rms_and_falls_3_db_per_octave() {
    let length = 1 << 20;
    let noise = pink_noise(99, 0.1, length);
    let rms = (noise
        .iter()
        .map(|sample| f64::from(*sample).powi(2))
        .sum::<f64>()
        / length as f64)
        .sqrt();
    assert!(
        (rms - 0.1).abs() < 1e-5,
        "pink noise 0.1 RMS: measured {rms:.6}"
    );
    // Average the power spectrum over 64 segments and compare octave bands 100–200 Hz vs 6.4–12.8 kHz.
    let segment = 16_384;
    let mut band_power = [0.0_f64; 2];
    for chunk in noise.chunks_exact(segment) {
        let spectrum =
            gainstage_dsp::analysis::spectrum::PowerSpectrum::blackman_harris(chunk, SAMPLE_RATE);
        for (band, low) in [100.0, 6_400.0].into_iter().enumerate() {
            let bins = spectrum.nearest_bin(low)..spectrum.nearest_bin(2.0 * low);
            band_power[band] += spectrum.power[bins].iter().sum::<f64>();
        }
    }
    // Pink noise: equal power per octave.
    let difference_db = 10.0 * (band_power[1] / band_power[0]).log10();
    println!("pink noise: octave 6.4–12.8 kHz vs 100–200 Hz: {difference_db:+.2} dB (pink = 0 dB)");
    assert!(
        difference_db.abs() < 1.0,
        "pink noise octave balance: {difference_db:+.2} dB"
    );
}
