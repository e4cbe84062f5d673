/* ibm-credentials.env: a flat KEY=VALUE file (PROTOCOLS §5). The rules are in
 * credentials_file.h and docs/environment.md. */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "credentials_file.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* strerror is not thread-safe; the GNU strerror_r returns the text to use. */
static const char *errno_text(int e, char *buf, size_t cap)
{
#if defined(__GLIBC__)
    return strerror_r(e, buf, cap);
#else
    if (strerror_r(e, buf, cap) != 0)
        snprintf(buf, cap, "error %d", e);
    return buf;
#endif
}

int iam_credentials_file_read(const char *path, iam_buf *out, int *exists, iam_error *err)
{
    char why[128];
    memset(out, 0, sizeof *out);
    *exists = 0;
    /* O_NONBLOCK: opening a FIFO must not block (it is then read as empty). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR)
            return IAM_OK;
        *exists = 1;
        return iam_error_set(err, IAM_E_CONFIG, "cannot read the credentials file %s: %s", path,
                             errno_text(e, why, sizeof why));
    }
    *exists = 1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return iam_error_set(err, IAM_E_CONFIG, "cannot read the credentials file %s: %s", path,
                             errno_text(e, why, sizeof why));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return iam_error_set(err, IAM_E_CONFIG, "the credentials file %s is a directory", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return IAM_OK; /* /dev/null and the like: no properties */
    }
    if (st.st_size > IAM_CREDENTIALS_FILE_MAX_BYTES) {
        close(fd);
        return iam_error_set(err, IAM_E_CONFIG, "the credentials file %s is larger than 1 MiB",
                             path);
    }
    char chunk[4096];
    int rc = IAM_OK;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = iam_error_set(err, IAM_E_CONFIG, "cannot read the credentials file %s: %s",
                               path, errno_text(errno, why, sizeof why));
            break;
        }
        if (n == 0)
            break;
        iam_buf_append(out, chunk, (size_t)n);
        if (out->len > IAM_CREDENTIALS_FILE_MAX_BYTES) { /* it grew since fstat */
            rc = iam_error_set(err, IAM_E_CONFIG, "the credentials file %s is larger than 1 MiB",
                               path);
            break;
        }
    }
    iam_wipe(chunk, sizeof chunk);
    close(fd);
    if (rc == IAM_OK && out->oom)
        rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
    if (rc != IAM_OK)
        iam_buf_free(out);
    return rc;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

int iam_credentials_parse(char *text, size_t len, iam_credentials_line_fn fn, void *ctx)
{
    char *p = text, *end = text + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *eol = nl ? nl : end;
        char *next = nl ? nl + 1 : end;
        char *line = p;
        p = next;
        if (memchr(line, '\0', (size_t)(eol - line)))
            continue;
        if (eol > line && eol[-1] == '\r')
            eol--;
        *eol = '\0';
        while (is_blank(*line))
            line++;
        if (*line == '\0' || *line == '#')
            continue;
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        char *key_end = eq;
        while (key_end > line && is_blank(key_end[-1]))
            key_end--;
        if (key_end == line)
            continue;
        *key_end = '\0';
        int rc = fn(line, eq + 1, ctx);
        if (rc)
            return rc;
    }
    return 0;
}
