/*
 * Unit tests for reading a request: the request id, the path from the FastCGI
 * parameters, Content-Length and the media type check. Parameters come from a
 * hand-built FastCGI environment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fcgi/request.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static bool
is_hex32(const char *text)
{
    size_t i;

    for (i = 0; i < 32; i++) {
        if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f'))) {
            return false;
        }
    }
    return text[32] == '\0';
}

static void
test_request_id_choice(void **state)
{
    static const char *const rejected[] = {
        NULL,
        "",
        "has space",
        "quote\"",
        "new\nline",
        "longer-than-64-characters-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    };
    char   id[API_REQUEST_ID_SIZE];
    char   longest[65];
    size_t i;

    (void)state;
    api_request_choose_id("7f3a9c", id);
    assert_string_equal(id, "7f3a9c");
    api_request_choose_id("trace-1.A_b", id);
    assert_string_equal(id, "trace-1.A_b");
    memset(longest, 'a', 64);
    longest[64] = '\0';
    api_request_choose_id(longest, id);
    assert_string_equal(id, longest);

    for (i = 0; i < ARRAY_LEN(rejected); i++) {
        api_request_choose_id(rejected[i], id);
        if (!is_hex32(id)) {
            print_error("request id %zu was not replaced: \"%s\"\n", i, id);
        }
        assert_true(is_hex32(id));
    }
}

struct path_case {
    const char *label;
    const char *document_uri;
    const char *request_uri;
    const char *script_name;
    const char *path_info;
    enum cv_err rc;
    const char *path;
};

static const struct path_case path_cases[] = {
    {"nginx", "/v1/upload", "/v1/upload?x=1", "/v1/upload", NULL, CV_OK, "/v1/upload"},
    {"document uri wins", "/healthz", "/other", NULL, NULL, CV_OK, "/healthz"},
    {"request uri query", NULL, "/v1/result/abc?x=1#f", NULL, NULL, CV_OK, "/v1/result/abc"},
    {"request uri decoded", NULL, "/v1/result/%61bc", NULL, NULL, CV_OK, "/v1/result/abc"},
    {"empty document uri", "", "/readyz", NULL, NULL, CV_OK, "/readyz"},
    {"script name and path info", NULL, NULL, "/v1", "/result/x", CV_OK, "/v1/result/x"},
    {"raw nul escape", "/v1/upload", "/v1/upload%00.txt", NULL, NULL, CV_EINVAL, NULL},
    {"decoded control", "/v1/up\nload", "/v1/up%0aload", NULL, NULL, CV_EINVAL, NULL},
    {"raw control", NULL, "/v1/\x01", NULL, NULL, CV_EINVAL, NULL},
    {"bad escape", NULL, "/v1/%zz", NULL, NULL, CV_EINVAL, NULL},
    {"short escape", NULL, "/v1/%4", NULL, NULL, CV_EINVAL, NULL},
    {"relative", "v1/upload", NULL, NULL, NULL, CV_EINVAL, NULL},
    {"asterisk", NULL, "*", NULL, NULL, CV_EINVAL, NULL},
    {"nothing", NULL, NULL, NULL, NULL, CV_EINVAL, NULL},
    {"nul after query is fine", "/healthz", "/healthz?a=%00", NULL, NULL, CV_OK, "/healthz"},
};

static void
test_resolve_path_table(void **state)
{
    struct cv_arena arena;
    const char     *path;
    enum cv_err     rc;
    size_t          i;

    (void)state;
    cv_arena_init(&arena, 1024 * 1024);
    for (i = 0; i < ARRAY_LEN(path_cases); i++) {
        const struct path_case *c = &path_cases[i];

        rc = api_request_resolve_path(c->document_uri, c->request_uri, c->script_name,
                                      c->path_info, &arena, &path);
        if (rc != c->rc) {
            print_error("case \"%s\": rc %d, expected %d\n", c->label, (int)rc, (int)c->rc);
        }
        assert_int_equal(rc, c->rc);
        if (c->path != NULL) {
            assert_string_equal(path, c->path);
        } else {
            assert_null(path);
        }
        cv_arena_reset(&arena);
    }
    cv_arena_cleanup(&arena);
}

static void
test_resolve_path_length(void **state)
{
    struct cv_arena arena;
    char            path[API_PATH_MAX + 2];
    const char     *out;

    (void)state;
    cv_arena_init(&arena, 1024 * 1024);
    memset(path, 'a', sizeof(path) - 1);
    path[0] = '/';
    path[API_PATH_MAX] = '\0';
    assert_int_equal(api_request_resolve_path(path, NULL, NULL, NULL, &arena, &out), CV_OK);
    path[API_PATH_MAX] = 'a';
    path[API_PATH_MAX + 1] = '\0';
    assert_int_equal(api_request_resolve_path(path, NULL, NULL, NULL, &arena, &out),
                     CV_ETOOLARGE);
    assert_int_equal(api_request_resolve_path(NULL, path, NULL, NULL, &arena, &out),
                     CV_ETOOLARGE);
    cv_arena_cleanup(&arena);
}

struct media_case {
    const char *content_type;
    const char *type;
    bool        is_match;
};

static const struct media_case media_cases[] = {
    {"application/json", "application/json", true},
    {"Application/JSON; charset=utf-8", "application/json", true},
    {"  application/json ;charset=utf-8", "application/json", true},
    {"application/jsonx", "application/json", false},
    {"application/json-patch+json", "application/json", false},
    {"text/plain", "application/json", false},
    {"", "application/json", false},
    {NULL, "application/json", false},
    {"multipart/form-data; boundary=x", "multipart/form-data", true},
    {"multipart/mixed; boundary=x", "multipart/form-data", false},
};

static void
test_media_type_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(media_cases); i++) {
        bool got = api_request_media_type_is(media_cases[i].content_type, media_cases[i].type);

        if (got != media_cases[i].is_match) {
            print_error("media case %zu: expected %d\n", i, media_cases[i].is_match);
        }
        assert_int_equal(got, media_cases[i].is_match);
    }
}

/* Runs api_request_init() over a FastCGI environment of NAME=value strings. */
static void
init_with_params(struct api_request *req, FCGX_Request *fcgx, struct cv_arena *arena,
                 char **envp)
{
    memset(fcgx, 0, sizeof(*fcgx));
    fcgx->envp = envp;
    api_request_init(req, fcgx, NULL, arena);
}

