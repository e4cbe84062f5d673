/* Error codes, their stable names, and the detail record. */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "error.h"
#include "secret.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *iam_status_name(int code)
{
    switch (code) {
    case IAM_OK: return "ok";
    case IAM_E_CONFIG: return "config";
    case IAM_E_AUTH: return "auth";
    case IAM_E_TRANSPORT: return "transport";
    case IAM_E_TIMEOUT: return "timeout";
    case IAM_E_TLS: return "tls";
    case IAM_E_PARSE: return "parse";
    case IAM_E_TOKEN_FILE: return "token_file";
    case IAM_E_NOMEM: return "nomem";
    default: return "internal";
    }
}

void iam_error_clear(iam_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

int iam_error_set(iam_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void iam_copy_field(char *dst, size_t cap, const char *src)
{
    if (!cap)
        return;
    if (!src)
        src = "";
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void redact_field(char *field, size_t cap, const char *secret, size_t slen)
{
    static const char mark[] = "[redacted]";
    const size_t mlen = sizeof mark - 1;
    const size_t before = strlen(field);
    char *from = field, *hit;
    while ((hit = strstr(from, secret)) != NULL) {
        size_t tail = strlen(hit + slen);
        size_t pos = (size_t)(hit - field);
        /* Shift the tail; truncate it if the mark makes the field overflow. */
        if (pos + mlen + tail + 1 > cap)
            tail = cap > pos + mlen + 1 ? cap - pos - mlen - 1 : 0;
        if (pos + mlen + 1 > cap) {
            field[pos] = '\0';
            break;
        }
        memmove(hit + mlen, hit + slen, tail);
        memcpy(hit, mark, mlen);
        hit[mlen + tail] = '\0';
        from = hit + mlen; /* the mark itself may contain the secret */
    }
    /* A shorter text leaves the end of the old one, with a piece of the secret,
     * behind its new terminator. */
    const size_t after = strlen(field);
    if (after < before)
        iam_wipe(field + after, before - after);
}

void iam_error_redact(iam_error *err, const char *secret)
{
    /* Shorter strings are no real credential, and would blank out ordinary
     * words of the message. */
    if (!err || !secret || strlen(secret) < IAM_REDACT_MIN_LEN)
        return;
    size_t slen = strlen(secret);
    redact_field(err->message, sizeof err->message, secret, slen);
    redact_field(err->error_code, sizeof err->error_code, secret, slen);
    redact_field(err->error_message, sizeof err->error_message, secret, slen);
    redact_field(err->error_details, sizeof err->error_details, secret, slen);
    redact_field(err->request_id, sizeof err->request_id, secret, slen);
    redact_field(err->transaction_id, sizeof err->transaction_id, secret, slen);
}
