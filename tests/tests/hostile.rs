//! Hostile input and hostile state (issue 7, items 3 and 4), through the release CLAP bundles.
//!
//! - Hostile input: at 48 kHz stereo and the hottest input setting, half a second each of NaN,
//!   ±∞, ±1e30, denormals, full-scale DC, square and impulses, and silence, each followed by half
//!   a second of a −18 dBFS 1 kHz sine. The output must stay finite and bounded, and the sine must
//!   come out within 1 dB RMS of a fresh instance's within 100 ms.
//! - Hostile state: a seeded fuzz of at least 10 000 blobs per plugin (every truncation of a real
//!   state, random bytes, byte flips), a future-version state, and well-formed states with float
//!   values far out of range. Nothing may crash or panic across the FFI boundary; a rejected blob
//!   must leave every parameter exactly as it was; an accepted corrupt one must not be applied in
//!   part; a future version must leave the settings untouched; out-of-range values must not reach
//!   the audio as NaN or ∞.
//!
//! The instance under fuzz holds settings B, which differ in every parameter from the settings A
//! the mutated blob was saved with, so "untouched" (all B) and "applied in part" (some B, some
//! not) can be told apart by reading the parameters back through `clap.params`.

use gainstage_tests::{Layout, ParamDescription, Plugin, PluginUnderTest, signal};

const SAMPLE_RATE: f64 = 48_000.0;
const BLOCK_SIZE: usize = 512;
/// Half a second: the length of every hostile segment and of every sane sine after it.
const SEGMENT: usize = 24_000;
/// The sane input: 1 kHz at nominal line level.
const TONE_HZ: f64 = 1_000.0;
const TONE_DBFS: f64 = -18.0;
/// The recovery limit: normal output within 100 ms of the input becoming sane.
const RECOVERY_LIMIT: usize = 4_800;
/// The RMS window compared with the fresh instance: the 100 ms after the recovery limit.
const COMPARE_WINDOW: usize = 4_800;
/// Largest RMS difference from the fresh instance that counts as "normal output".
const RECOVERY_TOLERANCE_DB: f64 = 1.0;
/// Largest |sample| allowed at any time, hostile part included. Both plugins' outputs are scaled
/// so that full-scale drive lands near 0 dBFS; 1e4 (+80 dBFS) catches any runaway or blow-up
/// while leaving room for an honest overload.
const OUTPUT_BOUND: f32 = 1.0e4;
/// A tighter tolerance, only reported, to show how fully each plugin has recovered.
const FINE_RECOVERY_TOLERANCE_DB: f64 = 0.1;
/// Step of the recovery-time search.
const RECOVERY_STEP: usize = 48;

