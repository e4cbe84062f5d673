/*
 * The AWS shared config (~/.aws/config) and credentials (~/.aws/credentials)
 * files.
 *
 * Parsers disagree on this format: botocore and the AWS CLI (both v1 and v2
 * read it with Python's configparser) against the SDKs' shared "profile file"
 * rules (aws-c-sdkutils, Java v2, Go v2, …). Where they differ these rules
 * follow the SDKs, unless noted. docs/aws-config-files.md has the same list
 * with examples; tests/c/test_aws_ini.c tests every rule (R1 … R23).
 *
 * Lines
 *  R1  Lines end with LF; a CR before it is dropped (CRLF files). A UTF-8 BOM
 *      at the start of the file is skipped. White space is space, tab, CR, FF,
 *      VT. A line containing a NUL byte is ignored (R18).
 *  R2  Blank lines are skipped. They do not end a property: an indented line
 *      after them still continues it (R16), as in configparser.
 *  R3  A comment line has `#` or `;` as its first non-blank character.
 *      (aws-c-sdkutils only recognises them in column 0; configparser after
 *      indentation too, which is safer in nested blocks.)
 *
 * Sections
 *  R4  A header line has `[` as its first non-blank character. The name is the
 *      text up to the first `]`, trimmed. Whatever follows `]` is ignored,
 *      comment or not (botocore and the SDKs both ignore it). No `]`: a
 *      malformed header (R17). A header is always a header, never the
 *      continuation of a value.
 *  R5  Config file: `[default]` and `[profile NAME]` are profiles (the word
 *      `profile` in lower case followed by white space). Any other header —
 *      `[sso-session x]`, `[services x]`, `[preview]`, `[profile]`,
 *      `[profilex]`, `[Profile x]` — is another kind of section, kept under its
 *      whole header text and never a profile.
 *  R6  Config file: NAME may be quoted, "my name" or 'my name' (quotes removed,
 *      no escapes): the CLI's `aws configure --profile "my name"` writes
 *      `[profile 'my name']`, and botocore reads it with shlex. An unquoted
 *      NAME containing white space or a quote, or an empty NAME, makes the
 *      header malformed (botocore drops such a section too).
 *  R7  Credentials file: every `[NAME]` is a profile, NAME verbatim (spaces and
 *      quote characters are part of it, as the CLI writes `[my name]` there).
 *      `[profile x]` is NOT a profile there: a malformed header (the SDKs
 *      reject it; botocore would call the profile "profile x").
 *  R8  Config file: when a `[profile default]` section exists anywhere in the
 *      file, every `[default]` section is ignored, whatever the order (the SDK
 *      rule). botocore and the CLI let the later of the two win.
 *  R9  Section and profile names are case-sensitive. `[DEFAULT]` is not
 *      `[default]` (configparser treats `[DEFAULT]` as defaults for every
 *      section and botocore inherits that; the SDKs do not).
 *  R10 A section that appears more than once is merged; a key in a later
 *      occurrence wins (botocore rejects the whole file; the SDKs merge).
 *
 * Properties
 *  R11 `key = value`, split at the first `=`. Only `=` is a delimiter: values
 *      are full of colons — ARNs (arn:aws:iam::123456789012:role/x), URLs,
 *      host:port, Windows paths — and one delimiter makes every line mean the
 *      same to every SDK. (configparser also accepts `key: value`; here that
 *      is an ignored line.)
 *  R12 Keys are trimmed and lower-cased (ASCII), as botocore does; the SDKs
 *      compare them case-sensitively. An empty key makes the line ignored.
 *  R13 Values are trimmed, may be empty, may contain `=`; quotes are kept.
 *  R14 On a property line (also continuation and nested lines), `#` or `;`
 *      preceded by white space starts a comment that runs to the end of the
 *      line; without white space before it, it is part of the value (a#b). The
 *      SDK rule; botocore has no inline comments at all
 *      (`region = us-east-1 # x` is "us-east-1 # x" there).
 *  R15 A key repeated in a section: the last one wins (botocore rejects the
 *      file). A later definition replaces an earlier one wholesale, nested
 *      sub-section or not.
 *  R16 A non-blank, non-comment, non-header line indented deeper than the
 *      current property's line continues that property:
 *        - if the property's value was empty, the lines are `key = value`
 *          pairs of a nested sub-section (`s3 =` then `  max_concurrent_requests
 *          = 20`): the property is no longer a plain key (iam_aws_ini_get
 *          returns NULL for it; iam_aws_ini_get_nested reads the pairs); a line
 *          without `=` there is ignored;
 *        - otherwise the line is appended to the value after a "\n"
 *          (configparser and the SDKs do the same).
 *      Any other line ends the property; so a section whose lines are all
 *      indented alike is read as plain keys.
 *  R17 A property before the first header, or after a malformed header,
 *      belongs to no section and is ignored: keys under a broken header never
 *      leak into the section before it. (The SDKs fail the whole file for a
 *      property before any section.)
 *  R18 Any other line is ignored and counted (ignored_lines,
 *      first_ignored_line); its text is never reported, it may hold a secret.
 *      botocore fails the whole file on such a line; skipping it keeps one
 *      stray line from hiding every profile.
 *
 * Files and profiles (the profile layer, below the parser)
 *  R19 A missing file (ENOENT, ENOTDIR) or one that is not a regular file
 *      (/dev/null, a directory) is empty, as in botocore. A file that exists
 *      but cannot be read, or is larger than 1 MiB, is IAM_E_CONFIG naming its
 *      path (botocore silently skips an unreadable file; we would rather say so
 *      than fall through to another identity).
 *  R20 AWS_CONFIG_FILE (default ~/.aws/config), AWS_SHARED_CREDENTIALS_FILE
 *      (default ~/.aws/credentials); "" counts as unset; `~` or a leading `~/`
 *      is $HOME, else the passwd entry's home; `~user` and $VARIABLES are not
 *      expanded (botocore expands both).
 *  R21 The profile: the argument, else AWS_PROFILE, else "default".
 *      AWS_DEFAULT_PROFILE (a CLI v1 leftover) is not read.
 *  R22 The credentials file wins over the config file key by key, except for
 *      the static keys (aws_access_key_id, aws_secret_access_key,
 *      aws_session_token): they come as a group from the credentials file when
 *      its profile has a key or a secret, else from the config file — never a
 *      token from one file with keys from the other (botocore's
 *      SharedCredentialProvider / ConfigProvider split).
 *  R23 An empty value counts as absent in iam_aws_profile (like an empty
 *      environment variable), also for the precedence of R22.
 */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "aws_ini.h"
