/* The opcode table (spec section 2): one row per opcode. ListOpcodes, OpcodeDoesNotExist, the
 * core/admin/auth checks and dispatch all read it, so a new opcode is one row. */
#include "core/core.h"

#include <stddef.h>

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

/* ops_attest.c */
psh_status psh_op_attest_key(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_prepare_key_attestation(psh_request *req, const ProtobufCMessage *op);

#define CORE PSH_OP_CORE
#define ADMIN PSH_OP_ADMIN
#define AUTH PSH_OP_NEEDS_AUTH
#define UNLISTED PSH_OP_UNLISTED

/* Handlers added by later operation files are weak-free: a NULL handler answers
 * PsaErrorNotSupported after the body decodes. */
static const psh_opcode_row opcode_table[] = {
    {1, "Ping", CORE, &ping__operation__descriptor, psh_op_ping},
    {2, "PsaGenerateKey", AUTH, &psa_generate_key__operation__descriptor, psh_op_generate_key},
    {3, "PsaDestroyKey", AUTH, &psa_destroy_key__operation__descriptor, psh_op_destroy_key},
    {4, "PsaSignHash", AUTH, &psa_sign_hash__operation__descriptor, psh_op_sign_hash},
    {5, "PsaVerifyHash", AUTH, &psa_verify_hash__operation__descriptor, psh_op_verify_hash},
    {6, "PsaImportKey", AUTH, &psa_import_key__operation__descriptor, psh_op_import_key},
    {7, "PsaExportPublicKey", AUTH, &psa_export_public_key__operation__descriptor, psh_op_export_public_key},
    {8, "ListProviders", CORE, &list_providers__operation__descriptor, psh_op_list_providers},
    {9, "ListOpcodes", CORE, &list_opcodes__operation__descriptor, psh_op_list_opcodes},
    {10, "PsaAsymmetricEncrypt", AUTH, &psa_asymmetric_encrypt__operation__descriptor, psh_op_asymmetric_encrypt},
    {11, "PsaAsymmetricDecrypt", AUTH, &psa_asymmetric_decrypt__operation__descriptor, psh_op_asymmetric_decrypt},
    {12, "PsaExportKey", AUTH, &psa_export_key__operation__descriptor, psh_op_export_key},
    {13, "PsaGenerateRandom", 0, &psa_generate_random__operation__descriptor, psh_op_generate_random},
    {14, "ListAuthenticators", CORE, &list_authenticators__operation__descriptor, psh_op_list_authenticators},
    {15, "PsaHashCompute", 0, &psa_hash_compute__operation__descriptor, psh_op_hash_compute},
    {16, "PsaHashCompare", 0, &psa_hash_compare__operation__descriptor, psh_op_hash_compare},
    {17, "PsaAeadEncrypt", AUTH, &psa_aead_encrypt__operation__descriptor, psh_op_aead_encrypt},
    {18, "PsaAeadDecrypt", AUTH, &psa_aead_decrypt__operation__descriptor, psh_op_aead_decrypt},
    {19, "PsaRawKeyAgreement", AUTH, &psa_raw_key_agreement__operation__descriptor, psh_op_raw_key_agreement},
    {20, "PsaCipherEncrypt", AUTH, &psa_cipher_encrypt__operation__descriptor, psh_op_cipher_encrypt},
    {21, "PsaCipherDecrypt", AUTH, &psa_cipher_decrypt__operation__descriptor, psh_op_cipher_decrypt},
    {22, "PsaMacCompute", AUTH | UNLISTED, &psa_mac_compute__operation__descriptor, psh_op_mac_compute},
    {23, "PsaMacVerify", AUTH | UNLISTED, &psa_mac_verify__operation__descriptor, psh_op_mac_verify},
    {24, "PsaSignMessage", AUTH, &psa_sign_message__operation__descriptor, psh_op_sign_message},
    {25, "PsaVerifyMessage", AUTH, &psa_verify_message__operation__descriptor, psh_op_verify_message},
    {26, "ListKeys", CORE | AUTH, &list_keys__operation__descriptor, psh_op_list_keys},
    {27, "ListClients", CORE | ADMIN | AUTH, &list_clients__operation__descriptor, psh_op_list_clients},
    {28, "DeleteClient", CORE | ADMIN | AUTH, &delete_client__operation__descriptor, psh_op_delete_client},
    {30, "AttestKey", AUTH, &attest_key__operation__descriptor, psh_op_attest_key},
    {31, "PrepareKeyAttestation", AUTH, &prepare_key_attestation__operation__descriptor, psh_op_prepare_key_attestation},
    {32, "CanDoCrypto", AUTH, &can_do_crypto__operation__descriptor, psh_op_can_do_crypto},
};

#define OPCODE_COUNT (sizeof opcode_table / sizeof opcode_table[0])

const psh_opcode_row *psh_opcode_lookup(uint32_t opcode)
{
    /* Range-checked linear search: the table is small and sorted, but may have gaps (29). */
    if (opcode == 0 || opcode > opcode_table[OPCODE_COUNT - 1].opcode)
        return NULL;
    for (size_t i = 0; i < OPCODE_COUNT; i++)
        if (opcode_table[i].opcode == opcode)
            return &opcode_table[i];
    return NULL;
}

int psh_opcode_advertised(uint32_t opcode)
{
    const psh_opcode_row *row = psh_opcode_lookup(opcode);
    return row != NULL && (row->flags & PSH_OP_UNLISTED) == 0;
}

const char *psh_opcode_name(uint32_t opcode)
{
    const psh_opcode_row *row = psh_opcode_lookup(opcode);
    return row == NULL ? NULL : row->name;
}