/// A hostile input kind: its name and its samples for one segment.
fn hostile_inputs() -> Vec<(&'static str, Vec<f32>)> {
    let constant = |value: f32| vec![value; SEGMENT];
    // 100 Hz full-scale square.
    let square = (0..SEGMENT)
        .map(|index| if (index / 240) % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    // A full-scale impulse every 10 ms, alternating in sign.
    let impulses = (0..SEGMENT)
        .map(|index| match index % 960 {
            0 if (index / 960) % 2 == 0 => 1.0,
            0 => -1.0,
            _ => 0.0,
        })
        .collect();
    vec![
        ("NaN", constant(f32::NAN)),
        ("+Inf", constant(f32::INFINITY)),
        ("-Inf", constant(f32::NEG_INFINITY)),
        ("+1e30", constant(1.0e30)),
        ("-1e30", constant(-1.0e30)),
        ("denormal 1e-40", constant(1.0e-40)),
        ("DC +1.0", constant(1.0)),
        ("square 100 Hz ±1.0", square),
        ("impulses ±1.0 every 10 ms", impulses),
        ("silence", constant(0.0)),
    ]
}

/// An instance at 48 kHz stereo with the hottest input setting the plugin offers.
fn hottest_instance(plugin: Plugin) -> anyhow::Result<PluginUnderTest> {
    let mut instance = PluginUnderTest::load(plugin)?;
    let settings: &[(&str, &str)] = match plugin {
        // Slot A is the active slot by default; 60 dB is the top of the gain range.
        Plugin::Preamp => &[("gain", "60 dB")],
        // +24 dB input gain (the top) into the most sensitive setting, −10 dBu for rated power.
        Plugin::PowerAmp => &[("input", "24 dB"), ("sens", "-10 dBu")],
    };
    for (param, text) in settings {
        let value = instance.set_param_text(param, text)?;
        let max_value = instance.param(param)?.max_value;
        let min_value = instance.param(param)?.min_value;
        let expected = if *param == "sens" {
            min_value
        } else {
            max_value
        };
        assert!(
            (value - expected).abs() < 1e-6,
            "{plugin:?} {param:?} = {text:?} should be the hottest end of the range, CLAP value \
             {expected}; got {value}"
        );
    }
    instance.activate(SAMPLE_RATE, 1, BLOCK_SIZE, Layout::Stereo)?;
    Ok(instance)
}

fn rms_difference_db(output: &[f32], reference: &[f32]) -> f64 {
    signal::rms_dbfs(output) - signal::rms_dbfs(reference)
}

fn check_hostile_input(plugin: Plugin) -> anyhow::Result<()> {
    let tone = signal::sine(TONE_HZ, TONE_DBFS, SAMPLE_RATE, SEGMENT);
    let mut reference = hottest_instance(plugin)?;
    let reference_output = reference.process(&[tone.clone(), tone.clone()], BLOCK_SIZE)?;
    for channel in &reference_output {
        assert!(
            signal::all_finite(channel),
            "{plugin:?}: fresh instance gave non-finite output on the sine"
        );
    }
    println!(
        "{plugin:?}: fresh instance at the hottest setting, sine window {}..{} ms: {:.2} dBFS RMS",
        RECOVERY_LIMIT / 48,
        (RECOVERY_LIMIT + COMPARE_WINDOW) / 48,
        signal::rms_dbfs(&reference_output[0][RECOVERY_LIMIT..RECOVERY_LIMIT + COMPARE_WINDOW])
    );

    // One instance takes every hostile kind in turn, as in a long session.
    let mut instance = hottest_instance(plugin)?;
    let mut failures = Vec::new();
    for (name, hostile) in hostile_inputs() {
        let hostile_output = instance.process(&[hostile.clone(), hostile], BLOCK_SIZE)?;
        let sane_output = instance.process(&[tone.clone(), tone.clone()], BLOCK_SIZE)?;

        let hostile_peak = hostile_output
            .iter()
            .map(|channel| {
                channel
                    .iter()
                    .fold(0.0_f32, |largest, sample| largest.max(sample.abs()))
            })
            .fold(0.0_f32, f32::max);
        let hostile_non_finite = hostile_output
            .iter()
            .map(|channel| channel.iter().filter(|sample| !sample.is_finite()).count())
            .sum::<usize>();
        let sane_non_finite = sane_output
            .iter()
            .map(|channel| channel.iter().filter(|sample| !sample.is_finite()).count())
            .sum::<usize>();
        let sane_peak = sane_output
            .iter()
            .map(|channel| signal::peak(channel))
            .fold(0.0_f32, f32::max);

        // Worst channel's RMS difference over the 100 ms window starting `start` samples into
        // the sine.
        let difference_at = |start: usize| {
            sane_output
                .iter()
                .zip(&reference_output)
                .map(|(output, reference)| {
                    let window = start..start + COMPARE_WINDOW;
                    let difference = rms_difference_db(&output[window.clone()], &reference[window]);
                    if difference.is_finite() {
                        difference
                    } else {
                        f64::INFINITY
                    }
                })
                .fold(0.0_f64, |worst, difference| {
                    if difference.abs() > worst.abs() {
                        difference
                    } else {
                        worst
                    }
                })
        };
        let difference_db = difference_at(RECOVERY_LIMIT);
        let recovery_within = |tolerance_db: f64| {
            let recovery = (0..=(SEGMENT - COMPARE_WINDOW))
                .step_by(RECOVERY_STEP)
                .find(|start| difference_at(*start).abs() <= tolerance_db);
            match recovery {
                Some(start) => format!("{:.0} ms", start as f64 * 1000.0 / SAMPLE_RATE),
                None => "never within 400 ms".to_owned(),
            }
        };
        let recovery_text = recovery_within(RECOVERY_TOLERANCE_DB);
        let fine_recovery_text = recovery_within(FINE_RECOVERY_TOLERANCE_DB);
        println!(
            "{plugin:?} {name:>26}: hostile peak {hostile_peak:.4} ({hostile_non_finite} \
             non-finite), sine peak {sane_peak:.4} ({sane_non_finite} non-finite); sine at \
             100–200 ms {difference_db:+.3} dB re fresh; recovery (start of the first 100 ms \
             window within ±{RECOVERY_TOLERANCE_DB} dB) {recovery_text}, within \
             ±{FINE_RECOVERY_TOLERANCE_DB} dB {fine_recovery_text}"
        );
        if hostile_non_finite > 0 || sane_non_finite > 0 {
            failures.push(format!(
                "{name}: {hostile_non_finite} non-finite samples during the hostile half second, \
                 {sane_non_finite} during the sine after it"
            ));
        }
        if hostile_peak.is_nan() || hostile_peak > OUTPUT_BOUND || sane_peak > OUTPUT_BOUND {
            failures.push(format!(
                "{name}: peak {hostile_peak} during the hostile part, {sane_peak} during the \
                 sine; bound {OUTPUT_BOUND}"
            ));
        }
        if difference_db.is_nan() || difference_db.abs() > RECOVERY_TOLERANCE_DB {
            failures.push(format!(
                "{name}: 100–200 ms into the sine the output is {difference_db:+.3} dB RMS from \
                 a fresh instance's (limit ±{RECOVERY_TOLERANCE_DB} dB); recovery {recovery_text}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{plugin:?} hostile input:\n  {}",
        failures.join("\n  ")
    );
    Ok(())
}

#[test]
fn preamp_survives_hostile_input_at_60_db_gain_and_recovers_within_100_ms() -> anyhow::Result<()> {
    check_hostile_input(Plugin::Preamp)
}

#[test]
fn power_amp_survives_hostile_input_at_the_hottest_input_and_recovers_within_100_ms()
-> anyhow::Result<()> {
    check_hostile_input(Plugin::PowerAmp)
}

// ----- hostile state -----

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014):
/// a tiny seeded generator, so every run fuzzes the same cases.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.0;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^ (mixed >> 31)
    }

    /// A number in `0..bound` (`bound` > 0; the modulo bias is irrelevant here).
    fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }

    fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }
}

