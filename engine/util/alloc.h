/* Allocation through replaceable hooks, so the fuzzers can cap memory and tests can fail
 * the Nth allocation. Every size derived from input goes through psh_alloc_array. */
#ifndef PSH_UTIL_ALLOC_H
#define PSH_UTIL_ALLOC_H

#include <stddef.h>
#include <stdint.h>

typedef struct psh_allocator {
    void *(*malloc_fn)(size_t size, void *ctx);
    void *(*realloc_fn)(void *p, size_t size, void *ctx);
    void (*free_fn)(void *p, void *ctx);
    void *ctx;
} psh_allocator;

/* Installs hooks (NULL restores the C library). Not thread-safe: call before any other use. */
void psh_set_allocator(const psh_allocator *a);

void *psh_malloc(size_t size);           /* NULL on failure or size 0 */
void *psh_calloc(size_t n, size_t size); /* zeroed; NULL on overflow or failure */
void *psh_realloc(void *p, size_t size);
void psh_free(void *p);
/* Wipes len bytes, then frees: for key material, PINs and anything derived from them. */
void psh_free_secret(void *p, size_t len);
/* n * size with an overflow check; NULL on overflow. */
void *psh_alloc_array(size_t n, size_t size);
/* Copies a NUL-terminated string; callee-allocated, free with psh_free. */
char *psh_strdup(const char *s);
/* Copies len bytes and appends a NUL; callee-allocated, free with psh_free. */
char *psh_strndup(const char *s, size_t len);
/* Wipes memory in a way the compiler cannot drop. */
void psh_zeroize(void *p, size_t len);

#endif
