#define _GNU_SOURCE
#include "aws_ini.h"
#include "check.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/iamcore-iniXXXXXX";

/* ---------------------------------------------------------------- helpers */

static const char *path_of(const char *name)
{
    static char paths[8][256];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

static const char *write_file(const char *name, const char *content)
{
    const char *p = path_of(name);
    FILE *f = fopen(p, "w");
    fputs(content, f);
    fclose(f);
    return p;
}

static const char *const env_vars[] = {"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
                                       "AWS_PROFILE", "AWS_DEFAULT_PROFILE"};

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof env_vars / sizeof env_vars[0]; i++)
        unsetenv(env_vars[i]);
}

/* Parse text as a config (c) or credentials file. */
static iam_aws_ini cfg(const char *text)
{
    iam_aws_ini ini;
    iam_error err;
    if (iam_aws_ini_parse(&ini, text, strlen(text), IAM_AWS_FILE_CONFIG, &err) != IAM_OK) {
        fprintf(stderr, "  parse failed: %s\n", err.message);
        check_failures++;
    }
    return ini;
}

static iam_aws_ini cred(const char *text)
{
    iam_aws_ini ini;
    iam_error err;
    if (iam_aws_ini_parse(&ini, text, strlen(text), IAM_AWS_FILE_CREDENTIALS, &err) != IAM_OK) {
        fprintf(stderr, "  parse failed: %s\n", err.message);
        check_failures++;
    }
    return ini;
}

#define GET(ini, profile, key) iam_aws_ini_get(&(ini), profile, key)

/* ---------------------------------------------------------------- R1 lines */

static void r1_crlf_and_bom(void)
{
    iam_aws_ini a = cfg("\xEF\xBB\xBF[default]\r\nregion = us-east-1\r\noutput=json\r\n");
    CHECK_EQ_STR(GET(a, "default", "region"), "us-east-1");
    CHECK_EQ_STR(GET(a, "default", "output"), "json");
    CHECK_EQ_INT(a.ignored_lines, 0);
    iam_aws_ini_free(&a);
    /* a BOM only counts at the very start */
    a = cfg("[default]\n\xEF\xBB\xBFregion = x\n");
    CHECK(GET(a, "default", "region") == NULL);
    iam_aws_ini_free(&a);
}

static void r1_last_line_without_newline(void)
{
    iam_aws_ini a = cfg("[default]\nregion = eu-west-1");
    CHECK_EQ_STR(GET(a, "default", "region"), "eu-west-1");
    iam_aws_ini_free(&a);
    a = cfg("");
    CHECK_EQ_INT(a.section_count, 0);
    CHECK(!iam_aws_ini_has_profile(&a, "default"));
    iam_aws_ini_free(&a);
}

static void r1_nul_byte_line_is_ignored(void)
{
    const char text[] = "[default]\nregion = a\0b\noutput = json\n";
    iam_aws_ini a;
    CHECK_EQ_INT(iam_aws_ini_parse(&a, text, sizeof text - 1, IAM_AWS_FILE_CONFIG, NULL), IAM_OK);
    CHECK(GET(a, "default", "region") == NULL);
    CHECK_EQ_STR(GET(a, "default", "output"), "json");
    CHECK_EQ_INT(a.ignored_lines, 1);
    CHECK_EQ_INT(a.first_ignored_line, 2);
    iam_aws_ini_free(&a);
}

/* ---------------------------------------------------------------- R2, R3 */

static void r2_blank_lines_are_skipped(void)
{
    iam_aws_ini a = cfg("\n\n   \n[default]\n\n\t\nregion = x\n\n");
    CHECK_EQ_STR(GET(a, "default", "region"), "x");
    CHECK_EQ_INT(a.ignored_lines, 0);
    iam_aws_ini_free(&a);
}

static void r3_comment_lines(void)
{
    iam_aws_ini a = cfg("# top\n; top\n[default]\n# region = no\n   ; region = no\n"
                        "\t# region = no\nregion = yes\n#[profile hidden]\n");
    CHECK_EQ_STR(GET(a, "default", "region"), "yes");
    CHECK(!iam_aws_ini_has_profile(&a, "hidden"));
    CHECK_EQ_INT(a.ignored_lines, 0);
    iam_aws_ini_free(&a);
}

/* ---------------------------------------------------------------- R4 headers */

static void r4_header_white_space_is_trimmed(void)
{
    iam_aws_ini a = cfg("[  default\t]\nregion = a\n[ profile   dev ]\nregion = b\n");
    CHECK_EQ_STR(GET(a, "default", "region"), "a");
    CHECK_EQ_STR(GET(a, "dev", "region"), "b");
    iam_aws_ini_free(&a);
}

static void r4_text_after_the_bracket_is_ignored(void)
{
    iam_aws_ini a = cfg("[default] # the default\nregion = a\n[profile x];c\nregion = b\n"
                        "[profile y] not a comment\nregion = c\n");
    CHECK_EQ_STR(GET(a, "default", "region"), "a");
    CHECK_EQ_STR(GET(a, "x", "region"), "b");
    CHECK_EQ_STR(GET(a, "y", "region"), "c");
    CHECK_EQ_INT(a.ignored_lines, 0);
    iam_aws_ini_free(&a);
}

static void r4_header_without_bracket_is_malformed(void)
{
    iam_aws_ini a = cfg("[profile good]\nregion = a\n[profile bad\nregion = leak\n"
                        "aws_secret_access_key = SHOULD-NOT-LEAK\n[profile next]\nregion = c\n");
    CHECK_EQ_STR(GET(a, "good", "region"), "a");            /* R17: nothing leaks into it */
    CHECK(GET(a, "good", "aws_secret_access_key") == NULL);
    CHECK(!iam_aws_ini_has_profile(&a, "bad"));
    CHECK_EQ_STR(GET(a, "next", "region"), "c");
    CHECK_EQ_INT(a.ignored_lines, 3);
    CHECK_EQ_INT(a.first_ignored_line, 3);
    iam_aws_ini_free(&a);
}

static void r4_empty_header_is_malformed(void)
{
    iam_aws_ini a = cfg("[]\nregion = a\n[   ]\n");
    CHECK_EQ_INT(a.section_count, 0);
    CHECK_EQ_INT(a.ignored_lines, 3);
    iam_aws_ini_free(&a);
}

static void r4_indented_header_is_a_header_not_a_continuation(void)
{
    iam_aws_ini a = cfg("[profile a]\nregion = x\n   [profile b]\nregion = y\n");
    CHECK_EQ_STR(GET(a, "a", "region"), "x");
    CHECK_EQ_STR(GET(a, "b", "region"), "y");
    iam_aws_ini_free(&a);
}

/* ---------------------------------------------------------------- R5 – R7 names */

