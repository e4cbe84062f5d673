/* libcurl loaded on first use (see curl_lib.h). */
#define _GNU_SOURCE
#include "curl_lib.h"
#include "error.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const char *soname = IAM_LIBCURL_SONAME;
static iam_curl_api api;
static int loaded;          /* api is complete and curl_global_init succeeded */
static char why[256];       /* otherwise: what went wrong */

/* dlsym returns void *; POSIX guarantees it converts to a function pointer. */
#define BIND(field, name)                                                   \
    do {                                                                    \
        void *sym_ = dlsym(handle, name);                                   \
        if (!sym_) {                                                        \
            snprintf(why, sizeof why, "%s has no %s", soname, name);        \
            return;                                                         \
        }                                                                   \
        memcpy(&api.field, &sym_, sizeof sym_);                             \
    } while (0)

static void load(void)
{
    /* Never closed: libcurl keeps global state (OpenSSL's among it) for the
     * life of the process. RTLD_LOCAL keeps its symbols out of the global
     * scope, as a library linked at build time would not add them either. */
    void *handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *e = dlerror();
        snprintf(why, sizeof why, "%s could not be loaded: %s", soname, e ? e : "unknown error");
        return;
    }
    BIND(global_init, "curl_global_init");
    BIND(easy_init, "curl_easy_init");
    BIND(easy_setopt, "curl_easy_setopt");
    BIND(easy_perform, "curl_easy_perform");
    BIND(easy_getinfo, "curl_easy_getinfo");
    BIND(easy_cleanup, "curl_easy_cleanup");
    BIND(easy_strerror, "curl_easy_strerror");
    BIND(slist_append, "curl_slist_append");
    BIND(slist_free_all, "curl_slist_free_all");
    BIND(getdate, "curl_getdate");
    BIND(url, "curl_url");
    BIND(url_set, "curl_url_set");
    BIND(url_get, "curl_url_get");
    BIND(url_cleanup, "curl_url_cleanup");
    BIND(free, "curl_free");
    CURLcode rc = api.global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        snprintf(why, sizeof why, "libcurl could not be initialised: %s", api.easy_strerror(rc));
        return;
    }
    loaded = 1;
}

const iam_curl_api *iam_curl(iam_error *err)
{
    pthread_once(&load_once, load);
    if (loaded)
        return &api;
    iam_error_set(err, IAM_E_INTERNAL, "%s", why);
    return NULL;
}

void iam_curl_set_soname(const char *name)
{
    soname = name;
}

iam_status iam_global_init(void)
{
    return iam_curl(NULL) ? IAM_OK : IAM_E_INTERNAL;
}
