/* Input: at least 36 bytes, the wire header (spec 1.3); the rest is ignored by the decoder.
 * Invariants: decode -> encode gives the same 36 bytes; frame-size and full-frame parsing
 * never disagree on the frame length; both run on any bytes without memory errors. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    psh_wire_header h;
    psh_wire_request req;
    uint8_t out[PSH_WIRE_HEADER_SIZE];
    size_t need = 0;
    psh_status st_size, st_parse;

    fuzz_setup();
    if (psh_wire_header_decode(data, size, &h) != 0) {
        if (size >= PSH_WIRE_HEADER_SIZE)
            abort(); /* decode refuses only short input */
    } else {
        psh_wire_header_encode(&h, out);
        if (memcmp(out, data, PSH_WIRE_HEADER_SIZE) != 0) {
            fprintf(stderr, "fuzz_wire_header: round trip changed the header\n");
            abort();
        }
    }
    /* Staged reading (spec 1.5 steps 1-5) and whole-frame parsing must agree. */
    st_size = psh_wire_frame_size(data, size, (size_t)1 << 20, &need);
    st_parse = psh_wire_parse_request(data, size, (size_t)1 << 20, &req);
    if (st_parse == PSH_SUCCESS) {
        size_t total = PSH_WIRE_HEADER_SIZE + req.body_len + req.auth_len;
        if (st_size != PSH_SUCCESS || need != total || total > size ||
            req.body != data + PSH_WIRE_HEADER_SIZE ||
            req.auth != data + PSH_WIRE_HEADER_SIZE + req.body_len) {
            fprintf(stderr, "fuzz_wire_header: frame_size and parse_request disagree\n");
            abort();
        }
    }
    return 0;
}
