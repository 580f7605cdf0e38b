//! Presets: the factory table and user presets stored as files.
//!
//! A preset fills one settings slot. It is a set of (parameter ID, value) pairs, IDs as in slot A
//! (`gain`, `model`, …); continuous values are stored as plain numbers in their units, switches
//! and choices as their display text. Loading validates every entry first and only then hands
//! back the (ID, normalised value) list the editor sends through its `ParamSetter`: a corrupt,
//! foreign or future-version file gives a clear error and changes nothing.
//!
//! User presets live in the per-user data folder ([`user_preset_folder`]) as
//! `<name>.gainstage-preamp.json`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use nice_plug::prelude::*;
use serde::{Deserialize, Serialize};

use crate::params::{ModelChoice, SlopeChoice, SlotParams, VoicingChoice};

/// The `format` field every preset file carries.
pub const PRESET_FORMAT: &str = "gainstage-preamp-preset";
/// The preset file version this build writes and the newest it reads.
pub const PRESET_VERSION: u32 = 1;
/// File name ending of user presets.
pub const PRESET_EXTENSION: &str = ".gainstage-preamp.json";

/// One stored value: a number in the parameter's unit, or a switch's or choice's text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PresetValue {
    /// A continuous value in the parameter's unit (dB, Hz, 0–1 for percentages, Q).
    Number(f64),
    /// The display text of a switch or a choice ("On", "Tube", "18 dB/oct").
    Text(String),
}

/// A preset file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresetFile {
    /// Always [`PRESET_FORMAT`].
    pub format: String,
    /// File version; this build reads up to [`PRESET_VERSION`].
    pub version: u32,
    /// Display name.
    pub name: String,
    /// Parameter ID → value.
    pub values: BTreeMap<String, PresetValue>,
}

/// Why a preset could not be loaded or saved.
#[derive(Debug, Clone, PartialEq)]
pub enum PresetError {
    /// The file could not be read or written.
    Io(String),
    /// The file is not a Gainstage Preamp preset, or is damaged.
    Corrupt(String),
    /// The file was written by a newer Gainstage.
    FutureVersion(u32),
    /// A value names no parameter or lies outside its range.
    BadValue(String),
}

impl fmt::Display for PresetError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PresetError::Io(message) => write!(formatter, "could not access the preset: {message}"),
            PresetError::Corrupt(message) => {
                write!(formatter, "not a valid Gainstage Preamp preset: {message}")
            }
            PresetError::FutureVersion(version) => write!(
                formatter,
                "this preset was saved by a newer Gainstage (format version {version}; this \
                 version reads up to {PRESET_VERSION}); nothing was changed"
            ),
            PresetError::BadValue(message) => {
                write!(
                    formatter,
                    "the preset has a value this version cannot use: {message}"
                )
            }
        }
    }
}

impl std::error::Error for PresetError {}

/// The slot's parameters by ID (slot-relative IDs).
fn slot_map(slot: &SlotParams) -> Vec<(String, ParamPtr)> {
    slot.param_map()
        .into_iter()
        .map(|(id, pointer, _)| (id, pointer))
        .collect()
}

/// The present values of `slot` as a preset named `name`.
pub fn capture(slot: &SlotParams, name: &str) -> PresetFile {
    let values = slot_map(slot)
        .into_iter()
        .map(|(id, pointer)| {
            // SAFETY: the pointer comes from `slot`, which outlives this call.
            let value =
                unsafe {
                    if pointer.step_count().is_some() {
                        PresetValue::Text(pointer.normalized_value_to_string(
                            pointer.unmodulated_normalized_value(),
                            false,
                        ))
                    } else {
                        PresetValue::Number(f64::from(pointer.unmodulated_plain_value()))
                    }
                };
            (id, value)
        })
        .collect();
    PresetFile {
        format: PRESET_FORMAT.to_owned(),
        version: PRESET_VERSION,
        name: name.to_owned(),
        values,
    }
}

