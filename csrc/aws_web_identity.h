/* AssumeRoleWithWebIdentity: an OIDC token file (EKS IRSA, GitHub Actions…) and a
 * role ARN, exchanged at the regional STS endpoint. */
#ifndef IAMCORE_AWS_WEB_IDENTITY_H
#define IAMCORE_AWS_WEB_IDENTITY_H

#include "aws_credentials.h"
#include "http.h"

typedef struct iam_aws_web_identity {
    const char *role_arn;
    const char *token_file;   /* re-read at every call: it rotates */
    const char *session_name; /* NULL: "iamcore-<epoch ms>" */
    const char *region;       /* NULL: AWS_REGION / AWS_DEFAULT_REGION, else the global endpoint */
} iam_aws_web_identity;

/* The STS URL: AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else
 * https://sts.<region>.amazonaws.com(.cn). Writes into out (cap bytes). */
int iam_aws_sts_url(char *out, size_t cap, const char *region, iam_error *err);

int iam_aws_web_identity_credentials(iam_aws_creds **out, const iam_aws_web_identity *w,
                                     iam_error *err);

/* From AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN [+ AWS_ROLE_SESSION_NAME];
 * IAM_AWS_NOT_FOUND unless both are set (as botocore). */
int iam_aws_web_identity_from_env(iam_aws_creds **out, iam_error *err);

/* The text of the first <tag>…</tag> in xml, entities decoded; NULL if absent.
 * Free with iam_secret_free (it may be a secret). Exposed for tests. */
char *iam_xml_text(const char *xml, size_t len, const char *tag);

/* An STS answer: a 200 body -> credentials (IAM_E_PARSE when unusable, never
 * naming a value); any other status -> IAM_E_AUTH with the XML error's Code,
 * Message and RequestId. Exposed for tests and the fuzz targets. */
int iam_aws_sts_credentials(iam_aws_creds **out, const iam_http_response *resp, iam_error *err);
int iam_aws_sts_error(iam_error *err, const iam_http_response *resp);

#endif
