//! The failure detector: a follower suspects its leader when it has heard nothing
//! from it for the failure timeout plus a random jitter. It is driven only by the times the
//! host passes in.

use crate::config::Timing;
use crate::rand::Rng;
use crate::time::Instant;

/// The deadline by which the watched leader must be heard from again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct FailureDetector {
    deadline: Option<Instant>,
}

impl FailureDetector {
    /// Starts (or restarts) the wait: the leader was heard from at `now`. A deadline at
    /// the end of time ([`Instant::MAX`]) is never due: the detector stops instead.
    pub(crate) fn heard(&mut self, now: Instant, timing: &Timing, rng: &mut Rng) {
        let deadline = now + timing.failure_timeout + rng.duration_below(timing.failure_jitter);
        self.deadline = (deadline < Instant::MAX).then_some(deadline);
    }

    /// Stops watching (this node leads, or is electing).
    pub(crate) fn stop(&mut self) {
        self.deadline = None;
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// True once, when the deadline has passed; the detector then stops.
    pub(crate) fn take_expired(&mut self, now: Instant) -> bool {
        let expired = self.deadline.is_some_and(|at| at <= now);
        if expired {
            self.deadline = None;
        }
        expired
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Duration;

    #[test]
    fn suspects_only_after_timeout_plus_jitter() {
        let timing = Timing {
            failure_timeout: Duration::from_millis(100),
            failure_jitter: Duration::from_millis(20),
            ..Timing::LAN
        };
        let mut rng = Rng::new(3);
        let mut detector = FailureDetector::default();
        detector.heard(Instant::from_millis(1000), &timing, &mut rng);
        let deadline = detector.deadline().unwrap();
        assert!(deadline >= Instant::from_millis(1100) && deadline < Instant::from_millis(1120));
        assert!(!detector.take_expired(Instant::from_millis(1099)));
        // Hearing the leader again pushes the deadline out.
        detector.heard(Instant::from_millis(1090), &timing, &mut rng);
        assert!(!detector.take_expired(deadline));
        assert!(detector.take_expired(Instant::from_millis(1210)));
        assert!(
            !detector.take_expired(Instant::from_millis(5000)),
            "fires once"
        );
    }
}
