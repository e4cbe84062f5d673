/* Authenticator objects: configuration checks, copies, request headers, and
 * the fetch that the token cache calls. */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "auth.h"
#include "error.h"
#include "iam_request.h"
#include "token.h"

#include <openssl/evp.h>
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
    default: return "unknown";
    }
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
    if (cfg->version != IAM_CONFIG_VERSION)
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

/* Content-Type, Accept, Basic auth (client id and secret), then the user's
 * headers; a user header replaces ours of the same name. */
static int build_headers(iam_auth *a, const iam_config *cfg)
{
    /* Up to three of ours, the user's, and a NULL end marker. */
    a->header_lines = calloc(cfg->header_count + 4, sizeof *a->header_lines);
    if (!a->header_lines)
        return -1;
    char **l = a->header_lines;
    size_t n = 0;
    if (!user_sets(cfg, "Content-Type") &&
        !(l[n++] = iam_strdup("Content-Type: application/x-www-form-urlencoded")))
        return -1;
    if (!user_sets(cfg, "Accept") && !(l[n++] = iam_strdup("Accept: application/json")))
        return -1;
    if (a->client_id && !user_sets(cfg, "Authorization")) {
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
            EVP_EncodeBlock((unsigned char *)basic + 6, (const unsigned char *)pair, (int)plen);
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
    iam_http_free(a->http);
    iam_secret_free(a->apikey);
    iam_secret_free(a->client_secret);
    free(a->client_id);
    free(a->scope);
    free(a->iam_profile_name);
    free(a->iam_profile_id);
    free(a->iam_profile_crn);
    free(a->cr_token_filename);
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
    if (a)
        auth_release(a);
}

/* The token cache's fetch: build the grant's form, POST it, parse the answer. */
static int auth_fetch(void *p, iam_cache_item **out, iam_error *err)
{
    iam_auth *a = p;
    iam_token *token = NULL;
    iam_buf form = {0};
    char *cr_token = NULL;
    int rc = a->type == IAM_AUTH_IAM ? iam_auth_iam_form(a, &form, err)
                                     : iam_auth_container_form(a, &form, &cr_token, err);
    if (rc == IAM_OK) {
        const char *secrets[] = {a->apikey, a->client_secret, cr_token};
        rc = iam_request_token(a->http, a->token_url, (const char *const *)a->header_lines,
                               a->header_count, &form, secrets, 3, &token, err);
    }
    *out = token ? &token->base : NULL;
    iam_buf_free(&form);
    iam_secret_free(cr_token);
    return rc;
}

static char *dup_nonempty(const char *s)
{
    return s && *s ? iam_strdup(s) : NULL;
}

iam_status iam_auth_new(iam_auth **out, iam_auth_type type, const iam_config *cfg,
                        iam_error *err)
{
    iam_error_clear(err);
    *out = NULL;
    if (!cfg)
        return iam_error_set(err, IAM_E_CONFIG, "no configuration given");
    int rc = check_common(cfg, err);
    if (rc == IAM_OK) {
        if (type == IAM_AUTH_IAM)
            rc = iam_auth_iam_check(cfg, err);
        else if (type == IAM_AUTH_CONTAINER)
            rc = iam_auth_container_check(cfg, err);
        else
            rc = iam_error_set(err, IAM_E_CONFIG, "unknown authenticator type %d", (int)type);
    }
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
    a->apikey = type == IAM_AUTH_IAM ? iam_strdup(cfg->apikey) : NULL;
    a->client_id = dup_nonempty(cfg->client_id);
    a->client_secret = dup_nonempty(cfg->client_secret);
    a->scope = dup_nonempty(cfg->scope);
    if (type == IAM_AUTH_CONTAINER) {
        a->iam_profile_name = dup_nonempty(cfg->iam_profile_name);
        a->iam_profile_id = dup_nonempty(cfg->iam_profile_id);
        a->iam_profile_crn = dup_nonempty(cfg->iam_profile_crn);
        a->cr_token_filename = dup_nonempty(cfg->cr_token_filename);
    }
    a->token_url = iam_token_url(cfg->url && *cfg->url ? cfg->url : IAM_DEFAULT_URL);
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
    int missing = (type == IAM_AUTH_IAM && !a->apikey) || (cfg->client_id && *cfg->client_id && !a->client_id) ||
                  !a->token_url || !ua || build_headers(a, cfg) != 0;
    if (!missing)
        rc = iam_http_new(&a->http, &ho, err);
    else
        rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
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
    iam_token_cache_invalidate(&a->cache);
}
