//! The wire format: one version byte, then a postcard-encoded envelope.
//!
//! ```text
//! version: u8 | group: varint u32 | from: varint u32 | to: Destination | term: varint u64 | body
//! ```
//!
//! Every message names its election group, its sender, its receiver (a node, or all nodes
//! for broadcast media) and the sender's term (the epoch for rank-based algorithms, the
//! Raft-style term for quorum election). The body's first byte is its kind. Decoding never
//! panics; every way untrusted bytes can be wrong has its own [`DecodeError`].
//!
//! The stable surface is [`Message`] as an opaque value (decode, encode, read its
//! envelope), [`Term`], [`Destination`] and the errors. The bodies ([`Body`], [`Kind`],
//! [`MemberSet`], [`Successors`]) and building messages by hand are public only through
//! the `unstable` feature, for tests and tools, outside semantic versioning.
// Without `unstable`, the bodies are `pub` items no path outside the crate reaches.
#![cfg_attr(not(feature = "unstable"), allow(unreachable_pub))]

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::config::{GroupId, NodeId};
use crate::crc::crc32;
#[cfg(feature = "authentication")]
use crate::protection::{Authenticator, KeyId};
use crate::protection::{Freshness, Protection, TagLength};

/// The version byte of a plain message ([`Protection::None`]). Version 2 bound pre-vote
/// grants to their round and made quorum acks name the leader they credit.
pub const WIRE_VERSION: u8 = 2;

/// The version byte of a checksummed message ([`Protection::Checksum`]): a plain
/// message's fields, then the CRC-32 of every byte before it, little-endian.
pub const CHECKSUM_WIRE_VERSION: u8 = 3;

/// The version byte of an authenticated message (`Protection::Authenticated`): a plain
/// message's fields, then the key id, the freshness value and the truncated MAC of every
/// byte before it (see [`protection`](crate::protection)).
pub const AUTHENTICATED_WIRE_VERSION: u8 = 4;

/// The largest plain message: version (1) + group (5) + from (5) + to (1 + 5) + term (7,
/// up to [`Term::MAX`]) + the largest body, a `PreVote`: kind (1) + freshness (10) +
/// transfer (1 + 10) + round (10). A varint `u32` takes up to 5 bytes, a `u64` up to 10, a
/// term up to 7. (A `Heartbeat` or `Coordinator` with a full successor list takes
/// 1 + 1 + 5 × [`MAX_SUCCESSORS`] = 22.)
const MAX_PLAIN_SIZE: usize = 1 + 5 + 5 + (1 + 5) + 7 + (1 + 10 + (1 + 10) + 10);

/// What the checksummed envelope adds: a CRC-32.
const CHECKSUM_SIZE: usize = 4;

/// What the authenticated envelope adds at most: key id (1) + session (5) + counter (10)
/// + the longest tag (16).
const AUTHENTICATION_SIZE: usize = 1 + 5 + 10 + TagLength::MAX;

/// The largest encoded size of any message in any [`Protection`] mode, in bytes: size
/// receive buffers by it. A plain message takes at most 56 bytes, a checksummed one 60.
pub const MAX_MESSAGE_SIZE: usize = MAX_PLAIN_SIZE + AUTHENTICATION_SIZE;

/// An election round number: the epoch of rank-based algorithms and the term of quorum
/// election. The term of a leader is its fencing token: attach it to side effects.
///
/// Terms run from 0 to [`Term::MAX`], 2⁴⁸ − 1: at one election a millisecond that lasts
/// almost 9,000 years. A message that carries a larger term is refused
/// ([`DecodeError::TermOutOfRange`]), and so is durable state that does
/// ([`RestoreError::TermOutOfRange`](crate::RestoreError::TermOutOfRange)). A group that
/// reaches the last term can elect no new leader there: quorum election never campaigns
/// in it (that would need a vote in a term it may already have voted in), and the
/// rank-based algorithms keep their epoch at the ceiling. Only a faulty or forged message
/// can bring a group there early, which is one reason to authenticate messages.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Term(pub u64);

impl Term {
    /// The largest term any message or durable state may carry: 2⁴⁸ − 1.
    pub const MAX: Term = Term((1 << 48) - 1);

    /// The term after this one, or this one at [`Term::MAX`].
    pub const fn next(self) -> Term {
        if self.0 < Term::MAX.0 {
            Term(self.0 + 1)
        } else {
            self
        }
    }

