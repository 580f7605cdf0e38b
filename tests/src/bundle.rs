//! Finds Gainstage's plugin bundles, building them once per test process if needed.
//!
//! [`built_bundles`] runs `cargo xtask bundle -p gainstage_preamp -p gainstage_poweramp --release`
//! (nice-plug-xtask takes several packages only as `-p` flags) from
//! the workspace root the first time it is called, with `CARGO_TARGET_DIR` set to
//! `<workspace>/target/host-tests` so that the nested cargo never waits for the lock held by the
//! outer `cargo test`. Setting the environment variable [`BUNDLE_DIR_VARIABLE`] skips the build and
//! uses the bundles in that folder instead.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Environment variable naming a folder of already-built bundles; when set, nothing is built.
pub const BUNDLE_DIR_VARIABLE: &str = "GAINSTAGE_BUNDLE_DIR";

/// Environment variable naming a folder of already-built allocation-checking bundles (see
/// [`alloc_check_bundles`]); when set, nothing is built.
pub const ALLOC_CHECK_BUNDLE_DIR_VARIABLE: &str = "GAINSTAGE_ALLOC_CHECK_BUNDLE_DIR";

/// The Cargo features that turn on nice-plug's `assert_process_allocs` in both plugins.
pub const ALLOC_CHECK_FEATURES: &str =
    "gainstage_preamp/assert_process_allocs,gainstage_poweramp/assert_process_allocs";

/// The two Gainstage plugins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Plugin {
    /// Gainstage Preamp, package `gainstage_preamp`.
    Preamp,
    /// Gainstage Power Amp, package `gainstage_poweramp`.
    PowerAmp,
}

impl Plugin {
    /// Both plugins, in chain order.
    pub const ALL: [Plugin; 2] = [Plugin::Preamp, Plugin::PowerAmp];

    /// The Cargo package that builds this plugin.
    pub fn package(self) -> &'static str {
        match self {
            Plugin::Preamp => "gainstage_preamp",
            Plugin::PowerAmp => "gainstage_poweramp",
        }
    }

    /// The display name, which is also the bundle's file stem (see `bundler.toml`).
    pub fn display_name(self) -> &'static str {
        match self {
            Plugin::Preamp => "Gainstage Preamp",
            Plugin::PowerAmp => "Gainstage Power Amp",
        }
    }

    /// The CLAP plugin ID the bundle must expose.
    pub fn clap_id(self) -> &'static str {
        match self {
            Plugin::Preamp => "audio.gainstage.preamp",
            Plugin::PowerAmp => "audio.gainstage.poweramp",
        }
    }
}

/// A folder holding the bundled plugins.
#[derive(Debug, Clone)]
pub struct Bundles {
    /// The folder the bundles are in (normally `<target>/bundled`).
    pub directory: PathBuf,
}

impl Bundles {
    /// The `.clap` bundle of `plugin` (a single shared library on Linux and Windows).
    pub fn clap_path(&self, plugin: Plugin) -> PathBuf {
        self.directory
            .join(format!("{}.clap", plugin.display_name()))
    }

    /// The `.vst3` bundle folder of `plugin`.
    pub fn vst3_path(&self, plugin: Plugin) -> PathBuf {
        self.directory
            .join(format!("{}.vst3", plugin.display_name()))
    }
}

/// The workspace root: this crate lives in `<workspace>/tests`.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate has a parent folder")
        .to_path_buf()
}

/// The separate target folder the nested bundle build uses.
pub fn host_tests_target_dir() -> PathBuf {
    workspace_root().join("target").join("host-tests")
}

/// The separate target folder the allocation-checking bundle build uses.
pub fn alloc_check_target_dir() -> PathBuf {
    workspace_root().join("target").join("alloc-check")
}

/// The shell command that builds the allocation-checking bundles by hand, for error messages.
pub fn alloc_check_build_command() -> String {
    format!(
        "cd {} && CARGO_TARGET_DIR=target/alloc-check cargo xtask bundle -p {} -p {} --features {} \
         (then optionally export {}={}/bundled to skip the build)",
        workspace_root().display(),
        Plugin::Preamp.package(),
        Plugin::PowerAmp.package(),
        ALLOC_CHECK_FEATURES,
        ALLOC_CHECK_BUNDLE_DIR_VARIABLE,
        alloc_check_target_dir().display(),
    )
}

/// Debug-profile bundles of both plugins built with nice-plug's `assert_process_allocs`: in them,
/// any allocation or deallocation inside `process` aborts the process (nice-plug wraps its CLAP
/// and VST3 `process` in `assert_no_alloc`, which only exists with `debug_assertions`, hence the
/// debug profile). Built once per test process into [`alloc_check_target_dir`], or taken from
/// [`ALLOC_CHECK_BUNDLE_DIR_VARIABLE`].
///
/// # Panics
///
/// Panics, in every caller, with the manual build command if the build fails.
pub fn alloc_check_bundles() -> &'static Bundles {
    static BUNDLES: OnceLock<Result<Bundles, String>> = OnceLock::new();
    let result = BUNDLES.get_or_init(|| {
        let bundles = match std::env::var_os(ALLOC_CHECK_BUNDLE_DIR_VARIABLE) {
            Some(directory) => Bundles {
                directory: PathBuf::from(directory),
            },
            None => run_bundle_build(
                &alloc_check_target_dir(),
                &["--features", ALLOC_CHECK_FEATURES],
                &alloc_check_build_command(),
            )?,
        };
        check_bundles_exist(&bundles).map_err(|message| {
            format!(
                "{message}\n(allocation-checking bundles: {})",
                alloc_check_build_command()
            )
        })?;
        Ok(bundles)
    });
    match result {
        Ok(bundles) => bundles,
        Err(message) => panic!("{message}"),
    }
}

