/*
 * credential_process: run an external command and read AWS credentials from
 * its standard output.
 *
 * The command line is split into words WITHOUT a shell, as a POSIX shell would
 * split it without expansions:
 *   - space, tab, CR and LF separate words;
 *   - '...' is literal (no escapes inside);
 *   - "..." keeps white space; inside, a backslash escapes only \ " $ and `
 *     (before any other character it stays a backslash), backslash-newline is
 *     removed;
 *   - outside quotes, a backslash makes the next character literal and
 *     backslash-newline is removed (a line continuation);
 *   - quoted and unquoted parts next to each other form one word: a"b c"d is
 *     `ab cd`; "" is an empty word;
 *   - no variable, tilde, glob or command expansion, no comments, no
 *     redirection: $HOME, ~, *, #, | and > are ordinary characters;
 *   - an unterminated quote or a trailing backslash is IAM_E_CONFIG.
 * botocore splits with Python's shlex.split, which agrees except that it treats
 * $ and ` inside "..." as ordinary characters and keeps a backslash-newline as a
 * newline character inside the word.
 *
 * The first word is looked up in PATH (posix_spawnp) unless it contains a '/'.
 * The child gets: stdin from /dev/null, stdout and stderr on pipes, the
 * caller's environment, an empty signal mask, and SIGPIPE and SIGXFSZ at their
 * default action (hosts such as Python ignore them). It stays in the caller's
 * process group, as with botocore: a tool that prompts on /dev/tty must be in
 * the terminal's foreground group (in a group of its own it would be stopped by
 * SIGTTIN), and Ctrl-C must reach it. The price: on timeout only the child
 * itself is killed, not processes it started — a wrapper script should `exec`
 * its tool. No signal disposition of the calling process is changed and no
 * SIGCHLD handler is needed: the child is always reaped with waitpid, also on
 * timeout and on every error. Every descriptor is created O_CLOEXEC (and, with
 * glibc 2.34 or later, descriptors the host left inheritable are closed in the
 * child), so concurrent spawns on other threads never inherit our pipes.
 *
 * Reading: both pipes are drained with poll() until end of file, up to the
 * timeout (0: 60 s). stdout is capped at 64 KiB (more is IAM_E_TRANSPORT, the
 * code the HTTP layer uses for a response that is too large), stderr at 4 KiB
 * (the rest is read and dropped). If the child exits while a process it left
 * behind keeps the pipes open, reading stops once the child has been reaped.
 *
 * Results and error codes:
 *   IAM_E_CONFIG     empty command, unterminated quote, trailing backslash,
 *                    negative timeout, the program cannot be found or run
 *   IAM_E_TIMEOUT    not finished in time: the child is killed with SIGKILL
 *                    and reaped before returning
 *   IAM_E_AUTH       non-zero exit status or killed by a signal: the tool was
 *                    reached and refused (expired SSO session, MFA needed, …),
 *                    which is what IAM_E_AUTH means for the token services.
 *                    The message is "credential_process exited with status N:
 *                    <first 200 bytes of stderr, control characters replaced>";
 *                    stdout is never included.
 *   IAM_E_PARSE      exit status 0 but the output is not a JSON object, Version
 *                    is not 1, AccessKeyId or SecretAccessKey is missing or
 *                    empty, SessionToken is not a string, or Expiration is not an
 *                    ISO 8601 date-time. The message names the field, never a
 *                    value, and never contains stdout.
 *   IAM_E_TRANSPORT  stdout over 64 KiB, or the process could not be started
 *                    for lack of resources (EAGAIN, EMFILE, …)
 *   IAM_E_NOMEM      out of memory
 * The stdout buffer and the parsed JSON are zeroed before they are freed.
 *
 * Expected output: {"Version": 1, "AccessKeyId": "...", "SecretAccessKey": "...",
 * "SessionToken": "..." (optional), "Expiration": "2026-11-23T12:00:00Z"
 * (optional; absent means the credentials never expire)}. Other members are
 * ignored.
 */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "aws_credentials.h"
#include "error.h"
#include "json.h"
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ---------------------------------------------------------------- splitting */

