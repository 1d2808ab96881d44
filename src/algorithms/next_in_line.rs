//! Next-in-line failover (Petrov, *Database Internals*, ch. 10), a Bully variant. **Safety class: split brain
//! possible.**
//!
//! The leader publishes, in every heartbeat and announcement, an ordered list of up to
//! [`MAX_SUCCESSORS`](crate::MAX_SUCCESSORS) successors: the members ranked just below
//! it, best first. A node that suspects the leader sends `TakeOver` to the first
//! successor; that node leads at once and announces it to everyone (`Coordinator`), unless
//! it still hears the leader (the asker is cut off from a live leader: it declines, as in
//! rule 5 of [`ranked`](super::ranked)). A successor that does not announce within the
//! round-trip timeout is skipped for the next; a node that finds itself next in line leads.
//! When the list is exhausted, or the node never received one from the suspected leader (a
//! stale list), it falls back to a Bully election. Fewer steps than Bully: one request and
//! the announcement. These additions to the shared rules are [`NextInLine`], the strategy
//! the rank-based core consults.

use crate::algorithms::ranked::{Preemption, Step, Strategy};
use crate::config::{AlgorithmOptions, ConfigError, Member};
use crate::context::Context;
use crate::peers::PeerIndex;
use crate::wire::Successors;

/// Options of next-in-line failover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct NextInLineOptions {
    /// How many successors the leader publishes (at most
    /// [`MAX_SUCCESSORS`](crate::MAX_SUCCESSORS); more are refused with
    /// [`ConfigError::TooManySuccessors`](crate::ConfigError::TooManySuccessors)).
    pub successors: u8,
    /// When a node challenges a healthy leader ranked below it (as in Bully).
    pub preemption: Preemption,
}

impl NextInLineOptions {
    /// Three successors, immediate preemption.
    pub const DEFAULT: NextInLineOptions = NextInLineOptions {
        successors: 3,
        preemption: Preemption::Immediate,
    };

    /// Options with `successors` published successors and the given preemption rule.
    pub const fn new(successors: u8, preemption: Preemption) -> NextInLineOptions {
        NextInLineOptions {
            successors,
            preemption,
        }
    }
}

impl AlgorithmOptions for NextInLineOptions {
    /// No more successors than a message carries.
    fn validate_without_timing(&self, _members: &[Member]) -> Result<(), ConfigError> {
        if usize::from(self.successors) > crate::MAX_SUCCESSORS {
            return Err(ConfigError::TooManySuccessors);
        }
        Ok(())
    }
}

impl Default for NextInLineOptions {
    fn default() -> Self {
        NextInLineOptions::DEFAULT
    }
}

/// Next-in-line's addition to the rank-based rules: the successor list a leader publishes,
/// and the one this node last heard from the leader it follows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct NextInLine {
    /// How many successors this node publishes while it leads.
    publish: usize,
    /// The successors published by the leader this node follows, best first.
    successors: Successors,
}

impl NextInLine {
    /// The strategy of a node with `options` that has heard no successor list yet.
    pub(crate) fn new(options: NextInLineOptions) -> NextInLine {
        NextInLine {
            publish: usize::from(options.successors),
            successors: Successors::new(),
        }
    }

    /// The successor at `position` or later in the suspected leader's list, skipping the
    /// suspect and non-members: lead if it is this node, else ask it to take over; when
    /// the list is exhausted, forget it and fall back to Bully.
    fn try_successor<const N: usize>(
        &mut self,
        cx: &Context<N>,
        suspect: Option<PeerIndex>,
        position: usize,
    ) -> Step {
        let suspect = suspect.map(|peer| cx.id_of(peer));
        let next = self
            .successors
            .iter()
            .enumerate()
            .skip(position)
            .find(|&(_, &id)| Some(id) != suspect && cx.index_of(id).is_some());
        match next.map(|(at, &id)| (at, cx.index_of(id))) {
            Some((_, Some(peer))) if peer == cx.me() => Step::Lead,
            Some((position, Some(peer))) => Step::AskToTakeOver { position, peer },
            _ => {
                self.successors.clear();
                Step::Elect
            }
        }
    }
}

impl Strategy for NextInLine {
    /// The members ranked just below this leader, best first.
    fn successors_to_publish<const N: usize>(&self, cx: &Context<N>) -> Successors {
        let mut list = Successors::new();
        let mut below = cx.peers_below();
        while list.len() < self.publish {
            let Some(best) = cx.highest(below) else {
                break;
            };
            if list.push(cx.id_of(best)).is_err() {
                break;
            }
            below.remove(best);
        }
        list
    }

    fn leader_published(&mut self, successors: &Successors) {
        self.successors.clone_from(successors);
    }

    fn leader_replaced(&mut self) {
        self.successors.clear();
    }

    /// Asks the first successor in the suspect's list, if this node has one from it.
    fn leader_silent<const N: usize>(
        &mut self,
        cx: &Context<N>,
        suspect: Option<PeerIndex>,
    ) -> Step {
        if !self.successors.is_empty() && suspect.is_some() {
            self.try_successor(cx, suspect, 0)
        } else {
            Step::Elect
        }
    }

    /// Asks the next successor in the list.
    fn successor_silent<const N: usize>(
        &mut self,
        cx: &Context<N>,
        suspect: Option<PeerIndex>,
        position: usize,
    ) -> Step {
        self.try_successor(cx, suspect, position + 1)
    }
}
