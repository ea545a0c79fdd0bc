/* Protobuf round trips for every operation contract: each Operation and Result message,
 * filled through protobuf-c reflection with every field set (every oneof member in turn),
 * packs, unpacks and packs again to the same bytes. */
#include "check.h"

#include <protobuf-c/protobuf-c.h>

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
#include "psa_algorithm.pb-c.h"
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
#include "psa_key_attributes.pb-c.h"
#include "psa_mac_compute.pb-c.h"
#include "psa_mac_verify.pb-c.h"
#include "psa_raw_key_agreement.pb-c.h"
#include "psa_sign_hash.pb-c.h"
#include "psa_sign_message.pb-c.h"
#include "psa_verify_hash.pb-c.h"
#include "psa_verify_message.pb-c.h"

static const ProtobufCMessageDescriptor *const messages[] = {
    &attest_key__operation__descriptor, &attest_key__result__descriptor,
    &can_do_crypto__operation__descriptor, &can_do_crypto__result__descriptor,
    &delete_client__operation__descriptor, &delete_client__result__descriptor,
    &list_authenticators__operation__descriptor, &list_authenticators__result__descriptor,
    &list_clients__operation__descriptor, &list_clients__result__descriptor,
    &list_keys__operation__descriptor, &list_keys__result__descriptor,
    &list_opcodes__operation__descriptor, &list_opcodes__result__descriptor,
    &list_providers__operation__descriptor, &list_providers__result__descriptor,
    &ping__operation__descriptor, &ping__result__descriptor,
    &prepare_key_attestation__operation__descriptor, &prepare_key_attestation__result__descriptor,
    &psa_aead_decrypt__operation__descriptor, &psa_aead_decrypt__result__descriptor,
    &psa_aead_encrypt__operation__descriptor, &psa_aead_encrypt__result__descriptor,
    &psa_algorithm__algorithm__descriptor,
    &psa_asymmetric_decrypt__operation__descriptor, &psa_asymmetric_decrypt__result__descriptor,
    &psa_asymmetric_encrypt__operation__descriptor, &psa_asymmetric_encrypt__result__descriptor,
    &psa_cipher_decrypt__operation__descriptor, &psa_cipher_decrypt__result__descriptor,
    &psa_cipher_encrypt__operation__descriptor, &psa_cipher_encrypt__result__descriptor,
    &psa_destroy_key__operation__descriptor, &psa_destroy_key__result__descriptor,
    &psa_export_key__operation__descriptor, &psa_export_key__result__descriptor,
    &psa_export_public_key__operation__descriptor, &psa_export_public_key__result__descriptor,
    &psa_generate_key__operation__descriptor, &psa_generate_key__result__descriptor,
    &psa_generate_random__operation__descriptor, &psa_generate_random__result__descriptor,
    &psa_hash_compare__operation__descriptor, &psa_hash_compare__result__descriptor,
    &psa_hash_compute__operation__descriptor, &psa_hash_compute__result__descriptor,
    &psa_import_key__operation__descriptor, &psa_import_key__result__descriptor,
    &psa_key_attributes__key_attributes__descriptor,
    &psa_mac_compute__operation__descriptor, &psa_mac_compute__result__descriptor,
    &psa_mac_verify__operation__descriptor, &psa_mac_verify__result__descriptor,
    &psa_raw_key_agreement__operation__descriptor, &psa_raw_key_agreement__result__descriptor,
    &psa_sign_hash__operation__descriptor, &psa_sign_hash__result__descriptor,
    &psa_sign_message__operation__descriptor, &psa_sign_message__result__descriptor,
    &psa_verify_hash__operation__descriptor, &psa_verify_hash__result__descriptor,
    &psa_verify_message__operation__descriptor, &psa_verify_message__result__descriptor,
};

#define MAX_DEPTH 8

static void *arena[4096];
static size_t arena_n;

static void *take(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (arena_n < sizeof arena / sizeof arena[0])
        arena[arena_n++] = p;
    return p;
}

static void arena_free(void)
{
    while (arena_n > 0)
        free(arena[--arena_n]);
}

/* Fills one message: every plain field set to a non-default value; for each oneof, the member
 * chosen by pick (so repeated calls with different picks visit every member). */
