//! The node: an [`Engine`] living in memory the caller provides, its construction, its
//! inputs, and its getters and commands. Its outputs are in `output.rs`.

use core::mem::{align_of, size_of};

use bellwether::{
    DurableState, Engine, Instant, NodeId, QuorumMut, QuorumRef, Role, Statistics, Term,
};

use crate::authenticator::{FfiAuthenticator, bw_auth, bw_sign_fn, bw_verify_fn, cmac_key};
use crate::config::{bw_config, read_config};
use crate::pointers::{borrow, borrow_mut, output, slice};
use crate::result::{bw_result, code};

/// The engine of a C node.
pub(crate) type NodeEngine = Engine<BW_MAX_MEMBERS, FfiAuthenticator>;

/// The most members a node of the C API can have.
pub const BW_MAX_MEMBERS: usize = 32;

/// The largest encoded message, in bytes: a receive or transmit buffer of this size
/// always suffices.
pub const BW_MAX_MESSAGE_SIZE: usize = 88;

/// The largest term a message or restored state may carry (2^48 - 1); larger ones are
/// refused with `BW_RESULT_TERM_OUT_OF_RANGE` or `BW_RESULT_RESTORED_TERM_OUT_OF_RANGE`.
pub const BW_MAX_TERM: u64 = 0xFFFF_FFFF_FFFF;

/// The bytes of memory a node needs: exactly its size on 64-bit targets, and enough on
/// 32-bit ones, where it is smaller (`bw_node_size()` says exactly).
pub const BW_NODE_SIZE: usize = 2880;

/// The alignment the memory of a node needs: enough on every target (`bw_node_align()`
/// says exactly).
pub const BW_NODE_ALIGN: usize = 8;

const _: () = {
    #[cfg(target_pointer_width = "64")]
    assert!(size_of::<bw_node>() == BW_NODE_SIZE, "update BW_NODE_SIZE");

    assert!(size_of::<bw_node>() <= BW_NODE_SIZE, "raise BW_NODE_SIZE");
    assert!(
        align_of::<bw_node>() <= BW_NODE_ALIGN,
        "raise BW_NODE_ALIGN"
    );
    assert!(BW_MAX_MESSAGE_SIZE == bellwether::MAX_MESSAGE_SIZE);
    assert!(BW_MAX_TERM == Term::MAX.0);
    assert!(BW_MAX_MEMBERS <= bellwether::MAX_MEMBERS);
};

/// Memory for one node, sized and aligned for it: `static bw_node_storage memory;` then
/// `bw_node_init(&memory, sizeof memory, ...)` (C99 has no `_Alignas`).
#[repr(C)]
pub union bw_node_storage {
    /// The node's bytes.
    pub bytes: [u8; BW_NODE_SIZE],
    /// Aligns the storage to `BW_NODE_ALIGN`.
    pub align: u64,
}

const _: () = {
    assert!(size_of::<bw_node_storage>() == BW_NODE_SIZE);
    assert!(align_of::<bw_node_storage>() >= align_of::<bw_node>());
};

/// A node of one election group: opaque. Lives in memory the caller provides
/// (`BW_NODE_SIZE` bytes aligned to `BW_NODE_ALIGN`), set up by `bw_node_init()` or
/// `bw_node_restore()` (or their `_authenticated` forms); it owns nothing, so there is
/// nothing to free. An authenticated node's CMAC keys live in this memory: overwrite it
/// when the node is done with.
pub struct bw_node {
    engine: NodeEngine,
}

/// A node's part in its group. Written to a `bw_role` (a `uint32_t`); switch on
/// `(enum bw_role)role` for the compiler to check the cases.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bw_role {
    /// Follows a leader, or waits to hear one.
    Follower = 0,
    /// Takes part in an election that has not concluded.
    Candidate = 1,
    /// Leads the group.
    Leader = 2,
}

