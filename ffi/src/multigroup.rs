//! The multi-group node for C hosts: many quorum election groups of one node over one
//! transport (`bellwether::multigroup`), living in memory the caller provides, with its
//! group slots and its outbound queue in caller memory too.

use core::mem::{MaybeUninit, align_of, offset_of, size_of};

use bellwether::multigroup::{
    GroupEvent, GroupOptions, GroupRecord, GroupSlot, MAX_GROUP_MEMBERS, MAX_GROUPS,
    MIN_DATAGRAM_SIZE, MultiGroupConfig, MultiGroupError, MultiGroupNode, MultiGroupStatistics,
    QueuedItem,
};
use bellwether::{Duration, GroupId, Instant, NodeId, Role, TagLength, Term};

use crate::authenticator::{FfiAuthenticator, bw_auth, bw_sign_fn, bw_verify_fn, cmac_key};
use crate::config::tag_length;
use crate::node::{BW_MAX_MEMBERS, BW_MAX_TERM, bw_role, bw_statistics};
use crate::output::bw_transmit;
use crate::pointers::{borrow, borrow_mut, output, slice, slice_mut};
use crate::result::{bw_result, code};

/// The multi-group node of a C host: at most `BW_MAX_MEMBERS` nodes, as a `bw_node`, with
/// the authenticator of a C node (none unless started by `bw_multi_init_authenticated`).
type MultiNode = MultiGroupNode<'static, BW_MAX_MEMBERS, FfiAuthenticator>;

/// The bytes of memory a multi-group node needs: exactly its size on 64-bit targets, and
/// enough on 32-bit ones, where it is smaller (`bw_multi_size()` says exactly). Its groups
/// and its queue live in separate storage (`bw_group_slot`, `bw_queued_item`).
pub const BW_MULTI_SIZE: usize = 13992;

/// The alignment the memory of a multi-group node needs: enough on every target
/// (`bw_multi_align()` says exactly).
pub const BW_MULTI_ALIGN: usize = 8;

/// The bytes of one group slot (`bw_group_slot`): one per group index.
pub const BW_GROUP_SLOT_SIZE: usize = 48;

/// The alignment of a group slot: enough on every target.
pub const BW_GROUP_SLOT_ALIGN: usize = 8;

/// The bytes of one entry of the outbound queue (`bw_queued_item`).
pub const BW_QUEUED_ITEM_SIZE: usize = 24;

/// The alignment of a queue entry: enough on every target.
pub const BW_QUEUED_ITEM_ALIGN: usize = 8;

/// The most members one group of a multi-group node can have.
pub const BW_MULTI_MAX_GROUP_MEMBERS: usize = 8;

/// The most group slots a multi-group node can use (group indices 0 to 65534).
pub const BW_MULTI_MAX_GROUPS: usize = 65535;

/// The smallest `datagram_size` a multi-group node accepts, in bytes.
pub const BW_MULTI_MIN_DATAGRAM_SIZE: usize = 74;

/// The most records one batch of `bw_multi_poll_persist()` holds: a larger array is
/// filled up to this many, and the rest follow in the next batch.
pub const BW_MULTI_PERSIST_BATCH: usize = 64;

/// The `preferred` value of `bw_multi_add_group()` that leaves the choice to the node:
/// the member at position `group % members_len`.
pub const BW_MULTI_DEFAULT_PREFERRED: u8 = 0xFF;

const _: () = {
    #[cfg(target_pointer_width = "64")]
    assert!(
        size_of::<bw_multi>() == BW_MULTI_SIZE,
        "update BW_MULTI_SIZE"
    );

    assert!(
        size_of::<bw_multi>() <= BW_MULTI_SIZE,
        "raise BW_MULTI_SIZE"
    );
    assert!(
        align_of::<bw_multi>() <= BW_MULTI_ALIGN,
        "raise BW_MULTI_ALIGN"
    );
    // A C array of slots or items must have the stride of the Rust array it becomes.
    assert!(
        size_of::<GroupSlot>() == BW_GROUP_SLOT_SIZE,
        "update BW_GROUP_SLOT_SIZE"
    );
    assert!(size_of::<bw_group_slot>() == size_of::<GroupSlot>());
    assert!(align_of::<GroupSlot>() <= align_of::<bw_group_slot>());
    assert!(align_of::<GroupSlot>() <= BW_GROUP_SLOT_ALIGN);
    assert!(
        size_of::<QueuedItem>() == BW_QUEUED_ITEM_SIZE,
        "update BW_QUEUED_ITEM_SIZE"
    );
    assert!(size_of::<bw_queued_item>() == size_of::<QueuedItem>());
    assert!(align_of::<QueuedItem>() <= align_of::<bw_queued_item>());
    assert!(align_of::<QueuedItem>() <= BW_QUEUED_ITEM_ALIGN);
    assert!(BW_MULTI_MAX_GROUP_MEMBERS == MAX_GROUP_MEMBERS);
    assert!(BW_MULTI_MAX_GROUPS == MAX_GROUPS);
    assert!(BW_MULTI_MIN_DATAGRAM_SIZE == MIN_DATAGRAM_SIZE);
    assert!(size_of::<bw_multi_storage>() == BW_MULTI_SIZE);
    assert!(align_of::<bw_multi_storage>() >= align_of::<bw_multi>());
};

/// Memory for one multi-group node, sized and aligned for it:
/// `static bw_multi_storage memory;` then `bw_multi_init(&memory, sizeof memory, ...)`.
#[repr(C)]
pub union bw_multi_storage {
    /// The node's bytes.
    pub bytes: [u8; BW_MULTI_SIZE],
    /// Aligns the storage to `BW_MULTI_ALIGN`.
    pub align: u64,
}

/// One group's slot, opaque: declare the group storage as an array of them
/// (`static bw_group_slot slots[10000];`), one per group index, and hand it to
/// `bw_multi_init()`, which overwrites it.
#[repr(C)]
#[derive(Clone, Copy)]
pub union bw_group_slot {
    /// The slot's bytes.
    pub bytes: [u8; BW_GROUP_SLOT_SIZE],
    /// Aligns the slot.
    pub align: u64,
}

/// One entry of a multi-group node's outbound queue, opaque: declare the queue storage
/// as an array of them (at least one per node; a few per group the node leads is ample)
/// and hand it to `bw_multi_init()`, which overwrites it. It is split evenly among the
/// peers.
#[repr(C)]
#[derive(Clone, Copy)]
pub union bw_queued_item {
    /// The entry's bytes.
    pub bytes: [u8; BW_QUEUED_ITEM_SIZE],
    /// Aligns the entry.
    pub align: u64,
}

