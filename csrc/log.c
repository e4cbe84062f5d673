/*
 * The event hook: setting it, handing events to it, formatting them.
 *
 * The hook in effect is a slot {fn, ctx, calls}. Raising an event counts itself
 * into the slot's `calls` and checks the slot is still the active one (else it
 * undoes the count and looks again); iam_set_log_hook swaps the active slot,
 * then waits until the old slot's `calls` drains to zero. Slots are never freed:
 * a thread may still be about to count itself into an old one. Setting a pair
 * that was set before reuses its slot, so memory is bounded by the number of
 * distinct pairs.
 *
 * fork(): threads that were inside a hook are not in the child, so there every
 * slot's count is set back to what the child's one thread accounts for.
 */
/* POSIX functions (clock_gettime, nanosleep, …) under -std=c11. */
#define _GNU_SOURCE
#include "log.h"
#include "fork.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct iam_log_slot {
    iam_log_hook fn;
    void *ctx;
    atomic_int calls; /* threads inside fn, or about to be */
    struct iam_log_slot *next;
} iam_log_slot;

_Atomic(iam_log_slot *) iam_log_active;

static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;
static iam_log_slot *slots; /* every slot ever made (kept reachable, never freed) */

/* The slot whose hook this thread is running, NULL outside the hook. */
static _Thread_local iam_log_slot *running;

static void slots_prepare(iam_fork_node *n)
{
    (void)n;
    pthread_mutex_lock(&slots_mu);
}

static void slots_parent(iam_fork_node *n)
{
    (void)n;
    pthread_mutex_unlock(&slots_mu);
}

static void slots_child(iam_fork_node *n)
{
    (void)n;
    for (iam_log_slot *s = slots; s; s = s->next)
        atomic_store(&s->calls, s == running ? 1 : 0);
    pthread_mutex_init(&slots_mu, NULL);
}

static iam_fork_node slots_fork = {NULL, NULL, slots_prepare, slots_parent, slots_child};
static pthread_once_t slots_fork_once = PTHREAD_ONCE_INIT;

static void register_slots_fork(void)
{
    iam_fork_register(&slots_fork);
}

const char *iam_log_level_name(int level)
{
    switch (level) {
    case IAM_LOG_DEBUG: return "debug";
    case IAM_LOG_INFO: return "info";
    case IAM_LOG_WARNING: return "warning";
    case IAM_LOG_ERROR: return "error";
    default: return "unknown";
    }
}

int64_t iam_log_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

iam_status iam_set_log_hook(iam_log_hook fn, void *ctx)
{
    iam_log_slot *slot = NULL;
    pthread_once(&slots_fork_once, register_slots_fork);
    pthread_mutex_lock(&slots_mu);
    if (fn) {
        for (slot = slots; slot && !(slot->fn == fn && slot->ctx == ctx); slot = slot->next)
            ;
        if (!slot) {
            slot = calloc(1, sizeof *slot);
            if (!slot) {
                pthread_mutex_unlock(&slots_mu);
                return IAM_E_NOMEM;
            }
            slot->fn = fn;
            slot->ctx = ctx;
            atomic_init(&slot->calls, 0);
            slot->next = slots;
            slots = slot;
        }
    }
    iam_log_slot *old = atomic_exchange(&iam_log_active, slot);
    pthread_mutex_unlock(&slots_mu);
    if (!old || old == slot)
        return IAM_OK;
    /* Wait for the calls already in the old hook; our own one when called from
     * inside it. Stop waiting if someone made it active again meanwhile. */
    int own = running == old ? 1 : 0;
    while (atomic_load(&old->calls) > own && atomic_load(&iam_log_active) != old) {
        struct timespec ts = {0, 500000};
        nanosleep(&ts, NULL);
    }
    return IAM_OK;
}

