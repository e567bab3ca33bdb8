/*
 * POST /v1/evaluate: validates the request, creates a queued job (or replays the job of
 * an earlier request with the same Idempotency-Key), commits it, then sends the
 * wake-up message. The job row is the promise: a lost message only delays the job
 * until the worker's sweeper finds it.
 */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "fcgi/evaluate_input.h"
#include "fcgi/handlers.h"
#include "fcgi/respond.h"
#include "fcgi/store_job.h"
#include "fcgi/store_upload.h"

/* Reads and parses the body. Returns false with the response set. */
static bool
read_input(struct api_request *req, struct api_evaluate_input *in)
{
    const struct cv_config   *cfg = req->srv->cfg;
    struct api_input_problem  problem;
    struct cv_buf             body;
    const char               *content_type;
    uint64_t                  content_len;
    enum cv_err               rc;
    bool                      is_ok = false;

    cv_buf_init(&body, (size_t)cfg->evaluate_max_body_bytes);
    content_type = api_request_param(req, "CONTENT_TYPE");
    if (content_type != NULL && content_type[0] != '\0' &&
        !api_request_media_type_is(content_type, "application/json")) {
        api_respond_error(req, API_ERR_UNSUPPORTED_MEDIA_TYPE, NULL,
                          "Content-Type must be application/json");
        goto out;
    }
    if (api_request_content_length(req, &content_len) != CV_OK) {
        api_respond_error(req, API_ERR_BAD_REQUEST, NULL,
                          "Content-Length is not a decimal number");
        goto out;
    }
    if (content_len > (uint64_t)cfg->evaluate_max_body_bytes) {
        api_respond_error(req, API_ERR_PAYLOAD_TOO_LARGE, NULL,
                          "request body of %llu bytes is larger than the limit of %ld bytes",
                          (unsigned long long)content_len, cfg->evaluate_max_body_bytes);
        goto out;
    }

    rc = api_request_read_body(req, &body);
    if (rc == CV_ETOOLARGE) {
        api_respond_error(req, API_ERR_PAYLOAD_TOO_LARGE, NULL,
                          "request body is larger than the limit of %ld bytes",
                          cfg->evaluate_max_body_bytes);
        goto out;
    }
    if (rc != CV_OK) {
        api_respond_error(req, rc == CV_ENOMEM ? API_ERR_SERVICE_UNAVAILABLE
                                               : API_ERR_BAD_REQUEST,
                          NULL, "could not read the request body");
        goto out;
    }

    rc = api_evaluate_parse(body.data != NULL ? body.data : "", body.len, in, &problem);
    if (rc == CV_EINVAL) {
        api_respond_error(req, problem.err, problem.field[0] != '\0' ? problem.field : NULL,
                          "%s", problem.message);
        goto out;
    }
    if (rc != CV_OK) {
        api_respond_error(req, API_ERR_SERVICE_UNAVAILABLE, NULL, "out of memory");
        goto out;
    }
    is_ok = true;
out:
    cv_buf_cleanup(&body);
    return is_ok;
}

/* Checks that both ids name uploads of the right kind. Returns false with the response set. */
static bool
check_uploads(struct api_request *req, const struct api_evaluate_input *in)
{
    char        cv_kind[API_KIND_SIZE];
    char        project_kind[API_KIND_SIZE];
    enum cv_err rc;

    rc = api_store_upload_kinds(req->srv->db, in->cv_id, in->project_id, cv_kind,
                                project_kind);
    if (rc != CV_OK) {
        api_respond_failure(req, rc, true, "could not look up the uploads",
                            cv_db_errmsg(req->srv->db));
        return false;
    }
    if (cv_kind[0] == '\0') {
        api_respond_error(req, API_ERR_CV_NOT_FOUND, "cv_id", "no upload has the cv_id %s",
                          in->cv_id);
        return false;
    }
    if (strcmp(cv_kind, "cv") != 0) {
        api_respond_error(req, API_ERR_WRONG_UPLOAD_KIND, "cv_id",
                          "cv_id %s names a project report upload, not a CV; pass the "
                          "cv_id returned by the upload",
                          in->cv_id);
        return false;
    }
    if (project_kind[0] == '\0') {
        api_respond_error(req, API_ERR_PROJECT_NOT_FOUND, "project_id",
                          "no upload has the project_id %s", in->project_id);
        return false;
    }
    if (strcmp(project_kind, "project") != 0) {
        api_respond_error(req, API_ERR_WRONG_UPLOAD_KIND, "project_id",
                          "project_id %s names a CV upload, not a project report; pass the "
                          "project_id returned by the upload",
                          in->project_id);
        return false;
    }
    return true;
}

