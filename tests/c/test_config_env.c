#define _GNU_SOURCE
#include "check.h"
#include "credentials_file.h"
#include "iamcore_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Each test runs in a fresh directory (the current directory, for
 * ./ibm-credentials.env) with HOME set to another fresh directory, and with
 * every variable the tests use removed. */

#define SVC "iamcore-t" /* properties IAMCORE_T_* */

static char base[] = "/tmp/iamcore-envXXXXXX";
static char cwd_dir[300], home_dir[300];

/* Values the tests use as secrets: none may appear in an error message. The
 * tests compare them without printing them. */
static const char *const secrets[] = {
    "APIKEY-SECRET-0001",   "CLIENT-SECRET-0001",     "PASSWORD-SECRET-0001",
    "BEARER-SECRET-0001",   "REFRESH-SECRET-0001",    "V4HXmoUtMjohnsnow=KotN",
    "==my-client-secret==", "VCAP-APIKEY-SECRET-0001", "VCAP-PASSWORD-SECRET-0001",
};
#define APIKEY secrets[0]
#define CLIENT_SECRET secrets[1]
#define PASSWORD secrets[2]
#define BEARER secrets[3]
#define REFRESH secrets[4]
#define VCAP_APIKEY secrets[7]
#define VCAP_PASSWORD secrets[8]


static void check_no_secret(const iam_error *err)
{
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        CHECK(strstr(err->message, secrets[i]) == NULL);
}

static void unset_prefixed(const char *const *prefixes, size_t n)
{
    char *names[256];
    size_t count = 0;
    for (char **e = environ; *e && count < 256; e++)
        for (size_t i = 0; i < n; i++)
            if (strncmp(*e, prefixes[i], strlen(prefixes[i])) == 0) {
                names[count++] = strndup(*e, strcspn(*e, "="));
                break;
            }
    for (size_t i = 0; i < count; i++) {
        unsetenv(names[i]);
        free(names[i]);
    }
}

static void fresh(void)
{
    static int n;
    static const char *const prefixes[] = {"IAMCORE_T_", "S1_", "S10_", "MY_TEST_SVC_"};
    char dir[200];
    snprintf(dir, sizeof dir, "%s/t%d", base, ++n);
    snprintf(cwd_dir, sizeof cwd_dir, "%s/cwd", dir);
    snprintf(home_dir, sizeof home_dir, "%s/home", dir);
    if (mkdir(dir, 0700) != 0 || mkdir(cwd_dir, 0700) != 0 || mkdir(home_dir, 0700) != 0 ||
        chdir(cwd_dir) != 0) {
        fprintf(stderr, "cannot prepare %s\n", dir);
        exit(1);
    }
    setenv("HOME", home_dir, 1);
    unsetenv("IBM_CREDENTIALS_FILE");
    unsetenv("VCAP_SERVICES");
    unset_prefixed(prefixes, sizeof prefixes / sizeof prefixes[0]);
}

/* Write a file; returns its path (one of 8 rotating buffers). */
static const char *write_file(const char *dir, const char *name, const char *content)
{
    static char paths[8][320];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 320, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (!f) {
        fprintf(stderr, "cannot write %s\n", p);
        exit(1);
    }
    fputs(content, f);
    fclose(f);
    return p;
}

/* IAMCORE_T_<prop>=value */
static void env(const char *prop, const char *value)
{
    char name[128];
    snprintf(name, sizeof name, "IAMCORE_T_%s", prop);
    setenv(name, value, 1);
}

static iam_env_properties *load_ok(const char *service)
{
    iam_env_properties *p = NULL;
    iam_error err;
    iam_error_clear(&err);
    int rc = iam_env_properties_load(&p, service, &err);
    CHECK_EQ_INT(rc, IAM_OK);
    if (rc != IAM_OK) {
        check_no_secret(&err);
        fprintf(stderr, "  unexpected error: %s\n", err.message);
    }
    return p;
}

/* Expect IAM_E_CONFIG; the message is in err and was checked for secrets. */
static void load_fails(const char *service, iam_error *err)
{
    iam_env_properties *p = (iam_env_properties *)1;
    iam_error_clear(err);
    CHECK_EQ_INT(iam_env_properties_load(&p, service, err), IAM_E_CONFIG);
    CHECK(p == NULL);
    CHECK_EQ_INT(err->code, IAM_E_CONFIG);
    check_no_secret(err);
}

#define CHECK_MSG(err, text)                                                             \
    do {                                                                                 \
        if (!strstr((err).message, (text))) {                                            \
            fprintf(stderr, "  %s:%d: message lacks \"%s\": %s\n", __FILE__, __LINE__,  \
                    (text), (err).message);                                              \
            check_failures++;                                                            \
        }                                                                                \
    } while (0)

/* ---------------------------------------------------------------- file format */

typedef struct pairs {
    char text[1024];
} pairs;

static int collect(const char *key, const char *value, void *ctx)
{
    pairs *p = ctx;
    size_t n = strlen(p->text);
    snprintf(p->text + n, sizeof p->text - n, "[%s|%s]", key, value);
    return 0;
}

static void parse_splits_at_first_equals_and_keeps_values_verbatim(void)
{
    char text[] = "\xEF\xBB\xBF" "A=1\n"
                  "# comment=x\n"
                  "   # indented comment\n"
                  "\n"
                  "  \t \n"
                  "  B \t= two words \n"
                  "C===my-client-secret==\n"
                  "D=V4HXmoUtMjohnsnow=KotN\r\n"
                  "no equals sign\n"
                  "=no key\n"
                  "E=\"quoted\" # not a comment\n"
                  "F=\r\n"
                  "G=last\r";
    pairs got = {{0}};
    CHECK_EQ_INT(iam_credentials_parse(text, sizeof text - 1, collect, &got), 0);
    CHECK_EQ_STR(got.text, "[A|1][B| two words ][C|==my-client-secret==]"
                           "[D|V4HXmoUtMjohnsnow=KotN][E|\"quoted\" # not a comment][F|][G|last]");
}

static void parse_skips_lines_with_nul_bytes(void)
{
    char text[] = "A=1\nB=x\0y\nC=3";
    pairs got = {{0}};
    iam_credentials_parse(text, sizeof text - 1, collect, &got);
    CHECK_EQ_STR(got.text, "[A|1][C|3]");
}

