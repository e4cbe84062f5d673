/*
 * iamcore._native — the CPython glue around the iamcore C core.
 *
 * One type, _native.Authenticator, wraps one `iam_auth *`. The public classes
 * (iamcore.IAMAuthenticator, ContainerAuthenticator, VPCInstanceAuthenticator,
 * IAMAssumeAuthenticator) subclass it in Python for their signatures and
 * documentation; every method stays in C. from_environment() builds any of them
 * (or the pure-Python bearer, basic and no-auth authenticators) from the
 * environment configuration the core reads (iamcore_env.h).
 * The AWS types and functions are in _native_aws.c (same module; the helpers
 * both files share are declared in _native.h).
 *
 * Rules kept here:
 *   - No secret (API key, client secret, token file content) is ever stored in
 *     a Python object owned by this module; iam_auth_new copies the config.
 *     The only secret-bearing objects are the cached token strings, which the
 *     caller receives anyway.
 *   - Validation and defaults live in the core. The glue converts types, maps
 *     "None" to NULL/0, and checks only what the core cannot see (NUL bytes in
 *     Python strings, the unit conversion of `timeout`).
 *   - The GIL is released around every call that may block.
 *   - Fast path: token() and authenticate() call iam_auth_peek(); when it
 *     returns the generation already converted, the cached str objects are used
 *     without any allocation.
 */
#include "_native.h"
#include "iamcore_env.h"

#include <structmember.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#if defined(__GNUC__)
#define IAMPY_EXPORT __attribute__((visibility("default")))
#else
#define IAMPY_EXPORT
#endif

/* ---------------------------------------------------------------- module state */

/* Exception classes from iamcore._errors, indexed by -iam_status (1..9). */
#define N_STATUS 10
static PyObject *error_class[N_STATUS];
static PyObject *error_base; /* iamcore.Error */
static PyObject *insecure_tls_warning; /* iamcore.InsecureTLSWarning */

static PyObject *str_headers;       /* "headers"       */
static PyObject *str_authorization; /* "Authorization" */
#define N_AUTH_TYPES (IAM_AUTH_IAM_ASSUME + 1)
static PyObject *str_type_name[N_AUTH_TYPES]; /* indexed by iam_auth_type */

static char user_agent_extra[64]; /* "python/3.11.7" */

/* ---------------------------------------------------------------- errors */

/* A text field of iam_error as str, or None when empty. Never fails on bad
 * UTF-8 (a truncated field may end inside a character). */
static PyObject *text_or_none(const char *text)
{
    if (text[0] == '\0')
        Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "replace");
}

static int set_kw(PyObject *kw, const char *name, PyObject *value)
{
    if (value == NULL)
        return -1;
    int rc = PyDict_SetItemString(kw, name, value);
    Py_DECREF(value);
    return rc;
}

/* Raise the Python exception for an iam_error. Always returns NULL. */
PyObject *iampy_raise_error(const iam_error *e)
{
    int code = e->code;
    const char *message = e->message[0] ? e->message : iam_status_name(code);

    if (code == IAM_E_NOMEM) {
        PyErr_SetString(PyExc_MemoryError, message);
        return NULL;
    }
    PyObject *cls = NULL;
    if (code < 0 && -code < N_STATUS)
        cls = error_class[-code];
    if (cls == NULL)
        cls = error_base;
    if (cls == NULL) { /* module not initialised: cannot happen after import */
        PyErr_SetString(PyExc_RuntimeError, message);
        return NULL;
    }

    PyObject *args = NULL, *kw = NULL, *exc = NULL;
    PyObject *msg = PyUnicode_DecodeUTF8(message, (Py_ssize_t)strlen(message), "replace");
    if (msg == NULL)
        return NULL;
    args = PyTuple_Pack(1, msg);
    Py_DECREF(msg);
    if (args == NULL)
        return NULL;
    kw = PyDict_New();
    if (kw == NULL)
        goto done;
    if (set_kw(kw, "code", PyUnicode_FromString(iam_status_name(code))) < 0)
        goto done;
    if (e->http_status > 0) {
        if (set_kw(kw, "status", PyLong_FromLong(e->http_status)) < 0)
            goto done;
    }
    if (set_kw(kw, "error_code", text_or_none(e->error_code)) < 0 ||
        set_kw(kw, "error_message", text_or_none(e->error_message)) < 0 ||
        set_kw(kw, "error_details", text_or_none(e->error_details)) < 0 ||
        set_kw(kw, "request_id", text_or_none(e->request_id)) < 0 ||
        set_kw(kw, "transaction_id", text_or_none(e->transaction_id)) < 0 ||
        set_kw(kw, "attempts", PyLong_FromLong(e->attempts)) < 0)
        goto done;
    exc = PyObject_Call(cls, args, kw);
    if (exc != NULL)
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
done:
    Py_XDECREF(exc);
    Py_XDECREF(kw);
    Py_XDECREF(args);
    return NULL;
}

