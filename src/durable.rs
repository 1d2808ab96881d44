//! Durable state for quorum election: the term and the vote a node must not
//! forget across a restart, stored so that losing power in the middle of a write cannot
//! lose them.
//!
//! ## The A/B scheme
//!
//! The host reserves two slots of [`RECORD_SIZE`] bytes, A and B, in storage that survives
//! a restart. Every write stores a whole [`DurableRecord`] (the state, a sequence number one
//! past the previous record's, and a CRC-32) in the slot that does *not* hold the newest
//! valid record, so a write torn by power loss can only destroy the older copy. At start-up,
//! [`recover`] reads both slots, skips one that is torn, erased or corrupt, and returns the
//! newer valid record. On flash, each slot must be erasable on its own (its own erase
//! sector or page), or erasing one slot would erase both.
//!
//! ## How a host uses it
//!
//! 1. At start-up, read both slots: [`recover`] returns the last state persisted, and
//!    [`SlotWriter::resume`] (or [`SlotWriter::after`]) continues after it. Since a write
//!    touches one slot only, [`RecordError::NoValidRecord`] means nothing was ever stored
//!    (storage failure aside): a fresh node starts from [`DurableState::default`].
//! 2. When the durable state changes, [`SlotWriter::write`] returns the bytes and the slot
//!    to write them to; write them there (erasing the slot first if the storage needs it).
//! 3. Once the write has completed (and has been read back and checked with
//!    [`DurableRecord::decode`], if the storage allows), call `Engine::confirm_persisted`.
//!    The engine sends no vote resting on the new state before that, so a torn write, which
//!    recovery rolls back to the previous state, was never acted on.
//!
//! A [`SlotWriter`] assumes every write it hands out lands: if one fails without a restart,
//! call [`SlotWriter::resume`] on the slots' contents before writing again.
//!
//! ## Record layout
//!
//! [`RECORD_SIZE`] (24) bytes, integers little-endian:
//!
//! | bytes | field | contents |
//! |---|---|---|
//! | 0..2 | magic | `b"BW"` |
//! | 2 | version | the record format version, 1 |
//! | 3 | flags | bit 0: has a vote; every other bit zero |
//! | 4..8 | sequence | `u32`, one more than the previous record's (wrapping) |
//! | 8..16 | term | `u64` |
//! | 16..20 | voted_for | `u32` node id; 0 when there is no vote |
//! | 20..24 | checksum | CRC-32 of bytes 0..20 (IEEE 802.3: reflected polynomial `0xEDB88320`, initial value and final XOR `0xFFFFFFFF`) |
//!
//! Erased flash (all `0xFF`) and zeroed storage fail the checksum, so they never decode as
//! a record.
//!
//! ## Example
//!
//! ```
//! use bellwether::durable::{recover, SlotWriter, RECORD_SIZE};
//! use bellwether::{DurableState, NodeId, Term};
//!
//! // Two slots of erased flash.
//! let mut flash = [[0xFF_u8; RECORD_SIZE]; 2];
//!
//! let states = [
//!     DurableState { term: Term(1), voted_for: Some(NodeId(1)) },
//!     DurableState { term: Term(2), voted_for: None },
//!     DurableState { term: Term(2), voted_for: Some(NodeId(3)) },
//! ];
//! let mut writer = SlotWriter::resume(&flash[0], &flash[1]);
//! for state in &states[..2] {
//!     let (slot, bytes) = writer.write(*state);
//!     flash[slot.index()] = bytes;
//!     // ...then `engine.confirm_persisted(..)`.
//! }
//!
//! // Power fails ten bytes into the third write.
//! let (slot, bytes) = writer.write(states[2]);
//! flash[slot.index()][..10].copy_from_slice(&bytes[..10]);
//!
//! // After the restart, the second state is back, in the slot the torn write spared.
//! let recovered = recover(&flash[0], &flash[1])?;
//! assert_eq!(recovered.record.state, states[1]);
//! assert_ne!(recovered.slot, slot);
//! # Ok::<(), bellwether::durable::RecordError>(())
//! ```

use core::fmt;

use crate::config::NodeId;
use crate::crc::crc32;
use crate::wire::Term;

/// What quorum election must remember across a restart: the current term and
/// the vote cast in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DurableState {
    /// The current term.
    pub term: Term,
    /// The node this one voted for in `term`, if it has voted.
    pub voted_for: Option<NodeId>,
}

/// The size of an encoded [`DurableRecord`], and of each slot, in bytes.
pub const RECORD_SIZE: usize = 24;