/// A multi-group node: opaque. Lives in memory the caller provides (`BW_MULTI_SIZE`
/// bytes aligned to `BW_MULTI_ALIGN`), set up by `bw_multi_init()` or
/// `bw_multi_init_authenticated()`; it owns nothing, so there is nothing to free. It
/// borrows the group and queue storage given to it for as long as it is used. An
/// authenticated node's CMAC keys live in this memory: overwrite it when the node is done
/// with.
pub struct bw_multi {
    node: MultiNode,
}

/// The configuration of a multi-group node. Set it up with `bw_multi_config_init()`
/// (which sets `struct_size` and the defaults), then set `id`, `nodes` and `nodes_len`.
/// Times are in the host's units (milliseconds by default). Later versions add fields at
/// the end: `struct_size` tells the library which version the caller compiled.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bw_multi_config {
    /// The size of the struct the caller compiled, `sizeof(bw_multi_config)`: set by
    /// `bw_multi_config_init()`; do not change it.
    pub struct_size: usize,
    /// This node's id; must be one of `nodes`.
    pub id: u32,
    /// The node set (this node included): the same ids, in the same order, on every
    /// node; `nodes_len` of them, at most `BW_MAX_MEMBERS`.
    pub nodes: *const u32,
    /// How many ids `nodes` points to.
    pub nodes_len: usize,
    /// The cluster's id: datagrams of another cluster are refused with
    /// `BW_RESULT_WRONG_GROUP`.
    pub cluster: u32,
    /// How often the node sends each other node a datagram when nothing else is due
    /// (default 100); at most a third of the lease duration `T(1-rho)/(1+rho)`.
    pub heartbeat_interval: u64,
    /// The election timeout T of every group (default 1000).
    pub election_timeout: u64,
    /// The bound rho on every clock's rate error, in parts per million (default 1000).
    pub clock_drift_ppm: u32,
    /// The largest datagram the transport carries, in bytes (default 1200; at least
    /// `BW_MULTI_MIN_DATAGRAM_SIZE`): `bw_multi_poll_transmit()` needs a buffer this
    /// large.
    pub datagram_size: usize,
    /// How many groups the node hands back to their preferred member per heartbeat
    /// interval at most (default 32; 0: never).
    pub transfers_per_interval: u16,
    /// Whether every datagram ends with a CRC-32 (default true). Every node must agree:
    /// a datagram in the other format is refused with `BW_RESULT_WRONG_ENVELOPE`. Ignored
    /// with `authenticated`, whose MAC covers the whole datagram.
    pub checksum: bool,
    /// Seed of the timeout jitter; give each node its own.
    pub seed: u64,
    /// This start's session: it must differ from every earlier start of this node (a
    /// boot counter kept in storage, or random bits), so that its peers notice a restart.
    /// With `authenticated` it is also the first half of every freshness value the node
    /// sends, and must never repeat across the node's starts under the same key: a fixed
    /// one (or one derived from `seed`) lets captured traffic be replayed after a restart.
    pub incarnation: u32,
    /// Zero. Keeps the fields below past the end of the previous version of this struct on
    /// every target; a non-zero value is refused with `BW_RESULT_UNSUPPORTED_OPTION`.
    pub reserved: u32,
    /// Whether every datagram carries a key id, a freshness value and a truncated MAC
    /// (default false): forged, corrupted and replayed datagrams are refused, and a peer's
    /// datagrams count only once it answered a challenge (one round trip after either
    /// side starts). Every node must agree. The node needs keys or MAC callbacks: start it
    /// with `bw_multi_init_authenticated()`.
    pub authenticated: bool,
    /// With `authenticated`: how many bytes of the MAC each datagram carries, 4, 8 (the
    /// default) or 16; any other value is refused with `BW_RESULT_BAD_TAG_LENGTH`.
    pub tag_length: u32,
}

/// The largest `struct_size` a multi-group config may claim (as for `bw_config`).
const MAX_CONFIG_SIZE: usize = 4096;

/// The size of the first version of `bw_multi_config`, which ends with `incarnation`: its
/// fields rounded up to the struct's alignment. Its callers' datagrams are not
/// authenticated: the fields after it read as zero.
const CONFIG_V1_SIZE: usize = {
    let end = offset_of!(bw_multi_config, incarnation) + size_of::<u32>();
    end.next_multiple_of(align_of::<bw_multi_config>())
};

const _: () = {
    // The second version's fields start past the end of the first version's struct on
    // every target (`reserved` keeps them out of its trailing padding), so a
    // first-version struct never supplies them.
    assert!(offset_of!(bw_multi_config, authenticated) >= CONFIG_V1_SIZE);
    assert!(CONFIG_V1_SIZE < size_of::<bw_multi_config>());
};

/// Whether a caller's `struct_size` is one this library reads: exactly the first
/// version's, or this version's or larger (a newer header), up to [`MAX_CONFIG_SIZE`].
fn known_config_size(size: usize) -> bool {
    size == CONFIG_V1_SIZE || (size_of::<bw_multi_config>()..=MAX_CONFIG_SIZE).contains(&size)
}

/// The defaults `bw_multi_config_init` writes.
fn defaults(struct_size: usize) -> bw_multi_config {
    // The engine's own defaults, read from a configuration of one node.
    let engine = MultiGroupConfig::<1>::new(NodeId(0), &[NodeId(0)], GroupId(0)).ok();
    bw_multi_config {
        struct_size,
        id: 0,
        nodes: core::ptr::null(),
        nodes_len: 0,
        cluster: 0,
        heartbeat_interval: engine
            .as_ref()
            .map_or(100, |c| c.heartbeat_interval().as_millis()),
        election_timeout: engine
            .as_ref()
            .map_or(1_000, |c| c.election_timeout().as_millis()),
        clock_drift_ppm: 1_000,
        datagram_size: engine.as_ref().map_or(1_200, |c| c.datagram_size()),
        transfers_per_interval: 32,
        checksum: true,
        seed: 0,
        incarnation: 0,
        reserved: 0,
        authenticated: false,
        tag_length: TagLength::Bytes8.bytes() as u32,
    }
}

