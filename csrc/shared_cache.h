/* The opt-in cache of access tokens shared by the processes of one user on one
 * host (docs/shared-cache.md): one file per credential in a private directory,
 * and a lock file so that one process fetches while the others wait and
 * adopt its token. */
#ifndef IAMCORE_SHARED_CACHE_H
#define IAMCORE_SHARED_CACHE_H

#include "iamcore.h"
#include "token.h"

#include <stdint.h>

/* First line of an entry file; a different version is ignored (and replaced). */
#define IAM_SHARED_MAGIC "iamcore-shared-token 1"
/* Larger entry files are ignored: IAM tokens are a few KiB. */
#define IAM_SHARED_MAX_ENTRY (64 * 1024)

typedef struct iam_shared_cache {
    char *dir;
    char *entry_path;     /* <dir>/iamcore-<64 hex>.token */
    char *lock_path;      /* <dir>/iamcore-<64 hex>.lock  */
    long lock_timeout_ms; /* longest wait for another process's fetch */
    const char *log_auth_type;
} iam_shared_cache;

/* Check the directory, creating it 0700 when missing (its parent must exist):
 * a real directory (not a symbolic link), owned by the effective user, not
 * writable by group or others. IAM_E_CONFIG naming the path and the fault. */
int iam_shared_dir_check(const char *dir, iam_error *err);

/* The directory to use: the option when given (NULL: not given; "": off), else
 * IAMCORE_SHARED_CACHE (unset or "": off). NULL when off. */
const char *iam_shared_dir_choose(const char *option);

/* A cache for the credential whose identity digest is `digest` (SHA-256 of
 * everything that makes its tokens differ). Checks dir. */
int iam_shared_cache_new(iam_shared_cache **out, const char *dir, const unsigned char digest[32],
                         long lock_timeout_ms, iam_error *err);
void iam_shared_cache_free(iam_shared_cache *sc);

/* The entry file format. encode: the bytes into b (wiped by iam_buf_free).
 * decode: a new token, or NULL when buf is not a well-formed entry. */
struct iam_buf;
int iam_shared_entry_encode(struct iam_buf *b, const iam_token *t, int64_t refresh_at_ms);
iam_token *iam_shared_entry_decode(const char *buf, size_t n, int64_t *refresh_at_ms);

/* When an adopted token is due for refresh, as the token cache computes it for
 * IBM tokens: at 80 % of its lifetime. */
int64_t iam_shared_refresh_at_ms(const iam_token *t);

/* The entry's token if the file is ours (owner, mode 0600, regular, no link),
 * well formed and neither expired nor due for refresh at now_ms; else NULL. */
iam_token *iam_shared_cache_read(const iam_shared_cache *sc, int64_t now_ms);

/* Replace the entry atomically (a 0600 temporary file, then rename).
 * 0, or -1 with errno set. */
int iam_shared_cache_write(const iam_shared_cache *sc, const iam_token *t);

/* Take the entry's exclusive lock, waiting at most lock_timeout_ms: a file
 * descriptor to pass to unlock, or -1 (errno set; ETIMEDOUT after the wait). */
int iam_shared_cache_lock(const iam_shared_cache *sc);
void iam_shared_cache_unlock(int fd);

/* Get a token through the shared entry: adopt it when usable, else lock,
 * look again, fetch only if still needed, write, unlock. force: skip the
 * looks (the caller dropped the entry's token as bad). A directory that has
 * become unusable only costs a log event: the token is fetched anyway. */
typedef int (*iam_shared_fetch_fn)(void *owner, iam_token **out, iam_error *err);
int iam_shared_cache_fetch(const iam_shared_cache *sc, int force, iam_shared_fetch_fn fetch,
                           void *owner, iam_token **out, iam_error *err);

#endif
