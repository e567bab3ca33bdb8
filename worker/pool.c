/*
 * Pool threads, the task ring and the completion ring. One mutex guards all shared
 * state; job runs happen outside it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "worker/job.h"
#include "worker/pool.h"
#include "worker/sigmask.h"

/* One thread and the run it is doing. */
struct slot {
    struct wk_pool *pool;
    pthread_t       thread;
    int             is_started;     /* thread was created */
    int             is_joined;
    atomic_int      cancel;         /* read by the run, written by anyone */
    /* guarded by pool->mutex */
    int             is_exited;
    int             has_claim;
    char            claim_token[CV_UUID_LEN];
    int64_t         deadline_ms;    /* CLOCK_MONOTONIC */
};

struct wk_pool {
    const struct cv_config    *cfg;         /* borrowed */
    const struct wk_evaluator *evaluator;   /* borrowed */
    struct wk_metrics         *metrics;     /* borrowed */
    const char                *worker_id;   /* borrowed */
    wk_pool_notify_fn          notify;
    void                      *notify_arg;
    size_t                     size;        /* threads */
    struct slot               *slots;       /* owned, size entries */

    pthread_mutex_t     mutex;
    pthread_cond_t      task_ready;   /* signalled on submit and shutdown */
    pthread_cond_t      changed;      /* signalled on thread start, failure and exit */
    /* every field below is guarded by mutex */
    struct wk_task      *tasks;       /* owned ring of size entries */
    size_t               task_head;
    size_t               task_count;
    struct wk_task_done *done;        /* owned ring of size entries */
    size_t               done_head;
    size_t               done_count;
    size_t               running;
    size_t               ready;       /* threads that opened their state */
    size_t               failed;      /* threads that could not */
    size_t               exited;
    int                  is_shutdown;
    char                 start_error[256];
};

struct wk_pool *
wk_pool_new(const struct cv_config *cfg, const struct wk_evaluator *evaluator,
            struct wk_metrics *metrics, const char *worker_id, wk_pool_notify_fn notify,
            void *notify_arg)
{
    struct wk_pool *pool;
    size_t          i;

    pool = calloc(1, sizeof(*pool));
    if (pool == NULL) {
        return NULL;
    }
    pool->cfg = cfg;
    pool->evaluator = evaluator;
    pool->metrics = metrics;
    pool->worker_id = worker_id;
    pool->notify = notify;
    pool->notify_arg = notify_arg;
    pool->size = (size_t)cfg->consumer_max_concurrency;
    pool->slots = calloc(pool->size, sizeof(*pool->slots));
    pool->tasks = calloc(pool->size, sizeof(*pool->tasks));
    pool->done = calloc(pool->size, sizeof(*pool->done));
    if (pool->slots == NULL || pool->tasks == NULL || pool->done == NULL) {
        goto fail;
    }
    if (pthread_mutex_init(&pool->mutex, NULL) != 0) {
        goto fail;
    }
    if (pthread_cond_init(&pool->task_ready, NULL) != 0) {
        pthread_mutex_destroy(&pool->mutex);
        goto fail;
    }
    if (pthread_cond_init(&pool->changed, NULL) != 0) {
        pthread_cond_destroy(&pool->task_ready);
        pthread_mutex_destroy(&pool->mutex);
        goto fail;
    }
    for (i = 0; i < pool->size; i++) {
        pool->slots[i].pool = pool;
        atomic_init(&pool->slots[i].cancel, 0);
    }
    return pool;

fail:
    free(pool->slots);
    free(pool->tasks);
    free(pool->done);
    free(pool);
    return NULL;
}

size_t
wk_pool_size(const struct wk_pool *pool)
{
    return pool->size;
}

/* Publishes a run's claim so the heartbeat and the drain can see it. */
static void
publish_claim(void *arg, const struct wk_claim *claim, int64_t deadline_ms)
{
    struct slot *slot = arg;

    pthread_mutex_lock(&slot->pool->mutex);
    (void)snprintf(slot->claim_token, sizeof(slot->claim_token), "%s", claim->claim_token);
    slot->deadline_ms = deadline_ms;
    slot->has_claim = 1;
    pthread_mutex_unlock(&slot->pool->mutex);
}

/* Waits for a task; returns 0 when the pool shut down and no task is left. */
static int
next_task(struct wk_pool *pool, struct wk_task *task)
{
    int has_task = 0;

    pthread_mutex_lock(&pool->mutex);
    while (pool->task_count == 0 && !pool->is_shutdown) {
        pthread_cond_wait(&pool->task_ready, &pool->mutex);
    }
    if (pool->task_count > 0) {
        *task = pool->tasks[pool->task_head];
        pool->task_head = (pool->task_head + 1) % pool->size;
        pool->task_count--;
        pool->running++;
        has_task = 1;
        wk_metrics_set_busy(pool->metrics, pool->running);
    }
    pthread_mutex_unlock(&pool->mutex);
    return has_task;
}

