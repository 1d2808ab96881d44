//! Result codes: one per way a call can fail, and their text.

use bellwether::durable::RecordError;
use bellwether::{
    ConfigError, ConfirmError, DecodeError, EncodeError, ReceiveError, RestoreError, TransferError,
};

/// What a call did. `BW_RESULT_OK` is 0; `BW_RESULT_EMPTY` means "nothing to take" (a poll
/// found nothing), not an error. Every other code is an error that changed nothing.
/// `bw_result_str()` names any code.
///
/// Functions return a `bw_result`, a `uint32_t` in C (the size of a C enum varies between
/// ABIs); switch on `(enum bw_result)rc` for the compiler to check the cases (`-Wswitch`).
/// Later versions may add codes.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bw_result {
    /// Success.
    Ok = 0,
    /// Nothing to take: no message, event, deadline, state to persist, leader or lease.
    Empty = 1,
    /// A required pointer was NULL.
    NullPointer = 2,
    /// An output buffer is too small; the data stays queued (a message needs at most
    /// `BW_MAX_MESSAGE_SIZE` bytes, a record `BW_RECORD_SIZE`, a multi-group datagram the
    /// config's `datagram_size`).
    BufferTooSmall = 3,
    /// The memory given for a node is smaller than `bw_node_size()` (`BW_NODE_SIZE` bytes
    /// are always enough).
    MemoryTooSmall = 4,
    /// The memory given for a node is not aligned to `bw_node_align()` (an address aligned
    /// to `BW_NODE_ALIGN` always is).
    MemoryMisaligned = 5,
    /// An argument is out of range (an unknown enum value, a slot other than 0 or 1).
    InvalidArgument = 6,
    /// Config: the member list is empty.
    NoMembers = 10,
    /// Config: more members than `BW_MAX_MEMBERS`.
    TooManyMembers = 11,
    /// Config: the same id appears twice.
    DuplicateMember = 12,
    /// Config: the node's own id is not a member.
    SelfNotMember = 13,
    /// Config: a timing value is zero, or the heartbeat interval or round-trip timeout is
    /// not below the failure timeout.
    InvalidTiming = 14,
    /// Config: a tie-breaker step is shorter than the round-trip timeout.
    TieBreakerStepTooShort = 15,
    /// Config: the invitation interval is zero.
    ZeroInviteInterval = 16,
    /// Config: ordinary members with an algorithm (ring, invitation) that would elect them.
    OrdinaryMembersUnsupported = 17,
    /// Config: the clock-drift bound is 1,000,000 ppm or more.
    DriftBoundTooLarge = 18,
    /// Config: the lease is longer than the election timeout and drift bound make safe.
    LeaseTooLong = 19,
    /// Config: every member is ordinary, so none may lead.
    NoCandidate = 23,
    /// Config: next-in-line asks for more than 4 successors (what a message carries).
    TooManySuccessors = 24,
    /// Config: `struct_size` is not the size of a `bw_config` this library can read (the
    /// config was not set up with `bw_config_init()`), or a `bw_auth`'s is smaller than
    /// this header's `sizeof(bw_auth)`.
    ConfigSize = 25,
    /// Config: an option this library does not have is set (the config comes from a newer
    /// header than the library: its bytes past this library's `bw_config` are not zero).
    UnsupportedOption = 26,
    /// Config: authenticated protection, but the node was started without keys or MAC
    /// callbacks (`bw_node_init()`): use `bw_node_init_authenticated()`.
    NoAuthenticator = 27,
    /// Config: an authenticated config's `tag_length` is not 4, 8 or 16.
    BadTagLength = 28,
    /// Restore: the algorithm or mode keeps no durable state.
    NothingToRestore = 20,
    /// Restore: the state names a vote for a node that is not a member.
    VoteForNonMember = 21,
    /// Restore: the state's term is above `BW_MAX_TERM`.
    RestoredTermOutOfRange = 22,
    /// Received bytes end before the message does (zero bytes included).
    Truncated = 30,
    /// Received bytes carry an unknown wire version.
    UnsupportedVersion = 31,
    /// Received bytes carry an unknown message kind.
    UnknownKind = 32,
    /// Received bytes are longer than `BW_MAX_MESSAGE_SIZE`.
    Oversized = 33,
    /// A complete message is followed by extra bytes.
    TrailingBytes = 34,
    /// A field of the received message is malformed.
    Malformed = 35,
    /// The message belongs to another election group.
    WrongGroup = 36,
    /// The sender is not a member.
    UnknownSender = 37,
    /// The message claims to come from this node.
    FromSelf = 38,
    /// The message is addressed to another node.
    Misaddressed = 39,
    /// Received bytes carry a term above `BW_MAX_TERM`.
    TermOutOfRange = 40,
    /// A checksummed message's CRC-32 does not match: corrupted on the link.
    BadChecksum = 41,
    /// The message comes in another envelope (plain, checksummed, authenticated) than the
    /// node's `protection`: a misconfigured member, or an attempt to bypass the MAC.
    WrongEnvelope = 42,
    /// An authenticated message's tag does not match: forged or corrupted.
    BadMac = 43,
    /// An authenticated message is signed with a key this node does not hold (never
    /// installed, or retired); or (from a poll) the node cannot sign with its current key.
    UnknownKey = 44,
    /// An authenticated message was already accepted, or is too old for the replay window.
    Replay = 45,
    /// An authenticated message comes from a session this node has not synchronised with
    /// yet (a peer that just started, or just started itself): the node asked the sender
    /// for its freshness, and accepts its messages once the answer comes, one round trip
    /// later. Expected for a peer's first messages.
    Unsynchronised = 46,
    /// The call needs the quorum algorithm.
    NotQuorum = 50,
    /// Only the leader can hand leadership over.
    NotLeader = 51,
    /// The named node is not a member.
    UnknownMember = 52,
    /// The named node is this node.
    ToSelf = 53,
    /// The named member is ordinary and never leads.
    NotCandidate = 54,
    /// The confirmed state is not the node's current durable state.
    NotCurrent = 55,
    /// A record has the wrong length.
    RecordWrongLength = 60,
    /// A record does not start with the record magic.
    RecordBadMagic = 61,
    /// A record has an unknown format version.
    RecordUnsupportedVersion = 62,
    /// A record's checksum does not match (torn, erased or corrupt).
    RecordBadChecksum = 63,
    /// A record's flags or vote field are inconsistent.
    RecordMalformed = 64,
    /// Neither slot holds a valid record: a node that never stored one.
    NoValidRecord = 65,
    /// Multi-group: a group member (or a transfer's target) is not in the node set.
    UnknownNode = 70,
    /// Multi-group: a group has no members, or more than `BW_MULTI_MAX_GROUP_MEMBERS`.
    GroupSize = 71,
    /// Multi-group: the group index is outside the group storage, or (queries, transfers)
    /// the node holds no such group.
    NoSuchGroup = 72,
    /// Multi-group: the group was added already (adding it again, restoring it).
    GroupInUse = 73,
    /// Multi-group config: `datagram_size` is below `BW_MULTI_MIN_DATAGRAM_SIZE`.
    DatagramSize = 74,
    /// Multi-group: the queue storage has fewer entries than the node set has nodes.
    QueueTooSmall = 75,
    /// Multi-group: the preferred position is not a member's position.
    BadPreferred = 76,
    /// Multi-group: no transfer from here to that node: this node does not lead the
    /// group, or the target is this node, not a member, or not alive.
    NoTransfer = 77,
    /// Multi-group: more group slots than `BW_MULTI_MAX_GROUPS`.
    TooManyGroups = 78,
    /// An error this version of the library has no code for.
    Unknown = 99,
}

