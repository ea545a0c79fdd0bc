/* psh-attest: verify, show, endorse, make-credential and kat-sign (see usage()). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/pk.h>

#include "attest.h"
#include "util/alloc.h"
#include "util/hex.h"

#define MAX_ANCHORS 16
#define MAX_PCRS 64
#define MAX_CCA 64

static void usage(void)
{
    fputs(
        "usage: psh-attest verify --format parsec-tpm|parsec-cca|kat --nonce HEX\n"
        "                         --anchor PEM|CORIM [--anchor-id HEX] ... [--pcr-ref ALG:PCR:HEX ...]\n"
        "                         [--cca-ref swcomp:TYPE:HEX | config:HEX ...]\n"
        "                         EVIDENCE            (prints the appraisal JSON; exit 0 only\n"
        "                                              when every check passed)\n"
        "       psh-attest show FILE                  (CBOR diagnostic notation)\n"
        "       psh-attest endorse ta --ak-pub PEM [--kid HEX] [--class UUID]\n"
        "       psh-attest endorse refval --pcr-ref ALG:PCR:HEX ... [--class UUID]\n"
        "       psh-attest make-credential --ek-pub TPM2B_PUBLIC --name HEX|--object-public F\n"
        "                         --secret HEX\n"
        "                         [--out FILE (tpm2-tools format)] [--blob FILE] [--enc-secret FILE]\n"
        "       psh-attest kat-sign --pak KEY.pem --kak KEY.pem --key PUB.pem --nonce HEX\n"
        "                         --out FILE\n"
        "       psh-attest tpm-evidence --ak-public F --key-public F --certify-info F\n"
        "                         --certify-sig F --quote-info F --quote-sig F --out FILE\n"
        "                         (parsec-tpm CBOR from raw TPM outputs; kid from the AK)\n"
        "       psh-attest tpm-pubkey --public F   (PEM of an ECC TPMT_PUBLIC/TPM2B_PUBLIC)\n"
        "  ALG is sha256, sha384 or sha512; EVIDENCE/FILE may be - for stdin.\n",
        stderr);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    uint8_t *b = NULL;
    size_t cap = 0, n = 0;
    if (f == NULL) {
        fprintf(stderr, "psh-attest: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            uint8_t *q;
            if (cap >= 16u << 20)
                break;
            cap = cap ? cap * 2 : 4096;
            q = psh_realloc(b, cap + 1);
            if (q == NULL)
                break;
            b = q;
        }
        size_t r = fread(b + n, 1, cap - n, f);
        if (r == 0)
            break;
        n += r;
    }
    if (f != stdin)
        fclose(f);
    if (b != NULL)
        b[n] = 0;
    *len = n;
    return b;
}

static int write_file(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    int ok = f != NULL && fwrite(p, 1, n, f) == n;
    if (f != NULL && fclose(f) != 0)
        ok = 0;
    if (!ok)
        fprintf(stderr, "psh-attest: cannot write %s\n", path);
    return ok ? 0 : -1;
}

static int parse_hex(const char *s, uint8_t *out, size_t size, size_t *len)
{
    size_t n = strlen(s);
    if (n % 2 != 0 || n / 2 > size)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = psh_hex_nibble(s[2 * i]), lo = psh_hex_nibble(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return 0;
}

/* ALG:PCR:HEX */
static int parse_pcr(const char *s, psh_attest_pcr_ref *r)
{
    char alg[16];
    unsigned pcr;
    int off = 0;
    memset(r, 0, sizeof *r);
    if (sscanf(s, "%15[a-z0-9]:%u:%n", alg, &pcr, &off) != 2 || off == 0 || pcr > 63)
        return -1;
    r->alg = strcmp(alg, "sha256") == 0 ? 0x000B : strcmp(alg, "sha384") == 0 ? 0x000C
             : strcmp(alg, "sha512") == 0 ? 0x000D : 0;
    r->pcr = (uint8_t)pcr;
    if (r->alg == 0 || parse_hex(s + off, r->digest, sizeof r->digest, &r->digest_len) != 0)
        return -1;
    return 0;
}

