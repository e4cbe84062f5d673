/*
 * iamcore — AWS Signature Version 4 and the database auth tokens built on it.
 *
 * Public C API, same conventions as iamcore.h:
 *   - Functions that can fail return an iam_status (0 = IAM_OK, negative = error)
 *     and fill an optional `iam_error *`. Out-parameters come first.
 *   - Invalid arguments give IAM_E_CONFIG with a message naming the argument,
 *     never its value; out of memory gives IAM_E_NOMEM.
 *   - Nothing here does I/O, reads the environment or keeps state between calls:
 *     every function is thread-safe and deterministic for a given timestamp.
 *   - Results may hold a session token, so each has its own free function that
 *     zeroes the memory before releasing it. Free results with these functions
 *     only, never with free().
 *   - The secret access key and every key derived from it are zeroed before the
 *     call returns; they never appear in a result or an error.
 */
#ifndef IAMCORE_AWS_H
#define IAMCORE_AWS_H

#include "iamcore.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- credentials */

/*
 * AWS credentials, borrowed for the duration of a call (nothing is copied or
 * kept). access_key_id and secret_access_key are required.
 */
typedef struct iam_aws_credentials {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL or "": none (an empty token is never sent)   */
    int64_t expiration;        /* epoch seconds when they stop working; 0: unknown.
                                * Signing at or after it fails with IAM_E_CONFIG; a
                                * presigned URL's X-Amz-Expires is capped so that it
                                * never outlives the credentials.                  */
} iam_aws_credentials;

/* ---------------------------------------------------------------- credential providers */

/* Credentials iamcore owns (from the chain or given explicitly): immutable and
 * reference counted; the last release zeroes the secrets. */
typedef struct iam_aws_creds iam_aws_creds;

/* The borrowed view signing takes; valid while the caller holds a reference. */
IAM_API iam_aws_credentials iam_aws_creds_view(const iam_aws_creds *creds);
/* Where they came from: "explicit", "env", "profile", "process", "web-identity",
 * "container" or "imds". */
IAM_API const char *iam_aws_creds_source(const iam_aws_creds *creds);
IAM_API iam_aws_creds *iam_aws_creds_retain(iam_aws_creds *creds);
IAM_API void iam_aws_creds_release(iam_aws_creds *creds);

/*
 * A credentials provider: explicit credentials, or the default chain —
 * environment, web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), the
 * shared config and credentials files (static keys, credential_process,
 * role_arn + web_identity_token_file), the container endpoint, EC2 instance
 * metadata — resolved at the first use and cached. Temporary credentials are
 * refreshed in the background 15 minutes before they expire (single-flight:
 * callers keep the valid ones meanwhile) and fetched in the foreground only
 * within 5 minutes of expiry. Thread-safe; reference counted like iam_auth.
 */
typedef struct iam_aws_provider iam_aws_provider;

typedef struct iam_aws_provider_config {
    unsigned version;                       /* IAM_AWS_PROVIDER_CONFIG_VERSION  */
    const char *profile;                    /* NULL: AWS_PROFILE, else "default"; a
                                               named profile skips the environment */
    const iam_aws_credentials *credentials; /* given: use these, never the chain */
} iam_aws_provider_config;

#define IAM_AWS_PROVIDER_CONFIG_VERSION 1u
#define IAM_AWS_PROVIDER_CONFIG_INIT { .version = IAM_AWS_PROVIDER_CONFIG_VERSION }

/* No I/O: the chain runs at the first iam_aws_provider_get. */
IAM_API iam_status iam_aws_provider_new(iam_aws_provider **out,
                                        const iam_aws_provider_config *cfg, iam_error *err);
IAM_API iam_aws_provider *iam_aws_provider_retain(iam_aws_provider *provider);
IAM_API void iam_aws_provider_free(iam_aws_provider *provider);

/* Valid credentials (a new reference in *out). Blocks only without valid cached
 * ones. With no source at all: IAM_E_CONFIG listing what each source lacked. */
IAM_API iam_status iam_aws_provider_get(iam_aws_provider *provider, iam_aws_creds **out,
                                        iam_error *err);

/* Forget the cached credentials (e.g. after an access-denied answer). */
IAM_API void iam_aws_provider_invalidate(iam_aws_provider *provider);

/* ---------------------------------------------------------------- regions */

