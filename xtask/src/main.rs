//! `cargo xtask`: bundles, installs and uninstalls the Gainstage plugins.
//!
//! `bundle` is nice-plug-xtask's bundler (reads `bundler.toml`); `install` builds both plugins in
//! release and copies their CLAP and VST3 bundles into the per-user plugin folders; `uninstall`
//! removes them again.

mod install;

use anyhow::Result;

/// The plugin packages, in the order they are built and installed.
pub const PLUGIN_PACKAGES: [&str; 2] = ["gainstage_preamp", "gainstage_poweramp"];

const USAGE: &str = "Usage:
  cargo xtask bundle <package> [--release]        build one plugin bundle (nice-plug-xtask)
  cargo xtask bundle -p <pkg> -p <pkg> [--release]
  cargo xtask install                              build both plugins (release) and install them
  cargo xtask uninstall                            remove the installed Gainstage bundles";

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("install") => install::install(),
        Some("uninstall") => install::uninstall(),
        Some("bundle") | Some("bundle-universal") | Some("known-packages") => {
            nice_plug_xtask::main_with_args("cargo xtask", std::env::args().skip(1))
        }
        Some("help") | Some("--help") | Some("-h") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => anyhow::bail!("unknown command '{other}'\n\n{USAGE}"),
    }
}
