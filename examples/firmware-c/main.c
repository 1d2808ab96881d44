/* bellwether on a Cortex-M4F, from C: the scenario of examples/firmware (the Rust
 * firmware) against include/bellwether.h. Five quorum-election nodes in one image, an
 * in-memory bus that loses 10% of the messages and delays the rest by 1 to 20 ms, a
 * SysTick millisecond clock. They elect a leader; the firmware stops driving it and the
 * survivors elect another in a newer term; the stopped node is restored from its two
 * "flash" slots and must rejoin without disturbing the leader. Each phase must end within
 * a bound derived from the timing, and no two nodes may ever hold a valid lease at the
 * same tick. Report through semihosting; exit status 0 only if every check held.
 *
 * Build: build.sh <libbellwether.a for thumbv7em-none-eabihf> <output dir>. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <bellwether.h>

#define NODES 5
#define GROUP 0xF1u
#define SEED 0x5EEDB311u
/* The bus: capacity, loss in percent, one-way delay range in ms. */
#define CAPACITY 128u
#define LOSS_PERCENT 10u
#define MIN_DELAY 1u
#define MAX_DELAY 20u
/* Bounds: election attempts that may fail (split vote, a pre-vote refused by a member
 * still sticky after the old leader's last heartbeat, lost requests or replies), and
 * heartbeats in a row a follower may miss (at 10% loss, six happen once in a million). */
#define FAILED_ATTEMPTS 3u
#define MISSED_HEARTBEATS 6u

/* ---- Clock: SysTick interrupts every millisecond, counted by the handler ---- */

#define CORE_CLOCK_HZ 25000000u /* MPS2 AN386, and QEMU's model of it */
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_CSR_ENABLE_TICKINT_CORE 0x7u

static volatile uint32_t millis; /* wraps after 49 days */

void SysTick_Handler(void);
void SysTick_Handler(void) { millis++; }

static void clock_start(void) {
    SYST_CSR = 0;
    SYST_RVR = CORE_CLOCK_HZ / 1000u - 1u;
    SYST_CVR = 0;
    millis = 0;
    SYST_CSR = SYST_CSR_ENABLE_TICKINT_CORE;
}

static uint64_t clock_now(void) { return millis; }

static void wait_for_tick(void) {
    uint32_t start = millis;
    while (millis == start) __asm__ volatile("wfi");
}

/* The host's elapsed milliseconds (semihosting SYS_ELAPSED / SYS_TICKFREQ), to compare
 * the emulated clock with; 0 if unsupported. */
static uint64_t host_elapsed_ms(void) {
    uint32_t ticks[2] = {0, 0};
    register uint32_t r0 __asm__("r0") = 0x30u; /* SYS_ELAPSED */
    register uint32_t *r1 __asm__("r1") = ticks;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    uint32_t status = r0;
    register uint32_t f0 __asm__("r0") = 0x31u; /* SYS_TICKFREQ */
    register uint32_t f1 __asm__("r1") = 0;
    __asm__ volatile("bkpt 0xAB" : "+r"(f0) : "r"(f1) : "memory");
    uint32_t frequency = f0;
    if (status != 0 || frequency < 1000u || frequency == UINT32_MAX) return 0;
    return ((uint64_t)ticks[1] << 32 | ticks[0]) / (frequency / 1000u);
}

/* ---- Failures ---- */

static bool failed;

static bool fail(const char *format, ...) {
    va_list args;
    va_start(args, format);
    printf("FAIL: ");
    vprintf(format, args);
    printf("\n");
    va_end(args);
    failed = true;
    return false;
}

/* ---- The bus: a ring of messages in flight, each with its own delivery time ---- */

static uint64_t rng_state = SEED;

