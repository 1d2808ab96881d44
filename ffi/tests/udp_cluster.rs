//! A real C host in five processes: `examples/c/udp_node.c` is compiled against
//! `libbellwether.a`, five of it run on 127.0.0.1 (one member each, UDP), and the test
//! kills the leader with SIGKILL and measures how long the four survivors take to agree on
//! a new one, for every algorithm. Quorum election goes further: its new leader is frozen
//! with SIGSTOP for longer than its lease while the others elect, then resumed with
//! SIGCONT, and must step down without ever claiming a lease it no longer holds; the node
//! killed first is then restarted from its state file and must resume its term and vote.
//! Across the whole run no two processes may claim a valid lease at the same instant (the
//! nodes print `CLOCK_MONOTONIC` milliseconds, comparable across processes).
//!
//! The nodes run `bw_config_init`'s defaults, the LAN timing (heartbeat H = 100 ms,
//! failure timeout T = 500 ms, jitter J = 150 ms, round trip R = 50 ms); the test reads
//! them back from each node's `config` line and derives every bound from what it reads.
//! Failover is measured from just before the SIGKILL to the `CLOCK_MONOTONIC` time of the
//! line that completes the survivors' agreement (every survivor follows one leader in one
//! term, and that leader reports leading in it). The derived bounds (n = 5 members):
//!
//! - Every follower heard the leader at most at the kill, so its failure detector fires by
//!   kill + T + J (quorum: by kill + 2T, its election timer being drawn from [T, 2T)).
//! - Bully: the noticer's `Election` round ends when the highest asked answers, within R;
//!   its `Proceed` is answered by a `Coordinator` within R, sent to every survivor: one more
//!   one-way delay, ≤ R. Bound T + J + 3R.
//! - Next-in-line: each published successor that does not take over costs R (K = 3 are
//!   published), then the Bully fallback: T + J + KR + 3R.
//! - Candidates: a node waits its tie-breaker delay δ (step S per member above it, less the
//!   failed leader, at most (n − 2)S) before the Bully round: T + J + (n − 2)S + 3R.
//! - Invitation: the highest survivor invites at (last heard) + T + J + δ, δ = S × the one
//!   member above it (the dead leader); each invited node follows on receipt (≤ R):
//!   T + J + S + R.
//! - Ring: an election and its result take at most two laps at two ack timeouts per hop,
//!   the engine's own bound 2·2·(n − 1)·R: T + J + 4(n − 1)R.
//! - Quorum: the last election timer fires by kill + 2T; the pre-vote round, the vote round
//!   (each vote synced to disk first) and the first heartbeat take ≤ 3R. An attempt can fail
//!   (a split vote, or a pre-vote refused by a member still sticky for T after the last
//!   heartbeat); the bound allows one failed attempt, which costs another election timer
//!   (≤ 2T) and its rounds: 4T + 6R.
//!
//! To each bound the test adds a fixed slack of [`SCHEDULING_SLACK_MS`] for process
//! scheduling on a loaded machine (wakeups, pipe reads, fsync latency). It also checks the
//! lower bound T − 2H: nobody may suspect the leader before T after it last heard it, which
//! was at most one heartbeat interval (plus one more for a late heartbeat) before the kill.
//!
//! Multi-group mode (`udp_node --groups`) gets a smoke test of its own: three processes
//! run 100 groups of three, and every group must elect one leader.
//!
//! `BELLWETHER_UDP_RUNS=N` repeats each scenario N times and prints the median failover;
//! `BELLWETHER_UDP_TRANSCRIPT=1` prints every line the nodes wrote;
//! `cargo test -p bellwether-ffi --test udp_cluster -- --nocapture` shows the measurements.
//! Every process is stopped by its own pid when a scenario ends, failed or not (see
//! [`Cluster`]'s `Drop`).
#![cfg(target_os = "linux")]

mod common;

use common::{library_dir, repository};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use bellwether::unstable::Body;
use bellwether::{Destination, GroupId, Message, NodeId, Term};

/// How many processes (members) a cluster has: ids `1..=NODES`.
const NODES: u32 = 5;
/// Added to every derived failover bound: process scheduling on a loaded 2-core machine
/// (late wakeups, pipe reads, fsync of every vote).
const SCHEDULING_SLACK_MS: u64 = 1_000;
/// How long the nodes may take to bind their ports and print their first lines.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the initial election may take: generous, it is not what is measured.
const AGREEMENT_TIMEOUT: Duration = Duration::from_secs(30);
/// How much longer than its bound the test waits for a failover, to tell a late one from
/// one that never happens.
const EXTRA_WAIT: Duration = Duration::from_secs(5);
/// The node's exit status when it cannot bind its address.
const EXIT_BIND: i32 = 3;
/// How many times a cluster is started on fresh ports if one was taken meanwhile.
const PORT_ATTEMPTS: usize = 5;

/// The C library's result codes the rejection check expects.
const BW_RESULT_UNSUPPORTED_VERSION: u64 = 31;
const BW_RESULT_WRONG_GROUP: u64 = 36;
const BW_RESULT_UNKNOWN_SENDER: u64 = 37;

/// `CLOCK_MONOTONIC` and signals, which std does not offer.
mod sys {
    use std::ffi::{c_int, c_long};

    pub const SIGTERM: c_int = 15;
    pub const SIGCONT: c_int = 18;
    pub const SIGSTOP: c_int = 19;
    const CLOCK_MONOTONIC: c_int = 1;

    #[repr(C)]
    struct Timespec {
        tv_sec: c_long,
        tv_nsec: c_long,
    }

    unsafe extern "C" {
        fn clock_gettime(clock: c_int, time: *mut Timespec) -> c_int;
        safe fn kill(pid: c_int, signal: c_int) -> c_int;
    }

    /// `CLOCK_MONOTONIC` in milliseconds, the clock the nodes print as `mono`.
    pub fn monotonic_ms() -> u64 {
        let mut time = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `time` is a valid, writable timespec.
        let result = unsafe { clock_gettime(CLOCK_MONOTONIC, &mut time) };
        assert_eq!(result, 0, "clock_gettime(CLOCK_MONOTONIC) failed");
        let seconds = u64::try_from(time.tv_sec).expect("the monotonic clock is positive");
        let nanos = u64::try_from(time.tv_nsec).expect("nanoseconds are positive");
        seconds * 1000 + nanos / 1_000_000
    }

