//! Bad input to a multi-group node, and attacks on its authenticated datagrams: each is
//! refused with its typed error and changes no group's state.
#![cfg(all(feature = "multigroup", feature = "sim", feature = "cmac"))]

use bellwether::multigroup::{
    GroupOptions, GroupRecord, GroupSlot, MultiGroupConfig, MultiGroupError, MultiGroupNode,
    QueuedItem,
};
use bellwether::sim::multigroup::{Cluster, ClusterOptions};
use bellwether::{Authenticator, Destination, GroupId, Instant, NodeId};
use bellwether::{CmacKeys, DecodeError, KeyId, ReceiveError, Role, TagLength, Term};

const GROUPS: u16 = 50;

/// One group's state at one node: role, leader, term, lease.
type GroupState = (Option<Role>, Option<NodeId>, Option<Term>, bool);

/// Every group's state at host `i`.
fn snapshot<A: Authenticator + Clone>(cluster: &Cluster<A>, i: usize) -> Vec<GroupState> {
    let node = cluster.node(i).unwrap();
    let now = Instant::from_millis(cluster.now());
    (0..GROUPS)
        .map(|g| {
            (
                node.role(g),
                node.leader(g),
                node.term(g),
                node.has_lease(g, now),
            )
        })
        .collect()
}

/// Storage for `count` nodes of one group each.
type Storage = Vec<(Vec<GroupSlot>, Vec<QueuedItem>)>;

fn storage(count: usize) -> Storage {
    (0..count)
        .map(|_| (vec![GroupSlot::EMPTY; 1], vec![QueuedItem::EMPTY; 30]))
        .collect()
}

/// Nodes 1.. of the node set {1, 2, 3}, one per storage entry, each holding group 0 of
/// all three with `options`: real nodes driven by hand, without the simulator.
fn group_of_three(storage: &mut Storage, options: GroupOptions) -> Vec<MultiGroupNode<'_, 4>> {
    let nodes = [NodeId(1), NodeId(2), NodeId(3)];
    storage
        .iter_mut()
        .enumerate()
        .map(|(i, (slots, queue))| {
            let config =
                MultiGroupConfig::<4>::new(NodeId(i as u32 + 1), &nodes, GroupId(1)).unwrap();
            let mut node =
                MultiGroupNode::new(config, slots, queue, Instant::from_millis(0)).unwrap();
            node.add_group(Instant::from_millis(0), 0, &nodes, options)
                .unwrap();
            node
        })
        .collect()
}

fn options() -> ClusterOptions {
    ClusterOptions {
        nodes: 3,
        groups: GROUPS,
        ..ClusterOptions::default()
    }
}

fn authenticated() -> Cluster<CmacKeys> {
    let mut cluster = Cluster::with_authenticator(
        options(),
        CmacKeys::new(KeyId(1), &[9; 16]),
        TagLength::Bytes8,
    );
    cluster.run_for(5_000).unwrap();
    cluster.every_group_led().unwrap();
    cluster
}

/// The largest datagram from node 1 to node 2 while node 3 is down and they take over
/// its groups: one that carries election items, not only the node-level fields.
fn captured_traffic(cluster: &mut Cluster<CmacKeys>) -> Vec<u8> {
    cluster.set_wiretap(true);
    cluster.crash(2);
    cluster.run_for(2_000).unwrap();
    cluster.restart(2);
    cluster.run_for(2_000).unwrap();
    let tap = cluster.take_wiretap();
    let sent: Vec<Vec<u8>> = tap
        .into_iter()
        .filter(|(from, to, _)| *from == 0 && *to == 1)
        .map(|(_, _, bytes)| bytes)
        .collect();
    let idle = sent.iter().map(Vec::len).min().unwrap();
    let largest = sent.into_iter().max_by_key(Vec::len).unwrap();
    // Longer than a bundle with the node-level fields only: it carries items.
    assert!(largest.len() > idle, "{} {idle}", largest.len());
    largest
}

#[test]
fn a_replayed_datagram_is_refused_and_changes_nothing() {
    let mut cluster = authenticated();
    let old = captured_traffic(&mut cluster);
    cluster.run_for(1_000).unwrap();
    let before = snapshot(&cluster, 1);
    assert_eq!(cluster.inject(1, &old), Err(ReceiveError::Replay));
    assert_eq!(snapshot(&cluster, 1), before);
    assert!(cluster.node(1).unwrap().statistics().datagrams.replay >= 1);
}

#[test]
fn a_flipped_bit_anywhere_is_refused_and_changes_nothing() {
    let mut cluster = authenticated();
    let genuine = captured_traffic(&mut cluster);
    let before = snapshot(&cluster, 1);
    for byte in 0..genuine.len() {
        let mut forged = genuine.clone();
        forged[byte] ^= 0x10;
        let result = cluster.inject(1, &forged);
        assert!(
            matches!(
                result,
                Err(ReceiveError::BadMac
                    | ReceiveError::Decode(_)
                    | ReceiveError::WrongEnvelope(_)
                    | ReceiveError::UnknownKey(_)
                    | ReceiveError::WrongGroup(_)
                    | ReceiveError::UnknownSender(_)
                    | ReceiveError::Misaddressed(_)
                    | ReceiveError::FromSelf)
            ),
            "byte {byte}: {result:?}"
        );
    }
    assert_eq!(snapshot(&cluster, 1), before);
}

