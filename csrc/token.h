/* The reference-counted token object (public accessors in iamcore.h). */
#ifndef IAMCORE_TOKEN_H
#define IAMCORE_TOKEN_H

#include "iamcore.h"

#include <stdatomic.h>

struct iam_token {
    atomic_int refs;
    int64_t issued_at;  /* epoch seconds */
    int64_t expires_at; /* epoch seconds */
    uint64_t generation; /* set by the cache before the token is shared */
    size_t len;
    char value[];       /* NUL-terminated */
};

/* A new token holding a copy of value[0..len). NULL when out of memory. */
iam_token *iam_token_new(const char *value, size_t len, int64_t issued_at, int64_t expires_at);

#endif
