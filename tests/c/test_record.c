/*
 * The flash record functions: encode/decode, every record error, recovery of the newest
 * of two slots (torn writes included), and the slot writer.
 */
#include "check.h"

#include <string.h>

/* Record layout (src/durable.rs): magic "BW", version, flags, sequence u32, term u64,
 * voted_for u32, CRC-32 of the first 20 bytes; little-endian. */
#define OFFSET_VERSION 2
#define OFFSET_FLAGS 3
#define OFFSET_VOTED_FOR 16
#define OFFSET_CHECKSUM 20

typedef uint8_t record[BW_RECORD_SIZE];

/* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320). */
static uint32_t crc32(const uint8_t *bytes, size_t len) {
    uint32_t crc = 0xFFFFFFFFu;
    size_t i;
    int bit;
    for (i = 0; i < len; i++) {
        crc ^= bytes[i];
        for (bit = 0; bit < 8; bit++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return crc ^ 0xFFFFFFFFu;
}

/* Rewrites the checksum after a test changed the body, so decoding gets past it. */
static void reseal(record bytes) {
    uint32_t crc = crc32(bytes, OFFSET_CHECKSUM);
    int i;
    for (i = 0; i < 4; i++) {
        bytes[OFFSET_CHECKSUM + i] = (uint8_t)(crc >> (8 * i));
    }
}

static bw_durable_state state_of(uint64_t term, bool has_vote, uint32_t voted_for) {
    bw_durable_state state;
    memset(&state, 0, sizeof state);
    state.term = term;
    state.has_vote = has_vote;
    state.voted_for = voted_for;
    return state;
}

static void encode(const bw_durable_state *state, uint32_t sequence, record out) {
    CHECK_OK(bw_record_encode(state, sequence, out, BW_RECORD_SIZE));
}

static void check_decodes_to(const record bytes, bw_durable_state expected,
                             uint32_t expected_sequence) {
    bw_durable_state state;
    uint32_t sequence;
    CHECK_OK(bw_record_decode(bytes, BW_RECORD_SIZE, &state, &sequence));
    CHECK_EQ(sequence, expected_sequence);
    CHECK_EQ(state.term, expected.term);
    CHECK_EQ(state.has_vote, expected.has_vote);
    CHECK_EQ(state.voted_for, expected.has_vote ? expected.voted_for : 0);
}

/* Decoding `len` bytes fails with `expected`, writing no output. */
static void check_decode_fails(const uint8_t *bytes, size_t len, bw_result expected) {
    bw_durable_state state;
    uint32_t sequence;
    SENTINEL(state);
    SENTINEL(sequence);
    CHECK_RC(bw_record_decode(bytes, len, &state, &sequence), expected);
    CHECK_UNTOUCHED(state);
    CHECK_UNTOUCHED(sequence);
}

static void records_round_trip(void) {
    const bw_durable_state states[] = {
        state_of(0, false, 0),
        state_of(1, true, 1),
        state_of(7, true, 0),
        state_of(UINT64_MAX, true, UINT32_MAX),
        state_of(0x0123456789ABCDEFull, false, 0),
    };
    const uint32_t sequences[] = {0, 1, 0x80000000u, UINT32_MAX};
    size_t i;
    size_t j;
    for (i = 0; i < sizeof states / sizeof states[0]; i++) {
        for (j = 0; j < sizeof sequences / sizeof sequences[0]; j++) {
            record bytes;
            encode(&states[i], sequences[j], bytes);
            CHECK(bytes[0] == 'B' && bytes[1] == 'W');
            check_decodes_to(bytes, states[i], sequences[j]);
        }
    }
}

/* A vote field without has_vote is not stored: the record says "no vote". */
static void records_store_no_voted_for_without_a_vote(void) {
    bw_durable_state state = state_of(4, false, 9);
    record bytes;
    encode(&state, 1, bytes);
    check_decodes_to(bytes, state, 1);
}

static void encode_needs_a_record_sized_buffer(void) {
    bw_durable_state state = state_of(5, true, 2);
    uint8_t buf[BW_RECORD_SIZE + 1];
    size_t len;
    for (len = 0; len < BW_RECORD_SIZE; len++) {
        SENTINEL(buf);
        CHECK_RC(bw_record_encode(&state, 1, buf, len), BW_RESULT_BUFFER_TOO_SMALL);
        CHECK_UNTOUCHED(buf);
    }
    /* A longer buffer gets the record in its first BW_RECORD_SIZE bytes, nothing more. */
    SENTINEL(buf);
    CHECK_OK(bw_record_encode(&state, 1, buf, sizeof buf));
    CHECK_EQ(buf[BW_RECORD_SIZE], SENTINEL_BYTE);
    check_decodes_to(buf, state, 1);
}

static void every_record_error(void) {
    bw_durable_state state = state_of(5, true, 2);
    record valid;
    record bytes;
    uint8_t longer[BW_RECORD_SIZE + 1];
    size_t i;
    encode(&state, 3, valid);

    /* Wrong lengths; NULL is a NULL pointer, whatever the length. */
    check_decode_fails(NULL, 0, BW_RESULT_NULL_POINTER);
    check_decode_fails(valid, 0, BW_RESULT_RECORD_WRONG_LENGTH);
    check_decode_fails(valid, BW_RECORD_SIZE - 1, BW_RESULT_RECORD_WRONG_LENGTH);
    memcpy(longer, valid, BW_RECORD_SIZE);
    longer[BW_RECORD_SIZE] = 0;
    check_decode_fails(longer, sizeof longer, BW_RESULT_RECORD_WRONG_LENGTH);

    /* Any flipped bit fails the checksum; so do erased flash and zeroes. */
    for (i = 0; i < BW_RECORD_SIZE; i++) {
        memcpy(bytes, valid, sizeof bytes);
        bytes[i] ^= 0x10;
        check_decode_fails(bytes, sizeof bytes, BW_RESULT_RECORD_BAD_CHECKSUM);
    }
    memset(bytes, 0xFF, sizeof bytes);
    check_decode_fails(bytes, sizeof bytes, BW_RESULT_RECORD_BAD_CHECKSUM);
    memset(bytes, 0x00, sizeof bytes);
    check_decode_fails(bytes, sizeof bytes, BW_RESULT_RECORD_BAD_CHECKSUM);

    /* With a matching checksum: a bad magic, an unknown version, inconsistent flags. */
    memcpy(bytes, valid, sizeof bytes);
    bytes[0] = 'X';
    reseal(bytes);
    check_decode_fails(bytes, sizeof bytes, BW_RESULT_RECORD_BAD_MAGIC);
    memcpy(bytes, valid, sizeof bytes);
    bytes[OFFSET_VERSION] = 2;
    reseal(bytes);
    check_decode_fails(bytes, sizeof bytes, BW_RESULT_RECORD_UNSUPPORTED_VERSION);
    memcpy(bytes, valid, sizeof bytes);
    bytes[OFFSET_FLAGS] = 0x02;
    reseal(bytes);
    check_decode_fails(bytes, sizeof bytes, BW_RESULT_RECORD_MALFORMED);
    memcpy(bytes, valid, sizeof bytes);
    CHECK_EQ(bytes[OFFSET_VOTED_FOR], 2);
    bytes[OFFSET_FLAGS] = 0; /* no vote, but a voted_for of 2 */
    reseal(bytes);
    check_decode_fails(bytes, sizeof bytes, BW_RESULT_RECORD_MALFORMED);
    /* The resealing itself is right: resealing the valid record changes nothing. */
    memcpy(bytes, valid, sizeof bytes);
    reseal(bytes);
    CHECK(memcmp(bytes, valid, sizeof bytes) == 0);
}

/* Recovering slots `a` and `b` gives `expected` from `slot`. */
static void check_recovers(const record a, const record b, bw_durable_state expected,
                           uint32_t sequence, bw_slot slot) {
    bw_recovered recovered;
    CHECK_OK(bw_record_recover(a, BW_RECORD_SIZE, b, BW_RECORD_SIZE, &recovered));
    CHECK_EQ(recovered.slot, slot);
    CHECK_EQ(recovered.sequence, sequence);
    CHECK_EQ(recovered.state.term, expected.term);
    CHECK_EQ(recovered.state.has_vote, expected.has_vote);
    CHECK_EQ(recovered.state.voted_for, expected.has_vote ? expected.voted_for : 0);
}

static void check_recover_fails(const uint8_t *a, size_t a_len, const uint8_t *b,
                                size_t b_len, bw_result expected) {
    bw_recovered recovered;
    SENTINEL(recovered);
    CHECK_RC(bw_record_recover(a, a_len, b, b_len, &recovered), expected);
    CHECK_UNTOUCHED(recovered);
}

static void recover_picks_the_newest(void) {
    bw_durable_state older = state_of(2, true, 1);
    bw_durable_state newer = state_of(3, false, 0);
    record erased;
    record a;
    record b;
    memset(erased, 0xFF, sizeof erased);

    encode(&older, 1, a);
    encode(&newer, 2, b);
    check_recovers(a, b, newer, 2, BW_SLOT_B);
    check_recovers(b, a, newer, 2, BW_SLOT_A);
    /* One slot erased: the other. */
    check_recovers(a, erased, older, 1, BW_SLOT_A);
    check_recovers(erased, b, newer, 2, BW_SLOT_B);
    /* Sequence numbers wrap: 0 follows UINT32_MAX. */
    encode(&older, UINT32_MAX, a);
    encode(&newer, 0, b);
    check_recovers(a, b, newer, 0, BW_SLOT_B);
    /* Neither newer (equal sequences): slot A. */
    encode(&older, 5, a);
    encode(&newer, 5, b);
    check_recovers(a, b, older, 5, BW_SLOT_A);
}

static void recover_without_a_valid_record(void) {
    record erased;
    record valid;
    bw_durable_state state = state_of(1, true, 1);
    memset(erased, 0xFF, sizeof erased);
    encode(&state, 1, valid);
    check_recover_fails(erased, BW_RECORD_SIZE, erased, BW_RECORD_SIZE,
                        BW_RESULT_NO_VALID_RECORD);
    /* A slot of the wrong length is the host's mistake, not an empty slot. */
    check_recover_fails(valid, BW_RECORD_SIZE, valid, BW_RECORD_SIZE - 1,
                        BW_RESULT_RECORD_WRONG_LENGTH);
    check_recover_fails(valid, 0, valid, BW_RECORD_SIZE, BW_RESULT_RECORD_WRONG_LENGTH);
    check_recover_fails(NULL, 0, valid, BW_RECORD_SIZE, BW_RESULT_NULL_POINTER);
}

/* The host's two slots and the writer that fills them. */
typedef struct {
    record slots[2];
    bw_slot_writer writer;
} storage;

static void erase_storage(storage *s) {
    memset(s->slots, 0xFF, sizeof s->slots);
    CHECK_OK(bw_slot_writer_resume(s->slots[0], BW_RECORD_SIZE, s->slots[1], BW_RECORD_SIZE,
                                   &s->writer));
}

/* Writes `state` through the writer; only the first `written` bytes land (a torn write
 * when fewer than BW_RECORD_SIZE). Returns the slot. */
static bw_slot store(storage *s, bw_durable_state state, size_t written) {
    record bytes;
    bw_slot slot;
    CHECK_OK(bw_slot_writer_write(&s->writer, &state, bytes, sizeof bytes, &slot));
    CHECK(slot == BW_SLOT_A || slot == BW_SLOT_B);
    memcpy(s->slots[slot], bytes, written);
    return slot;
}

static void a_torn_write_recovers_the_previous_state(void) {
    storage s;
    bw_durable_state first = state_of(1, true, 1);
    bw_durable_state second = state_of(2, false, 0);
    bw_durable_state third = state_of(2, true, 3);
    bw_slot torn;
    size_t written;
    for (written = 0; written < BW_RECORD_SIZE; written++) {
        erase_storage(&s);
        store(&s, first, BW_RECORD_SIZE);
        store(&s, second, BW_RECORD_SIZE);
        torn = store(&s, third, written);
        CHECK_EQ(torn, BW_SLOT_A);
        check_recovers(s.slots[0], s.slots[1], second, 2, BW_SLOT_B);
    }
    /* Whole, the third write is what recovers. */
    erase_storage(&s);
    store(&s, first, BW_RECORD_SIZE);
    store(&s, second, BW_RECORD_SIZE);
    store(&s, third, BW_RECORD_SIZE);
    check_recovers(s.slots[0], s.slots[1], third, 3, BW_SLOT_A);
}

static void the_slot_writer_alternates_slots(void) {
    storage s;
    bw_slot_writer resumed;
    uint32_t i;
    erase_storage(&s);
    CHECK_EQ(s.writer.next_slot, BW_SLOT_A);
    CHECK_EQ(s.writer.next_sequence, 1);
    for (i = 1; i <= 6; i++) {
        bw_durable_state state = state_of(i, i % 2 == 0, i % 3);
        bw_slot expected = (i % 2 == 1) ? BW_SLOT_A : BW_SLOT_B;
        CHECK_EQ(store(&s, state, BW_RECORD_SIZE), expected);
        check_recovers(s.slots[0], s.slots[1], state, i, expected);
        /* Resuming from the slots gives the writer the host kept. */
        CHECK_OK(bw_slot_writer_resume(s.slots[0], BW_RECORD_SIZE, s.slots[1], BW_RECORD_SIZE,
                                       &resumed));
        CHECK_EQ(resumed.next_slot, s.writer.next_slot);
        CHECK_EQ(resumed.next_sequence, s.writer.next_sequence);
    }
}

static void a_slot_other_than_a_or_b_is_invalid(void) {
    bw_durable_state state = state_of(1, true, 1);
    bw_slot_writer writer;
    bw_slot_writer before;
    record bytes;
    bw_slot slot;
    writer.next_slot = 7;
    writer.next_sequence = 1;
    before = writer;
    SENTINEL(bytes);
    SENTINEL(slot);
    CHECK_RC(bw_slot_writer_write(&writer, &state, bytes, sizeof bytes, &slot),
             BW_RESULT_INVALID_ARGUMENT);
    CHECK_UNTOUCHED(bytes);
    CHECK_UNTOUCHED(slot);
    CHECK(memcmp(&writer, &before, sizeof writer) == 0);
    /* A short buffer leaves a valid writer where it was. */
    writer.next_slot = BW_SLOT_B;
    before = writer;
    CHECK_RC(bw_slot_writer_write(&writer, &state, bytes, sizeof bytes - 1, &slot),
             BW_RESULT_BUFFER_TOO_SMALL);
    CHECK_UNTOUCHED(bytes);
    CHECK_UNTOUCHED(slot);
    CHECK(memcmp(&writer, &before, sizeof writer) == 0);
}

/* bw_record_recover refuses a slot of the wrong length (the host's mistake); resuming a
 * writer from the same slots must refuse it too, or the writer restarts at slot A with
 * sequence 1 and its next write overwrites the newest record with one that looks older. */
static void resume_refuses_slots_of_the_wrong_length(void) {
    storage s;
    bw_slot_writer writer;
    erase_storage(&s);
    store(&s, state_of(1, true, 1), BW_RECORD_SIZE);
    store(&s, state_of(2, true, 2), BW_RECORD_SIZE);
    store(&s, state_of(3, true, 3), BW_RECORD_SIZE); /* slot A, the newest */
    SENTINEL(writer);
    CHECK_RC(bw_slot_writer_resume(s.slots[0], BW_RECORD_SIZE, s.slots[1], BW_RECORD_SIZE - 1,
                                   &writer),
             BW_RESULT_RECORD_WRONG_LENGTH);
    CHECK_UNTOUCHED(writer);
}

static void record_functions_refuse_null_pointers(void) {
    bw_durable_state state = state_of(1, true, 1);
    bw_durable_state out_state;
    uint32_t sequence;
    record bytes;
    record valid;
    bw_slot_writer writer;
    bw_slot_writer before;
    bw_slot slot;
    encode(&state, 1, valid);

    SENTINEL(bytes);
    CHECK_RC(bw_record_encode(NULL, 1, bytes, sizeof bytes), BW_RESULT_NULL_POINTER);
    CHECK_UNTOUCHED(bytes);
    CHECK_RC(bw_record_encode(&state, 1, NULL, sizeof bytes), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_record_encode(&state, 1, NULL, 0), BW_RESULT_NULL_POINTER);

    check_decode_fails(NULL, BW_RECORD_SIZE, BW_RESULT_NULL_POINTER);
    SENTINEL(out_state);
    SENTINEL(sequence);
    CHECK_RC(bw_record_decode(valid, BW_RECORD_SIZE, NULL, &sequence), BW_RESULT_NULL_POINTER);
    CHECK_UNTOUCHED(sequence);
    CHECK_RC(bw_record_decode(valid, BW_RECORD_SIZE, &out_state, NULL), BW_RESULT_NULL_POINTER);
    CHECK_UNTOUCHED(out_state);

    check_recover_fails(NULL, BW_RECORD_SIZE, valid, BW_RECORD_SIZE, BW_RESULT_NULL_POINTER);
    check_recover_fails(valid, BW_RECORD_SIZE, NULL, BW_RECORD_SIZE, BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_record_recover(valid, BW_RECORD_SIZE, valid, BW_RECORD_SIZE, NULL),
             BW_RESULT_NULL_POINTER);

    SENTINEL(writer);
    CHECK_RC(bw_slot_writer_resume(NULL, BW_RECORD_SIZE, valid, BW_RECORD_SIZE, &writer),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_slot_writer_resume(valid, BW_RECORD_SIZE, NULL, BW_RECORD_SIZE, &writer),
             BW_RESULT_NULL_POINTER);
    CHECK_UNTOUCHED(writer);
    CHECK_RC(bw_slot_writer_resume(valid, BW_RECORD_SIZE, valid, BW_RECORD_SIZE, NULL),
             BW_RESULT_NULL_POINTER);

    CHECK_OK(bw_slot_writer_resume(valid, BW_RECORD_SIZE, valid, BW_RECORD_SIZE, &writer));
    before = writer;
    SENTINEL(bytes);
    SENTINEL(slot);
    CHECK_RC(bw_slot_writer_write(NULL, &state, bytes, sizeof bytes, &slot),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_slot_writer_write(&writer, NULL, bytes, sizeof bytes, &slot),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_slot_writer_write(&writer, &state, NULL, sizeof bytes, &slot),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_slot_writer_write(&writer, &state, bytes, sizeof bytes, NULL),
             BW_RESULT_NULL_POINTER);
    CHECK_UNTOUCHED(bytes);
    CHECK_UNTOUCHED(slot);
    CHECK(memcmp(&writer, &before, sizeof writer) == 0);
}

const scenario RECORD_SCENARIOS[] = {
    {"records: encode/decode round trip", records_round_trip},
    {"records: voted_for without has_vote is not stored",
     records_store_no_voted_for_without_a_vote},
    {"records: encode needs BW_RECORD_SIZE bytes (BUFFER_TOO_SMALL)",
     encode_needs_a_record_sized_buffer},
    {"records: every decode error code", every_record_error},
    {"records: recover picks the newest slot", recover_picks_the_newest},
    {"records: recover with no valid record, or slots of the wrong length",
     recover_without_a_valid_record},
    {"records: a torn write recovers the previous state",
     a_torn_write_recovers_the_previous_state},
    {"records: the slot writer alternates slots; resume continues it",
     the_slot_writer_alternates_slots},
    {"records: a writer slot other than A or B is INVALID_ARGUMENT",
     a_slot_other_than_a_or_b_is_invalid},
    {"records: slot writer resume refuses slots of the wrong length",
     resume_refuses_slots_of_the_wrong_length},
    {"null pointers: record functions", record_functions_refuse_null_pointers},
};
const size_t RECORD_SCENARIO_COUNT = sizeof RECORD_SCENARIOS / sizeof RECORD_SCENARIOS[0];
