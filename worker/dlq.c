/* Dead-letter producer; a delivery report is matched to its send by a sequence number. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/queue.h"
#include "worker/dlq.h"

struct wk_dlq {
    const struct cv_config *cfg;           /* borrowed */
    rd_kafka_t             *rk;            /* owned producer */
    uint64_t                next_seq;
    uint64_t                waiting_seq;   /* 0 = no send waiting */
    int                     is_reported;
    rd_kafka_resp_err_t     report_err;
    char                    errmsg[256];
};

static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    struct wk_dlq *dlq = opaque;

    (void)rk;
    if ((uint64_t)(uintptr_t)msg->_private == dlq->waiting_seq) {
        dlq->is_reported = 1;
        dlq->report_err = msg->err;
    }
}

/* Creates dlq->rk, the dead-letter producer. Returns 0, or -1 with errbuf set. */
static int
open_producer(struct wk_dlq *dlq, char *errbuf, size_t errbuf_len)
{
    rd_kafka_conf_t *conf;

    conf = cv_queue_conf_new(dlq->cfg, errbuf, errbuf_len);
    if (conf == NULL) {
        return -1;
    }
    if (rd_kafka_conf_set(conf, "enable.idempotence", "true", errbuf, errbuf_len) !=
            RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "linger.ms", "0", errbuf, errbuf_len) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, dlq);
    dlq->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, errbuf_len);
    if (dlq->rk == NULL) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    /* ownership of conf moved to dlq->rk */
    return 0;
}

struct wk_dlq *
wk_dlq_new(const struct cv_config *cfg, char *errbuf, size_t errbuf_len)
{
    struct wk_dlq *dlq;

    dlq = calloc(1, sizeof(*dlq));
    if (dlq == NULL) {
        (void)snprintf(errbuf, errbuf_len, "out of memory");
        return NULL;
    }
    dlq->cfg = cfg;
    dlq->next_seq = 1;
    if (open_producer(dlq, errbuf, errbuf_len) != 0) {
        free(dlq);
        return NULL;
    }
    return dlq;
}

/*
 * Replaces a producer that hit a fatal error, as an idempotent producer does for good
 * when the broker loses its sequence state. Otherwise every later dead letter would fail
 * and the consumer would pause for each. Returns CV_OK when the producer is usable.
 */
static enum cv_err
recover_producer(struct wk_dlq *dlq)
{
    char reason[256];
    char errbuf[256];

    /* dlq->rk is NULL only when an earlier replacement failed. */
    if (dlq->rk != NULL) {
        if (rd_kafka_fatal_error(dlq->rk, reason, sizeof(reason)) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            return CV_OK;
        }
        cv_log_error(NULL, "dlq.fatal", CV_EUNAVAIL, reason, "action=new_producer");
        dlq->waiting_seq = 0;
        rd_kafka_destroy(dlq->rk);
        dlq->rk = NULL;
    }
    if (open_producer(dlq, errbuf, sizeof(errbuf)) != 0) {
        (void)snprintf(dlq->errmsg, sizeof(dlq->errmsg),
                       "could not create a new producer after a fatal error: %.150s", errbuf);
        return CV_EUNAVAIL;
    }
    return CV_OK;
}

void
wk_dlq_free(struct wk_dlq *dlq)
{
    if (dlq == NULL) {
        return;
    }
    dlq->waiting_seq = 0;
    if (dlq->rk != NULL) {
        (void)rd_kafka_flush(dlq->rk, (int)dlq->cfg->kafka_enqueue_timeout_ms); /* best effort */
        rd_kafka_destroy(dlq->rk);
    }
    free(dlq);
}

/* Builds the dead-letter headers; NULL on ENOMEM. The caller owns the result. */
static rd_kafka_headers_t *
make_headers(const rd_kafka_message_t *msg, const char *reason)
{
    rd_kafka_headers_t *original = NULL;
    rd_kafka_headers_t *headers;
    const void         *value;
    size_t              value_len;
    char                number[32];

    headers = rd_kafka_headers_new(5);
    if (headers == NULL) {
        return NULL;
    }
    (void)rd_kafka_header_add(headers, "error", -1, reason, -1); /* adds cannot fail */
    (void)rd_kafka_header_add(headers, "original_topic", -1, rd_kafka_topic_name(msg->rkt), -1);
    (void)snprintf(number, sizeof(number), "%" PRId32, msg->partition);
    (void)rd_kafka_header_add(headers, "original_partition", -1, number, -1);
    (void)snprintf(number, sizeof(number), "%" PRId64, msg->offset);
    (void)rd_kafka_header_add(headers, "original_offset", -1, number, -1);
    if (rd_kafka_message_headers(msg, &original) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        rd_kafka_header_get_last(original, "request_id", &value, &value_len) ==
            RD_KAFKA_RESP_ERR_NO_ERROR && value != NULL) {
        (void)rd_kafka_header_add(headers, "request_id", -1, value, (ssize_t)value_len);
    }
    return headers;
}

enum cv_err
wk_dlq_send(struct wk_dlq *dlq, const rd_kafka_message_t *msg, const char *reason)
{
    rd_kafka_headers_t *headers;
    rd_kafka_resp_err_t kerr;
    uint64_t            seq;
    int64_t             deadline;
    int64_t             left;

    if (recover_producer(dlq) != CV_OK) {
        return CV_EUNAVAIL;
    }
    headers = make_headers(msg, reason);
    if (headers == NULL) {
        (void)snprintf(dlq->errmsg, sizeof(dlq->errmsg), "out of memory");
        return CV_ENOMEM;
    }
    seq = dlq->next_seq++;
    dlq->waiting_seq = seq;
    dlq->is_reported = 0;
    kerr = rd_kafka_producev(dlq->rk, RD_KAFKA_V_TOPIC(dlq->cfg->kafka_dlq_topic),
                             RD_KAFKA_V_KEY(msg->key, msg->key_len),
                             RD_KAFKA_V_VALUE(msg->payload, msg->len),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_HEADERS(headers),
                             RD_KAFKA_V_OPAQUE((void *)(uintptr_t)seq), RD_KAFKA_V_END);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        /* On failure librdkafka did not take the headers over. */
        rd_kafka_headers_destroy(headers);
        dlq->waiting_seq = 0;
        (void)snprintf(dlq->errmsg, sizeof(dlq->errmsg), "could not queue dead letter: %s",
                       rd_kafka_err2str(kerr));
        return CV_EUNAVAIL;
    }
    /* ownership of headers moved to librdkafka */
    headers = NULL;

    deadline = cv_clock_mono_ms() + dlq->cfg->kafka_enqueue_timeout_ms;
    while (!dlq->is_reported) {
        left = deadline - cv_clock_mono_ms();
        if (left <= 0) {
            break;
        }
        (void)rd_kafka_poll(dlq->rk, (int)(left < 100 ? left : 100)); /* events served */
    }
    dlq->waiting_seq = 0;
    if (!dlq->is_reported) {
        (void)snprintf(dlq->errmsg, sizeof(dlq->errmsg),
                       "no delivery report for the dead letter within %ld ms",
                       dlq->cfg->kafka_enqueue_timeout_ms);
        return CV_ETIMEOUT;
    }
    if (dlq->report_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        (void)snprintf(dlq->errmsg, sizeof(dlq->errmsg), "could not deliver dead letter: %s",
                       rd_kafka_err2str(dlq->report_err));
        return CV_EUNAVAIL;
    }
    return CV_OK;
}

const char *
wk_dlq_errmsg(const struct wk_dlq *dlq)
{
    return dlq->errmsg;
}
