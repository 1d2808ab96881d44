//! Partitioned leadership at scale: many quorum groups on five nodes, run by one
//! multi-group node per host ([`bellwether::multigroup`]) against the baseline of one
//! quorum [`Engine`] per group per member, each with its own heartbeats.
//!
//! ```text
//! cargo run --release --example scale --features sim [-- <output-dir>]
//! ```
//!
//! Writes `<output-dir>/scale.md` (the table, how it was measured, the machine) and
//! `<output-dir>/scale.svg` (idle datagrams and idle CPU against the number of groups);
//! the output directory defaults to `benches/results`. Progress goes to stderr. It takes
//! about a minute on two cores.
//!
//! # Setup
//!
//! G ∈ {1, 10, 100, 1,000, 10,000} groups over five nodes, three members per group, group
//! `g` on nodes `g mod 5` .. `(g + 2) mod 5` and preferring node `g mod 5`
//! ([`placement`]); heartbeat interval H = 100 ms, election timeout T = 1 s, drift bound
//! 1,000 ppm, CRC-32 on every datagram, one-way delays 1..=6 ms, no loss. The baseline
//! engines use quorum election's default options (pre-vote, check-quorum, the longest safe
//! lease, persistent state) with the same timing and drift bound, and rank the group's
//! preferred member highest, so that leadership spreads the same way.
//!
//! * **Idle traffic** — after every group is led by its preferred member and one more
//!   second: datagrams and bytes per ordered node pair over 50 intervals, divided by 50;
//!   the busiest pair is reported. Multi-group: [`Cluster`]; baseline: the same network
//!   of engines (`benches/support/scale_net.rs`), all groups sharing it.
//! * **Idle CPU** — one node's work in one idle interval: every `handle_timeout`,
//!   `handle_bytes` and drain of outputs (`poll_persist`, `poll_transmit` with the copy
//!   of the datagram, `poll_event`) it makes, timed with `std::time::Instant` around each
//!   batch of calls at one instant; the median over 100 intervals, measured in rounds of
//!   20 intervals alternating between the two designs. The baseline's per-engine timer
//!   heap and its routing by group are the simulator's, not timed.
//! * **Failover** — once settled (plus one second), node 1 (index 0), which leads the
//!   groups `g ≡ 0 (mod 5)`, crashes; the clock runs until every group it led has a leader
//!   holding a lease, followed by its live members. Reported: the time until all are
//!   re-elected, the median group's re-election time, and datagrams per surviving ordered
//!   pair (the busiest) from the crash until all are re-elected; medians over seeds
//!   1..=5. Then node 1 restarts, and the time until leadership is spread again
//!   (leaders per node max − min ≤ 1, every group led) is measured (multi-group).
//! * **Memory** — `size_of` of the storage each design needs per group: a
//!   [`GroupSlot`] plus the queue entries per group that a failover and a partition
//!   need without dropping an item (measured below), against an `Engine<3>` per member.

#![allow(clippy::indexing_slicing, clippy::expect_used, clippy::print_stderr)]

#[path = "../benches/support/scale_net.rs"]
mod scale_net;

use std::fmt::Write as _;
use std::time::Duration as WallDuration;

use bellwether::Engine;
use bellwether::multigroup::{GroupSlot, MultiGroupNode, QueuedItem};
use bellwether::sim::multigroup::{Cluster, ClusterOptions};

use scale_net::{
    DATAGRAM_SIZE, ELECTION_TIMEOUT_MS, HEARTBEAT_MS, Host, NODES, Net, engines_net, groups_net,
};

const GROUPS: [u16; 5] = [1, 10, 100, 1_000, 10_000];
const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];
const IDLE_INTERVALS: u64 = 50;
const CPU_ROUNDS: usize = 5;
const CPU_INTERVALS_PER_ROUND: usize = 20;
const CRASHED: usize = 0;

#[derive(Clone, Copy, Debug, Default)]
struct Idle {
    /// Busiest ordered pair, and the mean over the pairs that share a group.
    datagrams_max: f64,
    datagrams_mean: f64,
    bytes_max: f64,
    bytes_mean: f64,
}

#[derive(Clone, Copy, Debug, Default)]
struct Failover {
    all_ms: u64,
    median_group_ms: u64,
    groups: usize,
    /// Datagrams and bytes on the busiest surviving ordered pair, crash to all re-elected.
    datagrams_max: u64,
    bytes_max: u64,
    /// Time until leadership is spread again after the restart (multi-group only).
    respread_ms: Option<u64>,
    spread_after: Option<usize>,
}