    /// Whether this term is within the range a message or durable state may carry.
    pub const fn is_valid(self) -> bool {
        self.0 <= Term::MAX.0
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "term {}", self.0)
    }
}

/// Where a message goes.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Destination {
    /// One node.
    Node(NodeId),
    /// Every other member: for hosts with a broadcast medium.
    All,
}

/// How many successors a next-in-line leader publishes at most.
pub const MAX_SUCCESSORS: usize = 4;

/// A leader's ordered successor list (next-in-line failover; empty for other algorithms).
pub type Successors = heapless::Vec<NodeId, MAX_SUCCESSORS>;

/// A set of members as a bitmap over their positions in the id-sorted member list that
/// every member is configured with (bit 0 is the lowest id). Up to 10 bytes on the wire.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct MemberSet(pub u64);

/// What a message says. The kinds of every algorithm share one enum so that the wire
/// format is the same whatever features a build enables; an engine ignores kinds its
/// algorithm does not use.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Body {
    /// The leader is alive (sent every heartbeat interval), with its successor list.
    Heartbeat {
        /// Next-in-line: who takes over if the leader fails, in order.
        successors: Successors,
    },
    /// "The leader is gone; are you alive?" (Bully: to higher nodes; candidate/ordinary:
    /// to the candidates.)
    Election,
    /// The answer to `Election`: "I am alive and may lead."
    Alive,
    /// "You are the highest node that answered: take over."
    Proceed,
    /// "I am the new leader" (sent once, when a node takes over), with its successor list.
    Coordinator {
        /// Next-in-line: who takes over if this leader fails, in order.
        successors: Successors,
    },
    /// Next-in-line: "the leader is gone and you are next in line: lead now."
    TakeOver,
    /// A member's answer to its leader's heartbeat (invitation groups).
    HeartbeatAck,
    /// Ring, full-list variant: an election token and every node it has passed.
    RingElection {
        /// The node that started this election.
        initiator: NodeId,
        /// Every node the token has passed, the initiator included.
        participants: MemberSet,
    },
    /// Ring, max-only variant: an election token carrying only the best node so far.
    RingMax {
        /// The node that started this election.
        initiator: NodeId,
        /// The highest-ranked node the token has passed.
        max: NodeId,
    },
    /// Ring: the result of an election, circulated once around the ring.
    RingLeader {
        /// The node that started the election.
        initiator: NodeId,
        /// The elected leader.
        leader: NodeId,
    },
    /// Ring: "I received your token" (a successor that does not answer is skipped).
    RingAck,
    /// Invitation: a group leader invites a node outside its group.
    Invite {
        /// How many members the inviting group has, its leader included.
        group_size: u8,
    },
    /// Invitation: an invited leader accepts and brings its group's members.
    Accept {
        /// The members of the accepting leader's group, the leader included.
        members: MemberSet,
    },
    /// Invitation: a leader that merged into another group tells its members to follow.
    Join {
        /// The leader of the merged group.
        leader: NodeId,
    },
    /// Quorum: "could I win an election in the term this message carries?" Nobody adopts
    /// that term: a pre-vote disrupts nothing.
    PreVote {
        /// The sender's freshness (host-supplied, e.g. its log position).
        freshness: u64,
        /// The leader asked the sender to take over, at this time on the leader's clock.
        transfer: Option<u64>,
        /// Names this round of pre-votes: the sender's clock when it asked. A grant counts
        /// only for the round it answers.
        round: u64,
    },
    /// Quorum: the answer to `PreVote` when the receiver would vote for the sender.
    PreVoteGranted {
        /// The `round` of the pre-vote granted.
        round: u64,
    },
    /// Quorum: "vote for me in the term this message carries."
    RequestVote {
        /// The sender's freshness (host-supplied, e.g. its log position).
        freshness: u64,
        /// The leader asked the sender to take over, at this time on the leader's clock:
        /// voters that heard no heartbeat from after the transfer set stickiness aside.
        transfer: Option<u64>,
    },
    /// Quorum: the answer to `RequestVote` (and to a stale `PreVote`), in the sender's term.
    Vote {
        /// Whether the sender voted for the receiver in that term.
        granted: bool,
    },
    /// Quorum: the leader is alive; the receiver echoes `sent_at` in its ack.
    QuorumHeartbeat {
        /// The leader's clock when it sent this heartbeat (host time units).
        sent_at: u64,
        /// The start of the leadership transfer the leader is making, if any.
        transfer: Option<u64>,
    },
    /// Quorum: a follower's answer to a heartbeat, the basis of the leader's lease and of
    /// its check-quorum.
    QuorumAck {
        /// The `sent_at` of the newest heartbeat the receiver sent in this term that the
        /// sender heard, or 0 if it heard none (the sender credits nothing then).
        sent_at: u64,
        /// The leader the sender follows in this term, if any: an ack naming another node
        /// than its receiver tells a leader that another leads its term.
        leader: Option<NodeId>,
    },
    /// Quorum: the leader hands over leadership: "campaign now".
    TimeoutNow {
        /// When the leader started the transfer, on its clock.
        started_at: u64,
    },
    /// Authenticated mode: "what is your freshness?" The envelope's own freshness is the
    /// nonce the reply echoes.
    FreshnessRequest,
    /// Authenticated mode: the answer to a `FreshnessRequest`; the envelope's freshness is
    /// the sender's current one.
    FreshnessReply {
        /// The freshness of the request answered.
        echo: Freshness,
    },
}

