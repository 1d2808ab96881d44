//! Scripted invitation scenarios (Garcia-Molina, 1982; Petrov, *Database Internals*, ch. 10),
//! on the simulator with a perfect 1 ms network and [`Timing::LAN`] unless a test says
//! otherwise: heartbeat 100 ms, failure timeout F = 500 ms, failure jitter J < 150 ms;
//! invitations every I = 300 ms plus the tie-breaker delay δ = 50 ms × (members ranked
//! above the node).
#![cfg(feature = "sim")]

mod common;

use bellwether::sim::Simulation;
use bellwether::unstable::{Body, Kind, MemberSet};
use bellwether::{
    Algorithm, Config, ConfigError, Destination, Duration, Engine, Event, GroupId, Instant,
    InvitationOptions, Member, Message, NodeId, Role, Term, Timing,
};
use common::{CAPACITY, assert_all_follow, elect, invitation_sim, node, sent, sorted};

const OPTIONS: InvitationOptions = InvitationOptions::DEFAULT;

/// The election messages (liveness traffic excluded) sent from log position `from` on, as
/// (kind, sender, receiver), sorted.
fn election_messages(sim: &Simulation<CAPACITY>, from: usize) -> Vec<(Kind, u32, u32)> {
    let mut messages = sent(sim, from);
    messages.retain(|&(kind, ..)| !kind.is_liveness());
    sorted(messages)
}

/// Checks that every live node follows `leader`, as a follower, and that it leads.
fn assert_one_group(sim: &Simulation<CAPACITY>, leader: NodeId) {
    assert_all_follow(sim, leader);
    for engine in sim.live() {
        let expected = if engine.id() == leader {
            Role::Leader
        } else {
            Role::Follower
        };
        assert_eq!(engine.role(), expected, "{}", engine.id());
    }
}

/// Boots `1..=n`: every node leads a group of one; `n` (δ = 0) invites the others at once
/// and they accept.
fn booted(n: u32) -> Simulation<CAPACITY> {
    let mut sim = invitation_sim(7, n, OPTIONS, Timing::LAN);
    elect(&mut sim, n, Duration::from_millis(10));
    sim.deliver_all().unwrap();
    sim
}

/// Boot of three nodes. Each starts as the leader of a group of one. Node 3 ranks highest,
/// so its δ is 0 and it invites 1 and 2 at once; both are groups of one ranked below it, so
/// both accept. Nodes 1 and 2 would have invited only after δ = 100 and 50 ms, and by then
/// they follow 3. Four messages; the group then stays as it is (no invitations: nobody is
/// outside it).
#[test]
fn boot_of_three_nodes_merges_into_one_group_under_the_highest() {
    let mut sim = invitation_sim(1, 3, OPTIONS, Timing::LAN);
    for engine in sim.live() {
        assert_eq!(
            engine.role(),
            Role::Leader,
            "{} starts leading itself",
            engine.id()
        );
        assert_eq!(engine.leader(), Some(engine.id()));
    }
    let formed = elect(&mut sim, 3, Duration::from_secs(1));
    assert_eq!(
        formed,
        Instant::from_millis(1),
        "one message delay after start"
    );
    sim.deliver_all().unwrap();
    assert_eq!(
        election_messages(&sim, 0),
        sorted(vec![
            (Kind::Invite, 3, 1),
            (Kind::Invite, 3, 2),
            (Kind::Accept, 1, 3),
            (Kind::Accept, 2, 3),
        ])
    );
    let settled = sim.log().len();
    sim.run_for(Duration::from_secs(5)).unwrap();
    assert_one_group(&sim, node(3));
    assert!(
        election_messages(&sim, settled).is_empty(),
        "a settled group sends no invitations"
    );
    let term = sim.engine(node(3)).unwrap().term();
    assert!(
        sim.live().all(|e| e.term() == term),
        "the group shares its leader's term"
    );
}

