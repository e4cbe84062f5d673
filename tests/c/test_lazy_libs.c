/* libcurl and libcrypto are found on first use: when neither can be loaded,
 * constructing still works (Basic auth headers included), every request fails
 * with IAM_E_INTERNAL naming libcurl and every signature with IAM_E_INTERNAL
 * naming libcrypto, every time. */
#define _GNU_SOURCE
#include "check.h"
#include "crypto_lib.h"
#include "curl_lib.h"
#include "http.h"
#include "iamcore.h"
#include "iamcore_aws.h"

#include <stdlib.h>

#define NO_CURL "libiamcore-test-no-such-curl.so.4"
#define NO_CRYPTO "libiamcore-test-no-such-crypto.so.3"

static const iam_aws_credentials CREDS = {"AKIDEXAMPLE", "secret-key-example", NULL, 0};

static void constructing_needs_neither(void)
{
    iam_config cfg = IAM_CONFIG_INIT;
    cfg.apikey = "test-api-key-123";
    cfg.url = "http://127.0.0.1:9";
    cfg.client_id = "bx"; /* a Basic auth header is built here, without libcrypto */
    cfg.client_secret = "bx-secret";
    iam_auth *a = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_auth_new(&a, IAM_AUTH_IAM, &cfg, &err), IAM_OK);

    for (int i = 0; i < 2; i++) { /* the same answer the second time */
        iam_token *t = NULL;
        CHECK_EQ_INT(iam_auth_get_token(a, &t, &err), IAM_E_INTERNAL);
        CHECK(t == NULL);
        CHECK(strstr(err.message, NO_CURL " could not be loaded") != NULL);
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
    CHECK(strstr(err.message, NO_CURL) != NULL);
}

static void global_init_reports_it(void)
{
    CHECK_EQ_INT(iam_global_init(), IAM_E_INTERNAL);
}

static void signing_reports_it(void)
{
    for (int i = 0; i < 2; i++) {
        char *token = (char *)"x";
        iam_error err;
        CHECK_EQ_INT(iam_rds_auth_token(&token, &CREDS, "db.example.com", 5432, "app",
                                        "us-east-1", 1700000000, 0, &err),
                     IAM_E_INTERNAL);
        CHECK(token == NULL);
        CHECK(strstr(err.message, NO_CRYPTO " could not be loaded") != NULL);
        CHECK(strstr(err.message, "secret-key-example") == NULL);

        token = (char *)"x";
        CHECK_EQ_INT(iam_dsql_auth_token(&token, &CREDS, "c.dsql.us-east-1.on.aws", 0,
                                         "us-east-1", 1700000000, 0, &err),
                     IAM_E_INTERNAL);
        CHECK(token == NULL);

        iam_sigv4_params p = IAM_SIGV4_PARAMS_INIT;
        p.service = "s3";
        p.region = "us-east-1";
        p.credentials = &CREDS;
        iam_header host = {"host", "example.com"};
        iam_sigv4_headers out;
        CHECK_EQ_INT(iam_sigv4_sign_headers(&out, &p, "GET", "/", &host, 1, NULL, 0, &err),
                     IAM_E_INTERNAL);
        CHECK_EQ_INT(out.count, 0);
        char *url = (char *)"x";
        CHECK_EQ_INT(iam_sigv4_presign(&url, &p, "GET", "/", &host, 1, NULL, 0, &err),
                     IAM_E_INTERNAL);
        CHECK(url == NULL);
        CHECK(strstr(err.message, NO_CRYPTO) != NULL);
    }
    /* Argument errors still come first, as a configuration error. */
    char *token = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_rds_auth_token(&token, &CREDS, "db.example.com", 0, "app", "us-east-1", 0,
                                    0, &err),
                 IAM_E_CONFIG);
}

int main(void)
{
    /* before anything loads either */
    iam_curl_set_soname(NO_CURL);
    iam_crypto_set_soname(NO_CRYPTO);
    RUN(constructing_needs_neither);
    RUN(the_http_client_reports_it);
    RUN(url_parsing_reports_it);
    RUN(global_init_reports_it);
    RUN(signing_reports_it);
    return CHECK_DONE();
}
