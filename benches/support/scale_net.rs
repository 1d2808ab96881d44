//! The network both `examples/scale.rs` and `benches/scale.rs` drive: five hosts on a
//! virtual clock, each either one multi-group node ([`GroupsHost`]) or one quorum
//! [`Engine`] per group it belongs to ([`EnginesHost`], the baseline), with the same
//! placement, timing and delays as `bellwether::sim::multigroup::Cluster`.
//!
//! Every host times its own work with [`std::time::Instant`] when asked to: the library
//! calls a host makes (`handle_bytes`, `handle_timeout`, the drain of every output, the
//! copy of each datagram into an outbox), not the simulator's bookkeeping (the in-flight
//! queue, the baseline's per-engine timer heap, routing).

#![allow(dead_code, clippy::indexing_slicing, clippy::expect_used)]

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::time::Duration as WallDuration;

use bellwether::multigroup::{
    GroupOptions, GroupRecord, GroupSlot, MultiGroupConfig, MultiGroupNode, QueuedItem,
};
use bellwether::sim::multigroup::placement;
use bellwether::{
    Algorithm, Config, Destination, Duration, Engine, GroupId, Instant, MAX_MESSAGE_SIZE, Member,
    NodeId, Protection, QuorumOptions, Role, Timing,
};

/// Nodes of the cluster.
pub const NODES: usize = 5;
/// Members per group.
pub const MEMBERS: usize = 3;
/// Heartbeat interval, ms.
pub const HEARTBEAT_MS: u64 = 100;
/// Election timeout, ms.
pub const ELECTION_TIMEOUT_MS: u64 = 1_000;
/// Datagram size limit of the multi-group nodes, bytes.
pub const DATAGRAM_SIZE: usize = 1_200;
/// Clock-drift bound of both designs, ppm (the multi-group default).
pub const DRIFT_PPM: u32 = 1_000;

/// Datagrams a host hands out during one call, waiting to be put in flight:
/// (to host, group (baseline routing only), start, end) into `bytes`.
#[derive(Default)]
pub struct Outbox {
    pub datagrams: Vec<(usize, u16, usize, usize)>,
    pub bytes: Vec<u8>,
}

impl Outbox {
    fn push(&mut self, to: usize, group: u16, datagram: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(datagram);
        self.datagrams.push((to, group, start, self.bytes.len()));
    }

    fn clear(&mut self) {
        self.datagrams.clear();
        self.bytes.clear();
    }
}

/// One host of the network.
pub trait Host {
    /// When the host's next timer is due, ms.
    fn deadline(&self) -> Option<u64>;
    /// Handles one datagram (for `group`, baseline only) and drains the outputs.
    fn receive(&mut self, now: u64, group: u16, bytes: &[u8], out: &mut Outbox);
    /// Handles every due timer and drains the outputs.
    fn fire(&mut self, now: u64, out: &mut Outbox);
    /// Starts (or stops) timing the host's work; resets the total.
    fn set_timing(&mut self, on: bool);
    /// The work timed since `set_timing(true)`.
    fn busy(&self) -> WallDuration;
    /// Who leads `group` here, with a lease at `now` if this host is the leader.
    fn view(&self, group: u16, now: u64) -> GroupView;
}

/// One host's view of one group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupView {
    /// Not a member.
    pub member: bool,
    pub leads_with_lease: bool,
    pub leader: Option<usize>,
}

// ---------------------------------------------------------------- multi-group hosts

/// A host running one multi-group node.
pub struct GroupsHost {
    pub node: MultiGroupNode<'static, 8>,
    disk: BTreeMap<u16, GroupRecord>,
    records: Vec<GroupRecord>,
    buf: Vec<u8>,
    timing: bool,
    busy: WallDuration,
}

