/* A minimal test harness: CHECK records a failure and goes on; each test file
 * is one program whose main() lists its tests with RUN. */
#ifndef IAMCORE_CHECK_H
#define IAMCORE_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_tests_failed;
static int check_tests_run;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);   \
            check_failures++;                                                            \
        }                                                                                \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                               \
    do {                                                                                 \
        long long va_ = (long long)(a), vb_ = (long long)(b);                            \
        if (va_ != vb_) {                                                                \
            fprintf(stderr, "  %s:%d: %s == %s failed: %lld != %lld\n", __FILE__,        \
                    __LINE__, #a, #b, va_, vb_);                                         \
            check_failures++;                                                            \
        }                                                                                \
    } while (0)

/* For non-secret strings only: prints both values on failure. */
#define CHECK_EQ_STR(a, b)                                                               \
    do {                                                                                 \
        const char *sa_ = (a), *sb_ = (b);                                               \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                                     \
            fprintf(stderr, "  %s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__,    \
                    __LINE__, #a, #b, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");       \
            check_failures++;                                                            \
        }                                                                                \
    } while (0)

/* For secrets (keys, tokens, passwords): says where, never what. */
#define CHECK_SECRET_EQ(a, b)                                                            \
    do {                                                                                 \
        const char *sa_ = (a), *sb_ = (b);                                               \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                                     \
            fprintf(stderr, "  %s:%d: %s == %s failed (values not shown)\n", __FILE__,  \
                    __LINE__, #a, #b);                                                   \
            check_failures++;                                                            \
        }                                                                                \
    } while (0)

#define RUN(test)                                                                        \
    do {                                                                                 \
        int before_ = check_failures;                                                    \
        check_tests_run++;                                                               \
        test();                                                                          \
        if (check_failures != before_) {                                                 \
            check_tests_failed++;                                                        \
            fprintf(stderr, "FAIL %s\n", #test);                                         \
        } else {                                                                         \
            printf("ok   %s\n", #test);                                                  \
        }                                                                                \
    } while (0)

/* The line tests/c/run.sh adds up. */
#define CHECK_DONE()                                                                     \
    (printf("%d passed, %d failed\n", check_tests_run - check_tests_failed,              \
            check_tests_failed),                                                         \
     check_tests_failed ? 1 : 0)

#endif
