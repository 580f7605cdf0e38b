//! Gainstage Preamp through the project's CLAP host: the "Done when" figures of the preamp issue
//! measured on the real release bundle — unity and cleanliness at the defaults, gain accuracy,
//! phase invert, low-cut corner and slope, each model's harmonic character, aliasing at the
//! default and highest quality, auto-gain over every model × voicing × gain, click-free model and
//! A/B switching, reported vs. measured latency at every quality, and state of both A/B slots.
//!
//! Levels follow DESIGN.md: −18 dBFS RMS is nominal line level (+4 dBu), 0 dBFS is +22 dBu. The
//! measurements use `gainstage_dsp::analysis`, which implements DESIGN.md's definitions of THD,
//! THD+N, aliasing and latency.
//!
//! Parameter IDs: slot A's are unprefixed ("gain"), slot B's carry "b_" ("b_gain"); `ab`,
//! `autogain`, `quality` and `offline_quality` are global.

use gainstage_dsp::analysis::aliasing::aliasing_db;
use gainstage_dsp::analysis::generator::{pink_noise, sine};
use gainstage_dsp::analysis::harmonics::{HarmonicReport, measure, thd_plus_n_ratio};
use gainstage_dsp::analysis::latency::impulse_arrival;
use gainstage_dsp::analysis::response::FrequencyResponse;
use gainstage_tests::{Layout, ParamChange, Plugin, PluginUnderTest, signal};

const RATE: f64 = 48_000.0;
const BLOCK: usize = 512;
/// Nominal line level, dBFS RMS (+4 dBu).
const NOMINAL_DBFS: f64 = -18.0;
/// dBu of a 0 dBFS RMS signal (DESIGN.md: 0 dBFS peak = +22 dBu, and dBu are RMS figures).
const FULL_SCALE_DBU: f64 = 22.0;
/// The mic input's nominal gain: a −40 dBu source (−18 dBFS in) reaches +4 dBu at 44 dB.
const MIC_NOMINAL_GAIN_DB: f64 = 44.0;
/// Settling before a steady measurement: the model cross-fade is 20 ms, gain and tone smoothing
/// 12–15 ms time constants, the tube's bias shift a few tens of ms.
const SETTLE: usize = 14_400;
/// THD window at 1 kHz: 200 periods, so every harmonic sits on a bin.
const THD_WINDOW: usize = 9_600;
/// The preamp's four models as the host sees them.
const MODELS: [&str; 4] = ["Tube", "Solid-state", "Transparent", "Colour"];
/// The instrument voicings.
const VOICINGS: [&str; 7] = [
    "Flat",
    "Vocal",
    "Acoustic guitar",
    "Electric guitar",
    "Bass",
    "Keys/line",
    "Drums",
];
/// Every quality setting, the default (4× minimum phase) second.
const QUALITIES: [&str; 7] = [
    "2× minimum phase",
    "4× minimum phase",
    "8× minimum phase",
    "16× minimum phase",
    "4× linear phase",
    "8× linear phase",
    "16× linear phase",
];
/// Parameters each A/B slot holds (slot B's IDs carry the "b_" prefix).
const SLOT_PARAMS: [&str; 19] = [
    "model",
    "voicing",
    "input",
    "impedance",
    "pad",
    "gain",
    "output",
    "mix",
    "invert",
    "lowcut",
    "lowcut_freq",
    "lowcut_slope",
    "eq_low",
    "eq_mid",
    "eq_high",
    "eq_mid_freq",
    "eq_mid_q",
    "range",
    "noise",
];

// ----- helpers -----

/// Sets parameter `param` from display text; "on"/"off" set a toggle to its maximum/minimum CLAP
/// value (a toggle's display text may be "Inverted", "In" …).
fn set(instance: &mut PluginUnderTest, param: &str, text: &str) -> anyhow::Result<()> {
    let description = instance.param(param)?.clone();
    match text {
        "on" => instance.set_param(param, description.max_value),
        "off" => instance.set_param(param, description.min_value),
        _ => instance.set_param_text(param, text).map(|_| ()),
    }
}

/// A freshly loaded instance at 48 kHz with `settings` applied before activation.
fn preamp(layout: Layout, settings: &[(&str, &str)]) -> anyhow::Result<PluginUnderTest> {
    let mut instance = PluginUnderTest::load(Plugin::Preamp)?;
    for (param, text) in settings {
        set(&mut instance, param, text)?;
    }
    instance.activate(RATE, 1, BLOCK, layout)?;
    Ok(instance)
}

