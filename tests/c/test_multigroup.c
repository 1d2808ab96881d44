/*
 * The multi-group node (bw_multi_*): five nodes running 200 groups of three over an
 * in-memory network elect one leader per group; a restart restores the persisted terms;
 * NULL pointers, short buffers, bad storage, configs and groups are refused with typed
 * codes and change nothing; bad datagrams are refused with the right code; the size and
 * alignment macros match the library. Authenticated: CMAC keys and MAC callbacks elect
 * every group, keys rotate; a foreign key, a replay and a plain node's datagram are
 * refused, counted and change nothing; bad authentication arguments are refused.
 */
#include "auth.h"
#include "check.h"

#include <stddef.h>
#include <string.h>

#define MG_NODES 5
#define MG_GROUPS 200
#define MG_QUEUE 1024
#define MG_DATAGRAM 1200
#define MG_NETWORK 512
#define MG_STEP_MS 10
#define MG_DEADLINE_MS 15000

static const uint32_t MG_IDS[MG_NODES] = {1, 2, 3, 4, 5};

typedef struct {
    uint32_t to;
    size_t len;
    uint8_t bytes[MG_DATAGRAM];
} datagram;

typedef struct {
    bw_multi_storage memory;
    bw_group_slot slots[MG_GROUPS];
    bw_queued_item queue[MG_QUEUE];
    bw_multi *multi;
    /* What the host "wrote" of each group, from bw_multi_poll_persist. */
    bw_group_record persisted[MG_GROUPS];
    bool has_persisted[MG_GROUPS];
    size_t events;
    /* Set when an event says this node leads group 0. */
    bool led_group_0;
} mg_node;

static mg_node mg[MG_NODES];
static datagram network[MG_NETWORK];
static size_t network_head, network_len;
/* Whether the cluster mg_start set up authenticates: a peer's first datagrams are then
 * refused as unsynchronised until it answers a challenge. */
static bool mg_authenticated;

/* The three members of group g: consecutive ids from (g % 5) + 1, wrapping. */
static void group_members(uint16_t group, uint32_t members[3]) {
    size_t k;
    for (k = 0; k < 3; k++) {
        members[k] = MG_IDS[(group + k) % MG_NODES];
    }
}

static bool is_member(uint16_t group, uint32_t id) {
    uint32_t members[3];
    size_t k;
    group_members(group, members);
    for (k = 0; k < 3; k++) {
        if (members[k] == id) {
            return true;
        }
    }
    return false;
}

static size_t index_of(uint32_t id) {
    size_t i;
    for (i = 0; i < MG_NODES; i++) {
        if (MG_IDS[i] == id) {
            return i;
        }
    }
    FAIL("unknown node %u", (unsigned)id);
}

static void mg_config(bw_multi_config *config, uint32_t id, const uint32_t *nodes,
                      size_t nodes_len) {
    CHECK_OK(bw_multi_config_init(config, sizeof *config));
    config->id = id;
    config->nodes = nodes;
    config->nodes_len = nodes_len;
    config->cluster = 7;
    config->seed = id;
    config->incarnation = 1;
}

/* After every input: persist (and confirm), send, and take the events. */
static void mg_drain(size_t i, uint64_t now) {
    mg_node *n = &mg[i];
    bw_group_record records[16];
    size_t count, k;
    bw_transmit transmit;
    bw_group_event event;
    bw_result rc;
    while ((rc = bw_multi_poll_persist(n->multi, records, 16, &count)) == BW_RESULT_OK) {
        CHECK(count >= 1 && count <= 16);
        for (k = 0; k < count; k++) {
            CHECK(records[k].group < MG_GROUPS);
            n->persisted[records[k].group] = records[k];
            n->has_persisted[records[k].group] = true;
        }
        CHECK_OK(bw_multi_confirm_persisted(n->multi));
    }
    CHECK_RC(rc, BW_RESULT_EMPTY);
    for (;;) {
        datagram *d;
        if (network_len == MG_NETWORK) {
            FAIL("the in-memory network is full");
        }
        d = &network[(network_head + network_len) % MG_NETWORK];
        rc = bw_multi_poll_transmit(n->multi, now, d->bytes, sizeof d->bytes, &transmit);
        if (rc == BW_RESULT_EMPTY) {
            break;
        }
        CHECK_RC(rc, BW_RESULT_OK);
        CHECK(!transmit.broadcast);
        CHECK(transmit.len > 0 && transmit.len <= MG_DATAGRAM);
        CHECK(transmit.to != MG_IDS[i]);
        d->to = transmit.to;
        d->len = transmit.len;
        network_len++;
    }
    while ((rc = bw_multi_poll_event(n->multi, &event)) == BW_RESULT_OK) {
        CHECK(event.group < MG_GROUPS);
        CHECK(event.role <= BW_ROLE_LEADER);
        if (event.role == BW_ROLE_LEADER) {
            CHECK(event.has_leader && event.leader == MG_IDS[i]);
            if (event.group == 0) {
                n->led_group_0 = true;
            }
        }
        n->events++;
    }
    CHECK_RC(rc, BW_RESULT_EMPTY);
}

/* Adds every group node `id` is a member of. */
static void mg_add_groups(bw_multi *multi, uint32_t id, uint64_t now) {
    uint16_t g;
    for (g = 0; g < MG_GROUPS; g++) {
        uint32_t members[3];
        if (!is_member(g, id)) {
            continue;
        }
        group_members(g, members);
        CHECK_OK(bw_multi_add_group(multi, now, g, members, 3, BW_MULTI_DEFAULT_PREFERRED));
    }
}

/* Starts the five nodes with their groups: authenticated with tags of `tag_length` bytes
 * if `auth` is not NULL (node i with `auth[i]`), plain (checksummed) otherwise. */
static void mg_start_with(uint64_t now, const bw_auth *const *auth, uint32_t tag_length) {
    size_t i;
    bw_multi_config config;
    memset(mg, 0, sizeof mg);
    network_head = network_len = 0;
    mg_authenticated = auth != NULL;
    for (i = 0; i < MG_NODES; i++) {
        mg_config(&config, MG_IDS[i], MG_IDS, MG_NODES);
        if (auth != NULL) {
            config.authenticated = true;
            config.tag_length = tag_length;
            CHECK_OK(bw_multi_init_authenticated(&mg[i].memory, sizeof mg[i].memory, &config,
                                                 mg[i].slots, MG_GROUPS, mg[i].queue,
                                                 MG_QUEUE, now, auth[i], &mg[i].multi));
        } else {
            CHECK_OK(bw_multi_init(&mg[i].memory, sizeof mg[i].memory, &config, mg[i].slots,
                                   MG_GROUPS, mg[i].queue, MG_QUEUE, now, &mg[i].multi));
        }
        CHECK((void *)mg[i].multi == (void *)&mg[i].memory);
        mg_add_groups(mg[i].multi, MG_IDS[i], now);
        mg_drain(i, now);
    }
}

static void mg_start(uint64_t now) {
    mg_start_with(now, NULL, 0);
}

