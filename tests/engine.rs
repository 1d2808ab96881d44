//! The engine contract: configuration validation, rejected input leaves state unchanged,
//! outputs are not lost when the host's buffer is short, broadcast media, and timeouts.

use bellwether::unstable::{Body, Rng, Successors};
use bellwether::{
    Algorithm, BullyOptions, Cause, Config, ConfigError, DecodeError, Destination, Durability,
    Duration, EncodeError, Engine, Event, GroupId, Instant, MAX_MESSAGE_SIZE, MAX_SUCCESSORS,
    Member, Message, NextInLineOptions, NodeId, Output, Preemption, QuorumOptions, ReceiveError,
    Role, Term, Timing, WIRE_VERSION,
};

const BULLY: Algorithm = Algorithm::Bully(BullyOptions::CLASSIC);
const COORDINATOR: Body = Body::Coordinator {
    successors: Successors::new(),
};

fn members(ids: &[u32]) -> Vec<Member> {
    ids.iter().copied().map(Member::with_id).collect()
}

fn engine(me: u32) -> Engine<8> {
    engine_running(me, BULLY)
}

fn engine_running(me: u32, algorithm: Algorithm) -> Engine<8> {
    let config = Config::new(
        GroupId(1),
        NodeId(me),
        &members(&[1, 2, 3, 4, 5]),
        algorithm,
    )
    .unwrap();
    Engine::new(config, Instant::ZERO).unwrap()
}

fn from(sender: u32, to: Destination, term: u64, body: Body) -> Message {
    Message::new(GroupId(1), NodeId(sender), to, Term(term), body)
}

fn encoded(message: Message) -> Vec<u8> {
    let mut buf = [0u8; MAX_MESSAGE_SIZE];
    let len = message.encode(&mut buf).unwrap();
    buf[..len].to_vec()
}

#[test]
fn config_rejects_every_bad_membership() {
    let new = |me: u32, ids: &[u32]| {
        Config::<4>::new(GroupId(1), NodeId(me), &members(ids), BULLY).map(|_| ())
    };
    assert_eq!(new(1, &[]), Err(ConfigError::NoMembers));
    assert_eq!(new(1, &[1, 2, 3, 4, 5]), Err(ConfigError::TooManyMembers));
    assert_eq!(
        new(1, &[1, 2, 2]),
        Err(ConfigError::DuplicateMember(NodeId(2)))
    );
    assert_eq!(new(9, &[1, 2, 3]), Err(ConfigError::SelfNotMember));
    assert_eq!(
        new(1, &[1]),
        Ok(()),
        "a group of one is valid: it leads itself"
    );
    assert_eq!(new(4, &[4, 1, 3, 2]), Ok(()));
}

/// A configuration that can never work is refused, not accepted and run: a group in which
/// every member is ordinary can never elect, and next-in-line cannot publish more
/// successors than a message carries (it used to cap them silently).
#[test]
fn config_rejects_what_could_never_work() {
    let ordinary = [
        Member::with_id(1).ordinary(),
        Member::with_id(2).ordinary(),
        Member::with_id(3).ordinary(),
    ];
    for algorithm in [BULLY, Algorithm::Quorum(QuorumOptions::DEFAULT)] {
        assert_eq!(
            Config::<4>::new(GroupId(1), NodeId(1), &ordinary, algorithm).map(|_| ()),
            Err(ConfigError::NoCandidate),
            "{algorithm:?}"
        );
    }
    let mut one_candidate = ordinary;
    one_candidate[2] = Member::with_id(3);
    assert!(Config::<4>::new(GroupId(1), NodeId(1), &one_candidate, BULLY).is_ok());

    let next_in_line = |successors| {
        Algorithm::NextInLine(NextInLineOptions::new(successors, Preemption::Immediate))
    };
    let ids = members(&[1, 2, 3, 4, 5, 6]);
    let new = |successors: u8| {
        Config::<8>::new(GroupId(1), NodeId(1), &ids, next_in_line(successors)).map(|_| ())
    };
    assert_eq!(new(MAX_SUCCESSORS as u8), Ok(()));
    assert_eq!(
        new(MAX_SUCCESSORS as u8 + 1),
        Err(ConfigError::TooManySuccessors)
    );
    assert_eq!(new(u8::MAX), Err(ConfigError::TooManySuccessors));
}

