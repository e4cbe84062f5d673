/* Helpers of the authenticator tests: create one, fetch a token, expect a
 * configuration error. */
#ifndef IAMCORE_TEST_AUTH_CHECK_H
#define IAMCORE_TEST_AUTH_CHECK_H

#include "iamcore.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* An authenticator, or NULL (after printing why) when the configuration is refused. */
static inline iam_auth *auth_make(iam_auth_type type, const iam_config *cfg)
{
    iam_auth *a = NULL;
    iam_error err;
    if (iam_auth_new(&a, type, cfg, &err) != IAM_OK)
        fprintf(stderr, "  unexpected config error: %s\n", err.message);
    return a;
}

/* Fetch (or take the cached) token and drop it; the status. */
static inline int auth_fetch(iam_auth *a, iam_error *err)
{
    iam_token *t = NULL;
    int st = a ? iam_auth_get_token(a, &t, err) : IAM_E_INTERNAL;
    iam_token_release(t);
    return st;
}

/* Non-zero when the configuration is refused with IAM_E_CONFIG, a message that
 * mentions needle and, when secret is not NULL, does not contain it. */
static inline int auth_config_fails(iam_auth_type type, const iam_config *cfg, const char *needle,
                                    const char *secret)
{
    iam_auth *a = NULL;
    iam_error err;
    int st = iam_auth_new(&a, type, cfg, &err);
    int ok = st == IAM_E_CONFIG && a == NULL && err.code == IAM_E_CONFIG &&
             strstr(err.message, needle) != NULL && (!secret || !strstr(err.message, secret));
    if (!ok)
        fprintf(stderr, "  expected a config error mentioning '%s', got %d '%s'\n", needle, st,
                secret && strstr(err.message, secret) ? "(a message showing the secret)" : err.message);
    if (a)
        iam_auth_free(a);
    return ok;
}

typedef struct auth_caller {
    iam_auth *auth;
    int status;
} auth_caller;

static inline void *auth_caller_run(void *arg)
{
    auth_caller *c = arg;
    iam_error err;
    c->status = auth_fetch(c->auth, &err);
    return NULL;
}

/* n threads (at most 64) ask a for a token at once; how many got one. */
static inline int auth_fetch_concurrently(iam_auth *a, int n)
{
    auth_caller callers[64];
    pthread_t threads[64];
    int ok = 0;
    if (n > 64)
        n = 64;
    for (int i = 0; i < n; i++) {
        callers[i] = (auth_caller){a, IAM_E_INTERNAL};
        pthread_create(&threads[i], NULL, auth_caller_run, &callers[i]);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(threads[i], NULL);
        ok += callers[i].status == IAM_OK;
    }
    return ok;
}

#endif