/// The kind of a [`Body`], without its contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Kind {
    /// [`Body::Heartbeat`].
    Heartbeat = 0,
    /// [`Body::Election`].
    Election = 1,
    /// [`Body::Alive`].
    Alive = 2,
    /// [`Body::Proceed`].
    Proceed = 3,
    /// [`Body::Coordinator`].
    Coordinator = 4,
    /// [`Body::TakeOver`].
    TakeOver = 5,
    /// [`Body::HeartbeatAck`].
    HeartbeatAck = 6,
    /// [`Body::RingElection`].
    RingElection = 7,
    /// [`Body::RingMax`].
    RingMax = 8,
    /// [`Body::RingLeader`].
    RingLeader = 9,
    /// [`Body::RingAck`].
    RingAck = 10,
    /// [`Body::Invite`].
    Invite = 11,
    /// [`Body::Accept`].
    Accept = 12,
    /// [`Body::Join`].
    Join = 13,
    /// [`Body::PreVote`].
    PreVote = 14,
    /// [`Body::PreVoteGranted`].
    PreVoteGranted = 15,
    /// [`Body::RequestVote`].
    RequestVote = 16,
    /// [`Body::Vote`].
    Vote = 17,
    /// [`Body::QuorumHeartbeat`].
    QuorumHeartbeat = 18,
    /// [`Body::QuorumAck`].
    QuorumAck = 19,
    /// [`Body::TimeoutNow`].
    TimeoutNow = 20,
    /// [`Body::FreshnessRequest`].
    FreshnessRequest = 21,
    /// [`Body::FreshnessReply`].
    FreshnessReply = 22,
}

impl Kind {
    /// Every kind, in wire order.
    pub const ALL: [Kind; 23] = [
        Kind::Heartbeat,
        Kind::Election,
        Kind::Alive,
        Kind::Proceed,
        Kind::Coordinator,
        Kind::TakeOver,
        Kind::HeartbeatAck,
        Kind::RingElection,
        Kind::RingMax,
        Kind::RingLeader,
        Kind::RingAck,
        Kind::Invite,
        Kind::Accept,
        Kind::Join,
        Kind::PreVote,
        Kind::PreVoteGranted,
        Kind::RequestVote,
        Kind::Vote,
        Kind::QuorumHeartbeat,
        Kind::QuorumAck,
        Kind::TimeoutNow,
        Kind::FreshnessRequest,
        Kind::FreshnessReply,
    ];

    #[cfg(feature = "unstable")] // Tests and tools only.
    /// Whether this kind is steady-state liveness traffic (heartbeats and their acks)
    /// rather than election traffic.
    pub const fn is_liveness(self) -> bool {
        matches!(
            self,
            Kind::Heartbeat | Kind::HeartbeatAck | Kind::QuorumHeartbeat | Kind::QuorumAck
        )
    }
}

