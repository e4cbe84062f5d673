/*
 * iamcore — configuration from the environment (IBM's convention).
 *
 * What `get_authenticator_from_environment(service_name)` reads in IBM's SDK
 * cores, done once in C for the bindings. The rules are those of PROTOCOLS §5;
 * docs/environment.md lists every property and source rule with examples.
 *
 * Same conventions as iamcore.h:
 *   - Functions that can fail return an iam_status (0 = IAM_OK, negative = error)
 *     and fill an optional `iam_error *`. Out-parameters come first.
 *   - Errors name properties, files and variables, never a secret value (API key,
 *     client secret, password, bearer token, refresh token).
 *   - Every value read is copied into memory that iam_env_properties_free zeroes;
 *     the file text and the parsed VCAP_SERVICES tree are zeroed before the load
 *     returns. Free the object with iam_env_properties_free only.
 *   - Loading reads the process environment (`environ`), the current directory
 *     and files: it must not run while another thread changes the environment
 *     (setenv/putenv) or the working directory. A loaded object is immutable and
 *     may be read from any thread.
 */
#ifndef IAMCORE_ENV_H
#define IAMCORE_ENV_H

#include "iamcore.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The properties of one service, from one source. Opaque, owned by the caller. */
typedef struct iam_env_properties iam_env_properties;

/* The canonical auth type names iam_env_auth_type returns. */
#define IAM_ENV_AUTH_IAM "iam"
#define IAM_ENV_AUTH_CONTAINER "container"
#define IAM_ENV_AUTH_VPC "vpc"
#define IAM_ENV_AUTH_IAM_ASSUME "iamAssume"
#define IAM_ENV_AUTH_BEARER_TOKEN "bearerToken"
#define IAM_ENV_AUTH_BASIC "basic"
#define IAM_ENV_AUTH_NOAUTH "noAuth"

/*
 * Find and check the configuration of a service.
 *
 * SERVICE is service_name upper-cased (ASCII) with '-' and ' ' replaced by '_';
 * a property PROP is the key `SERVICE_PROP`, where PROP must be one of the names
 * listed at iam_env_property exactly (service "s1" never reads S10_APIKEY).
 * Empty values count as absent.
 *
 * Sources, in this order; the first one that has any property of the service is
 * used alone (sources are never merged):
 *   1. the credentials file: $IBM_CREDENTIALS_FILE when set (when that path does
 *      not exist the file source is empty: the environment comes next, the two
 *      default paths are not tried), else ./ibm-credentials.env if it exists,
 *      else $HOME/ibm-credentials.env if it exists. Lines `KEY=VALUE`; blank
 *      lines and lines starting with '#' are skipped; the key is trimmed, the
 *      value is everything after the first '=', verbatim but for a trailing CR.
 *      A file that exists but cannot be read (or is a directory, or is over
 *      1 MiB) is IAM_E_CONFIG naming its path.
 *   2. environment variables `SERVICE_PROP`.
 *   3. VCAP_SERVICES (JSON): the entry whose "name" is service_name (in any
 *      list), else the first entry of the list keyed by service_name. From its
 *      "credentials": apikey (else iam_apikey) → APIKEY, username → USERNAME,
 *      password → PASSWORD, url → URL. VCAP_SERVICES that is not a JSON object
 *      is IAM_E_CONFIG naming the variable (never its content); it is parsed
 *      only when the first two sources have nothing.
 *
 * Auth type: AUTH_TYPE (else AUTHTYPE), case-insensitive, must be one of iam,
 * container, vpc, iamAssume, bearerToken, basic, noAuth (IAM_E_CONFIG naming
 * AUTH_TYPE otherwise). Not given: iam when APIKEY is present, else container;
 * for VCAP_SERVICES: iam when there is an API key, else basic when there is a
 * username or password, else iam.
 *
 * Required properties (IAM_E_CONFIG naming what is missing):
 *   iam          APIKEY or REFRESH_TOKEN; REFRESH_TOKEN without APIKEY also needs
 *                CLIENT_ID and CLIENT_SECRET; CLIENT_ID and CLIENT_SECRET together
 *   container    IAM_PROFILE_NAME, IAM_PROFILE_ID or IAM_PROFILE_CRN;
 *                CLIENT_ID and CLIENT_SECRET together
 *   vpc          nothing; not both IAM_PROFILE_CRN and IAM_PROFILE_ID, no
 *                IAM_PROFILE_NAME
 *   iamAssume    APIKEY and exactly one of IAM_PROFILE_CRN, IAM_PROFILE_ID,
 *                IAM_PROFILE_NAME (which then needs IAM_ACCOUNT_ID, and
 *                IAM_ACCOUNT_ID needs it); CLIENT_ID and CLIENT_SECRET together
 *   bearerToken  BEARER_TOKEN
 *   basic        USERNAME and PASSWORD
 *   noAuth       nothing
 *
 * Values refused (IAM_E_CONFIG naming the property, never showing the value):
 * APIKEY, REFRESH_TOKEN, CLIENT_ID, CLIENT_SECRET, USERNAME or PASSWORD that
 * starts or ends with '{', '}' or '"'; AUTH_URL not starting with http:// or
 * https://, or containing white space; for vpc, a VPC_IMS_VERSION that is not a
 * date YYYY-MM-DD from 2022-03-01 on; for bearerToken, a BEARER_TOKEN with a
 * line break; for basic, a USERNAME with a ':'.
 *
 * No source with a property of the service: IAM_E_CONFIG "no configuration found
 * for service …" listing where it looked. service_name NULL, empty or longer
 * than 128 bytes: IAM_E_CONFIG. On failure *out is NULL.
 */
