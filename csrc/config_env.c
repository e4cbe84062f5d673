/*
 * Configuration from the environment, IBM's convention (PROTOCOLS §5): the
 * properties `SERVICE_PROP` of one service from the first source that has any —
 * the credentials file, the environment variables, VCAP_SERVICES — then the
 * auth type and the properties that type requires. The rules are listed in
 * include/iamcore_env.h and docs/environment.md; tests/c/test_config_env.c
 * tests each one.
 */
/* POSIX functions (clock_gettime, strncasecmp, …) under -std=c11. */
#define _GNU_SOURCE
#include "iamcore_env.h"
#include "auth.h" /* iam_vpc_version_valid */
#include "credentials_file.h"
#include "error.h"
#include "json.h"
#include "secret.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

extern char **environ;

#define SERVICE_NAME_MAX 128
#define CREDENTIALS_FILE_NAME "ibm-credentials.env"

/* ---------------------------------------------------------------- properties */

enum prop {
    P_AUTH_TYPE,
    P_APIKEY,
    P_AUTH_URL,
    P_AUTH_DISABLE_SSL,
    P_CLIENT_ID,
    P_CLIENT_SECRET,
    P_SCOPE,
    P_CR_TOKEN_FILENAME,
    P_IAM_PROFILE_NAME,
    P_IAM_PROFILE_ID,
    P_IAM_PROFILE_CRN,
    P_IAM_ACCOUNT_ID,
    P_VPC_IMS_VERSION,
    P_USERNAME,
    P_PASSWORD,
    P_BEARER_TOKEN,
    P_REFRESH_TOKEN,
    P_URL,
    P_DISABLE_SSL,
    P_COUNT,
    P_AUTHTYPE = P_COUNT, /* the alias, kept apart while loading */
    P_SLOTS
};

static const char *const prop_names[P_SLOTS] = {
    [P_AUTH_TYPE] = "AUTH_TYPE",
    [P_APIKEY] = "APIKEY",
    [P_AUTH_URL] = "AUTH_URL",
    [P_AUTH_DISABLE_SSL] = "AUTH_DISABLE_SSL",
    [P_CLIENT_ID] = "CLIENT_ID",
    [P_CLIENT_SECRET] = "CLIENT_SECRET",
    [P_SCOPE] = "SCOPE",
    [P_CR_TOKEN_FILENAME] = "CR_TOKEN_FILENAME",
    [P_IAM_PROFILE_NAME] = "IAM_PROFILE_NAME",
    [P_IAM_PROFILE_ID] = "IAM_PROFILE_ID",
    [P_IAM_PROFILE_CRN] = "IAM_PROFILE_CRN",
    [P_IAM_ACCOUNT_ID] = "IAM_ACCOUNT_ID",
    [P_VPC_IMS_VERSION] = "VPC_IMS_VERSION",
    [P_USERNAME] = "USERNAME",
    [P_PASSWORD] = "PASSWORD",
    [P_BEARER_TOKEN] = "BEARER_TOKEN",
    [P_REFRESH_TOKEN] = "REFRESH_TOKEN",
    [P_URL] = "URL",
    [P_DISABLE_SSL] = "DISABLE_SSL",
    [P_AUTHTYPE] = "AUTHTYPE",
};

/* Values never to appear in an error message. */
static const enum prop secret_props[] = {P_APIKEY, P_CLIENT_SECRET, P_PASSWORD, P_BEARER_TOKEN,
                                         P_REFRESH_TOKEN};

enum auth_type { T_NONE, T_IAM, T_CONTAINER, T_VPC, T_IAM_ASSUME, T_BEARER_TOKEN, T_BASIC,
                 T_NOAUTH, T_COUNT };

static const char *const auth_types[T_COUNT] = {
    [T_IAM] = IAM_ENV_AUTH_IAM,
    [T_CONTAINER] = IAM_ENV_AUTH_CONTAINER,
    [T_VPC] = IAM_ENV_AUTH_VPC,
    [T_IAM_ASSUME] = IAM_ENV_AUTH_IAM_ASSUME,
    [T_BEARER_TOKEN] = IAM_ENV_AUTH_BEARER_TOKEN,
    [T_BASIC] = IAM_ENV_AUTH_BASIC,
    [T_NOAUTH] = IAM_ENV_AUTH_NOAUTH,
};
#define AUTH_TYPE_LIST "iam, container, vpc, iamAssume, bearerToken, basic, noAuth"

