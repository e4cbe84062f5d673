/*
 * HTTP through libcurl: timeouts, TLS, proxies, a response size cap, connection
 * reuse (one easy handle per client) and bounded retries.
 *
 * fork(): a child inherits the handle and its open connections, which are the
 * parent's too (for TLS, the very same session). The child never uses them:
 * its first request (or free) notices the handle is inherited, points the
 * inherited sockets at /dev/null so that closing them (a TLS close_notify
 * included) cannot reach the parent's peer, and starts over with a new
 * handle. A handle that was in the middle of a request in another thread at
 * the fork is left untouched (that thread is not in the child) and its sockets
 * are closed.
 */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "http.h"
#include "ca_bundle.h"
#include "curl_lib.h"
#include "error.h"
#include "fork.h"
#include "log.h"
#include "token_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Sockets one handle can hold at once: libcurl's connection cache (5 by
 * default) plus a connect in progress for each address family. */
#define MAX_SOCKETS 8

struct iam_http {
    const iam_curl_api *api; /* with curl, set by the first request */
    CURL *curl;
    iam_http_options o;
    char *ca_file, *proxy, *user_agent;
    char *ca_default;             /* without ca_file: the bundle to trust (ca_bundle.h) */
    uint64_t rng; /* jitter only; not for secrets */
    unsigned fork_generation;     /* iam_fork_generation() when curl was made */
    atomic_int busy;              /* a request is using curl */
    atomic_int sockets[MAX_SOCKETS]; /* those curl opened and has not closed, -1: free */
};

const char *iam_version(void)
{
    return IAMCORE_VERSION;
}

int iam_http_new(iam_http **out, const iam_http_options *opts, iam_error *err)
{
    *out = NULL;
    iam_http *h = calloc(1, sizeof *h);
    if (!h)
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    h->o = *opts;
    h->ca_file = iam_strdup(opts->ca_file);
    h->proxy = iam_strdup(opts->proxy);
    h->user_agent = iam_strdup(opts->user_agent);
    for (int i = 0; i < MAX_SOCKETS; i++)
        atomic_init(&h->sockets[i], -1);
    atomic_init(&h->busy, 0);
    h->fork_generation = iam_fork_generation();
    if ((opts->ca_file && !h->ca_file) || (opts->proxy && !h->proxy) ||
        (opts->user_agent && !h->user_agent)) {
        iam_http_free(h);
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    }
    h->o.ca_file = h->ca_file;
    h->o.proxy = h->proxy;
    h->o.user_agent = h->user_agent;
    h->rng = (uint64_t)iam_now_ms() ^ (uint64_t)(uintptr_t)h ^ 0x9e3779b97f4a7c15ull;
    *out = h;
    return IAM_OK;
}

/* ---- sockets, tracked so that a forked child can let go of them */

static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
    iam_http *h = clientp;
    (void)purpose;
    /* Close-on-exec: a credential_process or any program the application
     * starts must not hold our connections. */
    int fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
    for (int i = 0; fd >= 0 && i < MAX_SOCKETS; i++) {
        int free_slot = -1;
        if (atomic_compare_exchange_strong(&h->sockets[i], &free_slot, fd))
            break;
    }
    return fd >= 0 ? fd : CURL_SOCKET_BAD;
}

static int close_socket(void *clientp, curl_socket_t fd)
{
    iam_http *h = clientp;
    for (int i = 0; i < MAX_SOCKETS; i++) {
        int tracked = fd;
        if (atomic_compare_exchange_strong(&h->sockets[i], &tracked, -1))
            break;
    }
    return close(fd);
}

