/*
 * The shared token cache (shared_cache.h, docs/shared-cache.md).
 *
 * Files are trusted only when they cannot have been planted: the directory is
 * checked once (ours, not a link, not group/other-writable), every file is
 * opened with O_NOFOLLOW and used only if it is a regular file of ours with
 * mode 0600. Anything else is ignored, never an error: the process then
 * fetches its own token as it would without the cache.
 *
 * The lock is flock() on a separate lock file: it belongs to the open file
 * description, so two authenticators of one process exclude each other too,
 * and it disappears with a process that dies holding it.
 */
/* POSIX functions (flock, nanosleep, O_NOFOLLOW, …) under -std=c11. */
#define _GNU_SOURCE
#include "shared_cache.h"
#include "error.h"
#include "log.h"
#include "secret.h"
#include "token_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- directory */

int iam_shared_dir_check(const char *dir, iam_error *err)
{
    struct stat st;
    if (lstat(dir, &st) != 0) {
        if (errno != ENOENT)
            return iam_error_set(err, IAM_E_CONFIG, "shared cache directory %s cannot be examined: %s",
                                 dir, strerror(errno));
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return iam_error_set(err, IAM_E_CONFIG, "shared cache directory %s cannot be created: %s",
                                 dir, errno == ENOENT ? "its parent directory does not exist"
                                                      : strerror(errno));
        if (lstat(dir, &st) != 0)
            return iam_error_set(err, IAM_E_CONFIG, "shared cache directory %s cannot be examined: %s",
                                 dir, strerror(errno));
        /* Made by us just now: 0700 whatever the umask. */
        if (S_ISDIR(st.st_mode) && st.st_uid == geteuid() && (st.st_mode & 07777) != 0700 &&
            chmod(dir, 0700) == 0)
            st.st_mode = (st.st_mode & ~07777u) | 0700;
    }
    if (S_ISLNK(st.st_mode))
        return iam_error_set(err, IAM_E_CONFIG, "shared cache directory %s is a symbolic link", dir);
    if (!S_ISDIR(st.st_mode))
        return iam_error_set(err, IAM_E_CONFIG, "shared cache directory %s is not a directory", dir);
    if (st.st_uid != geteuid())
        return iam_error_set(err, IAM_E_CONFIG,
                             "shared cache directory %s is not owned by the current user", dir);
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return iam_error_set(err, IAM_E_CONFIG,
                             "shared cache directory %s is writable by group or others", dir);
    if (access(dir, R_OK | W_OK | X_OK) != 0)
        return iam_error_set(err, IAM_E_CONFIG,
                             "shared cache directory %s is not readable and writable", dir);
    return IAM_OK;
}

const char *iam_shared_dir_choose(const char *option)
{
    if (option)
        return *option ? option : NULL;
    const char *env = getenv("IAMCORE_SHARED_CACHE");
    return env && *env ? env : NULL;
}

static char *join(const char *dir, const char *hex, const char *suffix)
{
    size_t n = strlen(dir) + strlen(hex) + strlen(suffix) + 16;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/iamcore-%s%s", dir, hex, suffix);
    return p;
}

int iam_shared_cache_new(iam_shared_cache **out, const char *dir, const unsigned char digest[32],
                         long lock_timeout_ms, iam_error *err)
{
    *out = NULL;
    int rc = iam_shared_dir_check(dir, err);
    if (rc != IAM_OK)
        return rc;
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    /* A relative path is taken from the current directory now: a later
     * chdir() must not move the cache. */
    char cwd[4096];
    char *abs = NULL;
    if (dir[0] != '/' && getcwd(cwd, sizeof cwd)) {
        size_t n = strlen(cwd) + strlen(dir) + 2;
        if ((abs = malloc(n)))
            snprintf(abs, n, "%s/%s", cwd, dir);
    }
    iam_shared_cache *sc = calloc(1, sizeof *sc);
    if (sc) {
        sc->dir = abs ? abs : iam_strdup(dir);
        abs = NULL;
        if (sc->dir) {
            sc->entry_path = join(sc->dir, hex, ".token");
            sc->lock_path = join(sc->dir, hex, ".lock");
        }
        sc->lock_timeout_ms = lock_timeout_ms;
    }
    free(abs);
    if (!sc || !sc->dir || !sc->entry_path || !sc->lock_path) {
        iam_shared_cache_free(sc);
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    }
    *out = sc;
    return IAM_OK;
}

void iam_shared_cache_free(iam_shared_cache *sc)
{
    if (!sc)
        return;
    free(sc->dir);
    free(sc->entry_path);
    free(sc->lock_path);
    free(sc);
}

/* ---------------------------------------------------------------- format */

int64_t iam_shared_refresh_at_ms(const iam_token *t)
{
    int64_t life_ms = (t->base.expires_at - t->base.issued_at) * 1000;
    if (life_ms < 0)
        life_ms = 0;
    return t->base.expires_at * 1000 - iam_default_refresh_lead_ms(life_ms);
}

