/*
 * Protection through the C API: checksummed and authenticated groups elect; corrupted,
 * forged, replayed and wrongly keyed datagrams are refused with their own codes and
 * counted by bw_node_statistics; keys rotate; MAC callbacks (an HSM's stand-in)
 * interoperate with the library's constant-time comparison; bad arguments change nothing.
 */
#include "auth.h"
#include "cluster.h"
#include "nodes.h"

#include <string.h>

/* ---- Clusters ---- */

static void check_no_refusals(const bw_node *node) {
    bw_statistics statistics;
    CHECK_OK(bw_node_statistics(node, &statistics));
    CHECK(statistics.accepted > 0);
    CHECK(statistics.sent > 0);
    CHECK_EQ(statistics.malformed, 0);
    CHECK_EQ(statistics.wrong_envelope, 0);
    CHECK_EQ(statistics.bad_checksum, 0);
    CHECK_EQ(statistics.bad_mac, 0);
    CHECK_EQ(statistics.unknown_key, 0);
    CHECK_EQ(statistics.replay, 0);
    CHECK_EQ(statistics.not_for_this_node, 0);
}

static void authenticated_cmac_groups_elect(void) {
    static const uint32_t algorithms[] = {BW_ALGORITHM_BULLY, BW_ALGORITHM_QUORUM};
    static const uint32_t tags[] = {8, 4};
    static cluster c;
    bw_auth auth = cmac_auth(1, KEY_ONE);
    size_t a;
    size_t i;
    for (a = 0; a < 2; a++) {
        bw_statistics statistics;
        uint32_t leader;
        uint32_t unsynchronised = 0;
        check_context("algorithm %u", (unsigned)algorithms[a]);
        cluster_configure(&c, algorithms[a], 3);
        c.base.protection = BW_PROTECTION_AUTHENTICATED;
        c.base.tag_length = tags[a];
        for (i = 0; i < 3; i++) {
            c.nodes[i].auth = &auth;
        }
        cluster_start(&c);
        leader = cluster_run_until_agreement(&c, AGREEMENT_LIMIT);
        cluster_run_for(&c, STABLE_PERIOD);
        cluster_check_leader(&c, leader);
        for (i = 0; i < 3; i++) {
            check_no_refusals(c.nodes[i].node);
            CHECK_OK(bw_node_statistics(c.nodes[i].node, &statistics));
            unsynchronised += statistics.unsynchronised;
        }
        /* The first messages reached peers that had not synchronised yet. */
        CHECK(unsynchronised > 0);
    }
}

static void checksummed_groups_elect(void) {
    static cluster c;
    uint32_t leader;
    size_t i;
    cluster_configure(&c, BW_ALGORITHM_QUORUM, 3);
    c.base.protection = BW_PROTECTION_CHECKSUM;
    cluster_start(&c);
    leader = cluster_run_until_agreement(&c, AGREEMENT_LIMIT);
    cluster_run_for(&c, STABLE_PERIOD);
    cluster_check_leader(&c, leader);
    for (i = 0; i < 3; i++) {
        check_no_refusals(c.nodes[i].node);
    }
}

static void mac_callbacks_interoperate(void) {
    static cluster c;
    hsm devices[3];
    bw_auth auth[3];
    uint32_t leader;
    size_t i;
    cluster_configure(&c, BW_ALGORITHM_BULLY, 3);
    c.base.protection = BW_PROTECTION_AUTHENTICATED;
    c.base.tag_length = 16;
    for (i = 0; i < 3; i++) {
        memset(&devices[i], 0, sizeof devices[i]);
        devices[i].secret = 0x5eed;
        memset(&auth[i], 0, sizeof auth[i]);
        auth[i].struct_size = sizeof auth[i];
        auth[i].kind = BW_AUTH_KIND_CALLBACKS;
        auth[i].key_id = HSM_KEY_ID;
        auth[i].sign = hsm_sign;
        /* Node 1 verifies in its "HSM"; the others let the library compare. */
        auth[i].verify = i == 0 ? hsm_verify : NULL;
        auth[i].user = &devices[i];
        c.nodes[i].auth = &auth[i];
    }
    cluster_start(&c);
    leader = cluster_run_until_agreement(&c, AGREEMENT_LIMIT);
    cluster_run_for(&c, STABLE_PERIOD);
    cluster_check_leader(&c, leader);
    for (i = 0; i < 3; i++) {
        check_no_refusals(c.nodes[i].node);
        CHECK(devices[i].signs > 0);
    }
    CHECK(devices[0].verifies > 0);
    CHECK_EQ(devices[1].verifies, 0);
}

