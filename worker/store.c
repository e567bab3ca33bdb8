/* SQL of the job lifecycle; see store.h for the fencing rule every write follows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/store.h"

/* The columns a claim sets, shared by the two claim statements so they cannot drift. */
#define CLAIM_SET                                                                    \
    "SET status = 'processing', attempts = attempts + 1, "                           \
    "claim_token = gen_random_uuid(), worker_id = $2, heartbeat_at = now(), "        \
    "started_at = coalesce(started_at, now()), updated_at = now() "
#define CLAIM_RETURNING \
    "RETURNING jobs.id, jobs.claim_token, coalesce(jobs.request_id, ''), jobs.attempts"

/* The fence of every write to a running job. */
#define FENCE "WHERE id = $1 AND claim_token = $2 AND status = 'processing'"

static const char claim_sql[] =
    "UPDATE jobs " CLAIM_SET "WHERE id = $1 AND status = 'queued' " CLAIM_RETURNING;

/* The oldest stranded job, locked so that a concurrent sweeper skips it. */
static const char claim_stranded_sql[] =
    "WITH pick AS ("
    "  SELECT id, updated_at FROM jobs "
    "   WHERE status = 'queued' "
    "     AND updated_at < now() - make_interval(secs => $1::double precision / 1000) "
    "   ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
    "UPDATE jobs " CLAIM_SET
    "FROM pick WHERE jobs.id = pick.id AND jobs.status = 'queued' " CLAIM_RETURNING
    ", (extract(epoch FROM now() - pick.updated_at) * 1000)::bigint";

static const char status_sql[] = "SELECT status FROM jobs WHERE id = $1";

static const char load_sql[] =
    "SELECT cv.text_content, pr.text_content, "
    "       coalesce(j.job_title, CASE WHEN nullif(j.job_description, '') IS NULL "
    "                                  THEN jd.title END), "
    "       coalesce(nullif(j.job_description, ''), jd.body), "
    "       coalesce(nullif(j.study_case_brief, ''), cb.body), "
    "       coalesce(nullif(j.scoring_rubric, ''), sr.body) "
    "  FROM jobs j "
    "  LEFT JOIN uploads cv ON cv.id = j.cv_id "
    "  LEFT JOIN uploads pr ON pr.id = j.project_id "
    "  LEFT JOIN kb_documents jd ON jd.kind = 'job_description' AND jd.is_default "
    "  LEFT JOIN kb_documents cb ON cb.kind = 'case_study_brief' AND cb.is_default "
    "  LEFT JOIN kb_documents sr ON sr.kind = 'scoring_rubric' AND sr.is_default "
    " WHERE j.id = $1";

/*
 * One statement, so one transaction: the fenced update marks the job completed and the
 * insert stores the result only for the row that update returned. A lost claim updates
 * nothing and so inserts nothing. A single round trip instead of four matters at high
 * concurrency, where every job ends here.
 */
static const char complete_sql[] =
    "WITH done AS ("
    "  UPDATE jobs SET status = 'completed', claim_token = NULL, heartbeat_at = NULL, "
    "  error_code = NULL, error_message = NULL, finished_at = now(), updated_at = now() "
    FENCE " RETURNING id) "
    "INSERT INTO results (job_id, result) SELECT id, $3::jsonb FROM done";
static const char fail_sql[] =
    "UPDATE jobs SET status = 'failed', claim_token = NULL, heartbeat_at = NULL, "
    "error_code = $3, error_message = $4, finished_at = now(), updated_at = now() " FENCE;

static const char retry_sql[] =
    "UPDATE jobs SET status = 'queued', claim_token = NULL, heartbeat_at = NULL, "
    "updated_at = now() " FENCE;

static const char heartbeat_sql[] =
    "UPDATE jobs SET heartbeat_at = now() "
    "WHERE claim_token = ANY ($1::uuid[]) AND status = 'processing' "
    "RETURNING claim_token";

static const char release_sql[] =
    "UPDATE jobs SET status = 'queued', claim_token = NULL, heartbeat_at = NULL, "
    "attempts = greatest(attempts - 1, 0), updated_at = now() "
    "WHERE claim_token = ANY ($1::uuid[]) AND status = 'processing' "
    "RETURNING id, coalesce(request_id, ''), attempts";

/*
 * FOR UPDATE SKIP LOCKED lets several sweepers run at once: each locks the rows it
 * recovers and the others pass over them. A job whose heartbeat was never set counts
 * from when it started.
 */
