//! The smallest firmware that keeps bellwether's code alive, for measuring what the engine
//! costs in flash and RAM (`.ci/footprint.sh` builds it once per feature set).
//!
//! * No feature: the empty baseline. Same runtime (cortex-m-rt), same panic handler (a
//!   loop, no formatting, no semihosting), same I/O stubs; it only echoes the received
//!   frame, so the difference against it is the engine's cost.
//! * One algorithm feature: one `Engine<16>` for that algorithm, driven through the API
//!   the way a firmware's main loop would: `handle_bytes` on a received frame,
//!   `handle_timeout`, then `poll_persist`/`confirm_persisted` with the A/B durable record
//!   (quorum), `poll_transmit`, `poll_event` and `poll_timeout`.
//! * Several features: still one `Engine<16>`, its algorithm chosen at run time from the
//!   configuration, as a product that ships every algorithm (or the C library) would do.
//! * With `checksum`, `authentication` or `cmac` as well: the engine protects its messages
//!   (CRC-32; a tag and a freshness value with a stand-in MAC, so that only the engine's
//!   envelope and replay-window code counts; or the built-in CMAC-AES-128).
//! * `multigroup` (alone, or with one protection): instead of an `Engine`, one
//!   `MultiGroupNode<'static, 8>` of a 5-node set with static storage for 64 groups of 3
//!   members (3 queue entries per group), driven the same way: `handle_bytes` on a
//!   received datagram (up to 256 bytes: the frame buffers grow to that in this build
//!   only), `handle_timeout`, `poll_persist`/`confirm_persisted` with the records written
//!   to a stand-in storage register, `poll_transmit`, `poll_event` and `poll_timeout`.
//!
//! Everything the optimiser must not see through is a volatile access to a static: the
//! received frame, the clock, the configuration, the durable-storage slots, and every
//! output. The algorithm's options come from the configuration too, so each build pays for
//! its algorithm with all of its options, not for one option set folded at compile time.
//! The engine and the buffers are statics, so `.bss` counts them.
#![no_std]
#![no_main]

#[cfg(any(
    all(feature = "checksum", feature = "authentication"),
    all(feature = "checksum", feature = "cmac"),
    all(feature = "authentication", feature = "cmac"),
))]
compile_error!("choose one protection: `checksum`, `authentication` or `cmac`");

#[cfg(all(feature = "multigroup", engine))]
compile_error!("`multigroup` builds a multi-group node alone: no algorithm feature with it");

use core::panic::PanicInfo;
use core::ptr::{read_volatile, write_volatile};

use cortex_m_rt::entry;

/// The largest frame the stubs move: a bellwether message is at most this long
/// (`MAX_MESSAGE_SIZE`: 88 bytes, the authenticated envelope with a 16-byte tag).
#[cfg(not(feature = "multigroup"))]
const FRAME: usize = 88;
/// The largest frame the stubs move: the datagram size the multi-group node is configured
/// with (its bundles coalesce the items of many groups).
#[cfg(feature = "multigroup")]
const FRAME: usize = 256;

/// The last frame the "radio" received, as a receive interrupt or DMA would leave it.
static mut RX_FRAME: [u8; FRAME] = [0; FRAME];
/// How many bytes of [`RX_FRAME`] are valid (0: nothing received).
static mut RX_LEN: usize = 0;
/// The frame to send, as a transmit register or DMA buffer would take it.
static mut TX_FRAME: [u8; FRAME] = [0; FRAME];
/// Where the frame goes (0: every node) and how long it is.
static mut TX_HEADER: [u32; 2] = [0; 2];
/// Milliseconds since boot, as a SysTick handler would count them.
static mut MILLIS: u64 = 0;
/// What the firmware reports: an event code, a node id and a term, as a status register.
static mut REPORT: [u64; 3] = [0; 3];

/// The time now.
#[inline(never)]
fn clock() -> u64 {
    // SAFETY: a plain volatile read of a static; nothing holds a reference to it.
    unsafe { read_volatile(&raw const MILLIS) }
}

