/*
 * Received bytes (bw_node_handle_bytes): every decode and routing error, each leaving the
 * node unchanged, terms up to BW_MAX_TERM and beyond; and outgoing messages
 * (bw_node_poll_transmit) with short buffers.
 */
#include "nodes.h"

#include <string.h>

/* The receiving node: node RECEIVER of members 1..3, running Bully. */
#define RECEIVER 3
#define SENDER 1

/* ---- Hand-made wire messages (see src/wire.rs and the golden vectors of tests/wire.rs):
 * version, group, from, destination, term, then the body, whose first field is its kind.
 * Every value used here is below 128, so each varint is one byte, but for the terms of
 * "Terms" below. ---- */

#define WIRE_VERSION 2
#define DESTINATION_NODE 0
#define DESTINATION_ALL 1
#define KIND_ELECTION 1
#define KIND_REQUEST_VOTE 16
#define KIND_VOTE 17
#define KIND_COUNT 23
#define OPTION_NONE 0

typedef struct {
    uint8_t bytes[2 * BW_MAX_MESSAGE_SIZE];
    size_t len;
} wire;

static void push(wire *message, uint8_t byte) {
    CHECK(message->len < sizeof message->bytes);
    message->bytes[message->len++] = byte;
}

/* The envelope, up to and including the body's kind, with the term varint of `term_len`
 * bytes at `term`. */
static wire envelope_in_term(uint32_t group, uint32_t from, uint8_t destination, uint32_t to,
                             const uint8_t *term, size_t term_len, uint8_t kind) {
    wire message;
    size_t i;
    CHECK(group < 128 && from < 128 && to < 128);
    message.len = 0;
    push(&message, WIRE_VERSION);
    push(&message, (uint8_t)group);
    push(&message, (uint8_t)from);
    push(&message, destination);
    if (destination == DESTINATION_NODE) {
        push(&message, (uint8_t)to);
    }
    for (i = 0; i < term_len; i++) {
        push(&message, term[i]);
    }
    push(&message, kind);
    return message;
}

/* The envelope in term 0. */
static wire envelope(uint32_t group, uint32_t from, uint8_t destination, uint32_t to,
                     uint8_t kind) {
    static const uint8_t term_zero[] = {0};
    return envelope_in_term(group, from, destination, to, term_zero, sizeof term_zero, kind);
}

/* `Election` (a body without fields) from `from` to `to` in `group`. */
static wire election(uint32_t group, uint32_t from, uint32_t to) {
    return envelope(group, from, DESTINATION_NODE, to, KIND_ELECTION);
}

/* The valid message every malformed one below is made from. */
static wire valid_message(void) {
    return election(NODES_GROUP, SENDER, RECEIVER);
}

/* A receiver and its twin, which gets none of the bad input. */
typedef struct {
    node_memory memory[2];
    bw_node *node;
    bw_node *twin;
    uint64_t now;
} receiver;

static void start_receiver_running(receiver *r, uint32_t algorithm) {
    bw_config config = node_config(algorithm, RECEIVER, 3);
    r->now = NODES_START;
    r->node = start_node_at(&r->memory[0], &config, r->now);
    r->twin = start_node_at(&r->memory[1], &config, r->now);
}

static void start_receiver(receiver *r) {
    start_receiver_running(r, BW_ALGORITHM_BULLY);
}

/* Feeds `len` bytes at `data` to the receiver only; they must be refused with `expected`. */
static void refuse(receiver *r, const uint8_t *data, size_t len, bw_result expected) {
    r->now += 1;
    CHECK_RC(bw_node_handle_bytes(r->node, r->now, data, len), expected);
}

static void refuse_message(receiver *r, const wire *message, bw_result expected) {
    refuse(r, message->bytes, message->len, expected);
}

/* Nothing the receiver refused changed it: it still behaves as its twin. */
static void check_unchanged(receiver *r) {
    check_twins(r->node, r->twin, r->now, 5000);
}

static void zero_length_and_cut_messages_are_truncated(void) {
    receiver r;
    wire message = valid_message();
    size_t len;
    start_receiver(&r);
    /* NULL is a NULL pointer whatever the length; zero bytes are a truncated message. */
    refuse(&r, NULL, 0, BW_RESULT_NULL_POINTER);
    refuse(&r, message.bytes, 0, BW_RESULT_TRUNCATED);
    for (len = 1; len < message.len; len++) {
        refuse(&r, message.bytes, len, BW_RESULT_TRUNCATED);
    }
    check_unchanged(&r);
}

