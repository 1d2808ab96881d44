//! The wire format: golden byte vectors for every message kind (derived by hand from the
//! postcard format, so the format cannot drift unnoticed), the size bound, and a typed
//! error for every way untrusted bytes can be wrong.
//!
//! Postcard writes unsigned integers as LEB128 varints (7 bits per byte, low bits first,
//! high bit = "more"), enum variants as a varint index, and newtypes as their contents.

use bellwether::unstable::{Body, Kind, MemberSet, Successors};
use bellwether::{
    DecodeError, Destination, EncodeError, GroupId, MAX_MESSAGE_SIZE, MAX_SUCCESSORS, Message,
    NodeId, Term, WIRE_VERSION,
};

fn message(group: u32, from: u32, to: Destination, term: u64, body: Body) -> Message {
    Message::new(GroupId(group), NodeId(from), to, Term(term), body)
}

fn successors(ids: &[u32]) -> Successors {
    ids.iter().map(|&id| NodeId(id)).collect()
}

/// (message, bytes): one per kind, in wire order, with values chosen to exercise
/// multi-byte varints, raw `u8`s, lists and both destinations.
fn golden() -> Vec<(Message, Vec<u8>)> {
    let to = |id| Destination::Node(NodeId(id));
    let heartbeat = Body::Heartbeat {
        successors: successors(&[]),
    };
    let coordinator = Body::Coordinator {
        successors: successors(&[4, 3]),
    };
    vec![
        // version 2 | group 1 | from 5 | to Node(=0) 4 | term 1 | Heartbeat(=0), 0 successors
        (
            message(1, 5, to(4), 1, heartbeat),
            vec![0x02, 0x01, 0x05, 0x00, 0x04, 0x01, 0x00, 0x00],
        ),
        // ... | group 7 | from 3 | to Node 4 | term 2 | Election(=1)
        (
            message(7, 3, to(4), 2, Body::Election),
            vec![0x02, 0x07, 0x03, 0x00, 0x04, 0x02, 0x01],
        ),
        // ... | from 4 | to Node 3 | term 2 | Alive(=2)
        (
            message(7, 4, to(3), 2, Body::Alive),
            vec![0x02, 0x07, 0x04, 0x00, 0x03, 0x02, 0x02],
        ),
        // term 300 = 0b10_0101100: 0x2C|0x80, 0x02 | Proceed(=3)
        (
            message(7, 3, to(5), 300, Body::Proceed),
            vec![0x02, 0x07, 0x03, 0x00, 0x05, 0xAC, 0x02, 0x03],
        ),
        // group 200 = 0x48|0x80, 0x01 | to All(=1) | term 3 | Coordinator(=4), 2 successors: 4, 3
        (
            message(200, 5, Destination::All, 3, coordinator),
            vec![0x02, 0xC8, 0x01, 0x05, 0x01, 0x03, 0x04, 0x02, 0x04, 0x03],
        ),
        // TakeOver(=5)
        (
            message(7, 3, to(5), 2, Body::TakeOver),
            vec![0x02, 0x07, 0x03, 0x00, 0x05, 0x02, 0x05],
        ),
        // HeartbeatAck(=6)
        (
            message(1, 4, to(5), 1, Body::HeartbeatAck),
            vec![0x02, 0x01, 0x04, 0x00, 0x05, 0x01, 0x06],
        ),
        // RingElection(=7): initiator 3, participants bitmap 0b1011
        (
            message(
                1,
                4,
                to(5),
                2,
                Body::RingElection {
                    initiator: NodeId(3),
                    participants: MemberSet(0b1011),
                },
            ),
            vec![0x02, 0x01, 0x04, 0x00, 0x05, 0x02, 0x07, 0x03, 0x0B],
        ),
        // RingMax(=8): initiator 3, max 200 (varint 0xC8 0x01)
        (
            message(
                1,
                4,
                to(5),
                2,
                Body::RingMax {
                    initiator: NodeId(3),
                    max: NodeId(200),
                },
            ),
            vec![0x02, 0x01, 0x04, 0x00, 0x05, 0x02, 0x08, 0x03, 0xC8, 0x01],
        ),
        // RingLeader(=9): initiator 3, leader 5
        (
            message(
                1,
                4,
                to(5),
                2,
                Body::RingLeader {
                    initiator: NodeId(3),
                    leader: NodeId(5),
                },
            ),
            vec![0x02, 0x01, 0x04, 0x00, 0x05, 0x02, 0x09, 0x03, 0x05],
        ),
        // RingAck(=10)
        (
            message(1, 5, to(4), 2, Body::RingAck),
            vec![0x02, 0x01, 0x05, 0x00, 0x04, 0x02, 0x0A],
        ),
        // Invite(=11): group size 200 is a raw u8, one byte, not a varint
        (
            message(1, 5, to(2), 7, Body::Invite { group_size: 200 }),
            vec![0x02, 0x01, 0x05, 0x00, 0x02, 0x07, 0x0B, 0xC8],
        ),
        // Accept(=12): members bitmap 300 as a varint u64: 0xAC 0x02
        (
            message(
                1,
                2,
                to(5),
                7,
                Body::Accept {
                    members: MemberSet(300),
                },
            ),
            vec![0x02, 0x01, 0x02, 0x00, 0x05, 0x07, 0x0C, 0xAC, 0x02],
        ),
        // Join(=13): leader 5
        (
            message(1, 2, to(1), 7, Body::Join { leader: NodeId(5) }),
            vec![0x02, 0x01, 0x02, 0x00, 0x01, 0x07, 0x0D, 0x05],
        ),
        // PreVote(=14) for term 8: freshness 300 as a varint u64, transfer None (tag 0),
        // round 5
        (
            message(
                1,
                3,
                to(1),
                8,
                Body::PreVote {
                    freshness: 300,
                    transfer: None,
                    round: 5,
                },
            ),
            vec![
                0x02, 0x01, 0x03, 0x00, 0x01, 0x08, 0x0E, 0xAC, 0x02, 0x00, 0x05,
            ],
        ),
        // PreVoteGranted(=15) of round 5, in the granter's term 7
        (
            message(1, 1, to(3), 7, Body::PreVoteGranted { round: 5 }),
            vec![0x02, 0x01, 0x01, 0x00, 0x03, 0x07, 0x0F, 0x05],
        ),
        // RequestVote(=16) to All: freshness 0, transfer Some(5): an option is a tag byte
        // (0 None, 1 Some) and then the value
        (
            message(
                1,
                3,
                Destination::All,
                8,
                Body::RequestVote {
                    freshness: 0,
                    transfer: Some(5),
                },
            ),
            vec![0x02, 0x01, 0x03, 0x01, 0x08, 0x10, 0x00, 0x01, 0x05],
        ),
        // Vote(=17): granted true
        (
            message(1, 1, to(3), 8, Body::Vote { granted: true }),
            vec![0x02, 0x01, 0x01, 0x00, 0x03, 0x08, 0x11, 0x01],
        ),
        // QuorumHeartbeat(=18): sent_at 1,000,000 = 61·128² + 4·128 + 64: 0xC0 0x84 0x3D;
        // transfer Some(999,999): tag 1, then 0xBF 0x84 0x3D
        (
            message(
                1,
                3,
                Destination::All,
                8,
                Body::QuorumHeartbeat {
                    sent_at: 1_000_000,
                    transfer: Some(999_999),
                },
            ),
            vec![
                0x02, 0x01, 0x03, 0x01, 0x08, 0x12, 0xC0, 0x84, 0x3D, 0x01, 0xBF, 0x84, 0x3D,
            ],
        ),
        // QuorumAck(=19): sent_at 127, the largest one-byte varint; crediting node 3
        (
            message(
                1,
                1,
                to(3),
                8,
                Body::QuorumAck {
                    sent_at: 127,
                    leader: Some(NodeId(3)),
                },
            ),
            vec![0x02, 0x01, 0x01, 0x00, 0x03, 0x08, 0x13, 0x7F, 0x01, 0x03],
        ),
        // TimeoutNow(=20): started_at 0
        (
            message(1, 3, to(2), 8, Body::TimeoutNow { started_at: 0 }),
            vec![0x02, 0x01, 0x03, 0x00, 0x02, 0x08, 0x14, 0x00],
        ),
    ]
}

