/*
 * iamcore._native — the core's events (iamcore_log.h) handed to Python.
 *
 * iamcore/_logging.py installs two callables: emit(level, event, message, fields),
 * which logs one record on the "iamcore" logger, and threshold(), the lowest level
 * that logger lets through now (-1: cannot be cached).
 *
 * Events arrive on any thread, background refresh threads included, never with an
 * iamcore lock held. The hook:
 *   - drops an event below the cached threshold without taking the GIL;
 *   - drops every event once the interpreter is finalizing (taking the GIL then
 *     would end or hang the thread);
 *   - otherwise takes the GIL with PyGILState_Ensure and calls emit; an exception
 *     emit lets escape goes to sys.unraisablehook, never to the token fetch.
 * _log_level_changed() forgets the threshold (logging's level cache was cleared);
 * the next event above nothing computes it again under the GIL. The GIL is
 * released around iam_set_log_hook: it waits for running hook calls, which may
 * be waiting for the GIL.
 */
#include "_native.h"

#include "iamcore_log.h"

#include <stdatomic.h>
#include <string.h>

#define LEVEL_UNKNOWN (-1)

/* Read and written with the GIL held. */
static PyObject *emit_fn;
static PyObject *threshold_fn;
/* The lowest level the logger passes, or LEVEL_UNKNOWN; read without the GIL. */
static atomic_int threshold = LEVEL_UNKNOWN;

static int finalizing(void)
{
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing();
#else
    return _Py_IsFinalizing();
#endif
}

/* With the GIL: ask threshold() again. */
static void refresh_threshold(void)
{
    if (threshold_fn == NULL)
        return;
    PyObject *fn = threshold_fn;
    Py_INCREF(fn);
    PyObject *r = PyObject_CallObject(fn, NULL);
    long level = r ? PyLong_AsLong(r) : -1;
    if (r == NULL || (level == -1 && PyErr_Occurred())) {
        PyErr_WriteUnraisable(fn);
        level = LEVEL_UNKNOWN;
    }
    Py_XDECREF(r);
    Py_DECREF(fn);
    atomic_store(&threshold, level >= 0 && level <= 1000 ? (int)level : LEVEL_UNKNOWN);
}

static PyObject *field_value(const iam_log_field *f)
{
    switch (f->type) {
    case IAM_LOG_FIELD_STRING:
        return PyUnicode_DecodeUTF8(f->string, (Py_ssize_t)strlen(f->string), "replace");
    case IAM_LOG_FIELD_BOOL:
        return PyBool_FromLong(f->integer != 0);
    default:
        return PyLong_FromLongLong((long long)f->integer);
    }
}

/* The event as one line (iam_log_format), as str. */
static PyObject *message_of(const iam_log_event *ev)
{
    char line[1024];
    size_t need = iam_log_format(ev, line, sizeof line);
    if (need < sizeof line)
        return PyUnicode_DecodeUTF8(line, (Py_ssize_t)need, "replace");
    char *big = PyMem_Malloc(need + 1);
    if (big == NULL)
        return PyErr_NoMemory();
    iam_log_format(ev, big, need + 1);
    PyObject *s = PyUnicode_DecodeUTF8(big, (Py_ssize_t)need, "replace");
    PyMem_Free(big);
    return s;
}

/* With the GIL: log the event unless the logger would drop it. */
static void deliver(const iam_log_event *ev)
{
    if (emit_fn == NULL)
        return;
    if (atomic_load(&threshold) == LEVEL_UNKNOWN)
        refresh_threshold();
    int t = atomic_load(&threshold);
    if (t != LEVEL_UNKNOWN && ev->level < t)
        return;
    PyObject *fn = emit_fn; /* our own reference: emit may uninstall the hook */
    Py_INCREF(fn);
    PyObject *fields = PyDict_New(), *message = NULL, *r = NULL;
    int ok = fields != NULL;
    for (size_t i = 0; ok && i < ev->field_count; i++) {
        PyObject *v = field_value(&ev->fields[i]);
        ok = v != NULL && PyDict_SetItemString(fields, ev->fields[i].name, v) == 0;
        Py_XDECREF(v);
    }
    if (ok)
        message = message_of(ev);
    if (message != NULL)
        r = PyObject_CallFunction(fn, "isOO", ev->level, ev->name, message, fields);
    if (r == NULL)
        PyErr_WriteUnraisable(fn);
    Py_XDECREF(r);
    Py_XDECREF(message);
    Py_XDECREF(fields);
    Py_DECREF(fn);
}

static void on_event(const iam_log_event *ev, void *ctx)
{
    (void)ctx;
    int t = atomic_load_explicit(&threshold, memory_order_relaxed);
    if (t != LEVEL_UNKNOWN && ev->level < t)
        return; /* the logger would drop it: no GIL */
    if (finalizing())
        return;
    PyGILState_STATE g = PyGILState_Ensure();
    deliver(ev);
    PyGILState_Release(g);
}

static PyObject *log_install(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *emit, *level;
    if (!PyArg_ParseTuple(args, "OO:_log_install", &emit, &level))
        return NULL;
    if (!PyCallable_Check(emit) || !PyCallable_Check(level)) {
        PyErr_SetString(PyExc_TypeError, "_log_install(emit, threshold) takes two callables");
        return NULL;
    }
    Py_INCREF(emit);
    Py_INCREF(level);
    Py_XSETREF(emit_fn, emit);
    Py_XSETREF(threshold_fn, level);
    atomic_store(&threshold, LEVEL_UNKNOWN);
    iam_status st;
    Py_BEGIN_ALLOW_THREADS
    st = iam_set_log_hook(on_event, NULL);
    Py_END_ALLOW_THREADS
    if (st != IAM_OK)
        return PyErr_NoMemory();
    Py_RETURN_NONE;
}

static PyObject *log_uninstall(PyObject *self, PyObject *ignored)
{
    (void)self;
    (void)ignored;
    Py_BEGIN_ALLOW_THREADS
    iam_set_log_hook(NULL, NULL); /* returns once no call to on_event runs */
    Py_END_ALLOW_THREADS
    Py_CLEAR(emit_fn);
    Py_CLEAR(threshold_fn);
    atomic_store(&threshold, LEVEL_UNKNOWN);
    Py_RETURN_NONE;
}

static PyObject *log_level_changed(PyObject *self, PyObject *ignored)
{
    (void)self;
    (void)ignored;
    atomic_store(&threshold, LEVEL_UNKNOWN);
    Py_RETURN_NONE;
}

static PyMethodDef log_methods[] = {
    {"_log_install", log_install, METH_VARARGS,
     "_log_install(emit, threshold)\n--\n\nRoute the core's events to emit (private: "
     "iamcore._logging)."},
    {"_log_uninstall", log_uninstall, METH_NOARGS,
     "_log_uninstall()\n--\n\nStop routing events; returns once no event is being delivered."},
    {"_log_level_changed", log_level_changed, METH_NOARGS,
     "_log_level_changed()\n--\n\nForget the cached logger level."},
    {NULL, NULL, 0, NULL},
};

int iampy_log_init(PyObject *module)
{
    return PyModule_AddFunctions(module, log_methods);
}