impl Body {
    #[cfg(feature = "unstable")] // Tests and tools only.
    /// This body's kind.
    pub const fn kind(&self) -> Kind {
        match self {
            Body::Heartbeat { .. } => Kind::Heartbeat,
            Body::Election => Kind::Election,
            Body::Alive => Kind::Alive,
            Body::Proceed => Kind::Proceed,
            Body::Coordinator { .. } => Kind::Coordinator,
            Body::TakeOver => Kind::TakeOver,
            Body::HeartbeatAck => Kind::HeartbeatAck,
            Body::RingElection { .. } => Kind::RingElection,
            Body::RingMax { .. } => Kind::RingMax,
            Body::RingLeader { .. } => Kind::RingLeader,
            Body::RingAck => Kind::RingAck,
            Body::Invite { .. } => Kind::Invite,
            Body::Accept { .. } => Kind::Accept,
            Body::Join { .. } => Kind::Join,
            Body::PreVote { .. } => Kind::PreVote,
            Body::PreVoteGranted { .. } => Kind::PreVoteGranted,
            Body::RequestVote { .. } => Kind::RequestVote,
            Body::Vote { .. } => Kind::Vote,
            Body::QuorumHeartbeat { .. } => Kind::QuorumHeartbeat,
            Body::QuorumAck { .. } => Kind::QuorumAck,
            Body::TimeoutNow { .. } => Kind::TimeoutNow,
            Body::FreshnessRequest => Kind::FreshnessRequest,
            Body::FreshnessReply { .. } => Kind::FreshnessReply,
        }
    }
}

/// One election message, decoded: what [`Engine::poll_message`](crate::Engine::poll_message)
/// hands out and [`Engine::handle_message`](crate::Engine::handle_message) takes, for
/// transports that pass messages in memory.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Message {
    /// The election group it belongs to.
    pub(crate) group: GroupId,
    /// The sender.
    pub(crate) from: NodeId,
    /// The receiver.
    pub(crate) to: Destination,
    /// The sender's term (or epoch) when it sent the message.
    pub(crate) term: Term,
    /// What it says.
    pub(crate) body: Body,
}

/// The envelope fields before the body, decoded on their own so that an unknown body kind
/// can be told apart from other malformed input.
#[derive(Deserialize)]
struct Header {
    group: GroupId,
    from: NodeId,
    to: Destination,
    term: Term,
}

impl Message {
    /// A message of `group` from `from` to `to` in `term` that says `body` (unstable: for
    /// tests and tools that forge or replay traffic).
    #[cfg(feature = "unstable")]
    pub const fn new(
        group: GroupId,
        from: NodeId,
        to: Destination,
        term: Term,
        body: Body,
    ) -> Message {
        Message {
            group,
            from,
            to,
            term,
            body,
        }
    }

    /// The election group it belongs to.
    pub const fn group(&self) -> GroupId {
        self.group
    }

    /// The sender.
    pub const fn from(&self) -> NodeId {
        self.from
    }

    /// The receiver.
    pub const fn to(&self) -> Destination {
        self.to
    }

    /// The sender's term (or epoch) when it sent the message.
    pub const fn term(&self) -> Term {
        self.term
    }

    /// What it says (unstable).
    #[cfg(feature = "unstable")]
    pub const fn body(&self) -> &Body {
        &self.body
    }

    /// What it says, to change in place (unstable: for tests that tamper with traffic).
    #[cfg(feature = "unstable")]
    pub const fn body_mut(&mut self) -> &mut Body {
        &mut self.body
    }

