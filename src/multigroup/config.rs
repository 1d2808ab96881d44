//! The configuration of a multi-group node (node set, node-level timing, datagram size
//! and envelope) and the options of each group.

use super::*;

/// The most nodes a multi-group node's node set can have.
pub const MAX_NODES: usize = 254;

/// The most groups a multi-group node can hold.
pub const MAX_GROUPS: usize = u16::MAX as usize;

/// The smallest datagram a multi-group node can work with: the largest header, one
/// item and a checksum.
/// (Authenticated datagrams need room for the freshness fields and the tag too.)
pub const MIN_DATAGRAM_SIZE: usize = bundle::MAX_HEADER_SIZE + bundle::MAX_ITEM_SIZE + 4;

/// Parts per million.
const MILLION: u64 = 1_000_000;

/// Configuration of a multi-group node: the node set, the node-level timing and the
/// datagram size. Build it with [`MultiGroupConfig::new`] and the `with_*` methods.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MultiGroupConfig<const N: usize> {
    pub(super) id: NodeId,
    pub(super) own_index: u8,
    pub(super) nodes: Vec<NodeId, N>,
    pub(super) cluster: GroupId,
    pub(super) heartbeat_interval: Duration,
    pub(super) election_timeout: Duration,
    pub(super) clock_drift_ppm: u32,
    pub(super) datagram_size: usize,
    pub(super) transfers_per_interval: u16,
    pub(super) envelope: Envelope,
    pub(super) seed: u64,
    pub(super) incarnation: u32,
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
    pub(super) fn min_datagram_size(&self) -> usize {
        self.overhead() + bundle::MAX_ITEM_SIZE
    }

    /// The bytes of a datagram that are not items, at most.
    pub(super) fn overhead(&self) -> usize {
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
    pub(super) preferred: Option<u8>,
    /// Positions of members that vote but never stand, one bit each.
    pub(super) ordinary: u8,
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
