/*
 * Quorum election through the C API: durable state (persist, confirm, restore), the
 * leader's lease and fencing token, leadership transfer, freshness, volatile mode, and the
 * quorum-only calls on other algorithms.
 */
#include "cluster.h"
#include "nodes.h"

#include <string.h>

static bool same_state(bw_durable_state a, bw_durable_state b) {
    return a.term == b.term && a.has_vote == b.has_vote &&
           (!a.has_vote || a.voted_for == b.voted_for);
}

#define CHECK_SAME_STATE(a, b)                                                             \
    do {                                                                                   \
        bw_durable_state a_ = (a);                                                         \
        bw_durable_state b_ = (b);                                                         \
        if (!same_state(a_, b_)) {                                                         \
            FAIL("durable states differ: {term %llu, vote %s%u} and {term %llu, vote %s%u}", \
                 (unsigned long long)a_.term, a_.has_vote ? "" : "none ",                  \
                 (unsigned)a_.voted_for, (unsigned long long)b_.term,                      \
                 b_.has_vote ? "" : "none ", (unsigned)b_.voted_for);                      \
        }                                                                                  \
    } while (0)

static bw_durable_state durable_state_of(const bw_node *node) {
    bw_durable_state state;
    CHECK_OK(bw_node_durable_state(node, &state));
    return state;
}

static uint64_t term_of(const bw_node *node) {
    uint64_t term;
    CHECK_OK(bw_node_term(node, &term));
    return term;
}

/* A live member other than `leader`: the lowest id. */
static uint32_t a_follower(cluster *c, uint32_t leader) {
    size_t i;
    for (i = 0; i < c->size; i++) {
        if (c->nodes[i].alive && c->nodes[i].id != leader) {
            return c->nodes[i].id;
        }
    }
    FAIL("no live follower");
}

static void start_quorum(cluster *c, size_t size) {
    cluster_configure(c, BW_ALGORITHM_QUORUM, size);
    cluster_start(c);
}

/* ---- Durable state ---- */

static bool some_node_unconfirmed(cluster *c, const void *argument) {
    size_t i;
    (void)argument;
    for (i = 0; i < c->size; i++) {
        if (c->nodes[i].has_unconfirmed) {
            return true;
        }
    }
    return false;
}

static cluster_node *first_unconfirmed(cluster *c) {
    size_t i;
    for (i = 0; i < c->size; i++) {
        if (c->nodes[i].has_unconfirmed) {
            return &c->nodes[i];
        }
    }
    FAIL("no node holds an unconfirmed state");
}

static void release_held_states(cluster *c) {
    size_t i;
    for (i = 0; i < c->size; i++) {
        c->nodes[i].hold_persist = false;
        if (c->nodes[i].has_unconfirmed) {
            cluster_confirm(&c->nodes[i]);
            cluster_drain(c, &c->nodes[i]);
        }
    }
}

/* A state handed out by poll_persist must be confirmed before any message leaves; a stale
 * state is NOT_CURRENT and releases nothing. */
