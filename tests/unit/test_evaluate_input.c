/*
 * Unit tests for the POST /v1/evaluate body: validation outcomes, the canonical request
 * hash behind Idempotency-Key, and the key syntax.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fcgi/evaluate_input.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define CV "123e4567-e89b-12d3-a456-426614174000"
#define PR "223e4567-e89b-12d3-a456-426614174000"
#define IDS "\"cv_id\":\"" CV "\",\"project_id\":\"" PR "\""

struct parse_case {
    const char     *label;
    const char     *body;
    enum cv_err     rc;
    enum api_error  err;     /* when rc is CV_EINVAL */
    const char     *field;   /* expected problem field, "" for none */
};

static const struct parse_case parse_cases[] = {
    {"minimal", "{" IDS "}", CV_OK, 0, ""},
    {"report alias", "{\"cv_id\":\"" CV "\",\"report_id\":\"" PR "\"}", CV_OK, 0, ""},
    {"alias equal", "{" IDS ",\"report_id\":\"" PR "\"}", CV_OK, 0, ""},
    {"alias equal other case", "{" IDS ",\"report_id\":\"223E4567-E89B-12D3-A456-426614174000\"}",
     CV_OK, 0, ""},
    {"all optional", "{" IDS ",\"job_title\":\"Backend\",\"job_description\":\"d\","
     "\"study_case_brief\":\"b\",\"scoring_rubric\":\"r\"}", CV_OK, 0, ""},
    {"null optional", "{" IDS ",\"job_title\":null}", CV_OK, 0, ""},
    {"white space", " \n{ " IDS " }\n ", CV_OK, 0, ""},
    {"empty body", "", CV_EINVAL, API_ERR_INVALID_JSON, ""},
    {"not json", "cv_id=1", CV_EINVAL, API_ERR_INVALID_JSON, ""},
    {"truncated", "{" IDS, CV_EINVAL, API_ERR_INVALID_JSON, ""},
    {"trailing garbage", "{" IDS "} x", CV_EINVAL, API_ERR_INVALID_JSON, ""},
    {"two documents", "{" IDS "}{}", CV_EINVAL, API_ERR_INVALID_JSON, ""},
    {"array", "[1]", CV_EINVAL, API_ERR_INVALID_JSON, ""},
    {"string", "\"x\"", CV_EINVAL, API_ERR_INVALID_JSON, ""},
    {"null", "null", CV_EINVAL, API_ERR_INVALID_JSON, ""},
    {"invalid utf-8", "{" IDS ",\"job_title\":\"\xc3\x28\"}", CV_EINVAL, API_ERR_INVALID_JSON, ""},
    {"overlong utf-8", "{" IDS ",\"job_title\":\"\xc0\xaf\"}", CV_EINVAL, API_ERR_INVALID_JSON, ""},
    {"surrogate utf-8", "{" IDS ",\"job_title\":\"\xed\xa0\x80\"}", CV_EINVAL,
     API_ERR_INVALID_JSON, ""},
    {"nul escape", "{" IDS ",\"job_title\":\"a\\u0000b\"}", CV_EINVAL, API_ERR_INVALID_JSON, ""},
    {"escaped backslash before u0000", "{" IDS ",\"job_title\":\"a\\\\u0000b\"}", CV_OK, 0, ""},
    {"unknown member", "{" IDS ",\"priority\":1}", CV_EINVAL, API_ERR_UNKNOWN_FIELD, "priority"},
    {"duplicate member", "{" IDS ",\"cv_id\":\"" CV "\"}", CV_EINVAL, API_ERR_DUPLICATE_FIELD,
     "cv_id"},
    {"missing cv_id", "{\"project_id\":\"" PR "\"}", CV_EINVAL, API_ERR_MISSING_FIELD, "cv_id"},
    {"missing project", "{\"cv_id\":\"" CV "\"}", CV_EINVAL, API_ERR_MISSING_FIELD,
     "project_id"},
    {"cv_id number", "{\"cv_id\":5,\"project_id\":\"" PR "\"}", CV_EINVAL,
     API_ERR_INVALID_FIELD, "cv_id"},
    {"cv_id null", "{\"cv_id\":null,\"project_id\":\"" PR "\"}", CV_EINVAL,
     API_ERR_INVALID_FIELD, "cv_id"},
    {"cv_id not uuid", "{\"cv_id\":\"abc\",\"project_id\":\"" PR "\"}", CV_EINVAL,
     API_ERR_INVALID_ID, "cv_id"},
    {"project_id braces", "{\"cv_id\":\"" CV "\",\"project_id\":\"{" PR "}\"}", CV_EINVAL,
     API_ERR_INVALID_ID, "project_id"},
    {"report_id not uuid", "{\"cv_id\":\"" CV "\",\"report_id\":\"x\"}", CV_EINVAL,
     API_ERR_INVALID_ID, "report_id"},
    {"conflicting alias", "{" IDS ",\"report_id\":\"" CV "\"}", CV_EINVAL,
     API_ERR_CONFLICTING_FIELDS, "report_id"},
    {"title number", "{" IDS ",\"job_title\":3}", CV_EINVAL, API_ERR_INVALID_FIELD, "job_title"},
    {"title empty", "{" IDS ",\"job_title\":\"\"}", CV_EINVAL, API_ERR_INVALID_FIELD,
     "job_title"},
    {"title blank", "{" IDS ",\"job_title\":\" \\t\"}", CV_EINVAL, API_ERR_INVALID_FIELD,
     "job_title"},
    {"title newline", "{" IDS ",\"job_title\":\"a\\nb\"}", CV_EINVAL, API_ERR_INVALID_FIELD,
     "job_title"},
    {"description object", "{" IDS ",\"job_description\":{}}", CV_EINVAL,
     API_ERR_INVALID_FIELD, "job_description"},
    {"rubric array", "{" IDS ",\"scoring_rubric\":[\"x\"]}", CV_EINVAL, API_ERR_INVALID_FIELD,
     "scoring_rubric"},
    {"brief bool", "{" IDS ",\"study_case_brief\":true}", CV_EINVAL, API_ERR_INVALID_FIELD,
     "study_case_brief"},
};

