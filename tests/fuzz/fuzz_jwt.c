/* JWT payloads (iam_jwt_claims) and the base64url decoder under them. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "jwt.h"

/* A plain reference encoder: what the decoder must invert. */
static size_t encode(const uint8_t *in, size_t len, char *out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
        out[o++] = abc[v >> 6 & 63];
        out[o++] = abc[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
        out[o++] = abc[v >> 6 & 63];
    }
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The input as a token. */
    int64_t iat = 0, exp = 0;
    if (iam_jwt_claims((const char *)data, size, &iat, &exp) == 0)
        FUZZ_ASSERT(iat == -1 || (iat >= -9007199254740992LL && iat <= 9007199254740992LL));

    /* The input as base64url text: the output buffer is exactly as large as
     * the contract says, so a write past it is caught. */
    unsigned char *out = malloc(size * 3 / 4 + 3);
    long n = iam_base64url_decode((const char *)data, size, out);
    FUZZ_ASSERT(n >= -1 && (n < 0 || (size_t)n <= size * 3 / 4 + 3));
    free(out);

    /* The input as bytes: encode, decode, compare. */
    char *text = malloc(size / 3 * 4 + 4);
    unsigned char *back = malloc(size + 3);
    size_t tlen = encode(data, size, text);
    n = iam_base64url_decode(text, tlen, back);
    FUZZ_ASSERT(n == (long)size && memcmp(back, data, size) == 0);
    free(text);
    free(back);
    return 0;
}
