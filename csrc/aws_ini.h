/* The AWS shared config and credentials files: an INI parser (the rules are
 * at the top of aws_ini.c and in docs/aws-config-files.md) and the profile
 * layer that reads both files, merges them and turns a profile into
 * credentials. */
#ifndef IAMCORE_AWS_INI_H
#define IAMCORE_AWS_INI_H

#include "aws_credentials.h"

#include <stddef.h>

/* Larger files are refused (IAM_E_CONFIG). */
#define IAM_AWS_INI_MAX_BYTES (1024 * 1024)

/* ---------------------------------------------------------------- parser */

typedef enum iam_aws_file_kind {
    IAM_AWS_FILE_CONFIG = 0,      /* ~/.aws/config: [default], [profile name], others */
    IAM_AWS_FILE_CREDENTIALS = 1  /* ~/.aws/credentials: [name]                       */
} iam_aws_file_kind;

typedef enum iam_aws_section_kind {
    IAM_AWS_SECTION_PROFILE = 1,
    IAM_AWS_SECTION_OTHER = 2     /* config file only: [sso-session x], [services x],
                                     [preview], … named by their whole header text  */
} iam_aws_section_kind;

/* One section header as it appears in the file (a name may appear several
 * times: lookups merge the occurrences). */
typedef struct iam_aws_ini_section {
    const char *name;   /* profile name (quotes removed), or the header text   */
    int kind;           /* iam_aws_section_kind                                 */
    int prefixed;       /* config file: written "[profile name]"               */
    size_t line;        /* 1-based line of the header                          */
} iam_aws_ini_section;

/* One `key = value` line, in file order. */
typedef struct iam_aws_ini_entry {
    const char *key;    /* lower-cased                                          */
    const char *value;  /* trimmed, possibly "", possibly a secret              */
    const char *parent; /* NULL: a key of the section; else the key of the
                           nested sub-section this line belongs to             */
    size_t section;     /* index into sections                                  */
    size_t line;
} iam_aws_ini_entry;

/* A parsed file. Every string points into a private copy of the text, which
 * iam_aws_ini_free zeroes. Read it through the lookup functions below (they
 * apply "last wins", merging and the [profile default] rule); the arrays are
 * exposed for tests and diagnostics. */
typedef struct iam_aws_ini {
    iam_aws_file_kind kind;
    iam_aws_ini_section *sections;
    size_t section_count;
    iam_aws_ini_entry *entries;
    size_t entry_count;
    size_t ignored_lines;      /* lines that were neither blank, a comment, a header
                                  nor a key = value line of a section            */
    size_t first_ignored_line; /* 1-based; 0: none. Lines are never reported by
                                  their text, which may hold a secret.          */
    int has_prefixed_default;  /* config file has [profile default]              */
    char *text_;               /* private */
    size_t text_cap_;
    size_t section_cap_, entry_cap_;
} iam_aws_ini;

/* Parse len bytes of text (no NUL needed). A pure function: no I/O, no
 * environment. IAM_E_CONFIG when len > IAM_AWS_INI_MAX_BYTES, IAM_E_NOMEM.
 * Malformed lines are not errors: they are counted and skipped. On failure
 * *out is empty (and safe to free). */
int iam_aws_ini_parse(iam_aws_ini *out, const char *text, size_t len, iam_aws_file_kind kind,
                      iam_error *err);

/* Read and parse a file. A missing file or one that is not a regular file
 * (/dev/null, a directory) parses as empty; other read errors and files over
 * 1 MiB are IAM_E_CONFIG naming the path. */
int iam_aws_ini_read_file(iam_aws_ini *out, const char *path, iam_aws_file_kind kind,
                          iam_error *err);

/* Zero the text and free everything; *ini is left empty. NULL is ignored. */
void iam_aws_ini_free(iam_aws_ini *ini);

/* Whether a section of this kind and name exists (possibly without keys). */
int iam_aws_ini_has_section(const iam_aws_ini *ini, iam_aws_section_kind kind, const char *name);

