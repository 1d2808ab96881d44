//! Identities, membership, timing and the validated configuration of one engine.

use core::fmt;

use heapless::Vec;
use serde::{Deserialize, Serialize};

use crate::time::Duration;

/// The largest membership any engine supports; `N` in `Engine<N>` must not exceed it.
///
/// Member sets are 64-bit masks internally, which keeps every per-peer bookkeeping
/// structure a fixed, small size.
pub const MAX_MEMBERS: usize = 64;

/// A node's identity, unique within an election group.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NodeId(pub u32);

/// An election group's identity: one group per partition of the host's data.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct GroupId(pub u32);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node {}", self.0)
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "group {}", self.0)
    }
}

/// One configured member of an election group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Member {
    /// The member's identity.
    pub id: NodeId,
    /// Configured preference: a higher priority ranks higher; ties are broken by id.
    pub priority: u8,
    /// Whether the member may lead. The rank-based algorithms (Bully, next-in-line,
    /// candidate/ordinary) never elect an ordinary member; ring and invitation refuse a
    /// configuration with ordinary members
    /// ([`ConfigError::OrdinaryMembersUnsupported`]).
    pub candidate: bool,
}

impl Member {
    /// A candidate member with the given id and priority.
    pub const fn new(id: NodeId, priority: u8) -> Member {
        Member {
            id,
            priority,
            candidate: true,
        }
    }

    /// A candidate member ranked by its id alone (all such members share priority 0).
    pub const fn with_id(id: u32) -> Member {
        Member::new(NodeId(id), 0)
    }

    /// The same member as an ordinary node, which never leads (candidate/ordinary only).
    pub const fn ordinary(self) -> Member {
        Member {
            candidate: false,
            ..self
        }
    }

    /// The member's rank: the total order every algorithm uses ("higher is better").
    pub const fn rank(&self) -> Rank {
        Rank {
            priority: self.priority,
            id: self.id,
        }
    }
}

/// The total order of members: priority first, then node id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rank {
    /// Compared first.
    pub priority: u8,
    /// Breaks ties between equal priorities.
    pub id: NodeId,
}

/// Timing of the failure detector and of election rounds, in host units (ms by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Timing {
    /// How often a leader sends heartbeats.
    pub heartbeat_interval: Duration,
    /// How long a follower waits without hearing its leader before it suspects it.
    ///
    /// The rank-based algorithms and ring count a leader as still heard while it was heard
    /// within `failure_timeout − round_trip_timeout`: keep the heartbeat interval plus the
    /// network's delay well below that, or a live leader is taken for a silent one.
    pub failure_timeout: Duration,
    /// A random extra wait in `0..failure_jitter` added to each failure timeout, so that
    /// followers rarely notice a failure at the same instant. May be zero.
    pub failure_jitter: Duration,
    /// How long a node waits for replies in an election round; must exceed one round trip.
    pub round_trip_timeout: Duration,
}

impl Timing {
    /// Defaults for a LAN: heartbeat 100 ms, failure timeout 500 ms with up to 150 ms of
    /// jitter, round-trip timeout 50 ms.
    pub const LAN: Timing = Timing {
        heartbeat_interval: Duration::from_millis(100),
        failure_timeout: Duration::from_millis(500),
        failure_jitter: Duration::from_millis(150),
        round_trip_timeout: Duration::from_millis(50),
    };

    /// Checks the relations the algorithms rely on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.heartbeat_interval.is_zero() {
            return Err(ConfigError::ZeroHeartbeatInterval);
        }
        if self.failure_timeout.is_zero() {
            return Err(ConfigError::ZeroFailureTimeout);
        }
        if self.round_trip_timeout.is_zero() {
            return Err(ConfigError::ZeroRoundTripTimeout);
        }
        if self.heartbeat_interval >= self.failure_timeout {
            return Err(ConfigError::HeartbeatNotBelowFailureTimeout);
        }
        if self.round_trip_timeout >= self.failure_timeout {
            return Err(ConfigError::RoundTripNotBelowFailureTimeout);
        }
        Ok(())
    }

    /// Refuses a tie-breaker `step` shorter than the round-trip timeout: neighbouring
    /// ranks could then act within one round trip of each other.
    pub(crate) fn validate_tie_breaker_step(&self, step: Duration) -> Result<(), ConfigError> {
        if step < self.round_trip_timeout {
            return Err(ConfigError::TieBreakerStepTooShort);
        }
        Ok(())
    }
}

