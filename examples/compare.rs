//! The side-by-side comparison of every election algorithm: election messages and time
//! per failover, and simultaneous leaders under a partition, measured in the
//! deterministic simulator ([`bellwether::sim`]).
//!
//! ```text
//! cargo run --release --example compare --features sim -- <output-dir> [--seeds N]
//! ```
//!
//! It prints one markdown table to stdout, writes the same results to
//! `<output-dir>/compare.csv` and draws `<output-dir>/compare.svg` (messages per failover
//! against group size, scenario (a)). Progress goes to stderr. The run is deterministic:
//! every cell uses the seeds `0..N` (the same seeds for every algorithm), and each run
//! depends on its seed alone.
//!
//! # Setup
//!
//! Rows are the algorithms — Bully (classic), next-in-line (default options),
//! candidate/ordinary with its tie-breaker delay δ and, as a separate row, without it,
//! invitation (default options), ring with either token (full list, max only), and quorum
//! election with [`QuorumOptions::DEFAULT`] (pre-vote, check-quorum, ρ = 1 %, the longest
//! safe lease, persistent durable state, which the simulator writes and confirms as soon
//! as an engine hands it out) — for groups of n = 3, 5, 7, 9, 16, 32 and 64 members (64 is
//! [`MAX_MEMBERS`]; every engine is built with that capacity). Members are `1..=n`, ranked
//! by id, all candidates. The medium is point to point (`broadcast: false`), so a message
//! to k peers is k messages. One-way delays are uniform in 1..=10 ms, so messages overtake
//! each other. Timing is [`Timing::LAN`]: heartbeat interval 100 ms, failure timeout
//! T = 500 ms, round-trip timeout 50 ms; its 0..150 ms failure jitter is set to zero in
//! scenarios (a)-(c) so that who notices the failure first is controlled, not left to
//! chance.
//!
//! Quorum election runs with the same `Timing` as every other row: its election timeout is
//! the same T = 500 ms, but (as Raft's) it is drawn at random in `[T, 2T)` after each
//! heartbeat, whatever the configured jitter. So for quorum, (a) and (b) differ only in
//! that one survivor's timer started one heartbeat earlier: who times out first is decided
//! mostly by the random draws, and the first survivor times out between T and 2T after
//! the last heartbeat it heard (500 ms to 1 s, plus the election's round trips).
//!
//! # Failover scenarios (a)-(c)
//!
//! Each run boots a fresh group, waits (at most 10 s) until every live node names the same
//! live leader and that leader claims leadership ([`Simulation::agreed_leader`]), lets the
//! group run 1 s of steady heartbeats, checks the agreement again, and then crashes the
//! leader right after it has sent a heartbeat (`Heartbeat`, or `QuorumHeartbeat` for
//! quorum) to every follower. It then runs (at most 10 s) until every live node agrees on
//! a new leader, and measures:
//!
//! * **messages per failover**: the election messages engines handed out from the crash
//!   until one failure timeout after that agreement (election traffic can outlast
//!   agreement: a ring's result keeps circulating) — distinct transmissions among the
//!   recorded non-duplicate copies ([`Record`]) whose kind is not liveness
//!   ([`Kind::is_liveness`]). Heartbeats and
//!   heartbeat acks (quorum: `QuorumHeartbeat`, `QuorumAck`) are steady-state liveness
//!   traffic, sent whether or not anything fails, so they are excluded; for quorum the
//!   election messages are `PreVote`, `PreVoteGranted`, `RequestVote`, `Vote` (granted or
//!   not) and `TimeoutNow`. Copies lost or blocked by the network count: an engine sent
//!   them.
//! * **time to agreement**, from the crash, in milliseconds. It includes failure
//!   detection: the failure timeout alone is 500 ms, so about 500 ms is the floor (quorum:
//!   see above). In (a) too: the first node notices 100 ms earlier, but the others, which
//!   heard the leader within the failure timeout less the round-trip timeout, still count
//!   it alive, and the group settles once their own detectors fire.
//!
//! The scenarios differ only in how the crash is staged:
//!
//! * **(a) one node notices first.** Failure detectors are synchronised (zero jitter:
//!   each follower suspects the leader exactly one failure timeout after it last heard
//!   it). Just before the leader's last heartbeat the link from the leader to one random
//!   survivor p is cut ([`Simulation::block`]); the heartbeat goes out, p's copy is
//!   dropped, the leader crashes at once and the link is restored
//!   ([`Simulation::heal`]). p last heard the leader one heartbeat earlier, so its
//!   detector fires one heartbeat interval (± the 10 ms delay spread) before everyone
//!   else's: p alone starts the election, as in the textbook's worked example.
//! * **(b) every node notices at once.** The same without the cut: all detectors fire
//!   within the 10 ms delay spread, so elections run concurrently.
//! * **(c) (b) with 5% loss.** As (b), but from the crash on every message copy is lost
//!   with probability 5% (the last heartbeat itself arrives).
//!
//! # Partition scenario (d)
//!
//! With [`Timing::LAN`] as is (jitter included), each run boots and settles as above,
//! then splits the group in two: a minority side of ⌊n/2⌋ random members other than the
//! leader (never a strict majority), and the rest, with the leader. The partition is held
//! for 3 s; after every simulator step the number of live nodes claiming leadership is
//! sampled, and the cell reports the most seen at once (over all runs) and in how many
//! runs a minority-side node claimed leadership — split brain: a side without a majority
//! elected a leader of its own. Then the partition heals; a run in which the group does
//! not agree on one leader again within 10 s counts as failed.
//!
//! A second column counts **leaders per term**: from the split until the group agrees
//! again after the heal, every (term, node) that claimed leadership after a step is
//! recorded, and the cell reports the most distinct nodes seen leading one term (over all
//! runs). Quorum election promises at most one leader per term and no leader on the
//! minority side, so its cells must read 1 (at once and per term) and 0%; the example
//! measures that, it does not assume it. For the other algorithms the term is their epoch,
//! and the column shows whether the two sides' leaders at least lead different epochs
//! (invitation's group leaders share one by design).
//!
//! # Statistics and failures
//!
//! Median and p99 are nearest-rank percentiles over a cell's successful runs. A run fails
//! when agreement is not reached within its bound, or when the simulator reports a
//! violation (an engine rejected a message); failed runs are counted and reported, and a
//! cell without a successful run shows "n/a". Every wait is bounded, so an algorithm that
//! never elects makes the run slower, never endless.
//!
//! # Output
//!
//! * stdout: a header line (seeds, delays, timing) and one markdown table, a row per
//!   algorithm and n, with a column pair per failover scenario, the two partition columns
//!   ("(d) max leaders / runs with a minority leader" and "(d) max leaders in one term")
//!   and the failed runs per scenario.
//! * `compare.csv`: a row per algorithm, n and scenario, with the columns
//!   `algorithm,n,scenario,runs,failed_runs,messages_median,messages_p99,time_median_ms,
//!   time_p99_ms,max_leaders,minority_elected_runs,max_leaders_per_term`. Messages and
//!   times are empty for (d) and for cells without a successful run. `max_leaders` is, for
//!   (a)-(c), the most simultaneous leaders between the crash and the agreement (more than
//!   one is a split brain without any partition); `minority_elected_runs` is filled for (d)
//!   only; `max_leaders_per_term` is the most distinct nodes that led one term, between the
//!   crash and the agreement for (a)-(c), from the split until agreement after the heal
//!   for (d).
//! * `compare.svg`: median messages per failover in (a) against n, one line per algorithm,
//!   both axes logarithmic.

