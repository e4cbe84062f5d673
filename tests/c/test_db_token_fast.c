/* The database tokens write their canonical request directly (rds_token.c)
 * instead of going through the generic presigner: their signatures must be the
 * presigner's for the same request, whatever the inputs; and the date, formatted
 * by arithmetic, must be gmtime_r's. */
#define _GNU_SOURCE
#include "check.h"
#include "secret.h"
#include "sigv4.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WHEN 1700000000 /* 2023-11-14T22:13:20Z */

/* The X-Amz-Signature value of a token or presigned target (a copy). */
static char *signature_of(const char *s)
{
    const char *p = s ? strstr(s, "X-Amz-Signature=") : NULL;
    return p ? strdup(p + 16) : NULL;
}

/* The generic presigner's signature of GET target with a Host header. */
static char *presigned(const iam_aws_credentials *c, const char *service, const char *region,
                       const char *target, const char *host, long expires)
{
    iam_sigv4_params params = IAM_SIGV4_PARAMS_INIT;
    params.service = service;
    params.region = region;
    params.credentials = c;
    params.timestamp = WHEN;
    params.expires = expires;
    iam_header h = {"host", host};
    char *out = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_sigv4_presign(&out, &params, "GET", target, &h, 1, NULL, 0, &err), IAM_OK);
    char *sig = signature_of(out);
    iam_aws_string_free(out);
    return sig;
}

static char *lower(const char *s)
{
    char *d = strdup(s);
    for (char *p = d; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    return d;
}

static void rds_signatures_match_the_presigner(void)
{
    const char *hosts[] = {"db.example.com", "MyDB.Cluster-X.us-east-1.RDS.amazonaws.com",
                           "[2001:DB8::1]", "a_b-c.d"};
    const int ports[] = {5432, 443, 1, 65535, 3306};
    const char *users[] = {"app_user", "a b+c/d%e~f", "\xc3\xbc\xe2\x82\xac", "x=y&z?#[]", "-._~"};
    const char *tokens[] = {NULL, "", "FQoGZXIvYXdzE/+=abc%20def", "t"};
    const int64_t expirations[] = {0, WHEN + 100, WHEN + 100000};
    int compared = 0;
    for (size_t h = 0; h < 4; h++)
        for (size_t p = 0; p < 5; p++)
            for (size_t u = 0; u < 5; u++)
                for (size_t t = 0; t < 4; t++)
                    for (size_t e = 0; e < 3; e++) {
                        const iam_aws_credentials c = {"AKIDEXAMPLE+x:y", "secret/key+example",
                                                       tokens[t], expirations[e]};
                        char *tok = NULL;
                        iam_error err;
                        CHECK_EQ_INT(iam_rds_auth_token(&tok, &c, hosts[h], ports[p], users[u],
                                                        "eu-west-3", WHEN, 0, &err),
                                     IAM_OK);
                        iam_buf target = {0}, host = {0};
                        iam_buf_append_str(&target, "/?Action=connect&DBUser=");
                        iam_sigv4_append_encoded(&target, users[u], strlen(users[u]));
                        char *lh = lower(hosts[h]);
                        iam_buf_append_str(&host, lh);
                        if (ports[p] != 443) {
                            char port[16];
                            snprintf(port, sizeof port, ":%d", ports[p]);
                            iam_buf_append_str(&host, port);
                        }
                        long expires = e == 1 ? 100 : 900;
                        char *want = presigned(&c, "rds-db", "eu-west-3", target.data, host.data, expires);
                        char *got = signature_of(tok);
                        CHECK(want && got && strcmp(want, got) == 0);
                        char expires_param[32];
                        snprintf(expires_param, sizeof expires_param, "&X-Amz-Expires=%ld&", expires);
                        CHECK(tok && strstr(tok, expires_param) != NULL);
                        compared += want && got;
                        free(want);
                        free(got);
                        free(lh);
                        iam_buf_free(&target);
                        iam_buf_free(&host);
                        iam_aws_string_free(tok);
                    }
    CHECK_EQ_INT(compared, 4 * 5 * 5 * 4 * 3);
}

static void dsql_and_elasticache_signatures_match_the_presigner(void)
{
    const iam_aws_credentials c = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                   "session/token+=", 0};
    for (int admin = 0; admin < 2; admin++) {
        char *tok = NULL;
        iam_error err;
        CHECK_EQ_INT(iam_dsql_auth_token(&tok, &c, "Cluster.dsql.us-east-1.on.aws", admin,
                                         "us-east-1", WHEN, 0, &err),
                     IAM_OK);
        char *want = presigned(&c, "dsql", "us-east-1",
                               admin ? "/?Action=DbConnectAdmin" : "/?Action=DbConnect",
                               "cluster.dsql.us-east-1.on.aws", 900);
        char *got = signature_of(tok);
        CHECK(want && got && strcmp(want, got) == 0);
        free(want);
        free(got);
        iam_aws_string_free(tok);
    }
    for (int serverless = 0; serverless < 2; serverless++) {
        char *tok = NULL;
        iam_error err;
        CHECK_EQ_INT(iam_elasticache_auth_token(&tok, &c, "my-cache", "user a/b", serverless,
                                                "us-west-2", WHEN, 600, &err),
                     IAM_OK);
        /* The token keeps the given order; the presigner sorts for the signature. */
        const char *target = serverless
                                 ? "/?Action=connect&User=user%20a%2Fb&ResourceType=ServerlessCache"
                                 : "/?Action=connect&User=user%20a%2Fb";
        char *want = presigned(&c, "elasticache", "us-west-2", target, "my-cache", 600);
        char *got = signature_of(tok);
        CHECK(want && got && strcmp(want, got) == 0);
        const char *prefix = serverless
                                 ? "my-cache/?Action=connect&User=user%20a%2Fb&ResourceType="
                                 : "my-cache/?Action=connect&User=user%20a%2Fb&X-Amz-";
        CHECK(tok && strncmp(tok, prefix, strlen(prefix)) == 0);
        free(want);
        free(got);
        iam_aws_string_free(tok);
    }
}

static void check_date(int64_t t)
{
    char got[17], want[32];
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(want, sizeof want, "%Y%m%dT%H%M%SZ", &tm);
    CHECK_EQ_INT(iam_sigv4_format_date(t, got), 0);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "  t=%lld: %s != %s\n", (long long)t, got, want);
        check_failures++;
    }
}

static void dates_match_gmtime(void)
{
    const int64_t edges[] = {0, 59, 86399, 86400, 68169600 /* 1972-02-29 */,
                             951782400 /* 2000-02-29 */, 951868800, 4107542400 /* 2100-03-01 */,
                             4107456000, 253402300799 /* 9999-12-31T23:59:59Z */};
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++)
        check_date(edges[i]);
    /* Day boundaries (and the second before each), and a second inside each day
     * that moves through the hours: every day of 1970..2243, then every 37th
     * day up to 9999-12-31. */
    for (int64_t day = 0; day <= 2932896; day += day < 100000 ? 1 : 37) {
        check_date(day * 86400);
        if (day)
            check_date(day * 86400 - 1);
        check_date(day * 86400 + (day * 7919) % 86400);
        if (check_failures > 10)
            return;
    }
    char out[17];
    CHECK_EQ_INT(iam_sigv4_format_date(-1, out), -1);
    CHECK_EQ_INT(iam_sigv4_format_date(253402300800, out), -1);
}

int main(void)
{
    RUN(rds_signatures_match_the_presigner);
    RUN(dsql_and_elasticache_signatures_match_the_presigner);
    RUN(dates_match_gmtime);
    return CHECK_DONE();
}
