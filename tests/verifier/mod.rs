//! A bounded exhaustive explorer of schedules over the real `Engine` code of quorum
//! election.
//!
//! From a start state it tries every sequence of [`Action`]s up to a depth, spending at
//! most a fault budget on faults: any message in flight may be delivered at any point (so
//! delays are arbitrary), overtake older ones on its link, be lost or be duplicated; real
//! time advances to the next deadline of a running node; hosts crash and restart (from
//! their disk, or afresh in volatile mode), pause and resume; nodes are cut off and links
//! healed; a leader's host hands leadership over. Clocks have different origins and each
//! runs at its own rate within ±ρ of real time ([`Setup`]). States are hashed, so a state
//! reached again with no more depth left is not explored twice. Every state is checked
//! against the invariants of [`world`]; the first broken one comes back with the actions
//! that led to it.
//!
//! Its bounds are what it proves: within them, every schedule was run.

pub mod world;

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::time::{Duration as Elapsed, Instant as Clock};

use world::FxHasher;
pub use world::{Action, Broken, MAX_IN_FLIGHT, Setup, World};

/// How far to explore.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    /// The most actions in a schedule. It is a safety net: real time and the fault
    /// budget bound every schedule, and a search the depth cuts short reports itself
    /// incomplete (states are not explored again when reached by a shorter path).
    pub depth: u16,
    /// The most faults in a schedule.
    pub faults: u8,
    /// Real time is not advanced past this (host units).
    pub horizon: u64,
    /// The search stops (unfinished) after this many distinct states.
    pub max_states: u64,
}

/// A schedule that breaks an invariant.
#[derive(Clone, Debug)]
pub struct Counterexample {
    pub broken: Broken,
    /// The actions from the start state, in order.
    pub actions: Vec<Action>,
}

/// What one exploration did.
#[derive(Clone, Debug)]
pub struct Report {
    /// Distinct states explored.
    pub states: u64,
    /// Actions run (transitions), revisits included.
    pub transitions: u64,
    /// Whether every schedule within the bounds was run.
    pub complete: bool,
    pub counterexample: Option<Counterexample>,
    pub elapsed: Elapsed,
}

/// Each state explored (by fingerprint), with the most faults that were left when it was:
/// a state reached again with no more faults left has nothing new to show.
type Visited = HashMap<u64, u8, BuildHasherDefault<FxHasher>>;

struct Search<'a, const N: usize> {
    setup: &'a Setup<N>,
    bounds: Bounds,
    visited: Visited,
    transitions: u64,
    complete: bool,
    path: Vec<Action>,
}

/// Explores every schedule from `start` within `bounds`; stops at the first counterexample.
pub fn explore<const N: usize>(setup: &Setup<N>, start: &World<N>, bounds: Bounds) -> Report {
    let clock = Clock::now();
    let mut search = Search {
        setup,
        bounds,
        visited: Visited::default(),
        transitions: 0,
        complete: true,
        path: Vec::new(),
    };
    let counterexample = search.dfs(start, bounds.depth);
    Report {
        states: search.visited.len() as u64,
        transitions: search.transitions,
        complete: search.complete && counterexample.is_none(),
        counterexample,
        elapsed: clock.elapsed(),
    }
}

impl<const N: usize> Search<'_, N> {
    fn dfs(&mut self, world: &World<N>, depth_left: u16) -> Option<Counterexample> {
        let faults_left = self.bounds.faults - world.faults;
        for action in world.actions(self.setup, faults_left, self.bounds.horizon) {
            if self.visited.len() as u64 >= self.bounds.max_states {
                self.complete = false;
                return None;
            }
            let mut next = world.clone();
            self.transitions += 1;
            self.path.push(action);
            match next.apply(self.setup, action) {
                Err(broken) if broken.is_beyond_bounds() => {
                    self.path.pop();
                    continue;
                }
                Err(broken) => {
                    return Some(Counterexample {
                        broken,
                        actions: self.path.clone(),
                    });
                }
                Ok(()) => {}
            }
            let left = depth_left - 1;
            if next.in_flight.len() + next.held.len() <= MAX_IN_FLIGHT {
                let faults_left = self.bounds.faults - next.faults;
                let fingerprint = next.fingerprint();
                let fresh = self
                    .visited
                    .get(&fingerprint)
                    .is_none_or(|&seen| seen < faults_left);
                if fresh && left == 0 {
                    // The depth bound cut a schedule short: the search is not exhaustive.
                    self.complete = false;
                } else if fresh {
                    self.visited.insert(fingerprint, faults_left);
                    if let Some(found) = self.dfs(&next, left) {
                        return Some(found);
                    }
                }
            }
            self.path.pop();
        }
        None
    }
}

/// Runs the schedule every host would see on a perfect network (deliver the oldest message
/// in flight, else advance to the next deadline) from `world` until a node leads with a
/// lease and nothing is in flight; returns that state.
pub fn settle<const N: usize>(setup: &Setup<N>, mut world: World<N>, horizon: u64) -> World<N> {
    loop {
        let leased = (0..N).any(|i| world.holds_lease(setup, i));
        if leased && world.in_flight.is_empty() {
            return world;
        }
        let action = world
            .actions(setup, 0, horizon)
            .into_iter()
            .find(|a| *a == Action::Next)
            .expect("a healthy group settles before the horizon");
        world
            .apply(setup, action)
            .unwrap_or_else(|broken| panic!("a healthy run broke {broken:?}"));
    }
}

/// The counterexample as lines: each action and the state it led to.
pub fn describe<const N: usize>(
    setup: &Setup<N>,
    start: &World<N>,
    found: &Counterexample,
) -> String {
    let mut world = start.clone();
    let mut lines = vec![format!("start: {world:?}")];
    for (step, &action) in found.actions.iter().enumerate() {
        let outcome = world.apply(setup, action);
        lines.push(format!("{:>3}. {action:?} -> {world:?}", step + 1));
        if let Err(broken) = outcome {
            lines.push(format!(
                "     broken: {}: {}",
                broken.invariant, broken.detail
            ));
        }
    }
    lines.join("\n")
}
