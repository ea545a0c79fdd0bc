/* Input: a conformance session file (JSON, docs/sessions.md), as psh-conform reads it.
 * Invariants: the parser never reads past the input, refuses what it cannot validate with a
 * message, and a session it accepts can have every request built (variables bound to sample
 * values) without crashing or leaking. */
#include "fuzz_common.h"

#include "conform.h"

static void build_all(const psh_cf_session *s)
{
    json_t *vars = json_pack("{s:s, s:i, s:s, s:s}", "run", "f", "provider", 1, "sig", "00ff",
                             "pub", "04");
    json_t *steps = json_object_get(s->root, "steps"), *st;
    size_t i;
    json_array_foreach(steps, i, st) {
        char err[PSH_CF_ERR];
        uint8_t *frame = NULL;
        size_t len = 0;
        json_t *x = psh_cf_subst(st, vars, err, sizeof err);
        if (x == NULL)
            continue;
        if (json_object_get(x, "check") == NULL &&
            psh_cf_build_request(x, 1, &frame, &len, err, sizeof err) == 0 &&
            json_object_get(x, "raw") == NULL && len < PSH_WIRE_HEADER_SIZE)
            abort(); /* a symbolic request always has a whole header */
        free(frame);
        json_decref(x);
    }
    json_decref(vars);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    psh_cf_session *s = NULL;
    char err[PSH_CF_ERR];

    fuzz_setup();
    if (psh_cf_session_parse(data, size, "fuzz", &s, err, sizeof err) != 0) {
        if (s != NULL || err[0] == '\0')
            abort(); /* a refusal always says why and returns nothing */
        return 0;
    }
    build_all(s);
    psh_cf_session_free(s);
    return 0;
}
