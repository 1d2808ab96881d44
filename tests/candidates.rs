//! Candidate/ordinary election with tie-breaker delays (Petrov, *Database Internals*,
//! ch. 10), scripted on the simulator with a perfect 1 ms network.
#![cfg(feature = "sim")]

mod common;

use bellwether::sim::Simulation;
use bellwether::unstable::Kind;
use bellwether::{
    Algorithm, CandidateOptions, Config, ConfigError, Duration, Engine, GroupId, Instant, Member,
    NodeId, Preemption, Timing,
};
use common::{CAPACITY, NO_JITTER, configs, configs_of, elect, led_by, node, sent, sorted};

const WITH_DELAY: Algorithm = Algorithm::Candidates(CandidateOptions::DEFAULT);
const WITHOUT_DELAY: Algorithm =
    Algorithm::Candidates(CandidateOptions::new(None, Preemption::Immediate));

/// Members 1..6 where the odd ones are ordinary and 2, 4, 6 are candidates.
fn mixed_members() -> Vec<Member> {
    (1..=6)
        .map(|id| match id % 2 {
            0 => Member::with_id(id),
            _ => Member::with_id(id).ordinary(),
        })
        .collect()
}

fn booted(configs: Vec<Config<CAPACITY>>, leader: u32) -> Simulation<CAPACITY> {
    led_by(
        Simulation::new(5, configs).expect("valid configurations"),
        leader,
    )
}

/// Candidates 2, 4, 6; 6 leads and fails; ordinary node 1 notices. 1 asks both remaining
/// candidates (2 `Election`), both answer (2 `Alive`), 1 asks the higher, 4, to proceed
/// (1 `Proceed`), and 4 announces to every member but itself and the failed 6 (4
/// `Coordinator`): 2 + 2 + 1 + 4 = 9 messages.
#[test]
fn an_ordinary_node_elects_the_highest_answering_candidate_in_nine_messages() {
    let mut sim = booted(configs_of(&mixed_members(), WITHOUT_DELAY, Timing::LAN), 6);
    sim.crash(node(6));
    let start = sim.log().len();
    sim.fire_timeout(node(1)).unwrap();
    sim.deliver_all().unwrap();
    let expected = vec![
        (Kind::Election, 1, 2),
        (Kind::Election, 1, 4),
        (Kind::Alive, 2, 1),
        (Kind::Alive, 4, 1),
        (Kind::Proceed, 1, 4),
        (Kind::Coordinator, 4, 1),
        (Kind::Coordinator, 4, 2),
        (Kind::Coordinator, 4, 3),
        (Kind::Coordinator, 4, 5),
    ];
    assert_eq!(sorted(sent(&sim, start)), sorted(expected));
    assert_eq!(sim.agreed_leader(), Some(node(4)));
}

/// With every candidate down, ordinary nodes never lead: they keep trying, leaderless,
/// and follow the first candidate that comes back.
#[test]
fn ordinary_nodes_never_lead() {
    let mut sim = booted(configs_of(&mixed_members(), WITH_DELAY, Timing::LAN), 6);
    for candidate in [2, 4, 6] {
        sim.crash(node(candidate));
    }
    sim.run_for(Duration::from_secs(5)).unwrap();
    assert!(sim.leaders().is_empty(), "{:?}", sim.leaders());
    assert!(sim.live().all(|engine| engine.leader().is_none()));
    sim.restart(node(2));
    elect(&mut sim, 2, Duration::from_secs(2)); // the returning candidate leads
}

/// Messages sent after the crash, and how many nodes started an election of their own.
fn all_notice_at_once(algorithm: Algorithm) -> (usize, usize) {
    let mut sim = booted(configs(6, algorithm, NO_JITTER), 6);
    sim.crash(node(6));
    let crash = sim.now();
    elect(&mut sim, 5, Duration::from_secs(2));
    let after: Vec<_> = sim
        .log()
        .iter()
        .filter(|r| r.at >= crash && !r.kind.is_liveness())
        .collect();
    let mut initiators: Vec<NodeId> = after
        .iter()
        .filter(|r| r.kind == Kind::Election)
        .map(|r| r.from)
        .collect();
    initiators.dedup();
    (after.len(), initiators.len())
}

/// Every survivor notices at the same instant. Without δ, nodes 1..4 all start elections
/// (10 `Election`s); with δ, 5 waits one step, leads, and its `Coordinator` reaches the
/// others before their longer delays end: no concurrent election at all.
#[test]
fn the_tie_breaker_delay_prevents_concurrent_elections() {
    let (with_messages, with_initiators) = all_notice_at_once(WITH_DELAY);
    let (without_messages, without_initiators) = all_notice_at_once(WITHOUT_DELAY);
    println!(
        "all notice at once: with δ {with_messages} messages, {with_initiators} elections; \
         without δ {without_messages} messages, {without_initiators} elections"
    );
    assert_eq!(with_initiators, 0);
    assert_eq!(without_initiators, 4);
    assert!(with_messages < without_messages);
}

/// The delay grows with the number of members ranked above: higher rank, smaller δ.
#[test]
fn the_tie_breaker_delay_is_the_step_times_the_members_above() {
    for (me, above) in [(6u32, 0u64), (4, 2), (1, 5)] {
        let config = configs(6, WITH_DELAY, Timing::LAN).remove(me as usize - 1);
        let mut engine = Engine::new(config, Instant::ZERO).unwrap();
        let noticed = engine.poll_timeout().unwrap();
        engine.handle_timeout(noticed);
        if above == 0 {
            assert!(engine.is_leader(), "the highest node starts at once");
        } else {
            let start = engine.poll_timeout().unwrap();
            assert_eq!(
                start - noticed,
                Duration::from_millis(60 * above),
                "node {me}"
            );
        }
    }
}

#[test]
fn a_step_shorter_than_the_round_trip_timeout_is_refused() {
    let short = Algorithm::Candidates(CandidateOptions::new(
        Some(Duration::from_millis(10)),
        Preemption::Immediate,
    ));
    let members = [Member::with_id(1), Member::with_id(2)];
    assert_eq!(
        Config::<4>::new(GroupId(1), NodeId(1), &members, short).and_then(|c| c.validate()),
        Err(ConfigError::TieBreakerStepTooShort)
    );
}
