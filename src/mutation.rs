//! Switches that each undo one safety fix of quorum election, so that the verifier's own
//! tests can show that it finds the bug the fix closes (a verifier that cannot find a
//! known bug proves nothing). Feature `mutants`, for tests only: never enable it in a
//! build that runs for real.

/// One safety fix of quorum election, undone. Set with
/// [`Config::with_mutation`](crate::Config::with_mutation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mutation {
    /// A node less than `T` after its start honours a transfer-stamped vote request by
    /// what it heard since the start, forgetting what it acknowledged before it.
    HandOverJustAfterStart,
    /// A leader ignores another leader's heartbeat of its own term, and a follower
    /// follows (and acknowledges) any heartbeat of its term, sticky or not.
    SecondLeaderOfATerm,
    /// An ack echoes the newest heartbeat of its term whoever sent it, and a leader counts
    /// any ack of its term whatever leader it names.
    AckCreditsAnyLeader,
    /// A pre-vote grant counts whatever round it answers.
    GrantOfAnyRound,
    /// Check-quorum counts every member heard from, by any message.
    CheckQuorumCountsAnyMessage,
    /// Volatile mode: a node follows a leader of a newer term at once, while it still
    /// credits another (found by the verifier after A–E were fixed).
    NewerLeaderWhileCrediting,
}

impl Mutation {
    /// Every mutation.
    pub const ALL: [Mutation; 6] = [
        Mutation::HandOverJustAfterStart,
        Mutation::SecondLeaderOfATerm,
        Mutation::AckCreditsAnyLeader,
        Mutation::GrantOfAnyRound,
        Mutation::CheckQuorumCountsAnyMessage,
        Mutation::NewerLeaderWhileCrediting,
    ];
}
