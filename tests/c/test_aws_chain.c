/* The credential chain's order, the cached provider, and RDS authenticators,
 * against the emulator. Instance metadata always points at the emulator or is
 * disabled: no test sends anything to 169.254.169.254. */
#define _GNU_SOURCE
#include "check.h"
#include "emulator.h"
#include "aws_chain.h"
#include "iamcore_aws.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/iamcore-chainXXXXXX";
static char config_path[128], credentials_path[128];

static void write_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "w");
    fputs(content, f);
    fclose(f);
}

/* A clean slate: no AWS variables, empty files, IMDS disabled. */
static void clean(void)
{
    const char *vars[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                          "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ROLE_ARN",
                          "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_EC2_METADATA_SERVICE_ENDPOINT"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    write_file(config_path, "");
    write_file(credentials_path, "");
    setenv("AWS_CONFIG_FILE", config_path, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", credentials_path, 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("AWS_ENDPOINT_URL_STS", http_url, 1);
    reset();
}

static const char *resolve(const char *profile, int *status, iam_error *err)
{
    static char source[32];
    iam_aws_creds *c = NULL;
    iam_error_clear(err);
    *status = iam_aws_chain_resolve(&c, profile, err);
    if (*status != IAM_OK)
        return NULL;
    snprintf(source, sizeof source, "%s", iam_aws_creds_source(c));
    iam_aws_creds_release(c);
    return source;
}

static void order_of_the_sources(void)
{
    clean();
    int st;
    iam_error err;
    char uri[256];
    snprintf(uri, sizeof uri, "%s/container-credentials/t", http_url);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", http_url, 1);
    unsetenv("AWS_EC2_METADATA_DISABLED");
    CHECK_EQ_STR(resolve(NULL, &st, &err), "imds");
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri, 1);
    CHECK_EQ_STR(resolve(NULL, &st, &err), "container");
    write_file(credentials_path, "[default]\naws_access_key_id = AKIDPROFILE\n"
                                 "aws_secret_access_key = profile-secret\n");
    CHECK_EQ_STR(resolve(NULL, &st, &err), "profile");
    char token_path[160];
    snprintf(token_path, sizeof token_path, "%s/oidc", dir);
    write_file(token_path, "oidc-token");
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token_path, 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/app", 1);
    CHECK_EQ_STR(resolve(NULL, &st, &err), "web-identity");
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
    CHECK_EQ_STR(resolve(NULL, &st, &err), "env");
    /* A named profile skips the environment. */
    CHECK_EQ_STR(resolve("default", &st, &err), "profile");
}

static void a_named_profile_must_exist(void)
{
    clean();
    int st;
    iam_error err;
    CHECK(resolve("missing", &st, &err) == NULL);
    CHECK_EQ_INT(st, IAM_E_CONFIG);
    CHECK(strstr(err.message, "missing") != NULL);
}

static void profile_with_web_identity(void)
{
    clean();
    char token_path[160], cfg[512];
    snprintf(token_path, sizeof token_path, "%s/oidc2", dir);
    write_file(token_path, "oidc-token-2\n");
    snprintf(cfg, sizeof cfg,
             "[profile ci]\nrole_arn = arn:aws:iam::123456789012:role/ci\n"
             "web_identity_token_file = %s\nrole_session_name = ci-run\nregion = eu-west-1\n",
             token_path);
    write_file(config_path, cfg);
    int st;
    iam_error err;
    CHECK_EQ_STR(resolve("ci", &st, &err), "web-identity");
    char *v = last_request_item("form", "RoleSessionName");
    CHECK_EQ_STR(v, "ci-run");
    free(v);
}

static void an_unsupported_role_profile_stops_the_chain(void)
{
    clean();
    write_file(config_path, "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\n"
                            "source_profile = default\n");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", http_url, 1);
    unsetenv("AWS_EC2_METADATA_DISABLED");
    int st;
    iam_error err;
    CHECK(resolve("admin", &st, &err) == NULL);
    CHECK_EQ_INT(st, IAM_E_CONFIG);
    CHECK(strstr(err.message, "source_profile") != NULL);
    CHECK_EQ_INT(endpoint_count("imds-token"), 0); /* not another identity */
}

static void nothing_anywhere_lists_every_source(void)
{
    clean();
    int st;
    iam_error err;
    CHECK(resolve(NULL, &st, &err) == NULL);
    CHECK_EQ_INT(st, IAM_E_CONFIG);
    CHECK(strstr(err.message, "no AWS credentials found") != NULL);
    CHECK(strstr(err.message, "environment") && strstr(err.message, "web identity") &&
          strstr(err.message, "profile \"default\"") && strstr(err.message, "container") &&
          strstr(err.message, "instance metadata"));
}

static void a_failing_source_stops_the_chain(void)
{
    clean();
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", http_url, 1);
    unsetenv("AWS_EC2_METADATA_DISABLED");
    char uri[256];
    snprintf(uri, sizeof uri, "%s/container-credentials/t", http_url);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri, 1);
    enqueue("{\"responses\":[{\"endpoint\":\"container\",\"status\":403,"
            "\"json\":{\"code\":\"AccessDenied\",\"message\":\"no\"}}]}");
    int st;
    iam_error err;
    CHECK(resolve(NULL, &st, &err) == NULL);
    CHECK_EQ_INT(st, IAM_E_AUTH);
    CHECK_EQ_STR(err.error_code, "AccessDenied");
    CHECK_EQ_INT(endpoint_count("imds-token"), 0); /* not asked */
}

