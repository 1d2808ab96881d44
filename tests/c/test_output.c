/*
 * The one-call drain, bw_node_poll_output: its order (the durable state, then messages,
 * withheld until that state is confirmed, then events, then the timeout that ends the
 * drain), PERSIST only from quorum election in persistent mode, a short buffer, NULL
 * pointers. Every cluster scenario drains with it too (cluster.c), and every pair of twins
 * checks it against the separate polls (nodes.c).
 */
#include "cluster.h"
#include "nodes.h"

#include <string.h>

/* One bw_node_poll_output with a full buffer; fails the scenario unless it is OK. */
static bw_output poll_output(bw_node *node, uint8_t *buf) {
    bw_output output;
    CHECK_OK(bw_node_poll_output(node, buf, BW_MAX_MESSAGE_SIZE, &output));
    return output;
}

/* A quorum node (node 1 of 3, no pre-vote) and its twin, both past their first election
 * timeout: each has just campaigned, so a new term and its own vote wait to be persisted,
 * its vote requests wait for that, and its events for the drain. */
static void start_campaigning_twins(node_memory memory[2], bw_node **node, bw_node **twin,
                                    uint64_t *now) {
    static drained initial[2];
    bw_config config = node_config(BW_ALGORITHM_QUORUM, 1, 3);
    config.pre_vote = false;
    *node = start_node_at(&memory[0], &config, NODES_START);
    *twin = start_node_at(&memory[1], &config, NODES_START);
    drain_outputs(*node, &initial[0]);
    drain_polls(*twin, &initial[1]);
    check_same_drained(&initial[0], &initial[1]);
    *now = fire_next_timeout(*node);
    CHECK_EQ(fire_next_timeout(*twin), *now);
}

static void quorum_persists_then_transmits_then_reports_then_sleeps(void) {
    node_memory memory[2];
    bw_node *node;
    bw_node *twin;
    bw_output output;
    bw_durable_state state;
    bw_durable_state current;
    uint8_t buf[BW_MAX_MESSAGE_SIZE];
    uint64_t now;
    uint64_t deadline;
    unsigned events = 0;
    unsigned transmits = 0;
    start_campaigning_twins(memory, &node, &twin, &now);

    /* First the durable state: the new term and the vote for itself. */
    SENTINEL(buf);
    output = poll_output(node, buf);
    CHECK_EQ(output.kind, BW_OUTPUT_KIND_PERSIST);
    CHECK_UNTOUCHED(buf);
    state = output.persist;
    CHECK(state.term >= 1);
    CHECK(state.has_vote);
    CHECK_EQ(state.voted_for, 1);
    CHECK_OK(bw_node_durable_state(node, &current));
    CHECK_EQ(current.term, state.term);

    /* Not confirmed: the drain goes on to the events and the timeout, and withholds the
     * vote requests. */
    do {
        output = poll_output(node, buf);
        CHECK(output.kind == BW_OUTPUT_KIND_EVENT || output.kind == BW_OUTPUT_KIND_TIMEOUT);
        events += output.kind == BW_OUTPUT_KIND_EVENT;
    } while (output.kind != BW_OUTPUT_KIND_TIMEOUT);
    CHECK(events >= 1); /* the term changed */
    CHECK(output.timeout.has_deadline);
    CHECK_OK(bw_node_poll_timeout(node, &deadline));
    CHECK_EQ(output.timeout.deadline, deadline);
    /* The drain is over, and stays over: the state is handed out once per change. */
    output = poll_output(node, buf);
    CHECK_EQ(output.kind, BW_OUTPUT_KIND_TIMEOUT);
    CHECK_UNTOUCHED(buf);

    /* Confirmed: the withheld messages come, then the timeout again. */
    CHECK_OK(bw_node_confirm_persisted(node, &state));
    for (;;) {
        SENTINEL(buf);
        output = poll_output(node, buf);
        if (output.kind == BW_OUTPUT_KIND_TIMEOUT) {
            break;
        }
        CHECK_EQ(output.kind, BW_OUTPUT_KIND_TRANSMIT);
        CHECK(output.transmit.len >= 1 && output.transmit.len <= BW_MAX_MESSAGE_SIZE);
        CHECK(is_sentinel(buf + output.transmit.len, sizeof buf - output.transmit.len));
        transmits++;
    }
    CHECK(transmits >= 1); /* its vote requests */

    /* The twin, drained poll by poll in one go, handed out the same. */
    {
        static drained twin_drained;
        drain_polls(twin, &twin_drained);
        CHECK_EQ(twin_drained.persists, 1);
        CHECK_EQ(twin_drained.persist[0].term, state.term);
        CHECK_EQ(twin_drained.transmits, transmits);
        CHECK_EQ(twin_drained.events, events);
    }
    check_twins(node, twin, now, 5000);
}

