/* AWS credentials owned by iamcore, and the helpers every AWS provider shares.
 *
 * Providers (env, profile files, credential_process, and later web identity,
 * container and IMDS) each return an iam_aws_creds: an immutable,
 * reference-counted object whose last release zeroes the secrets. Signing takes
 * the borrowed iam_aws_credentials view of it (iamcore_aws.h).
 *
 * Provider return convention:
 *   IAM_OK              *out holds a new reference
 *   IAM_AWS_NOT_FOUND   this source has nothing configured: the chain moves on
 *   negative iam_status the source IS configured but failed: the chain stops with
 *                       this error (as botocore does), err says why
 */
#ifndef IAMCORE_AWS_CREDENTIALS_H
#define IAMCORE_AWS_CREDENTIALS_H

#include "cache_item.h"
#include "iamcore.h"
#include "iamcore_aws.h"

#include <stdatomic.h>
#include <stdint.h>

/* "This source has nothing configured": positive, not an error. */
#define IAM_AWS_NOT_FOUND 1

typedef struct iam_aws_creds {
    iam_cache_item base;       /* refs; expires_at: epoch s, 0 for static credentials that
                                  never expire (first: a provider caches them as items) */
    char source[24];           /* "explicit", "env", "profile", "process",
                                  "web-identity", "container", "imds"                   */
    char *access_key_id;
    char *secret_access_key;   /* secret                                                */
    char *session_token;       /* secret, or NULL                                       */
} iam_aws_creds;

/* New credentials holding copies of the strings, one reference. token NULL or ""
 * means none. source is truncated to 23 characters (NULL: ""). Returns NULL when
 * out of memory, or when akid or secret is NULL. */
iam_aws_creds *iam_aws_creds_new(const char *akid, const char *secret, const char *token,
                                 int64_t expiration, const char *source);

/* Another reference. Returns c; NULL is ignored. */
iam_aws_creds *iam_aws_creds_retain(iam_aws_creds *c);

/* Drop a reference; the last one zeroes every string and frees. NULL is ignored. */
void iam_aws_creds_release(iam_aws_creds *c);

/* The borrowed view signing takes; valid while the caller holds a reference. */
iam_aws_credentials iam_aws_creds_view(const iam_aws_creds *c);

/* c->source ("" for NULL): where the credentials came from. */
const char *iam_aws_creds_source(const iam_aws_creds *c);

/* strerror_r that works with both the GNU (glibc) and the XSI (musl, macOS)
 * variant: the text of errno value e, in buf or a static string. */
const char *iam_aws_errno_text(int e, char *buf, size_t cap);

/* getenv that treats a variable set to "" as unset (returns NULL). */
const char *iam_aws_getenv(const char *name);

/*
 * Parse an ISO 8601 / RFC 3339 date-time with an explicit zone into epoch
 * seconds: "2026-11-23T12:00:00Z", optional fractional seconds (ignored:
 * truncated), zone "Z", "+hh:mm", "-hh:mm" or "+hhmm"; 't' and 'z' may be lower
 * case. Fields are range-checked (day against the month, leap years included;
 * second 60 is accepted and rolls over as timegm would). No surrounding white
 * space. Computed arithmetically (the same result as timegm, without libc time
 * zone state, and 64-bit on every platform). 0 on success, -1 otherwise.
 */
int iam_parse_iso8601(const char *text, int64_t *epoch_s);

/*
 * Environment provider: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY
 * [+ AWS_SESSION_TOKEN] [+ AWS_CREDENTIAL_EXPIRATION], empty meaning unset.
 *   neither key nor secret        IAM_AWS_NOT_FOUND (a lone session token is ignored,
 *                                 as botocore does)
 *   only one of key and secret    IAM_E_CONFIG naming the variables (never values)
 *   expiration set but invalid    IAM_E_CONFIG naming the variable
 *   otherwise                     IAM_OK, source "env"
 */
int iam_aws_env_credentials(iam_aws_creds **out, iam_error *err);

/*
 * credential_process provider: run command_line WITHOUT a shell and read its
 * JSON output. See aws_process.c for the splitting rules and error codes.
 * timeout_ms: 0 means IAM_AWS_PROCESS_DEFAULT_TIMEOUT_MS; negative is IAM_E_CONFIG.
 * IAM_OK with source "process", or a negative iam_status (never NOT_FOUND).
 */
#define IAM_AWS_PROCESS_DEFAULT_TIMEOUT_MS 60000L
#define IAM_AWS_PROCESS_MAX_STDOUT (64 * 1024)
#define IAM_AWS_PROCESS_MAX_STDERR (4 * 1024)
int iam_aws_process_credentials(iam_aws_creds **out, const char *command_line, long timeout_ms,
                                iam_error *err);

/* The argument vector credential_process runs (exposed for tests): POSIX shell
 * word splitting without expansions. On success *argv_out is a NULL-terminated
 * array and *argc_out its length; free with iam_aws_argv_free. IAM_E_CONFIG on
 * an unterminated quote, a trailing backslash or an empty command. */
int iam_aws_split_command(char ***argv_out, int *argc_out, const char *command_line,
                          iam_error *err);
void iam_aws_argv_free(char **argv);

/* What iam_aws_process_credentials does with the output of a process that
 * exited with status 0 (len bytes, no NUL needed), and with the stderr of one
 * that failed (the excerpt in its message: at most 200 bytes of one line,
 * cap >= 1). Exposed for tests and the fuzz targets. */
int iam_aws_process_parse_output(iam_aws_creds **out, const char *text, size_t len,
                                 iam_error *err);
void iam_aws_process_stderr_excerpt(char *dst, size_t cap, const char *src, size_t len);

#endif
