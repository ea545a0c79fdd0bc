/* The one bounded reader used by every parser: it never forms a pointer past the end,
 * reads little-endian byte by byte, and advances only on success. */
#ifndef PSH_UTIL_READER_H
#define PSH_UTIL_READER_H

#include <stddef.h>
#include <stdint.h>

typedef struct psh_reader {
    const uint8_t *p; /* borrowed */
    size_t len;
    size_t off;
} psh_reader;

static inline psh_reader psh_reader_init(const uint8_t *p, size_t len)
{
    psh_reader r = {p, p == NULL ? 0 : len, 0};
    return r;
}

static inline size_t psh_reader_left(const psh_reader *r) { return r->len - r->off; }

static inline int psh_get_u8(psh_reader *r, uint8_t *v)
{
    if (psh_reader_left(r) < 1)
        return -1;
    *v = r->p[r->off];
    r->off += 1;
    return 0;
}

static inline int psh_get_u16le(psh_reader *r, uint16_t *v)
{
    if (psh_reader_left(r) < 2)
        return -1;
    *v = (uint16_t)(r->p[r->off] | (r->p[r->off + 1] << 8));
    r->off += 2;
    return 0;
}

static inline int psh_get_u32le(psh_reader *r, uint32_t *v)
{
    if (psh_reader_left(r) < 4)
        return -1;
    const uint8_t *b = r->p + r->off;
    *v = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
    r->off += 4;
    return 0;
}

static inline int psh_get_u64le(psh_reader *r, uint64_t *v)
{
    uint32_t lo, hi;
    if (psh_reader_left(r) < 8)
        return -1;
    psh_get_u32le(r, &lo);
    psh_get_u32le(r, &hi);
    *v = ((uint64_t)hi << 32) | lo;
    return 0;
}

/* Borrows n bytes from the input (no copy). */
static inline int psh_get_bytes(psh_reader *r, size_t n, const uint8_t **out)
{
    if (n > psh_reader_left(r))
        return -1;
    *out = r->p + r->off;
    r->off += n;
    return 0;
}

static inline void psh_put_u16le(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}

static inline void psh_put_u32le(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

static inline void psh_put_u64le(uint8_t *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

#endif