static const char recover_stale_sql[] =
    "WITH stale AS ("
    "  SELECT id FROM jobs "
    "   WHERE status = 'processing' "
    "     AND coalesce(heartbeat_at, started_at, updated_at) < "
    "         now() - make_interval(secs => $1::double precision / 1000) "
    "   ORDER BY coalesce(heartbeat_at, started_at, updated_at) "
    "   LIMIT $3 FOR UPDATE SKIP LOCKED) "
    "UPDATE jobs j SET "
    "  status = CASE WHEN j.attempts < $2 THEN 'queued' ELSE 'failed' END, "
    "  error_code = CASE WHEN j.attempts < $2 THEN NULL ELSE 'attempts_exhausted' END, "
    "  error_message = CASE WHEN j.attempts < $2 THEN NULL "
    "       ELSE format('gave up after %s attempts: worker \"%s\" stopped sending heartbeats', "
    "                   j.attempts, coalesce(j.worker_id, 'unknown')) END, "
    "  finished_at = CASE WHEN j.attempts < $2 THEN NULL ELSE now() END, "
    "  claim_token = NULL, heartbeat_at = NULL, updated_at = now() "
    "FROM stale WHERE j.id = stale.id "
    "RETURNING j.id, coalesce(j.request_id, ''), j.status, j.attempts, "
    "          coalesce(j.worker_id, '')";

static const char count_stranded_sql[] =
    "SELECT count(*) FROM jobs WHERE status = 'queued' "
    "   AND updated_at < now() - make_interval(secs => $1::double precision / 1000)";

/* Copies the first four claim columns of row 0 into claim. */
static void
read_claim(const PGresult *res, struct wk_claim *claim)
{
    (void)snprintf(claim->job_id, sizeof(claim->job_id), "%s", PQgetvalue(res, 0, 0));
    (void)snprintf(claim->claim_token, sizeof(claim->claim_token), "%s",
                   PQgetvalue(res, 0, 1));
    if (strlen(PQgetvalue(res, 0, 2)) < sizeof(claim->request_id)) {
        (void)snprintf(claim->request_id, sizeof(claim->request_id), "%s",
                       PQgetvalue(res, 0, 2));
    } else {
        claim->request_id[0] = '\0';
    }
    claim->attempts = (int)strtol(PQgetvalue(res, 0, 3), NULL, 10);
}

enum cv_err
wk_store_claim(struct cv_db *db, const char *job_id, const char *worker_id,
               struct wk_claim *claim, int *is_claimed, char *status, size_t status_len)
{
    const char *params[2] = {job_id, worker_id};
    PGresult   *res = NULL;
    enum cv_err rc;

    *is_claimed = 0;
    (void)snprintf(status, status_len, "missing");
    rc = cv_db_exec(db, claim_sql, 2, params, &res);
    if (rc != CV_OK) {
        goto out;
    }
    if (PQntuples(res) == 1) {
        read_claim(res, claim);
        *is_claimed = 1;
        goto out;
    }

    /* Not queued: read what it is, for the skip line. */
    PQclear(res);
    res = NULL;
    rc = cv_db_exec(db, status_sql, 1, params, &res);
    if (rc == CV_OK && PQntuples(res) == 1) {
        (void)snprintf(status, status_len, "%s", PQgetvalue(res, 0, 0));
    }
out:
    PQclear(res);
    return rc;
}

enum cv_err
wk_store_claim_stranded(struct cv_db *db, long stranded_after_ms, const char *worker_id,
                        struct wk_claim *claim, int *is_claimed, long *queued_ms)
{
    char        after[32];
    const char *params[2] = {after, worker_id};
    PGresult   *res = NULL;
    enum cv_err rc;

    *is_claimed = 0;
    *queued_ms = 0;
    (void)snprintf(after, sizeof(after), "%ld", stranded_after_ms);
    rc = cv_db_exec(db, claim_stranded_sql, 2, params, &res);
    if (rc == CV_OK && PQntuples(res) == 1) {
        read_claim(res, claim);
        *queued_ms = strtol(PQgetvalue(res, 0, 4), NULL, 10);
        *is_claimed = 1;
    }
    PQclear(res);
    return rc;
}

/* Copies column col of row 0 into *dst, leaving NULL for SQL NULL. */
static enum cv_err
take_text(const PGresult *res, int col, char **dst)
{
    if (PQgetisnull(res, 0, col)) {
        *dst = NULL;
        return CV_OK;
    }
    *dst = strdup(PQgetvalue(res, 0, col));
    return *dst != NULL ? CV_OK : CV_ENOMEM;
}