/* A Bully node that outranks every other leads at its first timeout: messages, then the
 * events (the leader changed to itself, it became leader), then the timeout. */
static void messages_then_events_then_the_timeout(void) {
    node_memory memory;
    bw_config config = node_config(BW_ALGORITHM_BULLY, 3, 3);
    bw_node *node = start_node_at(&memory, &config, NODES_START);
    uint8_t buf[BW_MAX_MESSAGE_SIZE];
    bw_output output;
    uint64_t term;
    unsigned transmits = 0;
    while (poll_output(node, buf).kind != BW_OUTPUT_KIND_TIMEOUT) {
        continue;
    }
    fire_next_timeout(node);
    CHECK_OK(bw_node_term(node, &term));
    do {
        output = poll_output(node, buf);
        transmits += output.kind == BW_OUTPUT_KIND_TRANSMIT;
    } while (output.kind == BW_OUTPUT_KIND_TRANSMIT);
    CHECK(transmits >= 1);
    CHECK_EQ(output.kind, BW_OUTPUT_KIND_EVENT);
    CHECK_EQ(output.event.kind, BW_EVENT_KIND_LEADER_CHANGED);
    CHECK(output.event.has_leader);
    CHECK_EQ(output.event.leader, 3);
    CHECK_EQ(output.event.term, term);
    output = poll_output(node, buf);
    CHECK_EQ(output.kind, BW_OUTPUT_KIND_EVENT);
    CHECK_EQ(output.event.kind, BW_EVENT_KIND_BECAME_LEADER);
    CHECK_EQ(output.event.term, term);
    output = poll_output(node, buf);
    CHECK_EQ(output.kind, BW_OUTPUT_KIND_TIMEOUT);
    CHECK(output.timeout.has_deadline);
}

/* Runs a 3-node cluster of `algorithm` to agreement and counts its outputs by kind. */
static void count_outputs(uint32_t algorithm, uint32_t durability, unsigned counts[4]) {
    static cluster c;
    size_t i;
    size_t kind;
    cluster_configure(&c, algorithm, 3);
    c.base.durability = durability;
    cluster_start(&c);
    cluster_run_until_agreement(&c, AGREEMENT_LIMIT);
    cluster_run_for(&c, STABLE_PERIOD);
    for (kind = 0; kind < 4; kind++) {
        counts[kind] = 0;
        for (i = 0; i < c.size; i++) {
            counts[kind] += c.nodes[i].outputs[kind];
        }
    }
}

static void only_persistent_quorum_nodes_persist(void) {
    static const uint32_t others[] = {BW_ALGORITHM_BULLY, BW_ALGORITHM_NEXT_IN_LINE,
                                      BW_ALGORITHM_CANDIDATES, BW_ALGORITHM_INVITATION,
                                      BW_ALGORITHM_RING};
    unsigned counts[4];
    size_t i;
    for (i = 0; i < sizeof others / sizeof others[0]; i++) {
        check_context("algorithm %u (bw_algorithm)", (unsigned)others[i]);
        count_outputs(others[i], BW_DURABILITY_PERSISTENT, counts);
        CHECK_EQ(counts[BW_OUTPUT_KIND_PERSIST], 0);
        CHECK(counts[BW_OUTPUT_KIND_TRANSMIT] > 0);
        CHECK(counts[BW_OUTPUT_KIND_EVENT] > 0);
        CHECK(counts[BW_OUTPUT_KIND_TIMEOUT] > 0);
    }
    check_context("quorum, volatile mode");
    count_outputs(BW_ALGORITHM_QUORUM, BW_DURABILITY_VOLATILE, counts);
    CHECK_EQ(counts[BW_OUTPUT_KIND_PERSIST], 0);
    CHECK(counts[BW_OUTPUT_KIND_TRANSMIT] > 0);
    check_context("quorum, persistent mode");
    count_outputs(BW_ALGORITHM_QUORUM, BW_DURABILITY_PERSISTENT, counts);
    CHECK(counts[BW_OUTPUT_KIND_PERSIST] > 0);
    CHECK(counts[BW_OUTPUT_KIND_TRANSMIT] > 0);
}

