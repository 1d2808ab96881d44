//! Freshness values and the per-peer replay windows of authenticated mode.

use super::Freshness;
use crate::peers::PeerIndex;

/// How many counters behind the newest one a receiver still accepts (each once): a
/// datagram reordered by up to this many others is not lost.
pub const WINDOW: u64 = 64;

/// Why a freshness value is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FreshnessRefusal {
    /// Already accepted, or older than the window (or a reply to no current request).
    Replay,
    /// Another session than the one synchronised with, or none yet: a request goes out.
    Unsynchronised,
}

/// What a receiver knows of one peer's freshness.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
struct PeerFreshness {
    /// The peer's session this node synchronised with.
    session: u32,
    /// The highest counter accepted in `session`; 0 while not synchronised.
    top: u64,
    /// Bit `i`: counter `top − i` was accepted (or predates the synchronisation).
    seen: u64,
    /// The counter of this node's first freshness request to the peer since it last
    /// synchronised (0: none outstanding). A reply must echo this or a later request.
    challenge: u64,
    /// The peer's latest freshness request, echoed by this node's reply (counter 0:
    /// nothing to answer).
    request: Freshness,
}

impl PeerFreshness {
    fn check(&self, value: Freshness) -> Result<(), FreshnessRefusal> {
        if self.top == 0 || value.session != self.session {
            return Err(FreshnessRefusal::Unsynchronised);
        }
        if value.counter > self.top {
            return Ok(());
        }
        let age = self.top - value.counter;
        if age >= WINDOW || self.seen & (1 << age) != 0 {
            return Err(FreshnessRefusal::Replay);
        }
        Ok(())
    }

    fn record(&mut self, counter: u64) {
        if counter > self.top {
            let shift = counter - self.top;
            self.seen = if shift >= WINDOW {
                0
            } else {
                self.seen << shift
            };
            self.seen |= 1;
            self.top = counter;
        } else if let Some(bit) = 1u64.checked_shl((self.top - counter) as u32) {
            self.seen |= bit;
        }
    }
}

/// This node's own freshness and its view of every peer's (authenticated mode).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct FreshnessGuard<const N: usize> {
    session: u32,
    /// The counter of the next datagram this node sends; 0 once exhausted.
    next_counter: u64,
    peers: [PeerFreshness; N],
}

impl<const N: usize> FreshnessGuard<N> {
    pub(crate) fn new(session: u32) -> FreshnessGuard<N> {
        FreshnessGuard {
            session,
            next_counter: 1,
            peers: [PeerFreshness::default(); N],
        }
    }

    /// The freshness of the next datagram this node sends, or `None` once the counter is
    /// exhausted (after 2⁶⁴ − 1 datagrams of one session: never, in practice).
    pub(crate) fn next(&self) -> Option<Freshness> {
        (self.next_counter != 0).then_some(Freshness {
            session: self.session,
            counter: self.next_counter,
        })
    }

    /// The datagram that carried [`FreshnessGuard::next`] left.
    pub(crate) fn consume(&mut self) {
        if self.next_counter != 0 {
            self.next_counter = self.next_counter.checked_add(1).unwrap_or(0);
        }
    }

    /// Whether a datagram of `peer` with `value` may be accepted.
    pub(crate) fn check(&self, peer: PeerIndex, value: Freshness) -> Result<(), FreshnessRefusal> {
        self.peers
            .get(peer.position())
            .map_or(Err(FreshnessRefusal::Unsynchronised), |state| {
                state.check(value)
            })
    }

    /// A datagram of `peer` with `value` (checked) was accepted.
    pub(crate) fn accept(&mut self, peer: PeerIndex, value: Freshness) {
        if let Some(state) = self.peers.get_mut(peer.position()) {
            state.record(value.counter);
        }
    }

    /// A freshness request to `peer` leaves with `counter`.
    pub(crate) fn challenged(&mut self, peer: PeerIndex, counter: u64) {
        if let Some(state) = self.peers.get_mut(peer.position())
            && state.challenge == 0
        {
            state.challenge = counter;
        }
    }

    /// `peer` asked for this node's freshness with a request of freshness `request`.
    pub(crate) fn requested(&mut self, peer: PeerIndex, request: Freshness) {
        if let Some(state) = self.peers.get_mut(peer.position()) {
            state.request = request;
        }
    }

    /// The request of `peer` this node's reply echoes, if any.
    pub(crate) fn request_of(&self, peer: PeerIndex) -> Option<Freshness> {
        self.peers
            .get(peer.position())
            .map(|state| state.request)
            .filter(|request| request.counter != 0)
    }

    /// The reply to `peer`'s request left.
    pub(crate) fn answered(&mut self, peer: PeerIndex) {
        if let Some(state) = self.peers.get_mut(peer.position()) {
            state.request = Freshness::default();
        }
    }

