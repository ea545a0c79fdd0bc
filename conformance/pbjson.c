/* JSON <-> protobuf-c messages through the descriptors (reflection), so every operation's
 * body is written by proto field name in a session and no operation needs its own code.
 * Bounded: nesting, string, bytes and array sizes are capped (conform.h). */
#include "conform.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/hex.h"

static void *pb_alloc(void *ctx, size_t n)
{
    (void)ctx;
    return psh_malloc(n);
}
static void pb_free(void *ctx, void *p)
{
    (void)ctx;
    psh_free(p);
}
static ProtobufCAllocator cf_allocator = {pb_alloc, pb_free, NULL};

static void seterr(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    if (err == NULL || n == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

char *psh_cf_hex(const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *s = malloc(2 * n + 1);
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = digits[p[i] >> 4];
        s[2 * i + 1] = digits[p[i] & 15];
    }
    s[2 * n] = '\0';
    return s;
}

int psh_cf_unhex(const char *s, uint8_t **out, size_t *out_len)
{
    size_t n = 0, len = strlen(s);
    uint8_t *b;
    int hi = -1;
    *out = NULL;
    *out_len = 0;
    if (len / 2 > PSH_CF_MAX_BYTES)
        return -1;
    b = malloc(len / 2 + 1);
    if (b == NULL)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int v;
        if (s[i] == ' ' || s[i] == ':' || s[i] == '\n')
            continue; /* readable grouping allowed */
        v = psh_hex_nibble(s[i]);
        if (v < 0) {
            free(b);
            return -1;
        }
        if (hi < 0) {
            hi = v;
        } else {
            b[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0) {
        free(b);
        return -1;
    }
    *out = b;
    *out_len = n;
    return 0;
}

int psh_cf_json_bytes(json_t *v, uint8_t **out, size_t *out_len, char *err, size_t err_size)
{
    *out = NULL;
    *out_len = 0;
    if (json_is_string(v)) {
        if (psh_cf_unhex(json_string_value(v), out, out_len) != 0) {
            seterr(err, err_size, "not a hex string (or over %u bytes)", PSH_CF_MAX_BYTES);
            return -1;
        }
        return 0;
    }
    if (json_is_object(v) && json_is_string(json_object_get(v, "text"))) {
        json_t *t = json_object_get(v, "text");
        size_t n = json_string_length(t);
        if (n > PSH_CF_MAX_BYTES)
            goto toolong;
        *out = malloc(n + 1);
        if (*out == NULL)
            return -1;
        memcpy(*out, json_string_value(t), n);
        *out_len = n;
        return 0;
    }
    if (json_is_object(v) && json_is_integer(json_object_get(v, "count"))) {
        /* {"fill": "ab", "count": n}: n copies of a pattern, for large inputs. */
        json_int_t count = json_integer_value(json_object_get(v, "count"));
        json_t *fill = json_object_get(v, "fill");
        uint8_t *pat = NULL;
        size_t plen = 1;
        uint8_t zero = 0;
        if (fill != NULL && (!json_is_string(fill) ||
                             psh_cf_unhex(json_string_value(fill), &pat, &plen) != 0 || plen == 0)) {
            free(pat);
            seterr(err, err_size, "\"fill\" must be a non-empty hex string");
            return -1;
        }
        if (count < 0 || (uint64_t)count * plen > PSH_CF_MAX_BYTES) {
            free(pat);
            goto toolong;
        }
        *out = malloc((size_t)count * plen + 1);
        if (*out == NULL) {
            free(pat);
            return -1;
        }
        for (json_int_t i = 0; i < count; i++)
            memcpy(*out + (size_t)i * plen, pat ? pat : &zero, plen);
        *out_len = (size_t)count * plen;
        free(pat);
        return 0;
    }
    seterr(err, err_size, "bytes must be a hex string, {\"text\": ...} or {\"fill\", \"count\"}");
    return -1;
toolong:
    seterr(err, err_size, "bytes value over %u bytes", PSH_CF_MAX_BYTES);
    return -1;
}

static int enum_value(const ProtobufCEnumDescriptor *ed, json_t *v, int *out)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < INT32_MIN || i > INT32_MAX)
            return -1;
        *out = (int)i; /* unknown numbers pass: sessions test InvalidEncoding with them */
        return 0;
    }
    if (json_is_string(v)) {
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(
            ed, json_string_value(v));
        if (ev == NULL)
            return -1;
        *out = ev->value;
        return 0;
    }
    return -1;
}

