/* URLs from configuration: the SigV4 URL splitter (iam_aws_url_parts), the
 * region in an RDS or DSQL host name, the IBM token URL, and the container
 * credentials endpoint from AWS_CONTAINER_CREDENTIALS_FULL_URI / _RELATIVE_URI
 * (http only to a loopback address or the container hosts). */
#define _GNU_SOURCE
#include "fuzz.h"
#include "aws_container.h"
#include "aws_region.h"
#include "iam_request.h"
#include "iamcore_aws.h"

static char full_uri[FUZZ_ENV_MAX], relative_uri[FUZZ_ENV_MAX];

static void container_url(const char *variable, char *buf, const uint8_t *data, size_t size)
{
    unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    buf[0] = '\0'; /* putenv again: unsetenv dropped it */
    fuzz_putenv(buf, FUZZ_ENV_MAX, variable, data, size);
    char *url = NULL;
    iam_error err;
    iam_error_clear(&err);
    int rc = iam_aws_container_url(&url, &err);
    const char *value = strchr(buf, '=') + 1;
    if (rc == IAM_OK) {
        FUZZ_ASSERT(url != NULL);
        if (strcmp(variable, "AWS_CONTAINER_CREDENTIALS_FULL_URI") == 0)
            FUZZ_ASSERT(strcmp(url, value) == 0);
        else
            FUZZ_ASSERT(strncmp(url, "http://169.254.170.2/", 21) == 0 &&
                        strcmp(url + 20, value) == 0);
        free(url);
    } else {
        FUZZ_ASSERT(!url && (rc == IAM_AWS_NOT_FOUND || rc == IAM_E_CONFIG));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);

    char *host = NULL, *target = NULL;
    iam_error err;
    if (iam_aws_url_parts(&host, &target, text, &err) == IAM_OK) {
        FUZZ_ASSERT(host && target && target[0] == '/');
        char region[64];
        if (iam_aws_region_from_host(host, region, sizeof region) == 0)
            FUZZ_ASSERT(strlen(region) > 0 && strlen(region) < sizeof region);
        free(host);
        iam_aws_string_free(target);
    } else {
        FUZZ_ASSERT(!host && !target);
    }

    char region[64];
    if (iam_aws_region_from_host(text, region, sizeof region) == 0)
        FUZZ_ASSERT(strlen(region) > 0 && strlen(region) < sizeof region);

    char *token_url = iam_token_url(text);
    FUZZ_ASSERT(token_url);
    size_t n = strlen(token_url);
    FUZZ_ASSERT(n >= 15 && strcmp(token_url + n - 15, "/identity/token") == 0);
    free(token_url);

    container_url("AWS_CONTAINER_CREDENTIALS_FULL_URI", full_uri, data, size);
    container_url("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", relative_uri, data, size);
    free(text);
    return 0;
}