/// Sets up `config`, of `config_size` bytes (pass `sizeof config`), with the defaults:
/// heartbeat 100, election timeout 1000, drift bound 1000 ppm, datagrams of up to 1200
/// bytes, 32 transfers per interval, checksummed datagrams, not authenticated (tag length
/// 8), seed 0, incarnation 0, cluster 0, and `struct_size` = `config_size`. `id` and
/// `nodes` are left empty: set them.
///
/// Errors: `BW_RESULT_NULL_POINTER`; `BW_RESULT_CONFIG_SIZE` if `config_size` is smaller
/// than this library's `bw_multi_config` (or implausibly large).
///
/// # Safety
/// `config` must be NULL or point to `config_size` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_config_init(
    config: *mut bw_multi_config,
    config_size: usize,
) -> bw_result {
    if config.is_null() {
        return bw_result::NullPointer;
    }
    if !known_config_size(config_size) {
        return bw_result::ConfigSize;
    }
    let defaults = defaults(config_size);
    let known = config_size.min(size_of::<bw_multi_config>());
    // SAFETY: `config` is not NULL and points to `config_size` writable bytes (the caller's
    // guarantee): the first `known` bytes of `defaults` (this library's struct, or the
    // first version's) are copied, and the rest, a newer header's fields, is zeroed, their
    // default.
    unsafe {
        let bytes = config.cast::<u8>();
        core::ptr::copy_nonoverlapping((&raw const defaults).cast::<u8>(), bytes, known);
        bytes.add(known).write_bytes(0, config_size - known);
    }
    bw_result::Ok
}

/// A validated multi-group config, and whether it asks for authentication.
struct ReadConfig {
    config: MultiGroupConfig<BW_MAX_MEMBERS>,
    authenticated: bool,
}

/// Reads and validates a multi-group config: its `struct_size`, its node set, its values.
///
/// # Safety
/// `config` must be non-NULL and point to a `bw_multi_config` set up by
/// `bw_multi_config_init` (its first `struct_size` bytes readable), whose `nodes` is NULL
/// or valid for `nodes_len` ids.
unsafe fn read_config(config: *const bw_multi_config) -> Result<ReadConfig, bw_result> {
    // SAFETY: every version of `bw_multi_config` starts with `struct_size`, which the
    // caller guarantees readable.
    let size = unsafe { config.cast::<usize>().read_unaligned() };
    if !known_config_size(size) {
        return Err(bw_result::ConfigSize);
    }
    let known = size.min(size_of::<bw_multi_config>());
    // SAFETY: the caller guarantees `struct_size` readable bytes, at least `known` (checked
    // above); those past this library's struct are a newer header's fields.
    let newer =
        unsafe { core::slice::from_raw_parts(config.cast::<u8>().add(known), size - known) };
    if newer.iter().any(|&byte| byte != 0) {
        return Err(bw_result::UnsupportedOption);
    }
    // A first-version config lacks the fields after it: they read as zero, their default.
    // Its trailing padding (where `reserved` now lies on some targets) is not read: a C
    // struct assignment need not copy padding.
    let copied = if size == CONFIG_V1_SIZE {
        offset_of!(bw_multi_config, reserved)
    } else {
        known
    };
    let mut copy = MaybeUninit::<bw_multi_config>::zeroed();
    // SAFETY: `known` >= `copied` bytes of `config` are readable (checked above), and
    // `copy` is a distinct local of `size_of::<bw_multi_config>()` >= `copied` bytes.
    unsafe {
        core::ptr::copy_nonoverlapping(config.cast::<u8>(), copy.as_mut_ptr().cast::<u8>(), copied)
    };
    // SAFETY: every byte of `copy` is initialised (zeroed, then overwritten by the caller's
    // config, set up by `bw_multi_config_init` as the caller guarantees, so every field
    // holds a valid value); the zero fields of a first-version config are valid values
    // (integers, a `false` bool).
    let config = unsafe { copy.assume_init() };
    if config.nodes.is_null() {
        return Err(bw_result::NullPointer);
    }
    if config.nodes_len == 0 {
        return Err(bw_result::NoMembers);
    }
    if config.nodes_len > BW_MAX_MEMBERS {
        return Err(bw_result::TooManyMembers);
    }
    // SAFETY: not NULL, and the caller guarantees `nodes_len` readable ids there (at most
    // `BW_MAX_MEMBERS`, checked above).
    let ids = unsafe { core::slice::from_raw_parts(config.nodes, config.nodes_len) };
    let mut nodes = [NodeId(0); BW_MAX_MEMBERS];
    for (node, &id) in nodes.iter_mut().zip(ids) {
        *node = NodeId(id);
    }
    let nodes = nodes.get(..ids.len()).unwrap_or_default();
    let millis = Duration::from_millis;
    let engine = MultiGroupConfig::new(NodeId(config.id), nodes, GroupId(config.cluster))?
        .with_clock_drift_ppm(config.clock_drift_ppm)?
        .with_timing(
            millis(config.heartbeat_interval),
            millis(config.election_timeout),
        )?
        .with_datagram_size(config.datagram_size)?
        .with_transfers_per_interval(config.transfers_per_interval)
        .with_checksum(config.checksum)
        .with_seed(config.seed)
        .with_incarnation(config.incarnation);
    if config.reserved != 0 {
        return Err(bw_result::UnsupportedOption);
    }
    let engine = if config.authenticated {
        engine.with_authentication(tag_length(config.tag_length)?)?
    } else {
        engine
    };
    Ok(ReadConfig {
        config: engine,
        authenticated: config.authenticated,
    })
}

/// The exact number of bytes a multi-group node takes in this build (at most
/// `BW_MULTI_SIZE`): memory smaller than this is refused with `BW_RESULT_MEMORY_TOO_SMALL`.
#[unsafe(no_mangle)]
pub extern "C" fn bw_multi_size() -> usize {
    size_of::<bw_multi>()
}

/// The exact alignment a multi-group node needs in this build (at most `BW_MULTI_ALIGN`):
/// memory not aligned to it is refused with `BW_RESULT_MEMORY_MISALIGNED`.
#[unsafe(no_mangle)]
pub extern "C" fn bw_multi_align() -> usize {
    align_of::<bw_multi>()
}

