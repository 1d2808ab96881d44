//! Builders shared by the integration tests.
#![allow(dead_code)]

use bellwether::sim::Simulation;
use bellwether::{Algorithm, BullyOptions, Config, GroupId, Member, NodeId, Timing};

/// The capacity every test engine is built with.
pub const CAPACITY: usize = 32;

/// The group every test engine belongs to.
pub const GROUP: GroupId = GroupId(1);

/// Configurations for members `1..=n`, ranked by id, running Bully with `options`.
pub fn bully_configs(n: u32, options: BullyOptions, timing: Timing) -> Vec<Config<CAPACITY>> {
    let members: Vec<Member> = (1..=n).map(Member::with_id).collect();
    (1..=n)
        .map(|id| {
            Config::new(GROUP, NodeId(id), &members, Algorithm::Bully(options))
                .expect("valid test configuration")
                .with_timing(timing)
        })
        .collect()
}

/// A simulated Bully group of members `1..=n`.
pub fn bully_sim(seed: u64, n: u32, options: BullyOptions, timing: Timing) -> Simulation<CAPACITY> {
    Simulation::new(seed, bully_configs(n, options, timing))
}

/// Shorthand for a node id.
pub fn node(id: u32) -> NodeId {
    NodeId(id)
}
