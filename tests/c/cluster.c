/* The in-memory cluster declared in cluster.h. */
#include "cluster.h"

#include <stdio.h>
#include <string.h>

/* Far more steps than any run within the time limits needs: more means a livelock. */
#define MAX_STEPS 2000000

void cluster_configure(cluster *c, uint32_t algorithm, size_t size) {
    size_t i;
    CHECK(size >= 1 && size <= CLUSTER_MAX_NODES);
    memset(c, 0, sizeof *c);
    CHECK_OK(bw_config_init(&c->base, sizeof c->base, algorithm));
    c->size = size;
    for (i = 0; i < size; i++) {
        c->members[i].id = (uint32_t)(i + 1);
        c->members[i].priority = 0;
        c->members[i].candidate = true;
    }
    c->now = 1000;
}

bw_config cluster_config_of(const cluster *c, uint32_t id) {
    bw_config config = c->base;
    config.group = CLUSTER_GROUP;
    config.node = id;
    config.members = c->members;
    config.members_len = c->size;
    config.seed = 0x9e3779b97f4a7c15ull * id;
    return config;
}

cluster_node *cluster_node_of(cluster *c, uint32_t id) {
    CHECK(id >= 1 && id <= c->size);
    return &c->nodes[id - 1];
}

bool cluster_is_quorum(const cluster *c) {
    return c->base.algorithm == BW_ALGORITHM_QUORUM;
}

bool cluster_is_persistent(const cluster *c) {
    return cluster_is_quorum(c) && c->base.durability == BW_DURABILITY_PERSISTENT;
}

/* What a node's event tracking starts from: no leader, term 0, not leading. */
static void reset_events(cluster_node *node) {
    node->event_has_leader = false;
    node->event_leader = 0;
    node->event_term = 0;
    node->event_leading = false;
}

static void start_node(cluster *c, cluster_node *node, const bw_durable_state *restored) {
    bw_config config = cluster_config_of(c, node->id);
    uint8_t *memory = node_memory_bytes(&node->memory);
    if (restored != NULL && node->auth != NULL) {
        CHECK_OK(bw_node_restore_authenticated(memory, BW_NODE_SIZE, &config, c->now, restored,
                                               node->auth, &node->node));
    } else if (restored != NULL) {
        CHECK_OK(bw_node_restore(memory, BW_NODE_SIZE, &config, c->now, restored, &node->node));
    } else if (node->auth != NULL) {
        CHECK_OK(bw_node_init_authenticated(memory, BW_NODE_SIZE, &config, c->now, node->auth,
                                            &node->node));
    } else {
        CHECK_OK(bw_node_init(memory, BW_NODE_SIZE, &config, c->now, &node->node));
    }
    CHECK((void *)node->node == (void *)memory);
    CHECK_OK(bw_slot_writer_resume(node->slots[0], BW_RECORD_SIZE, node->slots[1],
                                   BW_RECORD_SIZE, &node->writer));
    node->alive = true;
    node->has_unconfirmed = false;
    reset_events(node);
    cluster_drain(c, node);
}

void cluster_start(cluster *c) {
    size_t i;
    for (i = 0; i < c->size; i++) {
        cluster_node *node = &c->nodes[i];
        node->id = c->members[i].id;
        /* Erased flash. */
        memset(node->slots, 0xFF, sizeof node->slots);
        start_node(c, node, NULL);
    }
}

void cluster_kill(cluster *c, uint32_t id) {
    cluster_node *node = cluster_node_of(c, id);
    CHECK(node->alive);
    node->alive = false;
}

void cluster_restart(cluster *c, uint32_t id) {
    cluster_node *node = cluster_node_of(c, id);
    bw_recovered recovered;
    bw_result rc;
    CHECK(!node->alive);
    rc = bw_record_recover(node->slots[0], BW_RECORD_SIZE, node->slots[1], BW_RECORD_SIZE,
                           &recovered);
    if (rc == BW_RESULT_NO_VALID_RECORD) {
        start_node(c, node, NULL);
        return;
    }
    CHECK_OK(rc);
    CHECK(cluster_is_persistent(c));
    start_node(c, node, &recovered.state);
}