#[test]
fn a_datagram_signed_with_another_key_is_refused() {
    let mut cluster = authenticated();
    let mut outsider = Cluster::with_authenticator(
        options(),
        CmacKeys::new(KeyId(1), &[10; 16]),
        TagLength::Bytes8,
    );
    outsider.set_wiretap(true);
    outsider.run_for(5_000).unwrap();
    let before = snapshot(&cluster, 1);
    for (from, to, bytes) in outsider.take_wiretap() {
        if from == 0 && to == 1 {
            assert_eq!(cluster.inject(1, &bytes), Err(ReceiveError::BadMac));
        }
    }
    assert_eq!(snapshot(&cluster, 1), before);
    let mut unknown = Cluster::with_authenticator(
        options(),
        CmacKeys::new(KeyId(2), &[9; 16]),
        TagLength::Bytes8,
    );
    unknown.set_wiretap(true);
    unknown.run_for(200).unwrap();
    let (_, _, bytes) = unknown
        .take_wiretap()
        .into_iter()
        .find(|(f, t, _)| *f == 0 && *t == 1)
        .unwrap();
    assert_eq!(cluster.inject(1, &bytes), Err(ReceiveError::UnknownKey(2)));
}

#[test]
fn an_old_session_of_a_restarted_sender_is_refused() {
    let mut cluster = authenticated();
    let old = captured_traffic(&mut cluster);
    cluster.crash(0);
    cluster.restart(0);
    cluster.run_for(5_000).unwrap();
    cluster.every_group_led().unwrap();
    let before = snapshot(&cluster, 1);
    let result = cluster.inject(1, &old);
    assert!(
        matches!(
            result,
            Err(ReceiveError::Unsynchronised | ReceiveError::Replay)
        ),
        "{result:?}"
    );
    assert_eq!(snapshot(&cluster, 1), before);
}

#[test]
fn plain_bundles_are_refused_by_an_authenticated_node_and_the_reverse() {
    let mut cluster = authenticated();
    let mut plain = Cluster::new(options());
    plain.set_wiretap(true);
    plain.run_for(200).unwrap();
    let (_, _, checksummed) = plain
        .take_wiretap()
        .into_iter()
        .find(|(f, t, _)| *f == 0 && *t == 1)
        .unwrap();
    assert_eq!(
        cluster.inject(1, &checksummed),
        Err(ReceiveError::WrongEnvelope(6))
    );
    let sealed = captured_traffic(&mut cluster);
    assert_eq!(
        plain.inject(1, &sealed),
        Err(ReceiveError::WrongEnvelope(7))
    );
}

#[test]
fn malformed_and_misdirected_bundles_get_typed_errors() {
    let mut cluster = Cluster::new(options());
    cluster.set_wiretap(true);
    cluster.run_for(5_000).unwrap();
    let tap = cluster.take_wiretap();
    let (_, _, genuine) = tap
        .iter()
        .rev()
        .find(|(f, t, _)| *f == 0 && *t == 1)
        .unwrap()
        .clone();
    let (_, _, to_third) = tap
        .iter()
        .rev()
        .find(|(f, t, _)| *f == 0 && *t == 2)
        .unwrap()
        .clone();
    let before = snapshot(&cluster, 1);
    assert_eq!(
        cluster.inject(1, &[]),
        Err(ReceiveError::Decode(DecodeError::Truncated))
    );
    assert_eq!(
        cluster.inject(1, &genuine[..genuine.len() - 1]),
        Err(ReceiveError::Decode(DecodeError::BadChecksum))
    );
    assert_eq!(
        cluster.inject(1, &to_third),
        Err(ReceiveError::Misaddressed(NodeId(3)))
    );
    assert_eq!(snapshot(&cluster, 1), before);
    let statistics = cluster.node(1).unwrap().statistics().datagrams;
    assert_eq!(statistics.malformed, 1);
    assert_eq!(statistics.bad_checksum, 1);
    assert_eq!(statistics.not_for_this_node, 1);
}

/// Without authentication the same replay is accepted: what the seal is for.
#[test]
fn without_authentication_a_replayed_datagram_is_accepted() {
    let mut cluster = Cluster::new(options());
    cluster.run_for(5_000).unwrap();
    cluster.set_wiretap(true);
    cluster.run_for(500).unwrap();
    let (_, _, old) = cluster
        .take_wiretap()
        .into_iter()
        .find(|(f, t, _)| *f == 0 && *t == 1)
        .unwrap();
    cluster.run_for(1_000).unwrap();
    assert_eq!(cluster.inject(1, &old), Ok(()));
}

