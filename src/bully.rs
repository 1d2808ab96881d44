//! Bully election (SPEC 2.1). **Safety class: split brain possible** — under a network
//! partition each side elects its own leader; they reconcile when the partition heals.
//!
//! Rules, for a node `p`:
//! 1. When `p`'s failure detector suspects the leader (or `p` starts and hears none), `p`
//!    sends `Election` to every member ranked above it, except the suspected leader.
//! 2. A node asked by a lower one answers `Alive` (or, if it leads, `Coordinator`). It does
//!    not start an election of its own: the asker decides who proceeds.
//! 3. As soon as the highest node `p` asked has answered, or when the round-trip timeout
//!    ends, `p` sends `Proceed` to the highest node that answered and waits one more round
//!    trip for its `Coordinator`. If it does not come, `p` asks the next-highest answerer;
//!    when none is left, `p` starts over.
//! 4. If nobody above `p` answered, `p` leads: it takes an epoch one above the highest it
//!    has seen and sends `Coordinator` to every member ranked below it.
//! 5. A node asked to `Proceed` leads at once, announcing as in rule 4.
//! 6. Announcements (`Coordinator`, `Heartbeat`) are ordered by (epoch, rank): a follower
//!    switches to a leader with a higher pair. A leader that hears a higher-ranked leader
//!    yields to it; one that hears a lower-ranked leader reasserts itself in a new epoch,
//!    announcing to everyone.
//! 7. A node that follows a leader ranked below it challenges it (starts an election) as
//!    its [`Preemption`] option allows: at once (classic Bully), only once it has been up
//!    for a given time, or never. The last two are the stability option against a
//!    high-ranked node that keeps failing and coming back.
//!
//! The worked example of SPEC 2.1 takes exactly 9 messages: see the tests.

use crate::Role;
use crate::context::Context;
use crate::peers::{PeerIndex, PeerSet};
use crate::time::Duration;
use crate::timer::Timer;
use crate::wire::{Body, Kind, Term};

/// Options of the Bully algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BullyOptions {
    /// When a node challenges a healthy leader ranked below it.
    pub preemption: Preemption,
}

impl BullyOptions {
    /// Classic Bully: a higher-ranked node takes over as soon as it is up.
    pub const CLASSIC: BullyOptions = BullyOptions {
        preemption: Preemption::Immediate,
    };

    /// Bully with the given preemption rule.
    pub const fn new(preemption: Preemption) -> BullyOptions {
        BullyOptions { preemption }
    }
}

impl Default for BullyOptions {
    fn default() -> Self {
        BullyOptions::CLASSIC
    }
}

/// When a node may depose a healthy leader that ranks below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preemption {
    /// At once (classic Bully). A flapping high-ranked node causes an election every time
    /// it comes back.
    Immediate,
    /// Only once the node has been up (since its engine was created) for this long.
    AfterUptime(Duration),
    /// Never: a returning node follows the current leader until that leader fails.
    Never,
}

/// Where a node stands in the election it started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// No election of its own under way.
    Idle,
    /// `Election` went to `asked`; collecting `Alive` answers.
    Collecting { asked: PeerSet },
    /// Asked this node to proceed; waiting for its `Coordinator`.
    AwaitingCoordinator(PeerIndex),
}

/// The Bully state of one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Bully {
    options: BullyOptions,
    phase: Phase,
    /// Nodes that answered `Alive` in the current election.
    answered: PeerSet,
    /// The leader whose failure started the current election: not asked to answer.
    suspect: Option<PeerIndex>,
    /// The highest epoch seen in any message; a new leader takes the next one.
    highest_term: Term,
}

impl Bully {
    pub(crate) fn new(options: BullyOptions) -> Bully {
        Bully {
            options,
            phase: Phase::Idle,
            answered: PeerSet::EMPTY,
            suspect: None,
            highest_term: Term(0),
        }
    }

    /// The term every outgoing message carries: the highest epoch seen, so that a node
    /// asked to proceed learns the epoch it must exceed.
    pub(crate) fn message_term(&self) -> Term {
        self.highest_term
    }

    pub(crate) fn body(&self, kind: Kind) -> Body {
        match kind {
            Kind::Heartbeat => Body::Heartbeat,
            Kind::Election => Body::Election,
            Kind::Alive => Body::Alive,
            Kind::Proceed => Body::Proceed,
            Kind::Coordinator => Body::Coordinator,
        }
    }

