/* Finding the libraries anchor beside the extension module (see
 * iam_libs_use_beside in iamcore.h). */
#define _GNU_SOURCE
#include "iamcore.h"
#include "crypto_lib.h"
#include "curl_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Kept for the life of the process: the loaders hold on to the pointer. */
static char anchor_path[4096];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int looked; /* the first call decides; later ones (Node workers) reuse it */

static void find(const void *addr, const char *own_stem, const char *anchor_stem)
{
    Dl_info info;
    if (!dladdr(addr, &info) || !info.dli_fname)
        return;
    const char *slash = strrchr(info.dli_fname, '/');
    const char *base = slash ? slash + 1 : info.dli_fname;
    size_t dir_len = (size_t)(base - info.dli_fname);
    size_t stem_len = strlen(own_stem);
    if (strncmp(base, own_stem, stem_len) != 0)
        return;
    int n = snprintf(anchor_path, sizeof anchor_path, "%.*s%s%s", (int)dir_len,
                     info.dli_fname, anchor_stem, base + stem_len);
    if (n < 0 || (size_t)n >= sizeof anchor_path || access(anchor_path, R_OK) != 0) {
        anchor_path[0] = '\0';
        return;
    }
    iam_curl_set_soname(anchor_path);
    iam_crypto_set_fallback(anchor_path);
}

int iam_libs_use_beside(const void *addr, const char *own_stem, const char *anchor_stem)
{
    pthread_mutex_lock(&mu);
    if (!looked)
        find(addr, own_stem, anchor_stem);
    looked = 1;
    int found = anchor_path[0] != '\0';
    pthread_mutex_unlock(&mu);
    return found;
}
