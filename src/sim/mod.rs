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
//! An adversary on the network ([`Attacker`], [`Simulation::set_attacker`]) replays
//! earlier datagrams, flips bits of datagrams in flight and forges messages with a wrong
//! key; [`Simulation::inject`] hands a node bytes of the test's own making, and
//! [`Simulation::set_wiretap`] records what engines send. An engine's refusal of the
//! adversary's datagrams is expected, not a violation; the refusal of real traffic still
//! is (other than a duplicate or an unsynchronised session, which the network causes).
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

#[cfg(feature = "multigroup")]
pub mod multigroup;

use std::boxed::Box;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};
use std::fmt;
use std::string::{String, ToString};
use std::vec::Vec;

use crate::config::{Config, ConfigError, NodeId};
#[cfg(feature = "quorum")]
use crate::durable::DurableState;
use crate::engine::{Engine, Output, ReceiveError};
use crate::event::{Event, Role};
use crate::protection::{Authenticator, KeyId, Protection, Unauthenticated, UnknownKey};
use crate::rand::Rng;
use crate::time::{Duration, Instant};
use crate::wire::{Body, Destination, Kind, MAX_MESSAGE_SIZE, Message, Successors, Term};
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

/// An adversary on the network, who knows the group's id and its members' ids but not its
/// keys. Each time an engine hands out a datagram, it draws each of its moves with the
/// given chance (in `0.0..=1.0`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Attacker {
    /// Chance to send a random earlier datagram (of the last [`WIRETAP_CAPACITY`]) again,
    /// to a random node.
    pub replay: f64,
    /// Chance, for each copy, to flip 1 to 3 random bits of it on its way.
    pub flip: f64,
    /// Chance to forge a message "from" a random member to another, with a random body
    /// and a term up to two ahead of the newest, in the sender's envelope: a tag of random
    /// bytes (a wrong key) when authenticated, a valid checksum when checksummed.
    pub forge: f64,
}

impl Attacker {
    /// Replays, flips and forgeries, each with a 5 % chance per datagram sent.
    pub const ACTIVE: Attacker = Attacker {
        replay: 0.05,
        flip: 0.05,
        forge: 0.05,
    };
}

/// What the adversary did, and what engines made of it ([`Simulation::attacks`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attacks {
    /// Earlier datagrams sent again.
    pub replayed: u64,
    /// Datagrams whose bits were flipped on the way.
    pub flipped: u64,
    /// Messages forged.
    pub forged: u64,
    /// Datagrams handed in with [`Simulation::inject`].
    pub injected: u64,
    /// Adversarial datagrams an engine accepted (handed to its algorithm). A replay of an
    /// authentic datagram the network lost, or has not delivered yet, is accepted once:
    /// that is its first delivery, not a replay that worked.
    pub accepted: u64,
    /// Of those, replays of a datagram its receiver had accepted before: replays that
    /// worked.
    pub accepted_again: u64,
    /// Of those, forged, flipped or injected datagrams.
    pub accepted_altered: u64,
    /// Replayed freshness requests answered again: a request from a session its receiver
    /// is not synchronised with is answered whatever it is (the asker refuses the reply
    /// to a replayed one), so these are expected.
    pub requests_answered_again: u64,
    /// Adversarial datagrams an engine refused.
    pub refused: u64,
}

/// How many sent datagrams the wiretap keeps (the oldest go first).
pub const WIRETAP_CAPACITY: usize = 4096;

/// One datagram an engine handed out, as the wiretap recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datagram {
    /// When it was sent.
    pub at: Instant,
    /// Its sender.
    pub from: NodeId,
    /// Where it was sent.
    pub to: Destination,
    /// Its fields (read without checking a checksum or tag).
    pub message: Message,
    /// The bytes, as sent.
    pub bytes: Vec<u8>,
}

/// Signs with random bytes: the adversary's forgeries under a key it does not have.
#[cfg(feature = "authentication")]
struct WrongKey<'a> {
    key: KeyId,
    rng: &'a mut Rng,
}

