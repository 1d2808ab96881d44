//! A deterministic network of multi-group nodes: many quorum groups on a few nodes, on a
//! virtual clock, with loss, delay, partitions, crashes and restarts (only records the
//! host confirmed survive a crash), checking every group's invariants after every step.
//!
//! Groups are placed round the ring of nodes so that preferred leaders spread evenly:
//! group `g` has `r` members starting at node `g mod n`, and that node sits at the
//! position the group prefers (`g mod r`). See [`placement`].
//!
//! ```
//! use bellwether::sim::multigroup::{Cluster, ClusterOptions};
//!
//! let mut cluster = Cluster::new(ClusterOptions { nodes: 5, groups: 100, ..ClusterOptions::default() });
//! cluster.run_for(5_000).unwrap();
//! cluster.every_group_led().unwrap();
//! assert_eq!(cluster.leaders_per_node(), vec![20; 5]);
//! ```

// A test tool, not the engine: it indexes its own host tables (sized at construction) and
// treats an invalid configuration of its own making as a bug in the test.
#![allow(clippy::indexing_slicing, clippy::expect_used)]

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt;
use std::vec::Vec;
use std::{boxed::Box, format, string::String, vec};

use crate::multigroup::{
    GroupOptions, GroupRecord, GroupSlot, MultiGroupConfig, MultiGroupNode, QueuedItem,
};
use crate::{
    Authenticator, Destination, Duration, GroupId, Instant, NodeId, ReceiveError, Role, TagLength,
    Unauthenticated,
};

/// Parts per million.
const MILLION: i64 = 1_000_000;

/// How far apart the hosts' clock origins are, ms: host `i` starts at `i` seconds.
const CLOCK_ORIGIN: u64 = 1_000;

/// The most nodes a simulated cluster has.
pub const MAX_NODES: usize = 8;

/// The shape and the faults of a simulated cluster.
#[derive(Clone, Copy, Debug)]
pub struct ClusterOptions {
    /// Nodes (at most [`MAX_NODES`]).
    pub nodes: usize,
    /// Groups.
    pub groups: u16,
    /// Members per group.
    pub members: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Heartbeat interval, ms.
    pub heartbeat_ms: u64,
    /// Election timeout, ms.
    pub election_timeout_ms: u64,
    /// Datagram size limit, bytes.
    pub datagram_size: usize,
    /// Transfers per interval per node.
    pub transfers_per_interval: u16,
    /// Per-datagram loss, percent.
    pub loss_percent: u64,
    /// One-way delay: 1 ms plus up to this much, ms.
    pub max_delay_ms: u64,
    /// Check every group's invariants after every step.
    pub check: bool,
    /// The drift bound ρ every node is configured with, ppm.
    pub clock_bound_ppm: u32,
    /// How far each host's clock actually runs from real time, ppm: slow on the hosts in
    /// `slow_hosts`, fast on the others (within `clock_bound_ppm`, leases are safe). Each
    /// clock also starts from its own origin.
    pub drift_ppm: u32,
    /// The hosts whose clocks run slow, one bit per host (bit `i`: host `i`).
    pub slow_hosts: u64,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            nodes: 5,
            groups: 100,
            members: 3,
            seed: 1,
            heartbeat_ms: 100,
            election_timeout_ms: 1_000,
            datagram_size: 1_200,
            transfers_per_interval: 32,
            loss_percent: 0,
            max_delay_ms: 5,
            check: true,
            clock_bound_ppm: 1_000,
            drift_ppm: 0,
            slow_hosts: 0x5555_5555_5555_5555,
        }
    }
}

/// An invariant that failed, with the time and seed to reproduce it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Simulated time, ms.
    pub at: u64,
    /// The run's seed.
    pub seed: u64,
    /// What went wrong.
    pub what: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {} ms (seed {}): {}", self.at, self.seed, self.what)
    }
}

/// The members of group `g` among `n` nodes (ids 1..=n), `r` per group: node `g mod n`
/// at position `g mod r`, the next nodes round the ring after it.
pub fn placement(g: u16, n: usize, r: usize) -> Vec<NodeId> {
    let mut members = vec![NodeId(0); r];
    let preferred = usize::from(g) % r;
    for (k, id) in (0..r).map(|k| (k, (usize::from(g) + k) % n)) {
        if let Some(slot) = members.get_mut((preferred + k) % r) {
            *slot = NodeId(id as u32 + 1);
        }
    }
    members
}

