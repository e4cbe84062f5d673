/* AWS credentials from the environment (the first source of the chain). */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "aws_credentials.h"
#include "error.h"

int iam_aws_env_credentials(iam_aws_creds **out, iam_error *err)
{
    *out = NULL;
    const char *akid = iam_aws_getenv("AWS_ACCESS_KEY_ID");
    const char *secret = iam_aws_getenv("AWS_SECRET_ACCESS_KEY");
    const char *token = iam_aws_getenv("AWS_SESSION_TOKEN");
    const char *expiry = iam_aws_getenv("AWS_CREDENTIAL_EXPIRATION");

    if (!akid && !secret)
        return IAM_AWS_NOT_FOUND;
    if (!secret)
        return iam_error_set(err, IAM_E_CONFIG,
                             "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    if (!akid)
        return iam_error_set(err, IAM_E_CONFIG,
                             "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");

    int64_t expiration = 0;
    if (expiry && iam_parse_iso8601(expiry, &expiration) != 0)
        return iam_error_set(err, IAM_E_CONFIG,
                             "AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 date-time "
                             "(e.g. 2026-11-23T12:00:00Z)");

    *out = iam_aws_creds_new(akid, secret, token, expiration, "env");
    if (!*out)
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    return IAM_OK;
}
