/*
 * Arguments: version and sizes, result texts, bw_config_init, node memory, every config
 * error, unknown enum values, and NULL for every pointer of the node functions. Every
 * refused call must leave its outputs (and the node) untouched.
 */
#include "nodes.h"

#include <stdio.h>
#include <string.h>

/* ---- Version, sizes, result texts ---- */

static void version_matches_the_header(void) {
    char expected[64];
    const char *version = bw_version();
    snprintf(expected, sizeof expected, "%d.%d.%d", BELLWETHER_VERSION_MAJOR,
             BELLWETHER_VERSION_MINOR, BELLWETHER_VERSION_PATCH);
    CHECK(version != NULL);
    if (strcmp(version, expected) != 0) {
        FAIL("bw_version() is \"%s\", the header says \"%s\"", version, expected);
    }
}

static void node_size_and_alignment_fit_the_header(void) {
    CHECK(bw_node_size() >= 1);
    CHECK(bw_node_size() <= BW_NODE_SIZE);
    CHECK(bw_node_align() >= 1);
    CHECK(bw_node_align() <= BW_NODE_ALIGN);
    CHECK((bw_node_align() & (bw_node_align() - 1)) == 0);
    CHECK(BW_NODE_ALIGN % bw_node_align() == 0);
    if (sizeof(void *) == 8) {
        CHECK_EQ(bw_node_size(), BW_NODE_SIZE);
    }
}

static bool is_known_code(uint32_t code) {
    size_t i;
    for (i = 0; i < ALL_RESULTS_COUNT; i++) {
        if (ALL_RESULTS[i] == code) {
            return true;
        }
    }
    return false;
}

static void every_result_has_its_own_text(void) {
    static const uint32_t unknown_codes[] = {8, 9, 29, 47, 49, 56, 59, 66, 98, 100, 1000,
                                             UINT32_MAX};
    const char *unknown = bw_result_str(unknown_codes[0]);
    size_t i;
    size_t j;
    uint32_t code;
    CHECK(unknown != NULL && unknown[0] != '\0');
    for (i = 0; i < ALL_RESULTS_COUNT; i++) {
        const char *text = bw_result_str(ALL_RESULTS[i]);
        CHECK(text != NULL && text[0] != '\0');
        CHECK(strcmp(text, unknown) != 0);
        for (j = 0; j < i; j++) {
            if (strcmp(text, bw_result_str(ALL_RESULTS[j])) == 0) {
                FAIL("codes %u and %u share the text \"%s\"", (unsigned)ALL_RESULTS[i],
                     (unsigned)ALL_RESULTS[j], text);
            }
        }
    }
    for (i = 0; i < sizeof unknown_codes / sizeof unknown_codes[0]; i++) {
        const char *text = bw_result_str(unknown_codes[i]);
        CHECK(text != NULL);
        CHECK(strcmp(text, unknown) == 0);
    }
    /* ALL_RESULTS is complete: the library knows no other code. */
    for (code = 0; code < 1024; code++) {
        if (!is_known_code(code) && strcmp(bw_result_str(code), unknown) != 0) {
            FAIL("the library knows code %u (\"%s\"), the tests do not", (unsigned)code,
                 bw_result_str(code));
        }
    }
}

/* ---- bw_config_init ---- */

static void check_defaults(uint32_t algorithm) {
    bw_config config;
    SENTINEL(config);
    CHECK_OK(bw_config_init(&config, sizeof config, algorithm));
    CHECK_EQ(config.struct_size, sizeof config);
    CHECK_EQ(config.group, 0);
    CHECK_EQ(config.node, 0);
    CHECK(config.members == NULL);
    CHECK_EQ(config.members_len, 0);
    CHECK_EQ(config.algorithm, algorithm);
    CHECK_EQ(config.heartbeat_interval, 100);
    CHECK_EQ(config.failure_timeout, 500);
    CHECK_EQ(config.failure_jitter, 150);
    CHECK_EQ(config.round_trip_timeout, 50);
    CHECK_EQ(config.seed, 0);
    CHECK(!config.broadcast);
    CHECK_EQ(config.preemption, BW_PREEMPTION_IMMEDIATE);
    CHECK_EQ(config.ring_variant, BW_RING_VARIANT_FULL_LIST);
    CHECK_EQ(config.durability, BW_DURABILITY_PERSISTENT);
    CHECK_EQ(config.lease, 0);
    CHECK(config.pre_vote);
    CHECK(config.check_quorum);
    CHECK_EQ(config.clock_drift_ppm, 10000);
    CHECK(config.successors >= 1 && config.successors <= 4);
    CHECK(config.invite_interval > 0);
    CHECK(config.tie_breaker_step >= config.round_trip_timeout);
}

