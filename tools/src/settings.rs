//! Naming a plugin, finding its built bundle and applying settings to an instance.
//!
//! Settings are given as text, the way a user reads them in the plugin: `gain=20`, `model=Tube`,
//! `invert=On`. A continuous parameter's text goes through the plugin's own text-to-value
//! (`clap_plugin_params.text_to_value`). A stepped parameter's text must name one of its steps as
//! the plugin displays them (compared without regard to case); toggles also take on/off,
//! true/false and 1/0. Factory presets are applied the same way as a user's settings: the
//! plugin crates list each preset's (parameter ID, normalised value) pairs, which are sent
//! through `clap.params`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use anyhow::{Context, anyhow, bail, ensure};
use gainstage_tests::{Bundles, LoadedBundle, ParamDescription, Plugin, PluginUnderTest};

/// Which plugin a command drives, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PluginName(pub Plugin);

impl FromStr for PluginName {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> anyhow::Result<Self> {
        match text
            .to_ascii_lowercase()
            .replace(['-', '_', ' '], "")
            .as_str()
        {
            "preamp" => Ok(PluginName(Plugin::Preamp)),
            "poweramp" => Ok(PluginName(Plugin::PowerAmp)),
            _ => bail!("unknown plugin {text:?}; use preamp or poweramp"),
        }
    }
}

/// The short command-line name of `plugin`.
pub fn short_name(plugin: Plugin) -> &'static str {
    match plugin {
        Plugin::Preamp => "preamp",
        Plugin::PowerAmp => "poweramp",
    }
}

/// The workspace root (this crate lives in `<workspace>/tools`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tools crate has a parent folder")
        .to_path_buf()
}

/// Where the bundles come from: a given folder, or a release build into `<target>/bundled`.
#[derive(Debug, Clone)]
pub enum BundleSource {
    /// Use the bundles already in this folder.
    Folder(PathBuf),
    /// Run `cargo xtask bundle -p gainstage_preamp -p gainstage_poweramp --release` first (a
    /// no-op when nothing changed) and use `<target>/bundled`.
    Build,
}

impl BundleSource {
    /// `GAINSTAGE_BUNDLE_DIR` if set, else a release build.
    pub fn from_environment() -> Self {
        match std::env::var_os(gainstage_tests::bundle::BUNDLE_DIR_VARIABLE) {
            Some(folder) => BundleSource::Folder(PathBuf::from(folder)),
            None => BundleSource::Build,
        }
    }

    /// The folder holding the bundles, building them first if asked to.
    pub fn bundles(&self) -> anyhow::Result<Bundles> {
        let directory = match self {
            BundleSource::Folder(folder) => folder.clone(),
            BundleSource::Build => build_release_bundles()?,
        };
        Ok(Bundles { directory })
    }

    /// The same source with any build done: a [`BundleSource::Folder`], so that later calls
    /// to [`load`](Self::load) do not run the build again.
    pub fn resolved(self) -> anyhow::Result<Self> {
        Ok(BundleSource::Folder(self.bundles()?.directory))
    }

    /// Loads `plugin`'s CLAP bundle (building the bundles first for [`BundleSource::Build`]).
    pub fn load(&self, plugin: Plugin) -> anyhow::Result<LoadedBundle> {
        let path = self.bundles()?.clap_path(plugin);
        ensure!(
            path.exists(),
            "no CLAP bundle at {}; build it with `cargo xtask bundle -p {} --release`",
            path.display(),
            plugin.package()
        );
        LoadedBundle::load(&path)
    }
}

fn build_release_bundles() -> anyhow::Result<PathBuf> {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!("building the release bundles (cargo xtask bundle … --release)…");
    let status = Command::new(&cargo)
        .current_dir(&root)
        .args(["xtask", "bundle"])
        .args(
            Plugin::ALL
                .iter()
                .flat_map(|plugin| ["-p", plugin.package()]),
        )
        .arg("--release")
        .status()
        .with_context(|| format!("running `{cargo} xtask bundle`"))?;
    ensure!(status.success(), "`cargo xtask bundle` failed ({status})");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let target = if target.is_absolute() {
        target
    } else {
        root.join(target)
    };
    Ok(target.join("bundled"))
}

