/*
 * Consumer loop, rebalance handling, the prefetch queue and pausing, commits and lag.
 * Only the thread calling wk_consumer_poll() touches the fields without a comment
 * saying otherwise; librdkafka runs the rebalance, commit and statistics callbacks
 * inside that call.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/queue.h"
#include "worker/consume.h"
#include "worker/offsets.h"
#include "worker/prefetch.h"

/* Finished offsets are committed at most this often, and on every revoke and close. */
#define COMMIT_INTERVAL_MS 1000

/* How long a dead-letter failure pauses consumption before the message is retried. */
#define DLQ_RETRY_MS 1000

/* How long giving a message back may wait for librdkafka to confirm the seek. */
#define SEEK_TIMEOUT_MS 2000

/*
 * Bounds of librdkafka's own prefetch, so that memory stays bounded beneath the
 * consumer's queue too. A wake-up message is about 130 bytes, so 1 MiB is room for
 * thousands. librdkafka may overshoot queued.max.messages.kbytes by one partition's
 * fetch (max.partition.fetch.bytes), and rejects a fetch.max.bytes below
 * message.max.bytes (1000000 by default).
 */
#define QUEUED_MAX_KBYTES         "1024"
#define FETCH_MAX_BYTES           "1048576"
#define PARTITION_FETCH_MAX_BYTES "65536"

/* librdkafka statistics interval; readiness is derived from them. */
#define STATS_INTERVAL_MS "1000"

/* A message handed to the pool and not finished yet, for the lag gauge. */
struct in_flight {
    int      is_used;
    int32_t  partition;
    int64_t  offset;
    int64_t  ts_ms;   /* message timestamp, ms since epoch, -1 = unknown */
};

/* A partition whose next message had to be given back because the pool was full. */
struct rewind {
    int32_t partition;
    int64_t offset;   /* the offset it was sought back to */
    int64_t ts_ms;
};

struct wk_consumer {
    const struct cv_config *cfg;         /* borrowed */
    struct wk_pool         *pool;        /* borrowed */
    struct wk_metrics      *metrics;     /* borrowed */
    struct wk_dlq          *dlq;         /* borrowed */
    rd_kafka_t             *rk;          /* owned */
    rd_kafka_queue_t       *queue;       /* owned reference to the consumer queue */
    pthread_mutex_t         queue_mutex; /* guards queue against wake during free */
    struct wk_offsets      *offsets;     /* owned */
    struct wk_prefetch     *prefetch;    /* owned; fetched messages not yet in the pool */
    struct wk_prefetch_marks marks;      /* intake watermarks in held messages */
    rd_kafka_topic_partition_list_t *assigned;   /* owned; current assignment */
    uint64_t                epoch;       /* bumped on every assignment */
    int                     is_paused;
    int                     is_over_bound;    /* held messages reached marks.pause_at */
    const char             *pause_reason;     /* static text of the last pause */
    int                     is_intake_stopped;
    int                     is_frozen;        /* completions no longer mark offsets done */
    int64_t                 retry_after_ms;   /* mono ms; paused until then after a DLQ failure */
    int64_t                 last_commit_ms;
    struct in_flight       *in_flight;   /* owned, pool size entries */
    size_t                  in_flight_len;
    struct rewind          *rewinds;     /* owned, one per partition at most */
    size_t                  rewind_count;
    size_t                  rewind_cap;
    struct wk_task_done    *done;        /* owned, pool size entries */
    atomic_int              is_broker_up;   /* written by the stats callback, read anywhere */
    atomic_int              is_group_up;
};

static void
consumer_log(const char *event, rd_kafka_resp_err_t kerr, const char *what)
{
    char msg[256];

    (void)snprintf(msg, sizeof(msg), "%s: %s", what, rd_kafka_err2str(kerr));
    cv_log_warn(NULL, event, CV_EUNAVAIL, msg, "kafka_err=%s", rd_kafka_err2name(kerr));
}

/* ---- in-flight messages and rewinds ---- */

static void
in_flight_add(struct wk_consumer *consumer, int32_t partition, int64_t offset, int64_t ts_ms)
{
    size_t i;

    for (i = 0; i < consumer->in_flight_len; i++) {
        if (!consumer->in_flight[i].is_used) {
            consumer->in_flight[i].is_used = 1;
            consumer->in_flight[i].partition = partition;
            consumer->in_flight[i].offset = offset;
            consumer->in_flight[i].ts_ms = ts_ms;
            return;
        }
    }
}

