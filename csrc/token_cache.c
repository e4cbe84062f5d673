/*
 * The token cache: at most one fetch in flight, every waiter released with its
 * result, and no caller waiting while a valid token is cached. With the default
 * policy (IBM tokens):
 *
 *   valid      now < exp - 10 s                  -> return the cached token
 *   refresh    now >= exp - 0.2 * (exp - iat)    -> also start a background
 *              refresh, and push the next refresh decision 60 s away
 *   invalid    no token, or expired              -> one caller fetches, the
 *              others wait for that fetch and share its token or its error
 *
 * A failed background refresh keeps the valid token. A failed foreground fetch
 * is not remembered: the next call tries again.
 *
 * fork(): the child keeps the cached token; a fetch in flight in the parent is
 * the parent's (its thread is not in the child), so the child's next call
 * starts its own (a refresh if the token is still valid, else a fetch).
 */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "token_cache.h"
#include "error.h"
#include "log.h"

#include <stddef.h>
#include <string.h>
#include <time.h>

int64_t iam_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fork_prepare(iam_fork_node *n)
{
    iam_token_cache *c = (iam_token_cache *)((char *)n - offsetof(iam_token_cache, fork));
    pthread_mutex_lock(&c->mu);
}

static void fork_parent(iam_fork_node *n)
{
    iam_token_cache *c = (iam_token_cache *)((char *)n - offsetof(iam_token_cache, fork));
    pthread_mutex_unlock(&c->mu);
}

static void fork_child(iam_fork_node *n)
{
    iam_token_cache *c = (iam_token_cache *)((char *)n - offsetof(iam_token_cache, fork));
    /* Waiters of the parent's threads may be registered in the condition
     * variable: both are made anew, not unlocked. */
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->done, NULL);
    if (c->fetching) {
        if (c->background)
            atomic_fetch_add(&c->orphan_refs, 1);
        c->fetching = 0;
        c->background = 0;
        c->fetches_done++;
        c->refresh_at_ms = 0; /* a refresh was due: the child's next call starts one */
    }
    if (c->after_fork_in_child)
        c->after_fork_in_child(c->owner);
}

int iam_token_cache_init(iam_token_cache *c, iam_fetch_fn fetch, void *owner,
                         void (*retain_owner)(void *), void (*release_owner)(void *))
{
    memset(c, 0, sizeof *c);
    if (pthread_mutex_init(&c->mu, NULL) != 0)
        return IAM_E_NOMEM;
    if (pthread_cond_init(&c->done, NULL) != 0) {
        pthread_mutex_destroy(&c->mu);
        return IAM_E_NOMEM;
    }
    atomic_init(&c->orphan_refs, 0);
    c->fetch = fetch;
    c->owner = owner;
    c->retain_owner = retain_owner;
    c->release_owner = release_owner;
    c->now_ms = iam_now_ms;
    c->log_fetched = "token_fetched";
    c->margin_ms = (int64_t)IAM_EXPIRY_MARGIN_S * 1000;
    c->next_generation = 1;
    c->fork.prepare = fork_prepare;
    c->fork.parent = fork_parent;
    c->fork.child = fork_child;
    iam_fork_register(&c->fork); /* on failure the cache works, without fork care */
    return IAM_OK;
}

void iam_token_cache_destroy(iam_token_cache *c)
{
    iam_fork_unregister(&c->fork);
    iam_cache_item_release(c->current);
    c->current = NULL;
    pthread_cond_destroy(&c->done);
    pthread_mutex_destroy(&c->mu);
}

void iam_token_cache_drop_orphans(iam_token_cache *c)
{
    if (atomic_load_explicit(&c->orphan_refs, memory_order_relaxed) == 0)
        return;
    for (int n = atomic_exchange(&c->orphan_refs, 0); n > 0; n--)
        c->release_owner(c->owner);
}

/* Store a fetch's result and wake the waiters. Called with mu held. */
static void finish_fetch(iam_token_cache *c, int status, iam_cache_item *item,
                         const iam_error *err)
{
    if (status == IAM_OK) {
        item->generation = c->next_generation++;
        iam_cache_item_release(c->current);
        c->current = item;
        if (item->expires_at == 0) { /* never expires: static credentials */
            c->expires_at_ms = c->refresh_at_ms = INT64_MAX;
        } else {
            int64_t exp_ms = item->expires_at * 1000;
            int64_t life_ms = (item->expires_at - item->issued_at) * 1000;
            if (life_ms < 0)
                life_ms = 0;
            int64_t margin = c->margin_ms;
            int64_t lead = c->refresh_lead_ms ? c->refresh_lead_ms
                                              : iam_default_refresh_lead_ms(life_ms);
            if (c->scale_to_lifetime) {
                margin = margin < life_ms / 2 ? margin : life_ms / 2;
                lead = lead < life_ms / 4 * 3 ? lead : life_ms / 4 * 3;
            }
            c->expires_at_ms = exp_ms - margin;
            c->refresh_at_ms = exp_ms - lead;
        }
        iam_error_clear(&c->last_error);
    } else {
        c->last_error = *err;
    }
    c->last_status = status;
    c->fetching = 0;
    c->background = 0;
    c->fetches_done++;
    pthread_cond_broadcast(&c->done);
}

