//! The wire format: golden byte vectors for every message kind (derived by hand from the
//! postcard format, so the format cannot drift unnoticed), the size bound, and a typed
//! error for every way untrusted bytes can be wrong.
//!
//! The checksummed and authenticated envelopes have golden vectors for every kind too,
//! checked against independent implementations of CRC-32 and CMAC (see [`PROTECTED`]).
//!
//! Postcard writes unsigned integers as LEB128 varints (7 bits per byte, low bits first,
//! high bit = "more"), enum variants as a varint index, and newtypes as their contents.

use bellwether::unstable::{Body, Kind, MemberSet, Successors};
use bellwether::{
    AUTHENTICATED_WIRE_VERSION, Algorithm, AuthOptions, Authenticator, BullyOptions,
    CHECKSUM_WIRE_VERSION, CmacKeys, Config, DecodeError, Destination, EncodeError, Engine,
    Freshness, GroupId, Instant, KeyId, MAX_MESSAGE_SIZE, MAX_SUCCESSORS, Member, Message, NodeId,
    Protection, ReceiveError, TagLength, Term, WIRE_VERSION,
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
        // FreshnessRequest(=21): no fields (its nonce is the authenticated envelope's)
        (
            message(1, 4, to(5), 2, Body::FreshnessRequest),
            vec![0x02, 0x01, 0x04, 0x00, 0x05, 0x02, 0x15],
        ),
        // FreshnessReply(=22): echo = session 9, counter 300 (0xAC 0x02)
        (
            message(
                1,
                5,
                to(4),
                2,
                Body::FreshnessReply {
                    echo: Freshness {
                        session: 9,
                        counter: 300,
                    },
                },
            ),
            vec![0x02, 0x01, 0x05, 0x00, 0x04, 0x02, 0x16, 0x09, 0xAC, 0x02],
        ),
    ]
}

/// The size of the largest plain message, [`largest`].
const LARGEST_PLAIN: usize = 56;

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
    let mut buf = [0u8; MAX_MESSAGE_SIZE];
    let len = largest().encode(&mut buf).unwrap();
    assert_eq!(len, LARGEST_PLAIN);
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
    assert!(coordinator.encode(&mut buf).unwrap() < LARGEST_PLAIN);
    // The authenticated envelope adds at most key id (1) + session (5) + counter (10) +
    // the longest tag (16): that is MAX_MESSAGE_SIZE.
    let mut keys = CmacKeys::new(KeyId(1), &KEY);
    let worst = Freshness {
        session: u32::MAX,
        counter: u64::MAX,
    };
    let len = largest()
        .encode_authenticated(&mut buf, TagLength::Bytes16, KeyId(1), worst, &mut keys)
        .unwrap();
    assert_eq!(len, MAX_MESSAGE_SIZE);
    assert_eq!(LARGEST_PLAIN + 1 + 5 + 10 + 16, MAX_MESSAGE_SIZE);
}

