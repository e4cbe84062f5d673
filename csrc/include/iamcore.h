/*
 * iamcore — cloud IAM credentials for C, Python and Node.
 *
 * Public C API. Conventions:
 *   - Objects are opaque and reference counted; `*_new` creates one, `*_free` /
 *     `*_release` drops the caller's reference.
 *   - Functions that can fail return an iam_status (0 = IAM_OK, negative = error)
 *     and fill an optional `iam_error *` with the detail. Out-parameters come first.
 *   - Strings passed in are copied; the caller keeps ownership of its buffers.
 *   - Secrets (API keys, client secrets, tokens) are zeroed before their memory is
 *     freed and never appear in an iam_error.
 *   - All functions are thread-safe unless stated otherwise. State is per object:
 *     two authenticators never wait for each other.
 */
#ifndef IAMCORE_H
#define IAMCORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IAMCORE_VERSION "0.1.0"

#if defined(__GNUC__)
#define IAM_API __attribute__((visibility("default")))
#else
#define IAM_API
#endif

/* ---------------------------------------------------------------- errors */

typedef enum iam_status {
    IAM_OK = 0,
    IAM_E_CONFIG = -1,     /* bad configuration, raised at construction        */
    IAM_E_AUTH = -2,       /* the token service answered with an error         */
    IAM_E_TRANSPORT = -3,  /* connection failed, reset, or response too large  */
    IAM_E_TIMEOUT = -4,    /* connect or total timeout reached                 */
    IAM_E_TLS = -5,        /* certificate or handshake failure                 */
    IAM_E_PARSE = -6,      /* the response could not be understood             */
    IAM_E_TOKEN_FILE = -7, /* compute-resource token file missing/empty/unreadable */
    IAM_E_NOMEM = -8,      /* out of memory                                    */
    IAM_E_INTERNAL = -9    /* a bug in iamcore                                 */
} iam_status;

/*
 * Detail of a failure. Plain fixed-size buffers, so it can be copied by value
 * and needs no free. Every text field is NUL-terminated, possibly empty, and
 * truncated if longer than its buffer.
 */
typedef struct iam_error {
    int code;                  /* an iam_status                                   */
    long http_status;          /* HTTP status of the last response, 0 if none     */
    char message[512];         /* human-readable summary, never contains a secret */
    char error_code[64];       /* IAM errorCode, e.g. "BXNIM0415E"                */
    char error_message[512];   /* IAM errorMessage as sent                        */
    char error_details[512];   /* IAM errorDetails (JSON text if not a string)    */
    char request_id[128];      /* IAM context.requestId                           */
    char transaction_id[128];  /* X-Global-Transaction-ID response header         */
    int attempts;              /* HTTP attempts made (retries included)           */
} iam_error;

/* Stable lower-case name of a status: "ok", "config", "auth", "transport",
 * "timeout", "tls", "parse", "token_file", "nomem", "internal". */
IAM_API const char *iam_status_name(int code);

/* Reset an error record to IAM_OK with empty fields. */
IAM_API void iam_error_clear(iam_error *err);

/* ---------------------------------------------------------------- library */

/* Optional: load libcurl (dlopen) and initialise it now; otherwise the first
 * request does (constructors do not). Thread-safe; the result is final:
 * IAM_E_INTERNAL when libcurl cannot be loaded or initialised. */
IAM_API iam_status iam_global_init(void);

IAM_API const char *iam_version(void);

/* Packaged builds (a wheel, an npm prebuilt) carry their own libcurl and
 * libcrypto, named by two small shared objects built beside the extension
 * module (csrc/libs/). The module that holds `addr` is <dir>/<own_stem><rest>:
 * when <dir>/<anchor_prefix>curl<rest> exists, libcurl is loaded through it
 * rather than by soname, and when <dir>/<anchor_prefix>crypto<rest> exists, so
 * is libcrypto (unless the process has an OpenSSL 3 of its own). Returns how
 * many anchors were found (0: the sonames). Call it once, from the module's
 * initialisation, before any request; the first call decides. */
IAM_API int iam_libs_use_beside(const void *addr, const char *own_stem, const char *anchor_prefix);

/* ---------------------------------------------------------------- authenticators */

