#define _GNU_SOURCE
#include "check.h"
#include "iam_request.h"

#include <stdlib.h>
#include <string.h>

static iam_token *parse(const char *body, int *status, iam_error *err)
{
    iam_token *t = NULL;
    iam_error_clear(err);
    *status = iam_parse_token_response(body, strlen(body), 1000, &t, err);
    return t;
}

static void response_fields_win_over_jwt_claims(void)
{
    /* JWT payload {"iat":1,"exp":2}; the response says otherwise. */
    const char *body = "{\"access_token\":\"e30.eyJpYXQiOjEsImV4cCI6Mn0.x\","
                       "\"expires_in\":3600,\"expiration\":5000}";
    int st;
    iam_error err;
    iam_token *t = parse(body, &st, &err);
    CHECK_EQ_INT(st, IAM_OK);
    CHECK_EQ_INT(iam_token_expires_at(t), 5000);
    CHECK_EQ_INT(iam_token_issued_at(t), 1400);
    iam_token_release(t);
}

static void expires_in_alone_counts_from_now(void)
{
    int st;
    iam_error err;
    iam_token *t = parse("{\"access_token\":\"opaque\",\"expires_in\":60}", &st, &err);
    CHECK_EQ_INT(st, IAM_OK);
    CHECK_EQ_INT(iam_token_issued_at(t), 1000);
    CHECK_EQ_INT(iam_token_expires_at(t), 1060);
    CHECK_EQ_STR(iam_token_value(t), "opaque");
    iam_token_release(t);
}

static void jwt_claims_are_the_fallback(void)
{
    int st;
    iam_error err;
    /* payload {"iat":900,"exp":2000} */
    iam_token *t = parse("{\"access_token\":\"e30.eyJpYXQiOjkwMCwiZXhwIjoyMDAwfQ.x\"}", &st, &err);
    CHECK_EQ_INT(st, IAM_OK);
    CHECK_EQ_INT(iam_token_issued_at(t), 900);
    CHECK_EQ_INT(iam_token_expires_at(t), 2000);
    iam_token_release(t);
}

static void a_token_expired_on_arrival_is_a_parse_error(void)
{
    /* now is 1000 in parse(): expired by `expiration`, by the JWT's exp, or exactly at now */
    const char *cases[] = {
        "{\"access_token\":\"opaque\",\"expires_in\":3600,\"expiration\":400}",
        "{\"access_token\":\"e30.eyJpYXQiOjEsImV4cCI6Mn0.x\"}",
        "{\"access_token\":\"opaque\",\"expiration\":1000}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int st;
        iam_error err;
        CHECK(parse(cases[i], &st, &err) == NULL);
        CHECK_EQ_INT(st, IAM_E_PARSE);
        CHECK(strstr(err.message, "expired") != NULL);
    }
    /* one second left is still a token (the cache decides what is usable) */
    int st;
    iam_error err;
    iam_token *t = parse("{\"access_token\":\"opaque\",\"expiration\":1001}", &st, &err);
    CHECK_EQ_INT(st, IAM_OK);
    CHECK_EQ_INT(iam_token_expires_at(t), 1001);
    iam_token_release(t);
    /* the VPC identity token needs no expiry at all */
    const char *body = "{\"access_token\":\"identity\",\"expires_at\":\"1970-01-01T00:00:01Z\"}";
    t = NULL;
    CHECK_EQ_INT(iam_parse_token_body(body, strlen(body), 1000, IAM_TIMES_NONE, &t, NULL, &err),
                 IAM_OK);
    CHECK(t != NULL);
    iam_token_release(t);
}

static void unusable_responses_are_parse_errors(void)
{
    const char *cases[] = {
        "{not json",
        "[1,2]",
        "{\"token_type\":\"Bearer\",\"expires_in\":3600}",
        "{\"access_token\":\"\",\"expires_in\":3600}",
        "{\"access_token\":\"opaque-no-expiry\"}",
        /* Not a bearer token: it could end or forge a header line. */
        "{\"access_token\":\"a\\r\\nX-Injected: 1\",\"expires_in\":60}",
        "{\"access_token\":\"a b\",\"expires_in\":60}",
        "{\"access_token\":\"a\\u00e9\",\"expires_in\":60}",
        "{\"access_token\":\"a\\u0001\",\"expires_in\":60}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int st;
        iam_error err;
        CHECK(parse(cases[i], &st, &err) == NULL);
        CHECK_EQ_INT(st, IAM_E_PARSE);
        CHECK_EQ_INT(err.code, IAM_E_PARSE);
        CHECK(err.message[0] != '\0');
    }
}

