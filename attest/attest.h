/* Key attestation: evidence verifier (parsec-tpm, parsec-cca, our KAT format), evidence
 * builders (KAT/CMW, CBOR for the TPM provider), software TPM2 MakeCredential, and a CBOR
 * diagnostic printer. Crypto goes through Mbed TLS's legacy mbedtls_* APIs (pk, ecdsa, md,
 * rsa, aes), which need no PSA lock. Every parser takes (ptr, len) and caps what it derives. */
#ifndef PSH_ATTEST_H
#define PSH_ATTEST_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/pk.h>

#include "psh/status.h"

typedef enum psh_attest_format {
    PSH_ATTEST_PARSEC_TPM = 0,
    PSH_ATTEST_PARSEC_CCA = 1,
    PSH_ATTEST_KAT = 2,
} psh_attest_format;

/* "parsec-tpm" / "parsec-cca" / "kat"; 0 and *out on success, -1 on an unknown name. */
int psh_attest_format_from_name(const char *name, psh_attest_format *out);
const char *psh_attest_format_name(psh_attest_format f);

#define PSH_ATTEST_MAX_EVIDENCE (64 * 1024)
#define PSH_ATTEST_NONCE_MIN 8
#define PSH_ATTEST_NONCE_MAX 64

/* A trust anchor: a public key, optionally bound to an identifier (TPM: the kid UEID; CCA: the
 * platform instance-id UEID; KAT: the PAT's COSE kid). An anchor with id_len == 0 matches any
 * identifier (a key given on the command line). */
typedef struct psh_attest_anchor {
    uint8_t id[64];
    size_t id_len;
    mbedtls_pk_context pk; /* owned; psh_attest_anchor_free */
} psh_attest_anchor;

/* Loads a PEM (or DER) SubjectPublicKeyInfo; rejects private keys and non-EC/RSA keys.
 * SUCCESS, PsaErrorInvalidArgument. Free with psh_attest_anchor_free even on failure. */
psh_status psh_attest_anchor_from_pem(psh_attest_anchor *a, const uint8_t *pem, size_t len);
void psh_attest_anchor_free(psh_attest_anchor *a);

/* One reference PCR value: TPM hash algorithm id (0x000B sha-256, 0x000C sha-384, 0x000D
 * sha-512), PCR index, expected digest. */
typedef struct psh_attest_pcr_ref {
    uint16_t alg;
    uint8_t pcr;
    uint8_t digest[64];
    size_t digest_len;
} psh_attest_pcr_ref;

/* One CCA platform reference value: a software component (measurement type such as "BL" and
 * its measurement value) or a platform configuration value. */
typedef struct psh_attest_cca_ref {
    int is_config;
    char type[32];
    uint8_t value[64];
    size_t len;
} psh_attest_cca_ref;

typedef struct psh_attest_policy {
    const uint8_t *nonce; /* borrowed: the nonce the verifier issued (required) */
    size_t nonce_len;
    const psh_attest_anchor *anchors; /* borrowed */
    size_t n_anchors;
    const psh_attest_pcr_ref *pcrs; /* borrowed; parsec-tpm only */
    size_t n_pcrs;
    const psh_attest_cca_ref *cca_refs; /* borrowed; parsec-cca only */
    size_t n_cca_refs;
} psh_attest_policy;

#define PSH_ATTEST_MAX_CHECKS 48

typedef struct psh_attest_check {
    char name[40];
    int ok;
    char reason[200]; /* empty when ok */
} psh_attest_check;

/* The result of one verification: every check run, in order, and the attested key. */
typedef struct psh_attest_appraisal {
    psh_attest_format format;
    int complete;      /* every step ran */
    psh_status status; /* the first failure's status; SUCCESS when none */
    size_t n_checks;
    psh_attest_check checks[PSH_ATTEST_MAX_CHECKS];
    uint8_t key_spki[600]; /* attested public key, SubjectPublicKeyInfo DER */
    size_t key_spki_len;
    uint8_t evidence_nonce[64];
    size_t evidence_nonce_len;
    uint8_t kid[64]; /* trust-anchor identifier seen in the evidence */
    size_t kid_len;
} psh_attest_appraisal;

/* Verifies evidence of the given format. Returns SUCCESS only when every check passed (the
 * appraisal says which failed otherwise: PsaErrorInvalidSignature, PsaErrorInvalidArgument for
 * malformed evidence, PsaErrorNotPermitted for policy failures such as a stale nonce). */
psh_status psh_attest_verify(psh_attest_format fmt, const uint8_t *ev, size_t len,
                             const psh_attest_policy *pol, psh_attest_appraisal *out);

/* Only the parsec-cca KAT (UCCS) rules of sec 2.1, on a bare KAT: tag 601, nonce 8..64 bytes,
 * cnf COSE_Key valid. SUCCESS or the first failure's status. */