static void messages_wait_for_the_confirmation(void) {
    cluster c;
    cluster_node *node;
    bw_durable_state state;
    bw_durable_state stale;
    uint8_t buf[BW_MAX_MESSAGE_SIZE];
    bw_transmit transmit;
    uint64_t token;
    size_t queued;
    size_t i;
    cluster_configure(&c, BW_ALGORITHM_QUORUM, 3);
    for (i = 0; i < c.size; i++) {
        c.nodes[i].hold_persist = true;
    }
    cluster_start(&c);
    CHECK(cluster_run_until(&c, some_node_unconfirmed, NULL, AGREEMENT_LIMIT));
    node = first_unconfirmed(&c);
    state = node->unconfirmed;
    /* A campaign: a new term and a vote for itself. */
    CHECK(state.term >= 1);
    CHECK(state.has_vote);
    CHECK_EQ(state.voted_for, node->id);
    CHECK_SAME_STATE(durable_state_of(node->node), state);

    /* Handed out once per change. */
    SENTINEL(stale);
    CHECK_RC(bw_node_poll_persist(node->node, &stale), BW_RESULT_EMPTY);
    CHECK_UNTOUCHED(stale);
    /* Its vote requests are due, but withheld. */
    SENTINEL(buf);
    SENTINEL(transmit);
    CHECK_RC(bw_node_poll_transmit(node->node, buf, sizeof buf, &transmit), BW_RESULT_EMPTY);
    CHECK_UNTOUCHED(buf);
    CHECK_UNTOUCHED(transmit);
    SENTINEL(token);
    CHECK_RC(bw_node_fencing_token(node->node, &token), BW_RESULT_EMPTY);
    CHECK_UNTOUCHED(token);

    /* Stale or different states are not confirmations. */
    stale = state;
    stale.term = state.term - 1;
    CHECK_RC(bw_node_confirm_persisted(node->node, &stale), BW_RESULT_NOT_CURRENT);
    stale = state;
    stale.voted_for = node->id % 3 + 1;
    CHECK_RC(bw_node_confirm_persisted(node->node, &stale), BW_RESULT_NOT_CURRENT);
    stale = state;
    stale.has_vote = false;
    CHECK_RC(bw_node_confirm_persisted(node->node, &stale), BW_RESULT_NOT_CURRENT);
    CHECK_RC(bw_node_poll_transmit(node->node, buf, sizeof buf, &transmit), BW_RESULT_EMPTY);

    /* Written and confirmed: the withheld messages go at once, without any other input. */
    queued = c.queued;
    cluster_confirm(node);
    cluster_drain(&c, node);
    CHECK(c.queued > queued);

    release_held_states(&c);
    cluster_run_until_agreement(&c, AGREEMENT_LIMIT);
}

/* A state confirmed once is not current any more once the node moved on. */
static void an_older_confirmed_state_is_not_current(void) {
    cluster c;
    uint32_t leader;
    cluster_node *node;
    bw_durable_state old;
    start_quorum(&c, 3);
    leader = cluster_run_until_agreement(&c, AGREEMENT_LIMIT);
    node = cluster_node_of(&c, leader);
    old = durable_state_of(node->node);
    cluster_kill(&c, leader);
    leader = cluster_run_until_agreement(&c, AGREEMENT_LIMIT);
    node = cluster_node_of(&c, leader);
    CHECK(term_of(node->node) > old.term);
    CHECK_RC(bw_node_confirm_persisted(node->node, &old), BW_RESULT_NOT_CURRENT);
    /* Confirming the current one again is harmless. */
    old = durable_state_of(node->node);
    CHECK_OK(bw_node_confirm_persisted(node->node, &old));
}

/* What a node stored in its slots is what it recovers. */
static bw_durable_state stored_state(const cluster_node *node) {
    bw_recovered recovered;
    CHECK_OK(bw_record_recover(node->slots[0], BW_RECORD_SIZE, node->slots[1],
                               BW_RECORD_SIZE, &recovered));
    return recovered.state;
}

static void a_restarted_follower_restores_its_state(void) {
    cluster c;
    uint32_t leader;
    cluster_node *follower;
    bw_durable_state before;
    bw_durable_state persisted;
    start_quorum(&c, 3);
    leader = cluster_run_until_agreement(&c, AGREEMENT_LIMIT);
    follower = cluster_node_of(&c, a_follower(&c, leader));
    before = durable_state_of(follower->node);
    CHECK_SAME_STATE(stored_state(follower), before);
    CHECK(before.term >= 1);

    cluster_kill(&c, follower->id);
    cluster_run_for(&c, 1000);
    cluster_restart(&c, follower->id);
    CHECK_SAME_STATE(durable_state_of(follower->node), before);
    CHECK_EQ(term_of(follower->node), before.term);
    /* Nothing new to persist: the restored state is the stored one. */
    SENTINEL(persisted);
    CHECK_RC(bw_node_poll_persist(follower->node, &persisted), BW_RESULT_EMPTY);
    CHECK_UNTOUCHED(persisted);

    cluster_run_until_leader(&c, leader, AGREEMENT_LIMIT);
}

