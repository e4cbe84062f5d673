/*
 * iamcore — events: one process-wide hook that receives what the library does
 * (tokens fetched, retries, failures, background refreshes). docs/logging.md lists
 * every event and its fields.
 *
 *   static void on_event(const iam_log_event *ev, void *ctx)
 *   {
 *       char line[512];
 *       iam_log_format(ev, line, sizeof line);
 *       fprintf(stderr, "%s %s\n", iam_log_level_name(ev->level), line);
 *   }
 *   iam_set_log_hook(on_event, NULL);
 *
 * Rules:
 *   - No event carries a secret: no API key, client secret, token, refresh
 *     token, compute-resource token, AWS secret key or session token, signature,
 *     and no URL query string (URLs are reduced to scheme, host, port and path).
 *   - The hook runs on the thread that did the work: a caller's thread, or a
 *     background refresh thread. It is never called while iamcore holds a lock,
 *     so it may call back into iamcore. Events raised on a thread while it runs
 *     the hook (e.g. by a token fetch the hook starts) are dropped.
 *   - The event and every string it points to are valid during the call only.
 *   - Without a hook an event costs one relaxed atomic load. A cached token
 *     raises no event at all.
 */
#ifndef IAMCORE_LOG_H
#define IAMCORE_LOG_H

#include "iamcore.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Levels, with the numbers of Python's logging module. */
typedef enum iam_log_level {
    IAM_LOG_DEBUG = 10,
    IAM_LOG_INFO = 20,
    IAM_LOG_WARNING = 30,
    IAM_LOG_ERROR = 40
} iam_log_level;

/* "debug", "info", "warning", "error" ("unknown" for anything else). */
IAM_API const char *iam_log_level_name(int level);

typedef enum iam_log_field_type {
    IAM_LOG_FIELD_STRING = 1, /* string */
    IAM_LOG_FIELD_INT = 2,    /* integer */
    IAM_LOG_FIELD_BOOL = 3    /* integer, 0 or 1 */
} iam_log_field_type;

/* One named value of an event. Names are lower-case snake_case ("auth_type"). */
typedef struct iam_log_field {
    const char *name;
    int type;           /* an iam_log_field_type */
    const char *string; /* IAM_LOG_FIELD_STRING: never NULL */
    int64_t integer;    /* IAM_LOG_FIELD_INT, IAM_LOG_FIELD_BOOL */
} iam_log_field;

typedef struct iam_log_event {
    int level;                  /* an iam_log_level */
    const char *name;           /* stable event name, e.g. "token_fetched" */
    int64_t time_ms;            /* wall clock, ms since the epoch */
    const iam_log_field *fields;
    size_t field_count;
} iam_log_event;

typedef void (*iam_log_hook)(const iam_log_event *event, void *ctx);

/*
 * Set the hook (NULL removes it). Atomic: an event goes to the old hook or to the
 * new one, never to a mix of the two. When this returns, no call to the previous
 * hook is running or will start — except on the calling thread when it is called
 * from inside that hook — so the caller may free the previous ctx.
 * Every distinct (fn, ctx) pair ever set keeps a few bytes until the process
 * exits. IAM_OK, or IAM_E_NOMEM (the hook in effect is then unchanged).
 */
IAM_API iam_status iam_set_log_hook(iam_log_hook fn, void *ctx);

/*
 * The event as one line: "token_fetched auth_type=iam status=200 ...". String
 * values with spaces, quotes, '=' or control characters are quoted with \" \\ \n
 * \r \t escapes (other control characters become '?'); an empty one is "".
 * Like snprintf: writes at most cap bytes including the NUL (cap may be 0) and
 * returns the length the whole line needs.
 */
IAM_API size_t iam_log_format(const iam_log_event *event, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* IAMCORE_LOG_H */