use std::collections::{HashMap, HashSet};
use std::env;
use std::error::Error;
use std::fmt::{self, Write as _};
use std::fs;
use std::panic;
use std::path::{Path, PathBuf};
use std::process;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Instant as WallClock;

#[cfg(feature = "quorum")]
use bellwether::QuorumOptions;
use bellwether::sim::{Faults, Record, Simulation, Violation};
use bellwether::unstable::{Kind, Rng};
use bellwether::{
    Algorithm, BullyOptions, CandidateOptions, Config, ConfigError, Duration, Engine, GroupId,
    Instant, InvitationOptions, MAX_MEMBERS, Member, NextInLineOptions, NodeId, Preemption,
    RingOptions, RingVariant, Term, Timing,
};

/// Every simulated engine is built with the largest capacity, so n = 64 fits.
const CAPACITY: usize = MAX_MEMBERS;

/// The simulation every run drives.
type Sim = Simulation<CAPACITY>;

/// The group sizes compared.
const SIZES: [u32; 7] = [3, 5, 7, 9, 16, 32, 64];

/// Seeds per cell unless `--seeds` says otherwise; keeps a release run on two cores well
/// under two minutes.
const DEFAULT_SEEDS: u64 = 100;

/// The election group every engine belongs to.
const GROUP: GroupId = GroupId(1);

/// A healthy network: no loss, no duplicates, one-way delays uniform in 1..=10 ms.
const NETWORK: Faults = Faults {
    max_delay: Duration::from_millis(10),
    ..Faults::NONE
};

/// The message loss of scenario (c).
const LOSS: f64 = 0.05;

/// Timing of the failover scenarios: LAN timing with synchronised failure detectors.
const SYNCHRONISED: Timing = Timing {
    failure_jitter: Duration::ZERO,
    ..Timing::LAN
};

/// The bound on every wait for agreement: after boot, after the crash, after the heal.
const AGREEMENT_LIMIT: Duration = Duration::from_secs(10);

/// How long election messages are still counted after agreement: one failure timeout.
const COUNT_AFTER_AGREEMENT: Duration = Timing::LAN.failure_timeout;

/// Steady-state running between the first agreement and the fault.
const SETTLE: Duration = Duration::from_secs(1);

/// How long the partition of scenario (d) is held.
const PARTITION_HOLD: Duration = Duration::from_secs(3);

/// How many of the leader's timer firings are tried to find its next heartbeat.
const HEARTBEAT_ATTEMPTS: usize = 16;

/// The most message copies one run may hand out before it is abandoned as a message
/// storm: far above any healthy run (n = 64 with 5% loss stays below 100,000), it keeps a
/// misbehaving engine from stalling the comparison.
const MESSAGE_BUDGET: usize = 1_000_000;

/// Mixed into a run's seed for the scenario's own choices (the deaf survivor, the
/// minority side), so that they do not repeat the simulator's random sequence.
const SCENARIO_SALT: u64 = 0x00c0_ffee;

/// One row group of the comparison: an algorithm with its options.
#[derive(Clone, Copy)]
struct Contender {
    /// The name shown in the table and the chart's legend.
    name: &'static str,
    /// The name written to the CSV file.
    slug: &'static str,
    /// What every engine of the group runs.
    algorithm: Algorithm,
}

/// The algorithms compared, in table order.
const CONTENDERS: &[Contender] = &[
    Contender {
        name: "Bully (classic)",
        slug: "bully",
        algorithm: Algorithm::Bully(BullyOptions::CLASSIC),
    },
    Contender {
        name: "Next-in-line",
        slug: "next-in-line",
        algorithm: Algorithm::NextInLine(NextInLineOptions::DEFAULT),
    },
    Contender {
        name: "Candidates (δ = 60 ms)",
        slug: "candidates",
        algorithm: Algorithm::Candidates(CandidateOptions::DEFAULT),
    },
    Contender {
        name: "Candidates (no δ)",
        slug: "candidates-no-delta",
        algorithm: Algorithm::Candidates(CandidateOptions::new(None, Preemption::Immediate)),
    },
    Contender {
        name: "Invitation",
        slug: "invitation",
        algorithm: Algorithm::Invitation(InvitationOptions::DEFAULT),
    },
    Contender {
        name: "Ring (full list)",
        slug: "ring-full-list",
        algorithm: Algorithm::Ring(RingOptions::new(RingVariant::FullList)),
    },
    Contender {
        name: "Ring (max only)",
        slug: "ring-max-only",
        algorithm: Algorithm::Ring(RingOptions::new(RingVariant::MaxOnly)),
    },
    #[cfg(feature = "quorum")]
    Contender {
        name: "Quorum (default options)",
        slug: "quorum",
        algorithm: Algorithm::Quorum(QuorumOptions::DEFAULT),
    },
];