/// Two real nodes of a group of three: node 1 stands, but its host never confirms the
/// batch that holds its new term and vote, so its vote requests must not leave; once
/// confirmed, they do and it is elected.
#[test]
fn no_item_leaves_before_the_records_it_depends_on_are_written() {
    let mut storage = storage(2);
    let mut hosts = group_of_three(&mut storage, GroupOptions::DEFAULT);
    let mut confirm_node_1 = false;
    let mut records = [GroupRecord::default(); 4];
    for step in 0..600u64 {
        let now = Instant::from_millis(step * 10);
        if step == 400 {
            assert!(hosts[0].term(0).unwrap().0 >= 1, "node 1 never stood");
            // Node 2 never saw the new term: the vote request is still held.
            assert_eq!(hosts[1].term(0).unwrap().0, 0);
            confirm_node_1 = true;
        }
        let mut in_flight = Vec::new();
        for (i, node) in hosts.iter_mut().enumerate() {
            node.handle_timeout(now);
            // Node 2's host writes every batch at once; node 1's holds its first one
            // until step 400.
            let handed = node.poll_persist(&mut records) > 0;
            if (i == 1 && handed) || (i == 0 && confirm_node_1) {
                node.confirm_persisted();
            }
            let mut buf = [0u8; 1200];
            while let Some(transmit) = node.poll_transmit(now, &mut buf).unwrap() {
                if transmit.to == Destination::Node(NodeId(2 - i as u32)) {
                    in_flight.push((1 - i, buf[..transmit.len].to_vec()));
                }
            }
        }
        for (to, bytes) in in_flight {
            hosts[to].handle_bytes(now, &bytes).unwrap();
        }
    }
    assert_eq!(hosts[0].role(0), Some(Role::Leader));
    assert_eq!(hosts[1].leader(0), Some(NodeId(1)));
}

/// Ordinary members vote but never stand: with node 1 the only candidate, it leads; when
/// it falls silent, nobody else does. Options that leave no candidate are refused.
#[test]
fn ordinary_members_never_stand() {
    let nodes = [NodeId(1), NodeId(2), NodeId(3)];
    let options = GroupOptions::DEFAULT
        .with_preferred(0)
        .with_ordinary(1)
        .with_ordinary(2);
    let mut storage = storage(3);
    let mut hosts = group_of_three(&mut storage, options);
    let mut records = [GroupRecord::default(); 4];
    let mut run = |hosts: &mut Vec<MultiGroupNode<'_, 4>>, from: u64, to: u64, alive: usize| {
        for step in from..to {
            let now = Instant::from_millis(step * 10);
            let mut in_flight = Vec::new();
            for (i, node) in hosts.iter_mut().enumerate().skip(3 - alive) {
                node.handle_timeout(now);
                while node.poll_persist(&mut records) > 0 {
                    node.confirm_persisted();
                }
                let mut buf = [0u8; 1200];
                while let Some(transmit) = node.poll_transmit(now, &mut buf).unwrap() {
                    let Destination::Node(to) = transmit.to else {
                        continue;
                    };
                    in_flight.push((to.0 as usize - 1, i, buf[..transmit.len].to_vec()));
                }
            }
            for (to, _, bytes) in in_flight {
                if to >= 3 - alive {
                    hosts[to].handle_bytes(now, &bytes).unwrap();
                }
            }
        }
    };
    run(&mut hosts, 0, 400, 3);
    assert_eq!(hosts[0].role(0), Some(Role::Leader));
    // Node 1 falls silent: nodes 2 and 3 never stand.
    run(&mut hosts, 400, 1_000, 2);
    for node in &hosts[1..] {
        assert_eq!(node.role(0), Some(Role::Follower));
        assert_eq!(node.leader(0), None);
        assert_eq!(node.term(0), hosts[0].term(0));
    }
    // Options that leave no member to stand, or prefer an ordinary one, are refused.
    let mut slots = [GroupSlot::EMPTY; 2];
    let mut queue = [QueuedItem::EMPTY; 30];
    let config = MultiGroupConfig::<4>::new(NodeId(1), &nodes, GroupId(1)).unwrap();
    let mut node =
        MultiGroupNode::new(config, &mut slots, &mut queue, Instant::from_millis(0)).unwrap();
    let none = GroupOptions::DEFAULT
        .with_ordinary(0)
        .with_ordinary(1)
        .with_ordinary(2);
    assert_eq!(
        node.add_group(Instant::from_millis(0), 0, &nodes, none),
        Err(MultiGroupError::Ordinary)
    );
    let preferred_ordinary = GroupOptions::DEFAULT.with_preferred(1).with_ordinary(1);
    assert_eq!(
        node.add_group(Instant::from_millis(0), 1, &nodes, preferred_ordinary),
        Err(MultiGroupError::Preferred(1))
    );
}
