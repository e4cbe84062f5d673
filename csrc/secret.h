/* Memory that may hold secrets: copies, growable buffers, zeroing frees. */
#ifndef IAMCORE_SECRET_H
#define IAMCORE_SECRET_H

#include <stddef.h>
#include <string.h>

/* Overwrite n bytes in a way the compiler cannot optimise away. */
void iam_wipe(void *p, size_t n);

/* strdup that accepts NULL (returns NULL). */
char *iam_strdup(const char *s);

/* Zero a NUL-terminated string, then free it. NULL is ignored. */
void iam_secret_free(char *s);

/* A growable byte buffer, always NUL-terminated. Growth and free zero the old
 * memory, so it may hold form bodies with API keys or responses with tokens.
 * Bytes are only ever appended, so zeroing data[0..len] covers all it held. */
typedef struct iam_buf {
    char *data;
    size_t len;
    size_t cap;
    int oom; /* set once an append failed; later appends are ignored */
} iam_buf;

/* The growing path of iam_buf_append. */
void iam_buf_append_grow(iam_buf *b, const void *data, size_t n);

/* Append n bytes. Inline: signing builds strings a few bytes at a time. */
static inline void iam_buf_append(iam_buf *b, const void *data, size_t n)
{
    if (b->len + n < b->cap) { /* room for the bytes and the NUL (cap is 0 when empty) */
        if (n)
            memcpy(b->data + b->len, data, n);
        b->len += n;
        b->data[b->len] = '\0';
        return;
    }
    iam_buf_append_grow(b, data, n);
}
void iam_buf_append_str(iam_buf *b, const char *s);
/* Append s percent-encoded for application/x-www-form-urlencoded
 * (everything but A-Z a-z 0-9 - . _ ~ as %XX). */
void iam_buf_append_form(iam_buf *b, const char *s);
/* Append "&name=value" (no leading '&' on an empty buffer), value form-encoded. */
void iam_buf_append_param(iam_buf *b, const char *name, const char *value);
void iam_buf_free(iam_buf *b);

#endif
