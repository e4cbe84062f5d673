/* fork() with iamcore objects in use: the child keeps the cached token, never
 * waits for a fetch that only the parent is running, never touches the
 * parent's connections, inherits no lock held by a thread it lacks; the parent
 * goes on as before. Under ASan, against the emulator (tests/c/run.sh).
 *
 * Each child gets an alarm: a deadlock ends it with SIGALRM, a failure. A child
 * forked while another thread was fetching ends with _exit: what that thread
 * had allocated is unreachable there by nature (docs/reliability.md), so only
 * the children of quiet moments are checked for leaks (exit runs LSan). */
#define _GNU_SOURCE
#include "check.h"
#include "iamcore.h"
#include "iamcore_aws.h"
#include "iamcore_log.h"
#include "auth.h"
#include "fork.h"
#include "log.h"
#include "sigv4.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "emulator.h"

static const char *https_url, *ca_file;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

enum { QUICK_EXIT = 0, LEAK_CHECKED_EXIT = 1 };

/* Run fn(arg) in a child with `limit_s` seconds to finish. Returns its exit
 * status (0: every CHECK passed), or minus the signal that ended it. */
static int in_child(void (*fn)(void *), void *arg, unsigned limit_s, int how)
{
    fflush(stdout); /* else the child would print the parent's buffered lines again */
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return -1000;
    if (pid == 0) {
        alarm(limit_s);
        int before = check_failures;
        fn(arg);
        int rc = check_failures != before ? 1 : 0;
        if (how == LEAK_CHECKED_EXIT)
            exit(rc);
        _exit(rc);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

static iam_auth *new_auth(const char *url, const char *ca)
{
    iam_config c = IAM_CONFIG_INIT;
    c.apikey = "fork-test-key";
    c.url = url;
    c.ca_file = ca;
    c.timeout_ms = 8000;
    iam_auth *a = NULL;
    iam_error err;
    if (iam_auth_new(&a, IAM_AUTH_IAM, &c, &err) != IAM_OK)
        fprintf(stderr, "  unexpected config error: %s\n", err.message);
    return a;
}

/* The generation of a fresh token from a (0 on failure); its value copied to
 * value[cap] when value is not NULL. */
static uint64_t get(iam_auth *a, char *value, size_t cap)
{
    iam_token *t = NULL;
    iam_error err;
    if (iam_auth_get_token(a, &t, &err) != IAM_OK) {
        fprintf(stderr, "  get_token failed: %s\n", err.message);
        return 0;
    }
    uint64_t gen = iam_token_generation(t);
    if (value)
        snprintf(value, cap, "%s", iam_token_value(t));
    iam_token_release(t);
    return gen;
}

/* The client port of the i-th IAM request (negative: from the end), -1 if none. */
static int client_port(int i)
{
    cJSON *all = requests_of("iam");
    const cJSON *port = cJSON_GetObjectItem(request_at(all, i), "client_port");
    int out = cJSON_IsNumber(port) ? port->valueint : -1;
    cJSON_Delete(all);
    return out;
}

static int wait_for_requests(int n, double limit_s)
{
    double end = now_s() + limit_s;
    int count;
    while ((count = request_count()) < n && now_s() < end)
        sleep_ms(20);
    return count;
}

/* ------------------------------------------------ a cached token, quiet parent */

typedef struct cached_case {
    iam_auth *auth;
    uint64_t gen;
    char value[4096];
} cached_case;

static void child_with_cached_token(void *arg)
{
    cached_case *k = arg;
    CHECK(iam_fork_generation() == 1);
    char value[4096];
    CHECK_EQ_INT(get(k->auth, value, sizeof value), k->gen);
    CHECK_SECRET_EQ(value, k->value);
    CHECK_EQ_INT(request_count(), 1); /* the inherited token, no request */

    iam_auth_invalidate(k->auth);
    uint64_t gen = get(k->auth, value, sizeof value);
    CHECK(gen > k->gen);
    CHECK(strcmp(value, k->value) != 0);
    CHECK_EQ_INT(request_count(), 2);
    /* A connection of its own: the parent's TLS session is the parent's. */
    CHECK(client_port(1) > 0 && client_port(1) != client_port(0));
    iam_auth_free(k->auth);
}

static void the_child_keeps_the_cached_token_and_its_own_connections(void)
{
    reset();
    static cached_case k;
    k.auth = new_auth(https_url, ca_file);
    if (!k.auth)
        return;
    k.gen = get(k.auth, k.value, sizeof k.value);
    CHECK(k.gen > 0);
    CHECK_EQ_INT(in_child(child_with_cached_token, &k, 20, LEAK_CHECKED_EXIT), 0);
    CHECK(iam_fork_generation() == 0);

    /* The parent's kept-alive connection survived the child (no close_notify
     * and no request of the child's went over it). */
    iam_auth_invalidate(k.auth);
    CHECK(get(k.auth, NULL, 0) > k.gen);
    CHECK_EQ_INT(request_count(), 3);
    CHECK_EQ_INT(client_port(2), client_port(0));
    iam_auth_free(k.auth);
}

/* ------------------------------------------------ a refresh in flight */

typedef struct refresh_case {
    iam_auth *auth;
    uint64_t gen;
} refresh_case;

/* The cached token has more than 1000 s to live. */
static int long_lived(iam_auth *a)
{
    iam_token *t = NULL;
    iam_error err;
    int yes = iam_auth_get_token(a, &t, &err) == IAM_OK &&
              iam_token_expires_at(t) > (int64_t)time(NULL) + 1000;
    iam_token_release(t);
    return yes;
}

static void child_during_refresh(void *arg)
{
    refresh_case *k = arg;
    /* The refresh thread's owner reference, which the child has no thread to drop. */
    CHECK_EQ_INT(atomic_load(&k->auth->cache.orphan_refs), 1);
    double t0 = now_s();
    CHECK_EQ_INT(get(k->auth, NULL, 0), k->gen); /* still valid: served at once */
    CHECK(now_s() - t0 < 0.5);
    /* ... and that call started the child's own refresh (the parent's is not here). */
    CHECK(wait_for_requests(3, 2) >= 3);
    uint64_t gen = 0;
    double end = now_s() + 8;
    while ((gen = get(k->auth, NULL, 0)) == k->gen && now_s() < end)
        sleep_ms(50);
    CHECK(gen > k->gen);
    iam_auth_free(k->auth); /* drops the orphan reference too */
}

static void a_child_starts_its_own_refresh(void)
{
    reset();
    /* Tokens due for refresh on arrival (refresh at exp - 20 s, in the past)
     * and usable for 5 s; every answer takes 1.5 s. */
    token_settings("{\"lifetime\":100,\"iat_offset\":-85}");
    refresh_case k;
    k.auth = new_auth(http_url, NULL);
    if (!k.auth)
        return;
    k.gen = get(k.auth, NULL, 0);
    CHECK(k.gen > 0);
    token_settings("{\"delay_ms\":1500}");
    CHECK_EQ_INT(get(k.auth, NULL, 0), k.gen); /* starts the background refresh */
    CHECK_EQ_INT(wait_for_requests(2, 2), 2);   /* in flight */
    CHECK_EQ_INT(in_child(child_during_refresh, &k, 20, QUICK_EXIT), 0);

    /* The parent's refresh lands as if nothing happened. */
    uint64_t gen = 0;
    double end = now_s() + 8;
    while ((gen = get(k.auth, NULL, 0)) == k.gen && now_s() < end)
        sleep_ms(50);
    CHECK(gen > k.gen);
    CHECK_EQ_INT(atomic_load(&k.auth->cache.orphan_refs), 0);
    /* Each token is due on arrival: end with one that is not, so that no
     * refresh outlives the test. */
    token_settings("{\"lifetime\":3600,\"iat_offset\":0,\"delay_ms\":0}");
    end = now_s() + 8;
    while (now_s() < end && !long_lived(k.auth))
        sleep_ms(50);
    CHECK(long_lived(k.auth));
    iam_auth_free(k.auth);
}

/* ------------------------------------------------ a first fetch in flight */

static void *fetch_thread(void *arg)
{
    return (void *)(uintptr_t)get(arg, NULL, 0);
}

static void child_during_fetch(void *arg)
{
    iam_auth *a = arg;
    /* The parent's fetcher is not here to wake the waiters: the child fetches. */
    CHECK(get(a, NULL, 0) > 0);
    CHECK_EQ_INT(request_count(), 2);
    iam_auth_free(a);
}

static void a_child_does_not_wait_for_the_parents_fetch(void)
{
    reset();
    token_settings("{\"delay_ms\":1500}");
    iam_auth *a = new_auth(https_url, ca_file);
    if (!a)
        return;
    pthread_t t;
    pthread_create(&t, NULL, fetch_thread, a);
    CHECK_EQ_INT(wait_for_requests(1, 2), 1);
    CHECK_EQ_INT(in_child(child_during_fetch, a, 20, QUICK_EXIT), 0);
    void *gen = NULL;
    pthread_join(t, &gen);
    CHECK(gen != NULL);
    CHECK(get(a, NULL, 0) == (uint64_t)(uintptr_t)gen);
    iam_auth_free(a);
}

/* ------------------------------------------------ locks held at the fork */

typedef struct hammer {
    iam_auth *auth;
    atomic_int stop;
    atomic_long calls;
} hammer;

static void *hammer_thread(void *arg)
{
    hammer *h = arg;
    while (!atomic_load(&h->stop)) {
        iam_auth_peek(h->auth, NULL);
        get(h->auth, NULL, 0);
        atomic_fetch_add(&h->calls, 1);
    }
    return NULL;
}

static void child_of_busy_parent(void *arg)
{
    hammer *h = arg;
    CHECK(iam_auth_peek(h->auth, NULL) > 0);
    CHECK(get(h->auth, NULL, 0) > 0);
    iam_auth_invalidate(h->auth);
    CHECK(get(h->auth, NULL, 0) > 0);
}

/* The threads only take the cached token, which allocates nothing: ASan's
 * allocator (unlike glibc's malloc) can be left locked by a fork while another
 * thread allocates, which would hang the child in the sanitizer itself. The
 * fetch paths are forked in the tests above, and with glibc's malloc in
 * tests/python/test_process_safety.py. */
static void forks_while_other_threads_use_the_cache(void)
{
    reset();
    static hammer h;
    h.auth = new_auth(http_url, NULL);
    if (!h.auth || get(h.auth, NULL, 0) == 0)
        return;
    atomic_store(&h.stop, 0);
    atomic_store(&h.calls, 0);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hammer_thread, &h);
    int bad = 0;
    for (int i = 0; i < 25; i++) {
        sleep_ms(20);
        int rc = in_child(child_of_busy_parent, &h, 15, QUICK_EXIT);
        if (rc != 0) {
            fprintf(stderr, "  child %d ended with %d\n", i, rc);
            bad++;
        }
    }
    atomic_store(&h.stop, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ_INT(bad, 0);
    CHECK(atomic_load(&h.calls) > 100);
    iam_auth_free(h.auth);
}

/* ------------------------------------------------ a thread inside the log hook */

static atomic_int in_hook, release_hook;

static void blocking_hook(const iam_log_event *ev, void *ctx)
{
    (void)ev;
    (void)ctx;
    atomic_store(&in_hook, 1);
    while (!atomic_load(&release_hook))
        sleep_ms(5);
}

static void *emit_thread(void *arg)
{
    (void)arg;
    iam_log_emit(IAM_LOG_INFO, "test_event", NULL, 0);
    return NULL;
}

static void child_changes_the_hook(void *arg)
{
    (void)arg;
    /* Waits for the calls inside the old hook: the thread making one is not here. */
    CHECK_EQ_INT(iam_set_log_hook(NULL, NULL), IAM_OK);
}

static void the_child_can_change_the_log_hook(void)
{
    atomic_store(&in_hook, 0);
    atomic_store(&release_hook, 0);
    iam_set_log_hook(blocking_hook, NULL);
    pthread_t t;
    pthread_create(&t, NULL, emit_thread, NULL);
    while (!atomic_load(&in_hook))
        sleep_ms(5);
    CHECK_EQ_INT(in_child(child_changes_the_hook, NULL, 10, QUICK_EXIT), 0);
    atomic_store(&release_hook, 1);
    pthread_join(t, NULL);
    CHECK_EQ_INT(iam_set_log_hook(NULL, NULL), IAM_OK);
}

/* ------------------------------------------------ other threads' signing keys */

static const iam_aws_credentials KEYS = {"AKIDEXAMPLE", "fork-test-secret-key", NULL, 0};
static pthread_barrier_t signed_barrier, exit_barrier;

static int sign_once(void)
{
    char *token = NULL;
    iam_error err;
    int rc = iam_rds_auth_token(&token, &KEYS, "db.example.com", 5432, "user", "us-east-1", 0, 0,
                                &err);
    iam_aws_string_free(token);
    return rc;
}

static void *signing_thread(void *arg)
{
    (void)arg;
    sign_once();
    pthread_barrier_wait(&signed_barrier);
    pthread_barrier_wait(&exit_barrier); /* alive, with its cached key, at the fork */
    return NULL;
}

static void child_counts_signing_keys(void *arg)
{
    (void)arg;
    /* Only this thread's entry is left; the others were zeroed and freed. */
    CHECK_EQ_INT(iam_sigv4_cached_keys(), 1);
    CHECK_EQ_INT(sign_once(), IAM_OK);
}

static void signing_keys_of_other_threads_are_wiped_in_the_child(void)
{
    pthread_barrier_init(&signed_barrier, NULL, 4);
    pthread_barrier_init(&exit_barrier, NULL, 4);
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, signing_thread, NULL);
    CHECK_EQ_INT(sign_once(), IAM_OK);
    pthread_barrier_wait(&signed_barrier);
    CHECK(iam_sigv4_cached_keys() >= 4);
    /* Not leak-checked: LSan would take the parent's threads for running ones. */
    CHECK_EQ_INT(in_child(child_counts_signing_keys, NULL, 10, QUICK_EXIT), 0);
    pthread_barrier_wait(&exit_barrier);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    CHECK(iam_sigv4_cached_keys() >= 1); /* the main thread's */
    pthread_barrier_destroy(&signed_barrier);
    pthread_barrier_destroy(&exit_barrier);
}

/* ------------------------------------------------ AWS credentials in flight */

static void *provider_thread(void *arg)
{
    iam_aws_creds *c = NULL;
    iam_error err;
    int rc = iam_aws_provider_get(arg, &c, &err);
    iam_aws_creds_release(c);
    return (void *)(intptr_t)rc;
}

static void child_gets_credentials(void *arg)
{
    iam_aws_creds *c = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_aws_provider_get(arg, &c, &err), IAM_OK);
    CHECK(c != NULL && iam_aws_creds_view(c).access_key_id != NULL);
    iam_aws_creds_release(c);
    CHECK_EQ_INT(endpoint_count("container"), 2);
    iam_aws_provider_free(arg);
}