/// Checks the arguments of `bw_multi_init` and `bw_multi_init_authenticated` in their
/// documented order (NULL pointers, alignments, the memory's size, `slots_len`, the
/// configuration, the authenticator, `queue_len`), builds the node, places it in `memory`
/// and writes its handle; the storage is overwritten only once every check has passed.
///
/// # Safety
/// As `bw_multi_init`; `auth`, if given, NULL or valid (as `bw_auth::read` needs).
#[allow(clippy::too_many_arguments)]
unsafe fn place(
    memory: *mut core::ffi::c_void,
    memory_len: usize,
    config: *const bw_multi_config,
    slots: *mut bw_group_slot,
    slots_len: usize,
    queue: *mut bw_queued_item,
    queue_len: usize,
    now: u64,
    auth: Option<*const bw_auth>,
    out_multi: *mut *mut bw_multi,
) -> bw_result {
    let multi = memory.cast::<bw_multi>();
    let (slots, queue) = (slots.cast::<GroupSlot>(), queue.cast::<QueuedItem>());
    let null_auth = auth.is_some_and(<*const bw_auth>::is_null);
    if multi.is_null() || config.is_null() || slots.is_null() || queue.is_null() || null_auth {
        return bw_result::NullPointer;
    }
    // SAFETY: the caller guarantees `out_multi` is NULL or writable.
    let Ok(out) = (unsafe { output(out_multi) }) else {
        return bw_result::NullPointer;
    };
    if multi.cast::<u8>().align_offset(align_of::<bw_multi>()) != 0
        || slots.align_offset(align_of::<GroupSlot>()) != 0
        || queue.align_offset(align_of::<QueuedItem>()) != 0
    {
        return bw_result::MemoryMisaligned;
    }
    if memory_len < size_of::<bw_multi>() {
        return bw_result::MemoryTooSmall;
    }
    if slots_len > MAX_GROUPS {
        return bw_result::TooManyGroups;
    }
    // SAFETY: `config` is not NULL; the caller guarantees it valid.
    let ReadConfig {
        config,
        authenticated,
    } = match unsafe { read_config(config) } {
        Ok(config) => config,
        Err(error) => return error,
    };
    let authenticator = match auth {
        None if authenticated => return bw_result::NoAuthenticator,
        None => FfiAuthenticator::None,
        // SAFETY: not NULL (checked above); the caller guarantees it valid.
        Some(auth) => match unsafe { bw_auth::read(auth) } {
            Ok(authenticator) => authenticator,
            Err(error) => return error,
        },
    };
    if queue_len < config.nodes().len() {
        return bw_result::QueueTooSmall;
    }
    // Every slot and entry gets a valid value before a Rust slice covers them: C memory
    // may hold anything.
    for i in 0..slots_len {
        // SAFETY: `slots` is not NULL, aligned (checked above), and the caller guarantees
        // `slots_len` writable slots, each `size_of::<GroupSlot>()` bytes (asserted).
        unsafe { slots.add(i).write(GroupSlot::EMPTY) };
    }
    for i in 0..queue_len {
        // SAFETY: as for the slots, with `queue_len` writable entries.
        unsafe { queue.add(i).write(QueuedItem::EMPTY) };
    }
    // SAFETY: both point to initialised, aligned elements (written above) that the caller
    // guarantees nothing else uses. The 'static lifetime is the caller's obligation, stated
    // in this function's contract: the storage stays valid, in place and unshared for as
    // long as the node (which borrows it) is used; the library never keeps it beyond.
    let (groups, items): (&'static mut [GroupSlot], &'static mut [QueuedItem]) = unsafe {
        (
            core::slice::from_raw_parts_mut(slots, slots_len),
            core::slice::from_raw_parts_mut(queue, queue_len),
        )
    };
    let now = Instant::from_millis(now);
    let node = match MultiGroupNode::with_authenticator(config, groups, items, now, authenticator) {
        Ok(node) => node,
        Err(error) => return error.into(),
    };
    // SAFETY: `multi` is not NULL, is aligned and large enough for a `bw_multi` (checked
    // above), and the caller guarantees the memory writable and used by nothing else.
    unsafe { multi.write(bw_multi { node }) };
    out.put(multi)
}

/// Sets up a multi-group node in the caller's `memory` (`memory_len` bytes:
/// `BW_MULTI_SIZE` aligned to `BW_MULTI_ALIGN` always suffices), started at time `now`
/// with no groups, and writes its handle (a pointer into `memory`) to `out_multi`. Calling
/// it again on the same memory starts afresh.
///
/// `slots` (`slots_len` of them, at most `BW_MULTI_MAX_GROUPS`) is the group storage: group
/// `g` lives in `slots[g]`. `queue` (`queue_len` entries, at least `nodes_len`) holds the
/// items waiting to be sent, split evenly among the peers. The node borrows both, and
/// `memory`, for as long as it is used: they must stay where they are (not be moved,
/// freed or reused, nor given to another node) until the node is done with. Both are
/// overwritten, and only once every check has passed.
///
/// The arguments are checked in this order, and the first problem found is returned, with
/// nothing written: a NULL pointer (`BW_RESULT_NULL_POINTER`), the alignment of `memory`,
/// `slots` and `queue` (`BW_RESULT_MEMORY_MISALIGNED`), the size of `memory`
/// (`BW_RESULT_MEMORY_TOO_SMALL`), `slots_len` (`BW_RESULT_TOO_MANY_GROUPS`), then the
/// configuration: its `struct_size` (`BW_RESULT_CONFIG_SIZE`), newer options
/// (`BW_RESULT_UNSUPPORTED_OPTION`), its `nodes` (`BW_RESULT_NULL_POINTER`,
/// `BW_RESULT_NO_MEMBERS`, `BW_RESULT_TOO_MANY_MEMBERS`, `BW_RESULT_DUPLICATE_MEMBER`,
/// `BW_RESULT_SELF_NOT_MEMBER`), its drift bound (`BW_RESULT_DRIFT_BOUND_TOO_LARGE`), its
/// timing (`BW_RESULT_INVALID_TIMING`), its datagram size (`BW_RESULT_DATAGRAM_SIZE`), its
/// `reserved` field (`BW_RESULT_UNSUPPORTED_OPTION`), its tag length if `authenticated`
/// (`BW_RESULT_BAD_TAG_LENGTH`, then `BW_RESULT_DATAGRAM_SIZE` if the datagram size leaves
/// no room for the MAC); and last `queue_len` (`BW_RESULT_QUEUE_TOO_SMALL`). A config with
/// `authenticated` is refused with `BW_RESULT_NO_AUTHENTICATOR` (after the configuration's
/// checks): use `bw_multi_init_authenticated()`.
///
/// # Safety
/// `memory` must be NULL or point to `memory_len` writable bytes; `slots` NULL or point to
/// `slots_len` writable slots; `queue` NULL or point to `queue_len` writable entries; all
/// three used by nothing else, and kept in place, while the node is used. `config` must be
/// NULL or set up by `bw_multi_config_init` (its `nodes` array valid too); `out_multi`
/// NULL or writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn bw_multi_init(
    memory: *mut core::ffi::c_void,
    memory_len: usize,
    config: *const bw_multi_config,
    slots: *mut bw_group_slot,
    slots_len: usize,
    queue: *mut bw_queued_item,
    queue_len: usize,
    now: u64,
    out_multi: *mut *mut bw_multi,
) -> bw_result {
    // SAFETY: the caller's guarantees are those `place` needs.
    unsafe {
        place(
            memory, memory_len, config, slots, slots_len, queue, queue_len, now, None, out_multi,
        )
    }
}

