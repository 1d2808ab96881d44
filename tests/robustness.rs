//! Every algorithm against random, hostile input: random message kinds and contents from
//! members and strangers, random terms, time jumping about, timeouts early and late. The
//! engine must never panic, must keep its leadership state self-consistent, must always
//! fit its messages in `MAX_MESSAGE_SIZE`, and must hand out a bounded number of messages
//! per input. Quorum engines are also driven by a careless host: durable state written
//! late, confirmations late, stale or never made, restarts from disk, and random
//! leadership transfers and freshness values. Seeded, so a failure is reproducible from
//! the printed round.

use bellwether::unstable::{Body, MemberSet, Rng, Successors};
use bellwether::{
    Algorithm, BullyOptions, CandidateOptions, Config, ConfirmError, Destination, Durability,
    DurableState, Duration, Engine, GroupId, Instant, InvitationOptions, MAX_MESSAGE_SIZE, Member,
    Message, NextInLineOptions, NodeId, QuorumOptions, RingOptions, RingVariant, Term,
    TransferError,
};

/// Quorum election without pre-vote and check-quorum, in volatile mode: the other corner
/// of its options.
const QUORUM_VOLATILE: QuorumOptions = QuorumOptions::DEFAULT
    .with_pre_vote(false)
    .with_check_quorum(false)
    .with_durability(Durability::Volatile);

const ALGORITHMS: [Algorithm; 8] = [
    Algorithm::Bully(BullyOptions::CLASSIC),
    Algorithm::NextInLine(NextInLineOptions::DEFAULT),
    Algorithm::Candidates(CandidateOptions::DEFAULT),
    Algorithm::Invitation(InvitationOptions::DEFAULT),
    Algorithm::Ring(RingOptions::new(RingVariant::FullList)),
    Algorithm::Ring(RingOptions::new(RingVariant::MaxOnly)),
    Algorithm::Quorum(QuorumOptions::DEFAULT),
    Algorithm::Quorum(QUORUM_VOLATILE),
];

/// More messages than any single input can make an engine of 8 members send.
const MAX_MESSAGES_PER_INPUT: usize = 64;

/// The node every test engine runs as.
const ME: NodeId = NodeId(3);

fn random_id(rng: &mut Rng) -> NodeId {
    // Mostly members 1..=6, sometimes strangers and extremes.
    match rng.below(10) {
        0 => NodeId(rng.next_u64() as u32),
        1 => NodeId(0),
        _ => NodeId(1 + rng.below(6) as u32),
    }
}

/// A time stamp carried in a message: mostly a recent reading of the sender's clock (so
/// that acks can count towards a lease), sometimes anything.
fn random_stamp(rng: &mut Rng, now: Instant) -> u64 {
    match rng.below(8) {
        0 => u64::MAX - rng.below(2),
        1 => rng.next_u64(),
        _ => now.as_millis().saturating_sub(rng.below(1_000)),
    }
}

/// A freshness value: small, or anything.
fn random_freshness(rng: &mut Rng) -> u64 {
    match rng.below(4) {
        0 => rng.next_u64(),
        _ => rng.below(4),
    }
}

/// A body of any of the 21 kinds, with random contents.
fn random_body(rng: &mut Rng, now: Instant) -> Body {
    let successors: Successors = (0..rng.below(5)).map(|_| random_id(rng)).collect();
    let set = MemberSet(match rng.below(3) {
        0 => rng.next_u64(),
        _ => rng.below(64),
    });
    match rng.below(21) {
        0 => Body::Heartbeat { successors },
        1 => Body::Election,
        2 => Body::Alive,
        3 => Body::Proceed,
        4 => Body::Coordinator { successors },
        5 => Body::TakeOver,
        6 => Body::HeartbeatAck,
        7 => Body::RingElection {
            initiator: random_id(rng),
            participants: set,
        },
        8 => Body::RingMax {
            initiator: random_id(rng),
            max: random_id(rng),
        },
        9 => Body::RingLeader {
            initiator: random_id(rng),
            leader: random_id(rng),
        },
        10 => Body::RingAck,
        11 => Body::Invite {
            group_size: rng.next_u64() as u8,
        },
        12 => Body::Accept { members: set },
        13 => Body::Join {
            leader: random_id(rng),
        },
        14 => Body::PreVote {
            freshness: random_freshness(rng),
            transfer: (rng.below(3) == 0).then(|| random_stamp(rng, now)),
            round: random_stamp(rng, now),
        },
        15 => Body::PreVoteGranted {
            round: random_stamp(rng, now),
        },
        16 => Body::RequestVote {
            freshness: random_freshness(rng),
            transfer: (rng.below(3) == 0).then(|| random_stamp(rng, now)),
        },
        17 => Body::Vote {
            granted: rng.below(4) != 0,
        },
        18 => Body::QuorumHeartbeat {
            sent_at: random_stamp(rng, now),
            transfer: (rng.below(3) == 0).then(|| random_stamp(rng, now)),
        },
        19 => Body::QuorumAck {
            sent_at: random_stamp(rng, now),
            leader: (rng.below(4) != 0).then(|| {
                if rng.below(2) == 0 {
                    ME
                } else {
                    random_id(rng)
                }
            }),
        },
        _ => Body::TimeoutNow {
            started_at: random_stamp(rng, now),
        },
    }
}

