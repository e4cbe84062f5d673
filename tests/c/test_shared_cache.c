/* The shared token cache: entry format, what is ignored, directory refusals,
 * file modes under umask 0, and threads and processes sharing one fetch —
 * against the emulator (tests/c/run.sh). */
#define _GNU_SOURCE
#include "check.h"
#include "iamcore.h"
#include "secret.h"
#include "shared_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth_check.h"
#include "emulator.h"

static char base_dir[] = "/tmp/iamcore-shc-XXXXXX";
static int dir_counter;

/* A new directory path under base_dir (not created). */
static void fresh_path(char *out, size_t cap)
{
    snprintf(out, cap, "%s/d%d", base_dir, ++dir_counter);
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

static void remove_tree(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "  could not remove %s\n", dir);
}

/* The one entry file of dir (".token"), or "" when there is none. */
static void entry_file(const char *dir, char *out, size_t cap)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep '\\.token$'", dir);
    out[0] = '\0';
    FILE *p = popen(cmd, "r");
    char name[256] = "";
    if (p && fgets(name, sizeof name, p)) {
        name[strcspn(name, "\n")] = '\0';
        snprintf(out, cap, "%s/%s", dir, name);
    }
    if (p)
        pclose(p);
}

static int count_entries(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '\\.token$'", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p && fscanf(p, "%d", &n) != 1)
        n = -1;
    if (p)
        pclose(p);
    return n;
}

static iam_config key_config(const char *apikey, const char *dir)
{
    iam_config c = IAM_CONFIG_INIT;
    c.apikey = apikey;
    c.url = http_url;
    c.shared_cache = dir;
    return c;
}

/* ---------------------------------------------------------------- format */

static void format_round_trip(void)
{
    iam_token *t = iam_token_new("eyJhbGciOi.payload.sig", 22, 1000, 4600);
    iam_buf b = {0};
    CHECK_EQ_INT(iam_shared_entry_encode(&b, t, 3880000), 0);
    CHECK(strncmp(b.data, IAM_SHARED_MAGIC "\n", strlen(IAM_SHARED_MAGIC) + 1) == 0);
    int64_t refresh = 0;
    iam_token *back = iam_shared_entry_decode(b.data, b.len, &refresh);
    CHECK(back != NULL);
    if (back) {
        CHECK_SECRET_EQ(iam_token_value(back), iam_token_value(t));
        CHECK_EQ_INT(iam_token_length(back), 22);
        CHECK_EQ_INT(iam_token_issued_at(back), 1000);
        CHECK_EQ_INT(iam_token_expires_at(back), 4600);
        CHECK_EQ_INT(refresh, 3880000);
    }
    /* The default refresh time: 80 % of the lifetime. */
    CHECK_EQ_INT(iam_shared_refresh_at_ms(t), 3880000);
    iam_token_release(back);
    iam_token_release(t);
    iam_buf_free(&b);
}

