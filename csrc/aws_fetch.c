/* Shared by the HTTP credential providers. */
#define _GNU_SOURCE
#include "aws_fetch.h"
#include "error.h"
#include "json.h"

#include <string.h>

int iam_aws_http_call(const char *method, const char *url, const char *const *header_lines,
                      size_t header_count, const char *body, size_t body_len, long timeout_ms,
                      int max_retries, iam_http_response *resp, iam_error *err)
{
    iam_http_options o = {
        .timeout_ms = timeout_ms,
        .connect_timeout_ms = timeout_ms,
        .max_retries = max_retries,
        .max_response_bytes = 64 * 1024,
        .user_agent = "iamcore/" IAMCORE_VERSION " (aws)",
    };
    iam_http *h = NULL;
    int rc = iam_http_new(&h, &o, err);
    if (rc == IAM_OK)
        rc = iam_http_request(h, method, url, header_lines, header_count, body, body_len, resp,
                              err);
    iam_http_free(h);
    return rc;
}

int iam_aws_creds_from_json(iam_aws_creds **out, const char *body, size_t len,
                            const char *source, iam_error *err)
{
    cJSON *root = iam_json_parse(body, len);
    int rc = IAM_OK;
    if (!cJSON_IsObject(root)) {
        rc = iam_error_set(err, IAM_E_PARSE, "the %s credentials response is not a JSON object",
                           source);
        goto done;
    }
    const char *akid = iam_json_string(root, "AccessKeyId");
    const char *secret = iam_json_string(root, "SecretAccessKey");
    const char *token = iam_json_string(root, "Token");
    const char *expiration = iam_json_string(root, "Expiration");
    int64_t exp = 0;
    if (!akid || !*akid || !secret || !*secret) {
        rc = iam_error_set(err, IAM_E_PARSE,
                           "the %s credentials response has no AccessKeyId or SecretAccessKey",
                           source);
    } else if (expiration && iam_parse_iso8601(expiration, &exp) != 0) {
        rc = iam_error_set(err, IAM_E_PARSE,
                           "the %s credentials response has an invalid Expiration", source);
    } else if (!(*out = iam_aws_creds_new(akid, secret, token, exp, source))) {
        rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
    }
done:
    iam_json_free(root);
    return rc;
}

int iam_aws_http_error(iam_error *err, const char *where, const iam_http_response *resp)
{
    if (!err)
        return IAM_E_AUTH;
    err->http_status = resp->status;
    cJSON *root = iam_json_parse(resp->body.data, resp->body.len);
    const char *code = NULL, *message = NULL;
    if (cJSON_IsObject(root)) {
        code = iam_json_string(root, "code");
        if (!code)
            code = iam_json_string(root, "Code");
        message = iam_json_string(root, "message");
        if (!message)
            message = iam_json_string(root, "Message");
    }
    iam_copy_field(err->error_code, sizeof err->error_code, code);
    iam_copy_field(err->error_message, sizeof err->error_message, message);
    iam_json_free(root);
    if (err->error_code[0] || err->error_message[0])
        return iam_error_set(err, IAM_E_AUTH, "%s answered HTTP %ld: %s%s%s", where, resp->status,
                             err->error_code, err->error_code[0] && err->error_message[0] ? ": " : "",
                             err->error_message);
    return iam_error_set(err, IAM_E_AUTH, "%s answered HTTP %ld", where, resp->status);
}
