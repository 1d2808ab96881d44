//! The configuration struct a C host fills in, and its translation to the engine's
//! [`Config`].
//!
//! `bw_config` is extensible: it starts with `struct_size`, which `bw_config_init` sets to
//! the size the caller compiled, and fields are only ever appended. A library reads a
//! config of its own size or larger; in a larger one (a newer header) the bytes past the
//! fields it knows must be zero, so an option it does not have is refused, never ignored.
//! Rules for a new field: its zero value keeps the behaviour the library had without it,
//! and each version of the struct is larger than the one before (pad if a new field would
//! fit in the old trailing padding). A newer library reading an older, smaller config
//! would then take `bw_config_init`'s defaults for the fields the caller's struct lacks.
//!
//! Versions so far: the first ends with `durability` ([`CONFIG_V1_SIZE`] bytes); the second
//! adds the protection fields. A config of exactly the first version's size is read with
//! the second version's fields zero: plain messages, as that library sent.

use core::mem::{MaybeUninit, offset_of};

use bellwether::{
    Algorithm, AuthOptions, BullyOptions, CandidateOptions, Config, Durability, Duration, GroupId,
    InvitationOptions, Member, NextInLineOptions, NodeId, Preemption, Protection, QuorumOptions,
    RingOptions, RingVariant, TagLength, Timing,
};

use crate::node::BW_MAX_MEMBERS;

use crate::result::bw_result;

/// The largest `struct_size` a config may claim: far beyond any version of `bw_config`, low
/// enough that a config that was never set up (an uninitialised `struct_size`) is refused
/// before its bytes are read.
const MAX_CONFIG_SIZE: usize = 4096;

/// The size of the first version of `bw_config`, which ends with `durability`: its fields
/// rounded up to the struct's alignment.
const CONFIG_V1_SIZE: usize = {
    let end = offset_of!(bw_config, durability) + size_of::<u32>();
    end.next_multiple_of(align_of::<bw_config>())
};

const _: () = {
    // The second version's fields start past the end of the first version's struct on
    // every target (`reserved` keeps them out of its trailing padding), so a first-version
    // struct never supplies them.
    assert!(offset_of!(bw_config, protection) >= CONFIG_V1_SIZE);
    assert!(CONFIG_V1_SIZE < size_of::<bw_config>());
};

/// Whether a caller's `struct_size` is one this library reads: exactly the first
/// version's, or this version's or larger (a newer header), up to [`MAX_CONFIG_SIZE`].
fn known_config_size(size: usize) -> bool {
    size == CONFIG_V1_SIZE || (size_of::<bw_config>()..=MAX_CONFIG_SIZE).contains(&size)
}

/// Which election algorithm a node runs (the `algorithm` field of `bw_config`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bw_algorithm {
    /// Bully (split brain possible).
    Bully = 0,
    /// Next-in-line failover (split brain possible).
    NextInLine = 1,
    /// Candidate/ordinary with tie-breaker delays (split brain possible).
    Candidates = 2,
    /// Invitation (several leaders by design while partitioned).
    Invitation = 3,
    /// Ring (split brain possible).
    Ring = 4,
    /// Quorum election: at most one leader per term, leases, durable votes.
    Quorum = 5,
}

/// When a rank-based node may depose a healthy lower-ranked leader (the `preemption` field).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bw_preemption {
    /// At once (classic Bully).
    Immediate = 0,
    /// Once the node has been up for `preempt_after_uptime`.
    AfterUptime = 1,
    /// Never.
    Never = 2,
}

/// The ring token's contents (the `ring_variant` field).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bw_ring_variant {
    /// Every node the token passed.
    FullList = 0,
    /// Only the best node so far.
    MaxOnly = 1,
}

/// How a quorum node keeps its term and vote across a restart (the `durability` field).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bw_durability {
    /// The host persists and confirms the durable state; terms are unique fencing tokens.
    Persistent = 0,
    /// No storage: after each start the node waits out the longest election timeout before
    /// it votes.
    Volatile = 1,
}

