/*
 * cvctl dev-broker: a Kafka-protocol broker for machines where Redpanda cannot run,
 * built on librdkafka's mock cluster (rdkafka_mock.h). It listens on loopback ports the
 * kernel picks, creates the job and dead-letter topics, writes its bootstrap address
 * list to a file for the other processes, and runs until SIGTERM or SIGINT.
 * Messages live in this process's memory only: stopping it loses unconsumed messages,
 * which the service tolerates because PostgreSQL holds every job.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "common/clock.h"
#include "common/log.h"
#include "cvctl/cmd.h"

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Writes text to path through a temporary file and rename, so readers never see half. */
static int
write_file_atomically(const char *path, const char *text)
{
    char  tmp[4096];
    FILE *fp;

    (void)snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fp = fopen(tmp, "w");
    if (fp == NULL) {
        fprintf(stderr, "cvctl: could not create \"%s\": %s\n", tmp, strerror(errno));
        return -1;
    }
    if (fprintf(fp, "%s\n", text) < 0 || fclose(fp) != 0) {
        fprintf(stderr, "cvctl: could not write \"%s\": %s\n", tmp, strerror(errno));
        return -1;
    }
    if (rename(tmp, path) != 0) {
        fprintf(stderr, "cvctl: could not rename \"%s\": %s\n", tmp, strerror(errno));
        return -1;
    }
    return 0;
}

static int
parse_count(const char *text, long min, long max, long *out)
{
    char *end;
    long  value;

    errno = 0;
    value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min || value > max) {
        return -1;
    }
    *out = value;
    return 0;
}

int
ctl_dev_broker(const struct cv_config *cfg, int argc, char **argv)
{
    rd_kafka_conf_t         *conf = NULL;
    rd_kafka_t              *rk = NULL;
    rd_kafka_mock_cluster_t *cluster = NULL;
    rd_kafka_resp_err_t      kerr;
    struct sigaction         sa;
    const char              *bootstrap_file = NULL;
    const char              *bootstraps;
    char                     errstr[512];
    long                     partitions = 6;
    long                     brokers = 1;
    int                      status = 1;
    int                      i;

    for (i = 0; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--partitions") == 0 && parse_count(argv[i + 1], 1, 1000, &partitions) == 0) {
            continue;
        }
        if (strcmp(argv[i], "--brokers") == 0 && parse_count(argv[i + 1], 1, 9, &brokers) == 0) {
            continue;
        }
        if (strcmp(argv[i], "--bootstrap-file") == 0) {
            bootstrap_file = argv[i + 1];
            continue;
        }
        break;
    }
    if (i != argc) {
        fprintf(stderr, "usage: cvctl dev-broker [--partitions 1..1000] [--brokers 1..9] "
                        "[--bootstrap-file PATH]\n");
        return 2;
    }

    /* The mock cluster needs a client handle for its bookkeeping; it sends nothing. */
    conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "cvctl: %s\n", errstr);
        goto out;
    }
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (rk == NULL) {
        fprintf(stderr, "cvctl: could not create Kafka handle: %s\n", errstr);
        goto out;
    }
    /* ownership of conf moved to rk */
    conf = NULL;

    cluster = rd_kafka_mock_cluster_new(rk, (int)brokers);
    if (cluster == NULL) {
        fprintf(stderr, "cvctl: could not start the mock cluster\n");
        goto out;
    }
    kerr = rd_kafka_mock_topic_create(cluster, cfg->kafka_topic, (int)partitions, (int)brokers);
    if (kerr == RD_KAFKA_RESP_ERR_NO_ERROR) {
        kerr = rd_kafka_mock_topic_create(cluster, cfg->kafka_dlq_topic, 1, (int)brokers);
    }
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "cvctl: could not create topics: %s\n", rd_kafka_err2str(kerr));
        goto out;
    }

    bootstraps = rd_kafka_mock_cluster_bootstraps(cluster);
    if (bootstrap_file != NULL && write_file_atomically(bootstrap_file, bootstraps) != 0) {
        goto out;
    }
    printf("%s\n", bootstraps);
    fflush(stdout);
    cv_log_info(NULL, "broker.start", "bootstrap=%s topic=%s partitions=%ld dlq_topic=%s",
                bootstraps, cfg->kafka_topic, partitions, cfg->kafka_dlq_topic);

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGTERM, &sa, NULL); /* valid signal and handler: cannot fail */
    (void)sigaction(SIGINT, &sa, NULL);
    /* Polling a flag instead of pause() leaves no window for a missed signal. */
    while (!stop_requested) {
        cv_clock_sleep_ms(100);
    }
    cv_log_info(NULL, "broker.stop", "bootstrap=%s", bootstraps);
    if (bootstrap_file != NULL) {
        (void)unlink(bootstrap_file); /* a stale file would point clients at a dead port */
    }
    status = 0;
out:
    if (cluster != NULL) {
        rd_kafka_mock_cluster_destroy(cluster);
    }
    if (rk != NULL) {
        rd_kafka_destroy(rk);
    }
    if (conf != NULL) {
        rd_kafka_conf_destroy(conf);
    }
    return status;
}
