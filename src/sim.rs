//! A deterministic network simulator for engines (feature `sim`, needs `std`).
//!
//! Runs `N`-member election groups on a virtual clock that jumps from one event to the
//! next (a delivery or an engine's deadline), so a minute of protocol time takes
//! milliseconds. All randomness — message loss, duplication, delay and so reordering, and
//! every node's jitter seed — comes from one seed, so a run is reproduced exactly from it,
//! and every [`Violation`] names it.
//!
//! Faults: loss, duplication, delay jitter and rare long delays ([`Faults`]); symmetric
//! partitions
//! ([`Simulation::partition`]) and one-way link failures ([`Simulation::block`]); crashes
//! and restarts ([`Simulation::crash`], [`Simulation::restart`]); pauses
//! ([`Simulation::pause`], [`Simulation::resume`]); and clock drift
//! ([`Simulation::set_drift`]): every engine is driven by its own local clock. Every message handed
//! out by an engine is recorded ([`Simulation::log`]), simultaneous leaders are measured
//! ([`Simulation::split_brain`]), and pluggable invariants are checked after every step
//! ([`Simulation::add_invariant`]).
//!
//! Messages travel as bytes through [`Engine::handle_bytes`], so the wire format is
//! exercised too; a message an engine rejects is itself a violation.
//!
//! Use it to check your own timing before you deploy it:
//!
//! ```
//! use bellwether::sim::{Faults, Simulation};
//! use bellwether::{Algorithm, BullyOptions, Config, Duration, GroupId, Member, NodeId, Timing};
//!
//! let timing = Timing { failure_timeout: Duration::from_millis(300), ..Timing::LAN };
//! let members: Vec<Member> = (1..=5).map(Member::with_id).collect();
//! let configs = (1..=5).map(|id| {
//!     Config::<8>::new(GroupId(1), NodeId(id), &members, Algorithm::Bully(BullyOptions::CLASSIC))
//!         .unwrap()
//!         .with_timing(timing)
//! });
//! let mut sim = Simulation::new(42, configs).expect("valid configurations");
//! sim.set_faults(Faults { loss: 0.05, max_delay: Duration::from_millis(10), ..Faults::NONE });
//! sim.run_for(Duration::from_secs(2))?;
//! assert_eq!(sim.agreed_leader(), Some(NodeId(5)));
//!
//! sim.crash(NodeId(5));
//! let crashed_at = sim.now();
//! let agreed = sim.run_until_true(Duration::from_secs(2), |s| s.agreed_leader() == Some(NodeId(4)))?;
//! println!("failover took {}", agreed.unwrap() - crashed_at);
//! # Ok::<(), bellwether::sim::Violation>(())
//! ```

extern crate std;

use std::boxed::Box;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::fmt;
use std::string::{String, ToString};
use std::vec::Vec;

use crate::config::{Config, ConfigError, NodeId};
#[cfg(feature = "quorum")]
use crate::durable::DurableState;
use crate::engine::{Engine, Output, ReceiveError};
use crate::event::{Event, Role};
use crate::protection::{Authenticator, Unauthenticated};
use crate::rand::Rng;
use crate::time::{Duration, Instant};
#[cfg(feature = "quorum")]
use crate::wire::Body;
use crate::wire::{Destination, Kind, MAX_MESSAGE_SIZE, Message, Term};
#[cfg(feature = "quorum")]
use crate::{Algorithm, Durability};

/// How the simulated network misbehaves. Probabilities are in `0.0..=1.0`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Faults {
    /// Chance that a message copy is lost.
    pub loss: f64,
    /// Chance that a message is delivered twice (each copy with its own delay).
    pub duplicate: f64,
    /// The shortest one-way delay.
    pub min_delay: Duration,
    /// The longest one-way delay; delays are uniform in `min_delay..=max_delay`, so
    /// messages overtake each other when the range is wide.
    pub max_delay: Duration,
    /// Chance that a message copy is held up far longer than the others: delayed by up
    /// to `long_delay` instead (a datagram stuck in a queue, arriving after the state it
    /// was sent in has moved on).
    pub long_delay_chance: f64,
    /// The longest of those long delays.
    pub long_delay: Duration,
}

