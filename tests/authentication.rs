//! Authenticated and checksummed groups elect and keep their leaders like plain ones.

mod common;

use bellwether::sim::{Simulation, leader_names_itself, one_leader_per_term, one_lease_at_a_time};
use bellwether::{
    Algorithm, AuthOptions, BullyOptions, CmacKeys, Config, Duration, Instant, KeyId, Protection,
    QuorumOptions, Timing,
};
use common::{CAPACITY, configs};

const KEY: [u8; 16] = *b"bellwether-test!";

fn protected(n: u32, algorithm: Algorithm, protection: Protection) -> Vec<Config<CAPACITY>> {
    configs(n, algorithm, Timing::LAN)
        .into_iter()
        .enumerate()
        .map(|(i, mut config)| {
            config.protection = match protection {
                // Each node its own session, as if drawn from its boot counter.
                Protection::Authenticated(options) => Protection::Authenticated(AuthOptions {
                    session: options.session + 100 * i as u32,
                    ..options
                }),
                other => other,
            };
            config
        })
        .collect()
}

#[test]
fn authenticated_quorum_and_bully_groups_elect_and_survive_a_restart() {
    for algorithm in [
        Algorithm::Quorum(QuorumOptions::DEFAULT),
        Algorithm::Bully(BullyOptions::CLASSIC),
    ] {
        let configs = protected(5, algorithm, Protection::Authenticated(AuthOptions::new(1)));
        let mut sim =
            Simulation::with_authenticator(7, configs, CmacKeys::new(KeyId(1), &KEY)).unwrap();
        if matches!(algorithm, Algorithm::Quorum(_)) {
            sim.add_invariant("one leader per term", one_leader_per_term());
            sim.add_invariant("one lease at a time", one_lease_at_a_time);
        }
        sim.add_invariant("leaders name themselves", leader_names_itself);
        sim.run_until(Instant::from_millis(3_000)).unwrap();
        let leader = sim.agreed_leader().expect("a leader within 3 s");
        sim.crash(leader);
        sim.run_for(Duration::from_millis(3_000)).unwrap();
        let next = sim
            .agreed_leader()
            .expect("a new leader 3 s after the crash");
        assert_ne!(next, leader);
        sim.restart(leader);
        sim.run_for(Duration::from_millis(3_000)).unwrap();
        assert!(
            sim.agreed_leader().is_some(),
            "{algorithm:?}: {:?}",
            sim.view()
        );
        for engine in sim.live() {
            let stats = engine.statistics();
            assert_eq!(
                stats.bad_mac + stats.malformed + stats.replay,
                0,
                "{stats:?}"
            );
        }
    }
}

#[test]
fn checksummed_groups_elect() {
    let configs = protected(
        5,
        Algorithm::Quorum(QuorumOptions::DEFAULT),
        Protection::Checksum,
    );
    let mut sim = Simulation::new(3, configs).unwrap();
    sim.run_until(Instant::from_millis(3_000)).unwrap();
    assert!(sim.agreed_leader().is_some());
}