static void corrupt_and_truncated_entries_are_refused(void)
{
    iam_token *t = iam_token_new("tok.en.value", 12, 1000, 4600);
    iam_buf b = {0};
    iam_shared_entry_encode(&b, t, 3880000);
    int64_t refresh = 0;
    int accepted = 0;
    for (size_t n = 0; n < b.len; n++) { /* every truncation */
        iam_token *x = iam_shared_entry_decode(b.data, n, &refresh);
        accepted += x != NULL;
        iam_token_release(x);
    }
    CHECK_EQ_INT(accepted, 0);
    /* One byte changed anywhere in the header, or a control character in the token. */
    const char *bad[] = {
        "iamcore-shared-token 2\nissued_at 1\nexpires_at 9\nrefresh_at_ms 8000\nlength 3\nabc\n",
        "iamcore-shared-token 1\nissued_at 1\nexpires_at 9\nrefresh_at_ms 8000\nlength 4\nabc\n",
        "iamcore-shared-token 1\nissued_at 1\nexpires_at 9\nrefresh_at_ms 8000\nlength 2\nabc\n",
        "iamcore-shared-token 1\nissued_at x\nexpires_at 9\nrefresh_at_ms 8000\nlength 3\nabc\n",
        "iamcore-shared-token 1\nissued_at 10\nexpires_at 9\nrefresh_at_ms 8000\nlength 3\nabc\n",
        "iamcore-shared-token 1\nissued_at 1\nexpires_at 9\nrefresh_at_ms 9001\nlength 3\nabc\n",
        "iamcore-shared-token 1\nissued_at 1\nexpires_at 9\nrefresh_at_ms 8000\nlength 3\na c\n",
        "iamcore-shared-token 1\nissued_at 1\nexpires_at 9\nrefresh_at_ms 8000\nlength 0\n\n",
        "iamcore-shared-token 1\nexpires_at 9\nissued_at 1\nrefresh_at_ms 8000\nlength 3\nabc\n",
        "iamcore-shared-token 1\nissued_at 1\nexpires_at 9\nrefresh_at_ms 8000\nlength 3\nabcd",
        "iamcore-shared-token 1\nissued_at 1\nexpires_at 999999999999999999\nrefresh_at_ms 5\nlength 3\nabc\n",
        "iamcore-shared-token 1\nissued_at 1\nexpires_at 9\nrefresh_at_ms -1\nlength 3\nabc\n",
        "garbage",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        iam_token *x = iam_shared_entry_decode(bad[i], strlen(bad[i]), &refresh);
        if (x)
            fprintf(stderr, "  entry %zu accepted\n", i);
        CHECK(x == NULL);
        iam_token_release(x);
    }
    const char *good = "iamcore-shared-token 1\nissued_at 1\nexpires_at 9\nrefresh_at_ms 8000\nlength 3\nabc\n";
    iam_token *x = iam_shared_entry_decode(good, strlen(good), &refresh);
    CHECK(x != NULL);
    iam_token_release(x);
    iam_token_release(t);
    iam_buf_free(&b);
}

/* ---------------------------------------------------------------- files */

static const unsigned char digest[32] = {1, 2, 3};

static void write_raw(const char *path, const char *text, mode_t mode)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        fprintf(stderr, "  could not write %s\n", path);
    if (fd >= 0) {
        fchmod(fd, mode);
        close(fd);
    }
}

static void entries_not_ours_or_not_valid_are_ignored(void)
{
    char dir[256];
    fresh_path(dir, sizeof dir);
    iam_shared_cache *sc = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_shared_cache_new(&sc, dir, digest, 1000, &err), IAM_OK);
    if (!sc)
        return;
    int64_t now = now_s();
    char good[256];
    snprintf(good, sizeof good,
             "iamcore-shared-token 1\nissued_at %lld\nexpires_at %lld\nrefresh_at_ms %lld\nlength 5\nabcde\n",
             (long long)now, (long long)now + 3600, (long long)(now + 2880) * 1000);
    write_raw(sc->entry_path, good, 0600);
    iam_token *t = iam_shared_cache_read(sc, now * 1000);
    CHECK(t != NULL);
    iam_token_release(t);

    /* Due for refresh, or expired (within the margin): not adopted. */
    CHECK(iam_shared_cache_read(sc, (now + 2880) * 1000) == NULL);
    CHECK(iam_shared_cache_read(sc, (now + 3600 - IAM_EXPIRY_MARGIN_S) * 1000) == NULL);

    /* Wrong modes. */
    chmod(sc->entry_path, 0644);
    CHECK(iam_shared_cache_read(sc, now * 1000) == NULL);
    chmod(sc->entry_path, 0400);
    CHECK(iam_shared_cache_read(sc, now * 1000) == NULL);
    chmod(sc->entry_path, 0600);

    /* Another user's file (testable as root). */
    if (geteuid() == 0) {
        struct passwd *nobody = getpwnam("nobody");
        if (nobody && chown(sc->entry_path, nobody->pw_uid, nobody->pw_gid) == 0)
            CHECK(iam_shared_cache_read(sc, now * 1000) == NULL);
    }

    /* A symbolic link to a good entry is not followed. */
    char target[300];
    snprintf(target, sizeof target, "%s/elsewhere", dir);
    write_raw(target, good, 0600);
    unlink(sc->entry_path);
    CHECK_EQ_INT(symlink(target, sc->entry_path), 0);
    CHECK(iam_shared_cache_read(sc, now * 1000) == NULL);

    /* A FIFO does not hang the read. */
    unlink(sc->entry_path);
    CHECK_EQ_INT(mkfifo(sc->entry_path, 0600), 0);
    CHECK(iam_shared_cache_read(sc, now * 1000) == NULL);

    /* Corrupt content. */
    unlink(sc->entry_path);
    write_raw(sc->entry_path, "iamcore-shared-token 1\nissued_at 1\n", 0600);
    CHECK(iam_shared_cache_read(sc, now * 1000) == NULL);

    /* ... and each is replaced by the next write. */
    iam_token *w = iam_token_new("fresh.token.x", 13, now, now + 3600);
    CHECK_EQ_INT(iam_shared_cache_write(sc, w), 0);
    t = iam_shared_cache_read(sc, now * 1000);
    CHECK(t != NULL);
    if (t)
        CHECK_SECRET_EQ(iam_token_value(t), "fresh.token.x");
    iam_token_release(t);
    iam_token_release(w);
    iam_shared_cache_free(sc);
}

