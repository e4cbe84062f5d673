/* The API-key and refresh-token grants (PROTOCOLS §1). */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "auth.h"
#include "error.h"

#include <string.h>

int iam_auth_apikey_check(const char *apikey, iam_error *err)
{
    if (!iam_given(apikey))
        return iam_error_set(err, IAM_E_CONFIG, "an API key is required (apikey)");
    if (iam_has_bad_edges(apikey))
        return iam_error_set(err, IAM_E_CONFIG,
                             "the API key must not start or end with a curly bracket or a quote");
    return IAM_OK;
}

int iam_auth_iam_check(const iam_config *cfg, iam_error *err)
{
    if (!iam_given(cfg->refresh_token)) {
        if (!iam_given(cfg->apikey))
            return iam_error_set(err, IAM_E_CONFIG, "an API key is required (apikey), or a "
                                                    "refresh token (refresh_token)");
        return iam_auth_apikey_check(cfg->apikey, err);
    }
    if (iam_given(cfg->apikey))
        return iam_error_set(err, IAM_E_CONFIG, "give an API key (apikey) or a refresh token "
                                                "(refresh_token), not both");
    if (iam_has_bad_edges(cfg->refresh_token))
        return iam_error_set(err, IAM_E_CONFIG, "the refresh token must not start or end with a "
                                                "curly bracket or a quote");
    /* IAM refreshes a token only for the client it was issued to. */
    if (!iam_given(cfg->client_id) || !iam_given(cfg->client_secret))
        return iam_error_set(err, IAM_E_CONFIG, "a refresh token (refresh_token) needs the client "
                                                "id and client secret (client_id, client_secret) "
                                                "it was issued to");
    return IAM_OK;
}

/* In a child process (token_cache.h): a fetch that was running in the parent
 * may have held the lock; the refresh token itself is always a whole one. */
static void refresh_mu_after_fork(void *owner)
{
    pthread_mutex_init(&((iam_auth *)owner)->refresh_mu, NULL);
}

int iam_auth_iam_init(iam_auth *a, const iam_config *cfg)
{
    int oom = 0;
    if (iam_given(cfg->refresh_token)) {
        if (pthread_mutex_init(&a->refresh_mu, NULL) != 0)
            return IAM_E_NOMEM;
        a->refresh_mode = 1;
        a->cache.after_fork_in_child = refresh_mu_after_fork;
        a->refresh_token = iam_dup_given(cfg->refresh_token, &oom);
    } else {
        a->apikey = iam_dup_given(cfg->apikey, &oom);
    }
    return oom ? IAM_E_NOMEM : IAM_OK;
}

/* A copy of the current refresh token (the caller wipes it), NULL when out of memory. */
static char *current_refresh_token(iam_auth *a)
{
    pthread_mutex_lock(&a->refresh_mu);
    char *copy = iam_strdup(a->refresh_token);
    pthread_mutex_unlock(&a->refresh_mu);
    return copy;
}

/* Keep the newest refresh token; the one it replaces is wiped. */
static void store_refresh_token(iam_auth *a, char *newer)
{
    pthread_mutex_lock(&a->refresh_mu);
    char *old = a->refresh_token;
    a->refresh_token = newer;
    pthread_mutex_unlock(&a->refresh_mu);
    iam_secret_free(old);
}

static int refresh_fetch(iam_auth *a, iam_token **out, iam_error *err)
{
    char *current = current_refresh_token(a);
    if (!current)
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    iam_buf form = {0};
    iam_buf_append_param(&form, "grant_type", "refresh_token");
    iam_buf_append_param(&form, "refresh_token", current);
    iam_buf_append_param(&form, "response_type", "cloud_iam");
    if (a->scope)
        iam_buf_append_param(&form, "scope", a->scope);
    char *newer = NULL;
    const char *secrets[] = {current, a->client_secret};
    int rc = iam_auth_post_form(a, &form, NULL, secrets, 2, &newer, out, err);
    iam_buf_free(&form);
    if (rc == IAM_OK && newer)
        store_refresh_token(a, newer); /* absent or "not_supported": keep ours */
    else
        iam_secret_free(newer);
    iam_secret_free(current);
    return rc;
}

int iam_auth_iam_fetch(iam_auth *a, iam_token **out, iam_error *err)
{
    if (a->refresh_mode)
        return refresh_fetch(a, out, err);
    iam_buf form = {0};
    iam_buf_append_param(&form, "grant_type", "urn:ibm:params:oauth:grant-type:apikey");
    iam_buf_append_param(&form, "apikey", a->apikey);
    iam_buf_append_param(&form, "response_type", "cloud_iam");
    if (a->scope)
        iam_buf_append_param(&form, "scope", a->scope);
    const char *secrets[] = {a->apikey, a->client_secret};
    int rc = iam_auth_post_form(a, &form, NULL, secrets, 2, NULL, out, err);
    iam_buf_free(&form);
    return rc;
}
