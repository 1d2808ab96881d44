//! Idle cost of partitioned leadership against the number of groups.
//!
//! `scale/idle_interval/<G>`: one heartbeat interval (100 ms of simulated time) of a
//! settled five-node cluster with `G` quorum groups of three members, run by one
//! multi-group node per host; the time reported is node 1's work in that interval (its
//! `handle_timeout`, `handle_bytes` and output drains, timed with `Instant` around each
//! batch of calls, the simulator's own work excluded). `scale/engine_per_group/<G>`: the
//! same for the baseline, one quorum `Engine` per group per member. The network is
//! `benches/support/scale_net.rs`, shared with `examples/scale.rs`.
//!
//! ```sh
//! cargo bench --bench scale --features sim
//! ```

#![allow(clippy::expect_used)]

#[path = "support/scale_net.rs"]
mod scale_net;

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

use scale_net::{Host, Net, engines_net, groups_net};

fn settled<H: Host>(mut net: Net<H>) -> Net<H> {
    net.settle(120_000).expect("the cluster settles");
    net.run_for(1_000);
    net
}

fn idle_interval(c: &mut Criterion) {
    let mut group = c.benchmark_group("scale");
    for groups in [1u16, 1_000, 10_000] {
        let mut net = settled(groups_net(groups, usize::from(groups) * 4, 1));
        group.bench_function(format!("idle_interval/{groups}"), |b| {
            b.iter_custom(|iterations| {
                (0..iterations)
                    .map(|_| net.time_one_interval(0))
                    .sum::<Duration>()
            });
        });
    }
    for groups in [1u16, 100] {
        let mut net = settled(engines_net(groups, 1));
        group.bench_function(format!("engine_per_group/{groups}"), |b| {
            b.iter_custom(|iterations| {
                (0..iterations)
                    .map(|_| net.time_one_interval(0))
                    .sum::<Duration>()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, idle_interval);
criterion_main!(benches);
