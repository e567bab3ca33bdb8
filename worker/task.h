/*
 * The unit of work passed from the consumer and the sweeper to the pool, and what
 * the pool hands back when a run ends. Plain values, copied in and out of the pool.
 */
#ifndef WK_TASK_H
#define WK_TASK_H

#include <stdint.h>

#include "common/id.h"

/* Maximum size of a request id kept from a message, NUL included. Longer ones are dropped. */
#define WK_REQUEST_ID_LEN 65

/* Origin of a task. */
enum wk_task_source {
    WK_TASK_MESSAGE = 0,   /* a Kafka message naming the job */
    WK_TASK_STRANDED       /* the sweeper: claim the oldest job left queued too long */
};

struct wk_task {
    enum wk_task_source source;
    char     job_id[CV_UUID_LEN];            /* "" for WK_TASK_STRANDED until claimed */
    char     request_id[WK_REQUEST_ID_LEN];  /* "" when the message carried none */
    int32_t  partition;                      /* WK_TASK_MESSAGE only */
    int64_t  offset;                         /* WK_TASK_MESSAGE only */
    uint64_t epoch;                          /* assignment epoch of partition */
    int64_t  message_ts_ms;                  /* message timestamp, ms since epoch, -1 = none */
};

/* End state of one run of a job. */
enum wk_job_outcome {
    WK_JOB_COMPLETED = 0,   /* result stored, status completed */
    WK_JOB_FAILED,          /* status failed with an error code */
    WK_JOB_RETRIED,         /* status back to queued for another attempt */
    WK_JOB_SKIPPED,         /* the claim found the job not queued: nothing run */
    WK_JOB_IDLE,            /* a stranded-job task found nothing to claim */
    WK_JOB_FENCE_LOST,      /* another run took the job over; this run's writes rolled back */
    WK_JOB_ABANDONED,       /* the outcome could not be written; the sweeper recovers it */
    WK_JOB_OUTCOME_COUNT
};

/* A finished task and its outcome, read back by the consumer. */
struct wk_task_done {
    struct wk_task      task;
    enum wk_job_outcome outcome;
};

/* Returns the lower-case name of outcome ("completed"), for logs and metrics. */
const char *wk_job_outcome_name(enum wk_job_outcome outcome);

#endif
