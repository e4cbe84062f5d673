/* AWS Signature Version 4: the internal steps, exposed to rds_token.c and to the
 * conformance test (tests/c/test_sigv4.c), which compares the canonical request
 * and the string to sign with AWS's test suite. */
#ifndef IAMCORE_SIGV4_H
#define IAMCORE_SIGV4_H

#include "iamcore_aws.h"
#include "secret.h"

/* The request to sign; every field borrowed. */
typedef struct iam_sigv4_request {
    const char *method;
    const char *target; /* path[?query] as sent */
    const iam_header *headers;
    size_t header_count;
    const void *body;
    size_t body_len;
} iam_sigv4_request;

typedef enum iam_sigv4_mode {
    IAM_SIGV4_HEADERS = 0, /* Authorization header */
    IAM_SIGV4_QUERY = 1    /* presigned URL        */
} iam_sigv4_mode;

/* The longest payload_hash parameter accepted (a SHA-256 in hex is 64). */
#define IAM_SIGV4_MAX_PAYLOAD_HASH 64

/* Everything one signing produced. Buffers are iam_buf (zeroed on free). */
typedef struct iam_sigv4_result {
    iam_buf canonical_request;
    iam_buf string_to_sign;
    iam_buf signed_headers; /* "host;x-amz-date"                                   */
    iam_buf credential;     /* "<AKID>/<yyyymmdd>/<region>/<service>/aws4_request"  */
    char signature[65];     /* lower-case hex                                      */
    char amz_date[17];      /* yyyymmddThhmmssZ                                    */
    char payload_hash[IAM_SIGV4_MAX_PAYLOAD_HASH + 1];
    long expires;           /* X-Amz-Expires actually used (query mode, after capping) */
    int has_token;          /* the credentials carry a non-empty session token     */
} iam_sigv4_result;

/*
 * Check the arguments, build the canonical request and the string to sign, and
 * compute the signature. On failure *out is left empty (safe to free).
 */
iam_status iam_sigv4_compute(iam_sigv4_result *out, iam_sigv4_mode mode,
                             const iam_sigv4_params *params, const iam_sigv4_request *req,
                             iam_error *err);

/* Zero and release a result; leaves it empty. NULL is ignored. */
void iam_sigv4_result_free(iam_sigv4_result *r);

/* The steps iam_sigv4_compute is made of, shared with the database-token fast
 * path (rds_token.c), which writes its canonical request directly. */

/* The argument checks iam_sigv4_compute makes first (same errors). */
iam_status iam_sigv4_check_params(const iam_sigv4_params *params, const iam_sigv4_request *req,
                                  iam_sigv4_mode mode, iam_error *err);

/* yyyymmddThhmmssZ; -1 outside years 1970..9999. */
int iam_sigv4_format_date(int64_t t, char out[17]);

/* SHA-256 of n bytes, through the libcrypto iam_crypto() found. 0 or -1. */
int iam_sha256(const void *data, size_t n, unsigned char out[32]);

/* Lower-case hex SHA-256 of n bytes (of "" when n is 0). 0 or -1. */
int iam_sigv4_sha256_hex(const void *data, size_t n, char out[65]);

/* Lower-case hex HMAC-SHA256 of the string to sign under the signing key of
 * (secret, date8, region, service), which each thread caches. 0 or -1. */
int iam_sigv4_signature(const char *secret, const char *date8, const char *region,
                        const char *service, const void *string_to_sign, size_t len,
                        char out[65]);

/* Append n bytes of s percent-encoded the SigV4 way: every byte but
 * A-Z a-z 0-9 - . _ ~ as %XX with upper-case hex ('/' encoded too). */
void iam_sigv4_append_encoded(iam_buf *b, const char *s, size_t n);

/* How many threads have a signing-key cache entry (for tests: a forked child
 * keeps at most its own). */
size_t iam_sigv4_cached_keys(void);

#endif
