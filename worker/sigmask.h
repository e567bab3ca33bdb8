/*
 * Signal masks for thread creation: threads started between wk_sigmask_block() and
 * wk_sigmask_restore() inherit a mask without SIGTERM, SIGINT and SIGPIPE, so those
 * signals always reach the main thread, which drains the worker.
 */
#ifndef WK_SIGMASK_H
#define WK_SIGMASK_H

#include <signal.h>

/* Blocks SIGTERM, SIGINT and SIGPIPE on the calling thread; saves the old mask. */
void wk_sigmask_block(sigset_t *previous);

/* Restores the mask saved by wk_sigmask_block(). */
void wk_sigmask_restore(const sigset_t *previous);

#endif
