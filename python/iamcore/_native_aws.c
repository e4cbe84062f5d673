/*
 * iamcore._native, AWS half: SigV4 signing, the RDS / Aurora DSQL / ElastiCache
 * auth tokens, AWS credentials and the cached RDS authenticator, over the C
 * core's iamcore_aws.h. The public names live in iamcore and iamcore.aws.
 *
 * Rules kept here (as in _native.c):
 *   - Secrets stay in C memory. A Credentials object holds a reference to the
 *     core's immutable, reference-counted credentials (zeroed when the last
 *     reference goes); it never keeps a Python str of the secret or the session
 *     token, refuses pickling, and its repr shows four characters of the access
 *     key id. The only secret-bearing Python objects are the tokens and headers
 *     returned to the caller, and the str a caller asks for explicitly with
 *     Credentials.secret_access_key / .session_token.
 *   - Validation lives in the core; the glue converts types, maps None to
 *     NULL/0 and checks what the core cannot see (integer overflow, datetimes).
 *   - The GIL is released around every call that may block: the credential
 *     chain (iam_aws_provider_get) and a token fetch of RDSAuthenticator.
 *   - One credentials provider per process for the default chain, created at
 *     first use (no I/O until then), and one per profile name (a few cached):
 *     repeated token calls do not re-run the chain. A provider caches and
 *     refreshes temporary credentials itself (iam_aws_provider_new).
 *   - Fast path of RDSAuthenticator.token(): iam_rds_auth_peek() and the cached
 *     str, as Authenticator.token().
 *   - `import iamcore` must not import datetime: it is looked up in sys.modules
 *     (a datetime argument means it is there) or imported when one is returned.
 */
#include "_native.h"

#include <structmember.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "iamcore_aws.h"

#define REGION_CAP 64
#define MAX_CACHED_PROFILES 32
#define PROVIDER_CAPSULE "iamcore._native.aws_provider"

/* ---------------------------------------------------------------- module state */

static iam_aws_provider *default_provider; /* the default chain, created at first use */
static PyObject *profile_providers;        /* dict: profile name -> capsule(provider)  */

static PyTypeObject CredsType;

/* ---------------------------------------------------------------- small helpers */

/* An iam_error of the glue's own, raised as the matching iamcore exception. */
static int raise_code(int code, const char *message)
{
    iam_error e;
    iam_error_clear(&e);
    e.code = code;
    snprintf(e.message, sizeof e.message, "%s", message);
    iampy_raise_error(&e);
    return -1;
}

/* A str from C text that may be a secret: a decoding error must not carry the
 * bytes (UnicodeDecodeError.object would). */
static PyObject *secret_str(const char *text, const char *what)
{
    PyObject *s = PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "strict");
    if (s == NULL) {
        PyErr_Clear();
        char message[160];
        snprintf(message, sizeof message, "%s is not valid UTF-8 text", what);
        raise_code(IAM_E_PARSE, message);
    }
    return s;
}

/* An int option; None → *out = dflt. bool and other types are TypeErrors;
 * values outside lo..hi a ConfigError naming the option and the range. */
static int conv_int(PyObject *obj, const char *option, long lo, long hi, long dflt, long *out)
{
    *out = dflt;
    if (obj == NULL || obj == Py_None)
        return 0;
    if (PyBool_Check(obj) || !PyLong_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be an int or None, not %.100s", option,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    int overflow = 0;
    long v = PyLong_AsLongAndOverflow(obj, &overflow);
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (overflow || v < lo || v > hi) {
        char fmt[128];
        snprintf(fmt, sizeof fmt, "%%s must be %ld to %ld", lo, hi);
        return iampy_config_error(fmt, option);
    }
    *out = v;
    return 0;
}

/* A port: an int, or a str of decimal digits (boto3 accepts both), 1..65535. */
static int conv_port(PyObject *obj, const char *option, int *out)
{
    *out = 0;
    if (obj != NULL && PyUnicode_Check(obj)) {
        Py_ssize_t n = 0;
        const char *s = PyUnicode_AsUTF8AndSize(obj, &n);
        if (s == NULL) {
            PyErr_Clear();
            n = 0;
        }
        long v = 0;
        for (Py_ssize_t i = 0; i < n && v <= 65535; i++) {
            if (s[i] < '0' || s[i] > '9') {
                v = -1;
                break;
            }
            v = v * 10 + (s[i] - '0');
        }
        if (n == 0 || v < 1 || v > 65535)
            return iampy_config_error("%s must be 1 to 65535", option);
        *out = (int)v;
        return 0;
    }
    if (obj == NULL || obj == Py_None || PyBool_Check(obj) || !PyLong_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be an int, not %.100s", option,
                     obj == NULL ? "nothing" : Py_TYPE(obj)->tp_name);
        return -1;
    }
    long v = 0;
    if (conv_int(obj, option, 1, 65535, 0, &v) < 0)
        return -1;
    *out = (int)v;
    return 0;
}

static int conv_flag(PyObject *obj, int dflt, int *out)
{
    *out = dflt;
    if (obj == NULL)
        return 0;
    int v = PyObject_IsTrue(obj);
    if (v < 0)
        return -1;
    *out = v;
    return 0;
}

/* The datetime module if it is imported (new reference), else NULL without an
 * exception. */
static PyObject *datetime_module_if_loaded(void)
{
    PyObject *name = PyUnicode_FromString("datetime");
    if (name == NULL)
        return NULL;
    PyObject *mod = PyImport_GetModule(name);
    Py_DECREF(name);
    return mod;
}

/* A datetime → epoch seconds (floor). Naive means UTC; aware is converted.
 * None → 0 ("now" for a timestamp, "unknown" for an expiration). */
static int conv_datetime(PyObject *obj, const char *option, int64_t *out)
{
    *out = 0;
    if (obj == NULL || obj == Py_None)
        return 0;
    PyObject *mod = datetime_module_if_loaded(); /* a datetime implies it is loaded */
    if (mod == NULL && PyErr_Occurred())
        return -1;
    PyObject *cls = NULL, *aware = NULL, *offset = NULL, *ts = NULL;
    int rc = -1, is_dt = 0;
    if (mod != NULL) {
        cls = PyObject_GetAttrString(mod, "datetime");
        if (cls == NULL)
            goto done;
        is_dt = PyObject_IsInstance(obj, cls);
        if (is_dt < 0)
            goto done;
    }
    if (!is_dt) {
        PyErr_Format(PyExc_TypeError, "%s must be a datetime.datetime or None, not %.100s",
                     option, Py_TYPE(obj)->tp_name);
        goto done;
    }
    offset = PyObject_CallMethod(obj, "utcoffset", NULL);
    if (offset == NULL)
        goto done;
    if (offset == Py_None) {
        PyObject *tz = PyObject_GetAttrString(mod, "timezone");
        PyObject *utc = tz ? PyObject_GetAttrString(tz, "utc") : NULL;
        Py_XDECREF(tz);
        if (utc == NULL)
            goto done;
        PyObject *kw = Py_BuildValue("{s:O}", "tzinfo", utc);
        Py_DECREF(utc);
        PyObject *replace = kw ? PyObject_GetAttrString(obj, "replace") : NULL;
        PyObject *noargs = replace ? PyTuple_New(0) : NULL;
        aware = noargs ? PyObject_Call(replace, noargs, kw) : NULL;
        Py_XDECREF(noargs);
        Py_XDECREF(replace);
        Py_XDECREF(kw);
    } else {
        Py_INCREF(obj);
        aware = obj;
    }
    if (aware == NULL)
        goto done;
    ts = PyObject_CallMethod(aware, "timestamp", NULL);
    if (ts == NULL)
        goto done;
    double seconds = PyFloat_AsDouble(ts);
    if (seconds == -1.0 && PyErr_Occurred())
        goto done;
    seconds = floor(seconds);
    if (!(seconds >= 1.0) || seconds > 253402300799.0) {
        iampy_config_error("%s must be after 1970-01-01T00:00:00Z", option);
        goto done;
    }
    *out = (int64_t)seconds;
    rc = 0;
done:
    Py_XDECREF(ts);
    Py_XDECREF(aware);
    Py_XDECREF(offset);
    Py_XDECREF(cls);
    Py_XDECREF(mod);
    return rc;
}

