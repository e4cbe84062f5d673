/* Authenticator objects: configuration checks, copies, request headers, and
 * the fetch that the token cache calls. */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "auth.h"
#include "auth_shared.h"
#include "error.h"
#include "iam_request.h"
#include "shared_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <unistd.h>

const char *iam_auth_type_name(iam_auth_type type)
{
    switch (type) {
    case IAM_AUTH_IAM: return "iam";
    case IAM_AUTH_CONTAINER: return "container";
    case IAM_AUTH_VPC: return "vpc";
    case IAM_AUTH_IAM_ASSUME: return "iamAssume";
    default: return "unknown";
    }
}

int iam_given(const char *s)
{
    return s && *s;
}

char *iam_dup_given(const char *s, int *oom)
{
    if (!iam_given(s))
        return NULL;
    char *copy = iam_strdup(s);
    if (!copy)
        *oom = 1;
    return copy;
}

int iam_has_bad_edges(const char *s)
{
    size_t n = strlen(s);
    if (!n)
        return 0;
    return strchr("{}\"", s[0]) != NULL || strchr("{}\"", s[n - 1]) != NULL;
}

static int is_token_char(unsigned char c)
{
    return c > 32 && c < 127 && !strchr("()<>@,;:\\\"/[]?={}", c);
}

static int check_common(const iam_config *cfg, iam_error *err)
{
    if (cfg->version < IAM_CONFIG_VERSION_MIN || cfg->version > IAM_CONFIG_VERSION)
        return iam_error_set(err, IAM_E_CONFIG, "unsupported iam_config version %u", cfg->version);
    int has_id = cfg->client_id && *cfg->client_id;
    int has_secret = cfg->client_secret && *cfg->client_secret;
    if (has_id != has_secret)
        return iam_error_set(err, IAM_E_CONFIG,
                             "client id and client secret must be given together");
    if ((has_id && iam_has_bad_edges(cfg->client_id)) ||
        (has_secret && iam_has_bad_edges(cfg->client_secret)))
        return iam_error_set(err, IAM_E_CONFIG, "the client id and client secret must not start "
                                                "or end with a curly bracket or a quote");
    if (cfg->url) {
        if (strncasecmp(cfg->url, "https://", 8) != 0 && strncasecmp(cfg->url, "http://", 7) != 0)
            return iam_error_set(err, IAM_E_CONFIG, "url must start with https:// or http://");
        if (strpbrk(cfg->url, " \r\n\t"))
            return iam_error_set(err, IAM_E_CONFIG, "url must not contain white space");
    }
    if (cfg->timeout_ms < 0)
        return iam_error_set(err, IAM_E_CONFIG, "timeout must be positive");
    if (cfg->connect_timeout_ms < 0)
        return iam_error_set(err, IAM_E_CONFIG, "connect timeout must be positive");
    if (cfg->max_retries > 100)
        return iam_error_set(err, IAM_E_CONFIG, "max retries must be at most 100");
    if (cfg->ca_file && access(cfg->ca_file, R_OK) != 0)
        return iam_error_set(err, IAM_E_CONFIG, "ca_file %s cannot be read", cfg->ca_file);
    for (size_t i = 0; i < cfg->header_count; i++) {
        const char *name = cfg->headers[i].name, *value = cfg->headers[i].value;
        if (!name || !*name || !value)
            return iam_error_set(err, IAM_E_CONFIG, "header %zu has no name or no value", i);
        for (const char *p = name; *p; p++)
            if (!is_token_char((unsigned char)*p))
                return iam_error_set(err, IAM_E_CONFIG, "header name %zu is not a valid HTTP token", i);
        if (strpbrk(value, "\r\n"))
            return iam_error_set(err, IAM_E_CONFIG, "the value of header %.64s contains a line break", name);
    }
    return IAM_OK;
}

static char *user_agent(iam_auth_type type, const char *extra)
{
    struct utsname u;
    const char *os = "unknown", *machine = "";
    if (uname(&u) == 0) {
        os = u.sysname;
        machine = u.machine;
    }
    char buf[256];
    snprintf(buf, sizeof buf, "iamcore/%s (%s; %s%s%s %s)", IAMCORE_VERSION,
             iam_auth_type_name(type), extra ? extra : "", extra ? "; " : "", os, machine);
    return iam_strdup(buf);
}

