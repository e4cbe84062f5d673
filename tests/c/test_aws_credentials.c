#define _GNU_SOURCE
#include "aws_credentials.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const env_vars[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                       "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION"};

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof env_vars / sizeof env_vars[0]; i++)
        unsetenv(env_vars[i]);
}

/* ---------------------------------------------------------------- object */

static void creds_copy_their_strings(void)
{
    char akid[] = "AKIDEXAMPLE", secret[] = "wJalrXUtnFEMI/K7MDENG", token[] = "tok-123";
    iam_aws_creds *c = iam_aws_creds_new(akid, secret, token, 1700000000, "explicit");
    CHECK(c != NULL);
    memset(akid, 'x', sizeof akid - 1);
    memset(secret, 'x', sizeof secret - 1);
    memset(token, 'x', sizeof token - 1);
    CHECK_EQ_STR(c->access_key_id, "AKIDEXAMPLE");
    CHECK(strcmp(c->secret_access_key, "wJalrXUtnFEMI/K7MDENG") == 0);
    CHECK(strcmp(c->session_token, "tok-123") == 0);
    CHECK_EQ_INT(c->base.expires_at, 1700000000);
    CHECK_EQ_STR(c->source, "explicit");
    CHECK_EQ_INT(atomic_load(&c->base.refs), 1);
    iam_aws_creds_release(c);
}

static void empty_or_null_token_means_none(void)
{
    iam_aws_creds *a = iam_aws_creds_new("AK", "SK", "", 0, "env");
    iam_aws_creds *b = iam_aws_creds_new("AK", "SK", NULL, 0, "env");
    CHECK(a && a->session_token == NULL);
    CHECK(b && b->session_token == NULL);
    iam_aws_credentials v = iam_aws_creds_view(a);
    CHECK(v.session_token == NULL);
    iam_aws_creds_release(a);
    iam_aws_creds_release(b);
}

static void missing_key_or_secret_gives_null(void)
{
    CHECK(iam_aws_creds_new(NULL, "SK", NULL, 0, "env") == NULL);
    CHECK(iam_aws_creds_new("AK", NULL, NULL, 0, "env") == NULL);
}

static void source_is_truncated_not_overflowed(void)
{
    iam_aws_creds *c = iam_aws_creds_new("AK", "SK", NULL, 0, "a-source-name-much-longer-than-24");
    CHECK(c != NULL);
    CHECK_EQ_INT(strlen(c->source), sizeof c->source - 1);
    iam_aws_creds_release(c);
    c = iam_aws_creds_new("AK", "SK", NULL, 0, NULL);
    CHECK_EQ_STR(c->source, "");
    iam_aws_creds_release(c);
}

static void view_borrows_the_strings(void)
{
    iam_aws_creds *c = iam_aws_creds_new("AK", "SK", "TK", 42, "profile");
    iam_aws_credentials v = iam_aws_creds_view(c);
    CHECK(v.access_key_id == c->access_key_id);
    CHECK(v.secret_access_key == c->secret_access_key);
    CHECK(v.session_token == c->session_token);
    CHECK_EQ_INT(v.expiration, 42);
    CHECK_EQ_STR(iam_aws_creds_source(c), "profile");
    CHECK_EQ_STR(iam_aws_creds_source(NULL), "");
    iam_aws_creds_release(c);
    iam_aws_credentials none = iam_aws_creds_view(NULL);
    CHECK(none.access_key_id == NULL && none.expiration == 0);
}

static void retain_and_release_count_references(void)
{
    iam_aws_creds *c = iam_aws_creds_new("AK", "SK", NULL, 0, "env");
    CHECK(iam_aws_creds_retain(c) == c);
    CHECK_EQ_INT(atomic_load(&c->base.refs), 2);
    iam_aws_creds_release(c);
    CHECK_EQ_INT(atomic_load(&c->base.refs), 1);
    CHECK_EQ_STR(c->access_key_id, "AK"); /* still alive */
    iam_aws_creds_release(c);             /* ASan reports a leak or a double free */
    CHECK(iam_aws_creds_retain(NULL) == NULL);
    iam_aws_creds_release(NULL);
}

