//! Hot-path cost of the engine, measured the way a host drives it.
//!
//! Every input benchmark includes draining the outputs after the input, in the order the
//! calling contract asks (`poll_transmit` until empty, then `poll_event` until empty), so
//! no state accumulates between iterations and the figures are what a host pays per input.
//!
//! * `handle_heartbeat` — a follower of node 5 receiving one of its heartbeats, as bytes
//!   (`handle_bytes`, decode included) and already decoded (`handle_message`).
//! * `handle_election` — node 4 asked by node 3, encoding the `Alive` it answers with.
//! * `handle_timeout` — a spurious call (nothing due), and a leader's heartbeat timer
//!   firing, which encodes one heartbeat per follower.
//! * `encode` / `decode` — the wire format alone, for a heartbeat and for the largest
//!   announcement (every id and the term at their maximum, a full successor list: 46
//!   bytes, of the 56 the largest plain message takes).
//! * `quorum` (feature `quorum`) — quorum election's hot paths, all from bytes:
//!   `heartbeat_bytes`, a follower of node 5 handling its `QuorumHeartbeat` and encoding
//!   the `QuorumAck`; `ack_at_leader`, leader 5 handling a follower's `QuorumAck`, which
//!   refreshes its lease; `request_vote`, node 4 handling a `RequestVote` for a new term:
//!   it adopts the term, votes, hands out the durable state, which the host confirms at
//!   once (no I/O), and encodes the granted `Vote`; `due_heartbeat`, leader 5's heartbeat
//!   timer firing, which encodes one `QuorumHeartbeat` per follower.
//! * `protection` — what each protection mode costs, side by side: `send/<mode>`, one
//!   `poll_transmit` of Bully leader 5's heartbeat (build, seal, copy); `receive/<mode>`,
//!   follower 4 handling one heartbeat from bytes (`handle_bytes`: checksum or tag check,
//!   decode, replay window, algorithm) and draining its outputs (there are none), for
//!   `plain`, `checksum` and `authenticated` (CMAC-AES-128, 8-byte tag). The authenticated
//!   pair has first exchanged the freshness request and reply, driven through
//!   `poll_transmit`/`handle_bytes` like any host. A replay window accepts each datagram
//!   once, so every measured receive gets a datagram never seen before: before each batch
//!   of iterations (untimed) the leader's heartbeats are sealed, one per iteration, with
//!   the leader's key and session and counters that keep rising across batches, exactly
//!   the bytes the leader's engine would send (`tests/wire.rs` pins that layout). Plain
//!   and checksummed receives run the same loop over copies of one datagram.

use std::hint::black_box;

use bellwether::unstable::{Body, Successors};
use bellwether::{
    Algorithm, Authenticator, BullyOptions, Config, Destination, Engine, GroupId, Instant,
    MAX_MESSAGE_SIZE, MAX_SUCCESSORS, Member, Message, NodeId, Term,
};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const GROUP: GroupId = GroupId(1);
const MEMBERS: [Member; 5] = [
    Member::with_id(1),
    Member::with_id(2),
    Member::with_id(3),
    Member::with_id(4),
    Member::with_id(5),
];

/// A fresh engine for node `id` of the five-member group, started at time zero.
fn engine(id: u32) -> Engine<8> {
    let config = Config::<8>::new(
        GROUP,
        NodeId(id),
        &MEMBERS,
        Algorithm::Bully(BullyOptions::CLASSIC),
    )
    .expect("valid configuration")
    .with_seed(u64::from(id));
    Engine::new(config, Instant::ZERO).expect("valid engine")
}

/// A message of this group from `from` to `to` in term 1.
fn message(from: u32, to: u32, body: Body) -> Message {
    Message::new(
        GROUP,
        NodeId(from),
        Destination::Node(NodeId(to)),
        Term(1),
        body,
    )
}

/// A heartbeat without successors (what a Bully leader sends).
fn heartbeat() -> Body {
    Body::Heartbeat {
        successors: Successors::new(),
    }
}

