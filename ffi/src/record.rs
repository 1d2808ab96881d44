//! The flash-friendly durable record (`bellwether::durable`) for C hosts: encode, decode,
//! recover the newest of two slots, and a slot writer whose state the caller keeps.

use bellwether::durable::{DurableRecord, RECORD_SIZE, RecordError, Slot, SlotWriter, recover};

use crate::node::bw_durable_state;
use crate::pointers::{borrow, borrow_mut, output, slice, slice_mut};
use crate::result::{bw_result, code};

/// The size of one record, in bytes: each of the two slots holds one.
pub const BW_RECORD_SIZE: usize = 24;

const _: () = assert!(BW_RECORD_SIZE == RECORD_SIZE);

/// One of the two storage slots.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum bw_slot {
    /// The first slot.
    A = 0,
    /// The second slot.
    B = 1,
}

impl From<Slot> for bw_slot {
    fn from(slot: Slot) -> Self {
        match slot {
            Slot::A => bw_slot::A,
            Slot::B => bw_slot::B,
        }
    }
}

/// The newest valid record of two slots.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct bw_recovered {
    /// The state it holds.
    pub state: bw_durable_state,
    /// Its sequence number.
    pub sequence: u32,
    /// The slot it was in.
    pub slot: bw_slot,
}

/// Where the next record goes: set up by `bw_slot_writer_resume`, advanced by
/// `bw_slot_writer_write`. Treat the fields as private.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct bw_slot_writer {
    /// The slot of the next record: 0 (A) or 1 (B).
    pub next_slot: u32,
    /// The sequence number of the next record.
    pub next_sequence: u32,
}

impl bw_slot_writer {
    fn from_writer(writer: SlotWriter) -> bw_slot_writer {
        bw_slot_writer {
            next_slot: bw_slot::from(writer.next_slot()) as u32,
            next_sequence: writer.next_sequence(),
        }
    }

    fn to_writer(self) -> Result<SlotWriter, bw_result> {
        let slot = match self.next_slot {
            0 => Slot::A,
            1 => Slot::B,
            _ => return Err(bw_result::InvalidArgument),
        };
        Ok(SlotWriter::continuing(slot, self.next_sequence))
    }
}

/// Encodes `state` with `sequence` into `buf` (`BW_RECORD_SIZE` bytes).
///
/// # Safety
/// `state` must be NULL or valid; `buf` must be NULL or point to `buf_len` writable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_record_encode(
    state: *const bw_durable_state,
    sequence: u32,
    buf: *mut u8,
    buf_len: usize,
) -> bw_result {
    // SAFETY: the caller guarantees both pointers are NULL or valid for their lengths.
    let (state, buf) = unsafe { (borrow(state), slice_mut(buf, buf_len)) };
    code((|| {
        let (state, buf) = (state?, buf?);
        let out = buf
            .get_mut(..RECORD_SIZE)
            .ok_or(bw_result::BufferTooSmall)?;
        let record = DurableRecord {
            sequence,
            state: (*state).into(),
        };
        out.copy_from_slice(&record.encode());
        Ok(bw_result::Ok)
    })())
}

/// Decodes one record of `len` bytes into its state and sequence number.
///
/// # Safety
/// `record` must be NULL or point to `len` readable bytes; the outputs must be NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_record_decode(
    record: *const u8,
    len: usize,
    out_state: *mut bw_durable_state,
    out_sequence: *mut u32,
) -> bw_result {
    // SAFETY: the caller guarantees the pointers are NULL or valid for their lengths.
    let (record, out_state, out_sequence) =
        unsafe { (slice(record, len), output(out_state), output(out_sequence)) };
    code((|| {
        let (record, out_state, out_sequence) = (record?, out_state?, out_sequence?);
        let decoded = DurableRecord::decode(record)?;
        out_state.put(decoded.state.into());
        Ok(out_sequence.put(decoded.sequence))
    })())
}

