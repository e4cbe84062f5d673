/*
 * AWS credentials for the addon.
 *
 *   new CredentialProvider({ profile?, credentials? })
 *       one iam_aws_provider *: explicit credentials, or the default chain for a
 *       named profile (profile undefined: AWS_PROFILE, else "default"). No I/O.
 *   resolveCredentials(provider?) -> Promise<{ accessKeyId, secretAccessKey,
 *       sessionToken?, expiration? (epoch seconds), source }>
 *       iam_aws_provider_get on a thread of its own (offthread.c).
 *   invalidateCredentials(provider?)  forget the provider's cached credentials.
 *
 * `provider` undefined/null everywhere means this environment's default chain: an
 * iam_aws_provider created at its first use and kept in the instance data, so
 * each worker_thread has its own (and its own cache). The provider is
 * thread-safe; every resolution in flight holds its own reference, so a worker
 * that goes away mid-fetch cannot free it under that thread.
 *
 * Credentials read from JS (iamnode_aws_creds) are owned copies, zeroed on clear.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "addon.h"

static const napi_type_tag PROVIDER_TAG = {0x69616d636f72652dULL, 0x6177733a70763100ULL};

/* ------------------------------------------------------------ explicit credentials */

void iamnode_aws_creds_clear(iamnode_aws_creds *c)
{
    iamnode_free_secret(c->access_key_id);
    iamnode_free_secret(c->secret_access_key);
    iamnode_free_secret(c->session_token);
    memset(c, 0, sizeof *c);
}

napi_status iamnode_aws_creds_read(napi_env env, napi_value obj, iamnode_aws_creds *out)
{
    napi_valuetype type;
    int64_t expiration = 0;
    int given = 0;

    memset(out, 0, sizeof *out);
    NAPI_TRY(napi_typeof(env, obj, &type));
    if (type != napi_object) {
        iamnode_throw_type(env, "credentials", "an object or a function");
        return napi_pending_exception;
    }
    NAPI_TRY(iamnode_read_string(env, obj, "accessKeyId", &out->access_key_id));
    NAPI_TRY(iamnode_read_string(env, obj, "secretAccessKey", &out->secret_access_key));
    NAPI_TRY(iamnode_read_string(env, obj, "sessionToken", &out->session_token));
    NAPI_TRY(iamnode_read_integer(env, obj, "expiration", 0, 253402300799.0, &expiration, &given));
    if (out->access_key_id == NULL || out->access_key_id[0] == '\0' ||
        out->secret_access_key == NULL || out->secret_access_key[0] == '\0') {
        iamnode_throw_status(env, IAM_E_CONFIG,
                             "credentials need an accessKeyId and a secretAccessKey");
        return napi_pending_exception;
    }
    out->view.access_key_id = out->access_key_id;
    out->view.secret_access_key = out->secret_access_key;
    out->view.session_token = out->session_token;
    out->view.expiration = given ? expiration : 0;
    return napi_ok;
}

/* ------------------------------------------------------------ CredentialProvider */

static void provider_finalize(napi_env env, void *data, void *hint)
{
    (void)env;
    (void)hint;
    iam_aws_provider_free(data);
}

static napi_value provider_new(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value arg = NULL, self, new_target, creds_value;
    napi_valuetype type = napi_undefined, creds_type = napi_undefined;
    iam_aws_provider_config cfg = IAM_AWS_PROVIDER_CONFIG_INIT;
    iamnode_aws_creds creds;
    char *profile = NULL;
    iam_aws_provider *p = NULL;
    iam_error err;
    iam_status rc;
    napi_status st;

    memset(&creds, 0, sizeof creds);
    st = napi_get_cb_info(env, info, &argc, &arg, &self, NULL);
    if (st == napi_ok) st = napi_get_new_target(env, info, &new_target);
    if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    if (new_target == NULL) {
        return iamnode_throw_status(env, IAM_E_INTERNAL,
                                    "CredentialProvider must be called with new");
    }
    if (argc >= 1) {
        st = napi_typeof(env, arg, &type);
        if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    }
    if (type != napi_object) return iamnode_throw_type(env, "options", "an object");

    st = iamnode_read_string(env, arg, "profile", &profile);
    if (st == napi_ok) st = napi_get_named_property(env, arg, "credentials", &creds_value);
    if (st == napi_ok) st = napi_typeof(env, creds_value, &creds_type);
    if (st == napi_ok && creds_type != napi_undefined && creds_type != napi_null) {
        st = iamnode_aws_creds_read(env, creds_value, &creds);
        if (st == napi_ok) cfg.credentials = &creds.view;
    }
    if (st != napi_ok) {
        iamnode_free_secret(profile);
        iamnode_aws_creds_clear(&creds);
        return iamnode_throw_napi_failure(env, st);
    }
    cfg.profile = profile;
    iam_error_clear(&err);
    rc = iam_aws_provider_new(&p, &cfg, &err);
    iamnode_free_secret(profile);
    iamnode_aws_creds_clear(&creds); /* the provider keeps its own copy */
    if (rc != IAM_OK || p == NULL) {
        if (err.code == IAM_OK) err.code = rc != IAM_OK ? rc : IAM_E_INTERNAL;
        return iamnode_throw_iam(env, &err);
    }
    st = napi_type_tag_object(env, self, &PROVIDER_TAG);
    if (st == napi_ok) st = napi_wrap(env, self, p, provider_finalize, NULL, NULL);
    if (st != napi_ok) {
        iam_aws_provider_free(p);
        return iamnode_throw_napi_failure(env, st);
    }
    return self;
}