static void file_values_comments_and_equals(void)
{
    fresh();
    const char *path = write_file(home_dir, "creds.env",
                                  "# IBM Cloud credentials\n"
                                  "   # indented comment\n"
                                  "\n"
                                  "IAMCORE_T_AUTH_TYPE=iam\n"
                                  "IAMCORE_T_APIKEY=V4HXmoUtMjohnsnow=KotN\n"
                                  "IAMCORE_T_CLIENT_ID=bx\n"
                                  "IAMCORE_T_CLIENT_SECRET===my-client-secret==\n"
                                  "  IAMCORE_T_SCOPE  =a b \n"
                                  "IAMCORE_T_URL=https://svc.example/api?x=1\n"
                                  "not a property\n"
                                  "OTHER_APIKEY=zzz\n"
                                  "#IAMCORE_T_AUTH_URL=https://commented.out\n");
    setenv("IBM_CREDENTIALS_FILE", path, 1);
    iam_env_properties *p = load_ok(SVC);
    CHECK_SECRET_EQ(iam_env_property(p, "APIKEY"), "V4HXmoUtMjohnsnow=KotN");
    CHECK_SECRET_EQ(iam_env_property(p, "CLIENT_SECRET"), "==my-client-secret==");
    CHECK_EQ_STR(iam_env_property(p, "CLIENT_ID"), "bx");
    CHECK_EQ_STR(iam_env_property(p, "SCOPE"), "a b "); /* verbatim */
    CHECK_EQ_STR(iam_env_property(p, "URL"), "https://svc.example/api?x=1");
    CHECK(iam_env_property(p, "AUTH_URL") == NULL);
    CHECK_EQ_STR(iam_env_auth_type(p), "iam");
    char want[400];
    snprintf(want, sizeof want, "credentials file %s", path);
    CHECK_EQ_STR(iam_env_source(p), want);
    iam_env_properties_free(p);
}

static void file_crlf_and_byte_order_mark(void)
{
    fresh();
    const char *path = write_file(home_dir, "crlf.env",
                                  "\xEF\xBB\xBFIAMCORE_T_AUTH_TYPE=container\r\n"
                                  "# comment\r\n"
                                  "\r\n"
                                  "IAMCORE_T_IAM_PROFILE_NAME=my-profile\r\n"
                                  "IAMCORE_T_CR_TOKEN_FILENAME=/tmp/tok\r");
    setenv("IBM_CREDENTIALS_FILE", path, 1);
    iam_env_properties *p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_auth_type(p), "container");
    CHECK_EQ_STR(iam_env_property(p, "IAM_PROFILE_NAME"), "my-profile");
    CHECK_EQ_STR(iam_env_property(p, "CR_TOKEN_FILENAME"), "/tmp/tok");
    iam_env_properties_free(p);
}

static void file_in_current_directory_then_home(void)
{
    fresh();
    write_file(home_dir, "ibm-credentials.env", "IAMCORE_T_APIKEY=from-home\n");
    iam_env_properties *p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_property(p, "APIKEY"), "from-home");
    char want[400];
    snprintf(want, sizeof want, "credentials file %s/ibm-credentials.env", home_dir);
    CHECK_EQ_STR(iam_env_source(p), want);
    iam_env_properties_free(p);

    write_file(cwd_dir, "ibm-credentials.env", "IAMCORE_T_APIKEY=from-cwd\n");
    p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_property(p, "APIKEY"), "from-cwd");
    snprintf(want, sizeof want, "credentials file %s/ibm-credentials.env", cwd_dir);
    CHECK_EQ_STR(iam_env_source(p), want);
    iam_env_properties_free(p);

    /* The first file that exists is the credentials file: without the service
     * in it, the environment comes next, not the file in HOME. */
    write_file(cwd_dir, "ibm-credentials.env", "OTHER_APIKEY=x\n");
    env("APIKEY", "from-env");
    p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_property(p, "APIKEY"), "from-env");
    CHECK_EQ_STR(iam_env_source(p), "environment");
    iam_env_properties_free(p);
}

static void explicit_file_wins_over_default_files(void)
{
    fresh();
    write_file(cwd_dir, "ibm-credentials.env", "IAMCORE_T_APIKEY=from-cwd\n");
    setenv("IBM_CREDENTIALS_FILE", write_file(home_dir, "x.env", "IAMCORE_T_APIKEY=explicit\n"),
           1);
    iam_env_properties *p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_property(p, "APIKEY"), "explicit");
    iam_env_properties_free(p);
}

static void missing_explicit_file_falls_through(void)
{
    fresh();
    char missing_path[340];
    snprintf(missing_path, sizeof missing_path, "%s/does-not-exist.env", home_dir);
    setenv("IBM_CREDENTIALS_FILE", missing_path, 1);
    /* Not an error; the default paths are not tried; the environment is next. */
    write_file(cwd_dir, "ibm-credentials.env", "IAMCORE_T_APIKEY=from-cwd\n");
    env("APIKEY", "from-env");
    iam_env_properties *p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_property(p, "APIKEY"), "from-env");
    CHECK_EQ_STR(iam_env_source(p), "environment");
    iam_env_properties_free(p);

    unsetenv("IAMCORE_T_APIKEY");
    iam_error err;
    load_fails(SVC, &err);
    CHECK_MSG(err, "no configuration found");
    CHECK_MSG(err, missing_path);
}

static void unreadable_existing_file_is_an_error(void)
{
    fresh();
    env("APIKEY", "from-env"); /* never reached */
    iam_error err;
    setenv("IBM_CREDENTIALS_FILE", home_dir, 1);
    load_fails(SVC, &err);
    CHECK_MSG(err, home_dir);
    CHECK_MSG(err, "directory");

    /* a symbolic link loop: it exists, but cannot be opened (even by root) */
    char loop[340];
    snprintf(loop, sizeof loop, "%s/loop.env", home_dir);
    if (symlink(loop, loop) != 0) {
        fprintf(stderr, "  cannot create %s\n", loop);
        check_failures++;
    }
    setenv("IBM_CREDENTIALS_FILE", loop, 1);
    load_fails(SVC, &err);
    CHECK_MSG(err, "cannot read the credentials file");
    CHECK_MSG(err, loop);

    if (geteuid() != 0) { /* root reads anything */
        const char *path = write_file(home_dir, "locked.env", "IAMCORE_T_APIKEY=x\n");
        chmod(path, 0);
        setenv("IBM_CREDENTIALS_FILE", path, 1);
        load_fails(SVC, &err);
        CHECK_MSG(err, path);
        CHECK_MSG(err, "ermission");

        unsetenv("IBM_CREDENTIALS_FILE");
        chmod(write_file(cwd_dir, "ibm-credentials.env", "IAMCORE_T_APIKEY=x\n"), 0);
        load_fails(SVC, &err);
        CHECK_MSG(err, cwd_dir);
    }

    /* Not a regular file: no properties, not an error (IBM_CREDENTIALS_FILE=/dev/null). */
    fresh();
    env("APIKEY", "from-env");
    setenv("IBM_CREDENTIALS_FILE", "/dev/null", 1);
    iam_env_properties *p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_source(p), "environment");
    iam_env_properties_free(p);
}