impl Faults {
    /// A perfect network with a fixed 1 ms delay.
    pub const NONE: Faults = Faults {
        loss: 0.0,
        duplicate: 0.0,
        min_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(1),
        long_delay_chance: 0.0,
        long_delay: Duration::ZERO,
    };
}

impl Default for Faults {
    fn default() -> Self {
        Faults::NONE
    }
}

/// What became of one copy of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// On its way; due at this instant.
    Scheduled(Instant),
    /// Dropped by random loss.
    Lost,
    /// Dropped by a partition or a blocked link.
    Blocked,
}

/// One copy of one message, as recorded when its sender handed it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// When it was sent.
    pub at: Instant,
    /// Counts transmissions: copies of one broadcast, and duplicates, share it.
    pub transmission: u64,
    /// The sender.
    pub from: NodeId,
    /// The receiver of this copy.
    pub to: NodeId,
    /// The message kind.
    pub kind: Kind,
    /// The term it carried.
    pub term: Term,
    /// Whether this copy is a duplicate made by the network.
    pub duplicate: bool,
    /// What became of it.
    pub fate: Fate,
}

/// An invariant failed: the run, the moment and the reason, with the seed that
/// reproduces it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The simulation's seed.
    pub seed: u64,
    /// The simulated time of the failure.
    pub at: Instant,
    /// The name of the invariant (or check) that failed.
    pub invariant: String,
    /// What was wrong.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invariant '{}' failed at {}: {} (reproduce with seed {})",
            self.invariant, self.at, self.detail, self.seed
        )
    }
}

impl std::error::Error for Violation {}

/// How long, and with how many leaders at most, live nodes disagreed on leadership.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SplitBrain {
    /// The most live nodes that claimed leadership at the same time.
    pub max_leaders: usize,
    /// Total simulated time during which more than one live node claimed leadership.
    pub duration: Duration,
    /// How many separate spells of more than one leader there were.
    pub episodes: u32,
}

/// A check run after every step; it returns why the state is wrong, if it is.
pub type Invariant<const N: usize, A = Unauthenticated> =
    Box<dyn FnMut(&Simulation<N, A>) -> Result<(), String>>;

struct Node<const N: usize, A> {
    config: Config<N>,
    engine: Option<Engine<N, A>>,
    /// The group's authenticator, handed to each engine the node starts.
    authenticator: A,
    /// What the node's host persisted (quorum election): it survives crashes.
    #[cfg(feature = "quorum")]
    disk: Option<DurableState>,
    events: Vec<(Instant, Event)>,
    /// Paused nodes take no input; what reaches them waits here, in order.
    paused: Option<Vec<Vec<u8>>>,
    clock: Clock,
}

/// A node's local clock: it runs `ppm` parts per million fast (or slow, if negative)
/// against simulated real time, starting together at zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Clock {
    ppm: i32,
}

impl Clock {
    const MILLION: i128 = 1_000_000;

    /// The local reading at real time `real`.
    fn local(self, real: Instant) -> Instant {
        let real = i128::from(real.as_millis());
        let local = real + real * i128::from(self.ppm) / Self::MILLION;
        Instant::from_millis(u64::try_from(local.max(0)).unwrap_or(u64::MAX))
    }