IAM_API iam_status iam_env_properties_load(iam_env_properties **out, const char *service_name,
                                           iam_error *err);

/*
 * The value of a property (borrowed from p), NULL when absent or p is NULL.
 * name is one of: AUTH_TYPE (AUTHTYPE is the same property), APIKEY, AUTH_URL,
 * AUTH_DISABLE_SSL, CLIENT_ID, CLIENT_SECRET, SCOPE, CR_TOKEN_FILENAME,
 * IAM_PROFILE_NAME, IAM_PROFILE_ID, IAM_PROFILE_CRN, IAM_ACCOUNT_ID,
 * VPC_IMS_VERSION, USERNAME, PASSWORD, BEARER_TOKEN, REFRESH_TOKEN, URL,
 * DISABLE_SSL. Any other name gives NULL. AUTH_TYPE is the value as written;
 * iam_env_auth_type gives the canonical type.
 */
IAM_API const char *iam_env_property(const iam_env_properties *p, const char *name);

/* A property read as a flag: 1 when its value is "true" (case-insensitive,
 * surrounding spaces ignored), else 0 — for AUTH_DISABLE_SSL and DISABLE_SSL. */
IAM_API int iam_env_property_bool(const iam_env_properties *p, const char *name);

/* The canonical auth type: "iam", "container", "vpc", "iamAssume",
 * "bearerToken", "basic" or "noAuth" (the IAM_ENV_AUTH_* strings). */
IAM_API const char *iam_env_auth_type(const iam_env_properties *p);

/* Where the properties came from: "credentials file <path>", "environment" or
 * "VCAP_SERVICES". Never contains a value. */
IAM_API const char *iam_env_source(const iam_env_properties *p);

/* Zero every value and free p. NULL is ignored. */
IAM_API void iam_env_properties_free(iam_env_properties *p);

/*
 * Fill an iam_config for the types iamcore's token authenticators implement,
 * and set *type (when type is not NULL) to IAM_AUTH_IAM, IAM_AUTH_CONTAINER,
 * IAM_AUTH_VPC or IAM_AUTH_IAM_ASSUME.
 *
 * cfg must have been initialised (IAM_CONFIG_INIT). These fields are
 * overwritten, NULL (or 0) when the property is absent or does not apply:
 *   apikey              APIKEY                 (iam, iamAssume)
 *   refresh_token       REFRESH_TOKEN          (iam, only without APIKEY: the
 *                                              API key wins when both are set)
 *   iam_profile_name    IAM_PROFILE_NAME       (container, iamAssume)
 *   iam_profile_id      IAM_PROFILE_ID         (container, vpc, iamAssume)
 *   iam_profile_crn     IAM_PROFILE_CRN        (container, vpc, iamAssume)
 *   iam_account_id      IAM_ACCOUNT_ID         (iamAssume)
 *   cr_token_filename   CR_TOKEN_FILENAME      (container)
 *   vpc_ims_version     VPC_IMS_VERSION        (vpc)
 *   url                 AUTH_URL
 *   client_id           CLIENT_ID              (all but vpc)
 *   client_secret       CLIENT_SECRET          (all but vpc)
 *   scope               SCOPE                  (all but vpc)
 *   disable_ssl_verification  AUTH_DISABLE_SSL ("true", case-insensitive → 1)
 * Every other field (timeouts, proxy, headers, …) is left as it is. The strings
 * stay owned by p: keep p alive until iam_auth_new has copied them.
 *
 * IAM_E_CONFIG for bearerToken, basic and noAuth, which need no token service:
 * read their properties with iam_env_property. On failure cfg and *type are
 * unchanged.
 */
IAM_API iam_status iam_env_fill_config(const iam_env_properties *p, iam_config *cfg,
                                       iam_auth_type *type, iam_error *err);

/*
 * iam_env_fill_config, then iam_auth_new: the authenticator p describes. base
 * (may be NULL) supplies the fields iam_env_fill_config leaves alone: timeouts,
 * proxy, ca_file, headers, user_agent_extra. A configuration error from
 * iam_auth_new starts with "service configuration from <source>: ". p may be
 * freed as soon as this returns.
 */
IAM_API iam_status iam_env_auth_new(iam_auth **out, const iam_env_properties *p,
                                    const iam_config *base, iam_error *err);

#ifdef __cplusplus
}
#endif
#endif /* IAMCORE_ENV_H */
