//! No endless churn in a fixed topology. Every algorithm, once its group agrees on a
//! leader, has links cut (both ways, or one way only) and is then left alone: several
//! leaders at once are allowed (split brain is these algorithms' documented class, and
//! quorum election's leader simply may not reach everyone), but every node's view of the
//! leader (`Engine::leader`, its role and the term) must stop changing within a bound
//! derived from the rules, and stay put for the rest of a long window.
//!
//! Timing is [`Timing::LAN`]: heartbeat h = 100 ms, failure timeout F = 500 ms (quorum
//! election's election timeout T), jitter J < 150 ms, round-trip timeout R = 50 ms. One-way
//! delays are uniform in 1..=D with D = 10 ms. Candidate/ordinary's tie-breaker step is
//! S = 60 ms; invitation invites every I = 300 ms plus s = 50 ms per member ranked above
//! (so at most P = I + (n − 1)s apart); quorum election uses `QuorumOptions::DEFAULT`.
//! Members are ranked by id, so every algorithm but quorum starts out led by the highest.
//!
//! The fixed topologies ([`TOPOLOGIES`]), for the leader H and its followers in rank order:
//! the n = 3 bridge (two nodes cut from each other both ways, both reaching the third) with
//! each node as the bridge; n = 5 with H reaching one follower only (the highest, or the
//! lowest); n = 5 with two followers cut from H (the two highest, or the two lowest); and
//! one-way links: nobody hears H (it hears everyone), H hears nobody (everyone hears it),
//! and a single one-way link cut (H to its highest follower, H to its lowest, its highest
//! follower to H).
//!
//! For each algorithm and topology the test runs [`seed_count`]`(5)` seeds (more with
//! `BELLWETHER_SOAK_SEEDS=<n>`) for a 60 s window after the change and prints one line:
//! the leader changes (`LeaderChanged` events, all nodes) and election messages (every
//! kind that is not liveness traffic, see `Kind::is_liveness`) per minute during the
//! window, the worst time to settle (the last change of any node's view) against the
//! bound, and the leaders at the end. `cargo test --all-features --test churn --
//! --nocapture` shows them. A second test per algorithm cuts random sets of one-way links
//! in groups of 3 to 6 and checks that the views stop changing there too.
//!
//! In every named topology H keeps leading and every follower either still hears H or is
//! in the set C of members that no longer do; the bounds below follow the members of C
//! through the rules. Detection is common to all: a member of C last heard H before the
//! change, so its failure detector fires by F + J after it.
#![cfg(feature = "sim")]
#![cfg_attr(
    not(all(
        feature = "bully",
        feature = "next-in-line",
        feature = "candidates",
        feature = "invitation",
        feature = "ring",
        feature = "quorum"
    )),
    allow(dead_code, unused_imports)
)]

mod common;

use bellwether::sim::{Simulation, Violation, leader_names_itself, run_seeds, seed_count};
use bellwether::unstable::Rng;
use bellwether::{Algorithm, Duration, Event, Instant, Member, NodeId, Role, Term, Timing};
use common::{CAPACITY, HEALTHY, MAX_DELAY, configs_of};

/// The simulated groups of this test.
type Sim = Simulation<CAPACITY>;

/// The timing of every group: h, F, J and R above.
const TIMING: Timing = Timing::LAN;

/// How long each topology is left alone and measured.
const WINDOW: Duration = Duration::from_secs(60);

/// How long each random topology is left alone: it must have settled by half of it.
const RANDOM_WINDOW: Duration = Duration::from_secs(40);

/// `millis` milliseconds.
const fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// `count` one-way delays D.
fn delays(count: u64) -> Duration {
    MAX_DELAY.saturating_mul(count)
}

/// `count` round-trip timeouts R.
fn round_trips(count: u64) -> Duration {
    TIMING.round_trip_timeout.saturating_mul(count)
}