static void
test_evaluate_parse_table(void **state)
{
    struct api_evaluate_input in;
    struct api_input_problem  problem;
    enum cv_err               rc;
    size_t                    i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(parse_cases); i++) {
        const struct parse_case *c = &parse_cases[i];

        rc = api_evaluate_parse(c->body, strlen(c->body), &in, &problem);
        if (rc != c->rc || (rc == CV_EINVAL && (problem.err != c->err ||
                                                 strcmp(problem.field, c->field) != 0))) {
            print_error("case \"%s\": got rc=%d err=%s field=\"%s\" message=\"%s\"\n", c->label,
                        (int)rc, rc == CV_EINVAL ? api_error_code(problem.err) : "-",
                        problem.field, problem.message);
        }
        assert_int_equal(rc, c->rc);
        if (rc == CV_EINVAL) {
            assert_int_equal(problem.err, c->err);
            assert_string_equal(problem.field, c->field);
            assert_true(problem.message[0] != '\0');
        }
        api_evaluate_input_cleanup(&in);
    }
}

static void
test_evaluate_parse_values(void **state)
{
    static const char body[] =
        "{\"cv_id\":\"123E4567-E89B-12D3-A456-426614174000\",\"report_id\":\"" PR "\","
        "\"job_title\":\"Backend \\u00e9ngineer\",\"scoring_rubric\":null}";
    struct api_evaluate_input in;
    struct api_input_problem  problem;

    (void)state;
    assert_int_equal(api_evaluate_parse(body, strlen(body), &in, &problem), CV_OK);
    assert_string_equal(in.cv_id, CV);
    assert_string_equal(in.project_id, PR);
    assert_string_equal(in.job_title, "Backend \xc3\xa9ngineer");
    assert_null(in.job_description);
    assert_null(in.study_case_brief);
    assert_null(in.scoring_rubric);
    api_evaluate_input_cleanup(&in);
}

