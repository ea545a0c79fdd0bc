/* Attestation benchmark (TPM provider): parsec-tpm evidence generation time per request
 * through psh-service (AttestKey, Evidence mechanism: AK primary created, TPM2_Certify,
 * TPM2_Quote, CBOR) next to the bare TPM2_Certify + TPM2_Quote issued directly through ESAPI on
 * the same swtpm in the same run (key and AK loaded once), plus the direct cost with the AK
 * re-created per request as the provider does; and verify time per evidence (psh_attest_verify,
 * in-process). swtpm serves one connection at a time, so direct and service phases alternate in
 * short rounds (service restarted each round) and medians are printed. Prints; asserts nothing.
 *
 * usage: bench_attest_tpm [--service PATH] [--swtpm-script PATH] [--seconds N] [--rounds N] */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include "attest.h"
#include "psh/client.h"
#include "bench_common.h"
#include "psh/client_attest.h"


static void ak_template(TPM2B_PUBLIC *t)
{
    memset(t, 0, sizeof *t);
    t->publicArea.type = TPM2_ALG_ECC;
    t->publicArea.nameAlg = TPM2_ALG_SHA256;
    t->publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                     TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                     TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT |
                                     TPMA_OBJECT_NODA;
    t->publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    t->publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
    t->publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    t->publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    t->publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    memcpy(t->publicArea.unique.ecc.x.buffer, "bench-ak", 8);
    t->publicArea.unique.ecc.x.size = 8;
}

static int certify_quote(ESYS_CONTEXT *e, ESYS_TR key, ESYS_TR ak)
{
    TPM2B_DATA q = {.size = 32};
    TPMT_SIG_SCHEME sch = {.scheme = TPM2_ALG_ECDSA};
    TPML_PCR_SELECTION sel = {.count = 1};
    TPM2B_ATTEST *a1 = NULL, *a2 = NULL;
    TPMT_SIGNATURE *s1 = NULL, *s2 = NULL;
    int ok;
    memset(q.buffer, 0x5A, 32);
    sch.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    sel.pcrSelections[0].hash = TPM2_ALG_SHA256;
    sel.pcrSelections[0].sizeofSelect = 3;
    sel.pcrSelections[0].pcrSelect[0] = 0xFF;
    ok = Esys_Certify(e, key, ak, ESYS_TR_PASSWORD, ESYS_TR_PASSWORD, ESYS_TR_NONE, &q, &sch, &a1,
                      &s1) == TSS2_RC_SUCCESS &&
         Esys_Quote(e, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &q, &sch, &sel, &a2,
                    &s2) == TSS2_RC_SUCCESS;
    Esys_Free(a1);
    Esys_Free(a2);
    Esys_Free(s1);
    Esys_Free(s2);
    return ok;
}

/* Direct ESAPI: storage primary + P-256 key; per iteration Certify + Quote (AK loaded once,
 * *bare) or CreatePrimary(AK) + Certify + Quote + flush (*with_ak). Milliseconds. */
