/* SigV4 conformance: every case of AWS's signing test suite (aws-c-auth's
 * tests/aws-signing-test-suite/v4), read where it lies. For each case and each
 * of header signing and query signing, the canonical request, the string to
 * sign, the signature and the signed request must equal the expected files byte
 * for byte. The suite directory: $IAMCORE_SIGV4_SUITE, else
 * ../shared/aws-sigv4-suite/v4 from the current directory (the repository root
 * when tests run). Without it the test is skipped. */
#define _GNU_SOURCE
#include "check.h"
#include "sigv4.h"

#include <cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_SUITE "../shared/aws-sigv4-suite/v4"

/* ---------------------------------------------------------------- files */

static char *read_file(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *data = malloc(cap);
    while (data) {
        size_t got = fread(data + n, 1, cap - n - 1, f);
        n += got;
        if (n + 1 < cap)
            break;
        char *bigger = realloc(data, cap * 2);
        if (!bigger) {
            free(data);
            data = NULL;
            break;
        }
        data = bigger;
        cap *= 2;
    }
    fclose(f);
    if (data) {
        data[n] = '\0';
        if (len)
            *len = n;
    }
    return data;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Sorted names of the case directories; NULL-terminated. NULL on failure. */
static char **list_cases(const char *suite, size_t *count)
{
    DIR *d = opendir(suite);
    if (!d)
        return NULL;
    size_t cap = 64, n = 0;
    char **names = malloc(cap * sizeof *names);
    struct dirent *e;
    while (names && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", suite, e->d_name);
        if (!is_dir(path))
            continue;
        if (n + 1 >= cap) {
            char **bigger = realloc(names, cap * 2 * sizeof *names);
            if (!bigger) {
                free_names(names, n);
                names = NULL;
                break;
            }
            names = bigger;
            cap *= 2;
        }
        if ((names[n] = strdup(e->d_name)) == NULL) {
            free_names(names, n);
            names = NULL;
            break;
        }
        n++;
    }
    closedir(d);
    if (!names)
        return NULL;
    qsort(names, n, sizeof *names, compare_names);
    names[n] = NULL;
    *count = n;
    return names;
}

/* ---------------------------------------------------------------- context.json */

typedef struct context {
    iam_aws_credentials creds;
    iam_sigv4_params params;
    cJSON *json; /* owns the strings above */
} context;

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int parse_timestamp(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, se;
    char z = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &z) != 7 ||
        z != 'Z')
        return -1;
    *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}

static const char *json_str(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static int json_bool(const cJSON *obj, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static int load_context(context *ctx, const char *dir)
{
    size_t len = 0;
    char *text = read_file(dir, "context.json", &len);
    if (!text)
        return -1;
    memset(ctx, 0, sizeof *ctx);
    ctx->json = cJSON_ParseWithLengthOpts(text, len, NULL, 0);
    free(text);
    if (!ctx->json)
        return -1;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(ctx->json, "credentials");
    ctx->creds.access_key_id = json_str(c, "access_key_id");
    ctx->creds.secret_access_key = json_str(c, "secret_access_key");
    ctx->creds.session_token = json_str(c, "token");

    iam_sigv4_params p = IAM_SIGV4_PARAMS_INIT;
    p.service = json_str(ctx->json, "service");
    p.region = json_str(ctx->json, "region");
    p.credentials = &ctx->creds;
    p.normalize_path = json_bool(ctx->json, "normalize");
    p.sign_body = json_bool(ctx->json, "sign_body");
    p.omit_session_token = json_bool(ctx->json, "omit_session_token");
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(ctx->json, "expiration_in_seconds");
    if (cJSON_IsNumber(exp))
        p.expires = (long)exp->valuedouble;
    if (parse_timestamp(json_str(ctx->json, "timestamp"), &p.timestamp) != 0)
        return -1;
    ctx->params = p;
    return 0;
}

/* ---------------------------------------------------------------- request.txt */

typedef struct parsed_request {
    char *method, *target, *version;
    iam_header *headers;
    char **names, **values; /* owned storage behind headers */
    size_t count;
    const char *body;
    size_t body_len;
    char *text;
} parsed_request;

static void free_request(parsed_request *r)
{
    for (size_t i = 0; i < r->count; i++) {
        free(r->names[i]);
        free(r->values[i]);
    }
    free(r->names);
    free(r->values);
    free(r->headers);
    free(r->method);
    free(r->target);
    free(r->version);
    free(r->text);
    memset(r, 0, sizeof *r);
}

static char *dup_range(const char *p, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, p, n);
        d[n] = '\0';
    }
    return d;
}