#[test]
fn encoding_into_a_short_buffer_fails_cleanly() {
    let mut buf = [0u8; MAX_MESSAGE_SIZE];
    for short in 0..LARGEST_PLAIN {
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
        Message::decode(&with(6, 0x17)),
        Err(DecodeError::UnknownKind(23))
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

/// The key of the authenticated vectors (the ASCII bytes of "bellwether-test!"), named key
/// id 1.
const KEY: [u8; 16] = *b"bellwether-test!";

/// The freshness every authenticated vector carries: session 7, counter 300 (on the wire
/// `07 AC 02`).
const FRESHNESS: Freshness = Freshness {
    session: 7,
    counter: 300,
};

/// Each vector of [`golden`], in the same order, checksummed (wire version 3: the fields,
/// then the CRC-32 of every byte before it, little-endian) and authenticated (wire version
/// 4: the fields, key id 1, [`FRESHNESS`], then the first 8 bytes of the CMAC-AES-128 of
/// every byte before the tag, under [`KEY`]), as hex.
///
/// Computed once by this crate and pasted here. Cross-checked independently by
/// `tests/wire_vectors.py` (run `python3 tests/wire_vectors.py`), which reads this table
/// and checks every CRC-32 with Python's `zlib.crc32`, every tag with the CMAC-AES-128 of
/// the `cryptography` package (version 48.0.0 when they were pasted), and the fields
/// before each trailer against the plain vector. The CMAC implementation is also checked
/// against RFC 4493's vectors in `src/protection/cmac.rs`.
const PROTECTED: [(&str, &str); 23] = [
    // Heartbeat
    (
        "0301050004010000edbfb793",
        "04010500040100000107ac02209b7363fd95fecd",
    ),
    // Election
    (
        "03070300040201437519b4",
        "040703000402010107ac0299dbb50233f962d8",
    ),
    // Alive
    (
        "030704000302026cee7f9a",
        "040704000302020107ac02da65dc368dfa8efb",
    ),
    // Proceed
    (
        "0307030005ac0203a4f31de4",
        "0407030005ac02030107ac02e111a6b99131ec53",
    ),
    // Coordinator
    (
        "03c80105010304020403ee234f68",
        "04c801050103040204030107ac02ee22e914a1c299a1",
    ),
    // TakeOver
    (
        "030703000502056ddbb6b2",
        "040703000502050107ac02941b583a3b832a28",
    ),
    // HeartbeatAck
    (
        "0301040005010619e6eb64",
        "040104000501060107ac0251bcf1db7cda5097",
    ),
    // RingElection
    (
        "03010400050207030bd3d7383c",
        "04010400050207030b0107ac0287be96e330a5e151",
    ),
    // RingMax
    (
        "0301040005020803c80179f05702",
        "0401040005020803c8010107ac0252be1f3c70dad552",
    ),
    // RingLeader
    (
        "030104000502090305ded71ed1",
        "0401040005020903050107ac02f2796a128b08b265",
    ),
    // RingAck
    (
        "0301050004020a76bad27a",
        "0401050004020a0107ac02810075f92fde6ef1",
    ),
    // Invite
    (
        "0301050002070bc8ca0f1ac4",
        "0401050002070bc80107ac02b54f214f46a78dc8",
    ),
    // Accept
    (
        "0301020005070cac02b8e52034",
        "0401020005070cac020107ac02f6ef694cb54cf0cf",
    ),
    // Join
    (
        "0301020001070d0517892578",
        "0401020001070d050107ac02c49f57260cc40a58",
    ),
    // PreVote
    (
        "0301030001080eac020005f2316da5",
        "0401030001080eac0200050107ac02f97746a9662ef064",
    ),
    // PreVoteGranted
    (
        "0301010003070f05b0518e66",
        "0401010003070f050107ac0248a3b9bcbbb8005f",
    ),
    // RequestVote
    (
        "0301030108100001055d3882e0",
        "0401030108100001050107ac02e09239954b72bf3a",
    ),
    // Vote
    (
        "03010100030811014bedfebe",
        "04010100030811010107ac02c7a779bbad4782cd",
    ),
    // QuorumHeartbeat
    (
        "030103010812c0843d01bf843d3685c9bb",
        "040103010812c0843d01bf843d0107ac02e631d964f87d6cd2",
    ),
    // QuorumAck
    (
        "030101000308137f010320499bf8",
        "040101000308137f01030107ac025f0dbe65f09367c8",
    ),
    // TimeoutNow
    (
        "0301030002081400f6effa41",
        "04010300020814000107ac020b99d436e2af5b59",
    ),
    // FreshnessRequest
    (
        "0301040005021504f478cb",
        "040104000502150107ac027276d8753231cb59",
    ),
    // FreshnessReply
    (
        "0301050004021609ac0221796820",
        "0401050004021609ac020107ac02833a4ebb27766528",
    ),
];

/// The heartbeat vector (the first of [`PROTECTED`]) with a 4-byte tag: the same signed
/// bytes, the MAC truncated to 4 bytes. Cross-checked as [`PROTECTED`] is.
const HEARTBEAT_TAG_4: &str = "04010500040100000107ac02209b7363";

/// The heartbeat vector with the whole 16-byte CMAC tag. Cross-checked as [`PROTECTED`] is.
const HEARTBEAT_TAG_16: &str = "04010500040100000107ac02209b7363fd95fecdd147cc56d23cbdb9";

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn keys() -> CmacKeys {
    CmacKeys::new(KeyId(1), &KEY)
}

/// Reads one LEB128 varint from the front of `bytes`.
fn varint(bytes: &mut &[u8]) -> u64 {
    let mut value = 0;
    for shift in (0..).step_by(7) {
        let (&byte, rest) = bytes.split_first().unwrap();
        *bytes = rest;
        value |= u64::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            break;
        }
    }
    value
}

/// An authenticated datagram opened with the public API: its fields, the key id, the
/// freshness and the tag, the tag verified by `keys`.
struct Opened {
    message: Message,
    key: KeyId,
    freshness: Freshness,
    tag: Vec<u8>,
}

/// Opens `bytes`, an authenticated datagram with a tag of `tag` bytes. The fields are a
/// plain message's behind version byte 4: the one prefix that decodes as a plain message
/// (with version byte 2) is the message, since a message never decodes with bytes left
/// over or missing.
fn open(bytes: &[u8], tag: TagLength, keys: &mut CmacKeys) -> Opened {
    assert_eq!(bytes[0], AUTHENTICATED_WIRE_VERSION);
    let mut fields = bytes.to_vec();
    fields[0] = WIRE_VERSION;
    let (end, message) = (1..bytes.len())
        .find_map(|end| Message::decode(&fields[..end]).ok().map(|m| (end, m)))
        .expect("the fields of a message");
    let mut trailer = &bytes[end..];
    let key = KeyId(trailer[0]);
    trailer = &trailer[1..];
    let session = u32::try_from(varint(&mut trailer)).unwrap();
    let counter = varint(&mut trailer);
    assert_eq!(trailer.len(), tag.bytes(), "the tag is what is left");
    let (signed, tag) = bytes.split_at(bytes.len() - tag.bytes());
    keys.verify(key, signed, tag).expect("the tag verifies");
    Opened {
        message,
        key,
        freshness: Freshness { session, counter },
        tag: tag.to_vec(),
    }
}

#[test]
fn checksummed_vectors_encode_and_decode_exactly() {
    for ((message, plain), (checksummed, _)) in golden().into_iter().zip(PROTECTED) {
        let bytes = hex(checksummed);
        let mut buf = [0u8; MAX_MESSAGE_SIZE];
        let len = message.encode_checksummed(&mut buf).unwrap();
        assert_eq!(&buf[..len], bytes.as_slice(), "{message:?}");
        assert_eq!(bytes[0], CHECKSUM_WIRE_VERSION);
        assert_eq!(
            bytes[1..len - 4],
            plain[1..],
            "the plain fields, then 4 bytes"
        );
        assert_eq!(Message::decode_checksummed(&bytes), Ok(message));
        // Every byte is covered, the version byte too: a frame corrupted anywhere is a
        // bad checksum, whatever the corruption made of it.
        for index in 0..len {
            for bit in 0..8 {
                let mut corrupted = bytes.clone();
                corrupted[index] ^= 1 << bit;
                assert_eq!(
                    Message::decode_checksummed(&corrupted),
                    Err(DecodeError::BadChecksum),
                    "bit {bit} of byte {index} flipped"
                );
            }
        }
    }
}

#[test]
fn authenticated_vectors_encode_and_open_exactly() {
    let mut keys = keys();
    for ((message, plain), (_, authenticated)) in golden().into_iter().zip(PROTECTED) {
        let bytes = hex(authenticated);
        let mut buf = [0u8; MAX_MESSAGE_SIZE];
        let len = message
            .encode_authenticated(&mut buf, TagLength::Bytes8, KeyId(1), FRESHNESS, &mut keys)
            .unwrap();
        assert_eq!(&buf[..len], bytes.as_slice(), "{message:?}");
        assert_eq!(bytes[1..plain.len()], plain[1..]);
        assert_eq!(
            bytes[plain.len()..len - 8],
            [0x01, 0x07, 0xAC, 0x02],
            "key id 1, session 7, counter 300"
        );
        let opened = open(&bytes, TagLength::Bytes8, &mut keys);
        assert_eq!(opened.message, message);
        assert_eq!(opened.key, KeyId(1));
        assert_eq!(opened.freshness, FRESHNESS);
        let mut forged = bytes.clone();
        forged[len - 1] ^= 0x01;
        assert!(
            keys.verify(KeyId(1), &forged[..len - 8], &forged[len - 8..])
                .is_err()
        );
    }
}

#[test]
fn tags_of_4_and_16_bytes_are_the_same_mac_truncated() {
    let mut keys = keys();
    let heartbeat = &golden()[0].0;
    let tag_8 = open(&hex(PROTECTED[0].1), TagLength::Bytes8, &mut keys).tag;
    for (tag, vector) in [
        (TagLength::Bytes4, HEARTBEAT_TAG_4),
        (TagLength::Bytes16, HEARTBEAT_TAG_16),
    ] {
        let bytes = hex(vector);
        let mut buf = [0u8; MAX_MESSAGE_SIZE];
        let len = heartbeat
            .encode_authenticated(&mut buf, tag, KeyId(1), FRESHNESS, &mut keys)
            .unwrap();
        assert_eq!(&buf[..len], bytes.as_slice(), "{tag:?}");
        let opened = open(&bytes, tag, &mut keys);
        assert_eq!(&opened.message, heartbeat);
        assert_eq!(opened.freshness, FRESHNESS);
        let shared = tag.bytes().min(8);
        assert_eq!(opened.tag[..shared], tag_8[..shared]);
    }
}

/// An engine configured for authentication reads the vectors' layout: node 4, once
/// synchronised with node 5's session 7, accepts the heartbeat vector, once.
#[test]
fn an_authenticated_engine_accepts_the_heartbeat_vector() {
    let members = [3, 4, 5].map(Member::with_id);
    let mut config = Config::<8>::new(
        GroupId(1),
        NodeId(4),
        &members,
        Algorithm::Bully(BullyOptions::CLASSIC),
    )
    .unwrap();
    config.protection = Protection::Authenticated(AuthOptions::new(1));
    let mut engine = Engine::with_authenticator(config, Instant::ZERO, keys()).unwrap();
    let mut keys = keys();
    let heartbeat = hex(PROTECTED[0].1);
    let now = Instant::from_millis(1);
    assert_eq!(
        engine.handle_bytes(now, &heartbeat),
        Err(ReceiveError::Unsynchronised)
    );
    // The engine asks node 5 for its freshness; node 5 (played here) answers.
    let mut buf = [0u8; MAX_MESSAGE_SIZE];
    let request = std::iter::from_fn(|| {
        let transmit = engine.poll_transmit(&mut buf).unwrap()?;
        Some(open(&buf[..transmit.len], TagLength::Bytes8, &mut keys))
    })
    .find(|opened| opened.message.body() == &Body::FreshnessRequest)
    .expect("a freshness request");
    assert_eq!(request.message.to(), Destination::Node(NodeId(5)));
    let reply = message(
        1,
        5,
        Destination::Node(NodeId(4)),
        1,
        Body::FreshnessReply {
            echo: request.freshness,
        },
    );
    let before = Freshness {
        session: 7,
        counter: 299,
    };
    let len = reply
        .encode_authenticated(&mut buf, TagLength::Bytes8, KeyId(1), before, &mut keys)
        .unwrap();
    engine.handle_bytes(now, &buf[..len]).unwrap();
    engine.handle_bytes(now, &heartbeat).unwrap();
    assert_eq!(
        engine.handle_bytes(now, &heartbeat),
        Err(ReceiveError::Replay)
    );
}
