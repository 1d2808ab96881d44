//! The groups' deadlines as an indexed binary min-heap kept inside the caller's group
//! storage: the next deadline is the root (no scan), arming, re-arming and disarming a
//! group cost `O(log G)`, and expiring `k` deadlines costs `O(k log G)`.
//!
//! Each slot holds two heap fields: `heap_position` (where its own group sits in the
//! heap, or [`NONE`]) and `heap_entry` (which group sits at heap position equal to the
//! slot's index).

use super::group::{GroupSlot, NONE};
use crate::time::Instant;

/// The heap of armed group deadlines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Schedule {
    len: u16,
}

impl Schedule {
    /// The earliest armed deadline and its group.
    pub(crate) fn next(&self, slots: &[GroupSlot]) -> Option<(Instant, u16)> {
        if self.len == 0 {
            return None;
        }
        let group = slots.first()?.heap_entry;
        Some((slots.get(usize::from(group))?.deadline, group))
    }

    /// Arms (or re-arms) `group`'s deadline at `at`.
    pub(crate) fn arm(&mut self, slots: &mut [GroupSlot], group: u16, at: Instant) {
        let Some(slot) = slots.get_mut(usize::from(group)) else {
            return;
        };
        let earlier = at < slot.deadline;
        slot.deadline = at;
        let position = slot.heap_position;
        if position == NONE {
            let position = self.len;
            self.len += 1;
            set_entry(slots, position, group);
            sift_up(slots, position);
        } else if earlier {
            sift_up(slots, position);
        } else {
            sift_down(slots, position, self.len);
        }
    }

    /// Disarms `group`'s deadline, if armed.
    pub(crate) fn disarm(&mut self, slots: &mut [GroupSlot], group: u16) {
        let Some(position) = slots.get(usize::from(group)).map(|s| s.heap_position) else {
            return;
        };
        if position == NONE || self.len == 0 {
            return;
        }
        self.len -= 1;
        let last = self.len;
        if let Some(slot) = slots.get_mut(usize::from(group)) {
            slot.heap_position = NONE;
        }
        if position != last {
            let moved = entry(slots, last);
            set_entry(slots, position, moved);
            sift_up(slots, position);
            let position = slots
                .get(usize::from(moved))
                .map_or(NONE, |s| s.heap_position);
            sift_down(slots, position, self.len);
        }
    }
}

fn entry(slots: &[GroupSlot], position: u16) -> u16 {
    slots
        .get(usize::from(position))
        .map_or(NONE, |s| s.heap_entry)
}

fn deadline(slots: &[GroupSlot], position: u16) -> Instant {
    let group = entry(slots, position);
    slots
        .get(usize::from(group))
        .map_or(Instant::from_millis(u64::MAX), |s| s.deadline)
}

fn set_entry(slots: &mut [GroupSlot], position: u16, group: u16) {
    if let Some(slot) = slots.get_mut(usize::from(position)) {
        slot.heap_entry = group;
    }
    if let Some(slot) = slots.get_mut(usize::from(group)) {
        slot.heap_position = position;
    }
}

fn swap(slots: &mut [GroupSlot], a: u16, b: u16) {
    let (group_a, group_b) = (entry(slots, a), entry(slots, b));
    set_entry(slots, a, group_b);
    set_entry(slots, b, group_a);
}

fn sift_up(slots: &mut [GroupSlot], mut position: u16) {
    while position > 0 {
        let parent = (position - 1) / 2;
        if deadline(slots, parent) <= deadline(slots, position) {
            break;
        }
        swap(slots, parent, position);
        position = parent;
    }
}

fn sift_down(slots: &mut [GroupSlot], mut position: u16, len: u16) {
    loop {
        let left = u32::from(position) * 2 + 1;
        if left >= u32::from(len) {
            break;
        }
        let left = left as u16;
        let right = left + 1;
        let smaller = if right < len && deadline(slots, right) < deadline(slots, left) {
            right
        } else {
            left
        };
        if deadline(slots, position) <= deadline(slots, smaller) {
            break;
        }
        swap(slots, position, smaller);
        position = smaller;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rand::Rng;

    #[test]
    fn pops_in_deadline_order_under_random_arming_and_disarming() {
        let mut slots = [GroupSlot::EMPTY; 64];
        let mut schedule = Schedule::default();
        let mut rng = Rng::new(7);
        let mut armed = [None::<u64>; 64];
        for _ in 0..5_000 {
            let group = rng.below(64) as u16;
            if rng.chance(1, 3) {
                schedule.disarm(&mut slots, group);
                armed[usize::from(group)] = None;
            } else {
                let at = rng.below(1_000);
                schedule.arm(&mut slots, group, Instant::from_millis(at));
                armed[usize::from(group)] = Some(at);
            }
            let expected = armed
                .iter()
                .enumerate()
                .filter_map(|(g, at)| at.map(|at| (at, g)))
                .min_by_key(|&(at, _)| at)
                .map(|(at, _)| at);
            assert_eq!(
                schedule.next(&slots).map(|(at, _)| at.as_millis()),
                expected
            );
        }
    }
}