static void
in_flight_remove(struct wk_consumer *consumer, int32_t partition, int64_t offset)
{
    size_t i;

    for (i = 0; i < consumer->in_flight_len; i++) {
        if (consumer->in_flight[i].is_used && consumer->in_flight[i].partition == partition &&
            consumer->in_flight[i].offset == offset) {
            consumer->in_flight[i].is_used = 0;
            return;
        }
    }
}

static struct rewind *
find_rewind(struct wk_consumer *consumer, int32_t partition)
{
    size_t i;

    for (i = 0; i < consumer->rewind_count; i++) {
        if (consumer->rewinds[i].partition == partition) {
            return &consumer->rewinds[i];
        }
    }
    return NULL;
}

static void
drop_rewind(struct wk_consumer *consumer, int32_t partition)
{
    struct rewind *rewind = find_rewind(consumer, partition);

    if (rewind != NULL) {
        *rewind = consumer->rewinds[--consumer->rewind_count];
    }
}

/*
 * Gives msg back: seeks its partition to msg's offset so that the message is fetched
 * again after the resume. The partition is paused already, or is paused right after.
 */
static void
give_back(struct wk_consumer *consumer, const rd_kafka_message_t *msg)
{
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_error_t                *error;
    struct rewind                   *rewind;
    struct rewind                   *grown;
    size_t                           cap;

    rewind = find_rewind(consumer, msg->partition);
    if (rewind != NULL && rewind->offset <= msg->offset) {
        return; /* an earlier offset of this partition is given back already */
    }
    list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, rd_kafka_topic_name(msg->rkt), msg->partition)
        ->offset = msg->offset;
    rd_kafka_pause_partitions(consumer->rk, list);
    error = rd_kafka_seek_partitions(consumer->rk, list, SEEK_TIMEOUT_MS);
    if (error != NULL) {
        cv_log_error(NULL, "consumer.seek", CV_EUNAVAIL, rd_kafka_error_string(error),
                     "partition=%d offset=%lld", (int)msg->partition, (long long)msg->offset);
        rd_kafka_error_destroy(error);
    }
    rd_kafka_topic_partition_list_destroy(list);

    if (rewind == NULL) {
        if (consumer->rewind_count == consumer->rewind_cap) {
            cap = consumer->rewind_cap == 0 ? 8 : consumer->rewind_cap * 2;
            grown = realloc(consumer->rewinds, cap * sizeof(*grown));
            if (grown == NULL) {
                return; /* only the lag gauge misses this partition */
            }
            consumer->rewinds = grown;
            consumer->rewind_cap = cap;
        }
        rewind = &consumer->rewinds[consumer->rewind_count++];
        rewind->partition = msg->partition;
    }
    rewind->offset = msg->offset;
    rewind->ts_ms = rd_kafka_message_timestamp(msg, NULL);
}

/* ---- pausing ---- */

static void
set_paused(struct wk_consumer *consumer, int is_paused, const char *reason)
{
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_resp_err_t              kerr;

    if (consumer->assigned == NULL || consumer->assigned->cnt == 0) {
        consumer->is_paused = is_paused;
        wk_metrics_set_paused(consumer->metrics, is_paused);
        return;
    }
    list = rd_kafka_topic_partition_list_copy(consumer->assigned);
    kerr = is_paused ? rd_kafka_pause_partitions(consumer->rk, list)
                     : rd_kafka_resume_partitions(consumer->rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        consumer_log(is_paused ? "consumer.pause" : "consumer.resume", kerr,
                     "could not change the partitions' pause state");
        return;
    }
    if (is_paused && !consumer->is_paused) {
        consumer->pause_reason = reason;
    }
    if (is_paused != consumer->is_paused) {
        cv_log_info(NULL, is_paused ? "consumer.pause" : "consumer.resume",
                    "reason=%s partitions=%d busy=%zu prefetched=%zu", reason,
                    consumer->assigned->cnt, wk_pool_busy(consumer->pool),
                    wk_prefetch_count(consumer->prefetch));
    }
    consumer->is_paused = is_paused;
    wk_metrics_set_paused(consumer->metrics, is_paused);
    if (!is_paused) {
        consumer->rewind_count = 0;
    }
}

/*
 * Pauses or resumes so that the messages held, in the pool and in the prefetch queue,
 * never exceed the pool's size plus the prefetch capacity.
 */