/* In a child: let go of the inherited handle; the next request makes a new one. */
static void replace_inherited(iam_http *h)
{
    int busy = atomic_load(&h->busy);
    int null_fd = busy ? -1 : open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int i = 0; i < MAX_SOCKETS; i++) {
        int fd = atomic_load(&h->sockets[i]);
        if (fd < 0)
            continue;
        if (null_fd >= 0) {
            dup3(null_fd, fd, O_CLOEXEC); /* the handle closes it later, via close_socket */
        } else {
            close(fd);
            atomic_store(&h->sockets[i], -1);
        }
    }
    if (null_fd >= 0) {
        close(null_fd);
        if (h->curl)
            h->api->easy_cleanup(h->curl);
    }
    /* else: busy (its thread is not in this process) or no /dev/null: the old
     * handle is left as it is, never touched again. */
    atomic_store(&h->busy, 0);
    h->fork_generation = iam_fork_generation();
    h->curl = NULL;
}

/* Without ca_file: where libcurl's own default is missing (a bundled Debian
 * libcurl on another distribution), a bundle that exists. */
static void pick_ca_default(iam_http *h)
{
    char *builtin = NULL; /* libcurl's default (7.84 and later; else NULL) */
    h->api->easy_getinfo(h->curl, CURLINFO_CAINFO, &builtin);
    free(h->ca_default);
    /* Out of memory here only leaves libcurl's default in place. */
    h->ca_default = iam_strdup(iam_ca_pick(getenv("SSL_CERT_FILE"), builtin, iam_ca_bundles));
}

static int inherited(const iam_http *h)
{
    return h->fork_generation != iam_fork_generation();
}

void iam_http_free(iam_http *h)
{
    if (!h)
        return;
    if (inherited(h))
        replace_inherited(h);
    if (h->curl)
        h->api->easy_cleanup(h->curl);
    free(h->ca_file);
    free(h->ca_default);
    iam_secret_free(h->proxy); /* a proxy URL may carry user:password */
    free(h->user_agent);
    free(h);
}

void iam_http_response_free(iam_http_response *resp)
{
    iam_buf_free(&resp->body);
    resp->status = 0;
}

/* ---- per-attempt state shared with the libcurl callbacks */

typedef struct attempt {
    const iam_curl_api *api;
    iam_http_response *resp;
    size_t cap;
    int too_large;
    long retry_after_s; /* -1: none */
} attempt;

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    attempt *a = userp;
    size_t len = size * n;
    if (a->resp->body.len + len > a->cap) {
        a->too_large = 1;
        return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
    }
    iam_buf_append(&a->resp->body, data, len);
    return a->resp->body.oom ? 0 : len;
}

/* Value of header line `line` if its name is `name`, trimmed, else NULL. */
static const char *header_value(const char *line, size_t len, const char *name, size_t *vlen)
{
    size_t nlen = strlen(name);
    if (len <= nlen || line[nlen] != ':' || strncasecmp(line, name, nlen) != 0)
        return NULL;
    const char *v = line + nlen + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    *vlen = (size_t)(end - v);
    return v;
}

void iam_http_header_line(const char *line, size_t len, iam_http_response *resp,
                          long *retry_after_s)
{
    size_t vlen;
    const char *v;
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        /* A new response (after a redirect or 100-continue) starts afresh. */
        resp->transaction_id[0] = '\0';
        *retry_after_s = -1;
    } else if ((v = header_value(line, len, "X-Global-Transaction-ID", &vlen)) != NULL) {
        if (vlen >= sizeof resp->transaction_id)
            vlen = sizeof resp->transaction_id - 1;
        memcpy(resp->transaction_id, v, vlen);
        resp->transaction_id[vlen] = '\0';
    } else if ((v = header_value(line, len, "Retry-After", &vlen)) != NULL && vlen < 64) {
        char tmp[64];
        memcpy(tmp, v, vlen);
        tmp[vlen] = '\0';
        char *end;
        long secs = strtol(tmp, &end, 10);
        if (end != tmp && *end == '\0' && secs >= 0) {
            *retry_after_s = secs;
        } else {
            /* An HTTP date. libcurl is loaded when a response arrives
             * (only a fuzz target calls this without one). */
            const iam_curl_api *api = iam_curl(NULL);
            time_t when = api ? api->getdate(tmp, NULL) : -1;
            if (when != -1) {
                long d = (long)(when - time(NULL));
                *retry_after_s = d > 0 ? d : 0;
            }
        }
        /* Longer waits exceed any total timeout anyway; the cap keeps the
         * millisecond arithmetic of the retry loop from overflowing. */
        if (*retry_after_s > IAM_HTTP_RETRY_AFTER_MAX_S)
            *retry_after_s = IAM_HTTP_RETRY_AFTER_MAX_S;
    }
}

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
    attempt *a = userp;
    iam_http_header_line(data, size * n, a->resp, &a->retry_after_s);
    return size * n;
}

