/* Backend sessions, one layer down: a TPM command stream as the TPM provider's recording TCTI
 * writes it ({"kind":"tpm","steps":[{"command":hex,"response":hex}]}), replayed against a
 * fresh swtpm (or any TCTI, through tss2-tctildr).
 *
 * Comparison is structural. Always exact: the response tag and response code, the response
 * size, and for the commands tpmstruct.c describes, every field that does not depend on the
 * TPM's seeds or RNG, after unmarshalling both responses with tss2-mu. A fresh TPM has other seeds, so keys, blobs, names, tickets, signatures and
 * random bytes differ: for those commands the differing byte runs are matched, not compared,
 * and remembered, so that a later command carrying a recorded output (a private blob given
 * to TPM2_Load) is sent with the replayed one instead. Commands whose output depends only on
 * their input (the strict list) must match byte for byte after that substitution. Transient
 * warnings (TPM_RC_RETRY, YIELDED, TESTING) are retried, and recorded ones skipped. */
#include "conform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef PSH_CF_HAVE_TCTILDR
#include <tss2/tss2_tctildr.h>
#endif

#define RC_INITIALIZE 0x100u
#define RC_RETRY 0x922u
#define RC_YIELDED 0x908u
#define RC_TESTING 0x90Au
#define MIN_SUBST 8      /* shorter runs are not unique enough to substitute */
#define MAX_SUBST 4096

static const struct {
    uint32_t cc;
    const char *name;
    int strict; /* output fully determined by the input (after substitution) */
} commands[] = {
    {0x11F, "NV_DefineSpace", 1}, {0x121, "EvictControl", 1}, {0x122, "NV_UndefineSpace", 1},
    {0x131, "CreatePrimary", 0}, {0x137, "NV_Write", 1}, {0x143, "SelfTest", 1},
    {0x144, "Startup", 1}, {0x145, "Shutdown", 1}, {0x146, "StirRandom", 1},
    {0x147, "ActivateCredential", 0}, {0x14E, "NV_Read", 1}, {0x153, "Create", 0},
    {0x157, "Load", 0}, {0x159, "RSA_Decrypt", 1}, {0x15D, "Sign", 0},
    {0x161, "ContextLoad", 0}, {0x162, "ContextSave", 0}, {0x165, "FlushContext", 1},
    {0x167, "LoadExternal", 0}, {0x173, "ReadPublic", 0}, {0x174, "RSA_Encrypt", 0},
    {0x176, "StartAuthSession", 0}, {0x177, "VerifySignature", 0}, {0x17A, "GetCapability", 0},
    {0x17B, "GetRandom", 0}, {0x17D, "Hash", 0}, {0x181, "ReadClock", 0},
    {0x18E, "PCR_Read", 0}, {0x191, "CreateLoaded", 0}, {0x193, "ECDH_ZGen", 1},
};

static const char *cc_name(uint32_t cc, int *strict)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (commands[i].cc == cc) {
            if (strict)
                *strict = commands[i].strict;
            return commands[i].name;
        }
    if (strict)
        *strict = 0;
    return "command";
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

typedef psh_cf_subst_set replay;
typedef struct psh_cf_subst_pair subst;

void psh_cf_subst_apply(const psh_cf_subst_set *r, uint8_t *p, size_t len)
{
    for (size_t i = 0; i < r->n; i++) {
        const subst *s = &r->v[i];
        for (size_t off = 0; s->len <= len && off + s->len <= len; off++)
            if (memcmp(p + off, s->from, s->len) == 0) {
                memcpy(p + off, s->to, s->len);
                off += s->len - 1;
            }
    }
}