/// The bytes the checksum covers: all but the checksum itself.
const BODY_SIZE: usize = RECORD_SIZE - 4;
const MAGIC: [u8; 2] = *b"BW";
const VERSION: u8 = 1;
const FLAG_HAS_VOTE: u8 = 1;

/// One stored record: a sequence number (one more on every write, wrapping) and the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DurableRecord {
    /// Orders the records of the two slots; see [`recover`].
    pub sequence: u32,
    /// The state stored.
    pub state: DurableState,
}

impl DurableRecord {
    /// The record's bytes, little-endian: magic `b"BW"`, version 1, flags (bit 0: has a
    /// vote), sequence `u32`, term `u64`, voted_for `u32` (0 if none), then the CRC-32 of
    /// the 20 bytes before it.
    pub fn encode(&self) -> [u8; RECORD_SIZE] {
        let (flags, voter) = match self.state.voted_for {
            Some(NodeId(id)) => (FLAG_HAS_VOTE, id),
            None => (0, 0),
        };
        // Spelled out byte by byte: iterator chains cost about 1 KiB of flash here.
        let [m0, m1] = MAGIC;
        let [s0, s1, s2, s3] = self.sequence.to_le_bytes();
        let [t0, t1, t2, t3, t4, t5, t6, t7] = self.state.term.0.to_le_bytes();
        let [v0, v1, v2, v3] = voter.to_le_bytes();
        let body: [u8; BODY_SIZE] = [
            m0, m1, VERSION, flags, s0, s1, s2, s3, t0, t1, t2, t3, t4, t5, t6, t7, v0, v1, v2, v3,
        ];
        let [c0, c1, c2, c3] = crc32(&body).to_le_bytes();
        [
            m0, m1, VERSION, flags, s0, s1, s2, s3, t0, t1, t2, t3, t4, t5, t6, t7, v0, v1, v2, v3,
            c0, c1, c2, c3,
        ]
    }

    /// Reads a record. Checks, in order: the length, the checksum (so a torn or erased
    /// record is [`RecordError::BadChecksum`]), the magic, the version and the flags.
    /// Never panics.
    pub fn decode(bytes: &[u8]) -> Result<DurableRecord, RecordError> {
        let record: [u8; RECORD_SIZE] = bytes
            .try_into()
            .map_err(|_| RecordError::WrongLength(bytes.len()))?;
        let [body @ .., c0, c1, c2, c3] = record;
        if crc32(&body) != u32::from_le_bytes([c0, c1, c2, c3]) {
            return Err(RecordError::BadChecksum);
        }
        let [m0, m1, version, flags, rest @ ..] = body;
        let [s0, s1, s2, s3, rest @ ..] = rest;
        let [t0, t1, t2, t3, t4, t5, t6, t7, v0, v1, v2, v3] = rest;
        if [m0, m1] != MAGIC {
            return Err(RecordError::BadMagic);
        }
        if version != VERSION {
            return Err(RecordError::UnsupportedVersion(version));
        }
        let voted_for = match (flags, u32::from_le_bytes([v0, v1, v2, v3])) {
            (0, 0) => None,
            (FLAG_HAS_VOTE, id) => Some(NodeId(id)),
            _ => return Err(RecordError::Malformed),
        };
        Ok(DurableRecord {
            sequence: u32::from_le_bytes([s0, s1, s2, s3]),
            state: DurableState {
                term: Term(u64::from_le_bytes([t0, t1, t2, t3, t4, t5, t6, t7])),
                voted_for,
            },
        })
    }
}

/// One of the two storage slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    /// The first slot.
    A,
    /// The second slot.
    B,
}

impl Slot {
    /// 0 for slot A, 1 for slot B: an index into the host's pair of slots.
    pub const fn index(self) -> usize {
        match self {
            Slot::A => 0,
            Slot::B => 1,
        }
    }

    const fn other(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::A,
        }
    }
}

/// The newest valid record of the two slots, and the slot it was in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Recovered {
    /// The record.
    pub record: DurableRecord,
    /// The slot that holds it.
    pub slot: Slot,
}