/// Any term: small ones mostly, the largest ones and random ones often, and now and then
/// one above [`Term::MAX`] (which every engine refuses).
fn random_term(rng: &mut Rng) -> Term {
    Term(match rng.below(16) {
        0 | 1 => Term::MAX.0 - rng.below(2),
        2 | 3 => rng.below(Term::MAX.0 + 1),
        4 => Term::MAX.0 + 1 + rng.below(u64::MAX - Term::MAX.0),
        _ => rng.below(6),
    })
}

/// How the random input draws the terms of its messages for `algorithm`: any term, except
/// that quorum election gets terms near its own (and sometimes far above). It adopts every
/// higher term and never goes back, so one message of the last term would pin it there for
/// the rest of the run and leave little to reach (66 events in 30,000 rounds); the end of
/// the term space has a test of its own.
fn term_draw(algorithm: Algorithm) -> fn(&mut Rng, Term) -> Term {
    match algorithm {
        Algorithm::Quorum(_) => term_near,
        _ => |rng, _| random_term(rng),
    }
}

/// A term near `current` (one or two behind, the same, one or two ahead), sometimes a
/// large jump, but never near the end of the term space: a run that keeps electing.
fn term_near(rng: &mut Rng, current: Term) -> Term {
    Term(match rng.below(16) {
        0 => rng.below(1 << 40),
        _ => current.0.saturating_add(rng.below(5)).saturating_sub(2),
    })
}

/// The next time passed in: mostly a small step forward, sometimes a jump, sometimes
/// backwards.
fn random_now(rng: &mut Rng, now: Instant) -> Instant {
    match rng.below(10) {
        0 => Instant::from_millis(rng.below(now.as_millis() + 1)), // backwards
        1 => now + Duration::from_millis(rng.below(5_000)),
        _ => now + Duration::from_millis(rng.below(30)),
    }
}

/// A message of any kind, mostly for this group, from anyone (members mostly), in `term`.
fn random_message(rng: &mut Rng, now: Instant, term: Term) -> Message {
    Message::new(
        GroupId(if rng.below(50) == 0 { 2 } else { 1 }),
        random_id(rng),
        if rng.below(2) == 0 {
            Destination::All
        } else {
            Destination::Node(random_id(rng))
        },
        term,
        random_body(rng, now),
    )
}

/// Either a timeout call (at the deadline, or now if later) or a random message with a
/// term drawn by `term`; returns whether a message was accepted.
fn random_input(
    engine: &mut Engine<8>,
    rng: &mut Rng,
    now: Instant,
    term: impl FnOnce(&mut Rng, Term) -> Term,
) -> bool {
    if rng.below(4) == 0 {
        engine.handle_timeout(engine.poll_timeout().map_or(now, |due| due.max(now)));
        false
    } else {
        let term = term(rng, engine.term());
        let message = random_message(rng, now, term);
        engine.handle_message(now, &message).is_ok()
    }
}

/// Whether `engine` runs quorum election with persisted durable state.
fn is_persistent(engine: &Engine<8>) -> bool {
    matches!(
        engine.config().algorithm,
        Algorithm::Quorum(options) if options.durability == Durability::Persistent
    )
}

