//! Ring election (Chang and Roberts, 1979). **Safety class: split brain possible** — under a network
//! partition each side's ring skips the members it cannot reach and elects its own leader.
//!
//! The members form a ring in id order (the configuration's member list), wrapping around;
//! a node's successor is the next member. Epochs number elections: a node opens epoch
//! `e + 1` above its current epoch `e`, the highest it has seen in any message (a leader
//! takes on a newer epoch only as rule 7 says), and every message it sends carries its
//! current epoch. A follower *still hears* its leader if it heard from it within the
//! failure timeout less the round-trip timeout, F − R (see `Context::hears_leader`). Rules,
//! for a node `p`:
//!
//! 1. **Forwarding.** Every token `p` sends is acknowledged with `RingAck`. If the ack does
//!    not come within the round-trip timeout, `p` sends the token once more (a lost message
//!    must not cut a live member out); if that is not acked either, `p` sends the token to
//!    the member after the silent one, and so on; a token that comes all the way back to
//!    `p` this way has returned. If the silent member is the election's own initiator,
//!    every node after it has already forwarded its token and would swallow it: `p` starts
//!    an election of its own instead (rule 2). `p` has one token in flight: a result
//!    replaces a pending election token, and a newer epoch drops an older epoch's token.
//! 2. **Starting.** When `p`'s failure detector suspects its leader (or no leader was heard
//!    since start), `p` opens a new epoch, stands for election and sends its successor an
//!    election token: the members it has passed (`RingElection`, full list) or only the
//!    highest-ranked of them (`RingMax`, max-only), so far just `p`.
//! 3. **Relaying.** `p` acks every token it takes part in. It adds itself to an election
//!    token of its current epoch and forwards it, unless in that epoch it has already
//!    started or forwarded the election of an initiator ranked at least as high, or already
//!    knows the result: then it swallows the token. Tokens of an epoch older than the
//!    highest `p` has seen are swallowed too. Forwarding re-arms `p`'s failure detector: it
//!    waits for the result the longer of one failure timeout and two laps of the ring at
//!    two round-trip timeouts per hop, the most an election and its result can take. A
//!    follower that still hears its leader takes no part in another node's election of a
//!    newer epoch than its leader's: it neither acks nor forwards the token, so that its
//!    sender skips it as if it were silent and the members that lost the leader elect one
//!    of their own. (A leader stops election tokens instead: rule 7.)
//! 4. **Result.** When the initiator's own token returns, the highest-ranked member in it
//!    leads. The initiator follows it (or leads) in the epoch and circulates `RingLeader`
//!    as in rule 1; each node it passes follows that leader (the leader leads) and forwards
//!    it, unless the node already knows an equal or higher-ranked result of the epoch. It
//!    stops at its initiator. A leader takes no part in a result that elects another node
//!    (following it would be a yield that rule 6 does not make: rival leaders settle by
//!    rank), nor does a follower that still hears its leader in the result of a newer
//!    epoch than its leader's (as in rule 3), unless the result elects it. An election
//!    token that comes back by skipping to a node that did not start it means every other
//!    member is silent: that node starts its own.
//! 5. **Retry.** If a node's failure detector fires again before a result arrives, it
//!    starts a new election (rule 2).
//! 6. **Leaders.** A leader heartbeats every member. A follower keeps following its
//!    leader's heartbeats and switches to another leader whose (epoch, rank) pair beats
//!    its own leader's; a node that knows no leader (just restarted, or standing for
//!    election) follows the first heartbeat it hears. An initiator that so finds a live
//!    leader abandons its election: its token is dropped if still in flight and
//!    swallowed if it comes back. (Otherwise a token started during a partition, which
//!    skipped the far side, could come back after the heal and depose a healthy leader
//!    with a partial result.) A leader gives way to rank only: it yields to a
//!    higher-ranked leader of its epoch or a newer one; over a lower-ranked leader of its
//!    epoch or a newer one it reasserts itself, opening a new epoch above that leader's,
//!    leading in it and heartbeating every member at once; a leader of an older epoch it
//!    ignores.
//! 7. **A live leader stops elections.** A leader that receives an election token acks
//!    it, forwards nothing and heartbeats the initiator at once, in its own epoch: the
//!    initiator follows it if it can hear it, and the nodes that forwarded the token never
//!    stopped following it. A leader's epoch changes only by a result that elects it, by
//!    reasserting itself (rule 6) or by yielding (acks and tokens of newer epochs do not
//!    raise it), so its heartbeats always carry the epoch it leads in: its fencing token.
//!
//! **Storm bound.** Within one epoch a node forwards a token only if its initiator outranks
//! every initiator it has started or forwarded, so the highest-ranked initiator's token is
//! the only one that no node swallows: on a healthy network exactly one election per epoch
//! completes. With `k` concurrent initiators in a ring of `n` members, each node forwards
//! at most one token per initiator: at most `k·n` election-token hops, and `k(k+1)/2` when
//! all `k` live members start at once (a node forwards only the tokens of initiators
//! ranked above it), plus two extra sends per dead member each token has to skip. A node
//! opens a new epoch only when its failure detector fires, which is at least one failure
//! timeout (and two ring laps) after it last forwarded a token, so epochs do not storm
//! either.
//!
//! **After a partition heals** the leaders hear each other's heartbeats: the highest-ranked
//! of them reasserts itself over the others in a new epoch and they yield to it, and their
//! followers follow it: the group agrees on one leader, the highest-ranked of the leaders
//! — not necessarily the highest-ranked live member, since ring election never deposes a
//! healthy leader; the highest-ranked member leads after the next election.
//!
//! **Settling.** With links cut one way only, or a node that hears two nodes that cannot
//! hear each other, several leaders can last as long as the topology does; but in any
//! topology that stops changing, every node's view of the leader stops changing:
//! - The members that still hear a live leader take no part in the elections of those
//!   that lost it (rules 3 and 4), so those elect one of their own that cannot hear it
//!   either. A live leader stops an election that reaches it without changing its epoch
//!   (rule 7): a member that cannot hear it makes it re-announce nothing.
//! - Leaders give way to rank only (rules 4 and 6), so they cannot depose each other in a
//!   cycle, as leaders that yielded to any newer epoch did: with three members each
//!   hearing only the next, every yield left followers that elected a yet newer leader,
//!   which deposed the next one, forever. A leader stops leading only by yielding to a
//!   higher-ranked leader it hears.
//! - Epochs rise only by an election among members that hear no leader, or by a leader
//!   reasserting itself over a lower-ranked one whose epoch has caught up with its own,
//!   once for each such epoch. A follower moves between leaders only when their (epoch,
//!   rank) pairs change, so it stops moving when the epochs stop rising.
//!
//! The full-list token costs up to 10 bytes for its member bitmap; the max-only token has
//! a fixed size (two node ids) whatever the ring's size.