/// Copies `dst.len()` bytes from memory the hardware writes at `src`, one volatile read
/// each: a small loop, shared by every use.
#[inline(never)]
fn load(dst: &mut [u8], src: *const u8) {
    for (i, byte) in dst.iter_mut().enumerate() {
        // SAFETY: every caller passes a static at least `dst.len()` bytes long.
        *byte = unsafe { read_volatile(src.add(i)) };
    }
}

/// Copies `src` to memory the hardware reads at `dst`, one volatile write per byte.
#[inline(never)]
fn store(dst: *mut u8, src: &[u8]) {
    for (i, &byte) in src.iter().enumerate() {
        // SAFETY: every caller passes a static at least `src.len()` bytes long.
        unsafe { write_volatile(dst.add(i), byte) };
    }
}

/// Copies the last received frame into `buf` and returns its length (0 if none).
#[inline(never)]
fn receive(buf: &mut [u8; FRAME]) -> usize {
    load(buf, (&raw const RX_FRAME).cast());
    // SAFETY: a volatile read of a static; nothing holds a reference to it.
    unsafe { read_volatile(&raw const RX_LEN) }.min(FRAME)
}

/// Hands `frame` to the "radio" for node `to` (0: every node).
#[inline(never)]
fn send(to: u32, frame: &[u8]) {
    let frame = frame.get(..FRAME).unwrap_or(frame);
    store((&raw mut TX_FRAME).cast(), frame);
    // SAFETY: a volatile write of a static; nothing holds a reference to it.
    unsafe { write_volatile(&raw mut TX_HEADER, [to, frame.len() as u32]) };
}

/// Reports a fact (`code`, a node id, a term) to the outside world.
#[inline(never)]
fn report(code: u64, node: u64, term: u64) {
    // SAFETY: a volatile write of a static; nothing holds a reference to it.
    unsafe { write_volatile(&raw mut REPORT, [code, node, term]) }
}

#[cfg(not(any(engine, feature = "multigroup")))]
#[entry]
fn main() -> ! {
    // cortex-m-rt turns these into `&'static mut` borrows: statics, so `.bss` counts them.
    static mut RX_BUF: [u8; FRAME] = [0; FRAME];
    let rx = RX_BUF;
    loop {
        let now = clock();
        let len = receive(rx);
        send(0, rx.get(..len).unwrap_or_default());
        report(0, 0, now);
    }
}

#[cfg(engine)]
#[entry]
fn main() -> ! {
    // cortex-m-rt turns these into `&'static mut` borrows: statics, so `.bss` counts them.
    static mut RX_BUF: [u8; FRAME] = [0; FRAME];
    static mut TX_BUF: [u8; FRAME] = [0; FRAME];
    static mut ENGINE: core::mem::MaybeUninit<engine::Engine<{ engine::CAPACITY }, keys::Keys>> =
        core::mem::MaybeUninit::uninit();
    engine::run(ENGINE, RX_BUF, TX_BUF)
}

/// What signs and checks messages, shared by the engine and the multi-group node.
#[cfg(any(engine, feature = "multigroup"))]
mod keys {
    #[cfg(any(feature = "authentication", feature = "cmac"))]
    use super::load;
    #[cfg(all(feature = "authentication", not(feature = "cmac")))]
    use super::store;

    /// What signs and checks messages: the built-in CMAC-AES-128.
    #[cfg(feature = "cmac")]
    pub(super) type Keys = bellwether::CmacKeys;
    /// What signs and checks messages: a MAC computed outside the engine.
    #[cfg(all(feature = "authentication", not(feature = "cmac")))]
    pub(super) type Keys = HostMac;
    /// What signs and checks messages: nothing.
    #[cfg(not(any(feature = "authentication", feature = "cmac")))]
    pub(super) type Keys = bellwether::Unauthenticated;

    /// The group key, as it would be read from provisioned storage.
    #[cfg(feature = "cmac")]
    static mut KEY: [u8; 16] = [0; 16];
    /// A stand-in for a MAC peripheral: the message's length goes in, the tag comes out.
    #[cfg(all(feature = "authentication", not(feature = "cmac")))]
    static mut MAC_REGISTERS: [u8; 17] = [0; 17];

    /// A MAC computed by hardware outside the engine (a security module, a crypto
    /// peripheral): it writes the length of the signed bytes to a register and reads the
    /// tag back, so the image counts the engine's envelope and freshness code, not a MAC.
    #[cfg(all(feature = "authentication", not(feature = "cmac")))]
    pub(super) struct HostMac;

