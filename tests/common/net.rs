//! A directly driven quorum network for scripted scenarios: engines on one clock without
//! drift, messages that each take a fixed delay, links the test cuts, disks it can make
//! slow, and hosts it can stall or restart. Unlike the simulator it gives tests `&mut`
//! access to the engines, so a scenario can hold a message back, drop it, or call a
//! command at an exact instant. After every input it records what the safety promises
//! rule out: two leases at one instant, and two leaders of one term.

use std::collections::{BTreeMap, BTreeSet};

use bellwether::unstable::Kind;
use bellwether::{
    Algorithm, Config, Destination, Durability, DurableState, Duration, Engine, Instant, Member,
    Message, NodeId, QuorumOptions, RestoreError, Role, Timing,
};

use super::{CAPACITY, configs_of, node};

/// The timing of every scripted quorum network: [`Timing::LAN`].
pub const TIMING: Timing = Timing::LAN;

/// Delivers `message` at `now`; the engine must accept it.
pub fn deliver(engine: &mut Engine<CAPACITY>, now: Instant, message: &Message) {
    engine
        .handle_message(now, message)
        .expect("a message from a member");
}

/// One message on its way through a [`Net`].
pub struct Flight {
    pub at: Instant,
    pub sequence: u64,
    pub message: Message,
}

impl Flight {
    pub fn to(&self) -> NodeId {
        match self.message.to() {
            Destination::Node(id) => id,
            Destination::All => unreachable!("test configurations are point-to-point"),
        }
    }
}

/// Engines driven directly on one clock without drift: every message takes `delay`, none
/// is lost unless its receiver is down or the link is cut, and the durable state an
/// engine hands out is confirmed at once unless the node's disk is slow (then the test
/// confirms it). Unlike the simulator it gives tests `&mut` access to the engines.
pub struct Net {
    pub now: Instant,
    pub delay: Duration,
    pub configs: Vec<Config<CAPACITY>>,
    pub engines: Vec<Option<Engine<CAPACITY>>>,
    pub in_flight: Vec<Flight>,
    pub sequence: u64,
    pub cut: BTreeSet<(NodeId, NodeId)>,
    pub slow_disk: BTreeSet<NodeId>,
    /// Hosts blocked (in a slow write): their timers do not fire and messages to them wait.
    pub stalled: BTreeSet<NodeId>,
    /// Every message handed out, with its send time.
    pub log: Vec<(Instant, Message)>,
    /// What each node's host last wrote to its disk.
    pub disks: Vec<Option<DurableState>>,
    /// Who led each term (the first leader seen).
    pub led: BTreeMap<u64, NodeId>,
    /// Every instant at which two nodes held a lease, or a term had two leaders, so far.
    pub violations: Vec<String>,
}

impl Net {
    pub fn new(seed: u64, members: &[Member], options: QuorumOptions, delay: Duration) -> Net {
        let configs: Vec<_> = configs_of(members, Algorithm::Quorum(options), TIMING)
            .into_iter()
            .map(|c| {
                let id = u64::from(c.node.0);
                c.with_seed(seed.wrapping_mul(1_000).wrapping_add(id))
            })
            .collect();
        let engines = configs
            .iter()
            .map(|c| Some(Engine::new(c.clone(), Instant::ZERO).expect("valid")))
            .collect();
        let disks = vec![None; configs.len()];
        Net {
            disks,
            led: BTreeMap::new(),
            violations: Vec::new(),
            now: Instant::ZERO,
            delay,
            configs,
            engines,
            in_flight: Vec::new(),
            sequence: 0,
            cut: BTreeSet::new(),
            slow_disk: BTreeSet::new(),
            stalled: BTreeSet::new(),
            log: Vec::new(),
        }
    }

    pub fn position(&self, id: NodeId) -> usize {
        self.configs
            .iter()
            .position(|c| c.node == id)
            .expect("a member")
    }

    pub fn ids(&self) -> Vec<NodeId> {
        self.configs.iter().map(|c| c.node).collect()
    }

    pub fn node(&self, id: u32) -> &Engine<CAPACITY> {
        self.engines[self.position(node(id))]
            .as_ref()
            .expect("a live node")
    }

