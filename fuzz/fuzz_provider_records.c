/* The hardware providers' own records and decoders that read untrusted bytes without going
 * through a request: byte 0 picks one, the rest is its input.
 *   0: tpm_blob_parse  (the TPM provider's "PSHT" key record as read back from the KIM)
 *   1: p11_record_parse (the PKCS#11 provider's "P11K" key record as read back from the KIM)
 *   2: p11_oaep_decode (EME-OAEP decoding of what the token's raw RSA returned; byte 1 picks
 *      the hash, the rest is the encoded message)
 * Invariants: no memory error for any input; a record that parses rebuilds to bytes that parse
 * again and rebuild to the same bytes (so building is a fixed point after one pass); a decoded
 * OAEP message is shorter than the encoded one. Modules that are not built are skipped. */
#include "fuzz_common.h"

#ifdef PSH_HAVE_TPM
#include "providers/tpm/tpm_internal.h"
#endif
#ifdef PSH_HAVE_PKCS11
#include "providers/pkcs11/p11_internal.h"
#endif

#ifdef PSH_HAVE_TPM
static void fuzz_tpm_record(const uint8_t *p, size_t n)
{
    tpm_blob a, b;
    uint8_t *r1 = NULL, *r2 = NULL;
    size_t l1 = 0, l2 = 0;

    if (tpm_blob_parse(p, n, &a) != PSH_SUCCESS)
        return;
    if (tpm_blob_build(&a.pub, &a.priv, &r1, &l1) != PSH_SUCCESS)
        return; /* a parsed public area tss2-mu cannot marshal back is refused, not kept */
    if (tpm_blob_parse(r1, l1, &b) != PSH_SUCCESS ||
        tpm_blob_build(&b.pub, &b.priv, &r2, &l2) != PSH_SUCCESS || l1 != l2 ||
        memcmp(r1, r2, l1) != 0) {
        fprintf(stderr, "fuzz_provider_records: TPM record does not rebuild stably\n");
        abort();
    }
    psh_free_secret(r1, l1);
    psh_free_secret(r2, l2);
}
#endif

#ifdef PSH_HAVE_PKCS11
static void fuzz_p11_record(const uint8_t *p, size_t n)
{
    p11_record a;
    uint8_t *r = NULL;
    size_t l = 0;

    if (p11_record_parse(p, n, &a) != PSH_SUCCESS)
        return;
    if (p11_record_build(a.type, a.bits, a.id, a.id_len, &r, &l) != PSH_SUCCESS || l != n ||
        memcmp(r, p, n) != 0) {
        fprintf(stderr, "fuzz_provider_records: PKCS#11 record does not rebuild exactly\n");
        abort();
    }
    psh_free_secret(r, l);
}

static void fuzz_p11_oaep(const uint8_t *p, size_t n)
{
    static const psa_algorithm_t hashes[] = {PSA_ALG_SHA_1, PSA_ALG_SHA_224, PSA_ALG_SHA_256,
                                             PSA_ALG_SHA_384, PSA_ALG_SHA_512};
    uint8_t em[1024], out[1024];
    size_t out_len = 0;

    if (n < 1 || n - 1 > sizeof em)
        return;
    memcpy(em, p + 1, n - 1);
    if (p11_oaep_decode(hashes[p[0] % 5], em, n - 1, NULL, 0, out, sizeof out, &out_len) ==
            PSH_SUCCESS &&
        out_len >= n - 1) {
        fprintf(stderr, "fuzz_provider_records: OAEP decoded %zu bytes from %zu\n", out_len,
                n - 1);
        abort();
    }
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    if (size < 1)
        return 0;
    switch (data[0] % 3) {
#ifdef PSH_HAVE_TPM
    case 0:
        fuzz_tpm_record(data + 1, size - 1);
        break;
#endif
#ifdef PSH_HAVE_PKCS11
    case 1:
        fuzz_p11_record(data + 1, size - 1);
        break;
    case 2:
        fuzz_p11_oaep(data + 1, size - 1);
        break;
#endif
    default:
        break;
    }
    return 0;
}
