//! Scripted ring-election scenarios (SPEC 2.5), on the simulator with a perfect 1 ms network
//! unless a test says otherwise. Each test drives exactly the steps its name describes, for
//! both variants: the full-list token (`RingElection`) and the max-only token (`RingMax`).
//!
//! The ring is the members in id order: 1 → 2 → … → n → 1. `sim.deliver_all()` fires no
//! timer, so a token sent to a dead node waits until the test fires the sender's
//! round-trip timeout with `sim.fire_timeout`.
#![cfg(feature = "sim")]

mod common;

use std::collections::BTreeSet;

use bellwether::sim::{Fate, Record, Simulation};
use bellwether::{
    Algorithm, Body, Config, Destination, Duration, Engine, GroupId, Instant, Kind,
    MAX_MESSAGE_SIZE, Member, MemberSet, Message, NodeId, RingOptions, RingVariant, Role, Term,
    Timing,
};
use common::{CAPACITY, NO_JITTER, assert_all_follow, elect, led_by, node, ring_sim, sent, sorted};

const VARIANTS: [RingVariant; 2] = [RingVariant::FullList, RingVariant::MaxOnly];

/// The election-token kind a variant sends.
fn election_kind(variant: RingVariant) -> Kind {
    match variant {
        RingVariant::FullList => Kind::RingElection,
        RingVariant::MaxOnly => Kind::RingMax,
    }
}

/// Boots `1..=n` and makes `n` the leader in epoch 1 by letting only its failure detector
/// fire: its token goes once round the ring and its result once more.
fn with_leader(n: u32, variant: RingVariant) -> Simulation<CAPACITY> {
    let sim = led_by(ring_sim(7, n, variant, Timing::LAN), n);
    assert_eq!(sim.engine(node(n)).unwrap().term(), Term(1));
    sim
}

/// How many messages of `kind` `from` sent among `records`.
fn count(records: &[Record], kind: Kind, from: u32) -> usize {
    records
        .iter()
        .filter(|r| r.kind == kind && r.from == node(from))
        .count()
}

/// The canonical failover, counted message by message. Nodes 1..6 form the ring, 6 leads
/// in epoch 1 and crashes, and 3 notices first. With k = 5 live nodes and the dead 6 in
/// the ring:
///
/// - the election lap: 3→4, 4→5, 5→6 (lost: 6 is dead), then after 5's round-trip timeout
///   5→1, 1→2, 2→3: k + 1 = 6 tokens, and the k = 5 delivered ones each acked: 11 messages;
/// - 3's token is back with participants {1, …, 5} (max-only: just 5), so 5 leads; 3
///   follows 5 and circulates the result the same way: 3→4, 4→5 (5 leads), 5→6 (lost),
///   5→1, 1→2, 2→3 (back at 3, it stops): 6 tokens and 5 acks, 11 messages.
///
/// In all 2(2k + 1) = **22 messages**, for either variant, all carrying epoch 2.
/// (Bully's worked example takes 9: the ring trades messages for its fixed, tiny state.)
#[test]
fn canonical_failover_takes_twenty_two_messages_and_elects_five() {
    for variant in VARIANTS {
        let mut sim = with_leader(6, variant);
        sim.crash(node(6));
        let start = sim.log().len();
        sim.fire_timeout(node(3)).unwrap();
        sim.deliver_all().unwrap();
        sim.fire_timeout(node(5)).unwrap(); // 6 never acked the election token
        sim.deliver_all().unwrap();
        sim.fire_timeout(node(5)).unwrap(); // nor the result
        sim.deliver_all().unwrap();

        let election = election_kind(variant);
        let lap = |kind| {
            vec![
                (kind, 3, 4),
                (kind, 4, 5),
                (kind, 5, 6),
                (kind, 5, 1),
                (kind, 1, 2),
                (kind, 2, 3),
            ]
        };
        let acks = vec![
            (Kind::RingAck, 4, 3),
            (Kind::RingAck, 5, 4),
            (Kind::RingAck, 1, 5),
            (Kind::RingAck, 2, 1),
            (Kind::RingAck, 3, 2),
        ];
        let mut expected = lap(election);
        expected.extend(lap(Kind::RingLeader));
        expected.extend(acks.iter().chain(&acks));
        let in_order = sent(&sim, start);
        assert_eq!(
            sorted(in_order.clone()),
            sorted(expected),
            "{variant:?}, in send order: {in_order:?}"
        );
        assert_eq!(sim.transmissions_since(sim.log()[start].at), 22);
        assert!(sim.log()[start..].iter().all(|r| r.term == Term(2)));
        let lost = sim.log()[start..]
            .iter()
            .filter(|r| r.to == node(6))
            .count();
        assert_eq!(lost, 2, "one token of each lap went to the dead node");
        assert_all_follow(&sim, node(5));
        assert_eq!(sim.engine(node(5)).unwrap().term(), Term(2));
        println!("{variant:?}: canonical failover in 22 messages: {in_order:?}");
    }
}

