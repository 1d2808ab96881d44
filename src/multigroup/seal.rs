//! Authenticated bundles: the seal each one carries, and the checks of a received one
//! (its tag, then its freshness, with the challenge and answer of a peer's session).

use super::*;

impl<'s, const N: usize, A: Authenticator> MultiGroupNode<'s, N, A> {
    /// The seal of the next bundle to `peer`, in authenticated mode: `None` otherwise.
    pub(super) fn seal_for(&self, peer: u8) -> Result<Option<Seal>, EncodeError> {
        if !matches!(self.config.envelope, Envelope::Authenticated(_)) {
            return Ok(None);
        }
        let index = PeerIndex::from_position(usize::from(peer)).ok_or(EncodeError::UnknownKey)?;
        // After 2⁶⁴ − 1 datagrams of one session the node falls silent rather than reuse a
        // counter.
        let freshness = self.freshness.next().ok_or(EncodeError::UnknownKey)?;
        Ok(Some(Seal {
            key: self.authenticator.current_key().0,
            freshness,
            request: self.peer(peer).is_some_and(|link| link.challenge_due),
            echo: self.freshness.request_of(index),
        }))
    }

    /// A bundle with `seal` left for `peer`.
    pub(super) fn sealed(&mut self, peer: u8, seal: &Seal) {
        let Some(index) = PeerIndex::from_position(usize::from(peer)) else {
            return;
        };
        if seal.request {
            self.freshness.challenged(index, seal.freshness.counter);
        }
        if seal.echo.is_some() {
            self.freshness.answered(index);
        }
        self.freshness.consume();
    }

    /// Checks an authenticated bundle of `from`: its tag, then its freshness (a reply to
    /// this node's challenge synchronises with the sender's session). A refused bundle
    /// changes nothing but the freshness exchange: an unsynchronised sender is challenged,
    /// and its own challenge is answered.
    pub(super) fn check_seal(
        &mut self,
        from: u8,
        header: &Header,
        seal: &Seal,
        signed: &[u8],
        tag: &[u8],
    ) -> Result<(), ReceiveError> {
        self.authenticator
            .verify(KeyId(seal.key), signed, tag)
            .map_err(|error| match error {
                VerifyError::BadMac => ReceiveError::BadMac,
                VerifyError::UnknownKey => ReceiveError::UnknownKey(seal.key),
            })?;
        if seal.freshness.session != header.incarnation {
            return Err(ReceiveError::Decode(DecodeError::Malformed));
        }
        let index = PeerIndex::from_position(usize::from(from))
            .ok_or(ReceiveError::UnknownSender(header.from))?;
        let answered = seal.echo.is_some_and(|echo| {
            self.freshness
                .synchronise(index, echo, seal.freshness)
                .is_ok()
        });
        if !answered {
            match self.freshness.check(index, seal.freshness) {
                Ok(()) => self.freshness.accept(index, seal.freshness),
                Err(FreshnessRefusal::Unsynchronised) => {
                    if seal.request {
                        self.freshness.requested(index, seal.freshness);
                    }
                    if let Some(link) = self.peer_mut(from) {
                        link.challenge_due = true;
                    }
                    return Err(ReceiveError::Unsynchronised);
                }
                Err(FreshnessRefusal::Replay) => return Err(ReceiveError::Replay),
            }
        }
        if let Some(link) = self.peer_mut(from) {
            link.challenge_due = false;
        }
        if seal.request {
            self.freshness.requested(index, seal.freshness);
        }
        Ok(())
    }
}