void cluster_confirm(cluster_node *node) {
    uint8_t record[BW_RECORD_SIZE];
    bw_slot slot;
    CHECK(node->has_unconfirmed);
    CHECK_OK(bw_slot_writer_write(&node->writer, &node->unconfirmed, record, sizeof record,
                                  &slot));
    CHECK(slot == BW_SLOT_A || slot == BW_SLOT_B);
    memcpy(node->slots[slot], record, sizeof record);
    CHECK_OK(bw_node_confirm_persisted(node->node, &node->unconfirmed));
    node->has_unconfirmed = false;
}

/* BW_OUTPUT_KIND_PERSIST: the state as it stands, to store (and confirm unless held). */
static void take_persist(cluster *c, cluster_node *node, const bw_durable_state *state) {
    bw_durable_state current;
    /* Only quorum election in persistent mode persists anything. */
    CHECK(cluster_is_persistent(c));
    CHECK_OK(bw_node_durable_state(node->node, &current));
    CHECK_EQ(state->term, current.term);
    CHECK_EQ(state->has_vote, current.has_vote);
    CHECK_EQ(state->voted_for, current.voted_for);
    node->unconfirmed = *state;
    node->has_unconfirmed = true;
    if (!node->hold_persist) {
        cluster_confirm(node);
    }
}

static void enqueue(cluster *c, uint32_t from, uint32_t to, const uint8_t *bytes,
                    size_t len) {
    cluster_packet *packet;
    if (c->queued == CLUSTER_QUEUE_CAPACITY) {
        FAIL("the cluster's message queue overflowed (%d messages)", CLUSTER_QUEUE_CAPACITY);
    }
    packet = &c->queue[(c->queue_head + c->queued) % CLUSTER_QUEUE_CAPACITY];
    c->queued++;
    packet->from = from;
    packet->to = to;
    packet->deliver_at = c->now + CLUSTER_LATENCY;
    packet->len = len;
    memcpy(packet->bytes, bytes, len);
}

/* BW_OUTPUT_KIND_TRANSMIT: the message in `buf`, to its recipients. */
static void take_transmit(cluster *c, cluster_node *node, const uint8_t *buf,
                          size_t buf_len, const bw_transmit *transmit) {
    size_t i;
    /* Nothing leaves while a durable state waits for its confirmation. */
    CHECK(!node->has_unconfirmed);
    CHECK(transmit->len >= 1 && transmit->len <= BW_MAX_MESSAGE_SIZE);
    CHECK(is_sentinel(buf + transmit->len, buf_len - transmit->len));
    if (transmit->broadcast) {
        CHECK_EQ(transmit->to, 0);
        for (i = 0; i < c->size; i++) {
            if (c->members[i].id != node->id) {
                enqueue(c, node->id, c->members[i].id, buf, transmit->len);
            }
        }
    } else {
        CHECK(transmit->to != node->id);
        CHECK(transmit->to >= 1 && transmit->to <= c->size); /* a member */
        enqueue(c, node->id, transmit->to, buf, transmit->len);
    }
}

/* BW_OUTPUT_KIND_EVENT: the leadership it describes, checked against what came before. */
static void take_event(cluster_node *node, const bw_event *event) {
    switch ((enum bw_event_kind)event->kind) {
    case BW_EVENT_KIND_STEPPED_DOWN:
        CHECK(node->event_leading);
        CHECK_EQ(event->term, node->event_term);
        node->event_leading = false;
        break;
    case BW_EVENT_KIND_LEADER_CHANGED:
        node->event_has_leader = event->has_leader;
        node->event_leader = event->has_leader ? event->leader : 0;
        if (!event->has_leader) {
            CHECK_EQ(event->leader, 0);
        }
        node->event_term = event->term;
        break;
    case BW_EVENT_KIND_BECAME_LEADER:
        CHECK(!node->event_leading);
        CHECK(node->event_has_leader && node->event_leader == node->id);
        CHECK_EQ(event->term, node->event_term);
        node->event_leading = true;
        node->became_leader_events++;
        break;
    default:
        FAIL("unknown event kind %u", (unsigned)event->kind);
    }
}

