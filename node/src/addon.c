/*
 * Module init. Exports:
 *   Authenticator        the IBM token authenticator class (authenticator.c)
 *   loadEnvironment      a service's environment configuration (authenticator.c)
 *   RdsAuth              cached RDS tokens (rds.c)
 *   CredentialProvider, resolveCredentials, invalidateCredentials  (aws_provider.c)
 *   awsSign, resolveRegion                                          (aws_sign.c)
 *   setLogCallback(fn | null)   the core's events for this environment (log.c)
 *   setErrorClass(cls)   register the JS IamcoreError class used for every error
 *   version              iam_version()
 *
 * Module-wide state is per Node environment (napi_set_instance_data), so the addon
 * can be loaded by several worker_threads at once.
 */
#include <stdlib.h>

#include "addon.h"

static void addon_data_finalize(napi_env env, void *data, void *hint)
{
    addon_data *d = data;
    (void)hint;
    if (d == NULL) return;
    if (d->error_class != NULL) napi_delete_reference(env, d->error_class);
    /* Async work still running holds its own reference. */
    iam_aws_provider_free(d->default_provider);
    free(d);
}

static napi_value set_error_class(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value arg;
    napi_valuetype type;
    addon_data *d = NULL;
    napi_ref ref = NULL;
    napi_status st;

    st = napi_get_cb_info(env, info, &argc, &arg, NULL, NULL);
    if (st == napi_ok && argc < 1) {
        return iamnode_throw_status(env, IAM_E_INTERNAL, "setErrorClass needs a class");
    }
    if (st == napi_ok) st = napi_typeof(env, arg, &type);
    if (st == napi_ok && type != napi_function) {
        return iamnode_throw_status(env, IAM_E_INTERNAL, "setErrorClass needs a class");
    }
    if (st == napi_ok) st = napi_get_instance_data(env, (void **)&d);
    if (st == napi_ok && d == NULL) st = napi_generic_failure;
    if (st == napi_ok) st = napi_create_reference(env, arg, 1, &ref);
    if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    if (d->error_class != NULL) napi_delete_reference(env, d->error_class);
    d->error_class = ref;
    return NULL;
}

static napi_status init(napi_env env, napi_value exports)
{
    addon_data *d;
    napi_value fn, version;
    napi_status st;

    d = calloc(1, sizeof *d);
    if (d == NULL) return napi_generic_failure;
    st = napi_set_instance_data(env, d, addon_data_finalize, NULL);
    if (st != napi_ok) {
        free(d);
        return st;
    }
    NAPI_TRY(iamnode_authenticator_init(env, exports));
    NAPI_TRY(iamnode_rds_init(env, exports));
    NAPI_TRY(iamnode_aws_provider_init(env, exports));
    NAPI_TRY(iamnode_aws_sign_init(env, exports));
    NAPI_TRY(iamnode_log_init(env, exports));
    NAPI_TRY(napi_create_function(env, "setErrorClass", NAPI_AUTO_LENGTH, set_error_class, NULL,
                                  &fn));
    NAPI_TRY(napi_set_named_property(env, exports, "setErrorClass", fn));
    NAPI_TRY(napi_create_string_utf8(env, iam_version(), NAPI_AUTO_LENGTH, &version));
    NAPI_TRY(napi_set_named_property(env, exports, "version", version));
    return napi_ok;
}

NAPI_MODULE_INIT()
{
    /* The npm prebuilt's libcurl: through iamcore_libcurl.node beside this addon. */
    static const char here = 0;
    iam_libs_use_beside(&here, "iamcore", "iamcore_lib");
    napi_status st = init(env, exports);
    if (st != napi_ok) {
        iamnode_throw_napi_failure(env, st);
        return NULL;
    }
    return exports;
}
