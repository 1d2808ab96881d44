//! Partitioned leadership: one node runs many quorum election groups (one per data
//! partition) over one transport, with liveness kept per pair of nodes rather than per
//! group. **Safety class: at most one leader per term in every group, and never two valid
//! leases of one group at the same instant**, under the same assumptions as quorum
//! election (the host persists what it is handed before sending what depends on it;
//! datagrams come from the node they name; clocks drift from real time by at most ρ).
//!
//! The groups' election rules are Raft's (Ongaro and Ousterhout, 2014), with pre-vote and
//! stickiness (Ongaro's thesis, §9.6); what changes is where the evidence of a live leader
//! comes from. Instead of per-group heartbeats, every datagram between two nodes is a
//! *bundle*: node-level liveness fields (the sender's clock, an echo of the newest clock
//! value it received from the receiver, its session and an epoch) followed by items of
//! any number of groups. A node sends each other node at least one bundle per heartbeat
//! interval `H` — one, when nothing else happens — whatever the number of groups. Idle
//! groups send nothing of their own, and an idle node's timers do not visit them: the
//! group deadlines live in a heap, the node-level deadlines are per peer.
//!
//! Rules, for a node `p`, a peer `q` and a group `g` with election timeout `T`:
//!
//! 1. **Liveness.** `q` is *alive* at `p` while `p` heard a bundle from `q` less than `T`
//!    ago. When `q` stops being alive, every group in which `p` follows `q` loses its
//!    leader at `p` and `p` arms that group's election timer; when `q`'s session changes
//!    (a restart), the same happens at once.
//! 2. **Stickiness.** `p` grants no pre-vote and no vote in `g` while it leads `g`, while it
//!    follows a leader of `g` that is alive at `p` (unless the request comes from that
//!    leader), and for `T` after its own start.
//! 3. **Elections.** When `g`'s timer fires and `p` follows no live leader, `p` asks the
//!    members for pre-votes for term + 1; with a majority (itself included) it increments
//!    its term, votes for itself and asks for votes; with a majority of votes it leads and
//!    sends `Lead` to the members, who follow it and answer `LeadAck`. Terms, one vote per
//!    term and adoption of newer terms are Raft's.
//! 4. **Support.** Every bundle from `q` to `p` carries the newest send time `s` (on
//!    `p`'s clock, and naming `p`'s session: an echo of an earlier run of `p` counts for
//!    nothing) of a bundle `q` received from `p`. `q` received it after `s`, and so,
//!    in every group in which it follows `p`, refuses votes until `T` of its clock after
//!    that: `p` holds `q`'s support until `s + L`, `L = T(1−ρ)/(1+ρ)`, the lease duration
//!    of single-group quorum election with the same drift argument.
//! 5. **Which groups a support covers: epochs.** `q` counts how often it stopped following
//!    `p` in a group (its *epoch* towards `p`) and tells `p` which groups with `Unfollow`
//!    items, sent before any other item; every bundle carries the epoch after its own
//!    items. `p` credits `q`'s `LeadAck` of `g` and `q`'s echoes only while the epochs add
//!    up; on a gap (a lost bundle, a partition, a full lane) it forgets every
//!    acknowledgement of `q` and asks again. A bundle that cannot carry all pending
//!    `Unfollow` items carries no echo.
//! 6. **Lease and check-quorum.** `p`'s lease of `g` runs until the time at which fewer
//!    than a majority of `g`'s members (itself included) would still support it: the
//!    majority-th latest `support_until` among the members that acknowledged its term. When
//!    a peer's support lapses, `p` steps down in every group it leads that no longer has a
//!    majority; a new leader that has no majority of acknowledgements `T` after its
//!    election steps down too. The term is the fencing token.
//! 7. **Why two leases never overlap.** A leader's lease counts a member only while that
//!    member follows it (rule 5) and is sticky (rules 2 and 4); a rival's election needs
//!    votes from a majority of non-sticky members, and every two majorities share a
//!    member. A restart makes a node sticky for `T`, which covers what it acknowledged
//!    before it; its peers forget its acknowledgements when they see its new session.
//! 8. **Durable state.** A change of term or vote marks the group for the next batch of
//!    [`GroupRecord`]s ([`MultiGroupNode::poll_persist`]); nothing the group says leaves
//!    before the host confirms the batch.
//! 9. **Leadership spread.** Group `g` prefers its member of position `g mod r` (or the
//!    one its [`GroupOptions`] name). After a failure, members campaign in preference order
//!    (each later one waits `T/4` more), so leadership leaves a failed node for the next
//!    preferred member at once. A leader hands a group back to its preferred member
//!    (`Resign` to the members, `TimeoutNow` to the target) once that member has been
//!    alive for `T`, at most [`MultiGroupConfig::with_transfers_per_interval`] groups per
//!    interval, so a recovered node takes its share back gradually. Safety never depends
//!    on it: a transfer is a resignation followed by an ordinary election.
//!
//! Costs: an idle interval is one bundle per peer (`O(N)` work); a call's group work is
//! proportional to the groups that are due (timers fired, items received). A peer's
//! failure, recovery, restart or epoch gap is handled by one pass over the groups.
//!
//! Envelopes: plain (wire version 5), with a CRC-32 (6, the default with the `checksum`
//! feature), or authenticated (7, [`MultiGroupConfig::with_authentication`]): a key id and
//! a freshness value after the header, a MAC over the whole datagram, and the replay
//! windows and challenge–response of single-group authentication, per peer. Without
//! authentication every promise assumes that datagrams come from the node they name.
//!
//! A host's loop, for one node (storage from the caller; here on the heap, in firmware a
//! `static`):
//!
//! ```
//! use bellwether::multigroup::{
//!     GroupOptions, GroupRecord, GroupSlot, MultiGroupConfig, MultiGroupNode, QueuedItem,
//! };
//! use bellwether::{GroupId, Instant, NodeId};
//!
//! let nodes = [NodeId(1), NodeId(2), NodeId(3), NodeId(4), NodeId(5)];
//! let config = MultiGroupConfig::<8>::new(NodeId(1), &nodes, GroupId(7))?;
//! let mut slots = vec![GroupSlot::EMPTY; 1000];
//! let mut queue = vec![QueuedItem::EMPTY; 3 * 1000];
//! let now = Instant::from_millis(0);
//! let mut node = MultiGroupNode::new(config, &mut slots, &mut queue, now)?;
//! // Group g on nodes g mod 5 .. (g + 2) mod 5: this node holds 600 of them.
//! for g in 0..1000u16 {
//!     let members: Vec<NodeId> = (0..3).map(|k| nodes[(usize::from(g) + k) % 5]).collect();
//!     if members.contains(&NodeId(1)) {
//!         node.add_group(now, g, &members, GroupOptions::DEFAULT)?;
//!     }
//! }
//! // After every input (`handle_bytes`, `handle_timeout`): persist, send, report.
//! let mut records = [GroupRecord::default(); 64];
//! while node.poll_persist(&mut records) > 0 {
//!     // Write the batch durably, then:
//!     node.confirm_persisted();
//! }
//! let mut buf = [0u8; 1200];
//! while let Some(transmit) = node.poll_transmit(now, &mut buf)? {
//!     // Send buf[..transmit.len] to transmit.to.
//! }
//! while let Some(event) = node.poll_event() {
//!     println!("group {} led by {:?}", event.group, event.leader);
//! }
//! let _sleep_until = node.poll_timeout();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bundle;
mod config;
mod election;
mod group;
mod link;
mod liveness;
mod schedule;
#[cfg(feature = "authentication")]
mod seal;
mod sending;
mod spread;

