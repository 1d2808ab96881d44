#![cfg(all(feature = "sim", feature = "quorum", feature = "mutants"))]
//! Quorum election: the counterexamples found by driving the public `Engine` API from
//! outside (no forged message, exact clocks), each replayed as a deterministic schedule on
//! a directly driven network.
//!
//! Every test runs its schedule twice: as the engine is, where the promise holds, and
//! with the one fix that closes the counterexample undone (feature `mutants`), where the
//! schedule must break the promise again. So each test shows both that the bug is gone
//! and that the schedule still reaches it, i.e. that the test can fail.
//!
//! Configuration: [`Timing::LAN`] (election timeout T = 500 ms, heartbeat h = 100 ms),
//! [`QuorumOptions::DEFAULT`] (pre-vote, check-quorum, ρ = 1 %, the longest safe lease),
//! one-way delays of 1 ms, one clock for all nodes.

mod common;

use bellwether::unstable::{Body, Kind};
use bellwether::{
    Durability, Duration, Instant, Member, Message, Mutation, QuorumOptions, Role, Term,
};
use common::net::{Flight, Net, TIMING};
use common::node;

const T: Duration = TIMING.failure_timeout;
const H: Duration = TIMING.heartbeat_interval;
const OPTIONS: QuorumOptions = QuorumOptions::DEFAULT;
const VOLATILE: QuorumOptions = OPTIONS.with_durability(Durability::Volatile);

const fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// The members `1..=n`, all candidates of equal priority.
fn members(n: u32) -> Vec<Member> {
    (1..=n).map(Member::with_id).collect()
}

/// A network of members `1..=n` with `options`, 1 ms delays, with `undone` undone.
fn network(seed: u64, n: u32, options: QuorumOptions, undone: Option<Mutation>) -> Net {
    Net::new(seed, &members(n), options, ms(1)).mutated(undone)
}

/// Takes the first message in flight that `pick` accepts out of the network: the test
/// holds it back (delivers it later with [`release`], or never).
fn hold(net: &mut Net, pick: impl Fn(&Message) -> bool) -> Flight {
    let index = net
        .in_flight
        .iter()
        .position(|f| pick(&f.message))
        .unwrap_or_else(|| panic!("no such message in flight: {:?}", net.view()));
    net.in_flight.remove(index)
}

/// Puts a held message back in flight, to arrive now.
fn release(net: &mut Net, mut flight: Flight) {
    flight.at = net.now;
    net.in_flight.push(flight);
}

fn is(kind: Kind, from: u32, to: u32) -> impl Fn(&Message) -> bool {
    move |m| {
        m.body().kind() == kind
            && m.from() == node(from)
            && m.to() == bellwether::Destination::Node(node(to))
    }
}

/// Runs `scenario` as the engine is and with `fix` undone: as it is, it must record no
/// violation; undone, it must record one. Returns the first violation of the mutated run.
fn holds_only_with_the_fix(fix: Mutation, scenario: impl Fn(Option<Mutation>) -> Net) -> String {
    let fixed = scenario(None);
    assert!(
        fixed.violations.is_empty(),
        "with the fix: {:?}\n{:?}",
        fixed.violations,
        fixed.view()
    );
    let broken = scenario(Some(fix));
    assert!(
        !broken.violations.is_empty(),
        "the schedule no longer breaks the engine with {fix:?} undone: {:?}",
        broken.view()
    );
    format!(
        "{} (and {} more)",
        broken.violations[0],
        broken.violations.len() - 1
    )
}

// ---- A: an abandoned transfer, a lost request and a restart ----

