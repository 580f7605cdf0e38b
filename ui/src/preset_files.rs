//! User preset files for any plugin's parameters: capture, check, save, list, rename, delete.
//!
//! A preset is a JSON file of (parameter ID, value) pairs: continuous values as plain numbers in
//! their units, switches and choices as their display text, so a file stays readable and survives
//! a change of range. Loading checks every entry first and only then hands back the (ID,
//! normalised value) list an editor sends through its `ParamSetter`: a corrupt, foreign or
//! future-version file gives a clear error and changes nothing. Each plugin names its files with
//! a [`PresetFormat`]; the [`crate::PresetBar`] shows them.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use nice_plug::prelude::{ParamPtr, Params};
use serde::{Deserialize, Serialize};

/// What makes one plugin's preset files its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PresetFormat {
    /// The `format` field every file carries ("gainstage-poweramp-preset").
    pub format: &'static str,
    /// The file version this build writes and the newest it reads.
    pub version: u32,
    /// File name ending (".gainstage-poweramp.json").
    pub extension: &'static str,
    /// The product's folder under the per-user `Gainstage` folder ("Power Amp").
    pub folder: &'static str,
    /// The product's name in messages ("Gainstage Power Amp").
    pub product: &'static str,
}

/// One stored value: a number in the parameter's unit, or a switch's or choice's text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PresetValue {
    /// A continuous value in the parameter's unit (dB, W, Hz, 0–1 for percentages).
    Number(f64),
    /// The display text of a switch or a choice ("Class D", "8 Ω").
    Text(String),
}

/// A preset file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresetFile {
    /// The format's [`PresetFormat::format`].
    pub format: String,
    /// File version.
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
    /// The file is not a preset of this plugin, or is damaged.
    Corrupt(String),
    /// The file was written by a newer version (its version, the newest this build reads).
    FutureVersion(u32, u32),
    /// A value names no parameter or lies outside its range.
    BadValue(String),
}

impl fmt::Display for PresetError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PresetError::Io(message) => write!(formatter, "could not access the preset: {message}"),
            PresetError::Corrupt(message) => write!(formatter, "not a valid preset: {message}"),
            PresetError::FutureVersion(version, newest) => write!(
                formatter,
                "this preset was saved by a newer Gainstage (format version {version}; this \
                 version reads up to {newest}); nothing was changed"
            ),
            PresetError::BadValue(message) => write!(
                formatter,
                "the preset has a value this version cannot use: {message}"
            ),
        }
    }
}

impl std::error::Error for PresetError {}

/// `params`' parameters by ID, those `stored` accepts.
fn stored_parameters(
    params: &dyn Params,
    stored: &dyn Fn(&str) -> bool,
) -> Vec<(String, ParamPtr)> {
    params
        .param_map()
        .into_iter()
        .filter(|(id, _, _)| stored(id))
        .map(|(id, pointer, _)| (id, pointer))
        .collect()
}

