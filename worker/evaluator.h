/*
 * Evaluator dispatch: the job runner requests an evaluation without knowing which
 * backend runs it. The backend is chosen once at startup from EVALUATOR: the built-in
 * deterministic scorer, or the LLM chain. Adding a backend means one struct
 * wk_evaluator_backend and one row in evaluator.c; the job lifecycle does not change.
 */
#ifndef WK_EVALUATOR_H
#define WK_EVALUATOR_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/db.h"
#include "common/err.h"
#include "common/log.h"
#include "worker/evaluation.h"

/* Sizes of the error a backend reports, NUL included. */
#define WK_EVAL_CODE_LEN    48
#define WK_EVAL_MESSAGE_LEN 256

/*
 * Failure detail of an evaluation, beyond its enum cv_err. code is a snake_case error code
 * stored in jobs.error_code ("provider_rejected"); "" lets the job runner choose
 * evaluator_failed. message is one line for jobs.error_message: no document, prompt
 * or completion text, no secrets.
 */
struct wk_eval_error {
    char code[WK_EVAL_CODE_LEN];
    char message[WK_EVAL_MESSAGE_LEN];
};

/* Context of one run passed to the backend besides the input. Everything is borrowed. */
struct wk_eval_run {
    int64_t                 deadline_ms;    /* CLOCK_MONOTONIC ms when the run must end */
    const atomic_int       *cancel;         /* non-zero: stop and return CV_ETIMEOUT */
    void                   *thread_state;   /* from thread_open on this thread */
    struct cv_db           *db;             /* the thread's connection, for retrieval */
    const struct cv_logctx *lc;             /* req_id and job_id for log lines */
};

/*
 * One evaluator implementation. state belongs to the process and is shared by all
 * pool threads, so evaluate must treat it as read-only or guard it. thread_state
 * belongs to one pool thread, which is where the LLM chain keeps its CURL handle.
 */
struct wk_evaluator_backend {
    const char *name;   /* "builtin", "llm": the EVALUATOR value and provenance */

    /* Builds state from cfg, which outlives it. Reports a reason in errbuf. */
    enum cv_err (*open)(const struct cv_config *cfg, void **state, char *errbuf,
                        size_t errbuf_len);
    void (*close)(void *state);

    /* Creates and frees one pool thread's state; either may be NULL when unused. */
    enum cv_err (*thread_open)(void *state, void **thread_state);
    void (*thread_close)(void *state, void *thread_state);

    /*
     * Fills out from in, whose CV and project texts are already cleaned of injection
     * passages; out->suspicious is the dispatcher's and must be left alone. Returns CV_OK, CV_EUNAVAIL or CV_ETIMEOUT when a retry may
     * help (an upstream was down or slow), or another code with err filled in when it
     * will not. out is cleaned up by the caller on every path.
     */
    enum cv_err (*evaluate)(void *state, const struct wk_eval_run *run,
                            const struct wk_eval_input *in, struct wk_eval_result *out,
                            struct wk_eval_error *err);
};

struct wk_evaluator;

/*
 * Chooses the backend from cfg->evaluator ("auto" picks llm when an LLM provider is
 * configured, else builtin) and opens it. Stores a handle the caller frees with
 * wk_evaluator_free() in *out. Returns CV_EINVAL with a reason in errbuf when the
 * choice is unknown or its backend is not part of this build, or the backend's own
 * failure. Call once at startup; cfg must outlive the evaluator.
 */
enum cv_err wk_evaluator_new(const struct cv_config *cfg, struct wk_evaluator **out,
                             char *errbuf, size_t errbuf_len);

/* Closes the backend and frees the handle. NULL is a no-op. */
void wk_evaluator_free(struct wk_evaluator *evaluator);

/* Returns the backend's name; valid while evaluator lives. */
const char *wk_evaluator_name(const struct wk_evaluator *evaluator);

/* Creates the calling pool thread's state into *thread_state (NULL when unused). */
enum cv_err wk_evaluator_thread_open(const struct wk_evaluator *evaluator,
                                     void **thread_state);

/* Frees a state from wk_evaluator_thread_open() on the thread that made it. */
void wk_evaluator_thread_close(const struct wk_evaluator *evaluator, void *thread_state);

/*
 * Scans the CV and project texts for prompt injection (worker/injection.h), runs the
 * backend on the cleaned texts, stores the passages found in out->suspicious, then
 * checks the result with wk_eval_result_validate(): a result with a missing or
 * out-of-range score fails with CV_EUPSTREAM and code "invalid_evaluation", so no
 * backend can store one. Fills err on every failure. Thread-safe; blocks for as long
 * as the backend does, which must end by run->deadline_ms.
 */
enum cv_err wk_evaluator_evaluate(const struct wk_evaluator *evaluator,
                                  const struct wk_eval_run *run,
                                  const struct wk_eval_input *in, struct wk_eval_result *out,
                                  struct wk_eval_error *err);

/* The built-in deterministic scorer, needing no network. */
extern const struct wk_evaluator_backend wk_builtin_backend;

/* The LLM chain over OpenAI-compatible providers (worker/llm/backend.c). */
extern const struct wk_evaluator_backend wk_llm_backend;

#endif