/// **Counterexample A** (persistent mode). Three nodes: leader L = 1, voter V = 2, target
/// C = 3. L hands over to C; C's pre-vote succeeds and it campaigns in term 2 with
/// requests stamped with the transfer. Its request to L is lost (and C's link to L stays
/// down, so C's answers of term 2 never reach L); its request to V is delayed, and C's
/// host stalls (it neither times out nor hears anything). L gives the transfer up after T
/// and renews its lease through V's acks of heartbeats sent after that. Then V restarts
/// from its disk, and the delayed stamped request arrives.
///
/// Before the fix V judged the stamp by what it had heard since its restart (nothing), set
/// its stickiness aside, voted, and C took a lease while L's still ran. The fix: a node
/// that started less than T ago cannot know what it acknowledged before, so no stamp sets
/// aside the stickiness of its start.
fn abandoned_transfer_then_restart(undone: Option<Mutation>) -> Net {
    let mut net = network(1, 3, OPTIONS, undone);
    net.elect(1);
    net.run_until(net.now + T);
    assert!(
        net.node(1).quorum().is_some_and(|q| q.has_lease(net.now)),
        "{:?}",
        net.view()
    );
    let start = net.now;
    net.node_mut(1)
        .quorum_mut()
        .unwrap()
        .transfer_leadership(start, node(3))
        .expect("a transfer");
    net.flush(node(1));
    net.cut.insert((node(3), node(1)));
    net.deliver_all(|m| m.body().kind() == Kind::TimeoutNow);
    net.deliver_all(|m| matches!(m.body().kind(), Kind::PreVote | Kind::PreVoteGranted));
    assert_eq!(net.node(3).role(), Role::Candidate, "{:?}", net.view());
    let request = hold(&mut net, is(Kind::RequestVote, 3, 2));
    net.stalled.insert(node(3));

    // L gives the transfer up and leases again from heartbeats sent after that.
    let leased = net.run_until_true(T.saturating_mul(2), |n| {
        n.now > start + T && n.node(1).quorum().is_some_and(|q| q.has_lease(n.now))
    });
    assert!(leased.is_some(), "L leased again: {:?}", net.view());
    assert!(net.node(1).quorum().and_then(|q| q.lease_until()) > Some(net.now + H));

    net.crash(2);
    net.restart(2);
    release(&mut net, request);
    net.stalled.remove(&node(3));
    let lease_end = net
        .node(1)
        .quorum()
        .and_then(|q| q.lease_until())
        .expect("L's lease");
    net.run_until(lease_end);
    net
}

#[test]
fn a_delayed_transfer_request_after_a_restart_gives_no_second_lease() {
    let broken = holds_only_with_the_fix(
        Mutation::HandOverJustAfterStart,
        abandoned_transfer_then_restart,
    );
    println!("A undone: {broken}");
}

// ---- B and C: two leaders of one term (volatile mode) ----

/// The schedule of counterexamples B and C (volatile mode, three nodes, F ordinary). O = 1
/// leads term 1 with F = 3's vote while N = 2 is cut off (pre-vote keeps N in term 0). O's host
/// pauses; F restarts and forgets its vote; N's links come back, and once F has waited
/// out its restart it votes N in as leader of term 1 too, and acknowledges N's heartbeats.
/// Then O resumes and its heartbeats of term 1 reach F (but not N). Check-quorum is off,
/// as a host may configure it: with it on, the resumed leader would also step down at its
/// overdue check, since that rests on acks of its own heartbeats (counterexample E).
///
/// - B: before the fix F followed any heartbeat of its term and acknowledged both
///   leaders, so both held leases; and a leader ignored another leader's heartbeat of its
///   term. Now a node switches to another leader of its term only once it is no longer
///   sticky, and a leader that learns of a second leader of its term steps down.
/// - C: before the fix F's answer to O echoed the newest heartbeat of the term whoever
///   sent it (N's, read on N's clock), and O counted it as an ack of its own heartbeat.
///   Now an ack echoes only its receiver's own heartbeats and names the leader it credits,
///   and a leader counts only acks that credit it (and steps down on one that credits
///   another).
fn paused_leader_returns_to_a_term_led_twice(undone: Option<Mutation>) -> Net {
    // F is an ordinary member (it votes but never campaigns), so N is the one to win.
    let members = [
        Member::with_id(1),
        Member::with_id(2),
        Member::with_id(3).ordinary(),
    ];
    let options = VOLATILE.with_check_quorum(false);
    let mut net = Net::new(2, &members, options, ms(1)).mutated(undone);
    let (o, n, f) = (1, 2, 3);
    for other in [o, f] {
        net.cut.insert((node(n), node(other)));
        net.cut.insert((node(other), node(n)));
    }
    // Every start waits out the restart wait first.
    net.run_until(Instant::ZERO + options.volatile_wait(T));
    net.elect(o);
    net.run_until(net.now + H);
    assert!(
        net.node(o).quorum().is_some_and(|q| q.has_lease(net.now)) && net.node(o).term() == Term(1)
    );

    net.stalled.insert(node(o));
    net.crash(f);
    // What was on its way to F is lost while it is down.
    net.in_flight.retain(|flight| flight.to() != node(f));
    net.run_until(net.now + ms(10));
    net.restart_fresh(f);
    net.cut.clear();
    for other in [n, f] {
        net.cut.insert((node(o), node(other)));
        net.cut.insert((node(other), node(o)));
    }
    let n_leads = net.run_until_true(T.saturating_mul(10), |net| {
        net.node(n).is_leader() && net.node(n).quorum().is_some_and(|q| q.has_lease(net.now))
    });
    assert!(n_leads.is_some(), "N leads with a lease: {:?}", net.view());
    assert_eq!(net.node(n).term(), Term(1), "the term led twice");

    // O resumes: its heartbeats reach F, not N.
    net.cut.remove(&(node(o), node(f)));
    net.cut.remove(&(node(f), node(o)));
    net.stalled.remove(&node(o));
    net.run_until(net.now + T.saturating_mul(2));
    net
}

