/*
 * The native token-source classes. Authenticator wraps one iam_auth *; RdsAuth
 * (rds.c) wraps one iam_rds_auth * and shares every method below through an
 * iamnode_token_ops table, since both have the same shape.
 *
 *   new Authenticator(type, options, state)
 *       type     'iam' | 'container' | 'vpc' | 'iamAssume'
 *       options  the JS options (see options.c); secrets are copied, used, zeroed.
 *                Or the `handle` loadEnvironment() returned: the authenticator
 *                it holds is taken over (once).
 *       state    a Float64Array(2) shared with the JS layer, written by peek() and
 *                current(): [0] freshUntil (ms since the epoch), [1] generation
 *   peek()       -> generation of the valid cached token, 0 when none. Never blocks.
 *   current()    -> the cached token string, or null when none is valid. No I/O.
 *   fetch()      -> Promise<{token, generation}>: the blocking iam_auth_get_token
 *                   on a thread of its own (offthread.c); rejects with an IamcoreError.
 *   invalidate() -> drops the cached token.
 *
 * loadEnvironment(serviceName, userAgentExtra) reads a service's configuration
 * (iamcore_env.h) and returns { type, source, ... }: for the token types a
 * `handle` (an external owning the iam_auth built from it) and the non-secret
 * `options` for display; for bearerToken / basic the secret strings the JS
 * classes need; nothing more for noAuth.
 *
 * The token logic (single flight, refresh at 80 %, expiry) is the core's; this
 * file only converts values. A construction failure throws; the object is never
 * wrapped around a NULL handle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "addon.h"
#include "iamcore_env.h"

typedef struct authenticator {
    void *handle;                 /* iam_auth * or iam_rds_auth *            */
    const iamnode_token_ops *ops; /* what handle is                          */
    napi_ref state_ref;           /* keeps the shared Float64Array alive     */
    double *state;                /* its elements: [0] freshUntil, [1] gen   */
} authenticator;

/* Marks objects made by these classes, so a foreign wrapped object passed as
 * `this` is refused instead of being read as an authenticator. */
static const napi_type_tag AUTHENTICATOR_TAG = {0x69616d636f72652dULL, 0x617574683a763100ULL};

/* ------------------------------------------------------------ the IBM iam_auth */

static iam_status ibm_get_token(void *h, iam_token **out, iam_error *err)
{
    return iam_auth_get_token(h, out, err);
}

static uint64_t ibm_peek(void *h, int64_t *fresh_until_ms)
{
    return iam_auth_peek(h, fresh_until_ms);
}

static void ibm_invalidate(void *h)
{
    iam_auth_invalidate(h);
}

static void *ibm_retain(void *h)
{
    return iam_auth_retain(h);
}

static void ibm_release(void *h)
{
    iam_auth_free(h);
}

static const iamnode_token_ops IBM_OPS = {
    "authenticator", ibm_get_token, ibm_peek, ibm_invalidate, ibm_retain, ibm_release,
};

/* ------------------------------------------------------------ lifetime */

static void authenticator_finalize(napi_env env, void *data, void *hint)
{
    authenticator *a = data;
    (void)hint;
    if (a == NULL) return;
    if (a->handle != NULL) a->ops->release(a->handle);
    if (a->state_ref != NULL) napi_delete_reference(env, a->state_ref);
    free(a);
}

static napi_status parse_type(napi_env env, napi_value value, iam_auth_type *out)
{
    char buf[16];
    size_t len = 0;
    napi_valuetype t;

    NAPI_TRY(napi_typeof(env, value, &t));
    if (t == napi_string) {
        int type;
        NAPI_TRY(napi_get_value_string_utf8(env, value, buf, sizeof buf, &len));
        for (type = IAM_AUTH_IAM; type <= IAM_AUTH_IAM_ASSUME; type++) {
            if (strcmp(buf, iam_auth_type_name((iam_auth_type)type)) == 0) {
                *out = (iam_auth_type)type;
                return napi_ok;
            }
        }
    }
    iamnode_throw_status(env, IAM_E_CONFIG, "unknown authenticator type");
    return napi_pending_exception;
}