/// How the fault of a run is staged (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scenario {
    /// (a) One survivor misses the last heartbeat and notices the crash first.
    OneNotices,
    /// (b) Every survivor notices the crash at once.
    AllNotice,
    /// (c) As (b), with 5% message loss from the crash on.
    AllNoticeLossy,
    /// (d) A two-way partition, held and healed.
    Partition,
}

impl Scenario {
    /// Every scenario, in column order.
    const ALL: [Scenario; 4] = [
        Scenario::OneNotices,
        Scenario::AllNotice,
        Scenario::AllNoticeLossy,
        Scenario::Partition,
    ];

    /// The failover scenarios, which measure messages and time.
    const FAILOVERS: [Scenario; 3] = [
        Scenario::OneNotices,
        Scenario::AllNotice,
        Scenario::AllNoticeLossy,
    ];

    /// The scenario's letter in the table.
    fn letter(self) -> char {
        match self {
            Scenario::OneNotices => 'a',
            Scenario::AllNotice => 'b',
            Scenario::AllNoticeLossy => 'c',
            Scenario::Partition => 'd',
        }
    }

    /// The scenario's name in the CSV file.
    fn slug(self) -> &'static str {
        match self {
            Scenario::OneNotices => "a-one-notices",
            Scenario::AllNotice => "b-all-notice",
            Scenario::AllNoticeLossy => "c-all-notice-5pct-loss",
            Scenario::Partition => "d-partition",
        }
    }

    /// The engines' timing in this scenario.
    fn timing(self) -> Timing {
        match self {
            Scenario::Partition => Timing::LAN,
            _ => SYNCHRONISED,
        }
    }
}

/// Why a run produced no measurement.
#[derive(Clone, Debug)]
enum Failure {
    /// The configuration was refused.
    Config(ConfigError),
    /// The simulator reported a violation (an engine rejected a message).
    Violation(Violation),
    /// No agreement on one leader within the bound after boot.
    NoBoot,
    /// The leader sent no heartbeat to crash after.
    NoHeartbeat,
    /// No agreement on a new leader within the bound after the crash.
    NoFailover,
    /// No agreement on one leader within the bound after the partition healed.
    NoHeal,
    /// The run handed out more than [`MESSAGE_BUDGET`] message copies.
    Storm,
    /// An engine (or the simulator) panicked.
    Panic(String),
}

impl From<Violation> for Failure {
    fn from(violation: Violation) -> Self {
        Failure::Violation(violation)
    }
}

impl From<ConfigError> for Failure {
    fn from(error: ConfigError) -> Self {
        Failure::Config(error)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Config(error) => write!(f, "configuration refused: {error}"),
            Failure::Violation(violation) => violation.fmt(f),
            Failure::NoBoot => write!(f, "no agreed leader within {AGREEMENT_LIMIT} of boot"),
            Failure::NoHeartbeat => f.write_str("the leader sent no heartbeat"),
            Failure::NoFailover => {
                write!(f, "no agreed leader within {AGREEMENT_LIMIT} of the crash")
            }
            Failure::NoHeal => write!(f, "no agreed leader within {AGREEMENT_LIMIT} of the heal"),
            Failure::Storm => write!(f, "message storm: over {MESSAGE_BUDGET} copies sent"),
            Failure::Panic(message) => write!(f, "panicked: {message}"),
        }
    }
}

/// What one successful run measured.
#[derive(Clone, Copy, Debug)]
struct Sample {
    /// Failover scenarios: election messages and time from the crash to agreement.
    failover: Option<(usize, Duration)>,
    /// The most live nodes that claimed leadership at once in the measured window.
    max_leaders: usize,
    /// The most distinct nodes that claimed leadership in one term in the measured
    /// window (for (d): the partition and the heal, until agreement).
    max_leaders_per_term: usize,
    /// Partition scenario: whether a minority-side node claimed leadership.
    minority_elected: bool,
}

/// The moment every live node agreed on one leader.
#[derive(Clone, Copy, Debug)]
struct Agreement {
    /// When.
    at: Instant,
    /// On whom.
    leader: NodeId,
}

/// Who claimed leadership while a run was watched, sampled after every simulator step.
#[derive(Debug, Default)]
struct LeaderTally {
    /// The most live nodes that claimed leadership at the same time.
    max_at_once: usize,
    /// Every (term, node) pair seen leading.
    led: HashSet<(Term, NodeId)>,
}

impl LeaderTally {
    /// Records the live nodes that claim leadership now, with their terms.
    fn sample(&mut self, sim: &Sim) {
        let mut at_once = 0;
        for engine in sim.live().filter(|engine| engine.is_leader()) {
            at_once += 1;
            self.led.insert((engine.term(), engine.id()));
        }
        self.max_at_once = self.max_at_once.max(at_once);
    }

    /// The most distinct nodes seen leading one term.
    fn max_per_term(&self) -> usize {
        let mut per_term: HashMap<Term, usize> = HashMap::new();
        for &(term, _) in &self.led {
            *per_term.entry(term).or_default() += 1;
        }
        per_term.into_values().max().unwrap_or(0)
    }

    /// Whether any node of `side` was seen leading.
    fn any_led(&self, side: &[NodeId]) -> bool {
        self.led.iter().any(|(_, node)| side.contains(node))
    }
}

/// One cell of the comparison: an algorithm, a group size and a scenario.
#[derive(Clone, Copy, Debug)]
struct Job {
    /// Index into [`CONTENDERS`].
    contender: usize,
    /// The group size.
    n: u32,
    /// The staged fault.
    scenario: Scenario,
}

/// Everything measured in one cell.
#[derive(Clone, Debug, Default)]
struct Cell {
    /// Runs attempted.
    runs: usize,
    /// Runs that produced no measurement.
    failed: usize,
    /// The first failure, with its seed, for the progress log.
    first_failure: Option<(u64, String)>,
    /// Election messages per failover, sorted.
    messages: Vec<usize>,
    /// Time to agreement per failover, sorted.
    times: Vec<Duration>,
    /// The most simultaneous leaders over all successful runs.
    max_leaders: usize,
    /// The most distinct leaders of one term over all successful runs.
    max_leaders_per_term: usize,
    /// Successful runs in which the minority side elected a leader (partition only).
    minority_elected: usize,
}

