/* Protobuf plumbing for typed calls, and the core-provider operations (spec 6.3). */
#include "client/client_internal.h"

#include <stdlib.h>
#include <string.h>

#include "delete_client.pb-c.h"
#include "list_authenticators.pb-c.h"
#include "list_clients.pb-c.h"
#include "list_keys.pb-c.h"
#include "list_opcodes.pb-c.h"
#include "list_providers.pb-c.h"
#include "ping.pb-c.h"
#include "util/alloc.h"

static void *pb_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return psh_malloc(size == 0 ? 1 : size);
}

static void pb_free(void *ctx, void *p)
{
    (void)ctx;
    psh_free(p);
}

ProtobufCAllocator psh_pb_allocator = {pb_alloc, pb_free, NULL};

psh_status psh_pb_pack(const ProtobufCMessage *msg, uint8_t **body, size_t *body_len)
{
    size_t n;
    uint8_t *buf;

    *body = NULL;
    *body_len = 0;
    if (msg == NULL)
        return PSH_SUCCESS;
    n = protobuf_c_message_get_packed_size(msg);
    if (n == 0)
        return PSH_SUCCESS;
    if (n > UINT32_MAX)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    buf = psh_malloc(n);
    if (buf == NULL)
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    protobuf_c_message_pack(msg, buf);
    *body = buf;
    *body_len = n;
    return PSH_SUCCESS;
}

psh_status psh_client_dup_bytes(const uint8_t *p, size_t len, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (len == 0)
        return PSH_SUCCESS;
    *out = psh_malloc(len);
    if (*out == NULL)
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    memcpy(*out, p, len);
    *out_len = len;
    return PSH_SUCCESS;
}

psh_status psh_client_call_pb(const psh_client *client, uint8_t provider, uint32_t opcode,
                              int needs_auth, const ProtobufCMessage *msg,
                              const ProtobufCMessageDescriptor *desc, ProtobufCMessage **result)
{
    psh_status st = PSH_ERR_CORRUPTION;
    uint8_t *body = NULL; /* owned */
    uint8_t *resp = NULL; /* owned; may hold secrets */
    size_t body_len = 0, resp_len = 0;

    *result = NULL;
    st = psh_pb_pack(msg, &body, &body_len);
    if (st != PSH_SUCCESS)
        goto exit;
    st = psh_client_call(client, provider, opcode, needs_auth, body, body_len, &resp, &resp_len,
                         NULL);
    if (st != PSH_SUCCESS || desc == NULL)
        goto exit;
    /* An empty body is a valid message with every field at its default. */
    *result = protobuf_c_message_unpack(desc, &psh_pb_allocator, resp_len, resp);
    if (*result == NULL)
        st = PSH_ERR_DESERIALIZING_BODY_FAILED;
exit:
    psh_free(body);
    psh_free_secret(resp, resp_len);
    return st;
}

#define FREE_PB(m)                                                                  \
    do {                                                                            \
        if ((m) != NULL)                                                            \
            protobuf_c_message_free_unpacked((ProtobufCMessage *)(m), &psh_pb_allocator); \
    } while (0)

psh_status psh_client_ping(const psh_client *client, uint8_t *version_maj, uint8_t *version_min)
{
    Ping__Result *r = NULL;
    psh_status st;

    *version_maj = 0;
    *version_min = 0;
    st = psh_client_call_pb(client, 0, PSH_OP_PING, 0, NULL, &ping__result__descriptor,
                            (ProtobufCMessage **)&r);
    if (st == PSH_SUCCESS) {
        if (r->wire_protocol_version_maj > 255 || r->wire_protocol_version_min > 255) {
            st = PSH_ERR_INVALID_ENCODING;
        } else {
            *version_maj = (uint8_t)r->wire_protocol_version_maj;
            *version_min = (uint8_t)r->wire_protocol_version_min;
        }
    }
    FREE_PB(r);
    return st;
}

