//! The C test suite of the C API (`tests/c`), built and run from `cargo test`.
//!
//! The suite (every `tests/c/*.c` but `header_*.c`) is compiled with `-Wall -Wextra
//! -Wpedantic -Werror -g` as C99 and as C11, with AddressSanitizer and UBSan
//! (`-fno-sanitize-recover=all`), against `libbellwether.a`; and once, as C99 without
//! sanitizers, against `libbellwether.so` (found through an rpath by its SONAME,
//! `libbellwether.so.0`, which a test checks too). Each build runs once; it
//! must exit 0, and its output is printed. gcc is required; clang builds the same way when
//! it is installed, and is skipped (saying so) when it is not, unless
//! `BELLWETHER_REQUIRE_CLANG=1`, which makes a missing clang a failure.
//!
//! `tests/c/header_compiles.c` checks the header on its own: compiled (not linked) as C99,
//! C11 (with `_Static_assert`s) and C++11, with `-Werror`, by gcc/g++ and clang/clang++.
//! `tests/c/header_switch.c` checks that a switch on one of the header's enums lets those
//! compilers flag a missing case (`-Wswitch`).
//!
//! The library is the release build, as it ships (built by `common::library_dir` into
//! `target/release/`), and the static builds link it with no other library: it needs
//! nothing but libc.

mod common;

use common::{library_dir, repository};
use std::path::PathBuf;
use std::process::{Command, Output};

/// The warnings every C and C++ translation unit must compile without.
const WARNINGS: [&str; 4] = ["-Wall", "-Wextra", "-Wpedantic", "-Werror"];

/// AddressSanitizer and UndefinedBehaviorSanitizer; any report ends the run with an error.
const SANITIZERS: [&str; 3] = [
    "-fsanitize=address,undefined",
    "-fno-omit-frame-pointer",
    "-fno-sanitize-recover=all",
];

/// Set to `1` to make a missing clang fail the clang tests instead of skipping them.
const REQUIRE_CLANG: &str = "BELLWETHER_REQUIRE_CLANG";

fn c_tests_dir() -> PathBuf {
    repository().join("tests/c")
}

fn library(file: &str) -> PathBuf {
    let path = library_dir().join(file);
    assert!(
        path.exists(),
        "{} not found: build it with `cargo build --release -p bellwether-ffi`",
        path.display()
    );
    path
}

/// The sources of the suite: `tests/c/*.c` but the header checks, sorted.
fn suite_sources() -> Vec<PathBuf> {
    let dir = c_tests_dir();
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| {
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or("");
            name.ends_with(".c") && !name.starts_with("header_")
        })
        .collect();
    sources.sort();
    assert!(
        sources.iter().any(|path| path.ends_with("main.c")),
        "tests/c/main.c is missing"
    );
    sources
}

/// A fresh directory for one build's outputs.
fn out_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("c_api")
        .join(name);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|error| panic!("cannot create {}: {error}", dir.display()));
    dir
}

/// Whether `tool --version` runs.
fn installed(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// Whether the clang tests run: true when `clang` and `clang++` are installed; otherwise
/// they are skipped, saying so, or fail when `BELLWETHER_REQUIRE_CLANG=1`.
fn clang_available(test: &str) -> bool {
    let missing: Vec<&str> = ["clang", "clang++"]
        .into_iter()
        .filter(|tool| !installed(tool))
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var(REQUIRE_CLANG).as_deref() != Ok("1"),
        "{test}: {} not installed, and {REQUIRE_CLANG}=1 requires it",
        missing.join(" and ")
    );
    println!(
        "skipped {test}: {} not installed (set {REQUIRE_CLANG}=1 to make this a failure)",
        missing.join(" and ")
    );
    false
}

/// Runs `command`, failing the test with its output unless it succeeds.
fn run(mut command: Command, what: &str) -> Output {
    let output = command.output().unwrap_or_else(|error| {
        panic!(
            "cannot run {} for {what} (is it installed?): {error}",
            command.get_program().to_string_lossy()
        )
    });
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{command:?}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `readelf -d` of an ELF file: its dynamic section (SONAME, NEEDED, RUNPATH).
fn dynamic_section(path: &std::path::Path) -> String {
    let mut readelf = Command::new("readelf");
    readelf.arg("-d").arg(path);
    String::from_utf8_lossy(&run(readelf, &format!("readelf -d {}", path.display())).stdout)
        .into_owned()
}

/// A directory with the links an installed shared library has, to the release build's
/// `libbellwether.so`: `libbellwether.so` for the linker, `libbellwether.so.0` (its SONAME)
/// for the loader.
fn shared_library_links(name: &str) -> PathBuf {
    let dir = out_dir(name).join("lib");
    std::fs::create_dir_all(&dir).expect("the lib directory can be created");
    let target = library("libbellwether.so");
    for link in ["libbellwether.so", "libbellwether.so.0"] {
        let link = dir.join(link);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link)
            .unwrap_or_else(|error| panic!("cannot link {}: {error}", link.display()));
    }
    dir
}

