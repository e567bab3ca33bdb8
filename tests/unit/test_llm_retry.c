/*
 * Unit tests for worker/llm/retry.c: full-jitter backoff bounds and spread, the
 * generator's range, and Retry-After in delta-seconds and all three HTTP-date forms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "worker/llm/retry.h"

/* 1994-11-06 08:49:37 UTC, the date of the examples in RFC 9110, in ms since the epoch. */
#define RFC_DATE_MS INT64_C(784111777000)

static void
test_backoff_bounds(void **state)
{
    struct wk_prng prng;
    int64_t        delay;
    int64_t        ceiling;
    int            retry;
    int            draw;

    (void)state;
    prng.state = 42;
    for (retry = 1; retry <= 12; retry++) {
        ceiling = INT64_C(100) << (retry - 1);
        if (ceiling > 5000) {
            ceiling = 5000;
        }
        for (draw = 0; draw < 2000; draw++) {
            delay = wk_backoff_ms(&prng, retry, 100, 5000);
            if (delay < 0 || delay > ceiling) {
                print_error("retry %d: delay %lld outside [0, %lld]\n", retry,
                            (long long)delay, (long long)ceiling);
                fail();
            }
        }
    }
}

static void
test_backoff_full_jitter_spread(void **state)
{
    struct wk_prng prng;
    int            buckets[10] = {0};
    int64_t        delay;
    int            i;

    (void)state;
    prng.state = 7;
    /* Full jitter is uniform over [0, ceiling]: every tenth of the range gets hits. */
    for (i = 0; i < 20000; i++) {
        delay = wk_backoff_ms(&prng, 3, 250, 100000);   /* ceiling 1000 */
        buckets[delay >= 1000 ? 9 : delay / 100]++;
    }
    for (i = 0; i < 10; i++) {
        if (buckets[i] < 1600 || buckets[i] > 2400) {
            print_error("bucket %d has %d of 20000 draws\n", i, buckets[i]);
            fail();
        }
    }
}

static void
test_backoff_odd_arguments(void **state)
{
    struct wk_prng prng;

    (void)state;
    prng.state = 1;
    assert_true(wk_backoff_ms(&prng, 0, 100, 1000) <= 100);
    assert_true(wk_backoff_ms(&prng, 1, 0, 0) <= 1);
    assert_true(wk_backoff_ms(&prng, 1000, 100, 2000) <= 2000);   /* no overflow */
    assert_true(wk_backoff_ms(&prng, 64, INT64_MAX / 4, INT64_MAX / 2) <= INT64_MAX / 2);
    assert_true(wk_backoff_ms(&prng, 64, INT64_MAX / 3, INT64_MAX) >= 0);
}

static void
test_prng_upto_range(void **state)
{
    struct wk_prng prng;
    int            seen[4] = {0};
    int64_t        value;
    int            i;

    (void)state;
    wk_prng_seed(&prng);
    assert_int_equal(wk_prng_upto(&prng, 0), 0);
    assert_int_equal(wk_prng_upto(&prng, -5), 0);
    for (i = 0; i < 1000; i++) {
        value = wk_prng_upto(&prng, 3);
        assert_true(value >= 0 && value <= 3);
        seen[value]++;
    }
    for (i = 0; i < 4; i++) {
        assert_true(seen[i] > 0);
    }
}

struct retry_after_case {
    const char *value;
    int64_t     now_ms;
    int64_t     expected_ms;   /* -1 = invalid */
};

static const struct retry_after_case retry_after_cases[] = {
    {"0", 0, 0},
    {"1", 0, 1000},
    {"120", 0, 120000},
    {"  7\r\n", 0, 7000},
    {"\t3 ", 0, 3000},
    {"99999999999999999999999", 0, INT64_MAX / 2},
    {"Sun, 06 Nov 1994 08:49:37 GMT", RFC_DATE_MS - 5000, 5000},
    {"Sunday, 06-Nov-94 08:49:37 GMT", RFC_DATE_MS - 5000, 5000},
    {"Sun Nov  6 08:49:37 1994", RFC_DATE_MS - 5000, 5000},
    {"Sun Nov 16 08:49:37 1994", RFC_DATE_MS, 10 * 86400 * INT64_C(1000)},
    {"Sun, 06 Nov 1994 08:49:37 GMT", RFC_DATE_MS + 60000, 0},   /* in the past */
    {"Thu, 01 Jan 1970 00:00:10 GMT", 0, 10000},
    {"Thu, 29 Feb 2024 00:00:00 GMT", 0, INT64_C(1709164800000)},
    {"Sat, 01 Jan 2000 00:00:00 GMT", 0, INT64_C(946684800000)},
    {"", 0, -1},
    {"   ", 0, -1},
    {"-1", 0, -1},
    {"1.5", 0, -1},
    {"10s", 0, -1},
    {"soon", 0, -1},
    {"Sun, 06 Nov 1994 08:49:37 UTC", 0, -1},
    {"Sun, 06 Nov 1994 25:49:37 GMT", 0, -1},
    {"Sun, 31 Nov 1994 08:49:37 GMT", 0, -1},
    {"Fri, 29 Feb 2023 00:00:00 GMT", 0, -1},
    {"Sun, 06 Foo 1994 08:49:37 GMT", 0, -1},
    {"Sun, 6 Nov 1994 08:49:37 GMT", 0, -1},
    {"Sun, 06 Nov 1994 08:49:37 GMT extra", 0, -1},
    {"Funday, 06-Nov-94 08:49:37 GMT", 0, -1},
};

static void
test_retry_after_table(void **state)
{
    const struct retry_after_case *c;
    int64_t                        got;
    size_t                         i;

    (void)state;
    for (i = 0; i < sizeof(retry_after_cases) / sizeof(retry_after_cases[0]); i++) {
        c = &retry_after_cases[i];
        got = wk_retry_after_parse(c->value, c->now_ms);
        if (got != c->expected_ms) {
            print_error("Retry-After \"%s\": got %lld, expected %lld\n", c->value,
                        (long long)got, (long long)c->expected_ms);
            fail();
        }
    }
    assert_int_equal(wk_retry_after_parse(NULL, 0), -1);
}

static void
test_retry_after_two_digit_year(void **state)
{
    int64_t now_2030 = INT64_C(1893456000000);   /* 2030-01-01 00:00:00 UTC */
    int64_t got;

    (void)state;
    /* "94" seen in 2030 is 1994, in the past; "31" is 2031, within 50 years. */
    assert_int_equal(wk_retry_after_parse("Sunday, 06-Nov-94 08:49:37 GMT", now_2030), 0);
    got = wk_retry_after_parse("Wednesday, 01-Jan-31 00:00:00 GMT", now_2030);
    assert_int_equal(got, INT64_C(365) * 86400 * 1000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test(test_backoff_full_jitter_spread),
        cmocka_unit_test(test_backoff_odd_arguments),
        cmocka_unit_test(test_prng_upto_range),
        cmocka_unit_test(test_retry_after_table),
        cmocka_unit_test(test_retry_after_two_digit_year),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
