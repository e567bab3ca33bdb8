/*
 * Building and sending responses. This is the one place that maps API errors and
 * enum cv_err outcomes to an HTTP status and a JSON error code. Handlers name an
 * enum api_error for a failure, never a status of their own. Also small helpers that
 * write JSON text into a cv_buf.
 */
#ifndef API_RESPOND_H
#define API_RESPOND_H

#include <stdbool.h>

#include "common/buf.h"
#include "common/err.h"
#include "fcgi/request.h"

/* Seconds sent in the Retry-After header of a 503. */
#define API_RETRY_AFTER_S 5

/* Every error the API returns; the table in respond.c gives its status and code. */
enum api_error {
    API_ERR_BAD_REQUEST = 0,          /* 400 bad_request: malformed HTTP-level input */
    API_ERR_NOT_FOUND,                /* 404 not_found: no route for the path */
    API_ERR_METHOD_NOT_ALLOWED,       /* 405 method_not_allowed */
    API_ERR_URI_TOO_LONG,             /* 414 uri_too_long */
    API_ERR_PAYLOAD_TOO_LARGE,        /* 413 payload_too_large */
    API_ERR_UNSUPPORTED_MEDIA_TYPE,   /* 415 unsupported_media_type */
    API_ERR_MALFORMED_MULTIPART,      /* 400 malformed_multipart */
    API_ERR_MISSING_FIELD,            /* 400 missing_field */
    API_ERR_DUPLICATE_FIELD,          /* 400 duplicate_field */
    API_ERR_UNREADABLE_DOCUMENT,      /* 422 unreadable_document */
    API_ERR_DOCUMENT_LIMITS_EXCEEDED, /* 422 document_limits_exceeded */
    API_ERR_EXTRACTION_TIMEOUT,       /* 422 extraction_timeout */
    API_ERR_INVALID_JSON,             /* 400 invalid_json */
    API_ERR_INVALID_FIELD,            /* 400 invalid_field */
    API_ERR_UNKNOWN_FIELD,            /* 400 unknown_field */
    API_ERR_CONFLICTING_FIELDS,       /* 400 conflicting_fields */
    API_ERR_INVALID_ID,               /* 400 invalid_id */
    API_ERR_INVALID_IDEMPOTENCY_KEY,  /* 400 invalid_idempotency_key */
    API_ERR_WRONG_UPLOAD_KIND,        /* 400 wrong_upload_kind */
    API_ERR_CV_NOT_FOUND,             /* 404 cv_not_found */
    API_ERR_PROJECT_NOT_FOUND,        /* 404 project_not_found */
    API_ERR_JOB_NOT_FOUND,            /* 404 job_not_found */
    API_ERR_IDEMPOTENCY_CONFLICT,     /* 409 idempotency_conflict */
    API_ERR_NOT_READY,                /* 503 not_ready */
    API_ERR_SERVICE_UNAVAILABLE,      /* 503 service_unavailable */
    API_ERR_INTERNAL,                 /* 500 internal_error */
    API_ERR_COUNT
};

/* Returns the HTTP status of err. */
int api_error_status(enum api_error err);

/* Returns the JSON code of err ("payload_too_large"); static, never NULL. */
const char *api_error_code(enum api_error err);

/* Maps a failure of cv_extract() to the error the upload returns. */
enum api_error api_error_of_extract(enum cv_err rc);

/* Maps a failure of a database statement to the error a handler returns. */
enum api_error api_error_of_store(enum cv_err rc);

/* Returns the reason phrase of an HTTP status ("Not Found"), "" when unknown. */
const char *api_status_reason(int status);

/*
 * Appends {"error":{"code":...,"message":...[,"field":...]}} for err. field may be NULL.
 * Returns a failure of cv_buf_append().
 */
enum cv_err api_error_format(struct cv_buf *out, enum api_error err, const char *field,
                             const char *message);

/*
 * Makes the response an error: status, JSON body, and Retry-After for a 503. field
 * (may be NULL) names the offending request field. The formatted message goes to the
 * client and to the log line, so it must not contain secrets or document text. Replaces
 * any body written so far.
 */
void api_respond_error(struct api_request *req, enum api_error err, const char *field,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Like api_respond_error() for a failed database statement or broker call: the client
 * gets a generic message while detail, which may name hosts, goes only to the log.
 * Counts the failure in cv_database_errors_total when is_db is true.
 */
void api_respond_failure(struct api_request *req, enum cv_err rc, bool is_db,
                         const char *what, const char *detail);

/* Sets a success status with a JSON body already written to req->res.body. */
void api_respond_json(struct api_request *req, int status);

/* Appends the header line "name: value". Returns a failure of cv_buf_printf(). */
enum cv_err api_respond_header(struct api_request *req, const char *name, const char *fmt,
                               ...) __attribute__((format(printf, 3, 4)));

/*
 * Writes the status line, headers and (unless HEAD or 304) body to the web server, and
 * adds the bytes written to req->bytes_out. A response with no status set becomes 500.
 * Returns CV_EUNAVAIL when the connection failed.
 */
enum cv_err api_response_send(struct api_request *req);

/* Appends str as a JSON string literal with quotes and escapes. */
enum cv_err api_json_string(struct cv_buf *out, const char *str);

/* Appends "name":"value" after a comma unless is_first; value NULL writes null. */
enum cv_err api_json_member_string(struct cv_buf *out, bool is_first, const char *name,
                                   const char *value);

#endif