use core::fmt;

use heapless::Vec;

use crate::config::{GroupId, NodeId};
use crate::engine::{ReceiveError, Transmit};
use crate::event::Role;
#[cfg(feature = "authentication")]
use crate::peers::PeerIndex;
use crate::protection::{Authenticator, Statistics, Unauthenticated};
#[cfg(feature = "authentication")]
use crate::protection::{FreshnessGuard, FreshnessRefusal, KeyId, TagLength, VerifyError};
use crate::rand::Rng;
use crate::time::{Duration, Instant};
use crate::wire::{DecodeError, Destination, EncodeError, Term};

#[cfg(feature = "authentication")]
use bundle::Seal;
pub use bundle::{
    AUTHENTICATED_BUNDLE_WIRE_VERSION, BUNDLE_WIRE_VERSION, CHECKSUM_BUNDLE_WIRE_VERSION,
};
use bundle::{Bundle, BundleWriter, Envelope, Header, Item, ItemKind};
use group::{Durable, NO_NODE, NONE, Standing};
pub use group::{GroupEvent, GroupRecord, GroupSlot, MAX_GROUP_MEMBERS};
use link::PeerLink;
pub use link::QueuedItem;
use schedule::Schedule;

pub use config::{
    GroupOptions, MAX_GROUPS, MAX_NODES, MIN_DATAGRAM_SIZE, MultiGroupConfig, MultiGroupError,
};

