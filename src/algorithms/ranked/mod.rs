//! Rank-based election: the rules shared by [Bully](super::bully),
//! [next-in-line failover](super::next_in_line) and
//! [candidate/ordinary](super::candidates). **Safety class: split brain possible.**
//!
//! A follower *still hears* its leader if it heard from it within the failure timeout
//! less the round-trip timeout, F − R: a live leader it can hear is heard every heartbeat
//! interval, while a leader that has gone silent was last heard more than F − R ago by
//! every member by the time any of them suspects it (see `Context::hears_leader`).
//!
//! Shared rules, for a node `p`:
//! 1. `p` asks the members that may lead and rank above it (all members that may lead, if
//!    `p` itself may not) with `Election`, except the leader it suspects.
//! 2. A member asked by one it outranks (or by an ordinary member) answers `Alive`, or
//!    `Coordinator` if it leads. It does not start an election of its own.
//! 3. As soon as the highest member `p` asked has answered, or when the round-trip timeout
//!    ends, `p` sends `Proceed` to the highest that answered and waits one more round trip
//!    for its `Coordinator`; if it does not come, `p` asks the next-highest answerer. When
//!    none is left, every member above `p` that answered has died or declined (rule 5),
//!    and `p` goes on as in rule 4.
//! 4. If nobody answered, `p` leads if it may; an ordinary `p` tries again one failure
//!    timeout later.
//! 5. A node asked to `Proceed` (or, next-in-line, to `TakeOver`) leads at once, unless it
//!    follows a leader that it still hears, or whose epoch is newer than the asker's: the
//!    asker is cut off from a live leader (or missed its announcement), and taking over
//!    would depose that leader. It declines by saying nothing. A leader so asked answers
//!    `Coordinator`. A new leader takes an epoch one above the highest it has seen and
//!    announces it with `Coordinator`, less the member it replaces; it then sends
//!    heartbeats. Every message carries the epoch of the leader its sender follows,
//!    replaces or is.
//! 6. Announcements (`Coordinator` and heartbeats) are ordered by (epoch, rank): a
//!    follower switches to a leader whose pair beats its own leader's, but away from a
//!    leader it still hears only to one that outranks it; a candidate accepts a leader that
//!    outranks it. A leader gives way to rank only: it yields to a higher-ranked leader of
//!    its epoch or a newer one, reasserts itself in a new epoch, announced to every member,
//!    over a lower-ranked leader of its epoch or a newer one, and ignores a leader of an
//!    older epoch (that leader settles the matter itself when it hears this one's
//!    heartbeats, which go to every member; when it cannot hear them, no answer would
//!    reach it either).
//! 7. A follower that may lead and outranks its leader challenges it as its [`Preemption`]
//!    option allows.
//!
//! Each algorithm adds its own step, as the [`Strategy`] these rules consult: Bully
//! announces only to lower-ranked members; next-in-line first asks the leader's published
//! successors to take over; candidate/ordinary waits a tie-breaker delay before it starts.
//!
//! **Settling.** Under a partition each side elects its own leader, and with links cut
//! one way only, or a node that hears two nodes that cannot hear each other, several
//! leaders can last as long as the topology does. But in any topology that stops
//! changing, every node's view of the leader stops changing:
//! - No one takes over from a leader it still hears (rule 5), and no follower leaves a
//!   leader it still hears for a lower-ranked one (rule 6). So the members that lose a
//!   live leader elect one of their own that cannot hear it either, and the members that
//!   still hear it keep following it: the new leader's announcements take nobody away.
//! - A leader stops leading only by yielding to a higher-ranked leader it hears (rule 6),
//!   so leaders cannot depose each other in a cycle; a follower that keeps hearing its
//!   leader never suspects it, and can move only to higher-ranked leaders.
//! - Epochs rise only when a node takes over, or when a leader reasserts itself over a
//!   lower-ranked one whose epoch has caught up with its own; the lower-ranked leader
//!   yields if it hears the reassertion and otherwise leads on in its older epoch, which
//!   the higher one ignores from then on. Nothing answers a leader of an older epoch, so
//!   no exchange between two leaders repeats.
//!
//! When links to a live leader H are cut from a set of members, those members suspect H
//! within the failure timeout plus its jitter, F + J, elect within one election (for
//! Bully 2D + (n − 2)R at most, D the one-way delay: every member above that still hears H
//! declines within one round trip), and H, if it hears the new leader's heartbeat,
//! reasserts itself over it within h + 2D: all views are final F + J + E + h + 2D after
//! the change (`tests/churn.rs` derives E for each algorithm and checks the bound).