static void r5_config_profiles_and_other_sections(void)
{
    iam_aws_ini a = cfg("[default]\nregion = d\n"
                        "[profile dev]\nregion = p\n"
                        "[sso-session corp]\nsso_region = us-east-1\n"
                        "[services local]\ns3 =\n  endpoint_url = http://localhost:9000\n"
                        "[preview]\ncloudfront = true\n"
                        "[dev]\nregion = bare\n"
                        "[profile]\nregion = kw\n[profilex]\nregion = px\n[Profile cap]\nregion = c\n"
                        "[profile\ttabbed]\nregion = t\n");
    CHECK_EQ_STR(GET(a, "default", "region"), "d");
    CHECK_EQ_STR(GET(a, "dev", "region"), "p"); /* [dev] is not the profile dev */
    CHECK_EQ_STR(GET(a, "tabbed", "region"), "t");
    CHECK(!iam_aws_ini_has_profile(&a, "corp"));
    CHECK(!iam_aws_ini_has_profile(&a, "preview"));
    CHECK(!iam_aws_ini_has_profile(&a, "profile"));
    CHECK(!iam_aws_ini_has_profile(&a, "profilex"));
    CHECK(!iam_aws_ini_has_profile(&a, "cap"));
    CHECK(!iam_aws_ini_has_profile(&a, "Profile cap"));
    CHECK(iam_aws_ini_has_section(&a, IAM_AWS_SECTION_OTHER, "sso-session corp"));
    CHECK_EQ_STR(iam_aws_ini_value(&a, IAM_AWS_SECTION_OTHER, "sso-session corp", NULL, "sso_region"),
                 "us-east-1");
    CHECK_EQ_STR(iam_aws_ini_value(&a, IAM_AWS_SECTION_OTHER, "services local", "s3",
                                   "endpoint_url"),
                 "http://localhost:9000");
    CHECK_EQ_STR(iam_aws_ini_value(&a, IAM_AWS_SECTION_OTHER, "dev", NULL, "region"), "bare");
    CHECK_EQ_INT(a.ignored_lines, 0);
    iam_aws_ini_free(&a);
}

static void r6_quoted_profile_names(void)
{
    iam_aws_ini a = cfg("[profile \"my name\"]\nregion = dq\n"
                        "[profile 'other name']\nregion = sq\n"
                        "[profile \"plain\"]\nregion = pq\n");
    CHECK_EQ_STR(GET(a, "my name", "region"), "dq");
    CHECK_EQ_STR(GET(a, "other name", "region"), "sq");
    CHECK_EQ_STR(GET(a, "plain", "region"), "pq");
    CHECK(!iam_aws_ini_has_profile(&a, "\"plain\""));
    iam_aws_ini_free(&a);
}

static void r6_malformed_profile_names(void)
{
    iam_aws_ini a = cfg("[profile a b]\nregion = 1\n"
                        "[profile \"\"]\nregion = 2\n"
                        "[profile \"open]\nregion = 3\n"
                        "[profile 'mixed\"]\nregion = 4\n"
                        "[profile a\"b]\nregion = 5\n"
                        "[profile \"a\"b\"]\nregion = 6\n"
                        "[profile ok]\nregion = 7\n");
    CHECK_EQ_INT(a.section_count, 1);
    CHECK(!iam_aws_ini_has_profile(&a, "a"));
    CHECK(!iam_aws_ini_has_profile(&a, "a b"));
    CHECK_EQ_STR(GET(a, "ok", "region"), "7");
    CHECK_EQ_INT(a.ignored_lines, 12); /* six headers and their keys */
    iam_aws_ini_free(&a);
}

static void r7_credentials_names_are_verbatim(void)
{
    iam_aws_ini a = cred("[default]\naws_access_key_id = A\n[my name]\naws_access_key_id = B\n"
                         "[\"quoted\"]\naws_access_key_id = C\n[ spaced ]\naws_access_key_id = D\n");
    CHECK_EQ_STR(GET(a, "default", "aws_access_key_id"), "A");
    CHECK_EQ_STR(GET(a, "my name", "aws_access_key_id"), "B");
    CHECK_EQ_STR(GET(a, "\"quoted\"", "aws_access_key_id"), "C");
    CHECK(!iam_aws_ini_has_profile(&a, "quoted"));
    CHECK_EQ_STR(GET(a, "spaced", "aws_access_key_id"), "D");
    iam_aws_ini_free(&a);
}

static void r7_profile_prefix_in_credentials_file_is_not_a_profile(void)
{
    iam_aws_ini a = cred("[profile dev]\naws_access_key_id = A\n[dev2]\naws_access_key_id = B\n"
                         "[profilex]\naws_access_key_id = C\n");
    CHECK(!iam_aws_ini_has_profile(&a, "dev"));
    CHECK(!iam_aws_ini_has_profile(&a, "profile dev"));
    CHECK_EQ_STR(GET(a, "dev2", "aws_access_key_id"), "B");
    CHECK_EQ_STR(GET(a, "profilex", "aws_access_key_id"), "C");
    CHECK_EQ_INT(a.ignored_lines, 2);
    iam_aws_ini_free(&a);
}

/* ---------------------------------------------------------------- R8 – R10 */

static void r8_profile_default_beats_default_in_any_order(void)
{
    const char *texts[] = {
        "[default]\nregion = plain\noutput = text\n[profile default]\nregion = prefixed\n",
        "[profile default]\nregion = prefixed\n[default]\nregion = plain\noutput = text\n",
    };
    for (int i = 0; i < 2; i++) {
        iam_aws_ini a = cfg(texts[i]);
        CHECK_EQ_STR(GET(a, "default", "region"), "prefixed");
        CHECK(GET(a, "default", "output") == NULL); /* [default] is ignored entirely */
        CHECK(a.has_prefixed_default);
        iam_aws_ini_free(&a);
    }
    iam_aws_ini a = cfg("[default]\nregion = plain\n");
    CHECK_EQ_STR(GET(a, "default", "region"), "plain");
    iam_aws_ini_free(&a);
    a = cfg("[profile default]\nregion = prefixed\n");
    CHECK_EQ_STR(GET(a, "default", "region"), "prefixed");
    iam_aws_ini_free(&a);
}

static void r9_names_are_case_sensitive(void)
{
    iam_aws_ini a = cfg("[DEFAULT]\nregion = upper\n[Default]\nregion = title\n"
                        "[profile Dev]\nregion = D\n[profile dev]\nregion = d\n");
    CHECK(!iam_aws_ini_has_profile(&a, "default"));
    CHECK(GET(a, "default", "region") == NULL);
    CHECK_EQ_STR(GET(a, "Dev", "region"), "D");
    CHECK_EQ_STR(GET(a, "dev", "region"), "d");
    iam_aws_ini_free(&a);
    a = cred("[Default]\naws_access_key_id = X\n");
    CHECK(!iam_aws_ini_has_profile(&a, "default"));
    iam_aws_ini_free(&a);
}

