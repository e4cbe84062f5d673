/* IAM token responses (a 2xx body): iam_parse_token_body under each of its
 * expiry rules, with the refresh token taken. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "iam_request.h"
#include "json.h"
#include "token.h"

static void parse(const uint8_t *data, size_t size, iam_token_times times)
{
    const int64_t now = 1700000000;
    iam_token *t = NULL;
    char *refresh = NULL;
    iam_error err;
    iam_error_clear(&err);
    int rc = iam_parse_token_body((const char *)data, size, now, times, &t, &refresh, &err);

    /* What the body says, read independently, to check the result against. */
    cJSON *root = iam_json_parse((const char *)data, size);
    const char *access = iam_json_string(root, "access_token");
    const char *sent_refresh = iam_json_string(root, "refresh_token");
    if (rc == IAM_OK) {
        FUZZ_ASSERT(t != NULL && access != NULL);
        FUZZ_ASSERT(iam_token_length(t) == strlen(access));
        FUZZ_ASSERT(strcmp(iam_token_value(t), access) == 0);
        FUZZ_ASSERT(iam_token_issued_at(t) <= iam_token_expires_at(t));
        for (const char *p = access; *p; p++) /* it can go into a header line as it is */
            FUZZ_ASSERT((unsigned char)*p > ' ' && (unsigned char)*p < 0x7f);
        if (refresh)
            FUZZ_ASSERT(sent_refresh && strcmp(refresh, sent_refresh) == 0 &&
                        strcmp(refresh, "not_supported") != 0);
        iam_token_release(t);
    } else {
        FUZZ_ASSERT(t == NULL && refresh == NULL);
        FUZZ_ASSERT(rc == IAM_E_PARSE || rc == IAM_E_NOMEM);
        fuzz_assert_secret_kept(&err, data, size, access);
        fuzz_assert_secret_kept(&err, data, size, sent_refresh);
    }
    iam_secret_free(refresh);
    iam_json_free(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse(data, size, IAM_TIMES_IAM);
    parse(data, size, IAM_TIMES_VPC);
    parse(data, size, IAM_TIMES_NONE);
    return 0;
}
