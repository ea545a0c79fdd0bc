/* Client calls for key attestation (opcodes 30 AttestKey, 31 PrepareKeyAttestation;
 * docs/evidence.md). Outputs are callee-allocated: free with psh_client_free. */
#ifndef PSH_CLIENT_ATTEST_H
#define PSH_CLIENT_ATTEST_H

#include "psh/client.h"

#define PSH_OP_ATTEST_KEY 30
#define PSH_OP_PREPARE_KEY_ATTESTATION 31

/* PrepareKeyAttestation, ActivateCredential mechanism (upstream): the key's TPM name, its
 * marshalled TPMT_PUBLIC, and the attesting key's (EK) public key in PSA export format.
 * attesting may be NULL (the default attesting key). */
psh_status psh_client_prepare_activate_credential(const psh_client *client, const char *name,
                                                  const char *attesting, uint8_t **tpm_name,
                                                  size_t *tpm_name_len, uint8_t **pub,
                                                  size_t *pub_len, uint8_t **ak_pub,
                                                  size_t *ak_pub_len);
/* AttestKey, ActivateCredential: the credential recovered by the TPM. */
psh_status psh_client_activate_credential(const psh_client *client, const char *name,
                                          const char *attesting, const uint8_t *blob,
                                          size_t blob_len, const uint8_t *secret,
                                          size_t secret_len, uint8_t **cred, size_t *cred_len);
/* PrepareKeyAttestation, Evidence mechanism (ours, 1001): the key a verifier must trust
 * (SubjectPublicKeyInfo DER), its kid, and the evidence media type (may be NULL). */
psh_status psh_client_prepare_evidence(const psh_client *client, const char *name,
                                       uint8_t **spki, size_t *spki_len, uint8_t **kid,
                                       size_t *kid_len, char **media_type);
/* AttestKey, Evidence: evidence over nonce (8..64 bytes); media_type may be NULL. */
psh_status psh_client_attest_evidence(const psh_client *client, const char *name,
                                      const uint8_t *nonce, size_t nonce_len, uint8_t **ev,
                                      size_t *ev_len, char **media_type);

#endif
