/*
 * The heartbeat: while jobs run, one thread with its own PostgreSQL connection sets
 * heartbeat_at on all of this worker's running jobs every JOB_HEARTBEAT_INTERVAL_MS,
 * in one statement. A run whose claim was taken over is told to stop, and a run past
 * its deadline is no longer kept alive, so the sweeper can recover a hung job.
 */
#ifndef WK_HEARTBEAT_H
#define WK_HEARTBEAT_H

#include "common/config.h"
#include "common/err.h"
#include "worker/pool.h"

struct wk_heartbeat;

/*
 * Starts the heartbeat thread for pool. cfg and pool are borrowed and must outlive
 * it. Returns CV_ENOMEM when it cannot be started.
 */
enum cv_err wk_heartbeat_start(const struct cv_config *cfg, struct wk_pool *pool,
                               struct wk_heartbeat **out);

/* Stops the thread, closes its connection and frees the handle. NULL is a no-op. */
void wk_heartbeat_stop(struct wk_heartbeat *heartbeat);

#endif
