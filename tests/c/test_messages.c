/*
 * Received bytes (bw_node_handle_bytes): every decode and routing error, each leaving the
 * node unchanged; and outgoing messages (bw_node_poll_transmit) with short buffers.
 */
#include "nodes.h"

#include <string.h>

/* The receiving node: node RECEIVER of members 1..3, running Bully. */
#define RECEIVER 3
#define SENDER 1

/* ---- Hand-made wire messages (see src/wire.rs): version, group, from, destination,
 * term, then the body, whose first field is its kind. Every value used here is below 128,
 * so each varint is one byte. ---- */

#define WIRE_VERSION 1
#define DESTINATION_NODE 0
#define DESTINATION_ALL 1
#define KIND_ELECTION 1
#define KIND_VOTE 17
#define KIND_COUNT 21

typedef struct {
    uint8_t bytes[2 * BW_MAX_MESSAGE_SIZE];
    size_t len;
} wire;

static void push(wire *message, uint8_t byte) {
    CHECK(message->len < sizeof message->bytes);
    message->bytes[message->len++] = byte;
}

/* The envelope, up to and including the body's kind. */
static wire envelope(uint32_t group, uint32_t from, uint8_t destination, uint32_t to,
                     uint8_t kind) {
    wire message;
    CHECK(group < 128 && from < 128 && to < 128);
    message.len = 0;
    push(&message, WIRE_VERSION);
    push(&message, (uint8_t)group);
    push(&message, (uint8_t)from);
    push(&message, destination);
    if (destination == DESTINATION_NODE) {
        push(&message, (uint8_t)to);
    }
    push(&message, 0); /* term */
    push(&message, kind);
    return message;
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

static void start_receiver(receiver *r) {
    bw_config config = node_config(BW_ALGORITHM_BULLY, RECEIVER, 3);
    r->now = NODES_START;
    r->node = start_node_at(&r->memory[0], &config, r->now);
    r->twin = start_node_at(&r->memory[1], &config, r->now);
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
    refuse(&r, NULL, 0, BW_RESULT_TRUNCATED);
    refuse(&r, message.bytes, 0, BW_RESULT_TRUNCATED);
    for (len = 1; len < message.len; len++) {
        refuse(&r, message.bytes, len, BW_RESULT_TRUNCATED);
    }
    check_unchanged(&r);
}

static void unknown_wire_versions_are_refused(void) {
    static const uint8_t versions[] = {0, 2, 0x7F, 0xFF};
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

/* What bw_node_handle_bytes may answer: acceptance, or a decode or routing error. */
static bool is_receive_result(bw_result rc) {
    return rc == BW_RESULT_OK || (rc >= BW_RESULT_TRUNCATED && rc <= BW_RESULT_MISADDRESSED);
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
    {"receive: random bytes get a receive result", random_bytes_get_a_receive_result},
    {"receive: the valid message the others are made from is accepted",
     the_valid_message_is_accepted},
    {"transmit: short buffers keep the message queued", short_buffers_keep_the_message_queued},
    {"transmit: short buffers are left untouched (outputs only on OK)",
     short_buffers_are_left_untouched},
    {"transmit: an empty queue writes nothing", an_empty_queue_writes_nothing},
};
const size_t MESSAGE_SCENARIO_COUNT = sizeof MESSAGE_SCENARIOS / sizeof MESSAGE_SCENARIOS[0];