impl GroupsHost {
    /// Host `index` with `groups` groups and `queue_per_group` queue entries per group
    /// (at least one per peer), started at `now`.
    pub fn new(index: usize, groups: u16, queue: usize, seed: u64, now: u64) -> GroupsHost {
        let nodes: Vec<NodeId> = (1..=NODES as u32).map(NodeId).collect();
        let config = MultiGroupConfig::<8>::new(NodeId(index as u32 + 1), &nodes, GroupId(1))
            .and_then(|c| {
                c.with_timing(
                    Duration::from_millis(HEARTBEAT_MS),
                    Duration::from_millis(ELECTION_TIMEOUT_MS),
                )
            })
            .and_then(|c| c.with_datagram_size(DATAGRAM_SIZE))
            .and_then(|c| c.with_clock_drift_ppm(DRIFT_PPM))
            .expect("valid configuration")
            .with_seed(seed ^ (index as u64 * 7919 + 1))
            .with_incarnation(1);
        let slots: &'static mut [GroupSlot] =
            Box::leak(vec![GroupSlot::EMPTY; usize::from(groups)].into_boxed_slice());
        let queue: &'static mut [QueuedItem] =
            Box::leak(vec![QueuedItem::EMPTY; queue.max(NODES)].into_boxed_slice());
        let at = Instant::from_millis(now);
        let mut node = MultiGroupNode::new(config, slots, queue, at).expect("storage fits");
        for g in 0..groups {
            let members = placement(g, NODES, MEMBERS);
            if members.contains(&NodeId(index as u32 + 1)) {
                node.add_group(at, g, &members, GroupOptions::DEFAULT)
                    .expect("valid placement");
            }
        }
        GroupsHost {
            node,
            disk: BTreeMap::new(),
            records: vec![GroupRecord::default(); 256],
            buf: vec![0; DATAGRAM_SIZE],
            timing: false,
            busy: WallDuration::ZERO,
        }
    }

    fn drain(&mut self, now: Instant, out: &mut Outbox) {
        loop {
            let count = self.node.poll_persist(&mut self.records);
            if count == 0 {
                break;
            }
            for record in &self.records[..count] {
                self.disk.insert(record.group, *record);
            }
            self.node.confirm_persisted();
        }
        while let Ok(Some(transmit)) = self.node.poll_transmit(now, &mut self.buf) {
            if let Destination::Node(to) = transmit.to {
                out.push(to.0 as usize - 1, 0, &self.buf[..transmit.len]);
            }
        }
        while self.node.poll_event().is_some() {}
    }

    fn timed(&mut self, work: impl FnOnce(&mut Self)) {
        if self.timing {
            let start = std::time::Instant::now();
            work(self);
            self.busy += start.elapsed();
        } else {
            work(self);
        }
    }
}

impl Host for GroupsHost {
    fn deadline(&self) -> Option<u64> {
        self.node.poll_timeout().map(Instant::as_millis)
    }

    fn receive(&mut self, now: u64, _group: u16, bytes: &[u8], out: &mut Outbox) {
        let at = Instant::from_millis(now);
        self.timed(|host| {
            host.node.handle_bytes(at, bytes).expect("valid traffic");
            host.drain(at, out);
        });
    }

    fn fire(&mut self, now: u64, out: &mut Outbox) {
        let at = Instant::from_millis(now);
        self.timed(|host| {
            if host.node.poll_timeout().is_some_and(|t| t <= at) {
                host.node.handle_timeout(at);
            }
            host.drain(at, out);
        });
    }

    fn set_timing(&mut self, on: bool) {
        self.timing = on;
        self.busy = WallDuration::ZERO;
    }

    fn busy(&self) -> WallDuration {
        self.busy
    }

    fn view(&self, group: u16, now: u64) -> GroupView {
        let Some(role) = self.node.role(group) else {
            return GroupView {
                member: false,
                leads_with_lease: false,
                leader: None,
            };
        };
        GroupView {
            member: true,
            leads_with_lease: role == Role::Leader
                && self.node.has_lease(group, Instant::from_millis(now)),
            leader: self.node.leader(group).map(|id| id.0 as usize - 1),
        }
    }
}

// ---------------------------------------------------------------- the baseline

/// A host running one quorum [`Engine`] per group it belongs to (the baseline).
pub struct EnginesHost {
    engines: Vec<Engine<3>>,
    /// Group of each engine, and engine of each group.
    group_of: Vec<u16>,
    engine_of: Vec<u32>,
    /// (deadline, engine): stale entries are skipped.
    timers: BinaryHeap<Reverse<(u64, u32)>>,
    due: Vec<u32>,
    buf: [u8; MAX_MESSAGE_SIZE],
    timing: bool,
    busy: WallDuration,
}

