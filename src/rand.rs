//! A tiny deterministic generator for timeout jitter.
//!
//! SplitMix64: one `u64` of state, good statistical quality for jitter, and a run is
//! reproducible from its seed. It is not, and need not be, cryptographically secure.
//! Public only through the `unstable` feature.
#![cfg_attr(not(feature = "unstable"), allow(unreachable_pub))]

use crate::time::Duration;

/// Seeded pseudo-random numbers; the same seed always gives the same sequence.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator that starts from `seed`.
    pub const fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..bound`, or 0 when `bound` is 0 (Lemire's multiply-shift reduction).
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// A duration in `0..max` (zero when `max` is zero).
    pub fn duration_below(&mut self, max: Duration) -> Duration {
        Duration::from_millis(self.below(max.as_millis()))
    }

    #[cfg(feature = "unstable")] // Tests and tools only.
    /// True with probability `numerator / denominator`.
    pub fn chance(&mut self, numerator: u64, denominator: u64) -> bool {
        self.below(denominator) < numerator
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_different_seeds_differ() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let mut c = Rng::new(8);
        let from_a: [u64; 4] = core::array::from_fn(|_| a.next_u64());
        let from_b: [u64; 4] = core::array::from_fn(|_| b.next_u64());
        let from_c: [u64; 4] = core::array::from_fn(|_| c.next_u64());
        assert_eq!(from_a, from_b);
        assert_ne!(from_a, from_c);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = Rng::new(1);
        let mut seen = [false; 10];
        for _ in 0..1000 {
            let value = rng.below(10);
            assert!(value < 10);
            seen[value as usize] = true;
        }
        assert!(seen.iter().all(|hit| *hit));
        assert_eq!(rng.below(0), 0);
    }
}