static void unknown_wire_versions_are_refused(void) {
    /* 1 is the version before pre-vote grants named their round and quorum acks their
     * leader: its messages are refused, not misread. (3 and 4, the checksummed and
     * authenticated envelopes, are WRONG_ENVELOPE on a plain node: see test_protection.c.) */
    static const uint8_t versions[] = {0, 1, 5, 0x7F, 0xFF};
    receiver r;
    size_t i;
    start_receiver(&r);
    for (i = 0; i < sizeof versions; i++) {
        wire message = valid_message();
        message.bytes[0] = versions[i];
        refuse_message(&r, &message, BW_RESULT_UNSUPPORTED_VERSION);
    }
    check_unchanged(&r);
}

static void unknown_kinds_are_refused(void) {
    receiver r;
    wire message = envelope(NODES_GROUP, SENDER, DESTINATION_NODE, RECEIVER, KIND_COUNT);
    wire large = envelope(NODES_GROUP, SENDER, DESTINATION_NODE, RECEIVER, 0xC8);
    start_receiver(&r);
    refuse_message(&r, &message, BW_RESULT_UNKNOWN_KIND);
    message.bytes[message.len - 1] = 0x7F;
    refuse_message(&r, &message, BW_RESULT_UNKNOWN_KIND);
    push(&large, 0x01); /* the varint 200 */
    refuse_message(&r, &large, BW_RESULT_UNKNOWN_KIND);
    check_unchanged(&r);
}

/* One byte over BW_MAX_MESSAGE_SIZE is oversized; exactly BW_MAX_MESSAGE_SIZE of a valid
 * message and padding is a message with trailing bytes. */
static void oversized_and_trailing_bytes_are_refused(void) {
    receiver r;
    wire message = valid_message();
    start_receiver(&r);
    push(&message, 0);
    refuse_message(&r, &message, BW_RESULT_TRAILING_BYTES);
    while (message.len < BW_MAX_MESSAGE_SIZE) {
        push(&message, 0);
    }
    refuse_message(&r, &message, BW_RESULT_TRAILING_BYTES);
    push(&message, 0);
    refuse_message(&r, &message, BW_RESULT_OVERSIZED);
    check_unchanged(&r);
}

static void malformed_fields_are_refused(void) {
    static const uint8_t overlong_group[] = {WIRE_VERSION, 0x81, 0x80, 0x80, 0x80, 0x80,
                                             0x00, SENDER, DESTINATION_NODE, RECEIVER,
                                             0, KIND_ELECTION};
    receiver r;
    wire bad_destination = envelope(NODES_GROUP, SENDER, 2, 0, KIND_ELECTION); /* tag 2 */
    wire bad_bool = envelope(NODES_GROUP, SENDER, DESTINATION_NODE, RECEIVER, KIND_VOTE);
    start_receiver(&r);
    refuse_message(&r, &bad_destination, BW_RESULT_MALFORMED);
    refuse(&r, overlong_group, sizeof overlong_group, BW_RESULT_MALFORMED);
    push(&bad_bool, 2); /* Vote { granted: 2 } */
    refuse_message(&r, &bad_bool, BW_RESULT_MALFORMED);
    check_unchanged(&r);
}

static void misrouted_messages_are_refused(void) {
    receiver r;
    wire wrong_group = election(NODES_GROUP + 1, SENDER, RECEIVER);
    wire unknown_sender = election(NODES_GROUP, 9, RECEIVER);
    wire from_self = election(NODES_GROUP, RECEIVER, RECEIVER);
    wire misaddressed = election(NODES_GROUP, SENDER, 2);
    start_receiver(&r);
    refuse_message(&r, &wrong_group, BW_RESULT_WRONG_GROUP);
    refuse_message(&r, &unknown_sender, BW_RESULT_UNKNOWN_SENDER);
    refuse_message(&r, &from_self, BW_RESULT_FROM_SELF);
    refuse_message(&r, &misaddressed, BW_RESULT_MISADDRESSED);
    check_unchanged(&r);
}

/* ---- Terms: at most BW_MAX_TERM = 2^48 - 1, a varint of up to 7 bytes ---- */

/* Terms as varints: seven bits a byte, least significant first, the high bit set on every
 * byte but the last. */
