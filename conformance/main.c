/* psh-conform: run sessions against targets, record sessions through a proxy, replay backend
 * (TPM command stream) sessions. Exit status: 0 all passed or skipped, 1 a failure, 2 usage. */
#include "conform.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
    fprintf(stderr,
            "usage: psh-conform run --target T [--target T...] [--mutate M] [--junit F] [--json F]\n"
            "                       [--html F] [--timing] [-q] PATH...\n"
            "         T: unix:/path/to/socket | builtin:soft | builtin:pkcs11 | builtin:tpm\n"
            "         M: status:OPCODE:STATUS | flip:OPCODE | drop:OPCODE (deliberate breakage)\n"
            "       psh-conform check PATH...            validate session files\n"
            "       psh-conform record --listen SOCK --upstream SOCK --out FILE [--name N]\n"
            "                          [--max-requests N]\n"
            "       psh-conform replay [--tcti CONF] [--module SO --pin PIN] [--junit F] [--json F]\n"
            "                          FILE...   backend sessions (TPM streams, PKCS#11 traces);\n"
            "                          a fresh swtpm / SoftHSM token per file by default\n");
}

typedef struct paths {
    char **v;
    size_t n, cap;
} paths;

static void paths_add(paths *p, const char *s)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        char **v = realloc(p->v, cap * sizeof *v);
        if (v == NULL)
            return;
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n++] = strdup(s);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files as given; directories walked (sorted, recursive) for *.json. */
static void collect(const char *path, paths *out, int depth)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    paths local = {0};
    if (stat(path, &st) != 0 || depth > 8)
        return;
    if (!S_ISDIR(st.st_mode)) {
        paths_add(out, path);
        return;
    }
    d = opendir(path);
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char full[1024];
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.')
            continue;
        snprintf(full, sizeof full, "%s/%s", path, e->d_name);
        if (stat(full, &st) == 0 && (S_ISDIR(st.st_mode) || (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0)))
            paths_add(&local, full);
    }
    closedir(d);
    qsort(local.v, local.n, sizeof *local.v, cmp_str);
    for (size_t i = 0; i < local.n; i++) {
        collect(local.v[i], out, depth + 1);
        free(local.v[i]);
    }
    free(local.v);
}

static void paths_free(paths *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}


/* ---- one target in a child process ---------------------------------------------------------
 * An in-process provider that crashes (or trips a sanitizer) must not take the report with it:
 * each target runs in a forked child that streams one JSON line per event to the parent. */

static void emit(FILE *f, json_t *line)
{
    char *s = json_dumps(line, JSON_COMPACT);
    if (s != NULL) {
        fprintf(f, "%s\n", s);
        fflush(f);
    }
    free(s);
    json_decref(line);
}

static json_t *result_line(const psh_cf_result *x)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:i, s:f}", "t", "result", "session", x->session,
                          "target", x->target, "outcome", (int)x->outcome, "steps", (int)x->steps_run,
                          "seconds", x->seconds);
    json_object_set_new(o, "step_index", json_integer(x->step_index));
    if (x->step)
        json_object_set_new(o, "step", json_string(x->step));
    if (x->reason)
        json_object_set_new(o, "reason", json_string(x->reason));
    if (x->expected)
        json_object_set_new(o, "expected", json_string(x->expected));
    if (x->actual)
        json_object_set_new(o, "actual", json_string(x->actual));
    return o;
}

static int child_run(FILE *out, const char *spec, const char *mut, psh_cf_session **sessions,
                     size_t ns, int quiet, size_t done, size_t total, unsigned fails)
{
    psh_cf_target t;
    psh_cf_results res = {0};
    char err[PSH_CF_ERR];
    double t0 = now();
    unsigned steps = 0;
    if (psh_cf_target_open(&t, spec, err, sizeof err) != 0) {
        fprintf(stderr, "psh-conform: %s\n", err);
        return 2;
    }
    if (mut != NULL && psh_cf_mutation_parse(mut, &t.mutation) != 0) {
        fprintf(stderr, "psh-conform: bad --mutate %s\n", mut);
        psh_cf_target_close(&t);
        return 2;
    }
    if (t.fixture_dir[0] != '\0')
        emit(out, json_pack("{s:s, s:s, s:s}", "t", "fixture", "dir", t.fixture_dir, "script",
                            t.fixture_script));
    for (size_t si = 0; si < ns; si++) {
        size_t before = res.n;
        if (!quiet)
            psh_cf_progress(t.spec, sessions[si]->name, done + si, total, fails);
        emit(out, json_pack("{s:s, s:s}", "t", "begin", "session", sessions[si]->name));
        psh_cf_run_session(&t, sessions[si], &res);
        for (size_t k = before; k < res.n; k++) {
            fails += res.v[k].outcome == PSH_CF_FAIL;
            steps += res.v[k].steps_run;
            emit(out, result_line(&res.v[k]));
        }
    }
    emit(out, json_pack("{s:s, s:f, s:i, s:i}", "t", "timing", "seconds", now() - t0, "steps",
                        (int)steps, "requests", (int)t.requests));
    psh_cf_target_close(&t);
    emit(out, json_pack("{s:s}", "t", "closed"));
    psh_cf_results_free(&res);
    return 0;
}

