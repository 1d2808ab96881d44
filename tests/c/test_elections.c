/*
 * Behaviour: every algorithm elects one leader in a 3-node and a 5-node cluster, keeps it,
 * and elects another once it crashes.
 */
#include "cluster.h"

/* Whether `algorithm` always elects the highest-ranked live node (members of equal
 * priority rank by id, so the highest id). Invitation and quorum elect whoever wins. */
static bool elects_the_highest(uint32_t algorithm) {
    return algorithm == BW_ALGORITHM_BULLY || algorithm == BW_ALGORITHM_NEXT_IN_LINE ||
           algorithm == BW_ALGORITHM_CANDIDATES || algorithm == BW_ALGORITHM_RING;
}

/* The highest id among the live members. */
static uint32_t highest_live(cluster *c) {
    uint32_t highest = 0;
    size_t i;
    for (i = 0; i < c->size; i++) {
        if (c->nodes[i].alive && c->nodes[i].id > highest) {
            highest = c->nodes[i].id;
        }
    }
    return highest;
}

/* Runs until agreement, then for STABLE_PERIOD more: the leader must not change. */
static uint32_t agree_and_stay(cluster *c) {
    uint32_t leader = cluster_run_until_agreement(c, AGREEMENT_LIMIT);
    uint32_t later = 0;
    cluster_run_for(c, STABLE_PERIOD);
    CHECK(cluster_agreed(c, &later));
    CHECK_EQ(later, leader);
    if (elects_the_highest(c->base.algorithm)) {
        CHECK_EQ(leader, highest_live(c));
    }
    return leader;
}

/* The leader of a fresh cluster crashes: the others agree on another one. */
static void elect_and_fail_over(uint32_t algorithm, size_t size) {
    cluster c;
    uint32_t first;
    uint32_t second;
    check_context("algorithm %u (bw_algorithm), %u nodes", (unsigned)algorithm,
                  (unsigned)size);
    cluster_configure(&c, algorithm, size);
    cluster_start(&c);
    first = agree_and_stay(&c);
    CHECK(cluster_node_of(&c, first)->became_leader_events >= 1);

    cluster_kill(&c, first);
    second = agree_and_stay(&c);
    CHECK(second != first);
    CHECK(cluster_node_of(&c, second)->became_leader_events >= 1);
}

static void elect_with_every_size(uint32_t algorithm) {
    elect_and_fail_over(algorithm, 3);
    elect_and_fail_over(algorithm, 5);
}

static void bully_elects_and_fails_over(void) {
    elect_with_every_size(BW_ALGORITHM_BULLY);
}

static void next_in_line_elects_and_fails_over(void) {
    elect_with_every_size(BW_ALGORITHM_NEXT_IN_LINE);
}

static void candidates_elect_and_fail_over(void) {
    elect_with_every_size(BW_ALGORITHM_CANDIDATES);
}

static void invitation_elects_and_fails_over(void) {
    elect_with_every_size(BW_ALGORITHM_INVITATION);
}

static void ring_elects_and_fails_over(void) {
    elect_with_every_size(BW_ALGORITHM_RING);
}

static void quorum_elects_and_fails_over(void) {
    elect_with_every_size(BW_ALGORITHM_QUORUM);
}

/* The same on a broadcast medium (one transmit for all peers). */
static void bully_elects_on_a_broadcast_medium(void) {
    cluster c;
    uint32_t leader;
    cluster_configure(&c, BW_ALGORITHM_BULLY, 5);
    c.base.broadcast = true;
    cluster_start(&c);
    leader = agree_and_stay(&c);
    cluster_kill(&c, leader);
    CHECK(agree_and_stay(&c) != leader);
}

const scenario ELECTION_SCENARIOS[] = {
    {"elections: bully, 3 and 5 nodes", bully_elects_and_fails_over},
    {"elections: next-in-line, 3 and 5 nodes", next_in_line_elects_and_fails_over},
    {"elections: candidates, 3 and 5 nodes", candidates_elect_and_fail_over},
    {"elections: invitation, 3 and 5 nodes", invitation_elects_and_fails_over},
    {"elections: ring, 3 and 5 nodes", ring_elects_and_fails_over},
    {"elections: quorum, 3 and 5 nodes", quorum_elects_and_fails_over},
    {"elections: bully on a broadcast medium", bully_elects_on_a_broadcast_medium},
};
const size_t ELECTION_SCENARIO_COUNT = sizeof ELECTION_SCENARIOS / sizeof ELECTION_SCENARIOS[0];