static void files_are_created_0600_under_umask_0(void)
{
    char dir[256];
    fresh_path(dir, sizeof dir);
    mode_t old = umask(0);
    iam_shared_cache *sc = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_shared_cache_new(&sc, dir, digest, 1000, &err), IAM_OK);
    struct stat st;
    CHECK_EQ_INT(lstat(dir, &st), 0);
    CHECK_EQ_INT(st.st_mode & 07777, 0700);
    if (sc) {
        int64_t now = now_s();
        iam_token *w = iam_token_new("abc.def.ghi", 11, now, now + 3600);
        CHECK_EQ_INT(iam_shared_cache_write(sc, w), 0);
        CHECK_EQ_INT(lstat(sc->entry_path, &st), 0);
        CHECK_EQ_INT(st.st_mode & 07777, 0600);
        int fd = iam_shared_cache_lock(sc);
        CHECK(fd >= 0);
        iam_shared_cache_unlock(fd);
        CHECK_EQ_INT(lstat(sc->lock_path, &st), 0);
        CHECK_EQ_INT(st.st_mode & 07777, 0600);
        iam_token_release(w);
    }
    umask(old);
    iam_shared_cache_free(sc);
}

static int dir_refused(const char *dir, const char *needle)
{
    iam_shared_cache *sc = NULL;
    iam_error err;
    int st = iam_shared_cache_new(&sc, dir, digest, 1000, &err);
    int ok = st == IAM_E_CONFIG && sc == NULL && strstr(err.message, needle) &&
             strstr(err.message, dir);
    if (!ok)
        fprintf(stderr, "  %s: status %d, message \"%s\"\n", dir, st, st ? err.message : "");
    iam_shared_cache_free(sc);
    return ok;
}

static void unsafe_directories_are_refused(void)
{
    char dir[256], link[300], file[300], missing[300];
    fresh_path(dir, sizeof dir);
    CHECK_EQ_INT(mkdir(dir, 0700), 0);
    snprintf(link, sizeof link, "%s-link", dir);
    CHECK_EQ_INT(symlink(dir, link), 0);
    CHECK(dir_refused(link, "symbolic link"));
    chmod(dir, 0770);
    CHECK(dir_refused(dir, "writable by group or others"));
    chmod(dir, 0702);
    CHECK(dir_refused(dir, "writable by group or others"));
    chmod(dir, 0755); /* readable by others: allowed */
    iam_shared_cache *sc = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_shared_cache_new(&sc, dir, digest, 1000, &err), IAM_OK);
    iam_shared_cache_free(sc);
    snprintf(file, sizeof file, "%s/plain", dir);
    write_raw(file, "x", 0600);
    CHECK(dir_refused(file, "is not a directory"));
    snprintf(missing, sizeof missing, "%s/no/such", dir);
    CHECK(dir_refused(missing, "parent directory does not exist"));
    if (geteuid() == 0) {
        struct passwd *nobody = getpwnam("nobody");
        if (nobody && chown(dir, nobody->pw_uid, nobody->pw_gid) == 0)
            CHECK(dir_refused(dir, "not owned by the current user"));
    }
    /* Through the authenticator: a configuration error naming the path. */
    iam_config c = key_config("shc-key", link);
    CHECK(auth_config_fails(IAM_AUTH_IAM, &c, "symbolic link", "shc-key"));
    unlink(link);
}

