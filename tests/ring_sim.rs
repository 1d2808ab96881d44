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
//! already forwarded or started a better one. A hop costs at most D, or 2R + D when it has
//! to skip a dead member: the sender waits out one round-trip timeout, resends the token
//! to the silent member, waits out a second one and only then sends it on (ring rule 1).
//! Every node that gets a token re-arms its failure detector, so nobody starts an election
//! after the wavefront has passed it, and the highest-ranked initiator's token is the one
//! that completes: one more lap, then the result's lap.
#![cfg(feature = "sim")]

mod common;

use bellwether::sim::{Simulation, Violation, leader_names_itself};
use bellwether::unstable::Rng;
use bellwether::{Duration, Instant, NodeId, RingVariant, Timing};
use common::{
    CAPACITY, FAULTY, HEALTHY, MAX_DELAY, Spell, assert_seeds, ensure_steady, heal_all,
    highest_live, live_ids, node, partition_for_four_seconds, random_side, ring_sim,
    run_then_crash_one, shuffle,
};

const TIMING: Timing = Timing::LAN;

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
/// n - 1 live members and the dead one make every lap cost at most one skip, of two ack
/// waits: wavefront (n - 2)D + 2R, the winner's lap (n - 1)D + 2R, the result's lap to
/// the last survivor (n - 2)D + 2R. Total F + J + 6R + (3n - 4)D: 1000 ms for n = 3,
/// 1150 ms for n = 8.
fn failover_bound(n: u32) -> Duration {
    detector() + TIMING.round_trip_timeout.saturating_mul(6) + hops(3 * u64::from(n) - 4)
}

/// How long a node that starts or forwards an election token waits for the result before
/// its failure detector fires (ring rule 3), jitter aside: the longer of F and two laps of
/// the ring at two ack waits R per hop, W = max(F, 4R(n - 1)). It exceeds F from n = 4 on:
/// 1400 ms for n = 8.
fn result_wait(n: u32) -> Duration {
    let laps = TIMING
        .round_trip_timeout
        .saturating_mul(4 * (u64::from(n) - 1));
    TIMING.failure_timeout.max(laps)
}

/// Bound on settling after a partition heals (and the crashed node restarts) on a healthy
/// network. Every leader's heartbeat reaches everyone within h + D: the highest-ranked
/// leader reasserts itself in a new epoch over every other leader whose epoch has caught
/// up with its own and heartbeats everyone (ring rule 6); the other leaders yield to it,
/// and every node that follows one of them (it outranks their leader) or none follows it.
/// Only a node that follows a leader that does not lead (a dead one, or one whose result
/// was lost) ignores those heartbeats, if its leader's pair is higher; and with no leader
/// left, nobody heartbeats at all. Then the node waits for its failure detector, armed
/// before the heal: F + J after the last heartbeat it heard, but W + J after it last
/// started or forwarded an election token (`result_wait`), and an election the partition
/// broke up (its token skipped its cut-off initiator and was swallowed by a node that had
/// already forwarded it) is only ever retried that way. The node then stands for election
/// and follows the next heartbeat it hears, within h + D (a token of its that reaches a
/// live leader is stopped there and answered with a heartbeat: ring rule 7); with no
/// leader left, the election completes as at boot within (3n - 2)D, after at most one ack
/// wait R for a token the partition swallowed (a wait that spans the heal ends within R of
/// it: the resend either reaches the member or, sent before the heal, was also lost and
/// the skip follows). The sum h + W + J + R + (3n - 2)D bounds both: 870 ms for n = 3,
/// 1920 ms for n = 8. Settling means the last leadership change any node reports, and
/// agreement includes the leader's epoch.
fn heal_bound(n: u32) -> Duration {
    TIMING.heartbeat_interval
        + result_wait(n)
        + TIMING.failure_jitter
        + TIMING.round_trip_timeout
        + hops(3 * u64::from(n) - 2)
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
    sim.ensure("heal bound", leader.is_some(), || {
        format!("no agreement within {bound}: {:?}", sim.view())
    })?;
    sim.run_for(Duration::from_secs(2))?;
    let last = last_change(sim, healed);
    sim.ensure(
        "settled within the heal bound",
        agreed(sim) == leader && last.is_none_or(|at| at <= healed + bound),
        || {
            format!(
                "leadership changed after {bound} (last at {last:?}): {:?}",
                sim.view()
            )
        },
    )?;
    let settled = last.into_iter().chain(first).max().unwrap_or(healed);
    Ok(settled - healed)
}

/// What one partitioned run measured.
struct Partitioned {
    /// Spells of several leaders while partitioned.
    episodes: u32,
    /// How long several leaders led at once while partitioned.
    several_leaders: Duration,
    /// How long the group took to settle after the heal, and the heal bound.
    heal: (Duration, Duration),
    /// Whether the leader after the heal is the highest-ranked live node.
    highest_leads: bool,
}

/// Of (measured, bound) pairs, the one that came closest to its bound (the first of equals),
/// or zeros if there are none: what a test prints as its worst case.
fn closest_to_bound(
    measured: impl IntoIterator<Item = (Duration, Duration)>,
) -> (Duration, Duration) {
    let share =
        |(taken, bound): (Duration, Duration)| taken.as_millis() as f64 / bound.as_millis() as f64;
    measured
        .into_iter()
        .reduce(|worst, next| {
            if share(next) > share(worst) {
                next
            } else {
                worst
            }
        })
        .unwrap_or_default()
}