/* ---- the cached provider */

typedef struct caller {
    iam_aws_provider *p;
    pthread_barrier_t *start;
    int status;
} caller;

static void *get_creds(void *arg)
{
    caller *k = arg;
    pthread_barrier_wait(k->start);
    iam_aws_creds *c = NULL;
    iam_error err;
    k->status = iam_aws_provider_get(k->p, &c, &err);
    iam_aws_creds_release(c);
    return NULL;
}

static void provider_fetches_once_for_many_threads(void)
{
    clean();
    free(control("aws-settings", "{\"delay_ms\":200}"));
    char token_path[160];
    snprintf(token_path, sizeof token_path, "%s/oidc3", dir);
    write_file(token_path, "oidc-token-3");
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token_path, 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/app", 1);
    iam_aws_provider_config cfg = IAM_AWS_PROVIDER_CONFIG_INIT;
    iam_aws_provider *p = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_aws_provider_new(&p, &cfg, &err), IAM_OK);
    enum { N = 100 };
    pthread_t tids[N];
    caller k[N];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, N);
    for (int i = 0; i < N; i++) {
        k[i] = (caller){.p = p, .start = &start};
        pthread_create(&tids[i], NULL, get_creds, &k[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(tids[i], NULL);
        CHECK_EQ_INT(k[i].status, IAM_OK);
    }
    pthread_barrier_destroy(&start);
    CHECK_EQ_INT(endpoint_count("sts"), 1);
    iam_aws_provider_invalidate(p);
    iam_aws_creds *c = NULL;
    CHECK_EQ_INT(iam_aws_provider_get(p, &c, &err), IAM_OK);
    iam_aws_creds_release(c);
    CHECK_EQ_INT(endpoint_count("sts"), 2);
    iam_aws_provider_free(p);
}

static void short_lived_credentials_are_reused(void)
{
    clean();
    free(control("aws-settings", "{\"credential_lifetime\":300}"));
    char token_path[160];
    snprintf(token_path, sizeof token_path, "%s/oidc4", dir);
    write_file(token_path, "oidc-token-4");
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token_path, 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/app", 1);
    iam_aws_provider_config cfg = IAM_AWS_PROVIDER_CONFIG_INIT;
    iam_aws_provider *p = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_aws_provider_new(&p, &cfg, &err), IAM_OK);
    for (int i = 0; i < 3; i++) {
        iam_aws_creds *c = NULL;
        CHECK_EQ_INT(iam_aws_provider_get(p, &c, &err), IAM_OK);
        iam_aws_creds_release(c);
    }
    CHECK_EQ_INT(endpoint_count("sts"), 1);
    iam_aws_provider_free(p);
}

