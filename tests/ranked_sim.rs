//! The rank-based algorithms — Bully, next-in-line failover, candidate/ordinary — under the
//! deterministic simulator: at least 1,000 seeds per property and algorithm in
//! `cargo test`, more with `BELLWETHER_SOAK_SEEDS=<n>`. A failure names its seed.
//!
//! Timing is [`Timing::LAN`]: heartbeat h = 100 ms, failure timeout F = 500 ms, jitter
//! J < 150 ms, round-trip timeout R = 50 ms; the candidate/ordinary tie-breaker step is
//! S = 60 ms. One-way delays are uniform in 1..=D with D = 10 ms, so messages reorder, and
//! D < R / 2: on a healthy network an answer always beats the round timeout. All members
//! are candidates, so every algorithm's expected leader is the highest live node.
#![cfg(feature = "sim")]

mod common;

use std::time::Instant as WallClock;

use bellwether::sim::{Faults, Simulation, Violation, seed_count};
use bellwether::{
    Algorithm, BullyOptions, CandidateOptions, Duration, Event, NextInLineOptions, NodeId, Rng,
    Role, Timing,
};
use common::{CAPACITY, configs, node};

const TIMING: Timing = Timing::LAN;
const MAX_DELAY: Duration = Duration::from_millis(10);

/// A healthy network: no loss, no duplicates, delays 1..=D.
const HEALTHY: Faults = Faults {
    max_delay: MAX_DELAY,
    ..Faults::NONE
};

const fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// One algorithm and the bounds derived for it.
struct Case {
    name: &'static str,
    algorithm: Algorithm,
    /// From start until all agree on the highest node.
    boot: Duration,
    /// From the leader's crash until the survivors agree on the next-highest.
    failover: Duration,
    /// From heal (healthy network) until all agree, for `n` members.
    heal: fn(u32) -> Duration,
}

/// Bully.
/// - Boot: the highest node H's detector fires by F + J; nobody ranks above it, so it
///   leads at once and its `Coordinator` arrives within D. No lower node leads first: H
///   answers any `Election` within 2D < R, so the asker proceeds to H.
/// - Failover: survivors heard the last heartbeat at most D after the crash, so the first
///   detector fires by D + F + J; then `Election`, `Alive` from the new highest H' (in
///   every asker's set, answering within 2D < R), `Proceed`, `Coordinator`: 4D.
/// - Heal, the worst of: H follows a dead node — its detector fires within F + J and its
///   election waits at most three round timeouts (the one under way, a silent proceeder,
///   a fresh round): F + J + 3R + D; or H leads and another side's leader L has a newer
///   epoch — L hears H's heartbeat within h + D and sends H its `Coordinator`, and H
///   reasserts itself above L's epoch to everyone: h + 3D. The sum h + F + J + 3R + 5D
///   bounds both (and a lower leader of an older epoch simply yields).
const BULLY: Case = Case {
    name: "bully",
    algorithm: Algorithm::Bully(BullyOptions::CLASSIC),
    boot: ms(500 + 150 + 10),
    failover: ms(500 + 150 + 5 * 10),
    heal: |_| ms(100 + 500 + 150 + 3 * 50 + 5 * 10),
};

/// Next-in-line failover.
/// - Boot: nobody has a successor list yet, so it is Bully's boot.
/// - Failover: detection by D + F + J as for Bully; the first successor is the new highest
///   H' (the list is the members just below the leader), alive, so `TakeOver` and H''s
///   `Coordinator` take 2D: F + J + 3D.
/// - Heal: as Bully, plus up to three dead successors tried, one round timeout each,
///   before the Bully fallback: h + F + J + 6R + 5D.
const NEXT_IN_LINE: Case = Case {
    name: "next-in-line",
    algorithm: Algorithm::NextInLine(NextInLineOptions::DEFAULT),
    boot: ms(500 + 150 + 10),
    failover: ms(500 + 150 + 3 * 10),
    heal: |_| ms(100 + 500 + 150 + 6 * 50 + 5 * 10),
};

/// Candidate/ordinary with tie-breaker step S, every member a candidate.
/// - Boot: H's delay is zero (nobody above), so it leads by F + J at the latest; a lower
///   node that started earlier asks H, and H leads on its `Proceed` (3D); the
///   announcement arrives D later: F + J + 4D.
/// - Failover: H' notices by D + F + J; its delay is zero (the failed leader does not
///   count), so it leads at once and announces: F + J + 2D.
/// - Heal: as Bully, plus H's tie-breaker delay, up to (n - 1) S:
///   h + F + J + (n - 1) S + 3R + 5D.
const CANDIDATES: Case = Case {
    name: "candidates",
    algorithm: Algorithm::Candidates(CandidateOptions::DEFAULT),
    boot: ms(500 + 150 + 4 * 10),
    failover: ms(500 + 150 + 2 * 10),
    heal: |n| ms(100 + 500 + 150 + (n as u64 - 1) * 60 + 3 * 50 + 5 * 10),
};

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

fn check(
    sim: &Simulation<CAPACITY>,
    name: &str,
    ok: bool,
    detail: impl FnOnce() -> String,
) -> Result<(), Violation> {
    if ok {
        return Ok(());
    }
    Err(Violation {
        seed: sim.seed(),
        at: sim.now(),
        invariant: name.to_string(),
        detail: detail(),
    })
}

