/*
 * The C test suite of bellwether's C API (include/bellwether.h), built and run by
 * ffi/tests/c_api.rs (gcc and clang, C99 and C11, sanitizers, static and shared library)
 * and by .ci/valgrind-c-tests.sh.
 *
 *     c_tests [NAME-FILTER...]    runs the scenarios whose name contains a filter (all by
 *                                 default); exits 1 if any failed.
 *
 * Where each result code is produced (the last scenario checks that every code but
 * BW_RESULT_UNKNOWN was returned by some CHECK_RC of the full run):
 *
 *   BW_RESULT_OK                     everywhere
 *   BW_RESULT_EMPTY                  transmit: an empty queue writes nothing; quorum: lease
 *                                    and fencing token EMPTY on followers; poll_persist,
 *                                    on every algorithm
 *   BW_RESULT_NULL_POINTER           null pointers: bw_node_init and bw_node_restore /
 *                                    every node call / record functions; memory: checks
 *                                    in order; output: NULL pointers
 *   BW_RESULT_BUFFER_TOO_SMALL       transmit: short buffers keep the message queued;
 *                                    records: encode needs BW_RECORD_SIZE bytes; output:
 *                                    a short buffer keeps the message queued
 *   BW_RESULT_MEMORY_TOO_SMALL       memory: NULL, too small, misaligned
 *   BW_RESULT_MEMORY_MISALIGNED      memory: NULL, too small, misaligned
 *   BW_RESULT_INVALID_ARGUMENT       config: bw_config_init ... refuses unknown algorithms;
 *                                    config: every config error code (enum values);
 *                                    records: a writer slot other than A or B
 *   BW_RESULT_NO_MEMBERS             config: every config error code
 *   BW_RESULT_TOO_MANY_MEMBERS           "
 *   BW_RESULT_DUPLICATE_MEMBER           "
 *   BW_RESULT_SELF_NOT_MEMBER            "
 *   BW_RESULT_INVALID_TIMING             "
 *   BW_RESULT_TIE_BREAKER_STEP_TOO_SHORT "
 *   BW_RESULT_ZERO_INVITE_INTERVAL       "
 *   BW_RESULT_ORDINARY_MEMBERS_UNSUPPORTED "
 *   BW_RESULT_DRIFT_BOUND_TOO_LARGE      "
 *   BW_RESULT_LEASE_TOO_LONG             "
 *   BW_RESULT_NO_CANDIDATE               "
 *   BW_RESULT_TOO_MANY_SUCCESSORS        "
 *   BW_RESULT_CONFIG_SIZE            config: struct_size
 *   BW_RESULT_UNSUPPORTED_OPTION     config: a newer header's options; protection:
 *                                    config fields
 *   BW_RESULT_NO_AUTHENTICATOR       protection: config fields; multigroup:
 *                                    authentication arguments and config fields
 *   BW_RESULT_BAD_TAG_LENGTH             "
 *   BW_RESULT_NOTHING_TO_RESTORE     quorum: restore refusals; quorum: volatile mode
 *   BW_RESULT_VOTE_FOR_NON_MEMBER    quorum: restore refusals; memory: a failed init ...
 *   BW_RESULT_RESTORED_TERM_OUT_OF_RANGE  quorum: restore refusals; memory: a failed ...
 *   BW_RESULT_TRUNCATED              receive: zero-length and cut messages
 *   BW_RESULT_UNSUPPORTED_VERSION    receive: unknown wire versions
 *   BW_RESULT_UNKNOWN_KIND           receive: unknown kinds
 *   BW_RESULT_OVERSIZED              receive: OVERSIZED and TRAILING_BYTES
 *   BW_RESULT_TRAILING_BYTES         receive: OVERSIZED and TRAILING_BYTES
 *   BW_RESULT_MALFORMED              receive: malformed fields
 *   BW_RESULT_WRONG_GROUP            receive: wrong group, unknown sender, from self, ...
 *   BW_RESULT_UNKNOWN_SENDER             "
 *   BW_RESULT_FROM_SELF                  "
 *   BW_RESULT_MISADDRESSED               "
 *   BW_RESULT_TERM_OUT_OF_RANGE      receive: terms above BW_MAX_TERM
 *   BW_RESULT_BAD_CHECKSUM           protection: a corrupted checksummed datagram
 *   BW_RESULT_WRONG_ENVELOPE         protection: a forged datagram ...; a corrupted ...
 *   BW_RESULT_BAD_MAC                protection: a forged datagram ...; multigroup: a
 *                                    replay, a foreign key, ...
 *   BW_RESULT_UNKNOWN_KEY            protection: a forged datagram ... (a retired key);
 *                                    NULL pointers and short keys (a callback refusing)
 *   BW_RESULT_REPLAY                 protection: a forged datagram ...; multigroup: a
 *                                    replay, a foreign key, ...
 *   BW_RESULT_UNSYNCHRONISED         protection: a forged datagram ...; every
 *                                    authenticated cluster
 *   BW_RESULT_NOT_QUORUM             quorum: quorum-only calls on the other algorithms
 *   BW_RESULT_NOT_LEADER             quorum: transfer refusals
 *   BW_RESULT_UNKNOWN_MEMBER             "
 *   BW_RESULT_TO_SELF                    "
 *   BW_RESULT_NOT_CANDIDATE              "
 *   BW_RESULT_NOT_CURRENT            quorum: messages wait until ... confirmed; an older
 *                                    confirmed state; volatile mode; other algorithms
 *   BW_RESULT_RECORD_WRONG_LENGTH    records: every decode error code; recover with ...
 *   BW_RESULT_RECORD_BAD_MAGIC       records: every decode error code
 *   BW_RESULT_RECORD_UNSUPPORTED_VERSION "
 *   BW_RESULT_RECORD_BAD_CHECKSUM        "
 *   BW_RESULT_RECORD_MALFORMED           "
 *   BW_RESULT_NO_VALID_RECORD        records: recover with no valid record
 *   BW_RESULT_UNKNOWN_NODE           multigroup: group refusals; a leader hands a group
 *                                    over
 *   BW_RESULT_GROUP_SIZE             multigroup: group refusals
 *   BW_RESULT_NO_SUCH_GROUP              "
 *   BW_RESULT_GROUP_IN_USE           multigroup: group refusals; a restart restores ...
 *   BW_RESULT_DATAGRAM_SIZE          multigroup: storage and config refusals
 *   BW_RESULT_QUEUE_TOO_SMALL            "
 *   BW_RESULT_BAD_PREFERRED          multigroup: group refusals
 *   BW_RESULT_NO_TRANSFER            multigroup: group refusals; a leader hands a group
 *                                    over
 *   BW_RESULT_TOO_MANY_GROUPS        multigroup: storage and config refusals
 *   BW_RESULT_UNKNOWN                cannot be produced through the API: it is the
 *                                    library's answer to an engine error this version has
 *                                    no code for, and every error variant of this version's
 *                                    engine (ConfigError, DecodeError, ReceiveError,
 *                                    EncodeError, TransferError, ConfirmError,
 *                                    RestoreError, RecordError, MultiGroupError) maps to
 *                                    its own code; the `_ => Unknown` arms in
 *                                    ffi/src/result.rs exist only because those enums are
 *                                    #[non_exhaustive]. Its
 *                                    text is checked by "result texts".
 */
