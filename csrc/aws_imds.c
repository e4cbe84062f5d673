/*
 * EC2 instance metadata credentials:
 *   PUT  /latest/api/token   (x-aws-ec2-metadata-token-ttl-seconds: 21600)
 *   GET  /latest/meta-data/iam/security-credentials/         -> role name
 *   GET  /latest/meta-data/iam/security-credentials/<role>   -> credentials
 * with x-aws-ec2-metadata-token on the GETs. A token PUT answered 403, 404 or 405
 * means IMDSv2 is off or absent: continue without a token (IMDSv1) unless
 * AWS_EC2_METADATA_V1_DISABLED=true. Short timeouts: off EC2 nothing answers.
 *
 * Environment: AWS_EC2_METADATA_DISABLED=true, AWS_EC2_METADATA_SERVICE_ENDPOINT,
 * AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6, AWS_METADATA_SERVICE_TIMEOUT
 * (seconds, default 1), AWS_METADATA_SERVICE_NUM_ATTEMPTS (default 1).
 */
#define _GNU_SOURCE
#include "aws_imds.h"
#include "aws_fetch.h"
#include "error.h"
#include "json.h"
#include "secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IMDS_TOKEN_TTL_HEADER "x-aws-ec2-metadata-token-ttl-seconds: 21600"
#define IMDS_ROLE_PATH "/latest/meta-data/iam/security-credentials/"

typedef struct imds {
    char base[256];
    long timeout_ms;
    int retries;
    char *token_line; /* "x-aws-ec2-metadata-token: …", a secret; NULL for IMDSv1 */
} imds;

static int env_true(const char *name)
{
    const char *v = iam_aws_getenv(name);
    return v && strcasecmp(v, "true") == 0;
}

static int configure(imds *m, iam_error *err)
{
    const char *endpoint = iam_aws_getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    const char *mode = iam_aws_getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    if (!endpoint)
        endpoint = mode && strcasecmp(mode, "IPv6") == 0 ? "http://[fd00:ec2::254]"
                                                         : "http://169.254.169.254";
    size_t n = strlen(endpoint);
    while (n && endpoint[n - 1] == '/')
        n--;
    if (n >= sizeof m->base || (strncasecmp(endpoint, "http://", 7) != 0 &&
                                strncasecmp(endpoint, "https://", 8) != 0))
        return iam_error_set(err, IAM_E_CONFIG,
                             "AWS_EC2_METADATA_SERVICE_ENDPOINT must be an http(s) URL");
    memcpy(m->base, endpoint, n);
    m->base[n] = '\0';

    const char *t = iam_aws_getenv("AWS_METADATA_SERVICE_TIMEOUT");
    const char *a = iam_aws_getenv("AWS_METADATA_SERVICE_NUM_ATTEMPTS");
    double secs = t ? strtod(t, NULL) : 1.0;
    long attempts = a ? strtol(a, NULL, 10) : 1;
    if (!(secs > 0 && secs <= 3600) || attempts < 1 || attempts > 10)
        return iam_error_set(err, IAM_E_CONFIG, "AWS_METADATA_SERVICE_TIMEOUT or "
                                                "AWS_METADATA_SERVICE_NUM_ATTEMPTS is out of range");
    m->timeout_ms = (long)(secs * 1000);
    m->retries = (int)attempts - 1;
    return IAM_OK;
}

static int call(imds *m, const char *method, const char *path, const char *extra_line,
                iam_http_response *resp, iam_error *err)
{
    char url[sizeof m->base + 320];
    if (snprintf(url, sizeof url, "%s%s", m->base, path) >= (int)sizeof url)
        return iam_error_set(err, IAM_E_CONFIG, "the instance metadata URL is too long");
    const char *lines[2];
    size_t n = 0;
    if (extra_line)
        lines[n++] = extra_line;
    if (m->token_line)
        lines[n++] = m->token_line;
    return iam_aws_http_call(method, url, lines, n, "", 0, m->timeout_ms, m->retries, resp, err);
}

/* Unreachable IMDS is "not on EC2": the chain goes on and says so. */
static int unreachable(iam_error *err)
{
    if (err && err->code != IAM_E_TIMEOUT && err->code != IAM_E_TRANSPORT)
        return err->code;
    if (err) {
        char why[sizeof err->message];
        iam_copy_field(why, sizeof why, err->message);
        iam_error_set(err, IAM_AWS_NOT_FOUND, "instance metadata not reachable (%s)", why);
    }
    return IAM_AWS_NOT_FOUND;
}

int iam_aws_imds_token_usable(const char *body, size_t len)
{
    if (!body || len == 0 || len >= 1024)
        return 0;
    /* It goes into a header line: visible ASCII only (no CR, LF or NUL). */
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)body[i] <= ' ' || (unsigned char)body[i] >= 0x7f)
            return 0;
    return 1;
}