static void explicit_credentials_skip_the_chain(void)
{
    clean();
    iam_aws_credentials given = {"AKIDEXPLICIT", "explicit-secret", NULL, 0};
    iam_aws_provider_config cfg = IAM_AWS_PROVIDER_CONFIG_INIT;
    cfg.credentials = &given;
    iam_aws_provider *p = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_aws_provider_new(&p, &cfg, &err), IAM_OK);
    iam_aws_creds *c = NULL;
    CHECK_EQ_INT(iam_aws_provider_get(p, &c, &err), IAM_OK);
    CHECK_EQ_STR(iam_aws_creds_source(c), "explicit");
    CHECK_EQ_STR(iam_aws_creds_view(c).access_key_id, "AKIDEXPLICIT");
    iam_aws_creds_release(c);
    iam_aws_provider_free(p);
    given.secret_access_key = "";
    CHECK_EQ_INT(iam_aws_provider_new(&p, &cfg, &err), IAM_E_CONFIG);
}

/* ---- RDS authenticators */

static iam_rds_auth *rds(const char *host, const char *region, const iam_aws_credentials *creds,
                         int *status, iam_error *err)
{
    iam_aws_provider_config pc = IAM_AWS_PROVIDER_CONFIG_INIT;
    pc.credentials = creds;
    iam_aws_provider *p = NULL;
    iam_aws_provider_new(&p, &pc, err);
    iam_rds_config c = IAM_RDS_CONFIG_INIT;
    c.hostname = host;
    c.port = 5432;
    c.username = "app_user";
    c.region = region;
    c.provider = p;
    iam_rds_auth *a = NULL;
    *status = iam_rds_auth_new(&a, &c, err);
    iam_aws_provider_free(p);
    return a;
}

static void rds_tokens_are_cached_and_invalidated(void)
{
    clean();
    iam_aws_credentials creds = {"AKIDRDS", "rds-secret", NULL, 0};
    int st;
    iam_error err;
    iam_rds_auth *a = rds("mydb.abc123.eu-west-1.rds.amazonaws.com", NULL, &creds, &st, &err);
    CHECK_EQ_INT(st, IAM_OK);
    CHECK_EQ_STR(iam_rds_auth_region(a), "eu-west-1"); /* from the host name */
    iam_token *t1 = NULL, *t2 = NULL;
    CHECK_EQ_INT(iam_rds_auth_get_token(a, &t1, &err), IAM_OK);
    const char *prefix = "mydb.abc123.eu-west-1.rds.amazonaws.com:5432/?Action=connect"
                         "&DBUser=app_user&";
    CHECK(strncmp(iam_token_value(t1), prefix, strlen(prefix)) == 0);
    CHECK(strstr(iam_token_value(t1), "%2Feu-west-1%2Frds-db%2F") != NULL);
    CHECK(strstr(iam_token_value(t1), "X-Amz-Expires=900&") != NULL);
    CHECK_EQ_INT(iam_token_expires_at(t1) - iam_token_issued_at(t1), 870);
    CHECK_EQ_INT(iam_rds_auth_get_token(a, &t2, &err), IAM_OK);
    CHECK(t1 == t2);
    uint64_t g = iam_rds_auth_peek(a, NULL);
    CHECK(g == iam_token_generation(t1));
    iam_rds_auth_invalidate(a);
    CHECK_EQ_INT(iam_rds_auth_peek(a, NULL), 0);
    iam_token_release(t1);
    iam_token_release(t2);
    iam_rds_auth_free(a);
}

static void rds_tokens_never_outlive_their_credentials(void)
{
    clean();
    iam_aws_credentials creds = {"ASIARDS", "rds-secret", "session+/=", (int64_t)time(NULL) + 300};
    int st;
    iam_error err;
    iam_rds_auth *a = rds("db.example.internal", "us-east-1", &creds, &st, &err);
    CHECK_EQ_INT(st, IAM_OK);
    iam_token *t = NULL;
    CHECK_EQ_INT(iam_rds_auth_get_token(a, &t, &err), IAM_OK);
    const char *e = t ? strstr(iam_token_value(t), "X-Amz-Expires=") : NULL;
    CHECK(e && atoi(e + 14) <= 300 && atoi(e + 14) >= 298);
    CHECK(t && iam_token_expires_at(t) - iam_token_issued_at(t) <= 270);
    CHECK(t && strstr(iam_token_value(t), "X-Amz-Security-Token=session%2B%2F%3D") != NULL);
    iam_token_release(t);
    iam_rds_auth_free(a);
}