mod strategy;

pub(crate) use strategy::{Step, Strategy};

use crate::Role;
use crate::algorithms::Protocol;
use crate::context::{Context, Rivalry};
use crate::outbox::Recipient;
use crate::peers::{PeerIndex, PeerSet};
use crate::time::Duration;
use crate::timer::{AlgorithmTimer, Slot};
use crate::wire::{Body, Kind, Successors, Term};

/// When a node may depose a healthy leader that ranks below it: the stability option
/// against a high-ranked node that keeps failing and coming back (VRRP calls it preempt).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Preemption {
    /// At once (classic Bully). A flapping high-ranked node causes an election every time
    /// it comes back.
    Immediate,
    /// Only once the node has been up (since its engine was created) for this long.
    AfterUptime(Duration),
    /// Never: a returning node follows the current leader until that leader fails.
    Never,
}

/// What a node of a rank-based election waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RankedTimer {
    /// Its tie-breaker delay, after which it starts its election (candidate/ordinary).
    TieBreakerDelay,
    /// The successor it asked to `TakeOver` announces itself within a round trip
    /// (next-in-line).
    TakeOverAnnouncement,
    /// The members it asked with `Election` answer `Alive` within a round trip.
    AliveAnswers,
    /// The member it asked to `Proceed` announces itself within a round trip.
    ProceedAnnouncement,
    /// It has been up long enough to depose a lower-ranked leader
    /// ([`Preemption::AfterUptime`]).
    PreemptionUptime,
}

impl AlgorithmTimer for RankedTimer {
    const ALL: &'static [RankedTimer] = &[
        RankedTimer::TieBreakerDelay,
        RankedTimer::TakeOverAnnouncement,
        RankedTimer::AliveAnswers,
        RankedTimer::ProceedAnnouncement,
        RankedTimer::PreemptionUptime,
    ];
}

/// Where a node stands in the election it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Phase {
    /// No election of its own under way.
    Idle,
    /// Waiting out its tie-breaker delay before starting (candidate/ordinary).
    #[cfg(feature = "candidates")]
    TieBreak,
    /// Asked this successor (by position in the list) to take over (next-in-line).
    #[cfg(feature = "next-in-line")]
    TryingSuccessor(usize),
    /// `Election` went to `asked`; collecting `Alive` answers.
    Collecting { asked: PeerSet },
    /// Asked this node to proceed; waiting for its `Coordinator`.
    AwaitingCoordinator(PeerIndex),
}

impl Phase {
    /// The timer that ends this phase's wait.
    fn timer(self) -> Option<RankedTimer> {
        match self {
            Phase::Idle => None,
            #[cfg(feature = "candidates")]
            Phase::TieBreak => Some(RankedTimer::TieBreakerDelay),
            #[cfg(feature = "next-in-line")]
            Phase::TryingSuccessor(_) => Some(RankedTimer::TakeOverAnnouncement),
            Phase::Collecting { .. } => Some(RankedTimer::AliveAnswers),
            Phase::AwaitingCoordinator(_) => Some(RankedTimer::ProceedAnnouncement),
        }
    }
}

