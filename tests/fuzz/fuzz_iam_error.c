/* Error answers of the IBM token services (IAM's errorCode/errorMessage/
 * context shape and the {"errors":[…],"trace"} shape): iam_parse_error_body. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "iam_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const long statuses[] = {400, 401, 404, 429, 500};
    static const char *const whats[] = {NULL, "VPC instance identity token request"};
    long status = statuses[size % 5];
    const char *what = whats[size % 2];
    iam_error err;
    iam_error_clear(&err);
    int rc = iam_parse_error_body(what, status, (const char *)data, size, "emu-1", &err);
    FUZZ_ASSERT(rc == IAM_E_AUTH && err.code == IAM_E_AUTH);
    FUZZ_ASSERT(err.http_status == status);
    FUZZ_ASSERT(strcmp(err.transaction_id, "emu-1") == 0);
    char prefix[96];
    snprintf(prefix, sizeof prefix, "%s failed: HTTP %ld", what ? what : "IAM token request",
             status);
    FUZZ_ASSERT(strncmp(err.message, prefix, strlen(prefix)) == 0);
    FUZZ_ASSERT(strlen(err.error_code) < sizeof err.error_code);
    FUZZ_ASSERT(strlen(err.error_message) < sizeof err.error_message);
    FUZZ_ASSERT(strlen(err.error_details) < sizeof err.error_details);
    FUZZ_ASSERT(strlen(err.request_id) < sizeof err.request_id);
    return 0;
}