static const uint8_t TERM_MAX[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F};
static const uint8_t TERM_MAX_PLUS_ONE[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40};
static const uint8_t TERM_U64_MAX[] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                       0xFF, 0xFF, 0xFF, 0xFF, 0x01};

/* The value of a varint, to tie the vectors above to BW_MAX_TERM. */
static uint64_t varint_value(const uint8_t *bytes, size_t len) {
    uint64_t value = 0;
    size_t i;
    CHECK(len >= 1 && len <= 10);
    for (i = 0; i < len; i++) {
        CHECK((bytes[i] & 0x80) == (i + 1 < len ? 0x80 : 0));
        value |= (uint64_t)(bytes[i] & 0x7F) << (7 * i);
    }
    return value;
}

static void the_term_vectors_are_what_they_say(void) {
    CHECK_EQ(varint_value(TERM_MAX, sizeof TERM_MAX), BW_MAX_TERM);
    CHECK_EQ(varint_value(TERM_MAX_PLUS_ONE, sizeof TERM_MAX_PLUS_ONE), BW_MAX_TERM + 1);
    CHECK_EQ(varint_value(TERM_U64_MAX, sizeof TERM_U64_MAX), UINT64_MAX);
}

/* A message in the given term that `algorithm` acts on: an `Election` for Bully (it starts
 * an election), a `RequestVote { freshness: 0, transfer: None }` for quorum (a vote request
 * from a sender as fresh as the receiver, which grants it in a term it has not voted in). */
static wire campaign_in_term(uint32_t algorithm, const uint8_t *term, size_t term_len) {
    wire message;
    if (algorithm == BW_ALGORITHM_QUORUM) {
        message = envelope_in_term(NODES_GROUP, SENDER, DESTINATION_NODE, RECEIVER, term,
                                   term_len, KIND_REQUEST_VOTE);
        push(&message, 0);           /* freshness */
        push(&message, OPTION_NONE); /* transfer */
    } else {
        message = envelope_in_term(NODES_GROUP, SENDER, DESTINATION_NODE, RECEIVER, term,
                                   term_len, KIND_ELECTION);
    }
    return message;
}

/* When the receiver acts on campaign_in_term's message: at once for Bully; for quorum
 * once the stickiness it starts with (for T) is over, as it grants no vote before. */
static uint64_t acting_time(uint32_t algorithm) {
    if (algorithm == BW_ALGORITHM_QUORUM) {
        return NODES_START + node_config(algorithm, RECEIVER, 3).failure_timeout;
    }
    return NODES_START + 1;
}

/* The messages are refused when the same one in range would be acted on. */
static void check_terms_above_the_maximum(uint32_t algorithm) {
    receiver r;
    wire above = campaign_in_term(algorithm, TERM_MAX_PLUS_ONE, sizeof TERM_MAX_PLUS_ONE);
    wire largest = campaign_in_term(algorithm, TERM_U64_MAX, sizeof TERM_U64_MAX);
    wire to_all = envelope_in_term(NODES_GROUP, SENDER, DESTINATION_ALL, 0, TERM_MAX_PLUS_ONE,
                                   sizeof TERM_MAX_PLUS_ONE, KIND_ELECTION);
    uint64_t term;
    check_context("algorithm %u (bw_algorithm)", (unsigned)algorithm);
    start_receiver_running(&r, algorithm);
    r.now = acting_time(algorithm) - 1; /* refuse() adds 1 */
    refuse_message(&r, &above, BW_RESULT_TERM_OUT_OF_RANGE);
    refuse_message(&r, &largest, BW_RESULT_TERM_OUT_OF_RANGE);
    refuse_message(&r, &to_all, BW_RESULT_TERM_OUT_OF_RANGE);
    CHECK_OK(bw_node_term(r.node, &term));
    CHECK_EQ(term, 0);
    check_unchanged(&r);
}

static void terms_above_the_maximum_are_refused(void) {
    check_terms_above_the_maximum(BW_ALGORITHM_BULLY);
    check_terms_above_the_maximum(BW_ALGORITHM_QUORUM);
}