int iam_shared_entry_encode(iam_buf *b, const iam_token *t, int64_t refresh_at_ms)
{
    char head[192];
    int n = snprintf(head, sizeof head, IAM_SHARED_MAGIC "\nissued_at %lld\nexpires_at %lld\n"
                                        "refresh_at_ms %lld\nlength %zu\n",
                     (long long)t->base.issued_at, (long long)t->base.expires_at,
                     (long long)refresh_at_ms, t->len);
    iam_buf_append(b, head, (size_t)n);
    iam_buf_append(b, t->value, t->len);
    iam_buf_append(b, "\n", 1);
    return b->oom ? -1 : 0;
}

#define IAM_SHARED_MAX_TIME 100000000000LL /* epoch seconds */

/* "<name> <decimal>\n" at *p; advances *p. */
static int field(const char **p, const char *end, const char *name, long long *value)
{
    size_t nl = strlen(name);
    const char *s = *p;
    if ((size_t)(end - s) < nl + 3 || memcmp(s, name, nl) != 0 || s[nl] != ' ')
        return -1;
    s += nl + 1;
    int neg = s < end && *s == '-';
    if (neg)
        s++;
    long long v = 0;
    const char *digits = s;
    while (s < end && *s >= '0' && *s <= '9' && s - digits < 18)
        v = v * 10 + (*s++ - '0');
    if (s == digits || s >= end || *s != '\n')
        return -1;
    *value = neg ? -v : v;
    *p = s + 1;
    return 0;
}

iam_token *iam_shared_entry_decode(const char *buf, size_t n, int64_t *refresh_at_ms)
{
    const char *p = buf, *end = buf + n;
    size_t ml = strlen(IAM_SHARED_MAGIC);
    if (n < ml + 1 || memcmp(p, IAM_SHARED_MAGIC "\n", ml + 1) != 0)
        return NULL;
    p += ml + 1;
    long long iat, exp, refresh, len;
    if (field(&p, end, "issued_at", &iat) || field(&p, end, "expires_at", &exp) ||
        field(&p, end, "refresh_at_ms", &refresh) || field(&p, end, "length", &len))
        return NULL;
    /* Times up to the year 5138: no product below overflows. */
    if (iat < 0 || exp <= 0 || exp > IAM_SHARED_MAX_TIME || iat > exp || refresh < 0 ||
        refresh > exp * 1000 || len <= 0 ||
        (size_t)(end - p) != (size_t)len + 1 || p[len] != '\n')
        return NULL;
    for (long long i = 0; i < len; i++)
        if ((unsigned char)p[i] <= ' ' || (unsigned char)p[i] >= 127)
            return NULL;
    *refresh_at_ms = refresh;
    return iam_token_new(p, (size_t)len, iat, exp);
}

/* ---------------------------------------------------------------- files */

static void log_unusable(const iam_shared_cache *sc, const char *what, int errnum)
{
    if (!iam_log_on())
        return;
    char reason[160];
    snprintf(reason, sizeof reason, "%s: %s", what, strerror(errnum));
    iam_log_field f[3];
    size_t n = 0;
    if (sc->log_auth_type)
        f[n++] = IAM_LOG_STR("auth_type", sc->log_auth_type);
    f[n++] = IAM_LOG_STR("path", sc->dir);
    f[n++] = IAM_LOG_STR("reason", reason);
    iam_log_emit(IAM_LOG_WARNING, "shared_cache_unusable", f, n);
}

static void log_adopted(const iam_shared_cache *sc, const iam_token *t)
{
    if (!iam_log_on())
        return;
    iam_log_field f[2];
    size_t n = 0;
    if (sc->log_auth_type)
        f[n++] = IAM_LOG_STR("auth_type", sc->log_auth_type);
    f[n++] = IAM_LOG_INT("expires_at", t->base.expires_at);
    iam_log_emit(IAM_LOG_DEBUG, "shared_token_adopted", f, n);
}

/* A file we may trust: regular, ours, exactly 0600. */
static int trusted(const struct stat *st)
{
    return S_ISREG(st->st_mode) && st->st_uid == geteuid() && (st->st_mode & 07777) == 0600;
}