const FUZZ_SEED: u64 = 0x6A1E_57A6_E000_0007;
/// Cases per plugin, at least.
const FUZZ_CASES: usize = 10_000;
/// Random-byte blobs among them.
const RANDOM_BLOBS: usize = 3_000;

/// Every parameter's CLAP value, in [`PluginUnderTest::params`] order.
fn all_values(instance: &mut PluginUnderTest) -> anyhow::Result<Vec<f64>> {
    let ids: Vec<u32> = instance.params().iter().map(|param| param.id).collect();
    ids.into_iter()
        .map(|id| instance.param_value_by_id(id))
        .collect()
}

/// A CLAP value for `param` away from `from`: the next step for stepped parameters (wrapping),
/// a third of the range away for continuous ones.
fn value_away(param: &ParamDescription, from: f64) -> f64 {
    let range = param.max_value - param.min_value;
    if param.is_stepped() {
        let next = from.round() + 1.0;
        if next > param.max_value {
            param.min_value
        } else {
            next
        }
    } else if from - param.min_value <= 0.5 * range {
        from + range / 3.0
    } else {
        from - range / 3.0
    }
}

/// Moves every parameter away from `from` (one value per parameter) in one flush.
fn move_all_away(instance: &mut PluginUnderTest, from: &[f64]) -> anyhow::Result<()> {
    let changes: Vec<(u32, f64)> = instance
        .params()
        .iter()
        .zip(from)
        .map(|(param, value)| (param.id, value_away(param, *value)))
        .collect();
    instance.set_params_by_id(&changes)
}

