/* The VPC instance authenticator: configuration checks, then both metadata
 * steps over real sockets to the emulator's VPC endpoints (tests/c/run.sh). */
#define _GNU_SOURCE
#include "check.h"
#include "iamcore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth_check.h"
#include "emulator.h"

static const char *https_url, *ca_file;

static void configuration_rules(void)
{
    iam_config c = IAM_CONFIG_INIT;
    iam_auth *a = auth_make(IAM_AUTH_VPC, &c); /* nothing required: the instance's default profile */
    CHECK(a != NULL);
    CHECK_EQ_STR(iam_auth_type_name(iam_auth_get_type(a)), "vpc");
    iam_auth_free(a);

    c.iam_profile_crn = "crn:v1:x";
    c.iam_profile_id = "id-1";
    CHECK(auth_config_fails(IAM_AUTH_VPC, &c, "not both", NULL));
    c.iam_profile_id = NULL;
    c.iam_profile_name = "name";
    CHECK(auth_config_fails(IAM_AUTH_VPC, &c, "iam_profile_name", NULL));
    c.iam_profile_name = NULL;
    const char *bad_versions[] = {"2022-02-28", "2025-8-26", "2025-02-30", "2023-02-29",
                                  "20250826", "2025-08-26 ", ""};
    for (size_t i = 0; i < sizeof bad_versions / sizeof bad_versions[0]; i++) {
        c.vpc_ims_version = bad_versions[i];
        CHECK(auth_config_fails(IAM_AUTH_VPC, &c, "vpc_ims_version", NULL));
    }
    c.vpc_ims_version = "2024-02-29";
    a = auth_make(IAM_AUTH_VPC, &c);
    CHECK(a != NULL);
    iam_auth_free(a);
    c.vpc_ims_version = NULL;
    iam_header h[] = {{"authorization", "Bearer mine"}};
    c.headers = h;
    c.header_count = 1;
    CHECK(auth_config_fails(IAM_AUTH_VPC, &c, "Authorization", NULL));
}

/* Step 1 and step 2 as the metadata service received them. */
static void both_steps_are_sent_as_the_protocol_says(void)
{
    reset();
    iam_config c = IAM_CONFIG_INIT;
    c.url = http_url;
    iam_auth *a = auth_make(IAM_AUTH_VPC, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);

    cJSON *all = requests_of(NULL);
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(all, "requests")), 2);
    cJSON *put = request_at(all, 0), *post = request_at(all, 1);
    CHECK_EQ_STR(request_str(put, NULL, "endpoint"), "vpc-token");
    CHECK_EQ_STR(request_str(put, NULL, "method"), "PUT");
    CHECK_EQ_STR(request_str(put, NULL, "path"), "/instance_identity/v1/token");
    CHECK_EQ_STR(request_str(put, NULL, "query"), "version=2022-03-01");
    CHECK_EQ_STR(request_str(put, "headers", "metadata-flavor"), "ibm");
    CHECK_EQ_STR(request_str(put, "headers", "content-type"), "application/json");
    CHECK_EQ_STR(request_str(put, "headers", "accept"), "application/json");
    const char *ua = request_str(put, "headers", "user-agent");
    const char ua_prefix[] = "iamcore/" IAMCORE_VERSION " (vpc; ";
    CHECK(ua && strncmp(ua, ua_prefix, sizeof ua_prefix - 1) == 0);
    char *body = request_json(put);
    CHECK_EQ_STR(body, "{\"expires_in\":300}");
    free(body);

    CHECK_EQ_STR(request_str(post, NULL, "endpoint"), "vpc-iam-token");
    CHECK_EQ_STR(request_str(post, NULL, "method"), "POST");
    CHECK_EQ_STR(request_str(post, NULL, "path"), "/instance_identity/v1/iam_token");
    CHECK_EQ_STR(request_str(post, NULL, "query"), "version=2022-03-01");
    const char *bearer = request_str(post, "headers", "authorization");
    CHECK(bearer && strncmp(bearer, "Bearer eyJ", 10) == 0);
    body = request_json(post);
    CHECK_EQ_STR(body, "null"); /* no body: the instance's default profile */
    free(body);
    cJSON_Delete(all);
    iam_auth_free(a);
}

