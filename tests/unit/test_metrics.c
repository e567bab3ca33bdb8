/*
 * Unit tests for the shared metrics file: summing over several handles (each its own
 * open file description, as separate responders have), adopting a released slot,
 * layout checks, and the Prometheus text. Files live in a fresh folder under /tmp.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/metrics.h"

struct fixture {
    char dir[64];
    char path[128];
};

static int
setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    if (fx == NULL) {
        return -1;
    }
    (void)snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_metrics.XXXXXX");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    (void)snprintf(fx->path, sizeof(fx->path), "%s/metrics", fx->dir);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;
    char            link_path[160];

    (void)snprintf(link_path, sizeof(link_path), "%s/link", fx->dir);
    (void)unlink(link_path);
    (void)unlink(fx->path);
    (void)rmdir(fx->dir);
    free(fx);
    return 0;
}

static struct cv_metrics *
open_ok(const char *path)
{
    struct cv_metrics *metrics = NULL;
    char               reason[256];
    enum cv_err        rc;

    rc = cv_metrics_open(path, &metrics, reason, sizeof(reason));
    if (rc != CV_OK) {
        print_error("cv_metrics_open: %s\n", reason);
    }
    assert_int_equal(rc, CV_OK);
    assert_non_null(metrics);
    return metrics;
}

/* Formats the totals of metrics and returns the text; the caller frees it. */
static char *
render(const struct cv_metrics *metrics)
{
    struct cv_metrics_totals totals;
    struct cv_buf            out;

    cv_metrics_sum(metrics, &totals);
    cv_buf_init(&out, 1024 * 1024);
    assert_int_equal(cv_metrics_format(&totals, &out), CV_OK);
    return cv_buf_take(&out);
}

static void
assert_has_line(const char *text, const char *line)
{
    char wanted[512];

    /* A whole line: preceded by a newline (or the start) and followed by one. */
    (void)snprintf(wanted, sizeof(wanted), "\n%s\n", line);
    if (strncmp(text, wanted + 1, strlen(wanted + 1)) != 0 && strstr(text, wanted) == NULL) {
        print_error("missing line: %s\n", line);
        fail();
    }
}

static void
assert_no_line_starting(const char *text, const char *prefix)
{
    if (strstr(text, prefix) != NULL) {
        print_error("unexpected series: %s\n", prefix);
        fail();
    }
}

static void
test_metrics_sum_two_handles(void **state)
{
    struct fixture    *fx = *state;
    struct cv_metrics *a = open_ok(fx->path);
    struct cv_metrics *b = open_ok(fx->path);
    char              *text;

    assert_int_equal(cv_metrics_slot(a), 0);
    assert_int_equal(cv_metrics_slot(b), 1);
    cv_metrics_count_request(a, CV_METRICS_GET, CV_METRICS_ROUTE_HEALTHZ, 200, 1000);
    cv_metrics_count_request(b, CV_METRICS_GET, CV_METRICS_ROUTE_HEALTHZ, 200, 2000);
    cv_metrics_count_request(b, CV_METRICS_POST, CV_METRICS_ROUTE_UPLOAD, 413, 7000);
    cv_metrics_count_upload(a, CV_METRICS_KIND_CV, CV_METRICS_MEDIA_PDF);
    cv_metrics_count_enqueue(b, 1);
    cv_metrics_count_enqueue(b, 0);
    cv_metrics_count_db_error(a, CV_METRICS_DB_TIMEOUT);
    cv_metrics_count_extract_failure(b, CV_METRICS_EXTRACT_UNREADABLE);

    /* Either handle reports the same sums. */
    text = render(b);
    assert_has_line(text, "http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2");
    assert_has_line(text,
                    "http_requests_total{method=\"POST\",route=\"/v1/upload\",status=\"413\"} 1");
    assert_has_line(text, "http_request_duration_seconds_sum{route=\"/healthz\"} 0.003000");
    assert_has_line(text, "http_request_duration_seconds_count{route=\"/healthz\"} 2");
    assert_has_line(text, "cv_uploads_total{kind=\"cv\",type=\"pdf\"} 1");
    assert_has_line(text, "cv_uploads_total{kind=\"project\",type=\"pdf\"} 0");
    assert_has_line(text, "cv_jobs_enqueued_total 1");
    assert_has_line(text, "cv_enqueue_failures_total 1");
    assert_has_line(text, "cv_database_errors_total{kind=\"timeout\"} 1");
    assert_has_line(text, "cv_extraction_failures_total{code=\"unreadable_document\"} 1");
    assert_has_line(text, "cv_api_responders 2");
    free(text);

    cv_metrics_close(a);
    cv_metrics_close(b);
}