struct iam_env_properties {
    char *values[P_COUNT];  /* owned, zeroed on free; NULL: absent          */
    enum auth_type auth_type;
    char *source;           /* "credentials file …", "environment", "VCAP_SERVICES" */
};

/* ---------------------------------------------------------------- loading */

typedef struct loader {
    const char *service;            /* as given                                   */
    char prefix[SERVICE_NAME_MAX + 2]; /* "SERVICE_"                              */
    size_t prefix_len;
    char *values[P_SLOTS];
    int oom;
    enum auth_type implied_type;    /* VCAP_SERVICES: the type its credentials imply */
    char looked[400];               /* where nothing was found, for the error     */
    size_t looked_len;
} loader;

static void note(loader *ld, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void note(loader *ld, const char *fmt, ...)
{
    size_t cap = sizeof ld->looked;
    if (ld->looked_len + 1 >= cap)
        return;
    if (ld->looked_len) {
        int n = snprintf(ld->looked + ld->looked_len, cap - ld->looked_len, "; ");
        ld->looked_len += (size_t)n;
        if (ld->looked_len >= cap) {
            ld->looked_len = cap - 1;
            return;
        }
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(ld->looked + ld->looked_len, cap - ld->looked_len, fmt, ap);
    va_end(ap);
    if (n > 0)
        ld->looked_len = ld->looked_len + (size_t)n < cap ? ld->looked_len + (size_t)n : cap - 1;
}

static void clear_values(char **values, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        iam_secret_free(values[i]);
        values[i] = NULL;
    }
}

static int has_values(const loader *ld)
{
    for (size_t i = 0; i < P_SLOTS; i++)
        if (ld->values[i])
            return 1;
    return 0;
}

/* Store a copy of value (the last one wins). Empty values count as absent. */
static void set_value(loader *ld, int slot, const char *value, size_t len)
{
    if (!len)
        return;
    char *copy = malloc(len + 1);
    if (!copy) {
        ld->oom = 1;
        return;
    }
    memcpy(copy, value, len);
    copy[len] = '\0';
    iam_secret_free(ld->values[slot]);
    ld->values[slot] = copy;
}

/* The slot of key (keylen bytes): the service prefix, then exactly one of the
 * known property names. -1 for any other key. */
static int match_key(const loader *ld, const char *key, size_t keylen)
{
    if (keylen <= ld->prefix_len || memcmp(key, ld->prefix, ld->prefix_len) != 0)
        return -1;
    const char *rest = key + ld->prefix_len;
    size_t rest_len = keylen - ld->prefix_len;
    for (int i = 0; i < P_SLOTS; i++)
        if (strlen(prop_names[i]) == rest_len && memcmp(prop_names[i], rest, rest_len) == 0)
            return i;
    return -1;
}

static int on_file_line(const char *key, const char *value, void *ctx)
{
    loader *ld = ctx;
    int slot = match_key(ld, key, strlen(key));
    if (slot >= 0)
        set_value(ld, slot, value, strlen(value));
    return ld->oom;
}

static char *join_path(const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    size_t nl = strlen(name);
    char *p = malloc(dl + 1 + nl + 1);
    if (!p)
        return NULL;
    memcpy(p, dir, dl);
    size_t at = dl;
    if (!(dl == 1 && dir[0] == '/'))
        p[at++] = '/';
    memcpy(p + at, name, nl + 1);
    return p;
}

static const char *nonempty_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* Source 1. On success with properties, *source is set. */
static int load_file(loader *ld, char **source, iam_error *err)
{
    char *paths[2] = {NULL, NULL};
    size_t count = 0;
    const char *given = nonempty_env("IBM_CREDENTIALS_FILE");
    if (given) {
        paths[count++] = iam_strdup(given);
    } else {
        char cwd[PATH_MAX];
        paths[count++] = getcwd(cwd, sizeof cwd) ? join_path(cwd, CREDENTIALS_FILE_NAME)
                                                 : iam_strdup("./" CREDENTIALS_FILE_NAME);
        const char *home = nonempty_env("HOME");
        if (home)
            paths[count++] = join_path(home, CREDENTIALS_FILE_NAME);
    }
    int rc = IAM_OK;
    for (size_t i = 0; i < count; i++)
        if (!paths[i])
            rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
    int found = 0;
    for (size_t i = 0; rc == IAM_OK && i < count; i++) {
        iam_buf text;
        int exists;
        rc = iam_credentials_file_read(paths[i], &text, &exists, err);
        if (rc != IAM_OK)
            break;
        if (!exists) {
            note(ld, "%s%s (not found)", given ? "IBM_CREDENTIALS_FILE " : "", paths[i]);
            continue;
        }
        /* The first file that exists is the credentials file, with the service
         * in it or not. */
        found = 1;
        if (text.data)
            iam_credentials_parse(text.data, text.len, on_file_line, ld);
        iam_buf_free(&text);
        if (ld->oom) {
            rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
        } else if (has_values(ld)) {
            size_t n = strlen("credentials file ") + strlen(paths[i]) + 1;
            *source = malloc(n);
            if (*source)
                snprintf(*source, n, "credentials file %s", paths[i]);
            else
                rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
        } else {
            note(ld, "credentials file %s (no %s* keys)", paths[i], ld->prefix);
        }
        break;
    }
    if (rc == IAM_OK && !found && !given && count == 1)
        note(ld, "$HOME/" CREDENTIALS_FILE_NAME " (HOME is not set)");
    for (size_t i = 0; i < count; i++)
        free(paths[i]);
    return rc;
}

/* Source 2: every variable of environ, matched exactly (no getenv guesses). */
static int load_environment(loader *ld, iam_error *err)
{
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        int slot = match_key(ld, *e, (size_t)(eq - *e));
        if (slot >= 0)
            set_value(ld, slot, eq + 1, strlen(eq + 1));
    }
    if (ld->oom)
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    if (!has_values(ld))
        note(ld, "environment (no %s* variables)", ld->prefix);
    return IAM_OK;
}