#include "error.h"
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NO_INDEX SIZE_MAX

/* ---------------------------------------------------------------- parser */

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static char *trim_left(char *s)
{
    while (is_ws(*s))
        s++;
    return s;
}

/* Cut trailing white space of the string s (in place). */
static void trim_right(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && is_ws(s[n - 1]))
        s[--n] = '\0';
}

/* R14: cut an inline comment (`#` or `;` after white space), then trailing
 * white space. */
static void cut_comment(char *s)
{
    for (char *p = s; *p; p++) {
        if (is_ws(p[0]) && (p[1] == '#' || p[1] == ';')) {
            *p = '\0';
            break;
        }
    }
    trim_right(s);
}

static void lower_ascii(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

typedef struct parser {
    iam_aws_ini *ini;
    size_t line;
    size_t section;     /* current section, NO_INDEX: none (R17)             */
    size_t prop;        /* current property entry, NO_INDEX: none            */
    size_t prop_indent;
    int prop_nested;    /* the property's value was empty: a sub-section     */
    int oom;
} parser;

static void ignore_line(parser *ps)
{
    ps->ini->ignored_lines++;
    if (!ps->ini->first_ignored_line)
        ps->ini->first_ignored_line = ps->line;
}

static size_t add_section(parser *ps, const char *name, int kind, int prefixed)
{
    iam_aws_ini *ini = ps->ini;
    if (ini->section_count == ini->section_cap_) {
        size_t cap = ini->section_cap_ ? ini->section_cap_ * 2 : 8;
        iam_aws_ini_section *s = realloc(ini->sections, cap * sizeof *s);
        if (!s) {
            ps->oom = 1;
            return NO_INDEX;
        }
        ini->sections = s;
        ini->section_cap_ = cap;
    }
    ini->sections[ini->section_count] =
        (iam_aws_ini_section){.name = name, .kind = kind, .prefixed = prefixed, .line = ps->line};
    if (ini->kind == IAM_AWS_FILE_CONFIG && kind == IAM_AWS_SECTION_PROFILE && prefixed &&
        strcmp(name, "default") == 0)
        ini->has_prefixed_default = 1;
    return ini->section_count++;
}

static size_t add_entry(parser *ps, const char *key, const char *value, const char *parent)
{
    iam_aws_ini *ini = ps->ini;
    if (ini->entry_count == ini->entry_cap_) {
        size_t cap = ini->entry_cap_ ? ini->entry_cap_ * 2 : 16;
        iam_aws_ini_entry *e = realloc(ini->entries, cap * sizeof *e);
        if (!e) {
            ps->oom = 1;
            return NO_INDEX;
        }
        ini->entries = e;
        ini->entry_cap_ = cap;
    }
    ini->entries[ini->entry_count] = (iam_aws_ini_entry){
        .key = key, .value = value, .parent = parent, .section = ps->section, .line = ps->line};
    return ini->entry_count++;
}

/* R6: a profile name after "profile ", quotes removed. NULL if malformed. */
static char *profile_name(char *s)
{
    size_t n = strlen(s);
    if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
        s[n - 1] = '\0';
        s++;
        if (!*s || strchr(s, s[-1]))
            return NULL;
        return s;
    }
    for (char *p = s; *p; p++)
        if (is_ws(*p) || *p == '"' || *p == '\'')
            return NULL;
    return *s ? s : NULL;
}

