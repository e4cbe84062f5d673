/*
 * RDS authenticators: one (region, host, port, user) and its token, cached for
 * `expiration` seconds (870 by default, as the AWS advanced wrappers: 30 s less
 * than the 900 s RDS accepts), refreshed in the background at 80 % of that, shared
 * by every thread. The token is never valid longer than the credentials that
 * signed it: X-Amz-Expires is capped at their remaining lifetime and the cache
 * lifetime with it.
 */
#define _GNU_SOURCE
#include "aws_credentials.h"
#include "aws_region.h"
#include "error.h"
#include "log.h"
#include "secret.h"
#include "token.h"
#include "token_cache.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct iam_rds_auth {
    atomic_int refs;
    char *hostname, *signing_hostname, *username;
    int port;
    char region[IAM_AWS_REGION_MAX];
    long expiration_s;
    iam_aws_provider *provider;
    iam_token_cache cache;
};

static void rds_destroy(iam_rds_auth *a)
{
    iam_token_cache_destroy(&a->cache);
    iam_aws_provider_free(a->provider);
    free(a->hostname);
    free(a->signing_hostname);
    free(a->username);
    free(a);
}

static void rds_retain(void *p)
{
    atomic_fetch_add_explicit(&((iam_rds_auth *)p)->refs, 1, memory_order_relaxed);
}

static void rds_release(void *p)
{
    iam_rds_auth *a = p;
    if (atomic_fetch_sub_explicit(&a->refs, 1, memory_order_acq_rel) == 1)
        rds_destroy(a);
}

static int rds_fetch(void *p, iam_cache_item **out, iam_error *err)
{
    iam_rds_auth *a = p;
    iam_aws_creds *creds = NULL;
    int rc = iam_aws_provider_get(a->provider, &creds, err);
    if (rc != IAM_OK)
        return rc;
    int64_t now = (int64_t)time(NULL);
    iam_aws_credentials view = iam_aws_creds_view(creds);
    if (view.expiration && view.expiration <= now) {
        rc = iam_error_set(err, IAM_E_CONFIG, "the AWS credentials (%s) have expired",
                           iam_aws_creds_source(creds));
        iam_aws_creds_release(creds);
        return rc;
    }
    long expires = IAM_AWS_TOKEN_DEFAULT_EXPIRES;
    if (view.expiration && view.expiration - now < expires)
        expires = (long)(view.expiration - now); /* the signer refuses <= 0 */
    char *token = NULL;
    rc = iam_rds_auth_token(&token, &view, a->signing_hostname, a->port, a->username, a->region,
                            now, expires, err);
    iam_aws_creds_release(creds);
    if (rc != IAM_OK)
        return rc;
    /* Cached a little less long than it is valid, as the wrappers do. */
    long life = a->expiration_s < expires - 30 ? a->expiration_s
                : expires > 60                 ? expires - 30
                                               : expires / 2;
    iam_token *t = iam_token_new(token, strlen(token), now, now + life);
    iam_aws_string_free(token);
    if (!t)
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    *out = &t->base;
    return IAM_OK;
}

/* Event fields (log.h): which database and user the tokens are for. */
static size_t rds_log_fields(void *p, const iam_cache_item *item, iam_log_field *out, size_t cap)
{
    iam_rds_auth *a = p;
    (void)item;
    size_t n = 0;
    if (cap >= 4) {
        out[n++] = IAM_LOG_STR("hostname", a->hostname);
        out[n++] = IAM_LOG_INT("port", a->port);
        out[n++] = IAM_LOG_STR("username", a->username);
        out[n++] = IAM_LOG_STR("region", a->region);
    }
    return n;
}

/* A host name or IP literal, not a URL or host:port: "https://db" or "db:5432"
 * would only fail later, at the first token, or sign for the wrong host. */
static int plain_host(const char *h)
{
    if (h[0] == '[') /* an IPv6 literal */
        return h[strlen(h) - 1] == ']' && !strpbrk(h + 1, "[/?#@ \t\r\n");
    for (const unsigned char *p = (const unsigned char *)h; *p; p++)
        if (*p <= ' ' || *p == 0x7f || strchr(":/?#@[]\\", *p))
            return 0;
    return 1;
}