static const cJSON *vcap_entry(const cJSON *services, const char *service)
{
    const cJSON *list, *entry;
    cJSON_ArrayForEach(list, services) {
        if (!cJSON_IsArray(list))
            continue;
        cJSON_ArrayForEach(entry, list) {
            const char *name = iam_json_string(entry, "name");
            if (name && strcmp(name, service) == 0)
                return entry;
        }
    }
    list = cJSON_GetObjectItemCaseSensitive(services, service);
    if (cJSON_IsArray(list) && cJSON_IsObject(cJSON_GetArrayItem(list, 0)))
        return cJSON_GetArrayItem(list, 0);
    return NULL;
}

static void vcap_value(loader *ld, int slot, const cJSON *credentials, const char *name)
{
    const char *v = iam_json_string(credentials, name);
    if (v && !ld->values[slot])
        set_value(ld, slot, v, strlen(v));
}

/* Source 3. */
static int load_vcap(loader *ld, iam_error *err)
{
    const char *text = nonempty_env("VCAP_SERVICES");
    if (!text) {
        note(ld, "VCAP_SERVICES (not set)");
        return IAM_OK;
    }
    cJSON *services = iam_json_parse(text, strlen(text));
    if (!cJSON_IsObject(services)) {
        int parsed = services != NULL;
        iam_json_free(services);
        return iam_error_set(err, IAM_E_CONFIG, parsed ? "VCAP_SERVICES is not a JSON object"
                                                       : "VCAP_SERVICES is not valid JSON");
    }
    const cJSON *entry = vcap_entry(services, ld->service);
    const cJSON *credentials = cJSON_GetObjectItemCaseSensitive(entry, "credentials");
    if (!entry) {
        note(ld, "VCAP_SERVICES (no entry named \"%s\" and no list under that key)", ld->service);
    } else if (!cJSON_IsObject(credentials)) {
        note(ld, "VCAP_SERVICES (its entry for \"%s\" has no credentials)", ld->service);
    } else {
        vcap_value(ld, P_APIKEY, credentials, "apikey");
        vcap_value(ld, P_APIKEY, credentials, "iam_apikey");
        vcap_value(ld, P_USERNAME, credentials, "username");
        vcap_value(ld, P_PASSWORD, credentials, "password");
        vcap_value(ld, P_URL, credentials, "url");
        if (ld->values[P_APIKEY])
            ld->implied_type = T_IAM;
        else if (ld->values[P_USERNAME] || ld->values[P_PASSWORD])
            ld->implied_type = T_BASIC;
        else
            ld->implied_type = T_IAM;
        if (!has_values(ld))
            note(ld, "VCAP_SERVICES (the credentials for \"%s\" have no apikey, iam_apikey, "
                     "username, password or url)", ld->service);
    }
    iam_json_free(services);
    if (ld->oom)
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    return IAM_OK;
}