static void empty_values_count_as_absent(void)
{
    fresh();
    write_file(cwd_dir, "ibm-credentials.env", "IAMCORE_T_APIKEY=\nIAMCORE_T_AUTH_URL=\n");
    env("APIKEY", "from-env");
    env("SCOPE", "");
    iam_env_properties *p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_source(p), "environment");
    CHECK(iam_env_property(p, "SCOPE") == NULL);
    iam_env_properties_free(p);
}

/* ---------------------------------------------------------------- sources */

static void first_source_wins_and_sources_never_merge(void)
{
    fresh();
    write_file(cwd_dir, "ibm-credentials.env", "IAMCORE_T_APIKEY=from-file\n");
    env("AUTH_URL", "https://env.example");
    env("SCOPE", "env-scope");
    setenv("VCAP_SERVICES",
           "{\"x\":[{\"name\":\"" SVC "\",\"credentials\":{\"url\":\"https://vcap\"}}]}", 1);
    iam_env_properties *p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_property(p, "APIKEY"), "from-file");
    CHECK(iam_env_property(p, "AUTH_URL") == NULL);
    CHECK(iam_env_property(p, "SCOPE") == NULL);
    CHECK(iam_env_property(p, "URL") == NULL);
    iam_env_properties_free(p);

    /* environment over VCAP_SERVICES, again without merging */
    unlink("ibm-credentials.env");
    env("AUTH_TYPE", "container");
    env("IAM_PROFILE_ID", "iam-Profile-1");
    setenv("VCAP_SERVICES",
           "{\"x\":[{\"name\":\"" SVC "\",\"credentials\":{\"apikey\":\"k\",\"url\":\"https://v\"}}]}",
           1);
    p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_source(p), "environment");
    CHECK_EQ_STR(iam_env_auth_type(p), "container");
    CHECK(iam_env_property(p, "APIKEY") == NULL);
    CHECK(iam_env_property(p, "URL") == NULL);
    iam_env_properties_free(p);
}

static void environment_alone(void)
{
    fresh();
    env("APIKEY", APIKEY);
    env("AUTH_URL", "https://iam.test.cloud.ibm.com");
    env("CLIENT_ID", "bx");
    env("CLIENT_SECRET", "==my-client-secret==");
    env("AUTH_DISABLE_SSL", "True");
    env("DISABLE_SSL", "false");
    env("URL", "https://svc.example");
    iam_env_properties *p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_source(p), "environment");
    CHECK_EQ_STR(iam_env_auth_type(p), "iam");
    CHECK_SECRET_EQ(iam_env_property(p, "APIKEY"), APIKEY);
    CHECK_SECRET_EQ(iam_env_property(p, "CLIENT_SECRET"), "==my-client-secret==");
    CHECK_EQ_STR(iam_env_property(p, "AUTH_URL"), "https://iam.test.cloud.ibm.com");
    CHECK_EQ_STR(iam_env_property(p, "URL"), "https://svc.example");
    CHECK_EQ_INT(iam_env_property_bool(p, "AUTH_DISABLE_SSL"), 1);
    CHECK_EQ_INT(iam_env_property_bool(p, "DISABLE_SSL"), 0);
    CHECK_EQ_INT(iam_env_property_bool(p, "SCOPE"), 0);
    iam_env_properties_free(p);
}

static void strict_prefix(void)
{
    fresh();
    iam_error err;
    /* S1 never reads S10's variables, nor unknown property names. */
    setenv("S10_APIKEY", "s10-key", 1);
    setenv("S1_APIKEYX", "x", 1);
    setenv("S1_X_APIKEY", "x", 1);
    setenv("s1_apikey", "lower", 1);
    setenv("S1_", "x", 1);
    load_fails("s1", &err);
    CHECK_MSG(err, "no configuration found for service \"s1\"");

    setenv("S1_APIKEY", "s1-key", 1);
    iam_env_properties *p = load_ok("s1");
    CHECK_EQ_STR(iam_env_property(p, "APIKEY"), "s1-key");
    iam_env_properties_free(p);
    p = load_ok("S10");
    CHECK_EQ_STR(iam_env_property(p, "APIKEY"), "s10-key");
    iam_env_properties_free(p);
    unsetenv("s1_apikey");

    /* the same in the credentials file */
    fresh();
    write_file(cwd_dir, "ibm-credentials.env", "S10_APIKEY=s10-key\nS1_APIKEYX=x\n");
    setenv("S1_APIKEY", "s1-env", 1);
    p = load_ok("s1");
    CHECK_EQ_STR(iam_env_source(p), "environment");
    CHECK_EQ_STR(iam_env_property(p, "APIKEY"), "s1-env");
    iam_env_properties_free(p);
}

static void service_name_dashes_and_spaces(void)
{
    fresh();
    setenv("MY_TEST_SVC_APIKEY", "k1", 1);
    iam_env_properties *p = load_ok("my-test svc");
    CHECK_EQ_STR(iam_env_property(p, "APIKEY"), "k1");
    iam_env_properties_free(p);
    p = load_ok("My Test-Svc");
    CHECK_EQ_STR(iam_env_property(p, "APIKEY"), "k1");
    iam_env_properties_free(p);

    iam_error err;
    load_fails(NULL, &err);
    load_fails("", &err);
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    load_fails(longname, &err);
    CHECK_MSG(err, "longer");
}

/* ---------------------------------------------------------------- auth types */

static void auth_type_is_case_insensitive(void)
{
    static const struct {
        const char *given, *canonical;
    } cases[] = {
        {"iam", "iam"},           {"IAM", "iam"},
        {"Container", "container"}, {"VPC", "vpc"},
        {"iamassume", "iamAssume"}, {"IAMASSUME", "iamAssume"},
        {"bearertoken", "bearerToken"}, {"BEARERTOKEN", "bearerToken"},
        {"Basic", "basic"},       {"NOAUTH", "noAuth"},
        {"noauth", "noAuth"},     {" iam ", "iam"},
    };
    fresh();
    /* enough for every type */
    env("APIKEY", APIKEY);
    env("IAM_PROFILE_CRN", "crn:v1:bluemix:public:iam-identity::a/123::profile:Profile-1");
    env("BEARER_TOKEN", BEARER);
    env("USERNAME", "user");
    env("PASSWORD", PASSWORD);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        env("AUTH_TYPE", cases[i].given);
        iam_env_properties *p = load_ok(SVC);
        CHECK_EQ_STR(iam_env_auth_type(p), cases[i].canonical);
        CHECK_EQ_STR(iam_env_property(p, "AUTH_TYPE"), cases[i].given);
        iam_env_properties_free(p);
    }
}

