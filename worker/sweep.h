/*
 * The sweeper runs every JOB_SWEEP_INTERVAL_MS on its own thread and connection.
 * First it recovers jobs left processing by a worker whose heartbeat stopped more
 * than JOB_STALE_AFTER_MS ago: back to queued while attempts remain, else failed with
 * attempts_exhausted. Then, when the pool has free slots, it hands the pool tasks that
 * claim jobs queued for more than JOB_REQUEUE_AFTER_MS, whose wake-up message was
 * lost. Both scans skip rows another worker has locked, so several workers may sweep
 * at once. Neither needs the broker.
 */
#ifndef WK_SWEEP_H
#define WK_SWEEP_H

#include "common/config.h"
#include "common/err.h"
#include "worker/metrics.h"
#include "worker/pool.h"

struct wk_sweep;

/*
 * Starts the sweeper. cfg, pool and metrics are borrowed and must outlive it.
 * Returns CV_ENOMEM when it cannot be started.
 */
enum cv_err wk_sweep_start(const struct cv_config *cfg, struct wk_pool *pool,
                           struct wk_metrics *metrics, struct wk_sweep **out);

/* Stops the sweeper, waiting for a sweep in progress, and frees it. NULL is a no-op. */
void wk_sweep_stop(struct wk_sweep *sweep);

#endif
