#define _GNU_SOURCE
/* The cache's rules with a scripted fetch and a controlled clock. */
#include "check.h"
#include "error.h"
#include "token.h"
#include "token_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static atomic_llong fake_now; /* ms */
static int64_t fake_clock(void) { return atomic_load(&fake_now); }

typedef struct script {
    atomic_int calls;
    int fail;          /* next fetches fail with IAM_E_AUTH */
    int delay_ms;      /* each fetch sleeps this long */
    int64_t lifetime;  /* s */
    int64_t iat_shift; /* s, added to the issue time */
} script;

/* Background refreshes hold the owner; a test may only reuse its cache once
 * every one has let go. */
static atomic_int owners;
static void retain_owner(void *p) { (void)p; atomic_fetch_add(&owners, 1); }
static void release_owner(void *p) { (void)p; atomic_fetch_sub(&owners, 1); }

static int scripted_fetch(void *p, iam_cache_item **out, iam_error *err)
{
    script *s = p;
    int n = atomic_fetch_add(&s->calls, 1) + 1;
    if (s->delay_ms)
        usleep((useconds_t)s->delay_ms * 1000);
    if (s->fail)
        return iam_error_set(err, IAM_E_AUTH, "scripted failure %d", n);
    char value[32];
    int len = snprintf(value, sizeof value, "token-%d", n);
    int64_t now_s = atomic_load(&fake_now) / 1000 + s->iat_shift;
    iam_token *t = iam_token_new(value, (size_t)len, now_s, now_s + s->lifetime);
    *out = &t->base;
    return IAM_OK;
}

static void setup(iam_token_cache *c, script *s)
{
    atomic_store(&fake_now, 1700000000000LL);
    iam_token_cache_init(c, scripted_fetch, s, retain_owner, release_owner);
    c->now_ms = fake_clock;
}

static const char *get(iam_token_cache *c, int *status)
{
    static char copy[64];
    iam_cache_item *t = NULL;
    iam_error err;
    iam_error_clear(&err);
    *status = iam_token_cache_get(c, &t, &err);
    if (*status != IAM_OK)
        return NULL;
    snprintf(copy, sizeof copy, "%s", iam_token_value((iam_token *)t));
    iam_cache_item_release(t);
    return copy;
}

/* Wait (real time) until `calls` fetches have started and none is running. */
static void wait_calls(iam_token_cache *c, script *s, int calls)
{
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&c->mu);
        int busy = c->fetching;
        pthread_mutex_unlock(&c->mu);
        if (!busy && atomic_load(&s->calls) >= calls && atomic_load(&owners) == 0)
            return;
        usleep(2000);
    }
}

static void caches_a_valid_token(void)
{
    iam_token_cache c;
    script s = {.lifetime = 3600};
    setup(&c, &s);
    int st;
    CHECK_EQ_STR(get(&c, &st), "token-1");
    atomic_fetch_add(&fake_now, 1000 * 1000);
    CHECK_EQ_STR(get(&c, &st), "token-1");
    CHECK_EQ_INT(atomic_load(&s.calls), 1);
    iam_token_cache_destroy(&c);
}

static void refreshes_in_background_at_80_percent(void)
{
    iam_token_cache c;
    script s = {.lifetime = 1000};
    setup(&c, &s);
    int st;
    CHECK_EQ_STR(get(&c, &st), "token-1");
    atomic_fetch_add(&fake_now, 799 * 1000);
    CHECK_EQ_STR(get(&c, &st), "token-1");
    CHECK_EQ_INT(atomic_load(&s.calls), 1);
    s.delay_ms = 50;
    atomic_fetch_add(&fake_now, 2 * 1000); /* 80.1 % */
    CHECK_EQ_STR(get(&c, &st), "token-1"); /* served at once, refresh starts */
    CHECK_EQ_STR(get(&c, &st), "token-1"); /* no second refresh meanwhile */
    wait_calls(&c, &s, 2);
    CHECK_EQ_INT(atomic_load(&s.calls), 2);
    CHECK_EQ_STR(get(&c, &st), "token-2");
    iam_token_cache_destroy(&c);
}

static void failed_refresh_keeps_the_valid_token(void)
{
    iam_token_cache c;
    script s = {.lifetime = 1000};
    setup(&c, &s);
    int st;
    get(&c, &st);
    s.fail = 1;
    atomic_fetch_add(&fake_now, 900 * 1000);
    CHECK_EQ_STR(get(&c, &st), "token-1");
    wait_calls(&c, &s, 2);
    CHECK_EQ_STR(get(&c, &st), "token-1");
    CHECK_EQ_INT(st, IAM_OK);
    /* The next decision is 60 s later, not on every call. */
    atomic_fetch_add(&fake_now, 30 * 1000);
    get(&c, &st);
    usleep(20000);
    CHECK_EQ_INT(atomic_load(&s.calls), 2);
    atomic_fetch_add(&fake_now, 31 * 1000);
    get(&c, &st);
    wait_calls(&c, &s, 3);
    CHECK_EQ_INT(atomic_load(&s.calls), 3);
    iam_token_cache_destroy(&c);
}

static void expired_token_is_fetched_anew(void)
{
    iam_token_cache c;
    script s = {.lifetime = 30};
    setup(&c, &s);
    int st;
    CHECK_EQ_STR(get(&c, &st), "token-1");
    atomic_fetch_add(&fake_now, 19 * 1000); /* 11 s left: still valid */
    CHECK_EQ_STR(get(&c, &st), "token-1");
    atomic_fetch_add(&fake_now, 2 * 1000);  /* 9 s left: expired (10 s margin) */
    CHECK_EQ_STR(get(&c, &st), "token-2");
    iam_token_cache_destroy(&c);
}