/// The state of one node in a rank-based election, with the strategy of the algorithm it
/// runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Ranked<S> {
    strategy: S,
    preemption: Preemption,
    phase: Phase,
    /// Nodes that answered `Alive` in the current election.
    answered: PeerSet,
    /// The leader whose failure started the current election: not asked to answer.
    suspect: Option<PeerIndex>,
    /// The highest epoch seen in any message; a new leader takes the next one.
    highest_term: Term,
}

impl<S: Strategy> Ranked<S> {
    /// A node that runs no election yet, with `strategy` and the given preemption rule.
    pub(crate) fn new(strategy: S, preemption: Preemption) -> Ranked<S> {
        Ranked {
            strategy,
            preemption,
            phase: Phase::Idle,
            answered: PeerSet::EMPTY,
            suspect: None,
            highest_term: Term(0),
        }
    }

    /// Whether this node may answer `peer`'s `Election` or take over when `peer` asks: it
    /// may lead, and outranks `peer` unless `peer` is ordinary.
    fn stands_above<const N: usize>(cx: &Context<N>, peer: PeerIndex) -> bool {
        cx.may_lead(cx.me()) && (!cx.may_lead(peer) || cx.outranks(cx.me(), peer))
    }

    /// Rule 6: `from` announces that it leads in `term` (a `Coordinator` or a heartbeat).
    fn on_announcement<const N: usize>(
        &mut self,
        cx: &mut Context<N>,
        from: PeerIndex,
        term: Term,
    ) {
        if !cx.may_lead(from) {
            return;
        }
        if cx.role() == Role::Leader {
            match cx.rivalry(from, term) {
                Rivalry::Yield => self.follow(cx, from, term),
                Rivalry::Reassert => self.lead(cx, cx.peers()),
                Rivalry::Ignore => {}
            }
            return;
        }
        let accept = match cx.leader() {
            Some(leader) if leader == from => term >= cx.term(),
            Some(leader) => {
                (term, cx.rank(from)) > (cx.term(), cx.rank(leader))
                    && (cx.outranks(from, leader) || !cx.hears_leader())
            }
            None if cx.role() == Role::Candidate => {
                cx.outranks(from, cx.me()) || !cx.may_lead(cx.me())
            }
            None => true,
        };
        if accept {
            self.follow(cx, from, term);
        }
    }

    /// Follows `leader` in `term`, heard just now; challenges it if rule 7 allows.
    fn follow<const N: usize>(&mut self, cx: &mut Context<N>, leader: PeerIndex, term: Term) {
        if cx.leader() != Some(leader) {
            self.strategy.leader_replaced();
        }
        self.end_election(cx);
        self.suspect = None;
        cx.follow(leader, term);
        if !(cx.may_lead(cx.me()) && cx.outranks(cx.me(), leader)) {
            cx.cancel(RankedTimer::PreemptionUptime);
            return;
        }
        match self.preemption {
            Preemption::Immediate => self.start_election(cx),
            Preemption::AfterUptime(wait) if cx.uptime() >= wait => self.start_election(cx),
            Preemption::AfterUptime(wait) => {
                if !cx.is_armed(RankedTimer::PreemptionUptime) {
                    cx.arm_at(RankedTimer::PreemptionUptime, cx.started_at() + wait);
                }
            }
            Preemption::Never => {}
        }
    }

    /// Rules 1 and 4: asks the members that may lead above this node, or leads (or retries)
    /// if there are none.
    fn start_election<const N: usize>(&mut self, cx: &mut Context<N>) {
        self.end_election(cx);
        let mut asked = cx.peers().filter(|peer| {
            cx.may_lead(peer) && (!cx.may_lead(cx.me()) || cx.outranks(peer, cx.me()))
        });
        if let Some(suspect) = self.suspect {
            asked.remove(suspect);
        }
        if !asked.is_empty() {
            cx.stand();
            cx.send_many(asked, Kind::Election);
            let wait = cx.config().timing.round_trip_timeout;
            self.enter(cx, Phase::Collecting { asked }, wait);
        } else {
            self.lead_or_retry(cx);
        }
    }

