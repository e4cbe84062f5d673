#define _GNU_SOURCE
#include "check.h"
#include "cr_token_file.h"
#include "secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/iamcore-crXXXXXX";

static const char *file(const char *name, const char *content)
{
    static char paths[8][128];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 128, "%s/%s", dir, name);
    if (content) {
        FILE *f = fopen(p, "w");
        fputs(content, f);
        fclose(f);
    }
    return p;
}

static void reads_and_strips_one_newline(void)
{
    const char *p = file("a", "tok-123\n");
    char *out;
    iam_error err;
    CHECK_EQ_INT(iam_cr_token_read(&p, 1, &out, &err), IAM_OK);
    CHECK_SECRET_EQ(out, "tok-123");
    iam_secret_free(out);
    p = file("b", "tok\n\n");
    CHECK_EQ_INT(iam_cr_token_read(&p, 1, &out, &err), IAM_OK);
    CHECK_SECRET_EQ(out, "tok\n");
    iam_secret_free(out);
}

static void first_readable_file_wins(void)
{
    const char *paths[] = {file("missing", NULL), file("empty", ""), file("good", "second"),
                           file("other", "third")};
    char *out;
    iam_error err;
    CHECK_EQ_INT(iam_cr_token_read(paths, 4, &out, &err), IAM_OK);
    CHECK_SECRET_EQ(out, "second");
    iam_secret_free(out);
}

static void error_names_every_path_and_reason(void)
{
    const char *paths[] = {file("nope", NULL), file("blank", "\n"), dir};
    char *out;
    iam_error err;
    iam_error_clear(&err);
    CHECK_EQ_INT(iam_cr_token_read(paths, 3, &out, &err), IAM_E_TOKEN_FILE);
    CHECK(out == NULL);
    CHECK(strstr(err.message, paths[0]) && strstr(err.message, "not found"));
    CHECK(strstr(err.message, paths[1]) && strstr(err.message, "empty"));
    CHECK(strstr(err.message, "not a regular file") != NULL);
}

static void unreadable_file_is_reported(void)
{
    if (geteuid() == 0)
        return; /* root reads anything: nothing to test */
    const char *p = file("locked", "x");
    chmod(p, 0);
    char *out;
    iam_error err;
    CHECK_EQ_INT(iam_cr_token_read(&p, 1, &out, &err), IAM_E_TOKEN_FILE);
    CHECK(strstr(err.message, "ermission") != NULL);
}

/* A FIFO nobody writes to: open() must not wait for a writer (that would hang a
 * token fetch outside every timeout). The alarm turns a hang into a failure. */
static void a_fifo_is_refused_without_blocking(void)
{
    const char *p = file("fifo", NULL);
    CHECK_EQ_INT(mkfifo(p, 0600), 0);
    char *out = NULL;
    iam_error err;
    iam_error_clear(&err);
    alarm(10);
    CHECK_EQ_INT(iam_cr_token_read(&p, 1, &out, &err), IAM_E_TOKEN_FILE);
    alarm(0);
    CHECK(out == NULL);
    CHECK(strstr(err.message, "not a regular file") != NULL);
}

/* A NUL byte would end the token early ("\0…" read as an empty token): such a
 * file is refused like an empty one and the next path is tried. */
static void a_file_with_a_nul_byte_is_refused(void)
{
    const char *paths[] = {file("nul-first", NULL), file("nul-inside", NULL), file("fine", "ok")};
    static const char first[] = "\0token\n", inside[] = "tok\0en";
    FILE *f = fopen(paths[0], "wb");
    fwrite(first, 1, sizeof first - 1, f);
    fclose(f);
    f = fopen(paths[1], "wb");
    fwrite(inside, 1, sizeof inside - 1, f);
    fclose(f);
    char *out = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_cr_token_read(paths, 2, &out, &err), IAM_E_TOKEN_FILE);
    CHECK(out == NULL);
    CHECK(strstr(err.message, "contains a NUL byte") != NULL);
    CHECK(strstr(err.message, paths[1]) != NULL);
    CHECK_EQ_INT(iam_cr_token_read(paths, 3, &out, &err), IAM_OK);
    CHECK_SECRET_EQ(out, "ok");
    iam_secret_free(out);
}

static void defaults_are_the_platform_paths_in_order(void)
{
    CHECK_EQ_INT(iam_cr_token_default_count, 3);
    CHECK_EQ_STR(iam_cr_token_default_paths[0], "/var/run/secrets/tokens/vault-token");
    CHECK_EQ_STR(iam_cr_token_default_paths[1], "/var/run/secrets/tokens/sa-token");
    CHECK_EQ_STR(iam_cr_token_default_paths[2],
                 "/var/run/secrets/codeengine.cloud.ibm.com/compute-resource-token/token");
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    RUN(reads_and_strips_one_newline);
    RUN(first_readable_file_wins);
    RUN(error_names_every_path_and_reason);
    RUN(unreadable_file_is_reported);
    RUN(a_fifo_is_refused_without_blocking);
    RUN(a_file_with_a_nul_byte_is_refused);
    RUN(defaults_are_the_platform_paths_in_order);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return CHECK_DONE();
}
