/* What the AWS credential endpoints (container, IMDS, STS) have in common. */
#ifndef IAMCORE_AWS_FETCH_H
#define IAMCORE_AWS_FETCH_H

#include "aws_credentials.h"
#include "http.h"

/* One request through a short-lived client with these limits (the endpoints are
 * asked rarely: credentials are cached). IAM_OK with *resp holding any status. */
int iam_aws_http_call(const char *method, const char *url, const char *const *header_lines,
                      size_t header_count, const char *body, size_t body_len, long timeout_ms,
                      int max_retries, iam_http_response *resp, iam_error *err);

/* {"AccessKeyId","SecretAccessKey","Token","Expiration"} (the container and IMDS
 * shape) -> credentials. IAM_E_PARSE names what is missing, never a value. */
int iam_aws_creds_from_json(iam_aws_creds **out, const char *body, size_t len,
                            const char *source, iam_error *err);

/* "<where> answered HTTP <status>[: <code>: <message>]" as IAM_E_AUTH, reading a
 * JSON error body {"code"|"Code", "message"|"Message"} when there is one. */
int iam_aws_http_error(iam_error *err, const char *where, const iam_http_response *resp);

#endif
