/* Input: byte 0 picks the opcode (index into the opcode table's rows that have a body type,
 * modulo their count); bytes 1.. are that opcode's protobuf Operation body. The target wraps
 * the body in a valid header (provider 0 for core opcodes, 1 otherwise; Direct auth "admin"
 * for admin opcodes, "app1" otherwise) and runs it through one engine that already holds
 * keys for app1 ("ecc": P-256 ECDSA-SHA256 sign/verify/export), so sign, verify and export
 * requests reach the soft provider.
 * LLVMFuzzerCustomMutator unpacks the body with protobuf-c for that opcode, changes one
 * field (integers, enums, bools, strings, bytes, sub-messages, oneof cases), and packs it
 * again; bodies that do not unpack fall back to libFuzzer's byte mutations.
 * Invariant: every request gets a well-formed response frame. */
#include "fuzz_common.h"

#include <protobuf-c/protobuf-c.h>

#include "core/core.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static const uint32_t op_ids[] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 30, 31, 32};
#define OP_COUNT (sizeof op_ids / sizeof op_ids[0])

/* PsaGenerateKey body: key_name "ecc", EccKeyPair(SECP_R1) 256 bits, usage export +
 * sign/verify hash and message, Ecdsa(SHA_256). */
static const uint8_t gen_ecc[] = {0x0a, 0x03, 'e',  'c',  'c',  0x12, 0x21, 0x0a, 0x04, 0x5a,
                                  0x02, 0x08, 0x02, 0x10, 0x80, 0x02, 0x1a, 0x16, 0x0a, 0x0a,
                                  0x08, 0x01, 0x30, 0x01, 0x38, 0x01, 0x40, 0x01, 0x48, 0x01,
                                  0x12, 0x08, 0x32, 0x06, 0x22, 0x04, 0x0a, 0x02, 0x10, 0x07};

static psh_engine *engine;

static const psh_opcode_row *row_for(uint8_t sel)
{
    return psh_opcode_lookup(op_ids[sel % OP_COUNT]);
}

static psh_status send_op(const psh_opcode_row *row, const uint8_t *body, size_t body_len)
{
    psh_wire_header h;
    const char *app = (row->flags & PSH_OP_ADMIN) ? "admin" : "app1";
    uint8_t *frame = NULL;
    size_t frame_len = 0;
    psh_status st;

    memset(&h, 0, sizeof h);
    h.magic = PSH_WIRE_MAGIC;
    h.hdr_size = PSH_WIRE_HDR_SIZE_FIELD;
    h.version_maj = 1;
    h.provider = (row->flags & PSH_OP_CORE) ? 0 : 1;
    h.auth_type = PSH_AUTH_DIRECT;
    h.body_len = (uint32_t)body_len;
    h.auth_len = (uint16_t)strlen(app);
    h.opcode = row->opcode;
    if (psh_wire_build_frame(&h, body, body_len, (const uint8_t *)app, strlen(app), &frame,
                             &frame_len) != PSH_SUCCESS)
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    st = fuzz_handle(engine, frame, frame_len);
    psh_free(frame);
    return st;
}

