//! The election rules of one group: pre-votes, votes, terms, following and leading,
//! stepping down (rules 2, 3, 6 and 8 of the module documentation).

use super::*;

impl<'s, const N: usize, A: Authenticator> MultiGroupNode<'s, N, A> {
    /// One item, from `from`; `credit` says whether its bundle's epoch added up.
    pub(super) fn apply_item(&mut self, now: Instant, from: u8, item: &Item, credit: bool) {
        let group = item.group;
        let Some(from_position) = self.slot(group).and_then(|s| s.position_of(from)) else {
            self.statistics.items_ignored = self.statistics.items_ignored.saturating_add(1);
            return;
        };
        let Some(slot) = self.slot(group).copied() else {
            return;
        };
        self.statistics.items_received = self.statistics.items_received.saturating_add(1);
        let bit = 1u8 << from_position;
        let term = slot.term;
        let standing = slot.standing;
        match item.kind {
            ItemKind::PreVote { round } => {
                if item.term <= term {
                    self.reply(from, group, term, ItemKind::Newer);
                } else if self.grants_vote(now, group, from) {
                    self.reply(from, group, item.term, ItemKind::PreVoteGranted { round });
                } else if standing == Standing::Leader {
                    // It does not know this node leads: tell it again.
                    self.reply(from, group, term, ItemKind::Lead);
                }
            }
            ItemKind::PreVoteGranted { round } => {
                if standing == Standing::PreCandidate
                    && slot.round == round
                    && term < Term::MAX
                    && item.term == term.next()
                {
                    self.count_grant(now, group, bit);
                }
            }
            ItemKind::RequestVote => {
                if item.term < term {
                    self.reply(from, group, term, ItemKind::Newer);
                    return;
                }
                if !self.grants_vote(now, group, from) {
                    return;
                }
                if item.term > term {
                    self.adopt(now, group, item.term, from);
                }
                let Some(slot) = self.slot_mut(group) else {
                    return;
                };
                if slot.standing != Standing::Follower
                    || (slot.voted_for != NO_NODE && slot.voted_for != from)
                {
                    return;
                }
                slot.voted_for = from;
                self.mark_dirty(group);
                self.reply(from, group, item.term, ItemKind::VoteGranted);
                let delay = self.config.election_timeout + self.campaign_delay(group);
                self.schedule.arm(self.groups, group, now + delay);
            }
            ItemKind::VoteGranted => {
                if standing == Standing::Candidate && item.term == term {
                    self.count_grant(now, group, bit);
                }
            }
            ItemKind::Lead => {
                if item.term < term {
                    self.reply(from, group, term, ItemKind::Newer);
                    return;
                }
                if item.term > term {
                    self.adopt(now, group, item.term, from);
                }
                if self
                    .slot(group)
                    .is_some_and(|s| s.standing == Standing::Leader)
                {
                    return;
                }
                self.follow(group, from);
                self.reply(from, group, item.term, ItemKind::LeadAck);
            }
            ItemKind::LeadAck => {
                if credit
                    && standing == Standing::Leader
                    && item.term == term
                    && let Some(slot) = self.slot_mut(group)
                {
                    slot.acked |= bit;
                }
            }
            ItemKind::Unfollow => {
                if credit
                    && standing == Standing::Leader
                    && item.term == term
                    && let Some(slot) = self.slot_mut(group)
                {
                    slot.acked &= !bit;
                }
            }
            ItemKind::Resign | ItemKind::TimeoutNow => {
                if item.term != term || slot.leader != from {
                    return;
                }
                if let Some(slot) = self.slot_mut(group) {
                    slot.leader = NO_NODE;
                }
                self.push_event(group);
                let delay = if item.kind == ItemKind::TimeoutNow {
                    Duration::from_millis(0)
                } else {
                    self.campaign_delay(group)
                };
                self.schedule.arm(self.groups, group, now + delay);
            }
            ItemKind::Newer => {
                if item.term > term {
                    self.adopt(now, group, item.term, from);
                }
            }
        }
    }

    /// Whether this node may grant `candidate` a pre-vote or vote in `group` (rule 2).
    pub(super) fn grants_vote(&self, now: Instant, group: u16, candidate: u8) -> bool {
        let timeout = self.config.election_timeout;
        if now < self.started_at + timeout {
            return false;
        }
        let Some(slot) = self.slot(group) else {
            return false;
        };
        if slot.standing == Standing::Leader {
            return false;
        }
        let leader = slot.leader;
        leader == NO_NODE
            || leader == candidate
            || !self
                .peer(leader)
                .is_some_and(|p| p.heard_within(now, timeout))
    }

