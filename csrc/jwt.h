/* base64url and the JWT claims iamcore needs (iat, exp). */
#ifndef IAMCORE_JWT_H
#define IAMCORE_JWT_H

#include <stddef.h>
#include <stdint.h>

/* Decode base64url (no padding needed; '=' padding accepted) into out, which
 * must hold at least len*3/4+3 bytes. Returns the decoded length or -1. */
long iam_base64url_decode(const char *in, size_t len, unsigned char *out);

/* Read `iat` and `exp` from the payload of a JWT (header.payload.signature).
 * Returns 0 when the token is a JWT whose payload has a numeric exp; *iat is
 * set to -1 when absent. Returns -1 for anything else (an opaque token). */
int iam_jwt_claims(const char *token, size_t len, int64_t *iat, int64_t *exp);

#endif
