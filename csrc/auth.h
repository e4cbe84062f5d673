/* The authenticator object shared by every IBM grant. */
#ifndef IAMCORE_AUTH_H
#define IAMCORE_AUTH_H

#include "http.h"
#include "token_cache.h"

#include <stdatomic.h>

struct iam_auth {
    atomic_int refs;           /* the owner's + one per background refresh */
    iam_auth_type type;

    char *apikey;              /* secret */
    char *client_secret;       /* secret */
    char *client_id;
    char *scope;
    char *iam_profile_name, *iam_profile_id, *iam_profile_crn;
    char *cr_token_filename;

    char *token_url;
    char **header_lines;       /* "Name: value"; the Basic auth line is a secret */
    size_t header_count;

    iam_http *http;
    iam_token_cache cache;
};

/* Per grant: check the grant's own options, and build its form body. */
int iam_auth_iam_check(const iam_config *cfg, iam_error *err);
int iam_auth_iam_form(const iam_auth *a, iam_buf *form, iam_error *err);
int iam_auth_container_check(const iam_config *cfg, iam_error *err);
/* cr_token receives the token read from the file (a secret the caller frees). */
int iam_auth_container_form(const iam_auth *a, iam_buf *form, char **cr_token, iam_error *err);

/* Non-zero when s starts or ends with a curly bracket or a quote: a value
 * pasted with its JSON punctuation. */
int iam_has_bad_edges(const char *s);

#endif
