/*
 * The two hot paths of the C core, each in a function of its own, for
 * bench/icount.py to count their instructions under callgrind
 * (--toggle-collect=<function>): deterministic for a given binary and input,
 * unlike a timing.
 *
 *   icount URL LOOPS
 *
 * hot_cached_peek   iam_auth_peek() on a valid cached token (what the bindings'
 *                   cached authenticate() calls)
 * hot_cached_get    iam_auth_get_token() + iam_token_release() on it
 * hot_rds_token     iam_rds_auth_token() + iam_aws_string_free(), explicit
 *                   credentials, a fixed time (the signing key already cached)
 *
 * The token comes from the emulator at URL before any counting starts.
 * Built by bench/icount.py into build/bench/ against build/c/libiamcore.a.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iamcore.h"
#include "iamcore_aws.h"

#define NOINLINE __attribute__((noinline))

static volatile uint64_t sink; /* keeps the loops' results alive */

NOINLINE void hot_cached_peek(iam_auth *auth, long loops)
{
    for (long i = 0; i < loops; i++)
        sink += iam_auth_peek(auth, NULL);
}

NOINLINE void hot_cached_get(iam_auth *auth, long loops)
{
    for (long i = 0; i < loops; i++) {
        iam_token *t = NULL;
        if (iam_auth_get_token(auth, &t, NULL) == IAM_OK)
            sink += iam_token_length(t);
        iam_token_release(t);
    }
}

static const iam_aws_credentials CREDS = {
    .access_key_id = "AKIAIOSFODNN7EXAMPLE",
    .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};

static int rds_token(void)
{
    char *token = NULL;
    if (iam_rds_auth_token(&token, &CREDS, "mydb.abc123.us-east-1.rds.amazonaws.com", 5432,
                           "app_user", "us-east-1", 1700000000, 0, NULL) != IAM_OK)
        return -1;
    sink += strlen(token);
    iam_aws_string_free(token);
    return 0;
}

NOINLINE int hot_rds_token(long loops)
{
    for (long i = 0; i < loops; i++)
        if (rds_token() != 0)
            return -1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: icount URL LOOPS\n");
        return 2;
    }
    long loops = strtol(argv[2], NULL, 10);
    iam_config cfg = IAM_CONFIG_INIT;
    cfg.apikey = "bench-key";
    cfg.url = argv[1];
    cfg.timeout_ms = 60000; /* valgrind is slow */
    iam_auth *auth = NULL;
    iam_token *first = NULL;
    iam_error err;
    if (iam_auth_new(&auth, IAM_AUTH_IAM, &cfg, &err) != IAM_OK ||
        iam_auth_get_token(auth, &first, &err) != IAM_OK) {
        fprintf(stderr, "icount: no token from %s: %s\n", argv[1], err.message);
        return 1;
    }
    iam_token_release(first);
    if (rds_token() != 0) { /* derives and caches the signing key */
        fprintf(stderr, "icount: iam_rds_auth_token failed\n");
        return 1;
    }
    if (iam_auth_peek(auth, NULL) == 0) {
        fprintf(stderr, "icount: the token is not cached\n");
        return 1;
    }
    hot_cached_peek(auth, loops);
    hot_cached_get(auth, loops);
    int rc = hot_rds_token(loops);
    iam_auth_free(auth);
    printf("ok %llu\n", (unsigned long long)sink);
    return rc != 0;
}
