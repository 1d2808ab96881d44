//! A live five-node cluster running 1,000 election groups (one per data partition), in one
//! process over UDP on 127.0.0.1: one [`MultiGroupNode`] per node, each on its own socket
//! and thread.
//!
//! Group `g` has three members, nodes `g mod 5` to `(g + 2) mod 5`, and prefers node
//! `g mod 5`, so each node should lead 200 groups. The demo waits until every group is
//! led, counts the datagrams of an idle second (one per node pair and heartbeat interval,
//! whatever the number of groups), stops the node that leads a fifth of the groups and
//! measures how long until all of them are led again, then starts it again and watches
//! leadership flow back to it a bounded number of groups per interval.
//!
//! Every thread runs the std event loop of the calling contract: sleep in `recv_from`
//! until a datagram arrives or the deadline of [`MultiGroupNode::poll_timeout`] comes;
//! feed the input; then drain: the batch of records (a real host writes it to storage
//! before confirming; here it is kept in memory), the datagrams, the events.
//! Run it with `cargo run --example partitions`.

use std::error::Error;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration as StdDuration, Instant as StdInstant};

use bellwether::multigroup::{
    GroupOptions, GroupRecord, GroupSlot, MultiGroupConfig, MultiGroupNode, QueuedItem,
};
use bellwether::{Destination, Duration, GroupId, NodeId, Role, StdClock};

const NODES: usize = 5;
const GROUPS: u16 = 1_000;
const MEMBERS: usize = 3;

/// Group `g`'s members: node `g mod 5` at the position the group prefers, then the next
/// two round the ring.
fn members(g: u16) -> Vec<NodeId> {
    let mut members = vec![NodeId(0); MEMBERS];
    for k in 0..MEMBERS {
        members[(usize::from(g) % MEMBERS + k) % MEMBERS] =
            NodeId(((usize::from(g) + k) % NODES) as u32 + 1);
    }
    members
}

/// What the main thread sees of each node.
#[derive(Default)]
struct Shared {
    /// Which groups the node leads (with a lease), refreshed after every input.
    leading: Mutex<Vec<bool>>,
    datagrams_sent: AtomicU64,
    running: AtomicBool,
    boots: AtomicUsize,
}