static void a_restarted_leader_restores_its_term_and_follows(void) {
    cluster c;
    uint32_t first;
    uint32_t second;
    uint64_t first_term;
    uint64_t second_term;
    cluster_node *old_leader;
    start_quorum(&c, 3);
    first = cluster_run_until_agreement(&c, AGREEMENT_LIMIT);
    old_leader = cluster_node_of(&c, first);
    first_term = term_of(old_leader->node);

    cluster_kill(&c, first);
    second = cluster_run_until_agreement(&c, AGREEMENT_LIMIT);
    second_term = term_of(cluster_node_of(&c, second)->node);
    CHECK(second != first);
    CHECK(second_term > first_term);

    cluster_restart(&c, first);
    CHECK_EQ(term_of(old_leader->node), first_term);
    CHECK(durable_state_of(old_leader->node).has_vote);
    CHECK_EQ(durable_state_of(old_leader->node).voted_for, first);
    /* The returning node does not depose the new leader. */
    cluster_run_until_leader(&c, second, AGREEMENT_LIMIT);
    cluster_run_for(&c, STABLE_PERIOD);
    cluster_check_leader(&c, second);
    CHECK_EQ(term_of(cluster_node_of(&c, second)->node), second_term);
    CHECK_EQ(term_of(old_leader->node), second_term);
}

/* ---- Lease and fencing token ---- */

static bool holds_lease(cluster *c, const void *argument) {
    bool has = false;
    const cluster_node *node = cluster_node_of(c, *(const uint32_t *)argument);
    CHECK_OK(bw_node_has_lease(node->node, c->now, &has));
    return has;
}

static bool some_live_leader(cluster *c, const void *argument) {
    size_t i;
    (void)argument;
    for (i = 0; i < c->size; i++) {
        bw_role role;
        if (c->nodes[i].alive) {
            CHECK_OK(bw_node_role(c->nodes[i].node, &role));
            if (role == BW_ROLE_LEADER) {
                return true;
            }
        }
    }
    return false;
}

static void check_follower_has_no_lease(const cluster *c, const cluster_node *node,
                                        uint64_t leader_term) {
    uint64_t until;
    uint64_t token;
    bool has = true;
    SENTINEL(until);
    SENTINEL(token);
    CHECK_RC(bw_node_lease_until(node->node, &until), BW_RESULT_EMPTY);
    CHECK_UNTOUCHED(until);
    CHECK_OK(bw_node_has_lease(node->node, c->now, &has));
    CHECK(!has);
    CHECK_RC(bw_node_fencing_token(node->node, &token), BW_RESULT_EMPTY);
    CHECK_UNTOUCHED(token);
    CHECK_EQ(durable_state_of(node->node).term, leader_term);
}

static void the_leader_holds_a_lease_and_a_fencing_token(void) {
    cluster c;
    uint32_t leader;
    cluster_node *node;
    uint64_t until;
    uint64_t token;
    uint64_t term;
    bool has = false;
    bw_durable_state state;
    size_t i;
    start_quorum(&c, 3);
    leader = cluster_run_until_agreement(&c, AGREEMENT_LIMIT);
    CHECK(cluster_run_until(&c, holds_lease, &leader, AGREEMENT_LIMIT));
    node = cluster_node_of(&c, leader);
    term = term_of(node->node);

    CHECK_OK(bw_node_lease_until(node->node, &until));
    CHECK(until > c.now);
    /* The lease is shorter than the election timeout T. */
    CHECK(until <= c.now + c.base.failure_timeout);
    CHECK_OK(bw_node_has_lease(node->node, until - 1, &has));
    CHECK(has);
    CHECK_OK(bw_node_has_lease(node->node, until, &has));
    CHECK(!has);
    CHECK_OK(bw_node_fencing_token(node->node, &token));
    CHECK_EQ(token, term);
    state = durable_state_of(node->node);
    CHECK_EQ(state.term, term);
    CHECK(state.has_vote);
    CHECK_EQ(state.voted_for, leader);

    for (i = 0; i < c.size; i++) {
        if (c.nodes[i].id != leader) {
            check_follower_has_no_lease(&c, &c.nodes[i], term);
        }
    }

    /* Once it crashes, nobody else leads before its lease ends. */
    cluster_kill(&c, leader);
    CHECK(cluster_run_until(&c, some_live_leader, NULL, AGREEMENT_LIMIT));
    CHECK(c.now >= until);
    CHECK(cluster_run_until_agreement(&c, AGREEMENT_LIMIT) != leader);
}

