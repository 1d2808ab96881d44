/*
 * udp_node: one bellwether node per process, talking UDP (IPv4).
 *
 *   udp_node --algorithm quorum --id 3 \
 *            --peer 1=127.0.0.1:7001 --peer 2=127.0.0.1:7002 --peer 3=127.0.0.1:7003 \
 *            --peer 4=127.0.0.1:7004 --peer 5=127.0.0.1:7005 --state-dir /tmp/bw
 *
 * The peers are every member, this node included (its entry gives the address it binds
 * to unless --bind says otherwise). Algorithms: bully, next-in-line, candidates,
 * invitation, ring, quorum. Other options (times in ms; defaults from bw_config_init,
 * the LAN timing):
 *
 *   --group G             election group (default 1)
 *   --bind HOST:PORT      address to bind instead of this node's --peer entry
 *   --seed N              jitter seed (default: the node's id)
 *   --heartbeat MS --failure-timeout MS --jitter MS --round-trip MS
 *   --lease MS            quorum: lease duration (default: the longest safe one)
 *   --state-dir DIR       quorum: keep the term and vote in DIR/node-<id>.state
 *   --volatile            quorum: keep no state (nodes wait out 2T after each start)
 *   --exit-on-stdin-eof   exit when standard input closes (a supervisor that dies takes
 *                         its nodes with it)
 *   --groups G            multi-group mode (no --algorithm): G quorum election groups
 *                         (indices 0 to G-1, at most 4096) over this one socket, through
 *                         bw_multi; group g has three members, the peers at positions g,
 *                         g+1 and g+2 (mod the peer count; every peer if there are fewer
 *                         than three), and this node runs the groups it is a member of.
 *                         --heartbeat and --failure-timeout set the node-level heartbeat
 *                         and the election timeout (defaults 100 and 1000); --group sets
 *                         the cluster id. The groups' records are kept in memory only
 *                         (see below).
 *
 * The loop is the engine's calling contract: sleep in poll() until a datagram, a signal
 * or the engine's next deadline; feed the input (bw_node_handle_bytes /
 * bw_node_handle_timeout); after every input drain the node with bw_node_poll_output until
 * it hands out the next deadline: the durable state (quorum: write it, then
 * bw_node_confirm_persisted), the messages, the events.
 * The engine's clock is milliseconds of CLOCK_MONOTONIC since this process started.
 *
 * Standard output, one line per fact, line buffered, every line ending in
 * "at <engine ms> mono <CLOCK_MONOTONIC ms>" (mono is comparable across processes on one
 * machine; the engine's ms are this process's own):
 *
 *   start id I algorithm A group G members N address H:P version V at .. mono ..
 *   config heartbeat MS failure-timeout MS jitter MS round-trip MS tie-breaker-step MS
 *          invite-interval MS successors K lease MS drift-ppm P durability D at ..
 *                                                   the timing in force (lease 0: the
 *                                                   longest safe one)
 *   fresh-state at ..                               quorum: no record, a new node
 *   restored term T vote V|none sequence S slot A|B at ..   quorum: resumed from disk
 *   persisted term T vote V|none sequence S slot A|B at ..  written and synced
 *   leader L|none term T at ..                      the leader this node knows changed
 *   became-leader term T lease-until MS|none fencing T|none at ..
 *   stepped-down term T at ..
 *   lease valid until MS until-mono MS at ..        quorum: bw_node_has_lease turned true,
 *                                                   or the lease was extended
 *   lease invalid at ..                             quorum: bw_node_has_lease turned false
 *   rejected code C total N at .. reason TEXT       a datagram the engine refused (first
 *                                                   ten, then every power of two)
 *   exit signal S rejected N at ..                  SIGTERM/SIGINT: clean exit, status 0
 *
 * In multi-group mode the start and config lines read
 *
 *   start id I mode multi groups G held H members N address H:P version V at ..
 *   config heartbeat MS election-timeout MS datagram-size B at ..
 *
 * and instead of the per-group lines (leader, became-leader, ...) the node prints a
 * summary whenever it changes:
 *
 *   groups held H with-leader K leading L at ..     of the H groups this node is a member
 *                                                   of, K know their leader, L are led by
 *                                                   this node
 *
 * Exit status: 0 after SIGTERM/SIGINT (or end of stdin with --exit-on-stdin-eof),
 * 1 on a runtime error, 2 on a usage error, 3 when the address cannot be bound.
 *
 * Durable state (quorum, persistent mode): a 48-byte file holding two 24-byte slots, the
 * A/B records of bw_slot_writer_write: each write goes to the slot not holding the newest
 * record and is fsync'ed before the node may send what depends on it, so a torn write
 * leaves the previous record whole. At start, bw_record_recover finds the newest valid
 * record and bw_node_restore resumes from it.
 *
 * Multi-group mode hands each batch of group records (bw_multi_poll_persist) to an array
 * in memory and confirms it at once: enough for a demonstration, not for production, where
 * a restarted node must restore them (bw_multi_restore_group) or it could vote twice in a
 * term. Each start takes a new incarnation (from the clock and the pid), so peers notice
 * a restart.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "bellwether.h"

#define EXIT_USAGE 2
#define EXIT_BIND 3

/* The longest poll() sleep when the engine has no deadline. */
#define MAX_WAIT_MS 1000
/* Larger than any message, so that an oversized datagram reaches the engine whole and is
 * rejected as such rather than truncated by recvfrom. */
#define RECEIVE_BUFFER 2048
/* Datagrams handled in one go before timers get their turn. */
#define RECEIVE_BATCH 64
/* The state file: slot A, then slot B. */
#define STATE_FILE_SIZE (2 * BW_RECORD_SIZE)
/* Multi-group mode: the most groups, the queue entries, the datagram size. */
#define MULTI_MAX_GROUPS 4096
#define MULTI_QUEUE 8192
#define MULTI_DATAGRAM 1200