    /// Writes the message as a plain message (wire version 2) into `buf` and returns how
    /// many bytes it took.
    ///
    /// A buffer of [`MAX_MESSAGE_SIZE`] bytes always suffices.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        self.encode_unauthenticated(buf, false)
    }

    /// Writes the message with a CRC-32 (wire version 3, [`Protection::Checksum`]).
    pub fn encode_checksummed(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        self.encode_unauthenticated(buf, true)
    }

    /// Writes a plain message, or a checksummed one: one body of code for both, which
    /// an engine chooses between at run time.
    pub(crate) fn encode_unauthenticated(
        &self,
        buf: &mut [u8],
        checksummed: bool,
    ) -> Result<usize, EncodeError> {
        let version = if checksummed {
            CHECKSUM_WIRE_VERSION
        } else {
            WIRE_VERSION
        };
        let len = self.encode_fields(version, buf)?;
        if !checksummed {
            return Ok(len);
        }
        let (covered, rest) = buf.split_at_mut(len);
        let checksum = rest
            .get_mut(..CHECKSUM_SIZE)
            .ok_or(EncodeError::BufferTooSmall)?;
        checksum.copy_from_slice(&crc32(covered).to_le_bytes());
        Ok(len + CHECKSUM_SIZE)
    }

    /// Writes the message authenticated (wire version 4): signed by `authenticator` with
    /// `key`, carrying `freshness` and a tag of `tag` bytes.
    #[cfg(feature = "authentication")]
    pub fn encode_authenticated(
        &self,
        buf: &mut [u8],
        tag: TagLength,
        key: KeyId,
        freshness: Freshness,
        authenticator: &mut impl Authenticator,
    ) -> Result<usize, EncodeError> {
        let len = self.encode_fields(AUTHENTICATED_WIRE_VERSION, buf)?;
        let (_, rest) = buf.split_at_mut(len);
        let rest = rest.split_first_mut().ok_or(EncodeError::BufferTooSmall)?;
        *rest.0 = key.0;
        let written = postcard::to_slice(&freshness, rest.1)
            .map_err(|_| EncodeError::BufferTooSmall)?
            .len();
        let signed = len + 1 + written;
        let (covered, rest) = buf.split_at_mut(signed);
        let out = rest
            .get_mut(..tag.bytes())
            .ok_or(EncodeError::BufferTooSmall)?;
        authenticator
            .sign(key, covered, out)
            .map_err(|_| EncodeError::UnknownKey)?;
        Ok(signed + tag.bytes())
    }

    /// The version byte, then the postcard-encoded fields.
    fn encode_fields(&self, version: u8, buf: &mut [u8]) -> Result<usize, EncodeError> {
        let (first, rest) = buf.split_first_mut().ok_or(EncodeError::BufferTooSmall)?;
        *first = version;
        let written = postcard::to_slice(self, rest).map_err(|_| EncodeError::BufferTooSmall)?;
        Ok(1 + written.len())
    }

    /// Decodes untrusted bytes of a plain message. Never panics; every failure has its
    /// own error.
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        Message::decode_unauthenticated(bytes, false)
    }

    /// Decodes untrusted bytes of a checksummed message. The checksum is checked first,
    /// so a frame corrupted anywhere, its version byte included, is
    /// [`DecodeError::BadChecksum`] whatever it became.
    pub fn decode_checksummed(bytes: &[u8]) -> Result<Message, DecodeError> {
        Message::decode_unauthenticated(bytes, true)
    }

    /// Decodes a plain or a checksummed message: one body of code for both.
    pub(crate) fn decode_unauthenticated(
        bytes: &[u8],
        checksummed: bool,
    ) -> Result<Message, DecodeError> {
        if bytes.len() > MAX_MESSAGE_SIZE {
            return Err(DecodeError::Oversized);
        }
        let (covered, version) = if checksummed {
            let split = bytes
                .len()
                .checked_sub(CHECKSUM_SIZE)
                .ok_or(DecodeError::Truncated)?;
            let (covered, checksum) = bytes.split_at(split);
            if checksum != crc32(covered).to_le_bytes() {
                return Err(DecodeError::BadChecksum);
            }
            (covered, CHECKSUM_WIRE_VERSION)
        } else {
            (bytes, WIRE_VERSION)
        };
        let rest = Message::strip_version(covered, version)?;
        let (message, rest) = Message::take(rest)?;
        if !rest.is_empty() {
            return Err(DecodeError::TrailingBytes);
        }
        Ok(message)
    }

    /// Splits untrusted bytes of an authenticated message into its parts, checking the
    /// layout only: the tag is checked by [`Sealed::verify`].
    #[cfg(feature = "authentication")]
    pub(crate) fn decode_authenticated(
        bytes: &[u8],
        tag: TagLength,
    ) -> Result<Sealed<'_>, DecodeError> {
        let rest = Message::strip_version(bytes, AUTHENTICATED_WIRE_VERSION)?;
        let (message, rest) = Message::take(rest)?;
        let (&key, rest) = rest.split_first().ok_or(DecodeError::Truncated)?;
        let (freshness, rest) =
            postcard::take_from_bytes::<Freshness>(rest).map_err(DecodeError::from)?;
        if rest.len() < tag.bytes() {
            return Err(DecodeError::Truncated);
        }
        if rest.len() > tag.bytes() {
            return Err(DecodeError::TrailingBytes);
        }
        let (signed, tag) = bytes.split_at(bytes.len() - tag.bytes());
        Ok(Sealed {
            message,
            key: KeyId(key),
            freshness,
            signed,
            tag,
        })
    }

    /// Reads the message fields of bytes in any envelope, checking neither checksum nor
    /// tag (unstable: for the simulator and tools that watch a network).
    #[cfg(feature = "unstable")]
    pub fn peek(bytes: &[u8]) -> Result<Message, DecodeError> {
        let (&version, rest) = bytes.split_first().ok_or(DecodeError::Truncated)?;
        match version {
            WIRE_VERSION | CHECKSUM_WIRE_VERSION | AUTHENTICATED_WIRE_VERSION => {
                Message::take(rest).map(|(message, _)| message)
            }
            _ => Err(DecodeError::UnsupportedVersion(version)),
        }
    }

    /// The bytes after the version byte, which must be `version`.
    fn strip_version(bytes: &[u8], version: u8) -> Result<&[u8], DecodeError> {
        if bytes.len() > MAX_MESSAGE_SIZE {
            return Err(DecodeError::Oversized);
        }
        let (&found, rest) = bytes.split_first().ok_or(DecodeError::Truncated)?;
        if found != version {
            return Err(DecodeError::UnsupportedVersion(found));
        }
        Ok(rest)
    }

    /// Decodes the fields after the version byte; returns the message and what follows.
    fn take(bytes: &[u8]) -> Result<(Message, &[u8]), DecodeError> {
        let (header, rest) =
            postcard::take_from_bytes::<Header>(bytes).map_err(DecodeError::from)?;
        if !header.term.is_valid() {
            return Err(DecodeError::TermOutOfRange(header.term.0));
        }
        let (kind, _) = postcard::take_from_bytes::<u32>(rest).map_err(DecodeError::from)?;
        if usize::try_from(kind).map_or(true, |kind| kind >= Kind::ALL.len()) {
            return Err(DecodeError::UnknownKind(kind));
        }
        let (body, rest) = postcard::take_from_bytes::<Body>(rest).map_err(DecodeError::from)?;
        let message = Message {
            group: header.group,
            from: header.from,
            to: header.to,
            term: header.term,
            body,
        };
        Ok((message, rest))
    }
}

