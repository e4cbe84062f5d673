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
#include "error.h"
#include "secret.h"
#include "sigv4.h"

#include <stdio.h>
#include <string.h>

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
    const char *name;  /* literal, URL-safe */
    const char *value; /* percent-encoded here */
} op_param;

static iam_status db_token(char **out, const iam_aws_credentials *credentials,
                           const char *service, const char *host, int port,
                           const op_param *ops, size_t op_count, const char *region,
                           int64_t timestamp, long expires, iam_error *err)
{
    iam_buf ops_query = {0}, target = {0}, signed_host = {0}, b = {0};
    iam_sigv4_result r = {0};
    iam_sigv4_params params = IAM_SIGV4_PARAMS_INIT;
    iam_header host_header = {"host", NULL};
    iam_sigv4_request req = {"GET", NULL, &host_header, 1, NULL, 0};
    char port_text[16] = "", expires_text[24];
    iam_status st;

    /* The operation parameters, encoded once: the same text goes into the
     * target we sign and into the token. */
    for (size_t i = 0; i < op_count; i++) {
        if (i)
            iam_buf_append(&ops_query, "&", 1);
        iam_buf_append_str(&ops_query, ops[i].name);
        iam_buf_append(&ops_query, "=", 1);
        iam_sigv4_append_encoded(&ops_query, ops[i].value, strlen(ops[i].value));
    }
    iam_buf_append_str(&target, "/?");
    iam_buf_append(&target, ops_query.data, ops_query.len);

    /* Signed host: lower-cased, ":<port>" unless 443. Printed: as given, with the port. */
    iam_buf_append_str(&signed_host, host);
    for (char *p = signed_host.data; p && *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + ('a' - 'A'));
    if (port)
        snprintf(port_text, sizeof port_text, ":%d", port);
    if (port && port != 443)
        iam_buf_append_str(&signed_host, port_text);
    if (ops_query.oom || target.oom || signed_host.oom)
        goto oom;

    params.service = service;
    params.region = region;
    params.credentials = credentials;
    params.timestamp = timestamp;
    params.expires = expires ? expires : IAM_AWS_TOKEN_DEFAULT_EXPIRES;
    host_header.value = signed_host.data;
    req.target = target.data;
    st = iam_sigv4_compute(&r, IAM_SIGV4_QUERY, &params, &req, err);
    if (st != IAM_OK)
        goto done;

    snprintf(expires_text, sizeof expires_text, "%ld", r.expires);
    iam_buf_append_str(&b, host);
    iam_buf_append_str(&b, port_text);
    iam_buf_append(&b, target.data, target.len);
    if (ops_query.len)
        iam_buf_append(&b, "&", 1);
    iam_buf_append_str(&b, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=");
    iam_sigv4_append_encoded(&b, r.credential.data, r.credential.len);
    iam_buf_append_str(&b, "&X-Amz-Date=");
    iam_buf_append_str(&b, r.amz_date);
    iam_buf_append_str(&b, "&X-Amz-Expires=");
    iam_buf_append_str(&b, expires_text);
    iam_buf_append_str(&b, "&X-Amz-SignedHeaders=");
    iam_sigv4_append_encoded(&b, r.signed_headers.data, r.signed_headers.len);
    if (r.has_token) {
        iam_buf_append_str(&b, "&X-Amz-Security-Token=");
        iam_sigv4_append_encoded(&b, credentials->session_token,
                                 strlen(credentials->session_token));
    }
    iam_buf_append_str(&b, "&X-Amz-Signature=");
    iam_buf_append_str(&b, r.signature);
    if (b.oom)
        goto oom;
    *out = b.data; /* bytes past the NUL were never written: iam_aws_string_free wipes all */
    b.data = NULL;
    st = IAM_OK;
    goto done;
oom:
    st = iam_error_set(err, IAM_E_NOMEM, "aws token: out of memory");
done:
    iam_buf_free(&ops_query);
    iam_buf_free(&target);
    iam_buf_free(&signed_host);
    iam_buf_free(&b);
    iam_sigv4_result_free(&r);
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