/* ---------------------------------------------------------------- getenv */

static void getenv_treats_empty_as_unset(void)
{
    setenv("IAMCORE_TEST_VAR", "", 1);
    CHECK(iam_aws_getenv("IAMCORE_TEST_VAR") == NULL);
    setenv("IAMCORE_TEST_VAR", "x", 1);
    CHECK_EQ_STR(iam_aws_getenv("IAMCORE_TEST_VAR"), "x");
    unsetenv("IAMCORE_TEST_VAR");
    CHECK(iam_aws_getenv("IAMCORE_TEST_VAR") == NULL);
}

/* ---------------------------------------------------------------- ISO 8601 */

#define ISO_INVALID INT64_MIN

static int64_t iso(const char *s)
{
    int64_t t = -12345;
    return iam_parse_iso8601(s, &t) == 0 ? t : ISO_INVALID;
}

static void iso8601_basic_utc(void)
{
    CHECK_EQ_INT(iso("1970-01-01T00:00:00Z"), 0);
    CHECK_EQ_INT(iso("2026-11-23T12:00:00Z"), 1795435200);
    CHECK_EQ_INT(iso("2000-02-29T23:59:59Z"), 951868799);
    CHECK_EQ_INT(iso("2038-01-19T03:14:08Z"), 2147483648LL); /* past 32-bit time_t */
    CHECK_EQ_INT(iso("1969-12-31T23:59:59Z"), -1);
    CHECK_EQ_INT(iso("1960-01-01T00:00:00Z"), -315619200);
}

static void iso8601_fraction_is_truncated(void)
{
    CHECK_EQ_INT(iso("2026-11-23T12:00:00.999Z"), 1795435200);
    CHECK_EQ_INT(iso("2026-11-23T12:00:00.5Z"), 1795435200);
    CHECK_EQ_INT(iso("2026-11-23T12:00:00,25Z"), 1795435200);
    CHECK_EQ_INT(iso("2026-11-23T12:00:00.123456789+00:00"), 1795435200);
    CHECK_EQ_INT(iso("2026-11-23T12:00:00.Z"), ISO_INVALID);
}

static void iso8601_offsets(void)
{
    CHECK_EQ_INT(iso("2026-11-23T12:00:00+00:00"), 1795435200);
    CHECK_EQ_INT(iso("2026-11-23T12:00:00-00:00"), 1795435200);
    CHECK_EQ_INT(iso("2026-11-23T07:00:00-05:00"), 1795435200);
    CHECK_EQ_INT(iso("2026-11-23T06:30:00-05:30"), 1795435200);
    CHECK_EQ_INT(iso("2026-11-23T17:30:00+05:30"), 1795435200);
    CHECK_EQ_INT(iso("2026-11-23T17:30:00+0530"), 1795435200);
    CHECK_EQ_INT(iso("2026-11-24T01:00:00+13:00"), 1795435200);
}

static void iso8601_lower_case_t_and_z(void)
{
    CHECK_EQ_INT(iso("2026-11-23t12:00:00z"), 1795435200);
    CHECK_EQ_INT(iso("2026-11-23t12:00:00.1z"), 1795435200);
}

static void iso8601_rejects_invalid_text(void)
{
    const char *bad[] = {
        "",
        "2026-11-23",                 /* no time */
        "2026-11-23T12:00:00",        /* no zone: ambiguous */
        "2026-11-23 12:00:00Z",       /* space instead of T */
        "2026-11-23T12:00Z",          /* no seconds */
        "26-11-23T12:00:00Z",         /* two-digit year */
        "2026-1-23T12:00:00Z",
        "2026-11-23T12:00:00ZZ",      /* trailing text */
        "2026-11-23T12:00:00Z ",
        " 2026-11-23T12:00:00Z",
        "2026-11-23T12:00:00+5:30",   /* one-digit offset hour */
        "2026-11-23T12:00:00+05:3",
        "2026-11-23T12:00:00+24:00",  /* offset out of range */
        "2026-11-23T12:00:00+05:60",
        "2026-13-01T00:00:00Z",       /* month 13 */
        "2026-00-01T00:00:00Z",
        "2026-11-00T00:00:00Z",       /* day 0 */
        "2026-11-31T00:00:00Z",       /* 30 days in November */
        "2026-02-29T00:00:00Z",       /* not a leap year */
        "1900-02-29T00:00:00Z",       /* divisible by 100 */
        "2026-11-23T24:00:00Z",
        "2026-11-23T12:60:00Z",
        "2026-11-23T12:00:61Z",
        "2026-11-23T12:00:00\n",
        "２０２６-11-23T12:00:00Z",
        "1795435200",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t = 7;
        if (iam_parse_iso8601(bad[i], &t) != -1) {
            fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
            check_failures++;
        }
        CHECK_EQ_INT(t, 7); /* untouched on failure */
    }
    int64_t t;
    CHECK_EQ_INT(iam_parse_iso8601(NULL, &t), -1);
    CHECK_EQ_INT(iam_parse_iso8601("2026-11-23T12:00:00Z", NULL), -1);
}

