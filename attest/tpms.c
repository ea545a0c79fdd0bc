#include "tpms.h"

#include <string.h>

#include <mbedtls/md.h>

#include "util/reader.h"

/* Big-endian reads on the bounded reader: the TPM marshals everything big-endian. */
static int be16(psh_reader *r, uint16_t *v)
{
    const uint8_t *b;
    if (psh_get_bytes(r, 2, &b) != 0)
        return -1;
    *v = (uint16_t)((b[0] << 8) | b[1]);
    return 0;
}

static int be32(psh_reader *r, uint32_t *v)
{
    const uint8_t *b;
    if (psh_get_bytes(r, 4, &b) != 0)
        return -1;
    *v = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
    return 0;
}

static int be64(psh_reader *r, uint64_t *v)
{
    uint32_t hi, lo;
    if (be32(r, &hi) != 0 || be32(r, &lo) != 0)
        return -1;
    *v = ((uint64_t)hi << 32) | lo;
    return 0;
}

/* TPM2B: u16 size, then size bytes, size <= cap. */
static int tpm2b(psh_reader *r, size_t cap, psh_tpm_buf *out)
{
    uint16_t n;
    if (be16(r, &n) != 0 || n > cap || psh_get_bytes(r, n, &out->p) != 0)
        return -1;
    out->len = n;
    return 0;
}

size_t psh_tpm_hash_size(uint16_t alg)
{
    switch (alg) {
    case PSH_TPM_ALG_SHA1: return 20;
    case PSH_TPM_ALG_SHA256: return 32;
    case PSH_TPM_ALG_SHA384: return 48;
    case PSH_TPM_ALG_SHA512: return 64;
    default: return 0;
    }
}

int psh_tpm_hash_md(uint16_t alg)
{
    switch (alg) {
    case PSH_TPM_ALG_SHA1: return MBEDTLS_MD_SHA1;
    case PSH_TPM_ALG_SHA256: return MBEDTLS_MD_SHA256;
    case PSH_TPM_ALG_SHA384: return MBEDTLS_MD_SHA384;
    case PSH_TPM_ALG_SHA512: return MBEDTLS_MD_SHA512;
    default: return MBEDTLS_MD_NONE;
    }
}

#define FAIL(msg)      \
    do {               \
        *why = (msg);  \
        return -1;     \
    } while (0)

int psh_tpms_attest_parse(const uint8_t *p, size_t len, psh_tpms_attest *a, const char **why)
{
    psh_reader r = psh_reader_init(p, len);
    const uint8_t *clk;
    memset(a, 0, sizeof *a);
    if (be32(&r, &a->magic) != 0 || be16(&r, &a->type) != 0)
        FAIL("TPMS_ATTEST truncated in magic/type");
    if (tpm2b(&r, 2 + 64, &a->qualified_signer) != 0)
        FAIL("TPMS_ATTEST qualifiedSigner malformed");
    if (tpm2b(&r, 64, &a->extra_data) != 0)
        FAIL("TPMS_ATTEST extraData malformed");
    if (psh_get_bytes(&r, 17, &clk) != 0)
        FAIL("TPMS_ATTEST clockInfo truncated");
    a->clock = 0;
    for (int i = 0; i < 8; i++)
        a->clock = (a->clock << 8) | clk[i];
    a->reset_count = ((uint32_t)clk[8] << 24) | ((uint32_t)clk[9] << 16) | ((uint32_t)clk[10] << 8) | clk[11];
    a->restart_count = ((uint32_t)clk[12] << 24) | ((uint32_t)clk[13] << 16) | ((uint32_t)clk[14] << 8) | clk[15];
    a->safe = clk[16];
    if (be64(&r, &a->firmware_version) != 0)
        FAIL("TPMS_ATTEST firmwareVersion truncated");
    if (a->type == PSH_TPM_ST_ATTEST_CERTIFY) {
        if (tpm2b(&r, 2 + 64, &a->name) != 0 || tpm2b(&r, 2 + 64, &a->qualified_name) != 0)
            FAIL("TPMS_CERTIFY_INFO malformed");
    } else if (a->type == PSH_TPM_ST_ATTEST_QUOTE) {
        if (be32(&r, &a->n_banks) != 0 || a->n_banks > PSH_TPM_MAX_PCR_BANKS)
            FAIL("TPML_PCR_SELECTION count malformed or over the cap");
        for (uint32_t i = 0; i < a->n_banks; i++) {
            const uint8_t *sel;
            if (be16(&r, &a->bank[i].hash) != 0 || psh_get_u8(&r, &a->bank[i].size) != 0 ||
                a->bank[i].size > sizeof a->bank[i].select ||
                psh_get_bytes(&r, a->bank[i].size, &sel) != 0)
                FAIL("TPMS_PCR_SELECTION malformed");
            memcpy(a->bank[i].select, sel, a->bank[i].size);
        }
        if (tpm2b(&r, 64, &a->pcr_digest) != 0)
            FAIL("TPMS_QUOTE_INFO pcrDigest malformed");
    } else {
        FAIL("TPMS_ATTEST type is neither CERTIFY nor QUOTE");
    }
    if (psh_reader_left(&r) != 0)
        FAIL("TPMS_ATTEST has trailing bytes");
    return 0;
}