/* "profile" followed by white space: returns what follows it, else NULL. */
static char *after_profile_keyword(char *s)
{
    if (strncmp(s, "profile", 7) != 0 || !is_ws(s[7]))
        return NULL;
    return trim_left(s + 7);
}

/* R4 – R7 */
static void parse_header(parser *ps, char *content)
{
    ps->section = NO_INDEX;
    ps->prop = NO_INDEX;
    char *close = strchr(content, ']');
    if (!close) {
        ignore_line(ps);
        return;
    }
    *close = '\0'; /* R4: the rest of the line is ignored */
    char *inner = trim_left(content + 1);
    trim_right(inner);
    if (!*inner) {
        ignore_line(ps);
        return;
    }
    char *rest = after_profile_keyword(inner);
    if (ps->ini->kind == IAM_AWS_FILE_CREDENTIALS) {
        if (rest) { /* R7 */
            ignore_line(ps);
            return;
        }
        ps->section = add_section(ps, inner, IAM_AWS_SECTION_PROFILE, 0);
    } else if (rest) {
        char *name = profile_name(rest);
        if (!name) {
            ignore_line(ps);
            return;
        }
        ps->section = add_section(ps, name, IAM_AWS_SECTION_PROFILE, 1);
    } else if (strcmp(inner, "default") == 0) {
        ps->section = add_section(ps, inner, IAM_AWS_SECTION_PROFILE, 0);
    } else {
        ps->section = add_section(ps, inner, IAM_AWS_SECTION_OTHER, 0);
    }
}

/* Split "key = value" in place (R11 – R13); the comment is already cut. */
static int split_pair(char *s, char **key, char **value)
{
    char *eq = strchr(s, '=');
    if (!eq)
        return -1;
    *eq = '\0';
    trim_right(s);
    if (!*s)
        return -1;
    lower_ascii(s);
    *key = s;
    *value = trim_left(eq + 1);
    return 0;
}

/* R16: the line continues the current property. */
static void parse_continuation(parser *ps, char *content)
{
    iam_aws_ini_entry *prop = &ps->ini->entries[ps->prop];
    cut_comment(content);
    if (ps->prop_nested) {
        char *key, *value;
        if (split_pair(content, &key, &value) != 0) {
            ignore_line(ps);
            return;
        }
        add_entry(ps, key, value, prop->key);
        return;
    }
    /* Append "\n" + content to the value, in place: the value ends before this
     * line starts (this line is indented, so at least two bytes lie between),
     * and nothing in between is referenced. */
    char *end = (char *)prop->value + strlen(prop->value);
    size_t n = strlen(content);
    *end = '\n';
    memmove(end + 1, content, n);
    end[1 + n] = '\0';
}