static void config_init_fills_the_defaults(void) {
    static const uint32_t unknown_algorithms[] = {BW_ALGORITHM_QUORUM + 1, 99, UINT32_MAX};
    bw_config config;
    uint32_t algorithm;
    size_t i;
    for (algorithm = BW_ALGORITHM_BULLY; algorithm <= BW_ALGORITHM_QUORUM; algorithm++) {
        check_defaults(algorithm);
    }
    for (i = 0; i < sizeof unknown_algorithms / sizeof unknown_algorithms[0]; i++) {
        SENTINEL(config);
        CHECK_RC(bw_config_init(&config, sizeof config, unknown_algorithms[i]),
                 BW_RESULT_INVALID_ARGUMENT);
        CHECK_UNTOUCHED(config);
    }
    CHECK_RC(bw_config_init(NULL, sizeof config, BW_ALGORITHM_BULLY), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_config_init(NULL, 0, BW_ALGORITHM_BULLY), BW_RESULT_NULL_POINTER);
    /* The caller's size comes before the algorithm: a struct too small for this library's
     * bw_config (an older one would be) or implausibly large is refused, unwritten. */
    SENTINEL(config);
    CHECK_RC(bw_config_init(&config, 0, BW_ALGORITHM_BULLY), BW_RESULT_CONFIG_SIZE);
    CHECK_RC(bw_config_init(&config, sizeof config - 1, BW_ALGORITHM_BULLY),
             BW_RESULT_CONFIG_SIZE);
    CHECK_RC(bw_config_init(&config, sizeof config - 1, 99), BW_RESULT_CONFIG_SIZE);
    CHECK_RC(bw_config_init(&config, 4097, BW_ALGORITHM_BULLY), BW_RESULT_CONFIG_SIZE);
    CHECK_UNTOUCHED(config);
}

/* ---- struct_size: bw_config can grow without breaking compiled programs ---- */

/* What a program compiled against a newer header passes: this library's bw_config
 * followed by options it does not know. */
typedef struct {
    bw_config known;
    uint64_t newer_options[4];
} newer_config;

static void config_struct_size_is_checked(void) {
    node_memory memory;
    bw_config config = node_config(BW_ALGORITHM_QUORUM, 1, 3);
    newer_config newer;
    bw_node *node;
    uint8_t *bytes = node_memory_bytes(&memory);
    size_t i;

    /* A config that was not set up by bw_config_init: its struct_size is wrong. */
    SENTINEL(node);
    config.struct_size = 0;
    CHECK_RC(bw_node_init(bytes, BW_NODE_SIZE, &config, NODES_START, &node),
             BW_RESULT_CONFIG_SIZE);
    config.struct_size = sizeof config - 1;
    CHECK_RC(bw_node_init(bytes, BW_NODE_SIZE, &config, NODES_START, &node),
             BW_RESULT_CONFIG_SIZE);
    config.struct_size = (size_t)-1;
    CHECK_RC(bw_node_init(bytes, BW_NODE_SIZE, &config, NODES_START, &node),
             BW_RESULT_CONFIG_SIZE);
    CHECK_UNTOUCHED(node);

    /* A newer header's config: bw_config_init zeroes the options this library does not
     * know, and while they stay zero the node starts as with this library's config. */
    SENTINEL(newer);
    CHECK_OK(bw_config_init(&newer.known, sizeof newer, BW_ALGORITHM_QUORUM));
    CHECK_EQ(newer.known.struct_size, sizeof newer);
    for (i = 0; i < 4; i++) {
        CHECK_EQ(newer.newer_options[i], 0);
    }
    newer.known.group = config.group;
    newer.known.node = config.node;
    newer.known.members = config.members;
    newer.known.members_len = config.members_len;
    newer.known.seed = config.seed;
    CHECK_OK(bw_node_init(bytes, BW_NODE_SIZE, &newer.known, NODES_START, &node));

    /* An option set that this library does not have is refused, not ignored. */
    newer.newer_options[3] = 1;
    SENTINEL(memory);
    SENTINEL(node);
    CHECK_RC(bw_node_init(bytes, BW_NODE_SIZE, &newer.known, NODES_START, &node),
             BW_RESULT_UNSUPPORTED_OPTION);
    CHECK_UNTOUCHED(node);
    CHECK_UNTOUCHED(memory);
}

/* ---- Node memory ---- */

/* Starting a node in `len` bytes at `offset` into `memory` fails with `expected` and
 * writes neither the memory nor the handle; restoring fails alike. */
