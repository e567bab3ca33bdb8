/*
 * Throughput of the LLM chain alone: N threads, each with its own evaluator thread
 * state and PostgreSQL connection as in the worker's pool, run wk_llm_evaluate() on
 * one CV and report with the default knowledge base until J evaluations are done.
 * Kafka, job claims and result storage are left out, so the figure is the chain's own
 * capacity. The clock starts once every thread is set up, as the pool's threads are
 * when the worker starts. Configuration comes from the environment and CV_CONFIG_FILE, as for
 * cv-worker.
 *
 *     bench_llm_chain THREADS EVALUATIONS LATENCY_MS
 *
 * Prints one line: threads, evaluations, seconds, evaluations per second, the ideal
 * THREADS / (3 x LATENCY_MS), their ratio, failures, the peak RSS in MiB, and the mean
 * evaluation and provider call latencies in ms from the provenance. Exit status 0 when
 * every evaluation succeeded.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/db.h"
#include "common/log.h"
#include "worker/llm/llm.h"

/* Most threads accepted, as CONSUMER_MAX_CONCURRENCY allows. */
#define THREADS_MAX 1024

static const char cv_text[] =
    "Backend engineer with six years of Python, Golang and PostgreSQL, REST APIs on AWS "
    "with Docker and Kubernetes, Kafka pipelines, and RAG search with OpenAI embeddings. "
    "Reduced API latency by 40%. Mentored two engineers.\n";
static const char project_text[] =
    "The report describes prompt chaining with retrieval, JSON validation, retries with "
    "backoff, timeouts, a circuit breaker, unit tests, a README with the architecture and "
    "trade-offs, and a metrics dashboard.\n";

/* Shared by the threads: the evaluator, the reference texts and the job counter. */
struct bench {
    const struct cv_config *cfg;
    struct wk_llm          *llm;
    char                   *texts[3];      /* owned: description, brief, rubric */
    atomic_long             next;          /* next evaluation number to take */
    long                    total;
    atomic_long             failures;
    atomic_long             eval_ms_sum;   /* chain latency from the provenance */
    atomic_long             call_ms_sum;   /* provider call latencies from the provenance */
    atomic_long             call_count;
    pthread_barrier_t       ready;         /* every thread set up, and main: go */
};

/* Adds the evaluation's and its calls' latencies from the provenance to the sums. */
static void
add_latencies(struct bench *bench, const cJSON *provenance)
{
    const cJSON *step;
    const cJSON *call;

    atomic_fetch_add(&bench->eval_ms_sum,
                     (long)cJSON_GetNumberValue(
                         cJSON_GetObjectItemCaseSensitive(provenance, "latency_ms")));
    cJSON_ArrayForEach(step, cJSON_GetObjectItemCaseSensitive(provenance, "steps")) {
        cJSON_ArrayForEach(call, cJSON_GetObjectItemCaseSensitive(step, "calls")) {
            atomic_fetch_add(&bench->call_ms_sum,
                             (long)cJSON_GetNumberValue(
                                 cJSON_GetObjectItemCaseSensitive(call, "latency_ms")));
            atomic_fetch_add(&bench->call_count, 1);
        }
    }
}

/* Reads the default reference texts, so every evaluation matches the stored defaults. */
static int
load_texts(struct bench *bench)
{
    static const char *const kinds[3] = {"job_description", "case_study_brief",
                                         "scoring_rubric"};
    struct cv_db *db;
    PGresult     *res = NULL;
    const char   *params[1];
    int           i;
    int           status = 0;

    db = cv_db_new(bench->cfg, "bench_llm_chain");
    if (db == NULL || cv_db_connect(db) != CV_OK) {
        fprintf(stderr, "bench_llm_chain: could not connect to PostgreSQL\n");
        cv_db_free(db);
        return 1;
    }
    for (i = 0; i < 3 && status == 0; i++) {
        params[0] = kinds[i];
        if (cv_db_exec(db, "SELECT body FROM kb_documents WHERE is_default AND kind = $1", 1,
                       params, &res) != CV_OK ||
            PQntuples(res) != 1) {
            fprintf(stderr, "bench_llm_chain: no default %s; run cvctl kb-load\n", kinds[i]);
            status = 1;
        } else {
            bench->texts[i] = strdup(PQgetvalue(res, 0, 0));
            status = bench->texts[i] == NULL;
        }
        PQclear(res);
        res = NULL;
    }
    cv_db_free(db);
    return status;
}

