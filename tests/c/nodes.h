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

/* Drives `a` and `b` with the same timeouts from `now` for `duration` ms, checking at every
 * step that their getters, messages, events and deadlines are identical. */
void check_twins(bw_node *a, bw_node *b, uint64_t now, uint64_t duration);

#endif /* BELLWETHER_TESTS_NODES_H */
