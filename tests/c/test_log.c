/* Events (iamcore_log.h): formatting, what real fetches against the emulator
 * raise, that no secret is ever in one, and the hook's concurrency rules. Also
 * built under ThreadSanitizer. */
#define _GNU_SOURCE
#include "check.h"
#include "emulator.h"
#include "aws_credentials.h"
#include "iamcore.h"
#include "iamcore_aws.h"
#include "iamcore_log.h"
#include "log.h"
#include "secret.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* ---- a hook that keeps every event */

#define MAX_EVENTS 512

typedef struct seen {
    int level;
    char name[32];
    char line[1024];    /* iam_log_format */
    char strings[1024]; /* the raw string values, one per line */
} seen;

static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static seen events[MAX_EVENTS];
static int n_events;

static void keep_event(const iam_log_event *ev, void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&seen_mu);
    if (n_events < MAX_EVENTS) {
        seen *s = &events[n_events++];
        s->level = ev->level;
        snprintf(s->name, sizeof s->name, "%s", ev->name);
        iam_log_format(ev, s->line, sizeof s->line);
        size_t len = 0;
        s->strings[0] = '\0';
        for (size_t i = 0; i < ev->field_count; i++)
            if (ev->fields[i].type == IAM_LOG_FIELD_STRING && len < sizeof s->strings)
                len += (size_t)snprintf(s->strings + len, sizeof s->strings - len, "%s\n",
                                        ev->fields[i].string);
    }
    pthread_mutex_unlock(&seen_mu);
}

static void listen_from_now(void)
{
    pthread_mutex_lock(&seen_mu);
    n_events = 0;
    pthread_mutex_unlock(&seen_mu);
    iam_set_log_hook(keep_event, NULL);
}

static int total(void)
{
    pthread_mutex_lock(&seen_mu);
    int n = n_events;
    pthread_mutex_unlock(&seen_mu);
    return n;
}

static int count(const char *name)
{
    int n = 0;
    pthread_mutex_lock(&seen_mu);
    for (int i = 0; i < n_events; i++)
        n += strcmp(events[i].name, name) == 0;
    pthread_mutex_unlock(&seen_mu);
    return n;
}

/* A copy of the index-th event called name (0-based), or an empty one. */
static seen nth(const char *name, int index)
{
    seen out = {0};
    pthread_mutex_lock(&seen_mu);
    for (int i = 0; i < n_events; i++)
        if (strcmp(events[i].name, name) == 0 && index-- == 0) {
            out = events[i];
            break;
        }
    pthread_mutex_unlock(&seen_mu);
    return out;
}

static int wait_for(const char *name, int n, int timeout_ms)
{
    for (int waited = 0; count(name) < n && waited < timeout_ms; waited += 10)
        usleep(10000);
    return count(name) >= n;
}

static int has(const seen *s, const char *needle)
{
    return strstr(s->line, needle) != NULL;
}

/* Never prints the secret: only which event held it. */
static int events_hold(const char *secret)
{
    int found = 0;
    pthread_mutex_lock(&seen_mu);
    for (int i = 0; i < n_events; i++)
        if (strstr(events[i].line, secret) || strstr(events[i].strings, secret)) {
            fprintf(stderr, "  event %d (%s) holds a secret\n", i, events[i].name);
            found = 1;
        }
    pthread_mutex_unlock(&seen_mu);
    return found;
}

static iam_auth *iam_with(const char *apikey, int max_retries)
{
    iam_config c = IAM_CONFIG_INIT;
    c.apikey = apikey;
    c.url = http_url;
    c.timeout_ms = 10000;
    c.max_retries = max_retries;
    iam_auth *a = NULL;
    iam_error err;
    if (iam_auth_new(&a, IAM_AUTH_IAM, &c, &err) != IAM_OK)
        fprintf(stderr, "  unexpected config error: %s\n", err.message);
    return a;
}

static int fetch(iam_auth *a, char *copy, size_t cap)
{
    iam_token *t = NULL;
    iam_error err;
    int st = iam_auth_get_token(a, &t, &err);
    if (copy && cap)
        snprintf(copy, cap, "%s", t ? iam_token_value(t) : "");
    iam_token_release(t);
    return st;
}