impl Default for Timing {
    fn default() -> Self {
        Timing::LAN
    }
}

/// Which election algorithm an engine runs, with that algorithm's options.
///
/// Chosen at run time (the C API needs that); each variant exists only when its cargo
/// feature is enabled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// Bully election (Garcia-Molina, 1982): the highest-ranked live node leads. Split brain possible.
    #[cfg(feature = "bully")]
    Bully(crate::BullyOptions),
    /// Next-in-line failover: the leader names its successors; Bully is the
    /// fallback. Split brain possible.
    #[cfg(feature = "next-in-line")]
    NextInLine(crate::NextInLineOptions),
    /// Candidate/ordinary election with tie-breaker delays: only candidates
    /// lead. Split brain possible.
    #[cfg(feature = "candidates")]
    Candidates(crate::CandidateOptions),
    /// Invitation (Garcia-Molina, 1982): one leader per group; groups merge, the larger group's
    /// leader leading the merged one. Several leaders by design while partitioned.
    #[cfg(feature = "invitation")]
    Invitation(crate::InvitationOptions),
    /// Ring election (Chang and Roberts, 1979): a token circulates the ring of members. Split brain
    /// possible.
    #[cfg(feature = "ring")]
    Ring(crate::RingOptions),
    /// Quorum election (Raft's election): terms and majority votes, with pre-vote, check-quorum,
    /// a leader lease and durable votes. At most one leader per term.
    #[cfg(feature = "quorum")]
    Quorum(crate::QuorumOptions),
}

/// What the configuration asks of an algorithm's options: each options type implements it
/// beside its algorithm, and the defaults accept anything.
pub(crate) trait AlgorithmOptions {
    /// The checks that do not depend on the timing, of the options alone and against the
    /// `members` ([`Config::new`] makes them).
    fn validate_without_timing(&self, _members: &[Member]) -> Result<(), ConfigError> {
        Ok(())
    }

    /// The checks against `timing`, made once the timing and
    /// [`AlgorithmOptions::validate_without_timing`] have passed ([`Config::validate`]).
    fn validate(&self, _timing: &Timing) -> Result<(), ConfigError> {
        Ok(())
    }
}

/// Refuses ordinary members, for an algorithm that would elect them anyway.
pub(crate) fn refuse_ordinary_members(members: &[Member]) -> Result<(), ConfigError> {
    if members.iter().any(|m| !m.candidate) {
        return Err(ConfigError::OrdinaryMembersUnsupported);
    }
    Ok(())
}

impl Algorithm {
    /// The options of the algorithm, to validate.
    fn options(&self) -> &dyn AlgorithmOptions {
        match *self {
            #[cfg(feature = "bully")]
            Algorithm::Bully(ref options) => options,
            #[cfg(feature = "next-in-line")]
            Algorithm::NextInLine(ref options) => options,
            #[cfg(feature = "candidates")]
            Algorithm::Candidates(ref options) => options,
            #[cfg(feature = "invitation")]
            Algorithm::Invitation(ref options) => options,
            #[cfg(feature = "ring")]
            Algorithm::Ring(ref options) => options,
            #[cfg(feature = "quorum")]
            Algorithm::Quorum(ref options) => options,
        }
    }

    /// The failure detector's timing for this algorithm: quorum election draws its
    /// election timeout from `[T, 2T)` for `T` = the failure timeout; the others add the
    /// configured jitter.
    pub(crate) fn failure_detector_timing(&self, timing: Timing) -> Timing {
        match self {
            #[cfg(feature = "quorum")]
            Algorithm::Quorum(_) => Timing {
                failure_jitter: timing.failure_timeout,
                ..timing
            },
            #[allow(unreachable_patterns)]
            _ => timing,
        }
    }
}