/* Epoch seconds → an aware UTC datetime (imports datetime if needed). */
static PyObject *epoch_to_datetime(int64_t t)
{
    PyObject *mod = PyImport_ImportModule("datetime");
    if (mod == NULL)
        return NULL;
    PyObject *result = NULL;
    PyObject *cls = PyObject_GetAttrString(mod, "datetime");
    PyObject *tz = cls ? PyObject_GetAttrString(mod, "timezone") : NULL;
    PyObject *utc = tz ? PyObject_GetAttrString(tz, "utc") : NULL;
    if (utc != NULL)
        result = PyObject_CallMethod(cls, "fromtimestamp", "LO", (long long)t, utc);
    Py_XDECREF(utc);
    Py_XDECREF(tz);
    Py_XDECREF(cls);
    Py_DECREF(mod);
    return result;
}

/* "2026-11-23T12:00:00Z" without datetime. */
static void format_utc(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "%lld", (long long)t);
}

/* ---------------------------------------------------------------- providers */

static void capsule_free_provider(PyObject *capsule)
{
    iam_aws_provider_free(PyCapsule_GetPointer(capsule, PROVIDER_CAPSULE));
}

static iam_aws_provider *new_provider(const char *profile, const iam_aws_credentials *explicit_)
{
    iam_aws_provider_config pc = IAM_AWS_PROVIDER_CONFIG_INIT;
    pc.profile = profile;
    pc.credentials = explicit_;
    iam_aws_provider *p = NULL;
    iam_error err;
    iam_error_clear(&err);
    if (iam_aws_provider_new(&p, &pc, &err) != IAM_OK) {
        iam_aws_provider_free(p);
        iampy_raise_error(&err);
        return NULL;
    }
    return p;
}

/* The shared provider of the default chain (profile NULL or "") or of a named
 * profile: a new reference, or NULL with an exception. Called with the GIL, so
 * creation needs no lock (it does no I/O). */
static iam_aws_provider *shared_provider(const char *profile)
{
    if (profile == NULL || profile[0] == '\0') {
        if (default_provider == NULL) {
            default_provider = new_provider(NULL, NULL);
            if (default_provider == NULL)
                return NULL;
        }
        return iam_aws_provider_retain(default_provider);
    }
    if (profile_providers == NULL && (profile_providers = PyDict_New()) == NULL)
        return NULL;
    /* Key by the exact str: a subclass with its own __eq__ must not pick another's. */
    PyObject *key = PyUnicode_FromString(profile);
    if (key == NULL)
        return NULL;
    PyObject *capsule = PyDict_GetItemWithError(profile_providers, key);
    if (capsule != NULL) {
        Py_DECREF(key);
        return iam_aws_provider_retain(PyCapsule_GetPointer(capsule, PROVIDER_CAPSULE));
    }
    if (PyErr_Occurred()) {
        Py_DECREF(key);
        return NULL;
    }
    iam_aws_provider *p = new_provider(profile, NULL);
    if (p == NULL) {
        Py_DECREF(key);
        return NULL;
    }
    if (PyDict_GET_SIZE(profile_providers) < MAX_CACHED_PROFILES) {
        capsule = PyCapsule_New(iam_aws_provider_retain(p), PROVIDER_CAPSULE,
                                capsule_free_provider);
        if (capsule == NULL) {
            iam_aws_provider_free(p); /* the capsule's reference */
            iam_aws_provider_free(p);
            Py_DECREF(key);
            return NULL;
        }
        int rc = PyDict_SetItem(profile_providers, key, capsule);
        Py_DECREF(capsule);
        if (rc < 0) {
            iam_aws_provider_free(p);
            Py_DECREF(key);
            return NULL;
        }
    }
    Py_DECREF(key);
    return p;
}

PyDoc_STRVAR(reset_doc,
"_reset_default_provider()\n--\n\n"
"Forget the shared credentials providers (the default chain's and the named\n"
"profiles'), so the next call without `credentials=` runs the chain again.\n"
"A test hook; objects already using a provider keep it.");

static PyObject *mod_reset_default_provider(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(ignored))
{
    iam_aws_provider *p = default_provider;
    default_provider = NULL;
    iam_aws_provider_free(p);
    if (profile_providers != NULL)
        PyDict_Clear(profile_providers);
    Py_RETURN_NONE;
}

/* ---------------------------------------------------------------- Credentials */

typedef struct {
    PyObject_HEAD
    iam_aws_creds *creds;         /* the core's immutable credentials            */
    iam_aws_provider *provider;   /* explicit provider over them, made when needed */
} CredsObject;

static PyObject *creds_wrap(iam_aws_creds *creds) /* steals creds */
{
    CredsObject *self = PyObject_New(CredsObject, &CredsType);
    if (self == NULL) {
        iam_aws_creds_release(creds);
        return NULL;
    }
    self->creds = creds;
    self->provider = NULL;
    return (PyObject *)self;
}

/* An explicit provider over the object's credentials (new reference). */
static iam_aws_provider *creds_provider(CredsObject *self)
{
    if (self->provider == NULL) {
        iam_aws_credentials view = iam_aws_creds_view(self->creds);
        self->provider = new_provider(NULL, &view);
        if (self->provider == NULL)
            return NULL;
    }
    return iam_aws_provider_retain(self->provider);
}

static int check_credentials_arg(PyObject *obj)
{
    if (obj == NULL || obj == Py_None || PyObject_TypeCheck(obj, &CredsType))
        return 0;
    PyErr_Format(PyExc_TypeError, "credentials must be an iamcore.aws.Credentials or None, not %.100s",
                 Py_TYPE(obj)->tp_name);
    return -1;
}

PyDoc_STRVAR(Creds_doc,
"Credentials(access_key_id, secret_access_key, session_token=None, expiration=None)\n--\n\n"
"AWS credentials: an immutable value.\n\n"
"access_key_id and secret_access_key are required; session_token is None (or\n"
"\"\") for long-term keys; expiration is a datetime.datetime (naive = UTC) or\n"
"None when they do not expire. Signing with expired credentials raises\n"
"ConfigError; a token's X-Amz-Expires never outlives them.\n\n"
"The secret and the session token are kept in C memory (zeroed when the last\n"
"reference goes). repr() shows four characters of the access key id and\n"
"whether a session token is set, never the secret or the token. Pickling is\n"
"refused; copy.copy() returns the object itself. Equal when every field is.\n\n"
"Attributes (read-only): access_key_id, secret_access_key, session_token\n"
"(str or None), has_session_token, expiration (an aware UTC datetime, or None)\n"
"and source: \"explicit\", \"env\", \"profile\", \"process\", \"web-identity\",\n"
"\"container\" or \"imds\".");

