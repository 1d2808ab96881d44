//! Scripted ring-election scenarios (Chang and Roberts, 1979), on the simulator with a
//! perfect 1 ms network unless a test says otherwise. Each test drives exactly the steps
//! its name describes, for both variants: the full-list token (`RingElection`) and the
//! max-only token (`RingMax`).
//!
//! The ring is the members in id order: 1 → 2 → … → n → 1. `sim.deliver_all()` fires no
//! timer, so a token sent to a dead node waits until the test fires the sender's
//! round-trip timeout with `sim.fire_timeout`, twice per silent member: the first
//! timeout sends the same token to it once more, the second sends it on to the member
//! after it (ring rule 1).
#![cfg(feature = "sim")]

mod common;

use std::collections::BTreeSet;

use bellwether::sim::{Fate, Record, Simulation};
use bellwether::unstable::{Body, Kind, MemberSet};
use bellwether::{
    Algorithm, Config, Destination, Duration, Engine, GroupId, Instant, MAX_MESSAGE_SIZE, Member,
    Message, NodeId, RingOptions, RingVariant, Role, Term, Timing,
};
use common::{
    CAPACITY, NO_JITTER, assert_all_follow, configs_of, elect, led_by, node, ring_sim, sent, sorted,
};

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
/// the ring, and every token sent to 6 twice (rule 1: once, then once more after the first
/// round-trip timeout, and only after the second timeout to the member after 6):
///
/// - the election lap: 3→4, 4→5, 5→6 (lost: 6 is dead), after 5's first round-trip
///   timeout 5→6 again (lost), after the second 5→1, then 1→2, 2→3: k + 2 = 7 tokens, and
///   the k = 5 delivered ones each acked: 12 messages;
/// - 3's token is back with participants {1, …, 5} (max-only: just 5), so 5 leads; 3
///   follows 5 and circulates the result the same way: 3→4, 4→5 (5 leads), 5→6, 5→6 (both
///   lost), 5→1, 1→2, 2→3 (back at 3, it stops): 7 tokens and 5 acks, 12 messages.
///
/// In all 2(2k + 2) = **24 election messages**, for either variant, all carrying epoch 2.
/// (Bully's worked example takes 9: the ring trades messages for its fixed, tiny state.)
///
/// Besides them, 5's first heartbeat round (to 1, 2, 3, 4 and the dead 6: 5 messages) is
/// sent too: 5 leads from the moment the result reaches it, and in LAN timing its first
/// heartbeat falls due with its second ack timeout for the result (2R = h = 100 ms), so
/// the test's last firing of 5's timers sends both: 29 transmissions.
#[test]
fn canonical_failover_takes_twenty_four_messages_and_elects_five() {
    for variant in VARIANTS {
        let mut sim = with_leader(6, variant);
        sim.crash(node(6));
        let start = sim.log().len();
        sim.fire_timeout(node(3)).unwrap();
        sim.deliver_all().unwrap();
        sim.fire_timeout(node(5)).unwrap(); // 6 did not ack the election token: resend it
        sim.fire_timeout(node(5)).unwrap(); // nor the second copy: skip 6
        sim.deliver_all().unwrap();
        sim.fire_timeout(node(5)).unwrap(); // 6 did not ack the result: resend it
        sim.fire_timeout(node(5)).unwrap(); // nor the second copy: skip 6 (and heartbeat)
        sim.deliver_all().unwrap();

        let election = election_kind(variant);
        let lap = |kind| {
            vec![
                (kind, 3, 4),
                (kind, 4, 5),
                (kind, 5, 6),
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
        assert_eq!(expected.len(), 24);
        let in_order = sent(&sim, start);
        let (heartbeats, ring): (Vec<_>, Vec<_>) = in_order
            .iter()
            .copied()
            .partition(|&(kind, _, _)| kind == Kind::Heartbeat);
        assert_eq!(
            sorted(ring.clone()),
            sorted(expected),
            "{variant:?}, in send order: {in_order:?}"
        );
        assert_eq!(
            sorted(heartbeats.clone()),
            [1, 2, 3, 4, 6].map(|to| (Kind::Heartbeat, 5, to)),
            "the new leader's first heartbeat round, and no other"
        );
        for kind in [election, Kind::RingLeader] {
            let from_five: Vec<u32> = ring
                .iter()
                .filter(|&&(k, from, _)| k == kind && from == 5)
                .map(|&(_, _, to)| to)
                .collect();
            assert_eq!(from_five, vec![6, 6, 1], "{kind:?}: 6 twice, then on to 1");
        }
        assert_eq!(sim.transmissions_since(sim.log()[start].at), 24 + 5);
        assert!(sim.log()[start..].iter().all(|r| r.term == Term(2)));
        let lost = sim.log()[start..]
            .iter()
            .filter(|r| r.to == node(6) && r.kind != Kind::Heartbeat)
            .count();
        assert_eq!(lost, 4, "each lap sent its token to the dead node twice");
        assert_all_follow(&sim, node(5));
        assert_eq!(sim.engine(node(5)).unwrap().term(), Term(2));
        println!("{variant:?}: canonical failover in 24 election messages: {ring:?}");
    }
}

/// Two dead successors in a row: 6 leads, then 4 and 6 crash and 3 notices. 3's token to 4
/// is not acked, so after the round-trip timeout 3 sends it to 4 once more; that copy is
/// not acked either, so after a second timeout 3 sends the same token to 5. 5's token to
/// 6 goes the same way: 6, 6 again, then 1. The live nodes elect 5, and the result skips
/// the dead 4 and 6 alike. Per lap each dead member costs two sends and two timeouts.
#[test]
fn dead_successors_are_skipped() {
    for variant in VARIANTS {
        let election = election_kind(variant);
        let mut sim = with_leader(6, variant);
        sim.crash(node(4));
        sim.crash(node(6));
        let start = sim.log().len();
        let last_sent =
            |sim: &Simulation<CAPACITY>| sim.log().last().map(|r| (r.kind, r.from.0, r.to.0));
        sim.fire_timeout(node(3)).unwrap();
        sim.deliver_all().unwrap();
        assert_eq!(
            sorted(sent(&sim, start)),
            vec![(election, 3, 4)],
            "4 is dead: nothing happens until 3's timeout"
        );
        sim.fire_timeout(node(3)).unwrap();
        assert_eq!(
            last_sent(&sim),
            Some((election, 3, 4)),
            "first timeout: the same token goes to 4 once more"
        );
        sim.deliver_all().unwrap();
        sim.fire_timeout(node(3)).unwrap();
        assert_eq!(
            last_sent(&sim),
            Some((election, 3, 5)),
            "second timeout: the same token goes to the member after the silent one"
        );
        sim.deliver_all().unwrap();
        sim.fire_timeout(node(5)).unwrap(); // 6 is silent: resend
        sim.fire_timeout(node(5)).unwrap(); // still silent: on to 1
        sim.deliver_all().unwrap(); // 1, 2, back to 3: 5 leads, the result goes to 4 (dead)
        sim.fire_timeout(node(3)).unwrap(); // resend to 4
        sim.fire_timeout(node(3)).unwrap(); // skip 4: to 5, which leads
        sim.deliver_all().unwrap();
        sim.fire_timeout(node(5)).unwrap(); // resend to 6
        sim.fire_timeout(node(5)).unwrap(); // skip 6: to 1 (and 5's first heartbeat)
        sim.deliver_all().unwrap();
        assert_all_follow(&sim, node(5));
        let records = &sim.log()[start..];
        let tokens_from = |kind, from| -> Vec<u32> {
            records
                .iter()
                .filter(|r| r.kind == kind && r.from == node(from))
                .map(|r| r.to.0)
                .collect()
        };
        assert_eq!(
            tokens_from(election, 3),
            vec![4, 4, 5],
            "3 tried 4 twice, then 5"
        );
        assert_eq!(
            tokens_from(Kind::RingLeader, 3),
            vec![4, 4, 5],
            "and again with the result"
        );
        assert_eq!(
            tokens_from(election, 5),
            vec![6, 6, 1],
            "5 tried 6 twice, then 1"
        );
        assert_eq!(tokens_from(Kind::RingLeader, 5), vec![6, 6, 1]);
        assert!(records.iter().all(|r| r.from != node(4)));
        assert!(records.iter().all(|r| r.term == Term(2)));
    }
}

/// Storm control within one epoch. 6 leads and crashes; 4 and then 2 notice, both open
/// epoch 2. 2's token reaches 4 (via 3) after 4 started its own, higher-ranked election,
/// so 4 acks it and swallows it; 4's token passes everyone (each has seen no initiator
/// ranked above 4) and is the only one to complete.
///
/// Messages: 2's token 2→3→4 (2 tokens, 2 acks); 4's lap 4→5, 5→6✗ twice (sent, then
/// resent after 5's first ack timeout), 5→1→2→3→4 (7 tokens, 5 acks); the result, the
/// same lap (7 tokens, 5 acks): **28 election messages**. As in the canonical failover,
/// 5's first heartbeat round (5 messages) falls due with its second ack timeout for the
/// result and goes out with it: 33 messages in all.
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
        sim.fire_timeout(node(5)).unwrap(); // 6 did not ack 4's token: resend it
        sim.fire_timeout(node(5)).unwrap(); // nor the second copy: skip 6
        sim.deliver_all().unwrap();
        sim.fire_timeout(node(5)).unwrap(); // 6 did not ack the result: resend it
        sim.fire_timeout(node(5)).unwrap(); // nor the second copy: skip 6 (and heartbeat)
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
        assert_eq!(
            count(records, election, 5),
            3,
            "5 sent 4's token to the dead 6 twice, then to 1"
        );
        assert_eq!(count(records, Kind::RingLeader, 2), 1);
        assert_eq!(count(records, Kind::RingLeader, 5), 3);
        assert_eq!(
            records
                .iter()
                .filter(|r| r.kind == Kind::RingLeader && r.to == node(5))
                .map(|r| r.from.0)
                .collect::<Vec<_>>(),
            vec![4],
            "only 4 concluded"
        );
        let heartbeats: Vec<(Kind, u32, u32)> = sent(&sim, start)
            .into_iter()
            .filter(|&(kind, _, _)| kind == Kind::Heartbeat)
            .collect();
        assert_eq!(
            sorted(heartbeats.clone()),
            [1, 2, 3, 4, 6].map(|to| (Kind::Heartbeat, 5, to)),
            "the new leader's first heartbeat round, and no other"
        );
        assert_eq!(records.len() - heartbeats.len(), 28);
        assert_eq!(records.len(), 33);
        assert_all_follow(&sim, node(5));
    }
}

