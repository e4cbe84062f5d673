/*
 * Work that may wait on the network (token fetches, AWS credential resolution) runs
 * on a thread of its own, and its result comes back to the environment's thread
 * through a thread-safe function — not on libuv's threadpool. The pool is the wrong
 * place for it: process.exit() joins the pool's threads, and a worker being
 * terminated waits for its pool work, so a token request in flight there held
 * both for up to its timeout (30 s by default); four slow requests would also take
 * the whole pool from fs, dns and crypto.
 *
 * Lifetime: a job is shared by its thread, the item queued to the thread-safe
 * function, and that function's finalizer (reference counted). complete() is
 * called exactly once: on the environment's thread with its env, or with env NULL
 * when the environment went away first (then it only frees; it may run on the
 * job's thread). After the finalizer ran (`closed`) the thread never touches the
 * thread-safe function again: Node deletes it when its environment is torn down,
 * whoever still holds it.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "addon.h"

typedef struct job {
    pthread_mutex_t mu;
    int closed;    /* the finalizer ran: the thread-safe function is gone */
    int delivered; /* complete() was called from the queue (env or teardown) */
    atomic_int refs;
    napi_threadsafe_function tsfn;
    iamnode_execute_fn execute;
    iamnode_complete_fn complete;
    iamnode_abandon_fn abandon;
    void *data;
} job;

static void job_release(job *j)
{
    if (atomic_fetch_sub(&j->refs, 1) == 1) {
        pthread_mutex_destroy(&j->mu);
        free(j);
    }
}

/* The environment's thread, or the teardown emptying the queue (env NULL). */
static void deliver(napi_env env, napi_value js_cb, void *context, void *item)
{
    job *j = context;
    (void)js_cb;
    (void)item;
    j->delivered = 1;
    j->complete(env, j->data);
    job_release(j); /* the queued item's reference */
}

static void finalize(napi_env env, void *finalize_data, void *hint)
{
    job *j = finalize_data;
    (void)hint;
    pthread_mutex_lock(&j->mu);
    j->closed = 1;
    pthread_mutex_unlock(&j->mu);
    /* Torn down before the result came: the references in data belong to this
     * environment and can only be deleted now (the thread frees the rest). */
    if (!j->delivered && j->abandon != NULL && env != NULL) j->abandon(env, j->data);
    job_release(j);
}

static void *job_thread(void *arg)
{
    job *j = arg;
    int queued = 0;
    j->execute(j->data);
    pthread_mutex_lock(&j->mu);
    if (!j->closed) {
        atomic_fetch_add(&j->refs, 1); /* for the queued item */
        queued = napi_call_threadsafe_function(j->tsfn, NULL, napi_tsfn_nonblocking) == napi_ok;
        if (!queued) atomic_fetch_sub(&j->refs, 1);
        napi_release_threadsafe_function(j->tsfn, napi_tsfn_release);
    }
    pthread_mutex_unlock(&j->mu);
    if (!queued) j->complete(NULL, j->data); /* the environment is gone: free only */
    job_release(j);
    return NULL;
}

napi_status iamnode_run_off_thread(napi_env env, const char *name, iamnode_execute_fn execute,
                                   iamnode_complete_fn complete, iamnode_abandon_fn abandon,
                                   void *data)
{
    napi_value resource_name;
    pthread_attr_t attr;
    pthread_t tid;
    job *j = calloc(1, sizeof *j);
    if (j == NULL) return napi_generic_failure;
    if (pthread_mutex_init(&j->mu, NULL) != 0) {
        free(j);
        return napi_generic_failure;
    }
    atomic_init(&j->refs, 2); /* the thread's and the finalizer's */
    j->execute = execute;
    j->complete = complete;
    j->abandon = abandon;
    j->data = data;
    napi_status st = napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource_name);
    if (st == napi_ok) {
        st = napi_create_threadsafe_function(env, NULL, NULL, resource_name, 0, 1, j, finalize, j,
                                             deliver, &j->tsfn);
    }
    if (st != napi_ok) {
        pthread_mutex_destroy(&j->mu);
        free(j);
        return st;
    }
    int started = pthread_attr_init(&attr) == 0;
    if (started) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        started = pthread_create(&tid, &attr, job_thread, j) == 0;
        pthread_attr_destroy(&attr);
    }
    if (!started) {
        /* No thread: nothing was run; the finalizer frees the job. */
        job_release(j);
        napi_release_threadsafe_function(j->tsfn, napi_tsfn_abort);
        return napi_generic_failure;
    }
    return napi_ok;
}
