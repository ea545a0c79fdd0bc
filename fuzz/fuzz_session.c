/* Input: a sequence of up to 32 requests, each a u16 little-endian length then that many
 * bytes of frame (a trailing partial record is used as it stands), run in order against ONE
 * fresh engine that is destroyed at the end, so create/use/destroy interleavings reach state
 * bugs and anything the engine forgets to free shows up as a leak.
 * Invariant: every request gets a well-formed response frame. */
#include "fuzz_common.h"

#define FUZZ_SESSION_MAX_FRAMES 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    psh_engine *e;
    size_t off = 0;

    fuzz_setup();
    e = fuzz_engine_new();
    for (int n = 0; n < FUZZ_SESSION_MAX_FRAMES && size - off >= 2; n++) {
        size_t len = (size_t)data[off] | (size_t)data[off + 1] << 8;
        off += 2;
        if (len > size - off)
            len = size - off;
        /* An exact-size copy, so a read past this frame is a memory error, not the next one. */
        uint8_t *frame = malloc(len ? len : 1);
        if (frame == NULL)
            abort();
        memcpy(frame, data + off, len);
        (void)fuzz_handle(e, frame, len);
        free(frame);
        off += len;
    }
    psh_engine_destroy(e);
    return 0;
}
