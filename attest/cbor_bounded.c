#include "cbor_bounded.h"

#include <string.h>

#include "util/alloc.h"

#define PSH_CBOR_WRITER_MAX (1u << 20)

/* --- pre-scan with the streaming decoder ------------------------------------------------- */

typedef struct scan_ctx {
    /* remaining[d]: items still expected in the container open at depth d */
    uint64_t remaining[PSH_CBOR_MAX_DEPTH + 1];
    size_t depth;
    size_t items;
    int bad;
    const char *why;
    int opened; /* the last callback opened a container */
} scan_ctx;

static void fail(scan_ctx *c, const char *why)
{
    if (!c->bad) {
        c->bad = 1;
        c->why = why;
    }
}

static void open_container(scan_ctx *c, uint64_t n)
{
    if (c->depth >= PSH_CBOR_MAX_DEPTH) {
        fail(c, "nesting deeper than the cap");
        return;
    }
    c->remaining[++c->depth] = n;
    c->opened = 1;
}

static void cb_leaf(void *ctx) { (void)ctx; }
static void cb_u8(void *ctx, uint8_t v) { (void)v; cb_leaf(ctx); }
static void cb_u16(void *ctx, uint16_t v) { (void)v; cb_leaf(ctx); }
static void cb_u32(void *ctx, uint32_t v) { (void)v; cb_leaf(ctx); }
static void cb_u64(void *ctx, uint64_t v) { (void)v; cb_leaf(ctx); }
static void cb_str(void *ctx, cbor_data d, size_t n) { (void)d; (void)n; cb_leaf(ctx); }
static void cb_f(void *ctx, float v) { (void)v; cb_leaf(ctx); }
static void cb_d(void *ctx, double v) { (void)v; cb_leaf(ctx); }
static void cb_b(void *ctx, bool v) { (void)v; cb_leaf(ctx); }
static void cb_indef(void *ctx) { fail(ctx, "indefinite-length item"); }
static void cb_array(void *ctx, size_t n) { open_container(ctx, n); }
static void cb_map(void *ctx, size_t n)
{
    scan_ctx *c = ctx;
    if (n > SIZE_MAX / 2) {
        fail(c, "map too large");
        return;
    }
    open_container(c, (uint64_t)n * 2);
}
static void cb_tag(void *ctx, uint64_t t) { (void)t; open_container(ctx, 1); }

static struct cbor_callbacks scan_callbacks(void)
{
    struct cbor_callbacks cb = cbor_empty_callbacks;
    cb.uint8 = cb_u8; cb.uint16 = cb_u16; cb.uint32 = cb_u32; cb.uint64 = cb_u64;
    cb.negint8 = cb_u8; cb.negint16 = cb_u16; cb.negint32 = cb_u32; cb.negint64 = cb_u64;
    cb.byte_string = cb_str; cb.string = cb_str;
    cb.byte_string_start = cb_indef; cb.string_start = cb_indef;
    cb.indef_array_start = cb_indef; cb.indef_map_start = cb_indef; cb.indef_break = cb_indef;
    cb.array_start = cb_array; cb.map_start = cb_map; cb.tag = cb_tag;
    cb.float2 = cb_f; cb.float4 = cb_f; cb.float8 = cb_d;
    cb.undefined = cb_leaf; cb.null = cb_leaf; cb.boolean = cb_b;
    return cb;
}

/* libcbor 0.8's decoder rejects the one-byte tag heads 0xc6..0xd4 (tags 6..20, including
 * COSE_Sign1's 18) as unassigned. The scan handles them itself and reports where they are so
 * psh_cbor_decode can hand cbor_load an equivalent copy with two-byte heads (0xd8 nn): only
 * counts, not byte lengths, enclose a head within one item, so the widening is safe. */
static int short_tag(uint8_t b) { return b >= 0xc6 && b <= 0xd4; }

