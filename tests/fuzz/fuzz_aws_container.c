/* AWS container credentials answers (ECS, EKS Pod Identity):
 * {"AccessKeyId","SecretAccessKey","Token","Expiration"} and the JSON error
 * bodies {"code"|"Code","message"|"Message"} of the other statuses. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "aws_fetch.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    iam_aws_creds *c = NULL;
    iam_error err;
    iam_error_clear(&err);
    int rc = iam_aws_creds_from_json(&c, (const char *)data, size, "container", &err);
    cJSON *root = iam_json_parse((const char *)data, size);
    const char *akid = iam_json_string(root, "AccessKeyId");
    const char *secret = iam_json_string(root, "SecretAccessKey");
    const char *token = iam_json_string(root, "Token");
    if (rc == IAM_OK) {
        iam_aws_credentials v = iam_aws_creds_view(c);
        FUZZ_ASSERT(akid && strcmp(v.access_key_id, akid) == 0);
        FUZZ_ASSERT(secret && strcmp(v.secret_access_key, secret) == 0);
        FUZZ_ASSERT(strcmp(iam_aws_creds_source(c), "container") == 0);
        iam_aws_creds_release(c);
    } else {
        FUZZ_ASSERT(!c && (rc == IAM_E_PARSE || rc == IAM_E_NOMEM));
        fuzz_assert_secret_kept(&err, data, size, akid);
        fuzz_assert_secret_kept(&err, data, size, secret);
        fuzz_assert_secret_kept(&err, data, size, token);
    }
    iam_json_free(root);

    iam_http_response resp;
    fuzz_response(&resp, 400 + (long)(size % 104), data, size);
    iam_error_clear(&err);
    rc = iam_aws_http_error(&err, "the container credentials endpoint", &resp);
    FUZZ_ASSERT(rc == IAM_E_AUTH && err.http_status == resp.status);
    FUZZ_ASSERT(strncmp(err.message, "the container credentials endpoint answered HTTP ", 49) == 0);
    iam_http_response_free(&resp);
    return 0;
}