static void r10_duplicate_sections_are_merged(void)
{
    iam_aws_ini a = cfg("[profile a]\nregion = first\noutput = json\n"
                        "[profile b]\nregion = b\n"
                        "[profile a]\nregion = second\nrole_arn = arn:x\n");
    CHECK_EQ_STR(GET(a, "a", "region"), "second");
    CHECK_EQ_STR(GET(a, "a", "output"), "json");
    CHECK_EQ_STR(GET(a, "a", "role_arn"), "arn:x");
    CHECK_EQ_STR(GET(a, "b", "region"), "b");
    iam_aws_ini_free(&a);
}

/* ---------------------------------------------------------------- R11 – R15 */

static void r11_only_equals_delimits(void)
{
    iam_aws_ini a = cfg("[default]\n"
                        "role_arn = arn:aws:iam::123456789012:role/admin\n"
                        "sso_start_url=https://corp.awsapps.com/start#/?x=1\n"
                        "credential_process = tool --endpoint host:8443 --a=b\n"
                        "region: us-east-1\n"
                        "output:json\n");
    CHECK_EQ_STR(GET(a, "default", "role_arn"), "arn:aws:iam::123456789012:role/admin");
    CHECK_EQ_STR(GET(a, "default", "sso_start_url"), "https://corp.awsapps.com/start#/?x=1");
    CHECK_EQ_STR(GET(a, "default", "credential_process"), "tool --endpoint host:8443 --a=b");
    CHECK(GET(a, "default", "region") == NULL);
    CHECK(GET(a, "default", "region:") == NULL);
    CHECK_EQ_INT(a.ignored_lines, 2);
    CHECK_EQ_INT(a.first_ignored_line, 5);
    iam_aws_ini_free(&a);
}

static void r12_keys_are_trimmed_and_lower_cased(void)
{
    iam_aws_ini a = cred("[default]\n  AWS_Access_Key_ID\t=  AKIAUPPER\nAWS_SECRET_ACCESS_KEY=s\n"
                         "= no key\n   =\n");
    CHECK_EQ_STR(GET(a, "default", "aws_access_key_id"), "AKIAUPPER");
    CHECK(GET(a, "default", "aws_secret_access_key") &&
          strcmp(GET(a, "default", "aws_secret_access_key"), "s") == 0);
    CHECK(GET(a, "default", "AWS_Access_Key_ID") == NULL);
    CHECK_EQ_INT(a.ignored_lines, 2);
    iam_aws_ini_free(&a);
}

static void r13_values_are_trimmed_and_kept(void)
{
    iam_aws_ini a = cfg("[default]\n"
                        "a =   spaced value\t \n"
                        "b = \"quoted\"\n"
                        "c =\n"
                        "d = x=y==\n"
                        "e='single'\n");
    CHECK_EQ_STR(GET(a, "default", "a"), "spaced value");
    CHECK_EQ_STR(GET(a, "default", "b"), "\"quoted\"");
    CHECK_EQ_STR(GET(a, "default", "c"), "");
    CHECK_EQ_STR(GET(a, "default", "d"), "x=y==");
    CHECK_EQ_STR(GET(a, "default", "e"), "'single'");
    iam_aws_ini_free(&a);
}

static void r14_inline_comments_need_white_space(void)
{
    iam_aws_ini a = cfg("[default]\n"
                        "region = us-east-1 # a comment\n"
                        "output = json\t; another\n"
                        "hash = a#b\n"
                        "semi = a;b\n"
                        "both = x #y ;z\n"
                        "only = # just a comment\n"
                        "url = https://host/#frag\n");
    CHECK_EQ_STR(GET(a, "default", "region"), "us-east-1");
    CHECK_EQ_STR(GET(a, "default", "output"), "json");
    CHECK_EQ_STR(GET(a, "default", "hash"), "a#b");
    CHECK_EQ_STR(GET(a, "default", "semi"), "a;b");
    CHECK_EQ_STR(GET(a, "default", "both"), "x");
    CHECK_EQ_STR(GET(a, "default", "only"), "");
    CHECK_EQ_STR(GET(a, "default", "url"), "https://host/#frag");
    iam_aws_ini_free(&a);
}

static void r15_last_duplicate_key_wins(void)
{
    iam_aws_ini a = cfg("[default]\nregion = one\nREGION = two\nregion = three\n");
    CHECK_EQ_STR(GET(a, "default", "region"), "three");
    iam_aws_ini_free(&a);
}

static void r15_redefinition_replaces_a_sub_section_wholesale(void)
{
    iam_aws_ini a = cfg("[default]\n"
                        "s3 =\n  a = 1\n  b = 2\n"
                        "s3 = flat\n"
                        "ec2 = flat\n"
                        "ec2 =\n  c = 3\n"
                        "sts =\n  d = 4\n"
                        "sts =\n  e = 5\n");
    CHECK_EQ_STR(GET(a, "default", "s3"), "flat");
    CHECK(iam_aws_ini_get_nested(&a, "default", "s3", "a") == NULL);
    CHECK(GET(a, "default", "ec2") == NULL);
    CHECK_EQ_STR(iam_aws_ini_get_nested(&a, "default", "ec2", "c"), "3");
    CHECK(iam_aws_ini_get_nested(&a, "default", "sts", "d") == NULL);
    CHECK_EQ_STR(iam_aws_ini_get_nested(&a, "default", "sts", "e"), "5");
    iam_aws_ini_free(&a);
}

/* ---------------------------------------------------------------- R16 */

static void r16_nested_sub_section(void)
{
    iam_aws_ini a = cfg("[profile dev]\n"
                        "region = us-west-2\n"
                        "s3 =\n"
                        "  max_concurrent_requests = 20\n"
                        "\n"
                        "  # a comment inside\n"
                        "  Addressing_Style = path # inline\n"
                        "  not a pair\n"
                        "output = json\n");
    CHECK(GET(a, "dev", "s3") == NULL); /* kept out of the flat keys */
    CHECK(GET(a, "dev", "max_concurrent_requests") == NULL);
    CHECK_EQ_STR(iam_aws_ini_get_nested(&a, "dev", "s3", "max_concurrent_requests"), "20");
    CHECK_EQ_STR(iam_aws_ini_get_nested(&a, "dev", "s3", "addressing_style"), "path");
    CHECK(iam_aws_ini_get_nested(&a, "dev", "s3", "missing") == NULL);
    CHECK(iam_aws_ini_get_nested(&a, "dev", "region", "x") == NULL);
    CHECK(iam_aws_ini_get_nested(&a, "dev", NULL, "x") == NULL);
    CHECK_EQ_STR(GET(a, "dev", "region"), "us-west-2");
    CHECK_EQ_STR(GET(a, "dev", "output"), "json");
    CHECK_EQ_INT(a.ignored_lines, 1);
    CHECK_EQ_INT(a.first_ignored_line, 8);
    iam_aws_ini_free(&a);
}

