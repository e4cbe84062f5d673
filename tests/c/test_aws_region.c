#define _GNU_SOURCE
#include "aws_region.h"
#include "check.h"

#include <stdlib.h>

static const char *from_host(const char *host)
{
    static char out[IAM_AWS_REGION_MAX];
    return iam_aws_region_from_host(host, out, sizeof out) == 0 ? out : NULL;
}

static void rds_endpoints_name_their_region(void)
{
    CHECK_EQ_STR(from_host("mydb.abc123.eu-de-1.rds.amazonaws.com"), "eu-de-1");
    CHECK_EQ_STR(from_host("prod.cluster-c9akciq32.us-east-1.rds.amazonaws.com"), "us-east-1");
    CHECK_EQ_STR(from_host("prod.cluster-ro-c9akciq32.us-west-2.rds.amazonaws.com"), "us-west-2");
    CHECK_EQ_STR(from_host("p.cluster-custom-x1.ap-southeast-2.rds.amazonaws.com"), "ap-southeast-2");
    CHECK_EQ_STR(from_host("myproxy.proxy-c9akciq32.eu-central-1.rds.amazonaws.com"), "eu-central-1");
    CHECK_EQ_STR(from_host("db.abc.cn-north-1.rds.amazonaws.com.cn"), "cn-north-1");
    CHECK_EQ_STR(from_host("db.abc.us-gov-west-1.rds.amazonaws.com"), "us-gov-west-1");
    CHECK_EQ_STR(from_host("DB.ABC.US-EAST-2.RDS.AMAZONAWS.COM."), "us-east-2");
    CHECK_EQ_STR(from_host("abcdefghijklmnop.dsql.us-east-1.on.aws"), "us-east-1");
}

static void other_hosts_name_none(void)
{
    CHECK(from_host("localhost") == NULL);
    CHECK(from_host("10.0.0.5") == NULL);
    CHECK(from_host("mydb.example.com") == NULL);
    CHECK(from_host("rds.amazonaws.com") == NULL);
    CHECK(from_host(".rds.amazonaws.com") == NULL);
    CHECK(from_host("db.abc.notaregion.rds.amazonaws.com") == NULL);
    CHECK(from_host("something.us-east-1.on.aws") == NULL);
    CHECK(from_host("db.abc.us-east-1.rds.amazonaws.com.evil.com") == NULL);
}

static void region_names_are_checked(void)
{
    CHECK(iam_aws_region_is_valid("us-east-1"));
    CHECK(iam_aws_region_is_valid("us-gov-west-1"));
    CHECK(!iam_aws_region_is_valid("us-east"));
    CHECK(!iam_aws_region_is_valid("US-EAST-1"));
    CHECK(!iam_aws_region_is_valid("us--east-1"));
    CHECK(!iam_aws_region_is_valid("us-east-1 "));
    CHECK(!iam_aws_region_is_valid(""));
}

static void environment_order(void)
{
    char out[IAM_AWS_REGION_MAX];
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    CHECK_EQ_INT(iam_aws_region_from_env(out, sizeof out), -1);
    setenv("AWS_DEFAULT_REGION", "eu-west-1", 1);
    CHECK_EQ_INT(iam_aws_region_from_env(out, sizeof out), 0);
    CHECK_EQ_STR(out, "eu-west-1");
    setenv("AWS_REGION", "", 1); /* empty counts as unset */
    CHECK_EQ_INT(iam_aws_region_from_env(out, sizeof out), 0);
    CHECK_EQ_STR(out, "eu-west-1");
    setenv("AWS_REGION", "us-west-2", 1);
    CHECK_EQ_INT(iam_aws_region_from_env(out, sizeof out), 0);
    CHECK_EQ_STR(out, "us-west-2");
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
}

int main(void)
{
    RUN(rds_endpoints_name_their_region);
    RUN(other_hosts_name_none);
    RUN(region_names_are_checked);
    RUN(environment_order);
    return CHECK_DONE();
}
