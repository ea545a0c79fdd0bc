/* Opcode names and the protobuf descriptors of their bodies (spec section 2, 5): the runner
 * encodes every operation by reflection, so a new opcode is one row here. */
#include "conform.h"

#include <stdlib.h>
#include <string.h>

#include "attest_key.pb-c.h"
#include "can_do_crypto.pb-c.h"
#include "delete_client.pb-c.h"
#include "list_authenticators.pb-c.h"
#include "list_clients.pb-c.h"
#include "list_keys.pb-c.h"
#include "list_opcodes.pb-c.h"
#include "list_providers.pb-c.h"
#include "ping.pb-c.h"
#include "prepare_key_attestation.pb-c.h"
#include "psa_aead_decrypt.pb-c.h"
#include "psa_aead_encrypt.pb-c.h"
#include "psa_asymmetric_decrypt.pb-c.h"
#include "psa_asymmetric_encrypt.pb-c.h"
#include "psa_cipher_decrypt.pb-c.h"
#include "psa_cipher_encrypt.pb-c.h"
#include "psa_destroy_key.pb-c.h"
#include "psa_export_key.pb-c.h"
#include "psa_export_public_key.pb-c.h"
#include "psa_generate_key.pb-c.h"
#include "psa_generate_random.pb-c.h"
#include "psa_hash_compare.pb-c.h"
#include "psa_hash_compute.pb-c.h"
#include "psa_import_key.pb-c.h"
#include "psa_mac_compute.pb-c.h"
#include "psa_mac_verify.pb-c.h"
#include "psa_raw_key_agreement.pb-c.h"
#include "psa_sign_hash.pb-c.h"
#include "psa_sign_message.pb-c.h"
#include "psa_verify_hash.pb-c.h"
#include "psa_verify_message.pb-c.h"

static const psh_cf_op ops[] = {
    {1, "Ping", 1, &ping__operation__descriptor, &ping__result__descriptor},
    {2, "PsaGenerateKey", 0, &psa_generate_key__operation__descriptor, &psa_generate_key__result__descriptor},
    {3, "PsaDestroyKey", 0, &psa_destroy_key__operation__descriptor, &psa_destroy_key__result__descriptor},
    {4, "PsaSignHash", 0, &psa_sign_hash__operation__descriptor, &psa_sign_hash__result__descriptor},
    {5, "PsaVerifyHash", 0, &psa_verify_hash__operation__descriptor, &psa_verify_hash__result__descriptor},
    {6, "PsaImportKey", 0, &psa_import_key__operation__descriptor, &psa_import_key__result__descriptor},
    {7, "PsaExportPublicKey", 0, &psa_export_public_key__operation__descriptor, &psa_export_public_key__result__descriptor},
    {8, "ListProviders", 1, &list_providers__operation__descriptor, &list_providers__result__descriptor},
    {9, "ListOpcodes", 1, &list_opcodes__operation__descriptor, &list_opcodes__result__descriptor},
    {10, "PsaAsymmetricEncrypt", 0, &psa_asymmetric_encrypt__operation__descriptor, &psa_asymmetric_encrypt__result__descriptor},
    {11, "PsaAsymmetricDecrypt", 0, &psa_asymmetric_decrypt__operation__descriptor, &psa_asymmetric_decrypt__result__descriptor},
    {12, "PsaExportKey", 0, &psa_export_key__operation__descriptor, &psa_export_key__result__descriptor},
    {13, "PsaGenerateRandom", 0, &psa_generate_random__operation__descriptor, &psa_generate_random__result__descriptor},
    {14, "ListAuthenticators", 1, &list_authenticators__operation__descriptor, &list_authenticators__result__descriptor},
    {15, "PsaHashCompute", 0, &psa_hash_compute__operation__descriptor, &psa_hash_compute__result__descriptor},
    {16, "PsaHashCompare", 0, &psa_hash_compare__operation__descriptor, &psa_hash_compare__result__descriptor},
    {17, "PsaAeadEncrypt", 0, &psa_aead_encrypt__operation__descriptor, &psa_aead_encrypt__result__descriptor},
    {18, "PsaAeadDecrypt", 0, &psa_aead_decrypt__operation__descriptor, &psa_aead_decrypt__result__descriptor},
    {19, "PsaRawKeyAgreement", 0, &psa_raw_key_agreement__operation__descriptor, &psa_raw_key_agreement__result__descriptor},
    {20, "PsaCipherEncrypt", 0, &psa_cipher_encrypt__operation__descriptor, &psa_cipher_encrypt__result__descriptor},
    {21, "PsaCipherDecrypt", 0, &psa_cipher_decrypt__operation__descriptor, &psa_cipher_decrypt__result__descriptor},
    {22, "PsaMacCompute", 0, &psa_mac_compute__operation__descriptor, &psa_mac_compute__result__descriptor},
    {23, "PsaMacVerify", 0, &psa_mac_verify__operation__descriptor, &psa_mac_verify__result__descriptor},
    {24, "PsaSignMessage", 0, &psa_sign_message__operation__descriptor, &psa_sign_message__result__descriptor},
    {25, "PsaVerifyMessage", 0, &psa_verify_message__operation__descriptor, &psa_verify_message__result__descriptor},
    {26, "ListKeys", 1, &list_keys__operation__descriptor, &list_keys__result__descriptor},
    {27, "ListClients", 1, &list_clients__operation__descriptor, &list_clients__result__descriptor},
    {28, "DeleteClient", 1, &delete_client__operation__descriptor, &delete_client__result__descriptor},
    {30, "AttestKey", 0, &attest_key__operation__descriptor, &attest_key__result__descriptor},
    {31, "PrepareKeyAttestation", 0, &prepare_key_attestation__operation__descriptor, &prepare_key_attestation__result__descriptor},
    {32, "CanDoCrypto", 0, &can_do_crypto__operation__descriptor, &can_do_crypto__result__descriptor},
};

#define OP_COUNT (sizeof ops / sizeof ops[0])

const psh_cf_op *psh_cf_op_by_name(const char *name)
{
    for (size_t i = 0; name != NULL && i < OP_COUNT; i++)
        if (strcmp(ops[i].name, name) == 0)
            return &ops[i];
    return NULL;
}

const psh_cf_op *psh_cf_op_by_code(uint32_t opcode)
{
    for (size_t i = 0; i < OP_COUNT; i++)
        if (ops[i].opcode == opcode)
            return &ops[i];
    return NULL;
}

static const struct {
    const char *name;
    int id;
} provider_names[] = {
    {"core", 0}, {"soft", 1}, {"mbed-crypto", 1}, {"MbedCrypto", 1}, {"pkcs11", 2}, {"Pkcs11", 2},
    {"tpm", 3}, {"Tpm", 3}, {"trusted-service", 4}, {"cryptoauthlib", 5},
};

int psh_cf_provider_from_name(const char *name)
{
    char *end = NULL;
    long v;
    if (name == NULL || *name == '\0')
        return -1;
    for (size_t i = 0; i < sizeof provider_names / sizeof provider_names[0]; i++)
        if (strcmp(provider_names[i].name, name) == 0)
            return provider_names[i].id;
    v = strtol(name, &end, 10);
    if (*end != '\0' || v < 0 || v > 255)
        return -1;
    return (int)v;
}

const char *psh_cf_provider_short_name(int id)
{
    static const char *const names[] = {"core", "soft", "pkcs11", "tpm", "trusted-service",
                                        "cryptoauthlib"};
    return id >= 0 && id <= 5 ? names[id] : "unknown";
}