/* ---- formatting */

static void format_quotes_and_truncates(void)
{
    iam_log_field f[] = {
        IAM_LOG_STR("auth_type", "iam"),
        IAM_LOG_INT("status", 503),
        IAM_LOG_INT("delta", -7),
        IAM_LOG_BOOL("background", 1),
        IAM_LOG_STR("message", "a \"quoted\" word\nand\\more"),
        IAM_LOG_STR("empty", ""),
        IAM_LOG_STR("eq", "a=b"),
        IAM_LOG_STR("ctl", "x\x01y"),
    };
    iam_log_event ev = {IAM_LOG_WARNING, "retry", 0, f, sizeof f / sizeof f[0]};
    const char *want = "retry auth_type=iam status=503 delta=-7 background=true "
                       "message=\"a \\\"quoted\\\" word\\nand\\\\more\" empty=\"\" eq=\"a=b\" "
                       "ctl=\"x?y\"";
    char buf[256];
    size_t n = iam_log_format(&ev, buf, sizeof buf);
    CHECK_EQ_STR(buf, want);
    CHECK_EQ_INT(n, strlen(want));
    char small[10];
    CHECK_EQ_INT(iam_log_format(&ev, small, sizeof small), strlen(want));
    CHECK_EQ_STR(small, "retry aut");
    CHECK_EQ_INT(iam_log_format(&ev, NULL, 0), strlen(want));
    CHECK_EQ_STR(iam_log_level_name(IAM_LOG_DEBUG), "debug");
    CHECK_EQ_STR(iam_log_level_name(IAM_LOG_ERROR), "error");
    CHECK_EQ_STR(iam_log_level_name(99), "unknown");
}

static void urls_lose_credentials_query_and_fragment(void)
{
    char out[64];
    iam_log_url(out, sizeof out, "https://user:pw@iam.example.com:8443/identity/token?apikey=k#frag");
    CHECK_EQ_STR(out, "https://iam.example.com:8443/identity/token");
    iam_log_url(out, sizeof out, "http://127.0.0.1:9/x");
    CHECK_EQ_STR(out, "http://127.0.0.1:9/x");
    iam_log_url(out, sizeof out, "https://db:5432/?Action=connect&X-Amz-Signature=abc");
    CHECK_EQ_STR(out, "https://db:5432/");
    iam_log_url(out, sizeof out, "host.example/path?q");
    CHECK_EQ_STR(out, "host.example/path");
    char tiny[8];
    iam_log_url(tiny, sizeof tiny, "https://long.example.com/");
    CHECK_EQ_STR(tiny, "https:/");
}

/* ---- events of real fetches */

static void a_fetch_raises_token_fetched_and_the_cache_none(void)
{
    reset();
    iam_auth *a = iam_with("log-key", 0);
    listen_from_now();
    CHECK_EQ_INT(fetch(a, NULL, 0), IAM_OK);
    CHECK_EQ_INT(count("token_fetched"), 1);
    seen e = nth("token_fetched", 0);
    char url[160];
    snprintf(url, sizeof url, " url=%s/identity/token ", http_url);
    CHECK_EQ_INT(e.level, IAM_LOG_INFO);
    CHECK(has(&e, "token_fetched auth_type=iam "));
    CHECK(has(&e, url));
    CHECK(has(&e, " status=200 attempts=1 expires_at="));
    CHECK(has(&e, " duration_ms="));
    CHECK(has(&e, " background=false"));
    seen r = nth("refresh_scheduled", 0);
    CHECK_EQ_INT(r.level, IAM_LOG_DEBUG);
    CHECK(has(&r, "refresh_scheduled auth_type=iam refresh_at="));

    int before = total();
    for (int i = 0; i < 100; i++)
        CHECK_EQ_INT(fetch(a, NULL, 0), IAM_OK);
    (void)iam_auth_peek(a, NULL);
    CHECK_EQ_INT(total(), before); /* the cached path raises nothing */
    iam_set_log_hook(NULL, NULL);
    iam_auth_free(a);
}