/* ---------------------------------------------------------------- checking */

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* s without surrounding spaces and tabs compared case-insensitively to word. */
static int equals_trimmed_nocase(const char *s, const char *word)
{
    while (is_blank(*s))
        s++;
    size_t n = strlen(s);
    while (n && is_blank(s[n - 1]))
        n--;
    return n == strlen(word) && strncasecmp(s, word, n) == 0;
}

static enum auth_type canonical_type(const char *value)
{
    for (int i = T_NONE + 1; i < T_COUNT; i++)
        if (equals_trimmed_nocase(value, auth_types[i]))
            return (enum auth_type)i;
    return T_NONE;
}

/* AUTH_TYPE is no secret, but a key pasted into the wrong line would be: show
 * the value only when it is short and printable, like a type name. */
static void shown_type(char *out, size_t cap, const char *value)
{
    size_t n = strlen(value);
    int printable = 1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)value[i] < 32 || (unsigned char)value[i] >= 127)
            printable = 0;
    if (printable && n <= 32)
        snprintf(out, cap, "\"%s\"", value);
    else
        snprintf(out, cap, "(a value of %zu bytes, not shown)", n);
}

typedef struct checker {
    char *const *v;
    char where[512];  /* "service "x" from <source> (keys X_*)" */
    enum auth_type type;
    int defaulted;    /* no AUTH_TYPE and no APIKEY: container by default */
} checker;

static int missing(const checker *c, iam_error *err, const char *what)
{
    return iam_error_set(err, IAM_E_CONFIG, "%s: auth type %s%s needs %s", c->where,
                         auth_types[c->type],
                         c->defaulted ? " (the default without AUTH_TYPE and APIKEY)" : "",
                         what);
}

static int check_client_pair(const checker *c, iam_error *err)
{
    if (c->v[P_CLIENT_ID] && !c->v[P_CLIENT_SECRET])
        return iam_error_set(err, IAM_E_CONFIG, "%s: CLIENT_ID is set but CLIENT_SECRET is not",
                             c->where);
    if (!c->v[P_CLIENT_ID] && c->v[P_CLIENT_SECRET])
        return iam_error_set(err, IAM_E_CONFIG, "%s: CLIENT_SECRET is set but CLIENT_ID is not",
                             c->where);
    return IAM_OK;
}

/* Values the authenticators would refuse, reported with the property's name. */
static int check_values(const checker *c, iam_error *err)
{
    static const enum prop no_edges[] = {P_APIKEY, P_REFRESH_TOKEN, P_CLIENT_ID, P_CLIENT_SECRET,
                                         P_USERNAME, P_PASSWORD};
    char *const *v = c->v;
    for (size_t i = 0; i < sizeof no_edges / sizeof no_edges[0]; i++) {
        const char *s = v[no_edges[i]];
        size_t n = s ? strlen(s) : 0;
        if (n && (strchr("{}\"", s[0]) || strchr("{}\"", s[n - 1])))
            return iam_error_set(err, IAM_E_CONFIG, "%s: %s must not start or end with a curly "
                                 "bracket or a quote", c->where, prop_names[no_edges[i]]);
    }
    const char *url = v[P_AUTH_URL];
    if (url && ((strncasecmp(url, "https://", 8) != 0 && strncasecmp(url, "http://", 7) != 0) ||
                strpbrk(url, " \r\n\t")))
        return iam_error_set(err, IAM_E_CONFIG,
                             "%s: AUTH_URL must start with https:// or http:// and contain no "
                             "white space", c->where);
    if (c->type == T_VPC && v[P_VPC_IMS_VERSION] && !iam_vpc_version_valid(v[P_VPC_IMS_VERSION]))
        return iam_error_set(err, IAM_E_CONFIG, "%s: VPC_IMS_VERSION must be a date YYYY-MM-DD, "
                             IAM_VPC_DEFAULT_VERSION " or later", c->where);
    if (c->type == T_BEARER_TOKEN && strpbrk(v[P_BEARER_TOKEN], "\r\n"))
        return iam_error_set(err, IAM_E_CONFIG, "%s: BEARER_TOKEN must not contain a line break",
                             c->where);
    if (c->type == T_BASIC && strchr(v[P_USERNAME], ':'))
        return iam_error_set(err, IAM_E_CONFIG, "%s: USERNAME must not contain a colon (':' "
                             "separates it from the password in Basic authorization)", c->where);
    return IAM_OK;
}

