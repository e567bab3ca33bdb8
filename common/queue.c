/*
 * Kafka producer and shared client configuration. Delivery reports are matched to the
 * waiting call by a sequence number carried as the message opaque, so a report that
 * arrives after its caller gave up is recognised and dropped instead of touching freed
 * memory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/clock.h"
#include "common/id.h"
#include "common/log.h"
#include "common/queue.h"

struct cv_queue {
    rd_kafka_t             *rk;            /* owned producer */
    const struct cv_config *cfg;           /* borrowed */
    uint64_t                next_seq;      /* sequence of the next message sent */
    uint64_t                waiting_seq;   /* message the current call waits for, 0 = none */
    int                     report_seen;   /* a report for waiting_seq arrived */
    rd_kafka_resp_err_t     report_err;    /* its result */
    char                    errmsg[512];
};

static int
set_conf(rd_kafka_conf_t *conf, const char *name, const char *value, char *errbuf,
         size_t errbuf_len)
{
    char detail[512];

    if (rd_kafka_conf_set(conf, name, value, detail, sizeof(detail)) != RD_KAFKA_CONF_OK) {
        (void)snprintf(errbuf, errbuf_len, "invalid Kafka setting \"%s\": %s", name, detail);
        return -1;
    }
    return 0;
}

/* Routes librdkafka's own log lines into ours; runs on librdkafka threads. */
static void
on_kafka_log(const rd_kafka_t *rk, int level, const char *facility, const char *text)
{
    enum cv_log_level ours;

    (void)rk;
    /* syslog levels: 0-3 error, 4 warning, 5-6 notice/info, 7 debug */
    ours = level <= 3 ? CV_LOG_ERROR : level == 4 ? CV_LOG_WARN
                     : level <= 6 ? CV_LOG_INFO : CV_LOG_DEBUG;
    if (ours < cv_log_level_min) {
        return;
    }
    cv_log_emit(ours, NULL, "kafka.log", CV_OK, text, "facility=%s", facility);
}

rd_kafka_conf_t *
cv_queue_conf_new(const struct cv_config *cfg, char *errbuf, size_t errbuf_len)
{
    rd_kafka_conf_t *conf;

    conf = rd_kafka_conf_new();
    if (conf == NULL) {
        (void)snprintf(errbuf, errbuf_len, "out of memory");
        return NULL;
    }
    if (set_conf(conf, "bootstrap.servers", cfg->kafka_brokers, errbuf, errbuf_len) != 0 ||
        set_conf(conf, "security.protocol", cfg->kafka_security_protocol, errbuf,
                 errbuf_len) != 0 ||
        set_conf(conf, "client.id", "cv-evaluator", errbuf, errbuf_len) != 0) {
        goto fail;
    }
    if (cfg->kafka_sasl_mechanism[0] != '\0' &&
        (set_conf(conf, "sasl.mechanisms", cfg->kafka_sasl_mechanism, errbuf, errbuf_len) != 0 ||
         set_conf(conf, "sasl.username", cfg->kafka_sasl_username, errbuf, errbuf_len) != 0 ||
         set_conf(conf, "sasl.password", cfg->kafka_sasl_password, errbuf, errbuf_len) != 0)) {
        goto fail;
    }
    rd_kafka_conf_set_log_cb(conf, on_kafka_log);
    return conf;

fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

/* Runs inside rd_kafka_poll() on the caller's thread. */
static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    struct cv_queue *queue = opaque;
    uint64_t         seq = (uint64_t)(uintptr_t)msg->_private;

    (void)rk;
    if (seq == queue->waiting_seq) {
        queue->report_seen = 1;
        queue->report_err = msg->err;
        return;
    }
    /* A report for a call that already timed out: the message did or did not land;
     * either way the job row is in PostgreSQL and the sweeper covers a loss. */
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        cv_log_warn(NULL, "queue.late_failure", CV_EUNAVAIL, rd_kafka_err2str(msg->err),
                    "seq=%llu", (unsigned long long)seq);
    }
}

/* Creates queue->rk, the idempotent producer. Returns 0, or -1 with errbuf set. */
static int
open_producer(struct cv_queue *queue, char *errbuf, size_t errbuf_len)
{
    const struct cv_config *cfg = queue->cfg;
    rd_kafka_conf_t        *conf = NULL;
    char                    timeout[32];

    conf = cv_queue_conf_new(cfg, errbuf, errbuf_len);
    if (conf == NULL) {
        return -1;
    }
    /* The broker may hold a message this long before librdkafka reports it failed;
     * longer than the enqueue wait so a slow ack is still recognised as late success. */
    (void)snprintf(timeout, sizeof(timeout), "%ld", cfg->kafka_enqueue_timeout_ms * 5);
    if (set_conf(conf, "enable.idempotence", "true", errbuf, errbuf_len) != 0 ||
        set_conf(conf, "acks", "all", errbuf, errbuf_len) != 0 ||
        set_conf(conf, "linger.ms", "0", errbuf, errbuf_len) != 0 ||
        set_conf(conf, "message.timeout.ms", timeout, errbuf, errbuf_len) != 0) {
        goto fail;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, queue);

    queue->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, errbuf_len);
    if (queue->rk == NULL) {
        goto fail;
    }
    /* ownership of conf moved to queue->rk */
    return 0;

