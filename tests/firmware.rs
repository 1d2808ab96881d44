//! The firmware examples, built for the Cortex-M4F and run under QEMU (`mps2-an386`):
//!
//! - `examples/firmware/` (Rust), once with quorum election (its default feature), once
//!   with quorum election and authenticated messages (`--features authentication`:
//!   CMAC-AES-128, a new session per boot, forged frames injected on the bus) and once with
//!   Bully (`--no-default-features --features bully`);
//! - `examples/firmware-c/` (C against `include/bellwether.h`), linked with
//!   `libbellwether.a` built for `thumbv7em-none-eabihf`.
//!
//! Each image runs five engines on an in-memory bus with loss and delay, elects, loses its
//! leader, re-elects and takes the stopped node back, checking itself as it goes; it
//! prints a report through semihosting and exits 0 only if every check held. The test
//! fails on a non-zero exit, on a firmware still running after [`QEMU_TIMEOUT`] (it is
//! killed), and on a report without the expected lines (each phase inside its bound, for
//! quorum election the lease and flash lines, and authenticated the lines saying every
//! forged frame was refused and no genuine one failed its MAC). `--nocapture` shows the
//! reports.
//!
//! Needs `qemu-system-arm`, the rustup target `thumbv7em-none-eabihf`, and for the C
//! firmware `arm-none-eabi-gcc` with newlib (`gcc-arm-none-eabi`,
//! `libnewlib-arm-none-eabi`). Without them each test prints `skipped: <why>` and passes,
//! unless `BELLWETHER_REQUIRE_FIRMWARE=1` (as in CI), which makes a missing tool a
//! failure. Everything is built under this test's `CARGO_TARGET_TMPDIR`, with its own
//! cargo target directories so that the outer `cargo test` holding the workspace's build
//! lock does not block it; `RUSTFLAGS` and friends meant for the host are not passed on.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// The Rust target of the firmware and of the C library.
const TARGET: &str = "thumbv7em-none-eabihf";
/// How long one firmware may run before it is killed and the test fails (a run takes
/// about 3 s of emulated time).
const QEMU_TIMEOUT: Duration = Duration::from_secs(60);
/// Set to `1` to make missing tools a failure instead of a skip.
const REQUIRE: &str = "BELLWETHER_REQUIRE_FIRMWARE";
/// The QEMU machine and options the issue prescribes.
const QEMU_ARGS: [&str; 8] = [
    "-machine",
    "mps2-an386",
    "-cpu",
    "cortex-m4",
    "-nographic",
    "-semihosting-config",
    "enable=on,target=native",
    "-kernel",
];
/// The architecture flags the C firmware and its newlib are built for.
const ARM_FLAGS: [&str; 4] = [
    "-mcpu=cortex-m4",
    "-mthumb",
    "-mfloat-abi=hard",
    "-mfpu=fpv4-sp-d16",
];

/// What a report must show beyond the phases: which checks the image runs.
#[derive(Clone, Copy)]
struct Expect {
    /// Quorum election: the lease and flash lines.
    quorum: bool,
    /// Authenticated messages: the forged and refusals lines.
    authenticated: bool,
}

const QUORUM: Expect = Expect {
    quorum: true,
    authenticated: false,
};
const BULLY: Expect = Expect {
    quorum: false,
    authenticated: false,
};
const QUORUM_AUTHENTICATED: Expect = Expect {
    quorum: true,
    authenticated: true,
};

/// One build at a time: the Rust images share a target directory and the same output
/// path, and the machine has two cores.
static BUILD: Mutex<()> = Mutex::new(());

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where this test builds: inside the workspace's `target/tmp`, never in the source tree.
fn work_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("firmware")
}

// ---- Tools ----

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tool {
    Qemu,
    RustTarget,
    ArmGcc,
}

