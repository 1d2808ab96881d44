//! The election algorithms, one module each, and the one door between them and the engine:
//! the [`Protocol`] trait every algorithm implements, and [`Machine`], the running one.
//!
//! - [`bully`], [`next_in_line`] and [`candidates`]: the rank-based algorithms, each a set
//!   of additions to the shared rules of [`ranked`];
//! - [`invitation`], [`ring`] and [`quorum`]: algorithms of their own.
//!
//! An algorithm stands on the shared machinery below it (the [`Context`]: timers, outbox,
//! failure detector, membership) and never on the engine above it.

#[cfg(feature = "bully")]
pub(crate) mod bully;
#[cfg(feature = "candidates")]
pub(crate) mod candidates;
#[cfg(feature = "invitation")]
pub(crate) mod invitation;
#[cfg(feature = "next-in-line")]
pub(crate) mod next_in_line;
#[cfg(feature = "quorum")]
pub(crate) mod quorum;
#[cfg(any(feature = "bully", feature = "next-in-line", feature = "candidates"))]
pub(crate) mod ranked;
#[cfg(feature = "ring")]
pub(crate) mod ring;

use crate::config::Algorithm;
use crate::context::Context;
use crate::outbox::Recipient;
use crate::peers::{PeerIndex, PeerSet};
use crate::timer::Slot;
use crate::wire::{Body, Kind, Successors, Term};

#[cfg(feature = "bully")]
use bully::Bully;
#[cfg(feature = "candidates")]
use candidates::Candidates;
#[cfg(feature = "invitation")]
use invitation::Invitation;
#[cfg(feature = "next-in-line")]
use next_in_line::NextInLine;
#[cfg(feature = "quorum")]
use quorum::Quorum;
#[cfg(any(feature = "bully", feature = "next-in-line", feature = "candidates"))]
use ranked::{Ranked, Step, Strategy};
#[cfg(feature = "ring")]
use ring::Ring;

/// One election algorithm's state machine. The engine validates every input (group,
/// sender, receiver) before calling it, and builds every outgoing message from it.
pub(crate) trait Protocol<const N: usize> {
    /// The engine was just created; by default the node waits one failure timeout to hear
    /// a leader before [`Protocol::handle_leader_silent`] is called.
    fn start(&mut self, _cx: &mut Context<N>) {}

    /// A message from member `from`, carrying the sender's `term`.
    fn handle_message(&mut self, cx: &mut Context<N>, from: PeerIndex, term: Term, body: &Body);

    /// One of the algorithm's own timers fired: `timer` is its slot, which
    /// [`Slot::timer`] turns back into the algorithm's timer type. (The leader's
    /// heartbeat comes to [`Protocol::heartbeat`] instead.)
    fn handle_timer(&mut self, cx: &mut Context<N>, timer: Slot);

    /// The leader's heartbeat timer fired: by default, heartbeat every peer.
    fn heartbeat(&mut self, cx: &mut Context<N>) {
        cx.heartbeat(Kind::Heartbeat);
    }

    /// Whether outgoing messages must wait (for the host to confirm that durable state
    /// they depend on was written).
    fn withholds(&self, _cx: &Context<N>) -> bool {
        false
    }

    /// The failure detector suspects the leader, or no leader was heard since start.
    fn handle_leader_silent(&mut self, cx: &mut Context<N>);

    /// The term stamped on an outgoing message of `kind`.
    fn message_term(&self, cx: &Context<N>, kind: Kind) -> Term;

    /// The contents of a pending message of `kind` for `to`, built from the current state;
    /// `None` drops it (its reason has gone away).
    fn body(&self, cx: &Context<N>, kind: Kind, to: Recipient) -> Option<Body>;
}

/// The running algorithm's own state.
///
/// Sized for the largest algorithm compiled in: without a heap there is nothing to box
/// the large variant into, and an engine that can run any algorithm needs the room anyway.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Machine<const N: usize> {
    /// Bully, next-in-line or candidate/ordinary.
    #[cfg(any(feature = "bully", feature = "next-in-line", feature = "candidates"))]
    Ranked(Ranked<RankBased>),
    /// Invitation election.
    #[cfg(feature = "invitation")]
    Invitation(Invitation),
    /// Ring election.
    #[cfg(feature = "ring")]
    Ring(Ring),
    /// Quorum election.
    #[cfg(feature = "quorum")]
    Quorum(Quorum<N>),
}