fail:
    rd_kafka_conf_destroy(conf);
    return -1;
}

struct cv_queue *
cv_queue_new(const struct cv_config *cfg, char *errbuf, size_t errbuf_len)
{
    struct cv_queue *queue;

    queue = calloc(1, sizeof(*queue));
    if (queue == NULL) {
        (void)snprintf(errbuf, errbuf_len, "out of memory");
        return NULL;
    }
    queue->cfg = cfg;
    queue->next_seq = 1;
    if (open_producer(queue, errbuf, errbuf_len) != 0) {
        free(queue);
        return NULL;
    }
    return queue;
}

/*
 * Replaces a producer that hit a fatal error, after which it would fail every later
 * message. An idempotent producer fails for good when the broker loses its sequence
 * state, which a broker restarted with messages in flight may cause (not reproduced
 * here). The messages still queued in the old producer are dropped, because their jobs
 * are in PostgreSQL and the sweeper runs jobs left queued. Returns CV_OK when the
 * producer is usable.
 */
static enum cv_err
recover_producer(struct cv_queue *queue)
{
    char reason[256];
    char errbuf[256];

    /* queue->rk is NULL only when an earlier replacement failed. */
    if (queue->rk != NULL) {
        if (rd_kafka_fatal_error(queue->rk, reason, sizeof(reason)) ==
            RD_KAFKA_RESP_ERR_NO_ERROR) {
            return CV_OK;
        }
        cv_log_error(NULL, "queue.fatal", CV_EUNAVAIL, reason,
                     "pending=%d action=new_producer", rd_kafka_outq_len(queue->rk));
        queue->waiting_seq = 0;
        rd_kafka_destroy(queue->rk);
        queue->rk = NULL;
    }
    if (open_producer(queue, errbuf, sizeof(errbuf)) != 0) {
        (void)snprintf(queue->errmsg, sizeof(queue->errmsg),
                       "could not create a new producer after a fatal error: %s", errbuf);
        return CV_EUNAVAIL;
    }
    return CV_OK;
}

void
cv_queue_free(struct cv_queue *queue)
{
    if (queue == NULL) {
        return;
    }
    if (queue->rk != NULL) {
        queue->waiting_seq = 0;
        if (rd_kafka_flush(queue->rk, (int)queue->cfg->kafka_enqueue_timeout_ms) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
            cv_log_warn(NULL, "queue.close", CV_ETIMEOUT,
                        "could not deliver every queued message before shutdown",
                        "pending=%d", rd_kafka_outq_len(queue->rk));
        }
        rd_kafka_destroy(queue->rk);
    }
    free(queue);
}

enum cv_err
cv_queue_send(struct cv_queue *queue, const char *topic, const char *key, const void *value,
              size_t value_len, const char *request_id, long timeout_ms)
{
    rd_kafka_headers_t *headers = NULL;
    rd_kafka_resp_err_t kerr;
    uint64_t            seq;
    int64_t             deadline;
    int64_t             left;

    if (recover_producer(queue) != CV_OK) {
        return CV_EUNAVAIL;
    }
    headers = rd_kafka_headers_new(1);
    if (request_id != NULL && request_id[0] != '\0') {
        (void)rd_kafka_header_add(headers, "request_id", -1, request_id, -1); /* cannot fail */
    }

    seq = queue->next_seq++;
    queue->waiting_seq = seq;
    queue->report_seen = 0;
    kerr = rd_kafka_producev(queue->rk, RD_KAFKA_V_TOPIC(topic),
                             RD_KAFKA_V_KEY(key, strlen(key)),
                             RD_KAFKA_V_VALUE((void *)(uintptr_t)value, value_len),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_HEADERS(headers),
                             RD_KAFKA_V_OPAQUE((void *)(uintptr_t)seq), RD_KAFKA_V_END);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        /* On failure the headers were not taken over. */
        rd_kafka_headers_destroy(headers);
        queue->waiting_seq = 0;
        (void)snprintf(queue->errmsg, sizeof(queue->errmsg), "could not queue message: %s",
                       rd_kafka_err2str(kerr));
        return kerr == RD_KAFKA_RESP_ERR__QUEUE_FULL ? CV_EUNAVAIL : CV_EINTERNAL;
    }
    /* ownership of headers moved to librdkafka */
    headers = NULL;

    deadline = cv_clock_mono_ms() + timeout_ms;
    while (!queue->report_seen) {
        left = deadline - cv_clock_mono_ms();
        if (left <= 0) {
            break;
        }
        (void)rd_kafka_poll(queue->rk, (int)(left < 100 ? left : 100)); /* count not needed */
    }
    queue->waiting_seq = 0;
    if (!queue->report_seen) {
        (void)snprintf(queue->errmsg, sizeof(queue->errmsg),
                       "no delivery report from the broker within %ld ms", timeout_ms);
        return CV_ETIMEOUT;
    }
    if (queue->report_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        (void)snprintf(queue->errmsg, sizeof(queue->errmsg), "could not deliver message: %s",
                       rd_kafka_err2str(queue->report_err));
        return CV_EUNAVAIL;
    }
    return CV_OK;
}