static napi_status get_state_array(napi_env env, napi_value value, double **out)
{
    bool is_typed = false;
    napi_typedarray_type type;
    size_t length = 0, offset = 0;
    void *data = NULL;

    NAPI_TRY(napi_is_typedarray(env, value, &is_typed));
    if (is_typed) {
        NAPI_TRY(napi_get_typedarray_info(env, value, &type, &length, &data, NULL, &offset));
        if (type == napi_float64_array && length >= 2 && data != NULL) {
            *out = data;
            return napi_ok;
        }
    }
    iamnode_throw_status(env, IAM_E_INTERNAL, "state must be a Float64Array of length 2");
    return napi_pending_exception;
}

napi_value iamnode_token_wrap(napi_env env, napi_value self, void *handle,
                              const iamnode_token_ops *ops, napi_value state_value)
{
    double *state = NULL;
    authenticator *a;
    napi_status st = get_state_array(env, state_value, &state);
    if (st != napi_ok) {
        ops->release(handle);
        return iamnode_throw_napi_failure(env, st);
    }
    a = calloc(1, sizeof *a);
    if (a == NULL) {
        ops->release(handle);
        return iamnode_throw_status(env, IAM_E_NOMEM, "out of memory");
    }
    a->handle = handle;
    a->ops = ops;
    a->state = state;
    state[0] = 0;
    state[1] = 0;
    st = napi_create_reference(env, state_value, 1, &a->state_ref);
    if (st == napi_ok) st = napi_type_tag_object(env, self, &AUTHENTICATOR_TAG);
    if (st == napi_ok) st = napi_wrap(env, self, a, authenticator_finalize, NULL, NULL);
    if (st != napi_ok) {
        authenticator_finalize(env, a, NULL);
        return iamnode_throw_napi_failure(env, st);
    }
    return self;
}

/* What loadEnvironment() hands to JS: an authenticator waiting for its object. */
typedef struct prepared_auth {
    iam_auth *auth; /* NULL once taken by the constructor */
} prepared_auth;

static void prepared_finalize(napi_env env, void *data, void *hint)
{
    prepared_auth *p = data;
    (void)env;
    (void)hint;
    if (p == NULL) return;
    iam_auth_free(p->auth);
    free(p);
}

/* The authenticator of a loadEnvironment() handle, taken over (or NULL with an
 * exception pending). */
static iam_auth *take_prepared(napi_env env, napi_value handle, iam_auth_type type)
{
    void *data = NULL;
    prepared_auth *p;
    iam_auth *auth;
    napi_status st = napi_get_value_external(env, handle, &data);
    if (st != napi_ok) {
        iamnode_throw_napi_failure(env, st);
        return NULL;
    }
    p = data;
    if (p == NULL || p->auth == NULL || iam_auth_get_type(p->auth) != type) {
        iamnode_throw_status(env, IAM_E_INTERNAL, "not an unused handle of this authenticator type");
        return NULL;
    }
    auth = p->auth;
    p->auth = NULL;
    return auth;
}

static napi_value authenticator_new(napi_env env, napi_callback_info info)
{
    size_t argc = 3;
    napi_value argv[3], self, new_target;
    iam_auth_type type;
    double *state = NULL;
    iamnode_options opts;
    iam_error err;
    iam_auth *auth = NULL;
    iam_status rc;
    napi_status st;

    st = napi_get_cb_info(env, info, &argc, argv, &self, NULL);
    if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    st = napi_get_new_target(env, info, &new_target);
    if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    if (new_target == NULL) {
        return iamnode_throw_status(env, IAM_E_INTERNAL, "Authenticator must be called with new");
    }
    if (argc < 3) return iamnode_throw_status(env, IAM_E_INTERNAL, "Authenticator needs 3 arguments");
    st = parse_type(env, argv[0], &type);
    if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    st = get_state_array(env, argv[2], &state);
    if (st != napi_ok) return iamnode_throw_napi_failure(env, st);

    {
        napi_valuetype t;
        st = napi_typeof(env, argv[1], &t);
        if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
        if (t == napi_external) {
            auth = take_prepared(env, argv[1], type);
            return auth != NULL ? iamnode_token_wrap(env, self, auth, &IBM_OPS, argv[2]) : NULL;
        }
    }
    st = iamnode_options_read(env, argv[1], &opts);
    if (st != napi_ok) {
        iamnode_options_clear(&opts);
        return iamnode_throw_napi_failure(env, st);
    }
    iam_error_clear(&err);
    rc = iam_auth_new(&auth, type, &opts.cfg, &err);
    iamnode_options_clear(&opts);
    if (rc != IAM_OK || auth == NULL) {
        if (rc == IAM_OK) {
            err.code = IAM_E_INTERNAL;
            strcpy(err.message, "iam_auth_new returned no authenticator");
        } else if (err.code == IAM_OK) {
            err.code = rc;
        }
        return iamnode_throw_iam(env, &err);
    }

    return iamnode_token_wrap(env, self, auth, &IBM_OPS, argv[2]);
}

