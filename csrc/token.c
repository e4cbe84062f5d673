/* Immutable access tokens shared between the cache and its callers. */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "token.h"
#include "secret.h"

#include <stdlib.h>
#include <string.h>

static void token_destroy(iam_cache_item *item)
{
    iam_token *t = (iam_token *)item;
    iam_wipe(t->value, t->len);
    free(t);
}

iam_token *iam_token_new(const char *value, size_t len, int64_t issued_at, int64_t expires_at)
{
    iam_token *t = malloc(sizeof *t + len + 1);
    if (!t)
        return NULL;
    atomic_init(&t->base.refs, 1);
    t->base.issued_at = issued_at;
    t->base.expires_at = expires_at;
    t->base.generation = 0;
    t->base.destroy = token_destroy;
    t->len = len;
    memcpy(t->value, value, len);
    t->value[len] = '\0';
    return t;
}

const char *iam_token_value(const iam_token *t) { return t->value; }
size_t iam_token_length(const iam_token *t) { return t->len; }
int64_t iam_token_expires_at(const iam_token *t) { return t->base.expires_at; }
int64_t iam_token_issued_at(const iam_token *t) { return t->base.issued_at; }
uint64_t iam_token_generation(const iam_token *t) { return t->base.generation; }

iam_token *iam_token_retain(iam_token *t)
{
    return t ? (iam_cache_item_retain(&t->base), t) : NULL;
}

void iam_token_release(iam_token *t)
{
    if (t)
        iam_cache_item_release(&t->base);
}
