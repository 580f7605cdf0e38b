//! `cargo xtask install` and `uninstall`: per-user plugin folders on Linux, macOS and Windows.
//!
//! | format | Linux       | macOS                                   | Windows                              |
//! |--------|-------------|-----------------------------------------|--------------------------------------|
//! | CLAP   | `~/.clap`   | `~/Library/Audio/Plug-Ins/CLAP`         | `%LOCALAPPDATA%\Programs\Common\CLAP` |
//! | VST3   | `~/.vst3`   | `~/Library/Audio/Plug-Ins/VST3`         | `%LOCALAPPDATA%\Programs\Common\VST3` |

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::PLUGIN_PACKAGES;

/// Bundle names as written by the bundler (`bundler.toml`).
const BUNDLE_NAMES: [&str; 2] = ["Gainstage Preamp", "Gainstage Power Amp"];

/// The two plugin formats and the folder each is installed into.
#[derive(Clone, Copy)]
enum Format {
    Clap,
    Vst3,
}

impl Format {
    const ALL: [Format; 2] = [Format::Clap, Format::Vst3];

    fn extension(self) -> &'static str {
        match self {
            Format::Clap => "clap",
            Format::Vst3 => "vst3",
        }
    }

    /// The per-user plugin folder for this format on the current platform.
    fn user_folder(self) -> Result<PathBuf> {
        let home = home_folder()?;
        let folder = if cfg!(target_os = "macos") {
            let name = match self {
                Format::Clap => "CLAP",
                Format::Vst3 => "VST3",
            };
            home.join("Library/Audio/Plug-Ins").join(name)
        } else if cfg!(target_os = "windows") {
            let local = std::env::var_os("LOCALAPPDATA")
                .map(PathBuf::from)
                .context("LOCALAPPDATA is not set")?;
            let name = match self {
                Format::Clap => "CLAP",
                Format::Vst3 => "VST3",
            };
            local.join("Programs").join("Common").join(name)
        } else {
            home.join(format!(".{}", self.extension()))
        };
        Ok(folder)
    }
}

fn home_folder() -> Result<PathBuf> {
    let variable = if cfg!(target_os = "windows") {
        "USERPROFILE"
    } else {
        "HOME"
    };
    std::env::var_os(variable)
        .map(PathBuf::from)
        .with_context(|| format!("{variable} is not set: cannot find the per-user plugin folders"))
}

/// Builds both plugins in release and copies their bundles into the per-user plugin folders,
/// replacing any installed copy.
pub fn install() -> Result<()> {
    let workspace = workspace_root()?;
    let mut bundle_args = vec!["bundle".to_string()];
    for package in PLUGIN_PACKAGES {
        bundle_args.extend(["-p".to_string(), package.to_string()]);
    }
    bundle_args.push("--release".to_string());
    nice_plug_xtask::main_with_args("cargo xtask", bundle_args)
        .context("building the plugin bundles failed")?;

    let bundled = target_folder(&workspace)?.join("bundled");
    for format in Format::ALL {
        let destination_folder = format.user_folder()?;
        fs::create_dir_all(&destination_folder)
            .with_context(|| format!("cannot create {}", destination_folder.display()))?;
        for name in BUNDLE_NAMES {
            let file_name = format!("{name}.{}", format.extension());
            let source = bundled.join(&file_name);
            if !source.exists() {
                bail!("expected bundle {} was not built", source.display());
            }
            let destination = destination_folder.join(&file_name);
            remove_existing(&destination)?;
            copy_recursively(&source, &destination)?;
            println!("installed {file_name} -> {}", destination.display());
        }
    }
    Ok(())
}

/// Removes the installed Gainstage bundles from the per-user plugin folders.
pub fn uninstall() -> Result<()> {
    for format in Format::ALL {
        let folder = format.user_folder()?;
        for name in BUNDLE_NAMES {
            let path = folder.join(format!("{name}.{}", format.extension()));
            if path.exists() || path.is_symlink() {
                remove_existing(&path)?;
                println!("removed {}", path.display());
            } else {
                println!("not installed: {}", path.display());
            }
        }
    }
    Ok(())
}

/// The workspace root: the folder above this crate.
pub(crate) fn workspace_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .context("xtask has no parent folder")
}

/// The cargo target folder, honouring `CARGO_TARGET_DIR` like the bundler does.
fn target_folder(workspace: &Path) -> Result<PathBuf> {
    Ok(match std::env::var_os("CARGO_TARGET_DIR") {
        Some(folder) => {
            let folder = PathBuf::from(folder);
            if folder.is_absolute() {
                folder
            } else {
                workspace.join(folder)
            }
        }
        None => workspace.join("target"),
    })
}

fn remove_existing(path: &Path) -> Result<()> {
    let metadata = match fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(_) => return Ok(()),
    };
    if metadata.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
    .with_context(|| format!("cannot remove the installed {}", path.display()))
}

fn copy_recursively(source: &Path, destination: &Path) -> Result<()> {
    if source.is_dir() {
        fs::create_dir_all(destination)
            .with_context(|| format!("cannot create {}", destination.display()))?;
        for entry in fs::read_dir(source)? {
            let entry = entry?;
            copy_recursively(&entry.path(), &destination.join(entry.file_name()))?;
        }
    } else {
        fs::copy(source, destination).with_context(|| {
            format!(
                "cannot copy {} to {}",
                source.display(),
                destination.display()
            )
        })?;
    }
    Ok(())
}
