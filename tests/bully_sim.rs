//! Bully under the deterministic simulator: at least 1,000 seeds per property in
//! `cargo test`, more with `BELLWETHER_SOAK_SEEDS=<n>`. A failure names its seed.
//!
//! Timing is [`Timing::LAN`]: heartbeat h = 100 ms, failure timeout F = 500 ms, jitter
//! J < 150 ms, round-trip timeout R = 50 ms. One-way delays are uniform in 1..=D with
//! D = 10 ms, so messages reorder, and D < R / 2: an answer always beats the round timeout
//! on a healthy network.
#![cfg(feature = "sim")]

mod common;

use std::time::Instant as WallClock;

use bellwether::sim::{Faults, Simulation, Violation, seed_count};
use bellwether::{BullyOptions, Duration, Event, NodeId, Rng, Role, Timing};
use common::{CAPACITY, bully_sim, node};

const TIMING: Timing = Timing::LAN;
const MAX_DELAY: Duration = Duration::from_millis(10);

/// A healthy network: no loss, no duplicates, delays 1..=D.
const HEALTHY: Faults = Faults {
    max_delay: MAX_DELAY,
    ..Faults::NONE
};

/// Boot bound. The highest node H's failure detector fires at most F + J after start; no
/// one ranks above it, so it leads at once, and its `Coordinator` arrives within D. No
/// other node can lead first: any lower node's `Election` reaches H, whose answer returns
/// within 2D < R, so the lower node proceeds to H instead of leading.
const BOOT_BOUND: Duration = Duration::from_millis(500 + 150 + 10);

/// Failover bound, from the crash of the leader. Survivors heard its last heartbeat at
/// most D after the crash, so the first detector fires by D + F + J. The election is then
/// `Election`, `Alive` from the new highest node H' (it is in every asker's set and
/// answers within 2D < R), `Proceed`, and `Coordinator`: 4D. Total F + J + 5D.
const FAILOVER_BOUND: Duration = Duration::from_millis(500 + 150 + 5 * 10);

/// Bound after a partition heals and the network turns healthy. The worst of:
/// - H follows a dead node: its detector fires within F + J; its election waits out at
///   most three round timeouts (the round under way, a silent proceeder, a fresh round)
///   before it leads: F + J + 3R + D;
/// - H leads but another side's leader L has a higher epoch: L hears H's heartbeat within
///   h + D and yields, and L's followers, who ignore H's lower epoch, suspect L one failure
///   timeout later and ask H, who answers with its `Coordinator`: h + D + F + J + 2D.
///
/// Their sum, h + F + J + 3R + 5D, bounds both.
const HEAL_BOUND: Duration = Duration::from_millis(100 + 500 + 150 + 3 * 50 + 5 * 10);

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
        "{name}: {seeds} seeds in {:.2?}; {last_summary}",
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

/// No faults: the group agrees on the highest node within the boot bound and keeps it;
/// after the leader crashes the survivors agree on the next-highest within the failover
/// bound and keep it.
#[test]
fn fault_free_agreement_on_the_highest_live_node_within_bounds() {
    let seeds = seed_count(1000);
    let worst = std::cell::Cell::new((Duration::ZERO, Duration::ZERO));
    for_seeds("fault-free", seeds, |seed| {
        let n = 3 + (seed % 6) as u32;
        let mut sim = bully_sim(seed, n, BullyOptions::CLASSIC, TIMING);
        sim.set_faults(HEALTHY);
        sim.add_invariant("leader names itself", self_consistent);
        let booted = sim.run_until_true(BOOT_BOUND, |s| s.agreed_leader() == Some(node(n)))?;
        check(&sim, "boot bound", booted.is_some(), || {
            format!("no agreement on {n} by {BOOT_BOUND}")
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
        let failover = sim.run_until_true(FAILOVER_BOUND, |s| s.agreed_leader() == Some(next))?;
        check(&sim, "failover bound", failover.is_some(), || {
            format!("no agreement on {next} within {FAILOVER_BOUND}")
        })?;
        let after_crash = sim.events(node(1)).len();
        sim.run_for(Duration::from_secs(2))?;
        check(
            &sim,
            "stable after failover",
            sim.events(node(1)).len() == after_crash,
            || {
                format!(
                    "leadership changed after failover: {:?}",
                    sim.events(node(1))
                )
            },
        )?;
        let (boot, fail) = worst.get();
        worst.set((
            boot.max(booted.unwrap_or_default() - bellwether::Instant::ZERO),
            fail.max(failover.unwrap_or(crash) - crash),
        ));
        Ok(format!(
            "worst boot {} (bound {BOOT_BOUND}), worst failover {} (bound {FAILOVER_BOUND})",
            worst.get().0,
            worst.get().1
        ))
    });
}

/// Loss, duplication and reordering throughout; a crash; a partition that splits the
/// live nodes. During the partition each side elects its own leader — Bully's split
/// brain, which the simulator must see and report. After the partition heals (and the
/// crashed node restarts) on a healthy network, the group agrees on its highest live
/// node within the heal bound.
#[test]
fn faults_partition_split_brain_and_agreement_after_heal() {
    let seeds = seed_count(1000);
    let totals = std::cell::Cell::new((0u64, 0u64, Duration::ZERO, Duration::ZERO));
    for_seeds("faults+partition", seeds, |seed| {
        let mut rng = Rng::new(seed ^ 0x5eed);
        let n = 4 + (seed % 5) as u32;
        let mut sim = bully_sim(seed, n, BullyOptions::CLASSIC, TIMING);
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
            || format!("sides {side:?} | rest never had two leaders"),
        )?;

        sim.restart(crashed);
        sim.heal();
        sim.set_faults(HEALTHY);
        let healed = sim.now();
        let agreed = sim.run_until_true(HEAL_BOUND, |s| {
            s.agreed_leader().is_some() && s.agreed_leader() == highest_live(s)
        })?;
        check(&sim, "heal bound", agreed.is_some(), || {
            let view: Vec<_> = sim
                .live()
                .map(|e| (e.id().0, e.leader().map(|l| l.0), e.role(), e.term().0))
                .collect();
            format!(
                "no agreement on {:?} within {HEAL_BOUND}: {view:?}",
                highest_live(&sim)
            )
        })?;
        let (episodes, runs, split_time, worst_heal) = totals.get();
        totals.set((
            episodes + u64::from(during.episodes - before.episodes),
            runs + 1,
            split_time + (during.duration - before.duration),
            worst_heal.max(agreed.unwrap_or(healed) - healed),
        ));
        let (episodes, runs, split_time, worst_heal) = totals.get();
        Ok(format!(
            "split brain in {runs}/{runs} partitions ({episodes} episodes, {} with several leaders in total); worst heal {worst_heal} (bound {HEAL_BOUND})",
            split_time
        ))
    });
}

/// Events reported by a node are consistent with its state after a long faulty run.
#[test]
fn reported_events_end_at_the_engines_state() {
    for seed in 0..seed_count(1000) / 10 {
        let mut sim = bully_sim(seed, 5, BullyOptions::CLASSIC, TIMING);
        sim.set_faults(Faults {
            loss: 0.2,
            duplicate: 0.1,
            ..HEALTHY
        });
        sim.run_for(Duration::from_secs(5)).unwrap();
        for id in sim.node_ids() {
            let engine = sim.engine(id).unwrap();
            let last_leader = sim.events(id).iter().rev().find_map(|(_, e)| match e {
                Event::LeaderChanged { leader, .. } => Some(*leader),
                _ => None,
            });
            assert_eq!(last_leader.flatten(), engine.leader(), "seed {seed}: {id}");
        }
    }
}