/* Request line, then "Name:value" lines (a line starting with a space or a tab
 * continues the previous value; it is kept with its "\n" and indentation so the
 * signed request can be rebuilt), an empty line, the body. */
static int parse_request(parsed_request *r, const char *dir)
{
    memset(r, 0, sizeof *r);
    size_t len = 0;
    r->text = read_file(dir, "request.txt", &len);
    if (!r->text)
        return -1;
    const char *p = r->text, *end = r->text + len;
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol)
        eol = end;
    const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
    const char *sp2 = eol;
    while (sp2 > p && sp2[-1] != ' ')
        sp2--;
    if (!sp1 || sp2 <= sp1 + 1)
        return -1;
    r->method = dup_range(p, (size_t)(sp1 - p));
    r->target = dup_range(sp1 + 1, (size_t)(sp2 - 1 - (sp1 + 1)));
    r->version = dup_range(sp2, (size_t)(eol - sp2));

    size_t lines = 1;
    for (const char *q = p; q < end; q++)
        lines += *q == '\n';
    r->names = calloc(lines, sizeof *r->names);
    r->values = calloc(lines, sizeof *r->values);
    r->headers = calloc(lines, sizeof *r->headers);
    if (!r->names || !r->values || !r->headers)
        return -1;

    p = eol < end ? eol + 1 : end;
    r->body = end;
    while (p < end) {
        eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if (eol == p) { /* blank line: the body follows */
            r->body = eol + 1 <= end ? eol + 1 : end;
            break;
        }
        if ((*p == ' ' || *p == '\t') && r->count) {
            char *prev = r->values[r->count - 1];
            size_t pl = strlen(prev), ll = (size_t)(eol - p);
            char *joined = realloc(prev, pl + 1 + ll + 1);
            if (!joined)
                return -1;
            joined[pl] = '\n';
            memcpy(joined + pl + 1, p, ll);
            joined[pl + 1 + ll] = '\0';
            r->values[r->count - 1] = joined;
        } else {
            const char *colon = memchr(p, ':', (size_t)(eol - p));
            if (!colon)
                return -1;
            r->names[r->count] = dup_range(p, (size_t)(colon - p));
            r->values[r->count] = dup_range(colon + 1, (size_t)(eol - colon - 1));
            r->count++;
        }
        p = eol < end ? eol + 1 : end;
    }
    r->body_len = (size_t)(end - r->body);
    for (size_t i = 0; i < r->count; i++) {
        r->headers[i].name = r->names[i];
        r->headers[i].value = r->values[i];
    }
    return 0;
}

/* ---------------------------------------------------------------- checks */

static void check_file(const char *dir, const char *case_name, const char *file,
                       const char *actual, size_t actual_len)
{
    size_t len = 0;
    char *expected = read_file(dir, file, &len);
    if (!expected) {
        fprintf(stderr, "  %s: cannot read %s\n", case_name, file);
        check_failures++;
        return;
    }
    if (!actual || actual_len != len || memcmp(actual, expected, len) != 0) {
        size_t at = 0;
        while (actual && at < len && at < actual_len && actual[at] == expected[at])
            at++;
        fprintf(stderr,
                "  %s: %s differs at byte %zu\n  --- expected\n%s\n  --- actual\n%.*s\n",
                case_name, file, at, expected, (int)(actual ? actual_len : 6),
                actual ? actual : "(null)");
        check_failures++;
    }
    free(expected);
}

/* "METHOD target VERSION\n" + the original headers + extra + "\n" + body. */
static void build_signed_request(iam_buf *out, const parsed_request *r, const char *target,
                                 const iam_header *extra, size_t extra_count)
{
    iam_buf_append_str(out, r->method);
    iam_buf_append(out, " ", 1);
    iam_buf_append_str(out, target);
    iam_buf_append(out, " ", 1);
    iam_buf_append_str(out, r->version);
    iam_buf_append(out, "\n", 1);
    for (size_t i = 0; i < r->count; i++) {
        iam_buf_append_str(out, r->headers[i].name);
        iam_buf_append(out, ":", 1);
        iam_buf_append_str(out, r->headers[i].value);
        iam_buf_append(out, "\n", 1);
    }
    for (size_t i = 0; i < extra_count; i++) {
        iam_buf_append_str(out, extra[i].name);
        iam_buf_append(out, ":", 1);
        iam_buf_append_str(out, extra[i].value);
        iam_buf_append(out, "\n", 1);
    }
    iam_buf_append(out, "\n", 1);
    iam_buf_append(out, r->body, r->body_len);
}