/// Returns the newest valid record of slot A and slot B, skipping a slot that does not
/// decode (torn, erased, corrupt), or [`RecordError::NoValidRecord`] if neither does.
///
/// Pass each slot's first [`RECORD_SIZE`] bytes exactly: a slice of another length is the
/// host's mistake, not a torn slot, so it is [`RecordError::WrongLength`] rather than
/// skipped (skipping both would look like a node that never stored anything).
///
/// Sequence numbers are compared with serial-number arithmetic, so they may wrap: `a` is
/// newer than `b` if `a.wrapping_sub(b) as i32 > 0`. Two records neither of which is newer
/// (equal sequences, or 2³¹ apart; a [`SlotWriter`] never writes those) resolve to slot A.
pub fn recover(slot_a: &[u8], slot_b: &[u8]) -> Result<Recovered, RecordError> {
    if let Some(wrong) = [slot_a, slot_b]
        .iter()
        .find(|bytes| bytes.len() != RECORD_SIZE)
    {
        return Err(RecordError::WrongLength(wrong.len()));
    }
    let read = |bytes, slot| {
        DurableRecord::decode(bytes)
            .ok()
            .map(|record| Recovered { record, slot })
    };
    match (read(slot_a, Slot::A), read(slot_b, Slot::B)) {
        (Some(a), Some(b)) if (b.record.sequence.wrapping_sub(a.record.sequence) as i32) > 0 => {
            Ok(b)
        }
        (Some(a), _) => Ok(a),
        (None, Some(b)) => Ok(b),
        (None, None) => Err(RecordError::NoValidRecord),
    }
}

/// Decides where, and with which sequence number, the next record goes: always the slot
/// that does not hold the newest valid record, so a torn write can only destroy the older
/// copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SlotWriter {
    next_slot: Slot,
    next_sequence: u32,
}

impl SlotWriter {
    /// A writer for empty storage: the first record goes to slot A with sequence 1.
    pub const fn new() -> SlotWriter {
        SlotWriter {
            next_slot: Slot::A,
            next_sequence: 1,
        }
    }

    /// A writer that continues after a recovered record: into the other slot, with the
    /// next sequence number.
    pub const fn after(recovered: &Recovered) -> SlotWriter {
        SlotWriter {
            next_slot: recovered.slot.other(),
            next_sequence: recovered.record.sequence.wrapping_add(1),
        }
    }

    /// A writer whose next record goes to `slot` with sequence number `sequence` (for
    /// hosts that keep a writer's state themselves, such as the C API).
    pub const fn continuing(slot: Slot, sequence: u32) -> SlotWriter {
        SlotWriter {
            next_slot: slot,
            next_sequence: sequence,
        }
    }

    /// The slot the next record goes to.
    pub const fn next_slot(&self) -> Slot {
        self.next_slot
    }

    /// The sequence number of the next record.
    pub const fn next_sequence(&self) -> u32 {
        self.next_sequence
    }

    /// A writer that continues after the slots' contents: [`SlotWriter::after`] their
    /// [`recover`]y, or [`SlotWriter::new`] if that fails.
    pub fn resume(slot_a: &[u8], slot_b: &[u8]) -> SlotWriter {
        recover(slot_a, slot_b).map_or(SlotWriter::new(), |recovered| SlotWriter::after(&recovered))
    }

    /// The slot to write `state` to and the bytes to write there; the next write goes to
    /// the other slot.
    pub fn write(&mut self, state: DurableState) -> (Slot, [u8; RECORD_SIZE]) {
        let recovered = Recovered {
            record: DurableRecord {
                sequence: self.next_sequence,
                state,
            },
            slot: self.next_slot,
        };
        *self = SlotWriter::after(&recovered);
        (recovered.slot, recovered.record.encode())
    }
}

impl Default for SlotWriter {
    /// [`SlotWriter::new`].
    fn default() -> SlotWriter {
        SlotWriter::new()
    }
}

/// Why bytes are not a valid record, or two slots hold none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecordError {
    /// The bytes (a record, or a slot given to [`recover`]) are not [`RECORD_SIZE`] long;
    /// holds their length.
    WrongLength(usize),
    /// The checksum matches but the record does not start with `b"BW"`.
    BadMagic,
    /// A record format version this build does not know.
    UnsupportedVersion(u8),
    /// The checksum does not match: a torn write, erased storage, or corruption.
    BadChecksum,
    /// Unknown flag bits, or a `voted_for` without the has-vote flag.
    Malformed,
    /// Neither slot holds a valid record.
    NoValidRecord,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::WrongLength(len) => {
                write!(f, "a durable record is {RECORD_SIZE} bytes, not {len}")
            }
            RecordError::BadMagic => f.write_str("the durable record has the wrong magic"),
            RecordError::UnsupportedVersion(v) => {
                write!(f, "unsupported durable record version {v}")
            }
            RecordError::BadChecksum => f.write_str("the durable record's checksum is wrong"),
            RecordError::Malformed => f.write_str("a field of the durable record is malformed"),
            RecordError::NoValidRecord => f.write_str("neither slot holds a valid durable record"),
        }
    }
}

