/*
 * The libcurl anchor of packaged builds.
 *
 * The core loads libcurl and libcrypto with dlopen (csrc/curl_lib.h,
 * csrc/crypto_lib.h), so the extension module does not name them, and the
 * tools that copy a package's libraries into it (auditwheel for the wheel,
 * scripts/bundle_libs.py for the npm prebuilt) would not see them. This object
 * names libcurl: it is built beside the extension module, the libraries it
 * needs are bundled with it, and the core opens it instead of the soname when
 * it is there (iam_libs_use_beside in iamcore.h). anchor_libcrypto.c does the
 * same for libcrypto alone, so that signing does not load libcurl. The
 * reference below keeps the linker from dropping the library.
 */
#include <curl/curl.h>

__attribute__((visibility("default"), used))
void *const iamcore_anchor_libcurl = (void *)curl_easy_init;
