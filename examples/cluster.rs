//! A live five-node cluster in one process, talking UDP over 127.0.0.1.
//!
//! Each node is an [`Engine`] on its own `UdpSocket` and thread. The demo waits until all
//! five agree on a leader, kills that leader, and then measures how long the four
//! survivors take to agree on a new one and how many messages that cost. It runs Bully
//! unless another algorithm is named: `bully`, `next-in-line`, `candidates`,
//! `invitation`, `ring` or `quorum`.
//!
//! Every thread runs the plain std event loop the crate's calling contract asks for:
//!
//! 1. sleep in `recv_from` until a datagram arrives or the deadline from
//!    [`Engine::poll_timeout`] comes (the socket's read timeout);
//! 2. feed the input: [`Engine::handle_bytes`] for a datagram, [`Engine::handle_timeout`]
//!    once the deadline has passed;
//! 3. after *every* input, drain [`Engine::poll_output`] until it returns
//!    [`Output::Timeout`]: first the durable state (quorum election: each state is
//!    written to the node's file, then [`Engine::confirm_persisted`] is called; no message
//!    leaves before that), then the messages, each sent to its [`Destination`], then the
//!    events.
//!
//! With `quorum`, each node keeps its term and vote in a small file of its own under
//! [`std::env::temp_dir`] (`bellwether-cluster-<pid>-node-<id>.state`), replaced
//! atomically on every write (write a temporary file, sync it, rename it over the old
//! one), as a real host must; the demo prints each write, prints the lease and fencing
//! token of every new leader once it holds a lease, shows the files at the end and then
//! deletes them.
//!
//! All threads share one [`StdClock`], so the timestamps in the timeline are comparable.
//! Run it with `cargo run --example cluster` (or `cargo run --example cluster -- quorum`).

use std::collections::BTreeMap;
use std::error::Error;
#[cfg(feature = "quorum")]
use std::fs;
use std::io::ErrorKind;
#[cfg(feature = "quorum")]
use std::io::{self, Write as _};
use std::net::{SocketAddr, UdpSocket};
#[cfg(feature = "quorum")]
use std::path::PathBuf;
use std::process;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant as StdInstant};

use bellwether::unstable::Kind;
use bellwether::{
    Algorithm, AuthOptions, BullyOptions, CandidateOptions, CmacKeys, Config, Destination, Engine,
    Event, GroupId, Instant, InvitationOptions, KeyId, MAX_MESSAGE_SIZE, Member, Message,
    NextInLineOptions, NodeId, Output, Protection, RingOptions, RingVariant, StdClock, Term,
    Timing,
};
#[cfg(feature = "quorum")]
use bellwether::{DurableState, QuorumOptions};

/// How many nodes the cluster has (ids `1..=NODES`).
const NODES: u32 = 5;
/// The longest a node sleeps in `recv_from`. Linux rounds long socket timeouts up by
/// tens of milliseconds, so waking early and often keeps the deadlines accurate; an early
/// wakeup only loops (`handle_timeout` is called once the deadline has passed).
const MAX_WAIT: Duration = Duration::from_millis(100);
/// How long each phase may take to reach agreement before the demo gives up.
const PHASE_DEADLINE: Duration = Duration::from_secs(10);
/// The group's key with `--authenticated`. A real group's key comes from key storage.
const DEMO_KEY: [u8; 16] = *b"demo key only!!!";

/// Messages sent by all nodes so far, per [`Kind`].
#[derive(Default)]
struct Sent([AtomicU64; Kind::ALL.len()]);

