/* Core provider operations (spec 6.3): Ping, ListProviders, ListOpcodes, ListAuthenticators,
 * ListKeys, and the admin operations ListClients and DeleteClient. */
#define PSH_LOGMODULE core
#include "core/core.h"

#include <string.h>

#include "auth/auth.h"
#include "core/convert.h"
#include "util/alloc.h"
#include "util/log.h"

#include "delete_client.pb-c.h"
#include "list_authenticators.pb-c.h"
#include "list_clients.pb-c.h"
#include "list_keys.pb-c.h"
#include "list_opcodes.pb-c.h"
#include "list_providers.pb-c.h"
#include "ping.pb-c.h"

#define CORE_UUID "47049873-2a43-4845-9d72-831eab668784"
#define CORE_DESCRIPTION \
    "Software provider that implements only administrative (i.e. no cryptographic) operations"

/* What the core provider advertises. 27/28 are served but, as in the reference, not listed. */
static const uint32_t core_opcodes[] = {1, 8, 9, 14, 26};

psh_status psh_op_ping(psh_request *req, const ProtobufCMessage *op)
{
    Ping__Result r = PING__RESULT__INIT;
    (void)op;
    r.wire_protocol_version_maj = PSH_WIRE_VERSION_MAJ;
    r.wire_protocol_version_min = PSH_WIRE_VERSION_MIN;
    return psh_request_set_result(req, &r.base);
}

psh_status psh_op_list_providers(psh_request *req, const ProtobufCMessage *op)
{
    psh_engine *e = req->engine;
    ListProviders__ProviderInfo infos[PSH_MAX_PROVIDERS + 1];
    ListProviders__ProviderInfo *ptrs[PSH_MAX_PROVIDERS + 1];
    ListProviders__Result r = LIST_PROVIDERS__RESULT__INIT;
    size_t n = 0;
    (void)op;

    for (size_t i = 0; i < e->provider_count; i++, n++) {
        const psh_provider_ops *ops = e->providers[i].ops;
        list_providers__provider_info__init(&infos[n]);
        infos[n].uuid = (char *)ops->uuid;
        infos[n].description = (char *)ops->description;
        infos[n].vendor = (char *)ops->vendor;
        infos[n].version_maj = ops->version_maj;
        infos[n].version_min = ops->version_min;
        infos[n].version_rev = ops->version_rev;
        infos[n].id = ops->id;
        ptrs[n] = &infos[n];
    }
    /* The core provider is always last (spec 4.1); its version is the service's. */
    list_providers__provider_info__init(&infos[n]);
    infos[n].uuid = (char *)CORE_UUID;
    infos[n].description = (char *)CORE_DESCRIPTION;
    infos[n].vendor = (char *)"";
    infos[n].version_maj = 0;
    infos[n].version_min = 1;
    infos[n].version_rev = 0;
    infos[n].id = PSH_PROVIDER_CORE;
    ptrs[n] = &infos[n];
    n++;
    r.n_providers = n;
    r.providers = ptrs;
    return psh_request_set_result(req, &r.base);
}

psh_status psh_op_list_opcodes(psh_request *req, const ProtobufCMessage *op)
{
    const ListOpcodes__Operation *o = (const ListOpcodes__Operation *)op;
    ListOpcodes__Result r = LIST_OPCODES__RESULT__INIT;
    const psh_provider_slot *slot;
    uint32_t listed[64];
    size_t n = 0;

    if (o->provider_id > PSH_PROVIDER_ID_MAX)
        return PSH_ERR_PROVIDER_DOES_NOT_EXIST;
    if (o->provider_id == PSH_PROVIDER_CORE) {
        r.n_opcodes = sizeof core_opcodes / sizeof core_opcodes[0];
        r.opcodes = (uint32_t *)core_opcodes;
        return psh_request_set_result(req, &r.base);
    }
    slot = req->engine->by_id[o->provider_id];
    if (slot == NULL)
        return PSH_ERR_PROVIDER_NOT_REGISTERED;
    /* What the provider serves, minus the opcodes the table marks unlisted (22/23, MAC):
     * Parsec's Rust clients reject a whole list holding one they do not know
     * (docs/mac-opcodes.md). The table has at most 32 rows, so a stack copy suffices. */
    for (size_t i = 0; i < slot->ops->opcode_count && n < sizeof listed / sizeof listed[0]; i++)
        if (psh_opcode_advertised(slot->ops->opcodes[i]))
            listed[n++] = slot->ops->opcodes[i];
    r.n_opcodes = n;
    r.opcodes = listed;
    return psh_request_set_result(req, &r.base);
}

psh_status psh_op_list_authenticators(psh_request *req, const ProtobufCMessage *op)
{
    ListAuthenticators__AuthenticatorInfo info = LIST_AUTHENTICATORS__AUTHENTICATOR_INFO__INIT;
    ListAuthenticators__AuthenticatorInfo *ptr = &info;
    ListAuthenticators__Result r = LIST_AUTHENTICATORS__RESULT__INIT;
    (void)op;

    info.description = (char *)psh_auth_description(req->engine->cfg.auth_type);
    info.version_maj = 0;
    info.version_min = 1;
    info.version_rev = 0;
    info.id = (uint32_t)req->engine->cfg.auth_type;
    r.n_authenticators = 1;
    r.authenticators = &ptr;
    return psh_request_set_result(req, &r.base);
}