/* A restarted responder takes over the slot of a dead one, so totals never go down. */
static void
test_metrics_adopt_released_slot(void **state)
{
    struct fixture    *fx = *state;
    struct cv_metrics *a = open_ok(fx->path);
    struct cv_metrics *b = open_ok(fx->path);
    struct cv_metrics *c;
    char              *text;

    cv_metrics_count_request(a, CV_METRICS_GET, CV_METRICS_ROUTE_READYZ, 503, 10);
    cv_metrics_count_request(a, CV_METRICS_GET, CV_METRICS_ROUTE_READYZ, 503, 10);
    cv_metrics_close(a);

    text = render(b);
    assert_has_line(text, "http_requests_total{method=\"GET\",route=\"/readyz\",status=\"503\"} 2");
    assert_has_line(text, "cv_api_responders 1");
    free(text);

    c = open_ok(fx->path);
    assert_int_equal(cv_metrics_slot(c), 0);
    cv_metrics_count_request(c, CV_METRICS_GET, CV_METRICS_ROUTE_READYZ, 503, 10);
    text = render(c);
    assert_has_line(text, "http_requests_total{method=\"GET\",route=\"/readyz\",status=\"503\"} 3");
    assert_has_line(text, "cv_api_responders 2");
    free(text);

    cv_metrics_close(b);
    cv_metrics_close(c);
}

static void
test_metrics_all_slots_held(void **state)
{
    struct fixture    *fx = *state;
    struct cv_metrics *held[CV_METRICS_SLOTS];
    struct cv_metrics *extra = NULL;
    char               reason[256];
    size_t             i;

    for (i = 0; i < CV_METRICS_SLOTS; i++) {
        held[i] = open_ok(fx->path);
    }
    assert_int_equal(cv_metrics_open(fx->path, &extra, reason, sizeof(reason)), CV_EUNAVAIL);
    assert_null(extra);
    assert_non_null(strstr(reason, "slots"));
    for (i = 0; i < CV_METRICS_SLOTS; i++) {
        cv_metrics_close(held[i]);
    }
}

/* Overwrites the version field of the file's header. */
static void
corrupt_version(const char *path)
{
    FILE    *fp = fopen(path, "r+b");
    uint32_t version = CV_METRICS_VERSION + 1;

    assert_non_null(fp);
    assert_int_equal(fseek(fp, 8, SEEK_SET), 0);
    assert_int_equal(fwrite(&version, sizeof(version), 1, fp), 1);
    assert_int_equal(fclose(fp), 0);
}

static void
test_metrics_layout_mismatch(void **state)
{
    struct fixture    *fx = *state;
    struct cv_metrics *a = open_ok(fx->path);
    struct cv_metrics *b = NULL;
    char               reason[256];
    char              *text;

    cv_metrics_count_enqueue(a, 1);

    /* Another layout while a process has a slot: rejected, and nothing is reset. */
    corrupt_version(fx->path);
    assert_int_equal(cv_metrics_open(fx->path, &b, reason, sizeof(reason)), CV_EINVAL);
    assert_null(b);
    assert_non_null(strstr(reason, "another layout"));
    cv_metrics_close(a);

    /* No holder left: the file is reset to the current layout. */
    b = open_ok(fx->path);
    text = render(b);
    assert_has_line(text, "cv_jobs_enqueued_total 0");
    free(text);
    cv_metrics_close(b);

    /* A truncated file is reset as well. */
    assert_int_equal(truncate(fx->path, 100), 0);
    b = open_ok(fx->path);
    cv_metrics_close(b);
}

