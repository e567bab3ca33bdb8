/*
 * One step of the chain sent through the providers in order. Each provider gets up to
 * LLM_MAX_RETRIES retries of timeouts, 429 and 5xx with full-jitter backoff, or the
 * longer wait of a Retry-After header. Calls pass its rate limit and circuit breaker
 * first, and a reply that fails the checks gets one repair request. When a provider
 * gives up, the next one is tried. When all have, the step fails with the last
 * provider's error code.
 */
#ifndef WK_LLM_FAILOVER_H
#define WK_LLM_FAILOVER_H

#include <stdint.h>

#include "common/log.h"
#include "worker/evaluation.h"
#include "worker/llm/chat.h"
#include "worker/llm/llm.h"
#include "worker/llm/state.h"
#include "worker/llm/step.h"

/* Calls recorded per step in the provenance; later ones are counted but not listed. */
#define WK_STEP_CALLS_MAX 32

/* One HTTP call of a step. */
struct wk_call_record {
    int              provider;     /* index into llm->providers */
    long             status;       /* HTTP status, 0 = none arrived */
    enum wk_llm_code code;         /* WK_LLM_OK for a 2xx chat completion */
    int64_t          latency_ms;
    int              is_repair;    /* the call was the repair request */
    int              is_valid;     /* the reply passed the checks */
};

/* Provenance of one step. */
struct wk_step_record {
    int                   provider;        /* index whose reply was accepted, -1 = none */
    char                  model[128];      /* as the provider reported it, else configured */
    char                  finish_reason[24];
    int                   attempts;        /* HTTP calls made, over all providers */
    int                   repairs;         /* repair requests sent */
    int64_t               latency_ms;      /* whole step, waits included */
    struct wk_chat_usage  usage;           /* summed over calls that reported it */
    struct wk_call_record calls[WK_STEP_CALLS_MAX];
    int                   call_count;      /* entries of calls used */
};

/*
 * Runs step with the messages rendered in thread->slots[WK_SLOT_SYSTEM] and
 * [WK_SLOT_USER]. On CV_OK the step's fields of out are set. On failure err is filled
 * and the return value is wk_llm_code_err(err->code). record is filled either way.
 * Blocks for calls and backoff, never past deadline_ms (monotonic), and stops within
 * about a second once *job->cancel is non-zero.
 */
enum cv_err wk_failover_run_step(struct wk_llm *llm, struct wk_llm_thread *thread,
                                 enum wk_step step, const struct wk_llm_job *job,
                                 int64_t deadline_ms, struct wk_eval_result *out,
                                 struct wk_step_record *record, struct wk_llm_error *err);

#endif
