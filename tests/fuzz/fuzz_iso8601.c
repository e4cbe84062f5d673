/* ISO 8601 / RFC 3339 date-times, as every AWS credential source and the VPC
 * metadata service send them (Expiration, expires_at, created_at,
 * AWS_CREDENTIAL_EXPIRATION): iam_parse_iso8601, checked against a round trip
 * through gmtime_r. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "aws_credentials.h"

#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    int64_t t;
    if (iam_parse_iso8601(text, &t) == 0) {
        /* The same instant written plainly in UTC parses to the same value. */
        struct tm tm;
        time_t tt = (time_t)t;
        FUZZ_ASSERT(gmtime_r(&tt, &tm) != NULL);
        if (tm.tm_year + 1900 >= 0 && tm.tm_year + 1900 <= 9999) {
            char again[32];
            snprintf(again, sizeof again, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
            int64_t t2;
            FUZZ_ASSERT(iam_parse_iso8601(again, &t2) == 0 && t2 == t);
        }
    }
    free(text);
    return 0;
}