/* SplitMix64, the same generator as the Rust firmware's. */
static uint64_t rng_next(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static uint32_t rng_below(uint32_t bound) {
    return (uint32_t)(((rng_next() >> 32) * bound) >> 32);
}

struct packet {
    uint64_t deliver_at;
    size_t to; /* node index */
    size_t len;
    bool pending;
    uint8_t bytes[BW_MAX_MESSAGE_SIZE];
};

/* ring[head .. tail) (modulo CAPACITY): sent and not yet delivered, in sending order. */
static struct packet ring[CAPACITY];
static uint32_t head, tail;
static uint32_t sent, lost, to_stopped;

static bool bus_send(uint64_t now, size_t to, const uint8_t *message, size_t len) {
    sent++;
    if (rng_below(100) < LOSS_PERCENT) {
        lost++;
        return true;
    }
    if (tail - head == CAPACITY || len > BW_MAX_MESSAGE_SIZE)
        return fail("the bus overflowed: more than %u in flight", CAPACITY);
    struct packet *packet = &ring[tail++ % CAPACITY];
    packet->deliver_at = now + MIN_DELAY + rng_below(MAX_DELAY - MIN_DELAY + 1);
    packet->to = to;
    packet->len = len;
    packet->pending = true;
    memcpy(packet->bytes, message, len);
    return true;
}

/* Takes the first message (in sending order) due at `now`. */
static bool bus_take_due(uint64_t now, struct packet *out) {
    for (uint32_t at = head; at != tail; at++) {
        struct packet *packet = &ring[at % CAPACITY];
        if (packet->pending && packet->deliver_at <= now) {
            packet->pending = false;
            *out = *packet;
            while (head != tail && !ring[head % CAPACITY].pending) head++;
            return true;
        }
    }
    return false;
}

/* ---- The nodes ---- */

/* Caller-owned node memory: BW_NODE_SIZE bytes aligned to BW_NODE_ALIGN. C99 has no
 * _Alignas, so a union with uint64_t (8-byte aligned on ARM EABI) aligns it; the typedef
 * fails to compile if that is not enough. */
union node_memory {
    uint8_t bytes[BW_NODE_SIZE];
    uint64_t align;
};
struct alignment_probe {
    char c;
    union node_memory memory;
};
typedef char node_memory_is_aligned
    [offsetof(struct alignment_probe, memory) % BW_NODE_ALIGN == 0 ? 1 : -1];

static union node_memory memory[NODES];

struct node {
    bw_node *handle;
    bool running;
    uint8_t slots[2][BW_RECORD_SIZE]; /* two "flash" slots, in RAM */
    bw_slot_writer writer;
    bool has_confirmed;
    bw_durable_state confirmed; /* the newest state confirmed to the node */
    bw_timeout wake;            /* its next deadline, from its last drain */
};

static struct node nodes[NODES]; /* node i has id i + 1 */
static const bw_member members[NODES] = {
    {1, 0, true}, {2, 0, true}, {3, 0, true}, {4, 0, true}, {5, 0, true},
};
static bw_config config;
static uint32_t samples, records;

static uint32_t id_of(size_t index) { return (uint32_t)index + 1u; }

static bool check(bw_result result, size_t index, const char *what) {
    if (result == BW_RESULT_OK) return true;
    return fail("node %u: %s: %s", (unsigned)id_of(index), what, bw_result_str(result));
}

static bool same_state(const bw_durable_state *a, const bw_durable_state *b) {
    return a->term == b->term && a->has_vote == b->has_vote &&
           (!a->has_vote || a->voted_for == b->voted_for);
}

static void node_config(size_t index) {
    config.node = id_of(index);
    config.seed = (uint64_t)SEED ^ (index + 1u); /* each node its own jitter */
}

/* Writes `state` as node `index`'s next record, reads both slots back, then confirms it. */
static bool store(size_t index, const bw_durable_state *state) {
    struct node *node = &nodes[index];
    uint8_t record[BW_RECORD_SIZE];
    bw_slot slot;
    bw_recovered found;
    if (!check(bw_slot_writer_write(&node->writer, state, record, sizeof record, &slot), index,
               "slot writer"))
        return false;
    memcpy(node->slots[slot], record, sizeof record);
    if (!check(bw_record_recover(node->slots[0], BW_RECORD_SIZE, node->slots[1], BW_RECORD_SIZE,
                                 &found),
               index, "reading the slots back"))
        return false;
    if (found.slot != slot || !same_state(&found.state, state))
        return fail("node %u: the record written did not read back", (unsigned)id_of(index));
    node->confirmed = *state;
    node->has_confirmed = true;
    records++;
    return check(bw_node_confirm_persisted(node->handle, state), index, "confirm");
}

/* After an input to node `index`: its outputs, in the order it hands them out (the durable
 * state to store, messages, events), until the timeout that ends the drain. */
static bool drain(size_t index, uint64_t now) {
    struct node *node = &nodes[index];
    uint8_t buf[BW_MAX_MESSAGE_SIZE];
    bw_output out;
    do {
        if (!check(bw_node_poll_output(node->handle, buf, sizeof buf, &out), index, "output"))
            return false;
        switch ((enum bw_output_kind)out.kind) {
        case BW_OUTPUT_KIND_PERSIST:
            if (!store(index, &out.persist)) return false;
            break;
        case BW_OUTPUT_KIND_TRANSMIT:
            for (size_t to = 0; to < NODES; to++) {
                if (to == index || !(out.transmit.broadcast || out.transmit.to == id_of(to)))
                    continue;
                if (!bus_send(now, to, buf, out.transmit.len)) return false;
            }
            break;
        case BW_OUTPUT_KIND_EVENT: /* the checks read the getters instead */
            break;
        case BW_OUTPUT_KIND_TIMEOUT:
            node->wake = out.timeout;
            break;
        }
    } while (out.kind != BW_OUTPUT_KIND_TIMEOUT);
    return true;
}

/* Whether node `index` leads, holds a lease valid at `now`, and its term. */
static bool leads(size_t index) {
    bw_role role = BW_ROLE_FOLLOWER;
    return bw_node_role(nodes[index].handle, &role) == BW_RESULT_OK && role == BW_ROLE_LEADER;
}

static bool has_lease(size_t index, uint64_t now) {
    bool lease = false;
    return bw_node_has_lease(nodes[index].handle, now, &lease) == BW_RESULT_OK && lease;
}

static uint64_t term_of(size_t index) {
    uint64_t term = 0;
    (void)bw_node_term(nodes[index].handle, &term);
    return term;
}

static uint32_t leader_of(size_t index) {
    uint32_t leader = 0; /* ids start at 1: 0 is "none known" */
    (void)bw_node_leader(nodes[index].handle, &leader);
    return leader;
}

static void print_view(void) {
    static const char *const roles[] = {"follower", "candidate", "leader"};
    for (size_t i = 0; i < NODES; i++) {
        bw_role role = BW_ROLE_FOLLOWER;
        (void)bw_node_role(nodes[i].handle, &role);
        printf("  node %u: %s, %s, leader %u, term %lu\n", (unsigned)id_of(i),
               nodes[i].running ? "running" : "stopped", role <= 2 ? roles[role] : "?",
               (unsigned)leader_of(i), (unsigned long)term_of(i));
    }
}

/* The safety checks at every tick, over every node, the stopped one included (its lease
 * judged by the time now, as if it had only paused): never two valid leases at once, never
 * two leaders in one term. */
static bool sample(uint64_t now) {
    samples++;
    for (size_t a = 0; a < NODES; a++)
        for (size_t b = a + 1; b < NODES; b++) {
            if (has_lease(a, now) && has_lease(b, now))
                return fail("nodes %u and %u both hold a valid lease at %lu ms",
                            (unsigned)id_of(a), (unsigned)id_of(b), (unsigned long)now);
            if (leads(a) && leads(b) && term_of(a) == term_of(b))
                return fail("nodes %u and %u both lead term %lu", (unsigned)id_of(a),
                            (unsigned)id_of(b), (unsigned long)term_of(a));
        }
    return true;
}

/* One tick: deliver every message due, fire every node whose deadline has come, drain,
 * sample the checks. */
static bool step(uint64_t now) {
    struct packet packet;
    while (bus_take_due(now, &packet)) {
        if (!nodes[packet.to].running) {
            to_stopped++;
            continue;
        }
        if (!check(bw_node_handle_bytes(nodes[packet.to].handle, now, packet.bytes, packet.len),
                   packet.to, "rejected a message") ||
            !drain(packet.to, now))
            return false;
    }
    for (size_t i = 0; i < NODES; i++) {
        if (!nodes[i].running || !nodes[i].wake.has_deadline || nodes[i].wake.deadline > now)
            continue;
        if (!check(bw_node_handle_timeout(nodes[i].handle, now), i, "timeout") || !drain(i, now))
            return false;
    }
    return sample(now);
}

/* The leader and term every running node agrees on: each names it and is in its term,
 * and it leads with a valid lease. */
static bool agreement(uint64_t now, uint32_t *out_leader, uint64_t *out_term) {
    size_t first = 0;
    while (first < NODES && !nodes[first].running) first++;
    if (first == NODES) return false;
    uint32_t leader = leader_of(first);
    uint64_t term = term_of(first);
    if (leader == 0 || leader > NODES) return false;
    size_t lead = leader - 1u;
    if (!nodes[lead].running || !leads(lead) || !has_lease(lead, now)) return false;
    for (size_t i = 0; i < NODES; i++)
        if (nodes[i].running && (leader_of(i) != leader || term_of(i) != term)) return false;
    *out_leader = leader;
    *out_term = term;
    return true;
}

/* Whether `leader` still leads in `term`, with a valid lease, and nobody else leads. */
static bool still_leads(uint32_t leader, uint64_t term, uint64_t now) {
    size_t lead = leader - 1u;
    if (!leads(lead) || term_of(lead) != term || !has_lease(lead, now)) return false;
    for (size_t i = 0; i < NODES; i++)
        if (i != lead && nodes[i].running && leads(i)) return false;
    return true;
}

/* What a phase waits for. */
struct expected {
    uint32_t exclude;    /* a leader that does not count (0: none) */
    uint64_t newer_than; /* the term must be above this */
    bool keep;           /* `leader` must keep leading in `term` at every tick, and win */
    uint32_t leader;
    uint64_t term;
};

struct agreed {
    uint32_t leader;
    uint64_t term;
    uint64_t took;
    uint32_t sent, lost;
};

/* Steps tick by tick until the running nodes agree on a leader `want` accepts; fails
 * after `bound` ms. */
static bool await_agreement(uint64_t bound, const struct expected *want, struct agreed *out) {
    uint64_t start = clock_now();
    uint32_t sent_before = sent, lost_before = lost;
    for (;;) {
        uint64_t now = clock_now();
        if (!step(now)) return false;
        if (want->keep && !still_leads(want->leader, want->term, now))
            return fail("node %u stopped leading term %lu at %lu ms", (unsigned)want->leader,
                        (unsigned long)want->term, (unsigned long)now);
        uint32_t leader;
        uint64_t term;
        if (agreement(now, &leader, &term) && leader != want->exclude &&
            term > want->newer_than && (!want->keep || (leader == want->leader && term == want->term))) {
            out->leader = leader;
            out->term = term;
            out->took = now - start;
            out->sent = sent - sent_before;
            out->lost = lost - lost_before;
            return true;
        }
        if (now - start > bound) {
            print_view();
            return fail("no agreement within the bound of %lu ms", (unsigned long)bound);
        }
        wait_for_tick();
    }
}

/* Steps for `duration` ms; `leader` must keep leading in `term`, with its lease, alone. */
static bool hold(uint64_t duration, uint32_t leader, uint64_t term) {
    uint64_t start = clock_now();
    uint32_t sent_before = sent, lost_before = lost;
    for (;;) {
        uint64_t now = clock_now();
        if (!step(now)) return false;
        if (!still_leads(leader, term, now)) {
            print_view();
            return fail("node %u stopped leading at %lu ms", (unsigned)leader, (unsigned long)now);
        }
        if (now - start >= duration) {
            printf("hold: node %u kept leading for %lu ms; %lu messages sent, %lu lost\n",
                   (unsigned)leader, (unsigned long)duration, (unsigned long)(sent - sent_before),
                   (unsigned long)(lost - lost_before));
            return true;
        }
        wait_for_tick();
    }
}

static void report(const char *phase, const char *what, const struct agreed *agreed,
                   uint64_t bound) {
    printf("%s: %sleader %u term %lu after %lu ms (bound %lu ms); %lu messages sent, %lu lost\n",
           phase, what, (unsigned)agreed->leader, (unsigned long)agreed->term,
           (unsigned long)agreed->took, (unsigned long)bound, (unsigned long)agreed->sent,
           (unsigned long)agreed->lost);
}

/* Restores node `index` at `now` from its slots; the record must be the state confirmed
 * last. */
static bool restore(size_t index, uint64_t now, bw_recovered *found) {
    struct node *node = &nodes[index];
    if (!check(bw_record_recover(node->slots[0], BW_RECORD_SIZE, node->slots[1], BW_RECORD_SIZE,
                                 found),
               index, "recover"))
        return false;
    if (!node->has_confirmed || !same_state(&found->state, &node->confirmed))
        return fail("node %u: the recovered record is not the state confirmed last",
                    (unsigned)id_of(index));
    node_config(index);
    if (!check(bw_node_restore(&memory[index], sizeof memory[index], &config, now, &found->state,
                               &node->handle),
               index, "restore") ||
        !check(bw_slot_writer_resume(node->slots[0], BW_RECORD_SIZE, node->slots[1],
                                     BW_RECORD_SIZE, &node->writer),
               index, "slot writer"))
        return false;
    node->running = true;
    return drain(index, now);
}

static bool run(void) {
    /* Bounds (ms), from heartbeat H, election timeout T, round trip R, delay D, with A
     * failed attempts and K missed heartbeats. Followers heard the leader at the latest
     * when it stopped, so every election timer (drawn from [T, 2T)) fires within 2T;
     * pre-vote, vote, and the first heartbeat with its acks (which start the lease) take a
     * round trip each; a failed attempt costs another timer and its rounds; a follower
     * whose heartbeats are lost learns the leader from a later one. The restored node
     * follows on the first heartbeat it receives. */
    if (!check(bw_config_init(&config, sizeof config, BW_ALGORITHM_QUORUM), 0, "config"))
        return false;
    config.group = GROUP;
    config.members = members;
    config.members_len = NODES;
    const uint64_t h = config.heartbeat_interval, t = config.failure_timeout,
                   r = config.round_trip_timeout;
    const uint64_t agreement_bound = (FAILED_ATTEMPTS + 1) * (2 * t + 3 * r) + MISSED_HEARTBEATS * h;
    const uint64_t rejoin_bound = MISSED_HEARTBEATS * h + MAX_DELAY;

    printf("bellwether firmware (C, quorum): %u nodes, seed %#lx, loss %u%%, delay %u..=%u ms\n",
           NODES, (unsigned long)SEED, LOSS_PERCENT, MIN_DELAY, MAX_DELAY);
    printf("timing: H %lu ms, T %lu ms, J %lu ms, R %lu ms; clock: SysTick every 1 ms from the "
           "%u MHz core clock\n",
           (unsigned long)h, (unsigned long)t, (unsigned long)config.failure_jitter,
           (unsigned long)r, CORE_CLOCK_HZ / 1000000u);
    printf("bounds: agreement (A+1)(2T+3R)+K*H = %lu ms, rejoin K*H+D = %lu ms (A = %u failed "
           "attempts, K = %u missed heartbeats, D = %u ms)\n",
           (unsigned long)agreement_bound, (unsigned long)rejoin_bound, FAILED_ATTEMPTS,
           MISSED_HEARTBEATS, MAX_DELAY);
    printf("library: bellwether %s, node %lu bytes (BW_NODE_SIZE %u)\n", bw_version(),
           (unsigned long)bw_node_size(), (unsigned)BW_NODE_SIZE);

    uint64_t host_start = host_elapsed_ms();
    uint64_t now = clock_now();
    for (size_t i = 0; i < NODES; i++) {
        struct node *node = &nodes[i];
        memset(node->slots, 0xFF, sizeof node->slots); /* erased flash */
        node_config(i);
        if (!check(bw_node_init(&memory[i], sizeof memory[i], &config, now, &node->handle), i,
                   "init") ||
            !check(bw_slot_writer_resume(node->slots[0], BW_RECORD_SIZE, node->slots[1],
                                         BW_RECORD_SIZE, &node->writer),
                   i, "slot writer"))
            return false;
        node->running = true;
    }
    for (size_t i = 0; i < NODES; i++)
        if (!drain(i, now)) return false;

    /* 1. Elect. */
    struct expected any = {0, 0, false, 0, 0};
    struct agreed elected, failover, rejoined;
    if (!await_agreement(agreement_bound, &any, &elected)) return false;
    report("elect", "", &elected, agreement_bound);
    if (!hold(t, elected.leader, elected.term)) return false;

    /* 2. Stop the leader: the survivors elect another, in a newer term. */
    uint32_t stopped = elected.leader;
    nodes[stopped - 1u].running = false;
    struct expected other = {stopped, elected.term, false, 0, 0};
    if (!await_agreement(agreement_bound, &other, &failover)) return false;
    char what[64];
    snprintf(what, sizeof what, "stopped %u; ", (unsigned)stopped);
    report("failover", what, &failover, agreement_bound);
    if (!hold(t, failover.leader, failover.term)) return false;

    /* 3. Restore the stopped node from its slots: pre-vote and stickiness keep it from
     *    disturbing the leader, which keeps leading in the same term. */
    bw_recovered found;
    if (!restore(stopped - 1u, clock_now(), &found)) return false;
    struct expected same = {0, failover.term - 1u, true, failover.leader, failover.term};
    if (!await_agreement(rejoin_bound, &same, &rejoined)) return false;
    snprintf(what, sizeof what, "restarted %u from slot %s (record %lu, term %lu); ",
             (unsigned)stopped, found.slot == BW_SLOT_A ? "A" : "B",
             (unsigned long)found.sequence, (unsigned long)found.state.term);
    report("rejoin", what, &rejoined, rejoin_bound);
    if (!hold(t, rejoined.leader, rejoined.term)) return false;

    printf("leases: %lu samples, never two valid leases at once nor two leaders in one term\n",
           (unsigned long)samples);
    printf("flash: %lu records written and read back through bw_slot_writer_write and "
           "bw_record_recover\n",
           (unsigned long)records);
    printf("messages: %lu sent, %lu lost, %lu reached the stopped node\n", (unsigned long)sent,
           (unsigned long)lost, (unsigned long)to_stopped);
    uint64_t host_end = host_elapsed_ms();
    if (host_start != 0 || host_end != 0)
        printf("clock: %lu ms on SysTick, %lu ms on the host (semihosting SYS_ELAPSED)\n",
               (unsigned long)clock_now(), (unsigned long)(host_end - host_start));
    else
        printf("clock: %lu ms on SysTick\n", (unsigned long)clock_now());
    return true;
}

int main(void) {
    clock_start();
    bool passed = run() && !failed;
    printf("result: %s\n", passed ? "PASS" : "FAIL");
    return passed ? 0 : 1;
}
