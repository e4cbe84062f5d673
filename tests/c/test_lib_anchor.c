/* iam_libs_use_beside: a packaged build's libcurl anchor, found beside the
 * module by name, is what libcurl is loaded through; without one (or when the
 * module's name does not match) the soname is. The first call decides, so
 * each case runs in a child process of its own. */
#define _GNU_SOURCE
#include "check.h"
#include "iamcore.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* This program is <dir>/test_lib_anchor; its anchor in these tests: */
#define OWN_STEM "test_lib_anchor"
#define ANCHOR_PREFIX "test_lib_anchor.lib"
#define ANCHOR_FILE ANCHOR_PREFIX "curl"

static char anchor[4096];

static int mapped(const char *path)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[8192];
    int found = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, path))
            found = 1;
    if (f)
        fclose(f);
    return found;
}

/* A request (to a closed port: libcurl loads, the transfer fails). */
static void request(void)
{
    iam_config cfg = IAM_CONFIG_INIT;
    cfg.apikey = "anchor-test-key";
    cfg.url = "http://127.0.0.1:9";
    cfg.max_retries = -1;
    iam_auth *a = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_auth_new(&a, IAM_AUTH_IAM, &cfg, &err), IAM_OK);
    iam_token *t = NULL;
    CHECK_EQ_INT(iam_auth_get_token(a, &t, &err), IAM_E_TRANSPORT);
    iam_auth_free(a);
}

/* Runs fn in a child; its CHECK failures fail the test here. */
static void in_child(void (*fn)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        _exit(check_failures ? 1 : 0);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void used_when_present_body(void)
{
    CHECK_EQ_INT(iam_libs_use_beside(anchor, OWN_STEM, ANCHOR_PREFIX), 1);
    CHECK(!mapped(anchor)); /* not before the first request */
    request();
    CHECK(mapped(anchor));
    CHECK_EQ_INT(iam_libs_use_beside(anchor, "other", "other.lib"), 1); /* decided */
}

static void absent_anchor_body(void)
{
    unlink(anchor);
    CHECK_EQ_INT(iam_libs_use_beside(anchor, OWN_STEM, ANCHOR_PREFIX), 0);
    request(); /* through the soname */
}

static void other_module_name_body(void)
{
    CHECK_EQ_INT(iam_libs_use_beside(anchor, "not_this_program", ANCHOR_PREFIX), 0);
    request();
    CHECK(!mapped(anchor));
}

static void used_when_present(void) { in_child(used_when_present_body); }
static void other_module_name(void) { in_child(other_module_name_body); }
static void absent_anchor(void) { in_child(absent_anchor_body); }

/* The anchor: a copy of the system's libcurl. */
static int make_anchor(void)
{
    char self[2048];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    *strrchr(self, '/') = '\0';
    snprintf(anchor, sizeof anchor, "%s/%s", self, ANCHOR_FILE);
    Dl_info info;
    void *curl = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    void *sym = curl ? dlsym(curl, "curl_easy_init") : NULL;
    if (!sym || !dladdr(sym, &info))
        return -1;
    int in = open(info.dli_fname, O_RDONLY), out = open(anchor, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    struct stat st;
    int ok = in >= 0 && out >= 0 && fstat(in, &st) == 0 &&
             sendfile(out, in, NULL, (size_t)st.st_size) == st.st_size;
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return ok ? 0 : -1;
}

int main(void)
{
    if (make_anchor() != 0) {
        fprintf(stderr, "could not copy libcurl beside the test program\n");
        return 1;
    }
    RUN(used_when_present);
    RUN(other_module_name);
    RUN(absent_anchor);
    unlink(anchor);
    return CHECK_DONE();
}
