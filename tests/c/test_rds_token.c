/* RDS, DSQL and ElastiCache auth tokens. Every expected string was produced by
 * botocore 1.43 (generate_db_auth_token, generate_db_connect[_admin]_auth_token,
 * and for ElastiCache botocore's presigner with signing name "elasticache") with
 * the clock frozen at 2016-11-07T17:39:33Z; the test does not need botocore. */
#define _GNU_SOURCE
#include "check.h"

#include <pthread.h>
#include "iamcore_aws.h"

#include <string.h>

#define T_2016_11_07_173933 1478540373 /* 2016-11-07T17:39:33Z */
#define VECTOR_HOST "prod-instance.us-east-1.rds.amazonaws.com"

static const iam_aws_credentials AKID = {"akid", "skid", NULL, 0};

/* botocore's own test vector (tests/unit/test_signers.py). */
static const char VECTOR_TOKEN[] =
    "prod-instance.us-east-1.rds.amazonaws.com:3306/?Action=connect"
    "&DBUser=someusername"
    "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=akid%2F20161107%2Fus-east-1%2Frds-db%2Faws4_request"
    "&X-Amz-Date=20161107T173933Z"
    "&X-Amz-Expires=900"
    "&X-Amz-SignedHeaders=host"
    "&X-Amz-Signature=d1138cdbc0ca63eec012ec0fc6c2267e03642168f5884a7795320d4c18374c61";

static char *rds(const iam_aws_credentials *c, const char *host, int port, const char *user,
                 const char *region)
{
    char *tok = NULL;
    iam_error err;
    iam_error_clear(&err);
    iam_status st =
        iam_rds_auth_token(&tok, c, host, port, user, region, T_2016_11_07_173933, 0, &err);
    CHECK_EQ_INT(st, IAM_OK);
    if (st != IAM_OK)
        fprintf(stderr, "  error: %s\n", err.message);
    return tok;
}

static void matches_botocore_vector(void)
{
    char *tok = rds(&AKID, VECTOR_HOST, 3306, "someusername", "us-east-1");
    CHECK_EQ_STR(tok, VECTOR_TOKEN);
    const char *sig = tok ? strstr(tok, "X-Amz-Signature=") : NULL;
    CHECK(sig && strncmp(sig + 16, "d1138cdb", 8) == 0);
    CHECK(tok && strlen(tok) > 4 && strcmp(tok + strlen(tok) - 4, "4c61") == 0);
    iam_aws_string_free(tok);
}

static void session_token_is_encoded_and_signed(void)
{
    iam_aws_credentials c = {"akid", "skid", "sessiontoken/with+special=chars", 0};
    char *tok = rds(&c, VECTOR_HOST, 3306, "someusername", "us-east-1");
    CHECK_EQ_STR(tok,
                 "prod-instance.us-east-1.rds.amazonaws.com:3306/?Action=connect"
                 "&DBUser=someusername"
                 "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                 "&X-Amz-Credential=akid%2F20161107%2Fus-east-1%2Frds-db%2Faws4_request"
                 "&X-Amz-Date=20161107T173933Z"
                 "&X-Amz-Expires=900"
                 "&X-Amz-SignedHeaders=host"
                 "&X-Amz-Security-Token=sessiontoken%2Fwith%2Bspecial%3Dchars"
                 "&X-Amz-Signature="
                 "d2a70800857f189dbd38ff3cef2f9d136e86a2644222cd4f3abd3d356d24a064");
    iam_aws_string_free(tok);
}

/* botocore sends "X-Amz-Security-Token=" (signature 29b2f7d3…); iamcore skips
 * an empty token on purpose, so the token equals the one without a session. */
static void empty_session_token_is_skipped(void)
{
    iam_aws_credentials c = {"akid", "skid", "", 0};
    char *tok = rds(&c, VECTOR_HOST, 3306, "someusername", "us-east-1");
    CHECK_EQ_STR(tok, VECTOR_TOKEN);
    CHECK(tok && !strstr(tok, "X-Amz-Security-Token"));
    iam_aws_string_free(tok);
}

