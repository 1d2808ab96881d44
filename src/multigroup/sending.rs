//! The peers' queues and the bundles that carry them: coalescing, holding items until
//! their records are written, dropping items that events overtook.

use super::*;

impl<'s, const N: usize, A: Authenticator> MultiGroupNode<'s, N, A> {
    /// Queues `kind` of `group` in `term` for every other member alive here.
    pub(super) fn send_to_alive_members(&mut self, group: u16, term: Term, kind: ItemKind) {
        let Some(slot) = self.slot(group) else {
            return;
        };
        let members = slot.members;
        let count = usize::from(slot.member_count);
        for &member in members.iter().take(count) {
            if member != self.config.own_index && self.peer(member).is_some_and(|p| p.alive) {
                self.reply(member, group, term, kind);
            }
        }
    }

    /// Queues one item for `peer`; a full queue drops it (as a lost datagram would).
    pub(super) fn reply(&mut self, peer: u8, group: u16, term: Term, kind: ItemKind) {
        let share = self.queue.len() / self.config.nodes.len();
        let Some(link) = self.peers.get_mut(usize::from(peer)) else {
            return;
        };
        if link.queue_len >= share {
            self.statistics.items_dropped = self.statistics.items_dropped.saturating_add(1);
            return;
        }
        let position = usize::from(peer) * share + (link.queue_head + link.queue_len) % share;
        if let Some(entry) = self.queue.get_mut(position) {
            *entry = QueuedItem(Item { group, term, kind });
            link.queue_len += 1;
        }
    }

    /// The item at the head of `peer`'s queue, if it may leave (rule 8).
    pub(super) fn releasable_head(&self, peer: u8) -> Option<Item> {
        let share = self.queue.len() / self.config.nodes.len();
        let link = self.peer(peer)?;
        if link.queue_len == 0 {
            return None;
        }
        let item = self
            .queue
            .get(usize::from(peer) * share + link.queue_head)?
            .0;
        let written = self
            .slot(item.group)
            .is_none_or(|slot| slot.durable == Durable::Written);
        written.then_some(item)
    }

    pub(super) fn pop_head(&mut self, peer: u8) {
        let share = self.queue.len() / self.config.nodes.len();
        if let Some(link) = self.peers.get_mut(usize::from(peer)) {
            link.queue_head = (link.queue_head + 1) % share.max(1);
            link.queue_len = link.queue_len.saturating_sub(1);
        }
    }

    /// Whether a queued item still says something true (a `Lead` or `LeadAck` overtaken by
    /// events is dropped rather than sent).
    pub(super) fn still_current(&self, peer: u8, item: &Item) -> bool {
        let Some(slot) = self.slot(item.group) else {
            return false;
        };
        match item.kind {
            ItemKind::Lead => slot.standing == Standing::Leader && slot.term == item.term,
            ItemKind::LeadAck => slot.leader == peer && slot.term == item.term,
            _ => true,
        }
    }

    /// Whether a bundle for `peer` is due: items to send, or a heartbeat.
    pub(super) fn ready(&self, now: Instant, peer: u8) -> bool {
        #[cfg(feature = "authentication")]
        let answer_due = PeerIndex::from_position(usize::from(peer))
            .is_some_and(|index| self.freshness.request_of(index).is_some());
        #[cfg(not(feature = "authentication"))]
        let answer_due = false;
        answer_due
            || self.peer(peer).is_some_and(|link| {
                !link.unfollows.is_empty()
                    || link.heartbeat_due(now, self.config.heartbeat_interval)
            })
            || self.releasable_head(peer).is_some()
    }

    pub(super) fn write_bundle(
        &mut self,
        now: Instant,
        peer: u8,
        buf: &mut [u8],
    ) -> Result<usize, EncodeError> {
        let to = self.node_id(peer).ok_or(EncodeError::BufferTooSmall)?;
        let link = self.peer(peer).ok_or(EncodeError::BufferTooSmall)?;
        let lane_fits = self.config.overhead() + link.unfollows.len() * bundle::MAX_ITEM_SIZE
            <= self.config.datagram_size;
        let echo = match link.newest_sent_at {
            Some(sent) if lane_fits => sent.saturating_add(1),
            _ => 0,
        };
        let header = Header {
            cluster: self.config.cluster,
            from: self.config.id,
            to,
            incarnation: self.config.incarnation,
            sent_at: now.as_millis(),
            echo,
            echo_incarnation: link.incarnation.unwrap_or(0),
            epoch: link.our_epoch,
        };
        #[cfg(feature = "authentication")]
        let seal = self.seal_for(peer)?;
        let mut writer = BundleWriter::start(
            buf,
            self.config.datagram_size,
            &header,
            self.config.envelope,
            #[cfg(feature = "authentication")]
            seal.as_ref(),
        )?;
        while let Some(&(group, term)) = self.peer(peer).and_then(|l| l.unfollows.first()) {
            let item = Item {
                group,
                term,
                kind: ItemKind::Unfollow,
            };
            if !writer.push(&item) {
                break;
            }
            if let Some(link) = self.peer_mut(peer) {
                link.unfollows.remove(0);
            }
        }
        while writer.has_room() {
            let Some(item) = self.releasable_head(peer) else {
                break;
            };
            if self.still_current(peer, &item) && !writer.push(&item) {
                break;
            }
            self.pop_head(peer);
        }
        self.statistics.items_sent = self
            .statistics
            .items_sent
            .saturating_add(writer.items as u32);
        if let Some(link) = self.peer_mut(peer) {
            link.sent_at = Some(now);
        }
        #[cfg(feature = "authentication")]
        let len = writer.finish(seal.map(|seal| {
            (
                KeyId(seal.key),
                &mut self.authenticator as &mut dyn Authenticator,
            )
        }))?;
        #[cfg(not(feature = "authentication"))]
        let len = writer.finish()?;
        #[cfg(feature = "authentication")]
        if let Some(seal) = seal {
            self.sealed(peer, &seal);
        }
        Ok(len)
    }
}
