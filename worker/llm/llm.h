/*
 * The LLM evaluator: a chain of three chat-completion calls (CV scores, project
 * scores, overall summary), grounded by passages retrieved from the knowledge base in
 * PostgreSQL. The calls go to the configured OpenAI-compatible providers in order,
 * with retries, a circuit breaker and a rate limit per provider. Every reply is checked
 * strictly and may get one repair request. The caller chooses between this evaluator
 * and the built-in scorer, which is used when no provider is configured.
 *
 * One struct wk_llm per process, created before the worker threads start; one
 * struct wk_llm_thread per worker thread, which owns that thread's libcurl handle.
 */
#ifndef WK_LLM_H
#define WK_LLM_H

#include <stdatomic.h>
#include <stdint.h>

#include "common/config.h"
#include "common/db.h"
#include "common/err.h"
#include "common/log.h"
#include "worker/evaluation.h"
#include "worker/llm/failure.h"

struct wk_llm;
struct wk_llm_thread;

/* Maximum failure message length, NUL included. */
#define WK_LLM_MESSAGE_LEN 512

/* Failure of an evaluation, for jobs.error_code and jobs.error_message. */
struct wk_llm_error {
    enum wk_llm_code code;                        /* WK_LLM_OK when nothing failed */
    char             message[WK_LLM_MESSAGE_LEN]; /* lower case, no key, no document text */
    int              is_retryable;                /* a later run of the job may succeed */
};

/* Run context of one evaluation besides the documents. */
struct wk_llm_job {
    const struct wk_eval_input *in;           /* borrowed */
    const struct cv_logctx     *lc;           /* borrowed, ids for log lines */
    int64_t                     deadline_ms;  /* monotonic; every call ends before it */
    const atomic_int           *cancel;       /* borrowed; non-zero stops the run, NULL = none */
};

/*
 * Creates the process-wide evaluator from cfg: loads and checks the prompt templates
 * of PROMPTS_DIR and sets up each configured provider. cfg must outlive the result.
 * Call after curl_global_init() and before any worker thread uses it. Returns CV_OK
 * with *out set; CV_EINVAL or CV_ENOTFOUND with a message in errbuf (bad provider
 * URL, missing or broken prompt file); CV_ENOMEM. Free with wk_llm_free().
 */
enum cv_err wk_llm_new(const struct cv_config *cfg, struct wk_llm **out, char *errbuf,
                       size_t errbuf_len);

/* Frees the evaluator. No thread may be using it. NULL is a no-op. */
void wk_llm_free(struct wk_llm *llm);

/* Returns the active prompt version ("v1"), valid as long as llm. */
const char *wk_llm_prompt_version(const struct wk_llm *llm);

/*
 * Creates the state of one worker thread: a libcurl handle (kept for the thread's life
 * so connections to providers are reused), request headers and reusable buffers.
 * Returns NULL on ENOMEM. Free with wk_llm_thread_free() on the same thread or after
 * it ended.
 */
struct wk_llm_thread *wk_llm_thread_new(struct wk_llm *llm);

/* Frees the thread state and closes its connections. NULL is a no-op. */
void wk_llm_thread_free(struct wk_llm_thread *thread);

/*
 * Evaluates job->in with the provider chain, using db (the calling thread's
 * connection) for retrieval. in->cv_text and in->project_text are sent as delimited,
 * untrusted data; the caller passes them already cleaned of detected injection
 * passages and stores what was found in out->suspicious (left untouched here).
 *
 * On CV_OK out contains every score, reason and text, validated, and out->provenance
 * records how it was made (replacing any earlier one). On failure out's scores and
 * texts are unset, err contains the reason (err->code is the job error code), and the
 * return value is wk_llm_code_err(err->code). Blocks for network calls and backoff,
 * never past job->deadline_ms, and stops within about a second once *job->cancel is
 * set. Thread-safe for distinct thread states; llm is shared.
 */
enum cv_err wk_llm_evaluate(struct wk_llm *llm, struct wk_llm_thread *thread,
                            struct cv_db *db, const struct wk_llm_job *job,
                            struct wk_eval_result *out, struct wk_llm_error *err);

#endif
