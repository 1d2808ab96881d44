//! Feeds arbitrary bytes to an engine of every algorithm as received messages, with time
//! moving in arbitrary steps and timeouts called early and late. The engine must never
//! panic, must fit every message it sends in `MAX_MESSAGE_SIZE`, must send only messages
//! that decode, and must keep its leadership state self-consistent.
//!
//! For quorum election the bytes also drive the host: after each input one byte says
//! whether the host writes and confirms the durable state at once, takes it but confirms
//! later, confirms an older (stale) state, or does nothing, and whether it sets the
//! freshness or asks for a leadership transfer. Then no message may leave while the durable
//! state is unconfirmed, a granted vote may leave only once it is confirmed, a vote once
//! cast is never changed in its term, and a lease or fencing token exists only while the
//! node leads.
#![no_main]

use bellwether::unstable::Body;
use bellwether::{
    Algorithm, BullyOptions, CandidateOptions, Config, ConfirmError, Destination, Durability,
    DurableState, Duration, Engine, GroupId, Instant, InvitationOptions, MAX_MESSAGE_SIZE, Member,
    Message, NextInLineOptions, NodeId, QuorumOptions, RingOptions, RingVariant, TransferError,
};
use libfuzzer_sys::fuzz_target;

const ALGORITHMS: [Algorithm; 8] = [
    Algorithm::Bully(BullyOptions::CLASSIC),
    Algorithm::NextInLine(NextInLineOptions::DEFAULT),
    Algorithm::Candidates(CandidateOptions::DEFAULT),
    Algorithm::Invitation(InvitationOptions::DEFAULT),
    Algorithm::Ring(RingOptions::new(RingVariant::FullList)),
    Algorithm::Ring(RingOptions::new(RingVariant::MaxOnly)),
    Algorithm::Quorum(QuorumOptions::DEFAULT),
    Algorithm::Quorum(
        QuorumOptions::DEFAULT
            .with_pre_vote(false)
            .with_check_quorum(false)
            .with_durability(Durability::Volatile),
    ),
];

/// The most handed-out states the host keeps to confirm later.
const MAX_PENDING: usize = 8;

/// The host's side of durable state: what it was handed and what the engine accepted as
/// confirmed.
#[derive(Default)]
struct Storage {
    /// Handed out by `poll_persist` and written, not yet confirmed (oldest first).
    pending: Vec<DurableState>,
    /// The last state the engine accepted as written (it starts from the default).
    confirmed: DurableState,
}

impl Storage {
    /// Confirms `state` and checks the engine's answer: accepted exactly when it is the
    /// current durable state of a persistent engine.
    fn confirm(&mut self, engine: &mut Engine<8>, state: DurableState, persistent: bool) {
        let current = persistent && engine.quorum().map(|q| q.durable_state()) == Some(state);
        let result = engine.confirm_persisted(state);
        if current {
            assert_eq!(result, Ok(()));
            self.confirmed = state;
        } else {
            assert_eq!(result, Err(ConfirmError::NotCurrent));
        }
    }

    /// One step of the host, chosen by `op`: bits 0-1 what it does with durable state,
    /// bits 2-4 a command, bits 5-7 the command's argument.
    fn step(&mut self, engine: &mut Engine<8>, now: Instant, op: u8, persistent: bool) {
        while let Some(state) = engine.poll_persist() {
            self.pending.push(state);
        }
        if self.pending.len() > MAX_PENDING {
            self.pending.remove(0);
        }
        match op & 0x03 {
            0 => {
                for state in std::mem::take(&mut self.pending) {
                    self.confirm(engine, state, persistent);
                }
            }
            1 => {} // written, confirmed later
            2 if !self.pending.is_empty() => {
                let state = self.pending.remove(0); // the oldest: maybe stale
                self.confirm(engine, state, persistent);
            }
            _ => {}
        }
        let argument = op >> 5;
        match (op >> 2) & 0x07 {
            5 => engine
                .quorum_mut()
                .expect("quorum")
                .set_freshness(u64::from(argument)),
            6 => {
                let to = NodeId(u32::from(argument));
                let result = engine
                    .quorum_mut()
                    .expect("quorum")
                    .transfer_leadership(now, to);
                if result.is_ok() {
                    assert!(
                        engine.is_leader()
                            && engine.quorum().and_then(|q| q.lease_until()).is_none()
                    );
                } else if !engine.is_leader() && (1..=5).contains(&to.0) {
                    assert_eq!(result, Err(TransferError::NotLeader));
                }
            }
            _ => {}
        }
    }
}

/// Whether durable state `next` may follow `previous`: the term never goes back, and a vote
/// cast in a term is never changed in that term.
fn succeeds(previous: DurableState, next: DurableState) -> bool {
    next.term > previous.term
        || (next.term == previous.term
            && previous
                .voted_for
                .is_none_or(|vote| next.voted_for == Some(vote)))
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, mut rest)) = data.split_first() else {
        return;
    };
    let algorithm = ALGORITHMS[usize::from(choice) % ALGORITHMS.len()];
    let quorum = matches!(algorithm, Algorithm::Quorum(_));
    let persistent = matches!(
        algorithm,
        Algorithm::Quorum(options) if options.durability == Durability::Persistent
    );
    let members = [1, 2, 3, 4, 5].map(Member::with_id);
    let config = Config::<8>::new(GroupId(1), NodeId(3), &members, algorithm).unwrap();
    let mut engine = Engine::new(config, Instant::ZERO).unwrap();
    let mut storage = Storage::default();
    let mut now = Instant::ZERO;
    let mut buf = [0u8; MAX_MESSAGE_SIZE];
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        now = now + Duration::from_millis(u64::from(op & 0x0F) * 37);
        let before = engine
            .quorum()
            .map(|q| q.durable_state())
            .unwrap_or_default();
        if op & 0x10 != 0 {
            engine.handle_timeout(now);
        } else {
            let len = usize::from(op >> 5) * 7 % (rest.len() + 1);
            let (message, tail) = rest.split_at(len);
            rest = tail;
            let _ = engine.handle_bytes(now, message);
        }
        if quorum && let Some((&host_op, tail)) = rest.split_first() {
            rest = tail;
            storage.step(&mut engine, now, host_op, persistent);
        }
        let state = engine
            .quorum()
            .map(|q| q.durable_state())
            .unwrap_or_default();
        assert!(succeeds(before, state), "{before:?} became {state:?}");
        let unconfirmed = persistent && state != storage.confirmed;
        while let Some(transmit) = engine.poll_transmit(&mut buf).unwrap() {
            assert!(
                !unconfirmed,
                "a message left before {state:?} was confirmed"
            );
            let message = Message::decode(&buf[..transmit.len]).unwrap();
            if persistent && *message.body() == (Body::Vote { granted: true }) {
                let vote = storage.confirmed.voted_for.map(Destination::Node);
                assert_eq!(
                    (message.term(), Some(message.to())),
                    (storage.confirmed.term, vote)
                );
            }
        }
        while engine.poll_event().is_some() {}
        let leads = engine.is_leader();
        assert_eq!(leads, engine.leader() == Some(engine.id()));
        assert!(
            leads
                || (engine.quorum().and_then(|q| q.lease_until()).is_none()
                    && !engine.quorum().is_some_and(|q| q.has_lease(now)))
        );
        assert_eq!(
            engine.quorum().and_then(|q| q.fencing_token()),
            (persistent && leads).then(|| engine.term())
        );
    }
});