use crate::Role;
use crate::algorithms::Protocol;
use crate::config::{AlgorithmOptions, ConfigError, Member, refuse_ordinary_members};
use crate::context::{Context, Rivalry};
use crate::outbox::Recipient;
use crate::peers::{PeerIndex, PeerSet};
use crate::time::Duration;
use crate::timer::{AlgorithmTimer, Slot};
use crate::wire::{Body, Kind, Successors, Term};

/// Which ring election message is circulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RingVariant {
    /// The token carries every node it passed.
    FullList,
    /// The token carries only the highest-ranked node it passed.
    MaxOnly,
}

/// Options of ring election.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RingOptions {
    /// Which message variant circulates.
    pub variant: RingVariant,
}

impl RingOptions {
    /// Ring election with the given variant.
    pub const fn new(variant: RingVariant) -> RingOptions {
        RingOptions { variant }
    }
}

impl AlgorithmOptions for RingOptions {
    /// The ring elects every member, so none may be ordinary.
    fn validate_without_timing(&self, members: &[Member]) -> Result<(), ConfigError> {
        refuse_ordinary_members(members)
    }
}

/// What a node has done in its current epoch (the highest it has seen).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Stage {
    /// Nothing yet.
    Open,
    /// It started or forwarded the election of `champion`, the highest-ranked initiator it
    /// has seen in this epoch (itself while its own election is the best it knows).
    Electing { champion: PeerIndex },
    /// It applied this epoch's result.
    Decided { leader: PeerIndex },
}

