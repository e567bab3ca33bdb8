/* Unit tests for the worker's dead-letter producer (worker/dlq.c) against librdkafka's
 * in-process mock cluster: a dead letter is delivered, also after the producer hit a
 * fatal error. The source file is included to reach the producer handle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "worker/dlq.c"

#include "tests/unit/mock_kafka.h"

/* Sends payload to the job topic as a responder would, and reads it back with a
 * consumer as the worker would. The caller destroys the message and then *consumer. */
static rd_kafka_message_t *
consume_bad_message(const struct mock_kafka *fx, const char *payload, rd_kafka_t **consumer)
{
    struct cv_queue                 *queue;
    rd_kafka_conf_t                 *conf;
    rd_kafka_topic_partition_list_t *parts;
    rd_kafka_message_t              *msg = NULL;
    char                             errstr[256];
    int                              i;

    queue = cv_queue_new(&fx->cfg, errstr, sizeof(errstr));
    assert_non_null(queue);
    assert_int_equal(cv_queue_send(queue, fx->cfg.kafka_topic, "key", payload, strlen(payload),
                                   NULL, MOCK_SEND_TIMEOUT_MS), CV_OK);
    cv_queue_free(queue);

    conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", fx->brokers, errstr,
                                       sizeof(errstr)), RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(conf, "group.id", "test-dlq", errstr, sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
    *consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    assert_non_null(*consumer);
    (void)rd_kafka_poll_set_consumer(*consumer);
    parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, fx->cfg.kafka_topic, 0)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(*consumer, parts), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(parts);
    for (i = 0; i < 100 && msg == NULL; i++) {
        msg = rd_kafka_consumer_poll(*consumer, 100);
        if (msg != NULL && msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_message_destroy(msg);
            msg = NULL;
        }
    }
    assert_non_null(msg);
    return msg;
}

static void
test_dlq_replaces_failed_producer(void **state)
{
    struct mock_kafka  *fx = *state;
    struct wk_dlq      *dlq;
    rd_kafka_t         *consumer;
    rd_kafka_message_t *msg;
    char                errbuf[256];

    dlq = wk_dlq_new(&fx->cfg, errbuf, sizeof(errbuf));
    assert_non_null(dlq);
    msg = consume_bad_message(fx, "not a job", &consumer);
    assert_int_equal(wk_dlq_send(dlq, msg, "invalid_message: test"), CV_OK);

    assert_int_equal(rd_kafka_test_fatal_error(dlq->rk, MOCK_LOST_SEQUENCE, "sequence lost in a test"),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(wk_dlq_send(dlq, msg, "invalid_message: test"), CV_OK);
    assert_int_equal(rd_kafka_fatal_error(dlq->rk, NULL, 0), RD_KAFKA_RESP_ERR_NO_ERROR);

    rd_kafka_message_destroy(msg);
    (void)rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    wk_dlq_free(dlq);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dlq_replaces_failed_producer, mock_kafka_setup, mock_kafka_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