static void parse_property(parser *ps, char *content, size_t indent)
{
    ps->prop = NO_INDEX;
    cut_comment(content);
    char *key, *value;
    if (split_pair(content, &key, &value) != 0 || ps->section == NO_INDEX) {
        ignore_line(ps); /* R17, R18 */
        return;
    }
    ps->prop = add_entry(ps, key, value, NULL);
    ps->prop_indent = indent;
    ps->prop_nested = *value == '\0';
}

static void parse_line(parser *ps, char *line, size_t len)
{
    if (memchr(line, '\0', len)) { /* R1 */
        ps->prop = NO_INDEX;
        ignore_line(ps);
        return;
    }
    line[len] = '\0'; /* replaces the LF */
    size_t indent = 0;
    while (is_ws(line[indent]))
        indent++;
    char *content = line + indent;
    if (!*content)
        return; /* R2 */
    if (*content == '#' || *content == ';')
        return; /* R3 */
    if (*content == '[') {
        parse_header(ps, content);
        return;
    }
    if (ps->prop != NO_INDEX && indent > ps->prop_indent) {
        parse_continuation(ps, content);
        return;
    }
    parse_property(ps, content, indent);
}

void iam_aws_ini_free(iam_aws_ini *ini)
{
    if (!ini)
        return;
    if (ini->text_) {
        iam_wipe(ini->text_, ini->text_cap_);
        free(ini->text_);
    }
    free(ini->sections);
    free(ini->entries);
    iam_aws_file_kind kind = ini->kind;
    memset(ini, 0, sizeof *ini);
    ini->kind = kind;
}

/* Parse text[0..len) which lives in an owned, zeroable buffer of cap bytes
 * (cap > len). Takes the buffer over, also on failure. */
static int parse_owned(iam_aws_ini *out, char *text, size_t len, size_t cap,
                       iam_aws_file_kind kind, iam_error *err)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    out->text_ = text;
    out->text_cap_ = cap;
    text[len] = '\0';
    parser ps = {.ini = out, .section = NO_INDEX, .prop = NO_INDEX};
    size_t pos = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3; /* R1 */
    while (pos < len && !ps.oom) {
        char *line = text + pos;
        char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        ps.line++;
        parse_line(&ps, line, n);
        pos += n + 1;
    }
    if (ps.oom) {
        iam_aws_ini_free(out);
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    }
    return IAM_OK;
}

int iam_aws_ini_parse(iam_aws_ini *out, const char *text, size_t len, iam_aws_file_kind kind,
                      iam_error *err)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    if (len > IAM_AWS_INI_MAX_BYTES)
        return iam_error_set(err, IAM_E_CONFIG, "AWS %s file is larger than 1 MiB",
                             kind == IAM_AWS_FILE_CONFIG ? "config" : "credentials");
    char *copy = malloc(len + 1);
    if (!copy)
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    if (len)
        memcpy(copy, text, len);
    return parse_owned(out, copy, len, len + 1, kind, err);
}

int iam_aws_ini_read_file(iam_aws_ini *out, const char *path, iam_aws_file_kind kind,
                          iam_error *err)
{
    const char *what = kind == IAM_AWS_FILE_CONFIG ? "config" : "shared credentials";
    char why[128];
    memset(out, 0, sizeof *out);
    out->kind = kind;
    /* O_NONBLOCK: opening a FIFO must not block; it is then skipped (R19). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return IAM_OK;
        return iam_error_set(err, IAM_E_CONFIG, "cannot read the AWS %s file %s: %s", what, path,
                             iam_aws_errno_text(errno, why, sizeof why));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return IAM_OK;
    }
    if (st.st_size > IAM_AWS_INI_MAX_BYTES) {
        close(fd);
        return iam_error_set(err, IAM_E_CONFIG, "the AWS %s file %s is larger than 1 MiB", what,
                             path);
    }
    iam_buf b = {0};
    char chunk[4096];
    int rc = IAM_OK;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = iam_error_set(err, IAM_E_CONFIG, "cannot read the AWS %s file %s: %s", what,
                               path, iam_aws_errno_text(errno, why, sizeof why));
            break;
        }
        if (n == 0)
            break;
        iam_buf_append(&b, chunk, (size_t)n);
        if (b.len > IAM_AWS_INI_MAX_BYTES) { /* it grew since fstat */
            rc = iam_error_set(err, IAM_E_CONFIG, "the AWS %s file %s is larger than 1 MiB",
                               what, path);
            break;
        }
    }
    iam_wipe(chunk, sizeof chunk);
    close(fd);
    if (rc == IAM_OK && b.oom)
        rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
    if (rc != IAM_OK) {
        iam_buf_free(&b);
        return rc;
    }
    if (!b.data)
        return IAM_OK; /* empty file */
    return parse_owned(out, b.data, b.len, b.cap, kind, err);
}

