/* Compute-resource token files: re-read on every fetch because they rotate. */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "cr_token_file.h"
#include "error.h"
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const iam_cr_token_default_paths[] = {
    "/var/run/secrets/tokens/vault-token",
    "/var/run/secrets/tokens/sa-token",
    "/var/run/secrets/codeengine.cloud.ibm.com/compute-resource-token/token",
};
const size_t iam_cr_token_default_count =
    sizeof iam_cr_token_default_paths / sizeof iam_cr_token_default_paths[0];

#define CR_TOKEN_MAX (64 * 1024)

/* Returns 0 with *out set, or an errno-like reason in *why. */
static int read_one(const char *path, char **out, const char **why)
{
    /* O_NONBLOCK: opening a FIFO without a writer would otherwise block forever,
     * outside every timeout; the regular-file check below then refuses it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        *why = errno == ENOENT ? "not found" : strerror(errno);
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        *why = "not a regular file";
        return -1;
    }
    char *buf = malloc(CR_TOKEN_MAX + 1);
    if (!buf) {
        close(fd);
        *why = "out of memory";
        return -1;
    }
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, CR_TOKEN_MAX + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *why = strerror(errno);
            break;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > CR_TOKEN_MAX) {
            *why = "larger than 64 KiB";
            break;
        }
    }
    close(fd);
    if (*why) {
        iam_wipe(buf, CR_TOKEN_MAX + 1);
        free(buf);
        return -1;
    }
    if (len && buf[len - 1] == '\n')
        len--;
    if (len && buf[len - 1] == '\r')
        len--;
    buf[len] = '\0';
    if (len == 0) {
        free(buf);
        *why = "empty";
        return -1;
    }
    if (memchr(buf, '\0', len)) { /* the token would end there, silently shortened */
        iam_wipe(buf, len);
        free(buf);
        *why = "contains a NUL byte";
        return -1;
    }
    *out = buf;
    return 0;
}

int iam_cr_token_read(const char *const *paths, size_t count, char **out, iam_error *err)
{
    char tried[400] = "";
    size_t used = 0;
    *out = NULL;
    for (size_t i = 0; i < count; i++) {
        const char *why = NULL;
        if (read_one(paths[i], out, &why) == 0)
            return IAM_OK;
        int n = snprintf(tried + used, sizeof tried - used, "%s%s (%s)", used ? "; " : "",
                         paths[i], why);
        if (n > 0)
            used = used + (size_t)n < sizeof tried ? used + (size_t)n : sizeof tried - 1;
    }
    return iam_error_set(err, IAM_E_TOKEN_FILE, "no compute-resource token could be read: %s",
                         tried);
}