static void
update_pause(struct wk_consumer *consumer)
{
    const char *reason = NULL;
    size_t      pool_size = wk_pool_size(consumer->pool);
    size_t      held;

    /* Sweeper tasks use pool slots too, so they count against the bound. */
    held = pool_size - wk_pool_free_slots(consumer->pool) + wk_prefetch_count(consumer->prefetch);
    consumer->is_over_bound = wk_prefetch_is_over(&consumer->marks, held,
                                                  consumer->is_over_bound);
    if (consumer->is_intake_stopped) {
        reason = "draining";
    } else if (consumer->is_over_bound) {
        reason = "prefetch_full";
    } else if (cv_clock_mono_ms() < consumer->retry_after_ms) {
        reason = "dead_letter_retry";
    }
    if (reason != NULL && !consumer->is_paused) {
        set_paused(consumer, 1, reason);
    } else if (reason == NULL && consumer->is_paused) {
        set_paused(consumer, 0,
                   consumer->pause_reason != NULL &&
                           strcmp(consumer->pause_reason, "prefetch_full") == 0
                       ? "below_low_water"
                       : "retry_due");
    }
}

/* ---- commits ---- */

static void
commit(struct wk_consumer *consumer, int is_async, const rd_kafka_topic_partition_list_t *only)
{
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_resp_err_t              kerr;
    const char                      *topic = consumer->cfg->kafka_topic;
    int32_t                          partitions[WK_OFFSETS_PARTITIONS_MAX];
    int64_t                          next;
    size_t                           count;
    size_t                           i;

    count = wk_offsets_partitions(consumer->offsets, partitions, WK_OFFSETS_PARTITIONS_MAX);
    list = rd_kafka_topic_partition_list_new((int)(count > 0 ? count : 1));
    for (i = 0; i < count; i++) {
        if (only != NULL && rd_kafka_topic_partition_list_find(only, topic, partitions[i]) ==
                                NULL) {
            continue;
        }
        if (wk_offsets_committable(consumer->offsets, partitions[i], &next)) {
            rd_kafka_topic_partition_list_add(list, topic, partitions[i])->offset = next;
        }
    }
    consumer->last_commit_ms = cv_clock_mono_ms();
    if (list->cnt == 0) {
        rd_kafka_topic_partition_list_destroy(list);
        return;
    }
    kerr = rd_kafka_commit(consumer->rk, list, is_async);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        /* The next commit retries; until then a restart would redeliver, and the claim
         * skips jobs that already finished. */
        consumer_log("consumer.commit", kerr, "could not commit offsets");
    } else {
        for (i = 0; i < (size_t)list->cnt; i++) {
            wk_offsets_mark_committed(consumer->offsets, list->elems[i].partition,
                                      list->elems[i].offset);
        }
        cv_log_debug(NULL, "consumer.commit", "partitions=%d sync=%d", list->cnt, !is_async);
    }
    rd_kafka_topic_partition_list_destroy(list);
}

static void
on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t kerr, rd_kafka_topic_partition_list_t *offsets,
          void *opaque)
{
    (void)rk;
    (void)offsets;
    (void)opaque;
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR && kerr != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        consumer_log("consumer.commit", kerr, "offset commit failed");
    }
}

/* ---- rebalances ---- */

static void
log_partitions(const char *event, const rd_kafka_topic_partition_list_t *partitions,
               uint64_t epoch)
{
    char text[512];
    int  used = 0;
    int  i;

    text[0] = '\0';
    for (i = 0; i < partitions->cnt && used < (int)sizeof(text) - 16; i++) {
        used += snprintf(text + used, sizeof(text) - (size_t)used, "%s%d", i > 0 ? "," : "",
                         (int)partitions->elems[i].partition);
    }
    cv_log_info(NULL, event, "partitions=%s count=%d epoch=%llu", text[0] != '\0' ? text : "-",
                partitions->cnt, (unsigned long long)epoch);
}

static void
assign(struct wk_consumer *consumer, rd_kafka_topic_partition_list_t *partitions)
{
    rd_kafka_resp_err_t kerr;
    int                 i;

    consumer->epoch++;
    for (i = 0; i < partitions->cnt; i++) {
        if (wk_offsets_assign(consumer->offsets, partitions->elems[i].partition,
                              consumer->epoch) != CV_OK) {
            cv_log_error(NULL, "consumer.assign", CV_ENOMEM, "could not track partition",
                         "partition=%d", (int)partitions->elems[i].partition);
        }
    }
    kerr = rd_kafka_assign(consumer->rk, partitions);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        consumer_log("consumer.assign", kerr, "could not assign partitions");
    }
    if (consumer->assigned != NULL) {
        rd_kafka_topic_partition_list_destroy(consumer->assigned);
    }
    consumer->assigned = rd_kafka_topic_partition_list_copy(partitions);
    log_partitions("consumer.assign", partitions, consumer->epoch);

    /* librdkafka keeps a partition's pause flag across assignments, so set it
     * explicitly either way: a full pool or a drain must stay paused, and a partition
     * paused in an earlier assignment must not stay stuck. */
    set_paused(consumer, consumer->is_paused, "assignment");
}

