/*
 * SigV4 signing and the database tokens built on it.
 *
 *   awsSign(kind, options, credentials, provider) -> Promise
 *     kind 'headers'      iam_sigv4_sign_headers -> { name: value, ... } to add
 *          'presign'      iam_sigv4_presign      -> the presigned URL string
 *          'rds'          iam_rds_auth_token     -> token string
 *          'dsql'         iam_dsql_auth_token    -> token string
 *          'elasticache'  iam_elasticache_auth_token -> token string
 *     options      already normalised by node/aws.js (see read_* below):
 *                  headers: a flat array [name, value, name, value, ...] of
 *                  strings; body: a Uint8Array; timestamp: epoch seconds
 *     credentials  { accessKeyId, secretAccessKey, sessionToken?, expiration? }:
 *                  signed at once on this thread (no I/O; microseconds), the
 *                  promise is already settled when returned
 *     provider     used when credentials is undefined: a CredentialProvider or
 *                  undefined (the environment's default chain). Getting the
 *                  credentials may block, so the whole operation runs on a
 *                  thread of its own (offthread.c).
 *   resolveRegion(region, profile, hostname) -> string   iam_aws_region_resolve,
 *     throws IAMCORE_CONFIG.
 *
 * Everything an operation needs is copied into a sign_op first (owned strings,
 * zeroed when freed: the session token and the body may be sensitive); every
 * failure after the promise exists rejects it, never throws.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "addon.h"

typedef enum op_kind { OP_HEADERS, OP_PRESIGN, OP_RDS, OP_DSQL, OP_ELASTICACHE } op_kind;

typedef struct sign_op {
    op_kind kind;
    napi_deferred deferred;

    /* headers / presign */
    char *method, *url, *target, *host, *prefix; /* prefix: "scheme://host" (presign) */
    iam_header *headers;
    char **header_strings; /* 2 per header                                  */
    size_t header_slots;   /* allocated entries of header_strings (all freed) */
    size_t header_count;
    unsigned char *body;
    size_t body_len;
    char *service, *payload_hash;
    int normalize_path, double_encode_path, sign_body, omit_session_token;

    /* database tokens */
    char *hostname, *username; /* hostname: also cacheName; username: also userId */
    int port, admin, serverless;

    /* common */
    char *region;
    int64_t timestamp; /* 0: now */
    long expires;      /* 0: the default */

    /* credentials: explicit, or from the provider */
    iamnode_aws_creds creds;
    iam_aws_provider *provider;

    /* result */
    iam_status status;
    iam_error err;
    iam_sigv4_headers out_headers;
    char *out_string;
} sign_op;

static void op_free(sign_op *op)
{
    size_t i;
    if (op == NULL) return;
    iamnode_free_secret(op->method);
    iamnode_free_secret(op->url);
    iam_aws_string_free(op->target);
    free(op->host);
    iamnode_free_secret(op->prefix);
    if (op->header_strings != NULL) {
        for (i = 0; i < op->header_slots; i++) iamnode_free_secret(op->header_strings[i]);
        free(op->header_strings);
    }
    free(op->headers);
    if (op->body != NULL) {
        OPENSSL_cleanse(op->body, op->body_len);
        free(op->body);
    }
    free(op->service);
    free(op->payload_hash);
    free(op->hostname);
    iamnode_free_secret(op->username);
    free(op->region);
    iamnode_aws_creds_clear(&op->creds);
    iam_aws_provider_free(op->provider);
    iam_sigv4_headers_free(&op->out_headers);
    iam_aws_string_free(op->out_string);
    OPENSSL_cleanse(&op->err, sizeof op->err);
    free(op);
}

/* ------------------------------------------------------------ reading the options */

