/* Authenticators (spec section 4.3): turn a request's auth bytes into an application name. */
#ifndef PSH_AUTH_H
#define PSH_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "psh/config.h"
#include "psh/engine.h"
#include "psh/status.h"

/* Longest application name accepted, bytes. Direct names are client-chosen, so bounded. */
#define PSH_APP_NAME_MAX 1024

/* Spec 1.5 steps 9-10 for a request with auth_type != 0.
 *   AuthenticatorNotRegistered: auth_type is not the configured authenticator (or is a JWT
 *   type, which is not implemented); AuthenticationError: the bytes do not authenticate.
 * On success *app is callee-allocated (psh_free), a NUL-terminated UTF-8 name. */
psh_status psh_auth_authenticate(psh_auth_type configured, uint8_t auth_type,
                                 const uint8_t *auth, size_t auth_len, const psh_peer *peer,
                                 char **app);

/* The ListAuthenticators description for a type. */
const char *psh_auth_description(psh_auth_type type);

#endif