static void r16_continuation_appends_to_the_value(void)
{
    iam_aws_ini a = cfg("[default]\n"
                        "credential_process = /usr/bin/tool\n"
                        "    --profile x\n"
                        "\n"
                        "    --verbose # comment cut\n"
                        "region = eu\n"
                        "k = first # cut\n"
                        "   second\n");
    CHECK_EQ_STR(GET(a, "default", "credential_process"), "/usr/bin/tool\n--profile x\n--verbose");
    CHECK_EQ_STR(GET(a, "default", "region"), "eu");
    CHECK_EQ_STR(GET(a, "default", "k"), "first\nsecond");
    iam_aws_ini_free(&a);
}

static void r16_uniformly_indented_section(void)
{
    iam_aws_ini a = cred("[default]\n"
                         "    aws_access_key_id = AKIAINDENT\n"
                         "    aws_secret_access_key = indented-secret\n"
                         "\taws_session_token = tok\n");
    CHECK_EQ_STR(GET(a, "default", "aws_access_key_id"), "AKIAINDENT");
    CHECK(GET(a, "default", "aws_secret_access_key") != NULL);
    /* a tab is one character: less indented than four spaces, so a new key */
    CHECK(GET(a, "default", "aws_session_token") &&
          strcmp(GET(a, "default", "aws_session_token"), "tok") == 0);
    iam_aws_ini_free(&a);
}

static void r16_indented_nested_block(void)
{
    iam_aws_ini a = cfg("[default]\n"
                        "  s3 =\n"
                        "      a = 1\n"
                        "    b = 2\n"   /* still deeper than the s3 line */
                        "  region = r\n"); /* same indent as s3: a new key */
    CHECK_EQ_STR(iam_aws_ini_get_nested(&a, "default", "s3", "a"), "1");
    CHECK_EQ_STR(iam_aws_ini_get_nested(&a, "default", "s3", "b"), "2");
    CHECK_EQ_STR(GET(a, "default", "region"), "r");
    iam_aws_ini_free(&a);
}

static void r16_continuation_needs_a_current_property(void)
{
    /* after a header or an ignored line an indented line is a new key */
    iam_aws_ini a = cfg("[default]\n  region = r\ngarbage\n  output = o\n");
    CHECK_EQ_STR(GET(a, "default", "region"), "r");
    CHECK_EQ_STR(GET(a, "default", "output"), "o");
    CHECK_EQ_INT(a.ignored_lines, 1);
    iam_aws_ini_free(&a);
}

/* ---------------------------------------------------------------- R17, R18 */

static void r17_keys_outside_a_section_are_ignored(void)
{
    iam_aws_ini a = cred("aws_access_key_id = ORPHAN\n  indented = too\n[default]\nregion = r\n");
    CHECK_EQ_INT(a.entry_count, 1);
    CHECK_EQ_INT(a.ignored_lines, 2);
    CHECK_EQ_INT(a.first_ignored_line, 1);
    CHECK(GET(a, "default", "aws_access_key_id") == NULL);
    iam_aws_ini_free(&a);
}

static void r18_other_lines_are_counted(void)
{
    iam_aws_ini a = cfg("[default]\nregion = r\njust some words\nkey: value\n"
                        "aws_secret_access_key SECRETVALUE\n[profile p]\nx = 1\n");
    CHECK_EQ_INT(a.ignored_lines, 3);
    CHECK_EQ_INT(a.first_ignored_line, 3);
    CHECK_EQ_STR(GET(a, "default", "region"), "r");
    CHECK_EQ_STR(GET(a, "p", "x"), "1");
    iam_aws_ini_free(&a);
}

/* ---------------------------------------------------------------- sizes, robustness */

static void size_limit_in_memory(void)
{
    size_t n = IAM_AWS_INI_MAX_BYTES;
    char *big = malloc(n + 1);
    memset(big, '#', n);
    big[0] = '\n';
    iam_aws_ini a;
    iam_error err;
    CHECK_EQ_INT(iam_aws_ini_parse(&a, big, n, IAM_AWS_FILE_CONFIG, &err), IAM_OK);
    iam_aws_ini_free(&a);
    iam_error_clear(&err);
    CHECK_EQ_INT(iam_aws_ini_parse(&a, big, n + 1, IAM_AWS_FILE_CONFIG, &err), IAM_E_CONFIG);
    CHECK(strstr(err.message, "1 MiB") != NULL);
    CHECK_EQ_INT(a.entry_count, 0);
    iam_aws_ini_free(&a);
    free(big);
}

static void large_files_parse_in_linear_time(void)
{
    /* ~1 MiB of distinct keys in one section, then ~1 MiB of sections */
    size_t cap = IAM_AWS_INI_MAX_BYTES;
    char *text = malloc(cap + 64);
    size_t len = (size_t)snprintf(text, cap, "[default]\n");
    for (int i = 0; len + 32 < cap; i++)
        len += (size_t)snprintf(text + len, 32, "key%d = v%d\n", i, i);
    clock_t t0 = clock();
    iam_aws_ini a;
    CHECK_EQ_INT(iam_aws_ini_parse(&a, text, len, IAM_AWS_FILE_CONFIG, NULL), IAM_OK);
    CHECK(a.entry_count > 50000);
    CHECK_EQ_STR(GET(a, "default", "key0"), "v0");
    CHECK(GET(a, "default", "nokey") == NULL);
    iam_aws_ini_free(&a);
    len = 0;
    for (int i = 0; len + 32 < cap; i++)
        len += (size_t)snprintf(text + len, 32, "[profile p%d]\nk = %d\n", i, i);
    CHECK_EQ_INT(iam_aws_ini_parse(&a, text, len, IAM_AWS_FILE_CONFIG, NULL), IAM_OK);
    CHECK(a.section_count > 30000);
    CHECK_EQ_STR(GET(a, "p0", "k"), "0");
    CHECK(!iam_aws_ini_has_profile(&a, "nope"));
    iam_aws_ini_free(&a);
    double seconds = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK(seconds < 2.0);
    free(text);
}

/* Random bytes from an alphabet of the characters that matter: no crash, no
 * sanitizer report, and every result well-formed. */
