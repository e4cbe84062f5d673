/* The HTTP layer against the emulator: methods, bodies, headers, statuses. */
#define _GNU_SOURCE
#include "check.h"
#include "emulator.h"
#include "http.h"
#include "iamcore_log.h"

#include <stdlib.h>

#include <time.h>

static iam_http *client(void)
{
    iam_http_options o = {.timeout_ms = 5000, .connect_timeout_ms = 2000, .max_retries = 0,
                          .max_response_bytes = 1 << 20, .user_agent = "iamcore-test"};
    iam_http *h = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_http_new(&h, &o, &err), IAM_OK);
    return h;
}

static char *last_method(void)
{
    char *body = control("requests", NULL);
    cJSON *root = body ? cJSON_Parse(body) : NULL;
    cJSON *list = cJSON_GetObjectItem(root, "requests");
    cJSON *last = cJSON_GetArrayItem(list, cJSON_GetArraySize(list) - 1);
    cJSON *m = cJSON_GetObjectItem(last, "method");
    char *out = cJSON_IsString(m) ? strdup(m->valuestring) : NULL;
    cJSON_Delete(root);
    free(body);
    return out;
}

static void each_method_reaches_the_server(void)
{
    char url[256];
    snprintf(url, sizeof url, "%s/identity/token", http_url);
    iam_http *h = client();
    const char *methods[] = {"GET", "PUT", "POST", "GET"};
    for (size_t i = 0; i < 4; i++) {
        reset();
        iam_http_response resp;
        iam_error err;
        const char *lines[] = {"Content-Type: application/x-www-form-urlencoded"};
        CHECK_EQ_INT(iam_http_request(h, methods[i], url, lines, 1, "grant_type=x", 12, &resp, &err),
                     IAM_OK);
        char *m = last_method();
        CHECK_EQ_STR(m, methods[i]);
        free(m);
        /* The emulator answers 405 to anything but POST, 400 to an unknown grant. */
        CHECK_EQ_INT(resp.status, strcmp(methods[i], "POST") == 0 ? 400 : 405);
        CHECK(resp.body.len > 0);
        CHECK(strncmp(resp.transaction_id, "emu-", 4) == 0);
        iam_http_response_free(&resp);
    }
    iam_http_free(h);
}

/* Header lines as libcurl passes them, CRLF included. */
static long retry_after(const char *line)
{
    iam_http_response resp;
    memset(&resp, 0, sizeof resp);
    long secs = -1;
    iam_http_header_line(line, strlen(line), &resp, &secs);
    return secs;
}

static void retry_after_is_read_and_capped(void)
{
    CHECK_EQ_INT(retry_after("Retry-After: 3\r\n"), 3);
    CHECK_EQ_INT(retry_after("retry-after:0\r\n"), 0);
    CHECK_EQ_INT(retry_after("Retry-After: Sun, 06 Nov 1994 08:49:37 GMT\r\n"), 0);
    CHECK_EQ_INT(retry_after("Retry-After: -5\r\n"), -1);
    CHECK_EQ_INT(retry_after("Retry-After: soon\r\n"), -1);
    /* Values whose milliseconds overflow a long once made the retry loop spin. */
    CHECK_EQ_INT(retry_after("Retry-After: 9223372036854775807\r\n"), IAM_HTTP_RETRY_AFTER_MAX_S);
    CHECK_EQ_INT(retry_after("Retry-After: 99999999999999999999\r\n"), IAM_HTTP_RETRY_AFTER_MAX_S);
    CHECK_EQ_INT(retry_after("Retry-After: Fri, 31 Dec 9999 23:59:59 GMT\r\n"),
                 IAM_HTTP_RETRY_AFTER_MAX_S);

    iam_http_response resp;
    memset(&resp, 0, sizeof resp);
    long secs = -1;
    const char *lines[] = {"HTTP/1.1 429 Too Many Requests\r\n", "Retry-After: 2\r\n",
                           "X-Global-Transaction-ID:  emu-7 \r\n"};
    for (size_t i = 0; i < 3; i++)
        iam_http_header_line(lines[i], strlen(lines[i]), &resp, &secs);
    CHECK_EQ_INT(secs, 2);
    CHECK_EQ_STR(resp.transaction_id, "emu-7");
    iam_http_header_line(lines[0], strlen(lines[0]), &resp, &secs); /* a new response */
    CHECK_EQ_INT(secs, -1);
    CHECK_EQ_STR(resp.transaction_id, "");
}