/// How a node protects its messages (the `protection` field). Every member of a group
/// must use the same.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bw_protection {
    /// Plain messages (wire version 2): anyone who can reach the transport can forge or
    /// replay them. The default, and what a config from before this field means.
    None = 0,
    /// A CRC-32 after every message (wire version 3): frames corrupted on the link are
    /// refused (`BW_RESULT_BAD_CHECKSUM`). No defence against forgery.
    Checksum = 1,
    /// A key id, a freshness value and a truncated MAC on every message (wire version 4):
    /// forged, corrupted and replayed datagrams are refused. The node needs keys or MAC
    /// callbacks: start it with `bw_node_init_authenticated()` or
    /// `bw_node_restore_authenticated()`.
    Authenticated = 2,
}

/// One configured member.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct bw_member {
    /// The member's id, unique in the group.
    pub id: u32,
    /// A higher priority ranks higher (ties broken by id); in quorum election, the
    /// preferred leader.
    pub priority: u8,
    /// Whether the member may lead (false: an ordinary member).
    pub candidate: bool,
}

/// Everything a node needs. Set it up with `bw_config_init(&config, sizeof config,
/// algorithm)`, then set the fields you need; leave the others as it made them.
/// Enumerations are plain `uint32_t` fields holding a `BW_*` constant; an unknown value is
/// refused with `BW_RESULT_INVALID_ARGUMENT`. Times are in host units (ms by default).
///
/// Later versions add fields at the end, without breaking programs built against this
/// one: `struct_size` tells the library which version the caller compiled.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bw_config {
    /// The size of the struct the caller compiled, `sizeof(bw_config)`: set by
    /// `bw_config_init()`; do not change it.
    pub struct_size: usize,
    /// The election group.
    pub group: u32,
    /// This node's id; must be one of the members.
    pub node: u32,
    /// The members (this node included), `members_len` of them, at most `BW_MAX_MEMBERS`.
    pub members: *const bw_member,
    /// How many members `members` points to.
    pub members_len: usize,
    /// A `bw_algorithm` value.
    pub algorithm: u32,
    /// How often a leader sends heartbeats.
    pub heartbeat_interval: u64,
    /// How long a follower waits for its leader (quorum: the election timeout T).
    pub failure_timeout: u64,
    /// Random extra wait, up to this, on each failure timeout (ignored by quorum).
    pub failure_jitter: u64,
    /// How long a node waits for replies in an election round.
    pub round_trip_timeout: u64,
    /// Seed of the jitter generator; give each node its own.
    pub seed: u64,
    /// Whether the medium broadcasts (then messages for several peers go out once, to all).
    pub broadcast: bool,
    /// Bully, next-in-line, candidates: a `bw_preemption` value.
    pub preemption: u32,
    /// With `BW_PREEMPTION_AFTER_UPTIME`: the uptime after which a node may preempt.
    pub preempt_after_uptime: u64,
    /// Next-in-line: how many successors a leader publishes (at most 4; more are refused
    /// with `BW_RESULT_TOO_MANY_SUCCESSORS`).
    pub successors: u8,
    /// Candidates: the tie-breaker step (0: none); invitation: its tie-breaker step.
    pub tie_breaker_step: u64,
    /// Invitation: how often a group leader invites.
    pub invite_interval: u64,
    /// Ring: a `bw_ring_variant` value.
    pub ring_variant: u32,
    /// Quorum: ask for pre-votes before raising the term.
    pub pre_vote: bool,
    /// Quorum: a leader that has not heard from a majority within T steps down.
    pub check_quorum: bool,
    /// Quorum: the bound ρ on clock-rate error, in parts per million.
    pub clock_drift_ppm: u32,
    /// Quorum: the lease duration; 0 takes the longest safe one, T(1−ρ)/(1+ρ).
    pub lease: u64,
    /// Quorum: a `bw_durability` value.
    pub durability: u32,
    /// Zero. Keeps the fields below past the end of the previous version of this struct on
    /// every target; a non-zero value is refused with `BW_RESULT_UNSUPPORTED_OPTION`.
    pub reserved: u32,
    /// A `bw_protection` value: `BW_PROTECTION_NONE` (the default), `_CHECKSUM` or
    /// `_AUTHENTICATED`.
    pub protection: u32,
    /// Authenticated: how many bytes of the MAC each message carries, 4, 8 (the default)
    /// or 16; any other value is refused with `BW_RESULT_BAD_TAG_LENGTH`. 4 bytes let a
    /// forger succeed once in 2^32 guesses (each counted in `bw_statistics.bad_mac`): for
    /// classic CAN only, with the counters watched.
    pub tag_length: u32,
    /// Authenticated: this boot's session, the first half of every freshness value the
    /// node sends. It must never repeat across the node's boots under the same key: keep a
    /// boot counter in storage (increment it, write it, then start the node), or draw 32
    /// bits from a hardware random number generator. A fixed session (or one derived from
    /// `seed`) lets captured traffic be replayed after a restart.
    pub session: u32,
}

