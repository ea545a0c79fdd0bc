/* For providers: a PSA-format ECC public key (04 || X || Y) as an Mbed TLS public key, so a
 * provider can hand the attested key to the KAT builders. */
#include <string.h>

#include <mbedtls/ecp.h>

#include "attest.h"

psh_status psh_attest_pk_from_point(size_t bits, const uint8_t *pt, size_t len,
                                    mbedtls_pk_context *pk)
{
    mbedtls_ecp_group_id gid = bits == 256   ? MBEDTLS_ECP_DP_SECP256R1
                               : bits == 384 ? MBEDTLS_ECP_DP_SECP384R1
                               : bits == 521 ? MBEDTLS_ECP_DP_SECP521R1
                                             : MBEDTLS_ECP_DP_NONE;
    mbedtls_ecp_keypair *ec;
    if (gid == MBEDTLS_ECP_DP_NONE)
        return PSH_ERR_PSA_NOT_SUPPORTED;
    if (mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0)
        return PSH_ERR_PSA_INSUFFICIENT_MEMORY;
    ec = mbedtls_pk_ec(*pk);
    if (mbedtls_ecp_group_load(&ec->grp, gid) != 0 ||
        mbedtls_ecp_point_read_binary(&ec->grp, &ec->Q, pt, len) != 0 ||
        mbedtls_ecp_check_pubkey(&ec->grp, &ec->Q) != 0)
        return PSH_ERR_PSA_INVALID_ARGUMENT;
    return PSH_SUCCESS;
}
