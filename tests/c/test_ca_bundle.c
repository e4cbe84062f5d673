/* iam_ca_pick: SSL_CERT_FILE first; else libcurl's own default when it exists;
 * else the first usual place that exists; else libcurl's default anyway. */
#define _GNU_SOURCE
#include "check.h"
#include "ca_bundle.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[] = "/tmp/iamcore-ca-XXXXXX";
static char present_a[64], present_b[64], missing[64];

static void env_wins(void)
{
    const char *const c[] = {present_a, NULL};
    CHECK_EQ_STR(iam_ca_pick("/any/file.pem", present_b, c), "/any/file.pem");
    CHECK_EQ_STR(iam_ca_pick(missing, present_b, c), missing); /* its error names it */
}

static void an_existing_builtin_is_kept(void)
{
    const char *const c[] = {present_a, NULL};
    CHECK(iam_ca_pick(NULL, present_b, c) == NULL);
    CHECK(iam_ca_pick("", present_b, c) == NULL); /* empty: unset */
}

static void a_missing_builtin_gives_the_first_existing_place(void)
{
    const char *const c[] = {missing, present_a, present_b, NULL};
    CHECK_EQ_STR(iam_ca_pick(NULL, missing, c), present_a);
    CHECK_EQ_STR(iam_ca_pick(NULL, NULL, c), present_a);
}

static void nothing_exists(void)
{
    const char *const c[] = {missing, NULL};
    CHECK(iam_ca_pick(NULL, missing, c) == NULL);
}

static void the_usual_places_include_debian_and_rhel(void)
{
    int debian = 0, rhel = 0;
    for (const char *const *c = iam_ca_bundles; *c; c++) {
        debian |= strcmp(*c, "/etc/ssl/certs/ca-certificates.crt") == 0;
        rhel |= strcmp(*c, "/etc/pki/tls/certs/ca-bundle.crt") == 0;
    }
    CHECK(debian && rhel);
}

static void touch(const char *path)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    snprintf(present_a, sizeof present_a, "%s/a.pem", dir);
    snprintf(present_b, sizeof present_b, "%s/b.pem", dir);
    snprintf(missing, sizeof missing, "%s/missing.pem", dir);
    touch(present_a);
    touch(present_b);
    RUN(env_wins);
    RUN(an_existing_builtin_is_kept);
    RUN(a_missing_builtin_gives_the_first_existing_place);
    RUN(nothing_exists);
    RUN(the_usual_places_include_debian_and_rhel);
    unlink(present_a);
    unlink(present_b);
    rmdir(dir);
    return CHECK_DONE();
}
