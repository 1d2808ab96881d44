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
//!    `p`'s clock) of a bundle `q` received from `p`. `q` received it after `s`, and so,
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
mod group;
mod link;
mod schedule;

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

/// The most nodes a multi-group node's node set can have.
pub const MAX_NODES: usize = 254;

/// The most groups a multi-group node can hold.
pub const MAX_GROUPS: usize = u16::MAX as usize;

/// The smallest datagram a multi-group node can work with: the largest header, one
/// item and a checksum.
/// (Authenticated datagrams need room for the freshness fields and the tag too.)
pub const MIN_DATAGRAM_SIZE: usize = bundle::MAX_HEADER_SIZE + bundle::MAX_ITEM_SIZE + 4;

/// Groups looked at per interval while leadership is being spread back.
const REBALANCE_SCAN: usize = 1024;

/// Parts per million.
const MILLION: u64 = 1_000_000;

/// Configuration of a multi-group node: the node set, the node-level timing and the
/// datagram size. Build it with [`MultiGroupConfig::new`] and the `with_*` methods.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MultiGroupConfig<const N: usize> {
    id: NodeId,
    own_index: u8,
    nodes: Vec<NodeId, N>,
    cluster: GroupId,
    heartbeat_interval: Duration,
    election_timeout: Duration,
    clock_drift_ppm: u32,
    datagram_size: usize,
    transfers_per_interval: u16,
    envelope: Envelope,
    seed: u64,
    incarnation: u32,
}

/// Why a multi-group configuration or a group was refused. Nothing changes.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MultiGroupError {
    /// More nodes than `N` or [`MAX_NODES`], or none.
    NodeCount,
    /// A node id appears twice.
    DuplicateNode(NodeId),
    /// The node's own id is not in the node set (or a group's members).
    NotAMember(NodeId),
    /// A group member is not in the node set.
    UnknownNode(NodeId),
    /// No members, or more than [`MAX_GROUP_MEMBERS`].
    GroupSize,
    /// The group index is outside the storage, or above [`MAX_GROUPS`].
    NoSuchGroup(u16),
    /// The group is already in use (adding), or not (restoring, querying).
    GroupInUse(u16),
    /// The heartbeat interval is zero, or more than a third of the lease duration
    /// `T(1−ρ)/(1+ρ)`: leases would lapse between two heartbeats.
    Timing,
    /// The clock-drift bound is 10⁶ ppm or more.
    ClockDrift,
    /// The datagram size is below [`MIN_DATAGRAM_SIZE`].
    DatagramSize,
    /// The queue storage holds fewer than one entry per peer.
    QueueStorage,
    /// The preferred position is not a member's position, or names an ordinary member.
    Preferred(u8),
    /// An ordinary position is not a member's, or no member may stand.
    Ordinary,
    /// The node does not lead the group (a transfer), or the target is not an alive
    /// member.
    Transfer,
    /// The configuration asks for authentication, but the node was built without an
    /// authenticator ([`MultiGroupNode::with_authenticator`]).
    NoAuthenticator,
}

impl fmt::Display for MultiGroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MultiGroupError::NodeCount => f.write_str("the node set is empty or too large"),
            MultiGroupError::DuplicateNode(id) => write!(f, "{id} appears twice"),
            MultiGroupError::NotAMember(id) => write!(f, "{id} is not a member"),
            MultiGroupError::UnknownNode(id) => write!(f, "{id} is not in the node set"),
            MultiGroupError::GroupSize => f.write_str("a group has no members or too many"),
            MultiGroupError::NoSuchGroup(g) => write!(f, "group {g} is outside the storage"),
            MultiGroupError::GroupInUse(g) => write!(f, "group {g} is not in the expected state"),
            MultiGroupError::Timing => f.write_str(
                "the heartbeat interval must be positive and at most a third of the lease",
            ),
            MultiGroupError::ClockDrift => f.write_str("the clock-drift bound is 100 % or more"),
            MultiGroupError::DatagramSize => f.write_str("the datagram size is too small"),
            MultiGroupError::QueueStorage => f.write_str("the queue storage is too small"),
            MultiGroupError::Preferred(p) => {
                write!(f, "position {p} is not a member that may lead")
            }
            MultiGroupError::Ordinary => {
                f.write_str("an ordinary position is not a member, or no member may lead")
            }
            MultiGroupError::Transfer => f.write_str("no transfer from here to that member"),
            MultiGroupError::NoAuthenticator => {
                f.write_str("authentication is configured but there is no authenticator")
            }
        }
    }
}

impl core::error::Error for MultiGroupError {}

