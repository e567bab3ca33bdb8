/*
 * Counters of the cv-api responders, kept in a file-backed shared mapping so that
 * GET /metrics on any responder reports the sum over every responder of the host.
 * Each process owns one slot of the file and only it writes there; readers add the
 * slots up. A slot outlives its process, so totals never go backwards across restarts.
 */
#ifndef CV_METRICS_H
#define CV_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

/* Layout version of the file; bump it whenever the counter layout below changes. */
#define CV_METRICS_VERSION 1

/* Slots in one file, so at most this many responders of one host share their totals. */
#define CV_METRICS_SLOTS 64

/* Label values of http_requests_total{method}. */
enum cv_metrics_method {
    CV_METRICS_GET = 0,
    CV_METRICS_HEAD,
    CV_METRICS_POST,
    CV_METRICS_METHOD_OTHER,
    CV_METRICS_METHOD_COUNT
};

/* Label values of route: one per route of the API, plus requests that matched none. */
enum cv_metrics_route {
    CV_METRICS_ROUTE_UPLOAD = 0,
    CV_METRICS_ROUTE_EVALUATE,
    CV_METRICS_ROUTE_RESULT,
    CV_METRICS_ROUTE_HEALTHZ,
    CV_METRICS_ROUTE_READYZ,
    CV_METRICS_ROUTE_METRICS,
    CV_METRICS_ROUTE_UNMATCHED,
    CV_METRICS_ROUTE_COUNT
};

/* Statuses counted one by one; any other status is counted as "other". */
#define CV_METRICS_STATUS_COUNT 16

/* Upper bounds of the duration histogram, in seconds, without +Inf. */
#define CV_METRICS_BUCKET_COUNT 12

/* Label values of cv_uploads_total{kind}. */
enum cv_metrics_upload_kind {
    CV_METRICS_KIND_CV = 0,
    CV_METRICS_KIND_PROJECT,
    CV_METRICS_KIND_COUNT
};

/* Label values of cv_uploads_total{type}: the detected media type. */
enum cv_metrics_media {
    CV_METRICS_MEDIA_PDF = 0,
    CV_METRICS_MEDIA_DOCX,
    CV_METRICS_MEDIA_TEXT,
    CV_METRICS_MEDIA_MARKDOWN,
    CV_METRICS_MEDIA_COUNT
};

/* Label values of cv_extraction_failures_total{code}: the API error code returned. */
enum cv_metrics_extract_failure {
    CV_METRICS_EXTRACT_MEDIA = 0,      /* unsupported_media_type */
    CV_METRICS_EXTRACT_UNREADABLE,     /* unreadable_document */
    CV_METRICS_EXTRACT_LIMITS,         /* document_limits_exceeded */
    CV_METRICS_EXTRACT_TIMEOUT,        /* extraction_timeout */
    CV_METRICS_EXTRACT_OTHER,          /* out of memory or a bug */
    CV_METRICS_EXTRACT_COUNT
};

/* Label values of cv_database_errors_total{kind}. */
enum cv_metrics_db_error {
    CV_METRICS_DB_UNAVAILABLE = 0,     /* connection failed or lost */
    CV_METRICS_DB_TIMEOUT,             /* statement timeout */
    CV_METRICS_DB_OTHER,
    CV_METRICS_DB_COUNT
};

/* Positions of each counter family in a slot's flat counter array. */
enum {
    CV_METRICS_AT_REQUESTS = 0,
    CV_METRICS_AT_BUCKETS = CV_METRICS_AT_REQUESTS +
                            CV_METRICS_METHOD_COUNT * CV_METRICS_ROUTE_COUNT *
                                CV_METRICS_STATUS_COUNT,
    /* per route: one count per bucket and one for +Inf, not cumulative */
    CV_METRICS_AT_DURATION_SUM_US = CV_METRICS_AT_BUCKETS +
                                    CV_METRICS_ROUTE_COUNT * (CV_METRICS_BUCKET_COUNT + 1),
    CV_METRICS_AT_UPLOADS = CV_METRICS_AT_DURATION_SUM_US + CV_METRICS_ROUTE_COUNT,
    CV_METRICS_AT_EXTRACT_FAILURES = CV_METRICS_AT_UPLOADS +
                                     CV_METRICS_KIND_COUNT * CV_METRICS_MEDIA_COUNT,
    CV_METRICS_AT_JOBS_ENQUEUED = CV_METRICS_AT_EXTRACT_FAILURES + CV_METRICS_EXTRACT_COUNT,
    CV_METRICS_AT_ENQUEUE_FAILURES,
    CV_METRICS_AT_DB_ERRORS,
    CV_METRICS_COUNTER_COUNT = CV_METRICS_AT_DB_ERRORS + CV_METRICS_DB_COUNT
};

/* Counters summed over all slots, plus the number of slots whose process is alive. */
struct cv_metrics_totals {
    uint64_t values[CV_METRICS_COUNTER_COUNT];
    unsigned live_responders;
};

struct cv_metrics;

/*
 * Maps the metrics file at path, creating or resizing it when no live process uses it,
 * and claims a slot: the first one no live process holds, so a restarted responder
 * adopts the counters of a dead one. The claim is an open-file-description lock that
 * the kernel releases when the process dies. Stores a handle the caller frees with
 * cv_metrics_close() in *out. Returns CV_EINVAL when the file has another layout and
 * is in use, CV_EUNAVAIL when every slot is held, CV_ENOMEM, or CV_EINTERNAL for a
 * system call failure; errbuf then holds the reason. Blocks only on the short lock
 * that serialises creating the file.
 */
enum cv_err cv_metrics_open(const char *path, struct cv_metrics **out, char *errbuf,
                            size_t errbuf_len);

/*
 * Returns a handle whose counters live in this process only, for when the shared file
 * cannot be used: /metrics then reports this process alone. NULL on ENOMEM.
 */
struct cv_metrics *cv_metrics_open_private(void);

/* Releases the slot (its counters stay in the file) and frees the handle. NULL is a no-op. */
void cv_metrics_close(struct cv_metrics *metrics);

/* Returns the slot index held, or -1 for a private handle. */
int cv_metrics_slot(const struct cv_metrics *metrics);

/* Maps a method name to its label; anything but GET, HEAD and POST is "other". */
enum cv_metrics_method cv_metrics_method_of(const char *method);

/*
 * Counts one answered request and its duration. The recording functions below are
 * single-writer (only the owning process writes its slot) and never block.
 */
void cv_metrics_count_request(struct cv_metrics *metrics, enum cv_metrics_method method,
                              enum cv_metrics_route route, int status,
                              uint64_t duration_us);
void cv_metrics_count_upload(struct cv_metrics *metrics, enum cv_metrics_upload_kind kind,
                             enum cv_metrics_media media);
void cv_metrics_count_extract_failure(struct cv_metrics *metrics,
                                      enum cv_metrics_extract_failure failure);
void cv_metrics_count_enqueue(struct cv_metrics *metrics, int is_success);
void cv_metrics_count_db_error(struct cv_metrics *metrics, enum cv_metrics_db_error kind);

/* Adds up every slot of the file (or the private counters) into totals. */
void cv_metrics_sum(const struct cv_metrics *metrics, struct cv_metrics_totals *totals);

/*
 * Appends totals in the Prometheus text exposition format 0.0.4. http_requests_total
 * lists only series that were counted; every other family lists all its series.
 * Returns CV_OK or the failure of cv_buf_append().
 */
enum cv_err cv_metrics_format(const struct cv_metrics_totals *totals, struct cv_buf *out);

#endif