static void authtype_is_the_other_spelling(void)
{
    fresh();
    env("USERNAME", "user");
    env("PASSWORD", PASSWORD);
    env("AUTHTYPE", "BASIC");
    iam_env_properties *p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_auth_type(p), "basic");
    CHECK_EQ_STR(iam_env_property(p, "AUTH_TYPE"), "BASIC");
    CHECK_EQ_STR(iam_env_property(p, "AUTHTYPE"), "BASIC");
    iam_env_properties_free(p);

    env("AUTH_TYPE", "noAuth"); /* AUTH_TYPE wins */
    p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_auth_type(p), "noAuth");
    iam_env_properties_free(p);
}

static void default_type_is_iam_with_apikey_else_container(void)
{
    fresh();
    env("APIKEY", APIKEY);
    iam_env_properties *p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_auth_type(p), "iam");
    iam_env_properties_free(p);

    unsetenv("IAMCORE_T_APIKEY");
    env("IAM_PROFILE_NAME", "my-profile");
    p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_auth_type(p), "container");
    iam_env_properties_free(p);

    unsetenv("IAMCORE_T_IAM_PROFILE_NAME");
    env("AUTH_URL", "https://iam.example");
    iam_error err;
    load_fails(SVC, &err);
    CHECK_MSG(err, "container");
    CHECK_MSG(err, "default");
    CHECK_MSG(err, "IAM_PROFILE_NAME");
}

static void unknown_type_lists_the_known_ones(void)
{
    fresh();
    env("APIKEY", APIKEY);
    env("AUTH_TYPE", "cp4d");
    iam_error err;
    load_fails(SVC, &err);
    CHECK_MSG(err, "AUTH_TYPE");
    CHECK_MSG(err, "\"cp4d\"");
    CHECK_MSG(err, "iam, container, vpc, iamAssume, bearerToken, basic, noAuth");
    CHECK_MSG(err, "IAMCORE_T_"); /* where to look */

    char longtype[100];
    memset(longtype, 'x', sizeof longtype - 1);
    longtype[sizeof longtype - 1] = '\0';
    env("AUTH_TYPE", longtype);
    load_fails(SVC, &err);
    CHECK_MSG(err, "(a value of 99 bytes, not shown)");
    CHECK(strstr(err.message, "xxx") == NULL);

    longtype[32] = '\0'; /* 32 bytes: shown */
    env("AUTH_TYPE", longtype);
    load_fails(SVC, &err);
    CHECK_MSG(err, "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"");

    env("AUTH_TYPE", "iam\x01");
    load_fails(SVC, &err);
    CHECK_MSG(err, "(a value of 4 bytes, not shown)");
}

typedef struct required_case {
    const char *props[6]; /* "PROP=value" */
    int ok;
    const char *message;  /* on failure, a part of it */
} required_case;

static void each_type_requires_its_properties(void)
{
    static const char crn[] = "IAM_PROFILE_CRN=crn:v1:bluemix:public:iam-identity::a/1::profile:P";
    const required_case cases[] = {
        {{"AUTH_TYPE=iam", "SCOPE=s"}, 0, "auth type iam needs APIKEY"},
        {{"AUTH_TYPE=iam", "APIKEY=APIKEY-SECRET-0001"}, 1, NULL},
        {{"REFRESH_TOKEN=REFRESH-SECRET-0001"}, 0, "IAM_PROFILE_NAME"}, /* default: container */
        {{"AUTH_TYPE=iam", "REFRESH_TOKEN=REFRESH-SECRET-0001"}, 0, "needs CLIENT_ID"},
        {{"AUTH_TYPE=iam", "REFRESH_TOKEN=REFRESH-SECRET-0001", "CLIENT_ID=bx"}, 0,
         "needs CLIENT_SECRET"},
        {{"AUTH_TYPE=iam", "REFRESH_TOKEN=REFRESH-SECRET-0001", "CLIENT_ID=bx",
          "CLIENT_SECRET=CLIENT-SECRET-0001"}, 1, NULL},
        {{"APIKEY=APIKEY-SECRET-0001", "CLIENT_ID=bx"}, 0, "CLIENT_ID is set but"},
        {{"APIKEY=APIKEY-SECRET-0001", "CLIENT_SECRET=CLIENT-SECRET-0001"}, 0,
         "CLIENT_SECRET is set but"},
        {{"AUTH_TYPE=container"}, 0, "IAM_PROFILE_NAME, IAM_PROFILE_ID or IAM_PROFILE_CRN"},
        {{"AUTH_TYPE=container", "IAM_PROFILE_ID=iam-Profile-1"}, 1, NULL},
        {{"AUTH_TYPE=container", crn}, 1, NULL},
        {{"AUTH_TYPE=container", "IAM_PROFILE_NAME=p", "CLIENT_SECRET=CLIENT-SECRET-0001"}, 0,
         "CLIENT_ID"},
        {{"AUTH_TYPE=vpc"}, 1, NULL},
        {{"AUTH_TYPE=vpc", crn}, 1, NULL},
        {{"AUTH_TYPE=vpc", crn, "IAM_PROFILE_ID=iam-Profile-1"}, 0, "not both"},
        {{"AUTH_TYPE=iamAssume", crn}, 0, "auth type iamAssume needs APIKEY"},
        {{"AUTH_TYPE=iamAssume", "APIKEY=APIKEY-SECRET-0001"}, 0, "IAM_PROFILE_CRN"},
        {{"AUTH_TYPE=iamAssume", "APIKEY=APIKEY-SECRET-0001", crn, "IAM_PROFILE_ID=id"}, 0,
         "exactly one"},
        {{"AUTH_TYPE=iamAssume", "APIKEY=APIKEY-SECRET-0001", "IAM_PROFILE_NAME=n",
          "IAM_PROFILE_ID=id"}, 0, "exactly one"},
        {{"AUTH_TYPE=iamAssume", "APIKEY=APIKEY-SECRET-0001", "IAM_PROFILE_NAME=n"}, 0,
         "IAM_ACCOUNT_ID"},
        {{"AUTH_TYPE=iamAssume", "APIKEY=APIKEY-SECRET-0001", "IAM_PROFILE_NAME=n",
          "IAM_ACCOUNT_ID=acc"}, 1, NULL},
        {{"AUTH_TYPE=iamAssume", "APIKEY=APIKEY-SECRET-0001", "IAM_PROFILE_ID=id"}, 1, NULL},
        {{"AUTH_TYPE=iamAssume", "APIKEY=APIKEY-SECRET-0001", crn}, 1, NULL},
        {{"AUTH_TYPE=bearerToken", "APIKEY=APIKEY-SECRET-0001"}, 0, "needs BEARER_TOKEN"},
        {{"AUTH_TYPE=bearerToken", "BEARER_TOKEN=BEARER-SECRET-0001"}, 1, NULL},
        {{"AUTH_TYPE=basic"}, 0, "needs USERNAME and PASSWORD"},
        {{"AUTH_TYPE=basic", "USERNAME=u"}, 0, "needs PASSWORD"},
        {{"AUTH_TYPE=basic", "PASSWORD=PASSWORD-SECRET-0001"}, 0, "needs USERNAME"},
        {{"AUTH_TYPE=basic", "USERNAME=u", "PASSWORD=PASSWORD-SECRET-0001"}, 1, NULL},
        {{"AUTH_TYPE=noAuth"}, 1, NULL},
        {{"AUTH_TYPE=noAuth", "APIKEY=APIKEY-SECRET-0001"}, 1, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fresh();
        for (size_t j = 0; j < 6 && cases[i].props[j]; j++) {
            char prop[160];
            snprintf(prop, sizeof prop, "%s", cases[i].props[j]);
            char *eq = strchr(prop, '=');
            *eq = '\0';
            env(prop, eq + 1);
        }
        iam_env_properties *p = NULL;
        iam_error err;
        iam_error_clear(&err);
        int rc = iam_env_properties_load(&p, SVC, &err);
        check_no_secret(&err);
        if (cases[i].ok) {
            if (rc != IAM_OK) {
                fprintf(stderr, "  case %zu: unexpected error: %s\n", i, err.message);
                check_failures++;
            }
        } else if (rc != IAM_E_CONFIG || !strstr(err.message, cases[i].message)) {
            fprintf(stderr, "  case %zu: rc %d, message lacks \"%s\": %s\n", i, rc,
                    cases[i].message, err.message);
            check_failures++;
        }
        iam_env_properties_free(p);
    }
}

/* ---------------------------------------------------------------- VCAP_SERVICES */

static void vcap_entry_by_name_in_any_list(void)
{
    fresh();
    setenv("VCAP_SERVICES",
           "{\"" SVC "\":[{\"name\":\"by-key\",\"credentials\":{\"apikey\":\"key-of-list\"}}],"
           " \"other-service\":[{\"name\":\"x\",\"credentials\":{\"apikey\":\"x\"}},"
           "  {\"name\":\"" SVC "\",\"credentials\":{\"apikey\":\"VCAP-APIKEY-SECRET-0001\","
           "    \"url\":\"https://svc.example\",\"iam_apikey_description\":\"d\"}}]}",
           1);
    iam_env_properties *p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_source(p), "VCAP_SERVICES");
    CHECK_EQ_STR(iam_env_auth_type(p), "iam");
    CHECK_SECRET_EQ(iam_env_property(p, "APIKEY"), VCAP_APIKEY);
    CHECK_EQ_STR(iam_env_property(p, "URL"), "https://svc.example");
    CHECK(iam_env_property(p, "AUTH_TYPE") == NULL);
    iam_env_properties_free(p);
}

static void vcap_first_entry_of_the_list_keyed_by_the_name(void)
{
    fresh();
    setenv("VCAP_SERVICES",
           "{\"" SVC "\":[{\"name\":\"instance-1\",\"credentials\":{\"username\":\"u1\","
           "  \"password\":\"VCAP-PASSWORD-SECRET-0001\",\"url\":\"https://one\"}},"
           " {\"name\":\"instance-2\",\"credentials\":{\"username\":\"u2\",\"password\":\"p2\"}}]}",
           1);
    iam_env_properties *p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_auth_type(p), "basic");
    CHECK_EQ_STR(iam_env_property(p, "USERNAME"), "u1");
    CHECK_SECRET_EQ(iam_env_property(p, "PASSWORD"), VCAP_PASSWORD);
    CHECK_EQ_STR(iam_env_property(p, "URL"), "https://one");
    iam_env_properties_free(p);

    /* the name is compared as given, not as SERVICE */
    iam_error err;
    load_fails("IAMCORE_T", &err);
}

