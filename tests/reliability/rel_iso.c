/* iso: every keyed opcode across applications. The owner creates one key per kind of use and
 * runs each keyed operation on it (it must succeed); then each attacker sends the same
 * operation on the owner's key name and must get DoesNotExist (another application),
 * AuthenticationError (a uid claimed that is not its own), or NotAuthenticated (no
 * identity). Attackers also try the admin operations. Under --auth unix the attacker is a
 * child process that setuid()s to --other-uid, so SO_PEERCRED really differs.
 * names: key names built to escape (separators, NUL, 64 KiB, SQL, bad UTF-8). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rel.h"

#include "attest_key.pb-c.h"
#include "prepare_key_attestation.pb-c.h"
#include "psa_aead_decrypt.pb-c.h"
#include "psa_aead_encrypt.pb-c.h"
#include "psa_cipher_decrypt.pb-c.h"
#include "psa_cipher_encrypt.pb-c.h"
#include "psa_mac_compute.pb-c.h"
#include "psa_mac_verify.pb-c.h"
#include "psa_raw_key_agreement.pb-c.h"

static int g_fail;
#define FAILF(...) (g_fail++, fprintf(stderr, "FAIL: " __VA_ARGS__), fputc('\n', stderr))

static const char *sname(psh_status st)
{
    const char *n = psh_status_name(st);
    return n ? n : "?";
}

/* Packs m and sends it as opcode with the client's identity. */
static psh_status call_pb(const psh_client *c, uint32_t op, const ProtobufCMessage *m,
                          uint8_t **out, size_t *out_len)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    uint8_t *body = NULL;
    size_t body_len = 0;
    if (buf == NULL)
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    protobuf_c_message_pack(m, buf);
    psh_status st = psh_client_call(c, c->provider, op, 1, buf, len, &body, &body_len, NULL);
    free(buf);
    if (out != NULL) {
        *out = body;
        *out_len = body_len;
    } else {
        psh_client_free(body);
    }
    return st;
}

/* Inputs the owner produced, replayed by the attackers (signatures, ciphertexts). */
typedef struct material {
    uint8_t sig[64], msig[64], rsa_ct[256], gcm_ct[64], cbc_ct[64], mac[32], ecdh_pub[65];
    size_t sig_len, msig_len, rsa_ct_len, gcm_ct_len, cbc_ct_len, mac_len, ecdh_pub_len;
} material;