/// The term and vote quorum election needs persisted (see `bw_node_poll_output()`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct bw_durable_state {
    /// The current term.
    pub term: u64,
    /// Whether the node voted in `term`.
    pub has_vote: bool,
    /// With `has_vote`: the member it voted for.
    pub voted_for: u32,
}

impl From<DurableState> for bw_durable_state {
    fn from(state: DurableState) -> Self {
        bw_durable_state {
            term: state.term.0,
            has_vote: state.voted_for.is_some(),
            voted_for: state.voted_for.map_or(0, |id| id.0),
        }
    }
}

impl From<bw_durable_state> for DurableState {
    fn from(state: bw_durable_state) -> Self {
        DurableState {
            term: Term(state.term),
            voted_for: state.has_vote.then_some(NodeId(state.voted_for)),
        }
    }
}

/// The exact number of bytes a node takes in this build (at most `BW_NODE_SIZE`): node
/// memory smaller than this is refused with `BW_RESULT_MEMORY_TOO_SMALL`.
#[unsafe(no_mangle)]
pub extern "C" fn bw_node_size() -> usize {
    size_of::<bw_node>()
}

/// The exact alignment a node needs in this build (at most `BW_NODE_ALIGN`): node memory
/// not aligned to it is refused with `BW_RESULT_MEMORY_MISALIGNED`.
#[unsafe(no_mangle)]
pub extern "C" fn bw_node_align() -> usize {
    align_of::<bw_node>()
}

/// Checks the arguments of `bw_node_init`, `bw_node_restore` and their `_authenticated`
/// forms in their documented order (NULL pointers, then the memory's alignment, then its
/// size, then the configuration, then the authenticator, then the state), builds the
/// engine, places it in `memory` and writes its handle.
///
/// # Safety
/// `memory` must be NULL or point to `memory_len` writable bytes that nothing else uses
/// while the node lives; `config` must be NULL or valid (as `read_config` needs); `state`
/// and `auth`, if given, NULL or valid (as `bw_auth::authenticator` needs); `out_node` NULL
/// or writable.
unsafe fn place(
    memory: *mut core::ffi::c_void,
    memory_len: usize,
    config: *const bw_config,
    now: u64,
    state: Option<*const bw_durable_state>,
    auth: Option<*const bw_auth>,
    out_node: *mut *mut bw_node,
) -> bw_result {
    let node = memory.cast::<bw_node>();
    let null_state = state.is_some_and(<*const bw_durable_state>::is_null);
    let null_auth = auth.is_some_and(<*const bw_auth>::is_null);
    if node.is_null() || config.is_null() || null_state || null_auth {
        return bw_result::NullPointer;
    }
    // SAFETY: the caller guarantees `out_node` is NULL or writable.
    let Ok(out) = (unsafe { output(out_node) }) else {
        return bw_result::NullPointer;
    };
    if node.cast::<u8>().align_offset(align_of::<bw_node>()) != 0 {
        return bw_result::MemoryMisaligned;
    }
    if memory_len < size_of::<bw_node>() {
        return bw_result::MemoryTooSmall;
    }
    // SAFETY: `config` is not NULL; the caller guarantees it valid.
    let config = match unsafe { read_config(config) } {
        Ok(config) => config,
        Err(error) => return error,
    };
    let authenticator = match auth {
        None => FfiAuthenticator::None,
        // SAFETY: not NULL (checked above); the caller guarantees it valid.
        Some(auth) => match unsafe { bw_auth::read(auth) } {
            Ok(authenticator) => authenticator,
            Err(error) => return error,
        },
    };
    let now = Instant::from_millis(now);
    let engine = match state {
        None => Engine::with_authenticator(config, now, authenticator).map_err(bw_result::from),
        Some(state) => {
            // SAFETY: not NULL (checked above); the caller guarantees it valid.
            let state = DurableState::from(unsafe { *state });
            Engine::restore_with_authenticator(config, now, state, authenticator)
                .map_err(bw_result::from)
        }
    };
    let engine = match engine {
        Ok(engine) => engine,
        Err(error) => return error,
    };
    // SAFETY: `node` is not NULL, is aligned and large enough for a `bw_node` (checked
    // above), and the caller guarantees the memory writable and used by nothing else.
    unsafe { node.write(bw_node { engine }) };
    out.put(node)
}