/// Loads and instantiates `plugin` from `bundles`.
pub fn instantiate(bundle: &LoadedBundle, plugin: Plugin) -> anyhow::Result<PluginUnderTest> {
    bundle.instantiate(plugin.clap_id())
}

/// Splits a `name=value` setting.
pub fn parse_assignment(text: &str) -> anyhow::Result<(String, String)> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| anyhow!("--set takes name=value, got {text:?}"))?;
    ensure!(!name.trim().is_empty(), "--set {text:?} names no parameter");
    Ok((name.trim().to_owned(), value.trim().to_owned()))
}

/// The display text of every step of a stepped parameter, in order.
pub fn step_texts(
    instance: &mut PluginUnderTest,
    param: &ParamDescription,
) -> anyhow::Result<Vec<String>> {
    ensure!(
        param.is_stepped(),
        "{} is not a stepped parameter",
        param.name
    );
    let first = param.min_value.round() as i64;
    let last = param.max_value.round() as i64;
    (first..=last)
        .map(|step| instance.value_to_text(&param.name, step as f64))
        .collect()
}

/// The CLAP value for parameter `key` given as display `text` (see the module documentation).
pub fn value_from_text(
    instance: &mut PluginUnderTest,
    key: &str,
    text: &str,
) -> anyhow::Result<f64> {
    let param = instance.param(key)?.clone();
    if param.is_stepped() {
        let steps = step_texts(instance, &param)?;
        if let Some(index) = steps
            .iter()
            .position(|step| step.eq_ignore_ascii_case(text))
        {
            return Ok(param.min_value.round() + index as f64);
        }
        if steps.len() == 2 {
            let lower = text.to_ascii_lowercase();
            if ["on", "true", "1", "yes"].contains(&lower.as_str()) {
                return Ok(param.max_value);
            }
            if ["off", "false", "0", "no"].contains(&lower.as_str()) {
                return Ok(param.min_value);
            }
        }
        bail!(
            "{:?} is not a value of {} ({key}); it takes one of {steps:?}",
            text,
            param.name
        );
    }
    instance.text_to_value(key, text).map_err(|_| {
        let low = instance.value_to_text(key, param.min_value).unwrap_or_default();
        let high = instance.value_to_text(key, param.max_value).unwrap_or_default();
        anyhow!(
            "the plugin cannot read {text:?} as a value of {} ({key}); its range is {low} to {high}",
            param.name
        )
    })
}

/// Sets each `(name, text)` setting on `instance`, in order, and returns how each one now reads
/// (`Name = text`), for the user to check.
pub fn apply_settings(
    instance: &mut PluginUnderTest,
    settings: &[(String, String)],
) -> anyhow::Result<Vec<String>> {
    let mut applied = Vec::with_capacity(settings.len());
    for (key, text) in settings {
        let value = value_from_text(instance, key, text)
            .with_context(|| format!("setting {key}={text}"))?;
        let name = instance.param(key)?.name.clone();
        instance.set_param(key, value)?;
        let shown = instance.value_to_text(key, value)?;
        applied.push(format!("{name} = {shown}"));
    }
    Ok(applied)
}

/// The names of `plugin`'s factory presets.
pub fn preset_names(plugin: Plugin) -> Vec<&'static str> {
    match plugin {
        Plugin::Preamp => gainstage_preamp::presets::FACTORY_PRESETS
            .iter()
            .map(|preset| preset.name)
            .collect(),
        Plugin::PowerAmp => gainstage_poweramp::presets::FACTORY_PRESETS
            .iter()
            .map(|preset| preset.name)
            .collect(),
    }
}

