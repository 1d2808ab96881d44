//! Quorum election, in the style of Raft's election (Ongaro and Ousterhout, 2014; pre-vote
//! and check-quorum from Ongaro's thesis, 2014). **Safety class: at most one leader per
//! term**, whatever the network does, as long as the host persists the durable state it
//! is handed and every message comes from the member it names (messages are not
//! authenticated: a forged one can break every promise); and, with clocks whose rates
//! differ from real time by at most the configured bound ρ, never two valid leases at the
//! same instant. In volatile mode a term can be led twice, but never by two nodes that
//! both hold a lease: see [`Durability`].
//!
//! `T` is the configured failure timeout, here the *election timeout*: a follower that
//! hears no leader for a random time in `[T, 2T)` (drawn from the seeded generator) starts
//! an election. Terms run up to [`Term::MAX`]. Rules, for a node `p`:
//!
//! 1. **Terms.** Every message carries its sender's term. A node that sees a higher term
//!    adopts it, forgets its vote and follows nobody (a leader steps down) — except that a
//!    *sticky* node (rule 5) ignores a vote request, and nobody adopts the term of a
//!    `PreVote`. A message from an older term is ignored; a stale `QuorumHeartbeat` or
//!    vote request is answered, so its sender learns the newer term.
//! 2. **Pre-vote** (option). When its election timer fires, `p` first sends `PreVote` for
//!    term + 1 without changing its own term, naming the round by its clock. A member
//!    answers `PreVoteGranted`, echoing the round, if it would vote for `p` in that term
//!    (rule 4). With grants of that round from a majority of the members (itself
//!    included) `p` campaigns; grants of an earlier round, delayed or duplicated, do not
//!    count. Otherwise its timer fires again later.
//! 3. **Campaign.** `p` increments its term, votes for itself and sends `RequestVote`.
//!    With `Vote { granted }` from a majority in that term it leads: it sends
//!    `QuorumHeartbeat` at once and every heartbeat interval.
//! 4. **Voting.** A member grants at most one vote per term, and only to a candidate
//!    member at least as fresh as itself (the host's freshness value), only when it is not
//!    sticky and (volatile mode) not waiting out its restart. Granting restarts its
//!    election timer.
//! 5. **Stickiness.** A node is sticky while it leads and for `T` after it last heard its
//!    leader's heartbeat, stepped down, or started: it grants no vote or pre-vote then,
//!    unless the leader handed over to the candidate (rule 10). So a node that returns
//!    from a partition cannot depose a healthy leader, and the lease (rule 7) holds across
//!    restarts. Stickiness ends by itself after `T`, so an isolated leader's followers
//!    never keep refusing votes while no leader exists.
//! 6. **One leader credited at a time.** A node follows, and acknowledges, one leader at a
//!    time: a heartbeat of its term from another node than the one it heard less than `T`
//!    ago is not followed but answered with an ack naming the leader it follows; in
//!    volatile mode the same holds for a heartbeat of a newer term (whose term it adopts,
//!    which deposes the leader it credited, but which it follows only once that credit is
//!    `T` old: a restart can forget the votes that elected a paused leader of a newer
//!    term). A leader that learns of another leader of its own term (its heartbeat, or an
//!    ack naming it) steps down. In persistent mode a term has one leader and a newer
//!    term's leader implies the old lease is over, so this never holds anything up; in
//!    volatile mode it keeps a term led twice, or terms led out of order, from ever giving
//!    two leases.
//! 7. **Lease.** Followers answer heartbeats with `QuorumAck`, naming the leader they
//!    follow and echoing the send time of the newest heartbeat of their term that leader
//!    sent (a volatile node waiting out its restart does not answer). A leader counts only
//!    acks that name it. Its lease runs from the send time `s` of the newest heartbeat that
//!    a majority (itself included) has answered, for `L ≤ T(1−ρ)/(1+ρ)`: each of those
//!    members received it after `s` and so is sticky until `T/(1+ρ)` of real time after
//!    `s`, and any new leader needs one of their votes (and, in volatile mode, their
//!    credit, rule 6); the leader's own clock, at most ρ slow, reads less than `s + L` only
//!    until `L/(1−ρ) ≤ T/(1+ρ)` after `s`. The term is the fencing token.
//! 8. **Check-quorum** (option). Every `T` a leader checks that a majority (itself
//!    included) acknowledged a heartbeat it sent within the last `T` (the lease's own
//!    evidence, not any message heard, which old or duplicated traffic could supply);
//!    otherwise it steps down. So a leader that loses its majority leads at most `2T` of
//!    its clock after the newest heartbeat a majority acknowledged.
//! 9. **Durable state.** The term and vote are handed to the host to persist; no message
//!    leaves the node while a change is not confirmed written.
//! 10. **Transfer.** The leader sends `TimeoutNow` to a named member, stamped with the
//!     transfer's start on its clock, and stamps its heartbeats with it while the transfer
//!     lasts. The member stands at once (pre-vote first, if configured, so a member that
//!     cannot win raises no term), its requests carrying the stamp. The leader claims no
//!     lease meanwhile and gives up the transfer after `T`; only heartbeats sent after that
//!     count towards a new lease. Voters set stickiness aside for a stamped request only if
//!     the newest heartbeat they heard from that leader was sent before the stamp or
//!     carries it, so a request delayed past the transfer's end cannot depose a leader
//!     whose lease runs again; and never within `T` of their own start, since what they
//!     acknowledged before it is forgotten.
//! 11. **Preferred leader.** A leader hands over automatically to a member of higher
//!     priority that acknowledges it, with flap damping (see [`preferred`]).
//!
//! Ordinary members (see [`Member::ordinary`](crate::Member::ordinary)) vote but never
//! campaign.

