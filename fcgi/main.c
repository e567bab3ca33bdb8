/*
 * cv-api: a single-threaded FastCGI responder. spawn-fcgi starts several on one
 * listening socket, passed as file descriptor 0. Each accepts one request at a time,
 * routes it, and writes one log line for it. On SIGTERM or SIGINT the current request
 * finishes, then the process releases everything and exits 0.
 * Usage: cv-api [--config FILE] [--check-config] [--listen ADDRESS]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <fcgios.h>

#include "common/arena.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/db.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/queue.h"
#include "fcgi/handlers.h"
#include "fcgi/request.h"
#include "fcgi/respond.h"
#include "fcgi/route.h"

/* Bytes one request may take from its arena. Result bodies are the largest users. */
#define API_ARENA_MAX ((size_t)32 * 1024 * 1024)

/* Pending connections of a socket opened with --listen. */
#define API_LISTEN_BACKLOG 128

/* Pause after a failed accept, so a lasting failure (no fds left) does not spin. */
#define API_ACCEPT_RETRY_MS 100

/* Body bytes read and dropped before responding to a request whose body is unused. */
#define API_DRAIN_MAX ((uint64_t)1024 * 1024)

static volatile sig_atomic_t stop_requested;

typedef void (*api_handler_fn)(struct api_request *req);

/* Indexed by enum api_route_id. */
static const api_handler_fn handlers[API_ROUTE_COUNT] = {
    [API_ROUTE_UPLOAD] = api_handle_upload,
    [API_ROUTE_EVALUATE] = api_handle_evaluate,
    [API_ROUTE_RESULT] = api_handle_result,
    [API_ROUTE_HEALTHZ] = api_handle_healthz,
    [API_ROUTE_READYZ] = api_handle_readyz,
    [API_ROUTE_METRICS] = api_handle_metrics,
};

struct options {
    const char *config_file;   /* NULL = CV_CONFIG_FILE or none */
    const char *listen;        /* NULL = the socket on fd 0 */
    int         is_check_only;
};

static void
on_stop_signal(int signo)
{
    (void)signo;
    stop_requested = 1;
    /* Makes libfcgi's accept loop give up instead of retrying after EINTR. */
    FCGX_ShutdownPending();
}

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: cv-api [--config FILE] [--check-config] [--listen ADDRESS]\n"
            "  --config FILE    read KEY=value settings from FILE (the environment wins)\n"
            "  --check-config   print the effective settings, secrets masked, and exit\n"
            "  --listen ADDRESS listen on a Unix socket path or HOST:PORT (127.0.0.1:9000)\n"
            "                   instead of the socket spawn-fcgi passes on standard input;\n"
            "                   for development\n");
}

/* Returns -1 to continue, or the exit status. */
static int
parse_options(int argc, char **argv, struct options *opt)
{
    int i;

    memset(opt, 0, sizeof(*opt));
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            opt->config_file = argv[++i];
        } else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
            opt->listen = argv[++i];
        } else if (strcmp(argv[i], "--check-config") == 0) {
            opt->is_check_only = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "cv-api: unknown or incomplete option \"%s\"\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    return -1;
}

