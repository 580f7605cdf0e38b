//! `cargo xtask install` and `uninstall` into a scratch home folder: the installed bundles have
//! the structure hosts expect (`NAME.clap`, `NAME.vst3/Contents/x86_64-linux/NAME.so`), a second
//! install overwrites the first, and uninstall removes them.

#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::Command;

use gainstage_tests::bundle::{host_tests_target_dir, workspace_root};

const NAMES: [&str; 2] = ["Gainstage Preamp", "Gainstage Power Amp"];

fn xtask(home: &Path, command: &str) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .current_dir(workspace_root())
        .env("HOME", home)
        .env("CARGO_TARGET_DIR", host_tests_target_dir())
        .args(["xtask", command])
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "`cargo xtask {command}` failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8_lossy(&output.stdout);
    for name in NAMES {
        assert!(
            printed.contains(name),
            "`cargo xtask {command}` did not mention {name}:\n{printed}"
        );
    }
}

fn installed_paths(home: &Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    (
        home.join(".clap").join(format!("{name}.clap")),
        home.join(".vst3")
            .join(format!("{name}.vst3"))
            .join("Contents")
            .join("x86_64-linux")
            .join(format!("{name}.so")),
    )
}

#[test]
fn install_twice_then_uninstall_in_a_scratch_home() {
    let home = std::env::temp_dir().join(format!("gainstage-install-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).expect("scratch home");

    xtask(&home, "install");
    for name in NAMES {
        let (clap, vst3) = installed_paths(&home, name);
        assert!(clap.is_file(), "missing {}", clap.display());
        assert!(vst3.is_file(), "missing {}", vst3.display());
    }
    // An older install is replaced: mark one file, install again, and the mark is gone.
    let (marked, _) = installed_paths(&home, NAMES[0]);
    std::fs::write(&marked, b"stale").expect("mark the installed bundle");
    xtask(&home, "install");
    let reinstalled = std::fs::metadata(&marked)
        .expect("reinstalled bundle")
        .len();
    assert!(
        reinstalled > 1_000,
        "reinstall left the stale file ({reinstalled} bytes)"
    );

    xtask(&home, "uninstall");
    for name in NAMES {
        let (clap, vst3) = installed_paths(&home, name);
        assert!(
            !clap.exists() && !vst3.exists(),
            "{name} still installed after uninstall"
        );
    }
    let _ = std::fs::remove_dir_all(&home);
}
