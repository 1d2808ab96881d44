//! Proves that the engine never allocates: a counting global allocator watches a complete
//! election — six nodes boot and elect node 6, node 6 crashes, the other five elect node 5
//! — driven by hand on fixed-size arrays, and the count must be exactly zero.
//!
//! The counter (`stats_alloc`) counts every thread, so this file holds a single test: the
//! harness's main thread only waits while it runs. The test first shows that the counter
//! does see an allocation.
#![cfg(feature = "bully")]

use std::alloc::System;
use std::hint::black_box;

use bellwether::{
    Algorithm, BullyOptions, Config, Destination, Duration, Engine, Event, GroupId, Instant,
    MAX_MESSAGE_SIZE, Member, NodeId, Timing,
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

/// Six engines, a FIFO network with a fixed delay and a virtual clock: all fixed-size.
struct Cluster {
    engines: [Engine<8>; NODES],
    up: [bool; NODES],
    /// The leader each node last reported in a `LeaderChanged` event.
    reported: [Option<NodeId>; NODES],
    network: Deque<Packet, 256>,
    now: Instant,
}

impl Cluster {
    fn new() -> Cluster {
        let members: [Member; NODES] = core::array::from_fn(|i| Member::with_id(id(i).0));
        let engines = core::array::from_fn(|i| {
            let config = Config::<8>::new(
                GroupId(1),
                id(i),
                &members,
                Algorithm::Bully(BullyOptions::CLASSIC),
            )
            .expect("valid configuration")
            .with_timing(Timing::LAN)
            .with_seed(0x5EED_0000 + i as u64);
            Engine::new(config, Instant::ZERO).expect("valid engine")
        });
        Cluster {
            engines,
            up: [true; NODES],
            reported: [None; NODES],
            network: Deque::new(),
            now: Instant::ZERO,
        }
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

    /// Takes every message and event from node `i`, putting the messages on the network.
    fn drain(&mut self, i: usize) {
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

#[test]
fn a_full_election_allocates_nothing() {
    let ((), boxed) = count_allocations(|| drop(black_box(Box::new(1u8))));
    assert_eq!(boxed, 1, "the counter sees an allocation");

    let ((elected_6, crashed_at, elected_5, cluster), allocations) = count_allocations(|| {
        let mut cluster = Cluster::new();
        let elected_6 = cluster.run_until(PHASE_LIMIT, |c| c.agree_on(NodeId(6)));
        let crashed_at = cluster.now;
        cluster.up[5] = false; // node 6 crashes: nothing reaches it or leaves it any more
        let elected_5 = cluster.run_until(PHASE_LIMIT, |c| c.agree_on(NodeId(5)));
        (elected_6, crashed_at, elected_5, cluster)
    });
    assert!(elected_6, "the six nodes did not agree on node 6");
    assert!(
        elected_5,
        "after node 6 crashed, nodes 1..=5 did not agree on node 5"
    );
    for (i, engine) in cluster.engines[..5].iter().enumerate() {
        assert_eq!(engine.leader(), Some(NodeId(5)), "node {}", i + 1);
    }
    assert!(cluster.engines[4].is_leader());
    assert!(cluster.now > crashed_at, "the second election took time");
    assert_eq!(allocations, 0, "the engine allocated during the election");
}
