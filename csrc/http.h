/* The one place that talks to libcurl. */
#ifndef IAMCORE_HTTP_H
#define IAMCORE_HTTP_H

#include "iamcore.h"
#include "secret.h"

typedef struct iam_http_options {
    const char *ca_file;
    int insecure;              /* disable TLS verification */
    const char *proxy;         /* NULL: libcurl reads HTTPS_PROXY / NO_PROXY */
    long timeout_ms;           /* total, retries and back-off included */
    long connect_timeout_ms;
    int max_retries;
    size_t max_response_bytes;
    const char *user_agent;
} iam_http_options;

typedef struct iam_http_response {
    long status;
    iam_buf body;              /* zeroed on free: may hold a token */
    char transaction_id[128];
} iam_http_response;

/* One connection-reusing client. Not for concurrent use: the token cache lets
 * one fetch at a time run per authenticator. */
typedef struct iam_http iam_http;

int iam_http_new(iam_http **out, const iam_http_options *opts, iam_error *err);
void iam_http_free(iam_http *h);

/*
 * POST body (form-urlencoded unless a Content-Type header is given) with extra
 * header lines ("Name: value"). Retries connection errors, 429 and 5xx with
 * exponential back-off and jitter (Retry-After honoured), never past the total
 * timeout. On IAM_OK *resp holds the final response, whatever its status.
 */
int iam_http_post(iam_http *h, const char *url, const char *const *header_lines,
                  size_t header_count, const char *body, size_t body_len,
                  iam_http_response *resp, iam_error *err);

/* The same for any method: "GET" (body ignored), "POST", "PUT". */
int iam_http_request(iam_http *h, const char *method, const char *url,
                     const char *const *header_lines, size_t header_count, const char *body,
                     size_t body_len, iam_http_response *resp, iam_error *err);

void iam_http_response_free(iam_http_response *resp);

/* Retry-After values above this many seconds count as this many. */
#define IAM_HTTP_RETRY_AFTER_MAX_S 86400L

/* One response header line as libcurl hands it over (CRLF included, no NUL
 * needed): X-Global-Transaction-ID goes to resp->transaction_id (truncated),
 * Retry-After (delta seconds or an HTTP date, capped) to *retry_after_s; a
 * status line starts a new response and clears both. The header callback's
 * parser, exposed for tests and the fuzz targets. */
void iam_http_header_line(const char *line, size_t len, iam_http_response *resp,
                          long *retry_after_s);

#endif