    /// The first real time at which the local clock reads `local` or later.
    fn real(self, local: Instant) -> Instant {
        let rate = Self::MILLION + i128::from(self.ppm);
        let target = i128::from(local.as_millis());
        let guess = (target * Self::MILLION + rate - 1) / rate;
        let mut real = Instant::from_millis(u64::try_from(guess.max(0)).unwrap_or(u64::MAX));
        let step = Duration::from_millis(1);
        while self.local(real) < local {
            real = real + step;
        }
        while real > Instant::ZERO && self.local(real - step) >= local {
            real = real - step;
        }
        real
    }
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct InFlight {
    deliver_at: Instant,
    sequence: u64,
    to: NodeId,
    bytes: Vec<u8>,
}

/// A simulated election group: engines, a network and a virtual clock.
pub struct Simulation<const N: usize, A = Unauthenticated> {
    seed: u64,
    now: Instant,
    rng: Rng,
    faults: Faults,
    nodes: BTreeMap<NodeId, Node<N, A>>,
    in_flight: BinaryHeap<Reverse<InFlight>>,
    sequence: u64,
    transmissions: u64,
    blocked: BTreeSet<(NodeId, NodeId)>,
    log: Vec<Record>,
    invariants: Vec<(String, Invariant<N, A>)>,
    split_brain: SplitBrain,
    several_leaders: bool,
}

impl<const N: usize> Simulation<N> {
    /// A simulation of one engine per configuration, all started at time zero on a
    /// perfect network; fails if a configuration does. Each node's jitter seed is drawn
    /// from `seed`, replacing the one in its configuration, so the whole run depends on
    /// `seed` alone.
    pub fn new(
        seed: u64,
        configs: impl IntoIterator<Item = Config<N>>,
    ) -> Result<Simulation<N>, ConfigError> {
        Simulation::with_authenticator(seed, configs, Unauthenticated)
    }
}

impl<const N: usize, A: Authenticator + Clone> Simulation<N, A> {
    /// [`Simulation::new`] with every engine signing and checking messages with a copy
    /// of `authenticator` (the group's keys). A node that restarts starts a new session
    /// (its configured session plus the number of restarts), as a host with a boot
    /// counter would.
    pub fn with_authenticator(
        seed: u64,
        configs: impl IntoIterator<Item = Config<N>>,
        authenticator: A,
    ) -> Result<Simulation<N, A>, ConfigError> {
        let mut rng = Rng::new(seed);
        let mut nodes = BTreeMap::new();
        for config in configs {
            let config = config.with_seed(rng.next_u64());
            let engine =
                Engine::with_authenticator(config.clone(), Instant::ZERO, authenticator.clone())?;
            let node = Node {
                config,
                engine: Some(engine),
                authenticator: authenticator.clone(),
                #[cfg(feature = "quorum")]
                disk: None,
                events: Vec::new(),
                paused: None,
                clock: Clock::default(),
            };
            nodes.insert(node.config.node, node);
        }
        Ok(Simulation {
            seed,
            now: Instant::ZERO,
            rng,
            faults: Faults::NONE,
            nodes,
            in_flight: BinaryHeap::new(),
            sequence: 0,
            transmissions: 0,
            blocked: BTreeSet::new(),
            log: Vec::new(),
            invariants: Vec::new(),
            split_brain: SplitBrain::default(),
            several_leaders: false,
        })
    }

    // ---- Observation ----

    /// The seed this run was made from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The simulated time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Every node's id, in order.
    pub fn node_ids(&self) -> Vec<NodeId> {
        self.nodes.keys().copied().collect()
    }

    /// The engine of a live node.
    pub fn engine(&self, id: NodeId) -> Option<&Engine<N, A>> {
        self.nodes.get(&id).and_then(|node| node.engine.as_ref())
    }

    /// The engines of all live nodes.
    pub fn live(&self) -> impl Iterator<Item = &Engine<N, A>> {
        self.nodes.values().filter_map(|node| node.engine.as_ref())
    }

    /// The live nodes that claim leadership.
    pub fn leaders(&self) -> Vec<NodeId> {
        self.live()
            .filter(|e| e.role() == Role::Leader)
            .map(Engine::id)
            .collect()
    }

    /// The leader every live node agrees on, if they all name the same live node and it
    /// claims leadership.
    pub fn agreed_leader(&self) -> Option<NodeId> {
        let mut live = self.live();
        let leader = live.next()?.leader()?;
        let leading = self.engine(leader).is_some_and(Engine::is_leader);
        (leading && live.all(|e| e.leader() == Some(leader))).then_some(leader)
    }

    /// Every message copy handed out so far.
    pub fn log(&self) -> &[Record] {
        &self.log
    }

    /// How many transmissions engines handed out at or after `since` (a broadcast counts
    /// once; network duplicates do not count).
    pub fn transmissions_since(&self, since: Instant) -> usize {
        let mut seen = BTreeSet::new();
        self.log
            .iter()
            .filter(|r| r.at >= since && !r.duplicate && seen.insert(r.transmission))
            .count()
    }

    /// The events a node reported (across restarts), with the time it reported them.
    pub fn events(&self, id: NodeId) -> &[(Instant, Event)] {
        self.nodes.get(&id).map_or(&[], |node| &node.events)
    }

