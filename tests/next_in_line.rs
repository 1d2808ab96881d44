//! Next-in-line failover (Petrov, *Database Internals*, ch. 10), scripted on the simulator
//! with a perfect 1 ms network.
#![cfg(feature = "sim")]

mod common;

use bellwether::sim::Simulation;
use bellwether::unstable::{Body, Kind, Successors};
use bellwether::{
    Algorithm, Duration, Engine, Instant, NextInLineOptions, NodeId, Preemption, Timing,
};
use common::{CAPACITY, configs, elect, led_by, node, sent, sorted};

fn group(successors: u8) -> Simulation<CAPACITY> {
    let algorithm =
        Algorithm::NextInLine(NextInLineOptions::new(successors, Preemption::Immediate));
    // 6 leads; its Coordinator carries its successor list.
    led_by(
        Simulation::new(3, configs(6, algorithm, Timing::LAN)).expect("valid configurations"),
        6,
    )
}

/// Node 6, leading a group of six with three successors, names 5, 4 and 3 in that order
/// in its announcement and in every heartbeat.
#[test]
fn the_leader_publishes_the_members_just_below_it_best_first() {
    let algorithm = Algorithm::NextInLine(NextInLineOptions::new(3, Preemption::Immediate));
    let config = configs(6, algorithm, Timing::LAN).pop().unwrap();
    let mut engine = Engine::new(config, Instant::ZERO).unwrap();
    engine.handle_timeout(engine.poll_timeout().unwrap());
    assert!(engine.is_leader());
    let expected: Successors = [5, 4, 3].into_iter().map(NodeId).collect();
    let announcement = engine.poll_message().unwrap();
    assert_eq!(
        *announcement.body(),
        Body::Coordinator {
            successors: expected.clone()
        }
    );
    while engine.poll_message().is_some() {}
    engine.handle_timeout(engine.poll_timeout().unwrap());
    let heartbeat = engine.poll_message().unwrap();
    assert_eq!(
        *heartbeat.body(),
        Body::Heartbeat {
            successors: expected
        }
    );
}

/// 6 leads and fails; 3 notices first. 3 sends `TakeOver` to 5, the first successor (1);
/// 5 leads at once and announces to every member except itself and the failed 6: 1, 2, 3,
/// 4 (4). That is n - 1 = 5 messages, against Bully's 9 for the same failure.
#[test]
fn canonical_failover_takes_five_messages() {
    let mut sim = group(3);
    sim.crash(node(6));
    let start = sim.log().len();
    sim.fire_timeout(node(3)).unwrap();
    sim.deliver_all().unwrap();
    let expected = vec![
        (Kind::TakeOver, 3, 5),
        (Kind::Coordinator, 5, 1),
        (Kind::Coordinator, 5, 2),
        (Kind::Coordinator, 5, 3),
        (Kind::Coordinator, 5, 4),
    ];
    assert_eq!(sorted(sent(&sim, start)), sorted(expected));
    assert_eq!(sim.agreed_leader(), Some(node(5)));
}

/// The noticing node is itself first in line: it leads without asking anyone and
/// announces to the other four survivors: 4 messages.
#[test]
fn first_in_line_noticing_leads_at_once() {
    let mut sim = group(3);
    sim.crash(node(6));
    let start = sim.log().len();
    sim.fire_timeout(node(5)).unwrap();
    sim.deliver_all().unwrap();
    assert_eq!(sent(&sim, start).len(), 4);
    assert!(
        sent(&sim, start)
            .iter()
            .all(|&(kind, from, _)| kind == Kind::Coordinator && from == 5)
    );
    assert_eq!(sim.agreed_leader(), Some(node(5)));
}

/// 6 and 5 fail together; 3 asks 5, hears nothing for one round-trip timeout, skips to 4,
/// which leads: 2 `TakeOver` + 4 `Coordinator` (to 1, 2, 3 and the dead 5).
#[test]
fn an_unresponsive_successor_is_skipped() {
    let mut sim = group(3);
    sim.crash(node(6));
    sim.crash(node(5));
    let start = sim.log().len();
    sim.fire_timeout(node(3)).unwrap();
    sim.deliver_all().unwrap();
    sim.fire_timeout(node(3)).unwrap(); // round-trip timeout: skip 5
    sim.deliver_all().unwrap();
    let takeovers: Vec<_> = sent(&sim, start)
        .into_iter()
        .filter(|m| m.0 == Kind::TakeOver)
        .collect();
    assert_eq!(takeovers, [(Kind::TakeOver, 3, 5), (Kind::TakeOver, 3, 4)]);
    assert_eq!(sent(&sim, start).len(), 6);
    assert_eq!(sim.agreed_leader(), Some(node(4)));
}

/// With one published successor and both it and the leader gone, the list is exhausted
/// after one round trip and 3 falls back to a Bully election, which elects 4.
#[test]
fn an_exhausted_list_falls_back_to_bully() {
    let mut sim = group(1);
    sim.crash(node(6));
    sim.crash(node(5));
    let start = sim.log().len();
    sim.fire_timeout(node(3)).unwrap();
    sim.deliver_all().unwrap();
    sim.fire_timeout(node(3)).unwrap(); // 5 is silent: the list is exhausted
    sim.deliver_all().unwrap();
    assert!(
        sent(&sim, start).contains(&(Kind::Election, 3, 4)),
        "Bully fallback: {:?}",
        sent(&sim, start)
    );
    elect(&mut sim, 4, Duration::from_secs(1)); // 4 is elected by the fallback
}

/// A node that never heard the failed leader's list (it restarted after the last
/// announcement) has no successors to try and runs a Bully election instead.
#[test]
fn a_node_without_a_list_runs_bully() {
    let mut sim = group(3);
    sim.crash(node(3));
    sim.restart(node(3));
    sim.crash(node(6));
    let start = sim.log().len();
    sim.fire_timeout(node(3)).unwrap();
    let first = sent(&sim, start);
    assert!(
        !first.is_empty() && first.iter().all(|m| m.0 == Kind::Election),
        "{first:?}"
    );
    elect(&mut sim, 5, Duration::from_secs(1));
}
