/* The harness declared in check.h. */
#include "check.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const bw_result ALL_RESULTS[] = {
    BW_RESULT_OK,
    BW_RESULT_EMPTY,
    BW_RESULT_NULL_POINTER,
    BW_RESULT_BUFFER_TOO_SMALL,
    BW_RESULT_MEMORY_TOO_SMALL,
    BW_RESULT_MEMORY_MISALIGNED,
    BW_RESULT_INVALID_ARGUMENT,
    BW_RESULT_NO_MEMBERS,
    BW_RESULT_TOO_MANY_MEMBERS,
    BW_RESULT_DUPLICATE_MEMBER,
    BW_RESULT_SELF_NOT_MEMBER,
    BW_RESULT_INVALID_TIMING,
    BW_RESULT_TIE_BREAKER_STEP_TOO_SHORT,
    BW_RESULT_ZERO_INVITE_INTERVAL,
    BW_RESULT_ORDINARY_MEMBERS_UNSUPPORTED,
    BW_RESULT_DRIFT_BOUND_TOO_LARGE,
    BW_RESULT_LEASE_TOO_LONG,
    BW_RESULT_NO_CANDIDATE,
    BW_RESULT_TOO_MANY_SUCCESSORS,
    BW_RESULT_CONFIG_SIZE,
    BW_RESULT_UNSUPPORTED_OPTION,
    BW_RESULT_NO_AUTHENTICATOR,
    BW_RESULT_BAD_TAG_LENGTH,
    BW_RESULT_NOTHING_TO_RESTORE,
    BW_RESULT_VOTE_FOR_NON_MEMBER,
    BW_RESULT_RESTORED_TERM_OUT_OF_RANGE,
    BW_RESULT_TRUNCATED,
    BW_RESULT_UNSUPPORTED_VERSION,
    BW_RESULT_UNKNOWN_KIND,
    BW_RESULT_OVERSIZED,
    BW_RESULT_TRAILING_BYTES,
    BW_RESULT_MALFORMED,
    BW_RESULT_WRONG_GROUP,
    BW_RESULT_UNKNOWN_SENDER,
    BW_RESULT_FROM_SELF,
    BW_RESULT_MISADDRESSED,
    BW_RESULT_TERM_OUT_OF_RANGE,
    BW_RESULT_BAD_CHECKSUM,
    BW_RESULT_WRONG_ENVELOPE,
    BW_RESULT_BAD_MAC,
    BW_RESULT_UNKNOWN_KEY,
    BW_RESULT_REPLAY,
    BW_RESULT_UNSYNCHRONISED,
    BW_RESULT_NOT_QUORUM,
    BW_RESULT_NOT_LEADER,
    BW_RESULT_UNKNOWN_MEMBER,
    BW_RESULT_TO_SELF,
    BW_RESULT_NOT_CANDIDATE,
    BW_RESULT_NOT_CURRENT,
    BW_RESULT_RECORD_WRONG_LENGTH,
    BW_RESULT_RECORD_BAD_MAGIC,
    BW_RESULT_RECORD_UNSUPPORTED_VERSION,
    BW_RESULT_RECORD_BAD_CHECKSUM,
    BW_RESULT_RECORD_MALFORMED,
    BW_RESULT_NO_VALID_RECORD,
    BW_RESULT_UNKNOWN_NODE,
    BW_RESULT_GROUP_SIZE,
    BW_RESULT_NO_SUCH_GROUP,
    BW_RESULT_GROUP_IN_USE,
    BW_RESULT_DATAGRAM_SIZE,
    BW_RESULT_QUEUE_TOO_SMALL,
    BW_RESULT_BAD_PREFERRED,
    BW_RESULT_NO_TRANSFER,
    BW_RESULT_TOO_MANY_GROUPS,
    BW_RESULT_UNKNOWN,
};
const size_t ALL_RESULTS_COUNT = sizeof ALL_RESULTS / sizeof ALL_RESULTS[0];

/* Codes are below 100; `produced[code]` says a CHECK_RC saw it. */
#define MAX_CODE 100
static bool produced[MAX_CODE];

bool result_was_produced(bw_result code) {
    return code < MAX_CODE && produced[code];
}