/// Takes every message the engine hands out, checking that each fits, decodes, and that
/// one input causes no storm; returns them.
fn transmit_all(engine: &mut Engine<8>, what: &str) -> Vec<Message> {
    let mut buf = [0u8; MAX_MESSAGE_SIZE];
    let mut sent = Vec::new();
    while let Some(transmit) = engine.poll_transmit(&mut buf).unwrap() {
        assert!(transmit.len <= MAX_MESSAGE_SIZE);
        sent.push(Message::decode(&buf[..transmit.len]).unwrap());
        assert!(
            sent.len() <= MAX_MESSAGES_PER_INPUT,
            "{what}: message storm"
        );
    }
    sent
}

/// Checks the leadership state every engine keeps consistent: a node that claims
/// leadership names itself (and only then), holds a lease only while it leads, and (quorum
/// election in persistent mode) hands out its term as the fencing token exactly while it
/// leads.
fn check_leadership(engine: &Engine<8>, now: Instant, what: &str) {
    let leads = engine.is_leader();
    assert_eq!(
        leads,
        engine.leader() == Some(engine.id()),
        "{what}: leads {leads} but names {:?}",
        engine.leader()
    );
    assert!(
        leads || engine.quorum().and_then(|q| q.lease_until()).is_none(),
        "{what}: a lease while {:?}",
        engine.role()
    );
    assert!(
        leads || !engine.quorum().is_some_and(|q| q.has_lease(now)),
        "{what}: holds a lease but does not lead"
    );
    let token = (is_persistent(engine) && leads).then(|| engine.term());
    assert_eq!(
        engine.quorum().and_then(|q| q.fencing_token()),
        token,
        "{what}: fencing token"
    );
}

/// An engine of node 3 in a group of members 1..=6 running `algorithm`; `members` lets a
/// test make some of them ordinary.
fn engine_of(members: &[Member], algorithm: Algorithm) -> Engine<8> {
    let config = Config::<8>::new(GroupId(1), ME, members, algorithm).unwrap();
    Engine::new(config, Instant::ZERO).unwrap()
}

/// Every algorithm survives 30,000 random inputs with its state consistent; a quorum host
/// writes and confirms each durable state at once, as the simulator does.
#[test]
fn random_input_never_breaks_any_algorithm() {
    let members: Vec<Member> = (1..=6).map(Member::with_id).collect();
    for (index, algorithm) in ALGORITHMS.into_iter().enumerate() {
        let mut rng = Rng::new(index as u64);
        let mut engine = engine_of(&members, algorithm);
        let mut now = Instant::ZERO;
        let (mut accepted, mut transmitted, mut events) = (0u32, 0u32, 0u32);
        for round in 0..30_000u32 {
            let what = format!("{algorithm:?} round {round}");
            now = random_now(&mut rng, now);
            accepted += u32::from(random_input(
                &mut engine,
                &mut rng,
                now,
                term_draw(algorithm),
            ));
            while let Some(state) = engine.poll_persist() {
                assert_eq!(engine.confirm_persisted(state), Ok(()), "{what}");
            }
            transmitted += transmit_all(&mut engine, &what).len() as u32;
            while engine.poll_event().is_some() {
                events += 1;
            }
            check_leadership(&engine, now, &what);
        }
        // The input reached deep into the algorithm, not just the validation. (Ring
        // election reports the fewest events: a ring leader takes no part in a result that
        // elects another node, which random results mostly are.)
        println!("{algorithm:?}: {accepted} accepted, {transmitted} sent, {events} events");
        assert!(
            accepted > 5_000 && transmitted > 1_000 && events > 50,
            "{algorithm:?}"
        );
    }
}

/// A host of one quorum engine that writes durable state slowly and carelessly: writes
/// complete in order but late, a confirmation may come late, never, or for a stale state,
/// and the node may restart from what is on its disk. Its peers answer some of what the
/// engine sends as cooperating members would (so the engine does get elected, hold a
/// lease and transfer leadership), in any order and mixed with hostile input.
struct CarelessHost {
    engine: Engine<8>,
    /// Handed out by `poll_persist`, not yet written.
    writing: Vec<DurableState>,
    /// Written, not yet confirmed.
    written: Vec<DurableState>,
    /// What the disk holds: the last state written.
    disk: DurableState,
    /// The last state the engine accepted as confirmed (the engine starts from
    /// `DurableState::default()` as confirmed).
    confirmed: DurableState,
    /// Cooperating peers' answers to what the engine sent, not yet delivered.
    answers: Vec<Message>,
    /// Counts of what the run exercised.
    stats: Stats,
}

