#include "psh/status.h"

#include <stddef.h>
#include <string.h>

static const struct {
    psh_status code;
    const char *name;
} status_table[] = {
    {PSH_SUCCESS, "Success"},
    {PSH_ERR_WRONG_PROVIDER_ID, "WrongProviderId"},
    {PSH_ERR_CONTENT_TYPE_NOT_SUPPORTED, "ContentTypeNotSupported"},
    {PSH_ERR_ACCEPT_TYPE_NOT_SUPPORTED, "AcceptTypeNotSupported"},
    {PSH_ERR_WIRE_PROTOCOL_VERSION_NOT_SUPPORTED, "WireProtocolVersionNotSupported"},
    {PSH_ERR_PROVIDER_NOT_REGISTERED, "ProviderNotRegistered"},
    {PSH_ERR_PROVIDER_DOES_NOT_EXIST, "ProviderDoesNotExist"},
    {PSH_ERR_DESERIALIZING_BODY_FAILED, "DeserializingBodyFailed"},
    {PSH_ERR_SERIALIZING_BODY_FAILED, "SerializingBodyFailed"},
    {PSH_ERR_OPCODE_DOES_NOT_EXIST, "OpcodeDoesNotExist"},
    {PSH_ERR_RESPONSE_TOO_LARGE, "ResponseTooLarge"},
    {PSH_ERR_AUTHENTICATION_ERROR, "AuthenticationError"},
    {PSH_ERR_AUTHENTICATOR_DOES_NOT_EXIST, "AuthenticatorDoesNotExist"},
    {PSH_ERR_AUTHENTICATOR_NOT_REGISTERED, "AuthenticatorNotRegistered"},
    {PSH_ERR_KEY_INFO_MANAGER_ERROR, "KeyInfoManagerError"},
    {PSH_ERR_CONNECTION_ERROR, "ConnectionError"},
    {PSH_ERR_INVALID_ENCODING, "InvalidEncoding"},
    {PSH_ERR_INVALID_HEADER, "InvalidHeader"},
    {PSH_ERR_WRONG_PROVIDER_UUID, "WrongProviderUuid"},
    {PSH_ERR_NOT_AUTHENTICATED, "NotAuthenticated"},
    {PSH_ERR_BODY_SIZE_EXCEEDS_LIMIT, "BodySizeExceedsLimit"},
    {PSH_ERR_ADMIN_OPERATION, "AdminOperation"},
    {PSH_ERR_DEPRECATED_PRIMITIVE, "DeprecatedPrimitive"},
    {PSH_ERR_PSA_GENERIC, "PsaErrorGenericError"},
    {PSH_ERR_PSA_NOT_PERMITTED, "PsaErrorNotPermitted"},
    {PSH_ERR_PSA_NOT_SUPPORTED, "PsaErrorNotSupported"},
    {PSH_ERR_PSA_INVALID_ARGUMENT, "PsaErrorInvalidArgument"},
    {PSH_ERR_PSA_INVALID_HANDLE, "PsaErrorInvalidHandle"},
    {PSH_ERR_PSA_BAD_STATE, "PsaErrorBadState"},
    {PSH_ERR_PSA_BUFFER_TOO_SMALL, "PsaErrorBufferTooSmall"},
    {PSH_ERR_PSA_ALREADY_EXISTS, "PsaErrorAlreadyExists"},
    {PSH_ERR_PSA_DOES_NOT_EXIST, "PsaErrorDoesNotExist"},
    {PSH_ERR_PSA_INSUFFICIENT_MEMORY, "PsaErrorInsufficientMemory"},
    {PSH_ERR_PSA_INSUFFICIENT_STORAGE, "PsaErrorInsufficientStorage"},
    {PSH_ERR_PSA_INSUFFICIENT_DATA, "PsaErrorInsufficientData"},
    {PSH_ERR_PSA_COMMUNICATION_FAILURE, "PsaErrorCommunicationFailure"},
    {PSH_ERR_PSA_STORAGE_FAILURE, "PsaErrorStorageFailure"},
    {PSH_ERR_PSA_HARDWARE_FAILURE, "PsaErrorHardwareFailure"},
    {PSH_ERR_PSA_INSUFFICIENT_ENTROPY, "PsaErrorInsufficientEntropy"},
    {PSH_ERR_PSA_INVALID_SIGNATURE, "PsaErrorInvalidSignature"},
    {PSH_ERR_PSA_INVALID_PADDING, "PsaErrorInvalidPadding"},
    {PSH_ERR_PSA_CORRUPTION_DETECTED, "PsaErrorCorruptionDetected"},
    {PSH_ERR_PSA_DATA_CORRUPT, "PsaErrorDataCorrupt"},
    {PSH_ERR_PSA_DATA_INVALID, "PsaErrorDataInvalid"},
};

#define STATUS_COUNT (sizeof status_table / sizeof status_table[0])

const char *psh_status_name(int status)
{
    for (size_t i = 0; i < STATUS_COUNT; i++)
        if ((int)status_table[i].code == status)
            return status_table[i].name;
    return NULL;
}

int psh_status_from_name(const char *name, psh_status *out)
{
    if (name == NULL || out == NULL)
        return -1;
    for (size_t i = 0; i < STATUS_COUNT; i++) {
        if (strcmp(status_table[i].name, name) == 0) {
            *out = status_table[i].code;
            return 0;
        }
    }
    return -1;
}

int psh_status_is_known(int status)
{
    return psh_status_name(status) != NULL;
}
