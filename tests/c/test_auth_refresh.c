/* The refresh-token grant of the IAM authenticator: configuration checks, the
 * request, keeping the newest refresh token (also from background refreshes,
 * under TSan too), errors — against the emulator (tests/c/run.sh). */
#define _GNU_SOURCE
#include "check.h"
#include "iamcore.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth_check.h"
#include "emulator.h"

static const char *https_url, *ca_file;

/* A refresh token the emulator issued, from a plain API-key grant (with
 * issue_refresh_tokens on). A secret: compared, never printed. Free it. */
static char *issued_refresh_token(void)
{
    token_settings("{\"issue_refresh_tokens\":true}");
    char url[256];
    snprintf(url, sizeof url, "%s/identity/token", http_url);
    CURL *c = curl_easy_init();
    char *body = NULL;
    struct curl_slist *h =
        curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "grant_type=urn:ibm:params:oauth:grant-type:apikey"
                                            "&apikey=seed-key&response_type=cloud_iam");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_perform(c);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    cJSON *root = body ? cJSON_Parse(body) : NULL;
    const char *r = request_str(root, NULL, "refresh_token");
    char *out = r ? strdup(r) : NULL;
    cJSON_Delete(root);
    free(body);
    CHECK(out && strncmp(out, "emu-refresh-", 12) == 0);
    return out;
}

static iam_config refresh_config(const char *refresh_token)
{
    iam_config c = IAM_CONFIG_INIT;
    c.refresh_token = refresh_token;
    c.client_id = "bx";
    c.client_secret = "bx-secret";
    c.url = http_url;
    return c;
}

/* A copy of the refresh_token form field of the i-th refresh grant (negative:
 * from the end); free it. */
static char *sent_refresh_token(int i)
{
    cJSON *all = requests_of("iam");
    cJSON *list = cJSON_GetObjectItem(all, "requests");
    int seen = 0, n = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, list) {
        const char *g = request_str(r, "form", "grant_type");
        n += g && strcmp(g, "refresh_token") == 0;
    }
    int want = i < 0 ? n + i : i;
    char *out = NULL;
    cJSON_ArrayForEach(r, list) {
        const char *g = request_str(r, "form", "grant_type");
        if (g && strcmp(g, "refresh_token") == 0 && seen++ == want) {
            const char *v = request_str(r, "form", "refresh_token");
            out = v ? strdup(v) : NULL;
        }
    }
    cJSON_Delete(all);
    return out;
}

static void configuration_rules(void)
{
    iam_config c = IAM_CONFIG_INIT;
    c.refresh_token = "refresh-secret-77";
    CHECK(auth_config_fails(IAM_AUTH_IAM, &c, "client_id, client_secret", "refresh-secret-77"));
    c.client_id = "bx";
    CHECK(auth_config_fails(IAM_AUTH_IAM, &c, "together", "refresh-secret-77"));
    c.client_secret = "bx-secret";
    c.apikey = "key-secret-77";
    CHECK(auth_config_fails(IAM_AUTH_IAM, &c, "not both", "key-secret-77"));
    c.apikey = "";
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c); /* an empty API key is no API key */
    CHECK(a != NULL);
    iam_auth_free(a);
    c.apikey = NULL;
    c.refresh_token = "\"refresh-secret-77\"";
    CHECK(auth_config_fails(IAM_AUTH_IAM, &c, "curly bracket or a quote", "refresh-secret-77"));
    c.refresh_token = NULL;
    CHECK(auth_config_fails(IAM_AUTH_IAM, &c, "refresh_token", NULL)); /* neither: names both options */
    CHECK(auth_config_fails(IAM_AUTH_IAM, &c, "apikey", NULL));
}

