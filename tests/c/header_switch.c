/*
 * The header's enumerations are passed as uint32_t, and each is also declared as a C enum
 * of the same name, so that a switch on (enum bw_...)value lets the compiler check the
 * cases. ffi/tests/c_api.rs compiles this file (not linked) as C99, C11 and C++11 with
 * -Wswitch -Werror: as it is, it must compile; with -DMISSING_CASE, each switch lacks one
 * case and the compiler must refuse it, naming the missing enumerator.
 */
#include "bellwether.h"

extern int handled_output(const bw_output *out);
int handled_output(const bw_output *out) {
    switch ((enum bw_output_kind)out->kind) {
    case BW_OUTPUT_KIND_PERSIST:
        return 1;
    case BW_OUTPUT_KIND_TRANSMIT:
        return 2;
    case BW_OUTPUT_KIND_EVENT:
        return 3;
#ifndef MISSING_CASE
    case BW_OUTPUT_KIND_TIMEOUT:
        return 4;
#endif
    }
    return 0;
}

extern int handled_event(const bw_event *event);
int handled_event(const bw_event *event) {
    switch ((enum bw_event_kind)event->kind) {
    case BW_EVENT_KIND_STEPPED_DOWN:
        return 1;
#ifndef MISSING_CASE
    case BW_EVENT_KIND_LEADER_CHANGED:
        return 2;
#endif
    case BW_EVENT_KIND_BECAME_LEADER:
        return 3;
    }
    return 0;
}

extern int handled_result(bw_result result);
int handled_result(bw_result result) {
    switch ((enum bw_result)result) {
    case BW_RESULT_OK:
    case BW_RESULT_EMPTY:
        return 1;
#ifndef MISSING_CASE
    case BW_RESULT_BUFFER_TOO_SMALL:
        return 2;
#endif
    case BW_RESULT_NULL_POINTER:
    case BW_RESULT_MEMORY_TOO_SMALL:
    case BW_RESULT_MEMORY_MISALIGNED:
    case BW_RESULT_INVALID_ARGUMENT:
    case BW_RESULT_NO_MEMBERS:
    case BW_RESULT_TOO_MANY_MEMBERS:
    case BW_RESULT_DUPLICATE_MEMBER:
    case BW_RESULT_SELF_NOT_MEMBER:
    case BW_RESULT_INVALID_TIMING:
    case BW_RESULT_TIE_BREAKER_STEP_TOO_SHORT:
    case BW_RESULT_ZERO_INVITE_INTERVAL:
    case BW_RESULT_ORDINARY_MEMBERS_UNSUPPORTED:
    case BW_RESULT_DRIFT_BOUND_TOO_LARGE:
    case BW_RESULT_LEASE_TOO_LONG:
    case BW_RESULT_NO_CANDIDATE:
    case BW_RESULT_TOO_MANY_SUCCESSORS:
    case BW_RESULT_CONFIG_SIZE:
    case BW_RESULT_UNSUPPORTED_OPTION:
    case BW_RESULT_NO_AUTHENTICATOR:
    case BW_RESULT_BAD_TAG_LENGTH:
    case BW_RESULT_NOTHING_TO_RESTORE:
    case BW_RESULT_VOTE_FOR_NON_MEMBER:
    case BW_RESULT_RESTORED_TERM_OUT_OF_RANGE:
    case BW_RESULT_TRUNCATED:
    case BW_RESULT_UNSUPPORTED_VERSION:
    case BW_RESULT_UNKNOWN_KIND:
    case BW_RESULT_OVERSIZED:
    case BW_RESULT_TRAILING_BYTES:
    case BW_RESULT_MALFORMED:
    case BW_RESULT_WRONG_GROUP:
    case BW_RESULT_UNKNOWN_SENDER:
    case BW_RESULT_FROM_SELF:
    case BW_RESULT_MISADDRESSED:
    case BW_RESULT_TERM_OUT_OF_RANGE:
    case BW_RESULT_BAD_CHECKSUM:
    case BW_RESULT_WRONG_ENVELOPE:
    case BW_RESULT_BAD_MAC:
    case BW_RESULT_UNKNOWN_KEY:
    case BW_RESULT_REPLAY:
    case BW_RESULT_UNSYNCHRONISED:
    case BW_RESULT_NOT_QUORUM:
    case BW_RESULT_NOT_LEADER:
    case BW_RESULT_UNKNOWN_MEMBER:
    case BW_RESULT_TO_SELF:
    case BW_RESULT_NOT_CANDIDATE:
    case BW_RESULT_NOT_CURRENT:
    case BW_RESULT_RECORD_WRONG_LENGTH:
    case BW_RESULT_RECORD_BAD_MAGIC:
    case BW_RESULT_RECORD_UNSUPPORTED_VERSION:
    case BW_RESULT_RECORD_BAD_CHECKSUM:
    case BW_RESULT_RECORD_MALFORMED:
    case BW_RESULT_NO_VALID_RECORD:
    case BW_RESULT_UNKNOWN_NODE:
    case BW_RESULT_GROUP_SIZE:
    case BW_RESULT_NO_SUCH_GROUP:
    case BW_RESULT_GROUP_IN_USE:
    case BW_RESULT_DATAGRAM_SIZE:
    case BW_RESULT_QUEUE_TOO_SMALL:
    case BW_RESULT_BAD_PREFERRED:
    case BW_RESULT_NO_TRANSFER:
    case BW_RESULT_TOO_MANY_GROUPS:
    case BW_RESULT_UNKNOWN:
        return 3;
    }
    return 0;
}
