//! The explored world: real engines, their hosts' disks and clocks, the messages in flight,
//! and the record of history that the invariants need. One [`World`] value is one state;
//! [`World::apply`] runs one action on the real `Engine` code, as a host would (persist and
//! confirm, then send, then take events), and checks, after every action:
//!
//! - **one lease at a time**: no two nodes hold a lease at the same real instant, each
//!   judged by its own clock (paused nodes included);
//! - **no newer leader during a lease**: while a node holds a lease, no node leads a newer
//!   term (persistent mode);
//! - **one leader per term** over the whole schedule (persistent mode);
//! - **fencing tokens only grow**: each lease holder's token is at least every earlier
//!   lease holder's;
//! - **no vote leaves before it is durable**: a granted vote is sent only once that term
//!   and vote are on the voter's disk (persistent mode);
//! - **check-quorum rests on recent acks**: a leader with check-quorum, once it has led
//!   for `T` and its due timers have fired, has acknowledgements from a majority of a
//!   heartbeat it sent within the last `2T` of its clock;
//! - **a campaign follows a majority of grants of its round** (pre-vote on): a node raises
//!   its term only after grants sent since its latest pre-vote round began came from a
//!   majority;
//! - **deadlines move on**: after `handle_timeout(now)` the next deadline lies after `now`;
//! - **every message is accepted**: the engine refuses nothing another engine sent.
//!
//! Clocks have their own origins and each runs at its own fixed rate within ±ρ of real
//! time, so local readings drift apart over a schedule.

use std::fmt;
use std::hash::{Hash, Hasher};

use bellwether::unstable::Body;
use bellwether::{
    Algorithm, Config, Destination, Durability, DurableState, Engine, GroupId, Instant, Member,
    Message, NodeId, QuorumOptions, RestoreError, Term, Timing,
};

/// The most messages in flight and held back a state may hold; a state with more is not
/// explored.
pub const MAX_IN_FLIGHT: usize = 8;

/// Room for the messages of a state: the explored maximum, and what one more input sends.
type Packets = heapless::Vec<Packet, { MAX_IN_FLIGHT + 4 }>;

/// Everything about a run that does not change while it is explored.
#[derive(Clone, Debug)]
pub struct Setup<const N: usize> {
    /// The quorum options every node runs with.
    pub options: QuorumOptions,
    /// The timing every node runs with.
    pub timing: Timing,
    /// Each node's clock: its reading at real time zero (clocks have different origins).
    pub origins: [u64; N],
    /// Each node's clock rate: parts per million fast (negative: slow), within ±ρ.
    pub drift_ppm: [i32; N],
    /// The jitter seed of node `i` is `seed + i`.
    pub seed: u64,
    /// A safety fix undone in every node, for the verifier's own tests.
    pub mutation: Option<bellwether::Mutation>,
    /// Members `1..=N`, all candidates, or these priorities if given.
    pub priorities: [u8; N],
}

impl<const N: usize> Setup<N> {
    /// Node `i`'s configuration (ids are `1..=N`).
    pub fn config(&self, i: usize) -> Config<N> {
        let members: Vec<Member> = (0..N)
            .map(|j| Member::new(node_id(j), self.priorities[j]))
            .collect();
        let config = Config::new(
            GroupId(1),
            node_id(i),
            &members,
            Algorithm::Quorum(self.options),
        )
        .expect("a valid configuration")
        .with_timing(self.timing)
        .with_seed(self.seed.wrapping_add(i as u64));
        match self.mutation {
            Some(mutation) => config.with_mutation(mutation),
            None => config,
        }
    }

    /// Node `i`'s clock reading at real time `real`.
    pub fn local(&self, i: usize, real: u64) -> Instant {
        let elapsed = match self.drift_ppm[i] {
            0 => real,
            ppm => {
                real.saturating_mul(1_000_000_u64.saturating_add_signed(i64::from(ppm))) / 1_000_000
            }
        };
        Instant::from_millis(self.origins[i] + elapsed)
    }

    /// The first real time at which node `i`'s clock reads `local` or later.
    pub fn real(&self, i: usize, local: Instant) -> u64 {
        let rate = 1_000_000 + i128::from(self.drift_ppm[i]);
        let since_origin = i128::from(local.as_millis().saturating_sub(self.origins[i]));
        let mut real = u64::try_from((since_origin * 1_000_000 + rate - 1) / rate).unwrap_or(0);
        while self.local(i, real) < local {
            real += 1;
        }
        while real > 0 && self.local(i, real - 1) >= local {
            real -= 1;
        }
        real
    }

