/* Our TCTIs: in-process libtpms, a recorder, and scripted responses (tpm_tcti.h).
 * All share one shape: transmit keeps or forwards the command, receive hands back exactly
 * one response; ESAPI asks for the size first (response == NULL) or passes a big buffer. */
#include "providers/tpm/tpm_tcti.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <libtpms/tpm_types.h>

#include "util/alloc.h"

#define PSH_LOGMODULE tpm
#include "util/log.h"

#define TCTI_MAGIC_LIBTPMS 0x7073686c74706d31ULL /* "pshltpm1" */
#define TCTI_MAGIC_RECORD 0x7073687265633031ULL  /* "pshrec01" */
#define TCTI_MAGIC_SCRIPT 0x7073687363723031ULL  /* "pshscr01" */
#define TCTI_MAX_RESPONSE 8192u

typedef struct tcti_common {
    TSS2_TCTI_CONTEXT_COMMON_V2 v2;
    int pending; /* a command was sent and its response not yet fully received */
    uint8_t *resp; /* owned by the variant */
    size_t resp_len;
} tcti_common;

static void common_init(tcti_common *c, uint64_t magic, TSS2_TCTI_TRANSMIT_FCN tx,
                        TSS2_TCTI_RECEIVE_FCN rx, TSS2_TCTI_FINALIZE_FCN fin)
{
    memset(c, 0, sizeof *c);
    c->v2.v1.magic = magic;
    c->v2.v1.version = 2;
    c->v2.v1.transmit = tx;
    c->v2.v1.receive = rx;
    c->v2.v1.finalize = fin;
}

/* Hands the pending response to ESAPI: a size query leaves it pending. */
static TSS2_RC common_receive(tcti_common *c, size_t *size, uint8_t *response)
{
    if (size == NULL)
        return TSS2_TCTI_RC_BAD_REFERENCE;
    if (!c->pending)
        return TSS2_TCTI_RC_BAD_SEQUENCE;
    if (response == NULL) {
        *size = c->resp_len;
        return TSS2_RC_SUCCESS;
    }
    if (*size < c->resp_len) {
        *size = c->resp_len;
        return TSS2_TCTI_RC_INSUFFICIENT_BUFFER;
    }
    memcpy(response, c->resp, c->resp_len);
    *size = c->resp_len;
    c->pending = 0;
    return TSS2_RC_SUCCESS;
}

/* ---- libtpms ----------------------------------------------------------------------------
 * libtpms keeps one TPM in globals, so the state here is global too, under one mutex. NV
 * state is a few named blobs in memory ("permall" holds the seeds and NV indices). */

#define NV_SLOTS 4
static pthread_mutex_t ltpm_mu = PTHREAD_MUTEX_INITIALIZER;
static int ltpm_open;
static struct {
    char name[32];
    unsigned char *data; /* malloc'd: libtpms frees what loaddata returns with free() */
    uint32_t len;
} ltpm_nv[NV_SLOTS];
static unsigned char *ltpm_resp; /* libtpms' own response buffer (realloc'd by libtpms) */
static uint32_t ltpm_resp_cap;

static int nv_find(const char *name)
{
    for (int i = 0; i < NV_SLOTS; i++)
        if (ltpm_nv[i].data != NULL && strcmp(ltpm_nv[i].name, name) == 0)
            return i;
    return -1;
}

static void nv_drop(int i)
{
    free(ltpm_nv[i].data);
    memset(&ltpm_nv[i], 0, sizeof ltpm_nv[i]);
}

static TPM_RESULT nv_init(void) { return TPM_SUCCESS; }

static TPM_RESULT nv_load(unsigned char **data, uint32_t *length, uint32_t tpm_number,
                          const char *name)
{
    int i = nv_find(name);
    (void)tpm_number;
    if (i < 0)
        return TPM_RETRY; /* "no such state": libtpms manufactures a new TPM */
    *data = malloc(ltpm_nv[i].len);
    if (*data == NULL)
        return TPM_FAIL;
    memcpy(*data, ltpm_nv[i].data, ltpm_nv[i].len);
    *length = ltpm_nv[i].len;
    return TPM_SUCCESS;
}

