/*
 * include/bellwether.h on its own, compiled (not linked) as C99, as C11 and as C++11, each
 * with -Wall -Wextra -Wpedantic -Werror (see ffi/tests/c_api.rs). Under C11 and C++11 the
 * header's constants are also checked at compile time.
 */
#include "bellwether.h"

#if defined(__cplusplus)
#include <type_traits>
#define STATIC_CHECK(condition, message) static_assert(condition, message)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define STATIC_CHECK(condition, message) _Static_assert(condition, message)
#endif

#ifdef STATIC_CHECK
STATIC_CHECK(BW_NODE_ALIGN >= 1, "BW_NODE_ALIGN is at least 1");
STATIC_CHECK((BW_NODE_ALIGN & (BW_NODE_ALIGN - 1)) == 0, "BW_NODE_ALIGN is a power of two");
STATIC_CHECK(BW_NODE_SIZE >= 1, "BW_NODE_SIZE is at least 1");
STATIC_CHECK(BW_NODE_SIZE % BW_NODE_ALIGN == 0, "BW_NODE_SIZE is a multiple of BW_NODE_ALIGN");
STATIC_CHECK(BW_MAX_MESSAGE_SIZE >= 1, "messages take at least one byte");
STATIC_CHECK(BW_MAX_TERM == 0xFFFFFFFFFFFFull, "BW_MAX_TERM is 2^48 - 1");
STATIC_CHECK(BW_RECORD_SIZE == 24, "records are 24 bytes");
STATIC_CHECK(BW_MAX_MEMBERS >= 1, "a node has at least one member");
STATIC_CHECK(BELLWETHER_VERSION_MAJOR >= 0 && BELLWETHER_VERSION_MINOR >= 0 &&
                 BELLWETHER_VERSION_PATCH >= 0,
             "the version macros are integers");
STATIC_CHECK(sizeof(bw_result) == 4, "bw_result is 32 bits");
STATIC_CHECK(sizeof(bw_role) == 4, "bw_role is 32 bits");
STATIC_CHECK(sizeof(bw_event_kind) == 4, "bw_event_kind is 32 bits");
STATIC_CHECK(sizeof(bw_slot) == 4, "bw_slot is 32 bits");
STATIC_CHECK(sizeof(bw_output_kind) == 4, "bw_output_kind is 32 bits");
STATIC_CHECK(sizeof(bw_protection) == 4, "bw_protection is 32 bits");
STATIC_CHECK(sizeof(bw_auth_kind) == 4, "bw_auth_kind is 32 bits");
STATIC_CHECK(offsetof(bw_config, struct_size) == 0, "bw_config starts with struct_size");
STATIC_CHECK(BW_OUTPUT_KIND_PERSIST == 0 && BW_OUTPUT_KIND_TIMEOUT == 3,
             "output kinds are 0..3");
STATIC_CHECK(BW_RESULT_OK == 0, "BW_RESULT_OK is 0");
STATIC_CHECK(BW_RESULT_EMPTY == 1, "BW_RESULT_EMPTY is 1");
STATIC_CHECK(BW_SLOT_A == 0 && BW_SLOT_B == 1, "slots are 0 and 1");
STATIC_CHECK(BW_ALGORITHM_BULLY == 0 && BW_ALGORITHM_QUORUM == 5, "algorithms are 0..5");
#if defined(__cplusplus)
STATIC_CHECK((std::is_same<std::underlying_type<bw_result>::type, uint32_t>::value),
             "bw_result is a uint32_t enum");
#endif
#endif

