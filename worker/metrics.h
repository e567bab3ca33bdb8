/*
 * Counters and gauges of one cv-worker process, served as Prometheus text on its
 * /metrics. Names follow the operating guide where it has them (workers_active_total,
 * workers_idle_total, queue_lag_seconds). Every function is thread-safe and takes one
 * short mutex; none blocks on I/O.
 */
#ifndef WK_METRICS_H
#define WK_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "worker/task.h"

/* Distinct error_code label values kept; later codes are counted as "other". */
#define WK_METRICS_ERROR_CODES_MAX 32

/* Partitions whose lag is reported; a partition number past this is not reported. */
#define WK_METRICS_PARTITIONS_MAX 1024

/* Label values of jobs_recovered_total{reason}. */
enum wk_recovery {
    WK_RECOVERY_STALE_REQUEUED = 0,   /* heartbeat stopped, attempts left: back to queued */
    WK_RECOVERY_STALE_FAILED,         /* heartbeat stopped, no attempts left: failed */
    WK_RECOVERY_STRANDED,             /* queued too long: run from the database */
    WK_RECOVERY_COUNT
};

struct wk_metrics;

/*
 * Allocates the metrics of a pool of thread_count threads consuming topic (copied).
 * Returns NULL on ENOMEM.
 */
struct wk_metrics *wk_metrics_new(size_t thread_count, const char *topic);

/* Frees the metrics. NULL is a no-op. */
void wk_metrics_free(struct wk_metrics *metrics);

/* Sets how many pool threads are running a job; the rest count as idle. */
void wk_metrics_set_busy(struct wk_metrics *metrics, size_t busy);

/*
 * Counts one ended run: jobs_total{outcome}, jobs_failed_total{error_code} when
 * error_code is not NULL, and job_duration_seconds for runs that claimed the job.
 */
void wk_metrics_count_job(struct wk_metrics *metrics, enum wk_job_outcome outcome,
                          const char *error_code, int64_t duration_ms);

/* Counts one job recovered by the sweeper. */
void wk_metrics_count_recovery(struct wk_metrics *metrics, enum wk_recovery reason);

/* Counts one message sent to the dead-letter topic, or one that could not be sent. */
void wk_metrics_count_dead_letter(struct wk_metrics *metrics, int is_sent);

/* Records the consumer's pause state; each change to paused counts one pause. */
void wk_metrics_set_paused(struct wk_metrics *metrics, int is_paused);

/* Sets consumer_prefetch_depth: messages fetched and waiting for a pool thread. */
void wk_metrics_set_prefetch_depth(struct wk_metrics *metrics, size_t depth);

/* Sets queue_lag_seconds of partition; a negative value removes the series. */
void wk_metrics_set_lag(struct wk_metrics *metrics, int32_t partition, double seconds);

/* Appends every family in the Prometheus text format 0.0.4 to out. */
enum cv_err wk_metrics_format(struct wk_metrics *metrics, struct cv_buf *out);

#endif