    /// The engine of a live node, for a command; call [`Net::flush`] after it.
    pub fn node_mut(&mut self, id: u32) -> &mut Engine<CAPACITY> {
        let position = self.position(node(id));
        self.engines[position].as_mut().expect("a live node")
    }

    pub fn live(&self) -> impl Iterator<Item = &Engine<CAPACITY>> {
        self.engines.iter().flatten()
    }

    /// Persists (unless the disk is slow) and sends whatever the node has to send.
    pub fn flush(&mut self, id: NodeId) {
        let position = self.position(id);
        let slow = self.slow_disk.contains(&id);
        let Some(engine) = self.engines[position].as_mut() else {
            return;
        };
        if !slow {
            while let Some(state) = engine.poll_persist() {
                self.disks[position] = Some(state);
                engine.confirm_persisted(state).expect("current state");
            }
        }
        let messages: Vec<Message> = std::iter::from_fn(|| engine.poll_message()).collect();
        while engine.poll_event().is_some() {}
        self.check();
        for message in messages {
            self.log.push((self.now, message.clone()));
            let flight = Flight {
                at: self.now + self.delay,
                sequence: self.sequence,
                message,
            };
            self.sequence += 1;
            if !self.cut.contains(&(id, flight.to())) {
                self.in_flight.push(flight);
            }
        }
    }

    /// Delivers the earliest message in flight that `pick` accepts (advancing the clock to
    /// it); returns whether there was one.
    pub fn deliver_next(&mut self, pick: impl Fn(&Message) -> bool) -> bool {
        self.deliver_first(|f| pick(&f.message))
    }

    /// Delivers the earliest flight to a running host that `pick` accepts.
    pub fn deliver_first(&mut self, pick: impl Fn(&Flight) -> bool) -> bool {
        let next = self
            .in_flight
            .iter()
            .enumerate()
            .filter(|(_, f)| pick(f) && !self.stalled.contains(&f.to()))
            .min_by_key(|(_, f)| (f.at, f.sequence))
            .map(|(i, _)| i);
        let Some(index) = next else {
            return false;
        };
        let flight = self.in_flight.remove(index);
        self.now = self.now.max(flight.at);
        let to = flight.to();
        let position = self.position(to);
        if let Some(engine) = self.engines[position].as_mut() {
            deliver(engine, self.now, &flight.message);
            self.flush(to);
        }
        true
    }

    /// Delivers every message in flight that `pick` accepts, and those they cause, firing
    /// no timer.
    pub fn deliver_all(&mut self, pick: impl Fn(&Message) -> bool) {
        while self.deliver_next(&pick) {}
    }

    /// Fires one node's timers at its deadline (advancing the clock to it if it lies ahead).
    pub fn fire(&mut self, id: u32) {
        if let Some(deadline) = self.node(id).poll_timeout() {
            self.now = self.now.max(deadline);
            let now = self.now;
            self.node_mut(id).handle_timeout(now);
            self.flush(node(id));
        }
    }

    /// Lets only `id`'s election timer fire and delivers what follows (no other timer)
    /// until it leads; the heartbeats it then sends are left in flight.
    pub fn elect(&mut self, id: u32) {
        self.fire(id);
        while !self.node(id).is_leader() && self.deliver_next(|_| true) {}
        assert!(
            self.node(id).is_leader(),
            "{id} did not win: {:?}",
            self.view()
        );
    }

    pub fn next_event(&self) -> Option<Instant> {
        let running = |id: NodeId| !self.stalled.contains(&id);
        let delivery = self
            .in_flight
            .iter()
            .filter(|f| running(f.to()))
            .map(|f| f.at)
            .min();
        let deadline = self
            .live()
            .filter(|e| running(e.id()))
            .filter_map(Engine::poll_timeout)
            .min();
        delivery.into_iter().chain(deadline).min()
    }

    /// Runs everything due at the next event: deliveries first, then timers.
    pub fn step(&mut self) -> bool {
        let Some(at) = self.next_event() else {
            return false;
        };
        self.now = self.now.max(at);
        let now = self.now;
        while self.deliver_first(|f| f.at <= now) {}
        let running: Vec<NodeId> = self
            .ids()
            .into_iter()
            .filter(|id| !self.stalled.contains(id))
            .collect();
        for id in running {
            let position = self.position(id);
            if let Some(engine) = self.engines[position].as_mut()
                && engine.poll_timeout().is_some_and(|d| d <= now)
            {
                engine.handle_timeout(now);
                self.flush(id);
            }
        }
        true
    }

