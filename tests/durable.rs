#![cfg(feature = "quorum")]
//! Durable state under power loss: torn writes at every byte, bit flips, sequence
//! wrap-around, blank storage, and the A/B slot discipline of `SlotWriter`. Two slots are
//! simulated as byte arrays; every check asserts the exact record recovered.

use bellwether::durable::{
    DurableRecord, RECORD_SIZE, RecordError, Recovered, Slot, SlotWriter, recover,
};
use bellwether::{DurableState, NodeId, Term};

const ERASED: [u8; RECORD_SIZE] = [0xFF; RECORD_SIZE];

/// Two slots of simulated storage.
#[derive(Clone, Copy)]
struct Flash {
    a: [u8; RECORD_SIZE],
    b: [u8; RECORD_SIZE],
}

impl Flash {
    fn erased() -> Flash {
        Flash {
            a: ERASED,
            b: ERASED,
        }
    }

    fn read(&self, slot: Slot) -> [u8; RECORD_SIZE] {
        match slot {
            Slot::A => self.a,
            Slot::B => self.b,
        }
    }

    fn slot(&mut self, slot: Slot) -> &mut [u8; RECORD_SIZE] {
        match slot {
            Slot::A => &mut self.a,
            Slot::B => &mut self.b,
        }
    }

    fn recover(&self) -> Result<Recovered, RecordError> {
        recover(&self.a, &self.b)
    }

    fn resume(&self) -> SlotWriter {
        SlotWriter::resume(&self.a, &self.b)
    }
}

/// A tiny xorshift64 generator, so failures reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn state(&mut self) -> DurableState {
        let voted_for = (self.next() & 1 == 1).then(|| NodeId(self.next() as u32));
        state(self.next() >> self.below(64), voted_for.map(|id| id.0))
    }
}

fn state(term: u64, voted_for: Option<u32>) -> DurableState {
    DurableState {
        term: Term(term),
        voted_for: voted_for.map(NodeId),
    }
}

fn other(slot: Slot) -> Slot {
    match slot {
        Slot::A => Slot::B,
        Slot::B => Slot::A,
    }
}

fn recovered(sequence: u32, state: DurableState, slot: Slot) -> Recovered {
    Recovered {
        record: DurableRecord { sequence, state },
        slot,
    }
}

/// Storage holding `older` (sequence `sequence`) in `slot` and `newer` (the next sequence)
/// in the other slot.
fn two_records(sequence: u32, slot: Slot, older: DurableState, newer: DurableState) -> Flash {
    let mut flash = Flash::erased();
    *flash.slot(slot) = DurableRecord {
        sequence,
        state: older,
    }
    .encode();
    *flash.slot(other(slot)) = DurableRecord {
        sequence: sequence.wrapping_add(1),
        state: newer,
    }
    .encode();
    flash
}

/// Sequences around every boundary: zero, the sign bit of the serial comparison, and wrap.
const SEQUENCES: [u32; 7] = [
    0,
    1,
    1000,
    i32::MAX as u32 - 1,
    i32::MAX as u32,
    u32::MAX - 1,
    u32::MAX,
];

#[test]
fn a_torn_write_at_any_byte_recovers_the_previous_state_or_the_complete_new_one() {
    let histories = [
        (state(4, Some(1)), state(5, None), state(5, Some(2))),
        (state(0, None), state(1, Some(0)), state(1, Some(0))),
        (
            state(u64::MAX - 1, Some(u32::MAX)),
            state(u64::MAX, None),
            state(u64::MAX, Some(u32::MAX)),
        ),
    ];
    let mut cases = 0;
    for sequence in SEQUENCES {
        for older_slot in [Slot::A, Slot::B] {
            for (older, newer, new) in histories {
                let flash = two_records(sequence, older_slot, older, newer);
                let previous = recovered(sequence.wrapping_add(1), newer, other(older_slot));
                assert_eq!(flash.recover(), Ok(previous));

                let mut writer = flash.resume();
                let (slot, new_bytes) = writer.write(new);
                assert_eq!(slot, older_slot, "the write must go over the older record");
                let complete = recovered(sequence.wrapping_add(2), new, slot);
                assert_eq!(DurableRecord::decode(&new_bytes), Ok(complete.record));

                let old_bytes = flash.read(slot);
                for written in 0..=RECORD_SIZE {
                    let programmed_over_old = torn(&new_bytes, &old_bytes, written);
                    let programmed_after_erase = torn(&new_bytes, &ERASED, written);
                    let torn_erase = torn(&ERASED, &old_bytes, written);
                    for contents in [programmed_over_old, programmed_after_erase, torn_erase] {
                        let mut flash = flash;
                        *flash.slot(slot) = contents;
                        let expected = if contents == new_bytes {
                            complete
                        } else {
                            previous
                        };
                        assert_eq!(
                            flash.recover(),
                            Ok(expected),
                            "sequence {sequence}, {written} bytes written: {contents:02x?}"
                        );
                        // Writing again after the restart goes over the torn slot, unless the
                        // write completed.
                        let (next_slot, next) = flash.resume().write(new);
                        let next = DurableRecord::decode(&next).unwrap();
                        assert_eq!(next_slot, other(expected.slot));
                        assert_eq!(next.sequence, expected.record.sequence.wrapping_add(1));
                        cases += 1;
                    }
                }
            }
        }
    }
    assert_eq!(cases, SEQUENCES.len() * 2 * 3 * (RECORD_SIZE + 1) * 3);
}