/// Two dead successors in a row: 6 leads, then 4 and 6 crash and 3 notices. 3's token to 4
/// is not acked, so after the round-trip timeout 3 sends the same token to 5; 5's token to
/// 6 is not acked either, so 5 skips to 1. The live nodes elect 5.
#[test]
fn dead_successors_are_skipped() {
    for variant in VARIANTS {
        let election = election_kind(variant);
        let mut sim = with_leader(6, variant);
        sim.crash(node(4));
        sim.crash(node(6));
        let start = sim.log().len();
        sim.fire_timeout(node(3)).unwrap();
        sim.deliver_all().unwrap();
        assert_eq!(
            sorted(sent(&sim, start)),
            vec![(election, 3, 4)],
            "4 is dead: nothing happens until 3's timeout"
        );
        sim.fire_timeout(node(3)).unwrap();
        assert_eq!(
            sim.log().last().map(|r| (r.kind, r.from.0, r.to.0)),
            Some((election, 3, 5)),
            "the same token goes to the member after the silent one"
        );
        sim.deliver_all().unwrap();
        sim.fire_timeout(node(5)).unwrap(); // 6 is silent: on to 1
        sim.deliver_all().unwrap(); // 1, 2, back to 3: 5 leads, the result goes to 4 (dead)
        sim.fire_timeout(node(3)).unwrap();
        sim.deliver_all().unwrap();
        sim.fire_timeout(node(5)).unwrap();
        sim.deliver_all().unwrap();
        assert_all_follow(&sim, node(5));
        let records = &sim.log()[start..];
        assert_eq!(count(records, election, 3), 2, "3 tried 4, then 5");
        assert_eq!(
            count(records, Kind::RingLeader, 3),
            2,
            "and again with the result"
        );
        assert!(records.iter().all(|r| r.from != node(4)));
    }
}

/// Storm control within one epoch. 6 leads and crashes; 4 and then 2 notice, both open
/// epoch 2. 2's token reaches 4 (via 3) after 4 started its own, higher-ranked election,
/// so 4 acks it and swallows it; 4's token passes everyone (each has seen no initiator
/// ranked above 4) and is the only one to complete.
///
/// Messages: 2's token 2→3→4 (2 tokens, 2 acks); 4's lap 4→5→6✗, 5→1→2→3→4 (6 tokens, 5
/// acks); the result, the same lap (6 tokens, 5 acks): 26.
#[test]
fn a_lower_initiators_token_is_swallowed_by_a_higher_initiator() {
    for variant in VARIANTS {
        let election = election_kind(variant);
        let mut sim = with_leader(6, variant);
        sim.crash(node(6));
        let start = sim.log().len();
        sim.fire_timeout(node(4)).unwrap();
        sim.fire_timeout(node(2)).unwrap();
        sim.deliver_all().unwrap();
        sim.fire_timeout(node(5)).unwrap();
        sim.deliver_all().unwrap();
        sim.fire_timeout(node(5)).unwrap();
        sim.deliver_all().unwrap();

        let records = &sim.log()[start..];
        assert_eq!(
            count(records, election, 4),
            1,
            "4 forwarded only its own token"
        );
        assert_eq!(count(records, election, 3), 2, "3 forwarded 2's, then 4's");
        assert_eq!(
            count(records, election, 2),
            2,
            "2 started one, forwarded 4's"
        );
        assert_eq!(count(records, Kind::RingLeader, 2), 1);
        assert_eq!(
            records
                .iter()
                .filter(|r| r.kind == Kind::RingLeader && r.to == node(5))
                .map(|r| r.from.0)
                .collect::<Vec<_>>(),
            vec![4],
            "only 4 concluded"
        );
        assert_eq!(records.len(), 26);
        assert_all_follow(&sim, node(5));
    }
}