static const char *profile_body(iam_config *c)
{
    static char text[256];
    reset();
    iam_auth *a = auth_make(IAM_AUTH_VPC, c);
    iam_error err;
    text[0] = '\0';
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    cJSON *all = requests_of("vpc-iam-token");
    char *body = request_json(request_at(all, -1));
    snprintf(text, sizeof text, "%s", body ? body : "");
    free(body);
    cJSON_Delete(all);
    iam_auth_free(a);
    return text;
}

static void the_profile_goes_in_the_body(void)
{
    iam_config c = IAM_CONFIG_INIT;
    c.url = http_url;
    c.iam_profile_crn = "crn:v1:bluemix:public:iam-identity::a/1::profile:\"p\"";
    CHECK_EQ_STR(profile_body(&c),
                 "{\"trusted_profile\":{\"crn\":\"crn:v1:bluemix:public:iam-identity::a/1::profile:\\\"p\\\"\"}}");
    c.iam_profile_crn = NULL;
    c.iam_profile_id = "Profile-1234";
    CHECK_EQ_STR(profile_body(&c), "{\"trusted_profile\":{\"id\":\"Profile-1234\"}}");
}

static void version_2025_08_26_uses_the_identity_paths(void)
{
    const char *versions[] = {"2025-08-26", "2026-01-15"};
    for (size_t i = 0; i < 2; i++) {
        reset();
        iam_config c = IAM_CONFIG_INIT;
        char url[256];
        snprintf(url, sizeof url, "%s/", http_url); /* a trailing slash is dropped */
        c.url = url;
        c.vpc_ims_version = versions[i];
        iam_auth *a = auth_make(IAM_AUTH_VPC, &c);
        iam_error err;
        CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
        cJSON *all = requests_of(NULL);
        CHECK_EQ_STR(request_str(request_at(all, 0), NULL, "path"), "/identity/v1/token");
        CHECK_EQ_STR(request_str(request_at(all, 1), NULL, "path"), "/identity/v1/iam_tokens");
        char query[64];
        snprintf(query, sizeof query, "version=%s", versions[i]);
        CHECK_EQ_STR(request_str(request_at(all, 1), NULL, "query"), query);
        cJSON_Delete(all);
        iam_auth_free(a);
    }
}

/* created_at / expires_at (RFC 3339, with and without milliseconds) date the token. */
static void expiry_comes_from_the_response_times(void)
{
    reset();
    token_settings("{\"lifetime\":1234,\"iat_offset\":-100,\"jwt\":false,\"expires_in\":false}");
    iam_config c = IAM_CONFIG_INIT;
    c.url = http_url;
    iam_auth *a = auth_make(IAM_AUTH_VPC, &c);
    iam_token *t = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_auth_get_token(a, &t, &err), IAM_OK);
    if (t) {
        CHECK(strncmp(iam_token_value(t), "opaque-", 7) == 0);
        CHECK_EQ_INT(iam_token_expires_at(t) - iam_token_issued_at(t), 1234);
        int64_t now = (int64_t)time(NULL);
        CHECK(iam_token_issued_at(t) >= now - 102 && iam_token_issued_at(t) <= now - 98);
    }
    iam_token_release(t);
    iam_auth_free(a);
    reset();
}

static void https_needs_the_test_ca(void)
{
    reset();
    iam_config c = IAM_CONFIG_INIT;
    c.url = https_url;
    c.max_retries = -1;
    iam_auth *a = auth_make(IAM_AUTH_VPC, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_TLS);
    CHECK(strstr(err.message, https_url) != NULL);
    iam_auth_free(a);
    c.ca_file = ca_file;
    a = auth_make(IAM_AUTH_VPC, &c);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    CHECK_EQ_INT(endpoint_count("vpc-iam-token"), 1);
    iam_auth_free(a);
}