/* Timers of every node, then every datagram in flight until the network is empty. */
static void mg_step(uint64_t now) {
    size_t i;
    for (i = 0; i < MG_NODES; i++) {
        CHECK_OK(bw_multi_handle_timeout(mg[i].multi, now));
        mg_drain(i, now);
    }
    while (network_len > 0) {
        datagram *d = &network[network_head];
        size_t to = index_of(d->to);
        network_head = (network_head + 1) % MG_NETWORK;
        network_len--;
        if (mg_authenticated) {
            bw_result rc = bw_multi_handle_bytes(mg[to].multi, now, d->bytes, d->len);
            if (rc != BW_RESULT_UNSYNCHRONISED) {
                CHECK_RC(rc, BW_RESULT_OK);
            }
        } else {
            CHECK_OK(bw_multi_handle_bytes(mg[to].multi, now, d->bytes, d->len));
        }
        mg_drain(to, now);
    }
}

/* Whether every group has one leader, with a lease, that its other members follow in
 * its term. */
static bool mg_all_elected(uint64_t now) {
    uint16_t g;
    for (g = 0; g < MG_GROUPS; g++) {
        uint32_t members[3], leader = 0;
        uint64_t term = 0;
        size_t k, leaders = 0;
        bool lease = false;
        group_members(g, members);
        for (k = 0; k < 3; k++) {
            bw_role role;
            uint64_t t;
            size_t i = index_of(members[k]);
            CHECK_OK(bw_multi_role(mg[i].multi, g, &role));
            CHECK_OK(bw_multi_term(mg[i].multi, g, &t));
            if (role == BW_ROLE_LEADER) {
                leaders++;
                leader = members[k];
                term = t;
                CHECK_OK(bw_multi_has_lease(mg[i].multi, g, now, &lease));
            }
        }
        if (leaders != 1 || !lease) {
            return false;
        }
        for (k = 0; k < 3; k++) {
            uint32_t known;
            uint64_t t;
            size_t i = index_of(members[k]);
            if (bw_multi_leader(mg[i].multi, g, &known) != BW_RESULT_OK || known != leader) {
                return false;
            }
            CHECK_OK(bw_multi_term(mg[i].multi, g, &t));
            if (t != term) {
                return false;
            }
        }
    }
    return true;
}

/* Runs from `now` until every group has elected; returns the time it happened. */
static uint64_t mg_run_until_elected(uint64_t now) {
    for (; now < MG_DEADLINE_MS; now += MG_STEP_MS) {
        mg_step(now);
        if (mg_all_elected(now)) {
            return now;
        }
    }
    FAIL("not every group elected one leader within %u ms", (unsigned)MG_DEADLINE_MS);
}

static void five_nodes_elect_a_leader_in_every_group(void) {
    uint64_t now;
    size_t i, leading_total = 0;
    uint16_t g;
    bw_multi_counters statistics;
    mg_start(0);
    now = mg_run_until_elected(MG_STEP_MS);
    for (i = 0; i < MG_NODES; i++) {
        size_t leading = 0, counted = 0;
        CHECK_OK(bw_multi_leading(mg[i].multi, &leading));
        for (g = 0; g < MG_GROUPS; g++) {
            bw_role role;
            if (bw_multi_role(mg[i].multi, g, &role) == BW_RESULT_OK &&
                role == BW_ROLE_LEADER) {
                counted++;
            }
        }
        CHECK_EQ(leading, counted);
        leading_total += leading;
        CHECK(mg[i].events > 0);
        CHECK_OK(bw_multi_statistics(mg[i].multi, &statistics));
        CHECK(statistics.datagrams.sent > 0);
        CHECK(statistics.datagrams.accepted > 0);
        CHECK(statistics.items_sent > 0 && statistics.items_received > 0);
        CHECK_EQ(statistics.datagrams.malformed, 0);
        CHECK_EQ(statistics.items_dropped, 0);
    }
    CHECK_EQ(leading_total, MG_GROUPS);
    /* Every leader persisted the term it leads in, with its own vote. */
    for (g = 0; g < MG_GROUPS; g++) {
        uint32_t leader;
        uint64_t term;
        size_t l;
        CHECK_OK(bw_multi_leader(mg[index_of(MG_IDS[g % MG_NODES])].multi, g, &leader));
        l = index_of(leader);
        CHECK_OK(bw_multi_term(mg[l].multi, g, &term));
        CHECK(mg[l].has_persisted[g]);
        CHECK_EQ(mg[l].persisted[g].term, term);
    }
    (void)now;
}

static void a_leader_hands_a_group_over(void) {
    uint64_t now;
    uint32_t members[3], leader, to;
    size_t k, i;
    mg_start(0);
    now = mg_run_until_elected(MG_STEP_MS);
    group_members(0, members);
    CHECK_OK(bw_multi_leader(mg[index_of(members[0])].multi, 0, &leader));
    to = members[0] == leader ? members[1] : members[0];
    for (k = 0; k < MG_NODES; k++) {
        mg[k].led_group_0 = false;
    }
    i = index_of(leader);
    /* Only the leader can hand over, and only to another live member. */
    CHECK_RC(bw_multi_transfer_leadership(mg[index_of(to)].multi, now, 0, leader),
             BW_RESULT_NO_TRANSFER);
    CHECK_RC(bw_multi_transfer_leadership(mg[i].multi, now, 0, leader), BW_RESULT_NO_TRANSFER);
    CHECK_RC(bw_multi_transfer_leadership(mg[i].multi, now, 0, 42), BW_RESULT_UNKNOWN_NODE);
    CHECK_OK(bw_multi_transfer_leadership(mg[i].multi, now, 0, to));
    mg_drain(i, now);
    for (now += MG_STEP_MS; now < MG_DEADLINE_MS && !mg[index_of(to)].led_group_0;
         now += MG_STEP_MS) {
        mg_step(now);
    }
    CHECK(mg[index_of(to)].led_group_0);
    mg_run_until_elected(now);
}

static void a_restart_restores_the_persisted_terms(void) {
    static bw_multi_storage memory;
    static bw_group_slot slots[MG_GROUPS];
    static bw_queued_item queue[MG_QUEUE];
    bw_multi *restarted;
    bw_multi_config config;
    uint16_t g;
    size_t restored = 0;
    mg_start(0);
    mg_run_until_elected(MG_STEP_MS);
    mg_config(&config, MG_IDS[0], MG_IDS, MG_NODES);
    config.incarnation = 2;
    CHECK_OK(bw_multi_init(&memory, sizeof memory, &config, slots, MG_GROUPS, queue, MG_QUEUE,
                           0, &restarted));
    for (g = 0; g < MG_GROUPS; g++) {
        if (mg[0].has_persisted[g]) {
            CHECK_OK(bw_multi_restore_group(restarted, &mg[0].persisted[g]));
            restored++;
        }
    }
    CHECK(restored > 0);
    for (g = 0; g < MG_GROUPS; g++) {
        uint32_t members[3];
        uint64_t term;
        if (!is_member(g, MG_IDS[0])) {
            continue;
        }
        group_members(g, members);
        CHECK_OK(bw_multi_add_group(restarted, 0, g, members, 3, BW_MULTI_DEFAULT_PREFERRED));
        /* Restoring after the group was added is refused. */
        if (mg[0].has_persisted[g]) {
            CHECK_RC(bw_multi_restore_group(restarted, &mg[0].persisted[g]),
                     BW_RESULT_GROUP_IN_USE);
        }
        CHECK_OK(bw_multi_term(restarted, g, &term));
        CHECK_EQ(term, mg[0].has_persisted[g] ? mg[0].persisted[g].term : 0);
    }
}

