/* The AWS shared config and credentials files: the INI parser (as both kinds
 * of file), the lookups, and the profile layer on top, which merges the two
 * files and turns a profile into credentials. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "aws_ini.h"
#include "aws_region.h"

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static int inside(const iam_aws_ini *ini, const char *s)
{
    return s >= ini->text_ && s + strlen(s) < ini->text_ + ini->text_cap_;
}

/* What every parsed file must look like, whatever the text. */
static void check_file(const iam_aws_ini *ini, size_t size)
{
    FUZZ_ASSERT((ini->ignored_lines == 0) == (ini->first_ignored_line == 0));
    for (size_t i = 0; i < ini->section_count; i++) {
        const iam_aws_ini_section *s = &ini->sections[i];
        FUZZ_ASSERT(inside(ini, s->name) && s->name[0] != '\0');
        FUZZ_ASSERT(s->line >= 1 && s->line <= size);
        FUZZ_ASSERT(i == 0 || s->line > ini->sections[i - 1].line);
    }
    for (size_t i = 0; i < ini->entry_count; i++) {
        const iam_aws_ini_entry *e = &ini->entries[i];
        FUZZ_ASSERT(e->section < ini->section_count);
        FUZZ_ASSERT(inside(ini, e->key) && inside(ini, e->value));
        FUZZ_ASSERT(e->key[0] != '\0' && !strchr(e->key, '='));
        for (const char *k = e->key; *k; k++)
            FUZZ_ASSERT(!(*k >= 'A' && *k <= 'Z'));
        size_t vlen = strlen(e->value);
        FUZZ_ASSERT(vlen == 0 || (!is_ws(e->value[0]) && !is_ws(e->value[vlen - 1])));
        FUZZ_ASSERT(!e->parent || inside(ini, e->parent));
        /* Every key can be looked up (the answer may be a later definition). */
        const iam_aws_ini_section *s = &ini->sections[e->section];
        if (e->parent)
            iam_aws_ini_value(ini, (iam_aws_section_kind)s->kind, s->name, e->parent, e->key);
        else
            iam_aws_ini_value(ini, (iam_aws_section_kind)s->kind, s->name, NULL, e->key);
    }
}

static void profile(const uint8_t *data, size_t size, const char *name, const iam_aws_ini *config,
                    const iam_aws_ini *credentials)
{
    iam_aws_profile p;
    iam_error err;
    iam_error_clear(&err);
    int rc = iam_aws_profile_from_ini(&p, name, config, credentials, &err);
    if (rc != IAM_OK) {
        FUZZ_ASSERT(rc == IAM_E_CONFIG || rc == IAM_E_NOMEM);
        return;
    }
    if (p.region)
        iam_aws_region_is_valid(p.region);
    /* Never run a command from fuzzed text. */
    if (!p.credential_process) {
        iam_aws_creds *c = NULL;
        rc = iam_aws_profile_credentials(&c, &p, &err);
        if (rc == IAM_OK) {
            FUZZ_ASSERT(c && p.aws_access_key_id && p.aws_secret_access_key);
            iam_aws_creds_release(c);
        } else {
            FUZZ_ASSERT(!c);
            fuzz_assert_secret_kept(&err, data, size, p.aws_secret_access_key);
            fuzz_assert_secret_kept(&err, data, size, p.aws_session_token);
        }
    }
    iam_aws_profile_clear(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    iam_aws_ini config, credentials;
    iam_error err;
    int rc1 = iam_aws_ini_parse(&config, (const char *)data, size, IAM_AWS_FILE_CONFIG, &err);
    int rc2 = iam_aws_ini_parse(&credentials, (const char *)data, size, IAM_AWS_FILE_CREDENTIALS,
                                &err);
    if (rc1 == IAM_OK && rc2 == IAM_OK) {
        check_file(&config, size);
        check_file(&credentials, size);
        /* The same text as both files: the merge rules see every key twice. */
        profile(data, size, NULL, &config, &credentials);
        profile(data, size, NULL, &config, NULL);
        profile(data, size, NULL, NULL, &credentials);
        for (size_t i = 0; i < config.section_count && i < 4; i++)
            if (config.sections[i].kind == IAM_AWS_SECTION_PROFILE)
                profile(data, size, config.sections[i].name, &config, &credentials);
        for (size_t i = 0; i < credentials.section_count && i < 4; i++)
            profile(data, size, credentials.sections[i].name, NULL, &credentials);
    }
    iam_aws_ini_free(&config);
    iam_aws_ini_free(&credentials);
    return 0;
}