/*
 * The region to sign for: region if given, else AWS_REGION, AWS_DEFAULT_REGION,
 * the profile's `region` (profile NULL: AWS_PROFILE or "default"), else the one
 * an RDS (…<region>.rds.amazonaws.com[.cn]) or Aurora DSQL (….dsql.<region>.on.aws)
 * host name carries. IAM_E_CONFIG when none is found or it is malformed. out
 * needs 64 bytes.
 */
IAM_API iam_status iam_aws_region_resolve(char *out, size_t cap, const char *region,
                                          const char *profile, const char *hostname,
                                          iam_error *err);

/* ---------------------------------------------------------------- SigV4 */

/*
 * What to sign with. Start from IAM_SIGV4_PARAMS_INIT and set service, region,
 * credentials (and usually timestamp).
 */
typedef struct iam_sigv4_params {
    unsigned version;                       /* IAM_SIGV4_PARAMS_VERSION            */
    const char *service;                    /* signing name, e.g. "rds-db", "s3"   */
    const char *region;                     /* e.g. "us-east-1"                    */
    const iam_aws_credentials *credentials;
    int64_t timestamp;                      /* signing time, epoch seconds; 0: now */
    /* Path canonicalisation. Both 1 (the default) for every service but S3; both 0
     * for S3. normalize_path removes "." and ".." segments and empty segments
     * ("//"), keeping a trailing '/'. double_encode_path percent-encodes the path
     * as given, '%' included (AWS signs the already-encoded path once more);
     * with 0 a valid %XX escape in the path is kept as it is. Either way every
     * byte but A-Z a-z 0-9 - . _ ~ / (and %XX when kept) becomes %XX.          */
    int normalize_path;
    int double_encode_path;
    /* Header signing: also add and sign x-amz-content-sha256 (S3 needs it). */
    int sign_body;
    /* Payload hash placed in the canonical request. NULL: the lower-case hex
     * SHA-256 of the body (of "" without a body). Otherwise used verbatim, e.g.
     * "UNSIGNED-PAYLOAD" for S3 presigned URLs or streaming uploads.             */
    const char *payload_hash;
    /* Presigning: X-Amz-Expires in seconds, 1..604800 (7 days); capped at the
     * credentials' remaining lifetime when their expiration is known.           */
    long expires;
    /* Do not sign the session token: header signing still adds
     * X-Amz-Security-Token, presigning still appends it to the query, but neither
     * is part of the signature (AWS IoT wants this).                            */
    int omit_session_token;
} iam_sigv4_params;

#define IAM_SIGV4_PARAMS_VERSION 1u
#define IAM_SIGV4_PARAMS_INIT                                                            \
    { .version = IAM_SIGV4_PARAMS_VERSION, .normalize_path = 1, .double_encode_path = 1,  \
      .expires = 900 }

#define IAM_SIGV4_MAX_EXPIRES 604800L

/*
 * The headers header signing adds, in the order to append them to the request:
 *   X-Amz-Security-Token   when the credentials carry a session token
 *   X-Amz-Date             yyyymmddThhmmssZ
 *   x-amz-content-sha256   when sign_body is set (the name as AWS's own signer
 *                          spells it; header names are case-insensitive)
 *   Authorization          AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…
 * Owned by the caller: release with iam_sigv4_headers_free, which zeroes it (the
 * session token is in here). The fields ending in '_' are private.
 */
#define IAM_SIGV4_MAX_HEADERS 4
typedef struct iam_sigv4_headers {
    iam_header headers[IAM_SIGV4_MAX_HEADERS];
    size_t count;
    char signature[65]; /* lower-case hex, as in Authorization */
    char *storage_;
    size_t storage_len_;
} iam_sigv4_headers;

