/* Immutable access tokens shared between the cache and its callers. */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "token.h"
#include "secret.h"

#include <stdlib.h>
#include <string.h>

iam_token *iam_token_new(const char *value, size_t len, int64_t issued_at, int64_t expires_at)
{
    iam_token *t = malloc(sizeof *t + len + 1);
    if (!t)
        return NULL;
    atomic_init(&t->refs, 1);
    t->issued_at = issued_at;
    t->expires_at = expires_at;
    t->generation = 0;
    t->len = len;
    memcpy(t->value, value, len);
    t->value[len] = '\0';
    return t;
}

const char *iam_token_value(const iam_token *t) { return t->value; }
size_t iam_token_length(const iam_token *t) { return t->len; }
int64_t iam_token_expires_at(const iam_token *t) { return t->expires_at; }
int64_t iam_token_issued_at(const iam_token *t) { return t->issued_at; }
uint64_t iam_token_generation(const iam_token *t) { return t->generation; }

iam_token *iam_token_retain(iam_token *t)
{
    if (t)
        atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    return t;
}

void iam_token_release(iam_token *t)
{
    if (!t)
        return;
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1) {
        iam_wipe(t->value, t->len);
        free(t);
    }
}