/// Like `bw_multi_init()`, for a config with `authenticated`: the node signs and checks
/// its datagrams with the CMAC key or the MAC callbacks `auth` describes (a CMAC key is
/// copied into `memory`; `auth` need not outlive the call). The keys come with the node's
/// start because it signs from its first datagram on. The arguments are checked in
/// `bw_multi_init()`'s order, `auth` after the configuration and before `queue_len`
/// (`BW_RESULT_NULL_POINTER` for a NULL `auth` comes first, with the other pointers): a
/// `struct_size` below this header's (`BW_RESULT_CONFIG_SIZE`), an unknown `kind`
/// (`BW_RESULT_INVALID_ARGUMENT`), a short key (`BW_RESULT_BUFFER_TOO_SMALL`), a NULL
/// `sign` (`BW_RESULT_NULL_POINTER`), a `sign` that refuses `key_id`
/// (`BW_RESULT_UNKNOWN_KEY`). Without `authenticated`, `auth` is checked, kept, and
/// unused. Later key changes: `bw_multi_set_cmac_key()`, `bw_multi_retire_previous_key()`,
/// `bw_multi_set_mac_callbacks()`.
///
/// # Safety
/// As `bw_multi_init()`; `auth` must be NULL or valid, its `key` readable for `key_len`
/// bytes, and its callbacks safe to call with `user` while the node lives.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn bw_multi_init_authenticated(
    memory: *mut core::ffi::c_void,
    memory_len: usize,
    config: *const bw_multi_config,
    slots: *mut bw_group_slot,
    slots_len: usize,
    queue: *mut bw_queued_item,
    queue_len: usize,
    now: u64,
    auth: *const bw_auth,
    out_multi: *mut *mut bw_multi,
) -> bw_result {
    // SAFETY: the caller's guarantees are those `place` needs.
    unsafe {
        place(
            memory,
            memory_len,
            config,
            slots,
            slots_len,
            queue,
            queue_len,
            now,
            Some(auth),
            out_multi,
        )
    }
}

/// Runs `f` on a multi-group handle.
///
/// # Safety
/// `multi` must be NULL or a handle from `bw_multi_init` (or its `_authenticated` form)
/// whose memory and storage are
/// still valid, not used concurrently.
unsafe fn with_multi(
    multi: *mut bw_multi,
    f: impl FnOnce(&mut MultiNode) -> Result<bw_result, bw_result>,
) -> bw_result {
    // SAFETY: as the caller guarantees.
    code(unsafe { borrow_mut(multi) }.and_then(|multi| f(&mut multi.node)))
}

/// Like `with_multi`, read only.
///
/// # Safety
/// As `with_multi`.
unsafe fn read_multi(
    multi: *const bw_multi,
    f: impl FnOnce(&MultiNode) -> Result<bw_result, bw_result>,
) -> bw_result {
    // SAFETY: as the caller guarantees.
    code(unsafe { borrow(multi) }.and_then(|multi| f(&multi.node)))
}

/// Installs the CMAC-AES-128 key `key` (`key_len` bytes, `BW_CMAC_KEY_SIZE`), named
/// `key_id`, as the key the node signs with, as `bw_node_set_cmac_key()` does for a node of
/// one group: the first call on a node without CMAC keys makes them (replacing MAC
/// callbacks, if any); later calls rotate, the key that was current staying accepted until
/// `bw_multi_retire_previous_key()`. Install the new key on every node, then retire the
/// previous one everywhere. Give each key a new id. The key is copied into the node's
/// memory. Errors (the node unchanged): `BW_RESULT_NULL_POINTER`,
/// `BW_RESULT_BUFFER_TOO_SMALL` for a `key_len` below `BW_CMAC_KEY_SIZE`,
/// `BW_RESULT_INVALID_ARGUMENT` above it.
///
/// # Safety
/// `multi` must be NULL or a valid handle; `key` must be NULL or point to `key_len`
/// readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_set_cmac_key(
    multi: *mut bw_multi,
    key_id: u8,
    key: *const u8,
    key_len: usize,
) -> bw_result {
    // SAFETY: the caller guarantees `key` is NULL or readable for `key_len` bytes.
    let key = unsafe { cmac_key(key, key_len) };
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle.
    unsafe {
        with_multi(multi, |node| {
            node.authenticator_mut().set_cmac_key(key_id, key?);
            Ok(bw_result::Ok)
        })
    }
}

/// Stops accepting the CMAC key that was current before the last
/// `bw_multi_set_cmac_key()`: its datagrams are refused (counted in `unknown_key`) from now
/// on. `BW_RESULT_EMPTY` if there is no previous key (or no CMAC key at all).
///
/// # Safety
/// `multi` must be NULL or a valid handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_retire_previous_key(multi: *mut bw_multi) -> bw_result {
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle.
    unsafe {
        with_multi(multi, |node| {
            Ok(node.authenticator_mut().retire_previous_key())
        })
    }
}

/// Makes the node sign and check its datagrams through the host's callbacks, replacing its
/// CMAC keys or earlier callbacks, as `bw_node_set_mac_callbacks()` does for a node of one
/// group: new datagrams are signed with `current_key_id`; `sign` is called once with
/// nothing to sign to check it knows that key; `verify` may be NULL (the library then signs
/// and compares in constant time); `user` is passed to both as is. Errors (the node
/// unchanged): `BW_RESULT_NULL_POINTER` (a NULL `multi` or `sign`),
/// `BW_RESULT_UNKNOWN_KEY` if `sign` refuses `current_key_id`.
///
/// # Safety
/// `multi` must be NULL or a valid handle; `sign` and `verify` must be safe to call with
/// `user` for as long as the node lives (or until the next change).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_set_mac_callbacks(
    multi: *mut bw_multi,
    sign: bw_sign_fn,
    verify: bw_verify_fn,
    current_key_id: u8,
    user: *mut core::ffi::c_void,
) -> bw_result {
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle, and the callbacks.
    unsafe {
        with_multi(multi, |node| {
            node.authenticator_mut()
                .set_mac_callbacks(sign, verify, current_key_id, user)?;
            Ok(bw_result::Ok)
        })
    }
}

/// `BW_RESULT_NO_SUCH_GROUP` unless the node holds `group`.
fn held(node: &MultiNode, group: u16) -> Result<Role, bw_result> {
    node.role(group).ok_or(bw_result::NoSuchGroup)
}

/// A role as C sees it.
fn role_code(role: Role) -> Result<bw_role, bw_result> {
    match role {
        Role::Follower => Ok(bw_role::Follower),
        Role::Candidate => Ok(bw_role::Candidate),
        Role::Leader => Ok(bw_role::Leader),
        // The core is built with this library: every role it has is mapped above.
        _ => Err(bw_result::Unknown),
    }
}