static int check_impl(const uint8_t *buf, size_t len, psh_cbor_scan *scan, const char **why,
                      size_t *n_short, size_t *short_off, size_t max_short)
{
    struct cbor_callbacks cb = scan_callbacks();
    scan_ctx c;
    size_t off = 0;
    size_t child_start = 0;
    int done = 0;

    memset(&c, 0, sizeof c);
    if (scan != NULL)
        memset(scan, 0, sizeof *scan);
    *why = NULL;
    if (buf == NULL || len == 0) {
        *why = "empty input";
        return -1;
    }
    while (!done) {
        struct cbor_decoder_result r;
        if (off >= len) {
            *why = "truncated";
            return -1;
        }
        if (c.depth == 1)
            child_start = off;
        c.opened = 0;
        if (short_tag(buf[off])) {
            if (short_off != NULL && *n_short < max_short)
                short_off[*n_short] = off;
            (*n_short)++;
            cb_tag(&c, buf[off] & 0x1f);
            r.status = CBOR_DECODER_FINISHED;
            r.read = 1;
        } else {
            r = cbor_stream_decode(buf + off, len - off, &cb, &c);
        }
        if (r.status != CBOR_DECODER_FINISHED || r.read == 0 || r.read > len - off) {
            *why = r.status == CBOR_DECODER_NEDATA ? "truncated" : "not well-formed CBOR";
            return -1;
        }
        if (c.bad) {
            *why = c.why;
            return -1;
        }
        off += r.read;
        if (++c.items > PSH_CBOR_MAX_ITEMS) {
            *why = "more items than the cap";
            return -1;
        }
        /* A container's declared count can't exceed the bytes left (each item >= 1 byte). */
        if (c.opened && c.remaining[c.depth] > len - off) {
            *why = "declared count exceeds the input";
            return -1;
        }
        /* Close every container whose last item just ended. */
        if (!c.opened || c.remaining[c.depth] == 0) {
            if (c.opened)
                c.depth--; /* empty container: complete at once */
            for (;;) {
                if (c.depth == 0) {
                    done = 1;
                    break;
                }
                if (c.depth == 1 && scan != NULL && scan->n_children < PSH_CBOR_MAX_CHILDREN) {
                    scan->child[scan->n_children].off = child_start;
                    scan->child[scan->n_children].len = off - child_start;
                    scan->n_children++;
                }
                if (--c.remaining[c.depth] > 0)
                    break;
                c.depth--;
            }
        }
    }
    if (off != len) {
        *why = "trailing bytes after the item";
        return -1;
    }
    return 0;
}

int psh_cbor_check(const uint8_t *buf, size_t len, psh_cbor_scan *scan, const char **why)
{
    size_t n_short = 0;
    return check_impl(buf, len, scan, why, &n_short, NULL, 0);
}

int psh_cbor_decode(const uint8_t *buf, size_t len, cbor_item_t **item, psh_cbor_scan *scan,
                    const char **why)
{
    struct cbor_load_result res;
    size_t n_short = 0, *offs = NULL, wide_len = len;
    uint8_t *wide = NULL;
    const uint8_t *src = buf;
    *item = NULL;
    if (check_impl(buf, len, scan, why, &n_short, NULL, 0) != 0)
        return -1;
    if (n_short > 0) {
        size_t m = 0, o = 0;
        offs = psh_alloc_array(n_short, sizeof *offs);
        wide = psh_malloc(len + n_short);
        if (offs == NULL || wide == NULL) {
            psh_free(offs);
            psh_free(wide);
            *why = "out of memory";
            return -1;
        }
        check_impl(buf, len, NULL, why, &m, offs, n_short);
        for (size_t i = 0, k = 0; i < len; i++) {
            if (k < n_short && offs[k] == i) {
                wide[o++] = 0xd8;
                wide[o++] = buf[i] & 0x1f;
                k++;
            } else {
                wide[o++] = buf[i];
            }
        }
        wide_len = o;
        src = wide;
        psh_free(offs);
    }
    *item = cbor_load(src, wide_len, &res);
    psh_free(wide);
    if (*item == NULL || res.error.code != CBOR_ERR_NONE || res.read != wide_len) {
        if (*item != NULL)
            cbor_decref(item);
        *item = NULL;
        *why = res.error.code == CBOR_ERR_MEMERROR ? "out of memory" : "not well-formed CBOR";
        return -1;
    }
    return 0;
}

/* --- accessors --------------------------------------------------------------------------- */

int psh_cbor_int(const cbor_item_t *it, int64_t *v)
{
    uint64_t u;
    if (it == NULL || !(cbor_isa_uint(it) || cbor_isa_negint(it)))
        return -1;
    u = cbor_get_int(it);
    if (u > (uint64_t)INT64_MAX)
        return -1;
    *v = cbor_isa_uint(it) ? (int64_t)u : -1 - (int64_t)u;
    return 0;
}

int psh_cbor_bytes(const cbor_item_t *it, const uint8_t **p, size_t *len)
{
    if (it == NULL || !cbor_isa_bytestring(it) || !cbor_bytestring_is_definite(it))
        return -1;
    *p = cbor_bytestring_handle(it);
    *len = cbor_bytestring_length(it);
    if (*p == NULL)
        *p = (const uint8_t *)"";
    return 0;
}

int psh_cbor_text_eq(const cbor_item_t *it, const char *s)
{
    size_t n = strlen(s);
    if (it == NULL || !cbor_isa_string(it) || !cbor_string_is_definite(it))
        return 0;
    return cbor_string_length(it) == n && (n == 0 || memcmp(cbor_string_handle(it), s, n) == 0);
}

cbor_item_t *psh_cbor_untag(const cbor_item_t *it, uint64_t tag)
{
    cbor_item_t *inner, *ref;
    if (it == NULL || !cbor_isa_tag(it) || cbor_tag_value(it) != tag)
        return NULL;
    inner = cbor_tag_item(it); /* +1 reference; the tag keeps its own, so drop ours */
    ref = inner;
    cbor_decref(&ref);
    return inner;
}

