/* Statements on the jobs and results tables for the API. */
#include <stdio.h>
#include <string.h>

#include "fcgi/store_job.h"

#define SQL_TIMESTAMP(column) \
    "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* A NULL key never conflicts (NULLs are distinct in a UNIQUE index), so one statement
 * serves requests with and without a key. */
static const char insert_job_sql[] =
    "INSERT INTO jobs (cv_id, project_id, job_title, job_description, study_case_brief, "
    "scoring_rubric, idempotency_key, request_sha256, request_id) "
    "VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9) "
    "ON CONFLICT (idempotency_key) DO NOTHING "
    "RETURNING id::text, status";

static const char select_by_key_sql[] =
    "SELECT id::text, status, coalesce(request_sha256, ''), enqueued_at IS NOT NULL "
    "FROM jobs WHERE idempotency_key = $1";

static const char mark_enqueued_sql[] =
    "UPDATE jobs SET enqueued_at = now() WHERE id = $1::uuid AND enqueued_at IS NULL";

static const char select_job_sql[] =
    "SELECT j.id::text, j.status, j.cv_id::text, j.project_id::text, "
    SQL_TIMESTAMP("j.created_at") ", " SQL_TIMESTAMP("j.updated_at") ", "
    "j.error_code, j.error_message, r.result::text "
    "FROM jobs j LEFT JOIN results r ON r.job_id = j.id WHERE j.id = $1::uuid";

/* Attempts at insert-or-read: the row that blocked an insert could vanish before the
 * read only if jobs were deleted, which the API never does. */
#define CREATE_ATTEMPTS 3

/* Copies id and status from row 0 of res into job. */
static void
copy_ref(const PGresult *res, struct api_job_ref *job)
{
    (void)snprintf(job->id, sizeof(job->id), "%s", PQgetvalue(res, 0, 0));
    (void)snprintf(job->status, sizeof(job->status), "%s", PQgetvalue(res, 0, 1));
}

static enum cv_err
find_by_key(struct cv_db *db, const char *key, struct api_job_ref *job, bool *is_found)
{
    const char *params[1] = {key};
    PGresult   *res = NULL;
    enum cv_err rc;

    *is_found = false;
    rc = cv_db_exec(db, select_by_key_sql, 1, params, &res);
    if (rc != CV_OK) {
        return rc;
    }
    if (PQntuples(res) == 1) {
        copy_ref(res, job);
        (void)snprintf(job->request_sha256, sizeof(job->request_sha256), "%s",
                       PQgetvalue(res, 0, 2));
        job->is_enqueued = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
        job->is_new = false;
        *is_found = true;
    }
    PQclear(res);
    return CV_OK;
}

enum cv_err
api_store_job_create(struct cv_db *db, const struct api_evaluate_input *in,
                     const char *idempotency_key, const char *request_sha256,
                     const char *request_id, struct api_job_ref *job)
{
    const char *params[9];
    PGresult   *res = NULL;
    enum cv_err rc = CV_EINTERNAL;
    bool        is_found;
    int         attempt;

    memset(job, 0, sizeof(*job));
    params[0] = in->cv_id;
    params[1] = in->project_id;
    params[2] = in->job_title;
    params[3] = in->job_description;
    params[4] = in->study_case_brief;
    params[5] = in->scoring_rubric;
    params[6] = idempotency_key;
    params[7] = request_sha256;
    params[8] = request_id;

    for (attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
        rc = cv_db_exec(db, insert_job_sql, 9, params, &res);
        if (rc != CV_OK) {
            return rc;
        }
        if (PQntuples(res) == 1) {
            copy_ref(res, job);
            (void)snprintf(job->request_sha256, sizeof(job->request_sha256), "%s",
                           request_sha256 != NULL ? request_sha256 : "");
            job->is_new = true;
            PQclear(res);
            return CV_OK;
        }
        PQclear(res);
        res = NULL;
        if (idempotency_key == NULL) {
            return CV_EINTERNAL; /* no key, so nothing could conflict */
        }
        rc = find_by_key(db, idempotency_key, job, &is_found);
        if (rc != CV_OK || is_found) {
            return rc;
        }
    }
    return CV_EINTERNAL;
}

enum cv_err
api_store_job_mark_enqueued(struct cv_db *db, const char *job_id)
{
    const char *params[1] = {job_id};

    return cv_db_exec(db, mark_enqueued_sql, 1, params, NULL);
}

/* Copies column col of row 0 into the arena; SQL NULL stays NULL. */
static enum cv_err
copy_column(const PGresult *res, int col, struct cv_arena *arena, const char **out)
{
    if (PQgetisnull(res, 0, col)) {
        *out = NULL;
        return CV_OK;
    }
    *out = cv_arena_strndup(arena, PQgetvalue(res, 0, col), (size_t)PQgetlength(res, 0, col));
    return *out != NULL ? CV_OK : CV_ENOMEM;
}

enum cv_err
api_store_job_get(struct cv_db *db, const char *job_id, struct cv_arena *arena,
                  struct api_job_view *view)
{
    const char  *params[1] = {job_id};
    const char **columns[9];
    PGresult    *res = NULL;
    enum cv_err  rc;
    int          i;

    memset(view, 0, sizeof(*view));
    rc = cv_db_exec(db, select_job_sql, 1, params, &res);
    if (rc != CV_OK) {
        return rc;
    }
    if (PQntuples(res) != 1) {
        rc = CV_ENOTFOUND;
        goto out;
    }
    columns[0] = &view->id;
    columns[1] = &view->status;
    columns[2] = &view->cv_id;
    columns[3] = &view->project_id;
    columns[4] = &view->created_at;
    columns[5] = &view->updated_at;
    columns[6] = &view->error_code;
    columns[7] = &view->error_message;
    columns[8] = &view->result_json;
    for (i = 0; i < 9 && rc == CV_OK; i++) {
        rc = copy_column(res, i, arena, columns[i]);
    }
out:
    PQclear(res);
    return rc;
}
