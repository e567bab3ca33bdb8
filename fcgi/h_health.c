/* Liveness and readiness probes. */
#include <stdio.h>

#include "fcgi/handlers.h"
#include "fcgi/respond.h"

void
api_handle_healthz(struct api_request *req)
{
    if (cv_buf_append_str(&req->res.body, "{\"status\":\"ok\"}") != CV_OK) {
        api_respond_error(req, API_ERR_SERVICE_UNAVAILABLE, NULL, "out of memory");
        return;
    }
    api_respond_json(req, 200);
}

static enum cv_err
append_checks(struct cv_buf *body, enum cv_err db_rc, enum cv_err broker_rc)
{
    return cv_buf_printf(body, "\"checks\":{\"database\":\"%s\",\"broker\":\"%s\"}}",
                         db_rc == CV_OK ? "ok" : "failed",
                         broker_rc == CV_OK ? "ok" : "failed");
}

void
api_handle_readyz(struct api_request *req)
{
    const struct api_server *srv = req->srv;
    enum cv_err              db_rc;
    enum cv_err              broker_rc;
    enum cv_err              rc;

    db_rc = cv_db_ping(srv->db);
    if (db_rc != CV_OK) {
        cv_metrics_count_db_error(srv->metrics, db_rc == CV_ETIMEOUT ? CV_METRICS_DB_TIMEOUT
                                                                     : CV_METRICS_DB_UNAVAILABLE);
    }
    broker_rc = cv_queue_ping(srv->queue, API_READY_BROKER_TIMEOUT_MS);

    if (db_rc == CV_OK && broker_rc == CV_OK) {
        rc = cv_buf_append_str(&req->res.body, "{\"status\":\"ready\",");
        if (rc == CV_OK) {
            rc = append_checks(&req->res.body, db_rc, broker_rc);
        }
        if (rc != CV_OK) {
            api_respond_error(req, API_ERR_SERVICE_UNAVAILABLE, NULL, "out of memory");
            return;
        }
        api_respond_json(req, 200);
        return;
    }

    api_respond_error(req, API_ERR_NOT_READY, NULL, "%s%s%s",
                      db_rc != CV_OK ? "the database check failed" : "",
                      db_rc != CV_OK && broker_rc != CV_OK ? " and " : "",
                      broker_rc != CV_OK ? "the broker check failed" : "");
    /* The client sees which check failed; the reasons, which name hosts, go to the log. */
    req->res.log_rc = db_rc != CV_OK ? db_rc : broker_rc;
    (void)snprintf(req->res.log_msg, sizeof(req->res.log_msg), "database: %s; broker: %s",
                   db_rc == CV_OK ? "ok" : cv_db_errmsg(srv->db),
                   broker_rc == CV_OK ? "ok" : cv_queue_errmsg(srv->queue));

    /* Reopen the error object to add the checks beside it: drop its final '}'. */
    req->res.body.data[--req->res.body.len] = '\0';
    if (cv_buf_append(&req->res.body, ",", 1) != CV_OK ||
        append_checks(&req->res.body, db_rc, broker_rc) != CV_OK) {
        cv_buf_reset(&req->res.body);
        api_respond_error(req, API_ERR_NOT_READY, NULL, "a readiness check failed");
    }
}