mod preferred;

use crate::algorithms::Protocol;
use crate::config::{AlgorithmOptions, ConfigError, Member, Timing};
use crate::context::Context;
use crate::durable::DurableState;
use crate::event::{Cause, Role};
use crate::outbox::Recipient;
use crate::peers::{PeerIndex, PeerSet};
use crate::time::{Duration, Instant};
use crate::timer::{AlgorithmTimer, Slot};
use crate::wire::{Body, Kind, Term};

use preferred::PreferredLeader;

/// Parts per million.
const MILLION: u64 = 1_000_000;

/// Whether the verifier's own tests undid the safety fix `$fix` (see `crate::mutation`);
/// always false without the feature `mutants`.
macro_rules! undone {
    ($cx:expr, $fix:ident) => {{
        #[cfg(feature = "mutants")]
        let undone = $cx.config().is_mutated(crate::Mutation::$fix);
        #[cfg(not(feature = "mutants"))]
        let undone = false;
        undone
    }};
}

/// How a node keeps its term and vote across a restart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Durability {
    /// The host persists the term and vote ([`Engine::poll_persist`]) and confirms each
    /// write ([`Engine::confirm_persisted`]); messages wait for the confirmation, and a
    /// restarted node resumes with [`Engine::restore`]. Terms are then unique fencing
    /// tokens.
    ///
    /// [`Engine::poll_persist`]: crate::Engine::poll_persist
    /// [`Engine::confirm_persisted`]: crate::Engine::confirm_persisted
    /// [`Engine::restore`]: crate::Engine::restore
    Persistent,
    /// For hosts without storage: nothing is persisted, and after every start the node
    /// neither votes, campaigns nor acknowledges a heartbeat until it has waited out the
    /// longest election timeout (`2T`, stretched by the drift bound), so that every
    /// election it might have voted in before the restart is over. A restarted node can
    /// vote again in a term it already voted in, so a term may be led twice, and a paused
    /// leader may lead a term that the others have forgotten: `Role::Leader` alone means
    /// nothing here, and the term is no fencing token. What holds is the lease: no two
    /// nodes hold a valid lease at once (rule 6 keeps each node's acknowledgement for one
    /// leader at a time), as long as no message is delayed longer than the restart wait.
    Volatile,
}

/// Options of quorum election: start from [`QuorumOptions::DEFAULT`] and change what you
/// need with the `with_*` methods (usable in `const` items too).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct QuorumOptions {
    /// Ask for pre-votes before raising the term (rule 2), so a node returning from a
    /// partition does not disrupt a healthy cluster.
    pub pre_vote: bool,
    /// A leader that no majority acknowledged within `T` steps down (rule 8).
    pub check_quorum: bool,
    /// ρ: how far, in parts per million, any member's clock rate may differ from real
    /// time. Must be below 1,000,000.
    pub clock_drift_ppm: u32,
    /// The lease duration `L`; `None` takes the longest safe one, `T(1−ρ)/(1+ρ)`. A longer
    /// one is refused ([`ConfigError::LeaseTooLong`]).
    pub lease: Option<Duration>,
    /// How the term and vote survive a restart.
    pub durability: Durability,
}

impl QuorumOptions {
    /// Pre-vote and check-quorum on, ρ = 10,000 ppm (1 %), the longest safe lease,
    /// persistent durable state.
    pub const DEFAULT: QuorumOptions = QuorumOptions {
        pre_vote: true,
        check_quorum: true,
        clock_drift_ppm: 10_000,
        lease: None,
        durability: Durability::Persistent,
    };

    /// These options with pre-vote on or off.
    pub const fn with_pre_vote(mut self, pre_vote: bool) -> QuorumOptions {
        self.pre_vote = pre_vote;
        self
    }

    /// These options with check-quorum on or off.
    pub const fn with_check_quorum(mut self, check_quorum: bool) -> QuorumOptions {
        self.check_quorum = check_quorum;
        self
    }

    /// These options with drift bound ρ = `clock_drift_ppm` parts per million.
    pub const fn with_clock_drift_ppm(mut self, clock_drift_ppm: u32) -> QuorumOptions {
        self.clock_drift_ppm = clock_drift_ppm;
        self
    }

    /// These options with lease duration `lease` (`None`: the longest safe one).
    pub const fn with_lease(mut self, lease: Option<Duration>) -> QuorumOptions {
        self.lease = lease;
        self
    }

    /// These options with `durability`.
    pub const fn with_durability(mut self, durability: Durability) -> QuorumOptions {
        self.durability = durability;
        self
    }

    /// The longest lease that is safe for election timeout `t` and this drift bound:
    /// `T(1−ρ)/(1+ρ)`, rounded down.
    pub const fn max_lease(&self, t: Duration) -> Duration {
        let rho = self.clock_drift_ppm as u64;
        if rho >= MILLION {
            return Duration::ZERO;
        }
        // 64-bit arithmetic (no 128-bit division on a Cortex-M); past 584 years of
        // election timeout it divides first, rounding further down: shorter is safe.
        let t = t.as_millis();
        Duration::from_millis(match t.checked_mul(MILLION - rho) {
            Some(product) => product / (MILLION + rho),
            None => t / (MILLION + rho) * (MILLION - rho),
        })
    }