fn mono(instance: &mut PluginUnderTest, input: &[f32]) -> anyhow::Result<Vec<f32>> {
    Ok(instance.process(&[input], BLOCK)?.remove(0))
}

fn db(ratio: f64) -> f64 {
    20.0 * ratio.log10()
}

/// Normalised correlation Σab / √(Σa²·Σb²) of two equally long signals (no mean removal: the
/// signals compared here have no DC).
fn correlation(first: &[f32], second: &[f32]) -> f64 {
    let (mut cross, mut first_energy, mut second_energy) = (0.0, 0.0, 0.0);
    for (a, b) in first.iter().zip(second) {
        let (a, b) = (f64::from(*a), f64::from(*b));
        cross += a * b;
        first_energy += a * a;
        second_energy += b * b;
    }
    cross / (first_energy * second_energy).sqrt()
}

/// Largest sample-to-sample step.
fn largest_step(samples: &[f32]) -> f32 {
    samples
        .windows(2)
        .map(|pair| (pair[1] - pair[0]).abs())
        .fold(0.0, f32::max)
}

/// A running mono instance measuring steady tones at any input amplitude.
struct Bench {
    instance: PluginUnderTest,
}

impl Bench {
    fn new(settings: &[(&str, &str)]) -> anyhow::Result<Self> {
        Ok(Self {
            instance: preamp(Layout::Mono, settings)?,
        })
    }

    /// The steady output window of a sine of `frequency` Hz and peak `amplitude`, after settling.
    fn steady(
        &mut self,
        frequency: f64,
        amplitude: f64,
        settle: usize,
        window: usize,
    ) -> anyhow::Result<Vec<f32>> {
        let input = sine(frequency, amplitude as f32, RATE, settle + window);
        let output = mono(&mut self.instance, &input)?;
        Ok(output[settle..].to_vec())
    }

    /// Harmonics of a 1 kHz sine of peak `amplitude`.
    fn harmonics_1k(&mut self, amplitude: f64) -> anyhow::Result<HarmonicReport> {
        let window = self.steady(1_000.0, amplitude, SETTLE, THD_WINDOW)?;
        Ok(measure(&window, RATE, 1_000.0))
    }

    /// The peak input amplitude of a 1 kHz sine at which THD crosses `target` (a ratio): 6 dB
    /// steps up from −40 dBFS, then six bisections (≈ 0.1 dB). Returns it with its report.
    fn level_for_thd(&mut self, target: f64) -> anyhow::Result<(f64, HarmonicReport)> {
        let mut below = 0.01;
        let mut above = None;
        let mut amplitude = below;
        while amplitude <= 1_000.0 {
            if self.harmonics_1k(amplitude)?.thd_ratio() >= target {
                above = Some(amplitude);
                break;
            }
            below = amplitude;
            amplitude *= 2.0;
        }
        let mut above = above.ok_or_else(|| {
            anyhow::anyhow!("THD never reached {:.1} % up to +60 dBFS", target * 100.0)
        })?;
        for _ in 0..6 {
            let middle = (below * above).sqrt();
            if self.harmonics_1k(middle)?.thd_ratio() >= target {
                above = middle;
            } else {
                below = middle;
            }
        }
        let level = (below * above).sqrt();
        Ok((level, self.harmonics_1k(level)?))
    }
}

/// Peak amplitude → dBFS of the sine's RMS (the scale the project's levels are quoted on).
fn sine_rms_dbfs(amplitude: f64) -> f64 {
    db(amplitude / std::f64::consts::SQRT_2)
}

// ----- defaults -----

