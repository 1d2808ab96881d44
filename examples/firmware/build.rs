//! Puts `memory.x` where cortex-m-rt's `link.x` finds it, and links with `link.x`. The link
//! argument is given here rather than in `.cargo/config.toml` so that a `RUSTFLAGS` set in
//! the environment (which replaces config rustflags) cannot drop it.

use std::path::PathBuf;
use std::{env, fs};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy("memory.x", out.join("memory.x")).expect("memory.x is readable");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
    // defmt keeps its format strings in sections its own linker script places.
    if env::var_os("CARGO_FEATURE_DEFMT").is_some() {
        println!("cargo:rustc-link-arg-bins=-Tdefmt.x");
    }
}