/// A CLAP state blob from nice-plug: an 8-byte little-endian length, then that many bytes of JSON.
fn split_blob(plugin: Plugin, blob: &[u8]) -> (u64, &[u8]) {
    assert!(
        blob.len() >= 8,
        "{plugin:?}: a saved state of {} bytes is too short for nice-plug's length prefix",
        blob.len()
    );
    let mut header = [0_u8; 8];
    header.copy_from_slice(&blob[..8]);
    (u64::from_le_bytes(header), &blob[8..])
}

fn with_header(json: &[u8]) -> Vec<u8> {
    let mut blob = (json.len() as u64).to_le_bytes().to_vec();
    blob.extend_from_slice(json);
    blob
}

/// What one plugin did with the fuzz.
#[derive(Default)]
struct FuzzReport {
    cases: usize,
    rejected: usize,
    accepted_whole: usize,
    /// Accepted by the host call, but no entry applied: the settings are untouched.
    accepted_untouched: usize,
    accepted_partial: usize,
    /// Rejected blobs after which some parameter had changed (the "untouched" rule broken).
    rejected_but_changed: usize,
    /// The first few of those, described.
    rejected_examples: Vec<String>,
    /// The first few partially applied blobs, described.
    partial_examples: Vec<String>,
}

/// The fuzz setup: an instance whose current settings (B) differ in every parameter from the
/// settings (A) the mutated state blob was saved with.
struct FuzzSetup {
    instance: PluginUnderTest,
    blob_a: Vec<u8>,
    blob_b: Vec<u8>,
    values_a: Vec<f64>,
    values_b: Vec<f64>,
}

fn fuzz_setup(plugin: Plugin) -> anyhow::Result<FuzzSetup> {
    let mut instance = PluginUnderTest::load(plugin)?;
    let defaults = all_values(&mut instance)?;
    move_all_away(&mut instance, &defaults)?;
    let values_a = all_values(&mut instance)?;
    let blob_a = instance.save_state()?;
    move_all_away(&mut instance, &values_a)?;
    let values_b = all_values(&mut instance)?;
    let blob_b = instance.save_state()?;
    let names: Vec<String> = instance
        .params()
        .iter()
        .map(|param| param.name.clone())
        .collect();
    let same: Vec<&String> = names
        .iter()
        .zip(values_a.iter().zip(&values_b))
        .filter(|(_, (a, b))| a == b)
        .map(|(name, _)| name)
        .collect();
    assert!(
        same.is_empty(),
        "{plugin:?}: settings A and B should differ in every parameter; equal in {same:?}"
    );
    let (length, json) = split_blob(plugin, &blob_a);
    assert_eq!(
        length,
        json.len() as u64,
        "{plugin:?}: the state's length prefix should count the JSON that follows"
    );
    println!(
        "{plugin:?}: state blob A is {} bytes ({} of JSON, {} parameters): {}",
        blob_a.len(),
        json.len(),
        names.len(),
        String::from_utf8_lossy(&json[..json.len().min(160)])
    );
    Ok(FuzzSetup {
        instance,
        blob_a,
        blob_b,
        values_a,
        values_b,
    })
}