/// Two groups of different sizes merge under the larger group's leader, though it ranks
/// lower. Nodes 1..5 boot partitioned into {1, 2, 3} and {4, 5}: 5 invites at 0 ms and 4
/// accepts; 3 invites at 100 ms (δ = 2 × 50) and 1 and 2 accept. The partition heals at
/// 200 ms. 5 invites again at 300 ms (size 2) to 1, 2 and 3; 1 and 2 follow 3 and ignore
/// it; 3 compares (2, rank 5) with (3, rank 3), its own group is larger, so it answers with
/// a counter-invitation (size 3); 5 accepts with {4, 5} and tells 4 to `Join` 3.
#[test]
fn larger_group_leads_the_merge_even_if_its_leader_ranks_lower() {
    let mut sim = invitation_sim(2, 5, OPTIONS, Timing::LAN);
    sim.partition(&[node(1), node(2), node(3)]);
    sim.run_until(Instant::from_millis(200)).unwrap();
    assert_eq!(sim.leaders(), vec![node(3), node(5)], "one group per side");
    assert_eq!(sim.engine(node(4)).unwrap().leader(), Some(node(5)));
    assert_eq!(sim.engine(node(1)).unwrap().leader(), Some(node(3)));

    sim.heal();
    let healed = sim.log().len();
    let merged = elect(&mut sim, 3, Duration::from_secs(1));
    sim.deliver_all().unwrap();
    assert_eq!(
        merged,
        Instant::from_millis(303),
        "5 invites at 300 ms; three hops"
    );
    assert_eq!(
        election_messages(&sim, healed),
        sorted(vec![
            (Kind::Invite, 5, 1),
            (Kind::Invite, 5, 2),
            (Kind::Invite, 5, 3),
            (Kind::Invite, 3, 5),
            (Kind::Accept, 5, 3),
            (Kind::Join, 5, 4),
        ])
    );
    assert_one_group(&sim, node(3));
    let settled = sim.log().len();
    sim.run_for(Duration::from_secs(5)).unwrap();
    assert_one_group(&sim, node(3));
    assert!(
        election_messages(&sim, settled).is_empty(),
        "the merged group is stable"
    );
}

/// A member loses its leader: node 2 is cut off from 1, 3 and 4 (leader 4). Its failure
/// detector fires, it leads a group of its own in a new term, and 4's sweep drops it. When
/// the partition heals, an invitation between 2 and 4 (whichever comes first) brings 2 back:
/// 2 accepts and follows 4 again. 1 and 3 follow 4 throughout.
#[test]
fn member_losing_its_leader_falls_back_to_its_own_group_and_is_invited_again() {
    let mut sim = booted(4);
    let term = sim.engine(node(4)).unwrap().term();
    let events_of_1 = sim.events(node(1)).len();
    sim.run_until(Instant::from_millis(100)).unwrap();
    sim.partition(&[node(2)]);
    let fell_back = sim
        .run_until_true(Duration::from_secs(2), |s| {
            s.engine(node(2)).unwrap().is_leader()
        })
        .unwrap()
        .expect("2 suspects its leader and leads itself");
    let alone = sim.engine(node(2)).unwrap();
    assert_eq!(alone.leader(), Some(node(2)));
    assert!(alone.term() > term, "a new group takes a new term");
    assert!(fell_back - Instant::from_millis(100) <= Duration::from_millis(500 + 150 + 100));
    assert!(
        sim.events(node(2))
            .iter()
            .any(|(_, e)| matches!(e, Event::BecameLeader { term: t } if *t > term))
    );
    assert_eq!(
        sim.leaders(),
        vec![node(2), node(4)],
        "two groups while 2 is cut off"
    );

    sim.run_for(Duration::from_secs(2)).unwrap();
    sim.heal();
    let healed = sim.log().len();
    elect(&mut sim, 4, Duration::from_secs(1));
    sim.deliver_all().unwrap();
    assert!(
        election_messages(&sim, healed).contains(&(Kind::Accept, 2, 4)),
        "2 accepted an invitation into 4's group"
    );
    assert_one_group(&sim, node(4));
    assert_eq!(
        sim.engine(node(2)).unwrap().term(),
        term,
        "2 is back in 4's group"
    );
    assert_eq!(
        sim.events(node(1)).len(),
        events_of_1,
        "1 never changed group"
    );
}

