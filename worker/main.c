/*
 * cv-worker: evaluates jobs. Startup order: configuration, logging, evaluator, pool,
 * Kafka consumer, HTTP endpoint, heartbeat, sweeper. SIGTERM or SIGINT drains: no
 * new work, running jobs get WORKER_DRAIN_TIMEOUT_MS to finish (a second signal cuts
 * the wait short), the rest are released to queued for another worker, finished
 * offsets are committed, and everything is closed in reverse order.
 * Usage: cv-worker [--config FILE] [--check-config]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/db.h"
#include "common/log.h"
#include "worker/consume.h"
#include "worker/dlq.h"
#include "worker/evaluator.h"
#include "worker/health.h"
#include "worker/heartbeat.h"
#include "worker/metrics.h"
#include "worker/pool.h"
#include "worker/prefetch.h"
#include "worker/store.h"
#include "worker/sweep.h"

/* How long released runs get to notice their cancellation before the process exits. */
#define RELEASE_GRACE_MS 5000

/* Wait of one consumer round; also how quickly a signal is noticed. */
#define POLL_MS 100

/* Number of SIGTERM and SIGINT received. */
static volatile sig_atomic_t stop_signals;

/* Everything the worker runs, in startup order. */
struct worker {
    struct cv_config     cfg;
    char                 worker_id[128];
    struct wk_metrics   *metrics;
    struct wk_evaluator *evaluator;
    struct wk_pool      *pool;
    struct wk_dlq       *dlq;
    struct wk_consumer  *consumer;     /* set before the pool threads start */
    struct wk_health    *health;
    struct wk_heartbeat *heartbeat;
    struct wk_sweep     *sweep;
    atomic_int           is_draining;  /* read by the HTTP thread */
    int                  is_pool_started;
};

static void
on_signal(int sig)
{
    (void)sig;
    if (stop_signals < 2) {
        stop_signals++;
    }
}

static void
install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGTERM, &sa, NULL); /* valid signal and handler: cannot fail */
    (void)sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    (void)sigaction(SIGPIPE, &sa, NULL);
}

/* Wakes the consumer when a pool thread finishes; arg is the struct worker. */
static void
wake_consumer(void *arg)
{
    struct worker *worker = arg;

    wk_consumer_wake(worker->consumer);
}

static void
usage(FILE *out)
{
    fprintf(out, "usage: cv-worker [--config FILE] [--check-config]\n"
                 "  --config FILE    read KEY=value settings from FILE before the environment\n"
                 "  --check-config   validate the configuration, print it and exit\n");
}

/* Parses the command line; returns -1 to go on, else the exit status. */
static int
parse_args(int argc, char **argv, const char **config_file, int *is_check)
{
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            *config_file = argv[++i];
        } else if (strcmp(argv[i], "--check-config") == 0) {
            *is_check = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "cv-worker: invalid argument \"%s\"\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    return -1;
}

/* Starts every component; on failure reports on stderr and returns the exit status. */
static int
start(struct worker *worker)
{
    const struct cv_config *cfg = &worker->cfg;
    char                    errbuf[512];

    worker->metrics = wk_metrics_new((size_t)cfg->consumer_max_concurrency, cfg->kafka_topic);
    if (worker->metrics == NULL) {
        fprintf(stderr, "cv-worker: out of memory\n");
        return 1;
    }
    if (wk_evaluator_new(cfg, &worker->evaluator, errbuf, sizeof(errbuf)) != CV_OK) {
        fprintf(stderr, "cv-worker: %s\n", errbuf);
        return 1;
    }
    worker->pool = wk_pool_new(cfg, worker->evaluator, worker->metrics, worker->worker_id,
                               wake_consumer, worker);
    if (worker->pool == NULL) {
        fprintf(stderr, "cv-worker: out of memory\n");
        return 1;
    }
    worker->dlq = wk_dlq_new(cfg, errbuf, sizeof(errbuf));
    if (worker->dlq == NULL) {
        fprintf(stderr, "cv-worker: could not create the dead-letter producer: %s\n", errbuf);
        return 1;
    }
    worker->consumer = wk_consumer_new(cfg, worker->pool, worker->metrics, worker->dlq, errbuf,
                                       sizeof(errbuf));
    if (worker->consumer == NULL) {
        fprintf(stderr, "cv-worker: could not create the consumer: %s\n", errbuf);
        return 1;
    }
    worker->is_pool_started = 1;
    if (wk_pool_start(worker->pool, errbuf, sizeof(errbuf)) != CV_OK) {
        fprintf(stderr, "cv-worker: %s\n", errbuf);
        return 1;
    }
    if (wk_health_start(cfg, worker->consumer, worker->metrics, &worker->is_draining,
                        &worker->health, errbuf, sizeof(errbuf)) != CV_OK) {
        fprintf(stderr, "cv-worker: %s\n", errbuf);
        return 1;
    }
    if (wk_heartbeat_start(cfg, worker->pool, &worker->heartbeat) != CV_OK ||
        wk_sweep_start(cfg, worker->pool, worker->metrics, &worker->sweep) != CV_OK) {
        fprintf(stderr, "cv-worker: could not start the heartbeat and sweeper threads\n");
        return 1;
    }
    return 0;
}