static void
revoke(struct wk_consumer *consumer, rd_kafka_topic_partition_list_t *partitions)
{
    rd_kafka_resp_err_t kerr;
    size_t              dropped = 0;
    int                 i;

    commit(consumer, 0, partitions);
    for (i = 0; i < partitions->cnt; i++) {
        wk_offsets_revoke(consumer->offsets, partitions->elems[i].partition);
        drop_rewind(consumer, partitions->elems[i].partition);
        /* Never started and never marked done: the new owner receives them again. */
        dropped += wk_prefetch_drop_partition(consumer->prefetch,
                                              partitions->elems[i].partition);
        wk_metrics_set_lag(consumer->metrics, partitions->elems[i].partition, -1);
    }
    wk_metrics_set_prefetch_depth(consumer->metrics, wk_prefetch_count(consumer->prefetch));
    log_partitions("consumer.revoke", partitions, consumer->epoch);
    if (dropped > 0) {
        cv_log_info(NULL, "consumer.prefetch_drop", "reason=revoke count=%zu", dropped);
    }
    kerr = rd_kafka_assign(consumer->rk, NULL);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        consumer_log("consumer.revoke", kerr, "could not clear the assignment");
    }
    if (consumer->assigned != NULL) {
        rd_kafka_topic_partition_list_destroy(consumer->assigned);
        consumer->assigned = NULL;
    }
    /* In-flight messages of these partitions will be redelivered to their new owner,
     * whose claim skips the jobs this worker is still running. */
    for (i = 0; i < (int)consumer->in_flight_len; i++) {
        if (consumer->in_flight[i].is_used &&
            rd_kafka_topic_partition_list_find(partitions, consumer->cfg->kafka_topic,
                                               consumer->in_flight[i].partition) != NULL) {
            consumer->in_flight[i].is_used = 0;
        }
    }
}

static void
on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t kerr,
             rd_kafka_topic_partition_list_t *partitions, void *opaque)
{
    struct wk_consumer *consumer = opaque;

    (void)rk;
    if (kerr == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        assign(consumer, partitions);
    } else {
        if (kerr != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
            consumer_log("consumer.rebalance", kerr, "rebalance failed; dropping assignment");
        }
        revoke(consumer, partitions);
    }
}

/* ---- readiness ---- */

/* Reads broker and group state from librdkafka's statistics JSON. */
static int
on_stats(rd_kafka_t *rk, char *json, size_t json_len, void *opaque)
{
    struct wk_consumer *consumer = opaque;
    cJSON              *doc;
    cJSON              *broker;
    cJSON              *item;
    int                 is_broker_up = 0;
    int                 is_group_up = 0;

    (void)rk;
    doc = cJSON_ParseWithLength(json, json_len);
    if (doc == NULL) {
        return 0;
    }
    cJSON_ArrayForEach(broker, cJSON_GetObjectItemCaseSensitive(doc, "brokers")) {
        item = cJSON_GetObjectItemCaseSensitive(broker, "nodeid");
        if (!cJSON_IsNumber(item) || item->valuedouble < 0) {
            continue; /* bootstrap entries have no node id */
        }
        item = cJSON_GetObjectItemCaseSensitive(broker, "state");
        if (cJSON_IsString(item) && strcmp(item->valuestring, "UP") == 0) {
            is_broker_up = 1;
        }
    }
    item = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "cgrp"),
                                            "state");
    is_group_up = cJSON_IsString(item) && strcmp(item->valuestring, "up") == 0;
    cJSON_Delete(doc);
    atomic_store(&consumer->is_broker_up, is_broker_up);
    atomic_store(&consumer->is_group_up, is_group_up);
    return 0; /* librdkafka frees json */
}

static void
on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct wk_consumer *consumer = opaque;

    (void)rk;
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        atomic_store(&consumer->is_broker_up, 0);
    }
    cv_log_warn(NULL, "kafka.error", CV_EUNAVAIL, reason, "kafka_err=%s",
                rd_kafka_err2name((rd_kafka_resp_err_t)err));
}

