/*
 * iamcore Node-API addon — shared declarations of the glue files.
 *
 *   addon.c          module init, per-instance data, module-level functions
 *   authenticator.c  the native class wrapping one iam_auth *
 *   options.c        JS options object -> iam_config (owned copies, zeroed on free)
 *   errors.c         iam_error -> IamcoreError objects; N-API failure handling
 *
 * Rules: no static napi_value / napi_ref (worker_threads load the addon once per
 * environment); anything module-wide lives in the instance data. Threadpool code
 * (the async work's execute callback) never touches napi_env.
 */
#ifndef IAMCORE_NODE_ADDON_H
#define IAMCORE_NODE_ADDON_H

#include <stddef.h>

#include <node_api.h>

#include "iamcore.h"

/* Everything module-wide, one per Node environment (main thread or worker). */
typedef struct addon_data {
    napi_ref error_class; /* IamcoreError, set by the JS layer; NULL: plain Error */
} addon_data;

/* Return `call`'s status from the enclosing function when it fails. */
#define NAPI_TRY(call)                                                                     \
    do {                                                                                   \
        napi_status napi_try_status_ = (call);                                             \
        if (napi_try_status_ != napi_ok) return napi_try_status_;                          \
    } while (0)

/* ------------------------------------------------------------ errors.c */

/* Build an IamcoreError (or an Error when the class is not registered) from err. */
napi_status iamnode_error_from_iam(napi_env env, const iam_error *err, napi_value *out);

/* Throw the error for err; always returns NULL for convenient `return`. */
napi_value iamnode_throw_iam(napi_env env, const iam_error *err);

/* Throw an IamcoreError with code IAMCORE_<status name> and the given message. */
napi_value iamnode_throw_status(napi_env env, iam_status code, const char *message);

/* After a failed N-API call: throw an internal error unless an exception is
 * already pending (e.g. a getter threw). Returns NULL. */
napi_value iamnode_throw_napi_failure(napi_env env, napi_status status);

/* ------------------------------------------------------------ options.c */

/* An iam_config plus the owned memory its pointers refer to. */
typedef struct iamnode_options {
    iam_config cfg;
    char *strings[16];      /* every owned string option, zeroed and freed by _clear */
    size_t string_count;
    iam_header *headers;    /* cfg.headers points here                              */
    char **header_strings;  /* names and values, 2 per header (2 * header_alloc)    */
    size_t header_alloc;
    size_t header_count;
} iamnode_options;

/* Read an options object (keys are the JS option names: apikey, clientId, timeout…)
 * into opts->cfg. Does not check values — iam_auth_new does — only types, and
 * converts units (timeout in ms). On failure an exception is pending: a wrong
 * type throws an IamcoreError with code IAMCORE_CONFIG naming the option. */
napi_status iamnode_options_read(napi_env env, napi_value obj, iamnode_options *opts);

/* Zero every owned string (secrets included) and free it. Safe to call twice. */
void iamnode_options_clear(iamnode_options *opts);

/* ------------------------------------------------------------ authenticator.c */

/* Define the native Authenticator class on `exports`. */
napi_status iamnode_authenticator_init(napi_env env, napi_value exports);

#endif /* IAMCORE_NODE_ADDON_H */