#[derive(Clone, Debug, Default)]
struct Row {
    groups: u16,
    idle: [Idle; 2],
    cpu: [WallDuration; 2],
    failover: [Vec<Failover>; 2],
    settle_ms: [u64; 2],
}

fn median<T: Copy + Ord>(values: &mut [T]) -> T {
    values.sort_unstable();
    values[values.len() / 2]
}

fn options(groups: u16, seed: u64) -> ClusterOptions {
    ClusterOptions {
        nodes: NODES,
        groups,
        members: 3,
        seed,
        heartbeat_ms: HEARTBEAT_MS,
        election_timeout_ms: ELECTION_TIMEOUT_MS,
        datagram_size: DATAGRAM_SIZE,
        check: false,
        ..ClusterOptions::default()
    }
}

fn spread(leaders: &[usize]) -> usize {
    leaders.iter().max().unwrap_or(&0) - leaders.iter().min().unwrap_or(&0)
}

fn cluster_settled(cluster: &Cluster, groups: u16) -> bool {
    (0..groups).all(|g| cluster.group_led(g) == Ok(usize::from(g) % NODES))
}

/// Runs a cluster until every group is led by its preferred member; the time it took.
fn settle_cluster(cluster: &mut Cluster, groups: u16) -> u64 {
    let start = cluster.now();
    while !cluster_settled(cluster, groups) {
        assert!(cluster.now() - start < 120_000, "the cluster never settled");
        cluster.run_for(HEARTBEAT_MS).expect("no violation");
    }
    cluster.now() - start
}

fn idle_of(datagrams: &dyn Fn(usize, usize) -> u64, bytes: &dyn Fn(usize, usize) -> u64) -> Idle {
    let mut idle = Idle::default();
    let (mut pairs, mut sum_d, mut sum_b) = (0.0, 0.0, 0.0);
    for a in 0..NODES {
        for b in 0..NODES {
            if a == b {
                continue;
            }
            let d = datagrams(a, b) as f64 / IDLE_INTERVALS as f64;
            let y = bytes(a, b) as f64 / IDLE_INTERVALS as f64;
            idle.datagrams_max = idle.datagrams_max.max(d);
            idle.bytes_max = idle.bytes_max.max(y);
            if d > 0.0 {
                pairs += 1.0;
                sum_d += d;
                sum_b += y;
            }
        }
    }
    if pairs > 0.0 {
        idle.datagrams_mean = sum_d / pairs;
        idle.bytes_mean = sum_b / pairs;
    }
    idle
}

type Counters = [[u64; NODES]; NODES];

fn cluster_counters(cluster: &Cluster) -> (Counters, Counters) {
    let mut d = [[0; NODES]; NODES];
    let mut b = [[0; NODES]; NODES];
    for x in 0..NODES {
        for y in 0..NODES {
            d[x][y] = cluster.datagrams(x, y);
            b[x][y] = cluster.bytes(x, y);
        }
    }
    (d, b)
}

fn busiest_surviving(before: &Counters, after: &Counters) -> u64 {
    let mut max = 0;
    for a in 0..NODES {
        for b in 0..NODES {
            if a != b && a != CRASHED && b != CRASHED {
                max = max.max(after[a][b] - before[a][b]);
            }
        }
    }
    max
}