    /// A pre-vote or vote granted by the member of `bit`: with a majority, the next step.
    pub(super) fn count_grant(&mut self, now: Instant, group: u16, bit: u8) {
        let Some(slot) = self.slot_mut(group) else {
            return;
        };
        slot.grants |= bit;
        if slot.grants.count_ones() < slot.majority() {
            return;
        }
        match slot.standing {
            Standing::PreCandidate => self.campaign(now, group),
            Standing::Candidate => self.become_leader(now, group),
            _ => {}
        }
    }

    /// The group's timer fired.
    pub(super) fn group_timer(&mut self, now: Instant, group: u16) {
        let Some(slot) = self.slot(group) else {
            return;
        };
        match slot.standing {
            Standing::Unused => {}
            Standing::Leader => {
                if !self.has_majority_support(group, now) {
                    self.step_down(now, group, ItemKind::Resign, NO_NODE);
                } else if self.ask_unacknowledged(group) {
                    self.schedule
                        .arm(self.groups, group, now + self.config.election_timeout);
                }
            }
            Standing::Follower => {
                let leader = slot.leader;
                let timeout = self.config.election_timeout;
                let led = leader != NO_NODE
                    && self
                        .peer(leader)
                        .is_some_and(|p| p.heard_within(now, timeout));
                if !led {
                    self.start_pre_vote(now, group);
                }
            }
            Standing::PreCandidate | Standing::Candidate => {
                if let Some(slot) = self.slot_mut(group) {
                    slot.standing = Standing::Follower;
                    slot.grants = 0;
                }
                self.push_event(group);
                let half = Duration::from_millis(self.config.election_timeout.as_millis() / 2);
                let delay = half + self.rng.duration_below(half) + self.campaign_delay(group);
                self.schedule.arm(self.groups, group, now + delay);
            }
        }
    }

    /// Asks the members for pre-votes for the next term (rule 3).
    pub(super) fn start_pre_vote(&mut self, now: Instant, group: u16) {
        if self
            .slot(group)
            .is_none_or(|slot| slot.ordinary & (1 << slot.own_position) != 0)
        {
            return;
        }
        let earliest = self.started_at + self.config.election_timeout;
        if now < earliest {
            self.schedule.arm(self.groups, group, earliest);
            return;
        }
        let Some(slot) = self.slot_mut(group) else {
            return;
        };
        let next = slot.term.next();
        if next == slot.term {
            return;
        }
        slot.leader = NO_NODE;
        slot.standing = Standing::PreCandidate;
        slot.round = slot.round.wrapping_add(1);
        slot.grants = 1 << slot.own_position;
        let round = slot.round;
        self.push_event(group);
        self.send_to_alive_members(group, next, ItemKind::PreVote { round });
        self.schedule
            .arm(self.groups, group, now + self.config.election_timeout);
        self.count_grant(now, group, 0);
    }

    /// Starts the election proper: next term, own vote, vote requests.
    pub(super) fn campaign(&mut self, now: Instant, group: u16) {
        let own = self.config.own_index;
        let Some(slot) = self.slot_mut(group) else {
            return;
        };
        let next = slot.term.next();
        if next == slot.term {
            return;
        }
        slot.term = next;
        slot.voted_for = own;
        slot.standing = Standing::Candidate;
        slot.grants = 1 << slot.own_position;
        self.mark_dirty(group);
        self.send_to_alive_members(group, next, ItemKind::RequestVote);
        self.schedule
            .arm(self.groups, group, now + self.config.election_timeout);
        self.count_grant(now, group, 0);
    }

    pub(super) fn become_leader(&mut self, now: Instant, group: u16) {
        let own = self.config.own_index;
        let Some(slot) = self.slot_mut(group) else {
            return;
        };
        slot.standing = Standing::Leader;
        slot.leader = own;
        slot.acked = 1 << slot.own_position;
        slot.grants = 0;
        let term = slot.term;
        let preferred_elsewhere = slot.preferred != slot.own_position;
        self.leading += 1;
        self.push_event(group);
        crate::trace::trace_at!(
            debug,
            "group {} elected {} in term {}",
            group,
            self.config.id,
            term.0
        );
        self.send_to_alive_members(group, term, ItemKind::Lead);
        // Check-quorum of a new leader: a majority must acknowledge within T.
        self.schedule
            .arm(self.groups, group, now + self.config.election_timeout);
        if preferred_elsewhere {
            self.request_spread();
        }
    }