/*
 * Sign an HTTP request with an Authorization header.
 *
 * method       "GET", "POST", … (used as given)
 * target       the request target as sent: path with an optional "?query", e.g.
 *              "/path/to?a=1&b=x%20y". Query parameters are decoded, re-encoded and
 *              sorted for the signature; '+' is a literal plus, not a space.
 * headers      the request's headers; a Host header is required. Repeated names
 *              are signed as one comma-joined header, in their order; a value may
 *              span lines ("\n" + indentation), which are joined with one space.
 *              Connection, Expect, Keep-Alive, Proxy-Authenticate,
 *              Proxy-Authorization, TE, Trailer, Transfer-Encoding, Upgrade,
 *              User-Agent, X-Amzn-Trace-Id and Sec-WebSocket-{Key,Protocol,Version}
 *              are sent but not signed (proxies change them). Authorization,
 *              X-Amz-Date, X-Amz-Security-Token and X-Amz-Content-Sha256 are the
 *              signer's to add: passing one is IAM_E_CONFIG.
 * body/body_len the payload (NULL/0: none); hashed unless params->payload_hash.
 *
 * On success *out holds the headers to add; on failure it is empty (and still
 * safe to free).
 */
IAM_API iam_status iam_sigv4_sign_headers(iam_sigv4_headers *out, const iam_sigv4_params *params,
                                          const char *method, const char *target,
                                          const iam_header *headers, size_t header_count,
                                          const void *body, size_t body_len, iam_error *err);

/* Zero and release what iam_sigv4_sign_headers put in h, leaving it empty.
 * NULL and an already-freed or zero-initialised struct are ignored. */
IAM_API void iam_sigv4_headers_free(iam_sigv4_headers *h);

/*
 * Presign a request (SigV4 query signing): *out receives the request target with
 * the authentication parameters appended to its query, the target's own
 * parameters left as they were:
 *   <target>?…&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=…&X-Amz-Date=…
 *     &X-Amz-SignedHeaders=…&X-Amz-Expires=…[&X-Amz-Security-Token=…]&X-Amz-Signature=…
 * Every header given is signed (except the unsigned ones listed above), so the
 * request must later be sent with exactly those headers; usually pass only Host.
 * The target's query must not already contain X-Amz-Algorithm, -Credential,
 * -Date, -Expires, -SignedHeaders, -Security-Token or -Signature.
 * Release *out with iam_aws_string_free (it may contain a session token).
 */
IAM_API iam_status iam_sigv4_presign(char **out, const iam_sigv4_params *params,
                                     const char *method, const char *target,
                                     const iam_header *headers, size_t header_count,
                                     const void *body, size_t body_len, iam_error *err);

/* Zero and free a string returned by this API. NULL is ignored. */
IAM_API void iam_aws_string_free(char *s);

/*
 * Split an http(s) URL into the Host header value (host, plus ":port" unless it is
 * the scheme's default) and the request target (path, default "/", and "?query"
 * as given), for iam_sigv4_sign_headers and iam_sigv4_presign. Free *host with
 * free() and *target with iam_aws_string_free.
 */
IAM_API iam_status iam_aws_url_parts(char **host, char **target, const char *url, iam_error *err);

/* ---------------------------------------------------------------- database tokens */

/* Lifetime of a token when expires is 0: 15 minutes, what RDS accepts at most. */
#define IAM_AWS_TOKEN_DEFAULT_EXPIRES 900L

/*
 * Amazon RDS / Aurora IAM database authentication token (the password to send),
 * in the form botocore's generate_db_auth_token (and the AWS CLI) prints:
 *
 *   <hostname>:<port>/?Action=connect&DBUser=<user>&X-Amz-Algorithm=AWS4-HMAC-SHA256
 *   &X-Amz-Credential=<AKID>%2F<yyyymmdd>%2F<region>%2Frds-db%2Faws4_request
 *   &X-Amz-Date=<yyyymmddThhmmssZ>&X-Amz-Expires=900&X-Amz-SignedHeaders=host
 *   [&X-Amz-Security-Token=<token>]&X-Amz-Signature=<hex>
 *
 * hostname   the DB endpoint (DNS name, or an IPv6 literal in brackets), printed
 *            as given; it is signed lower-cased, and without ":443" for port 443.
 * port       1..65535
 * username   the database user, percent-encoded in the token
 * region     e.g. "us-east-1" (iamcore does not guess it here)
 * timestamp  epoch seconds, 0: now
 * expires    seconds, 0: IAM_AWS_TOKEN_DEFAULT_EXPIRES; capped at the
 *            credentials' remaining lifetime when it is known
 *
 * One deliberate difference from botocore: an empty session token is skipped,
 * where botocore sends "X-Amz-Security-Token=" (which RDS Proxy rejects).
 * Release *out with iam_aws_string_free.
 */