    /// Simultaneous-leader measurements so far.
    pub fn split_brain(&self) -> SplitBrain {
        self.split_brain
    }

    // ---- Faults ----

    /// Sets how the network misbehaves from now on.
    pub fn set_faults(&mut self, faults: Faults) {
        self.faults = faults;
    }

    /// Cuts every link between `side` and the other nodes, both ways.
    pub fn partition(&mut self, side: &[NodeId]) {
        let ids = self.node_ids();
        for &a in side {
            for &b in ids.iter().filter(|b| !side.contains(b)) {
                self.blocked.insert((a, b));
                self.blocked.insert((b, a));
            }
        }
    }

    /// Cuts the link from `from` to `to` in that direction only.
    pub fn block(&mut self, from: NodeId, to: NodeId) {
        self.blocked.insert((from, to));
    }

    /// Restores every link (messages already dropped stay dropped).
    pub fn heal(&mut self) {
        self.blocked.clear();
    }

    /// Stops a node: it loses all state and receives nothing until restarted.
    pub fn crash(&mut self, id: NodeId) {
        if let Some(node) = self.nodes.get_mut(&id) {
            node.engine = None;
            node.paused = None;
        }
    }

    /// Starts a crashed node again from its configuration: a fresh engine, or (quorum
    /// election in persistent mode) one restored from what its host persisted.
    pub fn restart(&mut self, id: NodeId) {
        self.start_again(id, true);
    }

    /// Starts a crashed node again as a fresh engine that has forgotten its persisted
    /// term and vote: what a host that loses its storage does. Quorum election is not
    /// safe against this outside volatile mode; tests use it to show the checker catches
    /// the result.
    pub fn restart_forgetting(&mut self, id: NodeId) {
        self.start_again(id, false);
    }

    fn start_again(&mut self, id: NodeId, from_disk: bool) {
        let now = self.now;
        let Some(node) = self.nodes.get_mut(&id) else {
            return;
        };
        if node.engine.is_some() {
            return;
        }
        node.paused = None;
        let local = node.clock.local(now);
        // A new boot, a new session.
        #[cfg(feature = "authentication")]
        if let crate::Protection::Authenticated(options) = &mut node.config.protection {
            options.session = options.session.wrapping_add(1);
        }
        let authenticator = node.authenticator.clone();
        #[cfg(feature = "quorum")]
        if let Some(state) = node.disk.filter(|_| from_disk) {
            node.engine = Engine::restore_with_authenticator(
                node.config.clone(),
                local,
                state,
                authenticator,
            )
            .ok();
            return;
        }
        #[cfg(feature = "quorum")]
        if !from_disk {
            node.disk = None;
        }
        node.engine = Engine::with_authenticator(node.config.clone(), local, authenticator).ok();
    }

    /// Stops a node taking input, as a process stopped by the operating system or a long
    /// garbage collection would: its timers do not fire and messages that reach it wait,
    /// in order, until [`Simulation::resume`]. It keeps its state, and still counts as live.
    pub fn pause(&mut self, id: NodeId) {
        if let Some(node) = self.nodes.get_mut(&id)
            && node.engine.is_some()
            && node.paused.is_none()
        {
            node.paused = Some(Vec::new());
        }
    }

    /// Lets a paused node run again: it handles what reached it meanwhile, in order, at
    /// the current time, and its overdue timers fire at the next step.
    pub fn resume(&mut self, id: NodeId) -> Result<(), Violation> {
        let held = self.nodes.get_mut(&id).and_then(|node| node.paused.take());
        for bytes in held.unwrap_or_default() {
            self.deliver(InFlight {
                deliver_at: self.now,
                sequence: 0,
                to: id,
                bytes,
            })?;
        }
        Ok(())
    }

    /// Whether a node is paused.
    pub fn is_paused(&self, id: NodeId) -> bool {
        self.nodes
            .get(&id)
            .is_some_and(|node| node.paused.is_some())
    }

