//! Feeds arbitrary bytes to an engine of every algorithm as received messages, with time
//! moving in arbitrary steps and timeouts called early and late. The engine must never
//! panic, must fit every message it sends in `MAX_MESSAGE_SIZE`, must send only messages
//! that decode, and must keep its leadership state self-consistent.
#![no_main]

use bellwether::{
    Algorithm, BullyOptions, CandidateOptions, Config, Duration, Engine, GroupId, Instant,
    InvitationOptions, MAX_MESSAGE_SIZE, Member, Message, NextInLineOptions, NodeId, RingOptions,
    RingVariant,
};
use libfuzzer_sys::fuzz_target;

const ALGORITHMS: [Algorithm; 6] = [
    Algorithm::Bully(BullyOptions::CLASSIC),
    Algorithm::NextInLine(NextInLineOptions::DEFAULT),
    Algorithm::Candidates(CandidateOptions::DEFAULT),
    Algorithm::Invitation(InvitationOptions::DEFAULT),
    Algorithm::Ring(RingOptions::new(RingVariant::FullList)),
    Algorithm::Ring(RingOptions::new(RingVariant::MaxOnly)),
];

fuzz_target!(|data: &[u8]| {
    let Some((&choice, mut rest)) = data.split_first() else {
        return;
    };
    let algorithm = ALGORITHMS[usize::from(choice) % ALGORITHMS.len()];
    let members = [1, 2, 3, 4, 5].map(Member::with_id);
    let config = Config::<8>::new(GroupId(1), NodeId(3), &members, algorithm).unwrap();
    let mut engine = Engine::new(config, Instant::ZERO).unwrap();
    let mut now = Instant::ZERO;
    let mut buf = [0u8; MAX_MESSAGE_SIZE];
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        now = now + Duration::from_millis(u64::from(op & 0x0F) * 37);
        if op & 0x10 != 0 {
            engine.handle_timeout(now);
        } else {
            let len = usize::from(op >> 5) * 7 % (rest.len() + 1);
            let (message, tail) = rest.split_at(len);
            rest = tail;
            let _ = engine.handle_bytes(now, message);
        }
        while let Some(transmit) = engine.poll_transmit(&mut buf).unwrap() {
            Message::decode(&buf[..transmit.len]).unwrap();
        }
        while engine.poll_event().is_some() {}
        assert_eq!(engine.is_leader(), engine.leader() == Some(engine.id()));
    }
});