/* ---- Refusals ---- */

/* One node of three (ids 1, 2, 3) with groups 0 (members 1 2 3) and 1 (members 2 3 1). */
static const uint32_t SMALL_IDS[3] = {1, 2, 3};
static bw_multi_storage small_memory;
static bw_group_slot small_slots[4];
static bw_queued_item small_queue[8];

static bw_multi *small_node(uint32_t id, uint32_t cluster, bool checksum) {
    bw_multi_config config;
    bw_multi *multi = NULL;
    uint32_t group_1[3] = {2, 3, 1};
    mg_config(&config, id, SMALL_IDS, 3);
    config.cluster = cluster;
    config.checksum = checksum;
    CHECK_OK(bw_multi_init(&small_memory, sizeof small_memory, &config, small_slots, 4,
                           small_queue, 8, 0, &multi));
    CHECK_OK(bw_multi_add_group(multi, 0, 0, SMALL_IDS, 3, BW_MULTI_DEFAULT_PREFERRED));
    CHECK_OK(bw_multi_add_group(multi, 0, 1, group_1, 3, 1));
    return multi;
}

static void sizes_and_alignments_match(void) {
    struct slot_alignment {
        char c;
        bw_group_slot slot;
    };
    struct item_alignment {
        char c;
        bw_queued_item item;
    };
    CHECK(bw_multi_size() <= BW_MULTI_SIZE);
    CHECK(bw_multi_align() <= BW_MULTI_ALIGN);
    CHECK(BW_MULTI_SIZE % BW_MULTI_ALIGN == 0);
    CHECK_EQ(sizeof(bw_multi_storage), BW_MULTI_SIZE);
    CHECK_EQ(sizeof(bw_group_slot), BW_GROUP_SLOT_SIZE);
    CHECK_EQ(sizeof(bw_queued_item), BW_QUEUED_ITEM_SIZE);
    CHECK(offsetof(struct slot_alignment, slot) <= BW_GROUP_SLOT_ALIGN);
    CHECK(offsetof(struct item_alignment, item) <= BW_QUEUED_ITEM_ALIGN);
    CHECK((uintptr_t)&small_memory % bw_multi_align() == 0);
}

static void null_pointers_change_nothing(void) {
    bw_multi *multi = small_node(1, 7, true);
    bw_multi_config config;
    bw_multi *out_multi;
    bw_multi_counters before, after;
    bw_group_record record = {0, 1, 1, true}, records[4];
    bw_transmit transmit;
    bw_group_event event;
    uint8_t buf[MG_DATAGRAM];
    size_t count;
    uint64_t value;
    uint32_t id;
    bw_role role;
    bool flag;
    static bw_group_slot slots[4];
    static bw_queued_item queue[8];

    CHECK_OK(bw_multi_statistics(multi, &before));
    CHECK_RC(bw_multi_config_init(NULL, sizeof config), BW_RESULT_NULL_POINTER);
    mg_config(&config, 1, SMALL_IDS, 3);
    SENTINEL(out_multi);
    SENTINEL(slots);
    SENTINEL(queue);
    CHECK_RC(bw_multi_init(NULL, BW_MULTI_SIZE, &config, slots, 4, queue, 8, 0, &out_multi),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_init(&small_memory, sizeof small_memory, NULL, slots, 4, queue, 8, 0,
                           &out_multi),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_init(&small_memory, sizeof small_memory, &config, NULL, 0, queue, 8, 0,
                           &out_multi),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_init(&small_memory, sizeof small_memory, &config, slots, 4, NULL, 0, 0,
                           &out_multi),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_init(&small_memory, sizeof small_memory, &config, slots, 4, queue, 8, 0,
                           NULL),
             BW_RESULT_NULL_POINTER);
    config.nodes = NULL;
    CHECK_RC(bw_multi_init(&small_memory, sizeof small_memory, &config, slots, 4, queue, 8, 0,
                           &out_multi),
             BW_RESULT_NULL_POINTER);
    CHECK_UNTOUCHED(out_multi);
    CHECK_UNTOUCHED(slots);
    CHECK_UNTOUCHED(queue);

    CHECK_RC(bw_multi_add_group(NULL, 0, 2, SMALL_IDS, 3, BW_MULTI_DEFAULT_PREFERRED),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_add_group(multi, 0, 2, NULL, 3, BW_MULTI_DEFAULT_PREFERRED),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_restore_group(NULL, &record), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_restore_group(multi, NULL), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_handle_bytes(NULL, 0, buf, 1), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_handle_bytes(multi, 0, NULL, 0), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_handle_timeout(NULL, 0), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_transfer_leadership(NULL, 0, 0, 2), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_confirm_persisted(NULL), BW_RESULT_NULL_POINTER);

    SENTINEL(count);
    SENTINEL(records);
    CHECK_RC(bw_multi_poll_persist(NULL, records, 4, &count), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_poll_persist(multi, NULL, 4, &count), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_poll_persist(multi, records, 4, NULL), BW_RESULT_NULL_POINTER);
    CHECK_UNTOUCHED(count);
    CHECK_UNTOUCHED(records);

    SENTINEL(transmit);
    SENTINEL(buf);
    CHECK_RC(bw_multi_poll_transmit(NULL, 0, buf, sizeof buf, &transmit),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_poll_transmit(multi, 0, NULL, sizeof buf, &transmit),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_poll_transmit(multi, 0, buf, sizeof buf, NULL), BW_RESULT_NULL_POINTER);
    CHECK_UNTOUCHED(transmit);
    CHECK_UNTOUCHED(buf);

    SENTINEL(event);
    CHECK_RC(bw_multi_poll_event(NULL, &event), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_poll_event(multi, NULL), BW_RESULT_NULL_POINTER);
    CHECK_UNTOUCHED(event);

    SENTINEL(value);
    SENTINEL(id);
    SENTINEL(role);
    SENTINEL(flag);
    CHECK_RC(bw_multi_poll_timeout(NULL, &value), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_poll_timeout(multi, NULL), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_role(NULL, 0, &role), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_role(multi, 0, NULL), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_leader(NULL, 0, &id), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_leader(multi, 0, NULL), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_term(NULL, 0, &value), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_term(multi, 0, NULL), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_lease_until(NULL, 0, &value), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_lease_until(multi, 0, NULL), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_has_lease(NULL, 0, 0, &flag), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_has_lease(multi, 0, 0, NULL), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_leading(NULL, &count), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_leading(multi, NULL), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_is_alive(NULL, 2, &flag), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_is_alive(multi, 2, NULL), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_statistics(NULL, &after), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_statistics(multi, NULL), BW_RESULT_NULL_POINTER);
    CHECK_UNTOUCHED(value);
    CHECK_UNTOUCHED(id);
    CHECK_UNTOUCHED(role);
    CHECK_UNTOUCHED(flag);
    CHECK_UNTOUCHED(count);

    /* The node saw none of it: same counters, same term, its first datagram still due. */
    CHECK_OK(bw_multi_statistics(multi, &after));
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    CHECK_OK(bw_multi_term(multi, 0, &value));
    CHECK_EQ(value, 0);
    CHECK_OK(bw_multi_poll_transmit(multi, 0, buf, sizeof buf, &transmit));
}