/// The largest message: every integer at its maximum, in the largest body (a pre-vote).
fn largest() -> Message {
    message(
        u32::MAX,
        u32::MAX,
        Destination::Node(NodeId(u32::MAX)),
        Term::MAX.0,
        Body::PreVote {
            freshness: u64::MAX,
            transfer: Some(u64::MAX),
            round: u64::MAX,
        },
    )
}

#[test]
fn golden_vectors_encode_and_decode_exactly() {
    let vectors = golden();
    let mut kinds: Vec<Kind> = vectors.iter().map(|(m, _)| m.body().kind()).collect();
    kinds.dedup();
    assert_eq!(
        kinds,
        Kind::ALL,
        "one golden vector per kind, in wire order"
    );
    for (message, bytes) in vectors {
        let mut buf = [0u8; MAX_MESSAGE_SIZE];
        let len = message.encode(&mut buf).unwrap();
        assert_eq!(&buf[..len], bytes.as_slice(), "{message:?}");
        assert_eq!(bytes[0], WIRE_VERSION);
        assert_eq!(Message::decode(&bytes), Ok(message));
    }
}

#[test]
fn largest_message_is_exactly_max_message_size() {
    let mut buf = [0u8; 64];
    let len = largest().encode(&mut buf).unwrap();
    assert_eq!(len, MAX_MESSAGE_SIZE);
    let u32_max = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F];
    let u64_max = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01];
    let mut expected = vec![0x02];
    expected.extend(u32_max);
    expected.extend(u32_max);
    expected.push(0x00);
    expected.extend(u32_max);
    expected.extend([0xFF; 6]);
    expected.push(0x3F);
    expected.push(0x0E);
    expected.extend(u64_max);
    expected.push(0x01);
    expected.extend(u64_max);
    expected.extend(u64_max);
    assert_eq!(&buf[..len], expected.as_slice());
    assert_eq!(Message::decode(&buf[..len]), Ok(largest()));
    // The largest heartbeat-like body, a full successor list, is smaller.
    let coordinator = message(
        u32::MAX,
        u32::MAX,
        Destination::Node(NodeId(u32::MAX)),
        Term::MAX.0,
        Body::Coordinator {
            successors: successors(&[u32::MAX; MAX_SUCCESSORS]),
        },
    );
    assert!(coordinator.encode(&mut buf).unwrap() < MAX_MESSAGE_SIZE);
}