/* ---------------------------------------------------------------- lookups */

static int section_matches(const iam_aws_ini *ini, size_t index, int kind, const char *name)
{
    const iam_aws_ini_section *s = &ini->sections[index];
    if (s->kind != kind || strcmp(s->name, name) != 0)
        return 0;
    /* R8 */
    if (kind == IAM_AWS_SECTION_PROFILE && ini->kind == IAM_AWS_FILE_CONFIG &&
        ini->has_prefixed_default && !s->prefixed)
        return 0;
    return 1;
}

int iam_aws_ini_has_section(const iam_aws_ini *ini, iam_aws_section_kind kind, const char *name)
{
    if (!ini || !name)
        return 0;
    for (size_t i = 0; i < ini->section_count; i++)
        if (section_matches(ini, i, (int)kind, name))
            return 1;
    return 0;
}

const char *iam_aws_ini_value(const iam_aws_ini *ini, iam_aws_section_kind kind, const char *name,
                              const char *parent, const char *key)
{
    if (!ini || !name || !key)
        return NULL;
    /* Backwards: the last definition wins (R10, R15). A plain key and a nested
     * sub-section of the same name replace each other. */
    for (size_t i = ini->entry_count; i-- > 0;) {
        const iam_aws_ini_entry *e = &ini->entries[i];
        if (!section_matches(ini, e->section, (int)kind, name))
            continue;
        if (!parent) {
            if (!e->parent && strcmp(e->key, key) == 0)
                return e->value;
            if (e->parent && strcmp(e->parent, key) == 0)
                return NULL; /* `key` is a sub-section */
        } else {
            if (e->parent && strcmp(e->parent, parent) == 0 && strcmp(e->key, key) == 0)
                return e->value;
            if (!e->parent && strcmp(e->key, parent) == 0)
                return NULL; /* reached the start of this sub-section's definition */
        }
    }
    return NULL;
}

int iam_aws_ini_has_profile(const iam_aws_ini *ini, const char *profile)
{
    return iam_aws_ini_has_section(ini, IAM_AWS_SECTION_PROFILE, profile);
}

const char *iam_aws_ini_get(const iam_aws_ini *ini, const char *profile, const char *key)
{
    return iam_aws_ini_value(ini, IAM_AWS_SECTION_PROFILE, profile, NULL, key);
}

const char *iam_aws_ini_get_nested(const iam_aws_ini *ini, const char *profile,
                                   const char *section_key, const char *key)
{
    if (!section_key)
        return NULL;
    return iam_aws_ini_value(ini, IAM_AWS_SECTION_PROFILE, profile, section_key, key);
}

/* ---------------------------------------------------------------- profiles */

void iam_aws_profile_clear(iam_aws_profile *p)
{
    if (!p)
        return;
    char **fields[] = {&p->aws_access_key_id, &p->aws_secret_access_key, &p->aws_session_token,
                       &p->region, &p->credential_process, &p->role_arn,
                       &p->web_identity_token_file, &p->role_session_name, &p->source_profile,
                       &p->credential_source};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        iam_secret_free(*fields[i]); /* any of them may hold something private */
    memset(p, 0, sizeof *p);
}

/* A non-empty value (R23), or NULL. */
static const char *nonempty(const iam_aws_ini *ini, const char *profile, const char *key)
{
    const char *v = iam_aws_ini_get(ini, profile, key);
    return v && *v ? v : NULL;
}

static void set_field(char **field, const char *value, int *oom)
{
    if (value) {
        *field = iam_strdup(value);
        if (!*field)
            *oom = 1;
    }
}

