//! What the engine tells its host about leadership, and how it derives those events.
//!
//! Events are not queued: the engine remembers what it last reported and, when polled,
//! compares that with its current state. No buffer can overflow, and a host that drains
//! after every input sees every change; a host that drains late sees the latest state.

use crate::config::NodeId;
use crate::wire::Term;

/// A node's part in its election group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// Follows a leader, or waits to hear one.
    Follower,
    /// Takes part in an election that has not concluded.
    Candidate,
    /// Leads the group.
    Leader,
}

/// A change of leadership, reported by [`Engine::poll_event`](crate::Engine::poll_event).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Event {
    /// This node stopped leading in `term` (it follows another leader, or leads again in a
    /// newer term). Side effects fenced with `term` must stop.
    SteppedDown {
        /// The term it led in.
        term: Term,
    },
    /// The known leader or its term changed; `leader` is `None` while none is known.
    LeaderChanged {
        /// The new leader, if one is known.
        leader: Option<NodeId>,
        /// The leader's term (the epoch for rank-based algorithms).
        term: Term,
    },
    /// This node became leader in `term`: `term` is its fencing token.
    BecameLeader {
        /// The term it leads in.
        term: Term,
    },
}

/// The leadership state as last reported to the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Reported {
    leader: Option<NodeId>,
    term: Term,
    leading: bool,
}

/// The leadership state now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Leadership {
    pub(crate) leader: Option<NodeId>,
    pub(crate) term: Term,
    pub(crate) leading: bool,
}

impl Reported {
    /// Nothing known: no leader, term 0, not leading.
    pub(crate) const INITIAL: Reported = Reported {
        leader: None,
        term: Term(0),
        leading: false,
    };

    /// The next event that brings the report up to date with `now`, in the order
    /// `SteppedDown`, `LeaderChanged`, `BecameLeader`.
    pub(crate) fn next_event(&mut self, now: Leadership) -> Option<Event> {
        if self.leading && (!now.leading || now.term != self.term) {
            self.leading = false;
            return Some(Event::SteppedDown { term: self.term });
        }
        if (self.leader, self.term) != (now.leader, now.term) {
            self.leader = now.leader;
            self.term = now.term;
            return Some(Event::LeaderChanged {
                leader: now.leader,
                term: now.term,
            });
        }
        if now.leading && !self.leading {
            self.leading = true;
            return Some(Event::BecameLeader { term: now.term });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(reported: &mut Reported, now: Leadership) -> heapless::Vec<Event, 4> {
        core::iter::from_fn(|| reported.next_event(now)).collect()
    }

    #[test]
    fn becoming_leader_then_following_another() {
        let me = NodeId(1);
        let mut reported = Reported::INITIAL;
        let leading = Leadership {
            leader: Some(me),
            term: Term(3),
            leading: true,
        };
        assert_eq!(
            drain(&mut reported, leading).as_slice(),
            [
                Event::LeaderChanged {
                    leader: Some(me),
                    term: Term(3)
                },
                Event::BecameLeader { term: Term(3) }
            ]
        );
        let following = Leadership {
            leader: Some(NodeId(2)),
            term: Term(4),
            leading: false,
        };
        assert_eq!(
            drain(&mut reported, following).as_slice(),
            [
                Event::SteppedDown { term: Term(3) },
                Event::LeaderChanged {
                    leader: Some(NodeId(2)),
                    term: Term(4)
                }
            ]
        );
        assert!(drain(&mut reported, following).is_empty());
    }

    #[test]
    fn leading_again_in_a_newer_term_ends_the_old_term_first() {
        let me = NodeId(1);
        let mut reported = Reported::INITIAL;
        drain(
            &mut reported,
            Leadership {
                leader: Some(me),
                term: Term(1),
                leading: true,
            },
        );
        assert_eq!(
            drain(
                &mut reported,
                Leadership {
                    leader: Some(me),
                    term: Term(2),
                    leading: true
                }
            )
            .as_slice(),
            [
                Event::SteppedDown { term: Term(1) },
                Event::LeaderChanged {
                    leader: Some(me),
                    term: Term(2)
                },
                Event::BecameLeader { term: Term(2) }
            ]
        );
    }
}