/// What a careless-host run exercised, to show that it reached every path.
#[derive(Debug, Default)]
struct Stats {
    accepted: u32,
    transmitted: u32,
    persisted: u32,
    confirmed: u32,
    refused_confirmations: u32,
    led: u32,
    leased: u32,
    transfers: u32,
    restarts: u32,
}

/// The most cooperating answers kept waiting; older ones are dropped (lost).
const MAX_ANSWERS: usize = 32;

/// What a cooperating member answers to `message` from the engine: a pre-vote grant of
/// its round, a granted vote, or a heartbeat ack echoing its send time and crediting it.
fn cooperating_answer(message: &Message) -> Option<Message> {
    let Destination::Node(peer) = message.to() else {
        return None;
    };
    let (term, body) = match message.body() {
        // A grant carries the granter's term, below the proposed one.
        Body::PreVote { round, .. } => (
            Term(message.term().0 - 1),
            Body::PreVoteGranted { round: *round },
        ),
        Body::RequestVote { .. } => (message.term(), Body::Vote { granted: true }),
        Body::QuorumHeartbeat { sent_at, .. } => (
            message.term(),
            Body::QuorumAck {
                sent_at: *sent_at,
                leader: Some(ME),
            },
        ),
        _ => return None,
    };
    Some(Message::new(
        GroupId(1),
        peer,
        Destination::Node(ME),
        term,
        body,
    ))
}

impl CarelessHost {
    fn new(engine: Engine<8>) -> CarelessHost {
        CarelessHost {
            engine,
            writing: Vec::new(),
            written: Vec::new(),
            disk: DurableState::default(),
            confirmed: DurableState::default(),
            answers: Vec::new(),
            stats: Stats::default(),
        }
    }

    /// One input: half the time a cooperating answer (any waiting one), otherwise a timeout
    /// or a hostile message with a term near the engine's.
    fn input_step(&mut self, rng: &mut Rng, now: Instant) {
        let accepted = if !self.answers.is_empty() && rng.below(2) == 0 {
            let answer = self
                .answers
                .swap_remove(rng.below(self.answers.len() as u64) as usize);
            self.engine.handle_message(now, &answer).is_ok()
        } else {
            random_input(&mut self.engine, rng, now, term_near)
        };
        self.stats.accepted += u32::from(accepted);
    }

    /// Confirms `state` and checks the engine's answer: accepted exactly when it is the
    /// engine's current durable state (never in volatile mode).
    fn confirm(&mut self, state: DurableState, what: &str) {
        let current = is_persistent(&self.engine)
            && self.engine.quorum().map(|q| q.durable_state()) == Some(state);
        let result = self.engine.confirm_persisted(state);
        if current {
            assert_eq!(result, Ok(()), "{what}: current {state:?} refused");
            self.confirmed = state;
            self.stats.confirmed += 1;
        } else {
            assert_eq!(
                result,
                Err(ConfirmError::NotCurrent),
                "{what}: stale {state:?} accepted"
            );
            self.stats.refused_confirmations += 1;
        }
    }

    /// One random step of the host's storage: take new states to write, finish the oldest
    /// write, confirm a written state (maybe a stale one), or confirm a state that was never
    /// handed out.
    fn storage_step(&mut self, rng: &mut Rng, what: &str) {
        while let Some(state) = self.engine.poll_persist() {
            self.writing.push(state);
            self.stats.persisted += 1;
        }
        match rng.below(8) {
            0..=2 if !self.writing.is_empty() => {
                let state = self.writing.remove(0);
                check_succession(self.disk, state, &format!("{what}: on disk"));
                self.disk = state;
                self.written.push(state);
            }
            3..=4 if !self.written.is_empty() => {
                // Any written state, not necessarily the newest: a late confirmation.
                let index = rng.below(self.written.len() as u64) as usize;
                let state = self.written.remove(index);
                self.confirm(state, what);
            }
            5 => {
                // A confirmation for a term the engine is not in (nothing like it was
                // handed out): a host bug the engine must refuse.
                let current = self
                    .engine
                    .quorum()
                    .map(|q| q.durable_state())
                    .unwrap_or_default();
                let bogus = DurableState {
                    term: Term(current.term.0.wrapping_add(1 + rng.below(3))),
                    voted_for: Some(random_id(rng)),
                };
                self.confirm(bogus, what);
            }
            _ => {}
        }
    }

