/*
 * cvctl requeue: puts failed jobs back to queued (attempts reset, error cleared) and
 * sends wake-up messages for queued jobs whose message may be lost. The database
 * change comes first, so a job whose message cannot be sent is still run by a
 * worker's sweeper after JOB_REQUEUE_AFTER_MS.
 *   cvctl requeue --failed          every failed job
 *   cvctl requeue --stranded        every queued job (wake-up messages only)
 *   cvctl requeue JOB_ID...         those jobs: failed ones are reset, queued ones woken
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/id.h"
#include "common/queue.h"
#include "cvctl/cmd.h"

/* The reset of a failed job: a fresh start with every attempt available again. */
#define RESET_SET                                                                    \
    "SET status = 'queued', attempts = 0, error_code = NULL, error_message = NULL, " \
    "claim_token = NULL, heartbeat_at = NULL, finished_at = NULL, updated_at = now() "

static const char reset_failed_sql[] =
    "UPDATE jobs " RESET_SET "WHERE status = 'failed' "
    "RETURNING id, coalesce(request_id, ''), 'failed'";

static const char select_queued_sql[] =
    "SELECT id, coalesce(request_id, ''), 'queued' FROM jobs WHERE status = 'queued' "
    "ORDER BY created_at";

static const char reset_one_sql[] =
    "UPDATE jobs " RESET_SET "WHERE id = $1 AND status = 'failed' "
    "RETURNING id, coalesce(request_id, ''), 'failed'";

static const char select_one_sql[] =
    "SELECT id, coalesce(request_id, ''), status FROM jobs WHERE id = $1";

static const char mark_enqueued_sql[] =
    "UPDATE jobs SET enqueued_at = now() WHERE id = $1 AND status = 'queued'";

static void
usage(FILE *out)
{
    fprintf(out, "usage: cvctl requeue --failed | --stranded | JOB_ID...\n"
                 "  --failed     reset every failed job to queued and wake a worker for it\n"
                 "  --stranded   send the wake-up message of every queued job again\n"
                 "  JOB_ID...    reset the failed ones among these jobs and wake the queued "
                 "ones\n");
}

/* Counts of what one run did, printed at the end. */
struct tally {
    long reset;
    long woken;
    long unsent;
    long skipped;
};

/* Sends the wake-up message of one queued job and reports it on stdout. */
static void
wake(struct cv_db *db, struct cv_queue *queue, const struct cv_config *cfg, const char *job_id,
     const char *request_id, const char *was, struct tally *tally)
{
    const char *params[1] = {job_id};
    enum cv_err rc;

    rc = cv_queue_enqueue(queue, cfg->kafka_topic, job_id, request_id,
                          cfg->kafka_enqueue_timeout_ms);
    if (rc != CV_OK) {
        printf("%s: %s -> queued, wake-up not sent (%s); a worker's sweeper will run it\n",
               job_id, was, cv_queue_errmsg(queue));
        tally->unsent++;
        return;
    }
    if (cv_db_exec(db, mark_enqueued_sql, 1, params, NULL) != CV_OK) {
        fprintf(stderr, "cvctl: could not record the wake-up of %s: %s\n", job_id,
                cv_db_errmsg(db));
    }
    printf("%s: %s -> queued, wake-up sent\n", job_id, was);
    tally->woken++;
}

/* Wakes every job of res (columns id, request_id, previous status). */
static void
wake_rows(struct cv_db *db, struct cv_queue *queue, const struct cv_config *cfg,
          const PGresult *res, struct tally *tally)
{
    int row;

    for (row = 0; row < PQntuples(res); row++) {
        if (strcmp(PQgetvalue(res, row, 2), "failed") == 0) {
            tally->reset++;
        }
        wake(db, queue, cfg, PQgetvalue(res, row, 0), PQgetvalue(res, row, 1),
             PQgetvalue(res, row, 2), tally);
    }
}