static int int_value(json_t *v, json_int_t lo, json_int_t hi, json_int_t *out)
{
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return -1;
    *out = json_integer_value(v);
    return 0;
}

static int to_pb(const ProtobufCMessageDescriptor *desc, json_t *obj, ProtobufCMessage **out,
                 int depth, char *err, size_t err_size);

/* Writes one scalar/message value into the storage at dst. */
static int set_value(const ProtobufCFieldDescriptor *f, json_t *v, void *dst, int depth,
                     char *err, size_t err_size)
{
    json_int_t i = 0;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (int_value(v, INT32_MIN, INT32_MAX, &i) != 0)
            goto bad;
        *(int32_t *)dst = (int32_t)i;
        return 0;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (int_value(v, 0, UINT32_MAX, &i) != 0)
            goto bad;
        *(uint32_t *)dst = (uint32_t)i;
        return 0;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (int_value(v, INT64_MIN, INT64_MAX, &i) != 0)
            goto bad;
        *(int64_t *)dst = (int64_t)i;
        return 0;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (int_value(v, 0, INT64_MAX, &i) != 0)
            goto bad;
        *(uint64_t *)dst = (uint64_t)i;
        return 0;
    case PROTOBUF_C_TYPE_BOOL:
        if (!json_is_boolean(v))
            goto bad;
        *(protobuf_c_boolean *)dst = json_is_true(v);
        return 0;
    case PROTOBUF_C_TYPE_ENUM: {
        int e;
        if (enum_value(f->descriptor, v, &e) != 0) {
            seterr(err, err_size, "field %s: unknown %s value", f->name,
                   ((const ProtobufCEnumDescriptor *)f->descriptor)->name);
            return -1;
        }
        *(int *)dst = e;
        return 0;
    }
    case PROTOBUF_C_TYPE_STRING: {
        char *s;
        if (!json_is_string(v) || json_string_length(v) > PSH_CF_MAX_STRING)
            goto bad;
        s = psh_strndup(json_string_value(v), json_string_length(v));
        if (s == NULL)
            goto bad;
        *(char **)dst = s;
        return 0;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData *bd = dst;
        uint8_t *b = NULL, *copy = NULL;
        size_t n = 0;
        if (psh_cf_json_bytes(v, &b, &n, err, err_size) != 0)
            return -1;
        if (n > 0) {
            copy = psh_malloc(n);
            if (copy == NULL) {
                free(b);
                goto bad;
            }
            memcpy(copy, b, n);
        }
        free(b);
        bd->data = copy;
        bd->len = n;
        return 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        ProtobufCMessage *sub = NULL;
        json_t *o = v;
        json_t *tmp = NULL;
        if (json_is_true(v)) /* empty message written as true */
            o = tmp = json_object();
        if (!json_is_object(o))
            goto bad;
        if (to_pb(f->descriptor, o, &sub, depth + 1, err, err_size) != 0) {
            json_decref(tmp);
            return -1;
        }
        json_decref(tmp);
        *(ProtobufCMessage **)dst = sub;
        return 0;
    }
    default: /* no float/double in the Parsec protos */
        break;
    }
bad:
    if (err != NULL && err[0] == '\0')
        seterr(err, err_size, "field %s: value of the wrong type or out of range", f->name);
    return -1;
}