/* `this` as an authenticator, or NULL with an exception pending. */
static authenticator *unwrap_this(napi_env env, napi_callback_info info, napi_value *self_out)
{
    napi_value self;
    bool tagged = false;
    void *data = NULL;
    size_t argc = 0;
    napi_status st = napi_get_cb_info(env, info, &argc, NULL, &self, NULL);
    if (st == napi_ok) st = napi_check_object_type_tag(env, self, &AUTHENTICATOR_TAG, &tagged);
    if (st != napi_ok) {
        iamnode_throw_napi_failure(env, st);
        return NULL;
    }
    if (!tagged || napi_unwrap(env, self, &data) != napi_ok || data == NULL) {
        iamnode_throw_status(env, IAM_E_INTERNAL, "not an iamcore authenticator");
        return NULL;
    }
    if (self_out != NULL) *self_out = self;
    return data;
}

void *iamnode_token_unwrap(napi_env env, napi_callback_info info, const iamnode_token_ops *ops)
{
    authenticator *a = unwrap_this(env, info, NULL);
    if (a == NULL) return NULL;
    if (a->ops != ops) {
        iamnode_throw_status(env, IAM_E_INTERNAL, "not the expected kind of token source");
        return NULL;
    }
    return a->handle;
}

/* ------------------------------------------------------------ fast path */

static napi_value authenticator_peek(napi_env env, napi_callback_info info)
{
    int64_t fresh_until = 0;
    uint64_t gen;
    napi_value out;
    authenticator *a = unwrap_this(env, info, NULL);
    if (a == NULL) return NULL;

    gen = a->ops->peek(a->handle, &fresh_until);
    a->state[0] = gen != 0 ? (double)fresh_until : 0;
    a->state[1] = (double)gen;
    {
        napi_status st = napi_create_double(env, (double)gen, &out);
        if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    }
    return out;
}

static napi_value authenticator_current(napi_env env, napi_callback_info info)
{
    int64_t fresh_until = 0;
    uint64_t gen;
    iam_token *token = NULL;
    iam_error err;
    napi_value out;
    napi_status st;
    authenticator *a = unwrap_this(env, info, NULL);
    if (a == NULL) return NULL;

    gen = a->ops->peek(a->handle, &fresh_until);
    if (gen == 0) {
        a->state[0] = 0;
        a->state[1] = 0;
        napi_get_null(env, &out);
        return out;
    }
    /* A valid token is cached: iam_auth_get_token returns it at once. */
    iam_error_clear(&err);
    if (a->ops->get_token(a->handle, &token, &err) != IAM_OK || token == NULL) {
        if (err.code == IAM_OK) {
            err.code = IAM_E_INTERNAL;
            strcpy(err.message, "the core returned no token");
        }
        return iamnode_throw_iam(env, &err);
    }
    /* fresh_until belongs to `gen`; a newer token is fresh at least as long. */
    a->state[0] = (double)fresh_until;
    a->state[1] = (double)iam_token_generation(token);
    st = napi_create_string_utf8(env, iam_token_value(token), iam_token_length(token), &out);
    iam_token_release(token);
    if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    return out;
}

static napi_value authenticator_invalidate(napi_env env, napi_callback_info info)
{
    authenticator *a = unwrap_this(env, info, NULL);
    if (a == NULL) return NULL;
    a->ops->invalidate(a->handle);
    a->state[0] = 0;
    a->state[1] = 0;
    return NULL;
}

/* ------------------------------------------------------------ fetch (off the main thread) */

typedef struct fetch_work {
    napi_deferred deferred;
    napi_ref self_ref;  /* keeps the JS object alive until complete              */
    void *handle;       /* its own reference to the iam_auth / iam_rds_auth       */
    const iamnode_token_ops *ops;
    iam_token *token;   /* result on success */
    iam_status status;
    iam_error err;      /* copied by value on the worker thread */
} fetch_work;