typedef struct {
    uint32_t id;
    struct sockaddr_in address;
} peer;

typedef struct {
    const char *algorithm_name;
    uint32_t algorithm;
    uint32_t id;
    bool has_id;
    uint32_t group;
    peer peers[BW_MAX_MEMBERS];
    size_t peer_count;
    bool has_bind;
    struct sockaddr_in bind;
    const char *state_dir;
    bool volatile_state;
    bool exit_on_stdin_eof;
    /* Multi-group mode: the number of groups (0: single-group mode). */
    uint32_t groups;
    /* Overrides; has_* says whether one was given. */
    bool has_seed, has_heartbeat, has_failure_timeout, has_jitter, has_round_trip, has_lease;
    uint64_t seed, heartbeat, failure_timeout, jitter, round_trip, lease;
} options;

/* The memory of the node: BW_NODE_SIZE bytes aligned to BW_NODE_ALIGN (8). C99 has no
 * _Alignas, so a union with 8-byte types provides the alignment; bw_node_init checks it
 * (BW_RESULT_MEMORY_MISALIGNED) in any case. */
static union {
    uint8_t bytes[BW_NODE_SIZE];
    uint64_t align_u64;
    double align_double;
    void *align_pointer;
} node_memory;

typedef struct {
    const options *options;
    bw_node *node;
    int socket;
    /* Quorum, persistent mode: the state file and where its next record goes. */
    int state_fd;
    bw_slot_writer writer;
    /* When the node next needs bw_node_handle_timeout, from the drain's last output. */
    bw_timeout wake;
    /* What the last "lease" line said. */
    bool lease_valid;
    uint64_t lease_until;
    uint64_t rejected;
} udp_host;

/* ---- Clock ---- */

static uint64_t origin_ms;

static uint64_t monotonic_ms(void) {
    struct timespec now;
    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0) {
        perror("udp_node: clock_gettime(CLOCK_MONOTONIC)");
        exit(EXIT_FAILURE);
    }
    return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

/* The engine's clock: ms since the process started. */
static uint64_t now_ms(void) { return monotonic_ms() - origin_ms; }

/* ---- Output ---- */

/* Prints one line: the formatted text, then " at <now> mono <origin + now>". */
static void report(uint64_t now, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    printf(" at %" PRIu64 " mono %" PRIu64 "\n", now, origin_ms + now);
    fflush(stdout);
}

/* ---- Signals: a self-pipe, so that poll() wakes up and no signal is lost between the
 * check of the flag and the call to poll(). ---- */

static int signal_pipe[2] = {-1, -1};
static volatile sig_atomic_t stop_signal = 0;

static void on_signal(int signal_number) {
    int saved = errno;
    ssize_t written;
    stop_signal = signal_number;
    written = write(signal_pipe[1], "!", 1);
    (void)written; /* Full pipe: a wakeup is pending anyway. */
    errno = saved;
}

static int set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        return -1;
    }
    return 0;
}

static int install_signal_handlers(void) {
    struct sigaction action;
    if (pipe(signal_pipe) != 0 || set_nonblocking(signal_pipe[0]) != 0 ||
        set_nonblocking(signal_pipe[1]) != 0) {
        return -1;
    }
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    if (sigaction(SIGTERM, &action, NULL) != 0 || sigaction(SIGINT, &action, NULL) != 0) {
        return -1;
    }
    return 0;
}

/* ---- Command line ---- */

static void usage(const char *why) {
    fprintf(stderr,
            "udp_node: %s\n"
            "usage: udp_node --algorithm NAME --id N --peer ID=HOST:PORT... [--group G]\n"
            "                [--bind HOST:PORT] [--seed N] [--heartbeat MS]\n"
            "                [--failure-timeout MS] [--jitter MS] [--round-trip MS]\n"
            "                [--lease MS] [--state-dir DIR | --volatile] [--exit-on-stdin-eof]\n"
            "       udp_node --groups G --id N --peer ID=HOST:PORT... [--group CLUSTER]\n"
            "                [--bind HOST:PORT] [--seed N] [--heartbeat MS]\n"
            "                [--failure-timeout MS] [--exit-on-stdin-eof]\n"
            "algorithms: bully, next-in-line, candidates, invitation, ring, quorum\n",
            why);
    exit(EXIT_USAGE);
}

static bool parse_u64(const char *text, uint64_t *out) {
    char *end = NULL;
    unsigned long long value;
    if (text == NULL || *text < '0' || *text > '9') {
        return false;
    }
    errno = 0;
    value = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0') {
        return false;
    }
    *out = (uint64_t)value;
    return true;
}

static bool parse_u32(const char *text, uint32_t *out) {
    uint64_t value;
    if (!parse_u64(text, &value) || value > UINT32_MAX) {
        return false;
    }
    *out = (uint32_t)value;
    return true;
}

/* Parses a number or exits with `why`; returns true, for the option's has_* flag. */
static bool require_u64(const char *text, uint64_t *out, const char *why) {
    if (!parse_u64(text, out)) {
        usage(why);
    }
    return true;
}

/* "HOST:PORT", HOST a dotted IPv4 address. */
static bool parse_address(const char *text, struct sockaddr_in *out) {
    char host[INET_ADDRSTRLEN];
    const char *colon = strrchr(text, ':');
    uint32_t port;
    size_t host_len;
    if (colon == NULL) {
        return false;
    }
    host_len = (size_t)(colon - text);
    if (host_len == 0 || host_len >= sizeof host) {
        return false;
    }
    memcpy(host, text, host_len);
    host[host_len] = '\0';
    if (!parse_u32(colon + 1, &port) || port > 65535) {
        return false;
    }
    memset(out, 0, sizeof *out);
    out->sin_family = AF_INET;
    out->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, host, &out->sin_addr) == 1;
}

