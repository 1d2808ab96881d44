//! A node's outputs: the one-call drain (`bw_node_poll_output`, the engine's
//! `poll_output`) and the separate polls it is made of.

use bellwether::{Cause, Destination, Event, NodeId, Output, Transmit};

use crate::node::{bw_durable_state, bw_node, read_node, with_node};
use crate::pointers::{output, slice_mut};
use crate::result::bw_result;

/// A message written into the caller's buffer.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct bw_transmit {
    /// Send it to every other member (a broadcast medium); `to` is then 0.
    pub broadcast: bool,
    /// Without `broadcast`: the receiving node's id.
    pub to: u32,
    /// How many bytes of the buffer the message takes, from its start.
    pub len: usize,
}

impl From<Transmit> for bw_transmit {
    fn from(transmit: Transmit) -> Self {
        let (broadcast, to) = match transmit.to {
            Destination::Node(id) => (false, id.0),
            Destination::All => (true, 0),
        };
        bw_transmit {
            broadcast,
            to,
            len: transmit.len,
        }
    }
}

/// What a leadership event says. Written to a `bw_event_kind` (a `uint32_t`); switch on
/// `(enum bw_event_kind)event.kind` for the compiler to check the cases. Later versions
/// may add kinds: ignore those you do not know.
#[repr(u32)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum bw_event_kind {
    /// This node stopped leading in `term`: side effects fenced with it must stop.
    #[default]
    SteppedDown = 0,
    /// The known leader or its term changed (`has_leader` false: none known).
    LeaderChanged = 1,
    /// This node became leader in `term`.
    BecameLeader = 2,
}

/// Why the leadership changed (the `cause` of a `bw_event`). Written to a `bw_cause` (a
/// `uint32_t`); later versions may add causes. `bw_cause_str()` gives its text.
#[repr(u32)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum bw_cause {
    /// The node started, or restarted, and knows no leader yet.
    #[default]
    Started = 0,
    /// The leader's heartbeats stopped: a failure (election) timeout passed without one.
    LeaderSilent = 1,
    /// A message from `cause_node` carried a newer term or epoch.
    NewerTerm = 2,
    /// A message from `cause_node` started or continued an election.
    ElectionCalled = 3,
    /// `cause_node` leads: its announcement or heartbeat arrived.
    LeaderHeard = 4,
    /// This node won the election.
    Elected = 5,
    /// A higher-ranked member, `cause_node`, leads or is alive.
    Outranked = 6,
    /// Check-quorum: no majority acknowledged this leader within the election timeout.
    CheckQuorumFailed = 7,
    /// `cause_node` leads the same term (volatile mode): this node stepped down.
    RivalLeader = 8,
    /// The host handed leadership to `cause_node`.
    TransferRequested = 9,
    /// The leader `cause_node` handed leadership to this node.
    HandedOver = 10,
    /// A cause this version of the library has no code for.
    Unknown = 99,
}

impl bw_cause {
    /// The code and the node a cause names (0 if none).
    fn of(cause: Cause) -> (bw_cause, NodeId) {
        match cause {
            Cause::Started => (bw_cause::Started, NodeId(0)),
            Cause::LeaderSilent => (bw_cause::LeaderSilent, NodeId(0)),
            Cause::NewerTerm { from } => (bw_cause::NewerTerm, from),
            Cause::ElectionCalled { by } => (bw_cause::ElectionCalled, by),
            Cause::LeaderHeard { from } => (bw_cause::LeaderHeard, from),
            Cause::Elected => (bw_cause::Elected, NodeId(0)),
            Cause::Outranked { by } => (bw_cause::Outranked, by),
            Cause::CheckQuorumFailed => (bw_cause::CheckQuorumFailed, NodeId(0)),
            Cause::RivalLeader { node } => (bw_cause::RivalLeader, node),
            Cause::TransferRequested { to } => (bw_cause::TransferRequested, to),
            Cause::HandedOver { from } => (bw_cause::HandedOver, from),
            _ => (bw_cause::Unknown, NodeId(0)),
        }
    }

