//! Builders and helpers shared by the integration tests.
#![allow(dead_code)]

#[cfg(feature = "quorum")]
pub mod net;

#[cfg(feature = "sim")]
use bellwether::Instant;
#[cfg(feature = "sim")]
use bellwether::sim::{
    Faults, Simulation, SplitBrain, Violation, leader_names_itself, run_seeds, seed_count,
};
use bellwether::unstable::Kind;
use bellwether::unstable::Rng;
use bellwether::{Algorithm, BullyOptions, Config, Duration, GroupId, Member, NodeId, Timing};

/// The capacity every test engine is built with.
pub const CAPACITY: usize = 32;

/// The group every test engine belongs to.
pub const GROUP: GroupId = GroupId(1);

/// Configurations for candidate members `1..=n`, ranked by id, running `algorithm`.
pub fn configs(n: u32, algorithm: Algorithm, timing: Timing) -> Vec<Config<CAPACITY>> {
    let members: Vec<Member> = (1..=n).map(Member::with_id).collect();
    configs_of(&members, algorithm, timing)
}

/// Configurations for every member of `members`, running `algorithm`.
pub fn configs_of(
    members: &[Member],
    algorithm: Algorithm,
    timing: Timing,
) -> Vec<Config<CAPACITY>> {
    members
        .iter()
        .map(|member| {
            Config::new(GROUP, member.id, members, algorithm)
                .expect("valid test configuration")
                .with_timing(timing)
        })
        .collect()
}

/// Configurations for members `1..=n`, ranked by id, running Bully with `options`.
pub fn bully_configs(n: u32, options: BullyOptions, timing: Timing) -> Vec<Config<CAPACITY>> {
    configs(n, Algorithm::Bully(options), timing)
}

/// A simulated Bully group of members `1..=n`.
#[cfg(feature = "sim")]
pub fn bully_sim(seed: u64, n: u32, options: BullyOptions, timing: Timing) -> Simulation<CAPACITY> {
    Simulation::new(seed, bully_configs(n, options, timing)).expect("valid configurations")
}

/// Shorthand for a node id.
pub fn node(id: u32) -> NodeId {
    NodeId(id)
}

/// Configurations for members `1..=n`, ranked by id, running invitation election with
/// `options`.
pub fn invitation_configs(
    n: u32,
    options: bellwether::InvitationOptions,
    timing: Timing,
) -> Vec<Config<CAPACITY>> {
    configs(n, Algorithm::Invitation(options), timing)
}

/// A simulated invitation group of members `1..=n`.
#[cfg(feature = "sim")]
pub fn invitation_sim(
    seed: u64,
    n: u32,
    options: bellwether::InvitationOptions,
    timing: Timing,
) -> Simulation<CAPACITY> {
    Simulation::new(seed, invitation_configs(n, options, timing)).expect("valid configurations")
}

/// Configurations for members `1..=n`, ranked by id, running ring election with `variant`.
#[cfg(feature = "ring")]
pub fn ring_configs(
    n: u32,
    variant: bellwether::RingVariant,
    timing: Timing,
) -> Vec<Config<CAPACITY>> {
    configs(
        n,
        Algorithm::Ring(bellwether::RingOptions::new(variant)),
        timing,
    )
}

/// A simulated ring-election group of members `1..=n`.
#[cfg(all(feature = "sim", feature = "ring"))]
pub fn ring_sim(
    seed: u64,
    n: u32,
    variant: bellwether::RingVariant,
    timing: Timing,
) -> Simulation<CAPACITY> {
    Simulation::new(seed, ring_configs(n, variant, timing)).expect("valid configurations")
}

/// [`Timing::LAN`] without failure jitter: every node that hears the same last heartbeat
/// notices the failure at the same instant.
pub const NO_JITTER: Timing = Timing {
    failure_jitter: Duration::ZERO,
    ..Timing::LAN
};

// ---- Randomized runs over many seeds ----

/// D, the longest one-way delay in the randomized tests: delays are uniform in 1..=D, so
/// messages reorder.
#[cfg(feature = "sim")]
pub const MAX_DELAY: Duration = Duration::from_millis(10);

/// A healthy network: no loss, no duplicates, delays 1..=D.
#[cfg(feature = "sim")]
pub const HEALTHY: Faults = Faults {
    max_delay: MAX_DELAY,
    ..Faults::NONE
};

/// Loss 10 %, duplication 5 % and delays 1..=D: the faults before and during a partition.
#[cfg(feature = "sim")]
pub const FAULTY: Faults = Faults {
    loss: 0.10,
    duplicate: 0.05,
    ..HEALTHY
};

