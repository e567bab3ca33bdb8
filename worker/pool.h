/*
 * The evaluation pool: CONSUMER_MAX_CONCURRENCY pthreads, each owning its own
 * PostgreSQL connection and evaluator thread state (never shared), fed from a bounded
 * task queue. A task holds its slot from submission until the consumer takes its
 * completion back, so the pool never holds more work than it has threads and the
 * consumer pauses instead of buffering. All functions are thread-safe.
 */
#ifndef WK_POOL_H
#define WK_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/err.h"
#include "common/id.h"
#include "worker/evaluator.h"
#include "worker/metrics.h"
#include "worker/task.h"

struct wk_pool;

/* Called on a pool thread after a task finished, to wake the consumer. */
typedef void (*wk_pool_notify_fn)(void *arg);

/*
 * Allocates a pool of cfg->consumer_max_concurrency threads, not started yet. cfg,
 * evaluator, metrics and worker_id are borrowed and must outlive the pool. notify
 * (may be NULL) runs on a pool thread after each task. Returns NULL on ENOMEM.
 */
struct wk_pool *wk_pool_new(const struct cv_config *cfg, const struct wk_evaluator *evaluator,
                            struct wk_metrics *metrics, const char *worker_id,
                            wk_pool_notify_fn notify, void *notify_arg);

/*
 * Starts the threads. Each opens its evaluator state first; a failure there stops
 * the start, and errbuf gives the reason. The threads connect to PostgreSQL on first use.
 * On failure call wk_pool_shutdown() and wk_pool_free() as usual.
 */
enum cv_err wk_pool_start(struct wk_pool *pool, char *errbuf, size_t errbuf_len);

/* Returns the number of threads. */
size_t wk_pool_size(const struct wk_pool *pool);

/*
 * Queues a copy of task. Returns CV_EUNAVAIL when every slot is taken and CV_EINVAL
 * after wk_pool_shutdown(); the task is not queued then. Never blocks.
 */
enum cv_err wk_pool_submit(struct wk_pool *pool, const struct wk_task *task);

/* Returns the slots free for wk_pool_submit() right now. */
size_t wk_pool_free_slots(struct wk_pool *pool);

/* Returns the tasks queued or running (completions not yet taken are not counted). */
size_t wk_pool_busy(struct wk_pool *pool);

/*
 * Moves up to max finished tasks into out and frees their slots. Returns how many
 * were moved.
 */
size_t wk_pool_take_done(struct wk_pool *pool, struct wk_task_done *out, size_t max);

/*
 * Copies the claim tokens of running jobs into tokens (up to max) and returns their
 * number. When now_ms >= 0, runs already past their deadline are left out, so a hung
 * run stops being kept alive and the sweeper can recover its job.
 */
size_t wk_pool_claims(struct wk_pool *pool, char (*tokens)[CV_UUID_LEN], size_t max,
                      int64_t now_ms);

/*
 * Asks the run holding claim_token to stop without writing to its job. Returns 1 when a
 * run still held it, 0 when that run had already finished.
 */
int wk_pool_cancel_claim(struct wk_pool *pool, const char *claim_token);

/* Asks every running job to stop without writing to its job. */
void wk_pool_cancel_all(struct wk_pool *pool);

/*
 * Rejects new tasks, drops queued ones not started yet (returned in out, up to max,
 * with their count in *dropped), and tells the threads to exit once their current
 * task ends. Does not wait.
 */
void wk_pool_shutdown(struct wk_pool *pool, struct wk_task *out, size_t max,
                      size_t *dropped);

/*
 * Waits up to timeout_ms for the threads to exit and joins those that did. Returns 1
 * when every thread was joined, 0 when some are still running.
 */
int wk_pool_join(struct wk_pool *pool, int64_t timeout_ms);

/*
 * Frees the pool. Only valid after wk_pool_join() returned 1 or the pool was never
 * started. NULL is a no-op.
 */
void wk_pool_free(struct wk_pool *pool);

#endif
