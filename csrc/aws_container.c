/*
 * ECS / EKS Pod Identity container credentials (PROTOCOLS §7):
 *   AWS_CONTAINER_CREDENTIALS_RELATIVE_URI -> http://169.254.170.2<uri>
 *   AWS_CONTAINER_CREDENTIALS_FULL_URI     -> https anywhere, http only to a
 *                                             loopback or the container hosts
 * Authorization: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (re-read every time,
 * wins) or AWS_CONTAINER_AUTHORIZATION_TOKEN.
 */
#define _GNU_SOURCE
#include "aws_container.h"
#include "aws_fetch.h"
#include "cr_token_file.h"
#include "curl_lib.h"
#include "error.h"
#include "secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CONTAINER_HOST "http://169.254.170.2"
#define CONTAINER_TIMEOUT_MS 2000L

/* Hosts plain http may go to: the credentials would otherwise cross a network. */
static int http_host_allowed(const char *host)
{
    static const char *const fixed[] = {"localhost", "169.254.170.2", "169.254.170.23",
                                        "[fd00:ec2::23]", "[::1]"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcasecmp(host, fixed[i]) == 0)
            return 1;
    unsigned a, b, c, d;
    char tail;
    return sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a == 127 && b < 256 &&
           c < 256 && d < 256;
}

int iam_aws_container_url(char **url, iam_error *err)
{
    *url = NULL;
    const char *rel = iam_aws_getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = iam_aws_getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (rel) {
        if (rel[0] != '/' || strpbrk(rel, " \r\n\t"))
            return iam_error_set(err, IAM_E_CONFIG,
                                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must be a path starting with /");
        size_t n = strlen(CONTAINER_HOST) + strlen(rel) + 1;
        if (!(*url = malloc(n)))
            return iam_error_set(err, IAM_E_NOMEM, "out of memory");
        snprintf(*url, n, "%s%s", CONTAINER_HOST, rel);
        return IAM_OK;
    }
    if (!full)
        return IAM_AWS_NOT_FOUND;

    const iam_curl_api *cu = iam_curl(err);
    if (!cu)
        return IAM_E_INTERNAL;
    CURLU *u = cu->url();
    char *scheme = NULL, *host = NULL;
    int rc = IAM_OK;
    if (!u || cu->url_set(u, CURLUPART_URL, full, 0) != CURLUE_OK ||
        cu->url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        cu->url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        rc = iam_error_set(err, IAM_E_CONFIG, "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL");
    } else if (strcasecmp(scheme, "https") != 0 &&
               !(strcasecmp(scheme, "http") == 0 && http_host_allowed(host))) {
        rc = iam_error_set(err, IAM_E_CONFIG,
                           "AWS_CONTAINER_CREDENTIALS_FULL_URI must use https, or http to a "
                           "loopback address or the container credentials host (not %s)",
                           host);
    } else if (!(*url = iam_strdup(full))) {
        rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
    }
    cu->free(scheme);
    cu->free(host);
    if (u)
        cu->url_cleanup(u);
    return rc;
}

/* "Authorization: <token>" or NULL (no token configured); a secret. */
static int authorization_line(char **line, iam_error *err)
{
    *line = NULL;
    char *token = NULL;
    const char *file = iam_aws_getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (file) {
        int rc = iam_cr_token_read(&file, 1, &token, err);
        if (rc != IAM_OK && err) {
            char tried[sizeof err->message];
            const char *colon = strchr(err->message, ':');
            iam_copy_field(tried, sizeof tried, colon ? colon + 2 : "");
            iam_error_set(err, rc, "the container authorization token could not be read: %s",
                          tried);
        }
        if (rc != IAM_OK)
            return rc;
    } else {
        const char *value = iam_aws_getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
        if (!value)
            return IAM_OK;
        if (!(token = iam_strdup(value)))
            return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    }
    int rc = IAM_OK;
    if (strpbrk(token, "\r\n")) {
        rc = iam_error_set(err, IAM_E_CONFIG,
                           "the container authorization token contains a line break");
    } else {
        size_t n = strlen("Authorization: ") + strlen(token) + 1;
        if ((*line = malloc(n)) != NULL)
            snprintf(*line, n, "Authorization: %s", token);
        else
            rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
    }
    iam_secret_free(token);
    return rc;
}

int iam_aws_container_credentials(iam_aws_creds **out, iam_error *err)
{
    *out = NULL;
    char *url = NULL, *auth = NULL;
    int rc = iam_aws_container_url(&url, err);
    if (rc != IAM_OK)
        return rc;
    rc = authorization_line(&auth, err);
    if (rc == IAM_OK) {
        const char *lines[] = {"Accept: application/json", auth};
        iam_http_response resp;
        rc = iam_aws_http_call("GET", url, lines, auth ? 2 : 1, NULL, 0, CONTAINER_TIMEOUT_MS, 2,
                               &resp, err);
        if (rc == IAM_OK) {
            if (resp.status == 200)
                rc = iam_aws_creds_from_json(out, resp.body.data, resp.body.len, "container",
                                             err);
            else
                rc = iam_aws_http_error(err, "the container credentials endpoint", &resp);
            iam_http_response_free(&resp);
        }
        if (rc != IAM_OK && auth) /* an endpoint may echo the authorization token */
            iam_error_redact(err, auth + strlen("Authorization: "));
    }
    free(url);
    iam_secret_free(auth);
    return rc;
}
