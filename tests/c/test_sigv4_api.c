/* SigV4 behaviour beyond AWS's conformance suite (tests/c/test_sigv4.c): the
 * public functions' results and ownership, argument checks, and canonicalisation
 * rules the suite does not reach (query decoding, S3 paths, header folding,
 * payload hash override, credential expiry). */
#define _GNU_SOURCE
#include "check.h"
#include "sigv4.h"

#include <stdlib.h>
#include <string.h>

#define T_2015_08_30_123600 1440938160 /* the suite's time, 2015-08-30T12:36:00Z */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const iam_aws_credentials SUITE_CREDS = {
    "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL, 0};
static const iam_header HOST[] = {{"Host", "example.amazonaws.com"}};

static iam_sigv4_params suite_params(const iam_aws_credentials *c)
{
    iam_sigv4_params p = IAM_SIGV4_PARAMS_INIT;
    p.service = "service";
    p.region = "us-east-1";
    p.credentials = c;
    p.timestamp = T_2015_08_30_123600;
    return p;
}

/* The canonical request of a header-signed GET of target (Host only). */
static void canonical(iam_buf *out, const iam_sigv4_params *p, const char *target,
                      const iam_header *headers, size_t n)
{
    iam_sigv4_request req = {"GET", target, headers, n, NULL, 0};
    iam_sigv4_result r;
    iam_error err;
    CHECK_EQ_INT(iam_sigv4_compute(&r, IAM_SIGV4_HEADERS, p, &req, &err), IAM_OK);
    iam_buf_append(out, r.canonical_request.data ? r.canonical_request.data : "",
                   r.canonical_request.len);
    iam_sigv4_result_free(&r);
}

