/*
 * Get an IBM Cloud IAM access token with the C API.
 *
 *   IBMCLOUD_API_KEY=... ./build/c/get_token [IAM URL] [CA file]
 *
 * Prints the token shortened: a token is a credential, keep it out of logs.
 */
#include <iamcore.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    iam_config cfg = IAM_CONFIG_INIT;
    cfg.apikey = getenv("IBMCLOUD_API_KEY");
    cfg.url = argc > 1 ? argv[1] : NULL;     /* NULL: https://iam.cloud.ibm.com */
    cfg.ca_file = argc > 2 ? argv[2] : NULL; /* NULL: the system's CAs */
    cfg.timeout_ms = 10000;

    iam_error err;
    iam_auth *auth;
    if (iam_auth_new(&auth, IAM_AUTH_IAM, &cfg, &err) != IAM_OK) {
        fprintf(stderr, "configuration: %s\n", err.message);
        return 2;
    }
    iam_token *token;
    if (iam_auth_get_token(auth, &token, &err) != IAM_OK) {
        fprintf(stderr, "%s error: %s\n", iam_status_name(err.code), err.message);
        iam_auth_free(auth);
        return 1;
    }
    printf("C, API key:              token %.12s… (%zu chars), expires at %lld\n", iam_token_value(token),
           iam_token_length(token), (long long)iam_token_expires_at(token));
    iam_token_release(token);
    iam_auth_free(auth);
    return 0;
}