/* "ID=HOST:PORT". */
static bool parse_peer(const char *text, peer *out) {
    char id[16];
    const char *equals = strchr(text, '=');
    size_t id_len;
    if (equals == NULL) {
        return false;
    }
    id_len = (size_t)(equals - text);
    if (id_len == 0 || id_len >= sizeof id) {
        return false;
    }
    memcpy(id, text, id_len);
    id[id_len] = '\0';
    return parse_u32(id, &out->id) && parse_address(equals + 1, &out->address);
}

static const struct {
    const char *name;
    uint32_t algorithm;
} ALGORITHMS[] = {
    {"bully", BW_ALGORITHM_BULLY},           {"next-in-line", BW_ALGORITHM_NEXT_IN_LINE},
    {"candidates", BW_ALGORITHM_CANDIDATES}, {"invitation", BW_ALGORITHM_INVITATION},
    {"ring", BW_ALGORITHM_RING},             {"quorum", BW_ALGORITHM_QUORUM},
};

static void parse_options(int argc, char **argv, options *o) {
    int i;
    size_t k;
    memset(o, 0, sizeof *o);
    o->group = 1;
    for (i = 1; i < argc; i++) {
        const char *flag = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes_value = true;
        if (strcmp(flag, "--volatile") == 0) {
            o->volatile_state = true;
            takes_value = false;
        } else if (strcmp(flag, "--exit-on-stdin-eof") == 0) {
            o->exit_on_stdin_eof = true;
            takes_value = false;
        } else if (value == NULL) {
            usage("every option but --volatile and --exit-on-stdin-eof takes a value");
        } else if (strcmp(flag, "--algorithm") == 0) {
            o->algorithm_name = NULL;
            for (k = 0; k < sizeof ALGORITHMS / sizeof ALGORITHMS[0]; k++) {
                if (strcmp(value, ALGORITHMS[k].name) == 0) {
                    o->algorithm_name = ALGORITHMS[k].name;
                    o->algorithm = ALGORITHMS[k].algorithm;
                }
            }
            if (o->algorithm_name == NULL) {
                usage("unknown algorithm");
            }
        } else if (strcmp(flag, "--id") == 0) {
            if (!parse_u32(value, &o->id)) {
                usage("--id takes a number");
            }
            o->has_id = true;
        } else if (strcmp(flag, "--group") == 0) {
            if (!parse_u32(value, &o->group)) {
                usage("--group takes a number");
            }
        } else if (strcmp(flag, "--peer") == 0) {
            if (o->peer_count == BW_MAX_MEMBERS) {
                usage("too many peers");
            }
            if (!parse_peer(value, &o->peers[o->peer_count])) {
                usage("--peer takes ID=HOST:PORT (an IPv4 address)");
            }
            o->peer_count++;
        } else if (strcmp(flag, "--bind") == 0) {
            if (!parse_address(value, &o->bind)) {
                usage("--bind takes HOST:PORT (an IPv4 address)");
            }
            o->has_bind = true;
        } else if (strcmp(flag, "--state-dir") == 0) {
            o->state_dir = value;
        } else if (strcmp(flag, "--seed") == 0) {
            o->has_seed = require_u64(value, &o->seed, "--seed takes a number");
        } else if (strcmp(flag, "--heartbeat") == 0) {
            o->has_heartbeat = require_u64(value, &o->heartbeat, "--heartbeat takes ms");
        } else if (strcmp(flag, "--failure-timeout") == 0) {
            o->has_failure_timeout =
                require_u64(value, &o->failure_timeout, "--failure-timeout takes ms");
        } else if (strcmp(flag, "--jitter") == 0) {
            o->has_jitter = require_u64(value, &o->jitter, "--jitter takes ms");
        } else if (strcmp(flag, "--round-trip") == 0) {
            o->has_round_trip = require_u64(value, &o->round_trip, "--round-trip takes ms");
        } else if (strcmp(flag, "--lease") == 0) {
            o->has_lease = require_u64(value, &o->lease, "--lease takes ms");
        } else if (strcmp(flag, "--groups") == 0) {
            if (!parse_u32(value, &o->groups) || o->groups == 0 || o->groups > MULTI_MAX_GROUPS) {
                usage("--groups takes a number from 1 to 4096");
            }
        } else {
            usage("unknown option");
        }
        if (takes_value) {
            i++;
        }
    }
    if (o->groups > 0) {
        if (o->algorithm_name != NULL || o->state_dir != NULL || o->volatile_state ||
            o->has_jitter || o->has_round_trip || o->has_lease) {
            usage("--groups takes none of --algorithm, --state-dir, --volatile, --jitter, "
                  "--round-trip, --lease");
        }
        if (!o->has_id || o->peer_count == 0) {
            usage("--id and --peer are required");
        }
        o->algorithm_name = "multi";
        return;
    }
    if (o->algorithm_name == NULL || !o->has_id || o->peer_count == 0) {
        usage("--algorithm, --id and --peer are required");
    }
    if (o->algorithm == BW_ALGORITHM_QUORUM && o->state_dir == NULL && !o->volatile_state) {
        usage("quorum keeps its term and vote: give --state-dir DIR (or --volatile)");
    }
    if (o->algorithm != BW_ALGORITHM_QUORUM && (o->state_dir != NULL || o->volatile_state)) {
        usage("--state-dir and --volatile are for quorum election only");
    }
    if (o->state_dir != NULL && o->volatile_state) {
        usage("--state-dir and --volatile exclude each other");
    }
}

static const peer *find_peer(const options *o, uint32_t id) {
    size_t i;
    for (i = 0; i < o->peer_count; i++) {
        if (o->peers[i].id == id) {
            return &o->peers[i];
        }
    }
    return NULL;
}

