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

use bellwether::sim::{Faults, Simulation, leader_names_itself, seed_count};
use bellwether::unstable::Rng;
use bellwether::{
    Algorithm, BullyOptions, CandidateOptions, Duration, Event, Instant, NextInLineOptions, Timing,
};
use common::{
    FAULTY, HEALTHY, assert_seeds, configs, ensure_steady, heal_all, highest_live, live_ids, node,
    partition_for_four_seconds, run_then_crash_one, shuffle, worst_each,
};

const TIMING: Timing = Timing::LAN;

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
///   another, after which it leads): F + J + 3R + D; or H leads and another side's leader
///   L has a newer epoch — H hears L's heartbeat within h + D and reasserts itself above
///   L's epoch to everyone: h + 2D. The sum h + F + J + 3R + 5D bounds both (and a lower
///   leader of an older epoch simply yields when it hears H).
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

/// No faults: the group agrees on the highest node within the boot bound and keeps it;
/// after the leader crashes the survivors agree on the next-highest within the failover
/// bound and keep it.
fn fault_free_agreement(case: &Case) {
    let name = format!("{} fault-free failover", case.name);
    let times = assert_seeds(&name, |seed| {
        let n = 3 + (seed % 6) as u32;
        let mut sim = Simulation::new(seed, configs(n, case.algorithm, TIMING))
            .expect("valid configurations");
        sim.set_faults(HEALTHY);
        sim.add_invariant("leader names itself", leader_names_itself);
        let booted = sim.run_until_true(case.boot, |s| s.agreed_leader() == Some(node(n)))?;
        sim.ensure("boot bound", booted.is_some(), || {
            format!("no agreement on {n} within {}", case.boot)
        })?;
        let steady = ms(Rng::new(seed).below(2000) + 1000);
        ensure_steady(&mut sim, "stable leader", steady)?;

        sim.crash(node(n));
        let crash = sim.now();
        let next = node(n - 1);
        let agreed = sim.run_until_true(case.failover, |s| s.agreed_leader() == Some(next))?;
        sim.ensure("failover bound", agreed.is_some(), || {
            format!("no agreement on {next} within {}", case.failover)
        })?;
        ensure_steady(&mut sim, "stable after failover", Duration::from_secs(2))?;
        Ok((
            booted.unwrap_or_default() - Instant::ZERO,
            agreed.unwrap_or(crash) - crash,
        ))
    });
    let (worst_boot, worst) = worst_each(&times);
    println!(
        "{name}: worst boot {worst_boot} (bound {}), worst failover {worst} (bound {})",
        case.boot, case.failover
    );
    assert!(worst <= case.failover);
}

/// Loss, duplication and reordering throughout; a crash; a partition that splits the live
/// nodes. During the partition each side elects its own leader — split brain, which the
/// simulator must see and report. After the partition heals (and the crashed node
/// restarts) on a healthy network, the group agrees on its highest live node within the
/// heal bound.
fn split_brain_then_agreement_after_heal(case: &Case) {
    let name = format!("{} partition heal", case.name);
    let heals = assert_seeds(&name, |seed| {
        let mut rng = Rng::new(seed ^ 0x5eed);
        let n = 4 + (seed % 5) as u32;
        let mut sim = Simulation::new(seed, configs(n, case.algorithm, TIMING))
            .expect("valid configurations");
        let crashed = run_then_crash_one(&mut sim, n, FAULTY, &mut rng)?;
        sim.run_for(Duration::from_secs(2))?;

        let mut live = live_ids(&sim);
        shuffle(&mut live, &mut rng);
        let side = &live[..1 + rng.below(live.len() as u64 - 1) as usize];
        let spell = partition_for_four_seconds(&mut sim, side)?;
        sim.ensure("split brain observed", spell.two_leaders, || {
            format!("sides {side:?} | rest never had two leaders")
        })?;

        let healed = heal_all(&mut sim, crashed, HEALTHY);
        let bound = (case.heal)(n);
        let agreed = sim.run_until_true(bound, |s| {
            s.agreed_leader().is_some() && s.agreed_leader() == highest_live(s)
        })?;
        sim.ensure("heal bound", agreed.is_some(), || {
            format!(
                "no agreement on {:?} within {bound}: {:?}",
                highest_live(&sim),
                sim.view()
            )
        })?;
        Ok((agreed.unwrap_or(healed) - healed, bound))
    });
    let (worst, bound) = heals.into_iter().max().unwrap_or_default();
    println!("{name}: worst heal {worst} (its bound {bound})");
}

/// After a long faulty run, the last leader each node reported is the one it names.
fn events_end_at_the_engines_state(case: &Case) {
    for seed in 0..seed_count(1000) / 10 {
        let mut sim = Simulation::new(seed, configs(5, case.algorithm, TIMING))
            .expect("valid configurations");
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