/// Sets up `config`, of `config_size` bytes (pass `sizeof config`), with the defaults for
/// `algorithm` (a `bw_algorithm` value): LAN timing (heartbeat 100, failure timeout 500,
/// jitter 150, round trip 50), the algorithm's default options, seed 0, point to point,
/// plain messages (`BW_PROTECTION_NONE`, tag length 8, session 0), and `struct_size` =
/// `config_size`. `group`, `node` and `members` are left empty: set
/// them.
///
/// Errors: `BW_RESULT_NULL_POINTER`; `BW_RESULT_CONFIG_SIZE` if `config_size` is smaller
/// than this library's `bw_config` (or implausibly large); `BW_RESULT_INVALID_ARGUMENT` for
/// an unknown algorithm.
///
/// # Safety
/// `config` must be NULL or point to `config_size` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_config_init(
    config: *mut bw_config,
    config_size: usize,
    algorithm: u32,
) -> bw_result {
    // SAFETY: the caller guarantees `config` is NULL or writable for `config_size` bytes,
    // which are at least a `bw_config` once checked below.
    if config.is_null() {
        return bw_result::NullPointer;
    }
    if !known_config_size(config_size) {
        return bw_result::ConfigSize;
    }
    if algorithm_from(algorithm).is_none() {
        return bw_result::InvalidArgument;
    }
    let defaults = defaults(config_size, algorithm);
    let known = config_size.min(size_of::<bw_config>());
    // SAFETY: `config` is not NULL and points to `config_size` writable bytes (the caller's
    // guarantee); `defaults` is a whole `bw_config`, of which the first `known` bytes (this
    // library's struct, or the first version's) are copied, and the rest, a newer header's
    // fields, are zeroed: their default.
    unsafe {
        let bytes = config.cast::<u8>();
        core::ptr::copy_nonoverlapping((&raw const defaults).cast::<u8>(), bytes, known);
        bytes.add(known).write_bytes(0, config_size - known);
    }
    bw_result::Ok
}

/// The defaults `bw_config_init` writes.
fn defaults(struct_size: usize, algorithm: u32) -> bw_config {
    let timing = Timing::LAN;
    let quorum = QuorumOptions::DEFAULT;
    bw_config {
        struct_size,
        group: 0,
        node: 0,
        members: core::ptr::null(),
        members_len: 0,
        algorithm,
        heartbeat_interval: timing.heartbeat_interval.as_millis(),
        failure_timeout: timing.failure_timeout.as_millis(),
        failure_jitter: timing.failure_jitter.as_millis(),
        round_trip_timeout: timing.round_trip_timeout.as_millis(),
        seed: 0,
        broadcast: false,
        preemption: bw_preemption::Immediate as u32,
        preempt_after_uptime: 0,
        successors: NextInLineOptions::DEFAULT.successors,
        tie_breaker_step: if algorithm == bw_algorithm::Invitation as u32 {
            InvitationOptions::DEFAULT.tie_breaker_step.as_millis()
        } else {
            CandidateOptions::DEFAULT
                .tie_breaker_step
                .map_or(0, Duration::as_millis)
        },
        invite_interval: InvitationOptions::DEFAULT.invite_interval.as_millis(),
        ring_variant: bw_ring_variant::FullList as u32,
        pre_vote: quorum.pre_vote,
        check_quorum: quorum.check_quorum,
        clock_drift_ppm: quorum.clock_drift_ppm,
        lease: 0,
        durability: bw_durability::Persistent as u32,
        reserved: 0,
        protection: bw_protection::None as u32,
        tag_length: TagLength::Bytes8.bytes() as u32,
        session: 0,
    }
}