static void check_memory_refused(node_memory *memory, size_t offset, size_t len,
                                 bw_result expected) {
    bw_config config = node_config(BW_ALGORITHM_QUORUM, 1, 3);
    bw_durable_state state = {1, true, 1};
    uint8_t *bytes = node_memory_bytes(memory);
    bw_node *node;
    SENTINEL(*memory);
    SENTINEL(node);
    CHECK_RC(bw_node_init(bytes + offset, len, &config, NODES_START, &node), expected);
    CHECK_UNTOUCHED(node);
    CHECK_RC(bw_node_restore(bytes + offset, len, &config, NODES_START, &state, &node),
             expected);
    CHECK_UNTOUCHED(node);
    CHECK_UNTOUCHED(*memory);
}

static void node_memory_is_checked(void) {
    node_memory memory;
    bw_config config = node_config(BW_ALGORITHM_BULLY, 1, 3);
    bw_node *node;
    size_t offset;
    check_memory_refused(&memory, 0, 0, BW_RESULT_MEMORY_TOO_SMALL);
    check_memory_refused(&memory, 0, bw_node_size() - 1, BW_RESULT_MEMORY_TOO_SMALL);
    if (bw_node_size() == BW_NODE_SIZE) {
        check_memory_refused(&memory, 0, BW_NODE_SIZE - 1, BW_RESULT_MEMORY_TOO_SMALL);
    }
    for (offset = 1; offset < BW_NODE_ALIGN; offset++) {
        if (offset % bw_node_align() != 0) {
            check_memory_refused(&memory, offset, BW_NODE_SIZE, BW_RESULT_MEMORY_MISALIGNED);
        }
    }
    SENTINEL(node);
    CHECK_RC(bw_node_init(NULL, BW_NODE_SIZE, &config, NODES_START, &node),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_init(NULL, 0, &config, NODES_START, &node), BW_RESULT_NULL_POINTER);
    CHECK_UNTOUCHED(node);

    /* Exactly bw_node_size() bytes suffice, and the node stays inside them. */
    SENTINEL(memory);
    CHECK_OK(bw_node_init(node_memory_bytes(&memory), bw_node_size(), &config, NODES_START,
                          &node));
    CHECK((void *)node == (void *)node_memory_bytes(&memory));
    fire_next_timeout(node);
    fire_next_timeout(node);
    CHECK(is_sentinel(node_memory_bytes(&memory) + bw_node_size(),
                      NODE_MEMORY_CAPACITY - bw_node_size()));
}

/* bw_node_init and bw_node_restore check NULL pointers first, then the memory's alignment,
 * then its size, then the configuration, then the state: each call below has every problem
 * from some point of that list on, and must report the first. */
static void construction_checks_come_in_the_documented_order(void) {
    node_memory memory;
    bw_config config = node_config(BW_ALGORITHM_QUORUM, 1, 3);
    bw_config bad = config;
    bw_durable_state state = {1, true, 1};
    bw_durable_state stranger = {1, true, 9};
    uint8_t *aligned = node_memory_bytes(&memory);
    uint8_t *misaligned = aligned + 1;
    bw_node *node;
    bad.members_len = 0;
    SENTINEL(memory);
    SENTINEL(node);

    CHECK_RC(bw_node_init(misaligned, 3, NULL, NODES_START, &node), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_init(misaligned, 3, &bad, NODES_START, NULL), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_restore(misaligned, 3, &bad, NODES_START, NULL, &node),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_init(misaligned, 3, &bad, NODES_START, &node),
             BW_RESULT_MEMORY_MISALIGNED);
    CHECK_RC(bw_node_restore(misaligned, 3, &bad, NODES_START, &stranger, &node),
             BW_RESULT_MEMORY_MISALIGNED);
    CHECK_RC(bw_node_init(aligned, 3, &bad, NODES_START, &node), BW_RESULT_MEMORY_TOO_SMALL);
    CHECK_RC(bw_node_restore(aligned, 3, &bad, NODES_START, &stranger, &node),
             BW_RESULT_MEMORY_TOO_SMALL);
    CHECK_RC(bw_node_init(aligned, BW_NODE_SIZE, &bad, NODES_START, &node),
             BW_RESULT_NO_MEMBERS);
    CHECK_RC(bw_node_restore(aligned, BW_NODE_SIZE, &bad, NODES_START, &stranger, &node),
             BW_RESULT_NO_MEMBERS);
    CHECK_RC(bw_node_restore(aligned, BW_NODE_SIZE, &config, NODES_START, &stranger, &node),
             BW_RESULT_VOTE_FOR_NON_MEMBER);
    CHECK_UNTOUCHED(node);
    CHECK_UNTOUCHED(memory);
    CHECK_OK(bw_node_restore(aligned, BW_NODE_SIZE, &config, NODES_START, &state, &node));
}

/* ---- Config errors ----
 * Each change applies to the defaults (bw_config_init): heartbeat 100, failure timeout
 * T = 500, round trip 50, drift bound 1 %. */