    /// A random host command: a freshness value, or a leadership transfer whose answer is
    /// checked against the engine's state.
    fn command_step(&mut self, rng: &mut Rng, now: Instant, what: &str) {
        match rng.below(40) {
            0 => {
                let freshness = random_freshness(rng);
                self.engine.quorum_mut().unwrap().set_freshness(freshness);
            }
            1..=2 => {
                let to = random_id(rng);
                let member = self.engine.config().members().iter().find(|m| m.id == to);
                let expected = match member {
                    None => Err(TransferError::UnknownMember(to)),
                    Some(_) if !self.engine.is_leader() => Err(TransferError::NotLeader),
                    Some(_) if to == ME => Err(TransferError::ToSelf),
                    Some(m) if !m.candidate => Err(TransferError::NotCandidate(to)),
                    Some(_) => Ok(()),
                };
                assert_eq!(
                    self.engine
                        .quorum_mut()
                        .unwrap()
                        .transfer_leadership(now, to),
                    expected,
                    "{what}: transfer to {to}"
                );
                if expected.is_ok() {
                    self.stats.transfers += 1;
                    assert!(
                        self.engine.quorum().and_then(|q| q.lease_until()).is_none(),
                        "{what}: a lease during a transfer"
                    );
                }
            }
            _ => {}
        }
    }

    /// Restarts the node from what its disk holds (persistent mode) or afresh (volatile
    /// mode): pending writes, confirmations and answers are lost with the process.
    fn restart(&mut self, now: Instant) {
        let config = self.engine.config().clone();
        self.engine = if is_persistent(&self.engine) {
            Engine::restore(config, now, self.disk).unwrap()
        } else {
            Engine::new(config, now).unwrap()
        };
        self.writing.clear();
        self.written.clear();
        self.answers.clear();
        self.confirmed = self
            .engine
            .quorum()
            .map(|q| q.durable_state())
            .unwrap_or_default();
        self.stats.restarts += 1;
    }

    /// Takes the messages the engine hands out and checks them against the disk: nothing
    /// leaves while the durable state is unconfirmed, every message carries the term on
    /// disk (a pre-vote the next one), and a granted vote leaves only once it is on disk.
    /// Queues the cooperating members' answers.
    fn transmit_step(&mut self, what: &str) {
        let persistent = is_persistent(&self.engine);
        let unconfirmed =
            persistent && self.engine.quorum().map(|q| q.durable_state()) != Some(self.confirmed);
        if unconfirmed {
            assert!(!self.engine.has_transmit(), "{what}: a message is ready");
        }
        let sent = transmit_all(&mut self.engine, what);
        if unconfirmed {
            assert!(sent.is_empty(), "{what}: sent {sent:?} unconfirmed");
        }
        for message in &sent {
            if persistent {
                let term = match message.body() {
                    Body::PreVote { .. } => self.disk.term.next(),
                    _ => self.disk.term,
                };
                assert_eq!(
                    message.term(),
                    term,
                    "{what}: {message:?} with {:?}",
                    self.disk
                );
                if let Body::Vote { granted: true } = message.body() {
                    assert_eq!(
                        message.to(),
                        Destination::Node(self.disk.voted_for.unwrap_or(NodeId(0))),
                        "{what}: {message:?} with {:?} on disk",
                        self.disk
                    );
                }
            }
            self.answers.extend(cooperating_answer(message));
        }
        if self.answers.len() > MAX_ANSWERS {
            self.answers.drain(..self.answers.len() - MAX_ANSWERS);
        }
        self.stats.transmitted += sent.len() as u32;
    }
}

/// Checks that durable state `next` may follow `previous`: the term never goes back, and
/// a vote cast in a term is never changed in that term (Raft's rule of one vote per node
/// per term: Ongaro and Ousterhout, 2014, §5.2).
fn check_succession(previous: DurableState, next: DurableState, what: &str) {
    let follows = next.term > previous.term
        || (next.term == previous.term
            && previous
                .voted_for
                .is_none_or(|vote| next.voted_for == Some(vote)));
    assert!(follows, "{what}: {previous:?} became {next:?}");
}