static const char *describe_address(const struct sockaddr_in *address) {
    static char text[INET_ADDRSTRLEN + 8];
    char host[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, &address->sin_addr, host, sizeof host) == NULL) {
        strcpy(host, "?");
    }
    snprintf(text, sizeof text, "%s:%u", host, (unsigned)ntohs(address->sin_port));
    return text;
}

/* ---- Durable state (quorum, persistent mode) ---- */

static int sync_directory(const char *dir) {
    int fd = open(dir, O_RDONLY);
    int result;
    if (fd < 0) {
        return -1;
    }
    result = fsync(fd);
    close(fd);
    return result;
}

/* Opens (creating it if need be) the node's state file and reads both slots into
 * `slots`, which the caller zeroed: a slot beyond the end of a short file stays zero, an
 * erased slot that does not decode. Returns the descriptor. */
static int open_state_file(const options *o, uint8_t slots[STATE_FILE_SIZE]) {
    char path[4096];
    size_t have = 0;
    int fd;
    if ((size_t)snprintf(path, sizeof path, "%s/node-%" PRIu32 ".state", o->state_dir, o->id) >=
        sizeof path) {
        fprintf(stderr, "udp_node: the state directory's path is too long\n");
        return -1;
    }
    fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
    if (fd >= 0) {
        /* A new file: make its directory entry durable too. */
        if (sync_directory(o->state_dir) != 0) {
            fprintf(stderr, "udp_node: cannot sync %s: %s\n", o->state_dir, strerror(errno));
            close(fd);
            return -1;
        }
    } else if (errno == EEXIST) {
        fd = open(path, O_RDWR);
    }
    if (fd < 0) {
        fprintf(stderr, "udp_node: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (have < STATE_FILE_SIZE) {
        ssize_t got = pread(fd, slots + have, STATE_FILE_SIZE - have, (off_t)have);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            fprintf(stderr, "udp_node: cannot read %s: %s\n", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (got == 0) {
            break; /* A short file: the slots it does not reach were never written. */
        }
        have += (size_t)got;
    }
    return fd;
}

static void describe_vote(const bw_durable_state *state, char *text, size_t len) {
    if (state->has_vote) {
        snprintf(text, len, "%" PRIu32, state->voted_for);
    } else {
        snprintf(text, len, "none");
    }
}

/* Writes `state` as the next A/B record, waits until it is on disk, and confirms it to the
 * node; exits on failure (the node must not send what the state covers without it). */
static void persist(udp_host *h, const bw_durable_state *state, uint64_t now) {
    uint8_t record[BW_RECORD_SIZE];
    bw_slot slot;
    bw_durable_state written;
    uint32_t sequence = 0;
    size_t done = 0;
    char vote[16];
    bw_result result = bw_slot_writer_write(&h->writer, state, record, sizeof record, &slot);
    if (result != BW_RESULT_OK) {
        fprintf(stderr, "udp_node: bw_slot_writer_write: %s\n", bw_result_str(result));
        exit(EXIT_FAILURE);
    }
    while (done < sizeof record) {
        ssize_t put = pwrite(h->state_fd, record + done, sizeof record - done,
                             (off_t)(slot * BW_RECORD_SIZE + done));
        if (put < 0 && errno == EINTR) {
            continue;
        }
        if (put <= 0) {
            fprintf(stderr, "udp_node: cannot write the state file: %s\n", strerror(errno));
            exit(EXIT_FAILURE);
        }
        done += (size_t)put;
    }
    while (fsync(h->state_fd) != 0) {
        if (errno != EINTR) {
            fprintf(stderr, "udp_node: cannot sync the state file: %s\n", strerror(errno));
            exit(EXIT_FAILURE);
        }
    }
    result = bw_node_confirm_persisted(h->node, state);
    if (result != BW_RESULT_OK) {
        fprintf(stderr, "udp_node: bw_node_confirm_persisted: %s\n", bw_result_str(result));
        exit(EXIT_FAILURE);
    }
    /* The record as written, read back through the decoder: its sequence number. */
    if (bw_record_decode(record, sizeof record, &written, &sequence) != BW_RESULT_OK) {
        fprintf(stderr, "udp_node: the record just written does not decode\n");
        exit(EXIT_FAILURE);
    }
    describe_vote(state, vote, sizeof vote);
    report(now, "persisted term %" PRIu64 " vote %s sequence %" PRIu32 " slot %s", state->term,
           vote, sequence, slot == BW_SLOT_A ? "A" : "B");
}

/* ---- The node ---- */

static void send_to(udp_host *h, const struct sockaddr_in *to, const uint8_t *bytes, size_t len) {
    ssize_t sent;
    do {
        sent = sendto(h->socket, bytes, len, 0, (const struct sockaddr *)to, sizeof *to);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) {
        /* UDP: a lost datagram is what the engine is built for. Log it and go on. */
        fprintf(stderr, "udp_node %" PRIu32 ": cannot send to %s: %s\n", h->options->id,
                describe_address(to), strerror(errno));
    }
}

static void report_event(udp_host *h, const bw_event *event, uint64_t now) {
    uint64_t value;
    char lease[24], fencing[24];
    switch (event->kind) {
    case BW_EVENT_KIND_LEADER_CHANGED:
        if (event->has_leader) {
            report(now, "leader %" PRIu32 " term %" PRIu64, event->leader, event->term);
        } else {
            report(now, "leader none term %" PRIu64, event->term);
        }
        break;
    case BW_EVENT_KIND_BECAME_LEADER:
        strcpy(lease, "none");
        strcpy(fencing, "none");
        if (bw_node_lease_until(h->node, &value) == BW_RESULT_OK) {
            snprintf(lease, sizeof lease, "%" PRIu64, value);
        }
        if (bw_node_fencing_token(h->node, &value) == BW_RESULT_OK) {
            snprintf(fencing, sizeof fencing, "%" PRIu64, value);
        }
        report(now, "became-leader term %" PRIu64 " lease-until %s fencing %s", event->term, lease,
               fencing);
        break;
    case BW_EVENT_KIND_STEPPED_DOWN:
        report(now, "stepped-down term %" PRIu64, event->term);
        break;
    default:
        report(now, "event kind %" PRIu32 " term %" PRIu64, (uint32_t)event->kind, event->term);
        break;
    }
}

/* Quorum: a line whenever bw_node_has_lease changes value, or the lease is extended. */
static void report_lease(udp_host *h, uint64_t now) {
    bool valid = false;
    uint64_t until = 0;
    if (h->options->algorithm != BW_ALGORITHM_QUORUM ||
        bw_node_has_lease(h->node, now, &valid) != BW_RESULT_OK) {
        return;
    }
    if (valid && bw_node_lease_until(h->node, &until) != BW_RESULT_OK) {
        valid = false; /* Cannot happen: a valid lease has an end. */
    }
    if (valid == h->lease_valid && (!valid || until == h->lease_until)) {
        return;
    }
    h->lease_valid = valid;
    h->lease_until = until;
    if (valid) {
        report(now, "lease valid until %" PRIu64 " until-mono %" PRIu64, until, origin_ms + until);
    } else {
        report(now, "lease invalid");
    }
}

/* A message written to buf: to its member, or to every other member. */
static void send_transmit(udp_host *h, const uint8_t *buf, const bw_transmit *transmit) {
    if (transmit->broadcast) {
        size_t i;
        for (i = 0; i < h->options->peer_count; i++) {
            if (h->options->peers[i].id != h->options->id) {
                send_to(h, &h->options->peers[i].address, buf, transmit->len);
            }
        }
    } else {
        const peer *to = find_peer(h->options, transmit->to);
        if (to != NULL) {
            send_to(h, &to->address, buf, transmit->len);
        } else {
            fprintf(stderr, "udp_node: a message for unknown node %" PRIu32 "\n", transmit->to);
        }
    }
}

/* After every input: the node's outputs, in the order it hands them out (the durable
 * state, then messages, then events), until the timeout that ends the drain. */
static void drain(udp_host *h, uint64_t now) {
    uint8_t buf[BW_MAX_MESSAGE_SIZE];
    bw_output out;
    do {
        bw_result result = bw_node_poll_output(h->node, buf, sizeof buf, &out);
        if (result != BW_RESULT_OK) {
            fprintf(stderr, "udp_node: bw_node_poll_output: %s\n", bw_result_str(result));
            exit(EXIT_FAILURE);
        }
        switch ((enum bw_output_kind)out.kind) {
        case BW_OUTPUT_KIND_PERSIST:
            persist(h, &out.persist, now); /* written, synced and confirmed */
            break;
        case BW_OUTPUT_KIND_TRANSMIT:
            send_transmit(h, buf, &out.transmit);
            break;
        case BW_OUTPUT_KIND_EVENT:
            report_event(h, &out.event, now);
            break;
        case BW_OUTPUT_KIND_TIMEOUT:
            h->wake = out.timeout;
            break;
        }
    } while (out.kind != BW_OUTPUT_KIND_TIMEOUT);
    report_lease(h, now);
}

static bool is_power_of_two(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

/* Reads every waiting datagram (up to a batch) and feeds each to the node. */
static void receive(udp_host *h) {
    uint8_t buf[RECEIVE_BUFFER];
    int i;
    for (i = 0; i < RECEIVE_BATCH; i++) {
        uint64_t now;
        bw_result result;
        ssize_t len = recvfrom(h->socket, buf, sizeof buf, 0, NULL, NULL);
        if (len < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                errno != ECONNREFUSED) {
                fprintf(stderr, "udp_node: recvfrom: %s\n", strerror(errno));
            }
            return;
        }
        now = now_ms();
        result = bw_node_handle_bytes(h->node, now, buf, (size_t)len);
        if (result != BW_RESULT_OK) {
            /* Not ours, or not a message at all: counted, reported, ignored. */
            h->rejected++;
            if (h->rejected <= 10 || is_power_of_two(h->rejected)) {
                printf("rejected code %" PRIu32 " total %" PRIu64 " at %" PRIu64 " mono %" PRIu64
                       " reason %s\n",
                       (uint32_t)result, h->rejected, now, origin_ms + now, bw_result_str(result));
                fflush(stdout);
            }
        }
        drain(h, now);
    }
}

/* Sets up the node: from the newest valid record on disk (quorum, persistent mode), or
 * afresh. */
static void start_node(udp_host *h, const bw_config *config, uint64_t now) {
    bw_result result;
    if (h->options->algorithm == BW_ALGORITHM_QUORUM && !h->options->volatile_state) {
        uint8_t slots[STATE_FILE_SIZE];
        const uint8_t *slot_b = slots + BW_RECORD_SIZE;
        bw_recovered recovered;
        memset(slots, 0, sizeof slots);
        h->state_fd = open_state_file(h->options, slots);
        if (h->state_fd < 0) {
            exit(EXIT_FAILURE);
        }
        /* Each slot is passed whole (BW_RECORD_SIZE bytes): any other length is refused
         * with BW_RESULT_RECORD_WRONG_LENGTH rather than taken for an erased slot. */
        result = bw_slot_writer_resume(slots, BW_RECORD_SIZE, slot_b, BW_RECORD_SIZE, &h->writer);
        if (result != BW_RESULT_OK) {
            fprintf(stderr, "udp_node: bw_slot_writer_resume: %s\n", bw_result_str(result));
            exit(EXIT_FAILURE);
        }
        result = bw_record_recover(slots, BW_RECORD_SIZE, slot_b, BW_RECORD_SIZE, &recovered);
        if (result == BW_RESULT_OK) {
            char vote[16];
            result = bw_node_restore(node_memory.bytes, sizeof node_memory.bytes, config, now,
                                     &recovered.state, &h->node);
            if (result != BW_RESULT_OK) {
                fprintf(stderr, "udp_node: bw_node_restore: %s\n", bw_result_str(result));
                exit(EXIT_FAILURE);
            }
            describe_vote(&recovered.state, vote, sizeof vote);
            report(now, "restored term %" PRIu64 " vote %s sequence %" PRIu32 " slot %s",
                   recovered.state.term, vote, recovered.sequence,
                   recovered.slot == BW_SLOT_A ? "A" : "B");
            return;
        }
        if (result != BW_RESULT_NO_VALID_RECORD) {
            fprintf(stderr, "udp_node: bw_record_recover: %s\n", bw_result_str(result));
            exit(EXIT_FAILURE);
        }
        /* No valid record: this node never completed a write, so it never sent anything
         * that depended on one; it starts as a new node. */
        report(now, "fresh-state");
    }
    result = bw_node_init(node_memory.bytes, sizeof node_memory.bytes, config, now, &h->node);
    if (result != BW_RESULT_OK) {
        fprintf(stderr, "udp_node: bw_node_init: %s\n", bw_result_str(result));
        exit(EXIT_FAILURE);
    }
}

static int open_socket(const struct sockaddr_in *address) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        perror("udp_node: socket");
        exit(EXIT_FAILURE);
    }
    if (bind(fd, (const struct sockaddr *)address, sizeof *address) != 0) {
        fprintf(stderr, "udp_node: cannot bind %s: %s\n", describe_address(address),
                strerror(errno));
        exit(EXIT_BIND);
    }
    if (set_nonblocking(fd) != 0) {
        perror("udp_node: fcntl");
        exit(EXIT_FAILURE);
    }
    return fd;
}

