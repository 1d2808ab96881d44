/*
 * Single nodes outside a cluster: configurations, and twins. Two nodes with the same
 * configuration fed the same inputs behave identically (the engine is deterministic), so
 * "a failed call changed nothing" is checked by comparing a node that took the failed
 * call with a twin that did not.
 */
#ifndef BELLWETHER_TESTS_NODES_H
#define BELLWETHER_TESTS_NODES_H

#include "check.h"

#define NODES_GROUP 1
/* Members 1..NODES_MAX_MEMBERS exist; a configuration uses the first `size`. */
#define NODES_MAX_MEMBERS 5
/* The time single nodes start at. */
#define NODES_START 1000

/* The defaults of `algorithm` for node `id` of members 1..size (all candidates). */
bw_config node_config(uint32_t algorithm, uint32_t id, size_t size);

/* Sets up a node in `memory` at `now`; fails the scenario on error. */
bw_node *start_node_at(node_memory *memory, const bw_config *config, uint64_t now);

/* Calls bw_node_handle_timeout at the node's next deadline; returns that time. */
uint64_t fire_next_timeout(bw_node *node);

/* Everything one drain handed out, in order within each kind. */
#define MAX_DRAINED 64
typedef struct {
    size_t persists;
    bw_durable_state persist[MAX_DRAINED];
    size_t transmits;
    bw_transmit transmit[MAX_DRAINED];
    uint8_t bytes[MAX_DRAINED][BW_MAX_MESSAGE_SIZE];
    size_t events;
    bw_event event[MAX_DRAINED];
    bw_timeout timeout;
} drained;

/* Drains `node` with bw_node_poll_output until BW_OUTPUT_KIND_TIMEOUT, confirming each
 * durable state at once, and checks the contract on the way: kinds in the order persist,
 * transmit, event, timeout; the fields of the other kinds zero; the buffer written only
 * up to the message's length; the timeout that of bw_node_poll_timeout. */
void drain_outputs(bw_node *node, drained *out);

/* The same drain through the separate polls (poll_persist, then confirm; poll_transmit;
 * poll_event; poll_timeout), each until BW_RESULT_EMPTY. */
void drain_polls(bw_node *node, drained *out);

/* Fails unless the two drains handed out the same things. */
void check_same_drained(const drained *a, const drained *b);

/* Drives `a` and `b` with the same timeouts from `now` for `duration` ms, checking at every
 * step that their getters, messages, events and deadlines are identical: `a` is drained
 * with bw_node_poll_output, `b` with the separate polls, so the one-call drain is checked
 * against its parts too. */
void check_twins(bw_node *a, bw_node *b, uint64_t now, uint64_t duration);

#endif /* BELLWETHER_TESTS_NODES_H */
