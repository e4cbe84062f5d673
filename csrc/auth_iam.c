/* The API-key grant (PROTOCOLS §1). */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "auth.h"
#include "error.h"

int iam_auth_iam_check(const iam_config *cfg, iam_error *err)
{
    if (!cfg->apikey || !*cfg->apikey)
        return iam_error_set(err, IAM_E_CONFIG, "an API key is required (apikey)");
    if (iam_has_bad_edges(cfg->apikey))
        return iam_error_set(err, IAM_E_CONFIG,
                             "the API key must not start or end with a curly bracket or a quote");
    return IAM_OK;
}

int iam_auth_iam_form(const iam_auth *a, iam_buf *form, iam_error *err)
{
    (void)err;
    iam_buf_append_param(form, "grant_type", "urn:ibm:params:oauth:grant-type:apikey");
    iam_buf_append_param(form, "apikey", a->apikey);
    iam_buf_append_param(form, "response_type", "cloud_iam");
    if (a->scope)
        iam_buf_append_param(form, "scope", a->scope);
    return IAM_OK;
}