/// `poll_output` drains in the contract's order: the messages first, then the events, and
/// the deadline last, which ends the drain (Bully: the top node's first timeout makes it
/// announce itself and lead).
#[test]
fn poll_output_sends_then_reports_then_gives_the_deadline() {
    let mut top = engine(5);
    let due = top.poll_timeout().expect("a first deadline");
    top.handle_timeout(due);
    let mut buf = [0u8; MAX_MESSAGE_SIZE];
    let mut order = Vec::new();
    let deadline = loop {
        match top.poll_output(&mut buf).expect("a full-size buffer") {
            Output::Transmit(transmit) => order.push(format!("transmit to {:?}", transmit.to)),
            Output::Event(event) => order.push(format!("{event:?}")),
            Output::Timeout(deadline) => break deadline,
            other => panic!("a Bully node handed out {other:?}"),
        }
    };
    let first_event = order.iter().position(|o| !o.starts_with("transmit"));
    assert!(
        first_event
            .is_some_and(|at| at > 0 && order[at..].iter().all(|o| !o.starts_with("transmit"))),
        "messages, then events: {order:?}"
    );
    assert!(
        order.iter().any(|o| o.starts_with("BecameLeader")),
        "the top node leads: {order:?}"
    );
    assert_eq!(deadline, top.poll_timeout());
    assert!(deadline.is_some_and(|at| at > due), "the next heartbeat");
    assert_eq!(
        top.poll_output(&mut buf),
        Ok(Output::Timeout(deadline)),
        "a drained engine gives only its deadline"
    );
}

/// A buffer too small for the next message fails the drain and leaves the message queued.
#[test]
fn poll_output_keeps_a_message_a_short_buffer_cannot_take() {
    let mut top = engine(5);
    top.handle_timeout(top.poll_timeout().expect("a first deadline"));
    let before = top.clone();
    assert_eq!(
        top.poll_output(&mut [0u8; 1]),
        Err(EncodeError::BufferTooSmall)
    );
    assert_eq!(top, before, "nothing was taken");
    let mut buf = [0u8; MAX_MESSAGE_SIZE];
    assert!(matches!(top.poll_output(&mut buf), Ok(Output::Transmit(_))));
}

#[test]
fn config_rejects_every_bad_timing() {
    let base = Config::<4>::new(GroupId(1), NodeId(1), &members(&[1, 2]), BULLY).unwrap();
    let check =
        |timing: Timing| Engine::new(base.clone().with_timing(timing), Instant::ZERO).map(|_| ());
    let ms = Duration::from_millis;
    assert_eq!(
        check(Timing {
            heartbeat_interval: ms(0),
            ..Timing::LAN
        }),
        Err(ConfigError::ZeroHeartbeatInterval)
    );
    assert_eq!(
        check(Timing {
            failure_timeout: ms(0),
            ..Timing::LAN
        }),
        Err(ConfigError::ZeroFailureTimeout)
    );
    assert_eq!(
        check(Timing {
            round_trip_timeout: ms(0),
            ..Timing::LAN
        }),
        Err(ConfigError::ZeroRoundTripTimeout)
    );
    assert_eq!(
        check(Timing {
            heartbeat_interval: ms(500),
            failure_timeout: ms(500),
            ..Timing::LAN
        }),
        Err(ConfigError::HeartbeatNotBelowFailureTimeout)
    );
    assert_eq!(
        check(Timing {
            round_trip_timeout: ms(600),
            ..Timing::LAN
        }),
        Err(ConfigError::RoundTripNotBelowFailureTimeout)
    );
    assert_eq!(
        check(Timing {
            failure_jitter: ms(0),
            ..Timing::LAN
        }),
        Ok(()),
        "jitter may be zero"
    );
    // Fields are public, so the engine validates again what a host may have changed.
    let mut edited = base.clone();
    edited.node = NodeId(7);
    assert_eq!(
        Engine::new(edited, Instant::ZERO).map(|_| ()),
        Err(ConfigError::SelfNotMember)
    );
}

