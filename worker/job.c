/* The life of one job run, and the one mapping from step results to job outcomes. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/clock.h"
#include "common/log.h"
#include "worker/job.h"

/* Maximum size of a jobs.error_message written, NUL included. */
#define ERROR_MESSAGE_LEN 512

static const char *const outcome_names[WK_JOB_OUTCOME_COUNT] = {
    "completed", "failed", "retried", "skipped", "idle", "fence_lost", "abandoned"};

const char *
wk_job_outcome_name(enum wk_job_outcome outcome)
{
    if ((size_t)outcome >= WK_JOB_OUTCOME_COUNT) {
        return "unknown";
    }
    return outcome_names[outcome];
}

static int
is_retryable(enum cv_err rc)
{
    return rc == CV_EUNAVAIL || rc == CV_ETIMEOUT;
}

/* The code recorded for a retryable failure, naming what was down or slow. */
static const char *
retry_code(enum wk_job_step step, enum cv_err rc, const char *detail)
{
    if (step == WK_JOB_STEP_EVALUATE) {
        if (detail != NULL && detail[0] != '\0') {
            return detail;
        }
        return rc == CV_ETIMEOUT ? "evaluator_timeout" : "evaluator_unavailable";
    }
    return rc == CV_ETIMEOUT ? "database_timeout" : "database_unavailable";
}

struct wk_job_decision
wk_job_decide(enum wk_job_step step, enum cv_err rc, int attempts, long max_attempts,
              int is_deadline_passed, int is_cancelled, const char *detail)
{
    struct wk_job_decision decision = {WK_JOB_ACTION_LEAVE, NULL};

    /* A released or taken-over run must not touch the row: it belongs to another. */
    if (is_cancelled) {
        return decision;
    }
    if (is_deadline_passed) {
        decision.action = WK_JOB_ACTION_FAIL;
        decision.error_code = "deadline_exceeded";
        return decision;
    }
    if (rc == CV_OK) {
        decision.action = WK_JOB_ACTION_COMPLETE;
        return decision;
    }
    if (is_retryable(rc)) {
        decision.error_code = retry_code(step, rc, detail);
        decision.action = WK_JOB_ACTION_RETRY;
        if (attempts >= max_attempts) {
            decision.action = WK_JOB_ACTION_FAIL;
            decision.error_code = "attempts_exhausted";
        }
        return decision;
    }

    decision.action = WK_JOB_ACTION_FAIL;
    switch (step) {
    case WK_JOB_STEP_LOAD:
        if (rc != CV_ENOTFOUND) {
            decision.error_code = "load_failed";
        } else if (detail != NULL && strcmp(detail, "job") == 0) {
            /* The row vanished under the claim: nothing is left to mark. */
            decision.action = WK_JOB_ACTION_LEAVE;
        } else if (detail != NULL && strncmp(detail, "default ", 8) == 0) {
            decision.error_code = "kb_missing";
        } else {
            decision.error_code = "upload_missing";
        }
        break;
    case WK_JOB_STEP_EVALUATE:
        decision.error_code =
            detail != NULL && detail[0] != '\0' ? detail : "evaluator_failed";
        break;
    case WK_JOB_STEP_STORE:
        decision.error_code = "store_failed";
        break;
    }
    return decision;
}

/* Everything one run carries between its steps. */
struct run {
    const struct wk_job_env *env;
    struct wk_task          *task;
    struct wk_claim          claim;
    struct cv_logctx         lc;
    int64_t                  start_ms;      /* CLOCK_MONOTONIC, at claim */
    int64_t                  deadline_ms;   /* CLOCK_MONOTONIC */
    char                     error_code[WK_EVAL_CODE_LEN];   /* set when failed or retried */
};

static int64_t
elapsed_ms(const struct run *run)
{
    return cv_clock_mono_ms() - run->start_ms;
}

/*
 * Claims the task's job. Returns 1 when claimed; otherwise logs why not and stores the
 * outcome in *outcome.
 */