/// Finds the newest valid record of slot A and slot B (a torn, erased or corrupt slot is
/// skipped); `BW_RESULT_NO_VALID_RECORD` when neither holds one (a node that never stored
/// its state starts with `bw_node_init`). Pass exactly `BW_RECORD_SIZE` bytes per slot
/// (erased or zeroed for a slot never written): any other length is
/// `BW_RESULT_RECORD_WRONG_LENGTH`, so that a whole sector passed by mistake is not taken
/// for blank storage.
///
/// # Safety
/// Each slot pointer must be NULL or point to that many readable bytes; `out` must be NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_record_recover(
    slot_a: *const u8,
    slot_a_len: usize,
    slot_b: *const u8,
    slot_b_len: usize,
    out: *mut bw_recovered,
) -> bw_result {
    // SAFETY: the caller guarantees the pointers are NULL or valid for their lengths.
    let (a, b, out) = unsafe {
        (
            slice(slot_a, slot_a_len),
            slice(slot_b, slot_b_len),
            output(out),
        )
    };
    code((|| {
        let (a, b, out) = (a?, b?, out?);
        let recovered = recover(a, b)?;
        Ok(out.put(bw_recovered {
            state: recovered.record.state.into(),
            sequence: recovered.record.sequence,
            slot: recovered.slot.into(),
        }))
    })())
}

/// Sets up `out_writer` to continue after the slots' contents (or, with no valid record,
/// to start at slot A). Each slot must be exactly `BW_RECORD_SIZE` bytes, as for
/// `bw_record_recover` (`BW_RESULT_RECORD_WRONG_LENGTH` otherwise).
///
/// # Safety
/// As `bw_record_recover`; `out_writer` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_slot_writer_resume(
    slot_a: *const u8,
    slot_a_len: usize,
    slot_b: *const u8,
    slot_b_len: usize,
    out_writer: *mut bw_slot_writer,
) -> bw_result {
    // SAFETY: the caller guarantees the pointers are NULL or valid for their lengths.
    let (a, b, out) = unsafe {
        (
            slice(slot_a, slot_a_len),
            slice(slot_b, slot_b_len),
            output(out_writer),
        )
    };
    code((|| {
        let (a, b, out) = (a?, b?, out?);
        if let Some(wrong) = [a.len(), b.len()]
            .into_iter()
            .find(|&len| len != RECORD_SIZE)
        {
            return Err(RecordError::WrongLength(wrong).into());
        }
        Ok(out.put(bw_slot_writer::from_writer(SlotWriter::resume(a, b))))
    })())
}

/// Encodes `state` as the next record into `buf` (`BW_RECORD_SIZE` bytes), writes the slot
/// it must go to into `out_slot`, and advances the writer. Write the bytes to that slot,
/// wait until the write is complete, then confirm the state to the node.
///
/// # Safety
/// `writer` must be NULL or valid and writable; `state` NULL or valid; `buf` NULL or
/// `buf_len` writable bytes; `out_slot` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bw_slot_writer_write(
    writer: *mut bw_slot_writer,
    state: *const bw_durable_state,
    buf: *mut u8,
    buf_len: usize,
    out_slot: *mut bw_slot,
) -> bw_result {
    // SAFETY: the caller guarantees every pointer is NULL or valid for its length.
    let (writer, state, buf, out_slot) = unsafe {
        (
            borrow_mut(writer),
            borrow(state),
            slice_mut(buf, buf_len),
            output(out_slot),
        )
    };
    code((|| {
        let (writer, state, buf, out_slot) = (writer?, state?, buf?, out_slot?);
        let out = buf
            .get_mut(..RECORD_SIZE)
            .ok_or(bw_result::BufferTooSmall)?;
        let mut next = writer.to_writer()?;
        let (slot, record) = next.write((*state).into());
        out.copy_from_slice(&record);
        *writer = bw_slot_writer::from_writer(next);
        Ok(out_slot.put(slot.into()))
    })())
}