static void a_credentials_fetch_in_flight_is_the_parents(void)
{
    reset();
    char uri[256];
    snprintf(uri, sizeof uri, "%s/container-credentials/fork", http_url);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri, 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/iamcore-fork-test", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/iamcore-fork-test", 1);
    free(control("aws-settings", "{\"delay_ms\":1500}"));
    iam_aws_provider_config cfg = IAM_AWS_PROVIDER_CONFIG_INIT;
    iam_aws_provider *p = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_aws_provider_new(&p, &cfg, &err), IAM_OK);
    if (!p)
        return;
    pthread_t t;
    pthread_create(&t, NULL, provider_thread, p);
    double end = now_s() + 2;
    while (endpoint_count("container") < 1 && now_s() < end)
        sleep_ms(20);
    CHECK_EQ_INT(in_child(child_gets_credentials, p, 20, QUICK_EXIT), 0);
    void *rc = NULL;
    pthread_join(t, &rc);
    CHECK_EQ_INT((intptr_t)rc, IAM_OK);
    iam_aws_provider_free(p);
    unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
}

int main(void)
{
    http_url = getenv("IAMCORE_EMULATOR_HTTP");
    https_url = getenv("IAMCORE_EMULATOR_HTTPS");
    ca_file = getenv("IAMCORE_EMULATOR_CA");
    if (!http_url || !https_url || !ca_file) {
        fprintf(stderr, "IAMCORE_EMULATOR_* not set: run through tests/c/run.sh\n");
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    for (const char **v = (const char *[]){"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                           "AWS_SESSION_TOKEN", "AWS_PROFILE",
                                           "AWS_WEB_IDENTITY_TOKEN_FILE",
                                           "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", NULL};
         *v; v++)
        unsetenv(*v);
    RUN(the_child_keeps_the_cached_token_and_its_own_connections);
    RUN(a_child_starts_its_own_refresh);
    RUN(a_child_does_not_wait_for_the_parents_fetch);
    RUN(forks_while_other_threads_use_the_cache);
    RUN(the_child_can_change_the_log_hook);
    RUN(signing_keys_of_other_threads_are_wiped_in_the_child);
    RUN(a_credentials_fetch_in_flight_is_the_parents);
    curl_global_cleanup();
    return CHECK_DONE();
}