/// Quorum engines, persistent and volatile, with an ordinary member, driven by a careless
/// host through 50,000 random inputs each: no panic, no message before its durable state
/// is confirmed, no granted vote that is not on disk, never a second vote in a term,
/// confirmations judged exactly, every transfer answered as the engine's state says, and
/// the leadership state consistent.
#[test]
fn quorum_survives_a_careless_host() {
    let mut members: Vec<Member> = (1..=5).map(Member::with_id).collect();
    members.push(Member::with_id(6).ordinary());
    for (index, options) in [QuorumOptions::DEFAULT, QUORUM_VOLATILE]
        .into_iter()
        .enumerate()
    {
        let mut rng = Rng::new(100 + index as u64);
        let mut host = CarelessHost::new(engine_of(&members, Algorithm::Quorum(options)));
        let mut now = Instant::ZERO;
        for round in 0..50_000u32 {
            let what = format!("{options:?} round {round}");
            now = random_now(&mut rng, now);
            if rng.below(2_000) == 0 {
                host.restart(now);
            }
            let before = host
                .engine
                .quorum()
                .map(|q| q.durable_state())
                .unwrap_or_default();
            host.input_step(&mut rng, now);
            host.command_step(&mut rng, now, &what);
            host.storage_step(&mut rng, &what);
            let after = host
                .engine
                .quorum()
                .map(|q| q.durable_state())
                .unwrap_or_default();
            check_succession(before, after, &what);
            host.transmit_step(&what);
            while host.engine.poll_event().is_some() {}
            check_leadership(&host.engine, now, &what);
            host.stats.led += u32::from(host.engine.is_leader());
            host.stats.leased += u32::from(host.engine.quorum().is_some_and(|q| q.has_lease(now)));
        }
        let stats = &host.stats;
        println!("{options:?}: {stats:?}");
        // The run reached every path it is meant to: votes written and confirmed, stale
        // confirmations refused, leadership with a lease, transfers and restarts.
        assert!(
            stats.accepted > 10_000 && stats.transmitted > 1_000 && stats.led > 100,
            "{stats:?}"
        );
        assert!(
            stats.leased > 10 && stats.transfers > 10 && stats.restarts > 10,
            "{stats:?}"
        );
        if options.durability == Durability::Persistent {
            assert!(stats.persisted > 100 && stats.confirmed > 100, "{stats:?}");
        }
        assert!(stats.refused_confirmations > 100, "{stats:?}");
    }
}

/// The end of the term space: a member that voted for node 1 in the last term,
/// [`Term::MAX`], must not vote again in that term — not even for itself when its
/// election timer fires and the next term would be that same term. Any member's message
/// can carry the last term (a corrupted datagram, a faulty peer), and every node adopts it.
/// A second vote there lets two candidates win the same term: here node 1 with the votes
/// of 1, 2 and 3, and node 3 with those of 3, 4 and 5, both then handing out the same
/// fencing token.
#[test]
fn quorum_never_votes_twice_in_the_last_term() {
    let members: Vec<Member> = (1..=5).map(Member::with_id).collect();
    let options = QuorumOptions::DEFAULT.with_pre_vote(false);
    let mut engine = engine_of(&members, Algorithm::Quorum(options));
    let last = Term::MAX;
    // Past its start-up stickiness (T = 500 ms), node 3 votes for node 1 in the last term.
    let request = Message::new(
        GroupId(1),
        NodeId(1),
        Destination::Node(ME),
        last,
        Body::RequestVote {
            freshness: 0,
            transfer: None,
        },
    );
    engine
        .handle_message(Instant::from_millis(600), &request)
        .unwrap();
    let voted = DurableState {
        term: last,
        voted_for: Some(NodeId(1)),
    };
    assert_eq!(engine.poll_persist(), Some(voted));
    assert_eq!(engine.confirm_persisted(voted), Ok(()));
    let sent = transmit_all(&mut engine, "the vote");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].to(), sent[0].term(), sent[0].body()),
        (
            Destination::Node(NodeId(1)),
            last,
            &Body::Vote { granted: true }
        ),
        "the vote for node 1 left"
    );
    // Node 1's heartbeats never reach node 3, so its election timer fires.
    let due = engine.poll_timeout().expect("an election timer");
    engine.handle_timeout(due);
    check_succession(
        voted,
        engine.quorum().map(|q| q.durable_state()).unwrap(),
        "after node 3's election timer fired in the last term",
    );
}
