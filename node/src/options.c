/*
 * JS options object -> iam_config.
 *
 * The JS layer passes a plain object holding only the options of the class being
 * built, under their JS names. Here we check types and convert units; values
 * (empty API key, CR/LF in a header, missing profile, ...) are checked by
 * iam_auth_new, the one place where configuration rules live. Every string is
 * copied into memory we own, and zeroed before it is freed: the API key, the
 * refresh token and the client secret pass through here.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "addon.h"

/* The maximum accepted value of `timeout` (ms): about 24 days, fits in a long. */
#define MAX_TIMEOUT_MS 2147483647.0

napi_value iamnode_throw_type(napi_env env, const char *option, const char *what)
{
    char msg[160];
    snprintf(msg, sizeof msg, "option '%s' must be %s", option, what);
    return iamnode_throw_status(env, IAM_E_CONFIG, msg);
}

/* Own a copy of a JS string. NUL characters are refused: C would silently cut the
 * value there (an API key "abc\0def" must not become "abc"). */
napi_status iamnode_copy_string(napi_env env, napi_value value, const char *option, char **out)
{
    size_t len = 0;
    char *buf;
    *out = NULL;
    NAPI_TRY(napi_get_value_string_utf8(env, value, NULL, 0, &len));
    buf = malloc(len + 1);
    if (buf == NULL) {
        iamnode_throw_status(env, IAM_E_NOMEM, "out of memory");
        return napi_pending_exception;
    }
    {
        size_t copied = 0;
        napi_status st = napi_get_value_string_utf8(env, value, buf, len + 1, &copied);
        if (st != napi_ok) {
            OPENSSL_cleanse(buf, len + 1);
            free(buf);
            return st;
        }
        if (strlen(buf) != copied) {
            OPENSSL_cleanse(buf, len + 1);
            free(buf);
            iamnode_throw_type(env, option, "a string without NUL characters");
            return napi_pending_exception;
        }
    }
    *out = buf;
    return napi_ok;
}

static int is_absent(napi_valuetype t)
{
    return t == napi_undefined || t == napi_null;
}

/* A string option: undefined/null -> NULL ("not given"), a string -> owned copy. */
static napi_status read_string(napi_env env, napi_value obj, const char *option,
                               iamnode_options *opts, const char **field)
{
    napi_value value;
    napi_valuetype type;
    char *copy = NULL;

    *field = NULL;
    NAPI_TRY(napi_get_named_property(env, obj, option, &value));
    NAPI_TRY(napi_typeof(env, value, &type));
    if (is_absent(type)) return napi_ok;
    if (type != napi_string) {
        iamnode_throw_type(env, option, "a string");
        return napi_pending_exception;
    }
    if (opts->string_count >= sizeof opts->strings / sizeof opts->strings[0]) {
        iamnode_throw_status(env, IAM_E_INTERNAL, "too many string options");
        return napi_pending_exception;
    }
    NAPI_TRY(iamnode_copy_string(env, value, option, &copy));
    opts->strings[opts->string_count++] = copy;
    *field = copy;
    return napi_ok;
}

static napi_status read_bool(napi_env env, napi_value obj, const char *option, int *field)
{
    napi_value value;
    napi_valuetype type;
    bool b = false;

    *field = 0;
    NAPI_TRY(napi_get_named_property(env, obj, option, &value));
    NAPI_TRY(napi_typeof(env, value, &type));
    if (is_absent(type)) return napi_ok;
    if (type != napi_boolean) {
        iamnode_throw_type(env, option, "a boolean");
        return napi_pending_exception;
    }
    NAPI_TRY(napi_get_value_bool(env, value, &b));
    *field = b ? 1 : 0;
    return napi_ok;
}

/* `timeout` is in milliseconds in Node. C reads 0 as "default", so a given value
 * must be positive: 0 or a negative number is a configuration error here. */
static napi_status read_timeout(napi_env env, napi_value obj, const char *option, long *field)
{
    napi_value value;
    napi_valuetype type;
    double ms = 0;

    *field = 0;
    NAPI_TRY(napi_get_named_property(env, obj, option, &value));
    NAPI_TRY(napi_typeof(env, value, &type));
    if (is_absent(type)) return napi_ok;
    if (type != napi_number) {
        iamnode_throw_type(env, option, "a number of milliseconds");
        return napi_pending_exception;
    }
    NAPI_TRY(napi_get_value_double(env, value, &ms));
    if (!(ms > 0) || !isfinite(ms) || ms > MAX_TIMEOUT_MS) {
        iamnode_throw_type(env, option, "a positive number of milliseconds");
        return napi_pending_exception;
    }
    *field = (long)ceil(ms);
    return napi_ok;
}