static void iso8601_leap_days_and_seconds(void)
{
    CHECK_EQ_INT(iso("2024-02-29T00:00:00Z"), 1709164800);
    CHECK_EQ_INT(iso("2000-02-29T00:00:00Z"), 951782400);
    /* second 60 rolls over into the next minute, as timegm does */
    CHECK_EQ_INT(iso("2016-12-31T23:59:60Z"), 1483228800);
}

static void iso8601_agrees_with_timegm(void)
{
    /* Every day of 1999-2101 at a varying time of day. */
    for (int64_t day = 10592; day < 48212; day += 7) {
        time_t t = (time_t)(day * 86400 + (day % 86400));
        struct tm tm;
        gmtime_r(&t, &tm);
        char text[64];
        strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
        int64_t got;
        if (iam_parse_iso8601(text, &got) != 0 || got != (int64_t)t || got != (int64_t)timegm(&tm)) {
            fprintf(stderr, "  %s\n", text);
            check_failures++;
            break;
        }
    }
}

/* ---------------------------------------------------------------- env provider */

static void env_nothing_set_is_not_found(void)
{
    clear_env();
    iam_aws_creds *c = (iam_aws_creds *)1;
    iam_error err;
    iam_error_clear(&err);
    CHECK_EQ_INT(iam_aws_env_credentials(&c, &err), IAM_AWS_NOT_FOUND);
    CHECK(c == NULL);
    CHECK_EQ_INT(err.code, IAM_OK);
}

static void env_empty_values_count_as_unset(void)
{
    clear_env();
    setenv("AWS_ACCESS_KEY_ID", "", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "", 1);
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(iam_aws_env_credentials(&c, &err), IAM_AWS_NOT_FOUND);
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret-value", 1);
    setenv("AWS_SESSION_TOKEN", "", 1);
    CHECK_EQ_INT(iam_aws_env_credentials(&c, &err), IAM_OK);
    CHECK(c && c->session_token == NULL);
    iam_aws_creds_release(c);
    clear_env();
}

static void env_key_and_secret(void)
{
    clear_env();
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret-value", 1);
    iam_aws_creds *c = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_aws_env_credentials(&c, &err), IAM_OK);
    CHECK_EQ_STR(c->access_key_id, "AKIAENV");
    CHECK(strcmp(c->secret_access_key, "env-secret-value") == 0);
    CHECK(c->session_token == NULL);
    CHECK_EQ_INT(c->base.expires_at, 0);
    CHECK_EQ_STR(c->source, "env");
    iam_aws_creds_release(c);
    clear_env();
}

static void env_session_token_and_expiration(void)
{
    clear_env();
    setenv("AWS_ACCESS_KEY_ID", "ASIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret-value", 1);
    setenv("AWS_SESSION_TOKEN", "env-session-token", 1);
    setenv("AWS_CREDENTIAL_EXPIRATION", "2026-11-23T12:00:00Z", 1);
    iam_aws_creds *c = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_aws_env_credentials(&c, &err), IAM_OK);
    CHECK(c && strcmp(c->session_token, "env-session-token") == 0);
    CHECK_EQ_INT(c->base.expires_at, 1795435200);
    iam_aws_creds_release(c);
    clear_env();
}

