/*
 * The libraries anchor of packaged builds.
 *
 * The core loads libcurl and libcrypto with dlopen (csrc/curl_lib.h,
 * csrc/crypto_lib.h), so the extension module does not name them, and the
 * tools that copy a package's libraries into it (auditwheel for the wheel,
 * scripts/bundle_libs.py for the npm prebuilt) would not see them. This
 * object names them: it is built beside the extension module, its copies of
 * both libraries are bundled with it, and the core opens it instead of the
 * sonames when it is there (iam_libs_use_beside, csrc/lib_anchor.c). It contains nothing else;
 * the references below keep the linker from dropping the two libraries.
 */
#include <curl/curl.h>
#include <openssl/evp.h>

__attribute__((visibility("default"), used))
void *const iamcore_libs_anchor[] = {(void *)curl_easy_init, (void *)EVP_MD_fetch};