#[test]
fn rejected_messages_leave_the_state_unchanged() {
    let mut engine = engine(3);
    let before = engine.clone();
    let cases: Vec<(Message, ReceiveError)> = vec![
        (
            Message::new(
                GroupId(2),
                NodeId(5),
                Destination::All,
                Term(1),
                COORDINATOR,
            ),
            ReceiveError::WrongGroup(GroupId(2)),
        ),
        (
            from(9, Destination::All, 1, COORDINATOR),
            ReceiveError::UnknownSender(NodeId(9)),
        ),
        (
            from(3, Destination::All, 1, COORDINATOR),
            ReceiveError::FromSelf,
        ),
        (
            from(5, Destination::Node(NodeId(2)), 1, COORDINATOR),
            ReceiveError::Misaddressed(NodeId(2)),
        ),
        (
            from(5, Destination::All, Term::MAX.0 + 1, COORDINATOR),
            ReceiveError::Decode(DecodeError::TermOutOfRange(Term::MAX.0 + 1)),
        ),
    ];
    for (message, error) in cases {
        assert_eq!(
            engine.handle_message(Instant::from_millis(10), &message),
            Err(error)
        );
        assert_eq!(
            engine.handle_bytes(Instant::from_millis(10), &encoded(message)),
            Err(error)
        );
        assert_eq!(engine, before, "{error:?} changed the state");
    }
    assert_eq!(
        engine.handle_bytes(Instant::from_millis(10), &[WIRE_VERSION, 0x01]),
        Err(ReceiveError::Decode(DecodeError::Truncated))
    );
    assert_eq!(engine, before);
}

/// 100,000 inputs to `engine`: half random bytes, half one of the `valid` messages with
/// one random byte changed. None may panic, and whatever is rejected must leave the state
/// as it was. After each input the host drains as the contract asks (writing and
/// confirming durable state first). Returns how many inputs were accepted.
fn hammer_with_untrusted_bytes(mut engine: Engine<8>, valid: &[Message], seed: u64) -> usize {
    let valid: Vec<Vec<u8>> = valid.iter().cloned().map(encoded).collect();
    let mut rng = Rng::new(seed);
    let mut accepted = 0;
    for round in 0..100_000u64 {
        let bytes: Vec<u8> = if round % 2 == 0 {
            let len = rng.below(MAX_MESSAGE_SIZE as u64 + 8) as usize;
            (0..len).map(|_| rng.next_u64() as u8).collect()
        } else {
            let mut bytes = valid[(round / 2) as usize % valid.len()].clone();
            let at = rng.below(bytes.len() as u64) as usize;
            bytes[at] = rng.next_u64() as u8;
            bytes
        };
        let before = engine.clone();
        match engine.handle_bytes(Instant::from_millis(round), &bytes) {
            Ok(()) => accepted += 1,
            Err(_) => assert_eq!(engine, before, "rejected {bytes:02X?} but state changed"),
        }
        while let Some(state) = engine.poll_persist() {
            engine.confirm_persisted(state).unwrap();
        }
        let mut buf = [0u8; MAX_MESSAGE_SIZE];
        while engine.poll_transmit(&mut buf).unwrap().is_some() {}
        while engine.poll_event().is_some() {}
    }
    accepted
}

/// Random bytes, and valid messages with random bytes changed, never panic; whatever is
/// rejected leaves the state as it was (Bully).
#[test]
fn untrusted_bytes_never_panic_and_rejections_change_nothing() {
    let valid = from(5, Destination::Node(NodeId(3)), 1, COORDINATOR);
    let accepted = hammer_with_untrusted_bytes(engine(3), &[valid], 42);
    assert!(
        accepted > 0,
        "some mutated messages were valid and were handled"
    );
}

