/* STS AssumeRoleWithWebIdentity answers (XML read without an XML library):
 * iam_xml_text, the credentials of a 200 answer and the ErrorResponse of
 * any other. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "aws_web_identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const tags[] = {"AccessKeyId", "SecretAccessKey", "SessionToken",
                                       "Expiration",  "Code",            "RequestId"};
    char *values[6];
    for (size_t i = 0; i < 6; i++) {
        values[i] = iam_xml_text((const char *)data, size, tags[i]);
        FUZZ_ASSERT(!values[i] || strlen(values[i]) <= size); /* entities only shrink */
    }

    iam_http_response resp;
    fuzz_response(&resp, 200, data, size);
    iam_aws_creds *c = NULL;
    iam_error err;
    iam_error_clear(&err);
    int rc = iam_aws_sts_credentials(&c, &resp, &err);
    if (rc == IAM_OK) {
        iam_aws_credentials v = iam_aws_creds_view(c);
        FUZZ_ASSERT(values[0] && strcmp(v.access_key_id, values[0]) == 0);
        FUZZ_ASSERT(values[1] && strcmp(v.secret_access_key, values[1]) == 0);
        FUZZ_ASSERT(values[3] != NULL);
        iam_aws_creds_release(c);
    } else {
        FUZZ_ASSERT(!c && (rc == IAM_E_PARSE || rc == IAM_E_NOMEM));
        for (size_t i = 0; i < 3; i++)
            fuzz_assert_secret_kept(&err, data, size, values[i]);
    }

    resp.status = 400 + (long)(size % 4);
    iam_error_clear(&err);
    rc = iam_aws_sts_error(&err, &resp);
    FUZZ_ASSERT(rc == IAM_E_AUTH && err.http_status == resp.status);
    FUZZ_ASSERT(strncmp(err.message, "STS AssumeRoleWithWebIdentity failed: HTTP ", 43) == 0);
    iam_http_response_free(&resp);

    for (size_t i = 0; i < 6; i++)
        iam_secret_free(values[i]);
    return 0;
}
