/* JWT payload decoding. The signature is not checked: the token comes straight
 * from the token service over TLS, and iamcore only needs its lifetime. */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "jwt.h"
#include "json.h"
#include "secret.h"

#include <stdlib.h>
#include <string.h>

static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-' || c == '+') return 62;
    if (c == '_' || c == '/') return 63;
    return -1;
}

long iam_base64url_decode(const char *in, size_t len, unsigned char *out)
{
    while (len && in[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return -1;
    unsigned long acc = 0;
    int bits = 0;
    long n = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (unsigned long)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    return n;
}

int iam_jwt_claims(const char *token, size_t len, int64_t *iat, int64_t *exp)
{
    const char *dot1 = memchr(token, '.', len);
    if (!dot1)
        return -1;
    const char *payload = dot1 + 1;
    const char *dot2 = memchr(payload, '.', len - (size_t)(payload - token));
    if (!dot2 || dot2 == payload)
        return -1;
    size_t plen = (size_t)(dot2 - payload);
    if (plen > 64 * 1024)
        return -1;
    unsigned char *json = malloc(plen * 3 / 4 + 4);
    if (!json)
        return -1;
    long n = iam_base64url_decode(payload, plen, json);
    int rc = -1;
    if (n > 0) {
        cJSON *root = iam_json_parse((const char *)json, (size_t)n);
        int64_t e;
        if (cJSON_IsObject(root) && iam_json_int(root, "exp", &e) == 0) {
            *exp = e;
            if (iam_json_int(root, "iat", iat) != 0)
                *iat = -1;
            rc = 0;
        }
        iam_json_free(root);
    }
    iam_wipe(json, plen * 3 / 4 + 4);
    free(json);
    return rc;
}
