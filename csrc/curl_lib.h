/* libcurl, loaded with dlopen at its first use instead of at start-up.
 *
 * A distribution's libcurl pulls in some thirty shared libraries (TLS, Kerberos,
 * LDAP, SSH, HTTP/2, IDN, compression …), and mapping and relocating them is
 * most of what importing iamcore would otherwise cost. Signing AWS requests and
 * building authenticators needs none of it, so it is loaded by the first
 * request (or URL parse), and curl_global_init() runs right after. */
#ifndef IAMCORE_CURL_LIB_H
#define IAMCORE_CURL_LIB_H

#include "iamcore.h"

#include <curl/curl.h>

/* The soname looked up (the search path of dlopen), unless the build sets another. */
#ifndef IAM_LIBCURL_SONAME
#define IAM_LIBCURL_SONAME "libcurl.so.4"
#endif

/* The libcurl functions iamcore calls, with their own types. */
typedef struct iam_curl_api {
    __typeof__(&curl_global_init) global_init;
    __typeof__(&curl_easy_init) easy_init;
    __typeof__(&curl_easy_setopt) easy_setopt;
    __typeof__(&curl_easy_perform) easy_perform;
    __typeof__(&curl_easy_getinfo) easy_getinfo;
    __typeof__(&curl_easy_cleanup) easy_cleanup;
    __typeof__(&curl_easy_strerror) easy_strerror;
    __typeof__(&curl_slist_append) slist_append;
    __typeof__(&curl_slist_free_all) slist_free_all;
    __typeof__(&curl_getdate) getdate;
    __typeof__(&curl_url) url;
    __typeof__(&curl_url_set) url_set;
    __typeof__(&curl_url_get) url_get;
    __typeof__(&curl_url_cleanup) url_cleanup;
    __typeof__(&curl_free) free;
} iam_curl_api;

/* Load and initialise libcurl once (thread-safe); later calls return at once.
 * NULL when it cannot be loaded or initialised: err (IAM_E_INTERNAL) then says
 * why, the same every time. */
const iam_curl_api *iam_curl(iam_error *err);

/* Tests only: look up another soname. Effective only before the first iam_curl(). */
void iam_curl_set_soname(const char *soname);

#endif
