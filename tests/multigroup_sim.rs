//! Many quorum groups on a few nodes through the simulated network (loss, delay,
//! partitions, crashes and restarts with only confirmed records kept), with every group's
//! invariants (one leader per term, at most one valid lease) checked after every step.
#![cfg(all(feature = "multigroup", feature = "sim"))]

use bellwether::sim::multigroup::{Cluster, ClusterOptions};

fn cluster(groups: u16, seed: u64) -> Cluster {
    Cluster::new(ClusterOptions {
        groups,
        seed,
        ..ClusterOptions::default()
    })
}

#[test]
fn a_thousand_groups_on_five_nodes_elect_their_preferred_leaders() {
    let mut cluster = cluster(1000, 1);
    cluster.run_for(6_000).unwrap();
    cluster.every_group_led().unwrap();
    assert_eq!(cluster.leaders_per_node(), vec![200; 5]);
}

#[test]
fn idle_traffic_is_one_datagram_per_ordered_pair_per_interval() {
    let mut cluster = cluster(1000, 2);
    cluster.run_for(6_000).unwrap();
    let before: Vec<u64> = (0..25).map(|k| cluster.datagrams(k / 5, k % 5)).collect();
    cluster.run_for(10_000).unwrap();
    for k in 0..25 {
        let (a, b) = (k / 5, k % 5);
        if a != b {
            let sent = cluster.datagrams(a, b) - before[k];
            // 100 intervals of 100 ms: one heartbeat each, and nothing else while idle.
            assert!((99..=101).contains(&sent), "{a}->{b}: {sent}");
        }
    }
}
