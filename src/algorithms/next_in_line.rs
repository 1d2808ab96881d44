//! Next-in-line failover (Petrov, *Database Internals*, ch. 10), a Bully variant. **Safety class: split brain
//! possible.**
//!
//! The leader publishes, in every heartbeat and announcement, an ordered list of up to
//! [`MAX_SUCCESSORS`](crate::MAX_SUCCESSORS) successors: the members ranked just below
//! it, best first. A node that suspects the leader sends `TakeOver` to the first
//! successor; that node leads at once and announces it to everyone (`Coordinator`), unless
//! it still hears the leader (the asker is cut off from a live leader: it declines, as in
//! rule 5 of [`crate::algorithms::ranked`]). A successor that does not announce within the round-trip
//! timeout is skipped for the next; a node that finds itself next in line leads. When the
//! list is exhausted, or the node never received one from the suspected leader (a stale
//! list), it falls back to a Bully election. Fewer steps than Bully: one request and the
//! announcement.

use crate::algorithms::ranked::{Preemption, Ranked};
use crate::context::Context;
use crate::wire::{Kind, Successors};

/// Options of next-in-line failover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct NextInLineOptions {
    /// How many successors the leader publishes (at most
    /// [`MAX_SUCCESSORS`](crate::MAX_SUCCESSORS); more are not published).
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

impl Default for NextInLineOptions {
    fn default() -> Self {
        NextInLineOptions::DEFAULT
    }
}

/// The successors a leader publishes: the `count` members ranked just below it, best
/// first.
pub(crate) fn successors_of<const N: usize>(cx: &Context<N>, count: usize) -> Successors {
    let mut list = Successors::new();
    let mut below = cx.peers_below();
    while list.len() < count {
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

/// Asks the successor at `position` or later in the suspected leader's list to take over,
/// skipping the suspect; leads if this node comes first; falls back to Bully when the list
/// is exhausted.
pub(crate) fn try_successor<const N: usize>(
    ranked: &mut Ranked,
    cx: &mut Context<N>,
    position: usize,
) {
    let suspect = ranked.suspect().map(|peer| cx.id_of(peer));
    let next = ranked
        .successors()
        .iter()
        .enumerate()
        .skip(position)
        .find(|&(_, &id)| Some(id) != suspect && cx.index_of(id).is_some());
    match next.map(|(at, &id)| (at, cx.index_of(id))) {
        Some((_, Some(peer))) if peer == cx.me() => {
            let audience = cx.peers();
            ranked.lead(cx, audience);
        }
        Some((at, Some(peer))) => {
            ranked.await_successor(cx, at);
            cx.send(peer, Kind::TakeOver);
        }
        _ => {
            ranked.forget_successors();
            ranked.start_election(cx);
        }
    }
}
