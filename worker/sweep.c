/* Sweeps for jobs whose worker died and jobs whose wake-up message never came. */
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/log.h"
#include "worker/store.h"
#include "worker/sweep.h"
#include "worker/ticker.h"

/* Stale jobs recovered per statement; a larger backlog is worked off over several sweeps. */
#define STALE_BATCH 100

struct wk_sweep {
    const struct cv_config *cfg;       /* borrowed */
    struct wk_pool         *pool;      /* borrowed */
    struct wk_metrics      *metrics;   /* borrowed */
    struct cv_db           *db;        /* owned, used on the ticker thread only */
    int                     is_failing;   /* last sweep failed; logs once per outage */
    struct wk_ticker       *ticker;    /* owned */
};

/* Logs a failed sweep once per outage. */
static void
report(struct wk_sweep *sweep, enum cv_err rc, const char *step)
{
    if (rc != CV_OK && !sweep->is_failing) {
        cv_log_warn(NULL, "sweep.fail", rc, cv_db_errmsg(sweep->db), "step=%s", step);
    } else if (rc == CV_OK && sweep->is_failing) {
        cv_log_info(NULL, "sweep.resume", "step=%s", step);
    }
    sweep->is_failing = rc != CV_OK;
}

/* (a): jobs whose worker stopped sending heartbeats. */
static enum cv_err
recover_stale(struct wk_sweep *sweep)
{
    struct cv_logctx lc = {NULL, NULL};
    PGresult        *res = NULL;
    const char      *status;
    int              is_failed;
    int              row;
    enum cv_err      rc;

    rc = wk_store_recover_stale(sweep->db, sweep->cfg->job_stale_after_ms,
                                sweep->cfg->job_max_attempts, STALE_BATCH, &res);
    if (rc != CV_OK) {
        return rc;
    }
    for (row = 0; row < PQntuples(res); row++) {
        lc.job_id = PQgetvalue(res, row, 0);
        lc.req_id = PQgetvalue(res, row, 1)[0] != '\0' ? PQgetvalue(res, row, 1) : NULL;
        status = PQgetvalue(res, row, 2);
        is_failed = strcmp(status, "failed") == 0;
        if (is_failed) {
            cv_log_warn(&lc, "job.recover", CV_ETIMEOUT,
                        "attempts exhausted after the worker stopped sending heartbeats",
                        "reason=stale status=failed error_code=attempts_exhausted "
                        "attempt=%s last_worker=%s",
                        PQgetvalue(res, row, 3), PQgetvalue(res, row, 4));
        } else {
            cv_log_info(&lc, "job.recover", "reason=stale status=queued attempt=%s last_worker=%s",
                        PQgetvalue(res, row, 3), PQgetvalue(res, row, 4));
        }
        wk_metrics_count_recovery(sweep->metrics, is_failed ? WK_RECOVERY_STALE_FAILED
                                                            : WK_RECOVERY_STALE_REQUEUED);
    }
    PQclear(res);
    return CV_OK;
}

/*
 * (b): jobs queued too long. The pool threads claim them one by one through the
 * stranded claim, so a job another worker takes first is simply not found.
 */
static enum cv_err
run_stranded(struct wk_sweep *sweep)
{
    struct wk_task task;
    size_t         free_slots;
    long           count = 0;
    long           i;
    enum cv_err    rc;

    free_slots = wk_pool_free_slots(sweep->pool);
    if (free_slots == 0) {
        return CV_OK;
    }
    rc = wk_store_count_stranded(sweep->db, sweep->cfg->job_requeue_after_ms, &count);
    if (rc != CV_OK || count == 0) {
        return rc;
    }
    memset(&task, 0, sizeof(task));
    task.source = WK_TASK_STRANDED;
    task.partition = -1;
    task.offset = -1;
    task.message_ts_ms = -1;
    for (i = 0; i < count && (size_t)i < free_slots; i++) {
        if (wk_pool_submit(sweep->pool, &task) != CV_OK) {
            break; /* the consumer took the slot meanwhile: the next sweep continues */
        }
    }
    cv_log_debug(NULL, "sweep.stranded", "queued=%ld submitted=%ld", count, i);
    return CV_OK;
}

static void
run_sweep(void *arg)
{
    struct wk_sweep *sweep = arg;
    enum cv_err      rc;

    rc = recover_stale(sweep);
    report(sweep, rc, "stale");
    if (rc != CV_OK) {
        return;
    }
    rc = run_stranded(sweep);
    report(sweep, rc, "stranded");
}

enum cv_err
wk_sweep_start(const struct cv_config *cfg, struct wk_pool *pool, struct wk_metrics *metrics,
               struct wk_sweep **out)
{
    struct wk_sweep *sweep;

    *out = NULL;
    sweep = calloc(1, sizeof(*sweep));
    if (sweep == NULL) {
        return CV_ENOMEM;
    }
    sweep->cfg = cfg;
    sweep->pool = pool;
    sweep->metrics = metrics;
    sweep->db = cv_db_new(cfg, "cv-worker-sweep");
    if (sweep->db == NULL ||
        wk_ticker_start(run_sweep, sweep, cfg->job_sweep_interval_ms, &sweep->ticker) != CV_OK) {
        wk_sweep_stop(sweep);
        return CV_ENOMEM;
    }
    *out = sweep;
    return CV_OK;
}

void
wk_sweep_stop(struct wk_sweep *sweep)
{
    if (sweep == NULL) {
        return;
    }
    wk_ticker_stop(sweep->ticker);
    cv_db_free(sweep->db);
    free(sweep);
}