/// One simulated host: its node (while running) and what its disk holds.
struct Host<A> {
    node: Option<MultiGroupNode<'static, MAX_NODES, A>>,
    /// Storage between two runs of the node (taken back when it crashes).
    storage: Option<(&'static mut [GroupSlot], &'static mut [QueuedItem])>,
    disk: BTreeMap<u16, GroupRecord>,
    boots: u32,
}

/// A datagram in flight: (deliver at, sequence, from, to, bytes).
type Flight = Reverse<(u64, u64, usize, usize, Vec<u8>)>;

/// A simulated cluster of multi-group nodes.
pub struct Cluster<A: Authenticator + Clone = Unauthenticated> {
    /// What every node starts with: a copy of the authenticator, and the tag length when
    /// datagrams are authenticated.
    authenticator: A,
    tag: Option<TagLength>,
    options: ClusterOptions,
    hosts: Vec<Host<A>>,
    now: u64,
    rng: u64,
    flight: BinaryHeap<Flight>,
    sequence: u64,
    /// `cut[a][b]`: datagrams from `a` to `b` are lost.
    cut: Vec<Vec<bool>>,
    /// `slow[a][b]`: extra delay of datagrams from `a` to `b`, ms.
    slow: Vec<Vec<u64>>,
    /// (group, term) → the node that led it, over the whole run.
    leaders_by_term: BTreeMap<(u16, u64), usize>,
    /// Datagrams and bytes sent, per ordered pair.
    datagrams: Vec<Vec<u64>>,
    bytes: Vec<Vec<u64>>,
    /// Every datagram sent, (from, to, bytes), while recording.
    wiretap: Option<Vec<(usize, usize, Vec<u8>)>>,
}

impl Cluster {
    /// Starts every node at time 0, datagrams checksummed.
    pub fn new(options: ClusterOptions) -> Cluster {
        Cluster::build(options, Unauthenticated, None)
    }
}

impl<A: Authenticator + Clone> Cluster<A> {
    /// Starts every node at time 0, datagrams authenticated by a copy of `authenticator`
    /// with tags of `tag` bytes; a restarted node starts a new session.
    pub fn with_authenticator(
        options: ClusterOptions,
        authenticator: A,
        tag: TagLength,
    ) -> Cluster<A> {
        Cluster::build(options, authenticator, Some(tag))
    }

    fn build(options: ClusterOptions, authenticator: A, tag: Option<TagLength>) -> Cluster<A> {
        let n = options.nodes;
        let mut cluster = Cluster {
            authenticator,
            tag,
            options,
            hosts: Vec::new(),
            now: 0,
            rng: options.seed,
            flight: BinaryHeap::new(),
            sequence: 0,
            cut: vec![vec![false; n]; n],
            slow: vec![vec![0; n]; n],
            leaders_by_term: BTreeMap::new(),
            datagrams: vec![vec![0; n]; n],
            bytes: vec![vec![0; n]; n],
            wiretap: None,
        };
        for i in 0..n {
            cluster.hosts.push(Host {
                node: None,
                storage: None,
                disk: BTreeMap::new(),
                boots: 0,
            });
            cluster.start(i);
        }
        cluster
    }

