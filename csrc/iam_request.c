/* IBM IAM token responses: success bodies, error bodies, expiry rules. */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "iam_request.h"
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

int iam_parse_token_response(const char *body, size_t len, int64_t now_s, iam_token **out,
                             iam_error *err)
{
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
    size_t tlen = strlen(token);
    int64_t expiration, expires_in, jwt_iat = -1, jwt_exp = -1, iat, exp;
    int has_expiration = iam_json_int(root, "expiration", &expiration) == 0 && expiration > 0;
    int has_expires_in = iam_json_int(root, "expires_in", &expires_in) == 0 && expires_in > 0;
    int is_jwt = iam_jwt_claims(token, tlen, &jwt_iat, &jwt_exp) == 0;

    if (has_expiration && has_expires_in) {
        exp = expiration;
        iat = expiration - expires_in;
    } else if (has_expires_in) {
        exp = now_s + expires_in;
        iat = now_s;
    } else if (has_expiration) {
        exp = expiration;
        iat = is_jwt && jwt_iat > 0 ? jwt_iat : now_s;
    } else if (is_jwt) {
        exp = jwt_exp;
        iat = jwt_iat > 0 ? jwt_iat : now_s;
    } else {
        rc = iam_error_set(err, IAM_E_PARSE, "the access token has no expiry: the response has no "
                                             "expiration or expires_in and the token is not a JWT");
        goto done;
    }
    if (iat > exp)
        iat = exp;
    *out = iam_token_new(token, tlen, iat, exp);
    if (!*out)
        rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
done:
    iam_json_free(root);
    return rc;
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

int iam_parse_error_response(long status, const char *body, size_t len,
                             const char *transaction_id, iam_error *err)
{
    if (!err)
        return IAM_E_AUTH;
    err->http_status = status;
    iam_copy_field(err->transaction_id, sizeof err->transaction_id, transaction_id);
    err->error_code[0] = err->error_message[0] = err->error_details[0] = '\0';
    err->request_id[0] = '\0';
    cJSON *root = iam_json_parse(body, len);
    if (cJSON_IsObject(root)) {
        pick_message(root, err);
        const cJSON *details = cJSON_GetObjectItemCaseSensitive(root, "errorDetails");
        if (cJSON_IsString(details)) {
            iam_copy_field(err->error_details, sizeof err->error_details, details->valuestring);
        } else if (details && !cJSON_IsNull(details)) {
            char *text = cJSON_PrintUnformatted(details);
            iam_copy_field(err->error_details, sizeof err->error_details, text);
            free(text);
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
        return iam_error_set(err, IAM_E_AUTH, "IAM token request failed: HTTP %ld, %s: %s", status,
                             err->error_code, err->error_message);
    if (err->error_message[0])
        return iam_error_set(err, IAM_E_AUTH, "IAM token request failed: HTTP %ld: %s", status,
                             err->error_message);
    return iam_error_set(err, IAM_E_AUTH, "IAM token request failed: HTTP %ld", status);
}

int iam_request_token(iam_http *http, const char *token_url, const char *const *header_lines,
                      size_t header_count, const iam_buf *form, const char *const *secrets,
                      size_t secret_count, iam_token **out, iam_error *err)
{
    if (form->oom)
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    iam_http_response resp;
    int rc = iam_http_post(http, token_url, header_lines, header_count, form->data, form->len,
                           &resp, err);
    if (rc == IAM_OK) {
        if (resp.status >= 200 && resp.status < 300) {
            rc = iam_parse_token_response(resp.body.data, resp.body.len, (int64_t)time(NULL), out, err);
            if (rc != IAM_OK && err) {
                err->http_status = resp.status;
                iam_copy_field(err->transaction_id, sizeof err->transaction_id, resp.transaction_id);
            }
        } else {
            rc = iam_parse_error_response(resp.status, resp.body.data, resp.body.len,
                                          resp.transaction_id, err);
        }
        iam_http_response_free(&resp);
    }
    for (size_t i = 0; rc != IAM_OK && i < secret_count; i++)
        iam_error_redact(err, secrets[i]);
    return rc;
}
