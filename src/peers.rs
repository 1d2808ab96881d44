//! Members by position: a compact index into the sorted member list, and sets of members
//! as one 64-bit mask (which is why [`MAX_MEMBERS`](crate::MAX_MEMBERS) is 64).

use crate::wire::MemberSet;

/// The position of a member in the configuration's id-sorted member list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct PeerIndex(pub(crate) u8);

impl PeerIndex {
    pub(crate) fn from_position(position: usize) -> Option<PeerIndex> {
        u8::try_from(position)
            .ok()
            .filter(|&p| usize::from(p) < crate::config::MAX_MEMBERS)
            .map(PeerIndex)
    }

    pub(crate) fn position(self) -> usize {
        usize::from(self.0)
    }
}

/// A set of members, one bit per [`PeerIndex`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct PeerSet(u64);

impl PeerSet {
    pub(crate) const EMPTY: PeerSet = PeerSet(0);

    pub(crate) fn insert(&mut self, peer: PeerIndex) {
        self.0 |= 1u64 << peer.0;
    }

    pub(crate) fn remove(&mut self, peer: PeerIndex) {
        self.0 &= !(1u64 << peer.0);
    }

    pub(crate) fn contains(self, peer: PeerIndex) -> bool {
        self.0 & (1u64 << peer.0) != 0
    }

    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(crate) fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The lowest member at or after `start`, wrapping around to the start of the list.
    pub(crate) fn first_from(self, start: usize) -> Option<PeerIndex> {
        let start = start % crate::config::MAX_MEMBERS;
        let upper = self.0 & (u64::MAX << start);
        let chosen = if upper != 0 { upper } else { self.0 };
        (chosen != 0).then(|| PeerIndex(chosen.trailing_zeros() as u8))
    }

    /// The set holding just `peer`.
    pub(crate) fn only(peer: PeerIndex) -> PeerSet {
        let mut set = PeerSet::EMPTY;
        set.insert(peer);
        set
    }

    /// The members of this set that `keep` accepts.
    pub(crate) fn filter(self, keep: impl Fn(PeerIndex) -> bool) -> PeerSet {
        let mut kept = PeerSet::EMPTY;
        self.iter()
            .filter(|&peer| keep(peer))
            .for_each(|peer| kept.insert(peer));
        kept
    }

    /// This set on the wire: the same bitmap over member positions.
    pub(crate) fn to_wire(self) -> MemberSet {
        MemberSet(self.0)
    }

    /// A set received from the wire, or `None` if it names a position at or beyond
    /// `members` (the size of the membership).
    pub(crate) fn from_wire(set: MemberSet, members: usize) -> Option<PeerSet> {
        let beyond = u32::try_from(members)
            .ok()
            .and_then(|count| set.0.checked_shr(count))
            .unwrap_or(0);
        (beyond == 0).then_some(PeerSet(set.0))
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = PeerIndex> {
        let mut rest = self.0;
        core::iter::from_fn(move || {
            let lowest = rest.trailing_zeros();
            (rest != 0).then(|| {
                rest &= rest - 1;
                PeerIndex(lowest as u8)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations() {
        let mut set = PeerSet::EMPTY;
        for p in [0u8, 5, 63] {
            set.insert(PeerIndex(p));
        }
        assert_eq!(set.len(), 3);
        assert!(set.contains(PeerIndex(63)));
        assert_eq!(
            set.iter().collect::<heapless::Vec<_, 4>>(),
            [PeerIndex(0), PeerIndex(5), PeerIndex(63)]
        );
        assert_eq!(set.first_from(6), Some(PeerIndex(63)));
        assert_eq!(set.first_from(64), Some(PeerIndex(0)));
        set.remove(PeerIndex(0));
        assert_eq!(set.first_from(0), Some(PeerIndex(5)));
        assert!(PeerSet::EMPTY.first_from(3).is_none());
    }

    #[test]
    fn wire_conversion_rejects_positions_beyond_the_membership() {
        let set = PeerSet::only(PeerIndex(2)).filter(|_| true);
        assert_eq!(set.to_wire(), MemberSet(0b100));
        assert_eq!(PeerSet::from_wire(MemberSet(0b100), 3), Some(set));
        assert_eq!(PeerSet::from_wire(MemberSet(0b1000), 3), None);
        assert_eq!(
            PeerSet::from_wire(MemberSet(u64::MAX), 64),
            Some(PeerSet(u64::MAX))
        );
        assert!(set.filter(|peer| peer != PeerIndex(2)).is_empty());
    }
}
