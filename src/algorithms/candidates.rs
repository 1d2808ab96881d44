//! Candidate/ordinary election with tie-breaker delays (Petrov, *Database Internals*,
//! ch. 10), a Bully optimisation.
//! **Safety class: split brain possible.**
//!
//! Members are candidates (may lead) or ordinary ([`Member::ordinary`]). An ordinary node
//! that suspects the leader asks every candidate (`Election`), picks the highest that
//! answered (`Proceed`), and that candidate leads and tells everyone (`Coordinator`). A
//! candidate asks only the candidates ranked above it, and leads if none answers.
//!
//! To keep several nodes from running elections at once, each node waits its tie-breaker
//! delay δ before it starts: δ = `tie_breaker_step` × (number of members ranked above it,
//! not counting the failed leader), so the highest-ranked survivor starts at once and the
//! others normally hear the result before their own δ runs out. The step **must exceed one
//! round trip**; validation requires it to be at least the round-trip timeout. The rules
//! shared with the other rank-based algorithms are in [`ranked`](super::ranked); the delay
//! is [`Candidates`], the strategy they consult.
//!
//! [`Member::ordinary`]: crate::Member::ordinary

use crate::algorithms::ranked::{Preemption, Step, Strategy};
use crate::config::{AlgorithmOptions, ConfigError, Timing};
use crate::context::Context;
use crate::peers::PeerIndex;
use crate::time::Duration;

/// Options of candidate/ordinary election.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CandidateOptions {
    /// The gap δ between neighbouring ranks' tie-breaker delays, or `None` for no delay.
    pub tie_breaker_step: Option<Duration>,
    /// When a candidate challenges a healthy leader ranked below it (as in Bully).
    pub preemption: Preemption,
}

impl CandidateOptions {
    /// A 60 ms tie-breaker step (above [`Timing::LAN`](crate::Timing::LAN)'s round-trip
    /// timeout), immediate preemption.
    pub const DEFAULT: CandidateOptions = CandidateOptions {
        tie_breaker_step: Some(Duration::from_millis(60)),
        preemption: Preemption::Immediate,
    };

    /// Options with the given tie-breaker step and preemption rule.
    pub const fn new(
        tie_breaker_step: Option<Duration>,
        preemption: Preemption,
    ) -> CandidateOptions {
        CandidateOptions {
            tie_breaker_step,
            preemption,
        }
    }
}

impl AlgorithmOptions for CandidateOptions {
    /// The tie-breaker step must exceed one round trip.
    fn validate(&self, timing: &Timing) -> Result<(), ConfigError> {
        match self.tie_breaker_step {
            Some(step) => timing.validate_tie_breaker_step(step),
            None => Ok(()),
        }
    }
}

impl Default for CandidateOptions {
    fn default() -> Self {
        CandidateOptions::DEFAULT
    }
}

/// Candidate/ordinary's addition to the rank-based rules: a node that suspects its leader
/// waits its tie-breaker delay before it starts an election.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Candidates {
    /// The gap between neighbouring ranks' delays, or `None` for no delay.
    tie_breaker_step: Option<Duration>,
}

impl Candidates {
    /// The strategy of a node with `options`.
    pub(crate) fn new(options: CandidateOptions) -> Candidates {
        Candidates {
            tie_breaker_step: options.tie_breaker_step,
        }
    }
}

impl Strategy for Candidates {
    /// Waits δ, counting the members ranked above this node other than the suspect.
    fn leader_silent<const N: usize>(
        &mut self,
        cx: &Context<N>,
        suspect: Option<PeerIndex>,
    ) -> Step {
        match self.tie_breaker_step {
            Some(step) => Step::WaitTieBreaker(cx.tie_breaker_delay_without(step, suspect)),
            None => Step::Elect,
        }
    }
}