/* A ConfigError raised by the glue itself. Always returns -1. */
int iampy_config_error(const char *fmt, const char *option)
{
    iam_error e;
    iam_error_clear(&e);
    e.code = IAM_E_CONFIG;
    snprintf(e.message, sizeof e.message, fmt, option);
    iampy_raise_error(&e);
    return -1;
}

/* ---------------------------------------------------------------- argument conversion */

/* A str option: None → NULL. The returned pointer is borrowed from `obj`.
 * Errors never mention the value (it may be a secret). */
int iampy_conv_str(PyObject *obj, const char *option, int allow_none, const char **out)
{
    *out = NULL;
    if (obj == NULL || obj == Py_None) {
        if (allow_none)
            return 0;
        PyErr_Format(PyExc_TypeError, "%s must be a str, not None", option);
        return -1;
    }
    if (!PyUnicode_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be a str or None, not %.100s", option,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    Py_ssize_t n = 0;
    const char *s = PyUnicode_AsUTF8AndSize(obj, &n);
    if (s == NULL) {
        /* A UnicodeEncodeError would hold the whole string in its .object
         * attribute: replace it. */
        PyErr_Clear();
        return iampy_config_error("%s is not valid text (it contains lone surrogates)", option);
    }
    if (strlen(s) != (size_t)n)
        return iampy_config_error("%s must not contain NUL characters", option);
    *out = s;
    return 0;
}

/* A duration in seconds (int or float) → milliseconds; None → 0 ("default"). */
static int conv_seconds(PyObject *obj, const char *option, long *out_ms)
{
    *out_ms = 0;
    if (obj == NULL || obj == Py_None)
        return 0;
    if (PyBool_Check(obj) || !(PyFloat_Check(obj) || PyLong_Check(obj) || PyNumber_Check(obj))) {
        PyErr_Format(PyExc_TypeError, "%s must be a number of seconds or None, not %.100s",
                     option, Py_TYPE(obj)->tp_name);
        return -1;
    }
    double seconds = PyFloat_AsDouble(obj);
    if (seconds == -1.0 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_TypeError))
            return -1;
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s must be a number of seconds or None, not %.100s",
                     option, Py_TYPE(obj)->tp_name);
        return -1;
    }
    if (!(seconds > 0.0) || isinf(seconds))
        return iampy_config_error("%s must be a positive, finite number of seconds", option);
    double ms = ceil(seconds * 1000.0);
    if (ms > 2147483647.0)
        return iampy_config_error("%s is too large (at most 2147483 seconds)", option);
    *out_ms = (long)ms;
    return 0;
}