    /// Makes a node's clock run `ppm` parts per million fast (negative: slow) from now on,
    /// measured from time zero: its local time is real time × (1 + ppm / 10⁶). Engines
    /// see only their local time, so this models drift between the hosts' clocks.
    pub fn set_drift(&mut self, id: NodeId, ppm: i32) {
        if let Some(node) = self.nodes.get_mut(&id) {
            node.clock = Clock {
                ppm: ppm.max(-999_999),
            };
        }
    }

    /// Runs a host's command on a node that is up and not paused, at its local time now
    /// (for example `transfer_leadership`), then sends what it hands out and checks the
    /// invariants. Returns the command's result, or `None` if the node is down or paused.
    pub fn command<R>(
        &mut self,
        id: NodeId,
        command: impl FnOnce(&mut Engine<N, A>, Instant) -> R,
    ) -> Result<Option<R>, Violation> {
        let local = self.local_time(id);
        let Some(node) = self.nodes.get_mut(&id).filter(|node| node.paused.is_none()) else {
            return Ok(None);
        };
        let Some(engine) = node.engine.as_mut() else {
            return Ok(None);
        };
        let result = command(engine, local);
        self.drain(id)?;
        self.check()?;
        Ok(Some(result))
    }

    /// A node's local clock reading now.
    pub fn local_time(&self, id: NodeId) -> Instant {
        self.nodes
            .get(&id)
            .map_or(self.now, |node| node.clock.local(self.now))
    }

    /// `Ok` if `holds`, else a [`Violation`] of `invariant` at the current time, described
    /// by `detail`: for checks a scenario makes between runs.
    pub fn ensure(
        &self,
        invariant: &str,
        holds: bool,
        detail: impl FnOnce() -> String,
    ) -> Result<(), Violation> {
        if holds {
            Ok(())
        } else {
            Err(self.violation(invariant, detail()))
        }
    }

    /// Every live node's (id, leader, role, term): a compact view for failure reports.
    pub fn view(&self) -> Vec<(u32, Option<u32>, Role, u64)> {
        self.live()
            .map(|e| (e.id().0, e.leader().map(|l| l.0), e.role(), e.term().0))
            .collect()
    }

    /// Adds a check run after every step.
    pub fn add_invariant(
        &mut self,
        name: &str,
        check: impl FnMut(&Simulation<N, A>) -> Result<(), String> + 'static,
    ) {
        self.invariants.push((name.to_string(), Box::new(check)));
    }

    // ---- Running ----

    /// Runs every event due up to and including `until`, then sets the clock to `until`.
    pub fn run_until(&mut self, until: Instant) -> Result<(), Violation> {
        while let Some(at) = self.next_event_at().filter(|&at| at <= until) {
            self.step_at(at)?;
        }
        self.advance(until);
        Ok(())
    }

    /// Runs for `duration` of simulated time.
    pub fn run_for(&mut self, duration: Duration) -> Result<(), Violation> {
        self.run_until(self.now + duration)
    }

    /// Runs until `done` holds (checked after every step) or `limit` of simulated time
    /// has passed; returns the time at which it held.
    pub fn run_until_true(
        &mut self,
        limit: Duration,
        mut done: impl FnMut(&Simulation<N, A>) -> bool,
    ) -> Result<Option<Instant>, Violation> {
        let until = self.now + limit;
        loop {
            if done(self) {
                return Ok(Some(self.now));
            }
            match self.next_event_at().filter(|&at| at <= until) {
                Some(at) => self.step_at(at)?,
                None => {
                    self.advance(until);
                    return Ok(done(self).then_some(self.now));
                }
            }
        }
    }

    /// Calls one node's `handle_timeout` at its own deadline (advancing the clock to it if
    /// it lies ahead) without running anything else: "this node notices first".
    pub fn fire_timeout(&mut self, id: NodeId) -> Result<(), Violation> {
        if let Some(at) = self.real_deadline(id) {
            self.advance(at);
            self.timeout(id)?;
        }
        Ok(())
    }

    /// Delivers every message in flight, and those they cause, advancing the clock to each
    /// delivery but firing no timer: the network settles before anyone's deadline.
    pub fn deliver_all(&mut self) -> Result<(), Violation> {
        while self.deliver_next()? {}
        Ok(())
    }

