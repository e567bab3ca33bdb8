/*
 * cvctl dev-broker: a Kafka-protocol broker for machines where Redpanda cannot run,
 * built on librdkafka's mock cluster (rdkafka_mock.h). It listens on loopback, on the
 * port given with --port or else on ports the kernel picks. It creates the job and
 * dead-letter topics, writes its bootstrap address list to a file for the other
 * processes, and runs until SIGTERM or SIGINT. Exit status 3 means that the --port
 * port is in use.
 * Messages live in this process's memory only: stopping it loses unconsumed messages,
 * which the service tolerates because PostgreSQL holds every job.
 */
/* Without _GNU_SOURCE, glibc declares bind with a plain pointer, as defined below. */
#undef _GNU_SOURCE
#define _DEFAULT_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "common/clock.h"
#include "common/log.h"
#include "cvctl/cmd.h"

static volatile sig_atomic_t stop_requested;

/* Port that the next bind of an IPv4 socket to port 0 gets instead, or 0 for none. */
static unsigned short listen_port;

/*
 * Binds a socket, as the C library's bind does, except while listen_port is set.
 * librdkafka 2.0.2 binds each mock broker to port 0 and has no setting for the port, but
 * a broker restarted on its old port lets running clients reconnect on their own.
 * librdkafka calls bind through the dynamic linker, which finds this definition in the
 * executable before the C library's. The first bind to port 0 of an IPv4 socket after
 * listen_port is set gets that port and SO_REUSEADDR, so that connections of the
 * previous broker still in TIME_WAIT do not block it. Every other call goes straight to
 * the system call.
 */
int
bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct sockaddr_in sin;
    int                on = 1;

    if (listen_port != 0 && addr != NULL && addr->sa_family == AF_INET && len >= sizeof(sin)) {
        memcpy(&sin, addr, sizeof(sin));
        if (sin.sin_port == 0) {
            sin.sin_port = htons(listen_port);
            listen_port = 0;
            if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) {
                return -1;
            }
            return (int)syscall(SYS_bind, fd, &sin, sizeof(sin));
        }
    }
    return (int)syscall(SYS_bind, fd, addr, len);
}

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

/*
 * Returns 0 when an IPv4 loopback socket with SO_REUSEADDR can bind port, 3 when the
 * port is in use, else -1, after printing why. librdkafka 2.0.2 aborts on an assertion when the bind of a mock broker
 * fails, so the port is checked before the cluster is created. Another process can still
 * take the port in between.
 */
static int
check_port_free(long port)
{
    struct sockaddr_in sin;
    int                fd;
    int                on = 1;
    int                status = -1;
    int                saved_errno;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, "cvctl: could not create a socket: %s\n", strerror(errno));
        return -1;
    }
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = htons((unsigned short)port);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0
        || bind(fd, (const struct sockaddr *)&sin, sizeof(sin)) != 0) {
        saved_errno = errno;
        fprintf(stderr, "cvctl: could not bind 127.0.0.1:%ld: %s\n", port,
                strerror(saved_errno));
        status = saved_errno == EADDRINUSE ? 3 : -1;
        goto out;
    }
    status = 0;
out:
    (void)close(fd);
    return status;
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
    long                     port = 0;
    int                      status = 1;
    int                      i;

    for (i = 0; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--partitions") == 0 && parse_count(argv[i + 1], 1, 1000, &partitions) == 0) {
            continue;
        }
        if (strcmp(argv[i], "--brokers") == 0 && parse_count(argv[i + 1], 1, 9, &brokers) == 0) {
            continue;
        }
        if (strcmp(argv[i], "--port") == 0 && parse_count(argv[i + 1], 0, 65535, &port) == 0) {
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
                        "[--port 0..65535] [--bootstrap-file PATH]\n");
        return 2;
    }

    if (port != 0) {
        /* For 3, port in use, scripts/broker.sh chooses another port. */
        status = check_port_free(port);
        if (status != 0) {
            status = status == 3 ? 3 : 1;
            goto out;
        }
        status = 1;
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

    /* Only the first broker gets the port, and the others keep ports the kernel picks. */
    listen_port = (unsigned short)port;
    cluster = rd_kafka_mock_cluster_new(rk, (int)brokers);
    listen_port = 0;
    if (cluster == NULL && port != 0) {
        fprintf(stderr, "cvctl: could not start the mock cluster on 127.0.0.1:%ld\n", port);
        goto out;
    }
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