/// Counters of a multi-group node: datagrams by outcome, and items.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct MultiGroupStatistics {
    /// Datagrams received, by outcome, and sent.
    pub datagrams: Statistics,
    /// Items sent.
    pub items_sent: u32,
    /// Items received and applied.
    pub items_received: u32,
    /// Items received for a group this node does not hold, or from a non-member.
    pub items_ignored: u32,
    /// Items dropped because a peer's queue was full (the protocol retries, as after a
    /// lost datagram).
    pub items_dropped: u32,
    /// Transfers made to spread leadership.
    pub transfers: u32,
}

/// Spreading leadership back to preferred members: a bounded sweep per interval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
struct Rebalance {
    pending: bool,
    cursor: usize,
    /// Whether the sweep under way found a group to hand over.
    found: bool,
    /// Groups looked at in the sweep under way.
    swept: usize,
    next_tick: Instant,
}

/// A singly linked list of groups through one of the slots' link fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct GroupList {
    head: u16,
    tail: u16,
}

impl GroupList {
    const EMPTY: GroupList = GroupList {
        head: NONE,
        tail: NONE,
    };
}

/// A node running many quorum election groups over one transport, in storage the caller
/// provides: a slot per group ([`GroupSlot`], 48 bytes) and a queue of outbound items
/// ([`QueuedItem`]) shared evenly between the peers. `N` bounds the node set.
///
/// The calls follow the engine's pattern: inputs ([`handle_bytes`], [`handle_timeout`]),
/// commands ([`add_group`], [`transfer_leadership`]), then outputs to drain after every
/// input: [`poll_persist`] (write the batch, then [`confirm_persisted`]),
/// [`poll_transmit`] until `None`, [`poll_event`] until `None`, and finally
/// [`poll_timeout`] for when to call again.
///
/// [`handle_bytes`]: MultiGroupNode::handle_bytes
/// [`handle_timeout`]: MultiGroupNode::handle_timeout
/// [`add_group`]: MultiGroupNode::add_group
/// [`transfer_leadership`]: MultiGroupNode::transfer_leadership
/// [`poll_persist`]: MultiGroupNode::poll_persist
/// [`confirm_persisted`]: MultiGroupNode::confirm_persisted
/// [`poll_transmit`]: MultiGroupNode::poll_transmit
/// [`poll_event`]: MultiGroupNode::poll_event
/// [`poll_timeout`]: MultiGroupNode::poll_timeout
#[derive(Debug)]
pub struct MultiGroupNode<'s, const N: usize, A = Unauthenticated> {
    config: MultiGroupConfig<N>,
    authenticator: A,
    /// This node's freshness and its peers' replay windows (authenticated mode).
    #[cfg(feature = "authentication")]
    freshness: FreshnessGuard<N>,
    groups: &'s mut [GroupSlot],
    queue: &'s mut [QueuedItem],
    peers: [PeerLink; N],
    schedule: Schedule,
    rng: Rng,
    started_at: Instant,
    dirty: GroupList,
    in_flight: GroupList,
    events: GroupList,
    rebalance: Rebalance,
    next_peer: usize,
    leading: usize,
    statistics: MultiGroupStatistics,
}

impl<'s, const N: usize> MultiGroupNode<'s, N> {
    /// A node that starts at `now` with no groups, using `groups` (one slot per group
    /// index, at most [`MAX_GROUPS`]) and `queue` (at least one entry per peer; three per
    /// group is ample) as its storage. Both are overwritten.
    pub fn new(
        config: MultiGroupConfig<N>,
        groups: &'s mut [GroupSlot],
        queue: &'s mut [QueuedItem],
        now: Instant,
    ) -> Result<MultiGroupNode<'s, N>, MultiGroupError> {
        #[cfg(feature = "authentication")]
        if matches!(config.envelope, Envelope::Authenticated(_)) {
            return Err(MultiGroupError::NoAuthenticator);
        }
        MultiGroupNode::with_authenticator(config, groups, queue, now, Unauthenticated)
    }
}