impl<const N: usize> Machine<N> {
    /// The state of a node that runs `algorithm` and has not started yet.
    pub(crate) fn new(algorithm: Algorithm) -> Machine<N> {
        match algorithm {
            #[cfg(feature = "bully")]
            Algorithm::Bully(options) => {
                Machine::Ranked(Ranked::new(RankBased::Bully(Bully), options.preemption))
            }
            #[cfg(feature = "next-in-line")]
            Algorithm::NextInLine(options) => Machine::Ranked(Ranked::new(
                RankBased::NextInLine(NextInLine::new(options)),
                options.preemption,
            )),
            #[cfg(feature = "candidates")]
            Algorithm::Candidates(options) => Machine::Ranked(Ranked::new(
                RankBased::Candidates(Candidates::new(options)),
                options.preemption,
            )),
            #[cfg(feature = "invitation")]
            Algorithm::Invitation(options) => Machine::Invitation(Invitation::new(options)),
            #[cfg(feature = "ring")]
            Algorithm::Ring(options) => Machine::Ring(Ring::new(options)),
            #[cfg(feature = "quorum")]
            Algorithm::Quorum(options) => Machine::Quorum(Quorum::new(options)),
        }
    }

    /// The running algorithm, to read from.
    pub(crate) fn protocol(&self) -> &dyn Protocol<N> {
        match *self {
            #[cfg(any(feature = "bully", feature = "next-in-line", feature = "candidates"))]
            Machine::Ranked(ref ranked) => ranked,
            #[cfg(feature = "invitation")]
            Machine::Invitation(ref invitation) => invitation,
            #[cfg(feature = "ring")]
            Machine::Ring(ref ring) => ring,
            #[cfg(feature = "quorum")]
            Machine::Quorum(ref quorum) => quorum,
        }
    }

    /// The running algorithm, to drive.
    pub(crate) fn protocol_mut(&mut self) -> &mut dyn Protocol<N> {
        match *self {
            #[cfg(any(feature = "bully", feature = "next-in-line", feature = "candidates"))]
            Machine::Ranked(ref mut ranked) => ranked,
            #[cfg(feature = "invitation")]
            Machine::Invitation(ref mut invitation) => invitation,
            #[cfg(feature = "ring")]
            Machine::Ring(ref mut ring) => ring,
            #[cfg(feature = "quorum")]
            Machine::Quorum(ref mut quorum) => quorum,
        }
    }

    /// Quorum election's state, if that is the running algorithm.
    #[cfg(feature = "quorum")]
    pub(crate) fn quorum(&self) -> Option<&Quorum<N>> {
        match self {
            Machine::Quorum(quorum) => Some(quorum),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// Quorum election's state, to drive, if that is the running algorithm.
    #[cfg(feature = "quorum")]
    pub(crate) fn quorum_mut(&mut self) -> Option<&mut Quorum<N>> {
        match self {
            Machine::Quorum(quorum) => Some(quorum),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }
}

/// The rank-based algorithm that runs: the [`Strategy`] the shared rules of [`ranked`]
/// consult.
#[cfg(any(feature = "bully", feature = "next-in-line", feature = "candidates"))]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum RankBased {
    /// Bully election.
    #[cfg(feature = "bully")]
    Bully(Bully),
    /// Next-in-line failover.
    #[cfg(feature = "next-in-line")]
    NextInLine(NextInLine),
    /// Candidate/ordinary election.
    #[cfg(feature = "candidates")]
    Candidates(Candidates),
}

/// Evaluates `$call` with `$strategy` bound to the strategy of the rank-based algorithm
/// that runs.
#[cfg(any(feature = "bully", feature = "next-in-line", feature = "candidates"))]
macro_rules! with_strategy {
    ($rank_based:expr, $strategy:ident => $call:expr) => {
        match $rank_based {
            #[cfg(feature = "bully")]
            RankBased::Bully($strategy) => $call,
            #[cfg(feature = "next-in-line")]
            RankBased::NextInLine($strategy) => $call,
            #[cfg(feature = "candidates")]
            RankBased::Candidates($strategy) => $call,
        }
    };
}

#[cfg(any(feature = "bully", feature = "next-in-line", feature = "candidates"))]
impl Strategy for RankBased {
    fn audience<const N: usize>(&self, cx: &Context<N>) -> PeerSet {
        with_strategy!(self, strategy => strategy.audience(cx))
    }

    fn successors_to_publish<const N: usize>(&self, cx: &Context<N>) -> Successors {
        with_strategy!(self, strategy => strategy.successors_to_publish(cx))
    }

    fn leader_published(&mut self, successors: &Successors) {
        with_strategy!(self, strategy => strategy.leader_published(successors))
    }

    fn leader_replaced(&mut self) {
        with_strategy!(self, strategy => strategy.leader_replaced())
    }

    fn leader_silent<const N: usize>(
        &mut self,
        cx: &Context<N>,
        suspect: Option<PeerIndex>,
    ) -> Step {
        with_strategy!(self, strategy => strategy.leader_silent(cx, suspect))
    }

    fn successor_silent<const N: usize>(
        &mut self,
        cx: &Context<N>,
        suspect: Option<PeerIndex>,
        position: usize,
    ) -> Step {
        with_strategy!(self, strategy => strategy.successor_silent(cx, suspect, position))
    }
}
