/* An authenticator's use of the shared token cache (auth_shared.c). */
#ifndef IAMCORE_AUTH_SHARED_H
#define IAMCORE_AUTH_SHARED_H

#include "iamcore.h"
#include "token.h"

/* The grant's own fetch (the authenticator's requests). */
typedef int (*iam_auth_grant_fn)(iam_auth *a, iam_token **out, iam_error *err);

/* Set a->shared when a shared cache directory is configured (the option, else
 * IAMCORE_SHARED_CACHE); IAM_E_CONFIG when the directory is refused. Call once
 * the grant's fields are copied. */
int iam_auth_shared_init(iam_auth *a, const iam_config *cfg, iam_error *err);

/* grant, through the shared entry (a->shared set). */
int iam_auth_shared_fetch(iam_auth *a, iam_auth_grant_fn grant, iam_token **out, iam_error *err);

#endif
