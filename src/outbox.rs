//! Messages waiting to be sent, kept as "which kinds are owed to whom" rather than as a
//! queue of copies.
//!
//! Each peer has a bit per [`Kind`]; a message's contents are built from the engine's
//! state only when the host polls for it. So the outbox can never overflow: queueing the
//! same kind to the same peer twice before the host drains it yields one message (every
//! message kind is idempotent), and memory is fixed at one word per peer.

use crate::peers::{PeerIndex, PeerSet};
use crate::wire::Kind;

/// Where a pending message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Recipient {
    Peer(PeerIndex),
    All,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
struct KindSet(u32);

impl KindSet {
    fn insert(&mut self, kind: Kind) {
        self.0 |= 1 << kind as u32;
    }

    fn remove(&mut self, kind: Kind) {
        self.0 &= !(1 << kind as u32);
    }

    fn first(self) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|&kind| self.0 & (1 << kind as u32) != 0)
    }
}

/// The pending messages of one engine.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Outbox<const N: usize> {
    to_peer: [KindSet; N],
    to_all: KindSet,
    /// Peers with at least one pending kind.
    pending: PeerSet,
    /// Where the next search for a peer with pending kinds starts (round robin).
    cursor: usize,
}

impl<const N: usize> Default for Outbox<N> {
    fn default() -> Self {
        Outbox {
            to_peer: [KindSet::default(); N],
            to_all: KindSet::default(),
            pending: PeerSet::EMPTY,
            cursor: 0,
        }
    }
}

impl<const N: usize> Outbox<N> {
    pub(crate) fn push(&mut self, peer: PeerIndex, kind: Kind) {
        if let Some(kinds) = self.to_peer.get_mut(peer.position()) {
            kinds.insert(kind);
            self.pending.insert(peer);
        }
    }

    /// Queues `kind` for every peer in `peers`: once with [`Recipient::All`] when the
    /// medium can broadcast and more than one peer is meant, else once per peer.
    pub(crate) fn push_many(&mut self, peers: PeerSet, kind: Kind, broadcast: bool) {
        if broadcast && peers.len() > 1 {
            self.to_all.insert(kind);
        } else {
            for peer in peers.iter() {
                self.push(peer, kind);
            }
        }
    }

    /// Drops every pending message of `kind` (its reason has gone away).
    pub(crate) fn cancel(&mut self, kind: Kind) {
        self.to_all.remove(kind);
        for peer in self.pending.iter() {
            self.remove(Recipient::Peer(peer), kind);
        }
    }

    /// The message that [`Outbox::remove`] would take next, if any.
    pub(crate) fn peek(&self) -> Option<(Recipient, Kind)> {
        if let Some(kind) = self.to_all.first() {
            return Some((Recipient::All, kind));
        }
        let peer = self.pending.first_from(self.cursor)?;
        let kind = self.to_peer.get(peer.position())?.first()?;
        Some((Recipient::Peer(peer), kind))
    }

    /// Marks a message as handed to the host.
    pub(crate) fn remove(&mut self, recipient: Recipient, kind: Kind) {
        match recipient {
            Recipient::All => self.to_all.remove(kind),
            Recipient::Peer(peer) => {
                if let Some(kinds) = self.to_peer.get_mut(peer.position()) {
                    kinds.remove(kind);
                    if kinds.first().is_none() {
                        self.pending.remove(peer);
                        self.cursor = peer.position() + 1;
                    }
                }
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.to_all.first().is_none() && self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain<const N: usize>(outbox: &mut Outbox<N>) -> heapless::Vec<(Recipient, Kind), 16> {
        let mut out = heapless::Vec::new();
        while let Some((to, kind)) = outbox.peek() {
            outbox.remove(to, kind);
            out.push((to, kind)).unwrap();
        }
        out
    }

    #[test]
    fn repeated_pushes_coalesce_and_peers_take_turns() {
        let mut outbox = Outbox::<4>::default();
        outbox.push(PeerIndex(2), Kind::Alive);
        outbox.push(PeerIndex(2), Kind::Alive);
        outbox.push(PeerIndex(1), Kind::Election);
        outbox.push(PeerIndex(2), Kind::Heartbeat);
        let sent = drain(&mut outbox);
        assert_eq!(
            sent.as_slice(),
            [
                (Recipient::Peer(PeerIndex(1)), Kind::Election),
                (Recipient::Peer(PeerIndex(2)), Kind::Heartbeat),
                (Recipient::Peer(PeerIndex(2)), Kind::Alive),
            ]
        );
        assert!(outbox.is_empty());
    }

    #[test]
    fn many_goes_out_once_on_broadcast_media_and_per_peer_otherwise() {
        let mut peers = PeerSet::EMPTY;
        peers.insert(PeerIndex(0));
        peers.insert(PeerIndex(3));
        let mut broadcast = Outbox::<4>::default();
        broadcast.push_many(peers, Kind::Coordinator, true);
        assert_eq!(
            drain(&mut broadcast).as_slice(),
            [(Recipient::All, Kind::Coordinator)]
        );
        let mut unicast = Outbox::<4>::default();
        unicast.push_many(peers, Kind::Coordinator, false);
        assert_eq!(drain(&mut unicast).len(), 2);
    }

    #[test]
    fn cancel_drops_only_that_kind() {
        let mut outbox = Outbox::<4>::default();
        outbox.push(PeerIndex(0), Kind::Election);
        outbox.push(PeerIndex(1), Kind::Election);
        outbox.push(PeerIndex(1), Kind::Alive);
        outbox.cancel(Kind::Election);
        assert_eq!(
            drain(&mut outbox).as_slice(),
            [(Recipient::Peer(PeerIndex(1)), Kind::Alive)]
        );
    }
}
