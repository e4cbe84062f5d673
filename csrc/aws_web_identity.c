/*
 * STS AssumeRoleWithWebIdentity (unsigned):
 *   POST https://sts.<region>.amazonaws.com/
 *   Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=…&RoleSessionName=…
 *   &WebIdentityToken=…
 * The answer is XML; iamcore reads the few elements it needs without an XML
 * library: …<Credentials><AccessKeyId/><SecretAccessKey/><SessionToken/>
 * <Expiration/></Credentials>…, or <Error><Code/><Message/></Error><RequestId/>.
 */
#define _GNU_SOURCE
#include "aws_web_identity.h"
#include "aws_fetch.h"
#include "aws_region.h"
#include "cr_token_file.h"
#include "error.h"
#include "secret.h"
#include "token_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STS_TIMEOUT_MS 10000L

char *iam_xml_text(const char *xml, size_t len, const char *tag)
{
    char open[64], close[64];
    if (!xml || snprintf(open, sizeof open, "<%s>", tag) >= (int)sizeof open)
        return NULL;
    snprintf(close, sizeof close, "</%s>", tag);
    const char *start = memmem(xml, len, open, strlen(open));
    if (!start)
        return NULL;
    start += strlen(open);
    const char *end = memmem(start, len - (size_t)(start - xml), close, strlen(close));
    if (!end)
        return NULL;
    size_t n = (size_t)(end - start);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    static const struct { const char *entity; char c; } entities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = 0, matched = 0;
        if (start[i] == '&')
            for (k = 0; k < sizeof entities / sizeof entities[0]; k++) {
                size_t el = strlen(entities[k].entity);
                if (i + el <= n && memcmp(start + i, entities[k].entity, el) == 0) {
                    out[o++] = entities[k].c;
                    i += el;
                    matched = 1;
                    break;
                }
            }
        if (!matched)
            out[o++] = start[i++];
    }
    out[o] = '\0';
    return out;
}