/// Loads `blob` into the instance (whose settings are B), checks the outcome, and puts B back.
fn fuzz_case(
    plugin: Plugin,
    setup: &mut FuzzSetup,
    report: &mut FuzzReport,
    kind: &str,
    blob: &[u8],
) -> anyhow::Result<()> {
    report.cases += 1;
    let accepted = setup.instance.load_state(blob).is_ok();
    let after = all_values(&mut setup.instance)?;
    let changed: Vec<usize> = after
        .iter()
        .zip(&setup.values_b)
        .enumerate()
        .filter(|(_, (now, before))| now.to_bits() != before.to_bits())
        .map(|(index, _)| index)
        .collect();
    let names = |indices: &[usize]| -> Vec<String> {
        indices
            .iter()
            .take(4)
            .map(|index| setup.instance.params()[*index].name.clone())
            .collect()
    };
    if !accepted {
        report.rejected += 1;
        if !changed.is_empty() {
            report.rejected_but_changed += 1;
            if report.rejected_examples.len() < 8 {
                report.rejected_examples.push(format!(
                    "{kind} ({} bytes): rejected, yet {} parameter(s) changed, e.g. {:?}",
                    blob.len(),
                    changed.len(),
                    names(&changed)
                ));
            }
        }
    } else {
        let untouched: Vec<usize> = (0..after.len())
            .filter(|index| !changed.contains(index))
            .collect();
        if untouched.is_empty() {
            report.accepted_whole += 1;
        } else if changed.is_empty() {
            // The plugin took the blob but refused every entry (its all-or-nothing state guard):
            // the current settings are untouched, which is what a rejection must give.
            report.accepted_untouched += 1;
        } else {
            report.accepted_partial += 1;
            if report.partial_examples.len() < 4 {
                let differs_from_a = after
                    .iter()
                    .zip(&setup.values_a)
                    .filter(|(now, saved)| now.to_bits() != saved.to_bits())
                    .count();
                report.partial_examples.push(format!(
                    "{kind} ({} bytes): accepted; {} of {} parameters changed, {} kept their \
                     previous value (e.g. {:?}); {differs_from_a} differ from the blob's source",
                    blob.len(),
                    changed.len(),
                    after.len(),
                    untouched.len(),
                    names(&untouched)
                ));
            }
        }
    }
    if accepted || !changed.is_empty() {
        let blob_b = setup.blob_b.clone();
        setup.instance.load_state(&blob_b)?;
        let restored = all_values(&mut setup.instance)?;
        assert_eq!(
            restored, setup.values_b,
            "{plugin:?}: reloading settings B after a {kind} case should restore them"
        );
    }
    Ok(())
}

/// Runs the seeded fuzz on one instance and returns what happened.
fn run_state_fuzz(plugin: Plugin) -> anyhow::Result<FuzzReport> {
    let mut setup = fuzz_setup(plugin)?;
    let mut report = FuzzReport::default();
    let mut random = SplitMix64(FUZZ_SEED ^ plugin.clap_id().len() as u64);
    let blob_a = setup.blob_a.clone();
    let json_a = blob_a[8..].to_vec();

    // Every truncation of the real blob, as saved (the length prefix then promises more than
    // follows) and with a prefix that matches the truncated JSON.
    for length in 0..blob_a.len() {
        fuzz_case(
            plugin,
            &mut setup,
            &mut report,
            "truncated blob",
            &blob_a[..length],
        )?;
    }
    for length in 0..json_a.len() {
        let blob = with_header(&json_a[..length]);
        fuzz_case(
            plugin,
            &mut setup,
            &mut report,
            "truncated JSON, matching prefix",
            &blob,
        )?;
    }
    // Random bytes: half raw, half behind a length prefix that matches them.
    for case in 0..RANDOM_BLOBS {
        let length = random.below(2 * blob_a.len());
        let bytes: Vec<u8> = (0..length).map(|_| random.byte()).collect();
        let blob = if case % 2 == 0 {
            bytes
        } else {
            with_header(&bytes)
        };
        fuzz_case(plugin, &mut setup, &mut report, "random bytes", &blob)?;
    }
    // Byte flips of the valid blob (one to four bytes set to random values) until the total
    // reaches FUZZ_CASES.
    while report.cases < FUZZ_CASES {
        let mut blob = blob_a.clone();
        for _ in 0..=random.below(4) {
            let position = random.below(blob.len());
            blob[position] = random.byte();
        }
        fuzz_case(plugin, &mut setup, &mut report, "byte flips", &blob)?;
    }

    println!(
        "{plugin:?}: {} state cases: {} rejected, {} accepted and applied whole, {} accepted \
         but applied not at all, {} accepted and applied in part; {} rejected blobs changed a \
         parameter",
        report.cases,
        report.rejected,
        report.accepted_whole,
        report.accepted_untouched,
        report.accepted_partial,
        report.rejected_but_changed
    );
    for example in &report.partial_examples {
        println!("{plugin:?}   partial: {example}");
    }

    // After all that, the instance still loads its own state and plays.
    setup.instance.load_state(&blob_a)?;
    assert_eq!(
        all_values(&mut setup.instance)?,
        setup.values_a,
        "{plugin:?}: the valid blob should still load after the fuzz"
    );
    setup
        .instance
        .activate(SAMPLE_RATE, 1, BLOCK_SIZE, Layout::Stereo)?;
    let tone = signal::sine(TONE_HZ, TONE_DBFS, SAMPLE_RATE, SEGMENT / 5);
    let output = setup.instance.process(&[tone.clone(), tone], BLOCK_SIZE)?;
    for channel in &output {
        assert!(
            signal::all_finite(channel),
            "{plugin:?}: non-finite output after the state fuzz"
        );
    }
    setup.instance.deactivate();
    Ok(report)
}