/// An announcement without successors (what a Bully leader sends).
fn coordinator() -> Body {
    Body::Coordinator {
        successors: Successors::new(),
    }
}

/// The largest announcement: every id and the term at their maximum, a full successor list.
fn largest() -> Message {
    Message::new(
        GroupId(u32::MAX),
        NodeId(u32::MAX),
        Destination::Node(NodeId(u32::MAX)),
        Term::MAX,
        Body::Coordinator {
            successors: [NodeId(u32::MAX); MAX_SUCCESSORS].into_iter().collect(),
        },
    )
}

fn encoded(message: &Message) -> ([u8; MAX_MESSAGE_SIZE], usize) {
    let mut buf = [0u8; MAX_MESSAGE_SIZE];
    let len = message.encode(&mut buf).expect("MAX_MESSAGE_SIZE suffices");
    (buf, len)
}

/// Drains every output as a host does after each input; returns how many messages went out.
fn drain<A: Authenticator>(engine: &mut Engine<8, A>, buf: &mut [u8; MAX_MESSAGE_SIZE]) -> usize {
    let mut sent = 0;
    while let Some(transmit) = engine
        .poll_transmit(buf)
        .expect("MAX_MESSAGE_SIZE suffices")
    {
        black_box((transmit.to, &buf[..transmit.len]));
        sent += 1;
    }
    while let Some(event) = engine.poll_event() {
        black_box(event);
    }
    sent
}

/// Node 4, following node 5 in term 1 (announced by a `Coordinator`, confirmed by a
/// heartbeat), with every output drained.
fn follower_of_5(now: Instant) -> Engine<8> {
    let mut engine = engine(4);
    let mut buf = [0u8; MAX_MESSAGE_SIZE];
    for body in [coordinator(), heartbeat()] {
        engine
            .handle_message(now, &message(5, 4, body))
            .expect("accepted");
        assert_eq!(drain(&mut engine, &mut buf), 0, "a follower sends nothing");
    }
    assert_eq!(engine.leader(), Some(NodeId(5)));
    assert_eq!(engine.term(), Term(1));
    engine
}

fn handle_heartbeat(c: &mut Criterion) {
    let now = Instant::from_millis(100);
    let heartbeat = message(5, 4, heartbeat());
    let (bytes, len) = encoded(&heartbeat);
    let bytes = &bytes[..len];
    let mut buf = [0u8; MAX_MESSAGE_SIZE];

    let mut group = c.benchmark_group("handle_heartbeat");
    let mut engine = follower_of_5(now);
    group.bench_function("bytes", |b| {
        b.iter(|| {
            engine
                .handle_bytes(black_box(now), black_box(bytes))
                .expect("accepted");
            drain(&mut engine, &mut buf)
        })
    });
    assert_eq!(engine.leader(), Some(NodeId(5)), "still follows 5");

    let mut engine = follower_of_5(now);
    group.bench_function("message", |b| {
        b.iter(|| {
            engine
                .handle_message(black_box(now), black_box(&heartbeat))
                .expect("accepted");
            drain(&mut engine, &mut buf)
        })
    });
    assert_eq!(engine.leader(), Some(NodeId(5)), "still follows 5");
    group.finish();
}

fn handle_election(c: &mut Criterion) {
    let now = Instant::from_millis(100);
    let (bytes, len) = encoded(&message(3, 4, Body::Election));
    let bytes = &bytes[..len];
    let mut buf = [0u8; MAX_MESSAGE_SIZE];
    let mut engine = engine(4);

    // Check once that the answer is exactly one `Alive` to node 3.
    let mut probe = engine.clone();
    probe.handle_bytes(now, bytes).expect("accepted");
    let transmit = probe
        .poll_transmit(&mut buf)
        .expect("encodes")
        .expect("an answer");
    let answer = Message::decode(&buf[..transmit.len]).expect("decodes");
    assert_eq!(
        (transmit.to, answer.body()),
        (Destination::Node(NodeId(3)), &Body::Alive)
    );
    assert_eq!(probe.poll_transmit(&mut buf), Ok(None));

    let mut group = c.benchmark_group("handle_election");
    group.bench_function("alive_answer", |b| {
        b.iter(|| {
            engine
                .handle_bytes(black_box(now), black_box(bytes))
                .expect("accepted");
            drain(&mut engine, &mut buf)
        })
    });
    group.finish();
}

