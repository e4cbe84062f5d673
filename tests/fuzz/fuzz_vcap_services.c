/* VCAP_SERVICES (JSON in an environment variable): the configuration load for
 * service "my-service" when neither the credentials file nor MY_SERVICE_*
 * variables have anything. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "iamcore_env.h"
#include "json.h"

static char vcap[FUZZ_ENV_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* A file that does not exist: the file source is empty, the default
     * paths are not tried. */
    setenv("IBM_CREDENTIALS_FILE", "/nonexistent/iamcore-fuzz/ibm-credentials.env", 1);
    static const char *const props[] = {"APIKEY", "AUTH_TYPE", "AUTHTYPE", "URL", "USERNAME",
                                        "PASSWORD", "AUTH_URL"};
    char name[64];
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
        snprintf(name, sizeof name, "MY_SERVICE_%s", props[i]);
        unsetenv(name);
    }
    return 0;
}

/* The entry the load reads (the documented rule, written out again): the
 * first one named "my-service" in any list, else the first of the list under
 * that key. */
static const cJSON *entry_of(const cJSON *services)
{
    const cJSON *list, *entry;
    cJSON_ArrayForEach(list, services) {
        if (!cJSON_IsArray(list))
            continue;
        cJSON_ArrayForEach(entry, list) {
            const char *name = iam_json_string(entry, "name");
            if (name && strcmp(name, "my-service") == 0)
                return entry;
        }
    }
    list = cJSON_GetObjectItemCaseSensitive(services, "my-service");
    entry = cJSON_IsArray(list) ? cJSON_GetArrayItem(list, 0) : NULL;
    return cJSON_IsObject(entry) ? entry : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_putenv(vcap, sizeof vcap, "VCAP_SERVICES", data, size);
    iam_env_properties *p = NULL;
    iam_error err;
    iam_error_clear(&err);
    int rc = iam_env_properties_load(&p, "my-service", &err);
    if (rc == IAM_OK) {
        FUZZ_ASSERT(p && strcmp(iam_env_source(p), "VCAP_SERVICES") == 0);
        const char *type = iam_env_auth_type(p);
        FUZZ_ASSERT(strcmp(type, "iam") == 0 || strcmp(type, "basic") == 0);
        iam_config cfg = IAM_CONFIG_INIT;
        iam_env_fill_config(p, &cfg, NULL, &err);
        iam_env_properties_free(p);
        return 0;
    }
    FUZZ_ASSERT(!p && rc == IAM_E_CONFIG);
    const char *text = vcap + strlen("VCAP_SERVICES=");
    cJSON *root = iam_json_parse(text, strlen(text));
    const cJSON *credentials =
        cJSON_GetObjectItemCaseSensitive(cJSON_IsObject(root) ? entry_of(root) : NULL,
                                         "credentials");
    const char *apikey = iam_json_string(credentials, "apikey"); /* else iam_apikey */
    fuzz_assert_secret_kept(&err, data, size,
                            apikey && *apikey ? apikey : iam_json_string(credentials, "iam_apikey"));
    fuzz_assert_secret_kept(&err, data, size, iam_json_string(credentials, "password"));
    iam_json_free(root);
    return 0;
}
