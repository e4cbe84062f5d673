/*
 * iamcore Node-API addon — shared declarations of the glue files.
 *
 *   addon.c          module init, per-instance data, module-level functions
 *   authenticator.c  the native token-source classes: Authenticator (one iam_auth *)
 *                    and, sharing its methods, RdsAuth (one iam_rds_auth *, rds.c)
 *   options.c        JS options object -> iam_config (owned copies, zeroed on free),
 *                    and the value readers the AWS files share
 *   errors.c         iam_error -> IamcoreError objects; N-API failure handling
 *   aws_provider.c   CredentialProvider (one iam_aws_provider *), the per-instance
 *                    default provider, explicit credentials, resolveCredentials()
 *   aws_sign.c       awsSign(): SigV4 headers / presigned URLs / database tokens,
 *                    resolveRegion()
 *   rds.c            RdsAuth: cached RDS tokens (iam_rds_auth)
 *   offthread.c      blocking work on a thread of its own, its result delivered to
 *                    the environment's thread (not libuv's pool: see there why)
 *   log.c            setLogCallback(): the core's events, fanned out to every
 *                    environment that listens
 *
 * Rules: no static napi_value / napi_ref (worker_threads load the addon once per
 * environment); anything module-wide lives in the instance data. Code that runs off
 * the environment's thread (execute callbacks) never touches napi_env.
 */
#ifndef IAMCORE_NODE_ADDON_H
#define IAMCORE_NODE_ADDON_H

#include <stddef.h>

#include <node_api.h>

#include "iamcore.h"
#include "iamcore_aws.h"