/// The version byte each [`Protection`] mode writes.
pub(crate) const fn version_of(protection: &Protection) -> u8 {
    match protection {
        Protection::None => WIRE_VERSION,
        #[cfg(feature = "checksum")]
        Protection::Checksum => CHECKSUM_WIRE_VERSION,
        #[cfg(feature = "authentication")]
        Protection::Authenticated(_) => AUTHENTICATED_WIRE_VERSION,
    }
}

/// An authenticated message split into its parts, its tag not yet checked.
#[cfg(feature = "authentication")]
pub(crate) struct Sealed<'a> {
    pub(crate) message: Message,
    pub(crate) key: KeyId,
    pub(crate) freshness: Freshness,
    /// The bytes the tag covers.
    pub(crate) signed: &'a [u8],
    pub(crate) tag: &'a [u8],
}

/// Why a message could not be encoded.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EncodeError {
    /// The buffer is shorter than the message; [`MAX_MESSAGE_SIZE`] always suffices.
    BufferTooSmall,
    /// The authenticator holds no key of the id to sign with.
    UnknownKey,
}

/// Why bytes are not a valid message.
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes end before the message does.
    Truncated,
    /// The version byte is not [`WIRE_VERSION`].
    UnsupportedVersion(u8),
    /// The body kind is not one this version knows.
    UnknownKind(u32),
    /// More bytes than [`MAX_MESSAGE_SIZE`].
    Oversized,
    /// A complete message followed by extra bytes.
    TrailingBytes,
    /// A field is not valid (an overlong varint, an unknown destination tag).
    Malformed,
    /// The term is above [`Term::MAX`].
    TermOutOfRange(u64),
    /// A checksummed message whose CRC-32 does not match: corrupted on the way.
    BadChecksum,
}

impl From<postcard::Error> for DecodeError {
    fn from(error: postcard::Error) -> Self {
        match error {
            postcard::Error::DeserializeUnexpectedEnd => DecodeError::Truncated,
            _ => DecodeError::Malformed,
        }
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::BufferTooSmall => f.write_str("the buffer is too small for the message"),
            EncodeError::UnknownKey => f.write_str("the authenticator holds no key to sign with"),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated => f.write_str("the message is truncated"),
            DecodeError::UnsupportedVersion(v) => write!(f, "unsupported wire version {v}"),
            DecodeError::UnknownKind(kind) => write!(f, "unknown message kind {kind}"),
            DecodeError::Oversized => f.write_str("the message is larger than MAX_MESSAGE_SIZE"),
            DecodeError::TrailingBytes => f.write_str("extra bytes follow the message"),
            DecodeError::Malformed => f.write_str("a field of the message is malformed"),
            DecodeError::BadChecksum => f.write_str("the message's checksum does not match"),
            DecodeError::TermOutOfRange(term) => {
                write!(f, "term {term} is above the largest term, {}", Term::MAX.0)
            }
        }
    }
}

impl core::error::Error for EncodeError {}
impl core::error::Error for DecodeError {}
