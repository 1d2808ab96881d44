//! What the engine tells its host about leadership, and how it derives those events.
//!
//! Events are not queued: the engine remembers what it last reported and, when polled,
//! compares that with its current state. No buffer can overflow, and a host that drains
//! after every input sees every change; a host that drains late sees the latest state.

use core::fmt;

use crate::config::NodeId;
use crate::wire::Term;

/// A node's part in its election group.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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

/// Why the leadership changed: carried by [`Event::SteppedDown`] and
/// [`Event::LeaderChanged`], and traced with the `log` and `defmt` features.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cause {
    /// The node started, or restarted, and knows no leader yet.
    Started,
    /// The leader's heartbeats stopped: a failure timeout (quorum: an election timeout)
    /// passed without one, so this node looks for a new leader.
    LeaderSilent,
    /// A message from `from` carried a newer term or epoch.
    NewerTerm {
        /// The sender.
        from: NodeId,
    },
    /// A message from `from` started or continued an election (a rank-based election
    /// call, a ring token, an invitation, a vote request).
    ElectionCalled {
        /// The sender.
        by: NodeId,
    },
    /// `from` leads: its announcement, heartbeat or election result arrived.
    LeaderHeard {
        /// The leader.
        from: NodeId,
    },
    /// This node won the election (or, for the rank-based algorithms, no higher-ranked
    /// member answered).
    Elected,
    /// A higher-ranked member leads or is alive, so this node gives way to it.
    Outranked {
        /// The higher-ranked member.
        by: NodeId,
    },
    /// Check-quorum: no majority acknowledged this leader's heartbeats within the
    /// election timeout, so it stopped leading.
    CheckQuorumFailed,
    /// Another node leads the same term (volatile mode, after a restart forgot a vote):
    /// this node stepped down and moves to a newer term.
    RivalLeader {
        /// The other leader.
        node: NodeId,
    },
    /// The host handed leadership to `to`.
    TransferRequested {
        /// The member leadership is handed to.
        to: NodeId,
    },
    /// The leader `from` handed leadership to this node.
    HandedOver {
        /// The former leader.
        from: NodeId,
    },
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Started => f.write_str("started"),
            Cause::LeaderSilent => f.write_str("the leader's heartbeats stopped"),
            Cause::NewerTerm { from } => write!(f, "a newer term from {from}"),
            Cause::ElectionCalled { by } => write!(f, "{by} called an election"),
            Cause::LeaderHeard { from } => write!(f, "{from} leads"),
            Cause::Elected => f.write_str("won the election"),
            Cause::Outranked { by } => write!(f, "outranked by {by}"),
            Cause::CheckQuorumFailed => f.write_str("check-quorum failed"),
            Cause::RivalLeader { node } => write!(f, "{node} leads the same term"),
            Cause::TransferRequested { to } => write!(f, "leadership handed to {to}"),
            Cause::HandedOver { from } => write!(f, "{from} handed leadership over"),
        }
    }
}

/// A change of leadership, reported by [`Engine::poll_event`](crate::Engine::poll_event).
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Event {
    /// This node stopped leading in `term` (it follows another leader, or leads again in a
    /// newer term). Side effects fenced with `term` must stop.
    SteppedDown {
        /// The term it led in.
        term: Term,
        /// Why it stopped leading.
        cause: Cause,
    },
    /// The known leader or its term changed; `leader` is `None` while none is known.
    LeaderChanged {
        /// The new leader, if one is known.
        leader: Option<NodeId>,
        /// The leader's term (the epoch for rank-based algorithms).
        term: Term,
        /// Why it changed (the latest reason, if several changes happened since the last
        /// event was taken).
        cause: Cause,
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
    /// Why the leader, term or role last changed.
    pub(crate) cause: Cause,
    /// Why this node last stopped leading.
    pub(crate) stepped_down: Cause,
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
            return Some(Event::SteppedDown {
                term: self.term,
                cause: now.stepped_down,
            });
        }
        if (self.leader, self.term) != (now.leader, now.term) {
            self.leader = now.leader;
            self.term = now.term;
            return Some(Event::LeaderChanged {
                leader: now.leader,
                term: now.term,
                cause: now.cause,
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
            cause: Cause::Elected,
            stepped_down: Cause::LeaderSilent,
        };
        assert_eq!(
            drain(&mut reported, leading).as_slice(),
            [
                Event::LeaderChanged {
                    leader: Some(me),
                    term: Term(3),
                    cause: Cause::Elected
                },
                Event::BecameLeader { term: Term(3) }
            ]
        );
        let following = Leadership {
            leader: Some(NodeId(2)),
            term: Term(4),
            leading: false,
            cause: Cause::Elected,
            stepped_down: Cause::LeaderSilent,
        };
        assert_eq!(
            drain(&mut reported, following).as_slice(),
            [
                Event::SteppedDown {
                    term: Term(3),
                    cause: Cause::LeaderSilent
                },
                Event::LeaderChanged {
                    leader: Some(NodeId(2)),
                    term: Term(4),
                    cause: Cause::Elected
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
                cause: Cause::Elected,
                stepped_down: Cause::LeaderSilent,
            },
        );
        assert_eq!(
            drain(
                &mut reported,
                Leadership {
                    leader: Some(me),
                    term: Term(2),
                    leading: true,
                    cause: Cause::Elected,
                    stepped_down: Cause::LeaderSilent,
                }
            )
            .as_slice(),
            [
                Event::SteppedDown {
                    term: Term(1),
                    cause: Cause::LeaderSilent
                },
                Event::LeaderChanged {
                    leader: Some(me),
                    term: Term(2),
                    cause: Cause::Elected
                },
                Event::BecameLeader { term: Term(2) }
            ]
        );
    }
}