/* Sends the wake-up message and records its acknowledgement; a failure is only logged. */
static void
enqueue(struct api_request *req, const struct api_job_ref *job)
{
    const struct api_server *srv = req->srv;
    enum cv_err              rc;

    rc = cv_queue_enqueue(srv->queue, srv->cfg->kafka_topic, job->id, req->req_id,
                          srv->cfg->kafka_enqueue_timeout_ms);
    cv_metrics_count_enqueue(srv->metrics, rc == CV_OK);
    if (rc != CV_OK) {
        cv_log_warn(&req->lc, "job.enqueue", rc, cv_queue_errmsg(srv->queue),
                    "topic=%s action=left_for_sweeper", srv->cfg->kafka_topic);
        return;
    }
    rc = api_store_job_mark_enqueued(srv->db, job->id);
    if (rc != CV_OK) {
        cv_metrics_count_db_error(srv->metrics, rc == CV_ETIMEOUT ? CV_METRICS_DB_TIMEOUT
                                              : rc == CV_EUNAVAIL ? CV_METRICS_DB_UNAVAILABLE
                                                                  : CV_METRICS_DB_OTHER);
        cv_log_warn(&req->lc, "job.mark_enqueued", rc, cv_db_errmsg(srv->db),
                    "effect=%s", "a worker may run the job a second time from the sweeper");
    }
}

static enum cv_err
write_response(struct api_request *req, const struct api_job_ref *job, bool is_replay)
{
    enum cv_err rc;

    rc = cv_buf_append(&req->res.body, "{", 1);
    if (rc == CV_OK) {
        rc = api_json_member_string(&req->res.body, true, "id", job->id);
    }
    if (rc == CV_OK) {
        rc = api_json_member_string(&req->res.body, false, "status", job->status);
    }
    if (rc == CV_OK) {
        rc = cv_buf_append(&req->res.body, "}", 1);
    }
    if (rc == CV_OK) {
        rc = api_respond_header(req, "Location", "/v1/result/%s", job->id);
    }
    if (rc == CV_OK && is_replay) {
        rc = api_respond_header(req, "Idempotent-Replayed", "true");
    }
    return rc;
}

void
api_handle_evaluate(struct api_request *req)
{
    struct api_evaluate_input in;
    struct api_job_ref        job;
    const char               *key;
    char                      request_sha256[CV_SHA256_HEX_LEN];
    enum cv_err               rc;

    memset(&in, 0, sizeof(in));
    key = api_request_param(req, "HTTP_IDEMPOTENCY_KEY");
    if (key != NULL && !api_idempotency_key_is_valid(key)) {
        api_request_drain(req, (uint64_t)req->srv->cfg->evaluate_max_body_bytes);
        api_respond_error(req, API_ERR_INVALID_IDEMPOTENCY_KEY, NULL,
                          "Idempotency-Key must be 1 to %d visible ASCII characters",
                          API_IDEMPOTENCY_KEY_MAX);
        return;
    }
    if (!read_input(req, &in) || !check_uploads(req, &in)) {
        goto out;
    }
    if (api_evaluate_hash(&in, request_sha256) != CV_OK) {
        api_respond_error(req, API_ERR_SERVICE_UNAVAILABLE, NULL, "out of memory");
        goto out;
    }

    rc = api_store_job_create(req->srv->db, &in, key, request_sha256, req->req_id, &job);
    if (rc != CV_OK) {
        api_respond_failure(req, rc, true, "could not create the job",
                            cv_db_errmsg(req->srv->db));
        goto out;
    }
    (void)snprintf(req->job_id, sizeof(req->job_id), "%s", job.id);
    req->lc.job_id = req->job_id;

    if (!job.is_new && strcmp(job.request_sha256, request_sha256) != 0) {
        api_respond_error(req, API_ERR_IDEMPOTENCY_CONFLICT, NULL,
                          "Idempotency-Key was already used for a different request (job %s); "
                          "use a new key for a new request",
                          job.id);
        goto out;
    }
    /* A replay re-sends the wake-up if the first attempt was never acknowledged. */
    if (job.is_new || (!job.is_enqueued && strcmp(job.status, "queued") == 0)) {
        enqueue(req, &job);
    }
    if (write_response(req, &job, !job.is_new) != CV_OK) {
        api_respond_error(req, API_ERR_INTERNAL, NULL,
                          "job %s was created, but the response could not be built", job.id);
        goto out;
    }
    api_respond_json(req, job.is_new ? 202 : 200);
out:
    api_evaluate_input_cleanup(&in);
}