/// Every survivor notices at the same instant (no jitter): 6 leads, crashes, and 1..5 all
/// open epoch 2 together. Bound on the election messages, from the storm rule: every
/// node has started its own election, so it forwards only tokens of initiators ranked
/// above it, and the token of the r-th ranked of the k = 5 live nodes is sent at most r
/// times, plus once more to the dead 6 if it has to pass it: at most k(k+1)/2 + k = 20
/// election tokens and k(k+1)/2 = 15 acks. Exactly one token completes; its result goes
/// once round: k + 1 = 6 tokens and k = 5 acks. In all at most 46 messages.
///
/// (In the id-ordered ring each of 1..4 is swallowed at once by its successor: 4 + 4
/// acks; 5's lap is 6 tokens and 5 acks; the result 6 + 5: 30.)
#[test]
fn concurrent_initiators_converge_with_a_bounded_number_of_messages() {
    for variant in VARIANTS {
        let election = election_kind(variant);
        let mut sim = ring_sim(11, 6, variant, NO_JITTER);
        elect(&mut sim, 6, Duration::from_secs(2)); // at boot
        sim.run_for(Duration::from_millis(350)).unwrap();
        sim.crash(node(6));
        let crash = sim.now();
        let agreed = elect(&mut sim, 5, Duration::from_secs(2));
        sim.run_for(Duration::from_secs(2)).unwrap(); // the last acks, then heartbeats only
        let records: Vec<Record> = sim
            .log()
            .iter()
            .filter(|r| r.at >= crash && r.kind != Kind::Heartbeat)
            .copied()
            .collect();
        let first_round = records.first().map(|r| r.at);
        let starters: BTreeSet<u32> = records
            .iter()
            .filter(|r| r.kind == election && Some(r.at) == first_round)
            .map(|r| r.from.0)
            .collect();
        println!(
            "{variant:?}: all notice at once: {} election messages (bound 46), agreement after {}",
            records.len(),
            agreed - crash
        );
        assert_eq!(
            starters,
            (1..=5).collect(),
            "every survivor started an election at the same instant"
        );
        assert!(
            records.len() <= 46,
            "{} messages exceed the bound of 46",
            records.len()
        );
        assert_eq!(records.len(), 30, "the id-ordered ring's exact count");
        assert_eq!(
            records
                .iter()
                .filter(|r| r.kind == Kind::RingLeader)
                .count(),
            6,
            "exactly one result lap"
        );
        assert_all_follow(&sim, node(5));
    }
}

/// A follower that suspects a healthy leader (its heartbeats were late, say) starts an
/// election in epoch 2, but the leader stops the token: it acks it, forwards nothing, and
/// reasserts itself in epoch 2 with a heartbeat to everyone. 3→4, 4→5, 5→6 with their 3
/// acks, and 5 heartbeats: 11 messages; the leader stays, in the new epoch.
#[test]
fn a_live_leader_stops_an_election_and_reasserts_itself() {
    for variant in VARIANTS {
        let election = election_kind(variant);
        let mut sim = with_leader(6, variant);
        let start = sim.log().len();
        sim.fire_timeout(node(3)).unwrap();
        sim.deliver_all().unwrap();
        let mut expected = vec![
            (election, 3, 4),
            (election, 4, 5),
            (election, 5, 6),
            (Kind::RingAck, 4, 3),
            (Kind::RingAck, 5, 4),
            (Kind::RingAck, 6, 5),
        ];
        expected.extend((1..=5).map(|to| (Kind::Heartbeat, 6, to)));
        assert_eq!(sorted(sent(&sim, start)), sorted(expected));
        assert_all_follow(&sim, node(6));
        for engine in sim.live() {
            assert_eq!(engine.term(), Term(2), "{}", engine.id());
        }
        // 3's token stopped at 6: nothing more happens but heartbeats.
        sim.run_for(Duration::from_secs(3)).unwrap();
        assert_eq!(
            sim.log()[start..]
                .iter()
                .filter(|r| r.kind != Kind::Heartbeat)
                .count(),
            6
        );
        assert_all_follow(&sim, node(6));
    }
}