/// The canonical failover, counted exactly. Nodes 1..6 form one group under 6; 6 crashes.
/// The survivors hear nothing more and each falls back to a group of its own, sending
/// nothing. Their first invitations are timed from the last heartbeat they heard (the same
/// one, 1 ms after it was sent) plus F + J + δ, so the highest survivor, 5 (δ = 50 ms),
/// invites first, after all have fallen back and 50 ms before 4 would:
///
/// - 5 invites every node outside its group {5}: 1, 2, 3, 4 and the crashed 6 — **5**;
/// - 1..4 each lead a group of one ranked below 5: each accepts — **4** — and has no
///   members to send `Join` to.
///
/// 5 + 4 = **9** election messages (heartbeats and acks excluded), and all survivors end
/// in 5's group within F + J + δ + 2 ms of the crash.
#[test]
fn canonical_failover_takes_nine_messages_and_merges_under_the_next_highest() {
    let mut sim = booted(6);
    sim.run_for(Duration::from_secs(1)).unwrap();
    sim.crash(node(6));
    let crash = sim.now();
    let start = sim.log().len();
    let merged = elect(&mut sim, 5, Duration::from_secs(2));
    sim.deliver_all().unwrap();

    let mut expected: Vec<_> = [1, 2, 3, 4, 6].map(|to| (Kind::Invite, 5, to)).to_vec();
    expected.extend([1, 2, 3, 4].map(|from| (Kind::Accept, from, 5)));
    assert_eq!(election_messages(&sim, start), sorted(expected));
    assert_eq!(election_messages(&sim, start).len(), 9);
    assert_one_group(&sim, node(5));
    assert!(
        merged - crash <= Duration::from_millis(500 + 150 + 50 + 2),
        "took {}",
        merged - crash
    );
}

/// Rule 7 checked on one engine: an `Accept` whose member set names a position beyond the
/// membership is ignored whole; a valid one adds its members (visible in the next round of
/// invitations and their group size); and a member that never acknowledges a heartbeat is
/// swept out one failure timeout later and invited again.
#[test]
fn accept_sets_are_validated_and_silent_members_are_swept() {
    let members: Vec<Member> = (1..=3).map(Member::with_id).collect();
    let config = Config::<8>::new(
        GroupId(1),
        NodeId(3),
        &members,
        Algorithm::Invitation(OPTIONS),
    )
    .unwrap();
    let mut engine = Engine::new(config, Instant::ZERO).unwrap();
    let invitations = |engine: &mut Engine<8>, at: u64| {
        engine.handle_timeout(Instant::from_millis(at));
        let mut sent: Vec<(u32, u8)> = std::iter::from_fn(|| engine.poll_message())
            .filter_map(|m| match (m.to(), m.body()) {
                (Destination::Node(to), Body::Invite { group_size }) => Some((to.0, *group_size)),
                _ => None,
            })
            .collect();
        sent.sort();
        sent
    };
    let accept = |members: u64| {
        Message::new(
            GroupId(1),
            NodeId(1),
            Destination::Node(NodeId(3)),
            Term(1),
            Body::Accept {
                members: MemberSet(members),
            },
        )
    };

    assert_eq!(engine.term(), Term(1));
    assert_eq!(
        invitations(&mut engine, 0),
        [(1, 1), (2, 1)],
        "δ = 0: at once"
    );
    engine
        .handle_message(Instant::from_millis(10), &accept(0b001 | 1 << 40))
        .unwrap();
    assert_eq!(
        invitations(&mut engine, 300),
        [(1, 1), (2, 1)],
        "bit 40 is beyond 3 members"
    );
    engine
        .handle_message(Instant::from_millis(310), &accept(0b001))
        .unwrap();
    // 1 was counted as heard when it joined, so the sweep at 500 ms keeps it; it then never
    // acknowledges a heartbeat, so the sweep at 1000 ms drops it.
    assert_eq!(invitations(&mut engine, 500), [], "the sweep sends nothing");
    assert_eq!(
        invitations(&mut engine, 600),
        [(2, 2)],
        "1 joined: a group of two"
    );
    assert_eq!(invitations(&mut engine, 900), [(2, 2)]);
    assert_eq!(
        invitations(&mut engine, 1000),
        [],
        "the sweep sends nothing"
    );
    assert_eq!(invitations(&mut engine, 1200), [(1, 1), (2, 1)]);
    assert!(engine.is_leader());
}