/* A 429 whose Retry-After is far beyond the total timeout: the request ends
 * at once with that 429 (it once spun forever, ignoring the timeout). */
static void a_huge_retry_after_ends_within_the_timeout(void)
{
    reset();
    enqueue("{\"responses\":[{\"status\":429,\"headers\":{\"Retry-After\":"
            "\"9223372036854775807\"}},{\"status\":429,\"headers\":{\"Retry-After\":"
            "\"9223372036854775807\"}}]}");
    iam_http_options o = {.timeout_ms = 2000, .connect_timeout_ms = 2000, .max_retries = 3,
                          .max_response_bytes = 1 << 20, .user_agent = "iamcore-test"};
    iam_http *h = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_http_new(&h, &o, &err), IAM_OK);
    char url[256];
    snprintf(url, sizeof url, "%s/identity/token", http_url);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    iam_http_response resp;
    CHECK_EQ_INT(iam_http_request(h, "POST", url, NULL, 0, "grant_type=x", 12, &resp, &err),
                 IAM_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK_EQ_INT(resp.status, 429);
    CHECK_EQ_INT(request_count(), 1);
    CHECK(took < 1.0);
    iam_http_response_free(&resp);
    iam_http_free(h);
}

/* ---- a proxy URL's password never shows: libcurl quotes a malformed proxy URL
 * whole in its message, which becomes the error and the retry event */

#define PROXY_PASSWORD "proxy-pw-3Kq8Zt1Xv5"

static char events[4096];

static void keep_event(const iam_log_event *e, void *ctx)
{
    (void)ctx;
    size_t n = strlen(events);
    if (n < sizeof events - 1)
        iam_log_format(e, events + n, sizeof events - n);
}

static void proxy_fails(const char *proxy, const char *where)
{
    char url[256];
    snprintf(url, sizeof url, "%s/identity/token", http_url);
    iam_http_options o = {.timeout_ms = 5000, .connect_timeout_ms = 2000, .max_retries = 1,
                          .max_response_bytes = 1 << 20, .user_agent = "iamcore-test",
                          .proxy = proxy};
    iam_http *h = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_http_new(&h, &o, &err), IAM_OK);
    iam_http_response resp;
    events[0] = '\0';
    CHECK(iam_http_request(h, "POST", url, NULL, 0, "a=b", 3, &resp, &err) != IAM_OK);
    if (strstr(err.message, PROXY_PASSWORD) || strstr(events, PROXY_PASSWORD))
        fprintf(stderr, "  the proxy password shows (%s)\n", where);
    CHECK(strstr(err.message, PROXY_PASSWORD) == NULL);
    CHECK(strstr(events, PROXY_PASSWORD) == NULL);
    CHECK(strstr(err.message, "proxy") != NULL); /* still says what failed */
    iam_http_free(h);
}

static void a_proxy_password_never_shows(void)
{
    iam_set_log_hook(keep_event, NULL);
    proxy_fails("http://user:" PROXY_PASSWORD "@127.0.0.1:9\n", "the option");
    proxy_fails("http://user:" PROXY_PASSWORD "@with@at:9\t", "the option, '@' in the password");
    setenv("HTTP_PROXY", "http://user:" PROXY_PASSWORD "@127.0.0.1:9\n", 1);
    setenv("http_proxy", "http://user:" PROXY_PASSWORD "@127.0.0.1:9\n", 1);
    unsetenv("NO_PROXY");
    unsetenv("no_proxy");
    proxy_fails(NULL, "the environment");
    unsetenv("HTTP_PROXY");
    unsetenv("http_proxy");
    iam_set_log_hook(NULL, NULL);
}

int main(void)
{
    http_url = getenv("IAMCORE_EMULATOR_HTTP");
    if (!http_url) {
        fprintf(stderr, "IAMCORE_EMULATOR_HTTP not set: run through tests/c/run.sh\n");
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    RUN(each_method_reaches_the_server);
    RUN(retry_after_is_read_and_capped);
    RUN(a_huge_retry_after_ends_within_the_timeout);
    RUN(a_proxy_password_never_shows);
    curl_global_cleanup();
    return CHECK_DONE();
}