impl bw_result {
    /// The text of a code.
    fn text(self) -> &'static core::ffi::CStr {
        match self {
            bw_result::Ok => c"ok",
            bw_result::Empty => c"nothing to take",
            bw_result::NullPointer => c"a required pointer is NULL",
            bw_result::BufferTooSmall => c"the output buffer is too small",
            bw_result::MemoryTooSmall => c"the node memory is smaller than bw_node_size()",
            bw_result::MemoryMisaligned => c"the node memory is not aligned to bw_node_align()",
            bw_result::InvalidArgument => c"an argument is out of range",
            bw_result::NoMembers => c"the member list is empty",
            bw_result::TooManyMembers => c"more members than BW_MAX_MEMBERS",
            bw_result::DuplicateMember => c"the same id appears twice in the member list",
            bw_result::SelfNotMember => c"the node's own id is not a member",
            bw_result::InvalidTiming => c"the timing values are inconsistent",
            bw_result::TieBreakerStepTooShort => {
                c"the tie-breaker step is shorter than the round-trip timeout"
            }
            bw_result::ZeroInviteInterval => c"the invitation interval is zero",
            bw_result::OrdinaryMembersUnsupported => {
                c"this algorithm cannot keep ordinary members from leading"
            }
            bw_result::DriftBoundTooLarge => c"the clock-drift bound is not below 1000000 ppm",
            bw_result::LeaseTooLong => c"the lease is longer than is safe",
            bw_result::NoCandidate => c"every member is ordinary: none may lead",
            bw_result::TooManySuccessors => c"more successors than a message carries (4)",
            bw_result::ConfigSize => {
                c"struct_size is not a bw_config (or bw_auth) size: set it to sizeof the struct"
            }
            bw_result::UnsupportedOption => {
                c"the config sets an option this version of the library does not have"
            }
            bw_result::NothingToRestore => {
                c"only quorum election in persistent mode restores durable state"
            }
            bw_result::VoteForNonMember => c"the restored vote names a non-member",
            bw_result::RestoredTermOutOfRange => c"the restored term is above BW_MAX_TERM",
            bw_result::NoAuthenticator => {
                c"authenticated protection needs a key or MAC callbacks that can sign"
            }
            bw_result::BadTagLength => c"the tag length is not 4, 8 or 16 bytes",
            bw_result::Truncated => c"the message is truncated",
            bw_result::UnsupportedVersion => c"unsupported wire version",
            bw_result::UnknownKind => c"unknown message kind",
            bw_result::Oversized => c"the message is larger than BW_MAX_MESSAGE_SIZE",
            bw_result::TrailingBytes => c"extra bytes follow the message",
            bw_result::Malformed => c"a field of the message is malformed",
            bw_result::WrongGroup => c"the message belongs to another group",
            bw_result::UnknownSender => c"the sender is not a member",
            bw_result::FromSelf => c"the message comes from this node",
            bw_result::Misaddressed => c"the message is addressed to another node",
            bw_result::TermOutOfRange => c"the message's term is above BW_MAX_TERM",
            bw_result::BadChecksum => c"the message's checksum does not match",
            bw_result::WrongEnvelope => {
                c"the message's protection (plain, checksummed, authenticated) is not the node's"
            }
            bw_result::BadMac => c"the message's authentication tag does not match",
            bw_result::UnknownKey => c"the message is signed with a key this node does not hold",
            bw_result::Replay => c"the message is a replay or too old",
            bw_result::Unsynchronised => {
                c"the sender's session is not synchronised yet (a freshness request went out)"
            }
            bw_result::NotQuorum => c"only quorum election supports this",
            bw_result::NotLeader => c"this node does not lead",
            bw_result::UnknownMember => c"the named node is not a member",
            bw_result::ToSelf => c"the named node is this node",
            bw_result::NotCandidate => c"the named member is ordinary and never leads",
            bw_result::NotCurrent => c"that is not the current durable state",
            bw_result::RecordWrongLength => c"the record has the wrong length",
            bw_result::RecordBadMagic => c"the record magic is wrong",
            bw_result::RecordUnsupportedVersion => c"unsupported record version",
            bw_result::RecordBadChecksum => c"the record checksum does not match",
            bw_result::RecordMalformed => c"the record is malformed",
            bw_result::NoValidRecord => c"neither slot holds a valid record",
            bw_result::UnknownNode => c"the node is not in the node set",
            bw_result::GroupSize => {
                c"a group has no members or more than BW_MULTI_MAX_GROUP_MEMBERS"
            }
            bw_result::NoSuchGroup => c"this node holds no such group",
            bw_result::GroupInUse => c"the group was added already",
            bw_result::DatagramSize => c"the datagram size is below BW_MULTI_MIN_DATAGRAM_SIZE",
            bw_result::QueueTooSmall => c"the queue storage has fewer entries than nodes",
            bw_result::BadPreferred => c"the preferred position is not a member's position",
            bw_result::NoTransfer => {
                c"no transfer: this node does not lead the group, or the target is not a live member"
            }
            bw_result::TooManyGroups => c"more group slots than BW_MULTI_MAX_GROUPS",
            bw_result::Unknown => c"unknown error",
        }
    }

    /// Every code, for `bw_result_str` to look an integer up in.
    const ALL: [bw_result; 65] = [
        bw_result::Ok,
        bw_result::Empty,
        bw_result::NullPointer,
        bw_result::BufferTooSmall,
        bw_result::MemoryTooSmall,
        bw_result::MemoryMisaligned,
        bw_result::InvalidArgument,
        bw_result::NoMembers,
        bw_result::TooManyMembers,
        bw_result::DuplicateMember,
        bw_result::SelfNotMember,
        bw_result::InvalidTiming,
        bw_result::TieBreakerStepTooShort,
        bw_result::ZeroInviteInterval,
        bw_result::OrdinaryMembersUnsupported,
        bw_result::DriftBoundTooLarge,
        bw_result::LeaseTooLong,
        bw_result::NothingToRestore,
        bw_result::NoCandidate,
        bw_result::TooManySuccessors,
        bw_result::ConfigSize,
        bw_result::UnsupportedOption,
        bw_result::NoAuthenticator,
        bw_result::BadTagLength,
        bw_result::VoteForNonMember,
        bw_result::RestoredTermOutOfRange,
        bw_result::Truncated,
        bw_result::UnsupportedVersion,
        bw_result::UnknownKind,
        bw_result::Oversized,
        bw_result::TrailingBytes,
        bw_result::Malformed,
        bw_result::WrongGroup,
        bw_result::UnknownSender,
        bw_result::FromSelf,
        bw_result::Misaddressed,
        bw_result::TermOutOfRange,
        bw_result::BadChecksum,
        bw_result::WrongEnvelope,
        bw_result::BadMac,
        bw_result::UnknownKey,
        bw_result::Replay,
        bw_result::Unsynchronised,
        bw_result::NotQuorum,
        bw_result::NotLeader,
        bw_result::UnknownMember,
        bw_result::ToSelf,
        bw_result::NotCandidate,
        bw_result::NotCurrent,
        bw_result::RecordWrongLength,
        bw_result::RecordBadMagic,
        bw_result::RecordUnsupportedVersion,
        bw_result::RecordBadChecksum,
        bw_result::RecordMalformed,
        bw_result::NoValidRecord,
        bw_result::UnknownNode,
        bw_result::GroupSize,
        bw_result::NoSuchGroup,
        bw_result::GroupInUse,
        bw_result::DatagramSize,
        bw_result::QueueTooSmall,
        bw_result::BadPreferred,
        bw_result::NoTransfer,
        bw_result::TooManyGroups,
        bw_result::Unknown,
    ];

    /// The code with this number, if there is one.
    fn from_code(code: u32) -> Option<bw_result> {
        Self::ALL.into_iter().find(|&result| result as u32 == code)
    }
}