static void fuzz_random_texts(void)
{
    static const char alphabet[] = "[]=#; \t\r\n\"'\\:aZpr ofiledefault\0\xEF\xBB\xBF";
    unsigned seed = 12345;
    char text[300];
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(round % 299) + 1;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            text[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        if (round % 3 == 0 && n > 10)
            memcpy(text, "[profile x]\n", 10);
        iam_aws_ini a;
        int kind = round & 1 ? IAM_AWS_FILE_CONFIG : IAM_AWS_FILE_CREDENTIALS;
        if (iam_aws_ini_parse(&a, text, n, (iam_aws_file_kind)kind, NULL) != IAM_OK) {
            check_failures++;
            break;
        }
        for (size_t i = 0; i < a.entry_count; i++) {
            const iam_aws_ini_entry *e = &a.entries[i];
            size_t kl = strlen(e->key), vl = strlen(e->value);
            if (e->section >= a.section_count || !kl || strchr(e->key, '=') ||
                strchr(e->key, '\n') || isspace((unsigned char)e->key[0]) ||
                isspace((unsigned char)e->key[kl - 1]) ||
                (vl && (isspace((unsigned char)e->value[0]) ||
                        isspace((unsigned char)e->value[vl - 1])))) {
                check_failures++;
                fprintf(stderr, "  round %d: bad entry %zu key [%s] value [%s]\n", round, i, e->key, e->value);
                break;
            }
            for (const char *k = e->key; *k; k++)
                if (*k >= 'A' && *k <= 'Z')
                    check_failures++;
        }
        for (size_t i = 0; i < a.section_count; i++)
            if (!*a.sections[i].name)
                check_failures++;
        (void)iam_aws_ini_get(&a, "x", "a");
        (void)iam_aws_ini_get(&a, "default", "a");
        (void)iam_aws_ini_get_nested(&a, "x", "a", "a");
        iam_aws_ini_free(&a);
    }
}

/* ---------------------------------------------------------------- files */

static void r19_missing_and_special_files_are_empty(void)
{
    iam_aws_ini a;
    iam_error err;
    CHECK_EQ_INT(iam_aws_ini_read_file(&a, path_of("does-not-exist"), IAM_AWS_FILE_CONFIG, &err),
                 IAM_OK);
    CHECK_EQ_INT(a.section_count, 0);
    iam_aws_ini_free(&a);
    CHECK_EQ_INT(iam_aws_ini_read_file(&a, "/dev/null", IAM_AWS_FILE_CONFIG, &err), IAM_OK);
    iam_aws_ini_free(&a);
    CHECK_EQ_INT(iam_aws_ini_read_file(&a, dir, IAM_AWS_FILE_CONFIG, &err), IAM_OK);
    iam_aws_ini_free(&a);
    /* a path through a regular file: ENOTDIR */
    const char *f = write_file("plain", "x");
    char through[300];
    snprintf(through, sizeof through, "%s/config", f);
    CHECK_EQ_INT(iam_aws_ini_read_file(&a, through, IAM_AWS_FILE_CONFIG, &err), IAM_OK);
    iam_aws_ini_free(&a);
    /* a FIFO nobody writes to: skipped, not waited for */
    const char *fifo = path_of("fifo");
    CHECK_EQ_INT(mkfifo(fifo, 0600), 0);
    CHECK_EQ_INT(iam_aws_ini_read_file(&a, fifo, IAM_AWS_FILE_CONFIG, &err), IAM_OK);
    iam_aws_ini_free(&a);
    /* an empty file */
    CHECK_EQ_INT(iam_aws_ini_read_file(&a, write_file("empty", ""), IAM_AWS_FILE_CONFIG, &err),
                 IAM_OK);
    iam_aws_ini_free(&a);
}

static void r19_reads_a_file(void)
{
    const char *p = write_file("config-ok", "[profile disk]\r\nregion = from-disk\r\n");
    iam_aws_ini a;
    CHECK_EQ_INT(iam_aws_ini_read_file(&a, p, IAM_AWS_FILE_CONFIG, NULL), IAM_OK);
    CHECK_EQ_STR(GET(a, "disk", "region"), "from-disk");
    iam_aws_ini_free(&a);
}

static void r19_unreadable_file_is_a_config_error(void)
{
    if (geteuid() == 0)
        return; /* root reads anything */
    const char *p = write_file("locked", "[default]\naws_secret_access_key = LOCKED-SECRET\n");
    chmod(p, 0);
    iam_aws_ini a;
    iam_error err;
    iam_error_clear(&err);
    CHECK_EQ_INT(iam_aws_ini_read_file(&a, p, IAM_AWS_FILE_CREDENTIALS, &err), IAM_E_CONFIG);
    CHECK(strstr(err.message, p) != NULL);
    CHECK(strstr(err.message, "ermission") != NULL);
    iam_aws_ini_free(&a);
}

static void r19_oversized_file_is_a_config_error(void)
{
    const char *p = path_of("huge");
    FILE *f = fopen(p, "w");
    for (int i = 0; i < 1100; i++)
        for (int j = 0; j < 1024; j++)
            fputc(j == 1023 ? '\n' : '#', f);
    fclose(f);
    iam_aws_ini a;
    iam_error err;
    iam_error_clear(&err);
    CHECK_EQ_INT(iam_aws_ini_read_file(&a, p, IAM_AWS_FILE_CONFIG, &err), IAM_E_CONFIG);
    CHECK(strstr(err.message, p) && strstr(err.message, "1 MiB"));
    iam_aws_ini_free(&a);
}

/* ---------------------------------------------------------------- profiles */

static const char *config_text = "[default]\n"
                                 "region = us-east-1\n"
                                 "[profile dev]\n"
                                 "region = eu-west-1\n"
                                 "aws_access_key_id = AKIACONFIGDEV\n"
                                 "aws_secret_access_key = config-dev-secret\n"
                                 "aws_session_token = config-dev-token\n"
                                 "output = json\n"
                                 "[profile role]\n"
                                 "role_arn = arn:aws:iam::123456789012:role/r\n"
                                 "web_identity_token_file = /var/run/token\n"
                                 "role_session_name = sess\n"
                                 "source_profile = dev\n"
                                 "credential_source = Environment\n";

static const char *credentials_text = "[default]\n"
                                      "aws_access_key_id = AKIACREDDEFAULT\n"
                                      "aws_secret_access_key = cred-default-secret\n"
                                      "[dev]\n"
                                      "aws_access_key_id = AKIACREDDEV\n"
                                      "aws_secret_access_key = cred-dev-secret\n"
                                      "region = ap-south-1\n"
                                      "[credonly]\n"
                                      "aws_access_key_id = AKIACREDONLY\n"
                                      "aws_secret_access_key = cred-only-secret\n";

static int profile(iam_aws_profile *p, const char *name, const char *c, const char *k)
{
    iam_error err;
    iam_error_clear(&err);
    int rc = iam_aws_profile_parse(p, name, c, c ? strlen(c) : 0, k, k ? strlen(k) : 0, &err);
    if (rc != IAM_OK)
        fprintf(stderr, "  profile parse: %s\n", err.message);
    return rc;
}