/// Every survivor notices at the same instant (no jitter): 6 leads, crashes, and 1..5 all
/// open epoch 2 together. Bound on the election messages, from the storm rule: every
/// node has started its own election, so it forwards only tokens of initiators ranked
/// above it, and the token of the r-th ranked of the k = 5 live nodes is sent at most r
/// times, plus twice more to the dead 6 if it has to pass it (sent, then resent after the
/// first ack timeout): at most k(k+1)/2 + 2k = 25 election tokens and k(k+1)/2 = 15 acks.
/// Exactly one token completes; its result goes once round, with the same two sends to
/// 6: k + 2 = 7 tokens and k = 5 acks. In all at most 52 messages.
///
/// (In the id-ordered ring each of 1..4 is swallowed at once by its successor: 4 + 4
/// acks; 5's lap is 7 tokens and 5 acks; the result 7 + 5: 32.)
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
            "{variant:?}: all notice at once: {} election messages (bound 52), agreement after {}",
            records.len(),
            agreed - crash
        );
        assert_eq!(
            starters,
            (1..=5).collect(),
            "every survivor started an election at the same instant"
        );
        assert!(
            records.len() <= 52,
            "{} messages exceed the bound of 52",
            records.len()
        );
        assert_eq!(records.len(), 32, "the id-ordered ring's exact count");
        assert_eq!(
            records
                .iter()
                .filter(|r| r.kind == Kind::RingLeader)
                .count(),
            7,
            "exactly one result lap, sent to the dead 6 twice"
        );
        assert_all_follow(&sim, node(5));
    }
}

