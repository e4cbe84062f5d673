/* What the fuzz targets share. Each target defines LLVMFuzzerTestOneInput and
 * is linked either with libFuzzer (make fuzz, clang) or with replay.c (make
 * test-fuzz-replay, gcc + ASan/UBSan), which runs the committed corpus. */
#ifndef IAMCORE_FUZZ_H
#define IAMCORE_FUZZ_H

#include "http.h"
#include "iamcore.h"
#include "secret.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken property: say which (never the input, which may hold a secret) and
 * abort, which both libFuzzer and the replay driver report as a finding. */
#define FUZZ_ASSERT(cond)                                                                 \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

/* The input as a NUL-terminated string in a block of exactly size + 1 bytes,
 * so that AddressSanitizer sees any read past it. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A response as the HTTP layer hands it over (body always NUL-terminated). */
static inline void fuzz_response(iam_http_response *resp, long status, const uint8_t *data,
                                 size_t size)
{
    memset(resp, 0, sizeof *resp);
    resp->status = status;
    iam_buf_append(&resp->body, data, size);
    if (resp->body.oom)
        abort();
}

/* Whether s occurs in any text field of err. */
static inline int fuzz_error_mentions(const iam_error *err, const char *s)
{
    const char *fields[] = {err->message,       err->error_code, err->error_message,
                            err->error_details, err->request_id, err->transaction_id};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strstr(fields[i], s))
            return 1;
    return 0;
}

/* Secrets never show in an error. A value may legitimately appear there when
 * the same text is also something else (a profile name, a word of the fixed
 * message), so the check follows a marker instead: when a secret holds
 * FUZZ_SECRET_MARK and the input holds it only there (once), the error must
 * not hold it. The seeds put the mark into secrets; the dictionaries offer it. */
#define FUZZ_SECRET_MARK "SeCrEt9"

static inline size_t fuzz_count(const uint8_t *data, size_t size, const char *s)
{
    size_t n = 0, len = strlen(s);
    for (const uint8_t *p = data; size >= len && (p = memmem(p, size - (size_t)(p - data), s, len));
         p++)
        n++;
    return n;
}

static inline void fuzz_assert_secret_kept(const iam_error *err, const uint8_t *data, size_t size,
                                           const char *secret)
{
    if (secret && strstr(secret, FUZZ_SECRET_MARK) && fuzz_count(data, size, FUZZ_SECRET_MARK) == 1)
        FUZZ_ASSERT(!fuzz_error_mentions(err, FUZZ_SECRET_MARK));
}

/* A file holding the input, by a path that opens it afresh: a memfd seen
 * through /proc/self/fd. One per process, rewritten for every input. */
static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("iamcore-fuzz", MFD_CLOEXEC);
        if (fd < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
        perror("memfd write");
        abort();
    }
    return path;
}

/* An environment variable whose value is the input (up to cap - 1 bytes, to
 * the first NUL), without the leak setenv has when called in a loop: putenv
 * of one static buffer per variable, rewritten in place. */
#define FUZZ_ENV_MAX (64 * 1024)
static inline void fuzz_putenv(char *buf, size_t cap, const char *name, const uint8_t *data,
                               size_t size)
{
    size_t nlen = strlen(name);
    if (nlen + 2 > cap)
        abort();
    int first = buf[0] == '\0';
    memcpy(buf, name, nlen);
    buf[nlen] = '=';
    size_t n = size < cap - nlen - 2 ? size : cap - nlen - 2;
    if (n)
        memcpy(buf + nlen + 1, data, n);
    buf[nlen + 1 + n] = '\0';
    if (first && putenv(buf) != 0)
        abort();
}

#endif
