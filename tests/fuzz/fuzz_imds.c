/* EC2 instance metadata answers: the session token of the PUT, the role name,
 * and the credentials JSON (a "Code" other than "Success" is a refusal). */
#define _GNU_SOURCE
#include "fuzz.h"
#include "aws_fetch.h"
#include "aws_imds.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    iam_http_response resp;
    fuzz_response(&resp, 200, data, size);

    /* A usable token goes into a header line as it is. */
    if (iam_aws_imds_token_usable(resp.body.data, resp.body.len)) {
        FUZZ_ASSERT(size > 0 && size < 1024);
        for (size_t i = 0; i < size; i++)
            FUZZ_ASSERT(data[i] != '\r' && data[i] != '\n' && data[i] != '\0');
    }

    char role[256];
    if (iam_aws_imds_role_name(role, sizeof role, resp.body.data, resp.body.len) == 0) {
        size_t n = strlen(role);
        FUZZ_ASSERT(n > 0 && n < sizeof role && !strpbrk(role, "/\r\n"));
        FUZZ_ASSERT(memcmp(role, data, n) == 0); /* the first line, as sent */
    }

    iam_aws_creds *c = NULL;
    iam_error err;
    iam_error_clear(&err);
    int rc = iam_aws_imds_credentials_body(&c, &resp, &err);
    cJSON *root = iam_json_parse((const char *)data, size);
    const char *code = iam_json_string(root, "Code");
    if (rc == IAM_OK) {
        FUZZ_ASSERT(c && (!code || strcmp(code, "Success") == 0));
        FUZZ_ASSERT(strcmp(iam_aws_creds_source(c), "imds") == 0);
        iam_aws_creds_release(c);
    } else {
        FUZZ_ASSERT(!c);
        FUZZ_ASSERT(rc == IAM_E_AUTH ? code && strcmp(code, "Success") != 0
                                     : rc == IAM_E_PARSE || rc == IAM_E_NOMEM);
        fuzz_assert_secret_kept(&err, data, size, iam_json_string(root, "SecretAccessKey"));
        fuzz_assert_secret_kept(&err, data, size, iam_json_string(root, "Token"));
    }
    iam_json_free(root);
    iam_http_response_free(&resp);
    return 0;
}
