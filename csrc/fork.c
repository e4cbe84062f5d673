/*
 * The fork registry: one list of the objects that need care around fork(),
 * walked by the pthread_atfork handlers. fork() copies memory but only the
 * calling thread, so without this a child could inherit a lock held by a
 * thread it does not have (and wait on it forever), or wait for a token fetch
 * no thread of its own is running.
 *
 * The registry lock is process-wide but is taken only when an object is made
 * or destroyed and around fork(), never on a token request.
 */
/* POSIX functions (pthread_atfork, …) under -std=c11. */
#define _GNU_SOURCE
#include "fork.h"

#include <pthread.h>
#include <stdatomic.h>

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static iam_fork_node registry = {&registry, &registry, NULL, NULL, NULL}; /* circular, sentinel */
static atomic_uint generation;

static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;
static int handlers_ok;

static void before_fork(void)
{
    pthread_mutex_lock(&registry_mu);
    for (iam_fork_node *n = registry.next; n != &registry; n = n->next)
        n->prepare(n);
}

static void after_fork_parent(void)
{
    for (iam_fork_node *n = registry.prev; n != &registry; n = n->prev)
        n->parent(n);
    pthread_mutex_unlock(&registry_mu);
}

static void after_fork_child(void)
{
    atomic_fetch_add(&generation, 1);
    for (iam_fork_node *n = registry.next; n != &registry; n = n->next)
        n->child(n);
    /* Taken by before_fork in the thread that is now the child's only one. */
    pthread_mutex_init(&registry_mu, NULL);
}

static void install_handlers(void)
{
    handlers_ok = pthread_atfork(before_fork, after_fork_parent, after_fork_child) == 0;
}

int iam_fork_register(iam_fork_node *n)
{
    pthread_once(&handlers_once, install_handlers);
    if (!handlers_ok) {
        n->prev = n->next = NULL;
        return -1;
    }
    pthread_mutex_lock(&registry_mu);
    n->next = &registry;
    n->prev = registry.prev;
    registry.prev->next = n;
    registry.prev = n;
    pthread_mutex_unlock(&registry_mu);
    return 0;
}

void iam_fork_unregister(iam_fork_node *n)
{
    if (!n->next)
        return;
    pthread_mutex_lock(&registry_mu);
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = NULL;
    pthread_mutex_unlock(&registry_mu);
}

unsigned iam_fork_generation(void)
{
    return atomic_load_explicit(&generation, memory_order_relaxed);
}