fn check_state_fuzz_is_safe(plugin: Plugin) -> anyhow::Result<()> {
    let report = run_state_fuzz(plugin)?;
    assert!(
        report.cases >= FUZZ_CASES,
        "{plugin:?}: ran {} cases, want at least {FUZZ_CASES}",
        report.cases
    );
    assert!(
        report.rejected_but_changed == 0,
        "{plugin:?}: {} of {} rejected blobs changed the current settings: {:#?}",
        report.rejected_but_changed,
        report.rejected,
        report.rejected_examples
    );
    Ok(())
}

fn check_state_fuzz_is_all_or_nothing(plugin: Plugin) -> anyhow::Result<()> {
    let report = run_state_fuzz(plugin)?;
    assert!(
        report.accepted_partial == 0,
        "{plugin:?}: {} of {} corrupt blobs were accepted and applied in part (current settings \
         partly overwritten): {:#?}",
        report.accepted_partial,
        report.cases,
        report.partial_examples
    );
    Ok(())
}

#[test]
fn preamp_state_fuzz_never_crashes_and_rejected_blobs_leave_settings_untouched()
-> anyhow::Result<()> {
    check_state_fuzz_is_safe(Plugin::Preamp)
}

#[test]
fn power_amp_state_fuzz_never_crashes_and_rejected_blobs_leave_settings_untouched()
-> anyhow::Result<()> {
    check_state_fuzz_is_safe(Plugin::PowerAmp)
}

#[test]
fn preamp_corrupt_state_is_never_applied_in_part() -> anyhow::Result<()> {
    check_state_fuzz_is_all_or_nothing(Plugin::Preamp)
}

#[test]
fn power_amp_corrupt_state_is_never_applied_in_part() -> anyhow::Result<()> {
    check_state_fuzz_is_all_or_nothing(Plugin::PowerAmp)
}

/// A valid state saved by a future version ("version": "99.0.0") must not be half-understood:
/// the current settings stay as they were.
fn check_future_version(plugin: Plugin) -> anyhow::Result<()> {
    let mut setup = fuzz_setup(plugin)?;
    let json = String::from_utf8(setup.blob_a[8..].to_vec())?;
    let key = "\"version\":\"";
    let start = json
        .find(key)
        .map(|index| index + key.len())
        .unwrap_or_else(|| panic!("{plugin:?}: no \"version\" in the state JSON: {json}"));
    let end = start
        + json[start..]
            .find('"')
            .expect("the version string is closed");
    let saved_version = &json[start..end];
    let future = format!("{}99.0.0{}", &json[..start], &json[end..]);
    let accepted = setup
        .instance
        .load_state(&with_header(future.as_bytes()))
        .is_ok();
    let after = all_values(&mut setup.instance)?;
    let changed = after
        .iter()
        .zip(&setup.values_b)
        .filter(|(now, before)| now.to_bits() != before.to_bits())
        .count();
    println!(
        "{plugin:?}: state saved as version {saved_version:?}, relabelled \"99.0.0\": load {}, \
         {changed} of {} parameters changed",
        if accepted { "accepted" } else { "rejected" },
        after.len()
    );
    assert_eq!(
        changed,
        0,
        "{plugin:?}: a version-99.0.0 state should leave the current settings untouched; load \
         was {}, and {changed} of {} parameters changed",
        if accepted { "accepted" } else { "rejected" },
        after.len()
    );
    Ok(())
}