    /// The lease duration used for election timeout `t`.
    pub const fn lease_duration(&self, t: Duration) -> Duration {
        match self.lease {
            Some(lease) => lease,
            None => self.max_lease(t),
        }
    }

    /// How long a node in volatile mode waits after it starts before it votes: the longest
    /// election timeout `2T` as another member's clock may measure it, `2T(1+ρ)/(1−ρ)`,
    /// rounded up (saturating: longer is safe).
    pub const fn volatile_wait(&self, t: Duration) -> Duration {
        let rho = self.clock_drift_ppm as u64;
        if rho >= MILLION {
            return Duration::from_millis(u64::MAX);
        }
        let longest = t.as_millis().saturating_mul(2);
        Duration::from_millis(match longest.checked_mul(MILLION + rho) {
            Some(product) => product.div_ceil(MILLION - rho),
            None => u64::MAX,
        })
    }
}

impl AlgorithmOptions for QuorumOptions {
    /// ρ must be below 100 %, so that some lease can be safe.
    fn validate_without_timing(&self, _members: &[Member]) -> Result<(), ConfigError> {
        if u64::from(self.clock_drift_ppm) >= MILLION {
            return Err(ConfigError::DriftBoundTooLarge);
        }
        Ok(())
    }

    /// The lease must be safe for the election timeout and ρ.
    fn validate(&self, timing: &Timing) -> Result<(), ConfigError> {
        if self
            .lease
            .is_some_and(|lease| lease > self.max_lease(timing.failure_timeout))
        {
            return Err(ConfigError::LeaseTooLong);
        }
        Ok(())
    }
}

impl Default for QuorumOptions {
    fn default() -> Self {
        QuorumOptions::DEFAULT
    }
}

/// Why a leadership transfer could not start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum TransferRefusal {
    NotLeader,
    ToSelf,
    NotCandidate,
}

/// The election a candidate stands in. (Whether a node follows, stands or leads is its
/// role, kept by the context.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Ballot {
    /// Asked for pre-votes for the next term in `round` (its clock when it asked);
    /// `granted` would vote for it. `transfer`: the leader handed over, at this time on
    /// its clock.
    PreVote {
        granted: PeerSet,
        transfer: Option<u64>,
        round: u64,
    },
    /// Campaigns in the current term; `granted` voted for it. `transfer`: the leader
    /// handed over, at this time on its clock.
    Vote {
        granted: PeerSet,
        transfer: Option<u64>,
    },
}

/// What a leader waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum QuorumTimer {
    /// The end of a window of `T` in which it counts the members that acknowledged its
    /// heartbeats: check-quorum (rule 8) and the preferred leader (rule 11) act on them.
    AckWindow,
    /// The end of a leadership transfer's wait for the new leader (rule 10).
    TransferTimeout,
}

impl AlgorithmTimer for QuorumTimer {
    const ALL: &'static [QuorumTimer] = &[QuorumTimer::AckWindow, QuorumTimer::TransferTimeout];
}

/// The newest heartbeat a node heard from the leader it follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct NewestHeartbeat {
    /// The leader's term.
    term: Term,
    /// The leader.
    leader: PeerIndex,
    /// When the leader sent it, on the leader's clock.
    sent_at: u64,
    /// The start of the transfer the leader was making when it sent it, if any. (When
    /// this node last heard that leader is the context's `leader_heard_at`.)
    transfer: Option<u64>,
}

impl NewestHeartbeat {
    /// Whether a request to be elected in `term` on a transfer the leader of the term
    /// before started at `started_at` may still be honoured: no heartbeat that leader sent
    /// after that start says the transfer ended.
    fn allows_transfer(newest: Option<Self>, term: Term, started_at: u64) -> bool {
        newest.is_none_or(|heard| {
            heard.term.next() != term
                || heard.sent_at <= started_at
                || heard.transfer == Some(started_at)
        })
    }

    /// The send time an ack to `leader` in `term` echoes: that of the newest heartbeat
    /// `leader` itself sent in `term`, or 0 (below every lease floor) if none was heard.
    fn echo_for(newest: Option<Self>, leader: PeerIndex, term: Term) -> u64 {
        newest
            .filter(|heard| heard.leader == leader && heard.term == term)
            .map_or(0, |heard| heard.sent_at)
    }
}

/// The state of one node in quorum election.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Quorum<const N: usize> {
    options: QuorumOptions,
    /// The election this node stands in while its role is `Candidate`; `None` otherwise.
    ballot: Option<Ballot>,
    /// The vote cast in the current term.
    voted_for: Option<PeerIndex>,
    /// The durable state the host last confirmed written.
    persisted: DurableState,
    /// The durable state last handed to the host to write.
    handed_out: DurableState,
    /// No vote or pre-vote is granted before this instant, unless the leader handed over.
    sticky_until: Instant,
    /// Volatile mode: no vote is granted and no campaign started before this instant.
    restart_wait_until: Instant,
    /// The host's freshness value (e.g. its log position).
    freshness: u64,
    /// The newest heartbeat heard from the leader it follows; acks to that leader echo its
    /// send time.
    newest: Option<NewestHeartbeat>,
    /// The last pre-vote this node granted: the asker and the round its grant echoes. A
    /// grant not yet handed to the host when another is given is dropped (its asker
    /// counts it as refused), so one slot does, whatever the membership's size.
    granted: Option<(PeerIndex, u64)>,
    /// Leader: per member, the newest send time of this leader's heartbeats of this term
    /// that it acknowledged (meaningful for the members in `acked` only). The lease and
    /// check-quorum both rest on these acknowledgements.
    acked_at: [Instant; N],
    acked: PeerSet,
    /// Leader: when it started leading this term; no heartbeat of the term is older.
    elected_at: Instant,
    /// Leader: acks of heartbeats sent before this instant do not count for the lease.
    lease_floor: Instant,
    /// Leader: until when no other leader can exist (local clock).
    lease_until: Option<Instant>,
    /// Leader: the member it hands over to.
    transfer_to: Option<PeerIndex>,
    /// Leader: when the current transfer started.
    transfer_started_at: Instant,
    /// When to hand over to the preferred leader, with flap damping.
    preferred: PreferredLeader,
}

