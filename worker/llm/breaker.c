/* Per-provider circuit breaker; see breaker.h for the state machine. */
#include <pthread.h>

#include "common/err.h"
#include "worker/llm/breaker.h"

enum cv_err
wk_breaker_init(struct wk_breaker *breaker, int threshold, int64_t cooldown_ms)
{
    if (pthread_mutex_init(&breaker->lock, NULL) != 0) {
        return CV_ENOMEM;
    }
    breaker->state = WK_BREAKER_CLOSED;
    breaker->failures = 0;
    breaker->is_trial_busy = 0;
    breaker->opened_ms = 0;
    breaker->threshold = threshold < 1 ? 1 : threshold;
    breaker->cooldown_ms = cooldown_ms < 0 ? 0 : cooldown_ms;
    return CV_OK;
}

void
wk_breaker_cleanup(struct wk_breaker *breaker)
{
    (void)pthread_mutex_destroy(&breaker->lock); /* EBUSY means a call is in flight, which the contract forbids */
}

enum wk_breaker_verdict
wk_breaker_allow(struct wk_breaker *breaker, int64_t now_ms)
{
    enum wk_breaker_verdict verdict = WK_BREAKER_REFUSE;

    pthread_mutex_lock(&breaker->lock);
    switch (breaker->state) {
    case WK_BREAKER_CLOSED:
        verdict = WK_BREAKER_PASS;
        break;
    case WK_BREAKER_OPEN:
        if (now_ms - breaker->opened_ms >= breaker->cooldown_ms) {
            breaker->state = WK_BREAKER_HALF_OPEN;
            breaker->is_trial_busy = 1;
            verdict = WK_BREAKER_TRIAL;
        }
        break;
    case WK_BREAKER_HALF_OPEN:
        if (!breaker->is_trial_busy) {
            breaker->is_trial_busy = 1;
            verdict = WK_BREAKER_TRIAL;
        }
        break;
    }
    pthread_mutex_unlock(&breaker->lock);
    return verdict;
}

enum wk_breaker_state
wk_breaker_record(struct wk_breaker *breaker, enum wk_breaker_verdict verdict, int is_success,
                  int64_t now_ms, enum wk_breaker_state *old_state)
{
    enum wk_breaker_state state;

    pthread_mutex_lock(&breaker->lock);
    if (old_state != NULL) {
        *old_state = breaker->state;
    }

    if (verdict == WK_BREAKER_TRIAL) {
        breaker->is_trial_busy = 0;
        if (is_success) {
            breaker->state = WK_BREAKER_CLOSED;
            breaker->failures = 0;
        } else {
            breaker->state = WK_BREAKER_OPEN;
            breaker->opened_ms = now_ms;
        }
    } else if (breaker->state == WK_BREAKER_CLOSED) {
        /* A call let through while closed; late results after the circuit opened are
         * ignored so they cannot reopen or close it behind the trial's back. */
        if (is_success) {
            breaker->failures = 0;
        } else if (++breaker->failures >= breaker->threshold) {
            breaker->state = WK_BREAKER_OPEN;
            breaker->opened_ms = now_ms;
        }
    }

    state = breaker->state;
    pthread_mutex_unlock(&breaker->lock);
    return state;
}

const char *
wk_breaker_state_name(enum wk_breaker_state state)
{
    switch (state) {
    case WK_BREAKER_CLOSED:
        return "closed";
    case WK_BREAKER_OPEN:
        return "open";
    case WK_BREAKER_HALF_OPEN:
        return "half_open";
    }
    return "unknown";
}