void psh_client_free_providers(psh_provider_info *providers, size_t count)
{
    if (providers == NULL)
        return;
    for (size_t i = 0; i < count; i++) {
        psh_free(providers[i].uuid);
        psh_free(providers[i].description);
        psh_free(providers[i].vendor);
    }
    psh_free(providers);
}

static char *dup_str(const char *s, int *failed)
{
    char *d = psh_strdup(s != NULL ? s : "");
    if (d == NULL)
        *failed = 1;
    return d;
}

psh_status psh_client_list_providers(const psh_client *client, psh_provider_info **providers,
                                     size_t *count)
{
    ListProviders__Result *r = NULL;
    psh_provider_info *out = NULL; /* owned until handed over */
    size_t n = 0;
    int failed = 0;
    psh_status st;

    *providers = NULL;
    *count = 0;
    st = psh_client_call_pb(client, 0, PSH_OP_LIST_PROVIDERS, 0, NULL,
                            &list_providers__result__descriptor, (ProtobufCMessage **)&r);
    if (st != PSH_SUCCESS)
        goto exit;
    if (r->n_providers > 0) {
        out = psh_calloc(r->n_providers, sizeof *out);
        if (out == NULL) {
            st = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
            goto exit;
        }
    }
    for (n = 0; n < r->n_providers; n++) {
        const ListProviders__ProviderInfo *p = r->providers[n];
        out[n].uuid = dup_str(p->uuid, &failed);
        out[n].description = dup_str(p->description, &failed);
        out[n].vendor = dup_str(p->vendor, &failed);
        out[n].version_maj = p->version_maj;
        out[n].version_min = p->version_min;
        out[n].version_rev = p->version_rev;
        out[n].id = p->id;
    }
    if (failed) {
        st = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
        goto exit;
    }
    *providers = out;
    *count = n;
    out = NULL;
exit:
    psh_client_free_providers(out, n);
    FREE_PB(r);
    return st;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

psh_status psh_client_list_opcodes(const psh_client *client, uint32_t provider_id,
                                   uint32_t **opcodes, size_t *count)
{
    ListOpcodes__Operation op = LIST_OPCODES__OPERATION__INIT;
    ListOpcodes__Result *r = NULL;
    uint32_t *out = NULL;
    psh_status st;

    *opcodes = NULL;
    *count = 0;
    op.provider_id = provider_id;
    st = psh_client_call_pb(client, 0, PSH_OP_LIST_OPCODES, 0, &op.base,
                            &list_opcodes__result__descriptor, (ProtobufCMessage **)&r);
    if (st != PSH_SUCCESS)
        goto exit;
    if (r->n_opcodes > 0) {
        out = psh_alloc_array(r->n_opcodes, sizeof *out);
        if (out == NULL) {
            st = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
            goto exit;
        }
        memcpy(out, r->opcodes, r->n_opcodes * sizeof *out);
        qsort(out, r->n_opcodes, sizeof *out, cmp_u32); /* the reference sends hash-set order */
    }
    *opcodes = out;
    *count = r->n_opcodes;
exit:
    FREE_PB(r);
    return st;
}

void psh_client_free_authenticators(psh_authenticator_info *auths, size_t count)
{
    if (auths == NULL)
        return;
    for (size_t i = 0; i < count; i++)
        psh_free(auths[i].description);
    psh_free(auths);
}

psh_status psh_client_list_authenticators(const psh_client *client, psh_authenticator_info **auths,
                                          size_t *count)
{
    ListAuthenticators__Result *r = NULL;
    psh_authenticator_info *out = NULL;
    size_t n = 0;
    int failed = 0;
    psh_status st;

    *auths = NULL;
    *count = 0;
    st = psh_client_call_pb(client, 0, PSH_OP_LIST_AUTHENTICATORS, 0, NULL,
                            &list_authenticators__result__descriptor, (ProtobufCMessage **)&r);
    if (st != PSH_SUCCESS)
        goto exit;
    if (r->n_authenticators > 0) {
        out = psh_calloc(r->n_authenticators, sizeof *out);
        if (out == NULL) {
            st = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
            goto exit;
        }
    }
    for (n = 0; n < r->n_authenticators; n++) {
        const ListAuthenticators__AuthenticatorInfo *a = r->authenticators[n];
        out[n].description = dup_str(a->description, &failed);
        out[n].version_maj = a->version_maj;
        out[n].version_min = a->version_min;
        out[n].version_rev = a->version_rev;
        out[n].id = a->id;
    }
    if (failed) {
        st = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
        goto exit;
    }
    *auths = out;
    *count = n;
    out = NULL;
exit:
    psh_client_free_authenticators(out, n);
    FREE_PB(r);
    return st;
}

void psh_client_free_key_infos(psh_key_info *keys, size_t count)
{
    if (keys == NULL)
        return;
    for (size_t i = 0; i < count; i++)
        psh_free(keys[i].name);
    psh_free(keys);
}

psh_status psh_client_list_keys(const psh_client *client, psh_key_info **keys, size_t *count)
{
    ListKeys__Result *r = NULL;
    psh_key_info *out = NULL;
    size_t n = 0;
    int failed = 0;
    psh_status st;

    *keys = NULL;
    *count = 0;
    st = psh_client_call_pb(client, 0, PSH_OP_LIST_KEYS, 1, NULL, &list_keys__result__descriptor,
                            (ProtobufCMessage **)&r);
    if (st != PSH_SUCCESS)
        goto exit;
    if (r->n_keys > 0) {
        out = psh_calloc(r->n_keys, sizeof *out);
        if (out == NULL) {
            st = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
            goto exit;
        }
    }
    for (n = 0; n < r->n_keys; n++) {
        const ListKeys__KeyInfo *k = r->keys[n];
        out[n].provider_id = k->provider_id;
        out[n].name = dup_str(k->name, &failed);
        psh_pb_attrs_read(k->attributes, &out[n].attributes);
    }
    if (failed) {
        st = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
        goto exit;
    }
    *keys = out;
    *count = n;
    out = NULL;
exit:
    psh_client_free_key_infos(out, n);
    FREE_PB(r);
    return st;
}

void psh_client_free_strings(char **strings, size_t count)
{
    if (strings == NULL)
        return;
    for (size_t i = 0; i < count; i++)
        psh_free(strings[i]);
    psh_free(strings);
}

psh_status psh_client_list_clients(const psh_client *client, char ***clients, size_t *count)
{
    ListClients__Result *r = NULL;
    char **out = NULL;
    size_t n = 0;
    int failed = 0;
    psh_status st;

    *clients = NULL;
    *count = 0;
    st = psh_client_call_pb(client, 0, PSH_OP_LIST_CLIENTS, 1, NULL,
                            &list_clients__result__descriptor, (ProtobufCMessage **)&r);
    if (st != PSH_SUCCESS)
        goto exit;
    if (r->n_clients > 0) {
        out = psh_calloc(r->n_clients, sizeof *out);
        if (out == NULL) {
            st = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
            goto exit;
        }
    }
    for (n = 0; n < r->n_clients; n++)
        out[n] = dup_str(r->clients[n], &failed);
    if (failed) {
        st = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
        goto exit;
    }
    *clients = out;
    *count = n;
    out = NULL;
exit:
    psh_client_free_strings(out, n);
    FREE_PB(r);
    return st;
}

psh_status psh_client_delete_client(const psh_client *client, const char *app_name)
{
    DeleteClient__Operation op = DELETE_CLIENT__OPERATION__INIT;
    ProtobufCMessage *r = NULL;

    if (app_name == NULL)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    op.client = (char *)app_name;
    return psh_client_call_pb(client, 0, PSH_OP_DELETE_CLIENT, 1, &op.base, NULL, &r);
}
