/* libcurl is loaded on first use: when it cannot be loaded, constructing still
 * works and every network use fails with IAM_E_INTERNAL saying why, every time. */
#define _GNU_SOURCE
#include "check.h"
#include "curl_lib.h"
#include "http.h"
#include "iamcore.h"
#include "iamcore_aws.h"

#include <stdlib.h>

#define MISSING "libiamcore-test-no-such-curl.so.4"

static void constructing_needs_no_libcurl(void)
{
    iam_config cfg = IAM_CONFIG_INIT;
    cfg.apikey = "test-api-key-123";
    cfg.url = "http://127.0.0.1:9";
    iam_auth *a = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_auth_new(&a, IAM_AUTH_IAM, &cfg, &err), IAM_OK);

    for (int i = 0; i < 2; i++) { /* the same answer the second time */
        iam_token *t = NULL;
        CHECK_EQ_INT(iam_auth_get_token(a, &t, &err), IAM_E_INTERNAL);
        CHECK(t == NULL);
        CHECK(strstr(err.message, MISSING " could not be loaded") != NULL);
        CHECK(strstr(err.message, "test-api-key") == NULL);
    }
    iam_auth_free(a);
}

static void the_http_client_reports_it(void)
{
    iam_http_options o = {.timeout_ms = 1000, .connect_timeout_ms = 1000,
                          .max_response_bytes = 1024};
    iam_http *h = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_http_new(&h, &o, &err), IAM_OK);
    iam_http_response resp;
    iam_error_clear(&err);
    CHECK_EQ_INT(iam_http_request(h, "GET", "http://127.0.0.1:9/", NULL, 0, NULL, 0, &resp, &err),
                 IAM_E_INTERNAL);
    CHECK_EQ_INT(err.code, IAM_E_INTERNAL);
    CHECK_EQ_INT(resp.status, 0);
    CHECK(resp.body.data == NULL);
    iam_http_free(h);
}

static void url_parsing_reports_it(void)
{
    char *host = (char *)"x", *target = (char *)"x";
    iam_error err;
    CHECK_EQ_INT(iam_aws_url_parts(&host, &target, "https://example.com/a?b=c", &err),
                 IAM_E_INTERNAL);
    CHECK(host == NULL && target == NULL);
    CHECK(strstr(err.message, MISSING) != NULL);
}

static void global_init_reports_it(void)
{
    CHECK_EQ_INT(iam_global_init(), IAM_E_INTERNAL);
}

static void signing_needs_no_libcurl(void)
{
    const iam_aws_credentials creds = {.access_key_id = "AKIAIOSFODNN7EXAMPLE",
                                       .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
    char *token = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_rds_auth_token(&token, &creds, "db.example.com", 5432, "app", "us-east-1",
                                    1700000000, 0, &err),
                 IAM_OK);
    CHECK(token && strstr(token, "&X-Amz-Signature=") != NULL);
    iam_aws_string_free(token);
}

int main(void)
{
    iam_curl_set_soname(MISSING); /* before anything loads libcurl */
    RUN(constructing_needs_no_libcurl);
    RUN(the_http_client_reports_it);
    RUN(url_parsing_reports_it);
    RUN(global_init_reports_it);
    RUN(signing_needs_no_libcurl);
    return CHECK_DONE();
}
