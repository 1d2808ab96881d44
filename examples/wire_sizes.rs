//! Bytes per message kind in each protection mode, and which links carry them in one frame.
//!
//! ```text
//! cargo run --example wire_sizes
//! ```
//!
//! It prints two Markdown tables (the ones in the README's "Bytes per message" section):
//! the encoded size of every message kind, plain, checksummed and authenticated with each
//! tag length, for a typical and for the worst-case message; then, per mode, how many
//! kinds fit one frame of common links. Every size is measured by encoding a message, not
//! computed from the format.
//!
//! * **typical**: group 1, node ids below 128, term below 128, a successor list of four
//!   small ids (next-in-line; the other algorithms send none, 4 bytes less), member
//!   bitmaps of up to 7 members, host clock values (`sent_at`, `round`, `started_at`)
//!   below 2²⁸ ms (four bytes: the first three days of uptime; five bytes up to 34 years),
//!   a host freshness (log position) below 2¹⁴, no leadership transfer under way; an
//!   authenticated message's session below 128 and counter below 2¹⁴ (two bytes).
//! * **max**: every id, the term, every host value and the freshness at their maximum,
//!   every option present, full lists, addressed to one node.

use bellwether::unstable::{Body, Kind, MemberSet, Successors};
use bellwether::{
    CmacKeys, Destination, Freshness, GroupId, KeyId, MAX_SUCCESSORS, Message, NodeId, TagLength,
    Term,
};

/// A link and the payload one frame of it carries, in bytes.
const LINKS: [(&str, usize); 5] = [
    ("classic CAN (8)", 8),
    ("BLE 4.x LL PDU (27)", 27),
    ("CAN FD (64)", 64),
    ("802.15.4 (≈102)", 102),
    ("BLE 5 LL PDU (251)", 251),
];

#[derive(Clone, Copy, PartialEq)]
enum Case {
    Typical,
    Max,
}

/// The message of `kind` in `case`.
fn message(kind: Kind, case: Case) -> Message {
    let typical = case == Case::Typical;
    let id = |small| NodeId(if typical { small } else { u32::MAX });
    let clock = if typical { (1 << 28) - 1 } else { u64::MAX };
    let host_freshness = if typical { (1 << 14) - 1 } else { u64::MAX };
    let transfer = if typical { None } else { Some(u64::MAX) };
    let members = MemberSet(if typical { 0x7F } else { u64::MAX });
    let successors: Successors = (0..MAX_SUCCESSORS as u32).map(|i| id(10 + i)).collect();
    let body = match kind {
        Kind::Heartbeat => Body::Heartbeat { successors },
        Kind::Election => Body::Election,
        Kind::Alive => Body::Alive,
        Kind::Proceed => Body::Proceed,
        Kind::Coordinator => Body::Coordinator { successors },
        Kind::TakeOver => Body::TakeOver,
        Kind::HeartbeatAck => Body::HeartbeatAck,
        Kind::RingElection => Body::RingElection {
            initiator: id(3),
            participants: members,
        },
        Kind::RingMax => Body::RingMax {
            initiator: id(3),
            max: id(5),
        },
        Kind::RingLeader => Body::RingLeader {
            initiator: id(3),
            leader: id(5),
        },
        Kind::RingAck => Body::RingAck,
        Kind::Invite => Body::Invite {
            group_size: u8::MAX,
        },
        Kind::Accept => Body::Accept { members },
        Kind::Join => Body::Join { leader: id(5) },
        Kind::PreVote => Body::PreVote {
            freshness: host_freshness,
            transfer,
            round: clock,
        },
        Kind::PreVoteGranted => Body::PreVoteGranted { round: clock },
        Kind::RequestVote => Body::RequestVote {
            freshness: host_freshness,
            transfer,
        },
        Kind::Vote => Body::Vote { granted: true },
        Kind::QuorumHeartbeat => Body::QuorumHeartbeat {
            sent_at: clock,
            transfer,
        },
        Kind::QuorumAck => Body::QuorumAck {
            sent_at: clock,
            leader: Some(id(5)),
        },
        Kind::TimeoutNow => Body::TimeoutNow { started_at: clock },
        Kind::FreshnessRequest => Body::FreshnessRequest,
        Kind::FreshnessReply => Body::FreshnessReply {
            echo: freshness(case),
        },
    };
    Message::new(
        GroupId(if typical { 1 } else { u32::MAX }),
        id(1),
        Destination::Node(id(2)),
        if typical { Term(127) } else { Term::MAX },
        body,
    )
}

