//! Feeds a multi-group node arbitrary datagrams (raw bytes, and a real peer's datagrams
//! with bits flipped or cut short), with time moving in arbitrary steps and the host
//! confirming its record batches at once, late or never. The node must never panic, must
//! keep every datagram within its configured size, must count exactly the groups it
//! leads, must hold a lease only where it leads, and a refused datagram must change no
//! group.
#![no_main]

use bellwether::multigroup::{
    GroupOptions, GroupRecord, GroupSlot, MultiGroupConfig, MultiGroupNode, QueuedItem,
};
use bellwether::{Duration, GroupId, Instant, NodeId, Role};
use libfuzzer_sys::fuzz_target;

const GROUPS: u16 = 8;
const DATAGRAM: usize = 200;

fn node<'s>(
    id: u32,
    slots: &'s mut [GroupSlot],
    queue: &'s mut [QueuedItem],
) -> MultiGroupNode<'s, 4> {
    let nodes = [NodeId(1), NodeId(2), NodeId(3)];
    let config = MultiGroupConfig::<4>::new(NodeId(id), &nodes, GroupId(1))
        .unwrap()
        .with_timing(Duration::from_millis(20), Duration::from_millis(200))
        .unwrap()
        .with_datagram_size(DATAGRAM)
        .unwrap()
        .with_seed(u64::from(id));
    let mut node = MultiGroupNode::new(config, slots, queue, Instant::from_millis(0)).unwrap();
    for g in 0..GROUPS {
        node.add_group(Instant::from_millis(0), g, &nodes, GroupOptions::DEFAULT)
            .unwrap();
    }
    node
}

fn state(node: &MultiGroupNode<'_, 4>, now: Instant) -> Vec<(Option<Role>, Option<NodeId>, u64, bool)> {
    (0..GROUPS)
        .map(|g| {
            (
                node.role(g),
                node.leader(g),
                node.term(g).map_or(0, |t| t.0),
                node.has_lease(g, now),
            )
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let mut slots = [GroupSlot::EMPTY; GROUPS as usize];
    let mut queue = [QueuedItem::EMPTY; 64];
    let mut peer_slots = [GroupSlot::EMPTY; GROUPS as usize];
    let mut peer_queue = [QueuedItem::EMPTY; 64];
    let mut target = node(1, &mut slots, &mut queue);
    let mut peer = node(2, &mut peer_slots, &mut peer_queue);
    let mut now = Instant::from_millis(0);
    let mut records = [GroupRecord::default(); 4];
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        now = now + Duration::from_millis(u64::from(op & 0x3f));
        match op >> 6 {
            0 => {
                // Raw bytes, as a datagram.
                let len = usize::from(rest.first().copied().unwrap_or(0)).min(rest.len().saturating_sub(1));
                let bytes = rest.get(1..1 + len).unwrap_or(&[]);
                rest = rest.get(1 + len..).unwrap_or(&[]);
                let before = state(&target, now);
                if target.handle_bytes(now, bytes).is_err() {
                    assert_eq!(state(&target, now), before, "a refused datagram changed a group");
                }
            }
            1 => {
                // The peer's next real datagram, perhaps with a bit flipped or cut short.
                peer.handle_timeout(now);
                let mut buf = [0u8; DATAGRAM];
                if let Ok(Some(transmit)) = peer.poll_transmit(now, &mut buf) {
                    let mut bytes = buf[..transmit.len].to_vec();
                    if let Some((&how, tail)) = rest.split_first() {
                        rest = tail;
                        let at = usize::from(how) % bytes.len().max(1);
                        match how % 3 {
                            0 => {}
                            1 => bytes[at] ^= 1 << (how % 8),
                            _ => bytes.truncate(at),
                        }
                    }
                    let before = state(&target, now);
                    if target.handle_bytes(now, &bytes).is_err() {
                        assert_eq!(state(&target, now), before, "a refused datagram changed a group");
                    }
                }
            }
            2 => {
                // The host writes the next batch, and confirms it now or never.
                let count = target.poll_persist(&mut records);
                if count > 0 && op & 1 == 0 {
                    target.confirm_persisted();
                }
            }
            _ => target.handle_timeout(now),
        }
        let mut buf = [0u8; 512];
        while let Ok(Some(transmit)) = target.poll_transmit(now, &mut buf) {
            assert!(transmit.len <= DATAGRAM);
            // The peer hears the target, so that elections can happen.
            let _ = peer.handle_bytes(now, &buf[..transmit.len]);
        }
        while target.poll_event().is_some() {}
        let leading = (0..GROUPS).filter(|&g| target.role(g) == Some(Role::Leader)).count();
        assert_eq!(leading, target.leading());
        for g in 0..GROUPS {
            if target.has_lease(g, now) {
                assert_eq!(target.role(g), Some(Role::Leader));
            }
        }
    }
});