static TPM_RESULT nv_store(const unsigned char *data, uint32_t length, uint32_t tpm_number,
                           const char *name)
{
    int i = nv_find(name);
    unsigned char *copy;
    (void)tpm_number;
    if (strlen(name) >= sizeof ltpm_nv[0].name || length == 0)
        return TPM_FAIL;
    for (int k = 0; i < 0 && k < NV_SLOTS; k++)
        if (ltpm_nv[k].data == NULL)
            i = k;
    if (i < 0)
        return TPM_FAIL;
    copy = malloc(length);
    if (copy == NULL)
        return TPM_FAIL;
    memcpy(copy, data, length);
    nv_drop(i);
    snprintf(ltpm_nv[i].name, sizeof ltpm_nv[i].name, "%s", name);
    ltpm_nv[i].data = copy;
    ltpm_nv[i].len = length;
    return TPM_SUCCESS;
}

static TPM_RESULT nv_delete(uint32_t tpm_number, const char *name, TPM_BOOL must_exist)
{
    int i = nv_find(name);
    (void)tpm_number;
    if (i < 0)
        return must_exist ? TPM_FAIL : TPM_SUCCESS;
    nv_drop(i);
    return TPM_SUCCESS;
}

static TPM_RESULT io_init(void) { return TPM_SUCCESS; }
static TPM_RESULT io_locality(TPM_MODIFIER_INDICATOR *loc, uint32_t tpm_number)
{
    (void)tpm_number;
    *loc = 0;
    return TPM_SUCCESS;
}
static TPM_RESULT io_presence(TPM_BOOL *pp, uint32_t tpm_number)
{
    (void)tpm_number;
    *pp = 0;
    return TPM_SUCCESS;
}

static TSS2_RC ltpm_transmit(TSS2_TCTI_CONTEXT *ctx, size_t size, const uint8_t *cmd)
{
    tcti_common *c = (tcti_common *)ctx;
    uint32_t rlen = 0;
    TPM_RESULT r;
    if (cmd == NULL || size == 0 || size > TCTI_MAX_RESPONSE)
        return TSS2_TCTI_RC_BAD_VALUE;
    pthread_mutex_lock(&ltpm_mu);
    /* TPMLIB_Process takes a non-const command buffer; it does not write to it. */
    r = TPMLIB_Process(&ltpm_resp, &rlen, &ltpm_resp_cap, (unsigned char *)(uintptr_t)cmd,
                       (uint32_t)size);
    pthread_mutex_unlock(&ltpm_mu);
    if (r != TPM_SUCCESS || rlen == 0)
        return TSS2_TCTI_RC_IO_ERROR;
    c->resp = ltpm_resp;
    c->resp_len = rlen;
    c->pending = 1;
    return TSS2_RC_SUCCESS;
}

static TSS2_RC ltpm_receive(TSS2_TCTI_CONTEXT *ctx, size_t *size, uint8_t *response,
                            int32_t timeout)
{
    (void)timeout;
    return common_receive((tcti_common *)ctx, size, response);
}

static void ltpm_finalize(TSS2_TCTI_CONTEXT *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&ltpm_mu);
    if (ltpm_open) {
        TPMLIB_Terminate();
        free(ltpm_resp);
        ltpm_resp = NULL;
        ltpm_resp_cap = 0;
        ltpm_open = 0;
    }
    pthread_mutex_unlock(&ltpm_mu);
}

void psh_tcti_libtpms_wipe(void)
{
    pthread_mutex_lock(&ltpm_mu);
    if (!ltpm_open)
        for (int i = 0; i < NV_SLOTS; i++)
            nv_drop(i);
    pthread_mutex_unlock(&ltpm_mu);
}