/* Builds a body with a job_title of count copies of unit. */
static char *
title_body(const char *unit, size_t count)
{
    size_t len = strlen(unit) * count + 256;
    char  *body = malloc(len);
    size_t off;
    size_t i;

    assert_non_null(body);
    off = (size_t)snprintf(body, len, "{" IDS ",\"job_title\":\"");
    for (i = 0; i < count; i++) {
        memcpy(body + off, unit, strlen(unit));
        off += strlen(unit);
    }
    memcpy(body + off, "\"}", 3);
    return body;
}

/* The title limit counts characters: 200 two-byte characters pass, 201 characters fail. */
static void
test_evaluate_title_limit_characters(void **state)
{
    struct api_evaluate_input in;
    struct api_input_problem  problem;
    char                     *body;

    (void)state;
    body = title_body("\xc3\xa9", API_JOB_TITLE_MAX_CHARS);
    assert_int_equal(api_evaluate_parse(body, strlen(body), &in, &problem), CV_OK);
    api_evaluate_input_cleanup(&in);
    free(body);

    body = title_body("a", API_JOB_TITLE_MAX_CHARS + 1);
    assert_int_equal(api_evaluate_parse(body, strlen(body), &in, &problem), CV_EINVAL);
    assert_int_equal(problem.err, API_ERR_INVALID_FIELD);
    assert_string_equal(problem.field, "job_title");
    api_evaluate_input_cleanup(&in);
    free(body);
}

static void
test_evaluate_text_limit_bytes(void **state)
{
    struct api_evaluate_input in;
    struct api_input_problem  problem;
    size_t                    len = API_TEXT_FIELD_MAX_BYTES + 256;
    char                     *body = malloc(len);
    size_t                    off;

    (void)state;
    assert_non_null(body);
    off = (size_t)snprintf(body, len, "{" IDS ",\"job_description\":\"");
    memset(body + off, 'x', API_TEXT_FIELD_MAX_BYTES);
    memcpy(body + off + API_TEXT_FIELD_MAX_BYTES, "\"}", 3);
    assert_int_equal(api_evaluate_parse(body, strlen(body), &in, &problem), CV_OK);
    api_evaluate_input_cleanup(&in);

    memcpy(body + off + API_TEXT_FIELD_MAX_BYTES, "x\"}", 4);
    assert_int_equal(api_evaluate_parse(body, strlen(body), &in, &problem), CV_EINVAL);
    assert_string_equal(problem.field, "job_description");
    api_evaluate_input_cleanup(&in);
    free(body);
}

/* A body that cJSON would stop reading at an embedded NUL is rejected whole. */
static void
test_evaluate_embedded_nul(void **state)
{
    static const char body[] = "{" IDS "}\0{\"x\":1}";
    struct api_evaluate_input in;
    struct api_input_problem  problem;

    (void)state;
    assert_int_equal(api_evaluate_parse(body, sizeof(body) - 1, &in, &problem), CV_EINVAL);
    assert_int_equal(problem.err, API_ERR_INVALID_JSON);
    api_evaluate_input_cleanup(&in);
}

static void
hash_of(const char *body, char out[CV_SHA256_HEX_LEN])
{
    struct api_evaluate_input in;
    struct api_input_problem  problem;
    enum cv_err               rc;

    rc = api_evaluate_parse(body, strlen(body), &in, &problem);
    if (rc != CV_OK) {
        print_error("body does not parse: %s (%s)\n", body, problem.message);
    }
    assert_int_equal(rc, CV_OK);
    assert_int_equal(api_evaluate_hash(&in, out), CV_OK);
    api_evaluate_input_cleanup(&in);
}