/// Runs node `index` until `shared.running` is cleared.
fn run_node(
    index: usize,
    socket: UdpSocket,
    addresses: Vec<SocketAddr>,
    clock: StdClock,
    shared: Arc<Shared>,
    disk: Arc<Mutex<Vec<GroupRecord>>>,
) -> Result<(), Box<dyn Error + Send + Sync>> {
    let nodes: Vec<NodeId> = (1..=NODES as u32).map(NodeId).collect();
    let id = NodeId(index as u32 + 1);
    let boot = shared.boots.fetch_add(1, Ordering::SeqCst) as u32;
    let config = MultiGroupConfig::<8>::new(id, &nodes, GroupId(42))?
        .with_timing(Duration::from_millis(100), Duration::from_millis(1_000))?
        .with_seed(index as u64)
        .with_incarnation(boot);
    let mut slots = vec![GroupSlot::EMPTY; usize::from(GROUPS)];
    let mut queue = vec![QueuedItem::EMPTY; 3 * usize::from(GROUPS)];
    let mut node = MultiGroupNode::new(config, &mut slots, &mut queue, clock.now())?;
    for record in disk.lock().map_err(|_| "poisoned")?.iter() {
        node.restore_group(record)?;
    }
    for g in 0..GROUPS {
        let members = members(g);
        if members.contains(&id) {
            node.add_group(clock.now(), g, &members, GroupOptions::DEFAULT)?;
        }
    }
    let mut buf = [0u8; 1_500];
    let mut records = [GroupRecord::default(); 128];
    while shared.running.load(Ordering::SeqCst) {
        let now = clock.now();
        let wait = node
            .poll_timeout()
            .map_or(StdDuration::from_millis(50), |at| {
                StdDuration::from_millis(at.saturating_duration_since(now).as_millis().max(1))
            });
        socket.set_read_timeout(Some(wait.min(StdDuration::from_millis(50))))?;
        match socket.recv_from(&mut buf) {
            Ok((len, _)) => {
                // Refusals (a datagram from a peer's earlier run, say) change nothing.
                let _ = node.handle_bytes(clock.now(), &buf[..len]);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(e.into()),
        }
        let now = clock.now();
        if node.poll_timeout().is_some_and(|at| at <= now) {
            node.handle_timeout(now);
        }
        loop {
            let count = node.poll_persist(&mut records);
            if count == 0 {
                break;
            }
            let mut disk = disk.lock().map_err(|_| "poisoned")?;
            for record in &records[..count] {
                match disk.iter_mut().find(|r| r.group == record.group) {
                    Some(kept) => *kept = *record,
                    None => disk.push(*record),
                }
            }
            node.confirm_persisted();
        }
        while let Some(transmit) = node.poll_transmit(now, &mut buf)? {
            if let Destination::Node(to) = transmit.to {
                socket.send_to(&buf[..transmit.len], addresses[to.0 as usize - 1])?;
                shared.datagrams_sent.fetch_add(1, Ordering::Relaxed);
            }
        }
        while node.poll_event().is_some() {}
        let mut leading = shared.leading.lock().map_err(|_| "poisoned")?;
        for (g, led) in leading.iter_mut().enumerate() {
            let g = g as u16;
            *led = node.role(g) == Some(Role::Leader) && node.has_lease(g, now);
        }
    }
    Ok(())
}

/// One node's host: its socket address, what it shares, its disk and its thread.
struct Host {
    shared: Arc<Shared>,
    disk: Arc<Mutex<Vec<GroupRecord>>>,
    thread: Option<JoinHandle<Result<(), Box<dyn Error + Send + Sync>>>>,
}

fn start(
    index: usize,
    hosts: &mut [Host],
    sockets: &[UdpSocket],
    addresses: &[SocketAddr],
    clock: StdClock,
) -> Result<(), Box<dyn Error>> {
    let host = &mut hosts[index];
    host.shared.running.store(true, Ordering::SeqCst);
    *host.shared.leading.lock().map_err(|_| "poisoned")? = vec![false; usize::from(GROUPS)];
    let (socket, addresses, shared, disk) = (
        sockets[index].try_clone()?,
        addresses.to_vec(),
        host.shared.clone(),
        host.disk.clone(),
    );
    host.thread = Some(thread::spawn(move || {
        run_node(index, socket, addresses, clock, shared, disk)
    }));
    Ok(())
}

fn stop(host: &mut Host) -> Result<(), Box<dyn Error>> {
    host.shared.running.store(false, Ordering::SeqCst);
    if let Some(thread) = host.thread.take() {
        thread
            .join()
            .map_err(|_| "node thread panicked")?
            .map_err(|e| e.to_string())?;
    }
    *host.shared.leading.lock().map_err(|_| "poisoned")? = vec![false; usize::from(GROUPS)];
    Ok(())
}

/// Leaders per node, and how many groups have exactly one leader with a lease.
fn census(hosts: &[Host]) -> (Vec<usize>, usize) {
    let tables: Vec<Vec<bool>> = hosts
        .iter()
        .map(|h| {
            h.shared
                .leading
                .lock()
                .map(|l| l.clone())
                .unwrap_or_default()
        })
        .collect();
    let per_node = tables
        .iter()
        .map(|t| t.iter().filter(|&&l| l).count())
        .collect();
    let led = (0..usize::from(GROUPS))
        .filter(|&g| {
            tables
                .iter()
                .filter(|t| t.get(g).copied().unwrap_or(false))
                .count()
                == 1
        })
        .count();
    (per_node, led)
}

/// Waits (up to `limit`) until `done` holds; returns how long that took.
fn wait_until(
    hosts: &[Host],
    limit: StdDuration,
    done: impl Fn(&[usize], usize) -> bool,
) -> Option<StdDuration> {
    let started = StdInstant::now();
    while started.elapsed() < limit {
        let (per_node, led) = census(hosts);
        if done(&per_node, led) {
            return Some(started.elapsed());
        }
        thread::sleep(StdDuration::from_millis(5));
    }
    None
}

fn main() -> Result<(), Box<dyn Error>> {
    let clock = StdClock::new();
    let sockets: Vec<UdpSocket> = (0..NODES)
        .map(|_| UdpSocket::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()?;
    let addresses: Vec<SocketAddr> = sockets
        .iter()
        .map(UdpSocket::local_addr)
        .collect::<Result<_, _>>()?;
    let mut hosts: Vec<Host> = (0..NODES)
        .map(|_| Host {
            shared: Arc::default(),
            disk: Arc::default(),
            thread: None,
        })
        .collect();
    println!("{NODES} nodes, {GROUPS} groups of {MEMBERS}, heartbeat 100 ms, election timeout 1 s");
    for index in 0..NODES {
        start(index, &mut hosts, &sockets, &addresses, clock)?;
    }
    let elected = wait_until(&hosts, StdDuration::from_secs(20), |per_node, led| {
        led == usize::from(GROUPS) && per_node.iter().all(|&n| n == usize::from(GROUPS) / NODES)
    })
    .ok_or("the groups were not all led by their preferred nodes within 20 s")?;
    println!(
        "every group led, 200 per node, after {elected:.2?}: {:?}",
        census(&hosts).0
    );

    let sent = |hosts: &[Host]| {
        hosts
            .iter()
            .map(|h| h.shared.datagrams_sent.load(Ordering::Relaxed))
            .sum::<u64>()
    };
    let before = sent(&hosts);
    thread::sleep(StdDuration::from_secs(1));
    let idle = sent(&hosts) - before;
    println!(
        "idle second: {idle} datagrams in all, {:.2} per ordered node pair per 100 ms interval",
        idle as f64 / (NODES * (NODES - 1)) as f64 / 10.0
    );

    println!("stopping node 1 (it leads {} groups)", census(&hosts).0[0]);
    stop(&mut hosts[0])?;
    let failover = wait_until(&hosts, StdDuration::from_secs(10), |_, led| {
        led == usize::from(GROUPS)
    })
    .ok_or("the groups of node 1 were not all led again within 10 s")?;
    println!(
        "all {GROUPS} groups led again {failover:.2?} after node 1 stopped: {:?}",
        census(&hosts).0
    );

    println!("starting node 1 again (its records kept)");
    start(0, &mut hosts, &sockets, &addresses, clock)?;
    let started = StdInstant::now();
    let mut last = 0;
    while started.elapsed() < StdDuration::from_secs(15) {
        thread::sleep(StdDuration::from_millis(250));
        let (per_node, led) = census(&hosts);
        if per_node[0] != last {
            println!(
                "  {:>5.2?}: node 1 leads {:>3}, {led} groups led, {per_node:?}",
                started.elapsed(),
                per_node[0]
            );
            last = per_node[0];
        }
        if led == usize::from(GROUPS) && per_node.iter().all(|&n| n == usize::from(GROUPS) / NODES)
        {
            println!("balanced again after {:.2?}", started.elapsed());
            break;
        }
    }
    for host in &mut hosts {
        stop(host)?;
    }
    Ok(())
}