psh_status psh_attest_cca_kat_check(const uint8_t *kat, size_t len, psh_attest_appraisal *a);

/* True when the appraisal holds no failed check and every step ran. */
int psh_attest_verified(const psh_attest_appraisal *a);
/* The failed check with this name, or NULL. */
const psh_attest_check *psh_attest_failed(const psh_attest_appraisal *a, const char *name);
/* JSON appraisal: {"format","verdict","checks":[...],"key":{...}}; callee-allocated,
 * free with free(). NULL on allocation failure. */
char *psh_attest_appraisal_json(const psh_attest_appraisal *a);

/* Converts the JSON form of parsec-tpm evidence (base64 bstrs, as in veraison/parsec's test
 * vectors) to CBOR. Callee-allocated *out, free with psh_free. SUCCESS, PsaErrorInvalidArgument. */
psh_status psh_attest_tpm_json_to_cbor(const char *json, size_t len, uint8_t **out,
                                       size_t *out_len);

/* Appends the trust anchors (attest-key triples: instance bytes/ueid as id, PEM keys) and the
 * PCR reference values (reference triples with uint keys) of an unsigned CoRIM (tag 501) to
 * the caller's arrays; *n_anchors and *n_pcrs are counts already used. Anchors added must be
 * freed with psh_attest_anchor_free. SUCCESS, PsaErrorInvalidArgument (not a CoRIM). */
psh_status psh_attest_corim_load(const uint8_t *buf, size_t len, psh_attest_anchor *anchors,
                                 size_t max_anchors, size_t *n_anchors,
                                 psh_attest_pcr_ref *pcrs, size_t max_pcrs, size_t *n_pcrs);

/* The CCA platform reference values (cca.software-component digests by name,
 * cca.platform-config raw values) of an unsigned CoRIM, appended like psh_attest_corim_load. */
psh_status psh_attest_corim_load_cca(const uint8_t *buf, size_t len, psh_attest_cca_ref *refs,
                                     size_t max, size_t *n);

/* --- CBOR diagnostic notation ------------------------------------------------------------ */
/* Renders one bounded-decoded CBOR item as diagnostic notation (RFC 8949 sec 8) into a
 * callee-allocated NUL-terminated string (psh_free). Embedded CBOR (bstr holding a well-formed
 * item, such as COSE payloads and CMW records) is shown as << ... >> as well.
 * SUCCESS, PsaErrorInvalidArgument (not well-formed or over the caps). */
psh_status psh_attest_diag(const uint8_t *buf, size_t len, char **out);

/* --- KAT evidence (draft-bft-rats-kat shape, docs/evidence.md) ----------------------------- */
/* Key identifiers: the COSE kid we put in the PAT's protected header is
 * 0x01 || SHA-256(SPKI DER of the PAK); the same derivation names a TPM AK (kid UEID). */
psh_status psh_attest_kid_from_pk(const mbedtls_pk_context *pk, uint8_t kid[33]);

/* For the TPM provider: SubjectPublicKeyInfo DER of an ECC TPMT_PUBLIC (e.g. the AK's, to export
 * it as PEM for endorsement), and the kid 0x01 || SHA-256(that SPKI). SUCCESS,
 * PsaErrorInvalidArgument (not an ECC P-256/384/521 TPMT_PUBLIC), PsaErrorBufferTooSmall. */
psh_status psh_attest_spki_from_tpmt_public(const uint8_t *pub, size_t len, uint8_t *spki,
                                            size_t size, size_t *spki_len);
psh_status psh_attest_kid_from_tpmt_public(const uint8_t *pub, size_t len, uint8_t kid[33]);
/* TPM Name of an object: nameAlg (u16) || H_nameAlg(TPMT_PUBLIC bytes). name must hold 66
 * bytes. SUCCESS, PsaErrorInvalidArgument (not a TPMT_PUBLIC, or nameAlg unsupported). */
psh_status psh_attest_tpm_name(const uint8_t *pub, size_t len, uint8_t name[66],
                               size_t *name_len);

/* For providers: an uncompressed SECP_R1 point (04 || X || Y, PSA export format) of a
 * 256/384/521-bit key as an Mbed TLS public key (pk initialised by the caller; free with
 * mbedtls_pk_free). SUCCESS, PsaErrorNotSupported (size), PsaErrorInvalidArgument (point). */
psh_status psh_attest_pk_from_point(size_t bits, const uint8_t *pt, size_t len,
                                    mbedtls_pk_context *pk);

/* A signer held elsewhere (a PKCS#11 token, the TPM): signs `hash` (SHA-256/384/512 for
 * P-256/384/521) with ECDSA and writes r || s, each big-endian and left-padded to the curve
 * size, sig_len = 2 * curve size bytes (what PKCS#11 CKM_ECDSA returns). 0 or -1. */
typedef int (*psh_attest_sign_fn)(void *ctx, const uint8_t *hash, size_t hash_len,
                                  uint8_t *sig, size_t sig_len);