/// Runs `program args`, returning its stdout if it succeeds.
fn probe(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Why `tool` cannot be used, if it cannot.
fn unavailable(tool: Tool) -> Option<String> {
    match tool {
        Tool::Qemu => probe("qemu-system-arm", &["--version"])
            .is_none()
            .then(|| "qemu-system-arm is not installed (apt-get install qemu-system-arm)".into()),
        Tool::RustTarget => {
            let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
            let Some(sysroot) = probe(&rustc, &["--print", "sysroot"]) else {
                return Some(format!("`{rustc} --print sysroot` failed"));
            };
            let libraries = Path::new(&sysroot).join("lib/rustlib").join(TARGET);
            (!libraries.is_dir()).then(|| {
                format!("the Rust target {TARGET} is not installed (rustup target add {TARGET})")
            })
        }
        Tool::ArmGcc => {
            if probe("arm-none-eabi-gcc", &["--version"]).is_none() {
                return Some(
                    "arm-none-eabi-gcc is not installed (apt-get install gcc-arm-none-eabi)".into(),
                );
            }
            // The compiler answers a bare name when it cannot find the library.
            let mut args = ARM_FLAGS.to_vec();
            args.push("-print-file-name=librdimon.a");
            let rdimon = probe("arm-none-eabi-gcc", &args).unwrap_or_default();
            (!Path::new(&rdimon).is_absolute()).then(|| {
                "newlib's librdimon is missing (apt-get install libnewlib-arm-none-eabi)".into()
            })
        }
    }
}

/// Whether the tools are there; if not, prints `skipped: <why>` (straight to stderr, so
/// it shows without `--nocapture`) or, with `BELLWETHER_REQUIRE_FIRMWARE=1`, fails.
fn tools_present(test: &str, tools: &[Tool]) -> bool {
    let missing: Vec<String> = tools.iter().filter_map(|&tool| unavailable(tool)).collect();
    if missing.is_empty() {
        return true;
    }
    let why = missing.join("; ");
    assert!(
        std::env::var(REQUIRE).as_deref() != Ok("1"),
        "{test}: {REQUIRE}=1 but {why}"
    );
    let _ = writeln!(std::io::stderr(), "{test}: skipped: {why}");
    false
}

// ---- Building ----

/// `cargo` (the one running this test, if known) with the host-only settings removed.
fn cargo(target_dir: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_TARGET_DIR",
    ] {
        command.env_remove(var);
    }
    command
        .env("CARGO_TARGET_DIR", target_dir)
        .stdin(Stdio::null());
    command
}