/// The configuration of host `index`'s engine in group `g` of the baseline: quorum
/// election with default options but the multi-group drift bound, heartbeat 100 ms,
/// election timeout 1 s, CRC-32 on every datagram, the group's preferred member
/// (the multi-group placement's) ranked highest.
pub fn engine_config(g: u16, index: usize, seed: u64) -> Config<3> {
    let preferred = usize::from(g) % NODES;
    let members: Vec<Member> = placement(g, NODES, MEMBERS)
        .into_iter()
        .map(|id| Member::new(id, u8::from(id.0 as usize - 1 == preferred)))
        .collect();
    let mut config = Config::<3>::new(
        GroupId(u32::from(g) + 1),
        NodeId(index as u32 + 1),
        &members,
        Algorithm::Quorum(QuorumOptions::DEFAULT.with_clock_drift_ppm(DRIFT_PPM)),
    )
    .expect("valid configuration")
    .with_timing(Timing {
        heartbeat_interval: Duration::from_millis(HEARTBEAT_MS),
        failure_timeout: Duration::from_millis(ELECTION_TIMEOUT_MS),
        failure_jitter: Duration::ZERO,
        round_trip_timeout: Duration::from_millis(50),
    })
    .with_seed(seed ^ (u64::from(g) << 8) ^ index as u64);
    config.protection = Protection::Checksum;
    config
}

impl EnginesHost {
    pub fn new(index: usize, groups: u16, seed: u64, now: u64) -> EnginesHost {
        let mut host = EnginesHost {
            engines: Vec::new(),
            group_of: Vec::new(),
            engine_of: vec![u32::MAX; usize::from(groups)],
            timers: BinaryHeap::new(),
            due: Vec::new(),
            buf: [0; MAX_MESSAGE_SIZE],
            timing: false,
            busy: WallDuration::ZERO,
        };
        for g in 0..groups {
            if placement(g, NODES, MEMBERS).contains(&NodeId(index as u32 + 1)) {
                let engine = Engine::new(engine_config(g, index, seed), Instant::from_millis(now))
                    .expect("valid engine");
                let local = host.engines.len() as u32;
                host.engine_of[usize::from(g)] = local;
                host.group_of.push(g);
                host.engines.push(engine);
                host.schedule(local);
            }
        }
        host
    }

    /// The engines of this host.
    pub fn engines(&self) -> usize {
        self.engines.len()
    }

    fn schedule(&mut self, local: u32) {
        if let Some(at) = self.engines[local as usize].poll_timeout() {
            self.timers.push(Reverse((at.as_millis(), local)));
        }
    }

    fn drain(engine: &mut Engine<3>, group: u16, buf: &mut [u8], out: &mut Outbox) {
        while let Some(state) = engine.poll_persist() {
            engine
                .confirm_persisted(state)
                .expect("the state just handed out");
        }
        while let Ok(Some(transmit)) = engine.poll_transmit(buf) {
            if let Destination::Node(to) = transmit.to {
                out.push(to.0 as usize - 1, group, &buf[..transmit.len]);
            }
        }
        while engine.poll_event().is_some() {}
    }
}

impl Host for EnginesHost {
    fn deadline(&self) -> Option<u64> {
        self.timers.peek().map(|Reverse((at, _))| *at)
    }

    fn receive(&mut self, now: u64, group: u16, bytes: &[u8], out: &mut Outbox) {
        let local = self.engine_of[usize::from(group)];
        let at = Instant::from_millis(now);
        let start = self.timing.then(std::time::Instant::now);
        let engine = &mut self.engines[local as usize];
        // A restarted peer's stale datagrams may be refused; that is the engine's business.
        let _ = engine.handle_bytes(at, bytes);
        Self::drain(engine, group, &mut self.buf, out);
        if let Some(start) = start {
            self.busy += start.elapsed();
        }
        self.schedule(local);
    }