static uint64_t next_random(iam_http *h)
{
    /* xorshift64*: spreads retries of many clients; no security role. */
    h->rng ^= h->rng >> 12;
    h->rng ^= h->rng << 25;
    h->rng ^= h->rng >> 27;
    return h->rng * 2685821657736338717ull;
}

static void sleep_ms(long ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int is_tls_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
        return 1;
    default:
        return 0;
    }
}

/* Connection-level failures worth another attempt. */
static int is_retryable_curl_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT: /* only a connect timeout leaves time to retry */
        return 1;
    default:
        return 0;
    }
}

static int set_common_options(iam_http *h, attempt *a)
{
    CURL *c = h->curl;
    CURLcode rc = CURLE_OK;
#define SET(opt, val) if (rc == CURLE_OK) rc = h->api->easy_setopt(c, opt, val)
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_SSL_VERIFYPEER, h->o.insecure ? 0L : 1L);
    SET(CURLOPT_SSL_VERIFYHOST, h->o.insecure ? 0L : 2L);
    if (h->o.ca_file || h->ca_default)
        SET(CURLOPT_CAINFO, h->o.ca_file ? h->o.ca_file : h->ca_default);
    if (h->o.proxy)
        SET(CURLOPT_PROXY, h->o.proxy);
    if (h->o.user_agent)
        SET(CURLOPT_USERAGENT, h->o.user_agent);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->o.max_response_bytes);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, a);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, a);
    SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
    SET(CURLOPT_OPENSOCKETDATA, h);
    SET(CURLOPT_CLOSESOCKETFUNCTION, close_socket);
    SET(CURLOPT_CLOSESOCKETDATA, h);
#undef SET
    return rc == CURLE_OK ? 0 : -1;
}

/* libcurl's message for a failed transfer, with the user:password of any URL it
 * quotes replaced: a malformed proxy URL (the option, or HTTPS_PROXY) is quoted
 * whole, credentials included. */
static void curl_reason(const iam_curl_api *api, char *out, size_t cap, CURLcode rc,
                        const char *errbuf)
{
    static const char mark[] = "[redacted]";
    const char *in = errbuf[0] ? errbuf : api->easy_strerror(rc);
    size_t n = 0;
    while (*in && n + 1 < cap) {
        const char *at = NULL, *end = in + 3;
        if (strncmp(in, "://", 3) == 0) {
            /* The authority ends at a path, a quote or white space; userinfo at its last '@'. */
            for (; *end && !strchr("/?#'\"<> \t\r\n", *end); end++)
                if (*end == '@')
                    at = end;
        }
        if (!at) {
            out[n++] = *in++;
            continue;
        }
        int w = snprintf(out + n, cap - n, "://%s", mark);
        n = w < 0 || (size_t)w >= cap - n ? cap - 1 : n + (size_t)w;
        in = at;
    }
    out[n] = '\0';
}

static int describe_curl_error(const iam_curl_api *api, iam_error *err, CURLcode rc,
                               const char *errbuf, const char *url)
{
    char why[CURL_ERROR_SIZE + 16];
    int status;
    curl_reason(api, why, sizeof why, rc, errbuf);
    if (rc == CURLE_OPERATION_TIMEDOUT)
        status = iam_error_set(err, IAM_E_TIMEOUT, "request to %s timed out: %s", url, why);
    else if (is_tls_error(rc))
        status = iam_error_set(err, IAM_E_TLS, "TLS failure talking to %s: %s", url, why);
    else
        status = iam_error_set(err, IAM_E_TRANSPORT, "request to %s failed: %s", url, why);
    iam_wipe(why, sizeof why);
    return status;
}

