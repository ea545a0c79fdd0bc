/* psh-tool key attestation commands (docs/evidence.md):
 *   prepare-attestation NAME [--name-out F] [--public-out F] [--ek-out F]
 *       PrepareKeyAttestation/ActivateCredential: the key's TPM name, TPMT_PUBLIC and the
 *       EK public key (DER RSAPublicKey); hex lines on stdout for the parts not written.
 *   activate-credential NAME (--cred-file F | --blob HEX --secret HEX) [--out F]
 *       AttestKey/ActivateCredential; --cred-file reads tpm2_makecredential's layout.
 *   attestation-key NAME [--out PEM]
 *       PrepareKeyAttestation/Evidence: the key a verifier must trust, its kid, media type.
 *   attest NAME --nonce HEX [--out F]
 *       AttestKey/Evidence: evidence over the nonce (hex on stdout without --out). */
#include "client/psh_tool.h"

#include <stdio.h>
#include <string.h>

#include <mbedtls/pk.h>

#include "psh/client_attest.h"

static int print_or_write(const char *label, const char *file, const uint8_t *p, size_t len)
{
    if (file != NULL)
        return tool_output(file, p, len);
    printf("%s: ", label);
    tool_print_hex(p, len);
    return 0;
}

int cmd_prepare_attestation(tool_ctx *ctx)
{
    const char *name_out = NULL, *pub_out = NULL, *ek_out = NULL, *attesting = NULL;
    const char *pos[1] = {NULL};
    tool_opt opts[] = {{"--name-out", &name_out, NULL},
                       {"--public-out", &pub_out, NULL},
                       {"--ek-out", &ek_out, NULL},
                       {"--attesting-key", &attesting, NULL}};
    uint8_t *n = NULL, *pub = NULL, *ek = NULL;
    size_t n_len = 0, pub_len = 0, ek_len = 0;
    psh_key_info info;
    psh_status st;
    int rc = tool_parse_args(ctx, "prepare-attestation", opts, 4, pos, 1, 1, "NAME");

    if (rc == 0)
        rc = tool_find_key(ctx, "prepare-attestation", pos[0], &info, 1);
    if (rc != 0)
        return rc;
    st = psh_client_prepare_activate_credential(&ctx->client, pos[0], attesting, &n, &n_len,
                                                &pub, &pub_len, &ek, &ek_len);
    if (st != PSH_SUCCESS)
        return tool_status("prepare-attestation", st);
    rc = print_or_write("name", name_out, n, n_len);
    if (rc == 0)
        rc = print_or_write("public", pub_out, pub, pub_len);
    if (rc == 0)
        rc = print_or_write("attesting_key_pub", ek_out, ek, ek_len);
    psh_client_free(n);
    psh_client_free(pub);
    psh_client_free(ek);
    return rc;
}

/* tpm2-tools credential file: u32 0xBADCC0DE, u32 version 1, TPM2B_ID_OBJECT,
 * TPM2B_ENCRYPTED_SECRET (all big-endian). */
static int split_cred_file(const uint8_t *f, size_t len, const uint8_t **blob, size_t *blob_len,
                           const uint8_t **sec, size_t *sec_len)
{
    size_t off = 8, n;
    if (len < 12 || f[0] != 0xBA || f[1] != 0xDC || f[2] != 0xC0 || f[3] != 0xDE)
        return -1;
    n = (size_t)f[off] << 8 | f[off + 1];
    if (len - off - 2 < n)
        return -1;
    *blob = f + off + 2;
    *blob_len = n;
    off += 2 + n;
    if (len - off < 2)
        return -1;
    n = (size_t)f[off] << 8 | f[off + 1];
    if (len - off - 2 != n)
        return -1;
    *sec = f + off + 2;
    *sec_len = n;
    return 0;
}

