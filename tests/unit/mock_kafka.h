/*
 * A cmocka fixture shared by the Kafka unit tests: librdkafka's in-process mock cluster
 * with the job and dead-letter topics, and a configuration whose KAFKA_BROKERS names it.
 * Include after cmocka.h and after the source file under test, which brings rdkafka.h.
 */
#ifndef TEST_MOCK_KAFKA_H
#define TEST_MOCK_KAFKA_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka_mock.h>

#include "common/buf.h"
#include "common/config.h"

/* Milliseconds one message may take; the mock cluster replies in far less. */
#define MOCK_SEND_TIMEOUT_MS 10000

/* The error a broker that lost the producer's sequence state causes. */
#define MOCK_LOST_SEQUENCE RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER

struct mock_kafka {
    rd_kafka_t              *rk;        /* owns the mock cluster's bookkeeping */
    rd_kafka_mock_cluster_t *cluster;
    struct cv_config         cfg;
    char                     brokers[256];
};

static const char *
mock_kafka_lookup(const char *name, void *ctx)
{
    struct mock_kafka *mk = ctx;

    if (strcmp(name, "KAFKA_BROKERS") == 0) {
        return mk->brokers;
    }
    /* The dead-letter producer waits this long for a delivery report. */
    return strcmp(name, "KAFKA_ENQUEUE_TIMEOUT_MS") == 0 ? "10000" : NULL;
}

/* cmocka setup: *state becomes a struct mock_kafka that mock_kafka_teardown() frees. */
static int
mock_kafka_setup(void **state)
{
    struct mock_kafka *mk;
    rd_kafka_conf_t   *conf;
    struct cv_buf      errors;
    char               errstr[256];

    mk = calloc(1, sizeof(*mk));
    assert_non_null(mk);
    conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
    mk->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    assert_non_null(mk->rk);
    mk->cluster = rd_kafka_mock_cluster_new(mk->rk, 1);
    assert_non_null(mk->cluster);
    (void)snprintf(mk->brokers, sizeof(mk->brokers), "%s",
                   rd_kafka_mock_cluster_bootstraps(mk->cluster));

    cv_buf_init(&errors, 4096);
    assert_int_equal(cv_config_load(&mk->cfg, mock_kafka_lookup, mk, NULL, &errors), CV_OK);
    cv_buf_cleanup(&errors);
    assert_int_equal(rd_kafka_mock_topic_create(mk->cluster, mk->cfg.kafka_topic, 1, 1),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(rd_kafka_mock_topic_create(mk->cluster, mk->cfg.kafka_dlq_topic, 1, 1),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    *state = mk;
    return 0;
}

static int
mock_kafka_teardown(void **state)
{
    struct mock_kafka *mk = *state;

    cv_config_cleanup(&mk->cfg);
    rd_kafka_mock_cluster_destroy(mk->cluster);
    rd_kafka_destroy(mk->rk);
    free(mk);
    return 0;
}

#endif