TSS2_RC psh_tcti_libtpms_new(TSS2_TCTI_CONTEXT **out)
{
    static struct libtpms_callbacks cbs = {
        .sizeOfStruct = sizeof(struct libtpms_callbacks),
        .tpm_nvram_init = nv_init,
        .tpm_nvram_loaddata = nv_load,
        .tpm_nvram_storedata = nv_store,
        .tpm_nvram_deletename = nv_delete,
        .tpm_io_init = io_init,
        .tpm_io_getlocality = io_locality,
        .tpm_io_getphysicalpresence = io_presence,
    };
    /* TPM2_Startup(TPM_SU_CLEAR): tag NO_SESSIONS, size 12, code 0x144, su 0. */
    static const unsigned char startup[] = {0x80, 0x01, 0, 0, 0, 12, 0, 0, 1, 0x44, 0, 0};
    tcti_common *c = NULL;
    uint32_t rlen = 0;
    TSS2_RC rc = TSS2_TCTI_RC_IO_ERROR;

    *out = NULL;
    c = psh_calloc(1, sizeof *c);
    if (c == NULL)
        return TSS2_TCTI_RC_MEMORY;
    pthread_mutex_lock(&ltpm_mu);
    if (ltpm_open) {
        LOG_ERROR("libtpms TCTI: the in-process TPM is already open");
        goto exit;
    }
    /* A power cycle: saved volatile state would turn start-up into a resume. */
    for (int i = 0; i < NV_SLOTS; i++)
        if (ltpm_nv[i].data != NULL && strcmp(ltpm_nv[i].name, "permall") != 0)
            nv_drop(i);
    if (TPMLIB_ChooseTPMVersion(TPMLIB_TPM_VERSION_2) != TPM_SUCCESS ||
        TPMLIB_RegisterCallbacks(&cbs) != TPM_SUCCESS || TPMLIB_MainInit() != TPM_SUCCESS) {
        LOG_ERROR("libtpms TCTI: TPMLIB_MainInit failed");
        goto exit;
    }
    if (TPMLIB_Process(&ltpm_resp, &rlen, &ltpm_resp_cap, (unsigned char *)startup,
                       sizeof startup) != TPM_SUCCESS ||
        rlen < 10 || memcmp(ltpm_resp + 6, "\0\0\0\0", 4) != 0) {
        LOG_ERROR("libtpms TCTI: TPM2_Startup failed");
        TPMLIB_Terminate();
        goto exit;
    }
    ltpm_open = 1;
    common_init(c, TCTI_MAGIC_LIBTPMS, ltpm_transmit, ltpm_receive, ltpm_finalize);
    *out = (TSS2_TCTI_CONTEXT *)c;
    c = NULL;
    rc = TSS2_RC_SUCCESS;
exit:
    pthread_mutex_unlock(&ltpm_mu);
    psh_free(c);
    return rc;
}

/* ---- recorder ---------------------------------------------------------------------------- */

typedef struct tcti_record {
    tcti_common c;
    TSS2_TCTI_CONTEXT *inner;
    void (*inner_free)(TSS2_TCTI_CONTEXT *);
    FILE *f;
    size_t steps;
    uint8_t *cmd; /* owned copy of the command in flight */
    size_t cmd_len;
} tcti_record;

static void put_hex(FILE *f, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        fputc(digits[p[i] >> 4], f);
        fputc(digits[p[i] & 15], f);
    }
}

/* Appends one step and leaves the file a complete document ("]}\n" is rewritten each time). */
static void record_step(tcti_record *r, const uint8_t *resp, size_t resp_len)
{
    if (r->f == NULL)
        return;
    if (fseek(r->f, -3, SEEK_END) != 0)
        return;
    fputs(r->steps ? ",\n{\"command\":\"" : "\n{\"command\":\"", r->f);
    put_hex(r->f, r->cmd, r->cmd_len);
    fputs("\",\"response\":\"", r->f);
    put_hex(r->f, resp, resp_len);
    fputs("\"}]}\n", r->f);
    fflush(r->f);
    r->steps++;
}

static TSS2_RC rec_transmit(TSS2_TCTI_CONTEXT *ctx, size_t size, const uint8_t *cmd)
{
    tcti_record *r = (tcti_record *)ctx;
    if (cmd == NULL || size == 0 || size > TCTI_MAX_RESPONSE)
        return TSS2_TCTI_RC_BAD_VALUE;
    psh_free(r->cmd);
    r->cmd = psh_malloc(size);
    r->cmd_len = 0;
    if (r->cmd == NULL)
        return TSS2_TCTI_RC_MEMORY;
    memcpy(r->cmd, cmd, size);
    r->cmd_len = size;
    return Tss2_Tcti_Transmit(r->inner, size, cmd);
}