void iam_log_emit(int level, const char *name, const iam_log_field *fields, size_t count)
{
    if (running)
        return; /* raised by the hook itself: it would recurse */
    iam_log_slot *slot;
    for (;;) {
        slot = atomic_load(&iam_log_active);
        if (!slot)
            return;
        atomic_fetch_add(&slot->calls, 1);
        if (atomic_load(&iam_log_active) == slot)
            break; /* counted in before any setter could see the slot idle */
        atomic_fetch_sub(&slot->calls, 1);
    }
    iam_log_event ev = {
        .level = level, .name = name, .time_ms = wall_ms(), .fields = fields, .field_count = count,
    };
    running = slot;
    slot->fn(&ev, slot->ctx);
    running = NULL;
    atomic_fetch_sub(&slot->calls, 1);
}

void iam_log_url(char *dst, size_t cap, const char *url)
{
    if (!cap)
        return;
    size_t n = 0;
    const char *p = url ? url : "";
    const char *scheme_end = strstr(p, "://");
    const char *authority = scheme_end ? scheme_end + 3 : p;
    size_t authority_len = strcspn(authority, "/?#");
    const char *at = memchr(authority, '@', authority_len);
    const char *host = at ? at + 1 : authority;
#define PUT(src, len)                                                                      \
    do {                                                                                   \
        size_t l_ = (len);                                                                 \
        if (l_ > cap - 1 - n)                                                              \
            l_ = cap - 1 - n;                                                              \
        memcpy(dst + n, (src), l_);                                                        \
        n += l_;                                                                           \
    } while (0)
    if (scheme_end)
        PUT(p, (size_t)(authority - p));
    PUT(host, (size_t)(authority + authority_len - host));
    const char *path = authority + authority_len;
    PUT(path, strcspn(path, "?#"));
#undef PUT
    dst[n] = '\0';
}

/* ---- formatting */

typedef struct writer {
    char *buf;
    size_t cap, len; /* len counts what the whole line needs */
} writer;

static void put(writer *w, const char *s, size_t n)
{
    if (w->len < w->cap) {
        size_t room = w->cap - 1 - w->len, k = n < room ? n : room;
        memcpy(w->buf + w->len, s, k);
        w->buf[w->len + k] = '\0';
    }
    w->len += n;
}

static void put_str(writer *w, const char *s)
{
    put(w, s, strlen(s));
}

static int needs_quotes(const char *s)
{
    if (!*s)
        return 1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
            return 1;
    return 0;
}

static void put_quoted(writer *w, const char *s)
{
    put(w, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': put(w, "\\\"", 2); break;
        case '\\': put(w, "\\\\", 2); break;
        case '\n': put(w, "\\n", 2); break;
        case '\r': put(w, "\\r", 2); break;
        case '\t': put(w, "\\t", 2); break;
        default:
            if (*p < ' ' || *p == 0x7f)
                put(w, "?", 1);
            else
                put(w, (const char *)p, 1);
        }
    }
    put(w, "\"", 1);
}

size_t iam_log_format(const iam_log_event *ev, char *buf, size_t cap)
{
    writer w = {buf, cap, 0};
    if (cap)
        buf[0] = '\0';
    put_str(&w, ev->name ? ev->name : "");
    for (size_t i = 0; i < ev->field_count; i++) {
        const iam_log_field *f = &ev->fields[i];
        put(&w, " ", 1);
        put_str(&w, f->name);
        put(&w, "=", 1);
        if (f->type == IAM_LOG_FIELD_STRING) {
            const char *s = f->string ? f->string : "";
            if (needs_quotes(s))
                put_quoted(&w, s);
            else
                put_str(&w, s);
        } else if (f->type == IAM_LOG_FIELD_BOOL) {
            put_str(&w, f->integer ? "true" : "false");
        } else {
            char num[24];
            int k = snprintf(num, sizeof num, "%" PRId64, f->integer);
            put(&w, num, k > 0 ? (size_t)k : 0);
        }
    }
    return w.len;
}