int
wk_consumer_is_ready(const struct wk_consumer *consumer)
{
    return atomic_load(&consumer->is_broker_up) && atomic_load(&consumer->is_group_up);
}

/* ---- messages ---- */

/* Reads the request id from the "request_id" header into out; "" when absent. */
static void
header_request_id(const rd_kafka_message_t *msg, char *out, size_t out_len)
{
    rd_kafka_headers_t *headers = NULL;
    const void         *value = NULL;
    size_t              value_len = 0;

    out[0] = '\0';
    if (rd_kafka_message_headers(msg, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        rd_kafka_header_get_last(headers, "request_id", &value, &value_len) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        value == NULL || value_len == 0 || value_len >= out_len) {
        return;
    }
    memcpy(out, value, value_len);
    out[value_len] = '\0';
    if (!cv_id_is_request_id(out)) {
        out[0] = '\0';
    }
}

/* Records a message finished on the consumer thread itself (dead letter). */
static void
finish_now(struct wk_consumer *consumer, const rd_kafka_message_t *msg)
{
    uint64_t epoch = 0;

    if (wk_offsets_is_assigned(consumer->offsets, msg->partition, &epoch) &&
        wk_offsets_add(consumer->offsets, msg->partition, msg->offset) == CV_OK) {
        (void)wk_offsets_done(consumer->offsets, msg->partition, epoch, msg->offset);
    }
}

/* Moves an unparsable message to the dead-letter topic. */
static void
dead_letter(struct wk_consumer *consumer, const rd_kafka_message_t *msg)
{
    enum cv_err rc;

    rc = wk_dlq_send(consumer->dlq, msg, "invalid_message: expected JSON with a UUID job_id");
    wk_metrics_count_dead_letter(consumer->metrics, rc == CV_OK);
    if (rc != CV_OK) {
        /* Not committed: the message comes back after a pause and is tried again. */
        cv_log_error(NULL, "message.dead_letter", rc, wk_dlq_errmsg(consumer->dlq),
                     "partition=%d offset=%lld", (int)msg->partition, (long long)msg->offset);
        consumer->retry_after_ms = cv_clock_mono_ms() + DLQ_RETRY_MS;
        give_back(consumer, msg);
        set_paused(consumer, 1, "dead_letter_retry");
        return;
    }
    cv_log_warn(NULL, "message.dead_letter", CV_EINVAL, "message is not a job wake-up",
                "partition=%d offset=%lld bytes=%zu topic=%s", (int)msg->partition,
                (long long)msg->offset, msg->len, consumer->cfg->kafka_dlq_topic);
    finish_now(consumer, msg);
}

/*
 * Moves prefetched tasks into the pool while it has free slots. A task whose partition
 * was reassigned since it was fetched is dropped: its offset is not tracked any more,
 * and the partition's owner receives the message again.
 */
static void
feed_pool(struct wk_consumer *consumer)
{
    const struct wk_task *task;
    uint64_t              epoch;
    enum cv_err           rc;

    if (consumer->is_intake_stopped) {
        return;
    }
    while ((task = wk_prefetch_peek(consumer->prefetch)) != NULL) {
        if (!wk_offsets_is_assigned(consumer->offsets, task->partition, &epoch) ||
            epoch != task->epoch) {
            wk_prefetch_pop(consumer->prefetch);
            continue;
        }
        rc = wk_pool_submit(consumer->pool, task);
        if (rc != CV_OK) {
            break; /* CV_EUNAVAIL: no free slot; CV_EINVAL: the pool is shutting down */
        }
        in_flight_add(consumer, task->partition, task->offset, task->message_ts_ms);
        wk_prefetch_pop(consumer->prefetch);
    }
    wk_metrics_set_prefetch_depth(consumer->metrics, wk_prefetch_count(consumer->prefetch));
}

static void
handle_message(struct wk_consumer *consumer, const rd_kafka_message_t *msg)
{
    struct wk_task task;
    char           request_id[WK_REQUEST_ID_LEN];
    uint64_t       epoch = 0;
    enum cv_err    rc;

    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        return;
    }
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        consumer_log("consumer.error", msg->err, "consume failed");
        return;
    }
    if (!wk_offsets_is_assigned(consumer->offsets, msg->partition, &epoch)) {
        return; /* from a partition revoked meanwhile: its new owner gets it */
    }
    if (find_rewind(consumer, msg->partition) != NULL) {
        return; /* fetched before the pause took effect: comes again after the resume */
    }
    if (consumer->is_intake_stopped) {
        return; /* neither started nor tracked, so the next owner receives it */
    }

    memset(&task, 0, sizeof(task));
    rc = cv_queue_parse_message(msg->payload != NULL ? msg->payload : "", msg->len,
                                task.job_id, sizeof(task.job_id), task.request_id,
                                sizeof(task.request_id));
    if (rc != CV_OK) {
        dead_letter(consumer, msg);
        return;
    }
    header_request_id(msg, request_id, sizeof(request_id));
    if (request_id[0] != '\0') {
        memcpy(task.request_id, request_id, sizeof(request_id));
    } else if (!cv_id_is_request_id(task.request_id)) {
        task.request_id[0] = '\0';
    }
    task.source = WK_TASK_MESSAGE;
    task.partition = msg->partition;
    task.offset = msg->offset;
    task.epoch = epoch;
    task.message_ts_ms = rd_kafka_message_timestamp(msg, NULL);

    /* Straight to the pool when nothing waits before it, else behind the others.
     * Slots may have freed during the poll, so the waiting ones move first. */
    feed_pool(consumer);
    if (wk_prefetch_count(consumer->prefetch) == 0 &&
        wk_pool_submit(consumer->pool, &task) == CV_OK) {
        in_flight_add(consumer, msg->partition, msg->offset, task.message_ts_ms);
    } else if (wk_prefetch_push(consumer->prefetch, &task) == CV_OK) {
        wk_metrics_set_prefetch_depth(consumer->metrics, wk_prefetch_count(consumer->prefetch));
    } else {
        /* Only when the pause came too late: paused partitions deliver nothing. */
        give_back(consumer, msg);
        set_paused(consumer, 1, "prefetch_full");
        return;
    }

    /* A prefetched message is pending like a running one: the commit stays before it. */
    rc = wk_offsets_add(consumer->offsets, msg->partition, msg->offset);
    if (rc != CV_OK) {
        cv_log_error(NULL, "consumer.track", rc, "could not track the message's offset",
                     "partition=%d offset=%lld", (int)msg->partition, (long long)msg->offset);
    }
}

