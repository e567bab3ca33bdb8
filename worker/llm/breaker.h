/*
 * Circuit breaker of one provider, shared by all worker threads. Closed: calls pass
 * and consecutive failures are counted. Open: calls are refused until a cooldown
 * passes. Half-open: one trial call passes; its success closes the circuit and its
 * failure opens it again. Every allowed call must be followed by one wk_breaker_record().
 */
#ifndef WK_LLM_BREAKER_H
#define WK_LLM_BREAKER_H

#include <pthread.h>
#include <stdint.h>

#include "common/err.h"

enum wk_breaker_state {
    WK_BREAKER_CLOSED = 0,
    WK_BREAKER_OPEN,
    WK_BREAKER_HALF_OPEN
};

/* Decision of wk_breaker_allow() for one call. */
enum wk_breaker_verdict {
    WK_BREAKER_PASS = 0,   /* circuit closed: call */
    WK_BREAKER_TRIAL,      /* circuit half-open and this call is its one trial */
    WK_BREAKER_REFUSE      /* circuit open, or a trial is already running */
};

struct wk_breaker {
    pthread_mutex_t        lock;
    enum wk_breaker_state  state;          /* guarded by lock */
    int                    failures;       /* guarded by lock: consecutive, while closed */
    int                    is_trial_busy;  /* guarded by lock: a half-open trial runs */
    int64_t                opened_ms;      /* guarded by lock: monotonic, when it opened */
    int                    threshold;      /* failures that open the circuit, >= 1 */
    int64_t                cooldown_ms;    /* open time before a trial */
};

/* Initialises a closed breaker. Returns CV_OK or CV_ENOMEM (mutex). */
enum cv_err wk_breaker_init(struct wk_breaker *breaker, int threshold, int64_t cooldown_ms);

/* Destroys the mutex. No call may be in flight. */
void wk_breaker_cleanup(struct wk_breaker *breaker);

/* Decides whether a call may go to the provider at now_ms (monotonic). Thread-safe. */
enum wk_breaker_verdict wk_breaker_allow(struct wk_breaker *breaker, int64_t now_ms);

/*
 * Records the outcome of a call that wk_breaker_allow() let through, with the verdict
 * it returned. Returns the state after the call, so the caller can log transitions
 * (compare with the state before via *old_state when non-NULL). Thread-safe.
 */
enum wk_breaker_state wk_breaker_record(struct wk_breaker *breaker,
                                        enum wk_breaker_verdict verdict, int is_success,
                                        int64_t now_ms, enum wk_breaker_state *old_state);

/* Returns "closed", "open" or "half_open". */
const char *wk_breaker_state_name(enum wk_breaker_state state);

#endif