/// The shared library names its ABI version: SONAME `libbellwether.so.0`, so programs
/// record that and a library with another major version is never loaded in its place.
#[test]
fn the_shared_library_is_versioned() {
    let section = dynamic_section(&library("libbellwether.so"));
    println!("readelf -d target/release/libbellwether.so:\n{section}");
    assert!(
        section.contains("Library soname: [libbellwether.so.0]"),
        "libbellwether.so has no SONAME libbellwether.so.0"
    );
    let needed: Vec<&str> = section
        .lines()
        .filter(|line| line.contains("(NEEDED)"))
        .collect();
    assert!(
        needed.len() == 1 && needed.iter().all(|line| line.contains("[libc.so.")),
        "libbellwether.so needs more than libc:\n{}",
        needed.join("\n")
    );
}

#[derive(Clone, Copy, Debug)]
enum Linkage {
    /// `libbellwether.a` alone (it needs nothing but the C library).
    Static,
    /// `libbellwether.so` through links named as installed ones are, found at run time
    /// through an rpath by its SONAME.
    Shared,
}

/// One build of the suite.
#[derive(Clone, Copy, Debug)]
struct Build {
    compiler: &'static str,
    standard: &'static str,
    sanitize: bool,
    linkage: Linkage,
}

impl Build {
    fn name(&self) -> String {
        format!(
            "{}-{}-{}{}",
            self.compiler,
            self.standard,
            match self.linkage {
                Linkage::Static => "static",
                Linkage::Shared => "shared",
            },
            if self.sanitize { "-sanitized" } else { "" }
        )
    }

    /// Compiles and links the suite; returns the executable.
    fn compile(&self) -> PathBuf {
        let exe = out_dir(&self.name()).join("c_tests");
        let mut command = Command::new(self.compiler);
        command
            .arg(format!("-std={}", self.standard))
            .args(WARNINGS)
            .arg("-g")
            .args(if self.sanitize { &SANITIZERS[..] } else { &[] })
            .arg("-I")
            .arg(repository().join("include"))
            .arg("-I")
            .arg(c_tests_dir())
            .args(suite_sources());
        match self.linkage {
            Linkage::Static => {
                // Nothing but the archive: it needs no library beyond libc.
                command.arg(library("libbellwether.a"));
            }
            Linkage::Shared => {
                let lib = shared_library_links(&self.name());
                command
                    .arg("-L")
                    .arg(&lib)
                    .arg("-lbellwether")
                    .arg(format!("-Wl,-rpath,{}", lib.display()));
            }
        }
        command.arg("-o").arg(&exe);
        run(command, &format!("{} compiling tests/c", self.name()));
        if let Linkage::Shared = self.linkage {
            let needed = dynamic_section(&exe);
            assert!(
                needed.contains("Shared library: [libbellwether.so.0]"),
                "{} does not record the SONAME libbellwether.so.0:\n{needed}",
                exe.display()
            );
        }
        exe
    }

