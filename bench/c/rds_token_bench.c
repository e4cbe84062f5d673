/*
 * C-level reference for bench/run.py: ns per iam_rds_auth_token() call (one
 * uncached RDS IAM auth token, explicit credentials, signed at "now"), the
 * work under Python's iamcore.generate_db_auth_token and Node's
 * aws.generateDbAuthToken.
 *
 *   rds_token_bench LOOPS REPEATS
 *
 * Prints one JSON line {"rds_token": [ns per call, ...]}, one value per repeat
 * (each after a warm-up of LOOPS/10 calls). Built by bench/run.py into
 * build/bench/ against build/c/libiamcore.a (`make lib`), with the Makefile's
 * flags.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iamcore.h"
#include "iamcore_aws.h"

/* Also in loops.py and loops.js. */
#define HOST "mydb.abc123.us-east-1.rds.amazonaws.com"
#define PREFIX HOST ":5432/?Action=connect&DBUser=app_user&X-Amz-Algorithm=AWS4-HMAC-SHA256"

static int one_token(const iam_aws_credentials *creds, size_t *len)
{
    char *token = NULL;
    iam_error err;
    iam_error_clear(&err);
    if (iam_rds_auth_token(&token, creds, HOST, 5432, "app_user", "us-east-1", 0, 0, &err) != IAM_OK) {
        fprintf(stderr, "rds_token_bench: iam_rds_auth_token failed: %s\n", err.message);
        return -1;
    }
    *len = strlen(token);
    iam_aws_string_free(token);
    return 0;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: rds_token_bench LOOPS REPEATS\n");
        return 2;
    }
    long loops = strtol(argv[1], NULL, 10), repeats = strtol(argv[2], NULL, 10);
    if (loops < 10 || repeats < 1) {
        fprintf(stderr, "rds_token_bench: LOOPS >= 10, REPEATS >= 1\n");
        return 2;
    }
    const iam_aws_credentials creds = {
        .access_key_id = "AKIAIOSFODNN7EXAMPLE",
        .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    };
    size_t len = 0, total = 0;

    { /* the first token, checked as inproc.py and inproc.js check theirs */
        char *token = NULL;
        iam_error err;
        iam_error_clear(&err);
        if (iam_rds_auth_token(&token, &creds, HOST, 5432, "app_user", "us-east-1", 0, 0, &err) != IAM_OK) {
            fprintf(stderr, "rds_token_bench: iam_rds_auth_token failed: %s\n", err.message);
            return 1;
        }
        int ok = strncmp(token, PREFIX, strlen(PREFIX)) == 0 && strstr(token, "&X-Amz-Signature=") != NULL;
        iam_aws_string_free(token);
        if (!ok) {
            fprintf(stderr, "rds_token_bench: iam_rds_auth_token did not return an RDS token\n");
            return 1;
        }
    }
    for (long i = 0; i < loops / 10; i++) /* warm-up */
        if (one_token(&creds, &len) != 0)
            return 1;
    printf("{\"rds_token\": [");
    for (long r = 0; r < repeats; r++) {
        double start = now_ns();
        for (long i = 0; i < loops; i++) {
            if (one_token(&creds, &len) != 0)
                return 1;
            total += len;
        }
        printf("%s%.1f", r ? ", " : "", (now_ns() - start) / (double)loops);
    }
    printf("]}\n");
    return total == 0; /* keeps the loop's result alive */
}