static void
finish_task(struct slot *slot, const struct wk_task *task, enum wk_job_outcome outcome)
{
    struct wk_pool *pool = slot->pool;
    size_t          tail;

    pthread_mutex_lock(&pool->mutex);
    slot->has_claim = 0;
    slot->claim_token[0] = '\0';
    pool->running--;
    /* The task held a slot since submission, so the done ring always has room. */
    tail = (pool->done_head + pool->done_count) % pool->size;
    pool->done[tail].task = *task;
    pool->done[tail].outcome = outcome;
    pool->done_count++;
    wk_metrics_set_busy(pool->metrics, pool->running);
    pthread_mutex_unlock(&pool->mutex);
    if (pool->notify != NULL) {
        pool->notify(pool->notify_arg);
    }
}

/* Opens the thread's own state and reports to wk_pool_start(); 0 on failure. */
static int
open_thread_state(struct slot *slot, struct cv_db **db, void **eval_state)
{
    struct wk_pool *pool = slot->pool;
    enum cv_err     rc;
    int             is_ok;

    *db = cv_db_new(pool->cfg, "cv-worker");
    rc = *db == NULL ? CV_ENOMEM : wk_evaluator_thread_open(pool->evaluator, eval_state);
    is_ok = rc == CV_OK;

    /*
     * Connect now rather than on the first job, so a burst of work at start does not
     * wait for many connections at once. A database that is down is not fatal here:
     * the connection is retried before each statement.
     */
    if (is_ok && cv_db_connect(*db) != CV_OK && cv_log_level_min <= CV_LOG_DEBUG) {
        cv_log_emit(CV_LOG_DEBUG, NULL, "pool.connect", CV_EUNAVAIL, cv_db_errmsg(*db),
                    "stage=%s", "start");
    }

    pthread_mutex_lock(&pool->mutex);
    if (is_ok) {
        pool->ready++;
    } else {
        pool->failed++;
        (void)snprintf(pool->start_error, sizeof(pool->start_error),
                       "could not prepare a pool thread: %s", cv_strerror(rc));
    }
    pthread_cond_broadcast(&pool->changed);
    pthread_mutex_unlock(&pool->mutex);
    return is_ok;
}

static void *
thread_main(void *arg)
{
    struct slot       *slot = arg;
    struct wk_pool    *pool = slot->pool;
    struct cv_db      *db = NULL;
    void              *eval_state = NULL;
    struct wk_job_env  env;
    struct wk_task     task;
    enum wk_job_outcome outcome;

    if (open_thread_state(slot, &db, &eval_state)) {
        env.cfg = pool->cfg;
        env.db = db;
        env.evaluator = pool->evaluator;
        env.eval_thread_state = eval_state;
        env.metrics = pool->metrics;
        env.worker_id = pool->worker_id;
        env.cancel = &slot->cancel;
        env.on_claim = publish_claim;
        env.on_claim_arg = slot;
        while (next_task(pool, &task)) {
            atomic_store(&slot->cancel, 0);
            outcome = wk_job_run(&env, &task);
            finish_task(slot, &task, outcome);
        }
        wk_evaluator_thread_close(pool->evaluator, eval_state);
    }
    cv_db_free(db);

    pthread_mutex_lock(&pool->mutex);
    slot->is_exited = 1;
    pool->exited++;
    pthread_cond_broadcast(&pool->changed);
    pthread_mutex_unlock(&pool->mutex);
    return NULL;
}

enum cv_err
wk_pool_start(struct wk_pool *pool, char *errbuf, size_t errbuf_len)
{
    sigset_t    previous;
    enum cv_err rc = CV_OK;
    size_t      i;
    int         err;

    /* Signals belong to the main thread: the threads start with them blocked. */
    wk_sigmask_block(&previous);
    for (i = 0; i < pool->size; i++) {
        err = pthread_create(&pool->slots[i].thread, NULL, thread_main, &pool->slots[i]);
        if (err != 0) {
            (void)snprintf(errbuf, errbuf_len, "could not start pool thread %zu of %zu: %s",
                           i + 1, pool->size, strerror(err));
            rc = CV_ENOMEM;
            break;
        }
        pool->slots[i].is_started = 1;
    }
    wk_sigmask_restore(&previous);

    /* Wait until every started thread has opened its state or given up. */
    pthread_mutex_lock(&pool->mutex);
    while (pool->ready + pool->failed < i) {
        pthread_cond_wait(&pool->changed, &pool->mutex);
    }
    if (rc == CV_OK && pool->failed > 0) {
        (void)snprintf(errbuf, errbuf_len, "%s", pool->start_error);
        rc = CV_EINTERNAL;
    }
    pthread_mutex_unlock(&pool->mutex);
    return rc;
}

enum cv_err
wk_pool_submit(struct wk_pool *pool, const struct wk_task *task)
{
    enum cv_err rc = CV_OK;
    size_t      tail;

    pthread_mutex_lock(&pool->mutex);
    if (pool->is_shutdown) {
        rc = CV_EINVAL;
    } else if (pool->task_count + pool->running + pool->done_count >= pool->size) {
        rc = CV_EUNAVAIL;
    } else {
        tail = (pool->task_head + pool->task_count) % pool->size;
        pool->tasks[tail] = *task;
        pool->task_count++;
        pthread_cond_signal(&pool->task_ready);
    }
    pthread_mutex_unlock(&pool->mutex);
    return rc;
}