static napi_status read_headers(napi_env env, napi_value obj, sign_op *op)
{
    napi_value value;
    napi_valuetype type;
    bool is_array = false;
    uint32_t length = 0, i;

    NAPI_TRY(napi_get_named_property(env, obj, "headers", &value));
    NAPI_TRY(napi_typeof(env, value, &type));
    if (type == napi_undefined || type == napi_null) return napi_ok;
    NAPI_TRY(napi_is_array(env, value, &is_array));
    if (is_array) NAPI_TRY(napi_get_array_length(env, value, &length));
    if (!is_array || length % 2 != 0) {
        iamnode_throw_type(env, "headers", "a list of names and values");
        return napi_pending_exception;
    }
    /* One more for the Host header taken from the URL. */
    op->headers = calloc(length / 2 + 1, sizeof *op->headers);
    op->header_strings = calloc(length + 2, sizeof *op->header_strings);
    if (op->headers == NULL || op->header_strings == NULL) {
        iamnode_throw_status(env, IAM_E_NOMEM, "out of memory");
        return napi_pending_exception;
    }
    op->header_slots = (size_t)length + 2;
    for (i = 0; i < length; i += 2) {
        napi_value name, hvalue;
        napi_valuetype nt, vt;
        NAPI_TRY(napi_get_element(env, value, i, &name));
        NAPI_TRY(napi_get_element(env, value, i + 1, &hvalue));
        NAPI_TRY(napi_typeof(env, name, &nt));
        NAPI_TRY(napi_typeof(env, hvalue, &vt));
        if (nt != napi_string || vt != napi_string) {
            iamnode_throw_type(env, "headers", "names and values that are strings");
            return napi_pending_exception;
        }
        NAPI_TRY(iamnode_copy_string(env, name, "headers", &op->header_strings[op->header_count * 2]));
        NAPI_TRY(iamnode_copy_string(env, hvalue, "headers",
                                     &op->header_strings[op->header_count * 2 + 1]));
        op->headers[op->header_count].name = op->header_strings[op->header_count * 2];
        op->headers[op->header_count].value = op->header_strings[op->header_count * 2 + 1];
        op->header_count++;
    }
    return napi_ok;
}

static napi_status read_body(napi_env env, napi_value obj, sign_op *op)
{
    napi_value value;
    napi_valuetype type;
    bool is_typed = false;
    napi_typedarray_type ttype;
    size_t length = 0, offset = 0;
    void *data = NULL;

    NAPI_TRY(napi_get_named_property(env, obj, "body", &value));
    NAPI_TRY(napi_typeof(env, value, &type));
    if (type == napi_undefined || type == napi_null) return napi_ok;
    NAPI_TRY(napi_is_typedarray(env, value, &is_typed));
    if (is_typed) NAPI_TRY(napi_get_typedarray_info(env, value, &ttype, &length, &data, NULL, &offset));
    if (!is_typed || ttype != napi_uint8_array) {
        iamnode_throw_type(env, "body", "a string, Buffer, TypedArray, DataView or ArrayBuffer");
        return napi_pending_exception;
    }
    if (length == 0) return napi_ok;
    op->body = malloc(length);
    if (op->body == NULL) {
        iamnode_throw_status(env, IAM_E_NOMEM, "out of memory");
        return napi_pending_exception;
    }
    memcpy(op->body, data, length);
    op->body_len = length;
    return napi_ok;
}

/* Add a Host header from the URL unless one was given. */
static napi_status add_host_header(napi_env env, sign_op *op)
{
    size_t i;
    for (i = 0; i < op->header_count; i++) {
        if (strcasecmp(op->headers[i].name, "host") == 0) return napi_ok;
    }
    if (op->headers == NULL) {
        op->headers = calloc(1, sizeof *op->headers);
        op->header_strings = calloc(2, sizeof *op->header_strings);
        if (op->headers == NULL || op->header_strings == NULL) {
            iamnode_throw_status(env, IAM_E_NOMEM, "out of memory");
            return napi_pending_exception;
        }
        op->header_slots = 2;
    }
    /* Host first, as a client sends it; its order matters for no one. */
    memmove(op->headers + 1, op->headers, op->header_count * sizeof *op->headers);
    memmove(op->header_strings + 2, op->header_strings,
            op->header_count * 2 * sizeof *op->header_strings);
    op->header_strings[0] = malloc(5);
    op->header_strings[1] = malloc(strlen(op->host) + 1);
    op->header_count++;
    if (op->header_strings[0] == NULL || op->header_strings[1] == NULL) {
        iamnode_throw_status(env, IAM_E_NOMEM, "out of memory");
        return napi_pending_exception;
    }
    memcpy(op->header_strings[0], "host", 5);
    strcpy(op->header_strings[1], op->host);
    op->headers[0].name = op->header_strings[0];
    op->headers[0].value = op->header_strings[1];
    return napi_ok;
}