    /// Compiles the suite, runs it, prints its output and checks it passed.
    fn check(&self) {
        let exe = self.compile();
        let mut command = Command::new(&exe);
        command
            .env("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
            .env("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
            // cargo test points LD_LIBRARY_PATH at target/<profile>/, which the loader would
            // search before the rpath: the shared build must load the release library.
            .env_remove("LD_LIBRARY_PATH");
        let output = command
            .output()
            .unwrap_or_else(|error| panic!("cannot run {}: {error}", exe.display()));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        println!("{}:\n{stdout}{stderr}", self.name());
        assert!(
            output.status.success(),
            "the C tests ({}) failed ({}); failed scenarios:\n{}",
            self.name(),
            output.status,
            stdout
                .lines()
                .filter(|line| line.starts_with("FAILED"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert!(
            stdout.contains("all scenarios passed"),
            "the C tests ({}) exited 0 without finishing",
            self.name()
        );
    }
}

fn sanitized(compiler: &'static str, standard: &'static str) -> Build {
    Build {
        compiler,
        standard,
        sanitize: true,
        linkage: Linkage::Static,
    }
}

#[test]
fn c_tests_gcc_c99_static_sanitized() {
    sanitized("gcc", "c99").check();
}

#[test]
fn c_tests_gcc_c11_static_sanitized() {
    sanitized("gcc", "c11").check();
}

#[test]
fn c_tests_gcc_c99_shared() {
    Build {
        compiler: "gcc",
        standard: "c99",
        sanitize: false,
        linkage: Linkage::Shared,
    }
    .check();
}

#[test]
fn c_tests_clang_c99_static_sanitized() {
    if clang_available("c_tests_clang_c99_static_sanitized") {
        sanitized("clang", "c99").check();
    }
}

#[test]
fn c_tests_clang_c11_static_sanitized() {
    if clang_available("c_tests_clang_c11_static_sanitized") {
        sanitized("clang", "c11").check();
    }
}

/// Compiles `tests/c/header_compiles.c` alone as C99, C11 and C++11.
fn check_header(c_compiler: &str, cxx_compiler: &str) {
    let source = c_tests_dir().join("header_compiles.c");
    let dir = out_dir(&format!("header-{c_compiler}"));
    let units = [
        (c_compiler, "c", "c99"),
        (c_compiler, "c", "c11"),
        (cxx_compiler, "c++", "c++11"),
    ];
    for (compiler, language, standard) in units {
        let mut command = Command::new(compiler);
        command
            .args(["-x", language])
            .arg(format!("-std={standard}"))
            .args(WARNINGS)
            .arg("-I")
            .arg(repository().join("include"))
            .arg("-c")
            .arg(&source)
            .arg("-o")
            .arg(dir.join(format!("header-{standard}.o")));
        run(
            command,
            &format!("{compiler} -std={standard} compiling the header"),
        );
        println!("include/bellwether.h compiles: {compiler} -std={standard}");
    }
}

/// Compiles `tests/c/header_switch.c` as C99, C11 and C++11 with `-Wall -Werror` (which
/// has `-Wswitch`): complete switches on the header's enums compile, and with
/// `-DMISSING_CASE` the compiler refuses each switch that lacks a case, naming the
/// enumerator; so the enums C users switch on are checked by their compiler.
fn check_switches(c_compiler: &str, cxx_compiler: &str) {
    let source = c_tests_dir().join("header_switch.c");
    let dir = out_dir(&format!("switch-{c_compiler}"));
    let units = [
        (c_compiler, "c", "c99"),
        (c_compiler, "c", "c11"),
        (cxx_compiler, "c++", "c++11"),
    ];
    for (compiler, language, standard) in units {
        let compile = |missing_case: bool| {
            let mut command = Command::new(compiler);
            command
                .args(["-x", language])
                .arg(format!("-std={standard}"))
                .args(WARNINGS)
                .arg("-Wswitch")
                .args(if missing_case {
                    &["-DMISSING_CASE"][..]
                } else {
                    &[]
                })
                .arg("-I")
                .arg(repository().join("include"))
                .arg("-c")
                .arg(&source)
                .arg("-o")
                .arg(dir.join(format!("switch-{standard}-{missing_case}.o")));
            command
        };
        run(
            compile(false),
            &format!("{compiler} -std={standard} compiling complete switches"),
        );
        let mut incomplete = compile(true);
        let output = incomplete
            .output()
            .unwrap_or_else(|error| panic!("cannot run {compiler}: {error}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success(),
            "{compiler} -std={standard} accepted switches that lack a case:\n{incomplete:?}"
        );
        for missing in [
            "BW_OUTPUT_KIND_TIMEOUT",
            "BW_EVENT_KIND_LEADER_CHANGED",
            "BW_RESULT_BUFFER_TOO_SMALL",
        ] {
            assert!(
                stderr.contains(missing),
                "{compiler} -std={standard} did not name the missing case {missing}:\n{stderr}"
            );
        }
        println!("switches on the header's enums are checked: {compiler} -std={standard}");
    }
}

#[test]
fn switches_on_the_enums_are_checked_by_gcc() {
    check_switches("gcc", "g++");
}

#[test]
fn switches_on_the_enums_are_checked_by_clang() {
    if clang_available("switches_on_the_enums_are_checked_by_clang") {
        check_switches("clang", "clang++");
    }
}

#[test]
fn header_compiles_with_gcc() {
    check_header("gcc", "g++");
}

#[test]
fn header_compiles_with_clang() {
    if clang_available("header_compiles_with_clang") {
        check_header("clang", "clang++");
    }
}
