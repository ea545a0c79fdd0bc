/* Input: up to 16 requests, each a u16 little-endian length then that many bytes of frame
 * (spec 1.3; a trailing partial record is used as it stands), run in order through
 * psh_engine_handle on an engine whose only provider is the TPM provider (wire id 3) over
 * the in-process libtpms TCTI ("libtpms"): a real TPM 2.0, no process, state in memory.
 * Self-contained: no environment, no working directory, nothing written (in-memory KIM).
 * The engine (and the TPM) persists across inputs so keys made earlier can be used later,
 * and is rebuilt every FUZZ_TPM_REUSE inputs (a TPM power cycle on the same NV state).
 * Invariant: every request gets one well-formed response frame. */
#include "fuzz_common.h"

#define FUZZ_TPM_MAX_FRAMES 16
#define FUZZ_TPM_REUSE 512

static psh_engine *engine;
static unsigned uses;

static psh_engine *tpm_engine_new(void)
{
    psh_engine_config cfg;
    psh_engine *e = NULL;
    char err[256] = "";
    psh_engine_config_init(&cfg);
    cfg.provider_count = 1;
    psh_provider_config_init(&cfg.providers[0], PSH_PROVIDER_TPM);
    snprintf(cfg.providers[0].tcti, sizeof cfg.providers[0].tcti, "%s", "libtpms");
    cfg.auth_type = PSH_AUTH_DIRECT;
    cfg.admin_count = 1;
    snprintf(cfg.admins[0], sizeof cfg.admins[0], "%s", "admin");
    if (psh_engine_create(&cfg, &e, err, sizeof err) != PSH_SUCCESS || e == NULL) {
        fprintf(stderr, "fuzz_tpm_request: psh_engine_create failed: %s\n", err);
        abort();
    }
    return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;

    fuzz_setup();
    if (engine == NULL || uses++ >= FUZZ_TPM_REUSE) {
        psh_engine_destroy(engine);
        engine = tpm_engine_new();
        uses = 0;
    }
    for (int n = 0; n < FUZZ_TPM_MAX_FRAMES && size - off >= 2; n++) {
        size_t len = (size_t)data[off] | (size_t)data[off + 1] << 8;
        off += 2;
        if (len > size - off)
            len = size - off;
        /* An exact-size copy, so a read past this frame is a memory error, not the next one. */
        uint8_t *frame = malloc(len ? len : 1);
        if (frame == NULL)
            abort();
        memcpy(frame, data + off, len);
        (void)fuzz_handle(engine, frame, len);
        free(frame);
        off += len;
    }
    return 0;
}
