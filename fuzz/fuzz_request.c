/* Input: one request frame (spec 1.3: 36-byte header, body, auth), handled by an engine with
 * the soft provider, an in-memory KIM, Direct auth and admin "admin".
 * Invariant: psh_engine_handle answers every input with one well-formed response frame.
 * The engine is created once and rebuilt every FUZZ_REQUEST_REUSE inputs, so keys made by
 * earlier inputs are reachable (state) without the in-memory KIM growing without bound. */
#include "fuzz_common.h"

#define FUZZ_REQUEST_REUSE 4096

static psh_engine *engine;
static unsigned uses;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    if (engine == NULL || uses++ >= FUZZ_REQUEST_REUSE) {
        psh_engine_destroy(engine);
        engine = fuzz_engine_new();
        uses = 0;
    }
    (void)fuzz_handle(engine, data, size);
    return 0;
}