impl<const N: usize> Quorum<N> {
    /// A node that has voted for nobody in term 0.
    pub(crate) fn new(options: QuorumOptions) -> Quorum<N> {
        Quorum {
            options,
            ballot: None,
            voted_for: None,
            persisted: DurableState::default(),
            handed_out: DurableState::default(),
            sticky_until: Instant::ZERO,
            restart_wait_until: Instant::ZERO,
            freshness: 0,
            newest: None,
            granted: None,
            acked_at: [Instant::ZERO; N],
            acked: PeerSet::EMPTY,
            elected_at: Instant::ZERO,
            lease_floor: Instant::ZERO,
            lease_until: None,
            transfer_to: None,
            transfer_started_at: Instant::ZERO,
            preferred: PreferredLeader::NONE,
        }
    }

    /// Resumes from durable state the host persisted before a restart (already validated:
    /// the vote names a member).
    pub(crate) fn restore(&mut self, cx: &mut Context<N>, state: DurableState) {
        cx.adopt_term(state.term);
        self.voted_for = state.voted_for.and_then(|id| cx.index_of(id));
        self.persisted = state;
        self.handed_out = state;
    }

    // ---- Host-facing state ----

    /// The term and vote as they stand now.
    pub(crate) fn durable_state(&self, cx: &Context<N>) -> DurableState {
        DurableState {
            term: cx.term(),
            voted_for: self.voted_for.map(|peer| cx.id_of(peer)),
        }
    }

    /// How the term and vote survive a restart.
    pub(crate) fn durability(&self) -> Durability {
        self.options.durability
    }

    /// Whether nothing is persisted.
    fn is_volatile(&self) -> bool {
        self.options.durability == Durability::Volatile
    }

    /// The durable state to write, once per change.
    pub(crate) fn poll_persist(&mut self, cx: &Context<N>) -> Option<DurableState> {
        let state = self.durable_state(cx);
        if self.is_volatile() || state == self.persisted || state == self.handed_out {
            return None;
        }
        self.handed_out = state;
        Some(state)
    }

    /// The host wrote `state`; returns whether that is the current durable state.
    pub(crate) fn confirm_persisted(&mut self, cx: &Context<N>, state: DurableState) -> bool {
        let current = !self.is_volatile() && state == self.durable_state(cx);
        if current {
            self.persisted = state;
        }
        current
    }

    /// The host's freshness value is now `freshness`.
    pub(crate) fn set_freshness(&mut self, freshness: u64) {
        self.freshness = freshness;
    }

    /// Until when no other leader can exist, while this node leads and hands over to nobody.
    pub(crate) fn lease_until(&self, cx: &Context<N>) -> Option<Instant> {
        if cx.role() != Role::Leader || self.transfer_to.is_some() {
            return None;
        }
        self.lease_until
    }

    // ---- Leadership transfer ----

    /// Why this node cannot hand leadership over to `to` now, if it cannot.
    pub(crate) fn check_transfer(
        &self,
        cx: &Context<N>,
        to: PeerIndex,
    ) -> Result<(), TransferRefusal> {
        if cx.role() != Role::Leader {
            return Err(TransferRefusal::NotLeader);
        }
        if to == cx.me() {
            return Err(TransferRefusal::ToSelf);
        }
        if !cx.may_lead(to) {
            return Err(TransferRefusal::NotCandidate);
        }
        Ok(())
    }

    /// Hands leadership over to `to` (rule 10), which [`Quorum::check_transfer`] allows.
    pub(crate) fn transfer(&mut self, cx: &mut Context<N>, to: PeerIndex) {
        self.transfer_to = Some(to);
        self.transfer_started_at = cx.now();
        self.reset_lease(cx);
        cx.send(to, Kind::TimeoutNow);
        let t = cx.config().timing.failure_timeout;
        cx.arm(QuorumTimer::TransferTimeout, t);
    }

    /// Gives up a transfer whose new leader did not appear; the lease starts afresh.
    fn abandon_transfer(&mut self, cx: &mut Context<N>) {
        if self.transfer_to.take().is_some() {
            self.reset_lease(cx);
            let t = cx.config().timing.failure_timeout;
            self.preferred.transfer_failed(cx.now(), t);
        }
    }

    /// At a check: the leader hands over to the highest-priority member above it among
    /// those that acknowledged its heartbeats in the window (`responsive`), once that
    /// member has done so for the hold-down (see [`preferred`]).
    fn prefer_leader(&mut self, cx: &mut Context<N>, responsive: PeerSet) {
        if self.transfer_to.is_some() {
            return;
        }
        let mine = Self::priority(cx, cx.me());
        let best = responsive
            .filter(|peer| cx.may_lead(peer) && Self::priority(cx, peer) > mine)
            .iter()
            .max_by_key(|&peer| cx.rank(peer));
        let t = cx.config().timing.failure_timeout;
        if let Some(peer) = self.preferred.choose(cx.now(), t, best) {
            // This node leads, and `peer` is another member that may lead.
            self.transfer(cx, peer);
        }
    }