    #[cfg(all(feature = "authentication", not(feature = "cmac")))]
    impl bellwether::Authenticator for HostMac {
        fn current_key(&self) -> bellwether::KeyId {
            bellwether::KeyId(1)
        }

        fn sign(
            &mut self,
            key: bellwether::KeyId,
            data: &[u8],
            tag: &mut [u8],
        ) -> Result<(), bellwether::protection::UnknownKey> {
            if key != bellwether::KeyId(1) {
                return Err(bellwether::protection::UnknownKey);
            }
            let registers = (&raw mut MAC_REGISTERS).cast::<u8>();
            store(registers, &[data.len() as u8]);
            load(tag, registers.wrapping_add(1));
            Ok(())
        }
    }

    /// The authenticator for the settings.
    pub(super) fn keys() -> Keys {
        #[cfg(feature = "cmac")]
        let keys = {
            let mut key = [0; 16];
            load(&mut key, (&raw const KEY).cast());
            bellwether::CmacKeys::new(bellwether::KeyId(1), &key)
        };
        #[cfg(all(feature = "authentication", not(feature = "cmac")))]
        let keys = HostMac;
        #[cfg(not(any(feature = "authentication", feature = "cmac")))]
        let keys = bellwether::Unauthenticated;
        keys
    }
}

#[cfg(engine)]
mod engine {
    use core::mem::MaybeUninit;
    use core::ptr::read_volatile;

    #[cfg(feature = "quorum")]
    use bellwether::durable::RECORD_SIZE;

    pub(super) use bellwether::Engine;
    use bellwether::{
        Algorithm, Config, Destination, Event, GroupId, Instant, MAX_MESSAGE_SIZE, Member, NodeId,
        Output,
    };
    #[cfg(any(feature = "bully", feature = "next-in-line", feature = "candidates"))]
    use bellwether::{Duration, Preemption};

    use super::keys::{Keys, keys};
    use super::{FRAME, clock, receive, report, send};
    #[cfg(feature = "quorum")]
    use super::{load, store};

    const _: () = assert!(MAX_MESSAGE_SIZE <= FRAME);

    /// The boot counter, as it would be read from storage: the session.
    #[cfg(any(feature = "authentication", feature = "cmac"))]
    static mut BOOTS: u32 = 0;

    /// The protection the image's features ask for.
    fn protection() -> bellwether::Protection {
        #[cfg(feature = "checksum")]
        let protection = bellwether::Protection::Checksum;
        #[cfg(any(feature = "authentication", feature = "cmac"))]
        let protection = bellwether::Protection::Authenticated(bellwether::AuthOptions::new(
            // SAFETY: a volatile read of a static; nothing holds a reference to it.
            unsafe { read_volatile(&raw const BOOTS) },
        ));
        #[cfg(not(any(feature = "checksum", feature = "authentication", feature = "cmac")))]
        let protection = bellwether::Protection::None;
        protection
    }

    /// The engine's capacity, the budget's reference point.
    pub(super) const CAPACITY: usize = 16;

    /// The members this node is configured with.
    const MEMBERS: [Member; 5] = [
        Member::with_id(1),
        Member::with_id(2),
        Member::with_id(3),
        Member::with_id(4),
        Member::with_id(5),
    ];

    /// The node's configuration, as it would be read from a configuration block in flash:
    /// `[node id, algorithm, options, seed]`.
    static mut SETTINGS: [u8; 4] = [1, 0, 0, 0];

    /// The two A/B slots of durable storage (quorum election in persistent mode), zeroed
    /// (no valid record) so that they take `.bss`, not `.data`.
    #[cfg(feature = "quorum")]
    static mut SLOTS: [[u8; RECORD_SIZE]; 2] = [[0; RECORD_SIZE]; 2];

    /// The contents of the two slots.
    #[cfg(feature = "quorum")]
    fn slots() -> [[u8; RECORD_SIZE]; 2] {
        let mut slots = [[0; RECORD_SIZE]; 2];
        load(slots.as_flattened_mut(), (&raw const SLOTS).cast());
        slots
    }