/// A partition splits {1, 2, 3} from {4, 5, 6}. 6 keeps leading its side in epoch 1; the
/// other side's ring skips 4, 5 and 6 and elects 3 in epoch 2: two leaders (split brain).
/// After the heal, 6 hears 3's heartbeat, whose (epoch, rank) pair (2, 3) beats its own
/// (1, 6), and yields, as do 4 and 5: one leader again, but not the highest-ranked node.
#[test]
fn after_a_partition_heals_the_higher_epoch_leader_stays() {
    for variant in VARIANTS {
        let mut sim = with_leader(6, variant);
        sim.partition(&[node(1), node(2), node(3)]);
        sim.run_for(Duration::from_secs(2)).unwrap();
        assert_eq!(sim.leaders(), vec![node(3), node(6)], "split brain");
        assert!(sim.split_brain().max_leaders >= 2);
        sim.heal();
        let healed = sim.now();
        let agreed = sim
            .run_until_true(Duration::from_secs(1), |s| s.agreed_leader().is_some())
            .unwrap()
            .expect("one leader after the heal");
        assert_all_follow(&sim, node(3));
        assert!(
            agreed - healed <= Duration::from_millis(101),
            "within a heartbeat interval and a delay: {}",
            agreed - healed
        );
        sim.run_for(Duration::from_secs(3)).unwrap();
        assert_all_follow(&sim, node(3));
    }
}

/// A restarted node knows no leader and follows the first heartbeat it hears, without an
/// election.
#[test]
fn a_restarted_node_follows_the_first_heartbeat() {
    for variant in VARIANTS {
        let mut sim = with_leader(6, variant);
        sim.run_for(Duration::from_secs(1)).unwrap();
        sim.crash(node(2));
        sim.run_for(Duration::from_secs(1)).unwrap();
        sim.restart(node(2));
        let back = sim.now();
        sim.run_for(Duration::from_secs(2)).unwrap();
        assert_all_follow(&sim, node(6));
        assert!(
            sim.log()
                .iter()
                .filter(|r| r.at >= back)
                .all(|r| r.kind == Kind::Heartbeat),
            "no election after the restart"
        );
        let (heard_at, _) = sim.events(node(2)).last().copied().unwrap();
        assert!(heard_at - back <= Duration::from_millis(101));
    }
}

