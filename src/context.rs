//! The state every algorithm shares: membership and ranks, the clock as last passed in,
//! jitter, timers, the failure detector, the outbox, and who leads in which term.
//!
//! Its fields are private: algorithms state what they intend (follow this leader, arm
//! this timer, send this to that peer) and the context keeps its parts consistent, the
//! way smoltcp keeps `InterfaceInner` to itself. Algorithms change leadership only through
//! [`Context::follow`], [`Context::lead`], [`Context::await_leader`] and
//! [`Context::stand`], so the failure detector, the heartbeat timer and the reported state
//! always agree with each other.
//!
//! Methods come in groups: getters and membership queries (`&self`), what an algorithm
//! intends (leadership, terms, timers, messages, liveness), and what the engine does with
//! its inputs and outputs (the clock, timers due, pending messages).

use core::hash::{Hash, Hasher};

use crate::config::{Config, Member, NodeId, Rank, Timing};
use crate::detector::FailureDetector;
use crate::event::{Cause, Leadership, Role};
use crate::outbox::{Outbox, Recipient};
use crate::peers::{PeerIndex, PeerSet};
use crate::rand::Rng;
use crate::time::{Duration, Instant};
use crate::timer::{AlgorithmTimer, Slot, Timers};
use crate::trace::trace_at;
use crate::wire::{Kind, Term};

/// What a leader does when another member claims to lead (the rank-based algorithms and
/// ring): leaders give way to rank only, never to a newer epoch alone, so a leader that
/// yields always yields to a higher-ranked one and no cycle of leaders deposing each other
/// can form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Rivalry {
    /// The rival outranks this leader and leads in its epoch or a newer one: follow it.
    Yield,
    /// This leader outranks the rival, which leads in its epoch or a newer one: lead again
    /// in an epoch above the rival's, so that the rival's followers that hear this leader
    /// follow it.
    Reassert,
    /// The rival leads in an older epoch: nothing to do. When it hears this leader's
    /// heartbeats it settles the matter itself (it yields to a higher-ranked leader and
    /// reasserts itself over a lower-ranked one); when it cannot hear them, no answer
    /// would reach it either.
    Ignore,
}

/// Something due when the engine handles a timeout, in the order the engine handles them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Due {
    /// The failure detector suspects the leader (or no leader was heard since start).
    LeaderSilent,
    /// The leader's next heartbeat.
    Heartbeat,
    /// One of the algorithm's own timers, in this slot.
    Timer(Slot),
}

/// One node's shared state; see the [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Context<const N: usize> {
    /// The configuration, fixed for the engine's life.
    config: Config<N>,
    /// This node's position in the membership.
    me: PeerIndex,
    /// The latest time the host passed in: it never runs backwards.
    now: Instant,
    /// When the engine was created.
    started_at: Instant,
    /// The jitter generator.
    rng: Rng,
    /// Whether this node follows, stands for election or leads.
    role: Role,
    /// The leader it follows (itself while it leads), if it knows one.
    leader: Option<PeerIndex>,
    /// That leader's term (the epoch for rank-based algorithms and ring).
    term: Term,
    /// When this node last followed its leader on that leader's word (a heartbeat, an
    /// announcement, a result): [`Context::follow`] sets it.
    leader_heard_at: Instant,
    /// Why the next change of leadership happens, as far as the input being handled
    /// knows (the engine sets it per input and puts it back after; an algorithm may say
    /// more).
    cause: Cause,
    /// Why the leader, term or role last changed.
    changed_because: Cause,
    /// Why this node last stopped leading.
    stepped_down_because: Cause,
    /// The heartbeat's and the algorithm's timers.
    timers: Timers,
    /// When the leader will be suspected.
    detector: FailureDetector,
    /// The messages waiting for the host.
    outbox: Outbox<N>,
    /// Peers heard from since the last [`Context::take_heard`]: a liveness window.
    heard: PeerSet,
    /// The failure detector's timing: the configured one, with the jitter the algorithm
    /// wants.
    watch: Timing,
}

impl<const N: usize> Hash for Context<N> {
    /// Everything but the configuration and the timing derived from it, which an engine
    /// keeps for its whole life (equal contexts have equal configurations, so leaving them
    /// out keeps hashes consistent with equality, and makes hashing a state cheap).
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.me.hash(state);
        self.now.hash(state);
        self.started_at.hash(state);
        self.rng.hash(state);
        self.role.hash(state);
        self.leader.hash(state);
        self.term.hash(state);
        self.leader_heard_at.hash(state);
        self.timers.hash(state);
        self.detector.hash(state);
        self.outbox.hash(state);
        self.heard.hash(state);
    }
}

