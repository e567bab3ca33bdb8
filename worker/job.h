/*
 * One run of one job: claim, load, evaluate, store. wk_job_decide() is the only place
 * that turns an enum cv_err into what happens to the job (complete, retry, fail or
 * leave it alone), so every failure path ends in a known state with a precise code.
 */
#ifndef WK_JOB_H
#define WK_JOB_H

#include <stdatomic.h>
#include <stdint.h>

#include "common/config.h"
#include "common/db.h"
#include "common/err.h"
#include "worker/evaluator.h"
#include "worker/metrics.h"
#include "worker/store.h"
#include "worker/task.h"

/* The step of a run that produced an outcome. */
enum wk_job_step {
    WK_JOB_STEP_LOAD = 0,
    WK_JOB_STEP_EVALUATE,
    WK_JOB_STEP_STORE
};

enum wk_job_action {
    WK_JOB_ACTION_COMPLETE = 0,   /* store the result, status completed */
    WK_JOB_ACTION_RETRY,          /* status queued, attempts kept, for another run */
    WK_JOB_ACTION_FAIL,           /* status failed with error_code */
    WK_JOB_ACTION_LEAVE           /* write nothing: the row is someone else's now */
};

struct wk_job_decision {
    enum wk_job_action action;
    const char        *error_code;   /* static or detail_code; NULL unless FAIL or RETRY */
};

/*
 * Maps how a step ended to what happens to the job. rc is the step's result and
 * attempts counts runs including this one. is_deadline_passed is set when
 * JOB_DEADLINE_MS ran out, is_cancelled when the run was released or lost its claim. detail is the
 * missing part from wk_store_load() after a LOAD step, or the evaluator's own error
 * code after an EVALUATE step ("" or NULL for none). Pure: unit-tested.
 */
struct wk_job_decision wk_job_decide(enum wk_job_step step, enum cv_err rc, int attempts,
                                     long max_attempts, int is_deadline_passed,
                                     int is_cancelled, const char *detail);

/* Resources a pool thread lends a run, all borrowed for the run's duration. */
struct wk_job_env {
    const struct cv_config    *cfg;
    struct cv_db              *db;                  /* the thread's own connection */
    const struct wk_evaluator *evaluator;
    void                      *eval_thread_state;   /* the thread's evaluator state */
    struct wk_metrics         *metrics;
    const char                *worker_id;
    const atomic_int          *cancel;              /* non-zero: stop, leave the row */

    /* Called once the job is claimed, so the heartbeat covers it. */
    void (*on_claim)(void *arg, const struct wk_claim *claim, int64_t deadline_ms);
    void *on_claim_arg;
};

/*
 * Runs task to its end and returns how it ended. A WK_TASK_STRANDED task gets the
 * claimed job's id written into task->job_id. Logs one line per step with the job id,
 * request id, attempt and duration; never document text. Blocks for the whole run.
 */
enum wk_job_outcome wk_job_run(const struct wk_job_env *env, struct wk_task *task);

#endif
