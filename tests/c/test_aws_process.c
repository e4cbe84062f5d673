#define _GNU_SOURCE
#include "aws_credentials.h"
#include "check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/iamcore-procXXXXXX";

/* Write an executable script into the temp dir; "@DIR@" in body is replaced by
 * the directory. Returns its absolute path (static storage, 8 slots). */
static const char *script(const char *name, const char *body)
{
    static char paths[8][256];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 256, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    fputs("#!/bin/sh\n", f);
    for (const char *s = body; *s; s++) {
        if (strncmp(s, "@DIR@", 5) == 0) {
            fputs(dir, f);
            s += 4;
        } else {
            fputc(*s, f);
        }
    }
    fclose(f);
    chmod(p, 0755);
    return p;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory stream itself */
}

static long read_pid(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long pid = -1;
    if (fscanf(f, "%ld", &pid) != 1)
        pid = -1;
    fclose(f);
    return pid;
}

/* A process is gone when it no longer exists or is a zombie waiting for a
 * reaper that is not us (init in a container may be slow to reap). */
static int process_gone(long pid)
{
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        return 1;
    char path[64], stat[256] = "";
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = '\0';
    const char *paren = strrchr(stat, ')');
    return paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

static int eventually_gone(long pid)
{
    for (int i = 0; i < 200; i++) {
        if (process_gone(pid))
            return 1;
        usleep(10000);
    }
    return 0;
}

static int run(const char *cmd, long timeout_ms, iam_aws_creds **c, iam_error *err)
{
    iam_error_clear(err);
    *c = (iam_aws_creds *)1;
    return iam_aws_process_credentials(c, cmd, timeout_ms, err);
}

/* ---------------------------------------------------------------- splitting */

/* Splits cmd and compares with the expected words (NULL-terminated). */
static int split_is(const char *cmd, const char *const *want)
{
    char **argv;
    int argc;
    iam_error err;
    if (iam_aws_split_command(&argv, &argc, cmd, &err) != IAM_OK) {
        fprintf(stderr, "  split failed: [%s]: %s\n", cmd, err.message);
        return 0;
    }
    int ok = 1, i = 0;
    for (; want[i]; i++) {
        if (i >= argc || strcmp(argv[i], want[i]) != 0) {
            fprintf(stderr, "  [%s] word %d: \"%s\", want \"%s\"\n", cmd, i,
                    i < argc ? argv[i] : "(none)", want[i]);
            ok = 0;
        }
    }
    if (argc != i || argv[argc] != NULL) {
        fprintf(stderr, "  [%s]: %d words, want %d\n", cmd, argc, i);
        ok = 0;
    }
    iam_aws_argv_free(argv);
    return ok;
}

#define SPLIT(cmd, ...) CHECK(split_is(cmd, (const char *const[]){__VA_ARGS__, NULL}))

static void split_on_white_space(void)
{
    SPLIT("tool", "tool");
    SPLIT("  /usr/bin/tool   --a  b\t c\n d\r\n", "/usr/bin/tool", "--a", "b", "c", "d");
}

static void split_single_quotes_are_literal(void)
{
    SPLIT("tool 'a b' 'x\\y' '\"' 'it''s'", "tool", "a b", "x\\y", "\"", "its");
    SPLIT("tool '$HOME' '~' '*'", "tool", "$HOME", "~", "*");
}

static void split_double_quotes_with_escapes(void)
{
    SPLIT("tool \"a b\" \"q\\\"q\" \"b\\\\s\" \"d\\$x\" \"t\\`x\"", "tool", "a b", "q\"q", "b\\s",
          "d$x", "t`x");
    /* a backslash before any other character stays */
    SPLIT("tool \"a\\nb\" \"c\\'d\"", "tool", "a\\nb", "c\\'d");
    SPLIT("tool \"line\\\nnext\"", "tool", "linenext");
    SPLIT("tool \"it's\"", "tool", "it's");
}

static void split_backslash_outside_quotes(void)
{
    SPLIT("tool a\\ b c\\\\d \\\"e\\' \\$f", "tool", "a b", "c\\d", "\"e'", "$f");
    SPLIT("tool a \\\n b", "tool", "a", "b");      /* line continuation */
    SPLIT("tool a\\\nb", "tool", "ab");
}

static void split_adjacent_parts_join(void)
{
    SPLIT("tool a\"b c\"d 'e'\"f\"g", "tool", "ab cd", "efg");
    SPLIT("tool \"\" ''", "tool", "", "");
    SPLIT("tool --x=\"a b\"", "tool", "--x=a b");
}

static void split_has_no_shell_syntax(void)
{
    SPLIT("tool # not a comment", "tool", "#", "not", "a", "comment");
    SPLIT("tool a|b >out; $(x) `y` &", "tool", "a|b", ">out;", "$(x)", "`y`", "&");
}

static void split_errors_are_config_errors(void)
{
    const char *bad[] = {"tool 'open", "tool \"open", "tool \"a\\\"", "tool trailing\\", "", "   \t\n",
                         "\\\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char **argv = (char **)1;
        int argc = 7;
        iam_error err;
        iam_error_clear(&err);
        CHECK_EQ_INT(iam_aws_split_command(&argv, &argc, bad[i], &err), IAM_E_CONFIG);
        CHECK(argv == NULL && argc == 0);
        CHECK(strstr(err.message, "credential_process") != NULL);
    }
    char **argv;
    int argc;
    CHECK_EQ_INT(iam_aws_split_command(&argv, &argc, NULL, NULL), IAM_E_CONFIG);
    iam_aws_argv_free(NULL);
}

static void split_worst_case_word_count(void)
{
    /* "a a a … a": the most words per byte */
    char cmd[2001];
    for (int i = 0; i < 2000; i++)
        cmd[i] = i % 2 ? ' ' : 'a';
    cmd[2000] = '\0';
    char **argv;
    int argc;
    CHECK_EQ_INT(iam_aws_split_command(&argv, &argc, cmd, NULL), IAM_OK);
    CHECK_EQ_INT(argc, 1000);
    iam_aws_argv_free(argv);
    /* "'' '' … ''" */
    for (int i = 0; i < 1998; i += 3) {
        cmd[i] = '\'';
        cmd[i + 1] = '\'';
        cmd[i + 2] = ' ';
    }
    cmd[1998] = '\0';
    CHECK_EQ_INT(iam_aws_split_command(&argv, &argc, cmd, NULL), IAM_OK);
    CHECK_EQ_INT(argc, 666);
    iam_aws_argv_free(argv);
}

/* ---------------------------------------------------------------- success */

static void full_output_with_token_and_expiration(void)
{
    const char *p = script("full.sh", "cat <<'EOF'\n"
                                      "{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\",\n"
                                      " \"SecretAccessKey\": \"proc-secret-key\",\n"
                                      " \"SessionToken\": \"proc-session-token\",\n"
                                      " \"Expiration\": \"2026-11-23T12:00:00Z\",\n"
                                      " \"AccountId\": \"123456789012\"}\n"
                                      "EOF\n");
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(run(p, 5000, &c, &err), IAM_OK);
    if (err.code) fprintf(stderr, "  %s\n", err.message);
    CHECK_EQ_STR(c->access_key_id, "ASIAPROC");
    CHECK(strcmp(c->secret_access_key, "proc-secret-key") == 0);
    CHECK(c->session_token && strcmp(c->session_token, "proc-session-token") == 0);
    CHECK_EQ_INT(c->base.expires_at, 1795435200);
    CHECK_EQ_STR(c->source, "process");
    iam_aws_creds_release(c);
}

static void minimal_output_never_expires(void)
{
    const char *p = script("min.sh", "echo '{\"Version\":1,\"AccessKeyId\":\"AKIAPROC\","
                                     "\"SecretAccessKey\":\"proc-secret-key\"}'\n");
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(run(p, 0 /* default 60 s */, &c, &err), IAM_OK);
    CHECK_EQ_STR(c->access_key_id, "AKIAPROC");
    CHECK(c->session_token == NULL);
    CHECK_EQ_INT(c->base.expires_at, 0);
    iam_aws_creds_release(c);
    /* null members count as absent */
    p = script("nulls.sh", "echo '{\"Version\":1,\"AccessKeyId\":\"AKIAPROC\","
                           "\"SecretAccessKey\":\"s3cr3t-key\",\"SessionToken\":null,"
                           "\"Expiration\":null}'\n");
    CHECK_EQ_INT(run(p, 5000, &c, &err), IAM_OK);
    CHECK(c->session_token == NULL && c->base.expires_at == 0);
    iam_aws_creds_release(c);
}

static void stderr_is_ignored_on_success(void)
{
    const char *p = script("chatty.sh", "echo 'warming up...' >&2\n"
                                        "echo '{\"Version\":1,\"AccessKeyId\":\"AK\","
                                        "\"SecretAccessKey\":\"SK\"}'\n");
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(run(p, 5000, &c, &err), IAM_OK);
    iam_aws_creds_release(c);
}

static void arguments_are_split_without_a_shell(void)
{
    const char *p = script("args.sh", "printf '{\"Version\":1,\"AccessKeyId\":\"%s|%s|%s|%s\","
                                      "\"SecretAccessKey\":\"%s\"}' \"$1\" \"$2\" \"$3\" \"$4\" "
                                      "\"$#\"\n");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s 'a b' \"c d\" e\\ f $HOME", p);
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(run(cmd, 5000, &c, &err), IAM_OK);
    CHECK_EQ_STR(c->access_key_id, "a b|c d|e f|$HOME");
    CHECK(strcmp(c->secret_access_key, "4") == 0); /* the argument count */
    iam_aws_creds_release(c);
}

