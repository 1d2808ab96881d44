//! What one rank-based algorithm adds to the shared rules of [`super`]: the core consults
//! its [`Strategy`] at each point where Bully, next-in-line and candidate/ordinary differ,
//! and a strategy never calls the core back.

use crate::context::Context;
use crate::peers::{PeerIndex, PeerSet};
#[cfg(feature = "candidates")]
use crate::time::Duration;
use crate::wire::Successors;

/// How a node goes on when it suspects its leader, or the successor it asked to take over
/// stays silent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Start an election (rule 1).
    Elect,
    /// Lead at once: this node is next in line (next-in-line).
    #[cfg(feature = "next-in-line")]
    Lead,
    /// Ask `peer`, at `position` in the suspected leader's successor list, to take over
    /// (next-in-line).
    #[cfg(feature = "next-in-line")]
    AskToTakeOver {
        /// Where `peer` stands in the list.
        position: usize,
        /// The successor asked.
        peer: PeerIndex,
    },
    /// Stand, and start an election once this tie-breaker delay is over
    /// (candidate/ordinary).
    #[cfg(feature = "candidates")]
    WaitTieBreaker(Duration),
}

/// One rank-based algorithm's additions to the shared rules. Each method's default adds
/// nothing.
pub(crate) trait Strategy {
    /// Whom a new leader announces itself to: by default every other member.
    fn audience<const N: usize>(&self, cx: &Context<N>) -> PeerSet {
        cx.peers()
    }

    /// The successors this node publishes while it leads: by default none.
    fn successors_to_publish<const N: usize>(&self, _cx: &Context<N>) -> Successors {
        Successors::new()
    }

    /// The leader this node follows published `successors`.
    fn leader_published(&mut self, _successors: &Successors) {}

    /// The leader whose successors this node knew no longer leads it: the node follows
    /// another, or leads itself.
    fn leader_replaced(&mut self) {}

    /// This node suspects its leader `suspect` (`None`: it knew none): how it goes on.
    fn leader_silent<const N: usize>(
        &mut self,
        _cx: &Context<N>,
        _suspect: Option<PeerIndex>,
    ) -> Step {
        Step::Elect
    }

    /// The successor at `position` in the suspected leader's list did not take over in
    /// time: how this node goes on.
    fn successor_silent<const N: usize>(
        &mut self,
        _cx: &Context<N>,
        _suspect: Option<PeerIndex>,
        _position: usize,
    ) -> Step {
        Step::Elect
    }
}