/* Bodies in one group mean the same request; each group differs from the others. */
static const char *const same_groups[][4] = {
    {
        "{" IDS "}",
        "{\"project_id\":\"" PR "\",\"cv_id\":\"" CV "\"}",
        "{\"cv_id\":\"123E4567-E89B-12D3-A456-426614174000\",\"report_id\":\"" PR "\"}",
        "{ " IDS ", \"job_title\": null, \"scoring_rubric\": null }",
    },
    {
        "{" IDS ",\"job_title\":\"Backend\"}",
        "{\"job_title\":\"Back\\u0065nd\"," IDS "}",
        "{" IDS ",\"job_title\":\"Backend\",\"job_description\":null}",
        NULL,
    },
    {
        "{" IDS ",\"job_description\":\"Backend\"}",
        NULL, NULL, NULL,
    },
    {
        "{" IDS ",\"job_title\":\"Backend\",\"job_description\":\"x\"}",
        NULL, NULL, NULL,
    },
    {
        "{\"cv_id\":\"" PR "\",\"project_id\":\"" CV "\"}",
        NULL, NULL, NULL,
    },
};

static void
test_evaluate_hash_canonical(void **state)
{
    char   first[ARRAY_LEN(same_groups)][CV_SHA256_HEX_LEN];
    char   other[CV_SHA256_HEX_LEN];
    size_t g;
    size_t i;

    (void)state;
    for (g = 0; g < ARRAY_LEN(same_groups); g++) {
        hash_of(same_groups[g][0], first[g]);
        for (i = 1; i < 4 && same_groups[g][i] != NULL; i++) {
            hash_of(same_groups[g][i], other);
            if (strcmp(other, first[g]) != 0) {
                print_error("group %zu body %zu hashes differently: %s\n", g, i,
                            same_groups[g][i]);
            }
            assert_string_equal(other, first[g]);
        }
        for (i = 0; i < g; i++) {
            assert_string_not_equal(first[i], first[g]);
        }
    }
}

/* Moving text between fields must change the hash even when the bytes stay the same. */
static void
test_evaluate_hash_field_boundaries(void **state)
{
    char a[CV_SHA256_HEX_LEN];
    char b[CV_SHA256_HEX_LEN];

    (void)state;
    hash_of("{" IDS ",\"job_title\":\"ab\",\"job_description\":\"c\"}", a);
    hash_of("{" IDS ",\"job_title\":\"a\",\"job_description\":\"bc\"}", b);
    assert_string_not_equal(a, b);
    hash_of("{" IDS ",\"study_case_brief\":\"x\"}", a);
    hash_of("{" IDS ",\"scoring_rubric\":\"x\"}", b);
    assert_string_not_equal(a, b);
}

struct key_case {
    const char *key;
    bool        is_valid;
};

static void
test_idempotency_key_table(void **state)
{
    char            longest[API_IDEMPOTENCY_KEY_MAX + 1];
    char            too_long[API_IDEMPOTENCY_KEY_MAX + 2];
    struct key_case cases[] = {
        {NULL, false},
        {"", false},
        {"a", true},
        {"order-42_retry.1", true},
        {"!~\"#", true},
        {longest, true},
        {too_long, false},
        {"a b", false},
        {"tab\t", false},
        {"caf\xc3\xa9", false},
        {"del\x7f", false},
        {"line\n", false},
    };
    size_t i;

    (void)state;
    memset(longest, 'k', API_IDEMPOTENCY_KEY_MAX);
    longest[API_IDEMPOTENCY_KEY_MAX] = '\0';
    memset(too_long, 'k', API_IDEMPOTENCY_KEY_MAX + 1);
    too_long[API_IDEMPOTENCY_KEY_MAX + 1] = '\0';
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        if (api_idempotency_key_is_valid(cases[i].key) != cases[i].is_valid) {
            print_error("key case %zu: expected %d\n", i, cases[i].is_valid);
        }
        assert_int_equal(api_idempotency_key_is_valid(cases[i].key), cases[i].is_valid);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evaluate_parse_table),
        cmocka_unit_test(test_evaluate_parse_values),
        cmocka_unit_test(test_evaluate_title_limit_characters),
        cmocka_unit_test(test_evaluate_text_limit_bytes),
        cmocka_unit_test(test_evaluate_embedded_nul),
        cmocka_unit_test(test_evaluate_hash_canonical),
        cmocka_unit_test(test_evaluate_hash_field_boundaries),
        cmocka_unit_test(test_idempotency_key_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