static uint64_t
mono_us(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail for CLOCK_MONOTONIC */
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Resolves the path and route, then runs the handler. Always leaves a response. */
static void
dispatch(struct api_request *req)
{
    const char *param;
    size_t      param_len;
    enum cv_err rc;

    rc = api_request_resolve_path(
        api_request_param(req, "DOCUMENT_URI"), api_request_param(req, "REQUEST_URI"),
        api_request_param(req, "SCRIPT_NAME"), api_request_param(req, "PATH_INFO"),
        req->arena, &req->path);
    if (rc == CV_ETOOLARGE) {
        api_respond_error(req, API_ERR_URI_TOO_LONG, NULL,
                          "request path is longer than %d bytes", API_PATH_MAX);
        return;
    }
    if (rc != CV_OK) {
        api_respond_error(req, API_ERR_BAD_REQUEST, NULL,
                          "request path is malformed or contains control characters");
        return;
    }

    req->route = api_route_find(req->path, &param, &param_len);
    if (req->route == NULL) {
        api_request_drain(req, API_DRAIN_MAX);
        api_respond_error(req, API_ERR_NOT_FOUND, NULL,
                          "no endpoint at this path; the API is described in /openapi.yaml");
        return;
    }
    if (!api_route_allows(req->route, req->method)) {
        api_request_drain(req, API_DRAIN_MAX);
        if (api_respond_header(req, "Allow", "%s", req->route->allow) != CV_OK) {
            api_respond_error(req, API_ERR_SERVICE_UNAVAILABLE, NULL, "out of memory");
            return;
        }
        api_respond_error(req, API_ERR_METHOD_NOT_ALLOWED, NULL,
                          "method %.16s is not allowed here; use %s", req->method,
                          req->route->allow);
        return;
    }
    if (param != NULL) {
        req->route_param = cv_arena_strndup(req->arena, param, param_len);
        if (req->route_param == NULL) {
            api_respond_error(req, API_ERR_SERVICE_UNAVAILABLE, NULL, "out of memory");
            return;
        }
    }
    handlers[req->route->id](req);
}

/* Writes the one http.request line of a request. */
static void
log_request(const struct api_request *req, uint64_t duration_us, enum cv_err send_rc)
{
    const struct api_response *res = &req->res;
    enum cv_log_level          level = CV_LOG_INFO;
    char                       path[300];
    const char                *msg = NULL;
    enum cv_err                rc = CV_OK;

    if (res->error_code != NULL) {
        rc = res->log_rc;
        msg = res->log_msg;
        level = res->status >= 500 ? (res->status == 503 ? CV_LOG_WARN : CV_LOG_ERROR)
                                   : CV_LOG_INFO;
    }
    if (send_rc != CV_OK) {
        rc = send_rc;
        msg = "could not write the response: the web server closed the connection";
        level = CV_LOG_WARN;
    }
    (void)cv_log_quote(path, sizeof(path), req->path != NULL ? req->path : "");
    cv_log_emit(level, &req->lc, "http.request", rc, msg,
                "method=%.16s route=%s path=%s status=%d dur_ms=%llu.%03llu bytes_in=%llu "
                "bytes_out=%llu%s%s%s%s%s%s",
                req->method[0] != '\0' ? req->method : "-",
                req->route != NULL ? req->route->name : "unmatched", path, res->status,
                (unsigned long long)(duration_us / 1000),
                (unsigned long long)(duration_us % 1000), (unsigned long long)req->bytes_in,
                (unsigned long long)req->bytes_out,
                req->cv_id[0] != '\0' ? " cv_id=" : "", req->cv_id,
                req->project_id[0] != '\0' ? " project_id=" : "", req->project_id,
                res->error_code != NULL ? " code=" : "",
                res->error_code != NULL ? res->error_code : "");
}

static void
serve(const struct api_server *srv, FCGX_Request *fcgx, struct cv_arena *arena)
{
    struct api_request req;
    uint64_t           start_us = mono_us();
    uint64_t           duration_us;
    enum cv_err        send_rc;

    api_request_init(&req, fcgx, srv, arena);
    dispatch(&req);
    send_rc = api_response_send(&req);
    duration_us = mono_us() - start_us;

    cv_metrics_count_request(srv->metrics, cv_metrics_method_of(req.method),
                             req.route != NULL ? req.route->metrics_route
                                               : CV_METRICS_ROUTE_UNMATCHED,
                             req.res.status, duration_us);
    log_request(&req, duration_us, send_rc);
    api_request_cleanup(&req);
}

static int
install_signals(sigset_t *stop_set)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    /* No SA_RESTART: the signal must interrupt accept() to end an idle responder. */
    sa.sa_flags = 0;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0) {
        return -1;
    }
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &sa, NULL) != 0) {
        return -1;
    }

    /* Stop signals stay blocked except while waiting in accept(), so they never cut a
     * request short, and threads started later (librdkafka's) inherit the block and
     * leave the signal to this thread. */
    sigemptyset(stop_set);
    sigaddset(stop_set, SIGTERM);
    sigaddset(stop_set, SIGINT);
    return sigprocmask(SIG_BLOCK, stop_set, NULL);
}

/* Accepts and serves requests until a stop signal arrives. Returns the number served. */
static unsigned long
run(const struct api_server *srv, int listen_fd)
{
    FCGX_Request    fcgx;
    struct cv_arena arena;
    sigset_t        stop_set;
    unsigned long   served = 0;
    int             rc;

    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGINT);
    cv_arena_init(&arena, API_ARENA_MAX);
    if (FCGX_InitRequest(&fcgx, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
        cv_log_error(NULL, "api.accept", CV_ENOMEM, "could not initialise the request", "%s",
                     "");
        return 0;
    }

    while (!stop_requested) {
        /* NOTE: a signal landing between libfcgi's last flag check and accept() is only
         * seen after the next connection arrives; the window is a few instructions. */
        (void)sigprocmask(SIG_UNBLOCK, &stop_set, NULL); /* valid set: cannot fail */
        rc = FCGX_Accept_r(&fcgx);
        (void)sigprocmask(SIG_BLOCK, &stop_set, NULL);
        if (rc < 0) {
            if (stop_requested) {
                break;
            }
            if (rc != -EINTR) {
                cv_log_warn(NULL, "api.accept", CV_EUNAVAIL, strerror(-rc > 0 ? -rc : EIO),
                            "retry_ms=%d", API_ACCEPT_RETRY_MS);
                cv_clock_sleep_ms(API_ACCEPT_RETRY_MS);
            }
            continue;
        }
        serve(srv, &fcgx, &arena);
        served++;
        FCGX_Finish_r(&fcgx);
        cv_arena_reset(&arena);
    }

    FCGX_Free(&fcgx, 1);
    cv_arena_cleanup(&arena);
    return served;
}