typedef enum iam_auth_type {
    IAM_AUTH_IAM = 1,        /* API key or refresh token grant                  */
    IAM_AUTH_CONTAINER = 2,  /* trusted profile + compute-resource token file   */
    IAM_AUTH_VPC = 3,        /* VPC instance metadata: identity token, then IAM token */
    IAM_AUTH_IAM_ASSUME = 4  /* API-key token, then the assume grant for a profile */
} iam_auth_type;

/* "iam", "container", "vpc", "iamAssume" — the names sdk-core's
 * authentication_type() returns. */
IAM_API const char *iam_auth_type_name(iam_auth_type type);

typedef struct iam_header {
    const char *name;
    const char *value;
} iam_header;

/*
 * Configuration of an authenticator. Zero-initialise (IAM_CONFIG_INIT), then set
 * what you need: NULL or 0 means "not given" and the documented default applies.
 * Validation and defaults live in iam_auth_new, not in the bindings.
 */
typedef struct iam_config {
    unsigned version;                /* IAM_CONFIG_VERSION                          */

    /* IAM_AUTH_IAM: exactly one of apikey and refresh_token; a refresh token
     * needs client_id and client_secret. IAM_AUTH_IAM_ASSUME: apikey. */
    const char *apikey;
    const char *refresh_token;

    /* The trusted profile.
     *   IAM_AUTH_CONTAINER   at least one of name, id, crn (all given are sent)
     *   IAM_AUTH_VPC         at most one of id, crn (none: the instance's default
     *                        profile); no name
     *   IAM_AUTH_IAM_ASSUME  exactly one of name, id, crn; name needs
     *                        iam_account_id (and iam_account_id needs name) */
    const char *iam_profile_name;
    const char *iam_profile_id;
    const char *iam_profile_crn;
    const char *iam_account_id;
    const char *cr_token_filename;   /* IAM_AUTH_CONTAINER; NULL: the three platform
                                        defaults */
    const char *vpc_ims_version;     /* IAM_AUTH_VPC: the metadata API `version`,
                                        YYYY-MM-DD, at least 2022-03-01; NULL:
                                        IAM_VPC_DEFAULT_VERSION. From 2025-08-26 on
                                        the /identity/v1/ paths are used. */

    /* common to every IBM grant; IAM_AUTH_VPC ignores client_id, client_secret
     * and scope (the metadata service takes none of them) */
    const char *url;                 /* default "https://iam.cloud.ibm.com"; for
                                        IAM_AUTH_VPC "http://169.254.169.254" */
    const char *client_id;           /* with client_secret: Basic auth             */
    const char *client_secret;
    const char *scope;
    const iam_header *headers;       /* extra request headers                      */
    size_t header_count;

    /* HTTP */
    int disable_ssl_verification;    /* non-zero: do not verify the server (unsafe) */
    const char *ca_file;             /* PEM bundle to trust instead of the system's */
    const char *proxy;               /* overrides HTTPS_PROXY / NO_PROXY            */
    long timeout_ms;                 /* total per token request, retries included (the
                                        two-step grants have it per step); 0: 30000,
                                        negative: IAM_E_CONFIG */
    long connect_timeout_ms;         /* per connection attempt; 0: 5000             */
    int max_retries;                 /* retries after the first attempt, at most 100;
                                        0: default 3, <0: none */
    size_t max_response_bytes;       /* 0: 1 MiB                                    */

    /* Identification: appended to the User-Agent, e.g. "python/3.11.7" */
    const char *user_agent_extra;

    /* --- version 2 */

    /* Share tokens with the other processes of this user on this host through
     * files in this directory (docs/shared-cache.md). NULL: the environment
     * variable IAMCORE_SHARED_CACHE decides; "": off. Checked at construction:
     * created 0700 when missing (its parent must exist); a symbolic link, a
     * directory of another user or one writable by group or others is
     * IAM_E_CONFIG. Not for the refresh-token grant. */
    const char *shared_cache;
} iam_config;

/*
 * Versions: fields are only ever appended, and each addition raises
 * IAM_CONFIG_VERSION. A caller compiled against an older header passes its
 * older version number and a shorter struct: iam_auth_new then reads only the
 * fields that version had (the newer ones count as not given). Accepted:
 * IAM_CONFIG_VERSION_MIN to IAM_CONFIG_VERSION.
 */
