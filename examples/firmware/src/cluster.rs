//! Five engines, the bus between them, their storage, and the checks sampled at every
//! tick.

#[cfg(feature = "bully")]
use bellwether::BullyOptions;
#[cfg(feature = "quorum")]
use bellwether::durable::{self, RECORD_SIZE, Recovered, SlotWriter};
use bellwether::{
    Algorithm, Config, Destination, Engine, GroupId, Instant, MAX_MESSAGE_SIZE, Member, NodeId,
    Output, Term, Timing,
};
#[cfg(feature = "authentication")]
use bellwether::{AuthOptions, CmacKeys, KeyId, Protection, ReceiveError};
#[cfg(feature = "quorum")]
use bellwether::{DurableState, QuorumOptions};

use crate::Failed;
use crate::bus::{Bus, Traffic};

/// How many engines run, with ids `1..=NODES` (index `i` has id `i + 1`).
pub const NODES: usize = 5;
/// The election group.
const GROUP: GroupId = GroupId(0xF1);
/// The timing every node runs: heartbeat 100 ms, failure timeout 500 ms, jitter 150 ms,
/// round trip 50 ms.
pub const TIMING: Timing = Timing::LAN;

/// The algorithm this image runs.
#[cfg(feature = "quorum")]
pub const ALGORITHM: Algorithm = Algorithm::Quorum(QuorumOptions::DEFAULT);
/// The algorithm this image runs.
#[cfg(feature = "bully")]
pub const ALGORITHM: Algorithm = Algorithm::Bully(BullyOptions::CLASSIC);

/// What signs and checks the messages: CMAC-AES-128 with the group's key.
#[cfg(feature = "authentication")]
type Keys = CmacKeys;
/// What signs and checks the messages: nothing.
#[cfg(not(feature = "authentication"))]
type Keys = bellwether::Unauthenticated;

/// The group's CMAC-AES-128 key (a real device takes it from provisioning, never from
/// its image).
#[cfg(feature = "authentication")]
const GROUP_KEY: [u8; 16] = *b"bellwether-fw-k1";

/// The authenticator of one node.
fn keys() -> Keys {
    #[cfg(feature = "authentication")]
    let keys = CmacKeys::new(KeyId(1), &GROUP_KEY);
    #[cfg(not(feature = "authentication"))]
    let keys = bellwether::Unauthenticated;
    keys
}

/// Two "flash" slots in RAM for one node's durable state, written through
/// [`SlotWriter`] and read back through [`durable::recover`], as a board would use two
/// flash pages.
#[cfg(feature = "quorum")]
struct Storage {
    slots: [[u8; RECORD_SIZE]; 2],
    writer: SlotWriter,
    /// The newest state confirmed to the engine.
    confirmed: Option<DurableState>,
}

#[cfg(feature = "quorum")]
impl Storage {
    const ERASED: [u8; RECORD_SIZE] = [0xFF; RECORD_SIZE];

    fn erased() -> Storage {
        let slots = [Storage::ERASED; 2];
        Storage {
            writer: SlotWriter::resume(&slots[0], &slots[1]),
            slots,
            confirmed: None,
        }
    }

    /// Writes `state` to the slot the writer picks, then reads both slots back: the newest
    /// valid record must be the one just written.
    fn persist(&mut self, state: DurableState) -> bool {
        let (slot, bytes) = self.writer.write(state);
        self.slots[slot.index()] = bytes;
        let read_back = self.recover();
        let ok = read_back.is_some_and(|found| found.slot == slot && found.record.state == state);
        if ok {
            self.confirmed = Some(state);
        }
        ok
    }

    fn recover(&self) -> Option<Recovered> {
        durable::recover(&self.slots[0], &self.slots[1]).ok()
    }
}

/// One member: its engine, whether the firmware still drives it, and its storage.
struct Node {
    engine: Engine<NODES, Keys>,
    running: bool,
    /// The node's boot counter, as kept in its storage: incremented before each start, and
    /// its session when messages are authenticated (a session never repeats).
    boots: u32,
    #[cfg(feature = "quorum")]
    storage: Storage,
}

/// What a restarted node resumed from (quorum: the record recovered from its slots).
pub struct Restart {
    /// The recovered record's state, sequence number and slot.
    #[cfg(feature = "quorum")]
    pub recovered: Recovered,
}