/* ---- Single datagrams ---- */

typedef struct {
    uint8_t bytes[BW_MAX_MESSAGE_SIZE];
    size_t len;
} datagram;

/* Drains `node` and returns the message it sent to `to`. */
static datagram sent_to(bw_node *node, uint32_t to) {
    static drained d;
    datagram out;
    size_t i;
    drain_outputs(node, &d);
    for (i = 0; i < d.transmits; i++) {
        if (d.transmit[i].to == to) {
            memcpy(out.bytes, d.bytes[i], d.transmit[i].len);
            out.len = d.transmit[i].len;
            return out;
        }
    }
    FAIL("no message to %u", (unsigned)to);
}

static bw_result deliver(bw_node *node, uint64_t now, const datagram *message) {
    return bw_node_handle_bytes(node, now, message->bytes, message->len);
}

static bw_node *start_protected(node_memory *memory, uint32_t id, uint32_t protection,
                                const bw_auth *auth) {
    bw_config config = node_config(BW_ALGORITHM_BULLY, id, 3);
    bw_node *node = NULL;
    config.protection = protection;
    config.session = 100 + id;
    if (auth != NULL) {
        CHECK_OK(bw_node_init_authenticated(node_memory_bytes(memory), BW_NODE_SIZE, &config,
                                            NODES_START, auth, &node));
    } else {
        CHECK_OK(bw_node_init(node_memory_bytes(memory), BW_NODE_SIZE, &config, NODES_START,
                              &node));
    }
    return node;
}

static void forged_datagrams_are_refused_and_counted(void) {
    static node_memory memory[3];
    bw_auth auth = cmac_auth(1, KEY_ONE);
    bw_node *sender = start_protected(&memory[0], 3, BW_PROTECTION_AUTHENTICATED, &auth);
    bw_node *receiver = start_protected(&memory[1], 2, BW_PROTECTION_AUTHENTICATED, &auth);
    bw_node *plain = start_protected(&memory[2], 3, BW_PROTECTION_NONE, NULL);
    bw_statistics statistics;
    datagram genuine;
    datagram forged;
    datagram plain_message;
    datagram next;
    uint64_t now = fire_next_timeout(sender);

    /* Node 3 calls an election. */
    genuine = sent_to(sender, 2);
    forged = genuine;
    forged.bytes[forged.len - 1] ^= 0x01;
    CHECK_RC(deliver(receiver, now, &forged), BW_RESULT_BAD_MAC);
    forged = genuine;
    forged.bytes[forged.len - 8] ^= 0x80;
    CHECK_RC(deliver(receiver, now, &forged), BW_RESULT_BAD_MAC);

    /* In another envelope: refused, and so is the authenticated one on a plain node. */
    fire_next_timeout(plain);
    plain_message = sent_to(plain, 2);
    CHECK_RC(deliver(receiver, now, &plain_message), BW_RESULT_WRONG_ENVELOPE);
    CHECK_RC(deliver(plain, now, &genuine), BW_RESULT_WRONG_ENVELOPE);

    /* The genuine one: the receiver does not know the sender's session yet, asks, and is
     * answered. */
    CHECK_RC(deliver(receiver, now, &genuine), BW_RESULT_UNSYNCHRONISED);
    next = sent_to(receiver, 3);
    CHECK_OK(deliver(sender, now, &next));
    next = sent_to(sender, 2);
    CHECK_OK(deliver(receiver, now, &next));

    /* Rotation: the receiver moves to key 2 and still accepts key 1 ... */
    CHECK_OK(bw_node_set_cmac_key(receiver, 2, KEY_TWO, sizeof KEY_TWO));
    now = fire_next_timeout(sender);
    next = sent_to(sender, 2);
    CHECK_OK(deliver(receiver, now, &next));
    /* ... once only: the same datagram again is a replay ... */
    CHECK_RC(deliver(receiver, now, &next), BW_RESULT_REPLAY);
    /* ... until key 1 is retired. */
    CHECK_OK(bw_node_retire_previous_key(receiver));
    CHECK_RC(bw_node_retire_previous_key(receiver), BW_RESULT_EMPTY);
    CHECK_RC(bw_node_handle_timeout(sender, now + 1000), BW_RESULT_OK);
    next = sent_to(sender, 2);
    CHECK_RC(deliver(receiver, now + 1000, &next), BW_RESULT_UNKNOWN_KEY);

    CHECK_OK(bw_node_statistics(receiver, &statistics));
    CHECK_EQ(statistics.bad_mac, 2);
    CHECK_EQ(statistics.wrong_envelope, 1);
    CHECK_EQ(statistics.unsynchronised, 1);
    CHECK_EQ(statistics.replay, 1);
    CHECK_EQ(statistics.unknown_key, 1);
    CHECK_EQ(statistics.accepted, 2);
    CHECK_EQ(statistics.malformed, 0);
    CHECK_EQ(statistics.bad_checksum, 0);
    CHECK_EQ(statistics.not_for_this_node, 0);
    CHECK_OK(bw_node_statistics(plain, &statistics));
    CHECK_EQ(statistics.wrong_envelope, 1);
}

