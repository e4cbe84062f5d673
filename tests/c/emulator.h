/* The local emulator's control API, for C tests run through tests/c/run.sh
 * (which starts the emulator and exports IAMCORE_EMULATOR_*). */
#ifndef IAMCORE_TEST_EMULATOR_H
#define IAMCORE_TEST_EMULATOR_H

#include <cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *http_url; /* set from IAMCORE_EMULATOR_HTTP by main() */

static inline size_t collect(char *d, size_t s, size_t n, void *u)
{
    char **buf = u;
    size_t old = *buf ? strlen(*buf) : 0;
    char *grown = realloc(*buf, old + s * n + 1);
    if (!grown)
        return 0;
    memcpy(grown + old, d, s * n);
    grown[old + s * n] = '\0';
    *buf = grown;
    return s * n;
}

static inline char *control(const char *path, const char *json)
{
    char url[256];
    snprintf(url, sizeof url, "%s/_emulator/%s", http_url, path);
    CURL *c = curl_easy_init();
    char *body = NULL;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (json)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    if (curl_easy_perform(c) != CURLE_OK)
        fprintf(stderr, "  emulator control %s failed\n", path);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return body;
}

static inline int request_count(void)
{
    char *body = control("requests", NULL);
    int n = -1;
    const char *p = body ? strstr(body, "\"count\":") : NULL;
    if (p)
        n = atoi(p + 8 + (p[8] == ' '));
    free(body);
    return n;
}

static inline void reset(void)
{
    free(control("reset", "{}"));
}

static inline void enqueue(const char *json)
{
    free(control("enqueue", json));
}

/* How many requests reached one endpoint ("iam", "sts", "container", "imds-…"). */
static inline int endpoint_count(const char *endpoint)
{
    char path[64];
    snprintf(path, sizeof path, "requests?endpoint=%s", endpoint);
    char *body = control(path, NULL);
    cJSON *root = body ? cJSON_Parse(body) : NULL;
    cJSON *n = cJSON_GetObjectItem(root, "count");
    int out = cJSON_IsNumber(n) ? n->valueint : -1;
    cJSON_Delete(root);
    free(body);
    return out;
}

/* A copy of last_request[group][name] (group "form" or "headers"), or NULL. */
static inline char *last_request_item(const char *group, const char *name)
{
    char *body = control("requests", NULL);
    cJSON *root = body ? cJSON_Parse(body) : NULL;
    cJSON *list = cJSON_GetObjectItem(root, "requests");
    cJSON *last = cJSON_GetArrayItem(list, cJSON_GetArraySize(list) - 1);
    cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(last, group), name);
    char *out = cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
    cJSON_Delete(root);
    free(body);
    return out;
}

static inline void token_settings(const char *json)
{
    free(control("token-settings", json));
}

/* Every recorded request of `endpoint` (NULL: all), oldest first: the parsed
 * answer of /_emulator/requests (free with cJSON_Delete), or NULL. */
static inline cJSON *requests_of(const char *endpoint)
{
    char path[96];
    if (endpoint)
        snprintf(path, sizeof path, "requests?endpoint=%s", endpoint);
    else
        snprintf(path, sizeof path, "requests");
    char *body = control(path, NULL);
    cJSON *root = body ? cJSON_Parse(body) : NULL;
    free(body);
    return root;
}

/* Request i (negative: from the end) of a requests_of() answer, borrowed. */
static inline cJSON *request_at(cJSON *root, int i)
{
    cJSON *list = cJSON_GetObjectItem(root, "requests");
    int n = cJSON_GetArraySize(list);
    return cJSON_GetArrayItem(list, i < 0 ? n + i : i);
}

/* request[group][name] (group "form" or "headers"), or request[name] when group
 * is NULL, as a borrowed string; NULL when absent. */
static inline const char *request_str(const cJSON *request, const char *group, const char *name)
{
    const cJSON *obj = group ? cJSON_GetObjectItem(request, group) : request;
    const cJSON *v = cJSON_GetObjectItem(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The JSON body a VPC request carried, compact ("null" when none); free it. */
static inline char *request_json(const cJSON *request)
{
    return cJSON_PrintUnformatted(cJSON_GetObjectItem(request, "json"));
}

#endif