fn handle_timeout(c: &mut Criterion) {
    let mut buf = [0u8; MAX_MESSAGE_SIZE];
    let mut group = c.benchmark_group("handle_timeout");

    let now = Instant::from_millis(100);
    let mut follower = follower_of_5(now);
    let deadline = follower.poll_timeout().expect("watches its leader");
    assert!(now < deadline, "nothing is due");
    group.bench_function("spurious", |b| {
        b.iter(|| {
            follower.handle_timeout(black_box(now));
            drain(&mut follower, &mut buf)
        })
    });
    assert_eq!(follower.poll_timeout(), Some(deadline), "nothing fired");

    // Node 5 hears no leader, so at its first deadline it leads (nobody ranks above it).
    let mut leader = engine(5);
    let start = leader.poll_timeout().expect("waits for a leader");
    leader.handle_timeout(start);
    assert_eq!(
        drain(&mut leader, &mut buf),
        4,
        "announces to the four others"
    );
    assert!(leader.is_leader());
    let heartbeat_due = leader.poll_timeout().expect("heartbeat timer");
    let mut probe = leader.clone();
    probe.handle_timeout(heartbeat_due);
    assert_eq!(drain(&mut probe, &mut buf), 4, "heartbeats the four others");
    group.bench_function("due_heartbeat", |b| {
        b.iter_batched(
            || leader.clone(),
            |mut leader| {
                leader.handle_timeout(black_box(heartbeat_due));
                drain(&mut leader, &mut buf);
                leader
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut buf = [0u8; MAX_MESSAGE_SIZE];
    let mut group = c.benchmark_group("encode");
    for (name, message) in [
        ("heartbeat", message(5, 4, heartbeat())),
        ("largest", largest()),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(&message)
                    .encode(black_box(&mut buf))
                    .expect("fits")
            })
        });
    }
    group.finish();
}

fn decode(c: &mut Criterion) {
    assert_eq!(
        encoded(&largest()).1,
        46,
        "every id and the term at their maximum"
    );
    let mut group = c.benchmark_group("decode");
    for (name, message) in [
        ("heartbeat", message(5, 4, heartbeat())),
        ("largest", largest()),
    ] {
        let (bytes, len) = encoded(&message);
        let bytes = &bytes[..len];
        assert_eq!(Message::decode(bytes), Ok(message));
        group.bench_function(name, |b| {
            b.iter(|| Message::decode(black_box(bytes)).expect("valid"))
        });
    }
    group.finish();
}

/// Quorum election's benchmarks, when the feature is on.
fn quorum(c: &mut Criterion) {
    #[cfg(feature = "quorum")]
    quorum::all(c);
    let _ = c;
}

#[cfg(feature = "quorum")]
mod quorum {
    use std::hint::black_box;

    use bellwether::unstable::Body;
    use bellwether::{
        Algorithm, Config, Destination, Engine, Instant, MAX_MESSAGE_SIZE, Message, NodeId,
        QuorumOptions, Term,
    };
    use criterion::measurement::WallTime;
    use criterion::{BatchSize, BenchmarkGroup, Criterion};

    use super::{GROUP, MEMBERS, encoded};

    /// A fresh quorum engine (default options) for node `id` of the five-member group,
    /// started at time zero.
    fn engine(id: u32) -> Engine<8> {
        let config = Config::<8>::new(
            GROUP,
            NodeId(id),
            &MEMBERS,
            Algorithm::Quorum(QuorumOptions::DEFAULT),
        )
        .expect("valid configuration")
        .with_seed(u64::from(id));
        Engine::new(config, Instant::ZERO).expect("valid engine")
    }