/// Sets up a node in the caller's `memory` (`memory_len` bytes: `BW_NODE_SIZE` aligned to
/// `BW_NODE_ALIGN` always suffices), started at time `now`, and writes its handle (a
/// pointer into `memory`) to `out_node`. Calling it again on the same memory starts afresh.
///
/// The arguments are checked in this order, and the first problem found is returned, with
/// nothing written: a NULL pointer (`BW_RESULT_NULL_POINTER`), the memory's alignment
/// (`BW_RESULT_MEMORY_MISALIGNED`), its size (`BW_RESULT_MEMORY_TOO_SMALL`), then the
/// configuration (its `struct_size`, its `members` pointer, its values). A config with
/// `BW_PROTECTION_AUTHENTICATED` is refused with `BW_RESULT_NO_AUTHENTICATOR`: use
/// `bw_node_init_authenticated()`.
///
/// # Safety
/// `memory` must be NULL or point to `memory_len` writable bytes that nothing else uses
/// while the node lives; `config` must be NULL or set up by `bw_config_init` (its `members`
/// array valid too); `out_node` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_init(
    memory: *mut core::ffi::c_void,
    memory_len: usize,
    config: *const bw_config,
    now: u64,
    out_node: *mut *mut bw_node,
) -> bw_result {
    // SAFETY: the caller's guarantees are those `place` needs.
    unsafe { place(memory, memory_len, config, now, None, None, out_node) }
}

/// Like `bw_node_init()`, for a config with `BW_PROTECTION_AUTHENTICATED`: the node signs
/// and checks its messages with the CMAC key or the MAC callbacks `auth` describes (a CMAC
/// key is copied into `memory`; `auth` need not outlive the call). The keys come with the
/// node's start because it signs from its first message on. The arguments are checked in
/// `bw_node_init()`'s order, `auth` after the configuration (`BW_RESULT_NULL_POINTER` for a
/// NULL `auth` comes first, with the other pointers): an unknown `kind`
/// (`BW_RESULT_INVALID_ARGUMENT`), a short key (`BW_RESULT_BUFFER_TOO_SMALL`), a NULL
/// `sign` (`BW_RESULT_NULL_POINTER`), a `sign` that refuses `key_id`
/// (`BW_RESULT_UNKNOWN_KEY`). With another protection, `auth` is checked, kept, and unused.
///
/// # Safety
/// As `bw_node_init()`; `auth` must be NULL or valid, its `key` readable for `key_len`
/// bytes, and its callbacks safe to call with `user` while the node lives.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_init_authenticated(
    memory: *mut core::ffi::c_void,
    memory_len: usize,
    config: *const bw_config,
    now: u64,
    auth: *const bw_auth,
    out_node: *mut *mut bw_node,
) -> bw_result {
    // SAFETY: the caller's guarantees are those `place` needs.
    unsafe { place(memory, memory_len, config, now, None, Some(auth), out_node) }
}

/// Like `bw_node_init()`, but resumes from the durable state the host persisted before a
/// restart (quorum election in persistent mode only). The arguments are checked in the same
/// order, `state` last (`BW_RESULT_NULL_POINTER` for a NULL `state` comes first, with the
/// other pointers).
///
/// # Safety
/// As `bw_node_init()`; `state` must be NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_restore(
    memory: *mut core::ffi::c_void,
    memory_len: usize,
    config: *const bw_config,
    now: u64,
    state: *const bw_durable_state,
    out_node: *mut *mut bw_node,
) -> bw_result {
    // SAFETY: the caller's guarantees are those `place` needs.
    unsafe { place(memory, memory_len, config, now, Some(state), None, out_node) }
}

