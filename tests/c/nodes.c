/* The single-node helpers declared in nodes.h. */
#include "nodes.h"

#include <string.h>

static const bw_member MEMBERS[NODES_MAX_MEMBERS] = {
    {1, 0, true}, {2, 0, true}, {3, 0, true}, {4, 0, true}, {5, 0, true},
};

bw_config node_config(uint32_t algorithm, uint32_t id, size_t size) {
    bw_config config;
    CHECK(size >= 1 && size <= NODES_MAX_MEMBERS);
    CHECK_OK(bw_config_init(&config, sizeof config, algorithm));
    config.group = NODES_GROUP;
    config.node = id;
    config.members = MEMBERS;
    config.members_len = size;
    config.seed = id;
    return config;
}

bw_node *start_node_at(node_memory *memory, const bw_config *config, uint64_t now) {
    bw_node *node = NULL;
    CHECK_OK(bw_node_init(node_memory_bytes(memory), BW_NODE_SIZE, config, now, &node));
    CHECK(node != NULL);
    return node;
}

uint64_t fire_next_timeout(bw_node *node) {
    uint64_t deadline;
    CHECK_OK(bw_node_poll_timeout(node, &deadline));
    CHECK_OK(bw_node_handle_timeout(node, deadline));
    return deadline;
}

/* Every getter of `a` and `b` answers alike (quorum-only ones included: both then say
 * BW_RESULT_NOT_QUORUM). */
static void check_same_getters(const bw_node *a, const bw_node *b, uint64_t now) {
    uint32_t leader[2] = {0, 0};
    uint64_t value[2] = {0, 0};
    bw_role role[2] = {0, 0};
    bool flag[2] = {false, false};
    bw_durable_state state[2];
    memset(state, 0, sizeof state);

    CHECK_EQ(bw_node_leader(a, &leader[0]), bw_node_leader(b, &leader[1]));
    CHECK_EQ(leader[0], leader[1]);
    CHECK_EQ(bw_node_role(a, &role[0]), bw_node_role(b, &role[1]));
    CHECK_EQ(role[0], role[1]);
    CHECK_EQ(bw_node_term(a, &value[0]), bw_node_term(b, &value[1]));
    CHECK_EQ(value[0], value[1]);
    CHECK_EQ(bw_node_poll_timeout(a, &value[0]), bw_node_poll_timeout(b, &value[1]));
    CHECK_EQ(value[0], value[1]);
    CHECK_EQ(bw_node_lease_until(a, &value[0]), bw_node_lease_until(b, &value[1]));
    CHECK_EQ(value[0], value[1]);
    CHECK_EQ(bw_node_has_lease(a, now, &flag[0]), bw_node_has_lease(b, now, &flag[1]));
    CHECK_EQ(flag[0], flag[1]);
    CHECK_EQ(bw_node_fencing_token(a, &value[0]), bw_node_fencing_token(b, &value[1]));
    CHECK_EQ(value[0], value[1]);
    CHECK_EQ(bw_node_durable_state(a, &state[0]), bw_node_durable_state(b, &state[1]));
    CHECK_EQ(state[0].term, state[1].term);
    CHECK_EQ(state[0].has_vote, state[1].has_vote);
    CHECK_EQ(state[0].voted_for, state[1].voted_for);
}

void drain_outputs(bw_node *node, drained *out) {
    uint32_t last = BW_OUTPUT_KIND_PERSIST;
    memset(out, 0, sizeof *out);
    for (;;) {
        uint8_t buf[BW_MAX_MESSAGE_SIZE];
        bw_output output;
        uint64_t deadline = 0;
        bw_result has_deadline;
        SENTINEL(buf);
        SENTINEL(output);
        CHECK_OK(bw_node_poll_output(node, buf, sizeof buf, &output));
        if (output.kind < last) {
            FAIL("output kind %u after kind %u", (unsigned)output.kind, (unsigned)last);
        }
        last = output.kind;
        if (output.kind != BW_OUTPUT_KIND_TRANSMIT) {
            CHECK_UNTOUCHED(buf);
        }
        switch ((enum bw_output_kind)output.kind) {
        case BW_OUTPUT_KIND_PERSIST:
            CHECK(out->persists < MAX_DRAINED);
            CHECK(output.transmit.len == 0 && output.transmit.to == 0);
            CHECK(!output.transmit.broadcast);
            CHECK(output.event.term == 0 && output.event.kind == 0);
            CHECK(!output.event.has_leader && output.event.leader == 0);
            CHECK(!output.timeout.has_deadline && output.timeout.deadline == 0);
            out->persist[out->persists++] = output.persist;
            CHECK_OK(bw_node_confirm_persisted(node, &output.persist));
            break;
        case BW_OUTPUT_KIND_TRANSMIT:
            CHECK(out->transmits < MAX_DRAINED);
            CHECK(output.transmit.len >= 1 && output.transmit.len <= BW_MAX_MESSAGE_SIZE);
            CHECK(is_sentinel(buf + output.transmit.len, sizeof buf - output.transmit.len));
            CHECK(!output.transmit.broadcast || output.transmit.to == 0);
            CHECK(output.persist.term == 0 && !output.persist.has_vote);
            CHECK(output.event.term == 0 && output.event.kind == 0);
            CHECK(!output.timeout.has_deadline && output.timeout.deadline == 0);
            out->transmit[out->transmits] = output.transmit;
            memcpy(out->bytes[out->transmits++], buf, output.transmit.len);
            break;
        case BW_OUTPUT_KIND_EVENT:
            CHECK(out->events < MAX_DRAINED);
            CHECK(output.persist.term == 0 && !output.persist.has_vote);
            CHECK(output.transmit.len == 0 && output.transmit.to == 0);
            CHECK(!output.timeout.has_deadline && output.timeout.deadline == 0);
            CHECK(output.event.has_leader || output.event.leader == 0);
            out->event[out->events++] = output.event;
            break;
        case BW_OUTPUT_KIND_TIMEOUT:
            CHECK(output.persist.term == 0 && !output.persist.has_vote);
            CHECK(output.transmit.len == 0 && output.transmit.to == 0);
            CHECK(output.event.term == 0 && output.event.kind == 0);
            has_deadline = bw_node_poll_timeout(node, &deadline);
            CHECK_EQ(output.timeout.has_deadline, has_deadline == BW_RESULT_OK);
            CHECK_EQ(output.timeout.deadline, output.timeout.has_deadline ? deadline : 0);
            out->timeout = output.timeout;
            return;
        default:
            FAIL("unknown output kind %u", (unsigned)output.kind);
        }
    }
}

