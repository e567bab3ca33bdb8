/* The error table, JSON text helpers, and writing a response to the web server. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fcgi/respond.h"

struct error_row {
    int         status;
    const char *code;
    enum cv_err log_rc;   /* class of the failure in the log line */
};

/* Indexed by enum api_error. */
static const struct error_row error_rows[API_ERR_COUNT] = {
    [API_ERR_BAD_REQUEST] = {400, "bad_request", CV_EINVAL},
    [API_ERR_NOT_FOUND] = {404, "not_found", CV_ENOTFOUND},
    [API_ERR_METHOD_NOT_ALLOWED] = {405, "method_not_allowed", CV_EINVAL},
    [API_ERR_URI_TOO_LONG] = {414, "uri_too_long", CV_ETOOLARGE},
    [API_ERR_PAYLOAD_TOO_LARGE] = {413, "payload_too_large", CV_ETOOLARGE},
    [API_ERR_UNSUPPORTED_MEDIA_TYPE] = {415, "unsupported_media_type", CV_EMEDIA},
    [API_ERR_MALFORMED_MULTIPART] = {400, "malformed_multipart", CV_EINVAL},
    [API_ERR_MISSING_FIELD] = {400, "missing_field", CV_EINVAL},
    [API_ERR_DUPLICATE_FIELD] = {400, "duplicate_field", CV_EINVAL},
    [API_ERR_UNREADABLE_DOCUMENT] = {422, "unreadable_document", CV_EUNREADABLE},
    [API_ERR_DOCUMENT_LIMITS_EXCEEDED] = {422, "document_limits_exceeded", CV_ETOOLARGE},
    [API_ERR_EXTRACTION_TIMEOUT] = {422, "extraction_timeout", CV_ETIMEOUT},
    [API_ERR_INVALID_JSON] = {400, "invalid_json", CV_EINVAL},
    [API_ERR_INVALID_FIELD] = {400, "invalid_field", CV_EINVAL},
    [API_ERR_UNKNOWN_FIELD] = {400, "unknown_field", CV_EINVAL},
    [API_ERR_CONFLICTING_FIELDS] = {400, "conflicting_fields", CV_EINVAL},
    [API_ERR_INVALID_ID] = {400, "invalid_id", CV_EINVAL},
    [API_ERR_INVALID_IDEMPOTENCY_KEY] = {400, "invalid_idempotency_key", CV_EINVAL},
    [API_ERR_WRONG_UPLOAD_KIND] = {400, "wrong_upload_kind", CV_EINVAL},
    [API_ERR_CV_NOT_FOUND] = {404, "cv_not_found", CV_ENOTFOUND},
    [API_ERR_PROJECT_NOT_FOUND] = {404, "project_not_found", CV_ENOTFOUND},
    [API_ERR_JOB_NOT_FOUND] = {404, "job_not_found", CV_ENOTFOUND},
    [API_ERR_IDEMPOTENCY_CONFLICT] = {409, "idempotency_conflict", CV_ECONFLICT},
    [API_ERR_NOT_READY] = {503, "not_ready", CV_EUNAVAIL},
    [API_ERR_SERVICE_UNAVAILABLE] = {503, "service_unavailable", CV_EUNAVAIL},
    [API_ERR_INTERNAL] = {500, "internal_error", CV_EINTERNAL},
};

/* Body sent when even the error body cannot be built. */
static const char fallback_body[] =
    "{\"error\":{\"code\":\"internal_error\",\"message\":\"could not build the response\"}}";

int
api_error_status(enum api_error err)
{
    return error_rows[err].status;
}

const char *
api_error_code(enum api_error err)
{
    return error_rows[err].code;
}

enum api_error
api_error_of_extract(enum cv_err rc)
{
    switch (rc) {
    case CV_EMEDIA:
        return API_ERR_UNSUPPORTED_MEDIA_TYPE;
    case CV_EUNREADABLE:
        return API_ERR_UNREADABLE_DOCUMENT;
    case CV_ETOOLARGE:
        return API_ERR_DOCUMENT_LIMITS_EXCEEDED;
    case CV_ETIMEOUT:
        return API_ERR_EXTRACTION_TIMEOUT;
    case CV_ENOMEM:
    case CV_EUNAVAIL:
        return API_ERR_SERVICE_UNAVAILABLE;
    default:
        return API_ERR_INTERNAL;
    }
}