/// `bw_node_restore()` for an authenticated node: see `bw_node_init_authenticated()`.
/// `auth` is checked before `state`.
///
/// # Safety
/// As `bw_node_restore()` and `bw_node_init_authenticated()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_restore_authenticated(
    memory: *mut core::ffi::c_void,
    memory_len: usize,
    config: *const bw_config,
    now: u64,
    state: *const bw_durable_state,
    auth: *const bw_auth,
    out_node: *mut *mut bw_node,
) -> bw_result {
    // SAFETY: the caller's guarantees are those `place` needs.
    unsafe {
        place(
            memory,
            memory_len,
            config,
            now,
            Some(state),
            Some(auth),
            out_node,
        )
    }
}

/// Runs `f` on a node handle.
///
/// # Safety
/// `node` must be NULL or a handle from `bw_node_init`/`bw_node_restore` whose memory is
/// still valid, not used concurrently.
pub(crate) unsafe fn with_node(
    node: *mut bw_node,
    f: impl FnOnce(&mut NodeEngine) -> Result<bw_result, bw_result>,
) -> bw_result {
    // SAFETY: as the caller guarantees.
    code(unsafe { borrow_mut(node) }.and_then(|node| f(&mut node.engine)))
}

/// Like `with_node`, read only.
///
/// # Safety
/// As `with_node`.
pub(crate) unsafe fn read_node(
    node: *const bw_node,
    f: impl FnOnce(&NodeEngine) -> Result<bw_result, bw_result>,
) -> bw_result {
    // SAFETY: as the caller guarantees.
    code(unsafe { borrow(node) }.and_then(|node| f(&node.engine)))
}

/// Feeds the `data_len` received bytes at `data` to the node at time `now`. Any error
/// (a NULL pointer, whatever the length; malformed bytes, zero bytes included; another
/// group; an unknown sender...) leaves the node unchanged.
///
/// # Safety
/// `node` must be NULL or a valid handle; `data` must be NULL or point to `data_len`
/// readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_handle_bytes(
    node: *mut bw_node,
    now: u64,
    data: *const u8,
    data_len: usize,
) -> bw_result {
    // SAFETY: the caller guarantees `data` and `data_len` describe readable memory.
    let received = unsafe { slice(data, data_len) };
    // SAFETY: the caller guarantees `node` is NULL or a valid handle.
    unsafe {
        with_node(node, |engine| {
            engine.handle_bytes(Instant::from_millis(now), received?)?;
            Ok(bw_result::Ok)
        })
    }
}

/// Fires every timer due at `now`; early, late and repeated calls are harmless.
///
/// # Safety
/// `node` must be NULL or a valid handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_handle_timeout(node: *mut bw_node, now: u64) -> bw_result {
    // SAFETY: the caller guarantees `node` is NULL or a valid handle.
    unsafe {
        with_node(node, |engine| {
            engine.handle_timeout(Instant::from_millis(now));
            Ok(bw_result::Ok)
        })
    }
}

/// Writes the leader this node knows of (itself when it leads); `BW_RESULT_EMPTY` when it
/// knows none.
///
/// # Safety
/// `node` must be NULL or a valid handle; `out_leader` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_leader(node: *const bw_node, out_leader: *mut u32) -> bw_result {
    // SAFETY: the caller guarantees `out_leader` is NULL or writable.
    let out = unsafe { output(out_leader) };
    // SAFETY: the caller guarantees `node` is NULL or a valid handle.
    unsafe {
        read_node(node, |engine| {
            let out = out?;
            Ok(engine.leader().map_or(bw_result::Empty, |id| out.put(id.0)))
        })
    }
}

/// Writes this node's role (a `bw_role` value).
///
/// # Safety
/// `node` must be NULL or a valid handle; `out_role` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_role(node: *const bw_node, out_role: *mut bw_role) -> bw_result {
    // SAFETY: the caller guarantees `out_role` is NULL or writable.
    let out = unsafe { output(out_role) };
    // SAFETY: the caller guarantees `node` is NULL or a valid handle.
    unsafe {
        read_node(node, |engine| {
            let out = out?;
            let role = match engine.role() {
                Role::Follower => bw_role::Follower,
                Role::Candidate => bw_role::Candidate,
                Role::Leader => bw_role::Leader,
                // The core is built with this library: every role it has is mapped above.
                _ => return Err(bw_result::Unknown),
            };
            Ok(out.put(role))
        })
    }
}