#[test]
fn a_resumed_leader_and_a_new_leader_of_its_term_never_both_hold_a_lease() {
    let broken = holds_only_with_the_fix(
        Mutation::SecondLeaderOfATerm,
        paused_leader_returns_to_a_term_led_twice,
    );
    println!("B undone: {broken}");
}

#[test]
fn an_ack_credits_only_the_leader_whose_heartbeat_it_echoes() {
    let broken = holds_only_with_the_fix(
        Mutation::AckCreditsAnyLeader,
        paused_leader_returns_to_a_term_led_twice,
    );
    println!("C undone: {broken}");
}

// ---- D: a pre-vote grant answers one round ----

/// **Counterexample D.** Three nodes. Node 3's election timer fires first; nodes 1 and 2
/// grant its pre-vote, but the grants are delayed. Node 1 is elected in term 1 meanwhile
/// (node 3 votes for it too) and leads a healthy group. Node 3 is then cut off; its timer
/// fires again and its new pre-votes are lost. Now the old grants arrive.
///
/// Before the fix node 3 counted them, campaigned in term 2, and on its return answered
/// the leader's heartbeat with term 2, deposing a healthy leader. Now a grant counts only
/// for the round it answers (it echoes the round the pre-vote named).
fn stale_grants(undone: Option<Mutation>) -> Net {
    let mut net = network(3, 3, OPTIONS, undone);
    net.fire(3);
    net.deliver_all(|m| m.body().kind() == Kind::PreVote);
    let grants = [
        hold(&mut net, is(Kind::PreVoteGranted, 1, 3)),
        hold(&mut net, is(Kind::PreVoteGranted, 2, 3)),
    ];
    net.elect(1);
    net.deliver_all(|_| true);
    let settled = net.run_until_true(T, |n| n.agreed_leader() == Some(node(1)));
    assert!(settled.is_some(), "node 1 leads: {:?}", net.view());

    net.cut.insert((node(3), node(1)));
    net.cut.insert((node(3), node(2)));
    net.cut.insert((node(1), node(3)));
    net.cut.insert((node(2), node(3)));
    let stood = net.run_until_true(T.saturating_mul(3), |n| n.node(3).role() == Role::Candidate);
    assert!(stood.is_some(), "node 3 stands again: {:?}", net.view());
    for grant in grants {
        release(&mut net, grant);
    }
    net.deliver_all(|_| true);
    net.cut.clear();
    net.run_until(net.now + T.saturating_mul(2));
    if net.node(1).term() != Term(1) || !net.node(1).is_leader() {
        let detail = format!(
            "the healthy leader was deposed: {:?}, terms {:?}",
            net.view(),
            net.live().map(|e| e.term().0).collect::<Vec<_>>()
        );
        net.violations.push(detail);
    }
    net
}

#[test]
fn grants_of_an_earlier_pre_vote_round_do_not_count() {
    let broken = holds_only_with_the_fix(Mutation::GrantOfAnyRound, stale_grants);
    println!("D undone: {broken}");
}

// ---- E: check-quorum rests on acks of this leader's own recent heartbeats ----

