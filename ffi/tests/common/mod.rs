//! What the tests that compile C share: the repository and a freshly built library. A
//! static link needs nothing but `libbellwether.a` (and the C library, which every C link
//! has): the library uses no Rust std.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository's root.
pub fn repository() -> PathBuf {
    let repository = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    repository.canonicalize().unwrap_or(repository)
}

/// `target/release/`, holding `libbellwether.a` and `libbellwether.so` as they are now: the
/// library as it ships (release profile: no std, `panic = "abort"`, whole-program
/// optimised), whatever profile the test itself runs in.
///
/// `cargo test` builds a library that is not an rlib only as a test harness, so the
/// archive there could be stale or missing: this builds it (once per test binary) with
/// `cargo build --release -p bellwether-ffi` into the same target directory as the test.
/// Cargo holds no build lock while tests run, so the nested build is safe.
pub fn library_dir() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = std::env::current_exe().expect("the test executable has a path");
            let target_dir = exe
                .parent()
                .and_then(Path::parent)
                .and_then(Path::parent)
                .expect("the test executable lies in target/<profile>/deps");
            let status = Command::new(env!("CARGO"))
                .args(["build", "--quiet", "--release", "-p", "bellwether-ffi"])
                .arg("--target-dir")
                .arg(target_dir)
                .current_dir(repository())
                .status()
                .expect("cargo runs");
            assert!(
                status.success(),
                "cargo build --release -p bellwether-ffi failed"
            );
            target_dir.join("release")
        })
        .clone()
}