static void r22_credentials_file_wins_key_by_key(void)
{
    iam_aws_profile p;
    CHECK_EQ_INT(profile(&p, "dev", config_text, credentials_text), IAM_OK);
    CHECK(p.found);
    CHECK(p.explicit_name);
    CHECK_EQ_STR(p.name, "dev");
    CHECK_EQ_STR(p.aws_access_key_id, "AKIACREDDEV");
    CHECK(p.aws_secret_access_key && strcmp(p.aws_secret_access_key, "cred-dev-secret") == 0);
    CHECK(p.aws_session_token == NULL); /* never the config file's token with these keys */
    CHECK_EQ_STR(p.keys_file, "credentials file");
    CHECK_EQ_STR(p.region, "ap-south-1");
    iam_aws_profile_clear(&p);
    CHECK(p.aws_access_key_id == NULL && p.region == NULL && p.found == 0);
}

static void r22_config_file_keys_when_credentials_file_has_none(void)
{
    iam_aws_profile p;
    CHECK_EQ_INT(profile(&p, "dev", config_text, "[dev]\nregion = x\naws_session_token = lone\n"),
                 IAM_OK);
    CHECK_EQ_STR(p.aws_access_key_id, "AKIACONFIGDEV");
    CHECK(p.aws_session_token && strcmp(p.aws_session_token, "config-dev-token") == 0);
    CHECK_EQ_STR(p.keys_file, "config file");
    CHECK_EQ_STR(p.region, "x");
    iam_aws_profile_clear(&p);
}

static void r22_every_field_is_read(void)
{
    iam_aws_profile p;
    CHECK_EQ_INT(profile(&p, "role", config_text, credentials_text), IAM_OK);
    CHECK_EQ_STR(p.role_arn, "arn:aws:iam::123456789012:role/r");
    CHECK_EQ_STR(p.web_identity_token_file, "/var/run/token");
    CHECK_EQ_STR(p.role_session_name, "sess");
    CHECK_EQ_STR(p.source_profile, "dev");
    CHECK_EQ_STR(p.credential_source, "Environment");
    CHECK(p.aws_access_key_id == NULL && p.keys_file == NULL);
    iam_aws_profile_clear(&p);
}

static void r23_empty_values_are_absent(void)
{
    iam_aws_profile p;
    CHECK_EQ_INT(profile(&p, "x", "[profile x]\nregion = cfg-region\n",
                         "[x]\nregion =\naws_access_key_id =\naws_session_token=\n"),
                 IAM_OK);
    CHECK_EQ_STR(p.region, "cfg-region"); /* the empty one does not win */
    CHECK(p.aws_access_key_id == NULL && p.aws_session_token == NULL && p.keys_file == NULL);
    iam_aws_profile_clear(&p);
}

static void found_means_a_section_in_either_file(void)
{
    iam_aws_profile p;
    CHECK_EQ_INT(profile(&p, "credonly", config_text, credentials_text), IAM_OK);
    CHECK(p.found);
    iam_aws_profile_clear(&p);
    CHECK_EQ_INT(profile(&p, "role", config_text, NULL), IAM_OK);
    CHECK(p.found);
    iam_aws_profile_clear(&p);
    CHECK_EQ_INT(profile(&p, "empty", "[profile empty]\n", NULL), IAM_OK);
    CHECK(p.found); /* a section without keys still exists */
    iam_aws_profile_clear(&p);
    CHECK_EQ_INT(profile(&p, "nowhere", config_text, credentials_text), IAM_OK);
    CHECK(!p.found);
    iam_aws_profile_clear(&p);
    /* "[dev]" in the config file is not the profile dev */
    CHECK_EQ_INT(profile(&p, "dev", "[dev]\nregion = r\n", NULL), IAM_OK);
    CHECK(!p.found && p.region == NULL);
    iam_aws_profile_clear(&p);
}

static void default_name_is_not_explicit(void)
{
    iam_aws_profile p;
    CHECK_EQ_INT(profile(&p, NULL, NULL, NULL), IAM_OK);
    CHECK_EQ_STR(p.name, "default");
    CHECK(!p.explicit_name && !p.found);
    iam_aws_profile_clear(&p);
    CHECK_EQ_INT(profile(&p, "", NULL, NULL), IAM_OK);
    CHECK_EQ_STR(p.name, "default");
    CHECK(!p.explicit_name);
    iam_aws_profile_clear(&p);
}

static void long_profile_name_is_a_config_error(void)
{
    char name[200];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    iam_aws_profile p;
    iam_error err;
    CHECK_EQ_INT(iam_aws_profile_parse(&p, name, NULL, 0, NULL, 0, &err), IAM_E_CONFIG);
    name[127] = '\0';
    CHECK_EQ_INT(iam_aws_profile_parse(&p, name, NULL, 0, NULL, 0, &err), IAM_OK);
    CHECK_EQ_INT(strlen(p.name), 127);
    iam_aws_profile_clear(&p);
}

/* ---------------------------------------------------------------- profile credentials */

static int creds_of(iam_aws_creds **c, const char *name, const char *cf, const char *kf,
                    iam_error *err)
{
    iam_aws_profile p;
    *c = NULL;
    iam_error_clear(err);
    int rc = iam_aws_profile_parse(&p, name, cf, cf ? strlen(cf) : 0, kf, kf ? strlen(kf) : 0, err);
    if (rc == IAM_OK)
        rc = iam_aws_profile_credentials(c, &p, err);
    iam_aws_profile_clear(&p);
    return rc;
}

static void static_keys_from_either_file(void)
{
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(creds_of(&c, NULL, config_text, credentials_text, &err), IAM_OK);
    CHECK_EQ_STR(c->access_key_id, "AKIACREDDEFAULT");
    CHECK_EQ_STR(c->source, "profile");
    CHECK_EQ_INT(c->base.expires_at, 0);
    iam_aws_creds_release(c);
    CHECK_EQ_INT(creds_of(&c, "dev", config_text, NULL, &err), IAM_OK);
    CHECK_EQ_STR(c->access_key_id, "AKIACONFIGDEV");
    CHECK(c->session_token && strcmp(c->session_token, "config-dev-token") == 0);
    iam_aws_creds_release(c);
}

static void key_without_secret_names_profile_and_keys(void)
{
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(creds_of(&c, "half", NULL, "[half]\naws_access_key_id = AKIAHALFVALUE\n", &err),
                 IAM_E_CONFIG);
    CHECK(c == NULL);
    CHECK(strstr(err.message, "\"half\"") != NULL);
    CHECK(strstr(err.message, "credentials file") != NULL);
    CHECK(strstr(err.message, "aws_access_key_id is set but aws_secret_access_key is missing"));
    CHECK(strstr(err.message, "AKIAHALFVALUE") == NULL);
    CHECK_EQ_INT(creds_of(&c, "half", "[profile half]\naws_secret_access_key = HALF-SECRET\n",
                          NULL, &err),
                 IAM_E_CONFIG);
    CHECK(strstr(err.message, "config file") != NULL);
    CHECK(strstr(err.message, "aws_secret_access_key is set but aws_access_key_id is missing"));
    CHECK(strstr(err.message, "HALF-SECRET") == NULL);
}