    fn persistent(&self) -> bool {
        self.options.durability == Durability::Persistent
    }

    fn majority(&self) -> usize {
        N / 2 + 1
    }
}

/// Node `i`'s id: `i + 1`.
pub fn node_id(i: usize) -> NodeId {
    NodeId(i as u32 + 1)
}

fn index_of(id: NodeId) -> usize {
    id.0 as usize - 1
}

/// One node: its engine (none while crashed), what its host last wrote to disk, and
/// whether its host is paused.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Node<const N: usize> {
    engine: Option<Engine<N>>,
    disk: Option<DurableState>,
    paused: bool,
}

/// A message on its way, with the real time it was sent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Packet {
    pub message: Message,
    pub sent: u64,
}

impl Packet {
    pub fn from(&self) -> usize {
        index_of(self.message.from())
    }

    pub fn to(&self) -> usize {
        match self.message.to() {
            Destination::Node(id) => index_of(id),
            Destination::All => usize::MAX,
        }
    }
}

/// What the invariants remember of one node's history.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Record<const N: usize> {
    /// The term it was last seen leading, and when it started (its clock).
    leading: Option<(Term, Instant)>,
    /// While it leads: per member, the newest send time (its clock) of its heartbeats of
    /// that term the member acknowledged, crediting it.
    acked: [Option<Instant>; N],
    /// When it last began a round of pre-votes (real time), and who granted that round
    /// with a grant sent after it began.
    round_began: u64,
    fresh_grants: u64,
}

impl<const N: usize> Record<N> {
    const NONE: Record<N> = Record {
        leading: None,
        acked: [None; N],
        round_began: 0,
        fresh_grants: 0,
    };
}

/// One state of the explored world.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct World<const N: usize> {
    /// Real time, in host units.
    pub real: u64,
    nodes: [Node<N>; N],
    /// Messages in flight, in send order: the network delivers the oldest first.
    pub in_flight: Packets,
    /// Messages the adversary held back; each may be delivered at any later point.
    pub held: Packets,
    /// Directed links that drop what is sent on them (bit `from * N + to`).
    cut: u64,
    /// Faults spent so far.
    pub faults: u8,
    /// Who led each term (persistent mode), in term order.
    led: heapless::Vec<(Term, NodeId), 32>,
    /// The largest fencing token a lease holder has held so far.
    leased_token: Term,
    records: [Record<N>; N],
}

/// One step the explorer can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// What a healthy network and host do next (free): deliver the oldest message in
    /// flight to a running node, or, if there is none, advance real time to the earliest
    /// deadline of a running node and fire its timers. So messages travel faster than
    /// timers fire unless the adversary holds them back.
    Next,
    /// Delivers a message held back earlier, now (free).
    Release(usize),
    /// Holds back the message `Next` would deliver: it arrives only when released, after
    /// any delay (a fault).
    Hold,
    /// Loses the message `Next` would deliver (a fault).
    Drop,
    /// Delivers the message `Next` would deliver and holds back a copy (a fault).
    Duplicate,
    /// A node's host crashes and starts again at once: from its disk in persistent mode,
    /// afresh in volatile mode (a fault). What is sent to it while it is down is lost, as
    /// a message can be anyway.
    Reboot(usize),
    /// A node's host stops taking input; its timers do not fire (a fault).
    Pause(usize),
    /// A paused host runs again (free).
    Resume(usize),
    /// The links between two nodes lose everything sent on them from now on, both ways
    /// (a fault).
    Cut { a: usize, b: usize },
    /// The leader's host asks it to hand leadership to a node (a fault).
    Transfer { from: usize, to: usize },
}

impl Action {
    /// Whether the action spends a fault.
    pub fn is_fault(self) -> bool {
        matches!(
            self,
            Action::Hold
                | Action::Drop
                | Action::Duplicate
                | Action::Reboot(_)
                | Action::Pause(_)
                | Action::Cut { .. }
                | Action::Transfer { .. }
        )
    }
}

/// A broken promise: which one, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    pub invariant: &'static str,
    pub detail: String,
}