#[test]
fn encoding_into_a_short_buffer_fails_cleanly() {
    let mut buf = [0u8; MAX_MESSAGE_SIZE];
    for short in 0..MAX_MESSAGE_SIZE {
        assert_eq!(
            largest().encode(&mut buf[..short]),
            Err(EncodeError::BufferTooSmall)
        );
    }
}

#[test]
fn every_truncation_is_reported_as_truncated() {
    let mut vectors = golden();
    let mut buf = [0u8; MAX_MESSAGE_SIZE];
    let len = largest().encode(&mut buf).unwrap();
    vectors.push((largest(), buf[..len].to_vec()));
    for (_, bytes) in vectors {
        for cut in 0..bytes.len() {
            assert_eq!(
                Message::decode(&bytes[..cut]),
                Err(DecodeError::Truncated),
                "{:02X?}",
                &bytes[..cut]
            );
        }
    }
}

#[test]
fn each_malformation_has_its_own_error() {
    let heartbeat = [0x02, 0x01, 0x05, 0x00, 0x04, 0x01, 0x00, 0x00];
    let with = |index: usize, value: u8| {
        let mut bytes = heartbeat.to_vec();
        bytes[index] = value;
        bytes
    };
    assert_eq!(
        Message::decode(&with(0, 0x01)),
        Err(DecodeError::UnsupportedVersion(1)),
        "the version before quorum acks named their leader"
    );
    assert_eq!(
        Message::decode(&with(0, 0x00)),
        Err(DecodeError::UnsupportedVersion(0))
    );
    assert_eq!(
        Message::decode(&with(6, 0x15)),
        Err(DecodeError::UnknownKind(21))
    );
    let mut two_byte_kind = heartbeat[..6].to_vec();
    two_byte_kind.extend([0x80, 0x01]);
    assert_eq!(
        Message::decode(&two_byte_kind),
        Err(DecodeError::UnknownKind(128))
    );
    assert_eq!(
        Message::decode(&with(3, 0x02)),
        Err(DecodeError::Malformed),
        "destination tag 2"
    );
    let mut trailing = heartbeat.to_vec();
    trailing.push(0x00);
    assert_eq!(Message::decode(&trailing), Err(DecodeError::TrailingBytes));
    let overlong_group = [
        0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x05, 0x00, 0x04, 0x01, 0x00, 0x00,
    ];
    assert_eq!(
        Message::decode(&overlong_group),
        Err(DecodeError::Malformed)
    );
    assert_eq!(
        Message::decode(&[0u8; MAX_MESSAGE_SIZE + 1]),
        Err(DecodeError::Oversized)
    );
    assert_eq!(Message::decode(&[]), Err(DecodeError::Truncated));
    let five_successors = [
        0x02, 0x01, 0x05, 0x00, 0x04, 0x01, 0x00, 0x05, 0x01, 0x02, 0x03, 0x04, 0x05,
    ];
    assert_eq!(
        Message::decode(&five_successors),
        Err(DecodeError::Malformed),
        "more than MAX_SUCCESSORS"
    );
    // Term 2^48, one above Term::MAX: seven varint bytes.
    let mut beyond_ceiling = heartbeat[..5].to_vec();
    beyond_ceiling.extend([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0x00, 0x00]);
    assert_eq!(
        Message::decode(&beyond_ceiling),
        Err(DecodeError::TermOutOfRange(Term::MAX.0 + 1))
    );
    let mut at_ceiling = heartbeat[..5].to_vec();
    at_ceiling.extend([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0x00, 0x00]);
    assert_eq!(
        Message::decode(&at_ceiling).map(|m| m.term()),
        Ok(Term::MAX)
    );
}