impl Cell {
    /// Adds one run's outcome.
    fn record(&mut self, seed: u64, outcome: Result<Sample, Failure>) {
        self.runs += 1;
        match outcome {
            Ok(sample) => {
                if let Some((messages, time)) = sample.failover {
                    self.messages.push(messages);
                    self.times.push(time);
                }
                self.max_leaders = self.max_leaders.max(sample.max_leaders);
                self.max_leaders_per_term =
                    self.max_leaders_per_term.max(sample.max_leaders_per_term);
                self.minority_elected += usize::from(sample.minority_elected);
            }
            Err(failure) => {
                self.failed += 1;
                self.first_failure
                    .get_or_insert_with(|| (seed, failure.to_string()));
            }
        }
    }

    /// Sorts the samples so that percentiles can be read off.
    fn finish(mut self) -> Cell {
        self.messages.sort_unstable();
        self.times.sort_unstable();
        self
    }

    /// Runs that produced a measurement.
    fn succeeded(&self) -> usize {
        self.runs - self.failed
    }

    /// Median and p99 of the messages per failover.
    fn messages_summary(&self) -> Option<(usize, usize)> {
        Some((
            percentile(&self.messages, 50)?,
            percentile(&self.messages, 99)?,
        ))
    }

    /// Median and p99 of the time to agreement, in milliseconds.
    fn time_summary(&self) -> Option<(u64, u64)> {
        let median = percentile(&self.times, 50)?;
        let p99 = percentile(&self.times, 99)?;
        Some((median.as_millis(), p99.as_millis()))
    }

    /// The most simultaneous leaders, if any run succeeded.
    fn leaders_summary(&self) -> Option<usize> {
        (self.succeeded() > 0).then_some(self.max_leaders)
    }

    /// The most distinct leaders of one term, if any run succeeded.
    fn leaders_per_term_summary(&self) -> Option<usize> {
        (self.succeeded() > 0).then_some(self.max_leaders_per_term)
    }

    /// The most simultaneous leaders and the percentage of successful runs in which the
    /// minority side elected a leader (partition scenario).
    fn partition_summary(&self) -> Option<(usize, f64)> {
        let leaders = self.leaders_summary()?;
        let share = 100.0 * self.minority_elected as f64 / self.succeeded() as f64;
        Some((leaders, share))
    }
}