/* swcomp:TYPE:HEX or config:HEX */
static int parse_cca(const char *s, psh_attest_cca_ref *r)
{
    const char *c;
    memset(r, 0, sizeof *r);
    if (strncmp(s, "config:", 7) == 0) {
        r->is_config = 1;
        return parse_hex(s + 7, r->value, sizeof r->value, &r->len);
    }
    if (strncmp(s, "swcomp:", 7) != 0 || (c = strchr(s + 7, ':')) == NULL ||
        (size_t)(c - (s + 7)) >= sizeof r->type)
        return -1;
    memcpy(r->type, s + 7, (size_t)(c - (s + 7)));
    return parse_hex(c + 1, r->value, sizeof r->value, &r->len);
}

static int bad_arg(const char *what)
{
    fprintf(stderr, "psh-attest: %s\n", what);
    return 2;
}

static int cmd_verify(int argc, char **argv)
{
    psh_attest_anchor anchors[MAX_ANCHORS];
    psh_attest_pcr_ref pcrs[MAX_PCRS];
    psh_attest_cca_ref cca[MAX_CCA];
    size_t n_cca = 0;
    psh_attest_policy pol;
    psh_attest_appraisal *ap = NULL;
    psh_attest_format fmt = PSH_ATTEST_PARSEC_TPM;
    uint8_t nonce[64], *ev = NULL;
    size_t n_anchors = 0, n_pcrs = 0, nonce_len = 0, ev_len = 0;
    const char *path = NULL;
    int have_fmt = 0, rc = 2;
    char *json;

    memset(&pol, 0, sizeof pol);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--format") == 0 && v) {
            if (psh_attest_format_from_name(v, &fmt) != 0) {
                rc = bad_arg("--format must be parsec-tpm, parsec-cca or kat");
                goto exit;
            }
            have_fmt = 1;
            i++;
        } else if (strcmp(a, "--nonce") == 0 && v) {
            if (parse_hex(v, nonce, sizeof nonce, &nonce_len) != 0 || nonce_len == 0) {
                rc = bad_arg("--nonce must be 1..64 bytes of hex");
                goto exit;
            }
            i++;
        } else if (strcmp(a, "--anchor") == 0 && v) {
            size_t len;
            uint8_t *pem;
            psh_status st;
            if (n_anchors == MAX_ANCHORS || (pem = read_file(v, &len)) == NULL) {
                rc = bad_arg("cannot read --anchor (or too many)");
                goto exit;
            }
            if (len > 3 && pem[0] == 0xd9 && pem[1] == 0x01 && pem[2] == 0xf5) {
                /* CoRIM (tag 501): its trust anchors and PCR reference values. */
                size_t before = n_anchors;
                st = psh_attest_corim_load(pem, len, anchors, MAX_ANCHORS, &n_anchors, pcrs,
                                           MAX_PCRS, &n_pcrs);
                if (st == PSH_SUCCESS)
                    st = psh_attest_corim_load_cca(pem, len, cca, MAX_CCA, &n_cca);
                if (st == PSH_SUCCESS && n_anchors == before)
                    st = PSH_ERR_PSA_INVALID_ARGUMENT;
            } else {
                st = psh_attest_anchor_from_pem(&anchors[n_anchors], pem, len);
                n_anchors++;
            }
            psh_free(pem);
            if (st != PSH_SUCCESS) {
                fprintf(stderr, "psh-attest: %s is not a PEM/DER public key or a CoRIM with a "
                                "trust anchor\n", v);
                goto exit;
            }
            i++;
        } else if (strcmp(a, "--anchor-id") == 0 && v && n_anchors > 0) {
            psh_attest_anchor *t = &anchors[n_anchors - 1];
            if (parse_hex(v, t->id, sizeof t->id, &t->id_len) != 0) {
                rc = bad_arg("--anchor-id must be hex");
                goto exit;
            }
            i++;
        } else if (strcmp(a, "--pcr-ref") == 0 && v) {
            if (n_pcrs == MAX_PCRS || parse_pcr(v, &pcrs[n_pcrs]) != 0) {
                rc = bad_arg("--pcr-ref must be ALG:PCR:HEX (e.g. sha256:0:00..00)");
                goto exit;
            }
            n_pcrs++;
            i++;
        } else if (strcmp(a, "--cca-ref") == 0 && v) {
            if (n_cca == MAX_CCA || parse_cca(v, &cca[n_cca]) != 0) {
                rc = bad_arg("--cca-ref must be swcomp:TYPE:HEX or config:HEX");
                goto exit;
            }
            n_cca++;
            i++;
        } else if (a[0] != '-' || strcmp(a, "-") == 0) {
            path = a;
        } else {
            rc = bad_arg("unknown or incomplete option for verify");
            goto exit;
        }
    }
    if (!have_fmt || path == NULL) {
        usage();
        goto exit;
    }
    if ((ev = read_file(path, &ev_len)) == NULL)
        goto exit;
    pol.nonce = nonce_len ? nonce : NULL;
    pol.nonce_len = nonce_len;
    pol.anchors = anchors;
    pol.n_anchors = n_anchors;
    pol.pcrs = pcrs;
    pol.n_pcrs = n_pcrs;
    pol.cca_refs = cca;
    pol.n_cca_refs = n_cca;
    ap = psh_malloc(sizeof *ap);
    if (ap == NULL)
        goto exit;
    psh_attest_verify(fmt, ev, ev_len, &pol, ap);
    json = psh_attest_appraisal_json(ap);
    if (json != NULL) {
        puts(json);
        free(json);
    }
    rc = psh_attest_verified(ap) ? 0 : 1;