static void corrupted_checksummed_datagrams_are_refused(void) {
    static node_memory memory[2];
    bw_node *sender = start_protected(&memory[0], 3, BW_PROTECTION_CHECKSUM, NULL);
    bw_node *receiver = start_protected(&memory[1], 2, BW_PROTECTION_CHECKSUM, NULL);
    bw_statistics statistics;
    datagram message;
    datagram corrupted;
    uint64_t now = fire_next_timeout(sender);
    message = sent_to(sender, 2);
    corrupted = message;
    corrupted.bytes[1] ^= 0x04;
    CHECK_RC(deliver(receiver, now, &corrupted), BW_RESULT_BAD_CHECKSUM);
    corrupted = message;
    corrupted.bytes[corrupted.len - 1] ^= 0x10;
    CHECK_RC(deliver(receiver, now, &corrupted), BW_RESULT_BAD_CHECKSUM);
    CHECK_OK(deliver(receiver, now, &message));
    CHECK_OK(bw_node_statistics(receiver, &statistics));
    CHECK_EQ(statistics.bad_checksum, 2);
    CHECK_EQ(statistics.accepted, 1);
}

/* ---- Arguments ---- */

static void config_fields_are_checked(void) {
    static const uint32_t good_tags[] = {4, 8, 16};
    static const uint32_t bad_tags[] = {0, 1, 5, 12, 32, UINT32_MAX};
    static node_memory memory;
    uint8_t *bytes = node_memory_bytes(&memory);
    bw_auth auth = cmac_auth(1, KEY_ONE);
    bw_config config = node_config(BW_ALGORITHM_QUORUM, 1, 3);
    bw_node *node;
    size_t i;

    /* bw_config_init's defaults: plain, 8-byte tags, session 0. */
    CHECK_EQ(config.protection, BW_PROTECTION_NONE);
    CHECK_EQ(config.tag_length, 8);
    CHECK_EQ(config.session, 0);
    CHECK_EQ(config.reserved, 0);

    SENTINEL(node);
    config.protection = BW_PROTECTION_AUTHENTICATED;
    CHECK_RC(bw_node_init(bytes, BW_NODE_SIZE, &config, NODES_START, &node),
             BW_RESULT_NO_AUTHENTICATOR);
    for (i = 0; i < sizeof bad_tags / sizeof bad_tags[0]; i++) {
        config.tag_length = bad_tags[i];
        CHECK_RC(bw_node_init_authenticated(bytes, BW_NODE_SIZE, &config, NODES_START, &auth,
                                            &node),
                 BW_RESULT_BAD_TAG_LENGTH);
    }
    config.protection = 3;
    CHECK_RC(bw_node_init(bytes, BW_NODE_SIZE, &config, NODES_START, &node),
             BW_RESULT_INVALID_ARGUMENT);
    config.protection = BW_PROTECTION_NONE;
    config.reserved = 1;
    CHECK_RC(bw_node_init(bytes, BW_NODE_SIZE, &config, NODES_START, &node),
             BW_RESULT_UNSUPPORTED_OPTION);
    CHECK_UNTOUCHED(node);
    config.reserved = 0;

    config.protection = BW_PROTECTION_AUTHENTICATED;
    for (i = 0; i < sizeof good_tags / sizeof good_tags[0]; i++) {
        config.tag_length = good_tags[i];
        CHECK_OK(bw_node_init_authenticated(bytes, BW_NODE_SIZE, &config, NODES_START, &auth,
                                            &node));
    }
    /* Checksum mode ignores the tag length. */
    config.protection = BW_PROTECTION_CHECKSUM;
    config.tag_length = 5;
    CHECK_OK(bw_node_init(bytes, BW_NODE_SIZE, &config, NODES_START, &node));
}