impl<'s, const N: usize, A: Authenticator> MultiGroupNode<'s, N, A> {
    /// A node like [`MultiGroupNode::new`] whose datagrams `authenticator` signs and
    /// checks when the configuration asks for authentication.
    pub fn with_authenticator(
        config: MultiGroupConfig<N>,
        groups: &'s mut [GroupSlot],
        queue: &'s mut [QueuedItem],
        now: Instant,
        authenticator: A,
    ) -> Result<MultiGroupNode<'s, N, A>, MultiGroupError> {
        if groups.len() > MAX_GROUPS {
            return Err(MultiGroupError::NoSuchGroup(u16::MAX));
        }
        if queue.len() < config.nodes.len() {
            return Err(MultiGroupError::QueueStorage);
        }
        groups.fill(GroupSlot::EMPTY);
        let peers: [PeerLink; N] = core::array::from_fn(|_| PeerLink::default());
        let rng = Rng::new(config.seed ^ u64::from(config.id.0).rotate_left(32));
        Ok(MultiGroupNode {
            authenticator,
            #[cfg(feature = "authentication")]
            freshness: FreshnessGuard::new(config.incarnation),
            rebalance: Rebalance {
                next_tick: now + config.heartbeat_interval,
                ..Rebalance::default()
            },
            config,
            groups,
            queue,
            peers,
            schedule: Schedule::default(),
            rng,
            started_at: now,
            dirty: GroupList::EMPTY,
            in_flight: GroupList::EMPTY,
            events: GroupList::EMPTY,
            next_peer: 0,
            leading: 0,
            statistics: MultiGroupStatistics::default(),
        })
    }

    /// Ends the node and gives its storage back, to reuse for the next start.
    pub fn into_storage(self) -> (&'s mut [GroupSlot], &'s mut [QueuedItem]) {
        (self.groups, self.queue)
    }

    // ---- getters ----

    /// The configuration.
    pub fn config(&self) -> &MultiGroupConfig<N> {
        &self.config
    }

    /// How many group slots the storage holds.
    pub fn capacity(&self) -> usize {
        self.groups.len()
    }

    /// The authenticator.
    pub fn authenticator(&self) -> &A {
        &self.authenticator
    }

    /// The authenticator, to rotate keys.
    pub fn authenticator_mut(&mut self) -> &mut A {
        &mut self.authenticator
    }

    /// The counters.
    pub fn statistics(&self) -> MultiGroupStatistics {
        self.statistics
    }

    /// How many groups this node leads.
    pub fn leading(&self) -> usize {
        self.leading
    }

    /// This node's role in `group` (`None` if it holds no such group).
    pub fn role(&self, group: u16) -> Option<Role> {
        self.slot(group).map(GroupSlot::role)
    }

    /// The leader this node follows in `group` (itself when leading).
    pub fn leader(&self, group: u16) -> Option<NodeId> {
        self.slot(group).and_then(|slot| self.node_id(slot.leader))
    }

    /// `group`'s term at this node.
    pub fn term(&self, group: u16) -> Option<Term> {
        self.slot(group).map(|slot| slot.term)
    }

    /// Until when (this node's clock) this node's lease of `group` runs, if it leads it
    /// and a majority supports it: within it no other node leads `group` with a lease.
    /// The fencing token is the term.
    pub fn lease_until(&self, group: u16) -> Option<Instant> {
        let slot = self.slot(group)?;
        if slot.standing != Standing::Leader {
            return None;
        }
        let needed = slot.majority().saturating_sub(1);
        if needed == 0 {
            return Some(Instant::from_millis(u64::MAX));
        }
        let mut supports: Vec<Instant, MAX_GROUP_MEMBERS> = Vec::new();
        for (position, &member) in slot.members().iter().enumerate() {
            if slot.acked & (1 << position) == 0 || member == self.config.own_index {
                continue;
            }
            if let Some(until) = self.peer(member).and_then(|p| p.support_until) {
                let _ = supports.push(until);
            }
        }
        supports.sort_unstable_by(|a, b| b.cmp(a));
        supports.get(needed as usize - 1).copied()
    }

    /// Whether this node holds a valid lease of `group` at `now`.
    pub fn has_lease(&self, group: u16, now: Instant) -> bool {
        self.lease_until(group).is_some_and(|until| now < until)
    }

    /// Whether `node` was heard within the election timeout, as last evaluated.
    pub fn is_alive(&self, node: NodeId) -> bool {
        node == self.config.id
            || self
                .index_of(node)
                .and_then(|i| self.peer(i))
                .is_some_and(|p| p.alive)
    }

    // ---- commands ----

    /// Adds group `group` with `members` (ids from the node set, this node among them;
    /// the same list, in the same order, on every member). Its first election waits for
    /// the election timeout, so that leaders already elected are heard first.
    pub fn add_group(
        &mut self,
        now: Instant,
        group: u16,
        members: &[NodeId],
        options: GroupOptions,
    ) -> Result<(), MultiGroupError> {
        let slot = self
            .groups
            .get(usize::from(group))
            .ok_or(MultiGroupError::NoSuchGroup(group))?;
        if slot.in_use() {
            return Err(MultiGroupError::GroupInUse(group));
        }
        if members.is_empty() || members.len() > MAX_GROUP_MEMBERS {
            return Err(MultiGroupError::GroupSize);
        }
        let mut indices = [NO_NODE; MAX_GROUP_MEMBERS];
        for (i, member) in members.iter().enumerate() {
            if members
                .get(..i)
                .is_some_and(|before| before.contains(member))
            {
                return Err(MultiGroupError::DuplicateNode(*member));
            }
            let index = self
                .index_of(*member)
                .ok_or(MultiGroupError::UnknownNode(*member))?;
            if let Some(entry) = indices.get_mut(i) {
                *entry = index;
            }
        }
        let own_position = members
            .iter()
            .position(|&m| m == self.config.id)
            .ok_or(MultiGroupError::NotAMember(self.config.id))?;
        let count = members.len() as u8;
        let preferred = match options.preferred {
            Some(position) if position >= count => {
                return Err(MultiGroupError::Preferred(position));
            }
            Some(position) => position,
            None => (group % u16::from(count)) as u8,
        };
        let all = if count >= 8 {
            u8::MAX
        } else {
            (1u8 << count) - 1
        };
        if options.ordinary & !all != 0 || options.ordinary == all {
            return Err(MultiGroupError::Ordinary);
        }
        if options.ordinary & (1 << preferred) != 0 {
            return Err(MultiGroupError::Preferred(preferred));
        }
        let term = slot.term;
        let voted_for = slot.voted_for;
        // The slot's heap entry belongs to the schedule, not to the group.
        let heap_entry = slot.heap_entry;
        let Some(slot) = self.groups.get_mut(usize::from(group)) else {
            return Err(MultiGroupError::NoSuchGroup(group));
        };
        *slot = GroupSlot {
            members: indices,
            member_count: count,
            own_position: own_position as u8,
            preferred,
            standing: Standing::Follower,
            ordinary: options.ordinary,
            term,
            voted_for,
            heap_entry,
            ..GroupSlot::EMPTY
        };
        let delay = self.campaign_delay(group);
        let start = now.max(self.started_at + self.config.election_timeout);
        self.schedule.arm(self.groups, group, start + delay);
        Ok(())
    }

    /// Resumes `record`'s term and vote after a restart: call it before
    /// [`add_group`](Self::add_group) of the same group (or instead of nothing, for a
    /// group not yet added), before any input.
    pub fn restore_group(&mut self, record: &GroupRecord) -> Result<(), MultiGroupError> {
        let voted_for = match record.voted_for {
            Some(id) => self.index_of(id).ok_or(MultiGroupError::UnknownNode(id))?,
            None => NO_NODE,
        };
        let slot = self
            .groups
            .get_mut(usize::from(record.group))
            .ok_or(MultiGroupError::NoSuchGroup(record.group))?;
        if slot.in_use() {
            return Err(MultiGroupError::GroupInUse(record.group));
        }
        slot.term = record.term;
        slot.voted_for = voted_for;
        Ok(())
    }

    /// Hands `group`'s leadership to member `to` now: this node resigns and `to` stands at
    /// once. Automatic spreading does the same for preferred members.
    pub fn transfer_leadership(
        &mut self,
        now: Instant,
        group: u16,
        to: NodeId,
    ) -> Result<(), MultiGroupError> {
        let target = self.index_of(to).ok_or(MultiGroupError::UnknownNode(to))?;
        let slot = self
            .slot(group)
            .ok_or(MultiGroupError::NoSuchGroup(group))?;
        let ordinary = slot
            .position_of(target)
            .is_none_or(|position| slot.ordinary & (1 << position) != 0);
        if slot.standing != Standing::Leader
            || ordinary
            || target == self.config.own_index
            || !self.peer(target).is_some_and(|p| p.alive)
        {
            return Err(MultiGroupError::Transfer);
        }
        self.hand_over(now, group, target);
        Ok(())
    }

    // ---- inputs ----

    /// Handles one received datagram. Bad input (malformed, another envelope, another
    /// cluster, an unknown sender, misaddressed) is refused with a typed error and changes
    /// nothing but the counters; items for groups this node does not hold are skipped.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) -> Result<(), ReceiveError> {
        let result = self.receive(now, bytes);
        self.statistics.datagrams.count(&result);
        result
    }

    /// Handles the passage of time: node-level deadlines (liveness, support, spreading)
    /// and the groups' deadlines that are due. Spurious calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        for index in 0..self.config.nodes.len() {
            let index = index as u8;
            if index == self.config.own_index {
                continue;
            }
            let Some(peer) = self.peer(index) else {
                continue;
            };
            let timeout = self.config.election_timeout;
            if peer.alive && !peer.heard_within(now, timeout) {
                self.peer_down(now, index);
            }
            if self
                .peer(index)
                .and_then(|p| p.support_until)
                .is_some_and(|until| now >= until)
            {
                if let Some(peer) = self.peer_mut(index) {
                    peer.support_until = None;
                }
                self.check_support(now, index);
            }
        }
        if now >= self.rebalance.next_tick {
            self.rebalance.next_tick = now + self.config.heartbeat_interval;
            if self.rebalance.pending {
                self.spread(now);
            }
        }
        while let Some((at, group)) = self.schedule.next(self.groups) {
            if at > now {
                break;
            }
            self.schedule.disarm(self.groups, group);
            self.group_timer(now, group);
        }
    }

    /// Records that the host wrote the batch last handed out by
    /// [`poll_persist`](Self::poll_persist): what depended on it may now be sent.
    pub fn confirm_persisted(&mut self) {
        let mut next = self.in_flight.head;
        self.in_flight = GroupList::EMPTY;
        while next != NONE {
            let group = next;
            let Some(slot) = self.groups.get_mut(usize::from(group)) else {
                break;
            };
            next = slot.next_durable;
            slot.next_durable = NONE;
            match slot.durable {
                Durable::InFlightDirty => {
                    slot.durable = Durable::Dirty;
                    Self::append(self.groups, &mut self.dirty, group, Link::Durable);
                }
                _ => slot.durable = Durable::Written,
            }
        }
    }

    // ---- outputs ----

    /// Fills `out` with the next batch of records to persist, and returns how many: the
    /// host writes them all (in one write, in any order), then calls
    /// [`confirm_persisted`](Self::confirm_persisted). Returns 0 while a batch is in
    /// flight or nothing changed.
    pub fn poll_persist(&mut self, out: &mut [GroupRecord]) -> usize {
        if self.in_flight.head != NONE {
            return 0;
        }
        let mut count = 0;
        while let Some(record) = out.get_mut(count) {
            let group = self.dirty.head;
            if group == NONE {
                break;
            }
            let Some(slot) = self.groups.get_mut(usize::from(group)) else {
                break;
            };
            self.dirty.head = slot.next_durable;
            if self.dirty.head == NONE {
                self.dirty.tail = NONE;
            }
            slot.next_durable = NONE;
            slot.durable = Durable::InFlight;
            let voted_for = slot.voted_for;
            let term = slot.term;
            Self::append(self.groups, &mut self.in_flight, group, Link::Durable);
            *record = GroupRecord {
                group,
                term,
                voted_for: self.node_id(voted_for),
            };
            count += 1;
        }
        count
    }

    /// Writes the next datagram into `buf` (at most the configured datagram size) and
    /// says where it goes: everything due for one peer, coalesced. `None` when nothing
    /// is due.
    pub fn poll_transmit(
        &mut self,
        now: Instant,
        buf: &mut [u8],
    ) -> Result<Option<Transmit>, EncodeError> {
        let count = self.config.nodes.len();
        for offset in 0..count {
            let index = ((self.next_peer + offset) % count) as u8;
            if index == self.config.own_index || !self.ready(now, index) {
                continue;
            }
            self.next_peer = (usize::from(index) + 1) % count;
            let len = self.write_bundle(now, index, buf)?;
            self.statistics.datagrams.sent = self.statistics.datagrams.sent.saturating_add(1);
            let to = self.node_id(index).unwrap_or(self.config.id);
            return Ok(Some(Transmit {
                to: Destination::Node(to),
                len,
            }));
        }
        Ok(None)
    }

    /// The next group change to report.
    pub fn poll_event(&mut self) -> Option<GroupEvent> {
        let group = self.events.head;
        let slot = self.groups.get_mut(usize::from(group))?;
        self.events.head = slot.next_event;
        if self.events.head == NONE {
            self.events.tail = NONE;
        }
        slot.next_event = NONE;
        slot.event_pending = false;
        let (role, leader, term) = (slot.role(), slot.leader, slot.term);
        Some(GroupEvent {
            group,
            role,
            leader: self.node_id(leader),
            term,
        })
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next (also when to poll
    /// for a heartbeat).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut next = self.schedule.next(self.groups).map(|(at, _)| at);
        let mut consider = |at: Instant| next = Some(next.map_or(at, |n| n.min(at)));
        for (index, peer) in self.peers.iter().enumerate().take(self.config.nodes.len()) {
            if index == usize::from(self.config.own_index) {
                continue;
            }
            consider(
                peer.sent_at
                    .map_or(self.started_at, |at| at + self.config.heartbeat_interval),
            );
            if peer.alive
                && let Some(heard) = peer.heard_at
            {
                consider(heard + self.config.election_timeout);
            }
            if let Some(until) = peer.support_until {
                consider(until);
            }
        }
        if self.rebalance.pending {
            consider(self.rebalance.next_tick);
        }
        next
    }

    // ---- receiving ----

    fn receive(&mut self, now: Instant, bytes: &[u8]) -> Result<(), ReceiveError> {
        let own = self.config.envelope.version();
        let bundle = Bundle::decode(bytes, self.config.envelope).map_err(|error| {
            match (error, bytes.first()) {
                (
                    DecodeError::UnsupportedVersion(_)
                    | DecodeError::BadChecksum
                    | DecodeError::Truncated
                    | DecodeError::Malformed,
                    Some(
                        &v @ (BUNDLE_WIRE_VERSION
                        | CHECKSUM_BUNDLE_WIRE_VERSION
                        | AUTHENTICATED_BUNDLE_WIRE_VERSION),
                    ),
                ) if v != own => ReceiveError::WrongEnvelope(v),
                _ => ReceiveError::Decode(error),
            }
        })?;
        let header = bundle.header;
        if header.cluster != self.config.cluster {
            return Err(ReceiveError::WrongGroup(header.cluster));
        }
        if header.to != self.config.id {
            return Err(ReceiveError::Misaddressed(header.to));
        }
        if header.from == self.config.id {
            return Err(ReceiveError::FromSelf);
        }
        let from = self
            .index_of(header.from)
            .ok_or(ReceiveError::UnknownSender(header.from))?;
        #[cfg(feature = "authentication")]
        if let Some((seal, signed, tag)) = bundle.sealed {
            self.check_seal(from, &header, &seal, signed, tag)?;
        }
        let credit = self.apply_header(now, from, &header, &bundle);
        // Every item was checked by `decode`.
        for item in bundle.items().flatten() {
            self.apply_item(now, from, &item, credit);
        }
        Ok(())
    }

    // ---- helpers ----

    fn mark_dirty(&mut self, group: u16) {
        let Some(slot) = self.groups.get_mut(usize::from(group)) else {
            return;
        };
        match slot.durable {
            Durable::Written => {
                slot.durable = Durable::Dirty;
                Self::append(self.groups, &mut self.dirty, group, Link::Durable);
            }
            Durable::InFlight => slot.durable = Durable::InFlightDirty,
            Durable::Dirty | Durable::InFlightDirty => {}
        }
    }

    fn push_event(&mut self, group: u16) {
        let Some(slot) = self.groups.get_mut(usize::from(group)) else {
            return;
        };
        if !slot.event_pending {
            slot.event_pending = true;
            Self::append(self.groups, &mut self.events, group, Link::Event);
        }
    }

    fn append(groups: &mut [GroupSlot], list: &mut GroupList, group: u16, link: Link) {
        if let Some(tail) = groups.get_mut(usize::from(list.tail)) {
            match link {
                Link::Durable => tail.next_durable = group,
                Link::Event => tail.next_event = group,
            }
        } else {
            list.head = group;
        }
        list.tail = group;
    }

    fn slot(&self, group: u16) -> Option<&GroupSlot> {
        self.groups.get(usize::from(group)).filter(|s| s.in_use())
    }

    fn slot_mut(&mut self, group: u16) -> Option<&mut GroupSlot> {
        self.groups
            .get_mut(usize::from(group))
            .filter(|s| s.in_use())
    }

    fn peer(&self, index: u8) -> Option<&PeerLink> {
        self.peers.get(usize::from(index))
    }

    fn peer_mut(&mut self, index: u8) -> Option<&mut PeerLink> {
        self.peers.get_mut(usize::from(index))
    }

    fn node_id(&self, index: u8) -> Option<NodeId> {
        self.config.nodes.get(usize::from(index)).copied()
    }

    fn index_of(&self, id: NodeId) -> Option<u8> {
        self.config
            .nodes
            .iter()
            .position(|&n| n == id)
            .map(|i| i as u8)
    }
}