/// Multi-group: idle traffic (seed 1) and the failover of every seed, in [`Cluster`].
fn multigroup_cluster(row: &mut Row) {
    let groups = row.groups;
    for &seed in &SEEDS {
        let mut cluster = Cluster::new(options(groups, seed));
        let settle = settle_cluster(&mut cluster, groups);
        cluster.run_for(1_000).expect("no violation");
        if seed == SEEDS[0] {
            row.settle_ms[0] = settle;
            let (d0, b0) = cluster_counters(&cluster);
            cluster
                .run_for(IDLE_INTERVALS * HEARTBEAT_MS)
                .expect("no violation");
            let (d1, b1) = cluster_counters(&cluster);
            row.idle[0] = idle_of(&|a, b| d1[a][b] - d0[a][b], &|a, b| b1[a][b] - b0[a][b]);
        }
        let led: Vec<u16> = (0..groups)
            .filter(|&g| cluster.group_led(g) == Ok(CRASHED))
            .collect();
        let (d0, b0) = cluster_counters(&cluster);
        let crashed_at = cluster.now();
        cluster.crash(CRASHED);
        let mut remaining = led.clone();
        let mut times = Vec::new();
        let done = cluster
            .run_while(crashed_at + 30_000, |c| {
                remaining.retain(|&g| {
                    let ok = c.group_led(g).is_ok();
                    if ok {
                        times.push(c.now() - crashed_at);
                    }
                    !ok
                });
                remaining.is_empty()
            })
            .expect("no violation");
        assert!(done, "G={groups} seed {seed}: groups left leaderless");
        let all_ms = cluster.now() - crashed_at;
        let (d1, b1) = cluster_counters(&cluster);
        let mut failover = Failover {
            all_ms,
            median_group_ms: if times.is_empty() {
                0
            } else {
                median(&mut times)
            },
            groups: led.len(),
            datagrams_max: busiest_surviving(&d0, &d1),
            bytes_max: busiest_surviving(&b0, &b1),
            ..Failover::default()
        };
        // Node 1 comes back; leadership spreads back to it.
        cluster.restart(CRASHED);
        let back_at = cluster.now();
        while cluster.now() - back_at < 120_000 {
            cluster.run_for(HEARTBEAT_MS).expect("no violation");
            if spread(&cluster.leaders_per_node()) <= 1 && cluster.every_group_led().is_ok() {
                failover.respread_ms = Some(cluster.now() - back_at);
                break;
            }
        }
        failover.spread_after = Some(spread(&cluster.leaders_per_node()));
        row.failover[0].push(failover);
        eprintln!("  multi-group G={groups} seed {seed}: {failover:?}");
    }
}

fn net_counters<H: Host>(net: &Net<H>) -> (Counters, Counters) {
    (net.datagrams, net.bytes)
}

/// The baseline: idle traffic (seed 1) and the failover of every seed.
fn baseline_net(row: &mut Row) {
    let groups = row.groups;
    for &seed in &SEEDS {
        let mut net = engines_net(groups, seed);
        let settle = net.settle(120_000).expect("the engines settle");
        net.run_for(1_000);
        if seed == SEEDS[0] {
            row.settle_ms[1] = settle;
            let (d0, b0) = net_counters(&net);
            net.run_for(IDLE_INTERVALS * HEARTBEAT_MS);
            let (d1, b1) = net_counters(&net);
            row.idle[1] = idle_of(&|a, b| d1[a][b] - d0[a][b], &|a, b| b1[a][b] - b0[a][b]);
        }
        let led: Vec<u16> = (0..groups)
            .filter(|&g| net.led_by(g) == Some(CRASHED))
            .collect();
        let (d0, b0) = net_counters(&net);
        let crashed_at = net.now();
        net.crash(CRASHED);
        let mut remaining = led.clone();
        let mut times = Vec::new();
        while !remaining.is_empty() {
            assert!(net.now() - crashed_at < 30_000, "groups left leaderless");
            net.run_for(1);
            let now = net.now();
            remaining.retain(|&g| {
                let ok = net.led_by(g).is_some();
                if ok {
                    times.push(now - crashed_at);
                }
                !ok
            });
        }
        let (d1, b1) = net_counters(&net);
        let failover = Failover {
            all_ms: net.now() - crashed_at,
            median_group_ms: if times.is_empty() {
                0
            } else {
                median(&mut times)
            },
            groups: led.len(),
            datagrams_max: busiest_surviving(&d0, &d1),
            bytes_max: busiest_surviving(&b0, &b1),
            ..Failover::default()
        };
        row.failover[1].push(failover);
        eprintln!("  one engine per group G={groups} seed {seed}: {failover:?}");
    }
}

/// Idle CPU of node 1, both designs side by side.
fn cpu(row: &mut Row) {
    let groups = row.groups;
    let mut multi = groups_net(groups, queue_for(groups, 4), SEEDS[0]);
    let mut base = engines_net(groups, SEEDS[0]);
    multi.settle(120_000).expect("settles");
    base.settle(120_000).expect("settles");
    multi.run_for(1_000);
    base.run_for(1_000);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..CPU_ROUNDS {
        a.extend(multi.time_intervals(0, CPU_INTERVALS_PER_ROUND));
        b.extend(base.time_intervals(0, CPU_INTERVALS_PER_ROUND));
    }
    row.cpu = [median(&mut a), median(&mut b)];
}

