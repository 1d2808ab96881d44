//! Proves that the engine never allocates: a counting global allocator watches complete
//! elections driven by hand on fixed-size arrays, and the count must be exactly zero.
//!
//! * Bully: six nodes boot and elect node 6, node 6 crashes, the other five elect node 5.
//! * Quorum election: six nodes boot and elect a leader, writing and confirming every
//!   term and vote they hand out; the leader crashes, the other five elect another one in
//!   a later term; the crashed node restarts from its persisted state and follows it.
//!
//! The counter (`stats_alloc`) counts every thread, so this file holds a single test: the
//! harness's main thread only waits while it runs. The test first shows that the counter
//! does see an allocation.
#![cfg(all(feature = "bully", feature = "quorum"))]

use std::alloc::System;
use std::hint::black_box;

use bellwether::{
    Algorithm, BullyOptions, Config, Destination, DurableState, Duration, Engine, Event, GroupId,
    Instant, MAX_MESSAGE_SIZE, Member, NodeId, QuorumOptions, Term, Timing,
};
use heapless::Deque;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Runs `f` and returns its result with how many allocations and reallocations it made.
fn count_allocations<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let region = Region::new(ALLOCATOR);
    let result = f();
    let change = region.change();
    (result, change.allocations + change.reallocations)
}

const NODES: usize = 6;
/// Every message takes this long to arrive; the network keeps the order of sending.
const DELAY: Duration = Duration::from_millis(1);
/// How much simulated time each phase may take before the test gives up.
const PHASE_LIMIT: Duration = Duration::from_secs(30);

/// One message on its way: the receiver's and sender's positions, when it arrives, and
/// its encoded bytes.
struct Packet {
    to: usize,
    from: usize,
    at: Instant,
    bytes: [u8; MAX_MESSAGE_SIZE],
    len: usize,
}

/// Six engines, their hosts' disks, a FIFO network with a fixed delay and a virtual
/// clock: all fixed-size.
struct Cluster {
    engines: [Engine<8>; NODES],
    up: [bool; NODES],
    /// The leader each node last reported in a `LeaderChanged` event.
    reported: [Option<NodeId>; NODES],
    /// What each node's host persisted (quorum election): it survives a crash.
    disks: [Option<DurableState>; NODES],
    /// How many durable states the hosts wrote and confirmed.
    writes: usize,
    network: Deque<Packet, 256>,
    now: Instant,
}

impl Cluster {
    fn new(algorithm: Algorithm) -> Cluster {
        let members: [Member; NODES] = core::array::from_fn(|i| Member::with_id(id(i).0));
        let engines = core::array::from_fn(|i| {
            let config = Config::<8>::new(GroupId(1), id(i), &members, algorithm)
                .expect("valid configuration")
                .with_timing(Timing::LAN)
                .with_seed(0x5EED_0000 + i as u64);
            Engine::new(config, Instant::ZERO).expect("valid engine")
        });
        Cluster {
            engines,
            up: [true; NODES],
            reported: [None; NODES],
            disks: [None; NODES],
            writes: 0,
            network: Deque::new(),
            now: Instant::ZERO,
        }
    }

    /// Node `i` crashes: nothing reaches it or leaves it any more.
    fn crash(&mut self, i: usize) {
        self.up[i] = false;
    }

    /// Node `i` starts again from what its host persisted, as a fresh process would.
    fn restart_from_disk(&mut self, i: usize) {
        let config = self.engines[i].config().clone();
        let state = self.disks[i].expect("the node persisted its state");
        self.engines[i] = Engine::restore(config, self.now, state).expect("valid state");
        self.reported[i] = None;
        self.up[i] = true;
    }