    /// A message of this group from `from` to `to` in `term`.
    fn message(from: u32, to: u32, term: u64, body: Body) -> Message {
        Message::new(
            GROUP,
            NodeId(from),
            Destination::Node(NodeId(to)),
            Term(term),
            body,
        )
    }

    /// Drains as a host does: writes (here: only confirms) the durable state, then every
    /// message and event. Returns the messages, decoded.
    fn drain(engine: &mut Engine<8>, buf: &mut [u8; MAX_MESSAGE_SIZE]) -> Vec<Message> {
        let mut sent = Vec::new();
        while let Some(state) = engine.poll_persist() {
            engine.confirm_persisted(state).expect("current");
        }
        while let Some(transmit) = engine.poll_transmit(buf).expect("fits") {
            sent.push(Message::decode(&buf[..transmit.len]).expect("decodes"));
        }
        while engine.poll_event().is_some() {}
        sent
    }

    /// The same without decoding, for the measured loops: returns how many went out.
    fn drain_fast(engine: &mut Engine<8>, buf: &mut [u8; MAX_MESSAGE_SIZE]) -> usize {
        while let Some(state) = engine.poll_persist() {
            engine.confirm_persisted(state).expect("current");
        }
        let mut sent = 0;
        while let Some(transmit) = engine.poll_transmit(buf).expect("fits") {
            black_box((transmit.to, &buf[..transmit.len]));
            sent += 1;
        }
        while let Some(event) = engine.poll_event() {
            black_box(event);
        }
        sent
    }

    /// Node 5 leading term 1: its election timer fired, nodes 1 and 2 granted its pre-vote
    /// and its vote, and nodes 1 to 4 acknowledged its first heartbeat. Returns it with the
    /// time it reached.
    fn leader_5() -> (Engine<8>, Instant) {
        let mut buf = [0u8; MAX_MESSAGE_SIZE];
        let mut leader = engine(5);
        let now = leader.poll_timeout().expect("an election timer");
        leader.handle_timeout(now);
        drain(&mut leader, &mut buf);
        let round = now.as_millis();
        for from in [1, 2] {
            let grant = message(from, 5, 0, Body::PreVoteGranted { round });
            leader.handle_message(now, &grant).expect("accepted");
        }
        drain(&mut leader, &mut buf);
        for from in [1, 2] {
            let vote = message(from, 5, 1, Body::Vote { granted: true });
            leader.handle_message(now, &vote).expect("accepted");
        }
        assert!(leader.is_leader(), "elected by 5, 1 and 2");
        let heartbeats = drain(&mut leader, &mut buf);
        assert_eq!(heartbeats.len(), 4, "a heartbeat to each follower");
        for heartbeat in &heartbeats {
            let (Destination::Node(to), Body::QuorumHeartbeat { sent_at, .. }) =
                (heartbeat.to(), &heartbeat.body())
            else {
                panic!("not a heartbeat: {heartbeat:?}");
            };
            let ack = message(
                to.0,
                5,
                1,
                Body::QuorumAck {
                    sent_at: *sent_at,
                    leader: Some(NodeId(5)),
                },
            );
            leader.handle_message(now, &ack).expect("accepted");
        }
        assert!(
            leader.quorum().is_some_and(|q| q.has_lease(now)),
            "a majority acknowledged"
        );
        (leader, now)
    }

