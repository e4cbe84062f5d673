/*
 * IAM assume authenticator (PROTOCOLS §1): an API-key token first (step 1, from
 * an inner IAM authenticator with its own cache, so it is reused and refreshed
 * like any IAM token), then the assume grant exchanges it for a token of the
 * trusted profile (step 2). The client id, secret and scope are step 1's; step 2
 * sends neither Basic authorization nor scope.
 */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "auth.h"
#include "error.h"

#include <string.h>

int iam_auth_assume_check(const iam_config *cfg, iam_error *err)
{
    if (iam_given(cfg->refresh_token))
        return iam_error_set(err, IAM_E_CONFIG, "the assume authenticator starts from an API key "
                                                "(apikey), not a refresh token (refresh_token)");
    int rc = iam_auth_apikey_check(cfg->apikey, err);
    if (rc != IAM_OK)
        return rc;
    int given = iam_given(cfg->iam_profile_crn) + iam_given(cfg->iam_profile_id) +
                iam_given(cfg->iam_profile_name);
    if (given != 1)
        return iam_error_set(err, IAM_E_CONFIG,
                             "exactly one of iam_profile_crn, iam_profile_id and iam_profile_name "
                             "is required to name the trusted profile to assume");
    if (iam_given(cfg->iam_profile_name) != iam_given(cfg->iam_account_id))
        return iam_error_set(err, IAM_E_CONFIG, "iam_profile_name and iam_account_id go together: "
                                                "a profile name is unique within its account only");
    return IAM_OK;
}

int iam_auth_assume_init(iam_auth *a, const iam_config *cfg, iam_error *err)
{
    int oom = 0;
    a->iam_profile_crn = iam_dup_given(cfg->iam_profile_crn, &oom);
    a->iam_profile_id = iam_dup_given(cfg->iam_profile_id, &oom);
    a->iam_profile_name = iam_dup_given(cfg->iam_profile_name, &oom);
    a->iam_account_id = iam_dup_given(cfg->iam_account_id, &oom);
    if (oom)
        return IAM_E_NOMEM;
    /* Step 1: the same configuration as an API-key authenticator. */
    iam_config inner = IAM_CONFIG_INIT;
    /* Only what the caller's version of the struct has. */
    memcpy(&inner, cfg, cfg->version >= 2 ? sizeof inner : offsetof(iam_config, shared_cache));
    inner.refresh_token = NULL;
    inner.iam_profile_crn = inner.iam_profile_id = inner.iam_profile_name = NULL;
    inner.iam_account_id = inner.cr_token_filename = inner.vpc_ims_version = NULL;
    return iam_auth_new(&a->inner, IAM_AUTH_IAM, &inner, err);
}

int iam_auth_assume_fetch(iam_auth *a, iam_token **out, iam_error *err)
{
    iam_token *first = NULL;
    int rc = iam_auth_get_token(a->inner, &first, err);
    if (rc != IAM_OK)
        return rc;
    iam_buf form = {0};
    iam_buf_append_param(&form, "grant_type", "urn:ibm:params:oauth:grant-type:assume");
    iam_buf_append_param(&form, "access_token", iam_token_value(first));
    if (a->iam_profile_crn) {
        iam_buf_append_param(&form, "profile_crn", a->iam_profile_crn);
    } else if (a->iam_profile_id) {
        iam_buf_append_param(&form, "profile_id", a->iam_profile_id);
    } else {
        iam_buf_append_param(&form, "profile_name", a->iam_profile_name);
        iam_buf_append_param(&form, "account", a->iam_account_id);
    }
    const char *secrets[] = {iam_token_value(first), a->inner->apikey, a->inner->client_secret};
    rc = iam_auth_post_form(a, &form, "IAM token request (assume grant)", secrets, 3, NULL, out,
                            err);
    iam_buf_free(&form);
    /* IAM refused the first token itself: get a new one next time. */
    if (rc == IAM_E_AUTH && err && err->http_status == 401)
        iam_auth_invalidate(a->inner);
    iam_token_release(first);
    return rc;
}