    /// Report codes.
    const EVENT_STEPPED_DOWN: u64 = 1;
    const EVENT_LEADER_CHANGED: u64 = 2;
    const EVENT_BECAME_LEADER: u64 = 3;
    const REJECTED: u64 = 4;
    const DEADLINE: u64 = 5;
    const CONFIG_REFUSED: u64 = 6;

    /// The algorithm the settings select among those compiled in, with options from the
    /// settings' option bits.
    fn algorithm(pick: u8, options: u8) -> Algorithm {
        #[cfg(any(feature = "bully", feature = "next-in-line", feature = "candidates"))]
        let preemption = match options & 3 {
            0 => Preemption::Immediate,
            1 => Preemption::Never,
            _ => Preemption::AfterUptime(Duration::from_secs(u64::from(options >> 2))),
        };
        let choices = [
            #[cfg(feature = "bully")]
            Algorithm::Bully(bellwether::BullyOptions::new(preemption)),
            #[cfg(feature = "next-in-line")]
            Algorithm::NextInLine(bellwether::NextInLineOptions::new(options >> 4, preemption)),
            #[cfg(feature = "candidates")]
            Algorithm::Candidates(bellwether::CandidateOptions::new(
                (options & 4 != 0).then_some(Duration::from_millis(60)),
                preemption,
            )),
            #[cfg(feature = "invitation")]
            Algorithm::Invitation(bellwether::InvitationOptions::new(
                bellwether::Duration::from_millis(300 + u64::from(options)),
                bellwether::InvitationOptions::DEFAULT.tie_breaker_step,
            )),
            #[cfg(feature = "ring")]
            Algorithm::Ring(bellwether::RingOptions::new(if options & 1 == 0 {
                bellwether::RingVariant::FullList
            } else {
                bellwether::RingVariant::MaxOnly
            })),
            #[cfg(feature = "quorum")]
            Algorithm::Quorum(
                bellwether::QuorumOptions::DEFAULT
                    .with_pre_vote(options & 1 != 0)
                    .with_check_quorum(options & 2 != 0)
                    .with_durability(if options & 4 == 0 {
                        bellwether::Durability::Persistent
                    } else {
                        bellwether::Durability::Volatile
                    }),
            ),
        ];
        choices[usize::from(pick) % choices.len()]
    }

    /// An engine for the settings: restored from durable storage when there is a record
    /// (quorum election in persistent mode), new otherwise. Kept out of line, as a
    /// firmware's initialisation would be, so that its stack frame (the configuration and
    /// the engine moved by value) is not part of the main loop's.
    #[inline(never)]
    fn start(now: Instant) -> Option<Engine<CAPACITY, Keys>> {
        // SAFETY: a volatile read of a static; nothing holds a reference to it.
        let [node, pick, options, seed] = unsafe { read_volatile(&raw const SETTINGS) };
        let config = Config::<CAPACITY>::new(
            GroupId(1),
            NodeId(u32::from(node)),
            &MEMBERS,
            algorithm(pick, options),
        )
        .ok()?
        .with_seed(u64::from(seed));
        let mut config = config;
        config.protection = protection();
        #[cfg(feature = "quorum")]
        {
            let [a, b] = slots();
            if let Ok(recovered) = bellwether::durable::recover(&a, &b)
                && let Ok(engine) = Engine::restore_with_authenticator(
                    config.clone(),
                    now,
                    recovered.record.state,
                    keys(),
                )
            {
                return Some(engine);
            }
        }
        Engine::with_authenticator(config, now, keys()).ok()
    }

    /// Writes each durable state the engine hands out to the slot the A/B scheme picks,
    /// then confirms it.
    #[cfg(feature = "quorum")]
    fn persist(
        engine: &mut Engine<CAPACITY, Keys>,
        writer: &mut bellwether::durable::SlotWriter,
        state: bellwether::DurableState,
    ) {
        let (slot, bytes) = writer.write(state);
        let at = (&raw mut SLOTS)
            .cast::<u8>()
            .wrapping_add(slot.index() * RECORD_SIZE);
        store(at, &bytes);
        if engine.confirm_persisted(state).is_err() {
            report(REJECTED, 0, state.term.0);
        }
    }

