#![cfg(all(feature = "quorum", feature = "mutants"))]
//! The verifier: every schedule within bounds, run on the real `Engine` code of quorum
//! election (see [`verifier`] for the explorer and [`verifier::world`] for the actions and
//! the invariants).
//!
//! Three nodes (and five, within a smaller bound) run with election timeout T = 100, the
//! heartbeat just under it (h = 90, so time advances in few steps) and ρ = 1 %. Each run
//! starts from the state a healthy group reaches (a leader holding a lease, nothing in
//! flight) and tries every schedule with up to `faults` deviations from the healthy one
//! that stays within `horizon` of real time. The configurations cover persistent mode with
//! and without pre-vote, volatile mode, clocks with different origins, and clocks that
//! drift apart within ±ρ.
//!
//! `verifier_finds_nothing_in_the_engine` explores them all and must find nothing;
//! `verifier_finds_each_undone_fix` undoes each safety fix of quorum election in turn
//! (feature `mutants`) and must find a counterexample to it. Both print what they explored.
//! `BELLWETHER_VERIFY=long` runs the long bounds (four faults, a longer horizon, five
//! nodes with three faults): minutes in a release build.

mod verifier;

use bellwether::{Durability, Duration, Mutation, QuorumOptions, Timing};
use verifier::{Bounds, Report, Setup, World, describe, explore, settle};

const T: u64 = 100;

const TIMING: Timing = Timing {
    heartbeat_interval: Duration::from_millis(90),
    failure_timeout: Duration::from_millis(T),
    failure_jitter: Duration::ZERO,
    round_trip_timeout: Duration::from_millis(10),
};

/// ρ of every configuration, in ppm.
const RHO: i32 = QuorumOptions::DEFAULT.clock_drift_ppm as i32;

/// Whether the long bounds were asked for.
fn long() -> bool {
    std::env::var("BELLWETHER_VERIFY").is_ok_and(|v| v == "long")
}

/// The fault budget: three faults, four in the long run.
fn faults() -> u8 {
    if long() { 4 } else { 3 }
}

/// One explored configuration, and how much real time its schedules span.
struct Configuration<const N: usize> {
    name: &'static str,
    setup: Setup<N>,
    /// In host units (T = 100): 2.5T, or 3.5T in volatile mode, whose restart wait alone
    /// takes 2T(1+ρ)/(1−ρ).
    horizon: u64,
    /// The fault budget of its schedules.
    faults: u8,
    /// Whether the start state comes after one healthy leadership transfer (so its term is
    /// 2, and a restart can forget a term that others have led), rather than after the
    /// first election.
    after_a_transfer: bool,
}

impl<const N: usize> Configuration<N> {
    /// The bounds of an exploration from `start`: the fault budget, and real time up to
    /// the horizon after it. The depth never binds before the horizon does (a search it
    /// cut short would report itself unfinished).
    fn bounds(&self, start: &World<N>) -> Bounds {
        Bounds {
            depth: 1_000,
            faults: self.faults,
            horizon: start.real + self.horizon,
            max_states: 1_000_000_000,
        }
    }

    /// The state a healthy run of this configuration settles in: a leader holding a
    /// lease, nothing in flight (after a handover to the next node, if asked for).
    fn start(&self) -> World<N> {
        let mut world = settle(&self.setup, World::start(&self.setup), 100 * T);
        if self.after_a_transfer {
            let from = world.leader().expect("a settled leader");
            let to = (from + 1) % N;
            world
                .apply(&self.setup, verifier::Action::Transfer { from, to })
                .expect("a healthy transfer");
            world = settle(&self.setup, world, 100 * T);
        }
        world.faults = 0;
        world
    }

    /// Explores from [`Configuration::start`].
    fn run(&self) -> (World<N>, Report) {
        let start = self.start();
        let report = explore(&self.setup, &start, self.bounds(&start));
        (start, report)
    }
}

fn configuration<const N: usize>(
    name: &'static str,
    options: QuorumOptions,
    origins: [u64; N],
    drift_ppm: [i32; N],
) -> Configuration<N> {
    let volatile = options.durability == Durability::Volatile;
    Configuration {
        name,
        horizon: if volatile { 7 * T / 2 } else { 5 * T / 2 },
        after_a_transfer: false,
        faults: faults(),
        setup: Setup {
            options,
            timing: TIMING,
            origins,
            drift_ppm,
            seed: 1,
            mutation: None,
            priorities: [0; N],
        },
    }
}

/// The configurations of three nodes.
fn configurations() -> Vec<Configuration<3>> {
    let default = QuorumOptions::DEFAULT;
    vec![
        configuration("persistent", default, [0, 0, 0], [0; 3]),
        configuration(
            "persistent, no pre-vote, clocks of different origins",
            default.with_pre_vote(false),
            [0, 1_000, 7],
            [0; 3],
        ),
        configuration(
            "persistent, clocks drifting within rho",
            default,
            [0, 0, 0],
            [-RHO, RHO, 0],
        ),
        Configuration {
            after_a_transfer: true,
            ..configuration(
                "volatile, no check-quorum, clocks of different origins, after a transfer",
                default
                    .with_durability(Durability::Volatile)
                    .with_check_quorum(false),
                [0, 1_000, 7],
                [0; 3],
            )
        },
        configuration(
            "volatile, no check-quorum",
            default
                .with_durability(Durability::Volatile)
                .with_check_quorum(false),
            [0, 0, 0],
            [0; 3],
        ),
    ]
}