    fn heartbeat_bytes(group: &mut BenchmarkGroup<'_, WallTime>, buf: &mut [u8; MAX_MESSAGE_SIZE]) {
        let now = Instant::from_millis(100);
        let heartbeat = message(
            5,
            4,
            1,
            Body::QuorumHeartbeat {
                sent_at: 100,
                transfer: None,
            },
        );
        let (bytes, len) = encoded(&heartbeat);
        let bytes = &bytes[..len];
        let mut follower = engine(4);
        follower.handle_bytes(now, bytes).expect("accepted");
        let answer = drain(&mut follower, buf);
        assert_eq!(follower.leader(), Some(NodeId(5)));
        assert_eq!(
            answer,
            [message(
                4,
                5,
                1,
                Body::QuorumAck {
                    sent_at: 100,
                    leader: Some(NodeId(5))
                }
            )],
            "acknowledges the heartbeat"
        );
        group.bench_function("heartbeat_bytes", |b| {
            b.iter(|| {
                follower
                    .handle_bytes(black_box(now), black_box(bytes))
                    .expect("accepted");
                drain_fast(&mut follower, buf)
            })
        });
        assert_eq!(follower.leader(), Some(NodeId(5)), "still follows 5");
    }

    fn ack_at_leader(group: &mut BenchmarkGroup<'_, WallTime>, buf: &mut [u8; MAX_MESSAGE_SIZE]) {
        let (mut leader, now) = leader_5();
        let lease = leader.quorum().and_then(|q| q.lease_until());
        let ack = message(
            1,
            5,
            1,
            Body::QuorumAck {
                sent_at: now.as_millis(),
                leader: Some(NodeId(5)),
            },
        );
        let (bytes, len) = encoded(&ack);
        let bytes = &bytes[..len];
        group.bench_function("ack_at_leader", |b| {
            b.iter(|| {
                leader
                    .handle_bytes(black_box(now), black_box(bytes))
                    .expect("accepted");
                drain_fast(&mut leader, buf)
            })
        });
        assert!(
            leader.is_leader() && leader.quorum().and_then(|q| q.lease_until()) == lease,
            "same lease"
        );
    }

    fn request_vote(group: &mut BenchmarkGroup<'_, WallTime>, buf: &mut [u8; MAX_MESSAGE_SIZE]) {
        // Past its start-up stickiness (one election timeout), with no leader heard.
        let now = Instant::from_millis(600);
        let request = message(
            3,
            4,
            1,
            Body::RequestVote {
                freshness: 0,
                transfer: None,
            },
        );
        let (bytes, len) = encoded(&request);
        let bytes = &bytes[..len];
        let voter = engine(4);
        let mut probe = voter.clone();
        probe.handle_bytes(now, bytes).expect("accepted");
        let persisted = probe.poll_persist().expect("the vote is persisted");
        assert_eq!(
            (persisted.term, persisted.voted_for),
            (Term(1), Some(NodeId(3)))
        );
        probe.confirm_persisted(persisted).expect("current");
        assert_eq!(
            drain(&mut probe, buf),
            [message(4, 3, 1, Body::Vote { granted: true })],
            "grants its vote"
        );
        group.bench_function("request_vote", |b| {
            b.iter_batched(
                || voter.clone(),
                |mut voter| {
                    voter
                        .handle_bytes(black_box(now), black_box(bytes))
                        .expect("accepted");
                    drain_fast(&mut voter, buf);
                    voter
                },
                BatchSize::SmallInput,
            )
        });
    }

    fn due_heartbeat(group: &mut BenchmarkGroup<'_, WallTime>, buf: &mut [u8; MAX_MESSAGE_SIZE]) {
        let (leader, _) = leader_5();
        let due = leader.poll_timeout().expect("heartbeat timer");
        let mut probe = leader.clone();
        probe.handle_timeout(due);
        let heartbeats = drain(&mut probe, buf);
        assert_eq!(heartbeats.len(), 4, "heartbeats the four others");
        assert!(
            heartbeats
                .iter()
                .all(|m| matches!(m.body(), Body::QuorumHeartbeat { .. })),
            "{heartbeats:?}"
        );
        group.bench_function("due_heartbeat", |b| {
            b.iter_batched(
                || leader.clone(),
                |mut leader| {
                    leader.handle_timeout(black_box(due));
                    drain_fast(&mut leader, buf);
                    leader
                },
                BatchSize::SmallInput,
            )
        });
    }