/// The engines, the bus and the running checks.
pub struct Cluster {
    nodes: [Node; NODES],
    bus: Bus,
    seed: u64,
    /// Ticks at which the safety checks were sampled.
    pub samples: u32,
    /// Durable records written and read back.
    #[cfg(feature = "quorum")]
    pub records: u32,
    /// Messages that reached a node the firmware no longer drives (dropped there).
    pub to_stopped: u32,
    /// What the engines refused, summed over every engine (those replaced by a restart
    /// too).
    #[cfg(feature = "authentication")]
    pub refusals: Refusals,
}

/// Received datagrams by outcome, over every engine the cluster ran.
#[cfg(feature = "authentication")]
#[derive(Clone, Copy, Default)]
pub struct Refusals {
    /// Genuine datagrams accepted.
    pub accepted: u32,
    /// Genuine datagrams refused because their sender's session was not synchronised yet
    /// (each start costs a freshness round trip per peer).
    pub unsynchronised: u32,
    /// Genuine datagrams refused as replays: freshness replies that answer a request
    /// already answered.
    pub replay: u32,
    /// Forged datagrams delivered to a running node.
    pub forged: u32,
    /// Forged datagrams refused with a bad MAC.
    pub forged_bad_mac: u32,
    /// Forged datagrams refused otherwise (the flipped bit broke the encoding or the key
    /// id).
    pub forged_other: u32,
    /// The engines' own `bad_mac` counters, summed: must equal `forged_bad_mac`.
    pub statistics_bad_mac: u32,
}

/// The member list every node is configured with.
fn members() -> [Member; NODES] {
    core::array::from_fn(|index| Member::with_id(id_of(index).0))
}

/// A node's id from its index.
pub fn id_of(index: usize) -> NodeId {
    NodeId(index as u32 + 1)
}

/// A node's index from its id, if it is a member.
pub fn index_of(id: NodeId) -> Option<usize> {
    let index = (id.0 as usize).checked_sub(1)?;
    (index < NODES).then_some(index)
}

/// The configuration of node `index` in its boot `boots`: every node its own jitter seed,
/// and (authenticated) the boot counter as its session.
fn config(index: usize, seed: u64, boots: u32) -> Config<NODES> {
    let config = Config::new(GROUP, id_of(index), &members(), ALGORITHM)
        .expect("the member list is valid")
        .with_timing(TIMING)
        .with_seed(seed ^ (index as u64 + 1));
    #[cfg(feature = "authentication")]
    let config = {
        let mut config = config;
        config.protection = Protection::Authenticated(AuthOptions::new(boots));
        config
    };
    #[cfg(not(feature = "authentication"))]
    let _ = boots;
    config
}

impl Cluster {
    /// Five fresh engines started at `now`; the bus and the engines' jitter from `seed`.
    pub fn new(now: Instant, seed: u64) -> Cluster {
        let nodes = core::array::from_fn(|index| Node {
            engine: Engine::with_authenticator(config(index, seed, 1), now, keys())
                .expect("the configuration is valid"),
            running: true,
            boots: 1,
            #[cfg(feature = "quorum")]
            storage: Storage::erased(),
        });
        Cluster {
            nodes,
            bus: Bus::new(seed),
            seed,
            samples: 0,
            #[cfg(feature = "quorum")]
            records: 0,
            to_stopped: 0,
            #[cfg(feature = "authentication")]
            refusals: Refusals::default(),
        }
    }

    /// Message counts since the start.
    pub fn traffic(&self) -> Traffic {
        self.bus.traffic()
    }

