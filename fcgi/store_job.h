/* SQL for the jobs table as the API uses it: creating a job, marking it enqueued, reading it. */
#ifndef API_STORE_JOB_H
#define API_STORE_JOB_H

#include <stdbool.h>

#include "common/arena.h"
#include "common/db.h"
#include "common/err.h"
#include "common/id.h"
#include "common/sha256.h"
#include "fcgi/evaluate_input.h"
#include "fcgi/store_upload.h"

/* Bytes of a job status ("processing") plus NUL. */
#define API_STATUS_SIZE 16

/* A created or replayed job. */
struct api_job_ref {
    char id[CV_UUID_LEN];
    char status[API_STATUS_SIZE];
    bool is_new;                               /* false: an earlier job with the same key */
    bool is_enqueued;                          /* the broker confirmed its wake-up */
    char request_sha256[CV_SHA256_HEX_LEN];    /* of the request that created it, "" if none */
};

/*
 * Inserts a queued job for in, committed when this returns. idempotency_key may be
 * NULL. When an earlier job already has the key, nothing is inserted and job
 * describes the earlier job with is_new false. The caller compares request_sha256.
 * Returns CV_OK or a cv_db_exec() failure.
 */
enum cv_err api_store_job_create(struct cv_db *db, const struct api_evaluate_input *in,
                                 const char *idempotency_key, const char *request_sha256,
                                 const char *request_id, struct api_job_ref *job);

/* Records that the broker acknowledged the job's wake-up message. */
enum cv_err api_store_job_mark_enqueued(struct cv_db *db, const char *job_id);

/* A job as GET /v1/result/{id} shows it. Strings are arena copies; NULL = SQL NULL. */
struct api_job_view {
    const char *id;
    const char *status;
    const char *cv_id;
    const char *project_id;
    const char *created_at;
    const char *updated_at;
    const char *error_code;      /* set when failed */
    const char *error_message;   /* set when failed */
    const char *result_json;     /* results.result as JSON text, when a result exists */
};

/*
 * Reads job_id (a UUID) into view, copying strings into arena. Returns CV_OK,
 * CV_ENOTFOUND when no such job exists, CV_ENOMEM when the arena is full, or a
 * cv_db_exec() failure.
 */
enum cv_err api_store_job_get(struct cv_db *db, const char *job_id, struct cv_arena *arena,
                              struct api_job_view *view);

#endif
