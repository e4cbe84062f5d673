/* Secrets are zeroed before their memory goes back to the allocator.
 *
 * This program replaces free(): while a check runs, every block released is first
 * searched for any 8-byte piece of the canary secrets the check hands to iamcore
 * (API keys, client secrets, refresh and access tokens, the CR token, AWS secret
 * keys, session, web identity and container authorization tokens). A piece found
 * in a block that iamcore (or cJSON, whose trees iamcore owns) releases is a secret
 * released without being wiped: the check fails and the stack is printed. Blocks
 * that libcurl or OpenSSL release (their own request and receive buffers) are
 * counted apart: iamcore cannot wipe those, and docs/SECURITY.md says so.
 *
 * The flows run end to end against the emulator (tests/c/run.sh), whose queued
 * answers carry the canaries. The first check proves the detector sees an
 * unwiped block, so a build in which the replacement free() is not used fails. */
#define _GNU_SOURCE
#include "check.h"
#include "emulator.h"
#include "iamcore.h"
#include "iamcore_aws.h"
#include "error.h"
#include "iamcore_env.h"
#include "secret.h"

#include <dlfcn.h>
#include <malloc.h>
#include <sanitizer/common_interface_defs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the canaries: random, so that no 8-byte piece of one occurs in other data */

#define APIKEY "ZgS4agvxqz5wIJkZHeuyuzsQipjgVq7R"
#define CLIENT_SECRET "3SLt5v3L77FoUu4Qg8Y6qk2NhdiQ6QfH"
#define ACCESS_TOKEN "Vi58ZefxcXQaF4uuy70P4Pwp62lPZjve"
#define REFRESH_GIVEN "jFwRJ4JZ1mZt3UsTrJ6y0DxxFjG0mV4U"
#define REFRESH_ISSUED "XJDvDcpwNrvMp1cUuQXF4bREZyWgPbit"
#define CR_TOKEN "1w3CvOVKd5HR0bCuQo35g1UXp9uRFAXq"
#define VPC_IDENTITY "z8mCR45dqc4Zu7CRzkGqF861lRrveMSi"
#define AWS_SECRET "Oqp9j3IZLY5jpIwkIvk9CF4otHHp5jBC"
#define AWS_SESSION "9hz8SxBMfhcnkAwsBk11cOkNjcDSgdKf"
#define WEB_TOKEN "rZZLTDad8IzXPyw3lxODtT9j723inmHn"
#define CONTAINER_AUTH "iYg0cqYNL6ChA920K0lsth0yLycgUR4N"

static const char *const canaries[] = {APIKEY,       CLIENT_SECRET, ACCESS_TOKEN, REFRESH_GIVEN,
                                       REFRESH_ISSUED, CR_TOKEN,    VPC_IDENTITY, AWS_SECRET,
                                       AWS_SESSION,  WEB_TOKEN,     CONTAINER_AUTH};
#define N_CANARIES (sizeof canaries / sizeof canaries[0])
#define PIECE 8

/* ---- the replacement free() */

static void (*next_free)(void *);
static volatile int watching;  /* a check is running */
static int unwiped;            /* blocks iamcore released with a canary piece in them */
static int library_total;      /* blocks libcurl / OpenSSL / libc released with one   */
static int stacks_printed;
static void *self_base;        /* this program: the core's objects are linked in */

static int holds_canary(const unsigned char *p, size_t n)
{
    for (size_t c = 0; c < N_CANARIES; c++) {
        size_t len = strlen(canaries[c]);
        for (size_t i = 0; i + PIECE <= len; i++)
            if (memmem(p, n, canaries[c] + i, PIECE))
                return 1;
    }
    return 0;
}

/* Who releases the block: this program (the core and the tests) and cJSON are
 * iamcore's responsibility; anything else is a library's own buffer. */
static int released_by_iamcore(void *caller)
{
    Dl_info info;
    if (!dladdr(caller, &info) || !info.dli_fname)
        return 1;
    return info.dli_fbase == self_base || strstr(info.dli_fname, "libcjson") != NULL;
}

