/* The CA bundle used when the caller names none (no ca_file).
 *
 * libcurl trusts the bundle its build names (Debian's: /etc/ssl/certs/
 * ca-certificates.crt). A wheel or npm prebuilt carries Debian's libcurl to
 * systems that keep their bundle elsewhere (the RHEL family, SUSE, Alpine),
 * where that file does not exist and every HTTPS request would fail. So: the
 * file SSL_CERT_FILE names, if set (as OpenSSL, Python and the curl tool do);
 * else libcurl's own default if it exists; else the first of the usual places
 * that exists; else libcurl's default all the same. */
#ifndef IAMCORE_CA_BUNDLE_H
#define IAMCORE_CA_BUNDLE_H

/* The file to set as CURLOPT_CAINFO, or NULL to keep libcurl's default.
 * env: SSL_CERT_FILE's value (NULL or "" when unset); builtin: libcurl's
 * default (NULL if none); candidates: NULL-terminated, in order of preference. */
const char *iam_ca_pick(const char *env, const char *builtin, const char *const *candidates);

/* The usual places, NULL-terminated. */
extern const char *const iam_ca_bundles[];

#endif
