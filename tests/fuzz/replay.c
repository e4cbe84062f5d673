/* Runs a fuzz target over files and directories of inputs, once each: the
 * corpus as a regression test, built with gcc and ASan/UBSan instead of
 * libFuzzer. A crash, a sanitizer report or a violated property ends the run
 * with the name of the input on stderr. */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
/* From the sanitizer runtime; absent in the coverage build. */
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static const char *current; /* the input being run, for the death report */

static void report_input(void)
{
    if (current)
        fprintf(stderr, "replay: the failing input is %s\n", current);
}

/* FUZZ_ASSERT aborts without a sanitizer report: name the input there too. */
static void on_abort(int sig)
{
    report_input();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void run_file(const char *path, size_t *count)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    size_t cap = 4096, len = 0, n;
    uint8_t *buf = malloc(cap);
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *grown = realloc(buf, cap *= 2);
            if (!grown)
                free(buf);
            buf = grown;
        }
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "%s: out of memory\n", path);
        exit(2);
    }
    /* An exact-size copy: reads past the input are caught as they would be
     * under libFuzzer. */
    uint8_t *input = malloc(len ? len : 1);
    if (!input)
        exit(2);
    memcpy(input, buf, len);
    free(buf);
    current = path;
    LLVMFuzzerTestOneInput(input, len);
    current = NULL;
    free(input);
    (*count)++;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path, size_t *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        exit(2);
    }
    if (!S_ISDIR(st.st_mode)) {
        run_file(path, count);
        return;
    }
    DIR *d = opendir(path);
    if (!d) {
        perror(path);
        exit(2);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown)
                exit(2);
            names = grown;
        }
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        if (!(names[n] = malloc(len)))
            exit(2);
        snprintf(names[n++], len, "%s/%s", path, e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name); /* the same order on every machine */
    for (size_t i = 0; i < n; i++) {
        run_path(names[i], count);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(report_input);
    signal(SIGABRT, on_abort);
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    const char *name = strrchr(argv[0], '/');
    size_t count = 0;
    for (int i = 1; i < argc; i++)
        run_path(argv[i], &count);
    printf("%s: %zu inputs replayed\n", name ? name + 1 : argv[0], count);
    return 0;
}