    /// One tick at `now`: delivers every message due, fires every engine whose deadline
    /// has come, drains their outputs, then samples the safety checks.
    pub fn step(&mut self, now: Instant) -> Result<(), Failed> {
        while let Some(packet) = self.bus.take_due(now) {
            let Some(node) = self.nodes.get_mut(packet.to) else {
                return Err(fail!("the bus delivered to node index {}", packet.to));
            };
            if !node.running {
                self.to_stopped += 1;
                continue;
            }
            let result = node.engine.handle_bytes(now, packet.message());
            #[cfg(feature = "authentication")]
            {
                let refusals = &mut self.refusals;
                match (packet.forged, result) {
                    (true, Ok(())) => {
                        return Err(fail!("node {} accepted a forged frame", packet.to + 1));
                    }
                    (true, Err(ReceiveError::BadMac)) => {
                        refusals.forged += 1;
                        refusals.forged_bad_mac += 1;
                    }
                    (true, Err(_)) => {
                        refusals.forged += 1;
                        refusals.forged_other += 1;
                    }
                    (false, Ok(())) => refusals.accepted += 1,
                    (false, Err(ReceiveError::Unsynchronised)) => refusals.unsynchronised += 1,
                    (false, Err(ReceiveError::Replay)) => refusals.replay += 1,
                    (false, Err(error)) => {
                        return Err(fail!("node {} refused a message: {error}", packet.to + 1));
                    }
                }
            }
            #[cfg(not(feature = "authentication"))]
            if let Err(error) = result {
                return Err(fail!("node {} rejected a message: {error}", packet.to + 1));
            }
            self.drain(packet.to, now)?;
        }
        for index in 0..NODES {
            let node = &mut self.nodes[index];
            if !node.running || node.engine.poll_timeout().is_none_or(|at| at > now) {
                continue;
            }
            node.engine.handle_timeout(now);
            self.drain(index, now)?;
        }
        self.sample(now)
    }

    /// After an input to node `index`: everything it has to do, in the engine's order
    /// (persist and confirm its durable state, send its messages, take its events).
    fn drain(&mut self, index: usize, now: Instant) -> Result<(), Failed> {
        let node = &mut self.nodes[index];
        let mut buf = [0u8; MAX_MESSAGE_SIZE];
        loop {
            let transmit = match node.engine.poll_output(&mut buf) {
                #[cfg(feature = "quorum")]
                Ok(Output::Persist(state)) => {
                    if !node.storage.persist(state) {
                        return Err(fail!("node {}: {state:?} did not read back", index + 1));
                    }
                    self.records += 1;
                    if let Err(error) = node.engine.confirm_persisted(state) {
                        return Err(fail!("node {}: confirming {state:?}: {error}", index + 1));
                    }
                    continue;
                }
                Ok(Output::Transmit(transmit)) => transmit,
                Ok(Output::Timeout(_)) => return Ok(()),
                Ok(_) => continue,
                Err(error) => return Err(fail!("node {}: encoding: {error}", index + 1)),
            };
            let message = &buf[..transmit.len];
            let sent = match transmit.to {
                Destination::Node(to) => match index_of(to) {
                    Some(to) => self.bus.send(now, to, message),
                    None => return Err(fail!("node {} sent to non-member {to}", index + 1)),
                },
                Destination::All => (0..NODES)
                    .filter(|&to| to != index)
                    .try_for_each(|to| self.bus.send(now, to, message)),
            };
            if sent.is_err() {
                return Err(fail!(
                    "the bus overflowed: more than {} in flight",
                    crate::bus::CAPACITY
                ));
            }
        }
    }

    /// The safety checks, at every tick, over every engine, the stopped one included (a
    /// stopped node's lease is judged by the time now, as if it had only paused): quorum
    /// election must never show two valid leases at once, nor two leaders in one term.
    fn sample(&mut self, now: Instant) -> Result<(), Failed> {
        self.samples += 1;
        #[cfg(feature = "quorum")]
        for (a, first) in self.nodes.iter().enumerate() {
            for (b, second) in self.nodes.iter().enumerate().skip(a + 1) {
                let (first, second) = (&first.engine, &second.engine);
                if first.quorum().is_some_and(|q| q.has_lease(now))
                    && second.quorum().is_some_and(|q| q.has_lease(now))
                {
                    return Err(fail!(
                        "nodes {} and {} both hold a valid lease at {} ms",
                        a + 1,
                        b + 1,
                        now.as_millis()
                    ));
                }
                if first.is_leader() && second.is_leader() && first.term() == second.term() {
                    return Err(fail!(
                        "nodes {} and {} both lead term {}",
                        a + 1,
                        b + 1,
                        first.term().0
                    ));
                }
            }
        }
        #[cfg(not(feature = "quorum"))]
        let _ = now;
        Ok(())
    }

    /// The leader and term every running node agrees on, if they do: each names it and
    /// is in its term, and it leads (quorum election: with a valid lease).
    pub fn agreement(&self, now: Instant) -> Option<(NodeId, Term)> {
        let mut running = self.nodes.iter().filter(|node| node.running);
        let first = running.next()?;
        let (leader, term) = (first.engine.leader()?, first.engine.term());
        let leading = &self.nodes[index_of(leader)?];
        let agreed = leading.running
            && leading.engine.is_leader()
            && running.all(|node| node.engine.leader() == Some(leader))
            && self
                .nodes
                .iter()
                .filter(|node| node.running)
                .all(|node| node.engine.term() == term);
        #[cfg(feature = "quorum")]
        let agreed = agreed && leading.engine.quorum().is_some_and(|q| q.has_lease(now));
        #[cfg(not(feature = "quorum"))]
        let _ = now;
        agreed.then_some((leader, term))
    }

