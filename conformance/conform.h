/* psh-conform: sessions (JSON) replayed against any Parsec target, step by step.
 * Library psh_conform: session parser, protobuf<->JSON by reflection, matchers, targets,
 * runner, reports, recorder. docs/sessions.md describes the session format. */
#ifndef PSH_CONFORM_H
#define PSH_CONFORM_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "psh/client.h"
#include "psh/engine.h"
#include "psh/status.h"

/* Bounds of the session parser: every count and size derived from a file is capped. */
#define PSH_CF_MAX_FILE (1u << 20)       /* bytes of one session file */
#define PSH_CF_MAX_DEPTH 24              /* JSON nesting */
#define PSH_CF_MAX_STEPS 512
#define PSH_CF_MAX_BYTES (256u * 1024u)  /* one bytes field, decoded */
#define PSH_CF_MAX_STRING 4096
#define PSH_CF_MAX_ARRAY 256
#define PSH_CF_MAX_VARS 128
#define PSH_CF_ERR 256

/* ---- opcodes (opmap.c) ---------------------------------------------------------------------- */
typedef struct psh_cf_op {
    uint32_t opcode;
    const char *name;
    int core; /* served by provider 0 */
    const ProtobufCMessageDescriptor *op_desc;
    const ProtobufCMessageDescriptor *result_desc;
} psh_cf_op;
const psh_cf_op *psh_cf_op_by_name(const char *name);
const psh_cf_op *psh_cf_op_by_code(uint32_t opcode);
/* "soft"/"mbed-crypto", "pkcs11", "tpm", "core" or a number 0..255; -1 if unknown. */
int psh_cf_provider_from_name(const char *name);
const char *psh_cf_provider_short_name(int id);

/* ---- protobuf <-> JSON (pbjson.c) ------------------------------------------------------------ */
/* Builds a message of type desc from a JSON object (fields by proto name; bytes as hex or
 * {"text": ...} / {"fill": "hex", "count": n}; enums by name or number; oneofs by member).
 * *out: callee-allocated, free with psh_cf_pb_free. */
int psh_cf_json_to_pb(const ProtobufCMessageDescriptor *desc, json_t *obj, ProtobufCMessage **out,
                      char *err, size_t err_size);
void psh_cf_pb_free(ProtobufCMessage *m);
/* Every field of m as JSON (bytes as lowercase hex, enums by name). New reference. */
json_t *psh_cf_pb_to_json(const ProtobufCMessage *m);
/* Decodes a bytes value written as the session format allows; *out callee-allocated (free). */
int psh_cf_json_bytes(json_t *v, uint8_t **out, size_t *out_len, char *err, size_t err_size);
char *psh_cf_hex(const uint8_t *p, size_t n); /* callee-allocated, free() */
int psh_cf_unhex(const char *s, uint8_t **out, size_t *out_len);

/* ---- session files (session.c) --------------------------------------------------------------- */
typedef struct psh_cf_session {
    char *path;  /* owned */
    char *name;  /* owned */
    json_t *root; /* validated document, owned */
} psh_cf_session;
/* Parses and validates one session document. *out callee-allocated: psh_cf_session_free. */
int psh_cf_session_parse(const uint8_t *data, size_t len, const char *path, psh_cf_session **out,
                         char *err, size_t err_size);
int psh_cf_session_load(const char *path, psh_cf_session **out, char *err, size_t err_size);
void psh_cf_session_free(psh_cf_session *s);

/* ---- variables and matchers (match.c) --------------------------------------------------------- */
/* Substitutes ${var} in every string of v. New reference, or NULL with err set. */
json_t *psh_cf_subst(json_t *v, json_t *vars, char *err, size_t err_size);
/* Applies one matcher (literal = exact, or an object of checks) to actual (may be NULL =
 * absent). Captures go into vars. Returns 0 on match, else 1 with a reason in err. */
int psh_cf_match(json_t *matcher, json_t *actual, json_t *vars, char *err, size_t err_size);
/* The value at a path such as "providers[0].uuid" (borrowed), or NULL. */
json_t *psh_cf_path(json_t *root, const char *path);
/* Local signature check with Mbed TLS PSA (under psh_psa_lock). Returns the PSA-style Parsec
 * status (Success, PsaErrorInvalidSignature, ...). */
psh_status psh_cf_verify_signature(json_t *alg, const uint8_t *pub, size_t pub_len,
                                   const uint8_t *input, size_t input_len, int is_message,
                                   const uint8_t *sig, size_t sig_len, char *err, size_t err_size);

/* ---- targets (target.c) ----------------------------------------------------------------------- */
typedef enum { PSH_CF_T_UNIX, PSH_CF_T_BUILTIN } psh_cf_target_kind;

typedef struct psh_cf_mutation {
    int kind; /* 0 none, 1 status rewrite, 2 flip last body byte, 3 drop body */
    uint32_t opcode;
    int status;
} psh_cf_mutation;

typedef struct psh_cf_target {
    char spec[256]; /* as given on the command line */
    psh_cf_target_kind kind;
    int provider;   /* builtin: the provider id it serves */
    psh_engine *engine;
    psh_client client;
    char fixture_dir[256];
    char fixture_script[64];
    char unavailable[256]; /* non-empty: every session is skipped with this reason */
    psh_cf_mutation mutation;
    /* discovery cache (runner.c) */
    json_t *caps;
    unsigned long requests;
} psh_cf_target;

/* Opens a target from its spec ("unix:/path", "builtin:soft|pkcs11|tpm"). A target whose
 * fixture or provider is missing opens with t->unavailable set, not as an error. */