static void program_is_found_in_path(void)
{
    script("iamcore-test-cred-tool", "echo '{\"Version\":1,\"AccessKeyId\":\"AKIAPATH\","
                                     "\"SecretAccessKey\":\"SK\"}'\n");
    const char *old = getenv("PATH");
    char *saved = old ? strdup(old) : NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s:%s", dir, old ? old : "/usr/bin:/bin");
    setenv("PATH", path, 1);
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(run("iamcore-test-cred-tool --flag", 5000, &c, &err), IAM_OK);
    CHECK_EQ_STR(c->access_key_id, "AKIAPATH");
    iam_aws_creds_release(c);
    if (saved)
        setenv("PATH", saved, 1);
    free(saved);
}

static void child_gets_dev_null_and_a_clean_signal_state(void)
{
    /* stdin must be /dev/null; SIGPIPE must not stay ignored; the signal mask
     * must be empty even when the calling thread blocks signals. */
    const char *p = script("env.sh", "[ \"$(readlink /proc/self/fd/0)\" = /dev/null ] || exit 11\n"
                                     "ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status)\n"
                                     "blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' /proc/$$/status)\n"
                                     "printf '{\"Version\":1,\"AccessKeyId\":\"%s\","
                                     "\"SecretAccessKey\":\"%s\"}' \"$ign\" \"$blk\"\n");
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
    sigaction(SIGPIPE, &ign, &old_pipe);
    sigset_t block, old_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old_mask);

    iam_aws_creds *c;
    iam_error err;
    int rc = run(p, 5000, &c, &err);

    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    CHECK_EQ_INT(rc, IAM_OK);
    if (rc != IAM_OK) {
        fprintf(stderr, "  %s\n", err.message);
        return;
    }
    unsigned long long ignored = strtoull(c->access_key_id, NULL, 16);
    unsigned long long blocked = strtoull(c->secret_access_key, NULL, 16);
    CHECK((ignored & (1ull << (SIGPIPE - 1))) == 0);
    CHECK_EQ_INT(blocked, 0);
    iam_aws_creds_release(c);
    /* and our own disposition is back as it was */
    struct sigaction now;
    sigaction(SIGPIPE, NULL, &now);
    CHECK(now.sa_handler == old_pipe.sa_handler);
}