exit:
    for (size_t i = 0; i < n_anchors; i++)
        psh_attest_anchor_free(&anchors[i]);
    psh_free(ap);
    psh_free(ev);
    return rc;
}

static int cmd_show(int argc, char **argv)
{
    size_t len;
    uint8_t *b;
    char *s = NULL;
    if (argc != 1) {
        usage();
        return 2;
    }
    if ((b = read_file(argv[0], &len)) == NULL)
        return 2;
    if (psh_attest_diag(b, len, &s) != PSH_SUCCESS) {
        fprintf(stderr, "psh-attest: %s is not well-formed CBOR (or exceeds the caps)\n", argv[0]);
        psh_free(b);
        return 1;
    }
    puts(s);
    psh_free(s);
    psh_free(b);
    return 0;
}

static int cmd_endorse(int argc, char **argv)
{
    const char *cls = "CD1F0E55-26F9-460D-B9D8-F7FDE171787C", *ak = NULL;
    psh_attest_pcr_ref pcrs[MAX_PCRS];
    size_t n_pcrs = 0, kid_len = 0;
    uint8_t kid[64];
    char *out = NULL;
    if (argc < 1) {
        usage();
        return 2;
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--class") == 0)
            cls = argv[i + 1];
        else if (strcmp(argv[i], "--ak-pub") == 0)
            ak = argv[i + 1];
        else if (strcmp(argv[i], "--kid") == 0 &&
                 parse_hex(argv[i + 1], kid, sizeof kid, &kid_len) == 0)
            ;
        else if (strcmp(argv[i], "--pcr-ref") == 0 && n_pcrs < MAX_PCRS &&
                 parse_pcr(argv[i + 1], &pcrs[n_pcrs]) == 0)
            n_pcrs++;
        else
            return bad_arg("bad endorse option");
    }
    if (strcmp(argv[0], "ta") == 0 && ak != NULL) {
        size_t len;
        uint8_t *pem = read_file(ak, &len);
        psh_attest_anchor a;
        if (pem == NULL)
            return 2;
        if (psh_attest_anchor_from_pem(&a, pem, len) != PSH_SUCCESS ||
            (kid_len == 0 && psh_attest_kid_from_pk(&a.pk, kid) != PSH_SUCCESS)) {
            psh_attest_anchor_free(&a);
            psh_free(pem);
            return bad_arg("--ak-pub is not a public key");
        }
        if (kid_len == 0)
            kid_len = 33; /* 0x01 || SHA-256(SPKI DER), docs/evidence.md */
        out = psh_attest_endorse_ta_json(cls, kid, kid_len, (const char *)pem);
        psh_attest_anchor_free(&a);
        psh_free(pem);
    } else if (strcmp(argv[0], "refval") == 0 && n_pcrs > 0) {
        out = psh_attest_endorse_refval_json(cls, pcrs, n_pcrs);
    } else {
        usage();
        return 2;
    }
    if (out == NULL)
        return 1;
    puts(out);
    free(out);
    return 0;
}