static int run_target(const char *spec, const char *mut, psh_cf_session **sessions, size_t ns,
                      psh_cf_results *res, int timing, int quiet, size_t *done, size_t total,
                      unsigned *fails)
{
    int fds[2], status = 0;
    pid_t pid;
    FILE *in;
    char *line = NULL, *fixture_dir = NULL, *fixture_script = NULL, *current = NULL;
    size_t cap = 0, seen = 0;
    int closed = 0;
    json_t *tm = NULL;
    fflush(stdout);
    fflush(stderr);
    if (pipe(fds) != 0)
        return 2;
    pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        FILE *out = fdopen(fds[1], "w");
        close(fds[0]);
        /* exit, not _exit: LeakSanitizer checks the child, where the work happens */
        exit(out ? child_run(out, spec, mut, sessions, ns, quiet, *done, total, *fails) : 2);
    }
    close(fds[1]);
    in = fdopen(fds[0], "r");
    while (in != NULL && getline(&line, &cap, in) > 0) {
        json_t *o = json_loads(line, 0, NULL);
        const char *t = json_string_value(json_object_get(o, "t"));
        if (t == NULL) {
            json_decref(o);
            continue;
        }
        if (strcmp(t, "fixture") == 0) {
            free(fixture_dir);
            free(fixture_script);
            fixture_dir = strdup(json_string_value(json_object_get(o, "dir")));
            fixture_script = strdup(json_string_value(json_object_get(o, "script")));
        } else if (strcmp(t, "begin") == 0) {
            free(current);
            current = strdup(json_string_value(json_object_get(o, "session")));
            seen++;
        } else if (strcmp(t, "result") == 0) {
            int oc = (int)json_integer_value(json_object_get(o, "outcome"));
            *fails += oc == PSH_CF_FAIL;
            psh_cf_results_add(res, json_string_value(json_object_get(o, "session")),
                               json_string_value(json_object_get(o, "target")), (psh_cf_outcome)oc,
                               json_string_value(json_object_get(o, "step")),
                               (int)json_integer_value(json_object_get(o, "step_index")),
                               json_string_value(json_object_get(o, "reason")),
                               json_string_value(json_object_get(o, "expected")),
                               json_string_value(json_object_get(o, "actual")),
                               (unsigned)json_integer_value(json_object_get(o, "steps")),
                               json_real_value(json_object_get(o, "seconds")));
            free(current);
            current = NULL;
        } else if (strcmp(t, "timing") == 0) {
            json_decref(tm);
            tm = json_incref(o);
        } else if (strcmp(t, "closed") == 0) {
            closed = 1;
        }
        json_decref(o);
    }
    free(line);
    if (in != NULL)
        fclose(in);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    *done += ns;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char why[128];
        if (WIFEXITED(status) && WEXITSTATUS(status) == 2 && seen == 0) {
            free(current);
            free(fixture_dir);
            free(fixture_script);
            json_decref(tm);
            return 2; /* usage error, already reported */
        }
        snprintf(why, sizeof why, "target crashed (%s %d)", WIFSIGNALED(status) ? "signal" : "exit",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        psh_cf_progress_end();
        fprintf(stderr, "psh-conform: %s: %s%s%s\n", spec, why, current ? " in session " : "",
                current ? current : "");
        if (current != NULL) {
            psh_cf_results_add(res, current, spec, PSH_CF_FAIL, NULL, 0, why, NULL, NULL, 0, 0);
            *fails += 1;
        }
        for (size_t i = seen; i < ns; i++)
            psh_cf_results_add(res, sessions[i]->name, spec, PSH_CF_SKIP, NULL, 0,
                               "not run: the target crashed earlier", NULL, NULL, 0, 0);
        if (!closed && fixture_dir != NULL)
            psh_cf_fixture_cleanup(fixture_script, fixture_dir);
    }
    if (timing && tm != NULL) {
        double secs = json_real_value(json_object_get(tm, "seconds"));
        json_int_t steps = json_integer_value(json_object_get(tm, "steps"));
        psh_cf_progress_end();
        printf("timing %s: %.2f s wall, %lld steps, %lld requests, %.0f steps/s\n", spec, secs,
               (long long)steps, (long long)json_integer_value(json_object_get(tm, "requests")),
               secs > 0 ? (double)steps / secs : 0.0);
    }
    free(current);
    free(fixture_dir);
    free(fixture_script);
    json_decref(tm);
    return 0;
}

static int load_all(paths *files, psh_cf_session ***out, size_t *count, int want_tpm)
{
    psh_cf_session **v = calloc(files->n + 1, sizeof *v);
    size_t n = 0;
    int bad = 0;
    for (size_t i = 0; v && i < files->n; i++) {
        char err[PSH_CF_ERR];
        psh_cf_session *s;
        const char *kind;
        if (psh_cf_session_load(files->v[i], &s, err, sizeof err) != 0) {
            fprintf(stderr, "psh-conform: %s: %s\n", files->v[i], err);
            bad = 1;
            continue;
        }
        kind = json_string_value(json_object_get(s->root, "kind"));
        if ((kind != NULL && strcmp(kind, "parsec") != 0) != want_tpm) {
            psh_cf_session_free(s); /* backend sessions replay with replay-tpm */
            continue;
        }
        v[n++] = s;
    }
    *out = v;
    *count = n;
    return bad;
}