/// Runs `scenario` for every seed and panics listing every failing seed's violation; the
/// scenario returns the worst figure it measured, and the worst over all seeds is printed.
fn for_seeds(
    case: &Case,
    property: &str,
    scenario: impl Fn(u64) -> Result<Duration, Violation>,
) -> Duration {
    let started = WallClock::now();
    let seeds = seed_count(1000);
    let mut failures = Vec::new();
    let mut worst = Duration::ZERO;
    for seed in 0..seeds {
        match scenario(seed) {
            Ok(measured) => worst = worst.max(measured),
            Err(violation) => failures.push(violation.to_string()),
        }
    }
    println!(
        "{} {property}: {seeds} seeds in {:.2?}, worst {worst}",
        case.name,
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} {property}: {} of {seeds} seeds failed:\n{}",
        case.name,
        failures.len(),
        failures.join("\n")
    );
    worst
}

/// No faults: the group agrees on the highest node within the boot bound and keeps it;
/// after the leader crashes the survivors agree on the next-highest within the failover
/// bound and keep it.
fn fault_free_agreement(case: &Case) {
    let worst = for_seeds(case, "fault-free failover", |seed| {
        let n = 3 + (seed % 6) as u32;
        let mut sim = Simulation::new(seed, configs(n, case.algorithm, TIMING));
        sim.set_faults(HEALTHY);
        sim.add_invariant("leader names itself", self_consistent);
        let booted = sim.run_until_true(case.boot, |s| s.agreed_leader() == Some(node(n)))?;
        check(&sim, "boot bound", booted.is_some(), || {
            format!("no agreement on {n} within {}", case.boot)
        })?;
        let events = sim.events(node(1)).len();
        sim.run_for(ms(Rng::new(seed).below(2000) + 1000))?;
        check(
            &sim,
            "stable leader",
            sim.events(node(1)).len() == events,
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
        let agreed = sim.run_until_true(case.failover, |s| s.agreed_leader() == Some(next))?;
        check(&sim, "failover bound", agreed.is_some(), || {
            format!("no agreement on {next} within {}", case.failover)
        })?;
        let events = sim.events(node(1)).len();
        sim.run_for(Duration::from_secs(2))?;
        check(
            &sim,
            "stable after failover",
            sim.events(node(1)).len() == events,
            || {
                format!(
                    "leadership changed after failover: {:?}",
                    sim.events(node(1))
                )
            },
        )?;
        Ok(agreed.unwrap_or(crash) - crash)
    });
    assert!(worst <= case.failover);
}

/// Loss, duplication and reordering throughout; a crash; a partition that splits the live
/// nodes. During the partition each side elects its own leader — split brain, which the
/// simulator must see and report. After the partition heals (and the crashed node
/// restarts) on a healthy network, the group agrees on its highest live node within the
/// heal bound.
fn split_brain_then_agreement_after_heal(case: &Case) {
    for_seeds(case, "partition heal", |seed| {
        let mut rng = Rng::new(seed ^ 0x5eed);
        let n = 4 + (seed % 5) as u32;
        let mut sim = Simulation::new(seed, configs(n, case.algorithm, TIMING));
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

        let mut live: Vec<NodeId> = sim.live().map(|e| e.id()).collect();
        for i in (1..live.len()).rev() {
            live.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let side = &live[..1 + rng.below(live.len() as u64 - 1) as usize];
        sim.partition(side);
        let split = sim.now();
        let two_leaders = sim.run_until_true(Duration::from_secs(4), |s| s.leaders().len() >= 2)?;
        sim.run_until(split + Duration::from_secs(4))?;
        check(&sim, "split brain observed", two_leaders.is_some(), || {
            format!("sides {side:?} | rest never had two leaders")
        })?;

        sim.restart(crashed);
        sim.heal();
        sim.set_faults(HEALTHY);
        let healed = sim.now();
        let bound = (case.heal)(n);
        let agreed = sim.run_until_true(bound, |s| {
            s.agreed_leader().is_some() && s.agreed_leader() == highest_live(s)
        })?;
        check(&sim, "heal bound", agreed.is_some(), || {
            let view: Vec<_> = sim
                .live()
                .map(|e| (e.id().0, e.leader().map(|l| l.0), e.role(), e.term().0))
                .collect();
            format!(
                "no agreement on {:?} within {bound}: {view:?}",
                highest_live(&sim)
            )
        })?;
        Ok(agreed.unwrap_or(healed) - healed)
    });
}

/// After a long faulty run, the last leader each node reported is the one it names.
fn events_end_at_the_engines_state(case: &Case) {
    for seed in 0..seed_count(1000) / 10 {
        let mut sim = Simulation::new(seed, configs(5, case.algorithm, TIMING));
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
            assert_eq!(
                last_leader.flatten(),
                engine.leader(),
                "{} seed {seed}: {id}",
                case.name
            );
        }
    }
}

#[test]
fn bully_fault_free_agreement_within_bounds() {
    fault_free_agreement(&BULLY);
}

#[test]
fn bully_split_brain_then_agreement_after_heal() {
    split_brain_then_agreement_after_heal(&BULLY);
}

#[test]
fn bully_events_end_at_the_engines_state() {
    events_end_at_the_engines_state(&BULLY);
}

#[test]
fn next_in_line_fault_free_agreement_within_bounds() {
    fault_free_agreement(&NEXT_IN_LINE);
}

#[test]
fn next_in_line_split_brain_then_agreement_after_heal() {
    split_brain_then_agreement_after_heal(&NEXT_IN_LINE);
}

#[test]
fn next_in_line_events_end_at_the_engines_state() {
    events_end_at_the_engines_state(&NEXT_IN_LINE);
}

#[test]
fn candidates_fault_free_agreement_within_bounds() {
    fault_free_agreement(&CANDIDATES);
}

#[test]
fn candidates_split_brain_then_agreement_after_heal() {
    split_brain_then_agreement_after_heal(&CANDIDATES);
}

#[test]
fn candidates_events_end_at_the_engines_state() {
    events_end_at_the_engines_state(&CANDIDATES);
}
