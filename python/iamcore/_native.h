/*
 * iamcore._native — internal declarations shared by the files of the CPython
 * extension (_native.c: module, errors, IBM authenticators; _native_aws.c: AWS).
 * Not installed, not a public API. Everything here has hidden visibility (the
 * extension is compiled with -fvisibility=hidden): only PyInit__native is
 * exported.
 */
#ifndef IAMCORE_PY_NATIVE_H
#define IAMCORE_PY_NATIVE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "iamcore.h"

/* Raise the iamcore exception (iamcore.ConfigError, …) for an iam_error; out of
 * memory raises MemoryError. Always returns NULL. */
PyObject *iampy_raise_error(const iam_error *e);

/* Raise a ConfigError built by the glue itself: fmt has one "%s", the option's
 * name (never its value). Always returns -1. */
int iampy_config_error(const char *fmt, const char *option);

/* A str argument as borrowed UTF-8 (valid while obj lives). None → NULL when
 * allow_none, else TypeError. Another type → TypeError; lone surrogates or NUL
 * characters → ConfigError. Messages name the option, never the value. */
int iampy_conv_str(PyObject *obj, const char *option, int allow_none, const char **out);

/* headers → an iam_header array borrowing from *keep (free both after use):
 * None, a mapping of str to str, or (allow_pairs) an iterable of (name, value)
 * pairs, which may repeat a name. Wrong types → TypeError. */
int iampy_conv_headers(PyObject *obj, int allow_pairs, iam_header **out, size_t *count,
                       PyObject **keep);

/* __reduce__ / __reduce_ex__ of the objects that hold credentials: pickling and
 * copying are refused (a pickle would carry the secret). Always returns NULL. */
PyObject *iampy_refuse_reduce(PyObject *self, PyObject *ignored);

/* RuntimeError "<type> object is not initialised …" for an object whose __init__
 * never ran or failed. Always returns -1. */
int iampy_not_initialised(PyObject *self);

/* The type's name without its module ("IAMAuthenticator"), for repr. */
const char *iampy_short_name(PyObject *self);

/* The AWS half (_native_aws.c): add its types and functions to the module.
 * Returns 0, or -1 with an exception set. */
int iampy_aws_init(PyObject *module);

/* The event hook (_native_log.c): add its private functions to the module.
 * Returns 0, or -1 with an exception set. */
int iampy_log_init(PyObject *module);

#endif /* IAMCORE_PY_NATIVE_H */