int psh_cf_target_open(psh_cf_target *t, const char *spec, char *err, size_t err_size);
void psh_cf_target_close(psh_cf_target *t);
/* Stops a fixture and removes its temp dir (also used after a crashed child, see main.c). */
void psh_cf_fixture_cleanup(const char *script, const char *dir);
/* Makes /tmp/psh-conf-TAG-XXXXXX and runs "scripts/SCRIPT start" in it. 0 on success; dir is
 * set (to clean up) whenever it was created. */
int psh_cf_fixture_start(const char *script, const char *tag, char *dir, size_t dir_size);
/* One request frame in, one response frame out (callee-allocated, free()). 0 on success. */
int psh_cf_target_transact(psh_cf_target *t, const uint8_t *req, size_t len, uint8_t **resp,
                           size_t *resp_len, char *err, size_t err_size);
/* "status:PsaVerifyHash:Success", "flip:PsaSignHash", "drop:PsaExportPublicKey". */
int psh_cf_mutation_parse(const char *s, psh_cf_mutation *m);

/* ---- runner (runner.c) ------------------------------------------------------------------------ */
typedef enum { PSH_CF_PASS, PSH_CF_FAIL, PSH_CF_SKIP } psh_cf_outcome;

typedef struct psh_cf_result {
    char *session;  /* owned; "name" or "name[provider]" */
    char *target;   /* owned */
    psh_cf_outcome outcome;
    char *step;     /* owned: the failing step's name, or NULL */
    int step_index; /* 1-based; 0 when not step-specific */
    char *reason;   /* owned: skip reason or failure summary */
    char *expected; /* owned, may be NULL */
    char *actual;   /* owned, may be NULL */
    unsigned steps_run;
    double seconds;
} psh_cf_result;

typedef struct psh_cf_results {
    psh_cf_result *v;
    size_t n, cap;
} psh_cf_results;

/* Runs a session on a target, appending one result per case (one per provider for sessions
 * that run on "each" provider). */
void psh_cf_run_session(psh_cf_target *t, const psh_cf_session *s, psh_cf_results *out);
void psh_cf_results_free(psh_cf_results *r);
void psh_cf_results_add(psh_cf_results *out, const char *session, const char *target,
                        psh_cf_outcome o, const char *step, int idx, const char *reason,
                        const char *expected, const char *actual, unsigned steps, double secs);

/* Builds the request frame of one symbolic request; *frame callee-allocated (free()). */
int psh_cf_build_request(json_t *req, int provider, uint8_t **frame, size_t *frame_len,
                         char *err, size_t err_size);

/* ---- reports (report.c) ----------------------------------------------------------------------- */
void psh_cf_report_text(FILE *f, const psh_cf_results *r);
int psh_cf_report_junit(const char *path, const psh_cf_results *r);
int psh_cf_report_json(const char *path, const psh_cf_results *r);
int psh_cf_report_html(const char *path, const psh_cf_results *r);
void psh_cf_progress(const char *target, const char *session, size_t done, size_t total,
                     unsigned fails);
void psh_cf_progress_end(void);

/* ---- recorder (record.c) ---------------------------------------------------------------------- */
/* Proxies connections from listen_path to upstream_path until SIGINT/SIGTERM or max_requests
 * (0 = unbounded), then writes the session file. */
int psh_cf_record(const char *listen_path, const char *upstream_path, const char *out_path,
                  const char *name, unsigned long max_requests);
/* Turns one request/response pair into a step (exposed for tests). captures maps the hex of
 * every captured output to its variable name, so later requests that reuse an output refer
 * to the variable. New reference or NULL. */
json_t *psh_cf_record_step(const uint8_t *req, size_t req_len, const uint8_t *resp,
                           size_t resp_len, unsigned index, json_t *captures);

/* Structural check of one TPM response against the recorded one (tpmstruct.c): 0 = equal
 * in every compared field or command not described; 1 = differs, reason in why. */
int psh_cf_tpm_compare_struct(uint32_t cc, const uint8_t *rec, size_t rl, const uint8_t *rep,
                              size_t pl, char *why, size_t n, char *exp, size_t en, char *act,
                              size_t an);

/* Byte-run substitutions shared by the backend replays (tpmreplay.c): outputs that differ
 * on a fresh device are learned (recorded -> replayed, runs of 8 bytes or more) and applied
 * to later inputs that carry the recorded bytes. */
struct psh_cf_subst_pair {
    uint8_t *from, *to; /* owned, same length */
    size_t len;
};
typedef struct psh_cf_subst_set {
    struct psh_cf_subst_pair *v;
    size_t n;
} psh_cf_subst_set;
void psh_cf_subst_apply(const psh_cf_subst_set *r, uint8_t *p, size_t len);
void psh_cf_subst_learn(psh_cf_subst_set *r, const uint8_t *rec, const uint8_t *rep, size_t len);
void psh_cf_subst_free(psh_cf_subst_set *r);

/* Replays {"kind":"pkcs11","steps":[...]} (written by libpsh_p11rec.so) against the module
 * at module_path (pin: the token's user PIN). p11replay.c. */
void psh_cf_run_p11_session(const char *module_path, const char *pin, json_t *root,
                            const char *name, const char *target, psh_cf_results *out);

/* ---- backend sessions (tpmreplay.c) ----------------------------------------------------------- */
/* Replays {"kind":"tpm","steps":[{"command":hex,"response":hex}]} against a TCTI. */
void psh_cf_run_tpm_session(const char *tcti, json_t *root, const char *name,
                            const char *target, psh_cf_results *out);

#endif
