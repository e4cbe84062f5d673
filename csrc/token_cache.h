/* A single-flight cache of one token (or set of credentials) with background
 * refresh (PROTOCOLS §4). */
#ifndef IAMCORE_TOKEN_CACHE_H
#define IAMCORE_TOKEN_CACHE_H

#include "iamcore.h"
#include "iamcore_log.h"
#include "cache_item.h"
#include "fork.h"

#include <pthread.h>
#include <stdatomic.h>

/* Fetch a fresh item (blocking). Called with no lock held, by one thread at a
 * time per cache. */
typedef int (*iam_fetch_fn)(void *owner, iam_cache_item **out, iam_error *err);

typedef struct iam_token_cache {
    pthread_mutex_t mu;
    pthread_cond_t done;      /* broadcast when a fetch finishes */
    iam_cache_item *current;  /* last item fetched, NULL if none */
    int64_t expires_at_ms;    /* current is unusable from here (exp - margin) */
    int64_t refresh_at_ms;    /* a refresh is due from here */
    int fetching;             /* a fetch is in flight */
    int background;           /* ... on a refresh thread (which holds an owner reference) */
    uint64_t fetches_done;    /* waiters wait for this to change */
    uint64_t next_generation;
    int last_status;          /* result of the last finished fetch */
    iam_error last_error;

    /* Policy: an item is unusable margin_ms before it expires; its refresh is
     * due refresh_lead_ms before it expires, or at 80 % of its lifetime when 0. */
    int64_t margin_ms;
    int64_t refresh_lead_ms;
    /* Non-zero: shrink both for short-lived items (margin at most half the
     * lifetime, lead at most three quarters), so they are still reused. */
    int scale_to_lifetime;

    iam_fetch_fn fetch;
    void *owner;                       /* passed to fetch, retain and release */
    void (*retain_owner)(void *owner); /* keeps owner alive for a background refresh */
    void (*release_owner)(void *owner);
    int64_t (*now_ms)(void);           /* wall clock; replaceable in tests */

    /* fork() (fork.h): in a child, a fetch that was in flight is forgotten (its
     * thread is not there) and the next call starts one of its own. The owner
     * reference a refresh thread held is counted here; the owner's free
     * releases it with iam_token_cache_drop_orphans. after_fork_in_child, if
     * set, puts the owner's own locks right (set it before sharing the owner). */
    iam_fork_node fork;
    atomic_int orphan_refs;
    void (*after_fork_in_child)(void *owner);

    /* Events (log.h): the name of the one a successful fetch raises (default
     * "token_fetched"), the auth_type field of all of them (NULL: none), and
     * optionally more fields describing the owner or a fetched item (NULL after
     * a failure); the strings must outlive the owner or the item. */
    const char *log_fetched;
    const char *log_auth_type;
    size_t (*log_fields)(void *owner, const iam_cache_item *item, iam_log_field *out, size_t cap);
} iam_token_cache;

int iam_token_cache_init(iam_token_cache *c, iam_fetch_fn fetch, void *owner,
                         void (*retain_owner)(void *), void (*release_owner)(void *));
/* Only when no thread uses the cache any more (no fetch in flight). */
void iam_token_cache_destroy(iam_token_cache *c);

/* In a child process: release the owner references of refresh threads that
 * were running when the process was forked. The caller holds a reference of
 * its own (call it first thing in the owner's free). */
void iam_token_cache_drop_orphans(iam_token_cache *c);

int iam_token_cache_get(iam_token_cache *c, iam_cache_item **out, iam_error *err);
uint64_t iam_token_cache_peek(iam_token_cache *c, int64_t *fresh_until_ms);
void iam_token_cache_invalidate(iam_token_cache *c);

int64_t iam_now_ms(void);

/* The default refresh lead (refresh_lead_ms 0): a fifth of the lifetime, so a
 * refresh is due at 80 % of it. Also the shared cache's rule (shared_cache.c). */
static inline int64_t iam_default_refresh_lead_ms(int64_t life_ms)
{
    return life_ms / 5;
}

#endif
