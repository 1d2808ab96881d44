//! One group's election state, in the caller's storage: a fixed-size slot per group.

use serde::{Deserialize, Serialize};

use crate::config::NodeId;
use crate::event::Role;
use crate::time::Instant;
use crate::wire::Term;

/// "No group", "no node", "no position": the empty value of every `u8`/`u16` index.
pub(crate) const NONE: u16 = u16::MAX;
/// No node index.
pub(crate) const NO_NODE: u8 = u8::MAX;

/// The most members a group of a multi-group node can have.
pub const MAX_GROUP_MEMBERS: usize = 8;

/// Where a group stands with the host's storage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) enum Durable {
    /// Everything this group sent depended on is written.
    #[default]
    Written,
    /// Changed, waiting in the list for the next batch.
    Dirty,
    /// Handed to the host in the batch in flight.
    InFlight,
    /// Handed in the batch in flight, and changed again since.
    InFlightDirty,
}

/// A group's role, as stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) enum Standing {
    /// No group in this slot.
    #[default]
    Unused,
    Follower,
    /// Asking for pre-votes for term + 1.
    PreCandidate,
    /// Asking for votes in its term.
    Candidate,
    Leader,
}

/// One group's slot: what the node knows and decided about the group. Opaque to hosts,
/// who only provide the storage (`[GroupSlot::EMPTY; G]`, or a `Vec`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GroupSlot {
    /// The members, as indices into the node set, in the order the host gave them.
    pub(crate) members: [u8; MAX_GROUP_MEMBERS],
    pub(crate) member_count: u8,
    /// This node's position among the members.
    pub(crate) own_position: u8,
    /// The position of the member that should lead when it is healthy.
    pub(crate) preferred: u8,
    pub(crate) standing: Standing,
    /// Positions of members that never stand, one bit each.
    pub(crate) ordinary: u8,
    /// The leader this node follows (a node index), or `NO_NODE`.
    pub(crate) leader: u8,
    /// Whom this node voted for in `term` (a node index), or `NO_NODE`.
    pub(crate) voted_for: u8,
    /// Pre-votes or votes granted in the current round, by member position.
    pub(crate) grants: u8,
    /// Leader: members that acknowledged this term's leadership, by member position.
    pub(crate) acked: u8,
    pub(crate) durable: Durable,
    /// Whether the group waits in the event list.
    pub(crate) event_pending: bool,
    pub(crate) term: Term,
    /// The current pre-vote attempt.
    pub(crate) round: u32,
    /// When the group's timer fires, if `heap_position` is not `NONE`.
    pub(crate) deadline: Instant,
    pub(crate) heap_position: u16,
    /// The group at the heap position equal to this slot's index.
    pub(crate) heap_entry: u16,
    /// The next group in the persistence list.
    pub(crate) next_durable: u16,
    /// The next group in the event list.
    pub(crate) next_event: u16,
}

impl GroupSlot {
    /// An empty slot: the value to fill a group storage with.
    pub const EMPTY: GroupSlot = GroupSlot {
        members: [NO_NODE; MAX_GROUP_MEMBERS],
        member_count: 0,
        own_position: 0,
        preferred: 0,
        standing: Standing::Unused,
        ordinary: 0,
        leader: NO_NODE,
        voted_for: NO_NODE,
        grants: 0,
        acked: 0,
        durable: Durable::Written,
        event_pending: false,
        term: Term(0),
        round: 0,
        deadline: Instant::from_millis(0),
        heap_position: NONE,
        heap_entry: NONE,
        next_durable: NONE,
        next_event: NONE,
    };

    /// The members' node indices.
    pub(crate) fn members(&self) -> &[u8] {
        self.members
            .get(..usize::from(self.member_count))
            .unwrap_or(&[])
    }

    /// The position of node `node` among the members.
    pub(crate) fn position_of(&self, node: u8) -> Option<u8> {
        self.members()
            .iter()
            .position(|&m| m == node)
            .map(|p| p as u8)
    }

    /// How many members make a majority.
    pub(crate) fn majority(&self) -> u32 {
        u32::from(self.member_count) / 2 + 1
    }

    pub(crate) fn in_use(&self) -> bool {
        self.standing != Standing::Unused
    }

    /// The role reported to hosts.
    pub(crate) fn role(&self) -> Role {
        match self.standing {
            Standing::Leader => Role::Leader,
            Standing::PreCandidate | Standing::Candidate => Role::Candidate,
            Standing::Unused | Standing::Follower => Role::Follower,
        }
    }
}

/// What a restart needs of one group: its term and the vote it cast in that term. The
/// host writes a batch of these ([`MultiGroupNode::poll_persist`]) before the messages
/// that depend on them leave, and hands them back to
/// [`MultiGroupNode::restore_group`] after a restart.
///
/// [`MultiGroupNode::poll_persist`]: super::MultiGroupNode::poll_persist
/// [`MultiGroupNode::restore_group`]: super::MultiGroupNode::restore_group
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GroupRecord {
    /// The group's index.
    pub group: u16,
    /// Its term.
    pub term: Term,
    /// The node this node voted for in `term`.
    pub voted_for: Option<NodeId>,
}

/// A change in one group, reported by [`MultiGroupNode::poll_event`]: the group's state
/// when the event is polled (several changes between two polls are reported once).
///
/// [`MultiGroupNode::poll_event`]: super::MultiGroupNode::poll_event
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GroupEvent {
    /// The group's index.
    pub group: u16,
    /// This node's role in it now.
    pub role: Role,
    /// The leader this node follows now (itself when leading).
    pub leader: Option<NodeId>,
    /// The group's term now.
    pub term: Term,
}
