/* The HTTP credential providers (container, IMDS, STS web identity) against the
 * emulator's AWS endpoints. */
#define _GNU_SOURCE
#include "check.h"
#include "emulator.h"
#include "aws_container.h"
#include "aws_imds.h"
#include "aws_web_identity.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/iamcore-awsXXXXXX";

static void aws_settings(const char *json)
{
    free(control("aws-settings", json));
}

static const char *write_file(const char *name, const char *content)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    fputs(content, f);
    fclose(f);
    return path;
}

static void clean_env(void)
{
    const char *vars[] = {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                          "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                          "AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                          "AWS_EC2_METADATA_V1_DISABLED", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL",
                          "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ROLE_ARN",
                          "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    reset();
}

static int usable(const iam_aws_creds *c, const char *source)
{
    return c && strncmp(c->access_key_id, "ASIA", 4) == 0 && strlen(c->secret_access_key) == 40 &&
           c->session_token && strchr(c->session_token, '+') && strcmp(c->source, source) == 0 &&
           c->base.expires_at > time(NULL) + 3000;
}

/* ---- container */

static void container_full_uri_with_token_file(void)
{
    clean_env();
    aws_settings("{\"container_auth_token\":\"Bearer task-secret\"}");
    char uri[256];
    snprintf(uri, sizeof uri, "%s/container-credentials/task-1", http_url);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri, 1);
    iam_aws_creds *c = NULL;
    iam_error err;
    iam_error_clear(&err);
    CHECK_EQ_INT(iam_aws_container_credentials(&c, &err), IAM_E_AUTH); /* no token */
    CHECK_EQ_INT(err.http_status, 401);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer wrong", 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", write_file("ecs-token", "Bearer task-secret\n"), 1);
    CHECK_EQ_INT(iam_aws_container_credentials(&c, &err), IAM_OK); /* the file wins */
    CHECK(usable(c, "container"));
    iam_aws_creds_release(c);
    char *auth = last_request_item("headers", "authorization");
    CHECK_SECRET_EQ(auth, "Bearer task-secret");
    free(auth);
}

static void container_rejects_unsafe_settings(void)
{
    clean_env();
    iam_aws_creds *c = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_aws_container_credentials(&c, &err), IAM_AWS_NOT_FOUND);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds", 1);
    CHECK_EQ_INT(iam_aws_container_credentials(&c, &err), IAM_E_CONFIG);
    CHECK(strstr(err.message, "example.com") != NULL);
    char uri[256];
    snprintf(uri, sizeof uri, "%s/container-credentials/x", http_url);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "a\r\nInjected: 1", 1);
    CHECK_EQ_INT(iam_aws_container_credentials(&c, &err), IAM_E_CONFIG);
    CHECK(strstr(err.message, "Injected") == NULL);
    CHECK_EQ_INT(endpoint_count("container"), 0);
    unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc", 1);
    char *url = NULL;
    CHECK_EQ_INT(iam_aws_container_url(&url, &err), IAM_OK); /* relative wins */
    CHECK_EQ_STR(url, "http://169.254.170.2/v2/credentials/abc");
    free(url);
}

/* ---- IMDS */

static void imds_v2_flow(void)
{
    clean_env();
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", http_url, 1);
    iam_aws_creds *c = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_aws_imds_credentials(&c, &err), IAM_OK);
    CHECK(usable(c, "imds"));
    iam_aws_creds_release(c);
    CHECK_EQ_INT(endpoint_count("imds-token"), 1);
    CHECK_EQ_INT(endpoint_count("imds-role"), 1);
    CHECK_EQ_INT(endpoint_count("imds-credentials"), 1);
    char *token = last_request_item("headers", "x-aws-ec2-metadata-token");
    CHECK(token != NULL && *token);
    free(token);
}

static void imds_v1_fallback_rules(void)
{
    clean_env();
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", http_url, 1);
    aws_settings("{\"imds_token_status\":403,\"imds_v1_allowed\":true}");
    iam_aws_creds *c = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_aws_imds_credentials(&c, &err), IAM_OK);
    CHECK(usable(c, "imds"));
    iam_aws_creds_release(c);
    setenv("AWS_EC2_METADATA_V1_DISABLED", "true", 1);
    CHECK_EQ_INT(iam_aws_imds_credentials(&c, &err), IAM_E_AUTH);
    CHECK(strstr(err.message, "AWS_EC2_METADATA_V1_DISABLED") != NULL);
}

static void imds_absent_disabled_or_roleless_is_not_found(void)
{
    clean_env();
    iam_aws_creds *c = NULL;
    iam_error err;
    setenv("AWS_EC2_METADATA_DISABLED", "TRUE", 1);
    CHECK_EQ_INT(iam_aws_imds_credentials(&c, &err), IAM_AWS_NOT_FOUND);
    unsetenv("AWS_EC2_METADATA_DISABLED");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1", 1);
    CHECK_EQ_INT(iam_aws_imds_credentials(&c, &err), IAM_AWS_NOT_FOUND);
    CHECK(strstr(err.message, "not reachable") != NULL);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", http_url, 1);
    enqueue("{\"responses\":[{\"endpoint\":\"imds-role\",\"status\":404}]}");
    CHECK_EQ_INT(iam_aws_imds_credentials(&c, &err), IAM_AWS_NOT_FOUND);
    CHECK(strstr(err.message, "no IAM role") != NULL);
    enqueue("{\"responses\":[{\"endpoint\":\"imds-credentials\",\"status\":200,"
            "\"error\":{\"Code\":\"AssumeRoleUnauthorizedAccess\"}}]}");
    CHECK_EQ_INT(iam_aws_imds_credentials(&c, &err), IAM_E_AUTH);
    CHECK_EQ_STR(err.error_code, "AssumeRoleUnauthorizedAccess");
}

