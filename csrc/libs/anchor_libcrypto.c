/*
 * The libcrypto anchor of packaged builds: names libcrypto for the tools that
 * bundle a package's libraries, and is opened by the core instead of the
 * soname when the process has no OpenSSL 3 of its own (see anchor_libcurl.c).
 */
#include <openssl/evp.h>

__attribute__((visibility("default"), used))
void *const iamcore_anchor_libcrypto = (void *)EVP_MD_fetch;