/// Adds group `group` (an index into the group storage) with the `members_len` ids at
/// `members` (from the node set, this node among them, at most
/// `BW_MULTI_MAX_GROUP_MEMBERS`; the same list, in the same order, on every member).
/// `preferred` is the position in `members` of the member that should lead while it is
/// healthy, or `BW_MULTI_DEFAULT_PREFERRED` for position `group % members_len`. The
/// group's first election waits for the election timeout, so that leaders already elected
/// are heard first.
///
/// Errors (the node unchanged): `BW_RESULT_NULL_POINTER`; `BW_RESULT_NO_SUCH_GROUP` (outside
/// the storage); `BW_RESULT_GROUP_IN_USE` (added already); `BW_RESULT_GROUP_SIZE` (no
/// members, or too many); `BW_RESULT_DUPLICATE_MEMBER`; `BW_RESULT_UNKNOWN_NODE` (a member
/// outside the node set); `BW_RESULT_SELF_NOT_MEMBER`; `BW_RESULT_BAD_PREFERRED` (not a
/// member's position).
///
/// # Safety
/// `multi` must be NULL or a valid handle; `members` must be NULL or point to
/// `members_len` readable ids.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_add_group(
    multi: *mut bw_multi,
    now: u64,
    group: u16,
    members: *const u32,
    members_len: usize,
    preferred: u8,
) -> bw_result {
    let ids = if members.is_null() {
        Err(bw_result::NullPointer)
    } else if members_len == 0 || members_len > MAX_GROUP_MEMBERS {
        Err(bw_result::GroupSize)
    } else {
        // SAFETY: not NULL, and the caller guarantees `members_len` readable ids (at most
        // `MAX_GROUP_MEMBERS`, checked above).
        Ok(unsafe { core::slice::from_raw_parts(members, members_len) })
    };
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle.
    unsafe {
        with_multi(multi, |node| {
            let ids = ids?;
            let mut list = [NodeId(0); MAX_GROUP_MEMBERS];
            for (member, &id) in list.iter_mut().zip(ids) {
                *member = NodeId(id);
            }
            let list = list.get(..ids.len()).unwrap_or_default();
            let options = match preferred {
                BW_MULTI_DEFAULT_PREFERRED => GroupOptions::DEFAULT,
                position => GroupOptions::DEFAULT.with_preferred(position),
            };
            node.add_group(Instant::from_millis(now), group, list, options)?;
            Ok(bw_result::Ok)
        })
    }
}

/// One group's term and vote, to persist and to restore after a restart
/// (`bw_multi_poll_persist()`, `bw_multi_restore_group()`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct bw_group_record {
    /// The group's index.
    pub group: u16,
    /// Its term.
    pub term: u64,
    /// With `has_vote`: the node this node voted for in `term` (0 otherwise).
    pub voted_for: u32,
    /// Whether this node voted in `term`.
    pub has_vote: bool,
}

impl From<GroupRecord> for bw_group_record {
    fn from(record: GroupRecord) -> Self {
        bw_group_record {
            group: record.group,
            term: record.term.0,
            voted_for: record.voted_for.map_or(0, |id| id.0),
            has_vote: record.voted_for.is_some(),
        }
    }
}

/// Resumes a group's term and vote after a restart, from a record written before it:
/// call it for every record kept, before `bw_multi_add_group()` of the same group and
/// before any input. Errors (the node unchanged): `BW_RESULT_NULL_POINTER`;
/// `BW_RESULT_RESTORED_TERM_OUT_OF_RANGE` (above `BW_MAX_TERM`); `BW_RESULT_UNKNOWN_NODE`
/// (a vote for a node outside the node set); `BW_RESULT_NO_SUCH_GROUP` (outside the
/// storage); `BW_RESULT_GROUP_IN_USE` (the group was added already).
///
/// # Safety
/// `multi` must be NULL or a valid handle; `record` must be NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_restore_group(
    multi: *mut bw_multi,
    record: *const bw_group_record,
) -> bw_result {
    // SAFETY: the caller guarantees `record` is NULL or valid.
    let record = unsafe { borrow(record) }.copied();
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle.
    unsafe {
        with_multi(multi, |node| {
            let record = record?;
            if record.term > BW_MAX_TERM {
                return Err(bw_result::RestoredTermOutOfRange);
            }
            node.restore_group(&GroupRecord {
                group: record.group,
                term: Term(record.term),
                voted_for: record.has_vote.then_some(NodeId(record.voted_for)),
            })?;
            Ok(bw_result::Ok)
        })
    }
}

/// Feeds the `data_len` received bytes at `data` to the node at time `now`. A refused
/// datagram (a NULL pointer, whatever the length; malformed bytes, zero bytes included;
/// another cluster, `BW_RESULT_WRONG_GROUP`; an unknown sender; misaddressed; the other
/// checksum setting, `BW_RESULT_WRONG_ENVELOPE`) changes nothing but the statistics.
/// Items for groups this node does not hold are skipped (`items_ignored`).
///
/// # Safety
/// `multi` must be NULL or a valid handle; `data` must be NULL or point to `data_len`
/// readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_handle_bytes(
    multi: *mut bw_multi,
    now: u64,
    data: *const u8,
    data_len: usize,
) -> bw_result {
    // SAFETY: the caller guarantees `data` and `data_len` describe readable memory.
    let received = unsafe { slice(data, data_len) };
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle.
    unsafe {
        with_multi(multi, |node| {
            node.handle_bytes(Instant::from_millis(now), received?)?;
            Ok(bw_result::Ok)
        })
    }
}

/// Handles the passage of time: the node-level deadlines (liveness, support, spreading)
/// and the groups' deadlines due at `now`; early, late and repeated calls are harmless.
///
/// # Safety
/// `multi` must be NULL or a valid handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_handle_timeout(multi: *mut bw_multi, now: u64) -> bw_result {
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle.
    unsafe {
        with_multi(multi, |node| {
            node.handle_timeout(Instant::from_millis(now));
            Ok(bw_result::Ok)
        })
    }
}

/// Hands `group`'s leadership to node `to` now: this node resigns and `to` stands at once.
/// Errors (the node unchanged): `BW_RESULT_UNKNOWN_NODE` (outside the node set);
/// `BW_RESULT_NO_SUCH_GROUP`; `BW_RESULT_NO_TRANSFER` (this node does not lead the group,
/// or `to` is not a live member of it, or is this node).
///
/// # Safety
/// `multi` must be NULL or a valid handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_transfer_leadership(
    multi: *mut bw_multi,
    now: u64,
    group: u16,
    to: u32,
) -> bw_result {
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle.
    unsafe {
        with_multi(multi, |node| {
            node.transfer_leadership(Instant::from_millis(now), group, NodeId(to))?;
            Ok(bw_result::Ok)
        })
    }
}