/* The slot that owns an entry, or NULL when its provider is not configured now. */
static psh_provider_slot *slot_of(psh_engine *e, const psh_kim_entry *entry)
{
    psh_provider_slot *slot;
    if (entry->provider_id > PSH_PROVIDER_ID_MAX)
        return NULL;
    slot = e->by_id[entry->provider_id];
    if (slot == NULL || strcmp(slot->cfg->name, entry->provider_name) != 0)
        return NULL;
    return slot;
}

psh_status psh_op_list_keys(psh_request *req, const ProtobufCMessage *op)
{
    psh_status st = PSH_ERR_CORRUPTION;
    psh_kim_entry **list = NULL;
    size_t n = 0, out = 0;
    ListKeys__KeyInfo *infos = NULL;
    ListKeys__KeyInfo **ptrs = NULL;
    ListKeys__Result r = LIST_KEYS__RESULT__INIT;
    (void)op;

    st = psh_kim_list(req->engine->kim, req->auth_type, req->app, NULL, &list, &n);
    if (st != PSH_SUCCESS)
        goto exit;
    if (n > 0) {
        infos = psh_calloc(n, sizeof *infos);
        ptrs = psh_calloc(n, sizeof *ptrs);
        if (infos == NULL || ptrs == NULL) {
            st = PSH_ERR_PSA_INSUFFICIENT_MEMORY;
            goto exit;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (slot_of(req->engine, list[i]) == NULL)
            continue;
        list_keys__key_info__init(&infos[out]);
        infos[out].provider_id = list[i]->provider_id;
        infos[out].name = list[i]->key_name;
        if (psh_conv_key_attrs_to_proto(&list[i]->attrs, &infos[out].attributes) != PSH_SUCCESS) {
            LOG_WARN("key with attributes that do not convert back skipped");
            continue;
        }
        ptrs[out] = &infos[out];
        out++;
    }
    r.n_keys = out;
    r.keys = ptrs;
    st = psh_request_set_result(req, &r.base);
exit:
    for (size_t i = 0; i < out; i++)
        psh_conv_free_message(infos[i].attributes);
    psh_free(infos);
    psh_free(ptrs);
    psh_kim_list_free(list, n);
    return st;
}

psh_status psh_op_list_clients(psh_request *req, const ProtobufCMessage *op)
{
    psh_status st;
    char **names = NULL;
    size_t n = 0;
    ListClients__Result r = LIST_CLIENTS__RESULT__INIT;
    (void)op;

    st = psh_kim_list_clients(req->engine->kim, &names, &n);
    if (st != PSH_SUCCESS)
        return st;
    r.n_clients = n;
    r.clients = names;
    st = psh_request_set_result(req, &r.base);
    psh_kim_clients_free(names, n);
    return st;
}

psh_status psh_core_destroy_entry(psh_engine *e, const psh_kim_entry *entry)
{
    psh_provider_slot *slot = slot_of(e, entry);
    psh_key_ref ref = {&entry->attrs, entry->key_id, entry->key_id_len};
    psh_status st;

    st = psh_kim_remove(e->kim, entry->auth_type, entry->app, entry->key_name);
    if (st != PSH_SUCCESS)
        return st;
    if (slot != NULL && slot->ops->destroy_key != NULL) {
        psh_status pst = slot->ops->destroy_key(slot->ctx, &ref);
        /* The mapping is gone already; an object left behind is logged, never re-mapped. */
        if (pst != PSH_SUCCESS && pst != PSH_ERR_PSA_DOES_NOT_EXIST)
            LOG_ERROR("provider \"%s\" failed to destroy a key object: %s", slot->cfg->name,
                      psh_status_name(pst));
    }
    return PSH_SUCCESS;
}

psh_status psh_op_delete_client(psh_request *req, const ProtobufCMessage *op)
{
    const DeleteClient__Operation *o = (const DeleteClient__Operation *)op;
    psh_kim_entry **list = NULL;
    size_t n = 0;
    psh_status st;

    if (o->client == NULL || o->client[0] == '\0')
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    st = psh_kim_list(req->engine->kim, req->auth_type, o->client, NULL, &list, &n);
    if (st != PSH_SUCCESS)
        return st;
    /* Individual failures are logged and the operation still succeeds (spec 6.3). */
    for (size_t i = 0; i < n; i++) {
        psh_status dst = psh_core_destroy_entry(req->engine, list[i]);
        if (dst != PSH_SUCCESS)
            LOG_WARN("DeleteClient: a key could not be removed: %s", psh_status_name(dst));
    }
    psh_kim_list_free(list, n);
    return PSH_SUCCESS;
}