/// F + J: the latest a failure detector armed at some instant fires after it.
fn detection() -> Duration {
    TIMING.failure_timeout + TIMING.failure_jitter
}

/// F + J + E + h + 2D for the rank-based algorithms, with E = `election`, the longest
/// election a member of C runs, from its detector to leading or following.
///
/// Every member of C suspects H by F + J and runs an election. It asks the members above it
/// but H (rule 1 of `src/algorithms/ranked/mod.rs`); those that still hear H answer but
/// decline to take over (rule 5: they heard H within h + D, well inside F − R), those in C
/// take over when asked. It asks the highest answerer as soon as that one answers (2D) and
/// waits R for each of the at most n − 2 that decline, then leads (rules 3 and 4): Bully's
/// E is 2D + (n − 2)R, and its highest member leads. Members that still hear H never switch
/// to that new, lower-ranked leader (rule 6) and never take over, so only H can react: the
/// new leader's heartbeat reaches it within h + D if their link allows, and H reasserts
/// itself in a newer epoch, announced to everyone within D (rule 6). The new leader, in C,
/// cannot hear that; every node now hears its leader, and nothing changes again.
fn ranked_bound(election: Duration) -> Duration {
    detection() + election + TIMING.heartbeat_interval + delays(2)
}

/// Bully's longest election: 2D + (n − 2)R (see [`ranked_bound`]).
fn bully_election(n: u32) -> Duration {
    delays(2) + round_trips(u64::from(n) - 2)
}

/// One algorithm, its settling bound for the named topologies of `n` members, and what
/// a settled group still sends.
struct Case {
    /// What the summary lines call it.
    name: &'static str,
    /// The members, `n` of them, all candidates unless the case says otherwise.
    members: fn(u32) -> Vec<Member>,
    algorithm: Algorithm,
    /// How long after the change the views may still change.
    bound: fn(u32) -> Duration,
    /// Whether a settled group sends no election message at all (the others keep
    /// probing by design: invitation invites the members outside a group, quorum
    /// election's cut-off members keep asking for pre-votes).
    quiet: bool,
}

/// Members `1..=n`, candidates ranked by id.
fn candidates_only(n: u32) -> Vec<Member> {
    (1..=n).map(Member::with_id).collect()
}

/// Bully (classic: immediate preemption): [`ranked_bound`] with Bully's election,
/// F + J + (n − 2)R + h + 4D: 940 ms for n = 5.
#[cfg(feature = "bully")]
const BULLY: Case = Case {
    name: "bully",
    members: candidates_only,
    algorithm: Algorithm::Bully(bellwether::BullyOptions::CLASSIC),
    bound: |n| ranked_bound(bully_election(n)),
    quiet: true,
};

/// Next-in-line failover: a member of C first asks H's published successors (up to
/// three, the members just below H) to take over; those that still hear H decline (rule
/// 5), R each, and a member of C that finds itself next leads at once; when the list runs
/// out it falls back to Bully. E = min(3, n − 1)R + Bully's: 1090 ms for n = 5.
#[cfg(feature = "next-in-line")]
const NEXT_IN_LINE: Case = Case {
    name: "next-in-line",
    members: candidates_only,
    algorithm: Algorithm::NextInLine(bellwether::NextInLineOptions::DEFAULT),
    bound: |n| ranked_bound(round_trips(u64::from(n.min(4) - 1)) + bully_election(n)),
    quiet: true,
};

/// Candidate/ordinary with every member a candidate: a member of C first waits its
/// tie-breaker delay, S per member above it but H, at most (n − 2)S. E = (n − 2)S plus
/// Bully's: 1120 ms for n = 5.
#[cfg(feature = "candidates")]
const CANDIDATES: Case = Case {
    name: "candidates",
    members: candidates_only,
    algorithm: Algorithm::Candidates(bellwether::CandidateOptions::DEFAULT),
    bound: |n| ranked_bound(ms(60).saturating_mul(u64::from(n) - 2) + bully_election(n)),
    quiet: true,
};