enum cv_err
wk_store_load(struct cv_db *db, const char *job_id, struct wk_job_texts *texts,
              const char **missing)
{
    const char *params[1] = {job_id};
    PGresult   *res = NULL;
    enum cv_err rc;

    memset(texts, 0, sizeof(*texts));
    *missing = NULL;
    rc = cv_db_exec(db, load_sql, 1, params, &res);
    if (rc != CV_OK) {
        goto out;
    }
    if (PQntuples(res) != 1) {
        *missing = "job";
        rc = CV_ENOTFOUND;
        goto out;
    }
    if (take_text(res, 0, &texts->cv_text) != CV_OK ||
        take_text(res, 1, &texts->project_text) != CV_OK ||
        take_text(res, 2, &texts->job_title) != CV_OK ||
        take_text(res, 3, &texts->job_description) != CV_OK ||
        take_text(res, 4, &texts->case_study_brief) != CV_OK ||
        take_text(res, 5, &texts->scoring_rubric) != CV_OK) {
        rc = CV_ENOMEM;
        goto out;
    }

    if (texts->cv_text == NULL) {
        *missing = "cv upload";
    } else if (texts->project_text == NULL) {
        *missing = "project upload";
    } else if (texts->job_description == NULL) {
        *missing = "default job_description";
    } else if (texts->case_study_brief == NULL) {
        *missing = "default case_study_brief";
    } else if (texts->scoring_rubric == NULL) {
        *missing = "default scoring_rubric";
    }
    if (*missing != NULL) {
        rc = CV_ENOTFOUND;
    }
out:
    PQclear(res);
    return rc;
}

void
wk_store_texts_cleanup(struct wk_job_texts *texts)
{
    free(texts->cv_text);
    free(texts->project_text);
    free(texts->job_title);
    free(texts->job_description);
    free(texts->case_study_brief);
    free(texts->scoring_rubric);
    memset(texts, 0, sizeof(*texts));
}

/* Runs a fenced write; *is_fenced is 1 when it changed a row. */
static enum cv_err
exec_fenced(struct cv_db *db, const char *sql, int param_count, const char *const *params,
            int *is_fenced)
{
    PGresult   *res = NULL;
    enum cv_err rc;

    *is_fenced = 0;
    rc = cv_db_exec(db, sql, param_count, params, &res);
    if (rc == CV_OK) {
        *is_fenced = strcmp(PQcmdTuples(res), "0") != 0;
    }
    PQclear(res);
    return rc;
}

enum cv_err
wk_store_complete(struct cv_db *db, const struct wk_claim *claim, const char *result_json,
                  int *is_fenced)
{
    const char *params[3] = {claim->job_id, claim->claim_token, result_json};

    /* When the connection drops during the statement its fate is unknown; the sweeper
     * settles the job either way, since a committed run stays completed. */
    return exec_fenced(db, complete_sql, 3, params, is_fenced);
}

enum cv_err
wk_store_fail(struct cv_db *db, const struct wk_claim *claim, const char *error_code,
              const char *message, int *is_fenced)
{
    const char *params[4] = {claim->job_id, claim->claim_token, error_code, message};

    return exec_fenced(db, fail_sql, 4, params, is_fenced);
}

enum cv_err
wk_store_retry(struct cv_db *db, const struct wk_claim *claim, int *is_fenced)
{
    const char *params[2] = {claim->job_id, claim->claim_token};

    return exec_fenced(db, retry_sql, 2, params, is_fenced);
}

enum cv_err
wk_store_token_array(const char (*tokens)[CV_UUID_LEN], size_t count, char *out,
                     size_t out_len)
{
    size_t used = 0;
    size_t len;
    size_t i;

    if (out_len < 3) {
        return CV_ETOOLARGE;
    }
    out[used++] = '{';
    for (i = 0; i < count; i++) {
        len = strlen(tokens[i]);
        if (used + len + 3 > out_len) {
            return CV_ETOOLARGE;
        }
        if (i > 0) {
            out[used++] = ',';
        }
        memcpy(out + used, tokens[i], len);
        used += len;
    }
    out[used++] = '}';
    out[used] = '\0';
    return CV_OK;
}

enum cv_err
wk_store_heartbeat(struct cv_db *db, const char *token_array, PGresult **res)
{
    const char *params[1] = {token_array};

    return cv_db_exec(db, heartbeat_sql, 1, params, res);
}

enum cv_err
wk_store_release(struct cv_db *db, const char *token_array, PGresult **res)
{
    const char *params[1] = {token_array};

    return cv_db_exec(db, release_sql, 1, params, res);
}

enum cv_err
wk_store_recover_stale(struct cv_db *db, long stale_after_ms, long max_attempts, long limit,
                       PGresult **res)
{
    char        stale[32];
    char        max[32];
    char        lim[32];
    const char *params[3] = {stale, max, lim};

    (void)snprintf(stale, sizeof(stale), "%ld", stale_after_ms);
    (void)snprintf(max, sizeof(max), "%ld", max_attempts);
    (void)snprintf(lim, sizeof(lim), "%ld", limit);
    return cv_db_exec(db, recover_stale_sql, 3, params, res);
}

enum cv_err
wk_store_count_stranded(struct cv_db *db, long stranded_after_ms, long *count)
{
    char        after[32];
    const char *params[1] = {after};
    PGresult   *res = NULL;
    enum cv_err rc;

    *count = 0;
    (void)snprintf(after, sizeof(after), "%ld", stranded_after_ms);
    rc = cv_db_exec(db, count_stranded_sql, 1, params, &res);
    if (rc == CV_OK && PQntuples(res) == 1) {
        *count = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    }
    PQclear(res);
    return rc;
}
