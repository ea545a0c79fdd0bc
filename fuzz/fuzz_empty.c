/* The baseline: does nothing, built exactly like the other targets, so fuzz-smoke can print
 * the harness's own execs/s beside each target's (issue 6 asks for the comparison). */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)data;
    (void)size;
    return 0;
}