static void retries_say_why_and_how_long(void)
{
    reset();
    enqueue("{\"responses\":[{\"status\":500},{\"status\":429,\"headers\":{\"Retry-After\":\"1\"}},"
            "{\"token\":true}]}");
    iam_auth *a = iam_with("retry-key", 3);
    listen_from_now();
    CHECK_EQ_INT(fetch(a, NULL, 0), IAM_OK);
    CHECK_EQ_INT(count("retry"), 2);
    seen r1 = nth("retry", 0), r2 = nth("retry", 1);
    CHECK_EQ_INT(r1.level, IAM_LOG_WARNING);
    CHECK(has(&r1, "retry auth_type=iam url="));
    CHECK(has(&r1, " attempt=1 status=500 reason=\"HTTP 500\" delay_ms="));
    CHECK(has(&r2, " attempt=2 status=429 reason=\"HTTP 429, Retry-After 1 s\" delay_ms=1000"));
    seen e = nth("token_fetched", 0);
    CHECK(has(&e, " status=200 attempts=3 "));
    iam_set_log_hook(NULL, NULL);
    iam_auth_free(a);
}

static void failures_carry_the_error_not_the_key(void)
{
    reset();
    iam_auth *a = iam_with("bad-key", 0);
    listen_from_now();
    CHECK_EQ_INT(fetch(a, NULL, 0), IAM_E_AUTH);
    seen f = nth("failure", 0);
    CHECK_EQ_INT(f.level, IAM_LOG_ERROR);
    CHECK(has(&f, "failure auth_type=iam error=auth url="));
    CHECK(has(&f, " status=400 attempts=1 error_code=BXNIM0415E message=\"IAM token request failed"));
    CHECK(has(&f, " background=false token_valid=false"));
    CHECK_EQ_INT(count("token_fetched"), 0);
    iam_auth_free(a);

    /* A refused connection: retried, then a transport failure. */
    iam_config c = IAM_CONFIG_INIT;
    c.apikey = "refused-key";
    c.url = "http://127.0.0.1:1";
    c.max_retries = 1;
    c.timeout_ms = 5000;
    iam_error err;
    CHECK_EQ_INT(iam_auth_new(&a, IAM_AUTH_IAM, &c, &err), IAM_OK);
    listen_from_now();
    CHECK_EQ_INT(fetch(a, NULL, 0), IAM_E_TRANSPORT);
    seen r = nth("retry", 0);
    CHECK(has(&r, "retry auth_type=iam url=http://127.0.0.1:1/identity/token attempt=1 reason="));
    CHECK(!has(&r, " status="));
    f = nth("failure", 0);
    CHECK(has(&f, " error=transport url=http://127.0.0.1:1/identity/token attempts=2 "));
    iam_set_log_hook(NULL, NULL);
    iam_auth_free(a);
}

static void background_refreshes_are_reported(void)
{
    reset();
    token_settings("{\"iat_offset\":-3000,\"lifetime\":3600}"); /* refresh due at once */
    iam_auth *a = iam_with("refresh-key", 0);
    CHECK_EQ_INT(fetch(a, NULL, 0), IAM_OK);
    listen_from_now();
    CHECK_EQ_INT(fetch(a, NULL, 0), IAM_OK); /* cached, starts the refresh */
    CHECK(wait_for("refresh_scheduled", 1, 5000));
    seen s = nth("refresh_started", 0);
    CHECK_EQ_INT(s.level, IAM_LOG_DEBUG);
    CHECK(has(&s, "refresh_started auth_type=iam expires_at="));
    seen e = nth("token_fetched", 0);
    CHECK(has(&e, " background=true"));

    /* The new token is as old (same settings): its refresh is due too, and fails
     * now. That is a warning (the token is still served) with the next try. */
    enqueue("{\"responses\":[{\"status\":400,\"json\":{\"errorCode\":\"BXNIM0415E\","
            "\"errorMessage\":\"nope\"}}]}");
    listen_from_now();
    CHECK_EQ_INT(fetch(a, NULL, 0), IAM_OK);
    CHECK(wait_for("refresh_scheduled", 1, 5000));
    seen f = nth("failure", 0);
    CHECK_EQ_INT(f.level, IAM_LOG_WARNING);
    CHECK(has(&f, "failure auth_type=iam error=auth url="));
    CHECK(has(&f, " background=true token_valid=true"));
    CHECK_EQ_INT(count("token_fetched"), 0);
    iam_set_log_hook(NULL, NULL);
    iam_auth_free(a);
    usleep(100000); /* let the refresh thread drop its reference */
}

