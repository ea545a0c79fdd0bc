/* The engine: psh_engine_handle runs spec 1.5 steps 1-19 on one frame. Steps 1-8 fail with
 * the default reply header; from step 9 on, replies echo the request header. */
#define PSH_LOGMODULE core
#include "core/core.h"

#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "util/alloc.h"
#include "util/log.h"

static void *pb_alloc(void *d, size_t n) { (void)d; return psh_malloc(n); }
static void pb_free(void *d, void *p) { (void)d; psh_free(p); }
static ProtobufCAllocator pb_allocator = {pb_alloc, pb_free, NULL};

static psh_status start_providers(psh_engine *e, char *err, size_t err_size)
{
    for (size_t i = 0; i < e->cfg.provider_count; i++) {
        const psh_provider_config *pc = &e->cfg.providers[i];
        const psh_provider_ops *ops = psh_provider_lookup(pc->type);
        psh_provider_slot *slot = &e->providers[i];
        psh_status st;

        if (ops == NULL || ops->abi_version != PSH_PROVIDER_ABI_VERSION) {
            snprintf(err, err_size, "provider \"%s\": type %d is not built into this engine",
                     pc->name, (int)pc->type);
            return PSH_ERR_PROVIDER_NOT_REGISTERED;
        }
        /* Wire ids are static per type, so two of a type could not both be addressed. */
        if (e->by_id[pc->type] != NULL) {
            snprintf(err, err_size, "provider \"%s\": a second %s provider is not supported",
                     pc->name, ops->type_name);
            return PSH_ERR_INVALID_ENCODING;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(e->cfg.providers[j].name, pc->name) == 0) {
                snprintf(err, err_size, "duplicate provider name \"%s\"", pc->name);
                return PSH_ERR_INVALID_ENCODING;
            }
        }
        st = ops->init(pc, &e->cfg, &slot->ctx, err, err_size);
        if (st != PSH_SUCCESS)
            return st;
        slot->ops = ops;
        slot->cfg = pc;
        e->by_id[pc->type] = slot;
        e->provider_count = i + 1;
    }
    return PSH_SUCCESS;
}

/* Keys whose provider object is gone stay in the KIM and are reported: deleting them would
 * hide a data loss (spec pitfall 9.6). */
static void reconcile(psh_engine *e)
{
    for (size_t i = 0; i < e->provider_count; i++) {
        psh_provider_slot *slot = &e->providers[i];
        psh_kim_entry **list = NULL;
        size_t n = 0;
        if (slot->ops->key_exists == NULL ||
            psh_kim_list(e->kim, -1, NULL, slot->cfg->name, &list, &n) != PSH_SUCCESS)
            continue;
        for (size_t k = 0; k < n; k++) {
            psh_key_ref ref = {&list[k]->attrs, list[k]->key_id, list[k]->key_id_len};
            if (slot->ops->key_exists(slot->ctx, &ref) == PSH_ERR_PSA_DOES_NOT_EXIST)
                /* ERROR: the default log level shows errors only, and this is a lost key. */
                LOG_ERROR("provider \"%s\": key \"%.64s\" of application \"%.64s\" has no "
                          "provider object (mapping kept; operations on it will fail)",
                          slot->cfg->name, list[k]->key_name, list[k]->app);
        }
        psh_kim_list_free(list, n);
    }
}

psh_status psh_engine_create(const psh_engine_config *cfg, psh_engine **out, char *err,
                             size_t err_size)
{
    psh_status st = PSH_ERR_CORRUPTION;
    psh_engine *e = NULL;
    char scratch[8];

    *out = NULL;
    if (err == NULL) {
        err = scratch;
        err_size = sizeof scratch;
    }
    err[0] = '\0';
    e = psh_calloc(1, sizeof *e);
    if (e == NULL) {
        snprintf(err, err_size, "out of memory");
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    }
    e->cfg = *cfg;
    if (e->cfg.provider_count > PSH_MAX_PROVIDERS || e->cfg.admin_count > PSH_MAX_ADMINS) {
        snprintf(err, err_size, "too many providers or admins");
        st = PSH_ERR_INVALID_ENCODING;
        goto exit;
    }
    st = psh_kim_open(e->cfg.kim_path, &e->kim, err, err_size);
    if (st != PSH_SUCCESS)
        goto exit;
    st = start_providers(e, err, err_size);
    if (st != PSH_SUCCESS)
        goto exit;
    reconcile(e);
    *out = e;
    e = NULL;
    st = PSH_SUCCESS;
exit:
    psh_engine_destroy(e);
    return st;
}

void psh_engine_destroy(psh_engine *e)
{
    if (e == NULL)
        return;
    for (size_t i = e->provider_count; i > 0; i--) {
        psh_provider_slot *slot = &e->providers[i - 1];
        if (slot->ops != NULL && slot->ops->fini != NULL)
            slot->ops->fini(slot->ctx);
    }
    psh_kim_close(e->kim);
    psh_engine_config_wipe(&e->cfg);
    psh_free(e);
}

void psh_engine_free_response(uint8_t *resp)
{
    psh_free(resp);
}

psh_status psh_engine_frame_size(const psh_engine *e, const uint8_t *prefix, size_t len,
                                 size_t *need)
{
    return psh_wire_frame_size(prefix, len, e->cfg.body_len_limit, need);
}

void psh_engine_error_response(psh_status status, uint8_t out[PSH_WIRE_HEADER_SIZE])
{
    psh_wire_header h;
    psh_wire_default_header((uint16_t)status, &h);
    psh_wire_header_encode(&h, out);
}