/* The token prints ":443"; the signed host header drops it (botocore). */
static void port_443_is_printed_but_not_signed(void)
{
    char *tok = rds(&AKID, VECTOR_HOST, 443, "someusername", "us-east-1");
    CHECK_EQ_STR(tok,
                 "prod-instance.us-east-1.rds.amazonaws.com:443/?Action=connect"
                 "&DBUser=someusername"
                 "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                 "&X-Amz-Credential=akid%2F20161107%2Fus-east-1%2Frds-db%2Faws4_request"
                 "&X-Amz-Date=20161107T173933Z"
                 "&X-Amz-Expires=900"
                 "&X-Amz-SignedHeaders=host"
                 "&X-Amz-Signature="
                 "289116e2abe3db2b09962194992765bef1bb70285fe1c387dcfdd997149d9a98");
    iam_aws_string_free(tok);
}

/* The token prints the host as given; the signature is the lower-case host's. */
static void upper_case_host_is_printed_as_given_and_signed_lower_case(void)
{
    char *tok = rds(&AKID, "Prod-Instance.US-EAST-1.rds.amazonaws.com", 3306, "someusername",
                    "us-east-1");
    CHECK_EQ_STR(tok,
                 "Prod-Instance.US-EAST-1.rds.amazonaws.com:3306/?Action=connect"
                 "&DBUser=someusername"
                 "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                 "&X-Amz-Credential=akid%2F20161107%2Fus-east-1%2Frds-db%2Faws4_request"
                 "&X-Amz-Date=20161107T173933Z"
                 "&X-Amz-Expires=900"
                 "&X-Amz-SignedHeaders=host"
                 "&X-Amz-Signature="
                 "d1138cdbc0ca63eec012ec0fc6c2267e03642168f5884a7795320d4c18374c61");
    iam_aws_string_free(tok);

    tok = rds(&AKID, "Prod-Instance.US-EAST-1.rds.amazonaws.com", 443, "someusername",
              "us-east-1");
    CHECK(tok && strstr(tok, "Prod-Instance.US-EAST-1.rds.amazonaws.com:443/?") == tok);
    CHECK(tok && strstr(tok, "&X-Amz-Signature="
                             "289116e2abe3db2b09962194992765bef1bb70285fe1c387dcfdd997149d9a98"));
    iam_aws_string_free(tok);
}

static void username_is_percent_encoded(void)
{
    char *tok = rds(&AKID, VECTOR_HOST, 5432, "user name+x@y/z~.-_", "us-east-1");
    CHECK_EQ_STR(tok,
                 "prod-instance.us-east-1.rds.amazonaws.com:5432/?Action=connect"
                 "&DBUser=user%20name%2Bx%40y%2Fz~.-_"
                 "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                 "&X-Amz-Credential=akid%2F20161107%2Fus-east-1%2Frds-db%2Faws4_request"
                 "&X-Amz-Date=20161107T173933Z"
                 "&X-Amz-Expires=900"
                 "&X-Amz-SignedHeaders=host"
                 "&X-Amz-Signature="
                 "edcd5d7093e850abe19b6b48ac3f30c3e6e47c7aaa581d10704f1a467659fd78");
    iam_aws_string_free(tok);
}

static void other_region_and_key(void)
{
    iam_aws_credentials c = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                             NULL, 0};
    char *tok = rds(&c, "db.eu-west-1.rds.amazonaws.com", 5432, "admin", "eu-west-1");
    CHECK_EQ_STR(tok,
                 "db.eu-west-1.rds.amazonaws.com:5432/?Action=connect"
                 "&DBUser=admin"
                 "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                 "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20161107%2Feu-west-1%2Frds-db%2F"
                 "aws4_request"
                 "&X-Amz-Date=20161107T173933Z"
                 "&X-Amz-Expires=900"
                 "&X-Amz-SignedHeaders=host"
                 "&X-Amz-Signature="
                 "9065897b09acf4fc180a140e6f746d52ba306cad60c1b987332b526c36d0329e");
    iam_aws_string_free(tok);
}