/// A token travelling around the ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Token {
    /// An election: who started it, and the members it has passed (max-only: only the
    /// highest-ranked of them).
    Election {
        initiator: PeerIndex,
        participants: PeerSet,
    },
    /// An election's result, circulated until it is back at its initiator.
    Result {
        initiator: PeerIndex,
        leader: PeerIndex,
    },
}

impl Token {
    /// The node whose election this token belongs to.
    fn initiator(self) -> PeerIndex {
        match self {
            Token::Election { initiator, .. } | Token::Result { initiator, .. } => initiator,
        }
    }
}

/// What a ring node waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RingTimer {
    /// The receiver of the token in flight acknowledges it within a round trip (rule 1).
    TokenAck,
}

impl AlgorithmTimer for RingTimer {
    const ALL: &'static [RingTimer] = &[RingTimer::TokenAck];
}

/// The token this node sent last, until its receiver acknowledges it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct InFlight {
    token: Token,
    /// The member it was sent to. Its ack is due when [`RingTimer::TokenAck`] fires;
    /// after a second silent wait `to` is presumed dead and the token goes to the member
    /// after it.
    to: PeerIndex,
    /// Whether the token was already sent to `to` a second time.
    resent: bool,
}

/// The ring state of one node.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Ring {
    options: RingOptions,
    /// The current epoch: the highest seen in any message or opened here (a leader takes
    /// on newer epochs only by a result, by reasserting itself, or by yielding: rule 7).
    /// Every message carries it, and the token in flight belongs to it.
    highest_term: Term,
    /// What this node has done in epoch `highest_term`.
    stage: Stage,
    /// The token awaiting its ack, if any.
    in_flight: Option<InFlight>,
}

impl Ring {
    /// A node that has seen no epoch and carries no token.
    pub(crate) fn new(options: RingOptions) -> Ring {
        Ring {
            options,
            highest_term: Term(0),
            stage: Stage::Open,
            in_flight: None,
        }
    }

    /// Raises the highest epoch seen to `term`. A newer epoch starts with a clean stage and
    /// drops the older epoch's token in flight.
    fn observe<const N: usize>(&mut self, cx: &mut Context<N>, term: Term) {
        if term > self.highest_term {
            self.highest_term = term;
            self.stage = Stage::Open;
            self.drop_in_flight(cx);
        }
    }

    /// Rule 2: opens a new epoch and sends this node's election token to its successor.
    fn start_election<const N: usize>(&mut self, cx: &mut Context<N>) {
        self.observe(cx, self.highest_term.next());
        self.stage = Stage::Electing { champion: cx.me() };
        cx.stand();
        cx.retry_after(lap_bound(cx));
        let participants = self.joined(cx, PeerSet::EMPTY);
        let token = Token::Election {
            initiator: cx.me(),
            participants,
        };
        self.pass_on(cx, token, cx.me());
    }

    /// Rule 1: sends `token` to the member after `after` in ring order and waits for its
    /// ack; a token that would go to this node has returned.
    fn pass_on<const N: usize>(&mut self, cx: &mut Context<N>, token: Token, after: PeerIndex) {
        self.drop_in_flight(cx);
        let next = successor(cx, after);
        if next == cx.me() {
            self.returned(cx, token);
            return;
        }
        cx.send(next, self.kind_of(token));
        self.await_ack(cx);
        self.in_flight = Some(InFlight {
            token,
            to: next,
            resent: false,
        });
    }

    /// Forgets the token in flight, and its message if the host has not taken it yet.
    fn drop_in_flight<const N: usize>(&mut self, cx: &mut Context<N>) {
        self.in_flight = None;
        cx.cancel(RingTimer::TokenAck);
        for kind in [Kind::RingElection, Kind::RingMax, Kind::RingLeader] {
            cx.retract(kind);
        }
    }

