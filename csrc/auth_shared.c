/*
 * An authenticator's use of the shared token cache (shared_cache.h): which
 * directory, the entry name of its credential, and the fetch wrapper.
 *
 * The entry name is a SHA-256 over everything that makes two authenticators'
 * tokens differ — grant, URLs, API key, client id and secret, scope, profile,
 * account, token file path, extra headers — each length-prefixed, so distinct
 * credentials never share an entry and the name reveals nothing about the key.
 */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "auth.h"
#include "auth_shared.h"
#include "crypto_lib.h"
#include "error.h"
#include "secret.h"
#include "shared_cache.h"
#include "sigv4.h"

#include <stdio.h>
#include <string.h>

/* One field: a tag, its length and its bytes ("-" for absent), so that no two
 * different field lists hash the same bytes. */
static void add(iam_buf *b, const char *tag, const char *value)
{
    char head[48];
    int n = value ? snprintf(head, sizeof head, "%s:%zu:", tag, strlen(value))
                  : snprintf(head, sizeof head, "%s:-", tag);
    iam_buf_append(b, head, (size_t)n);
    if (value)
        iam_buf_append_str(b, value);
    iam_buf_append(b, "\n", 1);
}

static void add_identity(iam_buf *b, const iam_auth *a)
{
    add(b, "type", iam_auth_type_name(a->type));
    add(b, "token_url", a->token_url);
    add(b, "vpc_identity_url", a->vpc_identity_url);
    add(b, "vpc_iam_url", a->vpc_iam_url);
    add(b, "apikey", a->apikey);
    add(b, "client_id", a->client_id);
    add(b, "client_secret", a->client_secret);
    add(b, "scope", a->scope);
    add(b, "iam_profile_name", a->iam_profile_name);
    add(b, "iam_profile_id", a->iam_profile_id);
    add(b, "iam_profile_crn", a->iam_profile_crn);
    add(b, "iam_account_id", a->iam_account_id);
    add(b, "cr_token_filename", a->cr_token_filename);
    for (size_t i = 0; i < a->header_count; i++)
        add(b, "header", a->header_lines[i]);
    if (a->inner) {
        add(b, "inner", "");
        add_identity(b, a->inner);
    }
}

int iam_auth_shared_init(iam_auth *a, const iam_config *cfg, iam_error *err)
{
    const char *option = cfg->version >= 2 ? cfg->shared_cache : NULL;
    const char *dir = iam_shared_dir_choose(option);
    if (!dir)
        return IAM_OK;
    if (a->refresh_mode) {
        /* Its refresh token rotates with every answer: not a shareable identity. */
        if (option)
            return iam_error_set(err, IAM_E_CONFIG, "shared_cache does not apply to the refresh "
                                                    "token grant (refresh_token)");
        return IAM_OK; /* IAMCORE_SHARED_CACHE: set for every authenticator, skipped here */
    }
    iam_buf b = {0};
    add(&b, "iamcore shared cache", "1");
    add_identity(&b, a);
    unsigned char digest[32];
    if (!iam_crypto(err)) { /* the name's digest: libcrypto is found now */
        iam_buf_free(&b);
        return IAM_E_INTERNAL;
    }
    int ok = !b.oom && iam_sha256(b.data, b.len, digest) == 0;
    iam_buf_free(&b);
    if (!ok)
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    long timeout = cfg->timeout_ms > 0 ? cfg->timeout_ms : IAM_DEFAULT_TIMEOUT_MS;
    /* The two-step grants may take the timeout once per step. */
    if (a->type == IAM_AUTH_VPC || a->type == IAM_AUTH_IAM_ASSUME)
        timeout *= 2;
    int rc = iam_shared_cache_new(&a->shared, dir, digest, timeout, err);
    if (rc == IAM_OK)
        a->shared->log_auth_type = iam_auth_type_name(a->type);
    return rc;
}

typedef struct grant_call {
    iam_auth *a;
    iam_auth_grant_fn grant;
} grant_call;

static int call_grant(void *p, iam_token **out, iam_error *err)
{
    grant_call *g = p;
    return g->grant(g->a, out, err);
}

int iam_auth_shared_fetch(iam_auth *a, iam_auth_grant_fn grant, iam_token **out, iam_error *err)
{
    grant_call g = {a, grant};
    int force = atomic_exchange(&a->shared_force, 0);
    return iam_shared_cache_fetch(a->shared, force, call_grant, &g, out, err);
}