/* Remembers every run where rec and rep differ (gaps under 4 bytes merged). */
void psh_cf_subst_learn(psh_cf_subst_set *r, const uint8_t *rec, const uint8_t *rep, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t start, end, gap = 0;
        if (rec[i] == rep[i]) {
            i++;
            continue;
        }
        start = i;
        end = i + 1;
        for (i = i + 1; i < len && gap < 4; i++) {
            if (rec[i] != rep[i]) {
                end = i + 1;
                gap = 0;
            } else {
                gap++;
            }
        }
        i = end;
        if (end - start >= MIN_SUBST && r->n < MAX_SUBST) {
            subst *v = realloc(r->v, (r->n + 1) * sizeof *v);
            if (v == NULL)
                return;
            r->v = v;
            v[r->n].from = malloc(end - start);
            v[r->n].to = malloc(end - start);
            if (v[r->n].from == NULL || v[r->n].to == NULL) {
                free(v[r->n].from);
                free(v[r->n].to);
                return;
            }
            memcpy(v[r->n].from, rec + start, end - start);
            memcpy(v[r->n].to, rep + start, end - start);
            v[r->n].len = end - start;
            r->n++;
        }
    }
}

void psh_cf_subst_free(psh_cf_subst_set *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].from);
        free(r->v[i].to);
    }
    free(r->v);
    memset(r, 0, sizeof *r);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#ifdef PSH_CF_HAVE_TCTILDR
static int transact(TSS2_TCTI_CONTEXT *ctx, const uint8_t *cmd, size_t len, uint8_t *resp,
                    size_t *resp_len)
{
    size_t size = 4096;
    if (Tss2_Tcti_Transmit(ctx, len, cmd) != TSS2_RC_SUCCESS)
        return -1;
    if (Tss2_Tcti_Receive(ctx, &size, resp, 30000) != TSS2_RC_SUCCESS)
        return -1;
    *resp_len = size;
    return 0;
}
#endif

