/* Unit tests for entity tags and If-None-Match matching (RFC 9110 section 13.1.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fcgi/etag.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define TAG "\"0123456789abcdef0123456789abcdef\""

struct match_case {
    const char *header;   /* NULL: no If-None-Match */
    bool        is_match;
};

static const struct match_case match_cases[] = {
    {NULL, false},
    {"", false},
    {"*", true},
    {"  *  ", true},
    {"*, " TAG, false},          /* "*" is only valid alone */
    {TAG, true},
    {"W/" TAG, true},            /* weak comparison ignores W/ */
    {" " TAG " ", true},
    {"\"other\", " TAG, true},
    {"\"other\",W/" TAG, true},
    {"\"other\"," TAG ",\"third\"", true},
    {", ," TAG ",", true},       /* empty list elements are allowed */
    {"\"other\"", false},
    {"\"0123456789abcdef0123456789abcde\"", false},
    {"0123456789abcdef0123456789abcdef", false},     /* unquoted */
    {"w/" TAG, false},           /* the weak prefix is case-sensitive */
    {"\"other\" junk, " TAG, false},                /* malformed: matches nothing */
    {"\"unterminated, " TAG, false},
    {"\"a\"\"b\"", false},
};

static void
test_etag_none_match_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < ARRAY_LEN(match_cases); i++) {
        bool got = api_etag_none_match(match_cases[i].header, TAG);

        if (got != match_cases[i].is_match) {
            print_error("If-None-Match [%s]: expected %d\n",
                        match_cases[i].header != NULL ? match_cases[i].header : "(none)",
                        match_cases[i].is_match);
        }
        assert_int_equal(got, match_cases[i].is_match);
    }
}

static void
test_etag_compute_shape(void **state)
{
    char   etag[API_ETAG_SIZE];
    size_t i;

    (void)state;
    assert_int_equal(api_etag_compute("{}", 2, etag), CV_OK);
    assert_int_equal(strlen(etag), API_ETAG_SIZE - 1);
    assert_int_equal(etag[0], '"');
    assert_int_equal(etag[API_ETAG_SIZE - 2], '"');
    for (i = 1; i < API_ETAG_SIZE - 2; i++) {
        assert_true((etag[i] >= '0' && etag[i] <= '9') || (etag[i] >= 'a' && etag[i] <= 'f'));
    }
}

/* The tag is the first 32 hex digits of SHA-256("abc"). */
static void
test_etag_compute_known_digest(void **state)
{
    char etag[API_ETAG_SIZE];

    (void)state;
    assert_int_equal(api_etag_compute("abc", 3, etag), CV_OK);
    assert_string_equal(etag, "\"ba7816bf8f01cfea414140de5dae2223\"");
}

static void
test_etag_changes_with_body(void **state)
{
    char first[API_ETAG_SIZE];
    char second[API_ETAG_SIZE];

    (void)state;
    assert_int_equal(api_etag_compute("{\"status\":\"queued\"}", 19, first), CV_OK);
    assert_int_equal(api_etag_compute("{\"status\":\"processing\"}", 23, second), CV_OK);
    assert_string_not_equal(first, second);
    assert_true(api_etag_none_match(first, first));
    assert_false(api_etag_none_match(first, second));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_etag_none_match_table),
        cmocka_unit_test(test_etag_compute_shape),
        cmocka_unit_test(test_etag_compute_known_digest),
        cmocka_unit_test(test_etag_changes_with_body),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
