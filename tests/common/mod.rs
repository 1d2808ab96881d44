//! Builders shared by the integration tests.
#![allow(dead_code)]

use bellwether::sim::Simulation;
use bellwether::{Algorithm, BullyOptions, Config, GroupId, Member, NodeId, Timing};

/// The capacity every test engine is built with.
pub const CAPACITY: usize = 32;

/// The group every test engine belongs to.
pub const GROUP: GroupId = GroupId(1);

/// Configurations for candidate members `1..=n`, ranked by id, running `algorithm`.
pub fn configs(n: u32, algorithm: Algorithm, timing: Timing) -> Vec<Config<CAPACITY>> {
    let members: Vec<Member> = (1..=n).map(Member::with_id).collect();
    configs_of(&members, algorithm, timing)
}

/// Configurations for every member of `members`, running `algorithm`.
pub fn configs_of(
    members: &[Member],
    algorithm: Algorithm,
    timing: Timing,
) -> Vec<Config<CAPACITY>> {
    members
        .iter()
        .map(|member| {
            Config::new(GROUP, member.id, members, algorithm)
                .expect("valid test configuration")
                .with_timing(timing)
        })
        .collect()
}

/// Configurations for members `1..=n`, ranked by id, running Bully with `options`.
pub fn bully_configs(n: u32, options: BullyOptions, timing: Timing) -> Vec<Config<CAPACITY>> {
    configs(n, Algorithm::Bully(options), timing)
}

/// A simulated Bully group of members `1..=n`.
pub fn bully_sim(seed: u64, n: u32, options: BullyOptions, timing: Timing) -> Simulation<CAPACITY> {
    Simulation::new(seed, bully_configs(n, options, timing))
}

/// Shorthand for a node id.
pub fn node(id: u32) -> NodeId {
    NodeId(id)
}

/// Configurations for members `1..=n`, ranked by id, running invitation election with
/// `options`.
pub fn invitation_configs(
    n: u32,
    options: bellwether::InvitationOptions,
    timing: Timing,
) -> Vec<Config<CAPACITY>> {
    let members: Vec<Member> = (1..=n).map(Member::with_id).collect();
    (1..=n)
        .map(|id| {
            Config::new(GROUP, NodeId(id), &members, Algorithm::Invitation(options))
                .expect("valid test configuration")
                .with_timing(timing)
        })
        .collect()
}

/// A simulated invitation group of members `1..=n`.
pub fn invitation_sim(
    seed: u64,
    n: u32,
    options: bellwether::InvitationOptions,
    timing: Timing,
) -> Simulation<CAPACITY> {
    Simulation::new(seed, invitation_configs(n, options, timing))
}

/// Configurations for members `1..=n`, ranked by id, running ring election with `variant`.
#[cfg(feature = "ring")]
pub fn ring_configs(
    n: u32,
    variant: bellwether::RingVariant,
    timing: Timing,
) -> Vec<Config<CAPACITY>> {
    let members: Vec<Member> = (1..=n).map(Member::with_id).collect();
    let algorithm = Algorithm::Ring(bellwether::RingOptions::new(variant));
    (1..=n)
        .map(|id| {
            Config::new(GROUP, NodeId(id), &members, algorithm)
                .expect("valid test configuration")
                .with_timing(timing)
        })
        .collect()
}

/// A simulated ring-election group of members `1..=n`.
#[cfg(feature = "ring")]
pub fn ring_sim(
    seed: u64,
    n: u32,
    variant: bellwether::RingVariant,
    timing: Timing,
) -> Simulation<CAPACITY> {
    Simulation::new(seed, ring_configs(n, variant, timing))
}