static PyObject *Creds_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"access_key_id", "secret_access_key", "session_token", "expiration",
                             NULL};
    PyObject *akid = NULL, *secret = NULL, *token = NULL, *expiration = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|OO:Credentials", kwlist, &akid, &secret,
                                     &token, &expiration))
        return NULL;
    iam_aws_credentials view = {0};
    if (iampy_conv_str(akid, "access_key_id", 0, &view.access_key_id) < 0 ||
        iampy_conv_str(secret, "secret_access_key", 0, &view.secret_access_key) < 0 ||
        iampy_conv_str(token, "session_token", 1, &view.session_token) < 0 ||
        conv_datetime(expiration, "expiration", &view.expiration) < 0)
        return NULL;
    iam_aws_provider *p = new_provider(NULL, &view);
    if (p == NULL)
        return NULL;
    iam_aws_creds *creds = NULL;
    iam_error err;
    iam_error_clear(&err);
    if (iam_aws_provider_get(p, &creds, &err) != IAM_OK) { /* explicit: no I/O */
        iam_aws_provider_free(p);
        return iampy_raise_error(&err);
    }
    CredsObject *self = (CredsObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        iam_aws_creds_release(creds);
        iam_aws_provider_free(p);
        return NULL;
    }
    self->creds = creds;
    self->provider = p;
    return (PyObject *)self;
}