/// Runs `scenario` for [`seed_count`]`(1000)` seeds (more with
/// `BELLWETHER_SOAK_SEEDS=<n>`), prints how many and how long they took, and panics listing
/// every failing seed's violation, one a line. Returns each seed's result, in seed order,
/// for the test's own summary.
#[cfg(feature = "sim")]
pub fn assert_seeds<T>(name: &str, scenario: impl FnMut(u64) -> Result<T, Violation>) -> Vec<T> {
    assert_some_seeds(name, 1000, scenario)
}

/// Panics naming `name` and every seed's violation, one a line (so one run reports them
/// all), out of `seeds` seeds.
#[cfg(feature = "sim")]
pub fn fail_listing(name: &str, seeds: usize, violations: &[Violation]) -> ! {
    let lines: Vec<String> = violations.iter().map(ToString::to_string).collect();
    panic!(
        "{name}: {} of {seeds} seeds failed:\n{}",
        violations.len(),
        lines.join("\n")
    )
}

/// [`assert_seeds`] for [`seed_count`]`(default)` seeds.
#[cfg(feature = "sim")]
pub fn assert_some_seeds<T>(
    name: &str,
    default: u64,
    scenario: impl FnMut(u64) -> Result<T, Violation>,
) -> Vec<T> {
    let seeds = seed_count(default);
    let started = std::time::Instant::now();
    let outcome = run_seeds(0..seeds, scenario);
    println!("{name}: {seeds} seeds in {:.2?}", started.elapsed());
    match outcome {
        Ok(results) => results,
        Err(violations) => fail_listing(name, seeds as usize, &violations),
    }
}

/// The largest of each pair's first and of each pair's second measured time over all seeds
/// (zeros if there are none): the worst cases a test prints.
pub fn worst_each(times: &[(Duration, Duration)]) -> (Duration, Duration) {
    times
        .iter()
        .fold(Default::default(), |(a, b), &(first, second)| {
            (a.max(first), b.max(second))
        })
}

/// Runs for `duration` and checks, as invariant `name`, that node 1 reported no leadership
/// event meanwhile.
#[cfg(feature = "sim")]
pub fn ensure_steady(
    sim: &mut Simulation<CAPACITY>,
    name: &str,
    duration: Duration,
) -> Result<(), Violation> {
    let events = sim.events(node(1)).len();
    sim.run_for(duration)?;
    sim.ensure(name, sim.events(node(1)).len() == events, || {
        format!("leadership changed at node 1: {:?}", sim.events(node(1)))
    })
}

/// The highest-ranked live node (members are ranked by id).
#[cfg(feature = "sim")]
pub fn highest_live(sim: &Simulation<CAPACITY>) -> Option<NodeId> {
    sim.live().map(|e| e.id()).max()
}

// ---- Steps of the randomized partition scenarios ----

/// The ids of the live nodes, in order.
#[cfg(feature = "sim")]
pub fn live_ids(sim: &Simulation<CAPACITY>) -> Vec<NodeId> {
    sim.live().map(|e| e.id()).collect()
}

/// Shuffles `ids` with draws from `rng` (Fisher–Yates, from the back). The draws belong to
/// the seed's run: a scenario must keep the order in which it shuffles and draws the rest.
#[cfg(feature = "sim")]
pub fn shuffle(ids: &mut [NodeId], rng: &mut Rng) {
    for i in (1..ids.len()).rev() {
        ids.swap(i, rng.below(i as u64 + 1) as usize);
    }
}

/// Splits the live nodes into two non-empty sides at random: draws the size of the first
/// side, then shuffles. Returns the first side.
#[cfg(feature = "sim")]
pub fn random_side(sim: &Simulation<CAPACITY>, rng: &mut Rng) -> Vec<NodeId> {
    let mut live = live_ids(sim);
    let cut = 1 + rng.below(live.len() as u64 - 1) as usize;
    shuffle(&mut live, rng);
    live.truncate(cut);
    live
}

/// How the partition scenarios begin: checks [`leader_names_itself`] from now on, runs for
/// 3 s under `faults`, then crashes one of members `1..=n`, drawn from `rng`. Returns the
/// crashed node.
#[cfg(feature = "sim")]
pub fn run_then_crash_one(
    sim: &mut Simulation<CAPACITY>,
    n: u32,
    faults: Faults,
    rng: &mut Rng,
) -> Result<NodeId, Violation> {
    sim.add_invariant("leader names itself", leader_names_itself);
    sim.set_faults(faults);
    sim.run_for(Duration::from_secs(3))?;
    let crashed = node(1 + rng.below(u64::from(n)) as u32);
    sim.crash(crashed);
    Ok(crashed)
}