iam_aws_provider *iamnode_aws_provider_get(napi_env env, napi_value value)
{
    napi_valuetype type = napi_undefined;
    napi_status st = napi_ok;

    if (value != NULL) st = napi_typeof(env, value, &type);
    if (st != napi_ok) {
        iamnode_throw_napi_failure(env, st);
        return NULL;
    }
    if (type == napi_undefined || type == napi_null) {
        addon_data *d = NULL;
        st = napi_get_instance_data(env, (void **)&d);
        if (st != napi_ok || d == NULL) {
            iamnode_throw_napi_failure(env, st != napi_ok ? st : napi_generic_failure);
            return NULL;
        }
        if (d->default_provider == NULL) {
            iam_aws_provider_config cfg = IAM_AWS_PROVIDER_CONFIG_INIT;
            iam_error err;
            iam_status rc;
            iam_error_clear(&err);
            rc = iam_aws_provider_new(&d->default_provider, &cfg, &err);
            if (rc != IAM_OK || d->default_provider == NULL) {
                d->default_provider = NULL;
                if (err.code == IAM_OK) err.code = rc != IAM_OK ? rc : IAM_E_INTERNAL;
                iamnode_throw_iam(env, &err);
                return NULL;
            }
        }
        return iam_aws_provider_retain(d->default_provider);
    }
    {
        bool tagged = false;
        void *data = NULL;
        if (type == napi_object) st = napi_check_object_type_tag(env, value, &PROVIDER_TAG, &tagged);
        if (st != napi_ok) {
            iamnode_throw_napi_failure(env, st);
            return NULL;
        }
        if (!tagged || napi_unwrap(env, value, &data) != napi_ok || data == NULL) {
            iamnode_throw_status(env, IAM_E_INTERNAL, "not an iamcore credential provider");
            return NULL;
        }
        return iam_aws_provider_retain(data);
    }
}

/* ------------------------------------------------------------ resolveCredentials */

typedef struct resolve_work {
    napi_deferred deferred;
    iam_aws_provider *provider;
    iam_aws_creds *creds; /* result on success */
    iam_status status;
    iam_error err;
} resolve_work;

/* The resolution's own thread (offthread.c): no napi_env here. */
static void resolve_execute(void *data)
{
    resolve_work *w = data;
    iam_error_clear(&w->err);
    w->status = iam_aws_provider_get(w->provider, &w->creds, &w->err);
    if (w->status == IAM_OK && w->creds == NULL) {
        w->status = IAM_E_INTERNAL;
        snprintf(w->err.message, sizeof w->err.message, "the provider returned no credentials");
    }
    if (w->status != IAM_OK && w->err.code == IAM_OK) w->err.code = w->status;
}

static napi_status set_string(napi_env env, napi_value obj, const char *name, const char *value)
{
    napi_value v;
    if (value == NULL || value[0] == '\0') return napi_ok;
    NAPI_TRY(napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v));
    return napi_set_named_property(env, obj, name, v);
}

