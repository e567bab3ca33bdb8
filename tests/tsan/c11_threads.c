/*
 * C11 thread functions routed through pthreads, linked only into ThreadSanitizer builds.
 * librdkafka 2.0 creates its threads with glibc's thrd_create(), which GCC 12's TSAN
 * runtime does not intercept: those threads crash in the TSAN allocator, and their
 * mtx_ and cnd_ calls are invisible to it. Defining the functions in the executable
 * interposes them for librdkafka, so TSAN follows every thread and lock. glibc's C11
 * types wrap the pthread ones (mtx_t holds a pthread_mutex_t, cnd_t a pthread_cond_t).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

/* The C11 start routine and its argument, handed to the pthread trampoline. */
struct start {
    thrd_start_t func;
    void        *arg;
};

static int
result(int err)
{
    if (err == 0) {
        return thrd_success;
    }
    if (err == ETIMEDOUT) {
        return thrd_timedout;
    }
    if (err == EBUSY) {
        return thrd_busy;
    }
    return err == ENOMEM ? thrd_nomem : thrd_error;
}

static void *
trampoline(void *raw)
{
    struct start start = *(struct start *)raw;

    free(raw);
    return (void *)(intptr_t)start.func(start.arg);
}

int
thrd_create(thrd_t *thr, thrd_start_t func, void *arg)
{
    struct start *start = malloc(sizeof(*start));
    pthread_t     thread;
    int           err;

    if (start == NULL) {
        return thrd_nomem;
    }
    start->func = func;
    start->arg = arg;
    err = pthread_create(&thread, NULL, trampoline, start);
    if (err != 0) {
        free(start);
        return result(err);
    }
    *thr = (thrd_t)thread;
    return thrd_success;
}

int
thrd_join(thrd_t thr, int *res)
{
    void *value = NULL;
    int   err = pthread_join((pthread_t)thr, &value);

    if (err == 0 && res != NULL) {
        *res = (int)(intptr_t)value;
    }
    return result(err);
}

int
mtx_init(mtx_t *mtx, int type)
{
    pthread_mutexattr_t attr;
    int                 err;

    pthread_mutexattr_init(&attr);
    if ((type & mtx_recursive) != 0) {
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    }
    err = pthread_mutex_init((pthread_mutex_t *)mtx, &attr);
    pthread_mutexattr_destroy(&attr);
    return result(err);
}

int
mtx_lock(mtx_t *mtx)
{
    return result(pthread_mutex_lock((pthread_mutex_t *)mtx));
}

int
mtx_unlock(mtx_t *mtx)
{
    return result(pthread_mutex_unlock((pthread_mutex_t *)mtx));
}

void
mtx_destroy(mtx_t *mtx)
{
    pthread_mutex_destroy((pthread_mutex_t *)mtx);
}

int
cnd_init(cnd_t *cond)
{
    return result(pthread_cond_init((pthread_cond_t *)cond, NULL));
}

int
cnd_signal(cnd_t *cond)
{
    return result(pthread_cond_signal((pthread_cond_t *)cond));
}

int
cnd_broadcast(cnd_t *cond)
{
    return result(pthread_cond_broadcast((pthread_cond_t *)cond));
}

int
cnd_wait(cnd_t *cond, mtx_t *mtx)
{
    return result(pthread_cond_wait((pthread_cond_t *)cond, (pthread_mutex_t *)mtx));
}

int
cnd_timedwait(cnd_t *cond, mtx_t *mtx, const struct timespec *ts)
{
    return result(pthread_cond_timedwait((pthread_cond_t *)cond, (pthread_mutex_t *)mtx, ts));
}

void
cnd_destroy(cnd_t *cond)
{
    pthread_cond_destroy((pthread_cond_t *)cond);
}