/// The first `written` bytes of `new`, then the rest of `old`.
fn torn(new: &[u8; RECORD_SIZE], old: &[u8; RECORD_SIZE], written: usize) -> [u8; RECORD_SIZE] {
    let mut bytes = *old;
    bytes[..written].copy_from_slice(&new[..written]);
    bytes
}

fn flip(bytes: &mut [u8; RECORD_SIZE], bit: usize) {
    bytes[bit / 8] ^= 1 << (bit % 8);
}

const BITS: usize = RECORD_SIZE * 8;

#[test]
fn every_single_and_double_bit_flip_in_either_slot_is_detected() {
    let mut cases = 0;
    for older_slot in [Slot::A, Slot::B] {
        let flash = two_records(41, older_slot, state(7, Some(3)), state(8, None));
        for corrupt in [Slot::A, Slot::B] {
            let intact = if corrupt == older_slot {
                recovered(42, state(8, None), other(corrupt))
            } else {
                recovered(41, state(7, Some(3)), other(corrupt))
            };
            for first in 0..BITS {
                for second in first..BITS {
                    let mut flash = flash;
                    flip(flash.slot(corrupt), first);
                    if second != first {
                        flip(flash.slot(corrupt), second);
                    }
                    assert_eq!(flash.recover(), Ok(intact), "bits {first} and {second}");
                    cases += 1;
                }
            }
        }
    }
    assert_eq!(cases, 2 * 2 * (BITS + BITS * (BITS - 1) / 2));
}

#[test]
fn random_bit_flips_never_yield_a_record_that_was_not_written() {
    // CRC-32 detects every error of up to 5 bits in a 24-byte record (checked exhaustively
    // offline; its Hamming distance at this length is at least 6), so the corrupt slot is
    // always skipped and the intact one returned.
    let mut rng = XorShift(0x5EED_D0AB_1E5E_ED01);
    for case in 0..20_000 {
        let sequence = rng.next() as u32;
        let older_slot = if rng.next() & 1 == 0 {
            Slot::A
        } else {
            Slot::B
        };
        let (older, newer) = (rng.state(), rng.state());
        let mut flash = two_records(sequence, older_slot, older, newer);
        let corrupt = if rng.next() & 1 == 0 {
            Slot::A
        } else {
            Slot::B
        };
        let intact = if corrupt == older_slot {
            recovered(sequence.wrapping_add(1), newer, other(older_slot))
        } else {
            recovered(sequence, older, older_slot)
        };

        let mut bits = Vec::new();
        let count = 1 + rng.below(5);
        while bits.len() < count {
            let bit = rng.below(BITS);
            if !bits.contains(&bit) {
                bits.push(bit);
            }
        }
        for &bit in &bits {
            flip(flash.slot(corrupt), bit);
        }
        assert_eq!(flash.recover(), Ok(intact), "case {case}: bits {bits:?}");
    }
}

/// CRC-32 (IEEE 802.3), written independently of the crate's, to seal crafted records.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn decoding_random_bytes_never_panics_and_accepts_only_canonical_records() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    let mut rng = XorShift(0x0BAD_5EED_0BAD_5EED);
    let mut accepted = 0;
    for case in 0..20_000 {
        let mut bytes = [0u8; 2 * RECORD_SIZE];
        bytes.iter_mut().for_each(|byte| *byte = rng.next() as u8);
        let len = if rng.next() & 1 == 0 {
            RECORD_SIZE
        } else {
            rng.below(bytes.len() + 1)
        };
        // Half the records get a correct checksum over a mostly plausible header, so
        // decoding gets past the checksum to the magic, version and flags.
        let sealed = len == RECORD_SIZE && rng.next() & 1 == 0;
        if sealed {
            for (at, plausible) in [(0, b'B'), (1, b'W'), (2, 1), (3, 0)] {
                if rng.below(8) != 0 {
                    bytes[at] = plausible;
                }
            }
            if rng.next() & 1 == 0 {
                bytes[3] = 1;
            } else if rng.below(8) != 0 {
                bytes[16..20].fill(0);
            }
            let crc = crc32(&bytes[..RECORD_SIZE - 4]);
            bytes[RECORD_SIZE - 4..RECORD_SIZE].copy_from_slice(&crc.to_le_bytes());
        }
        let bytes = &bytes[..len];
        match DurableRecord::decode(bytes) {
            Ok(record) => {
                assert_eq!(record.encode().as_slice(), bytes, "case {case}");
                accepted += 1;
            }
            Err(RecordError::WrongLength(n)) => assert!(n == len && len != RECORD_SIZE),
            Err(RecordError::BadChecksum) => assert!(!sealed, "case {case}: {bytes:02x?}"),
            Err(_) => assert!(sealed, "case {case}: {bytes:02x?}"),
        }
    }
    assert!(accepted > 1000, "only {accepted} records decoded");
}