/// The nearest-rank `percent`th percentile of sorted samples.
fn percentile<T: Copy>(sorted: &[T], percent: usize) -> Option<T> {
    let rank = (sorted.len() * percent).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

// ---- One run ----

/// A fresh simulated group of members `1..=n` running `algorithm` with `timing`.
fn simulation(algorithm: Algorithm, n: u32, timing: Timing, seed: u64) -> Result<Sim, Failure> {
    let members: Vec<Member> = (1..=n).map(Member::with_id).collect();
    let configs = (1..=n)
        .map(|id| {
            Config::<CAPACITY>::new(GROUP, NodeId(id), &members, algorithm)
                .map(|config| config.with_timing(timing))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut sim = Simulation::new(seed, configs)?;
    sim.set_faults(NETWORK);
    Ok(sim)
}

/// Runs until `done` holds (checked after every step) or `limit` has passed, as
/// [`Simulation::run_until_true`] does, but gives up once the run has handed out more than
/// [`MESSAGE_BUDGET`] message copies.
fn run_bounded(
    sim: &mut Sim,
    limit: Duration,
    mut done: impl FnMut(&Sim) -> bool,
) -> Result<Option<Instant>, Failure> {
    let at = sim.run_until_true(limit, |s| s.log().len() > MESSAGE_BUDGET || done(s))?;
    if sim.log().len() > MESSAGE_BUDGET {
        return Err(Failure::Storm);
    }
    Ok(at)
}

/// Runs until every live node names the same live leader that claims leadership, for at
/// most `limit`, recording the leaders in `tally` after every step.
fn await_agreement(
    sim: &mut Sim,
    limit: Duration,
    tally: &mut LeaderTally,
) -> Result<Option<Agreement>, Failure> {
    let agreed = run_bounded(sim, limit, |s| {
        tally.sample(s);
        s.agreed_leader().is_some()
    })?;
    Ok(agreed.and_then(|at| sim.agreed_leader().map(|leader| Agreement { at, leader })))
}

/// Boots the group into a steady state: agreement, a settling period, agreement again.
/// Returns the leader.
fn boot(sim: &mut Sim) -> Result<NodeId, Failure> {
    let mut unwatched = LeaderTally::default();
    await_agreement(sim, AGREEMENT_LIMIT, &mut unwatched)?.ok_or(Failure::NoBoot)?;
    run_bounded(sim, SETTLE, |_| false)?;
    let agreement =
        await_agreement(sim, AGREEMENT_LIMIT, &mut unwatched)?.ok_or(Failure::NoBoot)?;
    Ok(agreement.leader)
}

/// A random member other than `leader`.
fn random_survivor(sim: &Sim, leader: NodeId, rng: &mut Rng) -> NodeId {
    let survivors: Vec<NodeId> = sim
        .node_ids()
        .into_iter()
        .filter(|&id| id != leader)
        .collect();
    survivors[rng.below(survivors.len() as u64) as usize]
}

/// Runs to the leader's next heartbeat and fires it, with the link from the leader to
/// `deaf` (if any) cut for that instant only, so that `deaf` misses it. Other timer
/// firings of the leader (an algorithm may have more than the heartbeat) are run
/// through until a heartbeat goes out.
fn fire_heartbeat(sim: &mut Sim, leader: NodeId, deaf: Option<NodeId>) -> Result<(), Failure> {
    for _ in 0..HEARTBEAT_ATTEMPTS {
        let deadline = sim
            .engine(leader)
            .and_then(Engine::poll_timeout)
            .ok_or(Failure::NoHeartbeat)?;
        sim.run_until(Instant::from_millis(deadline.as_millis().saturating_sub(1)))?;
        if let Some(deaf) = deaf {
            sim.block(leader, deaf);
        }
        let before = sim.log().len();
        sim.fire_timeout(leader)?;
        sim.heal();
        let heartbeat = sim.log()[before..]
            .iter()
            .any(|r| r.from == leader && matches!(r.kind, Kind::Heartbeat | Kind::QuorumHeartbeat));
        if heartbeat {
            return Ok(());
        }
    }
    Err(Failure::NoHeartbeat)
}

/// The election messages among `records`: distinct transmissions of non-duplicate
/// copies whose kind is not liveness traffic.
fn election_messages(records: &[Record]) -> usize {
    records
        .iter()
        .filter(|r| !r.duplicate && !r.kind.is_liveness())
        .map(|r| r.transmission)
        .collect::<HashSet<_>>()
        .len()
}

/// Scenarios (a)-(c): crashes the leader right after a heartbeat and measures the
/// failover until every survivor agrees.
fn failover(
    sim: &mut Sim,
    leader: NodeId,
    scenario: Scenario,
    rng: &mut Rng,
) -> Result<Sample, Failure> {
    let deaf = (scenario == Scenario::OneNotices).then(|| random_survivor(sim, leader, rng));
    fire_heartbeat(sim, leader, deaf)?;
    if scenario == Scenario::AllNoticeLossy {
        sim.set_faults(Faults {
            loss: LOSS,
            ..NETWORK
        });
    }
    sim.crash(leader);
    let crashed_at = sim.now();
    let since = sim.log().len();
    let mut tally = LeaderTally::default();
    let agreement =
        await_agreement(sim, AGREEMENT_LIMIT, &mut tally)?.ok_or(Failure::NoFailover)?;
    // Election traffic may outlast agreement (a ring's result still circulating): count
    // what is sent until one failure timeout after it, too.
    run_bounded(sim, COUNT_AFTER_AGREEMENT, |_| false)?;
    Ok(Sample {
        failover: Some((
            election_messages(&sim.log()[since..]),
            agreement.at - crashed_at,
        )),
        max_leaders: tally.max_at_once,
        max_leaders_per_term: tally.max_per_term(),
        minority_elected: false,
    })
}

/// Scenario (d): ⌊n/2⌋ random members other than the leader; never a strict majority.
fn minority_side(sim: &Sim, leader: NodeId, rng: &mut Rng) -> Vec<NodeId> {
    let mut others: Vec<NodeId> = sim
        .node_ids()
        .into_iter()
        .filter(|&id| id != leader)
        .collect();
    for i in (1..others.len()).rev() {
        others.swap(i, rng.below(i as u64 + 1) as usize);
    }
    others.truncate(sim.node_ids().len() / 2);
    others
}

/// Scenario (d): holds a partition, sampling the leaders after every step, then heals
/// it and waits for agreement (still sampling the leaders of each term).
fn partition(sim: &mut Sim, leader: NodeId, rng: &mut Rng) -> Result<Sample, Failure> {
    let minority = minority_side(sim, leader, rng);
    sim.partition(&minority);
    let mut tally = LeaderTally::default();
    run_bounded(sim, PARTITION_HOLD, |s| {
        tally.sample(s);
        false
    })?;
    let max_leaders = tally.max_at_once;
    let minority_elected = tally.any_led(&minority);
    sim.heal();
    await_agreement(sim, AGREEMENT_LIMIT, &mut tally)?.ok_or(Failure::NoHeal)?;
    Ok(Sample {
        failover: None,
        max_leaders,
        max_leaders_per_term: tally.max_per_term(),
        minority_elected,
    })
}

/// One run of one cell with one seed.
fn run(job: Job, seed: u64) -> Result<Sample, Failure> {
    let algorithm = CONTENDERS[job.contender].algorithm;
    let mut sim = simulation(algorithm, job.n, job.scenario.timing(), seed)?;
    let leader = boot(&mut sim)?;
    let mut rng = Rng::new(seed ^ SCENARIO_SALT);
    match job.scenario {
        Scenario::Partition => partition(&mut sim, leader, &mut rng),
        failover_scenario => failover(&mut sim, leader, failover_scenario, &mut rng),
    }
}

// ---- All cells ----

/// One run, with a panic turned into a failure so that one broken engine cannot stop the
/// comparison.
fn run_guarded(job: Job, seed: u64) -> Result<Sample, Failure> {
    panic::catch_unwind(|| run(job, seed)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(Failure::Panic(message))
    })
}

/// Runs every seed of one cell.
fn run_cell(job: Job, seeds: u64) -> Cell {
    let mut cell = Cell::default();
    for seed in 0..seeds {
        cell.record(seed, run_guarded(job, seed));
    }
    cell.finish()
}

/// Every cell, in table order: algorithm, then size, then scenario.
fn jobs() -> Vec<Job> {
    let mut jobs = Vec::new();
    for contender in 0..CONTENDERS.len() {
        for n in SIZES {
            for scenario in Scenario::ALL {
                jobs.push(Job {
                    contender,
                    n,
                    scenario,
                });
            }
        }
    }
    jobs
}

/// Runs every job on all cores, largest groups first; returns the cells in job order.
fn run_all(jobs: &[Job], seeds: u64) -> Vec<Cell> {
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(jobs[i].n));
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let cells = Mutex::new(vec![Cell::default(); jobs.len()]);
    let workers = thread::available_parallelism().map_or(1, usize::from);
    let started = WallClock::now();
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some(&index) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let job_started = WallClock::now();
                    let cell = run_cell(jobs[index], seeds);
                    let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                    report_progress(
                        jobs[index],
                        &cell,
                        finished,
                        jobs.len(),
                        job_started,
                        started,
                    );
                    if let Ok(mut cells) = cells.lock() {
                        cells[index] = cell;
                    }
                }
            });
        }
    });
    cells
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One progress line on stderr for a finished cell.
fn report_progress(
    job: Job,
    cell: &Cell,
    finished: usize,
    total: usize,
    job_started: WallClock,
    started: WallClock,
) {
    let failures = match &cell.first_failure {
        Some((seed, reason)) => format!(", {} failed (first: seed {seed}: {reason})", cell.failed),
        None => String::new(),
    };
    eprintln!(
        "[{finished:>3}/{total}] {:.1}s {} n={} ({}): {} runs in {:.2}s{failures}",
        started.elapsed().as_secs_f64(),
        CONTENDERS[job.contender].name,
        job.n,
        job.scenario.letter(),
        cell.runs,
        job_started.elapsed().as_secs_f64(),
    );
}