static void inspect(void *p, void *caller)
{
    size_t n = malloc_usable_size(p);
    if (!n || !holds_canary(p, n))
        return;
    if (!released_by_iamcore(caller)) {
        library_total++;
        return;
    }
    unwiped++;
    if (stacks_printed++ < 5) {
        fprintf(stderr, "  a block of %zu bytes holding a secret was released unwiped:\n", n);
        __sanitizer_print_stack_trace();
    }
}

void free(void *p)
{
    if (!next_free) {
        static volatile int resolving; /* volatile: the stores must stay around dlsym */
        if (resolving)
            return; /* dlsym releasing memory while it looks free() up: keep it */
        resolving = 1;
        next_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
        resolving = 0;
    }
    if (p && watching)
        inspect(p, __builtin_return_address(0));
    next_free(p);
}

static void watch(void)
{
    unwiped = 0;
    watching = 1;
}

/* Stop watching; the check passes when iamcore released no canary unwiped. */
static void unwatch(void)
{
    watching = 0;
    CHECK_EQ_INT(unwiped, 0);
}

/* ---- helpers */

static char dir[] = "/tmp/iamcore-wipeXXXXXX";

static const char *write_file(const char *name, const char *content, int mode)
{
    static char paths[8][256];
    static int next;
    char *path = paths[next++ % 8];
    snprintf(path, 256, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(content, f);
    fclose(f);
    chmod(path, (mode_t)mode);
    return path;
}

static void aws_settings(const char *json)
{
    free(control("aws-settings", json));
}

/* An IAM answer with the access token ACCESS_TOKEN (opaque, so its expiry comes
 * from the answer) and the refresh token REFRESH_ISSUED, queued for `endpoint`. */
static void enqueue_iam_token(const char *endpoint)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"responses\":[{\"endpoint\":\"%s\",\"json\":{\"access_token\":\"" ACCESS_TOKEN
             "\",\"refresh_token\":\"" REFRESH_ISSUED "\",\"token_type\":\"Bearer\","
             "\"expires_in\":3600,\"expiration\":%lld}}]}",
             endpoint, (long long)time(NULL) + 3600);
    enqueue(json);
}

static iam_status fetch_once(iam_auth_type type, const iam_config *cfg)
{
    iam_auth *a = NULL;
    iam_error err;
    iam_status st = iam_auth_new(&a, type, cfg, &err);
    if (st == IAM_OK) {
        iam_token *t = NULL;
        st = iam_auth_get_token(a, &t, &err);
        iam_token_release(t);
    }
    iam_auth_free(a);
    return st;
}

