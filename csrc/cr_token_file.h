/* Reading the compute-resource token a platform mounts into the container. */
#ifndef IAMCORE_CR_TOKEN_FILE_H
#define IAMCORE_CR_TOKEN_FILE_H

#include "iamcore.h"

/* The platforms' default locations, in the order they are tried. */
extern const char *const iam_cr_token_default_paths[];
extern const size_t iam_cr_token_default_count;

/*
 * Read the first readable, non-empty file of paths[0..count) into *out (a
 * secret: free with iam_secret_free), one trailing newline removed. On failure
 * IAM_E_TOKEN_FILE names every path tried and why it failed.
 */
int iam_cr_token_read(const char *const *paths, size_t count, char **out, iam_error *err);

#endif