    /// The configured priority of `peer`.
    fn priority(cx: &Context<N>, peer: PeerIndex) -> u8 {
        cx.member(peer).map_or(0, |m| m.priority)
    }

    /// `leader` leads `term`: if the last leader this node followed, in an older term,
    /// ranks above both this node and `leader` by priority, the preferred leader lost its
    /// leadership, and counts a failure (see [`preferred`]).
    fn note_succession(&mut self, cx: &Context<N>, leader: PeerIndex, term: Term) {
        let Some(previous) = self.newest.filter(|newest| newest.term < term) else {
            return;
        };
        let above = Self::priority(cx, previous.leader);
        if above > Self::priority(cx, cx.me()) && above > Self::priority(cx, leader) {
            let t = cx.config().timing.failure_timeout;
            self.preferred.leader_failed(cx.now(), t);
        }
    }

    // ---- Elections ----

    /// How many members make a majority.
    fn majority(cx: &Context<N>) -> usize {
        cx.config().members().len() / 2 + 1
    }

    /// Rule 5: whether this node refuses votes and pre-votes now.
    fn is_sticky(&self, cx: &Context<N>) -> bool {
        cx.role() == Role::Leader || cx.now() < self.sticky_until
    }

    /// Rule 5: refuses votes and pre-votes for `T` from now.
    fn become_sticky(&mut self, cx: &Context<N>) {
        self.sticky_until = cx.now() + cx.config().timing.failure_timeout;
    }

    /// Whether this node would vote for `peer` with `freshness` (the term aside), setting
    /// stickiness aside if `handed_over`.
    fn would_vote(
        &self,
        cx: &Context<N>,
        peer: PeerIndex,
        freshness: u64,
        handed_over: bool,
    ) -> bool {
        cx.now() >= self.restart_wait_until
            && (handed_over || !self.is_sticky(cx))
            && freshness >= self.freshness
            && cx.may_lead(peer)
    }

    /// Whether a (pre-)vote request for `term` from `candidate`, sent on a transfer the
    /// leader started at `transfer` (its clock), sets stickiness aside: the leader must be
    /// handing over to it right now, and a follower must have heard no heartbeat that
    /// leader sent after the transfer ended (so a request delayed past that cannot depose
    /// a leader whose lease runs again). A follower that started less than `T` ago cannot
    /// tell: what it acknowledged before its start is forgotten, so the stickiness of its
    /// start holds whatever the request says.
    fn is_handed_over(
        &self,
        cx: &Context<N>,
        candidate: PeerIndex,
        term: Term,
        transfer: Option<u64>,
    ) -> bool {
        let Some(started_at) = transfer else {
            return false;
        };
        if cx.role() == Role::Leader {
            return self.transfer_to == Some(candidate);
        }
        (cx.uptime() >= cx.config().timing.failure_timeout || undone!(cx, HandOverJustAfterStart))
            && NewestHeartbeat::allows_transfer(self.newest, term, started_at)
    }

    /// Adopts a newer term: no vote in it yet, no leader known.
    fn adopt(&mut self, cx: &mut Context<N>, term: Term) {
        if cx.role() == Role::Leader {
            self.step_down(cx);
        }
        self.voted_for = None;
        self.await_leader(cx, term);
    }

    /// Stops leading: stays sticky for `T` (its own lease may still be running).
    fn step_down(&mut self, cx: &mut Context<N>) {
        self.transfer_to = None;
        self.lease_until = None;
        self.become_sticky(cx);
        cx.cancel(QuorumTimer::AckWindow);
        cx.cancel(QuorumTimer::TransferTimeout);
        let term = cx.term();
        self.await_leader(cx, term);
    }

    /// Follows no leader in `term`, and stands in no election.
    fn await_leader(&mut self, cx: &mut Context<N>, term: Term) {
        self.ballot = None;
        cx.await_leader(term);
    }

    /// Whether this node may campaign now: it may lead, is not waiting out a restart
    /// (volatile mode), and has a next term to campaign in (at the last term it never
    /// campaigns again, so it never votes twice in it).
    fn may_campaign(&self, cx: &Context<N>) -> bool {
        cx.may_lead(cx.me()) && cx.now() >= self.restart_wait_until && cx.term().next() > cx.term()
    }

    /// The election timer fired: ask for pre-votes, or campaign.
    fn start_election(&mut self, cx: &mut Context<N>) {
        if !self.may_campaign(cx) {
            let wait = self.restart_wait_until - cx.now();
            let term = cx.term();
            self.await_leader(cx, term);
            cx.retry_after(wait);
            return;
        }
        self.stand(cx, None);
    }

    /// Asks for pre-votes (if configured), or campaigns; `transfer`: the leader handed
    /// over, at this time on its clock.
    fn stand(&mut self, cx: &mut Context<N>, transfer: Option<u64>) {
        if self.options.pre_vote {
            self.ballot = Some(Ballot::PreVote {
                granted: PeerSet::only(cx.me()),
                transfer,
                round: cx.now().as_millis(),
            });
            cx.stand();
            cx.retry_later();
            cx.broadcast(Kind::PreVote);
            self.count_pre_votes(cx);
        } else {
            self.campaign(cx, transfer);
        }
    }

