//! What a node knows about each other node: liveness, the support it holds from it, and
//! the items waiting to be sent to it.

use heapless::Vec;

use super::bundle::Item;
use crate::time::{Duration, Instant};
use crate::wire::Term;

/// How many `Unfollow` items wait for one peer at most; beyond that the peer learns of
/// the change from a gap in the epoch, which costs more but is as safe.
pub(crate) const UNFOLLOW_LANE: usize = 16;

/// One item waiting in a peer's queue: the caller provides the storage
/// (`[QueuedItem::EMPTY; Q]`), split evenly between the peers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QueuedItem(pub(crate) Item);

impl QueuedItem {
    /// An empty entry: the value to fill a queue storage with.
    pub const EMPTY: QueuedItem = QueuedItem(Item {
        group: 0,
        term: Term(0),
        kind: super::bundle::ItemKind::Newer,
    });
}

/// The node-level state of one peer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct PeerLink {
    /// When a bundle from it last arrived.
    pub(crate) heard_at: Option<Instant>,
    /// Whether it was heard within the election timeout, as last evaluated.
    pub(crate) alive: bool,
    /// When it last became alive.
    pub(crate) up_since: Instant,
    /// When this node last sent it a bundle.
    pub(crate) sent_at: Option<Instant>,
    /// Its session, once heard.
    pub(crate) incarnation: Option<u32>,
    /// The newest `sent_at` it sent (its clock, milliseconds), echoed back to it.
    pub(crate) newest_sent_at: Option<u64>,
    /// Its epoch towards this node, as far as this node has accounted for.
    pub(crate) their_epoch: u32,
    /// This node's epoch towards it: how often this node stopped following it.
    pub(crate) our_epoch: u32,
    /// Until when (this node's clock) the peer is known to refuse votes in every group
    /// where it acknowledged this node's leadership.
    pub(crate) support_until: Option<Instant>,
    /// Groups this node stopped following it in, with the term, not yet told.
    pub(crate) unfollows: Vec<(u16, Term), UNFOLLOW_LANE>,
    /// Authenticated mode: its datagrams are refused until it answers a challenge, which
    /// every bundle to it carries meanwhile.
    pub(crate) challenge_due: bool,
    /// Its queue: where it starts within this peer's share of the queue storage, and how
    /// many items it holds.
    pub(crate) queue_head: usize,
    pub(crate) queue_len: usize,
}

impl PeerLink {
    /// Whether it was heard within `timeout` before `now`.
    pub(crate) fn heard_within(&self, now: Instant, timeout: Duration) -> bool {
        self.heard_at.is_some_and(|at| now < at + timeout)
    }

    /// Whether a heartbeat is due at `now`.
    pub(crate) fn heartbeat_due(&self, now: Instant, interval: Duration) -> bool {
        self.sent_at.is_none_or(|at| now >= at + interval)
    }
}