    /// Runs every event up to `until`.
    pub fn run_until(&mut self, until: Instant) {
        while self.next_event().is_some_and(|at| at <= until) {
            self.step();
        }
        self.now = self.now.max(until);
    }

    /// Runs until `done` holds (checked after every step) or `limit` has passed; returns
    /// when it held.
    pub fn run_until_true(
        &mut self,
        limit: Duration,
        done: impl Fn(&Net) -> bool,
    ) -> Option<Instant> {
        let until = self.now + limit;
        loop {
            if done(self) {
                return Some(self.now);
            }
            if self.next_event().is_none_or(|at| at > until) {
                self.now = self.now.max(until);
                return done(self).then_some(self.now);
            }
            self.step();
        }
    }

    pub fn crash(&mut self, id: u32) {
        let position = self.position(node(id));
        self.engines[position] = None;
    }

    /// Starts a crashed node again as a fresh engine (what a volatile-mode host does).
    pub fn restart_fresh(&mut self, id: u32) {
        let position = self.position(node(id));
        let config = self.configs[position].clone();
        self.engines[position] = Some(Engine::new(config, self.now).expect("valid"));
    }

    /// Starts a crashed node again from what its host wrote to disk (a fresh engine if
    /// it never wrote anything).
    pub fn restart(&mut self, id: u32) {
        let position = self.position(node(id));
        let config = self.configs[position].clone();
        let engine = match self.disks[position] {
            Some(state) => Engine::restore(config, self.now, state),
            None => Engine::new(config, self.now).map_err(RestoreError::from),
        };
        self.engines[position] = Some(engine.expect("valid"));
    }

    /// The same network with one safety fix undone in every node (right after `new`).
    #[cfg(feature = "mutants")]
    pub fn mutated(mut self, mutation: Option<bellwether::Mutation>) -> Net {
        if let Some(mutation) = mutation {
            for (config, engine) in self.configs.iter_mut().zip(&mut self.engines) {
                *config = config.clone().with_mutation(mutation);
                *engine = Some(Engine::new(config.clone(), self.now).expect("valid"));
            }
        }
        self
    }

    /// Records a violation if two live nodes hold a lease now, or (persistent mode, where
    /// a term is never led twice) a node leads a term another node led.
    pub fn check(&mut self) {
        let now = self.now;
        let holders: Vec<NodeId> = self
            .live()
            .filter(|e| e.quorum().is_some_and(|q| q.has_lease(now)))
            .map(|e| e.id())
            .collect();
        if holders.len() > 1 {
            self.violations
                .push(format!("{holders:?} hold leases at once at {now}"));
        }
        let leaders: Vec<(u64, NodeId)> = self
            .live()
            .filter(|e| e.is_leader())
            .map(|e| (e.term().0, e.id()))
            .collect();
        let volatile = self.configs.iter().any(|c| {
            matches!(c.algorithm,
                Algorithm::Quorum(options) if options.durability == Durability::Volatile)
        });
        for (term, leader) in leaders.into_iter().filter(|_| !volatile) {
            let first = *self.led.entry(term).or_insert(leader);
            if first != leader {
                self.violations.push(format!(
                    "{first} and {leader} both led term {term} (at {now})"
                ));
            }
        }
    }

    /// The leader every live node names, if it leads.
    pub fn agreed_leader(&self) -> Option<NodeId> {
        let leader = self.live().next()?.leader()?;
        let leads = self.live().any(|e| e.id() == leader && e.is_leader());
        (leads && self.live().all(|e| e.leader() == Some(leader))).then_some(leader)
    }

    pub fn view(&self) -> Vec<(u32, Option<u32>, Role, u64)> {
        self.live()
            .map(|e| (e.id().0, e.leader().map(|l| l.0), e.role(), e.term().0))
            .collect()
    }

    /// The messages of `kind` handed out at or after `since`.
    pub fn sent(&self, kind: Kind, since: Instant) -> Vec<&(Instant, Message)> {
        self.log
            .iter()
            .filter(|(at, m)| *at >= since && m.body().kind() == kind)
            .collect()
    }
}
