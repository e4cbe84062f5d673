/* The reference-counted token object (public accessors in iamcore.h). */
#ifndef IAMCORE_TOKEN_H
#define IAMCORE_TOKEN_H

#include "cache_item.h"
#include "iamcore.h"

struct iam_token {
    iam_cache_item base; /* first: the cache holds tokens as items */
    size_t len;
    char value[];        /* NUL-terminated */
};

/* A new token holding a copy of value[0..len). NULL when out of memory. */
iam_token *iam_token_new(const char *value, size_t len, int64_t issued_at, int64_t expires_at);

#endif