static void *refresh_thread(void *arg)
{
    iam_token_cache *c = arg;
    iam_cache_item *item = NULL;
    iam_error err;
    iam_error_clear(&err);
    iam_log_fetch lf;
    iam_log_fetch_start(&lf, c, 1);
    int status = c->fetch(c->owner, &item, &err);
    iam_log_fetch_stop(&lf);
    pthread_mutex_lock(&c->mu);
    finish_fetch(c, status, item, &err);
    iam_log_fetch_result(&lf, c, status);
    pthread_mutex_unlock(&c->mu);
    iam_log_fetch_report(&lf, c, status, &err);
    c->release_owner(c->owner); /* may free c: last use */
    return NULL;
}

/* Called with mu held, a valid token cached and its refresh due. */
static void start_background_refresh(iam_token_cache *c, int64_t now)
{
    c->refresh_at_ms = now + (int64_t)IAM_REFRESH_RETRY_S * 1000;
    pthread_attr_t attr;
    pthread_t tid;
    if (pthread_attr_init(&attr) != 0)
        return;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    c->fetching = 1;
    c->background = 1;
    c->retain_owner(c->owner);
    if (pthread_create(&tid, &attr, refresh_thread, c) != 0) {
        /* No thread: try again at the next decision, or in the foreground once
         * the token expires. */
        c->fetching = 0;
        c->background = 0;
        c->release_owner(c->owner);
    }
    pthread_attr_destroy(&attr);
}

static int usable(const iam_token_cache *c, int64_t now)
{
    return c->current && now < c->expires_at_ms;
}

int iam_token_cache_get(iam_token_cache *c, iam_cache_item **out, iam_error *err)
{
    pthread_mutex_lock(&c->mu);
    for (;;) {
        int64_t now = c->now_ms();
        if (usable(c, now)) {
            if (!c->fetching && now >= c->refresh_at_ms)
                start_background_refresh(c, now);
            *out = iam_cache_item_retain(c->current);
            pthread_mutex_unlock(&c->mu);
            return IAM_OK;
        }
        if (!c->fetching)
            break;
        /* Wait for the fetch in flight, then share its outcome. */
        uint64_t seen = c->fetches_done;
        while (c->fetches_done == seen)
            pthread_cond_wait(&c->done, &c->mu);
        if (c->last_status == IAM_OK && c->current) {
            /* The token just issued, even if it arrived nearly expired: asking
             * again at once would only hammer the token service. */
            *out = iam_cache_item_retain(c->current);
            pthread_mutex_unlock(&c->mu);
            return IAM_OK;
        }
        if (c->last_status != IAM_OK && !usable(c, c->now_ms())) {
            int status = c->last_status;
            if (err)
                *err = c->last_error;
            pthread_mutex_unlock(&c->mu);
            return status;
        }
        /* A background refresh failed but the cached token is still valid, or
         * the token fetched was dropped (invalidate) before this waiter woke:
         * look again. */
    }

    /* This caller fetches; the others wait on `done`. */
    c->fetching = 1;
    pthread_mutex_unlock(&c->mu);
    iam_cache_item *item = NULL;
    iam_error local;
    iam_error_clear(&local);
    iam_log_fetch lf;
    iam_log_fetch_start(&lf, c, 0);
    int status = c->fetch(c->owner, &item, &local);
    iam_log_fetch_stop(&lf);
    pthread_mutex_lock(&c->mu);
    finish_fetch(c, status, item, &local);
    iam_log_fetch_result(&lf, c, status);
    if (status == IAM_OK)
        *out = iam_cache_item_retain(c->current);
    else if (err)
        *err = local;
    pthread_mutex_unlock(&c->mu);
    iam_log_fetch_report(&lf, c, status, &local);
    return status;
}

uint64_t iam_token_cache_peek(iam_token_cache *c, int64_t *fresh_until_ms)
{
    uint64_t gen = 0;
    pthread_mutex_lock(&c->mu);
    int64_t now = c->now_ms();
    if (usable(c, now)) {
        if (!c->fetching && now >= c->refresh_at_ms)
            start_background_refresh(c, now);
        gen = c->current->generation;
        if (fresh_until_ms) {
            /* While a refresh is in flight the caller should ask every time, so
             * it switches to the new token as soon as it lands. */
            int64_t until = c->refresh_at_ms < c->expires_at_ms ? c->refresh_at_ms
                                                                : c->expires_at_ms;
            *fresh_until_ms = c->fetching ? now : until;
        }
    }
    pthread_mutex_unlock(&c->mu);
    return gen;
}

void iam_token_cache_invalidate(iam_token_cache *c)
{
    pthread_mutex_lock(&c->mu);
    iam_cache_item_release(c->current);
    c->current = NULL;
    pthread_mutex_unlock(&c->mu);
}