enum api_error
api_error_of_store(enum cv_err rc)
{
    switch (rc) {
    case CV_EUNAVAIL:
    case CV_ETIMEOUT:
    case CV_ENOMEM:
        return API_ERR_SERVICE_UNAVAILABLE;
    default:
        return API_ERR_INTERNAL;
    }
}

const char *
api_status_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "";
    }
}

enum cv_err
api_json_string(struct cv_buf *out, const char *str)
{
    static const char    hex[] = "0123456789abcdef";
    const unsigned char *p;
    const unsigned char *run;
    char                 esc[7];
    enum cv_err          rc;

    rc = cv_buf_append(out, "\"", 1);
    run = (const unsigned char *)str;
    for (p = run; rc == CV_OK && *p != '\0'; p++) {
        if (*p >= 0x20 && *p != '"' && *p != '\\') {
            continue;
        }
        /* Flush the plain bytes before this one, then its escape (RFC 8259 section 7). */
        rc = cv_buf_append(out, run, (size_t)(p - run));
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            esc[2] = '\0';
        } else if (*p == '\n') {
            memcpy(esc, "\\n", 3);
        } else if (*p == '\r') {
            memcpy(esc, "\\r", 3);
        } else if (*p == '\t') {
            memcpy(esc, "\\t", 3);
        } else {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 0xf];
            esc[6] = '\0';
        }
        if (rc == CV_OK) {
            rc = cv_buf_append_str(out, esc);
        }
        run = p + 1;
    }
    if (rc == CV_OK) {
        rc = cv_buf_append(out, run, (size_t)(p - run));
    }
    if (rc == CV_OK) {
        rc = cv_buf_append(out, "\"", 1);
    }
    return rc;
}

enum cv_err
api_json_member_string(struct cv_buf *out, bool is_first, const char *name, const char *value)
{
    enum cv_err rc;

    rc = cv_buf_append_str(out, is_first ? "" : ",");
    if (rc == CV_OK) {
        rc = api_json_string(out, name);
    }
    if (rc == CV_OK) {
        rc = cv_buf_append(out, ":", 1);
    }
    if (rc == CV_OK) {
        rc = value != NULL ? api_json_string(out, value) : cv_buf_append_str(out, "null");
    }
    return rc;
}

enum cv_err
api_error_format(struct cv_buf *out, enum api_error err, const char *field,
                 const char *message)
{
    enum cv_err rc;

    rc = cv_buf_append_str(out, "{\"error\":{");
    if (rc == CV_OK) {
        rc = api_json_member_string(out, true, "code", error_rows[err].code);
    }
    if (rc == CV_OK) {
        rc = api_json_member_string(out, false, "message", message);
    }
    if (rc == CV_OK && field != NULL) {
        rc = api_json_member_string(out, false, "field", field);
    }
    if (rc == CV_OK) {
        rc = cv_buf_append_str(out, "}}");
    }
    return rc;
}

static void
set_error(struct api_request *req, enum api_error err, const char *field,
          const char *message)
{
    struct api_response *res = &req->res;

    res->status = error_rows[err].status;
    res->content_type = "application/json; charset=utf-8";
    res->error_code = error_rows[err].code;
    res->log_rc = error_rows[err].log_rc;
    (void)snprintf(res->log_msg, sizeof(res->log_msg), "%s", message); /* cut is fine */

    cv_buf_reset(&res->body);
    if (api_error_format(&res->body, err, field, message) != CV_OK) {
        cv_buf_reset(&res->body);
        (void)cv_buf_append_str(&res->body, fallback_body); /* fits any body maximum */
    }
    if (res->status == 503 &&
        api_respond_header(req, "Retry-After", "%d", API_RETRY_AFTER_S) != CV_OK) {
        res->log_rc = CV_ENOMEM; /* the client still gets the 503, without the hint */
    }
}

