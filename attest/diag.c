/* CBOR diagnostic notation (RFC 8949 sec 8, with RFC 8610 app. G's << >> for embedded CBOR)
 * over bounded-decoded libcbor items. Output is capped; recursion is bounded by the decoder's
 * depth cap times a small embedding cap. */
#include "attest.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cbor_bounded.h"
#include "util/alloc.h"

#define DIAG_MAX_OUT (1u << 20)
#define DIAG_MAX_EMBED 4

static void out_s(psh_cbuf *w, const char *s) { psh_cbuf_raw(w, s, strlen(s)); }

static void out_f(psh_cbuf *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_f(psh_cbuf *w, const char *fmt, ...)
{
    char b[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    out_s(w, b);
}

static void indent(psh_cbuf *w, int lvl)
{
    out_s(w, "\n");
    for (int i = 0; i < lvl; i++)
        out_s(w, "  ");
}

static void render(psh_cbuf *w, const cbor_item_t *it, int lvl, int embed);

static void render_bytes(psh_cbuf *w, const uint8_t *p, size_t n, int lvl, int embed)
{
    static const char d[] = "0123456789abcdef";
    cbor_item_t *inner = NULL;
    const char *why;
    /* Show a bstr as << >> when it holds one well-formed container (COSE, CMW, CoMID). */
    if (embed < DIAG_MAX_EMBED && n >= 2 && (p[0] >> 5) >= 4 && (p[0] >> 5) != 7 &&
        psh_cbor_decode(p, n, &inner, NULL, &why) == 0) {
        out_s(w, "<<");
        render(w, inner, lvl, embed + 1);
        out_s(w, ">>");
        cbor_decref(&inner);
        return;
    }
    out_s(w, "h'");
    for (size_t i = 0; i < n && !w->err; i++) {
        char b[2] = {d[p[i] >> 4], d[p[i] & 15]};
        psh_cbuf_raw(w, b, 2);
        if (w->len > DIAG_MAX_OUT)
            w->err = 1;
    }
    out_s(w, "'");
}

static void render_text(psh_cbuf *w, const uint8_t *p, size_t n)
{
    out_s(w, "\"");
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"' || p[i] == '\\')
            out_f(w, "\\%c", p[i]);
        else if (p[i] < 0x20 || p[i] == 0x7f)
            out_f(w, "\\u%04x", p[i]);
        else
            psh_cbuf_raw(w, &p[i], 1);
    }
    out_s(w, "\"");
}

static void render(psh_cbuf *w, const cbor_item_t *it, int lvl, int embed)
{
    if (w->err || w->len > DIAG_MAX_OUT) {
        w->err = 1;
        return;
    }
    switch (cbor_typeof(it)) {
    case CBOR_TYPE_UINT:
        out_f(w, "%" PRIu64, cbor_get_int(it));
        break;
    case CBOR_TYPE_NEGINT:
        if (cbor_get_int(it) == UINT64_MAX)
            out_s(w, "-18446744073709551616");
        else
            out_f(w, "-%" PRIu64, cbor_get_int(it) + 1);
        break;
    case CBOR_TYPE_BYTESTRING:
        render_bytes(w, cbor_bytestring_handle(it), cbor_bytestring_length(it), lvl, embed);
        break;
    case CBOR_TYPE_STRING:
        render_text(w, cbor_string_handle(it), cbor_string_length(it));
        break;
    case CBOR_TYPE_ARRAY: {
        cbor_item_t **a = cbor_array_handle(it);
        size_t n = cbor_array_size(it);
        out_s(w, "[");
        for (size_t i = 0; i < n; i++) {
            indent(w, lvl + 1);
            render(w, a[i], lvl + 1, embed);
            if (i + 1 < n)
                out_s(w, ",");
        }
        if (n)
            indent(w, lvl);
        out_s(w, "]");
        break;
    }
    case CBOR_TYPE_MAP: {
        struct cbor_pair *m = cbor_map_handle(it);
        size_t n = cbor_map_size(it);
        out_s(w, "{");
        for (size_t i = 0; i < n; i++) {
            indent(w, lvl + 1);
            render(w, m[i].key, lvl + 1, embed);
            out_s(w, ": ");
            render(w, m[i].value, lvl + 1, embed);
            if (i + 1 < n)
                out_s(w, ",");
        }
        if (n)
            indent(w, lvl);
        out_s(w, "}");
        break;
    }
    case CBOR_TYPE_TAG: {
        cbor_item_t *inner = cbor_tag_item(it);
        out_f(w, "%" PRIu64 "(", cbor_tag_value(it));
        render(w, inner, lvl, embed);
        out_s(w, ")");
        cbor_decref(&inner);
        break;
    }
    case CBOR_TYPE_FLOAT_CTRL:
        if (cbor_float_ctrl_is_ctrl(it)) {
            uint8_t c = cbor_ctrl_value(it);
            if (c == CBOR_CTRL_TRUE) out_s(w, "true");
            else if (c == CBOR_CTRL_FALSE) out_s(w, "false");
            else if (c == CBOR_CTRL_NULL) out_s(w, "null");
            else if (c == CBOR_CTRL_UNDEF) out_s(w, "undefined");
            else out_f(w, "simple(%u)", c);
        } else {
            out_f(w, "%g", cbor_float_get_float(it));
        }
        break;
    default:
        w->err = 1;
        break;
    }
}

psh_status psh_attest_diag(const uint8_t *buf, size_t len, char **out)
{
    cbor_item_t *it = NULL;
    psh_cbuf w = {0};
    const char *why;
    size_t n;
    *out = NULL;
    if (len > PSH_ATTEST_MAX_EVIDENCE * 4 || psh_cbor_decode(buf, len, &it, NULL, &why) != 0)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    render(&w, it, 0, 0);
    psh_cbuf_raw(&w, "", 1);
    cbor_decref(&it);
    *out = (char *)psh_cbuf_take(&w, &n);
    return *out != NULL ? PSH_SUCCESS : PSH_ERR_PSA_INSUFFICIENT_MEMORY;
}
