/* Splitting a URL into what SigV4 signs: the Host header and the request target. */
#define _GNU_SOURCE
#include "error.h"
#include "iamcore_aws.h"
#include "secret.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

iam_status iam_aws_url_parts(char **host, char **target, const char *url, iam_error *err)
{
    *host = *target = NULL;
    if (err)
        iam_error_clear(err);
    if (!url || !*url)
        return iam_error_set(err, IAM_E_CONFIG, "a URL is required");
    CURLU *u = curl_url();
    char *scheme = NULL, *hostname = NULL, *port = NULL, *path = NULL, *query = NULL;
    int rc = IAM_OK;
    if (!u)
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    /* Keep the path and query exactly as given: the signer encodes them itself. */
    if (curl_url_set(u, CURLUPART_URL, url, CURLU_PATH_AS_IS | CURLU_ALLOW_SPACE) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &hostname, 0) != CURLUE_OK ||
        (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0)) {
        rc = iam_error_set(err, IAM_E_CONFIG, "not an http(s) URL");
        goto done;
    }
    curl_url_get(u, CURLUPART_PORT, &port, 0); /* only when the URL names one */
    curl_url_get(u, CURLUPART_PATH, &path, 0);
    curl_url_get(u, CURLUPART_QUERY, &query, 0);
    int default_port = port && ((strcasecmp(scheme, "https") == 0 && strcmp(port, "443") == 0) ||
                                (strcasecmp(scheme, "http") == 0 && strcmp(port, "80") == 0));
    size_t hn = strlen(hostname) + (port ? strlen(port) + 1 : 0) + 1;
    size_t tn = (path ? strlen(path) : 1) + (query ? strlen(query) + 1 : 0) + 1;
    *host = malloc(hn);
    *target = malloc(tn);
    if (!*host || !*target) {
        rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
        goto done;
    }
    snprintf(*host, hn, "%s%s%s", hostname, port && !default_port ? ":" : "",
             port && !default_port ? port : "");
    snprintf(*target, tn, "%s%s%s", path && *path ? path : "/", query ? "?" : "", query ? query : "");
done:
    if (rc != IAM_OK) {
        free(*host);
        iam_aws_string_free(*target);
        *host = *target = NULL;
    }
    curl_free(scheme);
    curl_free(hostname);
    curl_free(port);
    curl_free(path);
    if (query)
        iam_wipe(query, strlen(query)); /* a presigned URL's query holds a token */
    curl_free(query);
    curl_url_cleanup(u);
    return rc;
}