// ---- Output ----

/// The results, addressable by job.
struct Results<'a> {
    /// Every cell's job, in table order.
    jobs: &'a [Job],
    /// The cells, in the same order.
    cells: &'a [Cell],
}

impl Results<'_> {
    /// The cell of one algorithm, size and scenario.
    fn cell(&self, contender: usize, n: u32, scenario: Scenario) -> Option<&Cell> {
        self.jobs
            .iter()
            .position(|j| j.contender == contender && j.n == n && j.scenario == scenario)
            .and_then(|i| self.cells.get(i))
    }
}

/// "a / b", or "n/a" without data.
fn pair<T: fmt::Display>(summary: Option<(T, T)>) -> String {
    summary.map_or_else(|| "n/a".to_string(), |(a, b)| format!("{a} / {b}"))
}

/// The lines above the table: what every number rests on, and what the columns mean.
fn table_preamble(seeds: u64) -> String {
    format!(
        "Failover comparison: {seeds} seeds per cell (seeds 0..{seeds}, the same for every \
         algorithm); one-way delays uniform 1..=10 ms, point to point; Timing::LAN \
         (heartbeat interval 100 ms, failure timeout T = 500 ms, round-trip timeout 50 ms); \
         failure jitter 0 in (a)-(c), 0..150 ms in (d). Quorum uses the same T as its \
         election timeout, drawn at random in [T, 2T) in every scenario (it ignores the \
         failure jitter).\n\n\
         (a) one node notices the crash first, (b) all notice at once, (c) as (b) with 5% \
         loss, (d) two-way partition held 3 s, ⌊n/2⌋ members (never the leader) on the \
         minority side. msgs: election messages (heartbeats and acks excluded) from the crash \
         until one failure timeout after every live node agrees on one leader; time: crash to \
         that agreement, in milliseconds. Median / p99 (nearest rank) over successful runs; n/a: no \
         successful run. (d) max leaders: the most nodes leading at once during the \
         partition; runs with a minority leader: share of runs in which a minority-side node \
         led during it; max leaders in one term: the most distinct nodes that led the same \
         term, from the split until the group agrees again after the heal.\n\n"
    )
}

/// The markdown table: one row per algorithm and size, scenario columns.
fn markdown_table(results: &Results, seeds: u64) -> String {
    let mut out = table_preamble(seeds);
    out.push_str(
        "| algorithm | n | msgs (a) med / p99 | msgs (b) med / p99 | msgs (c) med / p99 \
         | time (a) med / p99 [ms] | time (b) med / p99 [ms] | time (c) med / p99 [ms] \
         | (d) max leaders / runs with a minority leader | (d) max leaders in one term \
         | failed runs a/b/c/d |\n",
    );
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (index, contender) in CONTENDERS.iter().enumerate() {
        for n in SIZES {
            let cell = |scenario| results.cell(index, n, scenario);
            let messages =
                Scenario::FAILOVERS.map(|s| pair(cell(s).and_then(Cell::messages_summary)));
            let times = Scenario::FAILOVERS.map(|s| pair(cell(s).and_then(Cell::time_summary)));
            let partition = pair(
                cell(Scenario::Partition)
                    .and_then(Cell::partition_summary)
                    .map(|(leaders, share)| (leaders.to_string(), format!("{share:.0}%"))),
            );
            let per_term = cell(Scenario::Partition)
                .and_then(Cell::leaders_per_term_summary)
                .map_or_else(|| "n/a".to_string(), |leaders| leaders.to_string());
            let failed = Scenario::ALL
                .map(|s| cell(s).map_or(0, |c| c.failed).to_string())
                .join("/");
            writeln!(
                out,
                "| {} | {n} | {} | {} | {partition} | {per_term} | {failed} |",
                contender.name,
                messages.join(" | "),
                times.join(" | "),
            )
            .ok();
        }
    }
    out
}

/// The CSV file: one row per algorithm, size and scenario.
fn csv(results: &Results) -> String {
    let mut out = String::from(
        "algorithm,n,scenario,runs,failed_runs,messages_median,messages_p99,time_median_ms,\
         time_p99_ms,max_leaders,minority_elected_runs,max_leaders_per_term\n",
    );
    for (job, cell) in results.jobs.iter().zip(results.cells) {
        let (messages_median, messages_p99) = optional_pair(cell.messages_summary());
        let (time_median, time_p99) = optional_pair(cell.time_summary());
        let max_leaders = cell
            .leaders_summary()
            .map_or_else(String::new, |l| l.to_string());
        let per_term = cell
            .leaders_per_term_summary()
            .map_or_else(String::new, |l| l.to_string());
        let minority = if job.scenario == Scenario::Partition && cell.succeeded() > 0 {
            cell.minority_elected.to_string()
        } else {
            String::new()
        };
        writeln!(
            out,
            "{},{},{},{},{},{messages_median},{messages_p99},{time_median},{time_p99},\
             {max_leaders},{minority},{per_term}",
            CONTENDERS[job.contender].slug,
            job.n,
            job.scenario.slug(),
            cell.runs,
            cell.failed,
        )
        .ok();
    }
    out
}

/// Both values as text, or two empty fields.
fn optional_pair<T: ToString>(summary: Option<(T, T)>) -> (String, String) {
    summary.map_or_else(
        || (String::new(), String::new()),
        |(a, b)| (a.to_string(), b.to_string()),
    )
}

// ---- The chart ----