/* ---- Leadership transfer ---- */

static void transfer_to_a_follower(size_t size) {
    cluster c;
    uint32_t leader;
    uint32_t target;
    uint64_t term;
    uint64_t until;
    cluster_node *node;
    check_context("%u nodes", (unsigned)size);
    start_quorum(&c, size);
    leader = cluster_run_until_agreement(&c, AGREEMENT_LIMIT);
    node = cluster_node_of(&c, leader);
    term = term_of(node->node);
    target = a_follower(&c, leader);

    CHECK_OK(bw_node_transfer_leadership(node->node, c.now, target));
    /* No lease while the transfer runs. */
    SENTINEL(until);
    CHECK_RC(bw_node_lease_until(node->node, &until), BW_RESULT_EMPTY);
    CHECK_UNTOUCHED(until);
    cluster_drain(&c, node);

    cluster_run_until_leader(&c, target, AGREEMENT_LIMIT);
    CHECK(term_of(cluster_node_of(&c, target)->node) > term);
    cluster_run_for(&c, STABLE_PERIOD);
    cluster_check_leader(&c, target);
}

static void transfer_makes_the_named_follower_leader(void) {
    transfer_to_a_follower(3);
    transfer_to_a_follower(5);
}

#define ORDINARY 3

static void transfer_refusals(void) {
    cluster c;
    uint32_t leader;
    cluster_node *node;
    cluster_node *follower;
    cluster_configure(&c, BW_ALGORITHM_QUORUM, 3);
    c.members[ORDINARY - 1].candidate = false;
    cluster_start(&c);
    leader = cluster_run_until_agreement(&c, AGREEMENT_LIMIT);
    CHECK(leader != ORDINARY);
    node = cluster_node_of(&c, leader);
    follower = cluster_node_of(&c, a_follower(&c, leader));

    CHECK_RC(bw_node_transfer_leadership(follower->node, c.now, leader), BW_RESULT_NOT_LEADER);
    CHECK_RC(bw_node_transfer_leadership(node->node, c.now, leader), BW_RESULT_TO_SELF);
    CHECK_RC(bw_node_transfer_leadership(node->node, c.now, 99), BW_RESULT_UNKNOWN_MEMBER);
    CHECK_RC(bw_node_transfer_leadership(node->node, c.now, ORDINARY), BW_RESULT_NOT_CANDIDATE);
    CHECK_RC(bw_node_transfer_leadership(NULL, c.now, ORDINARY), BW_RESULT_NULL_POINTER);

    /* None of them started a transfer: the leader keeps leading. */
    cluster_drain(&c, node);
    cluster_run_for(&c, STABLE_PERIOD);
    cluster_check_leader(&c, leader);
}

/* Twins of node 1 of members 1..size; the refused transfer, stamped `ahead` ms after the
 * node's first deadline, is made on one of them only. */