    /// Whether `leader` still leads (quorum election: in `term`, with a valid lease, and
    /// nobody else leads).
    pub fn still_leads(&self, leader: NodeId, term: Term, now: Instant) -> bool {
        let Some(leading) = index_of(leader).map(|index| &self.nodes[index].engine) else {
            return false;
        };
        #[cfg(feature = "quorum")]
        let leads = leading.is_leader()
            && leading.term() == term
            && leading.quorum().is_some_and(|q| q.has_lease(now))
            && self
                .nodes
                .iter()
                .filter(|node| node.running && node.engine.id() != leader)
                .all(|node| !node.engine.is_leader());
        #[cfg(not(feature = "quorum"))]
        let leads = {
            let _ = (term, now);
            leading.is_leader()
        };
        leads
    }

    /// Prints every node's view: running or stopped, role, the leader it knows, its term.
    pub fn print_view(&self) {
        for node in &self.nodes {
            let engine = &node.engine;
            cortex_m_semihosting::hprintln!(
                "  node {}: {}, {:?}, leader {:?}, term {}",
                engine.id().0,
                if node.running { "running" } else { "stopped" },
                engine.role(),
                engine.leader().map(|leader| leader.0),
                engine.term().0
            );
        }
    }

    /// The highest-ranked running node (all priorities are equal: the highest id).
    pub fn highest_running(&self) -> Option<NodeId> {
        self.nodes
            .iter()
            .filter(|node| node.running)
            .map(|node| node.engine.id())
            .max()
    }

    /// Stops driving node `id`: it receives nothing and its timers never fire again, as if
    /// it had crashed (its engine stays, frozen, for the lease check).
    pub fn stop(&mut self, id: NodeId) {
        if let Some(index) = index_of(id) {
            self.nodes[index].running = false;
        }
    }

    /// Starts node `id` again at `now`: quorum election restores it from the record its
    /// slots hold, which must be the state last confirmed; others start afresh.
    pub fn restart(&mut self, id: NodeId, now: Instant) -> Result<Restart, Failed> {
        let Some(index) = index_of(id) else {
            return Err(fail!("{id} is not a member"));
        };
        let node = &mut self.nodes[index];
        #[cfg(feature = "authentication")]
        {
            self.refusals.statistics_bad_mac += node.engine.statistics().bad_mac;
        }
        // The boot counter goes up (and would be written to storage) before the engine
        // starts: the new boot is a new session, so its peers synchronise with it afresh
        // and nothing captured from the old one is accepted again.
        node.boots += 1;
        let config = config(index, self.seed, node.boots);
        #[cfg(feature = "quorum")]
        {
            let Some(recovered) = node.storage.recover() else {
                return Err(fail!("{id}: no valid record in its slots"));
            };
            if Some(recovered.record.state) != node.storage.confirmed {
                return Err(fail!(
                    "{id}: recovered {:?}, but {:?} was confirmed last",
                    recovered.record.state,
                    node.storage.confirmed
                ));
            }
            node.engine = match Engine::restore_with_authenticator(
                config,
                now,
                recovered.record.state,
                keys(),
            ) {
                Ok(engine) => engine,
                Err(error) => return Err(fail!("{id}: restore refused: {error}")),
            };
            node.storage.writer = SlotWriter::after(&recovered);
            node.running = true;
            self.drain(index, now)?;
            Ok(Restart { recovered })
        }
        #[cfg(not(feature = "quorum"))]
        {
            node.engine = Engine::with_authenticator(config, now, keys())
                .expect("the configuration is valid");
            node.running = true;
            self.drain(index, now)?;
            Ok(Restart {})
        }
    }
}

#[cfg(feature = "authentication")]
impl Cluster {
    /// The refusal tallies, with every engine's `bad_mac` counter added in.
    pub fn refusals(&self) -> Refusals {
        let mut refusals = self.refusals;
        for node in &self.nodes {
            refusals.statistics_bad_mac += node.engine.statistics().bad_mac;
        }
        refusals
    }
}
