//! Link settings for the tools binary and tests.
//!
//! The tools link both plugin crates (for their factory-preset tables), and each plugin crate
//! carries its plugin's exported entry points (`clap_entry`, `GetPluginFactory`, `ModuleEntry`,
//! `ModuleExit`), so the two collide at link time. The tools never call them (they load the
//! built bundles instead), so the linker is told to keep the first definition of each.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if env == "msvc" {
        println!("cargo:rustc-link-arg=/FORCE:MULTIPLE");
    } else if os != "macos" && os != "ios" {
        println!("cargo:rustc-link-arg=-Wl,--allow-multiple-definition");
    }
}
