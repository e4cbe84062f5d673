/* Filling iam_error records. */
#ifndef IAMCORE_ERROR_H
#define IAMCORE_ERROR_H

#include "iamcore.h"

/* Set code and a printf-style message; other fields are left as they are.
 * Returns code, so `return iam_error_set(err, IAM_E_CONFIG, "...")` reads well.
 * err may be NULL. */
int iam_error_set(iam_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Copy src into a fixed buffer of size cap, truncating; NULL copies "". */
void iam_copy_field(char *dst, size_t cap, const char *src);

#define IAM_REDACT_MIN_LEN 6

/* Replace every occurrence of secret (if not NULL/empty) in the error's text
 * fields by "[redacted]": services sometimes echo what they were sent.
 * Secrets shorter than IAM_REDACT_MIN_LEN are left alone. */
void iam_error_redact(iam_error *err, const char *secret);

#endif