/* TPM2B_PUBLIC as tpm2-tools writes it, or a bare TPMT_PUBLIC. */
static uint8_t *read_tpmt(const char *path, size_t *len, const uint8_t **p)
{
    uint8_t *b = read_file(path, len);
    *p = b;
    if (b != NULL && *len >= 2 && ((size_t)b[0] << 8 | b[1]) == *len - 2) {
        *p = b + 2;
        *len -= 2;
    }
    return b;
}

/* tpm2-tools credential file: magic 0xBADCC0DE, version 1 (big-endian u32s), then
 * TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET, so tpm2_activatecredential -i reads it. */
static int cmd_make_credential(int argc, char **argv)
{
    const char *ekp = NULL, *out = NULL, *blobp = NULL, *secp = NULL;
    uint8_t name[66], cred[64], blob[256], sec[512], file[4 + 4 + 2 + 256 + 2 + 512];
    size_t name_len = 0, cred_len = 0, blob_len, sec_len, ek_len, n = 0;
    uint8_t *ek;
    psh_status st;
    int rc = 1;
    for (int i = 0; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--ek-pub") == 0)
            ekp = argv[i + 1];
        else if (strcmp(argv[i], "--name") == 0 &&
                 parse_hex(argv[i + 1], name, sizeof name, &name_len) == 0)
            ;
        else if (strcmp(argv[i], "--secret") == 0 &&
                 parse_hex(argv[i + 1], cred, sizeof cred, &cred_len) == 0)
            ;
        else if (strcmp(argv[i], "--object-public") == 0) {
            /* The Name of the object to activate, computed from its public area. */
            const uint8_t *p;
            size_t len;
            uint8_t *b = read_tpmt(argv[i + 1], &len, &p);
            psh_status st = b ? psh_attest_tpm_name(p, len, name, &name_len)
                              : PSH_ERR_PSA_INVALID_ARGUMENT;
            psh_free(b);
            if (st != PSH_SUCCESS)
                return bad_arg("--object-public is not a TPMT_PUBLIC/TPM2B_PUBLIC");
        } else if (strcmp(argv[i], "--out") == 0)
            out = argv[i + 1];
        else if (strcmp(argv[i], "--blob") == 0)
            blobp = argv[i + 1];
        else if (strcmp(argv[i], "--enc-secret") == 0)
            secp = argv[i + 1];
        else
            return bad_arg("bad make-credential option");
    }
    if (ekp == NULL || name_len == 0 || cred_len == 0 || (!out && !blobp && !secp)) {
        usage();
        return 2;
    }
    if ((ek = read_file(ekp, &ek_len)) == NULL)
        return 2;
    st = psh_make_credential(ek, ek_len, name, name_len, cred, cred_len, blob, sizeof blob,
                             &blob_len, sec, sizeof sec, &sec_len);
    psh_free(ek);
    if (st != PSH_SUCCESS) {
        fprintf(stderr, "psh-attest: make-credential failed: %s\n", psh_status_name(st));
        return 1;
    }
    if (out != NULL) {
        const uint8_t hdr[8] = {0xBA, 0xDC, 0xC0, 0xDE, 0, 0, 0, 1};
        memcpy(file, hdr, 8);
        n = 8;
        file[n++] = (uint8_t)(blob_len >> 8);
        file[n++] = (uint8_t)blob_len;
        memcpy(file + n, blob, blob_len);
        n += blob_len;
        file[n++] = (uint8_t)(sec_len >> 8);
        file[n++] = (uint8_t)sec_len;
        memcpy(file + n, sec, sec_len);
        n += sec_len;
        if (write_file(out, file, n) != 0)
            goto exit;
    }
    if ((blobp && write_file(blobp, blob, blob_len) != 0) ||
        (secp && write_file(secp, sec, sec_len) != 0))
        goto exit;
    rc = 0;
exit:
    return rc;
}