static void dsql_tokens_match_botocore(void)
{
    iam_error err;
    char *tok = NULL;
    CHECK_EQ_INT(iam_dsql_auth_token(&tok, &AKID, "abcdefghijklmnopqrst.dsql.us-east-1.on.aws", 0,
                                     "us-east-1", T_2016_11_07_173933, 0, &err),
                 IAM_OK);
    CHECK_EQ_STR(tok,
                 "abcdefghijklmnopqrst.dsql.us-east-1.on.aws/?Action=DbConnect"
                 "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                 "&X-Amz-Credential=akid%2F20161107%2Fus-east-1%2Fdsql%2Faws4_request"
                 "&X-Amz-Date=20161107T173933Z"
                 "&X-Amz-Expires=900"
                 "&X-Amz-SignedHeaders=host"
                 "&X-Amz-Signature="
                 "bfb7ace71b08b8622bf62178c4ca1f2851cdd045acf697fc78544e885edab2a0");
    iam_aws_string_free(tok);

    iam_aws_credentials c = {"akid", "skid", "tok", 0};
    tok = NULL;
    CHECK_EQ_INT(iam_dsql_auth_token(&tok, &c, "abcdefghijklmnopqrst.dsql.us-east-1.on.aws", 1,
                                     "us-east-1", T_2016_11_07_173933, 3600, &err),
                 IAM_OK);
    CHECK_EQ_STR(tok,
                 "abcdefghijklmnopqrst.dsql.us-east-1.on.aws/?Action=DbConnectAdmin"
                 "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                 "&X-Amz-Credential=akid%2F20161107%2Fus-east-1%2Fdsql%2Faws4_request"
                 "&X-Amz-Date=20161107T173933Z"
                 "&X-Amz-Expires=3600"
                 "&X-Amz-SignedHeaders=host"
                 "&X-Amz-Security-Token=tok"
                 "&X-Amz-Signature="
                 "d3545d89f9e9ebeb6d859a97d7857742d34217b6086c1187a2f0bfaf84061873");
    iam_aws_string_free(tok);
}

static void elasticache_tokens_match_botocore_presigner(void)
{
    iam_error err;
    char *tok = NULL;
    CHECK_EQ_INT(iam_elasticache_auth_token(&tok, &AKID, "my-cache", "iam-user-01", 0,
                                            "us-east-1", T_2016_11_07_173933, 0, &err),
                 IAM_OK);
    CHECK_EQ_STR(tok,
                 "my-cache/?Action=connect"
                 "&User=iam-user-01"
                 "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                 "&X-Amz-Credential=akid%2F20161107%2Fus-east-1%2Felasticache%2Faws4_request"
                 "&X-Amz-Date=20161107T173933Z"
                 "&X-Amz-Expires=900"
                 "&X-Amz-SignedHeaders=host"
                 "&X-Amz-Signature="
                 "44045fe1d7c286635446fb7708956513e7f1ee257cdb10d8dc4403c4d380cc40");
    iam_aws_string_free(tok);

    iam_aws_credentials c = {"akid", "skid", "tok/+=", 0};
    tok = NULL;
    CHECK_EQ_INT(iam_elasticache_auth_token(&tok, &c, "my-serverless", "iam-user-01", 1,
                                            "us-east-1", T_2016_11_07_173933, 0, &err),
                 IAM_OK);
    CHECK_EQ_STR(tok,
                 "my-serverless/?Action=connect"
                 "&User=iam-user-01"
                 "&ResourceType=ServerlessCache"
                 "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                 "&X-Amz-Credential=akid%2F20161107%2Fus-east-1%2Felasticache%2Faws4_request"
                 "&X-Amz-Date=20161107T173933Z"
                 "&X-Amz-Expires=900"
                 "&X-Amz-SignedHeaders=host"
                 "&X-Amz-Security-Token=tok%2F%2B%3D"
                 "&X-Amz-Signature="
                 "6681127e14c6e8bd48b58412412f5c6840564fe80fd50a15c82aefee2c2c96b7");
    iam_aws_string_free(tok);
}

static char sentinel[] = "sentinel";

/* Expecting IAM_E_CONFIG, *out reset to NULL, and no secret in the message. */
static void check_rejected(iam_status st, char *tok, const iam_error *err)
{
    CHECK_EQ_INT(st, IAM_E_CONFIG);
    CHECK(tok == NULL);
    CHECK(err->message[0] != '\0');
    CHECK(strstr(err->message, "skid") == NULL);
    if (tok != sentinel)
        iam_aws_string_free(tok);
}

/* Each call must fail with IAM_E_CONFIG and reset *out (tok) to NULL. */
#define REJECTS(call)                                                                    \
    do {                                                                                 \
        tok = sentinel;                                                                  \
        iam_error_clear(&err);                                                           \
        iam_status st_ = (call);                                                         \
        check_rejected(st_, tok, &err);                                                  \
    } while (0)