impl<const N: usize> MultiGroupConfig<N> {
    /// A node `id` of the node set `nodes` (the same list, in the same order, on every
    /// node) of cluster `cluster`: heartbeat every 100 ms, election timeout 1 s, drift
    /// bound 1,000 ppm, datagrams up to 1,200 bytes, 32 transfers per interval, CRC-32 on
    /// every datagram when the `checksum` feature is on, seed 0, session 0.
    pub fn new(
        id: NodeId,
        nodes: &[NodeId],
        cluster: GroupId,
    ) -> Result<MultiGroupConfig<N>, MultiGroupError> {
        if nodes.is_empty() || nodes.len() > N.min(MAX_NODES) {
            return Err(MultiGroupError::NodeCount);
        }
        for (i, node) in nodes.iter().enumerate() {
            if nodes.get(..i).is_some_and(|before| before.contains(node)) {
                return Err(MultiGroupError::DuplicateNode(*node));
            }
        }
        let own_index = nodes
            .iter()
            .position(|&n| n == id)
            .ok_or(MultiGroupError::NotAMember(id))?;
        Ok(MultiGroupConfig {
            id,
            own_index: own_index as u8,
            nodes: Vec::from_slice(nodes).map_err(|_| MultiGroupError::NodeCount)?,
            cluster,
            heartbeat_interval: Duration::from_millis(100),
            election_timeout: Duration::from_millis(1_000),
            clock_drift_ppm: 1_000,
            datagram_size: 1_200,
            transfers_per_interval: 32,
            envelope: Envelope::DEFAULT,
            seed: 0,
            incarnation: 0,
        })
    }

    /// The node-level heartbeat interval `H` and the election timeout `T`.
    pub fn with_timing(
        mut self,
        heartbeat_interval: Duration,
        election_timeout: Duration,
    ) -> Result<Self, MultiGroupError> {
        self.heartbeat_interval = heartbeat_interval;
        self.election_timeout = election_timeout;
        self.validate_timing()?;
        Ok(self)
    }

    /// The bound ρ on every clock's rate error, in parts per million.
    pub fn with_clock_drift_ppm(mut self, ppm: u32) -> Result<Self, MultiGroupError> {
        if u64::from(ppm) >= MILLION {
            return Err(MultiGroupError::ClockDrift);
        }
        self.clock_drift_ppm = ppm;
        self.validate_timing()?;
        Ok(self)
    }

    /// The largest datagram the transport carries (at least [`MIN_DATAGRAM_SIZE`]).
    pub fn with_datagram_size(mut self, bytes: usize) -> Result<Self, MultiGroupError> {
        let previous = self.datagram_size;
        self.datagram_size = bytes;
        if bytes < MIN_DATAGRAM_SIZE || bytes < self.min_datagram_size() {
            self.datagram_size = previous;
            return Err(MultiGroupError::DatagramSize);
        }
        Ok(self)
    }

    /// How many groups a node hands back to their preferred member per heartbeat
    /// interval at most (0: never).
    pub const fn with_transfers_per_interval(mut self, transfers: u16) -> Self {
        self.transfers_per_interval = transfers;
        self
    }

    /// Whether every datagram ends with a CRC-32 (feature `checksum`; on by default).
    #[cfg(feature = "checksum")]
    pub const fn with_checksum(mut self, checksummed: bool) -> Self {
        self.envelope = if checksummed {
            Envelope::Checksummed
        } else {
            Envelope::Plain
        };
        self
    }

    /// Authenticated datagrams (feature `authentication`): a key id and a freshness value
    /// after the header and a MAC of `tag` bytes over the whole datagram, made and checked
    /// by the node's [`Authenticator`] ([`MultiGroupNode::with_authenticator`]). The
    /// incarnation ([`with_incarnation`](Self::with_incarnation)) is then also the
    /// freshness session, and must never repeat under the same key. A peer's datagrams
    /// count only after a challenge and answer with it (one round trip after either
    /// side starts); forged, replayed or corrupted ones are refused.
    #[cfg(feature = "authentication")]
    pub fn with_authentication(mut self, tag: TagLength) -> Result<Self, MultiGroupError> {
        self.envelope = Envelope::Authenticated(tag);
        if self.datagram_size < self.min_datagram_size() {
            return Err(MultiGroupError::DatagramSize);
        }
        Ok(self)
    }

    /// The smallest datagram that carries one item in this configuration's envelope.
    fn min_datagram_size(&self) -> usize {
        self.overhead() + bundle::MAX_ITEM_SIZE
    }

    /// The bytes of a datagram that are not items, at most.
    fn overhead(&self) -> usize {
        #[cfg(feature = "authentication")]
        let seal = match self.envelope {
            Envelope::Authenticated(_) => bundle::MAX_SEAL_SIZE,
            _ => 0,
        };
        #[cfg(not(feature = "authentication"))]
        let seal = 0;
        bundle::MAX_HEADER_SIZE + seal + self.envelope.trailer()
    }

    /// The seed of the timeout jitter.
    pub const fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// This start's session: it must differ from every earlier start of this node (a
    /// boot counter, or random bits), so that peers notice the restart.
    pub const fn with_incarnation(mut self, incarnation: u32) -> Self {
        self.incarnation = incarnation;
        self
    }

    /// This node's id.
    pub const fn id(&self) -> NodeId {
        self.id
    }

    /// The node set.
    pub fn nodes(&self) -> &[NodeId] {
        &self.nodes
    }

    /// The heartbeat interval `H`.
    pub const fn heartbeat_interval(&self) -> Duration {
        self.heartbeat_interval
    }

    /// The election timeout `T`.
    pub const fn election_timeout(&self) -> Duration {
        self.election_timeout
    }

    /// The largest datagram sent.
    pub const fn datagram_size(&self) -> usize {
        self.datagram_size
    }

    /// How long a peer's echo supports a lease: `T(1−ρ)/(1+ρ)`, rounded down.
    pub const fn lease_duration(&self) -> Duration {
        let rho = self.clock_drift_ppm as u64;
        let t = self.election_timeout.as_millis();
        Duration::from_millis(match t.checked_mul(MILLION - rho) {
            Some(product) => product / (MILLION + rho),
            None => t / (MILLION + rho) * (MILLION - rho),
        })
    }

