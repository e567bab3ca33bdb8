/* The worker's metrics: plain counters under one mutex, formatted on request. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "worker/metrics.h"

/* Upper bounds of job_duration_seconds, in seconds; +Inf is implied. */
static const double duration_bounds[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
#define DURATION_BUCKETS (sizeof(duration_bounds) / sizeof(duration_bounds[0]))

/* Maximum size of an error code kept as a label value, NUL included. */
#define ERROR_CODE_LEN 48

static const char *const recovery_names[WK_RECOVERY_COUNT] = {
    "stale_requeued", "stale_failed", "stranded"};

struct wk_metrics {
    pthread_mutex_t mutex;
    char     *topic;                                   /* owned; immutable */
    size_t    thread_count;                            /* immutable */
    /* every field below is guarded by mutex */
    size_t    busy;
    uint64_t  jobs[WK_JOB_OUTCOME_COUNT];
    char      error_codes[WK_METRICS_ERROR_CODES_MAX][ERROR_CODE_LEN];
    uint64_t  error_counts[WK_METRICS_ERROR_CODES_MAX];
    size_t    error_code_count;
    uint64_t  error_other;
    uint64_t  duration_buckets[DURATION_BUCKETS + 1];  /* not cumulative; last is +Inf */
    double    duration_sum_s;
    uint64_t  duration_count;
    uint64_t  recoveries[WK_RECOVERY_COUNT];
    uint64_t  dead_letters_sent;
    uint64_t  dead_letters_failed;
    int       is_paused;
    uint64_t  pauses;
    size_t    prefetch_depth;
    double   *lag_s;                                   /* owned, per partition, <0 = none */
};

struct wk_metrics *
wk_metrics_new(size_t thread_count, const char *topic)
{
    struct wk_metrics *metrics;
    size_t             i;

    metrics = calloc(1, sizeof(*metrics));
    if (metrics == NULL) {
        return NULL;
    }
    metrics->topic = strdup(topic);
    metrics->lag_s = calloc(WK_METRICS_PARTITIONS_MAX, sizeof(*metrics->lag_s));
    if (metrics->topic == NULL || metrics->lag_s == NULL ||
        pthread_mutex_init(&metrics->mutex, NULL) != 0) {
        free(metrics->topic);
        free(metrics->lag_s);
        free(metrics);
        return NULL;
    }
    for (i = 0; i < WK_METRICS_PARTITIONS_MAX; i++) {
        metrics->lag_s[i] = -1;
    }
    metrics->thread_count = thread_count;
    return metrics;
}

void
wk_metrics_free(struct wk_metrics *metrics)
{
    if (metrics == NULL) {
        return;
    }
    pthread_mutex_destroy(&metrics->mutex);
    free(metrics->lag_s);
    free(metrics->topic);
    free(metrics);
}

void
wk_metrics_set_busy(struct wk_metrics *metrics, size_t busy)
{
    pthread_mutex_lock(&metrics->mutex);
    metrics->busy = busy;
    pthread_mutex_unlock(&metrics->mutex);
}

/* Returns 1 when code is a non-empty run of [a-z0-9_], safe as a label value. */
static int
is_code_name(const char *code)
{
    size_t i;

    for (i = 0; code[i] != '\0'; i++) {
        if (!((code[i] >= 'a' && code[i] <= 'z') || (code[i] >= '0' && code[i] <= '9') ||
              code[i] == '_')) {
            return 0;
        }
    }
    return i > 0;
}

/* Counts error_code; the caller holds the mutex. */
static void
count_error_code(struct wk_metrics *metrics, const char *error_code)
{
    size_t i;

    if (!is_code_name(error_code)) {
        metrics->error_other++;
        return;
    }

    for (i = 0; i < metrics->error_code_count; i++) {
        if (strcmp(metrics->error_codes[i], error_code) == 0) {
            metrics->error_counts[i]++;
            return;
        }
    }
    if (metrics->error_code_count == WK_METRICS_ERROR_CODES_MAX ||
        strlen(error_code) >= ERROR_CODE_LEN) {
        metrics->error_other++;
        return;
    }
    memcpy(metrics->error_codes[i], error_code, strlen(error_code) + 1);
    metrics->error_counts[i] = 1;
    metrics->error_code_count++;
}

void
wk_metrics_count_job(struct wk_metrics *metrics, enum wk_job_outcome outcome,
                     const char *error_code, int64_t duration_ms)
{
    double seconds = (double)duration_ms / 1000.0;
    size_t bucket;

    pthread_mutex_lock(&metrics->mutex);
    if ((size_t)outcome < WK_JOB_OUTCOME_COUNT) {
        metrics->jobs[outcome]++;
    }
    if (error_code != NULL) {
        count_error_code(metrics, error_code);
    }
    if (outcome != WK_JOB_SKIPPED && outcome != WK_JOB_IDLE && duration_ms >= 0) {
        for (bucket = 0; bucket < DURATION_BUCKETS; bucket++) {
            if (seconds <= duration_bounds[bucket]) {
                break;
            }
        }
        metrics->duration_buckets[bucket]++;
        metrics->duration_sum_s += seconds;
        metrics->duration_count++;
    }
    pthread_mutex_unlock(&metrics->mutex);
}

void
wk_metrics_count_recovery(struct wk_metrics *metrics, enum wk_recovery reason)
{
    if ((size_t)reason >= WK_RECOVERY_COUNT) {
        return;
    }
    pthread_mutex_lock(&metrics->mutex);
    metrics->recoveries[reason]++;
    pthread_mutex_unlock(&metrics->mutex);
}

void
wk_metrics_count_dead_letter(struct wk_metrics *metrics, int is_sent)
{
    pthread_mutex_lock(&metrics->mutex);
    if (is_sent) {
        metrics->dead_letters_sent++;
    } else {
        metrics->dead_letters_failed++;
    }
    pthread_mutex_unlock(&metrics->mutex);
}

void
wk_metrics_set_paused(struct wk_metrics *metrics, int is_paused)
{
    pthread_mutex_lock(&metrics->mutex);
    if (is_paused && !metrics->is_paused) {
        metrics->pauses++;
    }
    metrics->is_paused = is_paused != 0;
    pthread_mutex_unlock(&metrics->mutex);
}

void
wk_metrics_set_prefetch_depth(struct wk_metrics *metrics, size_t depth)
{
    pthread_mutex_lock(&metrics->mutex);
    metrics->prefetch_depth = depth;
    pthread_mutex_unlock(&metrics->mutex);
}

void
wk_metrics_set_lag(struct wk_metrics *metrics, int32_t partition, double seconds)
{
    if (partition < 0 || partition >= WK_METRICS_PARTITIONS_MAX) {
        return;
    }
    pthread_mutex_lock(&metrics->mutex);
    metrics->lag_s[partition] = seconds < 0 ? -1 : seconds;
    pthread_mutex_unlock(&metrics->mutex);
}

/* Appends the families about jobs; the caller holds the mutex. */
static enum cv_err
format_jobs(const struct wk_metrics *metrics, struct cv_buf *out)
{
    uint64_t    cumulative = 0;
    enum cv_err rc = CV_OK;
    size_t      i;

    rc = cv_buf_append_str(out, "# HELP jobs_total Runs of jobs by how they ended.\n"
                                "# TYPE jobs_total counter\n");
    for (i = 0; rc == CV_OK && i < WK_JOB_OUTCOME_COUNT; i++) {
        rc = cv_buf_printf(out, "jobs_total{outcome=\"%s\"} %llu\n",
                           wk_job_outcome_name((enum wk_job_outcome)i),
                           (unsigned long long)metrics->jobs[i]);
    }
    if (rc == CV_OK) {
        rc = cv_buf_append_str(out, "# HELP jobs_failed_total Failed and retried runs by "
                                    "error code.\n# TYPE jobs_failed_total counter\n");
    }
    for (i = 0; rc == CV_OK && i < metrics->error_code_count; i++) {
        rc = cv_buf_printf(out, "jobs_failed_total{error_code=\"%s\"} %llu\n",
                           metrics->error_codes[i],
                           (unsigned long long)metrics->error_counts[i]);
    }
    if (rc == CV_OK && metrics->error_other > 0) {
        rc = cv_buf_printf(out, "jobs_failed_total{error_code=\"other\"} %llu\n",
                           (unsigned long long)metrics->error_other);
    }
    if (rc == CV_OK) {
        rc = cv_buf_append_str(out, "# HELP job_duration_seconds Duration of runs that "
                                    "claimed their job.\n"
                                    "# TYPE job_duration_seconds histogram\n");
    }
    for (i = 0; rc == CV_OK && i <= DURATION_BUCKETS; i++) {
        cumulative += metrics->duration_buckets[i];
        if (i < DURATION_BUCKETS) {
            rc = cv_buf_printf(out, "job_duration_seconds_bucket{le=\"%g\"} %llu\n",
                               duration_bounds[i], (unsigned long long)cumulative);
        } else {
            rc = cv_buf_printf(out, "job_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                                    "job_duration_seconds_sum %.6f\n"
                                    "job_duration_seconds_count %llu\n",
                               (unsigned long long)cumulative, metrics->duration_sum_s,
                               (unsigned long long)metrics->duration_count);
        }
    }
    return rc;
}

/* Appends the pool, consumer and sweeper families; the caller holds the mutex. */
static enum cv_err
format_process(const struct wk_metrics *metrics, struct cv_buf *out)
{
    enum cv_err rc;
    size_t      i;

    rc = cv_buf_printf(out,
                       "# HELP workers_active_total Pool threads running a job.\n"
                       "# TYPE workers_active_total gauge\nworkers_active_total %zu\n"
                       "# HELP workers_idle_total Pool threads waiting for a job.\n"
                       "# TYPE workers_idle_total gauge\nworkers_idle_total %zu\n"
                       "# HELP job_claims_skipped_total Messages whose job was not queued "
                       "when claimed.\n"
                       "# TYPE job_claims_skipped_total counter\njob_claims_skipped_total %llu\n"
                       "# HELP dead_letter_messages_total Unparsable messages moved to the "
                       "dead-letter topic.\n"
                       "# TYPE dead_letter_messages_total counter\n"
                       "dead_letter_messages_total{result=\"sent\"} %llu\n"
                       "dead_letter_messages_total{result=\"failed\"} %llu\n"
                       "# HELP consumer_paused 1 while the consumer has paused its partitions.\n"
                       "# TYPE consumer_paused gauge\nconsumer_paused %d\n"
                       "# HELP consumer_pauses_total Times the consumer paused its "
                       "partitions.\n"
                       "# TYPE consumer_pauses_total counter\nconsumer_pauses_total %llu\n"
                       "# HELP consumer_prefetch_depth Messages fetched and waiting for a "
                       "free pool thread.\n"
                       "# TYPE consumer_prefetch_depth gauge\nconsumer_prefetch_depth %zu\n"
                       "# HELP jobs_recovered_total Jobs recovered by the sweeper.\n"
                       "# TYPE jobs_recovered_total counter\n",
                       metrics->busy,
                       metrics->thread_count > metrics->busy
                           ? metrics->thread_count - metrics->busy : 0,
                       (unsigned long long)metrics->jobs[WK_JOB_SKIPPED],
                       (unsigned long long)metrics->dead_letters_sent,
                       (unsigned long long)metrics->dead_letters_failed, metrics->is_paused,
                       (unsigned long long)metrics->pauses, metrics->prefetch_depth);
    for (i = 0; rc == CV_OK && i < WK_RECOVERY_COUNT; i++) {
        rc = cv_buf_printf(out, "jobs_recovered_total{reason=\"%s\"} %llu\n",
                           recovery_names[i], (unsigned long long)metrics->recoveries[i]);
    }
    if (rc == CV_OK) {
        rc = cv_buf_append_str(out, "# HELP queue_lag_seconds Age of the oldest message of "
                                    "the partition not yet finished, 0 when none waits.\n"
                                    "# TYPE queue_lag_seconds gauge\n");
    }
    for (i = 0; rc == CV_OK && i < WK_METRICS_PARTITIONS_MAX; i++) {
        if (metrics->lag_s[i] >= 0) {
            rc = cv_buf_printf(out, "queue_lag_seconds{topic=\"%s\",partition=\"%zu\"} %.3f\n",
                               metrics->topic, i, metrics->lag_s[i]);
        }
    }
    return rc;
}

enum cv_err
wk_metrics_format(struct wk_metrics *metrics, struct cv_buf *out)
{
    enum cv_err rc;

    pthread_mutex_lock(&metrics->mutex);
    rc = format_process(metrics, out);
    if (rc == CV_OK) {
        rc = format_jobs(metrics, out);
    }
    pthread_mutex_unlock(&metrics->mutex);
    return rc;
}