static int is_word_sep(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void iam_aws_argv_free(char **argv)
{
    if (!argv)
        return;
    for (char **a = argv; *a; a++)
        iam_wipe(*a, strlen(*a)); /* arguments may carry secrets */
    free(argv);
}

int iam_aws_split_command(char ***argv_out, int *argc_out, const char *cmd, iam_error *err)
{
    *argv_out = NULL;
    *argc_out = 0;
    if (!cmd)
        cmd = "";
    size_t n = strlen(cmd);
    /* A word takes at least one input character and one separator, so there are
     * at most n/2 + 1 of them; their text (with NULs) is at most n + 1 bytes. */
    size_t max_words = n / 2 + 2;
    if (max_words > (SIZE_MAX - n - 1) / sizeof(char *) - 1)
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    char **argv = malloc(max_words * sizeof *argv + n + 1);
    if (!argv)
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    char *o = (char *)(argv + max_words);
    const char *p = cmd;
    int argc = 0;
    const char *problem = NULL;

    for (;;) {
        while (is_word_sep(*p) || (p[0] == '\\' && p[1] == '\n'))
            p += is_word_sep(*p) ? 1 : 2;
        if (!*p)
            break;
        argv[argc++] = o;
        while (*p && !is_word_sep(*p) && !problem) {
            if (*p == '\'') {
                const char *end = strchr(p + 1, '\'');
                if (!end) {
                    problem = "has an unterminated ' quote";
                    break;
                }
                memcpy(o, p + 1, (size_t)(end - p - 1));
                o += end - p - 1;
                p = end + 1;
            } else if (*p == '"') {
                for (p++; *p && *p != '"';) {
                    if (p[0] == '\\' && (p[1] == '\\' || p[1] == '"' || p[1] == '$' ||
                                         p[1] == '`')) {
                        *o++ = p[1];
                        p += 2;
                    } else if (p[0] == '\\' && p[1] == '\n') {
                        p += 2;
                    } else {
                        *o++ = *p++;
                    }
                }
                if (!*p)
                    problem = "has an unterminated \" quote";
                else
                    p++;
            } else if (*p == '\\') {
                if (!p[1])
                    problem = "ends with a backslash";
                else if (p[1] == '\n')
                    p += 2;
                else {
                    *o++ = p[1];
                    p += 2;
                }
            } else {
                *o++ = *p++;
            }
        }
        *o++ = '\0';
        if (problem)
            break;
    }
    argv[argc] = NULL;
    if (!problem && argc == 0)
        problem = "is empty";
    if (problem) {
        iam_aws_argv_free(argv);
        return iam_error_set(err, IAM_E_CONFIG, "credential_process %s", problem);
    }
    *argv_out = argv;
    *argc_out = argc;
    return IAM_OK;
}

/* ---------------------------------------------------------------- running */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* A pipe with both ends O_CLOEXEC and above 2, so that the child's dup2 onto
 * 1 and 2 always makes a copy (which does not inherit FD_CLOEXEC) even when the
 * host runs with its standard descriptors closed. */
static int make_pipe(int fds[2])
{
#if defined(__APPLE__)
    /* No pipe2: a spawn on another thread between pipe() and fcntl() could
     * inherit the pipe (it would then hold our read loop until it exits). */
    if (pipe(fds) != 0) {
        fds[0] = fds[1] = -1;
        return -1;
    }
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
#else
    if (pipe2(fds, O_CLOEXEC) != 0) {
        fds[0] = fds[1] = -1;
        return -1;
    }
#endif
    for (int i = 0; i < 2; i++) {
        if (fds[i] <= 2) {
            int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
            if (moved < 0) {
                int e = errno;
                close(fds[0]);
                close(fds[1]);
                fds[0] = fds[1] = -1;
                errno = e;
                return -1;
            }
            close(fds[i]);
            fds[i] = moved;
        }
    }
    return 0;
}

typedef struct child {
    pid_t pid;
    int out_fd, err_fd;
    int reaped;
    int status; /* wait status once reaped */
} child;

/* Kill the child and reap it. */
static void kill_and_reap(child *c)
{
    if (c->reaped)
        return;
    kill(c->pid, SIGKILL); /* the pid is still ours: not reaped yet */
    while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR) {
    }
    c->reaped = 1;
}

