/* Database auth tokens built on SigV4 query signing: Amazon RDS / Aurora,
 * Aurora DSQL and ElastiCache. A token is a presigned GET of "/" without its
 * scheme, laid out as botocore prints it (what the AWS CLI prints):
 *
 *   <host>[:<port>]/?<operation params>&X-Amz-Algorithm=…&X-Amz-Credential=…
 *   &X-Amz-Date=…&X-Amz-Expires=…&X-Amz-SignedHeaders=host
 *   [&X-Amz-Security-Token=…]&X-Amz-Signature=…
 *
 * The operation parameters keep their order (botocore does not sort them); the
 * signature is over the sorted canonical query, so the order does not matter to
 * the server. The signed Host header is the host lower-cased, with ":<port>"
 * unless the port is 443 (botocore's _host_from_url); the printed token keeps
 * the host as given and always prints the port (botocore again).
 *
 * Deliberate difference from botocore: an empty session token is skipped (botocore
 * sends "X-Amz-Security-Token=", which broke RDS Proxy for a peer SDK).
 */
/* POSIX functions under -std=c11. */
#define _GNU_SOURCE
#include "crypto_lib.h"
#include "error.h"
#include "secret.h"
#include "sigv4.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A DNS name (letters, digits, - . _) or an IPv6 literal in brackets. No port,
 * no scheme, no path: those would end up inside the signed Host header. */
static int valid_host(const char *h)
{
    size_t n = h ? strlen(h) : 0;
    if (n == 0 || n > 255)
        return 0;
    if (h[0] == '[') {
        if (n < 4 || h[n - 1] != ']')
            return 0;
        for (size_t i = 1; i + 1 < n; i++) {
            char c = h[i];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                  c == ':' || c == '.'))
                return 0;
        }
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '.' || c == '_'))
            return 0;
    }
    return 1;
}

