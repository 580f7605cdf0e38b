//! Hostile preset files (issue 7): 10 000 seeded cases per plugin — truncated, byte-flipped,
//! spliced, foreign, wrong-version, out-of-range and random files — through each plugin's own
//! preset reader. Figures: no case panics; every accepted file yields only known parameters with
//! finite normalised values in 0–1; no case changes a parameter (reading is separate from
//! applying, and this checks it).

use std::panic::{AssertUnwindSafe, catch_unwind};

use gainstage_dsp::analysis::generator::SplitMix64;
use gainstage_poweramp::params::PowerAmpParams;
use gainstage_poweramp::presets::{USER_PRESET_FORMAT, is_stored_in_presets};
use gainstage_preamp::params::SlotParams;
use gainstage_preamp::presets as preamp_presets;
use gainstage_ui::preset_files;
use nice_plug::prelude::Params;

/// Cases per plugin.
const CASES: usize = 10_000;

/// Every parameter's normalised value, in ID order: the "settings" a case must not touch.
fn snapshot(params: &dyn Params) -> Vec<(String, f32)> {
    let mut values: Vec<(String, f32)> = params
        .param_map()
        .into_iter()
        // SAFETY: the pointers come from `params`, which outlives this call.
        .map(|(id, pointer, _)| (id, unsafe { pointer.unmodulated_normalized_value() }))
        .collect();
    values.sort_by(|a, b| a.0.cmp(&b.0));
    values
}

/// A hostile variant of the valid preset text `good`.
fn mutate(good: &str, random: &mut SplitMix64) -> String {
    let bytes = good.as_bytes();
    let at = |random: &mut SplitMix64| random.below(bytes.len() + 1);
    let lossy = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    match random.below(10) {
        // Truncated anywhere.
        0 => lossy(bytes[..at(random)].to_vec()),
        // Up to eight bytes overwritten with random bytes.
        1 => {
            let mut damaged = bytes.to_vec();
            for _ in 0..=random.below(8) {
                let index = random.below(damaged.len());
                damaged[index] = random.next_u64() as u8;
            }
            lossy(damaged)
        }
        // A range deleted.
        2 => {
            let (start, end) = ordered(at(random), at(random));
            lossy([&bytes[..start], &bytes[end..]].concat())
        }
        // A range copied elsewhere.
        3 => {
            let (start, end) = ordered(at(random), at(random));
            let insert = at(random);
            lossy([&bytes[..insert], &bytes[start..end], &bytes[insert..]].concat())
        }
        // Every number replaced by an extreme or random one.
        4 => {
            let extremes = ["1e308", "-1e308", "1e-320", "0", "-0", "123456789", "-7.5"];
            let mut text = String::new();
            let mut chars = good.chars().peekable();
            while let Some(character) = chars.next() {
                if character.is_ascii_digit() && random.chance(0.5) {
                    while chars
                        .peek()
                        .is_some_and(|next| next.is_ascii_digit() || *next == '.')
                    {
                        chars.next();
                    }
                    text.push_str(extremes[random.below(extremes.len())]);
                } else {
                    text.push(character);
                }
            }
            text
        }
        // A future or absurd version.
        5 => good.replacen(
            "\"version\":1",
            &format!("\"version\":{}", random.next_u64() >> random.below(64)),
            1,
        ),
        // A foreign format.
        6 => good.replacen("gainstage-", "otherbrand-", 1),
        // Random printable garbage.
        7 => (0..random.below(400))
            .map(|_| char::from(32 + random.below(95) as u8))
            .collect(),
        // Valid JSON with values of the wrong kinds and unknown parameters.
        8 => {
            let value = match random.below(4) {
                0 => "null".to_owned(),
                1 => "[1,2,3]".to_owned(),
                2 => format!("\"{}\"", random.next_u64()),
                _ => format!("{}", random.range(-1.0e6, 1.0e6)),
            };
            let id = if random.chance(0.5) {
                "gain"
            } else {
                "no_such_parameter"
            };
            good.replacen(
                "\"values\":{",
                &format!("\"values\":{{\"{id}\":{value},"),
                1,
            )
        }
        // Unchanged: must be accepted.
        _ => good.to_owned(),
    }
}

fn ordered(a: usize, b: usize) -> (usize, usize) {
    (a.min(b), a.max(b))
}

/// Outcome counts of one plugin's fuzz run.
#[derive(Debug, Default)]
struct Report {
    accepted: usize,
    rejected: usize,
    panicked: usize,
    bad_accepted: usize,
    settings_changed: usize,
}

/// A plugin's preset reader: text in, the (ID, normalised value) pairs to apply or a message out.
type PresetReader<'a> = dyn Fn(&str) -> Result<Vec<(String, f32)>, String> + 'a;

fn fuzz(name: &str, seed: u64, params: &dyn Params, good: &str, read: &PresetReader) -> Report {
    let known: Vec<String> = params
        .param_map()
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    let before = snapshot(params);
    let mut random = SplitMix64::new(seed);
    let mut report = Report::default();
    for _ in 0..CASES {
        let text = mutate(good, &mut random);
        match catch_unwind(AssertUnwindSafe(|| read(&text))) {
            Err(_) => report.panicked += 1,
            Ok(Err(_)) => report.rejected += 1,
            Ok(Ok(values)) => {
                report.accepted += 1;
                let sane = values.iter().all(|(id, value)| {
                    value.is_finite() && (0.0..=1.0).contains(value) && known.contains(id)
                });
                if !sane {
                    report.bad_accepted += 1;
                }
            }
        }
        if snapshot(params) != before {
            report.settings_changed += 1;
        }
    }
    println!("{name}: {CASES} hostile preset files: {report:?}");
    report
}

fn assert_safe(name: &str, report: &Report) {
    assert!(
        report.panicked == 0 && report.bad_accepted == 0 && report.settings_changed == 0,
        "{name}: {report:?}"
    );
    // The unchanged case (about a tenth) must be accepted, so the reader is not refusing all.
    assert!(report.accepted >= CASES / 20, "{name}: {report:?}");
}

#[test]
fn preamp_hostile_preset_files_never_panic_and_change_nothing() {
    let slot = SlotParams::new("");
    let good = serde_json::to_string(&preamp_presets::capture(&slot, "Fuzz")).expect("serialise");
    let read = |text: &str| {
        preamp_presets::parse(text)
            .and_then(|preset| preamp_presets::normalized_values(&slot, &preset))
            .map_err(|error| error.to_string())
    };
    let report = fuzz("Preamp", 0x9E5E7, &slot, &good, &read);
    assert_safe("Preamp", &report);
}

#[test]
fn power_amp_hostile_preset_files_never_panic_and_change_nothing() {
    let params = PowerAmpParams::default();
    let preset = preset_files::capture(&USER_PRESET_FORMAT, &params, &is_stored_in_presets, "Fuzz");
    let good = serde_json::to_string(&preset).expect("serialise");
    let read = |text: &str| {
        preset_files::parse(&USER_PRESET_FORMAT, text)
            .and_then(|preset| {
                preset_files::normalized_values(
                    &USER_PRESET_FORMAT,
                    &params,
                    &is_stored_in_presets,
                    &preset,
                )
            })
            .map_err(|error| error.to_string())
    };
    let report = fuzz("Power Amp", 0xA3F5, &params, &good, &read);
    assert_safe("Power Amp", &report);
}
