/*
 * RdsAuth: one JS object wrapping one iam_rds_auth * (a cached RDS token for one
 * region, host, port and user). It shares the Authenticator's methods
 * (authenticator.c): peek(), current(), fetch(), invalidate(); plus region().
 *
 *   new RdsAuth(options, provider, state)
 *       options   { hostname, port, username, region?, signingHostname?,
 *                   expiration? (seconds), profile? }
 *       provider  a CredentialProvider, or undefined for the environment's
 *                 default chain
 *       state     the shared Float64Array(2), as for Authenticator
 *
 * iam_rds_auth_new checks the values and resolves the region (it may read the
 * config file; no network I/O), so a bad option throws here, synchronously.
 */
#include <stdlib.h>
#include <string.h>

#include "addon.h"

static iam_status rds_get_token(void *h, iam_token **out, iam_error *err)
{
    return iam_rds_auth_get_token(h, out, err);
}

static uint64_t rds_peek(void *h, int64_t *fresh_until_ms)
{
    return iam_rds_auth_peek(h, fresh_until_ms);
}

static void rds_invalidate(void *h)
{
    iam_rds_auth_invalidate(h);
}

static void *rds_retain(void *h)
{
    return iam_rds_auth_retain(h);
}

static void rds_release(void *h)
{
    iam_rds_auth_free(h);
}

static const iamnode_token_ops RDS_OPS = {
    "RDS authenticator", rds_get_token, rds_peek, rds_invalidate, rds_retain, rds_release,
};

static napi_value rds_new(napi_env env, napi_callback_info info)
{
    size_t argc = 3;
    napi_value argv[3], self, new_target;
    napi_valuetype type = napi_undefined;
    iam_rds_config cfg = IAM_RDS_CONFIG_INIT;
    char *hostname = NULL, *username = NULL, *region = NULL, *signing = NULL, *profile = NULL;
    int64_t port = 0, expiration = 0;
    int port_given = 0, expiration_given = 0;
    iam_aws_provider *provider = NULL;
    iam_rds_auth *auth = NULL;
    iam_error err;
    iam_status rc;
    napi_status st;

    st = napi_get_cb_info(env, info, &argc, argv, &self, NULL);
    if (st == napi_ok) st = napi_get_new_target(env, info, &new_target);
    if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    if (new_target == NULL) {
        return iamnode_throw_status(env, IAM_E_INTERNAL, "RdsAuth must be called with new");
    }
    if (argc < 3) return iamnode_throw_status(env, IAM_E_INTERNAL, "RdsAuth needs 3 arguments");
    st = napi_typeof(env, argv[0], &type);
    if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    if (type != napi_object) return iamnode_throw_type(env, "options", "an object");

    st = iamnode_read_string(env, argv[0], "hostname", &hostname);
    if (st == napi_ok) st = iamnode_read_integer(env, argv[0], "port", 1, 65535, &port, &port_given);
    if (st == napi_ok) st = iamnode_read_string(env, argv[0], "username", &username);
    if (st == napi_ok) st = iamnode_read_string(env, argv[0], "region", &region);
    if (st == napi_ok) st = iamnode_read_string(env, argv[0], "signingHostname", &signing);
    if (st == napi_ok) {
        st = iamnode_read_integer(env, argv[0], "expiration", 1, 2147483647.0,
                                  &expiration, &expiration_given);
    }
    if (st == napi_ok) st = iamnode_read_string(env, argv[0], "profile", &profile);
    if (st == napi_ok) {
        provider = iamnode_aws_provider_get(env, argv[1]);
        if (provider == NULL) st = napi_pending_exception;
    }
    if (st == napi_ok) {
        cfg.hostname = hostname;
        cfg.port = port_given ? (int)port : 0;
        cfg.username = username;
        cfg.region = region;
        cfg.signing_hostname = signing;
        cfg.expiration_s = expiration_given ? (long)expiration : 0;
        cfg.provider = provider;
        cfg.profile = profile;
        iam_error_clear(&err);
        rc = iam_rds_auth_new(&auth, &cfg, &err);
        if (rc != IAM_OK || auth == NULL) {
            if (err.code == IAM_OK) err.code = rc != IAM_OK ? rc : IAM_E_INTERNAL;
            iamnode_throw_iam(env, &err);
            st = napi_pending_exception;
            auth = NULL;
        }
    }
    iam_aws_provider_free(provider); /* the authenticator holds its own reference */
    free(hostname);
    iamnode_free_secret(username);
    free(region);
    free(signing);
    free(profile);
    if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    return iamnode_token_wrap(env, self, auth, &RDS_OPS, argv[2]);
}

static napi_value rds_region(napi_env env, napi_callback_info info)
{
    napi_value out;
    napi_status st;
    iam_rds_auth *auth = iamnode_token_unwrap(env, info, &RDS_OPS);
    if (auth == NULL) return NULL;
    st = napi_create_string_utf8(env, iam_rds_auth_region(auth), NAPI_AUTO_LENGTH, &out);
    if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    return out;
}

napi_status iamnode_rds_init(napi_env env, napi_value exports)
{
    const napi_property_descriptor extra[] = {
        {"region", NULL, rds_region, NULL, NULL, NULL, napi_default_method, NULL},
    };
    return iamnode_token_class_define(env, exports, "RdsAuth", rds_new, extra,
                                      sizeof extra / sizeof extra[0]);
}