/// Members `1..=n` ranked by id, the two lowest ordinary.
#[cfg(feature = "candidates")]
fn two_ordinary(n: u32) -> Vec<Member> {
    (1..=n)
        .map(|id| match id {
            1 | 2 => Member::with_id(id).ordinary(),
            _ => Member::with_id(id),
        })
        .collect()
}

/// Candidate/ordinary with members 1 and 2 ordinary: the bound of [`CANDIDATES`] holds
/// (an ordinary member's election asks the same candidates and waits the same), but an
/// ordinary member of C that reaches no candidate willing to lead cannot lead itself: it
/// stays without a leader (its view no longer changes) and asks again one failure
/// timeout later (rule 4), so the group is not quiet.
#[cfg(feature = "candidates")]
const CANDIDATES_WITH_ORDINARY: Case = Case {
    name: "cand+ordinary",
    members: two_ordinary,
    quiet: false,
    ..CANDIDATES
};

/// Invitation (unchanged by the fix; it settles as it was). In every named topology:
/// 1. a member of C falls back to a group of its own by F + J (rule 4) and first invites
///    at most (n − 1)s later (rule 5); merges between leaders that hear each other take
///    4D (invite, counter-invite, accept, join: rule 6);
/// 2. H counts a member of C until a whole sweep window passes without a message from
///    it (rule 3): within 2F of its last one, its invitations as a group of one;
/// 3. within P of that, H and the leader in C exchange invitations again, and the merge
///    (or the refusal, if H's group is still the larger) takes 4D.
///
/// F + J + (n − 1)s + 2F + P + 8D: 2430 ms for n = 5, 2230 ms for n = 3.
#[cfg(feature = "invitation")]
const INVITATION: Case = Case {
    name: "invitation",
    members: candidates_only,
    algorithm: Algorithm::Invitation(bellwether::InvitationOptions::DEFAULT),
    bound: |n| {
        let step = ms(50).saturating_mul(u64::from(n) - 1);
        let period = ms(300) + step;
        detection() + step + TIMING.failure_timeout.saturating_mul(2) + period + delays(8)
    },
    quiet: false,
};

/// Ring (both variants). A member of C sends its token round the ring (rule 2); members
/// that still hear H take no part in an election of a newer epoch than H's (rules 3 and 4:
/// no ack), nor does a leader in a result that elects another node, so every hop is acked
/// within 2D or costs its sender two ack waits before it moves on: a lap takes at most
/// (n − 1)(2R + D). Concurrent initiators of C cost at most the wavefront's lap before the
/// winner's lap and the result's lap (the storm bound of `src/algorithms/ring.rs`): three
/// laps. A token that reaches H is stopped without changing H's epoch (rule 7). The new
/// leader's heartbeats reach everyone its links allow within h + D: H's followers that hear
/// it may follow it (its epoch is newer), and H, if it hears it, reasserts itself in a
/// newer epoch above it (rule 6), heartbeating everyone within D, which brings them back.
/// The new leader, in C, cannot hear H, and nobody's epoch rises again.
///
/// F + J + 3(n − 1)(2R + D) + h + 2D: 2090 ms for n = 5, 1430 ms for n = 3.
#[cfg(feature = "ring")]
fn ring_bound(n: u32) -> Duration {
    let hop = round_trips(2) + delays(1);
    detection() + hop.saturating_mul(3 * (u64::from(n) - 1)) + TIMING.heartbeat_interval + delays(2)
}

/// Ring election with the full-list token: [`ring_bound`].
#[cfg(feature = "ring")]
const RING_FULL_LIST: Case = Case {
    name: "ring full-list",
    members: candidates_only,
    algorithm: Algorithm::Ring(bellwether::RingOptions::new(
        bellwether::RingVariant::FullList,
    )),
    bound: ring_bound,
    quiet: true,
};