int iam_aws_profile_from_ini(iam_aws_profile *out, const char *profile, const iam_aws_ini *config,
                             const iam_aws_ini *credentials, iam_error *err)
{
    memset(out, 0, sizeof *out);
    int explicit_name = profile && *profile;
    if (!explicit_name)
        profile = "default";
    if (strlen(profile) >= sizeof out->name)
        return iam_error_set(err, IAM_E_CONFIG, "the AWS profile name is longer than %zu bytes",
                             sizeof out->name - 1);
    iam_copy_field(out->name, sizeof out->name, profile);
    out->explicit_name = explicit_name;
    out->found = iam_aws_ini_has_profile(credentials, profile) ||
                 iam_aws_ini_has_profile(config, profile);

    /* R22: the static keys as a group */
    const iam_aws_ini *keys = NULL;
    if (nonempty(credentials, profile, "aws_access_key_id") ||
        nonempty(credentials, profile, "aws_secret_access_key")) {
        keys = credentials;
        out->keys_file = "credentials file";
    } else if (nonempty(config, profile, "aws_access_key_id") ||
               nonempty(config, profile, "aws_secret_access_key")) {
        keys = config;
        out->keys_file = "config file";
    }
    int oom = 0;
    if (keys) {
        set_field(&out->aws_access_key_id, nonempty(keys, profile, "aws_access_key_id"), &oom);
        set_field(&out->aws_secret_access_key, nonempty(keys, profile, "aws_secret_access_key"),
                  &oom);
        set_field(&out->aws_session_token, nonempty(keys, profile, "aws_session_token"), &oom);
    }

    /* R22: everything else key by key, the credentials file first */
    static const struct {
        const char *key;
        size_t offset;
    } others[] = {
        {"region", offsetof(iam_aws_profile, region)},
        {"credential_process", offsetof(iam_aws_profile, credential_process)},
        {"role_arn", offsetof(iam_aws_profile, role_arn)},
        {"web_identity_token_file", offsetof(iam_aws_profile, web_identity_token_file)},
        {"role_session_name", offsetof(iam_aws_profile, role_session_name)},
        {"source_profile", offsetof(iam_aws_profile, source_profile)},
        {"credential_source", offsetof(iam_aws_profile, credential_source)},
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        const char *v = nonempty(credentials, profile, others[i].key);
        if (!v)
            v = nonempty(config, profile, others[i].key);
        set_field((char **)((char *)out + others[i].offset), v, &oom);
    }
    if (oom) {
        iam_aws_profile_clear(out);
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    }
    return IAM_OK;
}

int iam_aws_profile_parse(iam_aws_profile *out, const char *profile, const char *config_text,
                          size_t config_len, const char *credentials_text, size_t credentials_len,
                          iam_error *err)
{
    iam_aws_ini cfg = {0}, cred = {0};
    int rc = IAM_OK;
    memset(out, 0, sizeof *out);
    if (config_text)
        rc = iam_aws_ini_parse(&cfg, config_text, config_len, IAM_AWS_FILE_CONFIG, err);
    if (rc == IAM_OK && credentials_text)
        rc = iam_aws_ini_parse(&cred, credentials_text, credentials_len,
                               IAM_AWS_FILE_CREDENTIALS, err);
    if (rc == IAM_OK)
        rc = iam_aws_profile_from_ini(out, profile, config_text ? &cfg : NULL,
                                      credentials_text ? &cred : NULL, err);
    iam_aws_ini_free(&cfg);
    iam_aws_ini_free(&cred);
    return rc;
}

/* R20: the home directory, or NULL. */
static const char *home_dir(char *buf, size_t cap)
{
    const char *home = iam_aws_getenv("HOME");
    if (home)
        return home;
    struct passwd pw, *res = NULL;
    if (getpwuid_r(getuid(), &pw, buf, cap, &res) == 0 && res && res->pw_dir && *res->pw_dir)
        return res->pw_dir;
    return NULL;
}

/* R20: the path of one file into dst. IAM_OK; IAM_AWS_NOT_FOUND when it
 * depends on a home directory there is none of; IAM_E_CONFIG when too long. */
