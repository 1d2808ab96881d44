/*
 * The C tests' tiny harness: checks that print file:line and the failing expression, the
 * sentinel helpers that prove an output was left untouched, aligned node memory, and the
 * scenario runner (harness.c).
 *
 * A failed check ends the current scenario (longjmp back to the runner), which then runs
 * the next one; the program exits non-zero if any scenario failed.
 */
#ifndef BELLWETHER_TESTS_CHECK_H
#define BELLWETHER_TESTS_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bellwether.h"

#if defined(__GNUC__)
#define TEST_NORETURN __attribute__((noreturn))
#else
#define TEST_NORETURN
#endif

/* ---- Checks ---- */

/* Reports a failed check and ends the current scenario. */
TEST_NORETURN void check_failed(const char *file, int line, const char *expression,
                                const char *detail);

/* Checks a call's result code (and records that the code was produced, see below). */
void check_result(const char *file, int line, const char *call, bw_result actual,
                  bw_result expected);

/* Checks two integers for equality, printing both on failure. */
void check_equal(const char *file, int line, const char *expression, uint64_t actual,
                 uint64_t expected);

/* Checks that `size` bytes at `object` still hold the sentinel. */
void check_untouched(const char *file, int line, const char *name, const void *object,
                     size_t size);

#define CHECK(expression)                                                                  \
    ((expression) ? (void)0 : check_failed(__FILE__, __LINE__, #expression, NULL))
#define CHECK_RC(call, expected) check_result(__FILE__, __LINE__, #call, (call), (expected))
#define CHECK_OK(call) CHECK_RC(call, BW_RESULT_OK)
#define CHECK_EQ(actual, expected)                                                         \
    check_equal(__FILE__, __LINE__, #actual " == " #expected, (uint64_t)(actual),           \
                (uint64_t)(expected))
/* Fails with a formatted explanation (printf-style, at most 1 KiB). */
#define FAIL(...) check_failed(__FILE__, __LINE__, "FAIL", test_format(__VA_ARGS__))

/* Says what the current scenario is doing (printf-style), printed with any failure
 * until the scenario ends or the context is set again; NULL clears it. */
void check_context(const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

const char *test_format(const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* ---- Sentinels: an output pre-filled with SENTINEL_BYTE must still hold it after an
 * error (the API writes outputs only on BW_RESULT_OK) ---- */

#define SENTINEL_BYTE 0xA5

void fill_sentinel(void *object, size_t size);
bool is_sentinel(const void *object, size_t size);

#define SENTINEL(object) fill_sentinel(&(object), sizeof(object))
#define CHECK_UNTOUCHED(object)                                                            \
    check_untouched(__FILE__, __LINE__, #object, &(object), sizeof(object))

/* ---- Result codes ---- */

/* Every code the header defines, in order, and how many there are. */
extern const bw_result ALL_RESULTS[];
extern const size_t ALL_RESULTS_COUNT;

/* Whether some CHECK_RC saw `code` returned (as expected) since the program started. */
bool result_was_produced(bw_result code);

/* ---- Node memory ---- */

/* BW_NODE_SIZE bytes aligned to BW_NODE_ALIGN, plus BW_NODE_ALIGN spare bytes so that a
 * test can offset the start: with _Alignas in C11, with a union of the most-aligned scalar
 * types in C99 (node_memory_bytes checks the alignment at run time). */
#define NODE_MEMORY_CAPACITY (BW_NODE_SIZE + BW_NODE_ALIGN)
typedef struct {
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
    _Alignas(BW_NODE_ALIGN) uint8_t bytes[NODE_MEMORY_CAPACITY];
#else
    union {
        uint8_t bytes[NODE_MEMORY_CAPACITY];
        uint64_t align_u64;
        double align_double;
        long double align_long_double;
        void *align_pointer;
    } u;
#endif
} node_memory;

/* The bytes of `memory`, checked to be aligned to BW_NODE_ALIGN. */
uint8_t *node_memory_bytes(node_memory *memory);

/* ---- Scenarios ---- */

typedef struct {
    const char *name;
    void (*run)(void);
} scenario;

/* The scenario tables of the test files. */
extern const scenario ARGUMENT_SCENARIOS[];
extern const size_t ARGUMENT_SCENARIO_COUNT;
extern const scenario MESSAGE_SCENARIOS[];
extern const size_t MESSAGE_SCENARIO_COUNT;
extern const scenario ELECTION_SCENARIOS[];
extern const size_t ELECTION_SCENARIO_COUNT;
extern const scenario QUORUM_SCENARIOS[];
extern const size_t QUORUM_SCENARIO_COUNT;
extern const scenario RECORD_SCENARIOS[];
extern const size_t RECORD_SCENARIO_COUNT;
extern const scenario OUTPUT_SCENARIOS[];
extern const size_t OUTPUT_SCENARIO_COUNT;
extern const scenario PROTECTION_SCENARIOS[];
extern const size_t PROTECTION_SCENARIO_COUNT;
extern const scenario MULTIGROUP_SCENARIOS[];
extern const size_t MULTIGROUP_SCENARIO_COUNT;

/* Runs the scenarios whose name contains one of `filters` (all when there are none);
 * returns how many failed. Prints one line per scenario. */
size_t run_scenarios(const scenario *scenarios, size_t count, int filter_count,
                     char **filters);

#endif /* BELLWETHER_TESTS_CHECK_H */
