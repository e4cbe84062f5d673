/* Answers of the IBM VPC instance metadata service: the instance identity
 * token (step 1, no expiry needed), the IAM token (step 2, RFC 3339
 * created_at/expires_at) and the {"errors":[…],"trace"} error shape. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "iam_request.h"
#include "json.h"
#include "token.h"

static void token_step(const uint8_t *data, size_t size, iam_token_times times)
{
    const int64_t now = 1767268800; /* 2026-01-01T12:00:00Z */
    iam_token *t = NULL;
    iam_error err;
    iam_error_clear(&err);
    int rc = iam_parse_token_body((const char *)data, size, now, times, &t, NULL, &err);
    cJSON *root = iam_json_parse((const char *)data, size);
    const char *access = iam_json_string(root, "access_token");
    if (rc == IAM_OK) {
        FUZZ_ASSERT(access && strcmp(iam_token_value(t), access) == 0);
        FUZZ_ASSERT(iam_token_issued_at(t) <= iam_token_expires_at(t));
        if (times == IAM_TIMES_NONE)
            FUZZ_ASSERT(iam_token_expires_at(t) == now);
        iam_token_release(t);
    } else {
        FUZZ_ASSERT(t == NULL);
        fuzz_assert_secret_kept(&err, data, size, access);
    }
    iam_json_free(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    token_step(data, size, IAM_TIMES_NONE);
    token_step(data, size, IAM_TIMES_VPC);

    static const long statuses[] = {400, 401, 404, 405};
    iam_error err;
    iam_error_clear(&err);
    int rc = iam_parse_error_body("VPC IAM token request", statuses[size % 4],
                                  (const char *)data, size, NULL, &err);
    FUZZ_ASSERT(rc == IAM_E_AUTH);
    FUZZ_ASSERT(strncmp(err.message, "VPC IAM token request failed: HTTP ", 35) == 0);
    return 0;
}