/* max_retries: None → 0 (core default), 0 → -1 (no retries), n > 0 → n. */
static int conv_retries(PyObject *obj, int *out)
{
    *out = 0;
    if (obj == NULL || obj == Py_None)
        return 0;
    if (PyBool_Check(obj) || !PyLong_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "max_retries must be an int or None, not %.100s",
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    int overflow = 0;
    long n = PyLong_AsLongAndOverflow(obj, &overflow);
    if (n == -1 && PyErr_Occurred())
        return -1;
    if (overflow < 0 || n < 0)
        return iampy_config_error("%s must be zero or a positive int", "max_retries");
    if (overflow > 0 || n > 100)
        return iampy_config_error("%s must be at most 100", "max_retries");
    *out = n == 0 ? -1 : (int)n;
    return 0;
}

int iampy_conv_headers(PyObject *obj, int allow_pairs, iam_header **out, size_t *count,
                       PyObject **keep)
{
    *out = NULL;
    *count = 0;
    *keep = NULL;
    if (obj == NULL || obj == Py_None)
        return 0;
    PyObject *seq = NULL;
    if (PyDict_Check(obj) || PyObject_HasAttrString(obj, "items")) {
        PyObject *items = PyMapping_Items(obj);
        if (items != NULL) {
            seq = PySequence_Fast(items, "");
            Py_DECREF(items);
        }
    } else if (allow_pairs && !PyUnicode_Check(obj) && !PyBytes_Check(obj)) {
        seq = PySequence_Fast(obj, "");
    }
    if (seq == NULL) {
        if (PyErr_Occurred() && !PyErr_ExceptionMatches(PyExc_TypeError) &&
            !PyErr_ExceptionMatches(PyExc_AttributeError))
            return -1;
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     allow_pairs ? "headers must be a mapping or an iterable of (name, value) "
                                   "pairs of str, or None, not %.100s"
                                 : "headers must be a mapping of str to str or None, not %.100s",
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    iam_header *h = PyMem_Calloc((size_t)(n ? n : 1), sizeof *h);
    if (h == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
            PyErr_SetString(PyExc_TypeError, "headers must yield (name, value) pairs");
            goto fail;
        }
        if (iampy_conv_str(PyTuple_GET_ITEM(item, 0), "a header name", 0, &h[i].name) < 0 ||
            iampy_conv_str(PyTuple_GET_ITEM(item, 1), "a header value", 0, &h[i].value) < 0)
            goto fail;
    }
    *out = h;
    *count = (size_t)n;
    *keep = seq;
    return 0;
fail:
    PyMem_Free(h);
    Py_DECREF(seq);
    return -1;
}

/* ---------------------------------------------------------------- the type */

typedef struct {
    PyObject_HEAD
    iam_auth *auth;
    iam_auth_type type;
    uint64_t generation;   /* generation of the cached strings, 0 = none */
    PyObject *token;       /* str: the access token                      */
    PyObject *bearer;      /* str: "Bearer <token>"                      */
    PyObject *display;     /* str: non-secret options for repr()         */
    PyObject *weakreflist;
} AuthObject;

int iampy_not_initialised(PyObject *self)
{
    PyErr_Format(PyExc_RuntimeError,
                 "%.100s object is not initialised (its __init__ was not called or failed)",
                 Py_TYPE(self)->tp_name);
    return -1;
}

static int check_ready(AuthObject *self)
{
    return self->auth != NULL ? 0 : iampy_not_initialised((PyObject *)self);
}

static void drop_cache(AuthObject *self)
{
    self->generation = 0;
    Py_CLEAR(self->token);
    Py_CLEAR(self->bearer);
}

/* Slow path of ensure_token: get a token from the core (blocking, GIL released)
 * and convert it unless it is the generation already converted. */
static int load_token(AuthObject *self)
{
    iam_token *tok = NULL;
    iam_error err;
    iam_status st;
    iam_auth *auth = self->auth;
    Py_BEGIN_ALLOW_THREADS
    iam_error_clear(&err);
    st = iam_auth_get_token(auth, &tok, &err);
    Py_END_ALLOW_THREADS
    if (st != IAM_OK) {
        iam_token_release(tok);
        iampy_raise_error(&err);
        return -1;
    }
    if (tok == NULL) {
        iam_error_clear(&err);
        err.code = IAM_E_INTERNAL;
        snprintf(err.message, sizeof err.message, "iam_auth_get_token returned no token");
        iampy_raise_error(&err);
        return -1;
    }
    uint64_t tgen = iam_token_generation(tok);
    if (tgen == self->generation && self->token != NULL && self->bearer != NULL) {
        /* Another thread converted it while this one waited. */
        iam_token_release(tok);
        return 0;
    }

    const char *value = iam_token_value(tok);
    size_t len = iam_token_length(tok);
    PyObject *token = PyUnicode_DecodeUTF8(value, (Py_ssize_t)len, "strict");
    if (token == NULL) {
        /* A UnicodeDecodeError would hold the token bytes in .object. */
        PyErr_Clear();
        iam_token_release(tok);
        iam_error_clear(&err);
        err.code = IAM_E_PARSE;
        snprintf(err.message, sizeof err.message, "the access token is not valid UTF-8 text");
        iampy_raise_error(&err);
        return -1;
    }
    iam_token_release(tok);
    PyObject *bearer = PyUnicode_FromFormat("Bearer %U", token);
    if (bearer == NULL) {
        Py_DECREF(token);
        return -1;
    }
    Py_XSETREF(self->token, token);
    Py_XSETREF(self->bearer, bearer);
    self->generation = tgen;
    return 0;
}

/* Make self->token / self->bearer hold a valid token. The fast path does no
 * allocation: one peek, one comparison. */
static inline int ensure_token(AuthObject *self)
{
    if (self->auth == NULL)
        return check_ready(self);
    uint64_t gen = iam_auth_peek(self->auth, NULL);
    if (gen != 0 && gen == self->generation)
        return 0;
    return load_token(self);
}

PyDoc_STRVAR(token_doc,
"token($self, /)\n--\n\n"
"Return a valid access token (a str, without the \"Bearer \" prefix).\n\n"
"A cached token is returned at once. When 80 % of its lifetime has passed a\n"
"refresh starts in the background and the cached token is still returned; no\n"
"caller waits while a valid token exists. Without a valid token one caller\n"
"fetches it and concurrent callers (in any thread) wait for that single\n"
"request and share its result or its error. The GIL is released while waiting.\n\n"
"Raises an iamcore.Error subclass on failure; a failed fetch is not cached.");

static PyObject *Auth_token(AuthObject *self, PyObject *Py_UNUSED(ignored))
{
    if (ensure_token(self) < 0)
        return NULL;
    Py_INCREF(self->token);
    return self->token;
}

PyDoc_STRVAR(cached_token_doc,
"_cached_token($self, /)\n--\n\n"
"The valid cached token, or None when token() would have to wait for a fetch.\n\n"
"Lets an event loop use the cached token without a thread hop and fetch off\n"
"the loop otherwise. Starts a background refresh when one is due, as token().");

/* Never waits for a fetch: after a successful peek the core hands out the cached
 * token at once. (Only a concurrent invalidate(), or the token crossing its
 * expiry margin between the two calls, would turn the second call into a
 * fetch.) */
static PyObject *Auth_cached_token(AuthObject *self, PyObject *Py_UNUSED(ignored))
{
    if (check_ready(self) < 0)
        return NULL;
    uint64_t gen = iam_auth_peek(self->auth, NULL);
    if (gen == 0)
        Py_RETURN_NONE;
    if (gen != self->generation && load_token(self) < 0)
        return NULL;
    Py_INCREF(self->token);
    return self->token;
}

PyDoc_STRVAR(authenticate_doc,
"authenticate($self, request, /)\n--\n\n"
"Add the Authorization header to a request dict, in place.\n\n"
"Sets request[\"headers\"][\"Authorization\"] = \"Bearer <token>\", creating the\n"
"\"headers\" dict when it is missing or None (any mapping is accepted as\n"
"\"headers\"). The token comes from token(); returns None.");

static PyObject *Auth_authenticate(AuthObject *self, PyObject *request)
{
    if (!PyDict_Check(request)) {
        PyErr_Format(PyExc_TypeError, "request must be a dict, not %.100s",
                     Py_TYPE(request)->tp_name);
        return NULL;
    }
    if (ensure_token(self) < 0)
        return NULL;
    /* Own a reference: setting an item may run Python code that replaces the cache. */
    PyObject *bearer = self->bearer;
    Py_INCREF(bearer);

    PyObject *headers;
    int exact = PyDict_CheckExact(request);
    if (exact) {
        headers = PyDict_GetItemWithError(request, str_headers);
        Py_XINCREF(headers);
    } else {
        headers = PyObject_GetItem(request, str_headers);
        if (headers == NULL && PyErr_ExceptionMatches(PyExc_KeyError))
            PyErr_Clear();
    }
    if (headers == NULL && PyErr_Occurred())
        goto fail;
    if (headers == NULL || headers == Py_None) {
        Py_XDECREF(headers);
        headers = PyDict_New();
        if (headers == NULL)
            goto fail;
        if ((exact ? PyDict_SetItem(request, str_headers, headers)
                   : PyObject_SetItem(request, str_headers, headers)) < 0)
            goto fail;
    }
    if ((PyDict_CheckExact(headers) ? PyDict_SetItem(headers, str_authorization, bearer)
                                    : PyObject_SetItem(headers, str_authorization, bearer)) < 0)
        goto fail;
    Py_DECREF(headers);
    Py_DECREF(bearer);
    Py_RETURN_NONE;
fail:
    Py_XDECREF(headers);
    Py_DECREF(bearer);
    return NULL;
}

PyDoc_STRVAR(authentication_type_doc,
"authentication_type($self, /)\n--\n\n"
"The authenticator's type name: \"iam\", \"container\", \"vpc\" or\n"
"\"iamAssume\" (the names IBM's SDK cores use).");

static PyObject *Auth_authentication_type(AuthObject *self, PyObject *Py_UNUSED(ignored))
{
    if (check_ready(self) < 0)
        return NULL;
    PyObject *name = str_type_name[self->type];
    Py_INCREF(name);
    return name;
}

PyDoc_STRVAR(invalidate_doc,
"invalidate($self, /)\n--\n\n"
"Drop the cached token: the next token() or authenticate() fetches a new one.");

static PyObject *Auth_invalidate(AuthObject *self, PyObject *Py_UNUSED(ignored))
{
    if (check_ready(self) < 0)
        return NULL;
    iam_auth *auth = self->auth;
    Py_BEGIN_ALLOW_THREADS
    iam_auth_invalidate(auth);
    Py_END_ALLOW_THREADS
    drop_cache(self);
    Py_RETURN_NONE;
}

PyObject *iampy_refuse_reduce(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    PyErr_Format(PyExc_TypeError,
                 "cannot pickle or copy %.100s objects (they hold credentials); create a new one",
                 Py_TYPE(self)->tp_name);
    return NULL;
}

const char *iampy_short_name(PyObject *self)
{
    const char *name = Py_TYPE(self)->tp_name;
    const char *dot = strrchr(name, '.');
    return dot != NULL ? dot + 1 : name;
}

static PyObject *Auth_repr(AuthObject *self)
{
    const char *name = iampy_short_name((PyObject *)self);
    if (self->display == NULL)
        return PyUnicode_FromFormat("%s(<not initialised>)", name);
    return PyUnicode_FromFormat("%s(%U)", name, self->display);
}

/* Append "name='value'" to parts when value is set. */
static int add_part(PyObject *parts, const char *name, const char *value)
{
    if (value == NULL || *value == '\0')
        return 0;
    PyObject *text = PyUnicode_DecodeUTF8(value, (Py_ssize_t)strlen(value), "replace");
    if (text == NULL)
        return -1;
    PyObject *part = PyUnicode_FromFormat("%s=%R", name, text);
    Py_DECREF(text);
    if (part == NULL)
        return -1;
    int rc = PyList_Append(parts, part);
    Py_DECREF(part);
    return rc;
}

/* "url='…', iam_profile_name='…'" from the non-secret options of cfg. */
static PyObject *make_display(iam_auth_type type, const iam_config *cfg)
{
    PyObject *parts = PyList_New(0);
    if (parts == NULL)
        return NULL;
    int vpc = type == IAM_AUTH_VPC;
    const char *url = cfg->url && *cfg->url ? cfg->url : vpc ? IAM_VPC_DEFAULT_URL : IAM_DEFAULT_URL;
    int rc = add_part(parts, "url", url);
    if (rc == 0 && type != IAM_AUTH_IAM)
        rc = add_part(parts, "iam_profile_name", cfg->iam_profile_name) ||
             add_part(parts, "iam_profile_id", cfg->iam_profile_id) ||
             add_part(parts, "iam_profile_crn", cfg->iam_profile_crn);
    if (rc == 0 && type == IAM_AUTH_IAM_ASSUME)
        rc = add_part(parts, "iam_account_id", cfg->iam_account_id);
    if (rc == 0 && vpc)
        rc = add_part(parts, "vpc_ims_version",
                      cfg->vpc_ims_version ? cfg->vpc_ims_version : IAM_VPC_DEFAULT_VERSION);
    if (rc != 0) {
        Py_DECREF(parts);
        return NULL;
    }
    PyObject *sep = PyUnicode_FromString(", ");
    PyObject *display = sep != NULL ? PyUnicode_Join(sep, parts) : NULL;
    Py_XDECREF(sep);
    Py_DECREF(parts);
    return display;
}

/* The iam_auth_type of a kind name ("iam", …), 0 when unknown. */
static iam_auth_type kind_type(PyObject *kind)
{
    for (int t = IAM_AUTH_IAM; t < N_AUTH_TYPES; t++)
        if (PyUnicode_CompareWithASCIIString(kind, iam_auth_type_name((iam_auth_type)t)) == 0)
            return (iam_auth_type)t;
    return (iam_auth_type)0;
}

/* Create the core object for cfg and make self wrap it. Returns 0 or -1 with
 * an exception set; cfg may hold borrowed secrets, iam_auth_new copies them. */
static int attach(AuthObject *self, iam_auth_type type, const iam_config *cfg,
                  const iam_env_properties *env)
{
    PyObject *display = make_display(type, cfg);
    if (display == NULL)
        return -1;
    iam_auth *auth = NULL;
    iam_error err;
    iam_error_clear(&err);
    iam_status st = env != NULL ? iam_env_auth_new(&auth, env, cfg, &err)
                                : iam_auth_new(&auth, type, cfg, &err);
    if (st != IAM_OK || auth == NULL) {
        iam_auth_free(auth);
        Py_DECREF(display);
        if (st == IAM_OK)
            PyErr_SetString(PyExc_RuntimeError, "iam_auth_new returned no authenticator");
        else
            iampy_raise_error(&err);
        return -1;
    }
    /* Here, not in Python: the environment's AUTH_DISABLE_SSL reaches this too. With
     * the warning made an error, the object is left unset. */
    if (cfg->disable_ssl_verification &&
        PyErr_WarnFormat(insecure_tls_warning, 2, /* the caller of iamcore */
                         "%s: TLS certificate verification is disabled: the token service is "
                         "not authenticated, and anyone on the network path can read the "
                         "credentials and tokens",
                         Py_TYPE(self)->tp_name) < 0) {
        iam_auth_free(auth);
        Py_DECREF(display);
        return -1;
    }
    self->auth = auth;
    self->type = type;
    Py_XSETREF(self->display, display);
    return 0;
}

PyDoc_STRVAR(Auth_doc,
"Authenticator(kind, /, **options)\n--\n\n"
"Native base of iamcore.IAMAuthenticator, ContainerAuthenticator,\n"
"VPCInstanceAuthenticator and IAMAssumeAuthenticator; use those classes. `kind`\n"
"is \"iam\", \"container\", \"vpc\" or \"iamAssume\"; the options are those\n"
"classes' keyword arguments.");

static int Auth_init(AuthObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"kind", "apikey", "refresh_token", "iam_profile_name",
                             "iam_profile_id", "iam_profile_crn", "iam_account_id",
                             "cr_token_filename", "vpc_ims_version", "url", "client_id",
                             "client_secret", "scope", "headers", "disable_ssl_verification",
                             "ca_file", "proxy", "timeout", "connect_timeout", "max_retries",
                             "shared_cache", NULL};
    PyObject *kind = NULL, *apikey = NULL, *refresh_token = NULL,
             *profile[3] = {NULL, NULL, NULL}, *account = NULL, *cr_file = NULL,
             *version = NULL, *url = NULL, *client_id = NULL, *client_secret = NULL,
             *scope = NULL, *headers = NULL, *no_verify = NULL, *ca_file = NULL, *proxy = NULL,
             *timeout = NULL, *connect_timeout = NULL, *max_retries = NULL, *shared_cache = NULL;

    if (!PyArg_ParseTupleAndKeywords(args, kwds, "U|$OOOOOOOOOOOOOOOOOOOO:Authenticator", kwlist,
                                     &kind, &apikey, &refresh_token, &profile[0], &profile[1],
                                     &profile[2], &account, &cr_file, &version, &url, &client_id,
                                     &client_secret, &scope, &headers, &no_verify, &ca_file,
                                     &proxy, &timeout, &connect_timeout, &max_retries,
                                     &shared_cache))
        return -1;

    if (self->auth != NULL) {
        PyErr_Format(PyExc_RuntimeError, "%.100s object is already initialised",
                     Py_TYPE(self)->tp_name);
        return -1;
    }
    iam_auth_type type = kind_type(kind);
    if (type == 0) {
        PyErr_SetString(PyExc_ValueError,
                        "kind must be \"iam\", \"container\", \"vpc\" or \"iamAssume\"");
        return -1;
    }

    iam_config cfg = IAM_CONFIG_INIT;
    iam_header *hdrs = NULL;
    PyObject *keep = NULL;
    int rc = -1;

    if (iampy_conv_str(apikey, "apikey", 1, &cfg.apikey) < 0 ||
        iampy_conv_str(refresh_token, "refresh_token", 1, &cfg.refresh_token) < 0 ||
        iampy_conv_str(profile[0], "iam_profile_name", 1, &cfg.iam_profile_name) < 0 ||
        iampy_conv_str(profile[1], "iam_profile_id", 1, &cfg.iam_profile_id) < 0 ||
        iampy_conv_str(profile[2], "iam_profile_crn", 1, &cfg.iam_profile_crn) < 0 ||
        iampy_conv_str(account, "iam_account_id", 1, &cfg.iam_account_id) < 0 ||
        iampy_conv_str(cr_file, "cr_token_filename", 1, &cfg.cr_token_filename) < 0 ||
        iampy_conv_str(version, "vpc_ims_version", 1, &cfg.vpc_ims_version) < 0 ||
        iampy_conv_str(url, "url", 1, &cfg.url) < 0 ||
        iampy_conv_str(client_id, "client_id", 1, &cfg.client_id) < 0 ||
        iampy_conv_str(client_secret, "client_secret", 1, &cfg.client_secret) < 0 ||
        iampy_conv_str(scope, "scope", 1, &cfg.scope) < 0 ||
        iampy_conv_str(ca_file, "ca_file", 1, &cfg.ca_file) < 0 ||
        iampy_conv_str(proxy, "proxy", 1, &cfg.proxy) < 0 ||
        iampy_conv_str(shared_cache, "shared_cache", 1, &cfg.shared_cache) < 0 ||
        conv_seconds(timeout, "timeout", &cfg.timeout_ms) < 0 ||
        conv_seconds(connect_timeout, "connect_timeout", &cfg.connect_timeout_ms) < 0 ||
        conv_retries(max_retries, &cfg.max_retries) < 0 ||
        iampy_conv_headers(headers, 0, &hdrs, &cfg.header_count, &keep) < 0)
        goto done;
    cfg.headers = hdrs;
    if (no_verify != NULL) {
        int flag = PyObject_IsTrue(no_verify);
        if (flag < 0)
            goto done;
        cfg.disable_ssl_verification = flag;
    }
    cfg.user_agent_extra = user_agent_extra;
    rc = attach(self, type, &cfg, NULL);
done:
    PyMem_Free(hdrs);
    Py_XDECREF(keep);
    return rc;
}