/* `maxRetries`: retries after the first attempt. The core reads 0 as "default"
 * and a negative number as "none", so 0 is passed down as -1. */
static napi_status read_retries(napi_env env, napi_value obj, const char *option, int *field)
{
    napi_value value;
    napi_valuetype type;
    double n = 0;

    *field = 0;
    NAPI_TRY(napi_get_named_property(env, obj, option, &value));
    NAPI_TRY(napi_typeof(env, value, &type));
    if (is_absent(type)) return napi_ok;
    if (type != napi_number) {
        iamnode_throw_type(env, option, "a whole number");
        return napi_pending_exception;
    }
    NAPI_TRY(napi_get_value_double(env, value, &n));
    if (!(n >= 0) || n != floor(n) || n > 100) {
        iamnode_throw_type(env, option, "a whole number from 0 to 100");
        return napi_pending_exception;
    }
    *field = n == 0 ? -1 : (int)n;
    return napi_ok;
}

/* `headers`: an object of name -> string value (own enumerable string keys). */
static napi_status read_headers(napi_env env, napi_value obj, const char *option,
                                iamnode_options *opts)
{
    napi_value value, names;
    napi_valuetype type;
    uint32_t count = 0, i;

    NAPI_TRY(napi_get_named_property(env, obj, option, &value));
    NAPI_TRY(napi_typeof(env, value, &type));
    if (is_absent(type)) return napi_ok;
    if (type != napi_object) {
        iamnode_throw_type(env, option, "an object of header names to string values");
        return napi_pending_exception;
    }
    NAPI_TRY(napi_get_all_property_names(env, value, napi_key_own_only,
                                         napi_key_enumerable | napi_key_skip_symbols,
                                         napi_key_numbers_to_strings, &names));
    NAPI_TRY(napi_get_array_length(env, names, &count));
    if (count == 0) return napi_ok;

    opts->headers = calloc(count, sizeof *opts->headers);
    opts->header_strings = calloc((size_t)count * 2, sizeof *opts->header_strings);
    if (opts->headers == NULL || opts->header_strings == NULL) {
        iamnode_throw_status(env, IAM_E_NOMEM, "out of memory");
        return napi_pending_exception;
    }
    opts->header_alloc = count;
    for (i = 0; i < count; i++) {
        napi_value name, hvalue;
        napi_valuetype htype;
        char *name_copy = NULL, *value_copy = NULL;

        NAPI_TRY(napi_get_element(env, names, i, &name));
        NAPI_TRY(napi_get_property(env, value, name, &hvalue));
        NAPI_TRY(napi_typeof(env, hvalue, &htype));
        if (htype != napi_string) {
            iamnode_throw_type(env, option, "an object of header names to string values");
            return napi_pending_exception;
        }
        NAPI_TRY(iamnode_copy_string(env, name, option, &name_copy));
        opts->header_strings[opts->header_count * 2] = name_copy;
        NAPI_TRY(iamnode_copy_string(env, hvalue, option, &value_copy));
        opts->header_strings[opts->header_count * 2 + 1] = value_copy;
        opts->headers[opts->header_count].name = name_copy;
        opts->headers[opts->header_count].value = value_copy;
        opts->header_count++;
    }
    opts->cfg.headers = opts->headers;
    opts->cfg.header_count = opts->header_count;
    return napi_ok;
}

