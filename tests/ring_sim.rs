//! Ring election under the deterministic simulator: at least 1,000 seeds per property in
//! `cargo test`, more with `BELLWETHER_SOAK_SEEDS=<n>`. Seeds alternate between the two
//! variants and cover rings of 3 to 8 members; a failure names its seed.
//!
//! Timing is [`Timing::LAN`]: heartbeat h = 100 ms, failure timeout F = 500 ms, jitter
//! J < 150 ms, round-trip timeout R = 50 ms. One-way delays are uniform in 1..=D with
//! D = 10 ms, so messages reorder, and 2D < R: on a healthy network every ack beats its
//! round-trip timeout, so only dead (or cut-off) members are skipped.
//!
//! The bounds rest on one argument, the **wavefront**: once the first node of an epoch has
//! sent its token, every live node receives some token of that epoch (or starts its own)
//! at most one hop later than its predecessor, because a node that swallows a token has
//! already forwarded or started a better one. A hop costs at most D, or R + D when it has
//! to skip a dead member. Every node that gets a token re-arms its failure detector, so
//! nobody starts an election after the wavefront has passed it, and the highest-ranked
//! initiator's token is the one that completes: one more lap, then the result's lap.
#![cfg(feature = "sim")]

mod common;

use std::cell::Cell;
use std::time::Instant as WallClock;

use bellwether::sim::{Faults, Simulation, Violation, seed_count};
use bellwether::{Duration, Instant, NodeId, RingVariant, Rng, Role, Timing};
use common::{CAPACITY, node, ring_sim};

const TIMING: Timing = Timing::LAN;
const MAX_DELAY: Duration = Duration::from_millis(10);

/// A healthy network: no loss, no duplicates, delays 1..=D.
const HEALTHY: Faults = Faults {
    max_delay: MAX_DELAY,
    ..Faults::NONE
};

/// F + J: the latest a failure detector armed at some instant fires after it.
fn detector() -> Duration {
    TIMING.failure_timeout + TIMING.failure_jitter
}

/// `hops` one-way delays.
fn hops(hops: u64) -> Duration {
    MAX_DELAY.saturating_mul(hops)
}

/// Boot bound for `n` live members. The first failure detector fires by F + J. The
/// wavefront reaches the other n - 1 members within (n - 1)D; the winning initiator
/// started by then, its lap takes nD and the result's lap reaches the last of the others
/// within (n - 1)D. Total F + J + (3n - 2)D: 870 ms for n = 8.
fn boot_bound(n: u32) -> Duration {
    detector() + hops(3 * u64::from(n) - 2)
}

/// Failover bound, from the crash of the leader of `n` members. The survivors heard its
/// last heartbeat at most D after the crash, so the first detector fires by D + F + J. The
/// n - 1 live members and the dead one make every lap cost at most one skip: wavefront
/// (n - 2)D + R, the winner's lap (n - 1)D + R, the result's lap to the last survivor
/// (n - 2)D + R. Total F + J + 3R + (3n - 4)D: 1000 ms for n = 8.
fn failover_bound(n: u32) -> Duration {
    detector() + TIMING.round_trip_timeout.saturating_mul(3) + hops(3 * u64::from(n) - 4)
}

/// Bound on settling after a partition heals (and the crashed node restarts) on a healthy
/// network. Every leader's heartbeat reaches everyone within h + D: leaders with a lower
/// (epoch, rank) pair yield to the highest, and every node that follows one of them or
/// none follows it. Only a node that follows a leader that does not lead (a dead one, or
/// one whose result was lost) ignores those heartbeats, if its leader's pair is higher;
/// its failure detector, armed before the heal, fires by F + J. Its election token then
/// reaches a live leader, which reasserts itself in the new epoch and heartbeats everyone
/// (ring rule 7), or, with no leader left, completes as at boot; either way within
/// (3n - 2)D, after at most one ack wait R for a token the partition swallowed. The sum
/// h + F + J + R + (3n - 2)D bounds both: 1020 ms for n = 8. Settling means the last
/// leadership change any node reports, and agreement includes the leader's epoch.
fn heal_bound(n: u32) -> Duration {
    TIMING.heartbeat_interval + detector() + TIMING.round_trip_timeout + hops(3 * u64::from(n) - 2)
}