    /// Simulated time, ms.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// The node of host `i`, while it runs.
    pub fn node(&self, i: usize) -> Option<&MultiGroupNode<'static, MAX_NODES, A>> {
        self.hosts.get(i)?.node.as_ref()
    }

    /// Host `i`'s clock now: its own origin, its own rate.
    pub fn local(&self, i: usize) -> Instant {
        Instant::from_millis(self.local_at(i, self.now))
    }

    /// Host `i`'s clock reading at real time `real`.
    fn local_at(&self, i: usize, real: u64) -> u64 {
        let rate = i128::from(MILLION) + self.rate_ppm(i);
        let elapsed = i128::from(real) * rate / i128::from(MILLION);
        CLOCK_ORIGIN * i as u64 + elapsed as u64
    }

    /// The first real time at which host `i`'s clock reads `local` or more.
    fn real_at(&self, i: usize, local: Instant) -> u64 {
        let since = local.as_millis().saturating_sub(CLOCK_ORIGIN * i as u64);
        let rate = i128::from(MILLION) + self.rate_ppm(i);
        let mut real = (i128::from(since) * i128::from(MILLION) / rate) as u64;
        while self.local_at(i, real) < local.as_millis() {
            real += 1;
        }
        real
    }

    /// Host `i`'s rate error, ppm.
    fn rate_ppm(&self, i: usize) -> i128 {
        let drift = i128::from(self.options.drift_ppm);
        if self.options.slow_hosts & (1 << i) != 0 {
            -drift
        } else {
            drift
        }
    }

    /// Datagrams sent from `a` to `b` so far.
    pub fn datagrams(&self, a: usize, b: usize) -> u64 {
        self.datagrams[a][b]
    }

    /// Bytes sent from `a` to `b` so far.
    pub fn bytes(&self, a: usize, b: usize) -> u64 {
        self.bytes[a][b]
    }

    /// Starts (or stops, and drops) recording every datagram sent.
    pub fn set_wiretap(&mut self, on: bool) {
        self.wiretap = on.then(Vec::new);
    }

    /// The datagrams recorded since the last call: (from, to, bytes).
    pub fn take_wiretap(&mut self) -> Vec<(usize, usize, Vec<u8>)> {
        self.wiretap
            .as_mut()
            .map(core::mem::take)
            .unwrap_or_default()
    }

    /// Hands host `to` bytes of the test's own making, now, and drains its outputs.
    pub fn inject(&mut self, to: usize, bytes: &[u8]) -> Result<(), ReceiveError> {
        let now = self.local(to);
        let result = match self.hosts[to].node.as_mut() {
            Some(node) => node.handle_bytes(now, bytes),
            None => Ok(()),
        };
        self.drain(to);
        result
    }

    /// Sets the loss rate.
    pub fn set_loss_percent(&mut self, percent: u64) {
        self.options.loss_percent = percent;
    }

    /// Crashes host `i`: its node and everything not confirmed written are lost.
    pub fn crash(&mut self, i: usize) {
        if let Some(node) = self.hosts[i].node.take() {
            self.hosts[i].storage = Some(node.into_storage());
        }
    }

    /// Restarts host `i` from its disk, in a new session.
    pub fn restart(&mut self, i: usize) {
        if self.hosts[i].node.is_none() {
            self.start(i);
        }
    }

    /// Cuts every link between `side` and the other nodes (both ways).
    pub fn partition(&mut self, side: &[usize]) {
        for a in 0..self.options.nodes {
            for b in 0..self.options.nodes {
                if side.contains(&a) != side.contains(&b) {
                    self.cut[a][b] = true;
                }
            }
        }
    }

    /// Cuts the link from `a` to `b` only.
    pub fn block(&mut self, a: usize, b: usize) {
        self.cut[a][b] = true;
    }

    /// Restores the link from `a` to `b`.
    pub fn heal_link(&mut self, a: usize, b: usize) {
        self.cut[a][b] = false;
    }

    /// Delays every datagram from `a` to `b` by `ms` more.
    pub fn slow(&mut self, a: usize, b: usize, ms: u64) {
        self.slow[a][b] = ms;
    }

    /// Restores every link to full speed.
    pub fn heal(&mut self) {
        for row in &mut self.cut {
            row.fill(false);
        }
        for row in &mut self.slow {
            row.fill(0);
        }
    }

    /// How many groups each host leads (0 for a crashed host).
    pub fn leaders_per_node(&self) -> Vec<usize> {
        self.hosts
            .iter()
            .map(|h| h.node.as_ref().map_or(0, MultiGroupNode::leading))
            .collect()
    }

    /// Runs for `ms` of simulated time.
    pub fn run_for(&mut self, ms: u64) -> Result<(), Violation> {
        self.run_until(self.now + ms)
    }

    /// Runs until `until`, delivering datagrams and firing deadlines; checks the
    /// invariants after every step if the options say so.
    pub fn run_until(&mut self, until: u64) -> Result<(), Violation> {
        self.run_while(until, |_| false).map(|_| ())
    }

    /// Runs until `until` or until `stop` holds after a step; returns whether it stopped.
    pub fn run_while(
        &mut self,
        until: u64,
        mut stop: impl FnMut(&Cluster<A>) -> bool,
    ) -> Result<bool, Violation> {
        loop {
            let next_deadline = (0..self.options.nodes)
                .filter_map(|i| Some(self.real_at(i, self.hosts[i].node.as_ref()?.poll_timeout()?)))
                .min()
                .unwrap_or(u64::MAX);
            let next_delivery = self.flight.peek().map_or(u64::MAX, |Reverse(d)| d.0);
            let next = next_deadline.min(next_delivery).max(self.now);
            if next > until {
                self.now = until;
                return Ok(false);
            }
            self.now = next;
            self.step()?;
            if stop(self) {
                return Ok(true);
            }
        }
    }

    /// Every group has exactly one leader holding a lease, followed by every running
    /// member.
    pub fn every_group_led(&self) -> Result<(), Violation> {
        for g in 0..self.options.groups {
            self.group_led(g)?;
        }
        Ok(())
    }

    /// Whether group `g` has one leader with a lease that every running member follows.
    pub fn group_led(&self, g: u16) -> Result<usize, Violation> {
        let leaders: Vec<usize> = (0..self.options.nodes)
            .filter(|&i| {
                self.node(i).is_some_and(|n| {
                    n.role(g) == Some(Role::Leader) && n.has_lease(g, self.local(i))
                })
            })
            .collect();
        let [leader] = leaders[..] else {
            return Err(self.violation(format!("group {g} has leaders {leaders:?}")));
        };
        let id = NodeId(leader as u32 + 1);
        for member in placement(g, self.options.nodes, self.options.members) {
            if let Some(node) = self.node(member.0 as usize - 1)
                && node.leader(g) != Some(id)
            {
                return Err(self.violation(format!(
                    "group {g}: {member} follows {:?}, not {id}",
                    node.leader(g)
                )));
            }
        }
        Ok(leader)
    }

    fn violation(&self, what: String) -> Violation {
        Violation {
            at: self.now,
            seed: self.options.seed,
            what,
        }
    }

    fn random(&mut self, bound: u64) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % bound.max(1)
    }

    fn start(&mut self, i: usize) {
        let o = self.options;
        let now = self.local(i);
        let nodes: Vec<NodeId> = (1..=o.nodes as u32).map(NodeId).collect();
        let host = &mut self.hosts[i];
        host.boots += 1;
        let config = MultiGroupConfig::<MAX_NODES>::new(NodeId(i as u32 + 1), &nodes, GroupId(1))
            .and_then(|c| {
                c.with_timing(
                    Duration::from_millis(o.heartbeat_ms),
                    Duration::from_millis(o.election_timeout_ms),
                )
            })
            .and_then(|c| c.with_datagram_size(o.datagram_size))
            .expect("cluster options make a valid configuration")
            .with_clock_drift_ppm(o.clock_bound_ppm)
            .expect("a drift bound below 100 %")
            .with_transfers_per_interval(o.transfers_per_interval)
            .with_seed(o.seed ^ (i as u64 * 7919 + u64::from(host.boots)))
            .with_incarnation(host.boots);
        // Allocated once per host and reused by every boot (the node overwrites it): a
        // slot per group, and a queue share per peer that holds an item for every group.
        let (slots, queue) = host.storage.take().unwrap_or_else(|| {
            storage(
                usize::from(o.groups),
                o.nodes * (2 * usize::from(o.groups) + 64),
            )
        });
        let config = match self.tag {
            Some(tag) => config
                .with_authentication(tag)
                .expect("room for the freshness fields"),
            None => config,
        };
        let mut node = MultiGroupNode::with_authenticator(
            config,
            slots,
            queue,
            now,
            self.authenticator.clone(),
        )
        .expect("storage fits");
        for record in host.disk.values() {
            node.restore_group(record)
                .expect("records name groups of the storage");
        }
        for g in 0..o.groups {
            let members = placement(g, o.nodes, o.members);
            if members.contains(&NodeId(i as u32 + 1)) {
                node.add_group(now, g, &members, GroupOptions::DEFAULT)
                    .expect("placement is valid");
            }
        }
        host.node = Some(node);
    }

    /// One step at `self.now`: deliveries due, then deadlines due, then every output.
    fn step(&mut self) -> Result<(), Violation> {
        while self.flight.peek().is_some_and(|Reverse(d)| d.0 <= self.now) {
            let Some(Reverse((_, _, _, to, bytes))) = self.flight.pop() else {
                break;
            };
            // Genuine traffic is refused only in authenticated mode: while the receiver has
            // not synchronised with the sender's session (after either one starts), and
            // when it was sent before the answer it synchronised on but arrives after it.
            let authenticated = self.tag.is_some();
            let now = self.local(to);
            if let Some(node) = self.hosts[to].node.as_mut()
                && let Err(error) = node.handle_bytes(now, &bytes)
                && !(authenticated
                    && matches!(error, ReceiveError::Unsynchronised | ReceiveError::Replay))
            {
                return Err(self.violation(format!("node {} refused a datagram: {error}", to + 1)));
            }
            self.drain(to);
        }
        for i in 0..self.options.nodes {
            let now = self.local(i);
            if let Some(node) = self.hosts[i].node.as_mut()
                && node.poll_timeout().is_some_and(|t| t <= now)
            {
                node.handle_timeout(now);
            }
            self.drain(i);
        }
        if self.options.check {
            self.check()?;
        }
        Ok(())
    }

    /// Drains host `i`'s outputs: the records batch (written and confirmed at once),
    /// then datagrams, then events.
    fn drain(&mut self, i: usize) {
        let now = self.local(i);
        let mut sent = Vec::new();
        {
            let host = &mut self.hosts[i];
            let Some(node) = host.node.as_mut() else {
                return;
            };
            let mut records = [GroupRecord::default(); 256];
            loop {
                let count = node.poll_persist(&mut records);
                if count == 0 {
                    break;
                }
                for record in records.iter().take(count) {
                    host.disk.insert(record.group, *record);
                }
                node.confirm_persisted();
            }
            let mut buf = vec![0u8; self.options.datagram_size];
            while let Ok(Some(transmit)) = node.poll_transmit(now, &mut buf) {
                if let Destination::Node(to) = transmit.to {
                    sent.push((to.0 as usize - 1, buf[..transmit.len].to_vec()));
                }
            }
            while node.poll_event().is_some() {}
        }
        for (to, bytes) in sent {
            if let Some(tap) = self.wiretap.as_mut() {
                tap.push((i, to, bytes.clone()));
            }
            self.datagrams[i][to] += 1;
            self.bytes[i][to] += bytes.len() as u64;
            if self.cut[i][to] || self.random(100) < self.options.loss_percent {
                continue;
            }
            let at = self.now + 1 + self.slow[i][to] + self.random(self.options.max_delay_ms + 1);
            self.sequence += 1;
            self.flight.push(Reverse((at, self.sequence, i, to, bytes)));
        }
    }

    /// One leader per term per group, ever; at most one valid lease per group now.
    fn check(&mut self) -> Result<(), Violation> {
        for g in 0..self.options.groups {
            let mut leases = 0;
            for i in 0..self.options.nodes {
                let Some(node) = self.hosts[i].node.as_ref() else {
                    continue;
                };
                if node.role(g) == Some(Role::Leader) {
                    let term = node.term(g).map_or(0, |t| t.0);
                    let leader = *self.leaders_by_term.entry((g, term)).or_insert(i);
                    if leader != i {
                        return Err(self.violation(format!(
                            "group {g}: nodes {} and {} both led term {term}",
                            leader + 1,
                            i + 1
                        )));
                    }
                }
                if node.has_lease(g, self.local(i)) {
                    leases += 1;
                }
            }
            if leases > 1 {
                return Err(self.violation(format!("group {g}: {leases} valid leases")));
            }
        }
        Ok(())
    }
}

/// Group and queue storage for a node, with `'static` lifetime: leaked once, then reused by
/// every later cluster of the same thread (the crate has no `unsafe` to free it with).
type Storage = (&'static mut [GroupSlot], &'static mut [QueuedItem]);

std::thread_local! {
    static POOL: core::cell::RefCell<Vec<Storage>> = const { core::cell::RefCell::new(Vec::new()) };
}

fn storage(groups: usize, queue: usize) -> Storage {
    let reused = POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let found = pool
            .iter()
            .position(|(s, q)| s.len() == groups && q.len() == queue)?;
        Some(pool.swap_remove(found))
    });
    reused.unwrap_or_else(|| {
        (
            Box::leak(vec![GroupSlot::EMPTY; groups].into_boxed_slice()),
            Box::leak(vec![QueuedItem::EMPTY; queue].into_boxed_slice()),
        )
    })
}

impl<A: Authenticator + Clone> Drop for Cluster<A> {
    fn drop(&mut self) {
        for i in 0..self.hosts.len() {
            self.crash(i);
            if let Some(storage) = self.hosts[i].storage.take() {
                POOL.with(|pool| pool.borrow_mut().push(storage));
            }
        }
    }
}
