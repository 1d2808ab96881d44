/* The single-node helpers declared in nodes.h. */
#include "nodes.h"

#include <string.h>

static const bw_member MEMBERS[NODES_MAX_MEMBERS] = {
    {1, 0, true}, {2, 0, true}, {3, 0, true}, {4, 0, true}, {5, 0, true},
};

bw_config node_config(uint32_t algorithm, uint32_t id, size_t size) {
    bw_config config;
    CHECK(size >= 1 && size <= NODES_MAX_MEMBERS);
    CHECK_OK(bw_config_init(&config, algorithm));
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

/* Drains both nodes' outputs, checking they are identical; persists by confirming. */
static void check_same_outputs(bw_node *a, bw_node *b) {
    bw_result rc[2];
    do {
        bw_durable_state state[2];
        memset(state, 0, sizeof state);
        rc[0] = bw_node_poll_persist(a, &state[0]);
        rc[1] = bw_node_poll_persist(b, &state[1]);
        CHECK_EQ(rc[0], rc[1]);
        if (rc[0] == BW_RESULT_OK) {
            CHECK_EQ(state[0].term, state[1].term);
            CHECK_EQ(state[0].has_vote, state[1].has_vote);
            CHECK_EQ(state[0].voted_for, state[1].voted_for);
            CHECK_OK(bw_node_confirm_persisted(a, &state[0]));
            CHECK_OK(bw_node_confirm_persisted(b, &state[1]));
        }
    } while (rc[0] == BW_RESULT_OK);
    do {
        uint8_t buf[2][BW_MAX_MESSAGE_SIZE];
        bw_transmit transmit[2];
        memset(transmit, 0, sizeof transmit);
        rc[0] = bw_node_poll_transmit(a, buf[0], sizeof buf[0], &transmit[0]);
        rc[1] = bw_node_poll_transmit(b, buf[1], sizeof buf[1], &transmit[1]);
        CHECK_EQ(rc[0], rc[1]);
        if (rc[0] == BW_RESULT_OK) {
            CHECK_EQ(transmit[0].broadcast, transmit[1].broadcast);
            CHECK_EQ(transmit[0].to, transmit[1].to);
            CHECK_EQ(transmit[0].len, transmit[1].len);
            CHECK(memcmp(buf[0], buf[1], transmit[0].len) == 0);
        }
    } while (rc[0] == BW_RESULT_OK);
    do {
        bw_event event[2];
        memset(event, 0, sizeof event);
        rc[0] = bw_node_poll_event(a, &event[0]);
        rc[1] = bw_node_poll_event(b, &event[1]);
        CHECK_EQ(rc[0], rc[1]);
        if (rc[0] == BW_RESULT_OK) {
            CHECK_EQ(event[0].kind, event[1].kind);
            CHECK_EQ(event[0].has_leader, event[1].has_leader);
            CHECK_EQ(event[0].leader, event[1].leader);
            CHECK_EQ(event[0].term, event[1].term);
        }
    } while (rc[0] == BW_RESULT_OK);
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