/// A `tag_length` field (of `bw_config` or `bw_multi_config`): 4, 8 or 16 bytes, or
/// `BW_RESULT_BAD_TAG_LENGTH`.
pub(crate) fn tag_length(bytes: u32) -> Result<TagLength, bw_result> {
    match bytes {
        4 => Ok(TagLength::Bytes4),
        8 => Ok(TagLength::Bytes8),
        16 => Ok(TagLength::Bytes16),
        _ => Err(bw_result::BadTagLength),
    }
}

fn algorithm_from(code: u32) -> Option<bw_algorithm> {
    [
        bw_algorithm::Bully,
        bw_algorithm::NextInLine,
        bw_algorithm::Candidates,
        bw_algorithm::Invitation,
        bw_algorithm::Ring,
        bw_algorithm::Quorum,
    ]
    .into_iter()
    .find(|&algorithm| algorithm as u32 == code)
}

impl bw_config {
    fn preemption(&self) -> Result<Preemption, bw_result> {
        match self.preemption {
            0 => Ok(Preemption::Immediate),
            1 => Ok(Preemption::AfterUptime(Duration::from_millis(
                self.preempt_after_uptime,
            ))),
            2 => Ok(Preemption::Never),
            _ => Err(bw_result::InvalidArgument),
        }
    }

    fn ring_variant(&self) -> Result<RingVariant, bw_result> {
        match self.ring_variant {
            0 => Ok(RingVariant::FullList),
            1 => Ok(RingVariant::MaxOnly),
            _ => Err(bw_result::InvalidArgument),
        }
    }

    fn durability(&self) -> Result<Durability, bw_result> {
        match self.durability {
            0 => Ok(Durability::Persistent),
            1 => Ok(Durability::Volatile),
            _ => Err(bw_result::InvalidArgument),
        }
    }

    fn protection(&self) -> Result<Protection, bw_result> {
        if self.reserved != 0 {
            return Err(bw_result::UnsupportedOption);
        }
        match self.protection {
            0 => Ok(Protection::None),
            1 => Ok(Protection::Checksum),
            2 => Ok(Protection::Authenticated(
                AuthOptions::new(self.session).with_tag(tag_length(self.tag_length)?),
            )),
            _ => Err(bw_result::InvalidArgument),
        }
    }

    /// The algorithm and its options. Every enumeration field is checked, whichever
    /// algorithm uses it, so an uninitialised config is refused.
    fn algorithm(&self) -> Result<Algorithm, bw_result> {
        let millis = Duration::from_millis;
        let (preemption, ring_variant, durability) =
            (self.preemption()?, self.ring_variant()?, self.durability()?);
        Ok(
            match algorithm_from(self.algorithm).ok_or(bw_result::InvalidArgument)? {
                bw_algorithm::Bully => Algorithm::Bully(BullyOptions::new(preemption)),
                bw_algorithm::NextInLine => {
                    Algorithm::NextInLine(NextInLineOptions::new(self.successors, preemption))
                }
                bw_algorithm::Candidates => Algorithm::Candidates(CandidateOptions::new(
                    (self.tie_breaker_step > 0).then(|| millis(self.tie_breaker_step)),
                    preemption,
                )),
                bw_algorithm::Invitation => Algorithm::Invitation(InvitationOptions::new(
                    millis(self.invite_interval),
                    millis(self.tie_breaker_step),
                )),
                bw_algorithm::Ring => Algorithm::Ring(RingOptions::new(ring_variant)),
                bw_algorithm::Quorum => Algorithm::Quorum(
                    QuorumOptions::DEFAULT
                        .with_pre_vote(self.pre_vote)
                        .with_check_quorum(self.check_quorum)
                        .with_clock_drift_ppm(self.clock_drift_ppm)
                        .with_lease((self.lease > 0).then(|| millis(self.lease)))
                        .with_durability(durability),
                ),
            },
        )
    }