/* The fetch's own thread (offthread.c): no napi_env here. */
static void fetch_execute(void *data)
{
    fetch_work *w = data;
    iam_error_clear(&w->err);
    w->status = w->ops->get_token(w->handle, &w->token, &w->err);
    if (w->status == IAM_OK && w->token == NULL) {
        w->status = IAM_E_INTERNAL;
        w->err.code = IAM_E_INTERNAL;
        strcpy(w->err.message, "the core returned no token");
    }
    if (w->status != IAM_OK && w->err.code == IAM_OK) w->err.code = w->status;
}

static napi_status fetch_result(napi_env env, const fetch_work *w, napi_value *out)
{
    napi_value obj, v;
    NAPI_TRY(napi_create_object(env, &obj));
    NAPI_TRY(napi_create_string_utf8(env, iam_token_value(w->token), iam_token_length(w->token),
                                     &v));
    NAPI_TRY(napi_set_named_property(env, obj, "token", v));
    NAPI_TRY(napi_create_double(env, (double)iam_token_generation(w->token), &v));
    NAPI_TRY(napi_set_named_property(env, obj, "generation", v));
    *out = obj;
    return napi_ok;
}

static void fetch_free(fetch_work *w)
{
    iam_token_release(w->token);
    w->ops->release(w->handle);
    OPENSSL_cleanse(&w->err, sizeof w->err);
    free(w);
}

/* Main thread. Settles the promise in every case — never leaves it pending. With
 * env NULL (the environment is gone, its promises with it) it only frees. */
static void fetch_complete(napi_env env, void *data)
{
    fetch_work *w = data;
    napi_value value = NULL;
    napi_status st;
    int resolve = 0;

    if (env == NULL) {
        fetch_free(w);
        return;
    }
    if (w->status == IAM_OK) {
        st = fetch_result(env, w, &value);
        resolve = 1;
    } else {
        st = iamnode_error_from_iam(env, &w->err, &value);
    }
    if (st != napi_ok) {
        /* Building the value failed: reject with whatever went wrong. */
        bool pending = false;
        resolve = 0;
        value = NULL;
        if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
            napi_get_and_clear_last_exception(env, &value);
        }
        if (value == NULL) {
            napi_value code, msg;
            if (napi_create_string_utf8(env, "IAMCORE_INTERNAL", NAPI_AUTO_LENGTH, &code) == napi_ok &&
                napi_create_string_utf8(env, "could not build the fetch result", NAPI_AUTO_LENGTH,
                                        &msg) == napi_ok) {
                napi_create_error(env, code, msg, &value);
            }
        }
    }
    if (value != NULL) {
        if (resolve) {
            napi_resolve_deferred(env, w->deferred, value);
        } else {
            napi_reject_deferred(env, w->deferred, value);
        }
    }

    if (w->self_ref != NULL) napi_delete_reference(env, w->self_ref);
    fetch_free(w);
}

/* The environment is torn down mid-fetch: drop the reference to the JS object. */
static void fetch_abandon(napi_env env, void *data)
{
    fetch_work *w = data;
    if (w->self_ref != NULL) napi_delete_reference(env, w->self_ref);
    w->self_ref = NULL;
}

static napi_value authenticator_fetch(napi_env env, napi_callback_info info)
{
    napi_value self, promise;
    napi_status st;
    fetch_work *w;
    authenticator *a = unwrap_this(env, info, &self);
    if (a == NULL) return NULL;

    w = calloc(1, sizeof *w);
    if (w == NULL) return iamnode_throw_status(env, IAM_E_NOMEM, "out of memory");
    /* Its own reference: if the environment goes away mid-fetch (a worker is
     * terminated), the object's finalizer may run before this work ends. */
    w->ops = a->ops;
    w->handle = a->ops->retain(a->handle);

    st = napi_create_reference(env, self, 1, &w->self_ref);
    if (st == napi_ok) st = napi_create_promise(env, &w->deferred, &promise);
    if (st != napi_ok) {
        if (w->self_ref != NULL) napi_delete_reference(env, w->self_ref);
        w->ops->release(w->handle);
        free(w);
        return iamnode_throw_napi_failure(env, st);
    }
    st = iamnode_run_off_thread(env, "iamcore:fetch", fetch_execute, fetch_complete, fetch_abandon, w);
    if (st != napi_ok) {
        /* The promise exists: reject it rather than leave it pending. */
        iam_error err;
        iam_error_clear(&err);
        err.code = IAM_E_INTERNAL;
        strcpy(err.message, "could not start the token fetch");
        iamnode_reject_iam(env, w->deferred, &err);
        napi_delete_reference(env, w->self_ref);
        w->ops->release(w->handle);
        free(w);
    }
    return promise;
}