impl<const N: usize> World<N> {
    /// Every node freshly started at real time zero.
    pub fn start(setup: &Setup<N>) -> World<N> {
        let nodes = core::array::from_fn(|i| Node {
            engine: Some(Engine::new(setup.config(i), setup.local(i, 0)).expect("valid")),
            disk: None,
            paused: false,
        });
        World {
            real: 0,
            nodes,
            in_flight: Packets::new(),
            held: Packets::new(),
            cut: 0,
            faults: 0,
            led: heapless::Vec::new(),
            leased_token: Term(0),
            records: [Record::NONE; N],
        }
    }

    /// A 64-bit fingerprint of the state (FxHash of every field).
    pub fn fingerprint(&self) -> u64 {
        let mut hasher = FxHasher::default();
        self.hash(&mut hasher);
        hasher.finish()
    }

    fn engine(&self, i: usize) -> Option<&Engine<N>> {
        self.nodes[i].engine.as_ref()
    }

    /// The node that leads, if one does (the first, if several do).
    pub fn leader(&self) -> Option<usize> {
        (0..N).find(|&i| self.engine(i).is_some_and(|e| e.is_leader()))
    }

    /// Whether node `i` holds a lease now, by its own clock.
    pub fn holds_lease(&self, setup: &Setup<N>, i: usize) -> bool {
        self.engine(i).is_some_and(|e| {
            e.quorum()
                .is_some_and(|q| q.has_lease(setup.local(i, self.real)))
        })
    }

    /// Node `i` is up and its host is not paused.
    fn running(&self, i: usize) -> bool {
        self.nodes[i].engine.is_some() && !self.nodes[i].paused
    }

    /// The real time of the earliest deadline among running nodes, and its node.
    fn next_deadline(&self, setup: &Setup<N>) -> Option<(u64, usize)> {
        (0..N)
            .filter(|&i| self.running(i))
            .filter_map(|i| {
                let local = self.engine(i)?.poll_timeout()?;
                Some((setup.real(i, local).max(self.real), i))
            })
            .min()
    }

    /// The position in flight of the message `Next` delivers: the oldest to a node whose
    /// host is not paused.
    fn next_delivery(&self) -> Option<usize> {
        self.in_flight
            .iter()
            .position(|packet| !self.nodes[packet.to()].paused)
    }

    /// The actions enabled in this state, within the fault budget and the time horizon.
    pub fn actions(&self, setup: &Setup<N>, faults_left: u8, horizon: u64) -> Vec<Action> {
        let mut actions = Vec::new();
        let delivery = self.next_delivery();
        let tick = self
            .next_deadline(setup)
            .is_some_and(|(real, _)| real <= horizon);
        if delivery.is_some() || tick {
            actions.push(Action::Next);
        }
        for (index, packet) in self.held.iter().enumerate() {
            if !self.nodes[packet.to()].paused {
                actions.push(Action::Release(index));
            }
        }
        for i in (0..N).filter(|&i| self.nodes[i].paused) {
            actions.push(Action::Resume(i));
        }
        if faults_left == 0 {
            return actions;
        }
        if delivery.is_some() {
            // The next message's fate; hosts and links fail between cascades of messages.
            actions.extend([Action::Hold, Action::Drop, Action::Duplicate]);
            return actions;
        }
        for i in 0..N {
            let Some(engine) = self.engine(i).filter(|_| !self.nodes[i].paused) else {
                continue;
            };
            actions.extend([Action::Reboot(i), Action::Pause(i)]);
            if engine.is_leader() {
                for to in (0..N).filter(|&to| to != i) {
                    actions.push(Action::Transfer { from: i, to });
                }
            }
            for b in (i + 1..N).filter(|&b| self.cut & link_bit::<N>(i, b) == 0) {
                actions.push(Action::Cut { a: i, b });
            }
        }
        actions
    }