/// The same for quorum election, persistent and volatile, mutating a valid message of
/// each of its kinds (and a Bully heartbeat, which it ignores).
#[test]
fn untrusted_bytes_never_break_quorum_and_rejections_change_nothing() {
    let to_3 = |body| from(5, Destination::Node(NodeId(3)), 1, body);
    let valid = [
        to_3(Body::PreVote {
            freshness: 7,
            transfer: None,
            round: 880,
        }),
        to_3(Body::PreVoteGranted { round: 880 }),
        to_3(Body::RequestVote {
            freshness: 7,
            transfer: Some(40),
        }),
        to_3(Body::Vote { granted: true }),
        to_3(Body::QuorumHeartbeat {
            sent_at: 900,
            transfer: Some(850),
        }),
        to_3(Body::QuorumAck {
            sent_at: 900,
            leader: Some(NodeId(3)),
        }),
        to_3(Body::TimeoutNow { started_at: 40 }),
        from(5, Destination::All, 1, COORDINATOR),
    ];
    let volatile = QuorumOptions::DEFAULT.with_durability(Durability::Volatile);
    for (seed, options) in [(43, QuorumOptions::DEFAULT), (44, volatile)] {
        let engine = engine_running(3, Algorithm::Quorum(options));
        let accepted = hammer_with_untrusted_bytes(engine, &valid, seed);
        assert!(
            accepted > 1_000,
            "{options:?}: only {accepted} mutated messages were valid and handled"
        );
    }
}

#[test]
fn a_short_buffer_keeps_the_message_queued() {
    let mut engine = engine(4);
    engine
        .handle_message(
            Instant::ZERO,
            &from(3, Destination::Node(NodeId(4)), 0, Body::Election),
        )
        .unwrap();
    let mut small = [0u8; 3];
    assert_eq!(
        engine.poll_transmit(&mut small),
        Err(EncodeError::BufferTooSmall)
    );
    assert!(engine.has_transmit());
    let mut buf = [0u8; MAX_MESSAGE_SIZE];
    let transmit = engine
        .poll_transmit(&mut buf)
        .unwrap()
        .expect("still queued");
    assert_eq!(transmit.to, Destination::Node(NodeId(3)));
    assert_eq!(
        Message::decode(&buf[..transmit.len]).unwrap().body(),
        &Body::Alive
    );
    assert_eq!(engine.poll_transmit(&mut buf), Ok(None));
}

#[test]
fn broadcast_media_get_one_message_for_all_and_point_to_point_one_each() {
    let collect = |broadcast: bool| {
        let config = Config::<8>::new(GroupId(1), NodeId(5), &members(&[1, 2, 3, 4, 5]), BULLY)
            .unwrap()
            .with_broadcast(broadcast);
        let mut engine = Engine::new(config, Instant::ZERO).unwrap();
        engine.handle_timeout(engine.poll_timeout().unwrap());
        std::iter::from_fn(|| engine.poll_message()).collect::<Vec<_>>()
    };
    let broadcast = collect(true);
    assert_eq!(broadcast.len(), 1);
    assert_eq!(
        (broadcast[0].to(), broadcast[0].body().clone()),
        (Destination::All, COORDINATOR)
    );
    let unicast = collect(false);
    let receivers: Vec<u32> = unicast
        .iter()
        .map(|m| match m.to() {
            Destination::Node(id) => id.0,
            Destination::All => panic!("unicast medium got a broadcast"),
        })
        .collect();
    assert_eq!(receivers, [1, 2, 3, 4]);
}

#[test]
fn spurious_and_out_of_order_timeouts_are_harmless() {
    let mut engine = engine(2);
    let deadline = engine.poll_timeout().expect("waits to hear a leader");
    for early in [
        Instant::ZERO,
        Instant::from_millis(deadline.as_millis() - 1),
    ] {
        engine.handle_timeout(early);
        assert!(!engine.has_transmit());
        assert_eq!(engine.poll_event(), None);
        assert_eq!(engine.poll_timeout(), Some(deadline));
    }
    engine.handle_timeout(deadline);
    assert_eq!(engine.role(), Role::Candidate, "2 stood for election");
    let after = engine.clone();
    engine.handle_timeout(Instant::ZERO); // time going backwards is ignored
    assert_eq!(engine, after);
}