/// Checks `preset` against `slot`'s parameters and returns the (ID, normalised value) pairs to
/// apply, or the first problem found. Nothing is changed either way.
pub fn normalized_values(
    slot: &SlotParams,
    preset: &PresetFile,
) -> Result<Vec<(String, f32)>, PresetError> {
    if preset.format != PRESET_FORMAT {
        return Err(PresetError::Corrupt(format!(
            "format is \"{}\"",
            preset.format
        )));
    }
    if preset.version > PRESET_VERSION {
        return Err(PresetError::FutureVersion(preset.version));
    }
    let parameters = slot_map(slot);
    let mut changes = Vec::with_capacity(preset.values.len());
    for (id, value) in &preset.values {
        let (_, pointer) = parameters
            .iter()
            .find(|(candidate, _)| candidate == id)
            .ok_or_else(|| PresetError::BadValue(format!("unknown parameter \"{id}\"")))?;
        // SAFETY: the pointer comes from `slot`, which outlives this call.
        let normalized = unsafe {
            match value {
                PresetValue::Text(text) => {
                    pointer.string_to_normalized_value(text).ok_or_else(|| {
                        PresetError::BadValue(format!("\"{text}\" is not a choice of {id}"))
                    })?
                }
                PresetValue::Number(number) => {
                    let plain = *number as f32;
                    let normalized = pointer.preview_normalized(plain);
                    let back = pointer.preview_plain(normalized);
                    let tolerance = 1e-3 * plain.abs().max(1.0);
                    if !number.is_finite() || (back - plain).abs() > tolerance {
                        return Err(PresetError::BadValue(format!(
                            "{id} = {number} is outside its range"
                        )));
                    }
                    normalized
                }
            }
        };
        changes.push((id.clone(), normalized));
    }
    Ok(changes)
}

/// Parses preset text (JSON).
pub fn parse(text: &str) -> Result<PresetFile, PresetError> {
    // Read the version first so a future file is reported as such even if its layout changed.
    let raw: serde_json::Value =
        serde_json::from_str(text).map_err(|error| PresetError::Corrupt(error.to_string()))?;
    if raw.get("format").and_then(serde_json::Value::as_str) != Some(PRESET_FORMAT) {
        return Err(PresetError::Corrupt(
            "missing or foreign \"format\"".to_owned(),
        ));
    }
    match raw.get("version").and_then(serde_json::Value::as_u64) {
        Some(version) if version > u64::from(PRESET_VERSION) => {
            return Err(PresetError::FutureVersion(
                u32::try_from(version).unwrap_or(u32::MAX),
            ));
        }
        Some(_) => {}
        None => return Err(PresetError::Corrupt("missing \"version\"".to_owned())),
    }
    serde_json::from_value(raw).map_err(|error| PresetError::Corrupt(error.to_string()))
}

/// The per-user folder for preset files: `$XDG_DATA_HOME/Gainstage/Preamp` (default
/// `~/.local/share`) on Linux, `~/Library/Application Support/Gainstage/Preamp` on macOS,
/// `%APPDATA%\Gainstage\Preamp` on Windows.
pub fn user_preset_folder() -> Option<PathBuf> {
    let base = if cfg!(target_os = "windows") {
        std::env::var_os("APPDATA").map(PathBuf::from)
    } else if cfg!(target_os = "macos") {
        std::env::var_os("HOME").map(|home| PathBuf::from(home).join("Library/Application Support"))
    } else {
        std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share"))
            })
    }?;
    Some(base.join("Gainstage").join("Preamp"))
}

/// A file name that is safe on every platform for preset `name`.
fn file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|character| {
            if character.is_alphanumeric() || " -_().".contains(character) {
                character
            } else {
                '_'
            }
        })
        .collect();
    format!("{}{PRESET_EXTENSION}", cleaned.trim())
}

/// Writes `preset` into `folder` (created if needed); returns the file's path.
pub fn save(folder: &Path, preset: &PresetFile) -> Result<PathBuf, PresetError> {
    std::fs::create_dir_all(folder).map_err(|error| PresetError::Io(error.to_string()))?;
    let path = folder.join(file_name(&preset.name));
    let text =
        serde_json::to_string_pretty(preset).map_err(|error| PresetError::Io(error.to_string()))?;
    // Write beside, then rename: a crash never leaves half a preset.
    let partial = path.with_extension("partial");
    std::fs::write(&partial, text).map_err(|error| PresetError::Io(error.to_string()))?;
    std::fs::rename(&partial, &path).map_err(|error| PresetError::Io(error.to_string()))?;
    Ok(path)
}

/// Reads and checks a preset file.
pub fn load(path: &Path) -> Result<PresetFile, PresetError> {
    let text = std::fs::read_to_string(path).map_err(|error| PresetError::Io(error.to_string()))?;
    parse(&text)
}

