//! What the node learns of its peers as nodes: sessions, liveness, epochs and support
//! (rules 1, 4, 5 and 6), and what that changes in every group.

use super::*;

impl<'s, const N: usize, A: Authenticator> MultiGroupNode<'s, N, A> {
    /// The node-level part of a bundle: session, liveness, epoch and echo.
    /// Returns whether the bundle's epoch adds up, so that its acknowledgements count.
    pub(super) fn apply_header(
        &mut self,
        now: Instant,
        from: u8,
        header: &Header,
        bundle: &Bundle<'_>,
    ) -> bool {
        let restarted = self
            .peer(from)
            .and_then(|p| p.incarnation)
            .is_some_and(|known| known != header.incarnation);
        if restarted {
            self.peer_restarted(now, from);
        }
        let was_alive = self.peer(from).is_some_and(|p| p.alive);
        let unfollows = bundle
            .items()
            .filter(|item| {
                matches!(
                    item,
                    Ok(Item {
                        kind: ItemKind::Unfollow,
                        ..
                    })
                )
            })
            .count() as u32;
        let Some(peer) = self.peer_mut(from) else {
            return false;
        };
        let first_contact = peer.incarnation.is_none();
        peer.incarnation = Some(header.incarnation);
        peer.heard_at = Some(now);
        peer.newest_sent_at = Some(
            peer.newest_sent_at
                .map_or(header.sent_at, |s| s.max(header.sent_at)),
        );
        let base = header.epoch.checked_sub(unfollows);
        let credit = if first_contact || base == Some(peer.their_epoch) {
            peer.their_epoch = header.epoch;
            true
        } else if header.epoch > peer.their_epoch {
            peer.their_epoch = header.epoch;
            self.forget_acknowledgements(now, from);
            true
        } else {
            false
        };
        if credit && header.echo != 0 && header.echo_incarnation == self.config.incarnation {
            let sent = header.echo - 1;
            if sent <= now.as_millis() {
                let until = Instant::from_millis(sent) + self.config.lease_duration();
                if let Some(peer) = self.peer_mut(from) {
                    peer.support_until = Some(peer.support_until.map_or(until, |u| u.max(until)));
                }
            }
        }
        if !was_alive {
            self.peer_up(now, from);
        }
        credit
    }

    /// `peer` was not heard for `T`: its groups lose their leader here (rule 1).
    pub(super) fn peer_down(&mut self, now: Instant, peer: u8) {
        if let Some(link) = self.peer_mut(peer) {
            link.alive = false;
            link.unfollows.clear();
        }
        crate::trace::trace_at!(info, "node {} lost node {}", self.config.own_index, peer);
        for index in 0..self.groups.len() {
            let group = index as u16;
            if self.slot(group).is_some_and(|s| s.leader == peer) {
                self.stop_following(group, NO_NODE);
                self.push_event(group);
                let delay = self.campaign_delay(group);
                self.schedule.arm(self.groups, group, now + delay);
            }
        }
    }

    /// `peer` is heard again: groups led here ask for its acknowledgement, and leadership
    /// may flow back to it.
    pub(super) fn peer_up(&mut self, now: Instant, peer: u8) {
        if let Some(link) = self.peer_mut(peer) {
            link.alive = true;
            link.up_since = now;
        }
        for index in 0..self.groups.len() {
            let group = index as u16;
            let Some(slot) = self.slot(group) else {
                continue;
            };
            if slot.standing != Standing::Leader {
                continue;
            }
            if let Some(position) = slot.position_of(peer)
                && slot.acked & (1 << position) == 0
            {
                let term = slot.term;
                self.reply(peer, group, term, ItemKind::Lead);
            }
        }
        self.request_spread();
    }

    /// Starts a full sweep for groups to hand back (rule 9), from where the last one
    /// stopped: a group that changed behind the cursor is seen again.
    pub(super) fn request_spread(&mut self) {
        self.rebalance.pending = true;
        self.rebalance.found = false;
        self.rebalance.swept = 0;
    }

    /// `peer` started again (a new session): it forgot what it followed and acknowledged.
    pub(super) fn peer_restarted(&mut self, now: Instant, peer: u8) {
        if let Some(link) = self.peer_mut(peer) {
            link.incarnation = None;
            link.newest_sent_at = None;
            link.support_until = None;
            link.unfollows.clear();
        }
        for index in 0..self.groups.len() {
            let group = index as u16;
            let Some(slot) = self.slot(group) else {
                continue;
            };
            if slot.leader == peer {
                if let Some(slot) = self.slot_mut(group) {
                    slot.leader = NO_NODE;
                }
                self.push_event(group);
                let delay = self.campaign_delay(group);
                self.schedule.arm(self.groups, group, now + delay);
            } else {
                self.forget_acknowledgement(now, group, peer);
            }
        }
    }

    /// An epoch gap from `peer`: forget all its acknowledgements and ask again.
    pub(super) fn forget_acknowledgements(&mut self, now: Instant, peer: u8) {
        for index in 0..self.groups.len() {
            self.forget_acknowledgement(now, index as u16, peer);
        }
    }

    pub(super) fn forget_acknowledgement(&mut self, now: Instant, group: u16, peer: u8) {
        let Some(slot) = self.slot_mut(group) else {
            return;
        };
        if slot.standing != Standing::Leader {
            return;
        }
        let Some(position) = slot.position_of(peer) else {
            return;
        };
        if slot.acked & (1 << position) == 0 {
            return;
        }
        slot.acked &= !(1 << position);
        let term = slot.term;
        self.reply(peer, group, term, ItemKind::Lead);
        // Check-quorum again if the acknowledgement does not come back.
        self.schedule
            .arm(self.groups, group, now + self.config.election_timeout);
    }

    /// `peer`'s support lapsed: check-quorum of every group that counted on it (rule 6).
    pub(super) fn check_support(&mut self, now: Instant, peer: u8) {
        for index in 0..self.groups.len() {
            let group = index as u16;
            let Some(slot) = self.slot(group) else {
                continue;
            };
            if slot.standing == Standing::Leader
                && slot.position_of(peer).is_some()
                && !self.has_majority_support(group, now)
            {
                self.step_down(now, group, ItemKind::Resign, NO_NODE);
            }
        }
    }
}
