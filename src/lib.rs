//! # bellwether
//!
//! An embeddable leader-election engine: a **sans-IO state machine** for one node of one
//! election group. It is deterministic, does no networking, reads no clock, never
//! allocates, never blocks, and never panics on any input. `#![no_std]`, no allocator:
//! every buffer has a size fixed at compile time.
//!
//! ## The calling contract
//!
//! The host owns the transport and the clock. It passes the current time (a monotonic
//! [`Instant`], milliseconds by default) into every input, and:
//!
//! * **inputs** — [`Engine::handle_bytes`] (or [`Engine::handle_message`]) for each
//!   received message, and [`Engine::handle_timeout`] when the deadline has come (spurious
//!   calls do nothing, so a fixed tick works too);
//! * **outputs** — after *every* input, call [`Engine::poll_output`] until it returns
//!   [`Output::Timeout`]. It hands out, in this order: the durable state to write first
//!   (quorum election in persistent mode: write it, then call
//!   `Engine::confirm_persisted`; messages wait for that), the messages to send to their
//!   [`Destination`], the leadership [`Event`]s, and last the instant by which to call
//!   `handle_timeout` next. The same outputs can be taken one kind at a time, in that
//!   order, with `poll_persist`, [`Engine::poll_transmit`] (or [`Engine::poll_message`]),
//!   [`Engine::poll_event`] and [`Engine::poll_timeout`].
//!
//! Pending messages and events are kept as state, not as queues, so nothing is lost if a
//! host drains late; draining after every input keeps timing accurate.
//!
//! ```
//! use bellwether::{Algorithm, BullyOptions, Config, Engine, GroupId, Instant, Member, NodeId,
//!     Output, MAX_MESSAGE_SIZE};
//!
//! let members = [Member::with_id(1), Member::with_id(2), Member::with_id(3)];
//! let config = Config::<8>::new(GroupId(7), NodeId(2), &members,
//!     Algorithm::Bully(BullyOptions::CLASSIC))?;
//! let mut engine = Engine::new(config, Instant::ZERO)?;
//!
//! // The host's loop: sleep until the deadline (or a message arrives), then:
//! let now = engine.poll_timeout().unwrap();
//! engine.handle_timeout(now);
//! let mut buf = [0u8; MAX_MESSAGE_SIZE];
//! let _next_wake = loop {
//!     match engine.poll_output(&mut buf)? {
//!         Output::Transmit(transmit) => {
//!             // send &buf[..transmit.len] to transmit.to
//! #           let _ = &buf[..transmit.len];
//!         }
//!         Output::Event(event) => {
//!             // react to leadership changes
//! #           let _ = event;
//!         }
//!         Output::Timeout(deadline) => break deadline,
//!         _ => {} // Output::Persist, for quorum election
//!     }
//! };
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Algorithms
//!
//! Each algorithm is a cargo feature and a variant of [`Algorithm`], chosen at run time:
//!
//! | feature | algorithm | safety class |
//! |---|---|---|
//! | `bully` | Bully (Garcia-Molina, 1982), with a [`Preemption`] option for stability | split brain possible under partition |
//! | `next-in-line` | next-in-line failover (Petrov, *Database Internals*, ch. 10): the leader names its successors | split brain possible under partition |
//! | `candidates` | candidate/ordinary with tie-breaker delays (Petrov, ch. 10) | split brain possible under partition |
//! | `invitation` | invitation (Garcia-Molina, 1982): groups merge, the larger group's leader leads | several leaders by design while partitioned |
//! | `ring` | ring (Chang and Roberts, 1979), full-list or max-only token | split brain possible under partition |
//! | `quorum` | quorum election (Raft's election, Ongaro and Ousterhout, 2014): terms, majority votes, pre-vote, check-quorum, lease, fencing token, durable vote | at most one leader per term; never two valid leases at once (clock drift within the configured bound) |
//!
//! Other features: `std` (a [`StdClock`] adapter and std conveniences), `sim` (the
//! deterministic network simulator, std only), `checksum` (checksummed messages),
//! `authentication` (authenticated messages
//! with a MAC the host supplies: see [`protection`]) and `cmac` (the built-in
//! CMAC-AES-128, [`CmacKeys`]).
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
#![cfg_attr(
    not(all(
        feature = "bully",
        feature = "next-in-line",
        feature = "candidates",
        feature = "invitation",
        feature = "ring",
        feature = "quorum"
    )),
    allow(dead_code, unused_imports, unused_variables, unreachable_code)
)]

#[cfg(feature = "std")]
extern crate std;

mod algorithms;
mod config;
mod context;
mod crc;
mod detector;
#[cfg(feature = "quorum")]
pub mod durable;
mod engine;
mod event;
#[cfg(feature = "multigroup")]
pub mod multigroup;
#[cfg(feature = "mutants")]
mod mutation;
mod outbox;
mod peers;
pub mod protection;
mod rand;
mod time;
mod timer;
mod trace;
mod wire;

#[cfg(feature = "sim")]
pub mod sim;

/// The README's examples, compiled and run as doc tests.
#[cfg(all(doctest, feature = "std", feature = "bully", feature = "quorum"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(feature = "bully")]
pub use algorithms::bully::BullyOptions;
#[cfg(feature = "candidates")]
pub use algorithms::candidates::CandidateOptions;
#[cfg(feature = "invitation")]
pub use algorithms::invitation::InvitationOptions;
#[cfg(feature = "next-in-line")]
pub use algorithms::next_in_line::NextInLineOptions;
#[cfg(feature = "quorum")]
pub use algorithms::quorum::{Durability, QuorumOptions};
#[cfg(any(feature = "bully", feature = "next-in-line", feature = "candidates"))]
pub use algorithms::ranked::Preemption;
#[cfg(feature = "ring")]
pub use algorithms::ring::{RingOptions, RingVariant};
pub use config::{
    Algorithm, Config, ConfigError, GroupId, MAX_MEMBERS, Member, NodeId, Rank, Timing,
};
#[cfg(feature = "quorum")]
pub use durable::DurableState;
pub use engine::{ConfirmError, Engine, Output, ReceiveError, Transmit};
#[cfg(feature = "quorum")]
pub use engine::{QuorumMut, QuorumRef, RestoreError, TransferError};
pub use event::{Cause, Event, Role};
#[cfg(feature = "mutants")]
#[doc(hidden)]
pub use mutation::Mutation;
#[cfg(feature = "cmac")]
pub use protection::CmacKeys;
pub use protection::{
    AuthOptions, Authenticator, Freshness, KeyId, Protection, Statistics, TagLength,
    Unauthenticated,
};
#[cfg(feature = "std")]
pub use time::StdClock;
pub use time::{Duration, Instant};
pub use wire::{
    AUTHENTICATED_WIRE_VERSION, CHECKSUM_WIRE_VERSION, DecodeError, Destination, EncodeError,
    MAX_MESSAGE_SIZE, MAX_SUCCESSORS, Message, Term, WIRE_VERSION,
};

/// The engine's insides that tests and tools need (message bodies, building messages, the
/// deterministic random generator), outside semantic versioning: any release may change
/// them. Enabled by the `unstable` feature (and by `sim`, whose records name message
/// kinds).
#[cfg(feature = "unstable")]
pub mod unstable {
    pub use crate::rand::Rng;
    pub use crate::wire::{Body, Kind, MemberSet, Successors};
}