/* Header lines may carry credentials (Basic auth): zero them before freeing. */
static void free_header_lines(const iam_curl_api *api, struct curl_slist *list)
{
    for (struct curl_slist *l = list; l; l = l->next)
        iam_wipe(l->data, strlen(l->data));
    if (list)
        api->slist_free_all(list);
}

/* Point the reused handle at this request's method and body. */
static CURLcode set_method(iam_http *h, const char *method, const char *body, size_t body_len)
{
    CURL *c = h->curl;
    CURLcode rc;
    if (strcmp(method, "GET") == 0) {
        rc = h->api->easy_setopt(c, CURLOPT_HTTPGET, 1L);
        if (rc == CURLE_OK)
            rc = h->api->easy_setopt(c, CURLOPT_CUSTOMREQUEST, (char *)NULL);
        return rc;
    }
    /* POST, or PUT with a body: POSTFIELDS sends it, CUSTOMREQUEST renames the method. */
    rc = h->api->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    if (rc == CURLE_OK)
        rc = h->api->easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    if (rc == CURLE_OK)
        rc = h->api->easy_setopt(c, CURLOPT_CUSTOMREQUEST,
                                 strcmp(method, "POST") == 0 ? NULL : method);
    return rc;
}

/* The retry event (log.h): why attempt attempt_no + 1 failed, and the wait. */
static void log_retry(const iam_curl_api *api, const char *url, int attempt_no, CURLcode rc, long status,
                      long retry_after_s, const char *errbuf, long wait_ms)
{
    char reason[CURL_ERROR_SIZE + 48];
    if (rc == CURLE_OK && retry_after_s >= 0)
        snprintf(reason, sizeof reason, "HTTP %ld, Retry-After %ld s", status, retry_after_s);
    else if (rc == CURLE_OK)
        snprintf(reason, sizeof reason, "HTTP %ld", status);
    else
        curl_reason(api, reason, sizeof reason, rc, errbuf);
    iam_log_retry(url, attempt_no + 1, rc == CURLE_OK ? status : 0, reason, wait_ms);
    iam_wipe(reason, sizeof reason);
}

int iam_http_post(iam_http *h, const char *url, const char *const *header_lines,
                  size_t header_count, const char *body, size_t body_len,
                  iam_http_response *resp, iam_error *err)
{
    return iam_http_request(h, "POST", url, header_lines, header_count, body, body_len, resp, err);
}

