/*
 * Authentication helpers shared by the single-group and multi-group tests: two CMAC keys,
 * a bw_auth for a CMAC key, and a stand-in for an HSM behind the MAC callbacks.
 */
#ifndef BELLWETHER_TESTS_AUTH_H
#define BELLWETHER_TESTS_AUTH_H

#include "check.h"

extern const uint8_t KEY_ONE[BW_CMAC_KEY_SIZE];
extern const uint8_t KEY_TWO[BW_CMAC_KEY_SIZE];

/* A bw_auth for the CMAC key `key` (BW_CMAC_KEY_SIZE bytes) named `key_id`. */
bw_auth cmac_auth(uint8_t key_id, const uint8_t *key);

/* ---- A stand-in for an HSM: a keyed FNV-1a, NOT a MAC (anyone can forge it); both sides
 * of a test use it, which is all interoperation needs ---- */

#define HSM_KEY_ID 7

typedef struct {
    uint32_t secret;
    unsigned signs;
    unsigned verifies;
} hsm;

/* bw_sign_fn and bw_verify_fn of an `hsm` (the `user` pointer) holding key HSM_KEY_ID. */
int hsm_sign(void *user, uint8_t key_id, const uint8_t *data, size_t data_len, uint8_t *tag,
             size_t tag_len);
int hsm_verify(void *user, uint8_t key_id, const uint8_t *data, size_t data_len,
               const uint8_t *tag, size_t tag_len);

/* A bw_auth for the callbacks of `device` (`verify`: with hsm_verify, else NULL). */
bw_auth hsm_auth(hsm *device, bool verify);

/* A sign callback that knows no key. */
int refuse_every_key(void *user, uint8_t key_id, const uint8_t *data, size_t data_len,
                     uint8_t *tag, size_t tag_len);

#endif
