/* psh-tool: the Mbed TLS curve for a (family, bits) pair; private to psh-tool, kept apart so
 * psh_tool.h stays free of Mbed TLS headers. */
#ifndef PSH_TOOL_PEM_H
#define PSH_TOOL_PEM_H

#include <stdint.h>

#include <mbedtls/ecp.h>

/* MBEDTLS_ECP_DP_NONE when the curve is not one Mbed TLS has. */
mbedtls_ecp_group_id tool_ecp_group(uint32_t family, uint32_t bits);

#endif