/// Freshly inserted (every default, stereo): −18 dBFS pink noise comes out within ±1 dB and a
/// −18 dBFS 1 kHz sine has THD < 0.1 %.
#[test]
fn fresh_instance_is_unity_and_clean_on_nominal_material() -> anyhow::Result<()> {
    let mut instance = preamp(Layout::Stereo, &[])?;
    let length = 96_000;
    let noise = [
        pink_noise(11, signal::db_to_gain(NOMINAL_DBFS) as f32, length),
        pink_noise(12, signal::db_to_gain(NOMINAL_DBFS) as f32, length),
    ];
    let output = instance.process(&noise, BLOCK)?;
    for (channel, (input, output)) in noise.iter().zip(&output).enumerate() {
        let change = signal::rms_dbfs(&output[SETTLE..]) - signal::rms_dbfs(&input[SETTLE..]);
        println!(
            "defaults, channel {channel}: −18 dBFS pink noise out at {:.2} dBFS ({change:+.3} dB)",
            signal::rms_dbfs(&output[SETTLE..])
        );
        assert!(
            change.abs() <= 1.0,
            "defaults, channel {channel}: pink noise level changes by {change:+.3} dB (±1 dB)"
        );
    }
    let tone = signal::sine(1_000.0, NOMINAL_DBFS, RATE, SETTLE + 48_000);
    let output = instance.process(&[&tone, &tone], BLOCK)?;
    for (channel, output) in output.iter().enumerate() {
        let report = measure(&output[SETTLE..], RATE, 1_000.0);
        println!(
            "defaults, channel {channel}: −18 dBFS 1 kHz sine THD {:.5} % (H2 {:.1} dB, H3 {:.1} dB)",
            report.thd_percent(),
            report.h2_db(),
            report.h3_db()
        );
        assert!(
            report.thd_percent() < 0.1,
            "defaults, channel {channel}: THD {:.4} % at −18 dBFS (< 0.1 %)",
            report.thd_percent()
        );
    }
    Ok(())
}

// ----- gain, phase, low-cut -----

/// Transparent, mic input (nominal gain 44 dB): a −40 dBFS 1 kHz sine comes out at
/// −40 + gain − 44 dBFS within ±0.2 dB for gain 0 to 60 dB in 6 dB steps.
#[test]
fn gain_is_accurate_from_0_to_60_db_on_transparent() -> anyhow::Result<()> {
    let mut instance = preamp(Layout::Mono, &[("model", "Transparent"), ("input", "Mic")])?;
    let input_dbfs = -40.0;
    let tone = signal::sine(1_000.0, input_dbfs, RATE, SETTLE + THD_WINDOW);
    let mut worst: f64 = 0.0;
    for gain in (0..=60).step_by(6) {
        set(&mut instance, "gain", &format!("{gain} dB"))?;
        let output = mono(&mut instance, &tone)?;
        let measured = signal::rms_dbfs(&output[SETTLE..]) - input_dbfs;
        let expected = f64::from(gain) - MIC_NOMINAL_GAIN_DB;
        let error = measured - expected;
        println!(
            "gain {gain:2} dB (mic): {measured:+.3} dB, expected {expected:+.1} ({error:+.3} dB)"
        );
        if error.abs() > worst.abs() {
            worst = error;
        }
    }
    println!("gain 0–60 dB: worst error {worst:+.3} dB");
    assert!(
        worst.abs() <= 0.2,
        "gain accuracy: worst error {worst:+.3} dB (±0.2 dB)"
    );
    Ok(())
}

/// Phase invert on nominal pink noise (Transparent, defaults): the inverted output correlates at
/// −1 (within 1e-3) with the output of the same instance settings without the invert.
///
/// The comparison is with the non-inverted output rather than the input because the path itself
/// is not a wire: its 1 Hz DC blocker and the oversampling filters' phase already take the
/// output's correlation with the input below 1 on pink noise (printed for information, aligned
/// at the lag of best correlation).
#[test]
fn phase_invert_gives_correlation_minus_one() -> anyhow::Result<()> {
    let noise = pink_noise(21, signal::db_to_gain(NOMINAL_DBFS) as f32, 48_000 + SETTLE);
    let normal = mono(&mut preamp(Layout::Mono, &[])?, &noise)?;
    let inverted = mono(&mut preamp(Layout::Mono, &[("invert", "on")])?, &noise)?;
    let against_normal = correlation(&inverted[SETTLE..], &normal[SETTLE..]);
    let (lag, against_input) = (0..64)
        .map(|lag| {
            let length = noise.len() - SETTLE - lag;
            let aligned = &inverted[SETTLE + lag..SETTLE + lag + length];
            (lag, correlation(aligned, &noise[SETTLE..SETTLE + length]))
        })
        .fold((0, 0.0_f64), |best, candidate| {
            if candidate.1.abs() > best.1.abs() {
                candidate
            } else {
                best
            }
        });
    println!(
        "phase invert: correlation {against_normal:.7} with the non-inverted output; \
         {against_input:.4} with the input at its best lag ({lag} samples)"
    );
    assert!(
        (against_normal + 1.0).abs() <= 1e-3,
        "phase invert: correlation with the non-inverted output {against_normal:.6} (−1 ± 1e-3)"
    );
    Ok(())
}