    /// Runs deliveries and deadlines in time order until `done` holds; false if it still
    /// does not after `limit`.
    fn run_until(&mut self, limit: Duration, done: impl Fn(&Cluster) -> bool) -> bool {
        let until = self.now + limit;
        while !done(self) {
            let delivery = self.network.front().map(|packet| packet.at);
            let deadline = self
                .live()
                .filter_map(|i| self.engines[i].poll_timeout())
                .min();
            let next = match (delivery, deadline) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => match a.or(b) {
                    Some(next) => next,
                    None => return false,
                },
            };
            if next > until {
                return false;
            }
            self.now = self.now.max(next);
            self.step();
        }
        true
    }

    /// Delivers every message due now, then fires every deadline due now.
    fn step(&mut self) {
        while let Some(packet) = self.network.pop_front_if(|packet| packet.at <= self.now) {
            if self.up[packet.to] && self.up[packet.from] {
                self.engines[packet.to]
                    .handle_bytes(self.now, &packet.bytes[..packet.len])
                    .expect("every message is valid");
                self.drain(packet.to);
            }
        }
        for i in 0..NODES {
            if self.up[i]
                && self.engines[i]
                    .poll_timeout()
                    .is_some_and(|at| at <= self.now)
            {
                self.engines[i].handle_timeout(self.now);
                self.drain(i);
            }
        }
    }

    /// Writes and confirms node `i`'s durable state, then takes every message and event
    /// from it, putting the messages on the network.
    fn drain(&mut self, i: usize) {
        while let Some(state) = self.engines[i].poll_persist() {
            self.disks[i] = Some(state);
            self.writes += 1;
            self.engines[i]
                .confirm_persisted(state)
                .expect("the state just handed out is current");
        }
        let mut buf = [0u8; MAX_MESSAGE_SIZE];
        while let Some(transmit) = self.engines[i].poll_transmit(&mut buf).expect("fits") {
            for to in (0..NODES).filter(|&to| to != i) {
                if transmit.to == Destination::All || transmit.to == Destination::Node(id(to)) {
                    let packet = Packet {
                        to,
                        from: i,
                        at: self.now + DELAY,
                        bytes: buf,
                        len: transmit.len,
                    };
                    assert!(self.network.push_back(packet).is_ok(), "network full");
                }
            }
        }
        while let Some(event) = self.engines[i].poll_event() {
            if let Event::LeaderChanged { leader, .. } = event {
                self.reported[i] = leader;
            }
        }
    }

    fn live(&self) -> impl Iterator<Item = usize> + '_ {
        (0..NODES).filter(|&i| self.up[i])
    }

    /// The leader every live node follows, if they agree on one that leads.
    fn agreed_leader(&self) -> Option<NodeId> {
        let leader = self.engines[self.live().next()?].leader()?;
        self.agree_on(leader).then_some(leader)
    }

    /// Whether every live node follows `leader`, which leads, and has reported it so.
    fn agree_on(&self, leader: NodeId) -> bool {
        self.live().all(|i| {
            let engine = &self.engines[i];
            engine.leader() == Some(leader)
                && self.reported[i] == Some(leader)
                && engine.is_leader() == (engine.id() == leader)
        })
    }
}

/// The id of the node at position `i`: ids are 1..=6.
fn id(i: usize) -> NodeId {
    NodeId(u32::try_from(i + 1).expect("small"))
}

/// The position of node `id`.
fn position(id: NodeId) -> usize {
    id.0 as usize - 1
}

/// What the Bully run reached: the two agreements, and when node 6 crashed.
struct BullyRun {
    elected_6: bool,
    crashed_at: Instant,
    elected_5: bool,
    cluster: Cluster,
}

/// Bully: six nodes elect node 6; it crashes; the other five elect node 5.
fn bully_failover() -> BullyRun {
    let mut cluster = Cluster::new(Algorithm::Bully(BullyOptions::CLASSIC));
    let elected_6 = cluster.run_until(PHASE_LIMIT, |c| c.agree_on(NodeId(6)));
    let crashed_at = cluster.now;
    cluster.crash(5);
    let elected_5 = cluster.run_until(PHASE_LIMIT, |c| c.agree_on(NodeId(5)));
    BullyRun {
        elected_6,
        crashed_at,
        elected_5,
        cluster,
    }
}