static void Auth_dealloc(AuthObject *self)
{
    if (self->weakreflist != NULL)
        PyObject_ClearWeakRefs((PyObject *)self);
    iam_auth_free(self->auth); /* a background refresh keeps its own reference */
    self->auth = NULL;
    drop_cache(self);
    Py_CLEAR(self->display);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Auth_methods[] = {
    {"token", (PyCFunction)Auth_token, METH_NOARGS, token_doc},
    {"_cached_token", (PyCFunction)Auth_cached_token, METH_NOARGS, cached_token_doc},
    {"authenticate", (PyCFunction)Auth_authenticate, METH_O, authenticate_doc},
    {"authentication_type", (PyCFunction)Auth_authentication_type, METH_NOARGS,
     authentication_type_doc},
    {"invalidate", (PyCFunction)Auth_invalidate, METH_NOARGS, invalidate_doc},
    {"__reduce__", (PyCFunction)iampy_refuse_reduce, METH_NOARGS, NULL},
    {"__reduce_ex__", (PyCFunction)iampy_refuse_reduce, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject AuthType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "iamcore._native.Authenticator",
    .tp_basicsize = sizeof(AuthObject),
    .tp_dealloc = (destructor)Auth_dealloc,
    .tp_repr = (reprfunc)Auth_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = Auth_doc,
    .tp_weaklistoffset = offsetof(AuthObject, weakreflist),
    .tp_methods = Auth_methods,
    .tp_init = (initproc)Auth_init,
    .tp_new = PyType_GenericNew,
};

/* ---------------------------------------------------------------- module */

static PyObject *mod_core_version(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(ignored))
{
    return PyUnicode_FromString(iam_version());
}

/* A property's value as str (None when absent); invalid UTF-8 is a ConfigError
 * naming the property (a UnicodeDecodeError would carry the bytes). */
static PyObject *env_text(const iam_env_properties *p, const char *name)
{
    const char *v = iam_env_property(p, name);
    if (v == NULL)
        Py_RETURN_NONE;
    PyObject *text = PyUnicode_DecodeUTF8(v, (Py_ssize_t)strlen(v), "strict");
    if (text == NULL) {
        PyErr_Clear();
        iampy_config_error("the value of %s is not valid UTF-8 text", name);
    }
    return text;
}

/* cls(*values of the named properties). */
static PyObject *call_with_properties(PyObject *cls, const iam_env_properties *p,
                                      const char *const *names, Py_ssize_t count)
{
    PyObject *args = PyTuple_New(count);
    if (args == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *value = env_text(p, names[i]);
        if (value == NULL) {
            Py_DECREF(args);
            return NULL;
        }
        PyTuple_SET_ITEM(args, i, value);
    }
    PyObject *result = PyObject_Call(cls, args, NULL);
    Py_DECREF(args);
    return result;
}

/* An instance of cls (a subclass of Authenticator) wrapping the core object
 * the configuration describes; its Python __init__ is not run. */
static PyObject *token_authenticator(PyObject *cls, const iam_env_properties *p)
{
    if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &AuthType)) {
        PyErr_SetString(PyExc_TypeError, "the class must derive from _native.Authenticator");
        return NULL;
    }
    iam_config cfg = IAM_CONFIG_INIT;
    cfg.user_agent_extra = user_agent_extra;
    iam_auth_type type;
    iam_error err;
    iam_error_clear(&err);
    if (iam_env_fill_config(p, &cfg, &type, &err) != IAM_OK)
        return iampy_raise_error(&err);
    PyTypeObject *t = (PyTypeObject *)cls;
    PyObject *empty = PyTuple_New(0);
    PyObject *obj = empty != NULL ? t->tp_new(t, empty, NULL) : NULL;
    Py_XDECREF(empty);
    if (obj != NULL && attach((AuthObject *)obj, type, &cfg, p) < 0)
        Py_CLEAR(obj);
    return obj;
}

