/*
 * Token bucket limiting the request rate to one provider across all worker threads.
 * A caller reserves a token and gets back how long to wait for it. The sleep happens
 * outside the lock, and reservations queue in arrival order, so a burst of threads is
 * spread over time instead of all waking at once.
 */
#ifndef WK_LLM_RATELIMIT_H
#define WK_LLM_RATELIMIT_H

#include <pthread.h>
#include <stdint.h>

#include "common/err.h"

struct wk_ratelimit {
    pthread_mutex_t lock;
    double          rate_per_ms;   /* tokens added per millisecond, 0 = unlimited */
    double          burst;         /* maximum tokens in the bucket */
    double          tokens;        /* guarded by lock; negative = reserved ahead */
    int64_t         updated_ms;    /* guarded by lock: monotonic time of tokens */
};

/*
 * Initialises a full bucket for rate_per_s requests per second (0 = unlimited). The
 * burst is one second's worth, at least one request. Returns CV_OK or CV_ENOMEM.
 */
enum cv_err wk_ratelimit_init(struct wk_ratelimit *limit, long rate_per_s, int64_t now_ms);

/* Destroys the mutex. No call may be in flight. */
void wk_ratelimit_cleanup(struct wk_ratelimit *limit);

/*
 * Reserves one token at now_ms (monotonic) and stores in *wait_ms how long the caller
 * must sleep before sending. When the wait would exceed max_wait_ms nothing is reserved
 * and CV_ETIMEOUT is returned, with the wait that would have been needed in *wait_ms.
 * Thread-safe. Blocks only on the internal lock, held for a few instructions.
 */
enum cv_err wk_ratelimit_reserve(struct wk_ratelimit *limit, int64_t now_ms,
                                 int64_t max_wait_ms, int64_t *wait_ms);

#endif