static ProtobufCMessage *fill(const ProtobufCMessageDescriptor *d, unsigned pick, int depth)
{
    ProtobufCMessage *m = take(d->sizeof_message);
    protobuf_c_message_init(d, m);
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        char *base = (char *)m + f->offset;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            /* members of one oneof share quantifier_offset; choose one of them */
            unsigned first = i, count = 0;
            while (i + count < d->n_fields &&
                   d->fields[i + count].quantifier_offset == f->quantifier_offset)
                count++;
            const ProtobufCFieldDescriptor *chosen = &d->fields[first + pick % count];
            *(uint32_t *)((char *)m + chosen->quantifier_offset) = chosen->id;
            base = (char *)m + chosen->offset;
            f = chosen;
            i = first + count - 1;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t *n = (size_t *)((char *)m + f->quantifier_offset);
            if (f->type == PROTOBUF_C_TYPE_UINT32) {
                uint32_t *v = take(3 * sizeof *v);
                v[0] = 1; v[1] = 300; v[2] = 70000;
                *n = 3;
                *(uint32_t **)base = v;
            } else if (f->type == PROTOBUF_C_TYPE_STRING) {
                char **v = take(2 * sizeof *v);
                v[0] = (char *)"alice"; v[1] = (char *)"b\xc3\xa9";
                *n = 2;
                *(char ***)base = v;
            } else if (f->type == PROTOBUF_C_TYPE_MESSAGE && depth < MAX_DEPTH) {
                ProtobufCMessage **v = take(2 * sizeof *v);
                v[0] = fill(f->descriptor, pick, depth + 1);
                v[1] = fill(f->descriptor, pick + 1, depth + 1);
                *n = 2;
                *(ProtobufCMessage ***)base = v;
            }
            continue;
        }
        switch (f->type) {
        case PROTOBUF_C_TYPE_UINT32: *(uint32_t *)base = 7 + pick; break;
        case PROTOBUF_C_TYPE_UINT64: *(uint64_t *)base = 1ull << 40; break;
        case PROTOBUF_C_TYPE_BOOL: *(protobuf_c_boolean *)base = 1; break;
        case PROTOBUF_C_TYPE_ENUM: {
            const ProtobufCEnumDescriptor *e = f->descriptor;
            *(int *)base = e->values[e->n_values - 1 - pick % e->n_values].value;
            break;
        }
        case PROTOBUF_C_TYPE_STRING: *(char **)base = (char *)"key/\xe2\x82\xac"; break;
        case PROTOBUF_C_TYPE_BYTES: {
            ProtobufCBinaryData *b = (ProtobufCBinaryData *)base;
            b->data = (uint8_t *)"\x00\x01\xff";
            b->len = 3;
            break;
        }
        case PROTOBUF_C_TYPE_MESSAGE:
            if (depth < MAX_DEPTH)
                *(ProtobufCMessage **)base = fill(f->descriptor, pick, depth + 1);
            break;
        default:
            break;
        }
    }
    return m;
}

static void round_trip(const ProtobufCMessageDescriptor *d, unsigned pick)
{
    ProtobufCMessage *m = fill(d, pick, 0);
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *a = malloc(n ? n : 1), *b;
    protobuf_c_message_pack(m, a);
    ProtobufCMessage *u = protobuf_c_message_unpack(d, NULL, n, a);
    CHECK(u != NULL);
    if (u != NULL) {
        size_t n2 = protobuf_c_message_get_packed_size(u);
        b = malloc(n2 ? n2 : 1);
        protobuf_c_message_pack(u, b);
        if (n2 != n || memcmp(a, b, n) != 0)
            fprintf(stderr, "%s (pick %u): repacked bytes differ\n", d->name, pick);
        CHECK_MEM(b, n2, a, n);
        free(b);
        protobuf_c_message_free_unpacked(u, NULL);
    }
    free(a);
    arena_free();
}

int main(void)
{
    size_t count = sizeof messages / sizeof messages[0];
    for (size_t i = 0; i < count; i++)
        for (unsigned pick = 0; pick < 16; pick++)
            round_trip(messages[i], pick);
    /* Spot check against spec 1.6: ListOpcodes operation for provider 1 is 08 01. */
    ListOpcodes__Operation lo = LIST_OPCODES__OPERATION__INIT;
    uint8_t buf[8];
    lo.provider_id = 1;
    size_t n = list_opcodes__operation__pack(&lo, buf);
    CHECK_MEM(buf, n, "\x08\x01", 2);
    CHECK_DONE();
}
