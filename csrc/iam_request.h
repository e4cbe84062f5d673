/* The IBM IAM token request and its responses, shared by every IBM grant. */
#ifndef IAMCORE_IAM_REQUEST_H
#define IAMCORE_IAM_REQUEST_H

#include "http.h"
#include "token.h"

/*
 * POST form to the token URL with the given header lines, then turn the answer
 * into a token or an error. Every string in secrets[] is redacted from the
 * error, whatever the server echoed.
 */
int iam_request_token(iam_http *http, const char *token_url, const char *const *header_lines,
                      size_t header_count, const iam_buf *form, const char *const *secrets,
                      size_t secret_count, iam_token **out, iam_error *err);

/* A 2xx body -> token. Expiry from `expiration`/`expires_in` first, the JWT's
 * exp/iat as fallback; now_s stands in for a missing issue time. */
int iam_parse_token_response(const char *body, size_t len, int64_t now_s, iam_token **out,
                             iam_error *err);

/* A non-2xx answer -> IAM_E_AUTH with IAM's fields. */
int iam_parse_error_response(long status, const char *body, size_t len,
                             const char *transaction_id, iam_error *err);

/* "https://host/x/identity/token/" -> "https://host/x/identity/token"; a URL
 * without the suffix gets it. NULL when out of memory. */
char *iam_token_url(const char *base_url);

#endif
