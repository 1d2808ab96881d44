//! The install step for C users, end to end: `ffi/CMakeLists.txt` builds the library with
//! cargo and installs it into a temporary prefix, then `examples/c/minimal.c` (the README's
//! program) is built against the installed copy with pkg-config and with
//! `find_package(bellwether)`, and every binary must elect and print a leader. The shared
//! library is installed versioned (`libbellwether.so.0.1.0`, SONAME `libbellwether.so.0`,
//! and the two links), and programs linked with it record `libbellwether.so.0`; the static
//! library is small (no LLVM bitcode, no debug info) and programs linked with it need
//! nothing but libc.
//!
//! Design: the nested cargo build that CMake runs uses its own target directory,
//! `target/tmp/bellwether-install/cargo-target`. The `cargo test` running this test holds the
//! lock of the workspace's target directory, so a nested build there would wait for it
//! forever; a separate one has no lock to share and tests the real, documented path (CMake
//! invoking cargo). It costs one release build of the crate on the first run (about 10 s on
//! two cores); the directory is kept, so later runs are a cargo no-op. The CMake build
//! directory and the prefix are recreated on every run.
//!
//! Needs `cmake`, `pkg-config`, `cc`, `readelf` and `nm`. Without them the tests fail,
//! unless `BELLWETHER_SKIP_INSTALL_TEST=1` is set: then they print that they skipped and
//! pass. Linux only: they read the ELF files' dynamic sections.
#![cfg(target_os = "linux")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const SKIP_VAR: &str = "BELLWETHER_SKIP_INSTALL_TEST";
const TOOLS: [&str; 5] = ["cmake", "pkg-config", "cc", "readelf", "nm"];
/// The largest installed `libbellwether.a` these tests accept, in bytes (2 MiB; it was
/// 22 MB when the library linked Rust's std).
const STATIC_LIBRARY_BUDGET: u64 = 2 * 1024 * 1024;
const C_FLAGS: [&str; 5] = ["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"];

/// The result of the install step: where everything is.
struct Install {
    root: PathBuf,
    prefix: PathBuf,
    cargo_target: PathBuf,
}

impl Install {
    fn lib(&self) -> PathBuf {
        self.prefix.join("lib")
    }

    /// A fresh directory for one test's outputs.
    fn scratch(&self, name: &str) -> PathBuf {
        let dir = self.root.join("out").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the scratch directory can be created");
        dir
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("ffi/ has a parent")
        .to_path_buf()
}

fn minimal_c() -> PathBuf {
    repo().join("examples/c/minimal.c")
}

/// Runs `command`, fails the test with its output unless it succeeds, returns its stdout.
fn run(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({})\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    String::from_utf8(output.stdout).expect("the output is UTF-8")
}

/// The install, done once for all tests of this file; `None` when the tools are missing
/// and `BELLWETHER_SKIP_INSTALL_TEST=1` allows skipping.
fn installed(test: &str) -> Option<&'static Install> {
    static INSTALL: OnceLock<Option<Install>> = OnceLock::new();
    let install = INSTALL.get_or_init(|| {
        let missing: Vec<&str> = TOOLS
            .into_iter()
            .filter(|tool| Command::new(tool).arg("--version").output().is_err())
            .collect();
        if missing.is_empty() {
            return Some(install());
        }
        let skip = std::env::var(SKIP_VAR).is_ok_and(|value| value == "1");
        assert!(
            skip,
            "the install test needs {}, which is not on the PATH: install it \
             (Debian: apt-get install cmake pkg-config gcc) or set {SKIP_VAR}=1 to skip",
            missing.join(", "),
        );
        note(&format!("skipping: {} missing", missing.join(", ")));
        None
    });
    if install.is_none() {
        note(&format!("{test}: skipped ({SKIP_VAR}=1)"));
    }
    install.as_ref()
}