/// What a partition spell saw.
#[cfg(feature = "sim")]
pub struct Spell {
    /// Whether two live nodes claimed leadership at the same time at some point.
    pub two_leaders: bool,
    /// The split-brain measurements when the partition began.
    pub before: SplitBrain,
    /// The split-brain measurements 4 s later.
    pub after: SplitBrain,
}

/// Cuts `side` off from the other nodes and runs for 4 s (the partition stays).
#[cfg(feature = "sim")]
pub fn partition_for_four_seconds(
    sim: &mut Simulation<CAPACITY>,
    side: &[NodeId],
) -> Result<Spell, Violation> {
    sim.partition(side);
    let split = sim.now();
    let before = sim.split_brain();
    let two_leaders = sim.run_until_true(Duration::from_secs(4), |s| s.leaders().len() >= 2)?;
    sim.run_until(split + Duration::from_secs(4))?;
    Ok(Spell {
        two_leaders: two_leaders.is_some(),
        before,
        after: sim.split_brain(),
    })
}

/// Ends every fault: restarts `crashed`, restores every link and sets `faults` (a healthy
/// network). Returns the time of the heal.
#[cfg(feature = "sim")]
pub fn heal_all(sim: &mut Simulation<CAPACITY>, crashed: NodeId, faults: Faults) -> Instant {
    sim.restart(crashed);
    sim.heal();
    sim.set_faults(faults);
    sim.now()
}

// ---- Scripted scenarios ----

/// Lets only `leader`'s failure detector fire and delivers everything that follows (firing
/// no other timer), then checks that the group agrees on `leader`.
#[cfg(feature = "sim")]
pub fn led_by(mut sim: Simulation<CAPACITY>, leader: u32) -> Simulation<CAPACITY> {
    sim.fire_timeout(node(leader)).unwrap();
    sim.deliver_all().unwrap();
    assert_eq!(sim.agreed_leader(), Some(node(leader)));
    sim
}

/// Runs until every live node follows `leader` and it leads; panics naming the seed (and
/// every node's view) if that takes longer than `within`. Returns when they agreed.
#[cfg(feature = "sim")]
pub fn elect(sim: &mut Simulation<CAPACITY>, leader: u32, within: Duration) -> Instant {
    sim.run_until_true(within, |s| s.agreed_leader() == Some(node(leader)))
        .unwrap()
        .unwrap_or_else(|| {
            panic!(
                "seed {}: no agreement on {leader} within {within}: {:?}",
                sim.seed(),
                sim.view()
            )
        })
}

/// Checks that every live node follows `leader` and that it leads.
#[cfg(feature = "sim")]
pub fn assert_all_follow(sim: &Simulation<CAPACITY>, leader: NodeId) {
    for engine in sim.live() {
        assert_eq!(
            engine.leader(),
            Some(leader),
            "{} follows {:?}",
            engine.id(),
            engine.leader()
        );
    }
    assert_eq!(sim.agreed_leader(), Some(leader));
}

/// (kind, from, to) of every message copy logged from position `start` on, in send order.
#[cfg(feature = "sim")]
pub fn sent(sim: &Simulation<CAPACITY>, start: usize) -> Vec<(Kind, u32, u32)> {
    sim.log()[start..]
        .iter()
        .map(|r| (r.kind, r.from.0, r.to.0))
        .collect()
}

/// `messages` sorted by (kind, from, to): for comparisons that ignore the send order.
pub fn sorted(mut messages: Vec<(Kind, u32, u32)>) -> Vec<(Kind, u32, u32)> {
    messages.sort_by_key(|&(kind, from, to)| (kind as u8, from, to));
    messages
}

/// Configurations for members `1..=n`, ranked by id, running quorum election with
/// `options`.
#[cfg(feature = "quorum")]
pub fn quorum_configs(
    n: u32,
    options: bellwether::QuorumOptions,
    timing: Timing,
) -> Vec<Config<CAPACITY>> {
    configs(n, Algorithm::Quorum(options), timing)
}

/// A simulated quorum group of members `1..=n` that checks, after every step, the
/// invariants quorum election promises: one leader per term, one valid lease at a time,
/// and that a leader names itself (the simulator itself checks that no vote leaves a node
/// before it is on disk).
#[cfg(all(feature = "sim", feature = "quorum"))]
pub fn quorum_sim(
    seed: u64,
    n: u32,
    options: bellwether::QuorumOptions,
    timing: Timing,
) -> Simulation<CAPACITY> {
    let mut sim =
        Simulation::new(seed, quorum_configs(n, options, timing)).expect("valid configurations");
    sim.add_invariant(
        "one leader per term",
        bellwether::sim::one_leader_per_term(),
    );
    sim.add_invariant("one lease at a time", bellwether::sim::one_lease_at_a_time);
    sim.add_invariant("leader names itself", leader_names_itself);
    sim
}