IAM_API iam_status iam_rds_auth_token(char **out, const iam_aws_credentials *credentials,
                                      const char *hostname, int port, const char *username,
                                      const char *region, int64_t timestamp, long expires,
                                      iam_error *err);

/*
 * Amazon Aurora DSQL auth token, as botocore's
 * generate_db_connect[_admin]_auth_token prints it:
 *   <hostname>/?Action=DbConnect|DbConnectAdmin&X-Amz-Algorithm=…&X-Amz-Signature=<hex>
 * signed for the service "dsql". admin non-zero: Action=DbConnectAdmin (connect as
 * the "admin" role). Other arguments as for iam_rds_auth_token (no port, no user).
 */
IAM_API iam_status iam_dsql_auth_token(char **out, const iam_aws_credentials *credentials,
                                       const char *hostname, int admin, const char *region,
                                       int64_t timestamp, long expires, iam_error *err);

/*
 * Amazon ElastiCache (Valkey/Redis OSS) IAM auth token, the password for AUTH:
 *   <cache_name>/?Action=connect&User=<user_id>[&ResourceType=ServerlessCache]
 *   &X-Amz-Algorithm=…&X-Amz-Signature=<hex>
 * signed for the service "elasticache" with host = the cache name lower-cased.
 * cache_name  the replication group or serverless cache name (not an endpoint)
 * user_id     the ElastiCache user ID (also the AUTH user name)
 * serverless  non-zero for a serverless cache
 * Other arguments as for iam_rds_auth_token.
 */
IAM_API iam_status iam_elasticache_auth_token(char **out, const iam_aws_credentials *credentials,
                                              const char *cache_name, const char *user_id,
                                              int serverless, const char *region,
                                              int64_t timestamp, long expires, iam_error *err);

/* ---------------------------------------------------------------- cached RDS tokens */

/*
 * An RDS authenticator: the token for one (region, host, port, user), cached and
 * shared by every thread, like the AWS advanced JDBC/Python wrappers' IAM plugin
 * (iam_host, iam_region, iam_default_port, iam_expiration map to the fields).
 */
typedef struct iam_rds_auth iam_rds_auth;

typedef struct iam_rds_config {
    unsigned version;             /* IAM_RDS_CONFIG_VERSION                            */
    const char *hostname;         /* the endpoint connected to                         */
    int port;                     /* 1..65535                                          */
    const char *username;         /* the database user                                 */
    const char *region;           /* NULL: iam_aws_region_resolve (the host name last) */
    const char *signing_hostname; /* NULL: hostname. The RDS host name to sign for when
                                     connecting through a tunnel, a proxy or custom DNS */
    long expiration_s;            /* how long a token is reused; 0: 870, at most 900  */
    iam_aws_provider *provider;   /* NULL: the default chain (with `profile`)          */
    const char *profile;          /* for the default chain and the region             */
} iam_rds_config;

#define IAM_RDS_CONFIG_VERSION 1u
#define IAM_RDS_CONFIG_INIT { .version = IAM_RDS_CONFIG_VERSION }
#define IAM_RDS_DEFAULT_EXPIRATION_S 870L

/* Checks the arguments and resolves the region (reading the config file if it
 * has to); no network I/O. */
IAM_API iam_status iam_rds_auth_new(iam_rds_auth **out, const iam_rds_config *cfg,
                                    iam_error *err);
IAM_API iam_rds_auth *iam_rds_auth_retain(iam_rds_auth *auth);
IAM_API void iam_rds_auth_free(iam_rds_auth *auth);
/* The region tokens are signed for. */
IAM_API const char *iam_rds_auth_region(const iam_rds_auth *auth);

/* The cached token (an iam_token from iamcore.h), signing a new one when there is
 * none or it is older than `expiration`. Same rules as iam_auth_get_token. */
IAM_API iam_status iam_rds_auth_get_token(iam_rds_auth *auth, iam_token **out, iam_error *err);
/* The bindings' fast path, as iam_auth_peek. */
IAM_API uint64_t iam_rds_auth_peek(iam_rds_auth *auth, int64_t *fresh_until_ms);
/* Drop the cached token, e.g. after a failed login: the next call signs anew. */
IAM_API void iam_rds_auth_invalidate(iam_rds_auth *auth);

#ifdef __cplusplus
}
#endif
#endif /* IAMCORE_AWS_H */