static int fetch_token(imds *m, iam_error *err)
{
    iam_http_response resp;
    int rc = call(m, "PUT", "/latest/api/token", IMDS_TOKEN_TTL_HEADER, &resp, err);
    if (rc != IAM_OK)
        return unreachable(err);
    if (resp.status == 200 && iam_aws_imds_token_usable(resp.body.data, resp.body.len)) {
        size_t n = strlen("x-aws-ec2-metadata-token: ") + resp.body.len + 1;
        if ((m->token_line = malloc(n)) != NULL)
            snprintf(m->token_line, n, "x-aws-ec2-metadata-token: %s", resp.body.data);
        else
            rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
    } else if (resp.status == 403 || resp.status == 404 || resp.status == 405) {
        if (env_true("AWS_EC2_METADATA_V1_DISABLED"))
            rc = iam_error_set(err, IAM_E_AUTH,
                               "instance metadata refused a session token (HTTP %ld) and "
                               "AWS_EC2_METADATA_V1_DISABLED forbids IMDSv1",
                               resp.status);
        /* else: IMDSv1, no token */
    } else {
        rc = iam_aws_http_error(err, "instance metadata (token)", &resp);
    }
    iam_http_response_free(&resp);
    return rc;
}

int iam_aws_imds_role_name(char *role, size_t cap, const char *body, size_t len)
{
    (void)len; /* the body is NUL-terminated: the name ends at the first line end or NUL */
    size_t n = strcspn(body ? body : "", "\r\n");
    if (n == 0 || n >= cap || memchr(body, '/', n))
        return -1;
    memcpy(role, body, n);
    role[n] = '\0';
    return 0;
}

static int fetch_role(imds *m, char *role, size_t cap, iam_error *err)
{
    iam_http_response resp;
    int rc = call(m, "GET", IMDS_ROLE_PATH, NULL, &resp, err);
    if (rc != IAM_OK)
        return unreachable(err);
    if (resp.status == 200) {
        if (iam_aws_imds_role_name(role, cap, resp.body.data, resp.body.len) != 0)
            rc = iam_error_set(err, IAM_E_PARSE, "instance metadata sent no usable role name");
    } else if (resp.status == 404) {
        rc = iam_error_set(err, IAM_AWS_NOT_FOUND, "the instance has no IAM role");
    } else {
        rc = iam_aws_http_error(err, "instance metadata (role)", &resp);
    }
    iam_http_response_free(&resp);
    return rc;
}

/* IMDS answers 200 with "Code" other than "Success" when the role cannot be
 * assumed. */
int iam_aws_imds_credentials_body(iam_aws_creds **out, const iam_http_response *resp,
                                  iam_error *err)
{
    cJSON *root = iam_json_parse(resp->body.data, resp->body.len);
    const char *code = cJSON_IsObject(root) ? iam_json_string(root, "Code") : NULL;
    int rc;
    if (code && strcmp(code, "Success") != 0) {
        if (err) {
            iam_copy_field(err->error_code, sizeof err->error_code, code);
            iam_copy_field(err->error_message, sizeof err->error_message,
                           iam_json_string(root, "Message"));
            err->http_status = resp->status;
        }
        rc = iam_error_set(err, IAM_E_AUTH, "instance metadata could not provide credentials: %s",
                           code);
    } else {
        rc = iam_aws_creds_from_json(out, resp->body.data, resp->body.len, "imds", err);
    }
    iam_json_free(root);
    return rc;
}

int iam_aws_imds_credentials(iam_aws_creds **out, iam_error *err)
{
    *out = NULL;
    if (env_true("AWS_EC2_METADATA_DISABLED")) {
        iam_error_set(err, IAM_AWS_NOT_FOUND, "instance metadata disabled");
        return IAM_AWS_NOT_FOUND;
    }
    imds m = {0};
    char role[256], path[sizeof role + sizeof IMDS_ROLE_PATH];
    int rc = configure(&m, err);
    if (rc == IAM_OK)
        rc = fetch_token(&m, err);
    if (rc == IAM_OK)
        rc = fetch_role(&m, role, sizeof role, err);
    if (rc == IAM_OK) {
        snprintf(path, sizeof path, "%s%s", IMDS_ROLE_PATH, role);
        iam_http_response resp;
        rc = call(&m, "GET", path, NULL, &resp, err);
        if (rc != IAM_OK) {
            rc = unreachable(err);
        } else {
            if (resp.status != 200)
                rc = iam_aws_http_error(err, "instance metadata (credentials)", &resp);
            else
                rc = iam_aws_imds_credentials_body(out, &resp, err);
            iam_http_response_free(&resp);
        }
    }
    iam_secret_free(m.token_line);
    return rc;
}
