//! Many quorum groups on a few nodes, driven through a deterministic simulated network
//! (loss, delay, partitions, crashes and restarts with only confirmed records kept), with
//! every group's invariants checked after every step.
#![cfg(feature = "multigroup")]

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use bellwether::multigroup::{
    GroupOptions, GroupRecord, GroupSlot, MultiGroupConfig, MultiGroupNode, QueuedItem,
};
use bellwether::{Destination, GroupId, Instant, NodeId, Role};

const MAX_NODES: usize = 8;

/// One simulated host: its storage, its node, and what its disk holds.
struct Host {
    node: Option<MultiGroupNode<'static, MAX_NODES>>,
    disk: BTreeMap<u16, GroupRecord>,
    boots: u32,
}

/// Members of group `g` among `n` nodes, groups of `r`: the node `g mod n` sits at the
/// position the group prefers (`g mod r`), the others follow it round the ring, so that
/// preferred leaders are spread evenly.
fn members(g: u16, n: usize, r: usize) -> Vec<NodeId> {
    let mut members = vec![NodeId(0); r];
    let preferred = usize::from(g) % r;
    for k in 0..r {
        members[(preferred + k) % r] = NodeId(((usize::from(g) + k) % n) as u32 + 1);
    }
    members
}

struct Net {
    n: usize,
    groups: u16,
    r: usize,
    hosts: Vec<Host>,
    now: u64,
    rng: u64,
    /// (deliver at, sequence, to, bytes)
    flight: BinaryHeap<Reverse<(u64, u64, usize, Vec<u8>)>>,
    sequence: u64,
    loss_percent: u64,
    max_delay: u64,
    /// cut[a][b]: a cannot reach b.
    cut: Vec<Vec<bool>>,
    /// (group, term) -> leader, over the whole run.
    leaders_by_term: BTreeMap<(u16, u64), u32>,
    datagrams: u64,
}

fn leak<T>(v: Vec<T>) -> &'static mut [T] {
    Box::leak(v.into_boxed_slice())
}

impl Net {
    fn new(n: usize, groups: u16, r: usize, seed: u64) -> Net {
        let mut net = Net {
            n,
            groups,
            r,
            hosts: Vec::new(),
            now: 0,
            rng: seed,
            flight: BinaryHeap::new(),
            sequence: 0,
            loss_percent: 0,
            max_delay: 5,
            cut: vec![vec![false; n]; n],
            leaders_by_term: BTreeMap::new(),
            datagrams: 0,
        };
        for i in 0..n {
            net.hosts.push(Host {
                node: None,
                disk: BTreeMap::new(),
                boots: 0,
            });
            net.boot(i);
        }
        net
    }