/* The alignment of bw_config (C99 has no _Alignof). */
typedef struct {
    char before;
    bw_config config;
} config_alignment;

/* A program compiled against the header before the protection fields passes a smaller
 * bw_config: it is read as plain, whatever follows it in memory. */
static void first_version_configs_are_plain(void) {
    static node_memory memory;
    uint8_t *bytes = node_memory_bytes(&memory);
    /* The first version ended with `durability` (`reserved` follows it), padded to the
     * struct's alignment. */
    const size_t alignment = offsetof(config_alignment, config);
    const size_t first_size =
        (offsetof(bw_config, reserved) + alignment - 1) / alignment * alignment;
    bw_config config = node_config(BW_ALGORITHM_BULLY, 1, 3);
    bw_config old;
    bw_node *node;
    CHECK(first_size <= offsetof(bw_config, protection));
    SENTINEL(old);
    CHECK_OK(bw_config_init(&old, first_size, BW_ALGORITHM_BULLY));
    CHECK_EQ(old.struct_size, first_size);
    CHECK(is_sentinel((const uint8_t *)&old + first_size, sizeof old - first_size));
    config.struct_size = first_size;
    config.protection = BW_PROTECTION_AUTHENTICATED;
    config.tag_length = 3;
    CHECK_OK(bw_node_init(bytes, BW_NODE_SIZE, &config, NODES_START, &node));
    /* Sizes between the versions are none. */
    CHECK_RC(bw_config_init(&old, first_size + 1, BW_ALGORITHM_BULLY), BW_RESULT_CONFIG_SIZE);
    config.struct_size = first_size + 4;
    CHECK_RC(bw_node_init(bytes, BW_NODE_SIZE, &config, NODES_START, &node),
             BW_RESULT_CONFIG_SIZE);
}

