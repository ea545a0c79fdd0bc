/* Trust anchors and PCR reference values from an unsigned CoRIM (tag 501) as Veraison's
 * parsec-tpm / parsec-cca profiles provision them (attestation.md sec 1.7):
 *   corim {1: [506(bstr .cbor comid)...]}; comid {4: triples}
 *   triples {0: reference-triples [[env, [measurement...]]],
 *            3: attest-key-triples [[env {1: instance 560(bytes)/550(ueid)}, [554(PEM)...]]]}
 *   measurement {0: uint PCR index, 1: {2: digests [[alg-id, bstr]...]}}
 *   CCA: {0: "cca.software-component", 1: {11: name, 2: digests}} and
 *        {0: "cca.platform-config", 1: {4: 560(raw value)}} */
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

typedef struct walk {
    psh_attest_anchor *an;
    size_t max_an, *n_an;
    psh_attest_pcr_ref *pcrs;
    size_t max_pcrs, *n_pcrs;
    psh_attest_cca_ref *cca;
    size_t max_cca, *n_cca;
} walk;

/* CCA measurements: key "cca.software-component" {11: name, 2: [[alg, digest]]} or
 * "cca.platform-config" {4: 560(raw value)}. */
static void add_cca(const cbor_item_t *m, walk *w)
{
    cbor_item_t *k = NULL, *v = NULL, *x = NULL;
    const uint8_t *p;
    size_t n;
    psh_attest_cca_ref *r;
    if (w->cca == NULL || *w->n_cca >= w->max_cca || psh_cbor_map_int(m, 0, &k) != 1 ||
        psh_cbor_map_int(m, 1, &v) != 1 || !cbor_isa_map(v))
        return;
    r = &w->cca[*w->n_cca];
    memset(r, 0, sizeof *r);
    if (psh_cbor_text_eq(k, "cca.software-component")) {
        cbor_item_t *name = NULL, *d = NULL;
        if (psh_cbor_map_int(v, 11, &name) != 1 || !cbor_isa_string(name) ||
            cbor_string_length(name) >= sizeof r->type || psh_cbor_map_int(v, 2, &d) != 1 ||
            !cbor_isa_array(d) || cbor_array_size(d) < 1)
            return;
        x = cbor_array_handle(d)[0];
        if (!cbor_isa_array(x) || cbor_array_size(x) != 2 ||
            psh_cbor_bytes(cbor_array_handle(x)[1], &p, &n) != 0 || n > sizeof r->value)
            return;
        memcpy(r->type, cbor_string_handle(name), cbor_string_length(name));
    } else if (psh_cbor_text_eq(k, "cca.platform-config")) {
        if (psh_cbor_map_int(v, 4, &x) != 1 || psh_cbor_bytes(psh_cbor_untag(x, 560), &p, &n) != 0 ||
            n > sizeof r->value)
            return;
        r->is_config = 1;
    } else {
        return;
    }
    memcpy(r->value, p, n);
    r->len = n;
    (*w->n_cca)++;
}

static void add_refs(const cbor_item_t *rec, walk *w)
{
    cbor_item_t *ms = cbor_array_handle(rec)[1];
    psh_attest_pcr_ref *pcrs = w->pcrs;
    size_t max = w->max_pcrs, *n = w->n_pcrs;
    if (!cbor_isa_array(ms))
        return;
    for (size_t i = 0; i < cbor_array_size(ms); i++) {
        cbor_item_t *m = cbor_array_handle(ms)[i], *k = NULL, *v = NULL, *d = NULL;
        int64_t pcr;
        add_cca(m, w);
        if (pcrs == NULL)
            continue;
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

static void each_triple(const cbor_item_t *triples, int64_t which, walk *w)
{
    cbor_item_t *list = NULL;
    if (psh_cbor_map_int(triples, which, &list) != 1 || !cbor_isa_array(list))
        return;
    for (size_t i = 0; i < cbor_array_size(list); i++) {
        cbor_item_t *rec = cbor_array_handle(list)[i];
        if (!cbor_isa_array(rec) || cbor_array_size(rec) != 2 || !cbor_isa_map(cbor_array_handle(rec)[0]))
            continue;
        if (which == 3 && w->an != NULL)
            add_keys(rec, w->an, w->max_an, w->n_an);
        else if (which == 0)
            add_refs(rec, w);
    }
}

static psh_status corim_walk(const uint8_t *buf, size_t len, walk *w)
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
            each_triple(triples, 3, w);
            each_triple(triples, 0, w);
        }
        cbor_decref(&comid);
    }
    st = PSH_SUCCESS;
exit:
    cbor_decref(&root);
    return st;
}

psh_status psh_attest_corim_load(const uint8_t *buf, size_t len, psh_attest_anchor *anchors,
                                 size_t max_anchors, size_t *n_anchors,
                                 psh_attest_pcr_ref *pcrs, size_t max_pcrs, size_t *n_pcrs)
{
    walk w = {anchors, max_anchors, n_anchors, pcrs, max_pcrs, n_pcrs, NULL, 0, NULL};
    return corim_walk(buf, len, &w);
}

psh_status psh_attest_corim_load_cca(const uint8_t *buf, size_t len, psh_attest_cca_ref *refs,
                                     size_t max, size_t *n)
{
    walk w = {NULL, 0, NULL, NULL, 0, NULL, refs, max, n};
    return corim_walk(buf, len, &w);
}
