/* Trust anchors and PCR reference values from an unsigned CoRIM (tag 501) as Veraison's
 * parsec-tpm / parsec-cca profiles provision them (attestation.md sec 1.7):
 *   corim {1: [506(bstr .cbor comid)...]}; comid {4: triples}
 *   triples {0: reference-triples [[env, [measurement...]]],
 *            3: attest-key-triples [[env {1: instance 560(bytes)/550(ueid)}, [554(PEM)...]]]}
 *   measurement {0: uint PCR index, 1: {2: digests [[alg-id, bstr]...]}} */
#include "internal.h"

#include <string.h>

#include "cbor_bounded.h"

static uint16_t tpm_alg_of_iana(int64_t id)
{
    return id == 1 ? 0x000B : id == 7 ? 0x000C : id == 8 ? 0x000D : 0;
}

static void add_keys(const cbor_item_t *rec, psh_attest_anchor *an, size_t max, size_t *n)
{
    cbor_item_t **r = cbor_array_handle(rec), *inst = NULL, *id;
    const uint8_t *idp = NULL;
    size_t idl = 0;
    if (psh_cbor_map_int(r[0], 1, &inst) == 1) {
        id = psh_cbor_untag(inst, 560);
        if (id == NULL)
            id = psh_cbor_untag(inst, 550);
        if (psh_cbor_bytes(id, &idp, &idl) != 0 || idl > sizeof an[0].id)
            idp = NULL;
    }
    if (!cbor_isa_array(r[1]))
        return;
    for (size_t k = 0; k < cbor_array_size(r[1]) && *n < max; k++) {
        cbor_item_t *pem = psh_cbor_untag(cbor_array_handle(r[1])[k], 554);
        if (pem == NULL || !cbor_isa_string(pem))
            continue; /* another key type: nothing was initialised (fuzz_evidence crash) */
        if (psh_attest_anchor_from_pem(&an[*n], cbor_string_handle(pem),
                                       cbor_string_length(pem)) != PSH_SUCCESS) {
            psh_attest_anchor_free(&an[*n]);
            continue;
        }
        if (idp != NULL) {
            memcpy(an[*n].id, idp, idl);
            an[*n].id_len = idl;
        }
        (*n)++;
    }
}

static void add_refs(const cbor_item_t *rec, psh_attest_pcr_ref *pcrs, size_t max, size_t *n)
{
    cbor_item_t *ms = cbor_array_handle(rec)[1];
    if (!cbor_isa_array(ms))
        return;
    for (size_t i = 0; i < cbor_array_size(ms); i++) {
        cbor_item_t *m = cbor_array_handle(ms)[i], *k = NULL, *v = NULL, *d = NULL;
        int64_t pcr;
        if (psh_cbor_map_int(m, 0, &k) != 1 || psh_cbor_int(k, &pcr) != 0 || pcr < 0 ||
            pcr > 255 || psh_cbor_map_int(m, 1, &v) != 1 || psh_cbor_map_int(v, 2, &d) != 1 ||
            !cbor_isa_array(d))
            continue; /* not a PCR measurement (e.g. CCA string keys) */
        for (size_t j = 0; j < cbor_array_size(d) && *n < max; j++) {
            cbor_item_t *e = cbor_array_handle(d)[j];
            int64_t alg;
            const uint8_t *dg;
            size_t dl;
            if (!cbor_isa_array(e) || cbor_array_size(e) != 2 ||
                psh_cbor_int(cbor_array_handle(e)[0], &alg) != 0 ||
                tpm_alg_of_iana(alg) == 0 || psh_cbor_bytes(cbor_array_handle(e)[1], &dg, &dl) != 0 ||
                dl > sizeof pcrs[0].digest)
                continue;
            pcrs[*n].alg = tpm_alg_of_iana(alg);
            pcrs[*n].pcr = (uint8_t)pcr;
            memcpy(pcrs[*n].digest, dg, dl);
            pcrs[*n].digest_len = dl;
            (*n)++;
        }
    }
}

static void each_triple(const cbor_item_t *triples, int64_t which, psh_attest_anchor *an,
                        size_t max_an, size_t *n_an, psh_attest_pcr_ref *pcrs, size_t max_pcrs,
                        size_t *n_pcrs)
{
    cbor_item_t *list = NULL;
    if (psh_cbor_map_int(triples, which, &list) != 1 || !cbor_isa_array(list))
        return;
    for (size_t i = 0; i < cbor_array_size(list); i++) {
        cbor_item_t *rec = cbor_array_handle(list)[i];
        if (!cbor_isa_array(rec) || cbor_array_size(rec) != 2 || !cbor_isa_map(cbor_array_handle(rec)[0]))
            continue;
        if (which == 3)
            add_keys(rec, an, max_an, n_an);
        else
            add_refs(rec, pcrs, max_pcrs, n_pcrs);
    }
}

psh_status psh_attest_corim_load(const uint8_t *buf, size_t len, psh_attest_anchor *anchors,
                                 size_t max_anchors, size_t *n_anchors,
                                 psh_attest_pcr_ref *pcrs, size_t max_pcrs, size_t *n_pcrs)
{
    cbor_item_t *root = NULL, *corim, *comids = NULL;
    const char *why;
    psh_status st = PSH_ERR_PSA_INVALID_ARGUMENT;
    if (len > PSH_ATTEST_MAX_EVIDENCE || psh_cbor_decode(buf, len, &root, NULL, &why) != 0)
        return st;
    corim = psh_cbor_untag(root, 501);
    if (corim == NULL || psh_cbor_map_int(corim, 1, &comids) != 1 || !cbor_isa_array(comids))
        goto exit;
    for (size_t i = 0; i < cbor_array_size(comids); i++) {
        cbor_item_t *c = psh_cbor_untag(cbor_array_handle(comids)[i], 506), *comid = NULL;
        cbor_item_t *triples = NULL;
        const uint8_t *p;
        size_t n;
        if (psh_cbor_bytes(c, &p, &n) != 0 || psh_cbor_decode(p, n, &comid, NULL, &why) != 0)
            goto exit;
        if (psh_cbor_map_int(comid, 4, &triples) == 1 && cbor_isa_map(triples)) {
            each_triple(triples, 3, anchors, max_anchors, n_anchors, pcrs, max_pcrs, n_pcrs);
            each_triple(triples, 0, anchors, max_anchors, n_anchors, pcrs, max_pcrs, n_pcrs);
        }
        cbor_decref(&comid);
    }
    st = PSH_SUCCESS;
exit:
    cbor_decref(&root);
    return st;
}
