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
//! * **outputs** — after *every* input, drain in this order (quorum election in
//!   persistent mode first drains `Engine::poll_persist`, writing each state to durable
//!   storage and then calling `Engine::confirm_persisted`: messages wait for that):
//!   1. [`Engine::poll_transmit`] (or [`Engine::poll_message`]) until it returns nothing,
//!      sending each message to its [`Destination`];
//!   2. [`Engine::poll_event`] until it returns nothing;
//!   3. [`Engine::poll_timeout`], the instant by which to call `handle_timeout` next.
//!
//! Pending messages and events are kept as state, not as queues, so nothing is lost if a
//! host drains late; draining after every input keeps timing accurate.
//!
//! ```
//! use bellwether::{Algorithm, BullyOptions, Config, Engine, GroupId, Instant, Member, NodeId,
//!     MAX_MESSAGE_SIZE};
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
//! while let Some(transmit) = engine.poll_transmit(&mut buf)? {
//!     // send &buf[..transmit.len] to transmit.to
//! #   let _ = &buf[..transmit.len];
//! }
//! while let Some(event) = engine.poll_event() {
//!     // react to leadership changes
//! #   let _ = event;
//! }
//! let _next_wake = engine.poll_timeout();
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
//! Other features: `std` (a [`StdClock`] adapter and std conveniences) and `sim` (the
//! deterministic network simulator, std only).
#![no_std]
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
mod detector;
#[cfg(feature = "quorum")]
pub mod durable;
mod engine;
mod event;
#[cfg(feature = "mutants")]
mod mutation;
mod outbox;
mod peers;
mod rand;
mod time;
mod timer;
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
pub use engine::{CommandError, Engine, ReceiveError, Transmit};
pub use event::{Event, Role};
#[cfg(feature = "mutants")]
#[doc(hidden)]
pub use mutation::Mutation;
pub use rand::Rng;
#[cfg(feature = "std")]
pub use time::StdClock;
pub use time::{Duration, Instant};
pub use wire::{
    Body, DecodeError, Destination, EncodeError, Kind, MAX_MESSAGE_SIZE, MAX_SUCCESSORS, MemberSet,
    Message, Successors, Term, WIRE_VERSION,
};