/// After every input, first: fills `records` (room for `records_len`) with the next batch
/// of group records to persist (at most `BW_MULTI_PERSIST_BATCH`) and writes how many to
/// `out_count`. Write them all (in one write, in any order), then call
/// `bw_multi_confirm_persisted()`: until then nothing that depends on them is sent.
/// `BW_RESULT_EMPTY` while a batch is unconfirmed or nothing changed;
/// `BW_RESULT_BUFFER_TOO_SMALL` for a `records_len` of 0.
///
/// # Safety
/// `multi` must be NULL or a valid handle; `records` must be NULL or point to
/// `records_len` writable records; `out_count` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_poll_persist(
    multi: *mut bw_multi,
    records: *mut bw_group_record,
    records_len: usize,
    out_count: *mut usize,
) -> bw_result {
    // SAFETY: the caller guarantees `out_count` is NULL or writable.
    let out = unsafe { output(out_count) };
    let records = if records.is_null() {
        Err(bw_result::NullPointer)
    } else {
        // SAFETY: not NULL, and the caller guarantees `records_len` writable records that
        // nothing else uses during the call; as `MaybeUninit` they are only written.
        Ok(unsafe {
            core::slice::from_raw_parts_mut(
                records.cast::<MaybeUninit<bw_group_record>>(),
                records_len,
            )
        })
    };
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle.
    unsafe {
        with_multi(multi, |node| {
            let (records, out) = (records?, out?);
            if records.is_empty() {
                return Err(bw_result::BufferTooSmall);
            }
            let mut batch = [GroupRecord::default(); BW_MULTI_PERSIST_BATCH];
            let room = batch
                .get_mut(..records.len().min(BW_MULTI_PERSIST_BATCH))
                .unwrap_or_default();
            let count = node.poll_persist(room);
            if count == 0 {
                return Ok(bw_result::Empty);
            }
            for (slot, record) in records.iter_mut().zip(batch.iter().take(count)) {
                slot.write((*record).into());
            }
            Ok(out.put(count))
        })
    }
}

/// The host finished writing the batch last handed out by `bw_multi_poll_persist()`: what
/// depended on it may now be sent.
///
/// # Safety
/// `multi` must be NULL or a valid handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_confirm_persisted(multi: *mut bw_multi) -> bw_result {
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle.
    unsafe {
        with_multi(multi, |node| {
            node.confirm_persisted();
            Ok(bw_result::Ok)
        })
    }
}

/// After every input, second: writes the next datagram (everything due for one peer,
/// bundled) to the start of `buf` and describes it in `out` (`out->broadcast` is always
/// false: send it to node `out->to`); call it until `BW_RESULT_EMPTY`. `buf_len` must be
/// at least the config's `datagram_size`: a shorter buffer is refused with
/// `BW_RESULT_BUFFER_TOO_SMALL`, and nothing is taken.
///
/// # Safety
/// `multi` must be NULL or a valid handle; `buf` must be NULL or point to `buf_len`
/// writable bytes; `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_poll_transmit(
    multi: *mut bw_multi,
    now: u64,
    buf: *mut u8,
    buf_len: usize,
    out: *mut bw_transmit,
) -> bw_result {
    // SAFETY: the caller guarantees `buf`/`buf_len` and `out` are NULL or writable.
    let (buf, out) = unsafe { (slice_mut(buf, buf_len), output(out)) };
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle.
    unsafe {
        with_multi(multi, |node| {
            let (buf, out) = (buf?, out?);
            if buf.len() < node.config().datagram_size() {
                return Err(bw_result::BufferTooSmall);
            }
            Ok(node
                .poll_transmit(Instant::from_millis(now), buf)?
                .map_or(bw_result::Empty, |transmit| out.put(transmit.into())))
        })
    }
}

/// A change in one group (`bw_multi_poll_event()`): the group's state when the event is
/// polled; several changes between two polls are reported once.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct bw_group_event {
    /// The group's index.
    pub group: u16,
    /// This node's role in it now (a `bw_role` value).
    pub role: u32,
    /// Whether this node knows the group's leader.
    pub has_leader: bool,
    /// With `has_leader`: the leader (this node when it leads; 0 otherwise).
    pub leader: u32,
    /// The group's term now.
    pub term: u64,
}

impl bw_group_event {
    fn from_event(event: GroupEvent) -> Result<bw_group_event, bw_result> {
        Ok(bw_group_event {
            group: event.group,
            role: role_code(event.role)? as u32,
            has_leader: event.leader.is_some(),
            leader: event.leader.map_or(0, |id| id.0),
            term: event.term.0,
        })
    }
}

/// After every input, third: takes the next group change; call it until
/// `BW_RESULT_EMPTY`.
///
/// # Safety
/// `multi` must be NULL or a valid handle; `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_poll_event(
    multi: *mut bw_multi,
    out: *mut bw_group_event,
) -> bw_result {
    // SAFETY: the caller guarantees `out` is NULL or writable.
    let out = unsafe { output(out) };
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle.
    unsafe {
        with_multi(multi, |node| {
            let out = out?;
            match node.poll_event() {
                Some(event) => Ok(out.put(bw_group_event::from_event(event)?)),
                None => Ok(bw_result::Empty),
            }
        })
    }
}

/// After every input, last: writes the instant by which `bw_multi_handle_timeout()` should
/// next be called (also when the next heartbeat is due); `BW_RESULT_EMPTY` when none.
///
/// # Safety
/// `multi` must be NULL or a valid handle; `out_deadline` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_poll_timeout(
    multi: *const bw_multi,
    out_deadline: *mut u64,
) -> bw_result {
    // SAFETY: the caller guarantees `out_deadline` is NULL or writable.
    let out = unsafe { output(out_deadline) };
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle.
    unsafe {
        read_multi(multi, |node| {
            let out = out?;
            Ok(node
                .poll_timeout()
                .map_or(bw_result::Empty, |at| out.put(at.as_millis())))
        })
    }
}

/// Writes this node's role in `group` (a `bw_role` value); `BW_RESULT_NO_SUCH_GROUP` if it
/// holds no such group.
///
/// # Safety
/// `multi` must be NULL or a valid handle; `out_role` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_role(
    multi: *const bw_multi,
    group: u16,
    out_role: *mut bw_role,
) -> bw_result {
    // SAFETY: the caller guarantees `out_role` is NULL or writable.
    let out = unsafe { output(out_role) };
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle.
    unsafe {
        read_multi(multi, |node| {
            let out = out?;
            Ok(out.put(role_code(held(node, group)?)?))
        })
    }
}

