/* Input: one selector byte, then the evidence. selector % 6:
 *   0 parsec-tpm, 1 parsec-cca, 2 our KAT format: psh_attest_verify with fixed trust anchors
 *     (the published TPM AK and CCA IAK/CPAK, tests/data/attest/kat/pak.pub.pem), fixed
 *     nonces, PCR 0..2 = zero and the CCA vectors' platform reference values;
 *   3 the CBOR diagnostic printer, the CoRIM loader and the bare CCA KAT check;
 *   4 parsec-tpm JSON -> CBOR -> verify;  5 software MakeCredential with the bytes as EK public.
 * Invariants: SUCCESS exactly when the appraisal says verified; the appraisal always renders
 * as JSON; every check that failed has a reason; a verified KAT/CCA/TPM appraisal carries the
 * attested key; nothing leaks. */
#include "fuzz_common.h"

#include "attest.h"

static const char *const pems[] = {
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2lB1xtcIWePIt/Wwt+s8Ybp+5ji8\n"
    "t2pzGDKSOG7xTGK5gOYkcLCHz4i4L/yGzyEmBO1mZFZNuJz14X0J24+XQQ==\n"
    "-----END PUBLIC KEY-----\n",
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEMKBCTNIcKUSDii11ySs3526iDZ8A\n"
    "iTo7Tu6KPAqv7D7gS2XpJFbZiItSs3m9+9Ue6GnvHw/GW2ZZaVtszggXIw==\n"
    "-----END PUBLIC KEY-----\n",
    "-----BEGIN PUBLIC KEY-----\n"
    "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEIShnxS4rlQiwpCCpBWDzlNLfqiG911FP\n"
    "8akBr+fh94uxHU5m+Kijivp2r2oxxN6MhM4tr8mWQli1P61xh3T0ViDREbF26DGO\n"
    "EYfbAjWjGNN7pZf+6A4OTHYqEryz6m7U\n"
    "-----END PUBLIC KEY-----\n",
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAERS4YQh0ZCQpojGFPP/fdpaydfXoT\n"
    "J9TvuWISCvXI+QRDwVEmQqS0tMDkA28vD24gr/GQnICdYHQDXqV84Q9Q6Q==\n"
    "-----END PUBLIC KEY-----\n",
};
#define N_ANCHORS (sizeof pems / sizeof pems[0])

static psh_attest_anchor anchors[N_ANCHORS];
static psh_attest_pcr_ref pcrs[3];
/* CCA platform reference values of both CCA vectors: BL/M1/M2/M3 = d0 06 05 .. 18 with
 * d0 in {07, 0b, 0f, 13}, configs 010203 and 0107..18. */
static psh_attest_cca_ref cca_refs[7];

static void setup_once(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    for (size_t i = 0; i < N_ANCHORS; i++) {
        if (psh_attest_anchor_from_pem(&anchors[i], (const uint8_t *)pems[i], strlen(pems[i])) !=
            PSH_SUCCESS)
            abort();
    }
    for (int i = 0; i < 7; i++) {
        static const char *const types[4] = {"BL", "M1", "M2", "M3"};
        static const uint8_t tail[31] = {6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8, 23,
                                         22, 21, 20, 19, 18, 17, 16, 31, 30, 29, 28, 27, 26, 25,
                                         24};
        psh_attest_cca_ref *r = &cca_refs[i];
        if (i < 5) {
            strcpy(r->type, types[i < 4 ? i : 0]);
            r->value[0] = i < 4 ? (uint8_t)(7 + 4 * i) : 7;
            memcpy(r->value + 1, tail, sizeof tail);
            r->len = 32;
        } else if (i == 5) {
            r->is_config = 1;
            memcpy(r->value, "\x01\x02\x03", 3);
            r->len = 3;
        } else {
            r->is_config = 1;
            r->value[0] = 1;
            r->value[1] = 7;
            memcpy(r->value + 2, tail, sizeof tail);
            r->len = 33;
        }
    }
    for (int i = 0; i < 3; i++) {
        pcrs[i].alg = 0x000B;
        pcrs[i].pcr = (uint8_t)i;
        pcrs[i].digest_len = 32;
    }
}

static void verify_one(psh_attest_format f, const uint8_t *ev, size_t n)
{
    static const uint8_t nonces[3][21] = {
        {0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef},
        {0, 1, 2, 3, 4, 5, 6, 7},
        "kat-vector-nonce-0001",
    };
    static const size_t nonce_len[3] = {8, 8, 21};
    static psh_attest_appraisal a; /* large: keep it off the fuzzer's stack */
    psh_attest_policy p = {nonces[f], nonce_len[f], anchors, N_ANCHORS, pcrs, 3, cca_refs, 7};
    psh_status st = psh_attest_verify(f, ev, n, &p, &a);
    char *js;
    if ((st == PSH_SUCCESS) != (psh_attest_verified(&a) != 0))
        abort();
    if (st == PSH_SUCCESS && a.key_spki_len == 0)
        abort();
    for (size_t i = 0; i < a.n_checks; i++) {
        if (!a.checks[i].ok && a.checks[i].reason[0] == 0)
            abort();
    }
    js = psh_attest_appraisal_json(&a);
    if (js == NULL)
        abort();
    free(js);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *ev = data + 1;
    size_t n;
    fuzz_setup();
    setup_once();
    if (size < 1)
        return 0;
    n = size - 1;
    switch (data[0] % 6) {
    case 0: case 1: case 2:
        verify_one((psh_attest_format)(data[0] % 6), ev, n);
        break;
    case 3: {
        char *s = NULL;
        psh_attest_anchor an[4];
        psh_attest_pcr_ref refs[8];
        size_t na = 0, np = 0;
        static psh_attest_appraisal a;
        if (psh_attest_diag(ev, n, &s) == PSH_SUCCESS && (s == NULL || strlen(s) == 0))
            abort();
        psh_free(s);
        psh_attest_corim_load(ev, n, an, 4, &na, refs, 8, &np);
        if (na > 4 || np > 8)
            abort();
        for (size_t i = 0; i < na; i++)
            psh_attest_anchor_free(&an[i]);
        if (psh_attest_cca_kat_check(ev, n, &a) == PSH_SUCCESS && a.key_spki_len == 0)
            abort();
        break;
    }
    case 4: {
        uint8_t *cb = NULL;
        size_t cl = 0;
        if (psh_attest_tpm_json_to_cbor((const char *)ev, n, &cb, &cl) == PSH_SUCCESS)
            verify_one(PSH_ATTEST_PARSEC_TPM, cb, cl);
        psh_free(cb);
        break;
    }
    default: {
        static const uint8_t name[34] = {0x00, 0x0b, 1, 2, 3};
        uint8_t blob[256], sec[512];
        size_t bl, sl;
        if (psh_make_credential(ev, n, name, sizeof name, (const uint8_t *)"0123456789abcdef",
                                16, blob, sizeof blob, &bl, sec, sizeof sec, &sl) == PSH_SUCCESS &&
            (bl != 2 + 32 + 18 || sl == 0))
            abort();
        break;
    }
    }
    return 0;
}
