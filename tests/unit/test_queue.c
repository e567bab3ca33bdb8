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

#include <librdkafka/rdkafka_mock.h>

/* Milliseconds one message may take; the mock cluster replies in far less. */
#define SEND_TIMEOUT_MS 10000

/* The error a broker that lost the producer's sequence state causes. */
#define LOST_SEQUENCE RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER

struct fixture {
    rd_kafka_t              *mock_rk;   /* owns the mock cluster's bookkeeping */
    rd_kafka_mock_cluster_t *cluster;
    struct cv_config         cfg;
    char                     brokers[256];
};

static const char *
lookup(const char *name, void *ctx)
{
    struct fixture *fx = ctx;

    return strcmp(name, "KAFKA_BROKERS") == 0 ? fx->brokers : NULL;
}

static int
setup(void **state)
{
    struct fixture  *fx;
    rd_kafka_conf_t *conf;
    struct cv_buf    errors;
    char             errstr[256];

    fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
    fx->mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    assert_non_null(fx->mock_rk);
    fx->cluster = rd_kafka_mock_cluster_new(fx->mock_rk, 1);
    assert_non_null(fx->cluster);
    (void)snprintf(fx->brokers, sizeof(fx->brokers), "%s",
                   rd_kafka_mock_cluster_bootstraps(fx->cluster));

    cv_buf_init(&errors, 4096);
    assert_int_equal(cv_config_load(&fx->cfg, lookup, fx, NULL, &errors), CV_OK);
    cv_buf_cleanup(&errors);
    assert_int_equal(rd_kafka_mock_topic_create(fx->cluster, fx->cfg.kafka_topic, 2, 1),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;

    cv_config_cleanup(&fx->cfg);
    rd_kafka_mock_cluster_destroy(fx->cluster);
    rd_kafka_destroy(fx->mock_rk);
    free(fx);
    return 0;
}

static void
test_queue_delivers(void **state)
{
    struct fixture  *fx = *state;
    struct cv_queue *queue;
    char             errbuf[256];

    queue = cv_queue_new(&fx->cfg, errbuf, sizeof(errbuf));
    assert_non_null(queue);
    assert_int_equal(cv_queue_ping(queue, SEND_TIMEOUT_MS), CV_OK);
    assert_int_equal(cv_queue_enqueue(queue, fx->cfg.kafka_topic,
                                      "123e4567-e89b-12d3-a456-426614174000", "req-1",
                                      SEND_TIMEOUT_MS), CV_OK);
    cv_queue_free(queue);
}

static void
test_queue_replaces_failed_producer(void **state)
{
    struct fixture  *fx = *state;
    struct cv_queue *queue;
    rd_kafka_t      *failed;
    char             errbuf[256];

    queue = cv_queue_new(&fx->cfg, errbuf, sizeof(errbuf));
    assert_non_null(queue);
    assert_int_equal(cv_queue_enqueue(queue, fx->cfg.kafka_topic,
                                      "123e4567-e89b-12d3-a456-426614174000", "req-1",
                                      SEND_TIMEOUT_MS), CV_OK);

    /* What the broker's loss of the producer's sequence state does. */
    failed = queue->rk;
    assert_int_equal(rd_kafka_test_fatal_error(failed, LOST_SEQUENCE, "sequence lost in a test"),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_not_equal(rd_kafka_fatal_error(failed, NULL, 0), RD_KAFKA_RESP_ERR_NO_ERROR);

    assert_int_equal(cv_queue_enqueue(queue, fx->cfg.kafka_topic,
                                      "223e4567-e89b-12d3-a456-426614174000", "req-2",
                                      SEND_TIMEOUT_MS), CV_OK);
    assert_int_equal(rd_kafka_fatal_error(queue->rk, NULL, 0), RD_KAFKA_RESP_ERR_NO_ERROR);

    /* The probe recovers a failed producer too. */
    assert_int_equal(rd_kafka_test_fatal_error(queue->rk, LOST_SEQUENCE,
                                               "sequence lost in a test"),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(cv_queue_ping(queue, SEND_TIMEOUT_MS), CV_OK);
    assert_int_equal(rd_kafka_fatal_error(queue->rk, NULL, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
    cv_queue_free(queue);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_queue_delivers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_replaces_failed_producer, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