/// The user presets in `folder` (name, path), sorted by name; unreadable files are skipped.
pub fn list(folder: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut presets: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.to_string_lossy().ends_with(PRESET_EXTENSION))
        .filter_map(|path| load(&path).ok().map(|preset| (preset.name, path)))
        .collect();
    presets.sort_by_key(|(name, _)| name.to_lowercase());
    presets
}

/// Renames the preset stored at `path` to `new_name`; returns the new path.
pub fn rename(path: &Path, new_name: &str) -> Result<PathBuf, PresetError> {
    let mut preset = load(path)?;
    preset.name = new_name.to_owned();
    let folder = path
        .parent()
        .ok_or_else(|| PresetError::Io("the preset has no folder".to_owned()))?;
    let new_path = save(folder, &preset)?;
    if new_path != path {
        std::fs::remove_file(path).map_err(|error| PresetError::Io(error.to_string()))?;
    }
    Ok(new_path)
}

/// Deletes the preset stored at `path`.
pub fn delete(path: &Path) -> Result<(), PresetError> {
    std::fs::remove_file(path).map_err(|error| PresetError::Io(error.to_string()))
}

/// A factory preset: the settings a user would dial in, as data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FactoryPreset {
    /// Display name.
    pub name: &'static str,
    /// Model.
    pub model: ModelChoice,
    /// Voicing (its input type and impedance follow with `Auto`).
    pub voicing: VoicingChoice,
    /// Gain, dB.
    pub gain_db: f32,
    /// Low-cut frequency and slope, or none.
    pub low_cut: Option<(f32, SlopeChoice)>,
    /// Low shelf, mid, mid frequency (Hz), mid Q, high shelf.
    pub eq: (f32, f32, f32, f32, f32),
    /// Output trim, dB.
    pub output_db: f32,
}

/// The factory presets.
pub const FACTORY_PRESETS: &[FactoryPreset] = &[
    FactoryPreset {
        name: "Clean line (unity)",
        model: ModelChoice::Transparent,
        voicing: VoicingChoice::Flat,
        gain_db: 0.0,
        low_cut: None,
        eq: (0.0, 0.0, 1_000.0, 0.7, 0.0),
        output_db: 0.0,
    },
    FactoryPreset {
        name: "Warm vocal",
        model: ModelChoice::Tube,
        voicing: VoicingChoice::Vocal,
        gain_db: 46.0,
        low_cut: Some((90.0, SlopeChoice::Db18)),
        eq: (-1.0, -1.5, 350.0, 0.9, 2.5),
        output_db: -3.0,
    },
    FactoryPreset {
        name: "Clean vocal",
        model: ModelChoice::Transparent,
        voicing: VoicingChoice::Vocal,
        gain_db: 44.0,
        low_cut: Some((80.0, SlopeChoice::Db18)),
        eq: (0.0, -1.0, 300.0, 1.0, 2.0),
        output_db: 0.0,
    },
    FactoryPreset {
        name: "Console vocal",
        model: ModelChoice::Colour,
        voicing: VoicingChoice::Vocal,
        gain_db: 48.0,
        low_cut: Some((80.0, SlopeChoice::Db12)),
        eq: (0.0, -2.0, 400.0, 1.2, 3.0),
        output_db: -4.0,
    },
    FactoryPreset {
        name: "Clean DI bass",
        model: ModelChoice::Transparent,
        voicing: VoicingChoice::Bass,
        gain_db: 20.0,
        low_cut: Some((30.0, SlopeChoice::Db12)),
        eq: (2.0, -1.5, 300.0, 0.8, 0.0),
        output_db: 0.0,
    },
    FactoryPreset {
        name: "Growl bass",
        model: ModelChoice::Tube,
        voicing: VoicingChoice::Bass,
        gain_db: 38.0,
        low_cut: Some((35.0, SlopeChoice::Db12)),
        eq: (3.0, 2.0, 800.0, 0.9, -2.0),
        output_db: -10.0,
    },
    FactoryPreset {
        name: "Acoustic DI sparkle",
        model: ModelChoice::Transparent,
        voicing: VoicingChoice::AcousticGuitar,
        gain_db: 22.0,
        low_cut: Some((80.0, SlopeChoice::Db12)),
        eq: (-1.5, -2.5, 250.0, 1.0, 3.0),
        output_db: 0.0,
    },
    FactoryPreset {
        name: "Warm acoustic",
        model: ModelChoice::Colour,
        voicing: VoicingChoice::AcousticGuitar,
        gain_db: 24.0,
        low_cut: Some((70.0, SlopeChoice::Db12)),
        eq: (-1.0, -2.0, 250.0, 1.0, 1.5),
        output_db: -2.0,
    },
    FactoryPreset {
        name: "Edge-of-breakup guitar DI",
        model: ModelChoice::Tube,
        voicing: VoicingChoice::ElectricGuitar,
        gain_db: 36.0,
        low_cut: Some((70.0, SlopeChoice::Db12)),
        eq: (0.0, 1.5, 800.0, 0.8, 0.0),
        output_db: -12.0,
    },
    FactoryPreset {
        name: "Crunch guitar DI",
        model: ModelChoice::SolidState,
        voicing: VoicingChoice::ElectricGuitar,
        gain_db: 40.0,
        low_cut: Some((80.0, SlopeChoice::Db12)),
        eq: (-1.0, 2.0, 1_200.0, 0.8, -1.0),
        output_db: -16.0,
    },
    FactoryPreset {
        name: "Punchy drums",
        model: ModelChoice::Colour,
        voicing: VoicingChoice::Drums,
        gain_db: 42.0,
        low_cut: Some((40.0, SlopeChoice::Db12)),
        eq: (1.5, -2.5, 450.0, 1.2, 1.5),
        output_db: -2.0,
    },
    FactoryPreset {
        name: "Drum bus grit",
        model: ModelChoice::SolidState,
        voicing: VoicingChoice::KeysLine,
        gain_db: 14.0,
        low_cut: Some((30.0, SlopeChoice::Db12)),
        eq: (1.0, -1.0, 500.0, 0.8, 1.0),
        output_db: -10.0,
    },
    FactoryPreset {
        name: "Keys warmth",
        model: ModelChoice::Tube,
        voicing: VoicingChoice::KeysLine,
        gain_db: 6.0,
        low_cut: Some((30.0, SlopeChoice::Db12)),
        eq: (1.0, 0.0, 1_000.0, 0.7, -0.5),
        output_db: -4.0,
    },
    FactoryPreset {
        name: "Transformer glue (line)",
        model: ModelChoice::Colour,
        voicing: VoicingChoice::Flat,
        gain_db: 8.0,
        low_cut: None,
        eq: (0.0, 0.0, 1_000.0, 0.7, 0.0),
        output_db: -6.0,
    },
];