    /// A token came back to this node, delivered by its predecessor or by skipping.
    fn returned<const N: usize>(&mut self, cx: &mut Context<N>, token: Token) {
        match token {
            Token::Election {
                initiator,
                participants,
            } if initiator == cx.me() => {
                if self.stage == (Stage::Electing { champion: cx.me() }) {
                    self.conclude(cx, participants);
                }
            }
            // Skipped all the way round: every other member is silent.
            Token::Election { .. } => self.start_election(cx),
            Token::Result { .. } => {}
        }
    }

    /// Rule 4: this node's own token is back; its highest-ranked participant leads.
    fn conclude<const N: usize>(&mut self, cx: &mut Context<N>, participants: PeerSet) {
        let leader = cx.highest(participants).unwrap_or(cx.me());
        self.apply(cx, leader);
        let token = Token::Result {
            initiator: cx.me(),
            leader,
        };
        self.pass_on(cx, token, cx.me());
    }

    /// Takes `leader` as the result of the current epoch.
    fn apply<const N: usize>(&mut self, cx: &mut Context<N>, leader: PeerIndex) {
        self.stage = Stage::Decided { leader };
        if leader == cx.me() {
            cx.lead(self.highest_term);
        } else {
            cx.follow(leader, self.highest_term);
        }
    }

    /// Rule 3: an election token of the current epoch from another node.
    fn on_election<const N: usize>(
        &mut self,
        cx: &mut Context<N>,
        initiator: PeerIndex,
        participants: PeerSet,
    ) {
        if initiator == cx.me() {
            self.returned(
                cx,
                Token::Election {
                    initiator,
                    participants,
                },
            );
            return;
        }
        let relay = match self.stage {
            Stage::Open => true,
            Stage::Electing { champion } => cx.outranks(initiator, champion),
            Stage::Decided { .. } => false,
        };
        if !relay {
            return;
        }
        self.stage = Stage::Electing {
            champion: initiator,
        };
        cx.retry_after(lap_bound(cx));
        let participants = self.joined(cx, participants);
        let token = Token::Election {
            initiator,
            participants,
        };
        self.pass_on(cx, token, cx.me());
    }

    /// Rule 7: an election token from `from` reached this leader, which is alive: it acks
    /// the token, forwards nothing and heartbeats the initiator, in its own epoch.
    fn stop_election<const N: usize>(cx: &mut Context<N>, from: PeerIndex, initiator: PeerIndex) {
        cx.send(from, Kind::RingAck);
        if initiator != cx.me() {
            cx.send(initiator, Kind::Heartbeat);
        }
    }

    /// Rules 3 and 4: whether this node takes no part in another node's `token` of epoch
    /// `term`, neither acking nor forwarding it, so that its sender skips it as if it were
    /// silent: a leader takes no part in a result that elects another node (rule 6 settles
    /// rival leaders), and a follower that still hears its leader none in an election of a
    /// newer epoch than its leader's, nor in its result unless the result elects it.
    fn stays_out<const N: usize>(&self, cx: &Context<N>, term: Term, token: Token) -> bool {
        let takes_no_part = match token {
            Token::Result { leader, .. } if leader == cx.me() => false,
            Token::Result { .. } if cx.role() == Role::Leader => true,
            _ => cx.hears_leader() && term > cx.term(),
        };
        takes_no_part && token.initiator() != cx.me()
    }

    /// Rule 4: a result of the current epoch.
    fn on_result<const N: usize>(
        &mut self,
        cx: &mut Context<N>,
        initiator: PeerIndex,
        leader: PeerIndex,
    ) {
        if initiator == cx.me() {
            return;
        }
        if let Stage::Decided { leader: known } = self.stage
            && !cx.outranks(leader, known)
        {
            return;
        }
        self.apply(cx, leader);
        self.pass_on(cx, Token::Result { initiator, leader }, cx.me());
    }

    /// Rule 1: `from` acknowledged the token in flight.
    fn on_ack<const N: usize>(&mut self, cx: &mut Context<N>, from: PeerIndex) {
        if self.in_flight.is_some_and(|in_flight| in_flight.to == from) {
            self.in_flight = None;
            cx.cancel(RingTimer::TokenAck);
        }
    }

