//! Drives two authenticated engines, a sender and a receiver, and an attacker who sees
//! every datagram the sender sends and may deliver any of them, any number of times, with
//! bits flipped, or arbitrary bytes of its own. Whatever it does, the receiver accepts
//! only datagrams the sender sent, each at most once (a freshness request from a session
//! the receiver has not synchronised with is answered each time it comes: its reply is
//! only good for the request's asker), and never panics.
//!
//! Each step takes one byte: bits 0-2 choose the action, the rest its argument.
#![no_main]

use bellwether::unstable::Body;
use bellwether::{
    Algorithm, AuthOptions, BullyOptions, CmacKeys, Config, Engine, GroupId, Instant, KeyId,
    MAX_MESSAGE_SIZE, Member, Message, NodeId, Output, Protection,
};
use libfuzzer_sys::fuzz_target;

type Node = Engine<4, CmacKeys>;

fn node(id: u32, session: u32) -> Node {
    let members = [Member::with_id(1), Member::with_id(2), Member::with_id(3)];
    let mut config = Config::new(
        GroupId(1),
        NodeId(id),
        &members,
        Algorithm::Bully(BullyOptions::CLASSIC),
    )
    .expect("valid");
    config.protection = Protection::Authenticated(AuthOptions::new(session));
    Engine::with_authenticator(
        config,
        Instant::ZERO,
        CmacKeys::new(KeyId(1), b"fuzzing the keys"),
    )
    .expect("valid")
}

/// Every datagram `engine` has to send now.
fn drain(engine: &mut Node) -> Vec<Vec<u8>> {
    let mut buf = [0u8; MAX_MESSAGE_SIZE];
    let mut out = Vec::new();
    while let Ok(output) = engine.poll_output(&mut buf) {
        match output {
            Output::Transmit(transmit) => out.push(buf[..transmit.len].to_vec()),
            Output::Timeout(_) => break,
            _ => {}
        }
    }
    out
}

/// Whether `datagram` is a freshness request, which a receiver not synchronised with its
/// asker's session answers every time it comes, by design.
fn is_request(datagram: &[u8]) -> bool {
    Message::peek(datagram).is_ok_and(|message| matches!(message.body(), Body::FreshnessRequest))
}

fuzz_target!(|data: &[u8]| {
    let mut sender = node(3, 1);
    let mut receiver = node(2, 1);
    let mut now = Instant::ZERO;
    let mut restarts = 0;
    // What the sender sent, and whether the receiver has accepted it.
    let mut sent: Vec<(Vec<u8>, bool)> = Vec::new();
    let mut bytes = data.iter().copied();
    while let Some(op) = bytes.next() {
        let argument = usize::from(op >> 3);
        match op & 0x07 {
            0 | 1 => {
                now = now + bellwether::Duration::from_millis(argument as u64 * 20);
                sender.handle_timeout(now);
                receiver.handle_timeout(now);
            }
            // The receiver's own traffic (freshness requests among it) reaches the sender.
            2 => {
                for datagram in drain(&mut receiver) {
                    let _ = sender.handle_bytes(now, &datagram);
                }
            }
            // A datagram the sender sent, maybe again, maybe with a bit flipped.
            3 | 4 if !sent.is_empty() => {
                let index = argument % sent.len();
                let mut datagram = sent[index].0.clone();
                if op & 0x07 == 4 {
                    let bit = usize::from(bytes.next().unwrap_or(0));
                    let at = bit / 8 % datagram.len();
                    datagram[at] ^= 1 << (bit % 8);
                }
                let fresh = !sent[index].1 || is_request(&datagram);
                let accepted = receiver.handle_bytes(now, &datagram).is_ok();
                if accepted {
                    assert!(
                        fresh && datagram == sent[index].0,
                        "accepted a replayed or altered datagram"
                    );
                    sent[index].1 = true;
                }
            }
            // Arbitrary bytes.
            5 => {
                let forged: Vec<u8> = bytes.by_ref().take(argument % 40).collect();
                if receiver.handle_bytes(now, &forged).is_ok() {
                    let known = sent.iter_mut().find(|(datagram, accepted)| {
                        (!*accepted || is_request(datagram)) && *datagram == forged
                    });
                    assert!(known.is_some(), "accepted bytes the sender never sent");
                    if let Some(entry) = known {
                        entry.1 = true;
                    }
                }
            }
            // The sender restarts with a new session: its earlier datagrams stay capturable.
            6 => {
                restarts += 1;
                sender = node(3, 1 + restarts);
            }
            _ => {}
        }
        for datagram in drain(&mut sender) {
            sent.push((datagram, false));
        }
    }
});
