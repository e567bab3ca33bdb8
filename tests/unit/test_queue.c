/* Unit tests for the job producer of common/queue.c against librdkafka's in-process mock
 * cluster: delivery, and a new producer after a fatal error. The source file is included
 * to reach the producer handle that the tests fail on purpose. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/queue.c"

#include "tests/unit/mock_kafka.h"

static void
test_queue_delivers(void **state)
{
    struct mock_kafka *fx = *state;
    struct cv_queue *queue;
    char             errbuf[256];

    queue = cv_queue_new(&fx->cfg, errbuf, sizeof(errbuf));
    assert_non_null(queue);
    assert_int_equal(cv_queue_ping(queue, MOCK_SEND_TIMEOUT_MS), CV_OK);
    assert_int_equal(cv_queue_enqueue(queue, fx->cfg.kafka_topic,
                                      "123e4567-e89b-12d3-a456-426614174000", "req-1",
                                      MOCK_SEND_TIMEOUT_MS), CV_OK);
    cv_queue_free(queue);
}

static void
test_queue_replaces_failed_producer(void **state)
{
    struct mock_kafka *fx = *state;
    struct cv_queue *queue;
    rd_kafka_t      *failed;
    char             errbuf[256];

    queue = cv_queue_new(&fx->cfg, errbuf, sizeof(errbuf));
    assert_non_null(queue);
    assert_int_equal(cv_queue_enqueue(queue, fx->cfg.kafka_topic,
                                      "123e4567-e89b-12d3-a456-426614174000", "req-1",
                                      MOCK_SEND_TIMEOUT_MS), CV_OK);

    /* What the broker's loss of the producer's sequence state does. */
    failed = queue->rk;
    assert_int_equal(rd_kafka_test_fatal_error(failed, MOCK_LOST_SEQUENCE, "sequence lost in a test"),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_not_equal(rd_kafka_fatal_error(failed, NULL, 0), RD_KAFKA_RESP_ERR_NO_ERROR);

    assert_int_equal(cv_queue_enqueue(queue, fx->cfg.kafka_topic,
                                      "223e4567-e89b-12d3-a456-426614174000", "req-2",
                                      MOCK_SEND_TIMEOUT_MS), CV_OK);
    assert_int_equal(rd_kafka_fatal_error(queue->rk, NULL, 0), RD_KAFKA_RESP_ERR_NO_ERROR);

    /* The probe recovers a failed producer too. */
    assert_int_equal(rd_kafka_test_fatal_error(queue->rk, MOCK_LOST_SEQUENCE,
                                               "sequence lost in a test"),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(cv_queue_ping(queue, MOCK_SEND_TIMEOUT_MS), CV_OK);
    assert_int_equal(rd_kafka_fatal_error(queue->rk, NULL, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
    cv_queue_free(queue);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_queue_delivers, mock_kafka_setup, mock_kafka_teardown),
        cmocka_unit_test_setup_teardown(test_queue_replaces_failed_producer, mock_kafka_setup, mock_kafka_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
