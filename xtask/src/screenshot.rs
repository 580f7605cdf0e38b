//! `cargo xtask screenshot [preamp|poweramp|all] [--scale 2]`: opens each plugin's standalone
//! application on a private Xvfb display (software OpenGL, dummy audio backend), waits for its
//! window and saves a PNG of it under `docs/` (`docs/preamp.png`, `docs/poweramp.png`; with
//! `--scale 2`, `docs/preamp@2x.png` …, drawn at 200 % UI scale: baseview takes the scale from
//! the X resource `Xft.dpi`, set here on the private display with `xprop`).
//!
//! Needs Xvfb, x11-utils (`xwininfo`) and ImageMagick (`import`), plus Mesa's software renderer
//! (`libgl1-mesa-dri`): see the README's apt line.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// One plugin the command can capture.
struct Target {
    /// Command-line name and PNG file stem.
    name: &'static str,
    /// Cargo package with the `standalone` feature.
    package: &'static str,
    /// The window title to wait for.
    title: &'static str,
}

const TARGETS: [Target; 2] = [
    Target {
        name: "preamp",
        package: "gainstage_preamp",
        title: "Gainstage Preamp",
    },
    Target {
        name: "poweramp",
        package: "gainstage_poweramp",
        title: "Gainstage Power Amp",
    },
];

/// The X display the screenshots are taken on.
const DISPLAY: &str = ":97";
/// How long to wait for a window before giving up.
const WINDOW_TIMEOUT: Duration = Duration::from_secs(60);
/// Time after the window appears for the first frames to be drawn.
const SETTLE_TIME: Duration = Duration::from_secs(3);

/// Kills a child process when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the command for the plugins named in `args` (default: every plugin with an editor).
pub fn screenshot(args: impl Iterator<Item = String>) -> Result<()> {
    let mut names: Vec<String> = Vec::new();
    let mut scale: u32 = 1;
    let mut args = args;
    while let Some(arg) = args.next() {
        if arg == "--scale" {
            scale = args
                .next()
                .and_then(|value| value.parse().ok())
                .filter(|value| (1..=3).contains(value))
                .context("--scale takes 1, 2 or 3")?;
        } else {
            names.push(arg);
        }
    }
    let every = names.is_empty() || names.iter().any(|name| name == "all");
    let selected: Vec<&Target> = if every {
        TARGETS.iter().collect()
    } else {
        names
            .iter()
            .map(|name| {
                TARGETS
                    .iter()
                    .find(|target| target.name == name)
                    .with_context(|| format!("unknown plugin '{name}' (preamp, poweramp, all)"))
            })
            .collect::<Result<_>>()?
    };
    let root = workspace_root();
    std::fs::create_dir_all(root.join("docs"))?;

    let _xvfb = Guard(
        Command::new("Xvfb")
            // -noreset: keep the root window's resources between clients. The screen is larger
            // than twice the biggest editor so that the pointer, which Xvfb parks at the centre,
            // is off the window (no hover highlight or tooltip in the picture).
            .args([
                DISPLAY,
                "-screen",
                "0",
                "4400x3000x24",
                "-nolisten",
                "tcp",
                "-noreset",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting Xvfb (apt-get install xvfb)")?,
    );
    wait_for(|| {
        run_quiet(
            Command::new("xwininfo")
                .args(["-root"])
                .env("DISPLAY", DISPLAY),
        )
    })
    .context("Xvfb did not start")?;
    // baseview reads the UI scale from the X resource Xft.dpi (96 dpi = 100 %).
    let resources = format!("Xft.dpi:\t{}\n", 96 * scale);
    let resources_set = run_quiet(
        Command::new("xprop")
            .args([
                "-root",
                "-f",
                "RESOURCE_MANAGER",
                "8s",
                "-set",
                "RESOURCE_MANAGER",
            ])
            .arg(&resources)
            .env("DISPLAY", DISPLAY),
    );
    if !resources_set {
        bail!("xprop could not set Xft.dpi (apt-get install x11-utils)");
    }

    for target in selected {
        println!("== building the {} standalone", target.name);
        let status = Command::new(env!("CARGO"))
            .current_dir(&root)
            .args([
                "build",
                "--release",
                "-p",
                target.package,
                "--features",
                "standalone",
            ])
            .status()?;
        if !status.success() {
            bail!("building {} failed", target.package);
        }
        let binary = root.join("target/release").join(target.package);
        let suffix = if scale == 1 {
            String::new()
        } else {
            format!("@{scale}x")
        };
        let output = root
            .join("docs")
            .join(format!("{}{suffix}.png", target.name));
        match capture(target, &binary, &output) {
            Ok(()) => println!("== saved {}", output.display()),
            // With `all`, a plugin without an editor yet is reported, not fatal.
            Err(error) if every => println!("== {}: no screenshot: {error:#}", target.name),
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

fn capture(target: &Target, binary: &Path, output: &Path) -> Result<()> {
    let _app = Guard(
        Command::new(binary)
            .args(["--backend", "dummy"])
            .env("DISPLAY", DISPLAY)
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?,
    );
    let window = {
        let started = Instant::now();
        loop {
            if let Some(id) = window_id(target.title) {
                break id;
            }
            if started.elapsed() > WINDOW_TIMEOUT {
                bail!("no '{}' window within {:?}", target.title, WINDOW_TIMEOUT);
            }
            sleep(Duration::from_millis(250));
        }
    };
    sleep(SETTLE_TIME);
    let status = Command::new("import")
        .args(["-window", &window])
        .arg(output)
        .env("DISPLAY", DISPLAY)
        .status()
        .context("running ImageMagick's import (apt-get install imagemagick)")?;
    if !status.success() {
        bail!("import failed for window {window}");
    }
    Ok(())
}

/// The X window ID of the top-level window titled `title`, if it is mapped.
fn window_id(title: &str) -> Option<String> {
    let output = Command::new("xwininfo")
        .args(["-name", title])
        .env("DISPLAY", DISPLAY)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mapped = text.contains("IsViewable");
    let id = text
        .lines()
        .find_map(|line| line.split("Window id: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_owned);
    id.filter(|_| mapped)
}

fn run_quiet(command: &mut Command) -> bool {
    command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn wait_for(mut ready: impl FnMut() -> bool) -> Result<()> {
    let started = Instant::now();
    while !ready() {
        if started.elapsed() > Duration::from_secs(10) {
            bail!("timed out");
        }
        sleep(Duration::from_millis(100));
    }
    Ok(())
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}