static void short_buffers_keep_the_output(void) {
    bw_multi *multi = small_node(1, 7, true);
    uint8_t buf[MG_DATAGRAM];
    bw_transmit transmit, first;
    bw_group_record records[1];
    size_t count;
    bw_multi_config config;

    SENTINEL(transmit);
    CHECK_RC(bw_multi_poll_transmit(multi, 0, buf, MG_DATAGRAM - 1, &transmit),
             BW_RESULT_BUFFER_TOO_SMALL);
    CHECK_RC(bw_multi_poll_transmit(multi, 0, buf, 0, &transmit), BW_RESULT_BUFFER_TOO_SMALL);
    CHECK_UNTOUCHED(transmit);
    /* The heartbeats are still due: one to each peer. */
    CHECK_OK(bw_multi_poll_transmit(multi, 0, buf, sizeof buf, &first));
    CHECK_OK(bw_multi_poll_transmit(multi, 0, buf, sizeof buf, &transmit));
    CHECK(first.to != transmit.to);
    CHECK_RC(bw_multi_poll_transmit(multi, 0, buf, sizeof buf, &transmit), BW_RESULT_EMPTY);

    SENTINEL(count);
    CHECK_RC(bw_multi_poll_persist(multi, records, 0, &count), BW_RESULT_BUFFER_TOO_SMALL);
    CHECK_RC(bw_multi_poll_persist(multi, records, 1, &count), BW_RESULT_EMPTY);
    CHECK_UNTOUCHED(count);

    SENTINEL(config);
    CHECK_RC(bw_multi_config_init(&config, sizeof config - 1), BW_RESULT_CONFIG_SIZE);
    CHECK_UNTOUCHED(config);
}

static void storage_and_config_refusals(void) {
    static union {
        uint8_t bytes[BW_MULTI_SIZE + BW_MULTI_ALIGN];
        uint64_t align;
    } memory;
    static bw_group_slot slots[4];
    static bw_queued_item queue[8];
    static const uint32_t duplicate[3] = {1, 2, 1};
    static const uint32_t many[BW_MAX_MEMBERS + 1] = {1};
    static uint8_t newer[sizeof(bw_multi_config) + 8];
    bw_multi_config config;
    bw_multi *out_multi;

    SENTINEL(out_multi);
    SENTINEL(slots);
    SENTINEL(queue);
    mg_config(&config, 1, SMALL_IDS, 3);
    if (bw_multi_align() > 1) {
        CHECK_RC(bw_multi_init(memory.bytes + 1, BW_MULTI_SIZE, &config, slots, 4, queue, 8, 0,
                               &out_multi),
                 BW_RESULT_MEMORY_MISALIGNED);
    }
    CHECK_RC(bw_multi_init(memory.bytes, bw_multi_size() - 1, &config, slots, 4, queue, 8, 0,
                           &out_multi),
             BW_RESULT_MEMORY_TOO_SMALL);
    /* Refused before a slot is touched: the length is never used. */
    CHECK_RC(bw_multi_init(memory.bytes, BW_MULTI_SIZE, &config, slots, BW_MULTI_MAX_GROUPS + 1,
                           queue, 8, 0, &out_multi),
             BW_RESULT_TOO_MANY_GROUPS);
    CHECK_RC(bw_multi_init(memory.bytes, BW_MULTI_SIZE, &config, slots, 4, queue, 2, 0,
                           &out_multi),
             BW_RESULT_QUEUE_TOO_SMALL);

#define REFUSED(change, code)                                                                \
    do {                                                                                   \
        mg_config(&config, 1, SMALL_IDS, 3);                                               \
        change;                                                                            \
        CHECK_RC(bw_multi_init(memory.bytes, BW_MULTI_SIZE, &config, slots, 4, queue, 8, 0, \
                               &out_multi),                                                \
                 code);                                                                    \
    } while (0)
    REFUSED(config.struct_size = 8, BW_RESULT_CONFIG_SIZE);
    REFUSED(config.nodes_len = 0, BW_RESULT_NO_MEMBERS);
    REFUSED((config.nodes = many, config.nodes_len = BW_MAX_MEMBERS + 1),
            BW_RESULT_TOO_MANY_MEMBERS);
    REFUSED(config.nodes = duplicate, BW_RESULT_DUPLICATE_MEMBER);
    REFUSED(config.id = 4, BW_RESULT_SELF_NOT_MEMBER);
    REFUSED(config.clock_drift_ppm = 1000000, BW_RESULT_DRIFT_BOUND_TOO_LARGE);
    REFUSED(config.heartbeat_interval = 0, BW_RESULT_INVALID_TIMING);
    REFUSED(config.heartbeat_interval = config.election_timeout, BW_RESULT_INVALID_TIMING);
    REFUSED(config.datagram_size = BW_MULTI_MIN_DATAGRAM_SIZE - 1, BW_RESULT_DATAGRAM_SIZE);
#undef REFUSED
    /* A newer header's config with an option this library does not have. */
    mg_config(&config, 1, SMALL_IDS, 3);
    memcpy(newer, &config, sizeof config);
    newer[sizeof newer - 1] = 1;
    ((bw_multi_config *)(void *)newer)->struct_size = sizeof newer;
    CHECK_RC(bw_multi_init(memory.bytes, BW_MULTI_SIZE, (const bw_multi_config *)(void *)newer,
                           slots, 4, queue, 8, 0, &out_multi),
             BW_RESULT_UNSUPPORTED_OPTION);
    CHECK_UNTOUCHED(out_multi);
    CHECK_UNTOUCHED(slots);
    CHECK_UNTOUCHED(queue);

    /* The smallest datagram size is accepted. */
    mg_config(&config, 1, SMALL_IDS, 3);
    config.datagram_size = BW_MULTI_MIN_DATAGRAM_SIZE;
    CHECK_OK(bw_multi_init(memory.bytes, BW_MULTI_SIZE, &config, slots, 4, queue, 3, 0,
                           &out_multi));
}