/* ---- Multi-group mode ---- */

/* The node, its group slots and its queue: caller memory, borrowed by the node for as
 * long as it runs, so static. */
static bw_multi_storage multi_memory;
static bw_group_slot multi_slots[MULTI_MAX_GROUPS];
static bw_queued_item multi_queue[MULTI_QUEUE];
/* The groups' latest records (in memory only: see the header comment). */
static bw_group_record multi_records[MULTI_MAX_GROUPS];

typedef struct {
    const options *options;
    bw_multi *multi;
    int socket;
    uint64_t rejected;
    /* When the node next needs bw_multi_handle_timeout. */
    bool has_deadline;
    uint64_t deadline;
    /* The groups this node is a member of, and the last summary printed. */
    size_t held, with_leader, leading;
    bool reported;
} multi_host;

static void multi_fail(const char *call, bw_result result) {
    fprintf(stderr, "udp_node: %s: %s\n", call, bw_result_str(result));
    exit(EXIT_FAILURE);
}

/* The members of group g: the peers at positions g, g+1, g+2 (mod the peer count), or
 * every peer if there are fewer than three. Returns how many. */
static size_t multi_members(const options *o, uint32_t group, uint32_t members[3]) {
    size_t count = o->peer_count < 3 ? o->peer_count : 3;
    size_t k;
    for (k = 0; k < count; k++) {
        members[k] = o->peers[(group + k) % o->peer_count].id;
    }
    return count;
}