    /// Runs `action` and checks every invariant; the first broken one is returned.
    pub fn apply(&mut self, setup: &Setup<N>, action: Action) -> Result<(), Broken> {
        if action.is_fault() {
            self.faults += 1;
        }
        match action {
            Action::Next => match self.next_delivery() {
                Some(index) => {
                    let packet = self.in_flight.remove(index);
                    self.deliver(setup, packet)?;
                }
                None => self.tick(setup)?,
            },
            Action::Release(index) => {
                let packet = self.held.remove(index);
                self.deliver(setup, packet)?;
            }
            Action::Hold => {
                let index = self.next_delivery().expect("an enabled hold");
                let packet = self.in_flight.remove(index);
                self.held.push(packet).map_err(|_| full())?;
            }
            Action::Drop => {
                let index = self.next_delivery().expect("an enabled drop");
                self.in_flight.remove(index);
            }
            Action::Duplicate => {
                let index = self.next_delivery().expect("an enabled duplicate");
                let packet = self.in_flight.remove(index);
                self.held.push(packet.clone()).map_err(|_| full())?;
                self.deliver(setup, packet)?;
            }
            Action::Reboot(i) => {
                let config = setup.config(i);
                let now = setup.local(i, self.real);
                let engine = match self.nodes[i].disk.filter(|_| setup.persistent()) {
                    Some(state) => Engine::restore(config, now, state),
                    None => Engine::new(config, now).map_err(RestoreError::from),
                };
                self.nodes[i].engine = Some(engine.expect("a valid restart"));
                self.drain(setup, i)?;
            }
            Action::Pause(i) => self.nodes[i].paused = true,
            Action::Resume(i) => self.nodes[i].paused = false,
            Action::Cut { a, b } => self.cut |= link_bit::<N>(a, b) | link_bit::<N>(b, a),
            Action::Transfer { from, to } => {
                let now = setup.local(from, self.real);
                if let Some(engine) = self.nodes[from].engine.as_mut() {
                    engine
                        .quorum_mut()
                        .unwrap()
                        .transfer_leadership(now, node_id(to))
                        .expect("a leader hands over to another member");
                }
                self.drain(setup, from)?;
            }
        }
        self.check(setup)
    }

    fn deliver(&mut self, setup: &Setup<N>, packet: Packet) -> Result<(), Broken> {
        let to = packet.to();
        let now = setup.local(to, self.real);
        let Some(engine) = self.nodes[to].engine.as_mut() else {
            return Ok(()); // Crashed: the message is lost.
        };
        let was_leading = engine.is_leader().then(|| engine.term());
        engine
            .handle_message(now, &packet.message)
            .map_err(|error| Broken {
                invariant: "every message is accepted",
                detail: format!("{} refused {:?}: {error}", node_id(to), packet.message),
            })?;
        self.observe_receipt(to, &packet, was_leading);
        self.drain(setup, to)
    }

    /// Fires the timers of the node with the earliest deadline at that deadline.
    fn tick(&mut self, setup: &Setup<N>) -> Result<(), Broken> {
        let (real, i) = self.next_deadline(setup).expect("an enabled tick");
        self.real = self.real.max(real);
        let now = setup.local(i, self.real);
        let engine = self.nodes[i].engine.as_mut().expect("a running node");
        engine.handle_timeout(now);
        if let Some(next) = engine.poll_timeout()
            && next <= now
        {
            return Err(Broken {
                invariant: "deadlines move on",
                detail: format!(
                    "{} asks to be called at {next} after a call at {now}",
                    node_id(i)
                ),
            });
        }
        self.drain(setup, i)?;
        self.check_quorum_evidence(setup, i)
    }

    /// The host's loop after an input: persist and confirm, then send, then take events.
    fn drain(&mut self, setup: &Setup<N>, i: usize) -> Result<(), Broken> {
        let mut sent = Vec::new();
        {
            let node = &mut self.nodes[i];
            let Some(engine) = node.engine.as_mut() else {
                return Ok(());
            };
            while let Some(state) = engine.poll_persist() {
                node.disk = Some(state);
                engine
                    .confirm_persisted(state)
                    .expect("the state just handed out");
            }
            while let Some(message) = engine.poll_message() {
                sent.push(message);
            }
            while engine.poll_event().is_some() {}
        }
        for message in sent {
            self.check_vote_durable(setup, i, &message)?;
            self.observe_send(setup, i, &message)?;
            let to = match message.to() {
                Destination::Node(id) => index_of(id),
                Destination::All => unreachable!("point-to-point configurations"),
            };
            if self.cut & link_bit::<N>(i, to) == 0 {
                let packet = Packet {
                    message,
                    sent: self.real,
                };
                self.in_flight.push(packet).map_err(|_| full())?;
            }
        }
        self.observe_leadership(setup, i);
        Ok(())
    }

    // ---- What the invariants remember ----