static void clean_aws_env(void)
{
    static const char *const vars[] = {
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
        "AWS_ENDPOINT_URL", "AWS_EC2_METADATA_SERVICE_ENDPOINT"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("AWS_CONFIG_FILE", write_file("config", "", 0600), 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", write_file("credentials", "", 0600), 1);
    setenv("AWS_ENDPOINT_URL_STS", http_url, 1);
    setenv("AWS_REGION", "eu-central-1", 1);
    reset();
}

/* Credentials from the default chain, then an RDS token signed with them. */
static iam_status chain_and_sign(void)
{
    iam_aws_provider_config pc = IAM_AWS_PROVIDER_CONFIG_INIT;
    iam_aws_provider *p = NULL;
    iam_error err;
    iam_status st = iam_aws_provider_new(&p, &pc, &err);
    if (st == IAM_OK) {
        iam_aws_creds *c = NULL;
        st = iam_aws_provider_get(p, &c, &err);
        if (st == IAM_OK) {
            iam_aws_credentials view = iam_aws_creds_view(c);
            char *token = NULL;
            st = iam_rds_auth_token(&token, &view, "db.example.com", 5432, "app", "eu-central-1",
                                    0, 0, &err);
            iam_aws_string_free(token);
        }
        iam_aws_creds_release(c);
    }
    iam_aws_provider_free(p);
    return st;
}

/* ---- the checks */

static void the_detector_sees_an_unwiped_block(void)
{
    char *copy = iam_strdup(ACCESS_TOKEN);
    stacks_printed = 100; /* an expected finding: no stack */
    watch();
    free(copy); /* not iam_secret_free: this block keeps the token */
    watching = 0;
    CHECK_EQ_INT(unwiped, 1);
    unwiped = 0;
    stacks_printed = 0;
}

static void secret_copies_and_buffers(void)
{
    watch();
    iam_secret_free(iam_strdup(APIKEY));
    iam_buf b = {0};
    iam_buf_append_param(&b, "apikey", APIKEY);
    for (int i = 0; i < 100; i++) /* grows: every old block is wiped before release */
        iam_buf_append_str(&b, CLIENT_SECRET);
    iam_buf_free(&b);
    unwatch();
}

/* Redaction shortens the text: what was past the new end is wiped too. */
static void redaction_leaves_no_piece_behind(void)
{
    iam_error err;
    iam_error_clear(&err);
    iam_error_set(&err, IAM_E_AUTH, "key %s not found, key %s again", APIKEY, APIKEY);
    iam_copy_field(err.error_message, sizeof err.error_message, "echo: " APIKEY " (end)");
    iam_error_redact(&err, APIKEY);
    CHECK(!holds_canary((const unsigned char *)&err, sizeof err));
    CHECK_EQ_STR(err.message, "key [redacted] not found, key [redacted] again");
    CHECK_EQ_STR(err.error_message, "echo: [redacted] (end)");
}

static void apikey_grant_with_client_secret(void)
{
    reset();
    enqueue_iam_token("iam");
    iam_config c = IAM_CONFIG_INIT;
    c.apikey = APIKEY;
    c.client_id = "bx";
    c.client_secret = CLIENT_SECRET;
    c.url = http_url;
    watch();
    CHECK_EQ_INT(fetch_once(IAM_AUTH_IAM, &c), IAM_OK);
    unwatch();
}

static void refresh_token_grant(void)
{
    reset();
    enqueue_iam_token("iam");
    enqueue_iam_token("iam");
    iam_config c = IAM_CONFIG_INIT;
    c.refresh_token = REFRESH_GIVEN;
    c.client_id = "bx";
    c.client_secret = CLIENT_SECRET;
    c.url = http_url;
    watch();
    iam_auth *a = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_auth_new(&a, IAM_AUTH_IAM, &c, &err), IAM_OK);
    for (int i = 0; i < 2; i++) { /* the second fetch replaces the issued refresh token */
        iam_token *t = NULL;
        CHECK_EQ_INT(iam_auth_get_token(a, &t, &err), IAM_OK);
        iam_token_release(t);
        iam_auth_invalidate(a);
    }
    iam_auth_free(a);
    unwatch();
}

static void an_error_answer_that_echoes_the_key(void)
{
    reset();
    enqueue("{\"responses\":[{\"status\":400,\"error\":{\"errorCode\":\"BXNIM0415E\","
            "\"errorMessage\":\"key " APIKEY " not found\"}}]}");
    iam_config c = IAM_CONFIG_INIT;
    c.apikey = APIKEY;
    c.url = http_url;
    c.max_retries = -1;
    watch();
    CHECK_EQ_INT(fetch_once(IAM_AUTH_IAM, &c), IAM_E_AUTH);
    unwatch();
}

static void container_with_a_cr_token_file(void)
{
    reset();
    enqueue_iam_token("iam");
    iam_config c = IAM_CONFIG_INIT;
    c.cr_token_filename = write_file("cr-token", CR_TOKEN "\n", 0600);
    c.iam_profile_name = "profile";
    c.url = http_url;
    watch();
    CHECK_EQ_INT(fetch_once(IAM_AUTH_CONTAINER, &c), IAM_OK);
    unwatch();
}

static void vpc_identity_then_iam_token(void)
{
    reset();
    enqueue("{\"responses\":[{\"endpoint\":\"vpc-token\",\"json\":{\"access_token\":\"" VPC_IDENTITY
            "\",\"expires_in\":300}}]}");
    enqueue_iam_token("vpc-iam-token");
    iam_config c = IAM_CONFIG_INIT;
    c.url = http_url;
    watch();
    CHECK_EQ_INT(fetch_once(IAM_AUTH_VPC, &c), IAM_OK);
    unwatch();
}

static void assume_a_profile(void)
{
    reset();
    enqueue_iam_token("iam");
    enqueue_iam_token("iam");
    iam_config c = IAM_CONFIG_INIT;
    c.apikey = APIKEY;
    c.iam_profile_id = "iam-Profile-1";
    c.url = http_url;
    watch();
    CHECK_EQ_INT(fetch_once(IAM_AUTH_IAM_ASSUME, &c), IAM_OK);
    unwatch();
}

static void credentials_file_of_a_service(void)
{
    setenv("IBM_CREDENTIALS_FILE",
           write_file("ibm-credentials.env",
                      "WIPE_AUTH_TYPE=iam\nWIPE_APIKEY=" APIKEY "\nWIPE_CLIENT_ID=bx\n"
                      "WIPE_CLIENT_SECRET=" CLIENT_SECRET "\n",
                      0600),
           1);
    watch();
    iam_env_properties *p = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_env_properties_load(&p, "wipe", &err), IAM_OK);
    iam_env_properties_free(p);
    unwatch();
    unsetenv("IBM_CREDENTIALS_FILE");
}