static int
claim(struct run *run, enum wk_job_outcome *outcome)
{
    const struct wk_job_env *env = run->env;
    struct wk_task          *task = run->task;
    char                     status[32];
    long                     queued_ms = 0;
    int                      is_claimed = 0;
    enum cv_err              rc;

    if (task->source == WK_TASK_STRANDED) {
        rc = wk_store_claim_stranded(env->db, env->cfg->job_requeue_after_ms, env->worker_id,
                                     &run->claim, &is_claimed, &queued_ms);
    } else {
        rc = wk_store_claim(env->db, task->job_id, env->worker_id, &run->claim, &is_claimed,
                            status, sizeof(status));
    }
    if (rc != CV_OK) {
        /* The job stays queued, so the sweeper runs it once the database is back. */
        cv_log_warn(&run->lc, "job.claim", rc, cv_db_errmsg(env->db), "source=%s",
                    task->source == WK_TASK_STRANDED ? "stranded" : "message");
        *outcome = WK_JOB_ABANDONED;
        return 0;
    }
    if (!is_claimed && task->source == WK_TASK_STRANDED) {
        *outcome = WK_JOB_IDLE;
        return 0;
    }
    if (!is_claimed) {
        cv_log_info(&run->lc, "job.skip", "status=%s partition=%d offset=%lld", status,
                    (int)task->partition, (long long)task->offset);
        *outcome = WK_JOB_SKIPPED;
        return 0;
    }

    run->start_ms = cv_clock_mono_ms();
    run->deadline_ms = run->start_ms + env->cfg->job_deadline_ms;
    (void)snprintf(task->job_id, sizeof(task->job_id), "%s", run->claim.job_id);
    if (task->request_id[0] == '\0') {
        (void)snprintf(task->request_id, sizeof(task->request_id), "%s",
                       run->claim.request_id);
    }
    run->lc.job_id = task->job_id;
    run->lc.req_id = task->request_id[0] != '\0' ? task->request_id : NULL;
    if (env->on_claim != NULL) {
        env->on_claim(env->on_claim_arg, &run->claim, run->deadline_ms);
    }
    if (task->source == WK_TASK_STRANDED) {
        cv_log_info(&run->lc, "job.recover", "reason=stranded queued_ms=%ld attempt=%d",
                    queued_ms, run->claim.attempts);
        wk_metrics_count_recovery(env->metrics, WK_RECOVERY_STRANDED);
        cv_log_info(&run->lc, "job.claim", "attempt=%d source=stranded",
                    run->claim.attempts);
    } else {
        cv_log_info(&run->lc, "job.claim", "attempt=%d source=message partition=%d offset=%lld",
                    run->claim.attempts, (int)task->partition, (long long)task->offset);
    }
    return 1;
}

/* Carries out a RETRY, FAIL or LEAVE decision and returns the run's outcome. */
static enum wk_job_outcome
settle(struct run *run, struct wk_job_decision decision, enum cv_err cause,
       const char *message)
{
    const struct wk_job_env *env = run->env;
    char                     text[ERROR_MESSAGE_LEN];
    int                      is_fenced = 0;
    enum cv_err              rc;

    if (decision.action == WK_JOB_ACTION_LEAVE) {
        cv_log_info(&run->lc, "job.cancel", "attempt=%d dur_ms=%lld", run->claim.attempts,
                    (long long)elapsed_ms(run));
        return WK_JOB_FENCE_LOST;
    }

    (void)snprintf(run->error_code, sizeof(run->error_code), "%s", decision.error_code);
    if (decision.action == WK_JOB_ACTION_RETRY) {
        rc = wk_store_retry(env->db, &run->claim, &is_fenced);
        if (rc == CV_OK && is_fenced) {
            cv_log_warn(&run->lc, "job.retry", cause, message,
                        "attempt=%d error_code=%s dur_ms=%lld", run->claim.attempts,
                        decision.error_code, (long long)elapsed_ms(run));
            return WK_JOB_RETRIED;
        }
    } else {
        if (strcmp(decision.error_code, "attempts_exhausted") == 0) {
            (void)snprintf(text, sizeof(text), "gave up after %d attempts: %s",
                           run->claim.attempts, message);
        } else {
            (void)snprintf(text, sizeof(text), "%s", message);
        }
        rc = wk_store_fail(env->db, &run->claim, decision.error_code, text, &is_fenced);
        if (rc == CV_OK && is_fenced) {
            cv_log_error(&run->lc, "job.fail", cause, text,
                         "attempt=%d error_code=%s dur_ms=%lld", run->claim.attempts,
                         decision.error_code, (long long)elapsed_ms(run));
            return WK_JOB_FAILED;
        }
    }

    if (rc == CV_OK) {
        cv_log_warn(&run->lc, "job.fence_lost", CV_ECONFLICT,
                    "claim was taken over before the outcome was written",
                    "attempt=%d dur_ms=%lld", run->claim.attempts,
                    (long long)elapsed_ms(run));
        return WK_JOB_FENCE_LOST;
    }
    /* The row keeps this run's claim; once the heartbeat stops the sweeper recovers it. */
    cv_log_error(&run->lc, "job.abandon", rc, cv_db_errmsg(env->db),
                 "attempt=%d intended=%s error_code=%s", run->claim.attempts,
                 decision.action == WK_JOB_ACTION_RETRY ? "retry" : "fail", decision.error_code);
    return WK_JOB_ABANDONED;
}