static void vcap_iam_apikey_and_basic(void)
{
    fresh();
    setenv("VCAP_SERVICES",
           "{\"" SVC "\":[{\"credentials\":{\"iam_apikey\":\"VCAP-APIKEY-SECRET-0001\","
           "\"iam_apikey_description\":\"Auto generated\",\"iam_apikey_name\":\"n\","
           "\"iam_role_crn\":\"crn:v1:bluemix:public:iam::::serviceRole:Manager\"}}]}",
           1);
    iam_env_properties *p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_auth_type(p), "iam");
    CHECK_SECRET_EQ(iam_env_property(p, "APIKEY"), VCAP_APIKEY);
    iam_env_properties_free(p);

    /* apikey first; an API key also wins over username + password */
    setenv("VCAP_SERVICES",
           "{\"" SVC "\":[{\"credentials\":{\"iam_apikey\":\"second\",\"apikey\":\"first\","
           "\"username\":\"u\",\"password\":\"VCAP-PASSWORD-SECRET-0001\"}}]}",
           1);
    p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_auth_type(p), "iam");
    CHECK_EQ_STR(iam_env_property(p, "APIKEY"), "first");
    iam_env_properties_free(p);

    iam_error err;
    setenv("VCAP_SERVICES", "{\"" SVC "\":[{\"credentials\":{\"username\":\"u\"}}]}", 1);
    load_fails(SVC, &err);
    CHECK_MSG(err, "auth type basic needs PASSWORD");
    CHECK_MSG(err, "VCAP_SERVICES");

    setenv("VCAP_SERVICES", "{\"" SVC "\":[{\"credentials\":{\"url\":\"https://u\"}}]}", 1);
    load_fails(SVC, &err);
    CHECK_MSG(err, "auth type iam needs APIKEY");

    /* an entry without credentials is no configuration */
    setenv("VCAP_SERVICES", "{\"" SVC "\":[{\"name\":\"x\"}]}", 1);
    load_fails(SVC, &err);
    CHECK_MSG(err, "no configuration found");
    CHECK_MSG(err, "no credentials");
}

