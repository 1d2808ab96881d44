//! A fixed table of protocol timers: no heap, one slot per timer kind.

use crate::time::Instant;

/// The protocol timers an algorithm can arm (the failure detector keeps its own deadline).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Timer {
    /// The leader's next heartbeat.
    Heartbeat = 0,
    /// The end of the current election round's wait for replies.
    Round = 1,
    /// When a node that may not yet preempt a lower-ranked leader may do so.
    Preempt = 2,
    /// A group leader's next round of invitations (invitation).
    Invite = 3,
    /// The end of a liveness window: members not heard from since the last sweep are
    /// presumed gone (invitation), or a leader that heard too few steps down (quorum).
    Sweep = 4,
    /// The end of a leadership transfer's wait for the new leader (quorum).
    Transfer = 5,
}

impl Timer {
    const ALL: [Timer; 6] = [
        Timer::Heartbeat,
        Timer::Round,
        Timer::Preempt,
        Timer::Invite,
        Timer::Sweep,
        Timer::Transfer,
    ];
}

/// When each [`Timer`] fires; [`Instant::MAX`], never due, marks one that is not armed.
/// Plain instants, not `Option`s: the payload of a `None` is uninitialised memory, and the
/// optimiser may compare it before the tag (harmless, but valgrind reports every such jump).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Timers {
    deadlines: [Instant; Timer::ALL.len()],
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            deadlines: [Instant::MAX; Timer::ALL.len()],
        }
    }
}

impl Timers {
    /// Arms `timer` for `at`; a deadline at the end of time ([`Instant::MAX`], where
    /// saturating arithmetic lands) is never due, so the timer stays disarmed.
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        if let Some(slot) = self.deadlines.get_mut(timer as usize) {
            *slot = at;
        }
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        if let Some(slot) = self.deadlines.get_mut(timer as usize) {
            *slot = Instant::MAX;
        }
    }

    pub(crate) fn is_armed(&self, timer: Timer) -> bool {
        self.deadlines
            .get(timer as usize)
            .is_some_and(|&at| at < Instant::MAX)
    }

    /// The earliest armed deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let next = self.deadlines.iter().min().copied()?;
        (next < Instant::MAX).then_some(next)
    }

    /// Disarms and returns the timer with the earliest deadline at or before `now`, so a
    /// host that calls late still sees timers fire in deadline order.
    pub(crate) fn take_expired(&mut self, now: Instant) -> Option<Timer> {
        let (timer, slot) = Timer::ALL
            .into_iter()
            .zip(self.deadlines.iter_mut())
            .filter(|(_, slot)| **slot <= now && **slot < Instant::MAX)
            .min_by_key(|(_, slot)| **slot)?;
        *slot = Instant::MAX;
        Some(timer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_timers_come_out_once_and_others_stay() {
        let mut timers = Timers::default();
        timers.set(Timer::Round, Instant::from_millis(10));
        timers.set(Timer::Heartbeat, Instant::from_millis(30));
        assert_eq!(timers.next_deadline(), Some(Instant::from_millis(10)));
        assert_eq!(timers.take_expired(Instant::from_millis(9)), None);
        assert_eq!(
            timers.take_expired(Instant::from_millis(10)),
            Some(Timer::Round)
        );
        assert_eq!(timers.take_expired(Instant::from_millis(10)), None);
        assert!(timers.is_armed(Timer::Heartbeat));
        timers.set(Timer::Preempt, Instant::from_millis(20));
        assert_eq!(
            timers.take_expired(Instant::from_millis(40)),
            Some(Timer::Preempt),
            "a late call fires the earliest deadline first"
        );
        timers.stop(Timer::Heartbeat);
        assert_eq!(timers.next_deadline(), None);
    }

    #[test]
    fn a_deadline_at_the_end_of_time_is_never_due() {
        let mut timers = Timers::default();
        timers.set(Timer::Heartbeat, Instant::MAX);
        assert!(!timers.is_armed(Timer::Heartbeat));
        assert_eq!(timers.take_expired(Instant::MAX), None);
        assert_eq!(timers.next_deadline(), None);
    }
}
