/* CoMID JSON in the shape of Veraison's corim templates (the parsec-tpm profile): a trust
 * anchor (attester-verification-keys: class UUID, instance bytes = kid, PEM AK) and
 * reference values (one measurement per PCR: key uint = PCR index, digests [[alg, b64url]]). */
#include "attest.h"

#include <jansson.h>
#include <string.h>

#include <mbedtls/base64.h>

static json_t *b64(const uint8_t *p, size_t n, int url)
{
    unsigned char buf[256];
    size_t olen = 0;
    if (mbedtls_base64_encode(buf, sizeof buf, &olen, p, n) != 0)
        return json_null();
    if (url) {
        while (olen > 0 && buf[olen - 1] == '=')
            olen--;
        for (size_t i = 0; i < olen; i++)
            buf[i] = buf[i] == '+' ? '-' : buf[i] == '/' ? '_' : buf[i];
    }
    return json_stringn((const char *)buf, olen);
}

static json_t *comid_head(const char *tag_id)
{
    return json_pack("{s:{s:s}, s:[{s:s, s:s, s:[s,s,s]}]}", "tag-identity", "id", tag_id,
                     "entities", "name", "parsec-harness", "regid",
                     "https://github.com/parallaxsecond", "roles", "tagCreator", "creator",
                     "maintainer");
}

static json_t *class_env(const char *class_uuid)
{
    return json_pack("{s:{s:{s:s, s:s}}}", "class", "id", "type", "uuid", "value", class_uuid);
}

static char *dump(json_t *j)
{
    char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    return s;
}

char *psh_attest_endorse_ta_json(const char *class_uuid, const uint8_t *kid, size_t kid_len,
                                 const char *pem)
{
    json_t *c = comid_head("EEE06F93-E982-4DBC-9585-620A816C2E59"), *env;
    if (c == NULL || kid_len == 0 || kid_len > 64)
        return dump(c), NULL;
    env = class_env(class_uuid);
    json_object_set_new(env, "instance", json_pack("{s:s, s:o}", "type", "bytes", "value",
                                                    b64(kid, kid_len, 0)));
    json_object_set_new(c, "triples", json_pack("{s:[{s:o, s:[{s:s, s:s}]}]}",
                                                "attester-verification-keys", "environment", env,
                                                "verification-keys", "type", "pkix-base64-key",
                                                "value", pem));
    return dump(c);
}

char *psh_attest_endorse_refval_json(const char *class_uuid, const psh_attest_pcr_ref *pcrs,
                                     size_t n)
{
    json_t *c = comid_head("99019224-57AA-44BC-BEF8-D36BDD6BD035"), *ms = json_array();
    for (size_t i = 0; i < n; i++) {
        /* IANA Named Information hash ids: 1 sha-256, 7 sha-384, 8 sha-512. */
        int alg = pcrs[i].alg == 0x000B ? 1 : pcrs[i].alg == 0x000C ? 7 : 8;
        json_t *m = NULL;
        for (size_t j = 0; j < json_array_size(ms); j++) {
            json_t *k = json_object_get(json_array_get(ms, j), "key");
            if (json_integer_value(json_object_get(k, "value")) == pcrs[i].pcr)
                m = json_array_get(ms, j);
        }
        if (m == NULL) {
            m = json_pack("{s:{s:s, s:i}, s:{s:[]}}", "key", "type", "uint", "value",
                          (int)pcrs[i].pcr, "value", "digests");
            json_array_append_new(ms, m);
        }
        json_array_append_new(json_object_get(json_object_get(m, "value"), "digests"),
                              json_pack("[i, o]", alg,
                                        b64(pcrs[i].digest, pcrs[i].digest_len, 1)));
    }
    json_object_set_new(c, "triples", json_pack("{s:[{s:o, s:o}]}", "reference-values",
                                                "environment", class_env(class_uuid),
                                                "measurements", ms));
    return dump(c);
}