    fn validate_timing(&self) -> Result<(), MultiGroupError> {
        let h = self.heartbeat_interval.as_millis();
        if h == 0 || h.saturating_mul(3) > self.lease_duration().as_millis() {
            return Err(MultiGroupError::Timing);
        }
        Ok(())
    }
}

/// Options of one group: the same on every member.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct GroupOptions {
    preferred: Option<u8>,
    /// Positions of members that vote but never stand, one bit each.
    ordinary: u8,
}

impl GroupOptions {
    /// Defaults: the preferred leader is the member at position `group mod members`, and
    /// every member may lead.
    pub const DEFAULT: GroupOptions = GroupOptions {
        preferred: None,
        ordinary: 0,
    };

    /// Prefers the member at `position` in the member list as leader.
    pub const fn with_preferred(mut self, position: u8) -> Self {
        self.preferred = Some(position);
        self
    }

    /// Makes the member at `position` an ordinary member: it votes and counts towards
    /// majorities and leases, but never stands (a replica on a weak machine, a witness).
    /// A group whose every candidate member is down has no leader.
    pub const fn with_ordinary(mut self, position: u8) -> Self {
        if position < MAX_GROUP_MEMBERS as u8 {
            self.ordinary |= 1 << position;
        }
        self
    }
}

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

    /// The node-level part of a bundle: session, liveness, epoch and echo.
    /// Returns whether the bundle's epoch adds up, so that its acknowledgements count.
    fn apply_header(
        &mut self,
        now: Instant,
        from: u8,
        header: &Header,
        bundle: &Bundle<'_>,
    ) -> bool {
        let restarted = self
            .peer(from)
            .and_then(|p| p.incarnation)
            .is_some_and(|known| known != header.incarnation);
        if restarted {
            self.peer_restarted(now, from);
        }
        let was_alive = self.peer(from).is_some_and(|p| p.alive);
        let unfollows = bundle
            .items()
            .filter(|item| {
                matches!(
                    item,
                    Ok(Item {
                        kind: ItemKind::Unfollow,
                        ..
                    })
                )
            })
            .count() as u32;
        let Some(peer) = self.peer_mut(from) else {
            return false;
        };
        let first_contact = peer.incarnation.is_none();
        peer.incarnation = Some(header.incarnation);
        peer.heard_at = Some(now);
        peer.newest_sent_at = Some(
            peer.newest_sent_at
                .map_or(header.sent_at, |s| s.max(header.sent_at)),
        );
        let base = header.epoch.checked_sub(unfollows);
        let credit = if first_contact || base == Some(peer.their_epoch) {
            peer.their_epoch = header.epoch;
            true
        } else if header.epoch > peer.their_epoch {
            peer.their_epoch = header.epoch;
            self.forget_acknowledgements(now, from);
            true
        } else {
            false
        };
        if credit && header.echo != 0 {
            let sent = header.echo - 1;
            if sent <= now.as_millis() {
                let until = Instant::from_millis(sent) + self.config.lease_duration();
                if let Some(peer) = self.peer_mut(from) {
                    peer.support_until = Some(peer.support_until.map_or(until, |u| u.max(until)));
                }
            }
        }
        if !was_alive {
            self.peer_up(now, from);
        }
        credit
    }

    /// One item, from `from`; `credit` says whether its bundle's epoch added up.
    fn apply_item(&mut self, now: Instant, from: u8, item: &Item, credit: bool) {
        let group = item.group;
        let Some(from_position) = self.slot(group).and_then(|s| s.position_of(from)) else {
            self.statistics.items_ignored = self.statistics.items_ignored.saturating_add(1);
            return;
        };
        let Some(slot) = self.slot(group).copied() else {
            return;
        };
        self.statistics.items_received = self.statistics.items_received.saturating_add(1);
        let bit = 1u8 << from_position;
        let term = slot.term;
        let standing = slot.standing;
        match item.kind {
            ItemKind::PreVote { round } => {
                if item.term <= term {
                    self.reply(from, group, term, ItemKind::Newer);
                } else if self.grants_vote(now, group, from) {
                    self.reply(from, group, item.term, ItemKind::PreVoteGranted { round });
                } else if standing == Standing::Leader {
                    // It does not know this node leads: tell it again.
                    self.reply(from, group, term, ItemKind::Lead);
                }
            }
            ItemKind::PreVoteGranted { round } => {
                if standing == Standing::PreCandidate
                    && slot.round == round
                    && term < Term::MAX
                    && item.term == term.next()
                {
                    self.count_grant(now, group, bit);
                }
            }
            ItemKind::RequestVote => {
                if item.term < term {
                    self.reply(from, group, term, ItemKind::Newer);
                    return;
                }
                if !self.grants_vote(now, group, from) {
                    return;
                }
                if item.term > term {
                    self.adopt(now, group, item.term, from);
                }
                let Some(slot) = self.slot_mut(group) else {
                    return;
                };
                if slot.standing != Standing::Follower
                    || (slot.voted_for != NO_NODE && slot.voted_for != from)
                {
                    return;
                }
                slot.voted_for = from;
                self.mark_dirty(group);
                self.reply(from, group, item.term, ItemKind::VoteGranted);
                let delay = self.config.election_timeout + self.campaign_delay(group);
                self.schedule.arm(self.groups, group, now + delay);
            }
            ItemKind::VoteGranted => {
                if standing == Standing::Candidate && item.term == term {
                    self.count_grant(now, group, bit);
                }
            }
            ItemKind::Lead => {
                if item.term < term {
                    self.reply(from, group, term, ItemKind::Newer);
                    return;
                }
                if item.term > term {
                    self.adopt(now, group, item.term, from);
                }
                if self
                    .slot(group)
                    .is_some_and(|s| s.standing == Standing::Leader)
                {
                    return;
                }
                self.follow(group, from);
                self.reply(from, group, item.term, ItemKind::LeadAck);
            }
            ItemKind::LeadAck => {
                if credit
                    && standing == Standing::Leader
                    && item.term == term
                    && let Some(slot) = self.slot_mut(group)
                {
                    slot.acked |= bit;
                }
            }
            ItemKind::Unfollow => {
                if credit
                    && standing == Standing::Leader
                    && item.term == term
                    && let Some(slot) = self.slot_mut(group)
                {
                    slot.acked &= !bit;
                }
            }
            ItemKind::Resign | ItemKind::TimeoutNow => {
                if item.term != term || slot.leader != from {
                    return;
                }
                if let Some(slot) = self.slot_mut(group) {
                    slot.leader = NO_NODE;
                }
                self.push_event(group);
                let delay = if item.kind == ItemKind::TimeoutNow {
                    Duration::from_millis(0)
                } else {
                    self.campaign_delay(group)
                };
                self.schedule.arm(self.groups, group, now + delay);
            }
            ItemKind::Newer => {
                if item.term > term {
                    self.adopt(now, group, item.term, from);
                }
            }
        }
    }

    /// Whether this node may grant `candidate` a pre-vote or vote in `group` (rule 2).
    fn grants_vote(&self, now: Instant, group: u16, candidate: u8) -> bool {
        let timeout = self.config.election_timeout;
        if now < self.started_at + timeout {
            return false;
        }
        let Some(slot) = self.slot(group) else {
            return false;
        };
        if slot.standing == Standing::Leader {
            return false;
        }
        let leader = slot.leader;
        leader == NO_NODE
            || leader == candidate
            || !self
                .peer(leader)
                .is_some_and(|p| p.heard_within(now, timeout))
    }

    // ---- group transitions ----

    /// A pre-vote or vote granted by the member of `bit`: with a majority, the next step.
    fn count_grant(&mut self, now: Instant, group: u16, bit: u8) {
        let Some(slot) = self.slot_mut(group) else {
            return;
        };
        slot.grants |= bit;
        if slot.grants.count_ones() < slot.majority() {
            return;
        }
        match slot.standing {
            Standing::PreCandidate => self.campaign(now, group),
            Standing::Candidate => self.become_leader(now, group),
            _ => {}
        }
    }

    /// The group's timer fired.
    fn group_timer(&mut self, now: Instant, group: u16) {
        let Some(slot) = self.slot(group) else {
            return;
        };
        match slot.standing {
            Standing::Unused => {}
            Standing::Leader => {
                if !self.has_majority_support(group, now) {
                    self.step_down(now, group, ItemKind::Resign, NO_NODE);
                } else if self.ask_unacknowledged(group) {
                    self.schedule
                        .arm(self.groups, group, now + self.config.election_timeout);
                }
            }
            Standing::Follower => {
                let leader = slot.leader;
                let timeout = self.config.election_timeout;
                let led = leader != NO_NODE
                    && self
                        .peer(leader)
                        .is_some_and(|p| p.heard_within(now, timeout));
                if !led {
                    self.start_pre_vote(now, group);
                }
            }
            Standing::PreCandidate | Standing::Candidate => {
                if let Some(slot) = self.slot_mut(group) {
                    slot.standing = Standing::Follower;
                    slot.grants = 0;
                }
                self.push_event(group);
                let half = Duration::from_millis(self.config.election_timeout.as_millis() / 2);
                let delay = half + self.rng.duration_below(half) + self.campaign_delay(group);
                self.schedule.arm(self.groups, group, now + delay);
            }
        }
    }

    /// Asks the members for pre-votes for the next term (rule 3).
    fn start_pre_vote(&mut self, now: Instant, group: u16) {
        if self
            .slot(group)
            .is_none_or(|slot| slot.ordinary & (1 << slot.own_position) != 0)
        {
            return;
        }
        let earliest = self.started_at + self.config.election_timeout;
        if now < earliest {
            self.schedule.arm(self.groups, group, earliest);
            return;
        }
        let Some(slot) = self.slot_mut(group) else {
            return;
        };
        let next = slot.term.next();
        if next == slot.term {
            return;
        }
        slot.leader = NO_NODE;
        slot.standing = Standing::PreCandidate;
        slot.round = slot.round.wrapping_add(1);
        slot.grants = 1 << slot.own_position;
        let round = slot.round;
        self.push_event(group);
        self.send_to_alive_members(group, next, ItemKind::PreVote { round });
        self.schedule
            .arm(self.groups, group, now + self.config.election_timeout);
        self.count_grant(now, group, 0);
    }

    /// Starts the election proper: next term, own vote, vote requests.
    fn campaign(&mut self, now: Instant, group: u16) {
        let own = self.config.own_index;
        let Some(slot) = self.slot_mut(group) else {
            return;
        };
        let next = slot.term.next();
        if next == slot.term {
            return;
        }
        slot.term = next;
        slot.voted_for = own;
        slot.standing = Standing::Candidate;
        slot.grants = 1 << slot.own_position;
        self.mark_dirty(group);
        self.send_to_alive_members(group, next, ItemKind::RequestVote);
        self.schedule
            .arm(self.groups, group, now + self.config.election_timeout);
        self.count_grant(now, group, 0);
    }

    fn become_leader(&mut self, now: Instant, group: u16) {
        let own = self.config.own_index;
        let Some(slot) = self.slot_mut(group) else {
            return;
        };
        slot.standing = Standing::Leader;
        slot.leader = own;
        slot.acked = 1 << slot.own_position;
        slot.grants = 0;
        let term = slot.term;
        let preferred_elsewhere = slot.preferred != slot.own_position;
        self.leading += 1;
        self.push_event(group);
        crate::trace::trace_at!(
            debug,
            "group {} elected {} in term {}",
            group,
            self.config.id,
            term.0
        );
        self.send_to_alive_members(group, term, ItemKind::Lead);
        // Check-quorum of a new leader: a majority must acknowledge within T.
        self.schedule
            .arm(self.groups, group, now + self.config.election_timeout);
        if preferred_elsewhere {
            self.request_spread();
        }
    }

    /// Leaves the leadership of `group`: `Resign` to the members (check-quorum), or
    /// `TimeoutNow` to `target` and `Resign` to the others (a transfer).
    fn step_down(&mut self, now: Instant, group: u16, kind: ItemKind, target: u8) {
        let Some(slot) = self.slot_mut(group) else {
            return;
        };
        if slot.standing != Standing::Leader {
            return;
        }
        slot.standing = Standing::Follower;
        slot.leader = NO_NODE;
        slot.acked = 0;
        let term = slot.term;
        self.leading = self.leading.saturating_sub(1);
        self.push_event(group);
        crate::trace::trace_at!(debug, "group {} stepped down in term {}", group, term.0);
        self.send_to_alive_members(group, term, ItemKind::Resign);
        if target != NO_NODE {
            self.reply(target, group, term, kind);
        }
        // Stand again only after the members had time to elect someone else.
        let wait = self.config.election_timeout.saturating_mul(2) + self.campaign_delay(group);
        self.schedule.arm(self.groups, group, now + wait);
    }

    fn hand_over(&mut self, now: Instant, group: u16, target: u8) {
        self.step_down(now, group, ItemKind::TimeoutNow, target);
        self.statistics.transfers = self.statistics.transfers.saturating_add(1);
    }

    /// Adopts a newer term learnt from `from` (rule 3): a leader steps down, the vote is
    /// forgotten.
    fn adopt(&mut self, now: Instant, group: u16, term: Term, from: u8) {
        self.stop_following(group, from);
        let Some(slot) = self.slot_mut(group) else {
            return;
        };
        let was_leader = slot.standing == Standing::Leader;
        slot.standing = Standing::Follower;
        slot.term = term;
        slot.voted_for = NO_NODE;
        slot.grants = 0;
        slot.acked = 0;
        if was_leader {
            self.leading = self.leading.saturating_sub(1);
        }
        self.mark_dirty(group);
        self.push_event(group);
        let delay = self.config.election_timeout + self.campaign_delay(group);
        self.schedule.arm(self.groups, group, now + delay);
    }

    /// Follows `leader` in `group`.
    fn follow(&mut self, group: u16, leader: u8) {
        if self.slot(group).is_some_and(|s| s.leader == leader) {
            return;
        }
        self.stop_following(group, leader);
        if let Some(slot) = self.slot_mut(group) {
            slot.leader = leader;
            slot.standing = Standing::Follower;
            slot.grants = 0;
        }
        self.schedule.disarm(self.groups, group);
        self.push_event(group);
    }

    /// Stops following the current leader of `group` (rule 5): unless `informant` is that
    /// leader, the epoch towards it grows and, if it is alive, it is told.
    fn stop_following(&mut self, group: u16, informant: u8) {
        let own = self.config.own_index;
        let Some(slot) = self.slot_mut(group) else {
            return;
        };
        let leader = slot.leader;
        let term = slot.term;
        slot.leader = NO_NODE;
        if leader == NO_NODE || leader == own || leader == informant {
            return;
        }
        if let Some(peer) = self.peer_mut(leader) {
            peer.our_epoch = peer.our_epoch.wrapping_add(1);
            if peer.alive {
                // A full lane leaves a gap in the epoch, which the leader also notices.
                let _ = peer.unfollows.push((group, term));
            }
        }
    }

    /// Sends `Lead` again to every alive member that has not acknowledged it (its
    /// acknowledgement, or the `Lead`, was lost); returns whether there was one. Members
    /// that are down are asked when they come back.
    fn ask_unacknowledged(&mut self, group: u16) -> bool {
        let Some(slot) = self.slot(group).copied() else {
            return false;
        };
        let mut asked = false;
        for (position, &member) in slot.members().iter().enumerate() {
            let alive = self.peer(member).is_some_and(|p| p.alive);
            if slot.acked & (1 << position) == 0 && alive {
                self.reply(member, group, slot.term, ItemKind::Lead);
                asked = true;
            }
        }
        asked
    }

    /// Whether a majority of `group`'s members (this node included) acknowledged its
    /// leadership and still support it.
    fn has_majority_support(&self, group: u16, now: Instant) -> bool {
        self.lease_until(group).is_some_and(|until| now < until)
    }

    // ---- node-level events ----

    /// `peer` was not heard for `T`: its groups lose their leader here (rule 1).
    fn peer_down(&mut self, now: Instant, peer: u8) {
        if let Some(link) = self.peer_mut(peer) {
            link.alive = false;
            link.unfollows.clear();
        }
        crate::trace::trace_at!(info, "node {} lost node {}", self.config.own_index, peer);
        for index in 0..self.groups.len() {
            let group = index as u16;
            if self.slot(group).is_some_and(|s| s.leader == peer) {
                self.stop_following(group, NO_NODE);
                self.push_event(group);
                let delay = self.campaign_delay(group);
                self.schedule.arm(self.groups, group, now + delay);
            }
        }
    }

    /// `peer` is heard again: groups led here ask for its acknowledgement, and leadership
    /// may flow back to it.
    fn peer_up(&mut self, now: Instant, peer: u8) {
        if let Some(link) = self.peer_mut(peer) {
            link.alive = true;
            link.up_since = now;
        }
        for index in 0..self.groups.len() {
            let group = index as u16;
            let Some(slot) = self.slot(group) else {
                continue;
            };
            if slot.standing != Standing::Leader {
                continue;
            }
            if let Some(position) = slot.position_of(peer)
                && slot.acked & (1 << position) == 0
            {
                let term = slot.term;
                self.reply(peer, group, term, ItemKind::Lead);
            }
        }
        self.request_spread();
    }

    /// Starts a full sweep for groups to hand back (rule 9), from where the last one
    /// stopped: a group that changed behind the cursor is seen again.
    fn request_spread(&mut self) {
        self.rebalance.pending = true;
        self.rebalance.found = false;
        self.rebalance.swept = 0;
    }

    /// `peer` started again (a new session): it forgot what it followed and acknowledged.
    fn peer_restarted(&mut self, now: Instant, peer: u8) {
        if let Some(link) = self.peer_mut(peer) {
            link.incarnation = None;
            link.newest_sent_at = None;
            link.support_until = None;
            link.unfollows.clear();
        }
        for index in 0..self.groups.len() {
            let group = index as u16;
            let Some(slot) = self.slot(group) else {
                continue;
            };
            if slot.leader == peer {
                if let Some(slot) = self.slot_mut(group) {
                    slot.leader = NO_NODE;
                }
                self.push_event(group);
                let delay = self.campaign_delay(group);
                self.schedule.arm(self.groups, group, now + delay);
            } else {
                self.forget_acknowledgement(now, group, peer);
            }
        }
    }

    /// An epoch gap from `peer`: forget all its acknowledgements and ask again.
    fn forget_acknowledgements(&mut self, now: Instant, peer: u8) {
        for index in 0..self.groups.len() {
            self.forget_acknowledgement(now, index as u16, peer);
        }
    }

    fn forget_acknowledgement(&mut self, now: Instant, group: u16, peer: u8) {
        let Some(slot) = self.slot_mut(group) else {
            return;
        };
        if slot.standing != Standing::Leader {
            return;
        }
        let Some(position) = slot.position_of(peer) else {
            return;
        };
        if slot.acked & (1 << position) == 0 {
            return;
        }
        slot.acked &= !(1 << position);
        let term = slot.term;
        self.reply(peer, group, term, ItemKind::Lead);
        // Check-quorum again if the acknowledgement does not come back.
        self.schedule
            .arm(self.groups, group, now + self.config.election_timeout);
    }

    /// `peer`'s support lapsed: check-quorum of every group that counted on it (rule 6).
    fn check_support(&mut self, now: Instant, peer: u8) {
        for index in 0..self.groups.len() {
            let group = index as u16;
            let Some(slot) = self.slot(group) else {
                continue;
            };
            if slot.standing == Standing::Leader
                && slot.position_of(peer).is_some()
                && !self.has_majority_support(group, now)
            {
                self.step_down(now, group, ItemKind::Resign, NO_NODE);
            }
        }
    }

    /// One interval's share of handing groups back to their preferred members (rule 9).
    fn spread(&mut self, now: Instant) {
        let total = self.groups.len();
        if total == 0 {
            self.rebalance.pending = false;
            return;
        }
        let mut transfers = 0;
        for _ in 0..REBALANCE_SCAN.min(total) {
            if transfers >= self.config.transfers_per_interval {
                break;
            }
            let group = (self.rebalance.cursor % total) as u16;
            self.rebalance.cursor = (self.rebalance.cursor + 1) % total;
            self.rebalance.swept += 1;
            if let Some(slot) = self.slot(group) {
                let target = slot.members.get(usize::from(slot.preferred)).copied();
                if slot.standing == Standing::Leader
                    && slot.preferred != slot.own_position
                    && let Some(target) = target
                {
                    let timeout = self.config.election_timeout;
                    if let Some(up_since) =
                        self.peer(target).filter(|p| p.alive).map(|p| p.up_since)
                    {
                        self.rebalance.found = true;
                        if now >= up_since + timeout {
                            self.hand_over(now, group, target);
                            transfers += 1;
                        }
                    }
                }
            }
            if self.rebalance.swept >= total {
                let found = self.rebalance.found;
                self.rebalance.found = false;
                self.rebalance.swept = 0;
                if !found {
                    self.rebalance.pending = false;
                    break;
                }
            }
        }
    }

    // ---- sending ----

    /// Queues `kind` of `group` in `term` for every other member alive here.
    fn send_to_alive_members(&mut self, group: u16, term: Term, kind: ItemKind) {
        let Some(slot) = self.slot(group) else {
            return;
        };
        let members = slot.members;
        let count = usize::from(slot.member_count);
        for &member in members.iter().take(count) {
            if member != self.config.own_index && self.peer(member).is_some_and(|p| p.alive) {
                self.reply(member, group, term, kind);
            }
        }
    }

    /// Queues one item for `peer`; a full queue drops it (as a lost datagram would).
    fn reply(&mut self, peer: u8, group: u16, term: Term, kind: ItemKind) {
        let share = self.queue.len() / self.config.nodes.len();
        let Some(link) = self.peers.get_mut(usize::from(peer)) else {
            return;
        };
        if link.queue_len >= share {
            self.statistics.items_dropped = self.statistics.items_dropped.saturating_add(1);
            return;
        }
        let position = usize::from(peer) * share + (link.queue_head + link.queue_len) % share;
        if let Some(entry) = self.queue.get_mut(position) {
            *entry = QueuedItem(Item { group, term, kind });
            link.queue_len += 1;
        }
    }

    /// The item at the head of `peer`'s queue, if it may leave (rule 8).
    fn releasable_head(&self, peer: u8) -> Option<Item> {
        let share = self.queue.len() / self.config.nodes.len();
        let link = self.peer(peer)?;
        if link.queue_len == 0 {
            return None;
        }
        let item = self
            .queue
            .get(usize::from(peer) * share + link.queue_head)?
            .0;
        let written = self
            .slot(item.group)
            .is_none_or(|slot| slot.durable == Durable::Written);
        written.then_some(item)
    }

    fn pop_head(&mut self, peer: u8) {
        let share = self.queue.len() / self.config.nodes.len();
        if let Some(link) = self.peers.get_mut(usize::from(peer)) {
            link.queue_head = (link.queue_head + 1) % share.max(1);
            link.queue_len = link.queue_len.saturating_sub(1);
        }
    }

    /// Whether a queued item still says something true (a `Lead` or `LeadAck` overtaken by
    /// events is dropped rather than sent).
    fn still_current(&self, peer: u8, item: &Item) -> bool {
        let Some(slot) = self.slot(item.group) else {
            return false;
        };
        match item.kind {
            ItemKind::Lead => slot.standing == Standing::Leader && slot.term == item.term,
            ItemKind::LeadAck => slot.leader == peer && slot.term == item.term,
            _ => true,
        }
    }

    /// Whether a bundle for `peer` is due: items to send, or a heartbeat.
    fn ready(&self, now: Instant, peer: u8) -> bool {
        #[cfg(feature = "authentication")]
        let answer_due = PeerIndex::from_position(usize::from(peer))
            .is_some_and(|index| self.freshness.request_of(index).is_some());
        #[cfg(not(feature = "authentication"))]
        let answer_due = false;
        answer_due
            || self.peer(peer).is_some_and(|link| {
                !link.unfollows.is_empty()
                    || link.heartbeat_due(now, self.config.heartbeat_interval)
            })
            || self.releasable_head(peer).is_some()
    }

    // ---- authentication ----

    /// The seal of the next bundle to `peer`, in authenticated mode: `None` otherwise.
    #[cfg(feature = "authentication")]
    fn seal_for(&self, peer: u8) -> Result<Option<Seal>, EncodeError> {
        if !matches!(self.config.envelope, Envelope::Authenticated(_)) {
            return Ok(None);
        }
        let index = PeerIndex::from_position(usize::from(peer)).ok_or(EncodeError::UnknownKey)?;
        // After 2⁶⁴ − 1 datagrams of one session the node falls silent rather than reuse a
        // counter.
        let freshness = self.freshness.next().ok_or(EncodeError::UnknownKey)?;
        Ok(Some(Seal {
            key: self.authenticator.current_key().0,
            freshness,
            request: self.peer(peer).is_some_and(|link| link.challenge_due),
            echo: self.freshness.request_of(index),
        }))
    }

    /// A bundle with `seal` left for `peer`.
    #[cfg(feature = "authentication")]
    fn sealed(&mut self, peer: u8, seal: &Seal) {
        let Some(index) = PeerIndex::from_position(usize::from(peer)) else {
            return;
        };
        if seal.request {
            self.freshness.challenged(index, seal.freshness.counter);
        }
        if seal.echo.is_some() {
            self.freshness.answered(index);
        }
        self.freshness.consume();
    }

    /// Checks an authenticated bundle of `from`: its tag, then its freshness (a reply to
    /// this node's challenge synchronises with the sender's session). A refused bundle
    /// changes nothing but the freshness exchange: an unsynchronised sender is challenged,
    /// and its own challenge is answered.
    #[cfg(feature = "authentication")]
    fn check_seal(
        &mut self,
        from: u8,
        header: &Header,
        seal: &Seal,
        signed: &[u8],
        tag: &[u8],
    ) -> Result<(), ReceiveError> {
        self.authenticator
            .verify(KeyId(seal.key), signed, tag)
            .map_err(|error| match error {
                VerifyError::BadMac => ReceiveError::BadMac,
                VerifyError::UnknownKey => ReceiveError::UnknownKey(seal.key),
            })?;
        if seal.freshness.session != header.incarnation {
            return Err(ReceiveError::Decode(DecodeError::Malformed));
        }
        let index = PeerIndex::from_position(usize::from(from))
            .ok_or(ReceiveError::UnknownSender(header.from))?;
        let answered = seal.echo.is_some_and(|echo| {
            self.freshness
                .synchronise(index, echo, seal.freshness)
                .is_ok()
        });
        if !answered {
            match self.freshness.check(index, seal.freshness) {
                Ok(()) => self.freshness.accept(index, seal.freshness),
                Err(FreshnessRefusal::Unsynchronised) => {
                    if seal.request {
                        self.freshness.requested(index, seal.freshness);
                    }
                    if let Some(link) = self.peer_mut(from) {
                        link.challenge_due = true;
                    }
                    return Err(ReceiveError::Unsynchronised);
                }
                Err(FreshnessRefusal::Replay) => return Err(ReceiveError::Replay),
            }
        }
        if let Some(link) = self.peer_mut(from) {
            link.challenge_due = false;
        }
        if seal.request {
            self.freshness.requested(index, seal.freshness);
        }
        Ok(())
    }

    fn write_bundle(
        &mut self,
        now: Instant,
        peer: u8,
        buf: &mut [u8],
    ) -> Result<usize, EncodeError> {
        let to = self.node_id(peer).ok_or(EncodeError::BufferTooSmall)?;
        let link = self.peer(peer).ok_or(EncodeError::BufferTooSmall)?;
        let lane_fits = self.config.overhead() + link.unfollows.len() * bundle::MAX_ITEM_SIZE
            <= self.config.datagram_size;
        let echo = match link.newest_sent_at {
            Some(sent) if lane_fits => sent.saturating_add(1),
            _ => 0,
        };
        let header = Header {
            cluster: self.config.cluster,
            from: self.config.id,
            to,
            incarnation: self.config.incarnation,
            sent_at: now.as_millis(),
            echo,
            epoch: link.our_epoch,
        };
        #[cfg(feature = "authentication")]
        let seal = self.seal_for(peer)?;
        let mut writer = BundleWriter::start(
            buf,
            self.config.datagram_size,
            &header,
            self.config.envelope,
            #[cfg(feature = "authentication")]
            seal.as_ref(),
        )?;
        while let Some(&(group, term)) = self.peer(peer).and_then(|l| l.unfollows.first()) {
            let item = Item {
                group,
                term,
                kind: ItemKind::Unfollow,
            };
            if !writer.push(&item) {
                break;
            }
            if let Some(link) = self.peer_mut(peer) {
                link.unfollows.remove(0);
            }
        }
        while writer.has_room() {
            let Some(item) = self.releasable_head(peer) else {
                break;
            };
            if self.still_current(peer, &item) && !writer.push(&item) {
                break;
            }
            self.pop_head(peer);
        }
        self.statistics.items_sent = self
            .statistics
            .items_sent
            .saturating_add(writer.items as u32);
        if let Some(link) = self.peer_mut(peer) {
            link.sent_at = Some(now);
        }
        #[cfg(feature = "authentication")]
        let len = writer.finish(seal.map(|seal| {
            (
                KeyId(seal.key),
                &mut self.authenticator as &mut dyn Authenticator,
            )
        }))?;
        #[cfg(not(feature = "authentication"))]
        let len = writer.finish()?;
        #[cfg(feature = "authentication")]
        if let Some(seal) = seal {
            self.sealed(peer, &seal);
        }
        Ok(len)
    }

    // ---- helpers ----

    /// How long `group` waits before standing, by this node's place in the group's
    /// preference order among members that may be alive (rule 9).
    fn campaign_delay(&mut self, group: u16) -> Duration {
        let Some(slot) = self.slot(group) else {
            return Duration::from_millis(0);
        };
        let count = slot.member_count.max(1);
        let mut rank = 0;
        for step in 0..count {
            let position = preference_order(group, slot.preferred, count, step);
            if position == slot.own_position {
                break;
            }
            if slot.ordinary & (1 << position) != 0 {
                continue;
            }
            let member = slot
                .members
                .get(usize::from(position))
                .copied()
                .unwrap_or(NO_NODE);
            let possibly_alive = self
                .peer(member)
                .is_some_and(|p| p.alive || p.heard_at.is_none());
            if possibly_alive {
                rank += 1;
            }
        }
        // Jitter in four coarse steps of T/32: members of equal rank still draw apart,
        // and the groups that fall due together leave in the same datagrams.
        let quarter = self.config.election_timeout.as_millis() / 4;
        let jitter = self.rng.below(4) * (quarter / 8);
        Duration::from_millis(quarter * rank + jitter)
    }

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

/// The member position at `step` of `group`'s preference order: the preferred member
/// first, then the others round the member list from an offset that varies with the
/// group, so that the groups of a failed node fall to different members.
fn preference_order(group: u16, preferred: u8, count: u8, step: u8) -> u8 {
    if step == 0 || count < 2 {
        return preferred;
    }
    let others = count - 1;
    let offset = ((group / u16::from(count)) % u16::from(others)) as u8;
    (preferred + 1 + (step - 1 + offset) % others) % count
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
}
