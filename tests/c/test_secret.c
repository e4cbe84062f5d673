#define _GNU_SOURCE
#include "check.h"
#include "error.h"
#include "secret.h"

static void form_encoding(void)
{
    iam_buf b = {0};
    iam_buf_append_param(&b, "grant_type", "urn:ibm:params:oauth:grant-type:apikey");
    iam_buf_append_param(&b, "apikey", "a b&c=d+é~");
    CHECK_EQ_STR(b.data, "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey"
                         "&apikey=a%20b%26c%3Dd%2B%C3%A9~");
    iam_buf_free(&b);
    CHECK(b.data == NULL);
}

static void buffer_grows(void)
{
    iam_buf b = {0};
    for (int i = 0; i < 1000; i++)
        iam_buf_append_str(&b, "0123456789");
    CHECK_EQ_INT(b.len, 10000);
    CHECK_EQ_INT(b.data[b.len], 0);
    iam_buf_free(&b);
}

static void redacts_secrets_from_every_field(void)
{
    iam_error err;
    iam_error_clear(&err);
    iam_error_set(&err, IAM_E_AUTH, "bad key s3cr3t-key and again s3cr3t-key");
    iam_copy_field(err.error_message, sizeof err.error_message, "echo: s3cr3t-key");
    iam_error_redact(&err, "s3cr3t-key");
    CHECK_EQ_STR(err.message, "bad key [redacted] and again [redacted]");
    CHECK_EQ_STR(err.error_message, "echo: [redacted]");
    /* A secret that is part of the mark does not loop forever. */
    iam_error_set(&err, IAM_E_AUTH, "redacted redacted");
    iam_error_redact(&err, "redacted");
    CHECK_EQ_STR(err.message, "[redacted] [redacted]");
}

static void redaction_never_overflows(void)
{
    iam_error err;
    iam_error_clear(&err);
    char msg[sizeof err.message];
    for (size_t i = 0; i < sizeof msg - 1; i++)
        msg[i] = (char)('a' + (i % 6));
    msg[sizeof msg - 1] = '\0';
    iam_copy_field(err.message, sizeof err.message, msg);
    iam_error_redact(&err, "abcdef");
    CHECK(strlen(err.message) < sizeof err.message);
    CHECK(strstr(err.message, "abcdef") == NULL);
}

static void status_names_are_stable(void)
{
    CHECK_EQ_STR(iam_status_name(IAM_E_CONFIG), "config");
    CHECK_EQ_STR(iam_status_name(IAM_E_AUTH), "auth");
    CHECK_EQ_STR(iam_status_name(IAM_E_TRANSPORT), "transport");
    CHECK_EQ_STR(iam_status_name(IAM_E_TIMEOUT), "timeout");
    CHECK_EQ_STR(iam_status_name(IAM_E_TLS), "tls");
    CHECK_EQ_STR(iam_status_name(IAM_E_PARSE), "parse");
    CHECK_EQ_STR(iam_status_name(IAM_E_TOKEN_FILE), "token_file");
    CHECK_EQ_STR(iam_status_name(IAM_E_NOMEM), "nomem");
    CHECK_EQ_STR(iam_status_name(-42), "internal");
}

int main(void)
{
    RUN(form_encoding);
    RUN(buffer_grows);
    RUN(redacts_secrets_from_every_field);
    RUN(redaction_never_overflows);
    RUN(status_names_are_stable);
    return CHECK_DONE();
}