/// Small-signal magnitude response of an instance with `settings`, from an impulse.
fn impulse_response(settings: &[(&str, &str)], length: usize) -> anyhow::Result<FrequencyResponse> {
    const IMPULSE: f32 = 0.1;
    let mut instance = preamp(Layout::Mono, settings)?;
    let mut impulse = vec![0.0_f32; length];
    impulse[0] = IMPULSE;
    let response: Vec<f32> = mono(&mut instance, &impulse)?
        .iter()
        .map(|sample| sample / IMPULSE)
        .collect();
    Ok(FrequencyResponse::from_impulse(&response, RATE))
}

/// Low-cut at 20, 80, 160 and 400 Hz, 12 and 18 dB/oct: the −3 dB point (re 5 kHz) is within 5 %
/// of the setting and one octave below it the response is down 12 or 18 dB within ±1.5 dB.
#[test]
fn low_cut_corner_and_slope_follow_the_settings() -> anyhow::Result<()> {
    for (slope_text, octave_db) in [("12 dB/oct", 12.0), ("18 dB/oct", 18.0)] {
        for corner in [20.0, 80.0, 160.0, 400.0] {
            let corner_text = format!("{corner} Hz");
            let response = impulse_response(
                &[
                    ("lowcut", "on"),
                    ("lowcut_freq", &corner_text),
                    ("lowcut_slope", slope_text),
                ],
                65_536,
            )?;
            let reference = response.magnitude_db_at(5_000.0);
            let relative = |frequency: f64| response.magnitude_db_at(frequency) - reference;
            // The −3.01 dB point: scan up from two octaves below, then bisect.
            let half_power = -10.0 * 2f64.log10();
            let mut below = corner / 4.0;
            let mut above = below;
            while relative(above) < half_power && above < corner * 4.0 {
                below = above;
                above *= 1.02;
            }
            for _ in 0..30 {
                let middle = (below * above).sqrt();
                if relative(middle) < half_power {
                    below = middle;
                } else {
                    above = middle;
                }
            }
            let measured_corner = (below * above).sqrt();
            let corner_error = measured_corner / corner - 1.0;
            let octave_below = -relative(corner / 2.0);
            println!(
                "low-cut {corner} Hz {slope_text}: −3 dB at {measured_corner:.2} Hz \
                 ({:+.2} %), {octave_below:.2} dB down an octave below",
                corner_error * 100.0
            );
            assert!(
                corner_error.abs() <= 0.05,
                "low-cut {corner} Hz {slope_text}: −3 dB at {measured_corner:.2} Hz (±5 %)"
            );
            assert!(
                (octave_below - octave_db).abs() <= 1.5,
                "low-cut {corner} Hz {slope_text}: {octave_below:.2} dB down at {} Hz \
                 ({octave_db} ± 1.5 dB)",
                corner / 2.0
            );
        }
    }
    Ok(())
}

// ----- character -----

/// The level of ~3 % THD at 1 kHz for `model` (line input, gain 0 dB, defaults otherwise).
fn three_percent(model: &str) -> anyhow::Result<(Bench, f64, HarmonicReport)> {
    let mut bench = Bench::new(&[("model", model)])?;
    let (level, report) = bench.level_for_thd(0.03)?;
    println!(
        "{model}: THD {:.2} % at {:+.2} dBFS in (1 kHz): H2 {:.1} dB, H3 {:.1} dB re the fundamental",
        report.thd_percent(),
        sine_rms_dbfs(level),
        report.h2_db(),
        report.h3_db()
    );
    Ok((bench, level, report))
}

#[test]
fn tube_is_even_dominant_at_3_percent_thd() -> anyhow::Result<()> {
    let (_, _, report) = three_percent("Tube")?;
    assert!(
        report.h2_db() >= report.h3_db() + 6.0,
        "Tube at {:.2} % THD: H2 {:.1} dB, H3 {:.1} dB (H2 ≥ H3 + 6)",
        report.thd_percent(),
        report.h2_db(),
        report.h3_db()
    );
    Ok(())
}

#[test]
fn solid_state_is_odd_dominant_at_3_percent_thd() -> anyhow::Result<()> {
    let (_, _, report) = three_percent("Solid-state")?;
    assert!(
        report.h3_db() >= report.h2_db() + 15.0,
        "Solid-state at {:.2} % THD: H3 {:.1} dB, H2 {:.1} dB (H3 ≥ H2 + 15)",
        report.thd_percent(),
        report.h3_db(),
        report.h2_db()
    );
    Ok(())
}