/// Which link field of a slot a list goes through.
#[derive(Clone, Copy)]
enum Link {
    Durable,
    Event,
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::boxed::Box;

    use super::*;

    /// A node of three whose peers are silent: every group it holds asks for pre-votes
    /// whenever its timer fires.
    fn lonely() -> MultiGroupNode<'static, 4> {
        let nodes = [NodeId(1), NodeId(2), NodeId(3)];
        let config = MultiGroupConfig::<4>::new(NodeId(1), &nodes, GroupId(1)).unwrap();
        let slots = Box::leak(Box::new([GroupSlot::EMPTY; 16]));
        let queue = Box::leak(Box::new([QueuedItem::EMPTY; 64]));
        MultiGroupNode::new(config, slots, queue, Instant::from_millis(0)).unwrap()
    }

    /// Regression: adding a group overwrote its slot's heap entry, which belongs to the
    /// schedule (the group at that heap position), so groups added out of index order
    /// lost their timers.
    #[test]
    fn groups_added_in_any_order_all_keep_their_timers() {
        let mut node = lonely();
        let members = [NodeId(1), NodeId(2), NodeId(3)];
        for group in [15, 3, 9, 0, 12, 6, 1, 14, 7, 2, 11, 5, 13, 4, 10, 8] {
            node.add_group(
                Instant::from_millis(0),
                group,
                &members,
                GroupOptions::DEFAULT,
            )
            .unwrap();
        }
        let mut now = Instant::from_millis(0);
        while let Some(at) = node
            .poll_timeout()
            .filter(|&at| at <= Instant::from_millis(3_000))
        {
            now = at.max(now);
            node.handle_timeout(now);
            let mut buf = [0; 1200];
            while node.poll_transmit(now, &mut buf).unwrap().is_some() {}
            now = now + Duration::from_millis(1);
        }
        for group in 0..16u16 {
            let rounds = node.groups[usize::from(group)].round;
            assert!(rounds >= 1, "group {group} never stood");
        }
    }

    /// A bundle from node 2 to node 1 echoing `echo` of node 1's run `echo_incarnation`.
    fn echoing(echo: u64, echo_incarnation: u32) -> std::vec::Vec<u8> {
        let header = Header {
            cluster: GroupId(1),
            from: NodeId(2),
            to: NodeId(1),
            incarnation: 7,
            sent_at: 40,
            echo: echo + 1,
            echo_incarnation,
            epoch: 0,
        };
        let mut buf = [0u8; 128];
        let writer = BundleWriter::start(
            &mut buf,
            128,
            &header,
            Envelope::DEFAULT,
            #[cfg(feature = "authentication")]
            None,
        )
        .unwrap();
        let len = writer
            .finish(
                #[cfg(feature = "authentication")]
                None,
            )
            .unwrap();
        buf[..len].to_vec()
    }

    /// Regression: an echo of a clock reading from this node's previous run (a datagram
    /// still in flight when it restarted, its clock restarted too) was credited as
    /// support, which could outlast the peer's stickiness.
    #[test]
    fn only_echoes_of_this_run_support_a_lease() {
        let nodes = [NodeId(1), NodeId(2), NodeId(3)];
        let config = MultiGroupConfig::<4>::new(NodeId(1), &nodes, GroupId(1))
            .unwrap()
            .with_incarnation(2);
        let slots = Box::leak(Box::new([GroupSlot::EMPTY; 1]));
        let queue = Box::leak(Box::new([QueuedItem::EMPTY; 8]));
        let now = Instant::from_millis(500);
        let mut node = MultiGroupNode::new(config, slots, queue, Instant::from_millis(0)).unwrap();
        node.handle_bytes(now, &echoing(450, 1)).unwrap();
        assert_eq!(node.peers[1].support_until, None);
        node.handle_bytes(now, &echoing(450, 2)).unwrap();
        assert_eq!(
            node.peers[1].support_until,
            Some(Instant::from_millis(450) + node.config.lease_duration())
        );
    }
}