/* (Re)creates the standing keys; AlreadyExists is fine. */
static void standing_keys(void)
{
    (void)send_op(psh_opcode_lookup(2), gen_ecc, sizeof gen_ecc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const psh_opcode_row *row;
    uint8_t *body;

    fuzz_setup();
    if (engine == NULL) {
        engine = fuzz_engine_new();
        standing_keys();
    }
    if (size < 1)
        return 0;
    row = row_for(data[0]);
    if (row == NULL)
        abort(); /* op_ids lists only opcodes in the table */
    /* An exact-size copy, so an over-read of the body is a memory error. */
    body = malloc(size - 1 ? size - 1 : 1);
    if (body == NULL)
        abort();
    memcpy(body, data + 1, size - 1);
    (void)send_op(row, body, size - 1);
    free(body);
    if (row->opcode == 3 || row->opcode == 28) /* DestroyKey, DeleteClient */
        standing_keys();
    return 0;
}

/* ---- structure-aware mutation ------------------------------------------------------------ */

static uint32_t rng_next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

#define FIELD_PTR(m, f) ((uint8_t *)(m) + (f)->offset)

static const char *const names[] = {"ecc", "app1", "", "missing", "admin", "ecc\xff",
                                    "a/b", "\xc3\xa9t\xc3\xa9"};

/* Frees what a field holds (string, bytes or message) without touching the slot itself. */
static void field_release(const ProtobufCFieldDescriptor *f, ProtobufCMessage *m)
{
    void *slot = FIELD_PTR(m, f);
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        char *s = *(char **)slot;
        if (s != NULL && s != (const char *)f->default_value && s != protobuf_c_empty_string)
            free(s);
        *(char **)slot = NULL;
    } else if (f->type == PROTOBUF_C_TYPE_BYTES) {
        ProtobufCBinaryData *b = slot;
        const ProtobufCBinaryData *def = f->default_value;
        if (b->data != NULL && (def == NULL || b->data != def->data))
            free(b->data);
        b->data = NULL;
        b->len = 0;
    } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        ProtobufCMessage *sub = *(ProtobufCMessage **)slot;
        if (sub != NULL)
            protobuf_c_message_free_unpacked(sub, NULL);
        *(ProtobufCMessage **)slot = NULL;
    }
}

/* Gives a field a fresh default value of its type (after field_release). */
static void field_fresh(const ProtobufCFieldDescriptor *f, ProtobufCMessage *m)
{
    void *slot = FIELD_PTR(m, f);
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        char *s = malloc(1);
        if (s == NULL)
            abort();
        s[0] = '\0';
        *(char **)slot = s;
        break;
    }
    case PROTOBUF_C_TYPE_BYTES:
        break; /* released to {0, NULL} */
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessageDescriptor *sd = f->descriptor;
        ProtobufCMessage *sub = malloc(sd->sizeof_message);
        if (sub == NULL)
            abort();
        sd->message_init(sub);
        *(ProtobufCMessage **)slot = sub;
        break;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        memset(slot, 0, 8);
        break;
    default:
        memset(slot, 0, 4);
        break;
    }
}

static uint64_t interesting(uint32_t *rng)
{
    static const uint64_t v[] = {0,   1,    2,    7,     16,         32,         64,
                                 255, 256,  1024, 4096,  65535,      65536,      (1u << 20),
                                 (1u << 20) + 1,  0x7fffffff,        0x80000000, 0xffffffff,
                                 UINT64_MAX,      (uint64_t)1 << 32, (uint64_t)1 << 63};
    uint32_t r = rng_next(rng);
    return (r & 1) ? v[(r >> 1) % (sizeof v / sizeof v[0])] : rng_next(rng) % 300;
}

static void mutate_scalar(const ProtobufCFieldDescriptor *f, ProtobufCMessage *m, uint32_t *rng)
{
    void *slot = FIELD_PTR(m, f);
    switch (f->type) {
    case PROTOBUF_C_TYPE_BOOL:
        *(protobuf_c_boolean *)slot = !*(protobuf_c_boolean *)slot;
        break;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *ed = f->descriptor;
        uint32_t r = rng_next(rng);
        *(int32_t *)slot = (r & 3) && ed->n_values ? ed->values[(r >> 2) % ed->n_values].value
                                                   : (int32_t)interesting(rng);
        break;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_DOUBLE: {
        uint64_t v = interesting(rng);
        memcpy(slot, &v, 8);
        break;
    }
    default: {
        uint32_t v = (uint32_t)interesting(rng);
        memcpy(slot, &v, 4);
        break;
    }
    }
}

