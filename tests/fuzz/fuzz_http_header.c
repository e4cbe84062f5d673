/* Response header lines as libcurl hands them to the HTTP layer: the
 * transaction id, and Retry-After (delta seconds or an HTTP date), which
 * sets how long a retry waits. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    iam_http_response resp;
    memset(&resp, 0, sizeof resp);
    long retry_after = -1;
    /* The input is a whole header block: one call per line, as libcurl does. */
    size_t pos = 0;
    while (pos < size) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t n = nl ? (size_t)(nl - (data + pos)) + 1 : size - pos;
        /* An exact copy of the line: the parser must not read past it. */
        char *line = malloc(n);
        memcpy(line, data + pos, n);
        iam_http_header_line(line, n, &resp, &retry_after);
        free(line);
        FUZZ_ASSERT(retry_after >= -1 && retry_after <= IAM_HTTP_RETRY_AFTER_MAX_S);
        FUZZ_ASSERT(strlen(resp.transaction_id) < sizeof resp.transaction_id);
        pos += n;
    }
    return 0;
}
