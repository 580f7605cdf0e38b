//! The standalone applications start on the dummy audio backend (a machine with no audio device)
//! and keep running until stopped.

#![cfg(target_os = "linux")]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gainstage_tests::bundle::{host_tests_target_dir, workspace_root};

const PACKAGES: [&str; 2] = ["gainstage_preamp", "gainstage_poweramp"];

fn build_standalones() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace_root())
        .env("CARGO_TARGET_DIR", host_tests_target_dir())
        .args(["build", "--release", "--bins"]);
    for package in PACKAGES {
        command.args(["-p", package]);
    }
    command.args([
        "--features",
        "gainstage_preamp/standalone,gainstage_poweramp/standalone",
    ]);
    let output = command.output().expect("cargo runs");
    assert!(
        output.status.success(),
        "building the standalone applications failed (by hand: cargo build --release --bins \
         -p gainstage_preamp -p gainstage_poweramp --features \
         gainstage_preamp/standalone,gainstage_poweramp/standalone):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn standalones_run_on_the_dummy_backend() {
    build_standalones();
    for package in PACKAGES {
        let binary = host_tests_target_dir().join("release").join(package);
        let mut child = Command::new(&binary)
            .args(["--backend", "dummy"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", binary.display()));
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(2) {
            if let Some(status) = child.try_wait().expect("poll the standalone") {
                let output = child.wait_with_output().expect("collect its output");
                panic!(
                    "{package} exited after {:?} with {status}:\n{}",
                    started.elapsed(),
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        child.kill().expect("stop the standalone");
        let output = child.wait_with_output().expect("collect its output");
        let log = String::from_utf8_lossy(&output.stderr);
        assert!(!log.contains("panicked"), "{package} panicked:\n{log}");
    }
}