static void role_profiles_are_left_to_the_role_providers(void)
{
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(creds_of(&c, "role", config_text, credentials_text, &err), IAM_AWS_NOT_FOUND);
    CHECK(c == NULL);
    /* even with keys of its own: botocore assumes the role first */
    CHECK_EQ_INT(creds_of(&c, "r2", "[profile r2]\nrole_arn = arn:x\nsource_profile = r2\n",
                          "[r2]\naws_access_key_id = A\naws_secret_access_key = S\n", &err),
                 IAM_AWS_NOT_FOUND);
}

static void nothing_configured_is_not_found(void)
{
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(creds_of(&c, NULL, NULL, NULL, &err), IAM_AWS_NOT_FOUND);
    CHECK_EQ_INT(creds_of(&c, NULL, "[default]\nregion = r\n", NULL, &err), IAM_AWS_NOT_FOUND);
    CHECK_EQ_INT(err.code, IAM_OK);
}

static void explicit_missing_profile_is_a_config_error(void)
{
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(creds_of(&c, "typo", config_text, credentials_text, &err), IAM_E_CONFIG);
    CHECK(strstr(err.message, "\"typo\"") != NULL);
    /* the default profile asked for by name counts as asked for */
    CHECK_EQ_INT(creds_of(&c, "default", NULL, NULL, &err), IAM_E_CONFIG);
}

static const char *tool_script(const char *name, const char *akid)
{
    char body[512];
    snprintf(body, sizeof body,
             "#!/bin/sh\necho '{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"S\","
             "\"SessionToken\":\"T\",\"Expiration\":\"2026-11-23T12:00:00Z\"}'\n",
             akid);
    const char *p = write_file(name, body);
    chmod(p, 0755);
    return p;
}

static void credential_process_in_the_profile(void)
{
    const char *tool = tool_script("tool.sh", "AKIAPROCESS");
    char config[512], credentials[512];
    snprintf(config, sizeof config, "[profile proc]\ncredential_process = %s --x 'y z'\n", tool);
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(creds_of(&c, "proc", config, NULL, &err), IAM_OK);
    if (c) {
        CHECK_EQ_STR(c->access_key_id, "AKIAPROCESS");
        CHECK_EQ_STR(c->source, "process");
        CHECK_EQ_INT(c->base.expires_at, 1795435200);
        iam_aws_creds_release(c);
    }
    /* also from the credentials file */
    snprintf(credentials, sizeof credentials, "[proc]\ncredential_process = %s\n", tool);
    CHECK_EQ_INT(creds_of(&c, "proc", NULL, credentials, &err), IAM_OK);
    iam_aws_creds_release(c);
}

static void botocore_order_of_keys_and_process(void)
{
    const char *tool = tool_script("tool2.sh", "AKIAPROCESS2");
    char config[512];
    iam_aws_creds *c;
    iam_error err;
    /* credentials-file keys come before credential_process */
    snprintf(config, sizeof config, "[profile o]\ncredential_process = %s\n", tool);
    CHECK_EQ_INT(creds_of(&c, "o", config, "[o]\naws_access_key_id = AKIAFILE\n"
                                           "aws_secret_access_key = S\n",
                          &err),
                 IAM_OK);
    CHECK(c && strcmp(c->access_key_id, "AKIAFILE") == 0 && strcmp(c->source, "profile") == 0);
    iam_aws_creds_release(c);
    /* credential_process comes before config-file keys */
    snprintf(config, sizeof config,
             "[profile o]\ncredential_process = %s\naws_access_key_id = AKIACFG\n"
             "aws_secret_access_key = S\n",
             tool);
    CHECK_EQ_INT(creds_of(&c, "o", config, NULL, &err), IAM_OK);
    CHECK(c && strcmp(c->access_key_id, "AKIAPROCESS2") == 0);
    iam_aws_creds_release(c);
}

static void failing_credential_process_stops_the_chain(void)
{
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(creds_of(&c, "p", "[profile p]\ncredential_process = /nonexistent/tool\n", NULL,
                          &err),
                 IAM_E_CONFIG);
    CHECK(strstr(err.message, "credential_process") != NULL);
}

/* ---------------------------------------------------------------- loading from disk */

static void load_uses_the_environment_and_home(void)
{
    clear_env();
    char home[300], awsdir[320];
    snprintf(home, sizeof home, "%s/home", dir);
    snprintf(awsdir, sizeof awsdir, "%s/.aws", home);
    mkdir(home, 0700);
    mkdir(awsdir, 0700);
    write_file("home/.aws/config", "[default]\nregion = home-region\n[profile work]\nregion = w\n");
    write_file("home/.aws/credentials", "[default]\naws_access_key_id = AKIAHOME\n"
                                        "aws_secret_access_key = home-secret\n");
    char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    setenv("HOME", home, 1);

    iam_aws_profile p;
    iam_error err;
    CHECK_EQ_INT(iam_aws_profile_load(&p, NULL, &err), IAM_OK);
    CHECK_EQ_STR(p.name, "default");
    CHECK_EQ_STR(p.region, "home-region");
    CHECK_EQ_STR(p.aws_access_key_id, "AKIAHOME");
    iam_aws_profile_clear(&p);

    /* AWS_PROFILE picks the profile; the argument beats it */
    setenv("AWS_PROFILE", "work", 1);
    CHECK_EQ_INT(iam_aws_profile_load(&p, NULL, &err), IAM_OK);
    CHECK_EQ_STR(p.name, "work");
    CHECK(p.explicit_name);
    CHECK_EQ_STR(p.region, "w");
    iam_aws_profile_clear(&p);
    CHECK_EQ_INT(iam_aws_profile_load(&p, "default", &err), IAM_OK);
    CHECK_EQ_STR(p.region, "home-region");
    iam_aws_profile_clear(&p);
    setenv("AWS_PROFILE", "", 1); /* empty: unset */
    CHECK_EQ_INT(iam_aws_profile_load(&p, NULL, &err), IAM_OK);
    CHECK_EQ_STR(p.name, "default");
    CHECK(!p.explicit_name);
    iam_aws_profile_clear(&p);
    /* AWS_DEFAULT_PROFILE is not read */
    setenv("AWS_DEFAULT_PROFILE", "work", 1);
    CHECK_EQ_INT(iam_aws_profile_load(&p, NULL, &err), IAM_OK);
    CHECK_EQ_STR(p.name, "default");
    iam_aws_profile_clear(&p);

    /* the file variables, with "~/" expanded; "" counts as unset */
    write_file("home/alt-config", "[profile alt]\nregion = alt-region\n");
    setenv("AWS_CONFIG_FILE", "~/alt-config", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "", 1);
    CHECK_EQ_INT(iam_aws_profile_load(&p, "alt", &err), IAM_OK);
    CHECK(p.found);
    CHECK_EQ_STR(p.region, "alt-region");
    iam_aws_profile_clear(&p);
    CHECK_EQ_INT(iam_aws_profile_load(&p, "default", &err), IAM_OK);
    CHECK(p.region == NULL);                     /* not in alt-config */
    CHECK_EQ_STR(p.aws_access_key_id, "AKIAHOME"); /* default credentials file */
    iam_aws_profile_clear(&p);

    /* missing files are empty; an absolute path is used as is */
    setenv("AWS_CONFIG_FILE", path_of("nope/config"), 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path_of("nope/credentials"), 1);
    CHECK_EQ_INT(iam_aws_profile_load(&p, NULL, &err), IAM_OK);
    CHECK(!p.found);
    iam_aws_profile_clear(&p);
    iam_aws_creds *c;
    CHECK_EQ_INT(iam_aws_profile_credentials(&c, &p, &err), IAM_AWS_NOT_FOUND);

    /* without HOME the passwd entry is used (whatever it holds, no crash) */
    unsetenv("AWS_CONFIG_FILE");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    unsetenv("HOME");
    CHECK_EQ_INT(iam_aws_profile_load(&p, "iamcore-surely-missing", &err), IAM_OK);
    CHECK(!p.found);
    iam_aws_profile_clear(&p);

    if (old_home)
        setenv("HOME", old_home, 1);
    free(old_home);
    clear_env();
}