/// Everything one engine needs to know, validated by [`Config::new`] and again by
/// [`Engine::new`](crate::Engine::new).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Config<const N: usize> {
    /// The election group this engine belongs to; messages of other groups are rejected.
    pub group: GroupId,
    /// This node's own id; must be one of the members.
    pub node: NodeId,
    /// The election algorithm and its options.
    pub algorithm: Algorithm,
    /// Failure-detector and election-round timing.
    pub timing: Timing,
    /// Seed of the jitter generator; give each node its own for independent jitter.
    pub seed: u64,
    /// Whether the host's medium can broadcast (CAN bus, UDP multicast). If true, a message
    /// meant for several peers is handed out once with [`Destination::All`]; otherwise it
    /// is handed out once per peer.
    ///
    /// [`Destination::All`]: crate::Destination::All
    pub broadcast: bool,
    /// How messages are protected on the wire: plain (the default), checksummed, or
    /// authenticated (see [`protection`](crate::protection)). Every member of a group
    /// must use the same.
    pub protection: crate::Protection,
    members: Vec<Member, N>,
    /// A safety fix undone, for the verifier's own tests.
    #[cfg(feature = "mutants")]
    mutation: Option<crate::Mutation>,
}

impl<const N: usize> Config<N> {
    /// A configuration with [`Timing::LAN`], seed 0 and point-to-point delivery.
    ///
    /// Fails if `members` is empty, longer than `N` or [`MAX_MEMBERS`], has a duplicate
    /// id, or does not contain `node`, or if the algorithm's options are wrong whatever
    /// the timing. Options that must agree with the timing (a tie-breaker step and the
    /// round-trip timeout, a quorum lease and the election timeout) are checked by
    /// [`Config::validate`], which [`Engine::new`](crate::Engine::new) calls: set the
    /// timing first.
    pub fn new(
        group: GroupId,
        node: NodeId,
        members: &[Member],
        algorithm: Algorithm,
    ) -> Result<Config<N>, ConfigError> {
        if members.is_empty() {
            return Err(ConfigError::NoMembers);
        }
        if members.len() > N.min(MAX_MEMBERS) {
            return Err(ConfigError::TooManyMembers);
        }
        let mut sorted: Vec<Member, N> = Vec::new();
        for member in members {
            sorted
                .push(*member)
                .map_err(|_| ConfigError::TooManyMembers)?;
            sink_into_place(&mut sorted)?;
        }
        let config = Config {
            group,
            node,
            algorithm,
            timing: Timing::LAN,
            seed: 0,
            broadcast: false,
            protection: crate::Protection::None,
            members: sorted,
            #[cfg(feature = "mutants")]
            mutation: None,
        };
        config.validate_except_timing()?;
        Ok(config)
    }

    /// The same configuration with other timing.
    pub fn with_timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    /// The same configuration with another jitter seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The same configuration for a medium that can (or cannot) broadcast.
    pub fn with_broadcast(mut self, broadcast: bool) -> Self {
        self.broadcast = broadcast;
        self
    }

    /// The same configuration with one safety fix undone (feature `mutants`, for the
    /// verifier's own tests only).
    #[cfg(feature = "mutants")]
    #[doc(hidden)]
    pub fn with_mutation(mut self, mutation: crate::Mutation) -> Self {
        self.mutation = Some(mutation);
        self
    }

    /// Whether `mutation` undoes a safety fix in this configuration (never, without the
    /// feature `mutants`).
    #[cfg(feature = "mutants")]
    pub(crate) fn is_mutated(&self, mutation: crate::Mutation) -> bool {
        self.mutation == Some(mutation)
    }

    /// The members, sorted by id.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// Checks every rule [`Config::new`] checks, plus the timing and the options that must
    /// agree with it.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_except_timing()?;
        self.timing.validate()?;
        self.algorithm.options().validate(&self.timing)
    }

    /// The rules that do not depend on the timing.
    fn validate_except_timing(&self) -> Result<(), ConfigError> {
        if self.members.is_empty() {
            return Err(ConfigError::NoMembers);
        }
        if self.members.len() > MAX_MEMBERS {
            return Err(ConfigError::TooManyMembers);
        }
        if self
            .members
            .binary_search_by_key(&self.node, |m| m.id)
            .is_err()
        {
            return Err(ConfigError::SelfNotMember);
        }
        if !self.members.iter().any(|m| m.candidate) {
            return Err(ConfigError::NoCandidate);
        }
        self.algorithm
            .options()
            .validate_without_timing(&self.members)
    }
}

