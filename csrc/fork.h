/* Surviving fork(): objects whose locks or in-flight state must be put right
 * in a child process register here (docs/reliability.md, "fork"). */
#ifndef IAMCORE_FORK_H
#define IAMCORE_FORK_H

/*
 * A registered object. Around every fork() (pthread_atfork), with the registry
 * locked:
 *
 *   prepare  in the forking thread, before the fork: take the object's locks,
 *            so no other thread is inside its critical sections when the
 *            address space is copied (called in registration order)
 *   parent   in the parent, after the fork: release them (reverse order)
 *   child    in the child, which has only the forking thread: make the locks
 *            new and forget what the other threads were doing (registration
 *            order)
 *
 * Rules for the callbacks: a lock taken in `prepare` is never held by a thread
 * that then waits for another registered object's lock or for the registry;
 * `child` must not block and must not call iam_fork_register/unregister.
 */
typedef struct iam_fork_node {
    struct iam_fork_node *prev, *next;
    void (*prepare)(struct iam_fork_node *n);
    void (*parent)(struct iam_fork_node *n);
    void (*child)(struct iam_fork_node *n);
} iam_fork_node;

/* Add n (its three callbacks set). Installs the atfork handlers on first use;
 * 0 on success, -1 if they could not be installed (n is then not added and the
 * object simply gets no fork care). */
int iam_fork_register(iam_fork_node *n);

/* Remove n; harmless for a node that was never added. */
void iam_fork_unregister(iam_fork_node *n);

/* How many fork()s separate this process from the one that loaded iamcore (0
 * there). An object that records it can tell, later, that it was inherited. */
unsigned iam_fork_generation(void);

#endif