    /// The text of this cause.
    fn text(self) -> &'static core::ffi::CStr {
        match self {
            bw_cause::Started => c"started",
            bw_cause::LeaderSilent => c"the leader's heartbeats stopped",
            bw_cause::NewerTerm => c"a newer term from cause_node",
            bw_cause::ElectionCalled => c"cause_node called an election",
            bw_cause::LeaderHeard => c"cause_node leads",
            bw_cause::Elected => c"won the election",
            bw_cause::Outranked => c"outranked by cause_node",
            bw_cause::CheckQuorumFailed => c"check-quorum failed",
            bw_cause::RivalLeader => c"cause_node leads the same term",
            bw_cause::TransferRequested => c"leadership handed to cause_node",
            bw_cause::HandedOver => c"cause_node handed leadership over",
            bw_cause::Unknown => c"unknown cause",
        }
    }
}

/// The text of cause code `cause` (a static, NUL-terminated string; never NULL). Takes the
/// code as a plain integer, so any value is safe to pass.
#[unsafe(no_mangle)]
pub extern "C" fn bw_cause_str(cause: u32) -> *const core::ffi::c_char {
    const ALL: [bw_cause; 12] = [
        bw_cause::Started,
        bw_cause::LeaderSilent,
        bw_cause::NewerTerm,
        bw_cause::ElectionCalled,
        bw_cause::LeaderHeard,
        bw_cause::Elected,
        bw_cause::Outranked,
        bw_cause::CheckQuorumFailed,
        bw_cause::RivalLeader,
        bw_cause::TransferRequested,
        bw_cause::HandedOver,
        bw_cause::Unknown,
    ];
    ALL.into_iter()
        .find(|&known| known as u32 == cause)
        .unwrap_or(bw_cause::Unknown)
        .text()
        .as_ptr()
}

/// A leadership event.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct bw_event {
    /// What happened.
    pub kind: bw_event_kind,
    /// `BW_EVENT_KIND_LEADER_CHANGED`: whether a leader is known.
    pub has_leader: bool,
    /// `BW_EVENT_KIND_LEADER_CHANGED` with `has_leader`: the leader's id (0 otherwise).
    pub leader: u32,
    /// The term concerned.
    pub term: u64,
    /// Why it happened (`BW_CAUSE_ELECTED` for `BW_EVENT_KIND_BECAME_LEADER`).
    pub cause: bw_cause,
    /// The node the cause names (the sender of a newer term, the leader heard, ...); 0
    /// for causes that name none.
    pub cause_node: u32,
}

impl bw_event {
    fn from_event(event: Event) -> Result<bw_event, bw_result> {
        let (kind, leader, term, cause) = match event {
            Event::SteppedDown { term, cause } => (bw_event_kind::SteppedDown, None, term, cause),
            Event::LeaderChanged {
                leader,
                term,
                cause,
            } => (bw_event_kind::LeaderChanged, leader, term, cause),
            Event::BecameLeader { term } => {
                (bw_event_kind::BecameLeader, None, term, Cause::Elected)
            }
            // The core is built with this library: every event it has is mapped above.
            _ => return Err(bw_result::Unknown),
        };
        let (cause, cause_node) = bw_cause::of(cause);
        Ok(bw_event {
            kind,
            has_leader: leader.is_some(),
            leader: leader.map_or(0, |id| id.0),
            term: term.0,
            cause,
            cause_node: cause_node.0,
        })
    }
}

/// When the host should next call `bw_node_handle_timeout()`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct bw_timeout {
    /// Whether a timer is armed; without one, only a message can give the node work.
    pub has_deadline: bool,
    /// With `has_deadline`: the instant, in the clock of `now` (0 otherwise).
    pub deadline: u64,
}

/// Which output `bw_node_poll_output()` handed out: each kind names the field of
/// `bw_output` that holds it. Written to a `bw_output_kind` (a `uint32_t`); switch on
/// `(enum bw_output_kind)output.kind` for the compiler to check the cases. Later versions
/// may add kinds: ignore those you do not know, and poll again.
#[repr(u32)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum bw_output_kind {
    /// `persist`: write this durable state to storage (quorum election, persistent mode),
    /// then call `bw_node_confirm_persisted()`; until then no message leaves.
    #[default]
    Persist = 0,
    /// `transmit`: a message was written to the start of the buffer: send it.
    Transmit = 1,
    /// `event`: a leadership change to act on.
    Event = 2,
    /// `timeout`: nothing else to do now; the drain is over. Call
    /// `bw_node_handle_timeout()` at `timeout.deadline`, or sooner if a message arrives.
    Timeout = 3,
}

