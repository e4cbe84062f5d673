/* The HTTP layer against the emulator: methods, bodies, headers, statuses. */
#define _GNU_SOURCE
#include "check.h"
#include "emulator.h"
#include "http.h"

static iam_http *client(void)
{
    iam_http_options o = {.timeout_ms = 5000, .connect_timeout_ms = 2000, .max_retries = 0,
                          .max_response_bytes = 1 << 20, .user_agent = "iamcore-test"};
    iam_http *h = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_http_new(&h, &o, &err), IAM_OK);
    return h;
}

static char *last_method(void)
{
    char *body = control("requests", NULL);
    cJSON *root = body ? cJSON_Parse(body) : NULL;
    cJSON *list = cJSON_GetObjectItem(root, "requests");
    cJSON *last = cJSON_GetArrayItem(list, cJSON_GetArraySize(list) - 1);
    cJSON *m = cJSON_GetObjectItem(last, "method");
    char *out = cJSON_IsString(m) ? strdup(m->valuestring) : NULL;
    cJSON_Delete(root);
    free(body);
    return out;
}

static void each_method_reaches_the_server(void)
{
    char url[256];
    snprintf(url, sizeof url, "%s/identity/token", http_url);
    iam_http *h = client();
    const char *methods[] = {"GET", "PUT", "POST", "GET"};
    for (size_t i = 0; i < 4; i++) {
        reset();
        iam_http_response resp;
        iam_error err;
        const char *lines[] = {"Content-Type: application/x-www-form-urlencoded"};
        CHECK_EQ_INT(iam_http_request(h, methods[i], url, lines, 1, "grant_type=x", 12, &resp, &err),
                     IAM_OK);
        char *m = last_method();
        CHECK_EQ_STR(m, methods[i]);
        free(m);
        /* The emulator answers 405 to anything but POST, 400 to an unknown grant. */
        CHECK_EQ_INT(resp.status, strcmp(methods[i], "POST") == 0 ? 400 : 405);
        CHECK(resp.body.len > 0);
        CHECK(strncmp(resp.transaction_id, "emu-", 4) == 0);
        iam_http_response_free(&resp);
    }
    iam_http_free(h);
}

int main(void)
{
    http_url = getenv("IAMCORE_EMULATOR_HTTP");
    if (!http_url) {
        fprintf(stderr, "IAMCORE_EMULATOR_HTTP not set: run through tests/c/run.sh\n");
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    RUN(each_method_reaches_the_server);
    curl_global_cleanup();
    return CHECK_DONE();
}
