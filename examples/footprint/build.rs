//! Puts `memory.x` where cortex-m-rt's `link.x` finds it, and sets `cfg(engine)` when any
//! algorithm feature is on (the image then builds an engine; without one it is the
//! baseline).

use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("memory.x"), include_bytes!("memory.x")).expect("write memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-check-cfg=cfg(engine)");
    let algorithms = [
        "BULLY",
        "NEXT_IN_LINE",
        "CANDIDATES",
        "INVITATION",
        "RING",
        "QUORUM",
    ];
    if algorithms
        .iter()
        .any(|name| env::var_os(format!("CARGO_FEATURE_{name}")).is_some())
    {
        println!("cargo:rustc-cfg=engine");
    }
}
