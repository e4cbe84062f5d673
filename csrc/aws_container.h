/* AWS container credentials (ECS task roles, EKS Pod Identity). */
#ifndef IAMCORE_AWS_CONTAINER_H
#define IAMCORE_AWS_CONTAINER_H

#include "aws_credentials.h"

/* The endpoint from the environment: IAM_OK with *url (free()), IAM_AWS_NOT_FOUND
 * when neither variable is set, IAM_E_CONFIG for a URL iamcore will not use. */
int iam_aws_container_url(char **url, iam_error *err);

/* Provider: IAM_OK, IAM_AWS_NOT_FOUND, or a negative iam_status. */
int iam_aws_container_credentials(iam_aws_creds **out, iam_error *err);

#endif
