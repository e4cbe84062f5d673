/* EC2 instance metadata (IMDSv2, with the IMDSv1 fallback rules). */
#ifndef IAMCORE_AWS_IMDS_H
#define IAMCORE_AWS_IMDS_H

#include "aws_credentials.h"
#include "http.h"

/* Provider: IAM_OK; IAM_AWS_NOT_FOUND when IMDS is disabled, not reachable (not
 * on EC2) or the instance has no role (err->message says which); or a negative
 * iam_status. */
int iam_aws_imds_credentials(iam_aws_creds **out, iam_error *err);

/* The steps' answers, exposed for tests and the fuzz targets:
 *   token_usable      1 when a 200 body of the token PUT is a usable session
 *                     token (1..1023 bytes of visible ASCII), else 0;
 *   role_name         the role name: the first line of a NUL-terminated body,
 *                     non-empty, shorter than cap, without '/'; 0 or -1;
 *   credentials_body  a 200 answer with the credentials JSON: a "Code" other
 *                     than "Success" is IAM_E_AUTH, else iam_aws_creds_from_json. */
int iam_aws_imds_token_usable(const char *body, size_t len);
int iam_aws_imds_role_name(char *role, size_t cap, const char *body, size_t len);
int iam_aws_imds_credentials_body(iam_aws_creds **out, const iam_http_response *resp,
                                  iam_error *err);

#endif
