//! The interface between the engine and an algorithm: what every algorithm implements.

use crate::context::Context;
use crate::outbox::Recipient;
use crate::peers::PeerIndex;
use crate::timer::Timer;
use crate::wire::{Body, Kind, Term};

/// One election algorithm's state machine. The engine validates every input (group,
/// sender, receiver) before calling it, and builds every outgoing message from it.
pub(crate) trait Protocol<const N: usize> {
    /// The engine was just created; by default the node waits one failure timeout to hear
    /// a leader before [`Protocol::handle_leader_silent`] is called.
    fn start(&mut self, _cx: &mut Context<N>) {}

    /// A message from member `from`, carrying the sender's `term`.
    fn handle_message(&mut self, cx: &mut Context<N>, from: PeerIndex, term: Term, body: &Body);

    /// A protocol timer fired (the engine handles [`Timer::Heartbeat`] itself, through
    /// [`Protocol::heartbeat`]).
    fn handle_timer(&mut self, cx: &mut Context<N>, timer: Timer);

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
