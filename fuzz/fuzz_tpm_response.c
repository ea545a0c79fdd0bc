/* Input: the TPM's side of a conversation: a sequence of [u16 big-endian length][response
 * bytes], one per command, fed through a scripted TCTI (engine/providers/tpm/tpm_tcti.h) to
 * the TPM provider: start-up (Startup, GetCapability, CreatePrimary), key generation, export,
 * signing, decryption, random numbers, a hash sequence, a private-key import, shut-down.
 * When the script runs out the TCTI fails like a lost TPM, which exercises the reconnect path.
 * Invariant: whatever the "TPM" answers, the provider neither crashes nor leaks, returns a
 * known status, and every output stays within its buffer with the length PSA promises. */
#include "fuzz_common.h"

#include "providers/tpm/tpm.h"
#include "providers/tpm/tpm_internal.h"
#include "providers/tpm/tpm_tcti.h"
#include "psh/status.h"

static const uint8_t *g_data;
static size_t g_len, g_cur;

static TSS2_RC script_factory(void *arg, TSS2_TCTI_CONTEXT **out)
{
    (void)arg;
    return psh_tcti_script_new(g_data, g_len, &g_cur, out);
}

static void expect_known(psh_status st)
{
    if (!psh_status_is_known(st)) {
        fprintf(stderr, "fuzz_tpm_response: unknown status %d\n", (int)st);
        abort();
    }
}

static void expect_len(psh_status st, size_t got, size_t want)
{
    expect_known(st);
    if (st == PSH_SUCCESS && got != want) {
        fprintf(stderr, "fuzz_tpm_response: output of %zu bytes, want %zu\n", got, want);
        abort();
    }
}

/* A record for an RSA 2048 key this "TPM" never made: loading it is the TPM's business. */
static void fixed_rsa_record(uint8_t **id, size_t *id_len)
{
    psh_key_attrs a = {PSA_KEY_TYPE_RSA_KEY_PAIR, 2048,
                       PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_DECRYPT, PSA_ALG_NONE};
    TPM2B_PUBLIC pub;
    TPM2B_PRIVATE priv;
    *id = NULL;
    *id_len = 0;
    if (tpm_template(&a, &pub) != PSH_SUCCESS)
        abort();
    pub.publicArea.unique.rsa.size = 256;
    memset(pub.publicArea.unique.rsa.buffer, 0xc5, 256);
    memset(&priv, 0, sizeof priv);
    priv.size = 120;
    memset(priv.buffer, 0x5c, priv.size);
    if (tpm_blob_build(&pub, &priv, id, id_len) != PSH_SUCCESS)
        abort();
}

static void run_conversation(void)
{
    const psh_provider_ops *ops = &psh_tpm_provider_ops;
    psh_engine_config ec;
    psh_provider_config pc;
    char err[256];
    void *ctx = NULL;
    psh_key_attrs ecc = {PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1), 256,
                         PSA_KEY_USAGE_SIGN_HASH, PSA_ALG_ECDSA(PSA_ALG_SHA_256)};
    psh_key_attrs rsa = {PSA_KEY_TYPE_RSA_KEY_PAIR, 2048,
                         PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_DECRYPT, PSA_ALG_NONE};
    psh_key_attrs imp = ecc;
    uint8_t *id = NULL, *rid = NULL, *iid = NULL, out[600], hash[32], big[2500];
    size_t id_len = 0, rid_len = 0, iid_len = 0, n = 0;
    psh_status st;
    static const uint8_t scalar[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                       17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
                                       31, 32};

    psh_engine_config_init(&ec);
    psh_provider_config_init(&pc, PSH_PROVIDER_TPM);
    snprintf(pc.tcti, sizeof pc.tcti, "script");
    memset(hash, 0x42, sizeof hash);
    memset(big, 0x17, sizeof big);
    psh_tpm_set_tcti_factory(script_factory, NULL);
    if (ops->init(&pc, &ec, &ctx, err, sizeof err) != PSH_SUCCESS)
        return;

    expect_known(ops->generate_key(ctx, &ecc, &id, &id_len));
    if (id != NULL) {
        psh_key_ref k = {&ecc, id, id_len};
        st = ops->export_public_key(ctx, &k, out, sizeof out, &n);
        expect_len(st, n, 65);
        st = ops->sign_hash(ctx, &k, PSA_ALG_ECDSA(PSA_ALG_SHA_256), hash, 32, out, sizeof out,
                            &n);
        expect_len(st, n, 64);
        expect_known(ops->destroy_key(ctx, &k));
    }
    fixed_rsa_record(&rid, &rid_len);
    psh_key_ref r = {&rsa, rid, rid_len};
    st = ops->sign_hash(ctx, &r, PSA_ALG_RSA_PSS(PSA_ALG_SHA_256), hash, 32, out, sizeof out,
                        &n);
    expect_len(st, n, 256);
    memset(big, 0x01, 256);
    n = 0;
    expect_known(ops->asymmetric_decrypt(ctx, &r, PSA_ALG_RSA_OAEP(PSA_ALG_SHA_256), big, 256,
                                         NULL, 0, out, sizeof out, &n));
    if (n > sizeof out)
        abort();
    expect_known(ops->generate_random(ctx, out, 100));
    st = ops->hash_compute(ctx, PSA_ALG_SHA_256, big, sizeof big, out, sizeof out, &n);
    expect_len(st, n, 32);
    st = ops->hash_compute(ctx, PSA_ALG_SHA_384, big, 100, out, sizeof out, &n);
    expect_len(st, n, 48);
    expect_known(ops->import_key(ctx, &imp, scalar, sizeof scalar, &iid, &iid_len));
    ops->fini(ctx);
    psh_free_secret(id, id_len);
    psh_free_secret(rid, rid_len);
    psh_free_secret(iid, iid_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    g_data = data;
    g_len = size;
    g_cur = 0;
    run_conversation();
    return 0;
}