/* Returns the listening socket: --listen's, or spawn-fcgi's on fd 0; -1 on failure. */
static int
open_listener(const char *listen)
{
    int fd;

    if (listen != NULL) {
        fd = FCGX_OpenSocket(listen, API_LISTEN_BACKLOG);
        if (fd < 0) {
            fprintf(stderr, "cv-api: could not listen on \"%s\"\n", listen);
        }
        return fd;
    }
    if (FCGX_IsCGI()) {
        fprintf(stderr, "cv-api: standard input is not a FastCGI listening socket; start "
                        "cv-api under spawn-fcgi or pass --listen ADDRESS\n");
        return -1;
    }
    return 0;
}

/* Opens the shared counters, or private ones when the file cannot be used. */
static struct cv_metrics *
open_metrics(const struct cv_config *cfg)
{
    struct cv_metrics *metrics = NULL;
    char               reason[512];

    if (cv_metrics_open(cfg->metrics_path, &metrics, reason, sizeof(reason)) == CV_OK) {
        return metrics;
    }
    cv_log_warn(NULL, "metrics.open", CV_EUNAVAIL, reason,
                "effect=%s", "this responder's /metrics reports only its own counters");
    return cv_metrics_open_private();
}

int
main(int argc, char **argv)
{
    struct options     opt;
    struct cv_config   cfg;
    struct cv_buf      errors;
    struct api_server  srv;
    enum cv_log_level  level = CV_LOG_INFO;
    sigset_t           stop_set;
    char               errbuf[512];
    unsigned long      served;
    int                listen_fd = -1;
    int                status = 1;

    status = parse_options(argc, argv, &opt);
    if (status >= 0) {
        return status;
    }
    status = 1;
    memset(&srv, 0, sizeof(srv));

    cv_buf_init(&errors, 65536);
    if (cv_config_load_env(&cfg, opt.config_file, &errors) != CV_OK) {
        fprintf(stderr, "cv-api: invalid configuration:\n%s",
                errors.data != NULL ? errors.data : "");
        goto out;
    }
    if (opt.is_check_only) {
        if (cv_config_check_unknown(&cfg, &errors) != CV_OK) {
            fprintf(stderr, "cv-api: invalid configuration:\n%s",
                    errors.data != NULL ? errors.data : "");
            goto out;
        }
        cv_config_print(&cfg, stdout);
        fprintf(stderr, "cv-api: configuration is valid\n");
        status = 0;
        goto out;
    }
    (void)cv_log_parse_level(cfg.log_level, &level); /* validated by cv_config_load */
    cv_log_open("cv-api", level, 0);
    cv_config_log_unknown(&cfg);

    if (FCGX_Init() != 0) {
        fprintf(stderr, "cv-api: could not initialise libfcgi\n");
        goto out;
    }
    listen_fd = open_listener(opt.listen);
    if (listen_fd < 0) {
        goto out;
    }
    if (install_signals(&stop_set) != 0) {
        fprintf(stderr, "cv-api: could not install signal handlers: %s\n", strerror(errno));
        goto out;
    }

    srv.cfg = &cfg;
    srv.metrics = open_metrics(&cfg);
    srv.db = cv_db_new(&cfg, "cv-api");
    srv.queue = cv_queue_new(&cfg, errbuf, sizeof(errbuf));
    if (srv.metrics == NULL || srv.db == NULL || srv.queue == NULL) {
        cv_log_error(NULL, "api.start", srv.queue == NULL ? CV_EINVAL : CV_ENOMEM,
                     srv.queue == NULL ? errbuf : "out of memory", "%s", "");
        goto out;
    }

    cv_log_info(NULL, "api.start", "listen=%s metrics_slot=%d db_host=%s kafka_topic=%s",
                opt.listen != NULL ? opt.listen : "fd0", cv_metrics_slot(srv.metrics),
                cfg.db_host, cfg.kafka_topic);
    served = run(&srv, listen_fd);
    cv_log_info(NULL, "api.stop", "requests=%lu", served);
    status = 0;

out:
    cv_queue_free(srv.queue); /* flushes for at most KAFKA_ENQUEUE_TIMEOUT_MS */
    cv_db_free(srv.db);
    cv_metrics_close(srv.metrics);
    if (listen_fd > 0) {
        (void)close(listen_fd); /* a listening socket has nothing left to flush */
    }
    OS_LibShutdown();
    cv_config_cleanup(&cfg);
    cv_buf_cleanup(&errors);
    return status;
}
