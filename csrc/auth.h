/* The authenticator object shared by every IBM grant. */
#ifndef IAMCORE_AUTH_H
#define IAMCORE_AUTH_H

#include "http.h"
#include "token.h"
#include "token_cache.h"

#include <pthread.h>
#include <stdatomic.h>

struct iam_auth {
    atomic_int refs;           /* the owner's + one per background refresh */
    iam_auth_type type;

    char *apikey;              /* secret */
    char *client_secret;       /* secret */
    char *client_id;
    char *scope;
    char *iam_profile_name, *iam_profile_id, *iam_profile_crn;
    char *iam_account_id;
    char *cr_token_filename;

    /* IAM_AUTH_IAM with a refresh token (refresh_mode, set once): the newest
     * refresh token IAM gave (a secret), read and replaced under refresh_mu. */
    int refresh_mode;
    pthread_mutex_t refresh_mu;
    char *refresh_token;

    /* IAM_AUTH_VPC: the two metadata URLs, version query included. */
    char *vpc_identity_url;    /* PUT: the instance identity token */
    char *vpc_iam_url;         /* POST: the IAM access token        */

    /* IAM_AUTH_IAM_ASSUME: the API-key authenticator of step 1 (its own cache). */
    iam_auth *inner;

    char *token_url;
    char **header_lines;       /* "Name: value", NULL-terminated; the Basic auth line is a secret */
    size_t header_count;

    iam_http *http;
    iam_token_cache cache;

    /* The shared token cache (auth_shared.h), NULL when off; shared_force is
     * set by invalidate so the next fetch does not adopt the dropped token. */
    struct iam_shared_cache *shared;
    atomic_int shared_force;
};

/* Per grant: check the grant's own options, copy them, and fetch a token. The
 * fetch runs on one thread at a time per authenticator (the token cache's rule). */
int iam_auth_iam_check(const iam_config *cfg, iam_error *err);
/* The API key rules, shared by the API-key and assume grants. */
int iam_auth_apikey_check(const char *apikey, iam_error *err);
int iam_auth_iam_init(iam_auth *a, const iam_config *cfg);
int iam_auth_iam_fetch(iam_auth *a, iam_token **out, iam_error *err);

int iam_auth_container_check(const iam_config *cfg, iam_error *err);
int iam_auth_container_init(iam_auth *a, const iam_config *cfg);
int iam_auth_container_fetch(iam_auth *a, iam_token **out, iam_error *err);

int iam_auth_vpc_check(const iam_config *cfg, iam_error *err);
/* A metadata API version: "YYYY-MM-DD", a real date, IAM_VPC_DEFAULT_VERSION or later. */
int iam_vpc_version_valid(const char *version);
int iam_auth_vpc_init(iam_auth *a, const iam_config *cfg);
int iam_auth_vpc_fetch(iam_auth *a, iam_token **out, iam_error *err);

int iam_auth_assume_check(const iam_config *cfg, iam_error *err);
/* Creates the inner API-key authenticator from the same configuration. */
int iam_auth_assume_init(iam_auth *a, const iam_config *cfg, iam_error *err);
int iam_auth_assume_fetch(iam_auth *a, iam_token **out, iam_error *err);

/* POST a form to a->token_url with a->header_lines; `what` names the request in
 * errors (NULL: "IAM token request"). */
int iam_auth_post_form(iam_auth *a, const iam_buf *form, const char *what,
                       const char *const *secrets, size_t secret_count, char **refresh_token,
                       iam_token **out, iam_error *err);

/* Non-zero when s starts or ends with a curly bracket or a quote: a value
 * pasted with its JSON punctuation. */
int iam_has_bad_edges(const char *s);

/* Non-zero when s is set and not empty. */
int iam_given(const char *s);

/* strdup of a non-empty string; NULL for NULL or "". *oom is set when the copy
 * failed. */
char *iam_dup_given(const char *s, int *oom);

#endif
