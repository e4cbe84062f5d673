#define _GNU_SOURCE
#include "check.h"
#include "jwt.h"

#include <string.h>

static void decodes_base64url_with_and_without_padding(void)
{
    unsigned char out[16];
    CHECK_EQ_INT(iam_base64url_decode("aGk", 3, out), 2);
    CHECK(memcmp(out, "hi", 2) == 0);
    CHECK_EQ_INT(iam_base64url_decode("aGk=", 4, out), 2);
    CHECK_EQ_INT(iam_base64url_decode("-_8", 3, out), 2);
    CHECK(out[0] == 0xfb && out[1] == 0xff);
    CHECK_EQ_INT(iam_base64url_decode("a", 1, out), -1);
    CHECK_EQ_INT(iam_base64url_decode("a*b=", 4, out), -1);
}

static void reads_iat_and_exp(void)
{
    /* {"alg":"none"} . {"iat":1700000000,"exp":1700003600,"sub":"x"} . sig */
    const char *jwt = "eyJhbGciOiJub25lIn0."
                      "eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwic3ViIjoieCJ9.c2ln";
    int64_t iat = 0, exp = 0;
    CHECK_EQ_INT(iam_jwt_claims(jwt, strlen(jwt), &iat, &exp), 0);
    CHECK_EQ_INT(iat, 1700000000);
    CHECK_EQ_INT(exp, 1700003600);
}

static void missing_iat_is_minus_one(void)
{
    /* payload {"exp":5} */
    const char *jwt = "e30.eyJleHAiOjV9.x";
    int64_t iat = 0, exp = 0;
    CHECK_EQ_INT(iam_jwt_claims(jwt, strlen(jwt), &iat, &exp), 0);
    CHECK_EQ_INT(iat, -1);
    CHECK_EQ_INT(exp, 5);
}

static void rejects_opaque_and_malformed_tokens(void)
{
    int64_t iat, exp;
    const char *cases[] = {
        "opaque-token",          /* no dots */
        "a..b",                  /* empty payload */
        "a.e30.b",               /* {} has no exp */
        "a.eyJleHAiOiJ4In0.b",   /* {"exp":"x"} is not a number */
        "a.bm90IGpzb24.b",       /* "not json" */
        "a.%%%.b",               /* not base64url */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_EQ_INT(iam_jwt_claims(cases[i], strlen(cases[i]), &iat, &exp), -1);
}

int main(void)
{
    RUN(decodes_base64url_with_and_without_padding);
    RUN(reads_iat_and_exp);
    RUN(missing_iat_is_minus_one);
    RUN(rejects_opaque_and_malformed_tokens);
    return CHECK_DONE();
}