    /// Rule 2: campaigns once a majority granted its pre-vote.
    fn count_pre_votes(&mut self, cx: &mut Context<N>) {
        if let Some(Ballot::PreVote {
            granted, transfer, ..
        }) = self.ballot
            && granted.len() >= Self::majority(cx)
        {
            self.campaign(cx, transfer);
        }
    }

    /// Rule 3: votes for itself in the next term and asks every member for its vote.
    fn campaign(&mut self, cx: &mut Context<N>, transfer: Option<u64>) {
        cx.adopt_term(cx.term().next());
        self.voted_for = Some(cx.me());
        self.ballot = Some(Ballot::Vote {
            granted: PeerSet::only(cx.me()),
            transfer,
        });
        cx.stand();
        cx.retry_later();
        cx.broadcast(Kind::RequestVote);
        self.count_votes(cx);
    }

    /// Rule 3: leads once a majority voted for it.
    fn count_votes(&mut self, cx: &mut Context<N>) {
        if let Some(Ballot::Vote { granted, .. }) = self.ballot
            && granted.len() >= Self::majority(cx)
        {
            self.lead(cx);
        }
    }

    /// Leads the current term: heartbeats at once, and checks its majority every `T`.
    fn lead(&mut self, cx: &mut Context<N>) {
        self.ballot = None;
        self.transfer_to = None;
        let term = cx.term();
        cx.lead(term);
        if undone!(cx, CheckQuorumCountsAnyMessage) {
            let _stale = cx.take_heard();
        }
        self.acked = PeerSet::EMPTY;
        self.elected_at = cx.now();
        self.note_succession(cx, cx.me(), term);
        self.preferred.start_leading();
        self.reset_lease(cx);
        let t = cx.config().timing.failure_timeout;
        cx.arm(QuorumTimer::AckWindow, t);
        self.heartbeat(cx);
    }

    // ---- The lease ----

    /// Forgets the lease: only heartbeats sent from now on count towards a new one.
    fn reset_lease(&mut self, cx: &Context<N>) {
        self.lease_floor = cx.now();
        self.lease_until = None;
        self.refresh_lease(cx);
    }

    /// The newest send time of this leader's heartbeats that a majority (this node
    /// included, at `now`) acknowledged, among those sent at or after `since`.
    fn majority_acked_since(&self, cx: &Context<N>, since: Instant) -> Option<Instant> {
        let members = cx.config().members().len();
        let mut times = [Instant::ZERO; N];
        let mut count = 0;
        let acked = self
            .acked
            .iter()
            .filter_map(|peer| self.acked_at.get(peer.position()).copied())
            .filter(|&sent_at| sent_at >= since)
            .chain(core::iter::once(cx.now()));
        for (slot, sent_at) in times.iter_mut().zip(acked) {
            *slot = sent_at;
            count += 1;
        }
        let acked = times.get_mut(..count)?;
        acked.sort_unstable_by(|a, b| b.cmp(a));
        acked.get(members / 2).copied()
    }

    /// The members that acknowledged a heartbeat this leader sent at or after `since`,
    /// this node included: the evidence of check-quorum, the same as the lease's.
    fn acked_since(&self, cx: &Context<N>, since: Instant) -> PeerSet {
        let mut responsive = self.acked.filter(|peer| {
            self.acked_at
                .get(peer.position())
                .is_some_and(|&sent_at| sent_at >= since)
        });
        responsive.insert(cx.me());
        responsive
    }

    /// The lease runs from the newest send time a majority (this node included, at
    /// `now`) acknowledged, counting heartbeats sent since the lease floor.
    fn refresh_lease(&mut self, cx: &Context<N>) {
        if let Some(base) = self.majority_acked_since(cx, self.lease_floor) {
            let lease = self
                .options
                .lease_duration(cx.config().timing.failure_timeout);
            self.lease_until = Some(base + lease);
        }
    }

    /// An ack from `from` of this leader's heartbeat sent at `sent_at` (its clock), or of
    /// none (0); `credits` is the leader the sender follows in this term.
    fn on_ack(
        &mut self,
        cx: &mut Context<N>,
        from: PeerIndex,
        sent_at: u64,
        credits: Option<PeerIndex>,
    ) {
        if cx.role() != Role::Leader {
            return;
        }
        let credits = match undone!(cx, AckCreditsAnyLeader) {
            true => Some(cx.me()),
            false => credits,
        };
        if let Some(leader) = credits.filter(|&leader| leader != cx.me()) {
            // Another node leads this term too (volatile mode only: a restart forgot a
            // vote): step down, so that at most one of them goes on leading it.
            let node = cx.id_of(leader);
            cx.because(Cause::RivalLeader { node });
            self.step_down(cx);
            return;
        }
        let sent_at = Instant::from_millis(sent_at);
        if credits != Some(cx.me())
            || sent_at == Instant::ZERO
            || sent_at < self.elected_at
            || sent_at > cx.now()
        {
            return; // Echoes no heartbeat of this leader's term.
        }
        if let Some(slot) = self.acked_at.get_mut(from.position()) {
            if !self.acked.contains(from) || *slot < sent_at {
                *slot = sent_at;
            }
            self.acked.insert(from);
            if self.transfer_to.is_none() {
                self.refresh_lease(cx);
            }
        }
    }

    // ---- Messages ----

