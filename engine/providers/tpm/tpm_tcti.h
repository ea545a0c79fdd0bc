/* TCTIs of our own (docs/tpm.md):
 *  - "libtpms": an in-process TPM 2.0 on libtpms, state in memory (fuzzing, fast tests);
 *  - a recording wrapper that writes every command/response pair to a JSON session file
 *    {"kind":"tpm","steps":[{"command":"<hex>","response":"<hex>"},...]};
 *  - a scripted TCTI that answers every command with the next canned response (fuzzing our
 *    response handling).
 * All return TSS2_RC and free themselves with Tss2_Tcti_Finalize + psh_free. */
#ifndef PSH_TPM_TCTI_H
#define PSH_TPM_TCTI_H

#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tcti.h>

/* The in-process libtpms TPM. libtpms is one TPM per process: a second live context fails
 * with TSS2_TCTI_RC_IO_ERROR. Opening it after the previous one was finalized is a power
 * cycle (TPM Reset) on the same in-memory NV state. The TPM is started (TPM2_Startup CLEAR). */
TSS2_RC psh_tcti_libtpms_new(TSS2_TCTI_CONTEXT **out);
/* Forgets the in-memory NV state (the next psh_tcti_libtpms_new manufactures a fresh TPM).
 * Only while no libtpms context is open. */
void psh_tcti_libtpms_wipe(void);

/* Wraps inner (ownership taken on success and on failure: inner_free(inner) is called when
 * the wrapper is finalized or cannot be built). Writes the session to path as it goes. */
TSS2_RC psh_tcti_record_new(TSS2_TCTI_CONTEXT *inner, void (*inner_free)(TSS2_TCTI_CONTEXT *),
                            const char *path, TSS2_TCTI_CONTEXT **out);

/* Answers each command with the next response of script: a sequence of
 * [u16 big-endian length][response bytes], read from *cursor on (shared, so a reconnect
 * continues where the last context stopped); at the end every command fails with
 * TSS2_TCTI_RC_IO_ERROR. script and cursor are borrowed and must outlive the context. */
TSS2_RC psh_tcti_script_new(const uint8_t *script, size_t len, size_t *cursor,
                            TSS2_TCTI_CONTEXT **out);

#endif