int iam_http_request(iam_http *h, const char *method, const char *url,
                     const char *const *header_lines, size_t header_count, const char *body,
                     size_t body_len, iam_http_response *resp, iam_error *err)
{
    memset(resp, 0, sizeof *resp);
    if (inherited(h))
        replace_inherited(h);
    if (!h->curl) { /* the first request: load libcurl now */
        if (!(h->api = iam_curl(err)))
            return IAM_E_INTERNAL;
        if (!(h->curl = h->api->easy_init()))
            return iam_error_set(err, IAM_E_NOMEM, "out of memory");
        if (!h->ca_file)
            pick_ca_default(h);
    }
    const iam_curl_api *cu = h->api;
    atomic_store(&h->busy, 1);
    int status = IAM_E_NOMEM;
    struct curl_slist *headers = NULL;
    for (size_t i = 0; i < header_count; i++) {
        struct curl_slist *next = cu->slist_append(headers, header_lines[i]);
        if (!next) {
            iam_error_set(err, IAM_E_NOMEM, "out of memory");
            goto fail_headers;
        }
        headers = next;
    }
    /* No "Expect: 100-continue" round trip for small bodies. */
    struct curl_slist *next = cu->slist_append(headers, "Expect:");
    if (!next) {
        iam_error_set(err, IAM_E_NOMEM, "out of memory");
        goto fail_headers;
    }
    headers = next;

    const int64_t start = iam_now_ms();
    const int64_t deadline = start + h->o.timeout_ms;
    long backoff_ms = 250;
    status = IAM_E_INTERNAL;
    char errbuf[CURL_ERROR_SIZE];
    int attempts = 0;

    for (int attempt_no = 0;; attempt_no++) {
        int64_t remaining = deadline - iam_now_ms();
        if (remaining <= 0) {
            if (attempt_no == 0)
                status = iam_error_set(err, IAM_E_TIMEOUT, "request to %s timed out", url);
            break; /* err describes the last attempt */
        }
        iam_http_response_free(resp);
        resp->transaction_id[0] = '\0';
        attempt a = {cu, resp, h->o.max_response_bytes, 0, -1};
        errbuf[0] = '\0';
        if (set_common_options(h, &a) != 0 ||
            cu->easy_setopt(h->curl, CURLOPT_URL, url) != CURLE_OK ||
            cu->easy_setopt(h->curl, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
            set_method(h, method, body, body_len) != CURLE_OK ||
            cu->easy_setopt(h->curl, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
            cu->easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, (long)remaining) != CURLE_OK ||
            cu->easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS,
                            h->o.connect_timeout_ms < remaining ? h->o.connect_timeout_ms
                                                                : (long)remaining) != CURLE_OK) {
            status = iam_error_set(err, IAM_E_INTERNAL, "libcurl rejected an option");
            break;
        }
        CURLcode rc = cu->easy_perform(h->curl);
        /* Detach our stack buffers from the reusable handle. */
        cu->easy_setopt(h->curl, CURLOPT_ERRORBUFFER, (char *)NULL);
        cu->easy_setopt(h->curl, CURLOPT_POSTFIELDS, (char *)NULL);
        cu->easy_setopt(h->curl, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
        attempts = attempt_no + 1;
        if (err)
            err->attempts = attempts;

        long wait_ms = -1; /* -1: do not retry */
        if (rc == CURLE_OK) {
            cu->easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
            if (resp->status == 429 || resp->status >= 500) {
                status = IAM_OK; /* the caller turns the final status into an error */
                if (a.retry_after_s >= 0)
                    wait_ms = a.retry_after_s * 1000;
                else
                    wait_ms = 0;
            } else {
                status = IAM_OK;
                break;
            }
        } else if (a.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
            status = iam_error_set(err, IAM_E_TRANSPORT,
                                   "response from %s is larger than %zu bytes", url,
                                   h->o.max_response_bytes);
            break;
        } else if (resp->body.oom) {
            status = iam_error_set(err, IAM_E_NOMEM, "out of memory");
            break;
        } else {
            status = describe_curl_error(cu, err, rc, errbuf, url);
            if (!is_retryable_curl_error(rc))
                break;
            wait_ms = 0;
        }

        if (attempt_no >= h->o.max_retries)
            break;
        /* Exponential back-off with jitter (half fixed, half random), or the
         * server's Retry-After when it gave one. */
        if (wait_ms == 0) {
            wait_ms = backoff_ms / 2 + (long)(next_random(h) % (uint64_t)(backoff_ms / 2 + 1));
            backoff_ms = backoff_ms * 2 > 8000 ? 8000 : backoff_ms * 2;
        }
        if (iam_now_ms() + wait_ms >= deadline)
            break; /* the wait would use up the total timeout: report now */
        if (iam_log_on())
            log_retry(cu, url, attempt_no, rc, resp->status, a.retry_after_s, errbuf, wait_ms);
        sleep_ms(wait_ms);
    }
    iam_wipe(errbuf, sizeof errbuf); /* libcurl may have quoted a proxy URL with its password */
    if (iam_log_on())
        iam_log_http_done(url, status == IAM_OK ? resp->status : 0, attempts);

    if (status == IAM_OK && err)
        err->code = IAM_OK;
fail_headers:
    free_header_lines(cu, headers);
    if (status != IAM_OK)
        iam_http_response_free(resp);
    atomic_store(&h->busy, 0);
    return status;
}