/* Standard base64 with padding of n bytes into out (4 * ((n + 2) / 3) + 1 bytes). */
static void base64(char *out, const unsigned char *in, size_t n)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        *out++ = digits[v >> 18];
        *out++ = digits[(v >> 12) & 63];
        *out++ = digits[(v >> 6) & 63];
        *out++ = digits[v & 63];
    }
    if (i < n) { /* 1 or 2 bytes left */
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0);
        *out++ = digits[v >> 18];
        *out++ = digits[(v >> 12) & 63];
        *out++ = i + 1 < n ? digits[(v >> 6) & 63] : '=';
        *out++ = '=';
    }
    *out = '\0';
}

static char *header_line(const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 3;
    char *line = malloc(n);
    if (line)
        snprintf(line, n, "%s: %s", name, value);
    return line;
}

static int user_sets(const iam_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->header_count; i++)
        if (strcasecmp(cfg->headers[i].name, name) == 0)
            return 1;
    return 0;
}

/* What a grant's requests carry besides the user's headers. */
typedef struct header_plan {
    const char *content_type;
    int basic_auth;       /* client id and secret as Basic authorization */
    int metadata_flavor;  /* Metadata-Flavor: ibm (VPC metadata service) */
} header_plan;

static header_plan plan_for(iam_auth_type type)
{
    header_plan p = {"application/x-www-form-urlencoded", 1, 0};
    if (type == IAM_AUTH_VPC)
        p = (header_plan){"application/json", 0, 1};
    else if (type == IAM_AUTH_IAM_ASSUME)
        p.basic_auth = 0; /* the assume grant takes no client credentials */
    return p;
}

/* Content-Type, Accept, Basic auth (client id and secret) or Metadata-Flavor,
 * then the user's headers; a user header replaces ours of the same name. */
static int build_headers(iam_auth *a, const iam_config *cfg, header_plan plan)
{
    /* Up to three of ours, the user's, and a NULL end marker. */
    a->header_lines = calloc(cfg->header_count + 4, sizeof *a->header_lines);
    if (!a->header_lines)
        return -1;
    char **l = a->header_lines;
    size_t n = 0;
    if (!user_sets(cfg, "Content-Type") &&
        !(l[n++] = header_line("Content-Type", plan.content_type)))
        return -1;
    if (!user_sets(cfg, "Accept") && !(l[n++] = iam_strdup("Accept: application/json")))
        return -1;
    if (plan.metadata_flavor && !user_sets(cfg, "Metadata-Flavor") &&
        !(l[n++] = iam_strdup("Metadata-Flavor: ibm")))
        return -1;
    if (plan.basic_auth && a->client_id && !user_sets(cfg, "Authorization")) {
        size_t plen = strlen(a->client_id) + strlen(a->client_secret) + 1;
        size_t blen = 6 + 4 * ((plen + 2) / 3) + 1; /* "Basic " + base64 + NUL */
        char *pair = malloc(plen + 1);
        char *basic = malloc(blen);
        if (!pair || !basic) {
            free(pair);
            free(basic);
            return -1;
        }
        {
            snprintf(pair, plen + 1, "%s:%s", a->client_id, a->client_secret);
            memcpy(basic, "Basic ", 6);
            base64(basic + 6, (const unsigned char *)pair, plen);
            l[n] = header_line("Authorization", basic);
        }
        iam_secret_free(pair);
        iam_secret_free(basic);
        if (!l[n++])
            return -1;
    }
    for (size_t i = 0; i < cfg->header_count; i++)
        if (!(l[n++] = header_line(cfg->headers[i].name, cfg->headers[i].value)))
            return -1;
    a->header_count = n;
    return 0;
}