/* ---------------------------------------------------------------- authenticators */

static void two_authenticators_share_one_fetch(void)
{
    char dir[256];
    fresh_path(dir, sizeof dir);
    reset();
    iam_config c = key_config("shc-share-key", dir);
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c), *b = auth_make(IAM_AUTH_IAM, &c);
    iam_token *ta = NULL, *tb = NULL;
    iam_error err;
    CHECK_EQ_INT(iam_auth_get_token(a, &ta, &err), IAM_OK);
    CHECK_EQ_INT(iam_auth_get_token(b, &tb, &err), IAM_OK);
    CHECK_EQ_INT(endpoint_count("iam"), 1);
    if (ta && tb)
        CHECK_SECRET_EQ(iam_token_value(ta), iam_token_value(tb));

    /* What the file holds: the token and its times, never the API key; the
     * name tells nothing of the key either. */
    char path[512];
    entry_file(dir, path, sizeof path);
    CHECK(path[0] != '\0');
    CHECK(strstr(path, "shc-share-key") == NULL);
    FILE *f = fopen(path, "r");
    char content[8192] = "";
    size_t n = f ? fread(content, 1, sizeof content - 1, f) : 0;
    content[n] = '\0';
    if (f)
        fclose(f);
    CHECK(ta && strstr(content, iam_token_value(ta)) != NULL);
    CHECK(strstr(content, "shc-share-key") == NULL);

    /* A different key: its own entry and its own request. */
    iam_config c2 = key_config("shc-other-key", dir);
    iam_auth *o = auth_make(IAM_AUTH_IAM, &c2);
    CHECK_EQ_INT(auth_fetch(o, &err), IAM_OK);
    CHECK_EQ_INT(endpoint_count("iam"), 2);
    CHECK_EQ_INT(count_entries(dir), 2);
    /* So does a different scope. */
    iam_config c3 = key_config("shc-share-key", dir);
    c3.scope = "ibm openid";
    iam_auth *s = auth_make(IAM_AUTH_IAM, &c3);
    CHECK_EQ_INT(auth_fetch(s, &err), IAM_OK);
    CHECK_EQ_INT(endpoint_count("iam"), 3);

    /* invalidate(): the dropped token is not adopted back from the file. */
    iam_auth_invalidate(a);
    iam_token *ta2 = NULL;
    CHECK_EQ_INT(iam_auth_get_token(a, &ta2, &err), IAM_OK);
    CHECK_EQ_INT(endpoint_count("iam"), 4);
    if (ta && ta2)
        CHECK(strcmp(iam_token_value(ta), iam_token_value(ta2)) != 0);
    /* ... and the new one is shared. */
    iam_auth *d = auth_make(IAM_AUTH_IAM, &c);
    iam_token *td = NULL;
    CHECK_EQ_INT(iam_auth_get_token(d, &td, &err), IAM_OK);
    CHECK_EQ_INT(endpoint_count("iam"), 4);
    if (td && ta2)
        CHECK_SECRET_EQ(iam_token_value(td), iam_token_value(ta2));
    iam_token_release(ta);
    iam_token_release(tb);
    iam_token_release(ta2);
    iam_token_release(td);
    iam_auth_free(a);
    iam_auth_free(b);
    iam_auth_free(o);
    iam_auth_free(s);
    iam_auth_free(d);
}