impl Sent {
    fn record(&self, kind: Kind) {
        self.0[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> [u64; Kind::ALL.len()] {
        self.0.each_ref().map(|count| count.load(Ordering::Relaxed))
    }
}

/// What a node thread tells the main thread: something worth a line in the timeline.
struct Report {
    node: NodeId,
    at: Instant,
    note: Note,
}

/// What happened at a node.
enum Note {
    /// A leadership event.
    Event(Event),
    /// Quorum election: the host wrote this durable state to the node's file and
    /// confirmed it to the engine.
    #[cfg(feature = "quorum")]
    Persisted(DurableState),
    /// Quorum election: the node leads with a lease valid until `until` (its clock) and
    /// tags its side effects with the fencing token `token`.
    #[cfg(feature = "quorum")]
    Lease { until: Instant, token: Option<Term> },
}

/// Where a node keeps its term and vote (quorum election): a file of its own under the
/// system's temporary directory, replaced atomically so that a crash in the middle of a
/// write leaves the previous state whole.
#[cfg(feature = "quorum")]
struct StateFile {
    path: PathBuf,
}

#[cfg(feature = "quorum")]
impl StateFile {
    /// The file of node `id` in this run of the demo.
    fn of(id: NodeId) -> StateFile {
        let name = format!("bellwether-cluster-{}-node-{}.state", process::id(), id.0);
        StateFile {
            path: std::env::temp_dir().join(name),
        }
    }

    /// Writes `state` durably: to a temporary file, synced to the disk, then renamed over
    /// the old file.
    fn write(&self, state: DurableState) -> io::Result<()> {
        let temporary = self.path.with_extension("state.tmp");
        let mut file = fs::File::create(&temporary)?;
        writeln!(file, "{}", describe_state(state))?;
        file.sync_all()?;
        fs::rename(&temporary, &self.path)
    }

    /// What the file holds, if it exists.
    fn read(&self) -> Option<String> {
        fs::read_to_string(&self.path)
            .ok()
            .map(|text| text.trim_end().to_owned())
    }

    /// Deletes the file (it may not exist: the node never had to persist anything).
    fn remove(&self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// "term N, voted for node M" (or "no vote").
#[cfg(feature = "quorum")]
fn describe_state(state: DurableState) -> String {
    match state.voted_for {
        Some(vote) => format!("{}, voted for {vote}", state.term),
        None => format!("{}, no vote", state.term),
    }
}

/// One node: its engine, its socket, and its links to the rest of the demo.
struct Node {
    engine: Engine<8, CmacKeys>,
    socket: UdpSocket,
    addresses: Arc<BTreeMap<NodeId, SocketAddr>>,
    clock: StdClock,
    stop: Arc<AtomicBool>,
    reports: Sender<Report>,
    sent: Arc<Sent>,
    /// Where the node's durable state goes (written only by quorum election).
    #[cfg(feature = "quorum")]
    state_file: StateFile,
    /// The term whose lease this node already reported.
    #[cfg(feature = "quorum")]
    lease_reported: Option<Term>,
}

impl Node {
    /// The event loop: wait for a datagram or the deadline, feed it, drain, repeat.
    fn run(mut self) {
        let mut buf = [0u8; MAX_MESSAGE_SIZE];
        while !self.stop.load(Ordering::Relaxed) {
            let deadline = self.engine.poll_timeout().map(|at| self.clock.to_std(at));
            let wait = deadline.map_or(MAX_WAIT, |at| {
                at.saturating_duration_since(StdInstant::now())
            });
            // A zero read timeout is an error in std, so wait at least a millisecond.
            let wait = wait.clamp(Duration::from_millis(1), MAX_WAIT);
            self.socket
                .set_read_timeout(Some(wait))
                .expect("a non-zero read timeout is valid");
            let received = self.socket.recv_from(&mut buf);
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            match received {
                Ok((len, _)) => {
                    if let Err(error) = self.engine.handle_bytes(self.clock.now(), &buf[..len]) {
                        eprintln!("{}: ignored a datagram: {error}", self.engine.id());
                    }
                    self.drain();
                }
                Err(error)
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                // Windows reports an earlier send to a dead node's port this way.
                Err(error) if error.kind() == ErrorKind::ConnectionReset => {}
                Err(error) => eprintln!("{}: receive failed: {error}", self.engine.id()),
            }
            let now = self.clock.now();
            if self.engine.poll_timeout().is_some_and(|at| at <= now) {
                self.engine.handle_timeout(now);
                self.drain();
            }
        }
        // Returning drops the socket: this node is gone and sends nothing more.
    }

    /// Writes the durable state, sends every pending message, then reports every pending
    /// event (and, for quorum election, a new lease): the engine's outputs in its order.
    fn drain(&mut self) {
        let mut buf = [0u8; MAX_MESSAGE_SIZE];
        loop {
            let output = self
                .engine
                .poll_output(&mut buf)
                .expect("a buffer of MAX_MESSAGE_SIZE bytes fits every message");
            match output {
                #[cfg(feature = "quorum")]
                Output::Persist(state) => self.persist(state),
                Output::Transmit(transmit) => self.send(transmit.to, &buf[..transmit.len]),
                Output::Event(event) => self.report(Note::Event(event)),
                Output::Timeout(_) => break,
                other => unreachable!("this version has no output {other:?}"),
            }
        }
        #[cfg(feature = "quorum")]
        self.report_new_lease();
    }

    /// Tells the main thread about `note`.
    fn report(&self, note: Note) {
        let (node, at) = (self.engine.id(), self.clock.now());
        // The main thread only hangs up when the demo is over.
        let _ = self.reports.send(Report { node, at, note });
    }

    /// Writes a durable state the engine handed out and confirms it: until then the
    /// engine keeps its messages (a vote must be on disk before it is sent).
    #[cfg(feature = "quorum")]
    fn persist(&mut self, state: DurableState) {
        if let Err(error) = self.state_file.write(state) {
            // Without the write the engine must stay silent; a real host would retry.
            fail(&format!(
                "{}: cannot write {}: {error}",
                self.engine.id(),
                self.state_file.path.display()
            ));
        }
        self.engine
            .confirm_persisted(state)
            .expect("the state just handed out is the current one");
        self.report(Note::Persisted(state));
    }

    /// Reports the lease of a leader once per term, when it first holds one.
    #[cfg(feature = "quorum")]
    fn report_new_lease(&mut self) {
        let term = self.engine.term();
        if self.lease_reported == Some(term)
            || !self
                .engine
                .quorum()
                .is_some_and(|q| q.has_lease(self.clock.now()))
        {
            return;
        }
        if let Some(until) = self.engine.quorum().and_then(|q| q.lease_until()) {
            self.lease_reported = Some(term);
            let token = self.engine.quorum().and_then(|q| q.fencing_token());
            self.report(Note::Lease { until, token });
        }
    }

    fn send(&self, to: Destination, bytes: &[u8]) {
        let me = self.engine.id();
        let targets = self.addresses.iter().filter(|&(&id, _)| match to {
            Destination::Node(node) => id == node,
            Destination::All => id != me,
        });
        for (_, address) in targets {
            match self.socket.send_to(bytes, address) {
                Ok(_) => {
                    // Counted by kind, whatever the envelope (plain or authenticated).
                    if let Ok(message) = Message::peek(bytes) {
                        self.sent.record(message.body().kind());
                    }
                }
                Err(error) => eprintln!("{me}: cannot send to {address}: {error}"),
            }
        }
    }
}

/// The main thread's hold on a node thread.
struct NodeHandle {
    id: NodeId,
    address: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl NodeHandle {
    /// Stops the node and waits for its thread to end. A thread blocked in `recv_from`
    /// notices its stop flag only when it wakes, so `waker` sends it an empty datagram.
    fn stop(self, waker: &UdpSocket) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = waker.send_to(&[], self.address);
        if self.thread.join().is_err() {
            fail(&format!("the thread of {} panicked", self.id));
        }
    }
}

/// The main thread's view of who follows and who leads, built from the reported events.
#[derive(Default)]
struct View {
    follows: BTreeMap<NodeId, Option<(NodeId, Term)>>,
    leads: BTreeMap<NodeId, Term>,
    /// The term in which each node last reported holding a lease (quorum election).
    leases: BTreeMap<NodeId, Term>,
    /// Whether an agreement counts only once its leader holds a lease (quorum election).
    wait_for_lease: bool,
}

impl View {
    /// Records `report` and describes it for the timeline, if it is worth a line.
    fn apply(&mut self, report: &Report) -> Option<String> {
        let event = match report.note {
            Note::Event(event) => event,
            #[cfg(feature = "quorum")]
            Note::Persisted(state) => return Some(format!("persisted {}", describe_state(state))),
            #[cfg(feature = "quorum")]
            Note::Lease { until, token } => {
                self.leases
                    .insert(report.node, self.leads.get(&report.node).copied()?);
                let left = (until - report.at).as_millis();
                let token = token.map_or_else(|| "none".to_owned(), |term| term.to_string());
                return Some(format!(
                    "holds the lease until {} ms ({left} ms left), fencing token {token}",
                    until.as_millis()
                ));
            }
        };
        match event {
            Event::LeaderChanged {
                leader,
                term,
                cause,
            } => {
                let known = leader.map(|leader| (leader, term));
                let had_one = self.follows(report.node).is_some();
                self.follows.insert(report.node, known);
                match leader {
                    // The leader's own `BecameLeader` event follows; one line is enough.
                    Some(leader) if leader == report.node => None,
                    Some(leader) => Some(format!("leader -> {leader} ({term}): {cause}")),
                    None if had_one => Some(format!("lost its leader ({term}), electing: {cause}")),
                    None => Some(format!("no leader yet ({term}), electing: {cause}")),
                }
            }
            Event::BecameLeader { term } => {
                self.leads.insert(report.node, term);
                Some(format!("became leader ({term})"))
            }
            Event::SteppedDown { term, cause } => {
                self.leads.remove(&report.node);
                Some(format!("stepped down ({term}): {cause}"))
            }
            other => Some(format!("{other:?}")),
        }
    }

    /// The leader every node of `live` follows, if they agree on one of themselves and it
    /// knows that it leads.
    fn agreement(&self, live: &[NodeId]) -> Option<(NodeId, Term)> {
        let mut views = live.iter().map(|node| self.follows(*node));
        let (leader, term) = views.next()??;
        let leads = live.contains(&leader) && self.leads.get(&leader) == Some(&term);
        (leads && views.all(|view| view == Some((leader, term)))).then_some((leader, term))
    }

    /// Whether `leader` reported a lease in `term`, if the view waits for one.
    fn lease_settled(&self, leader: NodeId, term: Term) -> bool {
        !self.wait_for_lease || self.leases.get(&leader) == Some(&term)
    }

    fn follows(&self, node: NodeId) -> Option<(NodeId, Term)> {
        self.follows.get(&node).copied().flatten()
    }

    fn describe(&self, live: &[NodeId]) -> String {
        let views: Vec<String> = live
            .iter()
            .map(|&node| match self.follows(node) {
                Some((leader, term)) => format!("{node} follows {leader} ({term})"),
                None => format!("{node} knows no leader"),
            })
            .collect();
        views.join(", ")
    }
}

/// Prints events until every node of `live` follows the same live leader (and, for quorum
/// election, that leader has reported its lease), and returns that leader, its term and
/// when the last of them learned of it.
fn await_agreement(
    reports: &Receiver<Report>,
    view: &mut View,
    live: &[NodeId],
) -> Result<(NodeId, Term, Instant), String> {
    let give_up = StdInstant::now() + PHASE_DEADLINE;
    let mut agreed: Option<(NodeId, Term, Instant)> = None;
    loop {
        let left = give_up.saturating_duration_since(StdInstant::now());
        let report = match reports.recv_timeout(left) {
            Ok(report) => report,
            Err(RecvTimeoutError::Timeout) => {
                let state = view.describe(live);
                return Err(format!("no agreement within {PHASE_DEADLINE:?}: {state}"));
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err("every node thread has stopped".to_owned());
            }
        };
        if let Some(line) = view.apply(&report) {
            let (at, node) = (report.at.as_millis(), report.node.0);
            println!("[{at:>5} ms] node {node:<2} {line}");
        }
        agreed = match view.agreement(live) {
            Some((leader, term)) => match agreed {
                Some((l, t, at)) if (l, t) == (leader, term) => Some((leader, term, at)),
                _ => Some((leader, term, report.at)),
            },
            None => None,
        };
        if let Some((leader, term, at)) = agreed
            && view.lease_settled(leader, term)
        {
            return Ok((leader, term, at));
        }
    }
}

/// Whether `algorithm` is quorum election with durable state, whose leaders hold leases
/// and whose terms are fencing tokens.
fn has_leases(algorithm: Algorithm) -> bool {
    match algorithm {
        #[cfg(feature = "quorum")]
        Algorithm::Quorum(options) => options.durability == bellwether::Durability::Persistent,
        #[allow(unreachable_patterns)]
        _ => false,
    }
}

/// "N messages (Kind n, ...)", naming only the kinds that were sent.
fn describe_counts(counts: [u64; Kind::ALL.len()]) -> String {
    let total: u64 = counts.iter().sum();
    let kinds: Vec<String> = Kind::ALL
        .iter()
        .zip(counts)
        .filter(|&(_, count)| count > 0)
        .map(|(kind, count)| format!("{kind:?} {count}"))
        .collect();
    format!("{total} messages ({})", kinds.join(", "))
}

fn fail(why: &str) -> ! {
    eprintln!("demo failed: {why}");
    process::exit(1)
}

/// The algorithm named on the command line (Bully when none is).
fn algorithm_from_args() -> Result<(&'static str, Algorithm), String> {
    let name = std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with("--"))
        .unwrap_or_else(|| "bully".to_owned());
    Ok(match name.as_str() {
        "bully" => ("Bully", Algorithm::Bully(BullyOptions::CLASSIC)),
        "next-in-line" => (
            "next-in-line",
            Algorithm::NextInLine(NextInLineOptions::DEFAULT),
        ),
        "candidates" => (
            "candidate/ordinary",
            Algorithm::Candidates(CandidateOptions::DEFAULT),
        ),
        "invitation" => (
            "invitation",
            Algorithm::Invitation(InvitationOptions::DEFAULT),
        ),
        "ring" => (
            "ring",
            Algorithm::Ring(RingOptions::new(RingVariant::FullList)),
        ),
        #[cfg(feature = "quorum")]
        "quorum" => ("quorum", Algorithm::Quorum(QuorumOptions::DEFAULT)),
        other => {
            return Err(format!(
                "unknown algorithm {other:?}: use bully, next-in-line, candidates, invitation, \
                 ring or quorum"
            ));
        }
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    let (algorithm_name, algorithm) = algorithm_from_args()?;
    let authenticated = std::env::args().skip(1).any(|arg| arg == "--authenticated");
    let ids: Vec<NodeId> = (1..=NODES).map(NodeId).collect();
    let members: Vec<Member> = ids.iter().map(|id| Member::with_id(id.0)).collect();
    let sockets = ids
        .iter()
        .map(|_| UdpSocket::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()?;
    let addresses = ids
        .iter()
        .zip(&sockets)
        .map(|(&id, socket)| Ok((id, socket.local_addr()?)))
        .collect::<std::io::Result<BTreeMap<_, _>>>()?;
    let addresses = Arc::new(addresses);

    println!("bellwether: {NODES} {algorithm_name} nodes over UDP, one thread each");
    if authenticated {
        println!("  every datagram authenticated: CMAC-AES-128, 8-byte tags, replay windows");
    }
    for (id, address) in addresses.iter() {
        println!("  {id} on {address}");
    }

    let clock = StdClock::new();
    let sent = Arc::new(Sent::default());
    let (report_tx, reports) = mpsc::channel();
    let mut handles = BTreeMap::new();
    for (&id, socket) in ids.iter().zip(sockets) {
        let mut config = Config::<8>::new(GroupId(1), id, &members, algorithm)?
            .with_timing(Timing::LAN)
            .with_seed(0x5EED_0000 + u64::from(id.0));
        if authenticated {
            // Each node's first boot: a real host takes the session from its boot counter.
            config.protection = Protection::Authenticated(AuthOptions::new(1));
        }
        let keys = CmacKeys::new(KeyId(1), &DEMO_KEY);
        let engine = Engine::with_authenticator(config, clock.now(), keys)?;
        let stop = Arc::new(AtomicBool::new(false));
        let node = Node {
            engine,
            socket,
            addresses: Arc::clone(&addresses),
            clock,
            stop: Arc::clone(&stop),
            reports: report_tx.clone(),
            sent: Arc::clone(&sent),
            #[cfg(feature = "quorum")]
            state_file: StateFile::of(id),
            #[cfg(feature = "quorum")]
            lease_reported: None,
        };
        let (address, thread) = (addresses[&id], thread::spawn(move || node.run()));
        let handle = NodeHandle {
            id,
            address,
            stop,
            thread,
        };
        handles.insert(id, handle);
    }
    drop(report_tx);

    let waker = UdpSocket::bind("127.0.0.1:0")?;

    let mut view = View {
        wait_for_lease: has_leases(algorithm),
        ..View::default()
    };
    let (leader, term, at) = await_agreement(&reports, &mut view, &ids)
        .unwrap_or_else(|why| fail(&format!("initial election: {why}")));
    let before_kill = sent.snapshot();
    let at = at.as_millis();
    println!("[{at:>5} ms] ==> all {NODES} nodes follow {leader} ({term})");
    println!("            so far: {}", describe_counts(before_kill));

    let killed_at = clock.now();
    println!("[{:>5} ms] ==> killing {leader}", killed_at.as_millis());
    if let Some(handle) = handles.remove(&leader) {
        handle.stop(&waker);
    }
    let survivors: Vec<NodeId> = ids.iter().copied().filter(|&id| id != leader).collect();

    let (new_leader, new_term, at) = await_agreement(&reports, &mut view, &survivors)
        .unwrap_or_else(|why| fail(&format!("re-election: {why}")));
    let after = sent.snapshot();
    let during: [u64; Kind::ALL.len()] = std::array::from_fn(|i| after[i] - before_kill[i]);
    let (count, ms) = (survivors.len(), at.as_millis());
    println!("[{ms:>5} ms] ==> all {count} survivors follow {new_leader} ({new_term})");
    let took = (at - killed_at).as_millis();
    println!("            re-election took {took} ms");
    println!("            and {}", describe_counts(during));
    if view.wait_for_lease {
        println!(
            "            fencing token {term} -> {new_term}: a store that has seen {new_term} \
             refuses the dead leader's late writes"
        );
    }

    for handle in handles.into_values() {
        handle.stop(&waker);
    }
    #[cfg(feature = "quorum")]
    show_and_remove_state_files(&ids);
    Ok(())
}

/// Prints what each node's state file holds (quorum election), then deletes the files.
#[cfg(feature = "quorum")]
fn show_and_remove_state_files(ids: &[NodeId]) {
    for &id in ids {
        let file = StateFile::of(id);
        if let Some(contents) = file.read() {
            println!("            {id} state file: {contents}");
        }
        file.remove();
    }
}
