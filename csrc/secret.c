/* Secret-safe memory helpers. Every buffer that may hold an API key, a client
 * secret or a token is zeroed before it goes back to the allocator. */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "secret.h"

#include <stdlib.h>
#include <string.h>

/* Not OPENSSL_cleanse: libcrypto is only loaded when something is signed
 * (crypto_lib.h), and every authenticator wipes memory. explicit_bzero is a
 * memset the compiler may not drop; elsewhere, memset through a volatile
 * pointer, which it cannot see through. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 25))
void iam_wipe(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}
#else
static void *(*const volatile wipe_memset)(void *, int, size_t) = memset;

void iam_wipe(void *p, size_t n)
{
    if (p && n)
        wipe_memset(p, 0, n);
}
#endif

char *iam_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void iam_secret_free(char *s)
{
    if (!s)
        return;
    iam_wipe(s, strlen(s));
    free(s);
}

static int buf_reserve(iam_buf *b, size_t extra)
{
    if (b->oom)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    /* Not realloc: the old block must be zeroed before it is released. */
    char *d = malloc(cap);
    if (!d) {
        b->oom = 1;
        b->cap = 0; /* keeps the inline fast path of iam_buf_append out too */
        return -1;
    }
    if (b->data) {
        memcpy(d, b->data, b->len + 1);
        iam_wipe(b->data, b->len + 1); /* only appends write: nothing lies past len */
        free(b->data);
    }
    b->data = d;
    b->cap = cap;
    return 0;
}

void iam_buf_append_grow(iam_buf *b, const void *data, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return;
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void iam_buf_append_str(iam_buf *b, const char *s)
{
    iam_buf_append(b, s, strlen(s));
}

void iam_buf_append_form(iam_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            iam_buf_append(b, p, 1);
        } else {
            char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
            iam_buf_append(b, enc, 3);
        }
    }
}

void iam_buf_append_param(iam_buf *b, const char *name, const char *value)
{
    if (b->len)
        iam_buf_append(b, "&", 1);
    iam_buf_append_str(b, name);
    iam_buf_append(b, "=", 1);
    iam_buf_append_form(b, value);
}

void iam_buf_free(iam_buf *b)
{
    if (b->data) {
        iam_wipe(b->data, b->len + 1);
        free(b->data);
    }
    b->data = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}