static void the_environment_variable_and_its_overrides(void)
{
    char dir[256];
    fresh_path(dir, sizeof dir);
    reset();
    setenv("IAMCORE_SHARED_CACHE", dir, 1);
    iam_config c = key_config("shc-env-key", NULL);
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c), *b = auth_make(IAM_AUTH_IAM, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    CHECK_EQ_INT(auth_fetch(b, &err), IAM_OK);
    CHECK_EQ_INT(endpoint_count("iam"), 1);
    CHECK_EQ_INT(count_entries(dir), 1);
    /* "" as the option: off for this authenticator. */
    c.shared_cache = "";
    iam_auth *off = auth_make(IAM_AUTH_IAM, &c);
    CHECK_EQ_INT(auth_fetch(off, &err), IAM_OK);
    CHECK_EQ_INT(endpoint_count("iam"), 2);
    /* A refresh-token authenticator skips the variable; the option is refused. */
    iam_config r = IAM_CONFIG_INIT;
    r.refresh_token = "shc-refresh";
    r.client_id = "bx";
    r.client_secret = "bx-secret";
    r.url = http_url;
    iam_auth *ra = auth_make(IAM_AUTH_IAM, &r);
    CHECK(ra != NULL);
    iam_auth_free(ra);
    r.shared_cache = dir;
    CHECK(auth_config_fails(IAM_AUTH_IAM, &r, "refresh token", "shc-refresh"));
    /* A refused directory in the variable is a configuration error too. */
    char link[300];
    snprintf(link, sizeof link, "%s-envlink", dir);
    CHECK_EQ_INT(symlink(dir, link), 0);
    setenv("IAMCORE_SHARED_CACHE", link, 1);
    c.shared_cache = NULL;
    CHECK(auth_config_fails(IAM_AUTH_IAM, &c, "symbolic link", "shc-env-key"));
    unlink(link);
    /* Empty: off. */
    setenv("IAMCORE_SHARED_CACHE", "", 1);
    iam_auth *e = auth_make(IAM_AUTH_IAM, &c);
    CHECK_EQ_INT(auth_fetch(e, &err), IAM_OK);
    CHECK_EQ_INT(endpoint_count("iam"), 3);
    unsetenv("IAMCORE_SHARED_CACHE");
    iam_auth_free(a);
    iam_auth_free(b);
    iam_auth_free(off);
    iam_auth_free(e);
}

static void a_version_1_config_is_still_accepted(void)
{
    /* A caller built against the version-1 header: a shorter struct. */
    size_t v1 = offsetof(iam_config, shared_cache);
    iam_config *c = malloc(v1);
    memset(c, 0, v1);
    c->version = 1;
    c->apikey = "shc-v1-key";
    c->url = http_url;
    iam_auth *a = auth_make(IAM_AUTH_IAM, c);
    CHECK(a != NULL);
    iam_auth_free(a);
    c->iam_profile_id = "Profile-1";
    a = auth_make(IAM_AUTH_IAM_ASSUME, c);
    CHECK(a != NULL);
    iam_auth_free(a);
    free(c);
    iam_config bad = IAM_CONFIG_INIT;
    bad.version = IAM_CONFIG_VERSION + 1;
    bad.apikey = "k";
    CHECK(auth_config_fails(IAM_AUTH_IAM, &bad, "version", NULL));
}

static void a_relative_path_stays_where_it_was_at_construction(void)
{
    char old_cwd[1024];
    CHECK(getcwd(old_cwd, sizeof old_cwd) != NULL);
    CHECK_EQ_INT(chdir(base_dir), 0);
    reset();
    iam_config c = key_config("shc-relative-key", "relative-dir");
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c), *b = auth_make(IAM_AUTH_IAM, &c);
    CHECK_EQ_INT(chdir("/"), 0);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    CHECK_EQ_INT(auth_fetch(b, &err), IAM_OK);
    CHECK_EQ_INT(endpoint_count("iam"), 1);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/relative-dir", base_dir);
    CHECK_EQ_INT(count_entries(dir), 1);
    CHECK_EQ_INT(chdir(old_cwd), 0);
    iam_auth_free(a);
    iam_auth_free(b);
}