/*
 * Puts the jobs still running back to queued, uncounted, so that another worker runs
 * them, and tells their runs to stop without writing.
 */
static void
release_running(struct worker *worker)
{
    struct cv_logctx lc = {NULL, NULL};
    struct cv_db    *db = NULL;
    PGresult        *res = NULL;
    char           (*tokens)[CV_UUID_LEN] = NULL;
    char            *array = NULL;
    size_t           size = wk_pool_size(worker->pool);
    size_t           count;
    size_t           array_len = size * CV_UUID_LEN + 3;
    enum cv_err      rc = CV_ENOMEM;
    int              row;

    wk_consumer_freeze_offsets(worker->consumer);
    tokens = calloc(size, sizeof(*tokens));
    array = malloc(array_len);
    db = cv_db_new(&worker->cfg, "cv-worker-release");
    if (tokens == NULL || array == NULL || db == NULL) {
        goto out;
    }
    count = wk_pool_claims(worker->pool, tokens, size, -1);
    if (count == 0) {
        rc = CV_OK;
        goto out;
    }
    rc = wk_store_token_array((const char (*)[CV_UUID_LEN])tokens, count, array, array_len);
    if (rc == CV_OK) {
        rc = wk_store_release(db, array, &res);
    }
    if (rc != CV_OK) {
        goto out;
    }
    for (row = 0; row < PQntuples(res); row++) {
        lc.job_id = PQgetvalue(res, row, 0);
        lc.req_id = PQgetvalue(res, row, 1)[0] != '\0' ? PQgetvalue(res, row, 1) : NULL;
        cv_log_info(&lc, "job.release", "attempts=%s reason=drain_timeout",
                    PQgetvalue(res, row, 2));
    }
out:
    wk_pool_cancel_all(worker->pool);
    if (rc != CV_OK) {
        /* The sweeper of another worker recovers them once their heartbeat is stale. */
        cv_log_error(NULL, "worker.release", rc,
                     db != NULL ? cv_db_errmsg(db) : "out of memory", "running=%zu",
                     wk_pool_busy(worker->pool));
    }
    PQclear(res);
    cv_db_free(db);
    free(array);
    free(tokens);
}

/* Drains and stops everything; returns 1 when every pool thread was joined. */
static int
drain(struct worker *worker)
{
    struct wk_task dropped_tasks[1];
    size_t         dropped = 0;
    size_t         prefetched;
    int64_t        started = cv_clock_mono_ms();
    int64_t        deadline = started + worker->cfg.worker_drain_timeout_ms;
    int            is_joined;

    cv_log_info(NULL, "worker.drain", "running=%zu timeout_ms=%ld",
                wk_pool_busy(worker->pool), worker->cfg.worker_drain_timeout_ms);
    atomic_store(&worker->is_draining, 1);
    prefetched = wk_consumer_stop_intake(worker->consumer);
    wk_sweep_stop(worker->sweep);
    worker->sweep = NULL;

    /* Keep polling: completions free slots and mark offsets, and the group stays joined. */
    while (wk_pool_busy(worker->pool) > 0 && cv_clock_mono_ms() < deadline &&
           stop_signals < 2) {
        wk_consumer_poll(worker->consumer, POLL_MS);
    }
    wk_consumer_commit_sync(worker->consumer);
    wk_pool_shutdown(worker->pool, dropped_tasks, 0, &dropped);
    if (wk_pool_busy(worker->pool) > 0) {
        release_running(worker);
    }
    is_joined = wk_pool_join(worker->pool, RELEASE_GRACE_MS);
    wk_heartbeat_stop(worker->heartbeat);
    worker->heartbeat = NULL;
    wk_consumer_close(worker->consumer);
    cv_log_info(NULL, "worker.drained", "dur_ms=%lld unstarted=%zu threads_joined=%d",
                (long long)(cv_clock_mono_ms() - started), dropped + prefetched, is_joined);
    return is_joined;
}