/// Colour: at the input level of 3 % THD at 1 kHz, a 50 Hz sine's H3 is at least 12 dB higher
/// (transformer flux grows as frequency falls).
#[test]
fn colour_third_harmonic_grows_toward_the_bass() -> anyhow::Result<()> {
    let (mut bench, level, report) = three_percent("Colour")?;
    let bass = measure(&bench.steady(50.0, level, 24_000, 48_000)?, RATE, 50.0);
    println!(
        "Colour at {:+.2} dBFS in: H3 {:.1} dB at 50 Hz (THD {:.2} %), {:.1} dB at 1 kHz",
        sine_rms_dbfs(level),
        bass.h3_db(),
        bass.thd_percent(),
        report.h3_db()
    );
    assert!(
        bass.h3_db() >= report.h3_db() + 12.0,
        "Colour: H3 {:.1} dB at 50 Hz vs {:.1} dB at 1 kHz (≥ +12 dB)",
        bass.h3_db(),
        report.h3_db()
    );
    Ok(())
}

/// Transparent, line input at 0 dB: a 1 kHz sine at +18 dBu out (−4 dBFS) has THD+N ≤ 0.001 %.
#[test]
fn transparent_thd_plus_n_at_plus_18_dbu_out() -> anyhow::Result<()> {
    let mut bench = Bench::new(&[("model", "Transparent"), ("input", "Line")])?;
    let amplitude = signal::db_to_gain(18.0 - FULL_SCALE_DBU) * std::f64::consts::SQRT_2;
    let output = bench.steady(1_000.0, amplitude, SETTLE, 65_536)?;
    let out_dbu = signal::rms_dbfs(&output) + FULL_SCALE_DBU;
    let thd_n = thd_plus_n_ratio(&output, RATE, 1_000.0) * 100.0;
    let report = measure(&output, RATE, 1_000.0);
    println!(
        "Transparent at {out_dbu:+.2} dBu out: THD+N {thd_n:.6} % (THD {:.6} %: H2 {:.1} dB, H3 {:.1} dB)",
        report.thd_percent(),
        report.h2_db(),
        report.h3_db()
    );
    assert!(
        (out_dbu - 18.0).abs() <= 0.5,
        "Transparent: output at {out_dbu:+.2} dBu, expected +18"
    );
    assert!(
        thd_n <= 0.001,
        "Transparent at +18 dBu: THD+N {thd_n:.6} % (≤ 0.001 %)"
    );
    Ok(())
}

// ----- aliasing -----

/// DESIGN.md aliasing of `model` at `quality`: a 7 kHz sine at the input level that gives ~5 %
/// THD at 1 kHz, EQ neutral and low-cut off (the defaults), 65536 steady samples.
fn aliasing(model: &str, quality: &str) -> anyhow::Result<f64> {
    let mut bench = Bench::new(&[("model", model), ("quality", quality)])?;
    let (level, report) = bench.level_for_thd(0.05)?;
    let output = bench.steady(7_000.0, level, 24_000, 65_536)?;
    let aliasing = aliasing_db(&output, RATE, 7_000.0);
    println!(
        "{model}, {quality}: 1 kHz THD {:.2} % at {:+.2} dBFS in; 7 kHz there aliases at {aliasing:.1} dB",
        report.thd_percent(),
        sine_rms_dbfs(level)
    );
    Ok(aliasing)
}

fn check_aliasing(model: &str, quality: &str, limit_db: f64) -> anyhow::Result<()> {
    let measured = aliasing(model, quality)?;
    assert!(
        measured <= limit_db,
        "{model}, {quality}: aliasing {measured:.1} dB (≤ {limit_db} dB)"
    );
    Ok(())
}

#[test]
fn tube_aliasing_at_default_quality() -> anyhow::Result<()> {
    check_aliasing("Tube", "4× minimum phase", -90.0)
}

#[test]
fn solid_state_aliasing_at_default_quality() -> anyhow::Result<()> {
    check_aliasing("Solid-state", "4× minimum phase", -90.0)
}

#[test]
fn transparent_aliasing_at_default_quality() -> anyhow::Result<()> {
    check_aliasing("Transparent", "4× minimum phase", -90.0)
}

#[test]
fn colour_aliasing_at_default_quality() -> anyhow::Result<()> {
    check_aliasing("Colour", "4× minimum phase", -90.0)
}