/// Queue entries for a node: `per_group` per group, at least one per node.
fn queue_for(groups: u16, per_group: usize) -> usize {
    (usize::from(groups) * per_group).max(NODES)
}

#[derive(Clone, Copy, Debug)]
struct QueueTrial {
    per_group: usize,
    dropped: u64,
    failover_ms: Option<u64>,
    respread_ms: Option<u64>,
}

/// How many queue entries per group a partition of node 1 and its healing need.
fn queue_trials(groups: u16) -> Vec<QueueTrial> {
    let mut trials = Vec::new();
    for per_group in [1, 2, 3, 4, 10] {
        let mut net = groups_net(groups, queue_for(groups, per_group), SEEDS[0]);
        net.settle(120_000).expect("settles");
        net.run_for(1_000);
        let led: Vec<u16> = (0..groups)
            .filter(|&g| net.led_by(g) == Some(CRASHED))
            .collect();
        let cut_at = net.now();
        net.isolate(CRASHED, true);
        let mut failover_ms = None;
        while net.now() - cut_at < 5_000 {
            net.run_for(1);
            if failover_ms.is_none() && led.iter().all(|&g| net.led_by(g).is_some()) {
                failover_ms = Some(net.now() - cut_at);
            }
        }
        net.isolate(CRASHED, false);
        let healed_at = net.now();
        let respread_ms = net.settle(120_000).map(|_| net.now() - healed_at);
        let dropped = net
            .hosts
            .iter()
            .flatten()
            .map(|h| u64::from(h.node.statistics().items_dropped))
            .sum();
        let trial = QueueTrial {
            per_group,
            dropped,
            failover_ms,
            respread_ms,
        };
        eprintln!("  queue G={groups}: {trial:?}");
        trials.push(trial);
    }
    trials
}

fn main() -> std::io::Result<()> {
    let output = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "benches/results".into());
    let started = std::time::Instant::now();
    let mut rows = Vec::new();
    for &groups in &GROUPS {
        eprintln!("G = {groups}");
        let mut row = Row {
            groups,
            ..Row::default()
        };
        multigroup_cluster(&mut row);
        baseline_net(&mut row);
        cpu(&mut row);
        eprintln!("  idle {:?}, cpu {:?}", row.idle, row.cpu);
        rows.push(row);
    }
    eprintln!("queue sizing");
    let trials = queue_trials(10_000);
    let overhead = timer_overhead();
    let report = report(&rows, &trials, overhead, started.elapsed());
    std::fs::create_dir_all(&output)?;
    std::fs::write(format!("{output}/scale.md"), report)?;
    std::fs::write(format!("{output}/scale.svg"), chart(&rows))?;
    eprintln!("wrote {output}/scale.md and {output}/scale.svg");
    Ok(())
}

/// The median cost of timing an empty batch of calls.
fn timer_overhead() -> WallDuration {
    let mut samples: Vec<WallDuration> = (0..10_001)
        .map(|_| {
            let start = std::time::Instant::now();
            start.elapsed()
        })
        .collect();
    median(&mut samples)
}

