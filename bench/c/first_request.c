/*
 * Where a fresh process's first IAM token goes, step by step, as the core takes
 * those steps (csrc/curl_lib.c, csrc/http.c): loading libcurl with dlopen (and
 * with it libcrypto and some thirty other libraries), curl_global_init(),
 * curl_easy_init(), and one token request to the emulator. For each step, the
 * wall time and the growth of the peak RSS (VmHWM) it caused.
 *
 *   first_request URL
 *
 * Prints one JSON line {"<step>": [ms, kB], ...}. Run by bench/run.py in fresh
 * processes; built into build/bench/ with the Makefile's flags (no libiamcore:
 * only libc's dlopen).
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long hwm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

static size_t discard(char *data, size_t size, size_t n, void *user)
{
    (void)data;
    (void)user;
    return size * n;
}

static double t0;
static long m0;
static int steps;

static void step(const char *name)
{
    double t = now_ms();
    long m = hwm_kb();
    printf("%s\"%s\": [%.3f, %ld]", steps++ ? ", " : "{", name, t - t0, m - m0);
    t0 = now_ms();
    m0 = hwm_kb();
}

#define SYM(var, handle, name)                                                        \
    do {                                                                              \
        void *p_ = dlsym(handle, name);                                               \
        if (!p_) {                                                                    \
            fprintf(stderr, "first_request: no %s\n", name);                          \
            return 1;                                                                 \
        }                                                                             \
        memcpy(&var, &p_, sizeof p_);                                                 \
    } while (0)

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: first_request URL\n");
        return 2;
    }
    char url[1024];
    snprintf(url, sizeof url, "%s/identity/token", argv[1]);
    t0 = now_ms();
    m0 = hwm_kb();
    void *curl = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!curl) {
        fprintf(stderr, "first_request: %s\n", dlerror());
        return 1;
    }
    step("load libcurl");
    __typeof__(&curl_global_init) global_init;
    __typeof__(&curl_easy_init) easy_init;
    __typeof__(&curl_easy_setopt) setopt;
    __typeof__(&curl_easy_perform) perform;
    __typeof__(&curl_easy_getinfo) getinfo;
    SYM(global_init, curl, "curl_global_init");
    SYM(easy_init, curl, "curl_easy_init");
    SYM(setopt, curl, "curl_easy_setopt");
    SYM(perform, curl, "curl_easy_perform");
    SYM(getinfo, curl, "curl_easy_getinfo");
    if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    step("curl_global_init");
    CURL *h = easy_init();
    if (!h)
        return 1;
    step("curl_easy_init");
    static const char form[] = "grant_type=urn%3Aibm%3Aparams%3Aoauth%3Agrant-type%3Aapikey"
                               "&apikey=bench-key";
    long status = 0;
    if (setopt(h, CURLOPT_URL, url) != CURLE_OK ||
        setopt(h, CURLOPT_POSTFIELDS, form) != CURLE_OK ||
        setopt(h, CURLOPT_WRITEFUNCTION, discard) != CURLE_OK || perform(h) != CURLE_OK ||
        getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200) {
        fprintf(stderr, "first_request: the token request failed (HTTP %ld)\n", status);
        return 1;
    }
    step("token request");
    printf("}\n");
    return 0;
}