#[test]
fn tube_aliasing_at_highest_quality() -> anyhow::Result<()> {
    check_aliasing("Tube", "16× linear phase", -110.0)
}

#[test]
fn solid_state_aliasing_at_highest_quality() -> anyhow::Result<()> {
    check_aliasing("Solid-state", "16× linear phase", -110.0)
}

#[test]
fn transparent_aliasing_at_highest_quality() -> anyhow::Result<()> {
    check_aliasing("Transparent", "16× linear phase", -110.0)
}

#[test]
fn colour_aliasing_at_highest_quality() -> anyhow::Result<()> {
    check_aliasing("Colour", "16× linear phase", -110.0)
}

// ----- auto-gain -----

/// Auto-gain on, `model`: −18 dBFS pink noise through every voicing × gain {0, 20, 40, 60} dB
/// comes out within ±1 dB RMS of its input. One instance per voicing (so a lasting effect of a
/// voicing change, checked on its own by `a_voicing_change_leaves_no_lasting_residue`, does not
/// count here); the gain is stepped up while it runs.
fn check_auto_gain(model: &str) -> anyhow::Result<()> {
    // After a gain step the 1 Hz DC blocker's tail (τ = 0.16 s) carries the old level's offset,
    // which auto-gain scales: give it a second to fall away.
    let settle = 48_000;
    let noise = pink_noise(31, signal::db_to_gain(NOMINAL_DBFS) as f32, settle + 36_000);
    let input_dbfs = signal::rms_dbfs(&noise[settle..]);
    let mut failures = Vec::new();
    let mut worst: f64 = 0.0;
    for voicing in VOICINGS {
        let mut instance = preamp(
            Layout::Mono,
            &[("model", model), ("voicing", voicing), ("autogain", "on")],
        )?;
        let mut row = Vec::new();
        for gain in [0, 20, 40, 60] {
            set(&mut instance, "gain", &format!("{gain} dB"))?;
            let output = mono(&mut instance, &noise)?;
            let change = signal::rms_dbfs(&output[settle..]) - input_dbfs;
            row.push(format!("{gain} dB: {change:+.2}"));
            if change.abs() > worst.abs() {
                worst = change;
            }
            if change.abs() > 1.0 {
                failures.push(format!("{voicing} at {gain} dB: {change:+.2} dB"));
            }
        }
        println!("auto-gain {model}, {voicing}: {}", row.join(", "));
    }
    println!("auto-gain {model}: worst {worst:+.2} dB");
    assert!(
        failures.is_empty(),
        "auto-gain {model}: output level off by more than ±1 dB for {failures:?}"
    );
    Ok(())
}

#[test]
fn auto_gain_matches_loudness_on_tube() -> anyhow::Result<()> {
    check_auto_gain("Tube")
}

#[test]
fn auto_gain_matches_loudness_on_solid_state() -> anyhow::Result<()> {
    check_auto_gain("Solid-state")
}

#[test]
fn auto_gain_matches_loudness_on_transparent() -> anyhow::Result<()> {
    check_auto_gain("Transparent")
}

#[test]
fn auto_gain_matches_loudness_on_colour() -> anyhow::Result<()> {
    check_auto_gain("Colour")
}

/// Walking one running instance (Transparent, line input, gain 0 dB) through every voicing and
/// back to Flat: 1.5 s after each change its output on −18 dBFS pink noise equals that of a fresh
/// instance at the new voicing within −60 dB (RMS of the difference re the output). The
/// source-loading filters are linear and the level does not change (the input type is fixed), so
/// whatever the previous voicing left in their state, and the 1 Hz DC blocker's tail (τ = 0.16 s,
/// −80 dB after 1.5 s), must have died away.
#[test]
fn a_voicing_change_leaves_no_lasting_residue() -> anyhow::Result<()> {
    let settle = 72_000;
    let noise = pink_noise(51, signal::db_to_gain(NOMINAL_DBFS) as f32, settle + 24_000);
    let mut running = preamp(Layout::Mono, &[("input", "Line")])?;
    mono(&mut running, &noise)?;
    let mut failures = Vec::new();
    let mut previous = "Flat";
    for voicing in VOICINGS.iter().skip(1).chain(&["Flat"]) {
        set(&mut running, "voicing", voicing)?;
        let changed = mono(&mut running, &noise)?;
        let fresh = mono(
            &mut preamp(Layout::Mono, &[("input", "Line"), ("voicing", voicing)])?,
            &noise,
        )?;
        let difference: Vec<f32> = changed[settle..]
            .iter()
            .zip(&fresh[settle..])
            .map(|(a, b)| a - b)
            .collect();
        let residue = signal::rms_dbfs(&difference) - signal::rms_dbfs(&fresh[settle..]);
        println!("{previous} → {voicing}: residue {residue:.1} dB re the output after 1.5 s");
        if residue > -60.0 {
            failures.push(format!("{previous} → {voicing}: {residue:.1} dB"));
        }
        previous = voicing;
    }
    assert!(
        failures.is_empty(),
        "voicing changes leave a lasting residue (> −60 dB): {failures:?}"
    );
    Ok(())
}