/* waitpid without blocking; 1 once the child is gone. ECHILD (the host set
 * SIGCHLD to SIG_IGN, so the kernel reaped it) counts as a clean exit. */
static int try_reap(child *c)
{
    if (c->reaped)
        return 1;
    for (;;) {
        pid_t r = waitpid(c->pid, &c->status, WNOHANG);
        if (r == c->pid) {
            c->reaped = 1;
            return 1;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            c->status = 0;
            c->reaped = 1;
            return 1;
        }
        return 0;
    }
}

static int spawn_error(const char *prog, int e, iam_error *err)
{
    char buf[128];
    const char *why = iam_aws_errno_text(e, buf, sizeof buf);
    int code = IAM_E_TRANSPORT;
    if (e == ENOENT || e == EACCES || e == ENOEXEC || e == ENOTDIR || e == ELOOP ||
        e == ENAMETOOLONG || e == EPERM || e == EISDIR)
        code = IAM_E_CONFIG;
    else if (e == ENOMEM)
        code = IAM_E_NOMEM;
    return iam_error_set(err, code, "credential_process: cannot run \"%.200s\": %s", prog, why);
}

static int start_child(child *c, char **argv, iam_error *err)
{
    int outp[2] = {-1, -1}, errp[2] = {-1, -1};
    c->out_fd = c->err_fd = -1;
    c->reaped = 0;
    c->status = 0;
    if (make_pipe(outp) != 0 || make_pipe(errp) != 0) {
        int e = errno;
        close_fd(&outp[0]);
        close_fd(&outp[1]);
        return spawn_error(argv[0], e, err);
    }

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc == 0) {
        rc = posix_spawnattr_init(&attr);
        if (rc != 0)
            posix_spawn_file_actions_destroy(&fa);
    }
    if (rc != 0) {
        close_fd(&outp[0]);
        close_fd(&outp[1]);
        close_fd(&errp[0]);
        close_fd(&errp[1]);
        return spawn_error(argv[0], rc, err);
    }
    sigset_t none, dflt;
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);
    sigaddset(&dflt, SIGXFSZ);
    if (!rc)
        rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!rc)
        rc = posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
    if (!rc)
        rc = posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
#if defined(__GLIBC__) && defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 34)
    /* Also descriptors the host opened without O_CLOEXEC stay out of the child. */
    if (!rc)
        rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
#endif
    if (!rc)
        rc = posix_spawnattr_setsigmask(&attr, &none);
    if (!rc)
        rc = posix_spawnattr_setsigdefault(&attr, &dflt);
    if (!rc)
        rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (!rc)
        rc = posix_spawnp(&c->pid, argv[0], &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close_fd(&outp[1]);
    close_fd(&errp[1]);
    if (rc != 0) {
        close_fd(&outp[0]);
        close_fd(&errp[0]);
        return spawn_error(argv[0], rc, err);
    }
    c->out_fd = outp[0];
    c->err_fd = errp[0];
    fcntl(c->out_fd, F_SETFL, fcntl(c->out_fd, F_GETFL) | O_NONBLOCK);
    fcntl(c->err_fd, F_SETFL, fcntl(c->err_fd, F_GETFL) | O_NONBLOCK);
    return IAM_OK;
}

/* Read what is available, at most `chunks` reads, so that a writer that never
 * pauses cannot keep us from the deadline. Returns 1 at end of file, 0 when
 * there is nothing more for now, -1 when stdout went over its cap. */
static int drain(int fd, iam_buf *b, size_t cap, int fail_over_cap, int chunks)
{
    char chunk[4096];
    for (; chunks > 0; chunks--) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : 1;
        if (n == 0)
            return 1;
        size_t keep = (size_t)n;
        if (b->len + keep > cap) {
            if (fail_over_cap) {
                iam_wipe(chunk, sizeof chunk);
                return -1;
            }
            keep = cap - b->len; /* stderr: keep the beginning, drop the rest */
        }
        iam_buf_append(b, chunk, keep);
        iam_wipe(chunk, (size_t)n);
    }
    return 0;
}

