/* Input: a KIM attribute record as read back from SQLite (kim_codec.c; 19 bytes when valid:
 * "PSHA" | version | type u16le | bits u32le | usage u32le | alg u32le).
 * Invariants: a record that decodes re-encodes to the same bytes; a refused one leaves the
 * output zeroed. */
#include "fuzz_common.h"

#include "kim/kim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    psh_key_attrs a;
    uint8_t out[PSH_KIM_ATTRS_RECORD_SIZE];
    static const psh_key_attrs zero;

    fuzz_setup();
    if (psh_kim_attrs_decode(data, size, &a) != PSH_SUCCESS) {
        if (memcmp(&a, &zero, sizeof a) != 0)
            abort();
        return 0;
    }
    if (size != PSH_KIM_ATTRS_RECORD_SIZE)
        abort();
    psh_kim_attrs_encode(&a, out);
    if (memcmp(out, data, sizeof out) != 0) {
        fprintf(stderr, "fuzz_kim_record: round trip changed the record\n");
        abort();
    }
    return 0;
}
