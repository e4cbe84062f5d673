/* credential_process: the JSON a process prints on stdout, and the excerpt of
 * its stderr that goes into the error when it fails. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "aws_credentials.h"
#include "json.h"

/* The excerpt in a buffer of cap bytes; checks what any excerpt must be. */
static char *excerpt(const uint8_t *data, size_t size, size_t cap)
{
    char *dst = malloc(cap);
    iam_aws_process_stderr_excerpt(dst, cap, (const char *)data, size);
    size_t n = strlen(dst);
    FUZZ_ASSERT(n < cap && n <= 200);
    FUZZ_ASSERT(n == 0 || (dst[0] != ' ' && dst[n - 1] != ' '));
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)dst[i];
        FUZZ_ASSERT(c >= 0x20 && c != 0x7f);                    /* one line, no controls */
        FUZZ_ASSERT(!(c == ' ' && i > 0 && dst[i - 1] == ' ')); /* runs collapsed        */
    }
    return dst;
}

/* A smaller buffer cuts the same text earlier: a prefix, shorter than the
 * room only by a UTF-8 sequence the cut would split (at most 3 bytes) and the
 * space before it. */
static void check_excerpts(const uint8_t *data, size_t size, size_t cap)
{
    char *full = excerpt(data, size, 201);
    char *cut = excerpt(data, size, cap);
    size_t fn = strlen(full), cn = strlen(cut), room = cap - 1 < fn ? cap - 1 : fn;
    FUZZ_ASSERT(cn <= room && cn + 4 >= room);
    FUZZ_ASSERT(strncmp(full, cut, cn) == 0);
    free(full);
    free(cut);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    iam_aws_creds *c = NULL;
    iam_error err;
    iam_error_clear(&err);
    int rc = iam_aws_process_parse_output(&c, (const char *)data, size, &err);
    cJSON *root = iam_json_parse((const char *)data, size);
    const char *akid = iam_json_string(root, "AccessKeyId");
    const char *secret = iam_json_string(root, "SecretAccessKey");
    const char *token = iam_json_string(root, "SessionToken");
    if (rc == IAM_OK) {
        FUZZ_ASSERT(c && akid && secret);
        iam_aws_credentials v = iam_aws_creds_view(c);
        FUZZ_ASSERT(strcmp(v.access_key_id, akid) == 0);
        FUZZ_ASSERT(strcmp(v.secret_access_key, secret) == 0);
        FUZZ_ASSERT(token && *token ? v.session_token && strcmp(v.session_token, token) == 0
                                    : v.session_token == NULL || *v.session_token == '\0');
        FUZZ_ASSERT(strcmp(iam_aws_creds_source(c), "process") == 0);
        iam_aws_creds_release(c);
    } else {
        FUZZ_ASSERT(!c && (rc == IAM_E_PARSE || rc == IAM_E_NOMEM));
        FUZZ_ASSERT(strncmp(err.message, "credential_process output", 25) == 0);
        fuzz_assert_secret_kept(&err, data, size, akid);
        fuzz_assert_secret_kept(&err, data, size, secret);
        fuzz_assert_secret_kept(&err, data, size, token);
    }
    iam_json_free(root);

    check_excerpts(data, size, 1 + size % 200);
    return 0;
}
