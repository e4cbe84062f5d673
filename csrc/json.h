/* cJSON, used only through its thread-safe calls. */
#ifndef IAMCORE_JSON_H
#define IAMCORE_JSON_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Parse exactly len bytes (no NUL needed). NULL on invalid JSON. Never touches
 * cJSON's process-global error pointer. */
cJSON *iam_json_parse(const char *text, size_t len);

/* Zero every string in the tree, then free it (the tree may hold tokens). */
void iam_json_free(cJSON *root);

/* The string member `name` of object obj, or NULL. */
const char *iam_json_string(const cJSON *obj, const char *name);

/* The numeric member `name` as an integer in *out; 0 if present and numeric,
 * -1 otherwise. Integral numbers only up to 2^53. */
int iam_json_int(const cJSON *obj, const char *name, int64_t *out);

#endif