static int load_key(mbedtls_pk_context *pk, const char *path, int priv)
{
    size_t len;
    uint8_t *b = read_file(path, &len);
    int rc;
    if (b == NULL)
        return -1;
    rc = priv ? mbedtls_pk_parse_key(pk, b, len + 1, NULL, 0)
              : mbedtls_pk_parse_public_key(pk, b, len + 1);
    psh_free_secret(b, len + 1);
    if (rc != 0)
        fprintf(stderr, "psh-attest: %s is not a %s EC key\n", path, priv ? "private" : "public");
    return rc == 0 ? 0 : -1;
}

static int cmd_kat_sign(int argc, char **argv)
{
    const char *pakp = NULL, *kakp = NULL, *keyp = NULL, *out = NULL;
    uint8_t nonce[64], *ev = NULL;
    size_t nonce_len = 0, ev_len = 0;
    mbedtls_pk_context pak, kak, ik;
    int rc = 1;
    mbedtls_pk_init(&pak);
    mbedtls_pk_init(&kak);
    mbedtls_pk_init(&ik);
    for (int i = 0; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--pak") == 0)
            pakp = argv[i + 1];
        else if (strcmp(argv[i], "--kak") == 0)
            kakp = argv[i + 1];
        else if (strcmp(argv[i], "--key") == 0)
            keyp = argv[i + 1];
        else if (strcmp(argv[i], "--out") == 0)
            out = argv[i + 1];
        else if (strcmp(argv[i], "--nonce") == 0 &&
                 parse_hex(argv[i + 1], nonce, sizeof nonce, &nonce_len) == 0)
            ;
        else {
            rc = bad_arg("bad kat-sign option");
            goto exit;
        }
    }
    if (!pakp || !kakp || !keyp || !out || nonce_len == 0) {
        usage();
        rc = 2;
        goto exit;
    }
    if (load_key(&pak, pakp, 1) != 0 || load_key(&kak, kakp, 1) != 0 || load_key(&ik, keyp, 0) != 0)
        goto exit;
    if (psh_kat_sign(&pak, &kak, &ik, nonce, nonce_len, &ev, &ev_len) != PSH_SUCCESS) {
        fprintf(stderr, "psh-attest: kat-sign failed (EC keys and an 8..64-byte nonce needed)\n");
        goto exit;
    }
    rc = write_file(out, ev, ev_len) == 0 ? 0 : 1;
exit:
    psh_free(ev);
    mbedtls_pk_free(&pak);
    mbedtls_pk_free(&kak);
    mbedtls_pk_free(&ik);
    return rc;
}