/// One output of a node, from `bw_node_poll_output()`: `kind` says which field holds it;
/// the fields of the other kinds are zero.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct bw_output {
    /// Which output this is, a `bw_output_kind` value.
    pub kind: bw_output_kind,
    /// `BW_OUTPUT_KIND_PERSIST`: the state to write, then confirm.
    pub persist: bw_durable_state,
    /// `BW_OUTPUT_KIND_TRANSMIT`: where the message in the buffer goes, and its length.
    pub transmit: bw_transmit,
    /// `BW_OUTPUT_KIND_EVENT`: the event.
    pub event: bw_event,
    /// `BW_OUTPUT_KIND_TIMEOUT`: the next deadline, if any.
    pub timeout: bw_timeout,
}

impl bw_output {
    fn from_output(next: Output) -> Result<bw_output, bw_result> {
        let none = bw_output::default();
        Ok(match next {
            Output::Persist(state) => bw_output {
                kind: bw_output_kind::Persist,
                persist: state.into(),
                ..none
            },
            Output::Transmit(transmit) => bw_output {
                kind: bw_output_kind::Transmit,
                transmit: transmit.into(),
                ..none
            },
            Output::Event(event) => bw_output {
                kind: bw_output_kind::Event,
                event: bw_event::from_event(event)?,
                ..none
            },
            Output::Timeout(deadline) => bw_output {
                kind: bw_output_kind::Timeout,
                timeout: bw_timeout {
                    has_deadline: deadline.is_some(),
                    deadline: deadline.map_or(0, |at| at.as_millis()),
                },
                ..none
            },
            // The core is built with this library: every output it has is mapped above.
            _ => return Err(bw_result::Unknown),
        })
    }
}

/// The one-call drain: hands out the node's next output, in the order that keeps its
/// promises (the durable state to persist, then messages, then leadership events), and
/// finally `BW_OUTPUT_KIND_TIMEOUT`, which ends the drain. After every input
/// (`bw_node_init()`, `bw_node_restore()`, `bw_node_handle_bytes()`,
/// `bw_node_handle_timeout()`, a command), call it until it says `BW_OUTPUT_KIND_TIMEOUT`:
///
/// ```c
/// bw_output out;
/// uint8_t buf[BW_MAX_MESSAGE_SIZE];
/// do {
///     if (bw_node_poll_output(node, buf, sizeof buf, &out) != BW_RESULT_OK) break;
///     switch ((enum bw_output_kind)out.kind) {
///     case BW_OUTPUT_KIND_PERSIST: // write out.persist to storage, then:
///         bw_node_confirm_persisted(node, &out.persist);
///         break;
///     case BW_OUTPUT_KIND_TRANSMIT: // send out.transmit.len bytes of buf
///         break;
///     case BW_OUTPUT_KIND_EVENT: // act on out.event
///         break;
///     case BW_OUTPUT_KIND_TIMEOUT: // sleep until out.timeout.deadline
///         break;
///     }
/// } while (out.kind != BW_OUTPUT_KIND_TIMEOUT);
/// ```
///
/// A durable state handed out and not yet confirmed holds the messages back: the drain
/// goes on to the events and the deadline, and the messages follow once it is confirmed.
/// A message is written to the start of `buf` (`BW_MAX_MESSAGE_SIZE` bytes always
/// suffice); if it does not fit, `BW_RESULT_BUFFER_TOO_SMALL`, and it stays queued. Only a
/// node running quorum election in persistent mode ever hands out a durable state.
///
/// # Safety
/// `node` must be NULL or a valid handle; `buf` must be NULL or point to `buf_len`
/// writable bytes; `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_poll_output(
    node: *mut bw_node,
    buf: *mut u8,
    buf_len: usize,
    out: *mut bw_output,
) -> bw_result {
    // SAFETY: the caller guarantees `buf`/`buf_len` and `out` are NULL or writable.
    let (buf, out) = unsafe { (slice_mut(buf, buf_len), output(out)) };
    // SAFETY: the caller guarantees `node` is NULL or a valid handle.
    unsafe {
        with_node(node, |engine| {
            let (buf, out) = (buf?, out?);
            let next = engine.poll_output(buf)?;
            Ok(out.put(bw_output::from_output(next)?))
        })
    }
}