#[test]
fn a_group_of_one_leads_itself_and_heartbeats_nobody() {
    let config = Config::<1>::new(GroupId(1), NodeId(1), &members(&[1]), BULLY).unwrap();
    let mut engine = Engine::new(config, Instant::ZERO).unwrap();
    engine.handle_timeout(engine.poll_timeout().unwrap());
    assert!(engine.is_leader());
    assert_eq!(
        engine.poll_event(),
        Some(Event::LeaderChanged {
            leader: Some(NodeId(1)),
            term: Term(1),
            cause: Cause::Elected
        })
    );
    assert_eq!(
        engine.poll_event(),
        Some(Event::BecameLeader { term: Term(1) })
    );
    engine.handle_timeout(engine.poll_timeout().unwrap());
    assert_eq!(engine.poll_message(), None);
}

/// Ring and invitation would elect an ordinary member, so they refuse one; the rank-based
/// algorithms honour it.
#[test]
fn ordinary_members_are_refused_where_they_would_be_elected() {
    let members = [Member::with_id(1), Member::with_id(2).ordinary()];
    let check =
        |algorithm| Config::<4>::new(GroupId(1), NodeId(1), &members, algorithm).map(|_| ());
    let ring = Algorithm::Ring(bellwether::RingOptions::new(
        bellwether::RingVariant::MaxOnly,
    ));
    let invitation = Algorithm::Invitation(bellwether::InvitationOptions::DEFAULT);
    assert_eq!(check(ring), Err(ConfigError::OrdinaryMembersUnsupported));
    assert_eq!(
        check(invitation),
        Err(ConfigError::OrdinaryMembersUnsupported)
    );
    assert_eq!(check(BULLY), Ok(()));
}

/// Every algorithm, a step away from the end of time: the deadlines the engine hands out
/// always lie after the time it was last given, so a host that sleeps until each deadline
/// and calls `handle_timeout` there makes progress and, at the end of the range, is told
/// to sleep for good instead of being woken at the same instant over and over.
#[test]
fn near_the_end_of_time_deadlines_never_stop_moving() {
    let algorithms = [
        BULLY,
        Algorithm::NextInLine(bellwether::NextInLineOptions::DEFAULT),
        Algorithm::Candidates(bellwether::CandidateOptions::DEFAULT),
        Algorithm::Invitation(bellwether::InvitationOptions::DEFAULT),
        Algorithm::Ring(bellwether::RingOptions::new(
            bellwether::RingVariant::MaxOnly,
        )),
        Algorithm::Quorum(QuorumOptions::DEFAULT),
        Algorithm::Quorum(QuorumOptions::DEFAULT.with_durability(Durability::Volatile)),
    ];
    for algorithm in algorithms {
        // A group of one leads by itself, so its heartbeat timer keeps running to the end.
        let config = Config::<1>::new(GroupId(1), NodeId(1), &members(&[1]), algorithm).unwrap();
        let start = Instant::MAX - Duration::from_secs(10);
        let mut engine = Engine::new(config, start).unwrap();
        let mut now = start;
        let mut calls = 0;
        while let Some(deadline) = engine.poll_timeout() {
            assert!(
                deadline > now || calls == 0,
                "{algorithm:?}: deadline {deadline} after a call at {now}"
            );
            now = deadline;
            engine.handle_timeout(now);
            while let Some(state) = engine.poll_persist() {
                engine.confirm_persisted(state).unwrap();
            }
            while engine.poll_message().is_some() {}
            calls += 1;
            assert!(
                calls < 10_000,
                "{algorithm:?}: the host loop spins at {now}"
            );
        }
        assert!(now < Instant::MAX, "{algorithm:?}");
        // Calls at the very end do nothing and ask for nothing.
        engine.handle_timeout(Instant::MAX);
        assert_eq!(engine.poll_timeout(), None, "{algorithm:?}");
    }
}