/// The max-only token is two node ids whatever the ring's size: with ids, group and
/// epoch below 128, 9 bytes (version, group, from, to (2), epoch, kind, initiator, max),
/// however many nodes it has passed. The full-list token grows with the members' bitmap.
#[test]
fn max_only_token_has_a_fixed_small_encoded_size() {
    let members: Vec<Member> = (1..=32).map(Member::with_id).collect();
    let algorithm = Algorithm::Ring(RingOptions::new(RingVariant::MaxOnly));
    let config = Config::<CAPACITY>::new(GroupId(1), NodeId(5), &members, algorithm).unwrap();
    let mut engine = Engine::new(config, Instant::ZERO).unwrap();
    let mut buf = [0u8; MAX_MESSAGE_SIZE];

    // Node 5 starts an election: its token names only itself.
    engine.handle_timeout(engine.poll_timeout().unwrap());
    let transmit = engine.poll_transmit(&mut buf).unwrap().unwrap();
    assert_eq!(transmit.to, Destination::Node(NodeId(6)));
    let sent = Message::decode(&buf[..transmit.len]).unwrap();
    assert_eq!(
        sent.body,
        Body::RingMax {
            initiator: NodeId(5),
            max: NodeId(5)
        }
    );
    assert_eq!(transmit.len, 9);

    // A token that has passed 30 nodes: forwarded at the same size.
    let from_four = Message {
        group: GroupId(1),
        from: NodeId(4),
        to: Destination::Node(NodeId(5)),
        term: Term(7),
        body: Body::RingMax {
            initiator: NodeId(7),
            max: NodeId(32),
        },
    };
    engine
        .handle_message(Instant::from_millis(700), &from_four)
        .unwrap();
    let mut forwarded = None;
    while let Some(transmit) = engine.poll_transmit(&mut buf).unwrap() {
        let message = Message::decode(&buf[..transmit.len]).unwrap();
        if message.body.kind() == Kind::RingMax {
            forwarded = Some((message, transmit.len));
        }
    }
    let (message, len) = forwarded.expect("the token is forwarded");
    assert_eq!(
        message.body,
        Body::RingMax {
            initiator: NodeId(7),
            max: NodeId(32)
        }
    );
    assert_eq!(len, 9);

    let mut encoded_len = |body: Body| {
        let message = Message {
            body,
            ..from_four.clone()
        };
        message.encode(&mut buf).unwrap()
    };
    for initiator in 1..=32 {
        for max in 1..=32 {
            let body = Body::RingMax {
                initiator: NodeId(initiator),
                max: NodeId(max),
            };
            assert_eq!(encoded_len(body), 9);
        }
    }
    let full_ring = Body::RingElection {
        initiator: NodeId(7),
        participants: MemberSet((1 << 32) - 1),
    };
    assert_eq!(
        encoded_len(full_ring),
        13,
        "its 32-member bitmap alone is a 5-byte varint"
    );
    // The worst case, with the largest ids and epoch, is still far below the maximum.
    let worst = Message {
        group: GroupId(u32::MAX),
        from: NodeId(u32::MAX),
        to: Destination::Node(NodeId(u32::MAX)),
        term: Term(u64::MAX),
        body: Body::RingMax {
            initiator: NodeId(u32::MAX),
            max: NodeId(u32::MAX),
        },
    };
    assert_eq!(
        worst.encode(&mut buf).unwrap(),
        1 + 5 + 5 + 6 + 10 + 1 + 5 + 5
    );
}

/// Tokens that name a non-member, or a member position beyond the membership, or nobody,
/// are ignored: no ack, no forward, no change of leadership.
#[test]
fn malformed_tokens_are_ignored() {
    let members: Vec<Member> = (1..=5).map(Member::with_id).collect();
    for variant in VARIANTS {
        let algorithm = Algorithm::Ring(RingOptions::new(variant));
        let config = Config::<8>::new(GroupId(1), NodeId(2), &members, algorithm).unwrap();
        let mut engine = Engine::new(config, Instant::ZERO).unwrap();
        let now = Instant::from_millis(10);
        let from_one = |body: Body| Message {
            group: GroupId(1),
            from: NodeId(1),
            to: Destination::Node(NodeId(2)),
            term: Term(1),
            body,
        };
        let malformed = [
            Body::RingElection {
                initiator: NodeId(1),
                participants: MemberSet(1 << 5),
            },
            Body::RingElection {
                initiator: NodeId(9),
                participants: MemberSet(1),
            },
            Body::RingElection {
                initiator: NodeId(1),
                participants: MemberSet(0),
            },
            Body::RingMax {
                initiator: NodeId(1),
                max: NodeId(9),
            },
            Body::RingLeader {
                initiator: NodeId(9),
                leader: NodeId(1),
            },
            Body::RingLeader {
                initiator: NodeId(1),
                leader: NodeId(0),
            },
        ];
        let deadline = engine.poll_timeout();
        for body in malformed {
            engine.handle_message(now, &from_one(body.clone())).unwrap();
            assert!(!engine.has_transmit(), "{body:?} was answered");
            assert_eq!(engine.leader(), None);
            assert_eq!(engine.role(), Role::Follower);
            assert_eq!(engine.term(), Term(0));
            assert_eq!(engine.poll_timeout(), deadline, "{body:?} re-armed a timer");
        }
        // A valid one is acked and forwarded.
        let valid = Body::RingLeader {
            initiator: NodeId(1),
            leader: NodeId(5),
        };
        engine.handle_message(now, &from_one(valid)).unwrap();
        let mut sent = Vec::new();
        while let Some(message) = engine.poll_message() {
            sent.push((message.body.kind(), message.to));
        }
        sent.sort_by_key(|&(kind, _)| kind as u8);
        assert_eq!(
            sent,
            vec![
                (Kind::RingLeader, Destination::Node(NodeId(3))),
                (Kind::RingAck, Destination::Node(NodeId(1))),
            ]
        );
        assert_eq!(engine.leader(), Some(NodeId(5)));
    }
}