void
api_respond_error(struct api_request *req, enum api_error err, const char *field,
                  const char *fmt, ...)
{
    char    message[512];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(message, sizeof(message), fmt, ap); /* a cut message is still useful */
    va_end(ap);
    set_error(req, err, field, message);
}

void
api_respond_failure(struct api_request *req, enum cv_err rc, bool is_db, const char *what,
                    const char *detail)
{
    enum api_error            err = api_error_of_store(rc);
    enum cv_metrics_db_error  kind;

    if (err == API_ERR_SERVICE_UNAVAILABLE) {
        api_respond_error(req, err, NULL, "%s: %s is unavailable, retry later", what,
                          is_db ? "the database" : "a dependency");
    } else {
        api_respond_error(req, err, NULL, "%s: internal error", what);
    }
    /* The log line gets the real reason and the exact failure class. */
    req->res.log_rc = rc;
    (void)snprintf(req->res.log_msg, sizeof(req->res.log_msg), "%s: %s", what,
                   detail != NULL ? detail : "");
    if (is_db && req->srv != NULL && req->srv->metrics != NULL) {
        kind = rc == CV_EUNAVAIL ? CV_METRICS_DB_UNAVAILABLE
             : rc == CV_ETIMEOUT ? CV_METRICS_DB_TIMEOUT
                                 : CV_METRICS_DB_OTHER;
        cv_metrics_count_db_error(req->srv->metrics, kind);
    }
}

void
api_respond_json(struct api_request *req, int status)
{
    req->res.status = status;
    req->res.content_type = "application/json; charset=utf-8";
}

enum cv_err
api_respond_header(struct api_request *req, const char *name, const char *fmt, ...)
{
    va_list     ap;
    enum cv_err rc;

    rc = cv_buf_printf(&req->res.headers, "%s: ", name);
    if (rc != CV_OK) {
        return rc;
    }
    va_start(ap, fmt);
    rc = cv_buf_vprintf(&req->res.headers, fmt, ap);
    va_end(ap);
    if (rc == CV_OK) {
        rc = cv_buf_append(&req->res.headers, "\r\n", 2);
    }
    return rc;
}

static enum cv_err
put(struct api_request *req, const char *data, size_t len)
{
    if (len == 0 || req->fcgx == NULL) {
        return CV_OK;
    }
    if (FCGX_PutStr(data, (int)len, req->fcgx->out) != (int)len) {
        return CV_EUNAVAIL;
    }
    req->bytes_out += len;
    return CV_OK;
}

enum cv_err
api_response_send(struct api_request *req)
{
    struct api_response *res = &req->res;
    char                 head[1024];
    int                  head_len;
    bool                 has_body;
    enum cv_err          rc;

    if (res->status == 0) {
        api_respond_error(req, API_ERR_INTERNAL, NULL, "the request produced no response");
    }
    has_body = res->content_type != NULL && res->status != 304;

    /* Content-Length stays on a HEAD response: it is the length a GET would get. */
    head_len = snprintf(head, sizeof(head),
                        "Status: %d %s\r\nX-Request-Id: %s\r\nCache-Control: %s\r\n"
                        "X-Content-Type-Options: nosniff\r\n",
                        res->status, api_status_reason(res->status), req->req_id,
                        res->cache_control);
    if (has_body) {
        head_len += snprintf(head + head_len, sizeof(head) - (size_t)head_len,
                             "Content-Type: %s\r\nContent-Length: %zu\r\n", res->content_type,
                             res->body.len);
    }
    rc = put(req, head, (size_t)head_len);
    if (rc == CV_OK) {
        rc = put(req, res->headers.data, res->headers.len);
    }
    if (rc == CV_OK) {
        rc = put(req, "\r\n", 2);
    }
    if (rc == CV_OK && has_body && !req->is_head) {
        rc = put(req, res->body.data, res->body.len);
    }
    return rc;
}