/* ---- secrets */

static char tmpdir[] = "/tmp/iamcore-logXXXXXX";

static const char *write_file(const char *name, const char *content)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = content ? fopen(path, "w") : NULL;
    if (f) {
        fputs(content, f);
        fclose(f);
    }
    return path;
}

static void clean_aws_env(void)
{
    const char *vars[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                          "AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
                          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                          "AWS_EC2_METADATA_SERVICE_ENDPOINT"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    setenv("AWS_CONFIG_FILE", write_file("aws-config", ""), 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", write_file("aws-credentials", ""), 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

static void no_event_ever_holds_a_secret(void)
{
    reset();
    if (!mkdtemp(tmpdir))
        return;
    listen_from_now();
    char t1[4096], t2[4096], t3[4096];

    /* API key with client id and secret; a retry, a refresh, a failure. */
    const char *apikey = "apikey-SECRET-0123456789", *client_secret = "client-SECRET-987654";
    iam_config c = IAM_CONFIG_INIT;
    c.apikey = apikey;
    c.client_id = "bx";
    c.client_secret = client_secret;
    c.url = http_url;
    iam_auth *a = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_auth_new(&a, IAM_AUTH_IAM, &c, &err), IAM_OK);
    enqueue("{\"responses\":[{\"status\":503},{\"token\":true}]}");
    token_settings("{\"iat_offset\":-3000,\"lifetime\":3600}");
    CHECK_EQ_INT(fetch(a, t1, sizeof t1), IAM_OK);
    token_settings("{\"iat_offset\":0}");
    CHECK_EQ_INT(fetch(a, NULL, 0), IAM_OK); /* starts a refresh */
    CHECK(wait_for("token_fetched", 2, 5000));
    iam_auth_invalidate(a);
    CHECK_EQ_INT(fetch(a, t2, sizeof t2), IAM_OK);
    enqueue("{\"responses\":[{\"status\":400,\"json\":{\"errorCode\":\"BXNIM0415E\","
            "\"errorMessage\":\"key apikey-SECRET-0123456789 unknown\"}}]}");
    iam_auth_invalidate(a);
    CHECK_EQ_INT(fetch(a, NULL, 0), IAM_E_AUTH); /* the echoed key is redacted */
    iam_auth_free(a);

    /* Trusted profile with a compute-resource token file. */
    const char *cr_token = "crtoken-SECRET-abcdef";
    char content[64];
    snprintf(content, sizeof content, "%s\n", cr_token);
    iam_config cc = IAM_CONFIG_INIT;
    cc.iam_profile_name = "log-profile";
    cc.cr_token_filename = write_file("cr-token", content);
    cc.url = http_url;
    CHECK_EQ_INT(iam_auth_new(&a, IAM_AUTH_CONTAINER, &cc, &err), IAM_OK);
    CHECK_EQ_INT(fetch(a, t3, sizeof t3), IAM_OK);
    iam_auth_free(a);

    /* AWS: container credentials (with an authorization token), then RDS tokens. */
    clean_aws_env();
    free(control("aws-settings", "{\"container_auth_token\":\"Bearer ecs-SECRET-42\"}"));
    char uri[256];
    snprintf(uri, sizeof uri, "%s/container-credentials/task-1", http_url);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer ecs-SECRET-42", 1);
    iam_aws_provider_config pc = IAM_AWS_PROVIDER_CONFIG_INIT;
    iam_aws_provider *p = NULL;
    CHECK_EQ_INT(iam_aws_provider_new(&p, &pc, &err), IAM_OK);
    iam_rds_config rc = IAM_RDS_CONFIG_INIT;
    rc.hostname = "db.example.internal";
    rc.port = 5432;
    rc.username = "app_user";
    rc.region = "eu-west-1";
    rc.provider = p;
    iam_rds_auth *rds = NULL;
    CHECK_EQ_INT(iam_rds_auth_new(&rds, &rc, &err), IAM_OK);
    iam_token *rt = NULL;
    CHECK_EQ_INT(iam_rds_auth_get_token(rds, &rt, &err), IAM_OK);
    iam_aws_creds *creds = NULL;
    CHECK_EQ_INT(iam_aws_provider_get(p, &creds, &err), IAM_OK);
    CHECK(wait_for("rds_token_generated", 1, 1000));
    seen cf = nth("credentials_fetched", 0);
    CHECK(has(&cf, "credentials_fetched auth_type=aws source=container url="));
    CHECK(has(&cf, "/container-credentials/task-1 status=200 attempts=1 expires_at="));
    seen rg = nth("rds_token_generated", 0);
    CHECK(has(&rg, "rds_token_generated auth_type=rds hostname=db.example.internal port=5432 "
                   "username=app_user region=eu-west-1 expires_at="));
    CHECK(!has(&rg, " url="));

    const char *secrets[] = {apikey, client_secret, cr_token, "ecs-SECRET-42", t1, t2, t3,
                             creds ? creds->secret_access_key : "?",
                             creds && creds->session_token ? creds->session_token : "?",
                             rt ? iam_token_value(rt) : "?"};
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
        if (events_hold(secrets[i]))
            fprintf(stderr, "  secret #%zu found\n", i);
        CHECK(strlen(secrets[i]) > 8 && !events_hold(secrets[i]));
    }
    /* The token's signatures alone, too. */
    const char *sig = rt ? strstr(iam_token_value(rt), "X-Amz-Signature=") : NULL;
    CHECK(sig && !events_hold(sig + 16));
    const char *jwt_sig = strrchr(t1, '.');
    CHECK(jwt_sig && strlen(jwt_sig) > 8 && !events_hold(jwt_sig + 1));
    CHECK(count("retry") >= 1 && count("failure") >= 1 && count("refresh_started") >= 1);

    iam_set_log_hook(NULL, NULL);
    iam_aws_creds_release(creds);
    iam_token_release(rt);
    iam_rds_auth_free(rds);
    iam_aws_provider_free(p);
    unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    iam_wipe(t1, sizeof t1);
    iam_wipe(t2, sizeof t2);
    iam_wipe(t3, sizeof t3);
    const char *files[] = {"cr-token", "aws-config", "aws-credentials"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        unlink(write_file(files[i], NULL));
    rmdir(tmpdir);
    usleep(100000); /* the refresh thread's last reference */
}

/* ---- the hook may call back into iamcore */

static iam_auth *reentrant_auth;
static atomic_int reentrant_calls, reentrant_ok;

static void reentrant_hook(const iam_log_event *ev, void *ctx)
{
    (void)ctx;
    atomic_fetch_add(&reentrant_calls, 1);
    iam_token *t = NULL;
    iam_error err;
    /* After token_fetched the token is cached; after a failure this fetches
     * again (its own events are dropped: this thread is inside the hook). */
    int st = iam_auth_get_token(reentrant_auth, &t, &err);
    iam_token_release(t);
    (void)iam_auth_peek(reentrant_auth, NULL);
    if (strcmp(ev->name, "token_fetched") == 0 && st == IAM_OK)
        atomic_fetch_add(&reentrant_ok, 1);
}

static atomic_int self_removing_calls;

static void self_removing_hook(const iam_log_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    atomic_fetch_add(&self_removing_calls, 1);
    iam_set_log_hook(NULL, NULL); /* from inside: must not wait for itself */
}

static void a_hook_may_call_back_into_iamcore(void)
{
    reset();
    reentrant_auth = iam_with("reentrant-key", 0);
    iam_set_log_hook(reentrant_hook, NULL);
    CHECK_EQ_INT(fetch(reentrant_auth, NULL, 0), IAM_OK);
    CHECK(atomic_load(&reentrant_ok) == 1);
    int requests = request_count();
    CHECK_EQ_INT(requests, 1); /* the hook got the cached token */

    iam_auth *bad = iam_with("bad-key", 0);
    iam_auth *keep = reentrant_auth;
    reentrant_auth = bad;
    CHECK_EQ_INT(fetch(bad, NULL, 0), IAM_E_AUTH);
    CHECK_EQ_INT(request_count(), requests + 2); /* the hook's own fetch: no event, no loop */
    reentrant_auth = keep;
    iam_auth_free(bad);

    iam_set_log_hook(self_removing_hook, NULL);
    iam_auth_invalidate(keep);
    CHECK_EQ_INT(fetch(keep, NULL, 0), IAM_OK);
    int calls = atomic_load(&self_removing_calls);
    CHECK(calls >= 1);
    iam_auth_invalidate(keep);
    CHECK_EQ_INT(fetch(keep, NULL, 0), IAM_OK);
    CHECK_EQ_INT(atomic_load(&self_removing_calls), calls); /* it removed itself */
    iam_set_log_hook(NULL, NULL);
    iam_auth_free(keep);
}

/* ---- setting and removing the hook while fetches run */

static atomic_int inside, hook_calls;

static void slow_hook(const iam_log_event *ev, void *ctx)
{
    (void)ev;
    atomic_fetch_add(&inside, 1);
    atomic_fetch_add(&hook_calls, 1);
    usleep((useconds_t)(uintptr_t)ctx);
    atomic_fetch_sub(&inside, 1);
}

static atomic_int stop_fetching;

static void *fetch_loop(void *arg)
{
    iam_auth *a = arg;
    while (!atomic_load(&stop_fetching)) {
        iam_auth_invalidate(a);
        fetch(a, NULL, 0);
    }
    return NULL;
}

static void removing_the_hook_waits_for_running_calls(void)
{
    reset();
    iam_auth *a = iam_with("slow-hook-key", 0);
    iam_set_log_hook(slow_hook, (void *)(uintptr_t)300000);
    atomic_store(&stop_fetching, 0);
    pthread_t th;
    pthread_create(&th, NULL, fetch_loop, a);
    while (atomic_load(&inside) == 0)
        usleep(1000);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    iam_set_log_hook(NULL, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK_EQ_INT(atomic_load(&inside), 0);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(waited > 0.05); /* it did wait for the sleeping hook */
    int calls = atomic_load(&hook_calls);
    usleep(100000);
    CHECK_EQ_INT(atomic_load(&hook_calls), calls); /* and it is never called again */
    atomic_store(&stop_fetching, 1);
    pthread_join(th, NULL);
    iam_auth_free(a);
}

static void hook_changes_race_fetches_safely(void)
{
    reset();
    enum { THREADS = 4 };
    iam_auth *auths[THREADS];
    pthread_t th[THREADS];
    atomic_store(&stop_fetching, 0);
    for (int i = 0; i < THREADS; i++) {
        char key[32];
        snprintf(key, sizeof key, "race-key-%d", i);
        auths[i] = iam_with(key, 0);
        pthread_create(&th[i], NULL, fetch_loop, auths[i]);
    }
    int violations = 0;
    for (int round = 0; round < 200; round++) {
        iam_set_log_hook(slow_hook, (void *)(uintptr_t)(round % 3 * 200));
        if (round % 2)
            iam_set_log_hook(keep_event, NULL);
        usleep(500);
        iam_set_log_hook(NULL, NULL);
        violations += atomic_load(&inside) != 0;
    }
    atomic_store(&stop_fetching, 1);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        iam_auth_free(auths[i]);
    }
    CHECK_EQ_INT(violations, 0);
    CHECK(atomic_load(&hook_calls) > 0);
}

int main(void)
{
    http_url = getenv("IAMCORE_EMULATOR_HTTP");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    RUN(format_quotes_and_truncates);
    RUN(urls_lose_credentials_query_and_fragment);
    if (!http_url) {
        fprintf(stderr, "IAMCORE_EMULATOR_HTTP not set: run through tests/c/run.sh\n");
        return 1;
    }
    RUN(a_fetch_raises_token_fetched_and_the_cache_none);
    RUN(retries_say_why_and_how_long);
    RUN(failures_carry_the_error_not_the_key);
    RUN(background_refreshes_are_reported);
    RUN(no_event_ever_holds_a_secret);
    RUN(a_hook_may_call_back_into_iamcore);
    RUN(removing_the_hook_waits_for_running_calls);
    RUN(hook_changes_race_fetches_safely);
    curl_global_cleanup();
    return CHECK_DONE();
}