/* After a drain, the events told the whole story: they match the getters. */
static void check_events_match_getters(cluster_node *node) {
    uint32_t leader;
    uint64_t term;
    bw_role role;
    bw_result rc = bw_node_leader(node->node, &leader);
    if (node->event_has_leader) {
        CHECK_OK(rc);
        CHECK_EQ(leader, node->event_leader);
    } else {
        CHECK_RC(rc, BW_RESULT_EMPTY);
    }
    CHECK_OK(bw_node_term(node->node, &term));
    CHECK_EQ(term, node->event_term);
    CHECK_OK(bw_node_role(node->node, &role));
    CHECK_EQ(role == BW_ROLE_LEADER, node->event_leading);
}

void cluster_drain(cluster *c, cluster_node *node) {
    uint32_t last = BW_OUTPUT_KIND_PERSIST;
    for (;;) {
        uint8_t buf[BW_MAX_MESSAGE_SIZE];
        bw_output output;
        uint64_t deadline;
        SENTINEL(buf);
        CHECK_OK(bw_node_poll_output(node->node, buf, sizeof buf, &output));
        /* Persist, then transmit, then events, then the timeout: never back. */
        CHECK(output.kind >= last && output.kind <= BW_OUTPUT_KIND_TIMEOUT);
        last = output.kind;
        node->outputs[output.kind]++;
        switch ((enum bw_output_kind)output.kind) {
        case BW_OUTPUT_KIND_PERSIST:
            take_persist(c, node, &output.persist);
            break;
        case BW_OUTPUT_KIND_TRANSMIT:
            take_transmit(c, node, buf, sizeof buf, &output.transmit);
            break;
        case BW_OUTPUT_KIND_EVENT:
            take_event(node, &output.event);
            break;
        case BW_OUTPUT_KIND_TIMEOUT:
            CHECK(output.timeout.has_deadline);
            CHECK_OK(bw_node_poll_timeout(node->node, &deadline));
            CHECK_EQ(output.timeout.deadline, deadline);
            check_events_match_getters(node);
            return;
        }
    }
}

static void deliver(cluster *c, const cluster_packet *packet) {
    cluster_node *node = cluster_node_of(c, packet->to);
    bw_result rc;
    if (!node->alive) {
        return;
    }
    rc = bw_node_handle_bytes(node->node, c->now, packet->bytes, packet->len);
    if (c->base.protection == BW_PROTECTION_AUTHENTICATED && rc == BW_RESULT_UNSYNCHRONISED) {
        CHECK_RC(rc, BW_RESULT_UNSYNCHRONISED);
    } else {
        CHECK_RC(rc, BW_RESULT_OK);
    }
    cluster_drain(c, node);
}

bool cluster_step(cluster *c) {
    uint64_t next = UINT64_MAX;
    uint64_t deadline;
    size_t i;
    if (c->queued > 0) {
        next = c->queue[c->queue_head].deliver_at;
    }
    for (i = 0; i < c->size; i++) {
        if (c->nodes[i].alive && bw_node_poll_timeout(c->nodes[i].node, &deadline) ==
                                     BW_RESULT_OK && deadline < next) {
            next = deadline;
        }
    }
    if (next == UINT64_MAX) {
        return false;
    }
    if (next > c->now) {
        c->now = next;
    }
    while (c->queued > 0 && c->queue[c->queue_head].deliver_at <= c->now) {
        cluster_packet packet = c->queue[c->queue_head];
        c->queue_head = (c->queue_head + 1) % CLUSTER_QUEUE_CAPACITY;
        c->queued--;
        deliver(c, &packet);
    }
    for (i = 0; i < c->size; i++) {
        cluster_node *node = &c->nodes[i];
        if (node->alive && bw_node_poll_timeout(node->node, &deadline) == BW_RESULT_OK &&
            deadline <= c->now) {
            CHECK_OK(bw_node_handle_timeout(node->node, c->now));
            cluster_drain(c, node);
        }
    }
    return true;
}