static void *
run_thread(void *arg)
{
    struct bench          *bench = arg;
    struct wk_llm_thread  *thread;
    struct cv_db          *db;
    struct wk_eval_input   in;
    struct wk_eval_result  out;
    struct wk_llm_job      job;
    struct wk_llm_error    err;
    struct cv_logctx       lc = {NULL, "00000000-0000-4000-8000-000000000000"};
    int                    is_ready;

    /* Set up as a pool thread does at worker start, outside the measured time. */
    thread = wk_llm_thread_new(bench->llm);
    db = cv_db_new(bench->cfg, "bench_llm_chain");
    is_ready = thread != NULL && db != NULL && cv_db_connect(db) == CV_OK;
    (void)pthread_barrier_wait(&bench->ready);   /* PTHREAD_BARRIER_SERIAL_THREAD or 0 */
    if (!is_ready) {
        fprintf(stderr, "bench_llm_chain: could not set up a thread\n");
        atomic_fetch_add(&bench->failures, 1);
        goto out;
    }
    memset(&in, 0, sizeof(in));
    in.job_id = lc.job_id;
    in.cv_text = cv_text;
    in.project_text = project_text;
    in.job_description = bench->texts[0];
    in.case_study_brief = bench->texts[1];
    in.scoring_rubric = bench->texts[2];
    job.in = &in;
    job.lc = &lc;
    job.cancel = NULL;

    while (atomic_fetch_add(&bench->next, 1) < bench->total) {
        memset(&out, 0, sizeof(out));
        job.deadline_ms = cv_clock_mono_ms() + bench->cfg->job_deadline_ms;
        if (wk_llm_evaluate(bench->llm, thread, db, &job, &out, &err) != CV_OK) {
            fprintf(stderr, "bench_llm_chain: %s: %s\n", wk_llm_code_name(err.code),
                    err.message);
            atomic_fetch_add(&bench->failures, 1);
        } else {
            add_latencies(bench, out.provenance);
        }
        wk_eval_result_cleanup(&out);
    }
out:
    cv_db_free(db);
    wk_llm_thread_free(thread);
    return NULL;
}

/* Returns the process's peak resident size in KiB, from /proc/self/status. */
static long
peak_rss_kib(void)
{
    FILE *fp;
    char  line[256];
    long  kib = -1;

    fp = fopen("/proc/self/status", "r");
    if (fp == NULL) {
        return -1;
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (sscanf(line, "VmHWM: %ld", &kib) == 1) {
            break;
        }
    }
    fclose(fp);
    return kib;
}

int
main(int argc, char **argv)
{
    static struct bench bench;
    struct cv_config    cfg;
    struct cv_buf       errors;
    pthread_t           threads[THREADS_MAX];
    char                errbuf[512];
    long                count;
    long                latency_ms;
    long                i;
    int64_t             started_ms;
    double              seconds;
    double              ideal;
    int                 status = 1;

    if (argc != 4) {
        fprintf(stderr, "usage: bench_llm_chain THREADS EVALUATIONS LATENCY_MS\n");
        return 2;
    }
    count = strtol(argv[1], NULL, 10);
    bench.total = strtol(argv[2], NULL, 10);
    latency_ms = strtol(argv[3], NULL, 10);
    if (count < 1 || count > THREADS_MAX || bench.total < 1 || latency_ms < 1) {
        fprintf(stderr, "bench_llm_chain: THREADS must be 1..%d, EVALUATIONS and "
                        "LATENCY_MS at least 1\n", THREADS_MAX);
        return 2;
    }

    cv_buf_init(&errors, 8192);
    if (cv_config_load_env(&cfg, NULL, &errors) != CV_OK) {
        fprintf(stderr, "%s", errors.data != NULL ? errors.data : "invalid configuration\n");
        goto out;
    }
    cv_log_open("bench_llm_chain", CV_LOG_WARN, 1);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        goto out;
    }
    bench.cfg = &cfg;
    if (wk_llm_new(&cfg, &bench.llm, errbuf, sizeof(errbuf)) != CV_OK) {
        fprintf(stderr, "bench_llm_chain: %s\n", errbuf);
        goto out;
    }
    if (load_texts(&bench) != 0) {
        goto out;
    }

    if (pthread_barrier_init(&bench.ready, NULL, (unsigned)count + 1) != 0) {
        goto out;
    }
    for (i = 0; i < count; i++) {
        if (pthread_create(&threads[i], NULL, run_thread, &bench) != 0) {
            /* The barrier counts every thread, so a missing one would block the rest. */
            fprintf(stderr, "bench_llm_chain: could not start thread %ld\n", i);
            return 1;
        }
    }
    (void)pthread_barrier_wait(&bench.ready);
    started_ms = cv_clock_mono_ms();
    for (i = 0; i < count; i++) {
        pthread_join(threads[i], NULL);
    }
    seconds = (double)(cv_clock_mono_ms() - started_ms) / 1000.0;
    ideal = (double)count / (3.0 * (double)latency_ms / 1000.0);
    printf("%ld %ld %.2f %.1f %.1f %.3f %ld %.1f %.1f %.1f\n", count, bench.total, seconds,
           (double)bench.total / seconds, ideal, (double)bench.total / seconds / ideal,
           atomic_load(&bench.failures), (double)peak_rss_kib() / 1024.0,
           (double)atomic_load(&bench.eval_ms_sum) / (double)bench.total,
           atomic_load(&bench.call_count) > 0
               ? (double)atomic_load(&bench.call_ms_sum) / (double)atomic_load(&bench.call_count)
               : 0.0);
    status = atomic_load(&bench.failures) == 0 ? 0 : 1;
out:
    for (i = 0; i < 3; i++) {
        free(bench.texts[i]);
    }
    wk_llm_free(bench.llm);
    curl_global_cleanup();
    cv_config_cleanup(&cfg);
    cv_buf_cleanup(&errors);
    return status;
}