static void iam_error_body_fills_every_field(void)
{
    const char *body = "{\"errorCode\":\"BXNIM0415E\",\"errorMessage\":\"Provided API key could "
                       "not be found\",\"errorDetails\":{\"k\":1},\"context\":{\"requestId\":"
                       "\"req-1\",\"url\":\"https://iam\"}}";
    iam_error err;
    iam_error_clear(&err);
    CHECK_EQ_INT(iam_parse_error_response(400, body, strlen(body), "tx-9", &err), IAM_E_AUTH);
    CHECK_EQ_INT(err.http_status, 400);
    CHECK_EQ_STR(err.error_code, "BXNIM0415E");
    CHECK_EQ_STR(err.error_message, "Provided API key could not be found");
    CHECK_EQ_STR(err.error_details, "{\"k\":1}");
    CHECK_EQ_STR(err.request_id, "req-1");
    CHECK_EQ_STR(err.transaction_id, "tx-9");
    CHECK_EQ_STR(err.message, "IAM token request failed: HTTP 400, BXNIM0415E: Provided API key "
                              "could not be found");
}

static void other_error_shapes_and_non_json(void)
{
    const char *body = "{\"errors\":[{\"code\":\"not_found\",\"message\":\"nope\"}],\"trace\":\"t-1\"}";
    iam_error err;
    iam_error_clear(&err);
    iam_parse_error_response(404, body, strlen(body), "", &err);
    CHECK_EQ_STR(err.error_code, "not_found");
    CHECK_EQ_STR(err.error_message, "nope");
    CHECK_EQ_STR(err.request_id, "t-1");
    iam_error_clear(&err);
    iam_parse_error_response(502, "<html>bad gateway</html>", 24, "", &err);
    CHECK_EQ_INT(err.code, IAM_E_AUTH);
    CHECK_EQ_STR(err.message, "IAM token request failed: HTTP 502");
}

static void vpc_times_are_rfc3339(void)
{
    iam_error err;
    iam_token *t = NULL;
    /* created_at and expires_at win (milliseconds or not); expires_in is ignored then */
    const char *body = "{\"access_token\":\"opaque\",\"created_at\":\"1970-01-01T00:16:40.500Z\","
                       "\"expires_at\":\"1970-01-01T01:16:40Z\",\"expires_in\":5}";
    CHECK_EQ_INT(iam_parse_token_body(body, strlen(body), 2000, IAM_TIMES_VPC, &t, NULL, &err),
                 IAM_OK);
    if (t) {
        CHECK_EQ_INT(iam_token_issued_at(t), 1000);
        CHECK_EQ_INT(iam_token_expires_at(t), 4600);
    }
    iam_token_release(t);
    /* expires_at with expires_in; an unparsable created_at is ignored */
    body = "{\"access_token\":\"opaque\",\"created_at\":\"yesterday\","
           "\"expires_at\":\"1970-01-01T02:00:00+01:00\",\"expires_in\":300}";
    t = NULL;
    CHECK_EQ_INT(iam_parse_token_body(body, strlen(body), 2000, IAM_TIMES_VPC, &t, NULL, &err),
                 IAM_OK);
    if (t) {
        CHECK_EQ_INT(iam_token_expires_at(t), 3600);
        CHECK_EQ_INT(iam_token_expires_at(t) - iam_token_issued_at(t), 300);
    }
    iam_token_release(t);
    /* IAM's epoch `expiration` means nothing to a VPC answer */
    body = "{\"access_token\":\"opaque\",\"expiration\":5000}";
    t = NULL;
    CHECK_EQ_INT(iam_parse_token_body(body, strlen(body), 2000, IAM_TIMES_VPC, &t, NULL, &err),
                 IAM_E_PARSE);
    CHECK(t == NULL);
    CHECK(strstr(err.message, "expires_at") != NULL);
}