    fn fire(&mut self, now: u64, out: &mut Outbox) {
        self.due.clear();
        while let Some(&Reverse((at, local))) = self.timers.peek() {
            if at > now {
                break;
            }
            self.timers.pop();
            if !self.due.contains(&local) {
                self.due.push(local);
            }
        }
        let at = Instant::from_millis(now);
        let start = self.timing.then(std::time::Instant::now);
        for &local in &self.due {
            let engine = &mut self.engines[local as usize];
            if engine.poll_timeout().is_some_and(|t| t <= at) {
                engine.handle_timeout(at);
                Self::drain(engine, self.group_of[local as usize], &mut self.buf, out);
            }
        }
        if let Some(start) = start {
            self.busy += start.elapsed();
        }
        for i in 0..self.due.len() {
            let local = self.due[i];
            self.schedule(local);
        }
    }

    fn set_timing(&mut self, on: bool) {
        self.timing = on;
        self.busy = WallDuration::ZERO;
    }

    fn busy(&self) -> WallDuration {
        self.busy
    }

    fn view(&self, group: u16, now: u64) -> GroupView {
        let local = self.engine_of[usize::from(group)];
        let Some(engine) = self.engines.get(local as usize) else {
            return GroupView {
                member: false,
                leads_with_lease: false,
                leader: None,
            };
        };
        GroupView {
            member: true,
            leads_with_lease: engine.role() == Role::Leader
                && engine
                    .quorum()
                    .is_some_and(|q| q.has_lease(Instant::from_millis(now))),
            leader: engine.leader().map(|id| id.0 as usize - 1),
        }
    }
}

// ---------------------------------------------------------------- the network

/// A datagram in flight: (deliver at, sequence, from, to, group, bytes).
type Flight = Reverse<(u64, u64, usize, usize, u16, Vec<u8>)>;

/// Five hosts, datagrams delayed 1 ms plus 0..=`jitter_ms`, no loss.
pub struct Net<H: Host> {
    pub hosts: Vec<Option<H>>,
    pub groups: u16,
    now: u64,
    rng: u64,
    jitter_ms: u64,
    sequence: u64,
    flight: BinaryHeap<Flight>,
    out: Outbox,
    /// Host `i` cut off from every other host.
    isolated: [bool; NODES],
    /// Datagrams and bytes sent per ordered pair.
    pub datagrams: [[u64; NODES]; NODES],
    pub bytes: [[u64; NODES]; NODES],
}

impl<H: Host> Net<H> {
    pub fn new(groups: u16, seed: u64, jitter_ms: u64, host: impl Fn(usize) -> H) -> Net<H> {
        Net {
            hosts: (0..NODES).map(|i| Some(host(i))).collect(),
            groups,
            now: 0,
            rng: seed,
            jitter_ms,
            sequence: 0,
            flight: BinaryHeap::new(),
            out: Outbox::default(),
            isolated: [false; NODES],
            datagrams: [[0; NODES]; NODES],
            bytes: [[0; NODES]; NODES],
        }
    }

    /// Simulated time, ms.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Stops host `i` (its datagrams in flight are still delivered; nothing reaches it).
    pub fn crash(&mut self, i: usize) {
        self.hosts[i] = None;
    }

    /// Cuts host `i` off (`true`) or heals it (`false`).
    pub fn isolate(&mut self, i: usize, cut: bool) {
        self.isolated[i] = cut;
    }

