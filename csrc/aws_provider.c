/*
 * Cached AWS credentials: a provider resolves the chain (or holds explicit
 * credentials) and caches the result in a token cache, so temporary credentials
 * are refreshed in the background 15 minutes before they expire (a 15-minute
 * database token can always be signed with them), single-flight, and fetched in
 * the foreground only within 5 minutes of expiry. Credentials that live less
 * than that are refreshed after a quarter and dropped after half their life.
 */
#define _GNU_SOURCE
#include "aws_chain.h"
#include "aws_credentials.h"
#include "error.h"
#include "log.h"
#include "secret.h"
#include "token_cache.h"

#include <stdlib.h>
#include <string.h>

#define AWS_REFRESH_LEAD_MS (15 * 60 * 1000LL)
#define AWS_EXPIRY_MARGIN_MS (5 * 60 * 1000LL)

struct iam_aws_provider {
    atomic_int refs;
    char *profile;               /* NULL: AWS_PROFILE, else "default" */
    iam_aws_creds *fixed;        /* explicit credentials: no chain */
    iam_token_cache cache;
};

static void provider_destroy(iam_aws_provider *p)
{
    iam_token_cache_destroy(&p->cache);
    iam_aws_creds_release(p->fixed);
    free(p->profile);
    free(p);
}

static void provider_retain(void *p)
{
    atomic_fetch_add_explicit(&((iam_aws_provider *)p)->refs, 1, memory_order_relaxed);
}

static void provider_release(void *p)
{
    iam_aws_provider *ap = p;
    if (atomic_fetch_sub_explicit(&ap->refs, 1, memory_order_acq_rel) == 1)
        provider_destroy(ap);
}

static int provider_fetch(void *p, iam_cache_item **out, iam_error *err)
{
    iam_aws_provider *ap = p;
    iam_aws_creds *c = NULL;
    int rc = iam_aws_chain_resolve(&c, ap->profile, err);
    *out = rc == IAM_OK ? &c->base : NULL;
    return rc;
}

/* Event fields (log.h): the profile asked for and the source that answered. */
static size_t provider_log_fields(void *p, const iam_cache_item *item, iam_log_field *out,
                                  size_t cap)
{
    iam_aws_provider *ap = p;
    size_t n = 0;
    if (ap->profile && n < cap)
        out[n++] = IAM_LOG_STR("profile", ap->profile);
    if (item && n < cap)
        out[n++] = IAM_LOG_STR("source", iam_aws_creds_source((const iam_aws_creds *)item));
    return n;
}

iam_status iam_aws_provider_new(iam_aws_provider **out, const iam_aws_provider_config *cfg,
                                iam_error *err)
{
    iam_error_clear(err);
    *out = NULL;
    if (!cfg || cfg->version != IAM_AWS_PROVIDER_CONFIG_VERSION)
        return iam_error_set(err, IAM_E_CONFIG, "unsupported iam_aws_provider_config version");
    const iam_aws_credentials *given = cfg->credentials;
    if (given && (!given->access_key_id || !*given->access_key_id ||
                  !given->secret_access_key || !*given->secret_access_key))
        return iam_error_set(err, IAM_E_CONFIG,
                             "credentials need an access key id and a secret access key");
    if (cfg->profile && strlen(cfg->profile) >= 128)
        return iam_error_set(err, IAM_E_CONFIG, "the profile name is too long");

    iam_aws_provider *p = calloc(1, sizeof *p);
    if (!p)
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    atomic_init(&p->refs, 1);
    if (iam_token_cache_init(&p->cache, provider_fetch, p, provider_retain, provider_release) !=
        IAM_OK) {
        free(p);
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    }
    p->cache.refresh_lead_ms = AWS_REFRESH_LEAD_MS;
    p->cache.margin_ms = AWS_EXPIRY_MARGIN_MS;
    p->cache.scale_to_lifetime = 1; /* e.g. 5-minute credentials from a test STS */
    p->cache.log_fetched = "credentials_fetched";
    p->cache.log_auth_type = "aws";
    p->cache.log_fields = provider_log_fields;
    int oom = 0;
    if (cfg->profile && *cfg->profile)
        oom |= !(p->profile = iam_strdup(cfg->profile));
    if (given)
        oom |= !(p->fixed = iam_aws_creds_new(given->access_key_id, given->secret_access_key,
                                              given->session_token, given->expiration,
                                              "explicit"));
    if (oom) {
        provider_destroy(p);
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    }
    *out = p;
    return IAM_OK;
}

iam_aws_provider *iam_aws_provider_retain(iam_aws_provider *p)
{
    if (p)
        provider_retain(p);
    return p;
}

void iam_aws_provider_free(iam_aws_provider *p)
{
    if (p) {
        iam_token_cache_drop_orphans(&p->cache); /* after a fork (token_cache.h) */
        provider_release(p);
    }
}

iam_status iam_aws_provider_get(iam_aws_provider *p, iam_aws_creds **out, iam_error *err)
{
    *out = NULL;
    if (err)
        iam_error_clear(err);
    if (p->fixed) {
        *out = iam_aws_creds_retain(p->fixed);
        return IAM_OK;
    }
    iam_cache_item *item = NULL;
    iam_status rc = iam_token_cache_get(&p->cache, &item, err);
    *out = (iam_aws_creds *)item;
    return rc;
}

void iam_aws_provider_invalidate(iam_aws_provider *p)
{
    iam_token_cache_invalidate(&p->cache);
}
