/* libcrypto found on first use (see crypto_lib.h). */
#define _GNU_SOURCE
#include "crypto_lib.h"
#include "error.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const char *soname = IAM_LIBCRYPTO_SONAME;
static int global_first = 1;
static iam_crypto_api api;
static int loaded;     /* api is complete */
static char why[256];  /* otherwise: what went wrong */

/* Every function from one place: all from the global scope, or all from the
 * library opened. dlsym returns void *; POSIX guarantees it converts to a
 * function pointer. */
static int bind_all(void *handle, const char *where)
{
#define BIND(field, name)                                                   \
    do {                                                                    \
        void *sym_ = dlsym(handle, name);                                   \
        if (!sym_) {                                                        \
            snprintf(why, sizeof why, "%s has no %s", where, name);         \
            return -1;                                                      \
        }                                                                   \
        memcpy(&api.field, &sym_, sizeof sym_);                             \
    } while (0)
    BIND(md_fetch, "EVP_MD_fetch");
    BIND(sha256, "EVP_sha256");
    BIND(ctx_new, "EVP_MD_CTX_new");
    BIND(ctx_free, "EVP_MD_CTX_free");
    BIND(ctx_reset, "EVP_MD_CTX_reset");
    BIND(ctx_copy, "EVP_MD_CTX_copy_ex");
    BIND(digest_init, "EVP_DigestInit_ex2");
    BIND(digest_update, "EVP_DigestUpdate");
    BIND(digest_final, "EVP_DigestFinal_ex");
#undef BIND
    return 0;
}

static void load(void)
{
    /* EVP_MD_fetch exists from OpenSSL 3 on: its presence says the process
     * already holds a usable libcrypto (Node's, or one linked in). */
    if (global_first && dlsym(RTLD_DEFAULT, "EVP_MD_fetch") && bind_all(RTLD_DEFAULT, "the process") == 0) {
        loaded = 1;
        return;
    }
    /* Never closed: OpenSSL keeps global state for the life of the process. */
    void *handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *e = dlerror();
        snprintf(why, sizeof why, "%s could not be loaded: %s", soname, e ? e : "unknown error");
        return;
    }
    loaded = bind_all(handle, soname) == 0;
}

const iam_crypto_api *iam_crypto(iam_error *err)
{
    pthread_once(&load_once, load);
    if (loaded)
        return &api;
    iam_error_set(err, IAM_E_INTERNAL, "%s", why);
    return NULL;
}

void iam_crypto_set_soname(const char *name)
{
    soname = name;
    global_first = 0;
}

void iam_crypto_set_fallback(const char *path)
{
    soname = path;
}