static void rds_tokens_with_explicit_credentials(void)
{
    iam_aws_credentials creds = {0};
    creds.access_key_id = "AKIAWIPETEST";
    creds.secret_access_key = AWS_SECRET;
    creds.session_token = AWS_SESSION;
    watch();
    iam_error err;
    char *token = NULL;
    CHECK_EQ_INT(iam_rds_auth_token(&token, &creds, "db.example.com", 5432, "app",
                                    "eu-central-1", 0, 0, &err), IAM_OK);
    iam_aws_string_free(token);
    token = NULL;
    CHECK_EQ_INT(iam_dsql_auth_token(&token, &creds, "abc.dsql.eu-central-1.on.aws", 1,
                                     "eu-central-1", 0, 0, &err), IAM_OK);
    iam_aws_string_free(token);

    iam_aws_provider_config pc = IAM_AWS_PROVIDER_CONFIG_INIT;
    pc.credentials = &creds;
    iam_aws_provider *p = NULL;
    CHECK_EQ_INT(iam_aws_provider_new(&p, &pc, &err), IAM_OK);
    iam_rds_config rc = IAM_RDS_CONFIG_INIT;
    rc.hostname = "db.example.com";
    rc.port = 5432;
    rc.username = "app";
    rc.region = "eu-central-1";
    rc.provider = p;
    iam_rds_auth *rds = NULL;
    CHECK_EQ_INT(iam_rds_auth_new(&rds, &rc, &err), IAM_OK);
    for (int i = 0; i < 2; i++) {
        iam_token *t = NULL;
        CHECK_EQ_INT(iam_rds_auth_get_token(rds, &t, &err), IAM_OK);
        iam_token_release(t);
        iam_rds_auth_invalidate(rds);
    }
    iam_rds_auth_free(rds);
    iam_aws_provider_free(p);
    unwatch();
}

static void aws_credentials_from_the_environment(void)
{
    clean_aws_env();
    setenv("AWS_ACCESS_KEY_ID", "AKIAWIPETEST", 1);
    setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET, 1);
    setenv("AWS_SESSION_TOKEN", AWS_SESSION, 1);
    watch();
    CHECK_EQ_INT(chain_and_sign(), IAM_OK);
    unwatch();
}