/* Everything module-wide, one per Node environment (main thread or worker). */
typedef struct addon_data {
    napi_ref error_class; /* IamcoreError, set by the JS layer; NULL: plain Error */
    /* The default AWS credential chain of this environment, created at its first
     * use (on this environment's thread, so no lock is needed here; the provider
     * itself is thread-safe and async work holds its own reference). */
    iam_aws_provider *default_provider;
    /* This environment's event target (log.c), NULL when it takes no events. */
    struct iamnode_log_target *log_target;
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

/* Settle `deferred` with an IamcoreError for err (used by every async path). */
void iamnode_reject_iam(napi_env env, napi_deferred deferred, const iam_error *err);

/* Reject `deferred` after building a value failed: with the pending exception,
 * else with an IAMCORE_INTERNAL error. Never leaves the promise pending. */
void iamnode_reject_napi_failure(napi_env env, napi_deferred deferred);

/* ------------------------------------------------------------ options.c */

/* An iam_config plus the owned memory its pointers refer to. */
typedef struct iamnode_options {
    iam_config cfg;
    char *strings[24];      /* every owned string option, zeroed and freed by _clear */
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

/* Own a copy of a JS string (NUL characters refused with IAMCORE_CONFIG naming
 * `option`). Zero it and free it with iamnode_free_secret. */
napi_status iamnode_copy_string(napi_env env, napi_value value, const char *option, char **out);

/* Zero a string's bytes and free it. NULL is ignored. */
void iamnode_free_secret(char *s);

/* obj[name]: NULL when undefined/null, else an owned copy; a non-string throws
 * IAMCORE_CONFIG naming the option. */
napi_status iamnode_read_string(napi_env env, napi_value obj, const char *name, char **out);

/* obj[name] as a whole number in [min, max]; *given = 0 and *out untouched when
 * undefined/null. Anything else throws IAMCORE_CONFIG naming the option. */
napi_status iamnode_read_integer(napi_env env, napi_value obj, const char *name, double min,
                                 double max, int64_t *out, int *given);

/* obj[name] as a boolean; *out untouched when undefined/null. */
napi_status iamnode_read_boolean(napi_env env, napi_value obj, const char *name, int *out);

/* Throw an IAMCORE_CONFIG error "option '<option>' must be <what>". */
napi_value iamnode_throw_type(napi_env env, const char *option, const char *what);

/* ------------------------------------------------------------ authenticator.c */

/* What a token source is: the IBM iam_auth and the RDS iam_rds_auth share the same
 * shape (get_token / peek / invalidate, reference counted). */
typedef struct iamnode_token_ops {
    const char *name; /* for messages, e.g. "authenticator" */
    iam_status (*get_token)(void *handle, iam_token **out, iam_error *err);
    uint64_t (*peek)(void *handle, int64_t *fresh_until_ms);
    void (*invalidate)(void *handle);
    void *(*retain)(void *handle);
    void (*release)(void *handle);
} iamnode_token_ops;

/* Define the native Authenticator class on `exports`. */
napi_status iamnode_authenticator_init(napi_env env, napi_value exports);

/* Define a token-source class `name` with the shared methods peek(), current(),
 * fetch(), invalidate() plus `extra` ones, constructed by `ctor`. */
napi_status iamnode_token_class_define(napi_env env, napi_value exports, const char *name,
                                       napi_callback ctor, const napi_property_descriptor *extra,
                                       size_t extra_count);

/* In a constructor: wrap `handle` (ownership passes to the object, also on
 * failure) into `self`, with `state_value` the shared Float64Array(2). Returns
 * self, or NULL with an exception pending. */
napi_value iamnode_token_wrap(napi_env env, napi_value self, void *handle,
                              const iamnode_token_ops *ops, napi_value state_value);

/* `this` of a token-source method: its handle (borrowed), or NULL with an
 * exception pending when `this` is not a token source of kind `ops`. */
void *iamnode_token_unwrap(napi_env env, napi_callback_info info, const iamnode_token_ops *ops);

/* ------------------------------------------------------------ aws_provider.c */

/* AWS credentials copied out of a JS object, owning their strings. */
typedef struct iamnode_aws_creds {
    char *access_key_id;
    char *secret_access_key;
    char *session_token;
    iam_aws_credentials view; /* points into the strings above */
} iamnode_aws_creds;

/* Read { accessKeyId, secretAccessKey, sessionToken?, expiration? (epoch seconds) }.
 * Types only; the core checks the values. On failure an exception is pending. */
napi_status iamnode_aws_creds_read(napi_env env, napi_value obj, iamnode_aws_creds *out);
void iamnode_aws_creds_clear(iamnode_aws_creds *c);

/* The provider to use for `value`: a CredentialProvider object, or
 * undefined/null for this environment's default chain (created at the first
 * call). Returns a new reference, or NULL with an exception pending. */
iam_aws_provider *iamnode_aws_provider_get(napi_env env, napi_value value);

/* CredentialProvider class, resolveCredentials(), invalidateDefaultCredentials(). */
napi_status iamnode_aws_provider_init(napi_env env, napi_value exports);

/* ------------------------------------------------------------ aws_sign.c */

/* awsSign(), resolveRegion(). */
napi_status iamnode_aws_sign_init(napi_env env, napi_value exports);

/* ------------------------------------------------------------ log.c */

/* setLogCallback(): this environment's share of the core's events. */
napi_status iamnode_log_init(napi_env env, napi_value exports);

/* ------------------------------------------------------------ rds.c */

/* The RdsAuth class. */
napi_status iamnode_rds_init(napi_env env, napi_value exports);

/* ------------------------------------------------------------ offthread.c */

/* Runs on the job's own thread: no napi_env here. */
typedef void (*iamnode_execute_fn)(void *data);
/* The environment's thread with its env; or env NULL when the environment is gone
 * (torn down worker): then free data and make no N-API call. */
typedef void (*iamnode_complete_fn)(napi_env env, void *data);

/* The environment's thread, while it is torn down and execute is still running:
 * release the N-API references held in data (complete will then get env NULL). */
typedef void (*iamnode_abandon_fn)(napi_env env, void *data);

/* Run execute(data) on a new thread, then complete(env, data) once. On napi_ok
 * complete will be called exactly once; on failure neither is called. abandon may
 * be NULL. */
napi_status iamnode_run_off_thread(napi_env env, const char *name, iamnode_execute_fn execute,
                                   iamnode_complete_fn complete, iamnode_abandon_fn abandon,
                                   void *data);

#endif /* IAMCORE_NODE_ADDON_H */
