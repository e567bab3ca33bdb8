/* Interval threads: a condition variable wait that a stop request cuts short. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "worker/ticker.h"
#include "worker/sigmask.h"

struct wk_ticker {
    wk_ticker_fn    tick;
    void           *arg;
    int64_t         interval_ms;
    pthread_t       thread;
    pthread_mutex_t mutex;
    pthread_cond_t  wake;       /* CLOCK_MONOTONIC */
    int             is_stopping;   /* guarded by mutex */
};

/* Adds ms to now on CLOCK_MONOTONIC, the clock of the ticker's condition variable. */
static struct timespec
monotonic_after(int64_t ms)
{
    struct timespec at;

    clock_gettime(CLOCK_MONOTONIC, &at);
    at.tv_sec += (time_t)(ms / 1000);
    at.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (at.tv_nsec >= 1000000000L) {
        at.tv_sec++;
        at.tv_nsec -= 1000000000L;
    }
    return at;
}

static void *
ticker_main(void *arg)
{
    struct wk_ticker *ticker = arg;
    struct timespec   at;
    int               is_stopping;

    for (;;) {
        at = monotonic_after(ticker->interval_ms);
        pthread_mutex_lock(&ticker->mutex);
        while (!ticker->is_stopping &&
               pthread_cond_timedwait(&ticker->wake, &ticker->mutex, &at) != ETIMEDOUT) {
            /* woken early without a stop request: keep waiting until at */
        }
        is_stopping = ticker->is_stopping;
        pthread_mutex_unlock(&ticker->mutex);
        if (is_stopping) {
            break;
        }
        ticker->tick(ticker->arg);
    }
    return NULL;
}

enum cv_err
wk_ticker_start(wk_ticker_fn tick, void *arg, int64_t interval_ms, struct wk_ticker **out)
{
    struct wk_ticker  *ticker;
    pthread_condattr_t attr;
    sigset_t           previous;
    int                err;

    *out = NULL;
    ticker = calloc(1, sizeof(*ticker));
    if (ticker == NULL) {
        return CV_ENOMEM;
    }
    ticker->tick = tick;
    ticker->arg = arg;
    ticker->interval_ms = interval_ms;
    if (pthread_mutex_init(&ticker->mutex, NULL) != 0) {
        free(ticker);
        return CV_ENOMEM;
    }
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    err = pthread_cond_init(&ticker->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (err != 0) {
        pthread_mutex_destroy(&ticker->mutex);
        free(ticker);
        return CV_ENOMEM;
    }

    wk_sigmask_block(&previous);
    err = pthread_create(&ticker->thread, NULL, ticker_main, ticker);
    wk_sigmask_restore(&previous);
    if (err != 0) {
        pthread_cond_destroy(&ticker->wake);
        pthread_mutex_destroy(&ticker->mutex);
        free(ticker);
        return CV_ENOMEM;
    }
    *out = ticker;
    return CV_OK;
}

void
wk_ticker_stop(struct wk_ticker *ticker)
{
    if (ticker == NULL) {
        return;
    }
    pthread_mutex_lock(&ticker->mutex);
    ticker->is_stopping = 1;
    pthread_cond_signal(&ticker->wake);
    pthread_mutex_unlock(&ticker->mutex);
    (void)pthread_join(ticker->thread, NULL); /* a joinable thread of ours: cannot fail */
    pthread_cond_destroy(&ticker->wake);
    pthread_mutex_destroy(&ticker->mutex);
    free(ticker);
}
