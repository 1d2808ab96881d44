//! Time as the engine sees it: integers the host passes in, never a clock read.
//!
//! The unit is whatever the host's monotonic clock counts in; every default and every
//! doc comment in this crate assumes **milliseconds**. All arithmetic saturates, so no
//! input value can make it overflow or panic.
//!
//! The engine's time ends at [`Instant::MAX`]: a deadline that would fall at or past it
//! is never due (the engine does not ask to be called then), so a host whose clock
//! reaches the end of the range sees the engine fall silent instead of a deadline that
//! stops moving. In milliseconds that end is 584 million years after the clock's origin.

use core::fmt;
use core::ops::{Add, Sub};

/// A point on the host's monotonic clock, in host units (milliseconds by default).
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

/// A span of host time units (milliseconds by default).
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(u64);

impl Instant {
    /// The start of the host's clock.
    pub const ZERO: Instant = Instant(0);

    /// The end of the engine's time: deadlines at or past it never fall due.
    pub const MAX: Instant = Instant(u64::MAX);

    /// An instant `millis` units after the clock's origin.
    pub const fn from_millis(millis: u64) -> Instant {
        Instant(millis)
    }

    /// The instant's value in host units.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Time elapsed from `earlier` to `self`, or zero if `earlier` is later.
    pub const fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration(0);

    /// A duration of `millis` host units.
    pub const fn from_millis(millis: u64) -> Duration {
        Duration(millis)
    }

    /// A duration of `secs` seconds, assuming millisecond host units.
    pub const fn from_secs(secs: u64) -> Duration {
        Duration(secs.saturating_mul(1000))
    }

    /// The duration's value in host units.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Whether this is the zero duration.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self * factor`, saturating at the largest duration.
    pub const fn saturating_mul(self, factor: u64) -> Duration {
        Duration(self.0.saturating_mul(factor))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0.saturating_add(rhs.0))
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, rhs: Duration) -> Instant {
        Instant(self.0.saturating_sub(rhs.0))
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, rhs: Duration) -> Duration {
        Duration(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Duration {
    type Output = Duration;
    fn sub(self, rhs: Duration) -> Duration {
        Duration(self.0.saturating_sub(rhs.0))
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

#[cfg(feature = "std")]
impl From<std::time::Duration> for Duration {
    /// Whole milliseconds, saturating.
    fn from(value: std::time::Duration) -> Duration {
        Duration(u64::try_from(value.as_millis()).unwrap_or(u64::MAX))
    }
}

#[cfg(feature = "std")]
impl From<Duration> for std::time::Duration {
    fn from(value: Duration) -> std::time::Duration {
        std::time::Duration::from_millis(value.0)
    }
}

/// Turns `std::time::Instant` readings into engine [`Instant`]s in milliseconds since the
/// clock was made: the adapter a std host needs, and the only clock read in this crate.
#[cfg(feature = "std")]
#[derive(Clone, Copy, Debug)]
pub struct StdClock {
    origin: std::time::Instant,
}

#[cfg(feature = "std")]
impl StdClock {
    /// A clock whose origin is the moment of this call.
    pub fn new() -> StdClock {
        StdClock {
            origin: std::time::Instant::now(),
        }
    }

    /// The current time as an engine instant.
    pub fn now(&self) -> Instant {
        self.instant(std::time::Instant::now())
    }

    /// `at` as an engine instant (instants before the origin map to zero).
    pub fn instant(&self, at: std::time::Instant) -> Instant {
        Instant(Duration::from(at.saturating_duration_since(self.origin)).0)
    }

    /// The `std` instant at which the engine instant `at` falls.
    pub fn to_std(&self, at: Instant) -> std::time::Instant {
        self.origin + std::time::Duration::from_millis(at.0)
    }
}

#[cfg(feature = "std")]
impl Default for StdClock {
    fn default() -> Self {
        StdClock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_overflowing() {
        let late = Instant::from_millis(u64::MAX - 1);
        assert_eq!(
            late + Duration::from_millis(10),
            Instant::from_millis(u64::MAX)
        );
        assert_eq!(Instant::ZERO - late, Duration::ZERO);
        assert_eq!(
            Instant::from_millis(3) - Duration::from_millis(5),
            Instant::ZERO
        );
        assert_eq!(
            Duration::from_secs(u64::MAX),
            Duration::from_millis(u64::MAX)
        );
        assert_eq!(
            Duration::from_millis(3) - Duration::from_millis(5),
            Duration::ZERO
        );
    }

    #[test]
    fn std_clock_round_trips_instants() {
        let clock = StdClock::new();
        let at = Instant::from_millis(1234);
        assert_eq!(clock.instant(clock.to_std(at)), at);
    }
}