static void failed_fetch_is_not_cached(void)
{
    iam_token_cache c;
    script s = {.lifetime = 3600, .fail = 1};
    setup(&c, &s);
    int st;
    CHECK(get(&c, &st) == NULL);
    CHECK_EQ_INT(st, IAM_E_AUTH);
    s.fail = 0;
    CHECK_EQ_STR(get(&c, &st), "token-2");
    iam_token_cache_destroy(&c);
}

static void peek_reports_generation_and_freshness(void)
{
    iam_token_cache c;
    script s = {.lifetime = 1000};
    setup(&c, &s);
    int64_t until = 0;
    CHECK_EQ_INT(iam_token_cache_peek(&c, &until), 0);
    int st;
    get(&c, &st);
    int64_t t0 = atomic_load(&fake_now);
    uint64_t g = iam_token_cache_peek(&c, &until);
    CHECK(g != 0);
    CHECK_EQ_INT(until, t0 + 800 * 1000);
    s.delay_ms = 50;
    atomic_fetch_add(&fake_now, 801 * 1000);
    CHECK_EQ_INT(iam_token_cache_peek(&c, &until), g); /* starts the refresh */
    CHECK_EQ_INT(until, atomic_load(&fake_now));       /* ask again while it runs */
    wait_calls(&c, &s, 2);
    CHECK(iam_token_cache_peek(&c, &until) != g);
    iam_token_cache_invalidate(&c);
    CHECK_EQ_INT(iam_token_cache_peek(&c, &until), 0);
    iam_token_cache_destroy(&c);
}

typedef struct caller {
    iam_token_cache *c;
    pthread_barrier_t *start;
    int status;
    char value[32];
} caller;

static void *call(void *p)
{
    caller *k = p;
    k->value[0] = '\0';
    pthread_barrier_wait(k->start);
    iam_cache_item *t = NULL;
    iam_error err;
    k->status = iam_token_cache_get(k->c, &t, &err);
    if (t) {
        snprintf(k->value, sizeof k->value, "%s", iam_token_value((iam_token *)t));
        iam_cache_item_release(t);
    }
    return NULL;
}

static void run_callers(iam_token_cache *c, caller *k, int n)
{
    pthread_t tids[100];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)n);
    for (int i = 0; i < n; i++) {
        k[i] = (caller){.c = c, .start = &start};
        pthread_create(&tids[i], NULL, call, &k[i]);
    }
    for (int i = 0; i < n; i++)
        pthread_join(tids[i], NULL);
    pthread_barrier_destroy(&start);
}

static void hundred_callers_share_one_fetch(void)
{
    iam_token_cache c;
    script s = {.lifetime = 3600, .delay_ms = 100};
    setup(&c, &s);
    caller k[100];
    run_callers(&c, k, 100);
    CHECK_EQ_INT(atomic_load(&s.calls), 1);
    for (int i = 0; i < 100; i++) {
        CHECK_EQ_INT(k[i].status, IAM_OK);
        CHECK_EQ_STR(k[i].value, "token-1");
    }
    iam_token_cache_destroy(&c);
}

static void failed_first_fetch_releases_every_waiter(void)
{
    iam_token_cache c;
    script s = {.lifetime = 3600, .delay_ms = 100, .fail = 1};
    setup(&c, &s);
    caller k[50];
    run_callers(&c, k, 50);
    CHECK_EQ_INT(atomic_load(&s.calls), 1);
    for (int i = 0; i < 50; i++)
        CHECK_EQ_INT(k[i].status, IAM_E_AUTH);
    s.fail = 0;
    int st;
    CHECK_EQ_STR(get(&c, &st), "token-2");
    iam_token_cache_destroy(&c);
}

typedef struct invalidator {
    iam_token_cache *c;
    atomic_int stop;
} invalidator;

static void *invalidate_loop(void *p)
{
    invalidator *v = p;
    while (!atomic_load(&v->stop))
        iam_token_cache_invalidate(v->c);
    return NULL;
}

/* A waiter that wakes after its fetch's token was already dropped fetches
 * anew: it never gets "success" without a token. */
static void waiters_woken_after_an_invalidate_fetch_again(void)
{
    int empty = 0, failed = 0;
    for (int round = 0; round < 20; round++) {
        iam_token_cache c;
        script s = {.lifetime = 3600, .delay_ms = 20};
        setup(&c, &s);
        invalidator v = {.c = &c};
        atomic_init(&v.stop, 0);
        pthread_t t;
        pthread_create(&t, NULL, invalidate_loop, &v);
        caller k[40];
        run_callers(&c, k, 40);
        atomic_store(&v.stop, 1);
        pthread_join(t, NULL);
        for (int i = 0; i < 40; i++) {
            failed += k[i].status != IAM_OK;
            empty += k[i].status == IAM_OK && k[i].value[0] == '\0';
        }
        wait_calls(&c, &s, 1);
        iam_token_cache_destroy(&c);
    }
    CHECK_EQ_INT(failed, 0);
    CHECK_EQ_INT(empty, 0);
}

int main(void)
{
    RUN(caches_a_valid_token);
    RUN(refreshes_in_background_at_80_percent);
    RUN(failed_refresh_keeps_the_valid_token);
    RUN(expired_token_is_fetched_anew);
    RUN(failed_fetch_is_not_cached);
    RUN(peek_reports_generation_and_freshness);
    RUN(hundred_callers_share_one_fetch);
    RUN(failed_first_fetch_releases_every_waiter);
    RUN(waiters_woken_after_an_invalidate_fetch_again);
    return CHECK_DONE();
}