static int file_path(char *dst, size_t cap, const char *variable, const char *fallback,
                     iam_error *err)
{
    const char *path = iam_aws_getenv(variable);
    if (!path)
        path = fallback;
    int n;
    if (path[0] == '~' && (path[1] == '/' || path[1] == '\0')) {
        char pwbuf[1024];
        const char *home = home_dir(pwbuf, sizeof pwbuf);
        if (!home)
            return IAM_AWS_NOT_FOUND;
        n = snprintf(dst, cap, "%s%s", home, path + 1);
    } else {
        n = snprintf(dst, cap, "%s", path);
    }
    if (n < 0 || (size_t)n >= cap)
        return iam_error_set(err, IAM_E_CONFIG, "%s is too long", variable);
    return IAM_OK;
}

int iam_aws_profile_load(iam_aws_profile *out, const char *profile, iam_error *err)
{
    memset(out, 0, sizeof *out);
    if (!profile || !*profile)
        profile = iam_aws_getenv("AWS_PROFILE"); /* R21 */
    if (profile && strlen(profile) >= sizeof out->name)
        return iam_error_set(err, IAM_E_CONFIG, "the AWS profile name is longer than %zu bytes",
                             sizeof out->name - 1);

    char config_path[PATH_MAX], credentials_path[PATH_MAX];
    iam_aws_ini cfg = {.kind = IAM_AWS_FILE_CONFIG}, cred = {.kind = IAM_AWS_FILE_CREDENTIALS};
    int rc = file_path(config_path, sizeof config_path, "AWS_CONFIG_FILE", "~/.aws/config", err);
    if (rc == IAM_OK)
        rc = iam_aws_ini_read_file(&cfg, config_path, IAM_AWS_FILE_CONFIG, err);
    if (rc == IAM_AWS_NOT_FOUND)
        rc = IAM_OK; /* no home directory: no file */
    if (rc == IAM_OK) {
        rc = file_path(credentials_path, sizeof credentials_path, "AWS_SHARED_CREDENTIALS_FILE",
                       "~/.aws/credentials", err);
        if (rc == IAM_OK)
            rc = iam_aws_ini_read_file(&cred, credentials_path, IAM_AWS_FILE_CREDENTIALS, err);
        if (rc == IAM_AWS_NOT_FOUND)
            rc = IAM_OK;
    }
    if (rc == IAM_OK)
        rc = iam_aws_profile_from_ini(out, profile, &cfg, &cred, err);
    iam_aws_ini_free(&cfg);
    iam_aws_ini_free(&cred);
    return rc;
}

static int static_keys(iam_aws_creds **out, const iam_aws_profile *p, iam_error *err)
{
    if (!p->aws_access_key_id || !p->aws_secret_access_key) {
        const char *has = p->aws_access_key_id ? "aws_access_key_id" : "aws_secret_access_key";
        const char *lacks = p->aws_access_key_id ? "aws_secret_access_key" : "aws_access_key_id";
        return iam_error_set(err, IAM_E_CONFIG,
                             "AWS profile \"%s\" (%s): %s is set but %s is missing", p->name,
                             p->keys_file ? p->keys_file : "config", has, lacks);
    }
    *out = iam_aws_creds_new(p->aws_access_key_id, p->aws_secret_access_key, p->aws_session_token,
                             0, "profile");
    if (!*out)
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    return IAM_OK;
}

int iam_aws_profile_credentials(iam_aws_creds **out, const iam_aws_profile *p, iam_error *err)
{
    *out = NULL;
    if (!p->found) {
        if (p->explicit_name)
            return iam_error_set(err, IAM_E_CONFIG,
                                 "the AWS profile \"%s\" is not in the config or shared "
                                 "credentials file",
                                 p->name);
        return IAM_AWS_NOT_FOUND;
    }
    if (p->role_arn)
        return IAM_AWS_NOT_FOUND;
    int has_keys = p->aws_access_key_id || p->aws_secret_access_key;
    if (has_keys && p->keys_file && strcmp(p->keys_file, "credentials file") == 0)
        return static_keys(out, p, err);
    if (p->credential_process)
        return iam_aws_process_credentials(out, p->credential_process, 0, err);
    if (has_keys)
        return static_keys(out, p, err);
    return IAM_AWS_NOT_FOUND;
}
