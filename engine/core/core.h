/* Engine internals shared by the core's files: the engine, one request in flight, and the
 * opcode table's row type. */
#ifndef PSH_CORE_H
#define PSH_CORE_H

#include <protobuf-c/protobuf-c.h>

#include "core/provider.h"
#include "kim/kim.h"
#include "psh/engine.h"
#include "wire/wire.h"

typedef struct psh_provider_slot {
    const psh_provider_ops *ops;
    void *ctx;
    const psh_provider_config *cfg; /* points into the engine's config copy */
} psh_provider_slot;

struct psh_engine {
    psh_engine_config cfg;
    psh_kim *kim;
    size_t provider_count;
    psh_provider_slot providers[PSH_MAX_PROVIDERS]; /* config (priority) order */
    psh_provider_slot *by_id[PSH_PROVIDER_ID_MAX + 1];
};

typedef struct psh_request {
    psh_engine *engine;
    const psh_wire_header *hdr;
    uint8_t auth_type;        /* 0 when unauthenticated */
    const char *app;          /* NULL when unauthenticated */
    psh_provider_slot *slot;  /* NULL for the core provider */
    uint8_t *resp_body;       /* owned; set by psh_request_set_result */
    size_t resp_body_len;
} psh_request;

/* Handlers get the decoded Operation and pack their Result with psh_request_set_result. */
typedef psh_status (*psh_op_handler)(psh_request *req, const ProtobufCMessage *op);

enum {
    PSH_OP_CORE = 1u << 0,       /* goes to provider 0 */
    PSH_OP_ADMIN = 1u << 1,      /* needs an admin identity */
    PSH_OP_NEEDS_AUTH = 1u << 2, /* NoAuth requests get NotAuthenticated */
    /* Served but never listed by ListOpcodes: Parsec's Rust clients (parsec-interface
     * 0.27-0.30) reject a whole ListOpcodes result holding an opcode they do not know
     * (docs/mac-opcodes.md). */
    PSH_OP_UNLISTED = 1u << 3,
};

typedef struct psh_opcode_row {
    uint32_t opcode;
    const char *name;
    unsigned flags;
    const ProtobufCMessageDescriptor *op_desc;
    psh_op_handler handler;
} psh_opcode_row;

/* The row for an opcode, or NULL when it does not exist (spec 1.5 step 8d). */
const psh_opcode_row *psh_opcode_lookup(uint32_t opcode);
/* 1 when ListOpcodes may list the opcode (it exists and is not PSH_OP_UNLISTED). */
int psh_opcode_advertised(uint32_t opcode);
/* The opcode's Parsec name, or NULL. */
const char *psh_opcode_name(uint32_t opcode);

/* Packs result into req->resp_body, capped at buffer_size_limit (ResponseTooLarge). */
psh_status psh_request_set_result(psh_request *req, const ProtobufCMessage *result);

/* Spec 1.5 step 15 helper: string fields must be UTF-8 without NUL (checked on the raw body,
 * since protobuf-c's C strings cannot show an embedded NUL). */
psh_status psh_pb_check_strings(const ProtobufCMessageDescriptor *desc, const uint8_t *body,
                                size_t len);

/* Handlers, by file. */
psh_status psh_op_ping(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_list_providers(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_list_opcodes(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_list_authenticators(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_list_keys(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_list_clients(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_delete_client(psh_request *req, const ProtobufCMessage *op);

psh_status psh_op_generate_key(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_import_key(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_destroy_key(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_export_public_key(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_export_key(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_sign_hash(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_verify_hash(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_sign_message(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_verify_message(psh_request *req, const ProtobufCMessage *op);

psh_status psh_op_asymmetric_encrypt(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_asymmetric_decrypt(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_generate_random(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_hash_compute(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_hash_compare(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_aead_encrypt(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_aead_decrypt(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_raw_key_agreement(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_cipher_encrypt(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_cipher_decrypt(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_mac_compute(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_mac_verify(psh_request *req, const ProtobufCMessage *op);
psh_status psh_op_can_do_crypto(psh_request *req, const ProtobufCMessage *op);

/* Looks a key up in the caller's namespace on the addressed provider. A key of the same name
 * on another provider does not exist for this request. *out: psh_kim_entry_free. */
psh_status psh_core_load_key(psh_request *req, const char *name, psh_kim_entry **out);

/* Destroys one key: KIM record first (so no mapping to nothing survives a crash), then the
 * provider object. Used by PsaDestroyKey and DeleteClient. */
psh_status psh_core_destroy_entry(psh_engine *engine, const psh_kim_entry *entry);

#endif