bool cluster_run_until(cluster *c, bool (*done)(cluster *c, const void *argument),
                       const void *argument, uint64_t limit) {
    uint64_t end = c->now + limit;
    unsigned long steps = 0;
    while (!done(c, argument)) {
        if (c->now >= end || !cluster_step(c)) {
            return false;
        }
        if (++steps > MAX_STEPS) {
            FAIL("no progress: %lu steps, simulated time stuck at %llu ms", steps,
                 (unsigned long long)c->now);
        }
    }
    return true;
}

static bool never(cluster *c, const void *argument) {
    (void)c;
    (void)argument;
    return false;
}

void cluster_run_for(cluster *c, uint64_t duration) {
    cluster_run_until(c, never, NULL, duration);
}

bool cluster_agreed(cluster *c, uint32_t *out_leader) {
    bool found = false;
    uint32_t leader = 0;
    size_t i;
    for (i = 0; i < c->size; i++) {
        uint32_t named;
        if (!c->nodes[i].alive) {
            continue;
        }
        if (bw_node_leader(c->nodes[i].node, &named) != BW_RESULT_OK ||
            (found && named != leader)) {
            return false;
        }
        found = true;
        leader = named;
    }
    if (!found || !cluster_node_of(c, leader)->alive) {
        return false;
    }
    for (i = 0; i < c->size; i++) {
        bw_role role;
        if (!c->nodes[i].alive) {
            continue;
        }
        CHECK_OK(bw_node_role(c->nodes[i].node, &role));
        if (role != (c->nodes[i].id == leader ? BW_ROLE_LEADER : BW_ROLE_FOLLOWER)) {
            return false;
        }
    }
    *out_leader = leader;
    return true;
}

static bool agreed(cluster *c, const void *argument) {
    uint32_t leader;
    (void)argument;
    return cluster_agreed(c, &leader);
}

/* Each live node's view, for a failure message. */
static const char *describe(cluster *c) {
    static char text[512];
    size_t used = 0;
    size_t i;
    text[0] = '\0';
    for (i = 0; i < c->size && used < sizeof text; i++) {
        const cluster_node *node = &c->nodes[i];
        uint32_t leader = 0;
        uint64_t term = 0;
        bw_role role = BW_ROLE_FOLLOWER;
        bw_result has_leader;
        int written;
        if (!node->alive) {
            written = snprintf(text + used, sizeof text - used, "[node %u: down] ",
                               (unsigned)node->id);
        } else {
            has_leader = bw_node_leader(node->node, &leader);
            bw_node_term(node->node, &term);
            bw_node_role(node->node, &role);
            written = snprintf(text + used, sizeof text - used,
                               "[node %u: role %u, term %llu, leader %s%u] ",
                               (unsigned)node->id, (unsigned)role, (unsigned long long)term,
                               has_leader == BW_RESULT_OK ? "" : "none ",
                               (unsigned)leader);
        }
        if (written < 0) {
            break;
        }
        used += (size_t)written;
    }
    return text;
}

uint32_t cluster_run_until_agreement(cluster *c, uint64_t limit) {
    uint32_t leader = 0;
    if (!cluster_run_until(c, agreed, NULL, limit) || !cluster_agreed(c, &leader)) {
        FAIL("no agreement on a leader within %llu ms (now %llu): %s",
             (unsigned long long)limit, (unsigned long long)c->now, describe(c));
    }
    return leader;
}

static bool led_by(cluster *c, const void *argument) {
    uint32_t leader;
    return cluster_agreed(c, &leader) && leader == *(const uint32_t *)argument;
}

void cluster_run_until_leader(cluster *c, uint32_t leader, uint64_t limit) {
    if (!cluster_run_until(c, led_by, &leader, limit)) {
        FAIL("node %u did not become the agreed leader within %llu ms: %s", (unsigned)leader,
             (unsigned long long)limit, describe(c));
    }
}

void cluster_check_leader(cluster *c, uint32_t leader) {
    if (!led_by(c, &leader)) {
        FAIL("node %u is not the agreed leader: %s", (unsigned)leader, describe(c));
    }
}