    /// Rule 1: the receiver of the token in flight did not ack it in time: send it once
    /// more, and after a second silent wait skip the receiver (or, if it is the election's
    /// initiator, start an election of this node's own).
    fn on_ack_timeout<const N: usize>(&mut self, cx: &mut Context<N>) {
        let Some(in_flight) = self.in_flight else {
            return;
        };
        if in_flight.resent {
            match in_flight.token {
                // The silent member is the election's own initiator: every node after it
                // has forwarded its token and would swallow it, so take the election over
                // in a new epoch instead of waiting for a retry.
                Token::Election { initiator, .. } if initiator == in_flight.to => {
                    self.start_election(cx)
                }
                token => self.pass_on(cx, token, in_flight.to),
            }
            return;
        }
        // One lost message (or ack) must not cut a live member out of the election.
        cx.send(in_flight.to, self.kind_of(in_flight.token));
        self.await_ack(cx);
        self.in_flight = Some(InFlight {
            resent: true,
            ..in_flight
        });
    }

    /// Rule 1: waits one round trip for the ack of the token just sent.
    fn await_ack<const N: usize>(&self, cx: &mut Context<N>) {
        let wait = cx.config().timing.round_trip_timeout;
        cx.arm(RingTimer::TokenAck, wait);
    }

    /// Rule 6: a heartbeat from `from` in `term`. A leader weighs it as a rival's claim
    /// against its own epoch, the one its heartbeats carry (rule 7), and its rank.
    fn on_heartbeat<const N: usize>(&mut self, cx: &mut Context<N>, from: PeerIndex, term: Term) {
        if cx.role() == Role::Leader {
            match cx.rivalry(from, term) {
                Rivalry::Yield => cx.follow(from, term),
                Rivalry::Reassert => {
                    self.observe(cx, self.highest_term.next());
                    self.apply(cx, cx.me());
                    cx.heartbeat(Kind::Heartbeat);
                }
                Rivalry::Ignore => {}
            }
            return;
        }
        let accept = match cx.leader() {
            Some(leader) if leader == from => term >= cx.term(),
            Some(leader) => (term, cx.rank(from)) > (cx.term(), cx.rank(leader)),
            None => true,
        };
        if accept {
            cx.follow(from, term);
            if self.stage == (Stage::Electing { champion: cx.me() }) {
                self.abandon_election(cx);
            }
        }
    }

    /// Rule 6: this node found a live leader while standing for election, so it needs no
    /// new one: its own token stops here (in flight or when it comes back).
    fn abandon_election<const N: usize>(&mut self, cx: &mut Context<N>) {
        self.stage = Stage::Open;
        if let Some(InFlight {
            token: Token::Election { initiator, .. },
            ..
        }) = self.in_flight
            && initiator == cx.me()
        {
            self.drop_in_flight(cx);
        }
    }

    /// `participants` with this node added: the full list gains it; max-only keeps the
    /// higher-ranked of the two.
    fn joined<const N: usize>(&self, cx: &Context<N>, participants: PeerSet) -> PeerSet {
        let mut joined = participants;
        joined.insert(cx.me());
        match self.options.variant {
            RingVariant::FullList => joined,
            RingVariant::MaxOnly => cx.highest(joined).map_or(joined, PeerSet::only),
        }
    }

    /// The message kind that carries `token` in this node's variant.
    fn kind_of(&self, token: Token) -> Kind {
        match (token, self.options.variant) {
            (Token::Election { .. }, RingVariant::FullList) => Kind::RingElection,
            (Token::Election { .. }, RingVariant::MaxOnly) => Kind::RingMax,
            (Token::Result { .. }, _) => Kind::RingLeader,
        }
    }

    /// The wire form of `token`.
    fn token_body<const N: usize>(&self, cx: &Context<N>, token: Token) -> Option<Body> {
        Some(match (token, self.options.variant) {
            (
                Token::Election {
                    initiator,
                    participants,
                },
                RingVariant::FullList,
            ) => Body::RingElection {
                initiator: cx.id_of(initiator),
                participants: participants.to_wire(),
            },
            (
                Token::Election {
                    initiator,
                    participants,
                },
                RingVariant::MaxOnly,
            ) => Body::RingMax {
                initiator: cx.id_of(initiator),
                max: cx.id_of(cx.highest(participants)?),
            },
            (Token::Result { initiator, leader }, _) => Body::RingLeader {
                initiator: cx.id_of(initiator),
                leader: cx.id_of(leader),
            },
        })
    }

