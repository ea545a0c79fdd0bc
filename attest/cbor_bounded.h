/* Bounded CBOR decoding over libcbor. Untrusted bytes are first walked with libcbor's
 * streaming decoder (no allocation) to prove they hold exactly one well-formed item within
 * the caps; only then cbor_load builds the tree, whose allocations are then bounded by the
 * input length (a declared count larger than the bytes left never reaches cbor_load). */
#ifndef PSH_ATTEST_CBOR_BOUNDED_H
#define PSH_ATTEST_CBOR_BOUNDED_H

#include <cbor.h>
#include <stddef.h>
#include <stdint.h>

#define PSH_CBOR_MAX_DEPTH 16
#define PSH_CBOR_MAX_ITEMS 4096
#define PSH_CBOR_MAX_CHILDREN 64

/* Byte range of one item inside the checked buffer. */
typedef struct psh_cbor_extent {
    size_t off, len;
} psh_cbor_extent;

typedef struct psh_cbor_scan {
    /* Extents of the root container's direct children (map: key, value, key, value...;
     * a tag's child is its content). Only the first PSH_CBOR_MAX_CHILDREN are kept. */
    psh_cbor_extent child[PSH_CBOR_MAX_CHILDREN];
    size_t n_children;
} psh_cbor_scan;

/* Checks buf holds exactly one well-formed, definite-length item within the caps.
 * scan may be NULL. Returns 0, or -1 with a short reason in *why (static string). */
int psh_cbor_check(const uint8_t *buf, size_t len, psh_cbor_scan *scan, const char **why);

/* psh_cbor_check, then cbor_load. *item owned by the caller (cbor_decref). 0 or -1. */
int psh_cbor_decode(const uint8_t *buf, size_t len, cbor_item_t **item, psh_cbor_scan *scan,
                    const char **why);

/* Map lookups (borrowed result). Return 1 found, 0 absent, -1 when the key occurs twice. */
int psh_cbor_map_int(const cbor_item_t *map, int64_t key, cbor_item_t **val);
int psh_cbor_map_text(const cbor_item_t *map, const char *key, cbor_item_t **val);

/* Integer value of a uint/negint item that fits int64. 0 or -1. */
int psh_cbor_int(const cbor_item_t *it, int64_t *v);
/* Definite byte string contents (borrowed). 0 or -1 when not a bstr. */
int psh_cbor_bytes(const cbor_item_t *it, const uint8_t **p, size_t *len);
/* True when it is a text string equal to s. */
int psh_cbor_text_eq(const cbor_item_t *it, const char *s);
/* The content of tag `tag` (borrowed; valid while `it` lives), or NULL. */
cbor_item_t *psh_cbor_untag(const cbor_item_t *it, uint64_t tag);

/* Finds, among a map's scanned children, the extent of the value whose key is the text
 * `key` (or the int `ikey` when key is NULL). 0 and *ext, -1 when absent. */
int psh_cbor_scan_value(const uint8_t *buf, const psh_cbor_scan *scan, const char *key,
                        int64_t ikey, psh_cbor_extent *ext);

/* Minimal CBOR writer into a growing buffer (psh_malloc), for the evidence builders.
 * Errors stick in w->err; psh_cbuf_take returns the buffer or NULL. */
typedef struct psh_cbuf {
    uint8_t *p;
    size_t len, cap;
    int err;
} psh_cbuf;
void psh_cbuf_head(psh_cbuf *w, uint8_t major, uint64_t v);
void psh_cbuf_raw(psh_cbuf *w, const void *p, size_t n);
void psh_cbuf_int(psh_cbuf *w, int64_t v);
void psh_cbuf_bytes(psh_cbuf *w, const void *p, size_t n);
void psh_cbuf_text(psh_cbuf *w, const char *s);
uint8_t *psh_cbuf_take(psh_cbuf *w, size_t *len); /* NULL when an error occurred */
void psh_cbuf_free(psh_cbuf *w);

#endif