static void
test_metrics_rejects_symlink(void **state)
{
    struct fixture    *fx = *state;
    struct cv_metrics *metrics = NULL;
    char               link_path[160];
    char               reason[256];

    (void)snprintf(link_path, sizeof(link_path), "%s/link", fx->dir);
    assert_int_equal(symlink(fx->path, link_path), 0);
    assert_int_not_equal(cv_metrics_open(link_path, &metrics, reason, sizeof(reason)), CV_OK);
    assert_null(metrics);
}

/* Buckets count observations <= their bound and the text is cumulative. */
static void
test_metrics_histogram_buckets(void **state)
{
    struct cv_metrics *metrics = cv_metrics_open_private();
    char              *text;

    (void)state;
    assert_non_null(metrics);
    assert_int_equal(cv_metrics_slot(metrics), -1);
    cv_metrics_count_request(metrics, CV_METRICS_GET, CV_METRICS_ROUTE_RESULT, 200, 5000);
    cv_metrics_count_request(metrics, CV_METRICS_HEAD, CV_METRICS_ROUTE_RESULT, 304, 5001);
    cv_metrics_count_request(metrics, CV_METRICS_GET, CV_METRICS_ROUTE_RESULT, 200, 31000000);
    text = render(metrics);
    assert_has_line(text,
                    "http_request_duration_seconds_bucket{route=\"/v1/result/{id}\",le=\"0.005\"} 1");
    assert_has_line(text,
                    "http_request_duration_seconds_bucket{route=\"/v1/result/{id}\",le=\"0.01\"} 2");
    assert_has_line(text,
                    "http_request_duration_seconds_bucket{route=\"/v1/result/{id}\",le=\"30\"} 2");
    assert_has_line(text,
                    "http_request_duration_seconds_bucket{route=\"/v1/result/{id}\",le=\"+Inf\"} 3");
    assert_has_line(text, "http_request_duration_seconds_sum{route=\"/v1/result/{id}\"} 31.010001");
    assert_has_line(text, "http_request_duration_seconds_count{route=\"/v1/result/{id}\"} 3");
    assert_has_line(text, "http_requests_total{method=\"HEAD\",route=\"/v1/result/{id}\","
                          "status=\"304\"} 1");
    assert_has_line(text, "cv_api_responders 1");
    free(text);
    cv_metrics_close(metrics);
}

/* Series never counted are left out, statuses outside the table count as "other". */
static void
test_metrics_format_sparse_and_other(void **state)
{
    struct cv_metrics *metrics = cv_metrics_open_private();
    char              *text;

    (void)state;
    cv_metrics_count_request(metrics, cv_metrics_method_of("PUT"), CV_METRICS_ROUTE_UNMATCHED,
                             418, 1);
    text = render(metrics);
    assert_has_line(text, "# TYPE http_requests_total counter");
    assert_has_line(text, "# TYPE http_request_duration_seconds histogram");
    assert_has_line(text, "# TYPE cv_api_responders gauge");
    assert_has_line(text,
                    "http_requests_total{method=\"other\",route=\"unmatched\",status=\"other\"} 1");
    assert_no_line_starting(text, "http_requests_total{method=\"GET\"");
    assert_has_line(text, "http_request_duration_seconds_count{route=\"/v1/upload\"} 0");
    free(text);
    cv_metrics_close(metrics);
}

static void
test_metrics_method_of(void **state)
{
    (void)state;
    assert_int_equal(cv_metrics_method_of("GET"), CV_METRICS_GET);
    assert_int_equal(cv_metrics_method_of("HEAD"), CV_METRICS_HEAD);
    assert_int_equal(cv_metrics_method_of("POST"), CV_METRICS_POST);
    assert_int_equal(cv_metrics_method_of("get"), CV_METRICS_METHOD_OTHER);
    assert_int_equal(cv_metrics_method_of(NULL), CV_METRICS_METHOD_OTHER);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_metrics_sum_two_handles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_adopt_released_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_all_slots_held, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_layout_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_rejects_symlink, setup, teardown),
        cmocka_unit_test(test_metrics_histogram_buckets),
        cmocka_unit_test(test_metrics_format_sparse_and_other),
        cmocka_unit_test(test_metrics_method_of),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