/// A group of one: the token has nowhere to go, so it is back at once and the node leads
/// without sending anything.
#[test]
fn a_group_of_one_leads_itself_silently() {
    for variant in VARIANTS {
        let algorithm = Algorithm::Ring(RingOptions::new(variant));
        let config =
            Config::<4>::new(GroupId(1), NodeId(3), &[Member::with_id(3)], algorithm).unwrap();
        let mut engine = Engine::new(config, Instant::ZERO).unwrap();
        engine.handle_timeout(engine.poll_timeout().unwrap());
        assert!(engine.is_leader());
        assert_eq!(engine.term(), Term(1));
        assert!(engine.poll_message().is_none());
    }
}

/// A member the ring cannot reach takes no part. 6 leads and crashes, and the link from 4
/// to 5 is cut; 3 notices. 4 skips 5 (no ack) and then the dead 6, so 3's token comes back
/// with participants {1, 2, 3, 4} and 4 leads, although 5 is alive and ranks higher. The
/// result skips 5 the same way. Once the link is back, 5 hears 4's heartbeat, whose pair
/// (2, 4) beats its dead leader's (1, 6), and follows 4.
#[test]
fn a_member_the_token_cannot_reach_is_left_out_and_follows_by_heartbeat() {
    for variant in VARIANTS {
        let election = election_kind(variant);
        let mut sim = with_leader(6, variant);
        sim.crash(node(6));
        sim.block(node(4), node(5));
        let start = sim.log().len();
        sim.fire_timeout(node(3)).unwrap();
        sim.deliver_all().unwrap(); // 3 → 4 → 5 (cut)
        sim.fire_timeout(node(4)).unwrap(); // skip 5: → 6 (dead)
        sim.fire_timeout(node(4)).unwrap(); // skip 6: → 1
        sim.deliver_all().unwrap(); // 1 → 2 → 3: 4 is elected; 3 → 4 → 5 (cut)
        sim.fire_timeout(node(4)).unwrap();
        sim.fire_timeout(node(4)).unwrap();
        sim.deliver_all().unwrap(); // → 1 → 2 → 3: the result is home
        for id in 1..=4 {
            assert_eq!(sim.engine(node(id)).unwrap().leader(), Some(node(4)));
        }
        assert_eq!(sim.engine(node(5)).unwrap().leader(), Some(node(6)));
        let to_five: Vec<Fate> = sim.log()[start..]
            .iter()
            .filter(|r| r.to == node(5) && (r.kind == election || r.kind == Kind::RingLeader))
            .map(|r| r.fate)
            .collect();
        assert_eq!(
            to_five,
            vec![Fate::Blocked, Fate::Blocked],
            "5 never got a token"
        );

        sim.heal();
        let healed = sim.now();
        let agreed = elect(&mut sim, 4, Duration::from_secs(2)); // 5 follows 4 too
        assert!(
            agreed - healed <= Duration::from_millis(101),
            "within a heartbeat interval and a delay: {}",
            agreed - healed
        );
    }
}