    /// `peer` replied with `value`, echoing `echo`: synchronises with its session if the
    /// echo names a request of this node's current attempt. Counters up to `value`'s count
    /// as seen, since this node cannot tell which it accepted before it lost its window.
    pub(crate) fn synchronise(
        &mut self,
        peer: PeerIndex,
        echo: Freshness,
        value: Freshness,
    ) -> Result<(), FreshnessRefusal> {
        let session = self.session;
        let next_counter = self.next_counter;
        let state = self
            .peers
            .get_mut(peer.position())
            .ok_or(FreshnessRefusal::Replay)?;
        let current = state.challenge != 0
            && echo.session == session
            && echo.counter >= state.challenge
            && (next_counter == 0 || echo.counter < next_counter);
        if !current {
            return Err(FreshnessRefusal::Replay);
        }
        if state.top != 0 && state.session == value.session {
            state.check(value)?;
            state.record(value.counter);
        } else {
            state.session = value.session;
            state.top = value.counter;
            state.seen = u64::MAX;
        }
        state.challenge = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> PeerIndex {
        PeerIndex::from_position(1).unwrap()
    }

    fn at(session: u32, counter: u64) -> Freshness {
        Freshness { session, counter }
    }

    /// A guard of session 9 synchronised with `peer` at session 5, counter 100.
    fn synchronised() -> FreshnessGuard<4> {
        let mut guard = FreshnessGuard::<4>::new(9);
        guard.challenged(peer(), 1);
        guard.consume();
        guard.synchronise(peer(), at(9, 1), at(5, 100)).unwrap();
        guard
    }

    #[test]
    fn nothing_is_accepted_before_synchronising() {
        let guard = FreshnessGuard::<4>::new(9);
        assert_eq!(
            guard.check(peer(), at(5, 1)),
            Err(FreshnessRefusal::Unsynchronised)
        );
    }

    #[test]
    fn the_window_accepts_each_counter_once_and_reordered_ones() {
        let mut guard = synchronised();
        // Everything up to the reply counts as seen.
        assert_eq!(
            guard.check(peer(), at(5, 100)),
            Err(FreshnessRefusal::Replay)
        );
        assert_eq!(
            guard.check(peer(), at(5, 60)),
            Err(FreshnessRefusal::Replay)
        );
        for counter in [103, 101, 102] {
            guard.check(peer(), at(5, counter)).unwrap();
            guard.accept(peer(), at(5, counter));
            assert_eq!(
                guard.check(peer(), at(5, counter)),
                Err(FreshnessRefusal::Replay)
            );
        }
        guard.accept(peer(), at(5, 200));
        // The window holds counters 137..=200.
        assert_eq!(
            guard.check(peer(), at(5, 136)),
            Err(FreshnessRefusal::Replay)
        );
        guard.check(peer(), at(5, 137)).unwrap();
        assert_eq!(
            guard.check(peer(), at(4, 1000)),
            Err(FreshnessRefusal::Unsynchronised)
        );
        assert_eq!(
            guard.check(peer(), at(6, 1)),
            Err(FreshnessRefusal::Unsynchronised)
        );
    }

    #[test]
    fn only_a_reply_to_the_current_attempt_synchronises() {
        let mut guard = synchronised();
        // No request outstanding: a replayed reply is refused.
        assert_eq!(
            guard.synchronise(peer(), at(9, 1), at(6, 1)),
            Err(FreshnessRefusal::Replay)
        );
        for _ in 0..5 {
            guard.consume();
        }
        assert_eq!(guard.next(), Some(at(9, 7)));
        guard.challenged(peer(), 7);
        guard.consume();
        // A reply echoing a request before this attempt, or of another session, or one
        // never sent, is refused.
        for echo in [at(9, 6), at(8, 7), at(9, 8)] {
            assert_eq!(
                guard.synchronise(peer(), echo, at(6, 1)),
                Err(FreshnessRefusal::Replay)
            );
        }
        guard.synchronise(peer(), at(9, 7), at(6, 1)).unwrap();
        guard.check(peer(), at(6, 2)).unwrap();
        assert_eq!(
            guard.check(peer(), at(5, 300)),
            Err(FreshnessRefusal::Unsynchronised)
        );
    }

    #[test]
    fn resynchronising_with_the_same_session_keeps_the_window() {
        let mut guard = synchronised();
        guard.accept(peer(), at(5, 101));
        guard.challenged(peer(), 2);
        guard.consume();
        guard.synchronise(peer(), at(9, 2), at(5, 105)).unwrap();
        assert_eq!(
            guard.check(peer(), at(5, 101)),
            Err(FreshnessRefusal::Replay)
        );
        guard.check(peer(), at(5, 102)).unwrap();
    }

    #[test]
    fn the_counter_never_wraps() {
        let mut guard = FreshnessGuard::<4>::new(1);
        guard.next_counter = u64::MAX;
        assert_eq!(guard.next(), Some(at(1, u64::MAX)));
        guard.consume();
        assert_eq!(guard.next(), None);
        guard.consume();
        assert_eq!(guard.next(), None);
    }
}