fn micros(d: WallDuration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us >= 100.0 {
        format!("{us:.0} µs")
    } else {
        format!("{us:.2} µs")
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn med_of(failovers: &[Failover], f: impl Fn(&Failover) -> u64) -> u64 {
    let mut values: Vec<u64> = failovers.iter().map(f).collect();
    median(&mut values)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into());
    format!("{cpu}, {cores} cores shared with other jobs (load average {load} at the end)")
}

fn report(
    rows: &[Row],
    trials: &[QueueTrial],
    overhead: WallDuration,
    elapsed: WallDuration,
) -> String {
    let slot = size_of::<GroupSlot>();
    let item = size_of::<QueuedItem>();
    let node = size_of::<MultiGroupNode<'_, 8>>();
    let engine = size_of::<Engine<3>>();
    let needed = trials
        .iter()
        .find(|t| t.dropped == 0)
        .map_or(10, |t| t.per_group);
    let mut s = String::new();
    let _ = writeln!(s, "# Partitioned leadership at scale\n");
    let _ = writeln!(
        s,
        "Many quorum groups on five nodes: one multi-group node per host \
         (`bellwether::multigroup`, liveness per node pair) against one quorum `Engine` \
         per group per member (each group with its own heartbeats and acks). Written by\n\n\
         ```sh\ncargo run --release --example scale --features sim\n```\n"
    );
    let _ = writeln!(
        s,
        "Five nodes, three members per group (group g on nodes g mod 5 .. (g + 2) mod 5, \
         preferring node g mod 5), heartbeat interval H = 100 ms, election timeout \
         T = 1 s, drift bound 1,000 ppm, CRC-32 on every datagram, datagrams of at most \
         {DATAGRAM_SIZE} bytes (multi-group), one-way delays 1..=6 ms, no loss.\n"
    );
    let _ = writeln!(
        s,
        "| G | design | idle datagrams / pair / H (busiest; mean) | idle bytes / pair / H (busiest; mean) | idle CPU / node / H (median) | failover: all re-elected (median of 5 seeds) | failover: median group | failover: datagrams on the busiest surviving pair | memory per group (per node holding it) |"
    );
    let _ = writeln!(s, "|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        for (d, name) in ["multi-group", "engine per group"].iter().enumerate() {
            let idle = row.idle[d];
            let f = &row.failover[d];
            let memory = if d == 0 {
                format!("{} B", slot + needed * item)
            } else {
                format!("{engine} B")
            };
            let _ = writeln!(
                s,
                "| {} | {name} | {:.2}; {:.2} | {:.0}; {:.0} | {} | {} ms ({} groups) | {} ms | {} ({} B) | {memory} |",
                thousands(u64::from(row.groups)),
                idle.datagrams_max,
                idle.datagrams_mean,
                idle.bytes_max,
                idle.bytes_mean,
                micros(row.cpu[d]),
                thousands(med_of(f, |f| f.all_ms)),
                thousands(med_of(f, |f| f.groups as u64)),
                thousands(med_of(f, |f| f.median_group_ms)),
                thousands(med_of(f, |f| f.datagrams_max)),
                thousands(med_of(f, |f| f.bytes_max)),
            );
        }
    }
    let first = &rows[0];
    let last = &rows[rows.len() - 1];
    let ratio = |d: usize| last.cpu[d].as_secs_f64() / first.cpu[d].as_secs_f64();
    let _ = writeln!(
        s,
        "\nIdle CPU at G = {} against G = {}: ×{:.2} for multi-group, ×{:.0} for one engine \
         per group (same run, rounds alternating). Timing a batch of calls costs about {} \
         (`Instant::now` twice), included in every figure; a multi-group node makes about \
         ten timed batches per interval.\n",
        thousands(u64::from(last.groups)),
        first.groups,
        ratio(0),
        ratio(1),
        micros(overhead)
    );
    let _ = writeln!(s, "## Against the goals\n");
    let worst_idle = rows
        .iter()
        .map(|r| r.idle[0].datagrams_max)
        .fold(0.0, f64::max);
    let bytes: Vec<String> = rows
        .iter()
        .map(|r| format!("{:.0}", r.idle[0].bytes_max))
        .collect();
    let _ = writeln!(
        s,
        "- Idle datagrams per ordered pair per interval, at most {worst_idle:.2} at every G \
         (goal ≤ 1); bytes per pair per interval on the busiest pair: {} for G = {} \
         (goal: independent of G).",
        bytes.join(", "),
        GROUPS.map(|g| thousands(u64::from(g))).join(", ")
    );
    let _ = writeln!(
        s,
        "- Idle CPU at G = 10,000 is ×{:.2} that of G = 1 (goal ≤ ×2); the criterion bench \
         `scale/idle_interval/<G>` (`cargo bench --bench scale --features sim`) measures the \
         same interval.",
        ratio(0)
    );
    let fo = med_of(&last.failover[0], |f| f.all_ms);
    let fg = med_of(&last.failover[0], |f| f.median_group_ms);
    let _ = writeln!(
        s,
        "- Failover at G = 10,000: every group of the crashed node re-elected after {} ms \
         (median of seeds), median group {} ms, against 1.5 T = 1,500 ms. Datagrams on the \
         busiest surviving pair during it: {}.",
        thousands(fo),
        thousands(fg),
        rows.iter()
            .map(|r| format!(
                "{} (G = {})",
                thousands(med_of(&r.failover[0], |f| f.datagrams_max)),
                thousands(u64::from(r.groups))
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        s,
        "- Memory per group: a `GroupSlot` is {slot} B and a `QueuedItem` {item} B; with \
         {needed} queue entries per group (the fewest that dropped no item in the trials \
         below) a group costs {} B per node that holds it (goal ≤ 128 B), plus {} B per \
         node (`size_of::<MultiGroupNode<'_, 8>>()`). One `Engine<3>` per member is {engine} \
         B. A node allocates a slot for every group index, its own groups or not.",
        slot + needed * item,
        thousands(node as u64),
    );
    let respread: Vec<String> = rows
        .iter()
        .map(|r| {
            let mut ms: Vec<u64> = r.failover[0]
                .iter()
                .map(|f| f.respread_ms.unwrap_or(u64::MAX))
                .collect();
            let worst = r.failover[0]
                .iter()
                .map(|f| f.spread_after.unwrap_or(usize::MAX))
                .max()
                .unwrap_or(0);
            format!(
                "G = {}: {} ms, max − min {worst}",
                thousands(u64::from(r.groups)),
                thousands(median(&mut ms))
            )
        })
        .collect();
    let _ = writeln!(
        s,
        "- Leadership spread back after node 1 restarts (leaders per node max − min ≤ 1, \
         every group led; median of seeds, worst max − min at the end): {}.\n",
        respread.join("; ")
    );
    let _ = writeln!(s, "## Queue entries per group\n");
    let _ = writeln!(
        s,
        "G = 10,000 (seed 1): node 1 is cut off for 5 s, then the partition heals and the \
         clock runs until every group is led by its preferred member again. Items dropped \
         for a full queue (the protocol retries them, as after a loss), summed over the \
         nodes:\n"
    );
    let _ = writeln!(
        s,
        "| queue entries per group per node | bytes per group | items dropped | failover (all of node 1's groups) | spread back after the heal |"
    );
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|");
    for t in trials {
        let _ = writeln!(
            s,
            "| {} | {} B | {} | {} | {} |",
            t.per_group,
            slot + t.per_group * item,
            thousands(t.dropped),
            t.failover_ms.map_or("not within 5 s".into(), |ms| format!(
                "{} ms",
                thousands(ms)
            )),
            t.respread_ms
                .map_or("not within 120 s".into(), |ms| format!(
                    "{} ms",
                    thousands(ms)
                )),
        );
    }
    let _ = writeln!(s, "\n## How it is measured\n");
    let _ = writeln!(
        s,
        "- **Idle traffic**: once every group is led by its preferred member, plus one \
         second, datagrams and bytes sent per ordered pair over {IDLE_INTERVALS} intervals, \
         divided by {IDLE_INTERVALS}; \"busiest\" is the largest pair, \"mean\" the mean over \
         pairs that carry traffic. Multi-group in `bellwether::sim::multigroup::Cluster`; \
         the baseline in a network of the same shape in which every group's three engines \
         share the five hosts (`benches/support/scale_net.rs`). Both count datagrams as \
         sent, bytes as on the wire (CRC-32 included)."
    );
    let _ = writeln!(
        s,
        "- **Idle CPU**: node 1's work in one interval, timed with `std::time::Instant` \
         around each batch of library calls the host makes at one instant \
         (`handle_bytes` or `handle_timeout`, then `poll_persist`/`confirm_persisted`, \
         `poll_transmit` with the copy of each datagram to an outbox, `poll_event`); median \
         over {} intervals, in {CPU_ROUNDS} rounds of {CPU_INTERVALS_PER_ROUND} that \
         alternate between the designs. The simulator's own work (its in-flight queue, the \
         baseline's heap of engine deadlines and routing by group) is not timed.",
        CPU_ROUNDS * CPU_INTERVALS_PER_ROUND
    );
    let _ = writeln!(
        s,
        "- **Failover**: node 1 (index 0) crashes one second after the cluster settled; a \
         group counts as re-elected when one live member leads it with a lease and every \
         live member follows that leader (multi-group: `Cluster::run_while` checking \
         `group_led` after every step; baseline: every millisecond). Seeds {}..={}; each \
         cell is the median over seeds. Datagrams: the busiest ordered pair of survivors, \
         from the crash until the last group was re-elected (it includes the idle \
         traffic of that window).",
        SEEDS[0],
        SEEDS[SEEDS.len() - 1]
    );
    let _ = writeln!(
        s,
        "- **Memory**: `size_of` on this target (x86-64). The baseline needs no queue (an \
         engine's outgoing messages live inside it)."
    );
    let _ = writeln!(
        s,
        "\nMachine: {}; rustc release profile (LTO, one codegen unit). The whole run took \
         {:.0} s. Times are noisy: read the ratios, measured side by side in one run.",
        machine(),
        elapsed.as_secs_f64()
    );
    s
}

// ---------------------------------------------------------------- the chart

fn chart(rows: &[Row]) -> String {
    let (width, height) = (960.0, 420.0);
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
    );
    let datagrams: [Vec<f64>; 2] =
        [0, 1].map(|d| rows.iter().map(|r| r.idle[d].datagrams_max).collect());
    let cpu: [Vec<f64>; 2] =
        [0, 1].map(|d| rows.iter().map(|r| r.cpu[d].as_secs_f64() * 1e6).collect());
    let xs: Vec<f64> = rows.iter().map(|r| f64::from(r.groups)).collect();
    panel(
        &mut svg,
        (70.0, 50.0),
        &xs,
        &datagrams,
        "Idle datagrams per ordered node pair per interval (busiest pair)",
    );
    panel(
        &mut svg,
        (550.0, 50.0),
        &xs,
        &cpu,
        "Idle CPU per node per interval, µs (median)",
    );
    // Legend.
    for (d, (label, colour)) in [
        ("multi-group node", "#1f77b4"),
        ("one engine per group", "#d62728"),
    ]
    .iter()
    .enumerate()
    {
        let x = 300.0 + d as f64 * 220.0;
        let _ = writeln!(
            svg,
            "<line x1=\"{x}\" y1=\"400\" x2=\"{}\" y2=\"400\" stroke=\"{colour}\" stroke-width=\"2.5\"/>\
             <circle cx=\"{}\" cy=\"400\" r=\"3.5\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"404\">{label}</text>",
            x + 30.0,
            x + 15.0,
            x + 38.0
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">5 nodes, 3 members per group, H = 100 ms, T = 1 s (log–log)</text>",
        width / 2.0
    );
    svg.push_str("</svg>\n");
    svg
}

/// One log–log panel at `origin` (top left of the plot area), 340 × 280.
fn panel(
    svg: &mut String,
    (left, top): (f64, f64),
    xs: &[f64],
    series: &[Vec<f64>; 2],
    title: &str,
) {
    let (w, h) = (340.0, 280.0);
    let all = series.iter().flatten().copied().filter(|v| *v > 0.0);
    let lo = all.clone().fold(f64::MAX, f64::min).log10().floor();
    let hi = all.fold(f64::MIN, f64::max).log10().ceil().max(lo + 1.0);
    let x_of = |x: f64| left + x.log10() / 4.0 * w;
    let y_of = |y: f64| top + h - (y.log10() - lo) / (hi - lo) * h;
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{title}</text>",
        left + w / 2.0,
        top - 10.0
    );
    let mut decade = lo;
    while decade <= hi {
        let y = y_of(10f64.powf(decade));
        let _ = writeln!(
            svg,
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left + w,
            left - 6.0,
            y + 4.0,
            label(10f64.powf(decade))
        );
        decade += 1.0;
    }
    for x in [1.0, 10.0, 100.0, 1_000.0, 10_000.0] {
        let px = x_of(x);
        let _ = writeln!(
            svg,
            "<line x1=\"{px:.1}\" y1=\"{top}\" x2=\"{px:.1}\" y2=\"{}\" stroke=\"#ddd\"/>\
             <text x=\"{px:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            top + h,
            top + h + 16.0,
            label(x)
        );
    }
    let _ = writeln!(
        svg,
        "<rect x=\"{left}\" y=\"{top}\" width=\"{w}\" height=\"{h}\" fill=\"none\" stroke=\"#333\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">groups G</text>",
        left + w / 2.0,
        top + h + 34.0
    );
    for (values, colour) in series.iter().zip(["#1f77b4", "#d62728"]) {
        let points: Vec<(f64, f64)> = xs
            .iter()
            .zip(values)
            .filter(|(_, v)| **v > 0.0)
            .map(|(x, v)| (x_of(*x), y_of(*v)))
            .collect();
        let path: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = writeln!(
            svg,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2.5\"/>",
            path.join(" ")
        );
        for (x, y) in points {
            let _ = writeln!(
                svg,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" fill=\"{colour}\"/>"
            );
        }
    }
}

fn label(v: f64) -> String {
    if v >= 1.0 {
        thousands(v.round() as u64)
    } else {
        format!("{v}")
    }
}
