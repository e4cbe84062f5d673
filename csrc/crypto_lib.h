/* libcrypto (OpenSSL 3), found at its first use instead of linked.
 *
 * Only AWS signing hashes anything (SHA-256, HMAC-SHA256), and loading and
 * relocating libcrypto is about a third of what importing iamcore would
 * otherwise cost, so the core looks it up when it first signs:
 *
 *   - in the process's global scope first: Node exports its own OpenSSL 3, and
 *     a C program may link libcrypto; the core then uses that one;
 *   - else with dlopen (RTLD_LOCAL), by soname; libcurl, when it is loaded
 *     later, shares that same library. */
#ifndef IAMCORE_CRYPTO_LIB_H
#define IAMCORE_CRYPTO_LIB_H

#include "iamcore.h"

#include <openssl/evp.h>

#ifndef IAM_LIBCRYPTO_SONAME
#define IAM_LIBCRYPTO_SONAME "libcrypto.so.3"
#endif

/* The libcrypto functions iamcore calls, with their own types. */
typedef struct iam_crypto_api {
    __typeof__(&EVP_MD_fetch) md_fetch;
    __typeof__(&EVP_sha256) sha256;
    __typeof__(&EVP_MD_CTX_new) ctx_new;
    __typeof__(&EVP_MD_CTX_free) ctx_free;
    __typeof__(&EVP_MD_CTX_reset) ctx_reset;
    __typeof__(&EVP_MD_CTX_copy_ex) ctx_copy;
    __typeof__(&EVP_DigestInit_ex2) digest_init;
    __typeof__(&EVP_DigestUpdate) digest_update;
    __typeof__(&EVP_DigestFinal_ex) digest_final;
} iam_crypto_api;

/* Find libcrypto once (thread-safe); later calls return at once. NULL when it
 * cannot be found: err (IAM_E_INTERNAL) then says why, the same every time. */
const iam_crypto_api *iam_crypto(iam_error *err);

/* Tests only: skip the global scope and dlopen this soname instead. Effective
 * only before the first iam_crypto(). */
void iam_crypto_set_soname(const char *soname);

/* Open `path` instead of the soname when the process has no OpenSSL 3 of its
 * own (see iam_libs_use_beside in iamcore.h). Effective only before the first
 * iam_crypto(). */
void iam_crypto_set_fallback(const char *path);

#endif