/// Moves the last member left until the members are sorted by id again (an insertion
/// sort step: no `memmove`, which matters in firmware), refusing a duplicate id.
fn sink_into_place(members: &mut [Member]) -> Result<(), ConfigError> {
    let mut at = members.len().saturating_sub(1);
    while at > 0 {
        let (before, from) = members.split_at_mut(at);
        match (before.last_mut(), from.first_mut()) {
            (Some(previous), Some(member)) if previous.id > member.id => {
                core::mem::swap(previous, member);
                at -= 1;
            }
            (Some(previous), Some(member)) if previous.id == member.id => {
                return Err(ConfigError::DuplicateMember(member.id));
            }
            _ => break,
        }
    }
    Ok(())
}

/// Why a configuration was refused.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigError {
    /// The member list is empty.
    NoMembers,
    /// More members than the engine's capacity `N` (or [`MAX_MEMBERS`]).
    TooManyMembers,
    /// The same id appears twice in the member list.
    DuplicateMember(NodeId),
    /// The node's own id is not in the member list.
    SelfNotMember,
    /// `heartbeat_interval` is zero.
    ZeroHeartbeatInterval,
    /// `failure_timeout` is zero.
    ZeroFailureTimeout,
    /// `round_trip_timeout` is zero.
    ZeroRoundTripTimeout,
    /// `heartbeat_interval` is not below `failure_timeout`, so a healthy leader would be
    /// suspected.
    HeartbeatNotBelowFailureTimeout,
    /// `round_trip_timeout` is not below `failure_timeout`.
    RoundTripNotBelowFailureTimeout,
    /// A tie-breaker step (candidate/ordinary, invitation) is shorter than the round-trip
    /// timeout, so neighbouring ranks could act within one round trip of each other.
    TieBreakerStepTooShort,
    /// The invitation interval is zero.
    ZeroInviteInterval,
    /// Ordinary (non-candidate) members in a group whose algorithm (ring, invitation)
    /// would elect them anyway.
    OrdinaryMembersUnsupported,
    /// The clock-drift bound is 10⁶ ppm (100 %) or more: no lease can be safe.
    DriftBoundTooLarge,
    /// The configured lease is longer than the longest one that is safe for the election
    /// timeout and the drift bound.
    LeaseTooLong,
    /// No member may lead: every member is ordinary.
    NoCandidate,
    /// Next-in-line failover asks for more published successors than a message carries
    /// ([`MAX_SUCCESSORS`](crate::MAX_SUCCESSORS)).
    TooManySuccessors,
    /// The protection is authenticated but the engine has no authenticator that can sign
    /// with its current key (build it with
    /// [`Engine::with_authenticator`](crate::Engine::with_authenticator)).
    NoAuthenticator,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NoMembers => f.write_str("the member list is empty"),
            ConfigError::TooManyMembers => f.write_str("more members than the engine's capacity"),
            ConfigError::DuplicateMember(id) => write!(f, "{id} appears twice in the member list"),
            ConfigError::SelfNotMember => f.write_str("the node's own id is not a member"),
            ConfigError::ZeroHeartbeatInterval => f.write_str("the heartbeat interval is zero"),
            ConfigError::ZeroFailureTimeout => f.write_str("the failure timeout is zero"),
            ConfigError::ZeroRoundTripTimeout => f.write_str("the round-trip timeout is zero"),
            ConfigError::HeartbeatNotBelowFailureTimeout => {
                f.write_str("the heartbeat interval is not below the failure timeout")
            }
            ConfigError::RoundTripNotBelowFailureTimeout => {
                f.write_str("the round-trip timeout is not below the failure timeout")
            }
            ConfigError::TieBreakerStepTooShort => {
                f.write_str("the tie-breaker step is shorter than the round-trip timeout")
            }
            ConfigError::ZeroInviteInterval => f.write_str("the invitation interval is zero"),
            ConfigError::OrdinaryMembersUnsupported => {
                f.write_str("this algorithm cannot keep ordinary members from leading")
            }
            ConfigError::DriftBoundTooLarge => {
                f.write_str("the clock-drift bound is not below 1,000,000 ppm")
            }
            ConfigError::LeaseTooLong => f.write_str(
                "the lease is longer than the election timeout and drift bound make safe",
            ),
            ConfigError::NoCandidate => f.write_str("every member is ordinary: none may lead"),
            ConfigError::TooManySuccessors => write!(
                f,
                "more successors than a message carries ({})",
                crate::MAX_SUCCESSORS
            ),
            ConfigError::NoAuthenticator => {
                f.write_str("authenticated protection needs an authenticator with a current key")
            }
        }
    }
}

impl core::error::Error for ConfigError {}