    /// Delivers the earliest message in flight (advancing the clock to it) and nothing
    /// else; returns whether there was one.
    pub fn deliver_next(&mut self) -> Result<bool, Violation> {
        let Some(Reverse(message)) = self.in_flight.pop() else {
            return Ok(false);
        };
        self.advance(message.deliver_at);
        self.deliver(message)?;
        Ok(true)
    }

    /// When a running node's next deadline falls in real time.
    fn real_deadline(&self, id: NodeId) -> Option<Instant> {
        let node = self.nodes.get(&id).filter(|node| node.paused.is_none())?;
        let local = node.engine.as_ref()?.poll_timeout()?;
        Some(node.clock.real(local))
    }

    /// Calls a node's `handle_timeout` at its local time now, and drains it.
    fn timeout(&mut self, id: NodeId) -> Result<(), Violation> {
        let local = self.local_time(id);
        if let Some(engine) = self.engine_mut(id) {
            engine.handle_timeout(local);
        }
        self.drain(id)?;
        self.check()
    }

    fn next_event_at(&self) -> Option<Instant> {
        let delivery = self.in_flight.peek().map(|Reverse(m)| m.deliver_at);
        let deadline = self
            .nodes
            .keys()
            .filter_map(|&id| self.real_deadline(id))
            .min();
        match (delivery, deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Runs everything due at `at`: deliveries first, then deadlines.
    fn step_at(&mut self, at: Instant) -> Result<(), Violation> {
        self.advance(at);
        while self
            .in_flight
            .peek()
            .is_some_and(|Reverse(m)| m.deliver_at <= at)
        {
            if let Some(Reverse(message)) = self.in_flight.pop() {
                self.deliver(message)?;
            }
        }
        let due: Vec<NodeId> = self
            .nodes
            .keys()
            .copied()
            .filter(|&id| self.real_deadline(id).is_some_and(|d| d <= at))
            .collect();
        for id in due {
            self.timeout(id)?;
        }
        Ok(())
    }

    fn advance(&mut self, to: Instant) {
        if to <= self.now {
            return;
        }
        if self.several_leaders {
            self.split_brain.duration = self.split_brain.duration + (to - self.now);
        }
        self.now = to;
    }

    fn engine_mut(&mut self, id: NodeId) -> Option<&mut Engine<N, A>> {
        self.nodes
            .get_mut(&id)
            .and_then(|node| node.engine.as_mut())
    }

    fn deliver(&mut self, message: InFlight) -> Result<(), Violation> {
        let local = self.local_time(message.to);
        let Some(node) = self.nodes.get_mut(&message.to) else {
            return Ok(());
        };
        if let Some(held) = node.paused.as_mut() {
            held.push(message.bytes);
            return Ok(());
        }
        let Some(engine) = node.engine.as_mut() else {
            return Ok(()); // crashed: the message is lost
        };
        // Authenticated engines refuse duplicates, and messages from a session they
        // have not synchronised with yet (which queues a freshness request): both are
        // the network's doing, not a fault.
        if let Err(error) = engine.handle_bytes(local, &message.bytes)
            && !matches!(error, ReceiveError::Replay | ReceiveError::Unsynchronised)
        {
            return Err(self.violation(
                "wire",
                std::format!("{} rejected a message: {error}", message.to),
            ));
        }
        self.drain(message.to)?;
        self.check()
    }

    /// Takes every message and event from a node, sending the messages into the network.
    /// Durable state it hands out is written to its disk and confirmed first (quorum).
    fn drain(&mut self, id: NodeId) -> Result<(), Violation> {
        let mut buf = [0u8; MAX_MESSAGE_SIZE];
        let mut outgoing = Vec::new();
        let Some(node) = self.nodes.get_mut(&id) else {
            return Ok(());
        };
        let Some(engine) = node.engine.as_mut() else {
            return Ok(());
        };
        loop {
            match engine.poll_output(&mut buf) {
                #[cfg(feature = "quorum")]
                Ok(Output::Persist(state)) => {
                    node.disk = Some(state);
                    // The engine handed this state out just now, so it is current.
                    let _current = engine.confirm_persisted(state);
                }
                Ok(Output::Transmit(transmit)) => {
                    let bytes = buf.get(..transmit.len).unwrap_or_default().to_vec();
                    outgoing.push((transmit.to, bytes));
                }
                Ok(Output::Event(event)) => node.events.push((self.now, event)),
                // The deadline ends the drain; a buffer of MAX_MESSAGE_SIZE never fails.
                Ok(Output::Timeout(_)) | Err(_) => break,
            }
        }
        for (to, bytes) in outgoing {
            self.send(id, to, bytes)?;
        }
        Ok(())
    }

    fn send(&mut self, from: NodeId, to: Destination, bytes: Vec<u8>) -> Result<(), Violation> {
        let Ok(message) = Message::peek(&bytes) else {
            return Ok(());
        };
        #[cfg(feature = "quorum")]
        self.check_vote_persisted(from, &message)?;
        self.transmissions += 1;
        let receivers: Vec<NodeId> = match to {
            Destination::Node(id) => std::vec![id],
            Destination::All => self
                .node_ids()
                .into_iter()
                .filter(|&id| id != from)
                .collect(),
        };
        for receiver in receivers {
            self.send_copy(from, receiver, &message, &bytes, false);
            if self.rng_chance(self.faults.duplicate) {
                self.send_copy(from, receiver, &message, &bytes, true);
            }
        }
        Ok(())
    }

    /// A granted vote may leave a node only once its host has that vote on disk.
    #[cfg(feature = "quorum")]
    fn check_vote_persisted(&self, from: NodeId, message: &Message) -> Result<(), Violation> {
        let Body::Vote { granted: true } = message.body else {
            return Ok(());
        };
        let volatile = self.nodes.get(&from).is_some_and(|node| {
            matches!(node.config.algorithm,
                Algorithm::Quorum(options) if options.durability == Durability::Volatile)
        });
        if volatile {
            return Ok(()); // Nothing is persisted in volatile mode, by design.
        }
        let Destination::Node(candidate) = message.to else {
            return Err(self.violation("vote persisted", std::format!("{from} broadcast a vote")));
        };
        let on_disk = self.nodes.get(&from).and_then(|node| node.disk);
        let persisted = on_disk
            .is_some_and(|state| state.term == message.term && state.voted_for == Some(candidate));
        self.ensure("vote persisted", persisted, || {
            std::format!(
                "{from} sent its vote for {candidate} in {} with {on_disk:?} on disk",
                message.term
            )
        })
    }

    fn send_copy(
        &mut self,
        from: NodeId,
        to: NodeId,
        message: &Message,
        bytes: &[u8],
        duplicate: bool,
    ) {
        let fate = if self.blocked.contains(&(from, to)) {
            Fate::Blocked
        } else if self.rng_chance(self.faults.loss) {
            Fate::Lost
        } else {
            let max_delay = if self.rng_chance(self.faults.long_delay_chance) {
                self.faults.long_delay.max(self.faults.max_delay)
            } else {
                self.faults.max_delay
            };
            let spread = max_delay - self.faults.min_delay;
            let delay = self.faults.min_delay
                + Duration::from_millis(self.rng.below(spread.as_millis() + 1));
            let deliver_at = self.now + delay;
            self.sequence += 1;
            self.in_flight.push(Reverse(InFlight {
                deliver_at,
                sequence: self.sequence,
                to,
                bytes: bytes.to_vec(),
            }));
            Fate::Scheduled(deliver_at)
        };
        self.log.push(Record {
            at: self.now,
            transmission: self.transmissions,
            from,
            to,
            kind: message.body.kind(),
            term: message.term,
            duplicate,
            fate,
        });
    }

    fn rng_chance(&mut self, probability: f64) -> bool {
        probability > 0.0 && (self.rng.next_u64() as f64) < probability * (u64::MAX as f64)
    }

    /// Updates the split-brain measurements and runs the invariants.
    fn check(&mut self) -> Result<(), Violation> {
        let leaders = self.leaders().len();
        self.split_brain.max_leaders = self.split_brain.max_leaders.max(leaders);
        let several = leaders > 1;
        if several && !self.several_leaders {
            self.split_brain.episodes += 1;
        }
        self.several_leaders = several;
        let mut invariants = std::mem::take(&mut self.invariants);
        let result = invariants
            .iter_mut()
            .find_map(|(name, check)| check(self).err().map(|detail| (name.clone(), detail)));
        self.invariants = invariants;
        match result {
            Some((name, detail)) => Err(self.violation(&name, detail)),
            None => Ok(()),
        }
    }

    fn violation(&self, invariant: &str, detail: String) -> Violation {
        Violation {
            seed: self.seed,
            at: self.now,
            invariant: invariant.to_string(),
            detail,
        }
    }
}

/// An invariant every algorithm keeps: a live node claims leadership exactly when it
/// names itself as the leader.
pub fn leader_names_itself<const N: usize, A: Authenticator + Clone>(
    sim: &Simulation<N, A>,
) -> Result<(), String> {
    match sim
        .live()
        .find(|e| e.is_leader() != (e.leader() == Some(e.id())))
    {
        Some(engine) => Err(std::format!(
            "{} is {:?} but names {:?} as leader",
            engine.id(),
            engine.role(),
            engine.leader()
        )),
        None => Ok(()),
    }
}

/// An invariant of quorum election: never two leaders in the same term, over the whole
/// run (each call makes its own record of who led which term).
pub fn one_leader_per_term<const N: usize, A: Authenticator + Clone>()
-> impl FnMut(&Simulation<N, A>) -> Result<(), String> {
    let mut led: BTreeMap<Term, NodeId> = BTreeMap::new();
    move |sim| {
        for engine in sim.live().filter(|e| e.is_leader()) {
            let leader = *led.entry(engine.term()).or_insert(engine.id());
            if leader != engine.id() {
                return Err(std::format!(
                    "{} and {} both led {}",
                    leader,
                    engine.id(),
                    engine.term()
                ));
            }
        }
        Ok(())
    }
}

/// An invariant of quorum election: never two nodes whose leases are valid at the same
/// real time (each judged by its own clock, paused nodes included).
#[cfg(feature = "quorum")]
pub fn one_lease_at_a_time<const N: usize, A: Authenticator + Clone>(
    sim: &Simulation<N, A>,
) -> Result<(), String> {
    let holders: Vec<NodeId> = sim
        .live()
        .filter(|e| {
            e.quorum()
                .is_some_and(|q| q.has_lease(sim.local_time(e.id())))
        })
        .map(Engine::id)
        .collect();
    match holders.as_slice() {
        [first, second, ..] => Err(std::format!(
            "{first} and {second} both hold a lease at {}",
            sim.now()
        )),
        _ => Ok(()),
    }
}

/// Runs `scenario` for every seed in `seeds` and returns each seed's result, or every
/// violation if any seed failed (so one run reports all failing seeds at once).
pub fn run_seeds<T>(
    seeds: core::ops::Range<u64>,
    mut scenario: impl FnMut(u64) -> Result<T, Violation>,
) -> Result<Vec<T>, Vec<Violation>> {
    let mut results = Vec::new();
    let mut violations = Vec::new();
    for seed in seeds {
        match scenario(seed) {
            Ok(result) => results.push(result),
            Err(violation) => violations.push(violation),
        }
    }
    if violations.is_empty() {
        Ok(results)
    } else {
        Err(violations)
    }
}

/// How many seeds a randomized test should run: `default`, or the number in the
/// environment variable `BELLWETHER_SOAK_SEEDS` for a longer soak.
pub fn seed_count(default: u64) -> u64 {
    std::env::var("BELLWETHER_SOAK_SEEDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drifting_clock_converts_both_ways() {
        for ppm in [0, 1, -1, 100_000, -100_000, 500_000, -999_999] {
            let clock = Clock { ppm };
            for real in [0u64, 1, 999, 1_000, 123_456, 10_000_000] {
                let local = clock.local(Instant::from_millis(real));
                let back = clock.real(local);
                assert!(back <= Instant::from_millis(real), "ppm {ppm}, real {real}");
                assert!(clock.local(back) >= local, "ppm {ppm}, real {real}");
            }
        }
        let fast = Clock { ppm: 100_000 };
        assert_eq!(
            fast.local(Instant::from_millis(1_000)),
            Instant::from_millis(1_100)
        );
        assert_eq!(
            fast.real(Instant::from_millis(1_100)),
            Instant::from_millis(1_000)
        );
    }
}