/// Writes the current term (the epoch, for rank-based algorithms).
///
/// # Safety
/// `node` must be NULL or a valid handle; `out_term` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_term(node: *const bw_node, out_term: *mut u64) -> bw_result {
    // SAFETY: the caller guarantees `out_term` is NULL or writable.
    let out = unsafe { output(out_term) };
    // SAFETY: the caller guarantees `node` is NULL or a valid handle.
    unsafe { read_node(node, |engine| Ok(out?.put(engine.term().0))) }
}

/// Quorum election's state, or `BW_RESULT_NOT_QUORUM`.
fn quorum_of(
    engine: &NodeEngine,
) -> Result<QuorumRef<'_, BW_MAX_MEMBERS, FfiAuthenticator>, bw_result> {
    engine.quorum().ok_or(bw_result::NotQuorum)
}

/// Quorum election's commands, or `BW_RESULT_NOT_QUORUM`.
fn quorum_mut_of(
    engine: &mut NodeEngine,
) -> Result<QuorumMut<'_, BW_MAX_MEMBERS, FfiAuthenticator>, bw_result> {
    engine.quorum_mut().ok_or(bw_result::NotQuorum)
}

/// Quorum: writes until when (node's clock) no other leader can exist;
/// `BW_RESULT_EMPTY` when this node holds no lease.
///
/// # Safety
/// `node` must be NULL or a valid handle; `out_until` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_lease_until(
    node: *const bw_node,
    out_until: *mut u64,
) -> bw_result {
    // SAFETY: the caller guarantees `out_until` is NULL or writable.
    let out = unsafe { output(out_until) };
    // SAFETY: the caller guarantees `node` is NULL or a valid handle.
    unsafe {
        read_node(node, |engine| {
            let out = out?;
            Ok(quorum_of(engine)?
                .lease_until()
                .map_or(bw_result::Empty, |until| out.put(until.as_millis())))
        })
    }
}

/// Quorum: writes whether this node leads with a lease valid at `now`. A new leader's
/// lease starts with the first heartbeat a majority acknowledges, so
/// `BW_EVENT_KIND_BECAME_LEADER` comes before it: check this before each side effect.
///
/// # Safety
/// `node` must be NULL or a valid handle; `out_has_lease` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_has_lease(
    node: *const bw_node,
    now: u64,
    out_has_lease: *mut bool,
) -> bw_result {
    // SAFETY: the caller guarantees `out_has_lease` is NULL or writable.
    let out = unsafe { output(out_has_lease) };
    // SAFETY: the caller guarantees `node` is NULL or a valid handle.
    unsafe {
        read_node(node, |engine| {
            let out = out?;
            let quorum = quorum_of(engine)?;
            Ok(out.put(quorum.has_lease(Instant::from_millis(now))))
        })
    }
}

/// Quorum: writes the fencing token (the term) while this node leads in persistent mode;
/// `BW_RESULT_EMPTY` otherwise.
///
/// # Safety
/// `node` must be NULL or a valid handle; `out_token` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_fencing_token(
    node: *const bw_node,
    out_token: *mut u64,
) -> bw_result {
    // SAFETY: the caller guarantees `out_token` is NULL or writable.
    let out = unsafe { output(out_token) };
    // SAFETY: the caller guarantees `node` is NULL or a valid handle.
    unsafe {
        read_node(node, |engine| {
            let out = out?;
            Ok(quorum_of(engine)?
                .fencing_token()
                .map_or(bw_result::Empty, |token| out.put(token.0)))
        })
    }
}

