/* Attestation benchmark: verify time per evidence for each format (parsec-tpm, parsec-cca with
 * an ES256 platform and an ES384 realm token, our KAT format), KAT evidence generation (psh_kat_sign) and
 * software MakeCredential, in µs/op and ops/s. Prints figures; asserts nothing.
 *
 * usage: bench_attest [VECTOR_DIR (default tests/data/attest)] [--seconds N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ecp.h>

#include "attest.h"
#include "cose.h"
#include "util/alloc.h"

static const char *dir = "tests/data/attest";
static double seconds = 1.0;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t *slurp(const char *rel, size_t *len)
{
    char path[1024];
    FILE *f;
    long n;
    uint8_t *b;
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    if ((f = fopen(path, "rb")) == NULL) {
        fprintf(stderr, "bench_attest: cannot open %s (give the vector directory)\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc((size_t)n + 1);
    if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n)
        exit(2);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void anchor(psh_attest_anchor *a, const char *rel)
{
    size_t n;
    uint8_t *p = slurp(rel, &n);
    if (psh_attest_anchor_from_pem(a, p, n) != PSH_SUCCESS)
        exit(2);
    free(p);
}

static void report(const char *what, unsigned long ops, double dt)
{
    printf("%-44s %9.1f us/op %10.0f ops/s  (%lu ops)\n", what, dt * 1e6 / (double)ops,
           (double)ops / dt, ops);
}

static psh_attest_cca_ref cca[8];
static size_t n_cca;

static void bench_verify(const char *what, psh_attest_format f, const char *ev_rel,
                         const char *anchor_rel, const uint8_t *nonce, size_t nl, int pcrs)
{
    psh_attest_anchor a;
    psh_attest_pcr_ref refs[3];
    static psh_attest_appraisal ap;
    size_t n;
    uint8_t *ev = slurp(ev_rel, &n);
    psh_attest_policy p = {nonce, nl, &a, 1, refs, pcrs ? 3 : 0, cca, n_cca};
    unsigned long ops = 0;
    double t0, dt;
    memset(refs, 0, sizeof refs);
    for (int i = 0; i < 3; i++) {
        refs[i].alg = 0x000B;
        refs[i].pcr = (uint8_t)i;
        refs[i].digest_len = 32;
    }
    anchor(&a, anchor_rel);
    if (psh_attest_verify(f, ev, n, &p, &ap) != PSH_SUCCESS) {
        fprintf(stderr, "bench_attest: %s does not verify\n", ev_rel);
        exit(1);
    }
    t0 = now_s();
    do {
        psh_attest_verify(f, ev, n, &p, &ap);
        ops++;
    } while ((dt = now_s() - t0) < seconds);
    report(what, ops, dt);
    psh_attest_anchor_free(&a);
    free(ev);
}

static void gen(mbedtls_pk_context *pk, mbedtls_ecp_group_id g)
{
    mbedtls_pk_init(pk);
    if (mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
        mbedtls_ecp_gen_key(g, mbedtls_pk_ec(*pk), psh_att_rng, NULL) != 0)
        exit(2);
}

static void bench_kat_sign(void)
{
    mbedtls_pk_context pak, kak, ik;
    uint8_t nonce[32] = {1}, *ev = NULL;
    size_t n;
    unsigned long ops = 0;
    double t0, dt;
    gen(&pak, MBEDTLS_ECP_DP_SECP256R1);
    gen(&kak, MBEDTLS_ECP_DP_SECP256R1);
    gen(&ik, MBEDTLS_ECP_DP_SECP256R1);
    t0 = now_s();
    do {
        if (psh_kat_sign(&pak, &kak, &ik, nonce, sizeof nonce, &ev, &n) != PSH_SUCCESS)
            exit(1);
        psh_free(ev);
        ops++;
    } while ((dt = now_s() - t0) < seconds);
    report("kat: psh_kat_sign (KAT + PAT, ES256)", ops, dt);
    mbedtls_pk_free(&pak);
    mbedtls_pk_free(&kak);
    mbedtls_pk_free(&ik);
}

/* TCG default EK template (RSA-2048) with a fixed odd modulus: OAEP needs only the public key. */
static void bench_make_credential(void)
{
    static const uint8_t policy[32] = {0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xB3, 0xF8, 0x1A, 0x90, 0xCC,
                                       0x8D, 0x46, 0xA5, 0xD7, 0x24, 0xFD, 0x52, 0xD7, 0x6E, 0x06, 0x52,
                                       0x0B, 0x64, 0xF2, 0xA1, 0xDA, 0x1B, 0x33, 0x14, 0x69, 0xAA};
    uint8_t ek[2 + 10 + 32 + 6 + 8 + 2 + 256], name[34] = {0, 0x0b}, blob[128], sec[256];
    size_t o = 0, bl, sl;
    unsigned long ops = 0;
    double t0, dt;
    const uint8_t head[] = {0x00, 0x01, 0x00, 0x0b, 0x00, 0x03, 0x00, 0xb2, 0x00, 0x20};
    const uint8_t parms[] = {0x00, 0x06, 0x00, 0x80, 0x00, 0x43, 0x00, 0x10,
                             0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00};
    o = 2;
    memcpy(ek + o, head, sizeof head);
    o += sizeof head;
    memcpy(ek + o, policy, 32);
    o += 32;
    memcpy(ek + o, parms, sizeof parms);
    o += sizeof parms;
    memset(ek + o, 0x5b, 256);
    ek[o] = 0xc3;
    ek[o + 255] = 0x01;
    o += 256;
    ek[0] = (uint8_t)((o - 2) >> 8);
    ek[1] = (uint8_t)(o - 2);
    t0 = now_s();
    do {
        if (psh_make_credential(ek, o, name, sizeof name, (const uint8_t *)"0123456789abcdef", 16,
                                blob, sizeof blob, &bl, sec, sizeof sec, &sl) != PSH_SUCCESS) {
            fprintf(stderr, "bench_attest: make-credential failed\n");
            exit(1);
        }
        ops++;
    } while ((dt = now_s() - t0) < seconds);
    report("make-credential (RSA-2048 EK, software)", ops, dt);
}

int main(int argc, char **argv)
{
    static const uint8_t tpm_nonce[8] = {0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef};
    static const uint8_t cca_nonce[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else
            dir = argv[i];
    }
    printf("bench_attest: %.1f s per figure, vectors from %s\n", seconds, dir);
    {
        size_t n;
        uint8_t *c = slurp("parsec-cca/veraison-services/corim-parsec-cca-valid.cbor", &n);
        if (psh_attest_corim_load_cca(c, n, cca, 8, &n_cca) != PSH_SUCCESS)
            exit(2);
        free(c);
    }
    bench_verify("verify parsec-tpm (2x ES256 TPM sigs, PCRs)", PSH_ATTEST_PARSEC_TPM,
                 "parsec-tpm/veraison-services/evidence.cbor", "keys/parsec-tpm-ak-p256.pub.pem",
                 tpm_nonce, 8, 1);
    bench_verify("verify parsec-cca (ES256 platform, ES384 realm)", PSH_ATTEST_PARSEC_CCA,
                 "parsec-cca/veraison-services/evidence.cbor", "keys/parsec-cca-iak-p256.pub.pem",
                 cca_nonce, 8, 0);
    bench_verify("verify kat (ES256 KAT + ES256 PAT)", PSH_ATTEST_KAT, "kat/evidence.cbor",
                 "kat/pak.pub.pem", (const uint8_t *)"kat-vector-nonce-0001", 21, 0);
    bench_kat_sign();
    bench_make_credential();
    return 0;
}