fn summary(report: &Report) -> String {
    format!(
        "{} states, {} transitions, {:.1?}{}",
        report.states,
        report.transitions,
        report.elapsed,
        if report.complete { "" } else { " (unfinished)" }
    )
}

/// Explores each configuration, as many at once as the machine has cores (each holds its
/// explored states in memory: gigabytes in the long run); returns (name, setup, start,
/// report) in order.
fn explore_all<const N: usize>(
    configurations: Vec<Configuration<N>>,
) -> Vec<(&'static str, Setup<N>, World<N>, Report)> {
    // BELLWETHER_VERIFY_ONLY=<text> explores only the configurations whose name has it.
    let only = std::env::var("BELLWETHER_VERIFY_ONLY").unwrap_or_default();
    let configurations: Vec<_> = configurations
        .into_iter()
        .filter(|c| c.name.contains(only.as_str()))
        .collect();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(configuration) = configurations.get(index) else {
                        return;
                    };
                    let (start, report) = configuration.run();
                    let run = (
                        configuration.name,
                        configuration.setup.clone(),
                        start,
                        report,
                    );
                    results
                        .lock()
                        .expect("no worker panicked")
                        .push((index, run));
                }
            });
        }
    });
    let mut results = results.into_inner().expect("no worker panicked");
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, run)| run).collect()
}

#[test]
fn verifier_finds_nothing_in_the_engine() {
    println!("bounds: {} faults, T = {T} ms", faults());
    let mut five = configuration("persistent", QuorumOptions::DEFAULT, [0; 5], [0; 5]);
    five.horizon = 2 * T;
    let five_nodes = std::thread::spawn(move || {
        let start = settle(&five.setup, World::start(&five.setup), 100 * T);
        let mut bounds = five.bounds(&start);
        bounds.faults -= 1;
        let report = explore(&five.setup, &start, bounds);
        (five.setup, start, bounds, report)
    });
    for (name, setup, start, report) in explore_all(configurations()) {
        if let Some(found) = &report.counterexample {
            panic!("{name}: {}", describe(&setup, &start, found));
        }
        assert!(report.complete, "{name}: {}", summary(&report));
        println!("3 nodes, {name}: nothing found in {}", summary(&report));
    }
    let (setup, start, bounds, report) = five_nodes.join().expect("an exploration");
    if let Some(found) = &report.counterexample {
        panic!("5 nodes: {}", describe(&setup, &start, found));
    }
    assert!(report.complete, "5 nodes: {}", summary(&report));
    println!(
        "5 nodes, persistent: nothing found with {} faults in 2T: {}",
        bounds.faults,
        summary(&report)
    );
}

/// The configuration in which each undone fix is looked for (the one where its bug
/// lives: volatile mode for a term led twice, with clocks of one origin for an ack
/// credited to the wrong leader, after a transfer for a leader of a newer term), and the
/// fewest faults its counterexample needs. A transfer, a message held back, a cut and a
/// reboot make the abandoned-transfer bug (A); two reboots, a pause and one message held
/// back the wrongly credited ack (C); a pause, two reboots and a cut a paused leader of a
/// newer term getting a second lease in volatile mode (H, found by this verifier): those
/// three are looked for in the long run only.
fn where_to_look(mutation: Mutation) -> (usize, u8) {
    match mutation {
        Mutation::HandOverJustAfterStart => (0, 4),
        Mutation::SecondLeaderOfATerm => (4, 3),
        Mutation::AckCreditsAnyLeader => (4, 4),
        Mutation::GrantOfAnyRound | Mutation::CheckQuorumCountsAnyMessage => (0, 3),
        Mutation::NewerLeaderWhileCrediting => (3, 4),
        _ => unreachable!("every mutation has a configuration"),
    }
}

#[test]
fn verifier_finds_each_undone_fix() {
    let looked_for: Vec<Configuration<3>> = Mutation::ALL
        .into_iter()
        .filter(|&mutation| where_to_look(mutation).1 <= faults())
        .map(|mutation| {
            let (at, fewest_faults) = where_to_look(mutation);
            let mut configuration = configurations().swap_remove(at);
            configuration.setup.mutation = Some(mutation);
            configuration.faults = fewest_faults;
            configuration
        })
        .collect();
    let mut missed = Vec::new();
    for (name, setup, start, report) in explore_all(looked_for) {
        let mutation = setup.mutation.expect("a mutation");
        match &report.counterexample {
            Some(found) => println!(
                "{mutation:?} undone ({name}): found after {}, at depth {}: {}: {}\n{}",
                summary(&report),
                found.actions.len(),
                found.broken.invariant,
                found.broken.detail,
                describe(&setup, &start, found)
            ),
            None => missed.push(format!("{mutation:?}: {}", summary(&report))),
        }
    }
    assert!(missed.is_empty(), "undone fixes not found: {missed:#?}");
}
