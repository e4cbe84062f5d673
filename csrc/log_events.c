/*
 * The events of token-cache fetches and HTTP retries (docs/logging.md). Built
 * only when a hook was set as the fetch began; never with a lock held (the
 * cache calls iam_log_fetch_report after unlocking), so a hook may call back
 * into the same cache.
 */
/* POSIX functions (clock_gettime, …) under -std=c11. */
#define _GNU_SOURCE
#include "log.h"
#include "token_cache.h"

#include <pthread.h>
#include <string.h>

#define MAX_FIELDS 20
#define MAX_OWNER_FIELDS 8

/* The HTTP record of the fetch running on this thread, NULL if none. */
static _Thread_local iam_log_http *current_http;

void iam_log_http_done(const char *url, long status, int attempts)
{
    iam_log_http *h = current_http;
    if (!h)
        return;
    iam_log_url(h->url, sizeof h->url, url);
    h->status = status;
    h->attempts += attempts;
}

typedef struct fields {
    iam_log_field f[MAX_FIELDS];
    size_t n;
} fields;

static void add(fields *fs, iam_log_field f)
{
    if (fs->n < MAX_FIELDS)
        fs->f[fs->n++] = f;
}

void iam_log_retry(const char *url, int attempt, long status, const char *reason, long delay_ms)
{
    char clean[256];
    iam_log_url(clean, sizeof clean, url);
    fields fs = {.n = 0};
    if (current_http && current_http->auth_type)
        add(&fs, IAM_LOG_STR("auth_type", current_http->auth_type));
    add(&fs, IAM_LOG_STR("url", clean));
    add(&fs, IAM_LOG_INT("attempt", attempt));
    if (status)
        add(&fs, IAM_LOG_INT("status", status));
    add(&fs, IAM_LOG_STR("reason", reason));
    add(&fs, IAM_LOG_INT("delay_ms", delay_ms));
    iam_log_emit(IAM_LOG_WARNING, "retry", fs.f, fs.n);
}

/* auth_type, then the owner's own fields (about item, or the owner alone). */
static void add_subject(fields *fs, iam_token_cache *c, const iam_cache_item *item)
{
    if (c->log_auth_type)
        add(fs, IAM_LOG_STR("auth_type", c->log_auth_type));
    if (c->log_fields) {
        iam_log_field extra[MAX_OWNER_FIELDS];
        size_t n = c->log_fields(c->owner, item, extra, MAX_OWNER_FIELDS);
        for (size_t i = 0; i < n && i < MAX_OWNER_FIELDS; i++)
            add(fs, extra[i]);
    }
}

void iam_log_fetch_start(iam_log_fetch *f, iam_token_cache *c, int background)
{
    f->on = iam_log_on();
    if (!f->on)
        return;
    f->background = background;
    f->item = NULL;
    f->refresh_at_ms = INT64_MAX;
    f->token_valid = 0;
    memset(&f->http, 0, sizeof f->http);
    f->http.auth_type = c->log_auth_type;
    if (background) {
        pthread_mutex_lock(&c->mu);
        int64_t expires_at = c->current ? c->current->expires_at : 0;
        pthread_mutex_unlock(&c->mu);
        fields fs = {.n = 0};
        add_subject(&fs, c, NULL);
        if (expires_at)
            add(&fs, IAM_LOG_INT("expires_at", expires_at));
        iam_log_emit(IAM_LOG_DEBUG, "refresh_started", fs.f, fs.n);
    }
    f->outer = current_http;
    current_http = &f->http;
    f->started_ms = iam_log_clock_ms();
}

void iam_log_fetch_stop(iam_log_fetch *f)
{
    if (!f->on)
        return;
    f->started_ms = iam_log_clock_ms() - f->started_ms; /* now the duration */
    current_http = f->outer;
}

void iam_log_fetch_result(iam_log_fetch *f, iam_token_cache *c, int status)
{
    if (!f->on)
        return;
    if (status == IAM_OK)
        f->item = iam_cache_item_retain(c->current);
    f->refresh_at_ms = c->refresh_at_ms;
    f->token_valid = c->current && c->now_ms() < c->expires_at_ms;
}

static void add_http(fields *fs, const iam_log_http *h, long status)
{
    if (h->url[0])
        add(fs, IAM_LOG_STR("url", h->url));
    if (status)
        add(fs, IAM_LOG_INT("status", status));
    if (h->attempts)
        add(fs, IAM_LOG_INT("attempts", h->attempts));
}

static void refresh_scheduled(iam_log_fetch *f, iam_token_cache *c, const iam_cache_item *item)
{
    if (f->refresh_at_ms == INT64_MAX)
        return; /* never expires: nothing to refresh */
    fields fs = {.n = 0};
    add_subject(&fs, c, item);
    add(&fs, IAM_LOG_INT("refresh_at", f->refresh_at_ms / 1000));
    if (item && item->expires_at)
        add(&fs, IAM_LOG_INT("expires_at", item->expires_at));
    iam_log_emit(IAM_LOG_DEBUG, "refresh_scheduled", fs.f, fs.n);
}

void iam_log_fetch_report(iam_log_fetch *f, iam_token_cache *c, int status, const iam_error *err)
{
    if (!f->on)
        return;
    fields fs = {.n = 0};
    if (status == IAM_OK && f->item) {
        add_subject(&fs, c, f->item);
        add_http(&fs, &f->http, f->http.status);
        if (f->item->expires_at)
            add(&fs, IAM_LOG_INT("expires_at", f->item->expires_at));
        add(&fs, IAM_LOG_INT("duration_ms", f->started_ms));
        add(&fs, IAM_LOG_BOOL("background", f->background));
        iam_log_emit(IAM_LOG_INFO, c->log_fetched ? c->log_fetched : "token_fetched", fs.f, fs.n);
        refresh_scheduled(f, c, f->item);
    } else if (status != IAM_OK) {
        add_subject(&fs, c, NULL);
        add(&fs, IAM_LOG_STR("error", iam_status_name(status)));
        long http_status = err && err->http_status ? err->http_status : f->http.status;
        add_http(&fs, &f->http, http_status);
        if (err && err->error_code[0])
            add(&fs, IAM_LOG_STR("error_code", err->error_code));
        /* iam_error.message never holds a secret (iamcore.h). */
        add(&fs, IAM_LOG_STR("message", err && err->message[0] ? err->message
                                                                : iam_status_name(status)));
        add(&fs, IAM_LOG_INT("duration_ms", f->started_ms));
        add(&fs, IAM_LOG_BOOL("background", f->background));
        add(&fs, IAM_LOG_BOOL("token_valid", f->token_valid));
        /* A failed refresh while the cached token is still served is a warning. */
        iam_log_emit(f->token_valid ? IAM_LOG_WARNING : IAM_LOG_ERROR, "failure", fs.f, fs.n);
        if (f->background && f->token_valid)
            refresh_scheduled(f, c, NULL);
    }
    iam_cache_item_release(f->item);
    f->item = NULL;
}
