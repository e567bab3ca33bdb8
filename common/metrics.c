/*
 * Shared counters of the cv-api responders: the file layout, slot claiming with
 * open-file-description locks, and the Prometheus text form. Summing reads slots that
 * other processes write, so every counter access is a relaxed atomic.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/metrics.h"

/* A counter written by one process and read by others must be lock-free to be shared. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");

#define METRICS_MAGIC "CVMETRIC"

/* First bytes of the file. A reader trusts the slots only when all of these match. */
struct metrics_header {
    char     magic[8];
    uint32_t version;
    uint32_t slot_count;
    uint64_t slot_len;        /* bytes */
    uint64_t counter_count;
    uint64_t file_len;        /* bytes */
    uint8_t  reserved[24];
};

/* Aligned to 64 bytes so no two processes write to one cache line. */
struct metrics_slot {
    _Alignas(64) _Atomic int64_t pid;   /* last process that claimed the slot, 0 = never */
    _Atomic uint64_t claims;      /* how many processes have held the slot */
    uint8_t          reserved[48];
    _Atomic uint64_t counters[CV_METRICS_COUNTER_COUNT];
};

_Static_assert(sizeof(struct metrics_header) == 64, "header layout changed");
_Static_assert(sizeof(struct metrics_slot) % 64 == 0, "slots must stay cache-line sized");

#define METRICS_HEADER_LEN ((off_t)sizeof(struct metrics_header))
#define METRICS_FILE_LEN \
    (sizeof(struct metrics_header) + CV_METRICS_SLOTS * sizeof(struct metrics_slot))

struct cv_metrics {
    bool                 is_private;  /* counters in this process only, no file */
    int                  fd;          /* -1 when private or not yet open */
    void                *map;         /* owned: the mapping, or calloc'd slots when private */
    size_t               map_len;     /* bytes */
    struct metrics_slot *slots;       /* points into map */
    unsigned             slot_count;
    int                  own;         /* index of the slot this process writes */
};

static const int counted_statuses[CV_METRICS_STATUS_COUNT - 1] = {
    200, 202, 204, 304, 400, 404, 405, 409, 411, 413, 414, 415, 422, 500, 503,
};

static const uint64_t bucket_bounds_us[CV_METRICS_BUCKET_COUNT] = {
    5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 5000000, 10000000, 30000000,
};

static const char *const bucket_labels[CV_METRICS_BUCKET_COUNT] = {
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30",
};

static const char *const method_labels[CV_METRICS_METHOD_COUNT] = {
    "GET", "HEAD", "POST", "other",
};

static const char *const route_labels[CV_METRICS_ROUTE_COUNT] = {
    "/v1/upload", "/v1/evaluate", "/v1/result/{id}", "/healthz", "/readyz", "/metrics",
    "unmatched",
};

static const char *const kind_labels[CV_METRICS_KIND_COUNT] = {"cv", "project"};

static const char *const media_labels[CV_METRICS_MEDIA_COUNT] = {
    "pdf", "docx", "text", "markdown",
};

static const char *const extract_labels[CV_METRICS_EXTRACT_COUNT] = {
    "unsupported_media_type", "unreadable_document", "document_limits_exceeded",
    "extraction_timeout", "other",
};

static const char *const db_error_labels[CV_METRICS_DB_COUNT] = {
    "unavailable", "timeout", "other",
};

static void
fill_header(struct metrics_header *hdr)
{
    memset(hdr, 0, sizeof(*hdr));
    memcpy(hdr->magic, METRICS_MAGIC, sizeof(hdr->magic));
    hdr->version = CV_METRICS_VERSION;
    hdr->slot_count = CV_METRICS_SLOTS;
    hdr->slot_len = sizeof(struct metrics_slot);
    hdr->counter_count = CV_METRICS_COUNTER_COUNT;
    hdr->file_len = METRICS_FILE_LEN;
}

/* Runs an open-file-description lock command for a write lock on len bytes at start. */
static int
ofd_lock(int fd, int cmd, off_t start, off_t len, struct flock *fl)
{
    memset(fl, 0, sizeof(*fl));
    fl->l_type = F_WRLCK;
    fl->l_whence = SEEK_SET;
    fl->l_start = start;
    fl->l_len = len;
    return fcntl(fd, cmd, fl);
}

/* Returns 1 when a process other than this open file description locks any byte. */
static int
is_in_use(int fd, off_t start, off_t len)
{
    struct flock fl;

    if (ofd_lock(fd, F_OFD_GETLK, start, len, &fl) != 0) {
        return 1; /* cannot tell: assume in use rather than reset a live file */
    }
    return fl.l_type != F_UNLCK;
}