/* Takes finished tasks back from the pool and marks their offsets done. */
static void
take_done(struct wk_consumer *consumer)
{
    const struct wk_task *task;
    size_t                count;
    size_t                i;

    count = wk_pool_take_done(consumer->pool, consumer->done, wk_pool_size(consumer->pool));
    for (i = 0; i < count; i++) {
        task = &consumer->done[i].task;
        if (task->source != WK_TASK_MESSAGE || consumer->is_frozen) {
            continue;
        }
        /* CV_ENOTFOUND: the partition moved on since, and its new owner decides. */
        (void)wk_offsets_done(consumer->offsets, task->partition, task->epoch, task->offset);
        in_flight_remove(consumer, task->partition, task->offset);
    }
}

/* Sets queue_lag_seconds of each assigned partition from its oldest waiting message. */
static void
update_lag(struct wk_consumer *consumer)
{
    const struct rewind *rewind;
    int64_t              now = cv_clock_wall_ms();
    int64_t              oldest;
    int64_t              waiting;
    int32_t              partition;
    size_t               i;
    int                  p;

    if (consumer->assigned == NULL) {
        return;
    }
    for (p = 0; p < consumer->assigned->cnt; p++) {
        partition = consumer->assigned->elems[p].partition;
        oldest = -1;
        for (i = 0; i < consumer->in_flight_len; i++) {
            if (consumer->in_flight[i].is_used && consumer->in_flight[i].partition == partition &&
                consumer->in_flight[i].ts_ms >= 0 &&
                (oldest < 0 || consumer->in_flight[i].ts_ms < oldest)) {
                oldest = consumer->in_flight[i].ts_ms;
            }
        }
        rewind = find_rewind(consumer, partition);
        if (rewind != NULL && rewind->ts_ms >= 0 && (oldest < 0 || rewind->ts_ms < oldest)) {
            oldest = rewind->ts_ms;
        }
        waiting = wk_prefetch_oldest_ts(consumer->prefetch, partition);
        if (waiting >= 0 && (oldest < 0 || waiting < oldest)) {
            oldest = waiting;
        }
        wk_metrics_set_lag(consumer->metrics, partition,
                           oldest >= 0 && now > oldest ? (double)(now - oldest) / 1000.0 : 0);
    }
}

