/* The IAM assume authenticator: configuration checks, then both steps (an
 * API-key token, then the assume grant) over real sockets to the emulator. */
#define _GNU_SOURCE
#include "check.h"
#include "iamcore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_check.h"
#include "emulator.h"

#define GRANT_APIKEY "urn:ibm:params:oauth:grant-type:apikey"
#define GRANT_ASSUME "urn:ibm:params:oauth:grant-type:assume"

static const char *https_url, *ca_file;

static iam_config base_config(void)
{
    iam_config c = IAM_CONFIG_INIT;
    c.apikey = "assume-test-key";
    c.iam_profile_id = "Profile-77";
    c.url = http_url;
    return c;
}

static void configuration_rules(void)
{
    iam_config c = IAM_CONFIG_INIT;
    c.iam_profile_id = "p";
    CHECK(auth_config_fails(IAM_AUTH_IAM_ASSUME, &c, "API key is required", NULL));
    c.apikey = "{braced}";
    CHECK(auth_config_fails(IAM_AUTH_IAM_ASSUME, &c, "curly bracket", NULL));
    c.apikey = "k";
    c.refresh_token = "r";
    CHECK(auth_config_fails(IAM_AUTH_IAM_ASSUME, &c, "refresh token", NULL));
    c.refresh_token = NULL;
    c.iam_profile_id = NULL;
    CHECK(auth_config_fails(IAM_AUTH_IAM_ASSUME, &c, "exactly one of", NULL));
    c.iam_profile_id = "p";
    c.iam_profile_crn = "crn:v1:x";
    CHECK(auth_config_fails(IAM_AUTH_IAM_ASSUME, &c, "exactly one of", NULL));
    c.iam_profile_crn = NULL;
    c.iam_profile_id = NULL;
    c.iam_profile_name = "name";
    CHECK(auth_config_fails(IAM_AUTH_IAM_ASSUME, &c, "iam_account_id", NULL));
    c.iam_profile_name = NULL;
    c.iam_profile_crn = "crn:v1:x";
    c.iam_account_id = "acct";
    CHECK(auth_config_fails(IAM_AUTH_IAM_ASSUME, &c, "iam_profile_name and iam_account_id go together", NULL));
    c.iam_account_id = NULL;
    c.client_id = "bx";
    CHECK(auth_config_fails(IAM_AUTH_IAM_ASSUME, &c, "together", NULL));
    c.client_secret = "bx-secret";
    iam_auth *a = auth_make(IAM_AUTH_IAM_ASSUME, &c);
    CHECK(a != NULL);
    CHECK_EQ_STR(iam_auth_type_name(iam_auth_get_type(a)), "iamAssume");
    iam_auth_free(a);
}

static void step_one_is_an_apikey_grant_and_step_two_assumes(void)
{
    reset();
    iam_config c = base_config();
    c.client_id = "bx";
    c.client_secret = "bx-secret";
    c.scope = "ibm openid";
    iam_header h[] = {{"X-Trace", "t-1"}};
    c.headers = h;
    c.header_count = 1;
    iam_auth *a = auth_make(IAM_AUTH_IAM_ASSUME, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);

    cJSON *all = requests_of("iam");
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(all, "requests")), 2);
    cJSON *first = request_at(all, 0), *second = request_at(all, 1);
    CHECK_EQ_STR(request_str(first, "form", "grant_type"), GRANT_APIKEY);
    CHECK_SECRET_EQ(request_str(first, "form", "apikey"), "assume-test-key");
    CHECK_EQ_STR(request_str(first, "form", "scope"), "ibm openid");
    CHECK_SECRET_EQ(request_str(first, "headers", "authorization"), "Basic Yng6Yngtc2VjcmV0");
    CHECK_EQ_STR(request_str(first, "headers", "x-trace"), "t-1");

    CHECK_EQ_STR(request_str(second, "form", "grant_type"), GRANT_ASSUME);
    const char *access = request_str(second, "form", "access_token");
    CHECK(access && strncmp(access, "eyJ", 3) == 0);
    CHECK_EQ_STR(request_str(second, "form", "profile_id"), "Profile-77");
    CHECK(request_str(second, "form", "scope") == NULL);
    CHECK(request_str(second, "form", "apikey") == NULL);
    CHECK(request_str(second, "headers", "authorization") == NULL); /* no Basic auth */
    CHECK_EQ_STR(request_str(second, "headers", "content-type"),
                 "application/x-www-form-urlencoded");
    CHECK_EQ_STR(request_str(second, "headers", "x-trace"), "t-1");
    const char *ua = request_str(second, "headers", "user-agent");
    const char ua_prefix[] = "iamcore/" IAMCORE_VERSION " (iamAssume; ";
    CHECK(ua && strncmp(ua, ua_prefix, sizeof ua_prefix - 1) == 0);
    cJSON_Delete(all);
    iam_auth_free(a);
}