// ----- switching -----

/// The largest step of a settled −18 dBFS 100 Hz sine through an instance with `settings`.
fn steady_step(settings: &[(&str, &str)]) -> anyhow::Result<f32> {
    let tone = signal::sine(100.0, NOMINAL_DBFS, RATE, SETTLE + 9_600);
    let output = mono(&mut preamp(Layout::Mono, settings)?, &tone)?;
    Ok(largest_step(&output[SETTLE..]))
}

/// Sends `values` (parameter, display text) in turn, one every 50 ms from 0.3 s on, into a
/// −18 dBFS 100 Hz sine, and returns the largest step after the first 0.3 s.
fn switched_step(
    settings: &[(&str, &str)],
    param: &str,
    values: &[&str],
) -> anyhow::Result<(f32, usize)> {
    const SWITCH_EVERY: usize = 2_400;
    let mut instance = preamp(Layout::Mono, settings)?;
    let param_id = instance.param(param)?.id;
    let clap_values: Vec<f64> = values
        .iter()
        .map(|text| instance.text_to_value(param, text))
        .collect::<anyhow::Result<_>>()?;
    let start = SETTLE;
    let length = start + 40 * SWITCH_EVERY;
    let changes: Vec<ParamChange> = (0..40)
        .map(|index| ParamChange {
            frame: start + index * SWITCH_EVERY,
            param_id,
            value: clap_values[(index + 1) % clap_values.len()],
        })
        .collect();
    let tone = signal::sine(100.0, NOMINAL_DBFS, RATE, length);
    let output = instance
        .process_with_changes(&[&tone], BLOCK, &changes)?
        .remove(0);
    Ok((largest_step(&output[start..]), changes.len()))
}

/// Switching the model every 50 ms (Tube → Solid-state → Transparent → Colour …) on a −18 dBFS
/// 100 Hz sine: no step larger than twice the largest step of any model's steady output.
#[test]
fn switching_the_model_every_50_ms_does_not_click() -> anyhow::Result<()> {
    let mut steady: f32 = 0.0;
    for model in MODELS {
        let step = steady_step(&[("model", model)])?;
        println!("{model}: steady 100 Hz largest step {step:.5}");
        steady = steady.max(step);
    }
    let (worst, switches) = switched_step(&[("model", "Tube")], "model", &MODELS)?;
    println!(
        "model switched {switches} times: largest step {worst:.5} ({:.2}× the steady {steady:.5})",
        worst / steady
    );
    assert!(
        worst <= 2.0 * steady,
        "model switching clicked: step {worst:.5} vs steady {steady:.5} (≤ 2×)"
    );
    Ok(())
}

/// Slot B set to Tube at +6 dB gain, slot A at the defaults (Transparent, 0 dB): switching A/B
/// every 50 ms gives no step larger than twice the larger of the two slots' steady steps.
#[test]
fn switching_a_b_every_50_ms_does_not_click() -> anyhow::Result<()> {
    let slot_b = [("b_model", "Tube"), ("b_gain", "6 dB")];
    let steady_a = steady_step(&slot_b)?;
    let steady_b = steady_step(&[slot_b[0], slot_b[1], ("ab", "B")])?;
    let steady = steady_a.max(steady_b);
    let (worst, switches) = switched_step(&slot_b, "ab", &["A", "B"])?;
    println!(
        "A/B: steady steps A {steady_a:.5}, B {steady_b:.5}; switched {switches} times: \
         largest step {worst:.5} ({:.2}× the steady {steady:.5})",
        worst / steady
    );
    assert!(
        worst <= 2.0 * steady,
        "A/B switching clicked: step {worst:.5} vs steady {steady:.5} (≤ 2×)"
    );
    Ok(())
}

// ----- latency -----

