/* Small helpers over cJSON. */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "json.h"
#include "secret.h"

#include <math.h>
#include <string.h>

cJSON *iam_json_parse(const char *text, size_t len)
{
    if (!text || !len)
        return NULL;
    /* ParseWithLengthOpts with a NULL end pointer does not set the global error
     * pointer that cJSON_Parse uses (not thread-safe). */
    return cJSON_ParseWithLengthOpts(text, len, NULL, 0);
}

static void wipe_tree(cJSON *node)
{
    for (; node; node = node->next) {
        if (node->valuestring)
            iam_wipe(node->valuestring, strlen(node->valuestring));
        if (node->child)
            wipe_tree(node->child);
    }
}

void iam_json_free(cJSON *root)
{
    if (!root)
        return;
    wipe_tree(root);
    cJSON_Delete(root);
}

const char *iam_json_string(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

int iam_json_int(const cJSON *obj, const char *name, int64_t *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsNumber(item))
        return -1;
    double v = item->valuedouble;
    if (!isfinite(v) || v > 9007199254740992.0 || v < -9007199254740992.0)
        return -1;
    *out = (int64_t)v;
    return 0;
}
