/*
 * The dead-letter producer: a message the worker cannot parse is copied, value and
 * key unchanged, to KAFKA_DLQ_TOPIC with headers saying why and where it came from,
 * before its offset is committed. Used from the consumer thread only.
 */
#ifndef WK_DLQ_H
#define WK_DLQ_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "common/config.h"
#include "common/err.h"

struct wk_dlq;

/*
 * Creates an idempotent producer with cfg's broker settings. Returns NULL with a reason
 * in errbuf. cfg must outlive the handle.
 */
struct wk_dlq *wk_dlq_new(const struct cv_config *cfg, char *errbuf, size_t errbuf_len);

/* Flushes for at most KAFKA_ENQUEUE_TIMEOUT_MS and frees the producer. NULL is a no-op. */
void wk_dlq_free(struct wk_dlq *dlq);

/*
 * Sends a copy of msg with the headers error (reason), original_topic,
 * original_partition, original_offset and, when msg had one, request_id, then waits up
 * to KAFKA_ENQUEUE_TIMEOUT_MS for the broker's acknowledgement. Returns CV_OK when
 * acknowledged, CV_ETIMEOUT or CV_EUNAVAIL otherwise; wk_dlq_errmsg() gives the reason.
 */
enum cv_err wk_dlq_send(struct wk_dlq *dlq, const rd_kafka_message_t *msg, const char *reason);

/* Returns the last error text; never NULL. */
const char *wk_dlq_errmsg(const struct wk_dlq *dlq);

#endif