/* "https://host[:port]" for a presigned URL: the scheme as given (lower-cased),
 * the host as iam_aws_url_parts prints it. */
static napi_status make_prefix(napi_env env, sign_op *op)
{
    const char *sep = strstr(op->url, "://");
    size_t scheme_len = sep != NULL ? (size_t)(sep - op->url) : 0, i, n;
    if (sep == NULL) {
        iamnode_throw_status(env, IAM_E_CONFIG, "not an http(s) URL");
        return napi_pending_exception;
    }
    n = scheme_len + 3 + strlen(op->host) + 1;
    op->prefix = malloc(n);
    if (op->prefix == NULL) {
        iamnode_throw_status(env, IAM_E_NOMEM, "out of memory");
        return napi_pending_exception;
    }
    for (i = 0; i < scheme_len; i++) {
        char c = op->url[i];
        op->prefix[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    snprintf(op->prefix + scheme_len, n - scheme_len, "://%s", op->host);
    return napi_ok;
}

static napi_status read_request(napi_env env, napi_value obj, sign_op *op)
{
    iam_error err;
    iam_status rc;
    int64_t v = 0;
    int given = 0;

    NAPI_TRY(iamnode_read_string(env, obj, "method", &op->method));
    NAPI_TRY(iamnode_read_string(env, obj, "url", &op->url));
    NAPI_TRY(read_headers(env, obj, op));
    NAPI_TRY(read_body(env, obj, op));
    NAPI_TRY(iamnode_read_string(env, obj, "service", &op->service));
    NAPI_TRY(iamnode_read_string(env, obj, "payloadHash", &op->payload_hash));
    NAPI_TRY(iamnode_read_boolean(env, obj, "normalizePath", &op->normalize_path));
    NAPI_TRY(iamnode_read_boolean(env, obj, "doubleEncodePath", &op->double_encode_path));
    NAPI_TRY(iamnode_read_boolean(env, obj, "signBody", &op->sign_body));
    NAPI_TRY(iamnode_read_boolean(env, obj, "omitSessionToken", &op->omit_session_token));
    if (op->kind == OP_PRESIGN) {
        NAPI_TRY(iamnode_read_integer(env, obj, "expires", 1, 2147483647.0, &v, &given));
        if (given) op->expires = (long)v;
    }
    if (op->method == NULL) {
        iamnode_throw_status(env, IAM_E_CONFIG, "option 'method' is required");
        return napi_pending_exception;
    }
    if (op->url == NULL) {
        iamnode_throw_status(env, IAM_E_CONFIG, "option 'url' is required");
        return napi_pending_exception;
    }
    iam_error_clear(&err);
    rc = iam_aws_url_parts(&op->host, &op->target, op->url, &err);
    if (rc != IAM_OK) {
        if (err.code == IAM_OK) err.code = rc;
        iamnode_throw_iam(env, &err);
        return napi_pending_exception;
    }
    NAPI_TRY(add_host_header(env, op));
    if (op->kind == OP_PRESIGN) NAPI_TRY(make_prefix(env, op));
    return napi_ok;
}

static napi_status read_db(napi_env env, napi_value obj, sign_op *op)
{
    int64_t v = 0;
    int given = 0;
    switch (op->kind) {
    case OP_RDS:
        NAPI_TRY(iamnode_read_string(env, obj, "hostname", &op->hostname));
        NAPI_TRY(iamnode_read_integer(env, obj, "port", 1, 65535, &v, &given));
        op->port = given ? (int)v : 0;
        NAPI_TRY(iamnode_read_string(env, obj, "username", &op->username));
        break;
    case OP_DSQL:
        NAPI_TRY(iamnode_read_string(env, obj, "hostname", &op->hostname));
        NAPI_TRY(iamnode_read_boolean(env, obj, "admin", &op->admin));
        break;
    default:
        NAPI_TRY(iamnode_read_string(env, obj, "cacheName", &op->hostname));
        NAPI_TRY(iamnode_read_string(env, obj, "userId", &op->username));
        NAPI_TRY(iamnode_read_boolean(env, obj, "serverless", &op->serverless));
        break;
    }
    NAPI_TRY(iamnode_read_integer(env, obj, "expires", 1, 2147483647.0, &v, &given));
    if (given) op->expires = (long)v;
    return napi_ok;
}

static napi_status read_op(napi_env env, napi_value kind_value, napi_value obj, sign_op *op)
{
    char kind[16] = "";
    size_t len = 0;
    napi_valuetype type;
    int64_t v = 0;
    int given = 0;

    NAPI_TRY(napi_typeof(env, kind_value, &type));
    if (type == napi_string) {
        NAPI_TRY(napi_get_value_string_utf8(env, kind_value, kind, sizeof kind, &len));
    }
    if (strcmp(kind, "headers") == 0) op->kind = OP_HEADERS;
    else if (strcmp(kind, "presign") == 0) op->kind = OP_PRESIGN;
    else if (strcmp(kind, "rds") == 0) op->kind = OP_RDS;
    else if (strcmp(kind, "dsql") == 0) op->kind = OP_DSQL;
    else if (strcmp(kind, "elasticache") == 0) op->kind = OP_ELASTICACHE;
    else {
        iamnode_throw_status(env, IAM_E_INTERNAL, "unknown signing operation");
        return napi_pending_exception;
    }
    NAPI_TRY(napi_typeof(env, obj, &type));
    if (type != napi_object) {
        iamnode_throw_type(env, "options", "an object");
        return napi_pending_exception;
    }
    /* The C defaults (path normalisation on) unless the options say otherwise. */
    op->normalize_path = 1;
    op->double_encode_path = 1;
    if (op->kind == OP_HEADERS || op->kind == OP_PRESIGN) {
        NAPI_TRY(read_request(env, obj, op));
    } else {
        NAPI_TRY(read_db(env, obj, op));
    }
    NAPI_TRY(iamnode_read_string(env, obj, "region", &op->region));
    NAPI_TRY(iamnode_read_integer(env, obj, "timestamp", 1, 253402300799.0, &v, &given));
    if (given) op->timestamp = v;
    return napi_ok;
}

/* ------------------------------------------------------------ signing */

/* Any thread: no napi_env here. */
static void op_execute(void *data)
{
    sign_op *op = data;
    iam_aws_creds *owned = NULL;
    iam_aws_credentials view;
    iam_error *err = &op->err;

    iam_error_clear(err);
    if (op->provider != NULL) {
        op->status = iam_aws_provider_get(op->provider, &owned, err);
        if (op->status == IAM_OK && owned == NULL) {
            iam_error_clear(err);
            op->status = IAM_E_INTERNAL;
            snprintf(err->message, sizeof err->message, "the provider returned no credentials");
        }
        if (op->status != IAM_OK) goto done;
        view = iam_aws_creds_view(owned);
    } else {
        view = op->creds.view;
    }

    switch (op->kind) {
    case OP_HEADERS:
    case OP_PRESIGN: {
        iam_sigv4_params params = IAM_SIGV4_PARAMS_INIT;
        params.service = op->service;
        params.region = op->region;
        params.credentials = &view;
        params.timestamp = op->timestamp;
        params.normalize_path = op->normalize_path;
        params.double_encode_path = op->double_encode_path;
        params.sign_body = op->sign_body;
        params.payload_hash = op->payload_hash;
        params.omit_session_token = op->omit_session_token;
        if (op->expires) params.expires = op->expires;
        if (op->kind == OP_HEADERS) {
            op->status = iam_sigv4_sign_headers(&op->out_headers, &params, op->method, op->target,
                                                op->headers, op->header_count, op->body,
                                                op->body_len, err);
        } else {
            op->status = iam_sigv4_presign(&op->out_string, &params, op->method, op->target,
                                           op->headers, op->header_count, op->body, op->body_len,
                                           err);
        }
        break;
    }
    case OP_RDS:
        op->status = iam_rds_auth_token(&op->out_string, &view, op->hostname, op->port,
                                        op->username, op->region, op->timestamp, op->expires, err);
        break;
    case OP_DSQL:
        op->status = iam_dsql_auth_token(&op->out_string, &view, op->hostname, op->admin,
                                         op->region, op->timestamp, op->expires, err);
        break;
    case OP_ELASTICACHE:
        op->status = iam_elasticache_auth_token(&op->out_string, &view, op->hostname,
                                                op->username, op->serverless, op->region,
                                                op->timestamp, op->expires, err);
        break;
    }
done:
    iam_aws_creds_release(owned);
    if (op->status != IAM_OK && err->code == IAM_OK) err->code = op->status;
}

static napi_status op_result(napi_env env, const sign_op *op, napi_value *out)
{
    napi_value v;
    size_t i;
    if (op->kind == OP_HEADERS) {
        NAPI_TRY(napi_create_object(env, out));
        for (i = 0; i < op->out_headers.count; i++) {
            NAPI_TRY(napi_create_string_utf8(env, op->out_headers.headers[i].value,
                                             NAPI_AUTO_LENGTH, &v));
            NAPI_TRY(napi_set_named_property(env, *out, op->out_headers.headers[i].name, v));
        }
        return napi_ok;
    }
    if (op->kind == OP_PRESIGN) {
        size_t plen = strlen(op->prefix), slen = strlen(op->out_string);
        char *url = malloc(plen + slen + 1);
        napi_status st;
        if (url == NULL) return napi_generic_failure;
        memcpy(url, op->prefix, plen);
        memcpy(url + plen, op->out_string, slen + 1);
        st = napi_create_string_utf8(env, url, plen + slen, out);
        iamnode_free_secret(url);
        return st;
    }
    return napi_create_string_utf8(env, op->out_string, NAPI_AUTO_LENGTH, out);
}

/* Main thread: settle the promise and free the operation. */
static void op_settle(napi_env env, sign_op *op)
{
    napi_value value = NULL;
    if (op->status == IAM_OK) {
        if (op_result(env, op, &value) == napi_ok) {
            napi_resolve_deferred(env, op->deferred, value);
        } else {
            iamnode_reject_napi_failure(env, op->deferred);
        }
    } else {
        iamnode_reject_iam(env, op->deferred, &op->err);
    }
    op_free(op);
}

/* After op_execute on its own thread (offthread.c); env NULL: the environment is
 * gone, only free. */
static void op_complete(napi_env env, void *data)
{
    sign_op *op = data;
    if (env == NULL) {
        op_free(op);
        return;
    }
    op_settle(env, op);
}

/* awsSign(kind, options, credentials, provider) */
static napi_value aws_sign(napi_env env, napi_callback_info info)
{
    size_t argc = 4;
    napi_value argv[4] = {NULL, NULL, NULL, NULL}, promise;
    napi_valuetype ctype = napi_undefined;
    sign_op *op;
    napi_status st;

    st = napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    if (argc < 2) return iamnode_throw_status(env, IAM_E_INTERNAL, "awsSign needs 2 to 4 arguments");
    op = calloc(1, sizeof *op);
    if (op == NULL) return iamnode_throw_status(env, IAM_E_NOMEM, "out of memory");

    /* The promise first: from here on every failure rejects it. */
    st = napi_create_promise(env, &op->deferred, &promise);
    if (st != napi_ok) {
        op_free(op);
        return iamnode_throw_napi_failure(env, st);
    }
    st = read_op(env, argv[0], argv[1], op);
    if (st == napi_ok && argc >= 3 && argv[2] != NULL) st = napi_typeof(env, argv[2], &ctype);
    if (st == napi_ok && ctype != napi_undefined && ctype != napi_null) {
        st = iamnode_aws_creds_read(env, argv[2], &op->creds);
    } else if (st == napi_ok) {
        op->provider = iamnode_aws_provider_get(env, argc >= 4 ? argv[3] : NULL);
        if (op->provider == NULL) st = napi_pending_exception;
    }
    if (st != napi_ok) {
        iamnode_reject_napi_failure(env, op->deferred);
        op_free(op);
        return promise;
    }

    if (op->provider == NULL) {
        /* Explicit credentials: no I/O, sign now. */
        op_execute(op);
        op_settle(env, op);
        return promise;
    }
    /* The provider may have to fetch credentials: off the main thread. */
    st = iamnode_run_off_thread(env, "iamcore:aws-sign", op_execute, op_complete, NULL, op);
    if (st != napi_ok) {
        iam_error err;
        iam_error_clear(&err);
        err.code = IAM_E_INTERNAL;
        snprintf(err.message, sizeof err.message, "could not start the signing work");
        iamnode_reject_iam(env, op->deferred, &err);
        op_free(op);
    }
    return promise;
}

/*
 * rdsTokenNow(hostname, port, username, region, expires, timestamp, accessKeyId,
 *             secretAccessKey, sessionToken, expiration) -> string | undefined
 *
 * The one-shot RDS token with explicit credentials, synchronously, from plain
 * arguments: no options object to walk, no heap copies (stack buffers, zeroed
 * after), no promise — the cost of a token is then mostly the C signer's. Returns
 * undefined when an argument does not fit this path (too long, not a string, a
 * NUL inside), and the caller takes the general one, which reports errors.
 */
#define FAST_SMALL 512
#define FAST_SECRET 4096
#define FAST_TOKEN 8192

/* Copy a JS string into buf; 0 if it is a string that fits without a NUL inside. */
static int fast_string(napi_env env, napi_value v, char *buf, size_t cap, int optional)
{
    napi_valuetype t;
    size_t n = 0;
    buf[0] = '\0';
    if (napi_typeof(env, v, &t) != napi_ok)
        return -1;
    if (optional && (t == napi_undefined || t == napi_null))
        return 0;
    if (t != napi_string || napi_get_value_string_utf8(env, v, buf, cap, &n) != napi_ok)
        return -1;
    return n + 1 < cap && strlen(buf) == n ? 0 : -1;
}

static int fast_number(napi_env env, napi_value v, double *out)
{
    napi_valuetype t;
    if (napi_typeof(env, v, &t) != napi_ok)
        return -1;
    if (t == napi_undefined || t == napi_null) {
        *out = 0;
        return 0;
    }
    return t == napi_number && napi_get_value_double(env, v, out) == napi_ok ? 0 : -1;
}

static napi_value rds_token_now(napi_env env, napi_callback_info info)
{
    size_t argc = 10;
    napi_value argv[10], out = NULL;
    char host[FAST_SMALL], user[FAST_SMALL], region[64], akid[FAST_SMALL];
    char secret[FAST_SECRET], token[FAST_TOKEN];
    double port = 0, expires = 0, timestamp = 0, expiration = 0;
    napi_status st = napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (st != napi_ok || argc < 10)
        return NULL;
    int fits = fast_string(env, argv[0], host, sizeof host, 0) == 0 &&
               fast_number(env, argv[1], &port) == 0 &&
               fast_string(env, argv[2], user, sizeof user, 0) == 0 &&
               fast_string(env, argv[3], region, sizeof region, 0) == 0 &&
               fast_number(env, argv[4], &expires) == 0 &&
               fast_number(env, argv[5], &timestamp) == 0 &&
               fast_string(env, argv[6], akid, sizeof akid, 0) == 0 &&
               fast_string(env, argv[7], secret, sizeof secret, 0) == 0 &&
               fast_string(env, argv[8], token, sizeof token, 1) == 0 &&
               fast_number(env, argv[9], &expiration) == 0 &&
               port == (int)port && expires == (long)expires && timestamp == (double)(int64_t)timestamp &&
               expiration == (double)(int64_t)expiration;
    if (fits) {
        iam_aws_credentials c = {akid, secret, token[0] ? token : NULL, (int64_t)expiration};
        char *result = NULL;
        iam_error err;
        iam_error_clear(&err);
        iam_status rc = iam_rds_auth_token(&result, &c, host, (int)port, user, region,
                                           (int64_t)timestamp, (long)expires, &err);
        if (rc == IAM_OK) {
            st = napi_create_string_utf8(env, result, NAPI_AUTO_LENGTH, &out);
            if (st != napi_ok)
                out = NULL;
        }
        iam_aws_string_free(result);
        /* On failure: undefined, and the general path says what was wrong. */
    }
    OPENSSL_cleanse(secret, sizeof secret);
    OPENSSL_cleanse(token, sizeof token);
    return out;
}

/* resolveRegion(region, profile, hostname) */
static napi_value resolve_region(napi_env env, napi_callback_info info)
{
    size_t argc = 3, i;
    napi_value argv[3] = {NULL, NULL, NULL}, out;
    char *args[3] = {NULL, NULL, NULL};
    static const char *const names[3] = {"region", "profile", "hostname"};
    char region[64];
    iam_error err;
    iam_status rc;
    napi_status st;

    st = napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    for (i = 0; i < 3 && i < argc; i++) {
        napi_valuetype t;
        st = napi_typeof(env, argv[i], &t);
        if (st == napi_ok && t == napi_string) st = iamnode_copy_string(env, argv[i], names[i], &args[i]);
        else if (st == napi_ok && t != napi_undefined && t != napi_null) {
            iamnode_throw_type(env, names[i], "a string");
            st = napi_pending_exception;
        }
        if (st != napi_ok) break;
    }
    if (st == napi_ok) {
        iam_error_clear(&err);
        rc = iam_aws_region_resolve(region, sizeof region, args[0], args[1], args[2], &err);
        if (rc != IAM_OK) {
            if (err.code == IAM_OK) err.code = rc;
            iamnode_throw_iam(env, &err);
            st = napi_pending_exception;
        }
    }
    for (i = 0; i < 3; i++) free(args[i]);
    if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    st = napi_create_string_utf8(env, region, NAPI_AUTO_LENGTH, &out);
    if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    return out;
}

napi_status iamnode_aws_sign_init(napi_env env, napi_value exports)
{
    napi_value fn;
    NAPI_TRY(napi_create_function(env, "awsSign", NAPI_AUTO_LENGTH, aws_sign, NULL, &fn));
    NAPI_TRY(napi_set_named_property(env, exports, "awsSign", fn));
    NAPI_TRY(napi_create_function(env, "resolveRegion", NAPI_AUTO_LENGTH, resolve_region, NULL,
                                  &fn));
    NAPI_TRY(napi_set_named_property(env, exports, "resolveRegion", fn));
    NAPI_TRY(napi_create_function(env, "rdsTokenNow", NAPI_AUTO_LENGTH, rds_token_now, NULL, &fn));
    return napi_set_named_property(env, exports, "rdsTokenNow", fn);
}
