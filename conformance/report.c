/* Reports: a live progress line (only on a terminal), a text summary, JUnit XML and JSON for
 * CI, and one self-contained HTML page with the session x target matrix. */
#include "conform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *outcome_name(psh_cf_outcome o)
{
    return o == PSH_CF_PASS ? "pass" : o == PSH_CF_FAIL ? "fail" : "skip";
}

static int progress_shown;

void psh_cf_progress(const char *target, const char *session, size_t done, size_t total,
                     unsigned fails)
{
    if (!isatty(2))
        return;
    fprintf(stderr, "\r\033[K[%zu/%zu] %u failed  %.30s  %.50s", done, total, fails, target,
            session);
    fflush(stderr);
    progress_shown = 1;
}

void psh_cf_progress_end(void)
{
    if (progress_shown)
        fprintf(stderr, "\r\033[K");
    progress_shown = 0;
}

void psh_cf_report_text(FILE *f, const psh_cf_results *r)
{
    size_t pass = 0, fail = 0, skip = 0;
    for (size_t i = 0; i < r->n; i++) {
        const psh_cf_result *x = &r->v[i];
        if (x->outcome == PSH_CF_FAIL) {
            fail++;
            fprintf(f, "FAIL %s @ %s: step %d \"%s\": %s\n", x->session, x->target, x->step_index,
                    x->step ? x->step : "-", x->reason ? x->reason : "");
            if (x->expected)
                fprintf(f, "     expected: %s\n", x->expected);
            if (x->actual)
                fprintf(f, "     actual:   %s\n", x->actual);
        } else if (x->outcome == PSH_CF_SKIP) {
            skip++;
        } else {
            pass++;
        }
    }
    /* one line per target, then the total */
    for (size_t i = 0; i < r->n; i++) {
        size_t p = 0, fl = 0, s = 0, steps = 0;
        double secs = 0;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(r->v[j].target, r->v[i].target) == 0;
        if (seen)
            continue;
        for (size_t j = i; j < r->n; j++) {
            if (strcmp(r->v[j].target, r->v[i].target) != 0)
                continue;
            p += r->v[j].outcome == PSH_CF_PASS;
            fl += r->v[j].outcome == PSH_CF_FAIL;
            s += r->v[j].outcome == PSH_CF_SKIP;
            steps += r->v[j].steps_run;
            secs += r->v[j].seconds;
        }
        fprintf(f, "%-40s %3zu passed %3zu failed %3zu skipped  %5zu steps %7.2f s\n",
                r->v[i].target, p, fl, s, steps, secs);
    }
    fprintf(f, "total: %zu passed, %zu failed, %zu skipped\n", pass, fail, skip);
}

static void xml_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
                fputc('?', f);
            else
                fputc(*s, f);
        }
    }
}

int psh_cf_report_junit(const char *path, const psh_cf_results *r)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"psh-conform\">\n");
    for (size_t i = 0; i < r->n; i++) {
        size_t n = 0, fl = 0, sk = 0;
        double secs = 0;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(r->v[j].target, r->v[i].target) == 0;
        if (seen)
            continue;
        for (size_t j = i; j < r->n; j++)
            if (strcmp(r->v[j].target, r->v[i].target) == 0) {
                n++;
                fl += r->v[j].outcome == PSH_CF_FAIL;
                sk += r->v[j].outcome == PSH_CF_SKIP;
                secs += r->v[j].seconds;
            }
        fprintf(f, "  <testsuite name=\"");
        xml_escape(f, r->v[i].target);
        fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n", n, fl, sk,
                secs);
        for (size_t j = i; j < r->n; j++) {
            const psh_cf_result *x = &r->v[j];
            if (strcmp(x->target, r->v[i].target) != 0)
                continue;
            fprintf(f, "    <testcase classname=\"");
            xml_escape(f, x->target);
            fprintf(f, "\" name=\"");
            xml_escape(f, x->session);
            fprintf(f, "\" time=\"%.3f\"", x->seconds);
            if (x->outcome == PSH_CF_PASS) {
                fprintf(f, "/>\n");
                continue;
            }
            fprintf(f, ">\n      <%s message=\"", x->outcome == PSH_CF_FAIL ? "failure" : "skipped");
            if (x->outcome == PSH_CF_FAIL) {
                fprintf(f, "step %d ", x->step_index);
                xml_escape(f, x->step);
                fprintf(f, ": ");
            }
            xml_escape(f, x->reason);
            fprintf(f, "\"");
            if (x->outcome == PSH_CF_FAIL) {
                fprintf(f, ">expected: ");
                xml_escape(f, x->expected);
                fprintf(f, "\nactual: ");
                xml_escape(f, x->actual);
                fprintf(f, "</failure>\n");
            } else {
                fprintf(f, "/>\n");
            }
            fprintf(f, "    </testcase>\n");
        }
        fprintf(f, "  </testsuite>\n");
    }
    fprintf(f, "</testsuites>\n");
    return fclose(f) == 0 ? 0 : -1;
}