/// Prints `text` to stderr past the test harness's capture, so that a skip is visible.
fn note(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// The documented install step, into `target/tmp/bellwether-install/prefix`.
fn install() -> Install {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bellwether-install");
    assert!(
        !root.to_string_lossy().contains(char::is_whitespace),
        "pkg-config output is split on whitespace: {root:?} must not contain any"
    );
    let (build, prefix) = (root.join("build"), root.join("prefix"));
    for dir in [&build, &prefix, &root.join("out")] {
        let _ = std::fs::remove_dir_all(dir);
    }
    let cargo_target = root.join("cargo-target");
    run(Command::new("cmake")
        .arg("-S")
        .arg(repo().join("ffi"))
        .arg("-B")
        .arg(&build)
        .arg(format!(
            "-DBELLWETHER_CARGO_TARGET_DIR={}",
            cargo_target.display()
        ))
        .arg("-DBELLWETHER_CARGO_FLAGS=--locked")
        // GNUInstallDirs would pick lib64 on some distributions: pin the layout.
        .arg("-DCMAKE_INSTALL_LIBDIR=lib"));
    run(Command::new("cmake").arg("--build").arg(&build));
    run(Command::new("cmake")
        .arg("--install")
        .arg(&build)
        .arg("--prefix")
        .arg(&prefix));
    Install {
        root,
        prefix,
        cargo_target,
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|error| panic!("cannot read {path:?}: {error}"))
}

/// The shared libraries the ELF file at `path` needs at run time (its NEEDED entries).
fn needed(path: &Path) -> Vec<String> {
    run(Command::new("readelf").arg("-d").arg(path))
        .lines()
        .filter(|line| line.contains("(NEEDED)"))
        .filter_map(|line| {
            let (_, name) = line.split_once('[')?;
            Some(name.trim_end_matches(']').to_owned())
        })
        .collect()
}

/// Whether the ELF executable at `path` needs the shared library at run time, which it
/// then names by its SONAME (`libbellwether.so.0`), never by the link name or a path.
fn needs_shared_library(path: &Path) -> bool {
    let needed = needed(path);
    assert!(
        !needed
            .iter()
            .any(|name| name.contains("bellwether") && name != "libbellwether.so.0"),
        "{path:?} needs the library by another name than its SONAME: {needed:?}"
    );
    needed.iter().any(|name| name == "libbellwether.so.0")
}

/// Checks that a statically linked program needs nothing at run time but libc (and the
/// dynamic loader, which is not a NEEDED entry): no Rust std, no libgcc_s.
fn assert_needs_only_libc(path: &Path) {
    let needed = needed(path);
    assert!(
        needed.iter().all(|name| name.starts_with("libc.so.")),
        "{path:?} needs more than libc: {needed:?}"
    );
}

/// The `bw_*` functions an archive or shared library defines, sorted.
fn exported_functions(path: &Path) -> Vec<String> {
    let mut nm = Command::new("nm");
    nm.args(["--defined-only", "--extern-only"]);
    if path.extension().is_none_or(|extension| extension != "a") {
        nm.arg("--dynamic");
    }
    let mut names: Vec<String> = run(nm.arg(path))
        .lines()
        .filter_map(|line| line.split_whitespace().nth(2))
        .filter(|name| name.starts_with("bw_"))
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Runs a built copy of the minimal program (with `LD_LIBRARY_PATH` set to exactly
/// `library_path`, or unset: `cargo test` sets its own) and checks what it printed: one
/// `leader <id> term <t>` line naming a member and a term that was campaigned for.
fn run_minimal(binary: &Path, library_path: Option<&Path>) -> String {
    let mut command = Command::new(binary);
    match library_path {
        Some(dir) => command.env("LD_LIBRARY_PATH", dir),
        None => command.env_remove("LD_LIBRARY_PATH"),
    };
    let output = run(&mut command);
    let words: Vec<&str> = output.split_whitespace().collect();
    let well_formed = output.lines().count() == 1
        && matches!(words.as_slice(), ["leader", id, "term", term]
            if ["1", "2", "3"].contains(id) && term.parse::<u64>().is_ok_and(|t| t >= 1));
    assert!(
        well_formed,
        "{binary:?} printed {output:?}, not `leader <1|2|3> term <t ≥ 1>`"
    );
    output
}

/// The same program against the same library elects the same leader: every build of it
/// must print what the first one printed.
fn assert_same_run(output: &str) {
    static FIRST: OnceLock<String> = OnceLock::new();
    let first = FIRST.get_or_init(|| output.to_owned());
    assert_eq!(output, first, "two builds of minimal.c disagree");
}

/// Compiles minimal.c with `cc <flags> minimal.c -o <out> $(pkg-config <args>)`.
fn build_with_pkg_config(install: &Install, pkg_config_args: &[&str], out: &Path) {
    let flags = run(Command::new("pkg-config")
        .args(pkg_config_args)
        .env("PKG_CONFIG_PATH", install.lib().join("pkgconfig")));
    run(Command::new("cc")
        .args(C_FLAGS)
        .arg(minimal_c())
        .arg("-o")
        .arg(out)
        .args(flags.split_whitespace()));
}

/// The prefix holds the header, both libraries (copies of what cargo built), the pkg-config
/// files and the CMake package; pkg-config reports the crate's version, the prefix, and
/// the system libraries rustc lists for the static library.
#[test]
fn install_puts_every_file_in_the_prefix() {
    let Some(install) = installed("install_puts_every_file_in_the_prefix") else {
        return;
    };
    let header = install.prefix.join("include/bellwether.h");
    assert!(
        read(&header) == read(&repo().join("include/bellwether.h")),
        "the installed header differs from include/bellwether.h"
    );
    // The shared library: cargo's file under its versioned name, SONAME
    // libbellwether.so.0, with libbellwether.so -> libbellwether.so.0 -> that file.
    let built_shared = install.cargo_target.join("release/libbellwether.so");
    let shared = install.lib().join("libbellwether.so.0.1.0");
    assert!(
        read(&shared) == read(&built_shared),
        "the installed libbellwether.so.0.1.0 differs from the one cargo built"
    );
    for (link, target) in [
        ("libbellwether.so.0", "libbellwether.so.0.1.0"),
        ("libbellwether.so", "libbellwether.so.0"),
    ] {
        let found = std::fs::read_link(install.lib().join(link))
            .unwrap_or_else(|error| panic!("lib/{link} is not a link: {error}"));
        assert_eq!(found, Path::new(target), "lib/{link} points elsewhere");
    }
    let dynamic = run(Command::new("readelf").arg("-d").arg(&shared));
    assert!(
        dynamic.contains("Library soname: [libbellwether.so.0]"),
        "the installed shared library has no SONAME libbellwether.so.0:\n{dynamic}"
    );
    // The static library: cargo's code, without the LLVM bitcode and debug info of Rust's
    // precompiled compiler_builtins.
    let built_static = install.cargo_target.join("release/libbellwether.a");
    let archive = install.lib().join("libbellwether.a");
    let size = std::fs::metadata(&archive)
        .expect("lib/libbellwether.a")
        .len();
    note(&format!(
        "libbellwether.a: {size} bytes installed, {} built by cargo; libbellwether.so: {} bytes",
        std::fs::metadata(&built_static).map_or(0, |m| m.len()),
        std::fs::metadata(&shared).map_or(0, |m| m.len()),
    ));
    assert!(
        size <= STATIC_LIBRARY_BUDGET,
        "the installed libbellwether.a is {size} bytes, over {STATIC_LIBRARY_BUDGET}"
    );
    let functions = exported_functions(&built_static);
    assert!(
        functions.len() > 20,
        "cargo's archive exports {functions:?}"
    );
    assert_eq!(exported_functions(&archive), functions);
    assert_eq!(exported_functions(&shared), functions);
    for file in [
        "pkgconfig/bellwether.pc",
        "pkgconfig/bellwether-static.pc",
        "cmake/bellwether/bellwetherConfig.cmake",
        "cmake/bellwether/bellwetherConfigVersion.cmake",
        "cmake/bellwether/bellwetherNativeLibs.cmake",
    ] {
        assert!(install.lib().join(file).is_file(), "lib/{file} is missing");
    }
    let native = native_static_libs(install);
    for (module, library) in [
        (
            "bellwether",
            format!("-L{} -lbellwether", install.lib().display()),
        ),
        (
            "bellwether-static",
            install.lib().join("libbellwether.a").display().to_string(),
        ),
    ] {
        let pkg_config = |args: &[&str]| {
            run(Command::new("pkg-config")
                .args(args)
                .arg(module)
                .env("PKG_CONFIG_PATH", install.lib().join("pkgconfig")))
        };
        assert_eq!(
            pkg_config(&["--modversion"]).trim(),
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(
            pkg_config(&["--variable=prefix"]).trim(),
            install.prefix.to_str().expect("the prefix is UTF-8")
        );
        let libs = pkg_config(&["--libs", "--static"]);
        assert_eq!(
            libs.split_whitespace().collect::<Vec<_>>(),
            format!("{library} {native}")
                .split_whitespace()
                .collect::<Vec<_>>(),
            "{module}.pc links the wrong libraries"
        );
    }
}

/// The system libraries the static library needs, asked of cargo directly (its note is
/// replayed when the crate is fresh): glibc 2.34 merged most of them into libc, so a link
/// that lacks them can still succeed here, and the list is checked by value instead.
fn native_static_libs(install: &Install) -> String {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "rustc",
            "-p",
            "bellwether-ffi",
            "--profile",
            "release",
            "--locked",
        ])
        .arg("--target-dir")
        .arg(&install.cargo_target)
        .args(["--", "--print", "native-static-libs"])
        .current_dir(repo())
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "cargo rustc failed:\n{stderr}");
    let (_, libs) = stderr
        .split_once("native-static-libs: ")
        .unwrap_or_else(|| panic!("cargo printed no native-static-libs note:\n{stderr}"));
    libs.lines().next().unwrap_or_default().trim().to_owned()
}

/// `cc minimal.c $(pkg-config --cflags --libs --static bellwether)` builds and runs. With
/// both libraries installed the linker takes `libbellwether.so` for `-lbellwether` (as for
/// any library), so the binary needs it at run time: the README says so, and points to
/// `bellwether-static` for a static link.
#[test]
fn pkg_config_bellwether_builds_minimal_c() {
    let Some(install) = installed("pkg_config_bellwether_builds_minimal_c") else {
        return;
    };
    let binary = install.scratch("pkg-config").join("minimal");
    build_with_pkg_config(
        install,
        &["--cflags", "--libs", "--static", "bellwether"],
        &binary,
    );
    assert!(
        needs_shared_library(&binary),
        "-lbellwether linked the static library: update the README's pkg-config advice"
    );
    assert_same_run(&run_minimal(&binary, Some(&install.lib())));
}

/// `cc minimal.c $(pkg-config --cflags --libs bellwether)` links the installed shared
/// library: the program records its SONAME, `libbellwether.so.0`, and runs against a
/// directory holding only what a runtime package would (`libbellwether.so.0.1.0` and the
/// `libbellwether.so.0` link, no `libbellwether.so`).
#[test]
fn pkg_config_bellwether_links_the_versioned_shared_library() {
    let Some(install) = installed("pkg_config_bellwether_links_the_versioned_shared_library")
    else {
        return;
    };
    let scratch = install.scratch("pkg-config-shared");
    let binary = scratch.join("minimal");
    build_with_pkg_config(install, &["--cflags", "--libs", "bellwether"], &binary);
    assert!(
        needs_shared_library(&binary),
        "pkg-config bellwether did not link libbellwether.so.0"
    );
    let runtime = scratch.join("runtime");
    std::fs::create_dir_all(&runtime).expect("the runtime directory can be created");
    std::fs::copy(
        install.lib().join("libbellwether.so.0.1.0"),
        runtime.join("libbellwether.so.0.1.0"),
    )
    .expect("the shared library can be copied");
    std::os::unix::fs::symlink("libbellwether.so.0.1.0", runtime.join("libbellwether.so.0"))
        .expect("the SONAME link can be made");
    assert_same_run(&run_minimal(&binary, Some(&runtime)));
}

/// `cc minimal.c $(pkg-config --cflags --libs bellwether-static)` links `libbellwether.a`
/// and the system libraries it needs: the binary runs with no library path.
#[test]
fn pkg_config_bellwether_static_links_statically() {
    let Some(install) = installed("pkg_config_bellwether_static_links_statically") else {
        return;
    };
    let binary = install.scratch("pkg-config-static").join("minimal");
    build_with_pkg_config(
        install,
        &["--cflags", "--libs", "bellwether-static"],
        &binary,
    );
    assert!(
        !needs_shared_library(&binary),
        "bellwether-static.pc linked libbellwether.so"
    );
    assert_needs_only_libc(&binary);
    assert_same_run(&run_minimal(&binary, None));
}

/// A CMake project with `find_package(bellwether 0.1 REQUIRED)` finds the installed package
/// (and refuses versions 0.2 and 1.0), `bellwether::bellwether` links statically and
/// `bellwether::shared` dynamically (found through the RUNPATH CMake sets), and both run.
#[test]
fn find_package_bellwether_builds_minimal_c() {
    let Some(install) = installed("find_package_bellwether_builds_minimal_c") else {
        return;
    };
    let project = install.scratch("find-package");
    let lists = format!(
        r#"cmake_minimum_required(VERSION 3.16)
project(app C)
foreach(incompatible IN ITEMS 0.2 1.0)
  find_package(bellwether ${{incompatible}} QUIET)
  if(bellwether_FOUND)
    message(FATAL_ERROR "find_package(bellwether ${{incompatible}}) took ${{bellwether_VERSION}}")
  endif()
endforeach()
find_package(bellwether 0.1 REQUIRED)
if(NOT bellwether_DIR STREQUAL "{expected}")
  message(FATAL_ERROR "found bellwether in ${{bellwether_DIR}}, not {expected}")
endif()
foreach(app IN ITEMS app app_shared)
  add_executable(${{app}} "{source}")
  set_target_properties(${{app}} PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  target_compile_options(${{app}} PRIVATE -Wall -Wextra -Wpedantic -Werror)
endforeach()
target_link_libraries(app PRIVATE bellwether::bellwether)
target_link_libraries(app_shared PRIVATE bellwether::shared)
"#,
        expected = install.lib().join("cmake/bellwether").display(),
        source = minimal_c().display(),
    );
    std::fs::write(project.join("CMakeLists.txt"), lists).expect("CMakeLists.txt is writable");
    let build = project.join("build");
    run(Command::new("cmake")
        .arg("-S")
        .arg(&project)
        .arg("-B")
        .arg(&build)
        .arg(format!("-DCMAKE_PREFIX_PATH={}", install.prefix.display())));
    run(Command::new("cmake").arg("--build").arg(&build));

    let app = build.join("app");
    assert!(
        !needs_shared_library(&app),
        "bellwether::bellwether linked libbellwether.so"
    );
    assert_needs_only_libc(&app);
    assert_same_run(&run_minimal(&app, None));
    let app_shared = build.join("app_shared");
    assert!(
        needs_shared_library(&app_shared),
        "bellwether::shared did not link libbellwether.so"
    );
    assert_same_run(&run_minimal(&app_shared, None));
}