/* The session token goes into the next requests' header lines: a token that
 * is not visible ASCII (here a CR that would start a forged header) is not
 * used. */
static void imds_token_with_control_characters_is_not_used(void)
{
    clean_env();
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", http_url, 1);
    enqueue("{\"responses\":[{\"endpoint\":\"imds-token\",\"status\":200,"
            "\"body\":\"AQAE\\rX-Injected: 1\"}]}");
    iam_aws_creds *c = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_aws_imds_credentials(&c, &err), IAM_E_AUTH);
    CHECK(c == NULL);
    CHECK(strstr(err.message, "instance metadata (token)") != NULL);
    CHECK_EQ_INT(endpoint_count("imds-role"), 0);
    CHECK_EQ_INT(iam_aws_imds_token_usable("AQAE\rX", 6), 0);
    CHECK_EQ_INT(iam_aws_imds_token_usable("AQAE X", 6), 0);
    CHECK_EQ_INT(iam_aws_imds_token_usable("AQAEAemu1-abc_DEF==", 19), 1);
}

/* ---- STS web identity */

static void web_identity_from_env(void)
{
    clean_env();
    iam_aws_creds *c = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_aws_web_identity_from_env(&c, &err), IAM_AWS_NOT_FOUND);
    setenv("AWS_ENDPOINT_URL_STS", http_url, 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/app", 1);
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", write_file("oidc", "oidc-token-1\n"), 1);
    setenv("AWS_ROLE_SESSION_NAME", "my-session", 1);
    CHECK_EQ_INT(iam_aws_web_identity_from_env(&c, &err), IAM_OK);
    CHECK(usable(c, "web-identity"));
    iam_aws_creds_release(c);
    char *v = last_request_item("form", "WebIdentityToken");
    CHECK_SECRET_EQ(v, "oidc-token-1");
    free(v);
    v = last_request_item("form", "RoleSessionName");
    CHECK_EQ_STR(v, "my-session");
    free(v);
    v = last_request_item("headers", "authorization");
    CHECK(v == NULL); /* unsigned */
    free(v);
}

static void web_identity_errors(void)
{
    clean_env();
    setenv("AWS_ENDPOINT_URL_STS", http_url, 1);
    iam_aws_web_identity w = {.role_arn = "arn:aws:iam::123456789012:role/app",
                              .token_file = write_file("bad", "bad-token")};
    iam_aws_creds *c = NULL;
    iam_error err;
    iam_error_clear(&err);
    CHECK_EQ_INT(iam_aws_web_identity_credentials(&c, &w, &err), IAM_E_AUTH);
    CHECK_EQ_INT(err.http_status, 400);
    CHECK_EQ_STR(err.error_code, "InvalidIdentityToken");
    CHECK(err.request_id[0] != '\0');
    w.token_file = "/nonexistent/oidc";
    CHECK_EQ_INT(iam_aws_web_identity_credentials(&c, &w, &err), IAM_E_TOKEN_FILE);
    CHECK(strstr(err.message, "/nonexistent/oidc") != NULL);
    CHECK_EQ_INT(endpoint_count("sts"), 1);
}

static void sts_endpoint_rules(void)
{
    clean_env();
    char url[256];
    iam_error err;
    CHECK_EQ_INT(iam_aws_sts_url(url, sizeof url, "eu-west-1", &err), IAM_OK);
    CHECK_EQ_STR(url, "https://sts.eu-west-1.amazonaws.com");
    CHECK_EQ_INT(iam_aws_sts_url(url, sizeof url, "cn-north-1", &err), IAM_OK);
    CHECK_EQ_STR(url, "https://sts.cn-north-1.amazonaws.com.cn");
    CHECK_EQ_INT(iam_aws_sts_url(url, sizeof url, NULL, &err), IAM_OK);
    CHECK_EQ_STR(url, "https://sts.amazonaws.com");
    CHECK_EQ_INT(iam_aws_sts_url(url, sizeof url, "evil.com/x", &err), IAM_E_CONFIG);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9", 1);
    CHECK_EQ_INT(iam_aws_sts_url(url, sizeof url, "eu-west-1", &err), IAM_OK);
    CHECK_EQ_STR(url, "http://127.0.0.1:9");
}

static void xml_text_decodes_entities(void)
{
    const char *xml = "<a><Message>x &lt;y&gt; &amp; &quot;z&quot;</Message><Code>C</Code></a>";
    char *m = iam_xml_text(xml, strlen(xml), "Message");
    CHECK_EQ_STR(m, "x <y> & \"z\"");
    free(m);
    CHECK(iam_xml_text(xml, strlen(xml), "Missing") == NULL);
    CHECK(iam_xml_text("<Code>open", 10, "Code") == NULL);
}

int main(void)
{
    http_url = getenv("IAMCORE_EMULATOR_HTTP");
    if (!http_url || !mkdtemp(tmpdir)) {
        fprintf(stderr, "IAMCORE_EMULATOR_HTTP not set: run through tests/c/run.sh\n");
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    RUN(container_full_uri_with_token_file);
    RUN(container_rejects_unsafe_settings);
    RUN(imds_v2_flow);
    RUN(imds_v1_fallback_rules);
    RUN(imds_absent_disabled_or_roleless_is_not_found);
    RUN(imds_token_with_control_characters_is_not_used);
    RUN(web_identity_from_env);
    RUN(web_identity_errors);
    RUN(sts_endpoint_rules);
    RUN(xml_text_decodes_entities);
    clean_env();
    curl_global_cleanup();
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return CHECK_DONE();
}