    /// Starts the engine and runs the main loop: one received frame, the timers, then
    /// every output, in the order the calling contract gives.
    pub(super) fn run(
        slot: &'static mut MaybeUninit<Engine<CAPACITY, Keys>>,
        rx: &'static mut [u8; FRAME],
        tx: &'static mut [u8; FRAME],
    ) -> ! {
        let Some(engine) = start(Instant::from_millis(clock())) else {
            loop {
                report(CONFIG_REFUSED, 0, 0);
            }
        };
        let engine = slot.write(engine);
        #[cfg(feature = "quorum")]
        let mut writer = {
            let [a, b] = slots();
            bellwether::durable::SlotWriter::resume(&a, &b)
        };
        loop {
            let now = Instant::from_millis(clock());
            let len = receive(rx);
            if len > 0
                && engine
                    .handle_bytes(now, rx.get(..len).unwrap_or_default())
                    .is_err()
            {
                report(REJECTED, 0, 0);
            }
            engine.handle_timeout(now);
            loop {
                match engine.poll_output(tx) {
                    #[cfg(feature = "quorum")]
                    Ok(Output::Persist(state)) => persist(engine, &mut writer, state),
                    Ok(Output::Transmit(transmit)) => {
                        let to = match transmit.to {
                            Destination::Node(NodeId(id)) => id,
                            Destination::All => 0,
                        };
                        send(to, tx.get(..transmit.len).unwrap_or_default());
                    }
                    Ok(Output::Event(Event::SteppedDown { term, .. })) => {
                        report(EVENT_STEPPED_DOWN, 0, term.0);
                    }
                    Ok(Output::Event(Event::LeaderChanged { leader, term, .. })) => report(
                        EVENT_LEADER_CHANGED,
                        leader.map_or(0, |NodeId(id)| u64::from(id)),
                        term.0,
                    ),
                    Ok(Output::Event(Event::BecameLeader { term })) => {
                        report(EVENT_BECAME_LEADER, 0, term.0);
                    }
                    Ok(Output::Timeout(deadline)) => {
                        report(DEADLINE, 0, deadline.map_or(0, Instant::as_millis));
                        break;
                    }
                    // Events of later versions, and a frame too small (never: FRAME is
                    // MAX_MESSAGE_SIZE).
                    Ok(_) | Err(_) => break,
                }
            }
        }
    }
}

#[cfg(feature = "multigroup")]
#[entry]
fn main() -> ! {
    // cortex-m-rt turns these into `&'static mut` borrows: statics, so `.bss` counts them.
    // The storage is left uninitialised rather than filled with `GroupSlot::EMPTY` at
    // compile time: those initial values (not zeros) would sit in `.data`, and so in flash.
    static mut RX_BUF: [u8; FRAME] = [0; FRAME];
    static mut TX_BUF: [u8; FRAME] = [0; FRAME];
    static mut NODE: core::mem::MaybeUninit<multigroup::Node> = core::mem::MaybeUninit::uninit();
    static mut GROUP_SLOTS: [core::mem::MaybeUninit<multigroup::GroupSlot>; multigroup::GROUPS] =
        [const { core::mem::MaybeUninit::uninit() }; multigroup::GROUPS];
    static mut QUEUE: [core::mem::MaybeUninit<multigroup::QueuedItem>; multigroup::QUEUE] =
        [const { core::mem::MaybeUninit::uninit() }; multigroup::QUEUE];
    let groups = multigroup::fill(GROUP_SLOTS, multigroup::GroupSlot::EMPTY);
    let queue = multigroup::fill(QUEUE, multigroup::QueuedItem::EMPTY);
    multigroup::run(NODE, groups, queue, RX_BUF, TX_BUF)
}

#[cfg(feature = "multigroup")]
mod multigroup {
    use core::mem::MaybeUninit;
    use core::ptr::read_volatile;

    use bellwether::multigroup::{GroupOptions, GroupRecord, MultiGroupConfig, MultiGroupNode};
    pub(super) use bellwether::multigroup::{GroupSlot, QueuedItem};
    use bellwether::{Destination, Duration, GroupId, Instant, NodeId, Role, Term};

    use super::keys::{Keys, keys};
    use super::{FRAME, clock, load, receive, report, send, store};