void
wk_consumer_poll(struct wk_consumer *consumer, int timeout_ms)
{
    rd_kafka_message_t *msg;

    take_done(consumer);
    feed_pool(consumer);
    update_pause(consumer);
    msg = rd_kafka_consumer_poll(consumer->rk, timeout_ms);
    if (msg != NULL) {
        handle_message(consumer, msg);
        /* The offset decision is made and recorded: the message itself is done with. */
        rd_kafka_message_destroy(msg);
    }
    take_done(consumer);
    feed_pool(consumer);
    update_pause(consumer);
    update_lag(consumer);
    if (cv_clock_mono_ms() - consumer->last_commit_ms >= COMMIT_INTERVAL_MS) {
        commit(consumer, 1, NULL);
    }
}

void
wk_consumer_wake(void *arg)
{
    struct wk_consumer *consumer = arg;

    pthread_mutex_lock(&consumer->queue_mutex);
    if (consumer->queue != NULL) {
        rd_kafka_queue_yield(consumer->queue);
    }
    pthread_mutex_unlock(&consumer->queue_mutex);
}

size_t
wk_consumer_stop_intake(struct wk_consumer *consumer)
{
    size_t dropped;

    consumer->is_intake_stopped = 1;
    update_pause(consumer);
    /* Their offsets stay pending, so no commit passes them and they are delivered again. */
    dropped = wk_prefetch_clear(consumer->prefetch);
    wk_metrics_set_prefetch_depth(consumer->metrics, 0);
    return dropped;
}

void
wk_consumer_freeze_offsets(struct wk_consumer *consumer)
{
    take_done(consumer);
    consumer->is_frozen = 1;
}

void
wk_consumer_commit_sync(struct wk_consumer *consumer)
{
    take_done(consumer);
    commit(consumer, 0, NULL);
}

void
wk_consumer_close(struct wk_consumer *consumer)
{
    rd_kafka_resp_err_t kerr;

    take_done(consumer);
    kerr = rd_kafka_consumer_close(consumer->rk);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        consumer_log("consumer.close", kerr, "could not leave the group cleanly");
    }
}

/* Applies one librdkafka setting; 0 on success, else the reason is in errbuf. */
static int
set_conf(rd_kafka_conf_t *conf, const char *name, const char *value, char *errbuf,
         size_t errbuf_len)
{
    return rd_kafka_conf_set(conf, name, value, errbuf, errbuf_len) == RD_KAFKA_CONF_OK ? 0 : -1;
}