static void auth_destroy(iam_auth *a)
{
    iam_token_cache_destroy(&a->cache);
    iam_shared_cache_free(a->shared);
    iam_http_free(a->http);
    iam_auth_free(a->inner);
    iam_secret_free(a->apikey);
    iam_secret_free(a->client_secret);
    iam_secret_free(a->refresh_token);
    if (a->refresh_mode)
        pthread_mutex_destroy(&a->refresh_mu);
    free(a->client_id);
    free(a->scope);
    free(a->iam_profile_name);
    free(a->iam_profile_id);
    free(a->iam_profile_crn);
    free(a->iam_account_id);
    free(a->cr_token_filename);
    free(a->vpc_identity_url);
    free(a->vpc_iam_url);
    free(a->token_url);
    if (a->header_lines) {
        for (size_t i = 0; a->header_lines[i]; i++) /* NULL-terminated, even half built */
            iam_secret_free(a->header_lines[i]);
        free(a->header_lines);
    }
    free(a);
}

static void auth_retain(void *p)
{
    atomic_fetch_add_explicit(&((iam_auth *)p)->refs, 1, memory_order_relaxed);
}

static void auth_release(void *p)
{
    iam_auth *a = p;
    if (atomic_fetch_sub_explicit(&a->refs, 1, memory_order_acq_rel) == 1)
        auth_destroy(a);
}

iam_auth *iam_auth_retain(iam_auth *a)
{
    if (a)
        auth_retain(a);
    return a;
}

void iam_auth_free(iam_auth *a)
{
    if (a) {
        iam_token_cache_drop_orphans(&a->cache); /* after a fork (token_cache.h) */
        auth_release(a);
    }
}

int iam_auth_post_form(iam_auth *a, const iam_buf *form, const char *what,
                       const char *const *secrets, size_t secret_count, char **refresh_token,
                       iam_token **out, iam_error *err)
{
    iam_token_request req = {
        .method = "POST",
        .url = a->token_url,
        .header_lines = (const char *const *)a->header_lines,
        .header_count = a->header_count,
        .body = form,
        .what = what ? what : "IAM token request",
        .secrets = secrets,
        .secret_count = secret_count,
        .times = IAM_TIMES_IAM,
        .refresh_token = refresh_token,
    };
    return iam_request_send(a->http, &req, out, err);
}

/* The grant's request(s). */
static int grant_fetch(iam_auth *a, iam_token **out, iam_error *err)
{
    switch (a->type) {
    case IAM_AUTH_IAM: return iam_auth_iam_fetch(a, out, err);
    case IAM_AUTH_CONTAINER: return iam_auth_container_fetch(a, out, err);
    case IAM_AUTH_VPC: return iam_auth_vpc_fetch(a, out, err);
    case IAM_AUTH_IAM_ASSUME: return iam_auth_assume_fetch(a, out, err);
    default: return iam_error_set(err, IAM_E_INTERNAL, "unknown authenticator type");
    }
}

/* The token cache's fetch: the grant, through the shared cache when one is set. */
static int auth_fetch(void *p, iam_cache_item **out, iam_error *err)
{
    iam_auth *a = p;
    iam_token *token = NULL;
    int rc = a->shared ? iam_auth_shared_fetch(a, grant_fetch, &token, err)
                       : grant_fetch(a, &token, err);
    if (rc != IAM_OK && token) {
        iam_token_release(token);
        token = NULL;
    }
    *out = token ? &token->base : NULL;
    return rc;
}

static int check_type(iam_auth_type type, const iam_config *cfg, iam_error *err)
{
    switch (type) {
    case IAM_AUTH_IAM: return iam_auth_iam_check(cfg, err);
    case IAM_AUTH_CONTAINER: return iam_auth_container_check(cfg, err);
    case IAM_AUTH_VPC: return iam_auth_vpc_check(cfg, err);
    case IAM_AUTH_IAM_ASSUME: return iam_auth_assume_check(cfg, err);
    default: return iam_error_set(err, IAM_E_CONFIG, "unknown authenticator type %d", (int)type);
    }
}

/* Copy the grant's own fields: IAM_OK, IAM_E_NOMEM, or another status with err
 * filled in. */