static void Creds_dealloc(CredsObject *self)
{
    iam_aws_creds_release(self->creds);
    iam_aws_provider_free(self->provider);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *Creds_get_akid(CredsObject *self, void *Py_UNUSED(closure))
{
    const char *akid = iam_aws_creds_view(self->creds).access_key_id;
    return PyUnicode_DecodeUTF8(akid, (Py_ssize_t)strlen(akid), "replace");
}

static PyObject *Creds_get_secret(CredsObject *self, void *Py_UNUSED(closure))
{
    return secret_str(iam_aws_creds_view(self->creds).secret_access_key, "the secret access key");
}

static PyObject *Creds_get_token(CredsObject *self, void *Py_UNUSED(closure))
{
    const char *token = iam_aws_creds_view(self->creds).session_token;
    if (token == NULL || token[0] == '\0')
        Py_RETURN_NONE;
    return secret_str(token, "the session token");
}

static PyObject *Creds_get_has_token(CredsObject *self, void *Py_UNUSED(closure))
{
    const char *token = iam_aws_creds_view(self->creds).session_token;
    return PyBool_FromLong(token != NULL && token[0] != '\0');
}

static PyObject *Creds_get_expiration(CredsObject *self, void *Py_UNUSED(closure))
{
    int64_t exp = iam_aws_creds_view(self->creds).expiration;
    if (exp == 0)
        Py_RETURN_NONE;
    return epoch_to_datetime(exp);
}

static PyObject *Creds_get_source(CredsObject *self, void *Py_UNUSED(closure))
{
    return PyUnicode_FromString(iam_aws_creds_source(self->creds));
}

static PyGetSetDef Creds_getset[] = {
    {"access_key_id", (getter)Creds_get_akid, NULL, "The access key id (str).", NULL},
    {"secret_access_key", (getter)Creds_get_secret, NULL,
     "The secret access key (str). Read it only to hand it to another library.", NULL},
    {"session_token", (getter)Creds_get_token, NULL,
     "The session token (str), or None for long-term keys.", NULL},
    {"has_session_token", (getter)Creds_get_has_token, NULL,
     "Whether a session token is set (bool).", NULL},
    {"expiration", (getter)Creds_get_expiration, NULL,
     "When the credentials stop working (an aware UTC datetime), or None.", NULL},
    {"source", (getter)Creds_get_source, NULL,
     "Where they came from: \"explicit\", \"env\", \"profile\", \"process\", "
     "\"web-identity\", \"container\" or \"imds\".",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyObject *Creds_repr(CredsObject *self)
{
    iam_aws_credentials v = iam_aws_creds_view(self->creds);
    PyObject *akid = PyUnicode_DecodeUTF8(v.access_key_id, (Py_ssize_t)strlen(v.access_key_id),
                                          "replace");
    if (akid == NULL)
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(akid);
    PyObject *head = PyUnicode_Substring(akid, 0, n < 4 ? n : 4);
    Py_DECREF(akid);
    if (head == NULL)
        return NULL;
    PyObject *ellipsis = PyUnicode_DecodeUTF8("\xe2\x80\xa6", 3, "strict"); /* "…" */
    PyObject *shown = ellipsis ? PyUnicode_Concat(head, ellipsis) : NULL;
    Py_XDECREF(ellipsis);
    Py_DECREF(head);
    if (shown == NULL)
        return NULL;
    char when[40] = "None";
    if (v.expiration) {
        char t[32];
        format_utc(v.expiration, t);
        snprintf(when, sizeof when, "'%s'", t);
    }
    PyObject *r = PyUnicode_FromFormat(
        "Credentials(access_key_id=%R, has_session_token=%s, expiration=%s, source='%s')", shown,
        v.session_token && v.session_token[0] ? "True" : "False", when,
        iam_aws_creds_source(self->creds));
    Py_DECREF(shown);
    return r;
}

static int same_text(const char *a, const char *b)
{
    if (a == NULL || a[0] == '\0')
        return b == NULL || b[0] == '\0';
    return b != NULL && strcmp(a, b) == 0;
}

static PyObject *Creds_richcompare(PyObject *a, PyObject *b, int op)
{
    if ((op != Py_EQ && op != Py_NE) || !PyObject_TypeCheck(a, &CredsType) ||
        !PyObject_TypeCheck(b, &CredsType))
        Py_RETURN_NOTIMPLEMENTED;
    iam_aws_credentials x = iam_aws_creds_view(((CredsObject *)a)->creds);
    iam_aws_credentials y = iam_aws_creds_view(((CredsObject *)b)->creds);
    int eq = same_text(x.access_key_id, y.access_key_id) &&
             same_text(x.secret_access_key, y.secret_access_key) &&
             same_text(x.session_token, y.session_token) && x.expiration == y.expiration;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static Py_hash_t Creds_hash(CredsObject *self)
{
    PyObject *akid = Creds_get_akid(self, NULL);
    if (akid == NULL)
        return -1;
    Py_hash_t h = PyObject_Hash(akid);
    Py_DECREF(akid);
    return h;
}

static PyObject *Creds_copy(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    Py_INCREF(self); /* immutable */
    return self;
}

static PyMethodDef Creds_methods[] = {
    {"__reduce__", (PyCFunction)iampy_refuse_reduce, METH_NOARGS, NULL},
    {"__reduce_ex__", (PyCFunction)iampy_refuse_reduce, METH_O, NULL},
    {"__copy__", (PyCFunction)Creds_copy, METH_NOARGS, NULL},
    {"__deepcopy__", (PyCFunction)Creds_copy, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject CredsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "iamcore.aws.Credentials",
    .tp_basicsize = sizeof(CredsObject),
    .tp_dealloc = (destructor)Creds_dealloc,
    .tp_repr = (reprfunc)Creds_repr,
    .tp_hash = (hashfunc)Creds_hash,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = Creds_doc,
    .tp_richcompare = Creds_richcompare,
    .tp_methods = Creds_methods,
    .tp_getset = Creds_getset,
    .tp_new = Creds_new,
};

/* ---------------------------------------------------------------- getting credentials */

/* The credentials to sign with: the given Credentials, else the shared provider's
 * (default chain or profile), fetched with the GIL released. New reference. */
static int acquire_creds(PyObject *credentials, const char *profile, iam_aws_creds **out)
{
    *out = NULL;
    if (check_credentials_arg(credentials) < 0)
        return -1;
    if (credentials != NULL && credentials != Py_None) {
        *out = iam_aws_creds_retain(((CredsObject *)credentials)->creds);
        return 0;
    }
    iam_aws_provider *p = shared_provider(profile);
    if (p == NULL)
        return -1;
    iam_error err;
    iam_status st;
    iam_aws_creds *creds = NULL;
    Py_BEGIN_ALLOW_THREADS
    iam_error_clear(&err);
    st = iam_aws_provider_get(p, &creds, &err);
    iam_aws_provider_free(p);
    Py_END_ALLOW_THREADS
    if (st != IAM_OK) {
        iam_aws_creds_release(creds);
        iampy_raise_error(&err);
        return -1;
    }
    *out = creds;
    return 0;
}

/* A token string from the core (ASCII), then zeroed and freed. */
static PyObject *take_token(char *token)
{
    PyObject *s = secret_str(token, "the token");
    iam_aws_string_free(token);
    return s;
}

static int resolve_region(char out[REGION_CAP], const char *region, const char *profile,
                          const char *hostname)
{
    iam_error err;
    iam_error_clear(&err);
    if (iam_aws_region_resolve(out, REGION_CAP, region, profile, hostname, &err) != IAM_OK) {
        iampy_raise_error(&err);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- module functions */

PyDoc_STRVAR(resolve_credentials_doc,
"resolve_credentials(profile=None)\n--\n\n"
"Run the AWS credential chain once, uncached, and return its Credentials.\n\n"
"The chain: environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,\n"
"AWS_SESSION_TOKEN), web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN),\n"
"the profile in the shared config and credentials files (static keys,\n"
"credential_process, role_arn + web_identity_token_file), the container\n"
"endpoint, EC2 instance metadata. `profile` (else AWS_PROFILE, else \"default\")\n"
"names the profile; a named profile skips the environment and web identity\n"
"variables. The result's .source tells which source answered. The GIL is\n"
"released meanwhile (network I/O).\n\n"
"Raises ConfigError when no source has credentials (naming what each one\n"
"lacked) or a named profile does not exist; AuthenticationError,\n"
"TimeoutError, TransportError, ParseError or TokenFileError when a source\n"
"fails.");

static PyObject *mod_resolve_credentials(PyObject *Py_UNUSED(m), PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"profile", NULL};
    PyObject *profile_obj = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:resolve_credentials", kwlist, &profile_obj))
        return NULL;
    const char *profile = NULL;
    if (iampy_conv_str(profile_obj, "profile", 1, &profile) < 0)
        return NULL;
    iam_aws_provider *p = new_provider(profile, NULL);
    if (p == NULL)
        return NULL;
    iam_aws_creds *creds = NULL;
    iam_error err;
    iam_status st;
    Py_BEGIN_ALLOW_THREADS
    iam_error_clear(&err);
    st = iam_aws_provider_get(p, &creds, &err);
    iam_aws_provider_free(p);
    Py_END_ALLOW_THREADS
    if (st != IAM_OK) {
        iam_aws_creds_release(creds);
        return iampy_raise_error(&err);
    }
    return creds_wrap(creds);
}

PyDoc_STRVAR(resolve_region_doc,
"resolve_region(region=None, *, profile=None, hostname=None)\n--\n\n"
"The AWS region iamcore signs for: `region` if given, else AWS_REGION, else\n"
"AWS_DEFAULT_REGION, else the profile's `region` (profile None: AWS_PROFILE or\n"
"\"default\"), else the region an RDS (...<region>.rds.amazonaws.com[.cn]) or\n"
"Aurora DSQL (...dsql.<region>.on.aws) `hostname` carries.\n\n"
"Raises ConfigError when none is found or it is malformed.");

static PyObject *mod_resolve_region(PyObject *Py_UNUSED(m), PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"region", "profile", "hostname", NULL};
    PyObject *region_obj = NULL, *profile_obj = NULL, *host_obj = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O$OO:resolve_region", kwlist, &region_obj,
                                     &profile_obj, &host_obj))
        return NULL;
    const char *region = NULL, *profile = NULL, *host = NULL;
    char out[REGION_CAP];
    if (iampy_conv_str(region_obj, "region", 1, &region) < 0 ||
        iampy_conv_str(profile_obj, "profile", 1, &profile) < 0 ||
        iampy_conv_str(host_obj, "hostname", 1, &host) < 0 ||
        resolve_region(out, region, profile, host) < 0)
        return NULL;
    return PyUnicode_FromString(out);
}

PyDoc_STRVAR(rds_token_doc,
"generate_db_auth_token(DBHostname, Port, DBUsername, Region=None, *, credentials=None, "
"profile=None, timestamp=None)\n--\n\n"
"An Amazon RDS / Aurora IAM database authentication token: the password to\n"
"connect with (over TLS), valid for 15 minutes.\n\n"
"Same arguments and result as boto3's\n"
"client(\"rds\").generate_db_auth_token(DBHostname, Port, DBUsername, Region):\n"
"the token reads `<host>:<port>/?Action=connect&DBUser=<user>&X-Amz-...`, signed\n"
"for the service \"rds-db\". Region None: AWS_REGION, AWS_DEFAULT_REGION, the\n"
"profile's region, then the region in an RDS host name (see resolve_region).\n\n"
"credentials: an iamcore.aws.Credentials; None uses the credential chain,\n"
"resolved once per process (or per `profile`) and cached and refreshed\n"
"until the credentials expire. profile: the profile for the chain and the\n"
"region. timestamp: the signing time, a datetime.datetime (naive = UTC), or\n"
"None for now.\n\n"
"Differences from botocore: an empty session token is not sent; the token\n"
"never outlives the credentials (X-Amz-Expires is capped at their remaining\n"
"lifetime).\n\n"
"To reuse a token across connections, see RDSAuthenticator.");

static PyObject *mod_rds_token(PyObject *Py_UNUSED(m), PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"DBHostname", "Port", "DBUsername", "Region", "credentials",
                             "profile", "timestamp", NULL};
    PyObject *host_obj = NULL, *port_obj = NULL, *user_obj = NULL, *region_obj = NULL,
             *credentials = NULL, *profile_obj = NULL, *ts_obj = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO|O$OOO:generate_db_auth_token", kwlist,
                                     &host_obj, &port_obj, &user_obj, &region_obj, &credentials,
                                     &profile_obj, &ts_obj))
        return NULL;
    const char *host = NULL, *user = NULL, *region = NULL, *profile = NULL;
    int port = 0;
    int64_t ts = 0;
    char region_buf[REGION_CAP];
    if (iampy_conv_str(host_obj, "DBHostname", 0, &host) < 0 ||
        conv_port(port_obj, "Port", &port) < 0 ||
        iampy_conv_str(user_obj, "DBUsername", 0, &user) < 0 ||
        iampy_conv_str(region_obj, "Region", 1, &region) < 0 ||
        iampy_conv_str(profile_obj, "profile", 1, &profile) < 0 ||
        check_credentials_arg(credentials) < 0 || conv_datetime(ts_obj, "timestamp", &ts) < 0 ||
        resolve_region(region_buf, region, profile, host) < 0)
        return NULL;
    iam_aws_creds *creds = NULL;
    if (acquire_creds(credentials, profile, &creds) < 0)
        return NULL;
    iam_aws_credentials view = iam_aws_creds_view(creds);
    char *token = NULL;
    iam_error err;
    iam_error_clear(&err);
    iam_status st = iam_rds_auth_token(&token, &view, host, port, user, region_buf, ts, 0, &err);
    iam_aws_creds_release(creds);
    if (st != IAM_OK) {
        iam_aws_string_free(token);
        return iampy_raise_error(&err);
    }
    return take_token(token);
}

PyDoc_STRVAR(dsql_token_doc,
"generate_dsql_auth_token(hostname, region=None, *, admin=False, expires_in=900, "
"credentials=None, profile=None, timestamp=None)\n--\n\n"
"An Amazon Aurora DSQL auth token (the password), as botocore's\n"
"generate_db_connect_auth_token (admin=False: Action=DbConnect) or\n"
"generate_db_connect_admin_auth_token (admin=True: DbConnectAdmin, to connect\n"
"as the \"admin\" role) print it, signed for the service \"dsql\".\n\n"
"hostname: the cluster endpoint, e.g. \"<id>.dsql.us-east-1.on.aws\". region:\n"
"as for generate_db_auth_token (a DSQL host name carries it). expires_in:\n"
"seconds, 1 to 604800 (capped at the credentials' remaining lifetime).\n"
"credentials, profile, timestamp: as for generate_db_auth_token.");

