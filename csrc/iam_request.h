/* The IBM token requests and their responses, shared by every IBM grant. */
#ifndef IAMCORE_IAM_REQUEST_H
#define IAMCORE_IAM_REQUEST_H

#include "http.h"
#include "token.h"

/* Which fields of a 2xx body date the token. */
typedef enum iam_token_times {
    IAM_TIMES_IAM, /* IAM: `expiration` (epoch seconds) and `expires_in`              */
    IAM_TIMES_VPC, /* VPC metadata: RFC 3339 `expires_at` / `created_at`, `expires_in` */
    IAM_TIMES_NONE /* used once, at once (the VPC identity token): no expiry needed */
} iam_token_times;

/* One token request: what to send, how to read the answer. */
typedef struct iam_token_request {
    const char *method;              /* "POST" or "PUT"                               */
    const char *url;
    const char *const *header_lines; /* "Name: value"                                 */
    size_t header_count;
    const iam_buf *body;
    const char *what;                /* names the request in errors: "<what> failed: …" */
    const char *const *secrets;      /* redacted from the error, whatever was echoed  */
    size_t secret_count;
    iam_token_times times;
    /* Not NULL: receives the response's refresh_token (a secret the caller
     * frees), or NULL when it has none or the literal "not_supported". */
    char **refresh_token;
} iam_token_request;

/* Send the request, then turn the answer into a token or an error: a non-2xx
 * answer is IAM_E_AUTH with the service's fields, an unusable 2xx body
 * IAM_E_PARSE. */
int iam_request_send(iam_http *http, const iam_token_request *req, iam_token **out,
                     iam_error *err);

/* iam_request_send of a form POST to an IAM token URL ("IAM token request"). */
int iam_request_token(iam_http *http, const char *token_url, const char *const *header_lines,
                      size_t header_count, const iam_buf *form, const char *const *secrets,
                      size_t secret_count, iam_token **out, iam_error *err);

/* A 2xx body -> token. Expiry from the response's fields first (see
 * iam_token_times), the JWT's exp/iat as fallback; now_s stands in for a
 * missing issue time. A token whose expiry is not after now_s is IAM_E_PARSE
 * (except IAM_TIMES_NONE). refresh_token as in iam_token_request (may be NULL). */
int iam_parse_token_body(const char *body, size_t len, int64_t now_s, iam_token_times times,
                         iam_token **out, char **refresh_token, iam_error *err);

/* iam_parse_token_body for IAM answers, without the refresh token. */
int iam_parse_token_response(const char *body, size_t len, int64_t now_s, iam_token **out,
                             iam_error *err);

/*
 * A non-2xx answer -> IAM_E_AUTH. IAM's shape fills error_code (errorCode),
 * error_message (errorMessage), error_details (errorDetails) and request_id
 * (context.requestId); other IBM shapes — the VPC metadata service's
 * {"errors":[{"code","message","target"}],"trace"} — give errors[0].code,
 * errors[0].message, errors[0].target (as JSON text) and trace. The message
 * starts with `what` ("IAM token request" when NULL).
 */
int iam_parse_error_body(const char *what, long status, const char *body, size_t len,
                         const char *transaction_id, iam_error *err);

/* iam_parse_error_body for "IAM token request". */
int iam_parse_error_response(long status, const char *body, size_t len,
                             const char *transaction_id, iam_error *err);

/* "https://host/x/identity/token/" -> "https://host/x/identity/token"; a URL
 * without the suffix gets it. NULL when out of memory. */
char *iam_token_url(const char *base_url);

#endif
