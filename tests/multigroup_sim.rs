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
    for (k, before) in before.iter().enumerate() {
        let (a, b) = (k / 5, k % 5);
        if a != b {
            let sent = cluster.datagrams(a, b) - before;
            // 100 intervals of 100 ms: one heartbeat each, and nothing else while idle.
            assert!((99..=101).contains(&sent), "{a}->{b}: {sent}");
        }
    }
}

/// Groups that host `i` leads now.
fn led_by(cluster: &Cluster, i: usize, groups: u16) -> Vec<u16> {
    let node = cluster.node(i).unwrap();
    (0..groups)
        .filter(|&g| node.role(g) == Some(bellwether::Role::Leader))
        .collect()
}

#[test]
fn a_failed_nodes_groups_move_at_once_and_come_back_gradually() {
    let groups = 1000;
    let mut cluster = cluster(groups, 3);
    cluster.run_for(6_000).unwrap();
    let orphans = led_by(&cluster, 0, groups);
    assert_eq!(orphans.len(), 200);
    let crashed_at = cluster.now();
    cluster.crash(0);
    // Every group node 1 led has a new leader with a lease within 1.5 election timeouts
    // (detection takes up to one, the campaign by preference order the rest).
    let recovered = cluster
        .run_while(crashed_at + 5_000, |c| {
            orphans.iter().all(|&g| c.group_led(g).is_ok())
        })
        .unwrap();
    assert!(recovered);
    let failover = cluster.now() - crashed_at;
    assert!(failover <= 1_500, "failover took {failover} ms");
    // The next preferred members took them over: spread over nodes 2 and 3... (those that
    // follow node 1 round the ring), not piled on one.
    let leaders = cluster.leaders_per_node();
    assert_eq!(leaders.iter().sum::<usize>(), 1000, "{leaders:?}");
    assert_eq!(leaders[0], 0);
    // The failed node's groups fell to both members that follow it, not to one.
    assert!(leaders[1] > 250 && leaders[2] > 250, "{leaders:?}");
    // Back again: node 1 takes its share back, a bounded number per interval (32 from
    // each of the two nodes holding its groups per interval; elections that straddle a
    // window's edge let a 100 ms window see two intervals' worth), not all at once.
    cluster.restart(0);
    let mut previous = 0;
    let mut steps_with_transfers = 0;
    for _ in 0..100 {
        cluster.run_for(100).unwrap();
        let now_led = cluster.leaders_per_node()[0];
        assert!(now_led - previous <= 2 * 2 * 32, "{previous} -> {now_led}");
        steps_with_transfers += usize::from(now_led > previous);
        previous = now_led;
    }
    assert!(steps_with_transfers >= 3, "{steps_with_transfers}");
    cluster.run_for(10_000).unwrap();
    cluster.every_group_led().unwrap();
    assert_eq!(cluster.leaders_per_node(), vec![200; 5]);
    let transfers: u32 = (0..5)
        .map(|i| cluster.node(i).unwrap().statistics().transfers)
        .sum();
    assert!(transfers >= 200, "{transfers}");
}

#[test]
fn a_minority_side_keeps_no_lease_and_the_majority_side_leads_every_group() {
    let groups = 1000;
    let mut cluster = cluster(groups, 4);
    cluster.run_for(6_000).unwrap();
    cluster.partition(&[0, 1]);
    cluster.run_for(5_000).unwrap();
    // A group holds a lease on the side that has a majority of its members, and on that
    // side only.
    let now = bellwether::Instant::from_millis(cluster.now());
    for g in 0..groups {
        let members = bellwether::sim::multigroup::placement(g, 5, 3);
        let small = members.iter().filter(|m| m.0 <= 2).count();
        let holders: Vec<usize> = (0..5)
            .filter(|&i| cluster.node(i).unwrap().has_lease(g, now))
            .collect();
        assert_eq!(holders.len(), 1, "group {g}: {holders:?}");
        assert_eq!(
            holders[0] <= 1,
            small >= 2,
            "group {g} led by {}",
            holders[0] + 1
        );
    }
    cluster.heal();
    cluster.run_for(30_000).unwrap();
    cluster.every_group_led().unwrap();
    assert_eq!(cluster.leaders_per_node(), vec![200; 5]);
}

