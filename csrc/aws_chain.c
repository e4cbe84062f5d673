/* The AWS credential chain (PROTOCOLS §7). */
#define _GNU_SOURCE
#include "aws_chain.h"
#include "aws_container.h"
#include "aws_imds.h"
#include "aws_ini.h"
#include "aws_web_identity.h"
#include "error.h"

#include <stdio.h>
#include <string.h>

/* Notes on the sources that had nothing, for the final error. */
typedef struct tried {
    char text[400];
    size_t len;
} tried;

static void note(tried *t, const char *source, const char *why)
{
    int n = snprintf(t->text + t->len, sizeof t->text - t->len, "%s%s (%s)", t->len ? "; " : "",
                     source, why);
    if (n > 0)
        t->len = t->len + (size_t)n < sizeof t->text ? t->len + (size_t)n : sizeof t->text - 1;
}

/* The profile's own sources: web identity, static keys, credential_process. */
static int from_profile(iam_aws_creds **out, const iam_aws_profile *p, tried *t, iam_error *err)
{
    if (p->found && p->role_arn && p->web_identity_token_file) {
        iam_aws_web_identity w = {.role_arn = p->role_arn,
                                  .token_file = p->web_identity_token_file,
                                  .session_name = p->role_session_name,
                                  .region = p->region};
        return iam_aws_web_identity_credentials(out, &w, err);
    }
    if (p->found && p->role_arn)
        /* Moving on to the container or instance metadata would silently sign as
         * another identity than the profile names. */
        return iam_error_set(err, IAM_E_CONFIG,
                             "AWS profile \"%s\" assumes a role with source_profile or "
                             "credential_source, which iamcore does not support",
                             p->name);
    int rc = iam_aws_profile_credentials(out, p, err);
    if (rc == IAM_AWS_NOT_FOUND) {
        char what[200];
        snprintf(what, sizeof what, "profile \"%s\"", p->name);
        note(t, what, !p->found ? "not in the config or credentials file"
                                : "no keys or credential_process");
    }
    return rc;
}

int iam_aws_chain_resolve(iam_aws_creds **out, const char *profile, iam_error *err)
{
    *out = NULL;
    tried t = {.len = 0};
    iam_error local;
    iam_error_clear(&local);
    int named = profile && *profile;
    int rc;

    if (!named) {
        rc = iam_aws_env_credentials(out, &local);
        if (rc != IAM_AWS_NOT_FOUND)
            goto done;
        note(&t, "environment", "AWS_ACCESS_KEY_ID not set");
        rc = iam_aws_web_identity_from_env(out, &local);
        if (rc != IAM_AWS_NOT_FOUND)
            goto done;
        note(&t, "web identity", "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN not both set");
    }

    iam_aws_profile p;
    rc = iam_aws_profile_load(&p, profile, &local);
    if (rc != IAM_OK)
        goto done;
    rc = from_profile(out, &p, &t, &local);
    iam_aws_profile_clear(&p);
    if (rc != IAM_AWS_NOT_FOUND)
        goto done;

    rc = iam_aws_container_credentials(out, &local);
    if (rc != IAM_AWS_NOT_FOUND)
        goto done;
    note(&t, "container", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI not set");

    iam_error_clear(&local);
    rc = iam_aws_imds_credentials(out, &local);
    if (rc != IAM_AWS_NOT_FOUND)
        goto done;
    note(&t, "instance metadata", local.message[0] ? local.message : "not available");
    iam_error_clear(&local);
    rc = iam_error_set(&local, IAM_E_CONFIG, "no AWS credentials found: %s", t.text);

done:
    if (err)
        *err = local;
    return rc;
}