/* The builders below with the private key outside Mbed TLS: pak_pub / kak_pub are the
 * signers' public keys (curve, kid and the kak-pub claim come from them). */
psh_status psh_kat_build_pat_ext(psh_attest_sign_fn sign, void *ctx,
                                 const mbedtls_pk_context *pak_pub,
                                 const mbedtls_pk_context *kak_pub, uint8_t **out,
                                 size_t *out_len);
psh_status psh_kat_build_kat_ext(psh_attest_sign_fn sign, void *ctx,
                                 const mbedtls_pk_context *kak_pub,
                                 const mbedtls_pk_context *ik_pub, const uint8_t *nonce,
                                 size_t nonce_len, uint8_t **out, size_t *out_len);

/* Platform token: COSE_Sign1 by the PAK over {10: SHA-256(kak COSE_Key bytes), 265: profile,
 * 256: ueid}. Callee-allocated *out (psh_free). */
psh_status psh_kat_build_pat(mbedtls_pk_context *pak, const mbedtls_pk_context *kak_pub,
                             uint8_t **out, size_t *out_len);
/* Key attestation token: COSE_Sign1 by the KAK over {10: nonce, 8: {1: COSE_Key(ik)},
 * 2500: COSE_Key(kak)}. */
psh_status psh_kat_build_kat(mbedtls_pk_context *kak, const mbedtls_pk_context *ik_pub,
                             const uint8_t *nonce, size_t nonce_len, uint8_t **out,
                             size_t *out_len);
/* CMW collection {"kat": [mt, bstr], "pat": [mt, bstr], "__cmwc_t": tag}. */
psh_status psh_kat_build_cab(const uint8_t *kat, size_t kat_len, const uint8_t *pat,
                             size_t pat_len, uint8_t **out, size_t *out_len);
/* All three in one: what a provider holding a KAK (and the platform's PAK) returns. */
psh_status psh_kat_sign(mbedtls_pk_context *pak, mbedtls_pk_context *kak,
                        const mbedtls_pk_context *ik_pub, const uint8_t *nonce,
                        size_t nonce_len, uint8_t **out, size_t *out_len);

/* --- parsec-tpm evidence (for the TPM provider) ------------------------------------------- */
/* {"kat": {"kid","sig","tpmVer","pubArea","certInfo"}, "pat": {"kid","sig","tpmVer",
 * "attestInfo"}} in CTAP2 canonical order from the raw TPM outputs: sig = marshalled
 * TPMT_SIGNATURE, certInfo/attestInfo = TPMS_ATTEST bytes (TPM2B_ATTEST contents), pubArea =
 * marshalled TPMT_PUBLIC. Callee-allocated *out (psh_free). */
typedef struct psh_tpm_evidence_parts {
    const uint8_t *kid; size_t kid_len;
    const uint8_t *kat_sig; size_t kat_sig_len;
    const uint8_t *pub_area; size_t pub_area_len;
    const uint8_t *cert_info; size_t cert_info_len;
    const uint8_t *pat_sig; size_t pat_sig_len;
    const uint8_t *attest_info; size_t attest_info_len;
} psh_tpm_evidence_parts;
psh_status psh_tpm_evidence_build(const psh_tpm_evidence_parts *p, uint8_t **out,
                                  size_t *out_len);

/* --- software TPM2_MakeCredential (TPM 2.0 Part 1, credential protection) ------------------ */
/* ek_public: TPM2B_PUBLIC or TPMT_PUBLIC of an RSA storage key (the EK); name: TPM Name of the
 * key to activate (nameAlg || digest); credential: the secret (<= 64 bytes).
 * Outputs caller buffers: blob = TPM2B_ID_OBJECT contents (TPM2B hmac || encIdentity),
 * secret = TPM2B_ENCRYPTED_SECRET contents. SUCCESS, PsaErrorInvalidArgument,
 * PsaErrorNotSupported (non-RSA EK or unsupported algorithms), PsaErrorBufferTooSmall. */
psh_status psh_make_credential(const uint8_t *ek_public, size_t ek_len, const uint8_t *name,
                               size_t name_len, const uint8_t *credential, size_t cred_len,
                               uint8_t *blob, size_t blob_size, size_t *blob_len,
                               uint8_t *secret, size_t secret_size, size_t *secret_len);

/* --- endorsements ----------------------------------------------------------------------- */
/* CoMID JSON (Veraison's corim templates): an attester-verification-keys triple for an AK
 * (class UUID, instance bytes = kid, PEM key) and/or reference values for PCRs.
 * Callee-allocated (free()). */
char *psh_attest_endorse_ta_json(const char *class_uuid, const uint8_t *kid, size_t kid_len,
                                 const char *pem);
char *psh_attest_endorse_refval_json(const char *class_uuid, const psh_attest_pcr_ref *pcrs,
                                     size_t n);

#endif
