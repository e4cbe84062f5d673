/* Authenticators end to end: configuration checks, then real requests through
 * libcurl to the local emulator (tests/c/run.sh starts it). */
#define _GNU_SOURCE
#include "check.h"
#include "iamcore.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth_check.h"
#include "emulator.h"

static const char *https_url, *ca_file;

/* ---- helpers */

static double seconds_since(struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- configuration */

static void bad_configuration_is_refused(void)
{
    iam_config c = IAM_CONFIG_INIT;
    CHECK(auth_config_fails(IAM_AUTH_IAM, &c, "API key is required", NULL));
    c.apikey = "";
    CHECK(auth_config_fails(IAM_AUTH_IAM, &c, "API key is required", NULL));
    c.apikey = "\"quoted-key\"";
    CHECK(auth_config_fails(IAM_AUTH_IAM, &c, "curly bracket or a quote", NULL));
    c.apikey = "{braced-key}";
    CHECK(auth_config_fails(IAM_AUTH_IAM, &c, "curly bracket or a quote", NULL));
    c.apikey = "good-key";
    c.client_id = "id";
    CHECK(auth_config_fails(IAM_AUTH_IAM, &c, "together", NULL));
    c.client_id = NULL;
    c.client_secret = "secret";
    CHECK(auth_config_fails(IAM_AUTH_IAM, &c, "together", NULL));
    c.client_secret = NULL;
    c.url = "ftp://example.com";
    CHECK(auth_config_fails(IAM_AUTH_IAM, &c, "url", NULL));
    c.url = NULL;
    c.timeout_ms = -1;
    CHECK(auth_config_fails(IAM_AUTH_IAM, &c, "timeout", NULL));
    c.timeout_ms = 0;
    c.ca_file = "/nonexistent/ca.pem";
    CHECK(auth_config_fails(IAM_AUTH_IAM, &c, "/nonexistent/ca.pem", NULL));
    c.ca_file = NULL;
    iam_header h[] = {{"X-Ok", "fine\r\nInjected: yes"}};
    c.headers = h;
    c.header_count = 1;
    CHECK(auth_config_fails(IAM_AUTH_IAM, &c, "line break", NULL));
    c.header_count = 0;
    c.version = 99;
    CHECK(auth_config_fails(IAM_AUTH_IAM, &c, "version", NULL));

    iam_config k = IAM_CONFIG_INIT;
    CHECK(auth_config_fails(IAM_AUTH_CONTAINER, &k, "trusted profile is required", NULL));
    k.iam_profile_crn = "crn:v1:x";
    iam_auth *a = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_auth_new(&a, IAM_AUTH_CONTAINER, &k, &err), IAM_OK);
    CHECK_EQ_STR(iam_auth_type_name(iam_auth_get_type(a)), "container");
    iam_auth_free(a);
}

static void config_errors_never_show_the_secret(void)
{
    iam_config c = IAM_CONFIG_INIT;
    c.apikey = "{secret-value-123}";
    iam_auth *a;
    iam_error err;
    iam_auth_new(&a, IAM_AUTH_IAM, &c, &err);
    CHECK(strstr(err.message, "secret-value-123") == NULL);
}

/* ---- against the emulator */

static void gets_a_token_over_http_and_caches_it(void)
{
    reset();
    iam_config c = IAM_CONFIG_INIT;
    c.apikey = "c-test-key";
    c.url = http_url;
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
    iam_token *t1 = NULL, *t2 = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_auth_get_token(a, &t1, &err), IAM_OK);
    CHECK_EQ_INT(iam_auth_get_token(a, &t2, &err), IAM_OK);
    CHECK(t1 && t1 == t2);
    CHECK(t1 && strncmp(iam_token_value(t1), "eyJ", 3) == 0);
    CHECK(t1 && iam_token_expires_at(t1) > time(NULL) + 3000);
    CHECK(iam_auth_peek(a, NULL) == iam_token_generation(t1));
    CHECK_EQ_INT(request_count(), 1);
    iam_token_release(t1);
    iam_token_release(t2);
    iam_auth_invalidate(a);
    CHECK_EQ_INT(iam_auth_peek(a, NULL), 0);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    CHECK_EQ_INT(request_count(), 2);
    iam_auth_free(a);
}

