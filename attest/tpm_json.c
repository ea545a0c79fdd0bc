/* JSON form of parsec-tpm evidence (veraison/parsec FromJSON: the same maps with base64
 * bstrs) -> CBOR, so the JSON vectors run through the one CBOR verifier. */
#include "attest.h"

#include <jansson.h>
#include <string.h>

#include <mbedtls/base64.h>

#include "cbor_bounded.h"
#include "util/alloc.h"

static int put_token(psh_cbuf *w, json_t *tok)
{
    const char *k;
    json_t *v;
    psh_cbuf_head(w, 5, json_object_size(tok));
    json_object_foreach(tok, k, v) {
        psh_cbuf_text(w, k);
        if (json_is_integer(v)) {
            psh_cbuf_int(w, json_integer_value(v));
        } else if (json_is_string(v) && strcmp(k, "tpmVer") == 0) {
            psh_cbuf_text(w, json_string_value(v));
        } else if (json_is_string(v)) {
            const char *s = json_string_value(v);
            size_t n = strlen(s), olen = 0;
            uint8_t *b = psh_malloc(n + 1);
            if (b == NULL || mbedtls_base64_decode(b, n + 1, &olen, (const uint8_t *)s, n) != 0) {
                psh_free(b);
                return -1;
            }
            psh_cbuf_bytes(w, b, olen);
            psh_free(b);
        } else {
            return -1;
        }
    }
    return 0;
}

psh_status psh_attest_tpm_json_to_cbor(const char *json, size_t len, uint8_t **out,
                                       size_t *out_len)
{
    json_error_t err;
    json_t *root = json_loadb(json, len, 0, &err), *v;
    const char *k;
    psh_cbuf w = {0};
    psh_status st = PSH_ERR_PSA_INVALID_ARGUMENT;

    *out = NULL;
    *out_len = 0;
    if (root == NULL || !json_is_object(root) || len > PSH_ATTEST_MAX_EVIDENCE * 2)
        goto exit;
    psh_cbuf_head(&w, 5, json_object_size(root));
    json_object_foreach(root, k, v) {
        psh_cbuf_text(&w, k);
        if (!json_is_object(v) || put_token(&w, v) != 0)
            goto exit;
    }
    *out = psh_cbuf_take(&w, out_len);
    st = *out ? PSH_SUCCESS : PSH_ERR_PSA_INSUFFICIENT_MEMORY;
exit:
    psh_cbuf_free(&w);
    json_decref(root);
    return st;
}