#[test]
fn preamp_future_version_state_leaves_settings_untouched() -> anyhow::Result<()> {
    check_future_version(Plugin::Preamp)
}

#[test]
fn power_amp_future_version_state_leaves_settings_untouched() -> anyhow::Result<()> {
    check_future_version(Plugin::PowerAmp)
}

/// Replaces the number in every `{"f32":…}` value of a nice-plug state's JSON with `number`.
fn with_every_float(json: &str, number: &str) -> String {
    let key = "{\"f32\":";
    let mut result = String::with_capacity(json.len());
    let mut rest = json;
    while let Some(index) = rest.find(key) {
        let value_start = index + key.len();
        let value_end = value_start
            + rest[value_start..]
                .find('}')
                .expect("an f32 value is closed by '}'");
        result.push_str(&rest[..value_start]);
        result.push_str(number);
        rest = &rest[value_end..];
    }
    result.push_str(rest);
    result
}

/// Well-formed JSON whose float values are far outside their ranges (`1e39` overflows an `f32`
/// to +∞ when parsed): if the plugin accepts it, the parameters must read back in range and the
/// audio must stay finite and bounded.
fn check_out_of_range_state(plugin: Plugin) -> anyhow::Result<()> {
    let mut failures = Vec::new();
    for number in ["1e39", "-1e39", "1e30", "-1e30"] {
        let mut setup = fuzz_setup(plugin)?;
        let json = String::from_utf8(setup.blob_a[8..].to_vec())?;
        // Settings A have the host bypass on; switch it off so the hostile values reach the DSP.
        let bypass_on = "\"bypass\":{\"bool\":true}";
        assert!(
            json.contains(bypass_on),
            "{plugin:?}: settings A should have the bypass on: {json}"
        );
        let hostile = with_every_float(
            &json.replace(bypass_on, "\"bypass\":{\"bool\":false}"),
            number,
        );
        let accepted = setup
            .instance
            .load_state(&with_header(hostile.as_bytes()))
            .is_ok();
        let values = all_values(&mut setup.instance)?;
        let out_of_range: Vec<String> = setup
            .instance
            .params()
            .iter()
            .zip(&values)
            .filter(|(param, value)| {
                !(value.is_finite() && (param.min_value..=param.max_value).contains(*value))
            })
            .map(|(param, value)| format!("{} = {value}", param.name))
            .collect();
        setup
            .instance
            .activate(SAMPLE_RATE, 1, BLOCK_SIZE, Layout::Stereo)?;
        let tone = signal::sine(TONE_HZ, TONE_DBFS, SAMPLE_RATE, SEGMENT);
        let output = setup.instance.process(&[tone.clone(), tone], BLOCK_SIZE)?;
        setup.instance.deactivate();
        let non_finite: usize = output
            .iter()
            .map(|channel| channel.iter().filter(|sample| !sample.is_finite()).count())
            .sum();
        let peak = output
            .iter()
            .map(|channel| signal::peak(channel))
            .fold(0.0_f32, f32::max);
        println!(
            "{plugin:?}: every float value set to {number}: load {}, {} parameter(s) read back \
             out of range, sine output peak {peak:.4} with {non_finite} non-finite samples",
            if accepted { "accepted" } else { "rejected" },
            out_of_range.len()
        );
        if !out_of_range.is_empty() {
            failures.push(format!(
                "{number}: out of range after load: {out_of_range:?}"
            ));
        }
        if non_finite > 0 || peak > OUTPUT_BOUND {
            failures.push(format!(
                "{number}: sine output has {non_finite} non-finite samples, peak {peak} (bound \
                 {OUTPUT_BOUND})"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{plugin:?} out-of-range state:\n  {}",
        failures.join("\n  ")
    );
    Ok(())
}

#[test]
fn preamp_out_of_range_state_values_keep_the_output_finite() -> anyhow::Result<()> {
    check_out_of_range_state(Plugin::Preamp)
}

#[test]
fn power_amp_out_of_range_state_values_keep_the_output_finite() -> anyhow::Result<()> {
    check_out_of_range_state(Plugin::PowerAmp)
}