static void tls_needs_the_test_ca(void)
{
    reset();
    iam_config c = IAM_CONFIG_INIT;
    c.apikey = "c-test-key";
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
    c.ca_file = NULL;
    c.disable_ssl_verification = 1;
    a = auth_make(IAM_AUTH_IAM, &c);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    iam_auth_free(a);
}

static void iam_error_keeps_its_fields_and_hides_the_key(void)
{
    reset();
    iam_config c = IAM_CONFIG_INIT;
    c.apikey = "bad-key";
    c.url = http_url;
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_AUTH);
    CHECK_EQ_INT(err.http_status, 400);
    CHECK_EQ_STR(err.error_code, "BXNIM0415E");
    CHECK(err.request_id[0] != '\0');
    CHECK(strncmp(err.transaction_id, "emu-", 4) == 0);
    CHECK_EQ_INT(err.attempts, 1);
    CHECK_EQ_INT(request_count(), 1); /* 4xx: no retry */
    iam_auth_free(a);

    reset();
    enqueue("{\"responses\":[{\"status\":401,\"error\":{\"errorCode\":\"BXNIM0000E\","
            "\"errorMessage\":\"key echo-secret-key-1 is bad\"}}]}");
    c.apikey = "echo-secret-key-1";
    a = auth_make(IAM_AUTH_IAM, &c);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_AUTH);
    CHECK(strstr(err.message, "echo-secret-key-1") == NULL);
    CHECK(strstr(err.error_message, "echo-secret-key-1") == NULL);
    CHECK(strstr(err.error_message, "[redacted]") != NULL);
    iam_auth_free(a);
}

static void server_errors_are_retried(void)
{
    reset();
    enqueue("{\"responses\":[{\"status\":500},{\"status\":503}]}");
    iam_config c = IAM_CONFIG_INIT;
    c.apikey = "c-test-key";
    c.url = http_url;
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    CHECK_EQ_INT(request_count(), 3);
    iam_auth_free(a);
}

static void retry_after_is_honoured(void)
{
    reset();
    enqueue("{\"responses\":[{\"status\":429,\"headers\":{\"Retry-After\":\"1\"}}]}");
    iam_config c = IAM_CONFIG_INIT;
    c.apikey = "c-test-key";
    c.url = http_url;
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
    iam_error err;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    CHECK(seconds_since(&t0) >= 0.95);
    CHECK_EQ_INT(request_count(), 2);
    iam_auth_free(a);

    /* A Retry-After beyond the total timeout: give up at once. */
    reset();
    enqueue("{\"responses\":[{\"status\":429,\"headers\":{\"Retry-After\":\"30\"}}]}");
    c.timeout_ms = 2000;
    a = auth_make(IAM_AUTH_IAM, &c);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_AUTH);
    CHECK_EQ_INT(err.http_status, 429);
    CHECK(seconds_since(&t0) < 1.0);
    iam_auth_free(a);
}

static void a_hanging_server_times_out_within_the_bound(void)
{
    reset();
    enqueue("{\"responses\":[{\"hang\":true}]}");
    iam_config c = IAM_CONFIG_INIT;
    c.apikey = "c-test-key";
    c.url = http_url;
    c.timeout_ms = 800;
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
    iam_error err;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_TIMEOUT);
    double took = seconds_since(&t0);
    CHECK(took >= 0.7 && took < 1.5);
    iam_auth_free(a);
}

static void bad_bodies_are_parse_errors(void)
{
    reset();
    enqueue("{\"responses\":[{\"body\":\"{not json\"},{\"json\":{\"expires_in\":3600}}]}");
    iam_config c = IAM_CONFIG_INIT;
    c.apikey = "c-test-key";
    c.url = http_url;
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_PARSE);
    CHECK_EQ_INT(err.http_status, 200);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_PARSE);
    CHECK(strstr(err.message, "access_token") != NULL);
    iam_auth_free(a);
}

static void oversized_response_is_refused(void)
{
    reset();
    iam_config c = IAM_CONFIG_INIT;
    c.apikey = "c-test-key";
    c.url = http_url;
    c.max_response_bytes = 64;
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_TRANSPORT);
    CHECK(strstr(err.message, "larger than 64 bytes") != NULL);
    iam_auth_free(a);
}