PyDoc_STRVAR(from_environment_doc,
"from_environment(service_name, classes, /)\n--\n\n"
"The authenticator of a service configured in the environment (the credentials\n"
"file, environment variables or VCAP_SERVICES; see\n"
"iamcore.get_authenticator_from_environment). `classes` maps each auth type\n"
"(\"iam\", \"container\", \"vpc\", \"iamAssume\", \"bearerToken\", \"basic\",\n"
"\"noAuth\") to the class to build. Raises ConfigError naming what is wrong.");

static PyObject *mod_from_environment(PyObject *Py_UNUSED(m), PyObject *args)
{
    PyObject *name_obj, *classes;
    const char *service;
    if (!PyArg_ParseTuple(args, "OO!:from_environment", &name_obj, &PyDict_Type, &classes) ||
        iampy_conv_str(name_obj, "service_name", 0, &service) < 0)
        return NULL;
    iam_env_properties *p = NULL;
    iam_error err;
    iam_error_clear(&err);
    /* The GIL stays held: the load reads environ, which os.environ changes under it. */
    if (iam_env_properties_load(&p, service, &err) != IAM_OK)
        return iampy_raise_error(&err);
    static const char *const bearer[] = {"BEARER_TOKEN"};
    static const char *const basic[] = {"USERNAME", "PASSWORD"};
    const char *type = iam_env_auth_type(p);
    PyObject *result = NULL;
    PyObject *cls = PyDict_GetItemString(classes, type); /* borrowed */
    if (cls == NULL)
        PyErr_Format(PyExc_KeyError, "no class for auth type %s", type);
    else if (strcmp(type, IAM_ENV_AUTH_BEARER_TOKEN) == 0)
        result = call_with_properties(cls, p, bearer, 1);
    else if (strcmp(type, IAM_ENV_AUTH_BASIC) == 0)
        result = call_with_properties(cls, p, basic, 2);
    else if (strcmp(type, IAM_ENV_AUTH_NOAUTH) == 0)
        result = PyObject_CallObject(cls, NULL);
    else
        result = token_authenticator(cls, p);
    iam_env_properties_free(p); /* zeroes every value */
    return result;
}

