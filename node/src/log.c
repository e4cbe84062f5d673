/*
 * The core's events (iamcore_log.h) delivered to JavaScript.
 *
 *   setLogCallback(fn)   this environment receives every event: fn(event, line) on
 *                        its own thread, event a plain object ({ level, event, time,
 *                        ...fields } with camelCase field names), line the event as
 *                        one text line (iam_log_format). null stops it.
 *
 * The core's hook is process-wide; every environment (main thread, each worker)
 * that wants events is a target in one list, and the hook fans each event out to
 * all of them. Events arrive on fetch or background refresh threads: the hook
 * copies the event once (reference counted) and queues it on each target's
 * threadsafe function, non-blocking; the function is unref'd, so a target never
 * keeps its event loop alive. The core's hook is set while the list is not empty.
 *
 * Lifetimes: the list lock is held while the hook calls a target's threadsafe
 * function, and a target leaves the list (under that lock) before its function is
 * released: on setLogCallback(null), or at environment teardown by a cleanup hook
 * registered after the function (cleanup hooks run in reverse order, so it runs
 * before Node closes the function). The function's finalizer frees the target.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "addon.h"
#include "iamcore_log.h"

typedef struct iamnode_log_target {
    napi_threadsafe_function tsfn;
    struct iamnode_log_target *next; /* in `targets`, under targets_mu */
} log_target;

static pthread_mutex_t targets_mu = PTHREAD_MUTEX_INITIALIZER;
static log_target *targets;
/* Serialises turning the core's hook on and off (never taken by the hook). */
static pthread_mutex_t switch_mu = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------ event copies */

typedef struct event_field {
    char *name; /* camelCase */
    int type;
    char *string;
    int64_t integer;
} event_field;

typedef struct event_copy {
    atomic_int refs;
    int level;
    int64_t time_ms;
    char *name;
    char *line;
    size_t count;
    event_field fields[];
} event_copy;

static void event_release(event_copy *e)
{
    if (e == NULL || atomic_fetch_sub(&e->refs, 1) != 1) return;
    free(e); /* one block */
}

/* "duration_ms" -> "durationMs" into dst (same length or shorter). */
static void camel_case(char *dst, const char *src)
{
    int upper = 0;
    for (; *src; src++) {
        if (*src == '_') {
            upper = 1;
            continue;
        }
        *dst++ = upper && *src >= 'a' && *src <= 'z' ? (char)(*src - 'a' + 'A') : *src;
        upper = 0;
    }
    *dst = '\0';
}

/* Copy s (with its NUL) to p; returns the byte after it. */
static char *put_string(char *p, const char *s)
{
    size_t n = strlen(s) + 1;
    memcpy(p, s, n);
    return p + n;
}

/* One block: the header, the fields, then every string. NULL when out of memory. */
static event_copy *event_copy_new(const iam_log_event *ev)
{
    size_t line_len = iam_log_format(ev, NULL, 0);
    size_t size = sizeof(event_copy) + ev->field_count * sizeof(event_field) +
                  strlen(ev->name) + 1 + line_len + 1;
    for (size_t i = 0; i < ev->field_count; i++) {
        size += strlen(ev->fields[i].name) + 1;
        if (ev->fields[i].type == IAM_LOG_FIELD_STRING) size += strlen(ev->fields[i].string) + 1;
    }
    event_copy *e = malloc(size);
    if (e == NULL) return NULL;
    atomic_init(&e->refs, 1);
    e->level = ev->level;
    e->time_ms = ev->time_ms;
    e->count = ev->field_count;
    char *p = (char *)&e->fields[ev->field_count];
    e->name = p;
    p = put_string(p, ev->name);
    e->line = p;
    iam_log_format(ev, p, line_len + 1);
    p += line_len + 1;
    for (size_t i = 0; i < ev->field_count; i++) {
        const iam_log_field *f = &ev->fields[i];
        event_field *c = &e->fields[i];
        c->name = p;
        camel_case(p, f->name);
        p += strlen(p) + 1;
        c->type = f->type;
        c->integer = f->integer;
        c->string = NULL;
        if (f->type == IAM_LOG_FIELD_STRING) {
            c->string = p;
            p = put_string(p, f->string);
        }
    }
    return e;
}

/* ------------------------------------------------------------ the core's hook */

static void on_event(const iam_log_event *ev, void *ctx)
{
    (void)ctx;
    event_copy *e = event_copy_new(ev);
    if (e == NULL) return;
    pthread_mutex_lock(&targets_mu);
    for (log_target *t = targets; t != NULL; t = t->next) {
        atomic_fetch_add(&e->refs, 1);
        if (napi_call_threadsafe_function(t->tsfn, e, napi_tsfn_nonblocking) != napi_ok)
            event_release(e);
    }
    pthread_mutex_unlock(&targets_mu);
    event_release(e);
}

/* Set the core's hook when some environment listens, remove it when none does.
 * Called on JS threads without targets_mu held: removing waits for running hook
 * calls, which take targets_mu. */
static void sync_core_hook(void)
{
    pthread_mutex_lock(&switch_mu);
    pthread_mutex_lock(&targets_mu);
    int any = targets != NULL;
    pthread_mutex_unlock(&targets_mu);
    iam_set_log_hook(any ? on_event : NULL, NULL);
    pthread_mutex_unlock(&switch_mu);
}

/* Take t out of the list; returns whether it was in it. */
static int unlist(log_target *t)
{
    int was = 0;
    pthread_mutex_lock(&targets_mu);
    for (log_target **pp = &targets; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            was = 1;
            break;
        }
    }
    pthread_mutex_unlock(&targets_mu);
    return was;
}