/// The text of result code `result` (a static, NUL-terminated string; never NULL). Takes
/// the code as a plain integer, so any value is safe to pass.
#[unsafe(no_mangle)]
pub extern "C" fn bw_result_str(result: u32) -> *const core::ffi::c_char {
    bw_result::from_code(result)
        .map_or(c"unknown result code", bw_result::text)
        .as_ptr()
}

impl From<ConfigError> for bw_result {
    fn from(error: ConfigError) -> Self {
        match error {
            ConfigError::NoMembers => bw_result::NoMembers,
            ConfigError::TooManyMembers => bw_result::TooManyMembers,
            ConfigError::DuplicateMember(_) => bw_result::DuplicateMember,
            ConfigError::SelfNotMember => bw_result::SelfNotMember,
            ConfigError::ZeroHeartbeatInterval
            | ConfigError::ZeroFailureTimeout
            | ConfigError::ZeroRoundTripTimeout
            | ConfigError::HeartbeatNotBelowFailureTimeout
            | ConfigError::RoundTripNotBelowFailureTimeout => bw_result::InvalidTiming,
            ConfigError::TieBreakerStepTooShort => bw_result::TieBreakerStepTooShort,
            ConfigError::ZeroInviteInterval => bw_result::ZeroInviteInterval,
            ConfigError::OrdinaryMembersUnsupported => bw_result::OrdinaryMembersUnsupported,
            ConfigError::DriftBoundTooLarge => bw_result::DriftBoundTooLarge,
            ConfigError::LeaseTooLong => bw_result::LeaseTooLong,
            ConfigError::NoCandidate => bw_result::NoCandidate,
            ConfigError::TooManySuccessors => bw_result::TooManySuccessors,
            ConfigError::NoAuthenticator => bw_result::NoAuthenticator,
            _ => bw_result::Unknown,
        }
    }
}