impl FactoryPreset {
    /// The preset as a preset file for `slot` (every slot parameter the table names).
    pub fn to_file(&self, slot: &SlotParams) -> PresetFile {
        let mut preset = capture(&SlotParams::new(""), self.name);
        let text = |pointer: ParamPtr, normalized: f32| {
            // SAFETY: the pointer comes from `slot`, which outlives this call.
            PresetValue::Text(unsafe { pointer.normalized_value_to_string(normalized, false) })
        };
        let mut set = |id: &str, value: PresetValue| {
            preset.values.insert(id.to_owned(), value);
        };
        set(
            "model",
            text(
                slot.model.as_ptr(),
                slot.model.preview_normalized(self.model),
            ),
        );
        set(
            "voicing",
            text(
                slot.voicing.as_ptr(),
                slot.voicing.preview_normalized(self.voicing),
            ),
        );
        set("gain", PresetValue::Number(f64::from(self.gain_db)));
        set("output", PresetValue::Number(f64::from(self.output_db)));
        match self.low_cut {
            Some((frequency, slope)) => {
                set("lowcut", text(slot.low_cut.as_ptr(), 1.0));
                set("lowcut_freq", PresetValue::Number(f64::from(frequency)));
                set(
                    "lowcut_slope",
                    text(
                        slot.low_cut_slope.as_ptr(),
                        slot.low_cut_slope.preview_normalized(slope),
                    ),
                );
            }
            None => set("lowcut", text(slot.low_cut.as_ptr(), 0.0)),
        }
        let (low, mid, mid_frequency, mid_q, high) = self.eq;
        set("eq_low", PresetValue::Number(f64::from(low)));
        set("eq_mid", PresetValue::Number(f64::from(mid)));
        set("eq_mid_freq", PresetValue::Number(f64::from(mid_frequency)));
        set("eq_mid_q", PresetValue::Number(f64::from(mid_q)));
        set("eq_high", PresetValue::Number(f64::from(high)));
        preset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(slot: &SlotParams, changes: &[(String, f32)]) {
        let map = slot.param_map();
        for (id, normalized) in changes {
            let (_, pointer, _) = map
                .iter()
                .find(|(candidate, _, _)| candidate == id)
                .expect("known id");
            // SAFETY: the pointer comes from `slot`; the test is the only thread touching it.
            unsafe {
                pointer._internal_set_normalized_value(*normalized);
            }
        }
    }

    #[test]
    fn at_least_twelve_factory_presets_with_unique_names_that_all_load() {
        assert!(
            FACTORY_PRESETS.len() >= 12,
            "{} factory presets",
            FACTORY_PRESETS.len()
        );
        for (index, preset) in FACTORY_PRESETS.iter().enumerate() {
            assert!(
                FACTORY_PRESETS[index + 1..]
                    .iter()
                    .all(|other| other.name != preset.name),
                "duplicate preset name {}",
                preset.name
            );
            let slot = SlotParams::new("");
            let changes = normalized_values(&slot, &preset.to_file(&slot))
                .unwrap_or_else(|error| panic!("{}: {error}", preset.name));
            apply(&slot, &changes);
            assert_eq!(slot.model.value(), preset.model, "{}: model", preset.name);
            assert_eq!(
                slot.voicing.value(),
                preset.voicing,
                "{}: voicing",
                preset.name
            );
            assert!(
                (slot.gain_db.value() - preset.gain_db).abs() < 0.051,
                "{}: gain {}",
                preset.name,
                slot.gain_db.value()
            );
            assert_eq!(
                slot.low_cut.value(),
                preset.low_cut.is_some(),
                "{}: low-cut",
                preset.name
            );
        }
    }

    #[test]
    fn a_saved_slot_reloads_to_the_same_values() {
        let folder = std::env::temp_dir().join(format!("gainstage-presets-{}", std::process::id()));
        let source = SlotParams::new("");
        let factory = FACTORY_PRESETS[1];
        apply(
            &source,
            &normalized_values(&source, &factory.to_file(&source)).expect("factory"),
        );
        let path = save(&folder, &capture(&source, "My vocal/1")).expect("save");
        assert!(
            path.file_name()
                .is_some_and(|name| !name.to_string_lossy().contains('/'))
        );
        let target = SlotParams::new("");
        apply(
            &target,
            &normalized_values(&target, &load(&path).expect("load")).expect("valid"),
        );
        for ((id, left, _), (_, right, _)) in
            source.param_map().iter().zip(target.param_map().iter())
        {
            // SAFETY: both pointers come from slots alive in this test.
            let (left, right) = unsafe {
                (
                    left.unmodulated_normalized_value(),
                    right.unmodulated_normalized_value(),
                )
            };
            assert!(
                (left - right).abs() < 1e-4,
                "{id}: saved {left}, reloaded {right}"
            );
        }
        let renamed = rename(&path, "Renamed").expect("rename");
        assert_eq!(list(&folder), vec![("Renamed".to_owned(), renamed.clone())]);
        delete(&renamed).expect("delete");
        assert!(list(&folder).is_empty());
        let _ = std::fs::remove_dir_all(folder);
    }

    #[test]
    fn corrupt_foreign_future_and_out_of_range_presets_are_refused_with_a_message() {
        let slot = SlotParams::new("");
        let good = serde_json::to_string(&capture(&slot, "Good")).expect("serialise");
        let cases = [
            (
                "truncated",
                good[..good.len() / 2].to_owned(),
                "not a valid",
            ),
            (
                "foreign",
                good.replace(PRESET_FORMAT, "something-else"),
                "not a valid",
            ),
            (
                "future",
                good.replace("\"version\":1", "\"version\":7"),
                "newer Gainstage",
            ),
            (
                "bad gain",
                good.replacen("\"gain\":0.0", "\"gain\":999.0", 1),
                "outside its range",
            ),
            (
                "bad model",
                good.replace("\"Transparent\"", "\"Kazoo\""),
                "not a choice",
            ),
        ];
        for (label, text, expected) in cases {
            let outcome = parse(&text).and_then(|preset| normalized_values(&slot, &preset));
            let message = match outcome {
                Ok(_) => panic!("{label}: accepted"),
                Err(error) => error.to_string(),
            };
            assert!(message.contains(expected), "{label}: message \"{message}\"");
        }
        // Nothing was applied: the slot still has its defaults.
        assert_eq!(slot.gain_db.value(), 0.0);
        assert_eq!(slot.model.value(), ModelChoice::Transparent);
    }
}