/// Ring election with the max-only token: [`ring_bound`].
#[cfg(feature = "ring")]
const RING_MAX_ONLY: Case = Case {
    name: "ring max-only",
    algorithm: Algorithm::Ring(bellwether::RingOptions::new(
        bellwether::RingVariant::MaxOnly,
    )),
    ..RING_FULL_LIST
};

/// Quorum election (another engineer's module; measured here, not changed). Following the
/// liveness bound of `tests/quorum_sim.rs` without drift: a leader that cannot keep a
/// majority steps down at the check-quorum sweep whose window heard none, within 2T;
/// stickiness ends T after a node last heard a leader; the first election timer then
/// fires within 2T; pre-vote, vote and first heartbeat take 5D; one failed round (a split
/// vote, or a pre-vote refused by a majority of higher terms) adds 2T + 4D. The bound
/// holds with high probability, not always: 7T + 9D = 3590 ms.
#[cfg(feature = "quorum")]
const QUORUM: Case = Case {
    name: "quorum",
    members: candidates_only,
    algorithm: Algorithm::Quorum(bellwether::QuorumOptions::DEFAULT),
    bound: |_| TIMING.failure_timeout.saturating_mul(7) + delays(9),
    quiet: false,
};

/// One fixed topology.
struct Topology {
    /// What the summary lines call it.
    name: &'static str,
    /// The group's size.
    members: u32,
    /// Cuts the links, given the leader the group agrees on and the other members,
    /// highest-ranked first.
    apply: fn(&mut Sim, NodeId, &[NodeId]),
}

/// Cuts the link between `a` and `b` both ways.
fn cut(sim: &mut Sim, a: NodeId, b: NodeId) {
    sim.block(a, b);
    sim.block(b, a);
}

/// The fixed topologies of the issue, for a leader and its followers in rank order.
const TOPOLOGIES: [Topology; 12] = [
    Topology {
        name: "n=3 bridge through the leader (followers cut from each other)",
        members: 3,
        apply: |sim, _, f| cut(sim, f[0], f[1]),
    },
    Topology {
        name: "n=3 bridge through the higher follower (leader cut from the lower)",
        members: 3,
        apply: |sim, leader, f| cut(sim, leader, f[1]),
    },
    Topology {
        name: "n=3 bridge through the lower follower (leader cut from the higher)",
        members: 3,
        apply: |sim, leader, f| cut(sim, leader, f[0]),
    },
    Topology {
        name: "n=5 leader reaches the highest follower only",
        members: 5,
        apply: |sim, leader, f| f[1..].iter().for_each(|&p| cut(sim, leader, p)),
    },
    Topology {
        name: "n=5 leader reaches the lowest follower only",
        members: 5,
        apply: |sim, leader, f| f[..3].iter().for_each(|&p| cut(sim, leader, p)),
    },
    Topology {
        name: "n=5 two highest followers cut from the leader",
        members: 5,
        apply: |sim, leader, f| f[..2].iter().for_each(|&p| cut(sim, leader, p)),
    },
    Topology {
        name: "n=5 two lowest followers cut from the leader",
        members: 5,
        apply: |sim, leader, f| f[2..].iter().for_each(|&p| cut(sim, leader, p)),
    },
    Topology {
        name: "n=5 nobody hears the leader (it hears everyone)",
        members: 5,
        apply: |sim, leader, f| f.iter().for_each(|&p| sim.block(leader, p)),
    },
    Topology {
        name: "n=5 the leader hears nobody (everyone hears it)",
        members: 5,
        apply: |sim, leader, f| f.iter().for_each(|&p| sim.block(p, leader)),
    },
    Topology {
        name: "n=5 one-way: leader to highest follower cut",
        members: 5,
        apply: |sim, leader, f| sim.block(leader, f[0]),
    },
    Topology {
        name: "n=5 one-way: leader to lowest follower cut",
        members: 5,
        apply: |sim, leader, f| sim.block(leader, f[3]),
    },
    Topology {
        name: "n=5 one-way: highest follower to leader cut",
        members: 5,
        apply: |sim, leader, f| sim.block(f[0], leader),
    },
];

