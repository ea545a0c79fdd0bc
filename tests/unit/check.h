/* A small assertion kit: CHECK records a failure and goes on; REQUIRE stops the test.
 * Each test file ends with CHECK_DONE(), which prints "N passed, N failed". */
#ifndef PSH_TEST_CHECK_H
#define PSH_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                               \
    do {                                                                          \
        if (cond) {                                                               \
            check_passed++;                                                       \
        } else {                                                                  \
            check_failed++;                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                         \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                              \
    do {                                                                                \
        long long va_ = (long long)(a), vb_ = (long long)(b);                           \
        if (va_ == vb_) {                                                               \
            check_passed++;                                                             \
        } else {                                                                        \
            check_failed++;                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n", __FILE__, \
                    __LINE__, #a, #b, va_, vb_);                                        \
        }                                                                               \
    } while (0)

#define CHECK_MEM(a, alen, b, blen) CHECK((alen) == (blen) && memcmp((a), (b), (alen)) == 0)

#define REQUIRE(cond)                                                                    \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond);   \
            check_failed++;                                                              \
            printf("%d passed, %d failed\n", check_passed, check_failed);                \
            exit(1);                                                                     \
        }                                                                                \
        check_passed++;                                                                  \
    } while (0)

#define CHECK_DONE()                                                  \
    do {                                                              \
        printf("%d passed, %d failed\n", check_passed, check_failed); \
        return check_failed == 0 ? 0 : 1;                             \
    } while (0)

/* Parses a hex string (spaces allowed) into buf; returns the byte count or -1. */
static inline int hex_to_bytes(const char *hex, unsigned char *buf, size_t size)
{
    size_t n = 0;
    while (*hex) {
        if (*hex == ' ' || *hex == '\n') { hex++; continue; }
        unsigned v;
        if (n >= size || sscanf(hex, "%2x", &v) != 1)
            return -1;
        buf[n++] = (unsigned char)v;
        hex += 2;
    }
    return (int)n;
}

#endif