/// Factory preset `name` (any case) of `plugin` as (nice-plug parameter ID, normalised value)
/// pairs, from the plugin crate's own preset table.
pub fn preset_values(plugin: Plugin, name: &str) -> anyhow::Result<Vec<(String, f32)>> {
    let unknown = || {
        anyhow!(
            "{} has no factory preset {name:?}; it has {:?}",
            plugin.display_name(),
            preset_names(plugin)
        )
    };
    match plugin {
        Plugin::Preamp => {
            use gainstage_preamp::params::SlotParams;
            use gainstage_preamp::presets::{FACTORY_PRESETS, normalized_values};
            let preset = FACTORY_PRESETS
                .iter()
                .find(|preset| preset.name.eq_ignore_ascii_case(name))
                .ok_or_else(unknown)?;
            // Slot A's parameter IDs are the plain slot IDs (`gain`, `model`, …).
            let slot = SlotParams::new("");
            normalized_values(&slot, &preset.to_file(&slot))
                .map_err(|error| anyhow!("factory preset {name:?}: {error}"))
        }
        Plugin::PowerAmp => {
            use gainstage_poweramp::params::PowerAmpParams;
            use gainstage_poweramp::presets::FACTORY_PRESETS;
            let preset = FACTORY_PRESETS
                .iter()
                .find(|preset| preset.name.eq_ignore_ascii_case(name))
                .ok_or_else(unknown)?;
            Ok(preset
                .normalized_values(&PowerAmpParams::default())
                .into_iter()
                .map(|(id, value)| (id.to_owned(), value))
                .collect())
        }
    }
}

/// Applies factory preset `name` to `instance` (the preamp's goes to settings slot A) in one
/// `clap.params` flush.
pub fn apply_preset(
    instance: &mut PluginUnderTest,
    plugin: Plugin,
    name: &str,
) -> anyhow::Result<()> {
    let mut values = Vec::new();
    for (id, normalized) in preset_values(plugin, name)? {
        let param = instance
            .param(&id)
            .with_context(|| format!("factory preset {name:?} names parameter {id:?}"))?;
        values.push((param.id, clap_value(param, f64::from(normalized))));
    }
    instance.set_params_by_id(&values)
}

/// The CLAP value of normalised value `normalized` (0–1): nice-plug exposes continuous
/// parameters as `0..=1` and stepped ones as `0..=step_count`.
pub fn clap_value(param: &ParamDescription, normalized: f64) -> f64 {
    let value = param.min_value + normalized.clamp(0.0, 1.0) * (param.max_value - param.min_value);
    if param.is_stepped() {
        value.round()
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_factory_preset_lists_values_for_known_ids() {
        for plugin in Plugin::ALL {
            for name in preset_names(plugin) {
                let values = preset_values(plugin, name).expect("factory preset is valid");
                assert!(!values.is_empty(), "{name}: no values");
                for (id, normalized) in &values {
                    assert!(
                        (0.0..=1.0).contains(normalized),
                        "{name}: {id} = {normalized} is not normalised"
                    );
                }
            }
            println!(
                "{}: {} presets",
                plugin.display_name(),
                preset_names(plugin).len()
            );
        }
        let error = preset_values(Plugin::Preamp, "No such preset")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("Warm vocal"),
            "error lists the presets: {error}"
        );
    }

    #[test]
    fn assignments_split_at_the_first_equals_sign() {
        assert_eq!(
            parse_assignment(" gain = 20 dB").unwrap(),
            ("gain".to_owned(), "20 dB".to_owned())
        );
        assert_eq!(
            parse_assignment("mix=a=b").unwrap(),
            ("mix".to_owned(), "a=b".to_owned())
        );
        assert!(parse_assignment("gain").is_err());
        assert!(parse_assignment("=3").is_err());
        assert_eq!(
            "Power-Amp".parse::<PluginName>().unwrap().0,
            Plugin::PowerAmp
        );
        assert!("compressor".parse::<PluginName>().is_err());
    }
}