static void the_refresh_grant_request(void)
{
    reset();
    char *r0 = issued_refresh_token();
    iam_config c = refresh_config(r0);
    c.scope = "ibm openid";
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    cJSON *all = requests_of("iam");
    cJSON *r = request_at(all, -1);
    CHECK_EQ_STR(request_str(r, "form", "grant_type"), "refresh_token");
    CHECK_SECRET_EQ(request_str(r, "form", "refresh_token"), r0);
    CHECK_EQ_STR(request_str(r, "form", "response_type"), "cloud_iam");
    CHECK_EQ_STR(request_str(r, "form", "scope"), "ibm openid");
    CHECK(request_str(r, "form", "apikey") == NULL);
    CHECK_SECRET_EQ(request_str(r, "headers", "authorization"), "Basic Yng6Yngtc2VjcmV0");
    cJSON_Delete(all);
    iam_auth_free(a);
    free(r0);
}

/* Each answer's refresh token is used by the next refresh. */
static void the_newest_refresh_token_is_kept(void)
{
    reset();
    char *r0 = issued_refresh_token();
    iam_config c = refresh_config(r0);
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
    iam_error err;
    char *sent[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
        sent[i] = sent_refresh_token(-1);
        iam_auth_invalidate(a);
    }
    CHECK_SECRET_EQ(sent[0], r0);
    CHECK(sent[1] && strcmp(sent[1], r0) != 0 && strncmp(sent[1], "emu-refresh-", 12) == 0);
    CHECK(sent[2] && sent[1] && strcmp(sent[2], sent[1]) != 0 && strcmp(sent[2], r0) != 0);
    for (int i = 0; i < 3; i++)
        free(sent[i]);
    iam_auth_free(a);
    free(r0);
}

/* "not_supported" or no refresh_token at all: the one we have stays. */
static void not_supported_or_absent_keeps_the_current_one(void)
{
    reset();
    char *r0 = issued_refresh_token();
    iam_config c = refresh_config(r0);
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK); /* sends r0, gets r1 */
    token_settings("{\"issue_refresh_tokens\":false}");
    iam_auth_invalidate(a);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK); /* sends r1, gets "not_supported" */
    char *r1 = sent_refresh_token(-1);
    iam_auth_invalidate(a);
    enqueue("{\"responses\":[{\"json\":{\"access_token\":\"opaque-no-refresh\","
            "\"expires_in\":3600}}]}");
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK); /* sends r1, gets none */
    char *again = sent_refresh_token(-1);
    CHECK_SECRET_EQ(again, r1);
    iam_auth_invalidate(a);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK); /* still r1, and IAM still knows it */
    char *third = sent_refresh_token(-1);
    CHECK_SECRET_EQ(third, r1);
    CHECK(r1 && strcmp(r1, r0) != 0);
    free(third);
    free(again);
    free(r1);
    iam_auth_free(a);
    free(r0);
}

static void a_refused_refresh_token_is_an_auth_error_without_it(void)
{
    reset();
    iam_config c = refresh_config("emu-refresh-0-unknown-secret");
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_AUTH);
    CHECK_EQ_INT(err.http_status, 400);
    CHECK_EQ_STR(err.error_code, "BXNIM0408E");
    CHECK(strncmp(err.transaction_id, "emu-", 4) == 0);
    CHECK(strstr(err.message, "unknown-secret") == NULL);
    CHECK_EQ_INT(endpoint_count("iam"), 1); /* a 4xx is not retried */

    enqueue("{\"responses\":[{\"status\":400,\"error\":{\"errorCode\":\"BXNIM0408E\","
            "\"errorMessage\":\"emu-refresh-0-unknown-secret has expired\"}}]}");
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_AUTH);
    CHECK(strstr(err.error_message, "unknown-secret") == NULL);
    CHECK(strstr(err.error_message, "[redacted]") != NULL);
    iam_auth_free(a);
}

static void https_needs_the_test_ca(void)
{
    reset();
    char *r0 = issued_refresh_token();
    iam_config c = refresh_config(r0);
    c.url = https_url;
    c.max_retries = -1;
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_TLS);
    iam_auth_free(a);
    c.ca_file = ca_file;
    a = auth_make(IAM_AUTH_IAM, &c);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    iam_auth_free(a);
    free(r0);
}

typedef struct caller {
    iam_auth *auth;
    int status;
    int rounds;
} caller;

