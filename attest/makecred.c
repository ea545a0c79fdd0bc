/* Software TPM2_MakeCredential (TPM 2.0 Part 1, "Credential Protection"; Part 3
 * MakeCredential), so the ActivateCredential challenge runs without a TPM on the verifier:
 *   seed       random, |H_nameAlg(EK)| bytes
 *   secret     RSA-OAEP(EK, seed, label "IDENTITY\0", hash = EK nameAlg)
 *   symKey     KDFa(nameAlg, seed, "STORAGE", name, "", symmetric key bits)
 *   encIdentity AES-CFB(symKey, IV = 0, TPM2B(credential))
 *   hmacKey    KDFa(nameAlg, seed, "INTEGRITY", "", "", digest bits)
 *   blob       TPM2B(HMAC(hmacKey, encIdentity || name)) || encIdentity */
#include "attest.h"

#include <string.h>

#include <mbedtls/aes.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>

#include "cose.h"
#include "tpms.h"

/* KDFa (Part 1, 11.4.10.2): HMAC counter mode over [i] || label || 0 || u || v || [bits]. */
static int kdfa(mbedtls_md_type_t md, const uint8_t *key, size_t klen, const char *label,
                const uint8_t *u, size_t ulen, uint32_t bits, uint8_t *out)
{
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md);
    mbedtls_md_context_t ctx;
    uint8_t blk[64], be[4];
    size_t need = bits / 8, hl, done = 0;
    uint32_t i = 1;
    int rc = -1;
    mbedtls_md_init(&ctx);
    if (info == NULL || mbedtls_md_setup(&ctx, info, 1) != 0)
        goto exit;
    hl = mbedtls_md_get_size(info);
    while (done < need) {
        be[0] = (uint8_t)(i >> 24); be[1] = (uint8_t)(i >> 16); be[2] = (uint8_t)(i >> 8); be[3] = (uint8_t)i;
        if (mbedtls_md_hmac_starts(&ctx, key, klen) != 0 ||
            mbedtls_md_hmac_update(&ctx, be, 4) != 0 ||
            mbedtls_md_hmac_update(&ctx, (const uint8_t *)label, strlen(label) + 1) != 0 ||
            (ulen && mbedtls_md_hmac_update(&ctx, u, ulen) != 0))
            goto exit;
        be[0] = (uint8_t)(bits >> 24); be[1] = (uint8_t)(bits >> 16); be[2] = (uint8_t)(bits >> 8); be[3] = (uint8_t)bits;
        if (mbedtls_md_hmac_update(&ctx, be, 4) != 0 || mbedtls_md_hmac_finish(&ctx, blk) != 0)
            goto exit;
        memcpy(out + done, blk, need - done < hl ? need - done : hl);
        done += need - done < hl ? need - done : hl;
        i++;
    }
    rc = 0;
exit:
    mbedtls_platform_zeroize(blk, sizeof blk);
    mbedtls_md_free(&ctx);
    return rc;
}