static int to_pb(const ProtobufCMessageDescriptor *desc, json_t *obj, ProtobufCMessage **out,
                 int depth, char *err, size_t err_size)
{
    ProtobufCMessage *m;
    const char *key;
    json_t *v;
    *out = NULL;
    if (depth > PSH_CF_MAX_DEPTH) {
        seterr(err, err_size, "message nesting too deep");
        return -1;
    }
    if (!json_is_object(obj)) {
        seterr(err, err_size, "%s: expected an object", desc->name);
        return -1;
    }
    m = psh_calloc(1, desc->sizeof_message);
    if (m == NULL)
        return -1;
    desc->message_init(m);
    json_object_foreach(obj, key, v) {
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(desc, key);
        uint8_t *base = (uint8_t *)m;
        if (f == NULL) {
            seterr(err, err_size, "%s has no field \"%s\"", desc->name, key);
            goto fail;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = json_array_size(v), elt;
            void *arr;
            if (!json_is_array(v) || n > PSH_CF_MAX_ARRAY) {
                seterr(err, err_size, "field %s: expected an array of at most %u", key,
                       PSH_CF_MAX_ARRAY);
                goto fail;
            }
            switch (f->type) {
            case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_SINT64:
            case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_SFIXED64:
                elt = 8; break;
            case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE:
                elt = sizeof(void *); break;
            case PROTOBUF_C_TYPE_BYTES:
                elt = sizeof(ProtobufCBinaryData); break;
            case PROTOBUF_C_TYPE_BOOL:
                elt = sizeof(protobuf_c_boolean); break;
            default:
                elt = 4; break;
            }
            if (n == 0)
                continue;
            arr = psh_calloc(n, elt);
            if (arr == NULL)
                goto fail;
            *(void **)(base + f->offset) = arr;
            for (size_t i = 0; i < n; i++) {
                if (set_value(f, json_array_get(v, i), (uint8_t *)arr + i * elt, depth, err,
                              err_size) != 0)
                    goto fail;
                *(size_t *)(base + f->quantifier_offset) = i + 1; /* free sees what is set */
            }
            continue;
        }
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t *cse = (uint32_t *)(base + f->quantifier_offset);
            if (*cse != 0) {
                seterr(err, err_size, "%s: two members of one oneof (\"%s\")", desc->name, key);
                goto fail;
            }
            if (set_value(f, v, base + f->offset, depth, err, err_size) != 0)
                goto fail;
            *cse = f->id;
            continue;
        }
        if (set_value(f, v, base + f->offset, depth, err, err_size) != 0)
            goto fail;
        if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset != 0)
            *(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
    }
    *out = m;
    return 0;
fail:
    protobuf_c_message_free_unpacked(m, &cf_allocator);
    return -1;
}

int psh_cf_json_to_pb(const ProtobufCMessageDescriptor *desc, json_t *obj, ProtobufCMessage **out,
                      char *err, size_t err_size)
{
    if (err != NULL && err_size > 0)
        err[0] = '\0';
    return to_pb(desc, obj, out, 0, err, err_size);
}

void psh_cf_pb_free(ProtobufCMessage *m)
{
    if (m != NULL)
        protobuf_c_message_free_unpacked(m, &cf_allocator);
}

static json_t *value_json(const ProtobufCFieldDescriptor *f, const void *src)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *)src);
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *)src);
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        return json_integer(*(const int64_t *)src);
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        return json_integer((json_int_t)*(const uint64_t *)src);
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *)src);
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumValue *ev =
            protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)src);
        return ev ? json_string(ev->name) : json_integer(*(const int *)src);
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)src;
        json_t *j = json_string(s ? s : "");
        return j ? j : json_string("<invalid utf-8>");
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *bd = src;
        char *h = psh_cf_hex(bd->data, bd->len);
        json_t *j = json_string(h ? h : "");
        free(h);
        return j;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)src;
        return sub ? psh_cf_pb_to_json(sub) : json_null();
    }
    default:
        break;
    }
    return json_null();
}

json_t *psh_cf_pb_to_json(const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const uint8_t *base = (const uint8_t *)m;
    json_t *o = json_object();
    for (unsigned i = 0; o != NULL && i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            const uint8_t *arr = *(uint8_t *const *)(base + f->offset);
            size_t elt = f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE
                             ? sizeof(void *)
                         : f->type == PROTOBUF_C_TYPE_BYTES ? sizeof(ProtobufCBinaryData)
                         : f->type == PROTOBUF_C_TYPE_BOOL  ? sizeof(protobuf_c_boolean)
                         : (f->type == PROTOBUF_C_TYPE_INT64 || f->type == PROTOBUF_C_TYPE_UINT64 ||
                            f->type == PROTOBUF_C_TYPE_SINT64 || f->type == PROTOBUF_C_TYPE_FIXED64 ||
                            f->type == PROTOBUF_C_TYPE_SFIXED64)
                             ? 8
                             : 4;
            json_t *a = json_array();
            for (size_t k = 0; a != NULL && k < n; k++)
                json_array_append_new(a, value_json(f, arr + k * elt));
            json_object_set_new(o, f->name, a);
            continue;
        }
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            if (*(const uint32_t *)(base + f->quantifier_offset) != f->id)
                continue;
        } else if (f->type == PROTOBUF_C_TYPE_MESSAGE &&
                   *(ProtobufCMessage *const *)(base + f->offset) == NULL) {
            continue; /* absent sub-message stays absent: "absent" matchers see it */
        }
        json_object_set_new(o, f->name, value_json(f, base + f->offset));
    }
    return o;
}