static void check_refused_transfer_changes_nothing(size_t size, uint32_t to, uint64_t ahead,
                                                   bw_result expected) {
    node_memory memory[2];
    bw_config config = node_config(BW_ALGORITHM_QUORUM, 1, size);
    bw_node *node = start_node_at(&memory[0], &config, NODES_START);
    bw_node *twin = start_node_at(&memory[1], &config, NODES_START);
    uint64_t now = NODES_START;
    uint64_t deadline;
    uint64_t token;
    check_context("%u members, transfer to %u", (unsigned)size, (unsigned)to);
    if (size == 1) {
        /* Alone, it campaigns and leads at its first deadline. */
        now = fire_next_timeout(node);
        CHECK_EQ(fire_next_timeout(twin), now);
        check_twins(node, twin, now, 0);
        CHECK_OK(bw_node_fencing_token(node, &token));
    }
    CHECK_OK(bw_node_poll_timeout(node, &deadline));
    CHECK_RC(bw_node_transfer_leadership(node, deadline + ahead, to), expected);
    check_twins(node, twin, now, 20000);
}

/* "Every other code is an error that changed nothing": a refused transfer must not move
 * the node's clock to its `now` either. */
static void refused_transfers_change_nothing(void) {
    check_refused_transfer_changes_nothing(3, 2, 0, BW_RESULT_NOT_LEADER);
    check_refused_transfer_changes_nothing(1, 1, 0, BW_RESULT_TO_SELF);
    check_refused_transfer_changes_nothing(3, 2, 100000, BW_RESULT_NOT_LEADER);
    check_refused_transfer_changes_nothing(1, 1, 100000, BW_RESULT_TO_SELF);
}

/* ---- Freshness ---- */

/* Nodes 3..5 are fresher than 1 and 2, so 1 and 2 never get a majority of votes. */
static void only_fresh_enough_candidates_win(void) {
    cluster c;
    uint32_t leader;
    uint32_t id;
    cluster_configure(&c, BW_ALGORITHM_QUORUM, 5);
    cluster_start(&c);
    for (id = 3; id <= 5; id++) {
        CHECK_OK(bw_node_set_freshness(cluster_node_of(&c, id)->node, 7));
    }
    CHECK_RC(bw_node_set_freshness(NULL, 7), BW_RESULT_NULL_POINTER);
    leader = cluster_run_until_agreement(&c, AGREEMENT_LIMIT);
    CHECK(leader >= 3);
    cluster_kill(&c, leader);
    leader = cluster_run_until_agreement(&c, AGREEMENT_LIMIT);
    CHECK(leader >= 3);
}

/* ---- Volatile mode ---- */

static void volatile_mode_persists_nothing(void) {
    cluster c;
    uint32_t leader;
    cluster_node *node;
    bw_durable_state state;
    bw_node *restored;
    uint64_t token;
    bw_config config;
    node_memory memory;
    cluster_configure(&c, BW_ALGORITHM_QUORUM, 3);
    c.base.durability = BW_DURABILITY_VOLATILE;
    cluster_start(&c);
    /* (cluster_drain fails on any state handed out in volatile mode.) */
    leader = cluster_run_until_agreement(&c, AGREEMENT_LIMIT);
    CHECK(cluster_run_until(&c, holds_lease, &leader, AGREEMENT_LIMIT));
    node = cluster_node_of(&c, leader);
    SENTINEL(token);
    CHECK_RC(bw_node_fencing_token(node->node, &token), BW_RESULT_EMPTY);
    CHECK_UNTOUCHED(token);
    state = durable_state_of(node->node);
    CHECK_RC(bw_node_confirm_persisted(node->node, &state), BW_RESULT_NOT_CURRENT);

    config = cluster_config_of(&c, leader);
    SENTINEL(restored);
    CHECK_RC(bw_node_restore(node_memory_bytes(&memory), BW_NODE_SIZE, &config, c.now, &state,
                             &restored),
             BW_RESULT_NOTHING_TO_RESTORE);
    CHECK_UNTOUCHED(restored);

    cluster_kill(&c, leader);
    CHECK(cluster_run_until_agreement(&c, AGREEMENT_LIMIT) != leader);
}

/* ---- Restore refusals ---- */

