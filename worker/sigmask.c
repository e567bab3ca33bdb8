/* Blocking the shutdown signals around thread creation. */
#include <pthread.h>

#include "worker/sigmask.h"

void
wk_sigmask_block(sigset_t *previous)
{
    sigset_t blocked;

    sigemptyset(&blocked);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGINT);
    sigaddset(&blocked, SIGPIPE);
    (void)pthread_sigmask(SIG_BLOCK, &blocked, previous); /* fails only for a bad how */
}

void
wk_sigmask_restore(const sigset_t *previous)
{
    (void)pthread_sigmask(SIG_SETMASK, previous, NULL); /* fails only for a bad how */
}