#define MANY 40
static bw_member many_members[MANY];
static const bw_member duplicates[] = {{1, 0, true}, {2, 0, true}, {2, 0, true}};
static const bw_member with_ordinary[] = {{1, 0, true}, {2, 0, true}, {3, 0, false}};
static const bw_member all_ordinary[] = {{1, 0, false}, {2, 0, false}, {3, 0, false}};

static void use_members(bw_config *config, const bw_member *members, size_t len) {
    config->members = members;
    config->members_len = len;
}

static void no_members(bw_config *c) { c->members_len = 0; }
static void no_members_null(bw_config *c) { use_members(c, NULL, 0); }
static void too_many_members(bw_config *c) { use_members(c, many_members, BW_MAX_MEMBERS + 1); }
static void max_members(bw_config *c) { use_members(c, many_members, BW_MAX_MEMBERS); }
static void duplicate_member(bw_config *c) { use_members(c, duplicates, 3); }
static void self_not_member(bw_config *c) { c->node = 9; }
static void zero_heartbeat(bw_config *c) { c->heartbeat_interval = 0; }
static void zero_failure_timeout(bw_config *c) { c->failure_timeout = 0; }
static void zero_round_trip(bw_config *c) { c->round_trip_timeout = 0; }
static void heartbeat_not_below_failure(bw_config *c) { c->heartbeat_interval = 500; }
static void round_trip_not_below_failure(bw_config *c) { c->round_trip_timeout = 500; }
static void short_tie_breaker(bw_config *c) { c->tie_breaker_step = 49; }
static void tie_breaker_equal_to_round_trip(bw_config *c) { c->tie_breaker_step = 50; }
static void zero_invite_interval(bw_config *c) { c->invite_interval = 0; }
static void ordinary_member(bw_config *c) { use_members(c, with_ordinary, 3); }
static void no_candidate(bw_config *c) { use_members(c, all_ordinary, 3); }
static void five_successors(bw_config *c) { c->successors = 5; }
static void four_successors(bw_config *c) { c->successors = 4; }
static void drift_of_100_percent(bw_config *c) { c->clock_drift_ppm = 1000000; }
static void drift_just_below_100_percent(bw_config *c) { c->clock_drift_ppm = 999999; }
/* T = 500, rho = 1 %: the longest safe lease is floor(500 * 0.99 / 1.01) = 490. */
static void lease_too_long(bw_config *c) { c->lease = 491; }
static void longest_safe_lease(bw_config *c) { c->lease = 490; }
static void unknown_algorithm(bw_config *c) { c->algorithm = 99; }
static void unknown_preemption(bw_config *c) { c->preemption = 7; }
static void unknown_ring_variant(bw_config *c) { c->ring_variant = 5; }
static void unknown_durability(bw_config *c) { c->durability = 3; }

typedef struct {
    const char *what;
    uint32_t algorithm;
    void (*change)(bw_config *config);
    bw_result expected;
} config_case;