impl core::error::Error for RecordError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(term: u64, voted_for: Option<u32>) -> DurableState {
        DurableState {
            term: Term(term),
            voted_for: voted_for.map(NodeId),
        }
    }

    /// Collects an iterator of exactly `N` bytes into an array.
    fn fill<const N: usize>(bytes: impl Iterator<Item = u8>) -> [u8; N] {
        let mut array = [0; N];
        array
            .iter_mut()
            .zip(bytes)
            .for_each(|(slot, byte)| *slot = byte);
        array
    }

    /// A record with the given body and a correct checksum.
    fn sealed(body: [u8; BODY_SIZE]) -> [u8; RECORD_SIZE] {
        fill(body.into_iter().chain(crc32(&body).to_le_bytes()))
    }

    /// The body of a valid record, to alter before sealing.
    fn valid_body() -> [u8; BODY_SIZE] {
        let record = DurableRecord {
            sequence: 9,
            state: state(3, Some(2)),
        };
        fill(record.encode().into_iter())
    }

    #[test]
    fn encode_matches_the_documented_layout() {
        let record = DurableRecord {
            sequence: 0x0403_0201,
            state: state(0x0C0B_0A09_0807_0605, Some(0x100F_0E0D)),
        };
        // CRC-32 of the first 20 bytes is 0x6994A778 (Python's zlib.crc32 agrees).
        let expected = [
            b'B', b'W', 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0x78, 0xA7,
            0x94, 0x69,
        ];
        assert_eq!(record.encode(), expected);
        let no_vote = DurableRecord {
            sequence: 0,
            state: DurableState::default(),
        };
        let expected = [
            b'B', b'W', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x9F, 0xA7, 0xC5,
            0x0B,
        ];
        assert_eq!(no_vote.encode(), expected);
    }

    #[test]
    fn records_round_trip() {
        let states = [
            state(0, None),
            state(1, Some(0)),
            state(7, Some(3)),
            state(u64::MAX, None),
            state(u64::MAX, Some(u32::MAX)),
        ];
        for state in states {
            for sequence in [0, 1, 0x8000_0000, u32::MAX] {
                let record = DurableRecord { sequence, state };
                assert_eq!(DurableRecord::decode(&record.encode()), Ok(record));
            }
        }
    }

    #[test]
    fn every_error_has_an_input_that_produces_it() {
        let valid = sealed(valid_body());
        assert!(DurableRecord::decode(&valid).is_ok());

        for len in [0, 1, RECORD_SIZE - 1, RECORD_SIZE + 1, 4096] {
            let bytes = [0u8; 4096];
            assert_eq!(
                DurableRecord::decode(&bytes[..len]),
                Err(RecordError::WrongLength(len))
            );
        }

        let mut flipped = valid;
        flipped[10] ^= 0x04;
        assert_eq!(
            DurableRecord::decode(&flipped),
            Err(RecordError::BadChecksum)
        );
        for blank in [[0xFF; RECORD_SIZE], [0; RECORD_SIZE]] {
            assert_eq!(DurableRecord::decode(&blank), Err(RecordError::BadChecksum));
        }

        let mut body = valid_body();
        body[1] = b'X';
        assert_eq!(
            DurableRecord::decode(&sealed(body)),
            Err(RecordError::BadMagic)
        );

        for version in [0, 2, 0xFF] {
            let mut body = valid_body();
            body[2] = version;
            assert_eq!(
                DurableRecord::decode(&sealed(body)),
                Err(RecordError::UnsupportedVersion(version))
            );
        }

        for flags in [0b10, 0b11, 0x80, 0xFF] {
            let mut body = valid_body();
            body[3] = flags;
            assert_eq!(
                DurableRecord::decode(&sealed(body)),
                Err(RecordError::Malformed)
            );
        }
        let mut body = valid_body();
        body[3] = 0; // no vote, but voted_for stays 2
        assert_eq!(
            DurableRecord::decode(&sealed(body)),
            Err(RecordError::Malformed)
        );

        assert_eq!(
            recover(&flipped, &[0xFF; RECORD_SIZE]),
            Err(RecordError::NoValidRecord)
        );
    }

    #[test]
    fn errors_display_a_message() {
        use core::fmt::Write;
        let errors = [
            RecordError::WrongLength(3),
            RecordError::BadMagic,
            RecordError::UnsupportedVersion(2),
            RecordError::BadChecksum,
            RecordError::Malformed,
            RecordError::NoValidRecord,
        ];
        for error in errors {
            let mut text = heapless::String::<64>::new();
            write!(text, "{error}").unwrap();
            assert!(!text.is_empty());
        }
    }
}