static void restore_refusals(void) {
    node_memory memory;
    bw_node *node;
    bw_durable_state state = {3, true, 9};
    bw_config quorum = node_config(BW_ALGORITHM_QUORUM, 1, 3);
    bw_config bully = node_config(BW_ALGORITHM_BULLY, 1, 3);
    uint8_t *bytes = node_memory_bytes(&memory);

    SENTINEL(node);
    CHECK_RC(bw_node_restore(bytes, BW_NODE_SIZE, &quorum, NODES_START, &state, &node),
             BW_RESULT_VOTE_FOR_NON_MEMBER);
    CHECK_UNTOUCHED(node);
    state.voted_for = 2;
    CHECK_RC(bw_node_restore(bytes, BW_NODE_SIZE, &bully, NODES_START, &state, &node),
             BW_RESULT_NOTHING_TO_RESTORE);
    CHECK_UNTOUCHED(node);

    /* Without has_vote, voted_for means nothing. */
    state.has_vote = false;
    state.voted_for = 9;
    CHECK_OK(bw_node_restore(bytes, BW_NODE_SIZE, &quorum, NODES_START, &state, &node));
    CHECK_EQ(term_of(node), 3);
    CHECK(!durable_state_of(node).has_vote);

    /* Terms run up to BW_MAX_TERM: a state beyond it is refused, writing nothing. */
    state.term = BW_MAX_TERM + 1;
    state.has_vote = true;
    state.voted_for = 2;
    SENTINEL(memory);
    SENTINEL(node);
    CHECK_RC(bw_node_restore(bytes, BW_NODE_SIZE, &quorum, NODES_START, &state, &node),
             BW_RESULT_RESTORED_TERM_OUT_OF_RANGE);
    CHECK_UNTOUCHED(node);
    CHECK_UNTOUCHED(memory);
    state.term = UINT64_MAX;
    state.has_vote = false;
    CHECK_RC(bw_node_restore(bytes, BW_NODE_SIZE, &quorum, NODES_START, &state, &node),
             BW_RESULT_RESTORED_TERM_OUT_OF_RANGE);
    CHECK_UNTOUCHED(node);
    CHECK_UNTOUCHED(memory);
}

/* A node restored in the last term keeps it: quorum election never campaigns there (its
 * next term would be the same one, in which it may have voted), so it persists and sends
 * nothing however long it hears from nobody. */
static void the_maximum_term_is_restored_and_kept(void) {
    node_memory memory;
    bw_node *node;
    bw_durable_state state = {BW_MAX_TERM, true, 2};
    bw_config quorum = node_config(BW_ALGORITHM_QUORUM, 1, 3);
    uint64_t now = NODES_START;
    int i;
    CHECK_OK(bw_node_restore(node_memory_bytes(&memory), BW_NODE_SIZE, &quorum, NODES_START,
                             &state, &node));
    CHECK_SAME_STATE(durable_state_of(node), state);
    for (i = 0; i < 20; i++) {
        uint8_t buf[BW_MAX_MESSAGE_SIZE];
        bw_transmit transmit;
        bw_durable_state persisted;
        now = fire_next_timeout(node);
        CHECK_RC(bw_node_poll_persist(node, &persisted), BW_RESULT_EMPTY);
        CHECK_RC(bw_node_poll_transmit(node, buf, sizeof buf, &transmit), BW_RESULT_EMPTY);
        CHECK_EQ(term_of(node), BW_MAX_TERM);
        CHECK_SAME_STATE(durable_state_of(node), state);
    }
    /* Twenty timeouts span several election timeouts. */
    CHECK(now >= NODES_START + 4 * (uint64_t)quorum.failure_timeout);
}

/* ---- Quorum-only calls ---- */