/*
 * Frees what start() made, in reverse order. When pool threads live on, the pool,
 * consumer, evaluator and metrics they use are left for the process exit.
 */
static void
stop(struct worker *worker, int is_pool_joined)
{
    size_t dropped = 0;

    wk_sweep_stop(worker->sweep);
    if (worker->pool != NULL && worker->is_pool_started && is_pool_joined) {
        wk_pool_shutdown(worker->pool, NULL, 0, &dropped);
        is_pool_joined = wk_pool_join(worker->pool, RELEASE_GRACE_MS);
    }
    wk_heartbeat_stop(worker->heartbeat);
    wk_health_stop(worker->health);
    wk_dlq_free(worker->dlq);
    if (!is_pool_joined) {
        cv_log_warn(NULL, "worker.stop", CV_ETIMEOUT,
                    "some pool threads did not stop; exiting without waiting for them",
                    "worker_id=%s", worker->worker_id);
        return;
    }
    wk_consumer_free(worker->consumer);
    wk_pool_free(worker->pool);
    wk_evaluator_free(worker->evaluator);
    wk_metrics_free(worker->metrics);
}

int
main(int argc, char **argv)
{
    struct worker     worker;
    struct cv_buf     errors;
    const char       *config_file = NULL;
    enum cv_log_level level = CV_LOG_INFO;
    int               is_check = 0;
    int               is_joined = 1;
    int               status;
    char              host[64];

    status = parse_args(argc, argv, &config_file, &is_check);
    if (status >= 0) {
        return status;
    }
    memset(&worker, 0, sizeof(worker));
    atomic_init(&worker.is_draining, 0);
    cv_buf_init(&errors, 65536);
    if (cv_config_load_env(&worker.cfg, config_file, &errors) != CV_OK) {
        fprintf(stderr, "cv-worker: invalid configuration:\n%s",
                errors.data != NULL ? errors.data : "");
        cv_buf_cleanup(&errors);
        cv_config_cleanup(&worker.cfg);
        return 1;
    }
    if (is_check && cv_config_check_unknown(&worker.cfg, &errors) != CV_OK) {
        fprintf(stderr, "cv-worker: invalid configuration:\n%s",
                errors.data != NULL ? errors.data : "");
        cv_buf_cleanup(&errors);
        cv_config_cleanup(&worker.cfg);
        return 1;
    }
    cv_buf_cleanup(&errors);
    if (is_check) {
        cv_config_print(&worker.cfg, stdout);
        cv_config_cleanup(&worker.cfg);
        return 0;
    }
    (void)cv_log_parse_level(worker.cfg.log_level, &level); /* validated by the loader */
    cv_log_open("cv-worker", level, 1);
    cv_config_log_unknown(&worker.cfg);
    if (worker.cfg.worker_id[0] != '\0') {
        (void)snprintf(worker.worker_id, sizeof(worker.worker_id), "%s", worker.cfg.worker_id);
    } else {
        if (gethostname(host, sizeof(host)) != 0) {
            (void)snprintf(host, sizeof(host), "worker");
        }
        host[sizeof(host) - 1] = '\0';
        (void)snprintf(worker.worker_id, sizeof(worker.worker_id), "%s-%ld", host,
                       (long)getpid());
    }

    install_signals();
    /* Before any thread starts, as libcurl requires; the LLM chain's handles use it. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "cv-worker: could not initialise libcurl\n");
        cv_config_cleanup(&worker.cfg);
        return 1;
    }
    status = start(&worker);
    if (status == 0) {
        cv_log_info(NULL, "worker.start",
                    "worker_id=%s threads=%ld prefetch=%zu evaluator=%s topic=%s group=%s "
                    "http_port=%ld",
                    worker.worker_id, worker.cfg.consumer_max_concurrency,
                    wk_prefetch_capacity_of(&worker.cfg), wk_evaluator_name(worker.evaluator),
                    worker.cfg.kafka_topic, worker.cfg.kafka_group_id,
                    worker.cfg.worker_http_port);
        while (stop_signals == 0) {
            wk_consumer_poll(worker.consumer, POLL_MS);
        }
        is_joined = drain(&worker);
    }
    stop(&worker, is_joined);
    cv_log_info(NULL, "worker.stop", "worker_id=%s status=%d", worker.worker_id, status);
    if (!is_joined) {
        /* Threads stuck in a run would race exit handlers; their jobs are released. */
        _exit(status);
    }
    curl_global_cleanup();
    cv_config_cleanup(&worker.cfg);
    return status;
}