static void group_refusals(void) {
    bw_multi *multi = small_node(1, 7, true);
    static const uint32_t nine[9] = {1, 2, 3, 1, 2, 3, 1, 2, 3};
    static const uint32_t duplicate[3] = {1, 2, 2};
    static const uint32_t stranger[3] = {1, 2, 9};
    static const uint32_t without_self[2] = {2, 3};
    bw_group_record record;
    uint64_t value;
    uint32_t id;
    bw_role role;
    bool flag;
    bw_group_event event;

    CHECK_RC(bw_multi_add_group(multi, 0, 4, SMALL_IDS, 3, BW_MULTI_DEFAULT_PREFERRED),
             BW_RESULT_NO_SUCH_GROUP);
    CHECK_RC(bw_multi_add_group(multi, 0, 0, SMALL_IDS, 3, BW_MULTI_DEFAULT_PREFERRED),
             BW_RESULT_GROUP_IN_USE);
    CHECK_RC(bw_multi_add_group(multi, 0, 2, SMALL_IDS, 0, BW_MULTI_DEFAULT_PREFERRED),
             BW_RESULT_GROUP_SIZE);
    CHECK_RC(bw_multi_add_group(multi, 0, 2, nine, 9, BW_MULTI_DEFAULT_PREFERRED),
             BW_RESULT_GROUP_SIZE);
    CHECK_RC(bw_multi_add_group(multi, 0, 2, duplicate, 3, BW_MULTI_DEFAULT_PREFERRED),
             BW_RESULT_DUPLICATE_MEMBER);
    CHECK_RC(bw_multi_add_group(multi, 0, 2, stranger, 3, BW_MULTI_DEFAULT_PREFERRED),
             BW_RESULT_UNKNOWN_NODE);
    CHECK_RC(bw_multi_add_group(multi, 0, 2, without_self, 2, BW_MULTI_DEFAULT_PREFERRED),
             BW_RESULT_SELF_NOT_MEMBER);
    CHECK_RC(bw_multi_add_group(multi, 0, 2, SMALL_IDS, 3, 3), BW_RESULT_BAD_PREFERRED);

    record.group = 2;
    record.term = BW_MAX_TERM + 1;
    record.voted_for = 0;
    record.has_vote = false;
    CHECK_RC(bw_multi_restore_group(multi, &record), BW_RESULT_RESTORED_TERM_OUT_OF_RANGE);
    record.term = 3;
    record.has_vote = true;
    record.voted_for = 9;
    CHECK_RC(bw_multi_restore_group(multi, &record), BW_RESULT_UNKNOWN_NODE);
    record.voted_for = 2;
    record.group = 4;
    CHECK_RC(bw_multi_restore_group(multi, &record), BW_RESULT_NO_SUCH_GROUP);
    record.group = 0;
    CHECK_RC(bw_multi_restore_group(multi, &record), BW_RESULT_GROUP_IN_USE);

    /* Group 2 is in the storage but not held; group 4 is outside it. */
    SENTINEL(value);
    SENTINEL(id);
    SENTINEL(role);
    SENTINEL(flag);
    CHECK_RC(bw_multi_role(multi, 2, &role), BW_RESULT_NO_SUCH_GROUP);
    CHECK_RC(bw_multi_leader(multi, 4, &id), BW_RESULT_NO_SUCH_GROUP);
    CHECK_RC(bw_multi_term(multi, 2, &value), BW_RESULT_NO_SUCH_GROUP);
    CHECK_RC(bw_multi_lease_until(multi, 2, &value), BW_RESULT_NO_SUCH_GROUP);
    CHECK_RC(bw_multi_has_lease(multi, 2, 0, &flag), BW_RESULT_NO_SUCH_GROUP);
    CHECK_RC(bw_multi_transfer_leadership(multi, 0, 2, 2), BW_RESULT_NO_SUCH_GROUP);
    /* A follower with no leader yet. */
    CHECK_RC(bw_multi_leader(multi, 0, &id), BW_RESULT_EMPTY);
    CHECK_RC(bw_multi_lease_until(multi, 0, &value), BW_RESULT_EMPTY);
    CHECK_RC(bw_multi_transfer_leadership(multi, 0, 0, 2), BW_RESULT_NO_TRANSFER);
    CHECK_UNTOUCHED(value);
    CHECK_UNTOUCHED(id);
    CHECK_OK(bw_multi_role(multi, 0, &role));
    CHECK_EQ(role, BW_ROLE_FOLLOWER);
    CHECK_OK(bw_multi_has_lease(multi, 0, 0, &flag));
    CHECK(!flag);
    CHECK_OK(bw_multi_is_alive(multi, 1, &flag));
    CHECK(flag);
    CHECK_OK(bw_multi_is_alive(multi, 2, &flag));
    CHECK(!flag);
    CHECK_RC(bw_multi_poll_event(multi, &event), BW_RESULT_EMPTY);
}

static void bad_datagrams_are_refused(void) {
    bw_multi *sender = small_node(1, 7, true);
    static bw_multi_storage memory;
    static bw_group_slot slots[4];
    static bw_queued_item queue[8];
    uint8_t bytes[MG_DATAGRAM], copy[MG_DATAGRAM];
    uint8_t garbage[8] = {0xEE, 1, 2, 3, 4, 5, 6, 7};
    bw_transmit transmit;
    bw_multi_config config;
    bw_multi *receiver;
    bw_multi_counters before, after;
    bw_group_event event;
    size_t len;

    /* Node 1's first datagram, to the first peer it names. */
    CHECK_OK(bw_multi_poll_transmit(sender, 0, bytes, sizeof bytes, &transmit));
    len = transmit.len;

#define RECEIVER(receiver_id, receiver_cluster, receiver_checksum)                                                    \
    do {                                                                                   \
        mg_config(&config, (receiver_id), SMALL_IDS, 3);                                          \
        config.cluster = (receiver_cluster);                                                    \
        config.checksum = (receiver_checksum);                                                  \
        CHECK_OK(bw_multi_init(&memory, sizeof memory, &config, slots, 4, queue, 8, 0,     \
                               &receiver));                                                \
    } while (0)

    RECEIVER(transmit.to, 7, true);
    CHECK_OK(bw_multi_statistics(receiver, &before));
    CHECK_RC(bw_multi_handle_bytes(receiver, 1, bytes, 0), BW_RESULT_TRUNCATED);
    CHECK_RC(bw_multi_handle_bytes(receiver, 1, bytes, len - 1), BW_RESULT_BAD_CHECKSUM);
    CHECK_RC(bw_multi_handle_bytes(receiver, 1, garbage, sizeof garbage),
             BW_RESULT_BAD_CHECKSUM);
    memcpy(copy, bytes, len);
    copy[len / 2] ^= 0x40;
    CHECK_RC(bw_multi_handle_bytes(receiver, 1, copy, len), BW_RESULT_BAD_CHECKSUM);
    CHECK_OK(bw_multi_statistics(receiver, &after));
    CHECK_EQ(after.datagrams.accepted, before.datagrams.accepted);
    CHECK_EQ(after.datagrams.bad_checksum, before.datagrams.bad_checksum + 3);
    CHECK(after.datagrams.malformed > before.datagrams.malformed);
    CHECK_RC(bw_multi_poll_event(receiver, &event), BW_RESULT_EMPTY);
    {
        bool alive;
        CHECK_OK(bw_multi_is_alive(receiver, 1, &alive));
        CHECK(!alive);
    }
    /* The datagram itself is accepted, and the sender is alive at last. */
    CHECK_OK(bw_multi_handle_bytes(receiver, 1, bytes, len));

    RECEIVER(transmit.to, 8, true);
    CHECK_RC(bw_multi_handle_bytes(receiver, 1, bytes, len), BW_RESULT_WRONG_GROUP);
    RECEIVER(transmit.to, 7, false);
    CHECK_RC(bw_multi_handle_bytes(receiver, 1, bytes, len), BW_RESULT_WRONG_ENVELOPE);
    CHECK_RC(bw_multi_handle_bytes(receiver, 1, garbage, sizeof garbage),
             BW_RESULT_UNSUPPORTED_VERSION);
    RECEIVER(transmit.to == 2 ? 3 : 2, 7, true);
    CHECK_RC(bw_multi_handle_bytes(receiver, 1, bytes, len), BW_RESULT_MISADDRESSED);
#undef RECEIVER
}