static PyObject *mod_dsql_token(PyObject *Py_UNUSED(m), PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"hostname", "region",  "admin",     "expires_in",
                             "credentials", "profile", "timestamp", NULL};
    PyObject *host_obj = NULL, *region_obj = NULL, *admin_obj = NULL, *expires_obj = NULL,
             *credentials = NULL, *profile_obj = NULL, *ts_obj = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O$OOOOO:generate_dsql_auth_token", kwlist,
                                     &host_obj, &region_obj, &admin_obj, &expires_obj,
                                     &credentials, &profile_obj, &ts_obj))
        return NULL;
    const char *host = NULL, *region = NULL, *profile = NULL;
    int admin = 0;
    long expires = 0;
    int64_t ts = 0;
    char region_buf[REGION_CAP];
    if (iampy_conv_str(host_obj, "hostname", 0, &host) < 0 ||
        iampy_conv_str(region_obj, "region", 1, &region) < 0 || conv_flag(admin_obj, 0, &admin) < 0 ||
        conv_int(expires_obj, "expires_in", 1, IAM_SIGV4_MAX_EXPIRES, IAM_AWS_TOKEN_DEFAULT_EXPIRES,
                 &expires) < 0 ||
        iampy_conv_str(profile_obj, "profile", 1, &profile) < 0 ||
        check_credentials_arg(credentials) < 0 || conv_datetime(ts_obj, "timestamp", &ts) < 0 ||
        resolve_region(region_buf, region, profile, host) < 0)
        return NULL;
    iam_aws_creds *creds = NULL;
    if (acquire_creds(credentials, profile, &creds) < 0)
        return NULL;
    iam_aws_credentials view = iam_aws_creds_view(creds);
    char *token = NULL;
    iam_error err;
    iam_error_clear(&err);
    iam_status st = iam_dsql_auth_token(&token, &view, host, admin, region_buf, ts, expires, &err);
    iam_aws_creds_release(creds);
    if (st != IAM_OK) {
        iam_aws_string_free(token);
        return iampy_raise_error(&err);
    }
    return take_token(token);
}

PyDoc_STRVAR(elasticache_token_doc,
"generate_elasticache_auth_token(cache_name, user, region=None, *, expires_in=900, "
"serverless=False, credentials=None, profile=None, timestamp=None)\n--\n\n"
"An Amazon ElastiCache (Valkey / Redis OSS) IAM auth token: the password of\n"
"`AUTH <user> <token>`, signed for the service \"elasticache\".\n\n"
"cache_name: the replication group or serverless cache name (not an\n"
"endpoint). user: the ElastiCache user ID (also the AUTH user name).\n"
"serverless: True for a serverless cache (adds ResourceType=ServerlessCache).\n"
"region: as for generate_db_auth_token, but a cache name carries none: pass\n"
"it or configure it. expires_in: seconds, 1 to 604800 (ElastiCache accepts 900\n"
"at most; capped at the credentials' remaining lifetime). credentials,\n"
"profile, timestamp: as for generate_db_auth_token.");

static PyObject *mod_elasticache_token(PyObject *Py_UNUSED(m), PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"cache_name",  "user",    "region",    "expires_in", "serverless",
                             "credentials", "profile", "timestamp", NULL};
    PyObject *name_obj = NULL, *user_obj = NULL, *region_obj = NULL, *expires_obj = NULL,
             *serverless_obj = NULL, *credentials = NULL, *profile_obj = NULL, *ts_obj = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|O$OOOOO:generate_elasticache_auth_token",
                                     kwlist, &name_obj, &user_obj, &region_obj, &expires_obj,
                                     &serverless_obj, &credentials, &profile_obj, &ts_obj))
        return NULL;
    const char *name = NULL, *user = NULL, *region = NULL, *profile = NULL;
    int serverless = 0;
    long expires = 0;
    int64_t ts = 0;
    char region_buf[REGION_CAP];
    if (iampy_conv_str(name_obj, "cache_name", 0, &name) < 0 ||
        iampy_conv_str(user_obj, "user", 0, &user) < 0 ||
        iampy_conv_str(region_obj, "region", 1, &region) < 0 ||
        conv_int(expires_obj, "expires_in", 1, IAM_SIGV4_MAX_EXPIRES, IAM_AWS_TOKEN_DEFAULT_EXPIRES,
                 &expires) < 0 ||
        conv_flag(serverless_obj, 0, &serverless) < 0 ||
        iampy_conv_str(profile_obj, "profile", 1, &profile) < 0 ||
        check_credentials_arg(credentials) < 0 || conv_datetime(ts_obj, "timestamp", &ts) < 0 ||
        resolve_region(region_buf, region, profile, NULL) < 0)
        return NULL;
    iam_aws_creds *creds = NULL;
    if (acquire_creds(credentials, profile, &creds) < 0)
        return NULL;
    iam_aws_credentials view = iam_aws_creds_view(creds);
    char *token = NULL;
    iam_error err;
    iam_error_clear(&err);
    iam_status st = iam_elasticache_auth_token(&token, &view, name, user, serverless, region_buf,
                                               ts, expires, &err);
    iam_aws_creds_release(creds);
    if (st != IAM_OK) {
        iam_aws_string_free(token);
        return iampy_raise_error(&err);
    }
    return take_token(token);
}

/* ---------------------------------------------------------------- SigV4 */

/* Headers for the signer (see iampy_conv_headers), noting whether Host is one. */
static int conv_header_pairs(PyObject *obj, iam_header **out, size_t *count, PyObject **keep,
                             int *has_host)
{
    *has_host = 0;
    if (iampy_conv_headers(obj, 1, out, count, keep) < 0)
        return -1;
    for (size_t i = 0; i < *count; i++)
        if (strcasecmp((*out)[i].name, "host") == 0)
            *has_host = 1;
    return 0;
}

/* What sign_request and presign_url share. */
typedef struct sign_args {
    const char *method, *url, *service, *region, *profile, *payload_hash;
    char region_buf[REGION_CAP];
    char *host, *target;          /* from iam_aws_url_parts */
    iam_header *headers;          /* Host first when the caller gave none */
    size_t header_count;
    PyObject *keep;
    iam_aws_creds *creds;
    iam_sigv4_params params;
} sign_args;

static void sign_args_free(sign_args *a)
{
    free(a->host);
    iam_aws_string_free(a->target);
    PyMem_Free(a->headers);
    Py_XDECREF(a->keep);
    iam_aws_creds_release(a->creds);
    memset(a, 0, sizeof *a);
}