static void malformed_vcap_is_named_not_shown(void)
{
    fresh();
    iam_error err;
    setenv("VCAP_SERVICES", "{\"" SVC "\":[{\"credentials\":{\"apikey\":\"VCAP-APIKEY-SECRET-0001\"", 1);
    load_fails(SVC, &err);
    CHECK_MSG(err, "VCAP_SERVICES is not valid JSON");
    CHECK(strstr(err.message, "credentials") == NULL);

    setenv("VCAP_SERVICES", "[{\"name\":\"" SVC "\"}]", 1);
    load_fails(SVC, &err);
    CHECK_MSG(err, "VCAP_SERVICES is not a JSON object");

    /* not read at all when an earlier source has the service */
    env("APIKEY", APIKEY);
    setenv("VCAP_SERVICES", "{broken", 1);
    iam_env_properties *p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_source(p), "environment");
    iam_env_properties_free(p);
}

static void nothing_found_says_where_it_looked(void)
{
    fresh();
    setenv("VCAP_SERVICES", "{\"other\":[{\"name\":\"x\",\"credentials\":{\"apikey\":\"k\"}}]}", 1);
    iam_error err;
    load_fails(SVC, &err);
    CHECK_MSG(err, "no configuration found for service \"" SVC "\"");
    CHECK_MSG(err, cwd_dir);
    CHECK_MSG(err, home_dir);
    CHECK_MSG(err, "IAMCORE_T_");
    CHECK_MSG(err, "environment");
    CHECK_MSG(err, "VCAP_SERVICES");

    unsetenv("VCAP_SERVICES");
    write_file(cwd_dir, "ibm-credentials.env", "OTHER_APIKEY=k\n");
    load_fails(SVC, &err);
    CHECK_MSG(err, "no IAMCORE_T_* keys");
    CHECK_MSG(err, "VCAP_SERVICES (not set)");
}

static void secrets_never_in_errors(void)
{
    /* Every failure with every secret property set: the messages (checked for
     * every secret by load_fails) name properties, never values. */
    static const char *const types[] = {"iam",   "container", "vpc", "iamAssume",
                                        "basic", "cp4d",      "APIKEY-SECRET-0001"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        fresh();
        env("AUTH_TYPE", types[i]);
        env("CLIENT_SECRET", CLIENT_SECRET);  /* without CLIENT_ID: always an error… */
        env("PASSWORD", PASSWORD);            /* …or USERNAME is missing */
        env("BEARER_TOKEN", BEARER);
        env("REFRESH_TOKEN", REFRESH);
        env("APIKEY", APIKEY);
        env("IAM_PROFILE_ID", "a");
        env("IAM_PROFILE_CRN", "b");
        iam_error err;
        load_fails(SVC, &err);
    }
}

/* ---------------------------------------------------------------- iam_config */

static void fill_config_for_iam(void)
{
    fresh();
    write_file(cwd_dir, "ibm-credentials.env",
               "IAMCORE_T_APIKEY=APIKEY-SECRET-0001\n"
               "IAMCORE_T_AUTH_URL=https://iam.test.cloud.ibm.com\n"
               "IAMCORE_T_CLIENT_ID=bx\n"
               "IAMCORE_T_CLIENT_SECRET=CLIENT-SECRET-0001\n"
               "IAMCORE_T_SCOPE=my-scope\n"
               "IAMCORE_T_AUTH_DISABLE_SSL=TRUE\n"
               "IAMCORE_T_IAM_PROFILE_NAME=ignored-for-iam\n");
    iam_env_properties *p = load_ok(SVC);
    iam_config cfg = IAM_CONFIG_INIT;
    cfg.timeout_ms = 1234;
    cfg.iam_profile_id = "set-before";
    iam_auth_type type = 0;
    iam_error err;
    CHECK_EQ_INT(iam_env_fill_config(p, &cfg, &type, &err), IAM_OK);
    CHECK_EQ_INT(type, IAM_AUTH_IAM);
    CHECK_SECRET_EQ(cfg.apikey, APIKEY);
    CHECK_EQ_STR(cfg.url, "https://iam.test.cloud.ibm.com");
    CHECK_EQ_STR(cfg.client_id, "bx");
    CHECK_SECRET_EQ(cfg.client_secret, CLIENT_SECRET);
    CHECK_EQ_STR(cfg.scope, "my-scope");
    CHECK_EQ_INT(cfg.disable_ssl_verification, 1);
    CHECK(cfg.iam_profile_name == NULL && cfg.iam_profile_id == NULL);
    CHECK(cfg.cr_token_filename == NULL);
    CHECK_EQ_INT(cfg.timeout_ms, 1234);
    /* the strings are p's */
    CHECK(cfg.apikey == iam_env_property(p, "APIKEY"));

    iam_auth *auth = NULL;
    CHECK_EQ_INT(iam_auth_new(&auth, type, &cfg, &err), IAM_OK);
    iam_auth_free(auth);
    iam_env_properties_free(p);
}

static void fill_config_for_container(void)
{
    fresh();
    env("AUTH_TYPE", "Container");
    env("IAM_PROFILE_NAME", "my-profile");
    env("IAM_PROFILE_ID", "iam-Profile-1");
    env("IAM_PROFILE_CRN", "crn:v1:bluemix:public:iam-identity::a/1::profile:iam-Profile-1");
    env("CR_TOKEN_FILENAME", "/var/run/my-token");
    env("AUTH_DISABLE_SSL", "false");
    env("APIKEY", APIKEY); /* not for a container authenticator */
    iam_env_properties *p = load_ok(SVC);
    iam_config cfg = IAM_CONFIG_INIT;
    cfg.apikey = "set-before";
    cfg.disable_ssl_verification = 1;
    iam_auth_type type = 0;
    iam_error err;
    CHECK_EQ_INT(iam_env_fill_config(p, &cfg, &type, &err), IAM_OK);
    CHECK_EQ_INT(type, IAM_AUTH_CONTAINER);
    CHECK(cfg.apikey == NULL);
    CHECK_EQ_STR(cfg.iam_profile_name, "my-profile");
    CHECK_EQ_STR(cfg.iam_profile_id, "iam-Profile-1");
    CHECK_EQ_STR(cfg.iam_profile_crn,
                 "crn:v1:bluemix:public:iam-identity::a/1::profile:iam-Profile-1");
    CHECK_EQ_STR(cfg.cr_token_filename, "/var/run/my-token");
    CHECK(cfg.url == NULL && cfg.client_id == NULL && cfg.client_secret == NULL);
    CHECK_EQ_INT(cfg.disable_ssl_verification, 0);

    iam_auth *auth = NULL;
    CHECK_EQ_INT(iam_auth_new(&auth, type, &cfg, &err), IAM_OK);
    iam_auth_free(auth);
    iam_env_properties_free(p);
}

