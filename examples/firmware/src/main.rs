//! bellwether on a Cortex-M4F: five engines in one firmware image, connected by an
//! in-memory bus that loses 10% of the messages and delays the rest by 1 to 20 ms, on a
//! SysTick millisecond clock. They elect a leader; the firmware stops driving the leader
//! and the survivors elect another; the stopped node comes back (quorum election: restored
//! from its two flash slots). Every phase must end within a bound derived from the timing,
//! and quorum election must never show two valid leases at once. The report goes out
//! through semihosting, and the exit status says whether every check held.
//!
//! Runs the quorum algorithm by default and Bully with `--no-default-features --features
//! bully`; each image compiles only the algorithm it runs. Under QEMU:
//! `cargo run --release` (see `.cargo/config.toml`). With `--features defmt` the engines
//! also trace every role and leader change with its cause, as defmt frames on the
//! semihosting output (decode them with `defmt-print`). With `--features authentication`
//! every message carries a CMAC-AES-128 tag and a freshness value, each boot of a node is
//! a new session (its boot counter), the bus injects forged copies (one bit flipped) of
//! some messages, and the run checks that every forged copy is refused, no genuine one
//! fails its MAC, and leadership goes on as without the attacker.
#![no_std]
#![no_main]

#[cfg(all(feature = "quorum", feature = "bully"))]
compile_error!(
    "choose one algorithm: `quorum` (the default) or `--no-default-features --features bully`"
);
#[cfg(not(any(feature = "quorum", feature = "bully")))]
compile_error!("choose an algorithm: the `quorum` feature (the default) or `bully`");
// The phase bounds with freshness synchronisation are derived for quorum election only.
#[cfg(all(feature = "authentication", feature = "bully"))]
compile_error!("the `authentication` scenario runs quorum election: drop `bully`");

/// A check failed; [`fail!`] printed why.
pub struct Failed;

/// Prints `FAIL: <reason>` and evaluates to [`Failed`].
macro_rules! fail {
    ($($arg:tt)*) => {{
        cortex_m_semihosting::hprintln!("FAIL: {}", format_args!($($arg)*));
        $crate::Failed
    }};
}

mod bus;
mod clock;
mod cluster;

// The `defmt` build: the engine's traces go out over semihosting, as defmt frames.
#[cfg(feature = "defmt")]
use defmt_semihosting as _;

use core::fmt;
use core::panic::PanicInfo;

use bellwether::{Duration, NodeId, Term, Timing};
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};

use crate::bus::{LOSS_PERCENT, MAX_DELAY, MIN_DELAY, Traffic};
use crate::clock::{CORE_CLOCK_HZ, Clock};
use crate::cluster::{Cluster, NODES, TIMING};

/// Seeds the bus's losses and delays and the engines' jitter.
const SEED: u64 = 0x5EED_B311;
/// Election attempts that may fail before a bound is exceeded: a split vote, a pre-vote
/// refused by a member still sticky after the old leader's last heartbeat, or requests and
/// replies lost.
const FAILED_ATTEMPTS: u64 = 3;
/// Heartbeats in a row a follower may miss before it learns the leader (at 10% loss, six
/// in a row happen once in a million).
const MISSED_HEARTBEATS: u64 = 6;
/// Election attempts lost to freshness synchronisation after the nodes start: a
/// candidate's first request to a voter that has not synchronised with it is refused (the
/// voter asks for the candidate's freshness instead), and so is the voter's first answer
/// to a candidate that has not synchronised with the voter. Each direction costs one
/// attempt; survivors that only ever talked to the old leader synchronise with each other
/// during the failover the same way.
#[cfg(feature = "authentication")]
const SYNC_ATTEMPTS: u64 = 2;
#[cfg(not(feature = "authentication"))]
const SYNC_ATTEMPTS: u64 = 0;
/// Heartbeats a restarted node loses to freshness synchronisation: the first one it
/// receives is refused and triggers its freshness request, whose reply is back within 2D,
/// before the next heartbeat (2D < H). A lost request or reply counts as a missed
/// heartbeat: the next heartbeat triggers another request.
#[cfg(feature = "authentication")]
const SYNC_HEARTBEATS: u64 = 1;
#[cfg(not(feature = "authentication"))]
const SYNC_HEARTBEATS: u64 = 0;

#[cfg(feature = "quorum")]
const ALGORITHM_NAME: &str = "quorum";
#[cfg(feature = "bully")]
const ALGORITHM_NAME: &str = "bully";

