/* Parsec response status codes (spec section 3). The numeric values are the wire values. */
#ifndef PSH_STATUS_H
#define PSH_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum psh_status {
    PSH_SUCCESS = 0,
    PSH_ERR_WRONG_PROVIDER_ID = 1,
    PSH_ERR_CONTENT_TYPE_NOT_SUPPORTED = 2,
    PSH_ERR_ACCEPT_TYPE_NOT_SUPPORTED = 3,
    PSH_ERR_WIRE_PROTOCOL_VERSION_NOT_SUPPORTED = 4,
    PSH_ERR_PROVIDER_NOT_REGISTERED = 5,
    PSH_ERR_PROVIDER_DOES_NOT_EXIST = 6,
    PSH_ERR_DESERIALIZING_BODY_FAILED = 7,
    PSH_ERR_SERIALIZING_BODY_FAILED = 8,
    PSH_ERR_OPCODE_DOES_NOT_EXIST = 9,
    PSH_ERR_RESPONSE_TOO_LARGE = 10,
    PSH_ERR_AUTHENTICATION_ERROR = 11,
    PSH_ERR_AUTHENTICATOR_DOES_NOT_EXIST = 12,
    PSH_ERR_AUTHENTICATOR_NOT_REGISTERED = 13,
    PSH_ERR_KEY_INFO_MANAGER_ERROR = 14,
    PSH_ERR_CONNECTION_ERROR = 15,
    PSH_ERR_INVALID_ENCODING = 16,
    PSH_ERR_INVALID_HEADER = 17,
    PSH_ERR_WRONG_PROVIDER_UUID = 18,
    PSH_ERR_NOT_AUTHENTICATED = 19,
    PSH_ERR_BODY_SIZE_EXCEEDS_LIMIT = 20,
    PSH_ERR_ADMIN_OPERATION = 21,
    PSH_ERR_DEPRECATED_PRIMITIVE = 22,
    PSH_ERR_PSA_GENERIC = 1132,
    PSH_ERR_PSA_NOT_PERMITTED = 1133,
    PSH_ERR_PSA_NOT_SUPPORTED = 1134,
    PSH_ERR_PSA_INVALID_ARGUMENT = 1135,
    PSH_ERR_PSA_INVALID_HANDLE = 1136,
    PSH_ERR_PSA_BAD_STATE = 1137,
    PSH_ERR_PSA_BUFFER_TOO_SMALL = 1138,
    PSH_ERR_PSA_ALREADY_EXISTS = 1139,
    PSH_ERR_PSA_DOES_NOT_EXIST = 1140,
    PSH_ERR_PSA_INSUFFICIENT_MEMORY = 1141,
    PSH_ERR_PSA_INSUFFICIENT_STORAGE = 1142,
    PSH_ERR_PSA_INSUFFICIENT_DATA = 1143,
    PSH_ERR_PSA_COMMUNICATION_FAILURE = 1145,
    PSH_ERR_PSA_STORAGE_FAILURE = 1146,
    PSH_ERR_PSA_HARDWARE_FAILURE = 1147,
    PSH_ERR_PSA_INSUFFICIENT_ENTROPY = 1148,
    PSH_ERR_PSA_INVALID_SIGNATURE = 1149,
    PSH_ERR_PSA_INVALID_PADDING = 1150,
    PSH_ERR_PSA_CORRUPTION_DETECTED = 1151,
    PSH_ERR_PSA_DATA_CORRUPT = 1152,
    PSH_ERR_PSA_DATA_INVALID = 1153,
} psh_status;

/* Fail-closed starting value for functions that assign their result on every path. */
#define PSH_ERR_CORRUPTION PSH_ERR_PSA_CORRUPTION_DETECTED

/* The Parsec name of a status ("PsaErrorNotPermitted"), or NULL for a value not in the table. */
const char *psh_status_name(int status);

/* Parses a Parsec status name; returns 0 and sets *out, or -1 when the name is unknown. */
int psh_status_from_name(const char *name, psh_status *out);

/* True when the value is a defined Parsec status. */
int psh_status_is_known(int status);

#ifdef __cplusplus
}
#endif
#endif