static void mutate_blob(const ProtobufCFieldDescriptor *f, ProtobufCMessage *m, uint32_t *rng)
{
    void *slot = FIELD_PTR(m, f);
    const uint8_t *old;
    size_t old_len, cap, n;
    uint8_t *buf;
    uint32_t r = rng_next(rng);

    if (f->type == PROTOBUF_C_TYPE_STRING) {
        old = (const uint8_t *)*(char **)slot;
        old_len = old ? strlen((const char *)old) : 0;
        if ((r & 3) == 0) { /* a name the engine knows, or a near miss */
            const char *s = names[(r >> 2) % (sizeof names / sizeof names[0])];
            field_release(f, m);
            buf = malloc(strlen(s) + 1);
            if (buf == NULL)
                abort();
            memcpy(buf, s, strlen(s) + 1);
            *(char **)slot = (char *)buf;
            return;
        }
    } else {
        ProtobufCBinaryData *b = slot;
        old = b->data;
        old_len = b->len;
        if ((r & 7) == 0) { /* lengths the operations care about: hashes, keys, signatures */
            static const size_t lens[] = {0, 1, 16, 20, 28, 32, 33, 48, 64, 65, 72, 256, 512};
            n = lens[(r >> 3) % (sizeof lens / sizeof lens[0])];
            buf = malloc(n ? n : 1);
            if (buf == NULL)
                abort();
            for (size_t i = 0; i < n; i++)
                buf[i] = (uint8_t)rng_next(rng);
            field_release(f, m);
            b->data = buf;
            b->len = n;
            return;
        }
    }
    cap = old_len * 2 + 64;
    buf = malloc(cap + 1);
    if (buf == NULL)
        abort();
    if (old_len)
        memcpy(buf, old, old_len);
    n = LLVMFuzzerMutate(buf, old_len, cap);
    field_release(f, m);
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        /* C strings end at the first NUL, as protobuf-c would have decoded them. */
        buf[n] = '\0';
        *(char **)slot = (char *)buf;
    } else {
        ProtobufCBinaryData *b = slot;
        b->data = buf;
        b->len = n;
    }
}

/* Changes one field somewhere in m's tree. */
static void mutate_message(ProtobufCMessage *m, uint32_t *rng, int depth)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const ProtobufCFieldDescriptor *f;
    uint32_t r;

    if (d->n_fields == 0)
        return;
    f = &d->fields[rng_next(rng) % d->n_fields];
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return;
    r = rng_next(rng);
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t *cs = (uint32_t *)((uint8_t *)m + f->quantifier_offset);
        if (*cs != f->id || (r & 7) == 0) {
            /* Switch the oneof to this member: release the member now set (it shares the
             * union slot), then start this one fresh. (r & 7) == 0 also clears it. */
            for (unsigned i = 0; i < d->n_fields; i++)
                if (d->fields[i].quantifier_offset == f->quantifier_offset &&
                    (d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                    d->fields[i].id == *cs) {
                    field_release(&d->fields[i], m);
                    break;
                }
            if (*cs == f->id) {
                *cs = 0;
                return;
            }
            *cs = f->id;
            field_fresh(f, m);
            return;
        }
    }
    switch (f->type) {
    case PROTOBUF_C_TYPE_MESSAGE: {
        ProtobufCMessage **sub = (ProtobufCMessage **)FIELD_PTR(m, f);
        if (*sub == NULL) {
            field_fresh(f, m);
        } else if ((r & 15) == 0 && !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
            field_release(f, m); /* drop the sub-message */
        } else if (depth < 16) {
            mutate_message(*sub, rng, depth + 1);
        }
        break;
    }
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
        mutate_blob(f, m, rng);
        break;
    default:
        mutate_scalar(f, m, rng);
        break;
    }
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    uint32_t rng = seed ? seed : 0x9e3779b9u;
    const psh_opcode_row *row;
    ProtobufCMessage *m;
    size_t n;

    if (size < 1 || max_size < 2 || (rng_next(&rng) & 7) == 0) {
        n = LLVMFuzzerMutate(data, size, max_size);
        return n ? n : 1;
    }
    if ((rng_next(&rng) & 31) == 0) {
        data[0] = (uint8_t)rng_next(&rng); /* another opcode, same body */
        return size;
    }
    row = row_for(data[0]);
    m = row ? protobuf_c_message_unpack(row->op_desc, NULL, size - 1, data + 1) : NULL;
    if (m == NULL)
        return LLVMFuzzerMutate(data, size, max_size);
    for (uint32_t k = 1 + rng_next(&rng) % 3; k > 0; k--)
        mutate_message(m, &rng, 0);
    n = protobuf_c_message_get_packed_size(m);
    if (n + 1 > max_size) {
        protobuf_c_message_free_unpacked(m, NULL);
        return LLVMFuzzerMutate(data, size, max_size);
    }
    protobuf_c_message_pack(m, data + 1);
    protobuf_c_message_free_unpacked(m, NULL);
    return n + 1;
}