/* Non-empty, no control characters. */
static int valid_name(const char *s)
{
    if (!s || !*s)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

typedef struct op_param {
    const char *name;  /* literal, URL-safe, sorting before "X-Amz-" */
    const char *value; /* percent-encoded here */
} op_param;

/* The unreserved bytes of SigV4's encoding, A-Z a-z 0-9 - . _ ~, as a bit set
 * of the ASCII range (bit c of the pair). */
static int unreserved(unsigned char c)
{
    static const uint64_t set[2] = {0x03ff600000000000ull, 0x47fffffe87fffffeull};
    return c < 128 && (set[c >> 6] >> (c & 63)) & 1;
}

static size_t encoded_len(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += unreserved(*p) ? 1 : 3;
    return n;
}

/* Writers into a buffer sized beforehand: each returns the new end. */
static char *put(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

#define PUT_LIT(p, lit) put((p), (lit), sizeof(lit) - 1)

static char *put_encoded(char *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (unreserved(*c)) {
            *p++ = (char)*c;
        } else {
            *p++ = '%';
            *p++ = hex[*c >> 4];
            *p++ = hex[*c & 15];
        }
    }
    return p;
}

/* Decimal text of v into buf (at least 24 bytes); returns its length. */
static size_t decimal(char *buf, unsigned long v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

#define SIGV4_EMPTY_PAYLOAD "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/*
 * The token is a presigned "GET /?<ops>" with only the host signed and no body,
 * so its canonical request is written here directly, in one buffer sized in
 * advance, instead of going through iam_sigv4_compute (which parses, decodes,
 * re-encodes and sorts a query it would just have been given):
 *
 *   GET\n/\n<query>\nhost:<signed host>\n\nhost\n<SHA-256 of "">
 *
 * where <query> is the operation parameters sorted by name, then the X-Amz-*
 * ones in their sorted order (Algorithm, Credential, Date, Expires,
 * Security-Token, SignedHeaders). The same checks and errors as the generic
 * signer apply (iam_sigv4_check_params); tests/c/test_db_token_fast.c checks
 * the signatures against iam_sigv4_presign.
 */
static iam_status db_token(char **out, const iam_aws_credentials *credentials,
                           const char *service, const char *host, int port,
                           const op_param *ops, size_t op_count, const char *region,
                           int64_t timestamp, long expires, iam_error *err)
{
    iam_sigv4_params params = IAM_SIGV4_PARAMS_INIT;
    params.service = service;
    params.region = region;
    params.credentials = credentials;
    params.timestamp = timestamp;
    params.expires = expires ? expires : IAM_AWS_TOKEN_DEFAULT_EXPIRES;
    iam_header host_header = {"host", host};
    iam_sigv4_request req = {"GET", "/", &host_header, 1, NULL, 0};
    iam_status st = iam_sigv4_check_params(&params, &req, IAM_SIGV4_QUERY, err);
    if (st != IAM_OK)
        return st;
    if (!iam_crypto(err))
        return IAM_E_INTERNAL;

    int64_t now = timestamp ? timestamp : (int64_t)time(NULL);
    char amz_date[17];
    if (iam_sigv4_format_date(now, amz_date) != 0)
        return iam_error_set(err, IAM_E_CONFIG, "sigv4: timestamp is outside years 1970..9999");
    if (credentials->expiration && credentials->expiration <= now)
        return iam_error_set(err, IAM_E_CONFIG, "sigv4: the credentials have expired");
    long lifetime = params.expires;
    if (credentials->expiration && credentials->expiration - now < lifetime)
        lifetime = (long)(credentials->expiration - now);
    const char *session_token = credentials->session_token;
    int has_token = session_token && *session_token;

    /* The operation parameters in name order for the canonical query (at most 3). */
    size_t order[3];
    if (op_count < 1 || op_count > 3)
        return iam_error_set(err, IAM_E_INTERNAL, "aws token: bad operation parameters");
    for (size_t i = 0; i < op_count; i++) {
        size_t j = i;
        while (j > 0 && strcmp(ops[order[j - 1]].name, ops[i].name) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
        if (strcmp(ops[i].name, "X-Amz-") >= 0)
            return iam_error_set(err, IAM_E_INTERNAL, "aws token: bad operation parameters");
    }

    /* Lengths first, so that each string is one allocation. */
    char port_text[24] = "", expires_text[24];
    size_t port_len = 0;
    if (port) {
        port_text[0] = ':';
        port_len = 1 + decimal(port_text + 1, (unsigned long)port);
    }
    size_t signed_port_len = port && port != 443 ? port_len : 0;
    size_t expires_len = decimal(expires_text, (unsigned long)lifetime);
    size_t host_len = strlen(host), region_len = strlen(region), service_len = strlen(service);
    size_t ops_len = op_count - 1; /* the '&'s between them */
    for (size_t i = 0; i < op_count; i++)
        ops_len += strlen(ops[i].name) + 1 + encoded_len(ops[i].value);
    /* <AKID>/<date8>/<region>/<service>/aws4_request, encoded ('/' is %2F) */
    size_t credential_len = encoded_len(credentials->access_key_id) + 3 + 8 + 3 + region_len + 3 +
                            service_len + 3 + 12;
    static const char algorithm[] = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=";
    static const char signed_headers[] = "&X-Amz-SignedHeaders=host";
    static const char security_token[] = "&X-Amz-Security-Token=";
    /* The parameters both strings share, in this order: Algorithm … Expires. */
    size_t shared_len = sizeof algorithm - 1 + credential_len + 12 + 16 + 15 + expires_len;
    size_t token_param_len = has_token ? sizeof security_token - 1 + encoded_len(session_token) : 0;
    size_t cr_len = 6 + ops_len + 1 + shared_len + token_param_len + sizeof signed_headers - 1 +
                    6 + host_len + signed_port_len + 7 + 64;
    size_t out_len = host_len + port_len + 2 + ops_len + 1 + shared_len + sizeof signed_headers - 1 +
                     token_param_len + 17 + 64;

    char *cr = malloc(cr_len + 1), *tok = malloc(out_len + 1);
    if (!cr || !tok) {
        free(cr);
        free(tok);
        return iam_error_set(err, IAM_E_NOMEM, "aws token: out of memory");
    }

    /* Canonical request. */
    char *p = PUT_LIT(cr, "GET\n/\n");
    for (size_t i = 0; i < op_count; i++) {
        const op_param *op = &ops[order[i]];
        p = put(p, op->name, strlen(op->name));
        *p++ = '=';
        p = put_encoded(p, op->value);
        *p++ = '&';
    }
    char *shared = p;
    p = PUT_LIT(p, algorithm);
    p = put_encoded(p, credentials->access_key_id);
    p = PUT_LIT(p, "%2F");
    p = put(p, amz_date, 8);
    p = PUT_LIT(p, "%2F");
    p = put(p, region, region_len);
    p = PUT_LIT(p, "%2F");
    p = put(p, service, service_len);
    p = PUT_LIT(p, "%2Faws4_request&X-Amz-Date=");
    p = put(p, amz_date, 16);
    p = PUT_LIT(p, "&X-Amz-Expires=");
    p = put(p, expires_text, expires_len);
    char *token_param = p;
    if (has_token) {
        p = PUT_LIT(p, security_token);
        p = put_encoded(p, session_token);
    }
    p = PUT_LIT(p, signed_headers);
    p = PUT_LIT(p, "\nhost:");
    for (size_t i = 0; i < host_len; i++) {
        char c = host[i];
        *p++ = c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
    }
    p = put(p, port_text, signed_port_len);
    p = PUT_LIT(p, "\n\nhost\n" SIGV4_EMPTY_PAYLOAD);
    *p = '\0';

    /* String to sign: algorithm, date, scope, hash of the canonical request. */
    char sts[17 + 16 + 1 + 8 + 1 + 128 + 1 + 128 + 14 + 65]; /* region, service: <= 128 */
    char *q = PUT_LIT(sts, "AWS4-HMAC-SHA256\n");
    q = put(q, amz_date, 16);
    *q++ = '\n';
    q = put(q, amz_date, 8);
    *q++ = '/';
    q = put(q, region, region_len);
    *q++ = '/';
    q = put(q, service, service_len);
    q = PUT_LIT(q, "/aws4_request\n");
    char signature[65];
    if ((size_t)(p - cr) != cr_len) {
        st = iam_error_set(err, IAM_E_INTERNAL, "aws token: length mismatch");
        goto done;
    }
    if (iam_sigv4_sha256_hex(cr, cr_len, q) != 0 ||
        iam_sigv4_signature(credentials->secret_access_key, amz_date, region, service, sts,
                            (size_t)(q - sts) + 64, signature) != 0) {
        st = iam_error_set(err, IAM_E_INTERNAL, "sigv4: HMAC-SHA256 failed");
        goto done;
    }

    /* The token: the operation parameters as given, then botocore's order. */
    p = put(tok, host, host_len);
    p = put(p, port_text, port_len);
    p = PUT_LIT(p, "/?");
    for (size_t i = 0; i < op_count; i++) {
        p = put(p, ops[i].name, strlen(ops[i].name));
        *p++ = '=';
        p = put_encoded(p, ops[i].value);
        *p++ = '&';
    }
    p = put(p, shared, (size_t)(token_param - shared));
    p = PUT_LIT(p, signed_headers);
    p = put(p, token_param, token_param_len);
    p = PUT_LIT(p, "&X-Amz-Signature=");
    p = put(p, signature, 64);
    *p = '\0';
    if ((size_t)(p - tok) != out_len) {
        st = iam_error_set(err, IAM_E_INTERNAL, "aws token: length mismatch");
        goto done;
    }
    *out = tok;
    tok = NULL;
    st = IAM_OK;
done:
    iam_wipe(cr, cr_len + 1); /* holds the session token */
    free(cr);
    if (tok) {
        iam_wipe(tok, out_len + 1);
        free(tok);
    }
    return st;
}

iam_status iam_rds_auth_token(char **out, const iam_aws_credentials *credentials,
                              const char *hostname, int port, const char *username,
                              const char *region, int64_t timestamp, long expires,
                              iam_error *err)
{
    if (!out)
        return iam_error_set(err, IAM_E_CONFIG, "rds token: out is NULL");
    *out = NULL;
    if (!valid_host(hostname))
        return iam_error_set(err, IAM_E_CONFIG,
                             "rds token: hostname must be a DNS name or a bracketed IPv6 "
                             "address, without scheme, port or path");
    if (port < 1 || port > 65535)
        return iam_error_set(err, IAM_E_CONFIG, "rds token: port must be 1..65535");
    if (!valid_name(username))
        return iam_error_set(err, IAM_E_CONFIG,
                             "rds token: username is empty or contains a control character");
    const op_param ops[] = {{"Action", "connect"}, {"DBUser", username}};
    return db_token(out, credentials, "rds-db", hostname, port, ops, 2, region, timestamp,
                    expires, err);
}

iam_status iam_dsql_auth_token(char **out, const iam_aws_credentials *credentials,
                               const char *hostname, int admin, const char *region,
                               int64_t timestamp, long expires, iam_error *err)
{
    if (!out)
        return iam_error_set(err, IAM_E_CONFIG, "dsql token: out is NULL");
    *out = NULL;
    if (!valid_host(hostname))
        return iam_error_set(err, IAM_E_CONFIG,
                             "dsql token: hostname must be a DNS name or a bracketed IPv6 "
                             "address, without scheme, port or path");
    const op_param ops[] = {{"Action", admin ? "DbConnectAdmin" : "DbConnect"}};
    return db_token(out, credentials, "dsql", hostname, 0, ops, 1, region, timestamp, expires,
                    err);
}

iam_status iam_elasticache_auth_token(char **out, const iam_aws_credentials *credentials,
                                      const char *cache_name, const char *user_id,
                                      int serverless, const char *region, int64_t timestamp,
                                      long expires, iam_error *err)
{
    if (!out)
        return iam_error_set(err, IAM_E_CONFIG, "elasticache token: out is NULL");
    *out = NULL;
    if (!valid_host(cache_name))
        return iam_error_set(err, IAM_E_CONFIG,
                             "elasticache token: cache_name must be letters, digits, - . _");
    if (!valid_name(user_id))
        return iam_error_set(err, IAM_E_CONFIG,
                             "elasticache token: user_id is empty or contains a control "
                             "character");
    const op_param ops[] = {
        {"Action", "connect"}, {"User", user_id}, {"ResourceType", "ServerlessCache"}};
    return db_token(out, credentials, "elasticache", cache_name, 0, ops, serverless ? 3 : 2,
                    region, timestamp, expires, err);
}
