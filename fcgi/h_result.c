/* GET and HEAD /v1/result/{id}: a job's status, result or error, with a strong ETag. */
#include <ctype.h>
#include <string.h>

#include "fcgi/etag.h"
#include "fcgi/handlers.h"
#include "fcgi/respond.h"
#include "fcgi/store_job.h"

/* Writes the body for view. result_json is stored JSON and goes in unchanged. */
static enum cv_err
write_body(struct cv_buf *body, const struct api_job_view *view)
{
    enum cv_err rc;

    rc = cv_buf_append(body, "{", 1);
    if (rc == CV_OK) {
        rc = api_json_member_string(body, true, "id", view->id);
    }
    if (rc == CV_OK) {
        rc = api_json_member_string(body, false, "status", view->status);
    }
    if (rc == CV_OK) {
        rc = api_json_member_string(body, false, "cv_id", view->cv_id);
    }
    if (rc == CV_OK) {
        rc = api_json_member_string(body, false, "project_id", view->project_id);
    }
    if (rc == CV_OK) {
        rc = api_json_member_string(body, false, "created_at", view->created_at);
    }
    if (rc == CV_OK) {
        rc = api_json_member_string(body, false, "updated_at", view->updated_at);
    }
    if (rc == CV_OK && strcmp(view->status, "completed") == 0) {
        /* Appended, not printed with %s, because vsnprintf() formats a long string
         * twice, once only to measure it. For a 3.4 KB result that cost 6 us per
         * request (docs/benchmarks.md). */
        rc = cv_buf_append_str(body, ",\"result\":");
        if (rc == CV_OK) {
            rc = cv_buf_append_str(body, view->result_json);
        }
    }
    if (rc == CV_OK && strcmp(view->status, "failed") == 0) {
        rc = cv_buf_append_str(body, ",\"error\":{");
        if (rc == CV_OK) {
            rc = api_json_member_string(body, true, "code", view->error_code);
        }
        if (rc == CV_OK) {
            rc = api_json_member_string(body, false, "message",
                                        view->error_message != NULL ? view->error_message
                                                                    : "the evaluation failed");
        }
        if (rc == CV_OK) {
            rc = cv_buf_append(body, "}", 1);
        }
    }
    if (rc == CV_OK) {
        rc = cv_buf_append(body, "}", 1);
    }
    return rc;
}

void
api_handle_result(struct api_request *req)
{
    struct api_job_view view;
    char                id[CV_UUID_LEN];
    char                etag[API_ETAG_SIZE];
    enum cv_err         rc;
    size_t              i;

    if (req->route_param == NULL || !cv_id_is_uuid(req->route_param)) {
        api_respond_error(req, API_ERR_INVALID_ID, "id",
                          "the job id in the path must be a UUID such as "
                          "123e4567-e89b-12d3-a456-426614174000");
        return;
    }
    for (i = 0; i < sizeof(id); i++) {
        id[i] = (char)tolower((unsigned char)req->route_param[i]);
    }

    rc = api_store_job_get(req->srv->db, id, req->arena, &view);
    if (rc == CV_ENOTFOUND) {
        api_respond_error(req, API_ERR_JOB_NOT_FOUND, "id", "no job has the id %s", id);
        return;
    }
    if (rc != CV_OK) {
        api_respond_failure(req, rc, rc != CV_ENOMEM, "could not read the job",
                            rc == CV_ENOMEM ? "request arena is full"
                                            : cv_db_errmsg(req->srv->db));
        return;
    }
    if (strcmp(view.status, "completed") == 0 && view.result_json == NULL) {
        api_respond_error(req, API_ERR_INTERNAL, NULL, "the job is completed but its result "
                          "is missing");
        return;
    }

    if (write_body(&req->res.body, &view) != CV_OK ||
        api_etag_compute(req->res.body.data, req->res.body.len, etag) != CV_OK ||
        api_respond_header(req, "ETag", "%s", etag) != CV_OK) {
        cv_buf_reset(&req->res.headers);
        api_respond_error(req, API_ERR_SERVICE_UNAVAILABLE, NULL,
                          "could not build the response: out of memory");
        return;
    }
    req->res.cache_control = "no-cache";
    (void)snprintf(req->job_id, sizeof(req->job_id), "%s", view.id);
    req->lc.job_id = req->job_id;

    /* RFC 9110 section 13.1.2: for GET and HEAD, a match gets 304 without a body. */
    if (api_etag_none_match(api_request_param(req, "HTTP_IF_NONE_MATCH"), etag)) {
        cv_buf_reset(&req->res.body);
        req->res.status = 304;
        req->res.content_type = NULL;
        return;
    }
    api_respond_json(req, 200);
}