/// Rules 6 to 9 checked on one engine, node 2 of {1, 2, 3}, with hand-made messages:
/// - 3 (a group of one, ranked above) invites 2: 2 accepts with itself and follows 3;
/// - an invitation from its own leader (3 does not count 2) gets an ack, no election
///   message;
/// - an ack from 1 (which still follows 2 though 2 no longer leads) gets `Join` to 3;
/// - 1 accepts an invitation 2 sent before it joined 3 (overtaken): 2 passes 1 on with
///   `Join { leader: 3 }`;
/// - 3 tells 2 to join 2 itself (two merges crossed): 2 leads a group of its own at once,
///   in a new term.
#[test]
fn follower_rules_accept_pass_on_and_break_crossed_merges() {
    let members: Vec<Member> = (1..=3).map(Member::with_id).collect();
    let config = Config::<8>::new(
        GroupId(1),
        NodeId(2),
        &members,
        Algorithm::Invitation(OPTIONS),
    )
    .unwrap();
    let mut engine = Engine::new(config, Instant::ZERO).unwrap();
    let mut deliver = |at: u64, from: u32, term: u64, body: Body| {
        let message = Message::new(
            GroupId(1),
            NodeId(from),
            Destination::Node(NodeId(2)),
            Term(term),
            body,
        );
        engine
            .handle_message(Instant::from_millis(at), &message)
            .unwrap();
        let sent: Vec<(u32, Body)> = std::iter::from_fn(|| engine.poll_message())
            .map(|m| match m.to() {
                Destination::Node(to) => (to.0, m.body().clone()),
                Destination::All => (0, m.body().clone()),
            })
            .collect();
        (sent, engine.leader(), engine.role(), engine.term())
    };
    let only_2 = MemberSet(0b010);

    let (sent, leader, role, term) = deliver(10, 3, 5, Body::Invite { group_size: 1 });
    assert_eq!(sent, [(3, Body::Accept { members: only_2 })]);
    assert_eq!(
        (leader, role, term),
        (Some(NodeId(3)), Role::Follower, Term(5))
    );

    let (sent, leader, ..) = deliver(20, 3, 5, Body::Invite { group_size: 2 });
    assert_eq!(sent, [(3, Body::HeartbeatAck)]);
    assert_eq!(leader, Some(NodeId(3)));

    let (sent, leader, ..) = deliver(
        30,
        1,
        1,
        Body::Accept {
            members: MemberSet(0b001),
        },
    );
    assert_eq!(sent, [(1, Body::Join { leader: NodeId(3) })]);
    assert_eq!(leader, Some(NodeId(3)), "2 still follows 3");

    let (sent, ..) = deliver(35, 1, 1, Body::HeartbeatAck);
    assert_eq!(sent, [(1, Body::Join { leader: NodeId(3) })]);

    let (sent, leader, role, term) = deliver(40, 3, 5, Body::Join { leader: NodeId(2) });
    assert!(sent.is_empty());
    assert_eq!((leader, role), (Some(NodeId(2)), Role::Leader));
    assert!(
        term > Term(5),
        "a new group takes a term above every one seen: {term}"
    );
}

/// Invitation options are validated with the rest of the configuration.
#[test]
fn a_zero_interval_or_a_step_shorter_than_a_round_trip_is_refused() {
    let members = [Member::with_id(1), Member::with_id(2)];
    let config = |options| {
        Config::<4>::new(
            GroupId(1),
            NodeId(1),
            &members,
            Algorithm::Invitation(options),
        )
        .and_then(|config| config.validate())
    };
    let ms = Duration::from_millis;
    assert_eq!(
        config(InvitationOptions::new(ms(0), ms(50))),
        Err(ConfigError::ZeroInviteInterval)
    );
    assert_eq!(
        config(InvitationOptions::new(ms(300), ms(10))),
        Err(ConfigError::TieBreakerStepTooShort)
    );
    assert_eq!(config(InvitationOptions::DEFAULT), Ok(()));
}