    fn random(&mut self, bound: u64) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % bound.max(1)
    }

    /// Runs until `until` (ms).
    pub fn run_until(&mut self, until: u64) {
        loop {
            let deadline = self
                .hosts
                .iter()
                .flatten()
                .filter_map(Host::deadline)
                .min()
                .unwrap_or(u64::MAX);
            let delivery = self.flight.peek().map_or(u64::MAX, |Reverse(d)| d.0);
            let next = deadline.min(delivery).max(self.now);
            if next > until {
                self.now = until;
                return;
            }
            self.now = next;
            self.step();
        }
    }

    /// Runs for `ms`.
    pub fn run_for(&mut self, ms: u64) {
        self.run_until(self.now + ms);
    }

    fn step(&mut self) {
        let now = self.now;
        while self.flight.peek().is_some_and(|Reverse(d)| d.0 <= now) {
            let Some(Reverse((_, _, _, to, group, bytes))) = self.flight.pop() else {
                break;
            };
            if let Some(host) = self.hosts[to].as_mut() {
                host.receive(now, group, &bytes, &mut self.out);
                self.dispatch(to);
            }
        }
        for i in 0..NODES {
            if let Some(host) = self.hosts[i].as_mut()
                && host.deadline().is_some_and(|t| t <= now)
            {
                host.fire(now, &mut self.out);
                self.dispatch(i);
            }
        }
    }

    fn dispatch(&mut self, from: usize) {
        let out = std::mem::take(&mut self.out);
        for &(to, group, start, end) in &out.datagrams {
            self.datagrams[from][to] += 1;
            self.bytes[from][to] += (end - start) as u64;
            if self.isolated[from] || self.isolated[to] {
                continue;
            }
            let at = self.now + 1 + self.random(self.jitter_ms + 1);
            self.sequence += 1;
            self.flight.push(Reverse((
                at,
                self.sequence,
                from,
                to,
                group,
                out.bytes[start..end].to_vec(),
            )));
        }
        self.out = out;
        self.out.clear();
    }

    /// The host that leads `group` with a lease, followed by every running, reachable
    /// member, if there is one.
    pub fn led_by(&self, group: u16) -> Option<usize> {
        let mut leader = None;
        for (i, host) in self.hosts.iter().enumerate() {
            let Some(host) = host else { continue };
            if self.isolated[i] {
                continue;
            }
            let view = host.view(group, self.now);
            if !view.member {
                continue;
            }
            if view.leads_with_lease {
                if leader.is_some_and(|l| l != i) {
                    return None;
                }
                leader = Some(i);
            }
        }
        let leader = leader?;
        for (i, host) in self.hosts.iter().enumerate() {
            let Some(host) = host else { continue };
            let view = host.view(group, self.now);
            if view.member && !self.isolated[i] && view.leader != Some(leader) {
                return None;
            }
        }
        Some(leader)
    }

    /// Whether every group is led by its preferred member (`g mod 5`).
    pub fn settled(&self) -> bool {
        (0..self.groups).all(|g| self.led_by(g) == Some(usize::from(g) % NODES))
    }

    /// Runs until [`settled`](Self::settled), checking every heartbeat interval; the time
    /// it took, or `None` after `limit_ms`.
    pub fn settle(&mut self, limit_ms: u64) -> Option<u64> {
        let start = self.now;
        while self.now - start < limit_ms {
            self.run_for(HEARTBEAT_MS);
            if self.settled() {
                return Some(self.now - start);
            }
        }
        None
    }

    /// Times host `i`'s work over `intervals` heartbeat intervals: one duration each.
    pub fn time_intervals(&mut self, i: usize, intervals: usize) -> Vec<WallDuration> {
        let mut samples = Vec::with_capacity(intervals);
        for _ in 0..intervals {
            samples.push(self.time_one_interval(i));
        }
        samples
    }

    /// Host `i`'s work during the next heartbeat interval.
    pub fn time_one_interval(&mut self, i: usize) -> WallDuration {
        if let Some(host) = self.hosts[i].as_mut() {
            host.set_timing(true);
        }
        self.run_for(HEARTBEAT_MS);
        let busy = self.hosts[i]
            .as_ref()
            .map_or(WallDuration::ZERO, Host::busy);
        if let Some(host) = self.hosts[i].as_mut() {
            host.set_timing(false);
        }
        busy
    }
}

/// A network of multi-group hosts.
pub fn groups_net(groups: u16, queue_per_node: usize, seed: u64) -> Net<GroupsHost> {
    Net::new(groups, seed, 5, |i| {
        GroupsHost::new(i, groups, queue_per_node, seed, 0)
    })
}

/// A network of one engine per group per member.
pub fn engines_net(groups: u16, seed: u64) -> Net<EnginesHost> {
    Net::new(groups, seed, 5, |i| EnginesHost::new(i, groups, seed, 0))
}