enum cv_err
cv_queue_enqueue(struct cv_queue *queue, const char *topic, const char *job_id,
                 const char *request_id, long timeout_ms)
{
    cJSON      *doc;
    char       *value = NULL;
    enum cv_err rc = CV_ENOMEM;

    doc = cJSON_CreateObject();
    if (doc == NULL || cJSON_AddStringToObject(doc, "job_id", job_id) == NULL ||
        cJSON_AddStringToObject(doc, "request_id", request_id != NULL ? request_id : "") == NULL) {
        goto out;
    }
    value = cJSON_PrintUnformatted(doc);
    if (value == NULL) {
        goto out;
    }
    rc = cv_queue_send(queue, topic, job_id, value, strlen(value), request_id, timeout_ms);
out:
    cJSON_free(value);
    cJSON_Delete(doc);
    return rc;
}

enum cv_err
cv_queue_ping(struct cv_queue *queue, long timeout_ms)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t               *topic;
    rd_kafka_resp_err_t             kerr;

    if (recover_producer(queue) != CV_OK) {
        return CV_EUNAVAIL;
    }
    topic = rd_kafka_topic_new(queue->rk, queue->cfg->kafka_topic, NULL);
    if (topic == NULL) {
        (void)snprintf(queue->errmsg, sizeof(queue->errmsg), "could not create topic handle");
        return CV_ENOMEM;
    }
    kerr = rd_kafka_metadata(queue->rk, 0, topic, &md, (int)timeout_ms);
    rd_kafka_topic_destroy(topic);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        (void)snprintf(queue->errmsg, sizeof(queue->errmsg), "could not reach the broker: %s",
                       rd_kafka_err2str(kerr));
        return kerr == RD_KAFKA_RESP_ERR__TIMED_OUT ? CV_ETIMEOUT : CV_EUNAVAIL;
    }
    if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        (void)snprintf(queue->errmsg, sizeof(queue->errmsg), "topic \"%s\" is not available: %s",
                       queue->cfg->kafka_topic,
                       md->topic_cnt == 1 ? rd_kafka_err2str(md->topics[0].err) : "missing");
        rd_kafka_metadata_destroy(md);
        return CV_EUNAVAIL;
    }
    rd_kafka_metadata_destroy(md);
    return CV_OK;
}

const char *
cv_queue_errmsg(const struct cv_queue *queue)
{
    return queue->errmsg;
}

enum cv_err
cv_queue_parse_message(const void *value, size_t len, char *job_id, size_t job_id_len,
                       char *request_id, size_t request_id_len)
{
    cJSON      *doc;
    cJSON      *item;
    enum cv_err rc = CV_EINVAL;

    job_id[0] = '\0';
    request_id[0] = '\0';
    doc = cJSON_ParseWithLength(value, len);
    if (doc == NULL || !cJSON_IsObject(doc)) {
        goto out;
    }
    item = cJSON_GetObjectItemCaseSensitive(doc, "job_id");
    if (!cJSON_IsString(item) || !cv_id_is_uuid(item->valuestring) ||
        strlen(item->valuestring) >= job_id_len) {
        goto out;
    }
    (void)snprintf(job_id, job_id_len, "%s", item->valuestring);
    item = cJSON_GetObjectItemCaseSensitive(doc, "request_id");
    if (cJSON_IsString(item) && strlen(item->valuestring) < request_id_len) {
        (void)snprintf(request_id, request_id_len, "%s", item->valuestring);
    }
    rc = CV_OK;
out:
    cJSON_Delete(doc);
    return rc;
}
