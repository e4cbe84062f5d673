/* The AWS credential chain: the first source that has credentials wins. */
#ifndef IAMCORE_AWS_CHAIN_H
#define IAMCORE_AWS_CHAIN_H

#include "aws_credentials.h"

/*
 * Resolve credentials once (no caching here), in botocore's order:
 *   1. environment (AWS_ACCESS_KEY_ID, …)          skipped when a profile is named
 *   2. web identity from the environment           skipped when a profile is named
 *   3. the profile: role_arn + web_identity_token_file, static keys, credential_process
 *   4. container endpoint (ECS, EKS Pod Identity)
 *   5. EC2 instance metadata
 * profile: NULL for AWS_PROFILE or "default". A source that is configured but
 * fails stops the chain with its error. With no source at all: IAM_E_CONFIG
 * whose message lists what each source lacked.
 */
int iam_aws_chain_resolve(iam_aws_creds **out, const char *profile, iam_error *err);

#endif