static int check_required(const checker *c, iam_error *err)
{
    char *const *v = c->v;
    switch (c->type) {
    case T_IAM:
        if (!v[P_APIKEY] && !v[P_REFRESH_TOKEN])
            return missing(c, err, "APIKEY (or REFRESH_TOKEN)");
        /* IAM's refresh grant needs the client that obtained the token
         * (go-sdk-core documents this but does not check it). */
        if (!v[P_APIKEY] && !v[P_CLIENT_ID])
            return missing(c, err, "CLIENT_ID with REFRESH_TOKEN (and CLIENT_SECRET)");
        if (!v[P_APIKEY] && !v[P_CLIENT_SECRET])
            return missing(c, err, "CLIENT_SECRET with REFRESH_TOKEN");
        return check_client_pair(c, err);
    case T_CONTAINER:
        if (!v[P_IAM_PROFILE_NAME] && !v[P_IAM_PROFILE_ID] && !v[P_IAM_PROFILE_CRN])
            return missing(c, err, "IAM_PROFILE_NAME, IAM_PROFILE_ID or IAM_PROFILE_CRN");
        return check_client_pair(c, err);
    case T_VPC:
        if (v[P_IAM_PROFILE_CRN] && v[P_IAM_PROFILE_ID])
            return iam_error_set(err, IAM_E_CONFIG,
                                 "%s: auth type vpc takes IAM_PROFILE_CRN or IAM_PROFILE_ID, "
                                 "not both", c->where);
        if (v[P_IAM_PROFILE_NAME])
            return iam_error_set(err, IAM_E_CONFIG,
                                 "%s: auth type vpc takes IAM_PROFILE_CRN or IAM_PROFILE_ID, "
                                 "not IAM_PROFILE_NAME", c->where);
        return IAM_OK;
    case T_IAM_ASSUME: {
        if (!v[P_APIKEY])
            return missing(c, err, "APIKEY");
        int given = !!v[P_IAM_PROFILE_CRN] + !!v[P_IAM_PROFILE_ID] + !!v[P_IAM_PROFILE_NAME];
        if (given == 0)
            return missing(c, err, "one of IAM_PROFILE_CRN, IAM_PROFILE_ID or "
                                   "IAM_PROFILE_NAME (with IAM_ACCOUNT_ID)");
        if (given > 1)
            return iam_error_set(err, IAM_E_CONFIG,
                                 "%s: auth type iamAssume takes exactly one of IAM_PROFILE_CRN, "
                                 "IAM_PROFILE_ID or IAM_PROFILE_NAME", c->where);
        if (v[P_IAM_PROFILE_NAME] && !v[P_IAM_ACCOUNT_ID])
            return missing(c, err, "IAM_ACCOUNT_ID with IAM_PROFILE_NAME");
        if (!v[P_IAM_PROFILE_NAME] && v[P_IAM_ACCOUNT_ID])
            return iam_error_set(err, IAM_E_CONFIG, "%s: auth type iamAssume takes "
                                 "IAM_ACCOUNT_ID only with IAM_PROFILE_NAME", c->where);
        return check_client_pair(c, err);
    }
    case T_BEARER_TOKEN:
        if (!v[P_BEARER_TOKEN])
            return missing(c, err, "BEARER_TOKEN");
        return IAM_OK;
    case T_BASIC:
        if (!v[P_USERNAME] && !v[P_PASSWORD])
            return missing(c, err, "USERNAME and PASSWORD");
        if (!v[P_USERNAME])
            return missing(c, err, "USERNAME");
        if (!v[P_PASSWORD])
            return missing(c, err, "PASSWORD");
        return IAM_OK;
    default: /* noAuth */
        return IAM_OK;
    }
}