iam_status iam_rds_auth_new(iam_rds_auth **out, const iam_rds_config *cfg, iam_error *err)
{
    iam_error_clear(err);
    *out = NULL;
    if (!cfg || cfg->version != IAM_RDS_CONFIG_VERSION)
        return iam_error_set(err, IAM_E_CONFIG, "unsupported iam_rds_config version");
    if (!cfg->hostname || !*cfg->hostname)
        return iam_error_set(err, IAM_E_CONFIG, "a host name is required");
    if (!plain_host(cfg->hostname))
        return iam_error_set(err, IAM_E_CONFIG,
                             "hostname must be a host name or IP address, without scheme or port");
    if (cfg->signing_hostname && *cfg->signing_hostname && !plain_host(cfg->signing_hostname))
        return iam_error_set(err, IAM_E_CONFIG, "signing_hostname must be a host name or IP "
                                                "address, without scheme or port");
    if (cfg->port < 1 || cfg->port > 65535)
        return iam_error_set(err, IAM_E_CONFIG, "port must be 1 to 65535");
    if (!cfg->username || !*cfg->username)
        return iam_error_set(err, IAM_E_CONFIG, "a user name is required");
    if (cfg->expiration_s < 0 || cfg->expiration_s > IAM_AWS_TOKEN_DEFAULT_EXPIRES)
        return iam_error_set(err, IAM_E_CONFIG, "expiration must be 1 to 900 seconds");

    iam_rds_auth *a = calloc(1, sizeof *a);
    if (!a)
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    atomic_init(&a->refs, 1);
    if (iam_token_cache_init(&a->cache, rds_fetch, a, rds_retain, rds_release) != IAM_OK) {
        free(a);
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    }
    a->cache.margin_ms = 0; /* the cache lifetime already keeps 30 s in hand */
    a->cache.log_fetched = "rds_token_generated";
    a->cache.log_auth_type = "rds";
    a->cache.log_fields = rds_log_fields;
    a->port = cfg->port;
    a->expiration_s = cfg->expiration_s ? cfg->expiration_s : IAM_RDS_DEFAULT_EXPIRATION_S;
    const char *signing = cfg->signing_hostname && *cfg->signing_hostname ? cfg->signing_hostname
                                                                         : cfg->hostname;
    a->hostname = iam_strdup(cfg->hostname);
    a->signing_hostname = iam_strdup(signing);
    a->username = iam_strdup(cfg->username);
    int rc = IAM_OK;
    if (!a->hostname || !a->signing_hostname || !a->username) {
        rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
    } else {
        rc = iam_aws_region_resolve(a->region, sizeof a->region, cfg->region, cfg->profile,
                                    signing, err);
    }
    if (rc == IAM_OK) {
        if (cfg->provider) {
            a->provider = iam_aws_provider_retain(cfg->provider);
        } else {
            iam_aws_provider_config pc = IAM_AWS_PROVIDER_CONFIG_INIT;
            pc.profile = cfg->profile;
            rc = iam_aws_provider_new(&a->provider, &pc, err);
        }
    }
    if (rc != IAM_OK) {
        rds_destroy(a);
        return rc;
    }
    *out = a;
    return IAM_OK;
}

iam_rds_auth *iam_rds_auth_retain(iam_rds_auth *a)
{
    if (a)
        rds_retain(a);
    return a;
}

void iam_rds_auth_free(iam_rds_auth *a)
{
    if (a) {
        iam_token_cache_drop_orphans(&a->cache); /* after a fork (token_cache.h) */
        rds_release(a);
    }
}

const char *iam_rds_auth_region(const iam_rds_auth *a)
{
    return a->region;
}

iam_status iam_rds_auth_get_token(iam_rds_auth *a, iam_token **out, iam_error *err)
{
    if (err)
        iam_error_clear(err);
    iam_cache_item *item = NULL;
    iam_status rc = iam_token_cache_get(&a->cache, &item, err);
    *out = (iam_token *)item;
    return rc;
}

uint64_t iam_rds_auth_peek(iam_rds_auth *a, int64_t *fresh_until_ms)
{
    return iam_token_cache_peek(&a->cache, fresh_until_ms);
}

void iam_rds_auth_invalidate(iam_rds_auth *a)
{
    iam_token_cache_invalidate(&a->cache);
}