/// At every quality the latency reported through `clap.latency` equals the measured delay (the
/// first output sample reaching half the peak of an impulse's response).
#[test]
fn reported_latency_equals_measured_latency_at_every_quality() -> anyhow::Result<()> {
    let mut mismatches = Vec::new();
    for quality in QUALITIES {
        let mut instance = preamp(Layout::Mono, &[("quality", quality)])?;
        let reported = instance.latency() as usize;
        let mut impulse = vec![0.0_f32; 8_192];
        impulse[0] = 0.1;
        let measured = impulse_arrival(&mono(&mut instance, &impulse)?);
        println!("{quality}: reported {reported}, measured {measured} samples");
        if reported != measured {
            mismatches.push(format!(
                "{quality}: reported {reported}, measured {measured}"
            ));
        }
    }
    assert!(mismatches.is_empty(), "latency mismatches: {mismatches:?}");
    Ok(())
}

// ----- state -----

/// A valid CLAP value of `param` away from its default: the next step for a stepped parameter,
/// otherwise a third of the range away; snapped to the plugin's grid by a text round trip.
fn value_away_from_default(instance: &mut PluginUnderTest, param: &str) -> anyhow::Result<f64> {
    let description = instance.param(param)?.clone();
    let range = description.max_value - description.min_value;
    let candidate = if description.is_stepped() {
        let next = description.default_value + 1.0;
        if next <= description.max_value {
            next
        } else {
            description.min_value
        }
    } else if description.default_value + range / 3.0 <= description.max_value {
        description.default_value + range / 3.0
    } else {
        description.default_value - range / 3.0
    };
    let text = instance.value_to_text(param, candidate)?;
    instance.text_to_value(param, &text)
}

/// Every parameter of both slots (and the global ones but bypass) set away from its default,
/// saved, and loaded into a fresh instance: every value reads back, and the two instances give
/// bit-identical output on slot B (selected when saved) and then on slot A.
#[test]
fn every_parameter_of_both_slots_survives_save_and_reload() -> anyhow::Result<()> {
    let mut original = PluginUnderTest::load(Plugin::Preamp)?;
    let mut missing = Vec::new();
    for param in SLOT_PARAMS {
        for id in [param.to_owned(), format!("b_{param}")] {
            if original.param(&id).is_err() {
                missing.push(id);
            }
        }
    }
    assert!(missing.is_empty(), "slot parameters missing: {missing:?}");
    let names: Vec<String> = original
        .params()
        .iter()
        .filter(|param| !param.is_bypass())
        .map(|param| param.name.clone())
        .collect();
    let mut values = Vec::new();
    for name in &names {
        let value = value_away_from_default(&mut original, name)?;
        original.set_param(name, value)?;
        values.push(value);
    }
    // Slot B selected when saved (its default is A).
    set(&mut original, "ab", "B")?;
    let state = original.save_state()?;
    let mut restored = PluginUnderTest::load(Plugin::Preamp)?;
    restored.load_state(&state)?;
    let mut differing = Vec::new();
    for name in &names {
        let (saved, loaded) = (original.param_value(name)?, restored.param_value(name)?);
        if (saved - loaded).abs() > 1e-9 {
            differing.push(format!("{name}: saved {saved}, restored {loaded}"));
        }
    }
    println!(
        "{} parameters set away from their defaults; {} bytes of state",
        names.len(),
        state.len()
    );
    assert!(
        differing.is_empty(),
        "restored values differ: {differing:?}"
    );

    let mut input = signal::sine(220.0, -24.0, RATE, 24_000);
    for (sample, noise) in input.iter_mut().zip(pink_noise(41, 0.02, 24_000)) {
        *sample += noise;
    }
    let mut outputs = [Vec::new(), Vec::new()];
    for (instance, output) in [&mut original, &mut restored].into_iter().zip(&mut outputs) {
        instance.activate(RATE, 1, BLOCK, Layout::Mono)?;
        output.extend(mono(instance, &input)?);
        set(instance, "ab", "A")?;
        output.extend(mono(instance, &input)?);
    }
    let difference = outputs[0]
        .iter()
        .zip(&outputs[1])
        .map(|(a, b)| (a - b).abs())
        .fold(0.0_f32, f32::max);
    println!(
        "original vs restored, slot B then A: largest difference {difference:e} \
         (output RMS {:.1} dBFS)",
        signal::rms_dbfs(&outputs[0])
    );
    assert!(
        difference == 0.0 && signal::all_finite(&outputs[0]),
        "restored instance plays differently: largest difference {difference:e}"
    );
    Ok(())
}