/// No faults: the group agrees on its highest node within the boot bound and keeps it;
/// after that leader crashes the survivors agree on the next-highest within the failover
/// bound and keep it.
#[test]
fn fault_free_agreement_on_the_highest_live_node_within_bounds() {
    let name = "ring fault-free";
    // Per seed: (boot, its bound) and (failover, its bound).
    let times = assert_seeds(name, |seed| {
        let (n, variant) = shape(seed);
        let mut sim = ring_sim(seed, n, variant, TIMING);
        sim.set_faults(HEALTHY);
        sim.add_invariant("leader names itself", leader_names_itself);
        let boot_limit = boot_bound(n);
        let booted = sim.run_until_true(boot_limit, |s| agreed(s) == Some(node(n)))?;
        sim.ensure("boot bound", booted.is_some(), || {
            format!(
                "{variant:?}: no agreement on {n} by {boot_limit}: {:?}",
                sim.view()
            )
        })?;
        let steady = Duration::from_millis(Rng::new(seed).below(2000) + 1000);
        ensure_steady(&mut sim, "stable leader", steady)?;

        sim.crash(node(n));
        let crash = sim.now();
        let next = node(n - 1);
        let failover_limit = failover_bound(n);
        let failover = sim.run_until_true(failover_limit, |s| agreed(s) == Some(next))?;
        sim.ensure("failover bound", failover.is_some(), || {
            format!(
                "{variant:?}: no agreement on {next} within {failover_limit}: {:?}",
                sim.view()
            )
        })?;
        ensure_steady(&mut sim, "stable after failover", Duration::from_secs(2))?;

        let boot = booted.unwrap_or_default() - Instant::ZERO;
        let fail = failover.unwrap_or(crash) - crash;
        Ok(((boot, boot_limit), (fail, failover_limit)))
    });
    let (worst_boot, boot_of) = closest_to_bound(times.iter().map(|&(boot, _)| boot));
    let (worst_fail, fail_of) = closest_to_bound(times.iter().map(|&(_, fail)| fail));
    println!(
        "{name}: worst boot {worst_boot} (its bound {boot_of}), worst failover {worst_fail} (its bound {fail_of})"
    );
}

/// Loss 10 %, duplication 5 % and reordering throughout; a crash; a partition that splits
/// the live nodes. During the partition each side's ring skips the other side and elects
/// its own leader — split brain, which the simulator must see and report. After the
/// partition heals (and the crashed node restarts) on a healthy network, the group agrees
/// on one leader within the heal bound (not necessarily the highest-ranked: see the
/// module documentation of `ring`).
#[test]
fn faults_partition_split_brain_and_agreement_after_heal() {
    let name = "ring faults+partition";
    let runs = assert_seeds(name, |seed| {
        let mut rng = Rng::new(seed ^ 0x5eed);
        let (n, variant) = shape(seed);
        let mut sim = ring_sim(seed, n, variant, TIMING);
        let crashed = run_then_crash_one(&mut sim, n, FAULTY, &mut rng)?;
        sim.run_for(Duration::from_secs(2))?;

        let side = &random_side(&sim, &mut rng);
        let Spell {
            two_leaders,
            before,
            after: during,
        } = partition_for_four_seconds(&mut sim, side)?;
        sim.ensure(
            "split brain observed",
            two_leaders && during.max_leaders >= 2,
            || {
                format!(
                    "{variant:?}: sides {side:?} | rest never had two leaders: {:?}",
                    sim.view()
                )
            },
        )?;

        let healed = heal_all(&mut sim, crashed, HEALTHY);
        let heal_limit = heal_bound(n);
        let heal = settle_after_heal(&mut sim, healed, heal_limit)?;
        let leader = agreed(&sim);

        Ok(Partitioned {
            episodes: during.episodes - before.episodes,
            several_leaders: during.duration - before.duration,
            heal: (heal, heal_limit),
            highest_leads: leader == highest_live(&sim),
        })
    });
    let count = runs.len();
    let episodes: u64 = runs.iter().map(|run| u64::from(run.episodes)).sum();
    let split_time = runs
        .iter()
        .fold(Duration::ZERO, |total, run| total + run.several_leaders);
    let (worst_heal, heal_of) = closest_to_bound(runs.iter().map(|run| run.heal));
    let not_highest = runs.iter().filter(|run| !run.highest_leads).count();
    println!(
        "{name}: split brain in {count}/{count} partitions ({episodes} episodes, {split_time} with several leaders in total); worst heal {worst_heal} (its bound {heal_of}); the leader after the heal is not the highest-ranked live node in {not_highest}/{count}"
    );
}

/// The heal can come at any moment: the crash, the partition and the heal each come after
/// a random 0..1.5 s, so the heal often lands while one side is still electing (or has
/// no leader yet). Whatever was under way, the group agrees on one leader within the heal
/// bound, and keeps it.
#[test]
fn a_heal_at_any_moment_ends_in_agreement_within_the_heal_bound() {
    let name = "ring heal at any moment";
    // Per seed: (heal, its bound).
    let heals = assert_seeds(name, |seed| {
        let mut rng = Rng::new(seed ^ 0xabcd);
        let (n, variant) = shape(seed);
        let mut sim = ring_sim(seed, n, variant, TIMING);
        let crashed = run_then_crash_one(&mut sim, n, FAULTY, &mut rng)?;
        sim.run_for(Duration::from_millis(rng.below(1500)))?;
        let mut live = live_ids(&sim);
        shuffle(&mut live, &mut rng);
        let cut = 1 + rng.below(live.len() as u64 - 1) as usize;
        sim.partition(&live[..cut]);
        sim.run_for(Duration::from_millis(rng.below(1500)))?;

        let healed = heal_all(&mut sim, crashed, HEALTHY);
        let heal_limit = heal_bound(n);
        let heal = settle_after_heal(&mut sim, healed, heal_limit)?;
        Ok((heal, heal_limit))
    });
    let (worst_heal, heal_of) = closest_to_bound(heals);
    println!("{name}: worst heal {worst_heal} (its bound {heal_of})");
}
