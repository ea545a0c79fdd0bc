#include "util/alloc.h"

#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>

static void *libc_malloc(size_t size, void *ctx) { (void)ctx; return malloc(size); }
static void *libc_realloc(void *p, size_t size, void *ctx) { (void)ctx; return realloc(p, size); }
static void libc_free(void *p, void *ctx) { (void)ctx; free(p); }

static psh_allocator current = {libc_malloc, libc_realloc, libc_free, NULL};

void psh_set_allocator(const psh_allocator *a)
{
    if (a == NULL) {
        current = (psh_allocator){libc_malloc, libc_realloc, libc_free, NULL};
        return;
    }
    current = *a;
}

void *psh_malloc(size_t size)
{
    if (size == 0)
        return NULL;
    return current.malloc_fn(size, current.ctx);
}

void *psh_calloc(size_t n, size_t size)
{
    void *p = psh_alloc_array(n, size);
    if (p != NULL)
        memset(p, 0, n * size);
    return p;
}

void *psh_realloc(void *p, size_t size)
{
    if (size == 0) {
        psh_free(p);
        return NULL;
    }
    return current.realloc_fn(p, size, current.ctx);
}

void psh_free(void *p)
{
    if (p != NULL)
        current.free_fn(p, current.ctx);
}

void psh_zeroize(void *p, size_t len)
{
    if (p != NULL && len > 0)
        mbedtls_platform_zeroize(p, len);
}

void psh_free_secret(void *p, size_t len)
{
    psh_zeroize(p, len);
    psh_free(p);
}

void *psh_alloc_array(size_t n, size_t size)
{
    if (n == 0 || size == 0 || n > SIZE_MAX / size)
        return NULL;
    return psh_malloc(n * size);
}

char *psh_strndup(const char *s, size_t len)
{
    if (s == NULL || len == SIZE_MAX)
        return NULL;
    char *d = psh_malloc(len + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *psh_strdup(const char *s)
{
    return s == NULL ? NULL : psh_strndup(s, strlen(s));
}