size_t
wk_pool_free_slots(struct wk_pool *pool)
{
    size_t used;

    pthread_mutex_lock(&pool->mutex);
    used = pool->task_count + pool->running + pool->done_count;
    pthread_mutex_unlock(&pool->mutex);
    return used < pool->size ? pool->size - used : 0;
}

size_t
wk_pool_busy(struct wk_pool *pool)
{
    size_t busy;

    pthread_mutex_lock(&pool->mutex);
    busy = pool->task_count + pool->running;
    pthread_mutex_unlock(&pool->mutex);
    return busy;
}

size_t
wk_pool_take_done(struct wk_pool *pool, struct wk_task_done *out, size_t max)
{
    size_t count = 0;

    pthread_mutex_lock(&pool->mutex);
    while (count < max && pool->done_count > 0) {
        out[count++] = pool->done[pool->done_head];
        pool->done_head = (pool->done_head + 1) % pool->size;
        pool->done_count--;
    }
    pthread_mutex_unlock(&pool->mutex);
    return count;
}

size_t
wk_pool_claims(struct wk_pool *pool, char (*tokens)[CV_UUID_LEN], size_t max, int64_t now_ms)
{
    size_t count = 0;
    size_t i;

    pthread_mutex_lock(&pool->mutex);
    for (i = 0; i < pool->size && count < max; i++) {
        if (!pool->slots[i].has_claim) {
            continue;
        }
        if (now_ms >= 0 && now_ms > pool->slots[i].deadline_ms) {
            continue;
        }
        memcpy(tokens[count++], pool->slots[i].claim_token, CV_UUID_LEN);
    }
    pthread_mutex_unlock(&pool->mutex);
    return count;
}

int
wk_pool_cancel_claim(struct wk_pool *pool, const char *claim_token)
{
    size_t i;
    int    found = 0;

    pthread_mutex_lock(&pool->mutex);
    for (i = 0; i < pool->size; i++) {
        if (pool->slots[i].has_claim && strcmp(pool->slots[i].claim_token, claim_token) == 0) {
            atomic_store(&pool->slots[i].cancel, 1);
            found = 1;
        }
    }
    pthread_mutex_unlock(&pool->mutex);
    return found;
}

void
wk_pool_cancel_all(struct wk_pool *pool)
{
    size_t i;

    pthread_mutex_lock(&pool->mutex);
    for (i = 0; i < pool->size; i++) {
        atomic_store(&pool->slots[i].cancel, 1);
    }
    pthread_mutex_unlock(&pool->mutex);
}

void
wk_pool_shutdown(struct wk_pool *pool, struct wk_task *out, size_t max, size_t *dropped)
{
    size_t count = 0;

    pthread_mutex_lock(&pool->mutex);
    pool->is_shutdown = 1;
    while (pool->task_count > 0) {
        if (count < max) {
            out[count] = pool->tasks[pool->task_head];
        }
        count++;
        pool->task_head = (pool->task_head + 1) % pool->size;
        pool->task_count--;
    }
    pthread_cond_broadcast(&pool->task_ready);
    pthread_mutex_unlock(&pool->mutex);
    *dropped = count;
}

int
wk_pool_join(struct wk_pool *pool, int64_t timeout_ms)
{
    struct timespec until;
    struct slot    *slot;
    int64_t         deadline = cv_clock_wall_ms() + timeout_ms;
    size_t          started = 0;
    size_t          i;
    int             is_all_joined = 1;
    int             is_exited;

    for (i = 0; i < pool->size; i++) {
        started += pool->slots[i].is_started != 0;
    }
    until.tv_sec = (time_t)(deadline / 1000);
    until.tv_nsec = (long)(deadline % 1000) * 1000000L;

    pthread_mutex_lock(&pool->mutex);
    while (pool->exited < started) {
        if (pthread_cond_timedwait(&pool->changed, &pool->mutex, &until) == ETIMEDOUT) {
            break;
        }
    }
    pthread_mutex_unlock(&pool->mutex);

    for (i = 0; i < pool->size; i++) {
        slot = &pool->slots[i];
        if (!slot->is_started || slot->is_joined) {
            continue;
        }
        pthread_mutex_lock(&pool->mutex);
        is_exited = slot->is_exited;
        pthread_mutex_unlock(&pool->mutex);
        if (!is_exited) {
            is_all_joined = 0;
            continue;
        }
        (void)pthread_join(slot->thread, NULL); /* the thread has returned: cannot block */
        slot->is_joined = 1;
    }
    return is_all_joined;
}

void
wk_pool_free(struct wk_pool *pool)
{
    if (pool == NULL) {
        return;
    }
    pthread_cond_destroy(&pool->changed);
    pthread_cond_destroy(&pool->task_ready);
    pthread_mutex_destroy(&pool->mutex);
    free(pool->slots);
    free(pool->tasks);
    free(pool->done);
    free(pool);
}
