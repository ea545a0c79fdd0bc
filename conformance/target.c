/* Targets: a service over its Unix socket, or our engine in-process with one provider. The
 * built-in SoftHSM and swtpm targets start their fixture through the shared scripts
 * (scripts/softhsm-token, scripts/swtpm) in a temp dir and stop it on close. A target that
 * cannot open (fixture or provider missing) still opens, marked unavailable with the reason,
 * so its sessions are reported as skipped rather than failing the run. */
#include "conform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "psh/config.h"
#include "util/alloc.h"

#ifndef PSH_CF_SOURCE_DIR
#define PSH_CF_SOURCE_DIR "."
#endif

static int seterr(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    if (err != NULL && n > 0) {
        va_start(ap, fmt);
        vsnprintf(err, n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static const char *source_dir(void)
{
    const char *s = getenv("PSH_SRC");
    return s && *s ? s : PSH_CF_SOURCE_DIR;
}

/* Runs "script verb dir" with stdout/stderr to dir/fixture.log; returns the exit status. */
static int run_fixture(const char *script, const char *verb, const char *dir)
{
    char path[512], log[512];
    pid_t pid;
    int status = 0;
    snprintf(path, sizeof path, "%s/scripts/%s", source_dir(), script);
    snprintf(log, sizeof log, "%s/fixture.log", dir);
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execl(path, path, verb, dir, (char *)NULL);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int psh_cf_fixture_start(const char *script, const char *tag, char *dir, size_t dir_size)
{
    snprintf(dir, dir_size, "/tmp/psh-conf-%s-XXXXXX", tag);
    if (mkdtemp(dir) == NULL) {
        dir[0] = '\0';
        return -1;
    }
    return run_fixture(script, "start", dir) == 0 ? 0 : -1;
}

/* Reads KEY=VALUE lines of dir/env into the provider config (fixture contract). */
static int read_env(const char *dir, psh_provider_config *p)
{
    char path[512], line[1024];
    FILE *f;
    snprintf(path, sizeof path, "%s/env", dir);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        char *eq = strchr(line, '='), *v, *end;
        if (eq == NULL || line[0] == '#')
            continue;
        *eq = '\0';
        v = eq + 1;
        end = v + strcspn(v, "\r\n");
        *end = '\0';
        if ((*v == '"' || *v == '\'') && end > v + 1 && end[-1] == *v) {
            end[-1] = '\0';
            v++;
        }
        if (strcmp(line, "SOFTHSM2_CONF") == 0)
            setenv("SOFTHSM2_CONF", v, 1);
        else if (strcmp(line, "PSH_P11_LIB") == 0)
            snprintf(p->library_path, sizeof p->library_path, "%s", v);
        else if (strcmp(line, "PSH_P11_LABEL") == 0)
            snprintf(p->token_label, sizeof p->token_label, "%s", v);
        else if (strcmp(line, "PSH_P11_SLOT") == 0 && *v) {
            p->has_slot_number = 1;
            p->slot_number = strtoull(v, NULL, 0);
        } else if (strcmp(line, "PSH_P11_PIN") == 0) {
            size_t n = strlen(v);
            if (n > sizeof p->user_pin)
                n = sizeof p->user_pin;
            memcpy(p->user_pin, v, n);
            p->user_pin_len = n;
            p->has_user_pin = 1;
        } else if (strcmp(line, "PSH_TCTI") == 0)
            snprintf(p->tcti, sizeof p->tcti, "%s", v);
    }
    fclose(f);
    return 0;
}

static int open_builtin(psh_cf_target *t, const char *which, char *err, size_t err_size)
{
    psh_engine_config cfg;
    psh_provider_config *p;
    char why[256];
    int id = strcmp(which, "soft") == 0 ? 1 : strcmp(which, "pkcs11") == 0 ? 2
             : strcmp(which, "tpm") == 0 ? 3 : -1;
    if (id < 0)
        return seterr(err, err_size, "unknown built-in target \"%s\" (soft, pkcs11, tpm)", which);
    t->kind = PSH_CF_T_BUILTIN;
    t->provider = id;
    psh_engine_config_init(&cfg);
    cfg.auth_type = PSH_AUTH_DIRECT; /* two applications in one process: isolation sessions */
    cfg.admin_count = 1;
    snprintf(cfg.admins[0], sizeof cfg.admins[0], "admin");
    cfg.provider_count = 1;
    p = &cfg.providers[0];
    psh_provider_config_init(p, (psh_provider_id)id);
#ifndef PSH_HAVE_PKCS11
    if (id == 2) {
        snprintf(t->unavailable, sizeof t->unavailable, "pkcs11 provider not compiled in");
        return 0;
    }
#endif
#ifndef PSH_HAVE_TPM
    if (id == 3) {
        snprintf(t->unavailable, sizeof t->unavailable, "tpm provider not compiled in");
        return 0;
    }
#endif
    if (id != 1) {
        char script[512];
        snprintf(t->fixture_script, sizeof t->fixture_script, "%s",
                 id == 2 ? "softhsm-token" : "swtpm");
        snprintf(script, sizeof script, "%s/scripts/%s", source_dir(), t->fixture_script);
        if (access(script, X_OK) != 0) {
            snprintf(t->unavailable, sizeof t->unavailable, "fixture missing (scripts/%s)",
                     t->fixture_script);
            t->fixture_script[0] = '\0';
            return 0;
        }
        snprintf(t->fixture_dir, sizeof t->fixture_dir, "/tmp/psh-conf-%s-XXXXXX", which);
        if (mkdtemp(t->fixture_dir) == NULL) {
            t->fixture_dir[0] = '\0';
            return seterr(err, err_size, "mkdtemp: %s", strerror(errno));
        }
        if (run_fixture(t->fixture_script, "start", t->fixture_dir) != 0 ||
            read_env(t->fixture_dir, p) != 0) {
            snprintf(t->unavailable, sizeof t->unavailable,
                     "fixture failed: scripts/%.40s start (see %.150s/fixture.log)",
                     t->fixture_script, t->fixture_dir);
            return 0;
        }
    }
#ifdef PSH_CF_P11REC_LIB
    if (id == 2 && getenv("PSH_CONFORM_P11_RECORD") != NULL) {
        /* record the provider's PKCS#11 calls: the shim loads the real module */
        setenv("PSH_P11REC_MODULE", p->library_path, 1);
        setenv("PSH_P11REC_OUT", getenv("PSH_CONFORM_P11_RECORD"), 1);
        snprintf(p->library_path, sizeof p->library_path, "%s", PSH_CF_P11REC_LIB);
    }
#endif
    if (psh_engine_create(&cfg, &t->engine, why, sizeof why) != PSH_SUCCESS) {
        snprintf(t->unavailable, sizeof t->unavailable, "engine did not start: %.200s", why);
        t->engine = NULL;
    }
    psh_engine_config_wipe(&cfg);
    return 0;
}

int psh_cf_target_open(psh_cf_target *t, const char *spec, char *err, size_t err_size)
{
    memset(t, 0, sizeof *t);
    snprintf(t->spec, sizeof t->spec, "%s", spec);
    if (strncmp(spec, "unix:", 5) == 0) {
        t->kind = PSH_CF_T_UNIX;
        t->provider = -1;
        psh_client_init(&t->client);
        if (psh_client_set_endpoint(&t->client, spec) != PSH_SUCCESS)
            return seterr(err, err_size, "bad socket path in %s", spec);
        t->client.timeout_ms = 20000;
        return 0;
    }
    if (strncmp(spec, "builtin:", 8) == 0)
        return open_builtin(t, spec + 8, err, err_size);
    return seterr(err, err_size, "unknown target \"%s\" (unix:PATH or builtin:soft|pkcs11|tpm)",
                  spec);
}

void psh_cf_fixture_cleanup(const char *script, const char *dir)
{
    char cmd[600];
    if (dir == NULL || strncmp(dir, "/tmp/psh-conf-", 14) != 0 || strchr(dir, '\'') != NULL)
        return; /* only temp dirs this program made */
    if (script != NULL && script[0] != '\0')
        run_fixture(script, "stop", dir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "psh-conform: could not remove %s\n", dir);
}

void psh_cf_target_close(psh_cf_target *t)
{
    psh_engine_destroy(t->engine);
    t->engine = NULL;
    if (t->fixture_dir[0] != '\0') {
        psh_cf_fixture_cleanup(t->fixture_script, t->fixture_dir);
        t->fixture_dir[0] = '\0';
    }
    json_decref(t->caps);
    t->caps = NULL;
}

int psh_cf_mutation_parse(const char *s, psh_cf_mutation *m)
{
    char buf[128], *op, *arg;
    const psh_cf_op *o;
    memset(m, 0, sizeof *m);
    snprintf(buf, sizeof buf, "%s", s);
    op = strchr(buf, ':');
    if (op == NULL)
        return -1;
    *op++ = '\0';
    arg = strchr(op, ':');
    if (arg != NULL)
        *arg++ = '\0';
    o = psh_cf_op_by_name(op);
    if (o == NULL)
        return -1;
    m->opcode = o->opcode;
    if (strcmp(buf, "status") == 0) {
        psh_status st;
        if (arg == NULL || psh_status_from_name(arg, &st) != 0)
            return -1;
        m->kind = 1;
        m->status = (int)st;
    } else if (strcmp(buf, "flip") == 0) {
        m->kind = 2;
    } else if (strcmp(buf, "drop") == 0) {
        m->kind = 3;
    } else {
        return -1;
    }
    return 0;
}

/* Deliberate breakage for the mutation tests: the runner must name the step it breaks. */
static void mutate(const psh_cf_mutation *m, const uint8_t *req, size_t req_len, uint8_t *resp,
                   size_t *resp_len)
{
    uint32_t opcode;
    if (m->kind == 0 || req_len < PSH_WIRE_HEADER_SIZE || *resp_len < PSH_WIRE_HEADER_SIZE)
        return;
    opcode = (uint32_t)req[28] | (uint32_t)req[29] << 8 | (uint32_t)req[30] << 16 |
             (uint32_t)req[31] << 24;
    if (opcode != m->opcode)
        return;
    if (m->kind == 1) {
        resp[32] = (uint8_t)(m->status & 0xff);
        resp[33] = (uint8_t)(m->status >> 8);
    } else if (m->kind == 2 && *resp_len > PSH_WIRE_HEADER_SIZE) {
        resp[*resp_len - 1] ^= 0x01; /* bytes fields end the body: last byte of the output */
    } else if (m->kind == 3) {
        memset(resp + 22, 0, 4);
        *resp_len = PSH_WIRE_HEADER_SIZE;
    }
}

int psh_cf_target_transact(psh_cf_target *t, const uint8_t *req, size_t len, uint8_t **resp,
                           size_t *resp_len, char *err, size_t err_size)
{
    uint8_t *r = NULL;
    size_t rl = 0;
    *resp = NULL;
    *resp_len = 0;
    t->requests++;
    if (t->kind == PSH_CF_T_UNIX) {
        psh_status st = psh_client_transact(&t->client, req, len, &r, &rl);
        if (st != PSH_SUCCESS)
            return seterr(err, err_size, "transport: %s", psh_status_name(st));
        *resp = malloc(rl);
        if (*resp != NULL)
            memcpy(*resp, r, rl);
        psh_client_free(r);
    } else {
        static const psh_peer peer = {1, 0, 0, 0};
        psh_peer me = peer;
        me.uid = (uint32_t)getuid();
        me.gid = (uint32_t)getgid();
        me.pid = (int32_t)getpid();
        if (t->engine == NULL)
            return seterr(err, err_size, "target unavailable");
        psh_engine_handle(t->engine, req, len, &me, &r, &rl);
        if (r == NULL)
            return seterr(err, err_size, "engine: out of memory");
        *resp = malloc(rl);
        if (*resp != NULL)
            memcpy(*resp, r, rl);
        psh_engine_free_response(r);
    }
    if (*resp == NULL)
        return seterr(err, err_size, "out of memory");
    *resp_len = rl;
    mutate(&t->mutation, req, len, *resp, resp_len);
    return 0;
}