impl<const N: usize> Context<N> {
    /// A follower that knows no leader yet and starts watching for one at `now`.
    pub(crate) fn new(config: Config<N>, me: PeerIndex, now: Instant) -> Context<N> {
        let mut context = Context {
            rng: Rng::new(config.seed),
            watch: config.algorithm.failure_detector_timing(config.timing),
            config,
            me,
            now,
            started_at: now,
            role: Role::Follower,
            leader: None,
            term: Term(0),
            leader_heard_at: Instant::ZERO,
            cause: Cause::Started,
            changed_because: Cause::Started,
            stepped_down_because: Cause::Started,
            timers: Timers::default(),
            detector: FailureDetector::default(),
            outbox: Outbox::default(),
            heard: PeerSet::EMPTY,
        };
        context.retry_later();
        context
    }

    // ---- Getters ----

    /// The configuration this node runs with.
    pub(crate) fn config(&self) -> &Config<N> {
        &self.config
    }

    /// This node.
    pub(crate) fn me(&self) -> PeerIndex {
        self.me
    }

    /// The latest time the host passed in.
    pub(crate) fn now(&self) -> Instant {
        self.now
    }

    /// When this node's engine was created.
    pub(crate) fn started_at(&self) -> Instant {
        self.started_at
    }

    /// How long this node has been up.
    pub(crate) fn uptime(&self) -> Duration {
        self.now - self.started_at
    }

    /// This node's role.
    pub(crate) fn role(&self) -> Role {
        self.role
    }

    /// The leader this node follows or is, if it knows one.
    pub(crate) fn leader(&self) -> Option<PeerIndex> {
        self.leader
    }

    /// The term of the leader this node follows, replaces or is.
    pub(crate) fn term(&self) -> Term {
        self.term
    }

    /// Whether `timer` is armed.
    pub(crate) fn is_armed<T: AlgorithmTimer>(&self, timer: T) -> bool {
        self.timers.is_armed(Slot::of(timer))
    }

    /// The leadership state to report to the host.
    pub(crate) fn leadership(&self) -> Leadership {
        Leadership {
            leader: self.leader.map(|peer| self.id_of(peer)),
            term: self.term,
            leading: self.role == Role::Leader,
            cause: self.changed_because,
            stepped_down: self.stepped_down_because,
        }
    }

    // ---- Membership and leadership queries ----

    /// The configured member at `peer`.
    pub(crate) fn member(&self, peer: PeerIndex) -> Option<&Member> {
        self.config.members().get(peer.position())
    }

    /// The id of `peer` (`u32::MAX` for a position beyond the membership).
    pub(crate) fn id_of(&self, peer: PeerIndex) -> NodeId {
        self.member(peer).map_or(NodeId(u32::MAX), |m| m.id)
    }

    /// The position of the member with `id`, if it is one.
    pub(crate) fn index_of(&self, id: NodeId) -> Option<PeerIndex> {
        let position = self
            .config
            .members()
            .binary_search_by_key(&id, |m| m.id)
            .ok()?;
        PeerIndex::from_position(position)
    }

    /// The rank of `peer`; a peer outside the membership ranks lowest.
    pub(crate) fn rank(&self, peer: PeerIndex) -> Option<Rank> {
        self.member(peer).map(Member::rank)
    }

    /// Whether `peer` ranks above `other`.
    pub(crate) fn outranks(&self, peer: PeerIndex, other: PeerIndex) -> bool {
        self.rank(peer) > self.rank(other)
    }

    /// Every member except this node.
    pub(crate) fn peers(&self) -> PeerSet {
        let mut set = PeerSet::EMPTY;
        (0..self.config.members().len())
            .filter_map(PeerIndex::from_position)
            .filter(|&peer| peer != self.me)
            .for_each(|peer| set.insert(peer));
        set
    }

    /// The members ranked above this node.
    pub(crate) fn peers_above(&self) -> PeerSet {
        self.peers().filter(|peer| self.outranks(peer, self.me))
    }

    /// The members ranked below this node.
    pub(crate) fn peers_below(&self) -> PeerSet {
        self.peers().filter(|peer| self.outranks(self.me, peer))
    }

    /// Whether `peer` may lead (ordinary members of the candidate/ordinary algorithm may
    /// not).
    pub(crate) fn may_lead(&self, peer: PeerIndex) -> bool {
        self.member(peer).is_some_and(|m| m.candidate)
    }

    /// The tie-breaker delay δ of this node: `step` times the number of members ranked
    /// above it, so the highest-ranked node waits least.
    pub(crate) fn tie_breaker_delay(&self, step: Duration) -> Duration {
        self.tie_breaker_delay_without(step, None)
    }

