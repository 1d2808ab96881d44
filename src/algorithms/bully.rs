//! Bully election (Garcia-Molina, 1982). **Safety class: split brain possible** — under a network
//! partition each side elects its own leader; they reconcile when the partition heals.
//!
//! The highest-ranked live node leads. A node that suspects the leader asks every node
//! ranked above it (`Election`); those alive answer (`Alive`); it asks the highest that
//! answered to take over (`Proceed`), which leads and tells every node ranked below it
//! (`Coordinator`). If nobody above answers, or every node that answered declines because
//! it still hears a live leader that the asker is cut off from, the node leads itself. The
//! rules, shared with the other rank-based algorithms, are in [`ranked`](super::ranked);
//! Bully's own are that a new leader announces only to the members below it ([`Bully`]),
//! and [`Preemption`].
//!
//! The worked example of Petrov's *Database Internals* (ch. 10) (nodes 1..6, 6 fails, 3 notices) takes exactly 9 messages:
//! 2 `Election`, 2 `Alive`, 1 `Proceed`, 4 `Coordinator` (see `tests/bully.rs`).

use crate::algorithms::ranked::{Preemption, Strategy};
use crate::config::AlgorithmOptions;
use crate::context::Context;
use crate::peers::PeerSet;

/// Options of the Bully algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct BullyOptions {
    /// When a node challenges a healthy leader ranked below it.
    pub preemption: Preemption,
}

impl BullyOptions {
    /// Classic Bully: a higher-ranked node takes over as soon as it is up.
    pub const CLASSIC: BullyOptions = BullyOptions {
        preemption: Preemption::Immediate,
    };

    /// Bully with the given preemption rule.
    pub const fn new(preemption: Preemption) -> BullyOptions {
        BullyOptions { preemption }
    }
}

/// Every value is valid.
impl AlgorithmOptions for BullyOptions {}

impl Default for BullyOptions {
    fn default() -> Self {
        BullyOptions::CLASSIC
    }
}

/// Bully's addition to the rank-based rules: a new leader announces itself only to the
/// members ranked below it (those above it would take over if they were alive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Bully;

impl Strategy for Bully {
    fn audience<const N: usize>(&self, cx: &Context<N>) -> PeerSet {
        cx.peers_below()
    }
}