static napi_status creds_result(napi_env env, const iam_aws_creds *creds, napi_value *out)
{
    napi_value obj, v;
    iam_aws_credentials view = iam_aws_creds_view(creds);
    NAPI_TRY(napi_create_object(env, &obj));
    NAPI_TRY(set_string(env, obj, "accessKeyId", view.access_key_id));
    NAPI_TRY(set_string(env, obj, "secretAccessKey", view.secret_access_key));
    NAPI_TRY(set_string(env, obj, "sessionToken", view.session_token));
    NAPI_TRY(set_string(env, obj, "source", iam_aws_creds_source(creds)));
    if (view.expiration != 0) {
        NAPI_TRY(napi_create_double(env, (double)view.expiration, &v));
        NAPI_TRY(napi_set_named_property(env, obj, "expiration", v));
    }
    *out = obj;
    return napi_ok;
}

/* Main thread. Settles the promise in every case; with env NULL (the environment
 * is gone) it only frees. */
static void resolve_complete(napi_env env, void *data)
{
    resolve_work *w = data;
    napi_value value = NULL;

    if (env != NULL && w->status == IAM_OK) {
        if (creds_result(env, w->creds, &value) == napi_ok) {
            napi_resolve_deferred(env, w->deferred, value);
        } else {
            iamnode_reject_napi_failure(env, w->deferred);
        }
    } else if (env != NULL) {
        iamnode_reject_iam(env, w->deferred, &w->err);
    }
    iam_aws_creds_release(w->creds);
    iam_aws_provider_free(w->provider);
    OPENSSL_cleanse(&w->err, sizeof w->err);
    free(w);
}

static napi_value resolve_credentials(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value arg = NULL, promise;
    resolve_work *w;
    napi_status st;

    st = napi_get_cb_info(env, info, &argc, &arg, NULL, NULL);
    if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    w = calloc(1, sizeof *w);
    if (w == NULL) return iamnode_throw_status(env, IAM_E_NOMEM, "out of memory");
    w->provider = iamnode_aws_provider_get(env, argc >= 1 ? arg : NULL);
    if (w->provider == NULL) {
        free(w);
        return NULL;
    }
    st = napi_create_promise(env, &w->deferred, &promise);
    if (st != napi_ok) {
        iam_aws_provider_free(w->provider);
        free(w);
        return iamnode_throw_napi_failure(env, st);
    }
    st = iamnode_run_off_thread(env, "iamcore:aws-credentials", resolve_execute,
                                resolve_complete, NULL, w);
    if (st != napi_ok) {
        iam_error err;
        iam_error_clear(&err);
        err.code = IAM_E_INTERNAL;
        snprintf(err.message, sizeof err.message, "could not start the credential resolution");
        iamnode_reject_iam(env, w->deferred, &err);
        iam_aws_provider_free(w->provider);
        free(w);
    }
    return promise;
}

static napi_value invalidate_credentials(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value arg = NULL;
    napi_valuetype type = napi_undefined;
    napi_status st = napi_get_cb_info(env, info, &argc, &arg, NULL, NULL);
    if (st == napi_ok && argc >= 1) st = napi_typeof(env, arg, &type);
    if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    if (type == napi_undefined || type == napi_null) {
        /* The default chain: only when it exists (creating it to forget nothing
         * would be pointless). */
        addon_data *d = NULL;
        if (napi_get_instance_data(env, (void **)&d) == napi_ok && d != NULL &&
            d->default_provider != NULL) {
            iam_aws_provider_invalidate(d->default_provider);
        }
        return NULL;
    }
    {
        iam_aws_provider *p = iamnode_aws_provider_get(env, arg);
        if (p == NULL) return NULL;
        iam_aws_provider_invalidate(p);
        iam_aws_provider_free(p);
    }
    return NULL;
}

napi_status iamnode_aws_provider_init(napi_env env, napi_value exports)
{
    napi_value cls, fn;
    NAPI_TRY(napi_define_class(env, "CredentialProvider", NAPI_AUTO_LENGTH, provider_new, NULL, 0,
                               NULL, &cls));
    NAPI_TRY(napi_set_named_property(env, exports, "CredentialProvider", cls));
    NAPI_TRY(napi_create_function(env, "resolveCredentials", NAPI_AUTO_LENGTH, resolve_credentials,
                                  NULL, &fn));
    NAPI_TRY(napi_set_named_property(env, exports, "resolveCredentials", fn));
    NAPI_TRY(napi_create_function(env, "invalidateCredentials", NAPI_AUTO_LENGTH,
                                  invalidate_credentials, NULL, &fn));
    return napi_set_named_property(env, exports, "invalidateCredentials", fn);
}