    /// δ counting only the members above this node other than `gone` (a failed leader
    /// does not delay its successors).
    pub(crate) fn tie_breaker_delay_without(
        &self,
        step: Duration,
        gone: Option<PeerIndex>,
    ) -> Duration {
        let mut above = self.peers_above();
        if let Some(gone) = gone {
            above.remove(gone);
        }
        step.saturating_mul(above.len() as u64)
    }

    /// The highest-ranked member of `set`.
    pub(crate) fn highest(&self, set: PeerSet) -> Option<PeerIndex> {
        set.iter().max_by_key(|&peer| self.rank(peer))
    }

    /// When this node last heard the leader it follows, or followed last.
    pub(crate) fn leader_heard_at(&self) -> Instant {
        self.leader_heard_at
    }

    /// Whether this node follows a leader it still hears: heard within the last F − R (failure timeout less round-trip timeout). A live
    /// leader that can reach this node is heard every heartbeat interval, which the timing
    /// keeps well below F − R (Timing::LAN: 100 ms against 450 ms, so even a few lost
    /// heartbeats do not count). A leader that has gone silent is suspected by a member F
    /// after that member last heard it, and the others heard its last message within one
    /// delay of that member (below R/2), so when the suspicion reaches them (an
    /// `Election`, a token) they too last heard it more than F − R ago.
    pub(crate) fn hears_leader(&self) -> bool {
        let timing = self.config.timing;
        let window = timing.failure_timeout - timing.round_trip_timeout;
        self.role == Role::Follower
            && self.leader.is_some()
            && self.now < self.leader_heard_at + window
    }

    /// What this leader does about `rival`, which claims to lead in `term`.
    pub(crate) fn rivalry(&self, rival: PeerIndex, term: Term) -> Rivalry {
        if term < self.term {
            Rivalry::Ignore
        } else if self.outranks(rival, self.me) {
            Rivalry::Yield
        } else {
            Rivalry::Reassert
        }
    }

    // ---- Leadership and terms ----

    /// The reason for the changes of leadership that follow; returns the reason it
    /// replaces, for the engine to put back once the input is handled (an input that
    /// changes nothing then leaves the context exactly as it was).
    pub(crate) fn because(&mut self, cause: Cause) -> Cause {
        core::mem::replace(&mut self.cause, cause)
    }

    /// Records a change of role, leader or term, with its cause, and traces it.
    fn change(&mut self, role: Role, leader: Option<PeerIndex>, term: Term, cause: Cause) {
        if (role, leader, term) == (self.role, self.leader, self.term) {
            return;
        }
        if self.role == Role::Leader && (role != Role::Leader || term != self.term) {
            self.stepped_down_because = cause;
        }
        trace_at!(
            debug,
            "{}: {:?} -> {:?} in {}, leader {:?}: {}",
            self.id_of(self.me),
            self.role,
            role,
            term,
            leader.map(|peer| self.id_of(peer)),
            cause
        );
        self.changed_because = cause;
        self.role = role;
        self.leader = leader;
        self.term = term;
    }

    /// Follows `leader` in `term`, heard from just now, and (re)starts watching it.
    pub(crate) fn follow(&mut self, leader: PeerIndex, term: Term) {
        let from = self.id_of(leader);
        self.change(
            Role::Follower,
            Some(leader),
            term,
            Cause::LeaderHeard { from },
        );
        self.leader_heard_at = self.now;
        self.timers.stop(Slot::HEARTBEAT);
        self.retry_later();
    }

    /// Leads in `term`: heartbeats start, the failure detector stops.
    pub(crate) fn lead(&mut self, term: Term) {
        self.change(Role::Leader, Some(self.me), term, Cause::Elected);
        self.detector.stop();
        self.next_heartbeat();
    }

    /// Follows no leader in `term` and waits one failure timeout to hear one.
    pub(crate) fn await_leader(&mut self, term: Term) {
        self.change(Role::Follower, None, term, self.cause);
        self.timers.stop(Slot::HEARTBEAT);
        self.retry_later();
    }

    /// Stands for election: no leader is known until the election concludes.
    pub(crate) fn stand(&mut self) {
        self.change(Role::Candidate, None, self.term, self.cause);
        self.detector.stop();
        self.timers.stop(Slot::HEARTBEAT);
    }

    /// Moves on to `term` in the role this node has (a candidate campaigning in the next
    /// term, a node resuming the term it persisted before a restart). Terms only move
    /// forward here.
    pub(crate) fn adopt_term(&mut self, term: Term) {
        let term = self.term.max(term);
        // A candidate moving on to the next term campaigns for the reason it stood.
        let cause = match self.role {
            Role::Candidate => self.changed_because,
            _ => self.cause,
        };
        self.change(self.role, self.leader, term, cause);
    }

