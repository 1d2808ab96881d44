//! Every algorithm against random, hostile input: random message kinds and contents from
//! members and strangers, random terms, time jumping about, timeouts early and late. The
//! engine must never panic, must keep its leadership state self-consistent, must always
//! fit its messages in `MAX_MESSAGE_SIZE`, and must hand out a bounded number of messages
//! per input. Seeded, so a failure is reproducible from the printed round.

use bellwether::{
    Algorithm, Body, BullyOptions, CandidateOptions, Config, Destination, Duration, Engine,
    GroupId, Instant, InvitationOptions, MAX_MESSAGE_SIZE, Member, MemberSet, Message,
    NextInLineOptions, NodeId, RingOptions, RingVariant, Rng, Successors, Term,
};

const ALGORITHMS: [Algorithm; 6] = [
    Algorithm::Bully(BullyOptions::CLASSIC),
    Algorithm::NextInLine(NextInLineOptions::DEFAULT),
    Algorithm::Candidates(CandidateOptions::DEFAULT),
    Algorithm::Invitation(InvitationOptions::DEFAULT),
    Algorithm::Ring(RingOptions::new(RingVariant::FullList)),
    Algorithm::Ring(RingOptions::new(RingVariant::MaxOnly)),
];

/// More messages than any single input can make an engine of 8 members send.
const MAX_MESSAGES_PER_INPUT: usize = 64;

fn random_id(rng: &mut Rng) -> NodeId {
    // Mostly members 1..=6, sometimes strangers and extremes.
    match rng.below(10) {
        0 => NodeId(rng.next_u64() as u32),
        1 => NodeId(0),
        _ => NodeId(1 + rng.below(6) as u32),
    }
}

fn random_body(rng: &mut Rng) -> Body {
    let successors: Successors = (0..rng.below(5)).map(|_| random_id(rng)).collect();
    let set = MemberSet(match rng.below(3) {
        0 => rng.next_u64(),
        _ => rng.below(64),
    });
    match rng.below(14) {
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
        _ => Body::Join {
            leader: random_id(rng),
        },
    }
}

fn random_term(rng: &mut Rng) -> Term {
    Term(match rng.below(8) {
        0 => u64::MAX - rng.below(2),
        1 => rng.next_u64(),
        _ => rng.below(6),
    })
}

#[test]
fn random_input_never_breaks_any_algorithm() {
    let members: Vec<Member> = (1..=6).map(Member::with_id).collect();
    for (index, algorithm) in ALGORITHMS.into_iter().enumerate() {
        let mut rng = Rng::new(index as u64);
        let config = Config::<8>::new(GroupId(1), NodeId(3), &members, algorithm).unwrap();
        let mut engine = Engine::new(config, Instant::ZERO).unwrap();
        let mut now = Instant::ZERO;
        let mut buf = [0u8; MAX_MESSAGE_SIZE];
        let (mut accepted, mut transmitted, mut events) = (0u32, 0u32, 0u32);
        for round in 0..30_000u32 {
            now = match rng.below(10) {
                0 => Instant::from_millis(rng.below(now.as_millis() + 1)), // backwards
                1 => now + Duration::from_millis(rng.below(5_000)),
                _ => now + Duration::from_millis(rng.below(30)),
            };
            if rng.below(4) == 0 {
                engine.handle_timeout(engine.poll_timeout().map_or(now, |due| due.max(now)));
            } else {
                let message = Message {
                    group: GroupId(if rng.below(50) == 0 { 2 } else { 1 }),
                    from: random_id(&mut rng),
                    to: if rng.below(2) == 0 {
                        Destination::All
                    } else {
                        Destination::Node(random_id(&mut rng))
                    },
                    term: random_term(&mut rng),
                    body: random_body(&mut rng),
                };
                accepted += u32::from(engine.handle_message(now, &message).is_ok());
            }
            let mut sent = 0;
            while let Some(transmit) = engine.poll_transmit(&mut buf).unwrap() {
                assert!(transmit.len <= MAX_MESSAGE_SIZE);
                Message::decode(&buf[..transmit.len]).unwrap();
                sent += 1;
                assert!(
                    sent <= MAX_MESSAGES_PER_INPUT,
                    "{algorithm:?} round {round}: message storm"
                );
            }
            transmitted += sent as u32;
            while engine.poll_event().is_some() {
                events += 1;
            }
            assert_eq!(
                engine.is_leader(),
                engine.leader() == Some(engine.id()),
                "{algorithm:?} round {round}: leads {} but names {:?}",
                engine.is_leader(),
                engine.leader()
            );
        }
        // The input reached deep into the algorithm, not just the validation.
        println!("{algorithm:?}: {accepted} accepted, {transmitted} sent, {events} events");
        assert!(
            accepted > 5_000 && transmitted > 1_000 && events > 100,
            "{algorithm:?}"
        );
    }
}