    pub(super) fn all(c: &mut Criterion) {
        let mut buf = [0u8; MAX_MESSAGE_SIZE];
        let mut group = c.benchmark_group("quorum");
        heartbeat_bytes(&mut group, &mut buf);
        ack_at_leader(&mut group, &mut buf);
        request_vote(&mut group, &mut buf);
        due_heartbeat(&mut group, &mut buf);
        group.finish();
    }
}

/// Plain, checksummed and authenticated messages side by side (see the module docs).
mod protection {
    use std::hint::black_box;
    use std::time::{Duration as WallDuration, Instant as WallClock};

    use bellwether::{
        AuthOptions, CmacKeys, Config, Destination, Engine, Freshness, Instant, KeyId,
        MAX_MESSAGE_SIZE, Message, NodeId, Protection, TagLength,
    };
    use criterion::{BatchSize, Criterion};

    use super::{GROUP, MEMBERS, drain, heartbeat};

    const KEY: [u8; 16] = *b"bellwether-bench";

    /// Every engine carries CMAC keys, so all three modes have the same type; only an
    /// authenticated engine uses them.
    type Node = Engine<8, CmacKeys>;

    #[derive(Clone, Copy, PartialEq)]
    enum Mode {
        Plain,
        Checksum,
        Authenticated,
    }

    impl Mode {
        const ALL: [Mode; 3] = [Mode::Plain, Mode::Checksum, Mode::Authenticated];

        fn name(self) -> &'static str {
            match self {
                Mode::Plain => "plain",
                Mode::Checksum => "checksum",
                Mode::Authenticated => "authenticated",
            }
        }

