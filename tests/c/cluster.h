/*
 * An in-memory cluster driven through the C API, as a host would drive it: a queue of
 * messages (each takes CLUSTER_LATENCY to arrive), a simulated clock that jumps to the
 * next delivery or the earliest bw_node_poll_timeout, and after every input the drain
 * of the calling contract, bw_node_poll_output until BW_OUTPUT_KIND_TIMEOUT.
 *
 * Members are 1..size, all candidates of priority 0, in group CLUSTER_GROUP. Quorum nodes
 * in persistent mode store their durable state in two flash slots of their own through
 * the slot writer, and confirm it once written (unless told to hold it). After every
 * drain the node's events are checked against its getters. In an authenticated cluster
 * (base.protection), a peer's first messages are refused as BW_RESULT_UNSYNCHRONISED until
 * the freshness exchange they start completes.
 */
#ifndef BELLWETHER_TESTS_CLUSTER_H
#define BELLWETHER_TESTS_CLUSTER_H

#include "check.h"

#define CLUSTER_MAX_NODES 5
#define CLUSTER_GROUP 1
#define CLUSTER_QUEUE_CAPACITY 512
#define CLUSTER_LATENCY 1

/* Generous bounds on simulated time, in ms: LAN timing elects within a few seconds. */
#define AGREEMENT_LIMIT 60000
#define STABLE_PERIOD 3000

typedef struct {
    uint32_t from;
    uint32_t to;
    uint64_t deliver_at;
    size_t len;
    uint8_t bytes[BW_MAX_MESSAGE_SIZE];
} cluster_packet;

typedef struct {
    node_memory memory;
    bw_node *node;
    uint32_t id;
    bool alive;
    /* Set before cluster_start for an authenticated cluster: the node's keys or MAC
     * callbacks (bw_node_init_authenticated); NULL starts it with bw_node_init. */
    const bw_auth *auth;
    /* Quorum, persistent mode: the two storage slots and the writer that fills them. */
    uint8_t slots[2][BW_RECORD_SIZE];
    bw_slot_writer writer;
    /* hold_persist: keep a state from bw_node_poll_persist unconfirmed until the test
     * calls cluster_confirm. */
    bool hold_persist;
    bool has_unconfirmed;
    bw_durable_state unconfirmed;
    /* The leadership the node's events described; must match its getters. */
    bool event_has_leader;
    uint32_t event_leader;
    uint64_t event_term;
    bool event_leading;
    unsigned became_leader_events;
    /* How many outputs of each bw_output_kind the node handed out. */
    unsigned outputs[BW_OUTPUT_KIND_TIMEOUT + 1];
} cluster_node;

typedef struct {
    /* Algorithm and options for every node; group, node, members and seed are set per
     * node by cluster_start. Tweak it (and `members`) between configure and start. */
    bw_config base;
    size_t size;
    bw_member members[CLUSTER_MAX_NODES];
    cluster_node nodes[CLUSTER_MAX_NODES];
    cluster_packet queue[CLUSTER_QUEUE_CAPACITY];
    size_t queue_head;
    size_t queued;
    uint64_t now;
} cluster;

/* Members 1..size with the defaults of `algorithm`; nothing runs yet. */
void cluster_configure(cluster *c, uint32_t algorithm, size_t size);
/* Starts every node at the current time. */
void cluster_start(cluster *c);
/* The configuration of member `id`. */
bw_config cluster_config_of(const cluster *c, uint32_t id);
cluster_node *cluster_node_of(cluster *c, uint32_t id);
bool cluster_is_quorum(const cluster *c);
bool cluster_is_persistent(const cluster *c);

/* Stops driving node `id` (a crash): its queued messages still arrive, none reach it. */
void cluster_kill(cluster *c, uint32_t id);
/* Starts node `id` again at the current time, restoring the durable state it stored (if
 * any; quorum in persistent mode) with bw_record_recover and bw_node_restore. */
void cluster_restart(cluster *c, uint32_t id);

/* Writes the node's unconfirmed durable state to its slots and confirms it. */
void cluster_confirm(cluster_node *node);
/* The drain after an input; fails the scenario on any contract violation (an output
 * out of order, a message while a durable state waits for its confirmation, ...). */
void cluster_drain(cluster *c, cluster_node *node);

/* One step: time jumps to the next delivery or deadline; those due happen. False when
 * nothing is left to happen. */
bool cluster_step(cluster *c);
/* Steps until `done` holds (true) or `limit` ms of simulated time pass (false). */
bool cluster_run_until(cluster *c, bool (*done)(cluster *c, const void *argument),
                       const void *argument, uint64_t limit);
/* Steps for `duration` ms of simulated time. */
void cluster_run_for(cluster *c, uint64_t duration);

/* Whether every live node names the same live leader, which leads, while every other live
 * node follows; writes the leader. */
bool cluster_agreed(cluster *c, uint32_t *leader);
/* Runs until agreement (failing the scenario after `limit` ms) and returns the leader. */
uint32_t cluster_run_until_agreement(cluster *c, uint64_t limit);
/* Runs until every live node agrees that `leader` leads; fails the scenario otherwise. */
void cluster_run_until_leader(cluster *c, uint32_t leader, uint64_t limit);
/* Checks that every live node agrees, now, that `leader` leads. */
void cluster_check_leader(cluster *c, uint32_t leader);

#endif /* BELLWETHER_TESTS_CLUSTER_H */