/* The control: the same message in term BW_MAX_TERM is accepted and acted on. */
static void check_the_maximum_term(uint32_t algorithm) {
    receiver r;
    wire message = campaign_in_term(algorithm, TERM_MAX, sizeof TERM_MAX);
    uint64_t term;
    check_context("algorithm %u (bw_algorithm)", (unsigned)algorithm);
    start_receiver_running(&r, algorithm);
    r.now = acting_time(algorithm);
    CHECK_OK(bw_node_handle_bytes(r.node, r.now, message.bytes, message.len));
    if (algorithm == BW_ALGORITHM_QUORUM) {
        /* It adopts the term and votes for the sender: a durable state to persist. */
        bw_durable_state state;
        CHECK_OK(bw_node_poll_persist(r.node, &state));
        CHECK_EQ(state.term, BW_MAX_TERM);
        CHECK(state.has_vote);
        CHECK_EQ(state.voted_for, SENDER);
    } else {
        /* The highest node takes over in the epoch after the highest it has seen, which
         * stays at the ceiling. */
        bw_role role = BW_ROLE_FOLLOWER;
        int i;
        for (i = 0; i < 10 && role != BW_ROLE_LEADER; i++) {
            r.now = fire_next_timeout(r.node);
            CHECK_OK(bw_node_role(r.node, &role));
        }
        CHECK_EQ(role, BW_ROLE_LEADER);
    }
    CHECK_OK(bw_node_term(r.node, &term));
    CHECK_EQ(term, BW_MAX_TERM);
}

static void the_maximum_term_is_accepted(void) {
    check_the_maximum_term(BW_ALGORITHM_BULLY);
    check_the_maximum_term(BW_ALGORITHM_QUORUM);
}

/* What bw_node_handle_bytes may answer: acceptance, or a decode, routing or protection
 * error. */
static bool is_receive_result(bw_result rc) {
    return rc == BW_RESULT_OK ||
           (rc >= BW_RESULT_TRUNCATED && rc <= BW_RESULT_TERM_OUT_OF_RANGE) ||
           (rc >= BW_RESULT_BAD_CHECKSUM && rc <= BW_RESULT_UNSYNCHRONISED);
}

/* Pseudo-random bytes (a fixed-seed xorshift), some starting like a real message, are
 * refused with a receive error or accepted; the sanitizers watch every call. */
static void random_bytes_get_a_receive_result(void) {
    receiver r;
    wire message;
    uint32_t random = 0x2545F491u;
    int round;
    start_receiver(&r);
    for (round = 0; round < 5000; round++) {
        message = valid_message();
        message.len = (size_t)(round % 4 == 0 ? 0 : round % (int)message.len);
        while (message.len < (size_t)(round % (BW_MAX_MESSAGE_SIZE + 8))) {
            random ^= random << 13;
            random ^= random >> 17;
            random ^= random << 5;
            push(&message, (uint8_t)random);
        }
        r.now += 1;
        if (!is_receive_result(bw_node_handle_bytes(r.node, r.now, message.bytes,
                                                      message.len))) {
            FAIL("round %d: %u bytes got an unexpected result", round, (unsigned)message.len);
        }
    }
}

/* The control: the message every refused one was made from is accepted, addressed to the
 * receiver or to all; so each refusal above is due to what the test changed. */
static void the_valid_message_is_accepted(void) {
    receiver r;
    wire message = valid_message();
    wire to_all = envelope(NODES_GROUP, SENDER, DESTINATION_ALL, 0, KIND_ELECTION);
    start_receiver(&r);
    r.now += 1;
    CHECK_OK(bw_node_handle_bytes(r.node, r.now, message.bytes, message.len));
    CHECK_OK(bw_node_handle_bytes(r.twin, r.now, to_all.bytes, to_all.len));
    check_twins(r.node, r.twin, r.now, 5000);
}

/* ---- Outgoing messages ---- */

/* Twin senders (node 1 of 3, Bully) that fired their first timeout: each has its election
 * messages queued. */
typedef struct {
    node_memory memory[2];
    bw_node *node;
    bw_node *twin;
    uint64_t now;
} senders;

static void start_senders(senders *s) {
    bw_config config = node_config(BW_ALGORITHM_BULLY, SENDER, 3);
    s->node = start_node_at(&s->memory[0], &config, NODES_START);
    s->twin = start_node_at(&s->memory[1], &config, NODES_START);
    s->now = fire_next_timeout(s->node);
    CHECK_EQ(fire_next_timeout(s->twin), s->now);
}

