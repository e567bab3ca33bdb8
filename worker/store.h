/*
 * The worker's SQL: claiming jobs, loading their input, writing their outcome, and
 * the heartbeat, release and sweep statements. Every write to a running job is fenced
 * by its claim token and status='processing', so a run that lost its claim changes
 * nothing. Each function runs on the caller's connection and blocks on it.
 */
#ifndef WK_STORE_H
#define WK_STORE_H

#include <stddef.h>

#include "common/db.h"
#include "common/err.h"
#include "common/id.h"
#include "worker/task.h"

/* A claimed run of a job. */
struct wk_claim {
    char job_id[CV_UUID_LEN];
    char claim_token[CV_UUID_LEN];
    char request_id[WK_REQUEST_ID_LEN];   /* the job row's, "" when it has none */
    int  attempts;                        /* including this run */
};

/* The texts one evaluation reads. All owned; job_title may be NULL. */
struct wk_job_texts {
    char *cv_text;
    char *project_text;
    char *job_title;
    char *job_description;
    char *case_study_brief;
    char *scoring_rubric;
};

/*
 * Claims job_id for worker_id when it is queued: status processing, attempts + 1, a
 * new claim token, heartbeat now. Returns CV_OK with *is_claimed 1 and claim filled.
 * When the job is not queued or does not exist, returns CV_OK with *is_claimed 0 and
 * its current status, or "missing", in status.
 */
enum cv_err wk_store_claim(struct cv_db *db, const char *job_id, const char *worker_id,
                           struct wk_claim *claim, int *is_claimed, char *status,
                           size_t status_len);

/*
 * Claims the oldest job that has been queued for more than stranded_after_ms, the same
 * way as wk_store_claim(). Rows locked by another worker's claim are skipped, so
 * several workers never pick the same job. *queued_ms receives how long it waited.
 * CV_OK with *is_claimed 0 means no such job.
 */
enum cv_err wk_store_claim_stranded(struct cv_db *db, long stranded_after_ms,
                                    const char *worker_id, struct wk_claim *claim,
                                    int *is_claimed, long *queued_ms);

/*
 * Reads the job's documents and the texts it is judged against. Each of
 * job_description, study_case_brief and scoring_rubric is the job's inline text when
 * set and non-empty, else the default knowledge-base document of that kind. The title
 * is the job's job_title, else the default job description's title when that document
 * is used. Returns CV_ENOTFOUND with
 * *missing naming the absent part ("cv upload", "default scoring_rubric") when one is
 * missing. The caller frees texts with wk_store_texts_cleanup() on every path.
 */
enum cv_err wk_store_load(struct cv_db *db, const char *job_id, struct wk_job_texts *texts,
                          const char **missing);

/* Frees every text and zeroes texts. A zeroed struct is a no-op. */
void wk_store_texts_cleanup(struct wk_job_texts *texts);

/*
 * Inserts the result and marks the job completed in one transaction, both fenced by
 * the claim. *is_fenced 0 means the claim was lost and nothing was written.
 */
enum cv_err wk_store_complete(struct cv_db *db, const struct wk_claim *claim,
                              const char *result_json, int *is_fenced);

/* Marks the job failed with error_code and message, fenced as above. */
enum cv_err wk_store_fail(struct cv_db *db, const struct wk_claim *claim,
                          const char *error_code, const char *message, int *is_fenced);

/* Puts the job back to queued for another attempt, fenced as above. */
enum cv_err wk_store_retry(struct cv_db *db, const struct wk_claim *claim, int *is_fenced);

/*
 * Builds the text form of a uuid[] ("{a,b}") from count claim tokens into out.
 * Returns CV_ETOOLARGE when out_len is too small.
 */
enum cv_err wk_store_token_array(const char (*tokens)[CV_UUID_LEN], size_t count, char *out,
                                 size_t out_len);

/*
 * Sets heartbeat_at = now() on the running jobs holding the claim tokens of
 * token_array, in one statement. Stores the tokens still held in *res (PQclear it):
 * a token missing from it lost its claim to the sweeper.
 */
enum cv_err wk_store_heartbeat(struct cv_db *db, const char *token_array, PGresult **res);

/*
 * Puts the running jobs of token_array back to queued with the claim cleared and
 * the attempt uncounted, for another worker to run. Stores one row per released job
 * in *res: id, request_id, attempts (PQclear it).
 */
enum cv_err wk_store_release(struct cv_db *db, const char *token_array, PGresult **res);

/*
 * Recovers up to limit jobs left processing with a heartbeat older than stale_after_ms:
 * back to queued when attempts < max_attempts, else failed with attempts_exhausted.
 * Rows another worker is recovering are skipped. Stores one row per job in *res: id,
 * request_id, new status, attempts, last worker_id (PQclear it).
 */
enum cv_err wk_store_recover_stale(struct cv_db *db, long stale_after_ms, long max_attempts,
                                   long limit, PGresult **res);

/* Counts jobs queued for more than stranded_after_ms into *count. */
enum cv_err wk_store_count_stranded(struct cv_db *db, long stranded_after_ms, long *count);

#endif