/// What one run measured, from the topology change on.
struct Measured {
    /// `LeaderChanged` events of all nodes during the window.
    leader_changes: usize,
    /// Election messages (not liveness traffic) sent during the window.
    election_messages: usize,
    /// Election messages sent after the settling bound.
    late_election_messages: usize,
    /// From the change to the last change of any node's (leader, role, term).
    settled: Duration,
    /// The nodes leading at the end.
    leaders: Vec<u32>,
    /// Every node's (id, leader, role, term) at the end.
    view: Vec<(u32, Option<u32>, Role, u64)>,
}

/// Every node's view of the leadership: (leader, role, term).
fn views(sim: &Sim) -> Vec<(Option<NodeId>, Role, Term)> {
    sim.live()
        .map(|e| (e.leader(), e.role(), e.term()))
        .collect()
}

/// Starts `case`'s group of `n` on a healthy network and runs it until it has agreed on
/// a leader for a second (or fails naming the seed).
fn settled_group(case: &Case, n: u32, seed: u64) -> Result<(Sim, NodeId), Violation> {
    let configs = configs_of(&(case.members)(n), case.algorithm, TIMING);
    let mut sim = Simulation::new(seed, configs).expect("valid configurations");
    sim.set_faults(HEALTHY);
    sim.add_invariant("leader names itself", leader_names_itself);
    sim.run_until_true(Duration::from_secs(5), |s| s.agreed_leader().is_some())?;
    sim.run_for(Duration::from_secs(1))?;
    let leader = sim.agreed_leader();
    sim.ensure("agreement before the change", leader.is_some(), || {
        format!("no agreed leader: {:?}", sim.view())
    })?;
    Ok((sim, leader.unwrap_or(NodeId(0))))
}

/// Runs `sim` for `window` after a topology change and measures it against `bound`.
fn measure(sim: &mut Sim, window: Duration, bound: Duration) -> Result<Measured, Violation> {
    let start = sim.now();
    let mut last = views(sim);
    let mut last_change = start;
    sim.run_until_true(window, |s| {
        let now = views(s);
        if now != last {
            last = now;
            last_change = s.now();
        }
        false
    })?;
    let leader_changes = sim
        .node_ids()
        .into_iter()
        .flat_map(|id| sim.events(id).iter())
        .filter(|&&(at, event)| at >= start && matches!(event, Event::LeaderChanged { .. }))
        .count();
    let election_sent_after = |since: Instant| {
        sim.log()
            .iter()
            .filter(|r| r.at >= since && !r.duplicate && !r.kind.is_liveness())
            .count()
    };
    Ok(Measured {
        leader_changes,
        election_messages: election_sent_after(start),
        late_election_messages: election_sent_after(start + bound),
        settled: last_change - start,
        leaders: sim.leaders().iter().map(|id| id.0).collect(),
        view: sim.view(),
    })
}

/// One seed of `case` in `topology`: settle, change the topology, measure. It fails only
/// if the run breaks an invariant; [`broken_promise`] checks the measurements.
fn run(case: &Case, topology: &Topology, seed: u64) -> Result<Measured, Violation> {
    let n = topology.members;
    let (mut sim, leader) = settled_group(case, n, seed)?;
    let mut followers: Vec<NodeId> = sim
        .node_ids()
        .into_iter()
        .filter(|&id| id != leader)
        .collect();
    followers.reverse();
    (topology.apply)(&mut sim, leader, &followers);
    measure(&mut sim, WINDOW, (case.bound)(n))
}