/* ------------------------------------------------------------ class */

napi_status iamnode_token_class_define(napi_env env, napi_value exports, const char *name,
                                       napi_callback ctor, const napi_property_descriptor *extra,
                                       size_t extra_count)
{
    napi_value cls;
    napi_property_descriptor methods[16] = {
        {"peek", NULL, authenticator_peek, NULL, NULL, NULL, napi_default_method, NULL},
        {"current", NULL, authenticator_current, NULL, NULL, NULL, napi_default_method, NULL},
        {"fetch", NULL, authenticator_fetch, NULL, NULL, NULL, napi_default_method, NULL},
        {"invalidate", NULL, authenticator_invalidate, NULL, NULL, NULL, napi_default_method,
         NULL},
    };
    size_t count = 4, i;
    for (i = 0; i < extra_count && count < sizeof methods / sizeof methods[0]; i++) {
        methods[count++] = extra[i];
    }
    NAPI_TRY(napi_define_class(env, name, NAPI_AUTO_LENGTH, ctor, NULL, count, methods, &cls));
    return napi_set_named_property(env, exports, name, cls);
}

/* ------------------------------------------------------------ loadEnvironment */

/* Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF):
 * V8 would silently replace anything else, changing a credential. */
static int valid_utf8(const unsigned char *s)
{
    while (*s) {
        unsigned c = *s++;
        int more;
        unsigned cp, min;
        if (c < 0x80) continue;
        if ((c & 0xE0) == 0xC0) { more = 1; cp = c & 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { more = 2; cp = c & 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { more = 3; cp = c & 0x07; min = 0x10000; }
        else return 0;
        while (more--) {
            if ((*s & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (*s++ & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    }
    return 1;
}

/* obj[key] = the property `name` when set. A value that is not UTF-8 throws
 * IAMCORE_CONFIG naming the property. */
static napi_status set_property(napi_env env, napi_value obj, const char *key,
                                const iam_env_properties *p, const char *name)
{
    napi_value v;
    const char *value = iam_env_property(p, name);
    if (value == NULL) return napi_ok;
    if (!valid_utf8((const unsigned char *)value)) {
        char msg[96];
        snprintf(msg, sizeof msg, "the value of %s is not valid UTF-8 text", name);
        iamnode_throw_status(env, IAM_E_CONFIG, msg);
        return napi_pending_exception;
    }
    NAPI_TRY(napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v));
    return napi_set_named_property(env, obj, key, v);
}

static napi_status set_text(napi_env env, napi_value obj, const char *key, const char *value)
{
    napi_value v;
    if (value == NULL || value[0] == '\0') return napi_ok;
    NAPI_TRY(napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v));
    return napi_set_named_property(env, obj, key, v);
}

/* The non-secret options of a configuration, under their JS names. */
static napi_status display_options(napi_env env, const iam_config *cfg, napi_value *out)
{
    napi_value obj, v;
    NAPI_TRY(napi_create_object(env, &obj));
    NAPI_TRY(set_text(env, obj, "url", cfg->url));
    NAPI_TRY(set_text(env, obj, "clientId", cfg->client_id));
    NAPI_TRY(set_text(env, obj, "scope", cfg->scope));
    NAPI_TRY(set_text(env, obj, "iamProfileName", cfg->iam_profile_name));
    NAPI_TRY(set_text(env, obj, "iamProfileId", cfg->iam_profile_id));
    NAPI_TRY(set_text(env, obj, "iamProfileCrn", cfg->iam_profile_crn));
    NAPI_TRY(set_text(env, obj, "iamAccountId", cfg->iam_account_id));
    NAPI_TRY(set_text(env, obj, "crTokenFilename", cfg->cr_token_filename));
    NAPI_TRY(set_text(env, obj, "vpcImsVersion", cfg->vpc_ims_version));
    if (cfg->disable_ssl_verification) {
        NAPI_TRY(napi_get_boolean(env, true, &v));
        NAPI_TRY(napi_set_named_property(env, obj, "disableSslVerification", v));
    }
    *out = obj;
    return napi_ok;
}

/* result.handle and result.options of a token authenticator type. */
static napi_status prepare_token_auth(napi_env env, const iam_env_properties *p,
                                      const char *ua_extra, napi_value result)
{
    iam_config cfg = IAM_CONFIG_INIT;
    iam_auth_type type;
    iam_error err;
    prepared_auth *box;
    napi_value options, handle;
    napi_status st;

    cfg.user_agent_extra = ua_extra;
    iam_error_clear(&err);
    if (iam_env_fill_config(p, &cfg, &type, &err) != IAM_OK) {
        iamnode_throw_iam(env, &err);
        return napi_pending_exception;
    }
    NAPI_TRY(display_options(env, &cfg, &options));
    NAPI_TRY(napi_set_named_property(env, result, "options", options));
    box = calloc(1, sizeof *box);
    if (box == NULL) {
        iamnode_throw_status(env, IAM_E_NOMEM, "out of memory");
        return napi_pending_exception;
    }
    if (iam_env_auth_new(&box->auth, p, &cfg, &err) != IAM_OK) {
        free(box);
        iamnode_throw_iam(env, &err);
        return napi_pending_exception;
    }
    st = napi_create_external(env, box, prepared_finalize, NULL, &handle);
    if (st != napi_ok) {
        prepared_finalize(env, box, NULL);
        return st;
    }
    return napi_set_named_property(env, result, "handle", handle);
}

static napi_status load_environment(napi_env env, const char *service, const char *ua_extra,
                                    napi_value *out)
{
    iam_env_properties *p = NULL;
    iam_error err;
    napi_value result;
    const char *type;
    napi_status st;

    iam_error_clear(&err);
    if (iam_env_properties_load(&p, service, &err) != IAM_OK) {
        iamnode_throw_iam(env, &err);
        return napi_pending_exception;
    }
    type = iam_env_auth_type(p);
    st = napi_create_object(env, &result);
    if (st == napi_ok) st = set_text(env, result, "type", type);
    if (st == napi_ok) st = set_text(env, result, "source", iam_env_source(p));
    if (st == napi_ok) {
        if (strcmp(type, IAM_ENV_AUTH_BEARER_TOKEN) == 0) {
            st = set_property(env, result, "bearerToken", p, "BEARER_TOKEN");
        } else if (strcmp(type, IAM_ENV_AUTH_BASIC) == 0) {
            st = set_property(env, result, "username", p, "USERNAME");
            if (st == napi_ok) st = set_property(env, result, "password", p, "PASSWORD");
        } else if (strcmp(type, IAM_ENV_AUTH_NOAUTH) != 0) {
            st = prepare_token_auth(env, p, ua_extra, result);
        }
    }
    iam_env_properties_free(p); /* zeroes every value */
    if (st == napi_ok) *out = result;
    return st;
}

static napi_value authenticator_load_environment(napi_env env, napi_callback_info info)
{
    size_t argc = 2;
    napi_value argv[2], out = NULL;
    char *service = NULL, *ua_extra = NULL;
    napi_valuetype t = napi_undefined;
    napi_status st = napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (st == napi_ok && argc < 2) {
        return iamnode_throw_status(env, IAM_E_INTERNAL, "loadEnvironment needs 2 arguments");
    }
    if (st == napi_ok) st = napi_typeof(env, argv[0], &t);
    if (st == napi_ok && t != napi_string) {
        return iamnode_throw_type(env, "serviceName", "a string");
    }
    if (st == napi_ok) st = iamnode_copy_string(env, argv[0], "serviceName", &service);
    if (st == napi_ok) st = napi_typeof(env, argv[1], &t);
    if (st == napi_ok && t == napi_string) st = iamnode_copy_string(env, argv[1], "userAgentExtra", &ua_extra);
    if (st == napi_ok) st = load_environment(env, service, ua_extra, &out);
    free(service);
    free(ua_extra);
    if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    return out;
}

napi_status iamnode_authenticator_init(napi_env env, napi_value exports)
{
    napi_value fn;
    NAPI_TRY(iamnode_token_class_define(env, exports, "Authenticator", authenticator_new, NULL, 0));
    NAPI_TRY(napi_create_function(env, "loadEnvironment", NAPI_AUTO_LENGTH,
                                  authenticator_load_environment, NULL, &fn));
    return napi_set_named_property(env, exports, "loadEnvironment", fn);
}