/// Writes the leader this node follows in `group` (itself when it leads);
/// `BW_RESULT_EMPTY` when it knows none, `BW_RESULT_NO_SUCH_GROUP` if it holds no such
/// group.
///
/// # Safety
/// `multi` must be NULL or a valid handle; `out_leader` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_leader(
    multi: *const bw_multi,
    group: u16,
    out_leader: *mut u32,
) -> bw_result {
    // SAFETY: the caller guarantees `out_leader` is NULL or writable.
    let out = unsafe { output(out_leader) };
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle.
    unsafe {
        read_multi(multi, |node| {
            let out = out?;
            held(node, group)?;
            Ok(node
                .leader(group)
                .map_or(bw_result::Empty, |id| out.put(id.0)))
        })
    }
}

/// Writes `group`'s term at this node (the fencing token while it leads);
/// `BW_RESULT_NO_SUCH_GROUP` if it holds no such group.
///
/// # Safety
/// `multi` must be NULL or a valid handle; `out_term` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_term(
    multi: *const bw_multi,
    group: u16,
    out_term: *mut u64,
) -> bw_result {
    // SAFETY: the caller guarantees `out_term` is NULL or writable.
    let out = unsafe { output(out_term) };
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle.
    unsafe {
        read_multi(multi, |node| {
            let out = out?;
            let term = node.term(group).ok_or(bw_result::NoSuchGroup)?;
            Ok(out.put(term.0))
        })
    }
}

/// Writes until when (this node's clock) its lease of `group` runs: within it no other
/// node leads `group` with a lease. `BW_RESULT_EMPTY` when it holds none (it does not
/// lead, or no majority supports it yet); `BW_RESULT_NO_SUCH_GROUP` if it holds no such
/// group.
///
/// # Safety
/// `multi` must be NULL or a valid handle; `out_until` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_lease_until(
    multi: *const bw_multi,
    group: u16,
    out_until: *mut u64,
) -> bw_result {
    // SAFETY: the caller guarantees `out_until` is NULL or writable.
    let out = unsafe { output(out_until) };
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle.
    unsafe {
        read_multi(multi, |node| {
            let out = out?;
            held(node, group)?;
            Ok(node
                .lease_until(group)
                .map_or(bw_result::Empty, |until| out.put(until.as_millis())))
        })
    }
}

/// Writes whether this node holds a lease of `group` valid at `now`: check it before each
/// side effect of leading; `BW_RESULT_NO_SUCH_GROUP` if it holds no such group.
///
/// # Safety
/// `multi` must be NULL or a valid handle; `out_has_lease` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_has_lease(
    multi: *const bw_multi,
    group: u16,
    now: u64,
    out_has_lease: *mut bool,
) -> bw_result {
    // SAFETY: the caller guarantees `out_has_lease` is NULL or writable.
    let out = unsafe { output(out_has_lease) };
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle.
    unsafe {
        read_multi(multi, |node| {
            let out = out?;
            held(node, group)?;
            Ok(out.put(node.has_lease(group, Instant::from_millis(now))))
        })
    }
}

/// Writes how many groups this node leads.
///
/// # Safety
/// `multi` must be NULL or a valid handle; `out_count` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_leading(
    multi: *const bw_multi,
    out_count: *mut usize,
) -> bw_result {
    // SAFETY: the caller guarantees `out_count` is NULL or writable.
    let out = unsafe { output(out_count) };
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle.
    unsafe { read_multi(multi, |node| Ok(out?.put(node.leading()))) }
}

/// Writes whether node `id` was heard within the election timeout, as last evaluated
/// (true for this node itself; false for an id outside the node set).
///
/// # Safety
/// `multi` must be NULL or a valid handle; `out_alive` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_is_alive(
    multi: *const bw_multi,
    id: u32,
    out_alive: *mut bool,
) -> bw_result {
    // SAFETY: the caller guarantees `out_alive` is NULL or writable.
    let out = unsafe { output(out_alive) };
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle.
    unsafe { read_multi(multi, |node| Ok(out?.put(node.is_alive(NodeId(id))))) }
}

/// What a multi-group node received and sent (`bw_multi_statistics()`). Counters
/// saturate at `UINT32_MAX`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct bw_multi_counters {
    /// Datagrams received, by outcome, and sent (`bad_mac`, `unknown_key`, `replay` and
    /// `unsynchronised` stay 0 unless the datagrams are authenticated).
    pub datagrams: bw_statistics,
    /// Items sent.
    pub items_sent: u32,
    /// Items received and applied.
    pub items_received: u32,
    /// Items received for a group this node does not hold, or from a non-member.
    pub items_ignored: u32,
    /// Items dropped because a peer's queue was full (the protocol retries, as after a
    /// lost datagram): a larger queue storage avoids them.
    pub items_dropped: u32,
    /// Groups handed to their preferred member to spread leadership.
    pub transfers: u32,
}

impl From<MultiGroupStatistics> for bw_multi_counters {
    fn from(statistics: MultiGroupStatistics) -> Self {
        bw_multi_counters {
            datagrams: statistics.datagrams.into(),
            items_sent: statistics.items_sent,
            items_received: statistics.items_received,
            items_ignored: statistics.items_ignored,
            items_dropped: statistics.items_dropped,
            transfers: statistics.transfers,
        }
    }
}

/// Writes what the node has received and sent since it started.
///
/// # Safety
/// `multi` must be NULL or a valid handle; `out_statistics` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_multi_statistics(
    multi: *const bw_multi,
    out_statistics: *mut bw_multi_counters,
) -> bw_result {
    // SAFETY: the caller guarantees `out_statistics` is NULL or writable.
    let out = unsafe { output(out_statistics) };
    // SAFETY: the caller guarantees `multi` is NULL or a valid handle.
    unsafe { read_multi(multi, |node| Ok(out?.put(node.statistics().into()))) }
}

impl From<MultiGroupError> for bw_result {
    fn from(error: MultiGroupError) -> Self {
        match error {
            MultiGroupError::NodeCount => bw_result::TooManyMembers,
            MultiGroupError::DuplicateNode(_) => bw_result::DuplicateMember,
            MultiGroupError::NotAMember(_) => bw_result::SelfNotMember,
            MultiGroupError::UnknownNode(_) => bw_result::UnknownNode,
            MultiGroupError::GroupSize => bw_result::GroupSize,
            MultiGroupError::NoSuchGroup(_) => bw_result::NoSuchGroup,
            MultiGroupError::GroupInUse(_) => bw_result::GroupInUse,
            MultiGroupError::Timing => bw_result::InvalidTiming,
            MultiGroupError::ClockDrift => bw_result::DriftBoundTooLarge,
            MultiGroupError::DatagramSize => bw_result::DatagramSize,
            MultiGroupError::QueueStorage => bw_result::QueueTooSmall,
            MultiGroupError::Preferred(_) => bw_result::BadPreferred,
            MultiGroupError::Transfer => bw_result::NoTransfer,
            MultiGroupError::NoAuthenticator => bw_result::NoAuthenticator,
            _ => bw_result::Unknown,
        }
    }
}