    /// Leaves the leadership of `group`: `Resign` to the members (check-quorum), or
    /// `TimeoutNow` to `target` and `Resign` to the others (a transfer).
    pub(super) fn step_down(&mut self, now: Instant, group: u16, kind: ItemKind, target: u8) {
        let Some(slot) = self.slot_mut(group) else {
            return;
        };
        if slot.standing != Standing::Leader {
            return;
        }
        slot.standing = Standing::Follower;
        slot.leader = NO_NODE;
        slot.acked = 0;
        let term = slot.term;
        self.leading = self.leading.saturating_sub(1);
        self.push_event(group);
        crate::trace::trace_at!(debug, "group {} stepped down in term {}", group, term.0);
        self.send_to_alive_members(group, term, ItemKind::Resign);
        if target != NO_NODE {
            self.reply(target, group, term, kind);
        }
        // Stand again only after the members had time to elect someone else.
        let wait = self.config.election_timeout.saturating_mul(2) + self.campaign_delay(group);
        self.schedule.arm(self.groups, group, now + wait);
    }

    pub(super) fn hand_over(&mut self, now: Instant, group: u16, target: u8) {
        self.step_down(now, group, ItemKind::TimeoutNow, target);
        self.statistics.transfers = self.statistics.transfers.saturating_add(1);
    }

    /// Adopts a newer term learnt from `from` (rule 3): a leader steps down, the vote is
    /// forgotten.
    pub(super) fn adopt(&mut self, now: Instant, group: u16, term: Term, from: u8) {
        self.stop_following(group, from);
        let Some(slot) = self.slot_mut(group) else {
            return;
        };
        let was_leader = slot.standing == Standing::Leader;
        slot.standing = Standing::Follower;
        slot.term = term;
        slot.voted_for = NO_NODE;
        slot.grants = 0;
        slot.acked = 0;
        if was_leader {
            self.leading = self.leading.saturating_sub(1);
        }
        self.mark_dirty(group);
        self.push_event(group);
        let delay = self.config.election_timeout + self.campaign_delay(group);
        self.schedule.arm(self.groups, group, now + delay);
    }

    /// Follows `leader` in `group`.
    pub(super) fn follow(&mut self, group: u16, leader: u8) {
        if self.slot(group).is_some_and(|s| s.leader == leader) {
            return;
        }
        self.stop_following(group, leader);
        if let Some(slot) = self.slot_mut(group) {
            slot.leader = leader;
            slot.standing = Standing::Follower;
            slot.grants = 0;
        }
        self.schedule.disarm(self.groups, group);
        self.push_event(group);
    }

    /// Stops following the current leader of `group` (rule 5): unless `informant` is that
    /// leader, the epoch towards it grows and, if it is alive, it is told.
    pub(super) fn stop_following(&mut self, group: u16, informant: u8) {
        let own = self.config.own_index;
        let Some(slot) = self.slot_mut(group) else {
            return;
        };
        let leader = slot.leader;
        let term = slot.term;
        slot.leader = NO_NODE;
        if leader == NO_NODE || leader == own || leader == informant {
            return;
        }
        if let Some(peer) = self.peer_mut(leader) {
            peer.our_epoch = peer.our_epoch.wrapping_add(1);
            if peer.alive {
                // A full lane leaves a gap in the epoch, which the leader also notices.
                let _ = peer.unfollows.push((group, term));
            }
        }
    }

    /// Sends `Lead` again to every alive member that has not acknowledged it (its
    /// acknowledgement, or the `Lead`, was lost); returns whether there was one. Members
    /// that are down are asked when they come back.
    pub(super) fn ask_unacknowledged(&mut self, group: u16) -> bool {
        let Some(slot) = self.slot(group).copied() else {
            return false;
        };
        let mut asked = false;
        for (position, &member) in slot.members().iter().enumerate() {
            let alive = self.peer(member).is_some_and(|p| p.alive);
            if slot.acked & (1 << position) == 0 && alive {
                self.reply(member, group, slot.term, ItemKind::Lead);
                asked = true;
            }
        }
        asked
    }

    /// Whether a majority of `group`'s members (this node included) acknowledged its
    /// leadership and still support it.
    pub(super) fn has_majority_support(&self, group: u16, now: Instant) -> bool {
        self.lease_until(group).is_some_and(|until| now < until)
    }
}