static PyMethodDef module_methods[] = {
    {"core_version", mod_core_version, METH_NOARGS,
     "core_version()\n--\n\nVersion of the iamcore C library in use."},
    {"from_environment", mod_from_environment, METH_VARARGS, from_environment_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "iamcore._native",
    .m_doc = "C glue of iamcore (private: use the iamcore package).",
    .m_size = -1,
    .m_methods = module_methods,
};

static int load_error_classes(void)
{
    static const struct {
        int code;
        const char *name;
    } map[] = {
        {IAM_E_CONFIG, "ConfigError"},     {IAM_E_AUTH, "AuthenticationError"},
        {IAM_E_TRANSPORT, "TransportError"}, {IAM_E_TIMEOUT, "TimeoutError"},
        {IAM_E_TLS, "TLSError"},           {IAM_E_PARSE, "ParseError"},
        {IAM_E_TOKEN_FILE, "TokenFileError"}, {IAM_E_INTERNAL, "Error"},
    };
    PyObject *errors = PyImport_ImportModule("iamcore._errors");
    if (errors == NULL)
        return -1;
    PyObject *base = PyObject_GetAttrString(errors, "Error");
    if (base == NULL)
        goto fail;
    Py_XSETREF(error_base, base);
    PyObject *warning = PyObject_GetAttrString(errors, "InsecureTLSWarning");
    if (warning == NULL)
        goto fail;
    Py_XSETREF(insecure_tls_warning, warning);
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        PyObject *cls = PyObject_GetAttrString(errors, map[i].name);
        if (cls == NULL)
            goto fail;
        Py_XSETREF(error_class[-map[i].code], cls);
    }
    Py_DECREF(errors);
    return 0;
fail:
    Py_DECREF(errors);
    return -1;
}