/// A minimal SVG writer: elements appended to a body, wrapped by [`Svg::finish`].
struct Svg {
    /// The elements written so far.
    body: String,
}

impl Svg {
    /// An empty drawing.
    fn new() -> Svg {
        Svg {
            body: String::new(),
        }
    }

    /// A straight line.
    fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), style: &str) {
        writeln!(
            self.body,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" {style}/>"#
        )
        .ok();
    }

    /// Text anchored at a point (`anchor`: start, middle or end).
    fn text(&mut self, (x, y): (f64, f64), anchor: &str, style: &str, text: &str) {
        writeln!(
            self.body,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" {style}>{}</text>"#,
            escape(text)
        )
        .ok();
    }

    /// A polyline through `points`.
    fn polyline(&mut self, points: &[(f64, f64)], style: &str) {
        let points: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        writeln!(
            self.body,
            r#"<polyline points="{}" fill="none" {style}/>"#,
            points.join(" ")
        )
        .ok();
    }

    /// A point marker in a series' style, centred on a point.
    fn marker(&mut self, series: &Series, (x, y): (f64, f64)) {
        let (color, r) = (series.color, series.marker_radius);
        let style = format!(r#"fill="{color}" stroke="white" stroke-width="1""#);
        let element = match series.marker {
            Marker::Circle => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r}" {style}/>"#),
            Marker::Square => format!(
                r#"<rect x="{:.1}" y="{:.1}" width="{}" height="{}" {style}/>"#,
                x - r,
                y - r,
                2.0 * r,
                2.0 * r
            ),
            Marker::Triangle => polygon(
                &[(x, y - r * 1.2), (x + r * 1.1, y + r), (x - r * 1.1, y + r)],
                &style,
            ),
            Marker::Diamond => polygon(
                &[(x, y - r * 1.3), (x + r, y), (x, y + r * 1.3), (x - r, y)],
                &style,
            ),
            Marker::Cross => format!(
                r#"<path d="M{:.1},{:.1} L{:.1},{:.1} M{:.1},{:.1} L{:.1},{:.1}" stroke="{color}" stroke-width="2.5"/>"#,
                x - r,
                y - r,
                x + r,
                y + r,
                x - r,
                y + r,
                x + r,
                y - r
            ),
        };
        self.body.push_str(&element);
        self.body.push('\n');
    }

    /// The whole document.
    fn finish(self, width: f64, height: f64) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
             viewBox=\"0 0 {width} {height}\" font-family=\"Helvetica, Arial, sans-serif\">\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{}</svg>\n",
            self.body
        )
    }
}

