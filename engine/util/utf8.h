#ifndef PSH_UTIL_UTF8_H
#define PSH_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* 1 when p[0..len) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int psh_utf8_valid(const uint8_t *p, size_t len);

#endif