/// Why seed `seed` of `case` in `topology` broke the case's promises, if it did: its
/// views settled later than the bound, or (a quiet case) it sent election messages after
/// the bound.
fn broken_promise(
    case: &Case,
    topology: &Topology,
    seed: u64,
    measured: &Measured,
) -> Option<String> {
    let bound = (case.bound)(topology.members);
    if measured.settled > bound {
        Some(format!(
            "{}, seed {seed}: the last change came {} after the change, bound {bound}: {:?}",
            topology.name, measured.settled, measured.view
        ))
    } else if case.quiet && measured.late_election_messages > 0 {
        Some(format!(
            "{}, seed {seed}: {} election messages after {bound}",
            topology.name, measured.late_election_messages
        ))
    } else {
        None
    }
}

/// A count over [`WINDOW`], per minute.
fn per_minute(count: usize) -> f64 {
    count as f64 * 60_000.0 / WINDOW.as_millis() as f64
}

/// Runs every named topology for `case`, prints one line each, and fails listing every
/// failing seed.
fn settles_in_every_named_topology(case: &Case) {
    let seeds = seed_count(5);
    let mut failures = Vec::new();
    for topology in &TOPOLOGIES {
        let mut runs = Vec::new();
        for seed in 0..seeds {
            match run(case, topology, seed) {
                Ok(measured) => {
                    failures.extend(broken_promise(case, topology, seed, &measured));
                    runs.push(measured);
                }
                Err(violation) => failures.push(violation.to_string()),
            }
        }
        let worst = |of: fn(&Measured) -> usize| runs.iter().map(of).max().unwrap_or(0);
        let settled = runs.iter().map(|m| m.settled).max().unwrap_or_default();
        let mut leaders: Vec<&Vec<u32>> = runs.iter().map(|m| &m.leaders).collect();
        leaders.sort();
        leaders.dedup();
        println!(
            "{:<14} | {:<68} | {:>6.0} leader changes/min | {:>6.0} election msgs/min | settled after {settled} (bound {}) | leaders {leaders:?}",
            case.name,
            topology.name,
            per_minute(worst(|m| m.leader_changes)),
            per_minute(worst(|m| m.election_messages)),
            (case.bound)(topology.members),
        );
    }
    assert!(
        failures.is_empty(),
        "{}: {} of {} runs failed:\n{}",
        case.name,
        failures.len(),
        seeds as usize * TOPOLOGIES.len(),
        failures.join("\n")
    );
}

/// Seeds of [`settles_in_random_topologies`] beyond the first hundred at which a rule this
/// test guards was once missing, run in every case on top of the others: 427 (ring, a
/// leader followed a result that elected a lower-ranked node).
const REGRESSION_SEEDS: [u64; 1] = [427];

/// Random fixed topologies: groups of 3 to 6 where each one-way link is cut with a
/// probability drawn per seed from 10 % to 60 %, applied once the group agrees. No bound
/// is derived for arbitrary topologies; the check is that the views have stopped
/// changing by half of [`RANDOM_WINDOW`] and stay put for the other half (a churn has a
/// period of a few failure timeouts at most), and that a quiet case sends nothing in
/// that second half. `seed_count(100)` seeds, and [`REGRESSION_SEEDS`].
fn settles_in_random_topologies(case: &Case) {
    let name = format!("{} random topologies", case.name);
    let half = Duration::from_millis(RANDOM_WINDOW.as_millis() / 2);
    let started = std::time::Instant::now();
    let seeds: Vec<u64> = (0..seed_count(100)).chain(REGRESSION_SEEDS).collect();
    let outcome = run_seeds(0..seeds.len() as u64, |index| {
        let seed = seeds[index as usize];
        let mut rng = Rng::new(seed ^ 0xc4a5);
        let n = 3 + rng.below(4) as u32;
        let (mut sim, _) = settled_group(case, n, seed)?;
        let percent = 10 + rng.below(51);
        let mut cut_links = Vec::new();
        for from in sim.node_ids() {
            for to in sim.node_ids() {
                if from != to && rng.below(100) < percent {
                    sim.block(from, to);
                    cut_links.push((from.0, to.0));
                }
            }
        }
        let measured = measure(&mut sim, RANDOM_WINDOW, half)?;
        sim.ensure("views settle", measured.settled <= half, || {
            format!(
                "{n} members, links cut {cut_links:?}: the last change came {} after the change",
                measured.settled
            )
        })?;
        sim.ensure(
            "a settled group is quiet",
            !case.quiet || measured.late_election_messages == 0,
            || {
                format!(
                    "{n} members, links cut {cut_links:?}: {} election messages in the second half",
                    measured.late_election_messages
                )
            },
        )?;
        Ok(measured.settled)
    });
    match outcome {
        Ok(settled) => println!(
            "{name}: {} seeds in {:.2?}, worst time to settle {}",
            seeds.len(),
            started.elapsed(),
            settled.into_iter().max().unwrap_or_default()
        ),
        Err(violations) => common::fail_listing(&name, seeds.len(), &violations),
    }
}

