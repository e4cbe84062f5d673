/* Token files read from disk: the compute-resource token (IBM container
 * authenticator), the web identity token (STS) and the container
 * authorization token file, all read by iam_cr_token_read. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "cr_token_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *paths[] = {"/nonexistent/iamcore-fuzz/token", fuzz_file(data, size)};
    char *token = NULL;
    iam_error err;
    iam_error_clear(&err);
    int rc = iam_cr_token_read(paths, 2, &token, &err);
    if (rc == IAM_OK) {
        /* The file as it is, less one trailing LF and then one CR. */
        size_t n = size;
        if (n && data[n - 1] == '\n')
            n--;
        if (n && data[n - 1] == '\r')
            n--;
        FUZZ_ASSERT(n > 0 && strlen(token) == n && memcmp(token, data, n) == 0);
        iam_secret_free(token);
    } else {
        FUZZ_ASSERT(!token && rc == IAM_E_TOKEN_FILE);
        FUZZ_ASSERT(strstr(err.message, paths[1]) != NULL); /* names every path tried */
    }
    return 0;
}