/* Handles one explicit JOB_ID. Returns 0, or 1 when the database failed. */
static int
requeue_one(struct cv_db *db, struct cv_queue *queue, const struct cv_config *cfg,
            const char *job_id, struct tally *tally)
{
    const char *params[1] = {job_id};
    PGresult   *res = NULL;
    const char *status;

    if (cv_db_exec(db, reset_one_sql, 1, params, &res) != CV_OK) {
        fprintf(stderr, "cvctl: could not requeue %s: %s\n", job_id, cv_db_errmsg(db));
        return 1;
    }
    if (PQntuples(res) == 1) {
        wake_rows(db, queue, cfg, res, tally);
        PQclear(res);
        return 0;
    }
    PQclear(res);
    if (cv_db_exec(db, select_one_sql, 1, params, &res) != CV_OK) {
        fprintf(stderr, "cvctl: could not read %s: %s\n", job_id, cv_db_errmsg(db));
        return 1;
    }
    status = PQntuples(res) == 1 ? PQgetvalue(res, 0, 2) : "missing";
    if (strcmp(status, "queued") == 0) {
        wake_rows(db, queue, cfg, res, tally);
    } else {
        printf("%s: skipped, status is %s\n", job_id, status);
        tally->skipped++;
    }
    PQclear(res);
    return 0;
}

int
ctl_requeue(const struct cv_config *cfg, int argc, char **argv)
{
    struct cv_db    *db = NULL;
    struct cv_queue *queue = NULL;
    PGresult        *res = NULL;
    struct tally     tally = {0, 0, 0, 0};
    char             errbuf[512];
    int              status = 1;
    int              i;

    if (argc == 0 || strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0) {
        usage(argc == 0 ? stderr : stdout);
        return argc == 0 ? 2 : 0;
    }
    if ((strcmp(argv[0], "--failed") == 0 || strcmp(argv[0], "--stranded") == 0) && argc != 1) {
        usage(stderr);
        return 2;
    }
    for (i = 0; argv[0][0] != '-' && i < argc; i++) {
        if (!cv_id_is_uuid(argv[i])) {
            fprintf(stderr, "cvctl: invalid job id \"%s\": expected a UUID\n", argv[i]);
            return 2;
        }
    }
    if (argv[0][0] == '-' && strcmp(argv[0], "--failed") != 0 &&
        strcmp(argv[0], "--stranded") != 0) {
        fprintf(stderr, "cvctl: unknown option \"%s\"\n", argv[0]);
        usage(stderr);
        return 2;
    }

    db = cv_db_new(cfg, "cvctl-requeue");
    queue = cv_queue_new(cfg, errbuf, sizeof(errbuf));
    if (db == NULL || queue == NULL) {
        fprintf(stderr, "cvctl: could not create clients: %s\n",
                queue == NULL ? errbuf : "out of memory");
        goto out;
    }

    if (strcmp(argv[0], "--failed") == 0 || strcmp(argv[0], "--stranded") == 0) {
        if (cv_db_exec(db, strcmp(argv[0], "--failed") == 0 ? reset_failed_sql
                                                              : select_queued_sql,
                       0, NULL, &res) != CV_OK) {
            fprintf(stderr, "cvctl: could not select jobs: %s\n", cv_db_errmsg(db));
            goto out;
        }
        wake_rows(db, queue, cfg, res, &tally);
    } else {
        for (i = 0; i < argc; i++) {
            if (requeue_one(db, queue, cfg, argv[i], &tally) != 0) {
                goto out;
            }
        }
    }
    status = tally.unsent > 0 ? 1 : 0;
out:
    printf("requeue: %ld reset from failed, %ld wake-ups sent, %ld not sent, %ld skipped\n",
           tally.reset, tally.woken, tally.unsent, tally.skipped);
    PQclear(res);
    cv_queue_free(queue);
    cv_db_free(db);
    return status;
}