static int sign_args_load(sign_args *a, PyObject *method, PyObject *url, PyObject *headers,
                          PyObject *service, PyObject *region, PyObject *credentials,
                          PyObject *profile, PyObject *timestamp, PyObject *payload_hash,
                          PyObject *normalize_path, PyObject *double_encode_path,
                          PyObject *omit_session_token)
{
    iam_sigv4_params init = IAM_SIGV4_PARAMS_INIT;
    a->params = init;
    int has_host = 0;
    iam_header *given = NULL;
    size_t given_n = 0;
    if (iampy_conv_str(method, "method", 0, &a->method) < 0 ||
        iampy_conv_str(url, "url", 0, &a->url) < 0 ||
        iampy_conv_str(service, "service", 0, &a->service) < 0 ||
        iampy_conv_str(region, "region", 1, &a->region) < 0 ||
        iampy_conv_str(profile, "profile", 1, &a->profile) < 0 ||
        iampy_conv_str(payload_hash, "payload_hash", 1, &a->payload_hash) < 0 ||
        check_credentials_arg(credentials) < 0 ||
        conv_datetime(timestamp, "timestamp", &a->params.timestamp) < 0 ||
        conv_flag(normalize_path, 1, &a->params.normalize_path) < 0 ||
        conv_flag(double_encode_path, 1, &a->params.double_encode_path) < 0 ||
        conv_flag(omit_session_token, 0, &a->params.omit_session_token) < 0 ||
        conv_header_pairs(headers, &given, &given_n, &a->keep, &has_host) < 0)
        return -1;
    iam_error err;
    iam_error_clear(&err);
    if (iam_aws_url_parts(&a->host, &a->target, a->url, &err) != IAM_OK) {
        PyMem_Free(given);
        iampy_raise_error(&err);
        return -1;
    }
    if (has_host) {
        a->headers = given;
        a->header_count = given_n;
    } else {
        a->headers = PyMem_Calloc(given_n + 1, sizeof *a->headers);
        if (a->headers == NULL) {
            PyMem_Free(given);
            PyErr_NoMemory();
            return -1;
        }
        a->headers[0].name = "Host";
        a->headers[0].value = a->host;
        if (given_n)
            memcpy(a->headers + 1, given, given_n * sizeof *given);
        a->header_count = given_n + 1;
        PyMem_Free(given);
    }
    if (resolve_region(a->region_buf, a->region, a->profile, NULL) < 0 ||
        acquire_creds(credentials, a->profile, &a->creds) < 0)
        return -1;
    a->params.service = a->service;
    a->params.region = a->region_buf;
    a->params.payload_hash = a->payload_hash;
    return 0;
}

PyDoc_STRVAR(sign_request_doc,
"sign_request(method, url, headers, body=b'', *, service, region, credentials=None, "
"profile=None, timestamp=None, sign_body=False, payload_hash=None, normalize_path=True, "
"double_encode_path=True, omit_session_token=False)\n--\n\n"
"Sign an HTTP request with AWS Signature Version 4; return the headers to add\n"
"(a dict, in the order to add them): X-Amz-Security-Token (with a session\n"
"token), X-Amz-Date, x-amz-content-sha256 (with sign_body) and Authorization.\n\n"
"url: the full http(s) URL as it will be sent; its query is signed (decoded,\n"
"re-encoded and sorted; '+' is a literal plus). headers: the request's headers\n"
"(a mapping, or (name, value) pairs for repeated names), all signed but the\n"
"hop-by-hop ones; Host is taken from the URL unless given. Authorization,\n"
"X-Amz-Date, X-Amz-Security-Token and X-Amz-Content-Sha256 are the signer's to\n"
"add: passing one raises ConfigError. body: bytes-like or str (UTF-8).\n\n"
"service: the signing name (\"execute-api\", \"sts\", \"s3\", ...). region: e.g.\n"
"\"us-east-1\"; None resolves it from AWS_REGION, AWS_DEFAULT_REGION or the\n"
"profile. credentials, profile, timestamp: as for generate_db_auth_token.\n\n"
"S3 wants sign_body=True, normalize_path=False, double_encode_path=False (and\n"
"payload_hash=\"UNSIGNED-PAYLOAD\" for unsigned bodies). omit_session_token: send\n"
"the token without signing it (AWS IoT).");

static PyObject *mod_sign_request(PyObject *Py_UNUSED(m), PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"method",       "url",          "headers",          "body",
                             "service",      "region",       "credentials",      "profile",
                             "timestamp",    "sign_body",    "payload_hash",     "normalize_path",
                             "double_encode_path", "omit_session_token", NULL};
    PyObject *method = NULL, *url = NULL, *headers = NULL, *body = NULL, *service = NULL,
             *region = NULL, *credentials = NULL, *profile = NULL, *timestamp = NULL,
             *sign_body = NULL, *payload_hash = NULL, *normalize = NULL, *double_encode = NULL,
             *omit = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO|O$OOOOOOOOOO:sign_request", kwlist, &method,
                                     &url, &headers, &body, &service, &region, &credentials,
                                     &profile, &timestamp, &sign_body, &payload_hash, &normalize,
                                     &double_encode, &omit))
        return NULL;
    if (service == NULL || region == NULL) {
        PyErr_Format(PyExc_TypeError, "sign_request() missing required keyword argument '%s'",
                     service == NULL ? "service" : "region");
        return NULL;
    }
    const char *data = NULL;
    Py_ssize_t data_len = 0;
    Py_buffer view = {0};
    int have_view = 0;
    if (body != NULL && body != Py_None) {
        if (PyUnicode_Check(body)) {
            data = PyUnicode_AsUTF8AndSize(body, &data_len);
            if (data == NULL) {
                PyErr_Clear();
                iampy_config_error("%s is not valid text (it contains lone surrogates)", "body");
                return NULL;
            }
        } else if (PyObject_CheckBuffer(body)) {
            if (PyObject_GetBuffer(body, &view, PyBUF_SIMPLE) < 0)
                return NULL;
            have_view = 1;
            data = view.buf;
            data_len = view.len;
        } else {
            PyErr_Format(PyExc_TypeError, "body must be bytes-like, str or None, not %.100s",
                         Py_TYPE(body)->tp_name);
            return NULL;
        }
    }
    sign_args a;
    memset(&a, 0, sizeof a);
    PyObject *result = NULL;
    int flag = 0;
    if (conv_flag(sign_body, 0, &flag) < 0 ||
        sign_args_load(&a, method, url, headers, service, region, credentials, profile, timestamp,
                       payload_hash, normalize, double_encode, omit) < 0)
        goto done;
    a.params.sign_body = flag;
    iam_aws_credentials cv = iam_aws_creds_view(a.creds);
    a.params.credentials = &cv;
    iam_sigv4_headers out;
    iam_error err;
    iam_error_clear(&err);
    if (iam_sigv4_sign_headers(&out, &a.params, a.method, a.target, a.headers, a.header_count,
                               data, (size_t)data_len, &err) != IAM_OK) {
        iam_sigv4_headers_free(&out);
        iampy_raise_error(&err);
        goto done;
    }
    result = PyDict_New();
    for (size_t i = 0; result != NULL && i < out.count; i++) {
        PyObject *value = secret_str(out.headers[i].value, "a signed header");
        if (value == NULL || PyDict_SetItemString(result, out.headers[i].name, value) < 0)
            Py_CLEAR(result);
        Py_XDECREF(value);
    }
    iam_sigv4_headers_free(&out);
done:
    sign_args_free(&a);
    if (have_view)
        PyBuffer_Release(&view);
    return result;
}

PyDoc_STRVAR(presign_url_doc,
"presign_url(method, url, *, service, region, credentials=None, profile=None, expires=900, "
"timestamp=None, headers=None, payload_hash=None, normalize_path=True, "
"double_encode_path=True, omit_session_token=False)\n--\n\n"
"Presign a request (SigV4 query signing) and return the full URL: the URL's\n"
"own query as given, then X-Amz-Algorithm, -Credential, -Date, -SignedHeaders,\n"
"-Expires, [-Security-Token,] -Signature.\n\n"
"expires: X-Amz-Expires in seconds, 1 to 604800; capped at the credentials'\n"
"remaining lifetime. headers: extra headers to sign (Host comes from the URL);\n"
"the request must then be sent with exactly those. The payload is the empty\n"
"body's hash unless payload_hash (e.g. \"UNSIGNED-PAYLOAD\" for S3). Other\n"
"arguments as for sign_request. The URL's query must not already hold X-Amz-*\n"
"authentication parameters.");