int psh_tpmt_signature_parse(const uint8_t *p, size_t len, psh_tpmt_signature *s,
                             const char **why)
{
    psh_reader r = psh_reader_init(p, len);
    memset(s, 0, sizeof *s);
    if (be16(&r, &s->sig_alg) != 0 || be16(&r, &s->hash) != 0)
        FAIL("TPMT_SIGNATURE truncated");
    if (s->sig_alg != PSH_TPM_ALG_ECDSA)
        FAIL("TPMT_SIGNATURE is not ECDSA");
    if (tpm2b(&r, 66, &s->r) != 0 || tpm2b(&r, 66, &s->s) != 0)
        FAIL("TPMS_SIGNATURE_ECDSA malformed");
    if (psh_reader_left(&r) != 0)
        FAIL("TPMT_SIGNATURE has trailing bytes");
    return 0;
}

/* TPMT_SYM_DEF_OBJECT, TPMT_*_SCHEME and TPMT_KDF_SCHEME share one shape for what we accept:
 * an algorithm id, then nothing when it is NULL. */
static int sym_def(psh_reader *r, psh_tpmt_public *t)
{
    if (be16(r, &t->sym_alg) != 0)
        return -1;
    if (t->sym_alg == PSH_TPM_ALG_NULL)
        return 0;
    return be16(r, &t->sym_bits) != 0 || be16(r, &t->sym_mode) != 0 ? -1 : 0;
}

static int scheme(psh_reader *r, uint16_t *alg, uint16_t *hash)
{
    if (be16(r, alg) != 0)
        return -1;
    if (*alg == PSH_TPM_ALG_NULL)
        return 0;
    if (be16(r, hash) != 0)
        return -1;
    if (*alg == 0x001A) { /* ECDAA carries a count too */
        uint16_t count;
        return be16(r, &count);
    }
    return 0;
}

int psh_tpmt_public_parse(const uint8_t *p, size_t len, psh_tpmt_public *t, const char **why)
{
    psh_reader r = psh_reader_init(p, len);
    memset(t, 0, sizeof *t);
    if (be16(&r, &t->type) != 0 || be16(&r, &t->name_alg) != 0 || be32(&r, &t->attributes) != 0)
        FAIL("TPMT_PUBLIC truncated");
    if (tpm2b(&r, 64, &t->auth_policy) != 0)
        FAIL("TPMT_PUBLIC authPolicy malformed");
    if (t->type == PSH_TPM_ALG_ECC) {
        uint16_t kdf, kdf_hash;
        if (sym_def(&r, t) != 0 || scheme(&r, &t->scheme, &t->scheme_hash) != 0 ||
            be16(&r, &t->curve) != 0 || scheme(&r, &kdf, &kdf_hash) != 0)
            FAIL("TPMS_ECC_PARMS malformed");
        if (tpm2b(&r, 66, &t->x) != 0 || tpm2b(&r, 66, &t->y) != 0)
            FAIL("TPMS_ECC_POINT malformed");
    } else if (t->type == PSH_TPM_ALG_RSA) {
        if (sym_def(&r, t) != 0 || scheme(&r, &t->scheme, &t->scheme_hash) != 0 ||
            be16(&r, &t->rsa_bits) != 0 || be32(&r, &t->exponent) != 0)
            FAIL("TPMS_RSA_PARMS malformed");
        if (tpm2b(&r, 512, &t->modulus) != 0)
            FAIL("TPM2B_PUBLIC_KEY_RSA malformed");
    } else {
        FAIL("TPMT_PUBLIC type is neither ECC nor RSA");
    }
    if (psh_reader_left(&r) != 0)
        FAIL("TPMT_PUBLIC has trailing bytes");
    return 0;
}
