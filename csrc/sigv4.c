/* AWS Signature Version 4: canonical request, string to sign, signing key and
 * signature, for header signing (Authorization) and query signing (presigned
 * URLs). Pure computation: no I/O; the only state is a per-thread cache of the
 * last signing key. The secret key and every key derived from it are zeroed
 * before returning or when that cache lets go of them. */
/* POSIX functions (gmtime_r, strcasecmp, pthread_once, …) under -std=c11. */
#define _GNU_SOURCE
#include "sigv4.h"

#include "crypto_lib.h"
#include "error.h"
#include "fork.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define MAX_SECRET_LEN 4096
#define MAX_SCOPE_PART_LEN 128

static const char HEX_UPPER[] = "0123456789ABCDEF";
static const char HEX_LOWER[] = "0123456789abcdef";

/* ---------------------------------------------------------------- characters */

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static unsigned char ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* Whitespace folded in header values: SP, HT, CR, LF, VT, FF. */
static int is_fold_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* RFC 9110 token characters: method and header names. */
static int is_tchar(unsigned char c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return 1;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_token(const char *s)
{
    if (!s || !*s)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!is_tchar(*p))
            return 0;
    return 1;
}

/* No control characters (the value ends up in a header or a URL). */
static int is_printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* Region and service: what AWS uses in scopes. */
static int is_scope_part(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > MAX_SCOPE_PART_LEN)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

/* An access key ID goes into "Credential=<id>/<scope>, …": no separators. */
static int is_access_key_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > MAX_SCOPE_PART_LEN)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == '/' || c == ',' || c == '=' || c == ';')
            return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------- encoding */

void iam_sigv4_append_encoded(iam_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && is_unreserved(p[run]))
            run++;
        if (run > i) {
            iam_buf_append(b, p + i, run - i);
            i = run;
            continue;
        }
        char enc[3] = {'%', HEX_UPPER[p[i] >> 4], HEX_UPPER[p[i] & 15]};
        iam_buf_append(b, enc, 3);
        i++;
    }
}

/* Encode a path: '/' stays; with keep_escapes a valid %XX stays as it is. */
static void append_encoded_path(iam_buf *b, const char *s, size_t n, int keep_escapes)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (is_unreserved(c) || c == '/') {
            iam_buf_append(b, &c, 1);
        } else if (keep_escapes && c == '%' && i + 2 < n && hex_value(p[i + 1]) >= 0 &&
                   hex_value(p[i + 2]) >= 0) {
            iam_buf_append(b, p + i, 3);
            i += 2;
        } else {
            char enc[3] = {'%', HEX_UPPER[c >> 4], HEX_UPPER[c & 15]};
            iam_buf_append(b, enc, 3);
        }
    }
}

/* Percent-decode n bytes of s into a new NUL-terminated string (*len its length).
 * An invalid escape is kept literally; '+' stays '+'. */
static char *percent_decode(const char *s, size_t n, size_t *len)
{
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hex_value((unsigned char)s[i + 1])) >= 0 &&
            (lo = hex_value((unsigned char)s[i + 2])) >= 0) {
            d[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            d[o++] = s[i];
        }
    }
    d[o] = '\0';
    *len = o;
    return d;
}