static PyObject *mod_presign_url(PyObject *Py_UNUSED(m), PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"method",       "url",       "service",   "region",
                             "credentials",  "profile",   "expires",   "timestamp",
                             "headers",      "payload_hash", "normalize_path",
                             "double_encode_path", "omit_session_token", NULL};
    PyObject *method = NULL, *url = NULL, *service = NULL, *region = NULL, *credentials = NULL,
             *profile = NULL, *expires_obj = NULL, *timestamp = NULL, *headers = NULL,
             *payload_hash = NULL, *normalize = NULL, *double_encode = NULL, *omit = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|$OOOOOOOOOOO:presign_url", kwlist, &method,
                                     &url, &service, &region, &credentials, &profile,
                                     &expires_obj, &timestamp, &headers, &payload_hash,
                                     &normalize, &double_encode, &omit))
        return NULL;
    if (service == NULL || region == NULL) {
        PyErr_Format(PyExc_TypeError, "presign_url() missing required keyword argument '%s'",
                     service == NULL ? "service" : "region");
        return NULL;
    }
    sign_args a;
    memset(&a, 0, sizeof a);
    PyObject *result = NULL;
    long expires = 0;
    if (conv_int(expires_obj, "expires", 1, IAM_SIGV4_MAX_EXPIRES, IAM_AWS_TOKEN_DEFAULT_EXPIRES,
                 &expires) < 0 ||
        sign_args_load(&a, method, url, headers, service, region, credentials, profile, timestamp,
                       payload_hash, normalize, double_encode, omit) < 0)
        goto done;
    a.params.expires = expires;
    iam_aws_credentials cv = iam_aws_creds_view(a.creds);
    a.params.credentials = &cv;
    /* The scheme as the URL has it (iam_aws_url_parts checked it is http(s)). */
    const char *sep = strstr(a.url, "://");
    if (sep == NULL || (sep - a.url != 4 && sep - a.url != 5)) {
        iampy_config_error("%s is not an http(s) URL", "url");
        goto done;
    }
    char scheme[6];
    size_t sn = (size_t)(sep - a.url);
    for (size_t i = 0; i < sn; i++) {
        char c = a.url[i];
        scheme[i] = (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
    }
    scheme[sn] = '\0';
    char *target = NULL;
    iam_error err;
    iam_error_clear(&err);
    if (iam_sigv4_presign(&target, &a.params, a.method, a.target, a.headers, a.header_count, NULL,
                          0, &err) != IAM_OK) {
        iam_aws_string_free(target);
        iampy_raise_error(&err);
        goto done;
    }
    result = PyUnicode_FromFormat("%s://%s", scheme, a.host);
    if (result != NULL) {
        PyObject *rest = secret_str(target, "the presigned URL");
        if (rest == NULL)
            Py_CLEAR(result);
        else
            PyUnicode_AppendAndDel(&result, rest);
    }
    iam_aws_string_free(target);
done:
    sign_args_free(&a);
    return result;
}

/* ---------------------------------------------------------------- RDSAuthenticator */

typedef struct {
    PyObject_HEAD
    iam_rds_auth *auth;
    uint64_t generation; /* generation of the cached str, 0 = none */
    PyObject *token;     /* str */
    PyObject *hostname, *username, *signing_hostname, *region, *profile;
    int port;
    long expiration;
    PyObject *weakreflist;
} RdsObject;

static int rds_check_ready(RdsObject *self)
{
    return self->auth != NULL ? 0 : iampy_not_initialised((PyObject *)self);
}

static int rds_load_token(RdsObject *self)
{
    iam_token *tok = NULL;
    iam_error err;
    iam_status st;
    iam_rds_auth *auth = self->auth;
    Py_BEGIN_ALLOW_THREADS
    iam_error_clear(&err);
    st = iam_rds_auth_get_token(auth, &tok, &err);
    Py_END_ALLOW_THREADS
    if (st != IAM_OK || tok == NULL) {
        iam_token_release(tok);
        if (st == IAM_OK)
            return raise_code(IAM_E_INTERNAL, "iam_rds_auth_get_token returned no token");
        iampy_raise_error(&err);
        return -1;
    }
    uint64_t gen = iam_token_generation(tok);
    if (gen == self->generation && self->token != NULL) {
        iam_token_release(tok); /* another thread converted it meanwhile */
        return 0;
    }
    PyObject *token = secret_str(iam_token_value(tok), "the token");
    iam_token_release(tok);
    if (token == NULL)
        return -1;
    Py_XSETREF(self->token, token);
    self->generation = gen;
    return 0;
}

PyDoc_STRVAR(rds_token_method_doc,
"token($self, /)\n--\n\n"
"The RDS auth token to use as the password (a str).\n\n"
"The same str object is returned while the token is reused (`expiration`\n"
"seconds, 870 by default; less when the credentials expire sooner); a cached\n"
"token is returned in well under a microsecond. At 80 % of that time a new one\n"
"is signed in the background. Without a valid token one caller signs (running\n"
"the credential chain if needed) while concurrent callers wait for it, the\n"
"GIL released. Raises an iamcore.Error subclass on failure (not cached).");

static PyObject *Rds_token(RdsObject *self, PyObject *Py_UNUSED(ignored))
{
    if (self->auth == NULL) {
        rds_check_ready(self);
        return NULL;
    }
    uint64_t gen = iam_rds_auth_peek(self->auth, NULL);
    if (gen == 0 || gen != self->generation) {
        if (rds_load_token(self) < 0)
            return NULL;
    }
    Py_INCREF(self->token);
    return self->token;
}

PyDoc_STRVAR(rds_invalidate_doc,
"invalidate($self, /)\n--\n\n"
"Drop the cached token, e.g. after a failed login: the next token() signs a\n"
"fresh one. The credentials are kept.");

static PyObject *Rds_invalidate(RdsObject *self, PyObject *Py_UNUSED(ignored))
{
    if (rds_check_ready(self) < 0)
        return NULL;
    iam_rds_auth *auth = self->auth;
    Py_BEGIN_ALLOW_THREADS
    iam_rds_auth_invalidate(auth);
    Py_END_ALLOW_THREADS
    self->generation = 0;
    Py_CLEAR(self->token);
    Py_RETURN_NONE;
}

static PyObject *Rds_repr(RdsObject *self)
{
    const char *name = iampy_short_name((PyObject *)self);
    if (self->auth == NULL)
        return PyUnicode_FromFormat("%s(<not initialised>)", name);
    PyObject *r = PyUnicode_FromFormat("%s(hostname=%R, port=%d, username=%R, region=%R", name,
                                       self->hostname, self->port, self->username, self->region);
    if (r != NULL && self->signing_hostname != Py_None)
        PyUnicode_AppendAndDel(&r, PyUnicode_FromFormat(", signing_hostname=%R",
                                                        self->signing_hostname));
    if (r != NULL && self->profile != Py_None)
        PyUnicode_AppendAndDel(&r, PyUnicode_FromFormat(", profile=%R", self->profile));
    if (r != NULL)
        PyUnicode_AppendAndDel(&r, PyUnicode_FromString(")"));
    return r;
}

PyDoc_STRVAR(Rds_doc,
"RDSAuthenticator(hostname, port, username, region=None, expiration=None, *, "
"credentials=None, profile=None, signing_hostname=None)\n--\n\n"
"Native base of iamcore.RDSAuthenticator; use that class.");