    pub(crate) fn handle_message<const N: usize>(
        &mut self,
        cx: &mut Context<N>,
        from: PeerIndex,
        term: Term,
        body: &Body,
    ) {
        self.highest_term = self.highest_term.max(term);
        match body {
            Body::Heartbeat | Body::Coordinator => self.on_announcement(cx, from, term),
            Body::Election => {
                if cx.outranks(cx.me, from) {
                    let answer = if cx.role == Role::Leader {
                        Kind::Coordinator
                    } else {
                        Kind::Alive
                    };
                    cx.send(from, answer);
                }
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
            Body::Proceed => {
                if cx.outranks(cx.me, from) {
                    if cx.role == Role::Leader {
                        cx.send(from, Kind::Coordinator);
                    } else {
                        self.lead(cx, cx.peers_below());
                    }
                }
            }
        }
    }

    pub(crate) fn handle_timer<const N: usize>(&mut self, cx: &mut Context<N>, timer: Timer) {
        match timer {
            Timer::Round => match self.phase {
                Phase::Idle => {}
                Phase::Collecting { .. } => match cx.highest(self.answered) {
                    Some(highest) => self.ask_to_proceed(cx, highest),
                    None => self.lead(cx, cx.peers_below()),
                },
                Phase::AwaitingCoordinator(silent) => {
                    self.answered.remove(silent);
                    match cx.highest(self.answered) {
                        Some(next) => self.ask_to_proceed(cx, next),
                        None => self.start_election(cx),
                    }
                }
            },
            Timer::Preempt => {
                if cx.role == Role::Follower && cx.leader.is_some_and(|l| cx.outranks(cx.me, l)) {
                    self.start_election(cx);
                }
            }
            Timer::Heartbeat => {}
        }
    }

    /// The failure detector suspects the leader (or no leader was heard since start).
    pub(crate) fn handle_leader_silent<const N: usize>(&mut self, cx: &mut Context<N>) {
        self.suspect = cx.leader;
        self.start_election(cx);
    }

    fn on_announcement<const N: usize>(
        &mut self,
        cx: &mut Context<N>,
        from: PeerIndex,
        term: Term,
    ) {
        if cx.role == Role::Leader {
            if cx.outranks(from, cx.me) {
                self.follow(cx, from, term);
            } else if term >= cx.term {
                self.lead(cx, cx.peers());
            } else {
                // A stale lower-ranked leader: remind it who leads now.
                cx.send(from, Kind::Coordinator);
            }
            return;
        }
        let accept = match cx.leader {
            Some(leader) if leader == from => term >= cx.term,
            Some(leader) => (term, cx.rank(from)) > (cx.term, cx.rank(leader)),
            None if cx.role == Role::Candidate => cx.outranks(from, cx.me),
            None => true,
        };
        if accept {
            self.follow(cx, from, term);
        }
    }

    fn follow<const N: usize>(&mut self, cx: &mut Context<N>, leader: PeerIndex, term: Term) {
        self.end_election(cx);
        self.suspect = None;
        cx.follow(leader, term);
        if !cx.outranks(cx.me, leader) {
            cx.timers.stop(Timer::Preempt);
            return;
        }
        match self.options.preemption {
            Preemption::Immediate => self.start_election(cx),
            Preemption::AfterUptime(wait) if cx.uptime() >= wait => self.start_election(cx),
            Preemption::AfterUptime(wait) => {
                if !cx.timers.is_armed(Timer::Preempt) {
                    cx.timers.set(Timer::Preempt, cx.started_at + wait);
                }
            }
            Preemption::Never => {}
        }
    }

    fn start_election<const N: usize>(&mut self, cx: &mut Context<N>) {
        self.end_election(cx);
        let mut asked = cx.peers_above();
        if let Some(suspect) = self.suspect {
            asked.remove(suspect);
        }
        if asked.is_empty() {
            self.lead(cx, cx.peers_below());
            return;
        }
        cx.stand();
        cx.send_many(asked, Kind::Election);
        self.phase = Phase::Collecting { asked };
        let wait = cx.config.timing.round_trip_timeout;
        cx.set_timer(Timer::Round, wait);
    }

    fn ask_to_proceed<const N: usize>(&mut self, cx: &mut Context<N>, peer: PeerIndex) {
        cx.send(peer, Kind::Proceed);
        self.phase = Phase::AwaitingCoordinator(peer);
        let wait = cx.config.timing.round_trip_timeout;
        cx.set_timer(Timer::Round, wait);
    }

    /// Leads in a new epoch and announces it to `audience`.
    fn lead<const N: usize>(&mut self, cx: &mut Context<N>, audience: PeerSet) {
        self.end_election(cx);
        self.suspect = None;
        self.highest_term = self.highest_term.max(cx.term).next();
        cx.lead(self.highest_term);
        cx.timers.stop(Timer::Preempt);
        cx.send_many(audience, Kind::Coordinator);
    }

    fn end_election<const N: usize>(&mut self, cx: &mut Context<N>) {
        self.phase = Phase::Idle;
        self.answered = PeerSet::EMPTY;
        cx.timers.stop(Timer::Round);
        cx.outbox.cancel(Kind::Election);
        cx.outbox.cancel(Kind::Proceed);
    }
}