/* Where a failed check jumps to: the runner, which goes on with the next scenario. */
static jmp_buf scenario_end;
static bool in_scenario;

/* What the scenario is doing, from check_context; empty when nothing was said. */
static char context[256];

void check_context(const char *format, ...) {
    va_list arguments;
    context[0] = '\0';
    if (format == NULL) {
        return;
    }
    va_start(arguments, format);
    vsnprintf(context, sizeof context, format, arguments);
    va_end(arguments);
}

void check_failed(const char *file, int line, const char *expression, const char *detail) {
    printf("%s:%d: check failed: %s%s%s%s%s\n", file, line, expression,
            detail != NULL ? "\n    " : "", detail != NULL ? detail : "",
            context[0] != '\0' ? "\n    while: " : "", context);
    fflush(stdout);
    if (in_scenario) {
        longjmp(scenario_end, 1);
    }
    /* A check outside any scenario: nothing to return to. */
    exit(1);
}

const char *test_format(const char *format, ...) {
    static char text[1024];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(text, sizeof text, format, arguments);
    va_end(arguments);
    return text;
}

void check_result(const char *file, int line, const char *call, bw_result actual,
                  bw_result expected) {
    if (actual != expected) {
        check_failed(file, line, call,
                     test_format("returned %u (%s), expected %u (%s)", (unsigned)actual,
                                 bw_result_str(actual), (unsigned)expected,
                                 bw_result_str(expected)));
    }
    if (actual < MAX_CODE) {
        produced[actual] = true;
    }
}

void check_equal(const char *file, int line, const char *expression, uint64_t actual,
                 uint64_t expected) {
    if (actual != expected) {
        check_failed(file, line, expression,
                     test_format("left is %llu (0x%llx), right is %llu (0x%llx)",
                                 (unsigned long long)actual, (unsigned long long)actual,
                                 (unsigned long long)expected, (unsigned long long)expected));
    }
}

void fill_sentinel(void *object, size_t size) {
    memset(object, SENTINEL_BYTE, size);
}

bool is_sentinel(const void *object, size_t size) {
    const uint8_t *bytes = (const uint8_t *)object;
    size_t i;
    for (i = 0; i < size; i++) {
        if (bytes[i] != SENTINEL_BYTE) {
            return false;
        }
    }
    return true;
}

void check_untouched(const char *file, int line, const char *name, const void *object,
                     size_t size) {
    const uint8_t *bytes = (const uint8_t *)object;
    size_t i;
    for (i = 0; i < size; i++) {
        if (bytes[i] != SENTINEL_BYTE) {
            check_failed(file, line, name,
                         test_format("an output was written on error: byte %zu of %zu is "
                                     "0x%02x, not the sentinel 0x%02x",
                                     i, size, bytes[i], SENTINEL_BYTE));
        }
    }
}

uint8_t *node_memory_bytes(node_memory *memory) {
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
    uint8_t *bytes = memory->bytes;
#else
    uint8_t *bytes = memory->u.bytes;
#endif
    CHECK((uintptr_t)bytes % BW_NODE_ALIGN == 0);
    return bytes;
}

static bool selected(const char *name, int filter_count, char **filters) {
    int i;
    if (filter_count == 0) {
        return true;
    }
    for (i = 0; i < filter_count; i++) {
        if (strstr(name, filters[i]) != NULL) {
            return true;
        }
    }
    return false;
}

size_t run_scenarios(const scenario *scenarios, size_t count, int filter_count,
                     char **filters) {
    /* Static: a longjmp must not find these in registers (C99 7.13.2.1). */
    static size_t failed;
    static size_t i;
    failed = 0;
    for (i = 0; i < count; i++) {
        if (!selected(scenarios[i].name, filter_count, filters)) {
            continue;
        }
        in_scenario = true;
        context[0] = '\0';
        if (setjmp(scenario_end) == 0) {
            scenarios[i].run();
            printf("ok      %s\n", scenarios[i].name);
        } else {
            failed++;
            printf("FAILED  %s\n", scenarios[i].name);
        }
        in_scenario = false;
        fflush(stdout);
    }
    return failed;
}
