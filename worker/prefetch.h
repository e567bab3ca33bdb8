/*
 * The consumer's prefetch queue: wake-up messages already fetched from Kafka and parsed
 * into tasks, waiting in arrival order for a free pool thread. Its capacity is fixed
 * (CONSUMER_PREFETCH), and the pause rule below keeps the consumer from fetching past
 * it. Pure bookkeeping with no Kafka or thread calls; the consumer thread alone uses it.
 */
#ifndef WK_PREFETCH_H
#define WK_PREFETCH_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/err.h"
#include "worker/task.h"

/*
 * Default capacity per pool thread, used when CONSUMER_PREFETCH is -1. librdkafka
 * 2.0.2 fetches from resumed partitions only at its fetcher thread's next wake-up,
 * up to 1 s after the resume, so the queue should still hold about a second of work
 * when the consumer resumes. It resumes with three quarters of the queue left: three
 * jobs per thread, 0.9 s of work for the 300 ms jobs of the benchmark in
 * docs/benchmarks.md, and far more for jobs that take seconds.
 */
#define WK_PREFETCH_PER_THREAD 4

struct wk_prefetch;

/*
 * Returns the prefetch capacity set by cfg: CONSUMER_PREFETCH, or
 * WK_PREFETCH_PER_THREAD per pool thread when that is -1.
 */
size_t wk_prefetch_capacity_of(const struct cv_config *cfg);

/*
 * Allocates an empty queue for up to capacity tasks; capacity 0 gives a queue that
 * is always full. Returns NULL on ENOMEM. Free it with wk_prefetch_free().
 */
struct wk_prefetch *wk_prefetch_new(size_t capacity);

/* Frees the queue and the tasks in it. NULL is a no-op. */
void wk_prefetch_free(struct wk_prefetch *prefetch);

/* Returns the number of tasks waiting. */
size_t wk_prefetch_count(const struct wk_prefetch *prefetch);

/* Returns the capacity given to wk_prefetch_new(). */
size_t wk_prefetch_capacity(const struct wk_prefetch *prefetch);

/* Appends a copy of task. Returns CV_EUNAVAIL, and changes nothing, when full. */
enum cv_err wk_prefetch_push(struct wk_prefetch *prefetch, const struct wk_task *task);

/*
 * Returns the oldest task, or NULL when the queue is empty. The pointer is borrowed
 * and stays valid until the next call that changes the queue.
 */
const struct wk_task *wk_prefetch_peek(const struct wk_prefetch *prefetch);

/* Removes the oldest task; a no-op when the queue is empty. */
void wk_prefetch_pop(struct wk_prefetch *prefetch);

/*
 * Removes every task of partition, keeping the others in order. Returns how many
 * were removed.
 */
size_t wk_prefetch_drop_partition(struct wk_prefetch *prefetch, int32_t partition);

/* Removes every task and returns how many there were. */
size_t wk_prefetch_clear(struct wk_prefetch *prefetch);

/*
 * Returns the earliest message timestamp (ms since the epoch) among the tasks of
 * partition, or -1 when none of them has one.
 */
int64_t wk_prefetch_oldest_ts(const struct wk_prefetch *prefetch, int32_t partition);

/*
 * Watermarks of the consumer's intake, counted in held messages: pool slots in use
 * plus tasks in the prefetch queue.
 */
struct wk_prefetch_marks {
    size_t pause_at;    /* pause every partition once held reaches this */
    size_t resume_at;   /* resume once held drops to this; below pause_at */
};

/*
 * Computes the marks of a pool of pool_size threads with a prefetch queue of capacity
 * tasks: pause at pool_size + capacity, and resume once a quarter of the capacity
 * (at least one message) has moved on. The gap makes one resume fetch a batch rather
 * than a single message, while three quarters of the queue still covers the time
 * librdkafka takes to fetch again. With capacity 0 the consumer resumes as soon as a
 * pool slot frees.
 */
struct wk_prefetch_marks wk_prefetch_marks_of(size_t pool_size, size_t capacity);

/*
 * Decides whether intake is over its bound. held is the current count of held
 * messages and was_over the previous decision. Returns 1 when held reached
 * marks->pause_at, or when it was over and held is still above marks->resume_at;
 * returns 0 otherwise.
 */
int wk_prefetch_is_over(const struct wk_prefetch_marks *marks, size_t held, int was_over);

#endif