    fn random(&mut self, bound: u64) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % bound.max(1)
    }

    fn boot(&mut self, i: usize) {
        let nodes: Vec<NodeId> = (1..=self.n as u32).map(NodeId).collect();
        let host = &mut self.hosts[i];
        host.boots += 1;
        let config = MultiGroupConfig::<MAX_NODES>::new(NodeId(i as u32 + 1), &nodes, GroupId(9))
            .unwrap()
            .with_seed(i as u64 * 7919 + u64::from(host.boots))
            .with_incarnation(host.boots);
        let slots = leak(vec![GroupSlot::EMPTY; usize::from(self.groups)]);
        let queue = leak(vec![
            QueuedItem::EMPTY;
            64 * usize::from(self.groups).max(64)
        ]);
        let mut node =
            MultiGroupNode::new(config, slots, queue, Instant::from_millis(self.now)).unwrap();
        for record in host.disk.values() {
            node.restore_group(record).unwrap();
        }
        for g in 0..self.groups {
            let members = members(g, self.n, self.r);
            if members.contains(&NodeId(i as u32 + 1)) {
                node.add_group(
                    Instant::from_millis(self.now),
                    g,
                    &members,
                    GroupOptions::DEFAULT,
                )
                .unwrap();
            }
        }
        host.node = Some(node);
    }

    fn crash(&mut self, i: usize) {
        self.hosts[i].node = None;
    }

    /// Drains one host's outputs: persist (confirmed at once), then datagrams.
    fn drain(&mut self, i: usize) {
        let now = Instant::from_millis(self.now);
        let mut records = vec![GroupRecord::default(); 256];
        let mut out = Vec::new();
        {
            let host = &mut self.hosts[i];
            let Some(node) = host.node.as_mut() else {
                return;
            };
            loop {
                let count = node.poll_persist(&mut records);
                if count == 0 {
                    break;
                }
                for record in &records[..count] {
                    host.disk.insert(record.group, *record);
                }
                node.confirm_persisted();
            }
            let mut buf = [0u8; 1500];
            while let Some(transmit) = node.poll_transmit(now, &mut buf).unwrap() {
                let Destination::Node(to) = transmit.to else {
                    panic!("broadcast")
                };
                out.push((to.0 as usize - 1, buf[..transmit.len].to_vec()));
            }
            while node.poll_event().is_some() {}
        }
        for (to, bytes) in out {
            self.datagrams += 1;
            if self.cut[i][to] || self.random(100) < self.loss_percent {
                continue;
            }
            let at = self.now + 1 + self.random(self.max_delay);
            self.sequence += 1;
            self.flight.push(Reverse((at, self.sequence, to, bytes)));
        }
    }

    /// Advances to `until`, delivering datagrams and firing timers, checking after each.
    fn run_until(&mut self, until: u64) {
        loop {
            let next_timer = self
                .hosts
                .iter()
                .filter_map(|h| h.node.as_ref()?.poll_timeout())
                .map(|t| t.as_millis())
                .min()
                .unwrap_or(u64::MAX);
            let next_delivery = self.flight.peek().map_or(u64::MAX, |Reverse(d)| d.0);
            let next = next_timer.min(next_delivery).max(self.now);
            if next > until {
                self.now = until;
                return;
            }
            self.now = next;
            let now = Instant::from_millis(self.now);
            while let Some(Reverse(d)) = self.flight.peek() {
                if d.0 > self.now {
                    break;
                }
                let Reverse((_, _, to, bytes)) = self.flight.pop().unwrap();
                if let Some(node) = self.hosts[to].node.as_mut() {
                    node.handle_bytes(now, &bytes).unwrap();
                }
                self.drain(to);
            }
            for i in 0..self.n {
                if let Some(node) = self.hosts[i].node.as_mut() {
                    if node.poll_timeout().is_some_and(|t| t <= now) {
                        node.handle_timeout(now);
                    }
                }
                self.drain(i);
            }
            self.check();
        }
    }

    /// One leader per term per group, ever; at most one valid lease per group now.
    fn check(&mut self) {
        let now = Instant::from_millis(self.now);
        for g in 0..self.groups {
            let mut leases = 0;
            for (i, host) in self.hosts.iter().enumerate() {
                let Some(node) = host.node.as_ref() else {
                    continue;
                };
                if node.role(g) == Some(Role::Leader) {
                    let term = node.term(g).unwrap().0;
                    let leader = *self.leaders_by_term.entry((g, term)).or_insert(i as u32);
                    assert_eq!(leader, i as u32, "group {g}: two leaders in term {term}");
                }
                if node.has_lease(g, now) {
                    leases += 1;
                }
            }
            assert!(
                leases <= 1,
                "group {g}: {leases} valid leases at {}",
                self.now
            );
        }
    }

    fn leaders_per_node(&self) -> Vec<usize> {
        self.hosts
            .iter()
            .map(|h| h.node.as_ref().map_or(0, |n| n.leading()))
            .collect()
    }

    /// Every group has exactly one leader with a lease, which all its live members follow.
    fn every_group_led(&self) -> Result<(), String> {
        let now = Instant::from_millis(self.now);
        for g in 0..self.groups {
            let leaders: Vec<usize> = (0..self.n)
                .filter(|&i| {
                    self.hosts[i]
                        .node
                        .as_ref()
                        .is_some_and(|n| n.role(g) == Some(Role::Leader) && n.has_lease(g, now))
                })
                .collect();
            if leaders.len() != 1 {
                return Err(format!("group {g} has leaders {leaders:?}"));
            }
            let leader = NodeId(leaders[0] as u32 + 1);
            for member in members(g, self.n, self.r) {
                let node = self.hosts[member.0 as usize - 1].node.as_ref();
                if let Some(node) = node {
                    if node.leader(g) != Some(leader) {
                        return Err(format!(
                            "group {g}: {member} follows {:?} in {:?} as {:?}; leader {leader} in {:?}",
                            node.leader(g),
                            node.term(g),
                            node.role(g),
                            self.hosts[leaders[0]].node.as_ref().unwrap().term(g)
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

#[test]
fn a_thousand_groups_on_five_nodes_elect_their_preferred_leaders() {
    let mut net = Net::new(5, 1000, 3, 1);
    net.run_until(6_000);
    net.every_group_led().unwrap();
    let leaders = net.leaders_per_node();
    assert_eq!(leaders, vec![200; 5], "{leaders:?}");
    // Idle: one datagram per ordered pair per heartbeat interval.
    let before = net.datagrams;
    net.run_until(16_000);
    let per_pair_per_interval = (net.datagrams - before) as f64 / 20.0 / 100.0;
    assert!(per_pair_per_interval <= 1.0, "{per_pair_per_interval}");
}
