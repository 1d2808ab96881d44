//! A fixed table of protocol timers: no heap, one slot per timer.
//!
//! The first slot is the leader's heartbeat, which every algorithm shares. The others
//! belong to the running algorithm, whose own timer type names what each of them waits
//! for ([`AlgorithmTimer`]); an engine runs one algorithm, so algorithms share those
//! slots. The failure detector keeps its own deadline.

use crate::time::Instant;

/// How many timers of its own an algorithm may have (the rank-based algorithms have the
/// most).
const ALGORITHM_SLOTS: usize = 5;

/// The timers of one algorithm, each named for what it waits for.
pub(crate) trait AlgorithmTimer: Copy + Eq + 'static {
    /// Every timer of the algorithm, each with a slot of its own, in slot order: of two
    /// timers due at the same instant, the one listed first fires first.
    const ALL: &'static [Self];
}

/// A slot of the table: the heartbeat's, or that of one of the running algorithm's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot(usize);

impl Slot {
    /// The leader's heartbeat.
    pub(crate) const HEARTBEAT: Slot = Slot(0);

    /// The slot of an algorithm's `timer`.
    pub(crate) fn of<T: AlgorithmTimer>(timer: T) -> Slot {
        const { assert!(T::ALL.len() <= ALGORITHM_SLOTS, "too many algorithm timers") };
        let position = T::ALL.iter().position(|&t| t == timer);
        // A timer missing from `ALL` gets a slot beyond the table: it is never armed.
        Slot(1 + position.unwrap_or(ALGORITHM_SLOTS))
    }

    /// The algorithm timer of type `T` in this slot, if it holds one.
    pub(crate) fn timer<T: AlgorithmTimer>(self) -> Option<T> {
        T::ALL.get(self.0.checked_sub(1)?).copied()
    }
}

/// When each timer fires; [`Instant::MAX`], never due, marks one that is not armed. Plain
/// instants, not `Option`s: the payload of a `None` is uninitialised memory, and the
/// optimiser may compare it before the tag (harmless, but valgrind reports every such jump).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Timers {
    deadlines: [Instant; 1 + ALGORITHM_SLOTS],
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            deadlines: [Instant::MAX; 1 + ALGORITHM_SLOTS],
        }
    }
}

impl Timers {
    /// Arms the timer in `slot` for `at`; a deadline at the end of time
    /// ([`Instant::MAX`], where saturating arithmetic lands) is never due, so the timer
    /// stays disarmed.
    pub(crate) fn set(&mut self, slot: Slot, at: Instant) {
        if let Some(deadline) = self.deadlines.get_mut(slot.0) {
            *deadline = at;
        }
    }

    /// Disarms the timer in `slot`.
    pub(crate) fn stop(&mut self, slot: Slot) {
        if let Some(deadline) = self.deadlines.get_mut(slot.0) {
            *deadline = Instant::MAX;
        }
    }

    /// Whether the timer in `slot` is armed.
    pub(crate) fn is_armed(&self, slot: Slot) -> bool {
        self.deadlines
            .get(slot.0)
            .is_some_and(|&at| at < Instant::MAX)
    }

    /// The earliest armed deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let next = self.deadlines.iter().min().copied()?;
        (next < Instant::MAX).then_some(next)
    }

    /// Disarms and returns the slot with the earliest deadline at or before `now`, so a
    /// host that calls late still sees timers fire in deadline order.
    pub(crate) fn take_expired(&mut self, now: Instant) -> Option<Slot> {
        let (position, deadline) = self
            .deadlines
            .iter_mut()
            .enumerate()
            .filter(|(_, deadline)| **deadline <= now && **deadline < Instant::MAX)
            .min_by_key(|(_, deadline)| **deadline)?;
        *deadline = Instant::MAX;
        Some(Slot(position))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Wait {
        Short,
        Long,
    }

    impl AlgorithmTimer for Wait {
        const ALL: &'static [Wait] = &[Wait::Short, Wait::Long];
    }

    #[test]
    fn expired_timers_come_out_once_and_others_stay() {
        let mut timers = Timers::default();
        timers.set(Slot::of(Wait::Short), Instant::from_millis(10));
        timers.set(Slot::HEARTBEAT, Instant::from_millis(30));
        assert_eq!(timers.next_deadline(), Some(Instant::from_millis(10)));
        assert_eq!(timers.take_expired(Instant::from_millis(9)), None);
        let fired = timers.take_expired(Instant::from_millis(10));
        assert_eq!(fired.and_then(Slot::timer), Some(Wait::Short));
        assert_eq!(timers.take_expired(Instant::from_millis(10)), None);
        assert!(timers.is_armed(Slot::HEARTBEAT));
        timers.set(Slot::of(Wait::Long), Instant::from_millis(20));
        assert_eq!(
            timers.take_expired(Instant::from_millis(40)),
            Some(Slot::of(Wait::Long)),
            "a late call fires the earliest deadline first"
        );
        timers.stop(Slot::HEARTBEAT);
        assert_eq!(timers.next_deadline(), None);
    }

    #[test]
    fn timers_due_together_fire_in_slot_order() {
        let mut timers = Timers::default();
        let at = Instant::from_millis(5);
        timers.set(Slot::of(Wait::Long), at);
        timers.set(Slot::of(Wait::Short), at);
        timers.set(Slot::HEARTBEAT, at);
        let order: [Option<Slot>; 3] = core::array::from_fn(|_| timers.take_expired(at));
        assert_eq!(
            order,
            [
                Some(Slot::HEARTBEAT),
                Some(Slot::of(Wait::Short)),
                Some(Slot::of(Wait::Long))
            ]
        );
        assert_eq!(Slot::HEARTBEAT.timer::<Wait>(), None);
    }

    #[test]
    fn a_deadline_at_the_end_of_time_is_never_due() {
        let mut timers = Timers::default();
        timers.set(Slot::HEARTBEAT, Instant::MAX);
        assert!(!timers.is_armed(Slot::HEARTBEAT));
        assert_eq!(timers.take_expired(Instant::MAX), None);
        assert_eq!(timers.next_deadline(), None);
    }
}
