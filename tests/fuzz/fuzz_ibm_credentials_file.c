/* The IBM credentials file (ibm-credentials.env): the line parser, then the
 * whole configuration load from such a file (service "my-service": keys
 * MY_SERVICE_*), its checks, and an authenticator made from it. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "credentials_file.h"
#include "iamcore_env.h"

static const char *const secret_keys[] = {"MY_SERVICE_APIKEY", "MY_SERVICE_CLIENT_SECRET",
                                          "MY_SERVICE_PASSWORD", "MY_SERVICE_BEARER_TOKEN",
                                          "MY_SERVICE_REFRESH_TOKEN"};
#define SECRET_KEYS (sizeof secret_keys / sizeof secret_keys[0])

typedef struct seen {
    size_t lines;
    char *secrets[SECRET_KEYS]; /* the last value of each secret key */
} seen;

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int on_line(const char *key, const char *value, void *ctx)
{
    seen *s = ctx;
    size_t klen = strlen(key);
    FUZZ_ASSERT(klen > 0 && !is_blank(key[0]) && !is_blank(key[klen - 1]));
    FUZZ_ASSERT(key[0] != '#' && !strchr(key, '=') && !strchr(key, '\n'));
    FUZZ_ASSERT(!strchr(value, '\n'));
    s->lines++;
    for (size_t i = 0; i < SECRET_KEYS; i++)
        if (strcmp(key, secret_keys[i]) == 0 && *value) { /* empty: absent */
            free(s->secrets[i]);
            s->secrets[i] = strdup(value);
        }
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    unsetenv("VCAP_SERVICES");
    for (size_t i = 0; i < SECRET_KEYS; i++)
        unsetenv(secret_keys[i]);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    seen s = {0};
    char *text = fuzz_cstr(data, size);
    iam_credentials_parse(text, size, on_line, &s);
    free(text);

    setenv("IBM_CREDENTIALS_FILE", fuzz_file(data, size), 1);
    iam_env_properties *p = NULL;
    iam_error err;
    iam_error_clear(&err);
    int rc = iam_env_properties_load(&p, "my-service", &err);
    if (rc == IAM_OK) {
        FUZZ_ASSERT(p && strncmp(iam_env_source(p), "credentials file ", 17) == 0);
        FUZZ_ASSERT(iam_env_auth_type(p) != NULL);
        iam_auth *a = NULL;
        iam_config base = IAM_CONFIG_INIT;
        rc = iam_env_auth_new(&a, p, &base, &err);
        if (rc == IAM_OK)
            iam_auth_free(a);
        iam_env_properties_free(p);
    } else {
        FUZZ_ASSERT(!p && rc == IAM_E_CONFIG);
    }
    if (rc != IAM_OK)
        for (size_t i = 0; i < SECRET_KEYS; i++)
            fuzz_assert_secret_kept(&err, data, size, s.secrets[i]);
    for (size_t i = 0; i < SECRET_KEYS; i++)
        iam_secret_free(s.secrets[i]);
    return 0;
}