/// What the quorum run reached: each leader with its term, and whether the restarted node
/// rejoined.
struct QuorumRun {
    first: Option<(NodeId, Term)>,
    second: Option<(NodeId, Term)>,
    rejoined: bool,
    cluster: Cluster,
}

/// Quorum election: six nodes elect a leader; it crashes; the other five elect another;
/// the crashed node restarts from its disk and all six agree on the second leader.
fn quorum_failover() -> QuorumRun {
    let mut cluster = Cluster::new(Algorithm::Quorum(QuorumOptions::DEFAULT));
    let leader_and_term = |c: &Cluster| {
        let leader = c.agreed_leader()?;
        Some((leader, c.engines[position(leader)].term()))
    };
    cluster.run_until(PHASE_LIMIT, |c| c.agreed_leader().is_some());
    let first = leader_and_term(&cluster);
    let mut second = None;
    let mut rejoined = false;
    if let Some((crashed, _)) = first {
        cluster.crash(position(crashed));
        cluster.run_until(PHASE_LIMIT, |c| {
            c.agreed_leader().is_some_and(|leader| leader != crashed)
        });
        second = leader_and_term(&cluster);
        if let Some((leader, _)) = second.filter(|&(leader, _)| leader != crashed) {
            cluster.restart_from_disk(position(crashed));
            rejoined = cluster.run_until(PHASE_LIMIT, |c| c.agree_on(leader));
        }
    }
    QuorumRun {
        first,
        second,
        rejoined,
        cluster,
    }
}

#[test]
fn full_elections_allocate_nothing() {
    let ((), boxed) = count_allocations(|| drop(black_box(Box::new(1u8))));
    assert_eq!(boxed, 1, "the counter sees an allocation");

    let (bully, allocations) = count_allocations(bully_failover);
    assert!(bully.elected_6, "the six nodes did not agree on node 6");
    assert!(
        bully.elected_5,
        "after node 6 crashed, nodes 1..=5 did not agree on node 5"
    );
    for (i, engine) in bully.cluster.engines[..5].iter().enumerate() {
        assert_eq!(engine.leader(), Some(NodeId(5)), "node {}", i + 1);
    }
    assert!(bully.cluster.engines[4].is_leader());
    assert!(
        bully.cluster.now > bully.crashed_at,
        "the second election took time"
    );
    assert_eq!(allocations, 0, "Bully allocated during the elections");

    let (quorum, allocations) = count_allocations(quorum_failover);
    let (first, first_term) = quorum.first.expect("the six nodes elected no leader");
    let (second, second_term) = quorum
        .second
        .expect("after the leader crashed, the other five elected no leader");
    assert_ne!(first, second, "the crashed leader cannot lead");
    assert!(second_term > first_term, "{second_term} after {first_term}");
    assert!(
        quorum.rejoined,
        "{first}, restarted from its disk, did not follow {second}"
    );
    for (i, engine) in quorum.cluster.engines.iter().enumerate() {
        let state = engine
            .quorum()
            .map(|q| q.durable_state())
            .expect("quorum keeps durable state");
        assert_eq!(state.term, second_term, "node {}", i + 1);
        assert_eq!(quorum.cluster.disks[i], Some(state), "node {}", i + 1);
    }
    // Each node wrote at least the term of each election (the restarted one too), and the
    // voters their votes.
    assert!(
        quorum.cluster.writes >= 2 * NODES,
        "{}",
        quorum.cluster.writes
    );
    println!(
        "quorum: {first} led {first_term}, {second} led {second_term}, {} durable writes",
        quorum.cluster.writes
    );
    assert_eq!(
        allocations, 0,
        "quorum election allocated during the elections"
    );
}