    /// Sends `signal` to process `pid`.
    pub fn signal(pid: u32, signal: c_int) -> std::io::Result<()> {
        let pid = c_int::try_from(pid).map_err(std::io::Error::other)?;
        if kill(pid, signal) == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    }
}

// ---- Building the C node ----

/// Compiles `examples/c/udp_node.c` with `compiler` and the strict warning set into `out`.
fn compile_udp_node(compiler: &str, out: &Path) -> Result<(), String> {
    let library = library_dir().join("libbellwether.a");
    if !library.exists() {
        return Err(format!(
            "{} not found: build it with `cargo build --release -p bellwether-ffi`",
            library.display()
        ));
    }
    let source = repository().join("examples/c/udp_node.c");
    let output = Command::new(compiler)
        .args([
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Wpedantic",
            "-Werror",
            "-O2",
            "-g",
        ])
        .arg("-I")
        .arg(repository().join("include"))
        .arg(&source)
        .arg(&library)
        .arg("-o")
        .arg(out)
        .output()
        .map_err(|error| format!("cannot run {compiler} (is it installed?): {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "{compiler} failed to compile {} ({}):\n{}{}",
            source.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}

/// The node binary, compiled once per test run with gcc.
fn udp_node() -> &'static Path {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = BINARY.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("udp_cluster");
        std::fs::create_dir_all(&dir).map_err(|error| format!("{}: {error}", dir.display()))?;
        let binary = dir.join("udp_node");
        compile_udp_node("gcc", &binary)?;
        Ok(binary)
    });
    match built {
        Ok(binary) => binary,
        Err(why) => panic!("cannot build examples/c/udp_node.c: {why}"),
    }
}

// ---- The nodes' output ----

/// One line a node printed on its standard output.
#[derive(Clone, Debug)]
struct Line {
    node: u32,
    text: String,
}

impl Line {
    fn words(&self) -> impl Iterator<Item = &str> {
        self.text.split_whitespace()
    }

    /// The first word: what the line says (`leader`, `became-leader`, `lease`, ...).
    fn kind(&self) -> &str {
        self.words().next().unwrap_or("")
    }

    /// The word after the first occurrence of `key`.
    fn value(&self, key: &str) -> Option<&str> {
        let mut words = self.words();
        words.find(|&word| word == key)?;
        words.next()
    }

    fn number(&self, key: &str) -> Option<u64> {
        self.value(key)?.parse().ok()
    }

    /// The `CLOCK_MONOTONIC` ms the line is stamped with.
    fn mono(&self) -> u64 {
        self.number("mono").unwrap_or_else(|| {
            panic!(
                "node {} printed a line without `mono`: {}",
                self.node, self.text
            )
        })
    }

    /// `leader L term T`: Some((L, T)), or None for `leader none`.
    fn leader(&self) -> Option<(u32, u64)> {
        let leader = self.value("leader")?.parse().ok()?;
        Some((leader, self.number("term")?))
    }

    fn is_lease_valid(&self) -> bool {
        self.kind() == "lease" && self.value("lease") == Some("valid")
    }
}

/// What a reader thread passes on.
enum Report {
    Line {
        node: u32,
        instance: u32,
        text: String,
        stderr: bool,
    },
    /// A node's standard output closed: the process ended.
    Closed { node: u32, instance: u32 },
}

/// The timing a node reported in its `config` line.
#[derive(Clone, Copy, Debug)]
struct Timing {
    heartbeat: u64,
    failure_timeout: u64,
    jitter: u64,
    round_trip: u64,
    tie_breaker_step: u64,
    successors: u64,
}