/// The present values of `params` (the IDs `stored` accepts) as a preset named `name`.
pub fn capture(
    format: &PresetFormat,
    params: &dyn Params,
    stored: &dyn Fn(&str) -> bool,
    name: &str,
) -> PresetFile {
    let values = stored_parameters(params, stored)
        .into_iter()
        .map(|(id, pointer)| {
            // SAFETY: the pointer comes from `params`, which outlives this call.
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
        format: format.format.to_owned(),
        version: format.version,
        name: name.to_owned(),
        values,
    }
}

/// Checks `preset` against `params` (only IDs `stored` accepts may appear) and returns the (ID,
/// normalised value) pairs to apply, or the first problem found. Nothing is changed either way.
pub fn normalized_values(
    format: &PresetFormat,
    params: &dyn Params,
    stored: &dyn Fn(&str) -> bool,
    preset: &PresetFile,
) -> Result<Vec<(String, f32)>, PresetError> {
    if preset.format != format.format {
        return Err(PresetError::Corrupt(format!(
            "format is \"{}\", expected \"{}\"",
            preset.format, format.format
        )));
    }
    if preset.version > format.version {
        return Err(PresetError::FutureVersion(preset.version, format.version));
    }
    let parameters = stored_parameters(params, stored);
    let mut changes = Vec::with_capacity(preset.values.len());
    for (id, value) in &preset.values {
        let (_, pointer) = parameters
            .iter()
            .find(|(candidate, _)| candidate == id)
            .ok_or_else(|| PresetError::BadValue(format!("unknown parameter \"{id}\"")))?;
        // SAFETY: the pointer comes from `params`, which outlives this call.
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

/// Parses preset text (JSON) of `format`.
pub fn parse(format: &PresetFormat, text: &str) -> Result<PresetFile, PresetError> {
    // Read the version first so a future file is reported as such even if its layout changed.
    let raw: serde_json::Value =
        serde_json::from_str(text).map_err(|error| PresetError::Corrupt(error.to_string()))?;
    if raw.get("format").and_then(serde_json::Value::as_str) != Some(format.format) {
        return Err(PresetError::Corrupt(format!(
            "missing or foreign \"format\" (not a {} preset)",
            format.product
        )));
    }
    match raw.get("version").and_then(serde_json::Value::as_u64) {
        Some(version) if version > u64::from(format.version) => {
            return Err(PresetError::FutureVersion(
                u32::try_from(version).unwrap_or(u32::MAX),
                format.version,
            ));
        }
        Some(_) => {}
        None => return Err(PresetError::Corrupt("missing \"version\"".to_owned())),
    }
    serde_json::from_value(raw).map_err(|error| PresetError::Corrupt(error.to_string()))
}

/// The per-user folder for `format`'s files: `$XDG_DATA_HOME/Gainstage/<folder>` (default
/// `~/.local/share`) on Linux, `~/Library/Application Support/Gainstage/<folder>` on macOS,
/// `%APPDATA%\Gainstage\<folder>` on Windows.
pub fn user_preset_folder(format: &PresetFormat) -> Option<PathBuf> {
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
    Some(base.join("Gainstage").join(format.folder))
}

/// A file name that is safe on every platform for preset `name`.
fn file_name(format: &PresetFormat, name: &str) -> String {
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
    format!("{}{}", cleaned.trim(), format.extension)
}

/// Writes `preset` into `folder` (created if needed); returns the file's path.
pub fn save(
    format: &PresetFormat,
    folder: &Path,
    preset: &PresetFile,
) -> Result<PathBuf, PresetError> {
    std::fs::create_dir_all(folder).map_err(|error| PresetError::Io(error.to_string()))?;
    let path = folder.join(file_name(format, &preset.name));
    let text =
        serde_json::to_string_pretty(preset).map_err(|error| PresetError::Io(error.to_string()))?;
    // Write beside, then rename: a crash never leaves half a preset.
    let partial = path.with_extension("partial");
    std::fs::write(&partial, text).map_err(|error| PresetError::Io(error.to_string()))?;
    std::fs::rename(&partial, &path).map_err(|error| PresetError::Io(error.to_string()))?;
    Ok(path)
}

/// Reads and checks a preset file of `format`.
pub fn load(format: &PresetFormat, path: &Path) -> Result<PresetFile, PresetError> {
    let text = std::fs::read_to_string(path).map_err(|error| PresetError::Io(error.to_string()))?;
    parse(format, &text)
}

/// The presets of `format` in `folder` (name, path), sorted by name; unreadable files are skipped.
pub fn list(format: &PresetFormat, folder: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut presets: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.to_string_lossy().ends_with(format.extension))
        .filter_map(|path| load(format, &path).ok().map(|preset| (preset.name, path)))
        .collect();
    presets.sort_by_key(|(name, _)| name.to_lowercase());
    presets
}

/// Renames the preset stored at `path` to `new_name`; returns the new path.
pub fn rename(format: &PresetFormat, path: &Path, new_name: &str) -> Result<PathBuf, PresetError> {
    let mut preset = load(format, path)?;
    preset.name = new_name.to_owned();
    let folder = path
        .parent()
        .ok_or_else(|| PresetError::Io("the preset has no folder".to_owned()))?;
    let new_path = save(format, folder, &preset)?;
    if new_path != path {
        std::fs::remove_file(path).map_err(|error| PresetError::Io(error.to_string()))?;
    }
    Ok(new_path)
}

/// Deletes the preset stored at `path`.
pub fn delete(path: &Path) -> Result<(), PresetError> {
    std::fs::remove_file(path).map_err(|error| PresetError::Io(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nice_plug::prelude::*;

    const FORMAT: PresetFormat = PresetFormat {
        format: "gainstage-test-preset",
        version: 1,
        extension: ".gainstage-test.json",
        folder: "Test",
        product: "Gainstage Test",
    };

    #[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
    enum Flavour {
        #[id = "warm"]
        #[name = "Warm"]
        Warm,
        #[id = "bright"]
        #[name = "Bright"]
        Bright,
    }

    #[derive(Params)]
    struct TestParams {
        #[id = "gain"]
        gain: FloatParam,
        #[id = "flavour"]
        flavour: EnumParam<Flavour>,
        #[id = "bypass"]
        bypass: BoolParam,
    }

    impl Default for TestParams {
        fn default() -> Self {
            Self {
                gain: FloatParam::new(
                    "Gain",
                    0.0,
                    FloatRange::Linear {
                        min: -24.0,
                        max: 24.0,
                    },
                ),
                flavour: EnumParam::new("Flavour", Flavour::Warm),
                bypass: BoolParam::new("Bypass", false),
            }
        }
    }

    fn not_bypass(id: &str) -> bool {
        id != "bypass"
    }

    fn set(params: &TestParams, id: &str, normalized: f32) {
        for (candidate, pointer, _) in params.param_map() {
            if candidate == id {
                // SAFETY: the pointer comes from `params`, alive for this call; one thread.
                unsafe { pointer._internal_set_normalized_value(normalized) };
            }
        }
    }

    #[test]
    fn a_saved_preset_lists_loads_and_restores_every_stored_value() {
        let folder =
            std::env::temp_dir().join(format!("gainstage-ui-presets-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        let source = TestParams::default();
        set(&source, "gain", source.gain.preview_normalized(7.5));
        set(
            &source,
            "flavour",
            source.flavour.preview_normalized(Flavour::Bright),
        );
        let preset = capture(&FORMAT, &source, &not_bypass, "Loud / bright");
        assert!(
            !preset.values.contains_key("bypass"),
            "bypass is not stored"
        );
        let path = save(&FORMAT, &folder, &preset).expect("saved");
        let listed = list(&FORMAT, &folder);
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(listed[0].0, "Loud / bright");

        let target = TestParams::default();
        let loaded = load(&FORMAT, &path).expect("loads");
        for (id, normalized) in
            normalized_values(&FORMAT, &target, &not_bypass, &loaded).expect("valid")
        {
            set(&target, &id, normalized);
        }
        println!(
            "restored gain {} dB, flavour {:?}",
            target.gain.value(),
            target.flavour.value()
        );
        assert!((target.gain.value() - 7.5).abs() < 1e-4);
        assert_eq!(target.flavour.value(), Flavour::Bright);

        let renamed = rename(&FORMAT, &path, "Renamed").expect("renamed");
        assert_eq!(list(&FORMAT, &folder)[0].0, "Renamed");
        delete(&renamed).expect("deleted");
        assert!(list(&FORMAT, &folder).is_empty());
        let _ = std::fs::remove_dir_all(&folder);
    }

    #[test]
    fn foreign_future_and_out_of_range_presets_are_refused() {
        let params = TestParams::default();
        let foreign = r#"{"format":"something-else","version":1,"name":"x","values":{}}"#;
        assert!(matches!(
            parse(&FORMAT, foreign),
            Err(PresetError::Corrupt(_))
        ));
        let future = r#"{"format":"gainstage-test-preset","version":9,"name":"x","values":{}}"#;
        assert_eq!(
            parse(&FORMAT, future),
            Err(PresetError::FutureVersion(9, 1))
        );
        let mut preset = capture(&FORMAT, &params, &not_bypass, "x");
        preset
            .values
            .insert("gain".to_owned(), PresetValue::Number(90.0));
        let refused = normalized_values(&FORMAT, &params, &not_bypass, &preset);
        println!("90 dB gain: {refused:?}");
        assert!(matches!(refused, Err(PresetError::BadValue(_))));
        preset.values.remove("gain");
        preset
            .values
            .insert("bypass".to_owned(), PresetValue::Text("On".to_owned()));
        assert!(matches!(
            normalized_values(&FORMAT, &params, &not_bypass, &preset),
            Err(PresetError::BadValue(_))
        ));
    }
}