static void fill_config_refuses_other_types(void)
{
    fresh();
    env("AUTH_TYPE", "basic");
    env("USERNAME", "u");
    env("PASSWORD", PASSWORD);
    iam_env_properties *p = load_ok(SVC);
    iam_config cfg = IAM_CONFIG_INIT;
    iam_auth_type type = IAM_AUTH_CONTAINER;
    iam_error err;
    iam_error_clear(&err);
    CHECK_EQ_INT(iam_env_fill_config(p, &cfg, &type, &err), IAM_E_CONFIG);
    CHECK_MSG(err, "basic");
    check_no_secret(&err);
    CHECK_EQ_INT(type, IAM_AUTH_CONTAINER);
    CHECK(cfg.apikey == NULL && cfg.url == NULL);
    iam_env_properties_free(p);

    fresh();
    env("AUTH_TYPE", "noAuth");
    p = load_ok(SVC);
    CHECK_EQ_INT(iam_env_fill_config(p, &cfg, &type, &err), IAM_E_CONFIG);
    CHECK_MSG(err, "noAuth");
    iam_auth *auth = (iam_auth *)1;
    CHECK_EQ_INT(iam_env_auth_new(&auth, p, NULL, &err), IAM_E_CONFIG);
    CHECK(auth == NULL);
    iam_env_properties_free(p);

    cfg.version = 0;
    p = load_ok(SVC);
    CHECK_EQ_INT(iam_env_fill_config(p, &cfg, NULL, &err), IAM_E_CONFIG);
    iam_env_properties_free(p);
}

static void fill_config_for_refresh_token(void)
{
    fresh();
    env("AUTH_TYPE", "iam");
    env("REFRESH_TOKEN", REFRESH);
    env("CLIENT_ID", "bx");
    env("CLIENT_SECRET", CLIENT_SECRET);
    env("SCOPE", "s");
    iam_env_properties *p = load_ok(SVC);
    iam_config cfg = IAM_CONFIG_INIT;
    cfg.apikey = "set-before";
    iam_auth_type type = 0;
    iam_error err;
    CHECK_EQ_INT(iam_env_fill_config(p, &cfg, &type, &err), IAM_OK);
    CHECK_EQ_INT(type, IAM_AUTH_IAM);
    CHECK(cfg.apikey == NULL);
    CHECK_SECRET_EQ(cfg.refresh_token, REFRESH);
    CHECK_EQ_STR(cfg.client_id, "bx");
    CHECK_SECRET_EQ(cfg.client_secret, CLIENT_SECRET);
    iam_auth *auth = NULL;
    CHECK_EQ_INT(iam_env_auth_new(&auth, p, NULL, &err), IAM_OK);
    CHECK(auth && iam_auth_get_type(auth) == IAM_AUTH_IAM);
    iam_auth_free(auth);
    iam_env_properties_free(p);

    /* both: the API key wins (go-sdk-core's order), the refresh token is not passed on */
    env("APIKEY", APIKEY);
    p = load_ok(SVC);
    CHECK_EQ_INT(iam_env_fill_config(p, &cfg, &type, &err), IAM_OK);
    CHECK_SECRET_EQ(cfg.apikey, APIKEY);
    CHECK(cfg.refresh_token == NULL);
    CHECK_EQ_INT(iam_env_auth_new(&auth, p, NULL, &err), IAM_OK);
    iam_auth_free(auth);
    iam_env_properties_free(p);
}

static void fill_config_for_vpc(void)
{
    fresh();
    env("AUTH_TYPE", "VPC");
    env("IAM_PROFILE_CRN", "crn:v1:bluemix:public:iam-identity::a/1::profile:p1");
    env("VPC_IMS_VERSION", "2025-08-26");
    env("AUTH_URL", "http://169.254.169.254");
    env("CLIENT_ID", "bx"); /* the metadata service takes no client credentials */
    env("CLIENT_SECRET", CLIENT_SECRET);
    env("SCOPE", "s");
    env("APIKEY", APIKEY);
    iam_env_properties *p = load_ok(SVC);
    iam_config cfg = IAM_CONFIG_INIT;
    iam_auth_type type = 0;
    iam_error err;
    CHECK_EQ_INT(iam_env_fill_config(p, &cfg, &type, &err), IAM_OK);
    CHECK_EQ_INT(type, IAM_AUTH_VPC);
    CHECK_EQ_STR(cfg.iam_profile_crn, "crn:v1:bluemix:public:iam-identity::a/1::profile:p1");
    CHECK(cfg.iam_profile_id == NULL && cfg.iam_profile_name == NULL);
    CHECK_EQ_STR(cfg.vpc_ims_version, "2025-08-26");
    CHECK_EQ_STR(cfg.url, "http://169.254.169.254");
    CHECK(cfg.apikey == NULL && cfg.client_id == NULL && cfg.client_secret == NULL);
    CHECK(cfg.scope == NULL);
    iam_auth *auth = NULL;
    CHECK_EQ_INT(iam_env_auth_new(&auth, p, NULL, &err), IAM_OK);
    CHECK(auth && iam_auth_get_type(auth) == IAM_AUTH_VPC);
    iam_auth_free(auth);
    iam_env_properties_free(p);
}

static void fill_config_for_iam_assume(void)
{
    fresh();
    env("AUTH_TYPE", "iamassume");
    env("APIKEY", APIKEY);
    env("IAM_PROFILE_NAME", "my-profile");
    env("IAM_ACCOUNT_ID", "acct-1");
    env("CLIENT_ID", "bx");
    env("CLIENT_SECRET", CLIENT_SECRET);
    env("SCOPE", "s");
    env("CR_TOKEN_FILENAME", "/not/for/assume");
    env("REFRESH_TOKEN", REFRESH);
    iam_env_properties *p = load_ok(SVC);
    CHECK_EQ_STR(iam_env_auth_type(p), "iamAssume");
    iam_config cfg = IAM_CONFIG_INIT;
    iam_auth_type type = 0;
    iam_error err;
    CHECK_EQ_INT(iam_env_fill_config(p, &cfg, &type, &err), IAM_OK);
    CHECK_EQ_INT(type, IAM_AUTH_IAM_ASSUME);
    CHECK_SECRET_EQ(cfg.apikey, APIKEY);
    CHECK(cfg.refresh_token == NULL && cfg.cr_token_filename == NULL);
    CHECK_EQ_STR(cfg.iam_profile_name, "my-profile");
    CHECK_EQ_STR(cfg.iam_account_id, "acct-1");
    CHECK_EQ_STR(cfg.client_id, "bx");
    CHECK_EQ_STR(cfg.scope, "s");
    iam_auth *auth = NULL;
    CHECK_EQ_INT(iam_env_auth_new(&auth, p, NULL, &err), IAM_OK);
    CHECK(auth && iam_auth_get_type(auth) == IAM_AUTH_IAM_ASSUME);
    iam_auth_free(auth);
    iam_env_properties_free(p);
}