    /// Watches for a leader again after a failed attempt to elect one: the failure
    /// detector fires again one failure timeout from now.
    pub(crate) fn retry_later(&mut self) {
        self.detector.heard(self.now, &self.watch, &mut self.rng);
    }

    /// Like [`Context::retry_later`], but waits at least `wait` (plus jitter) when that
    /// is longer than the failure timeout: for an election that takes longer to conclude.
    pub(crate) fn retry_after(&mut self, wait: Duration) {
        let timing = Timing {
            failure_timeout: self.watch.failure_timeout.max(wait),
            ..self.watch
        };
        self.detector.heard(self.now, &timing, &mut self.rng);
    }

    // ---- Timers ----

    /// Arms `timer` to fire `after` from now (again, if it was armed).
    pub(crate) fn arm<T: AlgorithmTimer>(&mut self, timer: T, after: Duration) {
        self.timers.set(Slot::of(timer), self.now + after);
    }

    /// Arms `timer` to fire at `at` (again, if it was armed); a time already past fires at
    /// the next timeout.
    pub(crate) fn arm_at<T: AlgorithmTimer>(&mut self, timer: T, at: Instant) {
        self.timers.set(Slot::of(timer), at);
    }

    /// Disarms `timer`: what it waited for no longer matters.
    pub(crate) fn cancel<T: AlgorithmTimer>(&mut self, timer: T) {
        self.timers.stop(Slot::of(timer));
    }

    /// Arms the leader's heartbeat timer one heartbeat interval from now.
    fn next_heartbeat(&mut self) {
        let at = self.now + self.config.timing.heartbeat_interval;
        self.timers.set(Slot::HEARTBEAT, at);
    }

    // ---- Messages ----

    /// Queues a message of `kind` for `peer`; its contents are built when the host polls.
    pub(crate) fn send(&mut self, peer: PeerIndex, kind: Kind) {
        self.outbox.push(peer, kind);
    }

    /// Queues a message of `kind` for every member of `peers`: once for all of them when
    /// the medium can broadcast.
    pub(crate) fn send_many(&mut self, peers: PeerSet, kind: Kind) {
        self.outbox.push_many(peers, kind, self.config.broadcast);
    }

    /// Queues a message of `kind` for every other member.
    pub(crate) fn broadcast(&mut self, kind: Kind) {
        self.send_many(self.peers(), kind);
    }

    /// Withdraws every pending message of `kind` the host has not taken yet: its reason
    /// has gone away.
    pub(crate) fn retract(&mut self, kind: Kind) {
        self.outbox.cancel(kind);
    }

    /// The leader's heartbeat timer fired: send `kind` to every peer and re-arm.
    pub(crate) fn heartbeat(&mut self, kind: Kind) {
        if self.role == Role::Leader {
            self.broadcast(kind);
            self.next_heartbeat();
        }
    }

    // ---- Liveness ----

    /// Counts `peer` as heard from in the current liveness window.
    pub(crate) fn record_heard(&mut self, peer: PeerIndex) {
        self.heard.insert(peer);
    }

    /// The peers heard from since the last call, which starts a new window.
    pub(crate) fn take_heard(&mut self) -> PeerSet {
        core::mem::take(&mut self.heard)
    }

    // ---- The engine's inputs and outputs ----

    /// The host's clock reads `now`: this node's clock moves forward to it, never back.
    pub(crate) fn advance(&mut self, now: Instant) {
        self.now = self.now.max(now);
    }

    /// Takes what is due now, if anything: the failure detector's suspicion first, then
    /// the timer with the earliest deadline (each is taken once).
    pub(crate) fn take_due(&mut self) -> Option<Due> {
        if self.detector.take_expired(self.now) {
            return Some(Due::LeaderSilent);
        }
        Some(match self.timers.take_expired(self.now)? {
            Slot::HEARTBEAT => Due::Heartbeat,
            slot => Due::Timer(slot),
        })
    }

    /// The earliest instant at which the engine wants [`handle_timeout`] called.
    ///
    /// [`handle_timeout`]: crate::Engine::handle_timeout
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        match (self.timers.next_deadline(), self.detector.deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The pending message the host takes next, if any.
    pub(crate) fn next_message(&self) -> Option<(Recipient, Kind)> {
        self.outbox.peek()
    }

    /// The host took this message (or it was dropped): it is no longer pending.
    pub(crate) fn message_taken(&mut self, recipient: Recipient, kind: Kind) {
        self.outbox.remove(recipient, kind);
    }

    /// Whether any message is pending.
    pub(crate) fn has_messages(&self) -> bool {
        !self.outbox.is_empty()
    }
}