int cmd_activate_credential(tool_ctx *ctx)
{
    const char *cred_file = NULL, *blob_hex = NULL, *sec_hex = NULL, *out = NULL;
    const char *attesting = NULL;
    const char *pos[1] = {NULL};
    tool_opt opts[] = {{"--cred-file", &cred_file, NULL},
                       {"--blob", &blob_hex, NULL},
                       {"--secret", &sec_hex, NULL},
                       {"--out", &out, NULL},
                       {"--attesting-key", &attesting, NULL}};
    uint8_t *file = NULL, *bb = NULL, *sb = NULL, *cred = NULL;
    size_t file_len = 0, bb_len = 0, sb_len = 0, cred_len = 0;
    const uint8_t *blob = NULL, *sec = NULL;
    size_t blob_len = 0, sec_len = 0;
    psh_key_info info;
    psh_status st;
    int rc = tool_parse_args(ctx, "activate-credential", opts, 5, pos, 1, 1, "NAME");

    if (rc == 0 && (cred_file == NULL) == (blob_hex == NULL || sec_hex == NULL))
        rc = tool_usage("activate-credential: give --cred-file FILE or --blob HEX --secret HEX");
    if (rc == 0 && cred_file != NULL) {
        rc = tool_load_file(cred_file, &file, &file_len);
        if (rc == 0 && split_cred_file(file, file_len, &blob, &blob_len, &sec, &sec_len) != 0)
            rc = tool_error("%s is not a tpm2-tools credential file", cred_file);
    } else if (rc == 0) {
        rc = tool_hex_arg("--blob", blob_hex, &bb, &bb_len);
        if (rc == 0)
            rc = tool_hex_arg("--secret", sec_hex, &sb, &sb_len);
        blob = bb;
        blob_len = bb_len;
        sec = sb;
        sec_len = sb_len;
    }
    if (rc == 0)
        rc = tool_find_key(ctx, "activate-credential", pos[0], &info, 1);
    if (rc != 0)
        goto exit;
    st = psh_client_activate_credential(&ctx->client, pos[0], attesting, blob, blob_len, sec,
                                        sec_len, &cred, &cred_len);
    rc = st != PSH_SUCCESS ? tool_status("activate-credential", st)
                           : tool_output(out, cred, cred_len);
exit:
    psh_client_free(file);
    psh_client_free(bb);
    psh_client_free(sb);
    psh_client_free_secret(cred, cred_len);
    return rc;
}

int cmd_attestation_key(tool_ctx *ctx)
{
    const char *out = NULL;
    const char *pos[1] = {NULL};
    tool_opt opts[] = {{"--out", &out, NULL}};
    uint8_t *spki = NULL, *kid = NULL;
    size_t spki_len = 0, kid_len = 0;
    char *media = NULL;
    unsigned char pem[2048];
    mbedtls_pk_context pk;
    psh_key_info info;
    psh_status st;
    int rc = tool_parse_args(ctx, "attestation-key", opts, 1, pos, 1, 1, "NAME");

    mbedtls_pk_init(&pk);
    if (rc == 0)
        rc = tool_find_key(ctx, "attestation-key", pos[0], &info, 1);
    if (rc != 0)
        return rc;
    st = psh_client_prepare_evidence(&ctx->client, pos[0], &spki, &spki_len, &kid, &kid_len,
                                     &media);
    if (st != PSH_SUCCESS)
        return tool_status("attestation-key", st);
    if (mbedtls_pk_parse_public_key(&pk, spki, spki_len) != 0 ||
        mbedtls_pk_write_pubkey_pem(&pk, pem, sizeof pem) != 0) {
        rc = tool_error("attestation-key: the service returned a key that does not parse");
        goto exit;
    }
    printf("kid: ");
    tool_print_hex(kid, kid_len);
    printf("media_type: %s\n", media);
    if (out != NULL)
        rc = tool_output(out, pem, strlen((const char *)pem));
    else
        fputs((const char *)pem, stdout);
exit:
    mbedtls_pk_free(&pk);
    psh_client_free(spki);
    psh_client_free(kid);
    psh_client_free(media);
    return rc;
}

int cmd_attest(tool_ctx *ctx)
{
    const char *nonce_hex = NULL, *out = NULL;
    const char *pos[1] = {NULL};
    tool_opt opts[] = {{"--nonce", &nonce_hex, NULL}, {"--out", &out, NULL}};
    uint8_t *nonce = NULL, *ev = NULL;
    size_t nonce_len = 0, ev_len = 0;
    char *media = NULL;
    psh_key_info info;
    psh_status st;
    int rc = tool_parse_args(ctx, "attest", opts, 2, pos, 1, 1, "NAME");

    if (rc == 0 && nonce_hex == NULL)
        rc = tool_usage("attest: --nonce HEX is required (8..64 bytes, fresh per request)");
    if (rc == 0)
        rc = tool_hex_arg("--nonce", nonce_hex, &nonce, &nonce_len);
    if (rc == 0)
        rc = tool_find_key(ctx, "attest", pos[0], &info, 1);
    if (rc != 0)
        goto exit;
    st = psh_client_attest_evidence(&ctx->client, pos[0], nonce, nonce_len, &ev, &ev_len, &media);
    if (st != PSH_SUCCESS) {
        rc = tool_status("attest", st);
        goto exit;
    }
    rc = tool_output(out, ev, ev_len);
    if (rc == 0 && out != NULL)
        fprintf(stderr, "psh-tool: %zu bytes of %s evidence written to %s\n", ev_len, media, out);
exit:
    psh_client_free(nonce);
    psh_client_free(ev);
    psh_client_free(media);
    return rc;
}