void psh_cf_run_tpm_session(const char *tcti, json_t *root, const char *name, const char *target,
                            psh_cf_results *out)
{
#ifndef PSH_CF_HAVE_TCTILDR
    (void)tcti;
    (void)root;
    psh_cf_results_add(out, name, target, PSH_CF_SKIP, NULL, 0, "built without tss2-tctildr",
                       NULL, NULL, 0, 0);
#else
    TSS2_TCTI_CONTEXT *ctx = NULL;
    json_t *steps = json_object_get(root, "steps"), *st;
    replay r = {0};
    double t0 = now();
    unsigned done = 0;
    size_t i;
    char why[512], exp[256], act[256], sname[96];
    if (Tss2_TctiLdr_Initialize(tcti, &ctx) != TSS2_RC_SUCCESS) {
        snprintf(why, sizeof why, "cannot open TCTI %.200s", tcti);
        psh_cf_results_add(out, name, target, PSH_CF_SKIP, NULL, 0, why, NULL, NULL, 0, 0);
        return;
    }
    json_array_foreach(steps, i, st) {
        uint8_t *cmd = NULL, *rec = NULL, rep[4096];
        size_t cl = 0, rl = 0, pl = 0;
        uint32_t cc, rc_rec, rc_rep = 0;
        int strict, ok = 1, tries = 0;
        const char *cname;
        why[0] = exp[0] = act[0] = '\0';
        if (psh_cf_unhex(json_string_value(json_object_get(st, "command")), &cmd, &cl) != 0 ||
            psh_cf_unhex(json_string_value(json_object_get(st, "response")), &rec, &rl) != 0 ||
            cl < 10 || rl < 10) {
            free(cmd);
            free(rec);
            snprintf(why, sizeof why, "step %zu is not a TPM command/response pair", i + 1);
            psh_cf_results_add(out, name, target, PSH_CF_FAIL, "parse", (int)i + 1, why, NULL,
                               NULL, done, now() - t0);
            goto exit;
        }
        cc = be32(cmd + 6);
        rc_rec = be32(rec + 6);
        cname = cc_name(cc, &strict);
        snprintf(sname, sizeof sname, "%zu TPM2_%s", i + 1, cname);
        if (rc_rec == RC_RETRY || rc_rec == RC_YIELDED || rc_rec == RC_TESTING) {
            free(cmd); /* a transient warning at recording time: the retry follows */
            free(rec);
            continue;
        }
        psh_cf_subst_apply(&r, cmd, cl);
        do {
            if (transact(ctx, cmd, cl, rep, &pl) != 0 || pl < 10) {
                ok = 0;
                snprintf(why, sizeof why, "TCTI transmit/receive failed");
                break;
            }
            rc_rep = be32(rep + 6);
        } while ((rc_rep == RC_RETRY || rc_rep == RC_YIELDED || rc_rep == RC_TESTING) &&
                 ++tries < 20);
        done++;
        if (ok && cc == 0x144 && (rc_rec == RC_INITIALIZE || rc_rep == RC_INITIALIZE)) {
            free(cmd); /* Startup: the fixture may or may not have run it already */
            free(rec);
            continue;
        }
        if (ok && (rc_rec != rc_rep || memcmp(rec, rep, 2) != 0)) {
            ok = 0;
            snprintf(why, sizeof why, "response code differs");
            snprintf(exp, sizeof exp, "tag %02x%02x rc 0x%x", rec[0], rec[1], rc_rec);
            snprintf(act, sizeof act, "tag %02x%02x rc 0x%x", rep[0], rep[1], rc_rep);
        } else if (ok && psh_cf_tpm_compare_struct(cc, rec, rl, rep, pl, why, sizeof why, exp,
                                                   sizeof exp, act, sizeof act) != 0) {
            ok = 0;
        } else if (ok && rl != pl && cc != 0x17A) {
            ok = 0;
            snprintf(why, sizeof why, "response size differs");
            snprintf(exp, sizeof exp, "%zu bytes", rl);
            snprintf(act, sizeof act, "%zu bytes", pl);
        } else if (ok && rl == pl) {
            psh_cf_subst_apply(&r, rec, rl); /* recorded outputs that depend on earlier replayed ones */
            if (strict && memcmp(rec, rep, rl) != 0) {
                size_t k = 0;
                while (rec[k] == rep[k])
                    k++;
                ok = 0;
                snprintf(why, sizeof why, "deterministic response differs at byte %zu", k);
                snprintf(exp, sizeof exp, "byte %zu = %02x", k, rec[k]);
                snprintf(act, sizeof act, "byte %zu = %02x", k, rep[k]);
            } else {
                psh_cf_subst_learn(&r, rec, rep, rl);
            }
        }
        free(cmd);
        free(rec);
        if (!ok) {
            psh_cf_results_add(out, name, target, PSH_CF_FAIL, sname, (int)i + 1, why, exp, act,
                               done, now() - t0);
            goto exit;
        }
    }
    psh_cf_results_add(out, name, target, PSH_CF_PASS, NULL, 0, NULL, NULL, NULL, done,
                       now() - t0);
exit:
    psh_cf_subst_free(&r);
    Tss2_TctiLdr_Finalize(&ctx);
#endif
}

/* ---- psh-conform replay-tpm -------------------------------------------------------------------- */

int psh_cf_main_replay_tpm(int argc, char **argv);

/* Reads KEY=VALUE lines of a fixture's env file into vars (quotes stripped). */
static void read_env(const char *dir, json_t *vars)
{
    char path[600], line[1200];
    FILE *f;
    snprintf(path, sizeof path, "%s/env", dir);
    f = fopen(path, "r");
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        char *eq = strchr(line, '='), *v;
        size_t n;
        if (eq == NULL)
            continue;
        *eq = '\0';
        v = eq + 1;
        v[strcspn(v, "\r\n")] = '\0';
        n = strlen(v);
        if (n >= 2 && (*v == '"' || *v == '\'') && v[n - 1] == *v) {
            v[n - 1] = '\0';
            v++;
        }
        json_object_set_new(vars, line, json_string(v));
    }
    if (f != NULL)
        fclose(f);
}

