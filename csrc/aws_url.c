/* Splitting a URL into what SigV4 signs: the Host header and the request target. */
#define _GNU_SOURCE
#include "curl_lib.h"
#include "error.h"
#include "iamcore_aws.h"
#include "secret.h"

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
    const iam_curl_api *cu = iam_curl(err);
    if (!cu)
        return IAM_E_INTERNAL;
    CURLU *u = cu->url();
    char *scheme = NULL, *hostname = NULL, *port = NULL, *path = NULL, *query = NULL;
    int rc = IAM_OK;
    if (!u)
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    /* Keep the path and query exactly as given: the signer encodes them itself. */
    if (cu->url_set(u, CURLUPART_URL, url, CURLU_PATH_AS_IS | CURLU_ALLOW_SPACE) != CURLUE_OK ||
        cu->url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        cu->url_get(u, CURLUPART_HOST, &hostname, 0) != CURLUE_OK ||
        (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0)) {
        rc = iam_error_set(err, IAM_E_CONFIG, "not an http(s) URL");
        goto done;
    }
    cu->url_get(u, CURLUPART_PORT, &port, 0); /* only when the URL names one */
    cu->url_get(u, CURLUPART_PATH, &path, 0);
    cu->url_get(u, CURLUPART_QUERY, &query, 0);
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
    cu->free(scheme);
    cu->free(hostname);
    cu->free(port);
    cu->free(path);
    if (query)
        iam_wipe(query, strlen(query)); /* a presigned URL's query holds a token */
    cu->free(query);
    cu->url_cleanup(u);
    return rc;
}
