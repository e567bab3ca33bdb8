/* Token bucket shared by threads; see ratelimit.h. */
#include <math.h>
#include <pthread.h>

#include "worker/llm/ratelimit.h"

enum cv_err
wk_ratelimit_init(struct wk_ratelimit *limit, long rate_per_s, int64_t now_ms)
{
    if (pthread_mutex_init(&limit->lock, NULL) != 0) {
        return CV_ENOMEM;
    }
    limit->rate_per_ms = rate_per_s > 0 ? (double)rate_per_s / 1000.0 : 0.0;
    limit->burst = rate_per_s > 1 ? (double)rate_per_s : 1.0;
    limit->tokens = limit->burst;
    limit->updated_ms = now_ms;
    return CV_OK;
}

void
wk_ratelimit_cleanup(struct wk_ratelimit *limit)
{
    (void)pthread_mutex_destroy(&limit->lock); /* EBUSY means a call is in flight, which the contract forbids */
}

enum cv_err
wk_ratelimit_reserve(struct wk_ratelimit *limit, int64_t now_ms, int64_t max_wait_ms,
                     int64_t *wait_ms)
{
    double      tokens;
    enum cv_err rc = CV_OK;

    *wait_ms = 0;
    if (limit->rate_per_ms <= 0.0) {
        return CV_OK;
    }

    pthread_mutex_lock(&limit->lock);
    tokens = limit->tokens;
    if (now_ms > limit->updated_ms) {
        tokens += (double)(now_ms - limit->updated_ms) * limit->rate_per_ms;
        if (tokens > limit->burst) {
            tokens = limit->burst;
        }
    }

    /* Taking the token may leave the bucket in debt; the debt is the wait. */
    tokens -= 1.0;
    if (tokens < 0.0) {
        *wait_ms = (int64_t)ceil(-tokens / limit->rate_per_ms);
    }
    if (*wait_ms > max_wait_ms) {
        rc = CV_ETIMEOUT;
    } else {
        limit->tokens = tokens;
        if (now_ms > limit->updated_ms) {
            limit->updated_ms = now_ms;
        }
    }
    pthread_mutex_unlock(&limit->lock);
    return rc;
}