/* ---- Authentication ---- */

/* No datagram of the cluster was refused for its MAC, key or freshness; returns how many
 * were refused as unsynchronised (the first ones of each peer). */
static uint32_t mg_check_no_refusals(void) {
    size_t i;
    uint32_t unsynchronised = 0;
    for (i = 0; i < MG_NODES; i++) {
        bw_multi_counters statistics;
        CHECK_OK(bw_multi_statistics(mg[i].multi, &statistics));
        CHECK(statistics.datagrams.accepted > 0);
        CHECK_EQ(statistics.datagrams.bad_mac, 0);
        CHECK_EQ(statistics.datagrams.unknown_key, 0);
        CHECK_EQ(statistics.datagrams.replay, 0);
        CHECK_EQ(statistics.datagrams.wrong_envelope, 0);
        CHECK_EQ(statistics.datagrams.malformed, 0);
        CHECK_EQ(statistics.items_dropped, 0);
        unsynchronised += statistics.datagrams.unsynchronised;
    }
    return unsynchronised;
}

/* Runs every node for `duration` ms from `now`; returns the time reached. */
static uint64_t mg_run_for(uint64_t now, uint64_t duration) {
    uint64_t end = now + duration;
    for (; now < end; now += MG_STEP_MS) {
        mg_step(now);
    }
    return now;
}

static void authenticated_nodes_elect_and_rotate_keys(void) {
    static const uint32_t tags[] = {8, 16, 4};
    bw_auth auth = cmac_auth(1, KEY_ONE);
    const bw_auth *auths[MG_NODES];
    size_t i, t;
    uint64_t now;
    for (i = 0; i < MG_NODES; i++) {
        auths[i] = &auth;
    }
    for (t = 0; t < sizeof tags / sizeof tags[0]; t++) {
        check_context("tag length %u", (unsigned)tags[t]);
        mg_start_with(0, auths, tags[t]);
        now = mg_run_until_elected(MG_STEP_MS);
        /* The first datagrams reached peers that had not synchronised yet. */
        CHECK(mg_check_no_refusals() > 0);
    }
    check_context("rotation");
    /* Rotation without a flag day: key 2 on every node (key 1 still accepted), then key 1
     * retired everywhere. */
    for (i = 0; i < MG_NODES; i++) {
        CHECK_OK(bw_multi_set_cmac_key(mg[i].multi, 2, KEY_TWO, sizeof KEY_TWO));
    }
    now = mg_run_for(now, 500);
    for (i = 0; i < MG_NODES; i++) {
        CHECK_OK(bw_multi_retire_previous_key(mg[i].multi));
        CHECK_RC(bw_multi_retire_previous_key(mg[i].multi), BW_RESULT_EMPTY);
    }
    now = mg_run_for(now, 1000);
    CHECK(mg_all_elected(now));
    mg_check_no_refusals();
    check_context(NULL);
}

static void mac_callbacks_elect_every_group(void) {
    hsm devices[MG_NODES];
    bw_auth auth[MG_NODES];
    const bw_auth *auths[MG_NODES];
    size_t i;
    for (i = 0; i < MG_NODES; i++) {
        memset(&devices[i], 0, sizeof devices[i]);
        devices[i].secret = 0x5eed;
        /* Node 1 verifies in its "HSM"; the others let the library compare. */
        auth[i] = hsm_auth(&devices[i], i == 0);
        auths[i] = &auth[i];
    }
    mg_start_with(0, auths, 16);
    mg_run_until_elected(MG_STEP_MS);
    CHECK(mg_check_no_refusals() > 0);
    for (i = 0; i < MG_NODES; i++) {
        CHECK(devices[i].signs > 0);
    }
    CHECK(devices[0].verifies > 0);
    CHECK_EQ(devices[1].verifies, 0);
}

/* What a refused datagram must leave as it was: every group's role, term and leader,
 * and what was accepted. */
typedef struct {
    bw_role role[MG_GROUPS];
    uint64_t term[MG_GROUPS];
    uint32_t leader[MG_GROUPS];
    uint32_t accepted;
    uint32_t items_received;
} mg_snapshot;

static void mg_snapshot_of(const bw_multi *multi, mg_snapshot *out) {
    bw_multi_counters statistics;
    uint16_t g;
    memset(out, 0, sizeof *out);
    for (g = 0; g < MG_GROUPS; g++) {
        if (bw_multi_role(multi, g, &out->role[g]) != BW_RESULT_OK) {
            continue;
        }
        CHECK_OK(bw_multi_term(multi, g, &out->term[g]));
        if (bw_multi_leader(multi, g, &out->leader[g]) != BW_RESULT_OK) {
            out->leader[g] = 0;
        }
    }
    CHECK_OK(bw_multi_statistics(multi, &statistics));
    out->accepted = statistics.datagrams.accepted;
    out->items_received = statistics.items_received;
}

/* The counter at byte `offset` of `counters`. */
static uint32_t counter_at(const bw_multi_counters *counters, size_t offset) {
    uint32_t value;
    memcpy(&value, (const uint8_t *)counters + offset, sizeof value);
    return value;
}

/* Delivers `bytes` to `receiver`, expecting `expected`, and checks that it changed
 * nothing but the counter at byte `counter` of bw_multi_counters (one more). */
static void mg_refused(bw_multi *receiver, uint64_t now, const uint8_t *bytes, size_t len,
                       bw_result expected, size_t counter) {
    static mg_snapshot before, after;
    bw_multi_counters counters_before, counters_after;
    bw_group_event event;
    mg_snapshot_of(receiver, &before);
    CHECK_OK(bw_multi_statistics(receiver, &counters_before));
    CHECK_RC(bw_multi_handle_bytes(receiver, now, bytes, len), expected);
    mg_snapshot_of(receiver, &after);
    CHECK_OK(bw_multi_statistics(receiver, &counters_after));
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    CHECK_EQ(counter_at(&counters_after, counter), counter_at(&counters_before, counter) + 1);
    CHECK_RC(bw_multi_poll_event(receiver, &event), BW_RESULT_EMPTY);
}

/* The offset of a datagram counter in bw_multi_counters. */
#define DATAGRAMS_COUNTER(field)                                                           \
    (offsetof(bw_multi_counters, datagrams) + offsetof(bw_statistics, field))

/* Starts a node impersonating node 1 in `memory`: authenticated with `auth`, or plain
 * (checksummed) if it is NULL; returns its first datagram (to `out_to`). */