/* Run the child to completion. IAM_OK when it exited (any status). */
static int collect(child *c, long timeout_ms, iam_buf *out, iam_buf *errb, iam_error *err)
{
    const int64_t deadline = now_ms() + timeout_ms;
    int rc = IAM_OK;
    while (c->out_fd >= 0 || c->err_fd >= 0) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            rc = IAM_E_TIMEOUT;
            break;
        }
        struct pollfd pf[2];
        nfds_t nf = 0;
        if (c->out_fd >= 0)
            pf[nf++] = (struct pollfd){.fd = c->out_fd, .events = POLLIN};
        if (c->err_fd >= 0)
            pf[nf++] = (struct pollfd){.fd = c->err_fd, .events = POLLIN};
        /* Wake up now and then to notice a child that exited while something it
         * left running keeps the pipes open. */
        int r = poll(pf, nf, (int)(left < 100 ? left : 100));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            char buf[128];
            rc = iam_error_set(err, IAM_E_INTERNAL, "credential_process: poll failed: %s",
                               iam_aws_errno_text(errno, buf, sizeof buf));
            break;
        }
        /* Once the child is gone everything it wrote is in the pipes: read it
         * and stop, even if a process it left behind keeps them open. */
        int exited = try_reap(c);
        for (nfds_t i = 0; i < nf; i++) {
            if (!exited && !pf[i].revents)
                continue;
            int is_out = pf[i].fd == c->out_fd;
            int chunks = exited ? 1024 : 16; /* 4 MiB : 64 KiB */
            int d = is_out ? drain(c->out_fd, out, IAM_AWS_PROCESS_MAX_STDOUT, 1, chunks)
                           : drain(c->err_fd, errb, IAM_AWS_PROCESS_MAX_STDERR, 0, chunks);
            if (d < 0) {
                rc = IAM_E_TRANSPORT;
                break;
            }
            if (d > 0 || exited)
                close_fd(is_out ? &c->out_fd : &c->err_fd);
        }
        if (rc != IAM_OK)
            break;
        if (out->oom || errb->oom) {
            rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
            break;
        }
    }
    if (rc == IAM_OK) {
        /* Both pipes are closed; the child normally exits at the same moment. */
        int64_t pause = 1;
        while (!try_reap(c)) {
            int64_t left = deadline - now_ms();
            if (left <= 0) {
                rc = IAM_E_TIMEOUT;
                break;
            }
            sleep_ms(pause < left ? pause : left);
            if (pause < 50)
                pause *= 2;
        }
    }
    close_fd(&c->out_fd);
    close_fd(&c->err_fd);
    if (rc == IAM_E_TIMEOUT) {
        kill_and_reap(c);
        return iam_error_set(err, IAM_E_TIMEOUT, "credential_process did not finish within %ld ms",
                             timeout_ms);
    }
    if (rc == IAM_E_TRANSPORT) {
        kill_and_reap(c);
        return iam_error_set(err, IAM_E_TRANSPORT,
                             "credential_process wrote more than %d KiB to stdout",
                             IAM_AWS_PROCESS_MAX_STDOUT / 1024);
    }
    if (rc != IAM_OK)
        kill_and_reap(c);
    return rc;
}

/* The first 200 bytes of stderr on one line: control characters become spaces,
 * runs of white space one space, and the cut never splits a UTF-8 sequence. */
void iam_aws_process_stderr_excerpt(char *dst, size_t cap, const char *src, size_t len)
{
    size_t o = 0, limit = cap - 1 < 200 ? cap - 1 : 200;
    int space = 1; /* drops leading white space */
    for (size_t i = 0; i < len && o < limit; i++) {
        unsigned char ch = (unsigned char)src[i];
        if (ch < 0x20 || ch == 0x7f || ch == ' ') {
            if (!space)
                dst[o++] = ' ';
            space = 1;
            continue;
        }
        space = 0;
        dst[o++] = (char)ch;
    }
    if (o == limit) {
        /* Cut: drop a UTF-8 sequence the limit split. */
        size_t k = o;
        while (k > 0 && ((unsigned char)dst[k - 1] & 0xC0) == 0x80)
            k--;
        if (k > 0 && ((unsigned char)dst[k - 1] & 0xC0) == 0xC0) {
            unsigned char lead = (unsigned char)dst[k - 1];
            size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
            if (o - (k - 1) < need)
                o = k - 1;
        }
    }
    while (o > 0 && dst[o - 1] == ' ')
        o--;
    dst[o] = '\0';
}