/* A "groups" line whenever the number of groups with a known leader, or led here,
 * changes. */
static void multi_report(multi_host *h, uint64_t now) {
    size_t with_leader = 0, leading = 0;
    uint32_t g, leader;
    bw_result result;
    for (g = 0; g < h->options->groups; g++) {
        result = bw_multi_leader(h->multi, (uint16_t)g, &leader);
        if (result == BW_RESULT_OK) {
            with_leader++;
        } else if (result != BW_RESULT_EMPTY && result != BW_RESULT_NO_SUCH_GROUP) {
            multi_fail("bw_multi_leader", result);
        }
    }
    result = bw_multi_leading(h->multi, &leading);
    if (result != BW_RESULT_OK) {
        multi_fail("bw_multi_leading", result);
    }
    if (h->reported && with_leader == h->with_leader && leading == h->leading) {
        return;
    }
    h->reported = true;
    h->with_leader = with_leader;
    h->leading = leading;
    report(now, "groups held %zu with-leader %zu leading %zu", h->held, with_leader, leading);
}

/* After every input: the records to persist (kept in memory, then confirmed), the
 * datagrams, the events, and the next deadline. */
static void multi_drain(multi_host *h, uint64_t now) {
    static uint8_t buf[MULTI_DATAGRAM];
    bw_group_record records[BW_MULTI_PERSIST_BATCH];
    bw_group_event event;
    bw_transmit transmit;
    size_t count, i;
    bw_result result;
    bool changed = false;
    while ((result = bw_multi_poll_persist(h->multi, records, BW_MULTI_PERSIST_BATCH, &count)) ==
           BW_RESULT_OK) {
        for (i = 0; i < count; i++) {
            multi_records[records[i].group] = records[i];
        }
        /* A real host writes and syncs the batch here, then confirms. */
        result = bw_multi_confirm_persisted(h->multi);
        if (result != BW_RESULT_OK) {
            multi_fail("bw_multi_confirm_persisted", result);
        }
    }
    if (result != BW_RESULT_EMPTY) {
        multi_fail("bw_multi_poll_persist", result);
    }
    while ((result = bw_multi_poll_transmit(h->multi, now, buf, sizeof buf, &transmit)) ==
           BW_RESULT_OK) {
        const peer *to = find_peer(h->options, transmit.to);
        if (to != NULL) {
            ssize_t sent;
            do {
                sent = sendto(h->socket, buf, transmit.len, 0, (const struct sockaddr *)&to->address,
                              sizeof to->address);
            } while (sent < 0 && errno == EINTR);
            if (sent < 0) {
                fprintf(stderr, "udp_node %" PRIu32 ": cannot send to %s: %s\n", h->options->id,
                        describe_address(&to->address), strerror(errno));
            }
        }
    }
    if (result != BW_RESULT_EMPTY) {
        multi_fail("bw_multi_poll_transmit", result);
    }
    while ((result = bw_multi_poll_event(h->multi, &event)) == BW_RESULT_OK) {
        changed = true;
    }
    if (result != BW_RESULT_EMPTY) {
        multi_fail("bw_multi_poll_event", result);
    }
    result = bw_multi_poll_timeout(h->multi, &h->deadline);
    h->has_deadline = result == BW_RESULT_OK;
    if (result != BW_RESULT_OK && result != BW_RESULT_EMPTY) {
        multi_fail("bw_multi_poll_timeout", result);
    }
    if (changed || !h->reported) {
        multi_report(h, now);
    }
}

