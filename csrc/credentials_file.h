/* The IBM credentials file (ibm-credentials.env): reading and line parsing.
 * Which file is read, and what its keys mean, is config_env.c's business. */
#ifndef IAMCORE_CREDENTIALS_FILE_H
#define IAMCORE_CREDENTIALS_FILE_H

#include "iamcore.h"
#include "secret.h"

#include <stddef.h>

/* Larger files are refused (IAM_E_CONFIG). */
#define IAM_CREDENTIALS_FILE_MAX_BYTES (1024 * 1024)

/*
 * Read a whole file into *out (a secret buffer: free it with iam_buf_free).
 *   missing (ENOENT, ENOTDIR)      IAM_OK, *exists = 0, *out empty
 *   not a regular file (/dev/null, a FIFO: never blocks)
 *                                  IAM_OK, *exists = 1, *out empty
 *   a directory, unreadable, over IAM_CREDENTIALS_FILE_MAX_BYTES
 *                                  IAM_E_CONFIG naming the path (*exists = 1)
 * On failure *out is empty.
 */
int iam_credentials_file_read(const char *path, iam_buf *out, int *exists, iam_error *err);

/* Called for each `KEY=VALUE` line. key and value point into the text. A
 * non-zero return stops the parse and is returned by it. */
typedef int (*iam_credentials_line_fn)(const char *key, const char *value, void *ctx);

/*
 * Split text (len bytes, text[len] must be '\0'; modified in place) into lines:
 *   - lines end with LF; one CR before it (or at the end of the text) is dropped;
 *   - a UTF-8 byte order mark at the start of the text is skipped;
 *   - blank lines (spaces and tabs only) and lines whose first non-blank
 *     character is '#' are skipped;
 *   - other lines are split at the first '=': the key is trimmed of spaces and
 *     tabs, the value is everything after the '=', verbatim;
 *   - a line without '=', with an empty key, or containing a NUL byte is skipped.
 * Returns 0, or the first non-zero value fn returned.
 */
int iam_credentials_parse(char *text, size_t len, iam_credentials_line_fn fn, void *ctx);

#endif