impl Timing {
    fn from_line(line: &Line) -> Option<Timing> {
        Some(Timing {
            heartbeat: line.number("heartbeat")?,
            failure_timeout: line.number("failure-timeout")?,
            jitter: line.number("jitter")?,
            round_trip: line.number("round-trip")?,
            tie_breaker_step: line.number("tie-breaker-step")?,
            successors: line.number("successors")?,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Algorithm {
    Bully,
    NextInLine,
    Candidates,
    Invitation,
    Ring,
    Quorum,
}

impl Algorithm {
    /// The name `udp_node --algorithm` takes.
    fn name(self) -> &'static str {
        match self {
            Algorithm::Bully => "bully",
            Algorithm::NextInLine => "next-in-line",
            Algorithm::Candidates => "candidates",
            Algorithm::Invitation => "invitation",
            Algorithm::Ring => "ring",
            Algorithm::Quorum => "quorum",
        }
    }

    /// The derived failover bound in ms (see the module doc), and how it was computed.
    fn failover_bound(self, timing: &Timing) -> (u64, String) {
        let Timing {
            failure_timeout: t,
            jitter: j,
            round_trip: r,
            tie_breaker_step: s,
            successors: k,
            ..
        } = *timing;
        let n = u64::from(NODES);
        match self {
            Algorithm::Bully => (t + j + 3 * r, format!("T + J + 3R = {t} + {j} + 3·{r}")),
            Algorithm::NextInLine => (
                t + j + k * r + 3 * r,
                format!("T + J + KR + 3R = {t} + {j} + {k}·{r} + 3·{r}"),
            ),
            Algorithm::Candidates => (
                t + j + (n - 2) * s + 3 * r,
                format!("T + J + (n−2)S + 3R = {t} + {j} + {}·{s} + 3·{r}", n - 2),
            ),
            Algorithm::Invitation => (
                t + j + s + r,
                format!("T + J + S + R = {t} + {j} + {s} + {r}"),
            ),
            Algorithm::Ring => (
                t + j + 4 * (n - 1) * r,
                format!("T + J + 4(n−1)R = {t} + {j} + {}·{r}", 4 * (n - 1)),
            ),
            Algorithm::Quorum => (4 * t + 6 * r, format!("4T + 6R = 4·{t} + 6·{r}")),
        }
    }

    /// Whether the highest-ranked live member must lead (rank-based algorithms with
    /// immediate preemption, the defaults).
    fn elects_highest_ranked(self) -> bool {
        matches!(
            self,
            Algorithm::Bully | Algorithm::NextInLine | Algorithm::Candidates
        )
    }

    fn has_leases(self) -> bool {
        self == Algorithm::Quorum
    }
}

// ---- The cluster: processes, their output, and what it says ----

/// One running node process.
struct Process {
    child: Child,
    /// Held open: the node exits (`--exit-on-stdin-eof`) if this test process dies.
    stdin: Option<ChildStdin>,
    instance: u32,
    readers: Vec<JoinHandle<()>>,
}

/// Five node processes and everything they printed. Dropping it kills (SIGKILL) and reaps
/// every process still running, by its pid, and joins the reader threads.
struct Cluster {
    algorithm: Algorithm,
    binary: &'static Path,
    ports: BTreeMap<u32, u16>,
    state_dir: PathBuf,
    processes: BTreeMap<u32, Process>,
    next_instance: u32,
    sender: Sender<Report>,
    reports: Receiver<Report>,
    /// Every stdout line of each node, over all its processes, in order.
    lines: BTreeMap<u32, Vec<Line>>,
    /// Where the current process of each node starts in `lines`.
    current_from: BTreeMap<u32, usize>,
    /// Every line of every node, stdout and stderr, for failure messages.
    transcript: Vec<String>,
    /// Set when a node could not bind its port (taken since the test picked it).
    bind_failed: bool,
    /// Node `id` seeds its jitter with `seed_base + id`: each run draws other timeouts.
    seed_base: u64,
}

/// Only one cluster at a time picks ports and starts, so that tests running in parallel
/// never pick the same ones.
static STARTING: Mutex<()> = Mutex::new(());

/// `count` ports free on 127.0.0.1 right now.
fn free_ports(count: usize) -> Vec<u16> {
    let sockets: Vec<UdpSocket> = (0..count)
        .map(|_| UdpSocket::bind("127.0.0.1:0").expect("127.0.0.1 has free UDP ports"))
        .collect();
    sockets
        .iter()
        .map(|socket| {
            socket
                .local_addr()
                .expect("a bound socket has an address")
                .port()
        })
        .collect()
}

impl Cluster {
    /// Starts five nodes on fresh ports and waits until each has bound its port.
    fn start(algorithm: Algorithm, run: usize) -> Cluster {
        let binary = udp_node();
        for _ in 0..PORT_ATTEMPTS {
            let _starting = STARTING.lock().unwrap_or_else(PoisonError::into_inner);
            let ports = free_ports(NODES as usize);
            let state_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
                "udp_cluster/{}-{}-run{run}",
                algorithm.name(),
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&state_dir);
            std::fs::create_dir_all(&state_dir).expect("the state directory can be created");
            let (sender, reports) = mpsc::channel();
            let mut cluster = Cluster {
                algorithm,
                binary,
                ports: (1..=NODES).zip(ports).collect(),
                state_dir,
                processes: BTreeMap::new(),
                next_instance: 0,
                sender,
                reports,
                lines: BTreeMap::new(),
                current_from: BTreeMap::new(),
                transcript: Vec::new(),
                bind_failed: false,
                seed_base: 1000 * run as u64,
            };
            for id in 1..=NODES {
                cluster.spawn(id);
            }
            let all: Vec<u32> = (1..=NODES).collect();
            let started = cluster.pump_until(STARTUP_TIMEOUT, |c| {
                all.iter()
                    .all(|&id| c.current(id).iter().any(|line| line.kind() == "config"))
                    .then_some(())
            });
            match started {
                Ok(()) => return cluster,
                Err(_) if cluster.bind_failed => continue, // Drop stops the others.
                Err(why) => cluster.fail(&format!("the nodes did not start: {why}")),
            }
        }
        panic!("no free ports after {PORT_ATTEMPTS} attempts");
    }

    /// Starts (or restarts) the process of node `id`.
    fn spawn(&mut self, id: u32) {
        // A restarted node's earlier process was reaped and its readers joined: whatever it
        // printed is in the channel. Take it first, so that it counts as that process's.
        self.pump_pending();
        let mut command = Command::new(self.binary);
        command
            .args(["--algorithm", self.algorithm.name()])
            .args(["--id", &id.to_string()])
            .args(["--seed", &(self.seed_base + u64::from(id)).to_string()])
            .arg("--exit-on-stdin-eof");
        for (peer, port) in &self.ports {
            command
                .arg("--peer")
                .arg(format!("{peer}=127.0.0.1:{port}"));
        }
        if self.algorithm == Algorithm::Quorum {
            command.arg("--state-dir").arg(&self.state_dir);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", self.binary.display()));
        let instance = self.next_instance;
        self.next_instance += 1;
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let readers = vec![
            read_lines(stdout, id, instance, false, self.sender.clone()),
            read_lines(stderr, id, instance, true, self.sender.clone()),
        ];
        let from = self.lines.get(&id).map_or(0, Vec::len);
        self.current_from.insert(id, from);
        let stdin = child.stdin.take();
        self.processes.insert(
            id,
            Process {
                child,
                stdin,
                instance,
                readers,
            },
        );
    }

    fn pid(&self, id: u32) -> u32 {
        self.processes
            .get(&id)
            .map(|process| process.child.id())
            .unwrap_or_else(|| panic!("node {id} is not running"))
    }

    /// Kills node `id` with SIGKILL and reaps it; returns the monotonic ms just before.
    fn kill(&mut self, id: u32) -> u64 {
        let mut process = self
            .processes
            .remove(&id)
            .unwrap_or_else(|| panic!("node {id} is not running"));
        let at = sys::monotonic_ms();
        process.child.kill().expect("SIGKILL is delivered");
        process.child.wait().expect("a killed child is reaped");
        drop(process.stdin.take());
        for reader in process.readers {
            let _ = reader.join();
        }
        at
    }

    /// Sends `signal` to node `id`; returns the monotonic ms just before.
    fn signal(&self, id: u32, signal: i32) -> u64 {
        let at = sys::monotonic_ms();
        sys::signal(self.pid(id), signal)
            .unwrap_or_else(|error| panic!("cannot signal node {id}: {error}"));
        at
    }

    /// Reads reports until `check` says yes or `timeout` passes.
    fn pump_until<T>(
        &mut self,
        timeout: Duration,
        mut check: impl FnMut(&Cluster) -> Option<T>,
    ) -> Result<T, String> {
        let give_up = Instant::now() + timeout;
        loop {
            if let Some(found) = check(self) {
                return Ok(found);
            }
            let left = give_up.saturating_duration_since(Instant::now());
            match self.reports.recv_timeout(left) {
                Ok(report) => self.record(report)?,
                Err(RecvTimeoutError::Timeout) => return Err(format!("not within {timeout:?}")),
                Err(RecvTimeoutError::Disconnected) => unreachable!("the cluster holds a sender"),
            }
        }
    }

    /// Like `pump_until`, but fails the test (with the transcript) on timeout.
    fn expect_within<T>(
        &mut self,
        timeout: Duration,
        what: &str,
        check: impl FnMut(&Cluster) -> Option<T>,
    ) -> T {
        match self.pump_until(timeout, check) {
            Ok(found) => found,
            Err(why) => self.fail(&format!("{what}: {why}")),
        }
    }

    /// Reads whatever reports are waiting, without blocking.
    fn pump_pending(&mut self) {
        while let Ok(report) = self.reports.try_recv() {
            if let Err(why) = self.record(report) {
                self.fail(&why);
            }
        }
    }

    fn record(&mut self, report: Report) -> Result<(), String> {
        match report {
            Report::Line {
                node,
                instance,
                text,
                stderr,
            } => {
                let stream = if stderr { "stderr" } else { "stdout" };
                self.transcript
                    .push(format!("node {node} #{instance} {stream}: {text}"));
                if !stderr {
                    self.lines
                        .entry(node)
                        .or_default()
                        .push(Line { node, text });
                }
                Ok(())
            }
            Report::Closed { node, instance } => {
                let Some(process) = self.processes.get_mut(&node) else {
                    return Ok(()); // Killed on purpose.
                };
                if process.instance != instance {
                    return Ok(()); // An earlier process of a restarted node.
                }
                let status = wait_for_exit(&mut process.child, Duration::from_secs(5));
                if status.and_then(|status| status.code()) == Some(EXIT_BIND) {
                    self.bind_failed = true;
                }
                Err(format!("node {node} exited unexpectedly ({status:?})"))
            }
        }
    }

    /// Panics with `why` and the end of the transcript.
    fn fail(&self, why: &str) -> ! {
        let start = self.transcript.len().saturating_sub(120);
        let tail = self.transcript[start..].join("\n");
        panic!(
            "{} cluster: {why}\n--- last {} lines of output ---\n{tail}",
            self.algorithm.name(),
            self.transcript.len() - start
        );
    }

    /// The lines of the current process of node `id`.
    fn current(&self, id: u32) -> &[Line] {
        let lines = self.lines.get(&id).map_or(&[][..], Vec::as_slice);
        let from = self.current_from.get(&id).copied().unwrap_or(0);
        lines.get(from..).unwrap_or_default()
    }

    /// The timing node `id` reported.
    fn timing(&self, id: u32) -> Timing {
        self.current(id)
            .iter()
            .find(|line| line.kind() == "config")
            .and_then(Timing::from_line)
            .unwrap_or_else(|| self.fail(&format!("node {id} printed no usable config line")))
    }

    /// The leader node `id` follows and its term (from its last `leader` line), with the
    /// line.
    fn following(&self, id: u32) -> Option<(u32, u64, &Line)> {
        let line = self
            .current(id)
            .iter()
            .rev()
            .find(|l| l.kind() == "leader")?;
        line.leader().map(|(leader, term)| (leader, term, line))
    }

    /// The term node `id` leads in, if it leads, with its `became-leader` line.
    fn leading(&self, id: u32) -> Option<(u64, &Line)> {
        let line = self
            .current(id)
            .iter()
            .rev()
            .find(|l| matches!(l.kind(), "became-leader" | "stepped-down"))?;
        (line.kind() == "became-leader").then(|| (line.number("term").unwrap_or(0), line))
    }

    /// Whether node `id` leads in `term` and its last lease line since it became leader
    /// says valid.
    fn holds_lease(&self, id: u32, term: u64) -> bool {
        let lines = self.current(id);
        let Some(became) = lines
            .iter()
            .rposition(|l| l.kind() == "became-leader" && l.number("term") == Some(term))
        else {
            return false;
        };
        self.leading(id).map(|(t, _)| t) == Some(term)
            && lines[became..]
                .iter()
                .rev()
                .find(|l| l.kind() == "lease")
                .is_some_and(Line::is_lease_valid)
    }

    /// The first `lease valid` line of node `id` after it became leader in `term`.
    fn first_lease(&self, id: u32, term: u64) -> Option<&Line> {
        let lines = self.current(id);
        let became = lines
            .iter()
            .rposition(|l| l.kind() == "became-leader" && l.number("term") == Some(term))?;
        lines[became..].iter().find(|l| l.is_lease_valid())
    }

    /// If every node of `live` follows the same member of `live` in the same term, and
    /// that member reports leading in it (and, with `with_lease`, holds a lease): the
    /// leader, the term, and the latest monotonic ms of the lines that say so.
    fn agreement(&self, live: &[u32], with_lease: bool) -> Option<(u32, u64, u64)> {
        let (leader, term, _) = self.following(*live.first()?)?;
        if !live.contains(&leader) {
            return None;
        }
        let mut latest = 0;
        for &id in live {
            let (l, t, line) = self.following(id)?;
            if (l, t) != (leader, term) {
                return None;
            }
            latest = latest.max(line.mono());
        }
        let (led, line) = self.leading(leader)?;
        if led != term || (with_lease && !self.holds_lease(leader, term)) {
            return None;
        }
        Some((leader, term, latest.max(line.mono())))
    }

    /// The address of node `id`.
    fn address(&self, id: u32) -> String {
        format!("127.0.0.1:{}", self.ports[&id])
    }

    /// Sends node `target` three datagrams it must refuse, and checks that it counts and
    /// reports each, and keeps following `leader` in `term`.
    fn check_rejections(&mut self, target: u32, leader: u32, term: u64) {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("a test socket binds");
        let address = self.address(target);
        let encode = |message: Message| {
            let mut buf = [0u8; bellwether::MAX_MESSAGE_SIZE];
            let len = message.encode(&mut buf).expect("the message fits");
            buf[..len].to_vec()
        };
        let wrong_group = encode(Message::new(
            GroupId(99),
            NodeId(leader),
            Destination::Node(NodeId(target)),
            Term(1_000_000),
            Body::Election,
        ));
        let unknown_sender = encode(Message::new(
            GroupId(1),
            NodeId(99),
            Destination::Node(NodeId(target)),
            Term(1_000_000),
            Body::Election,
        ));
        let before = self.current(target).len();
        for datagram in [vec![0xFF, 0x00, 0x01], wrong_group, unknown_sender] {
            socket
                .send_to(&datagram, &address)
                .expect("a datagram to 127.0.0.1 is sent");
        }
        let codes = self.expect_within(
            STARTUP_TIMEOUT,
            &format!("node {target} reports three rejected datagrams"),
            |c| {
                let codes: Vec<(u64, u64)> = c.current(target)[before..]
                    .iter()
                    .filter(|l| l.kind() == "rejected")
                    .filter_map(|l| Some((l.number("code")?, l.number("total")?)))
                    .collect();
                (codes.len() >= 3).then_some(codes)
            },
        );
        assert_eq!(
            codes,
            [
                (BW_RESULT_UNSUPPORTED_VERSION, 1),
                (BW_RESULT_WRONG_GROUP, 2),
                (BW_RESULT_UNKNOWN_SENDER, 3)
            ],
            "node {target} refused the datagrams for these reasons, counting them"
        );
        let view = self.following(target).map(|(l, t, _)| (l, t));
        assert_eq!(
            view,
            Some((leader, term)),
            "rejected datagrams changed nothing at node {target}"
        );
    }

    /// Quorum: fails the test if two processes claimed a valid lease at the same instant.
    fn check_leases(&self) -> usize {
        lease_claims_are_disjoint(&self.lines).unwrap_or_else(|why| self.fail(&why))
    }

    /// Stops every running node with SIGTERM and checks that each exits cleanly.
    fn shut_down(&mut self) {
        let ids: Vec<u32> = self.processes.keys().copied().collect();
        for &id in &ids {
            self.signal(id, sys::SIGTERM);
        }
        let mut statuses = Vec::new();
        for &id in &ids {
            let process = self.processes.get_mut(&id).expect("running");
            statuses.push((
                id,
                wait_for_exit(&mut process.child, Duration::from_secs(10)),
            ));
        }
        // Every node has exited (or is killed by Drop if it did not): its stdout closing
        // is no longer news.
        for (id, status) in &statuses {
            if status.is_some() {
                let process = self.processes.remove(id).expect("running");
                for reader in process.readers {
                    let _ = reader.join();
                }
            }
        }
        self.pump_pending();
        for (id, status) in statuses {
            assert!(
                status.is_some_and(|status| status.success()),
                "node {id} exits with status 0 on SIGTERM, not {status:?}"
            );
            let last = self.current(id).last().map(|line| line.text.clone());
            assert!(
                last.as_deref()
                    .is_some_and(|text| text.starts_with("exit signal 15 ")),
                "node {id}'s last line reports the clean exit: {last:?}"
            );
        }
        let _ = std::fs::remove_dir_all(&self.state_dir);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for (_, mut process) in std::mem::take(&mut self.processes) {
            if let Ok(None) = process.child.try_wait() {
                let _ = process.child.kill(); // SIGKILL, by pid; also ends a stopped process.
            }
            let _ = process.child.wait();
            drop(process.stdin.take());
            for reader in process.readers {
                let _ = reader.join();
            }
        }
    }
}

/// Reads `stream` line by line, passing each on; reports the end of stdout.
fn read_lines(
    stream: impl Read + Send + 'static,
    node: u32,
    instance: u32,
    stderr: bool,
    sender: Sender<Report>,
) -> JoinHandle<()> {
    thread::spawn(move || {
        for text in BufReader::new(stream).lines() {
            let Ok(text) = text else { break };
            let report = Report::Line {
                node,
                instance,
                text,
                stderr,
            };
            if sender.send(report).is_err() {
                return;
            }
        }
        if !stderr {
            let _ = sender.send(Report::Closed { node, instance });
        }
    })
}

/// Waits up to `timeout` for `child` to exit.
fn wait_for_exit(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let give_up = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < give_up => thread::sleep(Duration::from_millis(10)),
            _ => return None,
        }
    }
}

// ---- The lease checks, on the nodes' lines ----

/// Checks that no two nodes claimed a valid lease at the same `CLOCK_MONOTONIC` instant,
/// and returns how many claims it compared. A `lease valid until U ... mono A` line claims
/// [A, U), cut short by the node's next `lease` line or its next `start` (a restart).
fn lease_claims_are_disjoint(lines: &BTreeMap<u32, Vec<Line>>) -> Result<usize, String> {
    let mut claims: Vec<(u64, u64, &Line)> = Vec::new();
    for lines in lines.values() {
        for (index, line) in lines.iter().enumerate() {
            if !line.is_lease_valid() {
                continue;
            }
            let until = line
                .number("until-mono")
                .ok_or_else(|| format!("a lease line without until-mono: {}", line.text))?;
            let next = lines[index + 1..]
                .iter()
                .find(|l| matches!(l.kind(), "lease" | "start"))
                .map_or(u64::MAX, Line::mono);
            let end = until.min(next);
            if line.mono() < end {
                claims.push((line.mono(), end, line));
            }
        }
    }
    for (i, &(start_a, end_a, a)) in claims.iter().enumerate() {
        for &(start_b, end_b, b) in &claims[i + 1..] {
            if a.node != b.node && start_a < end_b && start_b < end_a {
                return Err(format!(
                    "two leases at once: node {} claimed [{start_a}, {end_a}) ({}) and node {} \
                     claimed [{start_b}, {end_b}) ({})",
                    a.node, a.text, b.node, b.text
                ));
            }
        }
    }
    if claims.is_empty() {
        return Err("no node ever claimed a lease".to_owned());
    }
    Ok(claims.len())
}

/// Checks what a leader of `led_term` printed after it was resumed (its lines stamped
/// after SIGCONT, in order): it steps down from `led_term` before it claims a lease or
/// follows a newer leader, and claims no lease unless it won a newer term.
fn resumed_leader_stepped_down_first(after: &[&Line], led_term: u64) -> Result<(), String> {
    let first = after.iter().find(|line| {
        line.kind() == "stepped-down"
            || line.is_lease_valid()
            || line.leader().is_some_and(|(_, t)| t > led_term)
    });
    match first {
        Some(line) if line.kind() == "stepped-down" => {}
        other => {
            return Err(format!(
                "it must first step down from term {led_term}, but first printed {:?}",
                other.map(|line| &line.text)
            ));
        }
    }
    let mut won_again = false;
    for line in after {
        if line.kind() == "became-leader" && line.number("term") > Some(led_term) {
            won_again = true;
        }
        if line.is_lease_valid() && !won_again {
            return Err(format!(
                "it claimed a lease without winning a newer term: {}",
                line.text
            ));
        }
    }
    Ok(())
}

// ---- The scenarios ----

/// What one run measured.
struct Measured {
    failover_ms: u64,
}

/// Runs the scenario of `algorithm` `BELLWETHER_UDP_RUNS` times (default once) and prints
/// the median failover.
fn scenario(algorithm: Algorithm) {
    let runs: usize = std::env::var("BELLWETHER_UDP_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .filter(|&runs| runs > 0)
        .unwrap_or(1);
    let mut failovers: Vec<u64> = (1..=runs)
        .map(|run| run_once(algorithm, run).failover_ms)
        .collect();
    failovers.sort_unstable();
    println!(
        "udp_cluster {}: failover median {} ms over {runs} run(s): {failovers:?}",
        algorithm.name(),
        failovers[failovers.len() / 2]
    );
}

fn run_once(algorithm: Algorithm, run: usize) -> Measured {
    let name = algorithm.name();
    let mut cluster = Cluster::start(algorithm, run);
    let timing = cluster.timing(1);
    for id in 2..=NODES {
        let other = cluster.timing(id);
        assert_eq!(
            (other.failure_timeout, other.jitter, other.round_trip),
            (timing.failure_timeout, timing.jitter, timing.round_trip),
            "every node runs the same timing"
        );
    }
    let all: Vec<u32> = (1..=NODES).collect();

    // 1. All five agree (quorum: and the leader holds a lease).
    let (leader, term, _) =
        cluster.expect_within(AGREEMENT_TIMEOUT, "all five nodes agree on a leader", |c| {
            c.agreement(&all, algorithm.has_leases())
        });
    println!("udp_cluster {name} run {run}: all five follow node {leader} (term {term})");
    if algorithm.elects_highest_ranked() {
        assert_eq!(leader, NODES, "the highest-ranked member leads");
    }
    let bystander = all
        .iter()
        .copied()
        .find(|&id| id != leader)
        .expect("five nodes");
    cluster.check_rejections(bystander, leader, term);

    // 2. SIGKILL the leader; the four survivors must agree within the derived bound.
    let killed_at = cluster.kill(leader);
    let survivors: Vec<u32> = all.iter().copied().filter(|&id| id != leader).collect();
    let (bound, formula) = algorithm.failover_bound(&timing);
    let limit = bound + SCHEDULING_SLACK_MS;
    let (new_leader, new_term, agreed) = cluster.expect_within(
        Duration::from_millis(limit) + EXTRA_WAIT,
        "the four survivors agree on a new leader",
        |c| c.agreement(&survivors, false),
    );
    let failover = agreed.saturating_sub(killed_at);
    println!(
        "udp_cluster {name} run {run}: killed node {leader}; node {new_leader} leads (term \
         {new_term}) for all four survivors after {failover} ms (bound {formula} = {bound} \
         ms + {SCHEDULING_SLACK_MS} ms slack)"
    );
    assert!(
        failover <= limit,
        "{name}: failover took {failover} ms, more than {bound} ms ({formula}) + \
         {SCHEDULING_SLACK_MS} ms slack"
    );
    let earliest = timing.failure_timeout.saturating_sub(2 * timing.heartbeat);
    assert!(
        failover >= earliest,
        "{name}: failover after {failover} ms, before anyone can have suspected the leader \
         (T − 2H = {earliest} ms)"
    );
    assert!(
        new_term > term,
        "the new leader's term {new_term} is above {term}"
    );
    if algorithm.elects_highest_ranked() {
        assert_eq!(new_leader, NODES - 1, "the highest-ranked survivor leads");
    }

    if algorithm.has_leases() {
        let lease = cluster.expect_within(
            Duration::from_millis(timing.failure_timeout + SCHEDULING_SLACK_MS),
            "the new leader holds a lease",
            |c| c.first_lease(new_leader, new_term).map(Line::mono),
        );
        println!(
            "udp_cluster {name} run {run}: node {new_leader} holds a lease {} ms after the kill",
            lease.saturating_sub(killed_at)
        );
        freeze_the_leader(&mut cluster, &survivors, new_leader, new_term, &timing, run);
        restart_from_disk(&mut cluster, leader, term, &timing, run);
        let claims = cluster.check_leases();
        println!("udp_cluster quorum run {run}: {claims} lease claims, no two at once");
    }

    cluster.shut_down();
    if std::env::var_os("BELLWETHER_UDP_TRANSCRIPT").is_some() {
        println!("udp_cluster {name} run {run}: transcript");
        for line in &cluster.transcript {
            println!("    {line}");
        }
    }
    Measured {
        failover_ms: failover,
    }
}

/// Quorum: SIGSTOP leader `frozen` for longer than its lease (at least 3T, and until the
/// others have elected a leader with a lease of its own), SIGCONT it, and check that it
/// steps down and follows the new leader without claiming a lease first.
fn freeze_the_leader(
    cluster: &mut Cluster,
    live: &[u32],
    frozen: u32,
    frozen_term: u64,
    timing: &Timing,
    run: usize,
) {
    let t = timing.failure_timeout;
    cluster.expect_within(
        Duration::from_millis(t + SCHEDULING_SLACK_MS),
        "the leader holds a lease before it is frozen",
        |c| c.holds_lease(frozen, frozen_term).then_some(()),
    );
    let stopped_at = cluster.signal(frozen, sys::SIGSTOP);
    let others: Vec<u32> = live.iter().copied().filter(|&id| id != frozen).collect();
    let (bound, formula) = Algorithm::Quorum.failover_bound(timing);
    let (leader, term, agreed) = cluster.expect_within(
        Duration::from_millis(bound + SCHEDULING_SLACK_MS) + EXTRA_WAIT,
        "the three others elect a leader with a lease while the old one is frozen",
        |c| c.agreement(&others, true),
    );
    let elected = agreed.saturating_sub(stopped_at);
    println!(
        "udp_cluster quorum run {run}: froze node {frozen}; node {leader} leads (term {term}) \
         with a lease for the other three after {elected} ms"
    );
    assert!(
        elected <= bound + SCHEDULING_SLACK_MS,
        "re-election around a frozen leader took {elected} ms, more than {bound} ms \
         ({formula}) + {SCHEDULING_SLACK_MS} ms slack"
    );
    assert!(
        term > frozen_term,
        "the new term {term} is above {frozen_term}"
    );

    let hold = 3 * t;
    let held = sys::monotonic_ms().saturating_sub(stopped_at);
    if held < hold {
        thread::sleep(Duration::from_millis(hold - held));
    }
    let resumed_at = cluster.signal(frozen, sys::SIGCONT);
    let (follows, follows_term, _) = cluster.expect_within(
        Duration::from_millis(2 * t + SCHEDULING_SLACK_MS),
        "the resumed leader steps down and follows the new one",
        |c| c.agreement(live, false).filter(|&(l, _, _)| l != frozen),
    );
    println!(
        "udp_cluster quorum run {run}: resumed node {frozen} after {} ms; it follows node \
         {follows} (term {follows_term})",
        resumed_at - stopped_at
    );

    let after: Vec<&Line> = cluster
        .current(frozen)
        .iter()
        .filter(|line| line.mono() >= resumed_at)
        .collect();
    println!("udp_cluster quorum run {run}: node {frozen} after SIGCONT:");
    for line in after.iter().take(8) {
        println!("    {}", line.text);
    }
    if let Err(why) = resumed_leader_stepped_down_first(&after, frozen_term) {
        cluster.fail(&format!("node {frozen} after SIGCONT: {why}"));
    }
}

/// Quorum: restarts the node killed in the failover from its state file; it must restore
/// the term and vote it last reported persisted, and the five must agree again.
fn restart_from_disk(cluster: &mut Cluster, id: u32, led_term: u64, timing: &Timing, run: usize) {
    let persisted = cluster
        .current(id)
        .iter()
        .rev()
        .find(|line| line.kind() == "persisted")
        .map(|line| (line.number("term"), line.value("vote").map(str::to_owned)))
        .unwrap_or_else(|| cluster.fail(&format!("node {id} never persisted its state")));
    cluster.spawn(id);
    let restored = cluster.expect_within(
        STARTUP_TIMEOUT,
        "the restarted node reads its state file",
        |c| {
            c.current(id)
                .iter()
                .find(|line| matches!(line.kind(), "restored" | "fresh-state"))
                .map(|line| (line.number("term"), line.value("vote").map(str::to_owned)))
        },
    );
    assert_eq!(
        restored, persisted,
        "node {id} restores the term and vote it last persisted"
    );
    assert!(
        restored.0 >= Some(led_term),
        "node {id} restores a term at least the one it led ({led_term})"
    );
    let all: Vec<u32> = (1..=NODES).collect();
    let (leader, term, _) = cluster.expect_within(
        Duration::from_millis(2 * timing.failure_timeout + SCHEDULING_SLACK_MS) + EXTRA_WAIT,
        "all five agree again after the restart",
        |c| c.agreement(&all, false),
    );
    println!(
        "udp_cluster quorum run {run}: node {id} restarted with term {:?} vote {:?}; all five \
         follow node {leader} (term {term})",
        restored.0, restored.1
    );
}

// ---- The tests ----

#[test]
fn bully_failover_between_five_c_processes() {
    scenario(Algorithm::Bully);
}

#[test]
fn next_in_line_failover_between_five_c_processes() {
    scenario(Algorithm::NextInLine);
}

#[test]
fn candidates_failover_between_five_c_processes() {
    scenario(Algorithm::Candidates);
}

#[test]
fn invitation_failover_between_five_c_processes() {
    scenario(Algorithm::Invitation);
}

#[test]
fn ring_failover_between_five_c_processes() {
    scenario(Algorithm::Ring);
}

#[test]
fn quorum_failover_frozen_leader_and_restart_between_five_c_processes() {
    scenario(Algorithm::Quorum);
}

/// Multi-group mode (`udp_node --groups`): three processes run 100 groups of three over
/// their one socket each; every node must come to know a leader in each of its groups,
/// and the groups they lead must add up to 100 (each group led once).
#[test]
fn multigroup_three_c_processes_elect_every_group() {
    const GROUPS: usize = 100;
    const PROCESSES: u32 = 3;
    let binary = udp_node();
    let ports = {
        let _starting = STARTING.lock().unwrap_or_else(PoisonError::into_inner);
        free_ports(PROCESSES as usize)
    };
    let peers: Vec<String> = (1..=PROCESSES)
        .zip(&ports)
        .map(|(id, port)| format!("{id}=127.0.0.1:{port}"))
        .collect();
    let (sender, reports) = mpsc::channel::<(u32, String)>();
    let mut children = Vec::new();
    for id in 1..=PROCESSES {
        let mut command = Command::new(binary);
        command
            .args(["--groups", &GROUPS.to_string(), "--id", &id.to_string()])
            .arg("--exit-on-stdin-eof");
        for peer in &peers {
            command.args(["--peer", peer]);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("udp_node starts");
        let stdout = child.stdout.take().expect("a piped stdout");
        let sender = sender.clone();
        let reader = thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send((id, line)).is_err() {
                    break;
                }
            }
        });
        children.push((child, reader));
    }
    drop(sender);
    // Each node's latest `groups held H with-leader K leading L` line.
    let mut latest: BTreeMap<u32, (usize, usize, usize)> = BTreeMap::new();
    let mut transcript = Vec::new();
    let deadline = Instant::now() + AGREEMENT_TIMEOUT;
    let elected = loop {
        let all_elected = latest.len() == PROCESSES as usize
            && latest
                .values()
                .all(|&(held, known, _)| held == GROUPS && known == held)
            && latest
                .values()
                .map(|&(_, _, leading)| leading)
                .sum::<usize>()
                == GROUPS;
        if all_elected {
            break true;
        }
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break false;
        };
        match reports.recv_timeout(left) {
            Ok((id, text)) => {
                let line = Line { node: id, text };
                if line.kind() == "groups" {
                    let numbers = (
                        line.number("held"),
                        line.number("with-leader"),
                        line.number("leading"),
                    );
                    if let (Some(held), Some(known), Some(leading)) = numbers {
                        latest.insert(id, (held as usize, known as usize, leading as usize));
                    }
                }
                transcript.push(format!("node {id}: {}", line.text));
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break false,
        }
    };
    // Closing standard input ends each node (--exit-on-stdin-eof).
    let mut statuses = Vec::new();
    for (mut child, reader) in children {
        drop(child.stdin.take());
        let status = wait_or_kill(&mut child, Duration::from_secs(5));
        let _ = reader.join();
        statuses.push(status);
    }
    assert!(
        elected,
        "not every group elected a leader within {AGREEMENT_TIMEOUT:?}: {latest:?}\n{}",
        transcript.join("\n")
    );
    println!("udp_cluster multigroup: {GROUPS} groups over {PROCESSES} processes: {latest:?}");
    for status in statuses {
        assert!(
            status.is_some_and(|s| s.success()),
            "a node exited with {status:?}"
        );
    }
}