static json_t *results_json(const psh_cf_results *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->n; i++) {
        const psh_cf_result *x = &r->v[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:f}", "session", x->session, "target",
                              x->target, "outcome", outcome_name(x->outcome), "steps_run",
                              (int)x->steps_run, "seconds", x->seconds);
        if (x->step) {
            json_object_set_new(o, "step", json_string(x->step));
            json_object_set_new(o, "step_index", json_integer(x->step_index));
        }
        if (x->reason)
            json_object_set_new(o, "reason", json_string(x->reason));
        if (x->expected)
            json_object_set_new(o, "expected", json_string(x->expected));
        if (x->actual)
            json_object_set_new(o, "actual", json_string(x->actual));
        json_array_append_new(a, o);
    }
    return a;
}

int psh_cf_report_json(const char *path, const psh_cf_results *r)
{
    json_t *root = json_pack("{s:s, s:o}", "tool", "psh-conform", "results", results_json(r));
    int rc = json_dump_file(root, path, JSON_INDENT(1));
    json_decref(root);
    return rc;
}

static void html_escape(FILE *f, const char *s)
{
    xml_escape(f, s);
}

int psh_cf_report_html(const char *path, const psh_cf_results *r)
{
    FILE *f = fopen(path, "w");
    const char **targets, **sessions;
    size_t nt = 0, ns = 0, pass = 0, fail = 0, skip = 0;
    if (f == NULL)
        return -1;
    targets = calloc(r->n + 1, sizeof *targets);
    sessions = calloc(r->n + 1, sizeof *sessions);
    for (size_t i = 0; targets && sessions && i < r->n; i++) {
        int seen = 0;
        for (size_t j = 0; j < nt && !seen; j++)
            seen = strcmp(targets[j], r->v[i].target) == 0;
        if (!seen)
            targets[nt++] = r->v[i].target;
        seen = 0;
        for (size_t j = 0; j < ns && !seen; j++)
            seen = strcmp(sessions[j], r->v[i].session) == 0;
        if (!seen)
            sessions[ns++] = r->v[i].session;
        pass += r->v[i].outcome == PSH_CF_PASS;
        fail += r->v[i].outcome == PSH_CF_FAIL;
        skip += r->v[i].outcome == PSH_CF_SKIP;
    }
    fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>psh-conform</title>\n"
               "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
               "td,th{border:1px solid #bbb;padding:3px 8px;font-size:13px;vertical-align:top}"
               ".pass{background:#c8f0c8}.fail{background:#f5b5b5}.skip{background:#e8e8e8;"
               "color:#555}pre{white-space:pre-wrap;margin:0;font-size:12px}th{background:#f4f4f4}"
               "</style></head><body>\n<h1>psh-conform</h1>\n");
    fprintf(f, "<p>%zu passed, %zu failed, %zu skipped; %zu sessions &times; %zu targets.</p>\n",
            pass, fail, skip, ns, nt);
    fprintf(f, "<table><tr><th>session</th>");
    for (size_t j = 0; j < nt; j++) {
        fprintf(f, "<th>");
        html_escape(f, targets[j]);
        fprintf(f, "</th>");
    }
    fprintf(f, "</tr>\n");
    for (size_t s = 0; s < ns; s++) {
        fprintf(f, "<tr><td>");
        html_escape(f, sessions[s]);
        fprintf(f, "</td>");
        for (size_t j = 0; j < nt; j++) {
            const psh_cf_result *x = NULL;
            for (size_t i = 0; i < r->n && x == NULL; i++)
                if (strcmp(r->v[i].session, sessions[s]) == 0 &&
                    strcmp(r->v[i].target, targets[j]) == 0)
                    x = &r->v[i];
            if (x == NULL) {
                fprintf(f, "<td></td>");
                continue;
            }
            fprintf(f, "<td class=\"%s\" title=\"", outcome_name(x->outcome));
            html_escape(f, x->reason);
            fprintf(f, "\">%s", outcome_name(x->outcome));
            if (x->outcome == PSH_CF_FAIL) {
                fprintf(f, "<pre>step %d: ", x->step_index);
                html_escape(f, x->step);
                fprintf(f, "\n");
                html_escape(f, x->reason);
                fprintf(f, "\nexpected: ");
                html_escape(f, x->expected);
                fprintf(f, "\nactual:   ");
                html_escape(f, x->actual);
                fprintf(f, "</pre>");
            } else if (x->outcome == PSH_CF_SKIP) {
                fprintf(f, "<pre>");
                html_escape(f, x->reason);
                fprintf(f, "</pre>");
            }
            fprintf(f, "</td>");
        }
        fprintf(f, "</tr>\n");
    }
    fprintf(f, "<tr><th>total</th>");
    for (size_t j = 0; j < nt; j++) {
        size_t c[3] = {0, 0, 0};
        double secs = 0;
        for (size_t i = 0; i < r->n; i++)
            if (strcmp(r->v[i].target, targets[j]) == 0) {
                c[r->v[i].outcome]++;
                secs += r->v[i].seconds;
            }
        fprintf(f, "<th>%zu pass, %zu fail, %zu skip, %.2f s</th>", c[PSH_CF_PASS], c[PSH_CF_FAIL],
                c[PSH_CF_SKIP], secs);
    }
    fprintf(f, "</tr>\n</table>\n</body></html>\n");
    free(targets);
    free(sessions);
    return fclose(f) == 0 ? 0 : -1;
}