    /// Rule 4: nobody above answered, or all that did declined.
    fn lead_or_retry<const N: usize>(&mut self, cx: &mut Context<N>) {
        if cx.may_lead(cx.me()) {
            self.lead(cx, self.strategy.audience(cx));
        } else {
            // No candidate is reachable; an ordinary node can only try again later.
            cx.stand();
            cx.retry_later();
        }
    }

    /// Rule 3: asks `peer`, which answered, to take over.
    fn ask_to_proceed<const N: usize>(&mut self, cx: &mut Context<N>, peer: PeerIndex) {
        cx.send(peer, Kind::Proceed);
        let wait = cx.config().timing.round_trip_timeout;
        self.enter(cx, Phase::AwaitingCoordinator(peer), wait);
    }

    /// Moves on to `phase`, whose wait ends `wait` from now; the wait of the phase it
    /// leaves is over.
    fn enter<const N: usize>(&mut self, cx: &mut Context<N>, phase: Phase, wait: Duration) {
        self.end_wait(cx);
        self.phase = phase;
        if let Some(timer) = phase.timer() {
            cx.arm(timer, wait);
        }
    }

    /// Cancels the timer of the current phase's wait, if it has not fired.
    fn end_wait<const N: usize>(&mut self, cx: &mut Context<N>) {
        if let Some(timer) = self.phase.timer() {
            cx.cancel(timer);
        }
    }

    /// Leads in a new epoch and announces it to `audience`, less the suspected leader.
    fn lead<const N: usize>(&mut self, cx: &mut Context<N>, mut audience: PeerSet) {
        if let Some(gone) = self.suspect.take() {
            audience.remove(gone);
        }
        self.end_election(cx);
        self.strategy.leader_replaced();
        self.highest_term = self.highest_term.max(cx.term()).next();
        cx.lead(self.highest_term);
        cx.cancel(RankedTimer::PreemptionUptime);
        cx.send_many(audience, Kind::Coordinator);
    }

    /// Ends this node's own election, and withdraws its requests the host has not sent.
    fn end_election<const N: usize>(&mut self, cx: &mut Context<N>) {
        self.end_wait(cx);
        self.phase = Phase::Idle;
        self.answered = PeerSet::EMPTY;
        cx.retract(Kind::Election);
        cx.retract(Kind::Proceed);
        cx.retract(Kind::TakeOver);
    }

    /// The successor list this node publishes: its strategy's while it leads, else none.
    fn published_successors<const N: usize>(&self, cx: &Context<N>) -> Successors {
        if cx.role() == Role::Leader {
            self.strategy.successors_to_publish(cx)
        } else {
            Successors::new()
        }
    }

    /// Goes on as the strategy said, when the leader is suspected or a successor silent.
    fn proceed<const N: usize>(&mut self, cx: &mut Context<N>, step: Step) {
        match step {
            Step::Elect => self.start_election(cx),
            #[cfg(feature = "next-in-line")]
            Step::Lead => {
                let audience = self.strategy.audience(cx);
                self.lead(cx, audience);
            }
            #[cfg(feature = "next-in-line")]
            Step::AskToTakeOver { position, peer } => {
                self.end_election(cx);
                cx.stand();
                let wait = cx.config().timing.round_trip_timeout;
                self.enter(cx, Phase::TryingSuccessor(position), wait);
                cx.send(peer, Kind::TakeOver);
            }
            #[cfg(feature = "candidates")]
            Step::WaitTieBreaker(delay) => {
                self.end_election(cx);
                cx.stand();
                self.enter(cx, Phase::TieBreak, delay);
            }
        }
    }
}

impl<const N: usize, S: Strategy> Protocol<N> for Ranked<S> {
    /// The epoch of the leader this node follows or replaces (its own while it leads): an
    /// asked node can tell from it whether the asker has missed a newer leader.
    fn message_term(&self, cx: &Context<N>, _kind: Kind) -> Term {
        cx.term()
    }