static void rds_region_and_arguments(void)
{
    clean();
    iam_aws_credentials creds = {"AKIDRDS", "rds-secret", NULL, 0};
    int st;
    iam_error err;
    CHECK(rds("db.example.internal", NULL, &creds, &st, &err) == NULL);
    CHECK_EQ_INT(st, IAM_E_CONFIG);
    CHECK(strstr(err.message, "no AWS region") != NULL);
    write_file(config_path, "[default]\nregion = ap-south-1\n");
    iam_rds_auth *a = rds("mydb.abc123.eu-west-1.rds.amazonaws.com", NULL, &creds, &st, &err);
    CHECK_EQ_STR(a ? iam_rds_auth_region(a) : NULL, "ap-south-1"); /* profile before host */
    iam_rds_auth_free(a);
    setenv("AWS_DEFAULT_REGION", "us-west-1", 1);
    a = rds("mydb.abc123.eu-west-1.rds.amazonaws.com", NULL, &creds, &st, &err);
    CHECK_EQ_STR(a ? iam_rds_auth_region(a) : NULL, "us-west-1");
    iam_rds_auth_free(a);
    setenv("AWS_REGION", "us-east-2", 1);
    a = rds("mydb.abc123.eu-west-1.rds.amazonaws.com", NULL, &creds, &st, &err);
    CHECK_EQ_STR(a ? iam_rds_auth_region(a) : NULL, "us-east-2");
    iam_rds_auth_free(a);
    CHECK(rds("h", "not a region", &creds, &st, &err) == NULL);
    CHECK_EQ_INT(st, IAM_E_CONFIG);
    const char *not_hosts[] = {"https://db.example.com", "db.example.com:5432", "db/x", "a b", "[::1"};
    for (size_t i = 0; i < sizeof not_hosts / sizeof not_hosts[0]; i++) {
        CHECK(rds(not_hosts[i], "us-east-1", &creds, &st, &err) == NULL);
        CHECK_EQ_INT(st, IAM_E_CONFIG);
    }
    a = rds("[fd00::1]", "us-east-1", &creds, &st, &err);
    CHECK(a != NULL);
    iam_rds_auth_free(a);
}

static void region_from_a_missing_named_profile(void)
{
    clean();
    char out[64];
    iam_error err;
    CHECK_EQ_INT(iam_aws_region_resolve(out, sizeof out, NULL, "nope", "db.x.us-east-1.rds.amazonaws.com",
                                        &err), IAM_E_CONFIG);
    CHECK(strstr(err.message, "\"nope\" not found") != NULL);
    CHECK_EQ_INT(iam_aws_region_resolve(out, sizeof out, NULL, NULL, "db.x.us-east-1.rds.amazonaws.com",
                                        &err), IAM_OK);
    CHECK_EQ_STR(out, "us-east-1");
}

static void expired_credentials_are_named_as_such(void)
{
    clean();
    iam_aws_credentials creds = {"ASIAOLD", "old-secret", "tok", (int64_t)time(NULL) - 5};
    int st;
    iam_error err;
    iam_rds_auth *a = rds("db.example.internal", "us-east-1", &creds, &st, &err);
    iam_token *t = NULL;
    CHECK_EQ_INT(iam_rds_auth_get_token(a, &t, &err), IAM_E_CONFIG);
    CHECK(strstr(err.message, "have expired") != NULL);
    iam_rds_auth_free(a);
}

int main(void)
{
    http_url = getenv("IAMCORE_EMULATOR_HTTP");
    if (!http_url || !mkdtemp(dir)) {
        fprintf(stderr, "IAMCORE_EMULATOR_HTTP not set: run through tests/c/run.sh\n");
        return 1;
    }
    snprintf(config_path, sizeof config_path, "%s/config", dir);
    snprintf(credentials_path, sizeof credentials_path, "%s/credentials", dir);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    RUN(order_of_the_sources);
    RUN(a_named_profile_must_exist);
    RUN(profile_with_web_identity);
    RUN(an_unsupported_role_profile_stops_the_chain);
    RUN(nothing_anywhere_lists_every_source);
    RUN(a_failing_source_stops_the_chain);
    RUN(provider_fetches_once_for_many_threads);
    RUN(short_lived_credentials_are_reused);
    RUN(explicit_credentials_skip_the_chain);
    RUN(rds_tokens_are_cached_and_invalidated);
    RUN(rds_tokens_never_outlive_their_credentials);
    RUN(rds_region_and_arguments);
    RUN(expired_credentials_are_named_as_such);
    RUN(region_from_a_missing_named_profile);
    curl_global_cleanup();
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return CHECK_DONE();
}
