/* Trusted profile + compute-resource token grant (PROTOCOLS §2). */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "auth.h"
#include "cr_token_file.h"
#include "error.h"

int iam_auth_container_check(const iam_config *cfg, iam_error *err)
{
    if ((!cfg->iam_profile_name || !*cfg->iam_profile_name) &&
        (!cfg->iam_profile_id || !*cfg->iam_profile_id) &&
        (!cfg->iam_profile_crn || !*cfg->iam_profile_crn))
        return iam_error_set(err, IAM_E_CONFIG,
                             "a trusted profile is required: give its name, id or CRN");
    if (cfg->cr_token_filename && !*cfg->cr_token_filename)
        return iam_error_set(err, IAM_E_CONFIG, "the compute-resource token filename is empty");
    return IAM_OK;
}

int iam_auth_container_init(iam_auth *a, const iam_config *cfg)
{
    int oom = 0;
    a->iam_profile_name = iam_dup_given(cfg->iam_profile_name, &oom);
    a->iam_profile_id = iam_dup_given(cfg->iam_profile_id, &oom);
    a->iam_profile_crn = iam_dup_given(cfg->iam_profile_crn, &oom);
    a->cr_token_filename = iam_dup_given(cfg->cr_token_filename, &oom);
    return oom ? IAM_E_NOMEM : IAM_OK;
}

int iam_auth_container_fetch(iam_auth *a, iam_token **out, iam_error *err)
{
    const char *const *paths = iam_cr_token_default_paths;
    size_t count = iam_cr_token_default_count;
    if (a->cr_token_filename) {
        paths = (const char *const *)&a->cr_token_filename;
        count = 1;
    }
    char *cr_token = NULL;
    int rc = iam_cr_token_read(paths, count, &cr_token, err);
    if (rc != IAM_OK)
        return rc;
    iam_buf form = {0};
    iam_buf_append_param(&form, "grant_type", "urn:ibm:params:oauth:grant-type:cr-token");
    iam_buf_append_param(&form, "cr_token", cr_token);
    if (a->iam_profile_id)
        iam_buf_append_param(&form, "profile_id", a->iam_profile_id);
    if (a->iam_profile_name)
        iam_buf_append_param(&form, "profile_name", a->iam_profile_name);
    if (a->iam_profile_crn)
        iam_buf_append_param(&form, "profile_crn", a->iam_profile_crn);
    if (a->scope)
        iam_buf_append_param(&form, "scope", a->scope);
    const char *secrets[] = {a->client_secret, cr_token};
    rc = iam_auth_post_form(a, &form, NULL, secrets, 2, NULL, out, err);
    iam_buf_free(&form);
    iam_secret_free(cr_token);
    return rc;
}