/// **Counterexample E.** Three nodes; leader 1 is cut off both ways, but duplicated and
/// delayed copies of its followers' old messages (their acks of its heartbeats from before
/// the cut) keep reaching it, one every 100 ms.
///
/// Before the fix check-quorum counted any message heard since the last check, so the old
/// traffic kept the isolated leader in office indefinitely (its lease did expire). Now
/// check-quorum rests on the lease's evidence: acks of heartbeats this leader sent within
/// the last T. It steps down at its second check at the latest, within 2T of the cut.
fn replayed_traffic(undone: Option<Mutation>) -> Net {
    let mut net = network(4, 3, OPTIONS, undone);
    net.elect(1);
    net.run_until(net.now + T);
    let old: Vec<Message> = net
        .log
        .iter()
        .filter(|(_, m)| m.to() == bellwether::Destination::Node(node(1)))
        .map(|(_, m)| m.clone())
        .collect();
    assert!(!old.is_empty());
    let cut = net.now;
    for other in [2, 3] {
        net.cut.insert((node(1), node(other)));
        net.cut.insert((node(other), node(1)));
    }
    let mut replays = old.iter().cycle();
    while net.now < cut + T.saturating_mul(5) {
        net.run_until(net.now + ms(100));
        let now = net.now;
        let copy = replays.next().expect("a message").clone();
        let _refused_or_not = net.node_mut(1).handle_message(now, &copy);
        net.flush(node(1));
    }
    let led_too_long = net.log.iter().any(|(at, m)| {
        m.from() == node(1)
            && *at > cut + T.saturating_mul(2)
            && matches!(m.body(), Body::QuorumHeartbeat { .. })
    });
    if led_too_long {
        net.violations
            .push("the isolated leader still heartbeats 2T after the cut".to_string());
    }
    net
}

#[test]
fn old_traffic_does_not_keep_an_isolated_leader_in_office() {
    let broken = holds_only_with_the_fix(Mutation::CheckQuorumCountsAnyMessage, replayed_traffic);
    println!("E undone: {broken}");
}

// ---- Found by the verifier: a paused leader of a newer term (volatile mode) ----

/// **Counterexample H** (volatile mode, check-quorum off; found by `tests/quorum_verifier.rs`
/// once A–E were fixed). Three nodes: node 2 leads term 1, then hands over to node 1,
/// which leads term 2. Node 1's host pauses; nodes 2 and 3 restart and forget everything;
/// once they have waited out their restart, they elect one of them in term 1 again, with a
/// lease. Then node 1 resumes, still leading term 2, and its heartbeats reach the new
/// leader's follower (but not the new leader).
///
/// Before the fix the follower adopted term 2 and followed node 1 at once, acknowledging
/// it while the ack it gave the leader of term 1 still backed that leader's lease: two
/// leases. Now, in volatile mode, a node that heard another leader less than `T` ago
/// adopts a newer term (deposing the leader it credited) but follows its leader only once
/// that credit is `T` old, after the lease it backed has ended.
fn paused_leader_of_a_newer_term(undone: Option<Mutation>) -> Net {
    let options = VOLATILE.with_check_quorum(false);
    let mut net = Net::new(5, &members(3), options, ms(1)).mutated(undone);
    net.run_until(Instant::ZERO + options.volatile_wait(T));
    net.elect(2);
    net.run_until(net.now + H);
    let now = net.now;
    net.node_mut(2)
        .quorum_mut()
        .unwrap()
        .transfer_leadership(now, node(1))
        .expect("a transfer");
    net.flush(node(2));
    let handed_over = net.run_until_true(T, |n| n.node(1).is_leader());
    assert!(handed_over.is_some(), "node 1 leads: {:?}", net.view());
    net.run_until(net.now + H);
    assert_eq!(net.node(1).term(), Term(2));

    net.stalled.insert(node(1));
    for id in [2, 3] {
        net.crash(id);
        net.in_flight.retain(|flight| flight.to() != node(id));
        net.restart_fresh(id);
    }
    let leased = net.run_until_true(T.saturating_mul(8), |n| {
        [2, 3].into_iter().any(|id| {
            n.node(id).is_leader() && n.node(id).quorum().is_some_and(|q| q.has_lease(n.now))
        })
    });
    assert!(
        leased.is_some(),
        "nodes 2 and 3 elect again: {:?}",
        net.view()
    );
    // Node 1's heartbeats reach the follower but not the new leader.
    let new_leader = if net.node(2).is_leader() { 2 } else { 3 };
    net.cut.insert((node(1), node(new_leader)));
    net.stalled.remove(&node(1));
    net.run_until(net.now + T.saturating_mul(2));
    net
}

#[test]
fn a_paused_leader_of_a_newer_term_gets_no_lease_while_another_holds_one() {
    let broken = holds_only_with_the_fix(
        Mutation::NewerLeaderWhileCrediting,
        paused_leader_of_a_newer_term,
    );
    println!("H undone: {broken}");
}
