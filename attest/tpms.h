/* Bounded parsers for the TPM 2.0 structures in parsec-tpm evidence (Part 2: TPMS_ATTEST,
 * TPMT_SIGNATURE, TPMT_PUBLIC), big-endian, on the project's bounded reader. Results borrow
 * from the input buffer. */
#ifndef PSH_ATTEST_TPMS_H
#define PSH_ATTEST_TPMS_H

#include <stddef.h>
#include <stdint.h>

#define PSH_TPM_GENERATED 0xFF544347u
#define PSH_TPM_ST_ATTEST_CERTIFY 0x8017
#define PSH_TPM_ST_ATTEST_QUOTE 0x8018
#define PSH_TPM_ALG_RSA 0x0001
#define PSH_TPM_ALG_SHA1 0x0004
#define PSH_TPM_ALG_AES 0x0006
#define PSH_TPM_ALG_SHA256 0x000B
#define PSH_TPM_ALG_SHA384 0x000C
#define PSH_TPM_ALG_SHA512 0x000D
#define PSH_TPM_ALG_NULL 0x0010
#define PSH_TPM_ALG_ECDSA 0x0018
#define PSH_TPM_ALG_ECC 0x0023
#define PSH_TPM_ALG_CFB 0x0043
#define PSH_TPMA_FIXED_TPM 0x00000002u
#define PSH_TPMA_SENSITIVE_DATA_ORIGIN 0x00000020u
#define PSH_TPMA_RESTRICTED 0x00010000u
#define PSH_TPMA_DECRYPT 0x00020000u

typedef struct psh_tpm_buf {
    const uint8_t *p; /* borrowed */
    size_t len;
} psh_tpm_buf;

#define PSH_TPM_MAX_PCR_BANKS 8

typedef struct psh_tpms_attest {
    uint32_t magic;
    uint16_t type;
    psh_tpm_buf qualified_signer, extra_data;
    uint64_t clock;
    uint32_t reset_count, restart_count;
    uint8_t safe;
    uint64_t firmware_version;
    /* CERTIFY */
    psh_tpm_buf name, qualified_name;
    /* QUOTE */
    uint32_t n_banks;
    struct {
        uint16_t hash;
        uint8_t size;
        uint8_t select[8];
    } bank[PSH_TPM_MAX_PCR_BANKS];
    psh_tpm_buf pcr_digest;
} psh_tpms_attest;

typedef struct psh_tpmt_signature {
    uint16_t sig_alg, hash;
    psh_tpm_buf r, s; /* ECDSA */
} psh_tpmt_signature;

typedef struct psh_tpmt_public {
    uint16_t type, name_alg;
    uint32_t attributes;
    psh_tpm_buf auth_policy;
    uint16_t sym_alg, sym_bits, sym_mode;
    uint16_t scheme, scheme_hash;
    uint16_t curve;      /* ECC */
    uint16_t rsa_bits;   /* RSA */
    uint32_t exponent;   /* RSA; 0 means 65537 */
    psh_tpm_buf x, y;    /* ECC unique */
    psh_tpm_buf modulus; /* RSA unique */
} psh_tpmt_public;

/* Each returns 0, or -1 with a static reason in *why. The whole buffer must be consumed. */
int psh_tpms_attest_parse(const uint8_t *p, size_t len, psh_tpms_attest *out, const char **why);
int psh_tpmt_signature_parse(const uint8_t *p, size_t len, psh_tpmt_signature *out,
                             const char **why);
int psh_tpmt_public_parse(const uint8_t *p, size_t len, psh_tpmt_public *out, const char **why);

/* Digest size of a TPM hash algorithm (0 when unsupported) and its Mbed TLS md type. */
size_t psh_tpm_hash_size(uint16_t alg);
int psh_tpm_hash_md(uint16_t alg); /* mbedtls_md_type_t, MBEDTLS_MD_NONE when unsupported */

#endif