    /// The most nodes the node set can have: `MultiGroupNode<'static, 8>`.
    pub(super) const NODES: usize = 8;
    /// The groups the storage holds.
    pub(super) const GROUPS: usize = 64;
    /// Queue entries: three per group.
    pub(super) const QUEUE: usize = 3 * GROUPS;
    /// Members per group.
    const GROUP_SIZE: usize = 3;
    /// Records persisted per batch at most.
    const BATCH: usize = 4;

    /// The node the firmware runs.
    pub(super) type Node = MultiGroupNode<'static, NODES, Keys>;

    /// The node set: the same on every node.
    const NODE_SET: [NodeId; 5] = [NodeId(1), NodeId(2), NodeId(3), NodeId(4), NodeId(5)];

    /// The node's configuration, as it would be read from a configuration block in flash:
    /// `[node id, heartbeat interval (10 ms units), election timeout (100 ms units), seed]`.
    static mut SETTINGS: [u8; 4] = [1, 10, 10, 0];

    /// A stand-in for durable storage: a write FIFO that takes one record at a time (group,
    /// term, vote: 14 bytes), and at start-up yields the records last written, after their
    /// count.
    static mut STORAGE: [u8; 15] = [0; 15];

    /// The boot counter, as it would be read from storage: the session (incarnation).
    #[cfg(any(feature = "authentication", feature = "cmac"))]
    static mut BOOTS: u32 = 0;

    /// Report codes.
    const GROUP_EVENT: u64 = 1;
    const REJECTED: u64 = 4;
    const DEADLINE: u64 = 5;
    const CONFIG_REFUSED: u64 = 6;
    const NOT_SENT: u64 = 7;