napi_status iamnode_options_read(napi_env env, napi_value obj, iamnode_options *opts)
{
    iam_config init = IAM_CONFIG_INIT;
    napi_valuetype type;
    iam_config *c = &opts->cfg;

    memset(opts, 0, sizeof *opts);
    opts->cfg = init;

    NAPI_TRY(napi_typeof(env, obj, &type));
    if (type != napi_object) {
        iamnode_throw_type(env, "options", "an object");
        return napi_pending_exception;
    }
    NAPI_TRY(read_string(env, obj, "apikey", opts, &c->apikey));
    NAPI_TRY(read_string(env, obj, "refreshToken", opts, &c->refresh_token));
    NAPI_TRY(read_string(env, obj, "iamProfileName", opts, &c->iam_profile_name));
    NAPI_TRY(read_string(env, obj, "iamProfileId", opts, &c->iam_profile_id));
    NAPI_TRY(read_string(env, obj, "iamProfileCrn", opts, &c->iam_profile_crn));
    NAPI_TRY(read_string(env, obj, "iamAccountId", opts, &c->iam_account_id));
    NAPI_TRY(read_string(env, obj, "crTokenFilename", opts, &c->cr_token_filename));
    NAPI_TRY(read_string(env, obj, "vpcImsVersion", opts, &c->vpc_ims_version));
    NAPI_TRY(read_string(env, obj, "url", opts, &c->url));
    NAPI_TRY(read_string(env, obj, "clientId", opts, &c->client_id));
    NAPI_TRY(read_string(env, obj, "clientSecret", opts, &c->client_secret));
    NAPI_TRY(read_string(env, obj, "scope", opts, &c->scope));
    NAPI_TRY(read_headers(env, obj, "headers", opts));
    NAPI_TRY(read_bool(env, obj, "disableSslVerification", &c->disable_ssl_verification));
    NAPI_TRY(read_string(env, obj, "caFile", opts, &c->ca_file));
    NAPI_TRY(read_string(env, obj, "proxy", opts, &c->proxy));
    NAPI_TRY(read_timeout(env, obj, "timeout", &c->timeout_ms));
    NAPI_TRY(read_timeout(env, obj, "connectTimeout", &c->connect_timeout_ms));
    NAPI_TRY(read_retries(env, obj, "maxRetries", &c->max_retries));
    NAPI_TRY(read_string(env, obj, "sharedCache", opts, &c->shared_cache));
    NAPI_TRY(read_string(env, obj, "userAgentExtra", opts, &c->user_agent_extra));
    return napi_ok;
}

void iamnode_free_secret(char *s)
{
    if (s == NULL) return;
    OPENSSL_cleanse(s, strlen(s));
    free(s);
}

void iamnode_options_clear(iamnode_options *opts)
{
    size_t i;
    for (i = 0; i < opts->string_count; i++) iamnode_free_secret(opts->strings[i]);
    if (opts->header_strings != NULL) {
        for (i = 0; i < opts->header_alloc * 2; i++) iamnode_free_secret(opts->header_strings[i]);
        free(opts->header_strings);
    }
    free(opts->headers);
    memset(opts, 0, sizeof *opts);
}

/* ------------------------------------------------------------ shared value readers */

napi_status iamnode_read_string(napi_env env, napi_value obj, const char *name, char **out)
{
    napi_value value;
    napi_valuetype type;

    *out = NULL;
    NAPI_TRY(napi_get_named_property(env, obj, name, &value));
    NAPI_TRY(napi_typeof(env, value, &type));
    if (is_absent(type)) return napi_ok;
    if (type != napi_string) {
        iamnode_throw_type(env, name, "a string");
        return napi_pending_exception;
    }
    return iamnode_copy_string(env, value, name, out);
}

napi_status iamnode_read_integer(napi_env env, napi_value obj, const char *name, double min,
                                 double max, int64_t *out, int *given)
{
    napi_value value;
    napi_valuetype type;
    double d = 0;
    char what[96];

    *given = 0;
    NAPI_TRY(napi_get_named_property(env, obj, name, &value));
    NAPI_TRY(napi_typeof(env, value, &type));
    if (is_absent(type)) return napi_ok;
    if (type == napi_number) NAPI_TRY(napi_get_value_double(env, value, &d));
    if (type != napi_number || !isfinite(d) || d != floor(d) || d < min || d > max) {
        snprintf(what, sizeof what, "a whole number from %.0f to %.0f", min, max);
        iamnode_throw_type(env, name, what);
        return napi_pending_exception;
    }
    *out = (int64_t)d;
    *given = 1;
    return napi_ok;
}

napi_status iamnode_read_boolean(napi_env env, napi_value obj, const char *name, int *out)
{
    napi_value value;
    napi_valuetype type;
    bool b = false;

    NAPI_TRY(napi_get_named_property(env, obj, name, &value));
    NAPI_TRY(napi_typeof(env, value, &type));
    if (is_absent(type)) return napi_ok;
    if (type != napi_boolean) {
        iamnode_throw_type(env, name, "a boolean");
        return napi_pending_exception;
    }
    NAPI_TRY(napi_get_value_bool(env, value, &b));
    *out = b ? 1 : 0;
    return napi_ok;
}
