/* TPM benchmark: ECDSA P-256 sign ops/s through psh-service (TPM provider, one client, one
 * connection per request) next to a direct ESAPI Esys_Sign loop against the same swtpm in the
 * same run, and their ratio (target: service under 1.1x the direct cost). swtpm serves one
 * connection at a time and psh-service keeps its connection, so the two loops alternate in
 * short rounds (the service restarted for each) and the medians are compared: on a shared
 * machine the load changes between rounds. Prints; asserts nothing.
 *
 * usage: bench_tpm [--service PATH] [--swtpm-script PATH] [--seconds N] [--rounds N]
 * swtpm is started with scripts/swtpm (found from $PSH_SRC or next to the build tree). */
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

#include "psh/client.h"
#include "bench_common.h"

/* Direct ESAPI: an owner primary, one P-256 signing key loaded once, Esys_Sign in a loop. */
static double direct_rate(const char *tcti, double seconds)
{
    TSS2_TCTI_CONTEXT *t = NULL;
    ESYS_CONTEXT *e = NULL;
    ESYS_TR primary = ESYS_TR_NONE, key = ESYS_TR_NONE;
    TPM2B_SENSITIVE_CREATE sens;
    TPM2B_PUBLIC tp, tk;
    TPM2B_DATA outside = {.size = 0};
    TPML_PCR_SELECTION pcr = {.count = 0};
    TPM2B_PRIVATE *priv = NULL;
    TPM2B_PUBLIC *pub = NULL;
    TPM2B_DIGEST digest = {.size = 32};
    TPMT_SIG_SCHEME scheme = {.scheme = TPM2_ALG_ECDSA};
    TPMT_TK_HASHCHECK ticket = {.tag = TPM2_ST_HASHCHECK, .hierarchy = TPM2_RH_NULL};
    double rate = -1, start;
    long n = 0;

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
    scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    memset(digest.buffer, 0x42, 32);

    if (Tss2_TctiLdr_Initialize(tcti, &t) != TSS2_RC_SUCCESS ||
        Esys_Initialize(&e, t, NULL) != TSS2_RC_SUCCESS ||
        Esys_CreatePrimary(e, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                           &sens, &tp, &outside, &pcr, &primary, NULL, NULL, NULL,
                           NULL) != TSS2_RC_SUCCESS ||
        Esys_Create(e, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tk,
                    &outside, &pcr, &priv, &pub, NULL, NULL, NULL) != TSS2_RC_SUCCESS ||
        Esys_Load(e, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, priv, pub, &key) !=
            TSS2_RC_SUCCESS) {
        fprintf(stderr, "bench_tpm: direct ESAPI set-up failed\n");
        goto exit;
    }
    start = now_s();
    while (now_s() - start < seconds) {
        TPMT_SIGNATURE *sig = NULL;
        if (Esys_Sign(e, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &digest, &scheme,
                      &ticket, &sig) == TSS2_RC_SUCCESS)
            n++;
        Esys_Free(sig);
    }
    rate = (double)n / (now_s() - start);
exit:
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
    return rate;
}

static double service_rate(psh_client *c, double seconds)
{
    psh_key_attributes a = {PSH_KEY_TYPE_ECC_KEY_PAIR, PSH_ECC_FAMILY_SECP_R1, 256,
                            PSH_USAGE_SIGN_HASH, {PSH_ALG_ECDSA, PSH_HASH_SHA_256, 0, 0}};
    uint8_t hash[32];
    double start;
    long n = 0;
    memset(hash, 0x42, sizeof hash);
    psh_status st = psh_client_generate_key(c, "bench-p256", &a);
    if (st != PSH_SUCCESS && st != PSH_ERR_PSA_ALREADY_EXISTS) {
        fprintf(stderr, "bench_tpm: generate through the service failed\n");
        return -1;
    }
    start = now_s();
    while (now_s() - start < seconds) {
        uint8_t *sig = NULL;
        size_t sig_len = 0;
        if (psh_client_sign_hash(c, "bench-p256", &a.alg, hash, sizeof hash, &sig, &sig_len) ==
            PSH_SUCCESS)
            n++;
        psh_client_free(sig);
    }
    return (double)n / (now_s() - start);
}

int main(int argc, char **argv)
{
    char service[PATH_MAX + 64], script[PATH_MAX + 64], dir[] = "/tmp/psh-bench-tpm.XXXXXX", buf[PATH_MAX],
         cmd[4 * PATH_MAX], tcti[256] = "";
    const char *src = getenv("PSH_SRC");
    double seconds = 6, direct, svc, d_round[MAX_ROUNDS], s_round[MAX_ROUNDS];
    int rounds = 6;
    psh_client c;
    pid_t pid;
    FILE *env;

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
        rounds = 6;
    signal(SIGPIPE, SIG_IGN);
    setenv("TSS2_LOG", "all+none", 0);
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(cmd, sizeof cmd, "'%s' start '%s/tpm' >/dev/null", script, dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_tpm: %s failed\n", cmd);
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
        d_round[r] = direct_rate(tcti, seconds / rounds);
        pid = bench_start_tpm_service(service, dir, tcti, &c);
        s_round[r] = pid > 0 ? service_rate(&c, seconds / rounds) : -1;
        if (pid > 0) {
            kill(pid, SIGTERM);
            waitpid(pid, NULL, 0);
        }
        printf("  round %d: direct %7.1f ops/s, service %7.1f ops/s\n", r + 1, d_round[r],
               s_round[r]);
    }
    direct = median(d_round, rounds);
    svc = median(s_round, rounds);
    snprintf(cmd, sizeof cmd, "'%s' stop '%s/tpm' >/dev/null; rm -rf '%s'", script, dir, dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_tpm: clean-up failed\n");

    printf("ECDSA P-256 sign on swtpm (%s), %.1f s per side in %d alternating rounds, one "
           "client, medians:\n", tcti, seconds, rounds);
    printf("  direct ESAPI Esys_Sign loop : %8.1f ops/s\n", direct);
    printf("  through psh-service (TPM)   : %8.1f ops/s\n", svc);
    if (direct > 0 && svc > 0)
        printf("  overhead (direct/service)   : %8.2fx  (target < 1.10x)\n", direct / svc);
    return direct > 0 && svc > 0 ? 0 : 1;
}
