/* AWS credentials objects, and helpers shared by the AWS providers. */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "aws_credentials.h"
#include "error.h"
#include "secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------- the object */

static void creds_destroy(iam_cache_item *item)
{
    iam_aws_creds *c = (iam_aws_creds *)item;
    size_t n = strlen(c->access_key_id) + 1 + strlen(c->secret_access_key) + 1 +
               (c->session_token ? strlen(c->session_token) + 1 : 0);
    iam_wipe(c + 1, n);
    free(c);
}

iam_aws_creds *iam_aws_creds_new(const char *akid, const char *secret, const char *token,
                                 int64_t expiration, const char *source)
{
    if (!akid || !secret)
        return NULL;
    if (token && !*token)
        token = NULL;
    size_t la = strlen(akid) + 1, ls = strlen(secret) + 1, lt = token ? strlen(token) + 1 : 0;
    /* One block: the struct, then the three strings. Release wipes all of it. */
    iam_aws_creds *c = malloc(sizeof *c + la + ls + lt);
    if (!c)
        return NULL;
    atomic_init(&c->base.refs, 1);
    c->base.issued_at = (int64_t)time(NULL);
    c->base.expires_at = expiration;
    c->base.generation = 0;
    c->base.destroy = creds_destroy;
    iam_copy_field(c->source, sizeof c->source, source);
    char *p = (char *)(c + 1);
    c->access_key_id = memcpy(p, akid, la);
    c->secret_access_key = memcpy(p + la, secret, ls);
    c->session_token = token ? memcpy(p + la + ls, token, lt) : NULL;
    return c;
}

iam_aws_creds *iam_aws_creds_retain(iam_aws_creds *c)
{
    if (c)
        iam_cache_item_retain(&c->base);
    return c;
}

void iam_aws_creds_release(iam_aws_creds *c)
{
    if (c)
        iam_cache_item_release(&c->base);
}

iam_aws_credentials iam_aws_creds_view(const iam_aws_creds *c)
{
    iam_aws_credentials v = {0};
    if (c) {
        v.access_key_id = c->access_key_id;
        v.secret_access_key = c->secret_access_key;
        v.session_token = c->session_token;
        v.expiration = c->base.expires_at;
    }
    return v;
}

const char *iam_aws_creds_source(const iam_aws_creds *c)
{
    return c ? c->source : "";
}

/* ---------------------------------------------------------------- helpers */

const char *iam_aws_errno_text(int e, char *buf, size_t cap)
{
#if defined(__GLIBC__)
    return strerror_r(e, buf, cap); /* the GNU variant under _GNU_SOURCE */
#else
    if (strerror_r(e, buf, cap) != 0)
        snprintf(buf, cap, "error %d", e);
    return buf;
#endif
}

const char *iam_aws_getenv(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* Reads exactly n decimal digits. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char ch = (*p)[i];
        if (ch < '0' || ch > '9')
            return -1;
        v = v * 10 + (ch - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int iam_parse_iso8601(const char *text, int64_t *epoch_s)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!text || !epoch_s)
        return -1;
    const char *p = text;
    int year, mon, day, hour, min, sec;
    if (digits(&p, 4, &year) || *p++ != '-' || digits(&p, 2, &mon) || *p++ != '-' ||
        digits(&p, 2, &day))
        return -1;
    if (*p != 'T' && *p != 't')
        return -1;
    p++;
    if (digits(&p, 2, &hour) || *p++ != ':' || digits(&p, 2, &min) || *p++ != ':' ||
        digits(&p, 2, &sec))
        return -1;
    if (*p == '.' || *p == ',') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int offset_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (digits(&p, 2, &oh))
            return -1;
        if (*p == ':')
            p++;
        if (digits(&p, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset_s = sign * (oh * 3600 + om * 60);
    } else {
        return -1; /* no zone: the time would be ambiguous */
    }
    if (*p != '\0')
        return -1;
    if (mon < 1 || mon > 12 || day < 1 || hour > 23 || min > 59 || sec > 60)
        return -1;
    int dim = mdays[mon - 1] + (mon == 2 && is_leap(year));
    if (day > dim)
        return -1;
    *epoch_s = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec -
               offset_s;
    return 0;
}