/* Every declaration is usable: take each function's address with its declared type. */
typedef struct {
    const char *(*version)(void);
    bw_result (*config_init)(bw_config *, size_t, uint32_t);
    size_t (*node_size)(void);
    size_t (*node_align)(void);
    bw_result (*node_init)(void *, size_t, const bw_config *, uint64_t, bw_node **);
    bw_result (*node_restore)(void *, size_t, const bw_config *, uint64_t,
                              const bw_durable_state *, bw_node **);
    bw_result (*handle_bytes)(bw_node *, uint64_t, const uint8_t *, size_t);
    bw_result (*handle_timeout)(bw_node *, uint64_t);
    bw_result (*poll_output)(bw_node *, uint8_t *, size_t, bw_output *);
    bw_result (*poll_transmit)(bw_node *, uint8_t *, size_t, bw_transmit *);
    bw_result (*poll_event)(bw_node *, bw_event *);
    bw_result (*poll_timeout)(const bw_node *, uint64_t *);
    bw_result (*leader)(const bw_node *, uint32_t *);
    bw_result (*role)(const bw_node *, bw_role *);
    bw_result (*term)(const bw_node *, uint64_t *);
    bw_result (*lease_until)(const bw_node *, uint64_t *);
    bw_result (*has_lease)(const bw_node *, uint64_t, bool *);
    bw_result (*fencing_token)(const bw_node *, uint64_t *);
    bw_result (*durable_state)(const bw_node *, bw_durable_state *);
    bw_result (*poll_persist)(bw_node *, bw_durable_state *);
    bw_result (*confirm_persisted)(bw_node *, const bw_durable_state *);
    bw_result (*set_freshness)(bw_node *, uint64_t);
    bw_result (*transfer_leadership)(bw_node *, uint64_t, uint32_t);
    bw_result (*record_encode)(const bw_durable_state *, uint32_t, uint8_t *, size_t);
    bw_result (*record_decode)(const uint8_t *, size_t, bw_durable_state *, uint32_t *);
    bw_result (*record_recover)(const uint8_t *, size_t, const uint8_t *, size_t,
                                bw_recovered *);
    bw_result (*slot_writer_resume)(const uint8_t *, size_t, const uint8_t *, size_t,
                                    bw_slot_writer *);
    bw_result (*slot_writer_write)(bw_slot_writer *, const bw_durable_state *, uint8_t *,
                                   size_t, bw_slot *);
    bw_result (*node_init_authenticated)(void *, size_t, const bw_config *, uint64_t,
                                         const bw_auth *, bw_node **);
    bw_result (*node_restore_authenticated)(void *, size_t, const bw_config *, uint64_t,
                                            const bw_durable_state *, const bw_auth *,
                                            bw_node **);
    bw_result (*set_cmac_key)(bw_node *, uint8_t, const uint8_t *, size_t);
    bw_result (*retire_previous_key)(bw_node *);
    bw_result (*set_mac_callbacks)(bw_node *, bw_sign_fn, bw_verify_fn, uint8_t, void *);
    bw_result (*statistics)(const bw_node *, bw_statistics *);
    const char *(*result_str)(uint32_t);
} bellwether_api;

extern const bellwether_api BELLWETHER_API;
const bellwether_api BELLWETHER_API = {
    bw_version,          bw_config_init,           bw_node_size,
    bw_node_align,       bw_node_init,             bw_node_restore,
    bw_node_handle_bytes, bw_node_handle_timeout,  bw_node_poll_output, bw_node_poll_transmit,
    bw_node_poll_event,  bw_node_poll_timeout,     bw_node_leader,
    bw_node_role,        bw_node_term,             bw_node_lease_until,
    bw_node_has_lease,   bw_node_fencing_token,    bw_node_durable_state,
    bw_node_poll_persist, bw_node_confirm_persisted, bw_node_set_freshness,
    bw_node_transfer_leadership, bw_record_encode, bw_record_decode,
    bw_record_recover,   bw_slot_writer_resume,    bw_slot_writer_write,
    bw_node_init_authenticated, bw_node_restore_authenticated, bw_node_set_cmac_key,
    bw_node_retire_previous_key, bw_node_set_mac_callbacks, bw_node_statistics,
    bw_result_str,
};

/* The constants are usable in every mode, C99 included. */
extern const uint64_t HEADER_MAX_TERM;
const uint64_t HEADER_MAX_TERM = BW_MAX_TERM;

/* The enum constants convert to the plain uint32_t fields and arguments. */
extern bw_result header_example(bw_config *config);
bw_result header_example(bw_config *config) {
    bw_result result = bw_config_init(config, sizeof *config, BW_ALGORITHM_QUORUM);
    config->durability = BW_DURABILITY_VOLATILE;
    config->preemption = BW_PREEMPTION_NEVER;
    config->ring_variant = BW_RING_VARIANT_MAX_ONLY;
    return result;
}