/// Runs a build step, failing the test with its output if it fails.
fn build_step(what: &str, command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("{what}: cannot run {command:?}: {error}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Builds `examples/firmware` with `features` (empty: the default) and copies the image
/// to `name` in the work directory; returns it and how long the build took.
fn build_rust_firmware(features: &[&str], name: &str) -> (PathBuf, Duration) {
    let _one_at_a_time = BUILD.lock().unwrap_or_else(PoisonError::into_inner);
    let start = Instant::now();
    let target_dir = work_dir().join("rust");
    let mut command = cargo(&target_dir);
    command
        .current_dir(repository().join("examples/firmware"))
        .args(["build", "--release", "--target", TARGET]);
    if !features.is_empty() {
        command
            .arg("--no-default-features")
            .arg("--features")
            .arg(features.join(","));
    }
    build_step(
        &format!("building the Rust firmware ({name})"),
        &mut command,
    );
    let image = target_dir.join(TARGET).join("release/bellwether-firmware");
    let copy = work_dir().join(name);
    std::fs::copy(&image, &copy)
        .unwrap_or_else(|error| panic!("copying {}: {error}", image.display()));
    (copy, start.elapsed())
}

/// Builds `libbellwether.a` for the target, then the C firmware with its build script;
/// returns the image and how long the builds took.
fn build_c_firmware() -> (PathBuf, Duration) {
    let _one_at_a_time = BUILD.lock().unwrap_or_else(PoisonError::into_inner);
    let start = Instant::now();
    let target_dir = work_dir().join("ffi");
    build_step(
        "building libbellwether.a for the target",
        cargo(&target_dir).current_dir(repository()).args([
            "rustc",
            "-p",
            "bellwether-ffi",
            "--release",
            "--target",
            TARGET,
            "--crate-type",
            "staticlib",
        ]),
    );
    let library = target_dir.join(TARGET).join("release/libbellwether.a");
    let out = work_dir().join("c");
    build_step(
        "building the C firmware",
        Command::new("sh")
            .arg(repository().join("examples/firmware-c/build.sh"))
            .arg(&library)
            .arg(&out)
            .stdin(Stdio::null()),
    );
    (out.join("firmware-c.elf"), start.elapsed())
}

// ---- Running ----

/// How a program run under a time limit ended.
struct Run {
    /// `None`: still running at the limit, so it was killed.
    status: Option<ExitStatus>,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Runs `command`, killing it (by its own handle) if it has not exited after `limit`.
fn run_with_timeout(command: &mut Command, limit: Duration) -> Run {
    let start = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
    let read_all = |stream: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut stream) = stream {
                let _ = stream.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = read_all(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let stderr = read_all(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the child") {
            break Some(status);
        }
        if start.elapsed() >= limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    Run {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        took: start.elapsed(),
    }
}

fn run_in_qemu(image: &Path) -> Run {
    run_with_timeout(
        Command::new("qemu-system-arm").args(QEMU_ARGS).arg(image),
        QEMU_TIMEOUT,
    )
}

// ---- Checking the report ----

/// The text of `line` between `before` and the next `after`.
fn between<'a>(line: &'a str, before: &str, after: &str) -> Option<&'a str> {
    let start = line.find(before)? + before.len();
    let len = line[start..].find(after)?;
    Some(&line[start..start + len])
}

/// Everything wrong with a run: its exit, and the report's lines, with the extra lines
/// `expect` asks for.
fn problems(run: &Run, expect: Expect) -> Vec<String> {
    let mut problems = Vec::new();
    match run.status {
        None => problems.push(format!(
            "still running after {} s: killed",
            QEMU_TIMEOUT.as_secs()
        )),
        Some(status) if !status.success() => problems.push(format!("exited with {status}")),
        Some(_) => {}
    }
    let lines: Vec<&str> = run.stdout.lines().collect();
    let line = |prefix: &str| lines.iter().copied().find(|line| line.starts_with(prefix));
    for failure in lines.iter().filter(|line| line.starts_with("FAIL")) {
        problems.push(format!("the firmware reports: {failure}"));
    }
    if line("result: PASS").is_none() {
        problems.push("no `result: PASS` line".into());
    }
    for phase in ["elect: leader ", "failover: stopped ", "rejoin: restarted "] {
        let Some(found) = line(phase) else {
            problems.push(format!("no `{phase}` line"));
            continue;
        };
        let took = between(found, " after ", " ms").and_then(|ms| ms.parse::<u64>().ok());
        let bound = between(found, "(bound ", " ms)").and_then(|ms| ms.parse::<u64>().ok());
        match (took, bound) {
            (Some(took), Some(bound)) if took <= bound => {}
            (Some(took), Some(bound)) => problems.push(format!(
                "{phase}took {took} ms, over its bound of {bound} ms"
            )),
            _ => problems.push(format!("unreadable line: {found}")),
        }
    }
    let holds = lines
        .iter()
        .filter(|line| line.starts_with("hold: "))
        .count();
    if holds != 3 {
        problems.push(format!("{holds} `hold:` lines, expected 3"));
    }
    if expect.authenticated {
        let forged_bad_mac = line("forged: ")
            .filter(|found| found.contains("all refused"))
            .and_then(|found| between(found, "all refused: ", " bad MAC"))
            .and_then(|count| count.parse::<u32>().ok());
        if forged_bad_mac.is_none_or(|count| count == 0) {
            problems.push("no `forged: ... all refused: <n> bad MAC` line with n > 0".into());
        }
        let counted = line("refusals: ")
            .and_then(|found| between(found, "statistics.bad_mac ", " "))
            .and_then(|count| count.parse::<u32>().ok());
        if counted.is_none() || counted != forged_bad_mac {
            problems.push(
                "no `refusals: statistics.bad_mac <n>` line with n the forged frames refused for their MAC"
                    .into(),
            );
        }
    }
    if expect.quorum {
        if !line("leases: ").is_some_and(|found| found.contains("never two valid leases at once")) {
            problems.push("no `leases: ... never two valid leases at once` line".into());
        }
        let records = line("flash: ")
            .and_then(|found| between(found, "flash: ", " records"))
            .and_then(|count| count.parse::<u32>().ok());
        if records.is_none_or(|count| count == 0) {
            problems.push("no `flash: <n> records` line with n > 0".into());
        }
    }
    problems
}

/// Runs `image` under QEMU, prints its report, and fails with every problem found.
fn run_and_check(name: &str, image: &Path, expect: Expect, built_in: Duration) {
    let run = run_in_qemu(image);
    println!(
        "---- {name}: built in {:.1} s, ran in {:.1} s under QEMU ----\n{}",
        built_in.as_secs_f64(),
        run.took.as_secs_f64(),
        run.stdout
    );
    let problems = problems(&run, expect);
    assert!(
        problems.is_empty(),
        "{name} ({}):\n  {}\n-- its output:\n{}\n-- QEMU's stderr:\n{}",
        image.display(),
        problems.join("\n  "),
        run.stdout,
        run.stderr
    );
}

// ---- The tests ----

#[test]
fn rust_firmware_quorum() {
    if !tools_present("rust_firmware_quorum", &[Tool::Qemu, Tool::RustTarget]) {
        return;
    }
    let (image, built_in) = build_rust_firmware(&[], "firmware-quorum.elf");
    run_and_check("Rust firmware, quorum", &image, QUORUM, built_in);
}

#[test]
fn rust_firmware_quorum_authenticated() {
    if !tools_present(
        "rust_firmware_quorum_authenticated",
        &[Tool::Qemu, Tool::RustTarget],
    ) {
        return;
    }
    let (image, built_in) = build_rust_firmware(
        &["quorum", "authentication"],
        "firmware-quorum-authenticated.elf",
    );
    run_and_check(
        "Rust firmware, quorum, authenticated",
        &image,
        QUORUM_AUTHENTICATED,
        built_in,
    );
}

#[test]
fn rust_firmware_bully() {
    if !tools_present("rust_firmware_bully", &[Tool::Qemu, Tool::RustTarget]) {
        return;
    }
    let (image, built_in) = build_rust_firmware(&["bully"], "firmware-bully.elf");
    run_and_check("Rust firmware, bully", &image, BULLY, built_in);
}

#[test]
fn c_firmware_quorum() {
    if !tools_present(
        "c_firmware_quorum",
        &[Tool::Qemu, Tool::RustTarget, Tool::ArmGcc],
    ) {
        return;
    }
    let (image, built_in) = build_c_firmware();
    run_and_check("C firmware, quorum", &image, QUORUM, built_in);
}

// ---- The checks themselves can fail ----

/// A report as the quorum firmware prints it.
const GOOD_REPORT: &str = "\
bellwether firmware (Rust, quorum): 5 nodes, seed 0x5eedb311, loss 10%, delay 1..=20 ms
elect: leader 5 term 1 after 751 ms (bound 5200 ms); 32 messages sent, 3 lost
hold: node 5 kept leading for 500 ms; 36 messages sent, 3 lost
failover: stopped 5; leader 4 term 2 after 773 ms (bound 5200 ms); 27 messages sent, 2 lost
hold: node 4 kept leading for 500 ms; 32 messages sent, 4 lost
rejoin: restarted 5 from slot A (record 1, term 1); leader 4 term 2 after 74 ms (bound 620 ms); 5 messages sent, 0 lost
hold: node 4 kept leading for 500 ms; 37 messages sent, 3 lost
leases: 3104 samples, never two valid leases at once nor two leaders in one term
flash: 10 records written and read back through SlotWriter and recover
result: PASS
";

/// The lines the authenticated quorum firmware adds to its report.
const AUTHENTICATION_LINES: &str = "\
forged: 10 injected, 8 reached running nodes, all refused: 8 bad MAC, 0 malformed or unknown key
refusals: statistics.bad_mac 8 (all forged: no genuine message failed its MAC); genuine messages: 213 accepted, 28 unsynchronised (freshness sync after each start), 0 replayed freshness replies
";

/// An exit status as a real process returns it.
fn exit_status(code: i32) -> ExitStatus {
    Command::new("sh")
        .args(["-c", &format!("exit {code}")])
        .status()
        .expect("sh runs")
}

#[test]
fn report_checks_catch_failures() {
    let run = |status: Option<ExitStatus>, stdout: &str| Run {
        status,
        stdout: stdout.into(),
        stderr: String::new(),
        took: Duration::ZERO,
    };
    assert_eq!(
        problems(&run(Some(exit_status(0)), GOOD_REPORT), QUORUM),
        Vec::<String>::new()
    );
    let broken = [
        ("non-zero exit", run(Some(exit_status(1)), GOOD_REPORT)),
        ("timeout", run(None, GOOD_REPORT)),
        (
            "FAIL line",
            run(
                Some(exit_status(0)),
                &format!("FAIL: nodes 1 and 2 both hold a valid lease at 7 ms\n{GOOD_REPORT}"),
            ),
        ),
        (
            "no PASS",
            run(
                Some(exit_status(0)),
                &GOOD_REPORT.replace("result: PASS", "result: FAIL"),
            ),
        ),
        (
            "over the bound",
            run(
                Some(exit_status(0)),
                &GOOD_REPORT.replace("after 773 ms", "after 5201 ms"),
            ),
        ),
        (
            "no rejoin",
            run(
                Some(exit_status(0)),
                &GOOD_REPORT.replace("rejoin: restarted", "rejoin:"),
            ),
        ),
        (
            "no lease line",
            run(
                Some(exit_status(0)),
                &GOOD_REPORT.replace("never two valid", "two valid"),
            ),
        ),
        (
            "no records",
            run(
                Some(exit_status(0)),
                &GOOD_REPORT.replace("flash: 10 records", "flash: 0 records"),
            ),
        ),
    ];
    for (what, broken) in broken {
        assert!(
            !problems(&broken, QUORUM).is_empty(),
            "{what} was not caught"
        );
    }
    // Bully's report has no lease or flash lines, and needs none.
    let bully = GOOD_REPORT
        .lines()
        .filter(|line| !line.starts_with("leases:") && !line.starts_with("flash:"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(problems(&run(Some(exit_status(0)), &bully), BULLY).is_empty());
    assert!(!problems(&run(Some(exit_status(0)), &bully), QUORUM).is_empty());
    // Authenticated, the forged frames must be refused and counted, and nothing else.
    let authenticated = format!("{AUTHENTICATION_LINES}{GOOD_REPORT}");
    assert_eq!(
        problems(
            &run(Some(exit_status(0)), &authenticated),
            QUORUM_AUTHENTICATED
        ),
        Vec::<String>::new()
    );
    assert!(
        !problems(
            &run(Some(exit_status(0)), GOOD_REPORT),
            QUORUM_AUTHENTICATED
        )
        .is_empty()
    );
    for (what, from, to) in [
        (
            "no bad MAC",
            "all refused: 8 bad MAC",
            "all refused: 0 bad MAC",
        ),
        ("not all refused", "all refused: 8", "7 refused: 8"),
        (
            "a genuine bad MAC",
            "statistics.bad_mac 8 ",
            "statistics.bad_mac 9 ",
        ),
    ] {
        let broken = authenticated.replace(from, to);
        assert!(
            !problems(&run(Some(exit_status(0)), &broken), QUORUM_AUTHENTICATED).is_empty(),
            "{what} was not caught"
        );
    }
}

#[test]
fn a_hung_program_is_killed() {
    let run = run_with_timeout(
        Command::new("sh").args(["-c", "echo started; exec sleep 30"]),
        Duration::from_millis(500),
    );
    assert!(run.status.is_none(), "not reported as killed");
    assert!(
        run.took < Duration::from_secs(10),
        "not killed in time: {:?}",
        run.took
    );
    assert_eq!(run.stdout, "started\n");
}
