/* Raising events (public side: iamcore_log.h). Every event is built only after
 * iam_log_on() said a hook is set, so without one an event costs that load. */
#ifndef IAMCORE_LOG_INTERNAL_H
#define IAMCORE_LOG_INTERNAL_H

#include "iamcore_log.h"
#include "cache_item.h"

#include <stdatomic.h>

struct iam_log_slot;
/* The hook in effect, NULL when none. Written by iam_set_log_hook only. */
extern _Atomic(struct iam_log_slot *) iam_log_active;

static inline int iam_log_on(void)
{
    return atomic_load_explicit(&iam_log_active, memory_order_relaxed) != NULL;
}

#define IAM_LOG_STR(n, v) ((iam_log_field){.name = (n), .type = IAM_LOG_FIELD_STRING, .string = (v)})
#define IAM_LOG_INT(n, v) ((iam_log_field){.name = (n), .type = IAM_LOG_FIELD_INT, .integer = (int64_t)(v)})
#define IAM_LOG_BOOL(n, v) ((iam_log_field){.name = (n), .type = IAM_LOG_FIELD_BOOL, .integer = (v) ? 1 : 0})

/* Hand an event to the hook, if one is set and this thread is not running it. */
void iam_log_emit(int level, const char *name, const iam_log_field *fields, size_t count);

/* url without user info, query string or fragment: "https://host:port/path".
 * Truncated to cap - 1 bytes. */
void iam_log_url(char *dst, size_t cap, const char *url);

/* Monotonic milliseconds, for durations. */
int64_t iam_log_clock_ms(void);

/* ---- what a token-cache fetch did, for its events (log_events.c) */

/* The HTTP side of one fetch: while a fetch runs on a thread with a hook set,
 * iam_http_request adds each request to it. */
typedef struct iam_log_http {
    const char *auth_type; /* the cache's kind, NULL if none */
    char url[256];         /* the last request's URL, reduced by iam_log_url */
    long status;           /* the last response's HTTP status, 0 if none */
    int attempts;          /* HTTP attempts, retries included, every request summed */
} iam_log_http;

/* From http.c: a request finished after `attempts` attempts (status 0: no response). */
void iam_log_http_done(const char *url, long status, int attempts);

/* From http.c, before waiting to retry: attempt number `attempt` (1-based)
 * failed with HTTP `status` (0: a connection error described by `reason`). */
void iam_log_retry(const char *url, int attempt, long status, const char *reason, long delay_ms);

struct iam_token_cache;

/* The events of one fetch of a token cache. Usage, in the fetching thread:
 *
 *   iam_log_fetch f;
 *   iam_log_fetch_start(&f, c, background);   // refresh_started when background
 *   status = c->fetch(...);
 *   iam_log_fetch_stop(&f);
 *   lock; finish_fetch(...); iam_log_fetch_result(&f, c, status); unlock;
 *   iam_log_fetch_report(&f, c, status, &err); // token_fetched / failure / refresh_scheduled
 *
 * Each step does nothing when no hook was set at the start. */
typedef struct iam_log_fetch {
    int on;
    int background;
    int64_t started_ms;
    iam_log_http http;
    iam_log_http *outer;   /* the enclosing fetch's record on this thread (RDS -> credentials) */
    iam_cache_item *item;  /* a reference to the fetched item, for its fields */
    int64_t refresh_at_ms; /* INT64_MAX: never */
    int token_valid;       /* after a failure: a valid item is still served */
} iam_log_fetch;

void iam_log_fetch_start(iam_log_fetch *f, struct iam_token_cache *c, int background);
void iam_log_fetch_stop(iam_log_fetch *f);
/* With the cache's lock held, after finish_fetch. */
void iam_log_fetch_result(iam_log_fetch *f, struct iam_token_cache *c, int status);
/* Without the lock. Releases what _result took. */
void iam_log_fetch_report(iam_log_fetch *f, struct iam_token_cache *c, int status,
                          const iam_error *err);

#endif