/* ------------------------------------------------------------ delivery (JS thread) */

static napi_status field_value(napi_env env, const event_field *f, napi_value *out)
{
    if (f->type == IAM_LOG_FIELD_STRING)
        return napi_create_string_utf8(env, f->string, NAPI_AUTO_LENGTH, out);
    if (f->type == IAM_LOG_FIELD_BOOL) return napi_get_boolean(env, f->integer != 0, out);
    return napi_create_double(env, (double)f->integer, out);
}

static napi_status event_object(napi_env env, const event_copy *e, napi_value *out)
{
    napi_value obj, v;
    NAPI_TRY(napi_create_object(env, &obj));
    NAPI_TRY(napi_create_string_utf8(env, iam_log_level_name(e->level), NAPI_AUTO_LENGTH, &v));
    NAPI_TRY(napi_set_named_property(env, obj, "level", v));
    NAPI_TRY(napi_create_string_utf8(env, e->name, NAPI_AUTO_LENGTH, &v));
    NAPI_TRY(napi_set_named_property(env, obj, "event", v));
    NAPI_TRY(napi_create_double(env, (double)e->time_ms, &v));
    NAPI_TRY(napi_set_named_property(env, obj, "time", v));
    for (size_t i = 0; i < e->count; i++) {
        NAPI_TRY(field_value(env, &e->fields[i], &v));
        NAPI_TRY(napi_set_named_property(env, obj, e->fields[i].name, v));
    }
    *out = obj;
    return napi_ok;
}

/* env is NULL when the function is torn down with events still queued. */
static void call_js(napi_env env, napi_value js_cb, void *context, void *data)
{
    event_copy *e = data;
    (void)context;
    if (env != NULL && js_cb != NULL) {
        napi_value argv[2], undefined;
        napi_status st = event_object(env, e, &argv[0]);
        if (st == napi_ok) st = napi_create_string_utf8(env, e->line, NAPI_AUTO_LENGTH, &argv[1]);
        if (st == napi_ok) st = napi_get_undefined(env, &undefined);
        if (st == napi_ok) st = napi_call_function(env, undefined, js_cb, 2, argv, NULL);
        if (st != napi_ok) {
            /* The JS dispatcher catches the user's errors; anything left is ours. */
            napi_value ignored;
            bool pending = false;
            if (napi_is_exception_pending(env, &pending) == napi_ok && pending)
                napi_get_and_clear_last_exception(env, &ignored);
        }
    }
    event_release(e);
}

/* ------------------------------------------------------------ targets */

static void target_finalize(napi_env env, void *data, void *hint)
{
    log_target *t = data;
    (void)env;
    (void)hint;
    if (unlist(t)) sync_core_hook();
    free(t);
}

/* Environment teardown: leave the list before Node closes the function. */
static void target_cleanup(void *arg)
{
    log_target *t = arg;
    if (unlist(t)) sync_core_hook();
}

static void target_stop(napi_env env, log_target *t)
{
    napi_remove_env_cleanup_hook(env, target_cleanup, t);
    if (unlist(t)) sync_core_hook();
    napi_release_threadsafe_function(t->tsfn, napi_tsfn_release); /* finalizer frees t */
}

static napi_status target_start(napi_env env, napi_value fn, log_target **out)
{
    napi_value name;
    log_target *t = calloc(1, sizeof *t);
    if (t == NULL) return napi_generic_failure;
    napi_status st = napi_create_string_utf8(env, "iamcore:log", NAPI_AUTO_LENGTH, &name);
    if (st == napi_ok)
        st = napi_create_threadsafe_function(env, fn, NULL, name, 0, 1, t, target_finalize, NULL,
                                             call_js, &t->tsfn);
    if (st != napi_ok) {
        free(t);
        return st;
    }
    napi_unref_threadsafe_function(env, t->tsfn);
    st = napi_add_env_cleanup_hook(env, target_cleanup, t);
    if (st != napi_ok) {
        napi_release_threadsafe_function(t->tsfn, napi_tsfn_release);
        return st;
    }
    pthread_mutex_lock(&targets_mu);
    t->next = targets;
    targets = t;
    pthread_mutex_unlock(&targets_mu);
    sync_core_hook();
    *out = t;
    return napi_ok;
}

static napi_value set_log_callback(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value arg;
    napi_valuetype type = napi_undefined;
    addon_data *d = NULL;
    napi_status st = napi_get_cb_info(env, info, &argc, &arg, NULL, NULL);
    if (st == napi_ok && argc >= 1) st = napi_typeof(env, arg, &type);
    if (st == napi_ok) st = napi_get_instance_data(env, (void **)&d);
    if (st == napi_ok && d == NULL) st = napi_generic_failure;
    if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    if (type != napi_function && type != napi_null && type != napi_undefined)
        return iamnode_throw_status(env, IAM_E_CONFIG, "setLogCallback needs a function or null");

    if (d->log_target != NULL) {
        target_stop(env, d->log_target);
        d->log_target = NULL;
    }
    if (type == napi_function) {
        st = target_start(env, arg, &d->log_target);
        if (st != napi_ok) return iamnode_throw_napi_failure(env, st);
    }
    return NULL;
}

napi_status iamnode_log_init(napi_env env, napi_value exports)
{
    napi_value fn;
    NAPI_TRY(napi_create_function(env, "setLogCallback", NAPI_AUTO_LENGTH, set_log_callback, NULL,
                                  &fn));
    return napi_set_named_property(env, exports, "setLogCallback", fn);
}