static void child_inherits_no_extra_descriptors(void)
{
    int leaky = open("/dev/null", O_RDONLY); /* deliberately without O_CLOEXEC */
    char body[512];
    snprintf(body, sizeof body,
             "n=$(ls /proc/self/fd | wc -l)\n"
             "[ -e /proc/$$/fd/%d ] && leak=yes || leak=no\n"
             "printf '{\"Version\":1,\"AccessKeyId\":\"%%s\",\"SecretAccessKey\":\"SK\"}' "
             "\"$leak\"\n",
             leaky);
    const char *p = script("fds.sh", body);
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(run(p, 5000, &c, &err), IAM_OK);
#if defined(__GLIBC__) && defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 34)
    CHECK_EQ_STR(c->access_key_id, "no");
#endif
#endif
    iam_aws_creds_release(c);
    close(leaky);
}

/* ---------------------------------------------------------------- failures */

static void non_zero_exit_carries_stderr_not_stdout(void)
{
    const char *p = script("fail.sh",
                           "echo '{\"Version\":1,\"AccessKeyId\":\"AKIALEAK\","
                           "\"SecretAccessKey\":\"STDOUT-SECRET-VALUE\"}'\n"
                           "echo 'Error: the SSO session has expired.' >&2\n"
                           "echo 'Run aws sso login.' >&2\n"
                           "exit 3\n");
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(run(p, 5000, &c, &err), IAM_E_AUTH);
    CHECK(c == NULL);
    CHECK_EQ_INT(err.code, IAM_E_AUTH);
    CHECK_EQ_STR(err.message, "credential_process exited with status 3: Error: the SSO session has "
                              "expired. Run aws sso login.");
    CHECK(strstr(err.message, "STDOUT-SECRET-VALUE") == NULL);
    CHECK(strstr(err.message, "AKIALEAK") == NULL);
}