/// Quorum: writes the term and vote as they stand now.
///
/// # Safety
/// `node` must be NULL or a valid handle; `out_state` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_durable_state(
    node: *const bw_node,
    out_state: *mut bw_durable_state,
) -> bw_result {
    // SAFETY: the caller guarantees `out_state` is NULL or writable.
    let out = unsafe { output(out_state) };
    // SAFETY: the caller guarantees `node` is NULL or a valid handle.
    unsafe {
        read_node(node, |engine| {
            let out = out?;
            let state = quorum_of(engine)?.durable_state();
            Ok(out.put(state.into()))
        })
    }
}

/// The host finished writing `state` (handed out by `bw_node_poll_output()` or
/// `bw_node_poll_persist()`): once the current state is confirmed, the messages that
/// waited for it can leave. `BW_RESULT_NOT_CURRENT` if `state` is not the node's current
/// durable state, and on a node that persists nothing (another algorithm, volatile mode).
///
/// # Safety
/// `node` must be NULL or a valid handle; `state` must be NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_confirm_persisted(
    node: *mut bw_node,
    state: *const bw_durable_state,
) -> bw_result {
    // SAFETY: the caller guarantees `state` is NULL or valid.
    let state = unsafe { borrow(state) }.map(|state| DurableState::from(*state));
    // SAFETY: the caller guarantees `node` is NULL or a valid handle.
    unsafe {
        with_node(node, |engine| {
            engine.confirm_persisted(state?)?;
            Ok(bw_result::Ok)
        })
    }
}

/// Quorum: sets this node's freshness (e.g. its log position); members vote only for
/// candidates at least as fresh.
///
/// # Safety
/// `node` must be NULL or a valid handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_set_freshness(node: *mut bw_node, freshness: u64) -> bw_result {
    // SAFETY: the caller guarantees `node` is NULL or a valid handle.
    unsafe {
        with_node(node, |engine| {
            quorum_mut_of(engine)?.set_freshness(freshness);
            Ok(bw_result::Ok)
        })
    }
}

/// Quorum: hands leadership to member `to`, which campaigns at once; given up after the
/// election timeout.
///
/// # Safety
/// `node` must be NULL or a valid handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_transfer_leadership(
    node: *mut bw_node,
    now: u64,
    to: u32,
) -> bw_result {
    // SAFETY: the caller guarantees `node` is NULL or a valid handle.
    unsafe {
        with_node(node, |engine| {
            quorum_mut_of(engine)?.transfer_leadership(Instant::from_millis(now), NodeId(to))?;
            Ok(bw_result::Ok)
        })
    }
}

/// Installs the CMAC-AES-128 key `key` (`key_len` bytes, `BW_CMAC_KEY_SIZE`), named
/// `key_id`, as the key the node signs with. The first call on a node without CMAC keys
/// makes them (replacing MAC callbacks, if any); later calls rotate: the key that was
/// current stays accepted until `bw_node_retire_previous_key()` (the one before it is
/// dropped). Rotate without a flag day: install the new key on every member, then retire
/// the previous one everywhere. Give each key a new id. The key is copied into the node's
/// memory. Errors (the node unchanged): `BW_RESULT_NULL_POINTER`,
/// `BW_RESULT_BUFFER_TOO_SMALL` for a `key_len` below `BW_CMAC_KEY_SIZE`,
/// `BW_RESULT_INVALID_ARGUMENT` above it.
///
/// # Safety
/// `node` must be NULL or a valid handle; `key` must be NULL or point to `key_len`
/// readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_set_cmac_key(
    node: *mut bw_node,
    key_id: u8,
    key: *const u8,
    key_len: usize,
) -> bw_result {
    // SAFETY: the caller guarantees `key` is NULL or readable for `key_len` bytes.
    let key = unsafe { cmac_key(key, key_len) };
    // SAFETY: the caller guarantees `node` is NULL or a valid handle.
    unsafe {
        with_node(node, |engine| {
            engine.authenticator_mut().set_cmac_key(key_id, key?);
            Ok(bw_result::Ok)
        })
    }
}

