/* The helpers declared in auth.h. */
#include "auth.h"

#include <string.h>

const uint8_t KEY_ONE[BW_CMAC_KEY_SIZE] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                                           0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
const uint8_t KEY_TWO[BW_CMAC_KEY_SIZE] = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};

bw_auth cmac_auth(uint8_t key_id, const uint8_t *key) {
    bw_auth auth;
    memset(&auth, 0, sizeof auth);
    auth.struct_size = sizeof auth;
    auth.kind = BW_AUTH_KIND_CMAC;
    auth.key_id = key_id;
    auth.key = key;
    auth.key_len = BW_CMAC_KEY_SIZE;
    return auth;
}

static void hsm_tag(const hsm *h, const uint8_t *data, size_t len, uint8_t *tag,
                    size_t tag_len) {
    uint32_t hash = 2166136261u ^ h->secret;
    size_t i;
    for (i = 0; i < len; i++) {
        hash = (hash ^ data[i]) * 16777619u;
    }
    for (i = 0; i < tag_len; i++) {
        hash = (hash ^ (uint32_t)i) * 16777619u;
        tag[i] = (uint8_t)(hash >> 24);
    }
}

int hsm_sign(void *user, uint8_t key_id, const uint8_t *data, size_t data_len, uint8_t *tag,
             size_t tag_len) {
    hsm *h = (hsm *)user;
    if (key_id != HSM_KEY_ID) {
        return 1;
    }
    h->signs++;
    hsm_tag(h, data, data_len, tag, tag_len);
    return 0;
}

int hsm_verify(void *user, uint8_t key_id, const uint8_t *data, size_t data_len,
               const uint8_t *tag, size_t tag_len) {
    hsm *h = (hsm *)user;
    uint8_t expected[16];
    uint8_t difference = 0;
    size_t i;
    if (key_id != HSM_KEY_ID) {
        return 2;
    }
    if (tag_len > sizeof expected) {
        return 1;
    }
    h->verifies++;
    hsm_tag(h, data, data_len, expected, tag_len);
    for (i = 0; i < tag_len; i++) {
        difference |= (uint8_t)(expected[i] ^ tag[i]);
    }
    return difference == 0 ? 0 : 1;
}

bw_auth hsm_auth(hsm *device, bool verify) {
    bw_auth auth;
    memset(&auth, 0, sizeof auth);
    auth.struct_size = sizeof auth;
    auth.kind = BW_AUTH_KIND_CALLBACKS;
    auth.key_id = HSM_KEY_ID;
    auth.sign = hsm_sign;
    auth.verify = verify ? hsm_verify : NULL;
    auth.user = device;
    return auth;
}

int refuse_every_key(void *user, uint8_t key_id, const uint8_t *data, size_t data_len,
                     uint8_t *tag, size_t tag_len) {
    (void)user;
    (void)key_id;
    (void)data;
    (void)data_len;
    (void)tag;
    (void)tag_len;
    return 1;
}