static void non_zero_exit_without_stderr(void)
{
    const char *p = script("quiet.sh", "exit 1\n");
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(run(p, 5000, &c, &err), IAM_E_AUTH);
    CHECK_EQ_STR(err.message, "credential_process exited with status 1 (nothing on stderr)");
}

static void stderr_excerpt_is_capped_and_cleaned(void)
{
    /* control characters, a terminal escape, then 10 KB */
    const char *p = script("noisy.sh", "printf 'bad\\tthing\\r\\nhappened\\033[31m red' >&2\n"
                                       "head -c 10000 /dev/zero | tr '\\0' 'x' >&2\n"
                                       "exit 2\n");
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(run(p, 5000, &c, &err), IAM_E_AUTH);
    const char *excerpt = strstr(err.message, ": ");
    CHECK(excerpt != NULL);
    if (!excerpt)
        return;
    excerpt += 2;
    CHECK_EQ_INT(strlen(excerpt), 200);
    CHECK(strncmp(excerpt, "bad thing happened [31m redxxx", 30) == 0);
    for (const char *q = err.message; *q; q++)
        CHECK((unsigned char)*q >= 0x20 && *q != 0x7f);
}

static void stderr_excerpt_never_splits_utf8(void)
{
    /* 199 ASCII bytes then a 3-byte character: it does not fit in 200 */
    const char *p = script("utf8.sh", "head -c 199 /dev/zero | tr '\\0' 'y' >&2\n"
                                      "printf '\\342\\202\\254 more' >&2\n"
                                      "exit 4\n");
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(run(p, 5000, &c, &err), IAM_E_AUTH);
    const char *excerpt = strstr(err.message, ": ");
    CHECK(excerpt && strlen(excerpt + 2) == 199);
}

static void killed_by_a_signal(void)
{
    const char *p = script("killed.sh", "echo 'going down' >&2\nkill -9 $$\n");
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(run(p, 5000, &c, &err), IAM_E_AUTH);
    CHECK(strstr(err.message, "killed by signal 9: going down") != NULL);
}

static void garbage_stdout_is_a_parse_error_without_the_output(void)
{
    const char *p = script("garbage.sh", "echo 'AKIAGARBAGE SECRET-IN-GARBAGE not json'\n");
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(run(p, 5000, &c, &err), IAM_E_PARSE);
    CHECK(c == NULL);
    CHECK(strstr(err.message, "SECRET-IN-GARBAGE") == NULL);
    CHECK(strstr(err.message, "AKIAGARBAGE") == NULL);
    /* empty output, a JSON array, a string */
    const char *outputs[] = {"true", "echo '[1,2]'", "echo '\"SECRET-STRING\"'",
                             "printf '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"B\"'"};
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) {
        char body[256];
        snprintf(body, sizeof body, "%s\n", outputs[i]);
        p = script("garbage2.sh", body);
        CHECK_EQ_INT(run(p, 5000, &c, &err), IAM_E_PARSE);
        CHECK(strstr(err.message, "SECRET") == NULL);
    }
}