static int init_type(iam_auth *a, const iam_config *cfg, iam_error *err)
{
    switch (a->type) {
    case IAM_AUTH_IAM: return iam_auth_iam_init(a, cfg);
    case IAM_AUTH_CONTAINER: return iam_auth_container_init(a, cfg);
    case IAM_AUTH_VPC: return iam_auth_vpc_init(a, cfg);
    default: return iam_auth_assume_init(a, cfg, err);
    }
}

iam_status iam_auth_new(iam_auth **out, iam_auth_type type, const iam_config *cfg,
                        iam_error *err)
{
    iam_error_clear(err);
    *out = NULL;
    if (!cfg)
        return iam_error_set(err, IAM_E_CONFIG, "no configuration given");
    int rc = check_common(cfg, err);
    if (rc == IAM_OK)
        rc = check_type(type, cfg, err);
    if (rc != IAM_OK)
        return rc;

    iam_auth *a = calloc(1, sizeof *a);
    if (!a)
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    atomic_init(&a->refs, 1);
    a->type = type;
    if (iam_token_cache_init(&a->cache, auth_fetch, a, auth_retain, auth_release) != IAM_OK) {
        free(a);
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    }
    a->cache.log_auth_type = iam_auth_type_name(type);
    int oom = 0;
    /* The assume grant's client credentials and scope are its inner step's;
     * the metadata service takes none. */
    if (type == IAM_AUTH_IAM || type == IAM_AUTH_CONTAINER) {
        a->client_id = iam_dup_given(cfg->client_id, &oom);
        a->client_secret = iam_dup_given(cfg->client_secret, &oom);
        a->scope = iam_dup_given(cfg->scope, &oom);
    }
    if (type != IAM_AUTH_VPC) {
        a->token_url = iam_token_url(iam_given(cfg->url) ? cfg->url : IAM_DEFAULT_URL);
        oom |= !a->token_url;
    }
    char *ua = user_agent(type, cfg->user_agent_extra);
    iam_http_options ho = {
        .ca_file = cfg->ca_file,
        .insecure = cfg->disable_ssl_verification,
        .proxy = cfg->proxy && *cfg->proxy ? cfg->proxy : NULL,
        .timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : IAM_DEFAULT_TIMEOUT_MS,
        .connect_timeout_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms
                                                      : IAM_DEFAULT_CONNECT_TIMEOUT_MS,
        .max_retries = cfg->max_retries > 0 ? cfg->max_retries
                       : cfg->max_retries < 0 ? 0 : IAM_DEFAULT_MAX_RETRIES,
        .max_response_bytes = cfg->max_response_bytes ? cfg->max_response_bytes
                                                      : IAM_DEFAULT_MAX_RESPONSE_BYTES,
        .user_agent = ua,
    };
    int init = oom || !ua ? IAM_E_NOMEM : init_type(a, cfg, err);
    if (init == IAM_OK && build_headers(a, cfg, plan_for(type)) != 0)
        init = IAM_E_NOMEM;
    if (init == IAM_OK)
        init = iam_auth_shared_init(a, cfg, err);
    if (init == IAM_OK)
        rc = iam_http_new(&a->http, &ho, err);
    else if (init == IAM_E_NOMEM)
        rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
    else
        rc = init;
    free(ua);
    if (rc != IAM_OK) {
        auth_destroy(a);
        return rc;
    }
    *out = a;
    return IAM_OK;
}

iam_auth_type iam_auth_get_type(const iam_auth *a)
{
    return a->type;
}

iam_status iam_auth_get_token(iam_auth *a, iam_token **out, iam_error *err)
{
    *out = NULL;
    if (err)
        iam_error_clear(err);
    iam_cache_item *item = NULL;
    iam_status rc = iam_token_cache_get(&a->cache, &item, err);
    *out = (iam_token *)item;
    return rc;
}

uint64_t iam_auth_peek(iam_auth *a, int64_t *fresh_until_ms)
{
    return iam_token_cache_peek(&a->cache, fresh_until_ms);
}

void iam_auth_invalidate(iam_auth *a)
{
    if (a->shared)
        atomic_store(&a->shared_force, 1);
    iam_token_cache_invalidate(&a->cache);
}