static size_t impostor_datagram(const bw_auth *auth, uint64_t now, uint8_t *bytes,
                                size_t bytes_len, uint32_t *out_to) {
    static bw_multi_storage memory;
    static bw_group_slot slots[MG_GROUPS];
    static bw_queued_item queue[MG_QUEUE];
    bw_multi_config config;
    bw_multi *impostor;
    bw_transmit transmit;
    mg_config(&config, MG_IDS[0], MG_IDS, MG_NODES);
    config.incarnation = 99;
    if (auth != NULL) {
        config.authenticated = true;
        CHECK_OK(bw_multi_init_authenticated(&memory, sizeof memory, &config, slots, MG_GROUPS,
                                             queue, MG_QUEUE, now, auth, &impostor));
    } else {
        CHECK_OK(bw_multi_init(&memory, sizeof memory, &config, slots, MG_GROUPS, queue,
                               MG_QUEUE, now, &impostor));
    }
    mg_add_groups(impostor, MG_IDS[0], now);
    CHECK_OK(bw_multi_poll_transmit(impostor, now, bytes, bytes_len, &transmit));
    *out_to = transmit.to;
    return transmit.len;
}

static void forged_replayed_and_plain_datagrams_change_nothing(void) {
    static uint8_t bytes[MG_DATAGRAM];
    bw_auth auth = cmac_auth(1, KEY_ONE);
    bw_auth foreign = cmac_auth(1, KEY_TWO);
    const bw_auth *auths[MG_NODES];
    bw_transmit transmit;
    bw_multi *receiver;
    uint32_t to;
    size_t i, len;
    uint64_t now;
    for (i = 0; i < MG_NODES; i++) {
        auths[i] = &auth;
    }
    mg_start_with(0, auths, 8);
    now = mg_run_until_elected(MG_STEP_MS);

    /* Node 1's next heartbeat, genuine: accepted once, then a replay. */
    now += 100;
    CHECK_OK(bw_multi_handle_timeout(mg[0].multi, now));
    CHECK_OK(bw_multi_poll_transmit(mg[0].multi, now, bytes, sizeof bytes, &transmit));
    receiver = mg[index_of(transmit.to)].multi;
    CHECK_OK(bw_multi_handle_bytes(receiver, now, bytes, transmit.len));
    mg_drain(index_of(transmit.to), now);
    mg_refused(receiver, now, bytes, transmit.len, BW_RESULT_REPLAY, DATAGRAMS_COUNTER(replay));
    mg_drain(0, now);

    /* The same key id under another key: a bad MAC. */
    len = impostor_datagram(&foreign, now, bytes, sizeof bytes, &to);
    mg_refused(mg[index_of(to)].multi, now, bytes, len, BW_RESULT_BAD_MAC,
               DATAGRAMS_COUNTER(bad_mac));
    /* ... and a flipped bit in a genuine one too. */
    CHECK_OK(bw_multi_handle_timeout(mg[0].multi, now + 100));
    CHECK_OK(bw_multi_poll_transmit(mg[0].multi, now + 100, bytes, sizeof bytes, &transmit));
    bytes[transmit.len / 2] ^= 0x10;
    mg_refused(mg[index_of(transmit.to)].multi, now + 100, bytes, transmit.len,
               BW_RESULT_BAD_MAC, DATAGRAMS_COUNTER(bad_mac));
    /* A plain node's datagram: another envelope. */
    len = impostor_datagram(NULL, now, bytes, sizeof bytes, &to);
    mg_refused(mg[index_of(to)].multi, now, bytes, len, BW_RESULT_WRONG_ENVELOPE,
               DATAGRAMS_COUNTER(wrong_envelope));

    /* The cluster carries on, every group still elected. */
    now = mg_run_for(now + 100, 1000);
    CHECK(mg_all_elected(now));
}

/* The alignment of bw_multi_config (C99 has no _Alignof). */
typedef struct {
    char before;
    bw_multi_config config;
} multi_config_alignment;