    /// Rules 6 and 7: a heartbeat of the current term from `from`.
    fn on_heartbeat(
        &mut self,
        cx: &mut Context<N>,
        from: PeerIndex,
        term: Term,
        heartbeat: NewestHeartbeat,
    ) {
        if cx.role() == Role::Leader {
            if undone!(cx, SecondLeaderOfATerm) {
                return;
            }
            // Another leader of this term (volatile mode only: a restart forgot a vote).
            // Stop leading it; this node then knows no leader, and follows the other.
            let node = cx.id_of(from);
            cx.because(Cause::RivalLeader { node });
            self.step_down(cx);
        }
        if let Some(Ballot::PreVote {
            transfer: Some(started_at),
            ..
        }) = self.ballot
            && heartbeat.transfer == Some(started_at)
        {
            return; // The leader is handing over to this node: keep standing.
        }
        if self.credits_another(cx, from, term) {
            // A node credits one leader at a time, and switches only once the credit is
            // `T` old: its ack names the leader it follows (none, if it just adopted a
            // newer term), and makes a second leader of the term step down.
            cx.send(from, Kind::QuorumAck);
            return;
        }
        self.note_succession(cx, from, term);
        self.ballot = None;
        cx.follow(from, term);
        self.become_sticky(cx);
        // A heartbeat of the same leader and term that overtook this one stays the newest.
        let overtaken = self.newest.is_some_and(|newest| {
            (newest.leader, newest.term) == (from, term) && heartbeat.sent_at < newest.sent_at
        });
        if !overtaken {
            self.newest = Some(heartbeat);
        }
        // A volatile node waiting out its restart may have voted for a newer leader it
        // forgot: its ack must not extend this leader's lease.
        if cx.now() >= self.restart_wait_until {
            cx.send(from, Kind::QuorumAck);
        }
    }

    /// Whether this node heard (and so may have credited) a leader other than `from` less
    /// than `T` ago, in `term` (rule 6), or in volatile mode in any term: a leader of a
    /// newer term may be one whose votes a restart forgot, elected before the leader this
    /// node credits, and following it at once would let both hold a lease. In persistent
    /// mode a newer term's leader was elected by a majority, one of which no longer
    /// credited the older leader, whose lease has therefore ended.
    fn credits_another(&self, cx: &Context<N>, from: PeerIndex, term: Term) -> bool {
        let t = cx.config().timing.failure_timeout;
        let any_term = self.is_volatile() && !undone!(cx, NewerLeaderWhileCrediting);
        self.newest.is_some_and(|credited| {
            credited.leader != from
                && (credited.term == term || any_term)
                && cx.now() < cx.leader_heard_at() + t
                && !undone!(cx, SecondLeaderOfATerm)
        })
    }

    /// Rules 2 and 4: `from` asks whether this node would vote for it in `term`.
    fn on_pre_vote(
        &mut self,
        cx: &mut Context<N>,
        from: PeerIndex,
        term: Term,
        freshness: u64,
        round: u64,
        handed_over: bool,
    ) {
        if term > cx.term() {
            if self.would_vote(cx, from, freshness, handed_over) {
                self.granted = Some((from, round));
                cx.send(from, Kind::PreVoteGranted);
            }
        } else {
            cx.send(from, Kind::Vote);
        }
    }

    /// Rule 4: `from` asks for this node's vote in `term`.
    fn on_request_vote(
        &mut self,
        cx: &mut Context<N>,
        from: PeerIndex,
        term: Term,
        freshness: u64,
        handed_over: bool,
    ) {
        if term == cx.term()
            && self.voted_for.is_none_or(|vote| vote == from)
            && self.would_vote(cx, from, freshness, handed_over)
        {
            self.voted_for = Some(from);
            cx.retry_later();
        }
        cx.send(from, Kind::Vote);
    }

    /// The leader hands over: stand at once, unless a heartbeat the leader sent after the
    /// transfer ended says it gave the transfer up.
    fn on_timeout_now(
        &mut self,
        cx: &mut Context<N>,
        from: PeerIndex,
        term: Term,
        started_at: u64,
    ) {
        if term == cx.term()
            && cx.leader() == Some(from)
            && cx.role() == Role::Follower
            && NewestHeartbeat::allows_transfer(self.newest, term.next(), started_at)
            && self.may_campaign(cx)
        {
            let from = cx.id_of(from);
            cx.because(Cause::HandedOver { from });
            self.stand(cx, Some(started_at));
        }
    }
}

impl<const N: usize> Protocol<N> for Quorum<N> {
    fn start(&mut self, cx: &mut Context<N>) {
        // A restart looks like a start: this node may have acknowledged a leader's
        // heartbeat just before it, so it honours that leader's lease.
        self.become_sticky(cx);
        if self.is_volatile() {
            let t = cx.config().timing.failure_timeout;
            self.restart_wait_until = cx.now() + self.options.volatile_wait(t);
        }
    }

