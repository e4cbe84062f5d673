/* AWS region names: validation, the environment, endpoint host names. */
#ifndef IAMCORE_AWS_REGION_H
#define IAMCORE_AWS_REGION_H

#include <stddef.h>

#define IAM_AWS_REGION_MAX 64

/* Non-zero for a well-formed region name such as "us-east-1". */
int iam_aws_region_is_valid(const char *region);

/* AWS_REGION, else AWS_DEFAULT_REGION (empty counts as unset). 0 when found. */
int iam_aws_region_from_env(char *out, size_t cap);

/* The region named in an RDS (…<region>.rds.amazonaws.com[.cn], proxy and cluster
 * endpoints included) or Aurora DSQL (….dsql.<region>.on.aws) host name, lower-
 * cased. 0 when found, -1 for any other host. */
int iam_aws_region_from_host(const char *host, char *out, size_t cap);

#endif