static void load_reports_unreadable_and_oversized_files(void)
{
    clear_env();
    const char *big = path_of("huge"); /* written by r19_oversized_file_is_a_config_error */
    setenv("AWS_SHARED_CREDENTIALS_FILE", big, 1);
    setenv("AWS_CONFIG_FILE", "/dev/null", 1);
    iam_aws_profile p;
    iam_error err;
    iam_error_clear(&err);
    CHECK_EQ_INT(iam_aws_profile_load(&p, NULL, &err), IAM_E_CONFIG);
    CHECK(strstr(err.message, "shared credentials file") != NULL);
    CHECK(p.name[0] == '\0' && p.region == NULL);
    char long_path[5000];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[0] = '/';
    long_path[sizeof long_path - 1] = '\0';
    setenv("AWS_CONFIG_FILE", long_path, 1);
    CHECK_EQ_INT(iam_aws_profile_load(&p, NULL, &err), IAM_E_CONFIG);
    CHECK(strstr(err.message, "AWS_CONFIG_FILE") != NULL);
    clear_env();
}

static void load_end_to_end_credentials(void)
{
    clear_env();
    setenv("AWS_CONFIG_FILE", write_file("e2e-config", "[profile e2e]\nregion = r\n"), 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE",
           write_file("e2e-credentials", "[e2e]\r\naws_access_key_id = AKIAE2E # key\r\n"
                                         "aws_secret_access_key = e2e-secret\r\n"
                                         "aws_session_token = e2e-token\r\n"),
           1);
    setenv("AWS_PROFILE", "e2e", 1);
    iam_aws_profile p;
    iam_error err;
    CHECK_EQ_INT(iam_aws_profile_load(&p, NULL, &err), IAM_OK);
    iam_aws_creds *c = NULL;
    CHECK_EQ_INT(iam_aws_profile_credentials(&c, &p, &err), IAM_OK);
    if (c) {
        CHECK_EQ_STR(c->access_key_id, "AKIAE2E");
        CHECK(strcmp(c->secret_access_key, "e2e-secret") == 0);
        CHECK(strcmp(c->session_token, "e2e-token") == 0);
        iam_aws_credentials v = iam_aws_creds_view(c);
        CHECK(v.access_key_id == c->access_key_id);
    }
    iam_aws_profile_clear(&p);
    iam_aws_creds_release(c);
    clear_env();
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    clear_env();
    RUN(r1_crlf_and_bom);
    RUN(r1_last_line_without_newline);
    RUN(r1_nul_byte_line_is_ignored);
    RUN(r2_blank_lines_are_skipped);
    RUN(r3_comment_lines);
    RUN(r4_header_white_space_is_trimmed);
    RUN(r4_text_after_the_bracket_is_ignored);
    RUN(r4_header_without_bracket_is_malformed);
    RUN(r4_empty_header_is_malformed);
    RUN(r4_indented_header_is_a_header_not_a_continuation);
    RUN(r5_config_profiles_and_other_sections);
    RUN(r6_quoted_profile_names);
    RUN(r6_malformed_profile_names);
    RUN(r7_credentials_names_are_verbatim);
    RUN(r7_profile_prefix_in_credentials_file_is_not_a_profile);
    RUN(r8_profile_default_beats_default_in_any_order);
    RUN(r9_names_are_case_sensitive);
    RUN(r10_duplicate_sections_are_merged);
    RUN(r11_only_equals_delimits);
    RUN(r12_keys_are_trimmed_and_lower_cased);
    RUN(r13_values_are_trimmed_and_kept);
    RUN(r14_inline_comments_need_white_space);
    RUN(r15_last_duplicate_key_wins);
    RUN(r15_redefinition_replaces_a_sub_section_wholesale);
    RUN(r16_nested_sub_section);
    RUN(r16_continuation_appends_to_the_value);
    RUN(r16_uniformly_indented_section);
    RUN(r16_indented_nested_block);
    RUN(r16_continuation_needs_a_current_property);
    RUN(r17_keys_outside_a_section_are_ignored);
    RUN(r18_other_lines_are_counted);
    RUN(size_limit_in_memory);
    RUN(large_files_parse_in_linear_time);
    RUN(fuzz_random_texts);
    RUN(r19_missing_and_special_files_are_empty);
    RUN(r19_reads_a_file);
    RUN(r19_unreadable_file_is_a_config_error);
    RUN(r19_oversized_file_is_a_config_error);
    RUN(r22_credentials_file_wins_key_by_key);
    RUN(r22_config_file_keys_when_credentials_file_has_none);
    RUN(r22_every_field_is_read);
    RUN(r23_empty_values_are_absent);
    RUN(found_means_a_section_in_either_file);
    RUN(default_name_is_not_explicit);
    RUN(long_profile_name_is_a_config_error);
    RUN(static_keys_from_either_file);
    RUN(key_without_secret_names_profile_and_keys);
    RUN(role_profiles_are_left_to_the_role_providers);
    RUN(nothing_configured_is_not_found);
    RUN(explicit_missing_profile_is_a_config_error);
    RUN(credential_process_in_the_profile);
    RUN(botocore_order_of_keys_and_process);
    RUN(failing_credential_process_stops_the_chain);
    RUN(load_uses_the_environment_and_home);       /* R20, R21 */
    RUN(load_reports_unreadable_and_oversized_files);
    RUN(load_end_to_end_credentials);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return CHECK_DONE();
}