static const config_case CONFIG_CASES[] = {
    {"no members", BW_ALGORITHM_BULLY, no_members, BW_RESULT_NO_MEMBERS},
    {"no members, NULL array", BW_ALGORITHM_QUORUM, no_members_null, BW_RESULT_NULL_POINTER},
    {"BW_MAX_MEMBERS + 1 members", BW_ALGORITHM_BULLY, too_many_members,
     BW_RESULT_TOO_MANY_MEMBERS},
    {"BW_MAX_MEMBERS members", BW_ALGORITHM_QUORUM, max_members, BW_RESULT_OK},
    {"a duplicate member", BW_ALGORITHM_RING, duplicate_member, BW_RESULT_DUPLICATE_MEMBER},
    {"self not a member", BW_ALGORITHM_BULLY, self_not_member, BW_RESULT_SELF_NOT_MEMBER},
    {"zero heartbeat", BW_ALGORITHM_BULLY, zero_heartbeat, BW_RESULT_INVALID_TIMING},
    {"zero failure timeout", BW_ALGORITHM_QUORUM, zero_failure_timeout,
     BW_RESULT_INVALID_TIMING},
    {"zero round trip", BW_ALGORITHM_RING, zero_round_trip, BW_RESULT_INVALID_TIMING},
    {"heartbeat = failure timeout", BW_ALGORITHM_BULLY, heartbeat_not_below_failure,
     BW_RESULT_INVALID_TIMING},
    {"round trip = failure timeout", BW_ALGORITHM_BULLY, round_trip_not_below_failure,
     BW_RESULT_INVALID_TIMING},
    {"candidates: tie-breaker step < round trip", BW_ALGORITHM_CANDIDATES, short_tie_breaker,
     BW_RESULT_TIE_BREAKER_STEP_TOO_SHORT},
    {"candidates: tie-breaker step = round trip", BW_ALGORITHM_CANDIDATES,
     tie_breaker_equal_to_round_trip, BW_RESULT_OK},
    {"invitation: tie-breaker step < round trip", BW_ALGORITHM_INVITATION, short_tie_breaker,
     BW_RESULT_TIE_BREAKER_STEP_TOO_SHORT},
    {"invitation: zero invitation interval", BW_ALGORITHM_INVITATION, zero_invite_interval,
     BW_RESULT_ZERO_INVITE_INTERVAL},
    {"ring: an ordinary member", BW_ALGORITHM_RING, ordinary_member,
     BW_RESULT_ORDINARY_MEMBERS_UNSUPPORTED},
    {"invitation: an ordinary member", BW_ALGORITHM_INVITATION, ordinary_member,
     BW_RESULT_ORDINARY_MEMBERS_UNSUPPORTED},
    {"candidates: an ordinary member", BW_ALGORITHM_CANDIDATES, ordinary_member, BW_RESULT_OK},
    {"candidates: every member ordinary", BW_ALGORITHM_CANDIDATES, no_candidate,
     BW_RESULT_NO_CANDIDATE},
    {"quorum: every member ordinary", BW_ALGORITHM_QUORUM, no_candidate, BW_RESULT_NO_CANDIDATE},
    {"next-in-line: 5 successors", BW_ALGORITHM_NEXT_IN_LINE, five_successors,
     BW_RESULT_TOO_MANY_SUCCESSORS},
    {"next-in-line: 4 successors", BW_ALGORITHM_NEXT_IN_LINE, four_successors, BW_RESULT_OK},
    {"quorum: drift bound 1000000 ppm", BW_ALGORITHM_QUORUM, drift_of_100_percent,
     BW_RESULT_DRIFT_BOUND_TOO_LARGE},
    {"quorum: drift bound 999999 ppm", BW_ALGORITHM_QUORUM, drift_just_below_100_percent,
     BW_RESULT_OK},
    {"quorum: lease 491 > T(1-rho)/(1+rho)", BW_ALGORITHM_QUORUM, lease_too_long,
     BW_RESULT_LEASE_TOO_LONG},
    {"quorum: lease 490 = T(1-rho)/(1+rho)", BW_ALGORITHM_QUORUM, longest_safe_lease,
     BW_RESULT_OK},
    {"algorithm 99", BW_ALGORITHM_BULLY, unknown_algorithm, BW_RESULT_INVALID_ARGUMENT},
    {"bully: preemption 7", BW_ALGORITHM_BULLY, unknown_preemption, BW_RESULT_INVALID_ARGUMENT},
    {"next-in-line: preemption 7", BW_ALGORITHM_NEXT_IN_LINE, unknown_preemption,
     BW_RESULT_INVALID_ARGUMENT},
    {"candidates: preemption 7", BW_ALGORITHM_CANDIDATES, unknown_preemption,
     BW_RESULT_INVALID_ARGUMENT},
    {"ring: ring variant 5", BW_ALGORITHM_RING, unknown_ring_variant,
     BW_RESULT_INVALID_ARGUMENT},
    {"quorum: durability 3", BW_ALGORITHM_QUORUM, unknown_durability,
     BW_RESULT_INVALID_ARGUMENT},
};

/* Enum fields an algorithm does not use still hold unknown values: the header says "an
 * unknown value is refused with BW_RESULT_INVALID_ARGUMENT". */
static const config_case UNUSED_ENUM_CASES[] = {
    {"quorum: preemption 7", BW_ALGORITHM_QUORUM, unknown_preemption,
     BW_RESULT_INVALID_ARGUMENT},
    {"ring: preemption 7", BW_ALGORITHM_RING, unknown_preemption, BW_RESULT_INVALID_ARGUMENT},
    {"bully: ring variant 5", BW_ALGORITHM_BULLY, unknown_ring_variant,
     BW_RESULT_INVALID_ARGUMENT},
    {"quorum: ring variant 5", BW_ALGORITHM_QUORUM, unknown_ring_variant,
     BW_RESULT_INVALID_ARGUMENT},
    {"bully: durability 3", BW_ALGORITHM_BULLY, unknown_durability, BW_RESULT_INVALID_ARGUMENT},
    {"invitation: durability 3", BW_ALGORITHM_INVITATION, unknown_durability,
     BW_RESULT_INVALID_ARGUMENT},
};

/* Options that depend on the timing must be checked against the configured timing, not
 * against the defaults (LAN: round trip 50, T = 500). */
static void fast_round_trip_short_tie_breaker(bw_config *c) {
    c->round_trip_timeout = 10;
    c->tie_breaker_step = 20;
}
static void slow_failure_timeout_long_lease(bw_config *c) {
    c->failure_timeout = 5000; /* longest safe lease: 4900 */
    c->lease = 2000;
}