static void env_lone_session_token_is_ignored(void)
{
    clear_env();
    setenv("AWS_SESSION_TOKEN", "env-session-token", 1);
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(iam_aws_env_credentials(&c, &err), IAM_AWS_NOT_FOUND);
    clear_env();
}

static void env_key_without_secret_names_the_variables(void)
{
    clear_env();
    setenv("AWS_ACCESS_KEY_ID", "AKIAKEYVALUE", 1);
    iam_aws_creds *c = (iam_aws_creds *)1;
    iam_error err;
    iam_error_clear(&err);
    CHECK_EQ_INT(iam_aws_env_credentials(&c, &err), IAM_E_CONFIG);
    CHECK(c == NULL);
    CHECK_EQ_INT(err.code, IAM_E_CONFIG);
    CHECK(strstr(err.message, "AWS_ACCESS_KEY_ID") && strstr(err.message, "AWS_SECRET_ACCESS_KEY"));
    CHECK(strstr(err.message, "AKIAKEYVALUE") == NULL);
    clear_env();
}

static void env_secret_without_key_names_the_variables(void)
{
    clear_env();
    setenv("AWS_SECRET_ACCESS_KEY", "secret-value-123", 1);
    setenv("AWS_SESSION_TOKEN", "token-value-123", 1);
    iam_aws_creds *c;
    iam_error err;
    iam_error_clear(&err);
    CHECK_EQ_INT(iam_aws_env_credentials(&c, &err), IAM_E_CONFIG);
    CHECK(strstr(err.message, "AWS_SECRET_ACCESS_KEY is set"));
    CHECK(strstr(err.message, "secret-value-123") == NULL);
    CHECK(strstr(err.message, "token-value-123") == NULL);
    clear_env();
}

static void env_invalid_expiration_is_a_config_error(void)
{
    clear_env();
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret-value", 1);
    setenv("AWS_CREDENTIAL_EXPIRATION", "tomorrow", 1);
    iam_aws_creds *c;
    iam_error err;
    iam_error_clear(&err);
    CHECK_EQ_INT(iam_aws_env_credentials(&c, &err), IAM_E_CONFIG);
    CHECK(strstr(err.message, "AWS_CREDENTIAL_EXPIRATION") != NULL);
    CHECK(strstr(err.message, "env-secret-value") == NULL);
    /* empty counts as unset */
    setenv("AWS_CREDENTIAL_EXPIRATION", "", 1);
    CHECK_EQ_INT(iam_aws_env_credentials(&c, &err), IAM_OK);
    CHECK_EQ_INT(c->base.expires_at, 0);
    iam_aws_creds_release(c);
    clear_env();
}

static void env_error_pointer_may_be_null(void)
{
    clear_env();
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    iam_aws_creds *c;
    CHECK_EQ_INT(iam_aws_env_credentials(&c, NULL), IAM_E_CONFIG);
    clear_env();
}

int main(void)
{
    RUN(creds_copy_their_strings);
    RUN(empty_or_null_token_means_none);
    RUN(missing_key_or_secret_gives_null);
    RUN(source_is_truncated_not_overflowed);
    RUN(view_borrows_the_strings);
    RUN(retain_and_release_count_references);
    RUN(getenv_treats_empty_as_unset);
    RUN(iso8601_basic_utc);
    RUN(iso8601_fraction_is_truncated);
    RUN(iso8601_offsets);
    RUN(iso8601_lower_case_t_and_z);
    RUN(iso8601_rejects_invalid_text);
    RUN(iso8601_leap_days_and_seconds);
    RUN(iso8601_agrees_with_timegm);
    RUN(env_nothing_set_is_not_found);
    RUN(env_empty_values_count_as_unset);
    RUN(env_key_and_secret);
    RUN(env_session_token_and_expiration);
    RUN(env_lone_session_token_is_ignored);
    RUN(env_key_without_secret_names_the_variables);
    RUN(env_secret_without_key_names_the_variables);
    RUN(env_invalid_expiration_is_a_config_error);
    RUN(env_error_pointer_may_be_null);
    return CHECK_DONE();
}