static const uint8_t g_hash[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t g_msg[16] = "attack at dawn!";
static const uint8_t g_nonce[12] = {9, 9, 9};

static void keep(uint8_t *dst, size_t cap, size_t *dst_len, uint8_t *src, size_t len)
{
    *dst_len = len < cap ? len : cap;
    if (src != NULL)
        memcpy(dst, src, *dst_len);
    psh_client_free(src);
}

/* When set, every operation names this key instead (one nobody created). */
static const char *g_name_override;
#define KN(x) ((char *)(g_name_override != NULL ? g_name_override : (x)))

/* One keyed operation by index; record = 1 stores outputs in m (owner's run). */
static psh_status run_op(const psh_client *c, int idx, material *m, int record, uint32_t *op,
                         const char **label)
{
    psh_algorithm ecdsa = {.kind = PSH_ALG_ECDSA, .hash = PSH_HASH_SHA_256};
    psh_algorithm oaep = {.kind = PSH_ALG_RSA_OAEP, .hash = PSH_HASH_SHA_256};
    PsaAlgorithm__Algorithm__Aead aead = PSA_ALGORITHM__ALGORITHM__AEAD__INIT;
    PsaAlgorithm__Algorithm__Mac mac = PSA_ALGORITHM__ALGORITHM__MAC__INIT;
    PsaAlgorithm__Algorithm__Mac__FullLength full = PSA_ALGORITHM__ALGORITHM__MAC__FULL_LENGTH__INIT;
    PsaAlgorithm__Algorithm__Mac__FullLength__Hmac hmac =
        PSA_ALGORITHM__ALGORITHM__MAC__FULL_LENGTH__HMAC__INIT;
    uint8_t *out = NULL;
    size_t out_len = 0;
    psh_status st = PSH_ERR_CORRUPTION;

    aead.variant_case = PSA_ALGORITHM__ALGORITHM__AEAD__VARIANT_AEAD_WITH_DEFAULT_LENGTH_TAG;
    aead.aead_with_default_length_tag = PSA_ALGORITHM__ALGORITHM__AEAD__AEAD_WITH_DEFAULT_LENGTH_TAG__GCM;
    hmac.hash_alg = PSA_ALGORITHM__ALGORITHM__HASH__SHA_256;
    full.variant_case = PSA_ALGORITHM__ALGORITHM__MAC__FULL_LENGTH__VARIANT_HMAC;
    full.hmac = &hmac;
    mac.variant_case = PSA_ALGORITHM__ALGORITHM__MAC__VARIANT_FULL_LENGTH;
    mac.full_length = &full;

    switch (idx) {
    case 0:
        *op = PSH_OP_PSA_SIGN_HASH, *label = "PsaSignHash";
        st = psh_client_sign_hash(c, KN("iso-ecc"), &ecdsa, g_hash, 32, &out, &out_len);
        if (record && st == PSH_SUCCESS)
            keep(m->sig, sizeof m->sig, &m->sig_len, out, out_len);
        else
            psh_client_free(out);
        return st;
    case 1:
        *op = PSH_OP_PSA_VERIFY_HASH, *label = "PsaVerifyHash";
        return psh_client_verify_hash(c, KN("iso-ecc"), &ecdsa, g_hash, 32, m->sig, m->sig_len);
    case 2:
        *op = PSH_OP_PSA_SIGN_MESSAGE, *label = "PsaSignMessage";
        st = psh_client_sign_message(c, KN("iso-ecc"), &ecdsa, g_msg, 16, &out, &out_len);
        if (record && st == PSH_SUCCESS)
            keep(m->msig, sizeof m->msig, &m->msig_len, out, out_len);
        else
            psh_client_free(out);
        return st;
    case 3:
        *op = PSH_OP_PSA_VERIFY_MESSAGE, *label = "PsaVerifyMessage";
        return psh_client_verify_message(c, KN("iso-ecc"), &ecdsa, g_msg, 16, m->msig, m->msig_len);
    case 4:
        *op = PSH_OP_PSA_EXPORT_PUBLIC_KEY, *label = "PsaExportPublicKey";
        st = psh_client_export_public_key(c, KN("iso-ecdh"), &out, &out_len);
        if (record && st == PSH_SUCCESS)
            keep(m->ecdh_pub, sizeof m->ecdh_pub, &m->ecdh_pub_len, out, out_len);
        else
            psh_client_free(out);
        return st;
    case 5:
        *op = PSH_OP_PSA_EXPORT_KEY, *label = "PsaExportKey";
        st = psh_client_export_key(c, KN("iso-ecc"), &out, &out_len);
        psh_client_free_secret(out, out_len);
        return st;
    case 6:
        *op = PSH_OP_PSA_ASYMMETRIC_ENCRYPT, *label = "PsaAsymmetricEncrypt";
        st = psh_client_asymmetric_encrypt(c, KN("iso-rsa"), &oaep, g_msg, 16, NULL, 0, &out, &out_len);
        if (record && st == PSH_SUCCESS)
            keep(m->rsa_ct, sizeof m->rsa_ct, &m->rsa_ct_len, out, out_len);
        else
            psh_client_free(out);
        return st;
    case 7:
        *op = PSH_OP_PSA_ASYMMETRIC_DECRYPT, *label = "PsaAsymmetricDecrypt";
        st = psh_client_asymmetric_decrypt(c, KN("iso-rsa"), &oaep, m->rsa_ct, m->rsa_ct_len, NULL, 0,
                                           &out, &out_len);
        if (st == PSH_SUCCESS && (out_len != 16 || memcmp(out, g_msg, 16) != 0))
            st = PSH_ERR_PSA_CORRUPTION_DETECTED;
        psh_client_free_secret(out, out_len);
        return st;
    case 8: {
        *op = 17, *label = "PsaAeadEncrypt";
        PsaAeadEncrypt__Operation o = PSA_AEAD_ENCRYPT__OPERATION__INIT;
        o.key_name = KN("iso-gcm");
        o.alg = &aead;
        o.nonce.data = (uint8_t *)g_nonce, o.nonce.len = 12;
        o.plaintext.data = (uint8_t *)g_msg, o.plaintext.len = 16;
        st = call_pb(c, 17, &o.base, &out, &out_len);
        if (st == PSH_SUCCESS && record) {
            PsaAeadEncrypt__Result *r = psa_aead_encrypt__result__unpack(NULL, out_len, out);
            if (r != NULL) {
                m->gcm_ct_len = r->ciphertext.len < 64 ? r->ciphertext.len : 64;
                memcpy(m->gcm_ct, r->ciphertext.data, m->gcm_ct_len);
            }
            psa_aead_encrypt__result__free_unpacked(r, NULL);
        }
        psh_client_free(out);
        return st;
    }
    case 9: {
        *op = 18, *label = "PsaAeadDecrypt";
        PsaAeadDecrypt__Operation o = PSA_AEAD_DECRYPT__OPERATION__INIT;
        o.key_name = KN("iso-gcm");
        o.alg = &aead;
        o.nonce.data = (uint8_t *)g_nonce, o.nonce.len = 12;
        o.ciphertext.data = m->gcm_ct, o.ciphertext.len = m->gcm_ct_len;
        return call_pb(c, 18, &o.base, NULL, NULL);
    }
    case 10: {
        *op = 20, *label = "PsaCipherEncrypt";
        PsaCipherEncrypt__Operation o = PSA_CIPHER_ENCRYPT__OPERATION__INIT;
        o.key_name = KN("iso-cbc");
        o.alg = PSA_ALGORITHM__ALGORITHM__CIPHER__CBC_PKCS7;
        o.plaintext.data = (uint8_t *)g_msg, o.plaintext.len = 16;
        st = call_pb(c, 20, &o.base, &out, &out_len);
        if (st == PSH_SUCCESS && record) {
            PsaCipherEncrypt__Result *r = psa_cipher_encrypt__result__unpack(NULL, out_len, out);
            if (r != NULL) {
                m->cbc_ct_len = r->ciphertext.len < 64 ? r->ciphertext.len : 64;
                memcpy(m->cbc_ct, r->ciphertext.data, m->cbc_ct_len);
            }
            psa_cipher_encrypt__result__free_unpacked(r, NULL);
        }
        psh_client_free(out);
        return st;
    }
    case 11: {
        *op = 21, *label = "PsaCipherDecrypt";
        PsaCipherDecrypt__Operation o = PSA_CIPHER_DECRYPT__OPERATION__INIT;
        o.key_name = KN("iso-cbc");
        o.alg = PSA_ALGORITHM__ALGORITHM__CIPHER__CBC_PKCS7;
        o.ciphertext.data = m->cbc_ct, o.ciphertext.len = m->cbc_ct_len;
        return call_pb(c, 21, &o.base, NULL, NULL);
    }
    case 12: {
        *op = 22, *label = "PsaMacCompute";
        PsaMacCompute__Operation o = PSA_MAC_COMPUTE__OPERATION__INIT;
        o.key_name = KN("iso-hmac");
        o.alg = &mac;
        o.input.data = (uint8_t *)g_msg, o.input.len = 16;
        st = call_pb(c, 22, &o.base, &out, &out_len);
        if (st == PSH_SUCCESS && record) {
            PsaMacCompute__Result *r = psa_mac_compute__result__unpack(NULL, out_len, out);
            if (r != NULL) {
                m->mac_len = r->mac.len < 32 ? r->mac.len : 32;
                memcpy(m->mac, r->mac.data, m->mac_len);
            }
            psa_mac_compute__result__free_unpacked(r, NULL);
        }
        psh_client_free(out);
        return st;
    }
    case 13: {
        *op = 23, *label = "PsaMacVerify";
        PsaMacVerify__Operation o = PSA_MAC_VERIFY__OPERATION__INIT;
        o.key_name = KN("iso-hmac");
        o.alg = &mac;
        o.input.data = (uint8_t *)g_msg, o.input.len = 16;
        o.mac.data = m->mac, o.mac.len = m->mac_len;
        return call_pb(c, 23, &o.base, NULL, NULL);
    }
    case 14: {
        *op = 19, *label = "PsaRawKeyAgreement";
        PsaRawKeyAgreement__Operation o = PSA_RAW_KEY_AGREEMENT__OPERATION__INIT;
        o.private_key_name = KN("iso-ecdh");
        o.alg = PSA_ALGORITHM__ALGORITHM__KEY_AGREEMENT__RAW__ECDH;
        o.peer_key.data = m->ecdh_pub, o.peer_key.len = m->ecdh_pub_len;
        st = call_pb(c, 19, &o.base, &out, &out_len);
        psh_client_free_secret(out, out_len);
        return st;
    }
    case 15: {
        *op = 30, *label = "AttestKey";
        AttestKey__Operation o = ATTEST_KEY__OPERATION__INIT;
        o.attested_key_name = KN("iso-ecc");
        return call_pb(c, 30, &o.base, NULL, NULL);
    }
    case 16: {
        *op = 31, *label = "PrepareKeyAttestation";
        PrepareKeyAttestation__Operation o = PREPARE_KEY_ATTESTATION__OPERATION__INIT;
        PrepareKeyAttestation__PrepareKeyAttestationParams p =
            PREPARE_KEY_ATTESTATION__PREPARE_KEY_ATTESTATION_PARAMS__INIT;
        PrepareKeyAttestation__PrepareKeyAttestationParams__ActivateCredential ac =
            PREPARE_KEY_ATTESTATION__PREPARE_KEY_ATTESTATION_PARAMS__ACTIVATE_CREDENTIAL__INIT;
        ac.attested_key_name = KN("iso-ecc");
        p.mechanism_case =
            PREPARE_KEY_ATTESTATION__PREPARE_KEY_ATTESTATION_PARAMS__MECHANISM_ACTIVATE_CREDENTIAL;
        p.activate_credential = &ac;
        o.parameters = &p;
        return call_pb(c, 31, &o.base, NULL, NULL);
    }
    case 17:
        *op = PSH_OP_PSA_DESTROY_KEY, *label = "PsaDestroyKey";
        return psh_client_destroy_key(c, KN("iso-ecc"));
    }
    return PSH_ERR_CORRUPTION;
}
#define OP_COUNT 18
#define OP_DESTROY 17

/* The key each operation index uses. */
static const char *op_key(int idx)
{
    static const char *const k[OP_COUNT] = {
        "iso-ecc", "iso-ecc", "iso-ecc", "iso-ecc", "iso-ecdh", "iso-ecc", "iso-rsa", "iso-rsa",
        "iso-gcm", "iso-gcm", "iso-cbc", "iso-cbc", "iso-hmac", "iso-hmac", "iso-ecdh",
        "iso-ecc", "iso-ecc", "iso-ecc"};
    return k[idx];
}

/* Keys the provider could create; operations on the others are skipped (reported). */
static char g_have[6][16];
static int g_nhave;

static int have_key(const char *name)
{
    for (int i = 0; i < g_nhave; i++)
        if (strcmp(g_have[i], name) == 0)
            return 1;
    return 0;
}

/* What the owner got for each operation before the attacks (some providers do not serve
 * every operation: NotSupported / NotPermitted there is the provider's answer, and the
 * attackers must still see DoesNotExist, since key lookup comes first). */
static psh_status g_owner[OP_COUNT];

static int create_keys(const psh_client *c)
{
    struct {
        const char *name;
        psh_key_attributes a;
    } k[5];
    memset(k, 0, sizeof k);
    k[0].name = "iso-rsa";
    k[0].a = (psh_key_attributes){PSH_KEY_TYPE_RSA_KEY_PAIR, 0, 2048,
                                  PSH_USAGE_ENCRYPT | PSH_USAGE_DECRYPT,
                                  {PSH_ALG_RSA_OAEP, PSH_HASH_SHA_256, 0, 0}};
    k[1].name = "iso-gcm";
    k[1].a = (psh_key_attributes){PSH_KEY_TYPE_AES, 0, 128, PSH_USAGE_ENCRYPT | PSH_USAGE_DECRYPT,
                                  {PSH_ALG_AEAD, 0, 2, 0}};
    k[2].name = "iso-cbc";
    k[2].a = (psh_key_attributes){PSH_KEY_TYPE_AES, 0, 128, PSH_USAGE_ENCRYPT | PSH_USAGE_DECRYPT,
                                  {PSH_ALG_CIPHER, 0, 8, 0}};
    k[3].name = "iso-hmac";
    k[3].a = (psh_key_attributes){PSH_KEY_TYPE_HMAC, 0, 256,
                                  PSH_USAGE_SIGN_MESSAGE | PSH_USAGE_VERIFY_MESSAGE,
                                  {PSH_ALG_HMAC, PSH_HASH_SHA_256, 0, 0}};
    k[4].name = "iso-ecdh";
    k[4].a = (psh_key_attributes){PSH_KEY_TYPE_ECC_KEY_PAIR, PSH_ECC_FAMILY_SECP_R1, 256,
                                  PSH_USAGE_DERIVE, {PSH_ALG_ECDH, 0, 0, 0}};
    psh_key_attributes ecc;
    rel_ecc_attrs(&ecc);
    psh_status st = psh_client_generate_key(c, "iso-ecc", &ecc);
    if (st != PSH_SUCCESS) {
        FAILF("owner: GenerateKey iso-ecc: %s", sname(st));
        return -1;
    }
    snprintf(g_have[g_nhave++], sizeof g_have[0], "iso-ecc");
    for (int i = 0; i < 5; i++) {
        st = psh_client_generate_key(c, k[i].name, &k[i].a);
        if (st == PSH_ERR_PSA_NOT_SUPPORTED) {
            printf("iso: this provider cannot create %s (NotSupported): its operations are skipped\n",
                   k[i].name);
            continue;
        }
        if (st != PSH_SUCCESS) {
            FAILF("owner: GenerateKey %s: %s", k[i].name, sname(st));
            return -1;
        }
        snprintf(g_have[g_nhave++], sizeof g_have[0], "%s", k[i].name);
    }
    return 0;
}

/* Each keyed op by an attacker: want is the only acceptable status. */
static void attack(const psh_client *c, material *m, const char *who, psh_status want)
{
    int tried = 0;
    for (int i = 0; i < OP_COUNT; i++) {
        uint32_t op = 0;
        const char *label = "?";
        if (!have_key(op_key(i)))
            continue;
        tried++;
        psh_status st = run_op(c, i, m, 0, &op, &label);
        /* The owner's key must look exactly like no key at all. */
        g_name_override = "iso-nobody-has-this";
        psh_status none = run_op(c, i, m, 0, &op, &label);
        g_name_override = NULL;
        if (st != none)
            FAILF("%s: %s (opcode %u): the owner's key answers %s, a missing key %s", who, label,
                  op, sname(st), sname(none));
        /* An operation this provider does not serve at all may say so before the lookup. */
        int unserved = want == PSH_ERR_PSA_DOES_NOT_EXIST && st == PSH_ERR_PSA_NOT_SUPPORTED &&
                       g_owner[i] == PSH_ERR_PSA_NOT_SUPPORTED;
        if (st != want && !unserved)
            FAILF("%s: %s (opcode %u) on the owner's key: got %s, want %s", who, label, op,
                  sname(st), sname(want));
    }
    /* Admin operations from a non-admin. */
    char **clients = NULL;
    size_t n = 0;
    psh_status st = psh_client_list_clients(c, &clients, &n);
    psh_client_free_strings(clients, n);
    psh_status admin_want = want == PSH_ERR_PSA_DOES_NOT_EXIST ? PSH_ERR_ADMIN_OPERATION : want;
    if (st != admin_want)
        FAILF("%s: ListClients: got %s, want %s", who, sname(st), sname(admin_want));
    st = psh_client_delete_client(c, "iso-alice");
    if (st != admin_want)
        FAILF("%s: DeleteClient: got %s, want %s", who, sname(st), sname(admin_want));
    psh_key_info *keys = NULL;
    st = psh_client_list_keys(c, &keys, &n);
    if (want == PSH_ERR_PSA_DOES_NOT_EXIST && (st != PSH_SUCCESS || n != 0))
        FAILF("%s: ListKeys shows %zu keys (%s), want none", who, n, sname(st));
    psh_client_free_key_infos(keys, n);
    printf("iso: %s: %d keyed opcodes + 2 admin opcodes refused as %s\n", who, tried, sname(want));
}

int rel_iso(const rel_opts *o)
{
    psh_client owner, other;
    material m;
    int unix_auth = strcmp(o->auth, "unix") == 0;
    memset(&m, 0, sizeof m);
    if (rel_client(&owner, o, "iso-alice") != 0)
        return 2;
    if (create_keys(&owner) != 0)
        return 1;
    for (int i = 0; i < OP_COUNT - 1; i++) {
        uint32_t op = 0;
        const char *label = "?";
        if (!have_key(op_key(i)))
            continue;
        psh_status st = run_op(&owner, i, &m, 1, &op, &label);
        g_owner[i] = st;
        if (st == PSH_ERR_PSA_DOES_NOT_EXIST || st == PSH_ERR_CONNECTION_ERROR)
            FAILF("owner: %s (opcode %u) on its own key: %s", label, op, sname(st));
        else if (st != PSH_SUCCESS)
            printf("iso: owner: %s (opcode %u) answers %s with this provider\n", label, op,
                   sname(st));
    }
    other = owner;
    if (!unix_auth) {
        snprintf(other.app_name, sizeof other.app_name, "iso-bob");
        attack(&other, &m, "another application (Direct)", PSH_ERR_PSA_DOES_NOT_EXIST);
        other.auth_type = PSH_AUTH_NONE;
        attack(&other, &m, "no identity (NoAuth)", PSH_ERR_NOT_AUTHENTICATED);
    } else {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            if (setgid(o->other_uid) != 0 || setuid(o->other_uid) != 0) {
                perror("setuid");
                _exit(2);
            }
            other.uid = o->other_uid;
            attack(&other, &m, "another uid (UnixPeerCredentials)", PSH_ERR_PSA_DOES_NOT_EXIST);
            other.uid = 0; /* claims the owner's uid */
            attack(&other, &m, "another uid claiming uid 0", PSH_ERR_AUTHENTICATION_ERROR);
            other.auth_type = PSH_AUTH_NONE;
            attack(&other, &m, "no identity (NoAuth)", PSH_ERR_NOT_AUTHENTICATED);
            fflush(stdout);
            _exit(g_fail == 0 ? 0 : 1);
        }
        int ws = 0;
        if (pid < 0 || waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
            FAILF("the attacker process failed (see above)");
    }
    /* The owner's keys all survived the attacks, then the owner may destroy them. */
    for (int i = 0; i < OP_COUNT; i++) {
        uint32_t op = 0;
        const char *label = "?";
        if (!have_key(op_key(i)))
            continue;
        psh_status st = run_op(&owner, i, &m, 0, &op, &label);
        psh_status want = i == OP_DESTROY ? PSH_SUCCESS : g_owner[i];
        /* Signatures and ciphertexts may differ run to run; what they answer may not. */
        if (st != want)
            FAILF("owner after the attacks: %s: %s, before: %s", label, sname(st), sname(want));
    }
    const char *rest[] = {"iso-rsa", "iso-gcm", "iso-cbc", "iso-hmac", "iso-ecdh"};
    for (int i = 0; i < 5; i++)
        if (have_key(rest[i]) && psh_client_destroy_key(&owner, rest[i]) != PSH_SUCCESS)
            FAILF("owner: cannot destroy %s", rest[i]);
    printf("iso: %s, %d failures\n", unix_auth ? "unix peer credentials" : "direct", g_fail);
    return g_fail == 0 ? 0 : 1;
}