static void replay_one(const char *path, const char *tcti, const char *module, const char *pin,
                       psh_cf_results *res, int *rc)
{
    char err[PSH_CF_ERR], dir[256] = "";
    psh_cf_session *s = NULL;
    const char *base = strrchr(path, '/'), *kind;
    int p11;
    json_t *env = json_object();
    base = base ? base + 1 : path;
    if (psh_cf_session_load(path, &s, err, sizeof err) != 0) {
        fprintf(stderr, "psh-conform: %s: %s\n", path, err);
        *rc = 2;
        json_decref(env);
        return;
    }
    kind = json_string_value(json_object_get(s->root, "kind"));
    p11 = kind != NULL && strcmp(kind, "pkcs11") == 0;
    if (kind == NULL || (!p11 && strcmp(kind, "tpm") != 0)) {
        fprintf(stderr, "psh-conform: %s: not a backend session (kind tpm or pkcs11)\n", path);
        *rc = 2;
    } else if (p11 && module != NULL) {
        psh_cf_run_p11_session(module, pin, s->root, base, module, res);
    } else if (!p11 && tcti != NULL) {
        psh_cf_run_tpm_session(tcti, s->root, base, tcti, res);
    } else if (psh_cf_fixture_start(p11 ? "softhsm-token" : "swtpm", "replay", dir, sizeof dir) != 0) {
        psh_cf_results_add(res, base, p11 ? "softhsm (fresh token)" : "swtpm (fresh)", PSH_CF_SKIP,
                           NULL, 0, p11 ? "fixture missing or failed (scripts/softhsm-token)"
                                        : "fixture missing or failed (scripts/swtpm)",
                           NULL, NULL, 0, 0);
    } else {
        /* a fresh device per file: every replay starts from the same state */
        read_env(dir, env);
        if (p11) {
            const char *conf = json_string_value(json_object_get(env, "SOFTHSM2_CONF"));
            if (conf != NULL)
                setenv("SOFTHSM2_CONF", conf, 1);
            psh_cf_run_p11_session(json_string_value(json_object_get(env, "PSH_P11_LIB")),
                                   json_string_value(json_object_get(env, "PSH_P11_PIN")), s->root,
                                   base, "softhsm (fresh token)", res);
        } else {
            psh_cf_run_tpm_session(json_string_value(json_object_get(env, "PSH_TCTI")), s->root,
                                   base, "swtpm (fresh)", res);
        }
    }
    if (dir[0] != '\0')
        psh_cf_fixture_cleanup(p11 ? "softhsm-token" : "swtpm", dir);
    json_decref(env);
    psh_cf_session_free(s);
}

int psh_cf_main_replay_tpm(int argc, char **argv)
{
    const char *tcti = NULL, *junit = NULL, *jsn = NULL, *module = NULL, *pin = NULL;
    psh_cf_results res = {0};
    int rc = 0, nfiles = 0;
    unsigned fails = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--tcti") == 0 && i + 1 < argc) {
            tcti = argv[++i];
        } else if (strcmp(argv[i], "--module") == 0 && i + 1 < argc) {
            module = argv[++i];
        } else if (strcmp(argv[i], "--pin") == 0 && i + 1 < argc) {
            pin = argv[++i];
        } else if (strcmp(argv[i], "--swtpm") == 0 || strcmp(argv[i], "--softhsm") == 0) {
            continue; /* the defaults */
        } else if (strcmp(argv[i], "--junit") == 0 && i + 1 < argc) {
            junit = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
            jsn = argv[++i];
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: psh-conform replay [--tcti CONF] [--module SO --pin PIN] "
                            "[--junit F] [--json F] FILE...\n");
            return 2;
        } else {
            nfiles++;
            replay_one(argv[i], tcti, module, pin, &res, &rc);
        }
    }
    if (nfiles == 0) {
        fprintf(stderr, "psh-conform replay: no session files\n");
        return 2;
    }
    for (size_t i = 0; i < res.n; i++)
        fails += res.v[i].outcome == PSH_CF_FAIL;
    psh_cf_report_text(stdout, &res);
    if (junit != NULL && psh_cf_report_junit(junit, &res) != 0)
        rc = 2;
    if (jsn != NULL && psh_cf_report_json(jsn, &res) != 0)
        rc = 2;
    psh_cf_results_free(&res);
    return rc ? rc : fails ? 1 : 0;
}