static void null_pointers_and_short_keys_are_refused(void) {
    static node_memory memory;
    static node_memory twin_memory;
    uint8_t *bytes = node_memory_bytes(&memory);
    bw_config config = node_config(BW_ALGORITHM_BULLY, 1, 3);
    bw_auth auth = cmac_auth(1, KEY_ONE);
    bw_auth bad;
    bw_statistics statistics;
    bw_node *node;
    bw_node *twin;
    hsm device;
    memset(&device, 0, sizeof device);
    config.protection = BW_PROTECTION_AUTHENTICATED;

    /* Starting: every refusal leaves out_node alone. */
    SENTINEL(node);
    CHECK_RC(bw_node_init_authenticated(bytes, BW_NODE_SIZE, &config, NODES_START, NULL, &node),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_restore_authenticated(bytes, BW_NODE_SIZE, &config, NODES_START, NULL,
                                           &auth, &node),
             BW_RESULT_NULL_POINTER);
    bad = auth;
    bad.key = NULL;
    CHECK_RC(bw_node_init_authenticated(bytes, BW_NODE_SIZE, &config, NODES_START, &bad, &node),
             BW_RESULT_NULL_POINTER);
    bad.key = KEY_ONE;
    bad.key_len = BW_CMAC_KEY_SIZE - 1;
    CHECK_RC(bw_node_init_authenticated(bytes, BW_NODE_SIZE, &config, NODES_START, &bad, &node),
             BW_RESULT_BUFFER_TOO_SMALL);
    bad.key_len = 0;
    CHECK_RC(bw_node_init_authenticated(bytes, BW_NODE_SIZE, &config, NODES_START, &bad, &node),
             BW_RESULT_BUFFER_TOO_SMALL);
    bad.key_len = BW_CMAC_KEY_SIZE + 1;
    CHECK_RC(bw_node_init_authenticated(bytes, BW_NODE_SIZE, &config, NODES_START, &bad, &node),
             BW_RESULT_INVALID_ARGUMENT);
    bad = auth;
    bad.kind = 2;
    CHECK_RC(bw_node_init_authenticated(bytes, BW_NODE_SIZE, &config, NODES_START, &bad, &node),
             BW_RESULT_INVALID_ARGUMENT);
    /* A bw_auth shorter than this header's (struct_size unset, or an older layout). */
    bad = auth;
    bad.struct_size = sizeof bad - 1;
    CHECK_RC(bw_node_init_authenticated(bytes, BW_NODE_SIZE, &config, NODES_START, &bad, &node),
             BW_RESULT_CONFIG_SIZE);
    bad.struct_size = 0;
    CHECK_RC(bw_node_init_authenticated(bytes, BW_NODE_SIZE, &config, NODES_START, &bad, &node),
             BW_RESULT_CONFIG_SIZE);
    memset(&bad, 0, sizeof bad);
    bad.struct_size = sizeof bad;
    bad.kind = BW_AUTH_KIND_CALLBACKS;
    bad.key_id = HSM_KEY_ID;
    CHECK_RC(bw_node_init_authenticated(bytes, BW_NODE_SIZE, &config, NODES_START, &bad, &node),
             BW_RESULT_NULL_POINTER);
    bad.sign = refuse_every_key;
    CHECK_RC(bw_node_init_authenticated(bytes, BW_NODE_SIZE, &config, NODES_START, &bad, &node),
             BW_RESULT_UNKNOWN_KEY);
    CHECK_UNTOUCHED(node);

    /* A running node: refusals change nothing (its twin took none of them). */
    CHECK_OK(bw_node_init_authenticated(bytes, BW_NODE_SIZE, &config, NODES_START, &auth,
                                        &node));
    CHECK_OK(bw_node_init_authenticated(node_memory_bytes(&twin_memory), BW_NODE_SIZE, &config,
                                        NODES_START, &auth, &twin));
    CHECK_RC(bw_node_set_cmac_key(NULL, 2, KEY_TWO, sizeof KEY_TWO), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_set_cmac_key(node, 2, NULL, BW_CMAC_KEY_SIZE), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_set_cmac_key(node, 2, KEY_TWO, sizeof KEY_TWO - 1),
             BW_RESULT_BUFFER_TOO_SMALL);
    CHECK_RC(bw_node_set_cmac_key(node, 2, KEY_TWO, sizeof KEY_TWO + 1),
             BW_RESULT_INVALID_ARGUMENT);
    CHECK_RC(bw_node_retire_previous_key(NULL), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_set_mac_callbacks(NULL, hsm_sign, NULL, HSM_KEY_ID, &device),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_set_mac_callbacks(node, NULL, hsm_verify, HSM_KEY_ID, &device),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_set_mac_callbacks(node, hsm_sign, hsm_verify, HSM_KEY_ID + 1, &device),
             BW_RESULT_UNKNOWN_KEY);
    SENTINEL(statistics);
    CHECK_RC(bw_node_statistics(NULL, &statistics), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_node_statistics(node, NULL), BW_RESULT_NULL_POINTER);
    CHECK_UNTOUCHED(statistics);
    /* No key was rotated in: there is no previous key to retire. */
    CHECK_RC(bw_node_retire_previous_key(node), BW_RESULT_EMPTY);
    check_twins(node, twin, NODES_START, 5000);

    /* Switching to callbacks and back to CMAC keys works on a live node. */
    CHECK_OK(bw_node_set_mac_callbacks(node, hsm_sign, NULL, HSM_KEY_ID, &device));
    CHECK_RC(bw_node_retire_previous_key(node), BW_RESULT_EMPTY);
    CHECK_OK(bw_node_set_cmac_key(node, 1, KEY_ONE, sizeof KEY_ONE));
    CHECK_RC(bw_node_retire_previous_key(node), BW_RESULT_EMPTY);
}

const scenario PROTECTION_SCENARIOS[] = {
    {"protection: authenticated groups with CMAC keys elect (bully, quorum)",
     authenticated_cmac_groups_elect},
    {"protection: checksummed groups elect", checksummed_groups_elect},
    {"protection: MAC callbacks interoperate with the library's comparison",
     mac_callbacks_interoperate},
    {"protection: a forged datagram is BAD_MAC, and replays, retired keys and other "
     "envelopes are refused and counted",
     forged_datagrams_are_refused_and_counted},
    {"protection: a corrupted checksummed datagram is BAD_CHECKSUM",
     corrupted_checksummed_datagrams_are_refused},
    {"protection: config fields", config_fields_are_checked},
    {"protection: a first-version bw_config is plain", first_version_configs_are_plain},
    {"protection: NULL pointers and short keys change nothing",
     null_pointers_and_short_keys_are_refused},
};
const size_t PROTECTION_SCENARIO_COUNT = sizeof PROTECTION_SCENARIOS / sizeof PROTECTION_SCENARIOS[0];