/// Waits up to `limit` for `child` to exit, then kills it (by its own pid); its status if
/// it exited by itself.
fn wait_or_kill(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// The node also compiles cleanly with clang, when it is installed (optional: gcc is the
/// compiler the scenarios use).
#[test]
fn udp_node_compiles_cleanly_with_clang() {
    if Command::new("clang").arg("--version").output().is_err() {
        println!("clang is not installed: only gcc compiled udp_node.c");
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("udp_cluster");
    std::fs::create_dir_all(&dir).expect("the output directory can be created");
    if let Err(why) = compile_udp_node("clang", &dir.join("udp_node_clang")) {
        panic!("{why}");
    }
}

/// Lines of node `node`, for the checks' own tests.
fn lines_of(node: u32, texts: &[&str]) -> Vec<Line> {
    texts
        .iter()
        .map(|text| Line {
            node,
            text: (*text).to_owned(),
        })
        .collect()
}

#[test]
fn the_lease_check_catches_overlapping_claims() {
    let mut lines = BTreeMap::new();
    lines.insert(
        1,
        lines_of(
            1,
            &[
                "lease valid until 600 until-mono 1600 at 100 mono 1100",
                "lease valid until 700 until-mono 1700 at 200 mono 1200",
            ],
        ),
    );
    // Node 2 claims from 1650, while node 1's last claim runs to 1700: caught.
    lines.insert(
        2,
        lines_of(
            2,
            &["lease valid until 900 until-mono 2100 at 450 mono 1650"],
        ),
    );
    let overlap = lease_claims_are_disjoint(&lines);
    assert!(
        overlap
            .as_ref()
            .is_err_and(|why| why.contains("two leases at once")),
        "{overlap:?}"
    );

    // Node 1 said invalid at 1640 (before its lease ran out): no overlap.
    lines.insert(
        1,
        lines_of(
            1,
            &[
                "lease valid until 600 until-mono 1600 at 100 mono 1100",
                "lease valid until 700 until-mono 1700 at 200 mono 1200",
                "lease invalid at 640 mono 1640",
            ],
        ),
    );
    assert_eq!(lease_claims_are_disjoint(&lines), Ok(3));

    // A claim ends at its lease's end even if the node never said so (killed, frozen).
    lines.insert(
        1,
        lines_of(
            1,
            &["lease valid until 550 until-mono 1650 at 100 mono 1100"],
        ),
    );
    assert_eq!(lease_claims_are_disjoint(&lines), Ok(2));
}

#[test]
fn the_resume_check_catches_a_lease_before_stepping_down() {
    let check = |texts: &[&str]| {
        let lines = lines_of(5, texts);
        let after: Vec<&Line> = lines.iter().collect();
        resumed_leader_stepped_down_first(&after, 2)
    };
    assert_eq!(
        check(&[
            "lease invalid at 3000 mono 9000",
            "stepped-down term 2 at 3000 mono 9000",
            "leader none term 3 at 3000 mono 9000",
            "leader 2 term 3 at 3050 mono 9050",
        ]),
        Ok(())
    );
    assert!(
        check(&[
            "lease valid until 3400 until-mono 9400 at 3000 mono 9000",
            "stepped-down term 2 at 3001 mono 9001",
        ])
        .is_err()
    );
    assert!(check(&["leader 2 term 3 at 3050 mono 9050"]).is_err());
    assert!(check(&[]).is_err(), "it must report stepping down");
    assert!(
        check(&[
            "stepped-down term 2 at 3000 mono 9000",
            "lease valid until 3400 until-mono 9400 at 3010 mono 9010",
        ])
        .is_err()
    );
    assert_eq!(
        check(&[
            "stepped-down term 2 at 3000 mono 9000",
            "became-leader term 4 lease-until none fencing 4 at 4000 mono 10000",
            "lease valid until 4490 until-mono 10490 at 4001 mono 10001",
        ]),
        Ok(())
    );
}