psh_status psh_request_set_result(psh_request *req, const ProtobufCMessage *result)
{
    size_t n = protobuf_c_message_get_packed_size(result);
    uint8_t *buf;

    if (n > req->engine->cfg.buffer_size_limit)
        return PSH_ERR_RESPONSE_TOO_LARGE;
    if (n == 0)
        return PSH_SUCCESS;
    buf = psh_malloc(n);
    if (buf == NULL)
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    if (protobuf_c_message_pack(result, buf) != n) {
        psh_free(buf);
        return PSH_ERR_SERIALIZING_BODY_FAILED;
    }
    psh_free(req->resp_body);
    req->resp_body = buf;
    req->resp_body_len = n;
    return PSH_SUCCESS;
}

static int is_admin(const psh_engine *e, const char *app)
{
    for (size_t i = 0; i < e->cfg.admin_count; i++)
        if (strcmp(e->cfg.admins[i], app) == 0)
            return 1;
    return 0;
}

/* Step 8: checks of the header's enumerated fields; failures use the default reply. */
static psh_status check_header_fields(const psh_wire_header *h, const psh_opcode_row **row)
{
    if (h->content_type != PSH_CONTENT_TYPE_PROTOBUF)
        return PSH_ERR_CONTENT_TYPE_NOT_SUPPORTED;
    if (h->accept_type != PSH_CONTENT_TYPE_PROTOBUF)
        return PSH_ERR_ACCEPT_TYPE_NOT_SUPPORTED;
    if (h->auth_type > PSH_AUTH_TYPE_MAX)
        return PSH_ERR_AUTHENTICATOR_DOES_NOT_EXIST;
    if ((*row = psh_opcode_lookup(h->opcode)) == NULL)
        return PSH_ERR_OPCODE_DOES_NOT_EXIST;
    if (h->provider > PSH_PROVIDER_ID_MAX)
        return PSH_ERR_PROVIDER_DOES_NOT_EXIST;
    return PSH_SUCCESS;
}

/* Steps 9-19 for a request whose header passed steps 1-8. */
static psh_status dispatch(psh_request *req, const psh_opcode_row *row,
                           const psh_wire_request *wr, const psh_peer *peer, char **app)
{
    psh_engine *e = req->engine;
    const psh_wire_header *h = &wr->hdr;
    ProtobufCMessage *op = NULL;
    psh_status st;

    if (h->auth_type != PSH_AUTH_NONE) {
        st = psh_auth_authenticate(e->cfg.auth_type, h->auth_type, wr->auth, wr->auth_len, peer,
                                   app);
        if (st != PSH_SUCCESS)
            return st;
        req->app = *app;
        req->auth_type = h->auth_type;
    }
    if (h->provider != PSH_PROVIDER_CORE) {
        if ((req->slot = e->by_id[h->provider]) == NULL)
            return PSH_ERR_PROVIDER_NOT_REGISTERED;
    }
    if (((row->flags & PSH_OP_CORE) != 0) != (h->provider == PSH_PROVIDER_CORE))
        return PSH_ERR_PSA_NOT_SUPPORTED;
    if (row->flags & PSH_OP_ADMIN) {
        if (req->app == NULL)
            return PSH_ERR_NOT_AUTHENTICATED;
        if (!is_admin(e, req->app))
            return PSH_ERR_ADMIN_OPERATION;
    }
    op = protobuf_c_message_unpack(row->op_desc, &pb_allocator, wr->body_len, wr->body);
    if (op == NULL)
        return PSH_ERR_DESERIALIZING_BODY_FAILED;
    st = psh_pb_check_strings(row->op_desc, wr->body, wr->body_len);
    if (st != PSH_SUCCESS)
        goto exit;
    if ((row->flags & PSH_OP_NEEDS_AUTH) && req->app == NULL) {
        st = PSH_ERR_NOT_AUTHENTICATED;
        goto exit;
    }
    st = row->handler != NULL ? row->handler(req, op) : PSH_ERR_PSA_NOT_SUPPORTED;
exit:
    protobuf_c_message_free_unpacked(op, &pb_allocator);
    return st;
}

psh_status psh_engine_handle(psh_engine *e, const uint8_t *req_bytes, size_t req_len,
                             const psh_peer *peer, uint8_t **resp, size_t *resp_len)
{
    psh_wire_request wr;
    psh_wire_header rh;
    const psh_opcode_row *row = NULL;
    psh_request req;
    char *app = NULL;
    psh_status st, build;

    *resp = NULL;
    *resp_len = 0;
    memset(&req, 0, sizeof req);
    req.engine = e;
    st = psh_wire_parse_request(req_bytes, req_len, e->cfg.body_len_limit, &wr);
    if (st == PSH_SUCCESS)
        st = check_header_fields(&wr.hdr, &row);
    if (st != PSH_SUCCESS) {
        psh_wire_default_header((uint16_t)st, &rh);
        build = psh_wire_build_frame(&rh, NULL, 0, NULL, 0, resp, resp_len);
        return build == PSH_SUCCESS ? st : build;
    }
    req.hdr = &wr.hdr;
    st = dispatch(&req, row, &wr, peer, &app);
    if (st != PSH_SUCCESS) {
        LOG_DEBUG("%s: %s", row->name, psh_status_name(st));
        psh_free(req.resp_body);
        req.resp_body = NULL;
        req.resp_body_len = 0;
    }
    psh_wire_response_header(&wr.hdr, (uint16_t)st, (uint32_t)req.resp_body_len, &rh);
    build = psh_wire_build_frame(&rh, req.resp_body, req.resp_body_len, NULL, 0, resp, resp_len);
    /* Result bodies may carry secrets (exported keys, plaintexts, shared secrets). */
    psh_free_secret(req.resp_body, req.resp_body_len);
    psh_free(app);
    return build == PSH_SUCCESS ? st : build;
}
