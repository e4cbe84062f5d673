/* What the token cache holds: a reference-counted, immutable object with a
 * lifetime — an IAM access token (token.h) or a set of AWS credentials. The
 * concrete types embed this as their first member. */
#ifndef IAMCORE_CACHE_ITEM_H
#define IAMCORE_CACHE_ITEM_H

#include <stdatomic.h>
#include <stdint.h>

typedef struct iam_cache_item {
    atomic_int refs;
    int64_t issued_at;   /* epoch seconds */
    int64_t expires_at;  /* epoch seconds; 0: never expires */
    uint64_t generation; /* set by the cache before the item is shared */
    /* Zero the secrets and free the whole object: called on the last release. */
    void (*destroy)(struct iam_cache_item *item);
} iam_cache_item;

static inline iam_cache_item *iam_cache_item_retain(iam_cache_item *item)
{
    if (item)
        atomic_fetch_add_explicit(&item->refs, 1, memory_order_relaxed);
    return item;
}

static inline void iam_cache_item_release(iam_cache_item *item)
{
    if (item && atomic_fetch_sub_explicit(&item->refs, 1, memory_order_acq_rel) == 1)
        item->destroy(item);
}

#endif