static void aws_credentials_from_the_files(void)
{
    clean_aws_env();
    setenv("AWS_SHARED_CREDENTIALS_FILE",
           write_file("credentials",
                      "[default]\naws_access_key_id = AKIAWIPETEST\n"
                      "aws_secret_access_key = " AWS_SECRET "\naws_session_token = " AWS_SESSION "\n",
                      0600),
           1);
    watch();
    CHECK_EQ_INT(chain_and_sign(), IAM_OK);
    unwatch();
}

static void aws_credential_process(void)
{
    clean_aws_env();
    const char *script = write_file(
        "process.sh",
        "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIAWIPETEST\", "
        "\"SecretAccessKey\": \"" AWS_SECRET "\", \"SessionToken\": \"" AWS_SESSION "\", "
        "\"Expiration\": \"2099-01-01T00:00:00Z\"}'\n",
        0700);
    char config[512];
    snprintf(config, sizeof config, "[default]\ncredential_process = %s\n", script);
    setenv("AWS_CONFIG_FILE", write_file("config", config, 0600), 1);
    watch();
    CHECK_EQ_INT(chain_and_sign(), IAM_OK);
    unwatch();
}

static void aws_container_credentials(void)
{
    clean_aws_env();
    aws_settings("{\"container_auth_token\":\"" CONTAINER_AUTH "\"}");
    char json[512];
    snprintf(json, sizeof json,
             "{\"responses\":[{\"endpoint\":\"container\",\"json\":{\"AccessKeyId\":\"ASIAWIPETEST\","
             "\"SecretAccessKey\":\"" AWS_SECRET "\",\"Token\":\"" AWS_SESSION "\","
             "\"Expiration\":\"2099-01-01T00:00:00Z\"}}]}");
    enqueue(json);
    char uri[256];
    snprintf(uri, sizeof uri, "%s/container-credentials/task-1", http_url);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", CONTAINER_AUTH, 1);
    watch();
    CHECK_EQ_INT(chain_and_sign(), IAM_OK);
    unwatch();
}

static void aws_web_identity(void)
{
    clean_aws_env();
    enqueue("{\"responses\":[{\"endpoint\":\"sts\",\"body\":\""
            "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
            "<AccessKeyId>ASIAWIPETEST</AccessKeyId><SecretAccessKey>" AWS_SECRET
            "</SecretAccessKey><SessionToken>" AWS_SESSION "</SessionToken>"
            "<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>"
            "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>\"}]}");
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", write_file("web-token", WEB_TOKEN "\n", 0600), 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/app", 1);
    watch();
    CHECK_EQ_INT(chain_and_sign(), IAM_OK);
    unwatch();
}

int main(void)
{
    Dl_info self;
    if (!dladdr((void *)released_by_iamcore, &self)) {
        fprintf(stderr, "dladdr cannot place this program\n");
        return 1;
    }
    self_base = self.dli_fbase;
    http_url = getenv("IAMCORE_EMULATOR_HTTP");
    if (!http_url || !mkdtemp(dir)) {
        fprintf(stderr, "needs IAMCORE_EMULATOR_HTTP (run through tests/c/run.sh)\n");
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    RUN(the_detector_sees_an_unwiped_block);
    RUN(secret_copies_and_buffers);
    RUN(redaction_leaves_no_piece_behind);
    RUN(apikey_grant_with_client_secret);
    RUN(refresh_token_grant);
    RUN(an_error_answer_that_echoes_the_key);
    RUN(container_with_a_cr_token_file);
    RUN(vpc_identity_then_iam_token);
    RUN(assume_a_profile);
    RUN(credentials_file_of_a_service);
    RUN(rds_tokens_with_explicit_credentials);
    RUN(aws_credentials_from_the_environment);
    RUN(aws_credentials_from_the_files);
    RUN(aws_credential_process);
    RUN(aws_container_credentials);
    RUN(aws_web_identity);
    /* Not a failure: see docs/SECURITY.md, "What iamcore does not protect". */
    printf("blocks of libcurl and OpenSSL released holding a secret: %d\n", library_total);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "  could not remove %s\n", dir);
    return CHECK_DONE();
}