#[entry]
fn main() -> ! {
    let peripherals = cortex_m::Peripherals::take().expect("taken once, at reset");
    let clock = Clock::start(peripherals.SYST);
    let passed = run(&clock).is_ok();
    hprintln!("result: {}", if passed { "PASS" } else { "FAIL" });
    debug::exit(if passed {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {
        cortex_m::asm::wfi();
    }
}

/// A panic fails the run (rather than hanging it): report it and exit with failure.
#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    hprintln!("FAIL: panic: {}", info);
    hprintln!("result: FAIL");
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}

/// How long each phase may take, derived from the timing (all in ms): heartbeat H,
/// failure timeout T, jitter J, round trip R, longest one-way delay D, with A =
/// [`FAILED_ATTEMPTS`] and K = [`MISSED_HEARTBEATS`]; authenticated, S =
/// [`SYNC_ATTEMPTS`] and the restarted node's [`SYNC_HEARTBEATS`] (both 0 otherwise).
struct Bounds {
    /// From the start, or from stopping the leader, to agreement.
    agreement: Duration,
    /// From restarting the stopped node to agreement.
    rejoin: Duration,
    /// How `agreement` and `rejoin` are computed.
    formula: [&'static str; 2],
    /// What the formulas' letters stand for beyond A, K and D.
    extra: &'static str,
}

impl Bounds {
    fn derive(timing: Timing) -> Bounds {
        let h = timing.heartbeat_interval.as_millis();
        let t = timing.failure_timeout.as_millis();
        let r = timing.round_trip_timeout.as_millis();
        let d = MAX_DELAY.as_millis();
        let (a, k) = (FAILED_ATTEMPTS, MISSED_HEARTBEATS);
        let (s, k_sync) = (SYNC_ATTEMPTS, SYNC_HEARTBEATS);
        // Quorum: followers heard the leader at the latest when it stopped, so every
        // election timer (drawn from [T, 2T)) fires within 2T; pre-vote, vote, and the
        // first heartbeat with its acks (which start the lease) take a round trip each.
        // Each failed attempt costs another timer and its rounds. A follower whose
        // heartbeats are lost learns the leader from a later one. The restarted node
        // follows on the first heartbeat it receives. Authenticated, freshness
        // synchronisation costs S more attempts and the restarted node one more heartbeat.
        #[cfg(feature = "quorum")]
        let bounds = Bounds {
            agreement: Duration::from_millis((a + s + 1) * (2 * t + 3 * r) + k * h),
            rejoin: Duration::from_millis((k + k_sync) * h + d),
            #[cfg(not(feature = "authentication"))]
            formula: ["(A+1)(2T+3R)+K*H", "K*H+D"],
            #[cfg(feature = "authentication")]
            formula: ["(A+S+1)(2T+3R)+K*H", "(K+1)*H+D"],
            #[cfg(not(feature = "authentication"))]
            extra: "",
            #[cfg(feature = "authentication")]
            extra: ", S = 2 attempts lost to freshness sync",
        };
        // Bully: a follower suspects the leader within T+J of its last heartbeat; a round
        // (Election/Alive, Proceed/Coordinator, the announcement) takes 3R at most, and a
        // lost message costs a round. The restarted highest node challenges the leader on
        // its first heartbeat, and the others learn the result from the next ones.
        #[cfg(feature = "bully")]
        let bounds = Bounds {
            agreement: Duration::from_millis(
                t + timing.failure_jitter.as_millis() + (a + 1) * 3 * r + k * h,
            ),
            rejoin: Duration::from_millis(2 * (k * h + d)),
            formula: ["T+J+(A+1)*3R+K*H", "2(K*H+D)"],
            extra: "",
        };
        #[cfg(feature = "bully")]
        let _ = (s, k_sync);
        bounds
    }
}

/// The leader every running node agreed on, and what it took to get there.
struct Agreement {
    leader: NodeId,
    term: Term,
    took: Duration,
    traffic: Traffic,
}

/// Steps the cluster tick by tick until every running node agrees on a leader that
/// `accept` takes; fails after `bound`. With `keep`, that leader must keep leading in that
/// term at every tick meanwhile.
fn await_agreement(
    cluster: &mut Cluster,
    clock: &Clock,
    bound: Duration,
    keep: Option<(NodeId, Term)>,
    accept: impl Fn(NodeId, Term) -> bool,
) -> Result<Agreement, Failed> {
    let start = clock.now();
    let traffic = cluster.traffic();
    loop {
        let now = clock.now();
        cluster.step(now)?;
        if let Some((leader, term)) = keep
            && !cluster.still_leads(leader, term, now)
        {
            return Err(fail!(
                "{leader} stopped leading term {} at {} ms",
                term.0,
                now.as_millis()
            ));
        }
        let took = now.saturating_duration_since(start);
        if let Some((leader, term)) = cluster.agreement(now)
            && accept(leader, term)
        {
            return Ok(Agreement {
                leader,
                term,
                took,
                traffic: cluster.traffic() - traffic,
            });
        }
        if took > bound {
            cluster.print_view();
            return Err(fail!(
                "no agreement within the bound of {} ms",
                bound.as_millis()
            ));
        }
        clock.wait_for_tick();
    }
}

/// Steps the cluster for `duration`; `leader` must keep leading (quorum: in `term`, with
/// its lease, and alone) at every tick.
fn hold(
    cluster: &mut Cluster,
    clock: &Clock,
    duration: Duration,
    leader: NodeId,
    term: Term,
) -> Result<(), Failed> {
    let start = clock.now();
    let traffic = cluster.traffic();
    loop {
        let now = clock.now();
        cluster.step(now)?;
        if !cluster.still_leads(leader, term, now) {
            cluster.print_view();
            return Err(fail!("{leader} stopped leading at {} ms", now.as_millis()));
        }
        if now.saturating_duration_since(start) >= duration {
            let traffic = cluster.traffic() - traffic;
            hprintln!(
                "hold: {leader} kept leading for {} ms; {} messages sent, {} lost",
                duration.as_millis(),
                traffic.sent,
                traffic.lost
            );
            return Ok(());
        }
        clock.wait_for_tick();
    }
}

/// Prints one phase's line: who leads in which term, how long agreement took against its
/// bound, and the messages the phase cost.
fn report(phase: &str, what: fmt::Arguments<'_>, agreement: &Agreement, bound: Duration) {
    hprintln!(
        "{phase}: {what}leader {} term {} after {} ms (bound {} ms); {} messages sent, {} lost",
        agreement.leader.0,
        agreement.term.0,
        agreement.took.as_millis(),
        bound.as_millis(),
        agreement.traffic.sent,
        agreement.traffic.lost
    );
}

/// The scenario: elect, stop the leader, elect again, bring the stopped node back.
fn run(clock: &Clock) -> Result<(), Failed> {
    let bounds = Bounds::derive(TIMING);
    let hold_for = TIMING.failure_timeout;
    hprintln!(
        "bellwether firmware (Rust, {ALGORITHM_NAME}): {NODES} nodes, seed {SEED:#x}, loss {LOSS_PERCENT}%, delay {}..={} ms",
        MIN_DELAY.as_millis(),
        MAX_DELAY.as_millis()
    );
    hprintln!(
        "timing: H {} ms, T {} ms, J {} ms, R {} ms; clock: SysTick every 1 ms from the {} MHz core clock",
        TIMING.heartbeat_interval.as_millis(),
        TIMING.failure_timeout.as_millis(),
        TIMING.failure_jitter.as_millis(),
        TIMING.round_trip_timeout.as_millis(),
        CORE_CLOCK_HZ / 1_000_000
    );
    hprintln!(
        "bounds: agreement {} = {} ms, rejoin {} = {} ms (A = {FAILED_ATTEMPTS} failed attempts, K = {MISSED_HEARTBEATS} missed heartbeats, D = {} ms{})",
        bounds.formula[0],
        bounds.agreement.as_millis(),
        bounds.formula[1],
        bounds.rejoin.as_millis(),
        MAX_DELAY.as_millis(),
        bounds.extra
    );
    #[cfg(feature = "authentication")]
    hprintln!(
        "authentication: CMAC-AES-128, 8-byte tags, each boot a new session (its boot counter); the bus forges one copy in {}",
        bus::FORGE_EVERY
    );
    let host_start = clock::host_elapsed_ms();
    let mut cluster = Cluster::new(clock.now(), SEED);

    // 1. Elect. Bully must pick the highest-ranked node; quorum election any one.
    let expected = cluster.highest_running();
    let elected = await_agreement(&mut cluster, clock, bounds.agreement, None, |leader, _| {
        cfg!(feature = "quorum") || Some(leader) == expected
    })?;
    report("elect", format_args!(""), &elected, bounds.agreement);
    hold(&mut cluster, clock, hold_for, elected.leader, elected.term)?;

    // 2. Stop the leader: the survivors elect another, in a newer term.
    let stopped = elected.leader;
    cluster.stop(stopped);
    let expected = cluster.highest_running();
    let failover = await_agreement(
        &mut cluster,
        clock,
        bounds.agreement,
        None,
        |leader, term| {
            leader != stopped
                && term > elected.term
                && (cfg!(feature = "quorum") || Some(leader) == expected)
        },
    )?;
    report(
        "failover",
        format_args!("stopped {}; ", stopped.0),
        &failover,
        bounds.agreement,
    );
    hold(
        &mut cluster,
        clock,
        hold_for,
        failover.leader,
        failover.term,
    )?;

    // 3. Bring the stopped node back. Quorum election restores it from its slots, and
    //    pre-vote with stickiness keeps it from disturbing the leader: same leader, same
    //    term. Classic Bully lets the returning highest node take over in a newer term.
    let restart = cluster.restart(stopped, clock.now())?;
    #[cfg(feature = "quorum")]
    let (keep, accept) = (Some((failover.leader, failover.term)), |leader, term| {
        leader == failover.leader && term == failover.term
    });
    #[cfg(feature = "bully")]
    let (keep, accept) = (None, |leader, term| {
        leader == stopped && term > failover.term
    });
    let rejoined = await_agreement(&mut cluster, clock, bounds.rejoin, keep, accept)?;
    #[cfg(feature = "quorum")]
    report(
        "rejoin",
        format_args!(
            "restarted {} from slot {} (record {}, term {}); ",
            stopped.0,
            if restart.recovered.slot.index() == 0 {
                "A"
            } else {
                "B"
            },
            restart.recovered.record.sequence,
            restart.recovered.record.state.term.0
        ),
        &rejoined,
        bounds.rejoin,
    );
    #[cfg(feature = "bully")]
    report(
        "rejoin",
        format_args!("restarted {} afresh; ", {
            let _ = restart;
            stopped.0
        }),
        &rejoined,
        bounds.rejoin,
    );
    hold(
        &mut cluster,
        clock,
        hold_for,
        rejoined.leader,
        rejoined.term,
    )?;

    #[cfg(feature = "quorum")]
    {
        hprintln!(
            "leases: {} samples, never two valid leases at once nor two leaders in one term",
            cluster.samples
        );
        hprintln!(
            "flash: {} records written and read back through SlotWriter and recover",
            cluster.records
        );
    }
    #[cfg(feature = "authentication")]
    check_refusals(&cluster)?;
    let traffic = cluster.traffic();
    hprintln!(
        "messages: {} sent, {} lost, {} reached the stopped node",
        traffic.sent,
        traffic.lost,
        cluster.to_stopped
    );
    let elapsed = clock.now().as_millis();
    match (host_start, clock::host_elapsed_ms()) {
        (Some(start), Some(end)) => hprintln!(
            "clock: {elapsed} ms on SysTick, {} ms on the host (semihosting SYS_ELAPSED)",
            end.saturating_sub(start)
        ),
        _ => hprintln!("clock: {elapsed} ms on SysTick"),
    }
    Ok(())
}

/// Prints the refusal tallies and checks them: every forged frame that reached a running
/// node was refused, at least one for its MAC, the engines counted exactly those bad MACs
/// (no genuine message failed its MAC), and the attacker injected some.
#[cfg(feature = "authentication")]
fn check_refusals(cluster: &Cluster) -> Result<(), Failed> {
    let refusals = cluster.refusals();
    hprintln!(
        "forged: {} injected, {} reached running nodes, all refused: {} bad MAC, {} malformed or unknown key",
        cluster.traffic().forged,
        refusals.forged,
        refusals.forged_bad_mac,
        refusals.forged_other
    );
    hprintln!(
        "refusals: statistics.bad_mac {} (all forged: no genuine message failed its MAC); genuine messages: {} accepted, {} unsynchronised (freshness sync after each start), {} replayed freshness replies",
        refusals.statistics_bad_mac,
        refusals.accepted,
        refusals.unsynchronised,
        refusals.replay
    );
    if refusals.forged_bad_mac == 0 {
        return Err(fail!("no forged frame was refused for its MAC"));
    }
    if refusals.statistics_bad_mac != refusals.forged_bad_mac {
        return Err(fail!(
            "the engines counted {} bad MACs, but {} forged frames were refused for their MAC",
            refusals.statistics_bad_mac,
            refusals.forged_bad_mac
        ));
    }
    Ok(())
}