IAMPY_EXPORT PyMODINIT_FUNC PyInit__native(void)
{
    /* A wheel's libcurl and libcrypto: through _libcurl<suffix> and
     * _libcrypto<suffix> beside this module. */
    iam_libs_use_beside(user_agent_extra, "_native", "_lib");
    const char *v = Py_GetVersion();
    snprintf(user_agent_extra, sizeof user_agent_extra, "python/%.*s",
             (int)strcspn(v, " "), v);

    if (str_headers == NULL) {
        str_headers = PyUnicode_InternFromString("headers");
        str_authorization = PyUnicode_InternFromString("Authorization");
        if (str_headers == NULL || str_authorization == NULL)
            return NULL;
        for (int t = IAM_AUTH_IAM; t < N_AUTH_TYPES; t++)
            if ((str_type_name[t] = PyUnicode_InternFromString(
                     iam_auth_type_name((iam_auth_type)t))) == NULL)
                return NULL;
    }
    if (load_error_classes() < 0)
        return NULL;
    if (PyType_Ready(&AuthType) < 0)
        return NULL;

    PyObject *m = PyModule_Create(&native_module);
    if (m == NULL)
        return NULL;
    if (iampy_aws_init(m) < 0 || iampy_log_init(m) < 0)
        goto fail;
    Py_INCREF(&AuthType);
    if (PyModule_AddObject(m, "Authenticator", (PyObject *)&AuthType) < 0) {
        Py_DECREF(&AuthType);
        goto fail;
    }
    if (PyModule_AddStringConstant(m, "DEFAULT_URL", IAM_DEFAULT_URL) < 0 ||
        PyModule_AddObject(m, "DEFAULT_TIMEOUT", PyFloat_FromDouble(IAM_DEFAULT_TIMEOUT_MS / 1000.0)) < 0 ||
        PyModule_AddObject(m, "DEFAULT_CONNECT_TIMEOUT",
                           PyFloat_FromDouble(IAM_DEFAULT_CONNECT_TIMEOUT_MS / 1000.0)) < 0 ||
        PyModule_AddIntConstant(m, "DEFAULT_MAX_RETRIES", IAM_DEFAULT_MAX_RETRIES) < 0 ||
        PyModule_AddStringConstant(m, "USER_AGENT_EXTRA", user_agent_extra) < 0)
        goto fail;
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