static void direct_ms(const char *tcti, double seconds, double *bare, double *with_ak)
{
    TSS2_TCTI_CONTEXT *t = NULL;
    ESYS_CONTEXT *e = NULL;
    ESYS_TR primary = ESYS_TR_NONE, key = ESYS_TR_NONE, ak = ESYS_TR_NONE;
    TPM2B_SENSITIVE_CREATE sens;
    TPM2B_PUBLIC tp, tk, ta;
    TPM2B_DATA outside = {.size = 0};
    TPML_PCR_SELECTION pcr = {.count = 0};
    TPM2B_PRIVATE *priv = NULL;
    TPM2B_PUBLIC *pub = NULL;
    double start;
    long n = 0;

    *bare = *with_ak = -1;
    memset(&sens, 0, sizeof sens);
    memset(&tp, 0, sizeof tp);
    memset(&tk, 0, sizeof tk);
    tp.publicArea.type = TPM2_ALG_ECC;
    tp.publicArea.nameAlg = TPM2_ALG_SHA256;
    tp.publicArea.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT |
                                     TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                     TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                     TPMA_OBJECT_NODA;
    tp.publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
    tp.publicArea.parameters.eccDetail.symmetric.keyBits.aes = 128;
    tp.publicArea.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
    tp.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
    tp.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    tp.publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    tk.publicArea = tp.publicArea;
    tk.publicArea.objectAttributes = TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM |
                                     TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                                     TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA;
    tk.publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
    ak_template(&ta);

    if (Tss2_TctiLdr_Initialize(tcti, &t) != TSS2_RC_SUCCESS ||
        Esys_Initialize(&e, t, NULL) != TSS2_RC_SUCCESS ||
        Esys_CreatePrimary(e, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                           &sens, &tp, &outside, &pcr, &primary, NULL, NULL, NULL,
                           NULL) != TSS2_RC_SUCCESS ||
        Esys_Create(e, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tk,
                    &outside, &pcr, &priv, &pub, NULL, NULL, NULL) != TSS2_RC_SUCCESS ||
        Esys_Load(e, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, priv, pub, &key) !=
            TSS2_RC_SUCCESS) {
        fprintf(stderr, "bench_attest_tpm: direct ESAPI set-up failed\n");
        goto exit;
    }
    /* AK created per iteration, as the provider does. */
    start = now_s();
    while (now_s() - start < seconds / 2) {
        ESYS_TR a = ESYS_TR_NONE;
        if (Esys_CreatePrimary(e, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                               &sens, &ta, &outside, &pcr, &a, NULL, NULL, NULL,
                               NULL) == TSS2_RC_SUCCESS &&
            certify_quote(e, key, a))
            n++;
        if (a != ESYS_TR_NONE)
            Esys_FlushContext(e, a);
    }
    if (n > 0)
        *with_ak = (now_s() - start) * 1000.0 / (double)n;
    /* AK loaded once: the bare two commands. */
    if (Esys_CreatePrimary(e, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                           &sens, &ta, &outside, &pcr, &ak, NULL, NULL, NULL,
                           NULL) != TSS2_RC_SUCCESS)
        goto exit;
    n = 0;
    start = now_s();
    while (now_s() - start < seconds / 2)
        n += certify_quote(e, key, ak);
    if (n > 0)
        *bare = (now_s() - start) * 1000.0 / (double)n;
exit:
    if (ak != ESYS_TR_NONE)
        Esys_FlushContext(e, ak);
    if (key != ESYS_TR_NONE)
        Esys_FlushContext(e, key);
    if (primary != ESYS_TR_NONE)
        Esys_FlushContext(e, primary);
    Esys_Free(priv);
    Esys_Free(pub);
    if (e != NULL)
        Esys_Finalize(&e);
    if (t != NULL)
        Tss2_TctiLdr_Finalize(&t);
}


/* Evidence per request through the service (ms); keeps the last evidence, AK and nonce. */
static double service_ms(psh_client *c, double seconds, uint8_t **ev, size_t *ev_len,
                         uint8_t **spki, size_t *spki_len, uint8_t nonce[32])
{
    psh_key_attributes a = {PSH_KEY_TYPE_ECC_KEY_PAIR, PSH_ECC_FAMILY_SECP_R1, 256,
                            PSH_USAGE_SIGN_HASH, {PSH_ALG_ECDSA, PSH_HASH_SHA_256, 0, 0}};
    uint8_t *kid = NULL;
    size_t kid_len = 0;
    double start;
    long n = 0;
    psh_status st = psh_client_generate_key(c, "bench-ik", &a);
    if (st != PSH_SUCCESS && st != PSH_ERR_PSA_ALREADY_EXISTS)
        return -1;
    psh_client_free(*spki);
    *spki = NULL;
    if (psh_client_prepare_evidence(c, "bench-ik", spki, spki_len, &kid, &kid_len, NULL) !=
        PSH_SUCCESS)
        return -1;
    psh_client_free(kid);
    start = now_s();
    while (now_s() - start < seconds) {
        nonce[0] = (uint8_t)n;
        nonce[1] = (uint8_t)(n >> 8);
        psh_client_free(*ev);
        *ev = NULL;
        if (psh_client_attest_evidence(c, "bench-ik", nonce, 32, ev, ev_len, NULL) != PSH_SUCCESS)
            return -1;
        n++;
    }
    return (now_s() - start) * 1000.0 / (double)n;
}

/* Verify time per evidence (us): PCR references are all-zero PCRs 0-7 (a fresh swtpm). */
static double verify_us(const uint8_t *ev, size_t ev_len, const uint8_t *spki, size_t spki_len,
                        const uint8_t nonce[32], int *ok)
{
    static psh_attest_appraisal ap;
    psh_attest_anchor anchor;
    psh_attest_pcr_ref refs[8];
    psh_attest_policy pol;
    double start;
    int n = 0;
    memset(&anchor, 0, sizeof anchor);
    memset(&pol, 0, sizeof pol);
    memset(refs, 0, sizeof refs);
    for (int i = 0; i < 8; i++) {
        refs[i].alg = 0x000B;
        refs[i].pcr = (uint8_t)i;
        refs[i].digest_len = 32;
    }
    *ok = 0;
    if (psh_attest_anchor_from_pem(&anchor, spki, spki_len) != PSH_SUCCESS) {
        psh_attest_anchor_free(&anchor);
        return -1;
    }
    pol.nonce = nonce;
    pol.nonce_len = 32;
    pol.anchors = &anchor;
    pol.n_anchors = 1;
    pol.pcrs = refs;
    pol.n_pcrs = 8;
    *ok = psh_attest_verify(PSH_ATTEST_PARSEC_TPM, ev, ev_len, &pol, &ap) == PSH_SUCCESS;
    start = now_s();
    while (now_s() - start < 1.0 || n < 20) {
        psh_attest_verify(PSH_ATTEST_PARSEC_TPM, ev, ev_len, &pol, &ap);
        n++;
    }
    start = (now_s() - start) * 1e6 / n;
    psh_attest_anchor_free(&anchor);
    return start;
}

