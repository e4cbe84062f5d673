/* IBM IAM token responses: success bodies, error bodies, expiry rules. */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "iam_request.h"
#include "aws_credentials.h" /* iam_parse_iso8601 */
#include "error.h"
#include "json.h"
#include "jwt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *iam_token_url(const char *base)
{
    static const char suffix[] = "/identity/token";
    const size_t slen = sizeof suffix - 1;
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    if (n >= slen && strncmp(base + n - slen, suffix, slen) == 0)
        n -= slen;
    while (n && base[n - 1] == '/')
        n--;
    char *url = malloc(n + slen + 1);
    if (!url)
        return NULL;
    memcpy(url, base, n);
    memcpy(url + n, suffix, slen + 1);
    return url;
}

/* An RFC 3339 time field of obj as epoch seconds; 0 when present and valid. */
static int time_field(const cJSON *obj, const char *name, int64_t *out)
{
    const char *text = iam_json_string(obj, name);
    return text && iam_parse_iso8601(text, out) == 0 ? 0 : -1;
}

/* The response's own refresh token, unless it has none or says "not_supported". */
static int take_refresh_token(const cJSON *root, char **out, iam_error *err)
{
    *out = NULL;
    const char *value = iam_json_string(root, "refresh_token");
    if (!value || !*value || strcmp(value, "not_supported") == 0)
        return IAM_OK;
    if (!(*out = iam_strdup(value)))
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    return IAM_OK;
}

int iam_parse_token_body(const char *body, size_t len, int64_t now_s, iam_token_times times,
                         iam_token **out, char **refresh_token, iam_error *err)
{
    if (refresh_token)
        *refresh_token = NULL;
    cJSON *root = iam_json_parse(body, len);
    if (!cJSON_IsObject(root)) {
        iam_json_free(root);
        return iam_error_set(err, IAM_E_PARSE, "the token service sent a response that is not a JSON object");
    }
    int rc = IAM_OK;
    const char *token = iam_json_string(root, "access_token");
    if (!token || !*token) {
        rc = iam_error_set(err, IAM_E_PARSE, "the token service's response has no access_token");
        goto done;
    }
    /* The token is sent in Authorization headers (by iamcore itself for the VPC
     * identity token): a control character, space or non-ASCII byte could end
     * or forge a header line. Bearer tokens are visible ASCII (RFC 6750). */
    for (const char *p = token; *p; p++) {
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) {
            rc = iam_error_set(err, IAM_E_PARSE, "the token service's access_token contains a "
                                                 "character an HTTP header cannot carry");
            goto done;
        }
    }
    size_t tlen = strlen(token);
    int64_t expiration = 0, expires_in = 0, created = 0, jwt_iat = -1, jwt_exp = -1, iat, exp;
    int has_expiration, has_created = 0;
    if (times == IAM_TIMES_VPC) {
        has_expiration = time_field(root, "expires_at", &expiration) == 0 && expiration > 0;
        has_created = time_field(root, "created_at", &created) == 0 && created > 0;
    } else {
        has_expiration = iam_json_int(root, "expiration", &expiration) == 0 && expiration > 0;
    }
    int has_expires_in = iam_json_int(root, "expires_in", &expires_in) == 0 && expires_in > 0;
    int is_jwt = iam_jwt_claims(token, tlen, &jwt_iat, &jwt_exp) == 0;

    if (times == IAM_TIMES_NONE) {
        exp = iat = now_s;
    } else if (has_expiration && has_created) {
        exp = expiration;
        iat = created;
    } else if (has_expiration && has_expires_in) {
        exp = expiration;
        iat = expiration - expires_in;
    } else if (has_expires_in) {
        exp = now_s + expires_in;
        iat = has_created && created <= now_s ? created : now_s;
    } else if (has_expiration) {
        exp = expiration;
        iat = is_jwt && jwt_iat > 0 ? jwt_iat : now_s;
    } else if (is_jwt) {
        exp = jwt_exp;
        iat = jwt_iat > 0 ? jwt_iat : now_s;
    } else {
        rc = iam_error_set(err, IAM_E_PARSE, "the access token has no expiry: the response has no "
                                             "%s and the token is not a JWT",
                           times == IAM_TIMES_VPC ? "expires_at or expires_in"
                                                  : "expiration or expires_in");
        goto done;
    }
    if (times != IAM_TIMES_NONE && exp <= now_s) {
        /* Handing it out would only move the failure to the caller's next request. */
        rc = iam_error_set(err, IAM_E_PARSE, "the token service sent an access token that "
                                             "expired %lld s ago (is this machine's clock right?)",
                           (long long)(now_s - exp));
        goto done;
    }
    if (iat > exp)
        iat = exp;
    if (refresh_token && (rc = take_refresh_token(root, refresh_token, err)) != IAM_OK)
        goto done;
    *out = iam_token_new(token, tlen, iat, exp);
    if (!*out) {
        rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
        if (refresh_token) {
            iam_secret_free(*refresh_token);
            *refresh_token = NULL;
        }
    }
done:
    iam_json_free(root);
    return rc;
}

int iam_parse_token_response(const char *body, size_t len, int64_t now_s, iam_token **out,
                             iam_error *err)
{
    return iam_parse_token_body(body, len, now_s, IAM_TIMES_IAM, out, NULL, err);
}

/* IAM puts its text in errorMessage; other IBM services use errors[0].message,
 * error or message. The first one present wins. */
