/* EC2 instance metadata (IMDSv2, with the IMDSv1 fallback rules). */
#ifndef IAMCORE_AWS_IMDS_H
#define IAMCORE_AWS_IMDS_H

#include "aws_credentials.h"

/* Provider: IAM_OK; IAM_AWS_NOT_FOUND when IMDS is disabled, not reachable (not
 * on EC2) or the instance has no role (err->message says which); or a negative
 * iam_status. */
int iam_aws_imds_credentials(iam_aws_creds **out, iam_error *err);

#endif
