//! Leadership spread (rule 9): the preference order in which members stand, and handing
//! groups back to their preferred members a bounded number per interval.

use super::*;

/// Groups looked at per interval while leadership is being spread back.
const REBALANCE_SCAN: usize = 1024;

impl<'s, const N: usize, A: Authenticator> MultiGroupNode<'s, N, A> {
    /// One interval's share of handing groups back to their preferred members (rule 9).
    pub(super) fn spread(&mut self, now: Instant) {
        let total = self.groups.len();
        if total == 0 {
            self.rebalance.pending = false;
            return;
        }
        let mut transfers = 0;
        for _ in 0..REBALANCE_SCAN.min(total) {
            if transfers >= self.config.transfers_per_interval {
                break;
            }
            let group = (self.rebalance.cursor % total) as u16;
            self.rebalance.cursor = (self.rebalance.cursor + 1) % total;
            self.rebalance.swept += 1;
            if let Some(slot) = self.slot(group) {
                let target = slot.members.get(usize::from(slot.preferred)).copied();
                if slot.standing == Standing::Leader
                    && slot.preferred != slot.own_position
                    && let Some(target) = target
                {
                    let timeout = self.config.election_timeout;
                    if let Some(up_since) =
                        self.peer(target).filter(|p| p.alive).map(|p| p.up_since)
                    {
                        self.rebalance.found = true;
                        if now >= up_since + timeout {
                            self.hand_over(now, group, target);
                            transfers += 1;
                        }
                    }
                }
            }
            if self.rebalance.swept >= total {
                let found = self.rebalance.found;
                self.rebalance.found = false;
                self.rebalance.swept = 0;
                if !found {
                    self.rebalance.pending = false;
                    break;
                }
            }
        }
    }

    /// How long `group` waits before standing, by this node's place in the group's
    /// preference order among members that may be alive (rule 9).
    pub(super) fn campaign_delay(&mut self, group: u16) -> Duration {
        let Some(slot) = self.slot(group) else {
            return Duration::from_millis(0);
        };
        let count = slot.member_count.max(1);
        let mut rank = 0;
        for step in 0..count {
            let position = preference_order(group, slot.preferred, count, step);
            if position == slot.own_position {
                break;
            }
            if slot.ordinary & (1 << position) != 0 {
                continue;
            }
            let member = slot
                .members
                .get(usize::from(position))
                .copied()
                .unwrap_or(NO_NODE);
            let possibly_alive = self
                .peer(member)
                .is_some_and(|p| p.alive || p.heard_at.is_none());
            if possibly_alive {
                rank += 1;
            }
        }
        // Jitter in four coarse steps of T/32: members of equal rank still draw apart,
        // and the groups that fall due together leave in the same datagrams.
        let quarter = self.config.election_timeout.as_millis() / 4;
        let jitter = self.rng.below(4) * (quarter / 8);
        Duration::from_millis(quarter * rank + jitter)
    }
}

/// The member position at `step` of `group`'s preference order: the preferred member
/// first, then the others round the member list from an offset that varies with the
/// group, so that the groups of a failed node fall to different members.
fn preference_order(group: u16, preferred: u8, count: u8, step: u8) -> u8 {
    if step == 0 || count < 2 {
        return preferred;
    }
    let others = count - 1;
    let offset = ((group / u16::from(count)) % u16::from(others)) as u8;
    (preferred + 1 + (step - 1 + offset) % others) % count
}