static int write_reports(const psh_cf_results *res, const char *junit, const char *json,
                         const char *html)
{
    int rc = 0;
    if (junit && psh_cf_report_junit(junit, res) != 0)
        rc = fprintf(stderr, "psh-conform: cannot write %s\n", junit);
    if (json && psh_cf_report_json(json, res) != 0)
        rc = fprintf(stderr, "psh-conform: cannot write %s\n", json);
    if (html && psh_cf_report_html(html, res) != 0)
        rc = fprintf(stderr, "psh-conform: cannot write %s\n", html);
    return rc != 0;
}

static int cmd_run(int argc, char **argv, int check_only)
{
    const char *targets[16], *junit = NULL, *json = NULL, *html = NULL, *mut = NULL;
    size_t nt = 0, ns = 0, total, done = 0;
    int timing = 0, quiet = 0, rc = 0, bad;
    unsigned fails = 0;
    paths files = {0};
    psh_cf_session **sessions = NULL;
    psh_cf_results res = {0};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--target") == 0 && next && nt < 16) {
            targets[nt++] = next;
            i++;
        } else if (strcmp(a, "--junit") == 0 && next) {
            junit = next;
            i++;
        } else if (strcmp(a, "--json") == 0 && next) {
            json = next;
            i++;
        } else if (strcmp(a, "--html") == 0 && next) {
            html = next;
            i++;
        } else if (strcmp(a, "--mutate") == 0 && next) {
            mut = next;
            i++;
        } else if (strcmp(a, "--timing") == 0) {
            timing = 1;
        } else if (strcmp(a, "-q") == 0) {
            quiet = 1;
        } else if (a[0] == '-') {
            usage();
            paths_free(&files);
            return 2;
        } else {
            collect(a, &files, 0);
        }
    }
    if (files.n == 0 || (!check_only && nt == 0)) {
        usage();
        paths_free(&files);
        return 2;
    }
    bad = load_all(&files, &sessions, &ns, 0);
    if (check_only) {
        printf("%zu sessions valid%s\n", ns, bad ? ", some invalid" : "");
        rc = bad ? 1 : 0;
        goto out;
    }
    if (bad) {
        rc = 2;
        goto out;
    }
    total = ns * nt;
    for (size_t ti = 0; ti < nt; ti++) {
        int r = run_target(targets[ti], mut, sessions, ns, &res, timing, quiet, &done, total, &fails);
        if (r != 0) {
            rc = r;
            goto out;
        }
    }
    psh_cf_progress_end();
    psh_cf_report_text(stdout, &res);
    if (write_reports(&res, junit, json, html) != 0)
        rc = 2;
    if (rc == 0 && fails > 0)
        rc = 1;
out:
    for (size_t i = 0; i < ns; i++)
        psh_cf_session_free(sessions[i]);
    free(sessions);
    paths_free(&files);
    psh_cf_results_free(&res);
    return rc;
}

static int cmd_record(int argc, char **argv)
{
    const char *listen = NULL, *up = NULL, *out = NULL, *name = "recorded";
    unsigned long max = 0;
    for (int i = 0; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--listen") == 0)
            listen = argv[i + 1];
        else if (strcmp(argv[i], "--upstream") == 0)
            up = argv[i + 1];
        else if (strcmp(argv[i], "--out") == 0)
            out = argv[i + 1];
        else if (strcmp(argv[i], "--name") == 0)
            name = argv[i + 1];
        else if (strcmp(argv[i], "--max-requests") == 0)
            max = strtoul(argv[i + 1], NULL, 10);
        else
            listen = NULL, i = argc;
    }
    if (listen == NULL || up == NULL || out == NULL || argc % 2 != 0) {
        usage();
        return 2;
    }
    if (strncmp(listen, "unix:", 5) == 0)
        listen += 5;
    if (strncmp(up, "unix:", 5) == 0)
        up += 5;
    return psh_cf_record(listen, up, out, name, max) == 0 ? 0 : 1;
}

int psh_cf_main_replay_tpm(int argc, char **argv); /* tpmreplay.c */

int main(int argc, char **argv)
{
    int rc;
    if (argc < 2) {
        usage();
        return 2;
    }
    if (strcmp(argv[1], "run") == 0)
        rc = cmd_run(argc - 2, argv + 2, 0);
    else if (strcmp(argv[1], "check") == 0)
        rc = cmd_run(argc - 2, argv + 2, 1);
    else if (strcmp(argv[1], "record") == 0)
        rc = cmd_record(argc - 2, argv + 2);
    else if (strcmp(argv[1], "replay-tpm") == 0 || strcmp(argv[1], "replay") == 0)
        rc = psh_cf_main_replay_tpm(argc - 2, argv + 2);
    else {
        usage();
        rc = 2;
    }
    return rc;
}