iam_token *iam_shared_cache_read(const iam_shared_cache *sc, int64_t now_ms)
{
    /* O_NONBLOCK: a FIFO planted under the name must not hang the open. */
    int fd = open(sc->entry_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    struct stat st;
    iam_token *t = NULL;
    if (fstat(fd, &st) != 0 || !trusted(&st) || st.st_size <= 0 || st.st_size > IAM_SHARED_MAX_ENTRY) {
        close(fd);
        return NULL;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    if (buf) {
        /* Read one byte more than the size: a file that grew is not ours to judge. */
        for (;;) {
            ssize_t r = read(fd, buf + got, (size_t)st.st_size + 1 - got);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            got += (size_t)r;
            if (got == (size_t)st.st_size + 1)
                break;
        }
        int64_t refresh_at_ms = 0;
        if (got == (size_t)st.st_size)
            t = iam_shared_entry_decode(buf, got, &refresh_at_ms);
        if (t && !(now_ms < refresh_at_ms &&
                   now_ms < t->base.expires_at * 1000 - (int64_t)IAM_EXPIRY_MARGIN_S * 1000)) {
            iam_token_release(t);
            t = NULL;
        }
        iam_wipe(buf, (size_t)st.st_size + 1);
        free(buf);
    }
    close(fd);
    return t;
}

static atomic_uint tmp_counter;

int iam_shared_cache_write(const iam_shared_cache *sc, const iam_token *t)
{
    /* A token that arrives already due (clock skew) is still shared for
     * IAM_REFRESH_RETRY_S, as the token cache waits that long between refresh
     * decisions, instead of being fetched again by every process. */
    int64_t refresh_at_ms = iam_shared_refresh_at_ms(t);
    int64_t now_ms = iam_now_ms(), retry_ms = now_ms + (int64_t)IAM_REFRESH_RETRY_S * 1000;
    if (refresh_at_ms <= now_ms)
        refresh_at_ms = retry_ms < t->base.expires_at * 1000 ? retry_ms : t->base.expires_at * 1000;
    iam_buf b = {0};
    if (iam_shared_entry_encode(&b, t, refresh_at_ms) != 0) {
        iam_buf_free(&b);
        errno = ENOMEM;
        return -1;
    }
    size_t plen = strlen(sc->entry_path) + 64;
    char *tmp = malloc(plen);
    int fd = -1;
    for (int tries = 0; tmp && fd < 0 && tries < 8; tries++) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        snprintf(tmp, plen, "%s.%ld.%u.%lx.tmp", sc->entry_path, (long)getpid(),
                 atomic_fetch_add(&tmp_counter, 1), (unsigned long)ts.tv_nsec);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    int rc = -1, saved = ENOMEM;
    if (fd >= 0) {
        /* 0600 whatever the umask (it can only have removed bits). */
        rc = fchmod(fd, 0600);
        size_t off = 0;
        while (rc == 0 && off < b.len) {
            ssize_t w = write(fd, b.data + off, b.len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                rc = -1;
                if (w == 0)
                    errno = EIO;
            } else {
                off += (size_t)w;
            }
        }
        if (rc == 0)
            rc = close(fd);
        else
            (void)close(fd);
        if (rc == 0)
            rc = rename(tmp, sc->entry_path);
        saved = errno;
        if (rc != 0)
            unlink(tmp);
    } else if (tmp) {
        saved = errno;
    }
    free(tmp);
    iam_buf_free(&b);
    errno = saved;
    return rc;
}

int iam_shared_cache_lock(const iam_shared_cache *sc)
{
    int fd = open(sc->lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        close(fd);
        errno = EPERM;
        return -1;
    }
    if ((st.st_mode & 07777) != 0600)
        (void)fchmod(fd, 0600);
    /* flock() has no timeout: poll, from 2 ms up to 50 ms between tries. */
    int64_t deadline = iam_log_clock_ms() + sc->lock_timeout_ms;
    long delay_ms = 2;
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return fd;
        if (errno != EWOULDBLOCK && errno != EINTR) {
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        int64_t left = deadline - iam_log_clock_ms();
        if (left <= 0) {
            close(fd);
            errno = ETIMEDOUT;
            return -1;
        }
        long d = delay_ms < left ? delay_ms : (long)left;
        struct timespec ts = {d / 1000, (d % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        if (delay_ms < 50)
            delay_ms *= 2;
    }
}

void iam_shared_cache_unlock(int fd)
{
    if (fd < 0)
        return;
    /* Explicitly: a child forked meanwhile shares the description and would
     * otherwise keep the lock until it closes its copy. */
    flock(fd, LOCK_UN);
    close(fd);
}

/* ---------------------------------------------------------------- protocol */

int iam_shared_cache_fetch(const iam_shared_cache *sc, int force, iam_shared_fetch_fn fetch,
                           void *owner, iam_token **out, iam_error *err)
{
    *out = NULL;
    iam_token *t = force ? NULL : iam_shared_cache_read(sc, iam_now_ms());
    if (t) {
        log_adopted(sc, t);
        *out = t;
        return IAM_OK;
    }
    int fd = iam_shared_cache_lock(sc);
    if (fd < 0) {
        /* Unusable directory, or the holder takes longer than our timeout. */
        log_unusable(sc, errno == ETIMEDOUT ? "lock wait" : "lock file", errno);
        return fetch(owner, out, err);
    }
    /* Another process may have fetched while we waited. */
    t = force ? NULL : iam_shared_cache_read(sc, iam_now_ms());
    if (t) {
        iam_shared_cache_unlock(fd);
        log_adopted(sc, t);
        *out = t;
        return IAM_OK;
    }
    int rc = fetch(owner, &t, err);
    if (rc == IAM_OK && t && iam_shared_cache_write(sc, t) != 0)
        log_unusable(sc, "write", errno);
    iam_shared_cache_unlock(fd);
    *out = t;
    return rc;
}