/// The shell command that builds the bundles by hand, for error messages.
pub fn manual_build_command() -> String {
    format!(
        "cd {} && CARGO_TARGET_DIR=target/host-tests cargo xtask bundle -p {} -p {} --release \
         (then optionally export {}={}/bundled to skip the build)",
        workspace_root().display(),
        Plugin::Preamp.package(),
        Plugin::PowerAmp.package(),
        BUNDLE_DIR_VARIABLE,
        host_tests_target_dir().display(),
    )
}

/// The bundles to test: built once per process, or taken from [`BUNDLE_DIR_VARIABLE`].
///
/// # Panics
///
/// Panics, in every caller, with a message that says how to build the bundles by hand if the
/// build fails or a bundle is missing afterwards.
pub fn built_bundles() -> &'static Bundles {
    static BUNDLES: OnceLock<Result<Bundles, String>> = OnceLock::new();
    match BUNDLES.get_or_init(locate_or_build) {
        Ok(bundles) => bundles,
        Err(message) => panic!("{message}"),
    }
}

fn locate_or_build() -> Result<Bundles, String> {
    let bundles = match std::env::var_os(BUNDLE_DIR_VARIABLE) {
        Some(directory) => Bundles {
            directory: PathBuf::from(directory),
        },
        None => build_bundles()?,
    };
    check_bundles_exist(&bundles)?;
    Ok(bundles)
}

fn build_bundles() -> Result<Bundles, String> {
    run_bundle_build(
        &host_tests_target_dir(),
        &["--release"],
        &manual_build_command(),
    )
}

/// Runs `cargo xtask bundle` for both plugins with `extra_args` into `target_dir`.
fn run_bundle_build(
    target_dir: &Path,
    extra_args: &[&str],
    manual_command: &str,
) -> Result<Bundles, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    eprintln!(
        "gainstage_tests: building the bundles ({}) into {} (once per test process)…",
        extra_args.join(" "),
        target_dir.display()
    );
    let output = Command::new(&cargo)
        .current_dir(workspace_root())
        .env("CARGO_TARGET_DIR", target_dir)
        .args([
            "xtask",
            "bundle",
            "-p",
            Plugin::Preamp.package(),
            "-p",
            Plugin::PowerAmp.package(),
        ])
        .args(extra_args)
        .output()
        .map_err(|error| {
            format!(
                "could not run `{cargo} xtask bundle`: {error}.\nBuild the bundles by hand:\n  {manual_command}"
            )
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "`cargo xtask bundle` failed ({}). Last lines of its output:\n{}\n\nBuild the bundles by hand:\n  {manual_command}",
            output.status,
            tail.join("\n"),
        ));
    }
    Ok(Bundles {
        directory: target_dir.join("bundled"),
    })
}

fn check_bundles_exist(bundles: &Bundles) -> Result<(), String> {
    let missing: Vec<String> = Plugin::ALL
        .iter()
        .map(|plugin| bundles.clap_path(*plugin))
        .filter(|path| !path.exists())
        .map(|path| path.display().to_string())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "missing CLAP bundle(s): {}.\nBuild the bundles by hand:\n  {}",
            missing.join(", "),
            manual_build_command()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_paths_follow_bundler_toml_names() {
        let bundles = Bundles {
            directory: PathBuf::from("/somewhere/bundled"),
        };
        assert_eq!(
            bundles.clap_path(Plugin::PowerAmp),
            Path::new("/somewhere/bundled/Gainstage Power Amp.clap"),
        );
        assert_eq!(
            bundles.vst3_path(Plugin::Preamp),
            Path::new("/somewhere/bundled/Gainstage Preamp.vst3"),
        );
    }

    #[test]
    fn bundler_toml_names_match_display_names() {
        let bundler_toml = std::fs::read_to_string(workspace_root().join("bundler.toml"))
            .expect("bundler.toml is readable");
        for plugin in Plugin::ALL {
            let section = format!(
                "[{}]\nname = \"{}\"",
                plugin.package(),
                plugin.display_name()
            );
            assert!(
                bundler_toml.contains(&section),
                "bundler.toml lacks `{section}`; it reads:\n{bundler_toml}"
            );
        }
    }

    #[test]
    fn missing_bundles_are_reported_with_the_manual_command() {
        let bundles = Bundles {
            directory: PathBuf::from("/nonexistent/gainstage"),
        };
        let message = check_bundles_exist(&bundles).expect_err("bundles cannot exist there");
        assert!(
            message.contains("Gainstage Preamp.clap") && message.contains("cargo xtask bundle"),
            "message should name the bundle and the command, got: {message}"
        );
    }
}