int main(int argc, char **argv)
{
    char service[PATH_MAX + 64], script[PATH_MAX + 64], dir[] = "/tmp/psh-bench-att.XXXXXX",
         buf[PATH_MAX], cmd[4 * PATH_MAX], tcti[256] = "";
    const char *src = getenv("PSH_SRC");
    double seconds = 6, b_round[MAX_ROUNDS], a_round[MAX_ROUNDS], s_round[MAX_ROUNDS], v;
    int rounds = 4, ok = 0;
    uint8_t *ev = NULL, *spki = NULL, nonce[32];
    size_t ev_len = 0, spki_len = 0;
    psh_client c;
    pid_t pid;
    FILE *env;

    memset(nonce, 0xA5, sizeof nonce);
    snprintf(service, sizeof service, "%s/../engine/psh-service", dir_of(argv[0], buf, sizeof buf));
    if (src != NULL)
        snprintf(script, sizeof script, "%s/scripts/swtpm", src);
    else
        snprintf(script, sizeof script, "%s/../../../scripts/swtpm",
                 dir_of(argv[0], buf, sizeof buf));
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--service") == 0 && i + 1 < argc)
            snprintf(service, sizeof service, "%s", argv[++i]);
        else if (strcmp(argv[i], "--swtpm-script") == 0 && i + 1 < argc)
            snprintf(script, sizeof script, "%s", argv[++i]);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
    }
    if (rounds < 1 || rounds > MAX_ROUNDS)
        rounds = 4;
    signal(SIGPIPE, SIG_IGN);
    setenv("TSS2_LOG", "all+none", 0);
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(cmd, sizeof cmd, "'%s' start '%s/tpm' >/dev/null", script, dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_attest_tpm: %s failed\n", cmd);
        return 1;
    }
    snprintf(buf, sizeof buf, "%s/tpm/env", dir);
    env = fopen(buf, "r");
    while (env != NULL && fgets(cmd, sizeof cmd, env) != NULL)
        if (strncmp(cmd, "PSH_TCTI=", 9) == 0)
            snprintf(tcti, sizeof tcti, "%.*s", (int)strcspn(cmd + 9, "\n"), cmd + 9);
    if (env != NULL)
        fclose(env);

    for (int r = 0; r < rounds; r++) {
        direct_ms(tcti, seconds / rounds, &b_round[r], &a_round[r]);
        pid = bench_start_tpm_service(service, dir, tcti, &c);
        s_round[r] = pid > 0 ? service_ms(&c, seconds / rounds, &ev, &ev_len, &spki, &spki_len,
                                          nonce)
                             : -1;
        if (pid > 0) {
            kill(pid, SIGTERM);
            waitpid(pid, NULL, 0);
        }
        printf("  round %d: direct Certify+Quote %6.2f ms, +AK CreatePrimary %6.2f ms, "
               "service AttestKey %6.2f ms\n", r + 1, b_round[r], a_round[r], s_round[r]);
    }
    v = ev != NULL ? verify_us(ev, ev_len, spki, spki_len, nonce, &ok) : -1;
    snprintf(cmd, sizeof cmd, "'%s' stop '%s/tpm' >/dev/null; rm -rf '%s'", script, dir, dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_attest_tpm: clean-up failed\n");

    printf("parsec-tpm evidence on swtpm (%s), %.1f s per side in %d alternating rounds, one "
           "client, medians per request:\n", tcti, seconds, rounds);
    printf("  direct ESAPI TPM2_Certify + TPM2_Quote (AK loaded)  : %8.2f ms\n",
           median(b_round, rounds));
    printf("  direct ESAPI CreatePrimary(AK) + Certify + Quote    : %8.2f ms\n",
           median(a_round, rounds));
    printf("  through psh-service AttestKey (evidence, %zu bytes) : %8.2f ms\n", ev_len,
           median(s_round, rounds));
    printf("  verify (psh_attest_verify, parsec-tpm, %s)      : %8.1f us per evidence\n",
           ok ? "accepted" : "REJECTED", v);
    psh_client_free(ev);
    psh_client_free(spki);
    return median(s_round, rounds) > 0 && ok ? 0 : 1;
}
