//! The preferred leader: when a leader hands over to a member of higher priority, with
//! damping against a member that keeps failing and coming back.
//!
//! A leader hands over automatically to the highest-priority member above it that has
//! acknowledged its heartbeats in every check-quorum window for the *hold-down*. The
//! hold-down is zero while the preferred member is healthy, so leadership returns to it at
//! the first check after it does. Each time a node sees the leadership of a member of
//! higher priority than its own pass to one of lower priority than that member (it follows
//! or becomes the leader of a newer term), or a transfer to it fail, it counts a failure:
//! with `k` recent failures the hold-down is `T·2^(k−1)`, up to `64T`. A failure is
//! forgotten every `64T` without a new one (the way route-flap damping lets a penalty
//! decay), so a member that fails once in a long while is preferred again at once.
//!
//! So a member that flaps gets leadership back only after staying up for the hold-down,
//! and the hold-down doubles each time it fails as leader: within one minute at most
//! `1 + log2(1 + 60 s / T)` transfers go to it (seven at `T` = 500 ms), and once the
//! hold-down exceeds its uptime, about one per `64T` (32 s) after that. After a transfer
//! that failed the leader also waits `10T` before the next one.

use crate::peers::PeerIndex;
use crate::time::{Duration, Instant};

/// The hold-down doubles with each recent failure up to `T` times this.
const MAX_HOLD_DOWN_IN_T: u64 = 64;

/// One recent failure is forgotten after this many election timeouts without a new one.
const FORGET_AFTER_T: u64 = 64;

/// After an automatic transfer that failed, the leader waits this many election timeouts
/// before it tries again.
const BACKOFF_AFTER_FAILED_TRANSFER_T: u64 = 10;

/// The most failures remembered: enough for the hold-down to reach its maximum.
const MAX_FAILURES: u8 = 7;

/// What one node knows about handing over to the preferred leader.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct PreferredLeader {
    /// Failures of a higher-priority leader this node followed, as of `failed_at`.
    failures: u8,
    /// When the last failure was seen.
    failed_at: Instant,
    /// Leader: the member it would hand over to, and since when that member has
    /// acknowledged its heartbeats in every check-quorum window.
    steady: Option<(PeerIndex, Instant)>,
    /// Leader: no automatic transfer before this instant.
    retry_at: Instant,
}

impl PreferredLeader {
    /// No failure seen, no member watched.
    pub(super) const NONE: PreferredLeader = PreferredLeader {
        failures: 0,
        failed_at: Instant::ZERO,
        steady: None,
        retry_at: Instant::ZERO,
    };

    /// The failures still remembered at `now`: one is forgotten per `64T` without a new
    /// one.
    fn failures_at(&self, now: Instant, t: Duration) -> u8 {
        let period = t.saturating_mul(FORGET_AFTER_T).as_millis().max(1);
        let forgotten = (now - self.failed_at).as_millis() / period;
        self.failures
            .saturating_sub(u8::try_from(forgotten).unwrap_or(u8::MAX))
    }

    /// The preferred leader this node followed lost its leadership to a member of lower
    /// priority.
    pub(super) fn leader_failed(&mut self, now: Instant, t: Duration) {
        self.failures = (self.failures_at(now, t) + 1).min(MAX_FAILURES);
        self.failed_at = now;
    }

    /// How long the preferred member must have acknowledged without a gap before a leader
    /// hands over to it: 0, then `T·2^(k−1)` for `k` recent failures, at most `64T`.
    pub(super) fn hold_down(&self, now: Instant, t: Duration) -> Duration {
        match self.failures_at(now, t) {
            0 => Duration::ZERO,
            failures => t
                .saturating_mul(1 << (failures - 1))
                .min(t.saturating_mul(MAX_HOLD_DOWN_IN_T)),
        }
    }

    /// This node starts leading: it has watched no member yet.
    pub(super) fn start_leading(&mut self) {
        self.steady = None;
    }

    /// A check-quorum window ended at `now`, in which `best` (if any) was the
    /// highest-priority member above this leader that acknowledged its heartbeats.
    /// Returns the member to hand over to now, if one has been steady for the hold-down.
    pub(super) fn choose(
        &mut self,
        now: Instant,
        t: Duration,
        best: Option<PeerIndex>,
    ) -> Option<PeerIndex> {
        let Some(peer) = best else {
            self.steady = None;
            return None;
        };
        self.steady = match self.steady {
            Some((steady, since)) if peer == steady => Some((peer, since)),
            _ => Some((peer, now)),
        };
        let (peer, since) = self.steady?;
        (now >= self.retry_at && now - since >= self.hold_down(now, t)).then_some(peer)
    }

    /// A transfer failed: the target did not take over. It counts as a failure of the
    /// member, and the leader waits `10T` before the next automatic transfer.
    pub(super) fn transfer_failed(&mut self, now: Instant, t: Duration) {
        self.leader_failed(now, t);
        self.retry_at = now + t.saturating_mul(BACKOFF_AFTER_FAILED_TRANSFER_T);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_millis(500);

    fn at(millis: u64) -> Instant {
        Instant::from_millis(millis)
    }

    #[test]
    fn the_hold_down_doubles_with_failures_and_decays() {
        let mut preferred = PreferredLeader::NONE;
        assert_eq!(preferred.hold_down(at(0), T), Duration::ZERO);
        let mut now = at(1_000);
        let mut expected = T;
        for _ in 0..10 {
            preferred.leader_failed(now, T);
            assert_eq!(
                preferred.hold_down(now, T),
                expected.min(T.saturating_mul(64))
            );
            expected = expected.saturating_mul(2);
            now = now + Duration::from_millis(1_000);
        }
        // Seven failures are remembered; one is forgotten per 64T without a new one.
        let quiet = now + T.saturating_mul(64);
        assert_eq!(preferred.hold_down(quiet, T), T.saturating_mul(32));
        let long_quiet = now + T.saturating_mul(64 * 7);
        assert_eq!(preferred.hold_down(long_quiet, T), Duration::ZERO);
    }

    #[test]
    fn a_member_is_chosen_once_steady_for_the_hold_down() {
        let member = PeerIndex(4);
        let other = PeerIndex(3);
        let mut preferred = PreferredLeader::NONE;
        assert_eq!(preferred.choose(at(0), T, Some(member)), Some(member));
        preferred.leader_failed(at(10), T);
        preferred.start_leading();
        assert_eq!(preferred.choose(at(500), T, Some(member)), None);
        assert_eq!(preferred.choose(at(900), T, None), None, "a gap");
        assert_eq!(preferred.choose(at(1_400), T, Some(member)), None);
        assert_eq!(preferred.choose(at(1_900), T, Some(member)), Some(member));
        assert_eq!(preferred.choose(at(2_000), T, Some(other)), None, "another");
        preferred.transfer_failed(at(2_000), T);
        assert_eq!(
            preferred.choose(at(6_000), T, Some(other)),
            None,
            "backing off"
        );
        assert_eq!(preferred.choose(at(7_000), T, Some(other)), Some(other));
    }
}