static void multi_receive(multi_host *h) {
    uint8_t buf[RECEIVE_BUFFER];
    int i;
    for (i = 0; i < RECEIVE_BATCH; i++) {
        uint64_t now;
        bw_result result;
        ssize_t len = recvfrom(h->socket, buf, sizeof buf, 0, NULL, NULL);
        if (len < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                errno != ECONNREFUSED) {
                fprintf(stderr, "udp_node: recvfrom: %s\n", strerror(errno));
            }
            return;
        }
        now = now_ms();
        result = bw_multi_handle_bytes(h->multi, now, buf, (size_t)len);
        if (result != BW_RESULT_OK) {
            h->rejected++;
            if (h->rejected <= 10 || is_power_of_two(h->rejected)) {
                printf("rejected code %" PRIu32 " total %" PRIu64 " at %" PRIu64 " mono %" PRIu64
                       " reason %s\n",
                       (uint32_t)result, h->rejected, now, origin_ms + now, bw_result_str(result));
                fflush(stdout);
            }
        }
        multi_drain(h, now);
    }
}

/* Multi-group mode: sets up the node and its groups, then the same poll() loop as the
 * single-group mode. Returns the exit status. */
static int run_multi(const options *o, int socket_fd, const struct sockaddr_in *address) {
    static uint32_t nodes[BW_MAX_MEMBERS];
    multi_host h;
    bw_multi_config config;
    bw_result result;
    uint64_t now;
    uint32_t g;
    size_t i;
    bool stdin_open = o->exit_on_stdin_eof;

    memset(&h, 0, sizeof h);
    h.options = o;
    h.socket = socket_fd;
    for (i = 0; i < o->peer_count; i++) {
        nodes[i] = o->peers[i].id;
    }
    result = bw_multi_config_init(&config, sizeof config);
    if (result != BW_RESULT_OK) {
        multi_fail("bw_multi_config_init", result);
    }
    config.id = o->id;
    config.nodes = nodes;
    config.nodes_len = o->peer_count;
    config.cluster = o->group;
    config.datagram_size = MULTI_DATAGRAM;
    config.seed = o->has_seed ? o->seed : o->id;
    config.incarnation = (uint32_t)(origin_ms ^ ((uint64_t)getpid() << 16));
    if (o->has_heartbeat) config.heartbeat_interval = o->heartbeat;
    if (o->has_failure_timeout) config.election_timeout = o->failure_timeout;

    now = now_ms();
    for (g = 0; g < o->groups; g++) {
        uint32_t members[3];
        size_t count = multi_members(o, g, members), k;
        for (k = 0; k < count; k++) {
            if (members[k] == o->id) {
                h.held++;
            }
        }
    }
    report(now,
           "start id %" PRIu32 " mode multi groups %" PRIu32 " held %zu members %zu address %s "
           "version %s",
           o->id, o->groups, h.held, o->peer_count, describe_address(address), bw_version());
    report(now, "config heartbeat %" PRIu64 " election-timeout %" PRIu64 " datagram-size %zu",
           config.heartbeat_interval, config.election_timeout, config.datagram_size);
    result = bw_multi_init(&multi_memory, sizeof multi_memory, &config, multi_slots, o->groups,
                           multi_queue, MULTI_QUEUE, now, &h.multi);
    if (result != BW_RESULT_OK) {
        multi_fail("bw_multi_init", result);
    }
    for (g = 0; g < o->groups; g++) {
        uint32_t members[3];
        size_t count = multi_members(o, g, members), k;
        for (k = 0; k < count; k++) {
            if (members[k] != o->id) {
                continue;
            }
            result = bw_multi_add_group(h.multi, now, (uint16_t)g, members, count,
                                        BW_MULTI_DEFAULT_PREFERRED);
            if (result != BW_RESULT_OK) {
                multi_fail("bw_multi_add_group", result);
            }
        }
    }
    multi_drain(&h, now);

    while (!stop_signal) {
        struct pollfd fds[3];
        int timeout = MAX_WAIT_MS;
        int ready;

        now = now_ms();
        if (h.has_deadline && h.deadline <= now) {
            result = bw_multi_handle_timeout(h.multi, now);
            if (result != BW_RESULT_OK) {
                multi_fail("bw_multi_handle_timeout", result);
            }
            multi_drain(&h, now);
        }
        if (h.has_deadline) {
            uint64_t wait = h.deadline > now ? h.deadline - now : 1;
            if (wait < (uint64_t)timeout) {
                timeout = (int)wait;
            }
        }
        fds[0].fd = h.socket;
        fds[0].events = POLLIN;
        fds[1].fd = signal_pipe[0];
        fds[1].events = POLLIN;
        fds[2].fd = stdin_open ? STDIN_FILENO : -1;
        fds[2].events = POLLIN;
        fds[0].revents = fds[1].revents = fds[2].revents = 0;
        ready = poll(fds, 3, timeout);
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("udp_node: poll");
            return EXIT_FAILURE;
        }
        if (fds[1].revents != 0) {
            break;
        }
        if (fds[2].revents != 0) {
            char discard[256];
            ssize_t got = read(STDIN_FILENO, discard, sizeof discard);
            if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
                report(now_ms(), "exit stdin-closed rejected %" PRIu64, h.rejected);
                close(h.socket);
                return EXIT_SUCCESS;
            }
        }
        if (fds[0].revents != 0) {
            multi_receive(&h);
        }
    }
    report(now_ms(), "exit signal %d rejected %" PRIu64, (int)stop_signal, h.rejected);
    close(h.socket);
    return EXIT_SUCCESS;
}

