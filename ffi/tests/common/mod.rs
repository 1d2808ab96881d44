//! What the tests that compile C share: the repository, a freshly built library, and the
//! system libraries a static link needs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository's root.
pub fn repository() -> PathBuf {
    let repository = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    repository.canonicalize().unwrap_or(repository)
}

/// The system libraries Rust's std needs when `libbellwether.a` is linked on Linux (as
/// `cargo rustc -p bellwether-ffi --crate-type staticlib -- --print native-static-libs`
/// says).
pub const NATIVE_LIBS: [&str; 7] = [
    "-lgcc_s",
    "-lutil",
    "-lrt",
    "-lpthread",
    "-lm",
    "-ldl",
    "-lc",
];

/// `target/<profile>/`, holding `libbellwether.a` and `libbellwether.so` as they are now.
///
/// `cargo test` builds a library that is not an rlib only as a test harness, so the
/// archive there could be stale or missing: this builds it (once per test binary) with
/// `cargo build -p bellwether-ffi` into the same target directory and profile as the
/// test itself. Cargo holds no build lock while tests run, so the nested build is safe.
pub fn library_dir() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = std::env::current_exe().expect("the test executable has a path");
            let profile_dir = exe
                .parent()
                .and_then(Path::parent)
                .expect("the test executable lies in target/<profile>/deps");
            let profile = profile_dir
                .file_name()
                .and_then(|name| name.to_str())
                .expect("a profile directory");
            let target_dir = profile_dir.parent().expect("a target directory");
            let mut cargo = Command::new(env!("CARGO"));
            cargo
                .args(["build", "--quiet", "-p", "bellwether-ffi", "--target-dir"])
                .arg(target_dir)
                .current_dir(repository());
            match profile {
                "debug" => {}
                "release" => {
                    cargo.arg("--release");
                }
                other => {
                    cargo.args(["--profile", other]);
                }
            }
            let status = cargo.status().expect("cargo runs");
            assert!(status.success(), "cargo build -p bellwether-ffi failed");
            profile_dir.to_path_buf()
        })
        .clone()
}