static const config_case CONFIGURED_ROUND_TRIP_CASES[] = {
    {"candidates: round trip 10, tie-breaker step 20", BW_ALGORITHM_CANDIDATES,
     fast_round_trip_short_tie_breaker, BW_RESULT_OK},
    {"invitation: round trip 10, tie-breaker step 20", BW_ALGORITHM_INVITATION,
     fast_round_trip_short_tie_breaker, BW_RESULT_OK},
};

static const config_case CONFIGURED_FAILURE_TIMEOUT_CASES[] = {
    {"quorum: T 5000, lease 2000", BW_ALGORITHM_QUORUM, slow_failure_timeout_long_lease,
     BW_RESULT_OK},
};

/* bw_node_init (and bw_node_restore, which checks the config first) answer `expected`;
 * on error neither the memory nor the handle is written. */
static void check_config_case(const config_case *test) {
    node_memory memory;
    bw_config config = node_config(test->algorithm, 1, 3);
    bw_durable_state state = {0, false, 0};
    bw_node *node;
    bw_result restore_expected = test->expected;
    test->change(&config);
    if (test->expected == BW_RESULT_OK &&
        (config.algorithm != BW_ALGORITHM_QUORUM ||
         config.durability != BW_DURABILITY_PERSISTENT)) {
        restore_expected = BW_RESULT_NOTHING_TO_RESTORE;
    }
    check_context("config case \"%s\"", test->what);
    SENTINEL(memory);
    SENTINEL(node);
    CHECK_RC(bw_node_init(node_memory_bytes(&memory), BW_NODE_SIZE, &config, NODES_START, &node),
             test->expected);
    if (test->expected != BW_RESULT_OK) {
        CHECK_UNTOUCHED(node);
        CHECK_UNTOUCHED(memory);
    }
    CHECK_RC(bw_node_restore(node_memory_bytes(&memory), BW_NODE_SIZE, &config, NODES_START,
                             &state, &node),
             restore_expected);
    check_context(NULL);
}

static void check_config_cases(const config_case *cases, size_t count) {
    size_t i;
    for (i = 0; i < MANY; i++) {
        many_members[i].id = (uint32_t)(i + 1);
        many_members[i].priority = 0;
        many_members[i].candidate = true;
    }
    for (i = 0; i < count; i++) {
        check_config_case(&cases[i]);
    }
}

static void every_config_error(void) {
    check_config_cases(CONFIG_CASES, sizeof CONFIG_CASES / sizeof CONFIG_CASES[0]);
}

static void unknown_enum_values_are_refused_whatever_the_algorithm(void) {
    check_config_cases(UNUSED_ENUM_CASES, sizeof UNUSED_ENUM_CASES / sizeof UNUSED_ENUM_CASES[0]);
}

static void tie_breaker_steps_are_checked_against_the_configured_round_trip(void) {
    check_config_cases(CONFIGURED_ROUND_TRIP_CASES,
                       sizeof CONFIGURED_ROUND_TRIP_CASES / sizeof CONFIGURED_ROUND_TRIP_CASES[0]);
}

static void leases_are_checked_against_the_configured_failure_timeout(void) {
    check_config_cases(CONFIGURED_FAILURE_TIMEOUT_CASES,
                       sizeof CONFIGURED_FAILURE_TIMEOUT_CASES /
                           sizeof CONFIGURED_FAILURE_TIMEOUT_CASES[0]);
}

/* ---- NULL pointers ---- */

static void node_construction_refuses_null_pointers(void) {
    node_memory memory;
    bw_config config = node_config(BW_ALGORITHM_QUORUM, 1, 3);
    bw_config no_array = config;
    bw_durable_state state = {1, true, 1};
    uint8_t *bytes = node_memory_bytes(&memory);
    bw_node *node;
    no_array.members = NULL;
    SENTINEL(memory);
    SENTINEL(node);
    CHECK_RC(bw_node_init(NULL, BW_NODE_SIZE, &config, NODES_START, &node),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_init(bytes, BW_NODE_SIZE, NULL, NODES_START, &node),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_init(bytes, BW_NODE_SIZE, &no_array, NODES_START, &node),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_init(bytes, BW_NODE_SIZE, &config, NODES_START, NULL),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_restore(NULL, BW_NODE_SIZE, &config, NODES_START, &state, &node),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_restore(bytes, BW_NODE_SIZE, NULL, NODES_START, &state, &node),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_restore(bytes, BW_NODE_SIZE, &no_array, NODES_START, &state, &node),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_restore(bytes, BW_NODE_SIZE, &config, NODES_START, NULL, &node),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_restore(bytes, BW_NODE_SIZE, &config, NODES_START, &state, NULL),
             BW_RESULT_NULL_POINTER);
    CHECK_UNTOUCHED(node);
    CHECK_UNTOUCHED(memory);
}