/// The freshness value of an authenticated message in `case`.
fn freshness(case: Case) -> Freshness {
    match case {
        Case::Typical => Freshness {
            session: 127,
            counter: (1 << 14) - 1,
        },
        Case::Max => Freshness {
            session: u32::MAX,
            counter: u64::MAX,
        },
    }
}

/// The modes, in column order.
const MODES: [&str; 5] = [
    "plain",
    "checksum",
    "authenticated, tag 4",
    "authenticated, tag 8",
    "authenticated, tag 16",
];

/// The encoded size of the message of `kind` in `case`, in each of [`MODES`].
fn sizes(kind: Kind, case: Case, keys: &mut CmacKeys) -> [usize; 5] {
    let message = message(kind, case);
    let mut buf = [0u8; bellwether::MAX_MESSAGE_SIZE];
    let mut authenticated = |tag| {
        message
            .encode_authenticated(&mut buf, tag, KeyId(1), freshness(case), keys)
            .expect("MAX_MESSAGE_SIZE suffices")
    };
    let tags = [
        authenticated(TagLength::Bytes4),
        authenticated(TagLength::Bytes8),
        authenticated(TagLength::Bytes16),
    ];
    [
        message.encode(&mut buf).expect("MAX_MESSAGE_SIZE suffices"),
        message
            .encode_checksummed(&mut buf)
            .expect("MAX_MESSAGE_SIZE suffices"),
        tags[0],
        tags[1],
        tags[2],
    ]
}

/// One kind's sizes in every mode, typical and max.
struct Row {
    kind: Kind,
    typical: [usize; 5],
    max: [usize; 5],
}

impl Row {
    fn size(&self, case: Case, mode: usize) -> usize {
        match case {
            Case::Typical => self.typical[mode],
            Case::Max => self.max[mode],
        }
    }
}

fn main() {
    let mut keys = CmacKeys::new(KeyId(1), &[0x42; 16]);
    let rows: Vec<Row> = Kind::ALL
        .iter()
        .map(|&kind| Row {
            kind,
            typical: sizes(kind, Case::Typical, &mut keys),
            max: sizes(kind, Case::Max, &mut keys),
        })
        .collect();

    println!("Bytes per message, typical / max:\n");
    println!("| kind | {} |", MODES.join(" | "));
    println!("|---{}|", "|---:".repeat(MODES.len()));
    for row in &rows {
        let cells: Vec<String> = (0..MODES.len())
            .map(|mode| format!("{} / {}", row.typical[mode], row.max[mode]))
            .collect();
        println!("| {:?} | {} |", row.kind, cells.join(" | "));
    }

    let links: Vec<&str> = LINKS.iter().map(|(name, _)| *name).collect();
    println!(
        "\nKinds (of {}) whose message fits one frame, typical / max:\n",
        rows.len()
    );
    println!("| mode | largest | {} |", links.join(" | "));
    println!("|---|---:{}|", "|:---:".repeat(LINKS.len()));
    for (mode, name) in MODES.iter().enumerate() {
        let largest = |case| rows.iter().map(|row| row.size(case, mode)).max();
        let fits = |case, payload| {
            rows.iter()
                .filter(|row| row.size(case, mode) <= payload)
                .count()
        };
        let cells: Vec<String> = LINKS
            .iter()
            .map(|&(_, payload)| {
                let typical = fits(Case::Typical, payload);
                format!("{typical} / {}", fits(Case::Max, payload))
            })
            .collect();
        println!(
            "| {name} | {} / {} | {} |",
            largest(Case::Typical).unwrap_or(0),
            largest(Case::Max).unwrap_or(0),
            cells.join(" | ")
        );
    }
}