static void pick_message(const cJSON *root, iam_error *err)
{
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(root, "errors");
    const cJSON *first = cJSON_IsArray(errors) ? cJSON_GetArrayItem(errors, 0) : NULL;
    const char *msg = NULL, *code = NULL;
    if (cJSON_IsObject(first)) {
        msg = iam_json_string(first, "message");
        code = iam_json_string(first, "code");
    }
    if (!msg)
        msg = iam_json_string(root, "errorMessage");
    if (!msg)
        msg = iam_json_string(root, "error");
    if (!msg)
        msg = iam_json_string(root, "message");
    const char *ecode = iam_json_string(root, "errorCode");
    iam_copy_field(err->error_code, sizeof err->error_code, ecode ? ecode : code);
    iam_copy_field(err->error_message, sizeof err->error_message, msg);
}

/* JSON text of a member that is not a string (an object, a number…), or its string. */
static void copy_details(char *dst, size_t cap, const cJSON *value)
{
    if (cJSON_IsString(value)) {
        iam_copy_field(dst, cap, value->valuestring);
    } else if (value && !cJSON_IsNull(value)) {
        char *text = cJSON_PrintUnformatted(value);
        iam_copy_field(dst, cap, text);
        free(text);
    }
}

int iam_parse_error_body(const char *what, long status, const char *body, size_t len,
                         const char *transaction_id, iam_error *err)
{
    if (!what)
        what = "IAM token request";
    if (!err)
        return IAM_E_AUTH;
    err->http_status = status;
    iam_copy_field(err->transaction_id, sizeof err->transaction_id, transaction_id);
    err->error_code[0] = err->error_message[0] = err->error_details[0] = '\0';
    err->request_id[0] = '\0';
    cJSON *root = iam_json_parse(body, len);
    if (cJSON_IsObject(root)) {
        pick_message(root, err);
        copy_details(err->error_details, sizeof err->error_details,
                     cJSON_GetObjectItemCaseSensitive(root, "errorDetails"));
        if (!err->error_details[0]) { /* the VPC shape: what the error is about */
            const cJSON *errors = cJSON_GetObjectItemCaseSensitive(root, "errors");
            const cJSON *first = cJSON_IsArray(errors) ? cJSON_GetArrayItem(errors, 0) : NULL;
            if (cJSON_IsObject(first))
                copy_details(err->error_details, sizeof err->error_details,
                             cJSON_GetObjectItemCaseSensitive(first, "target"));
        }
        const cJSON *context = cJSON_GetObjectItemCaseSensitive(root, "context");
        if (cJSON_IsObject(context))
            iam_copy_field(err->request_id, sizeof err->request_id,
                           iam_json_string(context, "requestId"));
        const char *trace = iam_json_string(root, "trace");
        if (!err->request_id[0] && trace)
            iam_copy_field(err->request_id, sizeof err->request_id, trace);
    }
    iam_json_free(root);

    if (err->error_code[0] && err->error_message[0])
        return iam_error_set(err, IAM_E_AUTH, "%s failed: HTTP %ld, %s: %s", what, status,
                             err->error_code, err->error_message);
    if (err->error_message[0])
        return iam_error_set(err, IAM_E_AUTH, "%s failed: HTTP %ld: %s", what, status,
                             err->error_message);
    return iam_error_set(err, IAM_E_AUTH, "%s failed: HTTP %ld", what, status);
}

int iam_parse_error_response(long status, const char *body, size_t len,
                             const char *transaction_id, iam_error *err)
{
    return iam_parse_error_body(NULL, status, body, len, transaction_id, err);
}

int iam_request_send(iam_http *http, const iam_token_request *req, iam_token **out,
                     iam_error *err)
{
    if (req->refresh_token)
        *req->refresh_token = NULL;
    if (req->body && req->body->oom)
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    iam_http_response resp;
    const char *body = req->body ? req->body->data : NULL;
    size_t body_len = req->body ? req->body->len : 0;
    int rc = iam_http_request(http, req->method, req->url, req->header_lines, req->header_count,
                              body, body_len, &resp, err);
    if (rc == IAM_OK) {
        if (resp.status >= 200 && resp.status < 300) {
            rc = iam_parse_token_body(resp.body.data, resp.body.len, (int64_t)time(NULL),
                                      req->times, out, req->refresh_token, err);
            if (rc != IAM_OK && err) {
                err->http_status = resp.status;
                iam_copy_field(err->transaction_id, sizeof err->transaction_id, resp.transaction_id);
            }
        } else {
            rc = iam_parse_error_body(req->what, resp.status, resp.body.data, resp.body.len,
                                      resp.transaction_id, err);
        }
        iam_http_response_free(&resp);
    }
    for (size_t i = 0; rc != IAM_OK && i < req->secret_count; i++)
        iam_error_redact(err, req->secrets[i]);
    return rc;
}

int iam_request_token(iam_http *http, const char *token_url, const char *const *header_lines,
                      size_t header_count, const iam_buf *form, const char *const *secrets,
                      size_t secret_count, iam_token **out, iam_error *err)
{
    iam_token_request req = {
        .method = "POST",
        .url = token_url,
        .header_lines = header_lines,
        .header_count = header_count,
        .body = form,
        .what = "IAM token request",
        .secrets = secrets,
        .secret_count = secret_count,
        .times = IAM_TIMES_IAM,
    };
    return iam_request_send(http, &req, out, err);
}
