/* libcrypto opened by soname (the path taken when the process does not already
 * hold OpenSSL 3, as in Python), and the Basic auth header iamcore now encodes
 * itself, checked against OpenSSL's encoder for every length class. */
#define _GNU_SOURCE
#include "auth_check.h"
#include "check.h"
#include "crypto_lib.h"
#include "emulator.h"
#include "iamcore_aws.h"

#include <openssl/evp.h>
#include <stdlib.h>

/* botocore's own test vector (tests/unit/test_signers.py), as in test_rds_token.c. */
static void signs_with_the_opened_library(void)
{
    CHECK(iam_crypto(NULL) != NULL);
    const iam_aws_credentials akid = {"akid", "skid", NULL, 0};
    char *tok = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_rds_auth_token(&tok, &akid, "prod-instance.us-east-1.rds.amazonaws.com", 3306,
                                    "someusername", "us-east-1", 1478540373, 0, &err),
                 IAM_OK);
    CHECK(tok && strstr(tok, "&X-Amz-Signature=d1138cdbc0ca63eec012ec0fc6c2267e03642168f5884a7795320d4c18374c61") != NULL);
    iam_aws_string_free(tok);
}

static void basic_auth_matches_openssl_base64(void)
{
    const char *ids[] = {"a", "bx", "cid", "client-id"};
    const char *secrets[] = {"s", "se", "sec", "secr", "secre-t", "\xc3\xbc-secret+/=", "0123456789abcdefghij"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
        for (size_t j = 0; j < sizeof secrets / sizeof *secrets; j++) {
            reset();
            iam_config c = IAM_CONFIG_INIT;
            c.apikey = "c-test-key";
            c.url = http_url;
            c.client_id = ids[i];
            c.client_secret = secrets[j];
            iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
            iam_error err;
            CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
            char pair[64], want[128] = "Basic ";
            int n = snprintf(pair, sizeof pair, "%s:%s", ids[i], secrets[j]);
            EVP_EncodeBlock((unsigned char *)want + 6, (const unsigned char *)pair, n);
            char *got = last_request_item("headers", "authorization");
            CHECK_SECRET_EQ(got, want);
            free(got);
            iam_auth_free(a);
        }
}

int main(void)
{
    http_url = getenv("IAMCORE_EMULATOR_HTTP");
    if (!http_url) {
        fprintf(stderr, "IAMCORE_EMULATOR_HTTP not set: run through tests/c/run.sh\n");
        return 1;
    }
    iam_crypto_set_soname(IAM_LIBCRYPTO_SONAME); /* dlopen, not the linked copy */
    RUN(signs_with_the_opened_library);
    RUN(basic_auth_matches_openssl_base64);
    return CHECK_DONE();
}
