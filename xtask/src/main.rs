//! `cargo xtask`: bundles, installs and uninstalls the Gainstage plugins, and runs the tools.
//!
//! `bundle` is nice-plug-xtask's bundler (reads `bundler.toml`); `install` builds both plugins in
//! release and copies their CLAP and VST3 bundles into the per-user plugin folders; `uninstall`
//! removes them again. `render`, `params`, `soak` and `bench` run the `gainstage-tools` binary
//! (crate `tools/`, built in release), which drives the built bundles in the project's CLAP
//! host; keeping it a separate crate keeps the plugins out of this bundler's own build.

mod install;
mod screenshot;

use anyhow::Result;

/// The plugin packages, in the order they are built and installed.
pub const PLUGIN_PACKAGES: [&str; 2] = ["gainstage_preamp", "gainstage_poweramp"];

const USAGE: &str = "Usage:
  cargo xtask bundle <package> [--release]        build one plugin bundle (nice-plug-xtask)
  cargo xtask bundle -p <pkg> -p <pkg> [--release]
  cargo xtask install                              build both plugins (release) and install them
  cargo xtask uninstall                            remove the installed Gainstage bundles
  cargo xtask render <in.wav> <out.wav> --plugin preamp|poweramp [--set name=value]...
                                                   run a WAV file through a built plugin
  cargo xtask params --plugin preamp|poweramp      list parameters, values and presets
  cargo xtask soak [--minutes N]                   hour-long soak with random automation
  cargo xtask bench                                write docs/benchmarks.md
  cargo xtask screenshot [preamp|poweramp|all] [--scale 2]
                                                   capture the editors under Xvfb into docs/
  (cargo xtask render --help for every option)";

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("install") => install::install(),
        Some("uninstall") => install::uninstall(),
        Some("screenshot") => screenshot::screenshot(args),
        Some("bundle") | Some("bundle-universal") | Some("known-packages") => {
            nice_plug_xtask::main_with_args("cargo xtask", std::env::args().skip(1))
        }
        Some(command @ ("render" | "params" | "soak" | "bench")) => {
            run_tools(command, std::env::args().skip(2))
        }
        Some("help") | Some("--help") | Some("-h") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => anyhow::bail!("unknown command '{other}'\n\n{USAGE}"),
    }
}

/// Runs `gainstage-tools <command> <arguments>` through `cargo run --release`, from the
/// workspace root, and exits with its status.
fn run_tools(command: &str, arguments: impl Iterator<Item = String>) -> Result<()> {
    let arguments: Vec<String> = arguments.collect();
    let command = if arguments.iter().any(|a| a == "--help" || a == "-h") {
        "help"
    } else {
        command
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = std::process::Command::new(&cargo)
        .current_dir(install::workspace_root()?)
        .args([
            "run",
            "--quiet",
            "--release",
            "--package",
            "gainstage_tools",
        ])
        .args(["--bin", "gainstage-tools", "--", command])
        .args(&arguments)
        .status()
        .map_err(|error| anyhow::anyhow!("running `{cargo} run -p gainstage_tools`: {error}"))?;
    std::process::exit(status.code().unwrap_or(1));
}