/* Adds how the run went to the result's provenance, keeping what the evaluator set. */
static void
add_provenance(const struct run *run, cJSON *doc, int64_t evaluate_ms)
{
    cJSON *provenance = cJSON_GetObjectItemCaseSensitive(doc, "provenance");

    if (!cJSON_IsObject(provenance)) {
        cJSON_DeleteItemFromObjectCaseSensitive(doc, "provenance");
        provenance = cJSON_AddObjectToObject(doc, "provenance");
        if (provenance == NULL) {
            return;
        }
    }
    if (!cJSON_HasObjectItem(provenance, "evaluator")) {
        (void)cJSON_AddStringToObject(provenance, "evaluator",
                                      wk_evaluator_name(run->env->evaluator));
    }
    /* A failed add leaves provenance shorter, never the result wrong. */
    (void)cJSON_AddNumberToObject(provenance, "attempt", run->claim.attempts);
    (void)cJSON_AddStringToObject(provenance, "worker_id", run->env->worker_id);
    (void)cJSON_AddNumberToObject(provenance, "evaluate_ms", (double)evaluate_ms);
}

/* Serialises result for results.result; NULL on ENOMEM. The caller frees with free(). */
static char *
result_json(const struct run *run, const struct wk_eval_result *result, int64_t evaluate_ms)
{
    cJSON *doc;
    char  *text;

    doc = wk_eval_result_to_json(result);
    if (doc == NULL) {
        return NULL;
    }
    add_provenance(run, doc, evaluate_ms);
    text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return text;
}

static int
is_cancelled(const struct run *run)
{
    return run->env->cancel != NULL && atomic_load(run->env->cancel) != 0;
}