/// The drain's first step on its own: writes the durable state to persist before the
/// node's next messages may leave (quorum election in persistent mode, once per change);
/// `BW_RESULT_EMPTY` when there is none, as on every other algorithm and mode. Write it,
/// then call `bw_node_confirm_persisted()`. To retry a failed write, take the state again
/// from `bw_node_durable_state()`.
///
/// # Safety
/// `node` must be NULL or a valid handle; `out_state` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_poll_persist(
    node: *mut bw_node,
    out_state: *mut bw_durable_state,
) -> bw_result {
    // SAFETY: the caller guarantees `out_state` is NULL or writable.
    let out = unsafe { output(out_state) };
    // SAFETY: the caller guarantees `node` is NULL or a valid handle.
    unsafe {
        with_node(node, |engine| {
            let out = out?;
            Ok(engine
                .poll_persist()
                .map_or(bw_result::Empty, |state| out.put(state.into())))
        })
    }
}

/// The drain's second step on its own: writes the next outgoing message into `buf` and
/// describes it in `out`; `BW_RESULT_EMPTY` when none is waiting (or a durable state waits
/// for its confirmation); `BW_RESULT_BUFFER_TOO_SMALL` keeps it queued
/// (`BW_MAX_MESSAGE_SIZE` bytes always suffice).
///
/// # Safety
/// `node` must be NULL or a valid handle; `buf` must be NULL or point to `buf_len`
/// writable bytes; `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_poll_transmit(
    node: *mut bw_node,
    buf: *mut u8,
    buf_len: usize,
    out: *mut bw_transmit,
) -> bw_result {
    // SAFETY: the caller guarantees `buf`/`buf_len` and `out` are NULL or writable.
    let (buf, out) = unsafe { (slice_mut(buf, buf_len), output(out)) };
    // SAFETY: the caller guarantees `node` is NULL or a valid handle.
    unsafe {
        with_node(node, |engine| {
            let (buf, out) = (buf?, out?);
            Ok(engine
                .poll_transmit(buf)?
                .map_or(bw_result::Empty, |transmit| out.put(transmit.into())))
        })
    }
}

/// The drain's third step on its own: takes the next leadership event; `BW_RESULT_EMPTY`
/// when there is none.
///
/// # Safety
/// `node` must be NULL or a valid handle; `out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_poll_event(node: *mut bw_node, out: *mut bw_event) -> bw_result {
    // SAFETY: the caller guarantees `out` is NULL or writable.
    let out = unsafe { output(out) };
    // SAFETY: the caller guarantees `node` is NULL or a valid handle.
    unsafe {
        with_node(node, |engine| {
            let out = out?;
            match engine.poll_event() {
                Some(event) => Ok(out.put(bw_event::from_event(event)?)),
                None => Ok(bw_result::Empty),
            }
        })
    }
}

/// The drain's last step on its own: writes the instant by which
/// `bw_node_handle_timeout()` should next be called; `BW_RESULT_EMPTY` when no timer is
/// armed.
///
/// # Safety
/// `node` must be NULL or a valid handle; `out_deadline` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_node_poll_timeout(
    node: *const bw_node,
    out_deadline: *mut u64,
) -> bw_result {
    // SAFETY: the caller guarantees `out_deadline` is NULL or writable.
    let out = unsafe { output(out_deadline) };
    // SAFETY: the caller guarantees `node` is NULL or a valid handle.
    unsafe {
        read_node(node, |engine| {
            let out = out?;
            Ok(engine
                .poll_timeout()
                .map_or(bw_result::Empty, |at| out.put(at.as_millis())))
        })
    }
}
