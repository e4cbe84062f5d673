/*
 * iam_error -> JS error objects.
 *
 * One conversion for every path: a synchronous throw at construction and the
 * rejection of a fetch() promise produce the same object, an instance of the JS
 * class IamcoreError (registered by node/index.js through setErrorClass), with
 *   code           'IAMCORE_' + upper(iam_status_name(err->code))
 *   message        err->message (the core never puts a secret in it)
 *   status         err->http_status, or undefined when no response was received
 *   errorCode, errorMessage, errorDetails, requestId, transactionId
 *                  the IAM fields, undefined when empty
 *   attempts       HTTP attempts made
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "addon.h"

/* obj[name] = value, or undefined when value is empty. */
static napi_status set_string_or_undefined(napi_env env, napi_value obj, const char *name,
                                           const char *value)
{
    napi_value v;
    if (value != NULL && value[0] != '\0') {
        NAPI_TRY(napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v));
    } else {
        NAPI_TRY(napi_get_undefined(env, &v));
    }
    return napi_set_named_property(env, obj, name, v);
}

/* "IAMCORE_" + upper-case status name, e.g. IAMCORE_TOKEN_FILE. */
static void code_string(int code, char *buf, size_t size)
{
    const char *name = iam_status_name(code);
    size_t i, n;
    if (name == NULL || name[0] == '\0') name = "internal";
    n = (size_t)snprintf(buf, size, "IAMCORE_%s", name);
    if (n >= size) n = size - 1;
    for (i = 0; i < n; i++) buf[i] = (char)toupper((unsigned char)buf[i]);
}

/* new IamcoreError(message), or new Error(message) when no class is registered. */
static napi_status new_error(napi_env env, const char *message, napi_value *out)
{
    addon_data *data = NULL;
    napi_value msg, cls;

    NAPI_TRY(napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg));
    NAPI_TRY(napi_get_instance_data(env, (void **)&data));
    if (data != NULL && data->error_class != NULL) {
        NAPI_TRY(napi_get_reference_value(env, data->error_class, &cls));
        if (cls != NULL) return napi_new_instance(env, cls, 1, &msg, out);
    }
    return napi_create_error(env, NULL, msg, out);
}

napi_status iamnode_error_from_iam(napi_env env, const iam_error *err, napi_value *out)
{
    char code[48];
    napi_value obj, v;
    const char *message = err->message[0] != '\0' ? err->message : iam_status_name(err->code);

    NAPI_TRY(new_error(env, message != NULL ? message : "iamcore error", &obj));
    code_string(err->code, code, sizeof code);
    NAPI_TRY(napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &v));
    NAPI_TRY(napi_set_named_property(env, obj, "code", v));
    if (err->http_status > 0) {
        NAPI_TRY(napi_create_int64(env, (int64_t)err->http_status, &v));
    } else {
        NAPI_TRY(napi_get_undefined(env, &v));
    }
    NAPI_TRY(napi_set_named_property(env, obj, "status", v));
    NAPI_TRY(set_string_or_undefined(env, obj, "errorCode", err->error_code));
    NAPI_TRY(set_string_or_undefined(env, obj, "errorMessage", err->error_message));
    NAPI_TRY(set_string_or_undefined(env, obj, "errorDetails", err->error_details));
    NAPI_TRY(set_string_or_undefined(env, obj, "requestId", err->request_id));
    NAPI_TRY(set_string_or_undefined(env, obj, "transactionId", err->transaction_id));
    NAPI_TRY(napi_create_int32(env, err->attempts, &v));
    NAPI_TRY(napi_set_named_property(env, obj, "attempts", v));
    *out = obj;
    return napi_ok;
}

napi_value iamnode_throw_iam(napi_env env, const iam_error *err)
{
    napi_value e;
    napi_status st = iamnode_error_from_iam(env, err, &e);
    if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    napi_throw(env, e);
    return NULL;
}

napi_value iamnode_throw_status(napi_env env, iam_status code, const char *message)
{
    iam_error err;
    iam_error_clear(&err);
    err.code = code;
    snprintf(err.message, sizeof err.message, "%s", message);
    return iamnode_throw_iam(env, &err);
}

napi_value iamnode_throw_napi_failure(napi_env env, napi_status status)
{
    const napi_extended_error_info *info = NULL;
    bool pending = false;
    char msg[200];

    /* Read the failure's detail first: any other N-API call overwrites it. */
    if (napi_get_last_error_info(env, &info) == napi_ok && info != NULL &&
        info->error_message != NULL) {
        snprintf(msg, sizeof msg, "Node-API call failed: %s", info->error_message);
    } else {
        snprintf(msg, sizeof msg, "Node-API call failed (status %d)", (int)status);
    }
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return NULL;
    /* A plain Error here: building an IamcoreError is what may have failed. */
    napi_throw_error(env, "IAMCORE_INTERNAL", msg);
    return NULL;
}

void iamnode_reject_napi_failure(napi_env env, napi_deferred deferred)
{
    napi_value value = NULL;
    bool pending = false;

    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
        napi_get_and_clear_last_exception(env, &value);
    }
    if (value == NULL) {
        iam_error err;
        iam_error_clear(&err);
        err.code = IAM_E_INTERNAL;
        snprintf(err.message, sizeof err.message, "could not build the result");
        if (iamnode_error_from_iam(env, &err, &value) != napi_ok) {
            napi_value code, msg;
            value = NULL;
            if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
                napi_get_and_clear_last_exception(env, &value);
            }
            if (value == NULL &&
                napi_create_string_utf8(env, "IAMCORE_INTERNAL", NAPI_AUTO_LENGTH, &code) == napi_ok &&
                napi_create_string_utf8(env, "could not build the result", NAPI_AUTO_LENGTH, &msg) ==
                    napi_ok) {
                napi_create_error(env, code, msg, &value);
            }
        }
    }
    if (value == NULL) napi_get_undefined(env, &value);
    napi_reject_deferred(env, deferred, value);
}

void iamnode_reject_iam(napi_env env, napi_deferred deferred, const iam_error *err)
{
    napi_value e = NULL;
    if (iamnode_error_from_iam(env, err, &e) != napi_ok) {
        iamnode_reject_napi_failure(env, deferred);
        return;
    }
    napi_reject_deferred(env, deferred, e);
}