/* Builds the consumer configuration; NULL with a reason in errbuf. */
static rd_kafka_conf_t *
consumer_conf(struct wk_consumer *consumer, char *errbuf, size_t errbuf_len)
{
    const struct cv_config *cfg = consumer->cfg;
    rd_kafka_conf_t        *conf;
    char                    session[32];
    char                    queued[32];

    conf = cv_queue_conf_new(cfg, errbuf, errbuf_len);
    if (conf == NULL) {
        return NULL;
    }
    (void)snprintf(session, sizeof(session), "%ld", cfg->kafka_session_timeout_ms);
    /* librdkafka fetches ahead until the consumer queue, shared by all partitions,
     * holds this many messages. More than the consumer may hold would only be dropped
     * at the next pause, when librdkafka purges what it fetched for paused partitions. */
    (void)snprintf(queued, sizeof(queued), "%zu", consumer->marks.pause_at);
    /* Offsets are stored and committed by hand, only once a job's work is finished.
     * A group without committed offsets starts at the beginning: claims make a message
     * for a finished job harmless, while skipping one could strand its job. */
    if (set_conf(conf, "group.id", cfg->kafka_group_id, errbuf, errbuf_len) != 0 ||
        set_conf(conf, "enable.auto.commit", "false", errbuf, errbuf_len) != 0 ||
        set_conf(conf, "enable.auto.offset.store", "false", errbuf, errbuf_len) != 0 ||
        set_conf(conf, "auto.offset.reset", "earliest", errbuf, errbuf_len) != 0 ||
        set_conf(conf, "session.timeout.ms", session, errbuf, errbuf_len) != 0 ||
        set_conf(conf, "partition.assignment.strategy", "range,roundrobin", errbuf,
                 errbuf_len) != 0 ||
        set_conf(conf, "queued.min.messages", queued, errbuf, errbuf_len) != 0 ||
        set_conf(conf, "queued.max.messages.kbytes", QUEUED_MAX_KBYTES, errbuf, errbuf_len) != 0 ||
        set_conf(conf, "fetch.max.bytes", FETCH_MAX_BYTES, errbuf, errbuf_len) != 0 ||
        set_conf(conf, "max.partition.fetch.bytes", PARTITION_FETCH_MAX_BYTES, errbuf,
                 errbuf_len) != 0 ||
        set_conf(conf, "statistics.interval.ms", STATS_INTERVAL_MS, errbuf, errbuf_len) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(conf, on_commit);
    rd_kafka_conf_set_stats_cb(conf, on_stats);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_opaque(conf, consumer);
    return conf;
}

struct wk_consumer *
wk_consumer_new(const struct cv_config *cfg, struct wk_pool *pool, struct wk_metrics *metrics,
                struct wk_dlq *dlq, char *errbuf, size_t errbuf_len)
{
    struct wk_consumer              *consumer;
    rd_kafka_conf_t                 *conf = NULL;
    rd_kafka_topic_partition_list_t *topics = NULL;
    rd_kafka_resp_err_t              kerr;
    size_t                           size = wk_pool_size(pool);

    consumer = calloc(1, sizeof(*consumer));
    if (consumer == NULL || pthread_mutex_init(&consumer->queue_mutex, NULL) != 0) {
        free(consumer);
        (void)snprintf(errbuf, errbuf_len, "out of memory");
        return NULL;
    }
    consumer->cfg = cfg;
    consumer->pool = pool;
    consumer->metrics = metrics;
    consumer->dlq = dlq;
    consumer->in_flight_len = size;
    consumer->in_flight = calloc(size, sizeof(*consumer->in_flight));
    consumer->done = calloc(size, sizeof(*consumer->done));
    consumer->prefetch = wk_prefetch_new(wk_prefetch_capacity_of(cfg));
    consumer->marks = wk_prefetch_marks_of(size, wk_prefetch_capacity_of(cfg));
    /* Prefetched messages are pending too, so a partition can hold both at once. */
    consumer->offsets = wk_offsets_new(size + wk_prefetch_capacity_of(cfg));
    atomic_init(&consumer->is_broker_up, 0);
    atomic_init(&consumer->is_group_up, 0);
    if (consumer->in_flight == NULL || consumer->done == NULL || consumer->offsets == NULL ||
        consumer->prefetch == NULL) {
        (void)snprintf(errbuf, errbuf_len, "out of memory");
        goto fail;
    }

    conf = consumer_conf(consumer, errbuf, errbuf_len);
    if (conf == NULL) {
        goto fail;
    }
    consumer->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errbuf, errbuf_len);
    if (consumer->rk == NULL) {
        goto fail;
    }
    /* ownership of conf moved to consumer->rk */
    conf = NULL;
    /* Serve rebalance, statistics and error events from rd_kafka_consumer_poll(). */
    (void)rd_kafka_poll_set_consumer(consumer->rk); /* only fails for a producer */
    consumer->queue = rd_kafka_queue_get_consumer(consumer->rk);

    topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, cfg->kafka_topic, RD_KAFKA_PARTITION_UA);
    kerr = rd_kafka_subscribe(consumer->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        (void)snprintf(errbuf, errbuf_len, "could not subscribe to \"%s\": %s", cfg->kafka_topic,
                       rd_kafka_err2str(kerr));
        goto fail;
    }
    consumer->last_commit_ms = cv_clock_mono_ms();
    return consumer;

fail:
    if (conf != NULL) {
        rd_kafka_conf_destroy(conf);
    }
    wk_consumer_free(consumer);
    return NULL;
}

void
wk_consumer_free(struct wk_consumer *consumer)
{
    if (consumer == NULL) {
        return;
    }
    pthread_mutex_lock(&consumer->queue_mutex);
    if (consumer->queue != NULL) {
        rd_kafka_queue_destroy(consumer->queue);
        consumer->queue = NULL;
    }
    pthread_mutex_unlock(&consumer->queue_mutex);
    if (consumer->rk != NULL) {
        rd_kafka_destroy(consumer->rk);
    }
    if (consumer->assigned != NULL) {
        rd_kafka_topic_partition_list_destroy(consumer->assigned);
    }
    pthread_mutex_destroy(&consumer->queue_mutex);
    wk_offsets_free(consumer->offsets);
    wk_prefetch_free(consumer->prefetch);
    free(consumer->in_flight);
    free(consumer->rewinds);
    free(consumer->done);
    free(consumer);
}