    fn handle_message(&mut self, cx: &mut Context<N>, from: PeerIndex, term: Term, body: &Body) {
        let handed_over = match *body {
            Body::PreVote { transfer, .. } | Body::RequestVote { transfer, .. } => {
                self.is_handed_over(cx, from, term, transfer)
            }
            _ => false,
        };
        let adopts_term = match body {
            Body::PreVote { .. } => false,
            Body::RequestVote { .. } => handed_over || !self.is_sticky(cx),
            _ => true,
        };
        if term > cx.term() && adopts_term {
            self.adopt(cx, term);
        }
        match *body {
            Body::PreVote {
                freshness, round, ..
            } => self.on_pre_vote(cx, from, term, freshness, round, handed_over),
            // Sent in the granter's term, which is below the proposed one; it counts only
            // for the round it answers.
            Body::PreVoteGranted { round } => {
                if let Some(Ballot::PreVote {
                    ref mut granted,
                    round: asked,
                    ..
                }) = self.ballot
                    && (round == asked || undone!(cx, GrantOfAnyRound))
                    && term <= cx.term()
                {
                    granted.insert(from);
                    self.count_pre_votes(cx);
                }
            }
            _ if term != cx.term() => {
                if term < cx.term() && matches!(body, Body::RequestVote { .. }) {
                    cx.send(from, Kind::Vote);
                } else if term < cx.term() && matches!(body, Body::QuorumHeartbeat { .. }) {
                    cx.send(from, Kind::QuorumAck);
                }
            }
            Body::QuorumHeartbeat { sent_at, transfer } => {
                let heartbeat = NewestHeartbeat {
                    term,
                    leader: from,
                    sent_at,
                    transfer,
                };
                self.on_heartbeat(cx, from, term, heartbeat)
            }
            Body::QuorumAck { sent_at, leader } => match leader.map(|id| cx.index_of(id)) {
                None => self.on_ack(cx, from, sent_at, None),
                Some(Some(credits)) => self.on_ack(cx, from, sent_at, Some(credits)),
                Some(None) => {} // Names a non-member: nothing to act on.
            },
            Body::RequestVote { freshness, .. } => {
                self.on_request_vote(cx, from, term, freshness, handed_over)
            }
            Body::Vote { granted: true } => {
                if let Some(Ballot::Vote {
                    ref mut granted, ..
                }) = self.ballot
                {
                    granted.insert(from);
                    self.count_votes(cx);
                }
            }
            Body::TimeoutNow { started_at } => self.on_timeout_now(cx, from, term, started_at),
            _ => {}
        }
    }

    fn handle_timer(&mut self, cx: &mut Context<N>, timer: Slot) {
        match timer.timer() {
            Some(QuorumTimer::AckWindow) if cx.role() == Role::Leader => {
                let t = cx.config().timing.failure_timeout;
                let mut responsive = self.acked_since(cx, cx.now() - t);
                if undone!(cx, CheckQuorumCountsAnyMessage) {
                    responsive = cx.take_heard();
                    responsive.insert(cx.me());
                }
                if self.options.check_quorum && responsive.len() < Self::majority(cx) {
                    cx.because(Cause::CheckQuorumFailed);
                    self.step_down(cx);
                    return;
                }
                cx.arm(QuorumTimer::AckWindow, t);
                self.prefer_leader(cx, responsive);
            }
            Some(QuorumTimer::TransferTimeout) if cx.role() == Role::Leader => {
                self.abandon_transfer(cx)
            }
            _ => {}
        }
    }

    fn handle_leader_silent(&mut self, cx: &mut Context<N>) {
        if cx.role() != Role::Leader {
            self.start_election(cx);
        }
    }

    fn heartbeat(&mut self, cx: &mut Context<N>) {
        cx.heartbeat(Kind::QuorumHeartbeat);
        self.refresh_lease(cx);
    }

    fn withholds(&self, cx: &Context<N>) -> bool {
        !self.is_volatile() && self.durable_state(cx) != self.persisted
    }

    fn message_term(&self, cx: &Context<N>, kind: Kind) -> Term {
        match kind {
            Kind::PreVote => cx.term().next(),
            _ => cx.term(),
        }
    }

    fn body(&self, cx: &Context<N>, kind: Kind, to: Recipient) -> Option<Body> {
        let leading = cx.role() == Role::Leader;
        let peer = match to {
            Recipient::Peer(peer) => Some(peer),
            Recipient::All => None,
        };
        let transfer = self
            .transfer_to
            .map(|_| self.transfer_started_at.as_millis());
        match kind {
            Kind::PreVote => match self.ballot {
                Some(Ballot::PreVote {
                    transfer, round, ..
                }) => Some(Body::PreVote {
                    freshness: self.freshness,
                    transfer,
                    round,
                }),
                _ => None,
            },
            Kind::PreVoteGranted => match self.granted {
                Some((asker, round)) if Some(asker) == peer => Some(Body::PreVoteGranted { round }),
                _ => None,
            },
            Kind::RequestVote => match self.ballot {
                Some(Ballot::Vote { transfer, .. }) => Some(Body::RequestVote {
                    freshness: self.freshness,
                    transfer,
                }),
                _ => None,
            },
            Kind::Vote => Some(Body::Vote {
                granted: peer.is_some_and(|peer| self.voted_for == Some(peer)),
            }),
            Kind::QuorumHeartbeat => leading.then_some(Body::QuorumHeartbeat {
                sent_at: cx.now().as_millis(),
                transfer,
            }),
            // Only the receiver's own heartbeat of this term is echoed: another leader's send
            // time (read on its clock) could fall inside this leader's lease window by
            // chance. 0 is below every lease floor.
            Kind::QuorumAck => Some(Body::QuorumAck {
                sent_at: match undone!(cx, AckCreditsAnyLeader) {
                    true => self
                        .newest
                        .filter(|heard| heard.term == cx.term())
                        .map_or(0, |heard| heard.sent_at),
                    false => NewestHeartbeat::echo_for(self.newest, peer?, cx.term()),
                },
                leader: cx.leader().map(|leader| cx.id_of(leader)),
            }),
            Kind::TimeoutNow => leading
                .then_some(transfer)
                .flatten()
                .map(|started_at| Body::TimeoutNow { started_at }),
            _ => None,
        }
    }
}