static void hex_lower(char *out, const unsigned char *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX_LOWER[bytes[i] >> 4];
        out[2 * i + 1] = HEX_LOWER[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

/* ---------------------------------------------------------------- crypto */

/* OpenSSL 3 looks an algorithm up on every use of EVP_sha256() and HMAC();
 * fetching it once makes a signature several times cheaper. The handle is
 * immutable and shared read-only, never freed (like OpenSSL's own tables). */
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_fetched;

static void fetch_sha256(void)
{
    const iam_crypto_api *c = iam_crypto(NULL); /* found already: the callers hold it */
    sha256_fetched = c ? c->md_fetch(NULL, "SHA256", NULL) : NULL;
}

/* c: what iam_crypto() returned. */
static const EVP_MD *sha256_md(const iam_crypto_api *c)
{
    pthread_once(&sha256_once, fetch_sha256);
    return sha256_fetched ? sha256_fetched : c->sha256();
}

/* One digest over up to two parts, on a reusable context. */
static int digest2(const iam_crypto_api *c, EVP_MD_CTX *ctx, const void *a, size_t an,
                   const void *b, size_t bn, unsigned char out[32])
{
    unsigned int len = 0;
    if (!c->digest_init(ctx, sha256_md(c), NULL) || !c->digest_update(ctx, a, an) ||
        (bn && !c->digest_update(ctx, b, bn)) || !c->digest_final(ctx, out, &len) || len != 32)
        return -1;
    return 0;
}

/* HMAC-SHA256 (RFC 2104) on the fetched digest: H(K^opad || H(K^ipad || msg)). */
static int hmac_sha256(const iam_crypto_api *c, EVP_MD_CTX *ctx, const void *key, size_t key_len,
                       const void *msg, size_t msg_len, unsigned char out[32])
{
    unsigned char k0[64] = {0}, pad[64], inner[32];
    int rc = -1;
    if (key_len > sizeof k0) {
        if (digest2(c, ctx, key, key_len, NULL, 0, k0) != 0)
            goto done;
    } else {
        memcpy(k0, key, key_len);
    }
    for (size_t i = 0; i < sizeof pad; i++)
        pad[i] = k0[i] ^ 0x36;
    if (digest2(c, ctx, pad, sizeof pad, msg, msg_len, inner) != 0)
        goto done;
    for (size_t i = 0; i < sizeof pad; i++)
        pad[i] = k0[i] ^ 0x5c;
    rc = digest2(c, ctx, pad, sizeof pad, inner, sizeof inner, out);
done:
    iam_wipe(k0, sizeof k0);
    iam_wipe(pad, sizeof pad);
    iam_wipe(inner, sizeof inner);
    return rc;
}

/*
 * Per-thread signing state. The signing key depends only on (secret, date,
 * region, service): each thread keeps the last one it derived, saving four
 * HMACs on every signature of the day, and the digest states after the key's
 * inner and outer pad blocks, saving two more compressions per signature. The
 * entry holds the secret (to compare) and the key; both, and the pad states,
 * are zeroed when replaced and when the thread exits (OpenSSL clears a digest
 * context when it frees it). `work` is the context every digest of the thread
 * runs on, so signing allocates none.
 *
 * Every entry is also on one list, so that a forked child, which has only the
 * forking thread, zeroes and frees the entries of the threads it does not have
 * (no thread exit will ever do it there).
 */
typedef struct key_cache {
    char scope[8 + 1 + MAX_SCOPE_PART_LEN + 1 + MAX_SCOPE_PART_LEN + 1]; /* date8/region/service */
    char *secret;      /* copy, NULL when nothing is cached */
    unsigned char key[32];
    const iam_crypto_api *c;
    EVP_MD_CTX *work;
    EVP_MD_CTX *ipad;  /* SHA-256 after (key ^ 0x36..) */
    EVP_MD_CTX *opad;  /* SHA-256 after (key ^ 0x5c..) */
    struct key_cache *prev, *next; /* the list of every thread's entry */
} key_cache;

static pthread_once_t key_cache_once = PTHREAD_ONCE_INIT;
static pthread_key_t key_cache_key;
static int key_cache_ok;
static pthread_mutex_t key_caches_mu = PTHREAD_MUTEX_INITIALIZER;
static key_cache *key_caches;
static iam_fork_node key_caches_fork;

static void key_cache_clear(key_cache *kc)
{
    iam_secret_free(kc->secret);
    kc->secret = NULL;
    iam_wipe(kc->key, sizeof kc->key);
    kc->c->ctx_reset(kc->ipad); /* frees (and clears) the digest state; NULL is ignored */
    kc->c->ctx_reset(kc->opad);
}

/* Zeroes and frees an entry that is on no list. */
static void key_cache_free(key_cache *kc)
{
    key_cache_clear(kc);
    kc->c->ctx_free(kc->work);
    kc->c->ctx_free(kc->ipad);
    kc->c->ctx_free(kc->opad);
    free(kc);
}

static void unlist(key_cache *kc)
{
    if (kc->prev)
        kc->prev->next = kc->next;
    else
        key_caches = kc->next;
    if (kc->next)
        kc->next->prev = kc->prev;
}

static void key_cache_destroy(void *p)
{
    key_cache *kc = p;
    pthread_mutex_lock(&key_caches_mu);
    unlist(kc);
    pthread_mutex_unlock(&key_caches_mu);
    key_cache_free(kc);
}

static void key_caches_prepare(iam_fork_node *n)
{
    (void)n;
    pthread_mutex_lock(&key_caches_mu);
}

static void key_caches_parent(iam_fork_node *n)
{
    (void)n;
    pthread_mutex_unlock(&key_caches_mu);
}

static void key_caches_child(iam_fork_node *n)
{
    (void)n;
    key_cache *own = key_cache_ok ? pthread_getspecific(key_cache_key) : NULL;
    for (key_cache *kc = key_caches, *next; kc; kc = next) {
        next = kc->next;
        if (kc != own) {
            unlist(kc);
            key_cache_free(kc);
        }
    }
    pthread_mutex_init(&key_caches_mu, NULL);
}

static void key_cache_init(void)
{
    key_cache_ok = pthread_key_create(&key_cache_key, key_cache_destroy) == 0;
    key_caches_fork = (iam_fork_node){
        .prepare = key_caches_prepare, .parent = key_caches_parent, .child = key_caches_child};
    if (key_cache_ok && iam_fork_register(&key_caches_fork) != 0) {
        /* Without fork care a child would keep other threads' keys: no cache. */
        pthread_key_delete(key_cache_key);
        key_cache_ok = 0;
    }
}

/* This thread's entry with its three contexts, or NULL (out of memory). */
static key_cache *thread_key_cache(const iam_crypto_api *c)
{
    pthread_once(&key_cache_once, key_cache_init);
    if (!key_cache_ok)
        return NULL;
    key_cache *kc = pthread_getspecific(key_cache_key);
    if (kc)
        return kc;
    if (!(kc = calloc(1, sizeof *kc)))
        return NULL;
    kc->c = c;
    kc->work = c->ctx_new();
    kc->ipad = c->ctx_new();
    kc->opad = c->ctx_new();
    if (!kc->work || !kc->ipad || !kc->opad || pthread_setspecific(key_cache_key, kc) != 0) {
        key_cache_free(kc); /* not on the list yet */
        return NULL;
    }
    pthread_mutex_lock(&key_caches_mu);
    kc->next = key_caches;
    if (key_caches)
        key_caches->prev = kc;
    key_caches = kc;
    pthread_mutex_unlock(&key_caches_mu);
    return kc;
}

size_t iam_sigv4_cached_keys(void)
{
    size_t n = 0;
    pthread_mutex_lock(&key_caches_mu);
    for (key_cache *kc = key_caches; kc; kc = kc->next)
        n++;
    pthread_mutex_unlock(&key_caches_mu);
    return n;
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") */
static int derive_key(const iam_crypto_api *c, EVP_MD_CTX *ctx, const char *secret,
                      const char *date8, const char *region, const char *service,
                      unsigned char k[32])
{
    iam_buf k_secret = {0};
    iam_buf_append_str(&k_secret, "AWS4");
    iam_buf_append_str(&k_secret, secret);
    int rc = k_secret.oom ||
             hmac_sha256(c, ctx, k_secret.data, k_secret.len, date8, 8, k) != 0 ||
             hmac_sha256(c, ctx, k, 32, region, strlen(region), k) != 0 ||
             hmac_sha256(c, ctx, k, 32, service, strlen(service), k) != 0 ||
             hmac_sha256(c, ctx, k, 32, "aws4_request", 12, k) != 0
             ? -1 : 0;
    iam_buf_free(&k_secret);
    return rc;
}

/* Absorb the key's pad blocks into kc->ipad and kc->opad. */
static int load_pads(key_cache *kc)
{
    unsigned char pad[64];
    const iam_crypto_api *c = kc->c;
    const EVP_MD *md = sha256_md(c);
    int ok = 1;
    for (size_t i = 0; i < sizeof pad; i++)
        pad[i] = (unsigned char)((i < sizeof kc->key ? kc->key[i] : 0) ^ 0x36);
    ok = ok && c->digest_init(kc->ipad, md, NULL) && c->digest_update(kc->ipad, pad, sizeof pad);
    for (size_t i = 0; i < sizeof pad; i++)
        pad[i] = (unsigned char)((i < sizeof kc->key ? kc->key[i] : 0) ^ 0x5c);
    ok = ok && c->digest_init(kc->opad, md, NULL) && c->digest_update(kc->opad, pad, sizeof pad);
    iam_wipe(pad, sizeof pad);
    return ok ? 0 : -1;
}

/* This thread's entry holding the signing key of (secret, scope), deriving it
 * if needed; NULL when that fails. */
static key_cache *signing_entry(const iam_crypto_api *c, const char *secret, const char *date8,
                                const char *region, const char *service)
{
    key_cache *kc = thread_key_cache(c);
    if (!kc)
        return NULL;
    /* The scope, by hand: snprintf would cost as much as the rest of this lookup. */
    char scope[sizeof kc->scope];
    size_t rn = strlen(region), sn = strlen(service);
    if (rn > MAX_SCOPE_PART_LEN || sn > MAX_SCOPE_PART_LEN)
        return NULL; /* not signable anyway: the callers check both */
    memcpy(scope, date8, 8);
    scope[8] = '/';
    memcpy(scope + 9, region, rn);
    scope[9 + rn] = '/';
    memcpy(scope + 10 + rn, service, sn + 1);
    size_t n = 10 + rn + sn;
    if (kc->secret && memcmp(kc->scope, scope, n + 1) == 0 && strcmp(kc->secret, secret) == 0)
        return kc;
    key_cache_clear(kc);
    if (derive_key(c, kc->work, secret, date8, region, service, kc->key) != 0 ||
        load_pads(kc) != 0 || !(kc->secret = iam_strdup(secret))) {
        key_cache_clear(kc);
        return NULL;
    }
    memcpy(kc->scope, scope, n + 1);
    return kc;
}

/* signature = hex(HMAC(kSigning, string_to_sign)) */
int iam_sigv4_signature(const char *secret, const char *date8, const char *region,
                        const char *service, const void *string_to_sign, size_t len,
                        char out[65])
{
    unsigned char inner[32], sig[32];
    unsigned int n1 = 0, n2 = 0;
    const iam_crypto_api *c = iam_crypto(NULL);
    if (!c)
        return -1;
    key_cache *kc = signing_entry(c, secret, date8, region, service);
    if (kc) {
        EVP_MD_CTX *w = kc->work;
        int ok = c->ctx_copy(w, kc->ipad) && c->digest_update(w, string_to_sign, len) &&
                 c->digest_final(w, inner, &n1) && n1 == 32 &&
                 c->ctx_copy(w, kc->opad) && c->digest_update(w, inner, sizeof inner) &&
                 c->digest_final(w, sig, &n2) && n2 == 32;
        iam_wipe(inner, sizeof inner);
        if (ok)
            hex_lower(out, sig, sizeof sig);
        iam_wipe(sig, sizeof sig);
        return ok ? 0 : -1;
    }
    /* No per-thread entry (out of memory, or a scope too long to key it by):
     * derive the key on a context of this call's own. */
    unsigned char k[32];
    int rc = -1;
    EVP_MD_CTX *ctx = c->ctx_new();
    if (ctx && derive_key(c, ctx, secret, date8, region, service, k) == 0 &&
        hmac_sha256(c, ctx, k, sizeof k, string_to_sign, len, sig) == 0) {
        hex_lower(out, sig, sizeof sig);
        rc = 0;
    }
    c->ctx_free(ctx);
    iam_wipe(k, sizeof k);
    iam_wipe(sig, sizeof sig);
    return rc;
}

/* SHA-256 of "": the payload hash of every request without a body. */
static const char EMPTY_SHA256[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

int iam_sha256(const void *data, size_t n, unsigned char out[32])
{
    const iam_crypto_api *c = iam_crypto(NULL);
    if (!c)
        return -1;
    key_cache *kc = thread_key_cache(c);
    EVP_MD_CTX *ctx = kc ? kc->work : c->ctx_new();
    int rc = ctx ? digest2(c, ctx, data, n, NULL, 0, out) : -1;
    if (!kc)
        c->ctx_free(ctx);
    return rc;
}

int iam_sigv4_sha256_hex(const void *data, size_t n, char out[65])
{
    unsigned char md[32];
    if (n == 0) {
        memcpy(out, EMPTY_SHA256, sizeof EMPTY_SHA256);
        return 0;
    }
    int rc = iam_sha256(data, n, md);
    if (rc == 0)
        hex_lower(out, md, sizeof md);
    return rc;
}

/* ---------------------------------------------------------------- date */

/* yyyymmddThhmmssZ for t in years 1970..9999: the proleptic Gregorian calendar
 * by arithmetic (days to civil date), not gmtime_r and strftime, which cost
 * more than the rest of a signature's string building. */
int iam_sigv4_format_date(int64_t t, char out[17])
{
    if (t < 0 || t > 253402300799) /* 9999-12-31T23:59:59Z */
        return -1;
    int64_t days = t / 86400, secs = t % 86400;
    /* Shift the epoch to 0000-03-01 so that leap days end each 400-year era. */
    int64_t z = days + 719468;
    int64_t era = z / 146097;
    int64_t doe = z - era * 146097;                                    /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);             /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                  /* [0, 11], March = 0 */
    int day = (int)(doy - (153 * mp + 2) / 5 + 1);
    int month = (int)(mp < 10 ? mp + 3 : mp - 9);
    int year = (int)(yoe + era * 400 + (month <= 2));
    int hh = (int)(secs / 3600), mm = (int)(secs / 60 % 60), ss = (int)(secs % 60);
    const int fields[6] = {year / 100, year % 100, month, day, hh, mm};
    char *p = out;
    for (int i = 0; i < 6; i++) {
        *p++ = (char)('0' + fields[i] / 10);
        *p++ = (char)('0' + fields[i] % 10);
        if (i == 3)
            *p++ = 'T';
    }
    *p++ = (char)('0' + ss / 10);
    *p++ = (char)('0' + ss % 10);
    *p++ = 'Z';
    *p = '\0';
    return 0;
}

/* ---------------------------------------------------------------- path */

typedef struct span {
    const char *p;
    size_t n;
} span;

/* Append the canonical URI of path[0..n). */
static int append_canonical_path(iam_buf *b, const char *path, size_t n, int normalize,
                                 int double_encode)
{
    if (n == 0) {
        iam_buf_append(b, "/", 1);
        return 0;
    }
    if (!normalize) {
        append_encoded_path(b, path, n, !double_encode);
        return 0;
    }
    /* Split on '/', drop "" and ".", pop on "..", join; keep a trailing '/'. */
    size_t max_segments = 1;
    for (size_t i = 0; i < n; i++)
        max_segments += path[i] == '/';
    span *seg = malloc(max_segments * sizeof *seg);
    if (!seg)
        return -1;
    size_t count = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && path[i] != '/')
            continue;
        const char *s = path + start;
        size_t len = i - start;
        start = i + 1;
        if (len == 0 || (len == 1 && s[0] == '.'))
            continue;
        if (len == 2 && s[0] == '.' && s[1] == '.') {
            if (count)
                count--;
            continue;
        }
        seg[count].p = s;
        seg[count].n = len;
        count++;
    }
    iam_buf_append(b, "/", 1);
    for (size_t i = 0; i < count; i++) {
        append_encoded_path(b, seg[i].p, seg[i].n, !double_encode);
        if (i + 1 < count || path[n - 1] == '/')
            iam_buf_append(b, "/", 1);
    }
    free(seg);
    return 0;
}

/* ---------------------------------------------------------------- query */

typedef struct qparam {
    char *key;   /* encoded */
    char *value; /* encoded */
} qparam;

typedef struct qlist {
    qparam *items;
    size_t count;
    size_t cap;
} qlist;

static void qlist_free(qlist *q)
{
    for (size_t i = 0; i < q->count; i++) {
        iam_secret_free(q->items[i].key);
        iam_secret_free(q->items[i].value);
    }
    free(q->items);
    memset(q, 0, sizeof *q);
}

static char *encode_copy(const char *s, size_t n)
{
    iam_buf b = {0};
    iam_sigv4_append_encoded(&b, s, n);
    if (b.oom) {
        iam_buf_free(&b);
        return NULL;
    }
    if (!b.data) /* n == 0 */
        return iam_strdup("");
    return b.data; /* ownership passes; bytes past len were never written */
}

/* Add an already-decoded key and value. Returns -1 when out of memory. */
static int qlist_add(qlist *q, const char *key, size_t key_len, const char *value,
                     size_t value_len)
{
    if (q->count == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 8;
        qparam *items = malloc(cap * sizeof *items);
        if (!items)
            return -1;
        if (q->count)
            memcpy(items, q->items, q->count * sizeof *items);
        free(q->items);
        q->items = items;
        q->cap = cap;
    }
    char *k = encode_copy(key, key_len);
    char *v = encode_copy(value, value_len);
    if (!k || !v) {
        iam_secret_free(k);
        iam_secret_free(v);
        return -1;
    }
    q->items[q->count].key = k;
    q->items[q->count].value = v;
    q->count++;
    return 0;
}

static int qparam_compare(const void *a, const void *b)
{
    const qparam *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

static const char *const RESERVED_PARAMS[] = {
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",      "X-Amz-Expires",
    "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature",
};

/* Parse the query (without '?'), decoding each key and value. In query mode a
 * parameter the signer adds itself is an error (1 returned, name in *bad). */
static int parse_query(qlist *q, const char *query, int check_reserved, const char **bad)
{
    const char *p = query;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        if (n) {
            const char *eq = memchr(p, '=', n);
            size_t kn = eq ? (size_t)(eq - p) : n;
            size_t klen, vlen;
            char *k = percent_decode(p, kn, &klen);
            char *v = eq ? percent_decode(eq + 1, n - kn - 1, &vlen) : iam_strdup("");
            if (!eq)
                vlen = 0;
            if (!k || !v) {
                iam_secret_free(k);
                iam_secret_free(v);
                return -1;
            }
            int rc = 0;
            if (check_reserved) {
                for (size_t i = 0; i < sizeof RESERVED_PARAMS / sizeof RESERVED_PARAMS[0]; i++)
                    if (strlen(RESERVED_PARAMS[i]) == klen &&
                        strcasecmp(RESERVED_PARAMS[i], k) == 0) {
                        *bad = RESERVED_PARAMS[i];
                        rc = 1;
                    }
            }
            if (rc == 0 && qlist_add(q, k, klen, v, vlen) != 0)
                rc = -1;
            /* k/v may contain NULs from %00: wipe by length, not strlen. */
            iam_wipe(k, klen);
            iam_wipe(v, vlen);
            free(k);
            free(v);
            if (rc)
                return rc;
        }
        if (!amp)
            break;
        p = amp + 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- headers */

/* Sent but never signed: hop-by-hop headers and ones that proxies or HTTP
 * clients rewrite (the union of botocore's and aws-c-auth's lists). */
static const char *const UNSIGNED_HEADERS[] = {
    "connection",          "expect",           "keep-alive", "proxy-authenticate",
    "proxy-authorization", "te",               "trailer",    "transfer-encoding",
    "upgrade",             "user-agent",       "x-amzn-trace-id",
    "sec-websocket-key",   "sec-websocket-protocol",         "sec-websocket-version",
};

/* Added by the signer; the caller must not pass them. */
static const char *const SIGNER_HEADERS[] = {
    "Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256",
};

typedef struct hentry {
    char *name;        /* lower-cased copy */
    const char *value; /* borrowed */
    size_t index;      /* original position, for a stable sort */
} hentry;

static int hentry_compare(const void *a, const void *b)
{
    const hentry *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->index < y->index ? -1 : (x->index > y->index ? 1 : 0);
}

static int name_in(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(name, list[i]) == 0)
            return 1;
    return 0;
}

/* Trim, and fold every run of whitespace (line breaks of continued values
 * included) into one space. */
static void append_header_value(iam_buf *b, const char *v)
{
    const unsigned char *p = (const unsigned char *)v;
    while (*p && is_fold_space(*p))
        p++;
    while (*p) {
        const unsigned char *word = p; /* a run without white space, appended whole */
        while (*p && !is_fold_space(*p))
            p++;
        iam_buf_append(b, word, (size_t)(p - word));
        while (*p && is_fold_space(*p))
            p++;
        if (*p)
            iam_buf_append(b, " ", 1);
    }
}

/* ---------------------------------------------------------------- compute */

static void result_init(iam_sigv4_result *r)
{
    memset(r, 0, sizeof *r);
}

void iam_sigv4_result_free(iam_sigv4_result *r)
{
    if (!r)
        return;
    iam_buf_free(&r->canonical_request);
    iam_buf_free(&r->string_to_sign);
    iam_buf_free(&r->signed_headers);
    iam_buf_free(&r->credential);
    iam_wipe(r, sizeof *r);
    result_init(r);
}

iam_status iam_sigv4_check_params(const iam_sigv4_params *params, const iam_sigv4_request *req,
                                  iam_sigv4_mode mode, iam_error *err)
{
    if (!params)
        return iam_error_set(err, IAM_E_CONFIG, "sigv4: params is NULL");
    if (params->version != IAM_SIGV4_PARAMS_VERSION)
        return iam_error_set(err, IAM_E_CONFIG,
                             "sigv4: params.version is %u, expected %u (start from "
                             "IAM_SIGV4_PARAMS_INIT)",
                             params->version, IAM_SIGV4_PARAMS_VERSION);
    if (!is_scope_part(params->service))
        return iam_error_set(err, IAM_E_CONFIG,
                             "sigv4: service must be 1-128 characters of A-Z a-z 0-9 - _ .");
    if (!is_scope_part(params->region))
        return iam_error_set(err, IAM_E_CONFIG,
                             "sigv4: region must be 1-128 characters of A-Z a-z 0-9 - _ .");
    const iam_aws_credentials *c = params->credentials;
    if (!c)
        return iam_error_set(err, IAM_E_CONFIG, "sigv4: credentials is NULL");
    if (!is_access_key_id(c->access_key_id))
        return iam_error_set(err, IAM_E_CONFIG,
                             "sigv4: access_key_id is missing or contains a space, a control "
                             "character or one of / , = ;");
    if (!c->secret_access_key || !*c->secret_access_key ||
        strlen(c->secret_access_key) > MAX_SECRET_LEN)
        return iam_error_set(err, IAM_E_CONFIG,
                             "sigv4: secret_access_key is missing or too long");
    if (c->session_token && !is_printable(c->session_token))
        return iam_error_set(err, IAM_E_CONFIG,
                             "sigv4: session_token contains a control character");
    if (params->timestamp < 0)
        return iam_error_set(err, IAM_E_CONFIG, "sigv4: timestamp is negative");
    if (params->payload_hash &&
        (!*params->payload_hash || strlen(params->payload_hash) > IAM_SIGV4_MAX_PAYLOAD_HASH ||
         !is_token(params->payload_hash)))
        return iam_error_set(err, IAM_E_CONFIG,
                             "sigv4: payload_hash must be 1-64 characters without spaces");
    if (mode == IAM_SIGV4_QUERY && (params->expires < 1 || params->expires > IAM_SIGV4_MAX_EXPIRES))
        return iam_error_set(err, IAM_E_CONFIG, "sigv4: expires must be 1..%ld seconds",
                             IAM_SIGV4_MAX_EXPIRES);
    if (!req->method || !is_token(req->method))
        return iam_error_set(err, IAM_E_CONFIG, "sigv4: method is missing or not an HTTP token");
    if (!req->target || req->target[0] != '/' || !is_printable(req->target))
        return iam_error_set(err, IAM_E_CONFIG,
                             "sigv4: target must start with '/' and contain no control "
                             "characters");
    if (req->header_count && !req->headers)
        return iam_error_set(err, IAM_E_CONFIG, "sigv4: headers is NULL");
    if (req->body_len && !req->body)
        return iam_error_set(err, IAM_E_CONFIG, "sigv4: body is NULL");
    return IAM_OK;
}

/* A header value as it may be sent: visible characters, spaces and tabs, and
 * line breaks only as folds (followed by a space or a tab). Anything else would
 * be signed here and then split into another header on the wire. */
static int is_sendable_value(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == '\r' && p[1] == '\n')
            p++;
        if (*p == '\n') {
            if (p[1] != ' ' && p[1] != '\t')
                return 0;
        } else if ((*p < ' ' && *p != '\t') || *p == 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* Canonical headers block ("name:value\n" …) into *block, names into *signed_names. */
static iam_status build_headers(iam_buf *block, iam_buf *signed_names, iam_sigv4_mode mode,
                                const iam_sigv4_params *params, const iam_sigv4_request *req,
                                const iam_sigv4_result *r, iam_error *err)
{
    const char *token = params->credentials->session_token;
    const char *extra_names[3], *extra_values[3];
    size_t n = 0, extra = 0;
    int have_host = 0;
    iam_status st = IAM_OK;
    hentry *h = calloc(req->header_count + 3, sizeof *h);
    if (!h)
        return iam_error_set(err, IAM_E_NOMEM, "sigv4: out of memory");

    for (size_t i = 0; i < req->header_count; i++) {
        const iam_header *in = &req->headers[i];
        if (!in->name || !is_token(in->name)) {
            st = iam_error_set(err, IAM_E_CONFIG, "sigv4: header %zu has an invalid name", i);
            goto done;
        }
        if (!in->value) {
            st = iam_error_set(err, IAM_E_CONFIG, "sigv4: header \"%s\" has a NULL value",
                               in->name);
            goto done;
        }
        if (!is_sendable_value(in->value)) {
            st = iam_error_set(err, IAM_E_CONFIG,
                               "sigv4: the value of header \"%s\" has a control character or "
                               "a line break that is not a fold", in->name);
            goto done;
        }
        if (strcasecmp(in->name, "host") == 0 && !in->value[strspn(in->value, " \t")]) {
            st = iam_error_set(err, IAM_E_CONFIG, "sigv4: the Host header is empty");
            goto done;
        }
        if (name_in(in->name, SIGNER_HEADERS, sizeof SIGNER_HEADERS / sizeof *SIGNER_HEADERS)) {
            st = iam_error_set(err, IAM_E_CONFIG,
                               "sigv4: header \"%s\" is added by the signer; do not pass it",
                               in->name);
            goto done;
        }
        if (strcasecmp(in->name, "host") == 0)
            have_host = 1;
        if (name_in(in->name, UNSIGNED_HEADERS, sizeof UNSIGNED_HEADERS / sizeof *UNSIGNED_HEADERS))
            continue;
        h[n].name = iam_strdup(in->name);
        if (!h[n].name) {
            st = iam_error_set(err, IAM_E_NOMEM, "sigv4: out of memory");
            goto done;
        }
        for (char *p = h[n].name; *p; p++)
            *p = (char)ascii_lower((unsigned char)*p);
        h[n].value = in->value;
        h[n].index = i;
        n++;
    }
    if (!have_host) {
        st = iam_error_set(err, IAM_E_CONFIG, "sigv4: a Host header is required");
        goto done;
    }

    /* What the signer adds (and signs) itself. */
    if (r->has_token && !params->omit_session_token && mode == IAM_SIGV4_HEADERS) {
        extra_names[extra] = "x-amz-security-token";
        extra_values[extra++] = token;
    }
    if (mode == IAM_SIGV4_HEADERS) {
        extra_names[extra] = "x-amz-date";
        extra_values[extra++] = r->amz_date;
        if (params->sign_body) {
            extra_names[extra] = "x-amz-content-sha256";
            extra_values[extra++] = r->payload_hash;
        }
    }
    for (size_t i = 0; i < extra; i++) {
        h[n].name = iam_strdup(extra_names[i]);
        if (!h[n].name) {
            st = iam_error_set(err, IAM_E_NOMEM, "sigv4: out of memory");
            goto done;
        }
        h[n].value = extra_values[i];
        h[n].index = req->header_count + i;
        n++;
    }

    qsort(h, n, sizeof *h, hentry_compare);
    for (size_t i = 0; i < n; i++) {
        int same = i > 0 && strcmp(h[i].name, h[i - 1].name) == 0;
        if (same) {
            iam_buf_append(block, ",", 1);
        } else {
            if (i > 0) {
                iam_buf_append(block, "\n", 1);
                iam_buf_append(signed_names, ";", 1);
            }
            iam_buf_append_str(block, h[i].name);
            iam_buf_append(block, ":", 1);
            iam_buf_append_str(signed_names, h[i].name);
        }
        append_header_value(block, h[i].value);
    }
    iam_buf_append(block, "\n", 1);
    if (block->oom || signed_names->oom)
        st = iam_error_set(err, IAM_E_NOMEM, "sigv4: out of memory");
done:
    for (size_t i = 0; i < n; i++)
        free(h[i].name);
    free(h);
    return st;
}

/* The canonical query string: the target's parameters (decoded, re-encoded),
 * plus the authentication parameters in query mode, sorted. */
static iam_status build_query(iam_buf *out, const char *query, iam_sigv4_mode mode,
                              const iam_sigv4_params *params, const iam_sigv4_result *r,
                              iam_error *err)
{
    const iam_aws_credentials *cred = params->credentials;
    qlist q = {0};
    iam_status st = IAM_OK;
    const char *bad = NULL;
    char expires[24];
    int rc = query ? parse_query(&q, query, mode == IAM_SIGV4_QUERY, &bad) : 0;

    if (rc == 1) {
        st = iam_error_set(err, IAM_E_CONFIG,
                           "sigv4: the target's query already has %s; the signer adds it", bad);
        goto done;
    }
    if (rc != 0)
        goto oom;
    if (mode == IAM_SIGV4_QUERY) {
        const char *names[6] = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                                "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Security-Token"};
        const char *values[6] = {SIGV4_ALGORITHM, r->credential.data, r->amz_date, expires,
                                 r->signed_headers.data, cred->session_token};
        size_t count = (r->has_token && !params->omit_session_token) ? 6 : 5;
        snprintf(expires, sizeof expires, "%ld", r->expires);
        for (size_t i = 0; i < count; i++)
            if (qlist_add(&q, names[i], strlen(names[i]), values[i], strlen(values[i])) != 0)
                goto oom;
    }
    if (q.count)
        qsort(q.items, q.count, sizeof *q.items, qparam_compare);
    for (size_t i = 0; i < q.count; i++) {
        if (i)
            iam_buf_append(out, "&", 1);
        iam_buf_append_str(out, q.items[i].key);
        iam_buf_append(out, "=", 1);
        iam_buf_append_str(out, q.items[i].value);
    }
    if (!out->oom)
        goto done;
oom:
    st = iam_error_set(err, IAM_E_NOMEM, "sigv4: out of memory");
done:
    qlist_free(&q);
    return st;
}

/* "AWS4-HMAC-SHA256\n<date>\n<scope>\n<hex sha256 of the canonical request>" */
static iam_status build_string_to_sign(iam_sigv4_result *r, size_t akid_len, iam_error *err)
{
    char hash[65];
    if (iam_sigv4_sha256_hex(r->canonical_request.data, r->canonical_request.len, hash) != 0)
        return iam_error_set(err, IAM_E_INTERNAL, "sigv4: SHA-256 failed");
    iam_buf *sts = &r->string_to_sign;
    iam_buf_append_str(sts, SIGV4_ALGORITHM "\n");
    iam_buf_append_str(sts, r->amz_date);
    iam_buf_append(sts, "\n", 1);
    /* the scope is the credential without "<AKID>/" */
    iam_buf_append(sts, r->credential.data + akid_len + 1, r->credential.len - akid_len - 1);
    iam_buf_append(sts, "\n", 1);
    iam_buf_append(sts, hash, 64);
    return sts->oom ? iam_error_set(err, IAM_E_NOMEM, "sigv4: out of memory") : IAM_OK;
}

iam_status iam_sigv4_compute(iam_sigv4_result *out, iam_sigv4_mode mode,
                             const iam_sigv4_params *params, const iam_sigv4_request *req,
                             iam_error *err)
{
    iam_buf headers_block = {0}, query = {0};
    iam_buf *cr = out ? &out->canonical_request : NULL;
    const iam_aws_credentials *cred;
    const char *qmark;
    size_t path_len;
    int64_t now;
    char date8[9];
    iam_status st;

    if (!out)
        return iam_error_set(err, IAM_E_CONFIG, "sigv4: out is NULL");
    result_init(out);
    if (!req)
        return iam_error_set(err, IAM_E_CONFIG, "sigv4: request is NULL");
    st = iam_sigv4_check_params(params, req, mode, err);
    if (st != IAM_OK)
        return st;
    if (!iam_crypto(err))
        return IAM_E_INTERNAL;
    cred = params->credentials;

    /* Time, expiry, credential scope. */
    now = params->timestamp ? params->timestamp : (int64_t)time(NULL);
    if (iam_sigv4_format_date(now, out->amz_date) != 0)
        return iam_error_set(err, IAM_E_CONFIG, "sigv4: timestamp is outside years 1970..9999");
    if (cred->expiration && cred->expiration <= now)
        return iam_error_set(err, IAM_E_CONFIG, "sigv4: the credentials have expired");
    out->expires = params->expires;
    if (cred->expiration && mode == IAM_SIGV4_QUERY && cred->expiration - now < out->expires)
        out->expires = (long)(cred->expiration - now);
    out->has_token = cred->session_token && *cred->session_token;
    memcpy(date8, out->amz_date, 8);
    date8[8] = '\0';
    iam_buf_append_str(&out->credential, cred->access_key_id);
    iam_buf_append(&out->credential, "/", 1);
    iam_buf_append_str(&out->credential, date8);
    iam_buf_append(&out->credential, "/", 1);
    iam_buf_append_str(&out->credential, params->region);
    iam_buf_append(&out->credential, "/", 1);
    iam_buf_append_str(&out->credential, params->service);
    iam_buf_append_str(&out->credential, "/aws4_request");
    if (out->credential.oom)
        goto oom;

    /* Payload hash. */
    if (params->payload_hash) {
        memcpy(out->payload_hash, params->payload_hash, strlen(params->payload_hash) + 1);
    } else {
        if (iam_sigv4_sha256_hex(req->body, req->body_len, out->payload_hash) != 0) {
            st = iam_error_set(err, IAM_E_INTERNAL, "sigv4: SHA-256 failed");
            goto fail;
        }
    }

    /* Headers before the query: query signing lists the signed headers in it. */
    st = build_headers(&headers_block, &out->signed_headers, mode, params, req, out, err);
    if (st != IAM_OK)
        goto fail;
    qmark = strchr(req->target, '?');
    path_len = qmark ? (size_t)(qmark - req->target) : strlen(req->target);
    st = build_query(&query, qmark ? qmark + 1 : NULL, mode, params, out, err);
    if (st != IAM_OK)
        goto fail;

    /* Canonical request: method, path, query, headers, signed headers, payload. */
    iam_buf_append_str(cr, req->method);
    iam_buf_append(cr, "\n", 1);
    if (append_canonical_path(cr, req->target, path_len, params->normalize_path,
                              params->double_encode_path) != 0)
        goto oom;
    iam_buf_append(cr, "\n", 1);
    iam_buf_append(cr, query.data, query.len);
    iam_buf_append(cr, "\n", 1);
    iam_buf_append(cr, headers_block.data, headers_block.len);
    iam_buf_append(cr, "\n", 1);
    iam_buf_append(cr, out->signed_headers.data, out->signed_headers.len);
    iam_buf_append(cr, "\n", 1);
    iam_buf_append_str(cr, out->payload_hash);
    if (cr->oom)
        goto oom;

    st = build_string_to_sign(out, strlen(cred->access_key_id), err);
    if (st != IAM_OK)
        goto fail;
    if (iam_sigv4_signature(cred->secret_access_key, date8, params->region, params->service,
                            out->string_to_sign.data, out->string_to_sign.len,
                            out->signature) != 0) {
        st = iam_error_set(err, IAM_E_INTERNAL, "sigv4: HMAC-SHA256 failed");
        goto fail;
    }
    iam_buf_free(&headers_block);
    iam_buf_free(&query);
    return IAM_OK;

oom:
    st = iam_error_set(err, IAM_E_NOMEM, "sigv4: out of memory");
fail:
    iam_buf_free(&headers_block);
    iam_buf_free(&query);
    iam_sigv4_result_free(out);
    return st;
}

/* ---------------------------------------------------------------- public API */

void iam_aws_string_free(char *s)
{
    iam_secret_free(s);
}

void iam_sigv4_headers_free(iam_sigv4_headers *h)
{
    if (!h)
        return;
    if (h->storage_) {
        iam_wipe(h->storage_, h->storage_len_);
        free(h->storage_);
    }
    iam_wipe(h, sizeof *h);
    memset(h, 0, sizeof *h);
}

iam_status iam_sigv4_sign_headers(iam_sigv4_headers *out, const iam_sigv4_params *params,
                                  const char *method, const char *target,
                                  const iam_header *headers, size_t header_count,
                                  const void *body, size_t body_len, iam_error *err)
{
    if (!out)
        return iam_error_set(err, IAM_E_CONFIG, "sigv4: out is NULL");
    memset(out, 0, sizeof *out);
    iam_sigv4_request req = {method, target, headers, header_count, body, body_len};
    iam_sigv4_result r;
    iam_status st = iam_sigv4_compute(&r, IAM_SIGV4_HEADERS, params, &req, err);
    if (st != IAM_OK)
        return st;

    /* All values in one block: token, date, content hash, authorization. */
    static const char *const names[4] = {"X-Amz-Security-Token", "X-Amz-Date",
                                         "x-amz-content-sha256", "Authorization"};
    size_t offsets[4];
    int present[4] = {r.has_token, 1, params->sign_body != 0, 1};
    iam_buf b = {0};
    for (int i = 0; i < 4; i++) {
        offsets[i] = b.len;
        if (!present[i])
            continue;
        switch (i) {
        case 0: iam_buf_append_str(&b, params->credentials->session_token); break;
        case 1: iam_buf_append_str(&b, r.amz_date); break;
        case 2: iam_buf_append_str(&b, r.payload_hash); break;
        default:
            iam_buf_append_str(&b, SIGV4_ALGORITHM " Credential=");
            iam_buf_append(&b, r.credential.data, r.credential.len);
            iam_buf_append_str(&b, ", SignedHeaders=");
            iam_buf_append(&b, r.signed_headers.data, r.signed_headers.len);
            iam_buf_append_str(&b, ", Signature=");
            iam_buf_append_str(&b, r.signature);
            break;
        }
        iam_buf_append(&b, "", 1); /* keep the NUL between values */
    }
    if (b.oom) {
        iam_buf_free(&b);
        iam_sigv4_result_free(&r);
        return iam_error_set(err, IAM_E_NOMEM, "sigv4: out of memory");
    }
    out->storage_ = b.data;
    out->storage_len_ = b.cap;
    for (int i = 0; i < 4; i++) {
        if (!present[i])
            continue;
        out->headers[out->count].name = names[i];
        out->headers[out->count].value = b.data + offsets[i];
        out->count++;
    }
    memcpy(out->signature, r.signature, sizeof out->signature);
    iam_sigv4_result_free(&r);
    return IAM_OK;
}

iam_status iam_sigv4_presign(char **out, const iam_sigv4_params *params, const char *method,
                             const char *target, const iam_header *headers, size_t header_count,
                             const void *body, size_t body_len, iam_error *err)
{
    if (!out)
        return iam_error_set(err, IAM_E_CONFIG, "sigv4: out is NULL");
    *out = NULL;
    iam_sigv4_request req = {method, target, headers, header_count, body, body_len};
    iam_sigv4_result r;
    iam_status st = iam_sigv4_compute(&r, IAM_SIGV4_QUERY, params, &req, err);
    if (st != IAM_OK)
        return st;

    /* The target as given, then our parameters in AWS's signer order. */
    iam_buf b = {0};
    size_t tlen = strlen(target);
    const char *qmark = strchr(target, '?');
    iam_buf_append(&b, target, tlen);
    if (!qmark)
        iam_buf_append(&b, "?", 1);
    else if (target[tlen - 1] != '?' && target[tlen - 1] != '&')
        iam_buf_append(&b, "&", 1);
    char expires[24];
    snprintf(expires, sizeof expires, "%ld", r.expires);
    iam_buf_append_str(&b, "X-Amz-Algorithm=" SIGV4_ALGORITHM "&X-Amz-Credential=");
    iam_sigv4_append_encoded(&b, r.credential.data, r.credential.len);
    iam_buf_append_str(&b, "&X-Amz-Date=");
    iam_buf_append_str(&b, r.amz_date);
    iam_buf_append_str(&b, "&X-Amz-SignedHeaders=");
    iam_sigv4_append_encoded(&b, r.signed_headers.data, r.signed_headers.len);
    iam_buf_append_str(&b, "&X-Amz-Expires=");
    iam_buf_append_str(&b, expires);
    if (r.has_token) {
        const char *tok = params->credentials->session_token;
        iam_buf_append_str(&b, "&X-Amz-Security-Token=");
        iam_sigv4_append_encoded(&b, tok, strlen(tok));
    }
    iam_buf_append_str(&b, "&X-Amz-Signature=");
    iam_buf_append_str(&b, r.signature);
    iam_sigv4_result_free(&r);
    if (b.oom) {
        iam_buf_free(&b);
        return iam_error_set(err, IAM_E_NOMEM, "sigv4: out of memory");
    }
    *out = b.data; /* bytes past the NUL were never written: iam_aws_string_free wipes all */
    return IAM_OK;
}