/// A seeded schedule of the quorum fault mix: loss, partitions, one-way cuts, crashes
/// and restarts, then a heal.
fn fault_mix(seed: u64, groups: u16) -> Cluster {
    let mut cluster = Cluster::new(ClusterOptions {
        groups,
        seed,
        loss_percent: 5,
        max_delay_ms: 20,
        // Every clock off by 0.9 ‰ (slow and fast in turn) against a bound of 1 ‰.
        drift_ppm: 900,
        ..ClusterOptions::default()
    });
    let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move |bound: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % bound
    };
    cluster.run_for(3_000 + next(3_000)).unwrap();
    let mut down: Vec<usize> = Vec::new();
    for _ in 0..6 {
        match next(5) {
            0 => {
                let i = next(5) as usize;
                if !down.contains(&i) && down.len() < 2 {
                    cluster.crash(i);
                    down.push(i);
                }
            }
            1 => {
                if let Some(i) = down.pop() {
                    cluster.restart(i);
                }
            }
            2 => {
                let a = next(5) as usize;
                let b = (a + 1 + next(4) as usize) % 5;
                cluster.partition(&[a, b]);
            }
            3 => cluster.block(next(5) as usize, next(5) as usize),
            _ => cluster.heal(),
        }
        cluster
            .run_for(200 + next(2_500))
            .unwrap_or_else(|v| panic!("{v}"));
    }
    cluster.heal();
    cluster.set_loss_percent(0);
    for i in down {
        cluster.restart(i);
    }
    cluster
}

#[test]
fn under_the_fault_mix_every_group_keeps_its_promises_and_is_led_after_healing() {
    let seeds: u64 = std::env::var("BELLWETHER_MULTIGROUP_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    for seed in 0..seeds {
        let mut cluster = fault_mix(seed, 1000);
        cluster.run_for(40_000).unwrap_or_else(|v| panic!("{v}"));
        cluster.every_group_led().unwrap_or_else(|v| panic!("{v}"));
        let leaders = cluster.leaders_per_node();
        let spread = leaders.iter().max().unwrap() - leaders.iter().min().unwrap();
        assert!(spread <= 1, "seed {seed}: leaders per node {leaders:?}");
    }
}

/// One group of three on three nodes, led by node 1, without jitter in the delays.
fn three_nodes() -> Cluster {
    let mut cluster = Cluster::new(ClusterOptions {
        nodes: 3,
        groups: 1,
        max_delay_ms: 0,
        ..ClusterOptions::default()
    });
    cluster.run_for(4_000).unwrap();
    assert_eq!(cluster.group_led(0).unwrap(), 0);
    cluster
}

/// Node 3 loses node 1 while node 2 still hears it, and node 2's datagrams to node 1 are
/// slow: were node 2 not sticky, it would vote node 3 in while node 1 still counts on it.
#[test]
fn a_follower_that_hears_its_leader_votes_for_nobody_else() {
    let mut cluster = three_nodes();
    cluster.partition(&[2]);
    cluster.heal_link(1, 2);
    cluster.heal_link(2, 1);
    cluster.slow(1, 0, 300);
    cluster.run_for(10_000).unwrap_or_else(|v| panic!("{v}"));
    let now = bellwether::Instant::from_millis(cluster.now());
    assert!(cluster.node(0).unwrap().has_lease(0, now));
}