static int
try_lock(int fd, off_t start, off_t len)
{
    struct flock fl;

    return ofd_lock(fd, F_OFD_SETLK, start, len, &fl);
}

static off_t
slot_offset(unsigned index)
{
    return METRICS_HEADER_LEN + (off_t)index * (off_t)sizeof(struct metrics_slot);
}

/*
 * Makes the file use the current layout. An empty file is initialised. A file with
 * another layout is reset, but only when no process has a lock on it.
 */
static enum cv_err
prepare_file(int fd, const char *path, char *errbuf, size_t errbuf_len)
{
    struct metrics_header want;
    struct metrics_header have;
    struct stat           st;
    ssize_t               got;

    fill_header(&want);
    if (fstat(fd, &st) != 0) {
        (void)snprintf(errbuf, errbuf_len, "could not stat metrics file \"%s\": %s", path,
                       strerror(errno));
        return CV_EINTERNAL;
    }
    if (st.st_size == (off_t)METRICS_FILE_LEN) {
        got = pread(fd, &have, sizeof(have), 0);
        if (got == (ssize_t)sizeof(have) && memcmp(&have, &want, sizeof(want)) == 0) {
            return CV_OK;
        }
    }
    if (st.st_size != 0 && is_in_use(fd, 0, 0)) {
        (void)snprintf(errbuf, errbuf_len,
                       "metrics file \"%s\" has another layout and a running process uses "
                       "it; stop that process or set another METRICS_PATH",
                       path);
        return CV_EINVAL;
    }

    if (ftruncate(fd, 0) != 0 || ftruncate(fd, (off_t)METRICS_FILE_LEN) != 0 ||
        pwrite(fd, &want, sizeof(want), 0) != (ssize_t)sizeof(want)) {
        (void)snprintf(errbuf, errbuf_len, "could not initialise metrics file \"%s\": %s",
                       path, strerror(errno));
        return CV_EINTERNAL;
    }
    return CV_OK;
}

static enum cv_err
claim_slot(struct cv_metrics *metrics, const char *path, char *errbuf, size_t errbuf_len)
{
    unsigned i;

    for (i = 0; i < metrics->slot_count; i++) {
        if (try_lock(metrics->fd, slot_offset(i), (off_t)sizeof(struct metrics_slot)) == 0) {
            metrics->own = (int)i;
            atomic_store_explicit(&metrics->slots[i].pid, (int64_t)getpid(),
                                  memory_order_relaxed);
            atomic_fetch_add_explicit(&metrics->slots[i].claims, 1, memory_order_relaxed);
            return CV_OK;
        }
        if (errno != EAGAIN && errno != EACCES) {
            (void)snprintf(errbuf, errbuf_len, "could not lock a slot of \"%s\": %s", path,
                           strerror(errno));
            return CV_EINTERNAL;
        }
    }
    (void)snprintf(errbuf, errbuf_len,
                   "all %u slots of metrics file \"%s\" are held by running processes",
                   metrics->slot_count, path);
    return CV_EUNAVAIL;
}