static void refresh_tokens_are_returned_unless_not_supported(void)
{
    static const struct {
        const char *body;
        const char *want;
    } cases[] = {
        {"{\"access_token\":\"a\",\"expires_in\":60,\"refresh_token\":\"r-1\"}", "r-1"},
        {"{\"access_token\":\"a\",\"expires_in\":60,\"refresh_token\":\"not_supported\"}", NULL},
        {"{\"access_token\":\"a\",\"expires_in\":60,\"refresh_token\":\"\"}", NULL},
        {"{\"access_token\":\"a\",\"expires_in\":60,\"refresh_token\":7}", NULL},
        {"{\"access_token\":\"a\",\"expires_in\":60}", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        iam_error err;
        iam_token *t = NULL;
        char *refresh = (char *)"unchanged";
        CHECK_EQ_INT(iam_parse_token_body(cases[i].body, strlen(cases[i].body), 1000,
                                          IAM_TIMES_IAM, &t, &refresh, &err), IAM_OK);
        if (cases[i].want)
            CHECK_SECRET_EQ(refresh, cases[i].want);
        else
            CHECK(refresh == NULL);
        free(refresh);
        iam_token_release(t);
    }
    /* a failed parse returns no refresh token */
    iam_error err;
    iam_token *t = NULL;
    char *refresh = (char *)"unchanged";
    const char *body = "{\"refresh_token\":\"r-2\"}";
    CHECK_EQ_INT(iam_parse_token_body(body, strlen(body), 1000, IAM_TIMES_IAM, &t, &refresh,
                                      &err), IAM_E_PARSE);
    CHECK(refresh == NULL && t == NULL);
}

static void vpc_error_shape_and_request_name(void)
{
    const char *body = "{\"errors\":[{\"code\":\"invalid_value\",\"message\":\"bad\","
                       "\"target\":{\"name\":\"expires_in\",\"type\":\"field\"}}],"
                       "\"status_code\":400,\"trace\":\"t-2\"}";
    iam_error err;
    iam_error_clear(&err);
    CHECK_EQ_INT(iam_parse_error_body("VPC IAM token request", 400, body, strlen(body), "", &err),
                 IAM_E_AUTH);
    CHECK_EQ_STR(err.error_code, "invalid_value");
    CHECK_EQ_STR(err.error_message, "bad");
    CHECK_EQ_STR(err.error_details, "{\"name\":\"expires_in\",\"type\":\"field\"}");
    CHECK_EQ_STR(err.request_id, "t-2");
    CHECK_EQ_STR(err.message, "VPC IAM token request failed: HTTP 400, invalid_value: bad");
}

static void token_url_handles_suffix_and_slashes(void)
{
    const char *cases[][2] = {
        {"https://iam.cloud.ibm.com", "https://iam.cloud.ibm.com/identity/token"},
        {"https://iam.cloud.ibm.com/", "https://iam.cloud.ibm.com/identity/token"},
        {"https://iam.cloud.ibm.com/identity/token", "https://iam.cloud.ibm.com/identity/token"},
        {"https://iam.cloud.ibm.com/identity/token/", "https://iam.cloud.ibm.com/identity/token"},
        {"http://h:8080/base", "http://h:8080/base/identity/token"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *u = iam_token_url(cases[i][0]);
        CHECK_EQ_STR(u, cases[i][1]);
        free(u);
    }
}

int main(void)
{
    RUN(response_fields_win_over_jwt_claims);
    RUN(expires_in_alone_counts_from_now);
    RUN(jwt_claims_are_the_fallback);
    RUN(a_token_expired_on_arrival_is_a_parse_error);
    RUN(unusable_responses_are_parse_errors);
    RUN(iam_error_body_fills_every_field);
    RUN(other_error_shapes_and_non_json);
    RUN(vpc_times_are_rfc3339);
    RUN(refresh_tokens_are_returned_unless_not_supported);
    RUN(vpc_error_shape_and_request_name);
    RUN(token_url_handles_suffix_and_slashes);
    return CHECK_DONE();
}