/* Evaluates and stores; returns the outcome. texts are loaded already. */
static enum wk_job_outcome
evaluate_and_store(struct run *run, const struct wk_job_texts *texts)
{
    const struct wk_job_env *env = run->env;
    struct wk_eval_input     input;
    struct wk_eval_result    result;
    struct wk_eval_error     eval_err;
    struct wk_eval_run       eval_run;
    struct wk_job_decision   decision;
    enum wk_job_outcome      outcome;
    char                    *json = NULL;
    int64_t                  evaluate_start;
    int64_t                  evaluate_ms;
    int                      is_fenced = 0;
    int                      is_late;
    enum cv_err              rc;

    memset(&result, 0, sizeof(result));
    input.job_id = run->claim.job_id;
    input.cv_text = texts->cv_text;
    input.project_text = texts->project_text;
    input.job_title = texts->job_title;
    input.job_description = texts->job_description;
    input.case_study_brief = texts->case_study_brief;
    input.scoring_rubric = texts->scoring_rubric;
    eval_run.deadline_ms = run->deadline_ms;
    eval_run.cancel = env->cancel;
    eval_run.thread_state = env->eval_thread_state;
    eval_run.db = env->db;
    eval_run.lc = &run->lc;

    evaluate_start = cv_clock_mono_ms();
    rc = wk_evaluator_evaluate(env->evaluator, &eval_run, &input, &result, &eval_err);
    evaluate_ms = cv_clock_mono_ms() - evaluate_start;
    is_late = cv_clock_mono_ms() > run->deadline_ms;
    cv_log_info(&run->lc, "job.evaluate", "attempt=%d evaluator=%s ok=%d dur_ms=%lld",
                run->claim.attempts, wk_evaluator_name(env->evaluator), rc == CV_OK,
                (long long)evaluate_ms);
    decision = wk_job_decide(WK_JOB_STEP_EVALUATE, rc, run->claim.attempts,
                             env->cfg->job_max_attempts, is_late, is_cancelled(run),
                             eval_err.code);
    if (decision.action != WK_JOB_ACTION_COMPLETE) {
        if (is_late) {
            (void)snprintf(eval_err.message, sizeof(eval_err.message),
                           "run took more than JOB_DEADLINE_MS (%ld ms)",
                           env->cfg->job_deadline_ms);
        }
        outcome = settle(run, decision, is_late ? CV_ETIMEOUT : rc, eval_err.message);
        goto out;
    }

    json = result_json(run, &result, evaluate_ms);
    rc = json != NULL ? wk_store_complete(env->db, &run->claim, json, &is_fenced) : CV_ENOMEM;
    if (rc == CV_OK && is_fenced) {
        cv_log_info(&run->lc, "job.complete", "attempt=%d dur_ms=%lld", run->claim.attempts,
                    (long long)elapsed_ms(run));
        outcome = WK_JOB_COMPLETED;
        goto out;
    }
    if (rc == CV_OK) {
        cv_log_warn(&run->lc, "job.fence_lost", CV_ECONFLICT,
                    "claim was taken over before the result was stored; rolled back",
                    "attempt=%d dur_ms=%lld", run->claim.attempts, (long long)elapsed_ms(run));
        outcome = WK_JOB_FENCE_LOST;
        goto out;
    }
    decision = wk_job_decide(WK_JOB_STEP_STORE, rc, run->claim.attempts,
                             env->cfg->job_max_attempts, 0, is_cancelled(run), NULL);
    outcome = settle(run, decision, rc,
                     json != NULL ? cv_db_errmsg(env->db) : "could not serialise the result");
out:
    cJSON_free(json);
    wk_eval_result_cleanup(&result);
    return outcome;
}

enum wk_job_outcome
wk_job_run(const struct wk_job_env *env, struct wk_task *task)
{
    struct run             run;
    struct wk_job_texts    texts;
    struct wk_job_decision decision;
    enum wk_job_outcome    outcome = WK_JOB_ABANDONED;
    const char            *missing = NULL;
    char                   message[ERROR_MESSAGE_LEN];
    enum cv_err            rc;

    memset(&run, 0, sizeof(run));
    memset(&texts, 0, sizeof(texts));
    run.env = env;
    run.task = task;
    run.lc.req_id = task->request_id[0] != '\0' ? task->request_id : NULL;
    run.lc.job_id = task->job_id[0] != '\0' ? task->job_id : NULL;
    run.start_ms = cv_clock_mono_ms();

    if (!claim(&run, &outcome)) {
        wk_metrics_count_job(env->metrics, outcome, NULL, -1);
        return outcome;
    }

    rc = wk_store_load(env->db, task->job_id, &texts, &missing);
    if (rc != CV_OK) {
        decision = wk_job_decide(WK_JOB_STEP_LOAD, rc, run.claim.attempts,
                                 env->cfg->job_max_attempts, 0, is_cancelled(&run), missing);
        if (rc == CV_ENOTFOUND) {
            (void)snprintf(message, sizeof(message), "cannot evaluate: the %s is missing",
                           missing);
        } else {
            (void)snprintf(message, sizeof(message), "could not load the job: %s",
                           cv_db_errmsg(env->db));
        }
        outcome = settle(&run, decision, rc, message);
        goto out;
    }
    outcome = evaluate_and_store(&run, &texts);
out:
    wk_metrics_count_job(env->metrics, outcome,
                         run.error_code[0] != '\0' ? run.error_code : NULL,
                         elapsed_ms(&run));
    wk_store_texts_cleanup(&texts);
    return outcome;
}