    /// The validated engine configuration.
    ///
    /// # Safety
    /// `members` must be NULL or point to `members_len` readable `bw_member`s.
    pub(crate) unsafe fn engine_config(&self) -> Result<Config<BW_MAX_MEMBERS>, bw_result> {
        // SAFETY: the caller guarantees `members` holds `members_len` members.
        let members = unsafe { members(self.members, self.members_len) }?;
        let mut list = [Member::with_id(0); BW_MAX_MEMBERS];
        for (slot, member) in list.iter_mut().zip(members) {
            let rank = Member::new(NodeId(member.id), member.priority);
            *slot = if member.candidate {
                rank
            } else {
                rank.ordinary()
            };
        }
        let list = list.get(..members.len()).unwrap_or_default();
        let timing = Timing {
            heartbeat_interval: Duration::from_millis(self.heartbeat_interval),
            failure_timeout: Duration::from_millis(self.failure_timeout),
            failure_jitter: Duration::from_millis(self.failure_jitter),
            round_trip_timeout: Duration::from_millis(self.round_trip_timeout),
        };
        let protection = self.protection()?;
        let mut config = Config::new(
            GroupId(self.group),
            NodeId(self.node),
            list,
            self.algorithm()?,
        )?
        .with_timing(timing)
        .with_seed(self.seed)
        .with_broadcast(self.broadcast);
        config.protection = protection;
        config.validate()?;
        Ok(config)
    }
}

/// The member array of a config: NULL is refused (even with no members), and so is a
/// length above `BW_MAX_MEMBERS`, before anything is read.
///
/// # Safety
/// `ptr` must be NULL or point to `len` readable `bw_member`s.
unsafe fn members<'a>(ptr: *const bw_member, len: usize) -> Result<&'a [bw_member], bw_result> {
    if ptr.is_null() {
        return Err(bw_result::NullPointer);
    }
    if len > BW_MAX_MEMBERS {
        return Err(bw_result::TooManyMembers);
    }
    // SAFETY: not NULL, and the caller guarantees `len` valid, immutable members there.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// Reads a config through a C pointer (checked non-NULL by the caller) and validates it:
/// its `struct_size` first, then its fields.
///
/// # Safety
/// `config` must point to a `bw_config` set up by `bw_config_init` (its first
/// `struct_size` bytes readable), whose `members` is valid for `members_len`.
pub(crate) unsafe fn read_config(
    config: *const bw_config,
) -> Result<Config<BW_MAX_MEMBERS>, bw_result> {
    // SAFETY: every version of `bw_config` starts with `struct_size`, which the caller
    // guarantees readable.
    let size = unsafe { config.cast::<usize>().read() };
    if !known_config_size(size) {
        return Err(bw_result::ConfigSize);
    }
    let known = size.min(size_of::<bw_config>());
    // SAFETY: the caller guarantees `struct_size` readable bytes, at least `known` as
    // checked above; those past this library's `bw_config` are a newer header's fields.
    let newer =
        unsafe { core::slice::from_raw_parts(config.cast::<u8>().add(known), size - known) };
    if newer.iter().any(|&byte| byte != 0) {
        return Err(bw_result::UnsupportedOption);
    }
    // A first-version config lacks the fields after it: they read as zero, their default.
    let mut copy = MaybeUninit::<bw_config>::zeroed();
    // SAFETY: `known` bytes of `config` are readable (checked above), and `copy` is a
    // distinct local of `size_of::<bw_config>()` >= `known` bytes.
    unsafe {
        core::ptr::copy_nonoverlapping(config.cast::<u8>(), copy.as_mut_ptr().cast::<u8>(), known)
    };
    // SAFETY: every byte of `copy` is initialised (zeroed, then overwritten by the caller's
    // config, set up by `bw_config_init` as the caller guarantees); the zero fields of a
    // first-version config are valid values (integers, a `false` bool).
    let config = unsafe { copy.assume_init() };
    // SAFETY: the caller guarantees `config.members` is valid for `members_len`.
    unsafe { config.engine_config() }
}