/// Node 2 restarts while node 1 leads on its support and node 3 has lost node 1: a
/// restarted node votes for nobody for `T`, which covers what it acknowledged before.
#[test]
fn a_restarted_follower_waits_before_it_votes() {
    let mut cluster = three_nodes();
    cluster.partition(&[2]);
    cluster.heal_link(1, 2);
    cluster.heal_link(2, 1);
    cluster.slow(1, 0, 300);
    // Node 3 stands about 1.25 s after the cut; node 2 restarts just before, and node 1
    // hears of the restart 300 ms later.
    cluster.run_for(1_150).unwrap();
    cluster.crash(1);
    cluster.restart(1);
    cluster.run_for(10_000).unwrap_or_else(|v| panic!("{v}"));
}

/// Node 1's datagrams are lost, but it still hears everyone: the others elect a new
/// leader, and node 1's lease ends first, because support comes only from echoes of what
/// node 1 sent, not from what it hears.
#[test]
fn a_leader_nobody_hears_loses_its_lease_though_it_hears_everyone() {
    let mut cluster = three_nodes();
    cluster.block(0, 1);
    cluster.block(0, 2);
    // What node 2 sent before it voted for node 3 still reaches node 1 for 300 ms.
    cluster.slow(1, 0, 300);
    cluster.run_for(10_000).unwrap_or_else(|v| panic!("{v}"));
    let now = bellwether::Instant::from_millis(cluster.now());
    assert!(!cluster.node(0).unwrap().has_lease(0, now));
    assert!((1..3).any(|i| cluster.node(i).unwrap().has_lease(0, now)));
}

/// The same fault mix with authenticated datagrams (CMAC-AES-128, 8-byte tags): every
/// node synchronises with every peer's session after each start, and every group is led
/// again after the heal.
#[test]
fn authenticated_groups_keep_their_promises_under_the_fault_mix() {
    use bellwether::{CmacKeys, KeyId, TagLength};
    let keys = CmacKeys::new(KeyId(1), &[7; 16]);
    let mut cluster = Cluster::with_authenticator(
        ClusterOptions {
            groups: 300,
            seed: 11,
            loss_percent: 5,
            max_delay_ms: 20,
            ..ClusterOptions::default()
        },
        keys,
        TagLength::Bytes8,
    );
    cluster.run_for(5_000).unwrap();
    cluster.every_group_led().unwrap();
    cluster.crash(2);
    cluster.run_for(3_000).unwrap();
    cluster.partition(&[0, 4]);
    cluster.run_for(3_000).unwrap();
    cluster.heal();
    cluster.restart(2);
    cluster.set_loss_percent(0);
    cluster.run_for(20_000).unwrap_or_else(|v| panic!("{v}"));
    cluster.every_group_led().unwrap_or_else(|v| panic!("{v}"));
    assert_eq!(cluster.leaders_per_node(), vec![60; 5]);
    let refused: u32 = (0..5)
        .map(|i| {
            cluster
                .node(i)
                .unwrap()
                .statistics()
                .datagrams
                .unsynchronised
        })
        .sum();
    assert!(refused > 0, "the restart was never noticed");
}

/// The leader's clock runs 4.9 % slow and the other members' 4.9 % fast, against a bound
/// of 5 %: the lease `T(1−ρ)/(1+ρ)` still ends, in real time, before they stop being
/// sticky. (With a lease of `T`, the old and the new leader's leases overlap.)
#[test]
fn leases_stay_apart_when_clocks_drift_to_the_bound() {
    // The successor's campaign jitter decides how close the two leases come: several seeds.
    for seed in 1..=12 {
        let mut cluster = Cluster::new(ClusterOptions {
            nodes: 3,
            groups: 1,
            seed,
            max_delay_ms: 0,
            clock_bound_ppm: 50_000,
            drift_ppm: 49_000,
            slow_hosts: 0b001,
            ..ClusterOptions::default()
        });
        cluster.run_for(4_000).unwrap();
        assert_eq!(cluster.group_led(0).unwrap(), 0);
        cluster.block(0, 1);
        cluster.block(0, 2);
        cluster.run_for(5_000).unwrap_or_else(|v| panic!("{v}"));
        assert!((1..3).any(|i| cluster.node(i).unwrap().has_lease(0, cluster.local(i))));
    }
}