static void a_vanished_directory_falls_back_to_an_own_fetch(void)
{
    char dir[256];
    fresh_path(dir, sizeof dir);
    reset();
    iam_config c = key_config("shc-vanish-key", dir);
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
    remove_tree(dir);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    CHECK_EQ_INT(endpoint_count("iam"), 1);
    iam_auth_free(a);
}

static void a_held_lock_is_waited_for_at_most_the_timeout(void)
{
    char dir[256];
    fresh_path(dir, sizeof dir);
    reset();
    iam_config c = key_config("shc-lock-key", dir);
    c.timeout_ms = 400;
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
    /* Hold the entry's lock as another process would. */
    iam_shared_cache *sc = NULL;
    iam_error err;
    int fd = -1;
    if (a) {
        char path[512];
        /* The lock path: the same digest as a's, found through a first write. */
        iam_config c2 = c;
        iam_auth *w = auth_make(IAM_AUTH_IAM, &c2);
        CHECK_EQ_INT(auth_fetch(w, &err), IAM_OK);
        iam_auth_free(w);
        entry_file(dir, path, sizeof path);
        unlink(path); /* no entry to adopt */
        path[strlen(path) - strlen(".token")] = '\0';
        char lock[600];
        snprintf(lock, sizeof lock, "%s.lock", path);
        fd = open(lock, O_RDWR);
        CHECK(fd >= 0 && flock(fd, LOCK_EX) == 0);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK(ms >= 350 && ms < 3000);
    CHECK_EQ_INT(endpoint_count("iam"), 2);
    if (fd >= 0)
        close(fd);
    iam_shared_cache_free(sc);
    iam_auth_free(a);
}

typedef struct racer {
    const char *dir;
    pthread_barrier_t *go;
    int status;
} racer;

static void *race_thread(void *p)
{
    racer *r = p;
    iam_config c = key_config("shc-race-key", r->dir);
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
    pthread_barrier_wait(r->go);
    iam_error err;
    r->status = auth_fetch(a, &err);
    iam_auth_free(a);
    return NULL;
}

static void threads_with_their_own_authenticators_fetch_once(void)
{
    char dir[256];
    fresh_path(dir, sizeof dir);
    reset();
    token_settings("{\"delay_ms\":200}");
    enum { N = 6 };
    pthread_t th[N];
    racer r[N];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, N);
    for (int i = 0; i < N; i++) {
        r[i] = (racer){dir, &go, -100};
        pthread_create(&th[i], NULL, race_thread, &r[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(r[i].status, IAM_OK);
    }
    pthread_barrier_destroy(&go);
    token_settings("{\"delay_ms\":0}");
    CHECK_EQ_INT(endpoint_count("iam"), 1);
}

static void processes_fetch_once(void)
{
    char dir[256];
    fresh_path(dir, sizeof dir);
    CHECK_EQ_INT(mkdir(dir, 0700), 0);
    reset();
    token_settings("{\"delay_ms\":200}");
    enum { N = 4 };
    pid_t pids[N];
    int pipes[N][2];
    for (int i = 0; i < N; i++) {
        CHECK_EQ_INT(pipe(pipes[i]), 0);
        pids[i] = fork();
        if (pids[i] == 0) {
            char c;
            close(pipes[i][1]);
            if (read(pipes[i][0], &c, 1) != 1) /* start together */
                _exit(3);
            iam_config cfg = key_config("shc-proc-key", dir);
            iam_auth *a = auth_make(IAM_AUTH_IAM, &cfg);
            iam_error err;
            int st = auth_fetch(a, &err);
            iam_auth_free(a);
            _exit(st == IAM_OK ? 0 : 1);
        }
        close(pipes[i][0]);
    }
    for (int i = 0; i < N; i++) {
        CHECK_EQ_INT(write(pipes[i][1], "g", 1), 1);
        close(pipes[i][1]);
    }
    for (int i = 0; i < N; i++) {
        int status = -1;
        waitpid(pids[i], &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    token_settings("{\"delay_ms\":0}");
    CHECK_EQ_INT(endpoint_count("iam"), 1);
}

typedef struct fetch_arg {
    iam_auth *a;
    int status;
} fetch_arg;

static void *fetch_thread(void *p)
{
    fetch_arg *f = p;
    iam_error err;
    f->status = auth_fetch(f->a, &err);
    return NULL;
}

static void a_child_forked_during_a_locked_fetch_adopts_the_parents_token(void)
{
    char dir[256];
    fresh_path(dir, sizeof dir);
    reset();
    token_settings("{\"delay_ms\":600}");
    iam_config c = key_config("shc-fork-key", dir);
    c.timeout_ms = 5000;
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c);
    fetch_arg f = {a, -100};
    pthread_t th;
    pthread_create(&th, NULL, fetch_thread, &f);
    /* The parent's fetch holds the lock while the emulator delays its answer. */
    for (int i = 0; i < 100 && endpoint_count("iam") < 1; i++)
        usleep(10000);
    pid_t pid = fork();
    if (pid == 0) {
        /* The fetch in flight is the parent's: this one waits for the lock,
         * then adopts what the parent wrote. */
        iam_error err;
        _exit(auth_fetch(a, &err) == IAM_OK ? 0 : 1);
    }
    pthread_join(th, NULL);
    CHECK_EQ_INT(f.status, IAM_OK);
    int status = -1;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    token_settings("{\"delay_ms\":0}");
    CHECK_EQ_INT(endpoint_count("iam"), 1);
    iam_auth_free(a);
}

static void a_due_entry_is_refreshed_once(void)
{
    char dir[256];
    fresh_path(dir, sizeof dir);
    reset();
    /* Issued 3000 s ago, lifetime 3600: valid, refresh due. Two processes'
     * worth of authenticators: the first fetches, the second adopts (an entry
     * written now counts as fresh for IAM_REFRESH_RETRY_S). */
    token_settings("{\"iat_offset\":-3000,\"lifetime\":3600}");
    iam_config c = key_config("shc-due-key", dir);
    iam_auth *a = auth_make(IAM_AUTH_IAM, &c), *b = auth_make(IAM_AUTH_IAM, &c);
    iam_error err;
    CHECK_EQ_INT(auth_fetch(a, &err), IAM_OK);
    CHECK_EQ_INT(auth_fetch(b, &err), IAM_OK);
    CHECK_EQ_INT(endpoint_count("iam"), 1);
    token_settings("{\"iat_offset\":0,\"lifetime\":3600}");
    iam_auth_free(a);
    iam_auth_free(b);
}

int main(void)
{
    http_url = getenv("IAMCORE_EMULATOR_HTTP");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    unsetenv("IAMCORE_SHARED_CACHE");
    if (!mkdtemp(base_dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(format_round_trip);
    RUN(corrupt_and_truncated_entries_are_refused);
    RUN(entries_not_ours_or_not_valid_are_ignored);
    RUN(files_are_created_0600_under_umask_0);
    RUN(unsafe_directories_are_refused);
    if (!http_url) {
        fprintf(stderr, "IAMCORE_EMULATOR_* not set: run through tests/c/run.sh\n");
        return 1;
    }
    RUN(two_authenticators_share_one_fetch);
    RUN(the_environment_variable_and_its_overrides);
    RUN(a_version_1_config_is_still_accepted);
    RUN(a_relative_path_stays_where_it_was_at_construction);
    RUN(a_vanished_directory_falls_back_to_an_own_fetch);
    RUN(a_held_lock_is_waited_for_at_most_the_timeout);
    RUN(threads_with_their_own_authenticators_fetch_once);
    RUN(processes_fetch_once);
    RUN(a_child_forked_during_a_locked_fetch_adopts_the_parents_token);
    RUN(a_due_entry_is_refreshed_once);
    remove_tree(base_dir);
    curl_global_cleanup();
    return CHECK_DONE();
}