static void
test_request_init_params(void **state)
{
    char               env0[] = "REQUEST_METHOD=HEAD";
    char               env1[] = "REQUEST_ID=0123abcd";
    char              *envp[] = {env0, env1, NULL};
    struct api_request req;
    FCGX_Request       fcgx;
    struct cv_arena    arena;

    (void)state;
    cv_arena_init(&arena, 65536);
    init_with_params(&req, &fcgx, &arena, envp);
    assert_string_equal(req.method, "HEAD");
    assert_true(req.is_head);
    assert_string_equal(req.req_id, "0123abcd");
    assert_ptr_equal(req.lc.req_id, req.req_id);
    assert_string_equal(req.res.cache_control, "no-store");
    api_request_cleanup(&req);
    cv_arena_cleanup(&arena);
}

struct length_case {
    const char *param;   /* NULL: absent */
    enum cv_err rc;
    uint64_t    len;
};

static void
test_content_length_table(void **state)
{
    static const struct length_case cases[] = {
        {NULL, CV_OK, 0},
        {"", CV_OK, 0},
        {"0", CV_OK, 0},
        {"1048576", CV_OK, 1048576},
        {"9999999999999999999", CV_OK, 9999999999999999999ULL},
        {"10000000000000000000", CV_EINVAL, 0},
        {"-1", CV_EINVAL, 0},
        {"12 ", CV_EINVAL, 0},
        {"0x10", CV_EINVAL, 0},
    };
    char               env[64];
    char              *envp[2];
    struct api_request req;
    FCGX_Request       fcgx;
    struct cv_arena    arena;
    uint64_t           len;
    size_t             i;

    (void)state;
    cv_arena_init(&arena, 65536);
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        envp[0] = NULL;
        if (cases[i].param != NULL) {
            (void)snprintf(env, sizeof(env), "CONTENT_LENGTH=%s", cases[i].param);
            envp[0] = env;
        }
        envp[1] = NULL;
        init_with_params(&req, &fcgx, &arena, envp);
        if (api_request_content_length(&req, &len) != cases[i].rc) {
            print_error("Content-Length \"%s\": unexpected result\n",
                        cases[i].param != NULL ? cases[i].param : "(absent)");
        }
        assert_int_equal(api_request_content_length(&req, &len), cases[i].rc);
        assert_true(len == cases[i].len);
        api_request_cleanup(&req);
    }
    cv_arena_cleanup(&arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_id_choice),
        cmocka_unit_test(test_resolve_path_table),
        cmocka_unit_test(test_resolve_path_length),
        cmocka_unit_test(test_media_type_table),
        cmocka_unit_test(test_request_init_params),
        cmocka_unit_test(test_content_length_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
