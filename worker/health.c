/* /healthz, /readyz and /metrics over libmicrohttpd. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "worker/health.h"
#include "worker/sigmask.h"

/* Result of a database check, reused for this long before /readyz runs another. */
#define DB_CHECK_TTL_MS 1000

/* Largest /metrics body; the families are bounded by partitions and error codes. */
#define METRICS_MAX_BYTES (1024 * 1024)

struct wk_health {
    const struct cv_config   *cfg;           /* borrowed */
    const struct wk_consumer *consumer;      /* borrowed */
    struct wk_metrics        *metrics;       /* borrowed */
    const atomic_int         *is_draining;   /* borrowed */
    struct MHD_Daemon        *daemon;        /* owned */
    pthread_mutex_t           db_mutex;
    struct cv_db             *db;            /* owned, guarded by db_mutex */
    int64_t                   db_checked_ms; /* guarded by db_mutex; mono ms, 0 = never */
    int                       is_db_up;      /* guarded by db_mutex */
};

static int
check_db(struct wk_health *health)
{
    int64_t now = cv_clock_mono_ms();
    int     is_up;

    pthread_mutex_lock(&health->db_mutex);
    if (health->db_checked_ms == 0 || now - health->db_checked_ms >= DB_CHECK_TTL_MS) {
        health->is_db_up = cv_db_ping(health->db) == CV_OK;
        health->db_checked_ms = cv_clock_mono_ms();
    }
    is_up = health->is_db_up;
    pthread_mutex_unlock(&health->db_mutex);
    return is_up;
}

static enum MHD_Result
reply(struct MHD_Connection *connection, unsigned int status, const char *type,
      const char *body, size_t body_len)
{
    struct MHD_Response *response;
    enum MHD_Result      result;

    response = MHD_create_response_from_buffer(body_len, (void *)(uintptr_t)body,
                                               MHD_RESPMEM_MUST_COPY);
    if (response == NULL) {
        return MHD_NO;
    }
    (void)MHD_add_response_header(response, "Content-Type", type); /* only fails on ENOMEM */
    (void)MHD_add_response_header(response, "Cache-Control", "no-store");
    result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result;
}

static enum MHD_Result
reply_readyz(struct wk_health *health, struct MHD_Connection *connection)
{
    char body[160];
    int  is_db_up = check_db(health);
    int  is_broker_up = wk_consumer_is_ready(health->consumer);
    int  is_draining = atomic_load(health->is_draining) != 0;
    int  len;

    len = snprintf(body, sizeof(body),
                   "{\"status\":\"%s\",\"database\":\"%s\",\"broker\":\"%s\",\"draining\":%s}\n",
                   is_db_up && is_broker_up && !is_draining ? "ready" : "unavailable",
                   is_db_up ? "up" : "down", is_broker_up ? "up" : "down",
                   is_draining ? "true" : "false");
    return reply(connection,
                 is_db_up && is_broker_up && !is_draining ? MHD_HTTP_OK
                                                          : MHD_HTTP_SERVICE_UNAVAILABLE,
                 "application/json", body, (size_t)len);
}

static enum MHD_Result
reply_metrics(struct wk_health *health, struct MHD_Connection *connection)
{
    struct cv_buf   body;
    enum MHD_Result result;

    cv_buf_init(&body, METRICS_MAX_BYTES);
    if (wk_metrics_format(health->metrics, &body) != CV_OK) {
        cv_buf_cleanup(&body);
        return reply(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
                     "could not format metrics\n", 25);
    }
    result = reply(connection, MHD_HTTP_OK, "text/plain; version=0.0.4",
                   body.data != NULL ? body.data : "", body.len);
    cv_buf_cleanup(&body);
    return result;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size,
           void **req_cls)
{
    struct wk_health *health = cls;

    (void)version;
    (void)upload_data;
    (void)req_cls;
    if (*upload_data_size != 0) {
        *upload_data_size = 0; /* no endpoint takes a body: drop it */
        return MHD_YES;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        return reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
                     "method not allowed\n", 19);
    }
    if (strcmp(url, "/healthz") == 0) {
        return reply(connection, MHD_HTTP_OK, "application/json", "{\"status\":\"ok\"}\n", 16);
    }
    if (strcmp(url, "/readyz") == 0) {
        return reply_readyz(health, connection);
    }
    if (strcmp(url, "/metrics") == 0) {
        return reply_metrics(health, connection);
    }
    return reply(connection, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n", 10);
}

enum cv_err
wk_health_start(const struct cv_config *cfg, const struct wk_consumer *consumer,
                struct wk_metrics *metrics, const atomic_int *is_draining,
                struct wk_health **out, char *errbuf, size_t errbuf_len)
{
    struct wk_health  *health;
    struct sockaddr_in addr;
    sigset_t           previous;

    *out = NULL;
    if (cfg->worker_http_port == 0) {
        return CV_OK;
    }
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)cfg->worker_http_port);
    if (inet_pton(AF_INET, cfg->worker_http_addr, &addr.sin_addr) != 1) {
        (void)snprintf(errbuf, errbuf_len,
                       "WORKER_HTTP_ADDR: invalid value \"%s\": expected an IPv4 address",
                       cfg->worker_http_addr);
        return CV_EINVAL;
    }
    health = calloc(1, sizeof(*health));
    if (health == NULL || pthread_mutex_init(&health->db_mutex, NULL) != 0) {
        free(health);
        (void)snprintf(errbuf, errbuf_len, "out of memory");
        return CV_ENOMEM;
    }
    health->cfg = cfg;
    health->consumer = consumer;
    health->metrics = metrics;
    health->is_draining = is_draining;
    health->db = cv_db_new(cfg, "cv-worker-health");
    if (health->db == NULL) {
        wk_health_stop(health);
        (void)snprintf(errbuf, errbuf_len, "out of memory");
        return CV_ENOMEM;
    }

    wk_sigmask_block(&previous);
    health->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
                                      0, NULL, NULL, on_request, health,
                                      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
                                      MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
                                      MHD_OPTION_END);
    wk_sigmask_restore(&previous);
    if (health->daemon == NULL) {
        (void)snprintf(errbuf, errbuf_len, "could not listen on %s:%ld for /healthz",
                       cfg->worker_http_addr, cfg->worker_http_port);
        wk_health_stop(health);
        return CV_EUNAVAIL;
    }
    *out = health;
    return CV_OK;
}

void
wk_health_stop(struct wk_health *health)
{
    if (health == NULL) {
        return;
    }
    if (health->daemon != NULL) {
        MHD_stop_daemon(health->daemon);
    }
    cv_db_free(health->db);
    pthread_mutex_destroy(&health->db_mutex);
    free(health);
}