static void rejects_bad_arguments(void)
{
    const int64_t t = T_2016_11_07_173933;
    const char *h = VECTOR_HOST, *r = "us-east-1";
    iam_error err;
    char *tok;
    const char *bad_hosts[] = {"", "host:3306", "https://host", "host/path", "host name",
                               "host\r\nX: y", "[::1", "[zz]", "a?b", "user@host"};
    for (size_t i = 0; i < sizeof bad_hosts / sizeof *bad_hosts; i++)
        REJECTS(iam_rds_auth_token(&tok, &AKID, bad_hosts[i], 3306, "u", r, t, 0, &err));
    REJECTS(iam_rds_auth_token(&tok, &AKID, h, 0, "u", r, t, 0, &err));
    REJECTS(iam_rds_auth_token(&tok, &AKID, h, 65536, "u", r, t, 0, &err));
    REJECTS(iam_rds_auth_token(&tok, &AKID, h, 3306, "", r, t, 0, &err));
    REJECTS(iam_rds_auth_token(&tok, &AKID, h, 3306, NULL, r, t, 0, &err));
    REJECTS(iam_rds_auth_token(&tok, &AKID, h, 3306, "a\nb", r, t, 0, &err));
    REJECTS(iam_rds_auth_token(&tok, &AKID, h, 3306, "u", NULL, t, 0, &err));
    REJECTS(iam_rds_auth_token(&tok, &AKID, h, 3306, "u", "us/east", t, 0, &err));
    REJECTS(iam_rds_auth_token(&tok, NULL, h, 3306, "u", r, t, 0, &err));
    REJECTS(iam_rds_auth_token(&tok, &AKID, h, 3306, "u", r, t, -1, &err));
    REJECTS(iam_rds_auth_token(&tok, &AKID, h, 3306, "u", r, t, IAM_SIGV4_MAX_EXPIRES + 1, &err));
    REJECTS(iam_rds_auth_token(&tok, &AKID, h, 3306, "u", r, -5, 0, &err));
    iam_aws_credentials no_secret = {"akid", "", NULL, 0};
    REJECTS(iam_rds_auth_token(&tok, &no_secret, h, 3306, "u", r, t, 0, &err));
    iam_aws_credentials bad_key = {"ak,id", "skid", NULL, 0};
    REJECTS(iam_rds_auth_token(&tok, &bad_key, h, 3306, "u", r, t, 0, &err));
    iam_aws_credentials bad_token = {"akid", "skid", "tok\r\nen", 0};
    REJECTS(iam_rds_auth_token(&tok, &bad_token, h, 3306, "u", r, t, 0, &err));
    REJECTS(iam_dsql_auth_token(&tok, &AKID, "h:1", 0, r, t, 0, &err));
    REJECTS(iam_elasticache_auth_token(&tok, &AKID, "my-cache", "", 0, r, t, 0, &err));
    REJECTS(iam_elasticache_auth_token(&tok, &AKID, "my/cache", "u", 0, r, t, 0, &err));
    /* no out pointer, no error record: still a plain error, no crash */
    CHECK_EQ_INT(iam_rds_auth_token(NULL, &AKID, h, 3306, "u", r, t, 0, NULL), IAM_E_CONFIG);
    CHECK_EQ_INT(iam_rds_auth_token(&tok, &AKID, "", 3306, "u", r, t, 0, NULL), IAM_E_CONFIG);
}

/* botocore signs "[2001:db8::1]:3306" and prints the literal as given. */
static void ipv6_literal_host(void)
{
    char *tok = rds(&AKID, "[2001:DB8::1]", 3306, "u", "us-east-1");
    CHECK_EQ_STR(tok,
                 "[2001:DB8::1]:3306/?Action=connect"
                 "&DBUser=u"
                 "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
                 "&X-Amz-Credential=akid%2F20161107%2Fus-east-1%2Frds-db%2Faws4_request"
                 "&X-Amz-Date=20161107T173933Z"
                 "&X-Amz-Expires=900"
                 "&X-Amz-SignedHeaders=host"
                 "&X-Amz-Signature="
                 "a749888fef6694d512484fecb9543adbd91d9a6f5e12a1d62fe896786985dc25");
    iam_aws_string_free(tok);
}