int iam_aws_sts_url(char *out, size_t cap, const char *region, iam_error *err)
{
    const char *endpoint = iam_aws_getenv("AWS_ENDPOINT_URL_STS");
    if (!endpoint)
        endpoint = iam_aws_getenv("AWS_ENDPOINT_URL");
    int n;
    if (endpoint)
        n = snprintf(out, cap, "%s", endpoint);
    else if (region && *region)
        n = snprintf(out, cap, "https://sts.%s.amazonaws.com%s", region,
                     strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
    else
        n = snprintf(out, cap, "https://sts.amazonaws.com");
    if (n < 0 || (size_t)n >= cap)
        return iam_error_set(err, IAM_E_CONFIG, "the STS endpoint URL is too long");
    if (region && *region && !endpoint && !iam_aws_region_is_valid(region))
        return iam_error_set(err, IAM_E_CONFIG, "invalid AWS region for STS: %.64s", region);
    return IAM_OK;
}

int iam_aws_sts_error(iam_error *err, const iam_http_response *resp)
{
    if (!err)
        return IAM_E_AUTH;
    const char *body = resp->body.data ? resp->body.data : "";
    char *code = iam_xml_text(body, resp->body.len, "Code");
    char *message = iam_xml_text(body, resp->body.len, "Message");
    char *request_id = iam_xml_text(body, resp->body.len, "RequestId");
    err->http_status = resp->status;
    iam_copy_field(err->error_code, sizeof err->error_code, code);
    iam_copy_field(err->error_message, sizeof err->error_message, message);
    iam_copy_field(err->request_id, sizeof err->request_id, request_id);
    free(code);
    free(message);
    free(request_id);
    if (err->error_code[0])
        return iam_error_set(err, IAM_E_AUTH, "STS AssumeRoleWithWebIdentity failed: HTTP %ld, %s: %s",
                             resp->status, err->error_code, err->error_message);
    return iam_error_set(err, IAM_E_AUTH, "STS AssumeRoleWithWebIdentity failed: HTTP %ld",
                         resp->status);
}

int iam_aws_sts_credentials(iam_aws_creds **out, const iam_http_response *resp, iam_error *err)
{
    const char *body = resp->body.data ? resp->body.data : "";
    char *akid = iam_xml_text(body, resp->body.len, "AccessKeyId");
    char *secret = iam_xml_text(body, resp->body.len, "SecretAccessKey");
    char *token = iam_xml_text(body, resp->body.len, "SessionToken");
    char *expiration = iam_xml_text(body, resp->body.len, "Expiration");
    int64_t exp = 0;
    int rc = IAM_OK;
    if (!akid || !*akid || !secret || !*secret || !expiration)
        rc = iam_error_set(err, IAM_E_PARSE, "the STS response has no credentials");
    else if (iam_parse_iso8601(expiration, &exp) != 0)
        rc = iam_error_set(err, IAM_E_PARSE, "the STS response has an invalid Expiration");
    else if (!(*out = iam_aws_creds_new(akid, secret, token, exp, "web-identity")))
        rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
    free(akid);
    iam_secret_free(secret);
    iam_secret_free(token);
    free(expiration);
    return rc;
}

int iam_aws_web_identity_credentials(iam_aws_creds **out, const iam_aws_web_identity *w,
                                     iam_error *err)
{
    *out = NULL;
    if (!w->role_arn || !*w->role_arn || !w->token_file || !*w->token_file)
        return iam_error_set(err, IAM_E_CONFIG, "web identity needs a role ARN and a token file");
    char region[IAM_AWS_REGION_MAX] = "";
    if (w->region && *w->region)
        iam_copy_field(region, sizeof region, w->region);
    else
        iam_aws_region_from_env(region, sizeof region);
    char url[512];
    int rc = iam_aws_sts_url(url, sizeof url, region, err);
    if (rc != IAM_OK)
        return rc;

    char *token = NULL;
    rc = iam_cr_token_read(&w->token_file, 1, &token, err);
    if (rc != IAM_OK) {
        if (err) {
            char tried[sizeof err->message];
            const char *colon = strchr(err->message, ':');
            iam_copy_field(tried, sizeof tried, colon ? colon + 2 : "");
            iam_error_set(err, rc, "the web identity token could not be read: %s", tried);
        }
        return rc;
    }
    char session[64];
    if (w->session_name && *w->session_name)
        iam_copy_field(session, sizeof session, w->session_name);
    else
        snprintf(session, sizeof session, "iamcore-%lld", (long long)iam_now_ms());

    iam_buf form = {0};
    iam_buf_append_param(&form, "Action", "AssumeRoleWithWebIdentity");
    iam_buf_append_param(&form, "Version", "2011-06-15");
    iam_buf_append_param(&form, "RoleArn", w->role_arn);
    iam_buf_append_param(&form, "RoleSessionName", session);
    iam_buf_append_param(&form, "WebIdentityToken", token);
    const char *lines[] = {"Content-Type: application/x-www-form-urlencoded",
                           "Accept: text/xml"};
    iam_http_response resp;
    if (form.oom) {
        rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
    } else {
        rc = iam_aws_http_call("POST", url, lines, 2, form.data, form.len, STS_TIMEOUT_MS, 3, &resp,
                               err);
        if (rc == IAM_OK) {
            rc = resp.status == 200 ? iam_aws_sts_credentials(out, &resp, err)
                                     : iam_aws_sts_error(err, &resp);
            iam_http_response_free(&resp);
        }
    }
    if (rc != IAM_OK)
        iam_error_redact(err, token);
    iam_buf_free(&form);
    iam_secret_free(token);
    return rc;
}

int iam_aws_web_identity_from_env(iam_aws_creds **out, iam_error *err)
{
    *out = NULL;
    iam_aws_web_identity w = {
        .role_arn = iam_aws_getenv("AWS_ROLE_ARN"),
        .token_file = iam_aws_getenv("AWS_WEB_IDENTITY_TOKEN_FILE"),
        .session_name = iam_aws_getenv("AWS_ROLE_SESSION_NAME"),
    };
    if (!w.role_arn || !w.token_file)
        return IAM_AWS_NOT_FOUND;
    return iam_aws_web_identity_credentials(out, &w, err);
}