/* The value of `key` in the section, NULL if absent. With parent NULL: a key of
 * the section itself (NULL when that key is a nested sub-section); else `key`
 * inside the nested sub-section `parent`. key and parent are compared
 * lower-cased-exact: pass them in lower case. */
const char *iam_aws_ini_value(const iam_aws_ini *ini, iam_aws_section_kind kind, const char *name,
                              const char *parent, const char *key);

/* Shorthands for profile sections. */
int iam_aws_ini_has_profile(const iam_aws_ini *ini, const char *profile);
const char *iam_aws_ini_get(const iam_aws_ini *ini, const char *profile, const char *key);
const char *iam_aws_ini_get_nested(const iam_aws_ini *ini, const char *profile,
                                   const char *section_key, const char *key);

/* ---------------------------------------------------------------- profiles */

/* The settings of one profile, merged from both files. Every string is owned
 * (iam_aws_profile_clear frees them); NULL when absent or empty. */
typedef struct iam_aws_profile {
    char name[128];
    int found;                  /* any section for the name in either file       */
    char *aws_access_key_id;
    char *aws_secret_access_key; /* secret */
    char *aws_session_token;     /* secret */
    char *region;
    char *credential_process;
    char *role_arn;
    char *web_identity_token_file;
    char *role_session_name;
    char *source_profile;
    char *credential_source;
    int explicit_name;          /* the name was asked for (argument or AWS_PROFILE),
                                   not the "default" fallback                      */
    const char *keys_file;      /* where the three static-key fields come from:
                                   "credentials file", "config file" or NULL       */
} iam_aws_profile;

/*
 * Load a profile: profile NULL or "" means AWS_PROFILE, else "default". Reads
 * AWS_CONFIG_FILE (default ~/.aws/config) and AWS_SHARED_CREDENTIALS_FILE
 * (default ~/.aws/credentials); "~" and a leading "~/" are $HOME (else the
 * passwd entry); a variable set to "" counts as unset. A missing file is empty.
 * Precedence: the credentials file wins key by key; the static keys
 * (aws_access_key_id, aws_secret_access_key, aws_session_token) come as a group
 * from the credentials file when it has a key or secret for the profile, else
 * from the config file (botocore). found = 0 is not an error here.
 * IAM_E_CONFIG: a name of 128 bytes or more, a path too long, an unreadable or
 * oversized file. On failure *out is cleared.
 */
int iam_aws_profile_load(iam_aws_profile *out, const char *profile, iam_error *err);

/* The same from already-parsed files (config or credentials may be NULL:
 * no such file). profile NULL or "" means "default" (not explicit). Pure. */
int iam_aws_profile_from_ini(iam_aws_profile *out, const char *profile, const iam_aws_ini *config,
                             const iam_aws_ini *credentials, iam_error *err);

/* The same from file contents in memory (NULL text: no such file). Pure: for
 * tests and for callers that read the files themselves. */
int iam_aws_profile_parse(iam_aws_profile *out, const char *profile, const char *config_text,
                          size_t config_len, const char *credentials_text, size_t credentials_len,
                          iam_error *err);

/* Free the strings (zeroing them) and reset *p. NULL is ignored. */
void iam_aws_profile_clear(iam_aws_profile *p);

/*
 * Credentials of a loaded profile, in botocore's order:
 *   profile not found       IAM_E_CONFIG if its name was asked for (botocore's
 *                           ProfileNotFound), else IAM_AWS_NOT_FOUND
 *   role_arn set            IAM_AWS_NOT_FOUND: the assume-role / web-identity
 *                           providers own this profile (botocore consults them
 *                           before the profile's own keys)
 *   static keys from the credentials file            → "profile"
 *   credential_process (either file)                 → run it, "process"
 *   static keys from the config file                 → "profile"
 *   nothing                 IAM_AWS_NOT_FOUND
 * A key without its secret, or a secret without its key, is IAM_E_CONFIG naming
 * the profile, the file and the key names (never a value).
 */
int iam_aws_profile_credentials(iam_aws_creds **out, const iam_aws_profile *p, iam_error *err);

#endif