enum cv_err
cv_metrics_open(const char *path, struct cv_metrics **out, char *errbuf, size_t errbuf_len)
{
    struct cv_metrics *metrics;
    struct stat        st;
    int                is_locked = 0;
    enum cv_err        rc;

    *out = NULL;
    metrics = calloc(1, sizeof(*metrics));
    if (metrics == NULL) {
        (void)snprintf(errbuf, errbuf_len, "out of memory");
        return CV_ENOMEM;
    }
    metrics->map = MAP_FAILED;
    metrics->own = -1;
    metrics->slot_count = CV_METRICS_SLOTS;

    /* O_NOFOLLOW and the owner check keep a planted link or file in /tmp from being used. */
    metrics->fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (metrics->fd < 0) {
        (void)snprintf(errbuf, errbuf_len, "could not open metrics file \"%s\": %s", path,
                       strerror(errno));
        rc = CV_EINTERNAL;
        goto out;
    }
    if (fstat(metrics->fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        (void)snprintf(errbuf, errbuf_len,
                       "cannot use metrics file \"%s\": not a regular file owned by this user",
                       path);
        rc = CV_EINVAL;
        goto out;
    }

    /* Serialises creating, resetting and claiming among processes starting together. */
    if (flock(metrics->fd, LOCK_EX) != 0) {
        (void)snprintf(errbuf, errbuf_len, "could not lock metrics file \"%s\": %s", path,
                       strerror(errno));
        rc = CV_EINTERNAL;
        goto out;
    }
    is_locked = 1;

    rc = prepare_file(metrics->fd, path, errbuf, errbuf_len);
    if (rc != CV_OK) {
        goto out;
    }
    metrics->map_len = METRICS_FILE_LEN;
    metrics->map = mmap(NULL, metrics->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
                        metrics->fd, 0);
    if (metrics->map == MAP_FAILED) {
        (void)snprintf(errbuf, errbuf_len, "could not map metrics file \"%s\": %s", path,
                       strerror(errno));
        rc = CV_EINTERNAL;
        goto out;
    }
    metrics->slots = (struct metrics_slot *)((char *)metrics->map + METRICS_HEADER_LEN);
    rc = claim_slot(metrics, path, errbuf, errbuf_len);

out:
    if (is_locked) {
        (void)flock(metrics->fd, LOCK_UN); /* closing the descriptor would release it too */
    }
    if (rc != CV_OK) {
        cv_metrics_close(metrics);
        return rc;
    }
    /* ownership of metrics moves to the caller */
    *out = metrics;
    return CV_OK;
}

struct cv_metrics *
cv_metrics_open_private(void)
{
    struct cv_metrics *metrics;

    metrics = calloc(1, sizeof(*metrics));
    if (metrics == NULL) {
        return NULL;
    }
    metrics->is_private = true;
    metrics->fd = -1;
    metrics->map = calloc(1, sizeof(struct metrics_slot));
    if (metrics->map == NULL) {
        free(metrics);
        return NULL;
    }
    metrics->map_len = sizeof(struct metrics_slot);
    metrics->slots = metrics->map;
    metrics->slot_count = 1;
    metrics->own = 0;
    return metrics;
}

void
cv_metrics_close(struct cv_metrics *metrics)
{
    if (metrics == NULL) {
        return;
    }
    if (metrics->is_private) {
        free(metrics->map);
        free(metrics);
        return;
    }
    /* Unmap before closing: closing the descriptor drops the slot lock, and from then on
     * another process may reset the file. */
    if (metrics->map != MAP_FAILED) {
        (void)munmap(metrics->map, metrics->map_len); /* fails only for an invalid range */
    }
    if (metrics->fd >= 0) {
        (void)close(metrics->fd); /* nothing was written through the descriptor */
    }
    free(metrics);
}

int
cv_metrics_slot(const struct cv_metrics *metrics)
{
    return metrics->is_private ? -1 : metrics->own;
}

enum cv_metrics_method
cv_metrics_method_of(const char *method)
{
    if (method == NULL) {
        return CV_METRICS_METHOD_OTHER;
    }
    if (strcmp(method, "GET") == 0) {
        return CV_METRICS_GET;
    }
    if (strcmp(method, "HEAD") == 0) {
        return CV_METRICS_HEAD;
    }
    if (strcmp(method, "POST") == 0) {
        return CV_METRICS_POST;
    }
    return CV_METRICS_METHOD_OTHER;
}

static void
add(struct cv_metrics *metrics, size_t at, uint64_t n)
{
    atomic_fetch_add_explicit(&metrics->slots[metrics->own].counters[at], n,
                              memory_order_relaxed);
}

static size_t
status_index(int status)
{
    size_t i;

    for (i = 0; i < CV_METRICS_STATUS_COUNT - 1; i++) {
        if (counted_statuses[i] == status) {
            return i;
        }
    }
    return CV_METRICS_STATUS_COUNT - 1;
}

void
cv_metrics_count_request(struct cv_metrics *metrics, enum cv_metrics_method method,
                         enum cv_metrics_route route, int status, uint64_t duration_us)
{
    size_t bucket;

    add(metrics,
        CV_METRICS_AT_REQUESTS +
            ((size_t)method * CV_METRICS_ROUTE_COUNT + (size_t)route) *
                CV_METRICS_STATUS_COUNT +
            status_index(status),
        1);

    /* A bucket counts observations <= its bound. Past the last bound only +Inf counts. */
    for (bucket = 0; bucket < CV_METRICS_BUCKET_COUNT; bucket++) {
        if (duration_us <= bucket_bounds_us[bucket]) {
            break;
        }
    }
    add(metrics, CV_METRICS_AT_BUCKETS + (size_t)route * (CV_METRICS_BUCKET_COUNT + 1) + bucket,
        1);
    add(metrics, CV_METRICS_AT_DURATION_SUM_US + (size_t)route, duration_us);
}

void
cv_metrics_count_upload(struct cv_metrics *metrics, enum cv_metrics_upload_kind kind,
                        enum cv_metrics_media media)
{
    add(metrics, CV_METRICS_AT_UPLOADS + (size_t)kind * CV_METRICS_MEDIA_COUNT + (size_t)media,
        1);
}

void
cv_metrics_count_extract_failure(struct cv_metrics *metrics,
                                 enum cv_metrics_extract_failure failure)
{
    add(metrics, CV_METRICS_AT_EXTRACT_FAILURES + (size_t)failure, 1);
}

void
cv_metrics_count_enqueue(struct cv_metrics *metrics, int is_success)
{
    add(metrics, is_success ? CV_METRICS_AT_JOBS_ENQUEUED : CV_METRICS_AT_ENQUEUE_FAILURES, 1);
}

void
cv_metrics_count_db_error(struct cv_metrics *metrics, enum cv_metrics_db_error kind)
{
    add(metrics, CV_METRICS_AT_DB_ERRORS + (size_t)kind, 1);
}

void
cv_metrics_sum(const struct cv_metrics *metrics, struct cv_metrics_totals *totals)
{
    unsigned i;
    size_t   at;

    memset(totals, 0, sizeof(*totals));
    for (i = 0; i < metrics->slot_count; i++) {
        for (at = 0; at < CV_METRICS_COUNTER_COUNT; at++) {
            totals->values[at] +=
                atomic_load_explicit(&metrics->slots[i].counters[at], memory_order_relaxed);
        }
        if ((int)i == metrics->own ||
            (!metrics->is_private &&
             is_in_use(metrics->fd, slot_offset(i), (off_t)sizeof(struct metrics_slot)))) {
            totals->live_responders++;
        }
    }
}

/* Appends the # HELP and # TYPE lines of one family. */
static enum cv_err
family(struct cv_buf *out, const char *name, const char *type, const char *help)
{
    return cv_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static enum cv_err
format_requests(const struct cv_metrics_totals *totals, struct cv_buf *out)
{
    enum cv_err rc;
    size_t      method;
    size_t      route;
    size_t      status;
    uint64_t    value;

    rc = family(out, "http_requests_total", "counter",
                "HTTP requests answered by the API responders of this host.");
    for (method = 0; rc == CV_OK && method < CV_METRICS_METHOD_COUNT; method++) {
        for (route = 0; rc == CV_OK && route < CV_METRICS_ROUTE_COUNT; route++) {
            for (status = 0; rc == CV_OK && status < CV_METRICS_STATUS_COUNT; status++) {
                value = totals->values[CV_METRICS_AT_REQUESTS +
                                       (method * CV_METRICS_ROUTE_COUNT + route) *
                                           CV_METRICS_STATUS_COUNT +
                                       status];
                if (value == 0) {
                    continue;
                }
                if (status < CV_METRICS_STATUS_COUNT - 1) {
                    rc = cv_buf_printf(out,
                                       "http_requests_total{method=\"%s\",route=\"%s\","
                                       "status=\"%d\"} %" PRIu64 "\n",
                                       method_labels[method], route_labels[route],
                                       counted_statuses[status], value);
                } else {
                    rc = cv_buf_printf(out,
                                       "http_requests_total{method=\"%s\",route=\"%s\","
                                       "status=\"other\"} %" PRIu64 "\n",
                                       method_labels[method], route_labels[route], value);
                }
            }
        }
    }
    return rc;
}

static enum cv_err
format_durations(const struct cv_metrics_totals *totals, struct cv_buf *out)
{
    const uint64_t *buckets;
    enum cv_err     rc;
    uint64_t        cumulative;
    uint64_t        sum_us;
    size_t          route;
    size_t          bucket;

    rc = family(out, "http_request_duration_seconds", "histogram",
                "Time from accepting a request to writing its response.");
    for (route = 0; rc == CV_OK && route < CV_METRICS_ROUTE_COUNT; route++) {
        buckets = &totals->values[CV_METRICS_AT_BUCKETS + route * (CV_METRICS_BUCKET_COUNT + 1)];
        cumulative = 0;
        for (bucket = 0; rc == CV_OK && bucket < CV_METRICS_BUCKET_COUNT; bucket++) {
            cumulative += buckets[bucket];
            rc = cv_buf_printf(out,
                               "http_request_duration_seconds_bucket{route=\"%s\",le=\"%s\"} "
                               "%" PRIu64 "\n",
                               route_labels[route], bucket_labels[bucket], cumulative);
        }
        cumulative += buckets[CV_METRICS_BUCKET_COUNT];
        sum_us = totals->values[CV_METRICS_AT_DURATION_SUM_US + route];
        if (rc == CV_OK) {
            rc = cv_buf_printf(out,
                               "http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} "
                               "%" PRIu64 "\n"
                               "http_request_duration_seconds_sum{route=\"%s\"} "
                               "%" PRIu64 ".%06" PRIu64 "\n"
                               "http_request_duration_seconds_count{route=\"%s\"} %" PRIu64 "\n",
                               route_labels[route], cumulative, route_labels[route],
                               sum_us / 1000000, sum_us % 1000000, route_labels[route],
                               cumulative);
        }
    }
    return rc;
}

/* Appends one counter family with a single label, one series per label value. */
static enum cv_err
format_labelled(const struct cv_metrics_totals *totals, struct cv_buf *out, const char *name,
                const char *help, const char *label, const char *const *values, size_t count,
                size_t at)
{
    enum cv_err rc;
    size_t      i;

    rc = family(out, name, "counter", help);
    for (i = 0; rc == CV_OK && i < count; i++) {
        rc = cv_buf_printf(out, "%s{%s=\"%s\"} %" PRIu64 "\n", name, label, values[i],
                           totals->values[at + i]);
    }
    return rc;
}

static enum cv_err
format_uploads(const struct cv_metrics_totals *totals, struct cv_buf *out)
{
    enum cv_err rc;
    size_t      kind;
    size_t      media;

    rc = family(out, "cv_uploads_total", "counter",
                "Documents stored by POST /v1/upload, by field and detected media type.");
    for (kind = 0; rc == CV_OK && kind < CV_METRICS_KIND_COUNT; kind++) {
        for (media = 0; rc == CV_OK && media < CV_METRICS_MEDIA_COUNT; media++) {
            rc = cv_buf_printf(out, "cv_uploads_total{kind=\"%s\",type=\"%s\"} %" PRIu64 "\n",
                               kind_labels[kind], media_labels[media],
                               totals->values[CV_METRICS_AT_UPLOADS +
                                              kind * CV_METRICS_MEDIA_COUNT + media]);
        }
    }
    return rc;
}

enum cv_err
cv_metrics_format(const struct cv_metrics_totals *totals, struct cv_buf *out)
{
    enum cv_err rc;

    rc = format_requests(totals, out);
    if (rc == CV_OK) {
        rc = format_durations(totals, out);
    }
    if (rc == CV_OK) {
        rc = format_uploads(totals, out);
    }
    if (rc == CV_OK) {
        rc = format_labelled(totals, out, "cv_extraction_failures_total",
                             "Uploaded documents rejected by text extraction, by API error code.",
                             "code", extract_labels, CV_METRICS_EXTRACT_COUNT,
                             CV_METRICS_AT_EXTRACT_FAILURES);
    }
    if (rc == CV_OK) {
        rc = cv_buf_printf(out,
                           "# HELP cv_jobs_enqueued_total Job wake-up messages the broker "
                           "acknowledged.\n"
                           "# TYPE cv_jobs_enqueued_total counter\n"
                           "cv_jobs_enqueued_total %" PRIu64 "\n"
                           "# HELP cv_enqueue_failures_total Job wake-up messages not "
                           "acknowledged in time; the sweeper runs those jobs.\n"
                           "# TYPE cv_enqueue_failures_total counter\n"
                           "cv_enqueue_failures_total %" PRIu64 "\n",
                           totals->values[CV_METRICS_AT_JOBS_ENQUEUED],
                           totals->values[CV_METRICS_AT_ENQUEUE_FAILURES]);
    }
    if (rc == CV_OK) {
        rc = format_labelled(totals, out, "cv_database_errors_total",
                             "Failed PostgreSQL statements and connections of the API.", "kind",
                             db_error_labels, CV_METRICS_DB_COUNT, CV_METRICS_AT_DB_ERRORS);
    }
    if (rc == CV_OK) {
        rc = cv_buf_printf(out,
                           "# HELP cv_api_responders API responder processes of this host "
                           "sharing these counters.\n"
                           "# TYPE cv_api_responders gauge\n"
                           "cv_api_responders %u\n",
                           totals->live_responders);
    }
    return rc;
}