    /// The token a ring message carries, or `None` if it is not a token or names a
    /// non-member (or a member position beyond the membership, or nobody).
    fn read_token<const N: usize>(cx: &Context<N>, body: &Body) -> Option<Token> {
        Some(match *body {
            Body::RingElection {
                initiator,
                participants,
            } => Token::Election {
                initiator: cx.index_of(initiator)?,
                participants: PeerSet::from_wire(participants, cx.config().members().len())
                    .filter(|set| !set.is_empty())?,
            },
            Body::RingMax { initiator, max } => Token::Election {
                initiator: cx.index_of(initiator)?,
                participants: PeerSet::only(cx.index_of(max)?),
            },
            Body::RingLeader { initiator, leader } => Token::Result {
                initiator: cx.index_of(initiator)?,
                leader: cx.index_of(leader)?,
            },
            _ => return None,
        })
    }
}

impl<const N: usize> Protocol<N> for Ring {
    fn handle_message(&mut self, cx: &mut Context<N>, from: PeerIndex, term: Term, body: &Body) {
        match body {
            Body::Heartbeat { .. } => {
                self.observe(cx, term);
                self.on_heartbeat(cx, from, term);
            }
            Body::RingAck => {
                if cx.role() != Role::Leader {
                    self.observe(cx, term);
                }
                self.on_ack(cx, from);
            }
            Body::RingElection { .. } | Body::RingMax { .. } | Body::RingLeader { .. } => {
                let Some(token) = Self::read_token(cx, body) else {
                    return;
                };
                if let Token::Election { initiator, .. } = token
                    && cx.role() == Role::Leader
                {
                    Self::stop_election(cx, from, initiator);
                    return;
                }
                if self.stays_out(cx, term, token) {
                    return;
                }
                self.observe(cx, term);
                cx.send(from, Kind::RingAck);
                if term < self.highest_term {
                    return;
                }
                match token {
                    Token::Election {
                        initiator,
                        participants,
                    } => self.on_election(cx, initiator, participants),
                    Token::Result { initiator, leader } => self.on_result(cx, initiator, leader),
                }
            }
            _ => {}
        }
    }

    fn handle_timer(&mut self, cx: &mut Context<N>, timer: Slot) {
        if timer.timer() == Some(RingTimer::TokenAck) {
            self.on_ack_timeout(cx);
        }
    }

    fn handle_leader_silent(&mut self, cx: &mut Context<N>) {
        if cx.role() != Role::Leader {
            self.start_election(cx);
        }
    }

    fn message_term(&self, _cx: &Context<N>, _kind: Kind) -> Term {
        self.highest_term
    }

    fn body(&self, cx: &Context<N>, kind: Kind, _to: Recipient) -> Option<Body> {
        match kind {
            Kind::Heartbeat if cx.role() == Role::Leader => Some(Body::Heartbeat {
                successors: Successors::new(),
            }),
            Kind::RingAck => Some(Body::RingAck),
            Kind::RingElection | Kind::RingMax | Kind::RingLeader => {
                let token = self.in_flight?.token;
                if self.kind_of(token) == kind {
                    self.token_body(cx, token)
                } else {
                    None
                }
            }
            _ => None,
        }
    }
}

/// How long a node waits for an election's result before it starts another: two laps of
/// the ring in which every hop waits out both its ack timeouts, the most an election and
/// its result can take, so a large ring is never restarted before its token can return.
fn lap_bound<const N: usize>(cx: &Context<N>) -> Duration {
    let hops = cx.config().members().len().saturating_sub(1) as u64;
    cx.config()
        .timing
        .round_trip_timeout
        .saturating_mul(2 * 2 * hops)
}

/// The member after `peer` in ring order (id order, wrapping around).
fn successor<const N: usize>(cx: &Context<N>, peer: PeerIndex) -> PeerIndex {
    let count = cx.config().members().len();
    peer.position()
        .checked_add(1)
        .and_then(|next| next.checked_rem(count))
        .and_then(PeerIndex::from_position)
        .unwrap_or(cx.me())
}
