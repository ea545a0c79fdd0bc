/* names: key names built to escape. Each is sent as raw protobuf bytes (so NUL and invalid
 * UTF-8 reach the service unchanged). Names that are not valid protobuf strings, empty or
 * over the 1024-byte limit must be refused; every other name must be stored as exactly
 * those bytes: listed back byte for byte, usable by that name, invisible to another
 * application, and not aliasing a shorter or normalised name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rel.h"

typedef struct hostile {
    const char *label;
    const char *bytes;
    size_t len; /* 0: strlen */
    int must_refuse;
} hostile;

/* field 1 (key_name, length-delimited) then the attributes psh_client encodes as field 2. */
static psh_status create_raw(const psh_client *c, const uint8_t *name, size_t len)
{
    psh_key_attributes a;
    uint8_t *enc = NULL, *body = NULL;
    size_t enc_len = 0, off = 0;
    rel_ecc_attrs(&a);
    psh_status st = psh_client_encode_generate_key("X", &a, &enc, &enc_len);
    if (st != PSH_SUCCESS)
        return st;
    /* enc = 0a 01 'X' <field 2...>: keep field 2 onwards. */
    if (enc_len < 3 || enc[0] != 0x0a || enc[1] != 1) {
        psh_client_free(enc);
        return PSH_ERR_CORRUPTION;
    }
    body = malloc(len + enc_len + 16);
    if (body == NULL) {
        psh_client_free(enc);
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    }
    body[off++] = 0x0a;
    for (size_t v = len;; v >>= 7) {
        body[off++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        if (v <= 0x7f)
            break;
    }
    memcpy(body + off, name, len);
    off += len;
    memcpy(body + off, enc + 3, enc_len - 3);
    off += enc_len - 3;
    uint8_t *resp = NULL;
    size_t resp_len = 0;
    st = psh_client_call(c, c->provider, PSH_OP_PSA_GENERATE_KEY, 1, body, off, &resp, &resp_len,
                         NULL);
    psh_client_free(resp);
    free(body);
    psh_client_free(enc);
    return st;
}

int rel_names(const rel_opts *o)
{
    static char big[65537], kilo[1025], over[1026];
    memset(big, 'A', 65536);
    memset(kilo, 'k', 1024);
    memset(over, 'o', 1025);
    const hostile h[] = {
        {"parent path", "../../../../etc/passwd", 0, 0},
        {"absolute path", "/etc/shadow", 0, 0},
        {"dot-dot", "..", 0, 0},
        {"slash", "/", 0, 0},
        {"backslash", "..\\..\\windows", 0, 0},
        {"SQL drop", "x'); DROP TABLE key_mapping; --", 0, 0},
        {"SQL or", "' OR '1'='1", 0, 0},
        {"SQL comment", "a\" --", 0, 0},
        {"format string", "%s%s%n%x", 0, 0},
        {"newline", "line1\nline2", 0, 0},
        {"UTF-8 text", "cl\xc3\xa9-\xe2\x82\xac", 0, 0},
        {"1024-byte name (the limit)", kilo, 1024, 0},
        {"1025-byte name", over, 1025, 1},
        {"64 KiB name", big, 65536, 1},
        {"empty name", "", 0, 1},
        {"NUL inside", "iso\0evil", 8, 1},
        {"NUL at end", "iso\0", 4, 1},
        {"invalid UTF-8 (ff fe)", "\xff\xfe", 0, 1},
        {"overlong '/' (c0 af)", "a\xc0\xaf", 0, 1},
        {"lone surrogate (ed a0 80)", "\xed\xa0\x80", 0, 1},
        {"truncated sequence (e2 82)", "x\xe2\x82", 0, 1},
    };
    const size_t nh = sizeof h / sizeof h[0];
    psh_client c, other;
    int fails = 0;
    size_t accepted = 0;
    if (rel_client(&c, o, "names-app") != 0 || rel_client(&other, o, "names-other") != 0)
        return 2;
    for (size_t i = 0; i < nh; i++) {
        size_t len = h[i].len ? h[i].len : strlen(h[i].bytes);
        psh_status st = create_raw(&c, (const uint8_t *)h[i].bytes, len);
        if (h[i].must_refuse) {
            if (st == PSH_SUCCESS) {
                fprintf(stderr, "FAIL: %s was accepted as a key name\n", h[i].label);
                fails++;
            } else {
                printf("names: %-28s refused: %s\n", h[i].label, psh_status_name(st));
            }
            continue;
        }
        if (st != PSH_SUCCESS) {
            fprintf(stderr, "FAIL: %s refused: %s\n", h[i].label, psh_status_name(st));
            fails++;
            continue;
        }
        accepted++;
        st = rel_key_usable(&c, h[i].bytes);
        if (st != PSH_SUCCESS) {
            fprintf(stderr, "FAIL: %s: key not usable by its name: %s\n", h[i].label,
                    psh_status_name(st));
            fails++;
        }
        if (rel_key_usable(&other, h[i].bytes) != PSH_ERR_PSA_DOES_NOT_EXIST) {
            fprintf(stderr, "FAIL: %s: another application reaches the key\n", h[i].label);
            fails++;
        }
        printf("names: %-28s stored as given\n", h[i].label);
    }
    /* The list holds exactly the accepted names, byte for byte: nothing aliased. */
    psh_key_info *keys = NULL;
    size_t n = 0;
    psh_status st = psh_client_list_keys(&c, &keys, &n);
    if (st != PSH_SUCCESS || n != accepted) {
        fprintf(stderr, "FAIL: ListKeys gives %zu keys (%s), want %zu\n", n, psh_status_name(st),
                accepted);
        fails++;
    }
    for (size_t k = 0; k < n; k++) {
        int found = 0;
        for (size_t i = 0; i < nh; i++)
            found |= !h[i].must_refuse && strcmp(keys[k].name, h[i].bytes) == 0;
        if (!found) {
            fprintf(stderr, "FAIL: ListKeys shows a name nobody created (%zu bytes)\n",
                    strlen(keys[k].name));
            fails++;
        }
        if (psh_client_destroy_key(&c, keys[k].name) != PSH_SUCCESS) {
            fprintf(stderr, "FAIL: cannot destroy a hostile-named key\n");
            fails++;
        }
    }
    psh_client_free_key_infos(keys, n);
    printf("names: %zu names tried, %zu stored, %d failures\n", nh, accepted, fails);
    return fails == 0 ? 0 : 1;
}