static void short_buffers_keep_the_message_queued(void) {
    senders s;
    uint8_t expected[BW_MAX_MESSAGE_SIZE];
    uint8_t buf[BW_MAX_MESSAGE_SIZE];
    bw_transmit expected_transmit;
    bw_transmit transmit;
    size_t len;
    start_senders(&s);
    CHECK_OK(bw_node_poll_transmit(s.twin, expected, sizeof expected, &expected_transmit));
    CHECK(expected_transmit.len >= 1);
    for (len = 0; len < expected_transmit.len; len++) {
        SENTINEL(transmit);
        CHECK_RC(bw_node_poll_transmit(s.node, buf, len, &transmit),
                 BW_RESULT_BUFFER_TOO_SMALL);
        CHECK_UNTOUCHED(transmit);
    }
    /* A buffer of exactly the message's length suffices. */
    CHECK_OK(bw_node_poll_transmit(s.node, buf, expected_transmit.len, &transmit));
    CHECK_EQ(transmit.len, expected_transmit.len);
    CHECK_EQ(transmit.to, expected_transmit.to);
    CHECK_EQ(transmit.broadcast, expected_transmit.broadcast);
    CHECK(memcmp(buf, expected, transmit.len) == 0);
    /* And the rest of the queue is the same too. */
    check_twins(s.node, s.twin, s.now, 5000);
}

/* Outputs are written only on BW_RESULT_OK: that includes the message buffer. */
static void short_buffers_are_left_untouched(void) {
    senders s;
    uint8_t buf[BW_MAX_MESSAGE_SIZE];
    bw_transmit transmit;
    size_t len;
    start_senders(&s);
    for (len = 1; len < 4; len++) {
        SENTINEL(buf);
        CHECK_RC(bw_node_poll_transmit(s.node, buf, len, &transmit),
                 BW_RESULT_BUFFER_TOO_SMALL);
        CHECK_UNTOUCHED(buf);
    }
}

/* EMPTY writes nothing either. */
static void an_empty_queue_writes_nothing(void) {
    node_memory memory;
    bw_config config = node_config(BW_ALGORITHM_BULLY, SENDER, 3);
    bw_node *node = start_node_at(&memory, &config, NODES_START);
    uint8_t buf[BW_MAX_MESSAGE_SIZE];
    bw_transmit transmit;
    bw_event event;
    uint32_t leader;
    SENTINEL(buf);
    SENTINEL(transmit);
    SENTINEL(event);
    SENTINEL(leader);
    CHECK_RC(bw_node_poll_transmit(node, buf, sizeof buf, &transmit), BW_RESULT_EMPTY);
    CHECK_RC(bw_node_poll_event(node, &event), BW_RESULT_EMPTY);
    CHECK_RC(bw_node_leader(node, &leader), BW_RESULT_EMPTY);
    CHECK_UNTOUCHED(buf);
    CHECK_UNTOUCHED(transmit);
    CHECK_UNTOUCHED(event);
    CHECK_UNTOUCHED(leader);
}

const scenario MESSAGE_SCENARIOS[] = {
    {"receive: zero-length and cut messages are TRUNCATED",
     zero_length_and_cut_messages_are_truncated},
    {"receive: unknown wire versions are UNSUPPORTED_VERSION",
     unknown_wire_versions_are_refused},
    {"receive: unknown kinds are UNKNOWN_KIND", unknown_kinds_are_refused},
    {"receive: OVERSIZED and TRAILING_BYTES", oversized_and_trailing_bytes_are_refused},
    {"receive: malformed fields are MALFORMED", malformed_fields_are_refused},
    {"receive: wrong group, unknown sender, from self, misaddressed",
     misrouted_messages_are_refused},
    {"receive: the term vectors are BW_MAX_TERM, BW_MAX_TERM + 1 and UINT64_MAX",
     the_term_vectors_are_what_they_say},
    {"receive: terms above BW_MAX_TERM are TERM_OUT_OF_RANGE (bully, quorum)",
     terms_above_the_maximum_are_refused},
    {"receive: a message in term BW_MAX_TERM is accepted (bully, quorum)",
     the_maximum_term_is_accepted},
    {"receive: random bytes get a receive result", random_bytes_get_a_receive_result},
    {"receive: the valid message the others are made from is accepted",
     the_valid_message_is_accepted},
    {"transmit: short buffers keep the message queued", short_buffers_keep_the_message_queued},
    {"transmit: short buffers are left untouched (outputs only on OK)",
     short_buffers_are_left_untouched},
    {"transmit: an empty queue writes nothing", an_empty_queue_writes_nothing},
};
const size_t MESSAGE_SCENARIO_COUNT = sizeof MESSAGE_SCENARIOS / sizeof MESSAGE_SCENARIOS[0];