#define IAM_CONFIG_VERSION 2u
#define IAM_CONFIG_VERSION_MIN 1u
#define IAM_CONFIG_INIT { .version = IAM_CONFIG_VERSION }

/* Defaults, also used by the bindings' documentation. */
#define IAM_DEFAULT_URL "https://iam.cloud.ibm.com"
#define IAM_VPC_DEFAULT_URL "http://169.254.169.254"
#define IAM_VPC_DEFAULT_VERSION "2022-03-01"
/* The first metadata API version with the /identity/v1/token and
 * /identity/v1/iam_tokens paths (earlier ones: /instance_identity/v1/...). */
#define IAM_VPC_IDENTITY_PATHS_VERSION "2025-08-26"
/* Lifetime asked for the VPC instance identity token (used once, at once). */
#define IAM_VPC_IDENTITY_TOKEN_LIFETIME_S 300
#define IAM_DEFAULT_TIMEOUT_MS 30000L
#define IAM_DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define IAM_DEFAULT_MAX_RETRIES 3
#define IAM_DEFAULT_MAX_RESPONSE_BYTES (1024u * 1024u)
/* A token is treated as expired this many seconds before its `exp`. */
#define IAM_EXPIRY_MARGIN_S 10
/* After a refresh decision, the next one is no sooner than this. */
#define IAM_REFRESH_RETRY_S 60

typedef struct iam_auth iam_auth;

/*
 * Create an authenticator. Checks the configuration (IAM_E_CONFIG with a message
 * naming the offending option, never its value) and copies it. No network I/O.
 */
IAM_API iam_status iam_auth_new(iam_auth **out, iam_auth_type type, const iam_config *cfg,
                                iam_error *err);

/* Take another reference, e.g. for work running on another thread. Returns auth. */
IAM_API iam_auth *iam_auth_retain(iam_auth *auth);

/* Drop the caller's reference. A refresh running in the background keeps the
 * object alive until it finishes. NULL is ignored. */
IAM_API void iam_auth_free(iam_auth *auth);

IAM_API iam_auth_type iam_auth_get_type(const iam_auth *auth);

/* ---------------------------------------------------------------- tokens */

/* An immutable, reference-counted access token. */
typedef struct iam_token iam_token;

IAM_API const char *iam_token_value(const iam_token *token);   /* NUL-terminated */
IAM_API size_t iam_token_length(const iam_token *token);
IAM_API int64_t iam_token_expires_at(const iam_token *token);  /* epoch seconds  */
IAM_API int64_t iam_token_issued_at(const iam_token *token);   /* epoch seconds  */
/* Changes whenever the cached token is replaced; never 0. */
IAM_API uint64_t iam_token_generation(const iam_token *token);
IAM_API iam_token *iam_token_retain(iam_token *token);
/* Drop a reference; the last one zeroes the token's memory. NULL is ignored. */
IAM_API void iam_token_release(iam_token *token);

/*
 * Return a valid access token (a new reference in *out).
 *
 * - A valid cached token is returned at once, without I/O. If its refresh is due
 *   (80 % of its lifetime), a refresh is started on a background thread and the
 *   cached token is still returned: no caller waits while a valid token exists.
 * - Otherwise one caller fetches and every concurrent caller waits for that one
 *   request, then all get its token or its error. A failed fetch is not cached:
 *   the next call tries again.
 * - Blocks for at most the configured total timeout (plus a few milliseconds).
 */
IAM_API iam_status iam_auth_get_token(iam_auth *auth, iam_token **out, iam_error *err);

/*
 * The bindings' fast path: never blocks, never allocates.
 * Returns the generation of the valid cached token, or 0 when there is none and
 * the caller must use iam_auth_get_token. Starts a background refresh when one
 * is due. When fresh_until_ms is not NULL it receives the wall-clock time (ms
 * since the epoch) until which the same generation stays valid and no refresh
 * is due — a binding may skip calling this until then.
 */
IAM_API uint64_t iam_auth_peek(iam_auth *auth, int64_t *fresh_until_ms);

/* Drop the cached token: the next call fetches a new one. */
IAM_API void iam_auth_invalidate(iam_auth *auth);

#ifdef __cplusplus
}
#endif
#endif /* IAMCORE_H */
