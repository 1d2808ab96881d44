//! Invitation election under the deterministic simulator: at least 1,000 seeds per
//! property in `cargo test`, more with `BELLWETHER_SOAK_SEEDS=<n>`. A failure names its
//! seed.
//!
//! Timing is [`Timing::LAN`]: heartbeat h = 100 ms, failure timeout F = 500 ms (also the
//! leader's sweep window), failure jitter J < 150 ms. Invitations use
//! [`InvitationOptions::DEFAULT`]: every I = 300 ms plus δ = s × (members ranked above),
//! with step s = 50 ms. One-way delays are uniform in 1..=D with D = 10 ms, so messages
//! reorder, and 2D < s: a message and its answer fit within one tie-breaker step. Groups
//! have n = 3..=8 members (n = 3 + seed mod 6), and every other block of six seeds runs on
//! a broadcast medium (a message meant for several peers goes out once, to all).
#![cfg(feature = "sim")]

mod common;

use bellwether::sim::{Simulation, leader_names_itself};
use bellwether::unstable::Rng;
use bellwether::{Duration, Instant, InvitationOptions, Timing};
use common::{
    CAPACITY, FAULTY, HEALTHY, Spell, assert_seeds, heal_all, invitation_configs, node,
    partition_for_four_seconds, random_side, run_then_crash_one, worst_each,
};

const TIMING: Timing = Timing::LAN;
const OPTIONS: InvitationOptions = InvitationOptions::DEFAULT;

/// Boot bound. Every node starts as the leader of a group of one and first invites after
/// its δ. The highest node's δ is 0, so it invites every other node at start; its
/// invitations arrive within D, before any other node's first round (δ ≥ s > D), while each
/// receiver is still a group of one ranked below it, so every receiver accepts and follows
/// it on arrival: D.
const BOOT_BOUND: Duration = Duration::from_millis(10);

/// Failover bound, from the crash of the leader H. The survivors heard H's last heartbeat
/// by D after the crash, all within D of each other (the same heartbeat). Each falls back
/// by F + J after hearing it, and invites first at exactly that time plus its δ. The
/// highest survivor H' (δ = s: only H ranks above it) therefore invites first, at most
/// D + F + J + s after the crash: every survivor has fallen back by then, and its
/// invitations arrive within D, before the next survivor's round (δ = 2s, and the spread
/// of last heartbeats plus the delay is below 2D < s). Every survivor is a group of one
/// ranked below H' and accepts on arrival. Total F + J + s + 2D.
const FAILOVER_BOUND: Duration = Duration::from_millis(500 + 150 + 50 + 2 * 10);

/// Bound after the partition heals, the crashed node restarts and the network turns
/// healthy. Let P = I + (n - 1)s ≤ 650 ms be the longest invitation period; J ≤ I, so a
/// node's first round after it falls back (at most J + δ after the fall-back) also comes
/// within P of the fall-back.
/// 1. Within P of the heal every node that leads at the heal has invited every node outside
///    its group. Two leaders that both still lead when one's invitation reaches the other
///    merge: the smaller accepts, or answers with a counter-invitation that the other
///    accepts (only a group size that changes in flight adds a hop). So of the nodes that
///    led at the heal, at most one still leads after P plus a few hops (invitation,
///    counter-invitation, `Accept`, `Join`: 4D).
/// 2. Merges that cross each other can leave a node following a node that no longer leads;
///    the engine's rules 7 and 8 (`src/algorithms/invitation.rs`) redirect it when its
///    `Accept` or ack reaches that node, and otherwise it hears no heartbeat and falls back
///    within F + J of its last follow.
/// 3. Such a node, now a leader, is invited by the remaining leader (or invites it) within
///    P, and the merge takes 3D.
///
/// Hence 2P + F + J + 7D.
const HEAL_BOUND: Duration = Duration::from_millis(2 * 650 + 500 + 150 + 7 * 10);

/// The simulated group of `seed`: members `1..=n`, on a broadcast medium for every other
/// block of six seeds (so each n runs on both media).
fn group(seed: u64, n: u32) -> Simulation<CAPACITY> {
    let broadcast = (seed / 6) % 2 == 1;
    let configs = invitation_configs(n, OPTIONS, TIMING)
        .into_iter()
        .map(|config| config.with_broadcast(broadcast));
    Simulation::new(seed, configs).expect("valid configurations")
}

/// How many events every node has reported so far: unchanged means nothing changed.
fn event_counts(sim: &Simulation<CAPACITY>) -> Vec<usize> {
    sim.node_ids()
        .into_iter()
        .map(|id| sim.events(id).len())
        .collect()
}

