//! The in-memory network between the five engines: a fixed-size ring buffer of messages in
//! flight, each with its own delivery time, so messages overtake each other. A seeded
//! generator decides which copies are lost and how long the others take.

use bellwether::{Duration, Instant, MAX_MESSAGE_SIZE};

/// How many messages can be in flight at once. Five nodes send a few dozen per 20 ms at
/// most (an election round and a round of heartbeats and acks), so this never fills; if it
/// did, the run fails rather than drop messages silently.
pub const CAPACITY: usize = 128;
/// The chance, in percent, that a message copy is lost.
pub const LOSS_PERCENT: u32 = 10;
/// One-way delays are uniform in `MIN_DELAY..=MAX_DELAY`.
pub const MIN_DELAY: Duration = Duration::from_millis(1);
/// The longest one-way delay.
pub const MAX_DELAY: Duration = Duration::from_millis(20);

/// With authentication, one copy in this many handed to the bus gets a forged twin: the
/// same bytes with one bit flipped, as an attacker on the link would inject.
#[cfg(feature = "authentication")]
pub const FORGE_EVERY: u32 = 20;

/// SplitMix64: a tiny seeded generator, the same in the C firmware.
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator started from `seed`.
    pub const fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u32) -> u32 {
        (((self.next_u64() >> 32) * u64::from(bound)) >> 32) as u32
    }
}

/// One message copy on its way to one node.
#[derive(Clone, Copy)]
pub struct Packet {
    /// When it arrives.
    pub deliver_at: Instant,
    /// The receiving node's index.
    pub to: usize,
    /// How many bytes of `bytes` the message takes.
    pub len: usize,
    /// The encoded message.
    pub bytes: [u8; MAX_MESSAGE_SIZE],
    /// Injected by the attacker: a genuine message with one bit flipped.
    #[cfg(feature = "authentication")]
    pub forged: bool,
    pending: bool,
}

impl Packet {
    const EMPTY: Packet = Packet {
        deliver_at: Instant::ZERO,
        to: 0,
        len: 0,
        bytes: [0; MAX_MESSAGE_SIZE],
        #[cfg(feature = "authentication")]
        forged: false,
        pending: false,
    };

    /// The message's bytes.
    pub fn message(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Message counts since the start.
#[derive(Clone, Copy, Default)]
pub struct Traffic {
    /// Copies handed to the bus.
    pub sent: u32,
    /// Copies the bus dropped.
    pub lost: u32,
    /// Forged copies the attacker injected (not counted in `sent`).
    #[cfg(feature = "authentication")]
    pub forged: u32,
}

impl core::ops::Sub for Traffic {
    type Output = Traffic;

    fn sub(self, earlier: Traffic) -> Traffic {
        Traffic {
            sent: self.sent - earlier.sent,
            lost: self.lost - earlier.lost,
            #[cfg(feature = "authentication")]
            forged: self.forged - earlier.forged,
        }
    }
}

/// The ring is full: more than [`CAPACITY`] messages in flight.
#[derive(Debug)]
pub struct Full;

/// The bus: `ring[head..tail]` (indices modulo [`CAPACITY`]) holds the messages sent and
/// not yet delivered, in the order they were sent; each leaves when it is due, and `head`
/// moves past the delivered ones.
pub struct Bus {
    ring: [Packet; CAPACITY],
    head: usize,
    tail: usize,
    rng: SplitMix64,
    traffic: Traffic,
}

impl Bus {
    /// An empty bus whose losses and delays come from `seed`.
    pub const fn new(seed: u64) -> Bus {
        Bus {
            ring: [Packet::EMPTY; CAPACITY],
            head: 0,
            tail: 0,
            rng: SplitMix64::new(seed),
            traffic: Traffic {
                sent: 0,
                lost: 0,
                #[cfg(feature = "authentication")]
                forged: 0,
            },
        }
    }

    /// Sends `message` to node `to` at `now`: lost with [`LOSS_PERCENT`] chance, otherwise
    /// delivered after a delay in `MIN_DELAY..=MAX_DELAY`.
    pub fn send(&mut self, now: Instant, to: usize, message: &[u8]) -> Result<(), Full> {
        self.traffic.sent += 1;
        if self.rng.below(100) < LOSS_PERCENT {
            self.traffic.lost += 1;
            return Ok(());
        }
        self.enqueue(now, to, message)?;
        #[cfg(feature = "authentication")]
        if self.traffic.sent.is_multiple_of(FORGE_EVERY) && !message.is_empty() {
            let mut forged = [0u8; MAX_MESSAGE_SIZE];
            let forged = &mut forged[..message.len()];
            forged.copy_from_slice(message);
            let bit = self.rng.below(message.len() as u32 * 8) as usize;
            forged[bit / 8] ^= 1 << (bit % 8);
            self.enqueue(now, to, forged)?;
            self.ring[self.tail.wrapping_sub(1) % CAPACITY].forged = true;
            self.traffic.forged += 1;
        }
        Ok(())
    }

    /// Puts `message` for node `to` in flight, due after a delay in
    /// `MIN_DELAY..=MAX_DELAY`.
    fn enqueue(&mut self, now: Instant, to: usize, message: &[u8]) -> Result<(), Full> {
        if self.tail.wrapping_sub(self.head) == CAPACITY || message.len() > MAX_MESSAGE_SIZE {
            return Err(Full);
        }
        let spread = (MAX_DELAY.as_millis() - MIN_DELAY.as_millis()) as u32 + 1;
        let delay = MIN_DELAY.as_millis() + u64::from(self.rng.below(spread));
        let packet = &mut self.ring[self.tail % CAPACITY];
        packet.deliver_at = Instant::from_millis(now.as_millis() + delay);
        packet.to = to;
        packet.len = message.len();
        packet.bytes[..message.len()].copy_from_slice(message);
        #[cfg(feature = "authentication")]
        {
            packet.forged = false;
        }
        packet.pending = true;
        self.tail = self.tail.wrapping_add(1);
        Ok(())
    }

    /// Takes the first message (in sending order) that is due at `now`.
    pub fn take_due(&mut self, now: Instant) -> Option<Packet> {
        let mut at = self.head;
        while at != self.tail {
            let packet = &mut self.ring[at % CAPACITY];
            if packet.pending && packet.deliver_at <= now {
                packet.pending = false;
                let due = *packet;
                while self.head != self.tail && !self.ring[self.head % CAPACITY].pending {
                    self.head = self.head.wrapping_add(1);
                }
                return Some(due);
            }
            at = at.wrapping_add(1);
        }
        None
    }

    /// Message counts since the bus was created.
    pub fn traffic(&self) -> Traffic {
        self.traffic
    }
}