static void version_must_be_1(void)
{
    const char *bodies[] = {
        "echo '{\"Version\":2,\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"VERSION-SECRET\"}'\n",
        "echo '{\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"VERSION-SECRET\"}'\n",
        "echo '{\"Version\":\"1\",\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"VERSION-SECRET\"}'\n",
        "echo '{\"Version\":1.5,\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"VERSION-SECRET\"}'\n",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        const char *p = script("version.sh", bodies[i]);
        iam_aws_creds *c;
        iam_error err;
        CHECK_EQ_INT(run(p, 5000, &c, &err), IAM_E_PARSE);
        CHECK(strstr(err.message, "Version") != NULL);
        CHECK(strstr(err.message, "VERSION-SECRET") == NULL);
    }
}

static void missing_or_invalid_members_are_named(void)
{
    struct {
        const char *body, *names;
    } cases[] = {
        {"echo '{\"Version\":1,\"SecretAccessKey\":\"MEMBER-SECRET\"}'\n", "AccessKeyId"},
        {"echo '{\"Version\":1,\"AccessKeyId\":\"AKIAMEMBER\"}'\n", "SecretAccessKey"},
        {"echo '{\"Version\":1,\"AccessKeyId\":\"\",\"SecretAccessKey\":\"MEMBER-SECRET\"}'\n",
         "AccessKeyId"},
        {"echo '{\"Version\":1,\"AccessKeyId\":\"AKIAMEMBER\",\"SecretAccessKey\":7}'\n",
         "SecretAccessKey"},
        {"echo '{\"Version\":1,\"AccessKeyId\":\"AKIAMEMBER\",\"SecretAccessKey\":\"MEMBER-SECRET\","
         "\"SessionToken\":5}'\n",
         "SessionToken"},
        {"echo '{\"Version\":1,\"AccessKeyId\":\"AKIAMEMBER\",\"SecretAccessKey\":\"MEMBER-SECRET\","
         "\"Expiration\":\"next tuesday\"}'\n",
         "Expiration"},
        {"echo '{\"Version\":1,\"AccessKeyId\":\"AKIAMEMBER\",\"SecretAccessKey\":\"MEMBER-SECRET\","
         "\"Expiration\":1795435200}'\n",
         "Expiration"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *p = script("member.sh", cases[i].body);
        iam_aws_creds *c;
        iam_error err;
        CHECK_EQ_INT(run(p, 5000, &c, &err), IAM_E_PARSE);
        CHECK(c == NULL);
        CHECK(strstr(err.message, cases[i].names) != NULL);
        CHECK(strstr(err.message, "MEMBER-SECRET") == NULL);
        CHECK(strstr(err.message, "AKIAMEMBER") == NULL);
        CHECK(strstr(err.message, "tuesday") == NULL);
    }
}

static void missing_executable_is_a_config_error(void)
{
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(run("/nonexistent/dir/tool --arg", 5000, &c, &err), IAM_E_CONFIG);
    CHECK(strstr(err.message, "/nonexistent/dir/tool") != NULL);
    CHECK(strstr(err.message, "No such file") != NULL);
    CHECK_EQ_INT(run("iamcore-no-such-tool-4711", 5000, &c, &err), IAM_E_CONFIG);
    CHECK(c == NULL);
    /* a file that is not executable */
    const char *p = script("notexec.sh", "exit 0\n");
    chmod(p, 0644);
    if (geteuid() != 0) {
        CHECK_EQ_INT(run(p, 5000, &c, &err), IAM_E_CONFIG);
        CHECK(strstr(err.message, "ermission") != NULL);
    }
    /* a directory */
    CHECK_EQ_INT(run(dir, 5000, &c, &err), IAM_E_CONFIG);
}

static void bad_command_lines_are_config_errors(void)
{
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(run("tool 'unbalanced", 5000, &c, &err), IAM_E_CONFIG);
    CHECK(strstr(err.message, "quote") != NULL);
    CHECK_EQ_INT(run("", 5000, &c, &err), IAM_E_CONFIG);
    CHECK_EQ_INT(run(NULL, 5000, &c, &err), IAM_E_CONFIG);
    CHECK_EQ_INT(run("/bin/true", -1, &c, &err), IAM_E_CONFIG);
    CHECK(strstr(err.message, "timeout") != NULL);
}

static void huge_output_is_refused_quickly(void)
{
    const char *p = script("huge.sh", "head -c 10000000 /dev/zero | tr '\\0' 'a'\n");
    iam_aws_creds *c;
    iam_error err;
    int64_t t0 = now_ms();
    CHECK_EQ_INT(run(p, 10000, &c, &err), IAM_E_TRANSPORT);
    CHECK(now_ms() - t0 < 3000);
    CHECK(strstr(err.message, "64 KiB") != NULL);
    CHECK(strstr(err.message, "aaaa") == NULL);
    /* exactly at the cap is fine as far as the size goes (then it is no JSON) */
    p = script("cap.sh", "head -c 65536 /dev/zero | tr '\\0' ' '\n");
    CHECK_EQ_INT(run(p, 10000, &c, &err), IAM_E_PARSE);
    p = script("cap1.sh", "head -c 65537 /dev/zero | tr '\\0' ' '\n");
    CHECK_EQ_INT(run(p, 10000, &c, &err), IAM_E_TRANSPORT);
}

static void large_valid_output_under_the_cap(void)
{
    /* a 60 KB session token, written in pieces */
    const char *p = script("bigtoken.sh",
                           "printf '{\"Version\":1,\"AccessKeyId\":\"AK\",\"SecretAccessKey\":\"SK\","
                           "\"SessionToken\":\"'\n"
                           "head -c 60000 /dev/zero | tr '\\0' 't'\n"
                           "printf '\"}'\n");
    iam_aws_creds *c;
    iam_error err;
    CHECK_EQ_INT(run(p, 10000, &c, &err), IAM_OK);
    CHECK(c->session_token && strlen(c->session_token) == 60000);
    iam_aws_creds_release(c);
}

static void timeout_kills_and_reaps_the_child(void)
{
    const char *p = script("slow.sh", "echo $$ > @DIR@/slow.pid\n"
                                      "sleep 10 &\n"
                                      "echo $! > @DIR@/slow.child\n"
                                      "wait\n");
    iam_aws_creds *c;
    iam_error err;
    int64_t t0 = now_ms();
    CHECK_EQ_INT(run(p, 300, &c, &err), IAM_E_TIMEOUT);
    int64_t elapsed = now_ms() - t0;
    CHECK(elapsed >= 290 && elapsed < 2000);
    CHECK(c == NULL);
    CHECK_EQ_STR(err.message, "credential_process did not finish within 300 ms");
    long pid = read_pid("slow.pid"), grandchild = read_pid("slow.child");
    CHECK(pid > 0 && grandchild > 0);
    /* our child was reaped before we returned: no zombie, no process */
    CHECK(pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH);
    /* Processes it started are not ours to kill (it stays in our process group
     * for terminal job control, see aws_process.c): clean up here. */
    if (grandchild > 0) {
        kill((pid_t)grandchild, SIGKILL);
        CHECK(eventually_gone(grandchild));
    }
}

static void timeout_of_a_wrapper_that_execs(void)
{
    /* the recommended shape of a wrapper script: exec, so the tool is the child */
    const char *p = script("exec.sh", "echo $$ > @DIR@/exec.pid\nexec sleep 10\n");
    iam_aws_creds *c;
    iam_error err;
    int64_t t0 = now_ms();
    CHECK_EQ_INT(run(p, 300, &c, &err), IAM_E_TIMEOUT);
    CHECK(now_ms() - t0 < 2000);
    long pid = read_pid("exec.pid");
    CHECK(pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH);
}

static void timeout_while_writing_without_pause(void)
{
    const char *p = script("spew.sh", "while :; do echo 'noise noise noise' >&2; done\n");
    iam_aws_creds *c;
    iam_error err;
    int64_t t0 = now_ms();
    CHECK_EQ_INT(run(p, 300, &c, &err), IAM_E_TIMEOUT);
    CHECK(now_ms() - t0 < 2000);
}

static void child_that_closes_stdout_early_is_still_timed(void)
{
    /* closes both pipes, then keeps running */
    const char *p = script("closer.sh", "exec >&- 2>&-\nexec sleep 10\n");
    iam_aws_creds *c;
    iam_error err;
    int64_t t0 = now_ms();
    CHECK_EQ_INT(run(p, 300, &c, &err), IAM_E_TIMEOUT);
    CHECK(now_ms() - t0 < 2000);
}

static void background_process_holding_stdout_does_not_block(void)
{
    /* the tool answers and exits, but leaves a process holding its stdout */
    const char *p = script("daemon.sh", "sleep 3 &\n"
                                        "echo $! > @DIR@/daemon.pid\n"
                                        "echo '{\"Version\":1,\"AccessKeyId\":\"AKIADAEMON\","
                                        "\"SecretAccessKey\":\"SK\"}'\n");
    iam_aws_creds *c;
    iam_error err;
    int64_t t0 = now_ms();
    CHECK_EQ_INT(run(p, 10000, &c, &err), IAM_OK);
    CHECK(now_ms() - t0 < 1500);
    if (c != NULL && c != (iam_aws_creds *)1) {
        CHECK_EQ_STR(c->access_key_id, "AKIADAEMON");
        iam_aws_creds_release(c);
    }
    long daemon = read_pid("daemon.pid"); /* not ours to kill: the test cleans up */
    if (daemon > 0) {
        kill((pid_t)daemon, SIGKILL);
        CHECK(eventually_gone(daemon));
    }
}

/* ---------------------------------------------------------------- threads */

static const char *thread_cmd;

static void *thread_main(void *arg)
{
    (void)arg;
    int ok = 1;
    for (int i = 0; i < 5; i++) {
        iam_aws_creds *c;
        iam_error err;
        if (iam_aws_process_credentials(&c, thread_cmd, 10000, &err) != IAM_OK)
            ok = 0;
        else
            iam_aws_creds_release(c);
    }
    return ok ? arg : NULL;
}

static void concurrent_runs_on_many_threads(void)
{
    thread_cmd = script("thread.sh", "echo '{\"Version\":1,\"AccessKeyId\":\"AKIATHREAD\","
                                     "\"SecretAccessKey\":\"SK\"}'\n");
    pthread_t t[8];
    int ids[8];
    for (int i = 0; i < 8; i++) {
        ids[i] = i;
        pthread_create(&t[i], NULL, thread_main, &ids[i]);
    }
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(t[i], &r);
        CHECK(r == &ids[i]);
    }
}