static void *get_repeatedly(void *arg)
{
    caller *c = arg;
    c->status = IAM_OK;
    for (int i = 0; i < c->rounds && c->status == IAM_OK; i++) {
        iam_error err;
        c->status = auth_fetch(c->auth, &err);
        if (c->rounds > 1)
            usleep(2000);
    }
    return NULL;
}

static void concurrent_callers_share_one_request(void)
{
    reset();
    char *r0 = issued_refresh_token();
    token_settings("{\"delay_ms\":300}");
    iam_config c = refresh_config(r0);
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
    enum { N = 16 };
    caller callers[N];
    pthread_t threads[N];
    for (int i = 0; i < N; i++) {
        callers[i] = (caller){a, IAM_E_INTERNAL, 1};
        pthread_create(&threads[i], NULL, get_repeatedly, &callers[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(threads[i], NULL);
        CHECK_EQ_INT(callers[i].status, IAM_OK);
    }
    CHECK_EQ_INT(endpoint_count("iam"), 2); /* the seed grant and one refresh grant */
    iam_auth_free(a);
    free(r0);
    reset();
}

/* How many refresh grants the emulator received. */
static int refresh_grants(void)
{
    cJSON *all = requests_of("iam");
    const cJSON *r;
    int n = 0;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(all, "requests")) {
        const char *g = request_str(r, "form", "grant_type");
        n += g && strcmp(g, "refresh_token") == 0;
    }
    cJSON_Delete(all);
    return n;
}

/* Tokens due for refresh at once: background refreshes rotate the refresh token
 * while other threads keep reading tokens. Each refresh grant must send the
 * token the previous one received: a refused one (unknown to IAM) would leave
 * the old one in place, and the same token would be sent twice in a row. */
static void background_refreshes_rotate_the_refresh_token(void)
{
    reset();
    char *r0 = issued_refresh_token();
    /* issued 3000 s ago, 3600 s lifetime: valid, and its refresh is due */
    token_settings("{\"iat_offset\":-3000}");
    iam_config c = refresh_config(r0);
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    enum { N = 8 };
    caller callers[N];
    pthread_t threads[N];
    for (int i = 0; i < N; i++) {
        callers[i] = (caller){a, IAM_E_INTERNAL, 25};
        pthread_create(&threads[i], NULL, get_repeatedly, &callers[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(threads[i], NULL);
        CHECK_EQ_INT(callers[i].status, IAM_OK);
    }
    token_settings("{\"iat_offset\":0}"); /* no more refreshes due */
    int before = -1, now = refresh_grants();
    for (int i = 0; i < 50 && now != before; i++) { /* let the last one land */
        usleep(200000);
        before = now;
        now = refresh_grants();
    }
    CHECK(now >= 2); /* the first fetch and at least one background refresh */
    iam_auth_invalidate(a);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    CHECK_EQ_INT(refresh_grants(), now + 1);

    char *previous = sent_refresh_token(0);
    CHECK_SECRET_EQ(previous, r0);
    for (int i = 1; i <= now; i++) {
        char *sent = sent_refresh_token(i);
        CHECK(sent && previous && strcmp(sent, previous) != 0);
        free(previous);
        previous = sent;
    }
    free(previous);
    iam_auth_free(a);
    free(r0);
    reset();
}

int main(void)
{
    http_url = getenv("IAMCORE_EMULATOR_HTTP");
    https_url = getenv("IAMCORE_EMULATOR_HTTPS");
    ca_file = getenv("IAMCORE_EMULATOR_CA");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    RUN(configuration_rules);
    if (!http_url || !https_url || !ca_file) {
        fprintf(stderr, "IAMCORE_EMULATOR_* not set: run through tests/c/run.sh\n");
        return 1;
    }
    RUN(the_refresh_grant_request);
    RUN(the_newest_refresh_token_is_kept);
    RUN(not_supported_or_absent_keeps_the_current_one);
    RUN(a_refused_refresh_token_is_an_auth_error_without_it);
    RUN(https_needs_the_test_ca);
    RUN(concurrent_callers_share_one_request);
    RUN(background_refreshes_rotate_the_refresh_token);
    curl_global_cleanup();
    return CHECK_DONE();
}
