/*
 * Unit tests for the one mapping from errors to HTTP status and JSON code, the error
 * body, the JSON string writer, and error responses built on a request without a web
 * server behind it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fcgi/respond.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct error_case {
    enum api_error err;
    int            status;
    const char    *code;
};

/* Every error the responder returns, with its status and code. */
static const struct error_case error_cases[] = {
    {API_ERR_BAD_REQUEST, 400, "bad_request"},
    {API_ERR_NOT_FOUND, 404, "not_found"},
    {API_ERR_METHOD_NOT_ALLOWED, 405, "method_not_allowed"},
    {API_ERR_URI_TOO_LONG, 414, "uri_too_long"},
    {API_ERR_PAYLOAD_TOO_LARGE, 413, "payload_too_large"},
    {API_ERR_UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type"},
    {API_ERR_MALFORMED_MULTIPART, 400, "malformed_multipart"},
    {API_ERR_MISSING_FIELD, 400, "missing_field"},
    {API_ERR_DUPLICATE_FIELD, 400, "duplicate_field"},
    {API_ERR_UNREADABLE_DOCUMENT, 422, "unreadable_document"},
    {API_ERR_DOCUMENT_LIMITS_EXCEEDED, 422, "document_limits_exceeded"},
    {API_ERR_EXTRACTION_TIMEOUT, 422, "extraction_timeout"},
    {API_ERR_INVALID_JSON, 400, "invalid_json"},
    {API_ERR_INVALID_FIELD, 400, "invalid_field"},
    {API_ERR_UNKNOWN_FIELD, 400, "unknown_field"},
    {API_ERR_CONFLICTING_FIELDS, 400, "conflicting_fields"},
    {API_ERR_INVALID_ID, 400, "invalid_id"},
    {API_ERR_INVALID_IDEMPOTENCY_KEY, 400, "invalid_idempotency_key"},
    {API_ERR_WRONG_UPLOAD_KIND, 400, "wrong_upload_kind"},
    {API_ERR_CV_NOT_FOUND, 404, "cv_not_found"},
    {API_ERR_PROJECT_NOT_FOUND, 404, "project_not_found"},
    {API_ERR_JOB_NOT_FOUND, 404, "job_not_found"},
    {API_ERR_IDEMPOTENCY_CONFLICT, 409, "idempotency_conflict"},
    {API_ERR_NOT_READY, 503, "not_ready"},
    {API_ERR_SERVICE_UNAVAILABLE, 503, "service_unavailable"},
    {API_ERR_INTERNAL, 500, "internal_error"},
};

static void
test_error_table(void **state)
{
    size_t i;

    (void)state;
    assert_int_equal(ARRAY_LEN(error_cases), API_ERR_COUNT);
    for (i = 0; i < ARRAY_LEN(error_cases); i++) {
        assert_int_equal(api_error_status(error_cases[i].err), error_cases[i].status);
        assert_string_equal(api_error_code(error_cases[i].err), error_cases[i].code);
        assert_string_not_equal(api_status_reason(error_cases[i].status), "");
    }
}

static void
test_error_of_extract(void **state)
{
    (void)state;
    assert_int_equal(api_error_of_extract(CV_EMEDIA), API_ERR_UNSUPPORTED_MEDIA_TYPE);
    assert_int_equal(api_error_of_extract(CV_EUNREADABLE), API_ERR_UNREADABLE_DOCUMENT);
    assert_int_equal(api_error_of_extract(CV_ETOOLARGE), API_ERR_DOCUMENT_LIMITS_EXCEEDED);
    assert_int_equal(api_error_of_extract(CV_ETIMEOUT), API_ERR_EXTRACTION_TIMEOUT);
    assert_int_equal(api_error_of_extract(CV_ENOMEM), API_ERR_SERVICE_UNAVAILABLE);
    assert_int_equal(api_error_of_extract(CV_EUNAVAIL), API_ERR_SERVICE_UNAVAILABLE);
    assert_int_equal(api_error_of_extract(CV_EINVAL), API_ERR_INTERNAL);
}

static void
test_error_of_store(void **state)
{
    (void)state;
    assert_int_equal(api_error_of_store(CV_EUNAVAIL), API_ERR_SERVICE_UNAVAILABLE);
    assert_int_equal(api_error_of_store(CV_ETIMEOUT), API_ERR_SERVICE_UNAVAILABLE);
    assert_int_equal(api_error_of_store(CV_ENOMEM), API_ERR_SERVICE_UNAVAILABLE);
    assert_int_equal(api_error_of_store(CV_EINVAL), API_ERR_INTERNAL);
    assert_int_equal(api_error_of_store(CV_ECONFLICT), API_ERR_INTERNAL);
    assert_int_equal(api_error_of_store(CV_EINTERNAL), API_ERR_INTERNAL);
}

struct string_case {
    const char *in;
    const char *out;
};

static const struct string_case string_cases[] = {
    {"", "\"\""},
    {"plain", "\"plain\""},
    {"a\"b", "\"a\\\"b\""},
    {"back\\slash", "\"back\\\\slash\""},
    {"line\nfeed\r\ttab", "\"line\\nfeed\\r\\ttab\""},
    {"\x01\x1f", "\"\\u0001\\u001f\""},
    {"caf\xc3\xa9 \xe2\x82\xac", "\"caf\xc3\xa9 \xe2\x82\xac\""},
    {"</script>", "\"</script>\""},
};

static void
test_json_string_table(void **state)
{
    struct cv_buf out;
    size_t        i;

    (void)state;
    cv_buf_init(&out, 1024);
    for (i = 0; i < ARRAY_LEN(string_cases); i++) {
        cv_buf_reset(&out);
        assert_int_equal(api_json_string(&out, string_cases[i].in), CV_OK);
        assert_string_equal(out.data, string_cases[i].out);
    }
    cv_buf_cleanup(&out);
}

static void
test_json_member_null(void **state)
{
    struct cv_buf out;

    (void)state;
    cv_buf_init(&out, 1024);
    assert_int_equal(api_json_member_string(&out, true, "a", "x"), CV_OK);
    assert_int_equal(api_json_member_string(&out, false, "b", NULL), CV_OK);
    assert_string_equal(out.data, "\"a\":\"x\",\"b\":null");
    cv_buf_cleanup(&out);
}

static void
test_error_format_exact(void **state)
{
    struct cv_buf out;

    (void)state;
    cv_buf_init(&out, 1024);
    assert_int_equal(api_error_format(&out, API_ERR_MISSING_FIELD, "cv",
                                      "field \"cv\" is required"),
                     CV_OK);
    assert_string_equal(out.data, "{\"error\":{\"code\":\"missing_field\",\"message\":"
                                  "\"field \\\"cv\\\" is required\",\"field\":\"cv\"}}");
    cv_buf_reset(&out);
    assert_int_equal(api_error_format(&out, API_ERR_NOT_FOUND, NULL, "no endpoint"), CV_OK);
    assert_string_equal(out.data,
                        "{\"error\":{\"code\":\"not_found\",\"message\":\"no endpoint\"}}");
    cv_buf_cleanup(&out);
}

/* A bounded buffer that cannot hold the body makes the formatter fail, not overflow. */
static void
test_error_format_bounded(void **state)
{
    struct cv_buf out;

    (void)state;
    cv_buf_init(&out, 16);
    assert_int_equal(api_error_format(&out, API_ERR_INTERNAL, NULL, "a long message here"),
                     CV_ETOOLARGE);
    cv_buf_cleanup(&out);
}

static void
test_respond_error_on_request(void **state)
{
    struct api_request req;
    struct cv_arena    arena;

    (void)state;
    cv_arena_init(&arena, 65536);
    api_request_init(&req, NULL, NULL, &arena);
    api_respond_error(&req, API_ERR_PAYLOAD_TOO_LARGE, "cv", "file of %d bytes", 12);
    assert_int_equal(req.res.status, 413);
    assert_string_equal(req.res.error_code, "payload_too_large");
    assert_string_equal(req.res.content_type, "application/json; charset=utf-8");
    assert_string_equal(req.res.log_msg, "file of 12 bytes");
    assert_int_equal(req.res.log_rc, CV_ETOOLARGE);
    assert_string_equal(req.res.body.data, "{\"error\":{\"code\":\"payload_too_large\","
                                           "\"message\":\"file of 12 bytes\",\"field\":\"cv\"}}");
    assert_null(req.res.headers.data);

    /* A later error replaces the body; a 503 adds Retry-After. */
    api_respond_error(&req, API_ERR_SERVICE_UNAVAILABLE, NULL, "down");
    assert_int_equal(req.res.status, 503);
    assert_string_equal(req.res.headers.data, "Retry-After: 5\r\n");
    assert_string_equal(req.res.body.data,
                        "{\"error\":{\"code\":\"service_unavailable\",\"message\":\"down\"}}");
    api_request_cleanup(&req);
    cv_arena_cleanup(&arena);
}

/* The client gets a generic text; the log line gets the detail and the exact code. */
static void
test_respond_failure_hides_detail(void **state)
{
    struct api_request req;
    struct cv_arena    arena;

    (void)state;
    cv_arena_init(&arena, 65536);
    api_request_init(&req, NULL, NULL, &arena);
    api_respond_failure(&req, CV_ETIMEOUT, true, "could not read the job",
                        "statement failed: canceling statement due to statement timeout");
    assert_int_equal(req.res.status, 503);
    assert_null(strstr(req.res.body.data, "canceling"));
    assert_non_null(strstr(req.res.body.data, "could not read the job"));
    assert_int_equal(req.res.log_rc, CV_ETIMEOUT);
    assert_non_null(strstr(req.res.log_msg, "canceling statement"));
    api_request_cleanup(&req);

    api_request_init(&req, NULL, NULL, &arena);
    api_respond_failure(&req, CV_EINVAL, true, "could not create the job", "check violated");
    assert_int_equal(req.res.status, 500);
    assert_string_equal(req.res.error_code, "internal_error");
    api_request_cleanup(&req);
    cv_arena_cleanup(&arena);
}

/* A handler that set nothing still produces a well-formed 500. */
static void
test_send_without_status(void **state)
{
    struct api_request req;
    struct cv_arena    arena;

    (void)state;
    cv_arena_init(&arena, 65536);
    api_request_init(&req, NULL, NULL, &arena);
    assert_int_equal(api_response_send(&req), CV_OK);
    assert_int_equal(req.res.status, 500);
    assert_string_equal(req.res.error_code, "internal_error");
    api_request_cleanup(&req);
    cv_arena_cleanup(&arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_table),
        cmocka_unit_test(test_error_of_extract),
        cmocka_unit_test(test_error_of_store),
        cmocka_unit_test(test_json_string_table),
        cmocka_unit_test(test_json_member_null),
        cmocka_unit_test(test_error_format_exact),
        cmocka_unit_test(test_error_format_bounded),
        cmocka_unit_test(test_respond_error_on_request),
        cmocka_unit_test(test_respond_failure_hides_detail),
        cmocka_unit_test(test_send_without_status),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