/* `getter(NULL, &out)` and `getter(node, NULL)` are NULL_POINTER; `out` stays untouched. */
#define CHECK_OUTPUT_CALL_REFUSES_NULLS(getter, node, type)                                \
    do {                                                                                   \
        type out_;                                                                         \
        SENTINEL(out_);                                                                    \
        CHECK_RC(getter(NULL, &out_), BW_RESULT_NULL_POINTER);                             \
        CHECK_UNTOUCHED(out_);                                                             \
        CHECK_RC(getter(node, NULL), BW_RESULT_NULL_POINTER);                              \
    } while (0)

/* Calls every node function with each of its pointers NULL. */
static void call_with_nulls(bw_node *node, uint64_t now) {
    /* A valid message (wire version 2 | group 1 | from 2 | to node 1 | term 0 | Election):
     * only the NULL pointers are wrong. */
    static const uint8_t bytes[] = {2, 1, 2, 0, 1, 0, 1};
    uint8_t buf[BW_MAX_MESSAGE_SIZE];
    bw_transmit transmit;
    bw_durable_state state = {1, true, 1};
    bool has;

    CHECK_RC(bw_node_handle_bytes(NULL, now, bytes, sizeof bytes), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_handle_bytes(node, now, NULL, sizeof bytes), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_handle_timeout(NULL, now), BW_RESULT_NULL_POINTER);

    SENTINEL(buf);
    SENTINEL(transmit);
    CHECK_RC(bw_node_poll_transmit(NULL, buf, sizeof buf, &transmit), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_poll_transmit(node, NULL, sizeof buf, &transmit), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_poll_transmit(node, NULL, 0, &transmit), BW_RESULT_NULL_POINTER);
    CHECK_UNTOUCHED(transmit);
    CHECK_RC(bw_node_poll_transmit(node, buf, sizeof buf, NULL), BW_RESULT_NULL_POINTER);
    CHECK_UNTOUCHED(buf);

    CHECK_OUTPUT_CALL_REFUSES_NULLS(bw_node_poll_event, node, bw_event);
    CHECK_OUTPUT_CALL_REFUSES_NULLS(bw_node_poll_persist, node, bw_durable_state);
    CHECK_OUTPUT_CALL_REFUSES_NULLS(bw_node_poll_timeout, node, uint64_t);
    CHECK_OUTPUT_CALL_REFUSES_NULLS(bw_node_leader, node, uint32_t);
    CHECK_OUTPUT_CALL_REFUSES_NULLS(bw_node_role, node, bw_role);
    CHECK_OUTPUT_CALL_REFUSES_NULLS(bw_node_term, node, uint64_t);
    CHECK_OUTPUT_CALL_REFUSES_NULLS(bw_node_lease_until, node, uint64_t);
    CHECK_OUTPUT_CALL_REFUSES_NULLS(bw_node_fencing_token, node, uint64_t);
    CHECK_OUTPUT_CALL_REFUSES_NULLS(bw_node_durable_state, node, bw_durable_state);

    SENTINEL(has);
    CHECK_RC(bw_node_has_lease(NULL, now, &has), BW_RESULT_NULL_POINTER);
    CHECK_UNTOUCHED(has);
    CHECK_RC(bw_node_has_lease(node, now, NULL), BW_RESULT_NULL_POINTER);

    CHECK_RC(bw_node_confirm_persisted(NULL, &state), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_confirm_persisted(node, NULL), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_set_freshness(NULL, 1), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_transfer_leadership(NULL, now, 2), BW_RESULT_NULL_POINTER);
}

/* Twins of node `id` of members 1..3 running `algorithm` fire their first timeout, which
 * leaves outputs waiting; the NULL calls on one of them must change nothing. */
static void check_nulls_change_nothing(uint32_t algorithm, uint32_t id, bool pre_vote) {
    node_memory memory[2];
    bw_config config = node_config(algorithm, id, 3);
    bw_node *node;
    bw_node *twin;
    uint64_t now;
    config.pre_vote = pre_vote;
    node = start_node_at(&memory[0], &config, NODES_START);
    twin = start_node_at(&memory[1], &config, NODES_START);
    now = fire_next_timeout(node);
    CHECK_EQ(fire_next_timeout(twin), now);
    call_with_nulls(node, now);
    check_twins(node, twin, now, 5000);
}

static void node_calls_refuse_null_pointers_and_change_nothing(void) {
    /* The highest Bully node leads at once: messages and events wait. */
    check_nulls_change_nothing(BW_ALGORITHM_BULLY, 3, true);
    /* A quorum node campaigns: a durable state to persist, withheld messages, an event. */
    check_nulls_change_nothing(BW_ALGORITHM_QUORUM, 1, false);
}