static int map_find(const cbor_item_t *map, const char *tkey, int64_t ikey, cbor_item_t **val)
{
    struct cbor_pair *pairs;
    size_t n;
    int found = 0;
    *val = NULL;
    if (map == NULL || !cbor_isa_map(map))
        return 0;
    pairs = cbor_map_handle(map);
    n = cbor_map_size(map);
    for (size_t i = 0; i < n; i++) {
        int match;
        if (tkey != NULL) {
            match = psh_cbor_text_eq(pairs[i].key, tkey);
        } else {
            int64_t k;
            match = psh_cbor_int(pairs[i].key, &k) == 0 && k == ikey;
        }
        if (match) {
            if (found)
                return -1; /* duplicate key: ambiguous evidence */
            found = 1;
            *val = pairs[i].value;
        }
    }
    return found;
}

int psh_cbor_map_int(const cbor_item_t *map, int64_t key, cbor_item_t **val)
{
    return map_find(map, NULL, key, val);
}

int psh_cbor_map_text(const cbor_item_t *map, const char *key, cbor_item_t **val)
{
    return map_find(map, key, 0, val);
}

int psh_cbor_scan_value(const uint8_t *buf, const psh_cbor_scan *scan, const char *key,
                        int64_t ikey, psh_cbor_extent *ext)
{
    for (size_t i = 0; i + 1 < scan->n_children; i += 2) {
        cbor_item_t *k = NULL;
        const char *why;
        int match = 0;
        if (psh_cbor_decode(buf + scan->child[i].off, scan->child[i].len, &k, NULL, &why) != 0)
            continue;
        if (key != NULL) {
            match = psh_cbor_text_eq(k, key);
        } else {
            int64_t v;
            match = psh_cbor_int(k, &v) == 0 && v == ikey;
        }
        cbor_decref(&k);
        if (match) {
            *ext = scan->child[i + 1];
            return 0;
        }
    }
    return -1;
}

/* --- writer ------------------------------------------------------------------------------ */

void psh_cbuf_raw(psh_cbuf *w, const void *p, size_t n)
{
    if (w->err)
        return;
    if (n > PSH_CBOR_WRITER_MAX || w->len > PSH_CBOR_WRITER_MAX - n) {
        w->err = 1;
        return;
    }
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        uint8_t *q;
        while (cap < w->len + n)
            cap *= 2;
        q = psh_realloc(w->p, cap);
        if (q == NULL) {
            w->err = 1;
            return;
        }
        w->p = q;
        w->cap = cap;
    }
    if (n)
        memcpy(w->p + w->len, p, n);
    w->len += n;
}

void psh_cbuf_head(psh_cbuf *w, uint8_t major, uint64_t v)
{
    uint8_t b[9];
    size_t n;
    major = (uint8_t)(major << 5);
    if (v < 24) {
        b[0] = (uint8_t)(major | v);
        n = 1;
    } else if (v <= 0xFF) {
        b[0] = major | 24;
        b[1] = (uint8_t)v;
        n = 2;
    } else if (v <= 0xFFFF) {
        b[0] = major | 25;
        b[1] = (uint8_t)(v >> 8);
        b[2] = (uint8_t)v;
        n = 3;
    } else if (v <= 0xFFFFFFFFu) {
        b[0] = major | 26;
        for (int i = 0; i < 4; i++)
            b[1 + i] = (uint8_t)(v >> (24 - 8 * i));
        n = 5;
    } else {
        b[0] = major | 27;
        for (int i = 0; i < 8; i++)
            b[1 + i] = (uint8_t)(v >> (56 - 8 * i));
        n = 9;
    }
    psh_cbuf_raw(w, b, n);
}

void psh_cbuf_int(psh_cbuf *w, int64_t v)
{
    if (v >= 0)
        psh_cbuf_head(w, 0, (uint64_t)v);
    else
        psh_cbuf_head(w, 1, (uint64_t)(-1 - v));
}

void psh_cbuf_bytes(psh_cbuf *w, const void *p, size_t n)
{
    psh_cbuf_head(w, 2, n);
    psh_cbuf_raw(w, p, n);
}

void psh_cbuf_text(psh_cbuf *w, const char *s)
{
    size_t n = strlen(s);
    psh_cbuf_head(w, 3, n);
    psh_cbuf_raw(w, s, n);
}

uint8_t *psh_cbuf_take(psh_cbuf *w, size_t *len)
{
    uint8_t *p;
    *len = 0;
    if (w->err || w->p == NULL) {
        psh_cbuf_free(w);
        return NULL;
    }
    p = w->p;
    *len = w->len;
    memset(w, 0, sizeof *w);
    return p;
}

void psh_cbuf_free(psh_cbuf *w)
{
    psh_free(w->p);
    memset(w, 0, sizeof *w);
}
