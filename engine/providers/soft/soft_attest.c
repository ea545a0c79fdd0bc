/* KAT evidence from the soft provider (docs/evidence.md "Our KAT format"): a key attestation
 * key (KAK) and a platform attestation key (PAK), both ECDSA P-256, held by this provider in a
 * provider-private file next to the KIM (`<kim_path>.soft-attest.pem`, mode 0600, two PEM EC
 * private keys: PAK then KAK). The file is created on the first attestation request and read
 * on later ones, so the PAK a verifier was given stays valid across restarts; it is not a key
 * in the KIM, so no application can list, use or delete it. An in-memory KIM (":memory:",
 * fuzzing and unit tests) gets in-memory keys for the life of the process.
 *
 * Per request: psh_kat_sign(PAK, KAK, attested key's public key, nonce) = the CMW collection.
 * Only ECC SECP_R1 keys can be attested: the KAT's cnf claim carries an EC2 COSE_Key. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>

#include "attest.h"
#include "providers/soft/soft_internal.h"
#include "util/alloc.h"

#define PSH_LOGMODULE soft
#include "util/log.h"

#define MEDIA_TYPE_KAT "application/cmw+cbor"
#define KEYS_SUFFIX ".soft-attest.pem"

static struct {
    pthread_mutex_t mu;
    char path[PSH_PATH_MAX + 32]; /* "" = in memory */
    int loaded;
    mbedtls_pk_context pak, kak;
} g = {PTHREAD_MUTEX_INITIALIZER, "", 0, {0}, {0}};

void soft_attest_set_kim_path(const char *kim_path)
{
    pthread_mutex_lock(&g.mu);
    if (g.loaded) {
        mbedtls_pk_free(&g.pak);
        mbedtls_pk_free(&g.kak);
        g.loaded = 0;
    }
    if (kim_path == NULL || kim_path[0] == '\0' || strcmp(kim_path, ":memory:") == 0)
        g.path[0] = '\0';
    else
        snprintf(g.path, sizeof g.path, "%s%s", kim_path, KEYS_SUFFIX);
    pthread_mutex_unlock(&g.mu);
}

static int rng(void *arg, unsigned char *out, size_t len)
{
    (void)arg;
    return soft_generate_random(NULL, out, len) == PSH_SUCCESS ? 0 : -1;
}

static int gen_p256(mbedtls_pk_context *pk)
{
    mbedtls_pk_init(pk);
    return mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
                   mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk), rng, NULL) != 0
               ? -1
               : 0;
}

/* Two PEM private keys, PAK first. */
static int load_file(const char *path)
{
    static const char end[] = "-----END EC PRIVATE KEY-----";
    unsigned char buf[2048];
    ssize_t n;
    char *split;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;
    if (fd < 0)
        return 1; /* absent: create */
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        goto exit;
    buf[n] = '\0';
    split = strstr((char *)buf, end);
    if (split == NULL)
        goto exit;
    split += sizeof end - 1;
    {
        char save = *split;
        size_t first = (size_t)(split - (char *)buf);
        *split = '\0';
        mbedtls_pk_init(&g.pak);
        mbedtls_pk_init(&g.kak);
        if (mbedtls_pk_parse_key(&g.pak, buf, first + 1, NULL, 0) != 0)
            goto exit;
        *split = save;
        if (mbedtls_pk_parse_key(&g.kak, (unsigned char *)split, (size_t)n - first + 1, NULL,
                                 0) != 0)
            goto exit;
    }
    rc = 0;
exit:
    mbedtls_platform_zeroize(buf, sizeof buf);
    if (rc != 0)
        LOG_ERROR("%s does not hold the provider's two attestation keys", path);
    return rc;
}

