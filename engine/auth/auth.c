#define PSH_LOGMODULE auth
#include "auth/auth.h"

#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "util/log.h"
#include "util/reader.h"
#include "util/utf8.h"

/* Direct: the bytes are the name. A NUL inside would let "bob\0x" alias "bob" in C strings. */
static psh_status direct_authenticate(const uint8_t *auth, size_t len, char **app)
{
    if (len == 0 || len > PSH_APP_NAME_MAX || !psh_utf8_valid(auth, len) ||
        memchr(auth, 0, len) != NULL)
        return PSH_ERR_AUTHENTICATION_ERROR;
    *app = psh_strndup((const char *)auth, len);
    return *app == NULL ? PSH_ERR_PSA_INSUFFICIENT_MEMORY : PSH_SUCCESS;
}

/* UnixPeerCredentials: 4-byte little-endian uid that must equal the socket peer's uid. */
static psh_status peer_authenticate(const uint8_t *auth, size_t len, const psh_peer *peer,
                                    char **app)
{
    psh_reader r = psh_reader_init(auth, len);
    uint32_t uid;
    char buf[16];

    if (len != 4 || psh_get_u32le(&r, &uid) != 0)
        return PSH_ERR_AUTHENTICATION_ERROR;
    if (peer == NULL || !peer->has_credentials) {
        LOG_WARN("UnixPeerCredentials request without peer credentials");
        return PSH_ERR_AUTHENTICATION_ERROR;
    }
    if (peer->uid != uid) {
        LOG_WARN("declared uid %u is not the peer's uid %u", uid, peer->uid);
        return PSH_ERR_AUTHENTICATION_ERROR;
    }
    snprintf(buf, sizeof buf, "%u", uid);
    *app = psh_strdup(buf);
    return *app == NULL ? PSH_ERR_PSA_INSUFFICIENT_MEMORY : PSH_SUCCESS;
}

psh_status psh_auth_authenticate(psh_auth_type configured, uint8_t auth_type,
                                 const uint8_t *auth, size_t auth_len, const psh_peer *peer,
                                 char **app)
{
    *app = NULL;
    if (auth_type != (uint8_t)configured || configured == PSH_AUTH_NONE)
        return PSH_ERR_AUTHENTICATOR_NOT_REGISTERED;
    switch (configured) {
    case PSH_AUTH_DIRECT:
        return direct_authenticate(auth, auth_len, app);
    case PSH_AUTH_UNIX_PEER_CREDENTIALS:
        return peer_authenticate(auth, auth_len, peer, app);
    default:
        return PSH_ERR_AUTHENTICATOR_NOT_REGISTERED;
    }
}

const char *psh_auth_description(psh_auth_type type)
{
    switch (type) {
    case PSH_AUTH_DIRECT:
        return "Directly parses the authentication field as a UTF-8 string and uses that as the "
               "application identity. Should be used for testing only.";
    case PSH_AUTH_UNIX_PEER_CREDENTIALS:
        return "Uses Unix peer credentials to authenticate the client. Verifies that the self-"
               "declared Unix user identifier (UID) in the request's authentication header "
               "matches that which is found from the peer credentials.";
    default:
        return "";
    }
}
