/* Three bellwether nodes in one process elect a leader by quorum election. Messages go
 * through an in-memory queue and time jumps from deadline to deadline, so the run is
 * instant and deterministic. Prints "leader <id> term <t>"; exits 0 once all three agree. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <bellwether.h>

#define N 3
#define QUEUE 64

/* Caller-owned memory: BW_NODE_SIZE bytes aligned to BW_NODE_ALIGN (bw_node_init checks). */
static union { uint8_t bytes[BW_NODE_SIZE]; uint64_t align; } memory[N];
static bw_node *nodes[N];        /* node i has id i + 1 */
static bw_durable_state disk[N]; /* stands in for storage */
static bw_timeout wake[N];       /* when each node next needs bw_node_handle_timeout */
static struct { int to; size_t len; uint8_t data[BW_MAX_MESSAGE_SIZE]; } queue[QUEUE];
static size_t head, tail; /* messages in flight: queue[head .. tail), modulo QUEUE */

static int ok(bw_result r, const char *what) {
    if (r != BW_RESULT_OK) fprintf(stderr, "%s: %s\n", what, bw_result_str(r));
    return r == BW_RESULT_OK;
}

/* After every input: take the node's outputs, in the order it hands them out, until the
 * timeout that ends the drain. */
static int drain(int i) {
    uint8_t buf[BW_MAX_MESSAGE_SIZE];
    bw_output out;
    do {
        if (!ok(bw_node_poll_output(nodes[i], buf, sizeof buf, &out), "output")) return 0;
        switch ((enum bw_output_kind)out.kind) {
        case BW_OUTPUT_KIND_PERSIST: /* quorum election: store, then confirm */
            disk[i] = out.persist;   /* a real host writes and flushes it here */
            if (!ok(bw_node_confirm_persisted(nodes[i], &out.persist), "confirm")) return 0;
            break;
        case BW_OUTPUT_KIND_TRANSMIT: /* out.transmit.len bytes of buf */
            for (int j = 0; j < N; j++) {
                if (j == i || !(out.transmit.broadcast || out.transmit.to == (uint32_t)j + 1))
                    continue;
                if (tail - head == QUEUE) return ok(BW_RESULT_BUFFER_TOO_SMALL, "queue");
                queue[tail % QUEUE].to = j;
                queue[tail % QUEUE].len = out.transmit.len;
                memcpy(queue[tail++ % QUEUE].data, buf, out.transmit.len);
            }
            break;
        case BW_OUTPUT_KIND_EVENT: /* a real host acts on BW_EVENT_KIND_BECAME_LEADER etc. */
            break;
        case BW_OUTPUT_KIND_TIMEOUT: /* the drain is over */
            wake[i] = out.timeout;
            break;
        }
    } while (out.kind != BW_OUTPUT_KIND_TIMEOUT);
    return 1;
}

/* Whether all nodes name the same leader; writes it to *leader. */
static int agreed(uint32_t *leader) {
    for (int i = 0; i < N; i++) {
        uint32_t l;
        if (bw_node_leader(nodes[i], &l) != BW_RESULT_OK || (i > 0 && l != *leader)) return 0;
        *leader = l;
    }
    return 1;
}

int main(void) {
    const bw_member members[N] = {{1, 0, true}, {2, 0, true}, {3, 0, true}};
    uint64_t now = 0, term;
    uint32_t leader;
    bw_config cfg;
    /* Quorum election, persistent by default: the drain hands out a term and vote to store. */
    if (!ok(bw_config_init(&cfg, sizeof cfg, BW_ALGORITHM_QUORUM), "config")) return 1;
    cfg.group = 1;
    cfg.members = members;
    cfg.members_len = N;
    for (int i = 0; i < N; i++) {
        cfg.node = (uint32_t)i + 1;
        cfg.seed = cfg.node; /* each node its own */
        if (!ok(bw_node_init(&memory[i], sizeof memory[i], &cfg, now, &nodes[i]), "init") ||
            !drain(i))
            return 1;
    }
    for (int step = 0; step < 10000; step++) {
        if (head != tail) { /* deliver the oldest message in flight */
            size_t at = head++ % QUEUE;
            int to = queue[at].to;
            if (!ok(bw_node_handle_bytes(nodes[to], now, queue[at].data, queue[at].len), "input") ||
                !drain(to))
                return 1;
        } else if (agreed(&leader) && ok(bw_node_term(nodes[leader - 1], &term), "term")) {
            printf("leader %u term %llu\n", (unsigned)leader, (unsigned long long)term);
            return 0;
        } else { /* nothing in flight: jump to the earliest deadline, fire the timers */
            now = UINT64_MAX;
            for (int i = 0; i < N; i++)
                if (wake[i].has_deadline && wake[i].deadline < now) now = wake[i].deadline;
            for (int i = 0; i < N; i++)
                if (!ok(bw_node_handle_timeout(nodes[i], now), "timeout") || !drain(i)) return 1;
        }
    }
    fprintf(stderr, "no leader agreed\n");
    return 1;
}