    fn body(&self, cx: &Context<N>, kind: Kind, _to: Recipient) -> Option<Body> {
        Some(match kind {
            Kind::Heartbeat => Body::Heartbeat {
                successors: self.published_successors(cx),
            },
            Kind::Coordinator => Body::Coordinator {
                successors: self.published_successors(cx),
            },
            Kind::Election => Body::Election,
            Kind::Alive => Body::Alive,
            Kind::Proceed => Body::Proceed,
            Kind::TakeOver => Body::TakeOver,
            _ => return None,
        })
    }

    fn handle_message(&mut self, cx: &mut Context<N>, from: PeerIndex, term: Term, body: &Body) {
        self.highest_term = self.highest_term.max(term);
        match body {
            Body::Heartbeat { successors } | Body::Coordinator { successors } => {
                self.on_announcement(cx, from, term);
                if cx.leader() == Some(from) && cx.role() == Role::Follower {
                    self.strategy.leader_published(successors);
                }
            }
            Body::Election if Self::stands_above(cx, from) => {
                let answer = if cx.role() == Role::Leader {
                    Kind::Coordinator
                } else {
                    Kind::Alive
                };
                cx.send(from, answer);
            }
            Body::Alive => {
                if let Phase::Collecting { asked } = self.phase
                    && asked.contains(from)
                {
                    self.answered.insert(from);
                    if cx.highest(asked) == Some(from) {
                        self.ask_to_proceed(cx, from);
                    }
                }
            }
            Body::Proceed | Body::TakeOver => {
                let asked_by_right = matches!(body, Body::TakeOver) || Self::stands_above(cx, from);
                // Rule 5: an asker still on an older epoch than this node's leader missed
                // that leader's announcement, and one whose leader this node still hears
                // is cut off from it; either way taking over would depose a live leader.
                let leader_lives =
                    cx.role() == Role::Follower && (term < cx.term() || cx.hears_leader());
                if cx.role() == Role::Leader {
                    cx.send(from, Kind::Coordinator);
                } else if cx.may_lead(cx.me()) && asked_by_right && !leader_lives {
                    // The asker found the leader gone: no point announcing to it.
                    let mut audience = self.strategy.audience(cx);
                    if let Some(gone) = cx.leader() {
                        audience.remove(gone);
                    }
                    self.lead(cx, audience);
                }
            }
            _ => {}
        }
    }

    fn handle_timer(&mut self, cx: &mut Context<N>, timer: Slot) {
        let Some(timer) = timer.timer() else {
            return;
        };
        match (timer, self.phase) {
            #[cfg(feature = "candidates")]
            (RankedTimer::TieBreakerDelay, Phase::TieBreak) => self.start_election(cx),
            #[cfg(feature = "next-in-line")]
            (RankedTimer::TakeOverAnnouncement, Phase::TryingSuccessor(position)) => {
                let step = self.strategy.successor_silent(cx, self.suspect, position);
                self.proceed(cx, step);
            }
            (RankedTimer::AliveAnswers, Phase::Collecting { .. }) => {
                match cx.highest(self.answered) {
                    Some(highest) => self.ask_to_proceed(cx, highest),
                    None => self.lead_or_retry(cx),
                }
            }
            (RankedTimer::ProceedAnnouncement, Phase::AwaitingCoordinator(silent)) => {
                self.answered.remove(silent);
                match cx.highest(self.answered) {
                    Some(next) => self.ask_to_proceed(cx, next),
                    None => self.lead_or_retry(cx),
                }
            }
            (RankedTimer::PreemptionUptime, _)
                if cx.role() == Role::Follower
                    && cx.leader().is_some_and(|l| cx.outranks(cx.me(), l)) =>
            {
                self.start_election(cx);
            }
            _ => {}
        }
    }

    fn handle_leader_silent(&mut self, cx: &mut Context<N>) {
        self.suspect = cx.leader();
        let step = self.strategy.leader_silent(cx, self.suspect);
        self.proceed(cx, step);
    }
}