/* Line i (0-based) of a canonical request, into buf. */
static const char *line(const char *text, int i, char *buf, size_t cap)
{
    const char *p = text ? text : "";
    while (i-- > 0 && (p = strchr(p, '\n')) != NULL)
        p++;
    if (!p)
        return "";
    size_t n = strcspn(p, "\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return buf;
}

/* ---------------------------------------------------------------- results */

static void header_signing_returns_date_and_authorization(void)
{
    iam_sigv4_params p = suite_params(&SUITE_CREDS);
    iam_sigv4_headers h;
    iam_error err;
    CHECK_EQ_INT(iam_sigv4_sign_headers(&h, &p, "GET", "/", HOST, 1, NULL, 0, &err), IAM_OK);
    CHECK_EQ_INT(h.count, 2);
    CHECK_EQ_STR(h.headers[0].name, "X-Amz-Date");
    CHECK_EQ_STR(h.headers[0].value, "20150830T123600Z");
    CHECK_EQ_STR(h.headers[1].name, "Authorization");
    /* the suite's get-vanilla */
    CHECK_EQ_STR(h.headers[1].value,
                 "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                 "aws4_request, SignedHeaders=host;x-amz-date, Signature="
                 "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    CHECK_EQ_STR(h.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    iam_sigv4_headers_free(&h);
    CHECK_EQ_INT(h.count, 0);
    CHECK(h.storage_ == NULL && h.headers[0].value == NULL);
    iam_sigv4_headers_free(&h); /* twice is fine */
    iam_sigv4_headers_free(NULL);
}

static void header_signing_with_token_and_body_adds_four_headers(void)
{
    iam_aws_credentials c = SUITE_CREDS;
    c.session_token = "the-token";
    iam_sigv4_params p = suite_params(&c);
    p.sign_body = 1;
    iam_sigv4_headers h;
    iam_error err;
    CHECK_EQ_INT(iam_sigv4_sign_headers(&h, &p, "POST", "/", HOST, 1, "abc", 3, &err), IAM_OK);
    CHECK_EQ_INT(h.count, 4);
    CHECK_EQ_STR(h.headers[0].name, "X-Amz-Security-Token");
    CHECK_EQ_STR(h.headers[0].value, "the-token");
    CHECK_EQ_STR(h.headers[1].name, "X-Amz-Date");
    CHECK_EQ_STR(h.headers[2].name, "x-amz-content-sha256");
    /* SHA-256("abc") */
    CHECK_EQ_STR(h.headers[2].value,
                 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(strstr(h.headers[3].value,
                 "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, ") !=
          NULL);
    iam_sigv4_headers_free(&h);
}

/* sign_body only adds the header: the body is hashed either way. */
static void body_is_hashed_without_sign_body(void)
{
    iam_sigv4_params p = suite_params(&SUITE_CREDS);
    iam_sigv4_request req = {"POST", "/", HOST, 1, "abc", 3};
    iam_sigv4_result r;
    iam_error err;
    CHECK_EQ_INT(iam_sigv4_compute(&r, IAM_SIGV4_HEADERS, &p, &req, &err), IAM_OK);
    CHECK_EQ_STR(r.payload_hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(strstr(r.canonical_request.data, "x-amz-content-sha256") == NULL);
    iam_sigv4_result_free(&r);
}

static void empty_session_token_is_no_token(void)
{
    iam_aws_credentials c = SUITE_CREDS;
    c.session_token = "";
    iam_sigv4_params p = suite_params(&c);
    iam_sigv4_headers h;
    iam_error err;
    CHECK_EQ_INT(iam_sigv4_sign_headers(&h, &p, "GET", "/", HOST, 1, NULL, 0, &err), IAM_OK);
    CHECK_EQ_INT(h.count, 2);
    CHECK_EQ_STR(h.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    iam_sigv4_headers_free(&h);

    char *url = NULL;
    CHECK_EQ_INT(iam_sigv4_presign(&url, &p, "GET", "/", HOST, 1, NULL, 0, &err), IAM_OK);
    CHECK(url && strstr(url, "Security-Token") == NULL);
    iam_aws_string_free(url);
}

static void omitted_session_token_is_sent_but_not_signed(void)
{
    iam_aws_credentials c = SUITE_CREDS;
    c.session_token = "the-token";
    iam_sigv4_params p = suite_params(&c);
    p.omit_session_token = 1;
    iam_sigv4_headers h;
    iam_error err;
    CHECK_EQ_INT(iam_sigv4_sign_headers(&h, &p, "GET", "/", HOST, 1, NULL, 0, &err), IAM_OK);
    CHECK_EQ_INT(h.count, 3);
    CHECK_EQ_STR(h.headers[0].name, "X-Amz-Security-Token");
    CHECK(strstr(h.headers[2].value, "SignedHeaders=host;x-amz-date, ") != NULL);
    /* same signature as without a token at all (get-vanilla) */
    CHECK_EQ_STR(h.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    iam_sigv4_headers_free(&h);
}

static void presign_appends_to_the_query_as_given(void)
{
    iam_sigv4_params p = suite_params(&SUITE_CREDS);
    p.expires = 3600;
    iam_error err;
    struct {
        const char *target, *prefix;
    } cases[] = {
        {"/", "/?X-Amz-Algorithm="},
        {"/?", "/?X-Amz-Algorithm="},
        {"/p?a=1", "/p?a=1&X-Amz-Algorithm="},
        {"/p?a=1&", "/p?a=1&X-Amz-Algorithm="},
        {"/p?b=2&a=x%20y", "/p?b=2&a=x%20y&X-Amz-Algorithm="},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *url = NULL;
        CHECK_EQ_INT(iam_sigv4_presign(&url, &p, "GET", cases[i].target, HOST, 1, NULL, 0, &err),
                     IAM_OK);
        CHECK(url && strncmp(url, cases[i].prefix, strlen(cases[i].prefix)) == 0);
        iam_aws_string_free(url);
    }
    /* "/" is the suite's get-vanilla */
    char *url = NULL;
    CHECK_EQ_INT(iam_sigv4_presign(&url, &p, "GET", "/", HOST, 1, NULL, 0, &err), IAM_OK);
    CHECK_EQ_STR(url, "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830"
                      "%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z"
                      "&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature="
                      "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d");
    iam_aws_string_free(url);
    iam_aws_string_free(NULL);
}

static void presign_caps_expires_at_the_credentials_lifetime(void)
{
    iam_aws_credentials c = SUITE_CREDS;
    c.expiration = T_2015_08_30_123600 + 120;
    iam_sigv4_params p = suite_params(&c);
    p.expires = 3600;
    iam_error err;
    char *url = NULL;
    CHECK_EQ_INT(iam_sigv4_presign(&url, &p, "GET", "/", HOST, 1, NULL, 0, &err), IAM_OK);
    CHECK(url && strstr(url, "&X-Amz-Expires=120&"));
    iam_aws_string_free(url);

    c.expiration = T_2015_08_30_123600 - 1;
    url = NULL;
    iam_error_clear(&err);
    CHECK_EQ_INT(iam_sigv4_presign(&url, &p, "GET", "/", HOST, 1, NULL, 0, &err), IAM_E_CONFIG);
    CHECK(url == NULL);
    CHECK(strstr(err.message, "expired") != NULL);
    iam_sigv4_headers h;
    CHECK_EQ_INT(iam_sigv4_sign_headers(&h, &p, "GET", "/", HOST, 1, NULL, 0, &err),
                 IAM_E_CONFIG);
    CHECK_EQ_INT(h.count, 0);
    iam_sigv4_headers_free(&h);
}

/* ---------------------------------------------------------------- canonical form */

static void query_is_decoded_reencoded_and_sorted(void)
{
    iam_sigv4_params p = suite_params(&SUITE_CREDS);
    iam_buf cr = {0};
    char buf[256];
    canonical(&cr, &p, "/?b=2&a=%7e&a=1&c&&d=x+y&e=%zz&f=%2f%2F&%E1%88%B4=&g=a=b", HOST, 1);
    CHECK_EQ_STR(line(cr.data, 2, buf, sizeof buf),
                 "%E1%88%B4=&a=1&a=~&b=2&c=&d=x%2By&e=%25zz&f=%2F%2F&g=a%3Db");
    iam_buf_free(&cr);
}

static void paths_per_flags(void)
{
    struct {
        const char *target;
        int normalize, double_encode;
        const char *expected;
    } cases[] = {
        {"/a%20b", 1, 1, "/a%2520b"},     /* AWS signs the encoded path once more */
        {"/a%20b", 0, 0, "/a%20b"},       /* S3: escapes kept */
        {"/a b/%zz/%41", 0, 0, "/a%20b/%25zz/%41"},
        {"/a/./b/../c//d/", 1, 1, "/a/c/d/"},
        {"/a/./b/../c//d/", 0, 0, "/a/./b/../c//d/"},
        {"/a/b/..", 1, 1, "/a"},
        {"/../..", 1, 1, "/"},
        {"/?x=1", 1, 1, "/"},
        {"/~a-b_c.d/%7E", 1, 0, "/~a-b_c.d/%7E"},
        {"/caf\xc3\xa9;x=y", 1, 1, "/caf%C3%A9%3Bx%3Dy"},
    };
    char buf[256];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        iam_sigv4_params p = suite_params(&SUITE_CREDS);
        p.normalize_path = cases[i].normalize;
        p.double_encode_path = cases[i].double_encode;
        iam_buf cr = {0};
        canonical(&cr, &p, cases[i].target, HOST, 1);
        CHECK_EQ_STR(line(cr.data, 1, buf, sizeof buf), cases[i].expected);
        iam_buf_free(&cr);
    }
}

static void headers_are_folded_sorted_and_filtered(void)
{
    iam_sigv4_params p = suite_params(&SUITE_CREDS);
    const iam_header h[] = {
        {"host", "example.amazonaws.com"},
        {"X-B", "\t two\r\n\t  lines  "},
        {"x-a", "1"},
        {"User-Agent", "not signed"},
        {"X-A", " 2 "},
        {"Connection", "keep-alive"},
        {"x-empty", ""},
    };
    iam_buf cr = {0};
    canonical(&cr, &p, "/", h, sizeof h / sizeof *h);
    CHECK_EQ_STR(cr.data, "GET\n/\n\n"
                          "host:example.amazonaws.com\n"
                          "x-a:1,2\n"
                          "x-amz-date:20150830T123600Z\n"
                          "x-b:two lines\n"
                          "x-empty:\n"
                          "\n"
                          "host;x-a;x-amz-date;x-b;x-empty\n" EMPTY_SHA256);
    iam_buf_free(&cr);
}

static void payload_hash_override(void)
{
    iam_sigv4_params p = suite_params(&SUITE_CREDS);
    p.payload_hash = "UNSIGNED-PAYLOAD";
    p.sign_body = 1;
    iam_sigv4_headers h;
    iam_error err;
    CHECK_EQ_INT(iam_sigv4_sign_headers(&h, &p, "PUT", "/k", HOST, 1, "data", 4, &err), IAM_OK);
    CHECK_EQ_INT(h.count, 3);
    CHECK_EQ_STR(h.headers[1].name, "x-amz-content-sha256");
    CHECK_EQ_STR(h.headers[1].value, "UNSIGNED-PAYLOAD");
    iam_sigv4_headers_free(&h);

    iam_sigv4_request req = {"PUT", "/k", HOST, 1, "data", 4};
    iam_sigv4_result r;
    CHECK_EQ_INT(iam_sigv4_compute(&r, IAM_SIGV4_QUERY, &p, &req, &err), IAM_OK);
    const char *cr = r.canonical_request.data;
    CHECK(cr && strlen(cr) > 17 && strcmp(cr + strlen(cr) - 17, "\nUNSIGNED-PAYLOAD") == 0);
    iam_sigv4_result_free(&r);
}

static void timestamp_zero_is_now(void)
{
    iam_sigv4_params p = suite_params(&SUITE_CREDS);
    p.timestamp = 0;
    iam_sigv4_headers h;
    iam_error err;
    CHECK_EQ_INT(iam_sigv4_sign_headers(&h, &p, "GET", "/", HOST, 1, NULL, 0, &err), IAM_OK);
    CHECK(h.count == 2 && strlen(h.headers[0].value) == 16 &&
          strncmp(h.headers[0].value, "20", 2) == 0 &&
          strcmp(h.headers[0].value, "20150830T123600Z") != 0);
    iam_sigv4_headers_free(&h);
}

/* ---------------------------------------------------------------- argument checks */

static char sentinel[] = "sentinel";

static void check_config_error(iam_status st, const iam_error *err)
{
    CHECK_EQ_INT(st, IAM_E_CONFIG);
    CHECK(err->message[0] != '\0');
    CHECK(strstr(err->message, "wJalrXUtnFEMI") == NULL); /* never the secret */
    CHECK(strstr(err->message, "the-token") == NULL);     /* never the token  */
}

/* Both entry points must refuse the call, leave no result, and name no secret. */
#define REJECTS(params, method, target, headers, n)                                      \
    do {                                                                                 \
        iam_error e_;                                                                    \
        iam_sigv4_headers h_;                                                            \
        iam_error_clear(&e_);                                                            \
        check_config_error(                                                              \
            iam_sigv4_sign_headers(&h_, params, method, target, headers, n, NULL, 0, &e_), \
            &e_);                                                                        \
        CHECK(h_.count == 0 && h_.storage_ == NULL);                                     \
        iam_sigv4_headers_free(&h_);                                                     \
        char *u_ = sentinel;                                                             \
        iam_error_clear(&e_);                                                            \
        check_config_error(                                                              \
            iam_sigv4_presign(&u_, params, method, target, headers, n, NULL, 0, &e_), &e_); \
        CHECK(u_ == NULL);                                                               \
    } while (0)

static void rejects_bad_params(void)
{
    iam_aws_credentials c = SUITE_CREDS;
    c.session_token = "the-token";
    iam_sigv4_params good = suite_params(&c), p;

    REJECTS(NULL, "GET", "/", HOST, 1);
    p = good, p.version = 0;
    REJECTS(&p, "GET", "/", HOST, 1);
    p = good, p.version = 2;
    REJECTS(&p, "GET", "/", HOST, 1);
    p = good, p.service = NULL;
    REJECTS(&p, "GET", "/", HOST, 1);
    p = good, p.region = "us-east-1/x";
    REJECTS(&p, "GET", "/", HOST, 1);
    p = good, p.region = "";
    REJECTS(&p, "GET", "/", HOST, 1);
    p = good, p.credentials = NULL;
    REJECTS(&p, "GET", "/", HOST, 1);
    p = good, p.timestamp = -1;
    REJECTS(&p, "GET", "/", HOST, 1);
    p = good, p.timestamp = 253402300800; /* year 10000 */
    REJECTS(&p, "GET", "/", HOST, 1);
    p = good, p.payload_hash = "has space";
    REJECTS(&p, "GET", "/", HOST, 1);
    p = good, p.payload_hash = "";
    REJECTS(&p, "GET", "/", HOST, 1);

    iam_aws_credentials bad = c;
    p = good, p.credentials = &bad;
    bad.access_key_id = "AKID/EXAMPLE";
    REJECTS(&p, "GET", "/", HOST, 1);
    bad.access_key_id = NULL;
    REJECTS(&p, "GET", "/", HOST, 1);
    bad = c, bad.secret_access_key = "";
    REJECTS(&p, "GET", "/", HOST, 1);
    bad = c, bad.session_token = "the-token\r\nX-Evil: 1";
    REJECTS(&p, "GET", "/", HOST, 1);

    REJECTS(&good, NULL, "/", HOST, 1);
    REJECTS(&good, "GE T", "/", HOST, 1);
    REJECTS(&good, "GET", NULL, HOST, 1);
    REJECTS(&good, "GET", "relative", HOST, 1);
    REJECTS(&good, "GET", "/a\nb", HOST, 1);
    REJECTS(&good, "GET", "/", NULL, 1);
    REJECTS(&good, "GET", "/", NULL, 0); /* no Host */
    const iam_header no_host[] = {{"X-A", "1"}};
    REJECTS(&good, "GET", "/", no_host, 1);
    const iam_header bad_name[] = {{"Host", "h"}, {"X A", "1"}};
    REJECTS(&good, "GET", "/", bad_name, 2);
    const iam_header null_value[] = {{"Host", "h"}, {"X-A", NULL}};
    REJECTS(&good, "GET", "/", null_value, 2);
    const char *signer_headers[] = {"Authorization", "x-amz-date", "X-AMZ-SECURITY-TOKEN",
                                    "X-Amz-Content-SHA256"};
    for (size_t i = 0; i < 4; i++) {
        const iam_header h[] = {{"Host", "h"}, {signer_headers[i], "v"}};
        REJECTS(&good, "GET", "/", h, 2);
    }
}

static void presign_rejects_reserved_query_params_and_bad_expiry(void)
{
    iam_sigv4_params p = suite_params(&SUITE_CREDS);
    iam_error err;
    const char *targets[] = {"/?X-Amz-Signature=x", "/?a=1&x-amz-date=2",
                             "/?X-Amz-Security-Token", "/?X%2DAmz%2DExpires=1",
                             "/?X-Amz-Credential=a%2Fb"};
    for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) {
        char *url = sentinel;
        iam_error_clear(&err);
        check_config_error(iam_sigv4_presign(&url, &p, "GET", targets[i], HOST, 1, NULL, 0, &err),
                           &err);
        CHECK(url == NULL);
    }
    /* header signing does not care about such parameters */
    iam_sigv4_headers h;
    CHECK_EQ_INT(
        iam_sigv4_sign_headers(&h, &p, "GET", "/?X-Amz-Date=x", HOST, 1, NULL, 0, &err), IAM_OK);
    iam_sigv4_headers_free(&h);

    long bad_expiry[] = {0, -1, IAM_SIGV4_MAX_EXPIRES + 1};
    for (size_t i = 0; i < 3; i++) {
        p.expires = bad_expiry[i];
        char *url = sentinel;
        check_config_error(iam_sigv4_presign(&url, &p, "GET", "/", HOST, 1, NULL, 0, &err), &err);
        CHECK(url == NULL);
    }
    p.expires = IAM_SIGV4_MAX_EXPIRES;
    char *url = NULL;
    CHECK_EQ_INT(iam_sigv4_presign(&url, &p, "GET", "/", HOST, 1, NULL, 0, &err), IAM_OK);
    CHECK(url && strstr(url, "&X-Amz-Expires=604800&"));
    iam_aws_string_free(url);
    CHECK_EQ_INT(iam_sigv4_presign(NULL, &p, "GET", "/", HOST, 1, NULL, 0, NULL), IAM_E_CONFIG);
    CHECK_EQ_INT(iam_sigv4_sign_headers(NULL, &p, "GET", "/", HOST, 1, NULL, 0, NULL),
                 IAM_E_CONFIG);
}

static void percent_encoding(void)
{
    iam_buf b = {0};
    const char in[] = "aZ09-._~ /+=&%\xe1\x88\xb4";
    iam_sigv4_append_encoded(&b, in, sizeof in - 1);
    CHECK_EQ_STR(b.data, "aZ09-._~%20%2F%2B%3D%26%25%E1%88%B4");
    iam_buf_free(&b);
    iam_sigv4_append_encoded(&b, "a\0b", 3); /* length-based: NUL encoded */
    CHECK_EQ_STR(b.data, "a%00b");
    iam_buf_free(&b);
}

static void url_parts(void)
{
    const char *cases[][3] = {
        {"https://example.amazonaws.com", "example.amazonaws.com", "/"},
        {"https://Example.com:443/a%20b/c?x=1&y=%2F", "Example.com", "/a%20b/c?x=1&y=%2F"},
        {"http://127.0.0.1:8080/./x/../y", "127.0.0.1:8080", "/./x/../y"},
        {"https://[::1]:8443/p?q", "[::1]:8443", "/p?q"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *host = NULL, *target = NULL;
        iam_error err;
        CHECK_EQ_INT(iam_aws_url_parts(&host, &target, cases[i][0], &err), IAM_OK);
        CHECK_EQ_STR(host, cases[i][1]);
        CHECK_EQ_STR(target, cases[i][2]);
        free(host);
        iam_aws_string_free(target);
    }
    char *host, *target;
    iam_error err;
    CHECK_EQ_INT(iam_aws_url_parts(&host, &target, "ftp://x/y", &err), IAM_E_CONFIG);
    CHECK_EQ_INT(iam_aws_url_parts(&host, &target, "not a url", &err), IAM_E_CONFIG);
    CHECK(host == NULL && target == NULL);
}

static void unsendable_header_values_are_refused(void)
{
    iam_aws_credentials c = {"AKIDEXAMPLE", "secret", NULL, 0};
    iam_sigv4_params p = IAM_SIGV4_PARAMS_INIT;
    p.service = "service";
    p.region = "us-east-1";
    p.credentials = &c;
    p.timestamp = 1440938160;
    const char *bad[] = {"a\nInjected: 1", "a\rb", "a\x01b", "a\r\nX: y"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        iam_header h[] = {{"Host", "example.amazonaws.com"}, {"X-A", bad[i]}};
        iam_sigv4_headers out = {0};
        iam_error err;
        CHECK_EQ_INT(iam_sigv4_sign_headers(&out, &p, "GET", "/", h, 2, NULL, 0, &err), IAM_E_CONFIG);
        iam_sigv4_headers_free(&out);
    }
    iam_header folded[] = {{"Host", "example.amazonaws.com"}, {"X-A", "a\r\n  b\n\tc"}};
    iam_sigv4_headers out = {0};
    iam_error err;
    CHECK_EQ_INT(iam_sigv4_sign_headers(&out, &p, "GET", "/", folded, 2, NULL, 0, &err), IAM_OK);
    iam_sigv4_headers_free(&out);
    iam_header empty_host[] = {{"Host", "  "}};
    CHECK_EQ_INT(iam_sigv4_sign_headers(&out, &p, "GET", "/", empty_host, 1, NULL, 0, &err),
                 IAM_E_CONFIG);
    iam_sigv4_headers_free(&out);
}

int main(void)
{
    RUN(header_signing_returns_date_and_authorization);
    RUN(header_signing_with_token_and_body_adds_four_headers);
    RUN(body_is_hashed_without_sign_body);
    RUN(empty_session_token_is_no_token);
    RUN(omitted_session_token_is_sent_but_not_signed);
    RUN(presign_appends_to_the_query_as_given);
    RUN(presign_caps_expires_at_the_credentials_lifetime);
    RUN(query_is_decoded_reencoded_and_sorted);
    RUN(paths_per_flags);
    RUN(headers_are_folded_sorted_and_filtered);
    RUN(payload_hash_override);
    RUN(timestamp_zero_is_now);
    RUN(rejects_bad_params);
    RUN(presign_rejects_reserved_query_params_and_bad_expiry);
    RUN(percent_encoding);
    RUN(url_parts);
    RUN(unsendable_header_values_are_refused);
    return CHECK_DONE();
}