#include "check.h"

#include <stdio.h>

static void every_result_code_was_produced(void) {
    size_t i;
    for (i = 0; i < ALL_RESULTS_COUNT; i++) {
        if (ALL_RESULTS[i] != BW_RESULT_UNKNOWN && !result_was_produced(ALL_RESULTS[i])) {
            FAIL("no test produced result %u (%s)", (unsigned)ALL_RESULTS[i],
                 bw_result_str(ALL_RESULTS[i]));
        }
    }
}

static const scenario COVERAGE[] = {
    {"coverage: every result code but UNKNOWN was produced", every_result_code_was_produced},
};

int main(int argc, char **argv) {
    const struct {
        const scenario *scenarios;
        size_t count;
    } tables[] = {
        {ARGUMENT_SCENARIOS, ARGUMENT_SCENARIO_COUNT},
        {MESSAGE_SCENARIOS, MESSAGE_SCENARIO_COUNT},
        {ELECTION_SCENARIOS, ELECTION_SCENARIO_COUNT},
        {QUORUM_SCENARIOS, QUORUM_SCENARIO_COUNT},
        {RECORD_SCENARIOS, RECORD_SCENARIO_COUNT},
        {OUTPUT_SCENARIOS, OUTPUT_SCENARIO_COUNT},
        {PROTECTION_SCENARIOS, PROTECTION_SCENARIO_COUNT},
        {MULTIGROUP_SCENARIOS, MULTIGROUP_SCENARIO_COUNT},
    };
    size_t failed = 0;
    size_t i;
    int filters = argc - 1;
    printf("bellwether %s, C API tests\n", bw_version());
    for (i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        failed += run_scenarios(tables[i].scenarios, tables[i].count, filters, argv + 1);
    }
    if (filters == 0) {
        failed += run_scenarios(COVERAGE, 1, 0, NULL);
    }
    if (failed > 0) {
        printf("%lu scenario(s) FAILED\n", (unsigned long)failed);
        return 1;
    }
    printf("all scenarios passed\n");
    return 0;
}