int iam_aws_process_parse_output(iam_aws_creds **out, const char *text, size_t len,
                                 iam_error *err)
{
    cJSON *root = iam_json_parse(text, len);
    int rc = IAM_OK;
    int64_t expiration = 0;
    const char *akid, *secret, *token = NULL;
    const cJSON *item;
    if (!cJSON_IsObject(root)) {
        rc = iam_error_set(err, IAM_E_PARSE, "credential_process output is not a JSON object");
        goto done;
    }
    item = cJSON_GetObjectItemCaseSensitive(root, "Version");
    if (!cJSON_IsNumber(item) || item->valuedouble != 1.0) {
        rc = iam_error_set(err, IAM_E_PARSE,
                           "credential_process output: Version is missing or not 1 "
                           "(the only version supported)");
        goto done;
    }
    akid = iam_json_string(root, "AccessKeyId");
    secret = iam_json_string(root, "SecretAccessKey");
    if (!akid || !*akid || !secret || !*secret) {
        rc = iam_error_set(err, IAM_E_PARSE,
                           "credential_process output has no %s (a non-empty string)",
                           !akid || !*akid ? "AccessKeyId" : "SecretAccessKey");
        goto done;
    }
    item = cJSON_GetObjectItemCaseSensitive(root, "SessionToken");
    if (item && !cJSON_IsNull(item)) {
        if (!cJSON_IsString(item)) {
            rc = iam_error_set(err, IAM_E_PARSE,
                               "credential_process output: SessionToken is not a string");
            goto done;
        }
        token = item->valuestring;
    }
    item = cJSON_GetObjectItemCaseSensitive(root, "Expiration");
    if (item && !cJSON_IsNull(item)) {
        if (!cJSON_IsString(item) || iam_parse_iso8601(item->valuestring, &expiration) != 0) {
            rc = iam_error_set(err, IAM_E_PARSE,
                               "credential_process output: Expiration is not an ISO 8601 "
                               "date-time");
            goto done;
        }
        if (expiration == 0)
            expiration = 1; /* 0 would mean "never expires" */
    }
    *out = iam_aws_creds_new(akid, secret, token, expiration, "process");
    if (!*out)
        rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
done:
    iam_json_free(root);
    return rc;
}

int iam_aws_process_credentials(iam_aws_creds **out, const char *command_line, long timeout_ms,
                                iam_error *err)
{
    *out = NULL;
    if (timeout_ms < 0)
        return iam_error_set(err, IAM_E_CONFIG, "credential_process timeout is negative");
    if (timeout_ms == 0)
        timeout_ms = IAM_AWS_PROCESS_DEFAULT_TIMEOUT_MS;

    char **argv;
    int argc;
    int rc = iam_aws_split_command(&argv, &argc, command_line, err);
    if (rc != IAM_OK)
        return rc;

    child c;
    iam_buf so = {0}, se = {0};
    rc = start_child(&c, argv, err);
    if (rc == IAM_OK)
        rc = collect(&c, timeout_ms, &so, &se, err);
    if (rc == IAM_OK) {
        if (WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0) {
            rc = iam_aws_process_parse_output(out, so.data, so.len, err);
        } else {
            char excerpt[201];
            iam_aws_process_stderr_excerpt(excerpt, sizeof excerpt, se.data ? se.data : "",
                                           se.len);
            const char *sep = excerpt[0] ? ": " : " (nothing on stderr)";
            if (WIFSIGNALED(c.status))
                rc = iam_error_set(err, IAM_E_AUTH, "credential_process was killed by signal %d%s%s",
                                   WTERMSIG(c.status), sep, excerpt);
            else
                rc = iam_error_set(err, IAM_E_AUTH, "credential_process exited with status %d%s%s",
                                   WEXITSTATUS(c.status), sep, excerpt);
        }
    }
    iam_buf_free(&so);
    iam_buf_free(&se);
    iam_aws_argv_free(argv);
    return rc;
}
