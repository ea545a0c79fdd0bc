/* Input: byte 0 picks what is done with a parsed blob (0 key_exists, 1 export_public_key,
 * 2 export_key, 3 sign_hash with the blob's own algorithm), bytes 1.. are a soft provider key
 * blob as stored in the KIM (soft_internal.h: "PSHK" | version | type | bits | usage | alg |
 * material_len | material).
 * Invariants: a blob that parses rebuilds to the same bytes; the provider turns any blob,
 * parsable or not, into a status without memory errors (material goes to psa_import_key). */
#include "fuzz_common.h"

#include "providers/soft/soft.h"
#include "providers/soft/soft_internal.h"

static void *soft_ctx_handle;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    soft_blob b;
    uint8_t *rebuilt = NULL, out[8192];
    size_t rebuilt_len = 0, out_len = 0;
    psh_key_ref ref;
    uint8_t hash[64];

    fuzz_setup();
    if (soft_ctx_handle == NULL) {
        psh_engine_config ecfg;
        psh_provider_config pcfg;
        char err[256] = "";
        psh_engine_config_init(&ecfg);
        psh_provider_config_init(&pcfg, PSH_PROVIDER_MBED_CRYPTO);
        if (psh_soft_provider_ops.init(&pcfg, &ecfg, &soft_ctx_handle, err, sizeof err) !=
            PSH_SUCCESS) {
            fprintf(stderr, "fuzz_soft_blob: soft init: %s\n", err);
            abort();
        }
    }
    if (size < 1)
        return 0;
    if (soft_blob_parse(data + 1, size - 1, &b) != PSH_SUCCESS)
        return 0;
    if (soft_blob_build(&b.attrs, b.material, b.material_len, &rebuilt, &rebuilt_len) !=
            PSH_SUCCESS ||
        rebuilt_len != size - 1 || memcmp(rebuilt, data + 1, rebuilt_len) != 0) {
        fprintf(stderr, "fuzz_soft_blob: blob does not rebuild to the same bytes\n");
        abort();
    }
    psh_free_secret(rebuilt, rebuilt_len);

    ref.attrs = &b.attrs;
    ref.key_id = data + 1;
    ref.key_id_len = size - 1;
    memset(hash, 0x5a, sizeof hash);
    switch (data[0] & 3) {
    case 0:
        (void)psh_soft_provider_ops.key_exists(soft_ctx_handle, &ref);
        break;
    case 1:
        (void)psh_soft_provider_ops.export_public_key(soft_ctx_handle, &ref, out, sizeof out,
                                                      &out_len);
        break;
    case 2:
        (void)psh_soft_provider_ops.export_key(soft_ctx_handle, &ref, out, sizeof out, &out_len);
        break;
    default: {
        /* A hash as long as the algorithm's hash, when it names one. */
        size_t hlen = PSA_HASH_LENGTH(PSA_ALG_SIGN_GET_HASH(b.attrs.alg));
        if (hlen == 0 || hlen > sizeof hash)
            hlen = 32;
        (void)psh_soft_provider_ops.sign_hash(soft_ctx_handle, &ref, b.attrs.alg, hash, hlen, out,
                                              sizeof out, &out_len);
        break;
    }
    }
    if (out_len > sizeof out)
        abort();
    return 0;
}