static int Rds_init(RdsObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"hostname", "port",    "username",         "region", "expiration",
                             "credentials", "profile", "signing_hostname", NULL};
    PyObject *host_obj = NULL, *port_obj = NULL, *user_obj = NULL, *region_obj = NULL,
             *exp_obj = NULL, *credentials = NULL, *profile_obj = NULL, *signing_obj = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO|OO$OOO:RDSAuthenticator", kwlist,
                                     &host_obj, &port_obj, &user_obj, &region_obj, &exp_obj,
                                     &credentials, &profile_obj, &signing_obj))
        return -1;
    if (self->auth != NULL) {
        PyErr_Format(PyExc_RuntimeError, "%.100s object is already initialised",
                     Py_TYPE(self)->tp_name);
        return -1;
    }
    iam_rds_config cfg = IAM_RDS_CONFIG_INIT;
    long expiration = 0;
    if (iampy_conv_str(host_obj, "hostname", 0, &cfg.hostname) < 0 ||
        conv_port(port_obj, "port", &cfg.port) < 0 ||
        iampy_conv_str(user_obj, "username", 0, &cfg.username) < 0 ||
        iampy_conv_str(region_obj, "region", 1, &cfg.region) < 0 ||
        conv_int(exp_obj, "expiration", 1, IAM_AWS_TOKEN_DEFAULT_EXPIRES,
                 IAM_RDS_DEFAULT_EXPIRATION_S, &expiration) < 0 ||
        iampy_conv_str(profile_obj, "profile", 1, &cfg.profile) < 0 ||
        iampy_conv_str(signing_obj, "signing_hostname", 1, &cfg.signing_hostname) < 0 ||
        check_credentials_arg(credentials) < 0)
        return -1;
    cfg.expiration_s = expiration;
    if (cfg.profile != NULL && cfg.profile[0] == '\0')
        cfg.profile = NULL;
    if (cfg.signing_hostname != NULL && cfg.signing_hostname[0] == '\0')
        cfg.signing_hostname = NULL;
    iam_aws_provider *provider = credentials != NULL && credentials != Py_None
                                     ? creds_provider((CredsObject *)credentials)
                                     : shared_provider(cfg.profile);
    if (provider == NULL)
        return -1;
    cfg.provider = provider;
    iam_rds_auth *auth = NULL;
    iam_error err;
    iam_error_clear(&err);
    iam_status st = iam_rds_auth_new(&auth, &cfg, &err);
    iam_aws_provider_free(provider); /* the authenticator holds its own reference */
    if (st != IAM_OK) {
        iam_rds_auth_free(auth);
        iampy_raise_error(&err);
        return -1;
    }
    PyObject *region = PyUnicode_FromString(iam_rds_auth_region(auth));
    if (region == NULL) {
        iam_rds_auth_free(auth);
        return -1;
    }
    self->auth = auth;
    self->port = cfg.port;
    self->expiration = expiration;
    Py_XSETREF(self->region, region);
    Py_INCREF(host_obj);
    Py_XSETREF(self->hostname, host_obj);
    Py_INCREF(user_obj);
    Py_XSETREF(self->username, user_obj);
    PyObject *signing = cfg.signing_hostname ? signing_obj : Py_None;
    Py_INCREF(signing);
    Py_XSETREF(self->signing_hostname, signing);
    PyObject *profile = cfg.profile ? profile_obj : Py_None;
    Py_INCREF(profile);
    Py_XSETREF(self->profile, profile);
    return 0;
}

static void Rds_dealloc(RdsObject *self)
{
    if (self->weakreflist != NULL)
        PyObject_ClearWeakRefs((PyObject *)self);
    iam_rds_auth_free(self->auth); /* a background refresh keeps its own reference */
    self->auth = NULL;
    Py_CLEAR(self->token);
    Py_CLEAR(self->hostname);
    Py_CLEAR(self->username);
    Py_CLEAR(self->signing_hostname);
    Py_CLEAR(self->region);
    Py_CLEAR(self->profile);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Rds_methods[] = {
    {"token", (PyCFunction)Rds_token, METH_NOARGS, rds_token_method_doc},
    {"invalidate", (PyCFunction)Rds_invalidate, METH_NOARGS, rds_invalidate_doc},
    {"__reduce__", (PyCFunction)iampy_refuse_reduce, METH_NOARGS, NULL},
    {"__reduce_ex__", (PyCFunction)iampy_refuse_reduce, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef Rds_members[] = {
    {"hostname", T_OBJECT, offsetof(RdsObject, hostname), READONLY,
     "The endpoint connected to (str)."},
    {"port", T_INT, offsetof(RdsObject, port), READONLY, "The port (int)."},
    {"username", T_OBJECT, offsetof(RdsObject, username), READONLY, "The database user (str)."},
    {"region", T_OBJECT, offsetof(RdsObject, region), READONLY,
     "The region tokens are signed for (str), as resolved at construction."},
    {"signing_hostname", T_OBJECT, offsetof(RdsObject, signing_hostname), READONLY,
     "The host name signed for when it differs from hostname, else None."},
    {"expiration", T_LONG, offsetof(RdsObject, expiration), READONLY,
     "Seconds a token is reused (int)."},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject RdsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "iamcore._native.RDSAuthenticator",
    .tp_basicsize = sizeof(RdsObject),
    .tp_dealloc = (destructor)Rds_dealloc,
    .tp_repr = (reprfunc)Rds_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = Rds_doc,
    .tp_weaklistoffset = offsetof(RdsObject, weakreflist),
    .tp_methods = Rds_methods,
    .tp_members = Rds_members,
    .tp_init = (initproc)Rds_init,
    .tp_new = PyType_GenericNew,
};

/* ---------------------------------------------------------------- registration */

static PyMethodDef aws_functions[] = {
    {"generate_db_auth_token", (PyCFunction)(void (*)(void))mod_rds_token,
     METH_VARARGS | METH_KEYWORDS, rds_token_doc},
    {"generate_dsql_auth_token", (PyCFunction)(void (*)(void))mod_dsql_token,
     METH_VARARGS | METH_KEYWORDS, dsql_token_doc},
    {"generate_elasticache_auth_token", (PyCFunction)(void (*)(void))mod_elasticache_token,
     METH_VARARGS | METH_KEYWORDS, elasticache_token_doc},
    {"sign_request", (PyCFunction)(void (*)(void))mod_sign_request, METH_VARARGS | METH_KEYWORDS,
     sign_request_doc},
    {"presign_url", (PyCFunction)(void (*)(void))mod_presign_url, METH_VARARGS | METH_KEYWORDS,
     presign_url_doc},
    {"resolve_credentials", (PyCFunction)(void (*)(void))mod_resolve_credentials,
     METH_VARARGS | METH_KEYWORDS, resolve_credentials_doc},
    {"resolve_region", (PyCFunction)(void (*)(void))mod_resolve_region,
     METH_VARARGS | METH_KEYWORDS, resolve_region_doc},
    {"_reset_default_provider", mod_reset_default_provider, METH_NOARGS, reset_doc},
    {NULL, NULL, 0, NULL},
};

int iampy_aws_init(PyObject *module)
{
    if (PyType_Ready(&CredsType) < 0 || PyType_Ready(&RdsType) < 0)
        return -1;
    if (PyModule_AddFunctions(module, aws_functions) < 0)
        return -1;
    Py_INCREF(&CredsType);
    if (PyModule_AddObject(module, "Credentials", (PyObject *)&CredsType) < 0) {
        Py_DECREF(&CredsType);
        return -1;
    }
    Py_INCREF(&RdsType);
    if (PyModule_AddObject(module, "RDSAuthenticator", (PyObject *)&RdsType) < 0) {
        Py_DECREF(&RdsType);
        return -1;
    }
    if (PyModule_AddIntConstant(module, "RDS_DEFAULT_EXPIRATION", IAM_RDS_DEFAULT_EXPIRATION_S) < 0 ||
        PyModule_AddIntConstant(module, "AWS_TOKEN_DEFAULT_EXPIRES", IAM_AWS_TOKEN_DEFAULT_EXPIRES) < 0 ||
        PyModule_AddIntConstant(module, "SIGV4_MAX_EXPIRES", IAM_SIGV4_MAX_EXPIRES) < 0)
        return -1;
    return 0;
}