    /// A node's leadership may have changed: start or end its record.
    fn observe_leadership(&mut self, setup: &Setup<N>, i: usize) {
        let leading = self.engine(i).filter(|e| e.is_leader()).map(|e| e.term());
        let record = &mut self.records[i];
        match (leading, record.leading) {
            (Some(term), Some((led, _))) if term == led => {}
            (Some(term), _) => {
                record.leading = Some((term, setup.local(i, self.real)));
                record.acked = [None; N];
            }
            (None, _) => record.leading = None,
        }
    }

    /// Records acks that credit a leader and grants of the current pre-vote round.
    fn observe_receipt(&mut self, to: usize, packet: &Packet, was_leading: Option<Term>) {
        let from = packet.from();
        match packet.message.body() {
            Body::QuorumAck {
                sent_at,
                leader: Some(credited),
            } if *credited == node_id(to) && was_leading == Some(packet.message.term()) => {
                let record = &mut self.records[to];
                let sent_at = Instant::from_millis(*sent_at);
                if let Some((_, since)) = record.leading
                    && sent_at >= since
                {
                    let slot = &mut record.acked[from];
                    *slot = (*slot).max(Some(sent_at));
                }
            }
            Body::PreVoteGranted { .. } => {
                let record = &mut self.records[to];
                if packet.sent >= record.round_began {
                    record.fresh_grants |= 1 << from;
                }
            }
            _ => {}
        }
    }

    /// Records the start of a pre-vote round, and checks a campaign against it.
    fn observe_send(
        &mut self,
        setup: &Setup<N>,
        i: usize,
        message: &Message,
    ) -> Result<(), Broken> {
        let record = &mut self.records[i];
        match message.body() {
            Body::PreVote { .. } => {
                // A round's pre-votes all leave in one drain; the first starts the round.
                if record.round_began != self.real {
                    record.round_began = self.real;
                    record.fresh_grants = 0;
                }
                Ok(())
            }
            Body::RequestVote { .. } if setup.options.pre_vote => {
                let granted = record.fresh_grants.count_ones() as usize + 1;
                if granted >= setup.majority() {
                    Ok(())
                } else {
                    Err(Broken {
                        invariant: "a campaign follows a majority of grants of its round",
                        detail: format!(
                            "{} campaigns in {} with {granted} grants sent since its pre-vote \
                             round began",
                            node_id(i),
                            message.term()
                        ),
                    })
                }
            }
            _ => Ok(()),
        }
    }

    // ---- Invariants ----

    /// A granted vote leaves a node only once that vote is on its disk (persistent mode).
    fn check_vote_durable(
        &self,
        setup: &Setup<N>,
        i: usize,
        message: &Message,
    ) -> Result<(), Broken> {
        let Body::Vote { granted: true } = message.body() else {
            return Ok(());
        };
        if !setup.persistent() {
            return Ok(());
        }
        let Destination::Node(candidate) = message.to() else {
            return Ok(());
        };
        let on_disk = self.nodes[i].disk;
        if on_disk.is_some_and(|d| d.term == message.term() && d.voted_for == Some(candidate)) {
            Ok(())
        } else {
            Err(Broken {
                invariant: "no vote leaves before it is durable",
                detail: format!(
                    "{} sent its vote for {candidate} in {} with {on_disk:?} on disk",
                    node_id(i),
                    message.term()
                ),
            })
        }
    }

    /// A leader with check-quorum that has led for `T`, once its due timers fired, has
    /// acknowledgements from a majority (itself included) of a heartbeat it sent within
    /// the last `2T` of its clock: it checks every `T` for acks of heartbeats sent within
    /// the window before.
    fn check_quorum_evidence(&self, setup: &Setup<N>, i: usize) -> Result<(), Broken> {
        if !setup.options.check_quorum {
            return Ok(());
        }
        let Some((term, since)) = self.records[i].leading else {
            return Ok(());
        };
        let t = setup.timing.failure_timeout;
        let now = setup.local(i, self.real);
        if now < since + t {
            return Ok(());
        }
        let mut acked: Vec<Instant> = self.records[i]
            .acked
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .filter_map(|(_, at)| *at)
            .collect();
        acked.push(now);
        acked.sort_unstable_by(|a, b| b.cmp(a));
        let newest = acked.get(setup.majority() - 1).copied();
        if newest.is_some_and(|at| at + t.saturating_mul(2) >= now) {
            Ok(())
        } else {
            Err(Broken {
                invariant: "check-quorum rests on recent acks",
                detail: format!(
                    "{} leads {term} at {now} with the newest heartbeat a majority acknowledged \
                     sent at {newest:?}",
                    node_id(i)
                ),
            })
        }
    }