void drain_polls(bw_node *node, drained *out) {
    bw_result rc;
    uint64_t deadline = 0;
    memset(out, 0, sizeof *out);
    for (;;) {
        bw_durable_state state;
        rc = bw_node_poll_persist(node, &state);
        if (rc != BW_RESULT_OK) {
            break;
        }
        CHECK(out->persists < MAX_DRAINED);
        out->persist[out->persists++] = state;
        CHECK_OK(bw_node_confirm_persisted(node, &state));
    }
    CHECK_RC(rc, BW_RESULT_EMPTY);
    for (;;) {
        CHECK(out->transmits < MAX_DRAINED);
        rc = bw_node_poll_transmit(node, out->bytes[out->transmits], BW_MAX_MESSAGE_SIZE,
                                   &out->transmit[out->transmits]);
        if (rc != BW_RESULT_OK) {
            break;
        }
        out->transmits++;
    }
    CHECK_RC(rc, BW_RESULT_EMPTY);
    for (;;) {
        CHECK(out->events < MAX_DRAINED);
        rc = bw_node_poll_event(node, &out->event[out->events]);
        if (rc != BW_RESULT_OK) {
            break;
        }
        out->events++;
    }
    CHECK_RC(rc, BW_RESULT_EMPTY);
    rc = bw_node_poll_timeout(node, &deadline);
    out->timeout.has_deadline = rc == BW_RESULT_OK;
    out->timeout.deadline = rc == BW_RESULT_OK ? deadline : 0;
}

void check_same_drained(const drained *a, const drained *b) {
    size_t i;
    CHECK_EQ(a->persists, b->persists);
    for (i = 0; i < a->persists; i++) {
        CHECK_EQ(a->persist[i].term, b->persist[i].term);
        CHECK_EQ(a->persist[i].has_vote, b->persist[i].has_vote);
        CHECK_EQ(a->persist[i].voted_for, b->persist[i].voted_for);
    }
    CHECK_EQ(a->transmits, b->transmits);
    for (i = 0; i < a->transmits; i++) {
        CHECK_EQ(a->transmit[i].broadcast, b->transmit[i].broadcast);
        CHECK_EQ(a->transmit[i].to, b->transmit[i].to);
        CHECK_EQ(a->transmit[i].len, b->transmit[i].len);
        CHECK(memcmp(a->bytes[i], b->bytes[i], a->transmit[i].len) == 0);
    }
    CHECK_EQ(a->events, b->events);
    for (i = 0; i < a->events; i++) {
        CHECK_EQ(a->event[i].kind, b->event[i].kind);
        CHECK_EQ(a->event[i].has_leader, b->event[i].has_leader);
        CHECK_EQ(a->event[i].leader, b->event[i].leader);
        CHECK_EQ(a->event[i].term, b->event[i].term);
    }
    CHECK_EQ(a->timeout.has_deadline, b->timeout.has_deadline);
    CHECK_EQ(a->timeout.deadline, b->timeout.deadline);
}

/* Drains both nodes, `a` in one call at a time and `b` poll by poll, and compares. */
static void check_same_outputs(bw_node *a, bw_node *b) {
    static drained outputs[2]; /* large: kept off the stack */
    drain_outputs(a, &outputs[0]);
    drain_polls(b, &outputs[1]);
    check_same_drained(&outputs[0], &outputs[1]);
}

void check_twins(bw_node *a, bw_node *b, uint64_t now, uint64_t duration) {
    uint64_t end = now + duration;
    for (;;) {
        uint64_t deadline;
        check_same_getters(a, b, now);
        check_same_outputs(a, b);
        check_same_getters(a, b, now);
        if (bw_node_poll_timeout(a, &deadline) != BW_RESULT_OK || deadline > end) {
            return;
        }
        if (deadline > now) {
            now = deadline;
        }
        CHECK_OK(bw_node_handle_timeout(a, now));
        CHECK_OK(bw_node_handle_timeout(b, now));
    }
}