#[cfg(feature = "authentication")]
impl Authenticator for WrongKey<'_> {
    fn current_key(&self) -> KeyId {
        self.key
    }

    fn sign(&mut self, _: KeyId, _: &[u8], tag: &mut [u8]) -> Result<(), UnknownKey> {
        for byte in tag {
            *byte = self.rng.next_u64() as u8;
        }
        Ok(())
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
    /// Paused nodes take no input; what reaches them waits here, in order (with whether
    /// the adversary sent it).
    paused: Option<Vec<(Vec<u8>, Source)>>,
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
    /// Sent by an engine, or replayed or made by the adversary.
    source: Source,
}

/// Where a datagram in flight comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    /// An engine sent it.
    Real,
    /// The adversary sends a recorded datagram again.
    Replayed,
    /// The adversary forged or flipped it, or a test injected it.
    Altered,
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
    /// The adversary, with its own generator, if one is on the network.
    attacker: Option<(Attacker, Rng)>,
    attacks: Attacks,
    wiretap: Option<VecDeque<Datagram>>,
    /// While the adversary is on: every datagram each node accepted, to tell a replay
    /// that worked from a first delivery.
    accepted: BTreeSet<(NodeId, Vec<u8>)>,
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
            attacker: None,
            attacks: Attacks::default(),
            wiretap: None,
            accepted: BTreeSet::new(),
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

    /// Puts an adversary on the network from now on (`None` takes it off). It draws from
    /// its own generator, seeded from the simulation's seed, and turns the wiretap on (it
    /// replays what it recorded).
    pub fn set_attacker(&mut self, attacker: Option<Attacker>) {
        self.attacker = attacker.map(|attacker| (attacker, Rng::new(!self.seed)));
        if attacker.is_some() {
            self.set_wiretap(true);
        }
    }

    /// What the adversary did so far, and what engines made of it.
    pub fn attacks(&self) -> Attacks {
        self.attacks
    }

    /// Records (or stops recording, and forgets) the last [`WIRETAP_CAPACITY`] datagrams
    /// engines send: what an eavesdropper on every link sees, partitioned links included.
    pub fn set_wiretap(&mut self, on: bool) {
        if !on {
            self.wiretap = None;
        } else if self.wiretap.is_none() {
            self.wiretap = Some(VecDeque::new());
        }
    }

    /// The datagrams the wiretap recorded, oldest first.
    pub fn wiretap(&self) -> Vec<&Datagram> {
        self.wiretap.iter().flatten().collect()
    }

    /// Hands adversarial `bytes` to node `to` now, as if they had just arrived, then
    /// drains it and checks the invariants. Returns the engine's verdict (`None` if the
    /// node is down, or paused: it then gets them when it resumes). A refusal is not a
    /// violation.
    pub fn inject(
        &mut self,
        to: NodeId,
        bytes: &[u8],
    ) -> Result<Option<Result<(), ReceiveError>>, Violation> {
        self.attacks.injected += 1;
        self.receive(to, bytes.to_vec(), Source::Altered)
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
        for (bytes, source) in held.unwrap_or_default() {
            self.deliver(InFlight {
                deliver_at: self.now,
                sequence: 0,
                to: id,
                bytes,
                source,
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
        self.receive(message.to, message.bytes, message.source)
            .map(|_| ())
    }

    /// Hands `bytes` to node `to` at its local time now and drains it; returns the
    /// engine's verdict, or `None` if the node is down or paused (a paused node gets them
    /// when it resumes).
    fn receive(
        &mut self,
        to: NodeId,
        bytes: Vec<u8>,
        source: Source,
    ) -> Result<Option<Result<(), ReceiveError>>, Violation> {
        let local = self.local_time(to);
        let Some(node) = self.nodes.get_mut(&to) else {
            return Ok(None);
        };
        if let Some(held) = node.paused.as_mut() {
            held.push((bytes, source));
            return Ok(None);
        }
        let Some(engine) = node.engine.as_mut() else {
            return Ok(None); // crashed: the message is lost
        };
        let verdict = engine.handle_bytes(local, &bytes);
        // A freshness request from a session its receiver is not synchronised with is
        // answered whatever it is (its asker refuses the reply to a replayed one).
        let request = Message::peek(&bytes).is_ok_and(|m| m.body.kind() == Kind::FreshnessRequest);
        let again =
            verdict.is_ok() && self.attacker.is_some() && !self.accepted.insert((to, bytes));
        if source != Source::Real {
            if verdict.is_ok() {
                self.attacks.accepted += 1;
                let replayed = source == Source::Replayed && again;
                self.attacks.accepted_again += u64::from(replayed && !request);
                self.attacks.requests_answered_again += u64::from(replayed && request);
                self.attacks.accepted_altered += u64::from(source == Source::Altered);
            } else {
                self.attacks.refused += 1;
            }
        } else if let Err(error) = verdict
            // Authenticated engines refuse duplicates, and messages from a session they
            // have not synchronised with yet (which queues a freshness request): both are
            // the network's doing, not a fault.
            && !matches!(error, ReceiveError::Replay | ReceiveError::Unsynchronised)
        {
            return Err(self.violation("wire", std::format!("{to} rejected a message: {error}")));
        }
        self.drain(to)?;
        self.check()?;
        Ok(Some(verdict))
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
            let flipped = self.flip(&bytes);
            let source = if flipped.is_some() {
                Source::Altered
            } else {
                Source::Real
            };
            let copy = flipped.as_deref().unwrap_or(&bytes);
            self.send_copy(from, receiver, &message, copy, false, source);
            if self.rng_chance(self.faults.duplicate) {
                self.send_copy(from, receiver, &message, copy, true, source);
            }
        }
        self.replay_and_forge();
        if let Some(wiretap) = self.wiretap.as_mut() {
            if wiretap.len() == WIRETAP_CAPACITY {
                wiretap.pop_front();
            }
            wiretap.push_back(Datagram {
                at: self.now,
                from,
                to,
                message,
                bytes,
            });
        }
        Ok(())
    }

    /// The adversary's bit flips: a copy of `bytes` with 1 to 3 bits flipped, if it
    /// draws a flip.
    fn flip(&mut self, bytes: &[u8]) -> Option<Vec<u8>> {
        let (attacker, rng) = self.attacker.as_mut()?;
        if bytes.is_empty() || !chance(rng, attacker.flip) {
            return None;
        }
        let mut flipped = bytes.to_vec();
        flip_bits(&mut flipped, rng);
        self.attacks.flipped += 1;
        Some(flipped)
    }

    /// The adversary's other moves, drawn once per datagram sent: a replay of an earlier
    /// datagram and a forgery, each sent to a random node.
    fn replay_and_forge(&mut self) {
        let Some((attacker, mut rng)) = self.attacker.take() else {
            return;
        };
        let ids = self.node_ids();
        let delay = |rng: &mut Rng, faults: &Faults| {
            let spread = faults.max_delay - faults.min_delay;
            faults.min_delay + Duration::from_millis(rng.below(spread.as_millis() + 1))
        };
        if chance(&mut rng, attacker.replay)
            && let Some(wiretap) = self.wiretap.as_ref()
            && let Some(datagram) = wiretap.get(rng.below(wiretap.len() as u64) as usize)
            && let Some(to) = pick(&mut rng, &ids)
        {
            let bytes = datagram.bytes.clone();
            let at = self.now + delay(&mut rng, &self.faults);
            self.schedule_adversarial(at, to, bytes, Source::Replayed);
            self.attacks.replayed += 1;
        }
        if chance(&mut rng, attacker.forge)
            && let Some(from) = pick(&mut rng, &ids)
        {
            let others: Vec<NodeId> = ids.iter().copied().filter(|&id| id != from).collect();
            if let Some(to) = pick(&mut rng, &others)
                && let Some(bytes) = self.forge(from, to, &mut rng)
            {
                let at = self.now + delay(&mut rng, &self.faults);
                self.schedule_adversarial(at, to, bytes, Source::Altered);
                self.attacks.forged += 1;
            }
        }
        self.attacker = Some((attacker, rng));
    }

    /// A message "from" `from` to `to` with a random body and a term up to two ahead of
    /// the newest any live node holds, in `from`'s envelope, signed with a wrong key.
    fn forge(&self, from: NodeId, to: NodeId, rng: &mut Rng) -> Option<Vec<u8>> {
        let node = self.nodes.get(&from)?;
        let newest = self.live().map(Engine::term).max().unwrap_or(Term(0));
        let term = Term(newest.0 + rng.below(3));
        let body = match rng.below(10) {
            0 => Body::QuorumHeartbeat {
                sent_at: rng.next_u64() >> 1,
                transfer: None,
            },
            1 => Body::QuorumAck {
                sent_at: rng.next_u64() >> 1,
                leader: Some(to),
            },
            2 => Body::Vote { granted: true },
            3 => Body::PreVoteGranted {
                round: rng.next_u64() >> 1,
            },
            4 => Body::RequestVote {
                freshness: u64::MAX,
                transfer: None,
            },
            5 => Body::TimeoutNow {
                started_at: u64::MAX,
            },
            6 => Body::Heartbeat {
                successors: Successors::new(),
            },
            7 => Body::Coordinator {
                successors: Successors::new(),
            },
            8 => Body::Election,
            _ => Body::Alive,
        };
        let message = Message {
            group: node.config.group,
            from,
            to: Destination::Node(to),
            term,
            body,
        };
        let mut buf = [0u8; MAX_MESSAGE_SIZE];
        let len = match node.config.protection {
            Protection::None => message.encode(&mut buf),
            #[cfg(feature = "checksum")]
            Protection::Checksum => message.encode_checksummed(&mut buf),
            #[cfg(feature = "authentication")]
            Protection::Authenticated(options) => {
                let freshness = crate::protection::Freshness {
                    session: options.session,
                    counter: 1 + rng.below(1 << 20),
                };
                let key = node.authenticator.current_key();
                message.encode_authenticated(
                    &mut buf,
                    options.tag,
                    key,
                    freshness,
                    &mut WrongKey { key, rng },
                )
            }
        }
        .ok()?;
        Some(buf.get(..len)?.to_vec())
    }

    fn schedule_adversarial(
        &mut self,
        deliver_at: Instant,
        to: NodeId,
        bytes: Vec<u8>,
        source: Source,
    ) {
        self.sequence += 1;
        self.in_flight.push(Reverse(InFlight {
            deliver_at,
            sequence: self.sequence,
            to,
            bytes,
            source,
        }));
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
        source: Source,
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
                source,
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

/// Whether a draw from `rng` falls under `probability`.
fn chance(rng: &mut Rng, probability: f64) -> bool {
    probability > 0.0 && (rng.next_u64() as f64) < probability * (u64::MAX as f64)
}

/// A node of `ids` drawn from `rng`, if there is any.
fn pick(rng: &mut Rng, ids: &[NodeId]) -> Option<NodeId> {
    if ids.is_empty() {
        return None;
    }
    ids.get(rng.below(ids.len() as u64) as usize).copied()
}

/// Flips 1 to 3 distinct random bits of `bytes`.
fn flip_bits(bytes: &mut [u8], rng: &mut Rng) {
    let bits = bytes.len() as u64 * 8;
    let mut flipped: Vec<u64> = Vec::new();
    let count = (1 + rng.below(3)).min(bits);
    while (flipped.len() as u64) < count {
        let bit = rng.below(bits);
        if !flipped.contains(&bit) {
            flipped.push(bit);
            if let Some(byte) = bytes.get_mut((bit / 8) as usize) {
                *byte ^= 1 << (bit % 8);
            }
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