static void auth_new_keeps_the_base_options_and_says_where(void)
{
    fresh();
    env("APIKEY", APIKEY);
    iam_env_properties *p = load_ok(SVC);
    iam_config opts = IAM_CONFIG_INIT;
    opts.ca_file = "/nonexistent/ca.pem"; /* refused by iam_auth_new */
    iam_auth *auth = (iam_auth *)1;
    iam_error err;
    CHECK_EQ_INT(iam_env_auth_new(&auth, p, &opts, &err), IAM_E_CONFIG);
    CHECK(auth == NULL);
    CHECK_MSG(err, "service configuration from environment: ");
    CHECK_MSG(err, "/nonexistent/ca.pem");
    check_no_secret(&err);
    opts.ca_file = NULL;
    opts.timeout_ms = -5;
    CHECK_EQ_INT(iam_env_auth_new(&auth, p, &opts, &err), IAM_E_CONFIG);
    CHECK_MSG(err, "timeout");
    CHECK_EQ_INT(iam_env_auth_new(NULL, p, NULL, &err), IAM_E_CONFIG);
    iam_env_properties_free(p);
}

/* Values an authenticator would refuse are refused at load, naming the property. */
static void bad_values_are_named_by_property(void)
{
    static const struct {
        const char *type, *prop, *value, *needle;
    } cases[] = {
        {"iam", "APIKEY", "\"APIKEY-SECRET-0001\"", "APIKEY must not start or end"},
        {"iam", "CLIENT_SECRET", "{CLIENT-SECRET-0001}", "CLIENT_SECRET must not start or end"},
        {"iam", "AUTH_URL", "ftp://iam.example", "AUTH_URL must start with"},
        {"iam", "AUTH_URL", "https://iam.example/a b", "white space"},
        {"vpc", "VPC_IMS_VERSION", "2022-02-28", "VPC_IMS_VERSION must be a date"},
        {"vpc", "VPC_IMS_VERSION", "2025-8-26", "VPC_IMS_VERSION must be a date"},
        {"vpc", "VPC_IMS_VERSION", "2023-02-29", "VPC_IMS_VERSION must be a date"},
        {"vpc", "IAM_PROFILE_NAME", "p", "not IAM_PROFILE_NAME"},
        {"iamAssume", "IAM_ACCOUNT_ID", "acct", "IAM_ACCOUNT_ID only with IAM_PROFILE_NAME"},
        {"iamAssume", "CLIENT_ID", "bx", "CLIENT_ID is set but CLIENT_SECRET is not"},
        {"bearerToken", "BEARER_TOKEN", "BEARER-SECRET-0001\r\nX-Evil: 1", "line break"},
        {"basic", "USERNAME", "a:b", "USERNAME must not contain a colon"},
        {"basic", "PASSWORD", "\"PASSWORD-SECRET-0001\"", "PASSWORD must not start or end"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fresh();
        env("AUTH_TYPE", cases[i].type);
        env("APIKEY", APIKEY);
        env("IAM_PROFILE_ID", "pid");
        env("BEARER_TOKEN", BEARER);
        env("USERNAME", "user");
        env("PASSWORD", PASSWORD);
        env(cases[i].prop, cases[i].value);
        if (strcmp(cases[i].prop, "CLIENT_SECRET") == 0)
            env("CLIENT_ID", "bx");
        iam_error err;
        load_fails(SVC, &err);
        CHECK_MSG(err, cases[i].needle);
    }
    /* the valid forms of the same properties */
    fresh();
    env("AUTH_TYPE", "vpc");
    env("VPC_IMS_VERSION", "2024-02-29");
    env("AUTH_URL", "HTTPS://api.metadata.cloud.ibm.com");
    iam_env_properties *p = load_ok(SVC);
    iam_env_properties_free(p);
}

static void getters_accept_null_and_unknown_names(void)
{
    fresh();
    env("APIKEY", APIKEY);
    iam_env_properties *p = load_ok(SVC);
    CHECK(iam_env_property(p, "apikey") == NULL);
    CHECK(iam_env_property(p, "IAMCORE_T_APIKEY") == NULL);
    CHECK(iam_env_property(p, NULL) == NULL);
    CHECK(iam_env_property(NULL, "APIKEY") == NULL);
    CHECK(iam_env_auth_type(NULL) == NULL);
    CHECK(iam_env_source(NULL) == NULL);
    CHECK_EQ_INT(iam_env_property_bool(NULL, "DISABLE_SSL"), 0);
    iam_env_properties_free(p);
    iam_env_properties_free(NULL);
    iam_error err;
    CHECK_EQ_INT(iam_env_properties_load(NULL, SVC, &err), IAM_E_CONFIG);
}

int main(void)
{
    if (!mkdtemp(base))
        return 1;
    char start[4096];
    if (!getcwd(start, sizeof start))
        return 1;
    RUN(parse_splits_at_first_equals_and_keeps_values_verbatim);
    RUN(parse_skips_lines_with_nul_bytes);
    RUN(file_values_comments_and_equals);
    RUN(file_crlf_and_byte_order_mark);
    RUN(file_in_current_directory_then_home);
    RUN(explicit_file_wins_over_default_files);
    RUN(missing_explicit_file_falls_through);
    RUN(unreadable_existing_file_is_an_error);
    RUN(empty_values_count_as_absent);
    RUN(first_source_wins_and_sources_never_merge);
    RUN(environment_alone);
    RUN(strict_prefix);
    RUN(service_name_dashes_and_spaces);
    RUN(auth_type_is_case_insensitive);
    RUN(authtype_is_the_other_spelling);
    RUN(default_type_is_iam_with_apikey_else_container);
    RUN(unknown_type_lists_the_known_ones);
    RUN(each_type_requires_its_properties);
    RUN(vcap_entry_by_name_in_any_list);
    RUN(vcap_first_entry_of_the_list_keyed_by_the_name);
    RUN(vcap_iam_apikey_and_basic);
    RUN(malformed_vcap_is_named_not_shown);
    RUN(nothing_found_says_where_it_looked);
    RUN(secrets_never_in_errors);
    RUN(fill_config_for_iam);
    RUN(fill_config_for_container);
    RUN(fill_config_refuses_other_types);
    RUN(fill_config_for_refresh_token);
    RUN(fill_config_for_vpc);
    RUN(fill_config_for_iam_assume);
    RUN(auth_new_keeps_the_base_options_and_says_where);
    RUN(bad_values_are_named_by_property);
    RUN(getters_accept_null_and_unknown_names);
    if (chdir(start) != 0)
        return 1;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx %s && rm -rf %s", base, base);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", base);
    return CHECK_DONE();
}