/// A follower that suspects a healthy leader (its heartbeats were late, say) starts an
/// election in epoch 2, but the leader stops the token: it acks it, forwards nothing and
/// heartbeats the initiator, in its own epoch 1. 3→4, 4→5, 5→6 with their 3 acks, and the
/// heartbeat to 3: 7 messages. The leader stays, and so does its epoch, its fencing token:
/// nothing changed, so nothing is re-announced. (A leader that reasserted itself in the
/// token's epoch did so again for every election of a member that cannot hear it, whose
/// tokens keep reaching it through the ring: a new epoch about every failure timeout,
/// forever; `tests/churn.rs` has those topologies.)
#[test]
fn a_live_leader_stops_an_election_without_changing_its_epoch() {
    for variant in VARIANTS {
        let election = election_kind(variant);
        let mut sim = with_leader(6, variant);
        let start = sim.log().len();
        sim.fire_timeout(node(3)).unwrap();
        sim.deliver_all().unwrap();
        let expected = vec![
            (election, 3, 4),
            (election, 4, 5),
            (election, 5, 6),
            (Kind::RingAck, 4, 3),
            (Kind::RingAck, 5, 4),
            (Kind::RingAck, 6, 5),
            (Kind::Heartbeat, 6, 3),
        ];
        assert_eq!(sorted(sent(&sim, start)), sorted(expected));
        assert_all_follow(&sim, node(6));
        for engine in sim.live() {
            assert_eq!(engine.term(), Term(1), "{}", engine.id());
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
        assert!(sim.live().all(|engine| engine.term() == Term(1)));
    }
}

/// A partition splits {1, 2, 3} from {4, 5, 6}. 6 keeps leading its side in epoch 1; the
/// other side's ring skips 4, 5 and 6 and elects 3 in epoch 2: two leaders (split brain).
/// After the heal, 6 hears 3's heartbeat: 3's epoch is newer, but 6 outranks it, and
/// leaders give way to rank only, so 6 reasserts itself in epoch 3 and heartbeats every
/// member; 3 yields to it, and 1 and 2 follow it: one leader again, the higher-ranked one,
/// within a heartbeat interval and two delays. (Leaders that yielded to any newer epoch
/// could depose each other forever in a fixed topology of one-way links: see
/// `tests/churn.rs` and the ring module's settling note.)
#[test]
fn after_a_partition_heals_the_higher_ranked_leader_stays() {
    for variant in VARIANTS {
        let mut sim = with_leader(6, variant);
        sim.partition(&[node(1), node(2), node(3)]);
        sim.run_for(Duration::from_secs(2)).unwrap();
        assert_eq!(sim.leaders(), vec![node(3), node(6)], "split brain");
        assert_eq!(sim.engine(node(3)).unwrap().term(), Term(2));
        assert!(sim.split_brain().max_leaders >= 2);
        sim.heal();
        let healed = sim.now();
        let agreed = sim
            .run_until_true(Duration::from_secs(1), |s| s.agreed_leader().is_some())
            .unwrap()
            .expect("one leader after the heal");
        assert_all_follow(&sim, node(6));
        assert!(sim.live().all(|engine| engine.term() == Term(3)));
        assert!(
            agreed - healed <= Duration::from_millis(102),
            "within a heartbeat interval and two delays: {}",
            agreed - healed
        );
        sim.run_for(Duration::from_secs(3)).unwrap();
        assert_all_follow(&sim, node(6));
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
        *sent.body(),
        Body::RingMax {
            initiator: NodeId(5),
            max: NodeId(5)
        }
    );
    assert_eq!(transmit.len, 9);

    // A token that has passed 30 nodes: forwarded at the same size.
    let from_four = Message::new(
        GroupId(1),
        NodeId(4),
        Destination::Node(NodeId(5)),
        Term(7),
        Body::RingMax {
            initiator: NodeId(7),
            max: NodeId(32),
        },
    );
    engine
        .handle_message(Instant::from_millis(700), &from_four)
        .unwrap();
    let mut forwarded = None;
    while let Some(transmit) = engine.poll_transmit(&mut buf).unwrap() {
        let message = Message::decode(&buf[..transmit.len]).unwrap();
        if message.body().kind() == Kind::RingMax {
            forwarded = Some((message, transmit.len));
        }
    }
    let (message, len) = forwarded.expect("the token is forwarded");
    assert_eq!(
        *message.body(),
        Body::RingMax {
            initiator: NodeId(7),
            max: NodeId(32)
        }
    );
    assert_eq!(len, 9);

    let mut encoded_len = |body: Body| {
        let mut message = from_four.clone();
        *message.body_mut() = body;
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
    let worst = Message::new(
        GroupId(u32::MAX),
        NodeId(u32::MAX),
        Destination::Node(NodeId(u32::MAX)),
        Term(u64::MAX),
        Body::RingMax {
            initiator: NodeId(u32::MAX),
            max: NodeId(u32::MAX),
        },
    );
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
        let from_one = |body: Body| {
            Message::new(
                GroupId(1),
                NodeId(1),
                Destination::Node(NodeId(2)),
                Term(1),
                body,
            )
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
            sent.push((message.body().kind(), message.to()));
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
/// to 5 is cut; 3 notices. 4 sends 3's token to 5 twice (the second time after its first
/// ack timeout) and, with no ack, skips 5; it does the same with the dead 6, so 3's token
/// comes back with participants {1, 2, 3, 4} and 4 leads, although 5 is alive and ranks
/// higher. The result skips 5 and 6 the same way: per lap, 4's timers fire four times,
/// two timeouts per silent member. Once the link is back, 5 hears 4's heartbeat, whose
/// pair (2, 4) beats its dead leader's (1, 6), and follows 4.
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
        sim.fire_timeout(node(4)).unwrap(); // no ack from 5: → 5 again (cut)
        sim.fire_timeout(node(4)).unwrap(); // still none: skip 5, → 6 (dead)
        sim.fire_timeout(node(4)).unwrap(); // no ack from 6: → 6 again
        sim.fire_timeout(node(4)).unwrap(); // still none: skip 6, → 1
        sim.deliver_all().unwrap(); // 1 → 2 → 3: 4 is elected; 3 → 4 → 5 (cut)
        sim.fire_timeout(node(4)).unwrap(); // → 5 again (cut)
        sim.fire_timeout(node(4)).unwrap(); // skip 5: → 6 (and 4's first heartbeat)
        sim.fire_timeout(node(4)).unwrap(); // → 6 again
        sim.fire_timeout(node(4)).unwrap(); // skip 6: → 1 (and 4's second heartbeat)
        sim.deliver_all().unwrap(); // → 1 → 2 → 3: the result is home
        for id in 1..=4 {
            assert_eq!(sim.engine(node(id)).unwrap().leader(), Some(node(4)));
            assert_eq!(sim.engine(node(id)).unwrap().term(), Term(2));
        }
        assert_eq!(sim.engine(node(5)).unwrap().leader(), Some(node(6)));
        let records = &sim.log()[start..];
        let to_five: Vec<Fate> = records
            .iter()
            .filter(|r| r.to == node(5) && (r.kind == election || r.kind == Kind::RingLeader))
            .map(|r| r.fate)
            .collect();
        assert_eq!(
            to_five,
            vec![Fate::Blocked; 4],
            "5 never got a token: two copies of each were cut"
        );
        for kind in [election, Kind::RingLeader] {
            let from_four: Vec<u32> = records
                .iter()
                .filter(|r| r.kind == kind && r.from == node(4))
                .map(|r| r.to.0)
                .collect();
            assert_eq!(from_four, vec![5, 5, 6, 6, 1], "{kind:?}: each twice");
        }

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

/// What the resend (rule 1) is for: one lost copy of a token does not cut a live member
/// out. The scene of the test above (6 leads and crashes, 3 notices), but the link from 4
/// to 5 is cut only for the first copy of each token: it is healed before 4's first ack
/// timeout, so 4's second copy reaches 5. 5 takes part in 3's election, which elects it,
/// and the result reaches it the same way, so 5 leads: the election completes in epoch 2,
/// with no second election. (Without the resend, 4 would have skipped 5 and been elected
/// itself, as in the test above.)
///
/// Messages: the canonical failover's 24 election messages, plus the two resent copies to
/// 5 (each lost first copy is a send that is neither delivered nor acked): 26. Then 5's
/// first heartbeat round, as in the canonical failover: 31.
#[test]
fn a_lost_token_copy_is_resent_and_does_not_cut_a_live_member_out() {
    for variant in VARIANTS {
        let election = election_kind(variant);
        let mut sim = with_leader(6, variant);
        sim.crash(node(6));
        let start = sim.log().len();
        sim.block(node(4), node(5));
        sim.fire_timeout(node(3)).unwrap();
        sim.deliver_all().unwrap(); // 3 → 4 → 5 (lost)
        sim.heal();
        sim.fire_timeout(node(4)).unwrap(); // no ack from 5: → 5 again, delivered
        assert_eq!(
            sim.log().last().map(|r| (r.kind, r.from.0, r.to.0)),
            Some((election, 4, 5)),
            "the first timeout resends to the same member"
        );
        sim.deliver_all().unwrap(); // 5 acks it and forwards it to 6 (dead)
        sim.fire_timeout(node(5)).unwrap(); // resend to 6
        sim.fire_timeout(node(5)).unwrap(); // skip 6: → 1
        sim.block(node(4), node(5)); // the only message 4 sends 5 next is the result
        sim.deliver_all().unwrap(); // 1 → 2 → 3: 5 is elected; 3 → 4 → 5 (lost)
        for id in [3, 4] {
            let engine = sim.engine(node(id)).unwrap();
            assert_eq!((engine.leader(), engine.term()), (Some(node(5)), Term(2)));
        }
        assert!(!sim.engine(node(5)).unwrap().is_leader(), "no result yet");
        sim.heal();
        sim.fire_timeout(node(4)).unwrap(); // no ack from 5: → 5 again, delivered
        sim.deliver_all().unwrap(); // 5 leads and forwards the result to 6 (dead)
        assert!(sim.engine(node(5)).unwrap().is_leader());
        sim.fire_timeout(node(5)).unwrap(); // resend to 6
        sim.fire_timeout(node(5)).unwrap(); // skip 6: → 1 (and 5's first heartbeat)
        sim.deliver_all().unwrap(); // → 1 → 2 → 3: the result is home

        assert_all_follow(&sim, node(5));
        for engine in sim.live() {
            assert_eq!(engine.term(), Term(2), "{}", engine.id());
        }
        let records = &sim.log()[start..];
        assert!(records.iter().all(|r| r.term == Term(2)), "one epoch");
        for kind in [election, Kind::RingLeader] {
            let to_five: Vec<(u32, bool)> = records
                .iter()
                .filter(|r| r.kind == kind && r.to == node(5))
                .map(|r| (r.from.0, r.fate == Fate::Blocked))
                .collect();
            assert_eq!(
                to_five,
                vec![(4, true), (4, false)],
                "{kind:?}: the first copy was lost, the second reached 5"
            );
            assert_eq!(
                count(records, kind, 5),
                3,
                "{kind:?}: 5 took part: it forwarded the token (to 6 twice, then to 1)"
            );
        }
        assert_eq!(count(records, election, 3), 1, "3 started one election");
        assert_eq!(count(records, election, 1), 1, "1 forwarded one token");
        assert_eq!(
            count(records, Kind::RingAck, 5),
            2,
            "5 acked each token once"
        );
        let ring = records.iter().filter(|r| r.kind != Kind::Heartbeat).count();
        assert_eq!(ring, 26, "the canonical 24 and one resend per lost copy");
        assert_eq!(sim.transmissions_since(records[0].at), 26 + 5);
    }
}

/// An initiator that dies mid-election does not stall it. 6 leads and crashes; 3 notices,
/// sends its token on and crashes too. The token goes 4, 5, (6 twice, skipped), 1, 2; 2's
/// successor is the silent initiator 3: 2 sends it twice (rule 1), and at the second ack
/// timeout, instead of skipping to 4 (which forwarded 3's token already and would swallow
/// it), 2 starts its own election in epoch 3 at once — not a failure timeout later. Its
/// token skips 3 and 6 the same way, and the group ends with 5.
#[test]
fn a_silent_initiator_is_replaced_by_the_node_that_finds_it_silent() {
    for variant in VARIANTS {
        let mut sim = with_leader(6, variant);
        sim.crash(node(6));
        let start = sim.log().len();
        sim.fire_timeout(node(3)).unwrap();
        sim.crash(node(3));
        sim.deliver_all().unwrap(); // 4 forwards to 5, 5 to the dead 6
        sim.fire_timeout(node(5)).unwrap(); // resend to 6
        sim.fire_timeout(node(5)).unwrap(); // skip 6
        sim.deliver_all().unwrap(); // 1 forwards to 2, 2 to the dead 3
        sim.fire_timeout(node(2)).unwrap(); // resend to 3
        let before_own = sim.log().len();
        sim.fire_timeout(node(2)).unwrap(); // 3 is the silent initiator: 2 takes over
        let own: Vec<(Kind, u32, u32, Term)> = sim.log()[before_own..]
            .iter()
            .map(|r| (r.kind, r.from.0, r.to.0, r.term))
            .collect();
        assert_eq!(
            own,
            [(election_kind(variant), 2, 3, Term(3))],
            "{variant:?}"
        );
        let tokens_to_3 = sim.log()[start..]
            .iter()
            .filter(|r| r.from == node(2) && r.to == node(3) && r.kind == election_kind(variant))
            .count();
        assert_eq!(tokens_to_3, 3, "{variant:?}: 3's token twice, then 2's own");
        elect(&mut sim, 5, Duration::from_secs(3));
        assert_eq!(sim.engine(node(5)).unwrap().term(), Term(3), "{variant:?}");
    }
}

/// A leader takes no part in a result that elects another node. Node 2 has the highest
/// priority and leads 1, 2, 3 (ring 1 → 2 → 3 → 1); then the link from 2 to 1 is cut, so
/// 1 stops hearing it. 1's token reaches 2, which stops it (rule 7), but 2's ack cannot
/// reach 1, so 1 skips 2; 3 still hears 2 and stays out of the newer epoch, so the token
/// comes back to 1 alone and 1 leads. Its result goes to 2 first, and 2 stays out of it:
/// a leader that followed it would give way to a lower-ranked node, which is a yield that
/// rule 6 never makes and that, in a ring of one-way links, let leaders depose each other
/// without end. Instead 2 hears 1's heartbeat and reasserts itself over it in a newer
/// epoch, which 3 follows; 1 cannot hear that and leads on alone. That stays.
#[test]
fn a_leader_takes_no_part_in_a_result_that_elects_another_node() {
    let members = [
        Member::with_id(1),
        Member::new(NodeId(2), 1),
        Member::with_id(3),
    ];
    for variant in VARIANTS {
        let algorithm = Algorithm::Ring(RingOptions::new(variant));
        let configs = configs_of(&members, algorithm, Timing::LAN);
        let mut sim = led_by(Simulation::new(7, configs).unwrap(), 2);
        sim.block(node(2), node(1));
        sim.run_for(Duration::from_secs(3)).unwrap();
        assert_eq!(sim.leaders(), [node(1), node(2)], "{variant:?}");
        assert_eq!(sim.engine(node(3)).unwrap().leader(), Some(node(2)));
        let events: Vec<usize> = (1..=3).map(|id| sim.events(node(id)).len()).collect();
        sim.run_for(Duration::from_secs(30)).unwrap();
        let after: Vec<usize> = (1..=3).map(|id| sim.events(node(id)).len()).collect();
        assert_eq!(
            events,
            after,
            "{variant:?}: the views changed: {:?}",
            sim.view()
        );
    }
}