static void refused_connection_is_a_transport_error(void)
{
    iam_config c = IAM_CONFIG_INIT;
    c.apikey = "c-test-key";
    c.url = "http://127.0.0.1:1";
    c.timeout_ms = 3000;
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_TRANSPORT);
    CHECK_EQ_INT(err.attempts, 1 + IAM_DEFAULT_MAX_RETRIES);
    iam_auth_free(a);
}

static void client_credentials_and_headers_are_sent(void)
{
    reset();
    iam_config c = IAM_CONFIG_INIT;
    c.apikey = "c-test-key";
    c.url = http_url;
    c.client_id = "bx";
    c.client_secret = "bx-secret";
    iam_header h[] = {{"X-Extra", "one"}, {"Accept", "application/json; q=1"}};
    c.headers = h;
    c.header_count = 2;
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    char *v = last_request_item("headers", "authorization");
    CHECK_SECRET_EQ(v, "Basic Yng6Yngtc2VjcmV0"); /* base64("bx:bx-secret") */
    free(v);
    v = last_request_item("headers", "x-extra");
    CHECK_EQ_STR(v, "one");
    free(v);
    v = last_request_item("headers", "accept"); /* the user's replaces ours */
    CHECK_EQ_STR(v, "application/json; q=1");
    free(v);
    v = last_request_item("headers", "user-agent");
    CHECK(v && strncmp(v, "iamcore/" IAMCORE_VERSION " (iam; ", 14) == 0);
    free(v);
    v = last_request_item("form", "apikey");
    CHECK_SECRET_EQ(v, "c-test-key");
    free(v);
    v = last_request_item("form", "response_type");
    CHECK_EQ_STR(v, "cloud_iam");
    free(v);
    iam_auth_free(a);
}

static void container_reads_the_token_file_at_each_fetch(void)
{
    reset();
    char dir[] = "/tmp/iamcore-ctXXXXXX";
    if (!mkdtemp(dir))
        return;
    char path[64];
    snprintf(path, sizeof path, "%s/token", dir);
    iam_config c = IAM_CONFIG_INIT;
    c.iam_profile_name = "my-profile";
    c.cr_token_filename = path;
    c.url = http_url;
    iam_auth *a = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_auth_new(&a, IAM_AUTH_CONTAINER, &c, &err), IAM_OK);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_TOKEN_FILE); /* not mounted yet */
    CHECK(strstr(err.message, path) != NULL);
    CHECK_EQ_INT(request_count(), 0);

    FILE *f = fopen(path, "w");
    fputs("cr-token-1\n", f);
    fclose(f);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    char *v = last_request_item("form", "cr_token");
    CHECK_SECRET_EQ(v, "cr-token-1");
    free(v);
    v = last_request_item("form", "profile_name");
    CHECK_EQ_STR(v, "my-profile");
    free(v);

    f = fopen(path, "w"); /* rotated by the platform */
    fputs("cr-token-2", f);
    fclose(f);
    iam_auth_invalidate(a);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    v = last_request_item("form", "cr_token");
    CHECK_SECRET_EQ(v, "cr-token-2");
    free(v);
    iam_auth_free(a);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    http_url = getenv("IAMCORE_EMULATOR_HTTP");
    https_url = getenv("IAMCORE_EMULATOR_HTTPS");
    ca_file = getenv("IAMCORE_EMULATOR_CA");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    RUN(bad_configuration_is_refused);
    RUN(config_errors_never_show_the_secret);
    if (!http_url || !https_url || !ca_file) {
        fprintf(stderr, "IAMCORE_EMULATOR_* not set: run through tests/c/run.sh\n");
        return 1;
    }
    RUN(gets_a_token_over_http_and_caches_it);
    RUN(tls_needs_the_test_ca);
    RUN(iam_error_keeps_its_fields_and_hides_the_key);
    RUN(server_errors_are_retried);
    RUN(retry_after_is_honoured);
    RUN(a_hanging_server_times_out_within_the_bound);
    RUN(bad_bodies_are_parse_errors);
    RUN(oversized_response_is_refused);
    RUN(refused_connection_is_a_transport_error);
    RUN(client_credentials_and_headers_are_sent);
    RUN(container_reads_the_token_file_at_each_fetch);
    curl_global_cleanup();
    return CHECK_DONE();
}
