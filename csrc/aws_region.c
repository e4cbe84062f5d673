/* Which AWS region to sign for, when the caller did not say: the environment,
 * then (by the caller) the profile, then the endpoint's own host name. */
#define _GNU_SOURCE
#include "aws_ini.h"
#include "aws_region.h"
#include "error.h"
#include "iamcore_aws.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int iam_aws_region_is_valid(const char *r)
{
    /* "us-east-1", "us-gov-west-1", "cn-north-1", "eu-de-1"-style: letters and
     * digits in dash-separated parts, a number last. */
    size_t n = r ? strlen(r) : 0;
    if (n < 4 || n > IAM_AWS_REGION_MAX - 1 || !islower((unsigned char)r[0]))
        return 0;
    int dashes = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)r[i];
        if (c == '-') {
            if (i == 0 || r[i - 1] == '-' || i == n - 1)
                return 0;
            dashes++;
        } else if (!islower(c) && !isdigit(c)) {
            return 0;
        }
    }
    return dashes >= 2 && isdigit((unsigned char)r[n - 1]);
}

/* The dot-separated label of host that comes right before `suffix`. */
static int label_before(const char *host, const char *suffix, char *out, size_t cap)
{
    size_t hn = strlen(host), sn = strlen(suffix);
    while (hn && host[hn - 1] == '.')
        hn--; /* a fully qualified name */
    if (hn <= sn || strncasecmp(host + hn - sn, suffix, sn) != 0)
        return -1;
    size_t end = hn - sn, start = end;
    while (start && host[start - 1] != '.')
        start--;
    if (end - start == 0 || end - start >= cap || start == 0)
        return -1; /* no label, or nothing before it */
    for (size_t i = 0; i < end - start; i++)
        out[i] = (char)tolower((unsigned char)host[start + i]);
    out[end - start] = '\0';
    return 0;
}

int iam_aws_region_from_host(const char *host, char *out, size_t cap)
{
    /* RDS: <name>.[proxy-|cluster-|cluster-ro-|cluster-custom-|…]<id>.<region>.rds.amazonaws.com[.cn]
     * DSQL: <id>.dsql.<region>.on.aws */
    static const char *const suffixes[] = {".rds.amazonaws.com", ".rds.amazonaws.com.cn",
                                           ".on.aws"};
    char region[IAM_AWS_REGION_MAX];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        if (label_before(host, suffixes[i], region, sizeof region) != 0)
            continue;
        if (i == 2) { /* DSQL: the label before the region must be "dsql" */
            size_t hn = strlen(host), rn = strlen(region) + strlen(".on.aws");
            while (hn && host[hn - 1] == '.')
                hn--;
            if (hn < rn + 6 || strncasecmp(host + hn - rn - 6, ".dsql.", 6) != 0)
                continue;
        }
        if (!iam_aws_region_is_valid(region) || strlen(region) >= cap)
            return -1;
        memcpy(out, region, strlen(region) + 1);
        return 0;
    }
    return -1;
}

int iam_aws_region_from_env(char *out, size_t cap)
{
    const char *names[] = {"AWS_REGION", "AWS_DEFAULT_REGION"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = getenv(names[i]);
        if (v && *v && strlen(v) < cap) {
            memcpy(out, v, strlen(v) + 1);
            return 0;
        }
    }
    return -1;
}

iam_status iam_aws_region_resolve(char *out, size_t cap, const char *region, const char *profile,
                                  const char *hostname, iam_error *err)
{
    if (err)
        iam_error_clear(err);
    char found[IAM_AWS_REGION_MAX] = "";
    const char *from = "the region argument";
    if (region && *region) {
        iam_copy_field(found, sizeof found, region);
    } else if (iam_aws_region_from_env(found, sizeof found) == 0) {
        from = getenv("AWS_REGION") && *getenv("AWS_REGION") ? "AWS_REGION" : "AWS_DEFAULT_REGION";
    } else {
        iam_aws_profile p;
        int rc = iam_aws_profile_load(&p, profile, err);
        if (rc != IAM_OK)
            return rc;
        int missing = p.explicit_name && !p.found;
        if (p.region)
            iam_copy_field(found, sizeof found, p.region);
        iam_aws_profile_clear(&p);
        if (missing)
            return iam_error_set(err, IAM_E_CONFIG,
                                 "AWS profile \"%.127s\" not found in the config or credentials file",
                                 profile && *profile ? profile : getenv("AWS_PROFILE"));
        from = "the profile's region";
        if (!found[0] && hostname && iam_aws_region_from_host(hostname, found, sizeof found) == 0)
            from = "the host name";
    }
    if (!found[0])
        return iam_error_set(err, IAM_E_CONFIG,
                             "no AWS region: pass one, set AWS_REGION, give the profile a "
                             "region, or use the endpoint's AWS host name");
    if (!iam_aws_region_is_valid(found))
        return iam_error_set(err, IAM_E_CONFIG, "%s is not a valid AWS region: %.64s", from, found);
    if (strlen(found) >= cap)
        return iam_error_set(err, IAM_E_CONFIG, "the region does not fit");
    memcpy(out, found, strlen(found) + 1);
    return IAM_OK;
}