/* A failed bw_node_init or bw_node_restore on a live node's memory leaves it running. */
static void a_failed_init_leaves_the_node_unchanged(void) {
    node_memory memory[2];
    bw_config config = node_config(BW_ALGORITHM_QUORUM, 1, 3);
    bw_config bad = config;
    bw_durable_state vote_for_stranger = {2, true, 9};
    bw_durable_state term_above_max = {BW_MAX_TERM + 1, false, 0};
    bw_node *node;
    bw_node *twin;
    bw_node *out;
    uint64_t now;
    config.pre_vote = false;
    node = start_node_at(&memory[0], &config, NODES_START);
    twin = start_node_at(&memory[1], &config, NODES_START);
    now = fire_next_timeout(node);
    CHECK_EQ(fire_next_timeout(twin), now);

    SENTINEL(out);
    bad.members_len = 0;
    CHECK_RC(bw_node_init(node_memory_bytes(&memory[0]), BW_NODE_SIZE, &bad, now, &out),
             BW_RESULT_NO_MEMBERS);
    bad = config;
    bad.durability = 3;
    CHECK_RC(bw_node_init(node_memory_bytes(&memory[0]), BW_NODE_SIZE, &bad, now, &out),
             BW_RESULT_INVALID_ARGUMENT);
    CHECK_RC(bw_node_restore(node_memory_bytes(&memory[0]), BW_NODE_SIZE, &config, now,
                             &vote_for_stranger, &out),
             BW_RESULT_VOTE_FOR_NON_MEMBER);
    CHECK_RC(bw_node_restore(node_memory_bytes(&memory[0]), BW_NODE_SIZE, &config, now,
                             &term_above_max, &out),
             BW_RESULT_RESTORED_TERM_OUT_OF_RANGE);
    CHECK_UNTOUCHED(out);
    check_twins(node, twin, now, 5000);
}

/* Initialising a live node's memory again starts a fresh node. */
static void init_again_starts_afresh(void) {
    node_memory memory[2];
    bw_config config = node_config(BW_ALGORITHM_BULLY, 3, 3);
    bw_node *node = start_node_at(&memory[0], &config, NODES_START);
    bw_node *fresh;
    uint64_t now = fire_next_timeout(node);
    bw_role role;
    CHECK_OK(bw_node_role(node, &role));
    CHECK_EQ(role, BW_ROLE_LEADER);
    node = start_node_at(&memory[0], &config, now);
    fresh = start_node_at(&memory[1], &config, now);
    CHECK_OK(bw_node_role(node, &role));
    CHECK_EQ(role, BW_ROLE_FOLLOWER);
    check_twins(node, fresh, now, 5000);
}

const scenario ARGUMENT_SCENARIOS[] = {
    {"version: bw_version() equals the header's macros", version_matches_the_header},
    {"sizes: bw_node_size() and bw_node_align() fit BW_NODE_SIZE and BW_NODE_ALIGN",
     node_size_and_alignment_fit_the_header},
    {"result texts: one per code, never NULL, distinct; unknown numbers too",
     every_result_has_its_own_text},
    {"config: bw_config_init fills the defaults, refuses unknown algorithms and NULL",
     config_init_fills_the_defaults},
    {"memory: NULL, too small, misaligned; exactly bw_node_size() suffices",
     node_memory_is_checked},
    {"memory: NULL pointers, then alignment, then size, then config, then state",
     construction_checks_come_in_the_documented_order},
    {"config: struct_size: too small or large refused; a newer header's options must be zero",
     config_struct_size_is_checked},
    {"config: every config error code, and the boundaries that pass", every_config_error},
    {"config: unknown enum values are refused whatever the algorithm",
     unknown_enum_values_are_refused_whatever_the_algorithm},
    {"config: tie-breaker steps are checked against the configured round trip",
     tie_breaker_steps_are_checked_against_the_configured_round_trip},
    {"config: leases are checked against the configured failure timeout",
     leases_are_checked_against_the_configured_failure_timeout},
    {"null pointers: bw_node_init and bw_node_restore",
     node_construction_refuses_null_pointers},
    {"null pointers: every node call, changing nothing",
     node_calls_refuse_null_pointers_and_change_nothing},
    {"memory: a failed init or restore leaves the node in it unchanged",
     a_failed_init_leaves_the_node_unchanged},
    {"memory: init again on a live node's memory starts afresh", init_again_starts_afresh},
};
const size_t ARGUMENT_SCENARIO_COUNT = sizeof ARGUMENT_SCENARIOS / sizeof ARGUMENT_SCENARIOS[0];