static void check_not_quorum(uint32_t algorithm) {
    node_memory memory;
    bw_config config = node_config(algorithm, 1, 3);
    bw_node *node = start_node_at(&memory, &config, NODES_START);
    bw_durable_state state;
    uint64_t value;
    bool flag;
    check_context("algorithm %u (bw_algorithm)", (unsigned)algorithm);
    SENTINEL(state);
    /* The drain's persist step fits every algorithm: nothing to persist. */
    CHECK_RC(bw_node_poll_persist(node, &state), BW_RESULT_EMPTY);
    CHECK_UNTOUCHED(state);
    CHECK_RC(bw_node_durable_state(node, &state), BW_RESULT_NOT_QUORUM);
    CHECK_UNTOUCHED(state);
    SENTINEL(value);
    CHECK_RC(bw_node_lease_until(node, &value), BW_RESULT_NOT_QUORUM);
    CHECK_UNTOUCHED(value);
    CHECK_RC(bw_node_fencing_token(node, &value), BW_RESULT_NOT_QUORUM);
    CHECK_UNTOUCHED(value);
    SENTINEL(flag);
    CHECK_RC(bw_node_has_lease(node, NODES_START, &flag), BW_RESULT_NOT_QUORUM);
    CHECK_UNTOUCHED(flag);
    state.term = 0;
    state.has_vote = false;
    state.voted_for = 0;
    /* Nothing was handed out, so nothing can be confirmed. */
    CHECK_RC(bw_node_confirm_persisted(node, &state), BW_RESULT_NOT_CURRENT);
    CHECK_RC(bw_node_set_freshness(node, 1), BW_RESULT_NOT_QUORUM);
    CHECK_RC(bw_node_transfer_leadership(node, NODES_START, 2), BW_RESULT_NOT_QUORUM);
}

static void quorum_calls_on_other_algorithms_are_not_quorum(void) {
    check_not_quorum(BW_ALGORITHM_BULLY);
    check_not_quorum(BW_ALGORITHM_NEXT_IN_LINE);
    check_not_quorum(BW_ALGORITHM_CANDIDATES);
    check_not_quorum(BW_ALGORITHM_INVITATION);
    check_not_quorum(BW_ALGORITHM_RING);
}

const scenario QUORUM_SCENARIOS[] = {
    {"quorum: messages wait until the durable state is confirmed; stale is NOT_CURRENT",
     messages_wait_for_the_confirmation},
    {"quorum: an older confirmed state is NOT_CURRENT", an_older_confirmed_state_is_not_current},
    {"quorum: a restarted follower restores its durable state and rejoins",
     a_restarted_follower_restores_its_state},
    {"quorum: a restarted leader restores its term and follows the new leader",
     a_restarted_leader_restores_its_term_and_follows},
    {"quorum: lease and fencing token on the leader, EMPTY on followers",
     the_leader_holds_a_lease_and_a_fencing_token},
    {"quorum: transfer_leadership makes the named follower leader (3 and 5 nodes)",
     transfer_makes_the_named_follower_leader},
    {"quorum: transfer refusals NOT_LEADER, TO_SELF, UNKNOWN_MEMBER, NOT_CANDIDATE",
     transfer_refusals},
    {"quorum: refused transfers change nothing, whatever their time",
     refused_transfers_change_nothing},
    {"quorum: only candidates at least as fresh win votes", only_fresh_enough_candidates_win},
    {"quorum: volatile mode persists nothing and has no fencing token",
     volatile_mode_persists_nothing},
    {"quorum: restore refusals NOTHING_TO_RESTORE, VOTE_FOR_NON_MEMBER and "
     "RESTORED_TERM_OUT_OF_RANGE",
     restore_refusals},
    {"quorum: a node restored in term BW_MAX_TERM keeps it",
     the_maximum_term_is_restored_and_kept},
    {"quorum: quorum-only calls on the other algorithms are NOT_QUORUM; the drain's persist "
     "calls are EMPTY and NOT_CURRENT",
     quorum_calls_on_other_algorithms_are_not_quorum},
};
const size_t QUORUM_SCENARIO_COUNT = sizeof QUORUM_SCENARIOS / sizeof QUORUM_SCENARIOS[0];