psh_status psh_make_credential(const uint8_t *ek_public, size_t ek_len, const uint8_t *name,
                               size_t name_len, const uint8_t *credential, size_t cred_len,
                               uint8_t *blob, size_t blob_size, size_t *blob_len,
                               uint8_t *secret, size_t secret_size, size_t *secret_len)
{
    psh_tpmt_public ek;
    mbedtls_rsa_context rsa;
    mbedtls_aes_context aes;
    const char *why;
    uint8_t seed[64], sym[32], hkey[64], iv[16] = {0}, e[4];
    uint8_t plain[2 + 64];
    size_t hl, iv_off = 0, enc_len;
    mbedtls_md_type_t md;
    psh_status st = PSH_ERR_PSA_INVALID_ARGUMENT;

    *blob_len = 0;
    *secret_len = 0;
    mbedtls_rsa_init(&rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_NONE);
    mbedtls_aes_init(&aes);
    /* TPM2B_PUBLIC (as tpm2_createek writes it) or a bare TPMT_PUBLIC. */
    if (ek_len >= 2 && ((size_t)ek_public[0] << 8 | ek_public[1]) == ek_len - 2) {
        ek_public += 2;
        ek_len -= 2;
    }
    if (psh_tpmt_public_parse(ek_public, ek_len, &ek, &why) != 0)
        goto exit;
    st = PSH_ERR_PSA_NOT_SUPPORTED;
    md = (mbedtls_md_type_t)psh_tpm_hash_md(ek.name_alg);
    hl = psh_tpm_hash_size(ek.name_alg);
    if (ek.type != PSH_TPM_ALG_RSA || md == MBEDTLS_MD_NONE || ek.name_alg == PSH_TPM_ALG_SHA1 ||
        ek.sym_alg != PSH_TPM_ALG_AES || ek.sym_mode != PSH_TPM_ALG_CFB ||
        (ek.sym_bits != 128 && ek.sym_bits != 256))
        goto exit;
    st = PSH_ERR_PSA_INVALID_ARGUMENT;
    if (name == NULL || name_len < 2 ||
        name_len != 2 + psh_tpm_hash_size((uint16_t)(name[0] << 8 | name[1])) ||
        psh_tpm_hash_size((uint16_t)(name[0] << 8 | name[1])) == 0 || credential == NULL ||
        cred_len == 0 || cred_len > hl)
        goto exit;
    enc_len = 2 + cred_len;
    st = PSH_ERR_PSA_BUFFER_TOO_SMALL;
    if (blob_size < 2 + hl + enc_len || secret_size < ek.modulus.len)
        goto exit;
    st = PSH_ERR_PSA_GENERIC;
    /* secret = OAEP(EK, seed, "IDENTITY\0") */
    e[0] = (uint8_t)(ek.exponent >> 24); e[1] = (uint8_t)(ek.exponent >> 16);
    e[2] = (uint8_t)(ek.exponent >> 8); e[3] = (uint8_t)ek.exponent;
    if (ek.exponent == 0) {
        e[0] = 0; e[1] = 1; e[2] = 0; e[3] = 1; /* 0 means the default 65537 */
    }
    mbedtls_rsa_set_padding(&rsa, MBEDTLS_RSA_PKCS_V21, md);
    if (psh_att_random(seed, hl) != 0 ||
        mbedtls_rsa_import_raw(&rsa, ek.modulus.p, ek.modulus.len, NULL, 0, NULL, 0, NULL, 0, e,
                               4) != 0 ||
        mbedtls_rsa_complete(&rsa) != 0 || mbedtls_rsa_check_pubkey(&rsa) != 0 ||
        mbedtls_rsa_get_len(&rsa) != ek.modulus.len ||
        mbedtls_rsa_rsaes_oaep_encrypt(&rsa, psh_att_rng, NULL, MBEDTLS_RSA_PUBLIC,
                                       (const uint8_t *)"IDENTITY", 9, hl, seed, secret) != 0)
        goto exit;
    /* encIdentity = CFB(KDFa(seed, "STORAGE", name), TPM2B(credential)), written after the
     * outer HMAC's TPM2B in the blob. */
    plain[0] = (uint8_t)(cred_len >> 8);
    plain[1] = (uint8_t)cred_len;
    memcpy(plain + 2, credential, cred_len);
    if (kdfa(md, seed, hl, "STORAGE", name, name_len, ek.sym_bits, sym) != 0 ||
        mbedtls_aes_setkey_enc(&aes, sym, ek.sym_bits) != 0 ||
        mbedtls_aes_crypt_cfb128(&aes, MBEDTLS_AES_ENCRYPT, enc_len, &iv_off, iv, plain,
                                 blob + 2 + hl) != 0)
        goto exit;
    /* outerHMAC = HMAC(KDFa(seed, "INTEGRITY"), encIdentity || name) */
    if (kdfa(md, seed, hl, "INTEGRITY", NULL, 0, (uint32_t)(8 * hl), hkey) != 0)
        goto exit;
    {
        mbedtls_md_context_t ctx;
        int rc;
        mbedtls_md_init(&ctx);
        rc = mbedtls_md_setup(&ctx, mbedtls_md_info_from_type(md), 1) != 0 ||
             mbedtls_md_hmac_starts(&ctx, hkey, hl) != 0 ||
             mbedtls_md_hmac_update(&ctx, blob + 2 + hl, enc_len) != 0 ||
             mbedtls_md_hmac_update(&ctx, name, name_len) != 0 ||
             mbedtls_md_hmac_finish(&ctx, blob + 2) != 0;
        mbedtls_md_free(&ctx);
        if (rc)
            goto exit;
    }
    blob[0] = (uint8_t)(hl >> 8);
    blob[1] = (uint8_t)hl;
    *blob_len = 2 + hl + enc_len;
    *secret_len = ek.modulus.len;
    st = PSH_SUCCESS;
exit:
    mbedtls_platform_zeroize(seed, sizeof seed);
    mbedtls_platform_zeroize(sym, sizeof sym);
    mbedtls_platform_zeroize(hkey, sizeof hkey);
    mbedtls_platform_zeroize(plain, sizeof plain);
    mbedtls_rsa_free(&rsa);
    mbedtls_aes_free(&aes);
    return st;
}