    /// Fills uninitialised static storage with `value` and hands it out initialised.
    pub(super) fn fill<T: Copy>(
        storage: &'static mut [MaybeUninit<T>],
        value: T,
    ) -> &'static mut [T] {
        for item in storage.iter_mut() {
            item.write(value);
        }
        // SAFETY: every element was just initialised, and `MaybeUninit<T>` has `T`'s layout.
        unsafe { &mut *(core::ptr::from_mut(storage) as *mut [T]) }
    }

    /// The members of `group`: three consecutive nodes of the node set, from `group mod 5`.
    fn members(group: u16) -> [NodeId; GROUP_SIZE] {
        let first = usize::from(group) % NODE_SET.len();
        core::array::from_fn(|k| NODE_SET[(first + k) % NODE_SET.len()])
    }

    /// The records the stand-in storage yields at start-up.
    fn stored_records() -> impl Iterator<Item = GroupRecord> {
        let registers = (&raw const STORAGE).cast::<u8>();
        let mut count = [0; 1];
        load(&mut count, registers);
        (0..count[0]).map(move |_| {
            let mut bytes = [0; 14];
            load(&mut bytes, registers.wrapping_add(1));
            let [g0, g1, t0, t1, t2, t3, t4, t5, t6, t7, v0, v1, v2, v3] = bytes;
            let voted_for = u32::from_le_bytes([v0, v1, v2, v3]);
            GroupRecord {
                group: u16::from_le_bytes([g0, g1]),
                term: Term(u64::from_le_bytes([t0, t1, t2, t3, t4, t5, t6, t7])),
                voted_for: (voted_for != 0).then_some(NodeId(voted_for)),
            }
        })
    }

    /// Writes one record to the stand-in storage.
    fn write_record(record: &GroupRecord) {
        let mut bytes = [0; 14];
        let (group, rest) = bytes.split_at_mut(2);
        let (term, vote) = rest.split_at_mut(8);
        group.copy_from_slice(&record.group.to_le_bytes());
        term.copy_from_slice(&record.term.0.to_le_bytes());
        vote.copy_from_slice(&record.voted_for.map_or(0, |NodeId(id)| id).to_le_bytes());
        store((&raw mut STORAGE).cast::<u8>().wrapping_add(1), &bytes);
    }

    /// A node for the settings, its groups' terms and votes restored from storage and every
    /// group of which it is a member added. Kept out of line, as a firmware's
    /// initialisation would be, so that its stack frame is not part of the main loop's.
    #[inline(never)]
    fn start(
        now: Instant,
        groups: &'static mut [GroupSlot],
        queue: &'static mut [QueuedItem],
    ) -> Option<Node> {
        // SAFETY: a volatile read of a static; nothing holds a reference to it.
        let [node, heartbeat, timeout, seed] = unsafe { read_volatile(&raw const SETTINGS) };
        let id = NodeId(u32::from(node));
        let config = MultiGroupConfig::<NODES>::new(id, &NODE_SET, GroupId(1))
            .ok()?
            .with_timing(
                Duration::from_millis(10 * u64::from(heartbeat)),
                Duration::from_millis(100 * u64::from(timeout)),
            )
            .ok()?
            .with_datagram_size(FRAME)
            .ok()?
            .with_seed(u64::from(seed));
        #[cfg(feature = "checksum")]
        let config = config.with_checksum(true);
        #[cfg(any(feature = "authentication", feature = "cmac"))]
        let config = config
            // SAFETY: a volatile read of a static; nothing holds a reference to it.
            .with_incarnation(unsafe { read_volatile(&raw const BOOTS) })
            .with_authentication(bellwether::TagLength::Bytes8)
            .ok()?;
        let mut node =
            MultiGroupNode::with_authenticator(config, groups, queue, now, keys()).ok()?;
        for record in stored_records() {
            if node.restore_group(&record).is_err() {
                report(REJECTED, 0, record.term.0);
            }
        }
        for group in 0..GROUPS as u16 {
            let members = members(group);
            if members.contains(&id)
                && node
                    .add_group(now, group, &members, GroupOptions::DEFAULT)
                    .is_err()
            {
                report(CONFIG_REFUSED, u64::from(group), 0);
            }
        }
        Some(node)
    }

    /// Starts the node and runs the main loop: one received datagram, the timers, then
    /// every output, in the order the calling contract gives.
    pub(super) fn run(
        slot: &'static mut MaybeUninit<Node>,
        groups: &'static mut [GroupSlot],
        queue: &'static mut [QueuedItem],
        rx: &'static mut [u8; FRAME],
        tx: &'static mut [u8; FRAME],
    ) -> ! {
        let Some(node) = start(Instant::from_millis(clock()), groups, queue) else {
            loop {
                report(CONFIG_REFUSED, 0, 0);
            }
        };
        let node = slot.write(node);
        loop {
            let now = Instant::from_millis(clock());
            let len = receive(rx);
            if len > 0
                && node
                    .handle_bytes(now, rx.get(..len).unwrap_or_default())
                    .is_err()
            {
                report(REJECTED, 0, 0);
            }
            node.handle_timeout(now);
            // Every batch is written before it is confirmed; what depends on it is sent
            // only after that.
            let mut batch = [GroupRecord::default(); BATCH];
            loop {
                let count = node.poll_persist(&mut batch);
                if count == 0 {
                    break;
                }
                for record in batch.get(..count).unwrap_or_default() {
                    write_record(record);
                }
                node.confirm_persisted();
            }
            loop {
                match node.poll_transmit(now, tx) {
                    Ok(Some(transmit)) => {
                        let to = match transmit.to {
                            Destination::Node(NodeId(id)) => id,
                            Destination::All => 0,
                        };
                        send(to, tx.get(..transmit.len).unwrap_or_default());
                    }
                    Ok(None) => break,
                    // Never: the buffer is the configured datagram size.
                    Err(_) => {
                        report(NOT_SENT, 0, 0);
                        break;
                    }
                }
            }
            while let Some(event) = node.poll_event() {
                let role = match event.role {
                    Role::Follower => 0,
                    Role::Candidate => 1,
                    Role::Leader => 2,
                    _ => 3,
                };
                report(
                    GROUP_EVENT | role << 8 | u64::from(event.group) << 16,
                    event.leader.map_or(0, |NodeId(id)| u64::from(id)),
                    event.term.0,
                );
            }
            report(
                DEADLINE,
                0,
                node.poll_timeout().map_or(0, Instant::as_millis),
            );
        }
    }
}

/// Panics end in a loop: no message, no formatting, no semihosting, in every build.
#[panic_handler]
fn panic(_info: &PanicInfo) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