impl From<RestoreError> for bw_result {
    fn from(error: RestoreError) -> Self {
        match error {
            RestoreError::Config(error) => error.into(),
            RestoreError::NotPersistent => bw_result::NothingToRestore,
            RestoreError::VoteForNonMember(_) => bw_result::VoteForNonMember,
            RestoreError::TermOutOfRange(_) => bw_result::RestoredTermOutOfRange,
            _ => bw_result::Unknown,
        }
    }
}

impl From<DecodeError> for bw_result {
    fn from(error: DecodeError) -> Self {
        match error {
            DecodeError::Truncated => bw_result::Truncated,
            DecodeError::UnsupportedVersion(_) => bw_result::UnsupportedVersion,
            DecodeError::UnknownKind(_) => bw_result::UnknownKind,
            DecodeError::Oversized => bw_result::Oversized,
            DecodeError::TrailingBytes => bw_result::TrailingBytes,
            DecodeError::Malformed => bw_result::Malformed,
            DecodeError::TermOutOfRange(_) => bw_result::TermOutOfRange,
            DecodeError::BadChecksum => bw_result::BadChecksum,
            _ => bw_result::Unknown,
        }
    }
}

impl From<ReceiveError> for bw_result {
    fn from(error: ReceiveError) -> Self {
        match error {
            ReceiveError::Decode(error) => error.into(),
            ReceiveError::WrongGroup(_) => bw_result::WrongGroup,
            ReceiveError::UnknownSender(_) => bw_result::UnknownSender,
            ReceiveError::FromSelf => bw_result::FromSelf,
            ReceiveError::Misaddressed(_) => bw_result::Misaddressed,
            ReceiveError::WrongEnvelope(_) => bw_result::WrongEnvelope,
            ReceiveError::BadMac => bw_result::BadMac,
            ReceiveError::UnknownKey(_) => bw_result::UnknownKey,
            ReceiveError::Replay => bw_result::Replay,
            ReceiveError::Unsynchronised => bw_result::Unsynchronised,
            _ => bw_result::Unknown,
        }
    }
}

