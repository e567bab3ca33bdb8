/* Unit tests for the route table: path matching, the {id} segment, methods and Allow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fcgi/route.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct route_case {
    const char       *path;
    int               is_found;
    enum api_route_id id;
    const char       *param;   /* expected {id} segment, NULL when none */
    const char       *name;
};

static const struct route_case route_cases[] = {
    {"/v1/upload", 1, API_ROUTE_UPLOAD, NULL, "/v1/upload"},
    {"/upload", 1, API_ROUTE_UPLOAD, NULL, "/v1/upload"},
    {"/v1/evaluate", 1, API_ROUTE_EVALUATE, NULL, "/v1/evaluate"},
    {"/evaluate", 1, API_ROUTE_EVALUATE, NULL, "/v1/evaluate"},
    {"/v1/result/abc", 1, API_ROUTE_RESULT, "abc", "/v1/result/{id}"},
    {"/result/7c68e6cb-4e16-4421-b914-89391976b386", 1, API_ROUTE_RESULT,
     "7c68e6cb-4e16-4421-b914-89391976b386", "/v1/result/{id}"},
    {"/healthz", 1, API_ROUTE_HEALTHZ, NULL, "/healthz"},
    {"/readyz", 1, API_ROUTE_READYZ, NULL, "/readyz"},
    {"/metrics", 1, API_ROUTE_METRICS, NULL, "/metrics"},
    {"/", 0, API_ROUTE_COUNT, NULL, NULL},
    {"", 0, API_ROUTE_COUNT, NULL, NULL},
    {"/v1/upload/", 0, API_ROUTE_COUNT, NULL, NULL},
    {"/v1/uploads", 0, API_ROUTE_COUNT, NULL, NULL},
    {"/V1/upload", 0, API_ROUTE_COUNT, NULL, NULL},
    {"/v1/result/", 0, API_ROUTE_COUNT, NULL, NULL},
    {"/v1/result", 0, API_ROUTE_COUNT, NULL, NULL},
    {"/v1/result/a/b", 0, API_ROUTE_COUNT, NULL, NULL},
    {"/v1/result/abc/", 0, API_ROUTE_COUNT, NULL, NULL},
    {"/v2/result/abc", 0, API_ROUTE_COUNT, NULL, NULL},
    {"/healthz/x", 0, API_ROUTE_COUNT, NULL, NULL},
    {"/v1/healthz", 0, API_ROUTE_COUNT, NULL, NULL},
    {"/openapi.yaml", 0, API_ROUTE_COUNT, NULL, NULL},
};

static void
test_route_find_table(void **state)
{
    const struct api_route *route;
    const char             *param;
    size_t                  param_len;
    size_t                  i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(route_cases); i++) {
        const struct route_case *c = &route_cases[i];

        route = api_route_find(c->path, &param, &param_len);
        if ((route != NULL) != c->is_found) {
            print_error("path \"%s\": expected %s\n", c->path, c->is_found ? "a match" : "none");
        }
        assert_int_equal(route != NULL, c->is_found);
        if (route == NULL) {
            assert_null(param);
            continue;
        }
        assert_int_equal(route->id, c->id);
        assert_string_equal(route->name, c->name);
        if (c->param == NULL) {
            assert_null(param);
            continue;
        }
        assert_non_null(param);
        assert_int_equal(param_len, strlen(c->param));
        assert_memory_equal(param, c->param, param_len);
    }
}

struct method_case {
    const char *path;
    const char *method;
    int         is_allowed;
    const char *allow;
};

static const struct method_case method_cases[] = {
    {"/v1/upload", "POST", 1, "POST"},
    {"/v1/upload", "GET", 0, "POST"},
    {"/v1/upload", "post", 0, "POST"},
    {"/evaluate", "POST", 1, "POST"},
    {"/evaluate", "PUT", 0, "POST"},
    {"/v1/result/x", "GET", 1, "GET, HEAD"},
    {"/v1/result/x", "HEAD", 1, "GET, HEAD"},
    {"/v1/result/x", "POST", 0, "GET, HEAD"},
    {"/healthz", "HEAD", 1, "GET, HEAD"},
    {"/healthz", "DELETE", 0, "GET, HEAD"},
    {"/readyz", "GET", 1, "GET, HEAD"},
    {"/metrics", "GET", 1, "GET"},
    {"/metrics", "HEAD", 0, "GET"},
    {"/metrics", "", 0, "GET"},
};

static void
test_route_methods_table(void **state)
{
    const struct api_route *route;
    const char             *param;
    size_t                  param_len;
    size_t                  i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(method_cases); i++) {
        const struct method_case *c = &method_cases[i];

        route = api_route_find(c->path, &param, &param_len);
        assert_non_null(route);
        if (api_route_allows(route, c->method) != c->is_allowed) {
            print_error("%s %s: expected allowed=%d\n", c->method, c->path, c->is_allowed);
        }
        assert_int_equal(api_route_allows(route, c->method), c->is_allowed);
        assert_string_equal(route->allow, c->allow);
    }
}

static void
test_route_method_bit_unknown(void **state)
{
    (void)state;
    assert_int_equal(api_route_method_bit(NULL), 0);
    assert_int_equal(api_route_method_bit("OPTIONS"), 0);
    assert_int_equal(api_route_method_bit("GETX"), 0);
    assert_int_equal(api_route_method_bit("GET"), API_METHOD_GET);
    assert_int_equal(api_route_method_bit("HEAD"), API_METHOD_HEAD);
    assert_int_equal(api_route_method_bit("POST"), API_METHOD_POST);
}

/* An alias counts under the metrics label of its versioned route. */
static void
test_route_metrics_labels(void **state)
{
    const struct api_route *route;
    const char             *param;
    size_t                  param_len;

    (void)state;
    route = api_route_find("/upload", &param, &param_len);
    assert_int_equal(route->metrics_route, CV_METRICS_ROUTE_UPLOAD);
    route = api_route_find("/result/x", &param, &param_len);
    assert_int_equal(route->metrics_route, CV_METRICS_ROUTE_RESULT);
    route = api_route_find("/metrics", &param, &param_len);
    assert_int_equal(route->metrics_route, CV_METRICS_ROUTE_METRICS);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_find_table),
        cmocka_unit_test(test_route_methods_table),
        cmocka_unit_test(test_route_method_bit_unknown),
        cmocka_unit_test(test_route_metrics_labels),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