    /// The invariants of every state.
    fn check(&mut self, setup: &Setup<N>) -> Result<(), Broken> {
        let holders: Vec<usize> = (0..N).filter(|&i| self.holds_lease(setup, i)).collect();
        if holders.len() > 1 {
            return Err(Broken {
                invariant: "one lease at a time",
                detail: format!(
                    "{:?} hold leases at real time {}",
                    holders.iter().map(|&i| node_id(i)).collect::<Vec<_>>(),
                    self.real
                ),
            });
        }
        // In volatile mode terms may be led out of order (a paused leader of a term whose
        // votes a restart forgot), so only the lease itself is promised there.
        if let Some(&holder) = holders.first().filter(|_| setup.persistent()) {
            let engine = self.engine(holder).expect("a lease holder is up");
            let term = engine.term();
            if let Some(newer) = (0..N).find(|&i| {
                self.engine(i)
                    .is_some_and(|e| e.is_leader() && e.term() > term)
            }) {
                return Err(Broken {
                    invariant: "no newer leader during a lease",
                    detail: format!(
                        "{} leads a term after {term} while {} holds a lease in it",
                        node_id(newer),
                        node_id(holder)
                    ),
                });
            }
            if let Some(token) = engine.quorum().and_then(|q| q.fencing_token()) {
                if token < self.leased_token {
                    return Err(Broken {
                        invariant: "fencing tokens only grow",
                        detail: format!(
                            "{} holds a lease with token {token} after one with {}",
                            node_id(holder),
                            self.leased_token
                        ),
                    });
                }
                self.leased_token = token;
            }
        }
        if setup.persistent() {
            for i in 0..N {
                let Some(term) = self.engine(i).filter(|e| e.is_leader()).map(|e| e.term()) else {
                    continue;
                };
                match self.led.binary_search_by_key(&term, |&(t, _)| t) {
                    Ok(at) if self.led[at].1 != node_id(i) => {
                        return Err(Broken {
                            invariant: "one leader per term",
                            detail: format!(
                                "{} and {} both led {term}",
                                self.led[at].1,
                                node_id(i)
                            ),
                        });
                    }
                    Ok(_) => {}
                    Err(at) => self
                        .led
                        .insert(at, (term, node_id(i)))
                        .map_err(|_| full())?,
                }
            }
        }
        Ok(())
    }
}

/// A state with more messages (or led terms) than the explorer keeps: not a broken promise,
/// but beyond the bounds (see [`Broken::is_beyond_bounds`]).
fn full() -> Broken {
    Broken {
        invariant: BEYOND_BOUNDS,
        detail: String::new(),
    }
}

const BEYOND_BOUNDS: &str = "beyond the explored bounds";

impl Broken {
    /// Whether this is not a broken promise but a state too large to explore.
    pub fn is_beyond_bounds(&self) -> bool {
        self.invariant == BEYOND_BOUNDS
    }
}

fn link_bit<const N: usize>(from: usize, to: usize) -> u64 {
    1 << (from * N + to)
}

impl<const N: usize> fmt::Debug for World<N> {
    /// One line: real time, each node as (role, term, leader, lease), messages in flight.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={} ", self.real)?;
        for (i, node) in self.nodes.iter().enumerate() {
            match &node.engine {
                None => write!(f, "[{}: down] ", i + 1)?,
                Some(e) => write!(
                    f,
                    "[{}: {:?} {} leader {:?} lease {:?}{}] ",
                    i + 1,
                    e.role(),
                    e.term(),
                    e.leader().map(|l| l.0),
                    e.quorum()
                        .and_then(|q| q.lease_until())
                        .map(Instant::as_millis),
                    if node.paused { " paused" } else { "" }
                )?,
            }
        }
        write!(
            f,
            "{} in flight, {} held",
            self.in_flight.len(),
            self.held.len()
        )
    }
}

/// The Fx hash (as in rustc): fast and good enough for state fingerprints.
#[derive(Default)]
pub struct FxHasher {
    hash: u64,
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u8(&mut self, byte: u8) {
        self.write_u64(u64::from(byte));
    }

    fn write_u32(&mut self, word: u32) {
        self.write_u64(u64::from(word));
    }

    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}