/* The auth type of the loaded values, and the properties it requires. */
static int resolve_type(const loader *ld, const char *source, enum auth_type *type,
                        iam_error *err)
{
    checker c = {.v = ld->values};
    if (ld->implied_type) /* VCAP_SERVICES: its keys are not SERVICE_PROP */
        snprintf(c.where, sizeof c.where, "service \"%s\" from %s", ld->service, source);
    else
        snprintf(c.where, sizeof c.where, "service \"%s\" from %s (keys %s*)", ld->service,
                 source, ld->prefix);

    const char *given = ld->values[P_AUTH_TYPE];
    if (given) {
        c.type = canonical_type(given);
        if (c.type == T_NONE) {
            char shown[64];
            shown_type(shown, sizeof shown, given);
            return iam_error_set(err, IAM_E_CONFIG,
                                 "%s: unknown AUTH_TYPE %s; the known types are " AUTH_TYPE_LIST,
                                 c.where, shown);
        }
    } else if (ld->implied_type) {
        c.type = ld->implied_type;
    } else {
        c.type = ld->values[P_APIKEY] ? T_IAM : T_CONTAINER;
        c.defaulted = c.type == T_CONTAINER;
    }
    *type = c.type;
    int rc = check_required(&c, err);
    return rc == IAM_OK ? check_values(&c, err) : rc;
}

static void make_prefix(loader *ld, const char *service)
{
    size_t n = strlen(service);
    for (size_t i = 0; i < n; i++) {
        char ch = service[i];
        if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        else if (ch == '-' || ch == ' ')
            ch = '_';
        ld->prefix[i] = ch;
    }
    ld->prefix[n] = '_';
    ld->prefix[n + 1] = '\0';
    ld->prefix_len = n + 1;
}

iam_status iam_env_properties_load(iam_env_properties **out, const char *service_name,
                                   iam_error *err)
{
    if (!out)
        return iam_error_set(err, IAM_E_CONFIG, "no place for the result (out is NULL)");
    *out = NULL;
    if (!service_name || !*service_name)
        return iam_error_set(err, IAM_E_CONFIG, "a service name is required");
    if (strlen(service_name) > SERVICE_NAME_MAX)
        return iam_error_set(err, IAM_E_CONFIG, "the service name is longer than %d bytes",
                             SERVICE_NAME_MAX);

    loader *ld = calloc(1, sizeof *ld);
    if (!ld)
        return iam_error_set(err, IAM_E_NOMEM, "out of memory");
    ld->service = service_name;
    make_prefix(ld, service_name);

    char *source = NULL;
    int rc = load_file(ld, &source, err);
    if (rc == IAM_OK && !source) {
        rc = load_environment(ld, err);
        if (rc == IAM_OK && has_values(ld) && !(source = iam_strdup("environment")))
            rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
    }
    if (rc == IAM_OK && !source) {
        rc = load_vcap(ld, err);
        if (rc == IAM_OK && has_values(ld) && !(source = iam_strdup("VCAP_SERVICES")))
            rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
    }
    if (rc == IAM_OK && !source)
        rc = iam_error_set(err, IAM_E_CONFIG,
                           "no configuration found for service \"%s\" (looked in: %s)",
                           service_name, ld->looked);

    /* AUTHTYPE is AUTH_TYPE's other spelling; AUTH_TYPE wins. */
    if (rc == IAM_OK && !ld->values[P_AUTH_TYPE]) {
        ld->values[P_AUTH_TYPE] = ld->values[P_AUTHTYPE];
        ld->values[P_AUTHTYPE] = NULL;
    }
    enum auth_type type = T_NONE;
    if (rc == IAM_OK)
        rc = resolve_type(ld, source, &type, err);

    iam_env_properties *p = NULL;
    if (rc == IAM_OK && !(p = calloc(1, sizeof *p)))
        rc = iam_error_set(err, IAM_E_NOMEM, "out of memory");
    if (rc == IAM_OK) {
        memcpy(p->values, ld->values, sizeof p->values);
        memset(ld->values, 0, sizeof p->values);
        p->auth_type = type;
        p->source = source;
        source = NULL;
        *out = p;
    } else {
        /* No message above prints a secret; this makes sure of it. */
        for (size_t i = 0; i < sizeof secret_props / sizeof secret_props[0]; i++)
            iam_error_redact(err, ld->values[secret_props[i]]);
    }
    clear_values(ld->values, P_SLOTS);
    free(source);
    free(ld);
    return rc;
}

/* ---------------------------------------------------------------- reading */

static int prop_index(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "AUTHTYPE") == 0)
        return P_AUTH_TYPE;
    for (int i = 0; i < P_COUNT; i++)
        if (strcmp(name, prop_names[i]) == 0)
            return i;
    return -1;
}

const char *iam_env_property(const iam_env_properties *p, const char *name)
{
    int i = prop_index(name);
    return p && i >= 0 ? p->values[i] : NULL;
}