static void expires_is_capped_by_the_credentials_lifetime(void)
{
    iam_error err;
    char *tok = NULL;
    iam_aws_credentials c = {"akid", "skid", NULL, T_2016_11_07_173933 + 300};
    CHECK_EQ_INT(iam_rds_auth_token(&tok, &c, VECTOR_HOST, 3306, "u", "us-east-1",
                                    T_2016_11_07_173933, 0, &err),
                 IAM_OK);
    CHECK(tok && strstr(tok, "&X-Amz-Expires=300&"));
    iam_aws_string_free(tok);

    tok = NULL;
    c.expiration = T_2016_11_07_173933 + 3600; /* longer than the token: no cap */
    CHECK_EQ_INT(iam_rds_auth_token(&tok, &c, VECTOR_HOST, 3306, "u", "us-east-1",
                                    T_2016_11_07_173933, 0, &err),
                 IAM_OK);
    CHECK(tok && strstr(tok, "&X-Amz-Expires=900&"));
    iam_aws_string_free(tok);

    c.expiration = T_2016_11_07_173933; /* expired */
    REJECTS(iam_rds_auth_token(&tok, &c, VECTOR_HOST, 3306, "u", "us-east-1",
                               T_2016_11_07_173933, 0, &err));
}

static void timestamp_zero_means_now(void)
{
    iam_error err;
    char *tok = NULL;
    CHECK_EQ_INT(iam_rds_auth_token(&tok, &AKID, VECTOR_HOST, 3306, "u", "us-east-1", 0, 0, &err),
                 IAM_OK);
    CHECK(tok && !strstr(tok, "X-Amz-Date=1970"));
    CHECK(tok && strstr(tok, "X-Amz-Date=20")); /* this century */
    iam_aws_string_free(tok);
}

/* Each thread caches its last signing key: a different secret, date, region or
 * service must never reuse it. Every signature made after others on this thread
 * must equal the one a fresh thread (empty cache) makes. */
typedef struct sign_job {
    const iam_aws_credentials *creds;
    const char *region;
    int64_t when;
    char *token;
} sign_job;

static void *sign_in_fresh_thread(void *p)
{
    sign_job *j = p;
    iam_error err;
    iam_rds_auth_token(&j->token, j->creds, "db.example.us-east-1.rds.amazonaws.com", 5432, "u",
                       j->region, j->when, 900, &err);
    return NULL;
}

static void cached_signing_keys_follow_their_inputs(void)
{
    iam_aws_credentials a = {"AKIDA", "secret-a", NULL, 0}, b = {"AKIDA", "secret-b", NULL, 0};
    sign_job jobs[] = {
        {&a, "us-east-1", 1700000000, NULL}, {&b, "us-east-1", 1700000000, NULL},
        {&a, "us-east-1", 1700000000, NULL}, {&a, "us-west-2", 1700000000, NULL},
        {&a, "us-east-1", 1700086400, NULL}, {&b, "us-east-1", 1700086400, NULL},
    };
    for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++) {
        sign_job here = jobs[i], fresh = jobs[i];
        sign_in_fresh_thread(&here); /* this thread: the cache holds the previous key */
        pthread_t tid;
        pthread_create(&tid, NULL, sign_in_fresh_thread, &fresh);
        pthread_join(tid, NULL);
        CHECK(here.token && fresh.token);
        if (here.token && fresh.token)
            CHECK(strcmp(here.token, fresh.token) == 0);
        iam_aws_string_free(here.token);
        iam_aws_string_free(fresh.token);
    }
}

int main(void)
{
    RUN(matches_botocore_vector);
    RUN(session_token_is_encoded_and_signed);
    RUN(empty_session_token_is_skipped);
    RUN(port_443_is_printed_but_not_signed);
    RUN(upper_case_host_is_printed_as_given_and_signed_lower_case);
    RUN(username_is_percent_encoded);
    RUN(other_region_and_key);
    RUN(dsql_tokens_match_botocore);
    RUN(elasticache_tokens_match_botocore_presigner);
    RUN(rejects_bad_arguments);
    RUN(ipv6_literal_host);
    RUN(expires_is_capped_by_the_credentials_lifetime);
    RUN(timestamp_zero_means_now);
    RUN(cached_signing_keys_follow_their_inputs);
    return CHECK_DONE();
}
