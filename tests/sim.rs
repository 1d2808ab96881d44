//! The simulator's pause and clock-drift faults, shown on Bully.
#![cfg(feature = "sim")]

mod common;

use bellwether::unstable::Kind;
use bellwether::{BullyOptions, Duration, Timing};
use common::{NO_JITTER, bully_sim, elect, led_by, node};

/// A paused leader still believes it leads while the others, hearing nothing, elect a new
/// one: two nodes claim leadership at once (what leases guard against). On resume it
/// handles what reached it meanwhile, in order, and the group converges again.
#[test]
fn a_paused_leader_is_replaced_and_catches_up_when_it_resumes() {
    let mut sim = led_by(bully_sim(1, 5, BullyOptions::CLASSIC, Timing::LAN), 5);
    sim.pause(node(5));
    assert!(sim.is_paused(node(5)));
    sim.run_for(Duration::from_secs(2)).unwrap();
    for id in 1..=4 {
        assert_eq!(
            sim.engine(node(id)).unwrap().leader(),
            Some(node(4)),
            "node {id}"
        );
    }
    assert!(
        sim.engine(node(5)).unwrap().is_leader(),
        "the paused node never noticed"
    );
    assert_eq!(sim.leaders(), [node(4), node(5)]);
    let sent_while_paused = sim
        .log()
        .iter()
        .filter(|r| r.from == node(5) && r.at > sim.now() - Duration::from_secs(2))
        .count();
    assert_eq!(sent_while_paused, 0, "a paused node sends nothing");
    sim.resume(node(5)).unwrap();
    assert!(!sim.is_paused(node(5)));
    elect(&mut sim, 5, Duration::from_secs(1));
}

/// A follower whose clock runs 10% fast suspects the crashed leader after 500 ms of its
/// own time, 455 ms of real time, and so starts the election before the others, whose
/// clocks keep real time.
#[test]
fn a_fast_clock_fires_its_timers_early_in_real_time() {
    let mut sim = led_by(bully_sim(2, 4, BullyOptions::CLASSIC, NO_JITTER), 4);
    sim.set_drift(node(1), 100_000);
    sim.run_for(Duration::from_millis(1_000)).unwrap();
    let last_heartbeat = sim
        .log()
        .iter()
        .rev()
        .find(|r| r.kind == Kind::Heartbeat && r.to == node(1))
        .map(|r| r.at)
        .unwrap();
    sim.crash(node(4));
    elect(&mut sim, 3, Duration::from_secs(2));
    let first = sim.log().iter().find(|r| r.kind == Kind::Election).unwrap();
    assert_eq!(first.from, node(1), "the fast clock noticed first");
    // Heard at last_heartbeat + 1 ms (the delay); 500 local ms later is 455 real ms later.
    let suspected_after = first.at - (last_heartbeat + Duration::from_millis(1));
    assert!(
        (454..=456).contains(&suspected_after.as_millis()),
        "suspected after {suspected_after}"
    );
    assert!(sim.local_time(node(1)) > sim.now());
}