#[cfg(feature = "bully")]
#[test]
fn bully_settles_in_every_named_topology() {
    settles_in_every_named_topology(&BULLY);
}

#[cfg(feature = "bully")]
#[test]
fn bully_settles_in_random_topologies() {
    settles_in_random_topologies(&BULLY);
}

#[cfg(feature = "next-in-line")]
#[test]
fn next_in_line_settles_in_every_named_topology() {
    settles_in_every_named_topology(&NEXT_IN_LINE);
}

#[cfg(feature = "next-in-line")]
#[test]
fn next_in_line_settles_in_random_topologies() {
    settles_in_random_topologies(&NEXT_IN_LINE);
}

#[cfg(feature = "candidates")]
#[test]
fn candidates_settle_in_every_named_topology() {
    settles_in_every_named_topology(&CANDIDATES);
}

#[cfg(feature = "candidates")]
#[test]
fn candidates_settle_in_random_topologies() {
    settles_in_random_topologies(&CANDIDATES);
}

#[cfg(feature = "candidates")]
#[test]
fn candidates_with_ordinary_members_settle_in_every_named_topology() {
    settles_in_every_named_topology(&CANDIDATES_WITH_ORDINARY);
}

#[cfg(feature = "candidates")]
#[test]
fn candidates_with_ordinary_members_settle_in_random_topologies() {
    settles_in_random_topologies(&CANDIDATES_WITH_ORDINARY);
}

#[cfg(feature = "invitation")]
#[test]
fn invitation_settles_in_every_named_topology() {
    settles_in_every_named_topology(&INVITATION);
}

#[cfg(feature = "invitation")]
#[test]
fn invitation_settles_in_random_topologies() {
    settles_in_random_topologies(&INVITATION);
}

#[cfg(feature = "ring")]
#[test]
fn ring_full_list_settles_in_every_named_topology() {
    settles_in_every_named_topology(&RING_FULL_LIST);
}

#[cfg(feature = "ring")]
#[test]
fn ring_full_list_settles_in_random_topologies() {
    settles_in_random_topologies(&RING_FULL_LIST);
}

#[cfg(feature = "ring")]
#[test]
fn ring_max_only_settles_in_every_named_topology() {
    settles_in_every_named_topology(&RING_MAX_ONLY);
}

#[cfg(feature = "ring")]
#[test]
fn ring_max_only_settles_in_random_topologies() {
    settles_in_random_topologies(&RING_MAX_ONLY);
}

#[cfg(feature = "quorum")]
#[test]
fn quorum_settles_in_every_named_topology() {
    settles_in_every_named_topology(&QUORUM);
}

#[cfg(feature = "quorum")]
#[test]
fn quorum_settles_in_random_topologies() {
    settles_in_random_topologies(&QUORUM);
}