/// Stops accepting the CMAC key that was current before the last `bw_node_set_cmac_key()`:
/// its tags are refused with `BW_RESULT_UNKNOWN_KEY` from now on. `BW_RESULT_EMPTY` if
/// there is no previous key (or no CMAC key at all).
///
/// # Safety
/// `node` must be NULL or a valid handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_retire_previous_key(node: *mut bw_node) -> bw_result {
    // SAFETY: the caller guarantees `node` is NULL or a valid handle.
    unsafe {
        with_node(node, |engine| {
            Ok(engine.authenticator_mut().retire_previous_key())
        })
    }
}

/// Makes the node sign and check its messages through the host's callbacks (a hardware
/// security module, a crypto accelerator: keys never enter the library), replacing its
/// CMAC keys or earlier callbacks. New messages are signed with `current_key_id`; `sign` is
/// called once with nothing to sign to check it knows that key. `verify` may be NULL: the
/// library then signs and compares in constant time. `user` is passed to both as is.
/// Errors (the node unchanged): `BW_RESULT_NULL_POINTER` (a NULL `node` or `sign`),
/// `BW_RESULT_UNKNOWN_KEY` if `sign` refuses `current_key_id`.
///
/// # Safety
/// `node` must be NULL or a valid handle; `sign` and `verify` must be safe to call with
/// `user` for as long as the node lives (or until the next change).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_set_mac_callbacks(
    node: *mut bw_node,
    sign: bw_sign_fn,
    verify: bw_verify_fn,
    current_key_id: u8,
    user: *mut core::ffi::c_void,
) -> bw_result {
    // SAFETY: the caller guarantees `node` is NULL or a valid handle, and the callbacks.
    unsafe {
        with_node(node, |engine| {
            engine
                .authenticator_mut()
                .set_mac_callbacks(sign, verify, current_key_id, user)?;
            Ok(bw_result::Ok)
        })
    }
}

/// What a node received, counted by outcome (`bw_node_statistics()`): the refusal counters
/// show an attack or a bad link. Counters saturate at `UINT32_MAX`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct bw_statistics {
    /// Messages accepted (freshness requests and replies included).
    pub accepted: u32,
    /// Datagrams sent.
    pub sent: u32,
    /// Bytes that are not a message of a known version and layout.
    pub malformed: u32,
    /// Messages in another envelope than the node's protection.
    pub wrong_envelope: u32,
    /// Checksummed messages whose checksum did not match.
    pub bad_checksum: u32,
    /// Authenticated messages whose tag did not match.
    pub bad_mac: u32,
    /// Authenticated messages signed with a key the node does not hold.
    pub unknown_key: u32,
    /// Authenticated messages already accepted or too old, and freshness replies that
    /// answer no current request.
    pub replay: u32,
    /// Authenticated messages from a session not (yet) synchronised with.
    pub unsynchronised: u32,
    /// Messages of another group, from a non-member or this node, or for another node.
    pub not_for_this_node: u32,
}

impl From<Statistics> for bw_statistics {
    fn from(statistics: Statistics) -> Self {
        bw_statistics {
            accepted: statistics.accepted,
            sent: statistics.sent,
            malformed: statistics.malformed,
            wrong_envelope: statistics.wrong_envelope,
            bad_checksum: statistics.bad_checksum,
            bad_mac: statistics.bad_mac,
            unknown_key: statistics.unknown_key,
            replay: statistics.replay,
            unsynchronised: statistics.unsynchronised,
            not_for_this_node: statistics.not_for_this_node,
        }
    }
}

/// Writes what the node has received and sent since it started, counted by outcome.
///
/// # Safety
/// `node` must be NULL or a valid handle; `out_statistics` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_statistics(
    node: *const bw_node,
    out_statistics: *mut bw_statistics,
) -> bw_result {
    // SAFETY: the caller guarantees `out_statistics` is NULL or writable.
    let out = unsafe { output(out_statistics) };
    // SAFETY: the caller guarantees `node` is NULL or a valid handle.
    unsafe { read_node(node, |engine| Ok(out?.put(engine.statistics().into()))) }
}
