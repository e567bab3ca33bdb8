/* Heartbeat ticks: gather the running claims, refresh them, cancel the lost ones. */
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "worker/heartbeat.h"
#include "worker/store.h"
#include "worker/ticker.h"

struct wk_heartbeat {
    const struct cv_config *cfg;       /* borrowed */
    struct wk_pool         *pool;      /* borrowed */
    struct cv_db           *db;        /* owned, used on the ticker thread only */
    char                  (*tokens)[CV_UUID_LEN];   /* owned, pool size entries */
    char                   *array;     /* owned, text form of tokens */
    size_t                  array_len;
    int                     is_failing;   /* last tick failed; logs once per outage */
    struct wk_ticker       *ticker;    /* owned */
};

/* Returns 1 when token is among the claim_token values of res. */
static int
is_held(const PGresult *res, const char *token)
{
    int row;

    for (row = 0; row < PQntuples(res); row++) {
        if (strcmp(PQgetvalue(res, row, 0), token) == 0) {
            return 1;
        }
    }
    return 0;
}

static void
beat(void *arg)
{
    struct wk_heartbeat *heartbeat = arg;
    PGresult            *res = NULL;
    size_t               count;
    size_t               i;
    enum cv_err          rc;

    count = wk_pool_claims(heartbeat->pool, heartbeat->tokens,
                           wk_pool_size(heartbeat->pool), cv_clock_mono_ms());
    if (count == 0) {
        return;
    }
    rc = wk_store_token_array((const char (*)[CV_UUID_LEN])heartbeat->tokens, count,
                              heartbeat->array, heartbeat->array_len);
    if (rc == CV_OK) {
        rc = wk_store_heartbeat(heartbeat->db, heartbeat->array, &res);
    }
    if (rc != CV_OK) {
        if (!heartbeat->is_failing) {
            cv_log_warn(NULL, "heartbeat.fail", rc, cv_db_errmsg(heartbeat->db), "jobs=%zu",
                        count);
        }
        heartbeat->is_failing = 1;
        return;
    }
    if (heartbeat->is_failing) {
        cv_log_info(NULL, "heartbeat.resume", "jobs=%zu", count);
        heartbeat->is_failing = 0;
    }

    /*
     * A token the statement did not return either lost its claim to a sweeper or belongs
     * to a run that finished after the snapshot, whose job is no longer processing. Only
     * a run that is still going lost its claim.
     */
    for (i = 0; i < count; i++) {
        if (!is_held(res, heartbeat->tokens[i]) &&
            wk_pool_cancel_claim(heartbeat->pool, heartbeat->tokens[i])) {
            cv_log_warn(NULL, "job.claim_lost", CV_ECONFLICT,
                        "the job was recovered by a sweeper; stopping this run",
                        "claim_token=%s", heartbeat->tokens[i]);
        }
    }
    PQclear(res);
}

enum cv_err
wk_heartbeat_start(const struct cv_config *cfg, struct wk_pool *pool,
                   struct wk_heartbeat **out)
{
    struct wk_heartbeat *heartbeat;
    size_t               size = wk_pool_size(pool);

    *out = NULL;
    heartbeat = calloc(1, sizeof(*heartbeat));
    if (heartbeat == NULL) {
        return CV_ENOMEM;
    }
    heartbeat->cfg = cfg;
    heartbeat->pool = pool;
    heartbeat->db = cv_db_new(cfg, "cv-worker-heartbeat");
    heartbeat->tokens = calloc(size, sizeof(*heartbeat->tokens));
    heartbeat->array_len = size * CV_UUID_LEN + 3;
    heartbeat->array = malloc(heartbeat->array_len);
    if (heartbeat->db == NULL || heartbeat->tokens == NULL || heartbeat->array == NULL ||
        wk_ticker_start(beat, heartbeat, cfg->job_heartbeat_interval_ms,
                        &heartbeat->ticker) != CV_OK) {
        wk_heartbeat_stop(heartbeat);
        return CV_ENOMEM;
    }
    *out = heartbeat;
    return CV_OK;
}

void
wk_heartbeat_stop(struct wk_heartbeat *heartbeat)
{
    if (heartbeat == NULL) {
        return;
    }
    wk_ticker_stop(heartbeat->ticker);
    cv_db_free(heartbeat->db);
    free(heartbeat->tokens);
    free(heartbeat->array);
    free(heartbeat);
}