impl From<EncodeError> for bw_result {
    fn from(error: EncodeError) -> Self {
        match error {
            EncodeError::BufferTooSmall => bw_result::BufferTooSmall,
            EncodeError::UnknownKey => bw_result::UnknownKey,
            _ => bw_result::Unknown,
        }
    }
}

impl From<TransferError> for bw_result {
    fn from(error: TransferError) -> Self {
        match error {
            TransferError::NotLeader => bw_result::NotLeader,
            TransferError::UnknownMember(_) => bw_result::UnknownMember,
            TransferError::ToSelf => bw_result::ToSelf,
            TransferError::NotCandidate(_) => bw_result::NotCandidate,
            _ => bw_result::Unknown,
        }
    }
}

impl From<ConfirmError> for bw_result {
    fn from(error: ConfirmError) -> Self {
        match error {
            ConfirmError::NotCurrent => bw_result::NotCurrent,
            _ => bw_result::Unknown,
        }
    }
}

impl From<RecordError> for bw_result {
    fn from(error: RecordError) -> Self {
        match error {
            RecordError::WrongLength(_) => bw_result::RecordWrongLength,
            RecordError::BadMagic => bw_result::RecordBadMagic,
            RecordError::UnsupportedVersion(_) => bw_result::RecordUnsupportedVersion,
            RecordError::BadChecksum => bw_result::RecordBadChecksum,
            RecordError::Malformed => bw_result::RecordMalformed,
            RecordError::NoValidRecord => bw_result::NoValidRecord,
            _ => bw_result::Unknown,
        }
    }
}

/// Collapses a `Result` whose both sides are codes.
pub(crate) fn code(result: Result<bw_result, bw_result>) -> bw_result {
    result.unwrap_or_else(|error| error)
}