/// No faults: the nodes form one group under the highest node within the boot bound and
/// keep it; after that leader crashes the survivors form one group under the next-highest
/// within the failover bound and keep it.
#[test]
fn fault_free_one_group_under_the_expected_leader_within_bounds() {
    let name = "invitation fault-free";
    // Per seed: (boot, failover).
    let times = assert_seeds(name, |seed| {
        let n = 3 + (seed % 6) as u32;
        let mut sim = group(seed, n);
        sim.set_faults(HEALTHY);
        sim.add_invariant("leader names itself", leader_names_itself);
        let booted = sim.run_until_true(BOOT_BOUND, |s| s.agreed_leader() == Some(node(n)))?;
        sim.ensure("boot bound", booted.is_some(), || {
            format!("no group under {n} by {BOOT_BOUND}: {:?}", sim.view())
        })?;
        let settled = event_counts(&sim);
        sim.run_for(Duration::from_millis(Rng::new(seed).below(2000) + 1000))?;
        sim.ensure("stable group", event_counts(&sim) == settled, || {
            format!("leadership changed without a fault: {:?}", sim.view())
        })?;

        sim.crash(node(n));
        let crash = sim.now();
        let next = node(n - 1);
        let failover = sim.run_until_true(FAILOVER_BOUND, |s| s.agreed_leader() == Some(next))?;
        sim.ensure("failover bound", failover.is_some(), || {
            format!(
                "no group under {next} within {FAILOVER_BOUND}: {:?}",
                sim.view()
            )
        })?;
        let regrouped = event_counts(&sim);
        sim.run_for(Duration::from_secs(2))?;
        sim.ensure(
            "stable after failover",
            event_counts(&sim) == regrouped && sim.agreed_leader() == Some(next),
            || format!("leadership changed after failover: {:?}", sim.view()),
        )?;
        Ok((
            booted.unwrap_or_default() - Instant::ZERO,
            failover.unwrap_or(crash) - crash,
        ))
    });
    let (worst_boot, worst_fail) = worst_each(&times);
    println!(
        "{name}: worst boot {worst_boot} (bound {BOOT_BOUND}), worst failover {worst_fail} (bound {FAILOVER_BOUND})"
    );
}

/// Loss, duplication and reordering throughout; a crash; a partition that splits the live
/// nodes. During the partition each side leads its own group(s) — several leaders at once,
/// this algorithm's documented behaviour, which the simulator must see and report. After
/// the partition heals (and the crashed node restarts) on a healthy network, every live
/// node is in one group within the heal bound, and stays in it.
#[test]
fn faults_partition_several_leaders_then_one_group_after_heal() {
    let name = "invitation faults+partition";
    // Per seed: (episodes of several leaders, their total time, heal).
    let runs = assert_seeds(name, |seed| {
        let mut rng = Rng::new(seed ^ 0x5eed);
        let n = 3 + (seed % 6) as u32;
        let mut sim = group(seed, n);
        let crashed = run_then_crash_one(&mut sim, n, FAULTY, &mut rng)?;
        sim.run_for(Duration::from_secs(2))?;

        let side = &random_side(&sim, &mut rng);
        let Spell {
            two_leaders: several,
            before,
            after: during,
        } = partition_for_four_seconds(&mut sim, side)?;
        sim.ensure(
            "several leaders observed",
            several && during.max_leaders >= 2,
            || {
                format!(
                    "sides {side:?} | rest never had two leaders: {:?}",
                    sim.view()
                )
            },
        )?;

        let healed = heal_all(&mut sim, crashed, HEALTHY);
        let agreed = sim.run_until_true(HEAL_BOUND, |s| s.agreed_leader().is_some())?;
        sim.ensure("heal bound", agreed.is_some(), || {
            format!("no single group within {HEAL_BOUND}: {:?}", sim.view())
        })?;
        let leader = sim.agreed_leader();
        let grouped = event_counts(&sim);
        sim.run_for(Duration::from_secs(2))?;
        sim.ensure(
            "stable after heal",
            event_counts(&sim) == grouped && sim.agreed_leader() == leader,
            || format!("the group under {leader:?} changed: {:?}", sim.view()),
        )?;
        Ok((
            during.episodes - before.episodes,
            during.duration - before.duration,
            agreed.unwrap_or(healed) - healed,
        ))
    });
    let count = runs.len();
    let episodes: u64 = runs.iter().map(|&(episodes, ..)| u64::from(episodes)).sum();
    let split_time = runs
        .iter()
        .fold(Duration::ZERO, |total, &(_, time, _)| total + time);
    let worst_heal = runs
        .iter()
        .map(|&(.., heal)| heal)
        .max()
        .unwrap_or_default();
    println!(
        "{name}: several leaders in {count}/{count} partitions ({episodes} episodes, \
         {split_time} in total); worst heal {worst_heal} (bound {HEAL_BOUND})"
    );
}