        /// Node `id`'s protection: its session is its id.
        fn protection(self, id: u32) -> Protection {
            match self {
                Mode::Plain => Protection::None,
                Mode::Checksum => Protection::Checksum,
                Mode::Authenticated => {
                    Protection::Authenticated(AuthOptions::new(id).with_tag(TagLength::Bytes8))
                }
            }
        }
    }

    fn keys() -> CmacKeys {
        CmacKeys::new(KeyId(1), &KEY)
    }

    /// A Bully engine for node `id` of the five-member group in `mode`, at time zero.
    fn node(id: u32, mode: Mode) -> Node {
        let mut config = Config::<8>::new(
            GROUP,
            NodeId(id),
            &MEMBERS,
            super::Algorithm::Bully(super::BullyOptions::CLASSIC),
        )
        .expect("valid configuration")
        .with_seed(u64::from(id));
        config.protection = mode.protection(id);
        Engine::with_authenticator(config, Instant::ZERO, keys()).expect("valid engine")
    }

    /// Every datagram `engine` sends to `to` (or to all), its other outputs drained.
    fn datagrams_to(engine: &mut Node, to: u32) -> Vec<Vec<u8>> {
        let mut buf = [0u8; MAX_MESSAGE_SIZE];
        let mut out = Vec::new();
        while let Some(transmit) = engine.poll_transmit(&mut buf).expect("fits") {
            if matches!(transmit.to, Destination::All)
                || transmit.to == Destination::Node(NodeId(to))
            {
                out.push(buf[..transmit.len].to_vec());
            }
        }
        while engine.poll_event().is_some() {}
        out
    }

    /// Passes datagrams between leader 5 and follower 4 until neither has any for the
    /// other (refusals, such as the unsynchronised ones before the freshness round trip,
    /// are what a host would see too).
    fn exchange(leader: &mut Node, follower: &mut Node, now: Instant) {
        loop {
            let to_follower = datagrams_to(leader, 4);
            let to_leader = datagrams_to(follower, 5);
            if to_follower.is_empty() && to_leader.is_empty() {
                return;
            }
            for bytes in to_follower {
                let _ = follower.handle_bytes(now, &bytes);
            }
            for bytes in to_leader {
                let _ = leader.handle_bytes(now, &bytes);
            }
        }
    }

    /// Leader 5 and its follower 4, in `mode`, with nothing left to send: 5 announced
    /// itself, and (authenticated) 4 asked for 5's freshness and got it; then 5's
    /// heartbeat made 4 follow it. Returns them with the time reached.
    fn pair(mode: Mode) -> (Node, Node, Instant) {
        let mut leader = node(5, mode);
        let mut follower = node(4, mode);
        let start = leader.poll_timeout().expect("waits for a leader");
        leader.handle_timeout(start);
        assert!(leader.is_leader());
        exchange(&mut leader, &mut follower, start);
        let heartbeat_due = leader.poll_timeout().expect("heartbeat timer");
        leader.handle_timeout(heartbeat_due);
        exchange(&mut leader, &mut follower, heartbeat_due);
        assert_eq!(follower.leader(), Some(NodeId(5)), "{}", mode.name());
        if mode == Mode::Authenticated {
            assert!(
                follower.statistics().unsynchronised > 0,
                "synchronised first"
            );
        }
        (leader, follower, heartbeat_due)
    }

    pub(super) fn all(c: &mut Criterion) {
        let mut buf = [0u8; MAX_MESSAGE_SIZE];
        let mut group = c.benchmark_group("protection");
        for mode in Mode::ALL {
            let (mut leader, _, _) = pair(mode);
            let heartbeat_due = leader.poll_timeout().expect("heartbeat timer");
            leader.handle_timeout(heartbeat_due);
            let mut probe = leader.clone();
            let first = probe
                .poll_transmit(&mut buf)
                .expect("fits")
                .expect("queued");
            let expected = match mode {
                Mode::Plain => 8,
                Mode::Checksum => 8 + 4,
                Mode::Authenticated => 8 + 1 + 1 + 1 + 8,
            };
            assert_eq!(first.len, expected, "a heartbeat, {}", mode.name());
            group.bench_function(format!("send/{}", mode.name()), |b| {
                b.iter_batched(
                    || leader.clone(),
                    |mut leader| {
                        let transmit = leader.poll_transmit(&mut buf).expect("fits");
                        black_box((transmit, &buf));
                        leader
                    },
                    BatchSize::SmallInput,
                )
            });
        }
        for mode in Mode::ALL {
            let (leader, mut follower, now) = pair(mode);
            let message = Message::new(
                GROUP,
                NodeId(5),
                Destination::Node(NodeId(4)),
                leader.term(),
                heartbeat(),
            );
            let mut sender = keys();
            // Above any counter the leader has used: fresh to the follower's window.
            let mut counter = 1_000;
            let mut seal = || {
                let mut bytes = [0u8; MAX_MESSAGE_SIZE];
                let len = match mode {
                    Mode::Plain => message.encode(&mut bytes),
                    Mode::Checksum => message.encode_checksummed(&mut bytes),
                    Mode::Authenticated => {
                        counter += 1;
                        let freshness = Freshness {
                            session: 5,
                            counter,
                        };
                        message.encode_authenticated(
                            &mut bytes,
                            TagLength::Bytes8,
                            KeyId(1),
                            freshness,
                            &mut sender,
                        )
                    }
                }
                .expect("fits");
                (bytes, len)
            };
            let (probe, len) = seal();
            follower.handle_bytes(now, &probe[..len]).expect("accepted");
            group.bench_function(format!("receive/{}", mode.name()), |b| {
                b.iter_custom(|iters| {
                    let datagrams: Vec<_> = (0..iters).map(|_| seal()).collect();
                    let started = WallClock::now();
                    for (bytes, len) in &datagrams {
                        follower
                            .handle_bytes(black_box(now), black_box(&bytes[..*len]))
                            .expect("accepted");
                        drain(&mut follower, &mut buf);
                    }
                    let elapsed: WallDuration = started.elapsed();
                    elapsed
                })
            });
            assert_eq!(follower.leader(), Some(NodeId(5)), "still follows 5");
        }
        group.finish();
    }
}

criterion_group!(
    benches,
    handle_heartbeat,
    handle_election,
    handle_timeout,
    encode,
    decode,
    quorum,
    protection::all
);
criterion_main!(benches);