int main(int argc, char **argv) {
    options o;
    udp_host h;
    bw_member members[BW_MAX_MEMBERS];
    bw_config config;
    bw_result result;
    const struct sockaddr_in *address;
    char version[32];
    size_t i;
    uint64_t now;
    bool stdin_open;

    origin_ms = monotonic_ms();
    setvbuf(stdout, NULL, _IOLBF, 0);
    parse_options(argc, argv, &o);

    snprintf(version, sizeof version, "%d.%d.%d", BELLWETHER_VERSION_MAJOR,
             BELLWETHER_VERSION_MINOR, BELLWETHER_VERSION_PATCH);
    if (strcmp(version, bw_version()) != 0) {
        fprintf(stderr, "udp_node: built against bellwether.h %s but linked with %s\n", version,
                bw_version());
        return EXIT_FAILURE;
    }

    for (i = 0; i < o.peer_count; i++) {
        members[i].id = o.peers[i].id;
        members[i].priority = 0;
        members[i].candidate = true;
    }
    result = bw_config_init(&config, sizeof config, o.algorithm);
    if (result != BW_RESULT_OK) {
        fprintf(stderr, "udp_node: bw_config_init: %s\n", bw_result_str(result));
        return EXIT_FAILURE;
    }
    config.group = o.group;
    config.node = o.id;
    config.members = members;
    config.members_len = o.peer_count;
    config.seed = o.has_seed ? o.seed : o.id;
    if (o.has_heartbeat) config.heartbeat_interval = o.heartbeat;
    if (o.has_failure_timeout) config.failure_timeout = o.failure_timeout;
    if (o.has_jitter) config.failure_jitter = o.jitter;
    if (o.has_round_trip) config.round_trip_timeout = o.round_trip;
    if (o.has_lease) config.lease = o.lease;
    if (o.volatile_state) config.durability = BW_DURABILITY_VOLATILE;

    address = o.has_bind ? &o.bind : NULL;
    if (address == NULL) {
        const peer *self = find_peer(&o, o.id);
        if (self == NULL) {
            usage("this node's own --peer entry (or --bind) gives the address to bind");
        }
        address = &self->address;
    }

    memset(&h, 0, sizeof h);
    h.options = &o;
    h.state_fd = -1;
    if (install_signal_handlers() != 0) {
        perror("udp_node: signal handlers");
        return EXIT_FAILURE;
    }
    h.socket = open_socket(address);
    if (o.groups > 0) {
        return run_multi(&o, h.socket, address);
    }

    now = now_ms();
    report(now,
           "start id %" PRIu32 " algorithm %s group %" PRIu32 " members %zu address %s version %s",
           o.id, o.algorithm_name, o.group, o.peer_count, describe_address(address),
           bw_version());
    report(now,
           "config heartbeat %" PRIu64 " failure-timeout %" PRIu64 " jitter %" PRIu64
           " round-trip %" PRIu64 " tie-breaker-step %" PRIu64 " invite-interval %" PRIu64
           " successors %u lease %" PRIu64 " drift-ppm %" PRIu32 " durability %s",
           config.heartbeat_interval, config.failure_timeout, config.failure_jitter,
           config.round_trip_timeout, config.tie_breaker_step, config.invite_interval,
           (unsigned)config.successors, config.lease, config.clock_drift_ppm,
           o.algorithm != BW_ALGORITHM_QUORUM ? "none"
           : o.volatile_state                 ? "volatile"
                                              : "persistent");
    start_node(&h, &config, now);
    drain(&h, now);

    stdin_open = o.exit_on_stdin_eof;
    while (!stop_signal) {
        struct pollfd fds[3];
        int timeout = MAX_WAIT_MS;
        int ready;

        now = now_ms();
        if (h.wake.has_deadline && h.wake.deadline <= now) {
            bw_node_handle_timeout(h.node, now);
            drain(&h, now);
        }
        report_lease(&h, now);
        if (h.wake.has_deadline) {
            /* A deadline still due right after handle_timeout would be an engine bug:
             * wait a millisecond rather than spin. */
            uint64_t wait = h.wake.deadline > now ? h.wake.deadline - now : 1;
            if (wait < (uint64_t)timeout) {
                timeout = (int)wait;
            }
        }

        fds[0].fd = h.socket;
        fds[0].events = POLLIN;
        fds[1].fd = signal_pipe[0];
        fds[1].events = POLLIN;
        fds[2].fd = stdin_open ? STDIN_FILENO : -1;
        fds[2].events = POLLIN;
        fds[0].revents = fds[1].revents = fds[2].revents = 0;
        ready = poll(fds, 3, timeout);
        if (ready < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("udp_node: poll");
            return EXIT_FAILURE;
        }
        if (fds[1].revents != 0) {
            break; /* SIGTERM or SIGINT: stop_signal is set. */
        }
        if (fds[2].revents != 0) {
            char discard[256];
            ssize_t got = read(STDIN_FILENO, discard, sizeof discard);
            if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
                report(now_ms(), "exit stdin-closed rejected %" PRIu64, h.rejected);
                return EXIT_SUCCESS;
            }
        }
        if (fds[0].revents != 0) {
            receive(&h);
        }
    }
    report(now_ms(), "exit signal %d rejected %" PRIu64, (int)stop_signal, h.rejected);
    close(h.socket);
    if (h.state_fd >= 0) {
        close(h.state_fd);
    }
    return EXIT_SUCCESS;
}
