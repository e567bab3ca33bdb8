/*
 * The Kafka side of the worker: a high-level consumer in group KAFKA_GROUP_ID with
 * manual offset commits. Each message becomes a pool task; its offset is committed
 * once it and every earlier message of its partition have finished. Messages that
 * arrive while every thread is busy wait in a prefetch queue of CONSUMER_PREFETCH
 * entries. When the pool and that queue are full the consumer pauses its partitions
 * instead of buffering more, and resumes once a quarter of the queue has moved on.
 * Unparsable messages go to the dead-letter topic. Apart from wk_consumer_wake() and
 * wk_consumer_is_ready(), call it from one thread only.
 */
#ifndef WK_CONSUME_H
#define WK_CONSUME_H

#include <stddef.h>

#include "common/config.h"
#include "common/err.h"
#include "worker/dlq.h"
#include "worker/metrics.h"
#include "worker/pool.h"

struct wk_consumer;

/*
 * Creates the consumer and subscribes to KAFKA_TOPIC. No broker needs to be up: the
 * client connects in the background. cfg, pool, metrics and dlq are borrowed and
 * must outlive it. Returns NULL with a reason in errbuf.
 */
struct wk_consumer *wk_consumer_new(const struct cv_config *cfg, struct wk_pool *pool,
                                    struct wk_metrics *metrics, struct wk_dlq *dlq,
                                    char *errbuf, size_t errbuf_len);

/*
 * Does one round. It takes finished tasks back from the pool, moves prefetched
 * messages into free slots and pauses or resumes the partitions. Then it waits up to
 * timeout_ms for one message or rebalance event, handles it, and commits finished
 * offsets at most once a second. Blocks up to timeout_ms.
 */
void wk_consumer_poll(struct wk_consumer *consumer, int timeout_ms);

/* Wakes a wk_consumer_poll() in progress; for the pool's notify hook. Thread-safe. */
void wk_consumer_wake(void *consumer);

/*
 * Stops taking new messages: every partition, also those assigned later, stays
 * paused. The prefetched messages are dropped without being started or committed, so
 * they are delivered again. Returns how many were dropped. Polling must go on so that
 * completions are taken and offsets committed.
 */
size_t wk_consumer_stop_intake(struct wk_consumer *consumer);

/*
 * Stops recording finished tasks: from now on a completion frees its pool slot but its
 * offset stays uncommitted. Called when running jobs are released at shutdown, so
 * their messages are redelivered to the next owner of the partition.
 */
void wk_consumer_freeze_offsets(struct wk_consumer *consumer);

/* Commits every finished offset now and waits for the broker's answer. */
void wk_consumer_commit_sync(struct wk_consumer *consumer);

/*
 * Leaves the group: finished offsets are committed on the revoke, then the handle is
 * closed with rd_kafka_consumer_close(). Tasks still running can no longer commit.
 */
void wk_consumer_close(struct wk_consumer *consumer);

/* Destroys the handle (after wk_consumer_close()). NULL is a no-op. */
void wk_consumer_free(struct wk_consumer *consumer);

/* Returns 1 when a broker connection is up and the group coordinator known. Thread-safe. */
int wk_consumer_is_ready(const struct wk_consumer *consumer);

#endif