static int cmd_tpm_evidence(int argc, char **argv)
{
    const char *names[6] = {"--ak-public", "--key-public", "--certify-info", "--certify-sig",
                            "--quote-info", "--quote-sig"};
    const char *paths[6] = {0}, *out = NULL;
    uint8_t *bufs[6] = {0}, *ev = NULL, kid[33];
    const uint8_t *views[6] = {0};
    size_t lens[6] = {0}, ev_len = 0;
    psh_tpm_evidence_parts parts;
    int rc = 1;
    for (int i = 0; i + 1 < argc; i += 2) {
        int hit = 0;
        for (int k = 0; k < 6; k++) {
            if (strcmp(argv[i], names[k]) == 0) {
                paths[k] = argv[i + 1];
                hit = 1;
            }
        }
        if (strcmp(argv[i], "--out") == 0)
            out = argv[i + 1];
        else if (!hit)
            return bad_arg("bad tpm-evidence option");
    }
    for (int k = 0; k < 6; k++) {
        if (paths[k] == NULL || out == NULL) {
            usage();
            return 2;
        }
    }
    for (int k = 0; k < 6; k++) {
        bufs[k] = k < 2 ? read_tpmt(paths[k], &lens[k], &views[k]) : read_file(paths[k], &lens[k]);
        if (k >= 2)
            views[k] = bufs[k];
        if (bufs[k] == NULL)
            goto exit;
    }
    if (psh_attest_kid_from_tpmt_public(views[0], lens[0], kid) != PSH_SUCCESS) {
        fprintf(stderr, "psh-attest: %s is not an ECC TPMT_PUBLIC\n", paths[0]);
        goto exit;
    }
    parts = (psh_tpm_evidence_parts){kid, sizeof kid, views[3], lens[3], views[1], lens[1],
                                     views[2], lens[2], views[5], lens[5], views[4], lens[4]};
    if (psh_tpm_evidence_build(&parts, &ev, &ev_len) != PSH_SUCCESS)
        goto exit;
    rc = write_file(out, ev, ev_len) == 0 ? 0 : 1;
exit:
    for (int k = 0; k < 6; k++)
        psh_free(bufs[k]);
    psh_free(ev);
    return rc;
}

static int cmd_tpm_pubkey(int argc, char **argv)
{
    uint8_t *b, spki[300];
    const uint8_t *p;
    unsigned char pem[600];
    size_t len, n, olen = 0;
    mbedtls_pk_context pk;
    int rc = 1;
    if (argc != 2 || strcmp(argv[0], "--public") != 0) {
        usage();
        return 2;
    }
    if ((b = read_tpmt(argv[1], &len, &p)) == NULL)
        return 2;
    mbedtls_pk_init(&pk);
    if (psh_attest_spki_from_tpmt_public(p, len, spki, sizeof spki, &n) == PSH_SUCCESS &&
        mbedtls_pk_parse_public_key(&pk, spki, n) == 0 &&
        mbedtls_pk_write_pubkey_pem(&pk, pem, sizeof pem) == 0) {
        olen = strlen((char *)pem);
        fwrite(pem, 1, olen, stdout);
        rc = 0;
    } else {
        fprintf(stderr, "psh-attest: %s is not an ECC TPMT_PUBLIC\n", argv[1]);
    }
    mbedtls_pk_free(&pk);
    psh_free(b);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage();
        return 2;
    }
    if (strcmp(argv[1], "verify") == 0)
        return cmd_verify(argc - 2, argv + 2);
    if (strcmp(argv[1], "show") == 0)
        return cmd_show(argc - 2, argv + 2);
    if (strcmp(argv[1], "endorse") == 0)
        return cmd_endorse(argc - 2, argv + 2);
    if (strcmp(argv[1], "make-credential") == 0)
        return cmd_make_credential(argc - 2, argv + 2);
    if (strcmp(argv[1], "kat-sign") == 0)
        return cmd_kat_sign(argc - 2, argv + 2);
    if (strcmp(argv[1], "tpm-evidence") == 0)
        return cmd_tpm_evidence(argc - 2, argv + 2);
    if (strcmp(argv[1], "tpm-pubkey") == 0)
        return cmd_tpm_pubkey(argc - 2, argv + 2);
    usage();
    return 2;
}