static void each_step_reports_its_own_error(void)
{
    reset();
    enqueue("{\"responses\":[{\"endpoint\":\"vpc-token\",\"status\":403,\"error\":{\"code\":"
            "\"forbidden\",\"message\":\"identity tokens are off\"}}]}");
    iam_config c = IAM_CONFIG_INIT;
    c.url = http_url;
    iam_auth *a = auth_make(IAM_AUTH_VPC, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_AUTH);
    CHECK_EQ_INT(err.http_status, 403);
    CHECK_EQ_STR(err.error_code, "forbidden");
    CHECK_EQ_STR(err.error_message, "identity tokens are off");
    CHECK(strlen(err.request_id) == 36); /* the trace, a UUID */
    CHECK(strncmp(err.message, "VPC instance identity token request failed: HTTP 403", 52) == 0);
    CHECK_EQ_INT(endpoint_count("vpc-iam-token"), 0);

    reset();
    enqueue("{\"responses\":[{\"endpoint\":\"vpc-iam-token\",\"status\":400,\"error\":{\"code\":"
            "\"invalid_value\",\"message\":\"no link\",\"target\":{\"name\":\"trusted_profile\","
            "\"type\":\"field\"}}}]}");
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_AUTH);
    CHECK_EQ_INT(err.http_status, 400);
    CHECK_EQ_STR(err.error_code, "invalid_value");
    CHECK_EQ_STR(err.error_details, "{\"name\":\"trusted_profile\",\"type\":\"field\"}");
    CHECK(strncmp(err.message, "VPC IAM token request failed: HTTP 400, invalid_value", 53) == 0);
    CHECK_EQ_INT(err.attempts, 1); /* 4xx: not retried */
    iam_auth_free(a);
}

static void malformed_answers_are_parse_errors(void)
{
    reset();
    enqueue("{\"responses\":[{\"endpoint\":\"vpc-token\",\"body\":\"{not json\"},"
            "{\"endpoint\":\"vpc-token\",\"json\":{\"expires_in\":300}},"
            "{\"endpoint\":\"vpc-iam-token\",\"body\":\"[1]\"},"
            "{\"endpoint\":\"vpc-iam-token\",\"json\":{\"access_token\":\"opaque-x\"}}]}");
    iam_config c = IAM_CONFIG_INIT;
    c.url = http_url;
    iam_auth *a = auth_make(IAM_AUTH_VPC, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_PARSE);
    CHECK_EQ_INT(err.http_status, 200);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_PARSE);
    CHECK(strstr(err.message, "access_token") != NULL);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_PARSE); /* step 1 real, step 2 not an object */
    CHECK_EQ_INT(endpoint_count("vpc-iam-token"), 1);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_PARSE); /* an IAM token nothing dates */
    CHECK(strstr(err.message, "expires_at or expires_in") != NULL);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    iam_auth_free(a);
}

static void unreachable_metadata_service_is_a_transport_error(void)
{
    iam_config c = IAM_CONFIG_INIT;
    c.url = "http://127.0.0.1:1";
    c.max_retries = -1;
    iam_auth *a = auth_make(IAM_AUTH_VPC, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_TRANSPORT);
    CHECK(strstr(err.message, "127.0.0.1:1/instance_identity/v1/token") != NULL);
    iam_auth_free(a);

    reset();
    enqueue("{\"responses\":[{\"endpoint\":\"vpc-iam-token\",\"hang\":true}]}");
    c.url = http_url;
    c.timeout_ms = 600;
    a = auth_make(IAM_AUTH_VPC, &c);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_TIMEOUT);
    iam_auth_free(a);
}