static void each_profile_form(void)
{
    iam_config c = base_config();
    c.iam_profile_id = NULL;
    c.iam_profile_crn = "crn:v1:bluemix:public:iam-identity::a/1::profile:Profile-9";
    reset();
    iam_auth *a = auth_make(IAM_AUTH_IAM_ASSUME, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    cJSON *all = requests_of("iam");
    cJSON *r = request_at(all, -1);
    CHECK_EQ_STR(request_str(r, "form", "profile_crn"), c.iam_profile_crn);
    CHECK(request_str(r, "form", "profile_id") == NULL && request_str(r, "form", "account") == NULL);
    cJSON_Delete(all);
    iam_auth_free(a);

    c.iam_profile_crn = NULL;
    c.iam_profile_name = "my profile";
    c.iam_account_id = "acct-1";
    reset();
    a = auth_make(IAM_AUTH_IAM_ASSUME, &c);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    all = requests_of("iam");
    r = request_at(all, -1);
    CHECK_EQ_STR(request_str(r, "form", "profile_name"), "my profile");
    CHECK_EQ_STR(request_str(r, "form", "account"), "acct-1");
    cJSON_Delete(all);
    iam_auth_free(a);
}

static void the_first_token_is_cached_and_reused(void)
{
    reset();
    iam_config c = base_config();
    iam_auth *a = auth_make(IAM_AUTH_IAM_ASSUME, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK); /* the assumed token is cached */
    CHECK_EQ_INT(endpoint_count("iam"), 2);
    iam_auth_invalidate(a);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK); /* a new step 2, the same step-1 token */
    cJSON *all = requests_of("iam");
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(all, "requests")), 3);
    CHECK_EQ_STR(request_str(request_at(all, 2), "form", "grant_type"), GRANT_ASSUME);
    CHECK_SECRET_EQ(request_str(request_at(all, 2), "form", "access_token"),
                    request_str(request_at(all, 1), "form", "access_token"));
    cJSON_Delete(all);
    iam_auth_free(a);
}

static void errors_of_either_step(void)
{
    /* step 1 refused: no assume request */
    reset();
    iam_config c = base_config();
    c.apikey = "bad-key";
    iam_auth *a = auth_make(IAM_AUTH_IAM_ASSUME, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_AUTH);
    CHECK_EQ_STR(err.error_code, "BXNIM0415E");
    CHECK_EQ_INT(endpoint_count("iam"), 1);
    iam_auth_free(a);

    /* step 2 refused, echoing the key: the error says which step, never the key */
    reset();
    enqueue("{\"responses\":[{\"token\":true},{\"status\":403,\"error\":{\"errorCode\":"
            "\"BXNIM0398E\",\"errorMessage\":\"profile not eligible for assume-test-key\"}}]}");
    c = base_config();
    a = auth_make(IAM_AUTH_IAM_ASSUME, &c);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_AUTH);
    CHECK_EQ_INT(err.http_status, 403);
    CHECK_EQ_STR(err.error_code, "BXNIM0398E");
    CHECK(strncmp(err.message, "IAM token request (assume grant) failed: HTTP 403", 49) == 0);
    CHECK(strstr(err.message, "assume-test-key") == NULL);
    CHECK(strstr(err.error_message, "[redacted]") != NULL);
    /* a 403 keeps the step-1 token: the retry is one request */
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    CHECK_EQ_INT(endpoint_count("iam"), 3);

    /* a 401 in step 2 drops the step-1 token: the retry starts over */
    reset();
    iam_auth_invalidate(a);
    enqueue("{\"responses\":[{\"status\":401,\"error\":{\"errorCode\":\"BXNIM0407E\","
            "\"errorMessage\":\"token rejected\"}}]}");
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_AUTH);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    cJSON *all = requests_of("iam");
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(all, "requests")), 3);
    CHECK_EQ_STR(request_str(request_at(all, 1), "form", "grant_type"), GRANT_APIKEY);
    cJSON_Delete(all);

    /* an unusable step-2 answer */
    reset();
    iam_auth_invalidate(a);
    enqueue("{\"responses\":[{\"body\":\"{not json\"}]}");
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_PARSE);
    iam_auth_free(a);

    /* nothing listening */
    c.url = "http://127.0.0.1:1";
    c.max_retries = -1;
    a = auth_make(IAM_AUTH_IAM_ASSUME, &c);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_TRANSPORT);
    iam_auth_free(a);
}

static void https_needs_the_test_ca(void)
{
    reset();
    iam_config c = base_config();
    c.url = https_url;
    c.max_retries = -1;
    iam_auth *a = auth_make(IAM_AUTH_IAM_ASSUME, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_E_TLS);
    iam_auth_free(a);
    c.ca_file = ca_file;
    a = auth_make(IAM_AUTH_IAM_ASSUME, &c);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    cJSON *all = requests_of("iam");
    CHECK_EQ_STR(request_str(request_at(all, -1), NULL, "scheme"), "https");
    cJSON_Delete(all);
    iam_auth_free(a);
}

static void concurrent_callers_share_one_request_per_step(void)
{
    reset();
    token_settings("{\"delay_ms\":200}");
    iam_config c = base_config();
    iam_auth *a = auth_make(IAM_AUTH_IAM_ASSUME, &c);
    CHECK_EQ_INT(auth_fetch_concurrently(a, 16), 16);
    CHECK_EQ_INT(endpoint_count("iam"), 2);
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
    RUN(step_one_is_an_apikey_grant_and_step_two_assumes);
    RUN(each_profile_form);
    RUN(the_first_token_is_cached_and_reused);
    RUN(errors_of_either_step);
    RUN(https_needs_the_test_ca);
    RUN(concurrent_callers_share_one_request_per_step);
    curl_global_cleanup();
    return CHECK_DONE();
}