/// The ring size and variant of a seed: every size from 3 to 8 with both variants.
fn shape(seed: u64) -> (u32, RingVariant) {
    let n = 3 + (seed % 6) as u32;
    let variant = if (seed / 6).is_multiple_of(2) {
        RingVariant::FullList
    } else {
        RingVariant::MaxOnly
    };
    (n, variant)
}

fn self_consistent(sim: &Simulation<CAPACITY>) -> Result<(), String> {
    for engine in sim.live() {
        let names_itself = engine.leader() == Some(engine.id());
        if (engine.role() == Role::Leader) != names_itself {
            return Err(format!(
                "{} is {:?} but names {:?}",
                engine.id(),
                engine.role(),
                engine.leader()
            ));
        }
    }
    Ok(())
}

fn highest_live(sim: &Simulation<CAPACITY>) -> Option<NodeId> {
    sim.live().map(|e| e.id()).max()
}

/// The leader every live node follows in the epoch it leads in: agreement on the leader
/// and on its fencing token.
fn agreed(sim: &Simulation<CAPACITY>) -> Option<NodeId> {
    let leader = sim.agreed_leader()?;
    let term = sim.engine(leader)?.term();
    sim.live().all(|e| e.term() == term).then_some(leader)
}

/// When the last leadership event (of any node) at or after `since` was reported.
fn last_change(sim: &Simulation<CAPACITY>, since: Instant) -> Option<Instant> {
    sim.node_ids()
        .into_iter()
        .flat_map(|id| sim.events(id).iter().map(|&(at, _)| at))
        .filter(|&at| at >= since)
        .max()
}

/// Runs a healed group on a healthy network and checks that it has settled within
/// `bound`: at `healed + bound` every live node follows one leader in its epoch, no node
/// reports a leadership change after that for 2 s, and the agreement still holds. Returns
/// how long the group took to settle (its last leadership change, or the first agreement
/// if there was none).
fn settle_after_heal(
    sim: &mut Simulation<CAPACITY>,
    healed: Instant,
    bound: Duration,
) -> Result<Duration, Violation> {
    let first = sim.run_until_true(bound, |s| agreed(s).is_some())?;
    sim.run_until(healed + bound)?;
    let leader = agreed(sim);
    check(sim, "heal bound", leader.is_some(), || {
        format!("no agreement within {bound}: {:?}", view(sim))
    })?;
    sim.run_for(Duration::from_secs(2))?;
    let last = last_change(sim, healed);
    check(
        sim,
        "settled within the heal bound",
        agreed(sim) == leader && last.is_none_or(|at| at <= healed + bound),
        || {
            format!(
                "leadership changed after {bound} (last at {last:?}): {:?}",
                view(sim)
            )
        },
    )?;
    let settled = last.into_iter().chain(first).max().unwrap_or(healed);
    Ok(settled - healed)
}