/* The identity token is used at once: an answer without expiry fields will do. */
static void an_undated_identity_token_is_accepted(void)
{
    reset();
    enqueue("{\"responses\":[{\"endpoint\":\"vpc-token\",\"json\":{\"access_token\":"
            "\"identity-opaque-1\"}},{\"endpoint\":\"vpc-iam-token\",\"token\":true}]}");
    iam_config c = IAM_CONFIG_INIT;
    c.url = http_url;
    iam_auth *a = auth_make(IAM_AUTH_VPC, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    cJSON *all = requests_of("vpc-iam-token");
    CHECK_SECRET_EQ(request_str(request_at(all, -1), "headers", "authorization"),
                    "Bearer identity-opaque-1");
    cJSON_Delete(all);
    iam_auth_free(a);
}

static void the_identity_token_never_shows_in_errors(void)
{
    reset();
    enqueue("{\"responses\":[{\"endpoint\":\"vpc-token\",\"json\":{\"access_token\":"
            "\"identity-secret-4242\",\"expires_in\":300}},{\"endpoint\":\"vpc-iam-token\","
            "\"status\":401,\"error\":{\"code\":\"not_authorized\",\"message\":"
            "\"token identity-secret-4242 is unknown\"}}]}");
    iam_config c = IAM_CONFIG_INIT;
    c.url = http_url;
    iam_auth *a = auth_make(IAM_AUTH_VPC, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_AUTH);
    CHECK(strstr(err.message, "identity-secret-4242") == NULL);
    CHECK(strstr(err.error_message, "identity-secret-4242") == NULL);
    CHECK(strstr(err.error_message, "[redacted]") != NULL);
    cJSON *all = requests_of("vpc-iam-token");
    CHECK_SECRET_EQ(request_str(request_at(all, -1), "headers", "authorization"),
                    "Bearer identity-secret-4242");
    cJSON_Delete(all);
    iam_auth_free(a);
}

/* The identity token goes into the next request's Authorization header: one
 * that could end that header line (or carry any control character) is refused
 * before anything is sent with it. */
static void an_identity_token_with_control_characters_is_refused(void)
{
    static const char *const bodies[] = {
        "{\"endpoint\":\"vpc-token\",\"json\":{\"access_token\":\"id\\r\\nX-Injected: 1\"}}",
        "{\"endpoint\":\"vpc-token\",\"json\":{\"access_token\":\"id\\u007f\"}}",
        "{\"endpoint\":\"vpc-token\",\"json\":{\"access_token\":\"id with space\"}}",
    };
    iam_config c = IAM_CONFIG_INIT;
    c.url = http_url;
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        reset();
        char queue[256];
        snprintf(queue, sizeof queue, "{\"responses\":[%s]}", bodies[i]);
        enqueue(queue);
        iam_auth *a = auth_make(IAM_AUTH_VPC, &c);
        iam_error err;
        CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_PARSE);
        CHECK(strstr(err.message, "access_token") != NULL);
        CHECK(strstr(err.message, "X-Injected") == NULL);
        CHECK_EQ_INT(endpoint_count("vpc-iam-token"), 0);
        iam_auth_free(a);
    }
}

static void concurrent_callers_share_one_request_per_step(void)
{
    reset();
    token_settings("{\"delay_ms\":300}");
    iam_config c = IAM_CONFIG_INIT;
    c.url = http_url;
    c.iam_profile_id = "Profile-1";
    iam_auth *a = auth_make(IAM_AUTH_VPC, &c);
    CHECK_EQ_INT(auth_fetch_concurrently(a, 16), 16);
    CHECK_EQ_INT(endpoint_count("vpc-token"), 1);
    CHECK_EQ_INT(endpoint_count("vpc-iam-token"), 1);
    iam_auth_free(a);
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
    RUN(both_steps_are_sent_as_the_protocol_says);
    RUN(the_profile_goes_in_the_body);
    RUN(version_2025_08_26_uses_the_identity_paths);
    RUN(expiry_comes_from_the_response_times);
    RUN(https_needs_the_test_ca);
    RUN(each_step_reports_its_own_error);
    RUN(malformed_answers_are_parse_errors);
    RUN(unreachable_metadata_service_is_a_transport_error);
    RUN(an_undated_identity_token_is_accepted);
    RUN(the_identity_token_never_shows_in_errors);
    RUN(an_identity_token_with_control_characters_is_refused);
    RUN(concurrent_callers_share_one_request_per_step);
    curl_global_cleanup();
    return CHECK_DONE();
}
