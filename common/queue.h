/*
 * Kafka side of the job queue, over librdkafka. The message for a job is keyed by the
 * job id (so one job always lands on one partition), carries the request id in a
 * "request_id" header, and has the JSON value {"job_id":"...","request_id":"..."}.
 * PostgreSQL stays the source of truth: a message is only a wake-up.
 */
#ifndef CV_QUEUE_H
#define CV_QUEUE_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "common/config.h"
#include "common/err.h"

struct cv_queue;

/*
 * Builds a librdkafka configuration with the brokers and security settings of cfg,
 * for producers and consumers alike. Returns NULL with a reason in errbuf. The caller
 * owns the result until it passes it to rd_kafka_new().
 */
rd_kafka_conf_t *cv_queue_conf_new(const struct cv_config *cfg, char *errbuf,
                                   size_t errbuf_len);

/*
 * Creates an idempotent producer (acks=all). Returns NULL with a reason in errbuf.
 * cfg must outlive the queue. Not thread-safe: one per process or thread.
 */
struct cv_queue *cv_queue_new(const struct cv_config *cfg, char *errbuf, size_t errbuf_len);

/* Flushes for at most KAFKA_ENQUEUE_TIMEOUT_MS, then destroys the producer. NULL is a no-op. */
void cv_queue_free(struct cv_queue *queue);

/*
 * Sends the wake-up message for job_id and waits up to timeout_ms for the broker's
 * acknowledgement. Returns CV_OK when acknowledged, CV_ETIMEOUT when no report came in
 * time (the message may still be delivered later), CV_EUNAVAIL when delivery failed.
 */
enum cv_err cv_queue_enqueue(struct cv_queue *queue, const char *topic, const char *job_id,
                             const char *request_id, long timeout_ms);

/*
 * Sends one message with the given key and value and a "request_id" header (skipped
 * when request_id is NULL or ""), then waits as cv_queue_enqueue() does. For the
 * dead-letter topic and for tools.
 */
enum cv_err cv_queue_send(struct cv_queue *queue, const char *topic, const char *key,
                          const void *value, size_t value_len, const char *request_id,
                          long timeout_ms);

/* Asks the cluster for the topic's metadata; CV_OK when a broker answered in time. */
enum cv_err cv_queue_ping(struct cv_queue *queue, long timeout_ms);

/* Returns the last error text; never NULL. */
const char *cv_queue_errmsg(const struct cv_queue *queue);

/*
 * Parses a message value into job_id and request_id (either may be "" if absent).
 * Returns CV_EINVAL unless the value is JSON with a job_id that is a UUID.
 */
enum cv_err cv_queue_parse_message(const void *value, size_t len, char *job_id,
                                   size_t job_id_len, char *request_id,
                                   size_t request_id_len);

#endif