static TSS2_RC rec_receive(TSS2_TCTI_CONTEXT *ctx, size_t *size, uint8_t *response,
                           int32_t timeout)
{
    tcti_record *r = (tcti_record *)ctx;
    TSS2_RC rc = Tss2_Tcti_Receive(r->inner, size, response, timeout);
    if (rc == TSS2_RC_SUCCESS && response != NULL && r->cmd != NULL) {
        record_step(r, response, *size);
        psh_free(r->cmd);
        r->cmd = NULL;
        r->cmd_len = 0;
    }
    return rc;
}

static void rec_finalize(TSS2_TCTI_CONTEXT *ctx)
{
    tcti_record *r = (tcti_record *)ctx;
    if (r->f != NULL)
        fclose(r->f);
    r->f = NULL;
    psh_free(r->cmd);
    r->cmd = NULL;
    if (r->inner != NULL && r->inner_free != NULL)
        r->inner_free(r->inner);
    r->inner = NULL;
}

TSS2_RC psh_tcti_record_new(TSS2_TCTI_CONTEXT *inner, void (*inner_free)(TSS2_TCTI_CONTEXT *),
                            const char *path, TSS2_TCTI_CONTEXT **out)
{
    tcti_record *r = psh_calloc(1, sizeof *r);
    *out = NULL;
    if (r == NULL) {
        inner_free(inner);
        return TSS2_TCTI_RC_MEMORY;
    }
    common_init(&r->c, TCTI_MAGIC_RECORD, rec_transmit, rec_receive, rec_finalize);
    r->inner = inner;
    r->inner_free = inner_free;
    r->f = fopen(path, "w");
    if (r->f == NULL) {
        LOG_ERROR("TPM recorder: cannot write %s", path);
        rec_finalize((TSS2_TCTI_CONTEXT *)r);
        psh_free(r);
        return TSS2_TCTI_RC_IO_ERROR;
    }
    fputs("{\"kind\":\"tpm\",\"steps\":[]}\n", r->f);
    fflush(r->f);
    *out = (TSS2_TCTI_CONTEXT *)r;
    return TSS2_RC_SUCCESS;
}

/* ---- scripted responses ------------------------------------------------------------------ */

typedef struct tcti_script {
    tcti_common c;
    const uint8_t *p;
    size_t len;
    size_t *off;
} tcti_script;

static TSS2_RC script_transmit(TSS2_TCTI_CONTEXT *ctx, size_t size, const uint8_t *cmd)
{
    tcti_script *s = (tcti_script *)ctx;
    size_t n;
    if (cmd == NULL || size == 0)
        return TSS2_TCTI_RC_BAD_VALUE;
    size_t off = *s->off;
    if (off > s->len || s->len - off < 2)
        return TSS2_TCTI_RC_IO_ERROR;
    n = ((size_t)s->p[off] << 8) | s->p[off + 1];
    if (n > s->len - off - 2)
        n = s->len - off - 2; /* a short last response is still delivered */
    s->c.resp = (uint8_t *)(uintptr_t)(s->p + off + 2); /* read only */
    s->c.resp_len = n;
    s->c.pending = 1;
    *s->off = off + 2 + n;
    return TSS2_RC_SUCCESS;
}

static TSS2_RC script_receive(TSS2_TCTI_CONTEXT *ctx, size_t *size, uint8_t *response,
                              int32_t timeout)
{
    (void)timeout;
    return common_receive((tcti_common *)ctx, size, response);
}

static void script_finalize(TSS2_TCTI_CONTEXT *ctx) { (void)ctx; }

TSS2_RC psh_tcti_script_new(const uint8_t *script, size_t len, size_t *cursor,
                            TSS2_TCTI_CONTEXT **out)
{
    tcti_script *s = NULL;
    *out = NULL;
    if (cursor == NULL)
        return TSS2_TCTI_RC_BAD_REFERENCE;
    s = psh_calloc(1, sizeof *s);
    if (s == NULL)
        return TSS2_TCTI_RC_MEMORY;
    common_init(&s->c, TCTI_MAGIC_SCRIPT, script_transmit, script_receive, script_finalize);
    s->p = script;
    s->len = script != NULL ? len : 0;
    s->off = cursor;
    *out = (TSS2_TCTI_CONTEXT *)s;
    return TSS2_RC_SUCCESS;
}