int iam_env_property_bool(const iam_env_properties *p, const char *name)
{
    const char *v = iam_env_property(p, name);
    return v && equals_trimmed_nocase(v, "true");
}

const char *iam_env_auth_type(const iam_env_properties *p)
{
    return p ? auth_types[p->auth_type] : NULL;
}

const char *iam_env_source(const iam_env_properties *p)
{
    return p ? p->source : NULL;
}

void iam_env_properties_free(iam_env_properties *p)
{
    if (!p)
        return;
    clear_values(p->values, P_COUNT);
    free(p->source);
    iam_wipe(p, sizeof *p);
    free(p);
}

iam_status iam_env_fill_config(const iam_env_properties *p, iam_config *cfg, iam_auth_type *type,
                               iam_error *err)
{
    if (!p || !cfg)
        return iam_error_set(err, IAM_E_CONFIG, "no properties or no iam_config given");
    if (cfg->version < IAM_CONFIG_VERSION_MIN || cfg->version > IAM_CONFIG_VERSION)
        return iam_error_set(err, IAM_E_CONFIG,
                             "unsupported iam_config version %u (use IAM_CONFIG_INIT)",
                             cfg->version);
    char *const *v = p->values;
    iam_auth_type t;
    switch (p->auth_type) {
    case T_IAM: t = IAM_AUTH_IAM; break;
    case T_CONTAINER: t = IAM_AUTH_CONTAINER; break;
    case T_VPC: t = IAM_AUTH_VPC; break;
    case T_IAM_ASSUME: t = IAM_AUTH_IAM_ASSUME; break;
    default:
        return iam_error_set(err, IAM_E_CONFIG,
                             "auth type %s has no iamcore token authenticator (iam, container, "
                             "vpc and iamAssume have); read its properties with iam_env_property",
                             auth_types[p->auth_type]);
    }
    int iam = t == IAM_AUTH_IAM, container = t == IAM_AUTH_CONTAINER, vpc = t == IAM_AUTH_VPC,
        assume = t == IAM_AUTH_IAM_ASSUME;
    cfg->apikey = iam || assume ? v[P_APIKEY] : NULL;
    cfg->refresh_token = iam && !v[P_APIKEY] ? v[P_REFRESH_TOKEN] : NULL; /* APIKEY wins */
    cfg->iam_profile_name = container || assume ? v[P_IAM_PROFILE_NAME] : NULL;
    cfg->iam_profile_id = iam ? NULL : v[P_IAM_PROFILE_ID];
    cfg->iam_profile_crn = iam ? NULL : v[P_IAM_PROFILE_CRN];
    cfg->iam_account_id = assume ? v[P_IAM_ACCOUNT_ID] : NULL;
    cfg->cr_token_filename = container ? v[P_CR_TOKEN_FILENAME] : NULL;
    cfg->vpc_ims_version = vpc ? v[P_VPC_IMS_VERSION] : NULL;
    cfg->url = v[P_AUTH_URL];
    cfg->client_id = vpc ? NULL : v[P_CLIENT_ID];
    cfg->client_secret = vpc ? NULL : v[P_CLIENT_SECRET];
    cfg->scope = vpc ? NULL : v[P_SCOPE];
    cfg->disable_ssl_verification = iam_env_property_bool(p, "AUTH_DISABLE_SSL");
    if (type)
        *type = t;
    return IAM_OK;
}

iam_status iam_env_auth_new(iam_auth **out, const iam_env_properties *p, const iam_config *base,
                            iam_error *err)
{
    if (!out)
        return iam_error_set(err, IAM_E_CONFIG, "no place for the result (out is NULL)");
    *out = NULL;
    iam_config cfg = IAM_CONFIG_INIT;
    if (base && base->version >= 2)
        cfg = *base;
    else if (base) /* an older, shorter struct: its fields only */
        memcpy(&cfg, base, offsetof(iam_config, shared_cache));
    iam_auth_type type;
    int rc = iam_env_fill_config(p, &cfg, &type, err);
    if (rc != IAM_OK)
        return rc;
    rc = iam_auth_new(out, type, &cfg, err);
    if (rc == IAM_E_CONFIG && err) {
        /* Say where the configuration came from; the message never holds a value. */
        char reason[sizeof err->message];
        memcpy(reason, err->message, sizeof reason);
        iam_error_set(err, IAM_E_CONFIG, "service configuration from %s: %s", p->source, reason);
    }
    return rc;
}