/* A buffer too short for the next message: BUFFER_TOO_SMALL, nothing written, and the
 * message stays queued for the next call; a durable state needs no buffer at all. */
static void a_short_buffer_keeps_the_message_queued(void) {
    node_memory memory[2];
    bw_node *node;
    bw_node *twin;
    bw_output output;
    bw_transmit first;
    uint8_t buf[BW_MAX_MESSAGE_SIZE];
    uint8_t expected[BW_MAX_MESSAGE_SIZE];
    uint64_t now;
    size_t len;
    start_campaigning_twins(memory, &node, &twin, &now);

    /* The durable state comes first, whatever the buffer. */
    SENTINEL(buf);
    CHECK_OK(bw_node_poll_output(node, buf, 0, &output));
    CHECK_EQ(output.kind, BW_OUTPUT_KIND_PERSIST);
    CHECK_UNTOUCHED(buf);
    CHECK_OK(bw_node_confirm_persisted(node, &output.persist));
    {
        bw_durable_state state;
        CHECK_OK(bw_node_poll_persist(twin, &state));
        CHECK_OK(bw_node_confirm_persisted(twin, &state));
    }

    /* Now a vote request waits: what it takes, from the twin. */
    CHECK_OK(bw_node_poll_transmit(twin, expected, sizeof expected, &first));
    for (len = 0; len < first.len; len++) {
        SENTINEL(buf);
        SENTINEL(output);
        CHECK_RC(bw_node_poll_output(node, buf, len, &output), BW_RESULT_BUFFER_TOO_SMALL);
        CHECK_UNTOUCHED(buf);
        CHECK_UNTOUCHED(output);
    }
    /* Exactly its length suffices, and it is the message the twin sent. */
    SENTINEL(buf);
    CHECK_OK(bw_node_poll_output(node, buf, first.len, &output));
    CHECK_EQ(output.kind, BW_OUTPUT_KIND_TRANSMIT);
    CHECK_EQ(output.transmit.len, first.len);
    CHECK_EQ(output.transmit.to, first.to);
    CHECK_EQ(output.transmit.broadcast, first.broadcast);
    CHECK(memcmp(buf, expected, first.len) == 0);
    check_twins(node, twin, now, 5000);
}

static void null_pointers_change_nothing(void) {
    node_memory memory[2];
    bw_node *node;
    bw_node *twin;
    bw_output output;
    uint8_t buf[BW_MAX_MESSAGE_SIZE];
    uint64_t now;
    start_campaigning_twins(memory, &node, &twin, &now);
    SENTINEL(output);
    SENTINEL(buf);
    CHECK_RC(bw_node_poll_output(NULL, buf, sizeof buf, &output), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_poll_output(node, NULL, sizeof buf, &output), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_poll_output(node, NULL, 0, &output), BW_RESULT_NULL_POINTER);
    CHECK_UNTOUCHED(output);
    CHECK_RC(bw_node_poll_output(node, buf, sizeof buf, NULL), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_poll_output(NULL, NULL, 0, NULL), BW_RESULT_NULL_POINTER);
    CHECK_UNTOUCHED(buf);
    /* Nothing was taken: the durable state, its messages and events are all still there. */
    check_twins(node, twin, now, 5000);
}

const scenario OUTPUT_SCENARIOS[] = {
    {"output: quorum: persist, events and the timeout; messages once the state is confirmed",
     quorum_persists_then_transmits_then_reports_then_sleeps},
    {"output: bully: messages, then events, then the timeout",
     messages_then_events_then_the_timeout},
    {"output: only quorum election in persistent mode hands out PERSIST",
     only_persistent_quorum_nodes_persist},
    {"output: a short buffer is BUFFER_TOO_SMALL and the message stays queued",
     a_short_buffer_keeps_the_message_queued},
    {"output: NULL pointers are NULL_POINTER and change nothing", null_pointers_change_nothing},
};
const size_t OUTPUT_SCENARIO_COUNT = sizeof OUTPUT_SCENARIOS / sizeof OUTPUT_SCENARIOS[0];