static int save_file(const char *path)
{
    unsigned char a[800], b[800];
    int fd, rc = -1;
    if (mbedtls_pk_write_key_pem(&g.pak, a, sizeof a) != 0 ||
        mbedtls_pk_write_key_pem(&g.kak, b, sizeof b) != 0)
        goto exit;
    /* O_EXCL: two services on one KIM must not overwrite each other's keys. */
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        goto exit;
    if (write(fd, a, strlen((char *)a)) == (ssize_t)strlen((char *)a) &&
        write(fd, b, strlen((char *)b)) == (ssize_t)strlen((char *)b) && fsync(fd) == 0)
        rc = 0;
    close(fd);
    if (rc != 0)
        unlink(path);
exit:
    mbedtls_platform_zeroize(a, sizeof a);
    mbedtls_platform_zeroize(b, sizeof b);
    return rc;
}

/* With g.mu held. */
static psh_status keys_ready(void)
{
    int r;
    if (g.loaded)
        return PSH_SUCCESS;
    r = g.path[0] != '\0' ? load_file(g.path) : 1;
    if (r == 1) {
        if (gen_p256(&g.pak) != 0 || gen_p256(&g.kak) != 0 ||
            (g.path[0] != '\0' && save_file(g.path) != 0 && load_file(g.path) != 0)) {
            mbedtls_pk_free(&g.pak);
            mbedtls_pk_free(&g.kak);
            LOG_ERROR("cannot create the attestation keys%s%s", g.path[0] ? " in " : "", g.path);
            return PSH_ERR_PSA_STORAGE_FAILURE;
        }
    } else if (r != 0) {
        mbedtls_pk_free(&g.pak);
        mbedtls_pk_free(&g.kak);
        return PSH_ERR_PSA_STORAGE_FAILURE;
    }
    g.loaded = 1;
    return PSH_SUCCESS;
}

psh_status soft_attest_anchor(void *ctx, psh_attest_anchor_out *out)
{
    unsigned char der[600];
    int n;
    psh_status st;
    (void)ctx;
    pthread_mutex_lock(&g.mu);
    st = keys_ready();
    if (st == PSH_SUCCESS) {
        n = mbedtls_pk_write_pubkey_der(&g.pak, der, sizeof der);
        if (n <= 0 || (size_t)n > sizeof out->spki) {
            st = PSH_ERR_PSA_GENERIC;
        } else {
            memcpy(out->spki, der + sizeof der - n, (size_t)n); /* written at the end */
            out->spki_len = (size_t)n;
            st = psh_attest_kid_from_pk(&g.pak, out->kid);
            out->kid_len = 33;
        }
    }
    pthread_mutex_unlock(&g.mu);
    out->media_type = MEDIA_TYPE_KAT;
    return st;
}

psh_status soft_attest_evidence(void *ctx, const psh_key_ref *key, const uint8_t *nonce,
                                size_t nonce_len, uint8_t **ev, size_t *ev_len,
                                const char **media_type)
{
    uint8_t pt[PSA_EXPORT_PUBLIC_KEY_MAX_SIZE];
    size_t pt_len = 0;
    mbedtls_pk_context ik;
    psh_status st;

    *ev = NULL;
    *ev_len = 0;
    *media_type = MEDIA_TYPE_KAT;
    mbedtls_pk_init(&ik);
    st = soft_export_public_key(ctx, key, pt, sizeof pt, &pt_len);
    if (st == PSH_SUCCESS)
        st = !PSA_KEY_TYPE_IS_ECC(key->attrs->type) ||
                     PSA_KEY_TYPE_ECC_GET_FAMILY(key->attrs->type) != PSA_ECC_FAMILY_SECP_R1
                 ? PSH_ERR_PSA_NOT_SUPPORTED /* the KAT's cnf is an EC2 COSE_Key */
                 : psh_attest_pk_from_point(key->attrs->bits, pt, pt_len, &ik);
    if (st == PSH_SUCCESS) {
        pthread_mutex_lock(&g.mu);
        st = keys_ready();
        if (st == PSH_SUCCESS)
            st = psh_kat_sign(&g.pak, &g.kak, &ik, nonce, nonce_len, ev, ev_len);
        pthread_mutex_unlock(&g.mu);
    }
    mbedtls_pk_free(&ik);
    return st;
}
