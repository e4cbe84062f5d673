/* Finding the libraries anchors beside the extension module (see
 * iam_libs_use_beside in iamcore.h and csrc/libs/). */
#define _GNU_SOURCE
#include "iamcore.h"
#include "crypto_lib.h"
#include "curl_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Kept for the life of the process: the loaders hold on to the pointers. */
static char curl_anchor[4096], crypto_anchor[4096];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int looked; /* the first call decides; later ones (Node workers) reuse it */
static int found;

/* out = <dir><prefix><lib><rest> if that file exists, else "". */
static int beside(char *out, size_t cap, const char *dir, int dir_len, const char *prefix,
                  const char *lib, const char *rest)
{
    int n = snprintf(out, cap, "%.*s%s%s%s", dir_len, dir, prefix, lib, rest);
    if (n < 0 || (size_t)n >= cap || access(out, R_OK) != 0) {
        out[0] = '\0';
        return 0;
    }
    return 1;
}

static int find(const void *addr, const char *own_stem, const char *anchor_prefix)
{
    Dl_info info;
    if (!dladdr(addr, &info) || !info.dli_fname)
        return 0;
    const char *path = info.dli_fname;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t stem_len = strlen(own_stem);
    if (strncmp(base, own_stem, stem_len) != 0)
        return 0;
    int dir_len = (int)(base - path), n = 0;
    if (beside(curl_anchor, sizeof curl_anchor, path, dir_len, anchor_prefix, "curl",
               base + stem_len)) {
        iam_curl_set_soname(curl_anchor);
        n++;
    }
    if (beside(crypto_anchor, sizeof crypto_anchor, path, dir_len, anchor_prefix, "crypto",
               base + stem_len)) {
        iam_crypto_set_fallback(crypto_anchor);
        n++;
    }
    return n;
}

int iam_libs_use_beside(const void *addr, const char *own_stem, const char *anchor_prefix)
{
    pthread_mutex_lock(&mu);
    if (!looked)
        found = find(addr, own_stem, anchor_prefix);
    looked = 1;
    int n = found;
    pthread_mutex_unlock(&mu);
    return n;
}
