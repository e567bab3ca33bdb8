/*
 * The LLM chain as an evaluator backend of worker/evaluator.h. Provider failures are
 * reported as final, because the chain has already retried each call with backoff and
 * tried every provider. A new run of the job would repeat the same calls and turn the
 * precise code (upstream_timeout, ...) into attempts_exhausted. Database failures
 * during retrieval stay retryable, like every other database failure of a job.
 */
#include <stdio.h>
#include <string.h>

#include "worker/evaluator.h"
#include "worker/llm/llm.h"

static enum cv_err
llm_open(const struct cv_config *cfg, void **state, char *errbuf, size_t errbuf_len)
{
    struct wk_llm *llm = NULL;
    enum cv_err    rc;

    rc = wk_llm_new(cfg, &llm, errbuf, errbuf_len);
    if (rc != CV_OK) {
        return rc;
    }
    cv_log_info(NULL, "llm.start", "providers=%d prompt_version=%s",
                cv_config_llm_count(cfg), wk_llm_prompt_version(llm));
    *state = llm;
    return CV_OK;
}

static void
llm_close(void *state)
{
    wk_llm_free(state);
}

static enum cv_err
llm_thread_open(void *state, void **thread_state)
{
    *thread_state = wk_llm_thread_new(state);
    return *thread_state != NULL ? CV_OK : CV_ENOMEM;
}

static void
llm_thread_close(void *state, void *thread_state)
{
    (void)state;
    wk_llm_thread_free(thread_state);
}

/* Copies src into dst of dst_len bytes, ending a cut copy with "...". */
static void
copy_message(char *dst, size_t dst_len, const char *src)
{
    size_t len = strlen(src);

    if (len < dst_len) {
        memcpy(dst, src, len + 1);
        return;
    }
    memcpy(dst, src, dst_len - 4);
    memcpy(dst + dst_len - 4, "...", 4);
}

static enum cv_err
llm_evaluate(void *state, const struct wk_eval_run *run, const struct wk_eval_input *in,
             struct wk_eval_result *out, struct wk_eval_error *err)
{
    struct wk_llm_job   job;
    struct wk_llm_error llm_err;
    enum cv_err         rc;

    job.in = in;
    job.lc = run->lc;
    job.deadline_ms = run->deadline_ms;
    job.cancel = run->cancel;
    rc = wk_llm_evaluate(state, run->thread_state, run->db, &job, out, &llm_err);
    if (rc == CV_OK) {
        return CV_OK;
    }

    (void)snprintf(err->code, sizeof(err->code), "%s", wk_llm_code_name(llm_err.code));
    copy_message(err->message, sizeof(err->message), llm_err.message);
    switch (llm_err.code) {
    case WK_LLM_DATABASE_UNAVAILABLE:
    case WK_LLM_CANCELLED:
        return rc;
    case WK_LLM_INTERNAL:
        return rc == CV_ENOMEM ? CV_ENOMEM : CV_EINTERNAL;
    default:
        return CV_EUPSTREAM;
    }
}

const struct wk_evaluator_backend wk_llm_backend = {
    .name = "llm",
    .open = llm_open,
    .close = llm_close,
    .thread_open = llm_thread_open,
    .thread_close = llm_thread_close,
    .evaluate = llm_evaluate,
};