static void authentication_arguments_are_checked(void) {
    static const uint32_t bad_tags[] = {0, 1, 5, 12, 32, UINT32_MAX};
    static union {
        uint8_t bytes[BW_MULTI_SIZE];
        uint64_t align;
    } memory, twin_memory;
    static bw_group_slot slots[4], twin_slots[4];
    static bw_queued_item queue[8], twin_queue[8];
    bw_auth auth = cmac_auth(1, KEY_ONE);
    bw_auth bad;
    bw_multi_config config, old;
    bw_multi *multi, *twin;
    bw_multi_counters statistics, twin_statistics;
    uint8_t bytes[MG_DATAGRAM], twin_bytes[MG_DATAGRAM];
    bw_transmit transmit, twin_transmit;
    hsm device;
    size_t first_size, i;
    const size_t alignment = offsetof(multi_config_alignment, config);
    memset(&device, 0, sizeof device);

#define INIT_AUTH(a)                                                                         \
    bw_multi_init_authenticated(memory.bytes, sizeof memory.bytes, &config, slots, 4, queue, \
                                8, 0, (a), &multi)
    /* bw_multi_config_init's defaults: not authenticated, 8-byte tags. */
    mg_config(&config, 1, SMALL_IDS, 3);
    CHECK(!config.authenticated);
    CHECK_EQ(config.tag_length, 8);
    CHECK_EQ(config.reserved, 0);

    SENTINEL(multi);
    SENTINEL(slots);
    SENTINEL(queue);
    config.authenticated = true;
    CHECK_RC(bw_multi_init(memory.bytes, sizeof memory.bytes, &config, slots, 4, queue, 8, 0,
                           &multi),
             BW_RESULT_NO_AUTHENTICATOR);
    CHECK_RC(INIT_AUTH(NULL), BW_RESULT_NULL_POINTER);
    for (i = 0; i < sizeof bad_tags / sizeof bad_tags[0]; i++) {
        config.tag_length = bad_tags[i];
        CHECK_RC(INIT_AUTH(&auth), BW_RESULT_BAD_TAG_LENGTH);
    }
    config.tag_length = 16;
    /* The smallest datagram of plain bundles leaves no room for a seal and a MAC. */
    config.datagram_size = BW_MULTI_MIN_DATAGRAM_SIZE;
    CHECK_RC(INIT_AUTH(&auth), BW_RESULT_DATAGRAM_SIZE);
    config.datagram_size = MG_DATAGRAM;
    config.reserved = 1;
    CHECK_RC(INIT_AUTH(&auth), BW_RESULT_UNSUPPORTED_OPTION);
    config.reserved = 0;
    bad = auth;
    bad.key = NULL;
    CHECK_RC(INIT_AUTH(&bad), BW_RESULT_NULL_POINTER);
    bad.key = KEY_ONE;
    bad.key_len = BW_CMAC_KEY_SIZE - 1;
    CHECK_RC(INIT_AUTH(&bad), BW_RESULT_BUFFER_TOO_SMALL);
    bad.key_len = BW_CMAC_KEY_SIZE + 1;
    CHECK_RC(INIT_AUTH(&bad), BW_RESULT_INVALID_ARGUMENT);
    bad = auth;
    bad.kind = 2;
    CHECK_RC(INIT_AUTH(&bad), BW_RESULT_INVALID_ARGUMENT);
    bad = auth;
    bad.struct_size = sizeof bad - 1;
    CHECK_RC(INIT_AUTH(&bad), BW_RESULT_CONFIG_SIZE);
    bad = hsm_auth(&device, true);
    bad.sign = NULL;
    CHECK_RC(INIT_AUTH(&bad), BW_RESULT_NULL_POINTER);
    bad.sign = refuse_every_key;
    CHECK_RC(INIT_AUTH(&bad), BW_RESULT_UNKNOWN_KEY);
    /* The queue is checked after the authenticator. */
    CHECK_RC(bw_multi_init_authenticated(memory.bytes, sizeof memory.bytes, &config, slots, 4,
                                         queue, 2, 0, &auth, &multi),
             BW_RESULT_QUEUE_TOO_SMALL);
    CHECK_UNTOUCHED(multi);
    CHECK_UNTOUCHED(slots);
    CHECK_UNTOUCHED(queue);

    /* Without `authenticated`, a bw_auth is checked, kept and unused: plain bundles. */
    config.authenticated = false;
    CHECK_OK(INIT_AUTH(&auth));
    CHECK_OK(bw_multi_poll_transmit(multi, 0, bytes, sizeof bytes, &transmit));
    config.authenticated = true;

    /* A running node and its twin: refused key changes change nothing. */
    CHECK_OK(INIT_AUTH(&auth));
    CHECK_OK(bw_multi_init_authenticated(twin_memory.bytes, sizeof twin_memory.bytes, &config,
                                         twin_slots, 4, twin_queue, 8, 0, &auth, &twin));
    CHECK_RC(bw_multi_set_cmac_key(NULL, 2, KEY_TWO, sizeof KEY_TWO), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_set_cmac_key(multi, 2, NULL, BW_CMAC_KEY_SIZE), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_set_cmac_key(multi, 2, KEY_TWO, sizeof KEY_TWO - 1),
             BW_RESULT_BUFFER_TOO_SMALL);
    CHECK_RC(bw_multi_set_cmac_key(multi, 2, KEY_TWO, sizeof KEY_TWO + 1),
             BW_RESULT_INVALID_ARGUMENT);
    CHECK_RC(bw_multi_retire_previous_key(NULL), BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_retire_previous_key(multi), BW_RESULT_EMPTY);
    CHECK_RC(bw_multi_set_mac_callbacks(NULL, hsm_sign, NULL, HSM_KEY_ID, &device),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_set_mac_callbacks(multi, NULL, hsm_verify, HSM_KEY_ID, &device),
             BW_RESULT_NULL_POINTER);
    CHECK_RC(bw_multi_set_mac_callbacks(multi, hsm_sign, hsm_verify, HSM_KEY_ID + 1, &device),
             BW_RESULT_UNKNOWN_KEY);
    /* Both still sign with key 1: the same datagram, byte for byte. */
    CHECK_OK(bw_multi_poll_transmit(multi, 0, bytes, sizeof bytes, &transmit));
    CHECK_OK(bw_multi_poll_transmit(twin, 0, twin_bytes, sizeof twin_bytes, &twin_transmit));
    CHECK_EQ(transmit.len, twin_transmit.len);
    CHECK(memcmp(bytes, twin_bytes, transmit.len) == 0);
    CHECK_OK(bw_multi_statistics(multi, &statistics));
    CHECK_OK(bw_multi_statistics(twin, &twin_statistics));
    CHECK(memcmp(&statistics, &twin_statistics, sizeof statistics) == 0);

    /* Switching to callbacks and back to CMAC keys works on a live node. */
    CHECK_OK(bw_multi_set_mac_callbacks(multi, hsm_sign, NULL, HSM_KEY_ID, &device));
    CHECK_RC(bw_multi_retire_previous_key(multi), BW_RESULT_EMPTY);
    CHECK_OK(bw_multi_set_cmac_key(multi, 1, KEY_ONE, sizeof KEY_ONE));
    CHECK_RC(bw_multi_retire_previous_key(multi), BW_RESULT_EMPTY);
    CHECK_OK(bw_multi_set_cmac_key(multi, 2, KEY_TWO, sizeof KEY_TWO));
    CHECK_OK(bw_multi_retire_previous_key(multi));

    /* A program compiled before the authentication fields passes a smaller config (it
     * ended with `incarnation`, padded to the struct's alignment): read as not
     * authenticated, whatever follows its fields in memory. */
    first_size = (offsetof(bw_multi_config, reserved) + alignment - 1) / alignment * alignment;
    CHECK(first_size <= offsetof(bw_multi_config, authenticated));
    SENTINEL(old);
    CHECK_OK(bw_multi_config_init(&old, first_size));
    CHECK_EQ(old.struct_size, first_size);
    CHECK(is_sentinel((const uint8_t *)&old + first_size, sizeof old - first_size));
    mg_config(&config, 1, SMALL_IDS, 3);
    config.struct_size = first_size;
    config.reserved = 1;
    config.authenticated = true;
    config.tag_length = 3;
    CHECK_OK(bw_multi_init(memory.bytes, sizeof memory.bytes, &config, slots, 4, queue, 8, 0,
                           &multi));
    CHECK_OK(bw_multi_poll_transmit(multi, 0, bytes, sizeof bytes, &transmit));
    /* Sizes between the versions are none. */
    CHECK_RC(bw_multi_config_init(&old, first_size + 1), BW_RESULT_CONFIG_SIZE);
    config.struct_size = sizeof config - 1;
    CHECK_RC(bw_multi_init(memory.bytes, sizeof memory.bytes, &config, slots, 4, queue, 8, 0,
                           &multi),
             BW_RESULT_CONFIG_SIZE);
#undef INIT_AUTH
}

const scenario MULTIGROUP_SCENARIOS[] = {
    {"multigroup: size and alignment macros match the library", sizes_and_alignments_match},
    {"multigroup: five nodes, 200 groups of three, one leader in every group",
     five_nodes_elect_a_leader_in_every_group},
    {"multigroup: a leader hands a group over", a_leader_hands_a_group_over},
    {"multigroup: a restart restores the persisted terms", a_restart_restores_the_persisted_terms},
    {"multigroup: NULL pointers change nothing", null_pointers_change_nothing},
    {"multigroup: short buffers keep the output", short_buffers_keep_the_output},
    {"multigroup: storage and config refusals", storage_and_config_refusals},
    {"multigroup: group refusals", group_refusals},
    {"multigroup: bad datagrams are refused", bad_datagrams_are_refused},
    {"multigroup: authenticated nodes (CMAC, tags of 8, 16 and 4 bytes) elect a leader in "
     "every group, and keys rotate",
     authenticated_nodes_elect_and_rotate_keys},
    {"multigroup: MAC callbacks elect every group with the library's comparison",
     mac_callbacks_elect_every_group},
    {"multigroup: a replay, a foreign key, a flipped bit and a plain node are refused, "
     "counted, and change nothing",
     forged_replayed_and_plain_datagrams_change_nothing},
    {"multigroup: authentication arguments and config fields",
     authentication_arguments_are_checked},
};
const size_t MULTIGROUP_SCENARIO_COUNT = sizeof MULTIGROUP_SCENARIOS / sizeof MULTIGROUP_SCENARIOS[0];