static void check_case(const char *dir, const char *case_name, iam_sigv4_mode mode)
{
    context ctx;
    parsed_request req;
    memset(&ctx, 0, sizeof ctx);
    memset(&req, 0, sizeof req);
    if (load_context(&ctx, dir) != 0 || parse_request(&req, dir) != 0) {
        fprintf(stderr, "  %s: cannot read context.json or request.txt\n", case_name);
        check_failures++;
        cJSON_Delete(ctx.json);
        free_request(&req);
        return;
    }
    const char *prefix = mode == IAM_SIGV4_HEADERS ? "header" : "query";
    char file[64];
    iam_error err;
    iam_error_clear(&err);

    iam_sigv4_request sreq = {req.method, req.target, req.headers, req.count, req.body,
                              req.body_len};
    iam_sigv4_result r;
    iam_status st = iam_sigv4_compute(&r, mode, &ctx.params, &sreq, &err);
    if (st != IAM_OK) {
        fprintf(stderr, "  %s: %s signing failed: %s\n", case_name, prefix, err.message);
        check_failures++;
    } else {
        snprintf(file, sizeof file, "%s-canonical-request.txt", prefix);
        check_file(dir, case_name, file, r.canonical_request.data, r.canonical_request.len);
        snprintf(file, sizeof file, "%s-string-to-sign.txt", prefix);
        check_file(dir, case_name, file, r.string_to_sign.data, r.string_to_sign.len);
        snprintf(file, sizeof file, "%s-signature.txt", prefix);
        check_file(dir, case_name, file, r.signature, strlen(r.signature));
    }
    iam_sigv4_result_free(&r);

    /* The signed request, through the public functions. */
    iam_buf signed_request = {0};
    if (mode == IAM_SIGV4_HEADERS) {
        iam_sigv4_headers h;
        st = iam_sigv4_sign_headers(&h, &ctx.params, req.method, req.target, req.headers,
                                    req.count, req.body, req.body_len, &err);
        CHECK_EQ_INT(st, IAM_OK);
        if (st == IAM_OK)
            build_signed_request(&signed_request, &req, req.target, h.headers, h.count);
        iam_sigv4_headers_free(&h);
    } else {
        char *target = NULL;
        st = iam_sigv4_presign(&target, &ctx.params, req.method, req.target, req.headers,
                               req.count, req.body, req.body_len, &err);
        CHECK_EQ_INT(st, IAM_OK);
        if (st == IAM_OK)
            build_signed_request(&signed_request, &req, target, NULL, 0);
        iam_aws_string_free(target);
    }
    if (st == IAM_OK) {
        snprintf(file, sizeof file, "%s-signed-request.txt", prefix);
        check_file(dir, case_name, file, signed_request.data, signed_request.len);
    }
    iam_buf_free(&signed_request);
    cJSON_Delete(ctx.json);
    free_request(&req);
}

/* RUN for a test known only at run time. */
static void run_case(const char *suite, const char *case_name, iam_sigv4_mode mode)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", suite, case_name);
    int before = check_failures;
    check_tests_run++;
    check_case(dir, case_name, mode);
    const char *label = mode == IAM_SIGV4_HEADERS ? "header" : "query ";
    if (check_failures != before) {
        check_tests_failed++;
        fprintf(stderr, "FAIL %s %s\n", label, case_name);
    } else {
        printf("ok   %s %s\n", label, case_name);
    }
}

int main(void)
{
    const char *suite = getenv("IAMCORE_SIGV4_SUITE");
    if (!suite || !*suite)
        suite = DEFAULT_SUITE;
    size_t count = 0;
    char **cases = is_dir(suite) ? list_cases(suite, &count) : NULL;
    if (!cases) {
        printf("SKIP: AWS SigV4 suite not found at %s\n", suite);
        return CHECK_DONE();
    }
    for (size_t i = 0; i < count; i++) {
        run_case(suite, cases[i], IAM_SIGV4_HEADERS);
        run_case(suite, cases[i], IAM_SIGV4_QUERY);
        free(cases[i]);
    }
    free(cases);
    if (count == 0) { /* an empty suite directory is a broken checkout, not a skip */
        fprintf(stderr, "FAIL no case directories in %s\n", suite);
        check_tests_run++;
        check_tests_failed++;
    }
    return CHECK_DONE();
}