/// Runs `scenario` for `seeds` seeds and panics with every failing seed's violation.
fn for_seeds(name: &str, seeds: u64, scenario: impl Fn(u64) -> Result<String, Violation>) {
    let started = WallClock::now();
    let mut failures = Vec::new();
    let mut last_summary = String::new();
    for seed in 0..seeds {
        match scenario(seed) {
            Ok(summary) => last_summary = summary,
            Err(violation) => failures.push(violation.to_string()),
        }
    }
    println!(
        "ring {name}: {seeds} seeds in {:.2?}; {last_summary}",
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {seeds} seeds failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn check(
    sim: &Simulation<CAPACITY>,
    name: &str,
    ok: bool,
    detail: impl FnOnce() -> String,
) -> Result<(), Violation> {
    if ok {
        Ok(())
    } else {
        Err(Violation {
            seed: sim.seed(),
            at: sim.now(),
            invariant: name.to_string(),
            detail: detail(),
        })
    }
}

/// Every node's view, for failure messages: (id, leader, role, term).
fn view(sim: &Simulation<CAPACITY>) -> Vec<(u32, Option<u32>, Role, u64)> {
    sim.live()
        .map(|e| (e.id().0, e.leader().map(|l| l.0), e.role(), e.term().0))
        .collect()
}

/// How far a measured time came to its bound, as a fraction (the worst seed is printed).
fn share(taken: Duration, bound: Duration) -> f64 {
    taken.as_millis() as f64 / bound.as_millis() as f64
}

/// No faults: the group agrees on its highest node within the boot bound and keeps it;
/// after that leader crashes the survivors agree on the next-highest within the failover
/// bound and keep it.
#[test]
fn fault_free_agreement_on_the_highest_live_node_within_bounds() {
    let seeds = seed_count(1000);
    // (worst boot, its bound, worst failover, its bound), by share of the bound.
    let worst = Cell::new((
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
    ));
    for_seeds("fault-free", seeds, |seed| {
        let (n, variant) = shape(seed);
        let mut sim = ring_sim(seed, n, variant, TIMING);
        sim.set_faults(HEALTHY);
        sim.add_invariant("leader names itself", self_consistent);
        let boot_limit = boot_bound(n);
        let booted = sim.run_until_true(boot_limit, |s| agreed(s) == Some(node(n)))?;
        check(&sim, "boot bound", booted.is_some(), || {
            format!(
                "{variant:?}: no agreement on {n} by {boot_limit}: {:?}",
                view(&sim)
            )
        })?;
        let stable_events = sim.events(node(1)).len();
        sim.run_for(Duration::from_millis(Rng::new(seed).below(2000) + 1000))?;
        check(
            &sim,
            "stable leader",
            sim.events(node(1)).len() == stable_events,
            || {
                format!(
                    "leadership changed without a fault: {:?}",
                    sim.events(node(1))
                )
            },
        )?;

        sim.crash(node(n));
        let crash = sim.now();
        let next = node(n - 1);
        let failover_limit = failover_bound(n);
        let failover = sim.run_until_true(failover_limit, |s| agreed(s) == Some(next))?;
        check(&sim, "failover bound", failover.is_some(), || {
            format!(
                "{variant:?}: no agreement on {next} within {failover_limit}: {:?}",
                view(&sim)
            )
        })?;
        let after_failover = sim.events(node(1)).len();
        sim.run_for(Duration::from_secs(2))?;
        check(
            &sim,
            "stable after failover",
            sim.events(node(1)).len() == after_failover,
            || {
                format!(
                    "leadership changed after failover: {:?}",
                    sim.events(node(1))
                )
            },
        )?;

        let boot = booted.unwrap_or_default() - Instant::ZERO;
        let fail = failover.unwrap_or(crash) - crash;
        let (mut worst_boot, mut boot_of, mut worst_fail, mut fail_of) = worst.get();
        if boot_of.is_zero() || share(boot, boot_limit) > share(worst_boot, boot_of) {
            (worst_boot, boot_of) = (boot, boot_limit);
        }
        if fail_of.is_zero() || share(fail, failover_limit) > share(worst_fail, fail_of) {
            (worst_fail, fail_of) = (fail, failover_limit);
        }
        worst.set((worst_boot, boot_of, worst_fail, fail_of));
        Ok(format!(
            "worst boot {worst_boot} (its bound {boot_of}), worst failover {worst_fail} (its bound {fail_of})"
        ))
    });
}

/// Loss 10 %, duplication 5 % and reordering throughout; a crash; a partition that splits
/// the live nodes. During the partition each side's ring skips the other side and elects
/// its own leader — split brain, which the simulator must see and report. After the
/// partition heals (and the crashed node restarts) on a healthy network, the group agrees
/// on one leader within the heal bound (not necessarily the highest-ranked: see the
/// module documentation of `ring`).
#[test]
fn faults_partition_split_brain_and_agreement_after_heal() {
    let seeds = seed_count(1000);
    // (episodes, runs, split-brain time, worst heal, its bound)
    let totals = Cell::new((0u64, 0u64, Duration::ZERO, Duration::ZERO, Duration::ZERO));
    let not_highest = Cell::new(0u64);
    for_seeds("faults+partition", seeds, |seed| {
        let mut rng = Rng::new(seed ^ 0x5eed);
        let (n, variant) = shape(seed);
        let mut sim = ring_sim(seed, n, variant, TIMING);
        sim.add_invariant("leader names itself", self_consistent);
        sim.set_faults(Faults {
            loss: 0.10,
            duplicate: 0.05,
            ..HEALTHY
        });
        sim.run_for(Duration::from_secs(3))?;

        let crashed = node(1 + rng.below(u64::from(n)) as u32);
        sim.crash(crashed);
        sim.run_for(Duration::from_secs(2))?;

        // Split the live nodes into two non-empty sides.
        let live: Vec<NodeId> = sim.live().map(|e| e.id()).collect();
        let cut = 1 + rng.below(live.len() as u64 - 1) as usize;
        let mut shuffled = live.clone();
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let side = &shuffled[..cut];
        sim.partition(side);
        let split = sim.now();
        let before = sim.split_brain();
        let two_leaders = sim.run_until_true(Duration::from_secs(4), |s| s.leaders().len() >= 2)?;
        sim.run_until(split + Duration::from_secs(4))?;
        let during = sim.split_brain();
        check(
            &sim,
            "split brain observed",
            two_leaders.is_some() && during.max_leaders >= 2,
            || {
                format!(
                    "{variant:?}: sides {side:?} | rest never had two leaders: {:?}",
                    view(&sim)
                )
            },
        )?;

        sim.restart(crashed);
        sim.heal();
        sim.set_faults(HEALTHY);
        let healed = sim.now();
        let heal_limit = heal_bound(n);
        let heal = settle_after_heal(&mut sim, healed, heal_limit)?;
        let leader = agreed(&sim);

        let (episodes, runs, split_time, mut worst_heal, mut heal_of) = totals.get();
        if heal_of.is_zero() || share(heal, heal_limit) > share(worst_heal, heal_of) {
            (worst_heal, heal_of) = (heal, heal_limit);
        }
        let totals_now = (
            episodes + u64::from(during.episodes - before.episodes),
            runs + 1,
            split_time + (during.duration - before.duration),
            worst_heal,
            heal_of,
        );
        totals.set(totals_now);
        if leader != highest_live(&sim) {
            not_highest.set(not_highest.get() + 1);
        }
        let (episodes, runs, split_time, worst_heal, heal_of) = totals_now;
        Ok(format!(
            "split brain in {runs}/{runs} partitions ({episodes} episodes, {split_time} with several leaders in total); worst heal {worst_heal} (its bound {heal_of}); the leader after the heal is not the highest-ranked live node in {}/{runs}",
            not_highest.get()
        ))
    });
}

/// The heal can come at any moment: the crash, the partition and the heal each come after
/// a random 0..1.5 s, so the heal often lands while one side is still electing (or has
/// no leader yet). Whatever was under way, the group agrees on one leader within the heal
/// bound, and keeps it.
#[test]
fn a_heal_at_any_moment_ends_in_agreement_within_the_heal_bound() {
    let seeds = seed_count(1000);
    // (worst heal, its bound)
    let worst = Cell::new((Duration::ZERO, Duration::ZERO));
    for_seeds("heal at any moment", seeds, |seed| {
        let mut rng = Rng::new(seed ^ 0xabcd);
        let (n, variant) = shape(seed);
        let mut sim = ring_sim(seed, n, variant, TIMING);
        sim.add_invariant("leader names itself", self_consistent);
        sim.set_faults(Faults {
            loss: 0.10,
            duplicate: 0.05,
            ..HEALTHY
        });
        sim.run_for(Duration::from_secs(3))?;
        let crashed = node(1 + rng.below(u64::from(n)) as u32);
        sim.crash(crashed);
        sim.run_for(Duration::from_millis(rng.below(1500)))?;
        let mut live: Vec<NodeId> = sim.live().map(|e| e.id()).collect();
        for i in (1..live.len()).rev() {
            live.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let cut = 1 + rng.below(live.len() as u64 - 1) as usize;
        sim.partition(&live[..cut]);
        sim.run_for(Duration::from_millis(rng.below(1500)))?;

        sim.restart(crashed);
        sim.heal();
        sim.set_faults(HEALTHY);
        let healed = sim.now();
        let heal_limit = heal_bound(n);
        let heal = settle_after_heal(&mut sim, healed, heal_limit)?;

        let (mut worst_heal, mut heal_of) = worst.get();
        if heal_of.is_zero() || share(heal, heal_limit) > share(worst_heal, heal_of) {
            (worst_heal, heal_of) = (heal, heal_limit);
        }
        worst.set((worst_heal, heal_of));
        Ok(format!("worst heal {worst_heal} (its bound {heal_of})"))
    });
}
