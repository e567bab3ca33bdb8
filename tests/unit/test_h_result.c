/* Unit tests for the body of GET /v1/result/{id}: write_body() of fcgi/h_result.c,
 * reached by including the source file, for each job status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fcgi/h_result.c"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define JOB_ID     "123e4567-e89b-12d3-a456-426614174000"
#define CV_ID      "223e4567-e89b-12d3-a456-426614174000"
#define PROJECT_ID "323e4567-e89b-12d3-a456-426614174000"
#define CREATED    "2026-01-02T03:04:05.678Z"
#define UPDATED    "2026-01-02T03:04:06.789Z"
#define PREFIX(status)                                                                  \
    "{\"id\":\"" JOB_ID "\",\"status\":\"" status "\",\"cv_id\":\"" CV_ID "\","       \
    "\"project_id\":\"" PROJECT_ID "\",\"created_at\":\"" CREATED "\","                \
    "\"updated_at\":\"" UPDATED "\""

struct body_case {
    const char *status;
    const char *error_code;
    const char *error_message;
    const char *result_json;
    const char *expected;
};

static const struct body_case body_cases[] = {
    {"queued", NULL, NULL, NULL, PREFIX("queued") "}"},
    {"processing", NULL, NULL, NULL, PREFIX("processing") "}"},
    {"completed", NULL, NULL, "{\"cv_match_rate\": 0.85}",
     PREFIX("completed") ",\"result\":{\"cv_match_rate\": 0.85}}"},
    {"failed", "llm_unavailable", "every provider failed", NULL,
     PREFIX("failed") ",\"error\":{\"code\":\"llm_unavailable\","
                      "\"message\":\"every provider failed\"}}"},
    {"failed", "internal", NULL, NULL,
     PREFIX("failed") ",\"error\":{\"code\":\"internal\","
                      "\"message\":\"the evaluation failed\"}}"},
};

static void
fill_view(struct api_job_view *view, const char *status)
{
    memset(view, 0, sizeof(*view));
    view->id = JOB_ID;
    view->status = status;
    view->cv_id = CV_ID;
    view->project_id = PROJECT_ID;
    view->created_at = CREATED;
    view->updated_at = UPDATED;
}

static void
test_result_body_table(void **state)
{
    struct api_job_view view;
    struct cv_buf       body;
    size_t              i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(body_cases); i++) {
        fill_view(&view, body_cases[i].status);
        view.error_code = body_cases[i].error_code;
        view.error_message = body_cases[i].error_message;
        view.result_json = body_cases[i].result_json;
        cv_buf_init(&body, 65536);

        assert_int_equal(write_body(&body, &view), CV_OK);
        if (strcmp(body.data, body_cases[i].expected) != 0) {
            print_error("case %zu (%s): got %s\n", i, body_cases[i].status, body.data);
        }
        assert_string_equal(body.data, body_cases[i].expected);
        assert_int_equal(body.len, strlen(body_cases[i].expected));
        cv_buf_cleanup(&body);
    }
}

/* A result of 200 KiB, far past any printf scratch buffer, goes in byte for byte. */
static void
test_result_body_large_result(void **state)
{
    static const char prefix[] = PREFIX("completed") ",\"result\":";
    struct api_job_view view;
    struct cv_buf       body;
    size_t              result_len = 200 * 1024;
    char               *result;

    (void)state;
    result = malloc(result_len + 1);
    assert_non_null(result);
    memset(result, 'x', result_len);
    result[0] = '"';
    result[result_len - 1] = '"';
    result[result_len] = '\0';
    fill_view(&view, "completed");
    view.result_json = result;
    cv_buf_init(&body, 1024 * 1024);

    assert_int_equal(write_body(&body, &view), CV_OK);
    assert_int_equal(body.len, strlen(prefix) + result_len + 1);
    assert_memory_equal(body.data, prefix, strlen(prefix));
    assert_memory_equal(body.data + strlen(prefix), result, result_len);
    assert_int_equal(body.data[body.len - 1], '}');
    cv_buf_cleanup(&body);
    free(result);
}

/* A body past the buffer's maximum is an error, never a cut body. */
static void
test_result_body_over_maximum(void **state)
{
    struct api_job_view view;
    struct cv_buf       body;
    char                result[4096];

    (void)state;
    memset(result, '1', sizeof(result) - 1);
    result[sizeof(result) - 1] = '\0';
    fill_view(&view, "completed");
    view.result_json = result;
    cv_buf_init(&body, 1024);

    assert_int_not_equal(write_body(&body, &view), CV_OK);
    cv_buf_cleanup(&body);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_result_body_table),
        cmocka_unit_test(test_result_body_large_result),
        cmocka_unit_test(test_result_body_over_maximum),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
