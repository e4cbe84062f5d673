/*
 * VPC instance authenticator (PROTOCOLS §3): the instance metadata service
 * issues an instance identity token (step 1), then exchanges it for an IAM
 * access token of the instance's trusted profile (step 2). The identity token
 * is a secret used once: fetched anew for every IAM token, wiped after step 2.
 */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "auth.h"
#include "error.h"
#include "iam_request.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int iam_vpc_version_valid(const char *v)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(v) != 10 || v[4] != '-' || v[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (v[i] < '0' || v[i] > '9'))
            return 0;
    int year = atoi(v), month = atoi(v + 5), day = atoi(v + 8);
    if (month < 1 || month > 12 || day < 1 || day > mdays[month - 1])
        return 0;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month == 2 && day == 29 && !leap)
        return 0;
    return strcmp(v, IAM_VPC_DEFAULT_VERSION) >= 0; /* same-width dates sort as text */
}

int iam_auth_vpc_check(const iam_config *cfg, iam_error *err)
{
    if (iam_given(cfg->iam_profile_crn) && iam_given(cfg->iam_profile_id))
        return iam_error_set(err, IAM_E_CONFIG, "give the trusted profile's CRN or its id "
                                                "(iam_profile_crn, iam_profile_id), not both");
    if (iam_given(cfg->iam_profile_name))
        return iam_error_set(err, IAM_E_CONFIG,
                             "the VPC instance authenticator names a trusted profile by CRN or "
                             "id (iam_profile_crn, iam_profile_id), not by name (iam_profile_name)");
    if (cfg->vpc_ims_version && !iam_vpc_version_valid(cfg->vpc_ims_version))
        return iam_error_set(err, IAM_E_CONFIG, "vpc_ims_version must be a date YYYY-MM-DD, "
                                                IAM_VPC_DEFAULT_VERSION " or later");
    for (size_t i = 0; i < cfg->header_count; i++)
        if (cfg->headers[i].name && strcasecmp(cfg->headers[i].name, "Authorization") == 0)
            return iam_error_set(err, IAM_E_CONFIG,
                                 "headers must not set Authorization for the VPC instance "
                                 "authenticator: it carries the instance identity token");
    return IAM_OK;
}

static char *metadata_url(const char *base, size_t base_len, const char *path, const char *version)
{
    size_t n = base_len + strlen(path) + strlen("?version=") + strlen(version) + 1;
    char *url = malloc(n);
    if (url)
        snprintf(url, n, "%.*s%s?version=%s", (int)base_len, base, path, version);
    return url;
}

int iam_auth_vpc_init(iam_auth *a, const iam_config *cfg)
{
    int oom = 0;
    a->iam_profile_crn = iam_dup_given(cfg->iam_profile_crn, &oom);
    a->iam_profile_id = iam_dup_given(cfg->iam_profile_id, &oom);
    const char *base = iam_given(cfg->url) ? cfg->url : IAM_VPC_DEFAULT_URL;
    size_t base_len = strlen(base);
    while (base_len && base[base_len - 1] == '/')
        base_len--;
    const char *version = cfg->vpc_ims_version ? cfg->vpc_ims_version : IAM_VPC_DEFAULT_VERSION;
    int new_paths = strcmp(version, IAM_VPC_IDENTITY_PATHS_VERSION) >= 0;
    a->vpc_identity_url = metadata_url(base, base_len, new_paths ? "/identity/v1/token"
                                                                 : "/instance_identity/v1/token",
                                       version);
    a->vpc_iam_url = metadata_url(base, base_len, new_paths ? "/identity/v1/iam_tokens"
                                                            : "/instance_identity/v1/iam_token",
                                  version);
    return oom || !a->vpc_identity_url || !a->vpc_iam_url ? IAM_E_NOMEM : IAM_OK;
}

/* Step 2's body: the profile to act as, or none for the instance's default. */
static int iam_token_body(const iam_auth *a, iam_buf *body)
{
    if (!a->iam_profile_crn && !a->iam_profile_id)
        return 0;
    cJSON *root = cJSON_CreateObject();
    cJSON *profile = cJSON_AddObjectToObject(root, "trusted_profile");
    int ok = profile && (a->iam_profile_crn ? cJSON_AddStringToObject(profile, "crn", a->iam_profile_crn)
                                            : cJSON_AddStringToObject(profile, "id", a->iam_profile_id));
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return -1;
    iam_buf_append_str(body, text);
    free(text);
    return body->oom ? -1 : 0;
}

static int identity_token(iam_auth *a, iam_token **out, iam_error *err)
{
    char text[32];
    snprintf(text, sizeof text, "{\"expires_in\": %d}", IAM_VPC_IDENTITY_TOKEN_LIFETIME_S);
    iam_buf body = {0};
    iam_buf_append_str(&body, text);
    iam_token_request req = {
        .method = "PUT",
        .url = a->vpc_identity_url,
        .header_lines = (const char *const *)a->header_lines,
        .header_count = a->header_count,
        .body = &body,
        .what = "VPC instance identity token request",
        .times = IAM_TIMES_NONE,
    };
    int rc = iam_request_send(a->http, &req, out, err);
    iam_buf_free(&body);
    return rc;
}

int iam_auth_vpc_fetch(iam_auth *a, iam_token **out, iam_error *err)
{
    iam_token *identity = NULL;
    int rc = identity_token(a, &identity, err);
    if (rc != IAM_OK)
        return rc;

    /* Our header lines plus "Authorization: Bearer <identity token>". */
    const char *prefix = "Authorization: Bearer ";
    size_t n = strlen(prefix) + iam_token_length(identity) + 1;
    char *auth_line = malloc(n);
    if (auth_line)
        auth_line[0] = '\0';
    const char **lines = calloc(a->header_count + 1, sizeof *lines);
    iam_buf body = {0};
    if (!auth_line || !lines || iam_token_body(a, &body) != 0) {
        rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
    } else {
        snprintf(auth_line, n, "%s%s", prefix, iam_token_value(identity));
        for (size_t i = 0; i < a->header_count; i++)
            lines[i] = a->header_lines[i];
        lines[a->header_count] = auth_line;
        const char *secrets[] = {iam_token_value(identity)};
        iam_token_request req = {
            .method = "POST",
            .url = a->vpc_iam_url,
            .header_lines = lines,
            .header_count = a->header_count + 1,
            .body = &body,
            .what = "VPC IAM token request",
            .secrets = secrets,
            .secret_count = 1,
            .times = IAM_TIMES_VPC,
        };
        rc = iam_request_send(a->http, &req, out, err);
    }
    iam_buf_free(&body);
    free(lines);
    iam_secret_free(auth_line);
    iam_token_release(identity); /* wipes the identity token */
    return rc;
}