#[test]
fn sequences_that_wrap_around_still_order_records() {
    for sequence in SEQUENCES {
        for older_slot in [Slot::A, Slot::B] {
            let flash = two_records(sequence, older_slot, state(1, None), state(2, None));
            assert_eq!(
                flash.recover(),
                Ok(recovered(
                    sequence.wrapping_add(1),
                    state(2, None),
                    other(older_slot)
                )),
                "older sequence {sequence} in slot {older_slot:?}"
            );
        }
    }

    // u32::MAX, then 0 and 1: each write is recovered as the newest.
    let mut flash = Flash::erased();
    let mut writer = SlotWriter::after(&recovered(u32::MAX - 1, state(1, None), Slot::B));
    for (term, expected) in [(2, u32::MAX), (3, 0), (4, 1)] {
        let (slot, bytes) = writer.write(state(term, None));
        *flash.slot(slot) = bytes;
        let newest = flash.recover().unwrap();
        assert_eq!(newest.record.sequence, expected);
        assert_eq!(newest.record.state, state(term, None));
    }
}

#[test]
fn records_neither_newer_than_the_other_resolve_to_slot_a() {
    for (a, b) in [
        (5, 5),
        (0, 1 << 31),
        (1 << 31, 0),
        (u32::MAX, i32::MAX as u32),
    ] {
        let mut flash = Flash::erased();
        *flash.slot(Slot::A) = DurableRecord {
            sequence: a,
            state: state(1, None),
        }
        .encode();
        *flash.slot(Slot::B) = DurableRecord {
            sequence: b,
            state: state(2, None),
        }
        .encode();
        assert_eq!(flash.recover(), Ok(recovered(a, state(1, None), Slot::A)));
    }
}

#[test]
fn blank_storage_holds_no_record() {
    let zeroed = [0u8; RECORD_SIZE];
    for (a, b) in [(ERASED, ERASED), (zeroed, zeroed), (ERASED, zeroed)] {
        assert_eq!(recover(&a, &b), Err(RecordError::NoValidRecord));
        assert_eq!(recover(&b, &a), Err(RecordError::NoValidRecord));
        assert_eq!(SlotWriter::resume(&a, &b), SlotWriter::new());
    }

    // One blank slot is skipped.
    let record = DurableRecord {
        sequence: 3,
        state: state(9, Some(4)),
    };
    for blank in [ERASED, zeroed] {
        assert_eq!(
            recover(&blank, &record.encode()),
            Ok(Recovered {
                record,
                slot: Slot::B
            })
        );
        assert_eq!(
            recover(&record.encode(), &blank),
            Ok(Recovered {
                record,
                slot: Slot::A
            })
        );
    }
}

#[test]
fn a_slot_of_the_wrong_length_is_an_error_not_a_blank_slot() {
    let valid = DurableRecord {
        sequence: 1,
        state: state(1, Some(1)),
    }
    .encode();
    let sector = [0xFF; 4096];
    assert_eq!(
        recover(&valid, &sector),
        Err(RecordError::WrongLength(4096))
    );
    assert_eq!(
        recover(&valid[..RECORD_SIZE - 1], &valid),
        Err(RecordError::WrongLength(RECORD_SIZE - 1))
    );
    assert_eq!(recover(&[], &[]), Err(RecordError::WrongLength(0)));
    assert_eq!(
        recover(&valid, &sector[..RECORD_SIZE]).map(|r| r.slot),
        Ok(Slot::A)
    );
}

#[test]
fn the_writer_alternates_slots_and_never_overwrites_the_newest_record() {
    assert_eq!(SlotWriter::default(), SlotWriter::new());
    let mut flash = Flash::erased();
    let mut writer = SlotWriter::new();
    for write in 0..10_u32 {
        let newest = flash.recover().ok();
        let state = state(u64::from(write / 2), Some(write % 3));
        let (slot, bytes) = writer.write(state);
        assert_eq!(slot, if write % 2 == 0 { Slot::A } else { Slot::B });
        assert_ne!(Some(slot), newest.map(|newest| newest.slot));
        *flash.slot(slot) = bytes;
        assert_eq!(flash.recover(), Ok(recovered(write + 1, state, slot)));
        // A restart here continues exactly where the writer is.
        assert_eq!(flash.resume(), writer);
    }

    // Only slot B holds a record: the next write goes to A, one sequence on.
    let mut flash = Flash::erased();
    *flash.slot(Slot::B) = DurableRecord {
        sequence: 77,
        state: state(2, None),
    }
    .encode();
    let (slot, bytes) = flash.resume().write(state(3, Some(1)));
    assert_eq!(slot, Slot::A);
    assert_eq!(
        DurableRecord::decode(&bytes).map(|record| record.sequence),
        Ok(78)
    );
}