/* ---------------------------------------------------------------- leaks */

static int fds_at_start;

static void no_zombie_and_no_descriptor_left(void)
{
    /* every test above reaped its children and closed its pipes */
    int status;
    errno = 0;
    CHECK(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD);
    CHECK_EQ_INT(count_fds(), fds_at_start);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    fds_at_start = count_fds();
    RUN(split_on_white_space);
    RUN(split_single_quotes_are_literal);
    RUN(split_double_quotes_with_escapes);
    RUN(split_backslash_outside_quotes);
    RUN(split_adjacent_parts_join);
    RUN(split_has_no_shell_syntax);
    RUN(split_errors_are_config_errors);
    RUN(split_worst_case_word_count);
    RUN(full_output_with_token_and_expiration);
    RUN(minimal_output_never_expires);
    RUN(stderr_is_ignored_on_success);
    RUN(arguments_are_split_without_a_shell);
    RUN(program_is_found_in_path);
    RUN(child_gets_dev_null_and_a_clean_signal_state);
    RUN(child_inherits_no_extra_descriptors);
    RUN(non_zero_exit_carries_stderr_not_stdout);
    RUN(non_zero_exit_without_stderr);
    RUN(stderr_excerpt_is_capped_and_cleaned);
    RUN(stderr_excerpt_never_splits_utf8);
    RUN(killed_by_a_signal);
    RUN(garbage_stdout_is_a_parse_error_without_the_output);
    RUN(version_must_be_1);
    RUN(missing_or_invalid_members_are_named);
    RUN(missing_executable_is_a_config_error);
    RUN(bad_command_lines_are_config_errors);
    RUN(huge_output_is_refused_quickly);
    RUN(large_valid_output_under_the_cap);
    RUN(timeout_kills_and_reaps_the_child);
    RUN(timeout_of_a_wrapper_that_execs);
    RUN(timeout_while_writing_without_pause);
    RUN(child_that_closes_stdout_early_is_still_timed);
    RUN(background_process_holding_stdout_does_not_block);
    RUN(concurrent_runs_on_many_threads);
    RUN(no_zombie_and_no_descriptor_left);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return CHECK_DONE();
}