/// An SVG polygon through `points`.
fn polygon(points: &[(f64, f64)], style: &str) -> String {
    let points: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    format!(r#"<polygon points="{}" {style}/>"#, points.join(" "))
}

/// Escapes text for XML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A point marker's shape.
#[derive(Clone, Copy)]
enum Marker {
    /// A filled circle.
    Circle,
    /// A filled square.
    Square,
    /// A filled triangle, point up.
    Triangle,
    /// A filled diamond.
    Diamond,
    /// An X of two strokes.
    Cross,
}

/// How one contender's line is drawn.
struct Series {
    /// Stroke and marker colour.
    color: &'static str,
    /// Stroke width in pixels.
    width: f64,
    /// SVG dash pattern; empty for a solid line.
    dash: &'static str,
    /// The point marker's shape.
    marker: Marker,
    /// The point marker's size.
    marker_radius: f64,
}

impl Series {
    /// The SVG attributes of the series' line.
    fn stroke(&self) -> String {
        format!(
            r#"stroke="{}" stroke-width="{}" stroke-dasharray="{}""#,
            self.color, self.width, self.dash
        )
    }
}

/// Each contender's style, in [`CONTENDERS`] order. Lines that coincide stay visible:
/// Bully and candidates without δ (identical when every member is a candidate) and the
/// two ring variants are drawn wide and large underneath, narrow and dashed on top.
const SERIES: &[Series] = &[
    Series {
        color: "#1f77b4",
        width: 6.0,
        dash: "",
        marker: Marker::Circle,
        marker_radius: 7.0,
    },
    Series {
        color: "#ff7f0e",
        width: 2.5,
        dash: "",
        marker: Marker::Square,
        marker_radius: 4.5,
    },
    Series {
        color: "#2ca02c",
        width: 2.5,
        dash: "",
        marker: Marker::Triangle,
        marker_radius: 4.5,
    },
    Series {
        color: "#d62728",
        width: 2.0,
        dash: "6,3",
        marker: Marker::Triangle,
        marker_radius: 4.0,
    },
    Series {
        color: "#9467bd",
        width: 2.5,
        dash: "",
        marker: Marker::Diamond,
        marker_radius: 5.0,
    },
    Series {
        color: "#8c564b",
        width: 6.0,
        dash: "",
        marker: Marker::Square,
        marker_radius: 7.0,
    },
    Series {
        color: "#e377c2",
        width: 2.0,
        dash: "2,3",
        marker: Marker::Cross,
        marker_radius: 4.0,
    },
    #[cfg(feature = "quorum")]
    Series {
        color: "#17becf",
        width: 3.0,
        dash: "",
        marker: Marker::Circle,
        marker_radius: 5.0,
    },
];

/// A log-scale axis mapping `min..=max` onto the pixels `from..=to`.
#[derive(Clone, Copy)]
struct LogAxis {
    min: f64,
    max: f64,
    from: f64,
    to: f64,
}

impl LogAxis {
    /// The pixel position of `value`.
    fn at(self, value: f64) -> f64 {
        let t = (value.ln() - self.min.ln()) / (self.max.ln() - self.min.ln());
        self.from + t * (self.to - self.from)
    }
}

/// The y-axis ticks of a log axis: 1, 2, 5, 10, 20, 50, ... up to `max`.
fn log_ticks(max: f64) -> Vec<f64> {
    let mut ticks = Vec::new();
    let mut decade = 1.0;
    while decade <= max {
        for step in [1.0, 2.0, 5.0] {
            if step * decade <= max {
                ticks.push(step * decade);
            }
        }
        decade *= 10.0;
    }
    ticks
}

/// The chart: median messages per failover in scenario (a) against n, one line per
/// algorithm, both axes logarithmic.
fn chart(results: &Results) -> String {
    let (width, height) = (960.0, 600.0);
    let (left, right, top, bottom) = (80.0, 700.0, 70.0, 530.0);
    let series: Vec<Vec<(u32, usize)>> = (0..CONTENDERS.len())
        .map(|c| {
            SIZES
                .iter()
                .filter_map(|&n| {
                    let cell = results.cell(c, n, Scenario::OneNotices)?;
                    Some((n, cell.messages_summary()?.0.max(1)))
                })
                .collect()
        })
        .collect();
    let highest = series.iter().flatten().map(|&(_, m)| m).max().unwrap_or(1) as f64;
    let y_max = 10f64.powf(highest.log10().ceil()).max(10.0);
    let x = LogAxis {
        min: 2.5,
        max: 80.0,
        from: left,
        to: right,
    };
    let y = LogAxis {
        min: 1.0,
        max: y_max,
        from: bottom,
        to: top,
    };
    let mut svg = Svg::new();
    draw_frame(&mut svg, x, y, (left, right, top, bottom));
    for (index, points) in series.iter().enumerate() {
        let style = &SERIES[index % SERIES.len()];
        let pixels: Vec<(f64, f64)> = points
            .iter()
            .map(|&(n, m)| (x.at(f64::from(n)), y.at(m as f64)))
            .collect();
        svg.polyline(&pixels, &style.stroke());
        for &point in &pixels {
            svg.marker(style, point);
        }
        let label = if points.is_empty() {
            format!("{} (no data)", CONTENDERS[index].name)
        } else {
            CONTENDERS[index].name.to_string()
        };
        draw_legend_entry(&mut svg, index, (right + 30.0, top + 10.0), style, &label);
    }
    svg.text(
        (width / 2.0, 30.0),
        "middle",
        r#"font-size="19" font-weight="bold""#,
        "Election messages per failover (median), scenario (a): one node notices first",
    );
    svg.text(
        (width / 2.0, 52.0),
        "middle",
        r##"font-size="13" fill="#555""##,
        "Timing::LAN, delays 1–10 ms, point to point; heartbeats and acks excluded",
    );
    svg.finish(width, height)
}

/// Axes, grid lines, tick labels and axis titles.
fn draw_frame(
    svg: &mut Svg,
    x: LogAxis,
    y: LogAxis,
    (left, right, top, bottom): (f64, f64, f64, f64),
) {
    let grid = r##"stroke="#ddd" stroke-width="1""##;
    let axis = r#"stroke="black" stroke-width="1.5""#;
    let label = r#"font-size="13""#;
    for tick in log_ticks(y.max) {
        let py = y.at(tick);
        svg.line((left, py), (right, py), grid);
        svg.text((left - 8.0, py + 4.0), "end", label, &format!("{tick}"));
    }
    for n in SIZES {
        let px = x.at(f64::from(n));
        svg.line((px, top), (px, bottom), grid);
        svg.text((px, bottom + 20.0), "middle", label, &n.to_string());
    }
    svg.line((left, bottom), (right, bottom), axis);
    svg.line((left, top), (left, bottom), axis);
    svg.text(
        ((left + right) / 2.0, bottom + 48.0),
        "middle",
        r#"font-size="15""#,
        "group size n (members, log scale)",
    );
    let (cx, cy) = (22.0, (top + bottom) / 2.0);
    svg.text(
        (cx, cy),
        "middle",
        &format!(r#"font-size="15" transform="rotate(-90 {cx} {cy})""#),
        "election messages per failover (log scale)",
    );
}

/// One legend line: a short stroke with its marker, and the series' name.
fn draw_legend_entry(svg: &mut Svg, index: usize, (x, y): (f64, f64), style: &Series, label: &str) {
    let y = y + 26.0 * index as f64;
    svg.line((x, y), (x + 36.0, y), &style.stroke());
    svg.marker(style, (x + 18.0, y));
    svg.text((x + 44.0, y + 4.5), "start", r#"font-size="13""#, label);
}

// ---- Command line ----

/// The command line: where to write, and how many seeds per cell.
struct Args {
    /// The directory the CSV file and the chart go to.
    output: PathBuf,
    /// Seeds per cell.
    seeds: u64,
}

/// How to call the example.
const USAGE: &str = "usage: compare <output-dir> [--seeds N]";

/// Parses the command line.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut output = None;
    let mut seeds = DEFAULT_SEEDS;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seeds" => {
                let value = args.next().ok_or("--seeds needs a number")?;
                seeds = value
                    .parse()
                    .ok()
                    .filter(|&s| s > 0)
                    .ok_or_else(|| format!("--seeds: not a positive number: {value}"))?;
            }
            _ if output.is_none() && !arg.starts_with('-') => output = Some(PathBuf::from(arg)),
            _ => return Err(format!("unexpected argument: {arg}")),
        }
    }
    let output = output.ok_or("missing <output-dir>")?;
    Ok(Args { output, seeds })
}

/// Writes `contents` to `dir/name` and says so on stderr.
fn write_output(dir: &Path, name: &str, contents: &str) -> Result<(), Box<dyn Error>> {
    let path = dir.join(name);
    fs::write(&path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// Runs every cell, prints the table and writes the CSV file and the chart.
fn main() -> Result<(), Box<dyn Error>> {
    let args = parse_args(env::args().skip(1)).unwrap_or_else(|message| {
        eprintln!("{message}\n{USAGE}");
        process::exit(2);
    });
    fs::create_dir_all(&args.output)
        .map_err(|e| format!("cannot create {}: {e}", args.output.display()))?;
    let started = WallClock::now();
    let jobs = jobs();
    let cells = run_all(&jobs, args.seeds);
    let results = Results {
        jobs: &jobs,
        cells: &cells,
    };
    print!("{}", markdown_table(&results, args.seeds));
    write_output(&args.output, "compare.csv", &csv(&results))?;
    write_output(&args.output, "compare.svg", &chart(&results))?;
    eprintln!("done in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}
